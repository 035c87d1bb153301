//! The read side: what a platform shows its users, defined once for every store.
//!
//! | query | who may ask | what it lists |
//! |---|---|---|
//! | [`Engine::session`](crate::Engine::session), [`Engine::session_ical`](crate::Engine::session_ical) | the session's teacher, an admin, the system | the whole session: every booking with its student, the meeting link |
//! | [`Engine::session_summary`](crate::Engine::session_summary) | anyone | a session's description, seat counts and availability; a student's own booking there, and the meeting link once they have their place |
//! | [`Engine::seat_booking`](crate::Engine::seat_booking), [`Engine::lesson`](crate::Engine::lesson), [`Engine::booking_ical`](crate::Engine::booking_ical), [`Engine::lessons_ical`](crate::Engine::lessons_ical) | the booking's student, its teacher, an admin, the system | one booking or lesson (every lesson of a `lessons_ical`) |
//! | [`Engine::calendar`](crate::Engine::calendar) | its owner (as teacher or student), an admin, the system | a person's slots, rules, time off and lessons |
//! | [`Engine::slot`](crate::Engine::slot), [`Engine::list_occurrences`](crate::Engine::list_occurrences) | anyone | published availability (no student's data) |
//! | [`Engine::student_agenda`](crate::Engine::student_agenda) | the student, an admin, the system | the student's seat bookings and lessons starting in a window, by start, filtered by [`AgendaStatus`] |
//! | [`Engine::teacher_agenda`](crate::Engine::teacher_agenda) | the teacher, an admin, the system | the teacher's sessions (seats taken and left, waitlist) and lessons starting in a window, by start |
//! | [`Engine::approval_queue`](crate::Engine::approval_queue) | the teacher, an admin, the system | the teacher's lessons waiting for approval, oldest request first |
//! | [`Engine::roster`](crate::Engine::roster) | the session's teacher, an admin, the system; a student sees the same list with every other student's ids withheld | a session's seat holders in booking order, its open offers, its waitlist with positions |
//! | [`Engine::starting_between`](crate::Engine::starting_between) | an admin, the system | every session not cancelled and every lesson that takes place, starting in a window, across all teachers (reminders) |
//! | [`Engine::outbox`](crate::Engine::outbox), [`Engine::acknowledge_outbox`](crate::Engine::acknowledge_outbox) | an admin, the system | the events of committed commands, in commit order |
//!
//! Anyone else gets [`BookingError::NotAuthorized`]. A teacher reads their students through
//! rosters and their own agenda, never a student's whole agenda.
//!
//! # Pages
//! Every list is paged: a [`PageRequest`] asks for at most [`PageRequest::limit`] items
//! (1 to [`MAX_PAGE_SIZE`]) after an optional [`PageToken`], and a [`Page`] carries the next
//! token while more may follow. Windows are half-open (`from` included, `to` excluded) and at
//! most [`MAX_WINDOW_DAYS`] long. A page size, window or token out of these bounds is
//! [`BookingError::InvalidInput`] naming `limit`, `window` or `page_token`. Pages read the
//! store as it is when each is asked for: an item that moves between two pages (a lesson
//! rescheduled) may show twice or not at all, never wrongly.
//!
//! # How it is answered
//! Each agenda is a range scan of a read index ([`crate::index::ReadIndex`]) that the store
//! keeps with every commit; the core turns each listed aggregate into items here, so the
//! meaning of a status, a position or "seats left" is this module's, whatever the store.
//!
//! ```
//! use booking_core::read::{AgendaStatus, PageRequest};
//! use booking_core::{Actor, Engine, InMemoryRepository, NewGroupSession, UserId};
//! use chrono::{Duration, Utc};
//!
//! let engine = Engine::new(InMemoryRepository::new());
//! let (teacher, ana) = (UserId::from_uuid(uuid::Uuid::now_v7()), UserId::from_uuid(uuid::Uuid::now_v7()));
//! let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
//!     teacher_id: teacher, course_id: None, title: "Choir".into(),
//!     starts_at: Utc::now() + Duration::days(2), time_zone: "Europe/Vienna".into(),
//!     duration_minutes: 60, meeting_link: "https://meet.example.com/choir".into(),
//!     capacity: 12, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
//! })?.value;
//! engine.book_seat(Actor::Student(ana), session.id, ana)?;
//!
//! let (from, to) = (Utc::now(), Utc::now() + Duration::days(30));
//! let agenda = engine.student_agenda(Actor::Student(ana), ana, from, to, &[], &PageRequest::first(20))?;
//! assert_eq!(agenda.items.len(), 1);
//! assert_eq!((agenda.items[0].session_id, agenda.items[0].status), (Some(session.id), AgendaStatus::Confirmed));
//! assert!(agenda.next.is_none());
//!
//! // Another student may not read Ana's agenda.
//! let ben = UserId::from_uuid(uuid::Uuid::now_v7());
//! let refused = engine.student_agenda(Actor::Student(ben), ana, from, to, &[], &PageRequest::first(20));
//! assert_eq!(refused.unwrap_err().code(), booking_core::ErrorCode::NotAuthorized);
//! # Ok::<(), booking_core::BookingError>(())
//! ```

use crate::{
    BookingAvailability, BookingError, BookingId, CourseId, GroupSession, MeetingLink, SeatBooking, SeatStatus,
    SeriesId, SessionId, SlotId, UserId, WaitlistMode,
    lesson::{Lesson, LessonStatus},
};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The largest page a query returns.
pub const MAX_PAGE_SIZE: u32 = 500;

/// The longest window a query covers, in days (a little over a year).
pub const MAX_WINDOW_DAYS: i64 = 400;

/// The longest page token accepted, in bytes.
const MAX_TOKEN_LEN: usize = 128;

/// Where a page ends: hand it back in [`PageRequest::after`] for the next page. Opaque; it
/// survives being stored as text (its [`as_str`](PageToken::as_str) form, read back with
/// [`PageToken::parse`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PageToken(String);

impl PageToken {
    /// The token as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A token from its text, as a client sent it back: at most 128 printable ASCII
    /// characters, or [`BookingError::InvalidInput`] naming `page_token`. (A token that is
    /// well formed but made up lists from wherever it points, within the query's window and
    /// the caller's rights.)
    ///
    /// ```
    /// use booking_core::read::PageToken;
    /// assert!(PageToken::parse("2030-05-06T14:00:00.000000Z/x").is_ok());
    /// assert!(PageToken::parse("bad\ntoken").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, BookingError> {
        if text.is_empty() || text.len() > MAX_TOKEN_LEN || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(BookingError::invalid("page_token", "is not a page token this engine gave out"));
        }
        Ok(PageToken(text.to_owned()))
    }

    pub(crate) fn new(text: String) -> Self {
        PageToken(text)
    }
}

impl std::fmt::Display for PageToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which page of a list to return.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageRequest {
    /// At most this many items (1 to [`MAX_PAGE_SIZE`]).
    pub limit: u32,
    /// Continue after this token (from [`Page::next`]); `None` for the first page.
    pub after: Option<PageToken>,
}

impl PageRequest {
    /// The first page, of at most `limit` items.
    pub fn first(limit: u32) -> Self {
        PageRequest { limit, after: None }
    }

    /// The page after `token`, of at most `limit` items.
    pub fn after(token: PageToken, limit: u32) -> Self {
        PageRequest { limit, after: Some(token) }
    }

    pub(crate) fn checked_limit(&self) -> Result<u32, BookingError> {
        if self.limit == 0 || self.limit > MAX_PAGE_SIZE {
            return Err(BookingError::invalid("limit", format!("must be 1 to {MAX_PAGE_SIZE}, got {}", self.limit)));
        }
        Ok(self.limit)
    }
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// Where to continue: `Some` while more items may follow (the next page may still be
    /// empty), `None` at the end of the list.
    pub next: Option<PageToken>,
}

/// Checks a window: `from` before `to`, at most [`MAX_WINDOW_DAYS`] apart.
pub(crate) fn check_window(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), BookingError> {
    if from >= to {
        return Err(BookingError::invalid("window", "must end after it starts"));
    }
    if to - from > TimeDelta::days(MAX_WINDOW_DAYS) {
        return Err(BookingError::invalid("window", format!("must be at most {MAX_WINDOW_DAYS} days long")));
    }
    Ok(())
}

/// Whether an agenda item is a seat in a group session or a 1:1 lesson.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgendaKind {
    /// A group session (for a student: their seat booking in it).
    Session,
    /// A 1:1 lesson.
    Lesson,
}

/// Where a student's agenda item stands.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgendaStatus {
    /// A confirmed seat or lesson.
    Confirmed,
    /// On a session's waitlist ([`StudentAgendaItem::waitlist_position`] says where).
    Waitlisted,
    /// A seat is offered until [`StudentAgendaItem::offer_expires_at`].
    Offered,
    /// A lesson waiting for the teacher's approval.
    PendingApproval,
    /// Took place, and the student came.
    Attended,
    /// Took place, and the student did not come.
    NoShow,
    /// A lesson the teacher declined.
    Declined,
    /// A lesson cancelled, or a seat in a cancelled session.
    Cancelled,
}

impl AgendaStatus {
    /// Every status.
    pub const ALL: [AgendaStatus; 8] = [
        AgendaStatus::Confirmed,
        AgendaStatus::Waitlisted,
        AgendaStatus::Offered,
        AgendaStatus::PendingApproval,
        AgendaStatus::Attended,
        AgendaStatus::NoShow,
        AgendaStatus::Declined,
        AgendaStatus::Cancelled,
    ];

    /// The status as a snake_case string.
    pub const fn as_str(self) -> &'static str {
        match self {
            AgendaStatus::Confirmed => "confirmed",
            AgendaStatus::Waitlisted => "waitlisted",
            AgendaStatus::Offered => "offered",
            AgendaStatus::PendingApproval => "pending_approval",
            AgendaStatus::Attended => "attended",
            AgendaStatus::NoShow => "no_show",
            AgendaStatus::Declined => "declined",
            AgendaStatus::Cancelled => "cancelled",
        }
    }

    /// The status a live seat booking shows (`None` for a finished one, which no agenda lists).
    pub fn of_seat(session: &GroupSession, booking: &SeatBooking) -> Option<Self> {
        if session.is_cancelled() && !booking.status.is_finished() {
            return Some(AgendaStatus::Cancelled);
        }
        Some(match booking.status {
            SeatStatus::Confirmed => AgendaStatus::Confirmed,
            SeatStatus::Waitlisted => AgendaStatus::Waitlisted,
            SeatStatus::Offered => AgendaStatus::Offered,
            SeatStatus::Attended => AgendaStatus::Attended,
            SeatStatus::NoShow => AgendaStatus::NoShow,
            SeatStatus::Expired | SeatStatus::Cancelled => return None,
        })
    }

    /// The status a lesson shows.
    pub const fn of_lesson(status: LessonStatus) -> Self {
        match status {
            LessonStatus::Pending => AgendaStatus::PendingApproval,
            LessonStatus::Confirmed => AgendaStatus::Confirmed,
            LessonStatus::Declined => AgendaStatus::Declined,
            LessonStatus::Cancelled => AgendaStatus::Cancelled,
            LessonStatus::Attended => AgendaStatus::Attended,
            LessonStatus::NoShow => AgendaStatus::NoShow,
        }
    }

    /// Whether the student has (or will have) a place: confirmed, attended or no-show.
    const fn holds_place(self) -> bool {
        matches!(self, AgendaStatus::Confirmed | AgendaStatus::Attended | AgendaStatus::NoShow)
    }
}

/// One item of a student's agenda: their seat booking in a session, or one of their lessons.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StudentAgendaItem {
    /// Session or lesson.
    pub kind: AgendaKind,
    /// The seat booking's or the lesson's id (what cancel, accept or reschedule take).
    pub booking_id: BookingId,
    /// The session, for a seat.
    pub session_id: Option<SessionId>,
    /// The teacher.
    pub teacher_id: UserId,
    /// The course, if any.
    pub course_id: Option<CourseId>,
    /// The session's title (lessons have none).
    pub title: Option<String>,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// The session's or the slot's zone, for display.
    pub time_zone: Tz,
    /// Where it stands.
    pub status: AgendaStatus,
    /// Seats the booking takes (1 for a lesson).
    pub seats: u32,
    /// The place on the waitlist (1 = next), while waitlisted.
    pub waitlist_position: Option<u32>,
    /// When a seat offer runs out, while offered.
    pub offer_expires_at: Option<DateTime<Utc>>,
    /// Where it takes place: shown only to a student who has their place (confirmed,
    /// attended, no-show), and for a lesson once the teacher set it.
    pub meeting_link: Option<MeetingLink>,
    /// The lesson's series, if booked as one.
    pub series_id: Option<SeriesId>,
}

impl StudentAgendaItem {
    /// The student's item in a session: their live booking there, if any.
    pub fn of_seat(session: &GroupSession, student_id: UserId) -> Option<Self> {
        let booking = session.bookings.iter().find(|b| b.student_id == student_id && !b.status.is_finished())?;
        let status = AgendaStatus::of_seat(session, booking)?;
        Some(StudentAgendaItem {
            kind: AgendaKind::Session,
            booking_id: booking.id,
            session_id: Some(session.id),
            teacher_id: session.teacher_id,
            course_id: session.course_id,
            title: Some(session.title.clone()),
            starts_at: session.starts_at,
            ends_at: session.ends_at(),
            time_zone: session.time_zone,
            status,
            seats: booking.seats,
            waitlist_position: session.waitlist_position(booking.id),
            offer_expires_at: if booking.status == SeatStatus::Offered { booking.offer_expires_at } else { None },
            meeting_link: status.holds_place().then(|| session.meeting_link.clone()),
            series_id: None,
        })
    }

    /// A lesson, as its student sees it.
    pub fn of_lesson(lesson: &Lesson) -> Self {
        let status = AgendaStatus::of_lesson(lesson.status);
        StudentAgendaItem {
            kind: AgendaKind::Lesson,
            booking_id: lesson.id,
            session_id: None,
            teacher_id: lesson.teacher_id,
            course_id: lesson.course_id,
            title: None,
            starts_at: lesson.starts_at,
            ends_at: lesson.ends_at,
            time_zone: lesson.time_zone,
            status,
            seats: 1,
            waitlist_position: None,
            offer_expires_at: None,
            meeting_link: if status.holds_place() { lesson.meeting_link.clone() } else { None },
            series_id: lesson.series_id,
        }
    }
}

/// A group session as anyone may see it before booking: what it is, its seat counts and
/// whether it takes bookings, without any student's ids; for a student, also their own
/// booking there. Read with [`Engine::session_summary`](crate::Engine::session_summary).
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionSummary {
    /// The session.
    pub session_id: SessionId,
    /// Its teacher.
    pub teacher_id: UserId,
    /// Its course, if any.
    pub course_id: Option<CourseId>,
    /// Its title.
    pub title: String,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// The teacher's zone, for display.
    pub time_zone: Tz,
    /// Length in minutes.
    pub duration_minutes: u32,
    /// Its seats.
    pub capacity: u32,
    /// Seats taken (confirmed, offered, attended, no-show bookings).
    pub seats_taken: u32,
    /// Seats still free.
    pub seats_remaining: u32,
    /// Whether new students may join the waitlist.
    pub waitlist_enabled: bool,
    /// How freed seats reach the waitlist.
    pub waitlist_mode: WaitlistMode,
    /// Bookings on the waitlist.
    pub waitlist_length: u32,
    /// The most seats one booking may take (`None`: up to the capacity).
    pub max_seats_per_booking: Option<u32>,
    /// Whether it takes bookings at the instant it was read, and how.
    pub availability: BookingAvailability,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Where it takes place: shown to its teacher, an admin, the system, and a student who
    /// has their place (confirmed, attended, no-show).
    pub meeting_link: Option<MeetingLink>,
    /// The asking student's live booking in it, with its waitlist place or offer deadline.
    pub own_booking: Option<StudentAgendaItem>,
}

impl SessionSummary {
    /// The session at `now` as `viewer` sees it: a student (`Some`) sees their own booking,
    /// and the meeting link only while they have their place; `None` (its teacher, an admin,
    /// the system) sees the meeting link and no own booking.
    pub fn of_session(session: &GroupSession, viewer: Option<UserId>, now: DateTime<Utc>) -> Self {
        let own_booking = viewer.and_then(|student| StudentAgendaItem::of_seat(session, student));
        let meeting_link = match (viewer, &own_booking) {
            (None, _) => Some(session.meeting_link.clone()),
            (Some(_), Some(own)) => own.meeting_link.clone(),
            (Some(_), None) => None,
        };
        SessionSummary {
            session_id: session.id,
            teacher_id: session.teacher_id,
            course_id: session.course_id,
            title: session.title.clone(),
            starts_at: session.starts_at,
            ends_at: session.ends_at(),
            time_zone: session.time_zone,
            duration_minutes: session.duration_minutes,
            capacity: session.capacity,
            seats_taken: session.booked_seats(),
            seats_remaining: session.remaining_seats(),
            waitlist_enabled: session.waitlist_enabled,
            waitlist_mode: session.waitlist_mode,
            waitlist_length: session.waitlisted_count(),
            max_seats_per_booking: session.rules.max_seats_per_booking,
            availability: session.availability(now),
            cancelled_at: session.cancelled_at,
            meeting_link,
            own_booking,
        }
    }
}

/// One item of a teacher's agenda: one of their sessions with its seat counts, or one of
/// their lessons.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TeacherAgendaItem {
    /// Session or lesson.
    pub kind: AgendaKind,
    /// The session, for a session.
    pub session_id: Option<SessionId>,
    /// The lesson's id, for a lesson.
    pub booking_id: Option<BookingId>,
    /// The session's title (lessons have none).
    pub title: Option<String>,
    /// The course, if any.
    pub course_id: Option<CourseId>,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// Its zone, for display.
    pub time_zone: Tz,
    /// Whether the session or the lesson was cancelled (a lesson also when declined).
    pub cancelled: bool,
    /// The lesson's status, for a lesson.
    pub lesson_status: Option<LessonStatus>,
    /// The lesson's student, for a lesson.
    pub student_id: Option<UserId>,
    /// The lesson's series, if booked as one.
    pub series_id: Option<SeriesId>,
    /// The session's seats (1 for a lesson).
    pub capacity: u32,
    /// Seats taken (confirmed, offered, attended, no-show bookings).
    pub seats_taken: u32,
    /// Seats still free.
    pub seats_remaining: u32,
    /// Bookings on the waitlist.
    pub waitlist_length: u32,
    /// Outstanding seat offers.
    pub open_offers: u32,
    /// Where it takes place: the session's link, or the lesson's once one is set (the
    /// teacher's own, so always shown).
    pub meeting_link: Option<MeetingLink>,
}

impl TeacherAgendaItem {
    /// A session, as its teacher's agenda shows it.
    pub fn of_session(session: &GroupSession) -> Self {
        TeacherAgendaItem {
            kind: AgendaKind::Session,
            session_id: Some(session.id),
            booking_id: None,
            title: Some(session.title.clone()),
            course_id: session.course_id,
            starts_at: session.starts_at,
            ends_at: session.ends_at(),
            time_zone: session.time_zone,
            cancelled: session.is_cancelled(),
            lesson_status: None,
            student_id: None,
            series_id: None,
            capacity: session.capacity,
            seats_taken: session.booked_seats(),
            seats_remaining: session.remaining_seats(),
            waitlist_length: session.waitlisted_count(),
            open_offers: u32::try_from(session.offers().count()).unwrap_or(u32::MAX),
            meeting_link: Some(session.meeting_link.clone()),
        }
    }

    /// A lesson, as its teacher's agenda shows it.
    pub fn of_lesson(lesson: &Lesson) -> Self {
        let takes_place = matches!(
            lesson.status,
            LessonStatus::Pending | LessonStatus::Confirmed | LessonStatus::Attended | LessonStatus::NoShow
        );
        TeacherAgendaItem {
            kind: AgendaKind::Lesson,
            session_id: None,
            booking_id: Some(lesson.id),
            title: None,
            course_id: lesson.course_id,
            starts_at: lesson.starts_at,
            ends_at: lesson.ends_at,
            time_zone: lesson.time_zone,
            cancelled: !takes_place,
            lesson_status: Some(lesson.status),
            student_id: Some(lesson.student_id),
            series_id: lesson.series_id,
            capacity: 1,
            seats_taken: u32::from(takes_place),
            seats_remaining: u32::from(!takes_place),
            waitlist_length: 0,
            open_offers: 0,
            meeting_link: lesson.meeting_link.clone(),
        }
    }
}

/// A lesson waiting for its teacher's approval.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApprovalRequest {
    /// The lesson (what approve and decline take).
    pub booking_id: BookingId,
    /// Who asks.
    pub student_id: UserId,
    /// The course, if any.
    pub course_id: Option<CourseId>,
    /// The slot it was requested from.
    pub slot_id: SlotId,
    /// Its series, if requested as one (each lesson of a series is approved on its own).
    pub series_id: Option<SeriesId>,
    /// When it would start.
    pub starts_at: DateTime<Utc>,
    /// When it would end.
    pub ends_at: DateTime<Utc>,
    /// The slot's zone, for display.
    pub time_zone: Tz,
    /// When it was requested (the queue's order).
    pub requested_at: DateTime<Utc>,
}

impl ApprovalRequest {
    /// The request of a pending lesson (`None` once it is no longer pending).
    pub fn of_lesson(lesson: &Lesson) -> Option<Self> {
        (lesson.status == LessonStatus::Pending).then_some(ApprovalRequest {
            booking_id: lesson.id,
            student_id: lesson.student_id,
            course_id: lesson.course_id,
            slot_id: lesson.slot_id,
            series_id: lesson.series_id,
            starts_at: lesson.starts_at,
            ends_at: lesson.ends_at,
            time_zone: lesson.time_zone,
            requested_at: lesson.requested_at,
        })
    }
}

/// One booking on a session's roster.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RosterEntry {
    /// The booking; withheld (`None`) from a student reading another student's entry.
    pub booking_id: Option<BookingId>,
    /// The student; withheld (`None`) from a student reading another student's entry.
    pub student_id: Option<UserId>,
    /// Where it stands: confirmed, attended, no-show, offered or waitlisted.
    pub status: SeatStatus,
    /// Seats it takes or waits for.
    pub seats: u32,
    /// The place on the waitlist (1 = next), while waitlisted.
    pub waitlist_position: Option<u32>,
    /// When the seat offer runs out, while offered.
    pub offer_expires_at: Option<DateTime<Utc>>,
    /// When it was booked.
    pub booked_at: DateTime<Utc>,
}

/// A session's roster: its counts, and one page of its bookings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Roster {
    /// The session.
    pub session_id: SessionId,
    /// Its seats.
    pub capacity: u32,
    /// Seats taken.
    pub seats_taken: u32,
    /// Seats still free.
    pub seats_remaining: u32,
    /// Bookings on the waitlist.
    pub waitlist_length: u32,
    /// Seat holders (confirmed, attended, no-show) in booking order, then the open offers
    /// by deadline, then the waitlist in order.
    pub entries: Page<RosterEntry>,
}

impl Roster {
    /// The roster's entries in their order: seat holders, offers, waitlist. With `viewer`
    /// set (a student), every other student's ids are withheld.
    pub fn entries_of(session: &GroupSession, viewer: Option<UserId>) -> Vec<RosterEntry> {
        let entry = |b: &SeatBooking| {
            let visible = viewer.is_none_or(|v| v == b.student_id);
            RosterEntry {
                booking_id: visible.then_some(b.id),
                student_id: visible.then_some(b.student_id),
                status: b.status,
                seats: b.seats,
                waitlist_position: session.waitlist_position(b.id),
                offer_expires_at: if b.status == SeatStatus::Offered { b.offer_expires_at } else { None },
                booked_at: b.booked_at,
            }
        };
        let holders = session
            .bookings
            .iter()
            .filter(|b| matches!(b.status, SeatStatus::Confirmed | SeatStatus::Attended | SeatStatus::NoShow));
        let mut offers: Vec<&SeatBooking> = session.offers().collect();
        offers.sort_by_key(|b| b.offer_expires_at);
        holders.chain(offers).chain(session.waitlist()).map(entry).collect()
    }
}

/// A session or a lesson that starts in a window, for reminders.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StartingItem {
    /// Session or lesson.
    pub kind: AgendaKind,
    /// The session, for a session (its roster names whom to remind).
    pub session_id: Option<SessionId>,
    /// The lesson's id, for a lesson.
    pub booking_id: Option<BookingId>,
    /// The teacher.
    pub teacher_id: UserId,
    /// The lesson's student, for a lesson.
    pub student_id: Option<UserId>,
    /// The course, if any.
    pub course_id: Option<CourseId>,
    /// The session's title (lessons have none).
    pub title: Option<String>,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// Its zone, for display.
    pub time_zone: Tz,
    /// Where it takes place, if known.
    pub meeting_link: Option<MeetingLink>,
    /// Seats taken (1 for a lesson).
    pub seats_taken: u32,
}

impl StartingItem {
    /// A session, unless it was cancelled.
    pub fn of_session(session: &GroupSession) -> Option<Self> {
        (!session.is_cancelled()).then(|| StartingItem {
            kind: AgendaKind::Session,
            session_id: Some(session.id),
            booking_id: None,
            teacher_id: session.teacher_id,
            student_id: None,
            course_id: session.course_id,
            title: Some(session.title.clone()),
            starts_at: session.starts_at,
            ends_at: session.ends_at(),
            time_zone: session.time_zone,
            meeting_link: Some(session.meeting_link.clone()),
            seats_taken: session.booked_seats(),
        })
    }

    /// A lesson that takes place (confirmed, attended, no-show).
    pub fn of_lesson(lesson: &Lesson) -> Option<Self> {
        matches!(lesson.status, LessonStatus::Confirmed | LessonStatus::Attended | LessonStatus::NoShow).then(|| {
            StartingItem {
                kind: AgendaKind::Lesson,
                session_id: None,
                booking_id: Some(lesson.id),
                teacher_id: lesson.teacher_id,
                student_id: Some(lesson.student_id),
                course_id: lesson.course_id,
                title: None,
                starts_at: lesson.starts_at,
                ends_at: lesson.ends_at,
                time_zone: lesson.time_zone,
                meeting_link: lesson.meeting_link.clone(),
                seats_taken: 1,
            }
        })
    }
}
