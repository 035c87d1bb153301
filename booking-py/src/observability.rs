//! What the engine is doing: `Engine.counters()` and `enable_logging()`.

use booking_core::EngineCounters;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::OnceLock;

/// How many commands one engine ran since it was built and how they ended (a snapshot).
#[pyclass(frozen, eq, hash, module = "booking_engine._booking", name = "EngineCounters")]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PyEngineCounters(pub(crate) EngineCounters);

#[pymethods]
impl PyEngineCounters {
    /// Commands run.
    #[getter]
    fn commands(&self) -> u64 {
        self.0.commands
    }
    /// Commands that succeeded and were committed to the store.
    #[getter]
    fn committed(&self) -> u64 {
        self.0.committed
    }
    /// Commands that succeeded with nothing to store.
    #[getter]
    fn unchanged(&self) -> u64 {
        self.0.unchanged
    }
    /// Commands answered from an earlier run under the same request key.
    #[getter]
    fn replayed(&self) -> u64 {
        self.0.replayed
    }
    /// Commands refused with a typed error.
    #[getter]
    fn refused(&self) -> u64 {
        self.0.refused
    }
    /// Commits that lost a race to another writer.
    #[getter]
    fn conflicts(&self) -> u64 {
        self.0.conflicts
    }
    /// Attempts after a command's first.
    #[getter]
    fn retries(&self) -> u64 {
        self.0.retries
    }
    /// Commands that gave up on contention.
    #[getter]
    fn contention_errors(&self) -> u64 {
        self.0.contention_errors
    }
    /// Commands that failed in the store.
    #[getter]
    fn store_errors(&self) -> u64 {
        self.0.store_errors
    }
    /// Batches group commit sent to the store (two or more commits in one call).
    #[getter]
    fn batches(&self) -> u64 {
        self.0.batches
    }
    /// Commits sent in those batches.
    #[getter]
    fn batched_commits(&self) -> u64 {
        self.0.batched_commits
    }
    /// The counters as a dict, in the order above (for a metrics endpoint or a log line).
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, value) in self.pairs() {
            dict.set_item(name, value)?;
        }
        Ok(dict)
    }
    fn __repr__(&self) -> String {
        let fields: Vec<String> = self.pairs().iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("EngineCounters({})", fields.join(", "))
    }
}

impl PyEngineCounters {
    fn pairs(&self) -> [(&'static str, u64); 11] {
        let c = self.0;
        [
            ("commands", c.commands),
            ("committed", c.committed),
            ("unchanged", c.unchanged),
            ("replayed", c.replayed),
            ("refused", c.refused),
            ("conflicts", c.conflicts),
            ("retries", c.retries),
            ("contention_errors", c.contention_errors),
            ("store_errors", c.store_errors),
            ("batches", c.batches),
            ("batched_commits", c.batched_commits),
        ]
    }
}

static LOGGING: OnceLock<pyo3_log::ResetHandle> = OnceLock::new();

/// Sends the engine's events (loggers `booking_core.*`: `command finished` at DEBUG for each
/// command, lost races at DEBUG, contention at WARNING) to Python's `logging`. Off until
/// called: without it they cost a check of a flag. Call it again after changing the logging
/// configuration (levels are cached).
#[pyfunction]
pub(crate) fn enable_logging(py: Python<'_>) -> PyResult<()> {
    if let Some(handle) = LOGGING.get() {
        handle.reset();
        return Ok(());
    }
    let logger = pyo3_log::Logger::new(py, pyo3_log::Caching::LoggersAndLevels)?
        .filter(log::LevelFilter::Off)
        .filter_target("booking_core".to_owned(), log::LevelFilter::Debug)
        // The command's span (its fields are in `command finished` too): one record a command.
        .filter_target("booking_core::command".to_owned(), log::LevelFilter::Off);
    match logger.install() {
        Ok(handle) => {
            let _ = LOGGING.set(handle);
            Ok(())
        }
        // Only this module installs a logger in its own copy of the `log` crate, so this is a
        // second call racing the first: it is installed.
        Err(_) => Ok(()),
    }
}
