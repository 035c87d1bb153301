//! SQLite plumbing: the write-transaction helper, error mapping, and encoding and decoding of
//! columns.

use booking_core::StoreError;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior, types::ValueRef};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Turns SQLite errors into [`StoreError`]s with a message that says what was being done.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Failure {
    /// The busy timeout, named in the message of a lock that was not released in time.
    pub busy_timeout: Duration,
}

impl Failure {
    /// `error`, which happened while `doing`, as a [`StoreError`]:
    /// - a lock not released within the busy timeout (`SQLITE_BUSY`, `SQLITE_LOCKED`) is a
    ///   [`StoreError::Backend`] that says so (nothing was changed; the command may be retried);
    /// - a damaged file (`SQLITE_CORRUPT`, `SQLITE_NOTADB`) is a [`StoreError::Corrupt`];
    /// - anything else (I/O, disk full, ...) is a [`StoreError::Backend`].
    pub fn map(&self, doing: &str, error: rusqlite::Error) -> StoreError {
        match error.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Backend(format!(
                "{doing}: the database stayed locked by another connection for longer than the busy timeout \
                 ({} ms); nothing was changed, and the command may be retried with the same request key ({error})",
                self.busy_timeout.as_millis()
            )),
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                StoreError::Corrupt { record: "database file".to_owned(), detail: format!("{doing}: {error}") }
            }
            _ => StoreError::Backend(format!("{doing}: {error}")),
        }
    }
}

/// Runs `body` in a `BEGIN IMMEDIATE` transaction: commits if it returns `Ok`, rolls back
/// everything if it returns `Err` (or panics), and returns its result.
///
/// `BEGIN IMMEDIATE` takes the database's write lock up front (waiting up to the busy
/// timeout for other processes), so the reads inside `body` see the latest commit and
/// nothing can commit in between: the version checks and the writes are one atomic step.
pub(crate) fn write_transaction<T>(
    conn: &mut Connection,
    failure: &Failure,
    body: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    if !conn.is_autocommit() {
        // Left open by an earlier failure whose rollback failed too: end it before starting.
        conn.execute_batch("ROLLBACK").map_err(|e| failure.map("ending an abandoned transaction", e))?;
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| failure.map("starting a write transaction", e))?;
    match body(&tx) {
        Ok(value) => {
            // On a failed COMMIT the transaction is still open; dropping it rolls it back.
            tx.commit().map_err(|e| failure.map("committing", e))?;
            Ok(value)
        }
        Err(error) => {
            // If the rollback fails too, the next write transaction ends it (see above).
            let _ = tx.rollback();
            Err(error)
        }
    }
}

/// A version as stored (SQLite integers are signed).
pub(crate) fn encode_version(version: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(version).map_err(|_| StoreError::Backend(format!("{what}: version {version} does not fit SQLite")))
}

/// An instant as stored: RFC 3339 in UTC with microseconds, so text order is time order.
pub(crate) fn encode_instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// JSON of a value about to be stored.
pub(crate) fn encode_json<T: serde::Serialize + ?Sized>(value: &T, what: &str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(format!("encoding {what} as JSON: {e}")))
}

/// Decodes one stored row; every failure names the record.
pub(crate) struct Decoder {
    /// The record, as `"<table> <id>"`.
    pub record: String,
}

impl Decoder {
    /// A decoder for the record `"<table> <id>"`.
    pub fn new(table: &str, id: impl std::fmt::Display) -> Self {
        Self { record: format!("{table} {id}") }
    }

    /// A [`StoreError::Corrupt`] for this record.
    pub fn corrupt(&self, detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt { record: self.record.clone(), detail: detail.into() }
    }

    /// The column as an integer.
    pub fn integer(&self, column: &str, value: ValueRef<'_>) -> Result<i64, StoreError> {
        value.as_i64().map_err(|e| self.corrupt(format!("column {column}: {e}")))
    }

    /// The column as a version (a positive integer).
    pub fn version(&self, value: ValueRef<'_>) -> Result<u64, StoreError> {
        let version = self.integer("version", value)?;
        u64::try_from(version)
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| self.corrupt(format!("column version: {version} is not a version")))
    }

    /// The column as UTF-8 text.
    pub fn text<'a>(&self, column: &str, value: ValueRef<'a>) -> Result<&'a str, StoreError> {
        value.as_str().map_err(|e| self.corrupt(format!("column {column}: {e}")))
    }

    /// The column as a flag stored as 0 or 1.
    pub fn flag(&self, column: &str, value: ValueRef<'_>) -> Result<bool, StoreError> {
        match self.integer(column, value)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(self.corrupt(format!("column {column}: {other} is neither 0 nor 1"))),
        }
    }

    /// The column as a UUID.
    pub fn uuid(&self, column: &str, value: ValueRef<'_>) -> Result<uuid::Uuid, StoreError> {
        let text = self.text(column, value)?;
        uuid::Uuid::parse_str(text).map_err(|e| self.corrupt(format!("column {column}: {text:?} is not a UUID: {e}")))
    }

    /// The column as JSON of a `T`: tampered JSON, an unknown enum value, an invalid time
    /// zone or meeting link all end here, as [`StoreError::Corrupt`].
    pub fn json<T: DeserializeOwned>(&self, column: &str, value: ValueRef<'_>) -> Result<T, StoreError> {
        serde_json::from_str(self.text(column, value)?).map_err(|e| self.corrupt(format!("column {column}: {e}")))
    }
}
