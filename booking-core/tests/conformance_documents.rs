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
        let error = engine.session(booking_core::SessionId::from_uuid(key.uuid())).unwrap_err();
        assert!(matches!(error, BookingError::CorruptRecord { .. }), "{error:?}");
    }

    #[test]
    fn a_document_that_does_not_decode_is_corrupt() {
        let store = Arc::new(MemoryDocumentStore::new());
        let (engine, key) = session_in(&store);
        store.put_document(key, Document { version: 1, body: "{\"id\": 3}".into() });
        let error = engine.session(booking_core::SessionId::from_uuid(key.uuid())).unwrap_err();
        assert_eq!(error.code().as_str(), "corrupt_record");
    }

    #[test]
    fn a_document_of_another_aggregate_is_corrupt() {
        let store = Arc::new(MemoryDocumentStore::new());
        let (engine, key) = session_in(&store);
        let (_, other) = session_in(&store);
        store.put_document(key, store.load(other).unwrap().unwrap());
        let error = engine.session(booking_core::SessionId::from_uuid(key.uuid())).unwrap_err();
        assert_eq!(error.code().as_str(), "corrupt_record");
    }
}
