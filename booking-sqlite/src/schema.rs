//! The schema and its migrations, applied on open.
//!
//! The schema version is SQLite's `PRAGMA user_version` (0 for a new file). Migration `n`
//! takes a database from version `n - 1` to `n`; they run in one `BEGIN IMMEDIATE`
//! transaction together with the version bump, so several processes opening one new file at
//! once migrate it exactly once, and a crash mid-migration leaves the old version behind.
//! Migrations are append-only: a released one is never edited.

use crate::sql::{Failure, write_transaction};
use booking_core::{GroupSession, StoreError, index::IndexEntry, lesson::Lesson};
use rusqlite::{Connection, Transaction, params};

/// Migration 1: every table of the store.
///
/// - `sessions`, `calendars`, `lessons`: one row per aggregate, `body` the aggregate as JSON
///   (the source of truth) and `version` its optimistic-concurrency version. Sessions and
///   lessons also keep a few columns copied from the body in the same statement (teacher,
///   student, course, start, status), only so hosts can list "my upcoming sessions" with an
///   index instead of decoding every body; the store itself never reads them.
/// - `booking_index`, `slot_index`: where a booking lives and whose calendar holds a slot.
/// - `requests`: request records, keyed by actor and request key (`recorded_at` lets a host
///   expire old keys).
/// - `events`: the outbox, every event of every commit in commit order. `AUTOINCREMENT`, so an
///   id is never reused even after the newest rows are deleted, and a consumer that remembers
///   the last id it handled never misses or repeats one.
/// - `course_approval`, `teacher_approval`, `enrollments`: the host-owned data the engine reads.
const MIGRATION_1: &str = "
CREATE TABLE sessions (
    id TEXT NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    teacher_id TEXT NOT NULL,
    course_id TEXT,
    starts_at TEXT NOT NULL
);
CREATE INDEX sessions_by_teacher ON sessions (teacher_id, starts_at);
CREATE INDEX sessions_by_course ON sessions (course_id, starts_at) WHERE course_id IS NOT NULL;

CREATE TABLE calendars (
    id TEXT NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE lessons (
    id TEXT NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    teacher_id TEXT NOT NULL,
    student_id TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX lessons_by_teacher ON lessons (teacher_id, starts_at);
CREATE INDEX lessons_by_student ON lessons (student_id, starts_at);

CREATE TABLE booking_index (
    booking_id TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL,
    session_id TEXT
);
CREATE INDEX booking_index_by_session ON booking_index (session_id) WHERE session_id IS NOT NULL;

CREATE TABLE slot_index (
    slot_id TEXT NOT NULL PRIMARY KEY,
    teacher_id TEXT NOT NULL
);

CREATE TABLE requests (
    actor TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (actor, key)
) WITHOUT ROWID;

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE course_approval (
    course_id TEXT NOT NULL PRIMARY KEY,
    requires_approval INTEGER NOT NULL
);

CREATE TABLE teacher_approval (
    teacher_id TEXT NOT NULL,
    course_id TEXT NOT NULL,
    requires_approval INTEGER NOT NULL,
    PRIMARY KEY (teacher_id, course_id)
) WITHOUT ROWID;

CREATE TABLE enrollments (
    student_id TEXT NOT NULL,
    course_id TEXT NOT NULL,
    PRIMARY KEY (student_id, course_id)
) WITHOUT ROWID;
";

/// Migration 2: `sessions.offer_deadline`, the earliest instant an outstanding seat offer of
/// the session runs out ([`booking_core::GroupSession::next_offer_deadline`], as RFC 3339 UTC
/// text like every instant here, so text order is time order), `NULL` when it has none. Written
/// with every session write, in the same statement as the body; a partial index keeps only the
/// sessions that have one, which is what
/// [`Repository::sessions_with_offers_due`](booking_core::Repository::sessions_with_offers_due)
/// reads. Sessions stored before it cannot have an offer (offers came with it), so `NULL` is
/// right for every existing row.
///
/// It also completes the holds in calendar bodies written before it: a hold now names the
/// lesson's course and teacher and the busy time around it, which version 1 bodies lack (and
/// which have no default: the teacher is not in the hold). They are copied from the lesson's
/// row, and the busy time is the lesson's own (lessons booked before had no buffers); the
/// calendar's version is bumped with the body, since a version names one state. Only missing
/// fields are added (`json_insert`); a damaged body is left as it is (loading it reports it)
/// rather than failing the migration.
///
/// And it puts the upcoming group sessions (not cancelled, not ended) in their teacher's
/// calendar (`sessions`, by start), creating the calendar where the teacher has none: the
/// engine now keeps them there so 1:1 lessons cannot be booked over them, and version 1 did
/// not. Lessons already booked over a session stay, as the engine keeps them over time off.
const MIGRATION_2: &str = "
ALTER TABLE sessions ADD COLUMN offer_deadline TEXT;
CREATE INDEX sessions_by_offer_deadline ON sessions (offer_deadline, id) WHERE offer_deadline IS NOT NULL;

UPDATE calendars
SET version = version + 1,
    body = json_set(body, '$.version', version + 1, '$.holds', json((
        SELECT json_group_array(CASE WHEN h.type = 'object' THEN json_insert(h.value,
            '$.course_id', (SELECT json_extract(l.body, '$.course_id') FROM lessons AS l
                            WHERE l.id = json_extract(h.value, '$.booking_id')),
            '$.teacher_id', (SELECT l.teacher_id FROM lessons AS l WHERE l.id = json_extract(h.value, '$.booking_id')),
            '$.busy_from', json_extract(h.value, '$.starts_at'),
            '$.busy_until', json_extract(h.value, '$.ends_at')) ELSE json(h.value) END ORDER BY h.key)
        FROM json_each(calendars.body, '$.holds') AS h)))
WHERE CASE WHEN json_valid(body) AND json_type(body, '$.holds') = 'array' THEN EXISTS (
    SELECT 1 FROM json_each(calendars.body, '$.holds') AS h
    WHERE h.type = 'object' AND (json_type(h.value, '$.teacher_id') IS NULL OR json_type(h.value, '$.busy_from') IS NULL)
) ELSE 0 END;

CREATE TEMP VIEW upcoming_sessions_v2 AS
SELECT id, teacher_id, json_extract(body, '$.starts_at') AS starts_at,
       strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(body, '$.starts_at'),
                '+' || json_extract(body, '$.duration_minutes') || ' minutes') AS ends_at
FROM sessions
WHERE json_valid(body) AND json_type(body, '$.cancelled_at') = 'null'
  AND json_type(body, '$.duration_minutes') = 'integer'
  AND julianday(json_extract(body, '$.starts_at')) + json_extract(body, '$.duration_minutes') / 1440.0
      > julianday('now');

INSERT INTO calendars (id, version, body)
SELECT teacher_id, 1, json_object('owner', teacher_id, 'version', 1, 'slots', json_array(), 'holds', json_array())
FROM upcoming_sessions_v2 AS s
WHERE NOT EXISTS (SELECT 1 FROM calendars AS c WHERE c.id = s.teacher_id)
GROUP BY teacher_id;

UPDATE calendars
SET version = version + 1,
    body = json_set(body, '$.version', version + 1, '$.sessions', json((
        SELECT json_group_array(json_object('session_id', s.id, 'starts_at', s.starts_at, 'ends_at', s.ends_at)
                                ORDER BY julianday(s.starts_at), s.id)
        FROM upcoming_sessions_v2 AS s WHERE s.teacher_id = calendars.id)))
WHERE json_valid(body) AND json_type(body, '$.sessions') IS NULL
  AND EXISTS (SELECT 1 FROM upcoming_sessions_v2 AS s WHERE s.teacher_id = calendars.id);

DROP VIEW upcoming_sessions_v2;
";

/// Migration 3: the booking history, and indexes for retention.
///
/// - `finished_bookings`: seat bookings that finished (cancelled, declined, expired), moved out
///   of their session's body by the commit that finished them
///   ([`Commit::finished_bookings`](booking_core::repository::Commit::finished_bookings)), in
///   the same transaction. `body` is the booking as JSON (the source of truth, read by
///   [`Repository::load_finished_booking`](booking_core::Repository::load_finished_booking));
///   `session_id`, `student_id`, `status` and `finished_at` (the booking's `updated_at`) are a
///   projection for the host's own queries ("my past bookings"), indexed by session and by
///   student.
/// - The finished bookings that session bodies written before still hold are moved there now,
///   and each such session's version is bumped with its body (a version names one state). The
///   engine would move them on the session's next change anyway; doing it here makes every hot
///   session small at once. A body that is not valid JSON is left as it is (loading it reports
///   it).
/// - `requests_by_recorded_at` and `events_by_occurred_at`: indexes for
///   [`Repository::prune_requests`](booking_core::Repository::prune_requests) and
///   [`SqliteRepository::prune_events`](crate::SqliteRepository::prune_events).
const MIGRATION_3: &str = "
CREATE TABLE finished_bookings (
    booking_id TEXT NOT NULL PRIMARY KEY,
    session_id TEXT NOT NULL,
    student_id TEXT NOT NULL,
    status TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX finished_bookings_by_session ON finished_bookings (session_id);
CREATE INDEX finished_bookings_by_student ON finished_bookings (student_id, finished_at);
CREATE INDEX requests_by_recorded_at ON requests (recorded_at);
CREATE INDEX events_by_occurred_at ON events (occurred_at);

INSERT INTO finished_bookings (booking_id, session_id, student_id, status, finished_at, body)
SELECT json_extract(b.value, '$.id'), s.id, json_extract(b.value, '$.student_id'), json_extract(b.value, '$.status'),
       json_extract(b.value, '$.updated_at'), json(b.value)
FROM sessions AS s, json_each(s.body, '$.bookings') AS b
WHERE json_valid(s.body) AND json_type(s.body, '$.bookings') = 'array' AND b.type = 'object'
  AND json_extract(b.value, '$.status') IN ('cancelled', 'expired')
  AND json_type(b.value, '$.id') = 'text' AND json_type(b.value, '$.student_id') = 'text'
  AND json_type(b.value, '$.updated_at') = 'text'
ON CONFLICT (booking_id) DO NOTHING;

UPDATE sessions
SET version = version + 1,
    body = json_set(body, '$.version', version + 1, '$.bookings', json((
        SELECT json_group_array(json(b.value) ORDER BY b.key)
        FROM json_each(sessions.body, '$.bookings') AS b
        WHERE NOT EXISTS (SELECT 1 FROM finished_bookings AS f
                          WHERE b.type = 'object' AND f.booking_id = json_extract(b.value, '$.id')
                            AND f.session_id = sessions.id))))
WHERE json_valid(body) AND json_type(body, '$.bookings') = 'array' AND EXISTS (
    SELECT 1 FROM json_each(sessions.body, '$.bookings') AS b, finished_bookings AS f
    WHERE b.type = 'object' AND f.booking_id = json_extract(b.value, '$.id') AND f.session_id = sessions.id
);
";

/// Migration 4: the read index (issue 15), what
/// [`Repository::read_index`](booking_core::Repository::read_index) answers from.
///
/// - `read_index("index", "partition", sort, kind, aggregate_id)`: one row per read-index
///   entry of a stored session or lesson, as the core computes them
///   ([`Write::read_entries`](booking_core::repository::Write::read_entries)); the commit that
///   writes an aggregate replaces its rows in the same transaction. `WITHOUT ROWID`, keyed by
///   `("index", "partition", sort)`, so a page of one list is one range scan of the primary key
///   (SQLite's default `BINARY` collation compares the sort keys byte-wise, as the core asks);
///   `read_index_by_aggregate` finds an aggregate's rows to replace them. `index` and
///   `partition` are SQL keywords: write them quoted.
/// - Then (in Rust, [`fill_read_index`]) the rows of the sessions and lessons already stored:
///   each body is decoded and its entries are the core's
///   ([`IndexEntry::of_session`](booking_core::index::IndexEntry::of_session),
///   [`IndexEntry::of_lesson`](booking_core::index::IndexEntry::of_lesson)); the store never
///   derives them itself. A body that does not decode, or names another id than its row, gets
///   no rows (loading it reports it) rather than failing the migration.
///
/// The outbox needs nothing new: `events.id` (`AUTOINCREMENT`, written under SQLite's one
/// write lock) already grows in commit order and is never reused; it is the outbox position.
const MIGRATION_4: &str = "
CREATE TABLE read_index (
    \"index\" TEXT NOT NULL,
    \"partition\" TEXT NOT NULL,
    sort TEXT NOT NULL,
    kind TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    PRIMARY KEY (\"index\", \"partition\", sort)
) WITHOUT ROWID;
CREATE INDEX read_index_by_aggregate ON read_index (aggregate_id, kind);
";

/// The read-index rows of every session and lesson stored (migration 4): the core's entries
/// of each body that decodes.
fn fill_read_index(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut insert = tx.prepare(
        "INSERT INTO read_index (\"index\", \"partition\", sort, kind, aggregate_id) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT DO NOTHING",
    )?;
    for (table, kind) in [("sessions", "session"), ("lessons", "lesson")] {
        let mut rows = tx.prepare(&format!("SELECT id, body FROM {table}"))?;
        let mut rows = rows.query([])?;
        while let Some(row) = rows.next()? {
            let (Ok(id), Ok(body)) = (row.get::<_, String>(0), row.get::<_, String>(1)) else { continue };
            let entries = match kind {
                "session" => match serde_json::from_str::<GroupSession>(&body) {
                    Ok(session) if session.id.to_string() == id => IndexEntry::of_session(&session),
                    _ => continue,
                },
                _ => match serde_json::from_str::<Lesson>(&body) {
                    Ok(lesson) if lesson.id.to_string() == id => IndexEntry::of_lesson(&lesson),
                    _ => continue,
                },
            };
            for entry in entries {
                insert.execute(params![entry.index.as_str(), entry.partition, entry.sort, kind, id])?;
            }
        }
    }
    Ok(())
}

/// One step of the schema's history: SQL, then maybe a step in Rust (in the same transaction).
struct Migration {
    sql: &'static str,
    then: Option<fn(&Transaction<'_>) -> rusqlite::Result<()>>,
}

/// Every migration, in order: `MIGRATIONS[n - 1]` takes version `n - 1` to `n`.
const MIGRATIONS: &[Migration] = &[
    Migration { sql: MIGRATION_1, then: None },
    Migration { sql: MIGRATION_2, then: None },
    Migration { sql: MIGRATION_3, then: None },
    Migration { sql: MIGRATION_4, then: Some(fill_read_index) },
];

/// The schema version this code writes and reads.
pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

/// The schema version of the open database.
pub(crate) fn version(conn: &Connection) -> Result<i64, rusqlite::Error> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Refuses a version this code does not know: newer than [`LATEST`] (written by a newer
/// booking-sqlite) or negative (not ours).
pub(crate) fn check_known(version: i64) -> Result<(), StoreError> {
    if version > LATEST {
        return Err(StoreError::Corrupt {
            record: "database schema (PRAGMA user_version)".to_owned(),
            detail: format!(
                "schema version {version} is newer than version {LATEST}, the newest this booking-sqlite knows; \
                 open the file with a newer booking-sqlite"
            ),
        });
    }
    if version < 0 {
        return Err(StoreError::Corrupt {
            record: "database schema (PRAGMA user_version)".to_owned(),
            detail: format!("schema version {version} is not a booking-sqlite schema"),
        });
    }
    Ok(())
}

/// Brings the database to [`LATEST`], in one write transaction.
pub(crate) fn migrate(conn: &mut Connection, failure: &Failure) -> Result<(), StoreError> {
    let current = version(conn).map_err(|e| failure.map("reading the schema version", e))?;
    check_known(current)?;
    if current == LATEST {
        return Ok(());
    }
    write_transaction(conn, failure, |tx| {
        // Another process may have migrated since the check above.
        let current = version(tx).map_err(|e| failure.map("reading the schema version", e))?;
        check_known(current)?;
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let doing = format!("applying migration {}", index + 1);
            tx.execute_batch(migration.sql).map_err(|e| failure.map(&doing, e))?;
            if let Some(then) = migration.then {
                then(tx).map_err(|e| failure.map(&doing, e))?;
            }
        }
        tx.pragma_update(None, "user_version", LATEST).map_err(|e| failure.map("setting the schema version", e))
    })
}
