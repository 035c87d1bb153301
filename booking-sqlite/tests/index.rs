//! The columns kept beside the bodies hold the core's index of each body
//! (`booking_core::index`), column by column: a field added to the core's index without its
//! column (in the schema and in the commit) fails here.

use booking_core::index::{FinishedBookingIndex, IndexEntry, LessonIndex, ReadIndex, SessionIndex};
use booking_core::{GroupSession, Repository, SeatBooking, lesson::Lesson};
use booking_sqlite::SqliteRepository;
use chrono::DateTime;
use rusqlite::{Connection, types::Value};
use serde_json::Value as Json;
use std::path::PathBuf;
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

/// Index fields this store deliberately keeps no column for, as `(table, field)`: hosts read a
/// lesson's course from its body.
const NOT_KEPT: &[(&str, &str)] = &[("lessons", "course_id")];

/// Whether a stored column holds the index value (instants compared as instants).
fn same(expected: &Json, stored: &Value) -> bool {
    match (expected, stored) {
        (Json::Null, Value::Null) => true,
        (Json::String(e), Value::Text(s)) => {
            e == s
                || matches!((DateTime::parse_from_rfc3339(e), DateTime::parse_from_rfc3339(s)), (Ok(a), Ok(b)) if a == b)
        }
        (Json::Number(n), Value::Integer(i)) => n.as_i64() == Some(*i),
        _ => false,
    }
}

/// Checks every row of `table` against `index(body)`; the rows checked and how many of each
/// column were not null.
fn check_table(
    conn: &Connection,
    table: &str,
    id: &str,
    index: impl Fn(&str) -> Json,
    not_null: &mut std::collections::BTreeMap<String, usize>,
) -> usize {
    let rows: Vec<(String, String)> = conn
        .prepare(&format!("SELECT {id}, body FROM {table}"))
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (key, body) in &rows {
        let expected = index(body);
        let fields = expected.as_object().unwrap_or_else(|| panic!("the index of {table} {key} is not an object"));
        for (column, value) in fields {
            if NOT_KEPT.contains(&(table, column.as_str())) {
                continue;
            }
            let stored: Value = conn
                .query_row(&format!("SELECT {column} FROM {table} WHERE {id} = ?1"), [key], |row| row.get(0))
                .unwrap_or_else(|e| {
                    panic!("{table}.{column}: {e} (a new index field needs its column, in a schema migration and the commit)")
                });
            assert!(same(value, &stored), "{table} {key}: column {column} holds {stored:?}, the core's index {value}");
            if !value.is_null() {
                *not_null.entry(format!("{table}.{column}")).or_default() += 1;
            }
        }
    }
    rows.len()
}

/// Checks that the `read_index` rows of every session and lesson are the core's entries of its
/// body (`IndexEntry::of_session` / `of_lesson`, what `Write::read_entries` gives the commit),
/// and that no row belongs to nothing; returns the entries checked, by index.
fn check_read_index(conn: &Connection, checked: &mut std::collections::BTreeMap<&'static str, usize>) {
    let stored = |kind: &str, id: &str| -> Vec<(String, String, String)> {
        let mut rows: Vec<(String, String, String)> = conn
            .prepare("SELECT \"index\", \"partition\", sort FROM read_index WHERE kind = ?1 AND aggregate_id = ?2")
            .unwrap()
            .query_map([kind, id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        rows
    };
    let expected = |entries: Vec<IndexEntry>| -> Vec<(String, String, String)> {
        let mut rows: Vec<_> =
            entries.into_iter().map(|e| (e.index.as_str().to_owned(), e.partition, e.sort)).collect();
        rows.sort();
        rows
    };
    let mut total = 0;
    for (table, kind) in [("sessions", "session"), ("lessons", "lesson")] {
        let bodies: Vec<(String, String)> = conn
            .prepare(&format!("SELECT id, body FROM {table}"))
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (id, body) in bodies {
            let entries = match kind {
                "session" => IndexEntry::of_session(&serde_json::from_str::<GroupSession>(&body).unwrap()),
                _ => IndexEntry::of_lesson(&serde_json::from_str::<Lesson>(&body).unwrap()),
            };
            for entry in &entries {
                *checked.entry(entry.index.as_str()).or_default() += 1;
            }
            let entries = expected(entries);
            assert_eq!(stored(kind, &id), entries, "the read-index rows of {kind} {id}");
            total += entries.len();
        }
    }
    let rows: i64 = conn.query_row("SELECT count(*) FROM read_index", [], |row| row.get(0)).unwrap();
    assert_eq!(rows, total as i64, "read-index rows that belong to no stored session or lesson");
}

#[test]
fn stored_columns_are_the_core_index() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let factory = || {
        let mut paths = paths.lock().unwrap();
        let path = dir.path().join(format!("store-{}.db", paths.len()));
        paths.push(path.clone());
        Arc::new(SqliteRepository::open(path).unwrap()) as Arc<dyn Repository>
    };
    let report = booking_core::conformance::run_checks(&factory, CHECKS);
    assert!(report.passed(), "{report}");

    let json = |value: Result<Json, serde_json::Error>| value.unwrap();
    let (mut rows, mut not_null) = ([0; 3], std::collections::BTreeMap::new());
    let mut entries = std::collections::BTreeMap::new();
    for path in paths.into_inner().unwrap() {
        let conn = Connection::open(path).unwrap();
        check_read_index(&conn, &mut entries);
        rows[0] += check_table(
            &conn,
            "sessions",
            "id",
            |body| json(serde_json::to_value(SessionIndex::of(&serde_json::from_str::<GroupSession>(body).unwrap()))),
            &mut not_null,
        );
        rows[1] += check_table(
            &conn,
            "lessons",
            "id",
            |body| json(serde_json::to_value(LessonIndex::of(&serde_json::from_str::<Lesson>(body).unwrap()))),
            &mut not_null,
        );
        rows[2] += check_table(
            &conn,
            "finished_bookings",
            "booking_id",
            |body| {
                json(serde_json::to_value(FinishedBookingIndex::of(
                    &serde_json::from_str::<SeatBooking>(body).unwrap(),
                )))
            },
            &mut not_null,
        );
    }
    assert!(rows.iter().all(|n| *n > 0), "sessions, lessons, finished bookings checked: {rows:?}");
    for column in ["sessions.course_id", "sessions.offer_deadline", "lessons.status", "finished_bookings.finished_at"] {
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
