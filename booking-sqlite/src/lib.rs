//! # booking-sqlite
//!
//! The embedded default store of the booking engine: a [`Repository`] in one SQLite file
//! (bundled SQLite, nothing to install), safe to share between the threads of a process and
//! between processes on one machine.
//!
//! ```
//! use booking_core::{Actor, Engine, NewGroupSession, SeatStatus, UserId};
//! use booking_sqlite::SqliteRepository;
//! use chrono::{TimeDelta, Utc};
//!
//! let dir = tempfile::tempdir()?;
//! let engine = Engine::new(SqliteRepository::open(dir.path().join("bookings.db"))?);
//! let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
//! let ana = UserId::from_uuid(uuid::Uuid::from_u128(2));
//!
//! let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
//!     teacher_id: teacher, course_id: None, title: "Algebra review".into(),
//!     starts_at: Utc::now() + TimeDelta::days(7), time_zone: "Europe/Berlin".into(),
//!     duration_minutes: 60, meeting_link: "https://meet.example.com/algebra".into(),
//!     capacity: 10, waitlist_enabled: true, waitlist_mode: Default::default(), rules: Default::default(),
//! })?.value;
//! let seat = engine.book_seat(Actor::Student(ana).with_key("ana-1"), session.id, ana)?;
//! assert_eq!(seat.value.status, SeatStatus::Confirmed);
//!
//! // Every event of every commit is in the outbox too, in commit order.
//! let kinds: Vec<_> = engine.repository().events_since(0, 100)?.iter().map(|e| e.event.kind.name()).collect();
//! assert_eq!(kinds, ["session_created", "booking_confirmed"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The store implements no booking rule: it keeps what the engine decided, with the one
//! atomic, conditional commit that [`booking_core::repository`] asks for.
//!
//! # Storage layout
//! - One table per aggregate kind, `sessions`, `calendars` and `lessons`, each row
//!   `id TEXT PRIMARY KEY, version INTEGER, body TEXT`: the body is the aggregate as JSON
//!   (serde), the version its optimistic-concurrency version. Sessions also keep
//!   `teacher_id`, `course_id` and `starts_at`, lessons `teacher_id`, `student_id`,
//!   `starts_at` and `status`, copied from the body in the same statement (the values of the
//!   core's [`booking_core::index`], computed there once for every store), with indexes: a
//!   host lists "this teacher's upcoming sessions" or "this student's lessons" with plain SQL
//!   instead of decoding every body. They are a read-only projection: the store never reads
//!   them back, the body stays the only source of truth. Calendars get no extra columns: they
//!   are only ever read by owner.
//! - `sessions.offer_deadline` (schema version 2): the earliest deadline of the session's
//!   outstanding seat offers ([`GroupSession::next_offer_deadline`]), `NULL` when it has none,
//!   written with the body in the same statement and indexed (partially: only sessions with
//!   one); [`Repository::sessions_with_offers_due`] answers from it, earliest first, so
//!   [`Engine::process_expired_offers`](booking_core::Engine::process_expired_offers) never
//!   decodes a session without an offer due. This one column the store does read.
//! - `booking_index(booking_id, kind, session_id)` and `slot_index(slot_id, teacher_id)`,
//!   filled from [`Commit::new_bookings`] and [`Commit::new_slots`].
//! - `requests(actor, key, body, recorded_at)`: the request records (the actor as
//!   `teacher:<uuid>`, `student:<uuid>`, `admin:<uuid>` or `system`); pruned by `recorded_at`
//!   with [`Repository::prune_requests`] (an operator's action, through
//!   [`Engine::prune_requests`](booking_core::Engine::prune_requests)).
//! - `finished_bookings(booking_id, session_id, student_id, status, finished_at, body)`
//!   (schema version 3): the booking history. A commit that cancels or expires seat bookings
//!   moves them out of the session's body into this table, in the same transaction;
//!   [`Repository::load_finished_booking`] reads the body back. The other columns are a
//!   projection for the host, indexed by session and by student.
//! - `read_index("index", "partition", sort, kind, aggregate_id)` (schema version 4): the read
//!   indexes the engine's queries page through ([`booking_core::read`]: agendas, the approval
//!   queue, what starts). Each stored session and lesson has the rows the core computes for it
//!   ([`Write::read_entries`]), replaced in the transaction that writes it; the primary key
//!   `("index", "partition", sort)` (`WITHOUT ROWID`, byte-wise `BINARY` collation) makes a page
//!   one range scan, and [`Repository::read_index`] joins `sessions` and `lessons` in the same
//!   `SELECT` for the bodies. Migration 4 filled it for the aggregates stored before, from
//!   their bodies. `index` and `partition` are SQL keywords: quote them in your own SQL.
//! - `events(id, occurred_at, kind, body)`: the outbox. `id` is the position of
//!   [`Repository::read_outbox`] and [`Repository::acknowledge_outbox`] (the engine's
//!   [`Engine::outbox`](booking_core::Engine::outbox)): `AUTOINCREMENT` under SQLite's single
//!   write lock, so ids grow in commit order and are never reused. The older
//!   [`SqliteRepository::events_since`] and [`SqliteRepository::delete_events_through`] read and
//!   delete the same rows by the same ids; [`SqliteRepository::prune_events`] deletes by age.
//! - `course_approval`, `teacher_approval`, `enrollments`: host-owned data, set with
//!   [`SqliteRepository::set_course_approval`], [`SqliteRepository::set_teacher_approval`],
//!   [`SqliteRepository::enroll`] and [`SqliteRepository::unenroll`], or by the host's own SQL.
//!
//! The schema is versioned with `PRAGMA user_version`; migrations run on open. A file whose
//! schema is newer than this code is refused with [`BookingError::CorruptRecord`] (the code
//! the engine documents for records "written by a newer schema") rather than misread.
//!
//! # Commits
//! [`Repository::commit`] runs in one `BEGIN IMMEDIATE` transaction: each write with expected
//! version 0 is an `INSERT` (the row existing already is a [`StoreError::Conflict`]), every
//! other one an `UPDATE ... WHERE id = ? AND version = ?` (no row changed is a `Conflict`);
//! then the request record (already recorded: [`StoreError::DuplicateRequest`]), each written
//! session's and lesson's read-index rows (only the difference: the rows its [`Write::read_entries`] no longer name deleted, the new ones inserted),
//! the booking and slot indexes, the finished bookings (insert or replace by id) and the
//! events; then `COMMIT`. Any failure rolls all of it back.
//!
//! Commits of other threads that wait for the writer at the same moment share the
//! transaction, each under a savepoint of its own: a thread that finds no other applying
//! commits takes every commit then waiting, applies them one after another, and gives each its
//! own outcome (a conflict or an error takes back that commit's savepoint only, and an applied
//! commit's outcome is given after `COMMIT`, never before). Under load, several commits then pay for one `BEGIN`, one
//! `COMMIT` and one `fsync`. [`Repository::commit_all`] is one of those commits: all or none.
//! `BEGIN IMMEDIATE` takes the write lock before the first read, so no other connection, in
//! this process or another, can commit between the version checks and the writes.
//!
//! # Threads and processes
//! [`SqliteRepository`] is `Send + Sync`. It holds one writer connection behind a mutex
//! (SQLite allows one writer at a time anyway, so more writer connections would only wait on
//! SQLite's busy handler, which sleeps, instead of on the mutex, which wakes the next thread
//! as soon as the commit ends), plus a small pool of `query_only` reader connections. In WAL
//! mode readers never wait for the writer nor it for them, so the engine's loads (most of the
//! work of a command) run in parallel with another thread's commit instead of queueing behind
//! its `fsync`. A load that starts after a commit returned sees it (each read starts a fresh
//! WAL snapshot), so commits stay linearizable across the connections.
//!
//! Several processes may open the same file: every connection uses WAL and a busy timeout
//! (5 s by default, see [`SqliteOptions::busy_timeout`]), and each commit waits for the write
//! lock. A lock not released within the timeout is a [`StoreError::Backend`] saying so;
//! nothing was changed and the command may be retried with the same request key. The file
//! must be on a local file system (WAL needs shared memory between the processes).
//!
//! # Durability
//! By default every commit is durable when `commit` returns (`synchronous=FULL`): a receipt
//! the host has shown, or whose events it has sent as notifications, survives a power loss.
//! [`Synchronous::Normal`] trades that for fewer `fsync`s: in WAL mode it is still atomic
//! and never corrupts the file, and survives a crash of the process, but a power loss or OS
//! crash may lose the last commits before it. See [`SqliteOptions::synchronous`].
//!
//! # Performance
//! `cargo run --release -p booking-sqlite --example sqlite_throughput` measures bookings per second.
//! Spread over many sessions, a commit costs about one `fsync` (`FULL`) or less (`NORMAL`)
//! when it commits alone, and a share of one when other threads' commits wait with it.
//! On one hot session every command reads and rewrites the whole session, which keeps its live
//! bookings only (about 256 bytes of JSON each; finished ones are in `finished_bookings`), so
//! the cost grows with the seats and the waitlist, not with how often students booked and
//! cancelled; concurrent writers on it mostly lose the optimistic race and decide again.
//!
//! # Damaged data
//! A row that does not decode (tampered JSON, an unknown enum value, an unknown time zone, a
//! body naming another id or version than its row) is a [`StoreError::Corrupt`] naming the
//! record as `"<table> <id>"`; the engine returns it as `corrupt_record`. Nothing panics.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod schema;
mod sql;

use booking_core::{
    Actor, BookingError, BookingId, CourseId, Event, GroupSession, SeatBooking, SessionId, SlotId, StoreError, UserId,
    index::{FinishedBookingIndex, IndexEntries},
    lesson::{ApprovalSettings, Calendar, Lesson},
    repository::{
        AggregateKey, BatchFailure, BookingLocation, Commit, IndexHit, IndexRange, Indexed, OutboxEntry, Repository,
        RequestKey, RequestRecord, Write,
    },
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use serde::de::DeserializeOwned;
use sql::{Decoder, Failure, encode_instant, encode_json, encode_version, write_transaction};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The schema version this booking-sqlite creates and reads (SQLite's `PRAGMA user_version`).
///
/// ```
/// use booking_sqlite::SCHEMA_VERSION;
/// assert_eq!(SCHEMA_VERSION, 4);
/// ```
pub const SCHEMA_VERSION: i64 = schema::LATEST;

/// How hard SQLite works to make a commit durable; see the [crate docs](crate#durability).
///
/// ```
/// use booking_sqlite::{SqliteOptions, Synchronous};
/// assert_eq!(SqliteOptions::default().synchronous, Synchronous::Full);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Synchronous {
    /// `synchronous=FULL`: the write-ahead log is synced on every commit, so a commit that
    /// returned survives a power loss. The default.
    #[default]
    Full,
    /// `synchronous=NORMAL`: the log is synced only at checkpoints. Still atomic, never
    /// corrupts the file, and loses nothing when the process crashes; a power loss or OS
    /// crash may roll back the last commits before it.
    Normal,
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// How [`SqliteRepository::open_with`] opens a database.
///
/// ```
/// use booking_sqlite::{SqliteOptions, Synchronous};
/// use std::time::Duration;
/// let options = SqliteOptions::default()
///     .busy_timeout(Duration::from_secs(10))
///     .synchronous(Synchronous::Normal)
///     .readers(2);
/// assert_eq!(options.busy_timeout, Duration::from_secs(10));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqliteOptions {
    /// How long a connection waits for a lock another connection holds (5 s by default).
    pub busy_timeout: Duration,
    /// The durability of commits ([`Synchronous::Full`] by default).
    pub synchronous: Synchronous,
    /// How many idle reader connections are kept for reuse (8 by default; more concurrent
    /// loads open extra connections and close them afterwards).
    pub readers: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self { busy_timeout: Duration::from_secs(5), synchronous: Synchronous::Full, readers: 8 }
    }
}

impl SqliteOptions {
    /// Sets [`busy_timeout`](Self::busy_timeout).
    ///
    /// ```
    /// use booking_sqlite::SqliteOptions;
    /// let options = SqliteOptions::default().busy_timeout(std::time::Duration::from_millis(250));
    /// assert_eq!(options.busy_timeout.as_millis(), 250);
    /// ```
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Sets [`synchronous`](Self::synchronous).
    ///
    /// ```
    /// use booking_sqlite::{SqliteOptions, Synchronous};
    /// assert_eq!(SqliteOptions::default().synchronous(Synchronous::Normal).synchronous, Synchronous::Normal);
    /// ```
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// Sets [`readers`](Self::readers).
    ///
    /// ```
    /// use booking_sqlite::SqliteOptions;
    /// assert_eq!(SqliteOptions::default().readers(16).readers, 16);
    /// ```
    pub fn readers(mut self, readers: usize) -> Self {
        self.readers = readers;
        self
    }
}

/// One event of the outbox: its position and the event.
///
/// ```
/// use booking_sqlite::OutboxEvent;
/// let json = r#"{"id":7,"event":{"occurred_at":"2030-01-01T00:00:00Z","actor":{"role":"system"},
///     "kind":{"type":"session_closed","session_id":"00000000-0000-0000-0000-000000000001"}}}"#;
/// let e: OutboxEvent = serde_json::from_str(json).unwrap();
/// assert_eq!((e.id, e.event.kind.name()), (7, "session_closed"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutboxEvent {
    /// Its id in the `events` table: ids increase in commit order and are never reused.
    pub id: i64,
    /// The event, as the command's receipt returned it.
    pub event: Event,
}

/// A [`Repository`] in a SQLite file; see the [crate docs](crate) for the layout, the
/// concurrency and the durability.
///
/// ```
/// use booking_core::{CourseId, Repository, UserId};
/// use booking_sqlite::SqliteRepository;
/// let dir = tempfile::tempdir()?;
/// let store = SqliteRepository::open(dir.path().join("bookings.db"))?;
/// let (student, course) = (UserId::from_uuid(uuid::Uuid::from_u128(2)), CourseId::from_uuid(uuid::Uuid::from_u128(9)));
/// store.enroll(student, course)?;
/// assert!(store.is_enrolled(student, course)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SqliteRepository {
    path: PathBuf,
    options: SqliteOptions,
    failure: Failure,
    /// The one connection that writes; SQLite allows one writer at a time anyway.
    writer: Mutex<Connection>,
    /// Commits waiting for the writer; a thread that finds no other applying commits applies
    /// all of them (see [`Waiting`]).
    waiting: Mutex<Waiting>,
    /// Signalled when a thread applying queued commits stops and their outcomes are given.
    answered: std::sync::Condvar,
    /// Idle reader connections (`query_only`), reused by loads.
    readers: Mutex<Vec<Connection>>,
}

/// Commits waiting for the writer connection (SQLite's one writer), so that they share a
/// transaction: a commit joins the queue; if no thread is applying commits, its thread takes
/// every commit then queued and applies them in one write transaction, each under a savepoint
/// of its own, then gives each its outcome and wakes the others ([`Leading`]); otherwise it
/// waits for its outcome, or for its turn to apply the queue. So several threads committing
/// at the same time pay for one `BEGIN IMMEDIATE`, one `COMMIT` and one `fsync` between them
/// instead of one each, and every commit still has exactly its own outcome:
///
/// - one that fails (a version conflict, a request already recorded, an error of its own
///   statements) is rolled back to its savepoint, and the others go on;
/// - one applied is durable (committed) when its outcome is given, never before;
/// - if the transaction as a whole fails (`BEGIN`, `COMMIT`, or an error after which SQLite
///   ended the transaction itself), nothing of it was applied and every commit in it gets
///   that error.
///
/// Commits apply in the order they queued, and one that queued after another returned comes
/// after it, so commits stay linearizable.
#[derive(Default)]
struct Waiting {
    /// Whether a thread is applying commits it took from the queue.
    leading: bool,
    /// The last ticket given out.
    last: u64,
    /// Each waiting commit's ticket and what it writes (one commit, or a batch, all or nothing).
    queued: Vec<(u64, Vec<EncodedCommit>)>,
    /// The outcomes of commits applied by another thread, by ticket, until they are taken.
    outcomes: std::collections::HashMap<u64, Result<(), StoreError>>,
}

/// The thread applying queued commits: when it stops (also by a panic, in which case its
/// transaction was rolled back and nothing of it applied), it gives the outcomes and wakes
/// the waiting threads.
struct Leading<'a> {
    store: &'a SqliteRepository,
    tickets: Vec<u64>,
    outcomes: Option<std::collections::HashMap<u64, Result<(), StoreError>>>,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        let mut waiting = lock(&self.store.waiting);
        waiting.leading = false;
        let outcomes = self.outcomes.take().unwrap_or_default();
        for ticket in &self.tickets {
            let outcome = outcomes.get(ticket).cloned().unwrap_or_else(|| {
                Err(StoreError::Backend("the thread applying this commit panicked; nothing was applied".into()))
            });
            waiting.outcomes.insert(*ticket, outcome);
        }
        self.store.answered.notify_all();
    }
}

impl SqliteRepository {
    /// Applies `commits` (all or none), together with every other commit waiting for the
    /// writer; see [`Waiting`].
    fn commit_waiting(&self, commits: Vec<EncodedCommit>) -> Result<(), StoreError> {
        let mut waiting = lock(&self.waiting);
        waiting.last += 1;
        let ticket = waiting.last;
        waiting.queued.push((ticket, commits));
        loop {
            if let Some(outcome) = waiting.outcomes.remove(&ticket) {
                return outcome;
            }
            if !waiting.leading {
                // No thread is applying commits, and a thread that takes some gives their
                // outcomes when it stops: this commit is still queued. Apply the queue.
                waiting.leading = true;
                let queued = std::mem::take(&mut waiting.queued);
                drop(waiting);
                let mut leading =
                    Leading { store: self, tickets: queued.iter().map(|(t, _)| *t).collect(), outcomes: None };
                leading.outcomes = Some(self.apply_together(&mut lock(&self.writer), queued));
                drop(leading);
                waiting = lock(&self.waiting);
                continue;
            }
            waiting = self.answered.wait(waiting).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Applies the queued commits in one write transaction, each under its own savepoint;
    /// the outcome of each, by ticket.
    fn apply_together(
        &self,
        conn: &mut Connection,
        queued: Vec<(u64, Vec<EncodedCommit>)>,
    ) -> std::collections::HashMap<u64, Result<(), StoreError>> {
        let failure = &self.failure;
        let apply =
            |tx: &Transaction<'_>, commits: &[EncodedCommit]| commits.iter().try_for_each(|c| c.apply(tx, failure));
        if let [(ticket, commits)] = queued.as_slice() {
            // Alone: no savepoint needed, the transaction is the commit's.
            return [(*ticket, write_transaction(conn, failure, |tx| apply(tx, commits)))].into();
        }
        let mut outcomes = std::collections::HashMap::with_capacity(queued.len());
        let together = write_transaction(conn, failure, |tx| {
            let statement = |sql: &str| {
                tx.prepare_cached(sql)
                    .and_then(|mut statement| statement.execute([]))
                    .map_err(|e| failure.map("marking a commit's savepoint", e))
            };
            for (ticket, commits) in &queued {
                statement("SAVEPOINT queued_commit")?;
                let outcome = match apply(tx, commits) {
                    // SQLite ended the transaction on this error: nothing of it is left.
                    Err(error) if tx.is_autocommit() => return Err(error),
                    Err(error) => {
                        statement("ROLLBACK TO queued_commit")?;
                        Err(error)
                    }
                    Ok(()) => Ok(()),
                };
                statement("RELEASE queued_commit")?;
                outcomes.insert(*ticket, outcome);
            }
            Ok(())
        });
        match together {
            Ok(()) => outcomes,
            Err(error) => queued.iter().map(|(ticket, _)| (*ticket, Err(error.clone()))).collect(),
        }
    }
}

impl std::fmt::Debug for SqliteRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteRepository").field("path", &self.path).field("options", &self.options).finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic cannot leave a connection half-changed: an open transaction is rolled back when
    // it is dropped during the unwind, and the next write transaction ends any left over.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How an actor is stored in the `requests` table.
fn actor_key(actor: &Actor) -> String {
    match actor {
        Actor::Teacher(id) => format!("teacher:{id}"),
        Actor::Student(id) => format!("student:{id}"),
        Actor::Admin(id) => format!("admin:{id}"),
        Actor::System => "system".to_owned(),
    }
}

/// A stored aggregate kind.
trait Aggregate: DeserializeOwned {
    /// Its table.
    const TABLE: &'static str;
    /// Its id.
    fn id(&self) -> uuid::Uuid;
    /// Its version.
    fn version(&self) -> u64;
}

impl Aggregate for GroupSession {
    const TABLE: &'static str = "sessions";
    fn id(&self) -> uuid::Uuid {
        self.id.as_uuid()
    }
    fn version(&self) -> u64 {
        self.version
    }
}

impl Aggregate for Calendar {
    const TABLE: &'static str = "calendars";
    fn id(&self) -> uuid::Uuid {
        self.owner.as_uuid()
    }
    fn version(&self) -> u64 {
        self.version
    }
}

impl Aggregate for Lesson {
    const TABLE: &'static str = "lessons";
    fn id(&self) -> uuid::Uuid {
        self.id.as_uuid()
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// The table of an aggregate.
fn table_of(key: &AggregateKey) -> &'static str {
    match key {
        AggregateKey::Session(_) => GroupSession::TABLE,
        AggregateKey::Calendar(_) => Calendar::TABLE,
        AggregateKey::Lesson(_) => Lesson::TABLE,
    }
}

/// The query columns a table keeps beside the body, encoded from the core's
/// [`index`](booking_core::index) of the aggregate.
enum Columns {
    Session { teacher_id: String, course_id: Option<String>, starts_at: String, offer_deadline: Option<String> },
    Calendar,
    Lesson { teacher_id: String, student_id: String, starts_at: String, status: &'static str },
}

impl Columns {
    /// The columns of `index` this store keeps (a lesson's `course_id` it does not: hosts
    /// read it from the body).
    fn new(index: IndexEntries) -> Self {
        match index {
            IndexEntries::Session(s) => Columns::Session {
                teacher_id: s.teacher_id.to_string(),
                course_id: s.course_id.map(|c| c.to_string()),
                starts_at: encode_instant(s.starts_at),
                offer_deadline: s.offer_deadline.map(encode_instant),
            },
            IndexEntries::Calendar(_) => Columns::Calendar,
            IndexEntries::Lesson(l) => Columns::Lesson {
                teacher_id: l.teacher_id.to_string(),
                student_id: l.student_id.to_string(),
                starts_at: encode_instant(l.starts_at),
                status: l.status,
            },
        }
    }
}

/// One [`Write`], encoded before the write lock is taken.
struct EncodedWrite {
    key: AggregateKey,
    id: String,
    expected: i64,
    version: i64,
    body: String,
    columns: Columns,
    /// The aggregate's read-index entries ([`Write::read_entries`]) as `("index", "partition",
    /// sort)`; they replace its rows in `read_index`.
    read_entries: Vec<(&'static str, String, String)>,
}

impl EncodedWrite {
    fn new(write: &Write) -> Result<Self, StoreError> {
        let key = write.key();
        let what = format!("{key:?}");
        let expected = encode_version(write.expected_version(), &what)?;
        let (id, version, body) = match write {
            Write::Session { session, .. } => {
                (session.id.to_string(), session.version, encode_json(&**session, &what)?)
            }
            Write::Calendar { calendar, .. } => {
                (calendar.owner.to_string(), calendar.version, encode_json(&**calendar, &what)?)
            }
            Write::Lesson { lesson, .. } => (lesson.id.to_string(), lesson.version, encode_json(&**lesson, &what)?),
        };
        let columns = Columns::new(write.index());
        let read_entries = write.read_entries().into_iter().map(|e| (e.index.as_str(), e.partition, e.sort)).collect();
        Ok(Self { key, id, expected, version: encode_version(version, &what)?, body, columns, read_entries })
    }

    /// `INSERT`s the row unless its id exists; the number of rows inserted.
    fn insert(&self, tx: &Transaction<'_>) -> rusqlite::Result<usize> {
        let (id, version, body) = (&self.id, self.version, &self.body);
        match &self.columns {
            Columns::Session { teacher_id, course_id, starts_at, offer_deadline } => tx
                .prepare_cached(
                    "INSERT INTO sessions (id, version, body, teacher_id, course_id, starts_at, offer_deadline) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING",
                )?
                .execute(params![id, version, body, teacher_id, course_id, starts_at, offer_deadline]),
            Columns::Calendar => tx
                .prepare_cached(
                    "INSERT INTO calendars (id, version, body) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING",
                )?
                .execute(params![id, version, body]),
            Columns::Lesson { teacher_id, student_id, starts_at, status } => tx
                .prepare_cached(
                    "INSERT INTO lessons (id, version, body, teacher_id, student_id, starts_at, status) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING",
                )?
                .execute(params![id, version, body, teacher_id, student_id, starts_at, status]),
        }
    }

    /// `UPDATE`s the row if it is at the expected version; the number of rows updated.
    fn update(&self, tx: &Transaction<'_>) -> rusqlite::Result<usize> {
        let (id, version, body, expected) = (&self.id, self.version, &self.body, self.expected);
        match &self.columns {
            Columns::Session { teacher_id, course_id, starts_at, offer_deadline } => tx
                .prepare_cached(
                    "UPDATE sessions SET version = ?2, body = ?3, teacher_id = ?4, course_id = ?5, starts_at = ?6, \
                     offer_deadline = ?8 WHERE id = ?1 AND version = ?7",
                )?
                .execute(params![id, version, body, teacher_id, course_id, starts_at, expected, offer_deadline]),
            Columns::Calendar => tx
                .prepare_cached("UPDATE calendars SET version = ?2, body = ?3 WHERE id = ?1 AND version = ?4")?
                .execute(params![id, version, body, expected]),
            Columns::Lesson { teacher_id, student_id, starts_at, status } => tx
                .prepare_cached(
                    "UPDATE lessons SET version = ?2, body = ?3, teacher_id = ?4, student_id = ?5, starts_at = ?6, \
                     status = ?7 WHERE id = ?1 AND version = ?8",
                )?
                .execute(params![id, version, body, teacher_id, student_id, starts_at, status, expected]),
        }
    }

    /// Replaces the aggregate's rows in `read_index` with its entries (a calendar has none,
    /// and never had any). Only the difference is written: most commits change one or two of a
    /// session's entries (one student's), and rewriting all of them cost a delete and an insert
    /// per live booking, in both of the table's b-trees.
    fn replace_read_entries(&self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let kind = self.key.kind();
        if matches!(self.key, AggregateKey::Calendar(_)) {
            return Ok(());
        }
        let wanted: HashSet<(&str, &str, &str)> = self
            .read_entries
            .iter()
            .map(|(index, partition, sort)| (*index, partition.as_str(), sort.as_str()))
            .collect();
        let mut stored_rows: Vec<(String, String, String)> = Vec::with_capacity(wanted.len());
        {
            let mut select = tx.prepare_cached(
                "SELECT \"index\", \"partition\", sort FROM read_index WHERE aggregate_id = ?1 AND kind = ?2",
            )?;
            let mut rows = select.query(params![self.id, kind])?;
            while let Some(row) = rows.next()? {
                stored_rows.push((row.get(0)?, row.get(1)?, row.get(2)?));
            }
        }
        let stored: HashSet<(&str, &str, &str)> = stored_rows
            .iter()
            .map(|(index, partition, sort)| (index.as_str(), partition.as_str(), sort.as_str()))
            .collect();
        let mut delete = tx.prepare_cached(
            "DELETE FROM read_index WHERE \"index\" = ?1 AND \"partition\" = ?2 AND sort = ?3 AND aggregate_id = ?4",
        )?;
        for row in stored.difference(&wanted) {
            delete.execute(params![row.0, row.1, row.2, self.id])?;
        }
        let mut insert = tx.prepare_cached(
            "INSERT INTO read_index (\"index\", \"partition\", sort, kind, aggregate_id) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for row in wanted.difference(&stored) {
            insert.execute(params![row.0, row.1, row.2, kind, self.id])?;
        }
        Ok(())
    }

    /// Why the update changed nothing, for the conflict's message.
    fn conflict(&self, tx: &Transaction<'_>) -> rusqlite::Result<String> {
        let sql = format!("SELECT version FROM {} WHERE id = ?1", table_of(&self.key));
        let stored: Option<rusqlite::types::Value> =
            tx.prepare_cached(&sql)?.query_row([&self.id], |row| row.get(0)).optional()?;
        Ok(match stored {
            Some(rusqlite::types::Value::Integer(version)) => format!("{:?} is at version {version}", self.key),
            Some(other) => format!("{:?} is at version {other:?}", self.key),
            None => format!("{:?} is not stored", self.key),
        })
    }
}

/// Everything a [`Commit`] writes, encoded before the write lock is taken.
struct EncodedCommit {
    writes: Vec<EncodedWrite>,
    request: Option<[String; 4]>,
    bookings: Vec<(String, &'static str, Option<String>)>,
    slots: Vec<(String, String)>,
    /// `(booking_id, session_id, student_id, status, finished_at, body)`.
    finished: Vec<[String; 6]>,
    events: Vec<(String, &'static str, String)>,
}

impl EncodedCommit {
    fn new(commit: &Commit) -> Result<Self, StoreError> {
        let mut writes = commit.writes.iter().map(EncodedWrite::new).collect::<Result<Vec<_>, _>>()?;
        // The in-memory store's order, so both report the same conflict first.
        writes.sort_by_key(|w| w.key);
        let request = match &commit.request {
            Some(r) => Some([
                actor_key(&r.actor),
                r.key.as_str().to_owned(),
                encode_json(r, "the request record")?,
                encode_instant(r.recorded_at),
            ]),
            None => None,
        };
        let bookings = commit
            .new_bookings()
            .map(|(id, location)| match location {
                BookingLocation::Session(session) => (id.to_string(), "session", Some(session.to_string())),
                BookingLocation::Lesson => (id.to_string(), "lesson", None),
            })
            .collect();
        let slots = commit.new_slots().map(|(slot, teacher)| (slot.to_string(), teacher.to_string())).collect();
        let events = commit
            .events
            .iter()
            .map(|e| Ok((encode_instant(e.occurred_at), e.kind.name(), encode_json(e, "an event")?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let finished = commit
            .finished_bookings
            .iter()
            .map(|b| {
                let index = FinishedBookingIndex::of(b);
                Ok([
                    b.id.to_string(),
                    index.session_id.to_string(),
                    index.student_id.to_string(),
                    index.status.to_owned(),
                    encode_instant(index.finished_at),
                    encode_json(b, "a finished booking")?,
                ])
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Self { writes, request, bookings, slots, finished, events })
    }

    /// Writes it all, or fails with the first reason not to.
    fn apply(&self, tx: &Transaction<'_>, failure: &Failure) -> Result<(), StoreError> {
        let db = |doing: &'static str| move |e| failure.map(doing, e);
        for w in self.writes.iter().filter(|w| w.expected != 0) {
            if w.update(tx).map_err(db("updating an aggregate"))? == 0 {
                return Err(StoreError::Conflict(w.conflict(tx).map_err(db("reading a conflicting version"))?));
            }
        }
        if let Some([actor, key, body, recorded_at]) = &self.request {
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO requests (actor, key, body, recorded_at) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (actor, key) DO NOTHING",
                )
                .and_then(|mut s| s.execute(params![actor, key, body, recorded_at]))
                .map_err(db("recording the request"))?;
            if inserted == 0 {
                return Err(StoreError::DuplicateRequest);
            }
        }
        for w in self.writes.iter().filter(|w| w.expected == 0) {
            if w.insert(tx).map_err(db("inserting an aggregate"))? == 0 {
                return Err(StoreError::Conflict(format!("{:?} already exists", w.key)));
            }
        }
        for w in &self.writes {
            w.replace_read_entries(tx).map_err(db("replacing read-index entries"))?;
        }
        for (booking, kind, session) in &self.bookings {
            tx.prepare_cached(
                "INSERT INTO booking_index (booking_id, kind, session_id) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (booking_id) DO UPDATE SET kind = excluded.kind, session_id = excluded.session_id",
            )
            .and_then(|mut s| s.execute(params![booking, kind, session]))
            .map_err(db("indexing a booking"))?;
        }
        for (slot, teacher) in &self.slots {
            tx.prepare_cached(
                "INSERT INTO slot_index (slot_id, teacher_id) VALUES (?1, ?2) \
                 ON CONFLICT (slot_id) DO UPDATE SET teacher_id = excluded.teacher_id",
            )
            .and_then(|mut s| s.execute(params![slot, teacher]))
            .map_err(db("indexing a slot"))?;
        }
        for [booking, session, student, status, finished_at, body] in &self.finished {
            tx.prepare_cached(
                "INSERT INTO finished_bookings (booking_id, session_id, student_id, status, finished_at, body) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (booking_id) DO UPDATE SET session_id = excluded.session_id, \
                 student_id = excluded.student_id, status = excluded.status, finished_at = excluded.finished_at, \
                 body = excluded.body",
            )
            .and_then(|mut s| s.execute(params![booking, session, student, status, finished_at, body]))
            .map_err(db("keeping a finished booking"))?;
        }
        for (occurred_at, kind, body) in &self.events {
            tx.prepare_cached("INSERT INTO events (occurred_at, kind, body) VALUES (?1, ?2, ?3)")
                .and_then(|mut s| s.execute(params![occurred_at, kind, body]))
                .map_err(db("writing the outbox"))?;
        }
        Ok(())
    }
}

/// Opens one connection and sets it up; refuses a schema newer than this code.
fn connect(path: &Path, options: &SqliteOptions, failure: &Failure, reader: bool) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags(path, flags).map_err(|e| failure.map(&format!("opening {}", path.display()), e))?;
    // First, so that everything below waits for other processes' locks too.
    conn.busy_timeout(options.busy_timeout).map_err(|e| failure.map("setting the busy timeout", e))?;
    schema::check_known(schema::version(&conn).map_err(|e| failure.map("reading the schema version", e))?)?;
    conn.pragma_update(None, "synchronous", options.synchronous.pragma())
        .map_err(|e| failure.map("setting synchronous", e))?;
    if reader {
        conn.pragma_update(None, "query_only", true).map_err(|e| failure.map("setting query_only", e))?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Switches the file to WAL (a persistent setting of the file), unless it is in WAL already.
fn enable_wal(conn: &Connection, failure: &Failure) -> Result<(), StoreError> {
    let mode = |conn: &Connection, sql: &str| conn.query_row(sql, [], |row| row.get::<_, String>(0));
    let current = mode(conn, "PRAGMA journal_mode").map_err(|e| failure.map("reading the journal mode", e))?;
    if current.eq_ignore_ascii_case("wal") {
        return Ok(());
    }
    // Switching needs an exclusive lock. When two connections open a new file at once, SQLite
    // may answer one of them SQLITE_BUSY at once, without waiting in the busy handler (it would
    // deadlock), so the switch is retried here until the busy timeout.
    let deadline = std::time::Instant::now() + failure.busy_timeout;
    let now = loop {
        match mode(conn, "PRAGMA journal_mode = WAL") {
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            other => break other.map_err(|e| failure.map("switching to WAL", e))?,
        }
    };
    if now.eq_ignore_ascii_case("wal") {
        Ok(())
    } else {
        Err(StoreError::Backend(format!(
            "the database cannot use write-ahead logging (journal mode stays {now:?}); is it on a network file system?"
        )))
    }
}

impl SqliteRepository {
    /// Opens (or creates) the database at `path` with the default [`SqliteOptions`]: WAL,
    /// `synchronous=FULL`, a 5 s busy timeout. Runs the migrations the file needs.
    ///
    /// Fails with [`BookingError::CorruptRecord`] when the file's schema is newer than this
    /// code ([`SCHEMA_VERSION`]) or it is not a database, and with [`BookingError::Store`]
    /// when it cannot be opened.
    ///
    /// ```
    /// use booking_sqlite::SqliteRepository;
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("bookings.db");
    /// let store = SqliteRepository::open(&path)?;
    /// drop(store);
    /// let again = SqliteRepository::open(&path)?; // already migrated: nothing to do
    /// assert_eq!(again.path(), path);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self, BookingError> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens (or creates) the database at `path` with these options; see [`open`](Self::open).
    ///
    /// ```
    /// use booking_sqlite::{SqliteOptions, SqliteRepository, Synchronous};
    /// let dir = tempfile::tempdir()?;
    /// let store = SqliteRepository::open_with(
    ///     dir.path().join("bookings.db"),
    ///     SqliteOptions::default().synchronous(Synchronous::Normal),
    /// )?;
    /// assert_eq!(store.options().synchronous, Synchronous::Normal);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, BookingError> {
        let path = path.as_ref().to_path_buf();
        let failure = Failure { busy_timeout: options.busy_timeout };
        let mut writer = connect(&path, &options, &failure, false)?;
        enable_wal(&writer, &failure)?;
        schema::migrate(&mut writer, &failure)?;
        Ok(Self {
            path,
            options,
            failure,
            writer: Mutex::new(writer),
            waiting: Mutex::new(Waiting::default()),
            answered: std::sync::Condvar::new(),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// The database file.
    ///
    /// ```
    /// use booking_sqlite::SqliteRepository;
    /// let dir = tempfile::tempdir()?;
    /// let store = SqliteRepository::open(dir.path().join("b.db"))?;
    /// assert!(store.path().ends_with("b.db"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The options it was opened with.
    ///
    /// ```
    /// use booking_sqlite::{SqliteOptions, SqliteRepository};
    /// let dir = tempfile::tempdir()?;
    /// let store = SqliteRepository::open(dir.path().join("b.db"))?;
    /// assert_eq!(store.options(), &SqliteOptions::default());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn options(&self) -> &SqliteOptions {
        &self.options
    }

    /// Host data: the course's own approval setting (`None` removes it).
    ///
    /// ```
    /// use booking_core::{CourseId, Repository, UserId};
    /// use booking_sqlite::SqliteRepository;
    /// let dir = tempfile::tempdir()?;
    /// let store = SqliteRepository::open(dir.path().join("b.db"))?;
    /// let (course, teacher) = (CourseId::from_uuid(uuid::Uuid::from_u128(9)), UserId::from_uuid(uuid::Uuid::from_u128(1)));
    /// store.set_course_approval(course, Some(true))?;
    /// assert_eq!(store.approval_settings(course, teacher)?.course, Some(true));
    /// store.set_course_approval(course, None)?;
    /// assert_eq!(store.approval_settings(course, teacher)?.course, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_course_approval(
        &self,
        course_id: CourseId,
        requires_approval: Option<bool>,
    ) -> Result<(), BookingError> {
        let course = course_id.to_string();
        self.write_host("setting a course's approval", |tx| match requires_approval {
            Some(v) => tx.execute(
                "INSERT INTO course_approval (course_id, requires_approval) VALUES (?1, ?2) \
                 ON CONFLICT (course_id) DO UPDATE SET requires_approval = excluded.requires_approval",
                params![course, v],
            ),
            None => tx.execute("DELETE FROM course_approval WHERE course_id = ?1", params![course]),
        })
    }

    /// Host data: a teacher's approval override for a course (`None` removes it).
    ///
    /// ```
    /// use booking_core::{CourseId, Repository, UserId};
    /// use booking_sqlite::SqliteRepository;
    /// let dir = tempfile::tempdir()?;
    /// let store = SqliteRepository::open(dir.path().join("b.db"))?;
    /// let (course, teacher) = (CourseId::from_uuid(uuid::Uuid::from_u128(9)), UserId::from_uuid(uuid::Uuid::from_u128(1)));
    /// store.set_teacher_approval(teacher, course, Some(false))?;
    /// assert_eq!(store.approval_settings(course, teacher)?.teacher_override, Some(false));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_teacher_approval(
        &self,
        teacher_id: UserId,
        course_id: CourseId,
        requires_approval: Option<bool>,
    ) -> Result<(), BookingError> {
        let (teacher, course) = (teacher_id.to_string(), course_id.to_string());
        self.write_host("setting a teacher's approval", |tx| match requires_approval {
            Some(v) => tx.execute(
                "INSERT INTO teacher_approval (teacher_id, course_id, requires_approval) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (teacher_id, course_id) DO UPDATE SET requires_approval = excluded.requires_approval",
                params![teacher, course, v],
            ),
            None => tx.execute(
                "DELETE FROM teacher_approval WHERE teacher_id = ?1 AND course_id = ?2",
                params![teacher, course],
            ),
        })
    }

    /// Host data: enrolls a student in a course (enrolling twice is fine).
    ///
    /// ```
    /// use booking_core::{CourseId, Repository, UserId};
    /// use booking_sqlite::SqliteRepository;
    /// let dir = tempfile::tempdir()?;
    /// let store = SqliteRepository::open(dir.path().join("b.db"))?;
    /// let (student, course) = (UserId::from_uuid(uuid::Uuid::from_u128(2)), CourseId::from_uuid(uuid::Uuid::from_u128(9)));
    /// store.enroll(student, course)?;
    /// store.enroll(student, course)?;
    /// assert!(store.is_enrolled(student, course)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn enroll(&self, student_id: UserId, course_id: CourseId) -> Result<(), BookingError> {
        let (student, course) = (student_id.to_string(), course_id.to_string());
        self.write_host("enrolling a student", |tx| {
            tx.execute(
                "INSERT INTO enrollments (student_id, course_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![student, course],
            )
        })
    }

    /// Host data: removes a student from a course.
    ///
    /// ```
    /// use booking_core::{CourseId, Repository, UserId};
    /// use booking_sqlite::SqliteRepository;
    /// let dir = tempfile::tempdir()?;
    /// let store = SqliteRepository::open(dir.path().join("b.db"))?;
    /// let (student, course) = (UserId::from_uuid(uuid::Uuid::from_u128(2)), CourseId::from_uuid(uuid::Uuid::from_u128(9)));
    /// store.enroll(student, course)?;
    /// store.unenroll(student, course)?;
    /// assert!(!store.is_enrolled(student, course)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unenroll(&self, student_id: UserId, course_id: CourseId) -> Result<(), BookingError> {
        let (student, course) = (student_id.to_string(), course_id.to_string());
        self.write_host("unenrolling a student", |tx| {
            tx.execute("DELETE FROM enrollments WHERE student_id = ?1 AND course_id = ?2", params![student, course])
        })
    }

    /// The outbox: up to `limit` events with an id greater than `after`, oldest first. Every
    /// commit writes its events here in the same transaction, so the outbox holds exactly
    /// the committed changes; ids increase in commit order and are never reused, so a
    /// consumer that remembers the last id it handled sees every event once (pass 0 to start
    /// from the beginning).
    ///
    /// ```
    /// use booking_core::{Actor, Engine, NewGroupSession, UserId};
    /// use booking_sqlite::SqliteRepository;
    /// use chrono::{TimeDelta, Utc};
    /// let dir = tempfile::tempdir()?;
    /// let engine = Engine::new(SqliteRepository::open(dir.path().join("b.db"))?);
    /// let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
    /// engine.create_session(Actor::Teacher(teacher), NewGroupSession {
    ///     teacher_id: teacher, course_id: None, title: "Poetry".into(),
    ///     starts_at: Utc::now() + TimeDelta::days(3), time_zone: "Europe/Rome".into(),
    ///     duration_minutes: 45, meeting_link: "https://meet.example.com/poetry".into(),
    ///     capacity: 4, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
    /// })?;
    /// let mut last = 0;
    /// for e in engine.repository().events_since(last, 100)? {
    ///     assert_eq!(e.event.kind.name(), "session_created"); // send a notification here
    ///     last = e.id;
    /// }
    /// assert!(engine.repository().events_since(last, 100)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn events_since(&self, after: i64, limit: usize) -> Result<Vec<OutboxEvent>, BookingError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(self.outbox(after, limit)?)
    }

    /// Deletes the outbox events up to and including `id` (once a consumer has handled them);
    /// returns how many were deleted. Later ids are never reused.
    ///
    /// ```
    /// use booking_core::{Actor, Engine, NewGroupSession, UserId};
    /// use booking_sqlite::SqliteRepository;
    /// use chrono::{TimeDelta, Utc};
    /// let dir = tempfile::tempdir()?;
    /// let engine = Engine::new(SqliteRepository::open(dir.path().join("b.db"))?);
    /// let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
    /// engine.create_session(Actor::Teacher(teacher), NewGroupSession {
    ///     teacher_id: teacher, course_id: None, title: "Poetry".into(),
    ///     starts_at: Utc::now() + TimeDelta::days(3), time_zone: "Europe/Rome".into(),
    ///     duration_minutes: 45, meeting_link: "https://meet.example.com/poetry".into(),
    ///     capacity: 4, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
    /// })?;
    /// let handled = engine.repository().events_since(0, 100)?;
    /// assert_eq!(engine.repository().delete_events_through(handled.last().unwrap().id)?, 1);
    /// assert!(engine.repository().events_since(0, 100)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delete_events_through(&self, id: i64) -> Result<usize, BookingError> {
        self.write("deleting handled events", |tx| tx.execute("DELETE FROM events WHERE id <= ?1", params![id]))
    }

    /// Retention of the outbox: deletes the events that occurred before `occurred_before`
    /// (whether a consumer has handled them or not); returns how many were deleted. Later ids
    /// are never reused. An operator's action, like
    /// [`Engine::prune_requests`](booking_core::Engine::prune_requests); a consumer that
    /// deletes what it handled uses [`delete_events_through`](Self::delete_events_through).
    ///
    /// ```
    /// use booking_core::{Actor, Engine, ManualClock, NewGroupSession, UserId};
    /// use booking_sqlite::SqliteRepository;
    /// use chrono::{TimeDelta, Utc};
    /// let dir = tempfile::tempdir()?;
    /// let clock = std::sync::Arc::new(ManualClock::new(Utc::now()));
    /// let engine = Engine::new(SqliteRepository::open(dir.path().join("b.db"))?).with_clock(clock.clone());
    /// let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
    /// engine.create_session(Actor::Teacher(teacher), NewGroupSession {
    ///     teacher_id: teacher, course_id: None, title: "Poetry".into(),
    ///     starts_at: Utc::now() + TimeDelta::days(90), time_zone: "Europe/Rome".into(),
    ///     duration_minutes: 45, meeting_link: "https://meet.example.com/poetry".into(),
    ///     capacity: 4, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
    /// })?;
    /// clock.advance(TimeDelta::days(31));
    /// assert_eq!(engine.repository().prune_events(engine.now() - TimeDelta::days(30))?, 1);
    /// assert!(engine.repository().events_since(0, 100)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn prune_events(&self, occurred_before: chrono::DateTime<chrono::Utc>) -> Result<usize, BookingError> {
        let before = encode_instant(occurred_before);
        self.write("pruning the outbox", |tx| tx.execute("DELETE FROM events WHERE occurred_at < ?1", params![before]))
    }

    /// Runs SQLite's `PRAGMA integrity_check`: `Ok` if the file is sound, else
    /// [`BookingError::CorruptRecord`] with what SQLite found.
    ///
    /// ```
    /// use booking_sqlite::SqliteRepository;
    /// let dir = tempfile::tempdir()?;
    /// let store = SqliteRepository::open(dir.path().join("b.db"))?;
    /// store.check_integrity()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_integrity(&self) -> Result<(), BookingError> {
        let found = self.read(|conn, failure| {
            let mut stmt = conn.prepare("PRAGMA integrity_check").map_err(|e| failure.map("checking integrity", e))?;
            let rows = stmt
                .query_map([], |row| row.get::<_, String>(0))
                .and_then(Iterator::collect::<Result<Vec<String>, _>>)
                .map_err(|e| failure.map("checking integrity", e))?;
            Ok(rows)
        })?;
        if found == ["ok"] {
            Ok(())
        } else {
            Err(BookingError::CorruptRecord { record: "database file".to_owned(), detail: found.join("; ") })
        }
    }

    /// Runs `body` in a write transaction, for a host-data change.
    fn write_host(
        &self,
        doing: &str,
        body: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<usize>,
    ) -> Result<(), BookingError> {
        self.write(doing, body).map(drop)
    }

    /// Runs `body` in a write transaction; returns the rows it changed.
    fn write(
        &self,
        doing: &str,
        body: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<usize>,
    ) -> Result<usize, BookingError> {
        let mut conn = lock(&self.writer);
        Ok(write_transaction(&mut conn, &self.failure, |tx| body(tx).map_err(|e| self.failure.map(doing, e)))?)
    }

    /// Runs `body` on an idle reader connection (opening one if none is idle).
    fn read<T>(&self, body: impl FnOnce(&Connection, &Failure) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let idle = lock(&self.readers).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => connect(&self.path, &self.options, &self.failure, true)?,
        };
        let result = body(&conn, &self.failure);
        let mut idle = lock(&self.readers);
        if idle.len() < self.options.readers {
            idle.push(conn);
        }
        result
    }

    /// The aggregate `A` with this id, checked against its row.
    fn load<A: Aggregate>(&self, id: uuid::Uuid) -> Result<Option<Arc<A>>, StoreError> {
        let sql = format!("SELECT version, body FROM {} WHERE id = ?1", A::TABLE);
        self.read(|conn, failure| {
            let doing = format!("loading {} {id}", A::TABLE);
            let mut stmt = conn.prepare_cached(&sql).map_err(|e| failure.map(&doing, e))?;
            let mut rows = stmt.query([id.to_string()]).map_err(|e| failure.map(&doing, e))?;
            let Some(row) = rows.next().map_err(|e| failure.map(&doing, e))? else { return Ok(None) };
            decode_aggregate::<A>(id, get(row, 0, failure)?, get(row, 1, failure)?).map(|a| Some(Arc::new(a)))
        })
    }

    /// The outbox as the [`Repository`] reads it: events with an id above `after`, ascending.
    fn outbox(&self, after: i64, limit: i64) -> Result<Vec<OutboxEvent>, StoreError> {
        self.read(|conn, failure| {
            let mut stmt = conn
                .prepare_cached("SELECT id, body FROM events WHERE id > ?1 ORDER BY id LIMIT ?2")
                .map_err(|e| failure.map("reading the outbox", e))?;
            let mut rows = stmt.query(params![after, limit]).map_err(|e| failure.map("reading the outbox", e))?;
            let mut events = Vec::new();
            while let Some(row) = rows.next().map_err(|e| failure.map("reading the outbox", e))? {
                let id = Decoder::new("events", "?").integer("id", get(row, 0, failure)?)?;
                let event = Decoder::new("events", id).json("body", get(row, 1, failure)?)?;
                events.push(OutboxEvent { id, event });
            }
            Ok(events)
        })
    }
}

/// The aggregate `A` stored under `id`, from its row's `version` and `body`, checked against
/// the row: a body about another aggregate or at another version is corrupt.
fn decode_aggregate<A: Aggregate>(
    id: uuid::Uuid,
    version: rusqlite::types::ValueRef<'_>,
    body: rusqlite::types::ValueRef<'_>,
) -> Result<A, StoreError> {
    let decoder = Decoder::new(A::TABLE, id);
    let version = decoder.version(version)?;
    let aggregate: A = decoder.json("body", body)?;
    if aggregate.id() != id {
        return Err(decoder.corrupt(format!("the body is about {}", aggregate.id())));
    }
    if aggregate.version() != version {
        return Err(
            decoder.corrupt(format!("the body is at version {} but the row at version {version}", aggregate.version()))
        );
    }
    Ok(aggregate)
}

/// A `u64` position or limit as SQLite's signed integer (beyond `i64::MAX`: `i64::MAX`, which
/// no id reaches).
fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Column `index` of `row`.
fn get<'a>(
    row: &'a rusqlite::Row<'_>,
    index: usize,
    failure: &Failure,
) -> Result<rusqlite::types::ValueRef<'a>, StoreError> {
    row.get_ref(index).map_err(|e| failure.map("reading a column", e))
}

/// The query [`Repository::read_index`] runs, with its parameters `?1` index, `?2` partition,
/// `?3` and `?4` the exclusive sort-key bounds, `?5` the limit: each entry's sort key, kind, id,
/// and its aggregate's version and body as stored now. It is a range scan of `read_index`'s
/// primary key `(index, partition, sort)` joined to `sessions` and `lessons` by primary key;
/// public so that a host can `EXPLAIN QUERY PLAN` it on its own data.
pub const READ_INDEX_QUERY: &str = "SELECT r.sort, r.kind, r.aggregate_id, coalesce(s.version, l.version), \
     coalesce(s.body, l.body) FROM read_index AS r \
     LEFT JOIN sessions AS s ON r.kind = 'session' AND s.id = r.aggregate_id \
     LEFT JOIN lessons AS l ON r.kind = 'lesson' AND l.id = r.aggregate_id \
     WHERE r.\"index\" = ?1 AND r.\"partition\" = ?2 AND r.sort > ?3 AND r.sort < ?4 \
     ORDER BY r.sort LIMIT ?5";

impl Repository for SqliteRepository {
    fn sessions_with_offers_due(&self, until: chrono::DateTime<chrono::Utc>) -> Result<Vec<SessionId>, StoreError> {
        let until = encode_instant(until);
        self.read(|conn, failure| {
            let doing = "finding sessions with offers due";
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id FROM sessions WHERE offer_deadline IS NOT NULL AND offer_deadline <= ?1 \
                     ORDER BY offer_deadline, id",
                )
                .map_err(|e| failure.map(doing, e))?;
            let mut rows = stmt.query([until]).map_err(|e| failure.map(doing, e))?;
            let mut due = Vec::new();
            while let Some(row) = rows.next().map_err(|e| failure.map(doing, e))? {
                due.push(SessionId::from_uuid(Decoder::new("sessions", "?").uuid("id", get(row, 0, failure)?)?));
            }
            Ok(due)
        })
    }

    fn load_session(&self, id: SessionId) -> Result<Option<Arc<GroupSession>>, StoreError> {
        self.load(id.as_uuid())
    }

    fn load_calendar(&self, owner: UserId) -> Result<Option<Arc<Calendar>>, StoreError> {
        self.load(owner.as_uuid())
    }

    fn load_lesson(&self, id: BookingId) -> Result<Option<Arc<Lesson>>, StoreError> {
        self.load(id.as_uuid())
    }

    fn locate_booking(&self, id: BookingId) -> Result<Option<BookingLocation>, StoreError> {
        self.read(|conn, failure| {
            let doing = "locating a booking";
            let mut stmt = conn
                .prepare_cached("SELECT kind, session_id FROM booking_index WHERE booking_id = ?1")
                .map_err(|e| failure.map(doing, e))?;
            let mut rows = stmt.query([id.to_string()]).map_err(|e| failure.map(doing, e))?;
            let Some(row) = rows.next().map_err(|e| failure.map(doing, e))? else { return Ok(None) };
            let decoder = Decoder::new("booking_index", id);
            match decoder.text("kind", get(row, 0, failure)?)? {
                "session" => Ok(Some(BookingLocation::Session(SessionId::from_uuid(
                    decoder.uuid("session_id", get(row, 1, failure)?)?,
                )))),
                "lesson" => Ok(Some(BookingLocation::Lesson)),
                other => Err(decoder.corrupt(format!("column kind: unknown kind {other:?}"))),
            }
        })
    }

    fn locate_slot(&self, id: SlotId) -> Result<Option<UserId>, StoreError> {
        self.read(|conn, failure| {
            let doing = "locating a slot";
            let mut stmt = conn
                .prepare_cached("SELECT teacher_id FROM slot_index WHERE slot_id = ?1")
                .map_err(|e| failure.map(doing, e))?;
            let mut rows = stmt.query([id.to_string()]).map_err(|e| failure.map(doing, e))?;
            let Some(row) = rows.next().map_err(|e| failure.map(doing, e))? else { return Ok(None) };
            Ok(Some(UserId::from_uuid(Decoder::new("slot_index", id).uuid("teacher_id", get(row, 0, failure)?)?)))
        })
    }

    fn load_request(&self, actor: &Actor, key: &RequestKey) -> Result<Option<RequestRecord>, StoreError> {
        let actor_text = actor_key(actor);
        self.read(|conn, failure| {
            let doing = "loading a request record";
            let mut stmt = conn
                .prepare_cached("SELECT body FROM requests WHERE actor = ?1 AND key = ?2")
                .map_err(|e| failure.map(doing, e))?;
            let mut rows = stmt.query(params![actor_text, key.as_str()]).map_err(|e| failure.map(doing, e))?;
            let Some(row) = rows.next().map_err(|e| failure.map(doing, e))? else { return Ok(None) };
            let decoder = Decoder::new("requests", format!("{actor_text} {:?}", key.as_str()));
            let record: RequestRecord = decoder.json("body", get(row, 0, failure)?)?;
            if record.actor != *actor || record.key != *key {
                return Err(decoder.corrupt(format!("the body is the record of {} {:?}", record.actor, record.key)));
            }
            Ok(Some(record))
        })
    }

    fn approval_settings(&self, course_id: CourseId, teacher_id: UserId) -> Result<ApprovalSettings, StoreError> {
        self.read(|conn, failure| {
            let doing = "reading approval settings";
            let mut stmt = conn
                .prepare_cached(
                    "SELECT (SELECT requires_approval FROM course_approval WHERE course_id = ?1), \
                     (SELECT requires_approval FROM teacher_approval WHERE teacher_id = ?2 AND course_id = ?1)",
                )
                .map_err(|e| failure.map(doing, e))?;
            let mut rows = stmt
                .query(params![course_id.to_string(), teacher_id.to_string()])
                .map_err(|e| failure.map(doing, e))?;
            let row = rows
                .next()
                .map_err(|e| failure.map(doing, e))?
                .ok_or_else(|| StoreError::Backend(format!("{doing}: no row")))?;
            let flag = |index, decoder: Decoder| -> Result<Option<bool>, StoreError> {
                match get(row, index, failure)? {
                    rusqlite::types::ValueRef::Null => Ok(None),
                    value => decoder.flag("requires_approval", value).map(Some),
                }
            };
            Ok(ApprovalSettings {
                course: flag(0, Decoder::new("course_approval", course_id))?,
                teacher_override: flag(1, Decoder::new("teacher_approval", format!("{teacher_id} {course_id}")))?,
            })
        })
    }

    fn is_enrolled(&self, student_id: UserId, course_id: CourseId) -> Result<bool, StoreError> {
        self.read(|conn, failure| {
            conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM enrollments WHERE student_id = ?1 AND course_id = ?2)")
                .and_then(|mut s| s.query_row(params![student_id.to_string(), course_id.to_string()], |r| r.get(0)))
                .map_err(|e| failure.map("reading an enrollment", e))
        })
    }

    fn load_finished_booking(&self, id: BookingId) -> Result<Option<SeatBooking>, StoreError> {
        self.read(|conn, failure| {
            let doing = "loading a finished booking";
            let mut stmt = conn
                .prepare_cached("SELECT body FROM finished_bookings WHERE booking_id = ?1")
                .map_err(|e| failure.map(doing, e))?;
            let mut rows = stmt.query([id.to_string()]).map_err(|e| failure.map(doing, e))?;
            let Some(row) = rows.next().map_err(|e| failure.map(doing, e))? else { return Ok(None) };
            let decoder = Decoder::new("finished_bookings", id);
            let booking: SeatBooking = decoder.json("body", get(row, 0, failure)?)?;
            if booking.id != id {
                return Err(decoder.corrupt(format!("the body is booking {}", booking.id)));
            }
            Ok(Some(booking))
        })
    }

    fn prune_requests(&self, recorded_before: chrono::DateTime<chrono::Utc>) -> Result<u64, StoreError> {
        let before = encode_instant(recorded_before);
        let mut conn = lock(&self.writer);
        let deleted = write_transaction(&mut conn, &self.failure, |tx| {
            tx.execute("DELETE FROM requests WHERE recorded_at < ?1", params![before])
                .map_err(|e| self.failure.map("pruning request records", e))
        })?;
        Ok(deleted as u64)
    }

    fn read_index(&self, range: &IndexRange) -> Result<Vec<IndexHit>, StoreError> {
        let limit = i64::from(range.limit);
        self.read(|conn, failure| {
            let doing = "reading a read index";
            let mut stmt = conn.prepare_cached(READ_INDEX_QUERY).map_err(|e| failure.map(doing, e))?;
            let mut rows = stmt
                .query(params![range.index.as_str(), range.partition, range.after, range.before, limit])
                .map_err(|e| failure.map(doing, e))?;
            let mut hits = Vec::new();
            while let Some(row) = rows.next().map_err(|e| failure.map(doing, e))? {
                let entry = Decoder::new("read_index", range.index.as_str());
                let sort = entry.text("sort", get(row, 0, failure)?)?.to_owned();
                let id = entry.uuid("aggregate_id", get(row, 2, failure)?)?;
                let (version, body) = (get(row, 3, failure)?, get(row, 4, failure)?);
                if body == rusqlite::types::ValueRef::Null {
                    continue; // an entry of an aggregate no longer stored: nothing to list
                }
                let aggregate = match entry.text("kind", get(row, 1, failure)?)? {
                    "session" => Indexed::Session(Arc::new(decode_aggregate::<GroupSession>(id, version, body)?)),
                    "lesson" => Indexed::Lesson(Arc::new(decode_aggregate::<Lesson>(id, version, body)?)),
                    other => return Err(entry.corrupt(format!("column kind: unknown kind {other:?}"))),
                };
                hits.push(IndexHit { sort, aggregate });
            }
            Ok(hits)
        })
    }

    fn read_outbox(&self, after: u64, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let events = self.outbox(clamp(after), i64::from(limit))?;
        Ok(events
            .into_iter()
            .filter_map(|e| u64::try_from(e.id).ok().map(|position| OutboxEntry { position, event: e.event }))
            .collect())
    }

    fn acknowledge_outbox(&self, up_to: u64) -> Result<u64, StoreError> {
        let up_to = clamp(up_to);
        let mut conn = lock(&self.writer);
        let deleted = write_transaction(&mut conn, &self.failure, |tx| {
            tx.execute("DELETE FROM events WHERE id <= ?1", params![up_to])
                .map_err(|e| self.failure.map("acknowledging the outbox", e))
        })?;
        Ok(deleted as u64)
    }

    fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        // Everything is encoded before the write lock is taken, to hold it for less time.
        let encoded = EncodedCommit::new(&commit)?;
        self.commit_waiting(vec![encoded])
    }

    /// All of `commits` in one write transaction, in order: all of them or none
    /// (`committed: 0`).
    fn commit_all(&self, mut commits: Vec<Commit>) -> Result<(), BatchFailure> {
        let fail = |error| BatchFailure { committed: 0, error };
        // Each session the batch writes is written once, in its final state.
        Commit::fold_chained_writes(&mut commits);
        let encoded = commits.iter().map(EncodedCommit::new).collect::<Result<Vec<_>, _>>().map_err(fail)?;
        self.commit_waiting(encoded).map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use booking_core::{
        Engine, Event, EventKind, ManualClock, NewGroupSession, SequentialIds, SessionId,
        repository::{Commit, RequestRecord, Write},
    };
    use chrono::{TimeZone, Utc};

    fn id(n: u128) -> uuid::Uuid {
        uuid::Uuid::from_u128(n)
    }

    /// A commit writing `session` with one more confirmed booking (student `n`), expecting
    /// `expected_version`.
    fn booking(session: &GroupSession, n: u128, expected_version: u64, request: Option<RequestRecord>) -> Commit {
        let event = Event {
            occurred_at: Utc.with_ymd_and_hms(2030, 3, 4, 9, 0, 0).unwrap(),
            actor: Actor::System,
            kind: EventKind::BookingConfirmed {
                session_id: session.id,
                booking_id: BookingId::from_uuid(id(1000 + n)),
                student_id: UserId::from_uuid(id(2000 + n)),
                seats: 1,
            },
        };
        let mut next = session.clone();
        next.apply(&event);
        next.version += 1;
        Commit {
            writes: vec![Write::Session { expected_version, session: Arc::new(next) }],
            request,
            events: vec![event],
            finished_bookings: vec![],
        }
    }

    #[test]
    fn commits_waiting_for_the_writer_share_one_transaction_and_each_keeps_its_own_outcome() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let store = Arc::new(SqliteRepository::open(file.path()).unwrap());
        let at = Utc.with_ymd_and_hms(2030, 3, 4, 9, 0, 0).unwrap();
        let engine =
            Engine::new(Arc::clone(&store)).with_clock(ManualClock::new(at)).with_ids(SequentialIds::default());
        let sessions: Vec<Arc<GroupSession>> = (0..6)
            .map(|_| {
                let new = NewGroupSession {
                    teacher_id: UserId::from_uuid(id(1)),
                    course_id: None,
                    title: "Queued".into(),
                    starts_at: at + chrono::TimeDelta::days(1),
                    time_zone: "Europe/Berlin".into(),
                    duration_minutes: 60,
                    meeting_link: "https://meet.example.com/q".into(),
                    capacity: 5,
                    waitlist_enabled: false,
                    waitlist_mode: Default::default(),
                    rules: Default::default(),
                };
                engine.create_session(Actor::System, new).unwrap().value
            })
            .collect();
        let recorded = |key: &str| RequestRecord {
            actor: Actor::System,
            key: booking_core::RequestKey::new(key).unwrap(),
            command: booking_core::Command::CancelSession { session_id: sessions[0].id },
            outcome: booking_core::Outcome {
                value: booking_core::OutcomeValue::Session { session: Arc::clone(&sessions[0]) },
                events: vec![],
                version: 1,
            },
            recorded_at: at,
        };
        store
            .commit(Commit {
                writes: vec![],
                request: Some(recorded("taken")),
                events: vec![],
                finished_bookings: vec![],
            })
            .unwrap();
        let outbox_before = store.read_outbox(0, 1000).unwrap().len();

        // Sessions 0 to 3 get a booking; 4 is written at a version it no longer has; 5's write
        // comes with a request key already recorded, after the write was made: its savepoint
        // must take the write back.
        let mut commits: Vec<(usize, Commit)> =
            (0..4).map(|i| (i, booking(&sessions[i], i as u128, 1, None))).collect();
        commits.push((4, booking(&sessions[4], 4, 7, None)));
        commits.push((5, booking(&sessions[5], 5, 1, Some(recorded("taken")))));
        // As if a thread were applying commits: the six queue behind it.
        lock(&store.waiting).leading = true;
        let threads: Vec<_> = commits
            .into_iter()
            .map(|(i, commit)| {
                let store = Arc::clone(&store);
                std::thread::spawn(move || (i, store.commit(commit)))
            })
            .collect();
        while lock(&store.waiting).queued.len() < threads.len() {
            std::thread::yield_now();
        }
        // Every commit is queued: whichever thread takes the queue applies all six.
        lock(&store.waiting).leading = false;
        store.answered.notify_all();
        let mut outcomes: Vec<(usize, Result<(), StoreError>)> =
            threads.into_iter().map(|t| t.join().unwrap()).collect();
        outcomes.sort_by_key(|(i, _)| *i);
        let outcomes: Vec<_> = outcomes.into_iter().map(|(_, outcome)| outcome).collect();
        assert_eq!(&outcomes[..4], &[Ok(()), Ok(()), Ok(()), Ok(())]);
        assert!(matches!(outcomes[4], Err(StoreError::Conflict(_))), "{:?}", outcomes[4]);
        assert_eq!(outcomes[5], Err(StoreError::DuplicateRequest));

        let version = |i: usize| store.load_session(sessions[i].id).unwrap().unwrap().version;
        assert_eq!((0..6).map(version).collect::<Vec<_>>(), [2, 2, 2, 2, 1, 1]);
        let events: Vec<SessionId> = store.read_outbox(0, 1000).unwrap()[outbox_before..]
            .iter()
            .map(|entry| match entry.event.kind {
                EventKind::BookingConfirmed { session_id, .. } => session_id,
                ref other => panic!("unexpected event {other:?}"),
            })
            .collect();
        let mut expected: Vec<SessionId> = sessions[..4].iter().map(|s| s.id).collect();
        let mut events_sorted = events.clone();
        events_sorted.sort();
        expected.sort();
        assert_eq!(events_sorted, expected, "only the applied commits' events");
        assert_eq!(store.locate_booking(BookingId::from_uuid(id(1005))).unwrap(), None, "5's booking index taken back");
        let waiting = lock(&store.waiting);
        assert!(waiting.queued.is_empty() && waiting.outcomes.is_empty(), "every outcome was taken");
    }
}
