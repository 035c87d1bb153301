//! The engine object: a facade over `booking_core::Engine` that converts arguments, calls the
//! core, and converts the result. It decides nothing itself.

use crate::error::{BookingError, guard};
use crate::stores::{DocumentStore, InMemoryStore, SqliteStore, foreign_repository};
use crate::types::{
    GroupSessionReceipt, LessonReceipt, LessonsReceipt, OfferSweep, SeatBookingReceipt, SeriesBookingReceipt,
    TimeOffReceipt, request_in,
};
use booking_core::availability::{AvailabilitySlot, TimeOff, TimeOffSpec};
use booking_core::lesson::{BookableOccurrence, Lesson, OccurrenceQuery, SeriesRequest, SlotSpec};
use booking_core::read::SessionSummary;
use booking_core::uniffi_support::Timestamp;
use booking_core::{
    Actor, BookingAvailability, BookingId, CourseId, GroupSession, NewGroupSession, Repository, SchedulingRules,
    SeatBooking, SessionId, SlotId, TimeOffId, UserId,
};
use std::sync::Arc;
use std::time::Duration;

/// A clock that only moves when told to, for tests and replays (`booking_core::ManualClock`).
/// Pass it to an engine's constructor; without one an engine reads the system clock.
#[derive(Debug, uniffi::Object)]
pub struct ManualClock {
    inner: Arc<booking_core::ManualClock>,
}

#[uniffi::export]
impl ManualClock {
    /// A clock showing `now`.
    #[uniffi::constructor]
    pub fn new(now: Timestamp) -> Result<Arc<Self>, BookingError> {
        Ok(Arc::new(Self { inner: Arc::new(booking_core::ManualClock::new(now)) }))
    }

    /// The instant it shows.
    pub fn now(&self) -> Timestamp {
        use booking_core::Clock;
        self.inner.now()
    }

    /// Moves it to `now` (backwards too).
    pub fn set(&self, now: Timestamp) -> Result<(), BookingError> {
        self.inner.set(now);
        Ok(())
    }

    /// Moves it forward by `delta`. `InvalidInput` (and the clock unchanged) if that would
    /// move it past the last instant the engine can represent.
    pub fn advance(&self, delta: Duration) -> Result<(), BookingError> {
        use booking_core::Clock;
        guard(|| {
            let out_of_range = || booking_core::BookingError::invalid("delta", format!("{delta:?} is out of range"));
            let delta = chrono::TimeDelta::from_std(delta).map_err(|_| out_of_range())?;
            if self.inner.now().checked_add_signed(delta).is_none() {
                return Err(out_of_range());
            }
            self.inner.advance(delta);
            Ok(())
        })
    }
}

/// The `UID` domain and `PRODID` of an engine's calendar exports
/// (`booking_core::ical::IcalOptions`), checked when made. Pass it to an engine's constructor
/// as `ical`; without one the exports use `booking-engine` and the engine's own `PRODID`.
#[derive(Debug, uniffi::Object)]
pub struct IcalOptions {
    inner: booking_core::ical::IcalOptions,
}

#[uniffi::export]
impl IcalOptions {
    /// Options with `uid_domain` (the part of every `UID` after the `@`; keep it once chosen,
    /// since a new one makes calendar apps see new events) and, optionally, `prodid`.
    /// `InvalidInput` for a domain with whitespace, `@` or a control character, or a blank
    /// `PRODID`.
    #[uniffi::constructor(default(prodid = None))]
    pub fn new(uid_domain: String, prodid: Option<String>) -> Result<Arc<Self>, BookingError> {
        guard(|| {
            let mut options = booking_core::ical::IcalOptions::default().uid_domain(uid_domain);
            if let Some(prodid) = prodid {
                options = options.prodid(prodid);
            }
            Ok(Arc::new(Self { inner: options.validated()? }))
        })
    }

    /// The domain of the `UID`s.
    pub fn uid_domain(&self) -> String {
        self.inner.uid_domain.clone()
    }

    /// The `PRODID`.
    pub fn prodid(&self) -> String {
        self.inner.prodid.clone()
    }
}

/// Produces meeting links for lessons as they are confirmed without one (a video-call
/// integration, say), implemented in Kotlin or Swift. It may be called more than once for one
/// lesson (a command decided again after losing a race), so derive the link from the lesson's
/// id. Returning `null`/`nil` leaves the link unset; so does throwing (the lesson is confirmed
/// without a link, to be set later with `setMeetingLink`).
#[uniffi::export(foreign)]
pub trait MeetingLinkGenerator: Send + Sync {
    /// The link for `lesson` (an http(s) URL), or none.
    fn meeting_link(&self, lesson: Lesson) -> Result<Option<String>, MeetingLinkError>;
}

/// What a [`MeetingLinkGenerator`] throws when it cannot make a link (Kotlin:
/// `MeetingLinkException`); any other exception it lets escape arrives as `Unavailable` too.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum MeetingLinkError {
    /// No link now.
    #[error("no meeting link: {detail}")]
    Unavailable {
        /// Why, in words.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for MeetingLinkError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        MeetingLinkError::Unavailable { detail: e.reason }
    }
}

/// Adapts a foreign [`MeetingLinkGenerator`] to the core's trait: an error, or a panic while
/// lifting what the generator returned, means "no link".
struct ForeignLinks(Arc<dyn MeetingLinkGenerator>);

impl booking_core::lesson::MeetingLinkGenerator for ForeignLinks {
    fn meeting_link(&self, lesson: &booking_core::lesson::Lesson) -> Option<String> {
        let lesson = lesson.clone();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.0.meeting_link(lesson)))
            .ok()
            .and_then(Result::ok)
            .flatten()
    }
}

type CoreEngine = booking_core::Engine<Arc<dyn Repository>>;

/// The booking engine over one store (`booking_core::Engine`). Thread-safe: share one per
/// store and call it from any thread. Every command takes the acting [`Actor`] first and an
/// optional idempotency `key` last (the core's `Request::key`; a retry with the same actor and
/// key returns the first outcome with `replayed = true` instead of running again).
#[derive(uniffi::Object)]
pub struct Engine {
    inner: CoreEngine,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

/// The engine options every constructor takes.
struct Options {
    clock: Option<Arc<ManualClock>>,
    max_attempts: Option<u32>,
    meeting_links: Option<Arc<dyn MeetingLinkGenerator>>,
    ical: Option<Arc<IcalOptions>>,
}

impl Engine {
    fn over(repository: Arc<dyn Repository>, options: Options) -> Arc<Self> {
        let Options { clock, max_attempts, meeting_links, ical } = options;
        let mut engine = booking_core::Engine::new(repository);
        if let Some(links) = meeting_links {
            engine = engine.with_meeting_links(ForeignLinks(links));
        }
        if let Some(clock) = clock {
            engine = engine.with_clock(Arc::clone(&clock.inner));
        }
        if let Some(attempts) = max_attempts {
            engine = engine.with_max_attempts(attempts);
        }
        if let Some(ical) = ical {
            engine = engine.with_ical_options(ical.inner.clone());
        }
        Arc::new(Self { inner: engine })
    }

    /// The core engine, for Rust callers (benchmarks, tests).
    pub fn core(&self) -> &booking_core::Engine<Arc<dyn Repository>> {
        &self.inner
    }
}

#[uniffi::export]
impl Engine {
    /// An engine over an in-memory store. Options: `clock`, a manual clock (default: the
    /// system's); `max_attempts`, how often a command is decided again after losing a race
    /// (default 200); `meeting_links`, a generator of links for lessons confirmed without one;
    /// `ical`, the `UID` domain and `PRODID` of the calendar exports.
    #[uniffi::constructor(default(clock = None, max_attempts = None, meeting_links = None, ical = None))]
    pub fn in_memory(
        store: Arc<InMemoryStore>,
        clock: Option<Arc<ManualClock>>,
        max_attempts: Option<u32>,
        meeting_links: Option<Arc<dyn MeetingLinkGenerator>>,
        ical: Option<Arc<IcalOptions>>,
    ) -> Arc<Self> {
        Self::over(store.repository(), Options { clock, max_attempts, meeting_links, ical })
    }

    /// An engine over a SQLite store (options as for [`Engine::in_memory`]).
    #[uniffi::constructor(default(clock = None, max_attempts = None, meeting_links = None, ical = None))]
    pub fn sqlite(
        store: Arc<SqliteStore>,
        clock: Option<Arc<ManualClock>>,
        max_attempts: Option<u32>,
        meeting_links: Option<Arc<dyn MeetingLinkGenerator>>,
        ical: Option<Arc<IcalOptions>>,
    ) -> Arc<Self> {
        Self::over(store.repository(), Options { clock, max_attempts, meeting_links, ical })
    }

    /// An engine over a store written in Kotlin or Swift (see [`DocumentStore`]; options as
    /// for [`Engine::in_memory`]).
    #[uniffi::constructor(default(clock = None, max_attempts = None, meeting_links = None, ical = None))]
    pub fn with_document_store(
        store: Arc<dyn DocumentStore>,
        clock: Option<Arc<ManualClock>>,
        max_attempts: Option<u32>,
        meeting_links: Option<Arc<dyn MeetingLinkGenerator>>,
        ical: Option<Arc<IcalOptions>>,
    ) -> Arc<Self> {
        Self::over(foreign_repository(store), Options { clock, max_attempts, meeting_links, ical })
    }

    /// The engine clock's current instant.
    pub fn now(&self) -> Timestamp {
        self.inner.now()
    }

    /// How many commands this engine ran since it was built and how they ended (committed,
    /// unchanged, replayed, refused, contention, store errors), with the store's lost races
    /// and the retries they caused. A host samples it (a metrics endpoint, a periodic log
    /// line) and takes differences between samples.
    pub fn counters(&self) -> booking_core::EngineCounters {
        self.inner.counters()
    }

    /// Expires every seat offer that ran out by `now` and offers the seats to the next in line
    /// (never after a session's start). The engine runs no threads: the host calls this
    /// periodically (every minute, say) with the current time. Each due session is processed
    /// on its own: the result holds the events of every session processed and the sessions that
    /// failed, each with its error's code and detail (a failed session is unchanged and tried
    /// again by the next call). Throws only when the store cannot say which sessions are due.
    /// Any other command on a session also expires its due offers first, so a late call never
    /// lets an expired offer be accepted.
    pub fn process_expired_offers(&self, now: Timestamp) -> Result<OfferSweep, BookingError> {
        guard(|| Ok(self.inner.process_expired_offers(now)?.into()))
    }

    /// Operator action: deletes the request records recorded before `recorded_before`; returns
    /// how many. A retry with a deleted key is decided afresh, as a new command. Not a
    /// command: it checks no actor, so never run it on a user's behalf.
    pub fn prune_requests(&self, recorded_before: Timestamp) -> Result<u64, BookingError> {
        guard(|| self.inner.prune_requests(recorded_before))
    }

    /// The session with this id, whole (every booking with its student): for the session's
    /// teacher, an admin or the system; anyone else gets `NotAuthorized` and reads
    /// [`session_summary`](Self::session_summary).
    pub fn session(&self, actor: Actor, session_id: SessionId) -> Result<GroupSession, BookingError> {
        guard(|| Ok(Arc::unwrap_or_clone(self.inner.session(actor, session_id)?)))
    }

    /// The session as anyone may see it before booking: what it is, its seat counts and
    /// whether it takes bookings now, no student's ids but the asking student's own booking
    /// (the core's `Engine::session_summary`).
    pub fn session_summary(&self, actor: Actor, session_id: SessionId) -> Result<SessionSummary, BookingError> {
        guard(|| self.inner.session_summary(actor, session_id))
    }

    /// Whether the session takes bookings now, by the engine's clock (the core's
    /// `GroupSession::availability(now)`; any actor may ask).
    pub fn booking_availability(
        &self,
        actor: Actor,
        session_id: SessionId,
    ) -> Result<BookingAvailability, BookingError> {
        guard(|| Ok(self.inner.session_summary(actor, session_id)?.availability))
    }

    /// The seat booking with this id, for its student, the session's teacher, an admin or the
    /// system.
    pub fn seat_booking(&self, actor: Actor, booking_id: BookingId) -> Result<SeatBooking, BookingError> {
        guard(|| self.inner.seat_booking(actor, booking_id))
    }

    /// The slot with this id.
    pub fn slot(&self, slot_id: SlotId) -> Result<AvailabilitySlot, BookingError> {
        guard(|| self.inner.slot(slot_id))
    }

    /// Every slot of a teacher (active or not), in publication order; for the teacher, an
    /// admin or the system (students find free times with `list_occurrences`).
    pub fn slots(&self, actor: Actor, teacher_id: UserId) -> Result<Vec<AvailabilitySlot>, BookingError> {
        guard(|| Ok(self.inner.calendar(actor, teacher_id)?.slots.clone()))
    }

    /// The occurrences of a teacher's slots that can be booked now, in the query's window,
    /// with wall times in the teacher's and the viewer's zone.
    pub fn list_occurrences(&self, query: OccurrenceQuery) -> Result<Vec<BookableOccurrence>, BookingError> {
        guard(|| self.inner.list_occurrences(&query))
    }

    /// Approves a pending lesson (and the rest of its series), optionally setting its
    /// meeting link.
    #[uniffi::method(default(meeting_link = None, key = None))]
    pub fn approve_lesson(
        &self,
        actor: Actor,
        booking_id: BookingId,
        meeting_link: Option<String>,
        key: Option<String>,
    ) -> Result<LessonReceipt, BookingError> {
        guard(|| Ok(self.inner.approve_lesson(request_in(actor, key), booking_id, meeting_link)?.into()))
    }

    /// Declines a pending lesson (and the rest of its series); its time is free again.
    #[uniffi::method(default(reason = None, key = None))]
    pub fn decline_lesson(
        &self,
        actor: Actor,
        booking_id: BookingId,
        reason: Option<String>,
        key: Option<String>,
    ) -> Result<LessonReceipt, BookingError> {
        guard(|| Ok(self.inner.decline_lesson(request_in(actor, key), booking_id, reason)?.into()))
    }

    /// Sets or replaces an active lesson's meeting link.
    #[uniffi::method(default(key = None))]
    pub fn set_meeting_link(
        &self,
        actor: Actor,
        booking_id: BookingId,
        meeting_link: String,
        key: Option<String>,
    ) -> Result<LessonReceipt, BookingError> {
        guard(|| Ok(self.inner.set_meeting_link(request_in(actor, key), booking_id, meeting_link)?.into()))
    }

    /// The rules in force for a teacher's bookings in `course_id` (`None`: outside any course):
    /// their rules for the course over their default rules, field by field (the core's
    /// `Calendar::rules_for_course`). A slot's own rules win over these. For the teacher, an
    /// admin or the system.
    pub fn rules_for_course(
        &self,
        actor: Actor,
        teacher_id: UserId,
        course_id: Option<CourseId>,
    ) -> Result<SchedulingRules, BookingError> {
        guard(|| Ok(self.inner.calendar(actor, teacher_id)?.rules_for_course(course_id)))
    }

    /// A teacher's time off, by first day; for the teacher, an admin or the system.
    pub fn time_off(&self, actor: Actor, teacher_id: UserId) -> Result<Vec<TimeOff>, BookingError> {
        guard(|| Ok(self.inner.calendar(actor, teacher_id)?.time_off.clone()))
    }

    // ----- iCalendar export (RFC 5545) ----------------------------------------------------------

    /// A group session as an iCalendar file (one `VEVENT`, UID `session-<id>@booking-engine`,
    /// `SEQUENCE` growing with every change, `STATUS` confirmed or cancelled); `DTSTAMP` is the
    /// engine clock's now (`booking_core::ical`). For whoever may read the whole session.
    pub fn session_ical(&self, actor: Actor, session_id: SessionId) -> Result<String, BookingError> {
        guard(|| self.inner.session_ical(actor, session_id))
    }

    /// One booking as an iCalendar file: a seat booking as its student sees the session (UID
    /// `booking-<id>@booking-engine`), or a 1:1 lesson (the same UID form, kept when the lesson
    /// is rescheduled, with a higher `SEQUENCE`, so calendar apps move the event). For the
    /// booking's student, its teacher, an admin or the system.
    pub fn booking_ical(&self, actor: Actor, booking_id: BookingId) -> Result<String, BookingError> {
        guard(|| self.inner.booking_ical(actor, booking_id))
    }

    /// Several 1:1 lessons in one iCalendar file, one `VEVENT` each (a series: pass its lesson
    /// ids); duplicates are exported once, and an empty list is `invalid_input`. Each lesson
    /// must be one `actor` may read.
    pub fn lessons_ical(&self, actor: Actor, booking_ids: Vec<BookingId>) -> Result<String, BookingError> {
        guard(|| self.inner.lessons_ical(actor, &booking_ids))
    }

    /// The lesson with this id, for its student, its teacher, an admin or the system.
    pub fn lesson(&self, actor: Actor, booking_id: BookingId) -> Result<Lesson, BookingError> {
        guard(|| Ok(Arc::unwrap_or_clone(self.inner.lesson(actor, booking_id)?)))
    }

    /// The active (pending or confirmed) lessons of a teacher or student, by start. (A
    /// calendar keeps a lesson's hold for a few days after it ends, for the per-day and
    /// per-week limits; lessons marked attended or no-show are left out here.) For that
    /// person, an admin or the system.
    pub fn active_lessons(&self, actor: Actor, user_id: UserId) -> Result<Vec<Lesson>, BookingError> {
        guard(|| {
            let calendar = self.inner.calendar(actor, user_id)?;
            let mut lessons = Vec::with_capacity(calendar.holds.len());
            for hold in &calendar.holds {
                let lesson = self.inner.lesson(actor, hold.booking_id)?;
                if lesson.status.is_active() {
                    lessons.push(Arc::unwrap_or_clone(lesson));
                }
            }
            lessons.sort_by_key(|l| l.starts_at);
            Ok(lessons)
        })
    }
}

/// Declares the engine's commands: each takes the acting [`Actor`] first and an optional
/// idempotency `key` last (default `null`/`nil`), converts its arguments with `From` into the
/// core's, calls the core engine's method of the same name and converts its receipt.
macro_rules! commands {
    ($($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $receipt:ty;)*) => {
        #[uniffi::export]
        impl Engine {$(
            $(#[$doc])*
            #[uniffi::method(default(key = None))]
            #[allow(clippy::useless_conversion)]
            pub fn $name(&self, actor: Actor, $($arg: $ty,)* key: Option<String>) -> Result<$receipt, BookingError> {
                guard(|| Ok(self.inner.$name(request_in(actor, key), $($arg.into()),*)?.into()))
            }
        )*}
    };
}

commands! {
    /// Creates a group session.
    fn create_session(session: NewGroupSession) -> GroupSessionReceipt;
    /// Books a seat: confirmed if one is free, waitlisted if the session is full with its
    /// waitlist on, else `SessionFull`.
    fn book_seat(session_id: SessionId, student_id: UserId) -> SeatBookingReceipt;
    /// Books `seats` seats in one booking (a parent booking for two children), all or
    /// nothing: confirmed if that many seats are free and nobody waits, else waitlisted as one
    /// (when the waitlist is on), else `SessionFull`. A waiting booking is served only when all
    /// its seats are free; nobody behind it jumps the queue.
    fn book_seats(session_id: SessionId, student_id: UserId, seats: u32) -> SeatBookingReceipt;
    /// Accepts the seats offered to a waitlisted booking (offer mode): it is confirmed. An
    /// offer that ran out is refused with `OfferExpired`.
    fn accept_offer(booking_id: BookingId) -> SeatBookingReceipt;
    /// Declines the seats offered to a waitlisted booking: the booking is cancelled and the
    /// seats are offered to the next in line.
    fn decline_offer(booking_id: BookingId) -> SeatBookingReceipt;
    /// Cancels a seat booking; freed seats go to the head of the waitlist in the same step
    /// (promoted, or offered in offer mode). A student may not give up a confirmed seat within
    /// the session's cancellation cut-off (`CutoffPassed`); the teacher or an admin may, and
    /// the `BookingCancelled` event says so (`cutoffOverridden`).
    fn cancel_booking(booking_id: BookingId) -> SeatBookingReceipt;
    /// Sets the number of seats; waitlisted students are served into added seats, in order
    /// (promoted, or offered in offer mode).
    fn change_capacity(session_id: SessionId, capacity: u32) -> GroupSessionReceipt;
    /// Turns the waitlist on or off.
    fn set_waitlist(session_id: SessionId, enabled: bool) -> GroupSessionReceipt;
    /// Cancels the session and every active booking in it.
    fn cancel_session(session_id: SessionId) -> GroupSessionReceipt;
    /// Marks a confirmed seat booking attended (`true`) or no-show, from the session's start on.
    fn mark_attendance(booking_id: BookingId, attended: bool) -> SeatBookingReceipt;
    /// Publishes an availability slot for `teacher_id`.
    fn publish_slot(teacher_id: UserId, slot: SlotSpec) -> crate::types::AvailabilitySlotReceipt;
    /// Replaces a slot's course, zone, times and active flag; booked lessons keep their time.
    fn update_slot(slot_id: SlotId, slot: SlotSpec) -> crate::types::AvailabilitySlotReceipt;
    /// Activates or deactivates a slot; booked lessons keep their time.
    fn set_slot_active(slot_id: SlotId, active: bool) -> crate::types::AvailabilitySlotReceipt;
    /// Books the occurrence of `slot_id` starting at `starts_at`: confirmed, or pending when
    /// the course needs the teacher's approval.
    fn book_lesson(slot_id: SlotId, starts_at: Timestamp, student_id: UserId) -> LessonReceipt;
    /// Books a recurring series of lessons from a weekly slot.
    fn book_series(series: SeriesRequest) -> SeriesBookingReceipt;
    /// Cancels one lesson before its start; its time is free again.
    fn cancel_lesson(booking_id: BookingId) -> LessonReceipt;
    /// Cancels a lesson of a series and every later active lesson of that series.
    fn cancel_series_from(booking_id: BookingId) -> LessonsReceipt;
    /// Marks a confirmed lesson attended (`true`) or no-show, from its start on.
    fn mark_lesson_attendance(booking_id: BookingId, attended: bool) -> LessonReceipt;
    /// Moves a lesson (one lesson of a series, too) to the occurrence of `slot_id` (one of the
    /// same teacher's slots) starting at `starts_at`, atomically: the new time is taken and
    /// the old one freed, or nothing changes. The new time is checked like a new booking; a
    /// student moving to a slot whose course needs approval makes it pending again. A student
    /// may not move it within the reschedule cut-off (`CutoffPassed`); the teacher or an admin
    /// may, and the `LessonRescheduled` event says so (`cutoffOverridden`).
    fn reschedule_lesson(booking_id: BookingId, slot_id: SlotId, starts_at: Timestamp) -> LessonReceipt;
    /// Sets a teacher's scheduling rules for `course_id`, or their default rules when it is
    /// `None`; empty rules remove that level. Returns the rules now set at that level.
    /// Precedence, field by field: a slot's own rules, then these for its course, then the
    /// default ones.
    fn set_scheduling_rules(teacher_id: UserId, course_id: Option<CourseId>, rules: SchedulingRules) -> crate::types::SchedulingRulesReceipt;
    /// Takes time off for a teacher: their slots offer nothing on those days (listings leave
    /// the occurrences out, bookings are refused with `OccurrenceNotOffered`). Lessons already
    /// booked then are kept.
    fn add_time_off(teacher_id: UserId, time_off: TimeOffSpec) -> TimeOffReceipt;
    /// Withdraws a teacher's time off; returns it.
    fn remove_time_off(teacher_id: UserId, time_off_id: TimeOffId) -> TimeOffReceipt;
}
