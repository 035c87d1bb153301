//! What the process tests share: a session to race on, the worker process, and the audits.

#![allow(dead_code)]

use booking_core::{
    Actor, BookingError, BookingId, Engine, Event, EventKind, GroupSession, NewGroupSession, Receipt, Repository,
    SeatStatus, SessionId, UserId, repository::BookingLocation,
};
use booking_sqlite::SqliteRepository;
use chrono::{TimeDelta, Utc};
use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::Arc;

pub mod worker;

/// The session every process books on: 3 seats, waitlist on, a month ahead.
pub const CAPACITY: u32 = 3;

/// The teacher of the session.
pub fn teacher() -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128((1 << 64) | 1))
}

/// Creates the session in a new database at `path`; returns it as created, with the events
/// of its creation.
pub fn create_session(path: &Path) -> (Arc<GroupSession>, Vec<Event>) {
    let engine = Engine::new(SqliteRepository::open(path).expect("a new database"));
    let receipt = engine
        .create_session(
            Actor::Teacher(teacher()),
            NewGroupSession {
                teacher_id: teacher(),
                course_id: None,
                title: "Shared session".to_owned(),
                starts_at: Utc::now() + TimeDelta::days(30),
                time_zone: "Europe/Berlin".to_owned(),
                duration_minutes: 60,
                meeting_link: "https://meet.example.com/shared".to_owned(),
                capacity: CAPACITY,
                waitlist_enabled: true,
                waitlist_mode: Default::default(),
                rules: Default::default(),
            },
        )
        .expect("creating the session");
    (receipt.value, receipt.events)
}

/// `Err(message)` unless `cond`.
pub fn ensure(cond: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(message()) }
}

/// Checks that `event` may happen to `state` as it is (before applying it): new bookings are
/// new, a booking is confirmed only while all its seats are free and nobody waits, a newcomer
/// queues at the back, a promotion takes the head of the waitlist into seats free for all of
/// it, and a cancellation names an active booking with its status.
pub fn check_event(state: &GroupSession, event: &Event) -> Result<(), String> {
    let fail = |why: &str| Err(format!("{} {event:?}: {why}", event.kind.name()));
    let fits = |seats: u32| state.remaining_seats() >= seats;
    let waiting = state.waitlisted_count();
    match &event.kind {
        EventKind::BookingConfirmed { session_id, booking_id, .. }
        | EventKind::BookingWaitlisted { session_id, booking_id, .. } => {
            if *session_id != state.id {
                return fail("names another session");
            }
            if state.booking(*booking_id).is_some() {
                return fail("the booking exists already");
            }
            match event.kind {
                EventKind::BookingConfirmed { seats, .. } if !fits(seats) || waiting > 0 => {
                    fail("confirmed without free seats, or ahead of the waitlist")
                }
                EventKind::BookingWaitlisted { position, seats, .. }
                    if position != waiting + 1 || fits(seats) && waiting == 0 =>
                {
                    fail(&format!(
                        "queued at {position} with {waiting} waiting and {seats} seats free: {}",
                        fits(seats)
                    ))
                }
                _ => Ok(()),
            }
        }
        EventKind::BookingPromoted { booking_id, .. } => {
            let Some(head) = state.waitlist().next().filter(|b| b.id == *booking_id) else {
                return fail("promoted someone other than the head of the waitlist (not first come, first served)");
            };
            if !fits(head.seats) {
                return fail("promoted without free seats for all of it");
            }
            Ok(())
        }
        EventKind::BookingCancelled { booking_id, previous_status, .. } => match state.booking(*booking_id) {
            Some(b) if b.status.is_active() && b.status == *previous_status => Ok(()),
            other => fail(&format!("cancels {other:?}")),
        },
        _ => fail("not expected on this session"),
    }
}

/// The invariants of a session between commands: seats taken within the capacity, one
/// active booking per student, the head of the queue not waiting while its seats are free.
pub fn check_invariants(s: &GroupSession) -> Result<(), String> {
    ensure(s.booked_seats() <= s.capacity, || format!("{} seats taken of {}", s.booked_seats(), s.capacity))?;
    let mut active = HashSet::new();
    for b in s.bookings.iter().filter(|b| b.status.is_active()) {
        ensure(active.insert(b.student_id), || format!("student {} holds two active bookings", b.student_id))?;
    }
    ensure(s.waitlist().next().is_none_or(|head| head.seats > s.remaining_seats()), || {
        format!("{} wait while {} seats are free", s.waitlisted_count(), s.remaining_seats())
    })?;
    let ids: HashSet<BookingId> = s.bookings.iter().map(|b| b.id).collect();
    ensure(ids.len() == s.bookings.len(), || "a booking id appears twice".to_owned())
}

/// Applies `events` to `state`, checking each one first.
pub fn replay(state: &mut GroupSession, events: &[Event]) -> Result<(), String> {
    for event in events {
        check_event(state, event)?;
        state.apply(event);
    }
    Ok(())
}

/// The outbox, whole.
pub fn outbox(store: &SqliteRepository) -> Vec<Event> {
    store.events_since(0, usize::MAX).expect("reading the outbox").into_iter().map(|e| e.event).collect()
}

/// Replays the whole outbox onto the session as created (checking every event) and compares
/// the result with the stored session; checks the stored session's invariants.
pub fn audit_outbox(store: &SqliteRepository, created: &GroupSession, creation: &[Event]) -> Result<(), String> {
    let stored = store.load_session(created.id).map_err(|e| e.to_string())?.ok_or("the session is gone")?;
    let events = outbox(store);
    ensure(events.starts_with(creation), || "the outbox does not start with the session's creation".to_owned())?;
    let mut state = created.clone();
    replay(&mut state, &events[creation.len()..]).map_err(|e| format!("replaying the outbox: {e}"))?;
    state.version = stored.version;
    // The finished bookings are in the booking history, as the events left them.
    for finished in state.take_finished() {
        let kept = store.load_finished_booking(finished.id).map_err(|e| e.to_string())?;
        ensure(kept.as_ref() == Some(&finished), || {
            format!("finished booking {}: the history holds {kept:?}, the outbox says {finished:?}", finished.id)
        })?;
    }
    ensure(state == *stored, || {
        format!("the outbox replayed onto the created session gives\n{state:?}\nbut the store holds\n{stored:?}")
    })?;
    check_invariants(&stored).map_err(|e| format!("the stored session: {e}"))
}

/// Every booking of the session is in the booking index (pointing at the session), and the
/// index has no booking the session does not have (in it, or finished in its booking history).
pub fn audit_index(store: &SqliteRepository, session: &GroupSession) -> Result<(), String> {
    for b in &session.bookings {
        let located = store.locate_booking(b.id).map_err(|e| e.to_string())?;
        ensure(located == Some(BookingLocation::Session(session.id)), || {
            format!("booking {} is indexed as {located:?}", b.id)
        })?;
    }
    let indexed = indexed_bookings(store.path());
    let mut in_session: BTreeSet<String> = session.bookings.iter().map(|b| b.id.to_string()).collect();
    // Finished bookings stay indexed: their ids name the session's booking history.
    for id in &indexed {
        let id: BookingId = id.parse().map_err(|e| format!("indexed id {id}: {e}"))?;
        if let Some(b) = store.load_finished_booking(id).map_err(|e| e.to_string())? {
            ensure(b.session_id == session.id, || format!("finished booking {id} names session {}", b.session_id))?;
            in_session.insert(id.to_string());
        }
    }
    ensure(indexed == in_session, || {
        format!(
            "the booking index lists bookings the session does not have: {:?}",
            indexed.difference(&in_session).collect::<Vec<_>>()
        )
    })
}

/// Every booking id in the `booking_index` table (the store has no call that lists it, so
/// this reads the file with plain SQL).
fn indexed_bookings(path: &Path) -> BTreeSet<String> {
    let conn = raw(path);
    let mut stmt = conn.prepare("SELECT booking_id FROM booking_index").expect("querying the index");
    stmt.query_map([], |row| row.get::<_, String>(0)).expect("index rows").collect::<Result<_, _>>().expect("ids")
}

/// A plain SQLite connection to the file (for audits and tampering).
pub fn raw(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("opening the file");
    conn.busy_timeout(std::time::Duration::from_secs(5)).expect("busy timeout");
    conn
}

/// One attempt a worker reported.
#[derive(Debug)]
pub struct Attempt {
    pub worker: u32,
    pub n: usize,
    pub op: String,
    pub student: UserId,
    pub key: Option<String>,
    pub expected: serde_json::Value,
    pub result: Result<Receipt<booking_core::SeatBooking>, BookingError>,
}

impl Attempt {
    /// Parses an attempt line; `None` for other lines.
    pub fn parse(line: &str) -> Result<Option<Attempt>, String> {
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
        if v["type"] != "attempt" {
            return Ok(None);
        }
        let field = |name: &str| v.get(name).cloned().ok_or_else(|| format!("no {name} in {line}"));
        let result = match (v["result"].get("ok"), v["result"].get("err")) {
            (Some(ok), None) => Ok(serde_json::from_value(ok.clone()).map_err(|e| format!("receipt: {e}"))?),
            (None, Some(err)) => Err(serde_json::from_value(err.clone()).map_err(|e| format!("error: {e}"))?),
            _ => return Err(format!("no result in {line}")),
        };
        Ok(Some(Attempt {
            worker: serde_json::from_value(field("worker")?).map_err(|e| e.to_string())?,
            n: serde_json::from_value(field("n")?).map_err(|e| e.to_string())?,
            op: serde_json::from_value(field("op")?).map_err(|e| e.to_string())?,
            student: serde_json::from_value(field("student")?).map_err(|e| e.to_string())?,
            key: serde_json::from_value(field("key")?).map_err(|e| e.to_string())?,
            expected: field("expected")?,
            result,
        }))
    }

    /// The attempt, for a failure message.
    pub fn describe(&self) -> String {
        let outcome = match &self.result {
            Ok(r) => format!("ok (version {}, replayed {}, {:?})", r.version, r.replayed, r.value.status),
            Err(e) => format!("{} ({e})", e.code()),
        };
        format!(
            "worker {} attempt {} {} for {} key {:?}: expected {}, got {outcome}",
            self.worker, self.n, self.op, self.student, self.key, self.expected
        )
    }
}

/// Error codes no attempt may end with: the store gave up (`contention`, `store_error`) or
/// the waitlist was not used (`session_full`).
pub fn is_failure_code(error: &BookingError) -> bool {
    !matches!(error.code().as_str(), "already_booked" | "invalid_transition")
}

/// The session's status counts, for messages.
pub fn summary(s: &GroupSession) -> String {
    let count = |status| s.bookings.iter().filter(|b| b.status == status).count();
    format!(
        "version {}, {} bookings: {} confirmed, {} waitlisted, {} cancelled",
        s.version,
        s.bookings.len(),
        count(SeatStatus::Confirmed),
        count(SeatStatus::Waitlisted),
        count(SeatStatus::Cancelled)
    )
}

/// The session id as the worker's argument.
pub fn arg(id: SessionId) -> String {
    id.to_string()
}
