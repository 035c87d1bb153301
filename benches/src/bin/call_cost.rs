//! The Rust side of the bindings' call-cost comparison (issue 7): one `book_seat` call on the
//! in-memory store, timed exactly like the bindings' benches time it from their languages
//! (`booking-py/bench/book_seat.py`; `benches/bindings/python-vs-rust` runs both side by side).
//!
//! ```sh
//! cargo run --release -p booking-benches --bin call_cost -- [--sessions 16000] [--number 10000] [--repeats 7] [--engine binding|fixture]
//! ```
//!
//! The workload: `--sessions` group sessions with enough seats that no booking is refused;
//! call `k` books a new student (UUID `k + 1`) into session `k % sessions` as
//! `Actor::System`, without a request key. The arguments are prepared up front; the timed
//! loop only calls and drops the receipt. One warm-up run of `--number` calls, then
//! `--repeats` runs of `--number` calls; the figure is the median run's time per call.
//!
//! The engine is built as the bindings build it (`--engine binding`, the default): the store
//! behind an `Arc<dyn Repository>`, the system clock and random (v7) ids. `--engine fixture`
//! uses the criterion benches' engine instead (the store itself, a manual clock, sequential
//! ids), for scale.
//!
//! The last line of the output is machine-readable (`key=value` pairs, times in ns):
//!
//! ```text
//! RESULT lang=rust bench=book_seat engine=binding median_ns=912.3 min_ns=890.1 max_ns=951.0 number=10000 repeats=7 sessions=16000 capacity=7
//! ```

use booking_core::{
    Actor, Engine, InMemoryRepository, ManualClock, NewGroupSession, Repository, SequentialIds, SessionId, UserId,
};
use chrono::{TimeDelta, Utc};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

struct Args {
    sessions: usize,
    number: usize,
    repeats: usize,
    fixture: bool,
}

fn parse_args() -> Args {
    let mut args = Args { sessions: 16_000, number: 10_000, repeats: 7, fixture: false };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        let mut count = || value().parse::<usize>().unwrap_or_else(|e| usage(&format!("{flag}: {e}")));
        match flag.as_str() {
            "--sessions" => args.sessions = count().max(1),
            "--number" => args.number = count().max(1),
            "--repeats" => args.repeats = count().max(1),
            "--engine" => {
                args.fixture = match value().as_str() {
                    "binding" => false,
                    "fixture" => true,
                    other => usage(&format!("unknown engine {other:?}")),
                }
            }
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other:?}")),
        }
    }
    args
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("call_cost: {problem}");
    }
    eprintln!(
        "usage: call_cost [--sessions N] [--number N] [--repeats N] [--engine binding|fixture]\n\
         (defaults: 16000 sessions, 10000 calls per run, 7 runs, the engine as the bindings build it)"
    );
    std::process::exit(if problem.is_empty() { 0 } else { 2 })
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 }
}

fn main() {
    let args = parse_args();
    let store: Arc<dyn Repository> = Arc::new(InMemoryRepository::new());
    let engine = if args.fixture {
        Engine::new(store).with_clock(ManualClock::new(Utc::now())).with_ids(SequentialIds::default())
    } else {
        Engine::new(store)
    };

    let total = args.number * (args.repeats + 1);
    let capacity = (total / args.sessions + 2).min(10_000);
    if total > capacity * args.sessions {
        usage("not enough seats: raise --sessions");
    }
    let teacher = UserId::from_uuid(uuid::Uuid::from_u128(u128::MAX));
    let sessions: Vec<SessionId> = (0..args.sessions)
        .map(|i| {
            let new = NewGroupSession {
                teacher_id: teacher,
                course_id: None,
                title: format!("s{i}"),
                starts_at: Utc::now() + TimeDelta::days(30),
                time_zone: "UTC".into(),
                duration_minutes: 60,
                meeting_link: "https://meet.example.com/bench".into(),
                capacity: u32::try_from(capacity).expect("at most 10,000 seats"),
                waitlist_enabled: false,
                waitlist_mode: Default::default(),
                rules: Default::default(),
            };
            engine.create_session(Actor::System, new).expect("a valid session").value.id
        })
        .collect();
    // Every call's arguments, made before any timing.
    let calls: Vec<(SessionId, UserId)> = (0..total)
        .map(|k| (sessions[k % args.sessions], UserId::from_uuid(uuid::Uuid::from_u128(k as u128 + 1))))
        .collect();

    let mut runs: Vec<f64> = calls
        .chunks(args.number)
        .map(|run| {
            let started = Instant::now();
            for &(session, student) in run {
                black_box(engine.book_seat(Actor::System, black_box(session), black_box(student)).expect("a seat"));
            }
            started.elapsed().as_nanos() as f64 / run.len() as f64
        })
        .skip(1) // the warm-up run
        .collect();
    runs.sort_by(f64::total_cmp);
    let (med, min, max) = (median(&runs), runs[0], runs[runs.len() - 1]);
    let name = if args.fixture { "fixture" } else { "binding" };
    println!(
        "book_seat (Rust, in-memory store, engine as {}, {} sessions of {capacity} seats): median {:.0} ns/call \
         over {} runs of {} (min {min:.0}, max {max:.0})",
        if args.fixture { "the criterion fixture" } else { "the bindings build it" },
        args.sessions,
        med,
        args.repeats,
        args.number,
    );
    println!(
        "RESULT lang=rust bench=book_seat engine={name} median_ns={med:.1} min_ns={min:.1} max_ns={max:.1} \
         number={} repeats={} sessions={} capacity={capacity}",
        args.number, args.repeats, args.sessions
    );
}
