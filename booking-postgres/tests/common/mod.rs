//! What the PostgreSQL tests share: the server from `BOOKING_PG_URL`, and stores that each
//! live in a fresh schema of their own, dropped when the store is.
#![allow(dead_code)]

use booking_core::{
    Actor, BookingId, CourseId, GroupSession, SessionId, SlotId, UserId,
    lesson::{ApprovalSettings, Calendar, Lesson},
    repository::{BookingLocation, Commit, Repository, RequestKey, RequestRecord, StoreError},
};
use booking_postgres::{PgOptions, PgRepository};
use std::sync::Arc;

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
pub struct TestStore {
    pub store: PgRepository,
    pub schema: String,
}

impl TestStore {
    pub fn new() -> Self {
        Self::with(|o| o)
    }

    pub fn with(configure: impl FnOnce(PgOptions) -> PgOptions) -> Self {
        let schema = fresh_schema();
        let store = configure(options(&schema).max_connections(8)).open().expect("opening a test store");
        Self { store, schema }
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.schema);
        // Best effort (a leftover schema in a throwaway cluster harms nobody); twice, as the
        // first pooled connection may have been killed by a test.
        for _ in 0..2 {
            if self.store.with_client(|c| c.batch_execute(&sql)).is_ok() {
                break;
            }
        }
    }
}

/// A plain connection to the test server, for tampering and killing.
pub fn admin_client() -> postgres::Client {
    postgres::Client::connect(&url(), postgres::NoTls).expect("connecting to BOOKING_PG_URL")
}

impl Repository for TestStore {
    fn load_session(&self, id: SessionId) -> Result<Option<Arc<GroupSession>>, StoreError> {
        self.store.load_session(id)
    }
    fn locate_booking(&self, id: BookingId) -> Result<Option<BookingLocation>, StoreError> {
        self.store.locate_booking(id)
    }
    fn load_request(&self, actor: &Actor, key: &RequestKey) -> Result<Option<RequestRecord>, StoreError> {
        self.store.load_request(actor, key)
    }
    fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        self.store.commit(commit)
    }
    fn load_calendar(&self, owner: UserId) -> Result<Option<Arc<Calendar>>, StoreError> {
        self.store.load_calendar(owner)
    }
    fn load_lesson(&self, id: BookingId) -> Result<Option<Arc<Lesson>>, StoreError> {
        self.store.load_lesson(id)
    }
    fn locate_slot(&self, id: SlotId) -> Result<Option<UserId>, StoreError> {
        self.store.locate_slot(id)
    }
    fn approval_settings(&self, course_id: CourseId, teacher_id: UserId) -> Result<ApprovalSettings, StoreError> {
        self.store.approval_settings(course_id, teacher_id)
    }
    fn is_enrolled(&self, student_id: UserId, course_id: CourseId) -> Result<bool, StoreError> {
        self.store.is_enrolled(student_id, course_id)
    }
}
pub mod audit;
