//! The glue for stores written in Kotlin or Swift, tested from Rust: a Rust implementation of
//! the foreign [`DocumentStore`] trait (the same steps as the Kotlin and Swift test stores) runs
//! through the adapter, the engine facade and the conformance entry point.

use booking_uniffi::types::{Actor, ApprovalSettings, NewGroupSession};
use booking_uniffi::{
    AggregateKind, BookingError, BookingLocation, Document, DocumentCommit, DocumentStore, Engine, StoreError,
    StoreFactory, conformance_checks, run_conformance,
};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

#[derive(Default)]
struct State {
    documents: HashMap<(AggregateKind, String), Document>,
    bookings: HashMap<String, BookingLocation>,
    slots: HashMap<String, String>,
    requests: HashMap<(String, String), String>,
    enrollments: HashSet<(String, String)>,
}

#[derive(Default)]
struct MirrorStore {
    state: Mutex<State>,
    /// Makes `load` fail this way: "", "panic", "backend", "corrupt".
    failure: &'static str,
}

impl DocumentStore for MirrorStore {
    fn load(&self, kind: AggregateKind, id: String) -> Result<Option<Document>, StoreError> {
        match self.failure {
            "panic" => panic!("the store blew up"),
            "backend" => Err(StoreError::Backend { detail: "disk on fire".into() }),
            "corrupt" => Ok(Some(Document { version: 1, body: "{not json".into() })),
            _ => Ok(self.state.lock().unwrap().documents.get(&(kind, id)).cloned()),
        }
    }
    fn locate_booking(&self, id: String) -> Result<Option<BookingLocation>, StoreError> {
        Ok(self.state.lock().unwrap().bookings.get(&id).cloned())
    }
    fn locate_slot(&self, id: String) -> Result<Option<String>, StoreError> {
        Ok(self.state.lock().unwrap().slots.get(&id).cloned())
    }
    fn load_request(&self, scope: String, key: String) -> Result<Option<String>, StoreError> {
        Ok(self.state.lock().unwrap().requests.get(&(scope, key)).cloned())
    }
    fn commit(&self, commit: DocumentCommit) -> Result<(), StoreError> {
        let mut state = self.state.lock().unwrap();
        for w in &commit.writes {
            let stored = state.documents.get(&(w.kind, w.id.clone())).map_or(0, |d| d.version);
            if stored != w.expected_version {
                return Err(StoreError::Conflict { detail: format!("{:?} {}", w.kind, w.id) });
            }
        }
        if let Some(r) = &commit.request
            && state.requests.contains_key(&(r.scope.clone(), r.key.clone()))
        {
            return Err(StoreError::DuplicateRequest);
        }
        for w in commit.writes {
            state.documents.insert((w.kind, w.id), Document { version: w.version, body: w.body });
        }
        for b in commit.new_bookings {
            state.bookings.insert(b.booking_id, b.location);
        }
        for s in commit.new_slots {
            state.slots.insert(s.slot_id, s.teacher_id);
        }
        if let Some(r) = commit.request {
            state.requests.insert((r.scope, r.key), r.body);
        }
        Ok(())
    }
    fn approval_settings(&self, _course_id: String, _teacher_id: String) -> Result<ApprovalSettings, StoreError> {
        Ok(ApprovalSettings::default())
    }
    fn is_enrolled(&self, student_id: String, course_id: String) -> Result<bool, StoreError> {
        Ok(self.state.lock().unwrap().enrollments.contains(&(student_id, course_id)))
    }
}

struct Factory;

impl StoreFactory for Factory {
    fn new_store(&self) -> Result<Arc<dyn DocumentStore>, StoreError> {
        Ok(Arc::new(MirrorStore::default()))
    }
}

const TEACHER: &str = "00000000-0000-0000-0000-000000000001";

fn new_group_session() -> NewGroupSession {
    NewGroupSession {
        teacher_id: TEACHER.into(),
        course_id: None,
        title: "Choir".into(),
        starts_at: SystemTime::now() + Duration::from_secs(86_400),
        time_zone: "Europe/Vienna".into(),
        duration_minutes: 60,
        meeting_link: "https://meet.example.com/choir".into(),
        capacity: 1,
        waitlist_enabled: false,
        waitlist_mode: Default::default(),
        rules: Default::default(),
    }
}

#[test]
fn a_document_store_passes_conformance_checks_through_the_adapter() {
    let checks: Vec<String> = [
        "seed_group_cancel_and_promote",
        "idempotent_retries",
        "seed_lesson_book_with_approval",
        "seed_lesson_recurring_series",
        "concurrent_booking_audit",
    ]
    .map(String::from)
    .to_vec();
    let report = run_conformance(Arc::new(Factory), Some(checks.clone())).unwrap();
    assert!(report.passed, "{}", report.summary);
    assert_eq!(report.checks.iter().map(|c| c.name.clone()).collect::<Vec<_>>(), checks);
    assert!(conformance_checks().len() >= checks.len());
}

#[test]
fn store_failures_arrive_with_their_codes() {
    let teacher = Actor::Teacher { id: TEACHER.into() };
    let good = Engine::with_document_store(Arc::new(MirrorStore::default()), None, None, None);
    let session = good.create_session(teacher, new_group_session(), None).unwrap().value;
    let code_of = |failure: &'static str| {
        let engine =
            Engine::with_document_store(Arc::new(MirrorStore { failure, ..Default::default() }), None, None, None);
        engine.session(session.id.clone()).unwrap_err()
    };
    assert_eq!(code_of("backend").code(), "store_error");
    assert_eq!(code_of("corrupt").code(), "corrupt_record");
    // A panic inside the store is caught at the adapter, not unwound through the engine.
    let panicked = code_of("panic");
    assert!(matches!(panicked, BookingError::Store { .. }), "{panicked:?}");
    assert!(panicked.detail().contains("the store blew up"));
}
