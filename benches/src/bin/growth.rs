//! A session's cost after a long history: one student books and cancels `--cycles` times on one
//! session (the "grown" session), then a book and a cancel by other students on it are timed
//! side by side, interleaved, with the same commands on a session that never had a booking (the
//! "fresh" session), in memory and on SQLite, in one run. Finished bookings leave the session
//! for the store's booking history, so the two should cost the same; before that change every
//! cancelled booking stayed in the session, which each later command decoded, cloned and
//! rewrote.
//!
//! ```text
//! cargo run --release -p booking-benches --bin growth -- [--cycles 50000] [--samples 2000] [--store memory|sqlite|both]
//! ```
//!
//! Prints, per store: the median time of a book and of a cancel on each session and their
//! ratio (grown / fresh), and the size of the grown session as stored (bytes of its JSON) next
//! to the fresh one's. SQLite runs with `synchronous=NORMAL` (WAL), so the figures show what the
//! session's size costs rather than the disk's `fsync`; the file is in a temporary directory.

use booking_core::{Actor, Engine, NewGroupSession, Repository, SessionId, UserId};
use booking_sqlite::{SqliteOptions, SqliteRepository, Synchronous};
use chrono::{TimeDelta, Utc};
use std::time::{Duration, Instant};

struct Args {
    cycles: u64,
    samples: usize,
    store: String,
}

fn args() -> Args {
    let mut a = Args { cycles: 50_000, samples: 2_000, store: "both".into() };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--cycles" => a.cycles = value().parse().expect("--cycles N"),
            "--samples" => a.samples = value().parse().expect("--samples N"),
            "--store" => a.store = value(),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn user(n: u64) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128(u128::from(n)))
}

fn create(engine: &Engine<impl Repository>, title: &str) -> SessionId {
    let teacher = user(1);
    let new = NewGroupSession {
        teacher_id: teacher,
        course_id: None,
        title: title.into(),
        starts_at: Utc::now() + TimeDelta::days(30),
        time_zone: "Europe/Berlin".into(),
        duration_minutes: 60,
        meeting_link: "https://meet.example.com/growth".into(),
        capacity: 100,
        waitlist_enabled: true,
        waitlist_mode: Default::default(),
        rules: Default::default(),
    };
    engine.create_session(Actor::Teacher(teacher), new).expect("creating a session").value.id
}

/// Books and cancels `student` on `session`; the time of each.
fn book_and_cancel(engine: &Engine<impl Repository>, session: SessionId, student: UserId) -> (Duration, Duration) {
    let started = Instant::now();
    let booking = engine.book_seat(Actor::Student(student), session, student).expect("booking").value;
    let booked = started.elapsed();
    let started = Instant::now();
    engine.cancel_booking(Actor::Student(student), booking.id).expect("cancelling");
    (booked, started.elapsed())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn stored_size(engine: &Engine<impl Repository>, session: SessionId) -> usize {
    let stored = engine.repository().load_session(session).expect("loading").expect("stored");
    serde_json::to_string(&*stored).expect("encoding").len()
}

fn run(name: &str, engine: &Engine<impl Repository>, a: &Args) {
    let fresh = create(engine, "Fresh");
    let grown = create(engine, "Grown");
    let looper = user(2);
    let started = Instant::now();
    for _ in 0..a.cycles {
        book_and_cancel(engine, grown, looper);
    }
    let growing = started.elapsed();
    // Side by side, interleaved, so both sessions see the same machine.
    let (mut fresh_book, mut fresh_cancel, mut grown_book, mut grown_cancel) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for n in 0..a.samples as u64 {
        let (b, c) = book_and_cancel(engine, fresh, user(1_000_000 + n));
        fresh_book.push(b);
        fresh_cancel.push(c);
        let (b, c) = book_and_cancel(engine, grown, user(2_000_000 + n));
        grown_book.push(b);
        grown_cancel.push(c);
    }
    let (fb, fc, gb, gc) = (median(fresh_book), median(fresh_cancel), median(grown_book), median(grown_cancel));
    let ratio = |g: Duration, f: Duration| g.as_secs_f64() / f.as_secs_f64();
    println!(
        "| {name} | {:.1} µs | {:.1} µs | {:.2}x | {:.1} µs | {:.1} µs | {:.2}x | {} B | {} B | {:.1} s |",
        fb.as_secs_f64() * 1e6,
        gb.as_secs_f64() * 1e6,
        ratio(gb, fb),
        fc.as_secs_f64() * 1e6,
        gc.as_secs_f64() * 1e6,
        ratio(gc, fc),
        stored_size(engine, fresh),
        stored_size(engine, grown),
        growing.as_secs_f64(),
    );
}

fn main() {
    let a = args();
    println!(
        "{} book/cancel cycles by one student on the grown session; medians of {} books and cancels on each session, interleaved",
        a.cycles, a.samples
    );
    println!();
    println!(
        "| store | book, fresh | book, grown | ratio | cancel, fresh | cancel, grown | ratio | stored fresh session | stored grown session | growing took |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    if a.store == "memory" || a.store == "both" {
        run("in memory", &Engine::new(booking_core::InMemoryRepository::new()), &a);
    }
    if a.store == "sqlite" || a.store == "both" {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let options = SqliteOptions::default().synchronous(Synchronous::Normal);
        let store = SqliteRepository::open_with(dir.path().join("growth.db"), options).expect("opening SQLite");
        run("SQLite (NORMAL)", &Engine::new(store), &a);
    }
}
