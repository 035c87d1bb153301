//! A database at schema version 1 with rows written by the previous release (bodies without
//! the fields added since) is migrated on open, and every record in it still loads and takes
//! commands. Needs `BOOKING_PG_URL`.

mod common;

use booking_core::{
    Actor, BookingId, Engine, GroupSession, ManualClock, Repository, SeatStatus, SessionId, UserId, WaitlistMode,
    index::{IndexEntry, ReadIndex, sort_bound},
    lesson::{Lesson, LessonStatus},
    repository::{IndexRange, Indexed},
};
use booking_postgres::SCHEMA_VERSION;
use chrono::{TimeZone, Utc};
use postgres::types::Json;
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// Bodies written by booking-core 0.1.0 (see the fixture's comment).
const V1_BODIES: &str = include_str!("fixtures/bodies-v1.json");
/// The schema of version 1, as released.
const V1_SCHEMA: &str = include_str!("../migrations/0001_initial.sql");

fn uuid(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}

fn user(kind: u128, n: u128) -> UserId {
    UserId::from_uuid(uuid((kind << 64) | n))
}

/// Drops the test's schema when the test ends, passed or not.
struct DropSchema(String);

impl Drop for DropSchema {
    fn drop(&mut self) {
        let _ = common::admin_client().batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.0));
    }
}

/// A schema at version 1 holding the fixture's rows, as booking-postgres 0.1.0 left it.
fn version_1_schema() -> DropSchema {
    let name = common::fresh_schema();
    let guard = DropSchema(name.clone());
    let mut client = common::admin_client();
    client.batch_execute(&format!("CREATE SCHEMA \"{name}\"; SET search_path TO \"{name}\"")).unwrap();
    client.batch_execute(V1_SCHEMA).expect("the version 1 schema");
    // The bookkeeping of version 1's migrate.rs.
    client
        .batch_execute(
            "CREATE TABLE booking_schema_version (
                 version    integer     PRIMARY KEY,
                 name       text        NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now()
             );
             INSERT INTO booking_schema_version (version, name) VALUES (1, 'initial');",
        )
        .unwrap();
    let bodies: Value = serde_json::from_str(V1_BODIES).unwrap();
    let id = |v: &Value, field: &str| uuid::Uuid::parse_str(v[field].as_str().unwrap()).unwrap();
    let version = |v: &Value| v["version"].as_i64().unwrap();
    let session = &bodies["session"];
    client
        .execute(
            "INSERT INTO sessions (id, version, teacher_id, course_id, starts_at, body) \
             VALUES ($1, $2, $3, $4, ($5::text)::timestamptz, $6)",
            &[
                &id(session, "id"),
                &version(session),
                &id(session, "teacher_id"),
                &id(session, "course_id"),
                &session["starts_at"].as_str().unwrap(),
                &Json(session),
            ],
        )
        .unwrap();
    for calendar in [&bodies["teacher_calendar"], &bodies["student_calendar"]] {
        client
            .execute(
                "INSERT INTO calendars (owner, version, body) VALUES ($1, $2, $3)",
                &[&id(calendar, "owner"), &version(calendar), &Json(calendar)],
            )
            .unwrap();
    }
    let lesson = &bodies["lesson"];
    client
        .execute(
            "INSERT INTO lessons (id, version, teacher_id, student_id, course_id, starts_at, status, body) \
             VALUES ($1, $2, $3, $4, NULL, ($5::text)::timestamptz, $6, $7)",
            &[
                &id(lesson, "id"),
                &version(lesson),
                &id(lesson, "teacher_id"),
                &id(lesson, "student_id"),
                &lesson["starts_at"].as_str().unwrap(),
                &lesson["status"].as_str().unwrap(),
                &Json(lesson),
            ],
        )
        .unwrap();
    for booking in session["bookings"].as_array().unwrap() {
        client
            .execute(
                "INSERT INTO booking_index (booking_id, kind, session_id) VALUES ($1, 'session', $2)",
                &[&id(booking, "id"), &id(session, "id")],
            )
            .unwrap();
    }
    client.execute("INSERT INTO booking_index (booking_id, kind) VALUES ($1, 'lesson')", &[&id(lesson, "id")]).unwrap();
    client
        .execute(
            "INSERT INTO slot_index (slot_id, teacher_id) VALUES ($1, $2)",
            &[&id(lesson, "slot_id"), &id(lesson, "teacher_id")],
        )
        .unwrap();
    guard
}

/// A copy of the fixture's session as `id` of `teacher`, starting at `starts_at`, maybe cancelled.
fn add_v1_session(schema: &str, id: uuid::Uuid, teacher: UserId, starts_at: &str, cancelled: bool) {
    let cancelled_at = if cancelled { "to_jsonb('2030-03-04T10:00:00Z'::text)" } else { "'null'::jsonb" };
    common::admin_client()
        .execute(
            &format!(
                "INSERT INTO \"{schema}\".sessions (id, version, teacher_id, course_id, starts_at, body) \
                 SELECT $1::uuid, version, $2::uuid, course_id, ($3::text)::timestamptz, \
                        body || jsonb_build_object('id', $1::uuid, 'teacher_id', $2::uuid, 'starts_at', $3::text, \
                                                   'cancelled_at', {cancelled_at}, 'bookings', '[]'::jsonb) \
                 FROM \"{schema}\".sessions WHERE id = $4"
            ),
            &[&id, &teacher.as_uuid(), &starts_at, &uuid(1)],
        )
        .unwrap();
}

fn schema_versions(schema: &str) -> Vec<i32> {
    let mut client = common::admin_client();
    client
        .query(&format!("SELECT version FROM \"{schema}\".booking_schema_version ORDER BY version"), &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn a_version_1_database_is_migrated_and_its_rows_still_load() {
    let schema = version_1_schema();
    for (id, teacher, starts_at, cancelled) in [
        (0xa1, user(1, 2), "2999-01-01T10:00:00Z", false),
        (0xa2, user(1, 2), "2999-01-01T08:00:00Z", true),
        (0xa3, user(1, 2), "2020-01-01T10:00:00Z", false),
        (0xa4, user(1, 3), "2020-01-01T10:00:00Z", false),
    ] {
        add_v1_session(&schema.0, uuid(id), teacher, starts_at, cancelled);
    }
    let store = common::options(&schema.0).open().expect("opening a version 1 database");
    assert_eq!(SCHEMA_VERSION, 8);
    assert_eq!(schema_versions(&schema.0), [1, 2, 3, 4, 5, 6, 7, 8]);
    let deadlines: Vec<Option<chrono::DateTime<Utc>>> = store
        .with_client(|c| c.query("SELECT offer_deadline FROM sessions", &[]))
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(deadlines.len() == 5 && deadlines.iter().all(Option::is_none), "a session of version 1 has no offer");
    assert!(store.sessions_with_offers_due(Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap()).unwrap().is_empty());

    let session = store.load_session(SessionId::from_uuid(uuid(1))).unwrap().expect("the session");
    assert_eq!(session.title, "Written by 0.1");
    assert_eq!(session.waitlist_mode, WaitlistMode::Promote);
    assert_eq!(session.rules, Default::default());
    assert!(session.bookings.iter().all(|b| b.seats == 1 && b.offer_expires_at.is_none()));
    let lesson = store.load_lesson(BookingId::from_uuid(uuid(5))).unwrap().expect("the lesson");
    assert_eq!((lesson.status, lesson.rules), (LessonStatus::Confirmed, Default::default()));
    let teacher = store.load_calendar(user(1, 1)).unwrap().expect("the teacher's calendar");
    let student = store.load_calendar(user(2, 1)).unwrap().expect("the student's calendar");
    assert_eq!(teacher.slots[0].rules, Default::default());
    // The migration completed the holds from the lesson, put the session in its teacher's
    // calendar while it has not ended, and bumped the calendars' versions.
    let held = u64::from(session.ends_at() > Utc::now());
    assert_eq!((teacher.version, student.version), (3 + held, 2));
    assert_eq!(teacher.sessions.len() as u64, held);
    if let Some(s) = teacher.sessions.first() {
        assert_eq!((s.session_id, s.starts_at, s.ends_at), (session.id, session.starts_at, session.ends_at()));
    }
    assert!(student.sessions.is_empty());
    for hold in [teacher.holds[0], student.holds[0]] {
        assert_eq!((hold.booking_id, hold.teacher_id, hold.course_id), (lesson.id, user(1, 1), None));
        assert_eq!((hold.busy_from, hold.busy_until), (lesson.starts_at, lesson.ends_at));
    }
    // A teacher without a calendar: an upcoming session, a cancelled one, one long ended;
    // another teacher with only an ended session.
    let other = store.load_calendar(user(1, 2)).unwrap().expect("a calendar for the other teacher");
    assert_eq!(other.sessions.len(), 1);
    let held = other.sessions[0];
    assert_eq!(held.session_id, SessionId::from_uuid(uuid(0xa1)));
    assert_eq!(held.starts_at, Utc.with_ymd_and_hms(2999, 1, 1, 10, 0, 0).unwrap());
    assert_eq!(held.ends_at, Utc.with_ymd_and_hms(2999, 1, 1, 11, 0, 0).unwrap());
    assert!(other.slots.is_empty() && other.holds.is_empty());
    assert!(store.load_calendar(user(1, 3)).unwrap().is_none(), "no calendar for ended sessions");
    drop(store);

    // Opening again changes nothing.
    common::options(&schema.0).open().expect("reopening");
    assert_eq!(schema_versions(&schema.0), [1, 2, 3, 4, 5, 6, 7, 8]);
}

/// The `read_index` rows of a schema, as `(kind, aggregate_id, index, partition, sort)`, sorted.
fn read_index_rows(client: &mut postgres::Client, schema: &str) -> Vec<(String, uuid::Uuid, String, String, String)> {
    client
        .query(
            &format!(
                "SELECT kind, aggregate_id, index, partition, sort FROM \"{schema}\".read_index ORDER BY 1, 2, 3, 4, 5"
            ),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect()
}

/// The core's read-index entries of every session and lesson body of a schema that decodes, in
/// the form and order of [`read_index_rows`].
fn core_entries(client: &mut postgres::Client, schema: &str) -> Vec<(String, uuid::Uuid, String, String, String)> {
    let mut rows = Vec::new();
    for (table, kind) in [("sessions", "session"), ("lessons", "lesson")] {
        for row in client.query(&format!("SELECT id, body FROM \"{schema}\".{table}"), &[]).unwrap() {
            let (id, body): (uuid::Uuid, Value) = (row.get(0), row.get(1));
            let Ok(entries) = (match kind {
                "session" => serde_json::from_value::<GroupSession>(body).map(|s| IndexEntry::of_session(&s)),
                _ => serde_json::from_value::<Lesson>(body).map(|l| IndexEntry::of_lesson(&l)),
            }) else {
                continue;
            };
            rows.extend(
                entries.into_iter().map(|e| (kind.to_owned(), id, e.index.as_str().to_owned(), e.partition, e.sort)),
            );
        }
    }
    rows.sort();
    rows
}

/// Migration 4 fills the read index of the sessions and lessons of version 1 too.
#[test]
fn a_version_1_database_gets_its_read_index_filled() {
    let schema = version_1_schema();
    add_v1_session(&schema.0, uuid(0xa1), user(1, 2), "2999-01-01T10:00:00Z", false);
    add_v1_session(&schema.0, uuid(0xa2), user(1, 2), "2999-01-01T08:00:00Z", true);
    let store = common::options(&schema.0).open().unwrap();
    let mut admin = common::admin_client();
    let rows = read_index_rows(&mut admin, &schema.0);
    assert_eq!(rows, core_entries(&mut admin, &schema.0));
    let kinds: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(kinds, ["lesson", "session"].into());
    // The other teacher's agenda lists both sessions, the cancelled one too, by start.
    let agenda = store
        .read_index(&IndexRange {
            index: ReadIndex::TeacherAgenda,
            partition: user(1, 2).to_string(),
            after: sort_bound(Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap()),
            before: sort_bound(Utc.with_ymd_and_hms(3000, 1, 1, 0, 0, 0).unwrap()),
            limit: 10,
        })
        .unwrap();
    let listed: Vec<uuid::Uuid> = agenda
        .iter()
        .map(|hit| match &hit.aggregate {
            Indexed::Session(s) => s.id.as_uuid(),
            Indexed::Lesson(l) => l.id.as_uuid(),
        })
        .collect();
    assert_eq!(listed, [uuid(0xa2), uuid(0xa1)]);
}

/// What versions 5 to 8 add, undone (booking_commit stays as version 8 wrote it: migrations 5,
/// 6 and 8 replace it anyway).
const UNDO_VERSIONS_5_TO_8: &str = "DROP FUNCTION booking_commit_all(jsonb); \
     DROP FUNCTION booking_read_outbox(bigint, bigint); DROP TABLE outbox_counter; \
     ALTER TABLE events DROP COLUMN position; DELETE FROM booking_schema_version WHERE version IN (5, 6, 7, 8);";

/// A version 4 outbox (`events.id` the position): its events keep their ids as positions, so a
/// relay's cursor stays valid, and later events come after every id ever drawn.
#[test]
fn a_version_4_outbox_keeps_its_positions() {
    let store = common::test_store();
    let name = store.guard.name.clone();
    let engine = Engine::new(store.store.clone());
    let teacher = user(1, 1);
    let new_session = |n: i64| booking_core::NewGroupSession {
        teacher_id: teacher,
        course_id: None,
        title: format!("Outbox {n}"),
        starts_at: Utc::now() + chrono::TimeDelta::days(n),
        time_zone: "Europe/Vienna".into(),
        duration_minutes: 60,
        meeting_link: "https://meet.example.com/outbox".into(),
        capacity: 5,
        waitlist_enabled: false,
        waitlist_mode: WaitlistMode::default(),
        rules: Default::default(),
    };
    let session = engine.create_session(Actor::Teacher(teacher), new_session(2)).unwrap().value.id;
    for n in 0..3 {
        engine.book_seat(Actor::Student(user(2, n)), session, user(2, n)).unwrap();
    }
    let mut admin = common::admin_client();
    // Back to version 4, with a gap in the ids (an acknowledged event) and ids drawn beyond the
    // last event (commits that rolled back).
    admin
        .batch_execute(&format!(
            "SET search_path TO \"{name}\"; {UNDO_VERSIONS_5_TO_8} \
             DELETE FROM events WHERE id = 2; SELECT setval('events_id_seq', 40); RESET search_path"
        ))
        .unwrap();
    let ids: Vec<i64> = admin
        .query(&format!("SELECT id FROM \"{name}\".events ORDER BY id"), &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, [1, 3, 4]);

    let reopened = common::options(&name).open().expect("migrating a version 4 database");
    assert_eq!(schema_versions(&name), [1, 2, 3, 4, 5, 6, 7, 8]);
    let read = reopened.read_outbox(0, 100).unwrap();
    assert_eq!(read.iter().map(|e| e.position).collect::<Vec<_>>(), [1, 3, 4], "positions are the old ids");
    let later = Engine::new(reopened.clone()).book_seat(Actor::Student(user(2, 9)), session, user(2, 9)).unwrap();
    let after = reopened.read_outbox(4, 100).unwrap();
    assert_eq!(after.iter().map(|e| e.event.clone()).collect::<Vec<_>>(), later.events);
    assert!(after.iter().all(|e| e.position > 40), "new positions after every id drawn: {after:?}");
    assert_eq!(reopened.acknowledge_outbox(4).unwrap(), 3, "acknowledging the old positions");
    assert_eq!(reopened.read_outbox(0, 100).unwrap(), after);
}

/// Version 5's `booking_commit`, the last statement of its migration.
fn version_5_commit() -> &'static str {
    let v5 = include_str!("../migrations/0005_outbox_publish.sql");
    &v5[v5.find("CREATE OR REPLACE FUNCTION booking_commit").expect("version 5 defines booking_commit")..]
}

/// A session's `read_index` rows, each with the transaction that wrote it (`xmin`).
fn rows_with_writer(client: &mut postgres::Client, schema: &str, session: SessionId) -> Vec<(String, String)> {
    client
        .query(
            &format!(
                "SELECT index || ' ' || partition || ' ' || sort, xmin::text FROM \"{schema}\".read_index \
                 WHERE aggregate_id = $1 ORDER BY 1"
            ),
            &[&session.as_uuid()],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// The rows of `before` still in `after` and written by the same transaction (not rewritten).
fn kept<'a>(before: &'a [(String, String)], after: &[(String, String)]) -> Vec<&'a str> {
    before.iter().filter(|row| after.contains(row)).map(|(key, _)| key.as_str()).collect()
}

/// A version 5 database: its read-index rows (all of a session's rewritten by every commit) are
/// kept, and from version 6 on a commit deletes and inserts only the rows that changed.
#[test]
fn a_version_5_database_writes_only_the_read_index_rows_that_changed() {
    // Without the snapshot cache, every commit carries all of its read-index entries (what
    // version 5's booking_commit reads) and none carries the changes of version 8.
    let store = common::test_store_with(|o| o.snapshot_cache(false));
    let name = store.guard.name.clone();
    let teacher = user(1, 1);
    let new_session = booking_core::NewGroupSession {
        teacher_id: teacher,
        course_id: None,
        title: "Read index".into(),
        starts_at: Utc::now() + chrono::TimeDelta::days(2),
        time_zone: "Europe/Vienna".into(),
        duration_minutes: 60,
        meeting_link: "https://meet.example.com/read-index".into(),
        capacity: 10,
        waitlist_enabled: false,
        waitlist_mode: WaitlistMode::default(),
        rules: Default::default(),
    };
    let engine = Engine::new(store.store.clone());
    let session = engine.create_session(Actor::Teacher(teacher), new_session).unwrap().value.id;
    let mut admin = common::admin_client();
    // Back to version 5: its booking_commit, no booking_commit_all, and no record of versions
    // 6 to 8.
    admin
        .batch_execute(&format!(
            "SET search_path TO \"{name}\"; {}; DROP FUNCTION booking_commit_all(jsonb); \
             DELETE FROM booking_schema_version WHERE version IN (6, 7, 8); RESET search_path",
            version_5_commit()
        ))
        .unwrap();
    assert_eq!(schema_versions(&name), [1, 2, 3, 4, 5]);
    let mut bookings = Vec::new();
    for n in 0..3 {
        bookings.push(engine.book_seat(Actor::Student(user(2, n)), session, user(2, n)).unwrap().value.id);
    }
    // Version 5 rewrites every row of the session.
    let before = rows_with_writer(&mut admin, &name, session);
    engine.book_seat(Actor::Student(user(2, 3)), session, user(2, 3)).unwrap();
    let after = rows_with_writer(&mut admin, &name, session);
    assert_eq!((before.len(), after.len()), (5, 6));
    assert!(kept(&before, &after).is_empty(), "version 5 rewrote them all: {before:?} {after:?}");
    assert_eq!(read_index_rows(&mut admin, &name), core_entries(&mut admin, &name));

    let reopened = common::options(&name).open().expect("migrating a version 5 database");
    assert_eq!(schema_versions(&name), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(rows_with_writer(&mut admin, &name, session), after, "the migration writes no row");
    let engine = Engine::new(reopened);
    // A booking inserts its student's row and touches no other.
    engine.book_seat(Actor::Student(user(2, 4)), session, user(2, 4)).unwrap();
    let booked = rows_with_writer(&mut admin, &name, session);
    assert_eq!(booked.len(), 7);
    assert_eq!(kept(&after, &booked).len(), 6, "only the new student's row is written: {after:?} {booked:?}");
    assert_eq!(read_index_rows(&mut admin, &name), core_entries(&mut admin, &name));
    // A cancellation deletes its student's row and touches no other.
    engine.cancel_booking(Actor::Student(user(2, 0)), bookings[0]).unwrap();
    let cancelled = rows_with_writer(&mut admin, &name, session);
    assert_eq!(cancelled.len(), 6);
    assert_eq!(kept(&booked, &cancelled).len(), 6, "only the student's row is deleted: {booked:?} {cancelled:?}");
    assert_eq!(read_index_rows(&mut admin, &name), core_entries(&mut admin, &name));
    // Cancelling the session (and its bookings) only deletes rows: the ones left are untouched.
    engine.cancel_session(Actor::Teacher(teacher), session).unwrap();
    let left = rows_with_writer(&mut admin, &name, session);
    assert!(left.len() < cancelled.len(), "{left:?}");
    assert_eq!(kept(&cancelled, &left).len(), left.len(), "{cancelled:?} {left:?}");
    assert_eq!(read_index_rows(&mut admin, &name), core_entries(&mut admin, &name));
}

/// Migration 4 fills the read index of a database at schema version 3 from the stored bodies:
/// the rows it writes are the core's entries of each body, the same rows the commits had
/// written, and a body that does not decode gets none instead of failing the migration.
#[test]
fn a_version_3_database_gets_its_read_index_filled() {
    let stores: Mutex<Vec<Arc<common::TestStore>>> = Mutex::new(Vec::new());
    let factory = || {
        let store = Arc::new(common::test_store());
        stores.lock().unwrap().push(Arc::clone(&store));
        store as Arc<dyn Repository>
    };
    let checks = ["read_queries_list_what_is_stored", "lesson_transitions", "group_offer_cycle"];
    let report = booking_core::conformance::run_checks(&factory, &checks);
    assert!(report.passed(), "{report}");

    let mut admin = common::admin_client();
    let mut filled = 0;
    for store in stores.into_inner().unwrap() {
        let name = store.guard.name.clone();
        let written = read_index_rows(&mut admin, &name);
        assert_eq!(written, core_entries(&mut admin, &name), "the commits wrote the core's entries");
        // Back to version 3: the read index and booking_commit's new body are all version 4 adds
        // (versions 5 to 8 are undone first, see UNDO_VERSIONS_5_TO_8).
        admin
            .batch_execute(&format!("SET search_path TO \"{name}\"; {UNDO_VERSIONS_5_TO_8} RESET search_path"))
            .unwrap();
        admin
            .batch_execute(&format!(
                "SET search_path TO \"{name}\"; DROP TABLE read_index; \
                 DELETE FROM booking_schema_version WHERE version = 4; \
                 INSERT INTO sessions (id, version, teacher_id, starts_at, body) \
                 VALUES ('00000000-0000-0000-0000-0000000000d1', 1, gen_random_uuid(), now(), '{{\"id\": 1}}'); \
                 RESET search_path"
            ))
            .unwrap();
        assert_eq!(schema_versions(&name), [1, 2, 3]);

        let reopened = common::options(&name).open().expect("migrating a version 3 database");
        assert_eq!(schema_versions(&name), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(read_index_rows(&mut admin, &name), written, "the migration writes what the commits wrote");
        filled += written.len();
        drop(reopened);
    }
    assert!(filled > 50, "only {filled} read-index rows were filled");
}

#[test]
fn rows_written_by_version_1_take_commands() {
    let schema = version_1_schema();
    let now = Utc.with_ymd_and_hms(2030, 3, 4, 10, 0, 0).unwrap();
    let engine = Engine::new(common::options(&schema.0).open().unwrap()).with_clock(ManualClock::new(now));
    let receipt = engine.cancel_booking(Actor::Student(user(2, 1)), BookingId::from_uuid(uuid(2))).unwrap();
    let kinds: Vec<_> = receipt.events.iter().map(|e| e.kind.name()).collect();
    assert_eq!(kinds, ["booking_cancelled", "booking_promoted"]);
    assert_eq!(
        engine.seat_booking(Actor::System, BookingId::from_uuid(uuid(3))).unwrap().status,
        SeatStatus::Confirmed
    );
    let lesson = engine.cancel_lesson(Actor::Student(user(2, 1)), BookingId::from_uuid(uuid(5))).unwrap();
    assert_eq!(lesson.value.status, LessonStatus::Cancelled);
    assert!(engine.calendar(Actor::System, user(1, 1)).unwrap().holds.is_empty());
    assert!(engine.calendar(Actor::System, user(2, 1)).unwrap().holds.is_empty());
}

/// Migration 3 moves the finished bookings that session bodies still hold to
/// `finished_bookings`, bumping the session's version; they stay readable by id, and commands
/// on them are refused as before.
#[test]
fn finished_bookings_move_out_of_stored_sessions() {
    let schema = version_1_schema();
    let mut admin = common::admin_client();
    let updated = admin
        .execute(
            &format!(
                "UPDATE \"{}\".sessions SET body = jsonb_set(body, '{{bookings}}', jsonb_build_array(jsonb_build_object(\
                 'id', $1::uuid, 'session_id', id, 'student_id', $2::uuid, 'status', 'cancelled', \
                 'booked_at', '2030-03-04T08:00:00Z', 'updated_at', '2030-03-04T08:30:00Z')) || (body->'bookings')) \
                 WHERE id = $3",
                schema.0
            ),
            &[&uuid(0x99), &user(2, 7).as_uuid(), &uuid(1)],
        )
        .unwrap();
    assert_eq!(updated, 1);
    admin
        .execute(
            &format!(
                "INSERT INTO \"{}\".booking_index (booking_id, kind, session_id) VALUES ($1, 'session', $2)",
                schema.0
            ),
            &[&uuid(0x99), &uuid(1)],
        )
        .unwrap();
    let before: i64 = admin
        .query_one(&format!("SELECT version FROM \"{}\".sessions WHERE id = $1", schema.0), &[&uuid(1)])
        .unwrap()
        .get(0);

    let now = Utc.with_ymd_and_hms(2030, 3, 4, 10, 0, 0).unwrap();
    let engine = Engine::new(common::options(&schema.0).open().unwrap()).with_clock(ManualClock::new(now));
    let session = engine.session(Actor::System, SessionId::from_uuid(uuid(1))).unwrap();
    assert_eq!(session.version as i64, before + 1, "the migration bumps the version of a session it changes");
    assert_eq!(
        session.bookings.iter().map(|b| (b.id.as_uuid(), b.status)).collect::<Vec<_>>(),
        [(uuid(2), SeatStatus::Confirmed), (uuid(3), SeatStatus::Waitlisted)]
    );
    let id = BookingId::from_uuid(uuid(0x99));
    let finished = engine.repository().load_finished_booking(id).unwrap().expect("in the history");
    assert_eq!((finished.status, finished.seats, finished.student_id), (SeatStatus::Cancelled, 1, user(2, 7)));
    assert_eq!(engine.seat_booking(Actor::System, id).unwrap(), finished);
    let refused = engine.cancel_booking(Actor::Student(user(2, 7)), id).unwrap_err();
    assert_eq!(refused.code().as_str(), "invalid_transition");
    // A cancellation now moves the booking in the commit's transaction.
    engine.cancel_booking(Actor::Student(user(2, 1)), BookingId::from_uuid(uuid(2))).unwrap();
    let rows: Vec<(uuid::Uuid, String)> = admin
        .query(&format!("SELECT booking_id, status FROM \"{}\".finished_bookings ORDER BY finished_at", schema.0), &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(rows, [(uuid(0x99), "cancelled".to_owned()), (uuid(2), "cancelled".to_owned())]);
    assert_eq!(engine.session(Actor::System, session.id).unwrap().bookings.len(), 1);
}
