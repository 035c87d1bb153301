//! The columns kept beside the bodies hold the core's index of each body
//! (`booking_core::index`), column by column: a field added to the core's index without its
//! column (in a migration and in `booking_commit`) fails here. Needs `BOOKING_PG_URL`.

mod common;

use booking_core::index::{FinishedBookingIndex, LessonIndex, SessionIndex};
use booking_core::{GroupSession, Repository, SeatBooking, lesson::Lesson};
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

#[test]
fn stored_columns_are_the_core_index() {
    let stores: Mutex<Vec<Arc<common::TestStore>>> = Mutex::new(Vec::new());
    let factory = || {
        let store = Arc::new(common::test_store());
        stores.lock().unwrap().push(Arc::clone(&store));
        store as Arc<dyn Repository>
    };
    let report = booking_core::conformance::run_checks(&factory, CHECKS);
    assert!(report.passed(), "{report}");

    let (mut rows, mut not_null) = ([0; 3], BTreeMap::new());
    for store in stores.into_inner().unwrap() {
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
}
