//! The one place where Rust failures become Python exceptions.
//!
//! The exception classes are declared in Python (`booking_engine/_errors.py`), so that a class can
//! derive from two bases (`InvalidInputError` is also a `ValueError`) and carry its docstring
//! for IDEs. This module looks them up by the core's stable code
//! ([`ErrorCode::as_str`](booking_core::ErrorCode::as_str)) and instantiates them; nothing
//! else in the crate builds a booking exception.
//!
//! Two more failure sources meet here:
//! - a **panic** anywhere in an entry point (or in a call back out of a Python store) becomes
//!   `booking.InternalError`, never pyo3's `PanicException` (a `BaseException`);
//! - a **Python exception raised by a store callback** travels through the engine as a
//!   [`StoreError::Backend`]; [`guarded`] re-attaches it as the `__cause__` of the
//!   `booking.StoreError` the caller sees (and re-raises a `KeyboardInterrupt` or `SystemExit`
//!   as it is).

use booking_core::{BookingError, repository::StoreError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyType};
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A failure on its way to Python: a booking error, an internal error (a caught panic), or a
/// Python exception that is already formed.
#[derive(Debug)]
pub(crate) enum Error {
    /// A refusal or a store failure from the core.
    Booking(BookingError),
    /// The core's refusal of an integer argument the binding passed as
    /// [`OUT_OF_TYPE`](crate::convert::OUT_OF_TYPE) because the caller's int does not fit a
    /// `u32`: raised as the core's error, with the caller's value (`given`, in decimal) shown
    /// wherever the stand-in appears. See [`Count::restate`](crate::convert::Count::restate).
    Restated {
        /// The core's refusal.
        error: BookingError,
        /// The caller's value.
        given: Box<str>,
    },
    /// A bug: a panic caught at the boundary.
    Internal(String),
    /// An exception raised by Python code (a conversion, a callback).
    Python(PyErr),
}

impl From<BookingError> for Error {
    fn from(e: BookingError) -> Self {
        Error::Booking(e)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Booking(e.into())
    }
}

impl From<PyErr> for Error {
    fn from(e: PyErr) -> Self {
        Error::Python(e)
    }
}

impl From<Error> for PyErr {
    fn from(e: Error) -> Self {
        match e {
            Error::Python(e) => e,
            Error::Booking(e) => Python::attach(|py| match exception(py, &e) {
                Ok(instance) => PyErr::from_value(instance),
                Err(lookup_failed) => lookup_failed,
            }),
            Error::Restated { error, given } => Python::attach(|py| match exception_as(py, &error, Some(&given)) {
                Ok(instance) => PyErr::from_value(instance),
                Err(lookup_failed) => lookup_failed,
            }),
            Error::Internal(message) => Python::attach(|py| internal_error(py, &message)),
        }
    }
}

/// Shorthand for results of the binding's functions.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// An `invalid_input` refusal raised by the binding's conversions (a naive datetime, ...).
pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::Booking(BookingError::invalid(field, reason))
}

static BY_CODE: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
static BOOKING_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INTERNAL_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static CONFLICT_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DUPLICATE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static UNAVAILABLE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn errors_class<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
) -> PyResult<&'py Bound<'py, PyType>> {
    cell.import(py, "booking_engine._errors", name)
}

/// The exception instance (not raised) for a booking error: the class registered for its
/// code, with the message and the error's fields as `details`.
pub(crate) fn exception<'py>(py: Python<'py>, error: &BookingError) -> PyResult<Bound<'py, PyAny>> {
    exception_as(py, error, None)
}

/// [`exception`], with `given` (an int in decimal) shown for every
/// [`OUT_OF_TYPE`](crate::convert::OUT_OF_TYPE) in the message and the details.
fn exception_as<'py>(py: Python<'py>, error: &BookingError, given: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
    let by_code = BY_CODE.import(py, "booking_engine._errors", "BY_CODE")?;
    let code = error.code().as_str();
    let (class, known) = match by_code.get_item(code)? {
        Some(class) => (class, true),
        // A code added to the core but not yet to the Python package: still a BookingError,
        // with its code.
        None => (errors_class(py, &BOOKING_ERROR, "BookingError")?.clone().into_any(), false),
    };
    let details = match serde_json::to_value(error) {
        Ok(serde_json::Value::Object(mut fields)) => {
            fields.remove("code");
            json_to_py(py, &serde_json::Value::Object(fields), given)?
        }
        _ => PyDict::new(py).into_any(),
    };
    let message = match given {
        Some(given) => put_back(&error.to_string(), given),
        None => error.to_string(),
    };
    let instance = class.call1((message, details))?;
    if !known {
        instance.setattr("code", code)?;
    }
    Ok(instance)
}

/// `booking.InternalError` (a bug in the binding or the core) with this message.
pub(crate) fn internal_error(py: Python<'_>, message: &str) -> PyErr {
    match errors_class(py, &INTERNAL_ERROR, "InternalError") {
        Ok(class) => match class.call1((format!("internal error in the booking engine: {message}"), PyDict::new(py))) {
            Ok(instance) => PyErr::from_value(instance),
            Err(e) => e,
        },
        Err(e) => e,
    }
}

/// `text` with `given` in place of each whole number equal to
/// [`OUT_OF_TYPE`](crate::convert::OUT_OF_TYPE).
fn put_back(text: &str, given: &str) -> String {
    let stand_in = crate::convert::OUT_OF_TYPE.to_string();
    let digit_at = |i: usize| text.as_bytes().get(i).is_some_and(u8::is_ascii_digit);
    let mut out = String::with_capacity(text.len() + given.len());
    let mut copied = 0;
    for (at, _) in text.match_indices(&stand_in) {
        let end = at + stand_in.len();
        if (at == 0 || !digit_at(at - 1)) && !digit_at(end) {
            out.push_str(&text[copied..at]);
            out.push_str(given);
            copied = end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// A JSON value as plain Python values (dict, list, str, int, float, bool, None), with `given`
/// (an int in decimal) for every [`OUT_OF_TYPE`](crate::convert::OUT_OF_TYPE), as a number or
/// within a string, if set.
fn json_to_py<'py>(py: Python<'py>, value: &serde_json::Value, given: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value;
    if let Some(given) = given {
        match value {
            Value::Number(n) if n.as_u64() == Some(u64::from(crate::convert::OUT_OF_TYPE)) => {
                return py.get_type::<pyo3::types::PyInt>().call1((given,));
            }
            Value::String(s) => return Ok(put_back(s, given).into_pyobject(py)?.into_any()),
            _ => {}
        }
    }
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item, given)?)?;
            }
            list.into_any()
        }
        Value::Object(fields) => {
            let dict = PyDict::new(py);
            for (k, v) in fields {
                dict.set_item(k, json_to_py(py, v, given)?)?;
            }
            dict.into_any()
        }
    })
}

/// What went wrong in a call back out of a Python store, kept for the entry point that
/// started the engine call on this thread.
enum CallbackFailure {
    Python(PyErr),
    Panic(String),
}

thread_local! {
    static CALLBACK_FAILURE: RefCell<Option<CallbackFailure>> = const { RefCell::new(None) };
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// Runs a call back into Python (a store method) for the engine: the GIL is taken for it, a
/// panic is caught, and a Python exception becomes a [`StoreError`]: `booking.ConflictError`
/// is a version conflict, `booking.DuplicateRequestError` a duplicate request key,
/// `booking.StoreUnavailableError` an unreachable store ([`StoreError::Unavailable`]), anything
/// else a backend failure; the original exception of the last two is kept for [`guarded`].
pub(crate) fn callback<T>(f: impl FnOnce(Python<'_>) -> PyResult<T>) -> Result<T, StoreError> {
    Python::attach(|py| match catch_unwind(AssertUnwindSafe(|| f(py))) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => {
            let is = |cell, name| errors_class(py, cell, name).is_ok_and(|class| err.is_instance(py, class));
            if is(&CONFLICT_ERROR, "ConflictError") {
                return Err(StoreError::Conflict(err.value(py).to_string()));
            }
            if is(&DUPLICATE_ERROR, "DuplicateRequestError") {
                return Err(StoreError::DuplicateRequest);
            }
            let message = format!("the Python store raised {}", describe(py, &err));
            let unavailable = is(&UNAVAILABLE_ERROR, "StoreUnavailableError");
            CALLBACK_FAILURE.with(|slot| {
                let mut slot = slot.borrow_mut();
                // An interrupt (KeyboardInterrupt, SystemExit, ...) is kept over later failures:
                // the entry point raises it even if the engine went on (an offer sweep does).
                if !matches!(&*slot, Some(CallbackFailure::Python(kept)) if !is_exception(py, kept)) {
                    *slot = Some(CallbackFailure::Python(err));
                }
            });
            Err(if unavailable { StoreError::Unavailable(message) } else { StoreError::Backend(message) })
        }
        Err(panic) => {
            let message = panic_message(panic);
            CALLBACK_FAILURE.with(|slot| *slot.borrow_mut() = Some(CallbackFailure::Panic(message.clone())));
            Err(StoreError::Backend(format!("internal error while calling the Python store: {message}")))
        }
    })
}

/// Whether `err` is an `Exception` (not a `KeyboardInterrupt`, `SystemExit`, ...).
fn is_exception(py: Python<'_>, err: &PyErr) -> bool {
    err.is_instance_of::<pyo3::exceptions::PyException>(py)
}

fn describe(py: Python<'_>, err: &PyErr) -> String {
    let name = err.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "an exception".to_owned());
    format!("{name}: {}", err.value(py))
}

/// Runs an entry point's work with the GIL released, turning a panic into
/// `booking.InternalError` and attaching a Python store's own exception to the error it
/// caused.
pub(crate) fn guarded<T: Send>(py: Python<'_>, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    CALLBACK_FAILURE.with(|slot| slot.borrow_mut().take());
    let result = py.detach(|| {
        let result =
            catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| Err(Error::Internal(panic_message(panic))));
        let failure = CALLBACK_FAILURE.with(|slot| slot.borrow_mut().take());
        (result, failure)
    });
    match result {
        // KeyboardInterrupt, SystemExit, ...: not ours to wrap, nor to swallow, even when the
        // engine went on after it (an offer sweep reports a failed session and goes on).
        (_, Some(CallbackFailure::Python(original))) if !is_exception(py, &original) => Err(Error::Python(original)),
        (Ok(value), _) => Ok(value),
        (Err(e), None) => Err(e),
        (Err(_), Some(CallbackFailure::Panic(message))) => Err(Error::Internal(message)),
        (Err(e), Some(CallbackFailure::Python(original))) => {
            let err: PyErr = e.into();
            err.set_cause(py, Some(original));
            Err(Error::Python(err))
        }
    }
}
