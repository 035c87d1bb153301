//! The one error type of the engine, with a stable machine-readable code per variant.
//!
//! The codes returned by [`BookingError::code`] are part of the public contract: the Python,
//! Kotlin and Swift bindings expose the same strings, and they never change meaning. New
//! variants may be added (the enum is `#[non_exhaustive]`), existing codes are never reused.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Why a command was refused, or why a store could not carry it out.
///
/// Every refusal leaves the stored state exactly as it was.
///
/// ```
/// use booking_core::{BookingError, ErrorCode};
/// let e = BookingError::InvalidInput { field: "capacity".into(), reason: "must be at least 1".into() };
/// assert_eq!(e.code(), ErrorCode::InvalidInput);
/// assert_eq!(e.code().as_str(), "invalid_input");
/// assert_eq!(e.to_string(), "invalid capacity: must be at least 1");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BookingError {
    /// A value of the command is out of range or malformed; `field` names it.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The offending field, as named in the command.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The name is not an IANA time zone known to the engine's tz database.
    #[error("unknown time zone {name:?}")]
    UnknownTimeZone {
        /// The name as given.
        name: String,
    },
    /// A meeting link that is not an absolute http(s) URL.
    #[error("invalid meeting link {link:?}: {reason}")]
    InvalidMeetingLink {
        /// The link as given.
        link: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Something is scheduled to start at or before the current instant.
    #[error("start {starts_at} is not in the future (now is {now})")]
    StartInPast {
        /// The requested start.
        starts_at: DateTime<Utc>,
        /// The engine's clock when the command was decided.
        now: DateTime<Utc>,
    },
    /// A listing window or series is longer than the engine will expand.
    #[error("{what} is too large: {requested} requested, at most {max} allowed")]
    TooLarge {
        /// What is too large (for instance `"listing window in days"`).
        what: String,
        /// The requested size.
        requested: u64,
        /// The largest size accepted.
        max: u64,
    },
    /// The actor may not run this command on this object.
    #[error("not authorized: {reason}")]
    NotAuthorized {
        /// Who is refused what, in words.
        reason: String,
    },
    /// No group session has this id.
    #[error("session {id} not found")]
    SessionNotFound {
        /// The id asked for.
        id: crate::SessionId,
    },
    /// No booking has this id.
    #[error("booking {id} not found")]
    BookingNotFound {
        /// The id asked for.
        id: crate::BookingId,
    },
    /// No availability slot has this id.
    #[error("availability slot {id} not found")]
    SlotNotFound {
        /// The id asked for.
        id: crate::SlotId,
    },
    /// The teacher's calendar holds no time off with this id (never taken, or already
    /// withdrawn).
    #[error("teacher {teacher_id} has no time off {id}")]
    TimeOffNotFound {
        /// The teacher.
        teacher_id: crate::UserId,
        /// The id asked for.
        id: crate::TimeOffId,
    },
    /// Every seat is taken and the session has no open waitlist.
    #[error("session {session_id} is full ({capacity} seats)")]
    SessionFull {
        /// The full session.
        session_id: crate::SessionId,
        /// Its capacity.
        capacity: u32,
    },
    /// The student already holds an active booking here.
    #[error("student {student_id} already holds booking {booking_id}")]
    AlreadyBooked {
        /// The student.
        student_id: crate::UserId,
        /// Their active booking.
        booking_id: crate::BookingId,
    },
    /// The session has started (or ended): its seats are frozen.
    #[error("session {session_id} started at {starts_at}")]
    SessionStarted {
        /// The session.
        session_id: crate::SessionId,
        /// When it started.
        starts_at: DateTime<Utc>,
    },
    /// The session has not started yet (attendance can only be marked from its start).
    #[error("session {session_id} has not started yet (starts at {starts_at})")]
    SessionNotStarted {
        /// The session.
        session_id: crate::SessionId,
        /// When it starts.
        starts_at: DateTime<Utc>,
    },
    /// The lesson has started (or ended): it can no longer be approved or cancelled.
    #[error("lesson {booking_id} started at {starts_at}")]
    LessonStarted {
        /// The lesson.
        booking_id: crate::BookingId,
        /// When it started.
        starts_at: DateTime<Utc>,
    },
    /// The lesson has not started yet (attendance can only be marked from its start).
    #[error("lesson {booking_id} has not started yet (starts at {starts_at})")]
    LessonNotStarted {
        /// The lesson.
        booking_id: crate::BookingId,
        /// When it starts.
        starts_at: DateTime<Utc>,
    },
    /// The session was cancelled by its teacher or an admin.
    #[error("session {session_id} is cancelled")]
    SessionCancelled {
        /// The session.
        session_id: crate::SessionId,
    },
    /// Capacity cannot go below the seats already taken.
    #[error("capacity {requested} is below the {taken} seats already taken")]
    CapacityBelowBooked {
        /// The capacity asked for.
        requested: u32,
        /// Seats taken (confirmed + attended).
        taken: u32,
    },
    /// The booking's status does not allow this step (see the transition tables).
    #[error("booking {booking_id} is {from}: cannot {action}")]
    InvalidTransition {
        /// The booking.
        booking_id: crate::BookingId,
        /// Its current status.
        from: String,
        /// The refused step.
        action: String,
    },
    /// The occurrence is held by another booking, or overlaps one of the teacher's.
    #[error("slot {slot_id} at {starts_at} is not available: {reason}")]
    SlotUnavailable {
        /// The slot.
        slot_id: crate::SlotId,
        /// The occurrence's start.
        starts_at: DateTime<Utc>,
        /// Why, in words.
        reason: String,
    },
    /// The slot produces no occurrence starting at this instant.
    #[error("slot {slot_id} has no occurrence starting at {starts_at}")]
    OccurrenceNotOffered {
        /// The slot.
        slot_id: crate::SlotId,
        /// The requested start.
        starts_at: DateTime<Utc>,
    },
    /// The student already holds an active 1:1 lesson overlapping this one.
    #[error("student {student_id} already has lesson {booking_id} at that time")]
    StudentBusy {
        /// The student.
        student_id: crate::UserId,
        /// The overlapping lesson.
        booking_id: crate::BookingId,
    },
    /// The slot or the group session belongs to a course the student is not enrolled in.
    #[error("student {student_id} is not enrolled in course {course_id}")]
    NotEnrolled {
        /// The student.
        student_id: crate::UserId,
        /// The course.
        course_id: crate::CourseId,
    },
    /// The start falls outside the booking window: sooner than the minimum notice, or further
    /// ahead than the maximum advance (see [`SchedulingRules`](crate::SchedulingRules)).
    #[error("{starts_at} is outside the booking window (from {earliest}{})", latest.map(|l| format!(" to {l}")).unwrap_or_default())]
    OutsideBookingWindow {
        /// The requested start.
        starts_at: DateTime<Utc>,
        /// The earliest start that may be booked now (now plus the minimum notice).
        earliest: DateTime<Utc>,
        /// The latest start that may be booked now (now plus the maximum advance), if limited.
        latest: Option<DateTime<Utc>>,
    },
    /// A student may no longer cancel or reschedule this booking: its cut-off has passed. The
    /// teacher or an admin may still do it.
    #[error("booking {booking_id} can no longer be {action} by its student: the cut-off was {cutoff_at}")]
    CutoffPassed {
        /// The booking.
        booking_id: crate::BookingId,
        /// `"cancelled"` or `"rescheduled"`.
        action: String,
        /// The last instant the student could do it.
        cutoff_at: DateTime<Utc>,
    },
    /// A booking limit would be exceeded (lessons per day or week for a teacher, or upcoming
    /// lessons per student in a course); pending lessons count.
    #[error("limit reached: at most {max} {limit}")]
    LimitReached {
        /// Which limit, in words (for instance `"lessons per day for this teacher"`).
        limit: String,
        /// The limit.
        max: u32,
    },
    /// The teacher already teaches at that time: a group session cannot be scheduled over an
    /// active 1:1 lesson.
    #[error("teacher {teacher_id} has lesson {booking_id} at that time")]
    TeacherBusy {
        /// The teacher.
        teacher_id: crate::UserId,
        /// The overlapping lesson.
        booking_id: crate::BookingId,
    },
    /// The seat offered to this waitlisted booking was not accepted in time and went to the
    /// next in line.
    #[error("the offer to booking {booking_id} expired at {expired_at}")]
    OfferExpired {
        /// The booking.
        booking_id: crate::BookingId,
        /// When the offer ran out.
        expired_at: DateTime<Utc>,
    },
    /// The request key was used before by the same actor for a different command.
    #[error("request key {key:?} was already used for a different command")]
    RequestKeyReused {
        /// The key.
        key: String,
    },
    /// Concurrent writers kept changing the same data; the command was not applied.
    #[error("gave up after {attempts} attempts on a contended record; nothing was changed")]
    Contention {
        /// How many times the command was decided.
        attempts: u32,
    },
    /// A stored record could not be decoded (tampered, or written by a newer schema).
    #[error("stored record {record} cannot be read: {detail}")]
    CorruptRecord {
        /// Which record.
        record: String,
        /// What failed.
        detail: String,
    },
    /// The store failed (connection lost, disk full, ...); the command may be retried with
    /// the same request key.
    #[error("store failure: {message}")]
    Store {
        /// The store's own message.
        message: String,
    },
    /// The store could not be reached in time: the network or the database server went silent
    /// or away (a partition, a restart, a timeout), so the command's fate is unknown: it may
    /// have been applied just before the connection was lost. Retry later with the **same
    /// request key**: a command that was applied replays its first outcome
    /// (`replayed: true`), one that was not is decided then. See
    /// [`ErrorCode::is_retryable`].
    #[error("store unavailable, retry later: {message}")]
    StoreUnavailable {
        /// What failed and after how long, in the store's words.
        message: String,
    },
}

macro_rules! error_codes {
    ($($variant:ident => $code:literal),* $(,)?) => {
        /// The stable, machine-readable code of a [`BookingError`], identical in every binding.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum ErrorCode {
            $(
                #[doc = concat!("`", $code, "`")]
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code as a snake_case string, for instance `"session_full"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }

        impl BookingError {
            /// The stable code of this error.
            pub fn code(&self) -> ErrorCode {
                match self {
                    $(BookingError::$variant { .. } => ErrorCode::$variant,)*
                }
            }
        }
    };
}

/// The one list of error codes: calls `$m! { Variant => "code", ... }` with every
/// [`BookingError`] variant and its stable code, in declaration order. `error_codes!` below
/// makes [`ErrorCode`] from it, and the Kotlin/Swift error enum (feature `uniffi`) is made
/// from it too, so a new code is written here once.
macro_rules! for_each_error_code {
    ($m:ident) => {
        $m! {
            InvalidInput => "invalid_input",
            UnknownTimeZone => "unknown_time_zone",
            InvalidMeetingLink => "invalid_meeting_link",
            StartInPast => "start_in_past",
            TooLarge => "too_large",
            NotAuthorized => "not_authorized",
            SessionNotFound => "session_not_found",
            BookingNotFound => "booking_not_found",
            SlotNotFound => "slot_not_found",
            TimeOffNotFound => "time_off_not_found",
            SessionFull => "session_full",
            AlreadyBooked => "already_booked",
            SessionStarted => "session_started",
            SessionNotStarted => "session_not_started",
            LessonStarted => "lesson_started",
            LessonNotStarted => "lesson_not_started",
            SessionCancelled => "session_cancelled",
            CapacityBelowBooked => "capacity_below_booked",
            InvalidTransition => "invalid_transition",
            SlotUnavailable => "slot_unavailable",
            OccurrenceNotOffered => "occurrence_not_offered",
            StudentBusy => "student_busy",
            NotEnrolled => "not_enrolled",
            OutsideBookingWindow => "outside_booking_window",
            CutoffPassed => "cutoff_passed",
            LimitReached => "limit_reached",
            TeacherBusy => "teacher_busy",
            OfferExpired => "offer_expired",
            RequestKeyReused => "request_key_reused",
            Contention => "contention",
            CorruptRecord => "corrupt_record",
            Store => "store_error",
            StoreUnavailable => "store_unavailable",
        }
    };
}
#[cfg_attr(not(feature = "uniffi"), allow(unused_imports))]
pub(crate) use for_each_error_code;

for_each_error_code!(error_codes);

impl ErrorCode {
    /// An error of this code with placeholder values (ids `00000000-0000-0000-0000-000000000001`,
    /// instants at the Unix epoch, the text `sample`): for tests of how a host or a binding maps
    /// each code, without staging the situation that causes it.
    ///
    /// ```
    /// use booking_core::ErrorCode;
    ///
    /// for code in ErrorCode::ALL {
    ///     assert_eq!(code.example().code(), *code);
    /// }
    /// ```
    pub fn example(self) -> BookingError {
        let id = uuid::Uuid::from_u128(1);
        let at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        let s = || "sample".to_owned();
        match self {
            ErrorCode::InvalidInput => BookingError::invalid("field", "sample"),
            ErrorCode::UnknownTimeZone => BookingError::UnknownTimeZone { name: "Mars/Olympus".into() },
            ErrorCode::InvalidMeetingLink => BookingError::InvalidMeetingLink { link: "ftp://x".into(), reason: s() },
            ErrorCode::StartInPast => BookingError::StartInPast { starts_at: at, now: at },
            ErrorCode::TooLarge => BookingError::TooLarge { what: s(), requested: 2, max: 1 },
            ErrorCode::NotAuthorized => BookingError::not_authorized(s()),
            ErrorCode::SessionNotFound => BookingError::SessionNotFound { id: SessionId(id) },
            ErrorCode::BookingNotFound => BookingError::BookingNotFound { id: BookingId(id) },
            ErrorCode::SlotNotFound => BookingError::SlotNotFound { id: SlotId(id) },
            ErrorCode::TimeOffNotFound => BookingError::TimeOffNotFound { teacher_id: UserId(id), id: TimeOffId(id) },
            ErrorCode::SessionFull => BookingError::SessionFull { session_id: SessionId(id), capacity: 1 },
            ErrorCode::AlreadyBooked => {
                BookingError::AlreadyBooked { student_id: UserId(id), booking_id: BookingId(id) }
            }
            ErrorCode::SessionStarted => BookingError::SessionStarted { session_id: SessionId(id), starts_at: at },
            ErrorCode::SessionNotStarted => {
                BookingError::SessionNotStarted { session_id: SessionId(id), starts_at: at }
            }
            ErrorCode::LessonStarted => BookingError::LessonStarted { booking_id: BookingId(id), starts_at: at },
            ErrorCode::LessonNotStarted => BookingError::LessonNotStarted { booking_id: BookingId(id), starts_at: at },
            ErrorCode::SessionCancelled => BookingError::SessionCancelled { session_id: SessionId(id) },
            ErrorCode::CapacityBelowBooked => BookingError::CapacityBelowBooked { requested: 1, taken: 2 },
            ErrorCode::InvalidTransition => {
                BookingError::InvalidTransition { booking_id: BookingId(id), from: s(), action: s() }
            }
            ErrorCode::SlotUnavailable => {
                BookingError::SlotUnavailable { slot_id: SlotId(id), starts_at: at, reason: s() }
            }
            ErrorCode::OccurrenceNotOffered => {
                BookingError::OccurrenceNotOffered { slot_id: SlotId(id), starts_at: at }
            }
            ErrorCode::StudentBusy => BookingError::StudentBusy { student_id: UserId(id), booking_id: BookingId(id) },
            ErrorCode::NotEnrolled => BookingError::NotEnrolled { student_id: UserId(id), course_id: CourseId(id) },
            ErrorCode::OutsideBookingWindow => {
                BookingError::OutsideBookingWindow { starts_at: at, earliest: at, latest: Some(at) }
            }
            ErrorCode::CutoffPassed => {
                BookingError::CutoffPassed { booking_id: BookingId(id), action: "cancelled".into(), cutoff_at: at }
            }
            ErrorCode::LimitReached => {
                BookingError::LimitReached { limit: "lessons per day for this teacher".into(), max: 1 }
            }
            ErrorCode::TeacherBusy => BookingError::TeacherBusy { teacher_id: UserId(id), booking_id: BookingId(id) },
            ErrorCode::OfferExpired => BookingError::OfferExpired { booking_id: BookingId(id), expired_at: at },
            ErrorCode::RequestKeyReused => BookingError::RequestKeyReused { key: s() },
            ErrorCode::Contention => BookingError::Contention { attempts: 3 },
            ErrorCode::CorruptRecord => BookingError::CorruptRecord { record: s(), detail: s() },
            ErrorCode::Store => BookingError::Store { message: s() },
            ErrorCode::StoreUnavailable => BookingError::StoreUnavailable { message: s() },
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ErrorCode {
    /// Whether this code means the input itself was wrong (Python maps these to `ValueError`).
    pub const fn is_invalid_input(self) -> bool {
        matches!(
            self,
            ErrorCode::InvalidInput
                | ErrorCode::UnknownTimeZone
                | ErrorCode::InvalidMeetingLink
                | ErrorCode::StartInPast
                | ErrorCode::TooLarge
        )
    }
}

impl ErrorCode {
    /// Whether the same command, sent again later under the same request key, may succeed
    /// without anything changing on the caller's side: `store_unavailable` (the store could not
    /// be reached in time) and `contention` (concurrent writers kept winning). A host may retry
    /// these with a backoff; every other code is an answer, or a failure a retry will not fix
    /// by itself.
    ///
    /// ```
    /// use booking_core::ErrorCode;
    /// assert!(ErrorCode::StoreUnavailable.is_retryable());
    /// assert!(!ErrorCode::SessionFull.is_retryable());
    /// ```
    pub const fn is_retryable(self) -> bool {
        matches!(self, ErrorCode::StoreUnavailable | ErrorCode::Contention)
    }
}

impl BookingError {
    /// Shorthand for [`BookingError::InvalidInput`].
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        BookingError::InvalidInput { field: field.into(), reason: reason.into() }
    }

    /// Shorthand for [`BookingError::NotAuthorized`].
    pub fn not_authorized(reason: impl Into<String>) -> Self {
        BookingError::NotAuthorized { reason: reason.into() }
    }
}

/// Ids parse from their UUID text; anything else is [`BookingError::InvalidInput`] naming the
/// id type. (Here rather than in the ids module, which the errors name: one direction.)
macro_rules! id_from_str {
    ($($name:ident),*) => {$(
        impl std::str::FromStr for $name {
            type Err = BookingError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map(Self).map_err(|e| BookingError::InvalidInput {
                    field: stringify!($name).to_owned(),
                    reason: format!("not a UUID: {e}"),
                })
            }
        }
    )*};
}

use crate::{BookingId, CourseId, SeriesId, SessionId, SlotId, TimeOffId, UserId};

id_from_str!(UserId, SessionId, BookingId, CourseId, SlotId, SeriesId, TimeOffId);
