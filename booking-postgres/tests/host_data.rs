//! The host-owned course data, set with the store's setters (mirroring
//! `InMemoryRepository`), as the engine reads it. Needs `BOOKING_PG_URL`.

mod common;

use booking_core::{CourseId, Repository, UserId, lesson::ApprovalSettings};

#[test]
fn setters_mirror_the_in_memory_store() {
    let test = common::test_store();
    let memory = booking_core::InMemoryRepository::new();
    let (course, other) =
        (CourseId::from_uuid(uuid::Uuid::from_u128(10)), CourseId::from_uuid(uuid::Uuid::from_u128(11)));
    let (teacher, student) = (UserId::from_uuid(uuid::Uuid::from_u128(1)), UserId::from_uuid(uuid::Uuid::from_u128(2)));
    let same = |what: &str| {
        for c in [course, other] {
            assert_eq!(
                test.store.approval_settings(c, teacher).unwrap(),
                memory.approval_settings(c, teacher).unwrap(),
                "{what}: approval of {c}"
            );
            assert_eq!(
                test.store.is_enrolled(student, c).unwrap(),
                memory.is_enrolled(student, c).unwrap(),
                "{what}: enrollment in {c}"
            );
        }
    };
    same("nothing set");
    assert_eq!(test.store.approval_settings(course, teacher).unwrap(), ApprovalSettings::default());

    test.store.set_course_approval(course, Some(true)).unwrap();
    memory.set_course_approval(course, Some(true));
    test.store.set_teacher_approval(teacher, course, Some(false)).unwrap();
    memory.set_teacher_approval(teacher, course, Some(false));
    test.store.enroll(student, course).unwrap();
    memory.enroll(student, course);
    test.store.enroll(student, course).unwrap(); // twice is once
    memory.enroll(student, course);
    same("set");
    assert_eq!(
        test.store.approval_settings(course, teacher).unwrap(),
        ApprovalSettings { course: Some(true), teacher_override: Some(false) }
    );

    test.store.set_course_approval(course, Some(false)).unwrap();
    memory.set_course_approval(course, Some(false));
    same("changed");

    test.store.set_course_approval(course, None).unwrap();
    memory.set_course_approval(course, None);
    test.store.set_teacher_approval(teacher, course, None).unwrap();
    memory.set_teacher_approval(teacher, course, None);
    test.store.unenroll(student, course).unwrap();
    memory.unenroll(student, course);
    test.store.unenroll(student, other).unwrap(); // never enrolled: nothing to do
    memory.unenroll(student, other);
    same("removed");
}

/// Retention of the outbox: events that occurred strictly before the instant go, the others
/// stay (the session's events are read in commit order as before).
#[test]
fn prune_events_deletes_by_instant() {
    use booking_core::{Actor, Engine, ManualClock, NewGroupSession};
    use chrono::{TimeDelta, TimeZone, Utc};
    let test = common::test_store();
    let t0 = Utc.with_ymd_and_hms(2030, 3, 4, 9, 0, 0).unwrap();
    let clock = std::sync::Arc::new(ManualClock::new(t0));
    let engine = Engine::new(test.store.clone()).with_clock(clock.clone());
    let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
    let session = engine
        .create_session(
            Actor::Teacher(teacher),
            NewGroupSession {
                teacher_id: teacher,
                course_id: None,
                title: "Retention".into(),
                starts_at: t0 + TimeDelta::days(30),
                time_zone: "Europe/Berlin".into(),
                duration_minutes: 60,
                meeting_link: "https://meet.example.com/r".into(),
                capacity: 3,
                waitlist_enabled: true,
                waitlist_mode: Default::default(),
                rules: Default::default(),
            },
        )
        .unwrap()
        .value;
    clock.advance(TimeDelta::days(2));
    let student = UserId::from_uuid(uuid::Uuid::from_u128(2));
    engine.book_seat(Actor::Student(student), session.id, student).unwrap();
    let kinds = |events: Vec<booking_postgres::OutboxEvent>| -> Vec<&'static str> {
        events.iter().map(|e| e.event.kind.name()).collect()
    };
    assert_eq!(kinds(test.store.session_events(session.id).unwrap()), ["session_created", "booking_confirmed"]);
    assert_eq!(test.store.prune_events(t0).unwrap(), 0, "nothing occurred before t0");
    assert_eq!(test.store.prune_events(t0 + TimeDelta::days(1)).unwrap(), 1);
    assert_eq!(kinds(test.store.session_events(session.id).unwrap()), ["booking_confirmed"]);
}
