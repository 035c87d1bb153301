//! Rows changed behind the store's back are reported, never trusted or panicked on; a
//! database migrated by newer code is refused. Needs `BOOKING_PG_URL`.

mod common;

use booking_core::{
    Actor, BookingError, Engine, NewGroupSession, Repository, SlotId, UserId, availability::SlotRecurrence,
    lesson::SlotSpec,
};
use booking_postgres::{OpenError, PgOptions, SCHEMA_VERSION};
use chrono::{NaiveTime, TimeDelta, Utc, Weekday};

fn user(n: u128) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128(n))
}

fn session(teacher: UserId) -> NewGroupSession {
    NewGroupSession {
        teacher_id: teacher,
        course_id: None,
        title: "Tampered".into(),
        starts_at: Utc::now() + TimeDelta::days(3),
        time_zone: "Europe/Berlin".into(),
        duration_minutes: 60,
        meeting_link: "https://meet.example.com/t".into(),
        capacity: 3,
        waitlist_enabled: true,
        waitlist_mode: Default::default(),
        rules: Default::default(),
    }
}

/// Runs `sql` in the test store's schema, as an operator with psql would.
fn tamper(test: &common::TestStore, sql: &str) {
    let mut admin = common::admin_client();
    admin.batch_execute(&format!("SET search_path TO {}; {sql}", test.guard.name)).expect("tampering");
}

/// An engine over a store that has not read anything yet, as in another process (a store
/// that already holds a version in its snapshot cache does not re-read that version).
fn reader(test: &common::TestStore) -> Engine<common::PgStore> {
    Engine::new(common::options(&test.guard.name).open().expect("opening a reader"))
}

fn expect_corrupt<T: std::fmt::Debug>(what: &str, result: Result<T, BookingError>) {
    match result {
        Err(e) if e.code().as_str() == "corrupt_record" => {}
        other => panic!("{what}: expected corrupt_record, got {other:?}"),
    }
}

#[test]
fn a_session_body_that_does_not_decode_is_corrupt_record() {
    let test = common::test_store();
    let teacher = user(1);
    let engine = Engine::new(test.store.clone());
    let id = engine.create_session(Actor::Teacher(teacher), session(teacher)).unwrap().value.id;
    for body in [r#"{"id": "not a session"}"#, r#""a string""#, "[]", "null"] {
        tamper(&test, &format!("UPDATE sessions SET body = '{body}'::jsonb"));
        let engine = reader(&test);
        expect_corrupt(&format!("loading {body}"), engine.session(Actor::System, id));
        expect_corrupt(&format!("booking on {body}"), engine.book_seat(Actor::Student(user(2)), id, user(2)));
    }
}

#[test]
fn a_row_whose_version_or_id_disagrees_with_its_body_is_corrupt_record() {
    let test = common::test_store();
    let teacher = user(1);
    let engine = Engine::new(test.store.clone());
    let id = engine.create_session(Actor::Teacher(teacher), session(teacher)).unwrap().value.id;
    tamper(&test, "UPDATE sessions SET version = version + 4");
    expect_corrupt("version ahead of the body", engine.session(Actor::System, id));
    // Past a CHECK constraint too: the store does not rely on the schema's constraints.
    tamper(&test, "ALTER TABLE sessions DROP CONSTRAINT sessions_version_check; UPDATE sessions SET version = -1");
    expect_corrupt("negative version", engine.session(Actor::System, id));
    tamper(&test, "UPDATE sessions SET version = 1");
    assert!(engine.session(Actor::System, id).is_ok(), "the repaired row reads again");
    let other = engine.create_session(Actor::Teacher(teacher), session(teacher)).unwrap().value.id;
    tamper(
        &test,
        &format!("UPDATE sessions SET body = (SELECT body FROM sessions WHERE id = '{other}') WHERE id = '{id}'"),
    );
    expect_corrupt("another session's body", reader(&test).session(Actor::System, id));
}

#[test]
fn a_tampered_request_record_or_calendar_is_corrupt_record() {
    let test = common::test_store();
    let (teacher, student) = (user(1), user(2));
    let engine = Engine::new(test.store.clone());
    let id = engine.create_session(Actor::Teacher(teacher), session(teacher)).unwrap().value.id;
    let request = || Actor::Student(student).with_key("k-1");
    engine.book_seat(request(), id, student).unwrap();
    tamper(&test, r#"UPDATE requests SET body = jsonb_set(body, '{outcome}', '"garbage"')"#);
    expect_corrupt("replaying a tampered record", engine.book_seat(request(), id, student));
    tamper(&test, r#"UPDATE requests SET body = jsonb_set(body, '{key}', '"k-2"')"#);
    expect_corrupt("a record filed under another key", engine.book_seat(request(), id, student));

    let slot = SlotSpec {
        course_id: None,
        time_zone: "Europe/Berlin".into(),
        recurrence: SlotRecurrence::Weekly {
            weekday: Weekday::Mon,
            start_time: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            end_time: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
            valid_from: Utc::now().date_naive(),
            valid_until: None,
        },
        active: true,
        rules: Default::default(),
    };
    let published: SlotId = engine.publish_slot(Actor::Teacher(teacher), teacher, slot).unwrap().value.id;
    tamper(&test, r#"UPDATE calendars SET body = jsonb_set(body, '{slots}', '{"x": 1}')"#);
    expect_corrupt("a tampered calendar", reader(&test).slot(published));
    let fresh = common::options(&test.guard.name).open().unwrap();
    assert!(matches!(fresh.load_calendar(teacher), Err(booking_core::StoreError::Corrupt { .. })));
}

#[test]
fn a_warm_snapshot_cache_sees_an_edit_once_its_version_moves() {
    let test = common::test_store();
    let teacher = user(1);
    let engine = Engine::new(test.store.clone());
    let id = engine.create_session(Actor::Teacher(teacher), session(teacher)).unwrap().value.id;
    // The writer holds version 1 in its cache: an in-place edit of version 1 is not re-read...
    tamper(&test, r#"UPDATE sessions SET body = jsonb_set(body, '{title}', '"edited"')"#);
    assert_eq!(engine.session(Actor::System, id).unwrap().title, "Tampered");
    // ...a fresh store reads it...
    assert_eq!(reader(&test).session(Actor::System, id).unwrap().title, "edited");
    // ...and an edit that bumps the version (body and row alike) reaches every store.
    tamper(
        &test,
        r#"UPDATE sessions SET version = 2, body = jsonb_set(jsonb_set(body, '{title}', '"v2"'), '{version}', '2')"#,
    );
    assert_eq!(engine.session(Actor::System, id).unwrap().title, "v2");
    tamper(&test, "UPDATE sessions SET version = 3");
    expect_corrupt("a bumped row whose body says otherwise", engine.session(Actor::System, id));
}

#[test]
fn a_schema_newer_than_the_code_is_refused_with_a_typed_error() {
    let test = common::test_store();
    tamper(&test, "INSERT INTO booking_schema_version (version, name) VALUES (999, 'from the future')");
    let err = common::options(&test.guard.name).open().unwrap_err();
    assert_eq!(err, OpenError::SchemaTooNew { found: 999, supported: SCHEMA_VERSION });
    assert!(err.to_string().contains("999"), "{err}");
}

#[test]
fn connection_failures_are_typed_errors_not_panics() {
    // Port 1 on loopback: nothing listens there. Refused: unavailable, try again later.
    let err = PgOptions::new("postgres://nobody@127.0.0.1:1/none?connect_timeout=2").unwrap().open().unwrap_err();
    assert!(matches!(err, OpenError::Unavailable(_)), "{err:?}");
    // A server that answers, but not to this user: a refusal, not worth retrying.
    let mut config: postgres::Config = common::url().parse().unwrap();
    config.user("no_such_role_here");
    let err = PgOptions::from_config(config).open().unwrap_err();
    assert!(matches!(err, OpenError::Connect(_)), "{err:?}");
    assert!(matches!(PgOptions::new("postgres://[bad"), Err(OpenError::Config(_))));
    let err = common::options("Not-An-Identifier").open().unwrap_err();
    assert!(matches!(err, OpenError::Config(_)), "{err:?}");
}
