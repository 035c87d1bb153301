//! In-process coordination of commands on the same aggregate ("local queueing").
//!
//! Many threads of one process booking the same hot session all load version N, decide, and
//! send a commit; the database lets one win and makes the others wait for the winner's row
//! lock and then fail; they load again, and again only one wins. That is correct, but most
//! of the database's work is wasted. Three cheap things remove most of the waste, and none of
//! them changes what a load returns or holds anything across a plain read:
//!
//! 1. **Known versions.** The process remembers the newest version it has seen of each
//!    aggregate (from loads and successful commits). A commit that expects an older version
//!    cannot succeed (versions only grow), so it fails with [`StoreError::Conflict`] at once,
//!    without a round trip.
//! 2. **One commit in flight per aggregate.** Commits touching the same aggregate leave this
//!    process one at a time (striped mutexes held for the commit's round trip, taken in stripe
//!    order), so the database's row-lock queue is at most one deep per process, and the
//!    known version is current when the next commit is checked.
//! 3. **Turns after a conflict.** A thread whose commit lost a race on aggregate X has proven
//!    it writes X: its next load of X waits for a *turn* on X, in FIFO order with the other
//!    losers, and it holds the turn until its commit returns. So the losers of a race queue
//!    instead of racing again. A load by any other thread (a first attempt, or a plain read)
//!    never queues: it only waits, at most for the turn's lease, while a turn holder is
//!    between its load and its commit, so it reads the version about to be written instead
//!    of the one about to be replaced.
//!
//! A turn is released when its holder's commit returns, when the holder next asks the store
//! for a request record or an index entry (the engine does so when a command starts or ends
//! refused), or after [`LEASE`] at the latest, whatever the holder does. Correctness rests on
//! the database's version check alone: several processes, an expired lease, or a forgotten
//! entry cost a conflict, never a wrong result.

use booking_core::repository::{AggregateKey, StoreError};
use std::cell::Cell;
use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

const STRIPES: usize = 1024;

/// The longest a turn is held, whatever its holder does.
pub(crate) const LEASE: Duration = Duration::from_millis(20);

#[derive(Debug, Default)]
struct Turns {
    holder: Option<(u64, Instant)>,
    queue: VecDeque<u64>,
    next_ticket: u64,
}

#[derive(Debug, Default)]
struct Stripe {
    /// Held while a commit touching an aggregate of this stripe is in flight.
    commit: Mutex<()>,
    /// The newest version seen of the last aggregate noted in this stripe.
    known: Mutex<Option<(AggregateKey, u64)>>,
    turns: Mutex<Turns>,
    turn_changed: Condvar,
}

/// Striped per-aggregate coordination for one store.
#[derive(Debug)]
pub(crate) struct Local {
    id: usize,
    stripes: Box<[Stripe]>,
    hasher: std::collections::hash_map::RandomState,
}

thread_local! {
    /// (store, aggregate, priority): this thread's last commit lost a race on the aggregate.
    static RETRYING: Cell<Option<(usize, AggregateKey, bool)>> = const { Cell::new(None) };
    /// (store, stripe, ticket): the turn this thread holds.
    static HOLDING: Cell<Option<(usize, usize, u64)>> = const { Cell::new(None) };
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

impl Local {
    pub(crate) fn new() -> Self {
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            stripes: (0..STRIPES).map(|_| Stripe::default()).collect(),
            hasher: Default::default(),
        }
    }

    fn stripe(&self, key: &AggregateKey) -> usize {
        (self.hasher.hash_one(key) as usize) % STRIPES
    }

    /// Records that `key` is stored at `version` or later.
    pub(crate) fn note(&self, key: AggregateKey, version: u64) {
        let mut known = lock(&self.stripes[self.stripe(&key)].known);
        match *known {
            Some((k, v)) if k == key && v >= version => {}
            _ => *known = Some((key, version)),
        }
    }

    fn known(&self, key: &AggregateKey) -> Option<u64> {
        match *lock(&self.stripes[self.stripe(key)].known) {
            Some((k, v)) if k == *key => Some(v),
            _ => None,
        }
    }

    /// Called before loading `key`: a thread retrying `key` waits for its turn; any other
    /// load waits, at most for the lease, while someone else holds the turn.
    pub(crate) fn before_load(&self, key: AggregateKey) {
        let index = self.stripe(&key);
        let stripe = &self.stripes[index];
        if HOLDING.get().is_some_and(|(store, s, _)| store == self.id && s == index) {
            return;
        }
        let retrying = match RETRYING.get() {
            Some((store, k, priority)) if store == self.id && k == key => {
                RETRYING.set(None);
                Some(priority)
            }
            _ => None,
        };
        let mut turns = lock(&stripe.turns);
        match retrying {
            Some(priority) => {
                let ticket = turns.next_ticket;
                turns.next_ticket += 1;
                if priority {
                    turns.queue.push_front(ticket);
                } else {
                    turns.queue.push_back(ticket);
                }
                loop {
                    let now = Instant::now();
                    let free = turns.holder.is_none_or(|(_, until)| until <= now);
                    if free && turns.queue.front() == Some(&ticket) {
                        turns.queue.pop_front();
                        turns.holder = Some((ticket, now + LEASE));
                        HOLDING.set(Some((self.id, index, ticket)));
                        return;
                    }
                    let wait = turns.holder.map_or(LEASE, |(_, until)| until.saturating_duration_since(now));
                    turns = stripe
                        .turn_changed
                        .wait_timeout(turns, wait.max(Duration::from_micros(50)))
                        .map_or_else(|poisoned| poisoned.into_inner().0, |(guard, _)| guard);
                }
            }
            None => {
                let deadline = Instant::now() + LEASE;
                while let Some((_, until)) = turns.holder {
                    let now = Instant::now();
                    let until = until.min(deadline);
                    if until <= now {
                        break;
                    }
                    turns = stripe
                        .turn_changed
                        .wait_timeout(turns, until - now)
                        .map_or_else(|poisoned| poisoned.into_inner().0, |(guard, _)| guard);
                }
            }
        }
    }

    /// Gives back the turn this thread holds, if any.
    pub(crate) fn release(&self) {
        let Some((store, index, ticket)) = HOLDING.get() else { return };
        if store != self.id {
            return;
        }
        HOLDING.set(None);
        let stripe = &self.stripes[index];
        let mut turns = lock(&stripe.turns);
        if turns.holder.is_some_and(|(t, _)| t == ticket) {
            turns.holder = None;
        }
        drop(turns);
        stripe.turn_changed.notify_all();
    }

    /// Runs `commit` while holding the commit gates of every aggregate in `writes` (key,
    /// expected version, new version), in stripe order; fails at once when one of them is
    /// known to be past its expected version, and notes the new versions when `commit`
    /// succeeds. On a conflict, the thread's next load of the aggregate waits for a turn.
    /// Gives back the thread's turn in any case.
    pub(crate) fn commit(
        &self,
        writes: &[(AggregateKey, u64, u64)],
        commit: impl FnOnce() -> Result<(), StoreError>,
        conflicting: impl FnOnce(&StoreError) -> Option<AggregateKey>,
    ) -> Result<(), StoreError> {
        let held = HOLDING.get().is_some_and(|(store, _, _)| store == self.id);
        let result = self.gated(writes, commit, conflicting);
        if let Err((_, Some(key))) = &result {
            RETRYING.set(Some((self.id, *key, held)));
        }
        self.release();
        result.map_err(|(e, _)| e)
    }

    fn gated(
        &self,
        writes: &[(AggregateKey, u64, u64)],
        commit: impl FnOnce() -> Result<(), StoreError>,
        conflicting: impl FnOnce(&StoreError) -> Option<AggregateKey>,
    ) -> Result<(), (StoreError, Option<AggregateKey>)> {
        let mut stripes: Vec<usize> = writes.iter().map(|(k, _, _)| self.stripe(k)).collect();
        stripes.sort_unstable();
        stripes.dedup();
        let _gates: Vec<MutexGuard<'_, ()>> = stripes.iter().map(|&i| lock(&self.stripes[i].commit)).collect();
        for (key, expected, _) in writes {
            if let Some(known) = self.known(key)
                && known > *expected
            {
                let e = StoreError::Conflict(format!("{key:?} is at version {known} or later (seen in this process)"));
                return Err((e, Some(*key)));
            }
        }
        if let Err(e) = commit() {
            let key = conflicting(&e);
            return Err((e, key));
        }
        for (key, _, version) in writes {
            self.note(*key, *version);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use booking_core::SessionId;
    use std::sync::Arc;
    use uuid::Uuid;

    fn key(n: u128) -> AggregateKey {
        AggregateKey::Session(SessionId::from_uuid(Uuid::from_u128(n)))
    }

    fn no_key(_: &StoreError) -> Option<AggregateKey> {
        None
    }

    #[test]
    fn a_commit_behind_a_seen_version_fails_without_running() {
        let q = Local::new();
        q.note(key(1), 5);
        let mut ran = false;
        let r = q.commit(
            &[(key(1), 4, 5)],
            || {
                ran = true;
                Ok(())
            },
            no_key,
        );
        assert!(matches!(r, Err(StoreError::Conflict(_))));
        assert!(!ran);
        assert!(q.commit(&[(key(1), 5, 6)], || Ok(()), no_key).is_ok());
        assert_eq!(q.known(&key(1)), Some(6));
        // An older note never lowers what is known.
        q.note(key(1), 3);
        assert_eq!(q.known(&key(1)), Some(6));
    }

    #[test]
    fn a_failed_commit_notes_nothing() {
        let q = Local::new();
        let r = q.commit(&[(key(2), 1, 2)], || Err(StoreError::Conflict("x".into())), |_| Some(key(2)));
        assert!(r.is_err());
        assert_eq!(q.known(&key(2)), None);
        // The loser's next load takes a turn, which its next commit gives back.
        q.before_load(key(2));
        assert!(HOLDING.get().is_some());
        assert!(q.commit(&[(key(2), 1, 2)], || Ok(()), no_key).is_ok());
        assert!(HOLDING.get().is_none());
    }

    #[test]
    fn other_threads_wait_for_a_turn_holder_at_most_the_lease() {
        let q = Arc::new(Local::new());
        let _ = q.commit(&[(key(3), 1, 2)], || Err(StoreError::Conflict("x".into())), |_| Some(key(3)));
        q.before_load(key(3));
        let other = {
            let q = Arc::clone(&q);
            std::thread::spawn(move || {
                let t = Instant::now();
                q.before_load(key(3));
                t.elapsed()
            })
        };
        std::thread::sleep(Duration::from_millis(5));
        q.release();
        let waited = other.join().unwrap();
        assert!(waited >= Duration::from_millis(4) && waited < LEASE * 5, "{waited:?}");
        // A holder that never comes back is overtaken after the lease.
        let _ = q.commit(&[(key(3), 1, 2)], || Err(StoreError::Conflict("x".into())), |_| Some(key(3)));
        q.before_load(key(3));
        let t = Instant::now();
        std::thread::spawn({
            let q = Arc::clone(&q);
            move || q.before_load(key(3))
        })
        .join()
        .unwrap();
        assert!(t.elapsed() >= LEASE / 2, "{:?}", t.elapsed());
        q.release();
    }
}
