//! The command sequences of the `commands` target, through an `Engine` over the real SQLite
//! store (`booking-sqlite`, a fresh database file per input, on tmpfs when there is one), with
//! the same invariant checks after every step (see `shared/commands.rs`), and at the end of
//! each input the store's own:
//!
//! - the outbox holds exactly the events of the commands that changed something, in the order
//!   they were decided (nothing of a refused command, a replay or a lost commit, nothing twice);
//! - the copies of body fields in the `sessions` and `lessons` rows (teacher, student, start,
//!   status, course) agree with the bodies, and every stored lesson and seat booking is in
//!   `booking_index`;
//! - `PRAGMA integrity_check` passes.
#![no_main]

#[path = "shared/commands.rs"]
mod harness;

use booking_core::{CourseId, Event, GroupSession, UserId, lesson::Lesson, repository::StoreWrapper};
use booking_sqlite::{SqliteOptions, SqliteRepository, Synchronous};
use chrono::{DateTime, SecondsFormat, Utc};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

/// The SQLite store in a temporary directory, removed with it.
struct SqliteStore {
    store: SqliteRepository,
    /// A connection of the target's own, for its checks (a `Mutex` makes the store `Sync`).
    raw: Mutex<rusqlite::Connection>,
    _dir: tempfile::TempDir,
}

fn scratch() -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() { shm } else { std::env::temp_dir() }
}

/// The bytes of a freshly migrated, empty database, made once per process: each input starts
/// from a copy of them, which costs a file write instead of the migrations. (Kept in memory, so
/// that no template file outlives the process.)
fn template() -> &'static [u8] {
    static TEMPLATE: OnceLock<Vec<u8>> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = tempfile::Builder::new().prefix("booking-fuzz-template-").tempdir_in(scratch()).expect("a directory");
        let path = dir.path().join("empty.db");
        let store = SqliteRepository::open(&path).expect("creating the template database");
        store.check_integrity().expect("a sound template");
        // Closing the last connection checkpoints the WAL into the file and removes the WAL.
        drop(store);
        std::fs::read(&path).expect("reading the template database")
    })
}

impl SqliteStore {
    fn new() -> Self {
        let dir =
            tempfile::Builder::new().prefix("booking-fuzz-").tempdir_in(scratch()).expect("a temporary directory");
        let path = dir.path().join("fuzz.db");
        std::fs::write(&path, template()).expect("writing a copy of the template database");
        // On tmpfs durability is moot; NORMAL still exercises WAL commits and checkpoints. One
        // thread calls the store: one idle reader connection is enough.
        let options = SqliteOptions::default().synchronous(Synchronous::Normal).readers(1);
        let store = SqliteRepository::open_with(&path, options).expect("opening a copy of the template");
        let raw = Mutex::new(rusqlite::Connection::open(&path).expect("a raw connection to the database"));
        Self { store, raw, _dir: dir }
    }

    /// The copies of body fields in the `sessions` and `lessons` rows agree with the bodies.
    fn check_columns(&self) {
        let at = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Micros, true);
        let raw = self.raw.lock().unwrap();
        let mut stmt = raw
            .prepare("SELECT teacher_id, student_id, starts_at, status, body FROM lessons")
            .expect("reading lessons");
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?)))
            .expect("reading lessons");
        for row in rows {
            let (teacher, student, starts_at, status, body): (String, String, String, String, String) =
                row.expect("a lesson row");
            let l: Lesson = serde_json::from_str(&body).expect("a lesson body");
            let columns = (teacher, student, starts_at, status);
            let expected =
                (l.teacher_id.to_string(), l.student_id.to_string(), at(l.starts_at), l.status.as_str().to_owned());
            assert_eq!(columns, expected, "the columns of lesson {} disagree with its body", l.id);
        }
        let mut stmt = raw
            .prepare("SELECT teacher_id, course_id, starts_at, offer_deadline, body FROM sessions")
            .expect("reading sessions");
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?)))
            .expect("reading sessions");
        for row in rows {
            let (teacher, course, starts_at, deadline, body): (String, Option<String>, String, Option<String>, String) =
                row.expect("a session row");
            let s: GroupSession = serde_json::from_str(&body).expect("a session body");
            let columns = (teacher, course, starts_at, deadline);
            let expected = (
                s.teacher_id.to_string(),
                s.course_id.map(|c| c.to_string()),
                at(s.starts_at),
                s.next_offer_deadline().map(at),
            );
            assert_eq!(columns, expected, "the columns of session {} disagree with its body", s.id);
        }
    }

    fn count(&self, sql: &str) -> usize {
        let n: i64 = self.raw.lock().unwrap().query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"));
        usize::try_from(n).expect("a count")
    }
}

impl StoreWrapper for SqliteStore {
    type Inner = SqliteRepository;

    fn inner(&self) -> &SqliteRepository {
        &self.store
    }
}

impl harness::Store for SqliteStore {
    fn aggregate_count(&self) -> usize {
        self.count("SELECT (SELECT count(*) FROM sessions) + (SELECT count(*) FROM calendars) + (SELECT count(*) FROM lessons)")
    }

    fn enroll(&self, student: UserId, course: CourseId, enrolled: bool) {
        if enrolled {
            self.store.enroll(student, course).expect("enrolling");
        } else {
            self.store.unenroll(student, course).expect("unenrolling");
        }
    }

    fn set_course_approval(&self, course: CourseId, setting: Option<bool>) {
        self.store.set_course_approval(course, setting).expect("setting a course's approval");
    }

    fn set_teacher_approval(&self, teacher: UserId, course: CourseId, setting: Option<bool>) {
        self.store.set_teacher_approval(teacher, course, setting).expect("setting a teacher's approval");
    }

    fn check_end(&self, committed: &[Event]) {
        let outbox: Vec<Event> = self
            .store
            .events_since(0, committed.len() + 10)
            .expect("reading the outbox")
            .into_iter()
            .map(|e| e.event)
            .collect();
        assert_eq!(
            outbox.len(),
            committed.len(),
            "the outbox has {} events, the commands made {}",
            outbox.len(),
            committed.len()
        );
        for (i, (stored, decided)) in outbox.iter().zip(committed).enumerate() {
            assert_eq!(stored, decided, "outbox event {i} differs from what was decided");
        }
        self.check_columns();
        let unindexed = self.count(
            "SELECT (SELECT count(*) FROM lessons WHERE id NOT IN (SELECT booking_id FROM booking_index WHERE kind = 'lesson')) \
             + (SELECT count(*) FROM sessions AS s, json_each(s.body, '$.bookings') AS b WHERE json_extract(b.value, '$.id') \
                NOT IN (SELECT booking_id FROM booking_index WHERE kind = 'session' AND session_id = s.id))",
        );
        assert_eq!(unindexed, 0, "stored bookings missing from booking_index");
        self.store.check_integrity().expect("PRAGMA integrity_check");
    }
}

fuzz_target!(|ops: Vec<harness::Op>| harness::run(SqliteStore::new(), &ops));
