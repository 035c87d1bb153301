//! The store conformance suite of booking-core, against a fresh SQLite file per store.

use booking_core::{
    Actor, BookingId, CourseId, GroupSession, Repository, SessionId, SlotId, StoreError, UserId,
    lesson::{ApprovalSettings, Calendar, Lesson},
    repository::{BookingLocation, Commit, RequestKey, RequestRecord},
};
use booking_sqlite::SqliteRepository;
use std::sync::Arc;

/// A store in its own temporary directory, deleted when the store is dropped.
struct TempStore {
    store: SqliteRepository,
    // Declared after `store`, so the directory outlives the connections.
    _dir: tempfile::TempDir,
}

/// A new, empty database file in a fresh temporary directory.
fn fresh_store() -> TempStore {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteRepository::open(dir.path().join("bookings.db")).expect("a new database");
    TempStore { store, _dir: dir }
}

impl Repository for TempStore {
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

booking_core::conformance_tests!(fresh_store());
