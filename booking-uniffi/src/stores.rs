//! The stores an engine can run over: in memory, a SQLite file, or a store written in Kotlin
//! or Swift ([`DocumentStore`], a foreign trait wrapped in the core's
//! `booking_core::document::DocumentRepository`).

use crate::error::{BookingError, StoreError, guard, panic_message};
use booking_core::Event;
use booking_core::document::{self as core_doc, DocumentRepository};
use booking_core::lesson::ApprovalSettings;
use booking_core::repository::{AggregateKey, BookingLocation as CoreLocation, StoreError as CoreStoreError};
use booking_core::uniffi_support::Timestamp;
use booking_core::{BookingId, CourseId, InMemoryRepository, Repository, SessionId, SlotId, UserId};
use booking_sqlite::SqliteRepository;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

// ---------------------------------------------------------------------------------------------
// In memory
// ---------------------------------------------------------------------------------------------

/// The engine's thread-safe in-memory store (`booking_core::InMemoryRepository`), with the
/// host data (enrollments, approval settings) the engine reads.
#[derive(Debug, Default, uniffi::Object)]
pub struct InMemoryStore {
    inner: Arc<InMemoryRepository>,
}

impl InMemoryStore {
    pub(crate) fn repository(&self) -> Arc<dyn Repository> {
        Arc::clone(&self.inner) as Arc<dyn Repository>
    }
}

#[uniffi::export]
impl InMemoryStore {
    /// An empty store.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// How many aggregates (sessions, calendars, lessons) are stored.
    pub fn aggregate_count(&self) -> u64 {
        self.inner.aggregate_count() as u64
    }
}

// ---------------------------------------------------------------------------------------------
// SQLite
// ---------------------------------------------------------------------------------------------

/// A store in a SQLite file on the device (`booking_sqlite::SqliteRepository`: WAL mode, one
/// writer, an outbox of events).
#[derive(Debug, uniffi::Object)]
pub struct SqliteStore {
    inner: Arc<SqliteRepository>,
}

/// One event of a SQLite store's outbox.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct OutboxEvent {
    /// Its position: ids increase in commit order and are never reused.
    pub id: i64,
    /// The event.
    pub event: Event,
}

impl SqliteStore {
    pub(crate) fn repository(&self) -> Arc<dyn Repository> {
        Arc::clone(&self.inner) as Arc<dyn Repository>
    }
}

#[uniffi::export]
impl SqliteStore {
    /// Opens (creating and migrating if needed) the database at `path`.
    #[uniffi::constructor]
    pub fn open(path: String) -> Result<Arc<Self>, BookingError> {
        guard(|| Ok(Arc::new(Self { inner: Arc::new(SqliteRepository::open(path)?) })))
    }

    /// The database file's path.
    pub fn path(&self) -> String {
        self.inner.path().display().to_string()
    }

    /// Up to `limit` outbox events with an id above `after`, oldest first.
    pub fn events_since(&self, after: i64, limit: u32) -> Result<Vec<OutboxEvent>, BookingError> {
        guard(|| {
            Ok(self
                .inner
                .events_since(after, limit as usize)?
                .iter()
                .map(|e| OutboxEvent { id: e.id, event: e.event.clone() })
                .collect())
        })
    }

    /// Deletes the outbox events up to and including `id`; returns how many were deleted.
    pub fn delete_events_through(&self, id: i64) -> Result<u64, BookingError> {
        guard(|| Ok(self.inner.delete_events_through(id)? as u64))
    }

    /// Retention of the outbox: deletes the events that occurred before `occurred_before`,
    /// handled or not; returns how many were deleted. An operator's action.
    pub fn prune_events(&self, occurred_before: Timestamp) -> Result<u64, BookingError> {
        guard(|| Ok(self.inner.prune_events(occurred_before)? as u64))
    }

    /// Checks that every stored record decodes and the indexes agree with the aggregates.
    pub fn check_integrity(&self) -> Result<(), BookingError> {
        guard(|| self.inner.check_integrity())
    }
}

/// What a host-data call of a store returns, as a result.
trait Done {
    fn done(self) -> Result<(), booking_core::BookingError>;
}

impl Done for () {
    fn done(self) -> Result<(), booking_core::BookingError> {
        Ok(())
    }
}

impl Done for Result<(), booking_core::BookingError> {
    fn done(self) -> Result<(), booking_core::BookingError> {
        self
    }
}

/// The host data (enrollments, approval settings) of the in-memory and SQLite stores.
macro_rules! host_data {
    ($($store:ty),*) => {$(
        #[uniffi::export]
        impl $store {
            /// Host data: enrolls a student in a course.
            pub fn enroll(&self, student_id: UserId, course_id: CourseId) -> Result<(), BookingError> {
                guard(|| self.inner.enroll(student_id, course_id).done())
            }

            /// Host data: removes a student from a course.
            pub fn unenroll(&self, student_id: UserId, course_id: CourseId) -> Result<(), BookingError> {
                guard(|| self.inner.unenroll(student_id, course_id).done())
            }

            /// Host data: the course's own approval setting (`None` removes it).
            pub fn set_course_approval(&self, course_id: CourseId, requires_approval: Option<bool>) -> Result<(), BookingError> {
                guard(|| self.inner.set_course_approval(course_id, requires_approval).done())
            }

            /// Host data: a teacher's approval override for a course (`None` removes it).
            pub fn set_teacher_approval(
                &self,
                teacher_id: UserId,
                course_id: CourseId,
                requires_approval: Option<bool>,
            ) -> Result<(), BookingError> {
                guard(|| self.inner.set_teacher_approval(teacher_id, course_id, requires_approval).done())
            }
        }
    )*};
}

host_data!(InMemoryStore, SqliteStore);

// ---------------------------------------------------------------------------------------------
// Stores written in Kotlin or Swift
// ---------------------------------------------------------------------------------------------

/// The three kinds of aggregate a document store keeps, each versioned on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum AggregateKind {
    /// A group session with its seat bookings (id: the session id).
    Session,
    /// A person's calendar: slots and holds of active lessons (id: the user id).
    Calendar,
    /// A 1:1 lesson (id: its booking id).
    Lesson,
}

/// One stored aggregate: its version and its JSON body (opaque to the store).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Document {
    /// Its version (1 for the first stored state, +1 per commit).
    pub version: u64,
    /// The aggregate as JSON, exactly as a commit handed it over.
    pub body: String,
}

/// Where a booking lives.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum BookingLocation {
    /// A seat in this group session.
    Session {
        /// The session's id.
        session_id: String,
    },
    /// A 1:1 lesson (its own aggregate, under the booking id).
    Lesson,
}

/// One conditional write of a commit.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct DocumentWrite {
    /// The aggregate's kind.
    pub kind: AggregateKind,
    /// The aggregate's id.
    pub id: String,
    /// Apply only if the stored version is this (`0`: only if nothing is stored yet).
    pub expected_version: u64,
    /// The document's version after the write.
    pub version: u64,
    /// The new state, as JSON.
    pub body: String,
    /// For a session whose waitlist works by offer: the earliest instant one of its
    /// outstanding seat offers runs out, `None` when it has none (and for every other
    /// aggregate). The store keeps it with the document, replacing the previous one, and
    /// answers [`DocumentStore::sessions_with_offers_due`] from it.
    pub offer_deadline: Option<Timestamp>,
    /// The aggregate's read-index entries: the store replaces every entry it keeps for this
    /// aggregate with these (none: it keeps none), in the same atomic step, and answers
    /// [`DocumentStore::read_index`] from them.
    pub read_entries: Vec<IndexEntry>,
}

/// One entry of a read index (`booking_core::index::IndexEntry`): the aggregate of the
/// [`DocumentWrite`] it comes with is listed in `index`, under `partition`, at `sort`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, uniffi::Record)]
pub struct IndexEntry {
    /// Which index: `"student_agenda"`, `"teacher_agenda"`, `"approval_queue"` or `"starts"`.
    pub index: String,
    /// Whose list: a user's id (hyphenated, lower case), or `""` for `"starts"`.
    pub partition: String,
    /// Where in the list; compare sort keys byte by byte (they are ASCII).
    pub sort: String,
}

/// One answer of [`DocumentStore::read_index`]: an entry's sort key, the aggregate it lists
/// and that aggregate's document as stored now.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct DocumentHit {
    /// The entry's [`IndexEntry::sort`].
    pub sort: String,
    /// The listed aggregate's kind (a session or a lesson).
    pub kind: AggregateKind,
    /// The listed aggregate's id.
    pub id: String,
    /// Its document as stored now.
    pub document: Document,
}

/// One event kept in a document store's outbox.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct OutboxDocument {
    /// Its position: 1, 2, ... in commit order, never reused.
    pub position: u64,
    /// The event as JSON, exactly as [`DocumentCommit::outbox`] handed it over.
    pub body: String,
}

/// A booking created by a commit, for [`DocumentStore::locate_booking`].
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct NewBooking {
    /// The booking.
    pub booking_id: String,
    /// Where it lives.
    pub location: BookingLocation,
}

/// A slot created by a commit, for [`DocumentStore::locate_slot`].
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct NewSlot {
    /// The slot.
    pub slot_id: String,
    /// Its teacher.
    pub teacher_id: String,
}

/// The request record a commit stores under `(scope, key)`.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct DocumentRequest {
    /// Who sent it (`"student:<uuid>"`, …, `"system"`); keys are unique per scope.
    pub scope: String,
    /// The client's request key.
    pub key: String,
    /// The record, as JSON.
    pub body: String,
    /// When the command was decided: keep it beside the body, for
    /// [`DocumentStore::prune_requests`].
    pub recorded_at: Timestamp,
}

/// A seat booking a commit finished (cancelled, declined, expired), moved out of the session
/// the commit writes: keep it in the booking history for
/// [`DocumentStore::load_finished_booking`].
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct FinishedBooking {
    /// The booking's id.
    pub booking_id: String,
    /// The booking, as JSON.
    pub body: String,
}

/// Everything one command changes; a store applies all of it or none.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct DocumentCommit {
    /// The conditional writes.
    pub writes: Vec<DocumentWrite>,
    /// Bookings to index.
    pub new_bookings: Vec<NewBooking>,
    /// Slots to index.
    pub new_slots: Vec<NewSlot>,
    /// The request record to store, if the command carried a key.
    pub request: Option<DocumentRequest>,
    /// The command's events (keep them as an outbox, or ignore them).
    pub events: Vec<Event>,
    /// Seat bookings the commit finished: keep each in the booking history, replacing a body
    /// kept under the same id.
    pub finished_bookings: Vec<FinishedBooking>,
    /// The command's events as JSON, in order: append each to the outbox at the next position
    /// (1, 2, ...), in the same atomic step, so that positions grow in commit order (assign
    /// them under the lock that makes the commit atomic).
    pub outbox: Vec<String>,
}

/// A store written in Kotlin or Swift: a versioned document store, mirroring
/// `booking_core::document::DocumentStore`. It keeps each aggregate as an opaque JSON document
/// with a version, two small indexes, the request records (with the instant each was
/// recorded), a booking history (finished seat bookings' JSON by id), and the host data. A
/// session's document holds only its live bookings: the engine moves a booking out, into
/// [`DocumentCommit::finished_bookings`], when it is cancelled, declined or expires. (A store
/// written before the booking history adds [`load_finished_booking`](Self::load_finished_booking),
/// [`prune_requests`](Self::prune_requests) and keeps those two new fields of the commit; stored
/// documents need no change.) The engine
/// wraps it in the core's `DocumentRepository`, so it needs to know no booking rule.
///
/// The read side: the store also keeps a read index (entries `(index, partition, sort)` each
/// listing one aggregate, replaced with every write of it from [`DocumentWrite::read_entries`];
/// a sorted map is enough) and an outbox (the events of [`DocumentCommit::outbox`] at positions
/// growing in commit order), and answers [`read_index`](Self::read_index),
/// [`read_outbox`](Self::read_outbox) and [`acknowledge_outbox`](Self::acknowledge_outbox).
/// (A store written before the read side adds those three methods and keeps those two new
/// fields; aggregates it stored before have no entries, so it fills them once, in its
/// migration: for each stored session and lesson document, the entries [`index_entries`]
/// returns.)
///
/// What it must guarantee: [`commit`](DocumentStore::commit) applies every write only if the
/// stored version of its aggregate is still `expected_version` (`0`: it must not exist),
/// stores the request only if its `(scope, key)` is new, and applies all or nothing, throwing
/// `StoreError.Conflict` / `StoreError.DuplicateRequest` otherwise. It is called from several
/// threads at once, so it must be thread-safe (a lock around each method is enough).
/// `run_conformance` proves a store meets all this.
#[uniffi::export(foreign)]
pub trait DocumentStore: Send + Sync {
    /// The stored document of this aggregate, if any.
    fn load(&self, kind: AggregateKind, id: String) -> Result<Option<Document>, StoreError>;
    /// Where this booking lives (from [`DocumentCommit::new_bookings`]).
    fn locate_booking(&self, id: String) -> Result<Option<BookingLocation>, StoreError>;
    /// The teacher whose calendar holds this slot (from [`DocumentCommit::new_slots`]).
    fn locate_slot(&self, id: String) -> Result<Option<String>, StoreError>;
    /// The body of the request record stored under `(scope, key)`.
    fn load_request(&self, scope: String, key: String) -> Result<Option<String>, StoreError>;
    /// Applies the commit atomically and conditionally, or not at all.
    fn commit(&self, commit: DocumentCommit) -> Result<(), StoreError>;
    /// Host data: the course's approval setting and the teacher's override.
    fn approval_settings(&self, course_id: String, teacher_id: String) -> Result<ApprovalSettings, StoreError>;
    /// Host data: whether the student is enrolled in the course.
    fn is_enrolled(&self, student_id: String, course_id: String) -> Result<bool, StoreError>;
    /// The ids of the sessions whose stored [`DocumentWrite::offer_deadline`] is at or before
    /// `until` (earliest first, if convenient), for `Engine.processExpiredOffers`.
    fn sessions_with_offers_due(&self, until: Timestamp) -> Result<Vec<String>, StoreError>;
    /// The body kept in the booking history under this booking id (from
    /// [`DocumentCommit::finished_bookings`]), if any.
    fn load_finished_booking(&self, id: String) -> Result<Option<String>, StoreError>;
    /// Operator action: deletes the request records recorded before `recorded_before` (by the
    /// [`DocumentRequest::recorded_at`] they came with); returns how many.
    fn prune_requests(&self, recorded_before: Timestamp) -> Result<u64, StoreError>;
    /// The entries kept for `index` under `partition` whose sort key lies strictly between
    /// `after` and `before` (byte-wise), ascending, at most `limit`, each with the document of
    /// the aggregate it lists as stored now.
    fn read_index(
        &self,
        index: String,
        partition: String,
        after: String,
        before: String,
        limit: u32,
    ) -> Result<Vec<DocumentHit>, StoreError>;
    /// The outbox's events at positions greater than `after`, ascending, at most `limit`.
    fn read_outbox(&self, after: u64, limit: u32) -> Result<Vec<OutboxDocument>, StoreError>;
    /// Deletes the outbox events at positions up to and including `up_to`; returns how many
    /// it deleted (positions are never reused).
    fn acknowledge_outbox(&self, up_to: u64) -> Result<u64, StoreError>;
}

/// The read-index entries of a stored document, as the engine computes them with each write
/// (`booking_core::index::IndexEntry::of_session` / `of_lesson`; none for a calendar): the hook
/// a store written before the read side uses once to fill its read index for the aggregates it
/// stored before (for each stored session and lesson, replace its entries with these).
/// `InvalidInput` naming `body` if the body is not a document of that kind.
#[uniffi::export]
pub fn index_entries(kind: AggregateKind, body: String) -> Result<Vec<IndexEntry>, BookingError> {
    guard(|| {
        let invalid = |e: serde_json::Error| booking_core::BookingError::invalid("body", e.to_string());
        let entries = match kind {
            AggregateKind::Session => {
                booking_core::index::IndexEntry::of_session(&serde_json::from_str(&body).map_err(invalid)?)
            }
            AggregateKind::Lesson => {
                booking_core::index::IndexEntry::of_lesson(&serde_json::from_str(&body).map_err(invalid)?)
            }
            AggregateKind::Calendar => Vec::new(),
        };
        Ok(entries.into_iter().map(index_entry_out).collect())
    })
}

fn index_entry_out(entry: booking_core::index::IndexEntry) -> IndexEntry {
    IndexEntry { index: entry.index.as_str().to_owned(), partition: entry.partition, sort: entry.sort }
}

/// A foreign [`DocumentStore`] as a core repository.
pub(crate) fn foreign_repository(store: Arc<dyn DocumentStore>) -> Arc<dyn Repository> {
    Arc::new(DocumentRepository::new(ForeignDocuments(store)))
}

/// Adapts a foreign [`DocumentStore`] to the core's document-store trait: converts types, and
/// turns a panic during the call (while lifting what the store returned, say) into a store
/// error instead of unwinding through the engine.
struct ForeignDocuments(Arc<dyn DocumentStore>);

impl ForeignDocuments {
    fn call<T>(
        &self,
        method: &str,
        f: impl FnOnce(&dyn DocumentStore) -> Result<T, StoreError>,
    ) -> Result<T, CoreStoreError> {
        match catch_unwind(AssertUnwindSafe(|| f(&*self.0))) {
            Ok(result) => result.map_err(CoreStoreError::from),
            Err(panic) => Err(CoreStoreError::Backend(format!("{method} panicked: {}", panic_message(panic)))),
        }
    }
}

fn index_id<T: From<uuid::Uuid>>(index: &str, text: &str) -> Result<T, CoreStoreError> {
    uuid::Uuid::parse_str(text).map(T::from).map_err(|e| CoreStoreError::Corrupt {
        record: index.to_owned(),
        detail: format!("{text:?} is not a UUID: {e}"),
    })
}

fn key_out(key: AggregateKey) -> (AggregateKind, String) {
    let kind = match key {
        AggregateKey::Session(_) => AggregateKind::Session,
        AggregateKey::Calendar(_) => AggregateKind::Calendar,
        AggregateKey::Lesson(_) => AggregateKind::Lesson,
    };
    (kind, key.uuid().to_string())
}

fn location_out(location: CoreLocation) -> BookingLocation {
    match location {
        CoreLocation::Session(session_id) => BookingLocation::Session { session_id: session_id.to_string() },
        CoreLocation::Lesson => BookingLocation::Lesson,
    }
}

fn commit_out(commit: core_doc::DocumentCommit) -> DocumentCommit {
    DocumentCommit {
        writes: commit
            .writes
            .into_iter()
            .map(|w| {
                let (kind, id) = key_out(w.key);
                DocumentWrite {
                    kind,
                    id,
                    expected_version: w.expected_version,
                    version: w.version,
                    body: w.body,
                    offer_deadline: w.offer_deadline,
                    read_entries: w.read_entries.into_iter().map(index_entry_out).collect(),
                }
            })
            .collect(),
        new_bookings: commit
            .new_bookings
            .into_iter()
            .map(|(id, location)| NewBooking { booking_id: id.to_string(), location: location_out(location) })
            .collect(),
        new_slots: commit
            .new_slots
            .into_iter()
            .map(|(slot, teacher)| NewSlot { slot_id: slot.to_string(), teacher_id: teacher.to_string() })
            .collect(),
        request: commit.request.map(|r| DocumentRequest {
            scope: r.scope,
            key: r.key,
            body: r.body,
            recorded_at: r.recorded_at,
        }),
        events: commit.events.clone(),
        finished_bookings: commit
            .finished_bookings
            .into_iter()
            .map(|(id, body)| FinishedBooking { booking_id: id.to_string(), body })
            .collect(),
        outbox: commit.outbox,
    }
}

/// The key of an aggregate a foreign store named by kind and id.
fn key_in(record: &str, kind: AggregateKind, id: &str) -> Result<AggregateKey, CoreStoreError> {
    Ok(match kind {
        AggregateKind::Session => AggregateKey::Session(index_id(record, id)?),
        AggregateKind::Calendar => AggregateKey::Calendar(index_id(record, id)?),
        AggregateKind::Lesson => AggregateKey::Lesson(index_id(record, id)?),
    })
}

impl core_doc::DocumentStore for ForeignDocuments {
    fn load(&self, key: AggregateKey) -> Result<Option<core_doc::Document>, CoreStoreError> {
        let (kind, id) = key_out(key);
        let document = self.call("load", |s| s.load(kind, id))?;
        Ok(document.map(|d| core_doc::Document { version: d.version, body: d.body }))
    }

    fn locate_booking(&self, id: BookingId) -> Result<Option<CoreLocation>, CoreStoreError> {
        match self.call("locate_booking", |s| s.locate_booking(id.to_string()))? {
            None => Ok(None),
            Some(BookingLocation::Lesson) => Ok(Some(CoreLocation::Lesson)),
            Some(BookingLocation::Session { session_id }) => {
                Ok(Some(CoreLocation::Session(index_id::<SessionId>("booking index", &session_id)?)))
            }
        }
    }

    fn locate_slot(&self, id: SlotId) -> Result<Option<UserId>, CoreStoreError> {
        self.call("locate_slot", |s| s.locate_slot(id.to_string()))?
            .map(|teacher: String| index_id::<UserId>("slot index", &teacher))
            .transpose()
    }

    fn load_request(&self, scope: &str, key: &str) -> Result<Option<String>, CoreStoreError> {
        self.call("load_request", |s| s.load_request(scope.to_owned(), key.to_owned()))
    }

    fn commit(&self, commit: core_doc::DocumentCommit) -> Result<(), CoreStoreError> {
        let commit = commit_out(commit);
        self.call("commit", |s| s.commit(commit))
    }

    fn approval_settings(&self, course_id: CourseId, teacher_id: UserId) -> Result<ApprovalSettings, CoreStoreError> {
        self.call("approval_settings", |s| s.approval_settings(course_id.to_string(), teacher_id.to_string()))
    }

    fn is_enrolled(&self, student_id: UserId, course_id: CourseId) -> Result<bool, CoreStoreError> {
        self.call("is_enrolled", |s| s.is_enrolled(student_id.to_string(), course_id.to_string()))
    }

    fn load_finished_booking(&self, id: BookingId) -> Result<Option<String>, CoreStoreError> {
        self.call("load_finished_booking", |s| s.load_finished_booking(id.to_string()))
    }

    fn prune_requests(&self, recorded_before: Timestamp) -> Result<u64, CoreStoreError> {
        self.call("prune_requests", |s| s.prune_requests(recorded_before))
    }

    fn sessions_with_offers_due(&self, until: Timestamp) -> Result<Vec<SessionId>, CoreStoreError> {
        self.call("sessions_with_offers_due", |s| s.sessions_with_offers_due(until))?
            .iter()
            .map(|id| index_id::<SessionId>("offer deadline index", id))
            .collect()
    }

    fn read_index(
        &self,
        index: &str,
        partition: &str,
        after: &str,
        before: &str,
        limit: u32,
    ) -> Result<Vec<core_doc::DocumentHit>, CoreStoreError> {
        let (index, partition, after, before) =
            (index.to_owned(), partition.to_owned(), after.to_owned(), before.to_owned());
        let record = format!("read index {index}");
        self.call("read_index", |s| s.read_index(index, partition, after, before, limit))?
            .into_iter()
            .map(|hit| {
                Ok(core_doc::DocumentHit {
                    key: key_in(&record, hit.kind, &hit.id)?,
                    sort: hit.sort,
                    document: core_doc::Document { version: hit.document.version, body: hit.document.body },
                })
            })
            .collect()
    }

    fn read_outbox(&self, after: u64, limit: u32) -> Result<Vec<(u64, String)>, CoreStoreError> {
        Ok(self
            .call("read_outbox", |s| s.read_outbox(after, limit))?
            .into_iter()
            .map(|e| (e.position, e.body))
            .collect())
    }

    fn acknowledge_outbox(&self, up_to: u64) -> Result<u64, CoreStoreError> {
        self.call("acknowledge_outbox", |s| s.acknowledge_outbox(up_to))
    }
}
