//! Issue 15's read side at scale: a student's upcoming agenda, a teacher's approval queue and a
//! day's reminders page on SQLite and PostgreSQL holding 100,000 students, 5,000 teachers and
//! two sizes of history (100,000 and 1,000,000 seat bookings and lessons), side by side; then
//! the outbox: the store's commit rate and the rate a relay reads and acknowledges, in one run.
//!
//! ```text
//! cargo run --release -p booking-benches --bin read_side -- [--db sqlite|postgres|both]
//!     [--sizes 100000,1000000] [--queries 2000] [--commits 4000]
//! ```
//!
//! PostgreSQL needs `BOOKING_PG_URL` (`source scripts/postgres-env` starts a throwaway server).
//!
//! The history is written straight through [`Repository::commit`] (1,000 new aggregates per
//! commit), copies of one session and one lesson the engine made, with their ids, people and
//! instants changed: half seat bookings (sessions of 10 seats, two a day per teacher), half
//! lessons (10% waiting for approval), spread from a year before "now" to a year after. So the
//! stores hold what the engine would have stored, with every read-index entry the core computes,
//! without a year of commands. Each query runs `--queries` times on random probe students and
//! teachers (their rows are the same at every size: 5 seats and 5 lessons in the next 30 days,
//! 10 lessons waiting for approval; see [`PROBES`]) and random days; the table gives the median and the 95th percentile in microseconds, and the ratio of
//! the large history to the small one (1.0 = the cost does not grow with the history).

use booking_core::read::PageRequest;
use booking_core::repository::{Commit, Write};
use booking_core::{
    Actor, BookingId, Engine, GroupSession, InMemoryRepository, ManualClock, NewGroupSession, Repository, SessionId,
    UserId, lesson::Lesson,
};
use booking_postgres::{PgOptions, PgRepository};
use booking_sqlite::SqliteRepository;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use std::sync::Arc;
use std::time::Instant;

const STUDENTS: u64 = 100_000;
const TEACHERS: u64 = 5_000;
const SEATS: u64 = 10;

struct Args {
    db: String,
    sizes: Vec<u64>,
    queries: usize,
    commits: usize,
}

fn args() -> Args {
    let mut a = Args { db: "both".into(), sizes: vec![100_000, 1_000_000], queries: 2000, commits: 4000 };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--db" => a.db = value(),
            "--sizes" => a.sizes = value().split(',').map(|n| n.parse().expect("--sizes N,M")).collect(),
            "--queries" => a.queries = value().parse().expect("--queries N"),
            "--commits" => a.commits = value().parse().expect("--commits N"),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2031, 1, 6, 8, 0, 0).unwrap()
}

fn id(kind: u128, n: u64) -> uuid::Uuid {
    uuid::Uuid::from_u128((kind << 96) | u128::from(n))
}

fn student(n: u64) -> UserId {
    UserId::from_uuid(id(1, n))
}

fn teacher(n: u64) -> UserId {
    UserId::from_uuid(id(2, n))
}

/// A small deterministic generator (xorshift), so every run builds the same history.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One session with ten seat bookings and one lesson made by the engine, as JSON templates.
fn templates() -> (serde_json::Value, serde_json::Value) {
    let clock = Arc::new(ManualClock::new(now()));
    let engine = Engine::new(InMemoryRepository::new()).with_clock(Arc::clone(&clock));
    let t = teacher(0);
    let session = engine
        .create_session(
            Actor::Teacher(t),
            NewGroupSession {
                teacher_id: t,
                course_id: None,
                title: "Conversation class".into(),
                starts_at: now() + TimeDelta::days(3),
                time_zone: "Europe/Vienna".into(),
                duration_minutes: 60,
                meeting_link: "https://meet.example.com/class".into(),
                capacity: SEATS as u32,
                waitlist_enabled: true,
                waitlist_mode: Default::default(),
                rules: Default::default(),
            },
        )
        .expect("a session")
        .value;
    for s in 0..SEATS {
        engine.book_seat(Actor::Student(student(s)), session.id, student(s)).expect("a seat");
    }
    let session = engine.session(Actor::System, session.id).expect("the session");
    let slot = engine
        .publish_slot(
            Actor::Teacher(t),
            t,
            booking_core::lesson::SlotSpec {
                course_id: None,
                time_zone: "Europe/Vienna".into(),
                recurrence: booking_core::availability::SlotRecurrence::Weekly {
                    weekday: chrono::Weekday::Tue,
                    start_time: chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                    end_time: chrono::NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
                    valid_from: now().date_naive(),
                    valid_until: None,
                },
                active: true,
                rules: Default::default(),
            },
        )
        .expect("a slot")
        .value;
    let start = Utc.with_ymd_and_hms(2031, 1, 7, 8, 0, 0).unwrap();
    let lesson = engine.book_lesson(Actor::Student(student(0)), slot.id, start, student(0)).expect("a lesson").value;
    (serde_json::to_value(&*session).unwrap(), serde_json::to_value(&*lesson).unwrap())
}

fn instant(at: DateTime<Utc>) -> serde_json::Value {
    serde_json::to_value(at).unwrap()
}

/// Writes a history of `size` seat bookings and lessons into `store`, 1,000 aggregates a commit.
/// Probe users, the same at every size: each probe student holds 5 seats and 5 lessons in the
/// next 30 days, each probe teacher 10 lessons waiting for approval. The queries ask for them,
/// so every size answers pages of the same content and only the history around them grows.
const PROBES: u64 = 100;

fn probe_student(p: u64) -> UserId {
    student(STUDENTS + p)
}

fn probe_teacher(p: u64) -> UserId {
    teacher(TEACHERS + 10 + p)
}

/// Writes a history of `size` seat bookings and lessons into `store`, 1,000 aggregates a commit,
/// plus the probes' own (200 bookings and lessons each for the students, 1,000 pending lessons).
fn fill(store: &dyn Repository, size: u64) {
    let (session_template, lesson_template) = templates();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ size);
    let span_minutes = 2 * 365 * 24 * 60;
    let start_of = |rng: &mut Rng| now() - TimeDelta::days(365) + TimeDelta::minutes(rng.below(span_minutes) as i64);
    let mut writes: Vec<Write> = Vec::with_capacity(1000);
    let flush = |writes: &mut Vec<Write>| {
        if !writes.is_empty() {
            store.commit(Commit { writes: std::mem::take(writes), ..Commit::default() }).expect("bulk commit");
        }
    };
    let session =
        |space: u128, n: u64, teacher_id: UserId, starts_at: DateTime<Utc>, seat: &mut dyn FnMut(usize) -> UserId| {
            let mut body = session_template.clone();
            let session_id = SessionId::from_uuid(id(space, n));
            body["id"] = serde_json::to_value(session_id).unwrap();
            body["teacher_id"] = serde_json::to_value(teacher_id).unwrap();
            body["starts_at"] = instant(starts_at);
            body["created_at"] = instant(starts_at - TimeDelta::days(30));
            for (k, booking) in body["bookings"].as_array_mut().unwrap().iter_mut().enumerate() {
                booking["id"] =
                    serde_json::to_value(BookingId::from_uuid(id(space + 1, n * SEATS + k as u64))).unwrap();
                booking["session_id"] = serde_json::to_value(session_id).unwrap();
                booking["student_id"] = serde_json::to_value(seat(k)).unwrap();
            }
            let session: GroupSession = serde_json::from_value(body).expect("a session");
            Write::Session { expected_version: 0, session: Arc::new(session) }
        };
    let lesson = |space: u128,
                  n: u64,
                  teacher_id: UserId,
                  student_id: UserId,
                  starts_at: DateTime<Utc>,
                  status: &str,
                  requested_at: DateTime<Utc>| {
        let mut body = lesson_template.clone();
        body["id"] = serde_json::to_value(BookingId::from_uuid(id(space, n))).unwrap();
        body["teacher_id"] = serde_json::to_value(teacher_id).unwrap();
        body["student_id"] = serde_json::to_value(student_id).unwrap();
        body["starts_at"] = instant(starts_at);
        body["ends_at"] = instant(starts_at + TimeDelta::hours(1));
        body["requested_at"] = instant(requested_at);
        body["status"] = serde_json::Value::String(status.into());
        let lesson: Lesson = serde_json::from_value(body).expect("a lesson");
        Write::Lesson { expected_version: 0, lesson: Arc::new(lesson) }
    };
    for n in 0..size / 2 / SEATS {
        let starts_at = start_of(&mut rng);
        writes.push(session(3, n, teacher(n % TEACHERS), starts_at, &mut |_| student(rng.below(STUDENTS))));
        if writes.len() == 1000 {
            flush(&mut writes);
        }
    }
    for n in 0..size / 2 {
        let starts_at = start_of(&mut rng);
        let pending = rng.below(10) == 0 && starts_at > now();
        let status = match () {
            _ if pending => "pending",
            _ if starts_at < now() => "attended",
            _ => "confirmed",
        };
        let requested_at = starts_at - TimeDelta::days(1 + rng.below(20) as i64);
        let (t, st) = (teacher(rng.below(TEACHERS)), student(rng.below(STUDENTS)));
        writes.push(lesson(5, n, t, st, starts_at, status, requested_at));
        if writes.len() == 1000 {
            flush(&mut writes);
        }
    }
    flush(&mut writes);
    // The probes: the same rows at every size (their own id spaces).
    let mut probe_rng = Rng(7);
    for p in 0..PROBES {
        for k in 0..5 {
            let starts_at = now() + TimeDelta::days(1 + 5 * k as i64) + TimeDelta::minutes(p as i64);
            let n = p * 5 + k;
            writes.push(session(7, n, teacher(n % TEACHERS), starts_at, &mut |seat| {
                if seat == 0 { probe_student(p) } else { student(probe_rng.below(STUDENTS)) }
            }));
            let at = starts_at + TimeDelta::hours(3);
            writes.push(lesson(
                9,
                n,
                teacher(probe_rng.below(TEACHERS)),
                probe_student(p),
                at,
                "confirmed",
                at - TimeDelta::days(2),
            ));
        }
        for k in 0..10 {
            let at = now() + TimeDelta::days(2 + 5 * k as i64);
            let n = PROBES * 5 + p * 10 + k;
            let requested_at = now() - TimeDelta::hours(10 - k as i64);
            writes.push(lesson(
                9,
                n,
                probe_teacher(p),
                student(probe_rng.below(STUDENTS)),
                at,
                "pending",
                requested_at,
            ));
        }
        flush(&mut writes);
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Median and 95th percentile, in microseconds, of `n` runs of `query`; and the mean items.
fn measure(n: usize, mut query: impl FnMut(&mut Rng) -> usize) -> (f64, f64, f64) {
    let mut rng = Rng(42);
    for _ in 0..n / 10 {
        query(&mut rng); // warm the caches
    }
    let mut times = Vec::with_capacity(n);
    let mut items = 0;
    for _ in 0..n {
        let start = Instant::now();
        items += query(&mut rng);
        times.push(start.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    (percentile(&times, 0.5), percentile(&times, 0.95), items as f64 / n as f64)
}

type Row = [(f64, f64, f64); 3];

fn queries<R: Repository>(engine: &Engine<R>, n: usize) -> Row {
    let page = PageRequest::first(20);
    let agenda = measure(n, |rng| {
        let s = probe_student(rng.below(PROBES));
        let got = engine.student_agenda(Actor::Student(s), s, now(), now() + TimeDelta::days(30), &[], &page);
        got.expect("an agenda").items.len()
    });
    let queue = measure(n, |rng| {
        let t = probe_teacher(rng.below(PROBES));
        engine.approval_queue(Actor::Teacher(t), t, &page).expect("a queue").items.len()
    });
    let day_page = PageRequest::first(20);
    let reminders = measure(n, |rng| {
        let day = now() + TimeDelta::days(rng.below(300) as i64);
        engine.starting_between(Actor::System, day, day + TimeDelta::days(1), &day_page).expect("a page").items.len()
    });
    [agenda, queue, reminders]
}

/// Commits per second of `commits` bookings from 4 threads, then events per second a relay
/// reads (500 at a time) and acknowledges.
fn outbox<R: Repository>(engine: &Engine<R>, commits: usize) -> (f64, f64, usize) {
    let t = teacher(TEACHERS + 1);
    let sessions: Vec<SessionId> = (0..commits.div_ceil(400))
        .map(|k| {
            let new = NewGroupSession {
                teacher_id: t,
                course_id: None,
                title: format!("Outbox {k}"),
                starts_at: now() + TimeDelta::days(400 + k as i64),
                time_zone: "UTC".into(),
                duration_minutes: 60,
                meeting_link: "https://meet.example.com/outbox".into(),
                capacity: 500,
                waitlist_enabled: false,
                waitlist_mode: Default::default(),
                rules: Default::default(),
            };
            engine.create_session(Actor::Teacher(t), new).expect("a session").value.id
        })
        .collect();
    // Drain what came before.
    while let Some(last) = engine.outbox(Actor::System, 0, 500).expect("outbox").last().map(|e| e.position) {
        engine.acknowledge_outbox(Actor::System, last).expect("acknowledge");
    }
    let start = Instant::now();
    std::thread::scope(|scope| {
        for w in 0..4 {
            let sessions = &sessions;
            scope.spawn(move || {
                for k in (w..commits).step_by(4) {
                    let s = UserId::from_uuid(id(6, k as u64));
                    engine.book_seat(Actor::Student(s), sessions[k % sessions.len()], s).expect("a booking");
                }
            });
        }
    });
    let commit_rate = commits as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut relayed = 0;
    loop {
        let batch = engine.outbox(Actor::System, 0, 500).expect("outbox");
        let Some(last) = batch.last().map(|e| e.position) else { break };
        relayed += batch.len();
        engine.acknowledge_outbox(Actor::System, last).expect("acknowledge");
    }
    (commit_rate, relayed as f64 / start.elapsed().as_secs_f64(), relayed)
}

/// The plan SQLite picks for a student's agenda page.
fn sqlite_plan(path: &std::path::Path) -> String {
    let conn = rusqlite::Connection::open(path).expect("the database");
    let (after, before) = agenda_bounds();
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", booking_sqlite::READ_INDEX_QUERY)).expect("explain");
    let rows = stmt
        .query_map(rusqlite::params!["student_agenda", partition(), after, before, 21], |row| row.get::<_, String>(3))
        .expect("plan");
    rows.map(|r| format!("  {}", r.expect("a plan row"))).collect::<Vec<_>>().join("\n")
}

/// The plan PostgreSQL picks for a student's agenda page (with actual times).
fn pg_plan(client: &mut postgres::Client) -> String {
    let (after, before) = agenda_bounds();
    let query = format!("EXPLAIN (ANALYZE, COSTS OFF) {}", booking_postgres::READ_INDEX_QUERY);
    let rows = client.query(&query, &[&"student_agenda", &partition(), &after, &before, &21_i64]).expect("explain");
    rows.iter().map(|r| format!("  {}", r.get::<_, String>(0))).collect::<Vec<_>>().join("\n")
}

fn partition() -> String {
    probe_student(7).as_uuid().hyphenated().to_string()
}

fn agenda_bounds() -> (String, String) {
    (booking_core::index::sort_bound(now()), booking_core::index::sort_bound(now() + TimeDelta::days(30)))
}

fn report(db: &str, sizes: &[u64], rows: &[Row]) {
    println!(
        "\n{db}: median / p95 in µs (mean items per page); last column: median at the largest size / the smallest"
    );
    let names = [
        "a student's upcoming agenda (30 days: 10 items)",
        "a teacher's approval queue (10 items)",
        "a day's reminders (20 a page)",
    ];
    let header: Vec<String> = sizes.iter().map(|s| format!("{s} bookings and lessons")).collect();
    println!("| query | {} | large / small |", header.join(" | "));
    println!("|---|{}---|", "---|".repeat(sizes.len()));
    for (q, name) in names.iter().enumerate() {
        let cells: Vec<String> =
            rows.iter().map(|r| format!("{:.0} / {:.0} µs ({:.1})", r[q].0, r[q].1, r[q].2)).collect();
        let ratio = rows.last().map_or(1.0, |r| r[q].0) / rows.first().map_or(1.0, |r| r[q].0);
        println!("| {name} | {} | {ratio:.2}× |", cells.join(" | "));
    }
}

fn main() {
    let a = args();
    if a.db == "sqlite" || a.db == "both" {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut rows = Vec::new();
        for &size in &a.sizes {
            let path = dir.path().join(format!("read-{size}.db"));
            let store = SqliteRepository::open(&path).expect("store");
            let started = Instant::now();
            fill(&store, size);
            eprintln!("sqlite: {size} written in {:.1} s", started.elapsed().as_secs_f64());
            let engine = Engine::new(store).with_clock(ManualClock::new(now()));
            rows.push(queries(&engine, a.queries));
            if size == *a.sizes.last().unwrap() {
                println!("\nsqlite: the read index's query plan (a student's agenda):\n{}", sqlite_plan(&path));
                let (commits, relay, events) = outbox(&engine, a.commits);
                println!(
                    "sqlite outbox: {commits:.0} commits/s (4 threads); relay read+acknowledge {relay:.0} events/s ({events} events)"
                );
            }
        }
        report("sqlite", &a.sizes, &rows);
    }
    if a.db == "postgres" || a.db == "both" {
        let url = std::env::var("BOOKING_PG_URL").expect("BOOKING_PG_URL (source scripts/postgres-env)");
        let mut rows = Vec::new();
        for &size in &a.sizes {
            let schema = format!("read_{size}_{}", uuid::Uuid::new_v4().simple());
            let store: PgRepository =
                PgOptions::new(&url).expect("url").schema(schema.clone()).max_connections(8).open().expect("store");
            let started = Instant::now();
            fill(&store, size);
            let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("a connection");
            client.batch_execute(&format!("SET search_path TO {schema}; ANALYZE")).expect("analyze");
            eprintln!("postgres: {size} written in {:.1} s", started.elapsed().as_secs_f64());
            let engine = Engine::new(store).with_clock(ManualClock::new(now()));
            rows.push(queries(&engine, a.queries));
            if size == *a.sizes.last().unwrap() {
                println!("\npostgres: the read index's query plan (a student's agenda):\n{}", pg_plan(&mut client));
                let (commits, relay, events) = outbox(&engine, a.commits);
                println!(
                    "postgres outbox: {commits:.0} commits/s (4 threads); relay read+acknowledge {relay:.0} events/s ({events} events)"
                );
            }
        }
        report("postgres", &a.sizes, &rows);
    }
}
