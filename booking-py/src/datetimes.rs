//! Instants, wall times and zones out, made cheaply: a page that lists 90 days reads thousands.
//!
//! How a `datetime` is made depends on the build (cargo feature `abi3`, on by default):
//! - **per-version build** (`--no-default-features`, a `cp3XX-cp3XX` wheel): through CPython's
//!   datetime C API (`PyDateTime_FromDateAndTime`, what pyo3 uses outside the stable ABI): no
//!   argument objects, no Python call;
//! - **abi3 build** (one wheel for every CPython >= 3.10): the C API is not part of the stable
//!   ABI, so a `datetime` is made from its pickle state, `datetime(state, tzinfo)`: ten bytes
//!   (year, month, day, hour, minute, second, microsecond) in one `bytes` object, the
//!   constructor's own fast road (CPython's `datetime.__reduce__` gives exactly this state), so
//!   one argument object instead of seven.
//!
//! In both, instants carry `timezone.utc`, and each zone's `ZoneInfo` is made once and kept (the
//! very object `ZoneInfo(name)` returns, which `zoneinfo` caches too; there are a few hundred
//! zones).
//!
//! The objects equal, hash and print as pyo3's would; `tests/test_conversions.py` compares them
//! with objects made by the `datetime` and `zoneinfo` constructors, in both builds
//! (`scripts/test-python`).

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyTzInfo;

static ZONEINFO: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static ZONES: PyOnceLock<Box<[PyOnceLock<Py<PyAny>>]>> = PyOnceLock::new();

/// A `datetime`'s fields: year, month, day, hour, minute, second, microsecond. Python has no
/// leap seconds: a chrono leap second (nanoseconds past 10⁹) reads as the last microsecond of
/// its second. A year outside Python's 1 to 9999 is a `ValueError`.
struct Fields {
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    micros: u32,
}

impl Fields {
    fn of(at: &NaiveDateTime) -> PyResult<Fields> {
        let year = at.year();
        if !(1..=9999).contains(&year) {
            return Err(pyo3::exceptions::PyValueError::new_err(format!("year {year} is out of range (1 to 9999)")));
        }
        // Every value fits its byte: month 1..=12, day 1..=31, hour ..24, minute and second ..60.
        let byte = |v: u32| u8::try_from(v).unwrap_or(0);
        Ok(Fields {
            year,
            month: byte(at.month()),
            day: byte(at.day()),
            hour: byte(at.hour()),
            minute: byte(at.minute()),
            second: byte(at.second()),
            micros: (at.nanosecond() / 1_000).min(999_999),
        })
    }
}

/// The per-version build: the datetime C API.
#[cfg(not(feature = "abi3"))]
mod made {
    use super::Fields;
    use pyo3::prelude::*;
    use pyo3::types::{PyDateTime, PyTzInfo};

    /// A `datetime` with `tzinfo` (naive for `None`).
    pub(super) fn datetime<'py>(
        py: Python<'py>,
        f: Fields,
        tzinfo: Option<&Bound<'py, PyTzInfo>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        PyDateTime::new(py, f.year, f.month, f.day, f.hour, f.minute, f.second, f.micros, tzinfo).map(Bound::into_any)
    }
}

/// The abi3 build: the pickle state, `datetime(state, tzinfo)`.
#[cfg(feature = "abi3")]
mod made {
    use super::Fields;
    use pyo3::prelude::*;
    use pyo3::sync::PyOnceLock;
    use pyo3::types::{PyBytes, PyTuple, PyType, PyTzInfo};

    static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();

    fn datetime_class(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
        DATETIME
            .get_or_try_init(py, || {
                Ok::<_, PyErr>(py.import("datetime")?.getattr("datetime")?.cast_into::<PyType>()?.unbind())
            })
            .map(|class| class.bind(py))
    }

    /// The pickle state of a `datetime` (`datetime.__reduce__`'s first argument): year (two
    /// bytes, big-endian), month, day, hour, minute, second, microsecond (three bytes,
    /// big-endian).
    fn state(f: &Fields) -> [u8; 10] {
        let [y1, y2] = u16::try_from(f.year).unwrap_or(1).to_be_bytes();
        let [_, u1, u2, u3] = f.micros.to_be_bytes();
        [y1, y2, f.month, f.day, f.hour, f.minute, f.second, u1, u2, u3]
    }

    /// A `datetime` with `tzinfo` (naive for `None`).
    pub(super) fn datetime<'py>(
        py: Python<'py>,
        f: Fields,
        tzinfo: Option<&Bound<'py, PyTzInfo>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let state = PyBytes::new(py, &state(&f)).into_any();
        match tzinfo {
            Some(tz) => datetime_class(py)?.call1(PyTuple::new(py, [state, tz.clone().into_any()])?),
            None => datetime_class(py)?.call1((state,)),
        }
    }
}

/// An aware `datetime` in `timezone.utc`.
pub(crate) fn instant<'py>(py: Python<'py>, at: &DateTime<Utc>) -> PyResult<Bound<'py, PyAny>> {
    // `timezone.utc`: the C API's pointer to it, or (abi3) looked up once by pyo3.
    let utc = PyTzInfo::utc(py)?;
    // The UTC wall time once: `DateTime`'s own field methods each apply the (zero) offset.
    made::datetime(py, Fields::of(&at.naive_utc())?, Some(&utc))
}

/// A naive `datetime` (a wall time).
pub(crate) fn wall_time<'py>(py: Python<'py>, at: &NaiveDateTime) -> PyResult<Bound<'py, PyAny>> {
    made::datetime(py, Fields::of(at)?, None)
}

/// The zone's `zoneinfo.ZoneInfo`, made once: a slot per zone, at the zone's place in chrono-tz's
/// enum (no lock, no hashing on the way to a made one).
pub(crate) fn zone<'py>(py: Python<'py>, tz: Tz) -> PyResult<Bound<'py, PyAny>> {
    let zones = ZONES.get_or_init(py, || chrono_tz::TZ_VARIANTS.iter().map(|_| PyOnceLock::new()).collect());
    let make = || -> PyResult<Py<PyAny>> {
        let class =
            ZONEINFO.get_or_try_init(py, || Ok::<_, PyErr>(py.import("zoneinfo")?.getattr("ZoneInfo")?.unbind()))?;
        Ok(class.bind(py).call1((tz.name(),))?.unbind())
    };
    match zones.get(tz as usize) {
        Some(slot) => slot.get_or_try_init(py, make).map(|made| made.bind(py).clone()),
        // Not reached (one slot per variant); made without keeping it all the same.
        None => make().map(|made| made.into_bound(py)),
    }
}
