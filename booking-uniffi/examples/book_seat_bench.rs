//! The Rust side of the per-call comparison in `bench/`: times `book_seat` on the in-memory
//! store with the same workload as `bench/Bench.kt`, once on the core engine directly and once
//! through this crate's facade (argument and result conversion, no FFI).
//!
//! `cargo run --release -p booking-uniffi --example book_seat_bench -- [sessions] [seats] [repeats]`
//! (defaults 2000, 10, 7; 3 warm-up rounds are discarded). Prints one line per variant with the
//! median nanoseconds per call; `bench/run` runs it next to the Kotlin program.

use booking_core::{Actor, Engine, InMemoryRepository, NewGroupSession, UserId};
use booking_uniffi::InMemoryStore;
use chrono::{Duration, Utc};
use std::time::Instant;

const WARMUPS: usize = 3;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("a number")).collect();
    let (sessions, seats, repeats) =
        (args.first().copied().unwrap_or(2000), args.get(1).copied().unwrap_or(10), args.get(2).copied().unwrap_or(7));
    let calls = (sessions * seats) as f64;
    let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
    let students: Vec<UserId> = (0..seats).map(|i| UserId::from_uuid(uuid::Uuid::from_u128(100 + i as u128))).collect();

    // The core engine, called directly.
    let engine = Engine::new(InMemoryRepository::new());
    let mut core = Vec::new();
    for round in 0..WARMUPS + repeats {
        let ids: Vec<_> = (0..sessions)
            .map(|_| {
                let new = NewGroupSession {
                    teacher_id: teacher,
                    course_id: None,
                    title: "Bench".into(),
                    starts_at: Utc::now() + Duration::days(1),
                    time_zone: "Europe/Paris".into(),
                    duration_minutes: 60,
                    meeting_link: "https://meet.example.com/bench".into(),
                    capacity: seats as u32,
                    waitlist_enabled: false,
                    waitlist_mode: Default::default(),
                    rules: Default::default(),
                };
                engine.create_session(Actor::Teacher(teacher), new).expect("created").value.id
            })
            .collect();
        let started = Instant::now();
        for id in &ids {
            for student in &students {
                engine.book_seat(Actor::Student(*student), *id, *student).expect("booked");
            }
        }
        if round >= WARMUPS {
            core.push(started.elapsed().as_nanos() as f64 / calls);
        }
    }

    // The binding's facade: the same call as Kotlin makes, minus the FFI.
    let facade = booking_uniffi::Engine::in_memory(InMemoryStore::new(), None, None, None, None, true);
    let mut wrapped = Vec::new();
    for round in 0..WARMUPS + repeats {
        let ids: Vec<_> = (0..sessions)
            .map(|_| {
                let new = NewGroupSession {
                    teacher_id: teacher,
                    course_id: None,
                    title: "Bench".into(),
                    starts_at: chrono::Utc::now() + chrono::TimeDelta::days(1),
                    time_zone: "Europe/Paris".into(),
                    duration_minutes: 60,
                    meeting_link: "https://meet.example.com/bench".into(),
                    capacity: seats as u32,
                    waitlist_enabled: false,
                    waitlist_mode: Default::default(),
                    rules: Default::default(),
                };
                facade.create_session(Actor::Teacher(teacher), new, None).expect("created").value.id
            })
            .collect();
        let started = Instant::now();
        for id in &ids {
            for student in &students {
                facade.book_seat(Actor::Student(*student), *id, *student, None).expect("booked");
            }
        }
        if round >= WARMUPS {
            wrapped.push(started.elapsed().as_nanos() as f64 / calls);
        }
    }

    println!("rust core engine.book_seat:      median {:.0} ns/call ({repeats} rounds of {calls} calls)", median(core));
    println!(
        "rust binding facade book_seat:   median {:.0} ns/call ({repeats} rounds of {calls} calls)",
        median(wrapped)
    );
}
