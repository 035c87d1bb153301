//! Instants, wall times and zones out, made cheaply: a page that lists 90 days reads thousands.
//!
//! Under the stable ABI (abi3) pyo3 makes a `datetime` by calling the class with seven Python
//! ints and a `ZoneInfo` by calling `zoneinfo.ZoneInfo(name)`. Here:
//! - a `datetime` is made from its pickle state, `datetime(state, tzinfo)`: ten bytes (year,
//!   month, day, hour, minute, second, microsecond) in one `bytes` object, the constructor's
//!   own fast road (CPython's `datetime.__reduce__` gives exactly this state), so one argument
//!   object instead of seven;
//! - instants carry the cached `timezone.utc`;
//! - each zone's `ZoneInfo` is made once and kept (the very object `ZoneInfo(name)` returns,
//!   which `zoneinfo` caches too; there are a few hundred zones).
//!
//! The objects equal, hash and print as pyo3's would; `tests/test_conversions.py` compares them
//! with objects made by the `datetime` and `zoneinfo` constructors.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyTuple, PyType, PyTzInfo};
use std::collections::HashMap;
use std::sync::Mutex;

static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static UTC: PyOnceLock<Py<PyTzInfo>> = PyOnceLock::new();
static ZONEINFO: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static ZONES: PyOnceLock<Mutex<HashMap<Tz, Py<PyAny>>>> = PyOnceLock::new();

fn datetime_class(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DATETIME
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("datetime")?.getattr("datetime")?.cast_into::<PyType>()?.unbind())
        })
        .map(|class| class.bind(py))
}

/// The pickle state of a `datetime` (`datetime.__reduce__`'s first argument): year (two bytes,
/// big-endian), month, day, hour, minute, second, microsecond (three bytes, big-endian). A
/// chrono leap second (nanoseconds past 10⁹) reads as the last microsecond of its second, as
/// Python has no leap seconds.
fn state(date: &impl Datelike, time: &impl Timelike) -> PyResult<[u8; 10]> {
    let year = date.year();
    if !(1..=9999).contains(&year) {
        return Err(pyo3::exceptions::PyValueError::new_err(format!("year {year} is out of range (1 to 9999)")));
    }
    let micros = (time.nanosecond() / 1_000).min(999_999);
    let [y1, y2] = u16::try_from(year).unwrap_or(1).to_be_bytes();
    let [_, u1, u2, u3] = micros.to_be_bytes();
    // Every value fits its byte: month 1..=12, day 1..=31, hour ..24, minute and second ..60.
    let byte = |v: u32| u8::try_from(v).unwrap_or(0);
    Ok([
        y1,
        y2,
        byte(date.month()),
        byte(date.day()),
        byte(time.hour()),
        byte(time.minute()),
        byte(time.second()),
        u1,
        u2,
        u3,
    ])
}

/// An aware `datetime` in `timezone.utc`.
pub(crate) fn instant<'py>(py: Python<'py>, at: &DateTime<Utc>) -> PyResult<Bound<'py, PyAny>> {
    let state = PyBytes::new(py, &state(at, at)?);
    let utc = UTC.get_or_try_init(py, || PyTzInfo::utc(py).map(|u| u.to_owned().unbind()))?;
    datetime_class(py)?.call1(PyTuple::new(py, [state.into_any(), utc.bind(py).clone().into_any()])?)
}

/// A naive `datetime` (a wall time).
pub(crate) fn wall_time<'py>(py: Python<'py>, at: &NaiveDateTime) -> PyResult<Bound<'py, PyAny>> {
    let state = PyBytes::new(py, &state(&at.date(), &at.time())?);
    datetime_class(py)?.call1((state,))
}

/// The zone's `zoneinfo.ZoneInfo`, made once.
pub(crate) fn zone<'py>(py: Python<'py>, tz: Tz) -> PyResult<Bound<'py, PyAny>> {
    let zones = ZONES.get_or_init(py, || Mutex::new(HashMap::new()));
    if let Some(found) = zones.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&tz) {
        return Ok(found.bind(py).clone());
    }
    let class =
        ZONEINFO.get_or_try_init(py, || Ok::<_, PyErr>(py.import("zoneinfo")?.getattr("ZoneInfo")?.unbind()))?;
    let made = class.bind(py).call1((tz.name(),))?;
    zones.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(tz, made.clone().unbind());
    Ok(made)
}
