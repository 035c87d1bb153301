//! The stores an [`Engine`](crate::engine::PyEngine) can run on: the core's in-memory store,
//! SQLite, PostgreSQL, and any Python object implementing the `booking.DocumentStore`
//! protocol (through the core's [`DocumentRepository`], so a Python store runs exactly the
//! engine code every other store runs).

use crate::convert::{Id, int_in, opt_flag, opt_text, text, uuid_of};
use crate::errors::{Error, Result, callback, guarded, invalid};
use crate::objects::PyEvent;
use booking_core::{
    BookingId, CourseId, InMemoryRepository, Repository, SessionId, SlotId, UserId,
    document::{Document, DocumentCommit, DocumentHit, DocumentRepository, DocumentStore},
    lesson::ApprovalSettings,
    repository::{AggregateKey, BookingLocation, StoreError},
};
use booking_postgres::PgRepository;
use booking_sqlite::SqliteRepository;
use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use std::sync::Arc;

/// Host data (enrollments, approval settings) kept by a Rust store.
trait HostData: Send + Sync {
    fn enroll(&self, student: UserId, course: CourseId) -> Result<()>;
    fn unenroll(&self, student: UserId, course: CourseId) -> Result<()>;
    fn set_course_approval(&self, course: CourseId, value: Option<bool>) -> Result<()>;
    fn set_teacher_approval(&self, teacher: UserId, course: CourseId, value: Option<bool>) -> Result<()>;
}

impl HostData for InMemoryRepository {
    fn enroll(&self, student: UserId, course: CourseId) -> Result<()> {
        InMemoryRepository::enroll(self, student, course);
        Ok(())
    }
    fn unenroll(&self, student: UserId, course: CourseId) -> Result<()> {
        InMemoryRepository::unenroll(self, student, course);
        Ok(())
    }
    fn set_course_approval(&self, course: CourseId, value: Option<bool>) -> Result<()> {
        InMemoryRepository::set_course_approval(self, course, value);
        Ok(())
    }
    fn set_teacher_approval(&self, teacher: UserId, course: CourseId, value: Option<bool>) -> Result<()> {
        InMemoryRepository::set_teacher_approval(self, teacher, course, value);
        Ok(())
    }
}

impl HostData for SqliteRepository {
    fn enroll(&self, student: UserId, course: CourseId) -> Result<()> {
        Ok(SqliteRepository::enroll(self, student, course)?)
    }
    fn unenroll(&self, student: UserId, course: CourseId) -> Result<()> {
        Ok(SqliteRepository::unenroll(self, student, course)?)
    }
    fn set_course_approval(&self, course: CourseId, value: Option<bool>) -> Result<()> {
        Ok(SqliteRepository::set_course_approval(self, course, value)?)
    }
    fn set_teacher_approval(&self, teacher: UserId, course: CourseId, value: Option<bool>) -> Result<()> {
        Ok(SqliteRepository::set_teacher_approval(self, teacher, course, value)?)
    }
}

impl HostData for PgRepository {
    fn enroll(&self, student: UserId, course: CourseId) -> Result<()> {
        Ok(PgRepository::enroll(self, student, course)?)
    }
    fn unenroll(&self, student: UserId, course: CourseId) -> Result<()> {
        Ok(PgRepository::unenroll(self, student, course)?)
    }
    fn set_course_approval(&self, course: CourseId, value: Option<bool>) -> Result<()> {
        Ok(PgRepository::set_course_approval(self, course, value)?)
    }
    fn set_teacher_approval(&self, teacher: UserId, course: CourseId, value: Option<bool>) -> Result<()> {
        Ok(PgRepository::set_teacher_approval(self, teacher, course, value)?)
    }
}

/// The shared part of the Rust store classes: the store as the engine sees it, and as the
/// host data setters see it.
struct RustStore {
    repository: Arc<dyn Repository>,
    host: Arc<dyn HostData>,
}

impl RustStore {
    fn new<R: Repository + HostData + 'static>(store: R) -> Self {
        Self::shared(Arc::new(store))
    }

    fn shared<R: Repository + HostData + 'static>(store: Arc<R>) -> Self {
        Self { repository: store.clone(), host: store }
    }

    fn host<T: Send>(&self, py: Python<'_>, f: impl FnOnce(&dyn HostData) -> Result<T> + Send) -> Result<T> {
        let host = Arc::clone(&self.host);
        guarded(py, move || f(&*host))
    }
}

macro_rules! host_methods {
    ($class:ident { $($extra:tt)* }) => {
        #[pymethods]
        impl $class {
            $($extra)*

            /// Host data: enrolls a student in a course (enrolling twice is fine).
            fn enroll(&self, py: Python<'_>, student_id: &Bound<'_, PyAny>, course_id: &Bound<'_, PyAny>) -> Result<()> {
                let (s, c) = (UserId(uuid_of("student_id", student_id)?), CourseId(uuid_of("course_id", course_id)?));
                self.0.host(py, move |h| h.enroll(s, c))
            }
            /// Host data: removes a student from a course.
            fn unenroll(&self, py: Python<'_>, student_id: &Bound<'_, PyAny>, course_id: &Bound<'_, PyAny>) -> Result<()> {
                let (s, c) = (UserId(uuid_of("student_id", student_id)?), CourseId(uuid_of("course_id", course_id)?));
                self.0.host(py, move |h| h.unenroll(s, c))
            }
            /// Host data: the course's own approval setting (`None` removes it).
            fn set_course_approval(
                &self,
                py: Python<'_>,
                course_id: &Bound<'_, PyAny>,
                requires_approval: &Bound<'_, PyAny>,
            ) -> Result<()> {
                let c = CourseId(uuid_of("course_id", course_id)?);
                let requires_approval = opt_flag("requires_approval", requires_approval)?;
                self.0.host(py, move |h| h.set_course_approval(c, requires_approval))
            }
            /// Host data: a teacher's approval override for a course (`None` removes it).
            fn set_teacher_approval(
                &self,
                py: Python<'_>,
                teacher_id: &Bound<'_, PyAny>,
                course_id: &Bound<'_, PyAny>,
                requires_approval: &Bound<'_, PyAny>,
            ) -> Result<()> {
                let t = UserId(uuid_of("teacher_id", teacher_id)?);
                let c = CourseId(uuid_of("course_id", course_id)?);
                let requires_approval = opt_flag("requires_approval", requires_approval)?;
                self.0.host(py, move |h| h.set_teacher_approval(t, c, requires_approval))
            }
        }
    };
}

/// The core's thread-safe in-memory store (nothing persists).
#[pyclass(frozen, module = "booking_engine._booking", name = "InMemoryStore")]
pub(crate) struct PyInMemoryStore(RustStore);

host_methods!(PyInMemoryStore {
    #[new]
    fn new() -> Self {
        Self(RustStore::new(InMemoryRepository::new()))
    }
    fn __repr__(&self) -> &'static str {
        "InMemoryStore()"
    }
});

/// The SQLite store (WAL; created and migrated on open). Share one per file and process.
#[pyclass(frozen, module = "booking_engine._booking", name = "SqliteStore")]
pub(crate) struct PySqliteStore(RustStore, String, Arc<SqliteRepository>);

host_methods!(PySqliteStore {
    /// Retention of the outbox: deletes the events that occurred before `occurred_before` (an
    /// aware datetime); returns how many. An operator's action.
    fn prune_events(&self, py: Python<'_>, occurred_before: &Bound<'_, PyAny>) -> Result<u64> {
        let before = crate::convert::instant("occurred_before", occurred_before)?;
        let store = Arc::clone(&self.2);
        guarded(py, move || Ok(store.prune_events(before)? as u64))
    }
    #[new]
    fn new(py: Python<'_>, path: &Bound<'_, PyAny>) -> Result<Self> {
        let path = crate::convert::path("path", path)?;
        let shown = path.display().to_string();
        let store = Arc::new(guarded(py, move || Ok(SqliteRepository::open(&path)?))?);
        Ok(Self(RustStore::shared(Arc::clone(&store)), shown, store))
    }
    /// The database file.
    #[getter]
    fn path(&self) -> &str {
        &self.1
    }
    fn __repr__(&self) -> String {
        format!("SqliteStore({:?})", self.1)
    }
});

/// The PostgreSQL store: a connection string (`postgres://user@host:port/db`, or libpq's
/// key-value form), an optional schema for its tables, and a pool size. TLS follows the
/// string's libpq parameters `sslmode` and `sslrootcert` (see [`pg_tls`](crate::pg_tls)).
#[pyclass(frozen, module = "booking_engine._booking", name = "PostgresStore")]
pub(crate) struct PyPostgresStore(RustStore, Option<String>, PgRepository);

/// The most connections a pool may open: PostgreSQL's own ceiling on connections to a server
/// (its `max_connections` setting is at most 262,143). A larger pool could never be filled,
/// and the pool library sizes buffers by it (`2**32 - 1` would abort the process).
const MAX_POOL_CONNECTIONS: u32 = (1 << 18) - 1;

host_methods!(PyPostgresStore {
    /// Retention of the outbox: deletes the events that occurred before `occurred_before` (an
    /// aware datetime); returns how many. An operator's action.
    fn prune_events(&self, py: Python<'_>, occurred_before: &Bound<'_, PyAny>) -> Result<u64> {
        let before = crate::convert::instant("occurred_before", occurred_before)?;
        let store = self.2.clone();
        guarded(py, move || Ok(store.prune_events(before)?))
    }
    #[new]
    #[pyo3(signature = (url, *, schema = None, max_connections = None))]
    fn new(
        py: Python<'_>,
        url: &Bound<'_, PyAny>,
        schema: Option<&Bound<'_, PyAny>>,
        max_connections: Option<&Bound<'_, PyAny>>,
    ) -> Result<Self> {
        let url = text("url", url)?;
        if url.contains('\0') {
            return Err(invalid("url", "holds a NUL character, which no connection parameter can"));
        }
        let schema = opt_text("schema", schema)?;
        let max_connections = match max_connections.filter(|n| !n.is_none()) {
            None => None,
            Some(n) => Some(int_in("max_connections", n, 0..=MAX_POOL_CONNECTIONS, " (0 counts as 1)")?),
        };
        let shown = schema.clone();
        let store = guarded(py, move || {
            let (mut options, tls) = crate::pg_tls::options(&url)?;
            if let Some(schema) = schema {
                options = options.schema(schema);
            }
            if let Some(n) = max_connections {
                options = options.max_connections(n);
            }
            options.open().map_err(|e| match e {
                // The connection string was read above: what `open` refuses is the schema name.
                booking_postgres::OpenError::Config(m) => invalid("schema", m),
                // A failed handshake says what the certificate had to satisfy.
                booking_postgres::OpenError::Connect(m) if m.contains("TLS") && tls.is_some() => {
                    let how = tls.as_deref().unwrap_or_default();
                    Error::from(StoreError::Backend(format!("cannot connect to PostgreSQL over TLS: {m} ({how})")))
                }
                booking_postgres::OpenError::Unavailable(m) => Error::from(StoreError::Unavailable(m)),
                other => Error::from(StoreError::Backend(other.to_string())),
            })
        })?;
        Ok(Self(RustStore::new(store.clone()), shown, store))
    }
    /// The schema holding the tables, if one was given.
    #[getter]
    fn schema(&self) -> Option<&str> {
        self.1.as_deref()
    }
    fn __repr__(&self) -> String {
        match &self.1 {
            Some(s) => format!("PostgresStore(schema={s:?})"),
            None => "PostgresStore()".to_owned(),
        }
    }
});

/// A store written in Python, seen by the core as a [`DocumentStore`]. Every call takes the
/// GIL (the engine runs without it), and any exception is classified by
/// [`callback`](crate::errors::callback).
pub(crate) struct PyDocumentStore(Py<PyAny>);

fn location(py: Python<'_>, value: Bound<'_, PyAny>) -> PyResult<Option<BookingLocation>> {
    if value.is_none() {
        return Ok(None);
    }
    let (kind, session): (String, Option<Bound<'_, PyAny>>) = value.extract()?;
    match (kind.as_str(), session) {
        ("lesson", _) => Ok(Some(BookingLocation::Lesson)),
        ("session", Some(id)) if !id.is_none() => {
            Ok(Some(BookingLocation::Session(SessionId(uuid_of("session_id", &id).map_err(PyErr::from)?))))
        }
        _ => Err(pyo3::exceptions::PyValueError::new_err(format!(
            "locate_booking must return None, ('session', UUID) or ('lesson', None), not {}",
            value_repr(py, &kind)
        ))),
    }
}

fn value_repr(_py: Python<'_>, kind: &str) -> String {
    format!("({kind:?}, ...)")
}

impl DocumentStore for PyDocumentStore {
    fn load(&self, key: AggregateKey) -> std::result::Result<Option<Document>, StoreError> {
        callback(|py| {
            let found = self.0.bind(py).call_method1(pyo3::intern!(py, "load"), (key.kind(), Id(key.uuid())))?;
            let found: Option<(u64, String)> = found.extract()?;
            Ok(found.map(|(version, body)| Document { version, body }))
        })
    }

    fn locate_booking(&self, id: BookingId) -> std::result::Result<Option<BookingLocation>, StoreError> {
        callback(|py| {
            location(py, self.0.bind(py).call_method1(pyo3::intern!(py, "locate_booking"), (Id(id.as_uuid()),))?)
        })
    }

    fn locate_slot(&self, id: SlotId) -> std::result::Result<Option<UserId>, StoreError> {
        callback(|py| {
            let found = self.0.bind(py).call_method1(pyo3::intern!(py, "locate_slot"), (Id(id.as_uuid()),))?;
            if found.is_none() {
                return Ok(None);
            }
            Ok(Some(UserId(uuid_of("teacher_id", &found).map_err(PyErr::from)?)))
        })
    }

    fn load_request(&self, scope: &str, key: &str) -> std::result::Result<Option<String>, StoreError> {
        callback(|py| self.0.bind(py).call_method1(pyo3::intern!(py, "load_request"), (scope, key))?.extract())
    }

    fn commit(&self, commit: DocumentCommit) -> std::result::Result<(), StoreError> {
        callback(|py| {
            let commit = Bound::new(py, PyDocumentCommit(commit))?;
            self.0.bind(py).call_method1(pyo3::intern!(py, "commit"), (commit,))?;
            Ok(())
        })
    }

    fn approval_settings(
        &self,
        course_id: CourseId,
        teacher_id: UserId,
    ) -> std::result::Result<ApprovalSettings, StoreError> {
        callback(|py| {
            let found = self.0.bind(py).call_method1(
                pyo3::intern!(py, "approval_settings"),
                (Id(course_id.as_uuid()), Id(teacher_id.as_uuid())),
            )?;
            let (course, teacher_override): (Option<bool>, Option<bool>) = found.extract()?;
            Ok(ApprovalSettings { course, teacher_override })
        })
    }

    fn is_enrolled(&self, student_id: UserId, course_id: CourseId) -> std::result::Result<bool, StoreError> {
        callback(|py| {
            self.0
                .bind(py)
                .call_method1(pyo3::intern!(py, "is_enrolled"), (Id(student_id.as_uuid()), Id(course_id.as_uuid())))?
                .is_truthy()
        })
    }

    fn load_finished_booking(&self, id: BookingId) -> std::result::Result<Option<String>, StoreError> {
        callback(|py| {
            self.0.bind(py).call_method1(pyo3::intern!(py, "load_finished_booking"), (Id(id.as_uuid()),))?.extract()
        })
    }

    fn prune_requests(&self, recorded_before: DateTime<Utc>) -> std::result::Result<u64, StoreError> {
        callback(|py| self.0.bind(py).call_method1(pyo3::intern!(py, "prune_requests"), (recorded_before,))?.extract())
    }

    fn sessions_with_offers_due(&self, until: DateTime<Utc>) -> std::result::Result<Vec<SessionId>, StoreError> {
        callback(|py| {
            let found = self.0.bind(py).call_method1(pyo3::intern!(py, "sessions_with_offers_due"), (until,))?;
            found
                .try_iter()?
                .map(|id| Ok(SessionId(uuid_of("session_id", &id?).map_err(PyErr::from)?)))
                .collect::<PyResult<Vec<_>>>()
        })
    }

    fn read_index(
        &self,
        index: &str,
        partition: &str,
        after: &str,
        before: &str,
        limit: u32,
    ) -> std::result::Result<Vec<DocumentHit>, StoreError> {
        callback(|py| {
            let found = self
                .0
                .bind(py)
                .call_method1(pyo3::intern!(py, "read_index"), (index, partition, after, before, limit))?;
            found.try_iter()?.map(|hit| document_hit(&hit?)).collect::<PyResult<Vec<_>>>()
        })
    }

    fn read_outbox(&self, after: u64, limit: u32) -> std::result::Result<Vec<(u64, String)>, StoreError> {
        callback(|py| {
            let found = self.0.bind(py).call_method1(pyo3::intern!(py, "read_outbox"), (after, limit))?;
            found.try_iter()?.map(|entry| entry?.extract::<(u64, String)>()).collect::<PyResult<Vec<_>>>()
        })
    }

    fn acknowledge_outbox(&self, up_to: u64) -> std::result::Result<u64, StoreError> {
        callback(|py| self.0.bind(py).call_method1(pyo3::intern!(py, "acknowledge_outbox"), (up_to,))?.extract())
    }
}

/// One answer of a Python store's `read_index`: `(sort, kind, id, version, body)`.
fn document_hit(hit: &Bound<'_, PyAny>) -> PyResult<DocumentHit> {
    let (sort, kind, id, version, body): (String, String, Bound<'_, PyAny>, u64, String) = hit.extract()?;
    let uuid = uuid_of("id", &id).map_err(PyErr::from)?;
    let key = match kind.as_str() {
        "session" => AggregateKey::Session(SessionId(uuid)),
        "lesson" => AggregateKey::Lesson(BookingId(uuid)),
        _ => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "read_index must list (sort, \"session\" or \"lesson\", id, version, body), not a {kind:?}"
            )));
        }
    };
    Ok(DocumentHit { sort, key, document: Document { version, body } })
}

const PROTOCOL: &[&str] = &[
    "load",
    "locate_booking",
    "locate_slot",
    "load_request",
    "commit",
    "approval_settings",
    "is_enrolled",
    "sessions_with_offers_due",
    "load_finished_booking",
    "prune_requests",
    "read_index",
    "read_outbox",
    "acknowledge_outbox",
];

/// The repository behind a store argument: one of the Rust store classes, or a Python object
/// with the `DocumentStore` methods.
pub(crate) fn repository(store: &Bound<'_, PyAny>) -> PyResult<Arc<dyn Repository>> {
    if let Some(native) = native(store) {
        return Ok(native);
    }
    let missing: Vec<&str> = PROTOCOL.iter().copied().filter(|m| !store.hasattr(*m).unwrap_or(false)).collect();
    if !missing.is_empty() {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "expected InMemoryStore, SqliteStore, PostgresStore or a booking.DocumentStore; {} has no {}",
            store.get_type().name()?,
            missing.join(", ")
        )));
    }
    Ok(Arc::new(DocumentRepository::new(PyDocumentStore(store.clone().unbind()))))
}

/// The Rust store behind `store`, if it is one of the stores this module defines (not a
/// `DocumentStore` written in Python).
fn native(store: &Bound<'_, PyAny>) -> Option<Arc<dyn Repository>> {
    if let Ok(s) = store.cast::<PyInMemoryStore>() {
        return Some(Arc::clone(&s.get().0.repository));
    }
    if let Ok(s) = store.cast::<PySqliteStore>() {
        return Some(Arc::clone(&s.get().0.repository));
    }
    if let Ok(s) = store.cast::<PyPostgresStore>() {
        return Some(Arc::clone(&s.get().0.repository));
    }
    None
}

/// Whether `store` is a `DocumentStore` written in Python: its methods are Python callbacks,
/// whose exceptions [`crate::errors::guarded`] attaches to the error of the call on the same
/// thread.
pub(crate) fn is_python_store(store: &Bound<'_, PyAny>) -> bool {
    native(store).is_none()
}

/// One conditional write of a [`PyDocumentCommit`].
#[pyclass(frozen, module = "booking_engine._booking", name = "DocumentWrite")]
pub(crate) struct PyDocumentWrite {
    /// `"session"`, `"calendar"` or `"lesson"`.
    #[pyo3(get)]
    kind: &'static str,
    /// The aggregate's id (a calendar's is its owner's).
    #[pyo3(get)]
    id: Id,
    /// Apply only if the stored version is this one (`0`: only if nothing is stored).
    #[pyo3(get)]
    expected_version: u64,
    /// The document's version after the write.
    #[pyo3(get)]
    version: u64,
    /// The new state (JSON).
    #[pyo3(get)]
    body: String,
    /// For a session in offer mode: the earliest deadline of its outstanding seat offers
    /// (`None` when it has none, and for calendars and lessons). Keep it with the document,
    /// replacing the previous one, and answer `sessions_with_offers_due` from it.
    #[pyo3(get)]
    offer_deadline: Option<DateTime<Utc>>,
    /// The aggregate's read-index entries, `(index, partition, sort)` each: replace every
    /// entry kept for this aggregate with these, in the same transaction, and answer
    /// `read_index` from them.
    #[pyo3(get)]
    read_entries: Vec<(&'static str, String, String)>,
}

#[pymethods]
impl PyDocumentWrite {
    fn __repr__(&self) -> String {
        let deadline = self.offer_deadline.map(|d| format!(", offer_deadline={}", d.to_rfc3339())).unwrap_or_default();
        format!(
            "DocumentWrite(kind={:?}, id=UUID('{}'), expected_version={}, version={}{deadline})",
            self.kind, self.id.0, self.expected_version, self.version
        )
    }
}

/// The request record a commit stores under `(scope, key)`.
#[pyclass(frozen, module = "booking_engine._booking", name = "DocumentRequest")]
pub(crate) struct PyDocumentRequest {
    /// The actor's scope (`"student:<uuid>"`, `"system"`, ...).
    #[pyo3(get)]
    scope: String,
    /// The client's key.
    #[pyo3(get)]
    key: String,
    /// The record (JSON).
    #[pyo3(get)]
    body: String,
    /// When the command was decided: keep it beside the body, for `prune_requests`.
    #[pyo3(get)]
    recorded_at: DateTime<Utc>,
}

#[pymethods]
impl PyDocumentRequest {
    fn __repr__(&self) -> String {
        format!("DocumentRequest(scope={:?}, key={:?})", self.scope, self.key)
    }
}

/// Everything one command changes, for `DocumentStore.commit`: apply all of it or none.
#[pyclass(frozen, module = "booking_engine._booking", name = "DocumentCommit")]
pub(crate) struct PyDocumentCommit(DocumentCommit);

#[pymethods]
impl PyDocumentCommit {
    /// The conditional writes.
    #[getter]
    fn writes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for w in &self.0.writes {
            list.append(PyDocumentWrite {
                kind: w.key.kind(),
                id: Id(w.key.uuid()),
                expected_version: w.expected_version,
                version: w.version,
                body: w.body.clone(),
                offer_deadline: w.offer_deadline,
                read_entries: w
                    .read_entries
                    .iter()
                    .map(|e| (e.index.as_str(), e.partition.clone(), e.sort.clone()))
                    .collect(),
            })?;
        }
        Ok(list)
    }
    /// New bookings to index: `(booking_id, "session", session_id)` or `(booking_id, "lesson", None)`.
    #[getter]
    fn new_bookings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for (id, location) in &self.0.new_bookings {
            let item = match location {
                BookingLocation::Session(s) => PyTuple::new(
                    py,
                    [
                        Id(id.as_uuid()).into_pyobject(py)?,
                        "session".into_pyobject(py)?.into_any(),
                        Id(s.as_uuid()).into_pyobject(py)?,
                    ],
                )?,
                BookingLocation::Lesson => PyTuple::new(
                    py,
                    [
                        Id(id.as_uuid()).into_pyobject(py)?,
                        "lesson".into_pyobject(py)?.into_any(),
                        py.None().into_bound(py),
                    ],
                )?,
            };
            list.append(item)?;
        }
        Ok(list)
    }
    /// New slots to index: `(slot_id, teacher_id)`.
    #[getter]
    fn new_slots(&self) -> Vec<(Id, Id)> {
        self.0.new_slots.iter().map(|(s, t)| (Id(s.as_uuid()), Id(t.as_uuid()))).collect()
    }
    /// The request record to store, if the command carried a key.
    #[getter]
    fn request(&self) -> Option<PyDocumentRequest> {
        self.0.request.as_ref().map(|r| PyDocumentRequest {
            scope: r.scope.clone(),
            key: r.key.clone(),
            body: r.body.clone(),
            recorded_at: r.recorded_at,
        })
    }
    /// Seat bookings this commit finished, moved out of the session it writes:
    /// `(booking_id, body)`. Keep each in the booking history (replacing a body kept under the
    /// same id) and return it from `load_finished_booking`.
    #[getter]
    fn finished_bookings(&self) -> Vec<(Id, String)> {
        self.0.finished_bookings.iter().map(|(id, body)| (Id(id.as_uuid()), body.clone())).collect()
    }
    /// The command's events, as `Event` objects (for projections).
    #[getter]
    fn events(&self) -> Vec<PyEvent> {
        self.0.events.iter().cloned().map(PyEvent).collect()
    }
    /// The command's events as JSON, in order: append each to the outbox at the next
    /// position, in the same transaction, so that positions grow in commit order (1, 2, ...;
    /// never reused), for `read_outbox`.
    #[getter]
    fn outbox(&self) -> Vec<String> {
        self.0.outbox.clone()
    }
    fn __repr__(&self) -> String {
        format!(
            "DocumentCommit(writes={}, new_bookings={}, new_slots={}, request={}, events={}, finished_bookings={}, \
             outbox={})",
            self.0.writes.len(),
            self.0.new_bookings.len(),
            self.0.new_slots.len(),
            self.0.request.is_some(),
            self.0.events.len(),
            self.0.finished_bookings.len(),
            self.0.outbox.len()
        )
    }
}
