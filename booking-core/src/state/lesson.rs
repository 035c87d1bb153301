//! The state of a 1:1 lesson (the decisions on it live in [`crate::lesson`], which re-exports
//! these types).

use crate::{BookingId, CourseId, MeetingLink, SchedulingRules, SeriesId, SlotId, UserId, time::wall_time};
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The status of a lesson; see the [module docs](crate::lesson) for the transitions.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LessonStatus {
    /// Waiting for the teacher's approval; holds its time.
    Pending,
    /// Booked.
    Confirmed,
    /// Refused by the teacher.
    Declined,
    /// Cancelled before the start.
    Cancelled,
    /// Took place.
    Attended,
    /// The student did not come.
    NoShow,
}

impl LessonStatus {
    /// The status as a snake_case string.
    pub const fn as_str(self) -> &'static str {
        match self {
            LessonStatus::Pending => "pending",
            LessonStatus::Confirmed => "confirmed",
            LessonStatus::Declined => "declined",
            LessonStatus::Cancelled => "cancelled",
            LessonStatus::Attended => "attended",
            LessonStatus::NoShow => "no_show",
        }
    }

    /// Pending or confirmed: the lesson holds its time.
    pub const fn is_active(self) -> bool {
        matches!(self, LessonStatus::Pending | LessonStatus::Confirmed)
    }
}

impl fmt::Display for LessonStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A 1:1 lesson booked from an availability slot.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    /// The booking.
    pub id: BookingId,
    /// The teacher.
    pub teacher_id: UserId,
    /// The student.
    pub student_id: UserId,
    /// The slot it was booked from.
    pub slot_id: SlotId,
    /// The slot's course, if any.
    pub course_id: Option<CourseId>,
    /// Its series, if booked as one.
    pub series_id: Option<SeriesId>,
    /// Its start.
    pub starts_at: DateTime<Utc>,
    /// Its end.
    pub ends_at: DateTime<Utc>,
    /// The slot's zone, for display.
    pub time_zone: Tz,
    /// Where it stands.
    pub status: LessonStatus,
    /// Where it takes place, once known.
    pub meeting_link: Option<MeetingLink>,
    /// When it was requested.
    pub requested_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: 1 when booked, +1 per change.
    pub version: u64,
    /// The scheduling rules in force when it was booked (or last rescheduled): its cut-offs
    /// and its buffers in the teacher's calendar.
    #[serde(default)]
    pub rules: SchedulingRules,
}

impl Lesson {
    /// Start and end as wall times in the slot's zone.
    pub fn local_times(&self) -> (NaiveDateTime, NaiveDateTime) {
        (wall_time(self.starts_at, self.time_zone), wall_time(self.ends_at, self.time_zone))
    }
}
