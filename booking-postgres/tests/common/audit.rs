//! Audits a group session from the outbox: replays its events in commit order from the
//! created session with `GroupSession::apply`, checking the seat rules at every step.

use booking_core::Repository;
use booking_core::{Event, EventKind, GroupSession, SeatStatus, SessionId};
use booking_postgres::PgRepository;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What the outbox says happened to the session.
#[derive(Debug, Default)]
pub struct Replay {
    /// The session rebuilt from its events.
    pub session: Option<GroupSession>,
    /// How many times each booking was created (confirmed or waitlisted).
    pub created: HashMap<booking_core::BookingId, u32>,
    /// How many times each booking was cancelled.
    pub cancelled: HashMap<booking_core::BookingId, u32>,
    /// Promotions seen.
    pub promotions: u32,
    /// Events replayed.
    pub events: usize,
    /// The session version of the last commit in the outbox.
    pub last_version: u64,
}

/// Replays the session's outbox events; `Err` names the first step that broke a rule:
/// more seats taken than the capacity, a promotion that skipped the head of the waitlist,
/// an event naming an unknown booking, or a rebuilt state that differs from the stored one.
pub fn replay_outbox(store: &PgRepository, session_id: SessionId) -> Result<Replay, String> {
    let events = store.session_events(session_id).map_err(|e| format!("reading the outbox: {e}"))?;
    let mut ids = events.iter().map(|e| e.id);
    if let Some(first) = ids.next() {
        let mut prev = first;
        for id in ids {
            if id <= prev {
                return Err(format!("outbox ids not increasing: {prev} then {id}"));
            }
            prev = id;
        }
    }
    let mut replay = Replay { events: events.len(), ..Replay::default() };
    let mut events = events.into_iter().peekable();
    let first = events.next().ok_or("the session has no events")?;
    let EventKind::SessionCreated { session } = first.event.kind else {
        return Err(format!("the first event is {}, not session_created", first.event.kind.name()));
    };
    if first.session_version != Some(1) {
        return Err(format!("session_created at version {:?}", first.session_version));
    }
    let mut state = *session;
    let mut version = 1;
    while let Some(e) = events.next() {
        let at = e.session_version.ok_or_else(|| format!("event {} has no session version", e.id))?;
        if at != version && at != version + 1 {
            return Err(format!("event {} at version {at} follows version {version}: a commit is missing", e.id));
        }
        version = at;
        step(&mut state, &e.event, &mut replay)
            .map_err(|m| format!("event {} ({}): {m}", e.id, e.event.kind.name()))?;
        let commit_ends = events.peek().is_none_or(|next| next.session_version != Some(at));
        // After each commit: a free seat with someone waiting means a promotion was lost.
        let waiting = state.bookings.iter().any(|b| b.status == SeatStatus::Waitlisted);
        if commit_ends && waiting && state.booked_seats() < state.capacity {
            return Err(format!(
                "after version {at}: a seat is free ({} of {}) while students wait",
                state.booked_seats(),
                state.capacity
            ));
        }
    }
    replay.last_version = version;
    let stored = store
        .load_session(session_id)
        .map_err(|e| format!("loading the session: {e}"))?
        .ok_or("the session is not stored")?;
    if stored.version != replay.last_version {
        return Err(format!("stored at version {} but the outbox ends at {}", stored.version, replay.last_version));
    }
    let mut rebuilt = state.clone();
    rebuilt.version = stored.version;
    // The finished bookings are in the booking history, as the events left them.
    for finished in rebuilt.take_finished() {
        let kept = store.load_finished_booking(finished.id).map_err(|e| format!("reading the history: {e}"))?;
        if kept.as_ref() != Some(&finished) {
            return Err(format!(
                "finished booking {}: the history holds {kept:?}, the outbox {finished:?}",
                finished.id
            ));
        }
    }
    if rebuilt != *stored {
        return Err(format!("the outbox rebuilds a different session:\nrebuilt {rebuilt:#?}\nstored {stored:#?}"));
    }
    replay.session = Some(state);
    Ok(replay)
}

fn step(state: &mut GroupSession, event: &Event, replay: &mut Replay) -> Result<(), String> {
    match &event.kind {
        EventKind::BookingConfirmed { booking_id, .. } => {
            *replay.created.entry(*booking_id).or_default() += 1;
            if state.booked_seats() >= state.capacity {
                return Err(format!("confirmed with {} of {} seats taken", state.booked_seats(), state.capacity));
            }
        }
        EventKind::BookingWaitlisted { booking_id, .. } => {
            *replay.created.entry(*booking_id).or_default() += 1;
            if state.booked_seats() < state.capacity {
                return Err(format!("waitlisted with a free seat ({} of {})", state.booked_seats(), state.capacity));
            }
        }
        EventKind::BookingPromoted { booking_id, .. } => {
            replay.promotions += 1;
            let head = state.bookings.iter().find(|b| b.status == SeatStatus::Waitlisted).map(|b| b.id);
            if head != Some(*booking_id) {
                return Err(format!("promoted {booking_id} but the head of the waitlist is {head:?}"));
            }
        }
        EventKind::BookingCancelled { booking_id, .. } => {
            *replay.cancelled.entry(*booking_id).or_default() += 1;
        }
        _ => {}
    }
    if let Some(id) = event.kind.booking_id()
        && !matches!(event.kind, EventKind::BookingConfirmed { .. } | EventKind::BookingWaitlisted { .. })
        && state.booking(id).is_none()
    {
        return Err(format!("names booking {id}, which the session does not have"));
    }
    catch_unwind(AssertUnwindSafe(|| state.apply(event))).map_err(|_| "apply panicked".to_owned())?;
    if state.booked_seats() > state.capacity {
        return Err(format!("{} seats taken of {}", state.booked_seats(), state.capacity));
    }
    Ok(())
}
