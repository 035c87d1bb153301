//! Domain events: what a command changed, returned to the host so it can notify people.
//!
//! Events are not a side channel: the engine changes state *only* by applying the events a
//! decision produced ([`GroupSession::apply`](crate::GroupSession::apply)), so the events of a
//! command describe exactly the change it made. `SessionClosed` and `SessionReopened` are the
//! exception that proves the rule: they report a change of derived state (see
//! [`GroupSession::is_closed_for_booking`](crate::GroupSession::is_closed_for_booking)) and
//! apply as no-ops.

use crate::{
    Actor, BookingId, CourseId, MeetingLink, SchedulingRules, SeriesId, SessionId, SlotId, TimeOffId, UserId,
    availability::{AvailabilitySlot, TimeOff},
    state::{GroupSession, Lesson, LessonStatus, SeatStatus},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a decision needs besides state and command: who asks, when, and a fresh id in case
/// the command creates something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionContext {
    /// Who runs the command.
    pub actor: Actor,
    /// The engine clock's instant.
    pub now: DateTime<Utc>,
    /// An unused UUID for whatever the command creates.
    pub fresh_id: uuid::Uuid,
}

impl DecisionContext {
    pub(crate) fn event(&self, kind: EventKind) -> Event {
        Event { occurred_at: self.now, actor: self.actor, kind }
    }
}

/// Something that happened, when, and at whose command.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The engine clock's instant when the command was decided.
    pub occurred_at: DateTime<Utc>,
    /// Who ran the command (a promotion caused by a cancellation names the canceller).
    pub actor: Actor,
    /// What happened.
    pub kind: EventKind,
}

/// The event kinds, each once: its documentation, its fields and their types, in the order of
/// [`EventKind::NAMES`].
///
/// `event_kinds!(callback tokens...)` calls `callback!` with the tokens, then the kinds, each
/// written `/// docs  Kind { /// docs  field: Type, ... },`. The core declares [`EventKind`] from
/// it (with [`EventKind::name`] and [`EventKind::NAMES`]), and the Python binding makes its
/// `Event` attributes from it, so a kind added here reaches every language. The types and
/// attributes are written as the core's `event` module sees them: a binding reads the names.
///
/// ```
/// macro_rules! kinds {
///     ($($(#[$doc:meta])* $kind:ident { $($(#[$field_doc:meta])* $field:ident: $ty:ty),* $(,)? },)*) => {
///         [$(stringify!($kind)),*]
///     };
/// }
/// let kinds = booking_core::event_kinds!(kinds);
/// assert_eq!(kinds.len(), booking_core::EventKind::NAMES.len());
/// ```
#[macro_export]
macro_rules! event_kinds {
    ($callback:ident $($before:tt)*) => {
        $callback! {
            $($before)*
            /// A group session was created (with no bookings).
            SessionCreated {
                /// The session as created.
                session: Box<GroupSession>,
            },
            /// A student got a seat straight away.
            BookingConfirmed {
                /// The session.
                session_id: SessionId,
                /// The new booking.
                booking_id: BookingId,
                /// The student.
                student_id: UserId,
                /// Seats it takes.
                #[serde(default = "crate::state::one_seat")]
                seats: u32,
            },
            /// A student joined the waitlist of a full session.
            BookingWaitlisted {
                /// The session.
                session_id: SessionId,
                /// The new booking.
                booking_id: BookingId,
                /// The student.
                student_id: UserId,
                /// 1-based place in the queue when joining.
                position: u32,
                /// Seats it waits for, as one.
                #[serde(default = "crate::state::one_seat")]
                seats: u32,
            },
            /// The head of the waitlist got a freed or added seat.
            BookingPromoted {
                /// The session.
                session_id: SessionId,
                /// The promoted booking.
                booking_id: BookingId,
                /// The student.
                student_id: UserId,
            },
            /// A seat booking (confirmed or waitlisted) was cancelled.
            BookingCancelled {
                /// The session.
                session_id: SessionId,
                /// The cancelled booking.
                booking_id: BookingId,
                /// The student.
                student_id: UserId,
                /// Its status before the cancellation.
                previous_status: SeatStatus,
                /// The teacher, an admin or the system cancelled within the session's cancellation
                /// cut-off, which binds students only.
                #[serde(default)]
                cutoff_overridden: bool,
            },
            /// A freed seat is held for the first in line until `expires_at` (offer mode).
            SeatOffered {
                /// The session.
                session_id: SessionId,
                /// The waitlisted booking.
                booking_id: BookingId,
                /// The student.
                student_id: UserId,
                /// Seats held.
                seats: u32,
                /// When the offer runs out.
                expires_at: DateTime<Utc>,
            },
            /// The student took the offered seat: the booking is confirmed.
            OfferAccepted {
                /// The session.
                session_id: SessionId,
                /// The booking.
                booking_id: BookingId,
                /// The student.
                student_id: UserId,
            },
            /// The student turned the offered seat down: the booking is cancelled.
            OfferDeclined {
                /// The session.
                session_id: SessionId,
                /// The booking.
                booking_id: BookingId,
                /// The student.
                student_id: UserId,
            },
            /// The offer ran out unanswered: the booking left the queue.
            OfferExpired {
                /// The session.
                session_id: SessionId,
                /// The booking.
                booking_id: BookingId,
                /// The student.
                student_id: UserId,
            },
            /// The session stopped taking bookings: every seat is taken and the waitlist is off.
            SessionClosed {
                /// The session.
                session_id: SessionId,
            },
            /// A closed session takes bookings again (a seat freed up, capacity rose, or the
            /// waitlist was turned on).
            SessionReopened {
                /// The session.
                session_id: SessionId,
            },
            /// The teacher changed the number of seats.
            CapacityChanged {
                /// The session.
                session_id: SessionId,
                /// Seats before.
                previous: u32,
                /// Seats now.
                capacity: u32,
            },
            /// The waitlist was turned on or off.
            WaitlistChanged {
                /// The session.
                session_id: SessionId,
                /// Whether new students may now join the waitlist.
                enabled: bool,
            },
            /// The whole session was cancelled (each booking's cancellation is its own event, before
            /// this one).
            SessionCancelled {
                /// The session.
                session_id: SessionId,
            },
            /// Attendance of a seat booking was marked (or corrected).
            AttendanceMarked {
                /// The session.
                session_id: SessionId,
                /// The booking.
                booking_id: BookingId,
                /// The student.
                student_id: UserId,
                /// [`SeatStatus::Attended`] or [`SeatStatus::NoShow`].
                status: SeatStatus,
            },
            /// A teacher published an availability slot.
            SlotPublished {
                /// The slot (boxed: a slot with its rules would double the size of every event).
                slot: Box<AvailabilitySlot>,
            },
            /// A teacher edited a slot (or (de)activated it); booked lessons keep their time.
            SlotUpdated {
                /// The slot after the edit (boxed, as in [`EventKind::SlotPublished`]).
                slot: Box<AvailabilitySlot>,
            },
            /// A student requested a lesson that needs the teacher's approval; it holds its time.
            LessonRequested {
                /// The pending lesson.
                lesson: Box<Lesson>,
            },
            /// A student booked a lesson that needed no approval.
            LessonBooked {
                /// The confirmed lesson.
                lesson: Box<Lesson>,
            },
            /// The teacher (or an admin) approved a pending lesson.
            LessonApproved {
                /// The lesson.
                booking_id: BookingId,
                /// Its teacher.
                teacher_id: UserId,
                /// Its student.
                student_id: UserId,
                /// Its meeting link after the approval.
                meeting_link: Option<MeetingLink>,
            },
            /// The teacher (or an admin) declined a pending lesson; its time is free again.
            LessonDeclined {
                /// The lesson.
                booking_id: BookingId,
                /// Its teacher.
                teacher_id: UserId,
                /// Its student.
                student_id: UserId,
                /// The teacher's reason, if given.
                reason: Option<String>,
            },
            /// A pending or confirmed lesson was cancelled; its time is free again.
            LessonCancelled {
                /// The lesson.
                booking_id: BookingId,
                /// Its teacher.
                teacher_id: UserId,
                /// Its student.
                student_id: UserId,
                /// Its status before.
                previous_status: LessonStatus,
                /// The teacher, an admin or the system cancelled within the cancellation cut-off,
                /// which binds students only.
                #[serde(default)]
                cutoff_overridden: bool,
            },
            /// A lesson moved to another occurrence of its teacher's slots; the old time is free.
            LessonRescheduled {
                /// The lesson after the move (new slot, times, and status: pending again when the new
                /// time needs approval).
                lesson: Box<Lesson>,
                /// The slot it was booked from before.
                previous_slot_id: SlotId,
                /// Its start before.
                previous_starts_at: DateTime<Utc>,
                /// Its end before.
                previous_ends_at: DateTime<Utc>,
                /// The teacher, an admin or the system moved it within the reschedule cut-off.
                cutoff_overridden: bool,
            },
            /// A lesson's meeting link was set or replaced.
            MeetingLinkSet {
                /// The lesson.
                booking_id: BookingId,
                /// The link.
                meeting_link: MeetingLink,
            },
            /// Attendance of a lesson was marked (or corrected).
            LessonAttendanceMarked {
                /// The lesson.
                booking_id: BookingId,
                /// Its teacher.
                teacher_id: UserId,
                /// Its student.
                student_id: UserId,
                /// [`LessonStatus::Attended`] or [`LessonStatus::NoShow`].
                status: LessonStatus,
            },
            /// A recurring series was booked (each lesson has its own event before this one).
            SeriesBooked {
                /// The series.
                series_id: SeriesId,
                /// The student.
                student_id: UserId,
                /// Its lessons, in order.
                lessons: Vec<BookingId>,
                /// How many occurrences were skipped.
                skipped: u32,
            },
            /// A teacher's scheduling rules were set (for one course, or their own default).
            SchedulingRulesSet {
                /// The teacher.
                teacher_id: UserId,
                /// The course, or `None` for the teacher's default rules.
                course_id: Option<CourseId>,
                /// The rules now in force at that level (empty: none). Boxed, like the other large
                /// payloads, to keep every event small.
                rules: Box<SchedulingRules>,
            },
            /// A teacher took time off: their slots offer nothing on those days.
            TimeOffAdded {
                /// The time off.
                time_off: Box<TimeOff>,
            },
            /// A teacher's time off was withdrawn.
            TimeOffRemoved {
                /// The teacher.
                teacher_id: UserId,
                /// The time off.
                time_off_id: TimeOffId,
            },
        }
    };
}

/// [`EventKind`] from [`event_kinds!`], with its names.
macro_rules! declare_event_kinds {
    ($(
        $(#[$doc:meta])*
        $kind:ident { $($(#[$field_attr:meta])* $field:ident: $ty:ty),* $(,)? },
    )*) => {
        /// The kinds of domain events.
        #[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum EventKind {
            $($(#[$doc])* $kind { $($(#[$field_attr])* $field: $ty,)* },)*
        }

        impl EventKind {
            /// Every kind's [`name`](EventKind::name), in declaration order (for bindings that
            /// mirror the kinds as an enum, and check they have them all).
            pub const NAMES: &'static [&'static str] = &[$(crate::names::snake_name!($kind)),*];

            /// A stable snake_case name for the kind, for logs and outboxes: its serde tag.
            ///
            /// ```
            /// use booking_core::{EventKind, SessionId};
            /// let kind = EventKind::SessionClosed { session_id: SessionId::from_uuid(uuid::Uuid::nil()) };
            /// assert_eq!(kind.name(), "session_closed");
            /// ```
            pub fn name(&self) -> &'static str {
                match self {
                    $(EventKind::$kind { .. } => crate::names::snake_name!($kind),)*
                }
            }
        }
    };
}

event_kinds!(declare_event_kinds);

impl EventKind {
    /// The booking this event is about, if any.
    pub fn booking_id(&self) -> Option<BookingId> {
        match self {
            EventKind::BookingConfirmed { booking_id, .. }
            | EventKind::BookingWaitlisted { booking_id, .. }
            | EventKind::BookingPromoted { booking_id, .. }
            | EventKind::BookingCancelled { booking_id, .. }
            | EventKind::AttendanceMarked { booking_id, .. }
            | EventKind::LessonApproved { booking_id, .. }
            | EventKind::LessonDeclined { booking_id, .. }
            | EventKind::LessonCancelled { booking_id, .. }
            | EventKind::MeetingLinkSet { booking_id, .. }
            | EventKind::LessonAttendanceMarked { booking_id, .. }
            | EventKind::SeatOffered { booking_id, .. }
            | EventKind::OfferAccepted { booking_id, .. }
            | EventKind::OfferDeclined { booking_id, .. }
            | EventKind::OfferExpired { booking_id, .. } => Some(*booking_id),
            EventKind::LessonRequested { lesson }
            | EventKind::LessonBooked { lesson }
            | EventKind::LessonRescheduled { lesson, .. } => Some(lesson.id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name in [`EventKind::NAMES`] is the serde tag of a kind (decoding `{"type": name}`
    /// fails for a missing field, never for an unknown variant), and names are unique; and a
    /// kind's [`EventKind::name`] is its serde tag.
    #[test]
    fn names_are_the_kinds_tags() {
        for name in EventKind::NAMES {
            let err = serde_json::from_value::<EventKind>(serde_json::json!({ "type": name }))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(!err.contains("unknown variant"), "{name}: {err}");
        }
        let mut sorted = EventKind::NAMES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), EventKind::NAMES.len(), "duplicate names");
        let kind = EventKind::TimeOffRemoved {
            teacher_id: UserId::from_uuid(uuid::Uuid::nil()),
            time_off_id: TimeOffId::from_uuid(uuid::Uuid::nil()),
        };
        let tag = serde_json::to_value(&kind).unwrap()["type"].as_str().unwrap().to_owned();
        assert_eq!(kind.name(), tag);
        // The check above can fail: a name that is no kind is reported as an unknown variant.
        let unknown = serde_json::from_value::<EventKind>(serde_json::json!({ "type": "no_such_kind" })).unwrap_err();
        assert!(unknown.to_string().contains("unknown variant"), "{unknown}");
    }
}
