//! What a host sees of the engine under load: its counters and its `tracing` events.

use booking_core::{
    repository::{Commit, StoreWrapper},
    *,
};
use chrono::{TimeZone, Utc};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// The in-memory store, with the next `fail` commits failing as `failure` says.
struct Flaky {
    inner: InMemoryRepository,
    fail: AtomicU32,
    failure: fn() -> StoreError,
}

impl Flaky {
    fn new() -> Self {
        Self { inner: InMemoryRepository::new(), fail: AtomicU32::new(0), failure: || StoreError::Conflict("x".into()) }
    }
}

impl StoreWrapper for Flaky {
    type Inner = InMemoryRepository;

    fn inner(&self) -> &InMemoryRepository {
        &self.inner
    }

    fn commit(this: &Self, commit: Commit) -> Result<(), StoreError> {
        if this.fail.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err((this.failure)());
        }
        this.inner.commit(commit)
    }
}

/// The tests of this file run one at a time: tracing decides whether a call site is wanted when
/// it is first reached, and a test reaching the engine's call sites on another thread while the
/// capturing test installs its subscriber can leave them marked unwanted (a race inside
/// tracing's interest cache), so the capture would see nothing.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

fn user(n: u128) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128(n))
}

fn engine(store: Flaky) -> Engine<Flaky> {
    Engine::new(store)
        .with_clock(ManualClock::new(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()))
        .with_max_attempts(3)
}

fn session(engine: &Engine<Flaky>) -> SessionId {
    let teacher = user(100);
    engine
        .create_session(
            Actor::Teacher(teacher),
            NewGroupSession {
                teacher_id: teacher,
                course_id: None,
                title: "Counted".into(),
                starts_at: Utc.with_ymd_and_hms(2030, 1, 2, 9, 0, 0).unwrap(),
                time_zone: "Europe/Madrid".into(),
                duration_minutes: 60,
                meeting_link: "https://meet.example.com/c".into(),
                capacity: 2,
                waitlist_enabled: false,
                waitlist_mode: Default::default(),
                rules: Default::default(),
            },
        )
        .unwrap()
        .value
        .id
}

#[test]
fn every_command_counts_once_with_how_it_ended() {
    let _serial = serial();
    let engine = engine(Flaky::new());
    let id = session(&engine);
    let teacher = Actor::Teacher(user(100));
    let (alice, bob) = (user(1), user(2));

    engine.book_seat(Actor::Student(alice), id, alice).unwrap();
    // Refused: the same student again.
    assert_eq!(engine.book_seat(Actor::Student(alice), id, alice).unwrap_err().code(), ErrorCode::AlreadyBooked);
    // Unchanged: the capacity it has, without a request key.
    engine.change_capacity(teacher, id, 2).unwrap();
    // Replayed: a keyed command sent twice.
    engine.book_seat(Actor::Student(bob).with_key("bob-1"), id, bob).unwrap();
    assert!(engine.book_seat(Actor::Student(bob).with_key("bob-1"), id, bob).unwrap().replayed);
    // Two lost races, then committed on the third attempt.
    engine.repository().fail.store(2, Ordering::SeqCst);
    engine.change_capacity(teacher, id, 3).unwrap();
    // Every attempt lost: contention.
    engine.repository().fail.store(3, Ordering::SeqCst);
    assert_eq!(engine.change_capacity(teacher, id, 4).unwrap_err().code(), ErrorCode::Contention);

    let counters = engine.counters();
    let expected = [
        ("commands", counters.commands, 8),
        ("committed", counters.committed, 4), // create, alice, bob, capacity 3
        ("unchanged", counters.unchanged, 1),
        ("replayed", counters.replayed, 1),
        ("refused", counters.refused, 1),
        ("conflicts", counters.conflicts, 5),
        ("retries", counters.retries, 4),
        ("contention_errors", counters.contention_errors, 1),
        ("store_errors", counters.store_errors, 0),
        // One command at a time: nothing to batch.
        ("batches", counters.batches, 0),
        ("batched_commits", counters.batched_commits, 0),
    ];
    for (name, got, want) in expected {
        assert_eq!(got, want, "{name} in {counters:?}");
    }
    let endings = counters.committed
        + counters.unchanged
        + counters.replayed
        + counters.refused
        + counters.contention_errors
        + counters.store_errors;
    assert_eq!(endings, counters.commands);
}

#[test]
fn a_store_failure_counts_as_a_store_error() {
    let _serial = serial();
    let mut store = Flaky::new();
    store.failure = || StoreError::Unavailable("partitioned".into());
    let engine = engine(store);
    let id = session(&engine);
    engine.repository().fail.store(1, Ordering::SeqCst);
    let error = engine.book_seat(Actor::Student(user(1)), id, user(1)).unwrap_err();
    assert_eq!(error.code(), ErrorCode::StoreUnavailable);
    let counters = engine.counters();
    assert_eq!((counters.commands, counters.store_errors, counters.retries), (2, 1, 0), "{counters:?}");
}

/// What a `fmt` subscriber wrote, shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).lines().map(str::to_owned).collect()
    }
}

#[test]
fn each_command_is_a_span_with_its_outcome_attempts_and_store_time() {
    let _serial = serial();
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .without_time()
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let engine = engine(Flaky::new());
        let id = session(&engine);
        engine.book_seat(Actor::Student(user(1)), id, user(1)).unwrap();
        engine.repository().fail.store(1, Ordering::SeqCst);
        engine.book_seat(Actor::Student(user(2)), id, user(2)).unwrap();
        engine.book_seat(Actor::Student(user(2)), id, user(2)).unwrap_err();
        engine.repository().fail.store(3, Ordering::SeqCst);
        engine.cancel_session(Actor::Teacher(user(100)), id).unwrap_err();
    });
    let lines = captured.lines();
    let finished: Vec<&String> = lines.iter().filter(|l| l.contains("command finished")).collect();
    assert_eq!(finished.len(), 5, "{lines:#?}");
    let expect = [
        ("create_session", "teacher", "outcome=\"ok\" attempts=1"),
        ("book_seat", "student", "outcome=\"ok\" attempts=1"),
        ("book_seat", "student", "outcome=\"ok\" attempts=2"),
        ("book_seat", "student", "outcome=\"already_booked\" attempts=1"),
        ("cancel_session", "teacher", "outcome=\"contention\" attempts=3"),
    ];
    for (line, (command, actor, outcome)) in finished.iter().zip(expect) {
        assert!(line.contains(&format!("booking_command{{command=\"{command}\" actor=\"{actor}\"}}")), "{line}");
        assert!(line.contains(outcome), "{line}");
        assert!(line.contains("store_micros="), "{line}");
        assert!(line.contains("DEBUG"), "{line}");
    }
    assert_eq!(lines.iter().filter(|l| l.contains("store conflict, deciding again")).count(), 4, "{lines:#?}");
    let gave_up: Vec<&String> = lines.iter().filter(|l| l.contains("contention: gave up")).collect();
    assert_eq!(gave_up.len(), 1, "{lines:#?}");
    assert!(gave_up[0].contains("WARN"), "{}", gave_up[0]);
}

#[test]
fn command_names_are_their_serialized_tags() {
    let commands = [
        Command::CancelSession { session_id: SessionId::from_uuid(uuid::Uuid::from_u128(1)) },
        Command::BookSeat { session_id: SessionId::from_uuid(uuid::Uuid::from_u128(1)), student_id: user(1), seats: 1 },
        Command::DeclineOffer { booking_id: BookingId::from_uuid(uuid::Uuid::from_u128(2)) },
        Command::ExpireOffers { session_id: SessionId::from_uuid(uuid::Uuid::from_u128(1)) },
    ];
    for command in commands {
        let json = serde_json::to_value(&command).unwrap();
        assert_eq!(json["command"], command.name());
    }
}
