//! The store conformance suite of booking-core, against a fresh SQLite file per store.

use booking_core::repository::Guarded;
use booking_sqlite::SqliteRepository;

/// A new, empty database file in a fresh temporary directory, deleted after the store closes.
fn fresh_store() -> Guarded<SqliteRepository, tempfile::TempDir> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteRepository::open(dir.path().join("bookings.db")).expect("a new database");
    Guarded { store, guard: dir }
}

booking_core::conformance_tests!(fresh_store());
