//! The core's store conformance suite, for stores written in Kotlin or Swift: one call runs
//! every check against fresh stores from a factory.

use crate::error::{BookingError, StoreError, guard};
use crate::stores::{DocumentStore, foreign_repository};
use booking_core::{Repository, conformance};
use std::sync::Arc;

/// Makes a fresh, empty [`DocumentStore`] for each conformance check.
#[uniffi::export(foreign)]
pub trait StoreFactory: Send + Sync {
    /// A new, empty store.
    fn new_store(&self) -> Result<Arc<dyn DocumentStore>, StoreError>;
}

/// The outcome of one conformance check.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CheckOutcome {
    /// The check's stable name, e.g. `concurrent_booking_audit`.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// Why it failed (empty when it passed).
    pub detail: String,
}

/// The results of a conformance run.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ConformanceReport {
    /// One result per check run, in order.
    pub checks: Vec<CheckOutcome>,
    /// Whether every check passed (and at least one ran).
    pub passed: bool,
    /// One line per check and a count, for printing.
    pub summary: String,
}

/// The names of every conformance check, in the order they run.
#[uniffi::export]
pub fn conformance_checks() -> Vec<String> {
    conformance::CHECKS.iter().map(|c| c.name.to_owned()).collect()
}

/// Runs the core's conformance suite (or only the named `checks`) against fresh stores from
/// `factory`, each wrapped the way [`Engine::with_document_store`](crate::Engine::with_document_store)
/// wraps a store. Some checks call the store from several threads at once. The property
/// tests run `BOOKING_PROPTEST_CASES` cases (environment variable; 256 by default).
#[uniffi::export(default(checks = None))]
pub fn run_conformance(
    factory: Arc<dyn StoreFactory>,
    checks: Option<Vec<String>>,
) -> Result<ConformanceReport, BookingError> {
    guard(|| {
        let make = || -> Arc<dyn Repository> {
            match factory.new_store() {
                Ok(store) => foreign_repository(store),
                // Inside a check, a panic is caught and reported as that check's failure.
                Err(e) => panic!("the store factory failed: {e}"),
            }
        };
        let report = match &checks {
            None => conformance::run_suite(&make),
            Some(names) => {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                conformance::run_checks(&make, &names)
            }
        };
        Ok(ConformanceReport {
            passed: report.passed(),
            summary: report.to_string(),
            checks: report
                .checks
                .into_iter()
                .map(|c| CheckOutcome { name: c.name, passed: c.passed, detail: c.detail })
                .collect(),
        })
    })
}
