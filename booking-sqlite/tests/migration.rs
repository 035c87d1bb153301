//! A file written by the previous release (schema version 1, bodies without the fields added
//! since) opens, is migrated to the current schema, and every record in it still loads and
//! takes commands.

mod common;

use booking_core::{
    Actor, BookingId, Engine, GroupSession, ManualClock, Repository, SeatStatus, SessionId, UserId, WaitlistMode,
    index::{IndexEntry, ReadIndex, sort_bound},
    lesson::{Lesson, LessonStatus},
    repository::{IndexRange, Indexed},
};
use booking_sqlite::{SCHEMA_VERSION, SqliteRepository};
use chrono::{TimeZone, Utc};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The database of booking-sqlite 0.1.0 (see the fixture's header).
const V1_DUMP: &str = include_str!("fixtures/schema-v1.sql");

fn uuid(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}

fn user(kind: u128, n: u128) -> UserId {
    UserId::from_uuid(uuid((kind << 64) | n))
}

const SESSION: u128 = 1;
const CONFIRMED_SEAT: u128 = 2;
const WAITLISTED_SEAT: u128 = 3;
const LESSON: u128 = 5;

/// Writes the version 1 database at `path`.
fn write_v1(path: &Path) {
    let conn = common::raw(path);
    conn.execute_batch(V1_DUMP).expect("loading the version 1 dump");
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 1);
}

fn columns(path: &Path, table: &str) -> Vec<String> {
    let conn = common::raw(path);
    let mut stmt = conn.prepare(&format!("SELECT name FROM pragma_table_info('{table}')")).unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

#[test]
fn a_version_1_file_is_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    write_v1(&path);
    assert!(!columns(&path, "sessions").contains(&"offer_deadline".to_owned()));

    let store = SqliteRepository::open(&path).expect("opening a version 1 file");
    let version: i64 = common::raw(&path).query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 4);
    assert!(columns(&path, "sessions").contains(&"offer_deadline".to_owned()));
    let deadlines: Vec<Option<String>> = common::raw(&path)
        .prepare("SELECT offer_deadline FROM sessions")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(deadlines, [None], "a session of version 1 has no offer");
    assert!(store.sessions_with_offers_due(Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap()).unwrap().is_empty());
    drop(store);

    // Opening again (already migrated) changes nothing.
    SqliteRepository::open(&path).expect("reopening");
    SqliteRepository::open(&path).expect("reopening");
    store_check_integrity(&path);
}

fn store_check_integrity(path: &Path) {
    SqliteRepository::open(path).unwrap().check_integrity().expect("a sound file");
}

#[test]
fn bodies_written_by_version_1_still_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    write_v1(&path);
    let store = SqliteRepository::open(&path).unwrap();

    let session = store.load_session(SessionId::from_uuid(uuid(SESSION))).unwrap().expect("the session");
    assert_eq!(session.title, "Written by 0.1");
    assert_eq!(session.waitlist_mode, WaitlistMode::Promote);
    assert_eq!(session.rules, Default::default());
    assert_eq!(session.next_offer_deadline(), None);
    assert!(session.bookings.iter().all(|b| b.seats == 1 && b.offer_expires_at.is_none()));
    assert_eq!(
        session.bookings.iter().map(|b| b.status).collect::<Vec<_>>(),
        [SeatStatus::Confirmed, SeatStatus::Waitlisted]
    );

    let lesson = store.load_lesson(BookingId::from_uuid(uuid(LESSON))).unwrap().expect("the lesson");
    assert_eq!(lesson.status, LessonStatus::Confirmed);
    assert_eq!(lesson.rules, Default::default());

    let teacher = store.load_calendar(user(1, 1)).unwrap().expect("the teacher's calendar");
    assert_eq!(teacher.slots.len(), 1);
    assert_eq!(teacher.slots[0].rules, Default::default());
    assert_eq!(teacher.holds.len(), 1);
    let student = store.load_calendar(user(2, 1)).unwrap().expect("the student's calendar");
    assert_eq!(student.holds.len(), 1);
    // The migration completed the holds from the lesson, and bumped the calendars' versions
    // (the teacher's once more when the session, not ended yet, was put in it).
    let held = u64::from(session.ends_at() > Utc::now());
    assert_eq!((teacher.version, student.version), (3 + held, 2));
    for hold in [teacher.holds[0], student.holds[0]] {
        assert_eq!(hold.booking_id, lesson.id);
        assert_eq!(hold.teacher_id, user(1, 1));
        assert_eq!(hold.course_id, lesson.course_id);
        assert_eq!((hold.starts_at, hold.ends_at), (lesson.starts_at, lesson.ends_at));
        assert_eq!((hold.busy_from, hold.busy_until), (lesson.starts_at, lesson.ends_at));
    }
    assert!(student.sessions.is_empty());
}

/// A copy of the fixture's session, as `id` of `teacher`, starting at `starts_at`, maybe cancelled.
fn add_v1_session(path: &Path, id: u128, teacher: UserId, starts_at: &str, cancelled: bool) {
    let id = uuid(id).to_string();
    let cancelled_at = if cancelled { "'2030-03-04T10:00:00Z'" } else { "NULL" };
    common::raw(path)
        .execute(
            &format!(
                "INSERT INTO sessions (id, version, body, teacher_id, course_id, starts_at) \
                 SELECT ?1, version, json_set(body, '$.id', ?1, '$.teacher_id', ?2, '$.starts_at', ?3, \
                 '$.cancelled_at', {cancelled_at}, '$.bookings', json_array()), ?2, course_id, ?3 FROM sessions \
                 WHERE id = ?4"
            ),
            rusqlite::params![id, teacher.to_string(), starts_at, uuid(SESSION).to_string()],
        )
        .unwrap();
}

#[test]
fn upcoming_group_sessions_are_put_in_their_teachers_calendars() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    write_v1(&path);
    // A teacher without a calendar: an upcoming session, a cancelled one, one long ended.
    add_v1_session(&path, 0xa1, user(1, 2), "2999-01-01T10:00:00Z", false);
    add_v1_session(&path, 0xa2, user(1, 2), "2999-01-01T08:00:00Z", true);
    add_v1_session(&path, 0xa3, user(1, 2), "2020-01-01T10:00:00Z", false);
    // Another teacher with only an ended session.
    add_v1_session(&path, 0xa4, user(1, 3), "2020-01-01T10:00:00Z", false);
    let store = SqliteRepository::open(&path).unwrap();

    let other = store.load_calendar(user(1, 2)).unwrap().expect("a calendar for the other teacher");
    assert_eq!(other.sessions.len(), 1);
    let held = other.sessions[0];
    assert_eq!(held.session_id, SessionId::from_uuid(uuid(0xa1)));
    assert_eq!(held.starts_at, Utc.with_ymd_and_hms(2999, 1, 1, 10, 0, 0).unwrap());
    assert_eq!(held.ends_at, Utc.with_ymd_and_hms(2999, 1, 1, 11, 0, 0).unwrap());
    assert!(other.overlapping_session(held.starts_at, held.ends_at).is_some());
    assert!(other.slots.is_empty() && other.holds.is_empty());
    assert!(store.load_calendar(user(1, 3)).unwrap().is_none(), "no calendar for ended sessions");

    // The fixture's session is held by its teacher while it has not ended.
    let teacher = store.load_calendar(user(1, 1)).unwrap().unwrap();
    let session = store.load_session(SessionId::from_uuid(uuid(SESSION))).unwrap().unwrap();
    if session.ends_at() > Utc::now() {
        assert_eq!(teacher.sessions.iter().map(|s| s.session_id).collect::<Vec<_>>(), [session.id]);
        assert_eq!(
            (teacher.sessions[0].starts_at, teacher.sessions[0].ends_at),
            (session.starts_at, session.ends_at())
        );
    } else {
        assert!(teacher.sessions.is_empty());
    }
}

#[test]
fn records_written_by_version_1_take_commands() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    write_v1(&path);
    let now = Utc.with_ymd_and_hms(2030, 3, 4, 10, 0, 0).unwrap();
    let engine = Engine::new(SqliteRepository::open(&path).unwrap()).with_clock(ManualClock::new(now));

    // The confirmed student cancels; the waitlisted one is promoted, as before.
    let first = BookingId::from_uuid(uuid(CONFIRMED_SEAT));
    let receipt = engine.cancel_booking(Actor::Student(user(2, 1)), first).expect("cancelling an old booking");
    let kinds: Vec<_> = receipt.events.iter().map(|e| e.kind.name()).collect();
    assert_eq!(kinds, ["booking_cancelled", "booking_promoted"]);
    let second = engine.seat_booking(Actor::System, BookingId::from_uuid(uuid(WAITLISTED_SEAT))).unwrap();
    assert_eq!(second.status, SeatStatus::Confirmed);
    // The cancelled booking left the session for the history.
    let session = engine.session(Actor::System, SessionId::from_uuid(uuid(SESSION))).unwrap();
    assert_eq!(session.bookings.iter().map(|b| b.id).collect::<Vec<_>>(), [second.id]);
    assert_eq!(engine.seat_booking(Actor::System, first).unwrap().status, SeatStatus::Cancelled);

    // The old lesson is cancelled: both calendars (old bodies) are rewritten.
    let lesson = engine
        .cancel_lesson(Actor::Student(user(2, 1)), BookingId::from_uuid(uuid(LESSON)))
        .expect("cancelling an old lesson");
    assert_eq!(lesson.value.status, LessonStatus::Cancelled);
    assert!(engine.calendar(Actor::System, user(2, 1)).unwrap().holds.is_empty());
    assert!(engine.calendar(Actor::System, user(1, 1)).unwrap().holds.is_empty());

    // The outbox continues after the old events.
    let outbox = engine.repository().events_since(0, 100).unwrap();
    assert_eq!(outbox.first().map(|e| e.event.kind.name()), Some("session_created"));
    assert!(outbox.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(outbox.len(), 5 + 3);
}

/// Migration 3 moves the finished bookings that session bodies still hold to
/// `finished_bookings`, bumping the session's version; they stay readable by id, and commands
/// on them are refused as before.
#[test]
fn finished_bookings_move_out_of_stored_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    write_v1(&path);
    let gone = uuid(0x99).to_string();
    let session_id = uuid(SESSION).to_string();
    let raw = common::raw(&path);
    raw.execute(
        "UPDATE sessions SET body = json_set(body, '$.bookings', json_array(json_object('id', ?1, 'session_id', ?2, \
         'student_id', ?3, 'status', 'cancelled', 'booked_at', '2030-03-04T08:00:00Z', 'updated_at', \
         '2030-03-04T08:30:00Z'), json_extract(body, '$.bookings[0]'), json_extract(body, '$.bookings[1]'))) WHERE id = ?2",
        rusqlite::params![gone, session_id, user(2, 7).to_string()],
    )
    .unwrap();
    raw.execute(
        "INSERT INTO booking_index (booking_id, kind, session_id) VALUES (?1, 'session', ?2)",
        [&gone, &session_id],
    )
    .unwrap();
    drop(raw);

    let now = Utc.with_ymd_and_hms(2030, 3, 4, 10, 0, 0).unwrap();
    let engine = Engine::new(SqliteRepository::open(&path).unwrap()).with_clock(ManualClock::new(now));
    let session = engine.session(Actor::System, SessionId::from_uuid(uuid(SESSION))).unwrap();
    assert_eq!(session.version, 4, "the migration bumps the version of a session it changes");
    assert_eq!(
        session.bookings.iter().map(|b| (b.id.as_uuid(), b.status)).collect::<Vec<_>>(),
        [(uuid(CONFIRMED_SEAT), SeatStatus::Confirmed), (uuid(WAITLISTED_SEAT), SeatStatus::Waitlisted)]
    );
    let id = BookingId::from_uuid(uuid(0x99));
    let finished = engine.repository().load_finished_booking(id).unwrap().expect("in the history");
    assert_eq!((finished.status, finished.seats, finished.student_id), (SeatStatus::Cancelled, 1, user(2, 7)));
    assert_eq!(engine.seat_booking(Actor::System, id).unwrap(), finished);
    let refused = engine.cancel_booking(Actor::Student(user(2, 7)), id).unwrap_err();
    assert_eq!(refused.code().as_str(), "invalid_transition");
    let columns: (String, String, String) = common::raw(&path)
        .query_row(
            "SELECT session_id, status, finished_at FROM finished_bookings WHERE booking_id = ?1",
            [&gone],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(columns, (session_id, "cancelled".to_owned(), "2030-03-04T08:30:00Z".to_owned()));
    store_check_integrity(&path);
}

/// The `read_index` rows of a file, as `(kind, aggregate_id, "index", "partition", sort)`, sorted.
fn read_index_rows(path: &Path) -> Vec<[String; 5]> {
    common::raw(path)
        .prepare("SELECT kind, aggregate_id, \"index\", \"partition\", sort FROM read_index ORDER BY 1, 2, 3, 4, 5")
        .unwrap()
        .query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The core's read-index entries of every session and lesson body in a file, in the form and
/// order of [`read_index_rows`].
fn core_entries(path: &Path) -> Vec<[String; 5]> {
    let conn = common::raw(path);
    let mut rows = Vec::new();
    for (table, kind) in [("sessions", "session"), ("lessons", "lesson")] {
        let bodies: Vec<(String, String)> = conn
            .prepare(&format!("SELECT id, body FROM {table}"))
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (id, body) in bodies {
            let Ok(entries) = (match kind {
                "session" => serde_json::from_str::<GroupSession>(&body).map(|s| IndexEntry::of_session(&s)),
                _ => serde_json::from_str::<Lesson>(&body).map(|l| IndexEntry::of_lesson(&l)),
            }) else {
                continue;
            };
            rows.extend(
                entries
                    .into_iter()
                    .map(|e| [kind.to_owned(), id.clone(), e.index.as_str().to_owned(), e.partition, e.sort]),
            );
        }
    }
    rows.sort();
    rows
}

/// Migration 4 fills the read index of a file at schema version 3 from the stored bodies: the
/// rows it writes are the core's entries of each body, the same rows the commits had written,
/// and a body that does not decode gets none instead of failing the migration.
#[test]
fn a_version_3_file_gets_its_read_index_filled() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let factory = || {
        let mut paths = paths.lock().unwrap();
        let path = dir.path().join(format!("store-{}.db", paths.len()));
        paths.push(path.clone());
        Arc::new(SqliteRepository::open(path).unwrap()) as Arc<dyn Repository>
    };
    let checks = ["read_queries_list_what_is_stored", "lesson_transitions", "group_offer_cycle"];
    let report = booking_core::conformance::run_checks(&factory, &checks);
    assert!(report.passed(), "{report}");

    let mut filled = 0;
    for path in paths.into_inner().unwrap() {
        let written = read_index_rows(&path);
        assert_eq!(written, core_entries(&path), "the commits wrote the core's entries");
        // Back to version 3: the read index is all migration 4 adds.
        let raw = common::raw(&path);
        raw.execute_batch(
            "DROP TABLE read_index; PRAGMA user_version = 3; \
             INSERT INTO sessions (id, version, body, teacher_id, starts_at) \
             VALUES ('00000000-0000-0000-0000-0000000000d1', 1, 'not json', 'x', '2030-01-01T00:00:00Z');",
        )
        .unwrap();
        drop(raw);

        let store = SqliteRepository::open(&path).expect("migrating a version 3 file");
        let version: i64 = common::raw(&path).query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, 4);
        assert_eq!(read_index_rows(&path), written, "the migration writes what the commits wrote");
        filled += written.len();
        drop(store);
    }
    assert!(filled > 50, "only {filled} read-index rows were filled");
}

/// The sessions and lessons of a version 1 file are listed in the read indexes once migrated.
#[test]
fn a_version_1_file_gets_its_read_index_filled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    write_v1(&path);
    let store = SqliteRepository::open(&path).unwrap();
    let rows = read_index_rows(&path);
    assert_eq!(rows, core_entries(&path));
    let kinds: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(kinds, ["lesson", "session"].into());

    let range = IndexRange {
        index: ReadIndex::TeacherAgenda,
        partition: user(1, 1).to_string(),
        after: sort_bound(Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap()),
        before: sort_bound(Utc.with_ymd_and_hms(2999, 12, 31, 0, 0, 0).unwrap()),
        limit: 10,
    };
    let listed: Vec<uuid::Uuid> = store
        .read_index(&range)
        .unwrap()
        .into_iter()
        .map(|hit| match hit.aggregate {
            Indexed::Session(s) => s.id.as_uuid(),
            Indexed::Lesson(l) => l.id.as_uuid(),
        })
        .collect();
    let mut expected = vec![uuid(SESSION), uuid(LESSON)];
    expected
        .sort_by_key(|id| rows.iter().find(|r| r[1] == id.to_string() && r[2] == "teacher_agenda").unwrap()[4].clone());
    assert_eq!(listed, expected, "the teacher's agenda lists the old session and lesson");
}
