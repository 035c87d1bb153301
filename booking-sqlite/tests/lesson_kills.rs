//! SIGKILL during 1:1 lesson commits. Booking a lesson writes three aggregates in one commit
//! (the teacher's calendar, the student's calendar and the lesson), and cancelling one writes
//! the same three again. Two worker processes book and cancel lessons of one teacher without
//! pause, and are killed with SIGKILL at random moments, round after round. After every
//! round the database is opened again and checked:
//!
//! - it is sound (`PRAGMA integrity_check`), and every stored lesson, calendar and index entry
//!   decodes;
//! - every lesson is all or nothing: an active one is held in both its teacher's and its
//!   student's calendar, an inactive one in neither, and every hold in a calendar names a
//!   stored, active lesson of that calendar's owner; holds never overlap;
//! - the outbox has exactly one `lesson_booked` per stored lesson and one `lesson_cancelled`
//!   per cancelled one, and no event of a lesson that is not stored;
//! - nothing a worker was told is lost (`synchronous=FULL`): every lesson it booked is stored,
//!   every cancellation it saw is, and each keyed command's record is there;
//! - the store still works: a lesson booked after the reopen lands in all three places.
//!
//! The workers are this test binary again (started with [`WORKER_ENV`]), so no worker binary
//! ships with the crate.

#![cfg(unix)]

mod common;

use booking_core::availability::{SlotRecurrence, occurrences};
use booking_core::lesson::{Calendar, Lesson, LessonStatus, SlotSpec};
use booking_core::repository::BookingLocation;
use booking_core::{Actor, BookingId, Engine, EventKind, Repository, RequestKey, SlotId, UserId};
use booking_sqlite::SqliteRepository;
use chrono::{DateTime, Days, NaiveTime, TimeDelta, Utc, Weekday};
use common::ensure;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Set in a worker's environment to `<database path>|<worker number>`.
const WORKER_ENV: &str = "BOOKING_SQLITE_LESSON_WORKER";
/// This test's name, for `--exact` when the binary starts itself as a worker.
const TEST_NAME: &str = "killed_lesson_commits_are_all_or_nothing";
/// Rounds of kills (two workers killed in each).
const ROUNDS: u64 = 30;
const WORKERS: u32 = 2;
/// Students per worker.
const STUDENTS: u32 = 4;

fn teacher() -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128((7 << 64) | 1))
}

/// Student `j` of worker `w` (worker 0 is the test itself).
fn student(w: u32, j: u32) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128((8 << 64) | u128::from(w) << 16 | u128::from(j)))
}

fn everyone() -> Vec<UserId> {
    let mut people = vec![teacher(), student(0, 0)];
    people.extend((1..=WORKERS).flat_map(|w| (0..STUDENTS).map(move |j| student(w, j))));
    people
}

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0x2545_f491_4f6c_dd1d))
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn seed() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    u64::from(nanos) ^ u64::from(std::process::id()) << 32
}

#[test]
fn killed_lesson_commits_are_all_or_nothing() -> Result<(), String> {
    if let Ok(arg) = std::env::var(WORKER_ENV) {
        worker(&arg);
        return Ok(());
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("lessons.db");
    publish_slots(&path);
    let seed = seed();
    let mut rng = Rng::new(seed);
    let mut told = Told::default();
    let mut lines = 0;
    for round in 0..ROUNDS {
        let running: Vec<Running> = (1..=WORKERS).map(|w| Running::spawn(&path, w)).collect();
        for mut worker in running {
            // A different moment each time: after some commands, then some microseconds more.
            let after = rng.below(12) as usize;
            let pause = Duration::from_micros(rng.below(3000));
            worker.wait_for_lines(after)?;
            std::thread::sleep(pause);
            let output = worker.kill()?;
            lines += output.len();
            told.learn(&output).map_err(|e| format!("round {round}: {e}"))?;
        }
        audit(&path, &told, round).map_err(|e| format!("after round {round} (seed {seed}): {e}"))?;
    }
    ensure(told.booked.len() >= ROUNDS as usize, || format!("only {} lessons were booked", told.booked.len()))?;
    let store = SqliteRepository::open(&path).map_err(|e| e.to_string())?;
    let unreported = count_unreported(&store, &told)?;
    eprintln!(
        "{ROUNDS} rounds, {} kills, {lines} commands reported, {} lessons booked and {} cancelled as reported, \
         {unreported} commits that a kill cut off from their report, {:.1?}",
        ROUNDS * u64::from(WORKERS),
        told.booked.len(),
        told.cancelled.len(),
        started.elapsed()
    );
    Ok(())
}

/// The teacher's weekly slots: 21 one-hour slots (three a day), so a year ahead holds over
/// a thousand occurrences that never overlap.
fn publish_slots(path: &Path) {
    let engine = Engine::new(SqliteRepository::open(path).expect("a new database"));
    let today = Utc::now().date_naive();
    for day in 0..7u8 {
        for hour in [8, 11, 15] {
            let start_time = NaiveTime::from_hms_opt(hour, 0, 0).unwrap();
            let spec = SlotSpec {
                course_id: None,
                time_zone: "UTC".to_owned(),
                recurrence: SlotRecurrence::Weekly {
                    weekday: Weekday::try_from(day).unwrap(),
                    start_time,
                    end_time: start_time + TimeDelta::hours(1),
                    valid_from: today,
                    valid_until: None,
                },
                active: true,
                rules: Default::default(),
            };
            engine.publish_slot(Actor::Teacher(teacher()), teacher(), spec).expect("publishing a slot");
        }
    }
}

/// Every occurrence the teacher offers from tomorrow to a year ahead.
fn all_occurrences(engine: &Engine<SqliteRepository>) -> Vec<(SlotId, DateTime<Utc>)> {
    let calendar = engine.calendar(Actor::System, teacher()).expect("the teacher's calendar");
    let from = Utc::now() + TimeDelta::days(1);
    let to = from.checked_add_days(Days::new(364)).unwrap();
    calendar
        .slots
        .iter()
        .flat_map(|slot| occurrences(slot, from, to).expect("a year of occurrences").map(|o| (slot.id, o.starts_at)))
        .collect()
}

/// A worker: books and cancels lessons for its students until it is killed, one JSON line per
/// command on stdout. It stops when stdout is closed (the test is gone).
fn worker(arg: &str) {
    let (path, number) = arg.rsplit_once('|').expect("<path>|<worker>");
    let number: u32 = number.parse().expect("a worker number");
    let engine = Engine::new(SqliteRepository::open(path).expect("opening the database"));
    let offered = all_occurrences(&engine);
    let students: Vec<UserId> = (0..STUDENTS).map(|j| student(number, j)).collect();
    // The students' active lessons, learned anew from their calendars.
    let mut active: Vec<Vec<BookingId>> = students
        .iter()
        .map(|s| {
            engine
                .calendar(Actor::System, *s)
                .map(|c| c.holds.iter().map(|h| h.booking_id).collect())
                .unwrap_or_default()
        })
        .collect();
    let mut out = std::io::stdout().lock();
    let mut print = |line: Value| writeln!(out, "{line}").and_then(|()| out.flush()).is_ok();
    if !print(json!({ "ready": true })) {
        return;
    }
    let mut rng = Rng::new(seed());
    let pid = std::process::id();
    for n in 0..1_000_000u64 {
        let s = rng.below(u64::from(STUDENTS)) as usize;
        let who = students[s];
        let key = (rng.below(2) == 0).then(|| format!("w{number}-{pid}-{n}"));
        let request = match &key {
            Some(k) => Actor::Student(who).with_key(k.clone()),
            None => Actor::Student(who).into(),
        };
        let cancel = !active[s].is_empty() && rng.below(5) < 2;
        let (op, result) = if cancel {
            let lesson = active[s][rng.below(active[s].len() as u64) as usize];
            ("cancel", engine.cancel_lesson(request, lesson))
        } else {
            let (slot, starts_at) = offered[rng.below(offered.len() as u64) as usize];
            ("book", engine.book_lesson(request, slot, starts_at, who))
        };
        let line = match &result {
            Ok(receipt) => {
                let lesson = &receipt.value;
                if op == "book" {
                    active[s].push(lesson.id);
                } else {
                    active[s].retain(|id| *id != lesson.id);
                }
                json!({ "op": op, "student": who, "key": key, "lesson": lesson.id, "status": lesson.status })
            }
            Err(e) => json!({ "op": op, "student": who, "key": key, "error": e.code() }),
        };
        if !print(line) {
            return;
        }
    }
}

/// A running worker and the thread reading its lines.
struct Running {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    reader: std::thread::JoinHandle<()>,
}

impl Running {
    fn spawn(path: &Path, number: u32) -> Running {
        let exe = std::env::current_exe().expect("the test binary");
        let mut child = Command::new(exe)
            .args(["--exact", TEST_NAME, "--nocapture", "--test-threads", "1"])
            .env(WORKER_ENV, format!("{}|{number}", path.to_str().expect("a UTF-8 path")))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting a worker");
        let out = BufReader::new(child.stdout.take().unwrap());
        let lines = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&lines);
        // Drained all the time, so a worker never waits on a full pipe: it dies mid-command.
        let reader = std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                shared.lock().unwrap().push(line);
            }
        });
        Running { child, lines, reader }
    }

    /// Waits until the worker is ready and has reported `commands` commands (or 20 s).
    fn wait_for_lines(&mut self, commands: usize) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        // The harness's own lines ("running 1 test") hold no JSON.
        let reported = |lines: &Vec<String>| lines.iter().filter(|l| l.contains('{')).count();
        while reported(&self.lines.lock().unwrap()) < commands + 1 && Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("a worker stopped by itself ({status}): {:?}", self.lines.lock().unwrap()));
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        Ok(())
    }

    /// Kills the worker with SIGKILL; returns the commands it reported (the last line may be
    /// cut short by the kill, and is then left out).
    fn kill(mut self) -> Result<Vec<Value>, String> {
        self.child.kill().map_err(|e| format!("killing a worker: {e}"))?;
        let status = self.child.wait().map_err(|e| e.to_string())?;
        ensure(status.signal() == Some(9), || format!("the worker was not killed mid-run: {status}"))?;
        self.reader.join().map_err(|_| "a reader thread panicked".to_owned())?;
        let lines = self.lines.lock().unwrap();
        Ok(lines
            .iter()
            .filter_map(|l| l.find('{').and_then(|at| serde_json::from_str::<Value>(&l[at..]).ok()))
            .filter(|v| v.get("op").is_some())
            .collect())
    }
}

/// What the workers were told, over all rounds.
#[derive(Default)]
struct Told {
    /// Lessons booked (fresh or replayed), with their student.
    booked: HashMap<BookingId, UserId>,
    /// Lessons whose cancellation a worker saw.
    cancelled: HashSet<BookingId>,
    /// Keyed commands that succeeded: (student, key, lesson).
    keyed: Vec<(UserId, String, BookingId)>,
}

impl Told {
    fn learn(&mut self, lines: &[Value]) -> Result<(), String> {
        for line in lines {
            if let Some(code) = line["error"].as_str() {
                // Refusals are expected (taken occurrences, cancelled lessons); a failure of the
                // store, a record that does not decode, or a panic is not.
                ensure(
                    !matches!(code, "store_error" | "store_unavailable" | "corrupt_record" | "contention" | "internal"),
                    || format!("a worker's command failed: {line}"),
                )?;
                continue;
            }
            let parse = |k: &str| -> Result<uuid::Uuid, String> {
                line[k].as_str().and_then(|s| s.parse().ok()).ok_or(format!("no {k} in {line}"))
            };
            let lesson = BookingId::from_uuid(parse("lesson")?);
            let who = UserId::from_uuid(parse("student")?);
            match line["op"].as_str() {
                Some("book") => {
                    self.booked.insert(lesson, who);
                }
                Some("cancel") => {
                    self.cancelled.insert(lesson);
                }
                _ => return Err(format!("unknown line {line}")),
            }
            if let Some(key) = line["key"].as_str() {
                self.keyed.push((who, key.to_owned(), lesson));
            }
        }
        Ok(())
    }
}

fn is_active(status: LessonStatus) -> bool {
    matches!(status, LessonStatus::Pending | LessonStatus::Confirmed)
}

fn held(calendar: Option<&Arc<Calendar>>, lesson: &Lesson) -> bool {
    calendar.is_some_and(|c| {
        c.holds
            .iter()
            .any(|h| h.booking_id == lesson.id && h.starts_at == lesson.starts_at && h.ends_at == lesson.ends_at)
    })
}

/// Every stored lesson, by id, read through the store (so each one decodes).
fn stored_lessons(path: &Path, store: &SqliteRepository) -> Result<HashMap<BookingId, Arc<Lesson>>, String> {
    let raw = common::raw(path);
    let mut stmt = raw.prepare("SELECT id FROM lessons").map_err(|e| e.to_string())?;
    let ids: Vec<String> =
        stmt.query_map([], |r| r.get(0)).and_then(Iterator::collect).map_err(|e| format!("listing lessons: {e}"))?;
    let mut lessons = HashMap::new();
    for id in ids {
        let id: BookingId = id.parse().map_err(|e| format!("lesson id {id}: {e}"))?;
        let lesson =
            store.load_lesson(id).map_err(|e| format!("lesson {id}: {e}"))?.ok_or("a listed lesson vanished")?;
        lessons.insert(id, lesson);
    }
    Ok(lessons)
}

fn audit(path: &Path, told: &Told, round: u64) -> Result<(), String> {
    let store = SqliteRepository::open(path).map_err(|e| format!("opening after the kills: {e}"))?;
    store.check_integrity().map_err(|e| e.to_string())?;
    let lessons = stored_lessons(path, &store)?;
    let calendars: HashMap<UserId, Option<Arc<Calendar>>> = everyone()
        .into_iter()
        .map(|p| store.load_calendar(p).map(|c| (p, c)).map_err(|e| format!("calendar of {p}: {e}")))
        .collect::<Result<_, _>>()?;

    // All or nothing, lesson by lesson.
    for lesson in lessons.values() {
        let active = is_active(lesson.status);
        ensure(lesson.teacher_id == teacher() && calendars.contains_key(&lesson.student_id), || {
            format!("lesson {} of unknown people", lesson.id)
        })?;
        let by_teacher = held(calendars[&lesson.teacher_id].as_ref(), lesson);
        let by_student = held(calendars[&lesson.student_id].as_ref(), lesson);
        ensure(by_teacher == active && by_student == active, || {
            format!(
                "lesson {} is {:?} but held by its teacher: {by_teacher}, by its student: {by_student}",
                lesson.id, lesson.status
            )
        })?;
        ensure(store.locate_booking(lesson.id).map_err(|e| e.to_string())? == Some(BookingLocation::Lesson), || {
            format!("lesson {} is not in the booking index", lesson.id)
        })?;
    }
    for (owner, calendar) in &calendars {
        let Some(calendar) = calendar else { continue };
        for h in &calendar.holds {
            let lesson =
                lessons.get(&h.booking_id).ok_or_else(|| format!("{owner} holds a lesson never stored: {h:?}"))?;
            ensure(is_active(lesson.status), || format!("{owner} holds the {:?} lesson {}", lesson.status, lesson.id))?;
            ensure(lesson.teacher_id == *owner || lesson.student_id == *owner, || {
                format!("{owner} holds someone else's lesson {}", lesson.id)
            })?;
        }
        for pair in calendar.holds.windows(2) {
            ensure(pair[0].busy_until <= pair[1].busy_from, || format!("{owner}: holds overlap: {pair:?}"))?;
        }
    }

    // The outbox tells the same story, once.
    let mut booked_events: HashMap<BookingId, u32> = HashMap::new();
    let mut cancelled_events: HashMap<BookingId, u32> = HashMap::new();
    for e in store.events_since(0, usize::MAX >> 1).map_err(|e| e.to_string())? {
        match &e.event.kind {
            EventKind::LessonBooked { lesson } | EventKind::LessonRequested { lesson } => {
                *booked_events.entry(lesson.id).or_default() += 1
            }
            EventKind::LessonCancelled { booking_id, .. } => *cancelled_events.entry(*booking_id).or_default() += 1,
            _ => {}
        }
    }
    for (id, lesson) in &lessons {
        let cancelled = u32::from(lesson.status == LessonStatus::Cancelled);
        ensure(booked_events.get(id) == Some(&1), || {
            format!("lesson {id}: {:?} booking events", booked_events.get(id))
        })?;
        ensure(cancelled_events.get(id).copied().unwrap_or(0) == cancelled, || {
            format!("lesson {id} is {:?} with {:?} cancellation events", lesson.status, cancelled_events.get(id))
        })?;
    }
    ensure(booked_events.keys().chain(cancelled_events.keys()).all(|id| lessons.contains_key(id)), || {
        "the outbox names a lesson that is not stored".to_owned()
    })?;

    // Nothing the workers were told is lost.
    for (id, who) in &told.booked {
        let lesson = lessons.get(id).ok_or_else(|| format!("lesson {id}, booked for {who}, is lost"))?;
        ensure(lesson.student_id == *who, || format!("lesson {id} is someone else's"))?;
    }
    for id in &told.cancelled {
        let status = lessons.get(id).map(|l| l.status);
        ensure(status == Some(LessonStatus::Cancelled), || format!("the cancellation of {id} is lost: {status:?}"))?;
    }
    for (who, key, lesson) in &told.keyed {
        let key = RequestKey::new(key.clone()).map_err(|e| e.to_string())?;
        let record = store.load_request(&Actor::Student(*who), &key).map_err(|e| e.to_string())?;
        let recorded = record.as_ref().and_then(|r| match &r.outcome.value {
            booking_core::OutcomeValue::Lesson { lesson } => Some(lesson.id),
            _ => None,
        });
        ensure(recorded == Some(*lesson), || format!("the record of key {key:?} is {record:?}"))?;
    }

    // The store still works: a new lesson lands in all three places.
    let engine = Engine::new(store);
    let me = student(0, 0);
    let free = all_occurrences(&engine).into_iter().find(|(_, at)| {
        !calendars[&teacher()].as_ref().is_some_and(|c| c.holds.iter().any(|h| h.starts_at == *at))
            && !calendars[&me].as_ref().is_some_and(|c| c.holds.iter().any(|h| h.starts_at == *at))
    });
    let (slot, at) = free.ok_or("no free occurrence left")?;
    let lesson = engine
        .book_lesson(Actor::Student(me).with_key(format!("after-round-{round}")), slot, at, me)
        .map_err(|e| format!("booking after the reopen: {e}"))?
        .value;
    let repo = engine.repository();
    ensure(held(repo.load_calendar(teacher()).unwrap().as_ref(), &lesson), || "not in the teacher's calendar".into())?;
    ensure(held(repo.load_calendar(me).unwrap().as_ref(), &lesson), || "not in the student's calendar".into())?;
    ensure(repo.load_lesson(lesson.id).unwrap().is_some(), || "the lesson is not stored".into())
}

/// Commits no worker reported: the kill came between the commit and the report.
fn count_unreported(store: &SqliteRepository, told: &Told) -> Result<usize, String> {
    let mut n = 0;
    for e in store.events_since(0, usize::MAX >> 1).map_err(|e| e.to_string())? {
        match &e.event.kind {
            EventKind::LessonBooked { lesson } if lesson.student_id != student(0, 0) => {
                n += usize::from(!told.booked.contains_key(&lesson.id))
            }
            EventKind::LessonCancelled { booking_id, .. } => n += usize::from(!told.cancelled.contains(booking_id)),
            _ => {}
        }
    }
    Ok(n)
}
