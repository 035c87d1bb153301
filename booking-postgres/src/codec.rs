//! Between the engine's types and the database: the commit payload `booking_commit` takes,
//! and the decoding of stored rows (which reports [`StoreError::Corrupt`], never panics).

use crate::cache::SnapshotCache;
use booking_core::{
    Actor, Event, EventKind, GroupSession, SeatBooking,
    index::{IndexEntries, IndexEntry, IndexEntryChanges},
    lesson::{Calendar, Lesson},
    repository::{BookingLocation, Commit, RequestRecord, StoreError, Write},
};
use chrono::{DateTime, Utc};
use postgres::Row;
use postgres::types::{FromSql, Type};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// How an actor is keyed in the `requests` table: `teacher:<uuid>`, `student:<uuid>`,
/// `admin:<uuid>` or `system`.
pub(crate) fn actor_key(actor: &Actor) -> String {
    match actor {
        Actor::Teacher(id) => format!("teacher:{id}"),
        Actor::Student(id) => format!("student:{id}"),
        Actor::Admin(id) => format!("admin:{id}"),
        Actor::System => "system".to_owned(),
    }
}

/// The argument of `booking_commit(jsonb)`.
#[derive(Debug, Serialize)]
pub(crate) struct Payload<'a> {
    request: Option<RequestRow<'a>>,
    bookings: Vec<BookingRow>,
    slots: Vec<SlotRow>,
    writes: Vec<WriteRow<'a>>,
    /// [`Commit::finished_bookings`], kept in `finished_bookings` (schema version 3).
    finished: &'a [SeatBooking],
    events: Vec<EventRow<'a>>,
}

#[derive(Debug, Serialize)]
struct RequestRow<'a> {
    actor: String,
    key: &'a str,
    recorded_at: DateTime<Utc>,
    body: &'a RequestRecord,
}

#[derive(Debug, Serialize)]
struct BookingRow {
    id: Uuid,
    kind: &'static str,
    session_id: Option<Uuid>,
}

#[derive(Debug, Serialize)]
struct SlotRow {
    id: Uuid,
    teacher_id: Uuid,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Body<'a> {
    Session(&'a GroupSession),
    Calendar(&'a Calendar),
    Lesson(&'a Lesson),
}

#[derive(Debug, Serialize)]
struct WriteRow<'a> {
    kind: &'static str,
    id: Uuid,
    expected: i64,
    version: i64,
    body: Body<'a>,
    /// The columns kept beside the body ([`Write::index`]), one field per column, named as
    /// the column: sessions `teacher_id`, `course_id`, `starts_at`, `offer_deadline` (version
    /// 2); lessons `teacher_id`, `student_id`, `course_id`, `starts_at`, `status`. A column a
    /// kind lacks is absent, which `booking_commit` reads as `NULL`.
    #[serde(flatten)]
    index: IndexEntries,
    /// The aggregate's read-index entries ([`Write::read_entries`]: `index`, `partition`,
    /// `sort` each), which replace its rows in `read_index` (schema version 4; since version 6
    /// only the rows that changed are written). Absent when `read_changes` is sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    read_entries: Option<Vec<IndexEntry>>,
    /// (Schema version 8) the entries to delete and to insert, computed by the core from the
    /// state the write was decided on, when the store's cache holds that state
    /// ([`SnapshotCache::read_entry_changes`]); sent instead of `read_entries`.
    #[serde(skip_serializing_if = "Option::is_none")]
    read_changes: Option<IndexEntryChanges>,
}

#[derive(Debug, Serialize)]
struct EventRow<'a> {
    kind: &'static str,
    session_id: Option<Uuid>,
    session_version: Option<i64>,
    booking_id: Option<Uuid>,
    occurred_at: DateTime<Utc>,
    body: &'a Event,
}

fn version(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Backend(format!("version {v} does not fit a bigint")))
}

/// The session whose events a commit's are, and the version the commit gave it.
pub(crate) type EventsSession = Option<(uuid::Uuid, i64)>;

/// The session a commit's events belong to: a group command writes exactly one session
/// (creating or cancelling it also writes the teacher's calendar, which holds its time), and
/// its events are that session's, at the version it writes.
pub(crate) fn events_session(commit: &Commit) -> Result<EventsSession, StoreError> {
    let mut sessions = commit.writes.iter().filter_map(|w| match w {
        Write::Session { session, .. } => Some(session),
        _ => None,
    });
    Ok(match (sessions.next(), sessions.next()) {
        (Some(session), None) => Some((session.id.as_uuid(), version(session.version)?)),
        _ => None,
    })
}

impl<'a> Payload<'a> {
    /// The payload for `commit`, its writes in ascending [`AggregateKey`] order (the lock
    /// order of every commit, so two commits never wait on each other in a cycle).
    ///
    /// [`AggregateKey`]: booking_core::repository::AggregateKey
    ///
    /// A write whose expected state `cache` holds carries its read-index changes instead of
    /// every entry.
    pub(crate) fn new(commit: &'a Commit, cache: Option<&SnapshotCache>) -> Result<Self, StoreError> {
        Self::with_events_of(commit, events_session(commit)?, cache)
    }

    /// The payload for `commit`, its events recorded as those of `session` (id and version):
    /// what [`events_session`] said of the commit before a batch's writes were folded
    /// ([`Commit::fold_chained_writes`] moves a session's write to an earlier commit, but each
    /// commit's events stay those of the version it made).
    pub(crate) fn with_events_of(
        commit: &'a Commit,
        session: EventsSession,
        cache: Option<&SnapshotCache>,
    ) -> Result<Self, StoreError> {
        let mut writes: Vec<&Write> = commit.writes.iter().collect();
        writes.sort_by_key(|w| w.key());
        let writes = writes
            .into_iter()
            .map(|w| {
                let expected = version(w.expected_version())?;
                let read_changes = cache.and_then(|cache| cache.read_entry_changes(w));
                let (kind, id, new_version, body) = match w {
                    Write::Session { session, .. } => {
                        ("session", session.id.as_uuid(), session.version, Body::Session(session))
                    }
                    Write::Calendar { calendar, .. } => {
                        ("calendar", calendar.owner.as_uuid(), calendar.version, Body::Calendar(calendar))
                    }
                    Write::Lesson { lesson, .. } => {
                        ("lesson", lesson.id.as_uuid(), lesson.version, Body::Lesson(lesson))
                    }
                };
                Ok(WriteRow {
                    kind,
                    id,
                    expected,
                    version: version(new_version)?,
                    body,
                    index: w.index(),
                    read_entries: read_changes.is_none().then(|| w.read_entries()),
                    read_changes,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let events = commit
            .events
            .iter()
            .map(|e| EventRow {
                kind: e.kind.name(),
                session_id: session.map(|(id, _)| id).or_else(|| match &e.kind {
                    EventKind::SessionCreated { session } => Some(session.id.as_uuid()),
                    _ => None,
                }),
                session_version: session.map(|(_, v)| v),
                booking_id: e.kind.booking_id().map(|b| b.as_uuid()),
                occurred_at: e.occurred_at,
                body: e,
            })
            .collect();
        Ok(Payload {
            request: commit.request.as_ref().map(|r| RequestRow {
                actor: actor_key(&r.actor),
                key: r.key.as_str(),
                recorded_at: r.recorded_at,
                body: r,
            }),
            bookings: commit
                .new_bookings()
                .map(|(id, location)| match location {
                    BookingLocation::Session(session) => {
                        BookingRow { id: id.as_uuid(), kind: "session", session_id: Some(session.as_uuid()) }
                    }
                    BookingLocation::Lesson => BookingRow { id: id.as_uuid(), kind: "lesson", session_id: None },
                })
                .collect(),
            slots: commit
                .new_slots()
                .map(|(slot, teacher)| SlotRow { id: slot.as_uuid(), teacher_id: teacher.as_uuid() })
                .collect(),
            writes,
            finished: &commit.finished_bookings,
            events,
        })
    }
}

/// A `json`/`jsonb` value's text, borrowed from the row without copying.
pub(crate) struct RawJson<'a>(pub &'a [u8]);

impl<'a> FromSql<'a> for RawJson<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        if *ty == Type::JSONB {
            // The binary jsonb format is a version byte (1) followed by the JSON text.
            match raw.split_first() {
                Some((1, text)) => Ok(RawJson(text)),
                _ => Err("unsupported jsonb binary format version".into()),
            }
        } else {
            Ok(RawJson(raw))
        }
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSONB || *ty == Type::JSON
    }
}

/// Names a stored record in errors: `session 0190...`.
pub(crate) fn record_name(kind: &str, id: impl std::fmt::Display) -> String {
    format!("{kind} {id}")
}

fn corrupt(record: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { record: record.to_owned(), detail: detail.to_string() }
}

/// Column `idx` of `row`, or [`StoreError::Corrupt`] naming `record`.
pub(crate) fn column<'a, T: FromSql<'a>>(row: &'a Row, idx: usize, record: &str) -> Result<T, StoreError> {
    row.try_get(idx).map_err(|e| corrupt(record, format!("column {idx}: {e}")))
}

/// Decodes a JSON body into `T`.
pub(crate) fn decode_json<T: DeserializeOwned>(raw: &[u8], record: &str) -> Result<T, StoreError> {
    serde_json::from_slice(raw).map_err(|e| corrupt(record, format!("body does not decode: {e}")))
}

/// Decodes an aggregate row `(version bigint, body jsonb)` and checks that the body is the
/// aggregate the row is keyed by, at the row's version.
pub(crate) fn decode_aggregate<T: DeserializeOwned>(
    row: &Row,
    record: &str,
    identity: impl FnOnce(&T) -> (Uuid, u64),
    expected_id: Uuid,
) -> Result<T, StoreError> {
    decode_columns(row, 0, record, identity, expected_id)
}

/// [`decode_aggregate`] of the columns `(version, body)` at `first` and `first + 1`.
pub(crate) fn decode_columns<T: DeserializeOwned>(
    row: &Row,
    first: usize,
    record: &str,
    identity: impl FnOnce(&T) -> (Uuid, u64),
    expected_id: Uuid,
) -> Result<T, StoreError> {
    let stored_version: i64 = column(row, first, record)?;
    let body: Option<RawJson<'_>> = column(row, first + 1, record)?;
    let body = body.ok_or_else(|| corrupt(record, "the body is null"))?;
    let value: T = decode_json(body.0, record)?;
    let (id, body_version) = identity(&value);
    if id != expected_id {
        return Err(corrupt(record, format!("body is about {id}")));
    }
    if u64::try_from(stored_version).ok() != Some(body_version) {
        return Err(corrupt(record, format!("row version {stored_version} but body version {body_version}")));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use booking_core::UserId;

    #[test]
    fn actor_keys_are_distinct_per_role() {
        let id = UserId::from_uuid(Uuid::from_u128(5));
        let keys = [
            actor_key(&Actor::Teacher(id)),
            actor_key(&Actor::Student(id)),
            actor_key(&Actor::Admin(id)),
            actor_key(&Actor::System),
        ];
        assert_eq!(keys[1], "student:00000000-0000-0000-0000-000000000005");
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn raw_jsonb_strips_the_version_byte_and_rejects_others() {
        assert_eq!(RawJson::from_sql(&Type::JSONB, b"\x01{}").unwrap().0, b"{}");
        assert!(RawJson::from_sql(&Type::JSONB, b"\x02{}").is_err());
        assert!(RawJson::from_sql(&Type::JSONB, b"").is_err());
        assert_eq!(RawJson::from_sql(&Type::JSON, b"[]").unwrap().0, b"[]");
    }

    #[test]
    fn bodies_that_do_not_decode_are_corrupt_not_panics() {
        let err = decode_json::<GroupSession>(b"{\"id\": 1}", "session x").unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { ref record, .. } if record == "session x"), "{err:?}");
        let err = decode_json::<GroupSession>(b"\xff\xfe", "session x").unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }));
    }
}
