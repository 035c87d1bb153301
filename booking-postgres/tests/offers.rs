//! `sessions.offer_deadline`: written with every session write, read by
//! `sessions_with_offers_due`, side by side with the in-memory store. Needs `BOOKING_PG_URL`.

mod common;

use booking_core::{
    Actor, BookingId, CourseId, Engine, GroupSession, InMemoryRepository, ManualClock, NewGroupSession, Repository,
    SeatBooking, SeatStatus, SequentialIds, SessionId, UserId, WaitlistMode,
    repository::{Commit, Write},
};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use std::sync::Arc;

fn user(kind: u128, n: u128) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128((kind << 64) | n))
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 9, 0, 0).unwrap()
}

fn new_session() -> NewGroupSession {
    NewGroupSession {
        teacher_id: user(1, 1),
        course_id: Some(CourseId::from_uuid(uuid::Uuid::from_u128(77))),
        title: "Offers".into(),
        starts_at: t0() + TimeDelta::days(1),
        time_zone: "Europe/Berlin".into(),
        duration_minutes: 60,
        meeting_link: "https://meet.example.com/s".into(),
        capacity: 2,
        waitlist_enabled: true,
        waitlist_mode: WaitlistMode::Offer { hold_minutes: 30 },
        rules: Default::default(),
    }
}

/// `session` at the next version with offered seats running out at `deadlines`.
fn with_offers(session: &GroupSession, deadlines: &[DateTime<Utc>]) -> Arc<GroupSession> {
    let mut next = session.clone();
    next.version += 1;
    next.bookings.retain(|b| b.status != SeatStatus::Offered);
    for (n, deadline) in deadlines.iter().enumerate() {
        next.bookings.push(SeatBooking {
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

fn offer_script(store: Arc<dyn Repository>) -> Vec<Vec<SessionId>> {
    let engine = Engine::new(Arc::clone(&store)).with_clock(ManualClock::new(t0())).with_ids(SequentialIds::default());
    let a = engine.create_session(Actor::System, new_session()).unwrap().value;
    let b = engine.create_session(Actor::System, new_session()).unwrap().value;
    let at = |minutes: i64| t0() + TimeDelta::minutes(minutes);
    let due = |store: &Arc<dyn Repository>| -> Vec<Vec<SessionId>> {
        [0, 9, 10, 19, 20, 1000].iter().map(|m| store.sessions_with_offers_due(at(*m)).unwrap()).collect()
    };
    let session_commit = |expected: u64, session: Arc<GroupSession>| Commit {
        finished_bookings: vec![],
        writes: vec![Write::Session { expected_version: expected, session }],
        request: None,
        events: vec![],
    };
    let write = |expected: u64, session: &Arc<GroupSession>| {
        store.commit(session_commit(expected, Arc::clone(session))).unwrap()
    };
    let mut out = due(&store);
    let a2 = with_offers(&a, &[at(25), at(20)]);
    write(1, &a2);
    let b2 = with_offers(&b, &[at(10)]);
    write(1, &b2);
    out.extend(due(&store));
    assert!(store.commit(session_commit(1, with_offers(&b, &[]))).is_err(), "a stale write");
    out.extend(due(&store));
    write(2, &with_offers(&b2, &[]));
    write(2, &with_offers(&a2, &[at(25)]));
    out.extend(due(&store));
    let a3 = store.load_session(a.id).unwrap().unwrap();
    let b3 = store.load_session(b.id).unwrap().unwrap();
    write(3, &with_offers(&a3, &[at(5)]));
    write(3, &with_offers(&b3, &[at(5)]));
    out.extend(due(&store));
    out
}

#[test]
fn offer_deadlines_are_indexed_like_the_in_memory_store() {
    let store = common::test_store();
    let expected = offer_script(Arc::new(InMemoryRepository::new()));
    let got = offer_script(Arc::new(store.store.clone()) as Arc<dyn Repository>);
    assert_eq!(got, expected);
    assert!(got[..6].iter().all(Vec::is_empty));
    assert_eq!(got[6..12].iter().map(Vec::len).collect::<Vec<_>>(), [0, 0, 1, 1, 2, 2]);
    assert_eq!(got[12..18], got[6..12], "a stale write changes nothing");
    assert_eq!(got[18..24].iter().map(Vec::len).collect::<Vec<_>>(), [0, 0, 0, 0, 0, 1]);
    let mut both = got[29].clone();
    both.sort();
    assert_eq!((got[29].len(), &got[29]), (2, &both), "equal deadlines come in session id order");
    // The query uses the partial index.
    let plan: Vec<String> = store
        .store
        .with_client(|c| {
            c.batch_execute("SET enable_seqscan = off")?;
            let rows = c.query(
                "EXPLAIN SELECT id FROM sessions WHERE offer_deadline <= now() ORDER BY offer_deadline, id",
                &[],
            );
            c.batch_execute("RESET enable_seqscan")?;
            rows
        })
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(plan.iter().any(|l| l.contains("sessions_by_offer_deadline")), "{plan:#?}");
}
