//! Item 3 of the benchmarks: bookings per second through the engine on SQLite and PostgreSQL,
//! side by side with two naive implementations written here, on the same database in the
//! same run.
//!
//! ```text
//! cargo run --release -p booking-benches --bin stores -- [--db sqlite|postgres|both] [--threads 16]
//!     [--hot-sessions 200] [--seats 50] [--attempts 60] [--spread-sessions 1000] [--spread-bookings 12000]
//!     [--rounds 3] [--keys] [--engines 1] [--group-commit both|on|off]
//! ```
//!
//! PostgreSQL needs `BOOKING_PG_URL` (`source scripts/postgres-env` starts a throwaway server).
//!
//! The contestants, each with `--threads` client threads:
//! - **engine**: `Engine::book_seat` over `booking-sqlite` / `booking-postgres` (optimistic
//!   commit of the session aggregate; the engine's in-process queue and group commit on, its
//!   defaults), and **engine, group commit off** (`Engine::with_group_commit(false)`: each
//!   command commits alone after those queued ahead of it). With `--engines N`, each engine
//!   contestant is N engines, each over a store opened on its own (its own connections, queues
//!   and batches: what N application processes on one database are), the client threads
//!   spread over them (thread `t` through engine `t % N`).
//! - **check-then-insert**: `SELECT count(*)` of the session's confirmed seats, then
//!   `INSERT` if one is left, each statement on its own (autocommit). This is the design of
//!   the seed's Django checklist, and the race several schedulers shipped: it overbooks.
//! - **lock-then-insert**: one transaction that locks the session row
//!   (`SELECT ... FOR UPDATE` on PostgreSQL; `BEGIN IMMEDIATE` on SQLite, which has no row
//!   locks and takes the database's write lock instead), counts, inserts, commits. Correct,
//!   and the usual fix.
//!
//! The naive tables are the least a booking needs (a session row with its capacity; a booking
//! row with session, student and status) with an index on the session; both use the same
//! durability as the engine's store (SQLite `synchronous=FULL` in WAL mode; PostgreSQL as
//! the server is configured).
//!
//! Workloads (fixed work, timed):
//! - **hot**: sessions of `--seats` seats get `--attempts` booking attempts each from all
//!   threads at once (ticket `n` goes to session `n / attempts`, student `n`), so every session
//!   is a race for its last seats. Afterwards every session's confirmed seats are counted:
//!   more than its capacity is an overbooking.
//! - **spread**: `--spread-bookings` bookings over `--spread-sessions` sessions (ticket `n` to
//!   session `n % sessions`), none of them full.
//!
//! Contestants run in turn, in `--rounds` rounds (each round on fresh sessions); the table
//! gives the median attempts per second over the rounds, the ratio to lock-then-insert, and
//! the latency of an attempt (from the client's call to its answer: with group commit, the
//! wait for the batch ahead is in it), its median and 99th percentile in each round, the
//! median of those over the rounds. Each round's line on standard error ends, for the engine
//! contestants, with the engines' own account of it from
//! [`Engine::counters`](booking_core::Engine::counters): lost races, retries, and the batches
//! group commit sent with their mean size.

use booking_core::{
    Actor, BookingError, Engine, EngineCounters, NewGroupSession, Repository, SeatStatus, SessionId, UserId,
};
use booking_postgres::{PgOptions, PgRepository};
use booking_sqlite::SqliteRepository;
use chrono::{TimeDelta, Utc};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
struct Args {
    db: String,
    threads: usize,
    hot_sessions: u64,
    seats: u64,
    attempts: u64,
    spread_sessions: u64,
    spread_bookings: u64,
    rounds: usize,
    keys: bool,
    engines: usize,
    group_commit: String,
}

fn args() -> Args {
    let mut a = Args {
        db: "both".into(),
        threads: 16,
        hot_sessions: 200,
        seats: 50,
        attempts: 60,
        spread_sessions: 1000,
        spread_bookings: 12_000,
        rounds: 3,
        keys: false,
        engines: 1,
        group_commit: "both".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--db" => a.db = value(),
            "--threads" => a.threads = value().parse().expect("--threads N"),
            "--hot-sessions" => a.hot_sessions = value().parse().expect("--hot-sessions N"),
            "--seats" => a.seats = value().parse().expect("--seats N"),
            "--attempts" => a.attempts = value().parse().expect("--attempts N"),
            "--spread-sessions" => a.spread_sessions = value().parse().expect("--spread-sessions N"),
            "--spread-bookings" => a.spread_bookings = value().parse().expect("--spread-bookings N"),
            "--rounds" => a.rounds = value().parse().expect("--rounds N"),
            "--keys" => a.keys = true,
            "--engines" => a.engines = value().parse().expect("--engines N"),
            "--group-commit" => a.group_commit = value(),
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(a.attempts >= a.seats, "--attempts must be at least --seats");
    a
}

/// What a booking attempt ended in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Attempt {
    Confirmed,
    Refused,
}

/// One implementation under test.
trait Contestant: Sync {
    /// Creates `n` sessions of `seats` seats; their ids are `0..n` in the contestant's terms.
    fn create_sessions(&self, n: u64, seats: u64) -> Vec<u128>;
    /// Books `student` into `session` on the connection of `thread`.
    fn book(&self, thread: usize, session: u128, student: u128) -> Attempt;
    /// Confirmed seats of a session, counted after the run.
    fn confirmed(&self, session: u128) -> u64;
    /// The engines' counters summed (`None` for the naive contestants).
    fn counters(&self) -> Option<EngineCounters> {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// The engine

struct EngineContestant<R: Repository> {
    /// The first creates the sessions; client thread `t` books through `engines[t % len]`.
    engines: Vec<Engine<R>>,
    keys: bool,
    teacher: UserId,
}

impl<R: Repository> EngineContestant<R> {
    fn new(stores: Vec<R>, keys: bool, group_commit: bool) -> Self {
        let engines = stores.into_iter().map(|r| Engine::new(r).with_group_commit(group_commit)).collect();
        Self { engines, keys, teacher: UserId::from_uuid(uuid::Uuid::from_u128(1)) }
    }
}

impl<R: Repository> Contestant for EngineContestant<R> {
    fn create_sessions(&self, n: u64, seats: u64) -> Vec<u128> {
        (0..n)
            .map(|i| {
                let new = NewGroupSession {
                    teacher_id: self.teacher,
                    course_id: None,
                    title: format!("Session {i}"),
                    starts_at: Utc::now() + TimeDelta::days(7),
                    time_zone: "Europe/Berlin".into(),
                    duration_minutes: 60,
                    meeting_link: "https://meet.example.com/s".into(),
                    capacity: u32::try_from(seats).expect("seats fit u32"),
                    waitlist_enabled: false,
                    waitlist_mode: Default::default(),
                    rules: Default::default(),
                };
                self.engines[0]
                    .create_session(Actor::Teacher(self.teacher), new)
                    .expect("creating a session")
                    .value
                    .id
                    .0
                    .as_u128()
            })
            .collect()
    }

    fn book(&self, thread: usize, session: u128, student: u128) -> Attempt {
        let engine = &self.engines[thread % self.engines.len()];
        let student = UserId::from_uuid(uuid::Uuid::from_u128(student));
        let request = if self.keys {
            Actor::Student(student).with_key(student.to_string())
        } else {
            Actor::Student(student).into()
        };
        match engine.book_seat(request, SessionId::from_uuid(uuid::Uuid::from_u128(session)), student) {
            Ok(receipt) if receipt.value.status == SeatStatus::Confirmed => Attempt::Confirmed,
            Ok(_) => panic!("the waitlist is off"),
            Err(BookingError::SessionFull { .. }) => Attempt::Refused,
            Err(e) => panic!("engine booking failed: {e}"),
        }
    }

    fn counters(&self) -> Option<EngineCounters> {
        Some(self.engines.iter().map(Engine::counters).fold(EngineCounters::default(), |mut sum, c| {
            sum.conflicts += c.conflicts;
            sum.retries += c.retries;
            sum.batches += c.batches;
            sum.batched_commits += c.batched_commits;
            sum
        }))
    }

    fn confirmed(&self, session: u128) -> u64 {
        let session = self.engines[0]
            .session(Actor::System, SessionId::from_uuid(uuid::Uuid::from_u128(session)))
            .expect("session");
        session.bookings.iter().filter(|b| b.status == SeatStatus::Confirmed).count() as u64
    }
}

// ---------------------------------------------------------------------------------------------
// Naive SQLite

/// Check-then-insert (`locked == false`) or `BEGIN IMMEDIATE` (`locked == true`) on SQLite, one
/// connection per client thread.
struct NaiveSqlite {
    connections: Vec<Mutex<rusqlite::Connection>>,
    locked: bool,
    next_session: AtomicU64,
}

impl NaiveSqlite {
    fn open(path: &Path, threads: usize, locked: bool) -> Self {
        let open = || {
            let c = rusqlite::Connection::open(path).expect("opening the naive SQLite file");
            c.busy_timeout(Duration::from_secs(30)).expect("busy timeout");
            c.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;").expect("pragmas");
            c
        };
        let first = open();
        first
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS naive_session (id INTEGER PRIMARY KEY, capacity INTEGER NOT NULL);
                 CREATE TABLE IF NOT EXISTS naive_booking (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL,
                     student_id BLOB NOT NULL, status TEXT NOT NULL);
                 CREATE INDEX IF NOT EXISTS naive_booking_session ON naive_booking (session_id, status);",
            )
            .expect("naive schema");
        let mut connections = vec![Mutex::new(first)];
        connections.extend((1..threads).map(|_| Mutex::new(open())));
        Self { connections, locked, next_session: AtomicU64::new(1) }
    }

    fn attempt(c: &rusqlite::Connection, session: u128, student: u128) -> rusqlite::Result<Attempt> {
        let session = i64::try_from(session).expect("naive ids are small");
        let capacity: i64 = c.query_row("SELECT capacity FROM naive_session WHERE id = ?1", [session], |r| r.get(0))?;
        let taken: i64 = c.query_row(
            "SELECT count(*) FROM naive_booking WHERE session_id = ?1 AND status = 'confirmed'",
            [session],
            |r| r.get(0),
        )?;
        if taken >= capacity {
            return Ok(Attempt::Refused);
        }
        c.execute(
            "INSERT INTO naive_booking (session_id, student_id, status) VALUES (?1, ?2, 'confirmed')",
            rusqlite::params![session, student.to_be_bytes().as_slice()],
        )?;
        Ok(Attempt::Confirmed)
    }
}

impl Contestant for NaiveSqlite {
    fn create_sessions(&self, n: u64, seats: u64) -> Vec<u128> {
        let mut c = self.connections[0].lock().expect("connection");
        let tx = c.transaction().expect("transaction");
        let ids: Vec<u128> = (0..n)
            .map(|_| {
                let id = self.next_session.fetch_add(1, Ordering::Relaxed);
                tx.execute("INSERT INTO naive_session (id, capacity) VALUES (?1, ?2)", [id as i64, seats as i64])
                    .expect("insert session");
                u128::from(id)
            })
            .collect();
        tx.commit().expect("commit sessions");
        ids
    }

    fn book(&self, thread: usize, session: u128, student: u128) -> Attempt {
        let c = self.connections[thread].lock().expect("connection");
        if !self.locked {
            return Self::attempt(&c, session, student).expect("naive booking");
        }
        c.execute_batch("BEGIN IMMEDIATE").expect("begin immediate");
        match Self::attempt(&c, session, student) {
            Ok(attempt) => {
                c.execute_batch("COMMIT").expect("commit");
                attempt
            }
            Err(e) => {
                let _ = c.execute_batch("ROLLBACK");
                panic!("naive booking failed: {e}")
            }
        }
    }

    fn confirmed(&self, session: u128) -> u64 {
        let c = self.connections[0].lock().expect("connection");
        let n: i64 = c
            .query_row(
                "SELECT count(*) FROM naive_booking WHERE session_id = ?1 AND status = 'confirmed'",
                [session as i64],
                |r| r.get(0),
            )
            .expect("count");
        n as u64
    }
}

// ---------------------------------------------------------------------------------------------
// Naive PostgreSQL

/// Check-then-insert (`locked == false`) or `SELECT ... FOR UPDATE` (`locked == true`) on
/// PostgreSQL, one connection per client thread, in a schema of their own.
struct NaivePostgres {
    connections: Vec<Mutex<postgres::Client>>,
    locked: bool,
    next_session: AtomicU64,
    schema: String,
}

impl NaivePostgres {
    fn open(url: &str, threads: usize, locked: bool) -> Self {
        let schema = format!("naive_{}", uuid::Uuid::new_v4().simple());
        let open = || {
            let mut c = postgres::Client::connect(url, postgres::NoTls).expect("connecting to PostgreSQL");
            c.batch_execute(&format!("SET search_path TO \"{schema}\"")).expect("search path");
            c
        };
        let mut first = open();
        first
            .batch_execute(&format!(
                "CREATE SCHEMA \"{schema}\";
                 CREATE TABLE \"{schema}\".naive_session (id bigint PRIMARY KEY, capacity integer NOT NULL);
                 CREATE TABLE \"{schema}\".naive_booking (id bigserial PRIMARY KEY, session_id bigint NOT NULL,
                     student_id uuid NOT NULL, status text NOT NULL);
                 CREATE INDEX ON \"{schema}\".naive_booking (session_id, status);"
            ))
            .expect("naive schema");
        let mut connections = vec![Mutex::new(first)];
        connections.extend((1..threads).map(|_| Mutex::new(open())));
        Self { connections, locked, next_session: AtomicU64::new(1), schema }
    }

    fn attempt(c: &mut impl postgres::GenericClient, session: i64, student: uuid::Uuid, lock: bool) -> Attempt {
        let capacity: i32 = if lock {
            c.query_one("SELECT capacity FROM naive_session WHERE id = $1 FOR UPDATE", &[&session])
        } else {
            c.query_one("SELECT capacity FROM naive_session WHERE id = $1", &[&session])
        }
        .expect("session")
        .get(0);
        let taken: i64 = c
            .query_one("SELECT count(*) FROM naive_booking WHERE session_id = $1 AND status = 'confirmed'", &[&session])
            .expect("count")
            .get(0);
        if taken >= i64::from(capacity) {
            return Attempt::Refused;
        }
        c.execute(
            "INSERT INTO naive_booking (session_id, student_id, status) VALUES ($1, $2, 'confirmed')",
            &[&session, &student],
        )
        .expect("insert");
        Attempt::Confirmed
    }
}

impl Drop for NaivePostgres {
    fn drop(&mut self) {
        if let Ok(mut c) = self.connections[0].lock() {
            let _ = c.batch_execute(&format!("DROP SCHEMA \"{}\" CASCADE", self.schema));
        }
    }
}

impl Contestant for NaivePostgres {
    fn create_sessions(&self, n: u64, seats: u64) -> Vec<u128> {
        let mut c = self.connections[0].lock().expect("connection");
        let mut tx = c.transaction().expect("transaction");
        let ids: Vec<u128> = (0..n)
            .map(|_| {
                let id = self.next_session.fetch_add(1, Ordering::Relaxed);
                tx.execute(
                    "INSERT INTO naive_session (id, capacity) VALUES ($1, $2)",
                    &[&(id as i64), &(seats as i32)],
                )
                .expect("insert session");
                u128::from(id)
            })
            .collect();
        tx.commit().expect("commit sessions");
        ids
    }

    fn book(&self, thread: usize, session: u128, student: u128) -> Attempt {
        let mut c = self.connections[thread].lock().expect("connection");
        let (session, student) = (session as i64, uuid::Uuid::from_u128(student));
        if !self.locked {
            return Self::attempt(&mut *c, session, student, false);
        }
        let mut tx = c.transaction().expect("begin");
        let attempt = Self::attempt(&mut tx, session, student, true);
        tx.commit().expect("commit");
        attempt
    }

    fn confirmed(&self, session: u128) -> u64 {
        let mut c = self.connections[0].lock().expect("connection");
        let n: i64 = c
            .query_one(
                "SELECT count(*) FROM naive_booking WHERE session_id = $1 AND status = 'confirmed'",
                &[&(session as i64)],
            )
            .expect("count")
            .get(0);
        n as u64
    }
}

// ---------------------------------------------------------------------------------------------
// The runs

struct Outcome {
    attempts: u64,
    confirmed: u64,
    elapsed: Duration,
    latency: Latency,
    overbooked_sessions: u64,
    excess_seats: u64,
}

impl Outcome {
    fn per_second(&self) -> f64 {
        self.attempts as f64 / self.elapsed.as_secs_f64()
    }
}

/// Plays `tickets` attempts from `threads` threads; ticket `n` books student `n` (made
/// unique per run by `salt`) into `session_of(n)`.
fn play(
    c: &dyn Contestant,
    threads: usize,
    tickets: u64,
    salt: u128,
    session_of: &(dyn Fn(u64) -> u128 + Sync),
) -> (u64, Duration, Latency) {
    let next = AtomicU64::new(0);
    let confirmed = AtomicU64::new(0);
    let start = Instant::now();
    let mut took: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|thread| {
                let (next, confirmed) = (&next, &confirmed);
                s.spawn(move || {
                    let mut took = Vec::new();
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        if n >= tickets {
                            return took;
                        }
                        let asked = Instant::now();
                        if c.book(thread, session_of(n), salt | u128::from(n)) == Attempt::Confirmed {
                            confirmed.fetch_add(1, Ordering::Relaxed);
                        }
                        took.push(asked.elapsed());
                    }
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a client thread")).collect()
    });
    let elapsed = start.elapsed();
    took.sort_unstable();
    let at = |q: f64| took.get(((took.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or_default();
    (confirmed.into_inner(), elapsed, Latency { median: at(0.5), p99: at(0.99) })
}

/// How long the attempts of a run took, each from the client's call to its answer.
#[derive(Clone, Copy, Default)]
struct Latency {
    median: Duration,
    p99: Duration,
}

fn hot(c: &dyn Contestant, a: &Args, round: usize) -> Outcome {
    let sessions = c.create_sessions(a.hot_sessions, a.seats);
    let tickets = a.hot_sessions * a.attempts;
    let salt = (round as u128 + 1) << 96 | 1 << 64;
    let (confirmed, elapsed, latency) = play(c, a.threads, tickets, salt, &|n| sessions[(n / a.attempts) as usize]);
    let (mut overbooked_sessions, mut excess_seats) = (0, 0);
    for &s in &sessions {
        let seats = c.confirmed(s);
        if seats > a.seats {
            overbooked_sessions += 1;
            excess_seats += seats - a.seats;
        }
    }
    Outcome { attempts: tickets, confirmed, elapsed, latency, overbooked_sessions, excess_seats }
}

fn spread(c: &dyn Contestant, a: &Args, round: usize) -> Outcome {
    let seats = a.spread_bookings.div_ceil(a.spread_sessions) + 1;
    let sessions = c.create_sessions(a.spread_sessions, seats);
    let salt = (round as u128 + 1) << 96 | 2 << 64;
    let (confirmed, elapsed, latency) =
        play(c, a.threads, a.spread_bookings, salt, &|n| sessions[(n % a.spread_sessions) as usize]);
    Outcome { attempts: a.spread_bookings, confirmed, elapsed, latency, overbooked_sessions: 0, excess_seats: 0 }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs every contestant on both workloads for `rounds` rounds and prints the table rows.
fn compare(db: &str, a: &Args, contestants: &[(&str, &dyn Contestant)]) {
    for (workload, run) in [("hot", hot as fn(&dyn Contestant, &Args, usize) -> Outcome), ("spread", spread)] {
        let mut rates: Vec<Vec<f64>> = vec![Vec::new(); contestants.len()];
        let mut latencies: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); contestants.len()];
        let mut overbooked = vec![(0u64, 0u64, 0u64); contestants.len()];
        for round in 0..a.rounds {
            for (i, (name, c)) in contestants.iter().enumerate() {
                let before = c.counters();
                let o = run(*c, a, round);
                // The engine's own account of the round: lost races and batches.
                let account = before.zip(c.counters()).map_or(String::new(), |(b, e)| {
                    let batches = e.batches - b.batches;
                    format!(
                        "; {} lost races, {} retries, {batches} batches of {:.1} commits on average",
                        e.conflicts - b.conflicts,
                        e.retries - b.retries,
                        (e.batched_commits - b.batched_commits) as f64 / batches.max(1) as f64
                    )
                });
                eprintln!(
                    "  {db} {workload} round {round} {name}: {:.0} attempts/s ({} attempts, {} confirmed, {:.2} s, \
                     latency median {:.2} ms, 99th percentile {:.2} ms, {} sessions overbooked by {} seats{account})",
                    o.per_second(),
                    o.attempts,
                    o.confirmed,
                    o.elapsed.as_secs_f64(),
                    o.latency.median.as_secs_f64() * 1e3,
                    o.latency.p99.as_secs_f64() * 1e3,
                    o.overbooked_sessions,
                    o.excess_seats
                );
                rates[i].push(o.per_second());
                latencies[i].0.push(o.latency.median.as_secs_f64() * 1e3);
                latencies[i].1.push(o.latency.p99.as_secs_f64() * 1e3);
                overbooked[i].0 += o.overbooked_sessions;
                overbooked[i].1 += o.excess_seats;
                overbooked[i].2 += if workload == "hot" { a.hot_sessions } else { 0 };
            }
        }
        let medians: Vec<f64> = rates.into_iter().map(median).collect();
        let latencies: Vec<(f64, f64)> = latencies.into_iter().map(|(m, p)| (median(m), median(p))).collect();
        let baseline = contestants.iter().position(|(n, _)| n.starts_with("lock")).map(|i| medians[i]);
        for (i, (name, _)) in contestants.iter().enumerate() {
            let ratio = baseline.map_or(String::new(), |b| format!("{:.2}x", medians[i] / b));
            let (sessions, seats, of) = overbooked[i];
            let overbooking = if workload == "hot" {
                format!("{sessions} of {of} sessions, {seats} seats too many")
            } else {
                "n/a".to_owned()
            };
            let (latency, p99) = latencies[i];
            println!(
                "| {db} | {workload} | {name} | {:.0} | {ratio} | {latency:.2} / {p99:.2} | {overbooking} |",
                medians[i]
            );
        }
    }
}

fn main() {
    let a = args();
    println!(
        "{} client threads through {} engine(s); hot: {} sessions x {} attempts for {} seats; spread: {} bookings over {} sessions; \
         median of {} rounds; request keys {}",
        a.threads,
        a.engines,
        a.hot_sessions,
        a.attempts,
        a.seats,
        a.spread_bookings,
        a.spread_sessions,
        a.rounds,
        if a.keys { "on" } else { "off" }
    );
    println!();
    println!(
        "| store | workload | implementation | attempts/s (median) | vs lock-then-insert | latency ms, median / 99th pct | overbooked |"
    );
    println!("|---|---|---|---|---|---|---|");
    let group_commit: &[(bool, &str)] = match a.group_commit.as_str() {
        "on" => &[(true, "engine")],
        "off" => &[(false, "engine, group commit off")],
        _ => &[(true, "engine"), (false, "engine, group commit off")],
    };
    if a.db == "sqlite" || a.db == "both" {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("engine.db");
        let engines: Vec<_> = group_commit
            .iter()
            .map(|&(on, name)| {
                let stores = (0..a.engines).map(|_| SqliteRepository::open(&path).expect("store")).collect();
                (name, EngineContestant::new(stores, a.keys, on))
            })
            .collect();
        let naive = NaiveSqlite::open(&dir.path().join("naive.db"), a.threads, false);
        let locked = NaiveSqlite::open(&dir.path().join("locked.db"), a.threads, true);
        let mut contestants: Vec<(&str, &dyn Contestant)> =
            engines.iter().map(|(n, e)| (*n, e as &dyn Contestant)).collect();
        contestants.extend([
            ("check-then-insert", &naive as &dyn Contestant),
            ("lock-then-insert (BEGIN IMMEDIATE)", &locked),
        ]);
        compare("SQLite", &a, &contestants);
    }
    if a.db == "postgres" || a.db == "both" {
        let url = std::env::var("BOOKING_PG_URL").expect("BOOKING_PG_URL (source scripts/postgres-env)");
        let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
        let open = || -> PgRepository {
            PgOptions::new(&url)
                .expect("a valid connection string")
                .schema(schema.clone())
                .max_connections(u32::try_from(a.threads.div_ceil(a.engines)).unwrap_or(16))
                .open()
                .expect("opening the store")
        };
        let store = open();
        let engines: Vec<_> = group_commit
            .iter()
            .map(|&(on, name)| (name, EngineContestant::new((0..a.engines).map(|_| open()).collect(), a.keys, on)))
            .collect();
        let naive = NaivePostgres::open(&url, a.threads, false);
        let locked = NaivePostgres::open(&url, a.threads, true);
        let mut contestants: Vec<(&str, &dyn Contestant)> =
            engines.iter().map(|(n, e)| (*n, e as &dyn Contestant)).collect();
        contestants
            .extend([("check-then-insert", &naive as &dyn Contestant), ("lock-then-insert (FOR UPDATE)", &locked)]);
        compare("PostgreSQL", &a, &contestants);
        drop(engines);
        if let Err(e) = store.with_client(|c| c.batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))) {
            eprintln!("could not drop schema {schema}: {e}");
        }
    }
}
