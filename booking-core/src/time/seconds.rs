//! Instants and wall times as whole seconds and nanoseconds, for the loops that resolve many
//! occurrences: chrono's types keep a date as a year and a day of the year, so each addition
//! and each conversion from seconds goes through the calendar (about 70 instructions), while
//! seconds add in one. [`Dates`] turns seconds back into chrono's types with a table of the
//! dates a listing's window touches, found once.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

/// Whole seconds since 1970-01-01 00:00 and the nanoseconds past them: of an instant, or of a
/// wall time read as if it were UTC. Ordered as the instants or wall times are (a leap
/// second's nanoseconds run past 999,999,999 in the second before the next minute, as
/// chrono's do).
pub(crate) type Seconds = (i64, u32);

/// A second's nanoseconds.
pub(crate) const NANOS: u32 = 1_000_000_000;

/// A day in seconds.
pub(crate) const DAY: i64 = 86_400;

/// `t` in [`Seconds`].
#[inline]
pub(crate) fn of_wall(t: NaiveDateTime) -> Seconds {
    (t.and_utc().timestamp(), t.nanosecond())
}

/// `t` in [`Seconds`].
#[inline]
pub(crate) fn of_instant(t: DateTime<Utc>) -> Seconds {
    (t.timestamp(), t.timestamp_subsec_nanos())
}

/// The instant `s` (or, with [`DateTime::naive_utc`], the wall time).
///
/// # Panics
/// If `s` is outside chrono's range or is a leap second's (an occurrence's times are neither:
/// a slot's wall times are validated).
#[inline]
pub(crate) fn instant(s: Seconds) -> DateTime<Utc> {
    DateTime::from_timestamp(s.0, s.1).expect("an occurrence's time within chrono's range and without a leap second")
}

/// `a + b`, both below a second past their whole seconds.
#[inline]
pub(crate) fn add(a: Seconds, b: Seconds) -> Seconds {
    debug_assert!(a.1 < NANOS && b.1 < NANOS);
    let nanos = a.1 + b.1;
    (a.0 + b.0 + i64::from(nanos >= NANOS), nanos % NANOS)
}

/// The dates of a stretch of days, found once, so that seconds within it become chrono's
/// types without the calendar arithmetic; seconds outside it are converted by chrono.
#[derive(Clone, Debug)]
pub(crate) struct Dates {
    /// The first second of `dates[0]`.
    start: i64,
    dates: Vec<NaiveDate>,
}

impl Dates {
    /// The dates of the days from `from`'s to `to`'s (seconds of instants or wall times).
    pub(crate) fn between(from: i64, to: i64) -> Self {
        let (first, last) = (from.div_euclid(DAY), to.div_euclid(DAY));
        let mut dates = Vec::with_capacity(usize::try_from(last - first + 1).unwrap_or(0));
        let mut date = Some(instant((first * DAY, 0)).date_naive());
        for _ in first..=last {
            // Up to chrono's last date.
            let Some(d) = date else { break };
            dates.push(d);
            date = d.succ_opt();
        }
        Self { start: first * DAY, dates }
    }

    /// The wall time `s` (see [`instant`] for what it panics on).
    #[inline]
    pub(crate) fn wall(&self, s: Seconds) -> NaiveDateTime {
        // Unsigned division: seconds before the first day are out of the table as those after
        // its last are.
        const DAY_SECONDS: u64 = DAY as u64;
        if let Some(since) = s.0.checked_sub(self.start).and_then(|since| u64::try_from(since).ok())
            && let Some(date) = usize::try_from(since / DAY_SECONDS).ok().and_then(|day| self.dates.get(day))
            && let Some(time) = NaiveTime::from_num_seconds_from_midnight_opt((since % DAY_SECONDS) as u32, s.1)
        {
            return date.and_time(time);
        }
        instant(s).naive_utc()
    }

    /// The instant `s` (see [`instant`] for what it panics on).
    #[inline]
    pub(crate) fn instant(&self, s: Seconds) -> DateTime<Utc> {
        self.wall(s).and_utc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn dates_convert_as_chrono_does(
            from in -62_135_596_800i64..253_402_300_799,
            days in 0i64..400,
            at in proptest::collection::vec((-3 * DAY..403 * DAY, 0u32..NANOS), 32),
        ) {
            let to = (from + days * DAY).min(253_402_300_799);
            let dates = Dates::between(from, to);
            for (d, nanos) in at {
                let s = (from + d, nanos);
                if let Some(expected) = DateTime::from_timestamp(s.0, s.1) {
                    prop_assert_eq!(dates.wall(s), expected.naive_utc());
                    prop_assert_eq!(dates.instant(s), expected);
                    prop_assert_eq!(of_instant(expected), s);
                    prop_assert_eq!(of_wall(expected.naive_utc()), s);
                }
            }
        }

        #[test]
        fn seconds_add_as_chrono_does(a in -62_135_596_800i64..253_402_300_799, an in 0u32..NANOS, b in 0i64..DAY, bn in 0u32..NANOS) {
            let sum = instant((a, an)) + chrono::TimeDelta::new(b, bn).unwrap();
            prop_assert_eq!(add((a, an), (b, bn)), of_instant(sum));
        }
    }

    #[test]
    fn the_ends_of_chronos_range_are_converted_by_chrono() {
        let last = NaiveDate::MAX.and_time(NaiveTime::MIN).and_utc().timestamp();
        let dates = Dates::between(last - DAY, last + 10);
        assert_eq!(dates.wall((last + 5, 7)), instant((last + 5, 7)).naive_utc());
    }
}
