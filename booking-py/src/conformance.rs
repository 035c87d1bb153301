//! `booking.run_conformance`: the core's store conformance suite, run against a store made
//! by a Python factory (a Python `DocumentStore` above all).
//!
//! The suite, and proptest under its property checks, is test code: it is compiled only with
//! this crate's `conformance` feature (off by default), which `scripts/test-python` turns on
//! for the wheel it tests. A wheel built without it has the same API (the stub is true of
//! both builds): `run_conformance` and `conformance_checks` raise `RuntimeError` saying how to
//! get a build that has the suite. The test build also carries `_core_names`, the core's names
//! for the binding's completeness test (`tests/test_completeness.py`).

use pyo3::prelude::*;

/// One check's outcome, as the core reports it.
#[derive(Clone)]
struct Outcome {
    name: String,
    passed: bool,
    detail: String,
}

/// The outcome of one conformance check.
#[pyclass(frozen, module = "booking_engine._booking", name = "CheckOutcome")]
pub(crate) struct PyCheckOutcome(Outcome);

#[pymethods]
impl PyCheckOutcome {
    /// The check's name.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    /// Whether it passed.
    #[getter]
    fn passed(&self) -> bool {
        self.0.passed
    }
    /// Why it failed (empty when it passed).
    #[getter]
    fn detail(&self) -> &str {
        &self.0.detail
    }
    fn __repr__(&self) -> String {
        format!("CheckOutcome(name={:?}, passed={}, detail={:?})", self.0.name, self.0.passed, self.0.detail)
    }
}

/// The results of a conformance run; `str()` lists every check.
#[pyclass(frozen, module = "booking_engine._booking", name = "ConformanceReport")]
pub(crate) struct PyConformanceReport {
    checks: Vec<Outcome>,
    /// The core's verdict: every check passed, and at least one ran.
    passed: bool,
    /// The core's listing of the checks.
    text: String,
}

#[pymethods]
impl PyConformanceReport {
    /// Whether every check passed (and at least one ran).
    #[getter]
    fn passed(&self) -> bool {
        self.passed
    }
    /// Every check's outcome, in order.
    #[getter]
    fn checks(&self) -> Vec<PyCheckOutcome> {
        self.checks.iter().cloned().map(PyCheckOutcome).collect()
    }
    /// The failed checks.
    #[getter]
    fn failures(&self) -> Vec<PyCheckOutcome> {
        self.checks.iter().filter(|c| !c.passed).cloned().map(PyCheckOutcome).collect()
    }
    fn __str__(&self) -> &str {
        &self.text
    }
    fn __repr__(&self) -> String {
        format!(
            "ConformanceReport(passed={}, checks={}, failures={})",
            self.passed,
            self.checks.len(),
            self.checks.iter().filter(|c| !c.passed).count()
        )
    }
}

/// The names of the conformance checks, in the order `run_conformance` runs them.
#[pyfunction]
pub(crate) fn conformance_checks() -> PyResult<Vec<&'static str>> {
    suite::checks()
}

/// Runs the core's conformance suite (or the named checks) against stores made by
/// `factory`, called once per check (and more for some), each time for a fresh empty store.
///
/// Some checks drive the store from several threads at once: a Python store must be
/// thread-safe. The property checks run `BOOKING_PROPTEST_CASES` cases (default 256).
#[pyfunction]
#[pyo3(signature = (factory, checks = None))]
pub(crate) fn run_conformance(
    py: Python<'_>,
    factory: Bound<'_, PyAny>,
    checks: Option<&Bound<'_, PyAny>>,
) -> crate::errors::Result<PyConformanceReport> {
    suite::run(py, factory, checks)
}

/// The suite's absence in the default build.
#[cfg(not(feature = "conformance"))]
mod suite {
    use super::PyConformanceReport;
    use pyo3::prelude::*;

    fn not_built() -> PyErr {
        pyo3::exceptions::PyRuntimeError::new_err(
            "this build of booking has no conformance suite (a test tool, left out of the default build): \
             build the wheel with `maturin build --features conformance` (as scripts/test-python does)",
        )
    }

    pub(super) fn checks() -> PyResult<Vec<&'static str>> {
        Err(not_built())
    }

    pub(super) fn run(
        _: Python<'_>,
        _: Bound<'_, PyAny>,
        _: Option<&Bound<'_, PyAny>>,
    ) -> crate::errors::Result<PyConformanceReport> {
        Err(not_built().into())
    }
}

#[cfg(feature = "conformance")]
pub(crate) use suite::core_names;

#[cfg(feature = "conformance")]
mod suite {
    use super::{Outcome, PyConformanceReport};
    use crate::errors::{Result, guarded};
    use booking_core::{
        BookingId, CourseId, GroupSession, Repository, SessionId, SlotId, UserId,
        conformance::{self, Report},
        lesson::{ApprovalSettings, Calendar, Lesson},
        repository::{
            BookingLocation, Commit, IndexHit, IndexRange, OutboxEntry, RequestKey, RequestRecord, StoreError,
        },
    };
    use pyo3::prelude::*;
    use pyo3::types::PyDict;
    use std::sync::Arc;

    /// A store the factory failed to make: every call reports why, so the check fails with it.
    struct Unavailable(String);

    impl Unavailable {
        fn fail<T>(&self) -> std::result::Result<T, StoreError> {
            Err(StoreError::Backend(format!("the store factory failed: {}", self.0)))
        }
    }

    impl Repository for Unavailable {
        fn load_session(&self, _: SessionId) -> std::result::Result<Option<Arc<GroupSession>>, StoreError> {
            self.fail()
        }
        fn locate_booking(&self, _: BookingId) -> std::result::Result<Option<BookingLocation>, StoreError> {
            self.fail()
        }
        fn load_request(
            &self,
            _: &booking_core::Actor,
            _: &RequestKey,
        ) -> std::result::Result<Option<RequestRecord>, StoreError> {
            self.fail()
        }
        fn commit(&self, _: Commit) -> std::result::Result<(), StoreError> {
            self.fail()
        }
        fn load_calendar(&self, _: UserId) -> std::result::Result<Option<Arc<Calendar>>, StoreError> {
            self.fail()
        }
        fn load_lesson(&self, _: BookingId) -> std::result::Result<Option<Arc<Lesson>>, StoreError> {
            self.fail()
        }
        fn locate_slot(&self, _: SlotId) -> std::result::Result<Option<UserId>, StoreError> {
            self.fail()
        }
        fn approval_settings(&self, _: CourseId, _: UserId) -> std::result::Result<ApprovalSettings, StoreError> {
            self.fail()
        }
        fn is_enrolled(&self, _: UserId, _: CourseId) -> std::result::Result<bool, StoreError> {
            self.fail()
        }
        fn sessions_with_offers_due(
            &self,
            _: chrono::DateTime<chrono::Utc>,
        ) -> std::result::Result<Vec<SessionId>, StoreError> {
            self.fail()
        }
        fn load_finished_booking(
            &self,
            _: BookingId,
        ) -> std::result::Result<Option<booking_core::SeatBooking>, StoreError> {
            self.fail()
        }
        fn prune_requests(&self, _: chrono::DateTime<chrono::Utc>) -> std::result::Result<u64, StoreError> {
            self.fail()
        }
        fn read_index(&self, _: &IndexRange) -> std::result::Result<Vec<IndexHit>, StoreError> {
            self.fail()
        }
        fn read_outbox(&self, _: u64, _: u32) -> std::result::Result<Vec<OutboxEntry>, StoreError> {
            self.fail()
        }
        fn acknowledge_outbox(&self, _: u64) -> std::result::Result<u64, StoreError> {
            self.fail()
        }
    }

    pub(super) fn checks() -> PyResult<Vec<&'static str>> {
        Ok(conformance::CHECKS.iter().map(|c| c.name).collect())
    }

    pub(super) fn run(
        py: Python<'_>,
        factory: Bound<'_, PyAny>,
        checks: Option<&Bound<'_, PyAny>>,
    ) -> Result<PyConformanceReport> {
        let checks = match checks.filter(|c| !c.is_none()) {
            None => None,
            Some(names) => Some(crate::convert::texts("checks", names)?),
        };
        let factory = factory.unbind();
        let report: Report = guarded(py, move || {
            let make = || -> Arc<dyn Repository> {
                Python::attach(|py| {
                    let made = factory.bind(py).call0().and_then(|store| crate::stores::repository(&store));
                    made.unwrap_or_else(|e| Arc::new(Unavailable(e.to_string())))
                })
            };
            Ok(match &checks {
                None => conformance::run_suite(&make),
                Some(names) => {
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    conformance::run_checks(&make, &names)
                }
            })
        })?;
        let outcomes =
            report.checks.iter().map(|c| Outcome { name: c.name.clone(), passed: c.passed, detail: c.detail.clone() });
        Ok(PyConformanceReport { checks: outcomes.collect(), passed: report.passed(), text: report.to_string() })
    }

    /// The variants of a core enum, as its serde derive names them: the names its "unknown
    /// variant" refusal of `probe` lists (every variant, in declaration order). Empty if the
    /// message has no list, which the completeness test reports.
    fn variants<T: serde::de::DeserializeOwned>(probe: serde_json::Value) -> Vec<String> {
        let message = match serde_json::from_value::<T>(probe) {
            Ok(_) => return Vec::new(),
            Err(e) => e.to_string(),
        };
        match message.split_once("expected") {
            Some((_, expected)) => expected.split('`').skip(1).step_by(2).map(str::to_owned).collect(),
            None => Vec::new(),
        }
    }

    /// The core's names the binding must mirror, read from the core itself (its constants and
    /// its serde derives), for `tests/test_completeness.py`: the event kinds (serde's, and
    /// `EventKind::NAMES`, in its own order), the commands, the error codes, the enums' variants
    /// and the scheduling rules' fields (serde's, in alphabetical order).
    #[pyfunction]
    pub(crate) fn core_names(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        use booking_core::{
            Actor, BookingAvailability, Command, ErrorCode, EventKind, SchedulingRules, SeatStatus, WaitlistMode,
            lesson::{LessonStatus, SeriesMode},
            read::{AgendaKind, AgendaStatus},
        };
        use serde_json::json;
        let probe = "-";
        let rule_fields: Vec<String> = match serde_json::to_value(SchedulingRules::default()) {
            Ok(serde_json::Value::Object(fields)) => fields.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let names = PyDict::new(py);
        names.set_item("event_kinds", variants::<EventKind>(json!({ "type": probe })))?;
        names.set_item("event_kind_names", EventKind::NAMES)?;
        names.set_item("commands", variants::<Command>(json!({ "command": probe })))?;
        // `ErrorCode::ALL` and the enum are made from one list in the core.
        names.set_item("error_codes", ErrorCode::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>())?;
        names.set_item("seat_statuses", variants::<SeatStatus>(json!(probe)))?;
        names.set_item("lesson_statuses", variants::<LessonStatus>(json!(probe)))?;
        names.set_item("booking_availabilities", variants::<BookingAvailability>(json!(probe)))?;
        names.set_item("series_modes", variants::<SeriesMode>(json!(probe)))?;
        names.set_item("agenda_statuses", variants::<AgendaStatus>(json!(probe)))?;
        names.set_item("agenda_kinds", variants::<AgendaKind>(json!(probe)))?;
        names.set_item("waitlist_modes", variants::<WaitlistMode>(json!({ "mode": probe })))?;
        names.set_item("roles", variants::<Actor>(json!({ "role": probe })))?;
        names.set_item("rule_fields", rule_fields)?;
        Ok(names)
    }
}
