//! Damaged or foreign data: typed errors naming the record, never a panic.

mod common;

use booking_core::{
    Actor, BookingError, Engine, ManualClock, NewGroupSession, Repository, RequestKey, SessionId, StoreError, UserId,
    availability::SlotRecurrence, lesson::SlotSpec,
};
use booking_sqlite::{SCHEMA_VERSION, SqliteRepository};
use chrono::{NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use std::path::Path;

fn user(kind: u128, n: u128) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128((kind << 64) | n))
}

/// An engine on a new file at `path`, with a session booked by one student under a key.
fn booked(path: &Path) -> (Engine<SqliteRepository>, SessionId) {
    let now = Utc.with_ymd_and_hms(2030, 3, 4, 9, 0, 0).unwrap();
    let engine = Engine::new(SqliteRepository::open(path).unwrap()).with_clock(ManualClock::new(now));
    let teacher = user(1, 1);
    let session = engine
        .create_session(
            Actor::Teacher(teacher),
            NewGroupSession {
                teacher_id: teacher,
                course_id: None,
                title: "Tampered".into(),
                starts_at: now + TimeDelta::days(1),
                time_zone: "Europe/Berlin".into(),
                duration_minutes: 60,
                meeting_link: "https://meet.example.com/t".into(),
                capacity: 2,
                waitlist_enabled: true,
                waitlist_mode: Default::default(),
                rules: Default::default(),
            },
        )
        .unwrap()
        .value;
    engine.book_seat(Actor::Student(user(2, 1)).with_key("k1"), session.id, user(2, 1)).unwrap();
    (engine, session.id)
}

/// Runs `sql` on the file behind the store's back.
fn tamper(path: &Path, sql: &str) {
    let changed = common::raw(path).execute(sql, []).unwrap();
    assert_eq!(changed, 1, "{sql} changed {changed} rows");
}

/// Expects a `Corrupt` error naming `record` from `result`.
fn expect_corrupt<T: std::fmt::Debug>(result: Result<T, StoreError>, record: &str) -> String {
    match result {
        Err(StoreError::Corrupt { record: r, detail }) if r == record => detail,
        other => panic!("expected a corrupt {record}, got {other:?}"),
    }
}

#[test]
fn corrupt_session_bodies_are_typed_errors() {
    let cases = [
        ("broken JSON", "UPDATE sessions SET body = substr(body, 1, 40)"),
        ("unknown status", "UPDATE sessions SET body = replace(body, '\"confirmed\"', '\"exploded\"')"),
        ("bad time zone", "UPDATE sessions SET body = replace(body, 'Europe/Berlin', 'Mars/Olympus_Mons')"),
        ("bad meeting link", "UPDATE sessions SET body = replace(body, 'https://meet', 'javascript://meet')"),
        ("version mismatch", "UPDATE sessions SET version = 7"),
        ("version as text", "UPDATE sessions SET version = 'two'"),
        ("body as a blob", "UPDATE sessions SET body = x'00ff'"),
        ("another session's body", "UPDATE sessions SET id = '00000000-0000-0000-0000-0000000000ff'"),
    ];
    for (what, sql) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let (engine, mut session) = booked(&path);
        tamper(&path, sql);
        if what == "another session's body" {
            session = SessionId::from_uuid(uuid::Uuid::from_u128(0xff));
        }
        let detail = expect_corrupt(engine.repository().load_session(session), &format!("sessions {session}"));
        assert!(!detail.is_empty(), "{what}");
        // The engine reports it with its stable code, for reads and for commands.
        let student = user(2, 2);
        for result in [
            engine.session(Actor::System, session).map(drop),
            engine.book_seat(Actor::Student(student), session, student).map(drop),
        ] {
            match result {
                Err(e @ BookingError::CorruptRecord { .. }) => assert_eq!(e.code().as_str(), "corrupt_record"),
                other => panic!("{what}: expected corrupt_record, got {other:?}"),
            }
        }
    }
}

#[test]
fn corrupt_records_of_every_table_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let (engine, session) = booked(&path);
    let store = engine.repository();

    // A request record: a retry with the key reports it instead of replaying garbage.
    tamper(&path, "UPDATE requests SET body = '{\"actor\": 1}'");
    let key = RequestKey::new("k1").unwrap();
    expect_corrupt(
        store.load_request(&Actor::Student(user(2, 1)), &key),
        &format!("requests student:{} \"k1\"", user(2, 1)),
    );
    let retry = engine.book_seat(Actor::Student(user(2, 1)).with_key("k1"), session, user(2, 1));
    assert_eq!(retry.unwrap_err().code().as_str(), "corrupt_record");

    // The booking index.
    let booking = store.load_session(session).unwrap().unwrap().bookings[0].id;
    tamper(&path, "UPDATE booking_index SET kind = 'concert'");
    expect_corrupt(store.locate_booking(booking), &format!("booking_index {booking}"));
    assert_eq!(
        engine.cancel_booking(Actor::Student(user(2, 1)), booking).unwrap_err().code().as_str(),
        "corrupt_record"
    );
    tamper(&path, "UPDATE booking_index SET kind = 'session', session_id = 'not a uuid'");
    expect_corrupt(store.locate_booking(booking), &format!("booking_index {booking}"));

    // Host data.
    let (course, teacher) = (booking_core::CourseId::from_uuid(uuid::Uuid::from_u128(9)), user(1, 1));
    store.set_course_approval(course, Some(true)).unwrap();
    tamper(&path, "UPDATE course_approval SET requires_approval = 5");
    expect_corrupt(store.approval_settings(course, teacher), &format!("course_approval {course}"));

    // A calendar and a lesson.
    let slot = engine
        .publish_slot(
            Actor::Teacher(teacher),
            teacher,
            SlotSpec {
                course_id: None,
                time_zone: "Europe/Berlin".into(),
                recurrence: SlotRecurrence::Weekly {
                    weekday: Weekday::Tue,
                    start_time: NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
                    end_time: NaiveTime::from_hms_opt(13, 0, 0).unwrap(),
                    valid_from: NaiveDate::from_ymd_opt(2030, 3, 1).unwrap(),
                    valid_until: None,
                },
                active: true,
                rules: Default::default(),
            },
        )
        .unwrap()
        .value;
    // After the session (09:00 to 10:00 UTC), which the teacher's calendar now holds.
    let starts_at = Utc.with_ymd_and_hms(2030, 3, 5, 11, 0, 0).unwrap();
    let lesson = engine.book_lesson(Actor::Student(user(2, 1)), slot.id, starts_at, user(2, 1)).unwrap().value;
    tamper(
        &path,
        &format!("UPDATE lessons SET body = replace(body, '\"confirmed\"', '\"maybe\"') WHERE id = '{}'", lesson.id),
    );
    expect_corrupt(store.load_lesson(lesson.id), &format!("lessons {}", lesson.id));
    tamper(&path, &format!("UPDATE calendars SET body = '[]' WHERE id = '{teacher}'"));
    expect_corrupt(store.load_calendar(teacher), &format!("calendars {teacher}"));
    assert_eq!(engine.slot(slot.id).unwrap_err().code().as_str(), "corrupt_record");

    // The outbox.
    tamper(&path, "UPDATE events SET body = 'null' WHERE id = 1");
    match store.events_since(0, 10) {
        Err(BookingError::CorruptRecord { record, .. }) => assert_eq!(record, "events 1"),
        other => panic!("expected a corrupt event, got {other:?}"),
    }
}

#[test]
fn a_newer_schema_is_refused_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    booked(&path);
    common::raw(&path).pragma_update(None, "user_version", 999).unwrap();
    match SqliteRepository::open(&path) {
        Err(e @ BookingError::CorruptRecord { .. }) => {
            assert_eq!(e.code().as_str(), "corrupt_record");
            let message = e.to_string();
            assert!(message.contains("999") && message.contains("newer"), "{message}");
            assert!(message.contains(&format!("version {SCHEMA_VERSION}")), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Nothing was changed: the version is still the newer one.
    let version: i64 = common::raw(&path).query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 999);
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "these are my notes, not a database ".repeat(200)).unwrap();
    let e = SqliteRepository::open(&path).unwrap_err();
    assert_eq!(e.code().as_str(), "corrupt_record", "{e}");
    // A directory cannot be opened at all.
    let e = SqliteRepository::open(dir.path()).unwrap_err();
    assert_eq!(e.code().as_str(), "store_error", "{e}");
}
