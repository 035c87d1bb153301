//! A thread-safe in-memory store: the reference implementation of [`Repository`].
//!
//! Each session sits in its own cell behind its own mutex, and a cell holds an immutable
//! `Arc<GroupSession>` snapshot: loads clone an `Arc`, commits swap it. A hot session therefore
//! never stalls commands on other sessions; the shared maps (sessions, booking index, request
//! records) are held only for a hash-map lookup or insert.
//!
//! Lock order, which rules out deadlocks: session cells in ascending id order, then the
//! request records, then the session map, then the booking index. Nothing is locked while a
//! decision runs.

use crate::{
    Actor, BookingId, GroupSession, SessionId,
    repository::{BookingLocation, Commit, Repository, RequestKey, RequestRecord, StoreError, Write},
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

type Cell = Arc<Mutex<Arc<GroupSession>>>;

/// A [`Repository`] in process memory. Cheap to create; share it behind an `Arc` (the engine
/// does) between threads.
///
/// ```
/// use booking_core::{Engine, InMemoryRepository};
/// let engine = Engine::new(InMemoryRepository::new());
/// # let _ = engine;
/// ```
#[derive(Debug, Default)]
pub struct InMemoryRepository {
    sessions: RwLock<HashMap<SessionId, Cell>>,
    bookings: RwLock<HashMap<BookingId, BookingLocation>>,
    requests: Mutex<HashMap<(Actor, RequestKey), RequestRecord>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere never leaves a half-written value behind (values are swapped whole),
    // so a poisoned lock is safe to use.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl InMemoryRepository {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many sessions are stored.
    pub fn session_count(&self) -> usize {
        self.sessions.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    fn cell(&self, id: SessionId) -> Option<Cell> {
        self.sessions.read().unwrap_or_else(PoisonError::into_inner).get(&id).cloned()
    }
}

impl Repository for InMemoryRepository {
    fn load_session(&self, id: SessionId) -> Result<Option<Arc<GroupSession>>, StoreError> {
        Ok(self.cell(id).map(|cell| Arc::clone(&lock(&cell))))
    }

    fn locate_booking(&self, id: BookingId) -> Result<Option<BookingLocation>, StoreError> {
        Ok(self.bookings.read().unwrap_or_else(PoisonError::into_inner).get(&id).copied())
    }

    fn load_request(&self, actor: &Actor, key: &RequestKey) -> Result<Option<RequestRecord>, StoreError> {
        Ok(lock(&self.requests).get(&(*actor, key.clone())).cloned())
    }

    fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        // Existing sessions: lock their cells in id order and check versions.
        let mut existing: Vec<(&Arc<GroupSession>, u64, Cell)> = Vec::new();
        let mut created: Vec<&Arc<GroupSession>> = Vec::new();
        for write in &commit.writes {
            let Write::Session { expected_version, session } = write;
            if *expected_version == 0 {
                created.push(session);
            } else {
                let cell = self
                    .cell(session.id)
                    .ok_or_else(|| StoreError::Conflict(format!("session {} is gone", session.id)))?;
                existing.push((session, *expected_version, cell));
            }
        }
        existing.sort_by_key(|(s, _, _)| s.id);
        let mut guards = Vec::with_capacity(existing.len());
        for (session, expected, cell) in &existing {
            let guard = lock(cell);
            if guard.version != *expected {
                return Err(StoreError::Conflict(format!("session {} is at version {}", session.id, guard.version)));
            }
            guards.push(guard);
        }
        // The request records are locked only by commits that carry a key.
        let mut requests = commit.request.as_ref().map(|_| lock(&self.requests));
        if let (Some(record), Some(requests)) = (&commit.request, &requests)
            && requests.contains_key(&(record.actor, record.key.clone()))
        {
            return Err(StoreError::DuplicateRequest);
        }
        if !created.is_empty() {
            let mut sessions = self.sessions.write().unwrap_or_else(PoisonError::into_inner);
            if let Some(s) = created.iter().find(|s| sessions.contains_key(&s.id)) {
                return Err(StoreError::Conflict(format!("session {} already exists", s.id)));
            }
            for s in created {
                sessions.insert(s.id, Arc::new(Mutex::new(Arc::clone(s))));
            }
        }
        for (guard, (session, _, _)) in guards.iter_mut().zip(&existing) {
            **guard = Arc::clone(session);
        }
        {
            let mut new_bookings = commit.new_bookings().peekable();
            if new_bookings.peek().is_some() {
                self.bookings.write().unwrap_or_else(PoisonError::into_inner).extend(new_bookings);
            }
        }
        if let (Some(record), Some(requests)) = (commit.request, requests.as_mut()) {
            requests.insert((record.actor, record.key.clone()), record);
        }
        Ok(())
    }
}
