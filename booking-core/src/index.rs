//! Store indexes: the values a store keeps beside an aggregate's JSON body, computed here once
//! for every store.
//!
//! A store keeps each aggregate as its body, the only source of truth, and may copy a few
//! values out of it into columns (or index maps) of its own: some it queries itself
//! ([`SessionIndex::offer_deadline`], for
//! [`Repository::sessions_with_offers_due`](crate::Repository::sessions_with_offers_due)),
//! the others are for hosts, who list "this teacher's upcoming sessions" or "this student's
//! lessons" with plain SQL instead of decoding every body. Every store (the in-memory store,
//! the document stores, SQLite, PostgreSQL) takes these values from the functions here
//! ([`SessionIndex::of`], [`LessonIndex::of`], [`FinishedBookingIndex::of`], or
//! [`Write::index`](crate::repository::Write::index) for a write) instead of deriving them
//! from the aggregate itself, so they agree by construction.
//!
//! The field names are the column names: a struct serializes (serde) to a JSON object of
//! `column: value`, which the PostgreSQL store sends to its commit function as is, and which
//! the stores' tests compare with what they stored, column by column.
//!
//! # A new index
//! 1. Add the field to the struct of its aggregate and one line to its `of` function.
//! 2. Add the column in each SQL store's next schema migration, and write it: the SQLite
//!    store's `INSERT`/`UPDATE` of the table, the PostgreSQL store's `booking_commit`
//!    function (which receives the field already).
//! 3. If a store reads it back (a new [`Repository`](crate::Repository) query), answer the
//!    query from it in each store.
//!
//! The stores' column tests (`stored_columns_are_the_core_index` in `booking-sqlite` and
//! `booking-postgres`) fail until every field is a column holding the core's value, and the
//! conformance check `store_index_queries_agree_with_the_core` compares each store's
//! [`Repository::sessions_with_offers_due`](crate::Repository::sessions_with_offers_due) with
//! the deadlines computed here.
//!
//! ```
//! use booking_core::index::SessionIndex;
//! use booking_core::{Actor, Engine, InMemoryRepository, NewGroupSession, UserId};
//! use chrono::{Duration, Utc};
//!
//! let engine = Engine::new(InMemoryRepository::new());
//! let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
//! let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
//!     teacher_id: teacher, course_id: None, title: "Choir".into(),
//!     starts_at: Utc::now() + Duration::days(2), time_zone: "Europe/Vienna".into(),
//!     duration_minutes: 60, meeting_link: "https://meet.example.com/choir".into(),
//!     capacity: 12, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
//! })?.value;
//! let index = SessionIndex::of(&session);
//! assert_eq!((index.teacher_id, index.starts_at, index.offer_deadline), (teacher, session.starts_at, None));
//! assert_eq!(serde_json::to_value(index).unwrap()["teacher_id"], "00000000-0000-0000-0000-000000000001");
//! # Ok::<(), booking_core::BookingError>(())
//! ```

use crate::{
    CourseId, GroupSession, SeatBooking, SessionId, UserId,
    lesson::{Calendar, Lesson},
};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What a store keeps beside a stored [`GroupSession`] (the columns of a `sessions` table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SessionIndex {
    /// [`GroupSession::teacher_id`].
    pub teacher_id: UserId,
    /// [`GroupSession::course_id`].
    pub course_id: Option<CourseId>,
    /// [`GroupSession::starts_at`].
    pub starts_at: DateTime<Utc>,
    /// The earliest deadline of the session's outstanding seat offers
    /// ([`GroupSession::next_offer_deadline`]), `None` when it has none. Stores answer
    /// [`Repository::sessions_with_offers_due`](crate::Repository::sessions_with_offers_due)
    /// from it.
    pub offer_deadline: Option<DateTime<Utc>>,
}

impl SessionIndex {
    /// The index of this session.
    pub fn of(session: &GroupSession) -> Self {
        Self {
            teacher_id: session.teacher_id,
            course_id: session.course_id,
            starts_at: session.starts_at,
            offer_deadline: session.next_offer_deadline(),
        }
    }
}

/// What a store keeps beside a stored [`Calendar`]: nothing yet (calendars are only ever read
/// by owner, their key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CalendarIndex {}

impl CalendarIndex {
    /// The index of this calendar.
    pub fn of(calendar: &Calendar) -> Self {
        let _ = calendar;
        Self {}
    }
}

/// What a store keeps beside a stored [`Lesson`] (the columns of a `lessons` table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LessonIndex {
    /// [`Lesson::teacher_id`].
    pub teacher_id: UserId,
    /// [`Lesson::student_id`].
    pub student_id: UserId,
    /// [`Lesson::course_id`].
    pub course_id: Option<CourseId>,
    /// [`Lesson::starts_at`].
    pub starts_at: DateTime<Utc>,
    /// [`Lesson::status`], as [`LessonStatus::as_str`](crate::lesson::LessonStatus::as_str)
    /// spells it.
    pub status: &'static str,
}

impl LessonIndex {
    /// The index of this lesson.
    pub fn of(lesson: &Lesson) -> Self {
        Self {
            teacher_id: lesson.teacher_id,
            student_id: lesson.student_id,
            course_id: lesson.course_id,
            starts_at: lesson.starts_at,
            status: lesson.status.as_str(),
        }
    }
}

/// What a store keeps beside a finished seat booking in its booking history (the columns of
/// a `finished_bookings` table; see [`Commit::finished_bookings`](crate::repository::Commit::finished_bookings)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FinishedBookingIndex {
    /// [`SeatBooking::session_id`].
    pub session_id: SessionId,
    /// [`SeatBooking::student_id`].
    pub student_id: UserId,
    /// [`SeatBooking::status`], as [`SeatStatus::as_str`](crate::SeatStatus::as_str) spells it.
    pub status: &'static str,
    /// When it finished: [`SeatBooking::updated_at`].
    pub finished_at: DateTime<Utc>,
}

impl FinishedBookingIndex {
    /// The index of this finished booking.
    pub fn of(booking: &SeatBooking) -> Self {
        Self {
            session_id: booking.session_id,
            student_id: booking.student_id,
            status: booking.status.as_str(),
            finished_at: booking.updated_at,
        }
    }
}

/// The index of one aggregate, whichever its kind (see
/// [`Write::index`](crate::repository::Write::index)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum IndexEntries {
    /// A group session's.
    Session(SessionIndex),
    /// A calendar's.
    Calendar(CalendarIndex),
    /// A lesson's.
    Lesson(LessonIndex),
}

impl IndexEntries {
    /// The session's index, if this is one.
    pub fn session(&self) -> Option<&SessionIndex> {
        match self {
            IndexEntries::Session(index) => Some(index),
            _ => None,
        }
    }

    /// The lesson's index, if this is one.
    pub fn lesson(&self) -> Option<&LessonIndex> {
        match self {
            IndexEntries::Lesson(index) => Some(index),
            _ => None,
        }
    }
}
