//! The glue for stores written in Kotlin or Swift, tested from Rust: a Rust implementation of
//! the foreign [`DocumentStore`] trait (the same steps as the Kotlin and Swift test stores) runs
//! through the adapter, the engine facade and the conformance entry point.

use booking_core::lesson::ApprovalSettings;
use booking_core::uniffi_support::Timestamp;
use booking_core::{Actor, NewGroupSession};
use booking_core::{SeatStatus, UserId, WaitlistMode};
use booking_uniffi::{
    AggregateKind, BookingError, BookingLocation, Document, DocumentCommit, DocumentHit, DocumentStore, Engine,
    ManualClock, OutboxDocument, StoreError, StoreFactory, conformance_checks, index_entries, run_conformance,
};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A read-index entry: `(index, partition, sort)`.
type Entry = (String, String, String);

#[derive(Default)]
struct State {
    documents: HashMap<(AggregateKind, String), Document>,
    bookings: HashMap<String, BookingLocation>,
    slots: HashMap<String, String>,
    requests: HashMap<(String, String), (String, Timestamp)>,
    finished: HashMap<String, String>,
    enrollments: HashSet<(String, String)>,
    offer_deadlines: HashMap<String, Timestamp>,
    /// The read index: `(index, partition, sort)` to the aggregate listed, and each
    /// aggregate's entries (replaced on its next write).
    read_index: BTreeMap<Entry, (AggregateKind, String)>,
    read_entries: HashMap<(AggregateKind, String), Vec<Entry>>,
    /// The outbox by position, and the last position given out.
    outbox: BTreeMap<u64, String>,
    outbox_last: u64,
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
            let key = (w.kind, w.id.clone());
            for old in state.read_entries.remove(&key).unwrap_or_default() {
                state.read_index.remove(&old);
            }
            let entries: Vec<_> = w.read_entries.into_iter().map(|e| (e.index, e.partition, e.sort)).collect();
            for entry in &entries {
                state.read_index.insert(entry.clone(), key.clone());
            }
            state.read_entries.insert(key, entries);
            state.documents.insert((w.kind, w.id), Document { version: w.version, body: w.body });
        }
        for event in commit.outbox {
            state.outbox_last += 1;
            let position = state.outbox_last;
            state.outbox.insert(position, event);
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
    fn read_index(
        &self,
        index: String,
        partition: String,
        after: String,
        before: String,
        limit: u32,
    ) -> Result<Vec<DocumentHit>, StoreError> {
        use std::ops::Bound::Excluded;
        let state = self.state.lock().unwrap();
        let (lower, upper) = ((index.clone(), partition.clone(), after), (index, partition, before));
        if lower >= upper {
            return Ok(Vec::new());
        }
        Ok(state
            .read_index
            .range((Excluded(lower), Excluded(upper)))
            .take(limit as usize)
            .filter_map(|((_, _, sort), (kind, id))| {
                let document = state.documents.get(&(*kind, id.clone()))?.clone();
                Some(DocumentHit { sort: sort.clone(), kind: *kind, id: id.clone(), document })
            })
            .collect())
    }
    fn read_outbox(&self, after: u64, limit: u32) -> Result<Vec<OutboxDocument>, StoreError> {
        let state = self.state.lock().unwrap();
        Ok(state
            .outbox
            .range(after.saturating_add(1)..)
            .take(limit as usize)
            .map(|(position, body)| OutboxDocument { position: *position, body: body.clone() })
            .collect())
    }
    fn acknowledge_outbox(&self, up_to: u64) -> Result<u64, StoreError> {
        let outbox = &mut self.state.lock().unwrap().outbox;
        let kept = outbox.split_off(&up_to.saturating_add(1));
        Ok(std::mem::replace(outbox, kept).len() as u64)
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
        "read_queries_list_what_is_stored",
        "read_queries_check_the_reader",
        "read_outbox_in_commit_order",
        "read_outbox_across_concurrent_writers",
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
    let teacher = Actor::Teacher(user(TEACHER));
    let good = Engine::with_document_store(Arc::new(MirrorStore::default()), None, None, None, None, true);
    let session = good.create_session(teacher, new_group_session(), None).unwrap().value;
    let code_of = |failure: &'static str| {
        let engine = Engine::with_document_store(
            Arc::new(MirrorStore { failure, ..Default::default() }),
            None,
            None,
            None,
            None,
            true,
        );
        engine.session(Actor::System, session.id).unwrap_err()
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
        true,
    );
    let teacher = Actor::Teacher(user(TEACHER));
    let new = NewGroupSession {
        starts_at: now + TimeDelta::days(1),
        waitlist_enabled: true,
        waitlist_mode: WaitlistMode::Offer { hold_minutes: 30 },
        ..new_group_session()
    };
    let session = engine.create_session(teacher, new, None).unwrap().value;
    let (ana, ben) = ("00000000-0000-0000-0000-000000000002", "00000000-0000-0000-0000-000000000003");
    let student = |id: &str| Actor::Student(user(id));
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
    assert_eq!(sweep.events.iter().map(|e| e.kind.name()).collect::<Vec<_>>(), ["offer_expired"]);
    assert_eq!(engine.seat_booking(Actor::System, second.id).unwrap().status, SeatStatus::Expired);
    assert!(store.state.lock().unwrap().offer_deadlines.is_empty(), "the deadline is cleared with the offer");
}

#[test]
fn the_read_side_through_a_document_store() {
    let now = DateTime::<Utc>::from_timestamp(1_900_000_000, 0).unwrap();
    let store = Arc::new(MirrorStore::default());
    let engine = Engine::with_document_store(
        Arc::clone(&store) as Arc<dyn DocumentStore>,
        Some(ManualClock::new(now).unwrap()),
        None,
        None,
        None,
        true,
    );
    let teacher = || Actor::Teacher(user(TEACHER));
    let new = NewGroupSession { starts_at: now + TimeDelta::days(1), ..new_group_session() };
    let session = engine.create_session(teacher(), new, None).unwrap().value;
    let ana = user("00000000-0000-0000-0000-000000000002");
    let seat = engine.book_seat(Actor::Student(ana), session.id, ana, None).unwrap().value;
    let (from, to) = (now, now + TimeDelta::days(30));

    let agenda = engine.student_agenda(Actor::Student(ana), ana, from, to, 10, vec![], None).unwrap();
    assert_eq!(agenda.items.iter().map(|i| i.booking_id).collect::<Vec<_>>(), [seat.id]);
    assert_eq!(agenda.next, None);
    let page = engine.teacher_agenda(teacher(), user(TEACHER), from, to, 1, None).unwrap();
    assert_eq!(page.items[0].session_id, Some(session.id));
    let roster = engine.roster(teacher(), session.id, 10, None).unwrap();
    assert_eq!(roster.entries.items[0].student_id, Some(ana));
    assert!(engine.approval_queue(teacher(), user(TEACHER), 10, None).unwrap().items.is_empty());
    assert_eq!(engine.starting_between(Actor::System, from, to, 10, None).unwrap().items.len(), 1);

    // Bad pages and windows are typed errors, never panics.
    let code = |r: Result<booking_uniffi::StudentAgendaPage, BookingError>| r.unwrap_err().code().to_owned();
    let agenda_of = |limit, after: Option<&str>, to| {
        engine.student_agenda(Actor::Student(ana), ana, from, to, limit, vec![], after.map(String::from))
    };
    assert_eq!(code(agenda_of(0, None, to)), "invalid_input");
    assert_eq!(code(agenda_of(501, None, to)), "invalid_input");
    assert_eq!(code(agenda_of(10, Some("bad\ntoken"), to)), "invalid_input");
    assert_eq!(code(agenda_of(10, Some(""), to)), "invalid_input");
    assert_eq!(code(agenda_of(10, None, from)), "invalid_input");
    assert_eq!(code(agenda_of(10, None, from + TimeDelta::days(401))), "invalid_input");
    assert_eq!(engine.roster(teacher(), session.id, 10, Some("x".into())).unwrap_err().code(), "invalid_input");
    assert_eq!(engine.outbox(teacher(), 0, 10).unwrap_err().code(), "not_authorized");

    // The outbox went through the store, in commit order; acknowledging empties it.
    let events = engine.outbox(Actor::System, 0, 100).unwrap();
    assert_eq!(events.iter().map(|e| e.position).collect::<Vec<_>>(), (1..=events.len() as u64).collect::<Vec<_>>());
    assert_eq!(events[0].event.kind.name(), "session_created");
    assert_eq!(engine.acknowledge_outbox(Actor::System, events.len() as u64).unwrap(), events.len() as u64);
    assert!(engine.outbox(Actor::System, 0, 100).unwrap().is_empty());

    // The backfill hook computes what the engine wrote.
    let (body, kept) = {
        let state = store.state.lock().unwrap();
        let key = (AggregateKind::Session, session.id.to_string());
        (state.documents[&key].body.clone(), state.read_entries[&key].clone())
    };
    let computed: Vec<_> = index_entries(AggregateKind::Session, body)
        .unwrap()
        .into_iter()
        .map(|e| (e.index, e.partition, e.sort))
        .collect();
    assert_eq!(computed, kept);
    assert_eq!(index_entries(AggregateKind::Lesson, "{".into()).unwrap_err().code(), "invalid_input");
    assert!(index_entries(AggregateKind::Calendar, "{}".into()).unwrap().is_empty());
}
