//! The server-side timeouts every pooled session gets, and what they end. (The client-side
//! ones, against a silent network, are in `partition.rs`.) Needs `BOOKING_PG_URL`.

mod common;

use booking_core::{Actor, Engine, NewGroupSession, Repository, UserId};
use chrono::{TimeDelta, Utc};
use std::time::{Duration, Instant};

fn show(store: &booking_postgres::PgRepository, setting: &str) -> String {
    store.with_client(|c| c.query_one(&format!("SHOW {setting}"), &[]).map(|r| r.get(0))).expect(setting)
}

fn new_session(teacher: UserId) -> NewGroupSession {
    NewGroupSession {
        teacher_id: teacher,
        course_id: None,
        title: "Timeouts".into(),
        starts_at: Utc::now() + TimeDelta::days(30),
        time_zone: "Europe/Berlin".into(),
        duration_minutes: 60,
        meeting_link: "https://meet.example.com/timeouts".into(),
        capacity: 3,
        waitlist_enabled: false,
        waitlist_mode: Default::default(),
        rules: Default::default(),
    }
}

#[test]
fn every_pooled_session_gets_the_timeouts() {
    let defaults = common::test_store();
    assert_eq!(show(&defaults, "statement_timeout"), "30s");
    assert_eq!(show(&defaults, "idle_in_transaction_session_timeout"), "30s");
    assert_eq!(show(&defaults, "tcp_user_timeout"), "10000");
    assert_eq!(show(&defaults, "tcp_keepalives_idle"), "3");
    assert_eq!(show(&defaults, "tcp_keepalives_interval"), "3");
    assert_eq!(show(&defaults, "tcp_keepalives_count"), "3");
    let set = common::test_store_with(|o| {
        o.statement_timeout(Duration::from_millis(1500))
            .idle_in_transaction_timeout(Duration::ZERO)
            .network_timeout(Duration::from_secs(7))
    });
    assert_eq!(show(&set, "statement_timeout"), "1500ms");
    assert_eq!(show(&set, "idle_in_transaction_session_timeout"), "0");
    assert_eq!(show(&set, "tcp_user_timeout"), "7000");
    assert_eq!(show(&set, "tcp_keepalives_idle"), "2");
}

#[test]
fn a_commit_blocked_past_the_statement_timeout_is_store_unavailable_and_changes_nothing() {
    let test = common::test_store_with(|o| o.statement_timeout(Duration::from_millis(300)));
    let teacher = UserId::from_uuid(uuid::Uuid::from_u128(21 << 96));
    let engine = Engine::new(test.store.clone());
    let session = engine.create_session(Actor::Teacher(teacher), new_session(teacher)).unwrap().value;
    // Another session holds the row: the booking's commit waits for it until the timeout.
    let mut admin = common::admin_client();
    let mut tx = admin.transaction().unwrap();
    tx.execute(
        &format!("SELECT 1 FROM \"{}\".sessions WHERE id = $1 FOR UPDATE", test.guard.name),
        &[&session.id.as_uuid()],
    )
    .unwrap();
    let student = UserId::from_uuid(uuid::Uuid::from_u128(22 << 96));
    let e = engine.book_seat(Actor::Student(student).with_key("blocked"), session.id, student).unwrap_err();
    assert_eq!(e.code().as_str(), "store_unavailable", "{e}");
    assert!(e.code().is_retryable());
    tx.rollback().unwrap();
    assert_eq!(test.store.load_session(session.id).unwrap().unwrap().version, session.version, "nothing changed");
    // Retried later under its key, it is decided afresh (the failed commit recorded nothing).
    let receipt = engine.book_seat(Actor::Student(student).with_key("blocked"), session.id, student).unwrap();
    assert!(!receipt.replayed);
}

#[test]
fn the_server_ends_a_transaction_left_idle_and_the_store_goes_on() {
    let app = format!("bk-idle-{}", uuid::Uuid::new_v4().simple());
    let test = common::test_store_with(|o| {
        o.application_name(&app).max_connections(1).idle_in_transaction_timeout(Duration::from_millis(300))
    });
    // A host's code that leaves a transaction open (what `with_client`'s docs warn against), or
    // a client cut off in the middle of one: it holds a lock.
    test.store.with_client(|c| c.batch_execute("BEGIN; SELECT pg_advisory_xact_lock(77)")).unwrap();
    let mut admin = common::admin_client();
    let held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid IN \
                (SELECT pid FROM pg_stat_activity WHERE application_name = $1)";
    let deadline = Instant::now() + Duration::from_secs(60);
    while admin.query_one(held, &[&app]).unwrap().get::<_, i64>(0) > 0 {
        assert!(Instant::now() < deadline, "the server never ended the idle transaction");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The pool's one connection was ended by the server; the next read notices and reconnects.
    let teacher = UserId::from_uuid(uuid::Uuid::from_u128(23 << 96));
    let engine = Engine::new(test.store.clone());
    let session = engine.create_session(Actor::Teacher(teacher), new_session(teacher));
    let session = match session {
        Ok(receipt) => receipt.value,
        // The first call on the ended connection may be the commit, which is never resent.
        Err(e) if e.code().as_str() == "store_unavailable" => {
            engine.create_session(Actor::Teacher(teacher), new_session(teacher)).unwrap().value
        }
        Err(e) => panic!("{e}"),
    };
    assert!(test.store.load_session(session.id).unwrap().is_some());
}
