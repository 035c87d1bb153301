//! A [`Repository`] over a versioned document store (feature `documents`): the way a store
//! written in another language (Python, Kotlin, Swift) or over an application's own tables
//! plugs into the engine.
//!
//! A foreign store should not have to mirror every Rust type. [`DocumentStore`] asks it for
//! much less: keep each aggregate as an opaque JSON **document** with a version, keep two
//! small indexes and the request records, and apply a [`DocumentCommit`] atomically and
//! conditionally. [`DocumentRepository`] turns any `DocumentStore` into a [`Repository`]:
//! it encodes and decodes the documents, checks what it reads (a document whose body does
//! not match its key or version is reported as [`StoreError::Corrupt`]), and knows no
//! booking rule either. The bindings (`booking-py`, `booking-uniffi`) wrap their foreign
//! store objects in it, so every store in every language runs the same engine code.
//!
//! What a `DocumentStore` must guarantee is what [`Repository`] asks (see the
//! [repository module](crate::repository)): [`DocumentStore::commit`] applies every write
//! only if the stored version of its aggregate is still `expected_version` (`0`: it must not
//! exist), stores the request only if its `(scope, key)` is new, and applies all or nothing,
//! answering [`StoreError::Conflict`] or [`StoreError::DuplicateRequest`] otherwise.
//!
//! [`MemoryDocumentStore`] is the reference implementation, short enough to port: it passes
//! the conformance suite through [`DocumentRepository`].
//!
//! # Booking history and retention
//! A commit that finishes seat bookings (cancelled, declined, expired) moves them out of the
//! session document it writes and hands them over in [`DocumentCommit::finished_bookings`], as
//! JSON bodies keyed by booking id: the store keeps them in the same atomic step (replacing a
//! body already kept under the same id) and returns one from
//! [`DocumentStore::load_finished_booking`]. The request record of a commit comes with its
//! [`DocumentRequest::recorded_at`], which the store keeps beside the body so that
//! [`DocumentStore::prune_requests`] can delete the records recorded before an instant (an
//! operator's action, through [`Engine::prune_requests`](crate::Engine::prune_requests)). See
//! [`crate::repository`], "Booking history" and "Retention", for why.
//!
//! # Upgrading a store written against the previous contract
//! The contract gained two methods and two fields; a store written before adds:
//! 1. **A booking history**: a table (or map) from booking id to a JSON body. In
//!    [`DocumentStore::commit`], after the checks and in the same transaction as the writes,
//!    insert-or-replace every `(id, body)` of [`DocumentCommit::finished_bookings`];
//!    [`DocumentStore::load_finished_booking`] returns the body stored under an id, or `None`.
//! 2. **`recorded_at` beside each request record**: store [`DocumentRequest::recorded_at`]
//!    with the body; [`DocumentStore::prune_requests`] deletes the records with `recorded_at`
//!    before the instant given and returns how many it deleted. Records stored before the
//!    upgrade have the instant in their body (the `"recorded_at"` field of the JSON, RFC 3339):
//!    fill the new column from it in the migration that adds it.
//!
//! Nothing else changes and no stored document needs rewriting: a session stored with its
//! finished bookings in it (as every session was before) is read as it is, and the engine
//! moves them out with the session's next change.
//!
//! ```
//! use booking_core::document::{DocumentRepository, MemoryDocumentStore};
//! use booking_core::{Actor, Engine, NewGroupSession, UserId};
//! use chrono::{Duration, Utc};
//!
//! let engine = Engine::new(DocumentRepository::new(MemoryDocumentStore::new()));
//! let teacher = UserId::from_uuid(uuid::Uuid::now_v7());
//! let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
//!     teacher_id: teacher, course_id: None, title: "Choir".into(),
//!     starts_at: Utc::now() + Duration::days(2), time_zone: "Europe/Vienna".into(),
//!     duration_minutes: 60, meeting_link: "https://meet.example.com/choir".into(),
//!     capacity: 12, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
//! })?.value;
//! // The session, and the teacher's calendar that holds its time.
//! let stored = engine.repository().store().documents();
//! let kinds: Vec<_> = stored.iter().map(|(key, _)| key.kind()).collect();
//! assert_eq!(kinds, ["session", "calendar"]);
//! assert_eq!(stored[0].1.version, session.version);
//! # Ok::<(), booking_core::BookingError>(())
//! ```

use crate::{
    Actor, BookingId, CourseId, Event, GroupSession, SeatBooking, SessionId, SlotId, UserId,
    index::IndexEntry,
    lesson::{ApprovalSettings, Calendar, Lesson},
    repository::{
        AggregateKey, BookingLocation, Commit, IndexHit, IndexRange, Indexed, OutboxEntry, Repository, RequestKey,
        RequestRecord, StoreError, Write,
    },
};
use chrono::{DateTime, Utc};
use serde::{Serialize, de::DeserializeOwned};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// One stored aggregate: its version and its JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// The aggregate's version (1 for the first stored state, +1 per commit).
    pub version: u64,
    /// The aggregate as JSON, exactly as [`DocumentCommit`] handed it over.
    pub body: String,
}

/// One conditional write of a [`DocumentCommit`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentWrite {
    /// Which aggregate.
    pub key: AggregateKey,
    /// Apply only if the stored version is this one (`0`: only if nothing is stored).
    pub expected_version: u64,
    /// The version the document has after the write.
    pub version: u64,
    /// The new state, as JSON.
    pub body: String,
    /// For a session in offer mode: the earliest deadline of its outstanding seat offers,
    /// `None` when it has none ([`SessionIndex::offer_deadline`](crate::index::SessionIndex::offer_deadline)). The store keeps it with the document (replacing the previous
    /// one) and answers [`DocumentStore::sessions_with_offers_due`] from it.
    pub offer_deadline: Option<DateTime<Utc>>,
    /// The aggregate's read-index entries ([`Write::read_entries`]): the store replaces every
    /// entry it keeps for this key with these, and answers [`DocumentStore::read_index`] from
    /// them.
    pub read_entries: Vec<IndexEntry>,
}

/// One answer of [`DocumentStore::read_index`]: an entry's sort key, the aggregate it lists,
/// and that aggregate's stored document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentHit {
    /// The entry's [`IndexEntry::sort`].
    pub sort: String,
    /// The aggregate.
    pub key: AggregateKey,
    /// Its document as stored now.
    pub document: Document,
}

/// The request record a commit stores under `(scope, key)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentRequest {
    /// Who sent the request, as [`actor_scope`] spells it; keys are unique per scope.
    pub scope: String,
    /// The client's request key.
    pub key: String,
    /// The record (command and outcome), as JSON.
    pub body: String,
    /// When the command was decided (the record's `recorded_at`): keep it beside the body for
    /// [`DocumentStore::prune_requests`].
    pub recorded_at: DateTime<Utc>,
}

/// Everything one command changes, in document form; apply all of it or none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentCommit {
    /// The conditional aggregate writes.
    pub writes: Vec<DocumentWrite>,
    /// Bookings created by this commit, to index for [`DocumentStore::locate_booking`].
    pub new_bookings: Vec<(BookingId, BookingLocation)>,
    /// Slots created by this commit, with their teacher, for [`DocumentStore::locate_slot`].
    pub new_slots: Vec<(SlotId, UserId)>,
    /// The request record to store, if the command carried a key.
    pub request: Option<DocumentRequest>,
    /// The command's events; a store may keep them (an outbox) or ignore them.
    pub events: Vec<Event>,
    /// Seat bookings this commit finishes, moved out of the session it writes, as JSON
    /// bodies keyed by booking id: keep each in the booking history, replacing a body already
    /// kept under the same id, for [`DocumentStore::load_finished_booking`].
    pub finished_bookings: Vec<(BookingId, String)>,
    /// The command's events as JSON, in order: append each to the outbox at the next
    /// position, in the same atomic step, so that positions grow in commit order (see
    /// [`DocumentStore::read_outbox`]).
    pub outbox: Vec<String>,
}

/// A versioned document store. See the [module docs](self) for what it must guarantee.
pub trait DocumentStore: Send + Sync {
    /// The stored document of this aggregate.
    fn load(&self, key: AggregateKey) -> Result<Option<Document>, StoreError>;
    /// Where this booking lives (from [`DocumentCommit::new_bookings`]).
    fn locate_booking(&self, id: BookingId) -> Result<Option<BookingLocation>, StoreError>;
    /// The teacher whose calendar holds this slot (from [`DocumentCommit::new_slots`]).
    fn locate_slot(&self, id: SlotId) -> Result<Option<UserId>, StoreError>;
    /// The body of the request record stored under `(scope, key)`.
    fn load_request(&self, scope: &str, key: &str) -> Result<Option<String>, StoreError>;
    /// Applies the commit atomically and conditionally, or not at all.
    fn commit(&self, commit: DocumentCommit) -> Result<(), StoreError>;
    /// Host-owned: the course's approval setting and the teacher's override.
    fn approval_settings(&self, course_id: CourseId, teacher_id: UserId) -> Result<ApprovalSettings, StoreError>;
    /// Host-owned: whether the student is enrolled in the course.
    fn is_enrolled(&self, student_id: UserId, course_id: CourseId) -> Result<bool, StoreError>;
    /// The sessions whose stored [`DocumentWrite::offer_deadline`] is at or before `until`.
    fn sessions_with_offers_due(&self, until: DateTime<Utc>) -> Result<Vec<SessionId>, StoreError>;
    /// The body kept under this id in the booking history (from
    /// [`DocumentCommit::finished_bookings`]), or `None`.
    fn load_finished_booking(&self, id: BookingId) -> Result<Option<String>, StoreError>;
    /// Operator action: deletes the request records whose [`DocumentRequest::recorded_at`] is
    /// before `recorded_before`; returns how many it deleted.
    fn prune_requests(&self, recorded_before: DateTime<Utc>) -> Result<u64, StoreError>;
    /// The entries kept for `index` (a [`ReadIndex::as_str`](crate::index::ReadIndex::as_str) name) under `partition` whose
    /// sort key lies strictly between `after` and `before` (byte-wise comparison), ascending,
    /// at most `limit`, each with its aggregate's document (see [`IndexRange`]).
    fn read_index(
        &self,
        index: &str,
        partition: &str,
        after: &str,
        before: &str,
        limit: u32,
    ) -> Result<Vec<DocumentHit>, StoreError>;
    /// The outbox's events (JSON, from [`DocumentCommit::outbox`]) at positions greater than
    /// `after`, ascending, at most `limit`, with their positions (1, 2, ... in commit order;
    /// never reused).
    fn read_outbox(&self, after: u64, limit: u32) -> Result<Vec<(u64, String)>, StoreError>;
    /// Deletes the outbox events at positions up to `up_to`; returns how many it deleted.
    fn acknowledge_outbox(&self, up_to: u64) -> Result<u64, StoreError>;
}

impl<S: DocumentStore + ?Sized> DocumentStore for Arc<S> {
    fn load(&self, key: AggregateKey) -> Result<Option<Document>, StoreError> {
        (**self).load(key)
    }
    fn locate_booking(&self, id: BookingId) -> Result<Option<BookingLocation>, StoreError> {
        (**self).locate_booking(id)
    }
    fn locate_slot(&self, id: SlotId) -> Result<Option<UserId>, StoreError> {
        (**self).locate_slot(id)
    }
    fn load_request(&self, scope: &str, key: &str) -> Result<Option<String>, StoreError> {
        (**self).load_request(scope, key)
    }
    fn commit(&self, commit: DocumentCommit) -> Result<(), StoreError> {
        (**self).commit(commit)
    }
    fn approval_settings(&self, course_id: CourseId, teacher_id: UserId) -> Result<ApprovalSettings, StoreError> {
        (**self).approval_settings(course_id, teacher_id)
    }
    fn is_enrolled(&self, student_id: UserId, course_id: CourseId) -> Result<bool, StoreError> {
        (**self).is_enrolled(student_id, course_id)
    }
    fn sessions_with_offers_due(&self, until: DateTime<Utc>) -> Result<Vec<SessionId>, StoreError> {
        (**self).sessions_with_offers_due(until)
    }
    fn load_finished_booking(&self, id: BookingId) -> Result<Option<String>, StoreError> {
        (**self).load_finished_booking(id)
    }
    fn prune_requests(&self, recorded_before: DateTime<Utc>) -> Result<u64, StoreError> {
        (**self).prune_requests(recorded_before)
    }
    fn read_index(
        &self,
        index: &str,
        partition: &str,
        after: &str,
        before: &str,
        limit: u32,
    ) -> Result<Vec<DocumentHit>, StoreError> {
        (**self).read_index(index, partition, after, before, limit)
    }
    fn read_outbox(&self, after: u64, limit: u32) -> Result<Vec<(u64, String)>, StoreError> {
        (**self).read_outbox(after, limit)
    }
    fn acknowledge_outbox(&self, up_to: u64) -> Result<u64, StoreError> {
        (**self).acknowledge_outbox(up_to)
    }
}

/// How request keys are scoped to their actor: `"teacher:<uuid>"`, `"student:<uuid>"`,
/// `"admin:<uuid>"` or `"system"`.
///
/// ```
/// use booking_core::{Actor, UserId, document::actor_scope};
/// let id = UserId::from_uuid(uuid::Uuid::from_u128(1));
/// assert_eq!(actor_scope(&Actor::Student(id)), "student:00000000-0000-0000-0000-000000000001");
/// assert_eq!(actor_scope(&Actor::System), "system");
/// ```
pub fn actor_scope(actor: &Actor) -> String {
    match actor {
        Actor::Teacher(id) => format!("teacher:{id}"),
        Actor::Student(id) => format!("student:{id}"),
        Actor::Admin(id) => format!("admin:{id}"),
        Actor::System => "system".to_owned(),
    }
}

/// Encodes a [`Commit`] as a [`DocumentCommit`].
pub fn encode_commit(commit: &Commit) -> Result<DocumentCommit, StoreError> {
    let writes = commit
        .writes
        .iter()
        .map(|write| {
            let (version, body) = match write {
                Write::Session { session, .. } => (session.version, encode(&**session, "session")?),
                Write::Calendar { calendar, .. } => (calendar.version, encode(&**calendar, "calendar")?),
                Write::Lesson { lesson, .. } => (lesson.version, encode(&**lesson, "lesson")?),
            };
            let index = write.index();
            Ok(DocumentWrite {
                key: write.key(),
                expected_version: write.expected_version(),
                version,
                body,
                offer_deadline: index.session().and_then(|s| s.offer_deadline),
                read_entries: write.read_entries(),
            })
        })
        .collect::<Result<_, StoreError>>()?;
    let request = match &commit.request {
        Some(record) => Some(DocumentRequest {
            scope: actor_scope(&record.actor),
            key: record.key.as_str().to_owned(),
            body: encode(record, "request record")?,
            recorded_at: record.recorded_at,
        }),
        None => None,
    };
    Ok(DocumentCommit {
        writes,
        new_bookings: commit.new_bookings().collect(),
        new_slots: commit.new_slots().collect(),
        request,
        events: commit.events.clone(),
        finished_bookings: commit
            .finished_bookings
            .iter()
            .map(|b| Ok((b.id, encode(b, "finished booking")?)))
            .collect::<Result<_, StoreError>>()?,
        outbox: commit.events.iter().map(|e| encode(e, "event")).collect::<Result<_, StoreError>>()?,
    })
}

fn encode<T: Serialize + ?Sized>(value: &T, what: &str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(format!("encoding {what}: {e}")))
}

fn decode<T: DeserializeOwned>(body: &str, record: impl FnOnce() -> String) -> Result<T, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt { record: record(), detail: e.to_string() })
}

/// A [`Repository`] over a [`DocumentStore`].
#[derive(Debug, Default)]
pub struct DocumentRepository<S> {
    store: S,
}

impl<S: DocumentStore> DocumentRepository<S> {
    /// Wraps a document store.
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// The document store inside.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Loads and decodes one aggregate, checking that its body matches its key and version.
    fn load_checked<T: DeserializeOwned>(
        &self,
        key: AggregateKey,
        identity: impl FnOnce(&T) -> (AggregateKey, u64),
    ) -> Result<Option<Arc<T>>, StoreError> {
        let Some(document) = self.store.load(key)? else { return Ok(None) };
        Self::checked(key, &document, identity).map(Some)
    }

    /// Decodes a document stored under `key`, checking that its body matches its key and
    /// version.
    fn checked<T: DeserializeOwned>(
        key: AggregateKey,
        document: &Document,
        identity: impl FnOnce(&T) -> (AggregateKey, u64),
    ) -> Result<Arc<T>, StoreError> {
        let describe = || format!("{} {}", key.kind(), key.uuid());
        let value: T = decode(&document.body, describe)?;
        let (found_key, found_version) = identity(&value);
        if found_key != key || found_version != document.version || found_version == 0 {
            return Err(StoreError::Corrupt {
                record: describe(),
                detail: format!(
                    "document holds {} {} at version {found_version}, stored as version {}",
                    found_key.kind(),
                    found_key.uuid(),
                    document.version
                ),
            });
        }
        Ok(Arc::new(value))
    }
}

impl<S: DocumentStore> DocumentRepository<S> {
    /// A calendar stored by version 0.1, whose holds lack their course, teacher and busy
    /// time, read with those filled in from the held lessons (0.1 had no buffers: the busy time
    /// is the lesson's). The document keeps its version and is written in the new form by the
    /// next command that changes it. `None` if the document is not such a calendar.
    ///
    /// (The SQLite and PostgreSQL stores migrate these in their schema migrations instead,
    /// which also enter group sessions stored by 0.1 into their teachers' calendars; a document
    /// store's 0.1 sessions do not block 1:1 lessons until the host re-creates them.)
    fn upgraded_calendar(&self, key: AggregateKey) -> Result<Option<Arc<Calendar>>, StoreError> {
        let Some(document) = self.store.load(key)? else { return Ok(None) };
        let Ok(mut body) = serde_json::from_str::<serde_json::Value>(&document.body) else { return Ok(None) };
        let Some(holds) = body.get_mut("holds").and_then(serde_json::Value::as_array_mut) else { return Ok(None) };
        for hold in holds.iter_mut().filter_map(serde_json::Value::as_object_mut) {
            if hold.contains_key("teacher_id") {
                continue;
            }
            let Some(id) = hold.get("booking_id").and_then(|v| v.as_str()).and_then(|s| s.parse().ok()) else {
                return Ok(None);
            };
            let Some(lesson) = self.load_lesson(BookingId(id))? else { return Ok(None) };
            hold.insert("teacher_id".into(), to_json(&lesson.teacher_id));
            hold.insert("course_id".into(), to_json(&lesson.course_id));
            hold.insert("busy_from".into(), to_json(&lesson.starts_at));
            hold.insert("busy_until".into(), to_json(&lesson.ends_at));
        }
        let Ok(calendar) = serde_json::from_value::<Calendar>(body) else { return Ok(None) };
        if AggregateKey::Calendar(calendar.owner) != key || calendar.version != document.version {
            return Ok(None);
        }
        Ok(Some(Arc::new(calendar)))
    }
}

/// A value as JSON (the ids and instants a 0.1 calendar is repaired with always encode).
fn to_json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

impl<S: DocumentStore> Repository for DocumentRepository<S> {
    fn read_index(&self, range: &IndexRange) -> Result<Vec<IndexHit>, StoreError> {
        let hits =
            self.store.read_index(range.index.as_str(), &range.partition, &range.after, &range.before, range.limit)?;
        hits.into_iter()
            .map(|hit| {
                let aggregate = match hit.key {
                    AggregateKey::Session(_) => {
                        Indexed::Session(Self::checked(hit.key, &hit.document, |s: &GroupSession| {
                            (AggregateKey::Session(s.id), s.version)
                        })?)
                    }
                    AggregateKey::Lesson(_) => Indexed::Lesson(Self::checked(hit.key, &hit.document, |l: &Lesson| {
                        (AggregateKey::Lesson(l.id), l.version)
                    })?),
                    AggregateKey::Calendar(_) => {
                        return Err(StoreError::Corrupt {
                            record: format!("read index {}", range.index.as_str()),
                            detail: "lists a calendar".to_owned(),
                        });
                    }
                };
                Ok(IndexHit { sort: hit.sort, aggregate })
            })
            .collect()
    }

    fn read_outbox(&self, after: u64, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        self.store
            .read_outbox(after, limit)?
            .into_iter()
            .map(|(position, body)| {
                Ok(OutboxEntry { position, event: decode(&body, || format!("outbox event {position}"))? })
            })
            .collect()
    }

    fn acknowledge_outbox(&self, up_to: u64) -> Result<u64, StoreError> {
        self.store.acknowledge_outbox(up_to)
    }

    fn sessions_with_offers_due(&self, until: DateTime<Utc>) -> Result<Vec<SessionId>, StoreError> {
        self.store.sessions_with_offers_due(until)
    }

    fn load_session(&self, id: SessionId) -> Result<Option<Arc<GroupSession>>, StoreError> {
        self.load_checked(AggregateKey::Session(id), |s: &GroupSession| (AggregateKey::Session(s.id), s.version))
    }

    fn locate_booking(&self, id: BookingId) -> Result<Option<BookingLocation>, StoreError> {
        self.store.locate_booking(id)
    }

    fn load_request(&self, actor: &Actor, key: &RequestKey) -> Result<Option<RequestRecord>, StoreError> {
        let Some(body) = self.store.load_request(&actor_scope(actor), key.as_str())? else { return Ok(None) };
        let record: RequestRecord = decode(&body, || format!("request {} of {actor}", key.as_str()))?;
        if record.actor != *actor || record.key != *key {
            return Err(StoreError::Corrupt {
                record: format!("request {} of {actor}", key.as_str()),
                detail: format!("record belongs to request {} of {}", record.key.as_str(), record.actor),
            });
        }
        Ok(Some(record))
    }

    fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        self.store.commit(encode_commit(&commit)?)
    }

    fn load_calendar(&self, owner: UserId) -> Result<Option<Arc<Calendar>>, StoreError> {
        let key = AggregateKey::Calendar(owner);
        match self.load_checked(key, |c: &Calendar| (AggregateKey::Calendar(c.owner), c.version)) {
            Err(corrupt @ StoreError::Corrupt { .. }) => match self.upgraded_calendar(key)? {
                Some(calendar) => Ok(Some(calendar)),
                None => Err(corrupt),
            },
            other => other,
        }
    }

    fn load_lesson(&self, id: BookingId) -> Result<Option<Arc<Lesson>>, StoreError> {
        self.load_checked(AggregateKey::Lesson(id), |l: &Lesson| (AggregateKey::Lesson(l.id), l.version))
    }

    fn load_finished_booking(&self, id: BookingId) -> Result<Option<SeatBooking>, StoreError> {
        let Some(body) = self.store.load_finished_booking(id)? else { return Ok(None) };
        let record = || format!("finished booking {id}");
        let booking: SeatBooking = decode(&body, record)?;
        if booking.id != id {
            return Err(StoreError::Corrupt {
                record: record(),
                detail: format!("the body is booking {}", booking.id),
            });
        }
        Ok(Some(booking))
    }

    fn prune_requests(&self, recorded_before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.store.prune_requests(recorded_before)
    }

    fn locate_slot(&self, id: SlotId) -> Result<Option<UserId>, StoreError> {
        self.store.locate_slot(id)
    }

    fn approval_settings(&self, course_id: CourseId, teacher_id: UserId) -> Result<ApprovalSettings, StoreError> {
        self.store.approval_settings(course_id, teacher_id)
    }

    fn is_enrolled(&self, student_id: UserId, course_id: CourseId) -> Result<bool, StoreError> {
        self.store.is_enrolled(student_id, course_id)
    }
}

/// The reference [`DocumentStore`]: everything in one map behind one mutex. It is meant to be
/// read and ported (a Python or Kotlin store follows the same steps), and to test
/// [`DocumentRepository`]; [`InMemoryRepository`](crate::InMemoryRepository) is the fast
/// in-memory store.
#[derive(Debug, Default)]
pub struct MemoryDocumentStore {
    state: Mutex<MemoryDocuments>,
}

#[derive(Debug, Default)]
struct MemoryDocuments {
    documents: HashMap<AggregateKey, Document>,
    bookings: HashMap<BookingId, BookingLocation>,
    slots: HashMap<SlotId, UserId>,
    /// Request bodies and when they were recorded, by `(scope, key)`.
    requests: HashMap<(String, String), (String, DateTime<Utc>)>,
    /// The booking history: finished seat bookings' bodies, by id.
    finished: HashMap<BookingId, String>,
    approvals: HashMap<(CourseId, UserId), ApprovalSettings>,
    enrollments: std::collections::HashSet<(UserId, CourseId)>,
    offer_deadlines: HashMap<SessionId, DateTime<Utc>>,
    /// The read indexes: `(index, partition, sort)` to the aggregate listed there, and each
    /// aggregate's entries (to replace on its next write).
    read_index: std::collections::BTreeMap<(String, String, String), AggregateKey>,
    read_entries: HashMap<AggregateKey, Vec<(String, String, String)>>,
    /// The outbox: events' JSON by position, and the last position given out.
    outbox: std::collections::BTreeMap<u64, String>,
    outbox_last: u64,
}

impl MemoryDocumentStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, MemoryDocuments> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every stored document, ordered by key.
    pub fn documents(&self) -> Vec<(AggregateKey, Document)> {
        let mut all: Vec<_> = self.state().documents.iter().map(|(k, d)| (*k, d.clone())).collect();
        all.sort_by_key(|(k, _)| *k);
        all
    }

    /// Replaces a stored document as is (for tests that tamper with a store).
    pub fn put_document(&self, key: AggregateKey, document: Document) {
        self.state().documents.insert(key, document);
    }

    /// Host data: sets the approval settings of a course with a teacher.
    pub fn set_approval_settings(&self, course_id: CourseId, teacher_id: UserId, settings: ApprovalSettings) {
        self.state().approvals.insert((course_id, teacher_id), settings);
    }

    /// Host data: enrolls a student in a course.
    pub fn enroll(&self, student_id: UserId, course_id: CourseId) {
        self.state().enrollments.insert((student_id, course_id));
    }
}

impl DocumentStore for MemoryDocumentStore {
    fn load(&self, key: AggregateKey) -> Result<Option<Document>, StoreError> {
        Ok(self.state().documents.get(&key).cloned())
    }

    fn sessions_with_offers_due(&self, until: DateTime<Utc>) -> Result<Vec<SessionId>, StoreError> {
        let mut due: Vec<_> =
            self.state().offer_deadlines.iter().filter(|(_, d)| **d <= until).map(|(s, d)| (*d, *s)).collect();
        due.sort_unstable();
        Ok(due.into_iter().map(|(_, s)| s).collect())
    }

    fn locate_booking(&self, id: BookingId) -> Result<Option<BookingLocation>, StoreError> {
        Ok(self.state().bookings.get(&id).copied())
    }

    fn locate_slot(&self, id: SlotId) -> Result<Option<UserId>, StoreError> {
        Ok(self.state().slots.get(&id).copied())
    }

    fn load_request(&self, scope: &str, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.state().requests.get(&(scope.to_owned(), key.to_owned())).map(|(body, _)| body.clone()))
    }

    fn commit(&self, commit: DocumentCommit) -> Result<(), StoreError> {
        let mut state = self.state();
        // Check everything first, then apply: all or nothing.
        for write in &commit.writes {
            let stored = state.documents.get(&write.key).map_or(0, |d| d.version);
            if stored != write.expected_version {
                return Err(StoreError::Conflict(format!("{} {}", write.key.kind(), write.key.uuid())));
            }
        }
        if let Some(request) = &commit.request
            && state.requests.contains_key(&(request.scope.clone(), request.key.clone()))
        {
            return Err(StoreError::DuplicateRequest);
        }
        for write in commit.writes {
            if let AggregateKey::Session(id) = write.key {
                match write.offer_deadline {
                    Some(deadline) => state.offer_deadlines.insert(id, deadline),
                    None => state.offer_deadlines.remove(&id),
                };
            }
            for old in state.read_entries.remove(&write.key).unwrap_or_default() {
                state.read_index.remove(&old);
            }
            let entries: Vec<_> = write
                .read_entries
                .iter()
                .map(|e| (e.index.as_str().to_owned(), e.partition.clone(), e.sort.clone()))
                .collect();
            for entry in &entries {
                state.read_index.insert(entry.clone(), write.key);
            }
            if !entries.is_empty() {
                state.read_entries.insert(write.key, entries);
            }
            state.documents.insert(write.key, Document { version: write.version, body: write.body });
        }
        for event in commit.outbox {
            state.outbox_last += 1;
            let position = state.outbox_last;
            state.outbox.insert(position, event);
        }
        state.bookings.extend(commit.new_bookings);
        state.slots.extend(commit.new_slots);
        state.finished.extend(commit.finished_bookings);
        if let Some(request) = commit.request {
            state.requests.insert((request.scope, request.key), (request.body, request.recorded_at));
        }
        Ok(())
    }

    fn load_finished_booking(&self, id: BookingId) -> Result<Option<String>, StoreError> {
        Ok(self.state().finished.get(&id).cloned())
    }

    fn read_index(
        &self,
        index: &str,
        partition: &str,
        after: &str,
        before: &str,
        limit: u32,
    ) -> Result<Vec<DocumentHit>, StoreError> {
        use std::ops::Bound::Excluded;
        let state = self.state();
        let lower = (index.to_owned(), partition.to_owned(), after.to_owned());
        let upper = (index.to_owned(), partition.to_owned(), before.to_owned());
        if lower >= upper {
            return Ok(Vec::new());
        }
        Ok(state
            .read_index
            .range((Excluded(lower), Excluded(upper)))
            .take(limit as usize)
            .filter_map(|((_, _, sort), key)| {
                let document = state.documents.get(key)?.clone();
                Some(DocumentHit { sort: sort.clone(), key: *key, document })
            })
            .collect())
    }

    fn read_outbox(&self, after: u64, limit: u32) -> Result<Vec<(u64, String)>, StoreError> {
        let state = self.state();
        Ok(state.outbox.range(after.saturating_add(1)..).take(limit as usize).map(|(p, e)| (*p, e.clone())).collect())
    }

    fn acknowledge_outbox(&self, up_to: u64) -> Result<u64, StoreError> {
        let outbox = &mut self.state().outbox;
        let kept = outbox.split_off(&up_to.saturating_add(1));
        Ok(std::mem::replace(outbox, kept).len() as u64)
    }

    fn prune_requests(&self, recorded_before: DateTime<Utc>) -> Result<u64, StoreError> {
        let requests = &mut self.state().requests;
        let before = requests.len();
        requests.retain(|_, (_, recorded_at)| *recorded_at >= recorded_before);
        Ok((before - requests.len()) as u64)
    }

    fn approval_settings(&self, course_id: CourseId, teacher_id: UserId) -> Result<ApprovalSettings, StoreError> {
        Ok(self.state().approvals.get(&(course_id, teacher_id)).copied().unwrap_or_default())
    }

    fn is_enrolled(&self, student_id: UserId, course_id: CourseId) -> Result<bool, StoreError> {
        Ok(self.state().enrollments.contains(&(student_id, course_id)))
    }
}
