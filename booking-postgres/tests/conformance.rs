//! The engine's conformance suite on PostgreSQL: one `#[test]` per check, each store in a
//! fresh schema of its own. Needs `BOOKING_PG_URL`.

mod common;

booking_core::conformance_tests!(common::TestStore::new());

/// The race audits again with the store's in-process queueing off, so every lost race
/// reaches the database's version check (with it on, most are settled in the process).
#[test]
fn race_audits_with_store_queueing_off() {
    let factory = || {
        std::sync::Arc::new(common::TestStore::with(|o| o.local_queueing(false)))
            as std::sync::Arc<dyn booking_core::Repository>
    };
    let report =
        booking_core::conformance::run_checks(&factory, &["concurrent_booking_audit", "concurrent_lesson_audit"]);
    assert!(report.passed(), "{report}");
}
