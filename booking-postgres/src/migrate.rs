//! Versioned migrations, run when a store is opened.

use crate::OpenError;
use crate::pool::describe;
use booking_core::{GroupSession, index::IndexEntry, lesson::Lesson};
use postgres::types::Json;
use postgres::{Client, Transaction};
use serde::Serialize;
use uuid::Uuid;

/// The schema version this code writes and reads.
pub const SCHEMA_VERSION: i32 = 8;

/// One step of the schema's history. Released steps are never edited: a change is a new step.
struct Migration {
    version: i32,
    name: &'static str,
    sql: &'static str,
    /// A step in Rust run after `sql`, in the same transaction (for what only the core can
    /// compute).
    then: Option<Step>,
}

/// A migration's step in Rust, run in the migration's transaction.
type Step = fn(&mut Transaction<'_>) -> Result<(), postgres::Error>;

const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "initial", sql: include_str!("../migrations/0001_initial.sql"), then: None },
    Migration {
        version: 2,
        name: "offer_deadline",
        sql: include_str!("../migrations/0002_offer_deadline.sql"),
        then: None,
    },
    Migration {
        version: 3,
        name: "booking_history",
        sql: include_str!("../migrations/0003_booking_history.sql"),
        then: None,
    },
    Migration {
        version: 4,
        name: "read_index",
        sql: include_str!("../migrations/0004_read_index.sql"),
        then: Some(fill_read_index),
    },
    Migration {
        version: 5,
        name: "outbox_publish",
        sql: include_str!("../migrations/0005_outbox_publish.sql"),
        then: None,
    },
    Migration {
        version: 6,
        name: "read_index_diff",
        sql: include_str!("../migrations/0006_read_index_diff.sql"),
        then: None,
    },
    Migration { version: 7, name: "commit_all", sql: include_str!("../migrations/0007_commit_all.sql"), then: None },
    Migration {
        version: 8,
        name: "read_index_changes",
        sql: include_str!("../migrations/0008_read_index_changes.sql"),
        then: None,
    },
];

/// One `read_index` row, as [`fill_read_index`] sends it.
#[derive(Debug, Serialize)]
struct ReadIndexRow {
    index: &'static str,
    partition: String,
    sort: String,
    kind: &'static str,
    aggregate_id: Uuid,
}

/// How many bodies [`fill_read_index`] decodes per round trip.
const FILL_BATCH: i64 = 500;

/// Migration 4's step in Rust: the read-index rows of every session and lesson already stored,
/// the core's entries of its body ([`IndexEntry::of_session`], [`IndexEntry::of_lesson`]), in
/// batches by id. A body that does not decode, or names another id than its row, gets no rows
/// (loading it reports it) rather than failing the migration.
fn fill_read_index(tx: &mut Transaction<'_>) -> Result<(), postgres::Error> {
    for (table, kind) in [("sessions", "session"), ("lessons", "lesson")] {
        let select = format!(
            "SELECT id, body::text FROM {table} WHERE $1::uuid IS NULL OR id > $1 ORDER BY id LIMIT {FILL_BATCH}"
        );
        let mut after: Option<Uuid> = None;
        loop {
            let rows = tx.query(&select, &[&after])?;
            let Some(last) = rows.last() else { break };
            after = Some(last.try_get(0)?);
            let mut entries = Vec::new();
            for row in &rows {
                let (id, body): (Uuid, String) = (row.try_get(0)?, row.try_get(1)?);
                let decoded = match kind {
                    "session" => serde_json::from_str::<GroupSession>(&body)
                        .ok()
                        .filter(|s| s.id.as_uuid() == id)
                        .map(|s| IndexEntry::of_session(&s)),
                    _ => serde_json::from_str::<Lesson>(&body)
                        .ok()
                        .filter(|l| l.id.as_uuid() == id)
                        .map(|l| IndexEntry::of_lesson(&l)),
                };
                entries.extend(decoded.into_iter().flatten().map(|e| ReadIndexRow {
                    index: e.index.as_str(),
                    partition: e.partition,
                    sort: e.sort,
                    kind,
                    aggregate_id: id,
                }));
            }
            tx.execute(
                "INSERT INTO read_index (index, partition, sort, kind, aggregate_id) \
                 SELECT e.index, e.partition, e.sort, e.kind, e.aggregate_id \
                 FROM jsonb_to_recordset($1::jsonb) AS e(index text, partition text, sort text, kind text, aggregate_id uuid) \
                 ON CONFLICT DO NOTHING",
                &[&Json(&entries)],
            )?;
        }
    }
    Ok(())
}

/// The advisory-lock class that serializes migrations (any value; this one spells "bkmg").
const LOCK_CLASS: i32 = 0x626b_6d67;

/// Brings the schema (`schema`, or the connection's current one) to [`SCHEMA_VERSION`], in
/// one transaction under an advisory lock, so processes opening the store at the same time
/// migrate it once. Refuses a schema newer than this code. Returns the version found.
pub(crate) fn migrate(client: &mut Client, schema: Option<&str>) -> Result<i32, OpenError> {
    let fail = |version: i32| move |e: postgres::Error| OpenError::Migration { version, detail: describe(&e) };
    let mut tx = client.transaction().map_err(fail(0))?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext(coalesce($2::text, current_schema(), '')))",
        &[&LOCK_CLASS, &schema],
    )
    .map_err(fail(0))?;
    // No DDL when nothing is missing, so a role without CREATE rights can open a migrated
    // database.
    if let Some(schema) = schema {
        let exists = tx
            .query_one("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", &[&schema])
            .and_then(|row| row.try_get::<_, bool>(0))
            .map_err(fail(0))?;
        if !exists {
            // The name was checked to be a plain identifier (see `PgOptions::schema`).
            tx.batch_execute(&format!("CREATE SCHEMA \"{schema}\"")).map_err(fail(0))?;
        }
    }
    let has_versions = tx
        .query_one("SELECT to_regclass('booking_schema_version') IS NOT NULL", &[])
        .and_then(|row| row.try_get::<_, bool>(0))
        .map_err(fail(0))?;
    if !has_versions {
        tx.batch_execute(
            "CREATE TABLE booking_schema_version (
                 version    integer     PRIMARY KEY,
                 name       text        NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .map_err(fail(0))?;
    }
    let found: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM booking_schema_version", &[])
        .and_then(|row| row.try_get(0))
        .map_err(fail(0))?;
    if found > SCHEMA_VERSION {
        return Err(OpenError::SchemaTooNew { found, supported: SCHEMA_VERSION });
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > found) {
        tx.batch_execute(m.sql).map_err(fail(m.version))?;
        if let Some(then) = m.then {
            then(&mut tx).map_err(fail(m.version))?;
        }
        tx.execute("INSERT INTO booking_schema_version (version, name) VALUES ($1, $2)", &[&m.version, &m.name])
            .map_err(fail(m.version))?;
    }
    tx.commit().map_err(fail(SCHEMA_VERSION))?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_consecutive_and_end_at_the_schema_version() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i32::try_from(i).unwrap() + 1, "{}", m.name);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }
}
