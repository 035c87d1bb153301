//! [`Repository::commit_all`]: several commits in one step (what group commit hands a store),
//! applied in order, each conditional on the version the one before it writes; on a failure,
//! exactly the commits before the failing one are applied, as [`BatchFailure::committed`]
//! says (none, for a store that applies a batch all or none).

use super::harness::{Harness, StoreFactory, ensure, ensure_eq, new_session, step, teacher};
use crate::{
    Actor, Command, GroupSession, Outcome, OutcomeValue, RequestKey, SessionId,
    repository::{BatchFailure, Commit, Repository, RequestRecord, StoreError, Write},
};
use std::sync::Arc;

/// The session as the store holds it.
fn stored(h: &Harness, id: SessionId) -> Result<Arc<GroupSession>, String> {
    h.engine
        .repository()
        .load_session(id)
        .map_err(|e| format!("loading session {id}: {e}"))?
        .ok_or_else(|| format!("session {id} is not stored"))
}

/// The commit that moves `from` to the next version with `title`, recorded under `key` if given.
fn retitle(from: &GroupSession, title: &str, key: Option<&str>) -> Result<(Commit, Arc<GroupSession>), String> {
    let mut next = from.clone();
    next.title = title.to_owned();
    next.version = from.version + 1;
    let next = Arc::new(next);
    let request = match key {
        Some(key) => Some(RequestRecord {
            actor: Actor::Teacher(teacher(1)),
            key: RequestKey::new(key.to_owned()).map_err(|e| e.to_string())?,
            command: Command::SetWaitlist { session_id: from.id, enabled: true },
            outcome: Outcome {
                value: OutcomeValue::Session { session: Arc::clone(&next) },
                events: Vec::new(),
                version: next.version,
            },
            recorded_at: super::harness::t0(),
        }),
        None => None,
    };
    let write = Write::Session { expected_version: from.version, session: Arc::clone(&next) };
    Ok((Commit { writes: vec![write], request, events: Vec::new(), finished_bookings: Vec::new() }, next))
}

/// Chained commits are applied in order; a batch whose second commit conflicts (or records a
/// request key again) leaves exactly the prefix the store reports applied.
pub(crate) fn commit_all_applies_a_prefix(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let created = step(
        "creating a session",
        h.engine.create_session(Actor::Teacher(teacher(1)), new_session(teacher(1), 3, true)),
    )?;
    let id = created.value.id;
    let store = h.engine.repository();

    let v1 = stored(&h, id)?;
    let (first, v2) = retitle(&v1, "Second", Some("batch-1"))?;
    let (second, v3) = retitle(&v2, "Third", None)?;
    store.commit_all(vec![first, second]).map_err(|e| format!("a chained batch of two: {e}"))?;
    let now = stored(&h, id)?;
    ensure_eq((now.version, now.title.as_str()), (v3.version, "Third"), "the session after a chained batch")?;
    let recorded = store.load_request(&Actor::Teacher(teacher(1)), &RequestKey::new("batch-1".to_owned()).unwrap());
    ensure(matches!(recorded, Ok(Some(_))), || format!("the batch's request record: {recorded:?}"))?;

    // The second commit expects the version the first replaces: a conflict.
    let (ok, _) = retitle(&now, "Fourth", None)?;
    let (stale, _) = retitle(&now, "Fourth again", None)?;
    let failure = store.commit_all(vec![ok, stale]).err().ok_or("a batch with a stale commit was applied")?;
    check_failure(&failure, 1, |e| matches!(e, StoreError::Conflict(_)), "a stale second commit")?;
    let after = stored(&h, id)?;
    ensure_eq(after.version, now.version + failure.committed as u64, "the version after the stale batch")?;

    // The second commit records a key already recorded (by the first batch).
    let (ok, next) = retitle(&after, "Fifth", Some("batch-2"))?;
    let (again, _) = retitle(&next, "Sixth", Some("batch-1"))?;
    let failure = store.commit_all(vec![ok, again]).err().ok_or("a batch recording a key twice was applied")?;
    check_failure(&failure, 1, |e| *e == StoreError::DuplicateRequest, "a request key recorded before")?;
    let last = stored(&h, id)?;
    ensure_eq(last.version, after.version + failure.committed as u64, "the version after the duplicate key")?;
    let second_key = store.load_request(&Actor::Teacher(teacher(1)), &RequestKey::new("batch-2".to_owned()).unwrap());
    ensure(matches!((&second_key, failure.committed), (Ok(Some(_)), 1) | (Ok(None), 0)), || {
        format!("the first commit's request record is stored exactly when it was applied: {second_key:?}")
    })?;
    ensure(store.commit_all(Vec::new()).is_ok(), || "an empty batch".to_owned())
}

/// `failure` stopped at commit `at` (0-based) or, for an all-or-none store, at none.
fn check_failure(
    failure: &BatchFailure,
    at: usize,
    is: impl Fn(&StoreError) -> bool,
    what: &str,
) -> Result<(), String> {
    ensure(failure.committed == 0 || failure.committed == at, || {
        format!("{what}: {failure:?} applied a wrong prefix")
    })?;
    ensure(is(&failure.error), || format!("{what}: {failure:?} is the wrong error"))
}
