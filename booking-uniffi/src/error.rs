//! The errors that cross the FFI, and the one place core errors and panics become them.
//!
//! [`BookingError`] has one variant per [`ErrorCode`] of the core (plus [`BookingError::Internal`]
//! for a panic caught at the boundary, or a code added to the core after this binding was
//! built). Every variant carries the stable `code` string and the core's message as `detail`
//! (`message` itself is taken by Kotlin's `Throwable`). Kotlin sees a sealed
//! `BookingException` class with one subclass per variant; Swift a `BookingError` enum that
//! conforms to `Error`.
//!
//! [`StoreError`] is the other direction: what a store written in Kotlin or Swift throws from
//! its [`DocumentStore`](crate::DocumentStore) methods.

use booking_core::{BookingError as CoreError, ErrorCode};
use std::panic::{AssertUnwindSafe, catch_unwind};

macro_rules! booking_errors {
    ($($variant:ident),* $(,)?) => {
        /// Why a call was refused, or why the store could not carry it out: one variant per
        /// stable code of the core (see `booking_core::ErrorCode`), each with the `code`
        /// string and a human-readable `detail`.
        #[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, uniffi::Error)]
        pub enum BookingError {
            $(
                /// The core's error of the same name and code.
                #[error("{code}: {detail}")]
                $variant {
                    /// The stable machine-readable code, e.g. `session_full`.
                    code: String,
                    /// What happened, in words (the core's message).
                    detail: String,
                },
            )*
            /// A panic caught at the FFI boundary (code `internal`), or a code this binding
            /// does not know yet (then `code` is that code). Never a booking rule.
            #[error("{code}: {detail}")]
            Internal {
                /// `internal`, or the unknown code.
                code: String,
                /// What happened, in words.
                detail: String,
            },
        }

        /// The codes with a variant of their own, in the core's declaration order.
        #[cfg(test)]
        pub(crate) const MAPPED_CODES: &[ErrorCode] = &[$(ErrorCode::$variant),*];

        /// The one mapping point from core errors to FFI errors.
        impl From<CoreError> for BookingError {
            fn from(error: CoreError) -> Self {
                let code = error.code();
                let (code_str, detail) = (code.as_str().to_owned(), error.to_string());
                match code {
                    $(ErrorCode::$variant => BookingError::$variant { code: code_str, detail },)*
                    _ => BookingError::Internal { code: code_str, detail },
                }
            }
        }

        impl BookingError {
            /// The stable code.
            pub fn code(&self) -> &str {
                match self {
                    $(BookingError::$variant { code, .. })|* | BookingError::Internal { code, .. } => code,
                }
            }

            /// The human-readable detail.
            pub fn detail(&self) -> &str {
                match self {
                    $(BookingError::$variant { detail, .. })|* | BookingError::Internal { detail, .. } => detail,
                }
            }
        }
    };
}

booking_errors! {
    InvalidInput, UnknownTimeZone, InvalidMeetingLink, StartInPast, TooLarge, NotAuthorized,
    SessionNotFound, BookingNotFound, SlotNotFound, TimeOffNotFound, SessionFull, AlreadyBooked, SessionStarted,
    SessionNotStarted, LessonStarted, LessonNotStarted, SessionCancelled, CapacityBelowBooked,
    InvalidTransition, SlotUnavailable, OccurrenceNotOffered, StudentBusy, NotEnrolled,
    OutsideBookingWindow, CutoffPassed, LimitReached, TeacherBusy, OfferExpired, RequestKeyReused,
    Contention, CorruptRecord, Store, StoreUnavailable,
}

#[uniffi::export]
impl BookingError {
    /// The stable code of any variant (Kotlin: `e.errorCode()` on a `BookingException`; Swift:
    /// `error.errorCode()`), for code that handles every refusal alike.
    pub fn error_code(&self) -> String {
        self.code().to_owned()
    }

    /// The human-readable detail of any variant.
    pub fn error_detail(&self) -> String {
        self.detail().to_owned()
    }

    /// Whether the same call, sent again later with the same request key, may succeed
    /// (`store_unavailable`, `contention`; the core's `ErrorCode::is_retryable`): retry these
    /// with a backoff.
    pub fn is_retryable(&self) -> bool {
        ErrorCode::ALL.iter().any(|c| c.as_str() == self.code() && c.is_retryable())
    }
}

/// The code of [`BookingError::Internal`] for a caught panic.
pub const INTERNAL_CODE: &str = "internal";

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
    fn every_core_code_has_its_own_variant() {
        assert_eq!(MAPPED_CODES, ErrorCode::ALL, "add the new code to booking_errors! in error.rs");
        for code in ErrorCode::ALL {
            let mapped = BookingError::from(sample(*code));
            assert_eq!(mapped.code(), code.as_str());
            assert!(!matches!(mapped, BookingError::Internal { .. }), "{code} falls through to Internal");
        }
        assert_eq!(all_error_codes().len(), ErrorCode::ALL.len());
    }

    /// A core error with the given code, built from its serialized form (tagged by the
    /// variant's snake_case name) with placeholder fields.
    fn sample(code: ErrorCode) -> CoreError {
        let variant = format!("{code:?}");
        let mut tag = String::new();
        for (i, c) in variant.chars().enumerate() {
            if c.is_uppercase() && i > 0 {
                tag.push('_');
            }
            tag.push(c.to_ascii_lowercase());
        }
        let fields = [
            ("field", serde_json::json!("x")),
            ("reason", serde_json::json!("x")),
            ("name", serde_json::json!("x")),
            ("link", serde_json::json!("x")),
            ("starts_at", serde_json::json!("2030-01-01T00:00:00Z")),
            ("earliest", serde_json::json!("2030-01-01T00:00:00Z")),
            ("cutoff_at", serde_json::json!("2030-01-01T00:00:00Z")),
            ("expired_at", serde_json::json!("2030-01-01T00:00:00Z")),
            ("limit", serde_json::json!("x")),
            ("teacher_id", serde_json::json!(uuid::Uuid::nil())),
            ("now", serde_json::json!("2030-01-01T00:00:00Z")),
            ("what", serde_json::json!("x")),
            ("requested", serde_json::json!(1)),
            ("max", serde_json::json!(1)),
            ("id", serde_json::json!(uuid::Uuid::nil())),
            ("session_id", serde_json::json!(uuid::Uuid::nil())),
            ("booking_id", serde_json::json!(uuid::Uuid::nil())),
            ("slot_id", serde_json::json!(uuid::Uuid::nil())),
            ("student_id", serde_json::json!(uuid::Uuid::nil())),
            ("course_id", serde_json::json!(uuid::Uuid::nil())),
            ("capacity", serde_json::json!(1)),
            ("taken", serde_json::json!(1)),
            ("from", serde_json::json!("x")),
            ("action", serde_json::json!("x")),
            ("key", serde_json::json!("x")),
            ("attempts", serde_json::json!(1)),
            ("record", serde_json::json!("x")),
            ("detail", serde_json::json!("x")),
            ("message", serde_json::json!("x")),
        ];
        let mut object: serde_json::Map<String, serde_json::Value> =
            fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        object.insert("code".to_owned(), serde_json::json!(tag));
        serde_json::from_value(serde_json::Value::Object(object)).expect("a sample error of every code")
    }

    #[test]
    fn panics_become_internal_errors() {
        let e = guard::<()>(|| panic!("boom")).unwrap_err();
        assert_eq!(e.code(), INTERNAL_CODE);
        assert!(matches!(e, BookingError::Internal { ref detail, .. } if detail.contains("boom")));
    }
}
