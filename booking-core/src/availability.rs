//! Teachers' availability slots and the bookable occurrences they produce.
//!
//! A slot is defined in wall time in the teacher's zone (weekly, or once); every occurrence is
//! a pair of UTC instants: its start obtained with [`resolve_local`], so a weekly Monday 14:00
//! in Berlin is 13:00Z in winter and 12:00Z in summer, and its end the slot's
//! [length](SlotRecurrence::length) later (the rule on clock-change days is in
//! [`crate::time`]). A booking names an occurrence by its slot id and UTC
//! start instant, which [`occurrence_at`] checks in constant time.
//!
//! # Time off
//! A teacher's vacation or a single cancelled day is a [`TimeOff`]: whole days, from midnight
//! of its first day to midnight after its last, in the zone it names (taken with
//! [`Engine::add_time_off`](crate::Engine::add_time_off), withdrawn with
//! [`Engine::remove_time_off`](crate::Engine::remove_time_off)). The weekly slots are not
//! edited: an occurrence that overlaps time off is simply not offered, neither listed nor
//! bookable ([`BookingError::OccurrenceNotOffered`], also for each such date of a series), and
//! withdrawing the time off offers it again. Lessons booked before the time off was taken are
//! kept; a booking is a promise, broken only by cancelling it. [`occurrence_at`] says what a
//! slot produces; whether the teacher is off then is checked with the teacher's calendar
//! ([`Calendar::time_off_during`](crate::lesson::Calendar::time_off_during)) by every booking,
//! series and reschedule.

use crate::time::seconds::{self, Seconds};
use crate::time::{SteadyWalls, ZoneOffsets, resolve_local, wall_time};
use crate::{BookingError, CourseId, SchedulingRules, SlotId, TimeOffId, UserId};
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::iter::FusedIterator;
use std::ops::RangeInclusive;

/// The longest listing window [`occurrences`] expands, in days.
pub const MAX_WINDOW_DAYS: i64 = 366;

/// Years that slot dates and listing instants may fall in: the four-digit years of RFC 3339.
const SUPPORTED_YEARS: RangeInclusive<i32> = 1..=9999;

/// A teacher's availability: when students may book 1:1 lessons with them.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilitySlot {
    /// The slot's id; bookings name occurrences by it.
    pub id: SlotId,
    /// The teacher who offers the slot.
    pub teacher_id: UserId,
    /// The course the slot is reserved for, if any (only its enrolled students may book).
    pub course_id: Option<CourseId>,
    /// The zone the slot's wall times are read in.
    pub time_zone: Tz,
    /// When the slot occurs.
    pub recurrence: SlotRecurrence,
    /// Whether the slot is offered at all; an inactive slot produces no occurrence.
    pub active: bool,
    /// The slot's own scheduling rules, which win over the teacher's (see [`crate::rules`]).
    #[serde(default)]
    pub rules: SchedulingRules,
}

/// A teacher's time off (a vacation, or one cancelled day): from the start of `first_day` to
/// the end of `last_day` in `time_zone`, their slots offer no occurrence that overlaps it.
/// Lessons already booked then are kept: a booking is a promise, broken only by cancelling it.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeOff {
    /// Its id.
    pub id: TimeOffId,
    /// The teacher.
    pub teacher_id: UserId,
    /// The first day off.
    pub first_day: NaiveDate,
    /// The last day off (inclusive; equal to `first_day` for a single day).
    pub last_day: NaiveDate,
    /// The zone the days are read in.
    pub time_zone: Tz,
    /// A note for the teacher's own use (at most 200 characters; line breaks stored as line
    /// feeds, see [`crate::text`]).
    pub note: Option<String>,
}

impl TimeOff {
    /// The instant the time off starts: midnight (or the first wall time after it) of
    /// `first_day`.
    pub fn starts_at(&self) -> DateTime<Utc> {
        resolve_local(self.time_zone, self.first_day.and_time(NaiveTime::MIN))
    }

    /// The instant it ends: the start of the day after `last_day`.
    pub fn ends_at(&self) -> DateTime<Utc> {
        let next = self.last_day.succ_opt().unwrap_or(self.last_day);
        resolve_local(self.time_zone, next.and_time(NaiveTime::MIN))
    }

    /// Whether `[starts_at, ends_at)` overlaps it.
    pub fn overlaps(&self, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> bool {
        crate::time::intervals_overlap(self.starts_at(), self.ends_at(), starts_at, ends_at)
    }
}

/// What a teacher fills in to take time off.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeOffSpec {
    /// The first day off.
    pub first_day: NaiveDate,
    /// The last day off (inclusive), at most 366 days after `first_day`.
    pub last_day: NaiveDate,
    /// The IANA zone the days are read in.
    pub time_zone: String,
    /// A note, if any: multi-line text without other control characters (see
    /// [`crate::text`]), at most 200 characters once trimmed.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub note: Option<String>,
}

/// When a slot occurs, in wall time in the slot's zone.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SlotRecurrence {
    /// Every week on `weekday` from `start_time` to `end_time`, wall time in the slot's zone.
    ///
    /// If `end_time` is after `start_time` each occurrence ends the same day; if it is before,
    /// the slot runs overnight and ends the next day (23:00–01:00). Equal times are refused.
    Weekly {
        /// The day of the week each occurrence starts on.
        weekday: Weekday,
        /// The wall time each occurrence starts at.
        start_time: NaiveTime,
        /// The wall time each occurrence ends at (the next day if not after `start_time`).
        end_time: NaiveTime,
        /// The first date an occurrence may start on (inclusive).
        valid_from: NaiveDate,
        /// The last date an occurrence may start on (inclusive); `None` for open-ended.
        valid_until: Option<NaiveDate>,
    },
    /// Once, from `start` to `end`, wall times in the slot's zone; at most 24 hours long.
    OneTime {
        /// The wall time the occurrence starts at.
        start: NaiveDateTime,
        /// The wall time the occurrence ends at.
        end: NaiveDateTime,
    },
}

/// One bookable lesson time produced by a slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    /// The slot that produces it.
    pub slot_id: SlotId,
    /// Its start; together with `slot_id` it names the occurrence.
    pub starts_at: DateTime<Utc>,
    /// Its end, always after `starts_at`.
    pub ends_at: DateTime<Utc>,
    /// The date in the slot's zone the slot's rule starts it on. This is the date of
    /// `starts_at`'s wall time, except when a spring gap pushes the start past midnight.
    pub local_date: NaiveDate,
}

impl SlotRecurrence {
    /// Checks the recurrence's own consistency (its wall times are read in `tz`).
    ///
    /// # Errors
    ///
    /// [`BookingError::InvalidInput`] naming the field:
    /// - `end_time`: a weekly slot whose end time equals its start time (zero length);
    /// - `valid_until`: before `valid_from`;
    /// - `end`: a one-time slot that does not end after it starts, or lasts more than 24
    ///   hours (both measured in wall-clock time, end minus start: the occurrence lasts
    ///   exactly that long, see [`SlotRecurrence::length`]);
    /// - `valid_from`, `valid_until`, `start`, `end`: a year outside 1–9999;
    /// - `start_time`, `end_time`, `start`, `end`: a leap second (chrono's 23:59:60; no zone's
    ///   clock shows one, and a weekly slot at one would start a second earlier from its
    ///   second week on).
    ///
    /// ```
    /// use booking_core::BookingError;
    /// use booking_core::availability::SlotRecurrence;
    /// use chrono::{NaiveDate, NaiveTime, Weekday};
    ///
    /// let weekly = SlotRecurrence::Weekly {
    ///     weekday: Weekday::Fri,
    ///     start_time: NaiveTime::from_hms_opt(23, 0, 0).unwrap(),
    ///     end_time: NaiveTime::from_hms_opt(1, 0, 0).unwrap(), // overnight
    ///     valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
    ///     valid_until: None,
    /// };
    /// assert_eq!(weekly.validate(chrono_tz::Europe::Berlin), Ok(()));
    ///
    /// let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(9, 0, 0).unwrap();
    /// let backwards = SlotRecurrence::OneTime { start, end: start - chrono::TimeDelta::hours(1) };
    /// let err = backwards.validate(chrono_tz::Europe::Berlin).unwrap_err();
    /// assert!(matches!(err, BookingError::InvalidInput { field, .. } if field == "end"));
    ///
    /// let leap = NaiveTime::from_hms_milli_opt(23, 59, 59, 1_500).unwrap(); // 23:59:60.5
    /// let mut at_a_leap_second = weekly.clone();
    /// if let SlotRecurrence::Weekly { start_time, .. } = &mut at_a_leap_second {
    ///     *start_time = leap;
    /// }
    /// let err = at_a_leap_second.validate(chrono_tz::Europe::Berlin).unwrap_err();
    /// assert_eq!(err.to_string(), "invalid start_time: must not be a leap second");
    /// ```
    pub fn validate(&self, tz: Tz) -> Result<(), BookingError> {
        // Every check is in wall time (an occurrence lasts its wall-clock length in any zone);
        // the zone stays a parameter for the callers that have one.
        let _ = tz;
        match *self {
            SlotRecurrence::Weekly { start_time, end_time, valid_from, valid_until, .. } => {
                check_clock_time("start_time", start_time)?;
                check_clock_time("end_time", end_time)?;
                check_year("valid_from", valid_from)?;
                if let Some(until) = valid_until {
                    check_year("valid_until", until)?;
                    if until < valid_from {
                        return Err(BookingError::invalid("valid_until", "must not be before valid_from"));
                    }
                }
                if end_time == start_time {
                    return Err(BookingError::invalid("end_time", "must differ from start_time (zero-length slot)"));
                }
                Ok(())
            }
            SlotRecurrence::OneTime { start, end } => {
                check_clock_time("start", start.time())?;
                check_clock_time("end", end.time())?;
                check_year("start", start.date())?;
                check_year("end", end.date())?;
                let length = end - start;
                if length <= TimeDelta::zero() {
                    Err(BookingError::invalid("end", "must be after start"))
                } else if length > TimeDelta::days(1) {
                    Err(BookingError::invalid("end", "slots longer than a day are not supported"))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// The length of each occurrence: the wall-clock end minus the wall-clock start (a day
    /// more for an overnight weekly slot), as a duration. Every occurrence lasts exactly this
    /// long, also across a clock change (see [`crate::time`]).
    ///
    /// ```
    /// use booking_core::availability::SlotRecurrence;
    /// use chrono::{NaiveDate, NaiveTime, TimeDelta, Weekday};
    /// let overnight = SlotRecurrence::Weekly {
    ///     weekday: Weekday::Sat,
    ///     start_time: NaiveTime::from_hms_opt(23, 30, 0).unwrap(),
    ///     end_time: NaiveTime::from_hms_opt(1, 0, 0).unwrap(),
    ///     valid_from: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
    ///     valid_until: None,
    /// };
    /// assert_eq!(overnight.length(), TimeDelta::minutes(90));
    /// ```
    pub fn length(&self) -> TimeDelta {
        match *self {
            SlotRecurrence::Weekly { start_time, end_time, .. } => {
                let same_day = end_time - start_time;
                if end_time < start_time { same_day + TimeDelta::days(1) } else { same_day }
            }
            SlotRecurrence::OneTime { start, end } => end - start,
        }
    }
}

impl AvailabilitySlot {
    /// Checks the slot's recurrence in the slot's zone; see [`SlotRecurrence::validate`].
    ///
    /// # Errors
    ///
    /// [`BookingError::InvalidInput`] naming the offending field.
    pub fn validate(&self) -> Result<(), BookingError> {
        self.rules.validate()?;
        self.recurrence.validate(self.time_zone)
    }
}

/// Refuses a leap second (nanoseconds past 999,999,999), which chrono represents and no zone's
/// clock shows.
fn check_clock_time(field: &str, time: NaiveTime) -> Result<(), BookingError> {
    if time.nanosecond() < seconds::NANOS {
        Ok(())
    } else {
        Err(BookingError::invalid(field, "must not be a leap second"))
    }
}

fn check_year(field: &str, date: NaiveDate) -> Result<(), BookingError> {
    if SUPPORTED_YEARS.contains(&date.year()) {
        Ok(())
    } else {
        Err(BookingError::invalid(field, "year must be between 1 and 9999"))
    }
}

/// A week in seconds: how far apart a weekly slot's candidate starts are in wall time.
const WEEK: i64 = 7 * seconds::DAY;

/// The wall seconds of 0001-01-01 00:00 and of 10000-01-01 00:00: the supported years' wall
/// times are those in between.
const SUPPORTED_WALL: std::ops::Range<i64> = -62_135_596_800..253_402_300_800;

/// An occurrence in [`Seconds`]: its instants, and the wall time its slot's rule starts it at.
/// The listing turns them into chrono's types with its table of dates; everything else with
/// [`Resolved::occurrence`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Resolved {
    pub(crate) starts: Seconds,
    pub(crate) ends: Seconds,
    pub(crate) local_start: Seconds,
    /// Whether a clock in the slot's zone shows `local_start` (not when it fell in a gap).
    pub(crate) shown: bool,
    /// When shown: the UTC second until which the zone's offset at the start holds, as far as
    /// the zone's table knows (at least the start).
    pub(crate) offset_until: i64,
}

impl Resolved {
    /// The occurrence, produced by slot `slot_id`.
    pub(crate) fn occurrence(&self, slot_id: SlotId) -> Occurrence {
        Occurrence {
            slot_id,
            starts_at: seconds::instant(self.starts),
            ends_at: seconds::instant(self.ends),
            local_date: seconds::instant(self.local_start).date_naive(),
        }
    }
}

/// The occurrence starting at wall time `local_start`, if its start instant is `wanted`: the
/// one place where a slot's wall times become an occurrence's instants, for listing, booking,
/// series, holds and exports alike. The start is resolved by the
/// [rule for wall times](crate::time#clock-changes), and the occurrence lasts exactly
/// `length`, the slot's wall-clock length, whatever the clocks do meanwhile.
///
/// In seconds, without chrono's calendar arithmetic (most of a listing's cost was there): a
/// validated slot's wall times have no leap second, so `local_start` and `length` are below a
/// second past their whole seconds, and so are the instants.
#[inline(always)]
fn occurrence(
    resolve: impl FnOnce(i64) -> (i64, bool, i64),
    local_start: Seconds,
    length: Seconds,
    wanted: impl FnOnce(Seconds) -> bool,
) -> Option<Resolved> {
    debug_assert!(local_start.1 < seconds::NANOS && length.1 < seconds::NANOS);
    // Near the ends of time a wall date can leave the supported years (in a zone ahead of UTC,
    // the last UTC hours of 9999 are 10000-01-01 on the wall), which no other function accepts.
    if !SUPPORTED_WALL.contains(&local_start.0) {
        return None;
    }
    let (start, shown, offset_until) = resolve(local_start.0);
    let starts = (start, local_start.1);
    if !wanted(starts) {
        return None;
    }
    // `length` is positive (validated) and at most a day, and the start within the supported
    // years, so the end is a representable instant after the start.
    Some(Resolved { starts, ends: seconds::add(starts, length), local_start, shown, offset_until })
}

/// A slot's [`length`](SlotRecurrence::length) in [`Seconds`].
fn length_of(recurrence: &SlotRecurrence) -> Seconds {
    let length = recurrence.length();
    (length.num_seconds(), length.subsec_nanos().unsigned_abs())
}

/// Checks a listing window: `to` after `from`, both in the years 1 to 9999, at most
/// [`MAX_WINDOW_DAYS`] long.
///
/// # Errors
/// [`BookingError::InvalidInput`] naming `from` or `to`, or [`BookingError::TooLarge`].
///
/// ```
/// use booking_core::availability::check_window;
/// use chrono::{TimeDelta, TimeZone, Utc};
/// let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
/// assert!(check_window(from, from + TimeDelta::days(90)).is_ok());
/// assert_eq!(check_window(from, from + TimeDelta::days(400)).unwrap_err().code().as_str(), "too_large");
/// assert_eq!(check_window(from, from).unwrap_err().code().as_str(), "invalid_input");
/// ```
pub fn check_window(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), BookingError> {
    if to <= from {
        return Err(BookingError::invalid("to", "must be after from"));
    }
    check_year("from", from.date_naive())?;
    check_year("to", to.date_naive())?;
    let window = to - from;
    if window > TimeDelta::days(MAX_WINDOW_DAYS) {
        let whole_days = window.num_days();
        let started_days = whole_days + i64::from(window > TimeDelta::days(whole_days));
        return Err(BookingError::TooLarge {
            what: "listing window in days".into(),
            requested: started_days.unsigned_abs(),
            max: MAX_WINDOW_DAYS.unsigned_abs(),
        });
    }
    Ok(())
}

/// The occurrence a weekly slot produces on the local date `date`, if it produces one (the
/// right weekday, within the validity dates, and active). One-time
/// slots produce theirs on their start date.
///
/// ```
/// use booking_core::SlotId;
/// use booking_core::availability::{occurrence_on, AvailabilitySlot, SlotRecurrence};
/// use chrono::{NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
/// let slot = AvailabilitySlot {
///     id: SlotId::from_uuid(uuid::Uuid::from_u128(1)),
///     teacher_id: uuid::Uuid::from_u128(2).into(),
///     course_id: None,
///     time_zone: chrono_tz::Australia::Sydney,
///     recurrence: SlotRecurrence::Weekly {
///         weekday: Weekday::Mon,
///         start_time: NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
///         end_time: NaiveTime::from_hms_opt(15, 0, 0).unwrap(),
///         valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
///         valid_until: None,
///     },
///     active: true,
///     rules: Default::default(),
/// };
/// let monday = NaiveDate::from_ymd_opt(2026, 4, 6).unwrap(); // first Monday after Sydney's autumn change
/// assert_eq!(occurrence_on(&slot, monday).unwrap().starts_at, Utc.with_ymd_and_hms(2026, 4, 6, 4, 0, 0).unwrap());
/// assert!(occurrence_on(&slot, monday.succ_opt().unwrap()).is_none());
/// ```
pub fn occurrence_on(slot: &AvailabilitySlot, date: NaiveDate) -> Option<Occurrence> {
    if !slot.active || slot.validate().is_err() || !SUPPORTED_YEARS.contains(&date.year()) {
        return None;
    }
    let local_start = match slot.recurrence {
        SlotRecurrence::Weekly { weekday, start_time, valid_from, valid_until, .. } => {
            let valid = date.weekday() == weekday && valid_from <= date && valid_until.is_none_or(|u| date <= u);
            valid.then(|| date.and_time(start_time))?
        }
        SlotRecurrence::OneTime { start, .. } => (start.date() == date).then_some(start)?,
    };
    let offsets = ZoneOffsets::direct(slot.time_zone);
    occurrence(
        |local| offsets.resolve_local_seconds(local),
        seconds::of_wall(local_start),
        length_of(&slot.recurrence),
        |_| true,
    )
    .map(|r| r.occurrence(slot.id))
}

/// Every occurrence of `slot` whose start lies in `[from, to)`, in ascending order.
///
/// Each occurrence starts at the slot's wall time resolved with [`resolve_local`] (a weekly
/// slot keeps its wall time across clock changes, a start in a spring gap moves forward by the
/// gap's length, a start in an autumn fold takes the earlier instant) and lasts exactly the
/// slot's [`length`](SlotRecurrence::length), on clock-change days too: see
/// [the rule](crate::time#clock-changes). An inactive slot produces nothing.
///
/// The listing is lazy and allocation-free: it steps from one candidate week to the next and
/// costs one time-zone look-up per candidate.
///
/// # Errors
///
/// - [`BookingError::InvalidInput`] with field `to` if `to <= from`, or field `from`/`to` if
///   either lies outside the years 1–9999;
/// - [`BookingError::TooLarge`] if the window is longer than [`MAX_WINDOW_DAYS`];
/// - the slot's own [`AvailabilitySlot::validate`] error.
///
/// ```
/// use booking_core::SlotId;
/// use booking_core::availability::{occurrences, AvailabilitySlot, SlotRecurrence};
/// use chrono::{NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
///
/// let slot = AvailabilitySlot {
///     id: SlotId::from_uuid(uuid::Uuid::from_u128(1)),
///     teacher_id: uuid::Uuid::from_u128(2).into(),
///     course_id: None,
///     time_zone: chrono_tz::Europe::Berlin,
///     recurrence: SlotRecurrence::Weekly {
///         weekday: Weekday::Mon,
///         start_time: NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
///         end_time: NaiveTime::from_hms_opt(15, 0, 0).unwrap(),
///         valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
///         valid_until: None,
///     },
///     active: true,
///     rules: Default::default(),
/// };
/// let from = Utc.with_ymd_and_hms(2026, 3, 20, 0, 0, 0).unwrap();
/// let to = Utc.with_ymd_and_hms(2026, 4, 3, 0, 0, 0).unwrap();
/// let starts: Vec<_> = occurrences(&slot, from, to).unwrap().map(|o| o.starts_at).collect();
/// // Berlin moves to summer time on Sunday 29 March: 14:00 local is 13:00Z, then 12:00Z.
/// assert_eq!(starts, [
///     Utc.with_ymd_and_hms(2026, 3, 23, 13, 0, 0).unwrap(),
///     Utc.with_ymd_and_hms(2026, 3, 30, 12, 0, 0).unwrap(),
/// ]);
/// ```
pub fn occurrences(
    slot: &AvailabilitySlot,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Occurrences, BookingError> {
    check_window(from, to)?;
    slot.validate()?;
    Ok(expand(slot, from, to, &LocalWindow::new(from, to, slot.time_zone)))
}

/// A listing window's first and last dates in one zone, computed once for all the slots of
/// that zone.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LocalWindow {
    pub(crate) tz: Tz,
    /// `from`'s wall date, one day early: a fold can give a start a wall date one day before.
    earliest: NaiveDate,
    /// `to`'s wall date, one day late: a fold or a gap can give a start one a day after.
    latest: NaiveDate,
    /// The first and last wall dates a one-time slot's start can have to start in the window
    /// (a day more on each side: a gap moves a start by at most a day), found once rather
    /// than per slot.
    one_time_dates: (NaiveDate, NaiveDate),
}

impl LocalWindow {
    pub(crate) fn new(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> Self {
        let earliest = wall_time(from, tz).date() - Days::new(1);
        let latest = wall_time(to, tz).date() + Days::new(1);
        Self { tz, earliest, latest, one_time_dates: (earliest - Days::new(1), latest + Days::new(1)) }
    }

    /// Whether a one-time slot's occurrence can start in the window at all (a cheap test
    /// before the slot is validated and resolved; a gap moves a start by at most a day).
    pub(crate) fn may_hold(&self, recurrence: &SlotRecurrence) -> bool {
        match recurrence {
            SlotRecurrence::Weekly { valid_from, valid_until, .. } => {
                *valid_from <= self.latest && valid_until.is_none_or(|until| until >= self.earliest)
            }
            SlotRecurrence::OneTime { start, .. } => {
                (self.one_time_dates.0..=self.one_time_dates.1).contains(&start.date())
            }
        }
    }
}

/// [`occurrences`] of an already validated slot, with `window` computed for `from`, `to` and
/// the slot's zone.
pub(crate) fn expand(
    slot: &AvailabilitySlot,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    window: &LocalWindow,
) -> Occurrences {
    debug_assert_eq!(window.tz, slot.time_zone);
    let tz = slot.time_zone;
    let (next, last) = match slot.recurrence {
        // No candidate: the first one would start after the last date.
        _ if !slot.active => (NaiveDateTime::MAX, NaiveDate::MIN),
        SlotRecurrence::Weekly { weekday, start_time, valid_from, valid_until, .. } => {
            // Candidates outside the window are filtered by their instant.
            let earliest = window.earliest.max(valid_from);
            let first = earliest + Days::new(weekday.days_since(earliest.weekday()).into());
            (first.and_time(start_time), valid_until.map_or(window.latest, |until| until.min(window.latest)))
        }
        SlotRecurrence::OneTime { start, .. } => (start, start.date()),
    };
    Occurrences {
        slot_id: slot.id,
        tz,
        from: seconds::of_instant(from),
        to: seconds::of_instant(to),
        next: seconds::of_wall(next),
        end: last.and_time(NaiveTime::MIN).and_utc().timestamp() + seconds::DAY,
        length: length_of(&slot.recurrence),
        steady: SteadyWalls::NONE,
    }
}

/// The lazy listing returned by [`occurrences`]: occurrences in ascending order of start.
#[derive(Clone, Debug)]
pub struct Occurrences {
    slot_id: SlotId,
    tz: Tz,
    /// The window: a candidate whose start instant is in `[from, to)` is listed.
    from: Seconds,
    to: Seconds,
    /// Wall time of the next candidate start; candidates follow one another every 7 days.
    next: Seconds,
    /// The wall second after the last date a candidate may start on.
    end: i64,
    length: Seconds,
    /// Wall seconds resolved as the last candidate was (most of a weekly slot's candidates are
    /// months from a change of offset): no look-up in the zone's table for them.
    steady: SteadyWalls,
}

impl Occurrences {
    /// Each remaining occurrence, resolved with `offsets` as [`Self::next_resolved`] does,
    /// given to `each` in order: the slot's fixed parts are set up once, rather than once per
    /// occurrence (a listing's loop).
    #[inline]
    pub(crate) fn resolve_each(mut self, offsets: &ZoneOffsets, mut each: impl FnMut(Resolved)) {
        while let Some(r) = self.next_resolved(offsets) {
            each(r);
        }
    }

    /// The next occurrence, with the wall times already known, resolved with `offsets` (the
    /// slot's zone's).
    #[inline(always)]
    fn next_resolved(&mut self, offsets: &ZoneOffsets) -> Option<Resolved> {
        debug_assert_eq!(offsets.tz(), self.tz);
        while self.next.0 < self.end {
            let local_start = self.next;
            self.next.0 += WEEK;
            let (from, to) = (self.from, self.to);
            let steady = &mut self.steady;
            let resolve = |local| {
                steady.resolve(local).unwrap_or_else(|| {
                    let (resolved, around) = offsets.resolve_local_steady(local);
                    *steady = around;
                    resolved
                })
            };
            let found = occurrence(resolve, local_start, self.length, |starts| from <= starts && starts < to);
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

impl Iterator for Occurrences {
    type Item = Occurrence;

    fn next(&mut self) -> Option<Occurrence> {
        let slot_id = self.slot_id;
        self.next_resolved(&ZoneOffsets::direct(self.tz)).map(|r| r.occurrence(slot_id))
    }
}

impl FusedIterator for Occurrences {}

/// The occurrence of `slot` that starts exactly at `starts_at`, found in constant time.
///
/// This is how a booking names an occurrence: by slot id and UTC start instant. The result is
/// the same occurrence [`occurrences`] lists for any window containing `starts_at`.
///
/// # Errors
///
/// - [`BookingError::OccurrenceNotOffered`] if the slot is inactive or produces no occurrence
///   starting at that instant (wrong time, wrong weekday, outside the validity dates);
/// - the slot's own [`AvailabilitySlot::validate`] error.
///
/// ```
/// use booking_core::{BookingError, SlotId};
/// use booking_core::availability::{occurrence_at, AvailabilitySlot, SlotRecurrence};
/// use chrono::{NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
///
/// let slot = AvailabilitySlot {
///     id: SlotId::from_uuid(uuid::Uuid::from_u128(1)),
///     teacher_id: uuid::Uuid::from_u128(2).into(),
///     course_id: None,
///     time_zone: chrono_tz::America::St_Johns,
///     recurrence: SlotRecurrence::Weekly {
///         weekday: Weekday::Mon,
///         start_time: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
///         end_time: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
///         valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
///         valid_until: None,
///     },
///     active: true,
///     rules: Default::default(),
/// };
/// // 09:00 NST (UTC-3:30) on Monday 2 March 2026.
/// let starts_at = Utc.with_ymd_and_hms(2026, 3, 2, 12, 30, 0).unwrap();
/// let lesson = occurrence_at(&slot, starts_at).unwrap();
/// assert_eq!(lesson.ends_at, Utc.with_ymd_and_hms(2026, 3, 2, 13, 30, 0).unwrap());
///
/// let off = starts_at + chrono::TimeDelta::minutes(1);
/// assert_eq!(
///     occurrence_at(&slot, off),
///     Err(BookingError::OccurrenceNotOffered { slot_id: slot.id, starts_at: off })
/// );
/// ```
pub fn occurrence_at(slot: &AvailabilitySlot, starts_at: DateTime<Utc>) -> Result<Occurrence, BookingError> {
    slot.validate()?;
    let not_offered = || BookingError::OccurrenceNotOffered { slot_id: slot.id, starts_at };
    if !slot.active || !SUPPORTED_YEARS.contains(&starts_at.year()) {
        return Err(not_offered());
    }
    let tz = slot.time_zone;
    let length = length_of(&slot.recurrence);
    let offsets = ZoneOffsets::direct(tz);
    let wanted = seconds::of_instant(starts_at);
    let starting_here = |local_start| {
        let resolve = |local| offsets.resolve_local_seconds(local);
        occurrence(resolve, seconds::of_wall(local_start), length, |s| s == wanted).map(|r| r.occurrence(slot.id))
    };
    match slot.recurrence {
        SlotRecurrence::Weekly { weekday, start_time, valid_from, valid_until, .. } => {
            // The start's wall date is the rule's date, or the next day if a gap pushed it
            // past midnight.
            let date = wall_time(starts_at, tz).date();
            [date, date - Days::new(1)]
                .into_iter()
                .filter(|&d| d.weekday() == weekday && valid_from <= d && valid_until.is_none_or(|until| d <= until))
                .find_map(|d| starting_here(d.and_time(start_time)))
        }
        SlotRecurrence::OneTime { start, .. } => starting_here(start),
    }
    .ok_or_else(not_offered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::offset::LocalResult;
    use chrono::{Offset, TimeZone};
    use chrono_tz::GapInfo;
    use chrono_tz::{America, Asia, Australia, Etc, Europe, Pacific};
    use proptest::prelude::*;
    use uuid::Uuid;

    fn local(s: &str) -> NaiveDateTime {
        s.parse().unwrap()
    }

    #[test]
    fn the_supported_wall_seconds_are_the_supported_years() {
        let wall = |year| seconds::of_wall(NaiveDate::from_ymd_opt(year, 1, 1).unwrap().and_time(NaiveTime::MIN)).0;
        assert_eq!(SUPPORTED_WALL, wall(*SUPPORTED_YEARS.start())..wall(SUPPORTED_YEARS.end() + 1));
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn time(s: &str) -> NaiveTime {
        s.parse().unwrap()
    }

    fn new_slot(tz: Tz, recurrence: SlotRecurrence) -> AvailabilitySlot {
        AvailabilitySlot {
            id: SlotId::from_uuid(Uuid::from_u128(7)),
            teacher_id: UserId::from_uuid(Uuid::from_u128(8)),
            course_id: None,
            time_zone: tz,
            recurrence,
            active: true,
            rules: Default::default(),
        }
    }

    #[test]
    fn no_occurrence_falls_on_a_wall_date_after_year_9999() {
        // In Tokyo the last hours of 9999 (UTC) are already 10000-01-01 on the wall.
        let new_year = NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
        let slot = new_slot(
            Asia::Tokyo,
            SlotRecurrence::Weekly {
                weekday: new_year.weekday(),
                start_time: time("05:00"),
                end_time: time("06:00"),
                valid_from: date("9999-12-01"),
                valid_until: None,
            },
        );
        let (from, to) = (utc("9999-12-20T00:00:00Z"), utc("9999-12-31T23:59:00Z"));
        let listed: Vec<_> = occurrences(&slot, from, to).unwrap().collect();
        assert_eq!(listed.len(), 1, "only the week before: {listed:?}");
        assert!(listed.iter().all(|o| o.local_date.year() == 9999));
        assert!(occurrence_at(&slot, utc("9999-12-31T20:00:00Z")).is_err());
        assert_eq!(occurrence_on(&slot, new_year), None);
        assert_eq!(occurrence_at(&slot, listed[0].starts_at).as_ref(), Ok(&listed[0]));
    }

    fn weekly(tz: Tz, weekday: Weekday, start: &str, end: &str) -> AvailabilitySlot {
        new_slot(
            tz,
            SlotRecurrence::Weekly {
                weekday,
                start_time: time(start),
                end_time: time(end),
                valid_from: date("2026-01-01"),
                valid_until: None,
            },
        )
    }

    fn one_time(tz: Tz, start: &str, end: &str) -> AvailabilitySlot {
        new_slot(tz, SlotRecurrence::OneTime { start: local(start), end: local(end) })
    }

    fn list(slot: &AvailabilitySlot, from: &str, to: &str) -> Vec<Occurrence> {
        occurrences(slot, utc(from), utc(to)).unwrap().collect()
    }

    fn starts(slot: &AvailabilitySlot, from: &str, to: &str) -> Vec<DateTime<Utc>> {
        list(slot, from, to).into_iter().map(|o| o.starts_at).collect()
    }

    fn invalid_field<T: std::fmt::Debug>(result: Result<T, BookingError>) -> String {
        match result {
            Err(BookingError::InvalidInput { field, .. }) => field,
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    fn not_offered(slot: &AvailabilitySlot, starts_at: DateTime<Utc>) -> Result<Occurrence, BookingError> {
        Err(BookingError::OccurrenceNotOffered { slot_id: slot.id, starts_at })
    }

    /// One zone's 2026 transitions: a weekly slot keeping its wall time across both, and slots
    /// starting in the spring gap and in the autumn fold.
    struct DstCase {
        tz: Tz,
        /// Wall time of the weekly Monday slot, and its starts on the Mondays before and after
        /// each transition.
        monday_time: &'static str,
        mondays: [[&'static str; 2]; 2],
        /// Wall time in the gap, its instant, and the gap's length in minutes.
        gap: (&'static str, &'static str, i64),
        /// Wall time in the fold, its earlier instant, and the fold's length in minutes.
        fold: (&'static str, &'static str, i64),
    }

    const DST_CASES: &[DstCase] = &[
        DstCase {
            tz: Europe::Berlin,
            monday_time: "14:00",
            mondays: [
                ["2026-03-23T13:00:00Z", "2026-03-30T12:00:00Z"],
                ["2026-10-19T12:00:00Z", "2026-10-26T13:00:00Z"],
            ],
            gap: ("2026-03-29T02:30:00", "2026-03-29T01:30:00Z", 60),
            fold: ("2026-10-25T02:30:00", "2026-10-25T00:30:00Z", 60),
        },
        DstCase {
            tz: Australia::Sydney,
            monday_time: "09:00",
            mondays: [
                ["2026-03-29T22:00:00Z", "2026-04-05T23:00:00Z"],
                ["2026-09-27T23:00:00Z", "2026-10-04T22:00:00Z"],
            ],
            gap: ("2026-10-04T02:30:00", "2026-10-03T16:30:00Z", 60),
            fold: ("2026-04-05T02:30:00", "2026-04-04T15:30:00Z", 60),
        },
        DstCase {
            tz: Australia::Adelaide,
            monday_time: "09:00",
            mondays: [
                ["2026-03-29T22:30:00Z", "2026-04-05T23:30:00Z"],
                ["2026-09-27T23:30:00Z", "2026-10-04T22:30:00Z"],
            ],
            gap: ("2026-10-04T02:30:00", "2026-10-03T17:00:00Z", 60),
            fold: ("2026-04-05T02:30:00", "2026-04-04T16:00:00Z", 60),
        },
        DstCase {
            tz: America::St_Johns,
            monday_time: "09:00",
            mondays: [
                ["2026-03-02T12:30:00Z", "2026-03-09T11:30:00Z"],
                ["2026-10-26T11:30:00Z", "2026-11-02T12:30:00Z"],
            ],
            gap: ("2026-03-08T02:30:00", "2026-03-08T06:00:00Z", 60),
            fold: ("2026-11-01T01:30:00", "2026-11-01T04:00:00Z", 60),
        },
        DstCase {
            tz: Australia::Lord_Howe,
            monday_time: "09:00",
            mondays: [
                ["2026-03-29T22:00:00Z", "2026-04-05T22:30:00Z"],
                ["2026-09-27T22:30:00Z", "2026-10-04T22:00:00Z"],
            ],
            gap: ("2026-10-04T02:15:00", "2026-10-03T15:45:00Z", 30),
            fold: ("2026-04-05T01:45:00", "2026-04-04T14:45:00Z", 30),
        },
        DstCase {
            tz: America::Santiago,
            monday_time: "09:00",
            mondays: [
                ["2026-03-30T12:00:00Z", "2026-04-06T13:00:00Z"],
                ["2026-08-31T13:00:00Z", "2026-09-07T12:00:00Z"],
            ],
            // Chile changes clocks at midnight; the fold slot also runs overnight.
            gap: ("2026-09-06T00:30:00", "2026-09-06T04:30:00Z", 60),
            fold: ("2026-04-04T23:30:00", "2026-04-05T02:30:00Z", 60),
        },
    ];

    #[test]
    fn weekly_slots_keep_their_wall_time_across_both_transitions() {
        for case in DST_CASES {
            let start = time(case.monday_time);
            let end = start + TimeDelta::hours(1);
            let slot = weekly(case.tz, Weekday::Mon, case.monday_time, &end.to_string());
            for [before, after] in case.mondays {
                let from = utc(before) - TimeDelta::hours(1);
                let to = utc(after) + TimeDelta::hours(1);
                let found: Vec<_> = occurrences(&slot, from, to).unwrap().collect();
                let found_starts: Vec<_> = found.iter().map(|o| o.starts_at).collect();
                assert_eq!(found_starts, [utc(before), utc(after)], "{}", case.tz);
                for o in &found {
                    assert_eq!(o.ends_at - o.starts_at, TimeDelta::hours(1), "{}", case.tz);
                    assert_eq!(wall_time(o.starts_at, case.tz), o.local_date.and_time(start), "{}", case.tz);
                    assert_eq!(o.local_date.weekday(), Weekday::Mon);
                    assert_eq!(occurrence_at(&slot, o.starts_at).as_ref(), Ok(o));
                }
                // A week after the first start is the wrong instant once the offset changed.
                let old_offset = utc(before) + TimeDelta::weeks(1);
                assert_ne!(old_offset, utc(after));
                assert_eq!(occurrence_at(&slot, old_offset), not_offered(&slot, old_offset));
            }
        }
    }

    /// A weekly slot starting at `start` and lasting 90 wall minutes, on that date's weekday;
    /// returns the occurrences of the weeks before, of, and after that date.
    fn around(tz: Tz, start: NaiveDateTime) -> (AvailabilitySlot, Vec<Occurrence>) {
        let end = start + TimeDelta::minutes(90);
        let slot = weekly(tz, start.weekday(), &start.time().to_string(), &end.time().to_string());
        let middle = resolve_local(tz, start);
        let found = occurrences(&slot, middle - TimeDelta::days(8), middle + TimeDelta::days(8)).unwrap().collect();
        (slot, found)
    }

    #[test]
    fn gap_starts_move_forward_by_the_gap_length() {
        for case in DST_CASES {
            let (wall, instant, gap_minutes) = case.gap;
            let (slot, found) = around(case.tz, local(wall));
            assert_eq!(found.len(), 3, "{}", case.tz);
            let o = &found[1];
            assert_eq!(o.starts_at, utc(instant), "{}", case.tz);
            assert_eq!(o.local_date, local(wall).date());
            assert_eq!(wall_time(o.starts_at, case.tz), local(wall) + TimeDelta::minutes(gap_minutes));
            // Moved, not shortened: the occurrence lasts the slot's 90 minutes.
            assert_eq!(o.ends_at - o.starts_at, TimeDelta::minutes(90), "{}", case.tz);
            assert_eq!(occurrence_at(&slot, o.starts_at).as_ref(), Ok(o));
            for neighbour in [&found[0], &found[2]] {
                assert_eq!(neighbour.ends_at - neighbour.starts_at, TimeDelta::minutes(90));
                assert_eq!(wall_time(neighbour.starts_at, case.tz).time(), local(wall).time());
            }
        }
    }

    #[test]
    fn fold_starts_take_the_earlier_instant() {
        for case in DST_CASES {
            let (wall, instant, fold_minutes) = case.fold;
            let (slot, found) = around(case.tz, local(wall));
            assert_eq!(found.len(), 3, "{}", case.tz);
            let o = &found[1];
            assert_eq!(o.starts_at, utc(instant), "{}", case.tz);
            assert_eq!(wall_time(o.starts_at, case.tz), local(wall));
            // Not stretched by the repeated time: the occurrence lasts the slot's 90 minutes.
            assert_eq!(o.ends_at - o.starts_at, TimeDelta::minutes(90), "{}", case.tz);
            assert_eq!(occurrence_at(&slot, o.starts_at).as_ref(), Ok(o));
            let later = o.starts_at + TimeDelta::minutes(fold_minutes);
            assert_eq!(wall_time(later, case.tz), local(wall));
            assert_eq!(occurrence_at(&slot, later), not_offered(&slot, later));
        }
    }

    /// Slots on the days of the 2027 clock changes: (zone, wall start, wall end, the
    /// occurrence's start and end). Every one lasts its wall-clock length; resolving each end on
    /// its own would skip the spring ones (or shorten them) and stretch the autumn ones.
    const CHANGE_DAYS_2027: &[(Tz, &str, &str, &str, &str)] = &[
        // New York springs from 02:00 to 03:00 on Sunday 14 March, falls back from 02:00 to 01:00
        // on Sunday 7 November.
        (
            America::New_York,
            "2027-03-14T02:30:00",
            "2027-03-14T03:30:00",
            "2027-03-14T07:30:00Z",
            "2027-03-14T08:30:00Z",
        ),
        (
            America::New_York,
            "2027-03-14T01:30:00",
            "2027-03-14T02:30:00",
            "2027-03-14T06:30:00Z",
            "2027-03-14T07:30:00Z",
        ),
        (
            America::New_York,
            "2027-03-14T02:30:00",
            "2027-03-14T04:00:00",
            "2027-03-14T07:30:00Z",
            "2027-03-14T09:00:00Z",
        ),
        (
            America::New_York,
            "2027-11-07T01:30:00",
            "2027-11-07T02:30:00",
            "2027-11-07T05:30:00Z",
            "2027-11-07T06:30:00Z",
        ),
        (
            America::New_York,
            "2027-11-07T00:30:00",
            "2027-11-07T01:30:00",
            "2027-11-07T04:30:00Z",
            "2027-11-07T05:30:00Z",
        ),
        (
            America::New_York,
            "2027-11-06T23:00:00",
            "2027-11-07T02:00:00",
            "2027-11-07T03:00:00Z",
            "2027-11-07T06:00:00Z",
        ),
        // Sydney (southern hemisphere) falls back from 03:00 to 02:00 on Sunday 4 April and
        // springs from 02:00 to 03:00 on Sunday 3 October.
        (
            Australia::Sydney,
            "2027-04-04T02:30:00",
            "2027-04-04T03:30:00",
            "2027-04-03T15:30:00Z",
            "2027-04-03T16:30:00Z",
        ),
        (
            Australia::Sydney,
            "2027-10-03T02:30:00",
            "2027-10-03T03:30:00",
            "2027-10-02T16:30:00Z",
            "2027-10-02T17:30:00Z",
        ),
        (
            Australia::Sydney,
            "2027-10-03T01:00:00",
            "2027-10-03T04:00:00",
            "2027-10-02T15:00:00Z",
            "2027-10-02T18:00:00Z",
        ),
        // Havana changes at midnight: from 00:00 to 01:00 on Sunday 14 March, from 01:00 back
        // to 00:00 on Sunday 7 November.
        (America::Havana, "2027-03-14T00:30:00", "2027-03-14T01:30:00", "2027-03-14T05:30:00Z", "2027-03-14T06:30:00Z"),
        (America::Havana, "2027-03-13T23:30:00", "2027-03-14T00:30:00", "2027-03-14T04:30:00Z", "2027-03-14T05:30:00Z"),
        (America::Havana, "2027-11-07T00:30:00", "2027-11-07T01:30:00", "2027-11-07T04:30:00Z", "2027-11-07T05:30:00Z"),
        (America::Havana, "2027-11-06T23:30:00", "2027-11-07T00:30:00", "2027-11-07T03:30:00Z", "2027-11-07T04:30:00Z"),
        // Lord Howe Island moves by 30 minutes: from 02:00 back to 01:30 on Sunday 4 April,
        // from 02:00 to 02:30 on Sunday 3 October.
        (
            Australia::Lord_Howe,
            "2027-04-04T01:30:00",
            "2027-04-04T02:30:00",
            "2027-04-03T14:30:00Z",
            "2027-04-03T15:30:00Z",
        ),
        (
            Australia::Lord_Howe,
            "2027-10-03T02:15:00",
            "2027-10-03T03:15:00",
            "2027-10-02T15:45:00Z",
            "2027-10-02T16:45:00Z",
        ),
        (
            Australia::Lord_Howe,
            "2027-10-03T02:00:00",
            "2027-10-03T02:30:00",
            "2027-10-02T15:30:00Z",
            "2027-10-02T16:00:00Z",
        ),
    ];

    #[test]
    fn every_occurrence_lasts_the_slot_s_wall_clock_length() {
        for &(tz, start, end, starts_at, ends_at) in CHANGE_DAYS_2027 {
            let (start, end) = (local(start), local(end));
            let expected = |slot: &AvailabilitySlot| Occurrence {
                slot_id: slot.id,
                starts_at: utc(starts_at),
                ends_at: utc(ends_at),
                local_date: start.date(),
            };
            let what = format!("{tz} {start} to {end}");
            assert_eq!(utc(ends_at) - utc(starts_at), end - start, "{what}: the table itself");
            let weekly_slot = new_slot(
                tz,
                SlotRecurrence::Weekly {
                    weekday: start.weekday(),
                    start_time: start.time(),
                    end_time: end.time(),
                    valid_from: date("2027-01-01"),
                    valid_until: None,
                },
            );
            let once = one_time(tz, &start.to_string().replace(' ', "T"), &end.to_string().replace(' ', "T"));
            for slot in [weekly_slot, once] {
                let o = expected(&slot);
                assert_eq!(slot.recurrence.length(), end - start, "{what}");
                // Listing, booking (by start instant) and series (by local date) agree.
                let window = (utc(starts_at) - TimeDelta::days(8), utc(starts_at) + TimeDelta::days(8));
                let listed: Vec<_> = occurrences(&slot, window.0, window.1).unwrap().collect();
                assert!(listed.contains(&o), "{what}: {listed:?}");
                assert!(listed.iter().all(|l| l.ends_at - l.starts_at == end - start), "{what}: {listed:?}");
                assert_eq!(occurrence_at(&slot, o.starts_at), Ok(o.clone()), "{what}");
                assert_eq!(occurrence_on(&slot, o.local_date), Some(o.clone()), "{what}");
                // The wall clock shows the start (moved by a gap) and the start plus the length.
                let shown = wall_time(o.starts_at, tz);
                assert!(shown == start || tz.from_local_datetime(&start) == LocalResult::None, "{what}: {shown}");
            }
        }
    }

    #[test]
    fn slots_inside_a_gap_are_moved_not_skipped() {
        // 02:30-03:00 lies entirely in the spring gap: the lesson is 03:30-04:00 CEST that week.
        let slot = weekly(Europe::Berlin, Weekday::Sun, "02:30", "03:00");
        assert_eq!(
            starts(&slot, "2026-03-20T00:00:00Z", "2026-04-10T00:00:00Z"),
            [utc("2026-03-22T01:30:00Z"), utc("2026-03-29T01:30:00Z"), utc("2026-04-05T00:30:00Z")]
        );
        let moved = occurrence_at(&slot, utc("2026-03-29T01:30:00Z")).unwrap();
        assert_eq!(moved.ends_at, utc("2026-03-29T02:00:00Z"));
        assert_eq!(wall_time(moved.ends_at, Europe::Berlin), local("2026-03-29T04:00:00"));
    }

    #[test]
    fn overnight_slots_end_the_next_day() {
        let slot = weekly(Europe::Berlin, Weekday::Fri, "23:00", "01:00");
        let found = list(&slot, "2026-01-09T00:00:00Z", "2026-01-10T00:00:00Z");
        assert_eq!(
            found,
            [Occurrence {
                slot_id: slot.id,
                starts_at: utc("2026-01-09T22:00:00Z"),
                ends_at: utc("2026-01-10T00:00:00Z"),
                local_date: date("2026-01-09"),
            }]
        );
        // Across the spring gap, 23:30-03:30 still lasts four hours (to 04:30 CEST).
        let slot = weekly(Europe::Berlin, Weekday::Sat, "23:30", "03:30");
        let o = occurrence_at(&slot, utc("2026-03-28T22:30:00Z")).unwrap();
        assert_eq!((o.ends_at, o.local_date), (utc("2026-03-29T02:30:00Z"), date("2026-03-28")));
        // Far from UTC, an overnight slot's start is listed from the UTC window it falls in.
        let slot = weekly(Pacific::Kiritimati, Weekday::Mon, "23:00", "02:00");
        let found = list(&slot, "2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z");
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].local_date, found[0].ends_at), (date("2026-01-05"), utc("2026-01-05T12:00:00Z")));
    }

    #[test]
    fn window_includes_its_start_and_excludes_its_end() {
        let slot = weekly(Europe::Berlin, Weekday::Mon, "14:00", "15:00");
        let at = "2026-01-05T13:00:00Z";
        assert_eq!(starts(&slot, at, "2026-01-05T13:00:01Z"), [utc(at)]);
        assert!(starts(&slot, "2026-01-05T12:59:59Z", at).is_empty());
        assert!(starts(&slot, "2026-01-05T13:00:01Z", "2026-01-12T13:00:00Z").is_empty());
        assert_eq!(starts(&slot, at, "2026-01-12T13:00:00Z"), [utc(at)]);
        // Zones at the edges of the offset range.
        for tz in [Pacific::Kiritimati, Etc::GMTPlus12] {
            let slot = weekly(tz, Weekday::Mon, "00:00", "01:00");
            let at = resolve_local(tz, local("2026-01-12T00:00:00"));
            let found: Vec<_> = occurrences(&slot, at, at + TimeDelta::seconds(1)).unwrap().collect();
            assert_eq!(found.len(), 1, "{tz}");
            let found: Vec<_> = occurrences(&slot, at - TimeDelta::weeks(1), at).unwrap().collect();
            assert_eq!(found.len(), 1, "{tz}");
        }
    }

    #[test]
    fn validity_dates_are_inclusive() {
        let slot = new_slot(
            Europe::Berlin,
            SlotRecurrence::Weekly {
                weekday: Weekday::Mon,
                start_time: time("14:00"),
                end_time: time("15:00"),
                valid_from: date("2026-01-05"),
                valid_until: Some(date("2026-01-19")),
            },
        );
        let all = ["2026-01-05T13:00:00Z", "2026-01-12T13:00:00Z", "2026-01-19T13:00:00Z"].map(utc);
        assert_eq!(starts(&slot, "2025-12-01T00:00:00Z", "2026-03-01T00:00:00Z"), all);
        for at in ["2025-12-29T13:00:00Z", "2026-01-26T13:00:00Z"].map(utc) {
            assert_eq!(occurrence_at(&slot, at), not_offered(&slot, at));
        }
        // Validity is in local dates: a Tuesday 00:30 in Sydney is a Monday in UTC.
        let slot = new_slot(
            Australia::Sydney,
            SlotRecurrence::Weekly {
                weekday: Weekday::Tue,
                start_time: time("00:30"),
                end_time: time("01:30"),
                valid_from: date("2026-01-06"),
                valid_until: Some(date("2026-01-06")),
            },
        );
        assert_eq!(starts(&slot, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"), [utc("2026-01-05T13:30:00Z")]);
    }

    #[test]
    fn inactive_slots_offer_nothing() {
        for mut slot in [
            weekly(Europe::Berlin, Weekday::Mon, "14:00", "15:00"),
            one_time(Europe::Berlin, "2026-01-05T14:00:00", "2026-01-05T15:00:00"),
        ] {
            let at = utc("2026-01-05T13:00:00Z");
            assert_eq!(occurrence_at(&slot, at).map(|o| o.starts_at), Ok(at));
            slot.active = false;
            assert!(starts(&slot, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z").is_empty());
            assert_eq!(occurrence_at(&slot, at), not_offered(&slot, at));
        }
    }

    #[test]
    fn one_time_slots_in_and_out_of_the_window() {
        let slot = one_time(America::St_Johns, "2026-06-01T10:00:00", "2026-06-01T11:30:00");
        let expected = Occurrence {
            slot_id: slot.id,
            starts_at: utc("2026-06-01T12:30:00Z"),
            ends_at: utc("2026-06-01T14:00:00Z"),
            local_date: date("2026-06-01"),
        };
        assert_eq!(list(&slot, "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"), std::slice::from_ref(&expected));
        assert_eq!(list(&slot, "2026-06-01T12:30:00Z", "2026-06-01T12:30:01Z"), std::slice::from_ref(&expected));
        assert!(list(&slot, "2026-05-01T00:00:00Z", "2026-06-01T12:30:00Z").is_empty());
        assert!(list(&slot, "2026-06-01T12:30:01Z", "2026-07-01T00:00:00Z").is_empty());
        assert_eq!(occurrence_at(&slot, expected.starts_at), Ok(expected));
        let off = utc("2026-06-01T12:31:00Z");
        assert_eq!(occurrence_at(&slot, off), not_offered(&slot, off));
        // 24 wall hours across the autumn fold are one day (the longest slot allowed), ending
        // at 11:00 on the wall.
        let slot = one_time(Europe::Berlin, "2026-10-24T12:00:00", "2026-10-25T12:00:00");
        let o = occurrence_at(&slot, utc("2026-10-24T10:00:00Z")).unwrap();
        assert_eq!(o.ends_at - o.starts_at, TimeDelta::days(1));
        assert_eq!(wall_time(o.ends_at, Europe::Berlin), local("2026-10-25T11:00:00"));
    }

    #[test]
    fn occurrence_at_checks_time_weekday_and_validity() {
        let slot = weekly(Europe::Berlin, Weekday::Mon, "14:00", "15:00");
        let real = utc("2026-02-02T13:00:00Z");
        assert_eq!(
            occurrence_at(&slot, real),
            Ok(Occurrence {
                slot_id: slot.id,
                starts_at: real,
                ends_at: utc("2026-02-02T14:00:00Z"),
                local_date: date("2026-02-02"),
            })
        );
        for wrong in [
            real + TimeDelta::minutes(1),
            real - TimeDelta::minutes(1),
            real + TimeDelta::days(1),
            utc("2025-12-29T13:00:00Z"),
            // Summer time: 14:00 is 12:00Z, so 13:00Z is 15:00 local.
            utc("2026-06-01T13:00:00Z"),
            utc("+10000-01-03T13:00:00Z"),
        ] {
            assert_eq!(occurrence_at(&slot, wrong), not_offered(&slot, wrong));
        }
        assert!(occurrence_at(&slot, utc("2026-06-01T12:00:00Z")).is_ok());
    }

    #[test]
    fn samoa_s_skipped_day_moves_the_lesson_to_the_next_date() {
        let slot = new_slot(
            Pacific::Apia,
            SlotRecurrence::Weekly {
                weekday: Weekday::Fri,
                start_time: time("10:00"),
                end_time: time("11:00"),
                valid_from: date("2011-12-01"),
                valid_until: None,
            },
        );
        let found = list(&slot, "2011-12-30T00:00:00Z", "2011-12-31T00:00:00Z");
        assert_eq!(
            found,
            [Occurrence {
                slot_id: slot.id,
                starts_at: utc("2011-12-30T20:00:00Z"),
                ends_at: utc("2011-12-30T21:00:00Z"),
                local_date: date("2011-12-30"),
            }]
        );
        assert_eq!(wall_time(found[0].starts_at, slot.time_zone), local("2011-12-31T10:00:00"));
        assert_eq!(occurrence_at(&slot, found[0].starts_at).as_ref(), Ok(&found[0]));
    }

    #[test]
    fn validation_names_the_offending_field() {
        let tz = Europe::Berlin;
        let weekly_with = |start: &str, end: &str, from: &str, until: Option<&str>| SlotRecurrence::Weekly {
            weekday: Weekday::Mon,
            start_time: time(start),
            end_time: time(end),
            valid_from: date(from),
            valid_until: until.map(date),
        };
        let one = |start: &str, end: &str| SlotRecurrence::OneTime { start: local(start), end: local(end) };
        let cases = [
            (weekly_with("14:00", "14:00", "2026-01-01", None), "end_time"),
            (weekly_with("14:00", "15:00", "2026-01-02", Some("2026-01-01")), "valid_until"),
            (weekly_with("14:00", "15:00", "+10000-01-01", None), "valid_from"),
            (weekly_with("14:00", "15:00", "2026-01-01", Some("+10000-01-01")), "valid_until"),
            (one("2026-01-05T14:00:00", "2026-01-05T14:00:00"), "end"),
            (one("2026-01-05T14:00:00", "2026-01-05T13:00:00"), "end"),
            (one("2026-01-05T14:00:00", "2026-01-06T14:00:01"), "end"),
            // Lengths are wall-clock lengths: 25 wall hours, even across the spring gap.
            (one("2026-03-28T12:00:00", "2026-03-29T13:00:00"), "end"),
            (one("0000-12-31T23:00:00", "0001-01-01T01:00:00"), "start"),
            (one("9999-12-31T23:00:00", "+10000-01-01T01:00:00"), "end"),
        ];
        for (recurrence, field) in cases {
            assert_eq!(invalid_field(recurrence.validate(tz)), field, "{recurrence:?}");
            let slot = new_slot(tz, recurrence);
            assert_eq!(invalid_field(slot.validate()), field);
            assert_eq!(
                invalid_field(occurrences(&slot, utc("2026-01-01T00:00:00Z"), utc("2026-02-01T00:00:00Z"))),
                field
            );
            assert_eq!(invalid_field(occurrence_at(&slot, utc("2026-01-05T13:00:00Z"))), field);
        }
        for ok in [
            weekly_with("23:00", "01:00", "2026-01-01", Some("2026-01-01")),
            one("2026-01-05T14:00:00", "2026-01-06T14:00:00"),
            // In the spring gap: moved to 03:30 CEST, 30 minutes long.
            one("2026-03-29T02:30:00", "2026-03-29T03:00:00"),
            // 24 wall hours across the autumn fold: 24 hours long.
            one("2026-10-24T12:00:00", "2026-10-25T12:00:00"),
        ] {
            assert_eq!(ok.validate(tz), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn windows_must_be_ordered_bounded_and_in_range() {
        let slot = weekly(Europe::Berlin, Weekday::Mon, "14:00", "15:00");
        let from = utc("2026-01-01T00:00:00Z");
        assert_eq!(invalid_field(occurrences(&slot, from, from)), "to");
        assert_eq!(invalid_field(occurrences(&slot, from, from - TimeDelta::seconds(1))), "to");
        assert_eq!(invalid_field(occurrences(&slot, utc("0000-12-31T00:00:00Z"), from)), "from");
        assert_eq!(invalid_field(occurrences(&slot, utc("9999-12-31T00:00:00Z"), utc("+10000-01-01T00:00:00Z"))), "to");
        let max = TimeDelta::days(MAX_WINDOW_DAYS);
        assert_eq!(occurrences(&slot, from, from + max).unwrap().count(), 52);
        for (window, requested) in [(max + TimeDelta::seconds(1), 367), (TimeDelta::days(400), 400)] {
            assert_eq!(
                occurrences(&slot, from, from + window).unwrap_err(),
                BookingError::TooLarge { what: "listing window in days".into(), requested, max: 366 }
            );
        }
        // The last supported days still work, in every direction from UTC.
        for tz in [Pacific::Kiritimati, Etc::GMTPlus12] {
            let slot = weekly(tz, Weekday::Fri, "23:00", "01:00");
            let end = utc("9999-12-31T23:59:59Z");
            assert!(occurrences(&slot, end - TimeDelta::days(30), end).unwrap().count() >= 4);
        }
    }

    #[test]
    fn types_round_trip_through_json() {
        let mut weekly = weekly(Australia::Lord_Howe, Weekday::Wed, "23:00", "00:30");
        weekly.course_id = Some(CourseId::from_uuid(Uuid::from_u128(9)));
        let one = one_time(America::St_Johns, "2026-06-01T10:00:00", "2026-06-01T11:30:00");
        for slot in [weekly.clone(), one.clone()] {
            let json = serde_json::to_string(&slot).unwrap();
            assert_eq!(serde_json::from_str::<AvailabilitySlot>(&json).unwrap(), slot);
        }

        let json = serde_json::to_value(&weekly).unwrap();
        assert_eq!(json["time_zone"], "Australia/Lord_Howe");
        assert_eq!(
            json["recurrence"],
            serde_json::json!({
                "kind": "weekly",
                "weekday": "Wed",
                "start_time": "23:00:00",
                "end_time": "00:30:00",
                "valid_from": "2026-01-01",
                "valid_until": null,
            })
        );
        let json = serde_json::to_value(&one).unwrap();
        assert_eq!(
            json["recurrence"],
            serde_json::json!({
                "kind": "one_time",
                "start": "2026-06-01T10:00:00",
                "end": "2026-06-01T11:30:00",
            })
        );
        let mut json = json;
        json["time_zone"] = "Mars/Olympus_Mons".into();
        assert!(serde_json::from_value::<AvailabilitySlot>(json).is_err());

        let o = occurrence_at(&one, utc("2026-06-01T12:30:00Z")).unwrap();
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(serde_json::from_str::<Occurrence>(&json).unwrap(), o);
    }

    const ZONES: &[Tz] = &[
        Europe::Berlin,
        Australia::Sydney,
        Australia::Adelaide,
        America::St_Johns,
        Australia::Lord_Howe,
        America::Santiago,
        Asia::Kolkata,
        Pacific::Chatham,
        Pacific::Apia,
        Pacific::Kiritimati,
        Etc::GMTPlus12,
        America::New_York,
    ];

    fn minute_of_day() -> impl Strategy<Value = u32> {
        // Half the time on a half hour, where clocks change.
        prop_oneof![0u32..1440, (0u32..48).prop_map(|half_hours| half_hours * 30)]
    }

    /// The first instant after `after`, within a year, at which `tz`'s UTC offset changes.
    fn next_change(tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let offset = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc()).fix();
        let changed = |t: DateTime<Utc>| offset(t) != offset(after);
        let hour = (1..=366 * 24).map(|h| after + TimeDelta::hours(h)).find(|&t| changed(t))?;
        (0..60).map(|m| hour - TimeDelta::minutes(m)).take_while(|&t| changed(t)).last()
    }

    /// Checks the listing of a weekly slot against its definition, against `occurrence_at`,
    /// and against a naive day-by-day computation.
    fn check_weekly_listing(
        slot: &AvailabilitySlot,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<(), TestCaseError> {
        let SlotRecurrence::Weekly { weekday, start_time, end_time, valid_from, valid_until } = slot.recurrence else {
            unreachable!("weekly slots only");
        };
        let tz = slot.time_zone;
        let offered = |day: NaiveDate| {
            day.weekday() == weekday && valid_from <= day && valid_until.is_none_or(|until| day <= until)
        };
        let listed: Vec<_> = occurrences(slot, from, to).unwrap().collect();

        for o in &listed {
            prop_assert!(from <= o.starts_at && o.starts_at < to);
            prop_assert_eq!(o.ends_at - o.starts_at, slot.recurrence.length());
            prop_assert!(offered(o.local_date));
            let wall = o.local_date.and_time(start_time);
            let expected_wall = match tz.from_local_datetime(&wall) {
                LocalResult::None => {
                    let gap = GapInfo::new(&wall, &tz).unwrap();
                    wall + (gap.end.unwrap().naive_local() - gap.begin.unwrap().0)
                }
                _ => wall,
            };
            prop_assert_eq!(wall_time(o.starts_at, tz), expected_wall);
            let named = occurrence_at(slot, o.starts_at);
            prop_assert_eq!(named.as_ref(), Ok(o));
        }
        prop_assert!(listed.windows(2).all(|pair| pair[0].starts_at < pair[1].starts_at));

        let mut reference = Vec::new();
        let mut day = from.date_naive() - Days::new(3);
        while day <= to.date_naive() + Days::new(3) {
            if offered(day) {
                let starts_at = resolve_local(tz, day.and_time(start_time));
                // The wall-clock length, whatever the clocks do meanwhile.
                let end_day = if end_time > start_time { day } else { day.succ_opt().unwrap() };
                let ends_at = starts_at + (end_day.and_time(end_time) - day.and_time(start_time));
                if from <= starts_at && starts_at < to {
                    let local_date = day;
                    reference.push(Occurrence { slot_id: slot.id, starts_at, ends_at, local_date });
                }
            }
            day = day.succ_opt().unwrap();
        }
        prop_assert_eq!(listed, reference);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn weekly_listing_matches_a_day_by_day_reference(
            tz in proptest::sample::select(ZONES),
            weekday in (0u8..7).prop_map(|n| Weekday::try_from(n).unwrap()),
            start_minute in minute_of_day(),
            length_minutes in 1i64..1440,
            from_minute in 0i64..(20 * 365 * 1440),
            // Half the time: start within 90 minutes of the next clock change, and list from
            // up to 30 days before it to up to 60 days after it.
            near_change in proptest::option::of((-90i64..90, 0i64..(30 * 1440))),
            window_minutes in 1i64..(60 * 1440),
            valid_from_offset in -90i64..90,
            valid_days in proptest::option::of(0u64..120),
        ) {
            let minutes = TimeDelta::minutes;
            let mut from = utc("2010-01-01T00:00:00Z") + minutes(from_minute);
            let mut to = from + minutes(window_minutes);
            let mut weekday = weekday;
            let mut start_time = NaiveTime::MIN + minutes(start_minute.into());
            let change = near_change.and_then(|aim| Some((aim, next_change(tz, from)?)));
            if let Some(((nudge, lead), change)) = change {
                let anchor = wall_time(change - minutes(1), tz) + minutes(1 + nudge);
                (weekday, start_time) = (anchor.weekday(), anchor.time());
                (from, to) = (change - minutes(lead), change + minutes(window_minutes));
            }
            let end_time = start_time + minutes(length_minutes);
            let valid_from = from.date_naive() + TimeDelta::days(valid_from_offset);
            let valid_until = valid_days.map(|days| valid_from + Days::new(days));
            let recurrence =
                SlotRecurrence::Weekly { weekday, start_time, end_time, valid_from, valid_until };
            check_weekly_listing(&new_slot(tz, recurrence), from, to)?;
        }
    }

    #[test]
    fn time_off_covers_whole_local_days() {
        let off = TimeOff {
            id: TimeOffId::from_uuid(uuid::Uuid::from_u128(1)),
            teacher_id: UserId::from_uuid(uuid::Uuid::from_u128(2)),
            first_day: NaiveDate::from_ymd_opt(2030, 3, 30).unwrap(),
            last_day: NaiveDate::from_ymd_opt(2030, 3, 31).unwrap(),
            time_zone: chrono_tz::Europe::Berlin,
            note: None,
        };
        let utc = |d, h, m| Utc.with_ymd_and_hms(2030, 3, d, h, m, 0).unwrap();
        // Midnight in Berlin is 23:00Z before the spring change, 22:00Z after it.
        assert_eq!((off.starts_at(), off.ends_at()), (utc(29, 23, 0), utc(31, 22, 0)));
        assert!(off.overlaps(utc(29, 22, 30), utc(29, 23, 30)));
        assert!(!off.overlaps(utc(29, 22, 0), utc(29, 23, 0)), "ending at its start does not overlap");
        assert!(!off.overlaps(utc(31, 22, 0), utc(31, 23, 0)), "starting at its end does not overlap");
    }
}
