//! Contracts other languages rely on: stable error codes, JSON shapes, thread safety.

use booking_core::*;
use chrono::{TimeZone, Utc};
use std::collections::HashSet;

#[test]
fn error_codes_are_unique_snake_case_and_stable() {
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let unique: HashSet<_> = codes.iter().collect();
    assert_eq!(unique.len(), codes.len(), "duplicate code in {codes:?}");
    for code in &codes {
        assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{code} is not snake_case");
    }
    // A few codes the bindings document; they must never change.
    for fixed in ["invalid_input", "session_full", "already_booked", "not_authorized", "session_started", "contention"]
    {
        assert!(codes.contains(&fixed), "{fixed} missing");
    }
}

#[test]
fn error_json_carries_its_code() {
    let e = BookingError::SessionFull { session_id: SessionId::from_uuid(uuid::Uuid::from_u128(5)), capacity: 3 };
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["code"], "session_full");
    assert_eq!(json["capacity"], 3);
    assert_eq!(serde_json::from_value::<BookingError>(json).unwrap(), e);
    assert_eq!(serde_json::to_value(e.code()).unwrap(), "session_full");
}

#[test]
fn retryable_codes_are_flagged() {
    let retryable: Vec<&str> = ErrorCode::ALL.iter().filter(|c| c.is_retryable()).map(|c| c.as_str()).collect();
    assert_eq!(retryable, ["contention", "store_unavailable"]);
    let lost = StoreError::Unavailable("timed out".into());
    let e = BookingError::from(lost);
    assert_eq!(e.code().as_str(), "store_unavailable");
    assert_eq!(e.to_string(), "store unavailable, retry later: timed out");
    assert!(!BookingError::from(StoreError::Backend("disk full".into())).code().is_retryable());
}

#[test]
fn invalid_input_codes_are_flagged() {
    assert!(ErrorCode::UnknownTimeZone.is_invalid_input());
    assert!(!ErrorCode::SessionFull.is_invalid_input());
}

fn played_engine() -> (Engine<InMemoryRepository>, SessionId, Vec<Event>) {
    let engine = Engine::new(InMemoryRepository::new())
        .with_clock(ManualClock::new(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()))
        .with_ids(SequentialIds::default());
    let teacher = UserId::from_uuid(uuid::Uuid::from_u128(100));
    let course = CourseId::from_uuid(uuid::Uuid::from_u128(7));
    let created = engine
        .create_session(
            Actor::Teacher(teacher),
            NewGroupSession {
                teacher_id: teacher,
                course_id: Some(course),
                title: "Round trip".into(),
                starts_at: Utc.with_ymd_and_hms(2030, 1, 2, 0, 0, 0).unwrap(),
                time_zone: "Australia/Adelaide".into(),
                duration_minutes: 30,
                meeting_link: "https://meet.example.com/rt".into(),
                capacity: 1,
                waitlist_enabled: true,
                waitlist_mode: Default::default(),
                rules: Default::default(),
            },
        )
        .unwrap();
    let mut events = created.events;
    for n in 1..=2 {
        let s = UserId::from_uuid(uuid::Uuid::from_u128(n));
        engine.repository().enroll(s, course);
        events.extend(engine.book_seat(Actor::Student(s), created.value.id, s).unwrap().events);
    }
    (engine, created.value.id, events)
}

#[test]
fn public_types_round_trip_through_json() {
    let (engine, id, events) = played_engine();
    let session = engine.session(Actor::System, id).unwrap();
    let json = serde_json::to_string(&*session).unwrap();
    assert!(json.contains("\"time_zone\":\"Australia/Adelaide\""), "{json}");
    assert_eq!(serde_json::from_str::<GroupSession>(&json).unwrap(), *session);
    let json = serde_json::to_string(&events).unwrap();
    assert!(json.contains("\"type\":\"booking_waitlisted\""), "{json}");
    assert_eq!(serde_json::from_str::<Vec<Event>>(&json).unwrap(), events);
    let command = Command::ChangeCapacity { session_id: id, capacity: 3 };
    let json = serde_json::to_string(&command).unwrap();
    assert_eq!(serde_json::from_str::<Command>(&json).unwrap(), command);
    let actor = Actor::Admin(UserId::from_uuid(uuid::Uuid::from_u128(9)));
    assert_eq!(serde_json::to_value(actor).unwrap()["role"], "admin");
    assert_eq!(serde_json::from_value::<Actor>(serde_json::to_value(actor).unwrap()).unwrap(), actor);
}

#[test]
fn invalid_values_are_refused_when_decoding() {
    assert!(serde_json::from_str::<MeetingLink>("\"ftp://example.com\"").is_err());
    assert!(serde_json::from_str::<RequestKey>("\"\"").is_err());
    let (engine, id, _) = played_engine();
    let json = serde_json::to_string(&*engine.session(Actor::System, id).unwrap()).unwrap();
    let tampered = json.replace("Australia/Adelaide", "Nowhere/Atlantis");
    assert!(serde_json::from_str::<GroupSession>(&tampered).is_err());
}

#[test]
fn engine_and_store_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Engine<InMemoryRepository>>();
    assert_send_sync::<Engine<std::sync::Arc<dyn Repository>>>();
    assert_send_sync::<BookingError>();
}

#[test]
fn sessions_stored_before_the_seat_limit_keep_no_limit_but_the_capacity() {
    let engine = Engine::new(InMemoryRepository::new())
        .with_clock(ManualClock::new(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()))
        .with_ids(SequentialIds::default());
    let teacher = UserId::from_uuid(uuid::Uuid::from_u128(100));
    let new = NewGroupSession {
        teacher_id: teacher,
        course_id: None,
        title: "Stored long ago".into(),
        starts_at: Utc.with_ymd_and_hms(2030, 1, 2, 0, 0, 0).unwrap(),
        time_zone: "UTC".into(),
        duration_minutes: 30,
        meeting_link: "https://meet.example.com/old".into(),
        capacity: 3,
        waitlist_enabled: false,
        waitlist_mode: Default::default(),
        rules: Default::default(),
    };
    let session = engine.create_session(Actor::Teacher(teacher), new).unwrap().value;
    let json = serde_json::to_string(&*session).unwrap();
    assert!(json.contains("\"max_seats_per_booking\":1"), "new sessions record the default: {json}");
    let old: GroupSession = serde_json::from_str(&json.replace(",\"max_seats_per_booking\":1", "")).unwrap();
    assert_eq!(old.rules.max_seats_per_booking, None);
    let student = UserId::from_uuid(uuid::Uuid::from_u128(1));
    let ctx = group::DecisionContext {
        actor: Actor::Student(student),
        now: Utc.with_ymd_and_hms(2030, 1, 1, 1, 0, 0).unwrap(),
        fresh_id: uuid::Uuid::from_u128(77),
    };
    let book = |session: &GroupSession, seats| {
        group::decide(
            session,
            &ctx,
            group::SeatAccess::default(),
            &group::SessionCommand::BookSeat { student_id: student, seats },
        )
    };
    assert_eq!(book(&session, 3).unwrap_err().code().as_str(), "limit_reached");
    assert_eq!(book(&old, 3).unwrap().0.booked_seats(), 3, "the old session keeps its old behaviour");
}
