//! The store indexes ([`crate::index`]): what a store answers from the values it keeps beside
//! the bodies agrees with the values the core computes from the bodies it stored.

use super::harness::{Harness, StoreFactory, ensure_eq, new_session, step, student, t0, teacher};
use crate::{Actor, NewGroupSession, SessionId, WaitlistMode, index::SessionIndex};
use chrono::{DateTime, TimeDelta, Utc};

/// Sessions with offers of different deadlines (one accepted, one declined and passed on, one
/// in a session without offers): for every `until`,
/// [`Repository::sessions_with_offers_due`](crate::Repository::sessions_with_offers_due) names
/// exactly the stored sessions whose [`SessionIndex::offer_deadline`] is at or before it,
/// earliest deadline first (then by id).
pub(crate) fn offer_deadlines_agree_with_the_core(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let mut sessions: Vec<SessionId> = Vec::new();
    // Session n holds offers for n * 10 minutes; session 5 promotes instead of offering.
    for n in 1..=5u32 {
        let mode = if n == 5 { WaitlistMode::Promote } else { WaitlistMode::Offer { hold_minutes: n * 10 } };
        let new = NewGroupSession {
            waitlist_mode: mode,
            starts_at: t0() + TimeDelta::days(i64::from(n)),
            ..new_session(teacher(n), 1, true)
        };
        let session = step("create a session", h.engine.create_session(Actor::Teacher(teacher(n)), new))?.value;
        let (first, second, third) = (student(3 * n), student(3 * n + 1), student(3 * n + 2));
        let seat = step("book the seat", h.engine.book_seat(Actor::Student(first), session.id, first))?.value;
        let waiting = step("wait", h.engine.book_seat(Actor::Student(second), session.id, second))?.value;
        step("wait too", h.engine.book_seat(Actor::Student(third), session.id, third))?;
        step("cancel, freeing the seat", h.engine.cancel_booking(Actor::Student(first), seat.id))?;
        match n {
            2 => {
                step("accept the offer", h.engine.accept_offer(Actor::Student(second), waiting.id))?;
            }
            3 => {
                h.clock.advance(TimeDelta::minutes(5));
                step("decline, passing the offer on", h.engine.decline_offer(Actor::Student(second), waiting.id))?;
            }
            _ => {}
        }
        sessions.push(session.id);
    }
    let store = h.engine.repository();
    let mut deadlines: Vec<(DateTime<Utc>, SessionId)> = Vec::new();
    for id in &sessions {
        let stored = step("load a stored session", store.load_session(*id).map_err(Into::into))?
            .ok_or_else(|| format!("session {id} is not stored"))?;
        if let Some(deadline) = SessionIndex::of(&stored).offer_deadline {
            deadlines.push((deadline, *id));
        }
    }
    deadlines.sort();
    ensure_eq(deadlines.len(), 3, "sessions 1, 3 and 4 have an offer outstanding")?;
    let mut instants: Vec<DateTime<Utc>> =
        deadlines.iter().flat_map(|(d, _)| [*d - TimeDelta::seconds(1), *d]).collect();
    instants.extend([t0(), t0() + TimeDelta::days(30)]);
    for until in instants {
        let expected: Vec<SessionId> = deadlines.iter().filter(|(d, _)| *d <= until).map(|(_, s)| *s).collect();
        let due = step("sessions due", store.sessions_with_offers_due(until).map_err(Into::into))?;
        ensure_eq(due, expected, &format!("the sessions with an offer due by {until}"))?;
    }
    Ok(())
}
