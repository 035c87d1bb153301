//! The columns kept beside the bodies hold the core's index of each body
//! (`booking_core::index`), column by column: a field added to the core's index without its
//! column (in a migration and in `booking_commit`) fails here. The read index holds the core's
//! entries of each body, and its query scans the primary key. Needs `BOOKING_PG_URL`.

mod common;

use booking_core::index::{FinishedBookingIndex, IndexEntry, LessonIndex, ReadIndex, SessionIndex, sort_bound};
use booking_core::repository::{IndexRange, Indexed};
use booking_core::{Actor, Engine, GroupSession, NewGroupSession, Repository, SeatBooking, UserId, lesson::Lesson};
use booking_postgres::READ_INDEX_QUERY;
use chrono::DateTime;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Conformance checks that leave sessions (with courses and outstanding offers), lessons (with
/// courses, in every status) and finished bookings behind.
const CHECKS: &[&str] = &[
    "group_offer_cycle",
    "group_enrollment",
    "group_finished_bookings_leave_the_session",
    "store_index_queries_agree_with_the_core",
    "lesson_enrollment_and_courses",
    "lesson_transitions",
    "seed_lesson_recurring_series",
    "lesson_reschedule_approval_and_series",
    "read_queries_list_what_is_stored",
];

/// Whether a stored column (as `to_jsonb`) holds the index value (instants compared as
/// instants).
fn same(expected: &Json, stored: &Json) -> bool {
    match (expected, stored) {
        (Json::String(e), Json::String(s)) => {
            e == s
                || matches!((DateTime::parse_from_rfc3339(e), DateTime::parse_from_rfc3339(s)), (Ok(a), Ok(b)) if a == b)
        }
        (e, s) => e == s,
    }
}

/// Checks every row of `table` against `index(body)`; the rows checked.
fn check_table(
    store: &common::TestStore,
    table: &str,
    id: &str,
    index: impl Fn(Json) -> Json,
    not_null: &mut BTreeMap<String, usize>,
) -> usize {
    let rows: Vec<(uuid::Uuid, Json)> = store
        .with_client(|c| c.query(&format!("SELECT {id}, body FROM {table}"), &[]))
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    for (key, body) in &rows {
        let expected = index(body.clone());
        let fields = expected.as_object().unwrap_or_else(|| panic!("the index of {table} {key} is not an object"));
        for (column, value) in fields {
            let stored: Option<Json> = store
                .with_client(|c| {
                    c.query_one(&format!("SELECT to_jsonb({column}) FROM {table} WHERE {id} = $1"), &[key])
                        .map(|row| row.get(0))
                })
                .unwrap_or_else(|e| {
                    panic!(
                        "{table}.{column}: {e} (a new index field needs its column, in a migration and booking_commit)"
                    )
                });
            let stored = stored.unwrap_or(Json::Null);
            assert!(same(value, &stored), "{table} {key}: column {column} holds {stored}, the core's index {value}");
            if !value.is_null() {
                *not_null.entry(format!("{table}.{column}")).or_default() += 1;
            }
        }
    }
    rows.len()
}

/// Checks that the `read_index` rows of every session and lesson are the core's entries of its
/// body (`IndexEntry::of_session` / `of_lesson`, what `Write::read_entries` gives the commit),
/// and that no row belongs to nothing; counts the entries checked, by index.
fn check_read_index(store: &common::TestStore, checked: &mut BTreeMap<&'static str, usize>) {
    type Entry = (String, String, String);
    let mut total = 0;
    for (table, kind) in [("sessions", "session"), ("lessons", "lesson")] {
        let bodies: Vec<(uuid::Uuid, Json)> = store
            .with_client(|c| c.query(&format!("SELECT id, body FROM {table}"), &[]))
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect();
        for (id, body) in bodies {
            let entries = match kind {
                "session" => IndexEntry::of_session(&serde_json::from_value::<GroupSession>(body).unwrap()),
                _ => IndexEntry::of_lesson(&serde_json::from_value::<Lesson>(body).unwrap()),
            };
            for entry in &entries {
                *checked.entry(entry.index.as_str()).or_default() += 1;
            }
            let mut expected: Vec<Entry> =
                entries.into_iter().map(|e| (e.index.as_str().to_owned(), e.partition, e.sort)).collect();
            expected.sort();
            let stored: Vec<Entry> = store
                .with_client(|c| {
                    c.query(
                        "SELECT index, partition, sort FROM read_index WHERE kind = $1 AND aggregate_id = $2 \
                         ORDER BY 1, 2, 3",
                        &[&kind, &id],
                    )
                })
                .unwrap()
                .iter()
                .map(|row| (row.get(0), row.get(1), row.get(2)))
                .collect();
            assert_eq!(stored, expected, "the read-index rows of {kind} {id}");
            total += expected.len();
        }
    }
    let rows: i64 = store.with_client(|c| c.query_one("SELECT count(*) FROM read_index", &[])).unwrap().get(0);
    assert_eq!(rows, total as i64, "read-index rows that belong to no stored session or lesson");
}

/// Runs `CHECKS` on fresh stores, with the snapshot cache on or off; the stores they left.
fn stores_after_checks(snapshot_cache: bool) -> Vec<Arc<common::TestStore>> {
    let stores: Mutex<Vec<Arc<common::TestStore>>> = Mutex::new(Vec::new());
    let factory = || {
        let store = Arc::new(common::test_store_with(|o| o.snapshot_cache(snapshot_cache)));
        stores.lock().unwrap().push(Arc::clone(&store));
        store as Arc<dyn Repository>
    };
    let report = booking_core::conformance::run_checks(&factory, CHECKS);
    assert!(report.passed(), "{report}");
    stores.into_inner().unwrap()
}

/// The read-index rows are the core's entries whether the commits carried every entry (no
/// snapshot cache: the store does not know the state a write was decided on) or only the
/// changes over the cached state (schema version 8), and the two leave the same rows.
#[test]
fn read_index_rows_are_the_core_entries_with_and_without_the_snapshot_cache() {
    let mut counts = Vec::new();
    for snapshot_cache in [true, false] {
        let mut entries = BTreeMap::new();
        for store in stores_after_checks(snapshot_cache) {
            check_read_index(&store, &mut entries);
        }
        counts.push(entries);
    }
    assert_eq!(counts[0], counts[1], "the same checks left different entries with the cache on and off");
}

#[test]
fn stored_columns_are_the_core_index() {
    let stores = stores_after_checks(true);

    let (mut rows, mut not_null) = ([0; 3], BTreeMap::new());
    let mut entries = BTreeMap::new();
    for store in stores {
        check_read_index(&store, &mut entries);
        rows[0] += check_table(
            &store,
            "sessions",
            "id",
            |body| {
                serde_json::to_value(SessionIndex::of(&serde_json::from_value::<GroupSession>(body).unwrap())).unwrap()
            },
            &mut not_null,
        );
        rows[1] += check_table(
            &store,
            "lessons",
            "id",
            |body| serde_json::to_value(LessonIndex::of(&serde_json::from_value::<Lesson>(body).unwrap())).unwrap(),
            &mut not_null,
        );
        rows[2] += check_table(
            &store,
            "finished_bookings",
            "booking_id",
            |body| {
                serde_json::to_value(FinishedBookingIndex::of(&serde_json::from_value::<SeatBooking>(body).unwrap()))
                    .unwrap()
            },
            &mut not_null,
        );
    }
    assert!(rows.iter().all(|n| *n > 0), "sessions, lessons, finished bookings checked: {rows:?}");
    for column in [
        "sessions.course_id",
        "sessions.offer_deadline",
        "lessons.course_id",
        "lessons.status",
        "finished_bookings.finished_at",
    ] {
        assert!(not_null.get(column).is_some_and(|n| *n > 0), "no row with {column} set: {not_null:?}");
    }
    for index in ReadIndex::ALL {
        assert!(
            entries.get(index.as_str()).is_some_and(|n| *n > 0),
            "no {} entry checked: {entries:?}",
            index.as_str()
        );
    }
}

/// `READ_INDEX_QUERY` (what `read_index` runs) on a read index of a few thousand rows, analyzed:
/// the plan, custom and generic (the store's prepared statement may switch to the generic one),
/// is a scan of the primary key, never a sequential scan of the table.
#[test]
fn the_read_index_query_scans_the_primary_key() {
    let store = common::test_store();
    let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
    let session = Engine::new(store.store.clone())
        .create_session(
            Actor::Teacher(teacher),
            NewGroupSession {
                teacher_id: teacher,
                course_id: None,
                title: "Indexed".into(),
                starts_at: chrono::Utc::now() + chrono::TimeDelta::days(3),
                time_zone: "Europe/Vienna".into(),
                duration_minutes: 60,
                meeting_link: "https://meet.example.com/indexed".into(),
                capacity: 5,
                waitlist_enabled: false,
                waitlist_mode: Default::default(),
                rules: Default::default(),
            },
        )
        .unwrap()
        .value;
    let mut client = common::admin_client();
    client.batch_execute(&format!("SET search_path TO \"{}\"", store.guard.name)).unwrap();
    // 4000 entries over 4 indexes and 50 partitions, all of the one session.
    client
        .execute(
            "INSERT INTO read_index (index, partition, sort, kind, aggregate_id) \
             SELECT (ARRAY['student_agenda', 'teacher_agenda', 'approval_queue', 'starts'])[1 + g % 4], \
                    'p' || (g % 50), lpad(g::text, 8, '0') || '/x', 'session', $1 \
             FROM generate_series(1, 4000) AS g",
            &[&session.id.as_uuid()],
        )
        .unwrap();
    client.batch_execute("ANALYZE read_index; ANALYZE sessions; ANALYZE lessons").unwrap();
    let rows: i64 = client.query_one("SELECT count(*) FROM read_index", &[]).unwrap().get(0);
    assert!(rows > 4000, "{rows} rows");

    // Partition p7: g = 7, 57, 107, ...: g % 4 alternates 3 and 1 (starts, teacher_agenda).
    let plan = |client: &mut postgres::Client, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]| {
        let lines: Vec<String> = client.query(sql, params).unwrap().iter().map(|row| row.get(0)).collect();
        eprintln!("{}", lines.join("\n"));
        lines
    };
    let custom = plan(&mut client, &format!("EXPLAIN {READ_INDEX_QUERY}"), &[&"starts", &"p7", &"", &"~", &50i64]);
    client
        .batch_execute(&format!(
            "SET plan_cache_mode = force_generic_plan; PREPARE read_page (text, text, text, text, bigint) AS {READ_INDEX_QUERY}"
        ))
        .unwrap();
    let generic = plan(&mut client, "EXPLAIN EXECUTE read_page('starts', 'p7', '', '~', 50)", &[]);
    for (what, lines) in [("custom", &custom), ("generic", &generic)] {
        assert!(
            lines.iter().any(|l| l.contains("Index") && l.contains("read_index_pkey") && l.contains("read_index")),
            "the {what} plan does not use read_index's primary key:\n{}",
            lines.join("\n")
        );
        assert!(
            !lines.iter().any(|l| l.contains("Seq Scan on read_index")),
            "the {what} plan scans read_index sequentially:\n{}",
            lines.join("\n")
        );
    }

    // And the store's read returns the page the query selects.
    let hits = store
        .read_index(&IndexRange {
            index: ReadIndex::Starts,
            partition: "p7".into(),
            after: String::new(),
            before: sort_bound(chrono::Utc::now() + chrono::TimeDelta::days(1000)),
            limit: 50,
        })
        .unwrap();
    assert_eq!(hits.len(), 40, "the 40 entries of p7 in starts");
    assert!(hits.windows(2).all(|w| w[0].sort < w[1].sort));
    assert!(hits.iter().all(|h| matches!(&h.aggregate, Indexed::Session(s) if s.id == session.id)));
}
