//! Python values in: ids, instants, zones, enums, actors. Every input conversion lives here.

use crate::errors::{Result, invalid};
use booking_core::Actor;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDateTime, PyString, PyType, PyTzInfo, PyTzInfoAccess};
use uuid::Uuid;

/// A UUID given as `uuid.UUID` (or its string form).
pub(crate) fn uuid_of(field: &str, value: &Bound<'_, PyAny>) -> Result<Uuid> {
    if let Ok(s) = value.cast::<PyString>() {
        return Uuid::parse_str(&s.to_cow()?).map_err(|e| invalid(field, format!("not a UUID: {e}")));
    }
    value.extract::<Uuid>().map_err(|_| invalid(field, format!("expected a uuid.UUID, got {}", type_name(value))))
}

/// An optional UUID (`None` allowed).
pub(crate) fn opt_uuid(field: &str, value: Option<&Bound<'_, PyAny>>) -> Result<Option<Uuid>> {
    match value {
        Some(v) if !v.is_none() => uuid_of(field, v).map(Some),
        _ => Ok(None),
    }
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".to_owned())
}

static UTC: PyOnceLock<Py<PyTzInfo>> = PyOnceLock::new();

/// An instant from a timezone-aware `datetime` (any tzinfo: `ZoneInfo`, `timezone.utc`, ...).
/// A naive datetime is refused: it names no instant.
pub(crate) fn instant(field: &str, value: &Bound<'_, PyAny>) -> Result<DateTime<Utc>> {
    let py = value.py();
    let Ok(dt) = value.cast::<PyDateTime>() else {
        return Err(invalid(field, format!("expected a timezone-aware datetime, got {}", type_name(value))));
    };
    if dt.call_method0(pyo3::intern!(py, "utcoffset"))?.is_none() {
        return Err(invalid(
            field,
            "naive datetime: pass a timezone-aware datetime (tzinfo=ZoneInfo(...) or timezone.utc)",
        ));
    }
    let utc = UTC.get_or_try_init(py, || PyTzInfo::utc(py).map(|u| u.to_owned().unbind()))?.bind(py);
    let in_utc = dt.call_method1(pyo3::intern!(py, "astimezone"), (utc,))?;
    Ok(in_utc.extract::<DateTime<Utc>>()?)
}

/// A wall time (a naive `datetime`), read in a slot's zone by the core.
pub(crate) fn wall_time(field: &str, value: &Bound<'_, PyAny>) -> Result<NaiveDateTime> {
    let Ok(dt) = value.cast::<PyDateTime>() else {
        return Err(invalid(field, format!("expected a naive datetime (wall time), got {}", type_name(value))));
    };
    if dt.get_tzinfo().is_some() {
        return Err(invalid(
            field,
            "a slot's times are wall times in the slot's zone: pass a naive datetime (no tzinfo)",
        ));
    }
    Ok(dt.extract::<NaiveDateTime>()?)
}

/// A `datetime.date`.
pub(crate) fn date(field: &str, value: &Bound<'_, PyAny>) -> Result<NaiveDate> {
    if value.is_instance_of::<PyDateTime>() {
        return Err(invalid(field, "expected a date, got a datetime"));
    }
    value
        .extract::<NaiveDate>()
        .map_err(|_| invalid(field, format!("expected a datetime.date, got {}", type_name(value))))
}

/// A `datetime.time` without tzinfo.
pub(crate) fn time(field: &str, value: &Bound<'_, PyAny>) -> Result<NaiveTime> {
    value
        .extract::<NaiveTime>()
        .map_err(|_| invalid(field, format!("expected a naive datetime.time, got {}", type_name(value))))
}

/// An IANA zone name, from a `zoneinfo.ZoneInfo` (its `key`) or a string. The core checks it.
pub(crate) fn zone_name(field: &str, value: &Bound<'_, PyAny>) -> Result<String> {
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    match value.getattr(pyo3::intern!(value.py(), "key")) {
        Ok(key) if !key.is_none() => Ok(key.extract::<String>()?),
        _ => {
            Err(invalid(field, format!("expected a zoneinfo.ZoneInfo or an IANA zone name, got {}", type_name(value))))
        }
    }
}

/// The `value` of a Python enum member, or a plain string.
pub(crate) fn enum_value(field: &str, value: &Bound<'_, PyAny>) -> Result<String> {
    let value = match value.getattr(pyo3::intern!(value.py(), "value")) {
        Ok(v) if !value.is_instance_of::<PyString>() => v,
        _ => value.clone(),
    };
    value
        .extract::<String>()
        .map_err(|_| invalid(field, format!("expected an enum member or a string, got {}", type_name(&value))))
}

/// Where the binding's Python enums live, cached per class.
pub(crate) struct EnumClass {
    name: &'static str,
    cell: PyOnceLock<Py<PyType>>,
}

impl EnumClass {
    pub(crate) const fn new(name: &'static str) -> Self {
        Self { name, cell: PyOnceLock::new() }
    }

    /// The member with this value (`SeatStatus("confirmed")`).
    pub(crate) fn member<'py>(&self, py: Python<'py>, value: impl IntoPyObject<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.cell.import(py, "booking._enums", self.name)?.call1((value,))
    }
}

pub(crate) static SEAT_STATUS: EnumClass = EnumClass::new("SeatStatus");
pub(crate) static LESSON_STATUS: EnumClass = EnumClass::new("LessonStatus");
pub(crate) static BOOKING_AVAILABILITY: EnumClass = EnumClass::new("BookingAvailability");
pub(crate) static EVENT_KIND: EnumClass = EnumClass::new("EventKind");
pub(crate) static WEEKDAY: EnumClass = EnumClass::new("Weekday");
pub(crate) static ROLE: EnumClass = EnumClass::new("Role");

/// Who sends a command: `Actor.teacher(id)`, `Actor.student(id)`, `Actor.admin(id)`,
/// `Actor.system()`.
#[pyclass(frozen, eq, hash, module = "booking._booking", name = "Actor")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct PyActor(pub(crate) Actor);

#[pymethods]
impl PyActor {
    /// A teacher acting on their own sessions and availability.
    #[staticmethod]
    fn teacher(id: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self(Actor::Teacher(uuid_of("id", id)?.into())))
    }

    /// A student acting for themselves.
    #[staticmethod]
    fn student(id: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self(Actor::Student(uuid_of("id", id)?.into())))
    }

    /// A platform administrator.
    #[staticmethod]
    fn admin(id: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self(Actor::Admin(uuid_of("id", id)?.into())))
    }

    /// The host platform itself (jobs, imports); trusted like an admin.
    #[staticmethod]
    fn system() -> Self {
        Self(Actor::System)
    }

    /// `Role.TEACHER`, `Role.STUDENT`, `Role.ADMIN` or `Role.SYSTEM`.
    #[getter]
    fn role<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        ROLE.member(py, role_name(&self.0))
    }

    /// The person behind the actor (`None` for the system).
    #[getter]
    fn id(&self) -> Option<Uuid> {
        self.0.user_id().map(|id| id.as_uuid())
    }

    fn __repr__(&self) -> String {
        match self.0.user_id() {
            Some(id) => format!("Actor.{}(UUID('{id}'))", role_name(&self.0)),
            None => "Actor.system()".to_owned(),
        }
    }
}

pub(crate) fn role_name(actor: &Actor) -> &'static str {
    match actor {
        Actor::Teacher(_) => "teacher",
        Actor::Student(_) => "student",
        Actor::Admin(_) => "admin",
        Actor::System => "system",
    }
}
