//! The conformance suite against the in-memory store.

booking_core::conformance_tests!(booking_core::InMemoryRepository::new());

#[test]
fn whole_suite_report_lists_every_check() {
    let factory =
        || std::sync::Arc::new(booking_core::InMemoryRepository::new()) as std::sync::Arc<dyn booking_core::Repository>;
    let report = booking_core::conformance::run_checks(&factory, &["seed_group_create_session", "no_such_check"]);
    assert!(!report.passed());
    assert_eq!(report.failures().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["no_such_check"]);
    assert_eq!(report.to_string().lines().last(), Some("1 passed, 1 failed"));
}
