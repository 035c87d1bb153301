//! The errors that cross the FFI, and the one place core errors and panics become them.
//!
//! [`BookingError`] is the core's (`booking_core::uniffi_support::BookingError`, feature
//! `uniffi`): one variant per stable code, each with its `code` string and the core's message as
//! `detail`, plus `Internal` for a panic caught at the boundary. It lives in the core so that an
//! argument the core's custom types refuse to lift (a malformed id, say) is thrown as
//! `InvalidInput` too. Kotlin sees a sealed `BookingException` class with one subclass per
//! variant; Swift a `BookingError` enum that conforms to `Error`.
//!
//! [`StoreError`] is the other direction: what a store written in Kotlin or Swift throws from
//! its [`DocumentStore`](crate::DocumentStore) methods.

use booking_core::BookingError as CoreError;
use booking_core::ErrorCode;
pub use booking_core::uniffi_support::{BookingError, INTERNAL_CODE};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Every stable error code of the core, in declaration order (`ErrorCode::ALL`), e.g.
/// `session_full`; each has its own [`BookingError`] variant.
#[uniffi::export]
pub fn all_error_codes() -> Vec<String> {
    ErrorCode::ALL.iter().map(|c| c.as_str().to_owned()).collect()
}

/// What a store written in Kotlin or Swift throws from its [`DocumentStore`](crate::DocumentStore)
/// methods (Kotlin: `StoreException`). Any other exception it lets escape arrives as
/// [`StoreError::Backend`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum StoreError {
    /// A write's `expected_version` is not the stored version: nothing was applied.
    #[error("version conflict on {detail}")]
    Conflict {
        /// Which aggregate, in words.
        detail: String,
    },
    /// The commit's request `(scope, key)` is already stored: nothing was applied.
    #[error("request key already recorded")]
    DuplicateRequest,
    /// A stored record cannot be read.
    #[error("corrupt record {record}: {detail}")]
    Corrupt {
        /// Which record.
        record: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The store failed (I/O, a bug, an unexpected exception).
    #[error("{detail}")]
    Backend {
        /// What failed.
        detail: String,
    },
    /// The store could not be reached in time (a server down, a network gone, a timeout):
    /// whether a commit was applied is unknown. The caller gets `store_unavailable` and
    /// retries later with the same request key.
    #[error("{detail}")]
    Unavailable {
        /// What failed.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for StoreError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        StoreError::Backend { detail: format!("the store threw an unexpected exception: {}", e.reason) }
    }
}

impl From<StoreError> for booking_core::StoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { detail } => booking_core::StoreError::Conflict(detail),
            StoreError::DuplicateRequest => booking_core::StoreError::DuplicateRequest,
            StoreError::Corrupt { record, detail } => booking_core::StoreError::Corrupt { record, detail },
            StoreError::Backend { detail } => booking_core::StoreError::Backend(detail),
            StoreError::Unavailable { detail } => booking_core::StoreError::Unavailable(detail),
        }
    }
}

/// The text of a caught panic.
pub(crate) fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// Runs an exported call: core errors are mapped (through `From`), and a panic becomes
/// [`BookingError::Internal`] instead of crossing the FFI.
pub(crate) fn guard<T>(call: impl FnOnce() -> Result<T, CoreError>) -> Result<T, BookingError> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(result) => result.map_err(BookingError::from),
        Err(panic) => Err(BookingError::Internal {
            code: INTERNAL_CODE.to_owned(),
            detail: format!("panic: {}", panic_message(panic)),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_internal_errors() {
        let e = guard::<()>(|| panic!("boom")).unwrap_err();
        assert_eq!(e.code(), INTERNAL_CODE);
        assert!(matches!(e, BookingError::Internal { ref detail, .. } if detail.contains("boom")));
        assert_eq!(all_error_codes().len(), ErrorCode::ALL.len());
    }
}
