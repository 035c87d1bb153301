//! Issue 7, item 2: listing availability. One teacher (20 weekly slots, 50 one-time slots,
//! 200 booked lessons, Europe/Berlin, windows crossing the spring and autumn clock changes)
//! over 30, 90 and 365 days, and 1,000 teachers (ten DST zones) over 30 days, each next to
//! baselines measured in the same run:
//!
//! - `floor`: the least work any listing must do: step every slot through the window with
//!   fixed-offset arithmetic and sort ([`booking_benches::floor_listing`]);
//! - `expand_only`: the engine's own DST-aware expansion ([`occurrences`]) of the same
//!   slots, collected and sorted, without the calendar load, holds, enrollment or wall times.
//!
//! `cargo bench -p booking-benches --bench availability`; `benches/run-all` prints the ratios.

use booking_benches::{availability_engine, floor_listing, floor_slots, now, query, slot_teacher};
use booking_core::availability::occurrences;
use chrono::TimeDelta;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

/// Teachers in the many-teachers benchmark.
const TEACHERS: u64 = 1_000;

fn one_teacher(c: &mut Criterion) {
    let engine = availability_engine(1);
    let teacher = slot_teacher(0);
    let slots = engine.calendar(booking_core::Actor::System, teacher).expect("the teacher's calendar").slots.clone();
    let floor = floor_slots();
    let mut g = c.benchmark_group("listing_one_teacher");
    g.sample_size(50).measurement_time(Duration::from_secs(4));
    for days in [30i64, 90, 365] {
        let q = query(teacher, days);
        let listed = engine.list_occurrences(&q).expect("a listing").len();
        let (from, to) = (now().timestamp(), (now() + TimeDelta::days(days)).timestamp());
        let floored = floor_listing(&floor, from, to).len();
        eprintln!("listing_one_teacher {days}d: the engine lists {listed} occurrences, the floor {floored}");
        g.bench_function(BenchmarkId::new("engine", format!("{days}d")), |b| {
            b.iter(|| black_box(engine.list_occurrences(black_box(&q)).expect("a listing")))
        });
        g.bench_function(BenchmarkId::new("expand_only", format!("{days}d")), |b| {
            b.iter(|| {
                let mut all: Vec<_> = slots
                    .iter()
                    .flat_map(|s| occurrences(s, black_box(q.from), q.to).expect("a valid window"))
                    .collect();
                all.sort_unstable_by_key(|o| (o.starts_at, o.slot_id));
                black_box(all)
            })
        });
        g.bench_function(BenchmarkId::new("floor", format!("{days}d")), |b| {
            b.iter(|| black_box(floor_listing(&floor, black_box(from), to)))
        });
    }
    g.finish();
}

fn many_teachers(c: &mut Criterion) {
    let started = std::time::Instant::now();
    let engine = availability_engine(TEACHERS);
    eprintln!("listing_1000_teachers: set up {TEACHERS} teachers in {:.1?}", started.elapsed());
    let queries: Vec<_> = (0..TEACHERS).map(|t| query(slot_teacher(t), 30)).collect();
    let floor = floor_slots();
    let (from, to) = (now().timestamp(), (now() + TimeDelta::days(30)).timestamp());
    let mut g = c.benchmark_group("listing_1000_teachers");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("engine_30d", |b| {
        b.iter(|| {
            for q in &queries {
                black_box(engine.list_occurrences(q).expect("a listing"));
            }
        })
    });
    g.bench_function("floor_30d", |b| {
        b.iter(|| {
            for _ in 0..TEACHERS {
                black_box(floor_listing(&floor, black_box(from), to));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, one_teacher, many_teachers);
criterion_main!(benches);
