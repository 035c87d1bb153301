//! The outbox under concurrent writers (schema version 5: writers take no shared lock, readers
//! publish positions). Writers book on sessions of their own and all on one shared session,
//! through two engines (so commits on the shared session also race in `booking_commit`), some
//! commands are refused, and a transaction inserts outbox rows and rolls them back, while a
//! reader polls the outbox page by page from its cursor. Checked: every committed event comes
//! out exactly once, nothing of a refused command or a rolled-back transaction ever does,
//! positions only grow and stay as handed out, each writer's events come out in the order it
//! committed them, and each session's bookings in the session's own order. Needs
//! `BOOKING_PG_URL`.

mod common;

use booking_core::{Actor, BookingId, Engine, EventKind, NewGroupSession, Repository, SessionId, UserId};
use chrono::{TimeDelta, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

const WRITERS: u128 = 6;
const BOOKINGS: u128 = 60;
/// Seats of the shared session: fewer than the writers try to take, so some are refused.
const SHARED_SEATS: u32 = 100;
/// The kind of the outbox rows the rolled-back transactions insert.
const ROLLED_BACK: &str = "rolled_back_probe";

fn user(kind: u128, n: u128) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128((kind << 64) | n))
}

fn create(engine: &Engine<common::PgStore>, n: u128, capacity: u32) -> SessionId {
    let teacher = user(1, n + 1);
    engine
        .create_session(
            Actor::Teacher(teacher),
            NewGroupSession {
                teacher_id: teacher,
                course_id: None,
                title: format!("Session {n}"),
                starts_at: Utc::now() + TimeDelta::days(3),
                time_zone: "Europe/Vienna".into(),
                duration_minutes: 60,
                meeting_link: "https://meet.example.com/outbox".into(),
                capacity,
                waitlist_enabled: false,
                waitlist_mode: Default::default(),
                rules: Default::default(),
            },
        )
        .unwrap()
        .value
        .id
}

fn debug(event: &booking_core::Event) -> String {
    format!("{event:?}")
}

#[test]
fn committed_events_come_out_once_in_commit_order_and_nothing_else() {
    let store = common::test_store();
    // Two engines on one store: each queues its own commands on a session, and the two race in
    // the database's version check.
    let engines = [Engine::new(store.store.clone()), Engine::new(store.store.clone())];
    let shared = create(&engines[0], 0, SHARED_SEATS);
    let own: Vec<SessionId> = (0..WRITERS).map(|w| create(&engines[0], w + 1, 1000)).collect();
    let mut created = vec![shared];
    created.extend(&own);
    let done = AtomicBool::new(false);
    let (per_writer, read, probe) = std::thread::scope(|scope| {
        let writers: Vec<_> = own
            .iter()
            .enumerate()
            .map(|(w, session)| {
                let engine = &engines[w % 2];
                scope.spawn(move || {
                    let mut committed = Vec::new();
                    let mut refused = 0;
                    for k in 0..BOOKINGS {
                        let student = user(2, (w as u128) * 1000 + k);
                        let target = if k % 2 == 0 { *session } else { shared };
                        match engine.book_seat(Actor::Student(student), target, student) {
                            Ok(receipt) => committed.extend(receipt.events),
                            Err(e) => {
                                assert_eq!(e.code().as_str(), "session_full", "booking {k} of writer {w}");
                                refused += 1;
                            }
                        }
                        if k % 10 == 0 {
                            // The same student again: refused, no commit.
                            let again = engine.book_seat(Actor::Student(student), target, student);
                            assert!(again.is_err(), "a second booking of the same student");
                            refused += 1;
                        }
                    }
                    (committed, refused)
                })
            })
            .collect();
        // Transactions that insert outbox rows and roll them back; while one is open, a booking
        // committed after it started is readable at once (an older open transaction holds no
        // committed event back).
        let probe = scope.spawn(|| {
            let engine = &engines[0];
            let session = create(engine, 99, 1000);
            let mut committed = Vec::new();
            for round in 0..10u128 {
                store
                    .store
                    .with_client(|client| {
                        let mut tx = client.transaction()?;
                        tx.execute(
                            "INSERT INTO events (kind, occurred_at, body) VALUES ($1, now(), '{}')",
                            &[&ROLLED_BACK],
                        )?;
                        let student = user(3, round);
                        let receipt = engine.book_seat(Actor::Student(student), session, student).unwrap();
                        let visible = store.store.read_outbox(0, 100_000).unwrap();
                        let mine: Vec<_> = receipt.events.iter().map(debug).collect();
                        let found = visible.iter().filter(|e| mine.contains(&debug(&e.event))).count();
                        assert_eq!(found, mine.len(), "a commit is readable while an older transaction is open");
                        committed.extend(receipt.events);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        tx.rollback()
                    })
                    .unwrap();
            }
            (session, committed)
        });
        let reader = scope.spawn(|| {
            let (mut read, mut after) = (Vec::new(), 0u64);
            loop {
                let finished = done.load(Ordering::SeqCst);
                loop {
                    let page = store.read_outbox(after, 50).unwrap();
                    let Some(last) = page.last() else { break };
                    for entry in &page {
                        assert!(entry.position > after, "position {} after {after}", entry.position);
                        after = entry.position;
                    }
                    assert_eq!(after, last.position);
                    read.extend(page);
                }
                if finished {
                    return read;
                }
            }
        });
        let per_writer: Vec<_> = writers.into_iter().map(|w| w.join().unwrap()).collect();
        let probe = probe.join().unwrap();
        done.store(true, Ordering::SeqCst);
        (per_writer, reader.join().unwrap(), probe)
    });
    created.push(probe.0);

    // Nothing of a rolled-back transaction, and the positions as handed out.
    let everything = store.store.read_outbox(0, 100_000).unwrap();
    assert_eq!(everything, read, "the outbox read again from the start: the same positions and events");
    let probes = store
        .store
        .with_client(|c| c.query_one("SELECT count(*) FROM events WHERE kind = $1", &[&ROLLED_BACK]))
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(probes, 0, "rolled-back outbox rows");

    // Exactly the committed events, once each.
    let refused: usize = per_writer.iter().map(|(_, r)| r).sum();
    assert!(refused > WRITERS as usize, "some commands were refused ({refused})");
    let mut expected: HashMap<String, i64> = HashMap::new();
    for event in per_writer.iter().flat_map(|(c, _)| c).chain(&probe.1) {
        *expected.entry(debug(event)).or_default() += 1;
    }
    let mut outbox: HashMap<String, i64> = HashMap::new();
    let mut creations = 0;
    for entry in &read {
        if matches!(entry.event.kind, EventKind::SessionCreated { .. }) {
            creations += 1;
        } else {
            *outbox.entry(debug(&entry.event)).or_default() += 1;
        }
    }
    assert_eq!(creations, created.len(), "one creation event per session");
    assert!(expected.values().all(|n| *n == 1), "events of different commands differ");
    assert_eq!(outbox, expected, "the outbox holds every committed event exactly once, and nothing else");

    // Each writer's events in the order it committed them.
    let position: HashMap<String, u64> = read.iter().map(|e| (debug(&e.event), e.position)).collect();
    for (w, (committed, _)) in per_writer.iter().enumerate() {
        let positions: Vec<u64> = committed.iter().map(|e| position[&debug(e)]).collect();
        assert!(positions.windows(2).all(|p| p[0] < p[1]), "writer {w}'s events in its commit order: {positions:?}");
    }
    // Each session's bookings in the session's order (its commit order), the shared one too.
    for id in &created {
        let session = engines[0].session(Actor::System, *id).unwrap();
        let in_session: Vec<BookingId> = session.bookings.iter().map(|b| b.id).collect();
        let in_outbox: Vec<BookingId> = read
            .iter()
            .filter_map(|e| match &e.event.kind {
                EventKind::BookingConfirmed { session_id, booking_id, .. } if session_id == id => Some(*booking_id),
                _ => None,
            })
            .collect();
        assert_eq!(in_outbox, in_session, "session {id}'s bookings in commit order");
    }
    let shared_seats = engines[0].session(Actor::System, shared).unwrap().bookings.len();
    assert_eq!(shared_seats, SHARED_SEATS as usize, "the shared session filled up");
}
