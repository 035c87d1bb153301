//! Server-side kills: while worker threads book and cancel on one session, another
//! connection keeps terminating their backends. Workers send each failed command again under
//! the same request key until it succeeds or is refused. Afterwards nothing may be
//! duplicated or lost. Needs `BOOKING_PG_URL`.

mod common;

use booking_core::{Actor, BookingId, Engine, NewGroupSession, SeatStatus, SessionId, UserId, repository::Repository};
use chrono::{TimeDelta, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const THREADS: u32 = 6;
const STUDENTS: u32 = 3;
/// How long the killer runs; the workers start no new command after it stops, and finish the
/// one in flight on healthy connections.
const KILLING: Duration = Duration::from_secs(3);
const CAPACITY: u32 = 4;

fn student(thread: u32, j: u32) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128((u128::from(thread) + 1) << 40 | u128::from(j)))
}

#[derive(Default)]
struct Tally {
    /// Commands that failed with `store_unavailable` and were sent again.
    unavailable: AtomicU32,
    /// Commands whose retry replayed a first run that had committed though its caller saw
    /// an error (the reply was lost with the connection).
    replays_after_error: AtomicU32,
    /// Every booking a `book_seat` receipt returned (first runs and replays), by key.
    booked: Mutex<HashMap<String, BookingId>>,
    /// Every booking a `cancel_booking` receipt returned, by key.
    cancelled: Mutex<HashMap<String, BookingId>>,
}

#[test]
fn killed_connections_lose_and_duplicate_nothing() {
    let app = format!("bk-kill-{}", uuid::Uuid::new_v4().simple());
    let test = common::test_store_with(|o| o.application_name(&app).max_connections(6));
    let teacher = UserId::from_uuid(uuid::Uuid::from_u128(9 << 96));
    let engine = Arc::new(Engine::new(test.store.clone()));
    let session = engine
        .create_session(
            Actor::Teacher(teacher),
            NewGroupSession {
                teacher_id: teacher,
                course_id: None,
                title: "Killed".into(),
                starts_at: Utc::now() + TimeDelta::days(30),
                time_zone: "Europe/Berlin".into(),
                duration_minutes: 60,
                meeting_link: "https://meet.example.com/killed".into(),
                capacity: CAPACITY,
                waitlist_enabled: true,
                waitlist_mode: Default::default(),
                rules: Default::default(),
            },
        )
        .expect("creating")
        .value
        .id;

    let deadline = Instant::now() + KILLING;
    let done = Arc::new(AtomicBool::new(false));
    let kills = Arc::new(AtomicU32::new(0));
    let killer = {
        let (done, kills, app) = (Arc::clone(&done), Arc::clone(&kills), app.clone());
        std::thread::spawn(move || {
            let mut admin = common::admin_client();
            let kill = admin
                .prepare(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM ( \
                         SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid() \
                         ORDER BY state = 'active' DESC, random() LIMIT 1) AS victim",
                )
                .expect("preparing the kill");
            while !done.load(Ordering::Relaxed) && Instant::now() < deadline {
                let killed: i64 = admin.query_one(&kill, &[&app]).expect("killing").get(0);
                kills.fetch_add(u32::try_from(killed).unwrap_or(0), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };

    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (engine, tally) = (Arc::clone(&engine), Arc::clone(&tally));
            std::thread::spawn(move || work(&engine, session, t, &tally, deadline))
        })
        .collect();
    for w in workers {
        w.join().expect("a worker panicked");
    }
    done.store(true, Ordering::Relaxed);
    killer.join().expect("the killer panicked");
    let kills = kills.load(Ordering::Relaxed);
    let unavailable = tally.unavailable.load(Ordering::Relaxed);
    eprintln!(
        "{kills} backends killed, {} commands, {unavailable} retries after store_unavailable, \
         {} of them replays of a commit whose reply was lost, {:?}",
        tally.booked.lock().unwrap().len() + tally.cancelled.lock().unwrap().len(),
        tally.replays_after_error.load(Ordering::Relaxed),
        started.elapsed()
    );
    assert!(kills > 0, "no backend was killed: the test tested nothing");
    assert!(unavailable > 0, "no command saw a killed connection: the test tested nothing");

    // The pool discarded the dead connections: the store works.
    let stored = test.store.load_session(session).expect("the store works after the kills").unwrap();

    // No duplicate booking, no lost confirmation.
    let booked = tally.booked.lock().unwrap();
    let cancelled = tally.cancelled.lock().unwrap();
    // The live bookings are in the session, the cancelled ones in the booking history.
    let finished: i64 = test
        .store
        .with_client(|c| {
            c.query_one("SELECT count(*) FROM finished_bookings WHERE session_id = $1", &[&session.as_uuid()])
        })
        .expect("counting the history")
        .get(0);
    let created = stored.bookings.len() + finished as usize;
    assert_eq!(created, booked.len(), "bookings stored {created} != book receipts {}", booked.len());
    for (key, id) in booked.iter() {
        let booking = stored
            .booking(*id)
            .cloned()
            .or_else(|| test.store.load_finished_booking(*id).expect("reading the history"))
            .unwrap_or_else(|| panic!("{key}: booking {id} is lost"));
        let was_cancelled = cancelled.values().any(|c| c == id);
        assert_eq!(booking.status == SeatStatus::Cancelled, was_cancelled, "{key}: {booking:?}");
    }
    // No lost promotion, no overbooking: the outbox replays to the stored session.
    let replay = common::audit::replay_outbox(&test.store, session).unwrap_or_else(|e| panic!("outbox: {e}"));
    assert!(replay.created.values().all(|&n| n == 1), "a booking was created twice");
    assert!(replay.cancelled.values().all(|&n| n == 1), "a booking was cancelled twice");
    assert_eq!(replay.created.len(), booked.len());
}

/// One thread's students book, cancel, book again, ...; each command is sent again under
/// its key after a retryable error (`store_unavailable`, `contention`), until it succeeds or
/// is refused.
fn work(engine: &Engine<common::PgStore>, session: SessionId, t: u32, tally: &Tally, deadline: Instant) {
    let mut active: Vec<Option<BookingId>> = vec![None; STUDENTS as usize];
    for round in 0.. {
        for j in 0..STUDENTS {
            if Instant::now() >= deadline {
                return;
            }
            let who = student(t, j);
            let key = format!("t{t}-s{j}-r{round}");
            let mut tries = 0;
            loop {
                tries += 1;
                let request = Actor::Student(who).with_key(key.clone());
                let result = match active[j as usize] {
                    None => engine.book_seat(request, session, who),
                    Some(booking) => engine.cancel_booking(request, booking),
                };
                match result {
                    Ok(receipt) => {
                        if receipt.replayed {
                            tally.replays_after_error.fetch_add(1, Ordering::Relaxed);
                        }
                        let map = if active[j as usize].is_none() { &tally.booked } else { &tally.cancelled };
                        let previous = map.lock().unwrap().insert(key.clone(), receipt.value.id);
                        assert!(previous.is_none(), "{key} succeeded twice");
                        active[j as usize] = match receipt.value.status {
                            SeatStatus::Confirmed | SeatStatus::Waitlisted => Some(receipt.value.id),
                            _ => None,
                        };
                        break;
                    }
                    // A killed backend is a store that went away: retry later, never `store_error`.
                    Err(e) if e.code().is_retryable() && tries < 1000 => {
                        if e.code().as_str() == "store_unavailable" {
                            tally.unavailable.fetch_add(1, Ordering::Relaxed);
                        }
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Err(e) => panic!("{key} refused after {tries} tries: {e} ({})", e.code()),
                }
            }
        }
    }
}
