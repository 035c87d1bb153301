//! The store itself: commit semantics side by side with the in-memory reference store,
//! persistence across opens, the outbox, host data, locks held by other connections, and the
//! file's setup.

mod common;

use booking_core::{
    Actor, BookingId, Command, CourseId, Engine, Event, EventKind, GroupSession, InMemoryRepository, ManualClock,
    NewGroupSession, Outcome, OutcomeValue, Repository, RequestKey, SeatStatus, SequentialIds, StoreError, UserId,
    lesson::Calendar,
    repository::{BookingLocation, Commit, RequestRecord, Write},
};
use booking_sqlite::{SqliteOptions, SqliteRepository, Synchronous};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use std::sync::Arc;
use std::time::Duration;

fn user(kind: u128, n: u128) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128((kind << 64) | n))
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 9, 0, 0).unwrap()
}

fn new_session() -> NewGroupSession {
    NewGroupSession {
        teacher_id: user(1, 1),
        course_id: None,
        title: "Store".into(),
        starts_at: t0() + TimeDelta::days(1),
        time_zone: "Europe/Berlin".into(),
        duration_minutes: 60,
        meeting_link: "https://meet.example.com/s".into(),
        capacity: 2,
        waitlist_enabled: true,
        waitlist_mode: Default::default(),
        rules: Default::default(),
    }
}

/// `session` with one more confirmed booking, at the next version, and the event.
fn with_booking(session: &GroupSession, n: u128) -> (Arc<GroupSession>, Event) {
    let event = Event {
        occurred_at: t0(),
        actor: Actor::System,
        kind: EventKind::BookingConfirmed {
            session_id: session.id,
            booking_id: BookingId::from_uuid(uuid::Uuid::from_u128(1000 + n)),
            student_id: user(2, n),
            seats: 1,
        },
    };
    let mut next = session.clone();
    next.apply(&event);
    next.version += 1;
    (Arc::new(next), event)
}

fn record(key: &str, session: &Arc<GroupSession>) -> RequestRecord {
    RequestRecord {
        actor: Actor::System,
        key: RequestKey::new(key).unwrap(),
        command: Command::CancelSession { session_id: session.id },
        outcome: Outcome { value: OutcomeValue::Session { session: Arc::clone(session) }, events: vec![], version: 1 },
        recorded_at: t0(),
    }
}

/// The same commits against any store; returns each commit's result and what is stored after.
fn commit_script(store: Arc<dyn Repository>) -> Vec<String> {
    let engine = Engine::new(Arc::clone(&store)).with_clock(ManualClock::new(t0())).with_ids(SequentialIds::default());
    let created = engine.create_session(Actor::System, new_session()).unwrap().value;
    let (v2, e2) = with_booking(&created, 1);
    let (v3, e3) = with_booking(&v2, 2);
    // Not the teacher's: creating the session stored the teacher's calendar (it holds the
    // session's time).
    let calendar = Arc::new(Calendar { version: 1, ..Calendar::new(user(1, 9)) });
    let unknown = Arc::new(GroupSession {
        id: booking_core::SessionId::from_uuid(uuid::Uuid::from_u128(0xdead)),
        version: 2,
        ..(*created).clone()
    });
    let session = |expected_version, session: &Arc<GroupSession>| Write::Session {
        expected_version,
        session: Arc::clone(session),
    };
    let commits = vec![
        // A stale version, the session not stored, a second creation: conflicts.
        Commit { finished_bookings: vec![], writes: vec![session(2, &v3)], request: None, events: vec![e3.clone()] },
        Commit { finished_bookings: vec![], writes: vec![session(1, &unknown)], request: None, events: vec![] },
        Commit { finished_bookings: vec![], writes: vec![session(0, &created)], request: None, events: vec![] },
        // A good one with a request record.
        Commit {
            finished_bookings: vec![],
            writes: vec![session(1, &v2)],
            request: Some(record("a", &v2)),
            events: vec![e2.clone()],
        },
        // The same key again, with a good write: a duplicate, and the write is not applied.
        Commit {
            finished_bookings: vec![],
            writes: vec![session(2, &v3)],
            request: Some(record("a", &v3)),
            events: vec![e3.clone()],
        },
        // A stale write and a duplicate key: the conflict is reported first.
        Commit {
            finished_bookings: vec![],
            writes: vec![session(1, &v2)],
            request: Some(record("a", &v2)),
            events: vec![],
        },
        // A new calendar with a stale session: neither is applied.
        Commit {
            finished_bookings: vec![],
            writes: vec![Write::Calendar { expected_version: 0, calendar: Arc::clone(&calendar) }, session(1, &v3)],
            request: Some(record("b", &v3)),
            events: vec![e3.clone()],
        },
        // A duplicate key with a new calendar: the calendar is not created.
        Commit {
            finished_bookings: vec![],
            writes: vec![Write::Calendar { expected_version: 0, calendar: Arc::clone(&calendar) }],
            request: Some(record("a", &v3)),
            events: vec![],
        },
        // Both at once, applied.
        Commit {
            finished_bookings: vec![],
            writes: vec![Write::Calendar { expected_version: 0, calendar }, session(2, &v3)],
            request: Some(record("b", &v3)),
            events: vec![e3],
        },
        // An empty commit with only a key.
        Commit { finished_bookings: vec![], writes: vec![], request: Some(record("c", &v3)), events: vec![] },
    ];
    let mut out = Vec::new();
    for (i, commit) in commits.into_iter().enumerate() {
        let result = store.commit(commit);
        let stored = store.load_session(created.id).unwrap().unwrap();
        let calendar = store.load_calendar(user(1, 9)).unwrap().map(|c| c.version);
        let located: Vec<_> = (1..=2)
            .map(|n| store.locate_booking(BookingId::from_uuid(uuid::Uuid::from_u128(1000 + n))).unwrap())
            .collect();
        let keys: Vec<_> = ["a", "b", "c"]
            .iter()
            .map(|k| store.load_request(&Actor::System, &RequestKey::new(*k).unwrap()).unwrap().map(|r| r.outcome))
            .collect();
        out.push(format!(
            "commit {i}: {result:?}; session v{} with {} bookings; calendar {calendar:?}; index {located:?}; keys {keys:?}",
            stored.version,
            stored.bookings.len()
        ));
    }
    out
}

#[test]
fn commits_behave_exactly_like_the_in_memory_store() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Arc::new(SqliteRepository::open(dir.path().join("s.db")).unwrap());
    let expected = commit_script(Arc::new(InMemoryRepository::new()));
    let got = commit_script(Arc::clone(&sqlite) as Arc<dyn Repository>);
    for (e, g) in expected.iter().zip(&got) {
        assert_eq!(e, g);
    }
    assert_eq!(expected.len(), got.len());
    // And the conflicts are what the engine expects.
    assert!(got[0].contains("Conflict(\"Session(") && got[0].contains("is at version 1"), "{}", got[0]);
    assert!(got[4].contains("DuplicateRequest"), "{}", got[4]);
    // The outbox has the events of the applied commits only, in commit order.
    let kinds: Vec<_> = sqlite.events_since(0, 100).unwrap().into_iter().map(|e| e.event.kind.name()).collect();
    assert_eq!(kinds, ["session_created", "booking_confirmed", "booking_confirmed"]);
}

#[test]
fn everything_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let (ana, key) = (user(2, 1), "ana-1");
    let (session, first) = {
        let engine = Engine::new(SqliteRepository::open(&path).unwrap()).with_clock(ManualClock::new(t0()));
        let course = CourseId::from_uuid(uuid::Uuid::from_u128(77));
        let new = NewGroupSession { course_id: Some(course), ..new_session() };
        let session = engine.create_session(Actor::System, new).unwrap().value;
        engine.repository().enroll(ana, course).unwrap();
        let first = engine.book_seat(Actor::Student(ana).with_key(key), session.id, ana).unwrap();
        (session, first)
    };
    let engine = Engine::new(SqliteRepository::open(&path).unwrap()).with_clock(ManualClock::new(t0()));
    let stored = engine.session(Actor::System, session.id).unwrap();
    assert_eq!((stored.version, stored.bookings.len()), (2, 1));
    assert_eq!(engine.seat_booking(Actor::System, first.value.id).unwrap(), first.value);
    // The retry after the restart replays the first outcome.
    let retry = engine.book_seat(Actor::Student(ana).with_key(key), session.id, ana).unwrap();
    assert!(retry.replayed);
    assert_eq!((&retry.value, &retry.events, retry.version), (&first.value, &first.events, first.version));
    assert!(engine.repository().is_enrolled(ana, session.course_id.unwrap()).unwrap());
    assert_eq!(engine.repository().events_since(0, 10).unwrap().len(), 2);
}

#[test]
fn the_outbox_numbers_events_in_commit_order_and_never_reuses_ids() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::new(SqliteRepository::open(dir.path().join("s.db")).unwrap());
    let engine = engine.with_clock(ManualClock::new(t0()));
    let session = engine.create_session(Actor::System, new_session()).unwrap().value;
    for n in 1..=3 {
        engine.book_seat(Actor::Student(user(2, n)), session.id, user(2, n)).unwrap();
    }
    let store = engine.repository();
    let events = store.events_since(0, 100).unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.event.kind.name()).collect();
    assert_eq!(kinds, ["session_created", "booking_confirmed", "booking_confirmed", "booking_waitlisted"]);
    assert!(events.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(store.events_since(events[1].id, 2).unwrap(), events[2..4]);
    let last = events.last().unwrap().id;
    assert_eq!(store.delete_events_through(last).unwrap(), 4);
    let booking = engine.session(Actor::System, session.id).unwrap().bookings[0].id;
    engine.cancel_booking(Actor::Student(user(2, 1)), booking).unwrap();
    let after = store.events_since(0, 100).unwrap();
    let kinds: Vec<_> = after.iter().map(|e| e.event.kind.name()).collect();
    assert_eq!(kinds, ["booking_cancelled", "booking_promoted"]);
    assert!(after[0].id > last, "an id was reused after deleting the newest events");
}

#[test]
fn host_data_is_read_by_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteRepository::open(dir.path().join("s.db")).unwrap();
    let (course, teacher, student) = (CourseId::from_uuid(uuid::Uuid::from_u128(5)), user(1, 1), user(2, 1));
    assert_eq!(store.approval_settings(course, teacher).unwrap(), Default::default());
    store.set_course_approval(course, Some(true)).unwrap();
    store.set_teacher_approval(teacher, course, Some(false)).unwrap();
    store.set_course_approval(course, Some(false)).unwrap(); // an update, not a second row
    let settings = store.approval_settings(course, teacher).unwrap();
    assert_eq!((settings.course, settings.teacher_override), (Some(false), Some(false)));
    store.set_teacher_approval(teacher, course, None).unwrap();
    assert_eq!(store.approval_settings(course, teacher).unwrap().teacher_override, None);
    assert!(!store.is_enrolled(student, course).unwrap());
    store.enroll(student, course).unwrap();
    assert!(store.is_enrolled(student, course).unwrap());
    assert!(!store.is_enrolled(student, CourseId::from_uuid(uuid::Uuid::from_u128(6))).unwrap());
    store.unenroll(student, course).unwrap();
    assert!(!store.is_enrolled(student, course).unwrap());
}

#[test]
fn a_lock_held_too_long_is_a_store_error_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let options = SqliteOptions::default().busy_timeout(Duration::from_millis(100));
    let engine = Engine::new(SqliteRepository::open_with(&path, options).unwrap()).with_clock(ManualClock::new(t0()));
    let session = engine.create_session(Actor::System, new_session()).unwrap().value;

    // Another process (here: another connection) holds the write lock.
    let other = common::raw(&path);
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let ana = user(2, 1);
    let e = engine.book_seat(Actor::Student(ana).with_key("k"), session.id, ana).unwrap_err();
    assert_eq!(e.code().as_str(), "store_error");
    assert!(e.to_string().contains("busy timeout (100 ms)"), "{e}");
    // Reads go on meanwhile (WAL).
    assert_eq!(engine.session(Actor::System, session.id).unwrap().version, 1);
    other.execute_batch("COMMIT").unwrap();

    // Nothing was recorded under the key: the retry runs now.
    let retry = engine.book_seat(Actor::Student(ana).with_key("k"), session.id, ana).unwrap();
    assert!(!retry.replayed);
    assert_eq!(retry.value.status, SeatStatus::Confirmed);
}

#[test]
fn the_file_is_set_up_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let engine = Engine::new(
        SqliteRepository::open_with(&path, SqliteOptions::default().synchronous(Synchronous::Normal)).unwrap(),
    )
    .with_clock(ManualClock::new(t0()));
    let course = CourseId::from_uuid(uuid::Uuid::from_u128(77));
    let session = engine.create_session(Actor::System, NewGroupSession { course_id: Some(course), ..new_session() });
    let session = session.unwrap().value;
    engine.repository().enroll(user(2, 1), course).unwrap();
    engine.book_seat(Actor::Student(user(2, 1)), session.id, user(2, 1)).unwrap();

    let conn = common::raw(&path);
    let pragma = |name: &str| -> String {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, rusqlite::types::Value>(0))
            .map(|v| match v {
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
            .unwrap()
    };
    assert_eq!(pragma("journal_mode"), "wal");
    assert_eq!(pragma("user_version"), booking_sqlite::SCHEMA_VERSION.to_string());
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        tables,
        [
            "booking_index",
            "calendars",
            "course_approval",
            "enrollments",
            "events",
            "finished_bookings",
            "lessons",
            "read_index",
            "requests",
            "sessions",
            "slot_index",
            "teacher_approval"
        ]
    );
    // The query columns follow the body.
    let (teacher, course, starts_at, version): (String, String, String, i64) = conn
        .query_row("SELECT teacher_id, course_id, starts_at, version FROM sessions", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    assert_eq!(teacher, user(1, 1).to_string());
    assert_eq!(course, session.course_id.unwrap().to_string());
    assert_eq!(starts_at, "2030-03-05T09:00:00.000000Z");
    assert_eq!(version, 2);
    let located =
        engine.repository().locate_booking(engine.session(Actor::System, session.id).unwrap().bookings[0].id).unwrap();
    assert_eq!(located, Some(BookingLocation::Session(session.id)));
    // The read index lists the session in its teacher's and its student's agendas and in what starts.
    let entries: Vec<(String, String)> = conn
        .prepare(
            "SELECT \"index\", \"partition\" FROM read_index WHERE kind = 'session' AND aggregate_id = ?1 ORDER BY 1",
        )
        .unwrap()
        .query_map([session.id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        entries,
        [
            ("starts".to_owned(), String::new()),
            ("student_agenda".to_owned(), user(2, 1).to_string()),
            ("teacher_agenda".to_owned(), user(1, 1).to_string()),
        ]
    );
}

#[test]
fn the_store_is_send_and_sync_and_opens_concurrently() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<SqliteRepository>();
    // Several threads creating and migrating one new file at once.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4).map(|_| scope.spawn(|| SqliteRepository::open(&path).map(drop))).collect();
        for h in handles {
            h.join().unwrap().unwrap();
        }
    });
    let store = SqliteRepository::open(&path).unwrap();
    store.check_integrity().unwrap();
    assert!(matches!(store.load_session(booking_core::SessionId::from_uuid(uuid::Uuid::nil())), Ok(None)));
    let _ = StoreError::DuplicateRequest;
}

/// `session` at the next version with offered seats running out at `deadlines` (none: no offer
/// left).
fn with_offers(session: &GroupSession, deadlines: &[DateTime<Utc>]) -> Arc<GroupSession> {
    let mut next = session.clone();
    next.version += 1;
    next.bookings.retain(|b| b.status != SeatStatus::Offered);
    for (n, deadline) in deadlines.iter().enumerate() {
        next.bookings.push(booking_core::SeatBooking {
            id: BookingId::from_uuid(uuid::Uuid::now_v7()),
            session_id: session.id,
            student_id: user(3, n as u128),
            status: SeatStatus::Offered,
            booked_at: t0(),
            updated_at: t0(),
            seats: 1,
            offer_expires_at: Some(*deadline),
        });
    }
    Arc::new(next)
}

/// Offer deadlines as a store reports them through a script of session writes.
fn offer_script(store: Arc<dyn Repository>) -> Vec<Vec<booking_core::SessionId>> {
    let engine = Engine::new(Arc::clone(&store)).with_clock(ManualClock::new(t0())).with_ids(SequentialIds::default());
    let offer_mode =
        || NewGroupSession { waitlist_mode: booking_core::WaitlistMode::Offer { hold_minutes: 30 }, ..new_session() };
    let a = engine.create_session(Actor::System, offer_mode()).unwrap().value;
    let b = engine.create_session(Actor::System, offer_mode()).unwrap().value;
    let at = |minutes: i64| t0() + TimeDelta::minutes(minutes);
    let due = |store: &Arc<dyn Repository>| -> Vec<Vec<booking_core::SessionId>> {
        [0, 9, 10, 19, 20, 1000].iter().map(|m| store.sessions_with_offers_due(at(*m)).unwrap()).collect()
    };
    let write = |expected: u64, session: &Arc<GroupSession>| {
        let commit = Commit {
            finished_bookings: vec![],
            writes: vec![Write::Session { expected_version: expected, session: Arc::clone(session) }],
            request: None,
            events: vec![],
        };
        store.commit(commit).unwrap();
    };
    let mut out = due(&store);
    // a: two offers, the earliest at +20; b: one at +10 (a new deadline on an update).
    let a2 = with_offers(&a, &[at(25), at(20)]);
    write(1, &a2);
    let b2 = with_offers(&b, &[at(10)]);
    write(1, &b2);
    out.extend(due(&store));
    // A stale write changes no deadline.
    assert!(
        store
            .commit(Commit {
                finished_bookings: vec![],
                writes: vec![Write::Session { expected_version: 1, session: with_offers(&b, &[]) }],
                request: None,
                events: vec![],
            })
            .is_err()
    );
    out.extend(due(&store));
    // b's offer is answered: it leaves the index; a's moves later.
    write(2, &with_offers(&b2, &[]));
    write(2, &with_offers(&a2, &[at(25)]));
    out.extend(due(&store));
    // The same deadline on both: the order is by session id.
    let a3 = store.load_session(a.id).unwrap().unwrap();
    let b3 = store.load_session(b.id).unwrap().unwrap();
    write(3, &with_offers(&a3, &[at(5)]));
    write(3, &with_offers(&b3, &[at(5)]));
    out.extend(due(&store));
    out
}

#[test]
fn offer_deadlines_are_indexed_like_the_in_memory_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let sqlite = Arc::new(SqliteRepository::open(&path).unwrap());
    let expected = offer_script(Arc::new(InMemoryRepository::new()));
    let got = offer_script(Arc::clone(&sqlite) as Arc<dyn Repository>);
    assert_eq!(got, expected);
    // Spot checks of the expected answers (shared by both stores).
    assert!(got[..6].iter().all(Vec::is_empty), "nothing is due before any offer");
    assert_eq!(got[6..12].iter().map(Vec::len).collect::<Vec<_>>(), [0, 0, 1, 1, 2, 2]);
    assert_eq!(got[12..18], got[6..12], "a stale write changes nothing");
    assert_eq!(got[18..24].iter().map(Vec::len).collect::<Vec<_>>(), [0, 0, 0, 0, 0, 1]);
    let mut both = got[29].clone();
    assert_eq!(both.len(), 2);
    both.sort();
    assert_eq!(got[29], both, "equal deadlines come in session id order");
    // The column and its index are in the file and survive reopening.
    drop(sqlite);
    let reopened = SqliteRepository::open(&path).unwrap();
    assert_eq!(reopened.sessions_with_offers_due(t0() + TimeDelta::days(1)).unwrap(), got[29]);
    let plan: String = common::raw(&path)
        .query_row(
            "EXPLAIN QUERY PLAN SELECT id FROM sessions WHERE offer_deadline IS NOT NULL AND offer_deadline <= '2031' \
             ORDER BY offer_deadline, id",
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("sessions_by_offer_deadline"), "{plan}");
}
