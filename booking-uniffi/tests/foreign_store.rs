//! The glue for stores written in Kotlin or Swift, tested from Rust: a Rust implementation of
//! the foreign [`DocumentStore`] trait (the same steps as the Kotlin and Swift test stores) runs
//! through the adapter, the engine facade and the conformance entry point.

use booking_core::lesson::ApprovalSettings;
use booking_core::uniffi_support::Timestamp;
use booking_core::{SeatStatus, UserId, WaitlistMode};
use booking_uniffi::types::{Actor, NewGroupSession};
use booking_uniffi::{
    AggregateKind, BookingError, BookingLocation, Document, DocumentCommit, DocumentStore, Engine, ManualClock,
    StoreError, StoreFactory, conformance_checks, run_conformance,
};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct State {
    documents: HashMap<(AggregateKind, String), Document>,
    bookings: HashMap<String, BookingLocation>,
    slots: HashMap<String, String>,
    requests: HashMap<(String, String), (String, Timestamp)>,
    finished: HashMap<String, String>,
    enrollments: HashSet<(String, String)>,
    offer_deadlines: HashMap<String, Timestamp>,
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
        Ok(self.state.lock().unwrap().requests.get(&(scope, key)).map(|(body, _)| body.clone()))
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
            if w.kind == AggregateKind::Session {
                match w.offer_deadline {
                    Some(deadline) => state.offer_deadlines.insert(w.id.clone(), deadline),
                    None => state.offer_deadlines.remove(&w.id),
                };
            }
            state.documents.insert((w.kind, w.id), Document { version: w.version, body: w.body });
        }
        for b in commit.new_bookings {
            state.bookings.insert(b.booking_id, b.location);
        }
        for s in commit.new_slots {
            state.slots.insert(s.slot_id, s.teacher_id);
        }
        for f in commit.finished_bookings {
            state.finished.insert(f.booking_id, f.body);
        }
        if let Some(r) = commit.request {
            state.requests.insert((r.scope, r.key), (r.body, r.recorded_at));
        }
        Ok(())
    }
    fn approval_settings(&self, _course_id: String, _teacher_id: String) -> Result<ApprovalSettings, StoreError> {
        Ok(ApprovalSettings::default())
    }
    fn is_enrolled(&self, student_id: String, course_id: String) -> Result<bool, StoreError> {
        Ok(self.state.lock().unwrap().enrollments.contains(&(student_id, course_id)))
    }
    fn sessions_with_offers_due(&self, until: Timestamp) -> Result<Vec<String>, StoreError> {
        let state = self.state.lock().unwrap();
        let mut due: Vec<_> = state.offer_deadlines.iter().filter(|(_, d)| **d <= until).collect();
        due.sort_by_key(|(id, d)| (**d, (*id).clone()));
        Ok(due.into_iter().map(|(id, _)| id.clone()).collect())
    }
    fn load_finished_booking(&self, id: String) -> Result<Option<String>, StoreError> {
        Ok(self.state.lock().unwrap().finished.get(&id).cloned())
    }
    fn prune_requests(&self, recorded_before: Timestamp) -> Result<u64, StoreError> {
        let requests = &mut self.state.lock().unwrap().requests;
        let before = requests.len();
        requests.retain(|_, (_, at)| *at >= recorded_before);
        Ok((before - requests.len()) as u64)
    }
}

struct Factory;

impl StoreFactory for Factory {
    fn new_store(&self) -> Result<Arc<dyn DocumentStore>, StoreError> {
        Ok(Arc::new(MirrorStore::default()))
    }
}

const TEACHER: &str = "00000000-0000-0000-0000-000000000001";

fn user(id: &str) -> UserId {
    id.parse().unwrap()
}

fn new_group_session() -> NewGroupSession {
    NewGroupSession {
        teacher_id: user(TEACHER),
        course_id: None,
        title: "Choir".into(),
        starts_at: Utc::now() + TimeDelta::days(1),
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
        "group_offer_cycle",
        "group_offer_retries",
        "lesson_reschedule",
        "concurrent_booking_audit",
        "group_finished_bookings_leave_the_session",
        "prune_request_records",
        "store_index_queries_agree_with_the_core",
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
    let teacher = Actor::Teacher { id: user(TEACHER) };
    let good = Engine::with_document_store(Arc::new(MirrorStore::default()), None, None, None, None);
    let session = good.create_session(teacher, new_group_session(), None).unwrap().value;
    let code_of = |failure: &'static str| {
        let engine = Engine::with_document_store(
            Arc::new(MirrorStore { failure, ..Default::default() }),
            None,
            None,
            None,
            None,
        );
        engine.session(session.id).unwrap_err()
    };
    assert_eq!(code_of("backend").code(), "store_error");
    assert_eq!(code_of("corrupt").code(), "corrupt_record");
    // A panic inside the store is caught at the adapter, not unwound through the engine.
    let panicked = code_of("panic");
    assert!(matches!(panicked, BookingError::Store { .. }), "{panicked:?}");
    assert!(panicked.detail().contains("the store blew up"));
}

#[test]
fn offer_deadlines_reach_the_store_and_drive_expiry() {
    let now = DateTime::<Utc>::from_timestamp(1_900_000_000, 0).unwrap();
    let clock = ManualClock::new(now).unwrap();
    let store = Arc::new(MirrorStore::default());
    let engine = Engine::with_document_store(
        Arc::clone(&store) as Arc<dyn DocumentStore>,
        Some(clock.clone()),
        None,
        None,
        None,
    );
    let teacher = Actor::Teacher { id: user(TEACHER) };
    let new = NewGroupSession {
        starts_at: now + TimeDelta::days(1),
        waitlist_enabled: true,
        waitlist_mode: Some(WaitlistMode::Offer { hold_minutes: 30 }),
        ..new_group_session()
    };
    let session = engine.create_session(teacher, new, None).unwrap().value;
    let (ana, ben) = ("00000000-0000-0000-0000-000000000002", "00000000-0000-0000-0000-000000000003");
    let student = |id: &str| Actor::Student { id: user(id) };
    let first = engine.book_seat(student(ana), session.id, user(ana), None).unwrap().value;
    let second = engine.book_seat(student(ben), session.id, user(ben), None).unwrap().value;
    assert!(store.state.lock().unwrap().offer_deadlines.is_empty(), "no offer yet");

    engine.cancel_booking(student(ana), first.id, None).unwrap();
    let deadline = now + TimeDelta::minutes(30);
    assert_eq!(
        store.state.lock().unwrap().offer_deadlines.get(&session.id.to_string()),
        Some(&deadline),
        "the write carried it"
    );
    assert_eq!(store.sessions_with_offers_due(deadline).unwrap(), vec![session.id.to_string()]);
    let early = engine.process_expired_offers(now).unwrap();
    assert!(early.events.is_empty() && early.failures.is_empty(), "not due yet");

    clock.advance(Duration::from_secs(31 * 60)).unwrap();
    let sweep = engine.process_expired_offers(clock.now()).unwrap();
    assert!(sweep.failures.is_empty(), "{:?}", sweep.failures);
    assert_eq!(sweep.events.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["offer_expired"]);
    assert_eq!(engine.seat_booking(second.id).unwrap().status, SeatStatus::Expired);
    assert!(store.state.lock().unwrap().offer_deadlines.is_empty(), "the deadline is cleared with the offer");
}
