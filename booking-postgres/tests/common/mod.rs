//! What the PostgreSQL tests share: the server from `BOOKING_PG_URL`, and stores that each
//! live in a fresh schema of their own, dropped when the store is.
#![allow(dead_code)]

use booking_core::repository::Guarded;
use booking_postgres::{PgOptions, PgRepository};

/// The test server's connection string. Never skips: without a server these tests fail.
pub fn url() -> String {
    match std::env::var("BOOKING_PG_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "BOOKING_PG_URL is not set: these tests need a PostgreSQL server, e.g. \
             BOOKING_PG_URL=postgres://postgres@127.0.0.1:5432/booking (scripts/test-all starts a throwaway one)"
        ),
    }
}

/// The store under test.
pub type PgStore = PgRepository;

/// A schema name no other test uses.
pub fn fresh_schema() -> String {
    format!("t_{}", uuid::Uuid::new_v4().simple())
}

/// Options for a store in `schema` on the test server.
pub fn options(schema: &str) -> PgOptions {
    PgOptions::new(&url()).expect("BOOKING_PG_URL is a valid connection string").schema(schema).min_idle(0)
}

/// A store in a fresh schema; the schema is dropped with the store.
/// A store in a fresh schema of its own, dropped with the store.
pub type TestStore = Guarded<PgRepository, Schema>;

/// A test schema, dropped when its store is (through a clone of the store, which shares its pool).
pub struct Schema {
    pub name: String,
    store: PgRepository,
}

impl Drop for Schema {
    fn drop(&mut self) {
        let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name);
        for _ in 0..2 {
            if self.store.with_client(|c| c.batch_execute(&sql)).is_ok() {
                break;
            }
        }
    }
}

/// A store in a fresh schema.
pub fn test_store() -> TestStore {
    test_store_with(|o| o)
}

/// A store in a fresh schema, with its options adjusted by `configure`.
pub fn test_store_with(configure: impl FnOnce(PgOptions) -> PgOptions) -> TestStore {
    let name = fresh_schema();
    let store = configure(options(&name).max_connections(8)).open().expect("opening a test store");
    Guarded { guard: Schema { name, store: store.clone() }, store }
}

pub fn admin_client() -> postgres::Client {
    postgres::Client::connect(&url(), postgres::NoTls).expect("connecting to BOOKING_PG_URL")
}

pub mod audit;
pub mod worker;
