//! The last snapshots of aggregates this process loaded or committed, so that a load of an
//! aggregate that has not changed since costs no body transfer and no decoding.
//!
//! A load sends the cached version along (`CASE WHEN version = $2 THEN NULL ELSE body END`):
//! the database answers with the row's version and, only if that differs, the body. A
//! version names exactly one state of an aggregate (every change commits a new version), so
//! a cached snapshot at the stored version *is* the stored state. What a load returns is
//! therefore always decided by the database, in the same statement; the cache only saves
//! shipping and decoding a body both sides already have. (The one thing it cannot notice is
//! a body edited in place without a version bump: never do that; bump `version` too.)
//!
//! The cache is small and bounded: a fixed number of slots, each holding the last aggregate
//! that hashed to it.

use booking_core::{
    GroupSession,
    index::IndexEntryChanges,
    lesson::{Calendar, Lesson},
    repository::{AggregateKey, Write},
};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};

const SLOTS: usize = 256;

/// One aggregate's state.
#[derive(Clone, Debug)]
pub(crate) enum Snapshot {
    Session(Arc<GroupSession>),
    Calendar(Arc<Calendar>),
    Lesson(Arc<Lesson>),
}

/// The aggregate kinds, for loading them generically.
pub(crate) trait Aggregate: serde::de::DeserializeOwned + Sized {
    /// Names the kind in records and errors.
    const KIND: &'static str;
    /// Its id and version, as the body says.
    fn identity(&self) -> (uuid::Uuid, u64);
    fn wrap(this: Arc<Self>) -> Snapshot;
    fn unwrap(snapshot: Snapshot) -> Option<Arc<Self>>;
}

impl Aggregate for GroupSession {
    const KIND: &'static str = "session";
    fn identity(&self) -> (uuid::Uuid, u64) {
        (self.id.as_uuid(), self.version)
    }
    fn wrap(this: Arc<Self>) -> Snapshot {
        Snapshot::Session(this)
    }
    fn unwrap(snapshot: Snapshot) -> Option<Arc<Self>> {
        match snapshot {
            Snapshot::Session(s) => Some(s),
            _ => None,
        }
    }
}

impl Aggregate for Calendar {
    const KIND: &'static str = "calendar";
    fn identity(&self) -> (uuid::Uuid, u64) {
        (self.owner.as_uuid(), self.version)
    }
    fn wrap(this: Arc<Self>) -> Snapshot {
        Snapshot::Calendar(this)
    }
    fn unwrap(snapshot: Snapshot) -> Option<Arc<Self>> {
        match snapshot {
            Snapshot::Calendar(c) => Some(c),
            _ => None,
        }
    }
}

impl Aggregate for Lesson {
    const KIND: &'static str = "lesson";
    fn identity(&self) -> (uuid::Uuid, u64) {
        (self.id.as_uuid(), self.version)
    }
    fn wrap(this: Arc<Self>) -> Snapshot {
        Snapshot::Lesson(this)
    }
    fn unwrap(snapshot: Snapshot) -> Option<Arc<Self>> {
        match snapshot {
            Snapshot::Lesson(l) => Some(l),
            _ => None,
        }
    }
}

type Slot = Mutex<Option<(AggregateKey, u64, Snapshot)>>;

/// Fixed-size cache of the newest snapshots seen.
#[derive(Debug)]
pub(crate) struct SnapshotCache {
    slots: Box<[Slot]>,
    hasher: std::collections::hash_map::RandomState,
}

impl SnapshotCache {
    pub(crate) fn new() -> Self {
        Self { slots: (0..SLOTS).map(|_| Mutex::new(None)).collect(), hasher: Default::default() }
    }

    fn slot(&self, key: &AggregateKey) -> &Slot {
        &self.slots[(self.hasher.hash_one(key) as usize) % SLOTS]
    }

    /// The cached snapshot of `key` and its version.
    pub(crate) fn get<T: Aggregate>(&self, key: &AggregateKey) -> Option<(u64, Arc<T>)> {
        let slot = self.slot(key).lock().unwrap_or_else(PoisonError::into_inner);
        match &*slot {
            Some((k, v, snapshot)) if k == key => T::unwrap(snapshot.clone()).map(|s| (*v, s)),
            _ => None,
        }
    }

    /// What `write` changes in its aggregate's read-index entries
    /// ([`IndexEntryChanges`], computed by the core), if the state it was decided on is cached:
    /// the aggregate at the write's expected version. The commit applies them only if its
    /// version check passes, so the stored rows are then that state's entries. `None` for a
    /// new aggregate, a calendar (no entries), or a state not cached.
    pub(crate) fn read_entry_changes(&self, write: &Write) -> Option<IndexEntryChanges> {
        let expected = write.expected_version();
        let at_expected = |version: u64| expected != 0 && version == expected;
        match write {
            Write::Session { session, .. } => self
                .get::<GroupSession>(&write.key())
                .filter(|(version, _)| at_expected(*version))
                .map(|(_, stored)| IndexEntryChanges::of_session(&stored, session)),
            Write::Lesson { lesson, .. } => self
                .get::<Lesson>(&write.key())
                .filter(|(version, _)| at_expected(*version))
                .map(|(_, stored)| IndexEntryChanges::of_lesson(&stored, lesson)),
            Write::Calendar { .. } => None,
        }
    }

    /// Remembers `snapshot` as `key` at `version`, unless a newer one of `key` is cached.
    pub(crate) fn put(&self, key: AggregateKey, version: u64, snapshot: Snapshot) {
        let mut slot = self.slot(&key).lock().unwrap_or_else(PoisonError::into_inner);
        match &*slot {
            Some((k, v, _)) if *k == key && *v > version => {}
            _ => *slot = Some((key, version, snapshot)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use booking_core::UserId;

    #[test]
    fn keeps_the_newest_snapshot_of_a_key() {
        let cache = SnapshotCache::new();
        let owner = UserId::from_uuid(uuid::Uuid::from_u128(1));
        let key = AggregateKey::Calendar(owner);
        let at = |v: u64| {
            let mut c = Calendar::new(owner);
            c.version = v;
            Arc::new(c)
        };
        assert!(cache.get::<Calendar>(&key).is_none());
        cache.put(key, 2, Snapshot::Calendar(at(2)));
        cache.put(key, 1, Snapshot::Calendar(at(1)));
        assert_eq!(cache.get::<Calendar>(&key).map(|(v, c)| (v, c.version)), Some((2, 2)));
        // A snapshot of another kind under the key is not returned as this kind.
        assert!(cache.get::<Lesson>(&key).is_none());
    }
}
