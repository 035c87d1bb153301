//! # booking-py
//!
//! The Python binding of the booking engine: the native module `booking._booking` of the
//! `booking` package (`python/booking`). It converts types and maps errors, each in one
//! place, and adds no booking rule:
//!
//! - `src/convert.rs`: Python values in (UUIDs, timezone-aware datetimes, zones, actors);
//! - `src/objects.rs`: the core's results out, as frozen Python objects converting lazily;
//! - `src/enums.rs`: the Python enums, and the core enums they mirror;
//! - `src/errors.rs`: every failure out ([`BookingError`](booking_core::BookingError) to the
//!   exception registered for its code, panics to `booking.InternalError`);
//! - `src/engine.rs`: `booking.Engine`, the core's engine with the GIL released while it works;
//! - `src/stores.rs`: the in-memory, SQLite and PostgreSQL stores, and the adapter that lets a
//!   Python object be a store through the core's
//!   [`DocumentRepository`](booking_core::document::DocumentRepository);
//! - `src/pg_tls.rs`: the libpq TLS parameters (`sslmode`, `sslrootcert`) of a PostgreSQL
//!   connection string, as `booking-postgres`'s TLS settings;
//! - `src/conformance.rs`: the core's store conformance suite for Python stores, built with
//!   the crate's `conformance` feature only (test code: the default wheel has the same API, and
//!   its `run_conformance` raises `RuntimeError`).
//!
//! The Python-facing documentation is `booking-py/README.md` and the stub
//! `python/booking/_booking.pyi`.
#![warn(missing_docs)]

pub(crate) mod conformance;
pub(crate) mod convert;
pub(crate) mod engine;
pub(crate) mod enums;
pub(crate) mod errors;
pub(crate) mod objects;
pub(crate) mod pg_tls;
pub(crate) mod stores;

use pyo3::prelude::*;

/// The native module `booking._booking`.
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
    use booking_core::{BookingError as E, BookingId, CourseId, ErrorCode as C, SessionId, SlotId, TimeOffId, UserId};
    let id = uuid::Uuid::from_u128(1);
    let at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    if code == "internal" {
        let failed: errors::Result<()> =
            errors::guarded(py, || -> errors::Result<()> { panic!("a deliberate panic, to test the mapping") });
        return Err(failed.expect_err("the closure panics").into());
    }
    let Some(c) = C::ALL.iter().find(|c| c.as_str() == code) else {
        return Err(errors::invalid("code", format!("unknown error code {code:?}")).into());
    };
    let s = || "sample".to_owned();
    let error = match c {
        C::InvalidInput => E::invalid("field", "sample"),
        C::UnknownTimeZone => E::UnknownTimeZone { name: "Mars/Olympus".into() },
        C::InvalidMeetingLink => E::InvalidMeetingLink { link: "ftp://x".into(), reason: s() },
        C::StartInPast => E::StartInPast { starts_at: at, now: at },
        C::TooLarge => E::TooLarge { what: s(), requested: 2, max: 1 },
        C::NotAuthorized => E::not_authorized(s()),
        C::SessionNotFound => E::SessionNotFound { id: SessionId(id) },
        C::BookingNotFound => E::BookingNotFound { id: BookingId(id) },
        C::SlotNotFound => E::SlotNotFound { id: SlotId(id) },
        C::TimeOffNotFound => E::TimeOffNotFound { teacher_id: UserId(id), id: TimeOffId(id) },
        C::SessionFull => E::SessionFull { session_id: SessionId(id), capacity: 1 },
        C::AlreadyBooked => E::AlreadyBooked { student_id: UserId(id), booking_id: BookingId(id) },
        C::SessionStarted => E::SessionStarted { session_id: SessionId(id), starts_at: at },
        C::SessionNotStarted => E::SessionNotStarted { session_id: SessionId(id), starts_at: at },
        C::LessonStarted => E::LessonStarted { booking_id: BookingId(id), starts_at: at },
        C::LessonNotStarted => E::LessonNotStarted { booking_id: BookingId(id), starts_at: at },
        C::SessionCancelled => E::SessionCancelled { session_id: SessionId(id) },
        C::CapacityBelowBooked => E::CapacityBelowBooked { requested: 1, taken: 2 },
        C::InvalidTransition => E::InvalidTransition { booking_id: BookingId(id), from: s(), action: s() },
        C::SlotUnavailable => E::SlotUnavailable { slot_id: SlotId(id), starts_at: at, reason: s() },
        C::OccurrenceNotOffered => E::OccurrenceNotOffered { slot_id: SlotId(id), starts_at: at },
        C::StudentBusy => E::StudentBusy { student_id: UserId(id), booking_id: BookingId(id) },
        C::NotEnrolled => E::NotEnrolled { student_id: UserId(id), course_id: CourseId(id) },
        C::OutsideBookingWindow => E::OutsideBookingWindow { starts_at: at, earliest: at, latest: Some(at) },
        C::CutoffPassed => E::CutoffPassed { booking_id: BookingId(id), action: "cancelled".into(), cutoff_at: at },
        C::LimitReached => E::LimitReached { limit: "lessons per day for this teacher".into(), max: 1 },
        C::TeacherBusy => E::TeacherBusy { teacher_id: UserId(id), booking_id: BookingId(id) },
        C::OfferExpired => E::OfferExpired { booking_id: BookingId(id), expired_at: at },
        C::RequestKeyReused => E::RequestKeyReused { key: s() },
        C::Contention => E::Contention { attempts: 3 },
        C::CorruptRecord => E::CorruptRecord { record: s(), detail: s() },
        C::Store => E::Store { message: s() },
        C::StoreUnavailable => E::StoreUnavailable { message: s() },
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!("no sample for {other}")));
        }
    };
    Ok(errors::exception(py, &error)?.unbind())
}
