//! A zone's UTC offsets over one listing's stretch of time, found once, so that each of the
//! listing's occurrences is mapped without a look-up in the zone's whole history.
//!
//! chrono-tz resolves every instant and wall time by a binary search over all of a zone's
//! transitions (about 360 for America/New_York) and keeps those transitions private. A listing
//! resolves hundreds of occurrences in a window of at most a year, in which a zone changes its
//! offset a few times at most: [`ZoneOffsets::over`] finds those changes with chrono-tz itself
//! (an offset probed once a day, each change then bisected to its second), and maps instants
//! and wall times with the same rules chrono-tz applies, so every result is the one
//! [`wall_time`](super::wall_time) and [`resolve_local`](super::resolve_local) give.
//!
//! The offsets are found a UTC year at a time, and each zone's years are kept for the process
//! (at most [`KEPT_YEARS`] of them, a few hundred bytes each), so a listing usually finds every
//! change of its window without asking chrono-tz at all: the tz database is fixed for the
//! process, so a year's offsets never go stale.
//!
//! Probing once a day finds every change as long as no zone changes its offset twice within a
//! day. In the tz database chrono-tz ships, the closest two changes of any zone are 6.96 days
//! apart (Brazil in 2000, Gaza and Hebron in their Ramadan years); the property tests below
//! compare both mappings with chrono-tz in every zone, over windows from 1900 to 2100, at
//! random instants and at every change found.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// How far apart offsets are probed, and a bound on any UTC offset.
use super::seconds::DAY;

/// How many zone years the process keeps (a year of a zone without changes is one span, 16
/// bytes; with daylight saving time, three). A platform's teachers in 50 zones, listed over
/// three years, keep 150. Years found when the store is full are used once and dropped, so a
/// caller that asks for every zone and year cannot grow the process without bound.
const KEPT_YEARS: usize = 4_096;

/// Each offset of one zone over one UTC year: where it begins (the first at the year's
/// start), ascending.
type Year = Arc<[(i64, FixedOffset)]>;

/// The zone years found so far (see [`KEPT_YEARS`]).
static KEPT: LazyLock<RwLock<HashMap<(Tz, i32), Year>>> = LazyLock::new(RwLock::default);

/// The first second of `year` in UTC.
fn year_start(year: i32) -> i64 {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .expect("a year within chrono's range")
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp()
}

/// The offsets of `tz` over the UTC year `year`, found once per process while fewer than
/// [`KEPT_YEARS`] are kept.
fn year(tz: Tz, year: i32) -> Year {
    if let Some(found) = KEPT.read().unwrap_or_else(PoisonError::into_inner).get(&(tz, year)) {
        return Arc::clone(found);
    }
    let found: Year = probed(tz, year_start(year), year_start(year + 1)).into();
    keep(&mut KEPT.write().unwrap_or_else(PoisonError::into_inner), (tz, year), &found, KEPT_YEARS);
    found
}

/// Keeps `found` in `kept` unless `kept` already holds `limit` years.
fn keep(kept: &mut HashMap<(Tz, i32), Year>, key: (Tz, i32), found: &Year, limit: usize) {
    if kept.len() < limit {
        // Another thread may have found it meanwhile: the same offsets, either is kept.
        kept.entry(key).or_insert_with(|| Arc::clone(found));
    }
}

/// Each offset of `tz` over `[lo, hi)` (UTC seconds, `lo < hi`), where it begins (the first at
/// `lo`): one chrono-tz look-up per day, and 17 more per change of offset.
fn probed(tz: Tz, lo: i64, hi: i64) -> Vec<(i64, FixedOffset)> {
    let offset = |t: i64| {
        let at = DateTime::from_timestamp(t, 0).expect("an instant within the supported years");
        tz.offset_from_utc_datetime(&at.naive_utc()).fix()
    };
    let mut spans = vec![(lo, offset(lo))];
    let (mut probe, mut before) = (lo, spans[0].1);
    while probe < hi - 1 {
        let next = (probe + DAY).min(hi - 1);
        let after = offset(next);
        if after != before {
            // One change in `(probe, next]` (see the module docs): the first second at which
            // the offset is `after`.
            let (mut old, mut new) = (probe, next);
            while new - old > 1 {
                let middle = old + (new - old) / 2;
                if offset(middle) == before {
                    old = middle;
                } else {
                    new = middle;
                }
            }
            spans.push((new, after));
        }
        (probe, before) = (next, after);
    }
    spans
}

/// The UTC offsets of one zone over `lo..hi` (UTC seconds). Instants and wall times outside
/// what the table covers are looked up in chrono-tz, so every answer is exact.
#[derive(Clone, Debug)]
pub(crate) struct ZoneOffsets {
    tz: Tz,
    lo: i64,
    hi: i64,
    /// Where each offset begins (the first at `lo`), ascending, each differing from the one
    /// before it. Empty: nothing is covered.
    spans: Vec<(i64, FixedOffset)>,
}

/// Wall seconds (read as if they were UTC) that one offset of a zone alone shows, found by
/// [`ZoneOffsets::resolve_local_steady`]: each starts `shift` seconds before it reads, is
/// shown, and its offset holds until UTC second `until`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SteadyWalls {
    walls: Range<i64>,
    shift: i64,
    until: i64,
}

impl SteadyWalls {
    /// No wall second.
    pub(crate) const NONE: Self = Self { walls: 0..0, shift: 0, until: 0 };

    /// [`ZoneOffsets::resolve_local_seconds`]`(local)`, if `local` is one of these wall seconds.
    #[inline]
    pub(crate) fn resolve(&self, local: i64) -> Option<(i64, bool, i64)> {
        self.walls.contains(&local).then_some((local - self.shift, true, self.until))
    }
}

impl ZoneOffsets {
    /// A table that covers nothing: every look-up goes to chrono-tz.
    pub(crate) fn direct(tz: Tz) -> Self {
        Self { tz, lo: 0, hi: 0, spans: Vec::new() }
    }

    /// The offsets of `tz` over at least `[from, to)`: the UTC years it touches, each found
    /// once per process (about one chrono-tz look-up per day of the year, and 17 more per
    /// change of offset; see [`KEPT_YEARS`]).
    ///
    /// # Panics
    /// If `from` or `to` is within a year of the limits of [`NaiveDateTime`].
    pub(crate) fn over(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        if to <= from {
            return Self::direct(tz);
        }
        // `to` is excluded: the last year is the one of the instant before it.
        let (first, last) = (from.year(), (to - chrono::TimeDelta::nanoseconds(1)).year());
        let mut spans: Vec<(i64, FixedOffset)> = Vec::new();
        for y in first..=last {
            for &(start, offset) in year(tz, y).iter() {
                // A year that starts with the offset the last one ended with adds no change.
                if spans.last().is_none_or(|&(_, before)| before != offset) {
                    spans.push((start, offset));
                }
            }
        }
        Self { tz, lo: year_start(first), hi: year_start(last + 1), spans }
    }

    /// The offsets of `tz` over exactly `[from, to)`, probed afresh (what [`Self::over`] keeps
    /// a year of): for the tests of the table's ends and of the premise.
    #[cfg(test)]
    fn probed_over(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        let (lo, hi) = (from.timestamp(), to.timestamp());
        Self { tz, lo, hi, spans: probed(tz, lo, hi) }
    }

    /// The zone.
    pub(crate) fn tz(&self) -> Tz {
        self.tz
    }

    /// The offset in force at UTC second `t`, if the table covers it.
    #[inline]
    fn at(&self, t: i64) -> Option<FixedOffset> {
        if t < self.lo || t >= self.hi {
            return None;
        }
        let i = self.spans.partition_point(|&(start, _)| start <= t);
        Some(self.spans[i - 1].1)
    }

    /// The offset in force at UTC second `t`, in seconds east of UTC (what chrono-tz gives for
    /// any instant within that second).
    ///
    /// # Panics
    /// If `t` is outside the instants chrono represents.
    #[inline]
    pub(crate) fn offset_seconds(&self, t: i64) -> i64 {
        let offset = self.at(t).unwrap_or_else(|| {
            let at = DateTime::from_timestamp(t, 0).expect("an instant within chrono's range");
            self.tz.offset_from_utc_datetime(&at.naive_utc()).fix()
        });
        i64::from(offset.local_minus_utc())
    }

    /// The offset in force at UTC second `t` (as [`Self::offset_seconds`]), and the UTC
    /// seconds over which it holds, as far as the table knows (`t` alone when it does not
    /// cover `t`): a caller mapping many instants looks the table up again only for an instant
    /// outside them.
    #[inline]
    pub(crate) fn span_at(&self, t: i64) -> (i64, Range<i64>) {
        if t < self.lo || t >= self.hi {
            return (self.offset_seconds(t), t..t + 1);
        }
        let i = self.spans.partition_point(|&(start, _)| start <= t);
        let until = self.spans.get(i).map_or(self.hi, |&(next, _)| next);
        let (since, offset) = self.spans[i - 1];
        (i64::from(offset.local_minus_utc()), since..until)
    }

    /// [`resolve_local_shown`](super::resolve_local_shown)`(self.tz(), local)` in seconds: the
    /// UTC second at which the wall second `local` (a wall time read as if it were UTC, whole
    /// seconds; the sub-second part of a wall time is its instant's too) starts, and whether a
    /// clock in the zone shows it; and, when it is shown, the UTC second until which the
    /// offset it is shown with holds, as far as the table knows (the instant itself when it
    /// does not know, or when `local` is not shown).
    ///
    /// # Panics
    /// If `local` is outside the wall times chrono represents.
    #[inline]
    pub(crate) fn resolve_local_seconds(&self, local: i64) -> (i64, bool, i64) {
        self.resolve_local_steady(local).0
    }

    /// [`Self::resolve_local_seconds`]`(local)`, and the steady wall seconds around `local`
    /// that resolve by the same offset (none when `local` is within a day of a change, or
    /// where the table does not know): a caller resolving many wall times in order looks the
    /// table up again only for a wall time outside them.
    pub(crate) fn resolve_local_steady(&self, local: i64) -> ((i64, bool, i64), SteadyWalls) {
        // Every offset is under a day, so a wall time a day inside the covered instants can
        // only be shown during the covered instants, and the table knows every span that
        // shows it or ends just before it.
        if self.spans.is_empty() || local < self.lo + DAY || local >= self.hi - DAY {
            let wall = DateTime::from_timestamp(local, 0).expect("a wall time within chrono's range").naive_utc();
            let (at, shown) = super::resolve_local_shown(self.tz, wall);
            return ((at.timestamp(), shown, at.timestamp()), SteadyWalls::NONE);
        }
        // chrono-tz's rules: span `i` shows the wall times `[start_i + offset_i, start_{i+1} +
        // offset_i)`; a wall time two spans show is ambiguous and resolved with the earlier
        // one; a wall time none shows lies in a gap and is read with the offset of the span
        // that ends before it. Only spans starting within a day of `local` can do either.
        let first = self.spans.partition_point(|&(start, _)| start <= local - DAY).saturating_sub(1);
        let mut before = None;
        for (i, &(start, offset)) in self.spans.iter().enumerate().skip(first) {
            if start > local + DAY {
                break;
            }
            let shift = i64::from(offset.local_minus_utc());
            let begins = if i == 0 { i64::MIN } else { start + shift };
            let ends = self.spans.get(i + 1).map_or(i64::MAX, |&(next, _)| next + shift);
            if begins <= local && local < ends {
                let until = self.spans.get(i + 1).map_or(self.hi, |&(next, _)| next);
                // Any other span shows wall times before its end plus a day, or from its
                // start minus a day: a day inside span `i` (and inside the table), only `i`
                // shows a wall time, with its offset.
                let steady = SteadyWalls { walls: start.max(self.lo) + DAY..until - DAY, shift, until };
                return ((local - shift, true, until), steady);
            }
            if ends <= local {
                before = Some(shift);
            }
        }
        let shift = before.expect("a wall time that no span shows lies in a gap after a known span");
        ((local - shift, false, local - shift), SteadyWalls::NONE)
    }

    /// [`wall_time`](super::wall_time)`(instant, self.tz())`.
    #[inline]
    pub(crate) fn wall_time(&self, instant: DateTime<Utc>) -> NaiveDateTime {
        match self.at(instant.timestamp()) {
            // What `DateTime::naive_local` does with the offset chrono-tz finds.
            Some(offset) => instant.naive_utc().checked_add_offset(offset).expect("a wall time within chrono's range"),
            None => super::wall_time(instant, self.tz),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{resolve_local_shown, wall_time};
    use chrono::TimeDelta;
    use chrono_tz::TZ_VARIANTS;
    use proptest::prelude::*;

    fn instant(t: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(t, 0).unwrap()
    }

    /// 1900-01-01 and 2100-01-01 in UTC seconds.
    const YEARS: std::ops::Range<i64> = -2_208_988_800..4_102_444_800;

    /// Every instant and wall time of interest in `table`: each change found, the seconds
    /// around it, and its wall times on both sides, shifted a little.
    fn around_changes(table: &ZoneOffsets) -> Vec<i64> {
        let mut at = Vec::new();
        for &(start, offset) in table.spans.iter().skip(1) {
            for d in [-DAY, -3_601, -1, 0, 1, 3_599, DAY] {
                at.push(start + d);
            }
            at.push(start + i64::from(offset.local_minus_utc()));
        }
        at
    }

    fn check(table: &ZoneOffsets, t: i64, nanos: u32) -> Result<(), TestCaseError> {
        let tz = table.tz();
        let at = instant(t) + TimeDelta::nanoseconds(nanos.into());
        prop_assert_eq!(table.wall_time(at), wall_time(at, tz), "{} at {}", tz, at);
        let offset = tz.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc();
        prop_assert_eq!(table.offset_seconds(t), i64::from(offset), "{} at {}", tz, at);
        // The offset holds until the second said, and no longer if the table knows that.
        let (span_offset, span) = table.span_at(t);
        let offset_of =
            |t: i64| i64::from(tz.offset_from_utc_datetime(&instant(t).naive_utc()).fix().local_minus_utc());
        prop_assert!(span.contains(&t));
        let (since, until) = (span.start, span.end);
        prop_assert_eq!(
            (span_offset, offset_of(since), offset_of(until - 1)),
            (i64::from(offset), i64::from(offset), i64::from(offset)),
            "{} at {}",
            tz,
            at
        );
        if until < table.hi && until > t + 1 {
            prop_assert_ne!(offset_of(until), i64::from(offset), "{} at {}", tz, at);
        }
        if since > table.lo && since < t {
            prop_assert_ne!(offset_of(since - 1), i64::from(offset), "{} at {}", tz, at);
        }
        // A wall time's sub-second part is its instant's: the seconds are what is resolved.
        let local = at.naive_utc();
        let (expected, shown) = resolve_local_shown(tz, local);
        let local_seconds = local.and_utc().timestamp();
        let (resolved, table_shown, until) = table.resolve_local_seconds(local_seconds);
        prop_assert_eq!((resolved, table_shown), (expected.timestamp(), shown), "{} wall {}", tz, local);
        // Each of the steady wall seconds found with it, from the first to the last, resolves
        // by the offset they were found with (they need not hold `local`: it may be within a
        // day of a change).
        let (with_steady, steady) = table.resolve_local_steady(local_seconds);
        prop_assert_eq!(with_steady, (resolved, table_shown, until));
        if !steady.walls.is_empty() {
            let (first, last) = (steady.walls.start, steady.walls.end - 1);
            for wall in
                [first, first + 1, (first + last) / 2, last - 1, last].into_iter().filter(|w| steady.walls.contains(w))
            {
                let expected = resolve_local_shown(tz, instant(wall).naive_utc()).0.timestamp();
                prop_assert_eq!(steady.resolve(wall), Some((expected, true, until)), "{} wall {}", tz, wall);
                prop_assert_eq!(table.resolve_local_seconds(wall), (expected, true, until), "{} wall {}", tz, wall);
            }
        }
        prop_assert_eq!(steady.resolve(steady.walls.start - 1), None);
        prop_assert_eq!(steady.resolve(steady.walls.end), None);
        // The offset a shown wall time is shown with holds until the second said, and no
        // longer, if that is a change the table knows.
        let offset_at = |t: i64| tz.offset_from_utc_datetime(&instant(t).naive_utc()).fix();
        prop_assert!(until >= resolved, "{} wall {}", tz, local);
        if until > resolved {
            prop_assert!(shown);
            prop_assert_eq!(offset_at(until - 1), offset_at(resolved), "{} wall {}", tz, local);
            if until < table.hi {
                prop_assert_ne!(offset_at(until), offset_at(resolved), "{} wall {}", tz, local);
            }
        }
        Ok(())
    }

    #[test]
    fn a_table_of_every_zone_maps_as_chrono_tz_around_each_change() {
        // Every zone, over a century of changes in 30 stretches of a year and a bit.
        for &tz in TZ_VARIANTS.iter() {
            for year in (1905..2100).step_by(13) {
                let from = instant(YEARS.start + (year - 1900) * 31_556_952);
                let table = ZoneOffsets::probed_over(tz, from, from + TimeDelta::days(380));
                for t in around_changes(&table) {
                    check(&table, t, 0).unwrap();
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Any zone, any window of up to 380 days between 1900 and 2100, any instant in and
        /// around it (sub-second parts included): the table's wall time and resolution are
        /// chrono-tz's.
        #[test]
        fn a_table_maps_as_chrono_tz(
            zone in 0..TZ_VARIANTS.len(),
            from in YEARS,
            days in 0i64..380,
            at in proptest::collection::vec((-3 * DAY..383 * DAY, 0u32..1_000_000_000), 64),
        ) {
            let tz = TZ_VARIANTS[zone];
            let (from_at, to_at) = (instant(from), instant(from) + TimeDelta::days(days.max(1)));
            // The years a listing keeps, and a table probed over exactly the window (whose
            // ends are anywhere, not at a year's start).
            for table in [ZoneOffsets::over(tz, from_at, to_at), ZoneOffsets::probed_over(tz, from_at, to_at)] {
                for &(d, nanos) in &at {
                    check(&table, from + d, nanos)?;
                }
                for t in around_changes(&table) {
                    check(&table, t, 0)?;
                }
            }
        }
    }

    #[test]
    fn kept_years_joined_are_the_offsets_probed_over_them() {
        // Every zone, across the turn of the year in times of many changes (wars, double
        // summer time, the 1970s and the 2020s): the years joined give exactly the spans one
        // probe of the whole stretch finds, so a change at a year's first second is kept (Lisbon
        // and Sao Tome at the start of 1912, Palmer at the start of 1965) and a year starting
        // with the offset the last one ended with adds none.
        for &tz in TZ_VARIANTS.iter() {
            for first in [1911, 1941, 1944, 1964, 1974, 2025] {
                let table =
                    ZoneOffsets::over(tz, instant(year_start(first) + DAY), instant(year_start(first + 2) - DAY));
                assert_eq!((table.lo, table.hi), (year_start(first), year_start(first + 2)));
                assert_eq!(table.spans, probed(tz, table.lo, table.hi), "{tz} from {first}");
            }
        }
    }

    #[test]
    fn years_are_kept_up_to_the_limit() {
        let mut kept = HashMap::new();
        let year: Year = probed(chrono_tz::Europe::Berlin, year_start(2026), year_start(2027)).into();
        for (i, tz) in TZ_VARIANTS.iter().take(3).enumerate() {
            keep(&mut kept, (*tz, 2026), &year, 2);
            assert_eq!(kept.len(), (i + 1).min(2));
        }
        // Found again while the store is full: the year kept stays.
        let again: Year = year.iter().copied().collect();
        keep(&mut kept, (TZ_VARIANTS[0], 2026), &again, 2);
        assert!(Arc::ptr_eq(&kept[&(TZ_VARIANTS[0], 2026)], &year));
        // A listing's table has the offsets of its years whether they were kept or not.
        assert_eq!(self::year(chrono_tz::Europe::Berlin, 2026), year);
    }

    #[test]
    fn a_change_is_found_to_its_second() {
        // New York springs forward at 2026-03-08 07:00 UTC and falls back at 2026-11-01 06:00.
        let from: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let table = ZoneOffsets::over(chrono_tz::America::New_York, from, from + TimeDelta::days(365));
        let changes: Vec<String> = table.spans.iter().map(|(t, o)| format!("{} {}", instant(*t), o)).collect();
        assert_eq!(
            changes,
            ["2026-01-01 00:00:00 UTC -05:00", "2026-03-08 07:00:00 UTC -04:00", "2026-11-01 06:00:00 UTC -05:00"]
        );
    }

    #[test]
    fn wall_times_near_the_ends_of_a_table_are_still_chrono_tzs() {
        // Tables that start a minute after a change or end a minute before one, in zones ahead
        // of UTC and behind it: the wall times of the day around each end of the table are
        // shown by spans the table does not hold.
        for (tz, change) in [
            (chrono_tz::Europe::Berlin, "2026-10-25T01:00:00Z"),
            (chrono_tz::Europe::Berlin, "2026-03-29T01:00:00Z"),
            (chrono_tz::Australia::Sydney, "2026-04-04T16:00:00Z"),
            (chrono_tz::America::New_York, "2026-03-08T07:00:00Z"),
            (chrono_tz::America::New_York, "2026-11-01T06:00:00Z"),
        ] {
            let change: DateTime<Utc> = change.parse().unwrap();
            let minute = TimeDelta::minutes(1);
            let month = TimeDelta::days(30);
            let tables = [
                ZoneOffsets::probed_over(tz, change + minute, change + minute + month),
                ZoneOffsets::probed_over(tz, change - minute - month, change - minute),
            ];
            for table in tables {
                for minutes in (-36 * 60..36 * 60).step_by(10) {
                    for end in [table.lo, table.hi] {
                        check(&table, end + minutes * 60, 0).unwrap();
                    }
                }
            }
        }
    }

    #[test]
    fn the_closest_changes_of_any_zone_are_days_apart() {
        // The module's premise, checked on the data chrono-tz ships: no zone changes its
        // offset twice within two days (the probe is one day) between 1900 and 2100.
        for &tz in TZ_VARIANTS.iter() {
            let table = ZoneOffsets::probed_over(tz, instant(YEARS.start), instant(YEARS.end));
            for pair in table.spans.windows(2).skip(1) {
                assert!(pair[1].0 - pair[0].0 >= 2 * DAY, "{tz}: changes at {} and {}", pair[0].0, pair[1].0);
            }
        }
    }
}
