//! Bookings per second through the engine on PostgreSQL: on one hot session, and spread over
//! many sessions.
//!
//! ```text
//! cargo run --release -p booking-postgres --example pg_throughput -- postgres://user@127.0.0.1:5432/db \
//!     [--threads 16] [--seconds 5] [--sessions 1000] [--seats 200] [--no-keys] [--no-engine-queue] [--no-cache] [--only hot|spread]
//! ```
//!
//! Every run works in a fresh schema (dropped at the end). "hot": all threads book seats of
//! the same session; each session takes `--seats` bookings (its JSON body grows with each, as
//! a real session's would) before the threads move on to the next. "spread": booking `n` goes
//! to session `n % --sessions`. Each booking is one `Engine::book_seat` under a request key
//! (unless `--no-keys`): look up the key, load the session, decide, commit.

use booking_core::{
    Actor, Engine, NewGroupSession, SessionId, UserId,
    repository::{Commit, Repository, StoreError, StoreWrapper},
};
use booking_postgres::{PgOptions, PgRepository};
use chrono::{TimeDelta, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Args {
    url: String,
    threads: usize,
    seconds: u64,
    sessions: u64,
    seats: u64,
    keys: bool,
    engine_queue: bool,
    cache: bool,
    only: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        url: String::new(),
        threads: 16,
        seconds: 5,
        sessions: 1000,
        seats: 200,
        keys: true,
        engine_queue: true,
        cache: true,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--threads" => a.threads = value().parse().expect("--threads N"),
            "--seconds" => a.seconds = value().parse().expect("--seconds N"),
            "--sessions" => a.sessions = value().parse().expect("--sessions N"),
            "--seats" => a.seats = value().parse().expect("--seats N"),
            "--no-keys" => a.keys = false,
            "--no-engine-queue" => a.engine_queue = false,
            "--no-cache" => a.cache = false,
            "--only" => a.only = Some(value()),
            url if !url.starts_with("--") => a.url = url.to_owned(),
            other => panic!("unknown argument {other}"),
        }
    }
    if a.url.is_empty() {
        a.url = std::env::var("BOOKING_PG_URL").expect("give a connection string, or set BOOKING_PG_URL");
    }
    a
}

/// Counts commits and the conflicts among them.
struct Counting {
    inner: PgRepository,
    commits: AtomicU64,
    conflicts: AtomicU64,
}

impl StoreWrapper for Counting {
    type Inner = PgRepository;

    fn inner(&self) -> &PgRepository {
        &self.inner
    }

    fn commit(this: &Self, commit: Commit) -> Result<(), StoreError> {
        this.commits.fetch_add(1, Ordering::Relaxed);
        let result = this.inner.commit(commit);
        if matches!(result, Err(StoreError::Conflict(_))) {
            this.conflicts.fetch_add(1, Ordering::Relaxed);
        }
        result
    }
}

fn create_sessions(engine: &Engine<Arc<Counting>>, n: u64, seats: u64) -> Vec<SessionId> {
    let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
    (0..n)
        .map(|i| {
            let new = NewGroupSession {
                teacher_id: teacher,
                course_id: None,
                title: format!("Session {i}"),
                starts_at: Utc::now() + TimeDelta::days(7),
                time_zone: "Europe/Berlin".into(),
                duration_minutes: 60,
                meeting_link: "https://meet.example.com/s".into(),
                capacity: u32::try_from(seats).expect("--seats fits u32"),
                waitlist_enabled: false,
                waitlist_mode: Default::default(),
                rules: Default::default(),
            };
            engine.create_session(Actor::Teacher(teacher), new).expect("creating a session").value.id
        })
        .collect()
}

struct Run {
    bookings: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
    commits: u64,
    conflicts: u64,
}

/// `threads` threads book ticket after ticket until `deadline` or the tickets run out;
/// ticket `n` books student `n` into `session_of(n)`.
fn run(
    engine: &Arc<Engine<Arc<Counting>>>,
    a: &Args,
    phase: u64,
    tickets: u64,
    session_of: impl Fn(u64) -> SessionId + Send + Sync,
) -> Run {
    let counting = Arc::clone(engine.repository());
    let (commits0, conflicts0) = (counting.commits.load(Ordering::Relaxed), counting.conflicts.load(Ordering::Relaxed));
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(a.seconds);
    let latencies: Vec<Vec<Duration>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..a.threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        if n >= tickets || stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
                            stop.store(true, Ordering::Relaxed);
                            return mine;
                        }
                        let student = UserId::from_uuid(uuid::Uuid::from_u128(u128::from(phase) << 64 | u128::from(n)));
                        let request = if a.keys {
                            Actor::Student(student).with_key(format!("bench-{phase}-{n}"))
                        } else {
                            Actor::Student(student).into()
                        };
                        let t = Instant::now();
                        engine.book_seat(request, session_of(n), student).expect("booking");
                        mine.push(t.elapsed());
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a thread panicked")).collect()
    });
    let elapsed = start.elapsed();
    let mut latencies: Vec<Duration> = latencies.into_iter().flatten().collect();
    latencies.sort_unstable();
    Run {
        bookings: latencies.len() as u64,
        elapsed,
        latencies,
        commits: counting.commits.load(Ordering::Relaxed) - commits0,
        conflicts: counting.conflicts.load(Ordering::Relaxed) - conflicts0,
    }
}

fn report(name: &str, r: &Run) {
    let pct = |p: f64| {
        let i = ((r.latencies.len() as f64 - 1.0) * p).round() as usize;
        r.latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{name:<7} {:>8.0} bookings/s  ({} in {:.2} s; latency p50 {:.2} ms, p99 {:.2} ms; {} commits sent, {} conflicts)",
        r.bookings as f64 / r.elapsed.as_secs_f64(),
        r.bookings,
        r.elapsed.as_secs_f64(),
        pct(0.5),
        pct(0.99),
        r.commits,
        r.conflicts
    );
}

fn main() {
    let a = args();
    let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let store = PgOptions::new(&a.url)
        .expect("a valid connection string")
        .schema(schema.clone())
        .max_connections(u32::try_from(a.threads).unwrap_or(16))
        .snapshot_cache(a.cache)
        .open()
        .expect("opening the store");
    let counting =
        Arc::new(Counting { inner: store.clone(), commits: AtomicU64::new(0), conflicts: AtomicU64::new(0) });
    let engine = Arc::new(Engine::new(Arc::clone(&counting)).with_local_queueing(a.engine_queue));
    println!(
        "{} threads, {} s per phase, {} seats per session, request keys {}, engine queueing {}, \
         snapshot cache {}",
        a.threads,
        a.seconds,
        a.seats,
        if a.keys { "on" } else { "off" },
        if a.engine_queue { "on" } else { "off" },
        if a.cache { "on" } else { "off" }
    );
    if a.only.as_deref() != Some("spread") {
        // Enough sessions for 20,000 bookings/s; each takes `seats` bookings in turn.
        let hot = create_sessions(&engine, (20_000 * a.seconds).div_ceil(a.seats), a.seats);
        let r = run(&engine, &a, 1, hot.len() as u64 * a.seats, |n| hot[(n / a.seats) as usize]);
        report("hot", &r);
    }
    if a.only.as_deref() != Some("hot") {
        let spread = create_sessions(&engine, a.sessions, a.seats);
        let r = run(&engine, &a, 2, a.sessions * a.seats, |n| spread[(n % a.sessions) as usize]);
        report("spread", &r);
    }
    let drop_schema = format!("DROP SCHEMA \"{schema}\" CASCADE");
    if let Err(e) = store.with_client(|c| c.batch_execute(&drop_schema)) {
        eprintln!("could not drop schema {schema}: {e}");
    }
}
