//! Python values in: ids, instants, zones, enums, actors. Every input conversion lives here.

use crate::errors::{Result, invalid};
use booking_core::Actor;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{IntoPyDict, PyDateTime, PyString, PyType, PyTzInfo, PyTzInfoAccess};
use uuid::Uuid;

/// `uuid.UUID`, imported once.
fn uuid_class(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static UUID: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    UUID.import(py, "uuid", "UUID")
}

/// The 128 bits of a Python `int` known to be in `0..2**128` (a `uuid.UUID`'s `int`).
///
/// The stable ABI has no call that reads more than 64 bits at once: the low half comes from
/// `PyLong_AsUnsignedLongLongMask`, the high half from the value shifted right by 64.
fn u128_of(value: &Bound<'_, PyAny>) -> PyResult<u128> {
    use pyo3::ffi;
    let py = value.py();
    static SIXTY_FOUR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let sixty_four = SIXTY_FOUR.get_or_try_init(py, || 64u32.into_pyobject(py).map(|n| n.into_any().unbind()))?;
    // SAFETY: both calls take borrowed references to live objects and return plain integers
    // (or a new reference, owned by `high` below); errors are checked through `PyErr::take`.
    unsafe {
        let low = ffi::PyLong_AsUnsignedLongLongMask(value.as_ptr());
        if low == u64::MAX
            && let Some(e) = PyErr::take(py)
        {
            return Err(e);
        }
        let high = Bound::from_owned_ptr_or_err(py, ffi::PyNumber_Rshift(value.as_ptr(), sixty_four.as_ptr()))?;
        let high = ffi::PyLong_AsUnsignedLongLongMask(high.as_ptr());
        if high == u64::MAX
            && let Some(e) = PyErr::take(py)
        {
            return Err(e);
        }
        Ok((u128::from(high) << 64) | u128::from(low))
    }
}

/// A UUID given as `uuid.UUID` (or its string form).
///
/// The common case, an exact `uuid.UUID`, reads its `int` and converts it without further
/// Python calls; a subclass, or anything else, goes through pyo3's conversion.
pub(crate) fn uuid_of(field: &str, value: &Bound<'_, PyAny>) -> Result<Uuid> {
    let py = value.py();
    let class = uuid_class(py)?;
    if value.get_type().is(class) {
        return Ok(Uuid::from_u128(u128_of(&value.getattr(pyo3::intern!(py, "int"))?)?));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Uuid::parse_str(&s.to_cow()?).map_err(|e| invalid(field, format!("not a UUID: {e}")));
    }
    value.extract::<Uuid>().map_err(|_| invalid(field, format!("expected a uuid.UUID, got {}", type_name(value))))
}

/// A UUID on its way out, as a `uuid.UUID`.
///
/// `uuid.UUID(int=n)` runs `UUID.__init__` in Python (argument checks, a range check): about
/// as long as a whole booking. This makes the same object the way CPython 3.14's
/// `UUID._from_int` does: allocate an instance and set its two slots, `int` and `is_safe`
/// (`SafeUUID.unknown`, `__init__`'s default), bypassing `UUID.__setattr__` (which refuses,
/// the class being immutable). Should a Python version lay `UUID` out differently, the first
/// conversion notices and every conversion takes the `UUID(int=n)` road.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Id(pub(crate) Uuid);

impl From<Uuid> for Id {
    fn from(id: Uuid) -> Self {
        Id(id)
    }
}

/// A Python `int` for a `u128`, in one allocation when it fits in 64 bits, else parsed from
/// hex (the stable ABI has no wider constructor; pyo3's shift-and-or takes four objects).
fn int_of(py: Python<'_>, value: u128) -> PyResult<Bound<'_, PyAny>> {
    use pyo3::ffi;
    if let Ok(small) = u64::try_from(value) {
        return Ok(small.into_pyobject(py)?.into_any());
    }
    let mut hex = [0u8; 33];
    let digits = b"0123456789abcdef";
    for (i, byte) in hex[..32].iter_mut().enumerate() {
        *byte = digits[((value >> (4 * (31 - i))) & 0xf) as usize];
    }
    // SAFETY: `hex` is NUL-terminated (its last byte stays 0) and holds only hex digits.
    unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyLong_FromString(hex.as_ptr().cast(), std::ptr::null_mut(), 16)) }
}

/// Whether the fast construction works on this Python (checked on first use).
static FAST_UUID: PyOnceLock<bool> = PyOnceLock::new();

fn fast_uuid<'py>(py: Python<'py>, class: &Bound<'py, PyType>, int: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    use pyo3::ffi;
    static SAFE_UNKNOWN: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let unknown = SAFE_UNKNOWN.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import("uuid")?.getattr("SafeUUID")?.getattr("unknown")?.unbind())
    })?;
    // SAFETY: `UUID` is a heap type, so `PyType_GetSlot` may read its `tp_alloc` (always set);
    // the allocation is a new reference owned by `object`; `PyObject_GenericSetAttr` takes
    // borrowed references and stores its own.
    unsafe {
        let alloc = ffi::PyType_GetSlot(class.as_ptr().cast(), ffi::Py_tp_alloc);
        if alloc.is_null() {
            return Err(pyo3::exceptions::PyTypeError::new_err("uuid.UUID has no tp_alloc"));
        }
        let alloc: ffi::allocfunc = std::mem::transmute(alloc);
        let object = Bound::from_owned_ptr_or_err(py, alloc(class.as_ptr().cast(), 0))?;
        for (name, value) in
            [(pyo3::intern!(py, "int"), int.as_ptr()), (pyo3::intern!(py, "is_safe"), unknown.as_ptr())]
        {
            if ffi::PyObject_GenericSetAttr(object.as_ptr(), name.as_ptr(), value) != 0 {
                return Err(PyErr::fetch(py));
            }
        }
        Ok(object)
    }
}

impl<'py> IntoPyObject<'py> for Id {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let class = uuid_class(py)?;
        let int = int_of(py, self.0.as_u128())?;
        let fast = *FAST_UUID.get_or_init(py, || {
            // The fast road must make the very object `UUID(int=n)` makes.
            let probe = Uuid::from_u128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210);
            let made = int_of(py, probe.as_u128()).and_then(|i| fast_uuid(py, class, &i));
            let expected = class.call((), Some(&[("int", probe.as_u128())].into_py_dict(py).expect("a dict")));
            match (made, expected) {
                (Ok(made), Ok(expected)) => {
                    made.eq(&expected).unwrap_or(false)
                        && made.str().ok().map(|s| s.to_string()) == Some(probe.to_string())
                        && made
                            .getattr("is_safe")
                            .ok()
                            .zip(expected.getattr("is_safe").ok())
                            .is_some_and(|(a, b)| a.is(&b))
                }
                _ => false,
            }
        });
        if fast { fast_uuid(py, class, &int) } else { class.call((), Some(&[("int", int)].into_py_dict(py)?)) }
    }
}

impl<'py> IntoPyObject<'py> for &Id {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        (*self).into_pyobject(py)
    }
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
    let utc = UTC.get_or_try_init(py, || PyTzInfo::utc(py).map(|u| u.to_owned().unbind()))?.bind(py);
    // The common case, a datetime in `timezone.utc` (every instant the engine returns), is
    // read as it is.
    if dt.get_tzinfo().is_some_and(|tz| tz.is(utc)) {
        return Ok(dt.extract::<DateTime<Utc>>()?);
    }
    if dt.call_method0(pyo3::intern!(py, "utcoffset"))?.is_none() {
        return Err(invalid(
            field,
            "naive datetime: pass a timezone-aware datetime (tzinfo=ZoneInfo(...) or timezone.utc)",
        ));
    }
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

/// Where the binding's Python enums live, cached per class with their members.
pub(crate) struct EnumClass {
    name: &'static str,
    cell: PyOnceLock<Py<PyType>>,
    /// Every member with its value as a string (`str(value)` for the `IntEnum`), in
    /// definition order: a lookup compares Rust strings, with no Python call.
    members: PyOnceLock<Vec<(String, Py<PyAny>)>>,
}

impl EnumClass {
    pub(crate) const fn new(name: &'static str) -> Self {
        Self { name, cell: PyOnceLock::new(), members: PyOnceLock::new() }
    }

    fn class<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, PyType>> {
        self.cell.import(py, "booking._enums", self.name)
    }

    /// The member whose value is `value` (`SeatStatus("confirmed")`; `"3"` for
    /// `Weekday.THURSDAY`).
    pub(crate) fn member<'py>(&self, py: Python<'py>, value: &str) -> PyResult<Bound<'py, PyAny>> {
        let members = self.members.get_or_try_init(py, || -> PyResult<_> {
            let mut members = Vec::new();
            for member in self.class(py)?.try_iter()? {
                let member = member?;
                let v = member.getattr(pyo3::intern!(py, "value"))?;
                let key = match v.cast::<PyString>() {
                    Ok(s) => s.to_cow()?.into_owned(),
                    Err(_) => v.str()?.to_cow()?.into_owned(),
                };
                members.push((key, member.unbind()));
            }
            Ok(members)
        })?;
        match members.iter().find(|(key, _)| key == value) {
            Some((_, member)) => Ok(member.bind(py).clone()),
            // Not a member: let the class raise its own error.
            None => self.class(py)?.call1((value,)),
        }
    }

    /// The member of the `Weekday` class for a day (Monday = 0).
    pub(crate) fn weekday<'py>(&self, py: Python<'py>, day: chrono::Weekday) -> PyResult<Bound<'py, PyAny>> {
        const DAYS: [&str; 7] = ["0", "1", "2", "3", "4", "5", "6"];
        self.member(py, DAYS[day.num_days_from_monday() as usize])
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
    fn id(&self) -> Option<Id> {
        self.0.user_id().map(|id| Id(id.as_uuid()))
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
