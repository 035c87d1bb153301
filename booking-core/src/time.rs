//! Time zones, wall times and the one rule that turns a wall time into an instant.
//!
//! Availability is defined in wall time ("Mondays 14:00 in Europe/Berlin"); bookings, listings
//! and overlap checks work on UTC instants. [`resolve_local`] is the only bridge from the first
//! to the second, so every part of the engine agrees on what a wall time means on days when the
//! clocks change.
//!
//! # Clock changes
//!
//! This is the engine's one rule for days when the clocks change. Listing, booking, series,
//! reschedules, the holds in the calendars and the iCalendar export all follow it, because they
//! all take an occurrence's instants from one helper in [`crate::availability`].
//!
//! **The start** of an occurrence is the slot's wall start time resolved by [`resolve_local`],
//! by the rule of RFC 5545 (section 3.3.5) and of JavaScript Temporal's `"compatible"`
//! disambiguation:
//!
//! - a wall time that occurs once maps to that instant;
//! - a wall time that occurs twice (the clocks were turned back, an autumn *fold*) maps to the
//!   **earlier** of the two instants;
//! - a wall time that never occurs (the clocks were turned forward, a spring *gap*) is read with
//!   the UTC offset in force just **before** the gap, which lands it after the gap, later by the
//!   gap's length: 02:30 on the day Berlin springs from 02:00 to 03:00 is 03:30 CEST.
//!
//! **The length** of every occurrence, weekly or one-time, is exactly the slot's wall-clock
//! length (its end time minus its start time, as a duration:
//! [`SlotRecurrence::length`](crate::availability::SlotRecurrence::length)): the end is the
//! start plus that length, as for an RFC 5545 event given by `DTSTART` and `DURATION`, and as
//! calendar apps do. The end's wall time is not resolved on its own, so on a clock-change day
//! the clock shows another end time than the slot's, and no occurrence is ever skipped or
//! stretched by a change. In America/New_York in 2027:
//!
//! | day | slot | occurrence | on the wall |
//! |---|---|---|---|
//! | Sunday 14 March (02:00 jumps to 03:00) | 02:30–03:30 | 07:30Z–08:30Z | 03:30–04:30 EDT |
//! | | 01:30–02:30 | 06:30Z–07:30Z | 01:30 EST–03:30 EDT |
//! | Sunday 7 November (02:00 falls back to 01:00) | 01:30–02:30 | 05:30Z–06:30Z | 01:30 EDT–01:30 EST |
//! | | 00:30–01:30 | 04:30Z–05:30Z | 00:30–01:30 EDT |
//!
//! The same holds for gaps and folds of any length (30 minutes on Lord Howe Island, a whole
//! day in Samoa at the end of 2011), for changes at midnight (Havana jumps from 00:00 to 01:00)
//! and for zones with non-whole-hour offsets. One-time slots are checked in wall time too: at
//! most 24 hours from start to end, which is how long the occurrence lasts.

use crate::BookingError;
use chrono::offset::LocalResult;
use chrono::{DateTime, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{GapInfo, Tz};

mod offsets;
pub(crate) mod seconds;
pub(crate) use offsets::{SteadyWalls, ZoneOffsets};

/// Parses an IANA time zone name such as `"Europe/Berlin"`.
///
/// The name must match an entry (or an alias, such as `"US/Eastern"`) of the tz database
/// exactly: case matters and surrounding whitespace is not trimmed.
///
/// # Errors
///
/// [`BookingError::UnknownTimeZone`] for an empty or unknown name.
///
/// ```
/// use booking_core::BookingError;
/// use booking_core::time::parse_time_zone;
///
/// assert_eq!(parse_time_zone("Europe/Berlin").unwrap(), chrono_tz::Europe::Berlin);
/// assert_eq!(
///     parse_time_zone(" Europe/Berlin"),
///     Err(BookingError::UnknownTimeZone { name: " Europe/Berlin".into() })
/// );
/// assert!(parse_time_zone("").is_err());
/// ```
pub fn parse_time_zone(name: &str) -> Result<Tz, BookingError> {
    name.parse::<Tz>().map_err(|_| BookingError::UnknownTimeZone { name: name.to_owned() })
}

/// The instant at which the wall time `local` occurs in `tz`: the single rule for wall times,
/// used for listing, booking and series alike. A time in a fold is the earlier instant, a time
/// in a gap is moved forward by the gap's length; see [clock changes](self#clock-changes).
///
/// ```
/// use booking_core::time::resolve_local;
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use chrono_tz::Europe::Berlin;
///
/// let local = |m, d, h, min| {
///     NaiveDate::from_ymd_opt(2026, m, d).unwrap().and_hms_opt(h, min, 0).unwrap()
/// };
/// let utc = |m, d, h, min| Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap();
///
/// // An ordinary wall time (CET, UTC+1).
/// assert_eq!(resolve_local(Berlin, local(3, 2, 14, 0)), utc(3, 2, 13, 0));
/// // In the spring gap (02:00 -> 03:00): read at UTC+1, which is 03:30 CEST.
/// assert_eq!(resolve_local(Berlin, local(3, 29, 2, 30)), utc(3, 29, 1, 30));
/// // In the autumn fold (03:00 -> 02:00) 02:30 happens twice: the earlier, CEST (UTC+2), wins.
/// assert_eq!(resolve_local(Berlin, local(10, 25, 2, 30)), utc(10, 25, 0, 30));
/// ```
///
/// # Panics
///
/// Only for wall times within a day of the limits of [`NaiveDateTime`] (about 262,000 years
/// from now), where no instant can be represented.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    resolve_local_shown(tz, local).0
}

/// [`resolve_local`], and whether a clock in `tz` shows `local` at the resulting instant (it
/// does unless `local` lies in a gap), so callers can skip a [`wall_time`] look-up.
pub(crate) fn resolve_local_shown(tz: Tz, local: NaiveDateTime) -> (DateTime<Utc>, bool) {
    // The offset alone, without building a `DateTime<Tz>` to convert back: this runs for every
    // candidate occurrence of a listing.
    match tz.offset_from_local_datetime(&local) {
        LocalResult::Single(offset) | LocalResult::Ambiguous(offset, _) => ((local - offset.fix()).and_utc(), true),
        LocalResult::None => {
            let (_, offset_before) = GapInfo::new(&local, &tz)
                .and_then(|gap| gap.begin)
                .expect("a wall time that does not occur lies in a gap after a known offset");
            ((local - offset_before.fix()).and_utc(), false)
        }
    }
}

/// The wall time shown by a clock in `tz` at `instant`.
///
/// `resolve_local(tz, wall_time(t, tz)) == t` for every instant except the later pass through
/// an autumn fold, which resolves to the earlier pass (see [`resolve_local`]).
///
/// ```
/// use booking_core::time::wall_time;
/// use chrono::{NaiveDate, TimeZone, Utc};
///
/// let instant = Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 0).unwrap();
/// let expected = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap().and_hms_opt(17, 30, 0).unwrap();
/// assert_eq!(wall_time(instant, chrono_tz::Asia::Kolkata), expected);
/// ```
///
/// # Panics
///
/// Only for instants within a day of the limits of [`NaiveDateTime`].
pub fn wall_time(instant: DateTime<Utc>, tz: Tz) -> NaiveDateTime {
    instant.with_timezone(&tz).naive_local()
}

/// Whether the half-open intervals `[a_start, a_end)` and `[b_start, b_end)` share an instant.
///
/// Intervals that merely touch (one ends when the other starts) do not overlap, and an empty
/// interval (`end <= start`) overlaps nothing.
///
/// ```
/// use booking_core::time::intervals_overlap;
/// use chrono::{TimeZone, Utc};
///
/// let h = |hour| Utc.with_ymd_and_hms(2026, 1, 5, hour, 0, 0).unwrap();
/// assert!(intervals_overlap(h(9), h(11), h(10), h(12)));
/// assert!(!intervals_overlap(h(9), h(10), h(10), h(11)));
/// ```
#[inline]
pub fn intervals_overlap(
    a_start: DateTime<Utc>,
    a_end: DateTime<Utc>,
    b_start: DateTime<Utc>,
    b_end: DateTime<Utc>,
) -> bool {
    a_start < a_end && b_start < b_end && a_start < b_end && b_start < a_end
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeDelta};
    use chrono_tz::{America, Asia, Australia, Europe, Pacific};
    use proptest::prelude::*;

    fn local(s: &str) -> NaiveDateTime {
        s.parse().unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn parses_iana_names_exactly() {
        assert_eq!(parse_time_zone("Australia/Lord_Howe"), Ok(Australia::Lord_Howe));
        assert_eq!(parse_time_zone("UTC"), Ok(Tz::UTC));
        for bad in ["", "europe/berlin", "Europe/Berlin ", "Mars/Olympus_Mons", "+02:00"] {
            assert_eq!(parse_time_zone(bad), Err(BookingError::UnknownTimeZone { name: bad.to_owned() }));
        }
    }

    /// (zone, wall time in the spring gap, its instant, wall time in the autumn fold, the
    /// earlier instant, the later instant), all in 2026.
    const TRANSITIONS: &[(Tz, &str, &str, &str, &str, &str)] = &[
        (
            Europe::Berlin,
            "2026-03-29T02:30:00",
            "2026-03-29T01:30:00Z",
            "2026-10-25T02:30:00",
            "2026-10-25T00:30:00Z",
            "2026-10-25T01:30:00Z",
        ),
        (
            Australia::Sydney,
            "2026-10-04T02:30:00",
            "2026-10-03T16:30:00Z",
            "2026-04-05T02:30:00",
            "2026-04-04T15:30:00Z",
            "2026-04-04T16:30:00Z",
        ),
        (
            Australia::Adelaide,
            "2026-10-04T02:30:00",
            "2026-10-03T17:00:00Z",
            "2026-04-05T02:30:00",
            "2026-04-04T16:00:00Z",
            "2026-04-04T17:00:00Z",
        ),
        (
            America::St_Johns,
            "2026-03-08T02:30:00",
            "2026-03-08T06:00:00Z",
            "2026-11-01T01:30:00",
            "2026-11-01T04:00:00Z",
            "2026-11-01T05:00:00Z",
        ),
        (
            Australia::Lord_Howe,
            "2026-10-04T02:15:00",
            "2026-10-03T15:45:00Z",
            "2026-04-05T01:45:00",
            "2026-04-04T14:45:00Z",
            "2026-04-04T15:15:00Z",
        ),
        (
            America::Santiago,
            "2026-09-06T00:30:00",
            "2026-09-06T04:30:00Z",
            "2026-04-04T23:30:00",
            "2026-04-05T02:30:00Z",
            "2026-04-05T03:30:00Z",
        ),
    ];

    #[test]
    fn gap_times_move_forward_and_fold_times_take_the_earlier_instant() {
        for &(tz, gap, gap_instant, fold, earlier, later) in TRANSITIONS {
            assert_eq!(tz.from_local_datetime(&local(gap)), LocalResult::None, "{tz} {gap}");
            assert_eq!(resolve_local(tz, local(gap)), utc(gap_instant), "{tz} {gap}");

            assert_eq!(wall_time(utc(earlier), tz), local(fold), "{tz} {fold}");
            assert_eq!(wall_time(utc(later), tz), local(fold), "{tz} {fold}");
            assert_eq!(resolve_local(tz, local(fold)), utc(earlier), "{tz} {fold}");
        }
    }

    #[test]
    fn gap_shift_equals_gap_length() {
        // Berlin and St. John's jump one hour, Lord Howe Island half an hour.
        let shifted = wall_time(resolve_local(Europe::Berlin, local("2026-03-29T02:30:00")), Europe::Berlin);
        assert_eq!(shifted, local("2026-03-29T03:30:00"));
        let shifted = wall_time(resolve_local(America::St_Johns, local("2026-03-08T02:00:00")), America::St_Johns);
        assert_eq!(shifted, local("2026-03-08T03:00:00"));
        let lhi = Australia::Lord_Howe;
        assert_eq!(wall_time(resolve_local(lhi, local("2026-10-04T02:00:00")), lhi), local("2026-10-04T02:30:00"));
        assert_eq!(wall_time(resolve_local(lhi, local("2026-10-04T02:29:59")), lhi), local("2026-10-04T02:59:59"));
    }

    #[test]
    fn samoa_skipped_a_whole_day() {
        // Apia went from 2011-12-29 24:00 (UTC-10) straight to 2011-12-31 00:00 (UTC+14).
        let apia = Pacific::Apia;
        assert_eq!(resolve_local(apia, local("2011-12-30T10:00:00")), utc("2011-12-30T20:00:00Z"));
        assert_eq!(wall_time(utc("2011-12-30T20:00:00Z"), apia), local("2011-12-31T10:00:00"));
        assert_eq!(resolve_local(apia, local("2011-12-29T23:00:00")), utc("2011-12-30T09:00:00Z"));
    }

    #[test]
    fn ordinary_wall_times_round_trip() {
        assert_eq!(resolve_local(Asia::Kolkata, local("2026-03-29T02:30:00")), utc("2026-03-28T21:00:00Z"));
        assert_eq!(resolve_local(Australia::Adelaide, local("2026-07-01T09:00:00")), utc("2026-06-30T23:30:00Z"));
        assert_eq!(resolve_local(Tz::UTC, local("2026-01-01T00:00:00")), utc("2026-01-01T00:00:00Z"));
        assert_eq!(wall_time(utc("2026-01-15T12:00:00Z"), America::St_Johns), local("2026-01-15T08:30:00"));
    }

    #[test]
    fn overlap_is_half_open() {
        let t = |m: i64| utc("2026-01-05T10:00:00Z") + TimeDelta::minutes(m);
        assert!(intervals_overlap(t(0), t(60), t(30), t(90)));
        assert!(intervals_overlap(t(30), t(90), t(0), t(60)));
        assert!(intervals_overlap(t(0), t(60), t(10), t(20)));
        assert!(intervals_overlap(t(0), t(60), t(0), t(60)));
        assert!(!intervals_overlap(t(0), t(60), t(60), t(90)));
        assert!(!intervals_overlap(t(60), t(90), t(0), t(60)));
        assert!(!intervals_overlap(t(0), t(60), t(70), t(90)));
        assert!(!intervals_overlap(t(30), t(30), t(0), t(60)));
        assert!(!intervals_overlap(t(0), t(60), t(50), t(40)));
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
        America::New_York,
    ];

    proptest! {
        /// The listing shows UTC wall times without a zone look-up; this is what the look-up gives.
        #[test]
        fn utc_wall_time_is_the_instant(seconds in -62_135_596_800i64..253_402_300_799) {
            let instant = DateTime::from_timestamp(seconds, 0).unwrap();
            prop_assert_eq!(wall_time(instant, Tz::UTC), instant.naive_utc());
        }

        #[test]
        fn resolution_follows_the_compatible_rule(
            tz in proptest::sample::select(ZONES),
            day in 0i64..(366 * 30),
            minute in 0i64..(24 * 60),
        ) {
            let base = NaiveDate::from_ymd_opt(2005, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
            let local = base + TimeDelta::days(day) + TimeDelta::minutes(minute);
            let instant = resolve_local(tz, local);
            match tz.from_local_datetime(&local) {
                LocalResult::Single(t) => prop_assert_eq!(instant, t),
                LocalResult::Ambiguous(earlier, later) => {
                    prop_assert!(earlier < later);
                    prop_assert_eq!(instant, earlier);
                }
                LocalResult::None => {
                    let gap = GapInfo::new(&local, &tz).unwrap();
                    let length = gap.end.unwrap().naive_local() - gap.begin.unwrap().0;
                    prop_assert_eq!(wall_time(instant, tz), local + length);
                }
            }
            // Every instant's wall time resolves back to it, except on the later pass of a fold.
            let later = instant + TimeDelta::minutes(minute);
            let back = resolve_local(tz, wall_time(later, tz));
            prop_assert!(back <= later);
            prop_assert_eq!(wall_time(back, tz), wall_time(later, tz));
        }
    }
}
