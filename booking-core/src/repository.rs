//! The storage contract: what every store (in-memory, SQLite, PostgreSQL, or one written in
//! Python or Kotlin) implements, and what it must guarantee.
//!
//! # How the engine uses a store
//! The engine never holds a lock or a transaction across a decision. For every command it
//! 1. loads the aggregates the command needs ([`Repository::load_session`]), each with its
//!    version;
//! 2. decides purely (no I/O) on those snapshots, producing the new states and events;
//! 3. hands the store one [`Commit`]: "write these new states *if* each is still at the
//!    version I read, and record this request key *if* it is not recorded yet";
//! 4. on [`StoreError::Conflict`] (someone else committed first) starts again from step 1
//!    with fresh state, up to a bounded number of attempts.
//!
//! This is optimistic concurrency control. It was chosen over an "atomic update the store
//! provides" because it needs nothing from a store but one conditional, atomic write: SQLite,
//! PostgreSQL, a Django model with `select_for_update`, a Kotlin Room DAO or a key-value store
//! can all provide that, and none of them needs to understand a single booking rule.
//!
//! # What a store must guarantee
//! For the no-overbooking and no-double-booking rules to hold, [`Repository::commit`] must be
//! **atomic and conditional**:
//! - every [`Write`] is applied only if the stored version of its aggregate equals
//!   `expected_version` (`0` means "must not exist yet");
//! - the request record, if any, is stored only if the same `(actor, key)` is not stored yet;
//! - either all of it is applied, or none of it is and an error says why
//!   ([`StoreError::Conflict`] or [`StoreError::DuplicateRequest`]);
//! - commits are linearizable: once `commit` has returned `Ok`, every later load sees it.
//!
//! Loads may return stale data (the version check catches it), but never a torn aggregate.
//!
//! # Several commits in one step (group commit)
//! While one command on a session is being committed, the engine decides the commands that
//! arrived behind it on the state that commit produces, and hands their commits to the store
//! together, in order, with [`Repository::commit_all`]: each commit is conditional on the
//! version the one before it writes, and keeps its own request record and events. A store
//! that can apply them in one transaction (SQLite) or one round trip (PostgreSQL) overrides
//! `commit_all` to do so, all or none; the provided method commits them one after another and
//! says how many it committed before the first failure. Either way each commit keeps every
//! guarantee above, so the engine never needs more than "these first `n` are applied".
//!
//! # Failures
//! A store that cannot answer in time (a network partition, a database server down or
//! restarting, a connection or statement timeout) returns [`StoreError::Unavailable`] within
//! a bound of its own (its timeouts), never hangs: the caller gets `store_unavailable` and
//! retries later with the same request key. A commit that failed so may have been applied;
//! the request key makes the retry safe (it replays the recorded outcome). Any other failure
//! is [`StoreError::Backend`] (`store_error`), and a record that does not decode
//! [`StoreError::Corrupt`].
//!
//! # Aggregates and indexes
//! A store keeps three kinds of aggregate, each versioned on its own ([`AggregateKey`]):
//! group sessions (with their live seat bookings), calendars (one per person: availability slots
//! and holds of active lessons) and lessons. It also keeps two indexes, filled from each
//! commit: booking id to where the booking lives ([`Commit::new_bookings`]) and slot id to its
//! teacher ([`Commit::new_slots`]), the request records, and the booking history (finished seat
//! bookings by id, from [`Commit::finished_bookings`]).
//!
//! # Booking history
//! A group session is one aggregate, rewritten whole by every command on it, so it keeps only
//! its live seat bookings. A booking that finishes (cancelled, a declined offer, an expired offer:
//! [`SeatStatus::is_finished`](crate::SeatStatus::is_finished)) leaves
//! [`GroupSession::bookings`] in the commit that finishes it, which carries it in
//! [`Commit::finished_bookings`]; the store keeps it, keyed by its id, in the same atomic step, and
//! [`Repository::load_finished_booking`] reads it back. A booking, once finished, never changes
//! again; should the same id come again, a store replaces what it holds (an upsert, never a
//! conflict). So a student booking and cancelling in a loop leaves the session the size of its
//! live bookings, and the history grows by one small record per finished booking: a stored
//! session's JSON is about 720 bytes plus about 280 per live booking, whatever its history (after
//! 50,000 book/cancel cycles by one student, 719 bytes, and a book or cancel on it costs what it
//! costs on a fresh session: `BENCHMARKS.md`, "A session's history"). A session
//! stored by an earlier version, which kept every booking, sheds its finished ones on its next
//! change: no data migration is needed (the SQLite and PostgreSQL stores move them eagerly in a
//! schema migration all the same).
//!
//! The booking index ([`Repository::locate_booking`]) keeps naming the session of a finished
//! booking; the engine looks a booking up in its session first and in the history second.
//!
//! # Retention
//! Request records accumulate, one per keyed command. [`Repository::prune_requests`] deletes the
//! ones recorded (their [`RequestRecord::recorded_at`], the engine's instant when it decided)
//! before an instant; the host calls it as an operator action, through
//! [`Engine::prune_requests`](crate::Engine::prune_requests), from a maintenance job, never on a
//! user's behalf. The trade-off: a retry sent with a key older than the retention is decided
//! afresh, like a new command (the rules still hold: a student never holds two active bookings of
//! one session; but a retried "book" of a booking cancelled since books again, and a retried
//! "cancel" is refused with `invalid_transition` instead of replaying its first outcome). Keep the
//! retention well above the longest time a client may retry (days, not minutes). Stores that keep
//! an outbox prune it separately (`SqliteRepository::prune_events`, `PgRepository::prune_events`).
//!
//! # Read indexes and the outbox
//! Queries ([`crate::read`]: a student's or a teacher's agenda, the approval queue, what starts
//! soon) page through **read indexes**: sorted lists of aggregates by a partition (a user) and
//! a sort key (an instant and an id). Which entries an aggregate has is the core's decision
//! ([`Write::read_entries`], [`crate::index::IndexEntry`]); a store keeps them in one table
//! `(index, partition, sort, aggregate)`, replacing an aggregate's entries in the same atomic
//! step as its body, and answers [`Repository::read_index`] with one range scan that returns
//! the aggregates too. A new query needs no store change.
//!
//! The **outbox** keeps the events of every commit ([`Commit::events`]) in the same atomic
//! step, at positions that grow in commit order: a reader that has seen position `p` never
//! later finds an event below `p` it has not seen (a store that assigns positions before
//! commit, as a SQL sequence does, serializes the assignment with the commit, e.g. under a
//! lock taken by every committing transaction). Events of a refused or failed commit never
//! appear. A host relays with at-least-once delivery: read from the last acknowledged
//! position ([`Repository::read_outbox`]), deliver, then acknowledge
//! ([`Repository::acknowledge_outbox`]); a crash between delivery and acknowledgement
//! delivers the same events again, never loses one.
//!
//! # Host-owned data
//! Enrollments and course approval settings belong to the host platform.
//! [`Repository::is_enrolled`] and [`Repository::approval_settings`] read them when a command
//! is decided; they are not versioned, so a change racing a booking is seen by the next command
//! (an enrollment revoked at the same instant as a booking may let that one booking through).
//!
//! # Wrapping a store
//! A store that changes only some methods of another (commits that fail or are counted in a
//! test or a measurement, host data kept beside a store) implements [`StoreWrapper`]: it names
//! the inner store and writes only the methods it changes; the others are forwarded.

pub use crate::command::{MAX_REQUEST_KEY_LEN, Outcome, OutcomeValue, RequestKey, RequestRecord};
use crate::{
    Actor, BookingError, BookingId, CourseId, Event, EventKind, GroupSession, SeatBooking, SessionId, SlotId, UserId,
    lesson::{ApprovalSettings, Calendar, Lesson},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// Where a booking lives, so commands can name a booking by its id alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum BookingLocation {
    /// A seat in this group session.
    Session(SessionId),
    /// A 1:1 lesson (an aggregate of its own, loaded with [`Repository::load_lesson`]).
    Lesson,
}

/// The identity of a stored aggregate; stores lock and version aggregates by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "aggregate", content = "id", rename_all = "snake_case")]
pub enum AggregateKey {
    /// A group session.
    Session(SessionId),
    /// A person's calendar.
    Calendar(UserId),
    /// A 1:1 lesson.
    Lesson(BookingId),
}

impl AggregateKey {
    /// The kind of aggregate: `"session"`, `"calendar"` or `"lesson"`.
    ///
    /// ```
    /// use booking_core::{SessionId, repository::AggregateKey};
    /// let key = AggregateKey::Session(SessionId::from_uuid(uuid::Uuid::nil()));
    /// assert_eq!((key.kind(), key.uuid()), ("session", uuid::Uuid::nil()));
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            AggregateKey::Session(_) => "session",
            AggregateKey::Calendar(_) => "calendar",
            AggregateKey::Lesson(_) => "lesson",
        }
    }

    /// The id of the aggregate (a session, a calendar's owner, or a lesson).
    pub fn uuid(&self) -> uuid::Uuid {
        match self {
            AggregateKey::Session(id) => id.as_uuid(),
            AggregateKey::Calendar(id) => id.as_uuid(),
            AggregateKey::Lesson(id) => id.as_uuid(),
        }
    }
}

/// One conditional write of a [`Commit`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "aggregate", rename_all = "snake_case")]
pub enum Write {
    /// Store `session` if the stored one is at `expected_version` (`0`: must not exist).
    /// `session.version` is `expected_version + 1`, or more in a batch whose writes were
    /// folded ([`Commit::fold_chained_writes`]).
    Session {
        /// The version the decision was made on.
        expected_version: u64,
        /// The new state.
        session: Arc<GroupSession>,
    },
    /// Store `calendar` if the stored one is at `expected_version` (`0`: must not exist).
    Calendar {
        /// The version the decision was made on.
        expected_version: u64,
        /// The new state.
        calendar: Arc<Calendar>,
    },
    /// Store `lesson` if the stored one is at `expected_version` (`0`: must not exist).
    Lesson {
        /// The version the decision was made on.
        expected_version: u64,
        /// The new state.
        lesson: Arc<Lesson>,
    },
}

impl Write {
    /// The version the decision was made on.
    pub fn expected_version(&self) -> u64 {
        match self {
            Write::Session { expected_version, .. }
            | Write::Calendar { expected_version, .. }
            | Write::Lesson { expected_version, .. } => *expected_version,
        }
    }

    /// The version this writes (the written aggregate's).
    pub fn new_version(&self) -> u64 {
        match self {
            Write::Session { session, .. } => session.version,
            Write::Calendar { calendar, .. } => calendar.version,
            Write::Lesson { lesson, .. } => lesson.version,
        }
    }

    /// This write's new state, expected at `expected_version` instead.
    fn expecting(self, expected_version: u64) -> Write {
        match self {
            Write::Session { session, .. } => Write::Session { expected_version, session },
            Write::Calendar { calendar, .. } => Write::Calendar { expected_version, calendar },
            Write::Lesson { lesson, .. } => Write::Lesson { expected_version, lesson },
        }
    }

    /// Which aggregate this writes.
    pub fn key(&self) -> AggregateKey {
        match self {
            Write::Session { session, .. } => AggregateKey::Session(session.id),
            Write::Calendar { calendar, .. } => AggregateKey::Calendar(calendar.owner),
            Write::Lesson { lesson, .. } => AggregateKey::Lesson(lesson.id),
        }
    }

    /// What a store keeps beside the written aggregate's body (see [`crate::index`]).
    pub fn index(&self) -> crate::index::IndexEntries {
        use crate::index::{CalendarIndex, IndexEntries, LessonIndex, SessionIndex};
        match self {
            Write::Session { session, .. } => IndexEntries::Session(SessionIndex::of(session)),
            Write::Calendar { calendar, .. } => IndexEntries::Calendar(CalendarIndex::of(calendar)),
            Write::Lesson { lesson, .. } => IndexEntries::Lesson(LessonIndex::of(lesson)),
        }
    }

    /// The read-index entries of the written aggregate (see [`ReadIndex`](crate::index::ReadIndex)):
    /// the store replaces the aggregate's previous entries with these, in the same atomic step.
    /// A calendar has none.
    pub fn read_entries(&self) -> Vec<crate::index::IndexEntry> {
        use crate::index::IndexEntry;
        match self {
            Write::Session { session, .. } => IndexEntry::of_session(session),
            Write::Calendar { .. } => Vec::new(),
            Write::Lesson { lesson, .. } => IndexEntry::of_lesson(lesson),
        }
    }
}

/// Everything one command changes, to be applied atomically (see the [module docs](self)).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// The new aggregate states, each conditional on its expected version.
    pub writes: Vec<Write>,
    /// The request record to store, if the command carried a key.
    pub request: Option<RequestRecord>,
    /// The events of the command; a store may keep them (an outbox), or not.
    pub events: Vec<Event>,
    /// Seat bookings this commit finishes (cancelled or expired), moved out of the session it
    /// writes: the store keeps each in its booking history, keyed by id (replacing what it
    /// holds under that id), for [`Repository::load_finished_booking`]. See the
    /// [module docs](self), "Booking history".
    #[serde(default)]
    pub finished_bookings: Vec<SeatBooking>,
}

impl Commit {
    /// Folds the writes of a batch for [`Repository::commit_all`] that continue an earlier
    /// write of the batch into that write: when commit `j` writes an aggregate at exactly the
    /// version an earlier commit `i` writes it, commit `i` writes commit `j`'s state instead
    /// (still expecting what it expected) and commit `j` writes nothing. Applied in order, the
    /// batch then leaves the same aggregates (at the same final versions), request records,
    /// indexes, booking history and events as before, writing each aggregate once instead of
    /// once per command: what a store that applies a batch in one transaction does to save
    /// the rewrites. Only the versions in between are never stored. For a store that applies
    /// a batch all or none only: a folded batch cannot stop after a commit whose write was
    /// moved to an earlier one. What a store derives per commit from its writes (PostgreSQL
    /// files each event under its session and the version its commit made) it reads before
    /// folding.
    ///
    /// ```
    /// use booking_core::repository::{Commit, Write};
    /// # use booking_core::*;
    /// # use chrono::{TimeDelta, Utc};
    /// # let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
    /// # let new = NewGroupSession {
    /// #     teacher_id: teacher, course_id: None, title: "Choir".into(), starts_at: Utc::now() + TimeDelta::days(9),
    /// #     time_zone: "UTC".into(), duration_minutes: 60, meeting_link: "https://meet.example.com/c".into(),
    /// #     capacity: 2, waitlist_enabled: true, waitlist_mode: Default::default(), rules: Default::default(),
    /// # };
    /// # let v1 = Engine::new(InMemoryRepository::new()).create_session(Actor::Teacher(teacher), new)?.value;
    /// let step = |from: &GroupSession| {
    ///     let mut next = from.clone();
    ///     next.version += 1;
    ///     Write::Session { expected_version: from.version, session: std::sync::Arc::new(next) }
    /// };
    /// let commit = |write: Write| Commit { writes: vec![write], request: None, events: vec![], finished_bookings: vec![] };
    /// let second = step(&v1);
    /// let Write::Session { session: v2, .. } = &second else { unreachable!() };
    /// let third = step(v2);
    /// let mut batch = vec![commit(second), commit(third)];
    /// Commit::fold_chained_writes(&mut batch);
    /// assert_eq!((batch[0].writes[0].expected_version(), batch[0].writes[0].new_version()), (1, 3));
    /// assert!(batch[1].writes.is_empty());
    /// # Ok::<(), BookingError>(())
    /// ```
    pub fn fold_chained_writes(commits: &mut [Commit]) {
        // Where each aggregate's latest write of the batch is: (commit, write).
        let mut latest: HashMap<AggregateKey, (usize, usize)> = HashMap::new();
        for j in 0..commits.len() {
            for write in std::mem::take(&mut commits[j].writes) {
                let key = write.key();
                match latest.get(&key) {
                    Some(&(i, w)) if commits[i].writes[w].new_version() == write.expected_version() => {
                        let expected = commits[i].writes[w].expected_version();
                        commits[i].writes[w] = write.expecting(expected);
                    }
                    _ => {
                        commits[j].writes.push(write);
                        latest.insert(key, (j, commits[j].writes.len() - 1));
                    }
                }
            }
        }
    }

    /// The bookings created by this commit, with where they live; a store indexes them for
    /// [`Repository::locate_booking`].
    pub fn new_bookings(&self) -> impl Iterator<Item = (BookingId, BookingLocation)> + '_ {
        self.events.iter().filter_map(|e| match &e.kind {
            EventKind::BookingConfirmed { session_id, booking_id, .. }
            | EventKind::BookingWaitlisted { session_id, booking_id, .. } => {
                Some((*booking_id, BookingLocation::Session(*session_id)))
            }
            EventKind::LessonRequested { lesson } | EventKind::LessonBooked { lesson } => {
                Some((lesson.id, BookingLocation::Lesson))
            }
            _ => None,
        })
    }

    /// The slots created by this commit, with their teacher; a store indexes them for
    /// [`Repository::locate_slot`].
    pub fn new_slots(&self) -> impl Iterator<Item = (SlotId, UserId)> + '_ {
        self.events.iter().filter_map(|e| match &e.kind {
            EventKind::SlotPublished { slot } => Some((slot.id, slot.teacher_id)),
            _ => None,
        })
    }
}

/// A range of one read index for [`Repository::read_index`]: the entries of `partition` in
/// `index` whose sort key lies strictly between `after` and `before`, in ascending sort order,
/// at most `limit` of them. Both bounds are exclusive byte-string bounds (a bare
/// [`sort_bound`](crate::index::sort_bound) of an instant as `after` includes the entries at
/// that instant; the last key of a page as `after` continues after it).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct IndexRange {
    /// Which index.
    pub index: crate::index::ReadIndex,
    /// Whose list ([`IndexEntry::partition`](crate::index::IndexEntry::partition)).
    pub partition: String,
    /// Exclusive lower bound of the sort keys.
    pub after: String,
    /// Exclusive upper bound of the sort keys.
    pub before: String,
    /// How many entries at most.
    pub limit: u32,
}

/// An aggregate listed in a read index, as stored now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Indexed {
    /// A group session.
    Session(Arc<GroupSession>),
    /// A 1:1 lesson.
    Lesson(Arc<Lesson>),
}

/// One answer of [`Repository::read_index`]: an entry's sort key and its aggregate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexHit {
    /// The entry's sort key.
    pub sort: String,
    /// The aggregate it lists, as stored now.
    pub aggregate: Indexed,
}

/// One event in a store's outbox, at its position.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Its position: positions grow in commit order (a commit's events in their order), are
    /// never reused, and start at 1.
    pub position: u64,
    /// The event.
    pub event: Event,
}

/// Why a store could not load or commit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// An aggregate is no longer at the expected version: the engine decides again.
    #[error("version conflict on {0}")]
    Conflict(String),
    /// The request key is already recorded: the engine replays the recorded outcome.
    #[error("request key already recorded")]
    DuplicateRequest,
    /// A stored record does not decode.
    #[error("corrupt record {record}: {detail}")]
    Corrupt {
        /// Which record.
        record: String,
        /// What failed.
        detail: String,
    },
    /// The backend failed (I/O, connection, ...).
    #[error("{0}")]
    Backend(String),
    /// The backend could not be reached in time (a network partition, a server that is down
    /// or restarting, a connection or network timeout): whether a commit was applied is
    /// unknown. The engine returns it as [`BookingError::StoreUnavailable`]; the caller retries
    /// later with the same request key.
    #[error("{0}")]
    Unavailable(String),
}

impl From<StoreError> for BookingError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Corrupt { record, detail } => BookingError::CorruptRecord { record, detail },
            StoreError::Unavailable(message) => BookingError::StoreUnavailable { message },
            other => BookingError::Store { message: other.to_string() },
        }
    }
}

/// Why [`Repository::commit_all`] stopped: how many of its first commits were applied, and
/// why the next one was not.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{committed} commits applied, then: {error}")]
pub struct BatchFailure {
    /// How many of the first commits were applied (0 for a store that applies all or none).
    pub committed: usize,
    /// Why the next commit was not applied.
    pub error: StoreError,
}

/// The storage contract. See the [module docs](self) for the guarantees a store must give.
pub trait Repository: Send + Sync {
    /// The session with this id, as last committed.
    fn load_session(&self, id: SessionId) -> Result<Option<Arc<GroupSession>>, StoreError>;

    /// Where the booking with this id lives.
    fn locate_booking(&self, id: BookingId) -> Result<Option<BookingLocation>, StoreError>;

    /// The record of a command that succeeded under `(actor, key)`.
    fn load_request(&self, actor: &Actor, key: &RequestKey) -> Result<Option<RequestRecord>, StoreError>;

    /// Applies `commit` atomically and conditionally, or not at all.
    fn commit(&self, commit: Commit) -> Result<(), StoreError>;

    /// Applies `commits` in order, each atomically and conditionally as [`commit`](Self::commit)
    /// does; a later commit may expect the version an earlier one writes. On a failure, says
    /// how many of the first commits were applied ([`BatchFailure::committed`]) and why the
    /// next one was not; none after it is applied.
    ///
    /// The provided method calls [`commit`](Self::commit) for each in turn. A store that can
    /// apply several commits in one transaction overrides it to save the round trips, and then
    /// applies all of them or none (`committed: 0`). See the [module docs](self), "Several
    /// commits in one step".
    ///
    /// ```
    /// use booking_core::repository::{Commit, Repository};
    /// use booking_core::InMemoryRepository;
    /// let store = InMemoryRepository::new();
    /// let nothing = || Commit { writes: vec![], request: None, events: vec![], finished_bookings: vec![] };
    /// assert_eq!(store.commit_all(vec![nothing(), nothing()]), Ok(()));
    /// ```
    fn commit_all(&self, commits: Vec<Commit>) -> Result<(), BatchFailure> {
        commit_each(commits, |commit| self.commit(commit))
    }

    /// The person's calendar (slots and active-lesson holds), as last committed.
    fn load_calendar(&self, owner: UserId) -> Result<Option<Arc<Calendar>>, StoreError>;

    /// The lesson with this id, as last committed.
    fn load_lesson(&self, id: BookingId) -> Result<Option<Arc<Lesson>>, StoreError>;

    /// The teacher whose calendar holds this slot.
    fn locate_slot(&self, id: SlotId) -> Result<Option<UserId>, StoreError>;

    /// Host-owned: whether 1:1 bookings of this course with this teacher need approval (the
    /// course's setting and the teacher's override; see
    /// [`approval_required`](crate::lesson::approval_required)).
    fn approval_settings(&self, course_id: CourseId, teacher_id: UserId) -> Result<ApprovalSettings, StoreError>;

    /// Host-owned: whether the student is enrolled in the course.
    fn is_enrolled(&self, student_id: UserId, course_id: CourseId) -> Result<bool, StoreError>;

    /// The sessions with a seat offer that runs out at or before `until`
    /// ([`GroupSession::next_offer_deadline`]), for
    /// [`Engine::process_expired_offers`](crate::Engine::process_expired_offers). A store keeps
    /// each session's deadline ([`SessionIndex::offer_deadline`](crate::index::SessionIndex::offer_deadline))
    /// next to it when it writes the session; a stale answer costs a wasted decision, never a
    /// wrong one.
    fn sessions_with_offers_due(&self, until: DateTime<Utc>) -> Result<Vec<SessionId>, StoreError>;

    /// A finished seat booking (cancelled or expired) from the booking history, as the commit
    /// that finished it handed it over in [`Commit::finished_bookings`]; `None` if the history
    /// holds no booking with this id (a live booking is in its session). See the
    /// [module docs](self), "Booking history".
    fn load_finished_booking(&self, id: BookingId) -> Result<Option<SeatBooking>, StoreError>;

    /// Operator action: deletes the request records recorded before `recorded_before` (by
    /// [`RequestRecord::recorded_at`]); returns how many were deleted. A retry with a deleted
    /// key is decided afresh; see the [module docs](self), "Retention".
    fn prune_requests(&self, recorded_before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// The entries of one read index in a range, each with its aggregate as stored now,
    /// ascending by sort key (see [`IndexRange`]). The store keeps the entries of every
    /// aggregate it stores ([`Write::read_entries`]), replaced in the same atomic step as the
    /// aggregate, and answers from an index on `(index, partition, sort)`, never by reading
    /// every aggregate. See the [module docs](self), "Read indexes and the outbox".
    fn read_index(&self, range: &IndexRange) -> Result<Vec<IndexHit>, StoreError>;

    /// The outbox: the events of committed commits with a position greater than `after`,
    /// ascending, at most `limit`. See the [module docs](self), "Read indexes and the outbox".
    fn read_outbox(&self, after: u64, limit: u32) -> Result<Vec<OutboxEntry>, StoreError>;

    /// Deletes the outbox events at positions up to and including `up_to` (they were
    /// relayed); returns how many it deleted. Later positions are never reused.
    fn acknowledge_outbox(&self, up_to: u64) -> Result<u64, StoreError>;
}

/// A store together with something that must live exactly as long as it: a temporary
/// directory, a test schema dropped at the end, a lock file. It is the store for the engine;
/// the guard is dropped after the store.
///
/// ```
/// use booking_core::{Engine, InMemoryRepository, repository::Guarded};
/// struct Cleanup;
/// impl Drop for Cleanup {
///     fn drop(&mut self) { /* remove what the store used */ }
/// }
/// let engine = Engine::new(Guarded { store: InMemoryRepository::new(), guard: Cleanup });
/// # let _ = engine;
/// ```
#[derive(Debug)]
pub struct Guarded<R, G> {
    /// The store (declared first, so it is dropped first).
    pub store: R,
    /// What must outlive it.
    pub guard: G,
}

impl<R, G> std::ops::Deref for Guarded<R, G> {
    type Target = R;

    fn deref(&self) -> &R {
        &self.store
    }
}

/// A store that wraps another: it names the inner store, writes only the [`Repository`]
/// methods it changes, and forwards every other one to the inner store. Every `StoreWrapper`
/// is a [`Repository`] (a blanket implementation calls these functions), so the engine takes
/// it like any store. It is the one way to write a test or measuring store that changes one
/// or two methods (a commit that fails, counts or is refused), host data kept beside a store,
/// or a handle to a store ([`Arc`], [`Box`], [`Guarded`]).
///
/// The functions take the wrapper as `this: &Self`, not `&self` (as [`Arc::strong_count`]
/// does): so a method call such as `this.inner.commit(commit)` always means the
/// [`Repository`] method, also when the inner store is itself a wrapper (an
/// `Arc<dyn Repository>`), and never is ambiguous with the function of this trait. Each
/// function has the meaning and contract of the [`Repository`] method of its name; an
/// override that forwards must keep that contract (see the [module docs](self)).
///
/// A store that counts the commits it is handed, and refuses the next ones while it is told
/// to:
///
/// ```
/// use booking_core::repository::{Commit, Repository, StoreError, StoreWrapper};
/// use booking_core::InMemoryRepository;
/// use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
///
/// struct Counting {
///     inner: InMemoryRepository,
///     commits: AtomicU32,
///     refuse: AtomicBool,
/// }
///
/// impl StoreWrapper for Counting {
///     type Inner = InMemoryRepository;
///
///     fn inner(&self) -> &InMemoryRepository {
///         &self.inner
///     }
///
///     // The only method this store changes; the other fourteen forward to `inner`.
///     fn commit(this: &Self, commit: Commit) -> Result<(), StoreError> {
///         this.commits.fetch_add(1, Ordering::Relaxed);
///         if this.refuse.load(Ordering::Relaxed) {
///             return Err(StoreError::Backend("refused".into()));
///         }
///         this.inner.commit(commit)
///     }
/// }
///
/// let store = Counting {
///     inner: InMemoryRepository::new(),
///     commits: AtomicU32::new(0),
///     refuse: AtomicBool::new(true),
/// };
/// assert!(matches!(store.commit(Commit::default()), Err(StoreError::Backend(_))));
/// store.refuse.store(false, Ordering::Relaxed);
/// assert_eq!(store.commit(Commit::default()), Ok(()));
/// assert_eq!(store.commits.load(Ordering::Relaxed), 2);
/// // Loads are forwarded unchanged.
/// let nobody = booking_core::SessionId::from_uuid(uuid::Uuid::nil());
/// assert_eq!(store.load_session(nobody), Ok(None));
/// ```
pub trait StoreWrapper: Send + Sync {
    /// The wrapped store.
    type Inner: Repository + ?Sized;

    /// The wrapped store, to which every function not overridden forwards.
    fn inner(&self) -> &Self::Inner;

    /// [`Repository::load_session`].
    fn load_session(this: &Self, id: SessionId) -> Result<Option<Arc<GroupSession>>, StoreError> {
        this.inner().load_session(id)
    }
    /// [`Repository::locate_booking`].
    fn locate_booking(this: &Self, id: BookingId) -> Result<Option<BookingLocation>, StoreError> {
        this.inner().locate_booking(id)
    }
    /// [`Repository::load_request`].
    fn load_request(this: &Self, actor: &Actor, key: &RequestKey) -> Result<Option<RequestRecord>, StoreError> {
        this.inner().load_request(actor, key)
    }
    /// [`Repository::commit`].
    fn commit(this: &Self, commit: Commit) -> Result<(), StoreError> {
        this.inner().commit(commit)
    }
    /// [`Repository::commit_all`]: by default each commit through this wrapper's
    /// [`commit`](Self::commit), one after another, so a wrapper that changes `commit` changes
    /// every commit. A wrapper that leaves `commit` alone overrides this to forward to the
    /// inner store (`this.inner().commit_all(commits)`), which keeps the inner store's single
    /// transaction.
    fn commit_all(this: &Self, commits: Vec<Commit>) -> Result<(), BatchFailure> {
        commit_each(commits, |commit| Self::commit(this, commit))
    }
    /// [`Repository::load_calendar`].
    fn load_calendar(this: &Self, owner: UserId) -> Result<Option<Arc<Calendar>>, StoreError> {
        this.inner().load_calendar(owner)
    }
    /// [`Repository::load_lesson`].
    fn load_lesson(this: &Self, id: BookingId) -> Result<Option<Arc<Lesson>>, StoreError> {
        this.inner().load_lesson(id)
    }
    /// [`Repository::locate_slot`].
    fn locate_slot(this: &Self, id: SlotId) -> Result<Option<UserId>, StoreError> {
        this.inner().locate_slot(id)
    }
    /// [`Repository::approval_settings`].
    fn approval_settings(this: &Self, course_id: CourseId, teacher_id: UserId) -> Result<ApprovalSettings, StoreError> {
        this.inner().approval_settings(course_id, teacher_id)
    }
    /// [`Repository::is_enrolled`].
    fn is_enrolled(this: &Self, student_id: UserId, course_id: CourseId) -> Result<bool, StoreError> {
        this.inner().is_enrolled(student_id, course_id)
    }
    /// [`Repository::sessions_with_offers_due`].
    fn sessions_with_offers_due(this: &Self, until: DateTime<Utc>) -> Result<Vec<SessionId>, StoreError> {
        this.inner().sessions_with_offers_due(until)
    }
    /// [`Repository::load_finished_booking`].
    fn load_finished_booking(this: &Self, id: BookingId) -> Result<Option<SeatBooking>, StoreError> {
        this.inner().load_finished_booking(id)
    }
    /// [`Repository::prune_requests`].
    fn prune_requests(this: &Self, recorded_before: DateTime<Utc>) -> Result<u64, StoreError> {
        this.inner().prune_requests(recorded_before)
    }
    /// [`Repository::read_index`].
    fn read_index(this: &Self, range: &IndexRange) -> Result<Vec<IndexHit>, StoreError> {
        this.inner().read_index(range)
    }
    /// [`Repository::read_outbox`].
    fn read_outbox(this: &Self, after: u64, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        this.inner().read_outbox(after, limit)
    }
    /// [`Repository::acknowledge_outbox`].
    fn acknowledge_outbox(this: &Self, up_to: u64) -> Result<u64, StoreError> {
        this.inner().acknowledge_outbox(up_to)
    }
}

/// Applies `commits` one after another through `commit`, stopping at the first failure: the
/// provided [`Repository::commit_all`] and [`StoreWrapper::commit_all`].
fn commit_each(
    commits: Vec<Commit>,
    mut commit: impl FnMut(Commit) -> Result<(), StoreError>,
) -> Result<(), BatchFailure> {
    for (committed, each) in commits.into_iter().enumerate() {
        commit(each).map_err(|error| BatchFailure { committed, error })?;
    }
    Ok(())
}

impl<W: StoreWrapper> Repository for W {
    fn load_session(&self, id: SessionId) -> Result<Option<Arc<GroupSession>>, StoreError> {
        W::load_session(self, id)
    }
    fn locate_booking(&self, id: BookingId) -> Result<Option<BookingLocation>, StoreError> {
        W::locate_booking(self, id)
    }
    fn load_request(&self, actor: &Actor, key: &RequestKey) -> Result<Option<RequestRecord>, StoreError> {
        W::load_request(self, actor, key)
    }
    fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        W::commit(self, commit)
    }
    fn commit_all(&self, commits: Vec<Commit>) -> Result<(), BatchFailure> {
        W::commit_all(self, commits)
    }
    fn load_calendar(&self, owner: UserId) -> Result<Option<Arc<Calendar>>, StoreError> {
        W::load_calendar(self, owner)
    }
    fn load_lesson(&self, id: BookingId) -> Result<Option<Arc<Lesson>>, StoreError> {
        W::load_lesson(self, id)
    }
    fn locate_slot(&self, id: SlotId) -> Result<Option<UserId>, StoreError> {
        W::locate_slot(self, id)
    }
    fn approval_settings(&self, course_id: CourseId, teacher_id: UserId) -> Result<ApprovalSettings, StoreError> {
        W::approval_settings(self, course_id, teacher_id)
    }
    fn is_enrolled(&self, student_id: UserId, course_id: CourseId) -> Result<bool, StoreError> {
        W::is_enrolled(self, student_id, course_id)
    }
    fn sessions_with_offers_due(&self, until: DateTime<Utc>) -> Result<Vec<SessionId>, StoreError> {
        W::sessions_with_offers_due(self, until)
    }
    fn load_finished_booking(&self, id: BookingId) -> Result<Option<SeatBooking>, StoreError> {
        W::load_finished_booking(self, id)
    }
    fn prune_requests(&self, recorded_before: DateTime<Utc>) -> Result<u64, StoreError> {
        W::prune_requests(self, recorded_before)
    }
    fn read_index(&self, range: &IndexRange) -> Result<Vec<IndexHit>, StoreError> {
        W::read_index(self, range)
    }
    fn read_outbox(&self, after: u64, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        W::read_outbox(self, after, limit)
    }
    fn acknowledge_outbox(&self, up_to: u64) -> Result<u64, StoreError> {
        W::acknowledge_outbox(self, up_to)
    }
}

impl<R: Repository + ?Sized> StoreWrapper for Arc<R> {
    type Inner = R;

    fn inner(&self) -> &R {
        self
    }

    fn commit_all(this: &Self, commits: Vec<Commit>) -> Result<(), BatchFailure> {
        this.inner().commit_all(commits)
    }
}

impl<R: Repository + ?Sized> StoreWrapper for Box<R> {
    type Inner = R;

    fn inner(&self) -> &R {
        self
    }

    fn commit_all(this: &Self, commits: Vec<Commit>) -> Result<(), BatchFailure> {
        this.inner().commit_all(commits)
    }
}

impl<R: Repository, G: Send + Sync> StoreWrapper for Guarded<R, G> {
    type Inner = R;

    fn inner(&self) -> &R {
        &self.store
    }

    fn commit_all(this: &Self, commits: Vec<Commit>) -> Result<(), BatchFailure> {
        this.inner().commit_all(commits)
    }
}
