//! Commands as data, and what a successful one leaves behind: its [`Outcome`] and, under a
//! client's [`RequestKey`], its [`RequestRecord`].
//!
//! These types sit below the storage contract ([`crate::repository`] stores request records)
//! and below the engine that runs the commands; both re-export them.

use crate::{
    Actor, BookingError, BookingId, CourseId, Event, SchedulingRules, SessionId, SlotId, TimeOffId, UserId,
    availability::{AvailabilitySlot, TimeOff, TimeOffSpec},
    group::NewGroupSession,
    lesson::{SeriesBooking, SeriesRequest, SlotSpec},
    state::{GroupSession, Lesson, SeatBooking},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Every command the engine runs, as data: what [`Engine::execute`](crate::Engine::execute) takes, and what a request
/// record keeps so a reused key is recognised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Command {
    /// Create a group session.
    CreateSession {
        /// What to create.
        session: NewGroupSession,
    },
    /// Book seats (or a waitlist place) for a student, all or nothing.
    BookSeat {
        /// The session.
        session_id: SessionId,
        /// The student.
        student_id: UserId,
        /// How many seats (1 when absent from a serialized command).
        #[serde(default = "crate::state::one_seat")]
        seats: u32,
    },
    /// Accept the seat offered to a waitlisted booking.
    AcceptOffer {
        /// The booking.
        booking_id: BookingId,
    },
    /// Decline the seat offered to a waitlisted booking.
    DeclineOffer {
        /// The booking.
        booking_id: BookingId,
    },
    /// Expire a session's offers that ran out and offer their seats to the next in line.
    ExpireOffers {
        /// The session.
        session_id: SessionId,
    },
    /// Cancel a booking.
    CancelBooking {
        /// The booking.
        booking_id: BookingId,
    },
    /// Set a session's number of seats.
    ChangeCapacity {
        /// The session.
        session_id: SessionId,
        /// The new number of seats.
        capacity: u32,
    },
    /// Turn a session's waitlist on or off.
    SetWaitlist {
        /// The session.
        session_id: SessionId,
        /// On or off.
        enabled: bool,
    },
    /// Cancel a session and all its bookings.
    CancelSession {
        /// The session.
        session_id: SessionId,
    },
    /// Mark a seat booking attended (`true`) or no-show (`false`).
    MarkAttendance {
        /// The booking.
        booking_id: BookingId,
        /// Attended or not.
        attended: bool,
    },
    /// Publish an availability slot for a teacher.
    PublishSlot {
        /// The teacher.
        teacher_id: UserId,
        /// The slot.
        slot: SlotSpec,
    },
    /// Replace a slot's course, zone, times and active flag.
    UpdateSlot {
        /// The slot.
        slot_id: SlotId,
        /// What it becomes.
        slot: SlotSpec,
    },
    /// Activate or deactivate a slot.
    SetSlotActive {
        /// The slot.
        slot_id: SlotId,
        /// Offered or not.
        active: bool,
    },
    /// Book one occurrence of a slot.
    BookLesson {
        /// The slot.
        slot_id: SlotId,
        /// The occurrence's start.
        starts_at: DateTime<Utc>,
        /// The student.
        student_id: UserId,
    },
    /// Book a recurring series.
    BookSeries {
        /// What to book.
        series: SeriesRequest,
    },
    /// Approve a pending lesson (and the rest of its series).
    ApproveLesson {
        /// The lesson.
        booking_id: BookingId,
        /// The meeting link to set, if any.
        meeting_link: Option<String>,
    },
    /// Decline a pending lesson (and the rest of its series).
    DeclineLesson {
        /// The lesson.
        booking_id: BookingId,
        /// The teacher's reason, if any: multi-line text (see [`crate::text`]).
        reason: Option<String>,
    },
    /// Cancel a lesson, or a lesson and every later one of its series.
    CancelLesson {
        /// The lesson.
        booking_id: BookingId,
        /// Also cancel the later lessons of its series.
        and_later_in_series: bool,
    },
    /// Set a lesson's meeting link.
    SetMeetingLink {
        /// The lesson.
        booking_id: BookingId,
        /// The link.
        meeting_link: String,
    },
    /// Mark a lesson attended (`true`) or no-show (`false`).
    MarkLessonAttendance {
        /// The lesson.
        booking_id: BookingId,
        /// Attended or not.
        attended: bool,
    },
    /// Move a lesson to another occurrence of its teacher's slots.
    RescheduleLesson {
        /// The lesson.
        booking_id: BookingId,
        /// The slot of the new occurrence.
        slot_id: SlotId,
        /// The new occurrence's start.
        starts_at: DateTime<Utc>,
    },
    /// Set a teacher's scheduling rules, for one course or as their default.
    SetSchedulingRules {
        /// The teacher.
        teacher_id: UserId,
        /// The course, or `None` for the teacher's default rules.
        course_id: Option<CourseId>,
        /// The rules (empty: remove them).
        rules: SchedulingRules,
    },
    /// Take time off.
    AddTimeOff {
        /// The teacher.
        teacher_id: UserId,
        /// The days.
        time_off: TimeOffSpec,
    },
    /// Withdraw time off.
    RemoveTimeOff {
        /// The teacher.
        teacher_id: UserId,
        /// The time off.
        time_off_id: TimeOffId,
    },
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
