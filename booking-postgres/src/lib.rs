//! # booking-postgres
//!
//! The booking engine's store in PostgreSQL, for Rust services: a [`Repository`] whose
//! [`commit`](Repository::commit) is **one round trip**, with a connection pool, versioned
//! migrations, an events outbox written in the commit's transaction, and the host-owned
//! course data (approval settings, enrollments).
//!
//! ```no_run
//! use booking_core::{Actor, Engine, NewGroupSession, UserId};
//! use booking_postgres::PgOptions;
//! use chrono::{TimeDelta, Utc};
//!
//! let store = PgOptions::new("postgres://booking@127.0.0.1:5432/app")?.schema("booking").open()?;
//! let engine = Engine::new(store.clone());
//! let (teacher, student) = (UserId::from_uuid(uuid::Uuid::now_v7()), UserId::from_uuid(uuid::Uuid::now_v7()));
//! let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
//!     teacher_id: teacher, course_id: None, title: "Algebra review".into(),
//!     starts_at: Utc::now() + TimeDelta::days(7), time_zone: "Europe/Berlin".into(),
//!     duration_minutes: 60, meeting_link: "https://meet.example.com/algebra".into(),
//!     capacity: 10, waitlist_enabled: true, waitlist_mode: Default::default(), rules: Default::default(),
//! })?.value;
//! let seat = engine.book_seat(Actor::Student(student).with_key("req-81f3"), session.id, student)?;
//! for event in store.session_events(session.id)? {
//!     println!("{} {}", event.id, event.event.kind.name());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Synchronous, on purpose
//!
//! The store uses the synchronous [`postgres`] crate, not `tokio-postgres` directly. The
//! engine's [`Repository`] trait is synchronous, and so are the mobile and Python bindings
//! built on it: the engine's loop (load, decide, commit, retry) must be able to block on the
//! store. An async client would need a runtime to block on inside every call, which is what
//! `postgres` already is (a `tokio-postgres` client driven by a small runtime per
//! connection), without re-inventing it. An async service calls the engine inside
//! `tokio::task::spawn_blocking` (the `postgres` client panics if called on an async worker
//! thread); that also keeps the decisions' CPU work off the reactor. The price is one
//! blocked thread per command in flight, which the pool's size bounds anyway.
//!
//! ## Connections
//!
//! An [`r2d2`] pool, the standard one for synchronous clients. Its connection manager is this
//! crate's own rather than `r2d2_postgres`, for two things that one does not do: each
//! pooled connection keeps its **prepared statements** (every statement is prepared once per
//! connection, so each later call is one Bind/Execute round trip instead of two), and the
//! manager hides whether the connection uses TLS, so [`PgRepository`] is one type. A
//! connection is not tested at checkout (that would cost a round trip per call); instead an
//! error that shows the connection broken (I/O, closed socket, SQLSTATE class `08` or `57`
//! such as `pg_terminate_backend`, a `FATAL`) marks it, and the pool drops it when it comes
//! back. A read that failed that way is sent once more on a fresh connection (unless its
//! connection timed out: see below); a commit never is (it may have been applied): it fails
//! with [`StoreError::Unavailable`], and the engine's request keys make sending the command
//! again safe (the retry replays the first outcome).
//!
//! ## Timeouts: a silent network never hangs a call
//!
//! A network partition closes nothing: packets vanish, and without limits the kernel
//! retransmits for 15 minutes and more while the call waits, and the server keeps the cut-off
//! client's session (and whatever its transaction locked) just as long. Every call of the store
//! ends within a bound instead, with [`StoreError::Unavailable`] (the engine's
//! `store_unavailable`, which [`ErrorCode::is_retryable`](booking_core::ErrorCode::is_retryable)
//! says to retry later with the same request key):
//!
//! | what | ends after (default) | set with |
//! |---|---|---|
//! | opening a TCP connection | 10 s | [`PgOptions::connect_timeout`] (or `connect_timeout` in the connection string) |
//! | waiting for a connection of the pool | 10 s | [`PgOptions::connection_timeout`] |
//! | a connection gone silent: a request not acknowledged, or its answer not coming while keepalive probes go unanswered | 10 s, at most 4/3 of it | [`PgOptions::network_timeout`]: `TCP_USER_TIMEOUT` and TCP keepalives on the socket |
//! | a statement running on the server (waiting for a lock, ...) | 30 s, then cancelled and rolled back | [`PgOptions::statement_timeout`] (server side) |
//! | a transaction left idle (a host's in [`PgRepository::with_client`], or one whose client was cut off) | 30 s, then the server ends the session and releases its locks | [`PgOptions::idle_in_transaction_timeout`] (server side) |
//!
//! The server also learns of a client it can no longer reach: each pooled session sets
//! `tcp_user_timeout` and `tcp_keepalives_*` from the network timeout, so the server closes
//! the sessions of a partitioned client after about as long (an idle session holds no lock
//! anyway: the store's commits are single statements). One call of the store on a network gone
//! silent thus fails within `connection_timeout` + 4/3 × `network_timeout` (about 23 s with
//! the defaults); a command fails at its first failing call. The bounds come from the kernel
//! (`TCP_USER_TIMEOUT` is Linux-only; elsewhere the keepalives alone end a silent idle
//! connection, and a request never acknowledged waits for the system's retransmission
//! timeout). `tests/partition.rs` cuts a client off in a network namespace mid-run and checks
//! all of this, and that every command retried after the partition heals returns its first
//! outcome.
//!
//! TLS is the cargo feature `tls`: rustls through `tokio-postgres-rustls` with the `ring`
//! provider, so no system OpenSSL is needed ([`PgOptions::tls`],
//! [`PgOptions::tls_with_webpki_roots`]). The server's certificate is always verified against
//! the roots given; `sslmode=require` in the connection string makes TLS mandatory. Without
//! the feature (the default) connections are plain.
//!
//! ## Schema
//!
//! [`PgOptions::open`] migrates the schema to [`SCHEMA_VERSION`] in one transaction under an
//! advisory lock (processes opening at once migrate once), recording each step in
//! `booking_schema_version`; a database migrated by newer code is refused with
//! [`OpenError::SchemaTooNew`]. [`PgOptions::schema`] keeps everything in a schema of its own
//! (set as the `search_path` of every pooled connection). The tables:
//!
//! | table | what |
//! |---|---|
//! | `sessions`, `calendars`, `lessons` | one row per aggregate: `id`, `version`, `body jsonb` (the engine's JSON), plus copies of fields hosts query (`teacher_id`, `student_id`, `course_id`, `starts_at`, `status`, `updated_at`, indexed by teacher and student) |
//! | `sessions.offer_deadline` | (version 2) the earliest deadline of the session's outstanding seat offers ([`GroupSession::next_offer_deadline`]), `NULL` without one; written by every commit that writes the session, with a partial index; [`Repository::sessions_with_offers_due`] reads it |
//! | `booking_index`, `slot_index` | booking id to its session (or "a lesson"); slot id to its teacher |
//! | `requests` | `(actor, key)` to the recorded outcome, for idempotent retries; pruned by `recorded_at` with [`Repository::prune_requests`] (through [`Engine::prune_requests`](booking_core::Engine::prune_requests)) |
//! | `finished_bookings` | (version 3) the booking history: seat bookings that finished (cancelled, declined, expired), moved out of their session's body by the commit that finished them, in its transaction; `body jsonb` read by [`Repository::load_finished_booking`], plus `session_id`, `student_id`, `status`, `finished_at` for hosts |
//! | `read_index` | (version 4) the read indexes the engine's queries page through ([`booking_core::read`]: agendas, the approval queue, what starts): `index`, `partition`, `sort` (all `COLLATE "C"`, so sort keys compare byte-wise), `kind`, `aggregate_id`; primary key `(index, partition, sort)`, indexed by `aggregate_id`. Each stored session and lesson has the rows the core computes for it ([`Write::read_entries`]), brought up to date by every commit that writes it (since version 6 only the rows that changed are deleted or inserted); [`Repository::read_index`] runs [`READ_INDEX_QUERY`] |
//! | `events` | the outbox: `id bigserial`, `txid` (the writing transaction's `pg_current_xact_id()`), `kind`, `session_id`, `session_version`, `booking_id`, `occurred_at`, `body`, and (version 5) `position`: the position of [`Repository::read_outbox`], `NULL` until a reader publishes the event (see [The outbox](#the-outbox)) |
//! | `outbox_counter` | (version 5) one row: the last outbox position handed out, written by readers only |
//! | `course_approval`, `teacher_approval`, `enrollments` | host data, set with [`PgRepository::set_course_approval`], [`set_teacher_approval`](PgRepository::set_teacher_approval), [`enroll`](PgRepository::enroll), [`unenroll`](PgRepository::unenroll) (or by the host's own SQL) |
//!
//! The store reads only `version` and `body` of an aggregate row (and `sessions.offer_deadline`
//! to find the sessions with an offer due); the other columns are for hosts. The values of
//! the columns beside a body are the core's [`booking_core::index`] of it, computed there once
//! for every store and sent to `booking_commit` field by field, named as the columns. A row that does not decode, or whose body names another id or version than the
//! row, is [`StoreError::Corrupt`] (the engine's `corrupt_record`), never a panic.
//!
//! ## The commit: one statement, one round trip, no booking rule
//!
//! The engine decides in Rust; the store only applies the decided, versioned change set.
//! [`Repository::commit`] sends it as one `jsonb` argument of the server-side function
//! `booking_commit(jsonb)` (PL/pgSQL, in `migrations/0001_initial.sql`, replaced by
//! `migrations/0002_offer_deadline.sql` to write the offer deadline too, by
//! `migrations/0003_booking_history.sql` to keep the finished bookings, by
//! `migrations/0004_read_index.sql` to keep the read index, by
//! `migrations/0005_outbox_publish.sql` to append the events without a lock, by
//! `migrations/0006_read_index_diff.sql` to write only the read-index rows that changed and by
//! `migrations/0008_read_index_changes.sql` to take those changes from the client), called as a
//! single autocommit statement: one round trip, and the transaction is exactly that
//! statement, so no lock is ever held while the client thinks or the network idles. The
//! function:
//!
//! 1. inserts the request record with `INSERT ... ON CONFLICT (actor, key) DO NOTHING` and,
//!    if nothing was inserted, raises SQLSTATE `BKD01` ([`SQLSTATE_DUPLICATE_REQUEST`]) →
//!    [`StoreError::DuplicateRequest`];
//! 2. inserts the booking and slot index entries;
//! 3. for each aggregate, in ascending key order (the same in every commit, so two commits
//!    never wait on each other in a cycle): `UPDATE ... SET version = new, body = ... WHERE
//!    id = $id AND version = $expected`, or for a new one `INSERT ... ON CONFLICT (id) DO
//!    NOTHING`; if no row was written it raises SQLSTATE `BKC01` ([`SQLSTATE_CONFLICT`]) →
//!    [`StoreError::Conflict`], and the engine decides again on fresh state; then it makes
//!    the aggregate's `read_index` rows (a session's or a lesson's) the entries the payload
//!    carries ([`Write::read_entries`], serialized by serde, one `read_entries` array per write),
//!    writing only the difference: it deletes the aggregate's rows that are not among the
//!    entries and inserts the entries it has no row for (a session has a row per student with
//!    a live booking, and a booking changes one of them). Since schema version 8, a write
//!    whose expected state the store's [snapshot cache](PgOptions::snapshot_cache) holds
//!    carries that difference instead (`read_changes`: the core's
//!    [`IndexEntryChanges`](booking_core::index::IndexEntryChanges) between the cached state
//!    and the new one), and the function deletes and inserts just those rows. The version
//!    check has passed by then, so the rows are the cached state's entries and the result is
//!    the same; the function no longer compares all of a busy session's rows per write;
//! 4. inserts (or replaces, by id) the seat bookings the commit finished into
//!    `finished_bookings`: after the aggregates, so a competing commit on the same session has
//!    already failed on its row lock or waits for it;
//! 5. appends the events to the outbox, last, so the row locks taken in step 3 are held only
//!    for the history and outbox inserts and the commit itself. It takes no other lock: the
//!    events carry the transaction's id (`txid`), and a reader gives them their positions once
//!    they are committed (see [The outbox](#the-outbox)).
//!
//! A raise rolls the whole statement back, so a commit is all or nothing. The function holds
//! no booking rule: it compares versions and copies what it is given. Serialization
//! failures and deadlocks (SQLSTATE `40001`, `40P01`) are mapped to
//! [`StoreError::Conflict`] as well, since a fresh decision resolves them.
//!
//! **Batches** (schema version 7, `migrations/0007_commit_all.sql`). The engine's group commit
//! hands [`Repository::commit_all`] the commits of the seat commands it decided together on one
//! session, each expecting the version the one before it writes. They go in one round trip too:
//! `SELECT booking_commit_all($1)` with a `jsonb` array of the same payloads, which calls
//! `booking_commit` on each in order inside the one statement, so the batch is all or nothing
//! and a raise by any of them (a conflict, a request key recorded before) rolls all of it
//! back. A batch of one commit is sent as a plain `booking_commit`.
//!
//! ### Isolation: READ COMMITTED, and why that is enough
//!
//! Every statement runs at PostgreSQL's default `READ COMMITTED`. A load is one `SELECT` of
//! one row by primary key, so it sees one committed version of the aggregate, never a torn
//! one (it may be stale: the version check catches that). The commit's safety rests on the
//! row-level check-and-set: `UPDATE ... WHERE version = $expected` locks the row; if another
//! transaction updated it first, the `UPDATE` waits for that one to finish and then
//! re-evaluates its `WHERE` against the newest row version (PostgreSQL's EvalPlanQual), finds
//! the version moved, writes nothing, and the function raises `BKC01`. No lost update is
//! possible, and the row locks of all the commit's aggregates are held to its end, so the
//! commit is atomic across aggregates. `REPEATABLE READ` or `SERIALIZABLE` would add nothing
//! but serialization failures for the same cases, and snapshot bookkeeping. Statements relied
//! on: `UPDATE ... WHERE` with a row count (`GET DIAGNOSTICS`), `INSERT ... ON CONFLICT DO
//! NOTHING/UPDATE`, `RAISE ... USING ERRCODE`, `jsonb_to_record(set)`, `pg_current_xact_id()`
//! (the outbox's `txid`), `pg_advisory_xact_lock` (migrations, and the outbox's readers),
//! and loads of the form `SELECT version, CASE WHEN version = $cached THEN NULL ELSE body END`.
//!
//! Loads must go to the primary (not to an asynchronous replica): the contract says a load
//! after a successful commit sees it.
//!
//! ### Hot aggregates
//!
//! A booking decision on a hot session costs three round trips in all (request key, session,
//! commit) and holds the session's row lock only inside the commit statement. Two things
//! shave off what is left:
//!
//! - **Snapshot cache** ([`PgOptions::snapshot_cache`], on by default): the store remembers
//!   the last snapshot of an aggregate it loaded or committed, and a load sends that version
//!   along; if the row is still at it, the database answers without the body, and nothing is
//!   shipped or decoded. The database still decides in the same statement what the current
//!   version is, so a load is never stale because of the cache. (Edit a body only together
//!   with its `version`: a warm cache does not re-read a body changed in place.) Since schema
//!   version 8 the cache also spares the commit a comparison: a write decided on a cached
//!   state sends only its read-index changes. So leave the `read_index` rows to the commits:
//!   a row edited by hand stays as it is until a write without a cached state (or
//!   [`PgOptions::snapshot_cache`] off) replaces all of the aggregate's rows.
//! - **No racing threads**: the engine queues commands on the same aggregate within one
//!   process ([`Engine::with_local_queueing`]), so 16 threads of one service on one hot
//!   session take turns instead of losing races in the database; other processes still meet
//!   in `booking_commit`'s version check.
//!
//! The session body (the engine's JSON, holding the session's live bookings; finished ones are
//! in `finished_bookings`) is rewritten by every booking, so its size sets the cost of a
//! booking; the body columns use lz4
//! compression where the server has it. Bookings per second measured with
//! `examples/pg_throughput.rs` (16 client threads, request keys, PostgreSQL 15 with `fsync` on,
//! client and server sharing one 2-core machine; medians of three runs):
//!
//! | | hot session, 200 seats | hot session, 20 seats | spread over 1000 sessions |
//! |---|---|---|---|
//! | defaults | 1054 | 1946 | 2598 |
//! | without the snapshot cache | 890 | | |
//! | engine's queue off (every thread races) | 223 | 724 | 2595 |
//!
//! These were measured at schema version 3. Version 4 made every commit with events take one
//! outbox lock per schema, so those commits finished one at a time, WAL flush included ("spread"
//! fell to 200 to 320 bookings/s on a loaded machine, from about 1,500 without the lock);
//! version 5 removed that lock again ([The outbox](#the-outbox)); version 6 writes only the
//! read-index rows a commit changes (a booking on a session rewrote one row per live booking);
//! version 8 takes those changes from the client instead of comparing every row (the read-index
//! write of a session of 50 students 2.5x faster, about 8% more bookings per second on hot
//! sessions);
//! `BENCHMARKS.md` ("Stores side by side") has the figures of `benches/src/bin/stores.rs`
//! before and after each.
//!
//! [`Engine::with_local_queueing`]: booking_core::Engine::with_local_queueing
//!
//! ## The outbox
//!
//! Every commit appends its events to `events` in the same transaction, so an event exists
//! exactly when its change does. The relay reads and acknowledges through the engine,
//! [`Engine::outbox`] and [`Engine::acknowledge_outbox`] ([`Repository::read_outbox`]: the
//! events at positions above `after`, ascending; [`Repository::acknowledge_outbox`]: deletes
//! those at positions up to `up_to`): at-least-once delivery.
//!
//! **Writers publish nothing, readers do** (schema version 5). A position must never be
//! handed out below one a reader has already seen, but ids drawn from a sequence are not in
//! commit order (a commit that draws a lower id may finish later). Version 4 serialized the
//! commits with events under one advisory lock per schema for that, so they finished one at a
//! time, WAL flush included. Now `booking_commit` only inserts its events, with `position`
//! `NULL` and its transaction id in `txid`, and takes no lock beyond its aggregates' rows.
//! [`Repository::read_outbox`] calls `booking_read_outbox(after, limit)`, one statement,
//! which:
//!
//! 1. takes `pg_advisory_xact_lock(<"bkop">, hashtext(current_schema()))`, a lock only readers
//!    take (so readers publish one at a time; writers never wait for it);
//! 2. gives the events without a position that its snapshot sees, at most 10,000, the next
//!    consecutive positions in `(txid, id)` order, counting on from `outbox_counter` (both
//!    written only under that lock);
//! 3. returns the events at positions above `after`, ascending, at most `limit`.
//!
//! The positions commit with the reader's statement, so once read they stay. What this gives:
//!
//! - **Only committed events**: a statement's snapshot sees the rows of committed transactions
//!   only; an event of a transaction still running gets its position from a later reader, one
//!   of a rolled-back transaction never exists for anyone.
//! - **Nothing appears below a position already read**: every position is handed out after all
//!   those before it, under the readers' lock, so a commit that finishes late gets a position
//!   above everything read before. Positions are consecutive from 1 and never reused
//!   (acknowledged events are deleted, the counter stays), except that
//!   [`PgRepository::prune_events`] deleting an event while a reader publishes it leaves a gap.
//! - **One aggregate's events in its commit order**: a commit on an aggregate succeeds only at
//!   the version the previous commit on it wrote, which the engine loaded after that commit had
//!   finished; so it draws its transaction id (at its first write, inside `booking_commit`)
//!   after the previous one committed, and transaction ids are drawn in increasing order: its
//!   `txid` is higher. A snapshot that sees it committed sees the previous one committed too, so
//!   either the previous one already has a lower position or both are published in the same
//!   `(txid, id)` order. Within one commit, `id` keeps the events' order. Likewise a command
//!   that starts after another finished comes after it; commits that overlapped in time come
//!   out in `txid` order or in the order readers saw them finish.
//! - **No waiting on unrelated transactions**: a commit is readable as soon as it returns. (The
//!   alternative of publishing only below the snapshot's `xmin`, `pg_snapshot_xmin`, would give
//!   positions in `txid` order across all commits, but would hold every event back while any
//!   older transaction on the server is still running: a host's long transaction, another
//!   store's commit, a backup.)
//!
//! A reader's statement writes (its positions, the counter) when there is something to
//! publish, so readers need write rights on `events`, and a read-only replica cannot serve
//! them; each event row is thus written twice (inserted, then given its position), in return
//! for commits that never wait on each other's outbox. A relay that never reads leaves its events unpublished; nothing else waits for that.
//! For one session `session_version` numbers the commits; [`PgRepository::session_events`]
//! reads them in `id` order, which is their commit order within one session (they are inserted
//! under the session's row lock). `tests/outbox.rs` runs writers on sessions of their own and
//! on one shared session through two engines, refused commands and rolled-back outbox rows,
//! against a reader polling page by page, and checks that exactly the committed events come
//! out, once, in each writer's and each session's commit order.
//!
//! [`Engine::outbox`]: booking_core::Engine::outbox
//! [`Engine::acknowledge_outbox`]: booking_core::Engine::acknowledge_outbox
//!
//! ## Postgres-compatible distributed databases
//!
//! What CockroachDB, YugabyteDB and the like would need to run this store, in order of
//! difficulty:
//!
//! - **JSONB** with `jsonb_to_record(set)` and `->`/`->>`: both have it.
//! - **The commit function**: PL/pgSQL with `GET DIAGNOSTICS`, `RAISE ... USING ERRCODE`
//!   and `ON CONFLICT`. YugabyteDB runs PostgreSQL's own PL/pgSQL. Where PL/pgSQL is
//!   missing or partial (CockroachDB supports a subset, depending on version), the fallback is
//!   a multi-statement transaction from the client: `BEGIN; INSERT INTO requests ... ON
//!   CONFLICT DO NOTHING RETURNING 1; UPDATE ... WHERE version = $expected RETURNING 1; ...;
//!   COMMIT`, checking each row count and rolling back on a miss: the same semantics at
//!   several round trips per commit, with locks held across them.
//! - **Serializable retries**: CockroachDB runs `SERIALIZABLE` and aborts with `40001` where
//!   PostgreSQL would wait; YugabyteDB needs `yb_enable_read_committed_isolation` for
//!   `READ COMMITTED`. `40001` already maps to [`StoreError::Conflict`], so the engine
//!   decides again, which is the retry those databases ask for.
//! - **The outbox's order**: `bigserial` ids are not in commit order there even within one
//!   session (CockroachDB's `unique_rowid()`, Yugabyte's per-node sequence caches), and
//!   `xid8` / `pg_current_xact_id()` may be missing: order a session's events by
//!   `session_version`, and use the database's changefeed (CDC) as the relay. The readers'
//!   publication (version 5) needs a snapshot that sees only committed rows and an advisory
//!   lock (or a lock row) among readers.
//! - **Migrations**: the lz4 step is PostgreSQL-specific (it is skipped where unsupported),
//!   `fillfactor` is ignored elsewhere, and the advisory lock that serializes migrations must
//!   exist or be replaced by a lock row.
//! - **Session settings**: every pooled connection sets `statement_timeout`,
//!   `idle_in_transaction_session_timeout`, `tcp_user_timeout` and `tcp_keepalives_*` (see
//!   [Timeouts](#timeouts-a-silent-network-never-hangs-a-call)); a database that lacks one of
//!   them refuses the connection, and the `SET`s would need to be trimmed to what it knows.
//!
//! ## Operations
//!
//! - Prepared statements are per connection: behind PgBouncer use session pooling (or
//!   PgBouncer 1.21+ with `max_prepared_statements`). The session's timeouts are `SET` once per
//!   connection (not startup parameters), which session pooling keeps.
//! - `tcp_user_timeout` needs PostgreSQL 12 or newer on the server (the store already needs 13
//!   for `pg_current_xact_id()`).
//! - The outbox grows without bound unless a relay acknowledges (or partitions and drops) what
//!   it sent ([`Repository::acknowledge_outbox`]), or an operator prunes it by age
//!   ([`PgRepository::prune_events`]). Request records
//!   likewise: prune them with [`Engine::prune_requests`](booking_core::Engine::prune_requests)
//!   (a retry with a pruned key is decided afresh; see [`booking_core::repository`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cache;
mod codec;
mod migrate;
mod pool;

pub use migrate::SCHEMA_VERSION;
pub use pool::{READ_INDEX_QUERY, SQLSTATE_CONFLICT, SQLSTATE_DUPLICATE_REQUEST};

use booking_core::{
    Actor, BookingId, CourseId, Event, GroupSession, SeatBooking, SessionId, SlotId, UserId,
    lesson::{ApprovalSettings, Calendar, Lesson},
    repository::{
        AggregateKey, BatchFailure, BookingLocation, Commit, IndexHit, IndexRange, Indexed, OutboxEntry, Repository,
        RequestKey, RequestRecord, StoreError, Write,
    },
};
use cache::{Aggregate, Snapshot, SnapshotCache};
use codec::{RawJson, actor_key, column, decode_aggregate, decode_columns, decode_json, record_name};
use pool::{Conn, Manager, Stmt};
use postgres::types::Json;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Why a store could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The connection string or an option is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The server refused the connection (authentication, an unknown database, a TLS
    /// certificate that does not verify, ...).
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(String),
    /// The server could not be reached in time (refused, unreachable, timed out, shutting
    /// down, too many connections): trying again later may work. The engine's counterpart is
    /// [`StoreError::Unavailable`].
    #[error("PostgreSQL is unavailable: {0}")]
    Unavailable(String),
    /// The database was migrated by a newer version of this crate: this code would not
    /// understand it, so it refuses to touch it. Upgrade the code.
    #[error("the database schema is at version {found}, newer than the {supported} this code supports")]
    SchemaTooNew {
        /// The version recorded in `booking_schema_version`.
        found: i32,
        /// [`SCHEMA_VERSION`].
        supported: i32,
    },
    /// A migration step failed (nothing of it was applied).
    #[error("migrating the schema to version {version} failed: {detail}")]
    Migration {
        /// The step that failed (`0`: the bookkeeping before the first step).
        version: i32,
        /// The server's error.
        detail: String,
    },
}

/// How to open a [`PgRepository`]: the connection, the schema, the pool.
///
/// ```
/// use booking_postgres::PgOptions;
/// use std::time::Duration;
/// let options = PgOptions::new("postgres://booking@127.0.0.1:5432/app")?
///     .schema("booking")
///     .max_connections(32)
///     .connection_timeout(Duration::from_secs(5))
///     .network_timeout(Duration::from_secs(5))
///     .statement_timeout(Duration::from_secs(10));
/// # let _ = options;
/// # Ok::<(), booking_postgres::OpenError>(())
/// ```
#[derive(Clone)]
pub struct PgOptions {
    config: postgres::Config,
    schema: Option<String>,
    max_connections: u32,
    min_idle: u32,
    connection_timeout: Duration,
    network_timeout: Duration,
    statement_timeout: Duration,
    idle_in_transaction_timeout: Duration,
    snapshot_cache: bool,
    #[cfg(feature = "tls")]
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions")
            .field("host", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .field("schema", &self.schema)
            .field("max_connections", &self.max_connections)
            .field("min_idle", &self.min_idle)
            .field("connection_timeout", &self.connection_timeout)
            .field("connect_timeout", &self.config.get_connect_timeout())
            .field("network_timeout", &self.network_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("idle_in_transaction_timeout", &self.idle_in_transaction_timeout)
            .field("snapshot_cache", &self.snapshot_cache)
            .finish_non_exhaustive()
    }
}

impl PgOptions {
    /// Options for a connection string, URL (`postgres://user:pass@host:port/db?...`) or
    /// key-value (`host=... user=...`) form, as libpq reads it.
    pub fn new(connection: &str) -> Result<Self, OpenError> {
        let config = connection.parse::<postgres::Config>().map_err(|e| OpenError::Config(e.to_string()))?;
        Ok(Self::from_config(config))
    }

    /// Options for an already built driver configuration.
    pub fn from_config(config: postgres::Config) -> Self {
        Self {
            config,
            schema: None,
            max_connections: 16,
            min_idle: 1,
            connection_timeout: Duration::from_secs(10),
            network_timeout: DEFAULT_NETWORK_TIMEOUT,
            statement_timeout: DEFAULT_STATEMENT_TIMEOUT,
            idle_in_transaction_timeout: DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT,
            snapshot_cache: true,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Keeps every table in this schema (created if missing) and sets it as the `search_path`
    /// of every pooled connection. A plain identifier: ASCII lowercase letters, digits and
    /// `_`, not starting with a digit, at most 63 bytes. Without it, the connection's default
    /// `search_path` decides.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// The most connections the pool opens (default 16).
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Connections the pool keeps open when idle (default 1).
    pub fn min_idle(mut self, n: u32) -> Self {
        self.min_idle = n;
        self
    }

    /// How long a call waits for a free connection before failing with
    /// [`StoreError::Unavailable`] (default 10 s).
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// How long opening a TCP connection may take before it fails (default
    /// [`DEFAULT_CONNECT_TIMEOUT`], 10 s; `connect_timeout` in the connection string sets it
    /// too). See [Timeouts](crate#timeouts-a-silent-network-never-hangs-a-call).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout(timeout);
        self
    }

    /// How long a connection may go silent, with a request unanswered or unacknowledged,
    /// before the call fails with [`StoreError::Unavailable`] (default
    /// [`DEFAULT_NETWORK_TIMEOUT`], 10 s; at least 1 s). It sets `TCP_USER_TIMEOUT` and TCP
    /// keepalives (idle and interval a third of it, 3 probes) on the client's socket, and the
    /// same through the session's `tcp_user_timeout` and `tcp_keepalives_*` on the server's
    /// side, so the server also drops a client it can no longer reach. A slow statement does
    /// not trip it (the server's kernel answers keepalives while the statement runs); see
    /// [`statement_timeout`](Self::statement_timeout) for that. See
    /// [Timeouts](crate#timeouts-a-silent-network-never-hangs-a-call).
    pub fn network_timeout(mut self, timeout: Duration) -> Self {
        self.network_timeout = timeout.max(Duration::from_secs(1));
        self
    }

    /// The server-side `statement_timeout` of the pooled connections (default
    /// [`DEFAULT_STATEMENT_TIMEOUT`], 30 s; `Duration::ZERO` turns it off): a statement that
    /// runs longer, waiting for a lock for instance, is cancelled and fails with
    /// [`StoreError::Unavailable`], rolled back. The migrations at [`open`](Self::open) are
    /// exempt.
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// The server-side `idle_in_transaction_session_timeout` of the pooled connections (default
    /// [`DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT`], 30 s; `Duration::ZERO` turns it off): a
    /// transaction left open and idle that long, by a host's code in
    /// [`PgRepository::with_client`] or by a client cut off by the network, is ended by the
    /// server and its locks released. The store's own commits are single statements and never
    /// idle in a transaction.
    pub fn idle_in_transaction_timeout(mut self, timeout: Duration) -> Self {
        self.idle_in_transaction_timeout = timeout;
        self
    }

    /// The `application_name` the connections report (shown in `pg_stat_activity`).
    pub fn application_name(mut self, name: &str) -> Self {
        self.config.application_name(name);
        self
    }

    /// Whether the store keeps the last snapshots it loaded or committed, so that loading an
    /// unchanged aggregate ships and decodes no body (default on; see the [crate docs](crate)).
    pub fn snapshot_cache(mut self, on: bool) -> Self {
        self.snapshot_cache = on;
        self
    }

    /// Connects with TLS (rustls), verifying the server with `config`. Whether TLS is
    /// required follows the connection string's `sslmode` (`prefer` by default: use TLS if
    /// the server offers it; write `sslmode=require` to insist).
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: rustls::ClientConfig) -> Self {
        self.tls = Some(Arc::new(config));
        self
    }

    /// Connects with TLS (rustls), verifying the server against the Mozilla root
    /// certificates (the `webpki-roots` crate); see [`PgOptions::tls`].
    #[cfg(feature = "tls")]
    pub fn tls_with_webpki_roots(self) -> Self {
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        self.tls(config)
    }

    fn connector(&self) -> pool::Connector {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            let tls = Arc::clone(tls);
            return Box::new(move |config: &postgres::Config| {
                config.connect(tokio_postgres_rustls::MakeRustlsConnect::new((*tls).clone()))
            });
        }
        Box::new(|config: &postgres::Config| config.connect(postgres::NoTls))
    }

    /// The `SET` statements run on every new pooled connection: the server-side timeouts.
    fn session_setup(&self) -> String {
        let ms = |d: Duration| d.as_millis().min(i32::MAX as u128);
        let keepalive = keepalive_step(self.network_timeout);
        [
            format!("SET statement_timeout = {}", ms(self.statement_timeout)),
            format!("SET idle_in_transaction_session_timeout = {}", ms(self.idle_in_transaction_timeout)),
            format!("SET tcp_user_timeout = {}", ms(self.network_timeout)),
            format!("SET tcp_keepalives_idle = {}", keepalive.as_secs()),
            format!("SET tcp_keepalives_interval = {}", keepalive.as_secs()),
            format!("SET tcp_keepalives_count = {KEEPALIVE_PROBES}"),
        ]
        .join("; ")
    }

    /// Connects, brings the schema to [`SCHEMA_VERSION`] (refusing a newer one), and
    /// returns the store with its connection pool.
    pub fn open(self) -> Result<PgRepository, OpenError> {
        let mut config = self.config.clone();
        if config.get_connect_timeout().is_none() {
            // Without one, connecting to an unreachable host waits for the kernel's TCP
            // timeout (minutes). `connect_timeout` in the connection string overrides this.
            config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
        }
        // A silent network ends a call after about `network_timeout`, not after the kernel's
        // retransmissions (15 minutes and more on Linux).
        let keepalive = keepalive_step(self.network_timeout);
        config
            .tcp_user_timeout(self.network_timeout)
            .keepalives(true)
            .keepalives_idle(keepalive)
            .keepalives_interval(keepalive)
            .keepalives_retries(KEEPALIVE_PROBES);
        if let Some(schema) = &self.schema {
            check_identifier(schema)?;
            let options = match config.get_options() {
                Some(existing) if !existing.trim().is_empty() => format!("{existing} -c search_path={schema}"),
                _ => format!("-c search_path={schema}"),
            };
            config.options(&options);
        }
        let manager = Manager { config, connector: self.connector(), session_setup: self.session_setup() };
        let mut first = manager.open_bare().map_err(|e| {
            if pool::is_unavailable(&e) {
                OpenError::Unavailable(pool::describe(&e))
            } else {
                OpenError::Connect(pool::describe(&e))
            }
        })?;
        migrate::migrate(first.client(), self.schema.as_deref())?;
        let pool = r2d2::Pool::builder()
            .max_size(self.max_connections)
            .min_idle(Some(self.min_idle.min(self.max_connections)))
            .connection_timeout(self.connection_timeout)
            // A round trip per checkout would double the cost of every call; a broken
            // connection is noticed by its first failing statement and then discarded.
            .test_on_check_out(false)
            .build_unchecked(manager);
        // The migration's connection is a good first pooled one.
        drop(first);
        Ok(PgRepository {
            inner: Arc::new(Inner { pool, schema: self.schema, cache: self.snapshot_cache.then(SnapshotCache::new) }),
        })
    }
}

/// The default of [`PgOptions::connect_timeout`].
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default of [`PgOptions::network_timeout`].
pub const DEFAULT_NETWORK_TIMEOUT: Duration = Duration::from_secs(10);
/// The default of [`PgOptions::statement_timeout`].
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default of [`PgOptions::idle_in_transaction_timeout`].
pub const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);
/// Unanswered keepalive probes after which a connection is dead.
const KEEPALIVE_PROBES: u32 = 3;

/// The keepalive idle time and interval for a network timeout: a third of it, in whole
/// seconds, at least 1 s. A silent connection then sends its first probe after a third of the
/// timeout, and `TCP_USER_TIMEOUT` ends it once the timeout has passed with a probe out: about
/// 4/3 of the timeout at most.
fn keepalive_step(network_timeout: Duration) -> Duration {
    Duration::from_secs((network_timeout.as_secs() / 3).max(1))
}

fn check_identifier(name: &str) -> Result<(), OpenError> {
    let mut chars = name.chars();
    let ok = name.len() <= 63
        && chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(OpenError::Config(format!(
            "schema {name:?}: use ASCII lowercase letters, digits and _, not starting with a digit, at most 63 bytes"
        )))
    }
}

struct Inner {
    pool: r2d2::Pool<Manager>,
    schema: Option<String>,
    cache: Option<SnapshotCache>,
}

/// The engine's store in PostgreSQL. Cheap to clone (the clones share one pool).
///
/// ```no_run
/// use booking_core::{Actor, Engine, UserId};
/// use booking_postgres::PgRepository;
///
/// let store = PgRepository::connect("postgres://booking@127.0.0.1:5432/app")?;
/// let (teacher, student) = (UserId::from_uuid(uuid::Uuid::now_v7()), UserId::from_uuid(uuid::Uuid::now_v7()));
/// let course = booking_core::CourseId::from_uuid(uuid::Uuid::now_v7());
/// store.enroll(student, course)?;
/// let engine = Engine::new(store);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct PgRepository {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PgRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.inner.pool.state();
        f.debug_struct("PgRepository")
            .field("schema", &self.inner.schema)
            .field("connections", &state.connections)
            .field("idle_connections", &state.idle_connections)
            .finish()
    }
}

/// One event of the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEvent {
    /// Its `events.id`.
    pub id: i64,
    /// The session's version after the commit that caused the event (events of one commit
    /// share it; for one session, consecutive commits have consecutive versions).
    pub session_version: Option<u64>,
    /// The event.
    pub event: Event,
}

impl PgRepository {
    /// Opens the store at `connection` with default [`PgOptions`].
    pub fn connect(connection: &str) -> Result<Self, OpenError> {
        PgOptions::new(connection)?.open()
    }

    /// The schema the store keeps its tables in, if one was set.
    pub fn schema(&self) -> Option<&str> {
        self.inner.schema.as_deref()
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<Manager>, StoreError> {
        self.inner.pool.get().map_err(|e| StoreError::Unavailable(format!("no database connection: {e}")))
    }

    /// Runs a read, once more on a fresh connection if the first one turned out closed (a
    /// read changes nothing, so repeating it is always safe): a server restart or a killed
    /// backend costs the caller nothing. A read whose connection timed out is not repeated:
    /// the network is likely still down, and the call must end within its timeout.
    fn read<T>(&self, f: impl Fn(&mut Conn) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        match f(&mut conn) {
            Err(StoreError::Backend(_) | StoreError::Unavailable(_)) if conn.is_broken() && !conn.timed_out() => {
                drop(conn);
                f(&mut *self.conn()?)
            }
            result => result,
        }
    }

    fn write(&self, stmt: Stmt, params: &[&(dyn postgres::types::ToSql + Sync)]) -> Result<(), StoreError> {
        self.conn()?.execute(stmt, params).map(drop)
    }

    /// Runs `f` on a pooled connection (its `search_path` set to the store's schema): for the
    /// host's own queries over the tables, such as reading the outbox. Open transactions with
    /// `client.transaction()` (one dropped uncommitted rolls back), never with a bare `BEGIN`:
    /// the connection goes back to the pool when `f` returns.
    pub fn with_client<T>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        let result = f(conn.client());
        if conn.client().is_closed() {
            conn.mark_broken();
        }
        result.map_err(|e| pool::store_error(&e))
    }

    /// Host data: the course's own approval setting (`None` removes it).
    pub fn set_course_approval(&self, course_id: CourseId, requires_approval: Option<bool>) -> Result<(), StoreError> {
        match requires_approval {
            Some(v) => self.write(Stmt::SetCourseApproval, &[&course_id.as_uuid(), &v]),
            None => self.write(Stmt::ClearCourseApproval, &[&course_id.as_uuid()]),
        }
    }

    /// Host data: a teacher's approval override for a course (`None` removes it).
    pub fn set_teacher_approval(
        &self,
        teacher_id: UserId,
        course_id: CourseId,
        requires_approval: Option<bool>,
    ) -> Result<(), StoreError> {
        match requires_approval {
            Some(v) => self.write(Stmt::SetTeacherApproval, &[&teacher_id.as_uuid(), &course_id.as_uuid(), &v]),
            None => self.write(Stmt::ClearTeacherApproval, &[&teacher_id.as_uuid(), &course_id.as_uuid()]),
        }
    }

    /// Host data: enrolls a student in a course.
    pub fn enroll(&self, student_id: UserId, course_id: CourseId) -> Result<(), StoreError> {
        self.write(Stmt::Enroll, &[&student_id.as_uuid(), &course_id.as_uuid()])
    }

    /// Host data: removes a student from a course.
    pub fn unenroll(&self, student_id: UserId, course_id: CourseId) -> Result<(), StoreError> {
        self.write(Stmt::Unenroll, &[&student_id.as_uuid(), &course_id.as_uuid()])
    }

    /// Retention of the outbox: deletes the events that occurred before `occurred_before`
    /// (whether a relay has sent them or not); returns how many were deleted. An operator's
    /// action, like [`Engine::prune_requests`](booking_core::Engine::prune_requests); a relay
    /// deletes what it sent with [`Repository::acknowledge_outbox`] (see the
    /// [crate docs](crate#the-outbox)).
    pub fn prune_events(&self, occurred_before: chrono::DateTime<chrono::Utc>) -> Result<u64, StoreError> {
        self.conn()?.execute(Stmt::PruneEvents, &[&occurred_before])
    }

    /// The outbox events of one session, in commit order.
    pub fn session_events(&self, session_id: SessionId) -> Result<Vec<OutboxEvent>, StoreError> {
        self.read(|conn| {
            let rows = conn.query(Stmt::SessionEvents, &[&session_id.as_uuid()])?;
            rows.iter()
                .map(|row| {
                    let id: i64 = column(row, 0, "outbox event")?;
                    let record = record_name("outbox event", id);
                    let version: Option<i64> = column(row, 1, &record)?;
                    let body: RawJson<'_> = column(row, 2, &record)?;
                    Ok(OutboxEvent {
                        id,
                        session_version: version.and_then(|v| u64::try_from(v).ok()),
                        event: decode_json(body.0, &record)?,
                    })
                })
                .collect()
        })
    }

    fn load<T: Aggregate>(&self, stmt: Stmt, id: Uuid, key: AggregateKey) -> Result<Option<Arc<T>>, StoreError> {
        let cached = self.inner.cache.as_ref().and_then(|c| c.get::<T>(&key));
        // -1 matches no version: the body comes back.
        let cached_version = cached.as_ref().map_or(-1, |(v, _)| i64::try_from(*v).unwrap_or(-1));
        let loaded = self.read(|conn| {
            let Some(row) = conn.query_opt(stmt, &[&id, &cached_version])? else { return Ok(None) };
            let record = record_name(T::KIND, id);
            match (&cached, column::<Option<RawJson<'_>>>(&row, 1, &record)?) {
                (Some((version, snapshot)), None) => {
                    let stored: i64 = column(&row, 0, &record)?;
                    if u64::try_from(stored).ok() != Some(*version) {
                        return Err(StoreError::Corrupt { record, detail: "the body is null".to_owned() });
                    }
                    Ok(Some((Arc::clone(snapshot), false)))
                }
                _ => Ok(Some((Arc::new(decode_aggregate::<T>(&row, &record, T::identity, id)?), true))),
            }
        })?;
        let Some((value, fresh)) = loaded else { return Ok(None) };
        let version = value.identity().1;
        if fresh && let Some(cache) = &self.inner.cache {
            cache.put(key, version, T::wrap(Arc::clone(&value)));
        }
        Ok(Some(value))
    }
}

impl Repository for PgRepository {
    fn sessions_with_offers_due(&self, until: chrono::DateTime<chrono::Utc>) -> Result<Vec<SessionId>, StoreError> {
        self.read(|conn| {
            let rows = conn.query(Stmt::OffersDue, &[&until])?;
            rows.iter()
                .map(|row| column::<Uuid>(row, 0, "session with an offer due").map(SessionId::from_uuid))
                .collect()
        })
    }

    fn load_session(&self, id: SessionId) -> Result<Option<Arc<GroupSession>>, StoreError> {
        self.load(Stmt::LoadSession, id.as_uuid(), AggregateKey::Session(id))
    }

    fn load_calendar(&self, owner: UserId) -> Result<Option<Arc<Calendar>>, StoreError> {
        self.load(Stmt::LoadCalendar, owner.as_uuid(), AggregateKey::Calendar(owner))
    }

    fn load_lesson(&self, id: BookingId) -> Result<Option<Arc<Lesson>>, StoreError> {
        self.load(Stmt::LoadLesson, id.as_uuid(), AggregateKey::Lesson(id))
    }

    fn locate_booking(&self, id: BookingId) -> Result<Option<BookingLocation>, StoreError> {
        self.read(|conn| {
            let Some(row) = conn.query_opt(Stmt::LocateBooking, &[&id.as_uuid()])? else { return Ok(None) };
            let record = record_name("booking index entry", id);
            let kind: &str = column(&row, 0, &record)?;
            let session: Option<Uuid> = column(&row, 1, &record)?;
            match (kind, session) {
                ("session", Some(session)) => Ok(Some(BookingLocation::Session(SessionId::from_uuid(session)))),
                ("lesson", None) => Ok(Some(BookingLocation::Lesson)),
                _ => Err(StoreError::Corrupt { record, detail: format!("kind {kind:?} with session {session:?}") }),
            }
        })
    }

    fn locate_slot(&self, id: SlotId) -> Result<Option<UserId>, StoreError> {
        self.read(|conn| {
            let Some(row) = conn.query_opt(Stmt::LocateSlot, &[&id.as_uuid()])? else { return Ok(None) };
            let teacher: Uuid = column(&row, 0, &record_name("slot index entry", id))?;
            Ok(Some(UserId::from_uuid(teacher)))
        })
    }

    fn load_request(&self, actor: &Actor, key: &RequestKey) -> Result<Option<RequestRecord>, StoreError> {
        let actor_text = actor_key(actor);
        self.read(|conn| {
            let Some(row) = conn.query_opt(Stmt::LoadRequest, &[&actor_text, &key.as_str()])? else {
                return Ok(None);
            };
            let record = format!("request record ({actor_text}, {:?})", key.as_str());
            let body: RawJson<'_> = column(&row, 0, &record)?;
            let stored: RequestRecord = decode_json(body.0, &record)?;
            if stored.actor != *actor || stored.key != *key {
                return Err(StoreError::Corrupt { record, detail: "the body names another actor or key".to_owned() });
            }
            Ok(Some(stored))
        })
    }

    fn approval_settings(&self, course_id: CourseId, teacher_id: UserId) -> Result<ApprovalSettings, StoreError> {
        self.read(|conn| {
            let row = conn.query_one(Stmt::ApprovalSettings, &[&course_id.as_uuid(), &teacher_id.as_uuid()])?;
            let record = record_name("approval settings of course", course_id);
            Ok(ApprovalSettings { course: column(&row, 0, &record)?, teacher_override: column(&row, 1, &record)? })
        })
    }

    fn is_enrolled(&self, student_id: UserId, course_id: CourseId) -> Result<bool, StoreError> {
        self.read(|conn| {
            let row = conn.query_one(Stmt::IsEnrolled, &[&student_id.as_uuid(), &course_id.as_uuid()])?;
            column(&row, 0, "enrollment")
        })
    }

    fn load_finished_booking(&self, id: BookingId) -> Result<Option<SeatBooking>, StoreError> {
        self.read(|conn| {
            let Some(row) = conn.query_opt(Stmt::LoadFinishedBooking, &[&id.as_uuid()])? else { return Ok(None) };
            let record = record_name("finished booking", id);
            let body: RawJson<'_> = column(&row, 0, &record)?;
            let booking: SeatBooking = decode_json(body.0, &record)?;
            if booking.id != id {
                return Err(StoreError::Corrupt { record, detail: format!("the body is booking {}", booking.id) });
            }
            Ok(Some(booking))
        })
    }

    fn prune_requests(&self, recorded_before: chrono::DateTime<chrono::Utc>) -> Result<u64, StoreError> {
        self.conn()?.execute(Stmt::PruneRequests, &[&recorded_before])
    }

    fn read_index(&self, range: &IndexRange) -> Result<Vec<IndexHit>, StoreError> {
        let limit = i64::from(range.limit);
        self.read(|conn| {
            let rows = conn.query(
                Stmt::ReadIndex,
                &[&range.index.as_str(), &range.partition, &range.after, &range.before, &limit],
            )?;
            let mut hits = Vec::with_capacity(rows.len());
            for row in &rows {
                let entry = record_name("read index entry", range.index.as_str());
                let sort: String = column(row, 0, &entry)?;
                let kind: &str = column(row, 1, &entry)?;
                let id: Uuid = column(row, 2, &entry)?;
                if column::<Option<i64>>(row, 3, &entry)?.is_none() {
                    continue; // an entry of an aggregate no longer stored: nothing to list
                }
                let aggregate = match kind {
                    "session" => Indexed::Session(Arc::new(decode_columns::<GroupSession>(
                        row,
                        3,
                        &record_name("session", id),
                        <GroupSession as Aggregate>::identity,
                        id,
                    )?)),
                    "lesson" => Indexed::Lesson(Arc::new(decode_columns::<Lesson>(
                        row,
                        3,
                        &record_name("lesson", id),
                        <Lesson as Aggregate>::identity,
                        id,
                    )?)),
                    other => return Err(StoreError::Corrupt { record: entry, detail: format!("kind {other:?}") }),
                };
                hits.push(IndexHit { sort, aggregate });
            }
            Ok(hits)
        })
    }

    fn read_outbox(&self, after: u64, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let (after, limit) = (i64::try_from(after).unwrap_or(i64::MAX), i64::from(limit));
        self.read(|conn| {
            let rows = conn.query(Stmt::ReadOutbox, &[&after, &limit])?;
            rows.iter()
                .map(|row| {
                    let id: i64 = column(row, 0, "outbox event")?;
                    let record = record_name("outbox event", id);
                    let body: RawJson<'_> = column(row, 1, &record)?;
                    let position = u64::try_from(id).map_err(|_| StoreError::Corrupt {
                        record: record.clone(),
                        detail: "a negative id".to_owned(),
                    })?;
                    Ok(OutboxEntry { position, event: decode_json(body.0, &record)? })
                })
                .collect()
        })
    }

    fn acknowledge_outbox(&self, up_to: u64) -> Result<u64, StoreError> {
        let up_to = i64::try_from(up_to).unwrap_or(i64::MAX);
        self.conn()?.execute(Stmt::AcknowledgeOutbox, &[&up_to])
    }

    fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        let payload = codec::Payload::new(&commit, self.inner.cache.as_ref())?;
        self.conn()?.execute(Stmt::Commit, &[&Json(&payload)])?;
        self.remember(std::slice::from_ref(&commit));
        Ok(())
    }

    /// All of `commits` in one round trip, one statement: `booking_commit_all` (schema version
    /// 7) applies each as `booking_commit` does, all of them or none (`committed: 0`).
    fn commit_all(&self, mut commits: Vec<Commit>) -> Result<(), BatchFailure> {
        let fail = |error| BatchFailure { committed: 0, error };
        // Each commit's events keep the session version it made; then each session the batch
        // writes is written once, in its final state.
        let sessions = commits.iter().map(codec::events_session).collect::<Result<Vec<_>, _>>().map_err(fail)?;
        Commit::fold_chained_writes(&mut commits);
        let payloads = commits
            .iter()
            .zip(sessions)
            .map(|(commit, session)| codec::Payload::with_events_of(commit, session, self.inner.cache.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(fail)?;
        self.conn().map_err(fail)?.execute(Stmt::CommitAll, &[&Json(&payloads)]).map_err(fail)?;
        self.remember(&commits);
        Ok(())
    }
}

impl PgRepository {
    /// Puts what `commits`, just committed, wrote into the cache of recent aggregates.
    fn remember(&self, commits: &[Commit]) {
        let Some(cache) = &self.inner.cache else { return };
        for w in commits.iter().flat_map(|c| &c.writes) {
            let snapshot = match w {
                Write::Session { session, .. } => Snapshot::Session(Arc::clone(session)),
                Write::Calendar { calendar, .. } => Snapshot::Calendar(Arc::clone(calendar)),
                Write::Lesson { lesson, .. } => Snapshot::Lesson(Arc::clone(lesson)),
            };
            cache.put(w.key(), w.new_version(), snapshot);
        }
    }
}
