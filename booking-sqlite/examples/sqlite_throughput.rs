//! Bookings per second on a temporary SQLite file: 16 threads on one hot session (and one
//! thread, to separate the cost of contention from the cost of a growing session), and 16
//! threads spread over 256 sessions, with `synchronous=FULL` (the default) and `NORMAL`.
//!
//! ```sh
//! cargo run --release -p booking-sqlite --example sqlite_throughput            # 2000 bookings per run
//! cargo run --release -p booking-sqlite --example sqlite_throughput -- 5000    # more
//! ```
//!
//! Not a test: the numbers depend on the machine and its disk (`fsync` dominates with FULL).

use booking_core::{
    Actor, Engine, NewGroupSession, Repository, SessionId, StoreError, UserId,
    repository::{Commit, StoreWrapper},
};
use booking_sqlite::{SqliteOptions, SqliteRepository, Synchronous};
use chrono::{TimeDelta, Utc};
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The runs: name, threads, sessions.
const RUNS: &[(&str, u64, u64)] = &[
    ("one hot session, 16 threads", 16, 1),
    ("one hot session, 1 thread", 1, 1),
    ("256 sessions, 16 threads", 16, 256),
];

/// The store, counting commits and conflicts.
struct Counting {
    store: SqliteRepository,
    commits: AtomicU64,
    conflicts: AtomicU64,
}

impl StoreWrapper for Counting {
    type Inner = SqliteRepository;

    fn inner(&self) -> &SqliteRepository {
        &self.store
    }

    fn commit(this: &Self, commit: Commit) -> Result<(), StoreError> {
        let result = this.store.commit(commit);
        match &result {
            Ok(()) => this.commits.fetch_add(1, Ordering::Relaxed),
            Err(_) => this.conflicts.fetch_add(1, Ordering::Relaxed),
        };
        result
    }
}

fn new_session(capacity: u32) -> NewGroupSession {
    let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
    NewGroupSession {
        teacher_id: teacher,
        course_id: None,
        title: "Throughput".into(),
        starts_at: Utc::now() + TimeDelta::days(30),
        time_zone: "Europe/Berlin".into(),
        duration_minutes: 60,
        meeting_link: "https://meet.example.com/throughput".into(),
        capacity,
        waitlist_enabled: true,
        waitlist_mode: Default::default(),
        rules: Default::default(),
    }
}

/// What a run measured.
struct Measured {
    per_second: f64,
    conflicts: u64,
    /// The largest session's JSON body at the end, in bytes.
    largest_body: usize,
}

/// Books `total` seats from `threads` threads spread over `sessions` sessions.
fn run(synchronous: Synchronous, total: u64, threads: u64, sessions: u64) -> Measured {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let options = SqliteOptions::default().synchronous(synchronous).readers(threads as usize);
    let store = SqliteRepository::open_with(dir.path().join("throughput.db"), options).expect("a database");
    let engine = Engine::new(Counting { store, commits: AtomicU64::new(0), conflicts: AtomicU64::new(0) });
    let capacity = u32::try_from(total).unwrap_or(u32::MAX).min(10_000);
    let ids: Vec<SessionId> = (0..sessions)
        .map(|_| engine.create_session(Actor::System, new_session(capacity)).expect("a session").value.id)
        .collect();
    let (before_commits, per_thread) = (engine.repository().commits.load(Ordering::Relaxed), total / threads);
    let barrier = Barrier::new(threads as usize);
    let start = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (engine, ids, barrier) = (&engine, &ids, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    for i in 0..per_thread {
                        let student = UserId::from_uuid(uuid::Uuid::from_u128((2 << 64) | u128::from(t << 32 | i)));
                        let session = ids[((t * 7919 + i * 104_729) % ids.len() as u64) as usize];
                        engine.book_seat(Actor::Student(student), session, student).expect("a booking");
                    }
                })
            })
            .collect();
        let start = Instant::now();
        for h in handles {
            h.join().expect("a booking thread");
        }
        start
    });
    let elapsed = start.elapsed().as_secs_f64();
    let booked = engine.repository().commits.load(Ordering::Relaxed) - before_commits;
    assert_eq!(booked, per_thread * threads);
    let largest_body = ids
        .iter()
        .map(|id| {
            serde_json::to_string(&*engine.session(Actor::System, *id).expect("the session"))
                .map_or(0, |json| json.len())
        })
        .max()
        .unwrap_or(0);
    Measured {
        per_second: booked as f64 / elapsed,
        conflicts: engine.repository().conflicts.load(Ordering::Relaxed),
        largest_body,
    }
}

fn main() {
    let total: u64 = std::env::args().nth(1).map_or(2000, |n| n.parse().expect("a number of bookings"));
    println!("{total} bookings per run, temporary file\n");
    println!("{:<42} {:>11} {:>22} {:>16}", "run", "bookings/s", "conflicts", "largest session");
    for synchronous in [Synchronous::Full, Synchronous::Normal] {
        for &(name, threads, sessions) in RUNS {
            let m = run(synchronous, total, threads, sessions);
            println!(
                "{:<42} {:>11.0} {:>22} {:>13} KB",
                format!("{name}, {synchronous:?}"),
                m.per_second,
                format!("{} ({:.2}/booking)", m.conflicts, m.conflicts as f64 / total as f64),
                m.largest_body / 1024
            );
        }
    }
}
