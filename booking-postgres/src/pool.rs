//! Pooled connections, each with its own prepared statements, and the mapping of driver
//! errors onto [`StoreError`].

use booking_core::repository::StoreError;
use postgres::types::{ToSql, Type};
use postgres::{Client, Row, Statement};
use std::fmt;

/// Every statement the store sends. Each is prepared once per connection, on first use, so
/// that every later call is a single round trip (Bind, Execute, Sync).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stmt {
    LoadSession,
    LoadCalendar,
    LoadLesson,
    LocateBooking,
    LocateSlot,
    LoadRequest,
    ApprovalSettings,
    IsEnrolled,
    Commit,
    CommitAll,
    SetCourseApproval,
    ClearCourseApproval,
    SetTeacherApproval,
    ClearTeacherApproval,
    Enroll,
    Unenroll,
    SessionEvents,
    OffersDue,
    LoadFinishedBooking,
    PruneRequests,
    PruneEvents,
    ReadIndex,
    ReadOutbox,
    AcknowledgeOutbox,
}

impl Stmt {
    const COUNT: usize = 24;

    fn sql(self) -> (&'static str, &'static [Type]) {
        const UUID: Type = Type::UUID;
        match self {
            // $2: the version the caller has cached (-1: none); its body is not sent again.
            Stmt::LoadSession => (
                "SELECT version, CASE WHEN version = $2 THEN NULL ELSE body END FROM sessions WHERE id = $1",
                &[UUID, Type::INT8],
            ),
            Stmt::LoadCalendar => (
                "SELECT version, CASE WHEN version = $2 THEN NULL ELSE body END FROM calendars WHERE owner = $1",
                &[UUID, Type::INT8],
            ),
            Stmt::LoadLesson => (
                "SELECT version, CASE WHEN version = $2 THEN NULL ELSE body END FROM lessons WHERE id = $1",
                &[UUID, Type::INT8],
            ),
            Stmt::LocateBooking => ("SELECT kind, session_id FROM booking_index WHERE booking_id = $1", &[UUID]),
            Stmt::LocateSlot => ("SELECT teacher_id FROM slot_index WHERE slot_id = $1", &[UUID]),
            Stmt::LoadRequest => ("SELECT body FROM requests WHERE actor = $1 AND key = $2", &[Type::TEXT, Type::TEXT]),
            Stmt::ApprovalSettings => (
                "SELECT (SELECT requires_approval FROM course_approval WHERE course_id = $1), \
                        (SELECT requires_approval FROM teacher_approval WHERE teacher_id = $2 AND course_id = $1)",
                &[UUID, UUID],
            ),
            Stmt::IsEnrolled => {
                ("SELECT EXISTS (SELECT 1 FROM enrollments WHERE student_id = $1 AND course_id = $2)", &[UUID, UUID])
            }
            Stmt::Commit => ("SELECT booking_commit($1)", &[Type::JSONB]),
            Stmt::CommitAll => ("SELECT booking_commit_all($1)", &[Type::JSONB]),
            Stmt::SetCourseApproval => (
                "INSERT INTO course_approval (course_id, requires_approval) VALUES ($1, $2) \
                 ON CONFLICT (course_id) DO UPDATE SET requires_approval = excluded.requires_approval",
                &[UUID, Type::BOOL],
            ),
            Stmt::ClearCourseApproval => ("DELETE FROM course_approval WHERE course_id = $1", &[UUID]),
            Stmt::SetTeacherApproval => (
                "INSERT INTO teacher_approval (teacher_id, course_id, requires_approval) VALUES ($1, $2, $3) \
                 ON CONFLICT (teacher_id, course_id) DO UPDATE SET requires_approval = excluded.requires_approval",
                &[UUID, UUID, Type::BOOL],
            ),
            Stmt::ClearTeacherApproval => {
                ("DELETE FROM teacher_approval WHERE teacher_id = $1 AND course_id = $2", &[UUID, UUID])
            }
            Stmt::Enroll => (
                "INSERT INTO enrollments (student_id, course_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[UUID, UUID],
            ),
            Stmt::Unenroll => ("DELETE FROM enrollments WHERE student_id = $1 AND course_id = $2", &[UUID, UUID]),
            Stmt::SessionEvents => {
                ("SELECT id, session_version, body FROM events WHERE session_id = $1 ORDER BY id", &[UUID])
            }
            Stmt::OffersDue => {
                ("SELECT id FROM sessions WHERE offer_deadline <= $1 ORDER BY offer_deadline, id", &[Type::TIMESTAMPTZ])
            }
            Stmt::LoadFinishedBooking => ("SELECT body FROM finished_bookings WHERE booking_id = $1", &[UUID]),
            Stmt::PruneRequests => ("DELETE FROM requests WHERE recorded_at < $1", &[Type::TIMESTAMPTZ]),
            Stmt::PruneEvents => ("DELETE FROM events WHERE occurred_at < $1", &[Type::TIMESTAMPTZ]),
            // $1 index, $2 partition, $3 after, $4 before (exclusive), $5 limit.
            Stmt::ReadIndex => (READ_INDEX_QUERY, &[Type::TEXT, Type::TEXT, Type::TEXT, Type::TEXT, Type::INT8]),
            Stmt::ReadOutbox => {
                ("SELECT event_position, event_body FROM booking_read_outbox($1, $2)", &[Type::INT8, Type::INT8])
            }
            Stmt::AcknowledgeOutbox => ("DELETE FROM events WHERE position <= $1", &[Type::INT8]),
        }
    }
}

/// One pooled connection and its prepared statements.
pub(crate) struct Conn {
    client: Client,
    statements: [Option<Statement>; Stmt::COUNT],
    /// Set when an error left the connection unusable; the pool then discards it.
    broken: bool,
    /// Set when the connection went silent until a timeout ended it (rather than being closed
    /// by the other side): a read is then not sent again, since the network is likely still down.
    timed_out: bool,
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn").field("broken", &self.broken).finish_non_exhaustive()
    }
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl Conn {
    pub(crate) fn new(client: Client) -> Self {
        Self { client, statements: Default::default(), broken: false, timed_out: false }
    }

    /// Whether an error showed this connection is unusable.
    pub(crate) fn is_broken(&self) -> bool {
        self.broken || self.client.is_closed()
    }

    /// Whether the connection ended in a timeout (a silent network or server).
    pub(crate) fn timed_out(&self) -> bool {
        self.timed_out
    }

    /// Marks the connection unusable: the pool discards it.
    pub(crate) fn mark_broken(&mut self) {
        self.broken = true;
    }

    /// The raw client, for the migration and tests.
    pub(crate) fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    fn statement(&mut self, stmt: Stmt) -> Result<Statement, postgres::Error> {
        let slot = &mut self.statements[stmt as usize];
        if let Some(s) = slot {
            return Ok(s.clone());
        }
        let (sql, types) = stmt.sql();
        let prepared = self.client.prepare_typed(sql, types)?;
        *slot = Some(prepared.clone());
        Ok(prepared)
    }

    fn fail(&mut self, e: postgres::Error) -> StoreError {
        if breaks_connection(&e) {
            self.broken = true;
        }
        if io_error(&e).is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut) {
            self.timed_out = true;
        }
        store_error(&e)
    }

    /// Runs a statement returning at most one row.
    pub(crate) fn query_opt(&mut self, stmt: Stmt, params: Params<'_>) -> Result<Option<Row>, StoreError> {
        let result = self.statement(stmt).and_then(|s| self.client.query_opt(&s, params));
        result.map_err(|e| self.fail(e))
    }

    /// Runs a statement returning any number of rows.
    pub(crate) fn query(&mut self, stmt: Stmt, params: Params<'_>) -> Result<Vec<Row>, StoreError> {
        let result = self.statement(stmt).and_then(|s| self.client.query(&s, params));
        result.map_err(|e| self.fail(e))
    }

    /// Runs a statement returning exactly one row.
    pub(crate) fn query_one(&mut self, stmt: Stmt, params: Params<'_>) -> Result<Row, StoreError> {
        let result = self.statement(stmt).and_then(|s| self.client.query_one(&s, params));
        result.map_err(|e| self.fail(e))
    }

    /// Runs a statement for its effect.
    pub(crate) fn execute(&mut self, stmt: Stmt, params: Params<'_>) -> Result<u64, StoreError> {
        let result = self.statement(stmt).and_then(|s| self.client.execute(&s, params));
        result.map_err(|e| self.fail(e))
    }
}

/// The query [`Repository::read_index`](booking_core::Repository::read_index) runs: one range of
/// one read index (`$1` the index's name, `$2` the partition, `$3` and `$4` the exclusive bounds
/// of `sort`, `$5` the limit), in `sort` order, each entry with its aggregate's `version` and
/// `body` as stored now (`NULL` for an entry whose aggregate is gone). It is a range scan of
/// `read_index`'s primary key `(index, partition, sort)` (columns `COLLATE "C"`, so the
/// parameters compare byte-wise too), joined to `sessions` and `lessons` by primary key; public
/// so that a host can `EXPLAIN` it on its own data.
pub const READ_INDEX_QUERY: &str = "\
SELECT r.sort, r.kind, r.aggregate_id, coalesce(s.version, l.version), coalesce(s.body, l.body)
FROM read_index AS r
LEFT JOIN sessions AS s ON r.kind = 'session' AND s.id = r.aggregate_id
LEFT JOIN lessons AS l ON r.kind = 'lesson' AND l.id = r.aggregate_id
WHERE r.index = $1 AND r.partition = $2 AND r.sort > $3 AND r.sort < $4
ORDER BY r.sort
LIMIT $5";

/// SQLSTATE `booking_commit` raises when an aggregate is not at the expected version.
pub const SQLSTATE_CONFLICT: &str = "BKC01";
/// SQLSTATE `booking_commit` raises when the request key is already recorded.
pub const SQLSTATE_DUPLICATE_REQUEST: &str = "BKD01";

/// Maps a driver error onto the store contract's errors.
pub(crate) fn store_error(e: &postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        match db.code().code() {
            SQLSTATE_CONFLICT => return StoreError::Conflict(db.message().to_owned()),
            SQLSTATE_DUPLICATE_REQUEST => return StoreError::DuplicateRequest,
            // Whole-transaction rollbacks that a fresh decision resolves: serialization
            // failures (a serializable or distributed database) and deadlocks.
            code @ ("40001" | "40P01") => return StoreError::Conflict(format!("{code}: {}", db.message())),
            _ => {}
        }
    }
    if is_unavailable(e) {
        return StoreError::Unavailable(describe(e));
    }
    StoreError::Backend(describe(e))
}

/// SQLSTATEs that mean "the server cannot serve this now; later it can": class 08 (connection
/// exception), `57014` (query canceled: the statement timeout, or a cancel), `57P01`..`57P03`
/// (the server is shutting down, crashed, or not yet accepting connections), `53300` (too many
/// connections), `25P03` (a transaction idled past the idle-in-transaction timeout and was
/// ended) and `55P03` (a lock not available in time).
fn sqlstate_unavailable(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57014" | "57P01" | "57P02" | "57P03" | "53300" | "25P03" | "55P03")
}

/// The I/O error behind `e`, if it has one.
pub(crate) fn io_error(e: &postgres::Error) -> Option<&std::io::Error> {
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = cause.source();
    }
    None
}

/// Whether `e` says the server could not be reached or answered in time, or went away, so
/// that the same call may work later: the connection is closed, a network error (timed out,
/// refused, reset, unreachable, ...), or one of the SQLSTATEs of [`sqlstate_unavailable`]. Not
/// an error the server answered about the statement itself, nor a TLS certificate or
/// authentication failure.
pub(crate) fn is_unavailable(e: &postgres::Error) -> bool {
    use std::io::ErrorKind as K;
    if let Some(db) = e.as_db_error() {
        return sqlstate_unavailable(db.code().code());
    }
    if e.is_closed() {
        return true;
    }
    io_error(e).is_some_and(|io| {
        matches!(
            io.kind(),
            K::TimedOut
                | K::ConnectionRefused
                | K::ConnectionReset
                | K::ConnectionAborted
                | K::NotConnected
                | K::BrokenPipe
                | K::UnexpectedEof
                | K::HostUnreachable
                | K::NetworkUnreachable
                | K::NetworkDown
                | K::AddrNotAvailable
                | K::Interrupted
        )
    })
}

/// The error with its causes, on one line.
pub(crate) fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Whether the connection that produced `e` must not be used again: it is closed, the error
/// did not come from the server (I/O, protocol), or the server ended the session (class 08
/// connection exception, class 57 operator intervention such as `pg_terminate_backend`, or
/// a FATAL error).
pub(crate) fn breaks_connection(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.as_db_error() {
        None => true,
        Some(db) => {
            let code = db.code().code();
            code.starts_with("08") || code.starts_with("57") || matches!(db.severity(), "FATAL" | "PANIC")
        }
    }
}

/// How a new connection is opened (plain or TLS); chosen once when the store is opened.
pub(crate) type Connector = Box<dyn Fn(&postgres::Config) -> Result<Client, postgres::Error> + Send + Sync>;

/// The r2d2 connection manager: opens connections with the store's settings, and tells
/// the pool to discard a connection once an error showed it broken.
pub(crate) struct Manager {
    pub(crate) config: postgres::Config,
    pub(crate) connector: Connector,
    /// `SET` statements run on every new pooled connection (the server-side timeouts), or
    /// empty.
    pub(crate) session_setup: String,
}

impl fmt::Debug for Manager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Manager").finish_non_exhaustive()
    }
}

impl Manager {
    /// A connection with the store's socket settings but without the session's `SET`s (for the
    /// migration, which must not run into the statement timeout).
    pub(crate) fn open_bare(&self) -> Result<Conn, postgres::Error> {
        (self.connector)(&self.config).map(Conn::new)
    }

    /// A connection for the pool.
    pub(crate) fn open(&self) -> Result<Conn, postgres::Error> {
        let mut conn = self.open_bare()?;
        if !self.session_setup.is_empty() {
            conn.client.batch_execute(&self.session_setup)?;
        }
        Ok(conn)
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Conn, postgres::Error> {
        self.open()
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.is_broken()
    }
}
