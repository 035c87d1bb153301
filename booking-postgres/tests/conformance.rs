//! The engine's conformance suite on PostgreSQL: one `#[test]` per check, each store in a
//! fresh schema of its own. Needs `BOOKING_PG_URL`.

mod common;

booking_core::conformance_tests!(common::test_store());
