//! The outbox's positions (`events.id`) grow in commit order across sessions: writers commit on
//! sessions of their own (no row lock orders them) while a reader polls the outbox, and no
//! event ever appears below a position the reader has already seen. Needs `BOOKING_PG_URL`.

mod common;

use booking_core::{Actor, Engine, NewGroupSession, Repository, UserId};
use chrono::{TimeDelta, Utc};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

const WRITERS: u128 = 6;
const BOOKINGS: u128 = 120;

fn user(kind: u128, n: u128) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128((kind << 64) | n))
}

#[test]
fn no_event_appears_below_a_position_already_read() {
    let store = common::test_store();
    let engine = Engine::new(store.store.clone());
    let sessions: Vec<_> = (0..WRITERS)
        .map(|w| {
            let teacher = user(1, w + 1);
            engine
                .create_session(
                    Actor::Teacher(teacher),
                    NewGroupSession {
                        teacher_id: teacher,
                        course_id: None,
                        title: format!("Session {w}"),
                        starts_at: Utc::now() + TimeDelta::days(3),
                        time_zone: "Europe/Vienna".into(),
                        duration_minutes: 60,
                        meeting_link: "https://meet.example.com/outbox".into(),
                        capacity: 1000,
                        waitlist_enabled: false,
                        waitlist_mode: Default::default(),
                        rules: Default::default(),
                    },
                )
                .unwrap()
                .value
                .id
        })
        .collect();
    let done = AtomicBool::new(false);
    let (seen, late) = std::thread::scope(|scope| {
        let writers: Vec<_> = sessions
            .iter()
            .enumerate()
            .map(|(w, session)| {
                let engine = &engine;
                scope.spawn(move || {
                    for k in 0..BOOKINGS {
                        let student = user(2, (w as u128) * 1000 + k);
                        engine.book_seat(Actor::Student(student), *session, student).unwrap();
                    }
                })
            })
            .collect();
        let reader = scope.spawn(|| {
            let (mut seen, mut late) = (BTreeSet::new(), Vec::new());
            loop {
                let finished = done.load(Ordering::SeqCst);
                let highest = seen.last().copied().unwrap_or(0);
                for entry in store.read_outbox(0, 10_000).unwrap() {
                    if seen.insert(entry.position) && entry.position < highest {
                        late.push((entry.position, highest));
                    }
                }
                if finished {
                    return (seen, late);
                }
            }
        });
        for writer in writers {
            writer.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        reader.join().unwrap()
    });
    assert_eq!(seen.len() as u128, WRITERS * (BOOKINGS + 1), "every event, once");
    assert!(late.is_empty(), "events appeared below a position already read (position, highest seen): {late:?}");
}
