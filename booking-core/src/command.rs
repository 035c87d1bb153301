//! Commands as data, and what a successful one leaves behind: its [`Outcome`] and, under a
//! client's [`RequestKey`], its [`RequestRecord`].
//!
//! These types sit below the storage contract ([`crate::repository`] stores request records)
//! and below the engine that runs the commands; both re-export them.

use crate::{
    Actor, BookingError, BookingId, CourseId, Event, SchedulingRules, SessionId, SlotId, TimeOffId, UserId,
    availability::{AvailabilitySlot, TimeOff, TimeOffSpec},
    group::{NewGroupSession, SessionCommand},
    lesson::{LessonCommand, SeriesBooking, SeriesRequest, SlotSpec},
    state::{GroupSession, Lesson, SeatBooking},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The command table: each command once, with its fields and its route (what it contends on,
/// how it is decided, what it returns). `commands!` turns it into [`Command`] and
/// [`Command::route`]; a command without a route does not compile.
macro_rules! commands {
    ($(
        $(#[$attr:meta])*
        $name:ident { $($(#[$field_attr:meta])* $field:ident: $ty:ty),* $(,)? } => $route:expr;
    )*) => {
        /// Every command the engine runs, as data: what [`Engine::execute`](crate::Engine::execute)
        /// takes, and what a request record keeps so a reused key is recognised.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "command", rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum Command {
            $(
                $(#[$attr])*
                $name { $($(#[$field_attr])* $field: $ty,)* },
            )*
        }

        impl Command {
            /// The command's name in snake case, as serialized in its `command` tag and as the
            /// engine's `tracing` events name it.
            ///
            /// ```
            /// use booking_core::{Command, SessionId};
            /// let command = Command::CancelSession { session_id: SessionId::from_uuid(uuid::Uuid::nil()) };
            /// assert_eq!(command.name(), "cancel_session");
            /// ```
            pub fn name(&self) -> &'static str {
                match self {
                    $(Command::$name { .. } => crate::names::snake_name!($name),)*
                }
            }

            /// Where the command goes: what it contends on, how it is decided, what it returns.
            pub(crate) fn route(&self) -> Route<'_> {
                match self {
                    $(Command::$name { $($field),* } => $route,)*
                }
            }
        }
    };
}

commands! {
    /// Create a group session.
    CreateSession {
        /// What to create.
        session: NewGroupSession,
    } => Route::CreateSession(session);
    /// Book seats (or a waitlist place) for a student, all or nothing.
    BookSeat {
        /// The session.
        session_id: SessionId,
        /// The student.
        student_id: UserId,
        /// How many seats (1 when absent from a serialized command).
        #[serde(default = "crate::state::one_seat")]
        seats: u32,
    } => Route::Session(SessionOf::Id(*session_id), SessionCommand::BookSeat { student_id: *student_id, seats: *seats });
    /// Accept the seat offered to a waitlisted booking.
    AcceptOffer {
        /// The booking.
        booking_id: BookingId,
    } => Route::Session(SessionOf::Booking(*booking_id), SessionCommand::AcceptOffer { booking_id: *booking_id });
    /// Decline the seat offered to a waitlisted booking.
    DeclineOffer {
        /// The booking.
        booking_id: BookingId,
    } => Route::Session(SessionOf::Booking(*booking_id), SessionCommand::DeclineOffer { booking_id: *booking_id });
    /// Expire a session's offers that ran out and offer their seats to the next in line.
    ExpireOffers {
        /// The session.
        session_id: SessionId,
    } => Route::Session(SessionOf::Id(*session_id), SessionCommand::ExpireOffers);
    /// Cancel a booking.
    CancelBooking {
        /// The booking.
        booking_id: BookingId,
    } => Route::Session(SessionOf::Booking(*booking_id), SessionCommand::CancelBooking { booking_id: *booking_id });
    /// Set a session's number of seats.
    ChangeCapacity {
        /// The session.
        session_id: SessionId,
        /// The new number of seats.
        capacity: u32,
    } => Route::Session(SessionOf::Id(*session_id), SessionCommand::ChangeCapacity { capacity: *capacity });
    /// Turn a session's waitlist on or off.
    SetWaitlist {
        /// The session.
        session_id: SessionId,
        /// On or off.
        enabled: bool,
    } => Route::Session(SessionOf::Id(*session_id), SessionCommand::SetWaitlist { enabled: *enabled });
    /// Cancel a session and all its bookings.
    CancelSession {
        /// The session.
        session_id: SessionId,
    } => Route::Session(SessionOf::Id(*session_id), SessionCommand::CancelSession);
    /// Mark a seat booking attended (`true`) or no-show (`false`).
    MarkAttendance {
        /// The booking.
        booking_id: BookingId,
        /// Attended or not.
        attended: bool,
    } => Route::Session(
            SessionOf::Booking(*booking_id),
            SessionCommand::MarkAttendance { booking_id: *booking_id, attended: *attended },
        );
    /// Publish an availability slot for a teacher.
    PublishSlot {
        /// The teacher.
        teacher_id: UserId,
        /// The slot.
        slot: SlotSpec,
    } => Route::Lesson(LessonOf::Teacher(*teacher_id), LessonCommand::PublishSlot { slot }, Returns::NewSlot);
    /// Replace a slot's course, zone, times and active flag.
    UpdateSlot {
        /// The slot.
        slot_id: SlotId,
        /// What it becomes.
        slot: SlotSpec,
    } => Route::Lesson(
            LessonOf::SlotTeacher(*slot_id),
            LessonCommand::UpdateSlot { slot_id: *slot_id, slot },
            Returns::Slot(*slot_id),
        );
    /// Activate or deactivate a slot.
    SetSlotActive {
        /// The slot.
        slot_id: SlotId,
        /// Offered or not.
        active: bool,
    } => Route::Lesson(
            LessonOf::SlotTeacher(*slot_id),
            LessonCommand::SetSlotActive { slot_id: *slot_id, active: *active },
            Returns::Slot(*slot_id),
        );
    /// Book one occurrence of a slot.
    BookLesson {
        /// The slot.
        slot_id: SlotId,
        /// The occurrence's start.
        starts_at: DateTime<Utc>,
        /// The student.
        student_id: UserId,
    } => Route::Lesson(
            LessonOf::Booking { slot_id: *slot_id, student_id: *student_id },
            LessonCommand::BookLesson { slot_id: *slot_id, starts_at: *starts_at, student_id: *student_id },
            Returns::NewLesson,
        );
    /// Book a recurring series.
    BookSeries {
        /// What to book.
        series: SeriesRequest,
    } => Route::Lesson(
            LessonOf::Booking { slot_id: series.slot_id, student_id: series.student_id },
            LessonCommand::BookSeries { series },
            Returns::Series,
        );
    /// Approve a pending lesson (and the rest of its series).
    ApproveLesson {
        /// The lesson.
        booking_id: BookingId,
        /// The meeting link to set, if any.
        meeting_link: Option<String>,
    } => Route::Lesson(
            LessonOf::Lesson { id: *booking_id, series: true, courses: Courses::OfPending },
            LessonCommand::Approve { meeting_link: meeting_link.as_deref() },
            Returns::Lesson(*booking_id),
        );
    /// Decline a pending lesson (and the rest of its series).
    DeclineLesson {
        /// The lesson.
        booking_id: BookingId,
        /// The teacher's reason, if any: multi-line text (see [`crate::text`]).
        reason: Option<String>,
    } => Route::Lesson(
            LessonOf::Lesson { id: *booking_id, series: true, courses: Courses::None },
            LessonCommand::Decline { reason: reason.as_deref() },
            Returns::Lesson(*booking_id),
        );
    /// Cancel a lesson, or a lesson and every later one of its series.
    CancelLesson {
        /// The lesson.
        booking_id: BookingId,
        /// Also cancel the later lessons of its series.
        and_later_in_series: bool,
    } => Route::Lesson(
            LessonOf::Lesson { id: *booking_id, series: *and_later_in_series, courses: Courses::None },
            LessonCommand::Cancel,
            if *and_later_in_series { Returns::Lessons } else { Returns::Lesson(*booking_id) },
        );
    /// Set a lesson's meeting link.
    SetMeetingLink {
        /// The lesson.
        booking_id: BookingId,
        /// The link.
        meeting_link: String,
    } => Route::Lesson(
            LessonOf::LessonAlone(*booking_id),
            LessonCommand::SetMeetingLink { meeting_link },
            Returns::Lesson(*booking_id),
        );
    /// Mark a lesson attended (`true`) or no-show (`false`).
    MarkLessonAttendance {
        /// The lesson.
        booking_id: BookingId,
        /// Attended or not.
        attended: bool,
    } => Route::Lesson(
            LessonOf::LessonAlone(*booking_id),
            LessonCommand::MarkAttendance { attended: *attended },
            Returns::Lesson(*booking_id),
        );
    /// Move a lesson to another occurrence of its teacher's slots.
    RescheduleLesson {
        /// The lesson.
        booking_id: BookingId,
        /// The slot of the new occurrence.
        slot_id: SlotId,
        /// The new occurrence's start.
        starts_at: DateTime<Utc>,
    } => Route::Lesson(
            LessonOf::Lesson { id: *booking_id, series: false, courses: Courses::OfSlot(*slot_id) },
            LessonCommand::Reschedule { slot_id: *slot_id, starts_at: *starts_at },
            Returns::Lesson(*booking_id),
        );
    /// Set a teacher's scheduling rules, for one course or as their default.
    SetSchedulingRules {
        /// The teacher.
        teacher_id: UserId,
        /// The course, or `None` for the teacher's default rules.
        course_id: Option<CourseId>,
        /// The rules (empty: remove them).
        rules: SchedulingRules,
    } => Route::Lesson(
            LessonOf::Teacher(*teacher_id),
            LessonCommand::SetSchedulingRules { course_id: *course_id, rules },
            Returns::Rules(*course_id),
        );
    /// Take time off.
    AddTimeOff {
        /// The teacher.
        teacher_id: UserId,
        /// The days.
        time_off: TimeOffSpec,
    } => Route::Lesson(LessonOf::Teacher(*teacher_id), LessonCommand::AddTimeOff { time_off }, Returns::NewTimeOff);
    /// Withdraw time off.
    RemoveTimeOff {
        /// The teacher.
        teacher_id: UserId,
        /// The time off.
        time_off_id: TimeOffId,
    } => Route::Lesson(
            LessonOf::Teacher(*teacher_id),
            LessonCommand::RemoveTimeOff { time_off_id: *time_off_id },
            Returns::RemovedTimeOff(*time_off_id),
        );
}

/// Where a command goes ([`Command::route`]): what it contends on, what the engine loads, which
/// aggregate decides it, and what it returns.
#[derive(Clone, Debug)]
pub(crate) enum Route<'a> {
    /// A new group session, which takes its time in the teacher's calendar.
    CreateSession(&'a NewGroupSession),
    /// A command on a group session, decided by [`crate::group::decide`].
    Session(SessionOf, SessionCommand),
    /// A command on a teacher's calendar or on lessons, decided by [`crate::lesson::decide`].
    Lesson(LessonOf, LessonCommand<'a>, Returns),
}

/// The group session a command is on.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SessionOf {
    /// By its id.
    Id(SessionId),
    /// The session holding this seat booking (live, or finished in the booking history).
    Booking(BookingId),
}

/// What a lesson command is decided on.
#[derive(Clone, Copy, Debug)]
pub(crate) enum LessonOf {
    /// The teacher's calendar.
    Teacher(UserId),
    /// The calendar of the slot's teacher.
    SlotTeacher(SlotId),
    /// A booking: the slot's teacher's calendar, the student's calendar, and the host's word on
    /// the slot's course.
    Booking {
        /// The slot.
        slot_id: SlotId,
        /// The student.
        student_id: UserId,
    },
    /// The lesson alone.
    LessonAlone(BookingId),
    /// The lesson with its teacher's and its student's calendars.
    Lesson {
        /// The lesson.
        id: BookingId,
        /// Whether the active lessons of its series come along.
        series: bool,
        /// Which courses the host's word is needed on.
        courses: Courses,
    },
}

/// The courses a lesson command needs the host's word on.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Courses {
    /// None.
    None,
    /// The course of each pending lesson's slot (the lesson and its series).
    OfPending,
    /// The course of this slot of the lesson's teacher.
    OfSlot(SlotId),
}

/// What a lesson command returns.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Returns {
    /// The slot the command creates (its id is the context's fresh id).
    NewSlot,
    /// This slot.
    Slot(SlotId),
    /// The lesson the command creates (its id is the context's fresh id).
    NewLesson,
    /// This lesson.
    Lesson(BookingId),
    /// The lessons decided.
    Lessons,
    /// The series booked.
    Series,
    /// The rules now set at this level of the teacher's calendar (a course, or the default).
    Rules(Option<CourseId>),
    /// The time off the command adds (its id is the context's fresh id).
    NewTimeOff,
    /// This time off, as it was before its removal.
    RemovedTimeOff(TimeOffId),
}

/// A typed command's value, narrowed from the [`OutcomeValue`] it returns (`None`: the outcome
/// does not match the command, which only a tampered request record causes).
pub(crate) trait FromOutcome: Sized {
    /// The value, if the outcome holds one of this type.
    fn from_outcome(value: OutcomeValue) -> Option<Self>;
}

macro_rules! from_outcome {
    ($($ty:ty => $variant:ident { $field:ident } $(($unwrap:tt))?;)*) => {$(
        impl FromOutcome for $ty {
            fn from_outcome(value: OutcomeValue) -> Option<Self> {
                match value {
                    OutcomeValue::$variant { $field } => Some($($unwrap)? $field),
                    _ => None,
                }
            }
        }
    )*};
}

from_outcome! {
    Arc<GroupSession> => Session { session };
    SeatBooking => SeatBooking { booking };
    AvailabilitySlot => Slot { slot } (*);
    Arc<Lesson> => Lesson { lesson };
    Vec<Arc<Lesson>> => Lessons { lessons };
    SeriesBooking => Series { series };
    SchedulingRules => Rules { rules };
    TimeOff => TimeOff { time_off };
}

/// Longest request key, in bytes.
pub const MAX_REQUEST_KEY_LEN: usize = 255;

/// A client-chosen key that makes a command idempotent: the same actor sending the same
/// command with the same key gets the first outcome again, and nothing changes.
///
/// ```
/// use booking_core::RequestKey;
/// assert!(RequestKey::new("7f6c1d8e-retry").is_ok());
/// assert_eq!(RequestKey::new("").unwrap_err().code().as_str(), "invalid_input");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RequestKey(String);

impl RequestKey {
    /// Validates a key: 1 to 255 bytes, no control characters.
    pub fn new(key: impl Into<String>) -> Result<Self, BookingError> {
        let key = key.into();
        if key.is_empty() || key.len() > MAX_REQUEST_KEY_LEN {
            return Err(BookingError::invalid("request_key", format!("must be 1 to {MAX_REQUEST_KEY_LEN} bytes")));
        }
        if key.chars().any(char::is_control) {
            return Err(BookingError::invalid("request_key", "must not contain control characters"));
        }
        Ok(Self(key))
    }

    /// The key as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RequestKey {
    type Error = BookingError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<RequestKey> for String {
    fn from(key: RequestKey) -> Self {
        key.0
    }
}

/// What a successful command produced, as returned and as recorded for replays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The object the command is about, after the command.
    pub value: OutcomeValue,
    /// The events it caused, in order.
    pub events: Vec<Event>,
    /// The version of the changed aggregate after the command (the session's, for group
    /// commands). Versions of one aggregate are consecutive, so they order its events.
    pub version: u64,
}

/// The object a command is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutcomeValue {
    /// A group session (session commands).
    Session {
        /// The session after the command.
        session: Arc<GroupSession>,
    },
    /// A seat booking (booking commands).
    SeatBooking {
        /// The booking after the command.
        booking: SeatBooking,
    },
    /// An availability slot (slot commands).
    Slot {
        /// The slot after the command (boxed, as in the slot events).
        slot: Box<AvailabilitySlot>,
    },
    /// A 1:1 lesson (lesson commands).
    Lesson {
        /// The lesson after the command.
        lesson: Arc<Lesson>,
    },
    /// Several lessons (cancelling a series from one lesson on).
    Lessons {
        /// The lessons after the command.
        lessons: Vec<Arc<Lesson>>,
    },
    /// A booked series.
    Series {
        /// The series.
        series: SeriesBooking,
    },
    /// Scheduling rules (setting a teacher's rules).
    Rules {
        /// The rules now in force at the level that was set.
        rules: SchedulingRules,
    },
    /// A teacher's time off (adding or removing it).
    TimeOff {
        /// The time off.
        time_off: TimeOff,
    },
}

/// A command that succeeded under a request key, kept so a retry gets the same outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Who sent it; keys are scoped to their actor.
    pub actor: Actor,
    /// The key.
    pub key: RequestKey,
    /// The command, so a key reused for something else is recognised.
    pub command: Command,
    /// What it produced.
    pub outcome: Outcome,
    /// When it was decided.
    pub recorded_at: DateTime<Utc>,
}

/// The typed commands: one line per [`Engine`](crate::Engine) method that runs a [`Command`],
/// with its documentation, its arguments, what its receipt holds and the command it builds.
///
/// `typed_commands!(callback tokens...)` calls `callback!` with the tokens, then the table, each
/// entry written
/// `/// docs  fn name(argument: Type, ...) -> Value = CommandVariant { fields };`, with every
/// type spelled in full so the table reads the same in any crate; `argument: Type = default`
/// marks an argument a binding may leave out (the Rust method takes it all the same). The engine makes its typed
/// methods from it (`name(request, arguments...) -> Result<Receipt<Value>, BookingError>`), and
/// the Python, Kotlin and Swift bindings make theirs, so a command added here reaches every
/// language without another list to keep.
///
/// ```
/// macro_rules! names {
///     ($(
///         $(#[$doc:meta])*
///         fn $name:ident($($arg:ident: $ty:ty $(= $default:expr)?),*) -> $value:ty = $variant:ident { $($init:tt)* };
///     )*) => {
///         [$(stringify!($name)),*]
///     };
/// }
/// let names = booking_core::typed_commands!(names);
/// assert!(names.contains(&"book_seat") && names.contains(&"reschedule_lesson"));
/// ```
#[macro_export]
macro_rules! typed_commands {
    ($callback:ident $($before:tt)*) => {
        $callback! {
            $($before)*
            /// Creates a group session; checked by the group rules (`booking_core::group`).
            fn create_session(session: $crate::NewGroupSession) -> ::std::sync::Arc<$crate::GroupSession>
                = CreateSession { session };
            /// Books a seat for `student_id`: confirmed if a seat is free and nobody waits,
            /// waitlisted if not and the waitlist is on, else `session_full`.
            fn book_seat(session_id: $crate::SessionId, student_id: $crate::UserId) -> $crate::SeatBooking
                = BookSeat { session_id, student_id, seats: 1 };
            /// Books `seats` seats in one booking (a parent booking for two children), all or
            /// nothing: confirmed if that many seats are free and nobody waits, else waitlisted as
            /// one (when the waitlist is on), else `session_full`. A waiting booking
            /// is served only when all its seats are free; nobody behind it jumps the queue. In a
            /// session of a course the student must be enrolled in it
            /// (`not_enrolled`). One booking takes at most the session's seats per
            /// booking, 1 unless the teacher set more (`limit_reached`; see
            /// `booking_core::rules`).
            fn book_seats(session_id: $crate::SessionId, student_id: $crate::UserId, seats: u32) -> $crate::SeatBooking
                = BookSeat { session_id, student_id, seats };
            /// Accepts the seat offered to a waitlisted booking (offer mode): it is confirmed.
            /// An offer that ran out is refused with `offer_expired`; in a session
            /// of a course, one whose student is no longer enrolled with
            /// `not_enrolled`.
            fn accept_offer(booking_id: $crate::BookingId) -> $crate::SeatBooking = AcceptOffer { booking_id };
            /// Declines the seat offered to a waitlisted booking: the booking is cancelled and the
            /// seat is offered to the next in line.
            fn decline_offer(booking_id: $crate::BookingId) -> $crate::SeatBooking = DeclineOffer { booking_id };
            /// Cancels a confirmed, waitlisted or offered booking; a freed seat goes to the head
            /// of the waitlist in the same atomic step (promoted, or offered in offer mode). A
            /// student may not cancel a confirmed seat within the session's cancellation cut-off
            /// (`cutoff_passed`); the teacher or an admin may, and the event says
            /// so.
            fn cancel_booking(booking_id: $crate::BookingId) -> $crate::SeatBooking = CancelBooking { booking_id };
            /// Sets the number of seats; waitlisted students are promoted into added seats (or
            /// offered them, in offer mode), in order.
            fn change_capacity(session_id: $crate::SessionId, capacity: u32) -> ::std::sync::Arc<$crate::GroupSession>
                = ChangeCapacity { session_id, capacity };
            /// Turns the waitlist on or off (see the group rules, `booking_core::group`).
            fn set_waitlist(session_id: $crate::SessionId, enabled: bool) -> ::std::sync::Arc<$crate::GroupSession>
                = SetWaitlist { session_id, enabled };
            /// Cancels the session and every active booking in it (one event each).
            fn cancel_session(session_id: $crate::SessionId) -> ::std::sync::Arc<$crate::GroupSession>
                = CancelSession { session_id };
            /// Marks a confirmed booking attended or no-show, from the session's start on.
            fn mark_attendance(booking_id: $crate::BookingId, attended: bool) -> $crate::SeatBooking
                = MarkAttendance { booking_id, attended };
            /// Publishes an availability slot for `teacher_id`.
            fn publish_slot(teacher_id: $crate::UserId, slot: $crate::lesson::SlotSpec)
                -> $crate::availability::AvailabilitySlot = PublishSlot { teacher_id, slot };
            /// Replaces a slot's course, zone, times and active flag; booked lessons keep their
            /// time.
            fn update_slot(slot_id: $crate::SlotId, slot: $crate::lesson::SlotSpec)
                -> $crate::availability::AvailabilitySlot = UpdateSlot { slot_id, slot };
            /// Activates or deactivates a slot; booked lessons keep their time.
            fn set_slot_active(slot_id: $crate::SlotId, active: bool) -> $crate::availability::AvailabilitySlot
                = SetSlotActive { slot_id, active };
            /// Books the occurrence of `slot_id` starting at `starts_at` for `student_id`:
            /// confirmed, or pending when the course needs approval.
            fn book_lesson(
                slot_id: $crate::SlotId,
                starts_at: ::chrono::DateTime<::chrono::Utc>,
                student_id: $crate::UserId
            ) -> ::std::sync::Arc<$crate::lesson::Lesson> = BookLesson { slot_id, starts_at, student_id };
            /// Books a recurring series of lessons; see `SeriesRequest`.
            fn book_series(series: $crate::lesson::SeriesRequest) -> $crate::lesson::SeriesBooking
                = BookSeries { series };
            /// Approves a pending lesson (and the rest of its series), optionally setting the
            /// meeting link; returns the lesson.
            fn approve_lesson(booking_id: $crate::BookingId, meeting_link: ::std::option::Option<::std::string::String> = None)
                -> ::std::sync::Arc<$crate::lesson::Lesson> = ApproveLesson { booking_id, meeting_link };
            /// Declines a pending lesson (and the rest of its series); its time is free again.
            fn decline_lesson(booking_id: $crate::BookingId, reason: ::std::option::Option<::std::string::String> = None)
                -> ::std::sync::Arc<$crate::lesson::Lesson> = DeclineLesson { booking_id, reason };
            /// Cancels one lesson before its start; its time is free again.
            fn cancel_lesson(booking_id: $crate::BookingId) -> ::std::sync::Arc<$crate::lesson::Lesson>
                = CancelLesson { booking_id, and_later_in_series: false };
            /// Cancels a lesson of a series and every later active lesson of that series.
            fn cancel_series_from(booking_id: $crate::BookingId)
                -> ::std::vec::Vec<::std::sync::Arc<$crate::lesson::Lesson>>
                = CancelLesson { booking_id, and_later_in_series: true };
            /// Sets or replaces an active lesson's meeting link.
            fn set_meeting_link(booking_id: $crate::BookingId, meeting_link: ::std::string::String)
                -> ::std::sync::Arc<$crate::lesson::Lesson> = SetMeetingLink { booking_id, meeting_link };
            /// Marks a confirmed lesson attended or no-show, from its start on.
            fn mark_lesson_attendance(booking_id: $crate::BookingId, attended: bool)
                -> ::std::sync::Arc<$crate::lesson::Lesson> = MarkLessonAttendance { booking_id, attended };
            /// Moves a lesson (one lesson of a series, too) to the occurrence of `slot_id` (one
            /// of the same teacher's slots) starting at `starts_at`, atomically: the new time is
            /// taken and the old one freed, or nothing changes. The new time is checked like a
            /// new booking (booking window, buffers, limits, time off, enrollment, overlaps);
            /// when the new slot's course needs approval and a student moves the lesson, it is
            /// pending again. A student may not move it within the reschedule cut-off, or within
            /// the cancellation cut-off when the lesson's rules set no reschedule cut-off; the
            /// teacher or an admin may, and the event says so.
            fn reschedule_lesson(
                booking_id: $crate::BookingId,
                slot_id: $crate::SlotId,
                starts_at: ::chrono::DateTime<::chrono::Utc>
            ) -> ::std::sync::Arc<$crate::lesson::Lesson> = RescheduleLesson { booking_id, slot_id, starts_at };
            /// Sets a teacher's scheduling rules for `course_id`, or their default rules when
            /// `None`; empty rules remove that level. Returns the rules now set at that level.
            /// See `booking_core::rules` for the precedence.
            fn set_scheduling_rules(
                teacher_id: $crate::UserId,
                course_id: ::std::option::Option<$crate::CourseId>,
                rules: $crate::SchedulingRules
            ) -> $crate::SchedulingRules = SetSchedulingRules { teacher_id, course_id, rules };
            /// Takes time off for a teacher: their slots offer nothing on those days. Lessons
            /// already booked then are kept.
            fn add_time_off(teacher_id: $crate::UserId, time_off: $crate::availability::TimeOffSpec)
                -> $crate::availability::TimeOff = AddTimeOff { teacher_id, time_off };
            /// Withdraws a teacher's time off; returns it. `time_off_not_found` if the teacher's
            /// calendar holds no time off with this id (also when it was already withdrawn).
            fn remove_time_off(teacher_id: $crate::UserId, time_off_id: $crate::TimeOffId)
                -> $crate::availability::TimeOff = RemoveTimeOff { teacher_id, time_off_id };
        }
    };
}
