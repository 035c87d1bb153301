//! Seat-based group sessions: the aggregate, its rules, and its pure decision functions.
//!
//! A [`GroupSession`] holds its seat bookings, so every seat rule is decided inside one
//! aggregate and saved with one version check (see [`Repository`](crate::Repository)): no
//! interleaving of commands can overbook it.
//!
//! # Rules
//! - **Seats taken** are the bookings that are [`Confirmed`](SeatStatus::Confirmed) or
//!   [`Attended`](SeatStatus::Attended); they never exceed the capacity.
//! - **One active booking per student**: a student holds at most one `Confirmed` or
//!   `Waitlisted` booking per session. A cancelled booking does not block: the student may book
//!   again, and gets a new booking at the back of the queue.
//! - **The waitlist is first come, first served**: when a seat frees up (cancellation, or a
//!   capacity increase) the earliest waitlisted booking is promoted, in the same atomic step.
//! - **Turning the waitlist off** closes the queue to newcomers; students already waiting keep
//!   their place and are still promoted in order when seats free up (nobody loses a place
//!   they were promised). Turning it on again lets new students queue behind them.
//! - **Closed for booking** means: every seat taken and the waitlist off (the seed's
//!   `booking_closed`). It is derived, never stored; the `SessionClosed` / `SessionReopened`
//!   events report each change.
//! - **Lowering capacity** below the seats already taken is refused with
//!   [`BookingError::CapacityBelowBooked`]: nobody loses a confirmed seat to a capacity change.
//! - **The start freezes seats.** From the instant `now >= starts_at`, booking, cancelling,
//!   promotion, capacity and waitlist changes and cancelling the session are refused with
//!   [`BookingError::SessionStarted`]; only attendance may be marked, and only from then on.
//!   Students still waiting at the start stay `Waitlisted`. `SessionClosed` and
//!   `SessionReopened` are reported only before the start.
//!
//! # Seat booking transitions
//!
//! | from | to | by |
//! |---|---|---|
//! | (new) | `Confirmed` | booking with a free seat |
//! | (new) | `Waitlisted` | booking a full session with the waitlist on |
//! | `Waitlisted` | `Confirmed` | promotion |
//! | `Confirmed`, `Waitlisted` | `Cancelled` | cancelling the booking or the session, before the start |
//! | `Confirmed` | `Attended`, `NoShow` | attendance, from the start |
//! | `Attended`, `NoShow` | `NoShow`, `Attended` | correcting attendance |
//!
//! Anything else is refused with [`BookingError::InvalidTransition`].

use crate::{
    Actor, BookingError, BookingId, CourseId, Event, EventKind, MeetingLink, SchedulingRules, SessionId, UserId,
    time::parse_time_zone,
};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Most seats a session may have.
pub const MAX_CAPACITY: u32 = 10_000;
/// Longest session, in minutes (one day).
pub const MAX_DURATION_MINUTES: u32 = 24 * 60;
/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// How far ahead a session may be scheduled, in days.
pub const MAX_DAYS_AHEAD: i64 = 3 * 366;

/// What a teacher fills in to create a group session.
///
/// ```
/// use booking_core::{NewGroupSession, UserId};
/// use chrono::{TimeZone, Utc};
/// let new = NewGroupSession {
///     teacher_id: UserId::from_uuid(uuid::Uuid::from_u128(1)),
///     course_id: None,
///     title: "Conversation club".into(),
///     starts_at: Utc.with_ymd_and_hms(2030, 3, 1, 17, 0, 0).unwrap(),
///     time_zone: "Europe/Berlin".into(),
///     duration_minutes: 60,
///     meeting_link: "https://meet.example.com/club".into(),
///     capacity: 10,
///     waitlist_enabled: true, waitlist_mode: Default::default(), rules: Default::default(),
/// };
/// assert_eq!(new.capacity, 10);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewGroupSession {
    /// The teacher who runs it.
    pub teacher_id: UserId,
    /// The course it belongs to, if any.
    pub course_id: Option<CourseId>,
    /// A title shown to students (1 to 200 characters, trimmed).
    pub title: String,
    /// The start instant.
    pub starts_at: DateTime<Utc>,
    /// The teacher's IANA time zone, kept for display (for instance `"Europe/Berlin"`).
    pub time_zone: String,
    /// Length in minutes, 1 to 1440.
    pub duration_minutes: u32,
    /// An http(s) URL.
    pub meeting_link: String,
    /// Seats, 1 to 10,000.
    pub capacity: u32,
    /// Whether students may queue once every seat is taken.
    pub waitlist_enabled: bool,
    /// How a freed seat reaches the waitlist: promoted at once (the default) or offered.
    #[serde(default)]
    pub waitlist_mode: WaitlistMode,
    /// The session's own booking window and cancellation cut-off; unset fields come from the
    /// teacher's rules (see [`crate::rules`]). Buffers and limits are refused here.
    #[serde(default)]
    pub rules: SchedulingRules,
}

/// How a freed seat reaches the waitlist.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum WaitlistMode {
    /// The first in line gets the seat at once (the checklist's behaviour).
    #[default]
    Promote,
    /// The seat is held for the first in line for `hold_minutes`; they accept or decline, and
    /// an unanswered offer expires and passes to the next. The host processes expiries with
    /// [`Engine::process_expired_offers`](crate::Engine::process_expired_offers). No offer is made
    /// once the session has started, and an offer never outlives the start.
    Offer {
        /// How long an offer holds the seat, 1 to 10,080 minutes (a week).
        hold_minutes: u32,
    },
}

/// The status of a seat booking; see the [module docs](self) for the transitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatStatus {
    /// Holds a seat.
    Confirmed,
    /// Queued for a seat.
    Waitlisted,
    /// Waitlisted, and a freed seat is held for it until the offer expires (offer mode).
    Offered,
    /// Its offer was not answered in time; it left the queue.
    Expired,
    /// Cancelled before the start (by the student, the teacher, an admin, or with the session).
    Cancelled,
    /// Held a seat and came.
    Attended,
    /// Held a seat and did not come.
    NoShow,
}

impl SeatStatus {
    /// The status as a snake_case string.
    pub const fn as_str(self) -> &'static str {
        match self {
            SeatStatus::Confirmed => "confirmed",
            SeatStatus::Waitlisted => "waitlisted",
            SeatStatus::Offered => "offered",
            SeatStatus::Expired => "expired",
            SeatStatus::Cancelled => "cancelled",
            SeatStatus::Attended => "attended",
            SeatStatus::NoShow => "no_show",
        }
    }

    /// Confirmed, waitlisted or offered: the booking still counts as the student's booking here.
    pub const fn is_active(self) -> bool {
        matches!(self, SeatStatus::Confirmed | SeatStatus::Waitlisted | SeatStatus::Offered)
    }

    /// Confirmed, offered (the seat is held) or attended: the booking takes its seats.
    pub const fn takes_seat(self) -> bool {
        matches!(self, SeatStatus::Confirmed | SeatStatus::Offered | SeatStatus::Attended)
    }
}

impl fmt::Display for SeatStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One student's booking in a group session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatBooking {
    /// The booking.
    pub id: BookingId,
    /// Its session.
    pub session_id: SessionId,
    /// The student.
    pub student_id: UserId,
    /// Where it stands.
    pub status: SeatStatus,
    /// When it was made, by the engine's clock. The waitlist order is the order of
    /// [`GroupSession::bookings`] (the commit order), not this time, which a clock stepping back
    /// could disorder.
    pub booked_at: DateTime<Utc>,
    /// When its status last changed.
    pub updated_at: DateTime<Utc>,
    /// How many seats it takes (a parent booking for two children takes 2); all or nothing,
    /// also on the waitlist, where the booking waits as one.
    #[serde(default = "one_seat")]
    pub seats: u32,
    /// While [`Offered`](SeatStatus::Offered): when the offer runs out.
    #[serde(default)]
    pub offer_expires_at: Option<DateTime<Utc>>,
}

pub(crate) const fn one_seat() -> u32 {
    1
}

/// Whether a group session takes bookings at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingAvailability {
    /// Seats are free.
    Open,
    /// Every seat is taken; new bookings join the waitlist.
    WaitlistOnly,
    /// Every seat is taken and the waitlist is off (the seed's `booking_closed`).
    Closed,
    /// The session has started; seats are frozen.
    Started,
    /// The session was cancelled.
    Cancelled,
}

/// A seat-based group session with its bookings, in the order they were made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSession {
    /// The session.
    pub id: SessionId,
    /// Its teacher.
    pub teacher_id: UserId,
    /// Its course, if any.
    pub course_id: Option<CourseId>,
    /// Its title.
    pub title: String,
    /// Its start instant.
    pub starts_at: DateTime<Utc>,
    /// The teacher's zone, for display.
    pub time_zone: Tz,
    /// Length in minutes.
    pub duration_minutes: u32,
    /// Where it takes place.
    pub meeting_link: MeetingLink,
    /// Seats.
    pub capacity: u32,
    /// Whether new students may join the waitlist.
    pub waitlist_enabled: bool,
    /// How freed seats reach the waitlist.
    #[serde(default)]
    pub waitlist_mode: WaitlistMode,
    /// The booking window and cancellation cut-off in effect, resolved when it was created.
    #[serde(default)]
    pub rules: SchedulingRules,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version: 1 when created, +1 per change.
    pub version: u64,
    /// Every booking ever made, oldest first. The waitlist is the `Waitlisted` ones, in order.
    pub bookings: Vec<SeatBooking>,
}

impl GroupSession {
    /// When it ends.
    pub fn ends_at(&self) -> DateTime<Utc> {
        self.starts_at + TimeDelta::minutes(i64::from(self.duration_minutes))
    }

    /// Seats taken: confirmed plus attended bookings.
    pub fn booked_seats(&self) -> u32 {
        self.count(SeatStatus::takes_seat)
    }

    /// Seats still free (never negative).
    pub fn remaining_seats(&self) -> u32 {
        self.capacity.saturating_sub(self.booked_seats())
    }

    /// Whether every seat is taken.
    pub fn is_full(&self) -> bool {
        self.booked_seats() >= self.capacity
    }

    /// How many students wait.
    pub fn waitlisted_count(&self) -> u32 {
        self.count(|s| s == SeatStatus::Waitlisted)
    }

    /// Whether the session was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }

    /// Whether the session has started at `now` (`now >= starts_at`).
    pub fn has_started(&self, now: DateTime<Utc>) -> bool {
        now >= self.starts_at
    }

    /// Every seat taken and the waitlist off: the seed's `booking_closed` status.
    pub fn is_closed_for_booking(&self) -> bool {
        !self.waitlist_enabled && self.is_full()
    }

    /// Whether the session takes bookings at `now`, and how.
    pub fn availability(&self, now: DateTime<Utc>) -> BookingAvailability {
        if self.is_cancelled() {
            BookingAvailability::Cancelled
        } else if self.has_started(now) {
            BookingAvailability::Started
        } else if !self.is_full() {
            BookingAvailability::Open
        } else if self.waitlist_enabled {
            BookingAvailability::WaitlistOnly
        } else {
            BookingAvailability::Closed
        }
    }

    /// The earliest instant an outstanding seat offer runs out, if any (see
    /// [`WaitlistMode::Offer`]); stores index sessions by it.
    pub fn next_offer_deadline(&self) -> Option<DateTime<Utc>> {
        self.bookings.iter().filter(|b| b.status == SeatStatus::Offered).filter_map(|b| b.offer_expires_at).min()
    }

    /// Whether a student without a booking here could book at `now` (a seat or the waitlist).
    pub fn can_be_booked(&self, now: DateTime<Utc>) -> bool {
        matches!(self.availability(now), BookingAvailability::Open | BookingAvailability::WaitlistOnly)
    }

    /// A booking of this session.
    pub fn booking(&self, id: BookingId) -> Option<&SeatBooking> {
        self.bookings.iter().find(|b| b.id == id)
    }

    /// The student's active (confirmed or waitlisted) booking, if any.
    pub fn active_booking_of(&self, student_id: UserId) -> Option<&SeatBooking> {
        self.bookings.iter().find(|b| b.student_id == student_id && b.status.is_active())
    }

    /// The 1-based waitlist position of a waitlisted booking.
    pub fn waitlist_position(&self, id: BookingId) -> Option<u32> {
        self.waitlist().position(|b| b.id == id).map(|p| p as u32 + 1)
    }

    /// The waitlisted bookings, first in line first.
    pub fn waitlist(&self) -> impl Iterator<Item = &SeatBooking> {
        self.bookings.iter().filter(|b| b.status == SeatStatus::Waitlisted)
    }

    fn count(&self, pred: impl Fn(SeatStatus) -> bool) -> u32 {
        self.bookings.iter().filter(|b| pred(b.status)).count() as u32
    }

    fn booking_mut(&mut self, id: BookingId) -> &mut SeatBooking {
        self.bookings.iter_mut().find(|b| b.id == id).expect("events only name bookings of their session")
    }

    /// Applies one event of this session to its state. This is the only way the engine changes
    /// a session, so a command's events describe exactly the change it made.
    ///
    /// # Panics
    /// If the event names a booking this session does not have, which the engine never
    /// produces (the events come from [`decide`] on this very state).
    pub fn apply(&mut self, event: &Event) {
        let at = event.occurred_at;
        match &event.kind {
            EventKind::SessionCreated { .. } | EventKind::SessionClosed { .. } | EventKind::SessionReopened { .. } => {}
            EventKind::BookingConfirmed { booking_id, student_id, .. } => {
                self.push_booking(*booking_id, *student_id, SeatStatus::Confirmed, at)
            }
            EventKind::BookingWaitlisted { booking_id, student_id, .. } => {
                self.push_booking(*booking_id, *student_id, SeatStatus::Waitlisted, at)
            }
            EventKind::BookingPromoted { booking_id, .. } => self.set_status(*booking_id, SeatStatus::Confirmed, at),
            EventKind::BookingCancelled { booking_id, .. } => self.set_status(*booking_id, SeatStatus::Cancelled, at),
            EventKind::AttendanceMarked { booking_id, status, .. } => self.set_status(*booking_id, *status, at),
            EventKind::CapacityChanged { capacity, .. } => self.capacity = *capacity,
            EventKind::WaitlistChanged { enabled, .. } => self.waitlist_enabled = *enabled,
            EventKind::SessionCancelled { .. } => self.cancelled_at = Some(at),
            // Lesson and availability events belong to calendars and lessons.
            _ => {}
        }
    }

    fn push_booking(&mut self, id: BookingId, student_id: UserId, status: SeatStatus, at: DateTime<Utc>) {
        // Decisions work on a clone, whose vector has no spare room: grow it by exactly one
        // rather than let `push` double it (a stored session would keep the spare half).
        self.bookings.reserve_exact(1);
        self.bookings.push(SeatBooking {
            id,
            session_id: self.id,
            student_id,
            status,
            booked_at: at,
            updated_at: at,
            seats: 1,
            offer_expires_at: None,
        });
    }

    fn set_status(&mut self, id: BookingId, status: SeatStatus, at: DateTime<Utc>) {
        let booking = self.booking_mut(id);
        booking.status = status;
        booking.updated_at = at;
    }
}

/// A command on an existing group session, decided by [`decide`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum SessionCommand {
    /// Book seats (or a waitlist place) for a student, all or nothing.
    BookSeat {
        /// The student.
        student_id: UserId,
        /// How many seats, at least 1.
        seats: u32,
    },
    /// Accept the seat offered to a waitlisted booking.
    AcceptOffer {
        /// The booking.
        booking_id: BookingId,
    },
    /// Decline the seat offered to a waitlisted booking; it leaves the queue.
    DeclineOffer {
        /// The booking.
        booking_id: BookingId,
    },
    /// Expire the offers that ran out by now and offer their seats to the next in line.
    ExpireOffers,
    /// Cancel a confirmed or waitlisted booking.
    CancelBooking {
        /// The booking.
        booking_id: BookingId,
    },
    /// Set the number of seats.
    ChangeCapacity {
        /// The new number of seats.
        capacity: u32,
    },
    /// Turn the waitlist on or off.
    SetWaitlist {
        /// On or off.
        enabled: bool,
    },
    /// Cancel the session and every booking in it.
    CancelSession,
    /// Mark a confirmed booking attended or no-show (or correct an earlier mark).
    MarkAttendance {
        /// The booking.
        booking_id: BookingId,
        /// `true` for attended, `false` for no-show.
        attended: bool,
    },
}

/// What a decision needs besides state and command: who asks, when, and a fresh id in case
/// the command creates something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionContext {
    /// Who runs the command.
    pub actor: Actor,
    /// The engine clock's instant.
    pub now: DateTime<Utc>,
    /// An unused UUID for whatever the command creates.
    pub fresh_id: uuid::Uuid,
}

impl DecisionContext {
    fn event(&self, kind: EventKind) -> Event {
        Event { occurred_at: self.now, actor: self.actor, kind }
    }
}

/// Validates `new` and creates the session it describes (version 1, no bookings), with its
/// `SessionCreated` event. Pure: nothing is stored.
///
/// ```
/// use booking_core::{group, Actor, NewGroupSession, UserId};
/// use booking_core::group::DecisionContext;
/// use chrono::{TimeZone, Utc};
/// let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
/// let ctx = DecisionContext {
///     actor: Actor::Teacher(teacher),
///     now: Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
///     fresh_id: uuid::Uuid::from_u128(2),
/// };
/// let mut new = NewGroupSession {
///     teacher_id: teacher, course_id: None, title: "Algebra".into(),
///     starts_at: Utc.with_ymd_and_hms(2030, 1, 8, 16, 0, 0).unwrap(),
///     time_zone: "America/New_York".into(), duration_minutes: 45,
///     meeting_link: "https://meet.example.com/algebra".into(), capacity: 5, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
/// };
/// let (session, events) = group::create(&ctx, &new).unwrap();
/// assert_eq!(session.remaining_seats(), 5);
/// assert_eq!(events[0].kind.name(), "session_created");
///
/// new.capacity = 0;
/// assert_eq!(group::create(&ctx, &new).unwrap_err().code().as_str(), "invalid_input");
/// ```
pub fn create(
    ctx: &DecisionContext,
    new: &NewGroupSession,
    teacher_rules: &SchedulingRules,
) -> Result<(GroupSession, Vec<Event>), BookingError> {
    if !ctx.actor.acts_for_teacher(new.teacher_id) {
        return Err(BookingError::not_authorized(format!(
            "{} cannot create a session for teacher {}",
            ctx.actor, new.teacher_id
        )));
    }
    let title = new.title.trim();
    if title.is_empty() {
        return Err(BookingError::invalid("title", "must not be empty"));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(BookingError::invalid("title", format!("longer than {MAX_TITLE_CHARS} characters")));
    }
    let time_zone = parse_time_zone(&new.time_zone)?;
    check_duration(new.duration_minutes)?;
    check_capacity(new.capacity)?;
    let meeting_link = MeetingLink::parse(&new.meeting_link)?;
    if new.starts_at <= ctx.now {
        return Err(BookingError::StartInPast { starts_at: new.starts_at, now: ctx.now });
    }
    if new.starts_at > ctx.now + TimeDelta::days(MAX_DAYS_AHEAD) {
        return Err(BookingError::invalid("starts_at", format!("more than {MAX_DAYS_AHEAD} days ahead")));
    }
    let session = GroupSession {
        id: SessionId(ctx.fresh_id),
        teacher_id: new.teacher_id,
        course_id: new.course_id,
        title: title.to_owned(),
        starts_at: new.starts_at,
        time_zone,
        duration_minutes: new.duration_minutes,
        meeting_link,
        capacity: new.capacity,
        waitlist_enabled: new.waitlist_enabled,
        waitlist_mode: new.waitlist_mode,
        rules: new.rules.or(teacher_rules).for_sessions(),
        created_at: ctx.now,
        cancelled_at: None,
        version: 1,
        bookings: Vec::new(),
    };
    let events = vec![ctx.event(EventKind::SessionCreated { session: Box::new(session.clone()) })];
    Ok((session, events))
}

fn check_capacity(capacity: u32) -> Result<(), BookingError> {
    if capacity == 0 || capacity > MAX_CAPACITY {
        return Err(BookingError::invalid("capacity", format!("must be between 1 and {MAX_CAPACITY}, got {capacity}")));
    }
    Ok(())
}

fn check_duration(minutes: u32) -> Result<(), BookingError> {
    if minutes == 0 || minutes > MAX_DURATION_MINUTES {
        return Err(BookingError::invalid(
            "duration_minutes",
            format!("must be between 1 and {MAX_DURATION_MINUTES}, got {minutes}"),
        ));
    }
    Ok(())
}

/// Decides `command` on `session` at `ctx.now`: either the session's next state (version not
/// yet bumped) with the events that produced it, or the reason for refusal. Pure: `session`
/// is not modified and nothing is stored.
///
/// The returned state is `session` with every returned event [applied](GroupSession::apply);
/// an empty event list means the command changed nothing (for instance setting the capacity it
/// already has).
pub fn decide(
    session: &GroupSession,
    ctx: &DecisionContext,
    command: &SessionCommand,
) -> Result<(GroupSession, Vec<Event>), BookingError> {
    let mut d =
        Decision { before_closed: session.is_closed_for_booking(), next: session.clone(), events: Vec::new(), ctx };
    match *command {
        SessionCommand::BookSeat { student_id, seats: _ } => d.book(student_id)?,
        SessionCommand::AcceptOffer { .. } | SessionCommand::DeclineOffer { .. } | SessionCommand::ExpireOffers => {
            todo!("offers")
        }
        SessionCommand::CancelBooking { booking_id } => d.cancel_booking(booking_id)?,
        SessionCommand::ChangeCapacity { capacity } => d.change_capacity(capacity)?,
        SessionCommand::SetWaitlist { enabled } => d.set_waitlist(enabled)?,
        SessionCommand::CancelSession => d.cancel_session()?,
        SessionCommand::MarkAttendance { booking_id, attended } => d.mark_attendance(booking_id, attended)?,
    }
    Ok(d.finish())
}

struct Decision<'a> {
    before_closed: bool,
    next: GroupSession,
    events: Vec<Event>,
    ctx: &'a DecisionContext,
}

impl Decision<'_> {
    fn emit(&mut self, kind: EventKind) {
        let event = self.ctx.event(kind);
        self.next.apply(&event);
        self.events.push(event);
    }

    fn finish(mut self) -> (GroupSession, Vec<Event>) {
        let after_closed = self.next.is_closed_for_booking();
        // Closing and reopening concern booking, which ends at the start.
        let bookable = !self.next.is_cancelled() && !self.next.has_started(self.ctx.now);
        if bookable && after_closed != self.before_closed {
            let session_id = self.next.id;
            self.emit(if after_closed {
                EventKind::SessionClosed { session_id }
            } else {
                EventKind::SessionReopened { session_id }
            });
        }
        (self.next, self.events)
    }

    fn s(&self) -> &GroupSession {
        &self.next
    }

    fn require_teacher(&self, what: &str) -> Result<(), BookingError> {
        if self.ctx.actor.acts_for_teacher(self.s().teacher_id) {
            Ok(())
        } else {
            Err(BookingError::not_authorized(format!(
                "{} cannot {what}: only the session's teacher or an admin can",
                self.ctx.actor
            )))
        }
    }

    /// Refuses changes to seats once the session is cancelled or has started.
    fn require_open_for_changes(&self) -> Result<(), BookingError> {
        let s = self.s();
        if s.is_cancelled() {
            return Err(BookingError::SessionCancelled { session_id: s.id });
        }
        if s.has_started(self.ctx.now) {
            return Err(BookingError::SessionStarted { session_id: s.id, starts_at: s.starts_at });
        }
        Ok(())
    }

    fn find(&self, booking_id: BookingId) -> Result<SeatBooking, BookingError> {
        self.s().booking(booking_id).cloned().ok_or(BookingError::BookingNotFound { id: booking_id })
    }

    fn book(&mut self, student_id: UserId) -> Result<(), BookingError> {
        if !self.ctx.actor.acts_for_student(student_id) {
            return Err(BookingError::not_authorized(format!(
                "{} cannot book for student {student_id}: students book only for themselves",
                self.ctx.actor
            )));
        }
        self.require_open_for_changes()?;
        let s = self.s();
        if let Some(existing) = s.active_booking_of(student_id) {
            return Err(BookingError::AlreadyBooked { student_id, booking_id: existing.id });
        }
        let (session_id, booking_id) = (s.id, BookingId(self.ctx.fresh_id));
        if !s.is_full() && s.waitlisted_count() == 0 {
            self.emit(EventKind::BookingConfirmed { session_id, booking_id, student_id, seats: 1 });
        } else if s.waitlist_enabled {
            let position = s.waitlisted_count() + 1;
            self.emit(EventKind::BookingWaitlisted { session_id, booking_id, student_id, position, seats: 1 });
        } else {
            return Err(BookingError::SessionFull { session_id, capacity: s.capacity });
        }
        Ok(())
    }

    fn cancel_booking(&mut self, booking_id: BookingId) -> Result<(), BookingError> {
        let booking = self.find(booking_id)?;
        let actor = self.ctx.actor;
        if !(actor.acts_for_student(booking.student_id) || actor.acts_for_teacher(self.s().teacher_id)) {
            return Err(BookingError::not_authorized(format!(
                "{actor} cannot cancel booking {booking_id}: only its student, the session's teacher or an admin can"
            )));
        }
        self.require_open_for_changes()?;
        if !booking.status.is_active() {
            return Err(invalid_transition(&booking, "cancel"));
        }
        self.emit(EventKind::BookingCancelled {
            session_id: booking.session_id,
            booking_id,
            student_id: booking.student_id,
            previous_status: booking.status,
            cutoff_overridden: false,
        });
        self.promote_waitlist();
        Ok(())
    }

    /// Promotes waitlisted bookings, first in line first, into every free seat.
    fn promote_waitlist(&mut self) {
        while !self.s().is_full() {
            let Some(head) = self.s().waitlist().next() else { break };
            let (session_id, booking_id, student_id) = (head.session_id, head.id, head.student_id);
            self.emit(EventKind::BookingPromoted { session_id, booking_id, student_id });
        }
    }

    fn change_capacity(&mut self, capacity: u32) -> Result<(), BookingError> {
        self.require_teacher("change the capacity")?;
        self.require_open_for_changes()?;
        check_capacity(capacity)?;
        let (previous, taken) = (self.s().capacity, self.s().booked_seats());
        if capacity < taken {
            return Err(BookingError::CapacityBelowBooked { requested: capacity, taken });
        }
        if capacity != previous {
            self.emit(EventKind::CapacityChanged { session_id: self.s().id, previous, capacity });
            self.promote_waitlist();
        }
        Ok(())
    }

    fn set_waitlist(&mut self, enabled: bool) -> Result<(), BookingError> {
        self.require_teacher("change the waitlist")?;
        self.require_open_for_changes()?;
        if enabled != self.s().waitlist_enabled {
            self.emit(EventKind::WaitlistChanged { session_id: self.s().id, enabled });
        }
        Ok(())
    }

    fn cancel_session(&mut self) -> Result<(), BookingError> {
        self.require_teacher("cancel the session")?;
        self.require_open_for_changes()?;
        let active: Vec<SeatBooking> = self.s().bookings.iter().filter(|b| b.status.is_active()).cloned().collect();
        for b in active {
            self.emit(EventKind::BookingCancelled {
                session_id: b.session_id,
                booking_id: b.id,
                student_id: b.student_id,
                previous_status: b.status,
                cutoff_overridden: false,
            });
        }
        self.emit(EventKind::SessionCancelled { session_id: self.s().id });
        Ok(())
    }

    fn mark_attendance(&mut self, booking_id: BookingId, attended: bool) -> Result<(), BookingError> {
        let booking = self.find(booking_id)?;
        self.require_teacher("mark attendance")?;
        let s = self.s();
        if s.is_cancelled() {
            return Err(BookingError::SessionCancelled { session_id: s.id });
        }
        if !s.has_started(self.ctx.now) {
            return Err(BookingError::SessionNotStarted { session_id: s.id, starts_at: s.starts_at });
        }
        let status = if attended { SeatStatus::Attended } else { SeatStatus::NoShow };
        match booking.status {
            SeatStatus::Confirmed | SeatStatus::Attended | SeatStatus::NoShow => {
                if booking.status != status {
                    self.emit(EventKind::AttendanceMarked {
                        session_id: booking.session_id,
                        booking_id,
                        student_id: booking.student_id,
                        status,
                    });
                }
                Ok(())
            }
            SeatStatus::Waitlisted | SeatStatus::Offered | SeatStatus::Cancelled | SeatStatus::Expired => {
                Err(invalid_transition(&booking, &format!("mark it {}", status.as_str())))
            }
        }
    }
}

fn invalid_transition(booking: &SeatBooking, action: &str) -> BookingError {
    BookingError::InvalidTransition {
        booking_id: booking.id,
        from: booking.status.as_str().to_owned(),
        action: action.to_owned(),
    }
}
