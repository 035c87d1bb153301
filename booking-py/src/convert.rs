//! Python values in: strings, integers, flags, ids, instants, zones, enums, actors. Every input
//! conversion lives here.
//!
//! Whatever a caller passes, a conversion either yields the core's value or refuses it with
//! `booking.InvalidInputError` naming the argument and showing the value: a wrong type, a
//! string holding a lone surrogate (`"\ud800"`, which no UTF-8 string can carry), an int of
//! any size, a naive or out-of-range datetime. Nothing surfaces as `TypeError`,
//! `OverflowError` or `UnicodeEncodeError`. Only the shape of a call (an unknown keyword, a
//! missing argument) is left to Python's own `TypeError`, and so is an object that is not a
//! store where a store is expected.
//!
//! # Integers
//!
//! Every count the engine takes (capacity, minutes, seats, weeks, rules, ...) is a `u32` in the
//! core, which checks its range and names the field in its refusal. A Python `int` has no
//! bound, so [`count`] passes one that fits a `u32` as it is, and one that does not (negative,
//! or past `u32::MAX`) as the stand-in [`OUT_OF_TYPE`] (`u32::MAX`), which lies outside every
//! range the engine accepts (asserted below from the core's own bounds). The core then refuses
//! it with exactly the message it gives for any out-of-range value, and [`Count::restate`]
//! shows the caller's own value in that message instead of the stand-in. So `capacity=2**70`,
//! `capacity=-1` and `capacity=10_001` get one message, the core's, with the core's range and
//! the value as given; the binding keeps no copy of any range. The alternative, a table of the
//! core's bounds in the binding, would be a second copy of each rule and its wording.
//!
//! The few integers that no engine rule bounds (an engine's `max_attempts`, a PostgreSQL
//! pool's size, a `Weekday`) are checked here against the range of the Rust type (or of
//! PostgreSQL) they become, by [`int_in`].

use crate::errors::{Error, Result, invalid};
use booking_core::{Actor, BookingError};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use pyo3::exceptions::{PyException, PyOverflowError, PyTypeError, PyUnicodeEncodeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    IntoPyDict, PyBool, PyDate, PyDateTime, PyDelta, PyInt, PyString, PyTime, PyType, PyTzInfo, PyTzInfoAccess,
};
use std::ops::RangeInclusive;
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
        let text = str_text(field, s)?;
        return Uuid::parse_str(&text).map_err(|e| invalid(field, format!("not a UUID ({}): {e}", shown(value))));
    }
    value.extract::<Uuid>().map_err(|_| invalid(field, format!("expected a uuid.UUID, got {}", got(value))))
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
        let key = self.0.as_u128();
        let slot = recent_slot(key);
        let kept = RECENT_IDS
            .lock()
            .ok()
            .and_then(|recent| recent[slot].as_ref().filter(|(id, _)| *id == key).map(|(_, made)| made.clone_ref(py)));
        if let Some(made) = kept {
            return Ok(made.into_bound(py));
        }
        let made = self.make(py)?;
        let replaced = match RECENT_IDS.lock() {
            Ok(mut recent) => recent[slot].replace((key, made.clone().unbind())),
            Err(_) => None,
        };
        // The object a new id takes the slot from is released after the lock: releasing the
        // last reference can run Python code (a weak reference's callback), which may convert
        // an id again and must not find the table locked.
        drop(replaced);
        Ok(made)
    }
}

/// How many `uuid.UUID`s [`RECENT_IDS`] keeps.
const RECENT_ID_SLOTS: usize = 1024;

/// A `uuid.UUID` object kept for its id.
type KeptId = Option<(u128, Py<PyAny>)>;

/// The `uuid.UUID` objects made last, one per slot of a direct-mapped table (a new id takes
/// its slot over): the ids a page reads again and again (a teacher's slots, their course, the
/// viewer) are made once, as a Python program keeps its `UUID` objects and hands them around.
/// `UUID` is immutable (its `__setattr__` refuses), so sharing one is safe; at most
/// [`RECENT_ID_SLOTS`] objects are kept.
static RECENT_IDS: std::sync::Mutex<[KeptId; RECENT_ID_SLOTS]> =
    std::sync::Mutex::new([const { None }; RECENT_ID_SLOTS]);

/// The slot of [`RECENT_IDS`] an id takes: its 128 bits folded and mixed (ids of version 7
/// share their leading bits, ids of version 4 their version nibble).
fn recent_slot(id: u128) -> usize {
    let folded = (id as u64) ^ ((id >> 64) as u64);
    (folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 54) as usize % RECENT_ID_SLOTS
}

impl Id {
    /// A new `uuid.UUID` object for the id.
    fn make<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
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

/// An argument converted by its type alone, for the command table of `engine.rs`: an id
/// from a `uuid.UUID` (or its string), a flag, a text, an instant.
pub(crate) trait FromArg: Sized {
    /// The argument `field`'s value.
    fn from_arg(field: &'static str, value: &Bound<'_, PyAny>) -> Result<Self>;
}

macro_rules! id_arguments {
    ($($id:ident),*) => {$(
        impl FromArg for booking_core::$id {
            fn from_arg(field: &'static str, value: &Bound<'_, PyAny>) -> Result<Self> {
                Ok(Self(uuid_of(field, value)?))
            }
        }
    )*};
}
id_arguments!(BookingId, SessionId, SlotId, UserId, TimeOffId);

impl FromArg for bool {
    fn from_arg(field: &'static str, value: &Bound<'_, PyAny>) -> Result<Self> {
        flag(field, value)
    }
}

impl FromArg for String {
    fn from_arg(field: &'static str, value: &Bound<'_, PyAny>) -> Result<Self> {
        text(field, value)
    }
}

impl FromArg for DateTime<Utc> {
    fn from_arg(field: &'static str, value: &Bound<'_, PyAny>) -> Result<Self> {
        instant(field, value)
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

/// What a caller passed, for a message: its type and `repr` (`int 1180591620717411303424`).
pub(crate) fn got(value: &Bound<'_, PyAny>) -> String {
    format!("{} {}", type_name(value), shown(value))
}

/// `repr(value)` for a message, cut to a readable length (a lone surrogate shows escaped).
fn shown(value: &Bound<'_, PyAny>) -> String {
    const LONGEST: usize = 80;
    let repr = value.repr().and_then(|r| r.to_cow().map(|c| c.into_owned())).unwrap_or_else(|_| "?".to_owned());
    match repr.char_indices().nth(LONGEST) {
        Some((at, _)) => format!("{}...", &repr[..at]),
        None => repr,
    }
}

/// A Python exception raised while reading an argument (a tzinfo's `utcoffset` failing, a
/// datetime that overflows in UTC, an iterator raising, ...) as a refusal of that argument.
/// `KeyboardInterrupt`, `SystemExit` and other non-`Exception`s pass through untouched.
fn refused_by_python(field: &str, value: &Bound<'_, PyAny>, err: PyErr) -> Error {
    let py = value.py();
    if !err.is_instance_of::<PyException>(py) {
        return Error::Python(err);
    }
    let kind = err.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "an exception".to_owned());
    invalid(field, format!("{} could not be read: {kind}: {}", shown(value), err.value(py)))
}

// ---------------------------------------------------------------------------------------------
// Strings

/// The text of a Python `str`. A `str` may hold lone surrogates (`"\ud800"`), which are not
/// characters and which no UTF-8 string (so no Rust `String`) can carry: refused, naming the
/// field and where the surrogate is.
fn str_text(field: &str, s: &Bound<'_, PyString>) -> Result<String> {
    match s.to_cow() {
        Ok(text) => Ok(text.into_owned()),
        Err(err) if err.is_instance_of::<PyUnicodeEncodeError>(s.py()) => {
            let at = err.value(s.py()).getattr("start").and_then(|v| v.extract::<usize>()).ok();
            let surrogate = at.and_then(|i| s.as_any().get_item(i).ok()).map(|c| shown(&c));
            let (at, surrogate) = (at.unwrap_or(0), surrogate.unwrap_or_else(|| "?".to_owned()));
            Err(invalid(
                field,
                format!(
                    "{} holds a lone surrogate ({surrogate} at index {at}), which is not a character: \
                     pass valid Unicode text",
                    shown(s.as_any())
                ),
            ))
        }
        Err(err) => Err(err.into()),
    }
}

/// A `str` argument.
pub(crate) fn text(field: &str, value: &Bound<'_, PyAny>) -> Result<String> {
    match value.cast::<PyString>() {
        Ok(s) => str_text(field, s),
        Err(_) => Err(invalid(field, format!("expected a str, got {}", got(value)))),
    }
}

/// An optional `str` argument (`None` allowed).
pub(crate) fn opt_text(field: &str, value: Option<&Bound<'_, PyAny>>) -> Result<Option<String>> {
    match value {
        Some(v) if !v.is_none() => text(field, v).map(Some),
        _ => Ok(None),
    }
}

/// A list of strings from any iterable of `str` (a single `str` is refused, not split into
/// characters).
#[cfg_attr(not(feature = "conformance"), allow(dead_code))] // `run_conformance`'s `checks`
pub(crate) fn texts(field: &str, values: &Bound<'_, PyAny>) -> Result<Vec<String>> {
    each(field, values, "strings", |item| text(field, item))
}

/// Every item of an iterable argument, converted by `convert`; `what` names the items for
/// the message refusing a plain `str` or a non-iterable.
pub(crate) fn each<T>(
    field: &str,
    values: &Bound<'_, PyAny>,
    what: &str,
    mut convert: impl FnMut(&Bound<'_, PyAny>) -> Result<T>,
) -> Result<Vec<T>> {
    if values.is_instance_of::<PyString>() {
        return Err(invalid(field, format!("expected an iterable of {what}, not a str")));
    }
    let items = values
        .try_iter()
        .map_err(|_| invalid(field, format!("expected an iterable of {what}, got {}", got(values))))?;
    let mut out = Vec::new();
    for item in items {
        let item = item.map_err(|e| refused_by_python(field, values, e))?;
        out.push(convert(&item)?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Integers (see the module docs)

/// What the engine receives for a Python `int` that does not fit the core's `u32`: a value
/// every engine range leaves out, so the core refuses it with its own message.
pub(crate) const OUT_OF_TYPE: u32 = u32::MAX;

// The ranges every `count` argument feeds, read from the core: each ends below the stand-in.
// (`seats` is at most the session's capacity.)
const _: () = {
    use booking_core::{group, lesson, rules};
    assert!(group::MAX_CAPACITY < OUT_OF_TYPE);
    assert!(group::MAX_DURATION_MINUTES < OUT_OF_TYPE);
    assert!(group::MAX_OFFER_HOLD_MINUTES < OUT_OF_TYPE);
    assert!(lesson::MAX_SERIES_INTERVAL_WEEKS < OUT_OF_TYPE);
    assert!(lesson::MAX_SERIES_LESSONS < OUT_OF_TYPE);
    assert!(rules::MAX_NOTICE_MINUTES < OUT_OF_TYPE);
    assert!(rules::MAX_ADVANCE_DAYS < OUT_OF_TYPE);
    assert!(rules::MAX_BUFFER_MINUTES < OUT_OF_TYPE);
    assert!(rules::MAX_LIMIT < OUT_OF_TYPE);
};

/// An integer argument on its way to the engine, which checks its range.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Count {
    field: &'static str,
    /// What the engine gets: the caller's value, or [`OUT_OF_TYPE`] if it does not fit.
    pub(crate) value: u32,
    /// The caller's value in decimal, when it did not fit a `u32`.
    given: Option<Box<str>>,
}

impl Count {
    /// The engine's refusal of this argument, showing the caller's value where the core's
    /// message (and the error's details) show the stand-in. Any other error is returned as
    /// it is.
    pub(crate) fn restate(&self, error: Error) -> Error {
        let Some(given) = &self.given else { return error };
        match error {
            Error::Booking(e) if self.refused_by(&e) => Error::Restated { error: e, given: given.clone() },
            other => other,
        }
    }

    fn refused_by(&self, error: &BookingError) -> bool {
        match error {
            BookingError::InvalidInput { field, .. } => field == self.field,
            BookingError::TooLarge { requested, .. } => *requested == u64::from(OUT_OF_TYPE),
            _ => false,
        }
    }

    /// Whether the caller's int did not fit the core's type (the engine gets [`OUT_OF_TYPE`]).
    pub(crate) fn is_out_of_type(&self) -> bool {
        self.given.is_some()
    }

    /// The caller's value as a Python `int`.
    pub(crate) fn to_object<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.given {
            Some(given) => py.get_type::<PyInt>().call1((&**given,)),
            None => Ok(self.value.into_pyobject(py)?.into_any()),
        }
    }
}

/// [`Count::restate`] for each of a call's integer arguments.
pub(crate) fn restate(error: Error, counts: &[&Count]) -> Error {
    counts.iter().fold(error, |error, count| count.restate(error))
}

/// A Python `int` argument: any object with `__index__` but a `bool` (`capacity=True` is a
/// bug, not a 1). Returns its value as a `u32` if it fits one, and the exact `int`.
fn int_arg<'py>(field: &str, value: &Bound<'py, PyAny>) -> Result<(Option<u32>, Bound<'py, PyAny>)> {
    let not_an_int = || invalid(field, format!("expected an int, got {}", got(value)));
    if value.is_instance_of::<PyBool>() {
        return Err(not_an_int());
    }
    match value.extract::<u32>() {
        Ok(n) => Ok((Some(n), value.clone())),
        Err(e) if e.is_instance_of::<PyOverflowError>(value.py()) => {
            let exact = value.py().import("operator")?.call_method1("index", (value,))?;
            Ok((None, exact))
        }
        Err(e) if e.is_instance_of::<PyTypeError>(value.py()) => Err(not_an_int()),
        Err(e) => Err(e.into()),
    }
}

fn decimal(int: &Bound<'_, PyAny>) -> Result<Box<str>> {
    Ok(int.str()?.to_cow()?.into())
}

/// An integer the engine checks (see the module docs).
pub(crate) fn count(field: &'static str, value: &Bound<'_, PyAny>) -> Result<Count> {
    match int_arg(field, value)? {
        (Some(value), _) => Ok(Count { field, value, given: None }),
        (None, exact) => Ok(Count { field, value: OUT_OF_TYPE, given: Some(decimal(&exact)?) }),
    }
}

/// An optional [`count`] (`None` allowed).
pub(crate) fn opt_count(field: &'static str, value: Option<&Bound<'_, PyAny>>) -> Result<Option<Count>> {
    match value {
        Some(v) if !v.is_none() => count(field, v).map(Some),
        _ => Ok(None),
    }
}

/// A [`count`] with a default (pyo3 cannot give a `&Bound` argument an `int` default, so the
/// signature Python sees states it, and `None` stands for it here).
pub(crate) fn count_or(field: &'static str, value: Option<&Bound<'_, PyAny>>, default: u32) -> Result<Count> {
    match value {
        Some(v) if !v.is_none() => count(field, v),
        _ => Ok(Count { field, value: default, given: None }),
    }
}

/// An integer no engine rule bounds, in `range` (the range of what it becomes); `meaning`
/// follows the range in the message (`""`, or `" (0 = Monday)"`, ...).
pub(crate) fn int_in(field: &str, value: &Bound<'_, PyAny>, range: RangeInclusive<u32>, meaning: &str) -> Result<u32> {
    let (fits, exact) = int_arg(field, value)?;
    match fits {
        Some(n) if range.contains(&n) => Ok(n),
        _ => Err(invalid(
            field,
            format!("must be between {} and {}{meaning}, got {}", range.start(), range.end(), decimal(&exact)?),
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Flags, durations

/// A `bool` argument (only `True` or `False`: `1` and `"yes"` are refused).
pub(crate) fn flag(field: &str, value: &Bound<'_, PyAny>) -> Result<bool> {
    match value.cast::<PyBool>() {
        Ok(b) => Ok(b.is_true()),
        Err(_) => Err(invalid(field, format!("expected a bool (True or False), got {}", got(value)))),
    }
}

/// An optional `bool` argument (`None` allowed).
pub(crate) fn opt_flag(field: &str, value: &Bound<'_, PyAny>) -> Result<Option<bool>> {
    if value.is_none() { Ok(None) } else { flag(field, value).map(Some) }
}

/// Converters for `bool` arguments with a default, for `#[pyo3(from_py_with = ...)]` (which
/// keeps the default in the signature but passes the converter no name): one per argument.
pub(crate) mod flags {
    use pyo3::prelude::*;
    macro_rules! flag_arguments {
        ($($name:ident),* $(,)?) => {$(
            #[doc = concat!("The `", stringify!($name), "` argument (see [`flag`](super::flag)).")]
            pub(crate) fn $name(value: &Bound<'_, PyAny>) -> PyResult<bool> {
                Ok(super::flag(stringify!($name), value)?)
            }
        )*};
    }
    flag_arguments!(active, local_queueing, waitlist_enabled);
}

/// A `datetime.timedelta` argument.
pub(crate) fn duration(field: &str, value: &Bound<'_, PyAny>) -> Result<TimeDelta> {
    if !value.is_instance_of::<PyDelta>() {
        return Err(invalid(field, format!("expected a datetime.timedelta, got {}", got(value))));
    }
    value.extract::<TimeDelta>().map_err(|e| refused_by_python(field, value, e))
}

// ---------------------------------------------------------------------------------------------
// Instants, wall times, dates, zones, enums

static UTC: PyOnceLock<Py<PyTzInfo>> = PyOnceLock::new();

/// An instant from a timezone-aware `datetime` (any tzinfo: `ZoneInfo`, `timezone.utc`, ...).
/// A naive datetime is refused: it names no instant. So is one whose tzinfo fails, or whose
/// UTC instant falls outside the years 1 to 9999 Python can hold (`datetime.min` in a zone
/// ahead of UTC).
pub(crate) fn instant(field: &str, value: &Bound<'_, PyAny>) -> Result<DateTime<Utc>> {
    let py = value.py();
    let Ok(dt) = value.cast::<PyDateTime>() else {
        return Err(invalid(field, format!("expected a timezone-aware datetime, got {}", got(value))));
    };
    let utc = UTC.get_or_try_init(py, || PyTzInfo::utc(py).map(|u| u.to_owned().unbind()))?.bind(py);
    // The common case, a datetime in `timezone.utc` (every instant the engine returns), is
    // read as it is.
    if dt.get_tzinfo().is_some_and(|tz| tz.is(utc)) {
        return dt.extract::<DateTime<Utc>>().map_err(|e| refused_by_python(field, value, e));
    }
    let offset = dt.call_method0(pyo3::intern!(py, "utcoffset")).map_err(|e| refused_by_python(field, value, e))?;
    if offset.is_none() {
        return Err(invalid(
            field,
            "naive datetime: pass a timezone-aware datetime (tzinfo=ZoneInfo(...) or timezone.utc)",
        ));
    }
    dt.call_method1(pyo3::intern!(py, "astimezone"), (utc,))
        .and_then(|in_utc| in_utc.extract::<DateTime<Utc>>())
        .map_err(|e| refused_by_python(field, value, e))
}

/// A wall time (a naive `datetime`), read in a slot's zone by the core.
pub(crate) fn wall_time(field: &str, value: &Bound<'_, PyAny>) -> Result<NaiveDateTime> {
    let Ok(dt) = value.cast::<PyDateTime>() else {
        return Err(invalid(field, format!("expected a naive datetime (wall time), got {}", got(value))));
    };
    if dt.get_tzinfo().is_some() {
        return Err(invalid(
            field,
            "a slot's times are wall times in the slot's zone: pass a naive datetime (no tzinfo)",
        ));
    }
    dt.extract::<NaiveDateTime>().map_err(|e| refused_by_python(field, value, e))
}

/// A `datetime.date` (not a `datetime`, whose time would be dropped).
pub(crate) fn date(field: &str, value: &Bound<'_, PyAny>) -> Result<NaiveDate> {
    if value.is_instance_of::<PyDateTime>() {
        return Err(invalid(field, "expected a date, got a datetime"));
    }
    if !value.is_instance_of::<PyDate>() {
        return Err(invalid(field, format!("expected a datetime.date, got {}", got(value))));
    }
    value.extract::<NaiveDate>().map_err(|e| refused_by_python(field, value, e))
}

/// A `datetime.time` without tzinfo (a wall time).
pub(crate) fn time(field: &str, value: &Bound<'_, PyAny>) -> Result<NaiveTime> {
    let Ok(t) = value.cast::<PyTime>() else {
        return Err(invalid(field, format!("expected a naive datetime.time, got {}", got(value))));
    };
    if t.get_tzinfo().is_some() {
        return Err(invalid(field, "a slot's times are wall times in the slot's zone: pass a time without tzinfo"));
    }
    t.extract::<NaiveTime>().map_err(|e| refused_by_python(field, value, e))
}

/// An IANA zone name, from a `zoneinfo.ZoneInfo` (its `key`) or a string. The core checks it.
pub(crate) fn zone_name(field: &str, value: &Bound<'_, PyAny>) -> Result<String> {
    if let Ok(s) = value.cast::<PyString>() {
        return str_text(field, s);
    }
    match value.getattr(pyo3::intern!(value.py(), "key")) {
        Ok(key) if key.is_instance_of::<PyString>() => text(field, &key),
        _ => Err(invalid(field, format!("expected a zoneinfo.ZoneInfo or an IANA zone name, got {}", got(value)))),
    }
}

/// The `value` of a Python enum member, or a plain string.
pub(crate) fn enum_value(field: &str, value: &Bound<'_, PyAny>) -> Result<String> {
    if let Ok(s) = value.cast::<PyString>() {
        return str_text(field, s);
    }
    match value.getattr(pyo3::intern!(value.py(), "value")) {
        Ok(v) if v.is_instance_of::<PyString>() => text(field, &v),
        _ => Err(invalid(field, format!("expected an enum member or a string, got {}", got(value)))),
    }
}

/// An argument that must be an instance of one of the binding's classes; `what` names it in
/// the message (`"a SchedulingRules"`).
pub(crate) fn instance<'a, 'py, T: pyo3::type_object::PyTypeCheck>(
    field: &str,
    value: &'a Bound<'py, PyAny>,
    what: &str,
) -> Result<&'a Bound<'py, T>> {
    value.cast::<T>().map_err(|_| invalid(field, format!("expected {what}, got {}", got(value))))
}

/// The `Actor` argument of a command.
pub(crate) fn actor(value: &Bound<'_, PyAny>) -> Result<Actor> {
    match value.cast::<PyActor>() {
        Ok(a) => Ok(a.get().0),
        Err(_) => Err(invalid(
            "actor",
            format!(
                "expected an Actor (Actor.teacher(id), Actor.student(id), Actor.admin(id) or Actor.system()), got {}",
                got(value)
            ),
        )),
    }
}

/// A filesystem path (`str` or `os.PathLike`), as Python's `os.fsencode` reads it (so a name
/// with undecodable bytes, held as surrogate escapes, is kept). A NUL byte, which no C path
/// can hold, is refused.
pub(crate) fn path(field: &str, value: &Bound<'_, PyAny>) -> Result<std::path::PathBuf> {
    let path = value.extract::<std::path::PathBuf>().map_err(|e| {
        if e.is_instance_of::<PyTypeError>(value.py()) {
            invalid(field, format!("expected a str or os.PathLike, got {}", got(value)))
        } else {
            refused_by_python(field, value, e)
        }
    })?;
    if path.as_os_str().as_encoded_bytes().contains(&0) {
        return Err(invalid(field, format!("{} holds a NUL character, which no file name can", shown(value))));
    }
    Ok(path)
}

/// Who sends a command: `Actor.teacher(id)`, `Actor.student(id)`, `Actor.admin(id)`,
/// `Actor.system()`.
#[pyclass(frozen, eq, hash, module = "booking_engine._booking", name = "Actor")]
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
        crate::enums::ROLE.member(py, role_name(&self.0))
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

/// A position in the outbox: a Python `int` from 0 to 2**64 - 1 (not a `bool`).
pub(crate) fn position(field: &str, value: &Bound<'_, PyAny>) -> Result<u64> {
    if value.is_instance_of::<PyBool>() {
        return Err(invalid(field, format!("expected an int, got {}", got(value))));
    }
    match value.extract::<u64>() {
        Ok(n) => Ok(n),
        Err(e) if e.is_instance_of::<PyOverflowError>(value.py()) => {
            Err(invalid(field, format!("must be 0 to {}, got {}", u64::MAX, value.str()?.to_cow()?)))
        }
        Err(e) if e.is_instance_of::<PyTypeError>(value.py()) => {
            Err(invalid(field, format!("expected an int, got {}", got(value))))
        }
        Err(e) => Err(e.into()),
    }
}
