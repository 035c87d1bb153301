//! A thread-safe in-memory store: the reference implementation of [`Repository`].
//!
//! Each aggregate (session, calendar, lesson) sits in its own cell behind its own mutex, and
//! a cell holds an immutable `Arc` snapshot: loads clone an `Arc`, commits swap it. A hot
//! session therefore never stalls commands on other sessions; the shared maps (aggregates,
//! booking and slot indexes, request records) are held only for a hash-map lookup or insert.
//!
//! Lock order, which rules out deadlocks: aggregate cells in ascending [`AggregateKey`] order,
//! then the request records, then the aggregate map, then the booking history, then the
//! indexes, then the read indexes, then the outbox. Nothing is locked while a decision runs.
//!
//! Read-index entries and outbox events are written while the commit still holds its
//! aggregates' cells, so the outbox's order is the commit order of every aggregate.
//!
//! Finished seat bookings go to the booking history before their session's cell is swapped
//! (both under the cell's lock), so a reader never misses a booking that is in neither place.

use crate::{
    Actor, BookingId, CourseId, Event, GroupSession, SeatBooking, SessionId, SlotId, UserId,
    index::{IndexChanges, SessionIndex},
    lesson::{ApprovalSettings, Calendar, Lesson},
    repository::{
        AggregateKey, BookingLocation, Commit, IndexHit, IndexRange, Indexed, OutboxEntry, Repository, RequestKey,
        RequestRecord, StoreError, Write,
    },
};
use chrono::{DateTime, Utc};
use keys::Key;
use std::collections::{BTreeMap, HashMap, HashSet};

mod keys;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// One stored aggregate snapshot.
#[derive(Clone, Debug)]
enum Stored {
    Session(Arc<GroupSession>),
    Calendar(Arc<Calendar>),
    Lesson(Arc<Lesson>),
}

impl Stored {
    fn version(&self) -> u64 {
        match self {
            Stored::Session(s) => s.version,
            Stored::Calendar(c) => c.version,
            Stored::Lesson(l) => l.version,
        }
    }

    fn from_write(write: &Write) -> Self {
        match write {
            Write::Session { session, .. } => Stored::Session(Arc::clone(session)),
            Write::Calendar { calendar, .. } => Stored::Calendar(Arc::clone(calendar)),
            Write::Lesson { lesson, .. } => Stored::Lesson(Arc::clone(lesson)),
        }
    }
}

type Cell = Arc<Mutex<Stored>>;

/// A [`Repository`] in process memory. Share it behind an `Arc` (the engine does) between
/// threads. It also keeps the host-owned course data (approval settings, enrollments) that a
/// real host would serve from its own tables.
///
/// ```
/// use booking_core::{CourseId, Engine, InMemoryRepository, Repository, UserId};
/// let store = InMemoryRepository::new();
/// let (course, student) = (CourseId::from_uuid(uuid::Uuid::from_u128(1)), UserId::from_uuid(uuid::Uuid::from_u128(2)));
/// store.enroll(student, course);
/// assert!(store.is_enrolled(student, course).unwrap());
/// let engine = Engine::new(store);
/// # let _ = engine;
/// ```
#[derive(Debug, Default)]
pub struct InMemoryRepository {
    aggregates: RwLock<HashMap<AggregateKey, Cell>>,
    bookings: RwLock<HashMap<BookingId, BookingLocation>>,
    slots: RwLock<HashMap<SlotId, UserId>>,
    requests: Mutex<HashMap<(Actor, RequestKey), RequestRecord>>,
    /// The booking history: finished seat bookings, by id.
    finished: RwLock<HashMap<BookingId, SeatBooking>>,
    course_approval: RwLock<HashMap<CourseId, bool>>,
    teacher_approval: RwLock<HashMap<(UserId, CourseId), bool>>,
    enrollments: RwLock<HashSet<(UserId, CourseId)>>,
    /// Sessions with an outstanding seat offer, by its earliest deadline.
    offer_deadlines: Mutex<HashMap<SessionId, DateTime<Utc>>>,
    read_indexes: RwLock<ReadIndexes>,
    outbox: Mutex<Outbox>,
}

/// The read indexes: entries in sort order, keyed without text where the text is the
/// engine's own form ([`keys`]), in the order of the text. A commit applies the changes between
/// the aggregate's old and new state ([`IndexChanges`]), so nothing else is kept per aggregate.
#[derive(Debug, Default)]
struct ReadIndexes {
    sorted: BTreeMap<Key, AggregateKey>,
}

impl ReadIndexes {
    fn apply(&mut self, key: AggregateKey, changes: IndexChanges) {
        for gone in &changes.removed {
            self.sorted.remove(&Key::of_place(gone));
        }
        for came in &changes.added {
            self.sorted.insert(Key::of_place(came), key);
        }
    }
}

/// The read-index changes of writing `write` over `old` (`None`: a new aggregate).
fn index_changes(old: Option<&Stored>, write: &Write) -> IndexChanges {
    match (old, write) {
        (Some(Stored::Session(old)), Write::Session { session, .. }) => IndexChanges::of_session(Some(old), session),
        (_, Write::Session { session, .. }) => IndexChanges::of_session(None, session),
        (Some(Stored::Lesson(old)), Write::Lesson { lesson, .. }) => IndexChanges::of_lesson(Some(old), lesson),
        (_, Write::Lesson { lesson, .. }) => IndexChanges::of_lesson(None, lesson),
        (_, Write::Calendar { .. }) => IndexChanges::default(),
    }
}

/// The outbox: events by position; `last` is the last position given out.
#[derive(Debug, Default)]
struct Outbox {
    last: u64,
    events: BTreeMap<u64, Event>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Values are swapped whole, never left half-written, so a poisoned lock is safe to use.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}

impl InMemoryRepository {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many aggregates (sessions, calendars, lessons) are stored.
    pub fn aggregate_count(&self) -> usize {
        read(&self.aggregates).len()
    }

    /// Host data: the course's own approval setting (`None` removes it).
    pub fn set_course_approval(&self, course_id: CourseId, requires_approval: Option<bool>) {
        set_or_remove(&mut write(&self.course_approval), course_id, requires_approval);
    }

    /// Host data: a teacher's approval override for a course (`None` removes it).
    pub fn set_teacher_approval(&self, teacher_id: UserId, course_id: CourseId, requires_approval: Option<bool>) {
        set_or_remove(&mut write(&self.teacher_approval), (teacher_id, course_id), requires_approval);
    }

    /// Host data: enrolls a student in a course.
    pub fn enroll(&self, student_id: UserId, course_id: CourseId) {
        write(&self.enrollments).insert((student_id, course_id));
    }

    /// Host data: removes a student from a course.
    pub fn unenroll(&self, student_id: UserId, course_id: CourseId) {
        write(&self.enrollments).remove(&(student_id, course_id));
    }

    fn cell(&self, key: AggregateKey) -> Option<Cell> {
        read(&self.aggregates).get(&key).cloned()
    }

    fn load(&self, key: AggregateKey) -> Option<Stored> {
        self.cell(key).map(|cell| lock(&cell).clone())
    }
}

fn set_or_remove<K: std::hash::Hash + Eq>(map: &mut HashMap<K, bool>, key: K, value: Option<bool>) {
    match value {
        Some(v) => map.insert(key, v),
        None => map.remove(&key),
    };
}

impl Repository for InMemoryRepository {
    fn load_session(&self, id: SessionId) -> Result<Option<Arc<GroupSession>>, StoreError> {
        match self.load(AggregateKey::Session(id)) {
            Some(Stored::Session(s)) => Ok(Some(s)),
            _ => Ok(None),
        }
    }

    fn load_calendar(&self, owner: UserId) -> Result<Option<Arc<Calendar>>, StoreError> {
        match self.load(AggregateKey::Calendar(owner)) {
            Some(Stored::Calendar(c)) => Ok(Some(c)),
            _ => Ok(None),
        }
    }

    fn load_lesson(&self, id: BookingId) -> Result<Option<Arc<Lesson>>, StoreError> {
        match self.load(AggregateKey::Lesson(id)) {
            Some(Stored::Lesson(l)) => Ok(Some(l)),
            _ => Ok(None),
        }
    }

    fn locate_booking(&self, id: BookingId) -> Result<Option<BookingLocation>, StoreError> {
        Ok(read(&self.bookings).get(&id).copied())
    }

    fn locate_slot(&self, id: SlotId) -> Result<Option<UserId>, StoreError> {
        Ok(read(&self.slots).get(&id).copied())
    }

    fn load_request(&self, actor: &Actor, key: &RequestKey) -> Result<Option<RequestRecord>, StoreError> {
        Ok(lock(&self.requests).get(&(*actor, key.clone())).cloned())
    }

    fn approval_settings(&self, course_id: CourseId, teacher_id: UserId) -> Result<ApprovalSettings, StoreError> {
        Ok(ApprovalSettings {
            course: read(&self.course_approval).get(&course_id).copied(),
            teacher_override: read(&self.teacher_approval).get(&(teacher_id, course_id)).copied(),
        })
    }

    fn is_enrolled(&self, student_id: UserId, course_id: CourseId) -> Result<bool, StoreError> {
        Ok(read(&self.enrollments).contains(&(student_id, course_id)))
    }

    fn sessions_with_offers_due(&self, until: DateTime<Utc>) -> Result<Vec<SessionId>, StoreError> {
        let mut due: Vec<(DateTime<Utc>, SessionId)> =
            lock(&self.offer_deadlines).iter().filter(|(_, d)| **d <= until).map(|(s, d)| (*d, *s)).collect();
        due.sort_unstable();
        Ok(due.into_iter().map(|(_, s)| s).collect())
    }

    fn load_finished_booking(&self, id: BookingId) -> Result<Option<SeatBooking>, StoreError> {
        Ok(read(&self.finished).get(&id).cloned())
    }

    fn prune_requests(&self, recorded_before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut requests = lock(&self.requests);
        let before = requests.len();
        requests.retain(|_, record| record.recorded_at >= recorded_before);
        Ok((before - requests.len()) as u64)
    }

    fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        // Existing aggregates: lock their cells in key order and check versions.
        let mut existing: Vec<(AggregateKey, &Write, Cell)> = Vec::new();
        let mut created: Vec<(AggregateKey, &Write)> = Vec::new();
        for w in &commit.writes {
            let key = w.key();
            if w.expected_version() == 0 {
                created.push((key, w));
            } else {
                let cell = self.cell(key).ok_or_else(|| StoreError::Conflict(format!("{key:?} is not stored")))?;
                existing.push((key, w, cell));
            }
        }
        existing.sort_by_key(|(key, _, _)| *key);
        let mut guards = Vec::with_capacity(existing.len());
        for (key, w, cell) in &existing {
            let guard = lock(cell);
            if guard.version() != w.expected_version() {
                return Err(StoreError::Conflict(format!("{key:?} is at version {}", guard.version())));
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
        // New aggregates are locked like the existing ones until their read-index entries are
        // in, so a commit that finds one right away applies its changes after these.
        let created_cells: Vec<Cell> =
            created.iter().map(|(_, w)| Arc::new(Mutex::new(Stored::from_write(w)))).collect();
        let _created_guards: Vec<MutexGuard<'_, Stored>> = created_cells.iter().map(|cell| lock(cell)).collect();
        if !created.is_empty() {
            let mut aggregates = write(&self.aggregates);
            if let Some((key, _)) = created.iter().find(|(key, _)| aggregates.contains_key(key)) {
                return Err(StoreError::Conflict(format!("{key:?} already exists")));
            }
            for ((key, _), cell) in created.iter().zip(&created_cells) {
                aggregates.insert(*key, Arc::clone(cell));
            }
        }
        if !commit.finished_bookings.is_empty() {
            let mut finished = write(&self.finished);
            finished.extend(commit.finished_bookings.iter().map(|b| (b.id, b.clone())));
        }
        let mut changes = Vec::with_capacity(commit.writes.len());
        changes.extend(created.iter().map(|(key, w)| (*key, index_changes(None, w))));
        for (guard, (key, w, _)) in guards.iter_mut().zip(&existing) {
            changes.push((*key, index_changes(Some(&**guard), w)));
            **guard = Stored::from_write(w);
        }
        {
            let mut new_bookings = commit.new_bookings().peekable();
            if new_bookings.peek().is_some() {
                write(&self.bookings).extend(new_bookings);
            }
            let mut new_slots = commit.new_slots().peekable();
            if new_slots.peek().is_some() {
                write(&self.slots).extend(new_slots);
            }
            // Still under the sessions' cell locks, so deadlines are indexed in commit order.
            for w in &commit.writes {
                if let Write::Session { session, .. } = w
                    && matches!(session.waitlist_mode, crate::WaitlistMode::Offer { .. })
                {
                    let mut deadlines = lock(&self.offer_deadlines);
                    match SessionIndex::of(session).offer_deadline {
                        Some(deadline) => deadlines.insert(session.id, deadline),
                        None => deadlines.remove(&session.id),
                    };
                }
            }
        }
        {
            let mut read_indexes = write(&self.read_indexes);
            for (key, changes) in changes {
                read_indexes.apply(key, changes);
            }
        }
        if !commit.events.is_empty() {
            let mut outbox = lock(&self.outbox);
            for event in &commit.events {
                outbox.last += 1;
                let position = outbox.last;
                outbox.events.insert(position, event.clone());
            }
        }
        if let (Some(record), Some(requests)) = (commit.request, requests.as_mut()) {
            requests.insert((record.actor, record.key.clone()), record);
        }
        Ok(())
    }

    fn read_index(&self, range: &IndexRange) -> Result<Vec<IndexHit>, StoreError> {
        use std::ops::Bound::Excluded;
        let keys: Vec<(String, AggregateKey)> = {
            let read_indexes = read(&self.read_indexes);
            let lower = Key::of(range.index, &range.partition, &range.after);
            let upper = Key::of(range.index, &range.partition, &range.before);
            if lower >= upper {
                return Ok(Vec::new());
            }
            read_indexes
                .sorted
                .range((Excluded(lower), Excluded(upper)))
                .take(range.limit as usize)
                .map(|(sort, key)| (sort.sort_text(), *key))
                .collect()
        };
        Ok(keys
            .into_iter()
            .filter_map(|(sort, key)| {
                let aggregate = match self.load(key)? {
                    Stored::Session(session) => Indexed::Session(session),
                    Stored::Lesson(lesson) => Indexed::Lesson(lesson),
                    Stored::Calendar(_) => return None,
                };
                Some(IndexHit { sort, aggregate })
            })
            .collect())
    }

    fn read_outbox(&self, after: u64, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let outbox = lock(&self.outbox);
        Ok(outbox
            .events
            .range(after.saturating_add(1)..)
            .take(limit as usize)
            .map(|(position, event)| OutboxEntry { position: *position, event: event.clone() })
            .collect())
    }

    fn acknowledge_outbox(&self, up_to: u64) -> Result<u64, StoreError> {
        let mut outbox = lock(&self.outbox);
        let kept = outbox.events.split_off(&up_to.saturating_add(1));
        let acknowledged = std::mem::replace(&mut outbox.events, kept).len();
        Ok(acknowledged as u64)
    }
}
