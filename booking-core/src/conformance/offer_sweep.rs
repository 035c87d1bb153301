//! The host's periodic offer sweep ([`Engine::process_expired_offers`](crate::Engine::process_expired_offers))
//! when one session cannot be processed: the others are, and their events are returned.

use super::harness::{Harness, StoreFactory, ensure, ensure_eq, new_session, step, student, t0, teacher};
use crate::repository::{Commit, StoreError, StoreWrapper, Write};
use crate::{Actor, Event, EventKind, NewGroupSession, OfferSweep, Repository, SeatStatus, SessionId, WaitlistMode};
use chrono::TimeDelta;
use std::sync::{Arc, Mutex, PoisonError};

/// The events of a sweep that must have processed every due session.
pub(super) fn swept(sweep: OfferSweep) -> Result<Vec<Event>, String> {
    match sweep.failures.first() {
        None => Ok(sweep.events),
        Some((session, e)) => {
            Err(format!("processing expired offers: session {session} failed with {} ({e})", e.code()))
        }
    }
}

/// The store under test, except that it refuses every commit that writes one chosen session
/// (as a store whose row for it is locked, or whose disk is full, would).
struct RefusingSession {
    inner: Arc<dyn Repository>,
    refused: Mutex<Option<SessionId>>,
}

impl RefusingSession {
    fn refuse(&self, session: Option<SessionId>) {
        *self.refused.lock().unwrap_or_else(PoisonError::into_inner) = session;
    }
}

impl StoreWrapper for RefusingSession {
    type Inner = Arc<dyn Repository>;

    fn inner(&self) -> &Arc<dyn Repository> {
        &self.inner
    }

    fn commit(this: &Self, commit: Commit) -> Result<(), StoreError> {
        let refused = *this.refused.lock().unwrap_or_else(PoisonError::into_inner);
        if commit.writes.iter().any(|w| matches!(w, Write::Session { session, .. } if Some(session.id) == refused)) {
            return Err(StoreError::Backend("the check's store refuses this session's commits".to_owned()));
        }
        this.inner.commit(commit)
    }
}

/// The sessions whose `offer_expired` events are among `events`.
fn expired_in(events: &[Event]) -> Vec<SessionId> {
    let mut sessions: Vec<SessionId> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::OfferExpired { session_id, .. } => Some(session_id),
            _ => None,
        })
        .collect();
    sessions.dedup();
    sessions
}

/// Three sessions with an offer due; the store refuses the commits of the second one the
/// sweep visits. The sweep still processes the first and the third, returns their events, and
/// reports the second, which is unchanged and processed by the next sweep.
pub(crate) fn offer_sweep_isolates_failures(f: StoreFactory<'_>) -> Result<(), String> {
    let store = Arc::new(RefusingSession { inner: f(), refused: Mutex::new(None) });
    let shared = Arc::clone(&store);
    let h = Harness::new(&move || Arc::clone(&shared) as Arc<dyn Repository>);
    let hold = 30;
    let mut offered = Vec::new();
    for n in 1..=3u32 {
        let new = NewGroupSession {
            waitlist_mode: WaitlistMode::Offer { hold_minutes: hold },
            starts_at: t0() + TimeDelta::days(i64::from(n)),
            ..new_session(teacher(n), 1, true)
        };
        let session = step("create a session", h.engine.create_session(Actor::Teacher(teacher(n)), new))?.value;
        let (first, second) = (student(2 * n), student(2 * n + 1));
        let seat = step("book the seat", h.engine.book_seat(Actor::Student(first), session.id, first))?.value;
        let waiting = step("join the waitlist", h.engine.book_seat(Actor::Student(second), session.id, second))?.value;
        step("cancel, offering the seat", h.engine.cancel_booking(Actor::Student(first), seat.id))?;
        offered.push((session.id, waiting.id));
    }
    h.clock.advance(TimeDelta::minutes(hold.into()));
    let now = h.engine.now();
    let due = step("sessions due", store.sessions_with_offers_due(now).map_err(Into::into))?;
    let mut sorted = due.clone();
    sorted.sort();
    let mut expected: Vec<SessionId> = offered.iter().map(|(s, _)| *s).collect();
    expected.sort();
    ensure_eq(sorted, expected, "the three sessions are due")?;

    let refused = due[1];
    let before = h.load(refused)?;
    store.refuse(Some(refused));
    let sweep = step("sweep with one session refused", h.engine.process_expired_offers(now))?;
    let failures: Vec<(SessionId, &str)> = sweep.failures.iter().map(|(s, e)| (*s, e.code().as_str())).collect();
    ensure_eq(failures, vec![(refused, "store_error")], "the refused session is reported, and only it")?;
    ensure_eq(expired_in(&sweep.events), vec![due[0], due[2]], "the events of the other sessions, in order")?;
    for (session, waiting) in &offered {
        // An expired booking has left its session for the booking history: read it by id.
        let status = h.engine.seat_booking(Actor::System, *waiting).ok().map(|b| b.status);
        let expected = if *session == refused { SeatStatus::Offered } else { SeatStatus::Expired };
        ensure_eq(status, Some(expected), &format!("the offer in session {session}"))?;
    }
    ensure(h.load(refused)? == before, || "the refused session changed".to_owned())?;
    let still_due = step("sessions due after", store.sessions_with_offers_due(now).map_err(Into::into))?;
    ensure_eq(still_due, vec![refused], "only the refused session is still due")?;

    store.refuse(None);
    let sweep = step("sweep again", h.engine.process_expired_offers(now))?;
    let events = swept(sweep)?;
    ensure_eq(expired_in(&events), vec![refused], "the next sweep processes it")?;
    let waiting = offered.iter().find(|(s, _)| *s == refused).map(|(_, b)| *b);
    let status = waiting.and_then(|b| h.engine.seat_booking(Actor::System, b).ok()).map(|b| b.status);
    ensure_eq(status, Some(SeatStatus::Expired), "its offer expired")
}
