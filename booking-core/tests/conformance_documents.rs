//! The conformance suite through the document adapter, on the reference document store.

use booking_core::document::{DocumentRepository, MemoryDocumentStore};

booking_core::conformance_tests!(DocumentRepository::new(MemoryDocumentStore::new()));

mod tampering {
    use booking_core::document::{Document, DocumentRepository, DocumentStore, MemoryDocumentStore};
    use booking_core::repository::AggregateKey;
    use booking_core::{Actor, BookingError, Engine, NewGroupSession, UserId};
    use chrono::{Duration, Utc};
    use std::sync::Arc;

    fn session_in(
        store: &Arc<MemoryDocumentStore>,
    ) -> (Engine<DocumentRepository<Arc<MemoryDocumentStore>>>, AggregateKey) {
        let engine = Engine::new(DocumentRepository::new(Arc::clone(store)));
        let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
        let session = engine
            .create_session(
                Actor::Teacher(teacher),
                NewGroupSession {
                    teacher_id: teacher,
                    course_id: None,
                    title: "Choir".into(),
                    starts_at: Utc::now() + Duration::days(2),
                    time_zone: "Europe/Vienna".into(),
                    duration_minutes: 60,
                    meeting_link: "https://meet.example.com/choir".into(),
                    capacity: 2,
                    waitlist_enabled: false,
                    waitlist_mode: Default::default(),
                    rules: Default::default(),
                },
            )
            .unwrap()
            .value;
        (engine, AggregateKey::Session(session.id))
    }

    #[test]
    fn a_document_stored_under_the_wrong_version_is_corrupt() {
        let store = Arc::new(MemoryDocumentStore::new());
        let (engine, key) = session_in(&store);
        let document = store.load(key).unwrap().unwrap();
        store.put_document(key, Document { version: document.version + 1, ..document });
        let error = engine.session(Actor::System, booking_core::SessionId::from_uuid(key.uuid())).unwrap_err();
        assert!(matches!(error, BookingError::CorruptRecord { .. }), "{error:?}");
    }

    #[test]
    fn a_document_that_does_not_decode_is_corrupt() {
        let store = Arc::new(MemoryDocumentStore::new());
        let (engine, key) = session_in(&store);
        store.put_document(key, Document { version: 1, body: "{\"id\": 3}".into() });
        let error = engine.session(Actor::System, booking_core::SessionId::from_uuid(key.uuid())).unwrap_err();
        assert_eq!(error.code().as_str(), "corrupt_record");
    }

    #[test]
    fn a_document_of_another_aggregate_is_corrupt() {
        let store = Arc::new(MemoryDocumentStore::new());
        let (engine, key) = session_in(&store);
        let (_, other) = session_in(&store);
        store.put_document(key, store.load(other).unwrap().unwrap());
        let error = engine.session(Actor::System, booking_core::SessionId::from_uuid(key.uuid())).unwrap_err();
        assert_eq!(error.code().as_str(), "corrupt_record");
    }
}

/// Calendars stored by 0.1 (holds without course, teacher and busy time) still load, with
/// those filled in from the held lessons, and the next command writes them in the new form.
mod upgrade {
    use booking_core::availability::SlotRecurrence;
    use booking_core::document::{Document, DocumentRepository, DocumentStore, MemoryDocumentStore};
    use booking_core::lesson::SlotSpec;
    use booking_core::repository::{AggregateKey, Repository};
    use booking_core::{Actor, Engine, ManualClock, UserId};
    use chrono::{NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
    use std::sync::Arc;

    #[test]
    fn a_calendar_of_version_0_1_loads_and_is_rewritten() {
        let store = Arc::new(MemoryDocumentStore::new());
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2030, 1, 1, 8, 0, 0).unwrap());
        let engine = Engine::new(DocumentRepository::new(Arc::clone(&store))).with_clock(clock);
        let (teacher, student) =
            (UserId::from_uuid(uuid::Uuid::from_u128(1)), UserId::from_uuid(uuid::Uuid::from_u128(2)));
        let spec = SlotSpec {
            course_id: None,
            time_zone: "UTC".into(),
            recurrence: SlotRecurrence::Weekly {
                weekday: Weekday::Mon,
                start_time: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                end_time: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
                valid_from: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
                valid_until: None,
            },
            active: true,
            rules: Default::default(),
        };
        let slot = engine.publish_slot(Actor::Teacher(teacher), teacher, spec).unwrap().value;
        let starts_at = Utc.with_ymd_and_hms(2030, 1, 7, 9, 0, 0).unwrap();
        let lesson = engine.book_lesson(Actor::Student(student), slot.id, starts_at, student).unwrap().value;

        // Rewrite both calendars as 0.1 stored them: holds with four fields only.
        for owner in [teacher, student] {
            let key = AggregateKey::Calendar(owner);
            let stored = store.load(key).unwrap().unwrap();
            let mut body: serde_json::Value = serde_json::from_str(&stored.body).unwrap();
            for hold in body["holds"].as_array_mut().unwrap() {
                let hold = hold.as_object_mut().unwrap();
                for field in ["course_id", "teacher_id", "busy_from", "busy_until"] {
                    hold.remove(field);
                }
            }
            for field in ["sessions", "rules", "course_rules", "time_off"] {
                body.as_object_mut().unwrap().remove(field);
            }
            store.put_document(key, Document { version: stored.version, body: body.to_string() });
        }

        let repository = engine.repository();
        let calendar = repository.load_calendar(teacher).unwrap().unwrap();
        let hold = calendar.holds[0];
        assert_eq!((hold.teacher_id, hold.busy_from, hold.busy_until), (teacher, lesson.starts_at, lesson.ends_at));
        let theirs = repository.load_calendar(student).unwrap().unwrap();
        assert_eq!(theirs.holds[0].teacher_id, teacher);
        // The upgraded calendars still keep the lesson's time, and the next command stores the new form.
        let refused = engine.book_lesson(Actor::Student(student), slot.id, starts_at, student).unwrap_err();
        assert_eq!(refused.code().as_str(), "slot_unavailable");
        engine.cancel_lesson(Actor::Student(student), lesson.id).unwrap();
        let rewritten = store.load(AggregateKey::Calendar(teacher)).unwrap().unwrap();
        assert!(rewritten.body.contains("\"time_off\""), "{}", rewritten.body);
    }
}

/// Sessions stored before finished bookings left the session (every booking ever made in
/// `bookings`) load as they are; the next change moves their finished bookings to the
/// history, and they stay readable by id throughout.
mod legacy_sessions {
    use booking_core::document::{Document, DocumentRepository, DocumentStore, MemoryDocumentStore};
    use booking_core::repository::{AggregateKey, Repository};
    use booking_core::{Actor, BookingId, Engine, GroupSession, NewGroupSession, SeatBooking, SeatStatus, UserId};
    use chrono::{Duration, Utc};
    use std::sync::Arc;

    #[test]
    fn a_session_holding_finished_bookings_sheds_them_on_its_next_change() {
        let store = Arc::new(MemoryDocumentStore::new());
        let engine = Engine::new(DocumentRepository::new(Arc::clone(&store)));
        let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
        let student = |n: u128| UserId::from_uuid(uuid::Uuid::from_u128(100 + n));
        let session = engine
            .create_session(
                Actor::Teacher(teacher),
                NewGroupSession {
                    teacher_id: teacher,
                    course_id: None,
                    title: "Choir".into(),
                    starts_at: Utc::now() + Duration::days(2),
                    time_zone: "Europe/Vienna".into(),
                    duration_minutes: 60,
                    meeting_link: "https://meet.example.com/choir".into(),
                    capacity: 1,
                    waitlist_enabled: true,
                    waitlist_mode: Default::default(),
                    rules: Default::default(),
                },
            )
            .unwrap()
            .value;
        let seat = engine.book_seat(Actor::Student(student(1)), session.id, student(1)).unwrap().value;
        let key = AggregateKey::Session(session.id);
        // Store it as an earlier version did: a cancelled and an expired booking kept inside
        // (their ids indexed as an earlier version indexed them).
        let stored = store.load(key).unwrap().unwrap();
        let mut old: GroupSession = serde_json::from_str(&stored.body).unwrap();
        let gone = |n: u128, status| SeatBooking {
            id: BookingId::from_uuid(uuid::Uuid::from_u128(900 + n)),
            student_id: student(n),
            status,
            ..seat.clone()
        };
        old.bookings.insert(0, gone(2, SeatStatus::Cancelled));
        old.bookings.push(gone(3, SeatStatus::Expired));
        store.put_document(key, Document { version: stored.version, body: serde_json::to_string(&old).unwrap() });
        // Index the old bookings by booking them through a tiny commit of the store itself.
        let index = booking_core::document::DocumentCommit {
            writes: vec![],
            new_bookings: [2, 3]
                .map(|n| {
                    (gone(n, SeatStatus::Cancelled).id, booking_core::repository::BookingLocation::Session(session.id))
                })
                .to_vec(),
            new_slots: vec![],
            request: None,
            events: vec![],
            finished_bookings: vec![],
            outbox: vec![],
        };
        store.commit(index).unwrap();

        // Read as it is: the finished bookings are found in the session.
        assert_eq!(
            engine.seat_booking(Actor::System, gone(2, SeatStatus::Cancelled).id).unwrap().status,
            SeatStatus::Cancelled
        );
        assert_eq!(engine.session(Actor::System, session.id).unwrap().bookings.len(), 3);
        let refused = engine.cancel_booking(Actor::Student(student(3)), gone(3, SeatStatus::Expired).id).unwrap_err();
        assert_eq!(refused.code().as_str(), "invalid_transition");

        // The next change moves them to the history.
        let waiting = engine.book_seat(Actor::Student(student(4)), session.id, student(4)).unwrap().value;
        let now = engine.repository().load_session(session.id).unwrap().unwrap();
        assert_eq!(now.bookings.iter().map(|b| b.id).collect::<Vec<_>>(), [seat.id, waiting.id]);
        for (n, status) in [(2, SeatStatus::Cancelled), (3, SeatStatus::Expired)] {
            let id = gone(n, status).id;
            assert_eq!(engine.repository().load_finished_booking(id).unwrap().map(|b| b.status), Some(status));
            assert_eq!(engine.seat_booking(Actor::System, id).unwrap(), gone(n, status));
        }
    }
}
