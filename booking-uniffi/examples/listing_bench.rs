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

use booking_benches::{availability_students, furnish_availability_teacher, now, query, slot_course, slot_teacher};
use booking_core::lesson::BookableOccurrence;
use booking_uniffi::{Engine, InMemoryStore, ManualClock};
use chrono::SecondsFormat;
use std::hint::black_box;
use std::time::Instant;

/// Availability teacher 0 of the Rust benchmarks (`booking_benches`), in the bindings' engine:
/// one teacher in Europe/Berlin with 20 weekly slots (Monday to Friday at 09:00, 11:00, 14:00
/// and 16:00 for an hour, every fourth for the viewer's course), 50 one-time slots (Saturdays
/// 10:00 to 11:30) and 200 lessons booked by 50 students, spread over the year.
fn fixture() -> std::sync::Arc<Engine> {
    let store = InMemoryStore::new();
    for student in availability_students(1) {
        store.enroll(student, slot_course()).expect("enrolled");
    }
    let clock = ManualClock::new(now()).expect("a clock");
    let engine = Engine::in_memory(store, Some(clock), None, None, None, true);
    furnish_availability_teacher(engine.core(), 0);
    engine
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
        let q = query(slot_teacher(0), days);
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
