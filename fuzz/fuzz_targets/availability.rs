//! Availability expansion with random slots (any IANA zone of `chrono_tz::TZ_VARIANTS`,
//! weekly or one-time, any wall times and dates, including the edges of the supported years)
//! and random windows: `occurrences` never panics, lists in ascending order, only occurrences
//! within the window, each lasting the slot's wall-clock length, each of which `occurrence_at`
//! (by its start) and `occurrence_on` (by its local date) find again; `occurrence_at` at a
//! random instant finds only what starts there.
#![no_main]

use arbitrary::Arbitrary;
use booking_core::availability::{AvailabilitySlot, SlotRecurrence, occurrence_at, occurrence_on, occurrences};
use booking_core::{SlotId, UserId};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc, Weekday};
use libfuzzer_sys::fuzz_target;

/// Seconds from the Unix epoch to the start of year 1 and to the end of year 9999: the
/// supported range. Instants and dates are drawn around it, a little beyond on both sides.
const YEAR_1: i64 = -62_135_596_800;
const YEAR_10000: i64 = 253_402_300_800;
const DAY: i64 = 86_400;

#[derive(Debug, Arbitrary)]
enum Instant {
    /// Near 2030, where real slots live (minutes, +-40 years).
    Near(i32),
    /// Anywhere in (and a week beyond) the supported years, to the second.
    Anywhere(u64),
    /// Near an edge of the supported years.
    Edge { late: bool, seconds: i32 },
}

impl Instant {
    fn seconds(&self) -> i64 {
        match *self {
            Instant::Near(minutes) => 1_893_456_000 + i64::from(minutes % (40 * 366 * 1440)) * 60,
            Instant::Anywhere(s) => {
                let span = (YEAR_10000 - YEAR_1 + 14 * DAY) as u64;
                YEAR_1 - 7 * DAY + (s % span) as i64
            }
            Instant::Edge { late, seconds } => {
                let near = i64::from(seconds % (3 * DAY as i32));
                if late { YEAR_10000 + near } else { YEAR_1 + near }
            }
        }
    }

    fn utc(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.seconds(), 0)
    }

    fn naive(&self) -> Option<NaiveDateTime> {
        self.utc().map(|t| t.naive_utc())
    }
}

#[derive(Debug, Arbitrary)]
enum Recurrence {
    Weekly {
        weekday: u8,
        /// Minute of the day, often on a quarter hour (where clocks change).
        start_minute: u16,
        end_minute: u16,
        valid_from: Instant,
        valid_days: Option<u16>,
    },
    OneTime {
        start: Instant,
        /// Length in minutes (may be zero, negative or over a day: refused).
        length_minutes: i16,
    },
}

#[derive(Debug, Arbitrary)]
struct Input {
    zone: u16,
    recurrence: Recurrence,
    active: bool,
    from: Instant,
    /// Window length in minutes; up to a little over the 366-day maximum, or negative.
    window_minutes: i32,
    probe: Instant,
    probe_offset_minutes: i16,
}

fn minute(m: u16) -> NaiveTime {
    let m = u32::from(m) % 1440;
    NaiveTime::from_hms_opt(m / 60, m % 60, 0).expect("a minute of the day")
}

fn slot(input: &Input) -> Option<AvailabilitySlot> {
    let variants = chrono_tz::TZ_VARIANTS;
    let time_zone = variants[usize::from(input.zone) % variants.len()];
    let recurrence = match &input.recurrence {
        Recurrence::Weekly { weekday, start_minute, end_minute, valid_from, valid_days } => {
            let valid_from: NaiveDate = valid_from.naive()?.date();
            SlotRecurrence::Weekly {
                weekday: Weekday::try_from(weekday % 7).expect("0 to 6"),
                start_time: minute(*start_minute),
                end_time: minute(*end_minute),
                valid_from,
                valid_until: match valid_days {
                    // Sometimes before valid_from: refused by validation.
                    Some(days) => Some(valid_from + TimeDelta::days(i64::from(*days) - 30)),
                    None => None,
                },
            }
        }
        Recurrence::OneTime { start, length_minutes } => {
            let start = start.naive()?;
            SlotRecurrence::OneTime { start, end: start + TimeDelta::minutes(i64::from(*length_minutes)) }
        }
    };
    Some(AvailabilitySlot {
        id: SlotId::from_uuid(uuid::Uuid::from_u128(1)),
        teacher_id: UserId::from_uuid(uuid::Uuid::from_u128(2)),
        course_id: None,
        time_zone,
        recurrence,
        active: input.active,
        rules: Default::default(),
    })
}

fuzz_target!(|input: Input| {
    let Some(slot) = slot(&input) else { return };
    let Some(from) = input.from.utc() else { return };
    let window = i64::from(input.window_minutes) % (400 * 1440);
    let Some(to) = from.checked_add_signed(TimeDelta::minutes(window)) else { return };

    match occurrences(&slot, from, to) {
        Ok(listing) => {
            assert!(slot.validate().is_ok(), "listed an invalid slot {slot:?}");
            let listed: Vec<_> = listing.collect();
            assert!(listed.len() <= 54, "{} occurrences in a window of at most 366 days", listed.len());
            assert!(slot.active || listed.is_empty(), "an inactive slot listed {listed:?}");
            for pair in listed.windows(2) {
                assert!(pair[0].starts_at < pair[1].starts_at, "not in ascending order: {pair:?}");
            }
            for o in &listed {
                assert!(from <= o.starts_at && o.starts_at < to, "{o:?} outside [{from}, {to})");
                assert!(o.starts_at < o.ends_at, "{o:?} does not end after it starts");
                // Whatever the clocks do, an occurrence lasts the slot's wall-clock length.
                assert_eq!(o.ends_at - o.starts_at, slot.recurrence.length(), "{o:?} of {slot:?}");
                assert_eq!(o.slot_id, slot.id);
                assert_eq!(occurrence_at(&slot, o.starts_at).as_ref(), Ok(o), "occurrence_at does not find {o:?}");
                assert_eq!(occurrence_on(&slot, o.local_date).as_ref(), Some(o), "occurrence_on does not find {o:?}");
            }
        }
        Err(e) => {
            let code = e.code().as_str();
            assert!(matches!(code, "invalid_input" | "too_large"), "occurrences refused with {e:?}");
        }
    }

    // A random instant, or one near the window's start (often on a real occurrence).
    let probe = match input.probe.utc() {
        Some(p) if input.probe_offset_minutes % 2 == 0 => p,
        _ => from + TimeDelta::minutes(i64::from(input.probe_offset_minutes)),
    };
    match occurrence_at(&slot, probe) {
        Ok(o) => {
            assert!(slot.active && slot.validate().is_ok());
            assert_eq!(o.starts_at, probe);
            assert!(o.starts_at < o.ends_at);
            assert_eq!(o.ends_at - o.starts_at, slot.recurrence.length());
            assert_eq!(occurrence_on(&slot, o.local_date).as_ref(), Some(&o));
        }
        Err(e) => {
            let code = e.code().as_str();
            assert!(matches!(code, "invalid_input" | "occurrence_not_offered"), "occurrence_at refused with {e:?}");
        }
    }
});
