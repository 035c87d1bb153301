//! Scheduling rules beyond the checklist: booking windows, buffers, cut-offs and limits.
//!
//! A [`SchedulingRules`] value sets any of these; every field is optional, and an unset field
//! falls back to the next, less specific level.
//!
//! # Where rules are set, and which wins
//! For a 1:1 lesson booked from a slot, each field is taken from the first level that sets it:
//! 1. the **slot** ([`SlotSpec::rules`](crate::lesson::SlotSpec::rules));
//! 2. the teacher's rules for the slot's **course** ([`Calendar::course_rules`](crate::lesson::Calendar::course_rules));
//! 3. the **teacher**'s own rules ([`Calendar::rules`](crate::lesson::Calendar::rules));
//! 4. nothing: no notice, no advance limit, no buffer, no cut-off, no limit.
//!
//! Course rules are kept per teacher of the course (the seed's `CourseTeacher`), in the
//! teacher's calendar, so a change of rules and a booking governed by them are serialized by
//! the same version check; a platform-wide course policy is set for each of its teachers.
//!
//! A group session takes its rules when it is created: the session's own
//! ([`NewGroupSession::rules`](crate::NewGroupSession::rules)), then its teacher's rules for
//! its course, then the teacher's, then the default of 1 seat per booking. Only the booking
//! window, the cancellation cut-off and the seats per booking apply to seats; buffers, the
//! reschedule cut-off and the lesson limits are about 1:1 lessons, and the seats per booking
//! about seats only (a slot's own rules may not set it; lessons do not keep it).
//!
//! # What each rule does
//! - **Minimum notice** and **maximum advance**: an occurrence (or a session) may be booked
//!   only if it starts at least `min_notice_minutes` after now and at most `max_advance_days`
//!   days after now. Listings leave out what falls outside ([`BookingError::OutsideBookingWindow`]).
//! - **Buffers**: a lesson keeps `buffer_before_minutes` before and `buffer_after_minutes` after
//!   it free in the teacher's calendar: no other lesson or group session of the teacher may
//!   overlap the buffered time, and a lesson's buffered time may not overlap another lesson's
//!   buffered time. Two back-to-back lessons are therefore at least `after + before` apart.
//!   Buffers are the teacher's; a student's calendar keeps the bare lesson times.
//! - **Cut-offs**: a student may not cancel within `cancel_cutoff_minutes` of the start, nor
//!   reschedule within `reschedule_cutoff_minutes` of it ([`BookingError::CutoffPassed`], action
//!   `"cancelled"` or `"rescheduled"`). **When `reschedule_cutoff_minutes` is unset, the
//!   cancellation cut-off governs rescheduling too**: otherwise a student could move a lesson
//!   that starts in an hour to next week and cancel it there freely, escaping the cancellation
//!   cut-off. A reschedule cut-off set explicitly (at any level) governs moves alone, whether
//!   shorter or longer than the cancellation cut-off: a teacher who sets a shorter one allows
//!   late moves on purpose, and accepts the consequence that a student may move a lesson
//!   inside its cancellation cut-off to a later time and then cancel it under the cut-off of
//!   its new time. The cut-offs compared are the lesson's own (the rules it was booked or last
//!   moved with). The teacher, an admin or the system may act within the governing cut-off;
//!   the event then records it (`cutoff_overridden: true`, also on a move).
//! - **Limits** (1:1 lessons, pending ones count): at most `max_lessons_per_day` lessons on one
//!   day and `max_lessons_per_week` in one ISO week (Monday to Sunday) for the teacher, days and
//!   weeks read in the zone of the slot being booked; and at most
//!   `max_upcoming_lessons_per_student` lessons of one course a student holds that have not
//!   ended yet ([`BookingError::LimitReached`]).
//! - **Seats per booking** (group sessions): one booking takes at most `max_seats_per_booking`
//!   seats (1 to 10,000); a booking for more is refused with [`BookingError::LimitReached`]
//!   (limit `"seats per booking in this session"`) and changes nothing. **Unset at every level
//!   it is [`DEFAULT_MAX_SEATS_PER_BOOKING`], 1**: one student takes one seat, as in the seed,
//!   and booking several seats in one booking (a parent for two children) is a teacher's
//!   deliberate choice, so nobody can take a whole session in one call unless the teacher
//!   allowed it. A session records the limit in force when it was created
//!   ([`GroupSession::rules`](crate::GroupSession::rules) always has it set); a session stored
//!   before this rule existed has none recorded and keeps the behaviour it was created with:
//!   no limit but its capacity.

use crate::BookingError;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// Longest minimum notice or cut-off, in minutes (366 days).
pub const MAX_NOTICE_MINUTES: u32 = 366 * 24 * 60;
/// Longest maximum advance, in days.
pub const MAX_ADVANCE_DAYS: u32 = 3 * 366;
/// Longest buffer, in minutes (one day).
pub const MAX_BUFFER_MINUTES: u32 = 24 * 60;
/// Largest booking limit.
pub const MAX_LIMIT: u32 = 10_000;
/// Seats one booking of a group session may take when no level sets
/// [`SchedulingRules::max_seats_per_booking`].
pub const DEFAULT_MAX_SEATS_PER_BOOKING: u32 = 1;

/// Scheduling rules; every field unset by default. See the [module docs](self).
///
/// ```
/// use booking_core::SchedulingRules;
/// let teacher = SchedulingRules { min_notice_minutes: Some(24 * 60), buffer_after_minutes: Some(15), ..Default::default() };
/// let slot = SchedulingRules { min_notice_minutes: Some(60), ..Default::default() };
/// let effective = slot.or(&teacher);
/// assert_eq!(effective.min_notice_minutes, Some(60)); // the slot wins
/// assert_eq!(effective.buffer_after_minutes, Some(15)); // the teacher fills the gap
/// assert!(effective.validate().is_ok());
/// ```
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct SchedulingRules {
    /// Bookings must start at least this many minutes after now.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub min_notice_minutes: Option<u32>,
    /// Bookings must start at most this many days after now.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub max_advance_days: Option<u32>,
    /// Minutes kept free before each 1:1 lesson in the teacher's calendar.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub buffer_before_minutes: Option<u32>,
    /// Minutes kept free after each 1:1 lesson in the teacher's calendar.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub buffer_after_minutes: Option<u32>,
    /// A student may not cancel within this many minutes of the start.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub cancel_cutoff_minutes: Option<u32>,
    /// A student may not reschedule within this many minutes of the start.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub reschedule_cutoff_minutes: Option<u32>,
    /// At most this many 1:1 lessons per day for the teacher.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub max_lessons_per_day: Option<u32>,
    /// At most this many 1:1 lessons per ISO week for the teacher.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub max_lessons_per_week: Option<u32>,
    /// At most this many not-yet-ended 1:1 lessons per student in one course.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub max_upcoming_lessons_per_student: Option<u32>,
    /// At most this many seats in one booking of a group session (unset everywhere:
    /// [`DEFAULT_MAX_SEATS_PER_BOOKING`]).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub max_seats_per_booking: Option<u32>,
}

impl SchedulingRules {
    /// Field by field: this value's setting, else `fallback`'s.
    pub fn or(&self, fallback: &SchedulingRules) -> SchedulingRules {
        SchedulingRules {
            min_notice_minutes: self.min_notice_minutes.or(fallback.min_notice_minutes),
            max_advance_days: self.max_advance_days.or(fallback.max_advance_days),
            buffer_before_minutes: self.buffer_before_minutes.or(fallback.buffer_before_minutes),
            buffer_after_minutes: self.buffer_after_minutes.or(fallback.buffer_after_minutes),
            cancel_cutoff_minutes: self.cancel_cutoff_minutes.or(fallback.cancel_cutoff_minutes),
            reschedule_cutoff_minutes: self.reschedule_cutoff_minutes.or(fallback.reschedule_cutoff_minutes),
            max_lessons_per_day: self.max_lessons_per_day.or(fallback.max_lessons_per_day),
            max_lessons_per_week: self.max_lessons_per_week.or(fallback.max_lessons_per_week),
            max_upcoming_lessons_per_student: self
                .max_upcoming_lessons_per_student
                .or(fallback.max_upcoming_lessons_per_student),
            max_seats_per_booking: self.max_seats_per_booking.or(fallback.max_seats_per_booking),
        }
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        *self == SchedulingRules::default()
    }

    /// Only the fields that apply to group sessions: the booking window, the cancellation
    /// cut-off and the seats per booking.
    pub fn for_sessions(&self) -> SchedulingRules {
        SchedulingRules {
            min_notice_minutes: self.min_notice_minutes,
            max_advance_days: self.max_advance_days,
            cancel_cutoff_minutes: self.cancel_cutoff_minutes,
            max_seats_per_booking: self.max_seats_per_booking,
            ..SchedulingRules::default()
        }
    }

    /// Only the fields that apply to 1:1 lessons: all but the seats per booking.
    pub fn for_lessons(&self) -> SchedulingRules {
        SchedulingRules { max_seats_per_booking: None, ..*self }
    }

    /// Checks every set field's range.
    ///
    /// # Errors
    /// [`BookingError::InvalidInput`] naming the field: notice and cut-offs up to
    /// [`MAX_NOTICE_MINUTES`], advance 1 to [`MAX_ADVANCE_DAYS`] days, buffers up to
    /// [`MAX_BUFFER_MINUTES`], limits (seats per booking too) 1 to [`MAX_LIMIT`].
    ///
    /// ```
    /// use booking_core::SchedulingRules;
    /// let rules = SchedulingRules { max_lessons_per_day: Some(0), ..Default::default() };
    /// assert_eq!(rules.validate().unwrap_err().to_string(), "invalid max_lessons_per_day: must be 1 to 10000, got 0");
    /// ```
    pub fn validate(&self) -> Result<(), BookingError> {
        let range = |field: &str, value: Option<u32>, min: u32, max: u32| match value {
            Some(v) if v < min || v > max => {
                Err(BookingError::invalid(field, format!("must be {min} to {max}, got {v}")))
            }
            _ => Ok(()),
        };
        range("min_notice_minutes", self.min_notice_minutes, 0, MAX_NOTICE_MINUTES)?;
        range("max_advance_days", self.max_advance_days, 1, MAX_ADVANCE_DAYS)?;
        range("buffer_before_minutes", self.buffer_before_minutes, 0, MAX_BUFFER_MINUTES)?;
        range("buffer_after_minutes", self.buffer_after_minutes, 0, MAX_BUFFER_MINUTES)?;
        range("cancel_cutoff_minutes", self.cancel_cutoff_minutes, 0, MAX_NOTICE_MINUTES)?;
        range("reschedule_cutoff_minutes", self.reschedule_cutoff_minutes, 0, MAX_NOTICE_MINUTES)?;
        range("max_lessons_per_day", self.max_lessons_per_day, 1, MAX_LIMIT)?;
        range("max_lessons_per_week", self.max_lessons_per_week, 1, MAX_LIMIT)?;
        range("max_upcoming_lessons_per_student", self.max_upcoming_lessons_per_student, 1, MAX_LIMIT)?;
        range("max_seats_per_booking", self.max_seats_per_booking, 1, MAX_LIMIT)?;
        if let (Some(notice), Some(days)) = (self.min_notice_minutes, self.max_advance_days)
            && i64::from(notice) > i64::from(days) * 24 * 60
        {
            return Err(BookingError::invalid(
                "max_advance_days",
                "the window closes before it opens (notice is longer)",
            ));
        }
        Ok(())
    }

    /// The earliest start that may be booked at `now`: strictly after `now`, and at least the
    /// minimum notice after it.
    pub fn earliest_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + TimeDelta::minutes(i64::from(self.min_notice_minutes.unwrap_or(0)))
    }

    /// The latest start that may be booked at `now`, if the advance is limited.
    pub fn latest_start(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.max_advance_days.map(|d| now + TimeDelta::days(i64::from(d)))
    }

    /// Refuses a start outside the booking window at `now` (a start equal to `now` is in the
    /// past, which callers report as [`BookingError::StartInPast`] first).
    ///
    /// ```
    /// use booking_core::SchedulingRules;
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// let now = Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).unwrap();
    /// let rules = SchedulingRules { min_notice_minutes: Some(120), max_advance_days: Some(7), ..Default::default() };
    /// assert!(rules.check_window(now + TimeDelta::hours(1), now).is_err());
    /// assert!(rules.check_window(now + TimeDelta::hours(2), now).is_ok());
    /// assert!(rules.check_window(now + TimeDelta::days(7), now).is_ok());
    /// assert_eq!(rules.check_window(now + TimeDelta::days(8), now).unwrap_err().code().as_str(), "outside_booking_window");
    /// ```
    pub fn check_window(&self, starts_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), BookingError> {
        let earliest = self.earliest_start(now);
        let latest = self.latest_start(now);
        if starts_at < earliest || latest.is_some_and(|l| starts_at > l) {
            return Err(BookingError::OutsideBookingWindow { starts_at, earliest, latest });
        }
        Ok(())
    }

    /// Whether the window at `now` admits `starts_at` (what listings keep).
    pub fn window_admits(&self, starts_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        starts_at >= self.earliest_start(now) && self.latest_start(now).is_none_or(|l| starts_at <= l)
    }

    /// The last instant a student may cancel a booking starting at `starts_at`, if there is a
    /// cut-off.
    pub fn cancel_cutoff(&self, starts_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cancel_cutoff_minutes.map(|m| starts_at - TimeDelta::minutes(i64::from(m)))
    }

    /// The last instant a student may reschedule a booking starting at `starts_at`, if a
    /// cut-off governs moves: the reschedule cut-off when one is set, else the cancellation
    /// cut-off (a move may not escape it; see the [module docs](self)).
    ///
    /// ```
    /// use booking_core::SchedulingRules;
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// let start = Utc.with_ymd_and_hms(2030, 1, 2, 10, 0, 0).unwrap();
    /// let cancel_only = SchedulingRules { cancel_cutoff_minutes: Some(24 * 60), ..Default::default() };
    /// assert_eq!(cancel_only.reschedule_cutoff(start), Some(start - TimeDelta::hours(24)));
    /// let late_moves = SchedulingRules { reschedule_cutoff_minutes: Some(60), ..cancel_only };
    /// assert_eq!(late_moves.reschedule_cutoff(start), Some(start - TimeDelta::hours(1)));
    /// assert_eq!(SchedulingRules::default().reschedule_cutoff(start), None);
    /// ```
    pub fn reschedule_cutoff(&self, starts_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.reschedule_cutoff_minutes
            .or(self.cancel_cutoff_minutes)
            .map(|m| starts_at - TimeDelta::minutes(i64::from(m)))
    }

    /// The time a lesson `[starts_at, ends_at)` keeps busy in its teacher's calendar: the
    /// lesson with its buffers.
    #[inline(always)]
    pub fn buffered(&self, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        // Without a buffer the instants are kept as they are, without chrono's date arithmetic
        // (this runs for every occurrence a listing considers).
        let minutes = |buffer: Option<u32>| buffer.filter(|&m| m > 0).map(|m| TimeDelta::minutes(i64::from(m)));
        (
            minutes(self.buffer_before_minutes).map_or(starts_at, |before| starts_at - before),
            minutes(self.buffer_after_minutes).map_or(ends_at, |after| ends_at + after),
        )
    }
}

/// Whether `actor` acting within a cut-off ending at `cutoff_at` is refused (a student) or
/// overrides it (anyone else). `Ok(true)`: allowed, and the event records the override.
pub(crate) fn cutoff_check(
    actor: crate::Actor,
    booking_id: crate::BookingId,
    action: &str,
    cutoff_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool, BookingError> {
    match cutoff_at {
        Some(cutoff_at) if now > cutoff_at => match actor {
            crate::Actor::Student(_) => {
                Err(BookingError::CutoffPassed { booking_id, action: action.to_owned(), cutoff_at })
            }
            _ => Ok(true),
        },
        _ => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Actor, BookingId, UserId};
    use chrono::TimeZone;

    #[test]
    fn precedence_is_field_by_field() {
        let teacher =
            SchedulingRules { max_lessons_per_day: Some(4), cancel_cutoff_minutes: Some(60), ..Default::default() };
        let course = SchedulingRules { cancel_cutoff_minutes: Some(120), ..Default::default() };
        let slot = SchedulingRules::default();
        let r = slot.or(&course).or(&teacher);
        assert_eq!((r.max_lessons_per_day, r.cancel_cutoff_minutes), (Some(4), Some(120)));
    }

    #[test]
    fn cutoffs_refuse_students_and_record_overrides() {
        let start = Utc.with_ymd_and_hms(2030, 1, 2, 10, 0, 0).unwrap();
        let rules = SchedulingRules { cancel_cutoff_minutes: Some(24 * 60), ..Default::default() };
        let id = BookingId::from_uuid(uuid::Uuid::nil());
        let student = Actor::Student(UserId::from_uuid(uuid::Uuid::nil()));
        let before = start - TimeDelta::hours(25);
        let within = start - TimeDelta::hours(2);
        assert_eq!(cutoff_check(student, id, "cancelled", rules.cancel_cutoff(start), before), Ok(false));
        let refused = cutoff_check(student, id, "cancelled", rules.cancel_cutoff(start), within).unwrap_err();
        assert_eq!(refused.code().as_str(), "cutoff_passed");
        assert_eq!(cutoff_check(Actor::System, id, "cancelled", rules.cancel_cutoff(start), within), Ok(true));
        assert_eq!(cutoff_check(student, id, "cancelled", None, within), Ok(false));
    }

    #[test]
    fn a_window_that_closes_before_it_opens_is_refused() {
        let rules =
            SchedulingRules { min_notice_minutes: Some(3 * 24 * 60), max_advance_days: Some(2), ..Default::default() };
        assert!(rules.validate().is_err());
    }
}
