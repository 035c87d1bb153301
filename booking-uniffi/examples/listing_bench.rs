//! The Rust side of the listing comparison in `bench/` (`bench/run listing`): times a teacher's
//! listing on the in-memory store with the same fixture as `benches/bindings/listing.py` and
//! `bench/Listing.kt` / `bench/listing.swift`, three ways:
//!
//! - `core`: `booking_core::Engine::list_occurrences`, the engine alone;
//! - `facade`: this crate's `Engine::list_occurrences` called from Rust (no FFI);
//! - `facade + lower`: the same, plus lowering the result into the `RustBuffer` that crosses
//!   the FFI (ids, zones and wall times written as strings, instants as seconds and nanos):
//!   everything a Kotlin or Swift call pays on the Rust side.
//!
//! `cargo run --release -p booking-uniffi --example listing_bench -- [repeats] [windows]`
//! (defaults 7 and `30,90,365`). Each figure is the median of `repeats` runs (after one
//! warm-up run), each run the mean of enough listings to last about 0.1 s. Prints one
//! `RESULT lang=rust ...` line per window and variant.

use booking_core::availability::SlotRecurrence;
use booking_core::lesson::{BookableOccurrence, OccurrenceQuery, SlotSpec};
use booking_core::{Actor, CourseId, UserId};
use booking_uniffi::{Engine, InMemoryStore, ManualClock};
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, SecondsFormat, TimeDelta, TimeZone, Utc, Weekday};
use std::hint::black_box;
use std::time::Instant;

const TEACHER_ZONE: &str = "Europe/Berlin";
const VIEWER_ZONE: &str = "America/New_York";
const ONE_TIME_SLOTS: u64 = 50;
const LESSONS: usize = 200;
const STUDENTS: u64 = 50;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 10, 0, 0, 0).unwrap()
}

fn user(n: u64) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128((1u128 << 100) | u128::from(n)))
}

fn course() -> CourseId {
    CourseId::from_uuid(uuid::Uuid::from_u128((2u128 << 100) | 1))
}

fn teacher() -> UserId {
    user(2_000_000)
}

fn viewer() -> UserId {
    user(3_000_000)
}

fn lesson_student(s: u64) -> UserId {
    user(10_000_000 + s)
}

/// One teacher in Europe/Berlin: 20 weekly slots (Monday to Friday at 09:00, 11:00, 14:00 and
/// 16:00 for an hour, every fourth for the viewer's course), 50 one-time slots (Saturdays 10:00
/// to 11:30) and 200 lessons booked by 50 students, spread over the year.
fn fixture() -> std::sync::Arc<Engine> {
    let store = InMemoryStore::new();
    store.enroll(viewer(), course()).expect("enrolled");
    for s in 0..STUDENTS {
        store.enroll(lesson_student(s), course()).expect("enrolled");
    }
    let clock = ManualClock::new(now()).expect("a clock");
    let engine = Engine::in_memory(store, Some(clock), None, None, None);
    let core = engine.core();
    let mut specs = Vec::new();
    let days = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];
    for (i, (weekday, hour)) in days.iter().flat_map(|d| [9, 11, 14, 16].map(|h| (*d, h))).enumerate() {
        specs.push(SlotSpec {
            course_id: (i % 4 == 0).then(course),
            time_zone: TEACHER_ZONE.to_owned(),
            recurrence: SlotRecurrence::Weekly {
                weekday,
                start_time: NaiveTime::from_hms_opt(hour, 0, 0).unwrap(),
                end_time: NaiveTime::from_hms_opt(hour + 1, 0, 0).unwrap(),
                valid_from: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
                valid_until: None,
            },
            active: true,
            rules: Default::default(),
        });
    }
    let today = now().date_naive();
    let first_saturday = today + Days::new(u64::from(Weekday::Sat.days_since(today.weekday())));
    for week in 0..ONE_TIME_SLOTS {
        let day = first_saturday + Days::new(7 * week);
        specs.push(SlotSpec {
            course_id: None,
            time_zone: TEACHER_ZONE.to_owned(),
            recurrence: SlotRecurrence::OneTime {
                start: day.and_hms_opt(10, 0, 0).unwrap(),
                end: day.and_hms_opt(11, 30, 0).unwrap(),
            },
            active: true,
            rules: Default::default(),
        });
    }
    for spec in specs {
        core.publish_slot(Actor::Teacher(teacher()), teacher(), spec).expect("a valid slot");
    }
    let all = core.list_occurrences(&query(365)).expect("a listing");
    assert!(all.len() >= LESSONS, "{} occurrences", all.len());
    for i in 0..LESSONS {
        let o = &all[i * all.len() / LESSONS];
        let student = lesson_student(i as u64 % STUDENTS);
        core.book_lesson(Actor::Student(student), o.slot_id, o.starts_at, student).expect("a free occurrence");
    }
    engine
}

fn query(days: i64) -> OccurrenceQuery {
    OccurrenceQuery {
        teacher_id: teacher(),
        course_id: None,
        student_id: Some(viewer()),
        from: now(),
        to: now() + TimeDelta::days(days),
        time_zone: Some(VIEWER_ZONE.to_owned()),
    }
}

/// Median over `repeats` runs (after one warm-up run) of the mean ns per call of `f`.
fn timed(repeats: usize, mut f: impl FnMut()) -> f64 {
    let started = Instant::now();
    f();
    let number = (0.1 / started.elapsed().as_secs_f64().max(1e-7)).clamp(3.0, 100_000.0) as usize;
    for _ in 0..number {
        f();
    }
    let mut runs: Vec<f64> = (0..repeats)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..number {
                f();
            }
            started.elapsed().as_nanos() as f64 / number as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let repeats: usize = args.next().map_or(7, |a| a.parse().expect("a number of repeats"));
    let windows: Vec<i64> = args
        .next()
        .unwrap_or_else(|| "30,90,365".to_owned())
        .split(',')
        .map(|d| d.parse().expect("a number of days"))
        .collect();
    let engine = fixture();
    for days in windows {
        let q = query(days);
        let listed = engine.core().list_occurrences(&q).expect("a listing");
        let n = listed.len();
        // The first start and last viewer's end, as Kotlin and Swift print them (a cross-check).
        let first =
            listed.first().map_or("none".to_owned(), |o| o.starts_at.to_rfc3339_opts(SecondsFormat::Secs, true));
        let last = listed.last().map_or("none".to_owned(), |o| o.viewer_local_end.format("%Y-%m-%dT%H:%M").to_string());
        let bytes = {
            let buffer =
                <Vec<BookableOccurrence> as uniffi::Lower<booking_uniffi::UniFfiTag>>::lower_into_rust_buffer(listed);
            buffer.destroy_into_vec().len()
        };
        let core = timed(repeats, || {
            black_box(engine.core().list_occurrences(black_box(&q)).expect("a listing"));
        });
        let facade = timed(repeats, || {
            black_box(engine.list_occurrences(black_box(q.clone())).expect("a listing"));
        });
        let lowered = timed(repeats, || {
            let listed = engine.list_occurrences(black_box(q.clone())).expect("a listing");
            let buffer =
                <Vec<BookableOccurrence> as uniffi::Lower<booking_uniffi::UniFfiTag>>::lower_into_rust_buffer(listed);
            black_box(buffer.destroy_into_vec());
        });
        println!(
            "RESULT lang=rust bench=listing days={days} occurrences={n} bytes={bytes} core_ns={core:.0} facade_ns={facade:.0} lowered_ns={lowered:.0} first={first} last={last} repeats={repeats}"
        );
    }
}
