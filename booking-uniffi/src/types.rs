//! The records and enums that cross the FFI besides the core's own (which derive uniffi's
//! `Record` and `Enum` in `booking_core` with its `uniffi` feature; see
//! `booking_core::uniffi_support` for how ids, instants, zones and wall times cross): the ones
//! whose mobile shape differs from the core's. Objects with computed fields ([`GroupSession`],
//! [`Lesson`], [`TimeOff`]), the inputs whose defaults uniffi cannot express on the core type
//! ([`NewGroupSession`], [`SeriesRequest`]), the [`Actor`] and [`Event`] shapes, and one receipt
//! record per value type (uniffi has no generics). This module is the only place they are
//! converted.

use booking_core::availability::{AvailabilitySlot, TimeOff as CoreTimeOff};
use booking_core::lesson::{self as core_lesson, LessonStatus};
use booking_core::uniffi_support::Timestamp;
use booking_core::{
    BookingId, CourseId, MeetingLink, SchedulingRules, SeatBooking, SeatStatus, SeriesId, SessionId, SlotId, TimeOffId,
    UserId, WaitlistMode,
};
use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;

uniffi::use_remote_type!(booking_core::Timestamp);
uniffi::use_remote_type!(booking_core::Tz);
uniffi::use_remote_type!(booking_core::NaiveDate);
uniffi::use_remote_type!(booking_core::NaiveDateTime);

/// Who runs a command; the engine checks what each may do (see `booking_core::Actor`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Actor {
    /// A teacher, acting on their own sessions and availability.
    Teacher {
        /// The teacher's user id.
        id: UserId,
    },
    /// A student, acting for themselves.
    Student {
        /// The student's user id.
        id: UserId,
    },
    /// A platform administrator: may act on anything.
    Admin {
        /// The admin's user id.
        id: UserId,
    },
    /// The host platform itself (jobs, imports): trusted like an admin.
    System,
}

impl From<Actor> for booking_core::Actor {
    fn from(actor: Actor) -> Self {
        match actor {
            Actor::Teacher { id } => booking_core::Actor::Teacher(id),
            Actor::Student { id } => booking_core::Actor::Student(id),
            Actor::Admin { id } => booking_core::Actor::Admin(id),
            Actor::System => booking_core::Actor::System,
        }
    }
}

impl From<booking_core::Actor> for Actor {
    fn from(actor: booking_core::Actor) -> Self {
        match actor {
            booking_core::Actor::Teacher(id) => Actor::Teacher { id },
            booking_core::Actor::Student(id) => Actor::Student { id },
            booking_core::Actor::Admin(id) => Actor::Admin { id },
            booking_core::Actor::System => Actor::System,
        }
    }
}

/// The core request of `actor` under an optional idempotency key.
pub(crate) fn request_in(actor: Actor, key: Option<String>) -> booking_core::Request {
    booking_core::Request { actor: actor.into(), key }
}

/// A teacher's time off (`booking_core::availability::TimeOff`), with the instants it covers.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TimeOff {
    /// Its id (withdraw it with `removeTimeOff`).
    pub id: TimeOffId,
    /// The teacher.
    pub teacher_id: UserId,
    /// The first day off, e.g. `"2030-05-06"`.
    pub first_day: NaiveDate,
    /// The last day off (inclusive).
    pub last_day: NaiveDate,
    /// The IANA zone the days are read in.
    pub time_zone: Tz,
    /// The teacher's note, if any.
    pub note: Option<String>,
    /// The instant it starts: the start of `first_day` in `time_zone`.
    pub starts_at: Timestamp,
    /// The instant it ends: the start of the day after `last_day`.
    pub ends_at: Timestamp,
}

impl From<&CoreTimeOff> for TimeOff {
    fn from(t: &CoreTimeOff) -> Self {
        let CoreTimeOff { id, teacher_id, first_day, last_day, time_zone, ref note } = *t;
        let (starts_at, ends_at) = (t.starts_at(), t.ends_at());
        TimeOff { id, teacher_id, first_day, last_day, time_zone, note: note.clone(), starts_at, ends_at }
    }
}

/// What a teacher fills in for a new group session (`booking_core::NewGroupSession`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct NewGroupSession {
    /// The teacher who runs it.
    pub teacher_id: UserId,
    /// The course it belongs to, if any.
    #[uniffi(default = None)]
    pub course_id: Option<CourseId>,
    /// Its title.
    pub title: String,
    /// When it starts.
    pub starts_at: Timestamp,
    /// The IANA zone it is scheduled in.
    pub time_zone: String,
    /// How long it lasts.
    pub duration_minutes: u32,
    /// The meeting link (an http(s) URL).
    pub meeting_link: String,
    /// The number of seats.
    pub capacity: u32,
    /// Whether students may queue once every seat is taken.
    pub waitlist_enabled: bool,
    /// How a freed seat reaches the waitlist; `None` (the default) is `WaitlistMode.Promote`,
    /// the core's default (uniffi cannot default a field to an enum case with data).
    #[uniffi(default = None)]
    pub waitlist_mode: Option<WaitlistMode>,
    /// The session's own booking window, cancellation cut-off and seats per booking; unset
    /// fields come from the teacher's rules (seats per booking: 1 when no level sets it).
    /// Buffers, the reschedule cut-off and the lesson limits are refused here (`invalid_input`).
    #[uniffi(default)]
    pub rules: SchedulingRules,
}

impl From<NewGroupSession> for booking_core::NewGroupSession {
    fn from(s: NewGroupSession) -> Self {
        let NewGroupSession { teacher_id, course_id, title, starts_at, time_zone, duration_minutes, .. } = s;
        let (meeting_link, capacity, waitlist_enabled, rules) =
            (s.meeting_link, s.capacity, s.waitlist_enabled, s.rules);
        let waitlist_mode = s.waitlist_mode.unwrap_or_default();
        booking_core::NewGroupSession {
            teacher_id,
            course_id,
            title,
            starts_at,
            time_zone,
            duration_minutes,
            meeting_link,
            capacity,
            waitlist_enabled,
            waitlist_mode,
            rules,
        }
    }
}

/// A seat-based group session with its bookings, in the order they were made, and the counts
/// the core computes from them.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct GroupSession {
    /// The session.
    pub id: SessionId,
    /// Its teacher.
    pub teacher_id: UserId,
    /// Its course, if any.
    pub course_id: Option<CourseId>,
    /// Its title.
    pub title: String,
    /// When it starts.
    pub starts_at: Timestamp,
    /// When it ends.
    pub ends_at: Timestamp,
    /// The IANA zone it is scheduled in.
    pub time_zone: Tz,
    /// How long it lasts.
    pub duration_minutes: u32,
    /// The meeting link.
    pub meeting_link: String,
    /// The number of seats.
    pub capacity: u32,
    /// Whether students may queue once every seat is taken.
    pub waitlist_enabled: bool,
    /// How freed seats reach the waitlist.
    pub waitlist_mode: WaitlistMode,
    /// The booking window and cancellation cut-off in effect, resolved when it was created.
    pub rules: SchedulingRules,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<Timestamp>,
    /// Its version (1 when created, +1 per change).
    pub version: u64,
    /// The live bookings (not cancelled, declined or expired), in booking order (the waitlist
    /// order); finished ones are in the store's booking history, read by id with
    /// `Engine.seatBooking`.
    pub bookings: Vec<SeatBooking>,
    /// Seats taken (confirmed, offered and attended bookings, counting each booking's seats).
    pub booked_seats: u32,
    /// Seats still free.
    pub remaining_seats: u32,
    /// Bookings on the waitlist (a booking for several seats counts once).
    pub waitlisted_count: u32,
    /// Seats the waitlisted bookings ask for.
    pub waitlisted_seats: u32,
    /// Seats held by outstanding offers (offer mode).
    pub offered_seats: u32,
    /// Whether every seat is taken.
    pub is_full: bool,
    /// Full with the waitlist off: takes no bookings (the seed's `booking_closed`).
    pub is_closed_for_booking: bool,
    /// Whether it was cancelled.
    pub is_cancelled: bool,
    /// The earliest instant an outstanding seat offer runs out, if any.
    pub next_offer_deadline: Option<Timestamp>,
}

impl From<&booking_core::GroupSession> for GroupSession {
    fn from(s: &booking_core::GroupSession) -> Self {
        GroupSession {
            id: s.id,
            teacher_id: s.teacher_id,
            course_id: s.course_id,
            title: s.title.clone(),
            starts_at: s.starts_at,
            ends_at: s.ends_at(),
            time_zone: s.time_zone,
            duration_minutes: s.duration_minutes,
            meeting_link: s.meeting_link.as_str().to_owned(),
            capacity: s.capacity,
            waitlist_enabled: s.waitlist_enabled,
            waitlist_mode: s.waitlist_mode,
            rules: s.rules,
            created_at: s.created_at,
            cancelled_at: s.cancelled_at,
            version: s.version,
            bookings: s.bookings.clone(),
            booked_seats: s.booked_seats(),
            remaining_seats: s.remaining_seats(),
            waitlisted_count: s.waitlisted_count(),
            waitlisted_seats: s.waitlisted_seats(),
            offered_seats: s.offered_seats(),
            is_full: s.is_full(),
            is_closed_for_booking: s.is_closed_for_booking(),
            is_cancelled: s.is_cancelled(),
            next_offer_deadline: s.next_offer_deadline(),
        }
    }
}

/// A 1:1 lesson booked from an availability slot, with its wall times.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Lesson {
    /// The lesson (a booking id).
    pub id: BookingId,
    /// Its teacher.
    pub teacher_id: UserId,
    /// Its student.
    pub student_id: UserId,
    /// The slot it was booked from.
    pub slot_id: SlotId,
    /// The slot's course, if any.
    pub course_id: Option<CourseId>,
    /// Its series, if it was booked as part of one.
    pub series_id: Option<SeriesId>,
    /// When it starts.
    pub starts_at: Timestamp,
    /// When it ends.
    pub ends_at: Timestamp,
    /// The slot's IANA zone.
    pub time_zone: Tz,
    /// Start as a wall time in that zone, e.g. `"2030-05-06T14:00"`.
    pub local_start: NaiveDateTime,
    /// End as a wall time in that zone.
    pub local_end: NaiveDateTime,
    /// Where it stands.
    pub status: LessonStatus,
    /// Its meeting link, once set.
    pub meeting_link: Option<String>,
    /// When it was requested.
    pub requested_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Its version.
    pub version: u64,
    /// The scheduling rules in force when it was booked (or last rescheduled): its cut-offs
    /// and its buffers in the teacher's calendar.
    pub rules: SchedulingRules,
}

impl From<&core_lesson::Lesson> for Lesson {
    fn from(l: &core_lesson::Lesson) -> Self {
        let (local_start, local_end) = l.local_times();
        Lesson {
            id: l.id,
            teacher_id: l.teacher_id,
            student_id: l.student_id,
            slot_id: l.slot_id,
            course_id: l.course_id,
            series_id: l.series_id,
            starts_at: l.starts_at,
            ends_at: l.ends_at,
            time_zone: l.time_zone,
            local_start,
            local_end,
            status: l.status,
            meeting_link: l.meeting_link.as_ref().map(|m| m.as_str().to_owned()),
            requested_at: l.requested_at,
            updated_at: l.updated_at,
            version: l.version,
            rules: l.rules,
        }
    }
}

/// How a series ends.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum SeriesEnd {
    /// After this many lessons (1 to 104).
    Count {
        /// How many lessons.
        count: u32,
    },
    /// With the last lesson on or before this date in the slot's zone (`"2030-06-30"`).
    Until {
        /// The last date.
        date: NaiveDate,
    },
}

/// A student's request for a recurring series of lessons from one weekly slot
/// (`booking_core::lesson::SeriesRequest`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SeriesRequest {
    /// The weekly slot.
    pub slot_id: SlotId,
    /// The student.
    pub student_id: UserId,
    /// The start of the first lesson (an occurrence of the slot).
    pub first_starts_at: Timestamp,
    /// Weeks between lessons (1 to 52).
    #[uniffi(default = 1)]
    pub every_weeks: u32,
    /// When it ends.
    pub end: SeriesEnd,
    /// All or nothing, or what is free.
    pub mode: core_lesson::SeriesMode,
}

impl From<SeriesRequest> for core_lesson::SeriesRequest {
    fn from(r: SeriesRequest) -> Self {
        let end = match r.end {
            SeriesEnd::Count { count } => core_lesson::SeriesEnd::Count(count),
            SeriesEnd::Until { date } => core_lesson::SeriesEnd::Until(date),
        };
        let SeriesRequest { slot_id, student_id, first_starts_at, every_weeks, mode, .. } = r;
        core_lesson::SeriesRequest { slot_id, student_id, first_starts_at, every_weeks, end, mode }
    }
}

/// An occurrence of a series that was not booked, and why.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SkippedOccurrence {
    /// Its date in the slot's zone.
    pub local_date: NaiveDate,
    /// Its start, if the slot offers one that day.
    pub starts_at: Option<Timestamp>,
    /// The stable code of the reason, e.g. `slot_unavailable`.
    pub reason_code: String,
    /// The reason, in words.
    pub reason: String,
}

/// A booked series.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SeriesBooking {
    /// The series.
    pub series_id: SeriesId,
    /// Its lessons, in order.
    pub lessons: Vec<Lesson>,
    /// Occurrences not booked (`BookAvailable` only).
    pub skipped: Vec<SkippedOccurrence>,
}

impl From<&core_lesson::SeriesBooking> for SeriesBooking {
    fn from(s: &core_lesson::SeriesBooking) -> Self {
        let skipped = s.skipped.iter().map(|k| SkippedOccurrence {
            local_date: k.local_date,
            starts_at: k.starts_at,
            reason_code: k.reason.code().as_str().to_owned(),
            reason: k.reason.to_string(),
        });
        SeriesBooking {
            series_id: s.series_id,
            lessons: s.lessons.iter().map(Lesson::from).collect(),
            skipped: skipped.collect(),
        }
    }
}

/// Something that happened, when, and at whose command.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Event {
    /// The kind's stable snake_case name, e.g. `booking_promoted` (for logs and outboxes).
    pub name: String,
    /// The engine clock's instant when the command was decided.
    pub occurred_at: Timestamp,
    /// Who ran the command.
    pub actor: Actor,
    /// What happened.
    pub kind: EventKind,
}

/// A core event field as the binding's field of the same name.
trait Out<T> {
    fn out(self) -> T;
}

impl<T> Out<T> for T {
    fn out(self) -> T {
        self
    }
}

macro_rules! out {
    ($($from:ty => $to:ty = |$v:ident| $convert:expr;)*) => {$(
        impl Out<$to> for $from {
            fn out(self) -> $to {
                let $v = self;
                $convert
            }
        }
    )*};
}

out! {
    Box<booking_core::GroupSession> => GroupSession = |s| GroupSession::from(&*s);
    Box<core_lesson::Lesson> => Lesson = |l| Lesson::from(&*l);
    Box<CoreTimeOff> => TimeOff = |t| TimeOff::from(&*t);
    Box<AvailabilitySlot> => AvailabilitySlot = |s| *s;
    Box<SchedulingRules> => SchedulingRules = |r| *r;
    MeetingLink => String = |m| m.as_str().to_owned();
    Option<MeetingLink> => Option<String> = |m| m.map(Out::out);
}

/// Declares [`EventKind`] (the core's kinds with the same fields, plus `Other`) and its
/// conversion from the core's, field by field: a field the core adds fails to compile here.
macro_rules! event_kinds {
    ($($(#[$vdoc:meta])* $variant:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty),* $(,)? }),* $(,)?) => {
        /// The kinds of domain events (see `booking_core::EventKind`). The fields `session_id`,
        /// `booking_id`, `student_id` and `teacher_id` name the session, booking, student and
        /// teacher the event is about.
        #[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
        #[allow(missing_docs)]
        pub enum EventKind {
            $($(#[$vdoc])* $variant { $($(#[$fdoc])* $field: $ty),* },)*
            /// An event kind added to the core after this binding was built.
            Other,
        }

        /// The core's kinds with a variant of their own, in declaration order.
        #[cfg(test)]
        const MAPPED_EVENT_KINDS: &[&str] = &[$(stringify!($variant)),*];

        impl From<booking_core::EventKind> for EventKind {
            fn from(kind: booking_core::EventKind) -> Self {
                match kind {
                    $(booking_core::EventKind::$variant { $($field),* } => EventKind::$variant { $($field: Out::out($field)),* },)*
                    _ => EventKind::Other,
                }
            }
        }
    };
}

event_kinds! {
    /// A group session was created.
    SessionCreated {
        /// The session as created.
        session: GroupSession,
    },
    /// A student got their seats straight away.
    BookingConfirmed {
        session_id: SessionId,
        booking_id: BookingId,
        student_id: UserId,
        /// Seats it takes.
        seats: u32,
    },
    /// A student joined the waitlist (`position` is 1-based).
    BookingWaitlisted {
        session_id: SessionId,
        booking_id: BookingId,
        student_id: UserId,
        /// Its 1-based place in the queue when joining.
        position: u32,
        /// Seats it waits for, as one.
        seats: u32,
    },
    /// The head of the waitlist got a freed or added seat.
    BookingPromoted {
        session_id: SessionId,
        booking_id: BookingId,
        student_id: UserId,
    },
    /// A seat booking was cancelled.
    BookingCancelled {
        session_id: SessionId,
        booking_id: BookingId,
        student_id: UserId,
        /// Its status before.
        previous_status: SeatStatus,
        /// The teacher, an admin or the system cancelled within the session's cancellation
        /// cut-off, which binds students only.
        cutoff_overridden: bool,
    },
    /// Freed seats are held for the first in line until `expires_at` (offer mode).
    SeatOffered {
        session_id: SessionId,
        /// The waitlisted booking.
        booking_id: BookingId,
        student_id: UserId,
        /// Seats held.
        seats: u32,
        /// When the offer runs out.
        expires_at: Timestamp,
    },
    /// The student took the offered seats: the booking is confirmed.
    OfferAccepted {
        session_id: SessionId,
        booking_id: BookingId,
        student_id: UserId,
    },
    /// The student turned the offer down: the booking is cancelled.
    OfferDeclined {
        session_id: SessionId,
        booking_id: BookingId,
        student_id: UserId,
    },
    /// The offer ran out unanswered: the booking left the queue.
    OfferExpired {
        session_id: SessionId,
        booking_id: BookingId,
        student_id: UserId,
    },
    /// Every seat is taken and the waitlist is off.
    SessionClosed {
        session_id: SessionId,
    },
    /// A closed session takes bookings again.
    SessionReopened {
        session_id: SessionId,
    },
    /// The number of seats changed.
    CapacityChanged {
        session_id: SessionId,
        /// Seats before.
        previous: u32,
        /// Seats now.
        capacity: u32,
    },
    /// The waitlist was turned on or off.
    WaitlistChanged {
        session_id: SessionId,
        /// Whether new students may now join the waitlist.
        enabled: bool,
    },
    /// The whole session was cancelled.
    SessionCancelled {
        session_id: SessionId,
    },
    /// Attendance of a seat booking was marked.
    AttendanceMarked {
        session_id: SessionId,
        booking_id: BookingId,
        student_id: UserId,
        /// Attended or no-show.
        status: SeatStatus,
    },
    /// A teacher published a slot.
    SlotPublished {
        /// The slot after the change.
        slot: AvailabilitySlot,
    },
    /// A slot was edited or (de)activated.
    SlotUpdated {
        /// The slot after the change.
        slot: AvailabilitySlot,
    },
    /// A lesson needing approval was requested.
    LessonRequested {
        /// The lesson.
        lesson: Lesson,
    },
    /// A lesson was booked without approval.
    LessonBooked {
        /// The lesson.
        lesson: Lesson,
    },
    /// A pending lesson was approved.
    LessonApproved {
        booking_id: BookingId,
        teacher_id: UserId,
        student_id: UserId,
        /// The link.
        meeting_link: Option<String>,
    },
    /// A pending lesson was declined.
    LessonDeclined {
        booking_id: BookingId,
        teacher_id: UserId,
        student_id: UserId,
        /// The teacher's reason, if given.
        reason: Option<String>,
    },
    /// A lesson was cancelled.
    LessonCancelled {
        booking_id: BookingId,
        teacher_id: UserId,
        student_id: UserId,
        /// Its status before.
        previous_status: LessonStatus,
        /// The teacher, an admin or the system cancelled within the cancellation cut-off,
        /// which binds students only.
        cutoff_overridden: bool,
    },
    /// A lesson moved to another occurrence of its teacher's slots; the old time is free.
    LessonRescheduled {
        /// The lesson after the move (pending again when the new time needs approval).
        lesson: Lesson,
        /// The slot it was booked from before.
        previous_slot_id: SlotId,
        /// Its start before.
        previous_starts_at: Timestamp,
        /// Its end before.
        previous_ends_at: Timestamp,
        /// The teacher, an admin or the system moved it within the reschedule cut-off.
        cutoff_overridden: bool,
    },
    /// A teacher's scheduling rules were set (for one course, or their default).
    SchedulingRulesSet {
        teacher_id: UserId,
        /// The course, or `None` for the teacher's default rules.
        course_id: Option<CourseId>,
        /// The rules now in force at that level (empty: none).
        rules: SchedulingRules,
    },
    /// A teacher took time off.
    TimeOffAdded {
        /// The time off.
        time_off: TimeOff,
    },
    /// A teacher's time off was withdrawn.
    TimeOffRemoved {
        teacher_id: UserId,
        /// The time off.
        time_off_id: TimeOffId,
    },
    /// A lesson's meeting link was set.
    MeetingLinkSet {
        booking_id: BookingId,
        /// The link.
        meeting_link: String,
    },
    /// Attendance of a lesson was marked.
    LessonAttendanceMarked {
        booking_id: BookingId,
        teacher_id: UserId,
        student_id: UserId,
        /// Attended or no-show.
        status: LessonStatus,
    },
    /// A recurring series was booked.
    SeriesBooked {
        /// The series.
        series_id: SeriesId,
        student_id: UserId,
        /// Its lessons, in order.
        lessons: Vec<BookingId>,
        /// How many occurrences were skipped.
        skipped: u32,
    },
}

impl From<&booking_core::Event> for Event {
    fn from(e: &booking_core::Event) -> Self {
        let name = e.kind.name().to_owned();
        Event { name, occurred_at: e.occurred_at, actor: e.actor.into(), kind: e.kind.clone().into() }
    }
}

/// The events of a receipt.
pub(crate) fn events_out(events: &[booking_core::Event]) -> Vec<Event> {
    events.iter().map(Event::from).collect()
}

/// What one `processExpiredOffers` call did (see `booking_core::OfferSweep`): the events of
/// every session it processed, and the sessions it could not process. A failed session is
/// unchanged and tried again by the next call; every other due session was processed.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct OfferSweep {
    /// The events of every session processed, session after session.
    pub events: Vec<Event>,
    /// The sessions that could not be processed, in the order they were tried.
    pub failures: Vec<OfferSweepFailure>,
}

/// A session an offer sweep could not process, and why: the error it failed with (not
/// thrown), as its `code` and `detail`.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct OfferSweepFailure {
    /// The session.
    pub session_id: SessionId,
    /// The error's stable code, e.g. `store_error`.
    pub code: String,
    /// The error's message.
    pub detail: String,
}

impl From<booking_core::OfferSweep> for OfferSweep {
    fn from(sweep: booking_core::OfferSweep) -> Self {
        let failures = sweep.failures.into_iter().map(|(session_id, error)| {
            let error = crate::BookingError::from(error);
            OfferSweepFailure { session_id, code: error.code().to_owned(), detail: error.detail().to_owned() }
        });
        OfferSweep { events: events_out(&sweep.events), failures: failures.collect() }
    }
}

macro_rules! receipts {
    ($($(#[$doc:meta])* $name:ident($ty:ty) from $core:ty = |$v:ident| $convert:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
        pub struct $name {
            /// The object the command is about, after the command.
            pub value: $ty,
            /// The events the command caused (on a replay: those of the first run).
            pub events: Vec<Event>,
            /// The changed aggregate's version after the command.
            pub version: u64,
            /// Whether this is a replay of an earlier run with the same request key (then
            /// nothing was changed now).
            pub replayed: bool,
        }

        impl From<booking_core::Receipt<$core>> for $name {
            fn from(receipt: booking_core::Receipt<$core>) -> Self {
                let $v = receipt.value;
                $name { value: $convert, events: events_out(&receipt.events), version: receipt.version, replayed: receipt.replayed }
            }
        }
    )*};
}

// One record per value type, since uniffi has no generics: `booking_core::Receipt<T>` (the
// Python binding's `Receipt[T]`) becomes `<T>Receipt`, with the same fields.
receipts! {
    /// What a group-session command returns (`Receipt<GroupSession>` in the core).
    GroupSessionReceipt(GroupSession) from std::sync::Arc<booking_core::GroupSession> = |s| GroupSession::from(&*s);
    /// What a seat-booking command returns (`Receipt<SeatBooking>` in the core).
    SeatBookingReceipt(SeatBooking) from SeatBooking = |b| b;
    /// What a slot command returns (`Receipt<AvailabilitySlot>` in the core).
    AvailabilitySlotReceipt(AvailabilitySlot) from AvailabilitySlot = |s| s;
    /// What a lesson command returns (`Receipt<Lesson>` in the core).
    LessonReceipt(Lesson) from std::sync::Arc<core_lesson::Lesson> = |l| Lesson::from(&*l);
    /// What cancelling a series from a lesson on returns: the cancelled lessons
    /// (`Receipt<Vec<Lesson>>` in the core).
    LessonsReceipt(Vec<Lesson>) from Vec<std::sync::Arc<core_lesson::Lesson>> = |ls| ls.iter().map(|l| Lesson::from(&**l)).collect();
    /// What booking a series returns (`Receipt<SeriesBooking>` in the core).
    SeriesBookingReceipt(SeriesBooking) from core_lesson::SeriesBooking = |s| SeriesBooking::from(&s);
    /// What setting scheduling rules returns: the rules now set at that level
    /// (`Receipt<SchedulingRules>` in the core).
    SchedulingRulesReceipt(SchedulingRules) from SchedulingRules = |r| r;
    /// What adding or removing time off returns (`Receipt<TimeOff>` in the core).
    TimeOffReceipt(TimeOff) from CoreTimeOff = |t| TimeOff::from(&t);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_event_kind_is_mapped() {
        let snake = |name: &str| {
            name.chars().enumerate().fold(String::new(), |mut out, (i, c)| {
                if c.is_uppercase() && i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
                out
            })
        };
        let mapped: std::collections::BTreeSet<String> = MAPPED_EVENT_KINDS.iter().map(|n| snake(n)).collect();
        let core: std::collections::BTreeSet<String> =
            booking_core::EventKind::NAMES.iter().map(|n| (*n).to_owned()).collect();
        assert_eq!(mapped, core, "map the new event kind in types.rs");
    }
}
