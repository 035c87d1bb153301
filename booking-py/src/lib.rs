//! # booking-py
//!
//! The Python binding of the booking engine: the native module `booking_engine._booking` of the
//! `booking_engine` package (`python/booking_engine`). It converts types and maps errors, each in one
//! place, and adds no booking rule:
//!
//! - `src/convert.rs`: Python values in (UUIDs, timezone-aware datetimes, zones, actors);
//! - `src/objects.rs`: the core's results out, as frozen Python objects converting lazily;
//! - `src/datetimes.rs`: instants, wall times and zones out, made cheaply (pickle-state
//!   `datetime`s, one `ZoneInfo` per zone);
//! - `src/enums.rs`: the Python enums, and the core enums they mirror;
//! - `src/errors.rs`: every failure out ([`BookingError`](booking_core::BookingError) to the
//!   exception registered for its code, panics to `booking.InternalError`);
//! - `src/engine.rs`: `booking.Engine`, the core's engine with the GIL released while it works;
//! - `src/stores.rs`: the in-memory, SQLite and PostgreSQL stores, and the adapter that lets a
//!   Python object be a store through the core's
//!   [`DocumentRepository`](booking_core::document::DocumentRepository);
//! - `src/observability.rs`: `Engine.counters()`'s `EngineCounters`, and `enable_logging`,
//!   which sends the engine's `tracing` events to Python's `logging`;
//! - `src/pg_tls.rs`: the libpq TLS parameters (`sslmode`, `sslrootcert`) of a PostgreSQL
//!   connection string, as `booking-postgres`'s TLS settings;
//! - `src/conformance.rs`: the core's store conformance suite for Python stores, built with
//!   the crate's `conformance` feature only (test code: the default wheel has the same API, and
//!   its `run_conformance` raises `RuntimeError`).
//!
//! The Python-facing documentation is `booking-py/README.md` and the stub
//! `python/booking_engine/_booking.pyi`.
#![warn(missing_docs)]

pub(crate) mod conformance;
pub(crate) mod convert;
pub(crate) mod datetimes;
pub(crate) mod engine;
pub(crate) mod enums;
pub(crate) mod errors;
pub(crate) mod objects;
pub(crate) mod observability;
pub(crate) mod pg_tls;
pub(crate) mod stores;

use pyo3::prelude::*;

/// The native module `booking_engine._booking`.
#[pymodule]
fn _booking(m: &Bound<'_, PyModule>) -> PyResult<()> {
    use booking_core::ErrorCode;
    m.add_class::<convert::PyActor>()?;
    m.add_class::<engine::PyEngine>()?;
    m.add_class::<engine::PyManualClock>()?;
    m.add_class::<stores::PyInMemoryStore>()?;
    m.add_class::<stores::PySqliteStore>()?;
    m.add_class::<stores::PyPostgresStore>()?;
    m.add_class::<stores::PyDocumentCommit>()?;
    m.add_class::<stores::PyDocumentWrite>()?;
    m.add_class::<stores::PyDocumentRequest>()?;
    m.add_class::<objects::PyGroupSession>()?;
    m.add_class::<objects::PySeatBooking>()?;
    m.add_class::<objects::PyWeeklySlot>()?;
    m.add_class::<objects::PyOneTimeSlot>()?;
    m.add_class::<objects::PyAvailabilitySlot>()?;
    m.add_class::<objects::PyLesson>()?;
    m.add_class::<objects::PyHold>()?;
    m.add_class::<objects::PyCalendar>()?;
    m.add_class::<objects::PyBookableOccurrence>()?;
    m.add_class::<objects::PySkippedOccurrence>()?;
    m.add_class::<objects::PySeriesBooking>()?;
    m.add_class::<objects::PyEvent>()?;
    m.add_class::<objects::PyOfferSweep>()?;
    m.add_class::<objects::PyReceipt>()?;
    m.add_class::<objects::PySchedulingRules>()?;
    m.add_class::<objects::PyWaitlistMode>()?;
    m.add_class::<objects::PyTimeOff>()?;
    m.add_class::<objects::PySessionHold>()?;
    m.add_class::<objects::PyStudentAgendaItem>()?;
    m.add_class::<objects::PyTeacherAgendaItem>()?;
    m.add_class::<objects::PyApprovalRequest>()?;
    m.add_class::<objects::PyRosterEntry>()?;
    m.add_class::<objects::PyRoster>()?;
    m.add_class::<objects::PySessionSummary>()?;
    m.add_class::<objects::PyStartingItem>()?;
    m.add_class::<objects::PyOutboxEntry>()?;
    m.add_class::<objects::PyPage>()?;
    m.add_class::<observability::PyEngineCounters>()?;
    m.add_function(wrap_pyfunction!(observability::enable_logging, m)?)?;
    m.add_class::<conformance::PyCheckOutcome>()?;
    m.add_class::<conformance::PyConformanceReport>()?;
    m.add_function(wrap_pyfunction!(conformance::run_conformance, m)?)?;
    m.add_function(wrap_pyfunction!(conformance::conformance_checks, m)?)?;
    m.add_function(wrap_pyfunction!(sample_error, m)?)?;
    // Test support of the test build, left out of `__all__` (and of the stub).
    #[cfg(feature = "conformance")]
    m.setattr("_core_names", wrap_pyfunction!(conformance::core_names, m)?)?;
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    m.add("ERROR_CODES", pyo3::types::PyTuple::new(m.py(), codes)?)?;
    let invalid: Vec<&str> = ErrorCode::ALL.iter().filter(|c| c.is_invalid_input()).map(|c| c.as_str()).collect();
    m.add("INVALID_INPUT_CODES", pyo3::types::PyTuple::new(m.py(), invalid)?)?;
    let retryable: Vec<&str> = ErrorCode::ALL.iter().filter(|c| c.is_retryable()).map(|c| c.as_str()).collect();
    m.add("RETRYABLE_CODES", pyo3::types::PyTuple::new(m.py(), retryable)?)?;
    m.add("EVENT_KINDS", pyo3::types::PyTuple::new(m.py(), booking_core::EventKind::NAMES)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

/// The exception (not raised) the binding maps a sample core error with this code to, or
/// `booking.InternalError` for `"internal"` (raised from a real panic, to test that path). For
/// the binding's own tests of the error mapping.
#[pyfunction]
fn sample_error(py: Python<'_>, code: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let code = &convert::text("code", code)?;
    use booking_core::ErrorCode as C;
    if code == "internal" {
        let failed: errors::Result<()> =
            errors::guarded(py, || -> errors::Result<()> { panic!("a deliberate panic, to test the mapping") });
        return Err(failed.expect_err("the closure panics").into());
    }
    let Some(c) = C::ALL.iter().find(|c| c.as_str() == code) else {
        return Err(errors::invalid("code", format!("unknown error code {code:?}")).into());
    };
    let error = c.example();
    Ok(errors::exception(py, &error)?.unbind())
}
