//! Seat-based group sessions: the aggregate, its rules, and its pure decision functions.
//!
//! A [`GroupSession`] holds its seat bookings, so every seat rule is decided inside one
//! aggregate and saved with one version check (see [`Repository`](crate::Repository)): no
//! interleaving of commands can overbook it.
//!
//! # Rules
//! - **Seats taken** are the seats of the bookings that are [`Confirmed`](SeatStatus::Confirmed),
//!   [`Offered`](SeatStatus::Offered) (an offer holds its seats) or
//!   [`Attended`](SeatStatus::Attended); they never exceed the capacity.
//! - **Several seats in one booking** (a parent booking for two children): a booking takes
//!   [`SeatBooking::seats`] seats, 1 to the capacity, all or nothing: it is confirmed only if
//!   that many seats are free, and otherwise waits as one on the waitlist.
//! - **Seats per booking**: a booking takes at most the session's `max_seats_per_booking`
//!   ([`GroupSession::rules`]), else [`BookingError::LimitReached`] (on a seat or on the
//!   waitlist alike). The teacher sets it on the session, for a course or as their default
//!   ([`crate::rules`]); **unset everywhere it is 1**
//!   ([`DEFAULT_MAX_SEATS_PER_BOOKING`](crate::rules::DEFAULT_MAX_SEATS_PER_BOOKING)), so one
//!   student cannot take every seat in one call unless the teacher allowed bookings of several
//!   seats. The limit is fixed when the session is created and a booking's seats never change,
//!   so it is checked where a booking is made; accepting an offer or a promotion confirms a
//!   booking that passed it. A session stored before the limit existed records none and keeps
//!   its old behaviour: no limit but the capacity.
//! - **One active booking per student**: a student holds at most one `Confirmed`, `Waitlisted`
//!   or `Offered` booking per session. A cancelled (or expired) booking does not block: the
//!   student may book again, and gets a new booking at the back of the queue.
//! - **Finished bookings leave the session**: a cancelled (or declined) or expired booking
//!   counts for nothing here and never changes again, so the engine moves it out of
//!   [`GroupSession::bookings`] into the store's booking history in the commit that finishes
//!   it ([`SeatStatus::is_finished`]); it is still read by id
//!   ([`Engine::seat_booking`](crate::Engine::seat_booking)), and a command on it is refused
//!   as before. The session stays the size of its live bookings however often students book
//!   and cancel (see [`crate::repository`], "Booking history").
//! - **The waitlist is strictly first come, first served**: a newcomer is confirmed only if
//!   enough seats are free *and nobody is waitlisted*; otherwise they queue at the back. When
//!   seats free up (a cancellation, a capacity increase, a declined or expired offer) the head
//!   of the waitlist is served, in the same atomic step, if all its seats are free; serving
//!   stops at the first head that does not fit (a waiting group of 3 blocks the people behind
//!   it until 3 seats are free). How it is served depends on the [`WaitlistMode`]:
//!   - **Promote** (the default): the head is confirmed at once (`BookingPromoted`).
//!   - **Offer** `{ hold_minutes }`: the head's seats are held for it (`SeatOffered`, status
//!     `Offered`) until `min(now + hold_minutes, starts_at)`. The student (or the teacher, an
//!     admin, the system) accepts (`OfferAccepted`, confirmed) or declines (`OfferDeclined`,
//!     cancelled; the seats go to the next in line). An offer that runs out unanswered expires
//!     (`OfferExpired`, status `Expired`; the seats go to the next in line): the host calls
//!     [`Engine::process_expired_offers`](crate::Engine::process_expired_offers) with the
//!     current time, and **every command on the session first expires the offers due at its
//!     instant** (their events come first in its events), so an offer is never accepted after
//!     its deadline ([`BookingError::OfferExpired`]). No offer is made from the start on;
//!     offers still out at the start expire at it. Offered bookings already hold their seats,
//!     so they do not block a newcomer from seats that are still free.
//! - **Turning the waitlist off** closes the queue to newcomers; students already waiting keep
//!   their place and are still served in order when seats free up (nobody loses a place
//!   they were promised). Turning it on again lets new students queue behind them.
//! - **Closed for booking** means: the waitlist is off and a newcomer could not get even one
//!   seat (every seat taken, or someone waits ahead). With one seat per booking this is the
//!   seed's `booking_closed` (every seat taken, waitlist off). It is derived, never stored;
//!   the `SessionClosed` / `SessionReopened` events report each change.
//! - **Lowering capacity** below the seats already taken is refused with
//!   [`BookingError::CapacityBelowBooked`]: nobody loses a confirmed or offered seat to a
//!   capacity change.
//! - **Booking window**: a seat (or a waitlist place) may be booked only while the session's
//!   start lies in its booking window ([`GroupSession::rules`]: at least `min_notice_minutes`
//!   and at most `max_advance_days` ahead), else [`BookingError::OutsideBookingWindow`].
//!   The window governs booking, not creating sessions (a teacher may create a session that
//!   starts sooner than the notice), nor accepting an offer the engine made.
//! - **Enrollment**: a session of a course ([`GroupSession::course_id`]) takes seats only for
//!   students enrolled in that course, as 1:1 slots of a course do
//!   ([`BookingError::NotEnrolled`]). It is checked when a booking is made (one seat or
//!   several, on a seat or on the waitlist), whoever makes it (the student, an admin, the
//!   system), and again when an offer is accepted (by the student or by the teacher for them):
//!   the commands by which a student takes a seat. The engine asks the host
//!   ([`Repository::is_enrolled`](crate::Repository::is_enrolled)) and passes the answer in
//!   [`SeatAccess`]; the decision itself reads nothing. Leaving a course does not cancel bookings
//!   already made: the student may still cancel or decline, and a waitlisted booking is still
//!   promoted in order (promotion is the queue keeping its promise, decided inside another
//!   person's command, not the student taking a seat); in offer mode the offer is made and the
//!   student cannot accept it, so it passes on when declined or expired. A host that wants
//!   bookings to end with the enrollment cancels them (as the system) when it unenrolls the
//!   student. A session without a course is open to every student.
//! - **Cancellation cut-off**: a student may not cancel a confirmed seat after
//!   `starts_at - cancel_cutoff_minutes` ([`BookingError::CutoffPassed`], action
//!   `"cancelled"`); the session's teacher, an admin or the system may, and the
//!   `BookingCancelled` event then says `cutoff_overridden: true`. Leaving the queue (cancelling
//!   a waitlisted or offered booking, declining an offer) is never blocked by the cut-off: it
//!   gives up no seat. Cancelling the whole session is the teacher's decision about the
//!   session and is not bound by the cut-off; its `BookingCancelled` events say
//!   `cutoff_overridden: false`.
//! - **The start freezes seats.** From the instant `now >= starts_at`, booking, cancelling,
//!   serving the waitlist, capacity and waitlist changes and cancelling the session are refused
//!   with [`BookingError::SessionStarted`]; only attendance may be marked, and only from then
//!   on. Students still waiting at the start stay `Waitlisted`. `SessionClosed` and
//!   `SessionReopened` are reported only before the start.
//!
//! The checks of a command run in this order: the booking or session exists, the actor may
//! send it, its input is valid (for a booking: seats 1 to the capacity, then at most the
//! seats per booking), then the session's state (cancelled, started, the booking's
//! status, the booking window, the student's enrollment, the cut-off, the seats).
//!
//! # Seat booking transitions
//!
//! | from | to | by |
//! |---|---|---|
//! | (new) | `Confirmed` | booking with enough free seats and nobody waitlisted |
//! | (new) | `Waitlisted` | booking otherwise, with the waitlist on |
//! | `Waitlisted` | `Confirmed` | promotion (promote mode), when all its seats are free |
//! | `Waitlisted` | `Offered` | an offer (offer mode), when all its seats are free, before the start |
//! | `Offered` | `Confirmed` | accepting the offer before it runs out |
//! | `Offered` | `Cancelled` | declining the offer |
//! | `Offered` | `Expired` | the offer running out (at the latest at the start) |
//! | `Confirmed`, `Waitlisted`, `Offered` | `Cancelled` | cancelling the booking or the session, before the start |
//! | `Confirmed` | `Attended`, `NoShow` | attendance, from the start |
//! | `Attended`, `NoShow` | `NoShow`, `Attended` | correcting attendance |
//!
//! Anything else is refused with [`BookingError::InvalidTransition`] (accepting or declining
//! an offer that expired: [`BookingError::OfferExpired`]).

pub use crate::event::DecisionContext;
pub use crate::state::{BookingAvailability, GroupSession, SeatBooking, SeatStatus, WaitlistMode};
use crate::{
    BookingError, BookingId, CourseId, Event, EventKind, MeetingLink, SchedulingRules, SessionId, UserId,
    time::parse_time_zone,
};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

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
    /// A title shown to students (1 to 200 characters, trimmed, one line without control
    /// characters: see [`crate::text`]).
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
    /// The session's own booking window, cancellation cut-off and seats per booking; unset
    /// fields come from the teacher's rules (see [`crate::rules`]), the seats per booking from
    /// the default of 1 when no level sets it. Buffers, the reschedule cut-off and the lesson
    /// limits are refused here.
    #[serde(default)]
    pub rules: SchedulingRules,
}

impl GroupSession {
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
            EventKind::BookingConfirmed { booking_id, student_id, seats, .. } => {
                self.push_booking(*booking_id, *student_id, SeatStatus::Confirmed, *seats, at)
            }
            EventKind::BookingWaitlisted { booking_id, student_id, seats, .. } => {
                self.push_booking(*booking_id, *student_id, SeatStatus::Waitlisted, *seats, at)
            }
            EventKind::BookingPromoted { booking_id, .. } => self.set_status(*booking_id, SeatStatus::Confirmed, at),
            EventKind::BookingCancelled { booking_id, .. } => self.set_status(*booking_id, SeatStatus::Cancelled, at),
            EventKind::SeatOffered { booking_id, expires_at, .. } => {
                self.set_status(*booking_id, SeatStatus::Offered, at);
                self.booking_mut(*booking_id).offer_expires_at = Some(*expires_at);
            }
            EventKind::OfferAccepted { booking_id, .. } => self.set_status(*booking_id, SeatStatus::Confirmed, at),
            EventKind::OfferDeclined { booking_id, .. } => self.set_status(*booking_id, SeatStatus::Cancelled, at),
            EventKind::OfferExpired { booking_id, .. } => self.set_status(*booking_id, SeatStatus::Expired, at),
            EventKind::AttendanceMarked { booking_id, status, .. } => self.set_status(*booking_id, *status, at),
            EventKind::CapacityChanged { capacity, .. } => self.capacity = *capacity,
            EventKind::WaitlistChanged { enabled, .. } => self.waitlist_enabled = *enabled,
            EventKind::SessionCancelled { .. } => self.cancelled_at = Some(at),
            // Lesson and availability events belong to calendars and lessons.
            _ => {}
        }
    }

    fn push_booking(&mut self, id: BookingId, student_id: UserId, status: SeatStatus, seats: u32, at: DateTime<Utc>) {
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
            seats,
            offer_expires_at: None,
        });
    }

    /// Sets a booking's status; the offer deadline is kept while offered and, as the record of
    /// when the offer ran out, once expired, and dropped otherwise.
    fn set_status(&mut self, id: BookingId, status: SeatStatus, at: DateTime<Utc>) {
        let booking = self.booking_mut(id);
        booking.status = status;
        booking.updated_at = at;
        if !matches!(status, SeatStatus::Offered | SeatStatus::Expired) {
            booking.offer_expires_at = None;
        }
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
    /// Expire the offers that ran out by now and offer their seats to the next in line (by the
    /// system, an admin or the session's teacher; every other command does it first too).
    ExpireOffers,
    /// Cancel a confirmed, waitlisted or offered booking (a student within the cancellation
    /// cut-off may not cancel a confirmed one).
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

/// The host's word on the student a seat command books or confirms (see the enrollment rule
/// in the [module docs](self)): the engine asks
/// [`Repository::is_enrolled`](crate::Repository::is_enrolled) before deciding, so [`decide`]
/// stays pure. Only booking and accepting an offer in a session of a course read it; the
/// default (not enrolled) refuses them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SeatAccess {
    /// Whether the student is enrolled in the session's course (`true` for a session without
    /// one).
    pub enrolled: bool,
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
/// let (session, events) = group::create(&ctx, &new, &Default::default()).unwrap();
/// assert_eq!(session.remaining_seats(), 5);
/// assert_eq!(events[0].kind.name(), "session_created");
///
/// new.capacity = 0;
/// assert_eq!(group::create(&ctx, &new, &Default::default()).unwrap_err().code().as_str(), "invalid_input");
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
    let title = crate::text::check_text("title", &new.title, crate::text::TextKind::SingleLine)?;
    let title = title.trim();
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
    check_session_rules(&new.rules)?;
    let mut rules = new.rules.or(teacher_rules).for_sessions();
    rules.validate()?;
    // The limit in force is recorded, so it stays what the session was created with.
    rules.max_seats_per_booking.get_or_insert(crate::rules::DEFAULT_MAX_SEATS_PER_BOOKING);
    check_waitlist_mode(new.waitlist_mode)?;
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
        rules,
        created_at: ctx.now,
        cancelled_at: None,
        version: 1,
        bookings: Vec::new(),
    };
    let events = vec![ctx.event(EventKind::SessionCreated { session: Box::new(session.clone()) })];
    Ok((session, events))
}

/// Longest seat offer, in minutes (a week).
pub const MAX_OFFER_HOLD_MINUTES: u32 = 7 * 24 * 60;

/// A session's own rules: valid, and only the fields that apply to seats (the booking window,
/// the cancellation cut-off and the seats per booking).
fn check_session_rules(rules: &SchedulingRules) -> Result<(), BookingError> {
    rules.validate()?;
    let lesson_only = [
        ("buffer_before_minutes", rules.buffer_before_minutes),
        ("buffer_after_minutes", rules.buffer_after_minutes),
        ("reschedule_cutoff_minutes", rules.reschedule_cutoff_minutes),
        ("max_lessons_per_day", rules.max_lessons_per_day),
        ("max_lessons_per_week", rules.max_lessons_per_week),
        ("max_upcoming_lessons_per_student", rules.max_upcoming_lessons_per_student),
    ];
    match lesson_only.iter().find(|(_, v)| v.is_some()) {
        Some((field, _)) => Err(BookingError::invalid(
            *field,
            "applies to 1:1 lessons only; a group session takes a booking window, a cancellation cut-off and seats per booking",
        )),
        None => Ok(()),
    }
}

fn check_waitlist_mode(mode: WaitlistMode) -> Result<(), BookingError> {
    match mode {
        WaitlistMode::Offer { hold_minutes } if hold_minutes == 0 || hold_minutes > MAX_OFFER_HOLD_MINUTES => {
            Err(BookingError::invalid(
                "hold_minutes",
                format!("must be between 1 and {MAX_OFFER_HOLD_MINUTES}, got {hold_minutes}"),
            ))
        }
        _ => Ok(()),
    }
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
/// already has). `access` is the host's word on the student a booking or an acceptance is for.
pub fn decide(
    session: &GroupSession,
    ctx: &DecisionContext,
    access: SeatAccess,
    command: &SessionCommand,
) -> Result<(GroupSession, Vec<Event>), BookingError> {
    let mut d = Decision {
        before_closed: session.is_closed_for_booking(),
        next: session.clone(),
        events: Vec::new(),
        ctx,
        access,
    };
    // Offers that ran out by now expire before anything else is decided.
    d.expire_due_offers();
    match *command {
        SessionCommand::BookSeat { student_id, seats } => d.book(student_id, seats)?,
        SessionCommand::AcceptOffer { booking_id } => d.accept_offer(booking_id)?,
        SessionCommand::DeclineOffer { booking_id } => d.decline_offer(booking_id)?,
        SessionCommand::ExpireOffers => d.require_teacher("expire offers")?,
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
    access: SeatAccess,
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

    /// Refuses a seat to a student not enrolled in the session's course.
    fn require_enrolled(&self, student_id: UserId) -> Result<(), BookingError> {
        match self.s().course_id {
            Some(course_id) if !self.access.enrolled => Err(BookingError::NotEnrolled { student_id, course_id }),
            _ => Ok(()),
        }
    }

    fn book(&mut self, student_id: UserId, seats: u32) -> Result<(), BookingError> {
        if !self.ctx.actor.acts_for_student(student_id) {
            return Err(BookingError::not_authorized(format!(
                "{} cannot book for student {student_id}: students book only for themselves",
                self.ctx.actor
            )));
        }
        let s = self.s();
        if seats == 0 || seats > s.capacity {
            return Err(BookingError::invalid(
                "seats",
                format!("must be between 1 and the capacity {}, got {seats}", s.capacity),
            ));
        }
        if let Some(max) = s.rules.max_seats_per_booking
            && seats > max
        {
            return Err(BookingError::LimitReached { limit: "seats per booking in this session".to_owned(), max });
        }
        self.require_open_for_changes()?;
        let s = self.s();
        s.rules.check_window(s.starts_at, self.ctx.now)?;
        self.require_enrolled(student_id)?;
        let s = self.s();
        if let Some(existing) = s.active_booking_of(student_id) {
            return Err(BookingError::AlreadyBooked { student_id, booking_id: existing.id });
        }
        let (session_id, booking_id) = (s.id, BookingId(self.ctx.fresh_id));
        if s.remaining_seats() >= seats && s.waitlisted_count() == 0 {
            self.emit(EventKind::BookingConfirmed { session_id, booking_id, student_id, seats });
        } else if s.waitlist_enabled {
            let position = s.waitlisted_count() + 1;
            self.emit(EventKind::BookingWaitlisted { session_id, booking_id, student_id, position, seats });
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
        // Only giving up a confirmed seat is bound by the cut-off; leaving the queue is not.
        let cutoff_overridden = if booking.status == SeatStatus::Confirmed {
            let cutoff_at = self.s().rules.cancel_cutoff(self.s().starts_at);
            crate::rules::cutoff_check(actor, booking_id, "cancelled", cutoff_at, self.ctx.now)?
        } else {
            false
        };
        self.emit(EventKind::BookingCancelled {
            session_id: booking.session_id,
            booking_id,
            student_id: booking.student_id,
            previous_status: booking.status,
            cutoff_overridden,
        });
        self.serve_waitlist();
        Ok(())
    }

    /// The booking's student, the session's teacher, an admin or the system.
    fn require_student_or_teacher(&self, booking: &SeatBooking, what: &str) -> Result<(), BookingError> {
        let actor = self.ctx.actor;
        if actor.acts_for_student(booking.student_id) || actor.acts_for_teacher(self.s().teacher_id) {
            Ok(())
        } else {
            Err(BookingError::not_authorized(format!(
                "{actor} cannot {what} for booking {}: only its student, the session's teacher or an admin can",
                booking.id
            )))
        }
    }

    /// The booking, offered now: an expired offer is [`BookingError::OfferExpired`], any
    /// other status an invalid transition.
    fn require_offered(&self, booking: &SeatBooking, action: &str) -> Result<(), BookingError> {
        match booking.status {
            SeatStatus::Offered => Ok(()),
            SeatStatus::Expired => Err(BookingError::OfferExpired {
                booking_id: booking.id,
                expired_at: booking.offer_expires_at.unwrap_or(booking.updated_at),
            }),
            _ => Err(invalid_transition(booking, action)),
        }
    }

    fn accept_offer(&mut self, booking_id: BookingId) -> Result<(), BookingError> {
        // Read after the due offers expired, so a late acceptance finds the booking expired.
        let booking = self.find(booking_id)?;
        self.require_student_or_teacher(&booking, "accept the offer")?;
        self.require_offered(&booking, "accept an offer")?;
        self.require_enrolled(booking.student_id)?;
        self.emit(EventKind::OfferAccepted {
            session_id: booking.session_id,
            booking_id,
            student_id: booking.student_id,
        });
        Ok(())
    }

    fn decline_offer(&mut self, booking_id: BookingId) -> Result<(), BookingError> {
        let booking = self.find(booking_id)?;
        self.require_student_or_teacher(&booking, "decline the offer")?;
        self.require_offered(&booking, "decline an offer")?;
        self.emit(EventKind::OfferDeclined {
            session_id: booking.session_id,
            booking_id,
            student_id: booking.student_id,
        });
        self.serve_waitlist();
        Ok(())
    }

    /// Expires every offer whose deadline is `now` or earlier, oldest booking first, then
    /// offers the freed seats to the next in line (before the start only).
    fn expire_due_offers(&mut self) {
        // Only offer-mode sessions have offers (the mode is fixed at creation): the common
        // promote-mode command skips the scan.
        if self.s().waitlist_mode == WaitlistMode::Promote {
            return;
        }
        let now = self.ctx.now;
        let due: Vec<SeatBooking> =
            self.s().offers().filter(|b| b.offer_expires_at.is_some_and(|at| at <= now)).cloned().collect();
        if due.is_empty() {
            return;
        }
        for b in due {
            self.emit(EventKind::OfferExpired { session_id: b.session_id, booking_id: b.id, student_id: b.student_id });
        }
        self.serve_waitlist();
    }

    /// Serves the waitlist into free seats, strictly first in line first: the head is
    /// promoted (promote mode) or offered its seats (offer mode, before the start only) while
    /// all its seats are free; the first head that does not fit stops it.
    fn serve_waitlist(&mut self) {
        let now = self.ctx.now;
        loop {
            let s = self.s();
            let Some(head) = s.waitlist().next() else { break };
            if head.seats > s.remaining_seats() {
                break;
            }
            let (session_id, booking_id, student_id, seats) = (head.session_id, head.id, head.student_id, head.seats);
            match s.waitlist_mode {
                WaitlistMode::Promote => self.emit(EventKind::BookingPromoted { session_id, booking_id, student_id }),
                WaitlistMode::Offer { hold_minutes } => {
                    if s.has_started(now) {
                        break;
                    }
                    let expires_at = (now + TimeDelta::minutes(i64::from(hold_minutes))).min(s.starts_at);
                    self.emit(EventKind::SeatOffered { session_id, booking_id, student_id, seats, expires_at });
                }
            }
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
            self.serve_waitlist();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Actor;
    use chrono::TimeZone;

    fn user(kind: u128, n: u128) -> UserId {
        UserId::from_uuid(uuid::Uuid::from_u128((kind << 64) | n))
    }
    fn teacher() -> UserId {
        user(1, 1)
    }
    fn student(n: u128) -> UserId {
        user(2, n)
    }
    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 3, 4, 9, 0, 0).unwrap()
    }

    /// A session's decisions, with a clock and fresh ids.
    struct Fixture {
        session: GroupSession,
        now: DateTime<Utc>,
        next_id: u128,
        /// The host's word on enrollment for every command.
        enrolled: bool,
    }

    impl Fixture {
        fn new(capacity: u32, waitlist: bool, mode: WaitlistMode, rules: SchedulingRules) -> Self {
            let new = NewGroupSession {
                teacher_id: teacher(),
                course_id: None,
                title: "Group".into(),
                starts_at: t0() + TimeDelta::days(1),
                time_zone: "Europe/Berlin".into(),
                duration_minutes: 60,
                meeting_link: "https://meet.example.com/g".into(),
                capacity,
                waitlist_enabled: waitlist,
                waitlist_mode: mode,
                rules,
            };
            let ctx =
                DecisionContext { actor: Actor::Teacher(teacher()), now: t0(), fresh_id: uuid::Uuid::from_u128(1) };
            let (session, _) = create(&ctx, &new, &SchedulingRules::default()).unwrap();
            Self { session, now: t0(), next_id: 100, enrolled: true }
        }

        /// An offer-mode session whose bookings may take every seat.
        fn offer(capacity: u32, hold_minutes: u32) -> Self {
            let rules = SchedulingRules { max_seats_per_booking: Some(capacity), ..SchedulingRules::default() };
            Self::new(capacity, true, WaitlistMode::Offer { hold_minutes }, rules)
        }

        fn run(&mut self, actor: Actor, command: SessionCommand) -> Result<Vec<&'static str>, BookingError> {
            self.next_id += 1;
            let ctx = DecisionContext { actor, now: self.now, fresh_id: uuid::Uuid::from_u128(self.next_id) };
            let (next, events) = decide(&self.session, &ctx, SeatAccess { enrolled: self.enrolled }, &command)?;
            let mut replayed = self.session.clone();
            for e in &events {
                replayed.apply(e);
            }
            assert_eq!(replayed, next, "the next state is the events applied");
            self.session = next;
            Ok(events.iter().map(|e| e.kind.name()).collect())
        }

        fn book(&mut self, n: u128, seats: u32) -> Result<(BookingId, Vec<&'static str>), BookingError> {
            let kinds =
                self.run(Actor::Student(student(n)), SessionCommand::BookSeat { student_id: student(n), seats })?;
            Ok((BookingId(uuid::Uuid::from_u128(self.next_id)), kinds))
        }

        fn status(&self, id: BookingId) -> SeatStatus {
            self.session.booking(id).unwrap().status
        }
    }

    fn code(e: BookingError) -> &'static str {
        e.code().as_str()
    }

    #[test]
    fn create_refuses_lesson_rules_and_bad_offer_holds() {
        let base = Fixture::new(3, true, WaitlistMode::Promote, SchedulingRules::default());
        let ctx = DecisionContext { actor: Actor::Teacher(teacher()), now: t0(), fresh_id: uuid::Uuid::from_u128(2) };
        let mut new = NewGroupSession {
            teacher_id: teacher(),
            course_id: None,
            title: "x".into(),
            starts_at: base.session.starts_at,
            time_zone: "UTC".into(),
            duration_minutes: 30,
            meeting_link: "https://meet.example.com/x".into(),
            capacity: 2,
            waitlist_enabled: true,
            waitlist_mode: WaitlistMode::Offer { hold_minutes: 0 },
            rules: SchedulingRules::default(),
        };
        let none = SchedulingRules::default();
        let err = create(&ctx, &new, &none).unwrap_err();
        assert!(err.to_string().contains("hold_minutes"), "{err}");
        new.waitlist_mode = WaitlistMode::Offer { hold_minutes: MAX_OFFER_HOLD_MINUTES + 1 };
        assert_eq!(code(create(&ctx, &new, &none).unwrap_err()), "invalid_input");
        new.waitlist_mode = WaitlistMode::Offer { hold_minutes: MAX_OFFER_HOLD_MINUTES };
        assert!(create(&ctx, &new, &none).is_ok());
        new.rules = SchedulingRules { buffer_after_minutes: Some(10), ..Default::default() };
        let err = create(&ctx, &new, &none).unwrap_err();
        assert!(err.to_string().contains("buffer_after_minutes"), "{err}");
        new.rules = SchedulingRules { max_lessons_per_day: Some(3), ..Default::default() };
        assert_eq!(code(create(&ctx, &new, &none).unwrap_err()), "invalid_input");
        new.rules = SchedulingRules { max_advance_days: Some(0), ..Default::default() };
        assert_eq!(code(create(&ctx, &new, &none).unwrap_err()), "invalid_input");
        // The session's own window and cut-off win; the teacher's fill the gaps; the teacher's
        // lesson-only rules are dropped; a start sooner than the notice may be created.
        new.rules = SchedulingRules { cancel_cutoff_minutes: Some(60), ..Default::default() };
        let teacher_rules = SchedulingRules {
            cancel_cutoff_minutes: Some(600),
            min_notice_minutes: Some(3 * 24 * 60),
            buffer_before_minutes: Some(5),
            ..Default::default()
        };
        let (s, _) = create(&ctx, &new, &teacher_rules).unwrap();
        assert_eq!(
            s.rules,
            SchedulingRules {
                cancel_cutoff_minutes: Some(60),
                min_notice_minutes: Some(3 * 24 * 60),
                max_seats_per_booking: Some(1),
                ..Default::default()
            },
            "unset everywhere, one seat per booking is recorded"
        );
        // Seats per booking: the session's own, else the teacher's, else 1; 0 is refused.
        let teacher_rules = SchedulingRules { max_seats_per_booking: Some(4), ..Default::default() };
        assert_eq!(create(&ctx, &new, &teacher_rules).unwrap().0.rules.max_seats_per_booking, Some(4));
        new.rules = SchedulingRules { max_seats_per_booking: Some(2), ..Default::default() };
        assert_eq!(create(&ctx, &new, &teacher_rules).unwrap().0.rules.max_seats_per_booking, Some(2));
        new.rules = SchedulingRules { max_seats_per_booking: Some(0), ..Default::default() };
        let err = create(&ctx, &new, &none).unwrap_err();
        assert!(err.to_string().contains("max_seats_per_booking"), "{err}");
    }

    #[test]
    fn one_booking_takes_at_most_the_seats_per_booking() {
        let mut f = Fixture::new(4, true, WaitlistMode::Promote, SchedulingRules::default());
        let before = f.session.clone();
        let e = f.book(1, 2).unwrap_err();
        assert!(matches!(&e, BookingError::LimitReached { max: 1, .. }), "{e}");
        assert_eq!(f.session, before, "a refusal changes nothing");
        assert_eq!(code(f.book(1, 5).unwrap_err()), "invalid_input", "the capacity is checked first");
        let rules = SchedulingRules { max_seats_per_booking: Some(2), ..Default::default() };
        let mut f = Fixture::new(3, true, WaitlistMode::Promote, rules);
        f.book(1, 2).unwrap();
        assert_eq!(code(f.book(2, 3).unwrap_err()), "limit_reached", "also on the waitlist");
        let (w, _) = f.book(2, 2).unwrap();
        assert_eq!(f.status(w), SeatStatus::Waitlisted);
        // A session stored before the rule existed records no limit: the capacity bounds it.
        f.session.rules.max_seats_per_booking = None;
        f.book(3, 3).unwrap();
    }

    #[test]
    fn multi_seat_bookings_are_all_or_nothing_and_wait_as_one() {
        let rules = SchedulingRules { max_seats_per_booking: Some(3), ..Default::default() };
        let mut f = Fixture::new(4, true, WaitlistMode::Promote, rules);
        assert_eq!(code(f.book(1, 0).unwrap_err()), "invalid_input");
        assert_eq!(code(f.book(1, 5).unwrap_err()), "invalid_input");
        assert_eq!(code(f.book(1, 4).unwrap_err()), "limit_reached");
        let (a, kinds) = f.book(1, 3).unwrap();
        assert_eq!((f.status(a), kinds), (SeatStatus::Confirmed, vec!["booking_confirmed"]));
        assert_eq!((f.session.booked_seats(), f.session.remaining_seats()), (3, 1));
        // Two seats do not fit in one: the group waits as one.
        let (b, _) = f.book(2, 2).unwrap();
        assert_eq!(f.status(b), SeatStatus::Waitlisted);
        assert_eq!((f.session.waitlisted_count(), f.session.waitlisted_seats()), (1, 2));
        // Strict FIFO: one seat is free, but the group is ahead.
        let (c, _) = f.book(3, 1).unwrap();
        assert_eq!(f.status(c), SeatStatus::Waitlisted);
        assert_eq!(f.session.availability(f.now), BookingAvailability::WaitlistOnly);
        // Capacity below the seats taken is refused.
        assert_eq!(
            code(f.run(Actor::Teacher(teacher()), SessionCommand::ChangeCapacity { capacity: 2 }).unwrap_err()),
            "capacity_below_booked"
        );
        // Freeing 3 seats serves the group (2) and then the single (1).
        let kinds = f.run(Actor::Student(student(1)), SessionCommand::CancelBooking { booking_id: a }).unwrap();
        assert_eq!(kinds, vec!["booking_cancelled", "booking_promoted", "booking_promoted"]);
        assert_eq!(
            (f.status(b), f.status(c), f.session.booked_seats()),
            (SeatStatus::Confirmed, SeatStatus::Confirmed, 3)
        );
    }

    #[test]
    fn a_waiting_group_blocks_without_a_waitlist_and_closes_the_session() {
        let rules = SchedulingRules { max_seats_per_booking: Some(2), ..Default::default() };
        let mut f = Fixture::new(3, true, WaitlistMode::Promote, rules);
        f.book(1, 2).unwrap();
        let (g, _) = f.book(2, 2).unwrap();
        assert!(!f.session.is_closed_for_booking());
        let kinds = f.run(Actor::Teacher(teacher()), SessionCommand::SetWaitlist { enabled: false }).unwrap();
        assert_eq!(kinds, vec!["waitlist_changed", "session_closed"], "a seat is free but the group waits ahead");
        assert_eq!(code(f.book(3, 1).unwrap_err()), "session_full");
        let kinds = f.run(Actor::Teacher(teacher()), SessionCommand::ChangeCapacity { capacity: 4 }).unwrap();
        assert_eq!(kinds, vec!["capacity_changed", "booking_promoted"], "still closed: every seat taken");
        assert_eq!(f.status(g), SeatStatus::Confirmed);
        assert!(f.session.is_closed_for_booking());
    }

    #[test]
    fn the_booking_window_governs_seats() {
        let rules = SchedulingRules { min_notice_minutes: Some(120), ..Default::default() };
        let mut f = Fixture::new(2, true, WaitlistMode::Promote, rules);
        f.now = f.session.starts_at - TimeDelta::minutes(119);
        let e = f.book(1, 1).unwrap_err();
        assert_eq!(code(e), "outside_booking_window");
        f.now = f.session.starts_at - TimeDelta::minutes(120);
        f.book(1, 1).unwrap();
        let rules = SchedulingRules { max_advance_days: Some(1), ..Default::default() };
        let mut f = Fixture::new(2, true, WaitlistMode::Promote, rules);
        f.now = f.session.starts_at - TimeDelta::days(1) - TimeDelta::seconds(1);
        assert_eq!(code(f.book(1, 1).unwrap_err()), "outside_booking_window");
        f.now += TimeDelta::seconds(1);
        f.book(1, 1).unwrap();
        // Authorization and input come first.
        assert_eq!(
            code(
                f.run(Actor::Student(student(2)), SessionCommand::BookSeat { student_id: student(3), seats: 1 })
                    .unwrap_err()
            ),
            "not_authorized"
        );
    }

    #[test]
    fn the_cancel_cutoff_binds_students_and_records_overrides() {
        let rules = SchedulingRules { cancel_cutoff_minutes: Some(24 * 60), ..Default::default() };
        let mut f = Fixture::new(1, true, WaitlistMode::Promote, rules);
        let (a, _) = f.book(1, 1).unwrap();
        let (w, _) = f.book(2, 1).unwrap();
        let (x, _) = f.book(3, 1).unwrap();
        f.now = f.session.starts_at - TimeDelta::hours(2);
        let e = f.run(Actor::Student(student(1)), SessionCommand::CancelBooking { booking_id: a }).unwrap_err();
        assert!(matches!(&e, BookingError::CutoffPassed { action, .. } if action == "cancelled"), "{e}");
        // Leaving the queue is not bound by the cut-off.
        f.run(Actor::Student(student(3)), SessionCommand::CancelBooking { booking_id: x }).unwrap();
        let ctx = DecisionContext { actor: Actor::Teacher(teacher()), now: f.now, fresh_id: uuid::Uuid::from_u128(7) };
        let (_, events) =
            decide(&f.session, &ctx, SeatAccess::default(), &SessionCommand::CancelBooking { booking_id: a }).unwrap();
        assert!(matches!(events[0].kind, EventKind::BookingCancelled { cutoff_overridden: true, .. }));
        assert!(matches!(events[1].kind, EventKind::BookingPromoted { booking_id, .. } if booking_id == w));
        // Cancelling the session is not an override.
        let (_, events) = decide(&f.session, &ctx, SeatAccess::default(), &SessionCommand::CancelSession).unwrap();
        assert!(events.iter().all(|e| !matches!(e.kind, EventKind::BookingCancelled { cutoff_overridden: true, .. })));
        // Before the cut-off the student may.
        f.now = f.session.starts_at - TimeDelta::hours(25);
        let ctx = DecisionContext { actor: Actor::Student(student(1)), now: f.now, fresh_id: uuid::Uuid::from_u128(8) };
        let (_, events) =
            decide(&f.session, &ctx, SeatAccess::default(), &SessionCommand::CancelBooking { booking_id: a }).unwrap();
        assert!(matches!(events[0].kind, EventKind::BookingCancelled { cutoff_overridden: false, .. }));
    }

    #[test]
    fn offers_are_made_accepted_declined_and_expire_lazily() {
        let mut f = Fixture::offer(1, 60);
        let (a, _) = f.book(1, 1).unwrap();
        let (b, _) = f.book(2, 1).unwrap();
        let (c, _) = f.book(3, 1).unwrap();
        let kinds = f.run(Actor::Student(student(1)), SessionCommand::CancelBooking { booking_id: a }).unwrap();
        assert_eq!(kinds, vec!["booking_cancelled", "seat_offered"]);
        assert_eq!(f.status(b), SeatStatus::Offered);
        assert_eq!(f.session.booking(b).unwrap().offer_expires_at, Some(f.now + TimeDelta::minutes(60)));
        assert_eq!(f.session.next_offer_deadline(), Some(f.now + TimeDelta::minutes(60)));
        assert!(f.session.is_full(), "an offer holds its seat");
        // A newcomer queues behind; nobody else may accept the offer.
        let (d, _) = f.book(4, 1).unwrap();
        assert_eq!(f.status(d), SeatStatus::Waitlisted);
        assert_eq!(
            code(f.run(Actor::Student(student(3)), SessionCommand::AcceptOffer { booking_id: b }).unwrap_err()),
            "not_authorized"
        );
        assert_eq!(
            code(f.run(Actor::Student(student(3)), SessionCommand::AcceptOffer { booking_id: c }).unwrap_err()),
            "invalid_transition"
        );
        // Declining passes the seat on.
        let kinds = f.run(Actor::Student(student(2)), SessionCommand::DeclineOffer { booking_id: b }).unwrap();
        assert_eq!(kinds, vec!["offer_declined", "seat_offered"]);
        assert_eq!((f.status(b), f.status(c)), (SeatStatus::Cancelled, SeatStatus::Offered));
        // At the deadline the offer expires before the command: accepting late is refused.
        f.now += TimeDelta::minutes(60);
        let e = f.run(Actor::Student(student(3)), SessionCommand::AcceptOffer { booking_id: c }).unwrap_err();
        assert!(
            matches!(e, BookingError::OfferExpired { booking_id, expired_at } if booking_id == c && expired_at == f.now)
        );
        // Any command stores the expiry and the next offer, its own events after them.
        let kinds = f.run(Actor::Teacher(teacher()), SessionCommand::SetWaitlist { enabled: false }).unwrap();
        assert_eq!(kinds, vec!["offer_expired", "seat_offered", "waitlist_changed", "session_closed"]);
        assert_eq!((f.status(c), f.status(d)), (SeatStatus::Expired, SeatStatus::Offered));
        assert_eq!(
            code(f.run(Actor::Student(student(3)), SessionCommand::AcceptOffer { booking_id: c }).unwrap_err()),
            "offer_expired"
        );
        assert_eq!(
            code(f.run(Actor::Student(student(3)), SessionCommand::DeclineOffer { booking_id: c }).unwrap_err()),
            "offer_expired"
        );
        // The expired student may book again, at the back.
        f.run(Actor::Teacher(teacher()), SessionCommand::SetWaitlist { enabled: true }).unwrap();
        let (c2, _) = f.book(3, 1).unwrap();
        assert_eq!(f.status(c2), SeatStatus::Waitlisted);
        let kinds = f.run(Actor::Student(student(4)), SessionCommand::AcceptOffer { booking_id: d }).unwrap();
        assert_eq!(kinds, vec!["offer_accepted"]);
        assert_eq!((f.status(d), f.session.booking(d).unwrap().offer_expires_at), (SeatStatus::Confirmed, None));
        assert_eq!(
            code(f.run(Actor::Student(student(4)), SessionCommand::AcceptOffer { booking_id: d }).unwrap_err()),
            "invalid_transition"
        );
    }

    #[test]
    fn expire_offers_command_and_no_offers_from_the_start() {
        let mut f = Fixture::offer(2, 7 * 24 * 60);
        let (a, _) = f.book(1, 2).unwrap();
        let (b, _) = f.book(2, 1).unwrap();
        let (c, _) = f.book(3, 1).unwrap();
        f.now = f.session.starts_at - TimeDelta::hours(1);
        let kinds = f.run(Actor::Teacher(teacher()), SessionCommand::CancelBooking { booking_id: a }).unwrap();
        assert_eq!(kinds, vec!["booking_cancelled", "seat_offered", "seat_offered"], "two singles fit in two seats");
        assert_eq!(f.session.booking(b).unwrap().offer_expires_at, Some(f.session.starts_at), "never beyond the start");
        assert_eq!(
            code(f.run(Actor::Student(student(1)), SessionCommand::ExpireOffers).unwrap_err()),
            "not_authorized"
        );
        assert_eq!(f.run(Actor::System, SessionCommand::ExpireOffers).unwrap(), Vec::<&str>::new(), "nothing due yet");
        f.now = f.session.starts_at;
        let kinds = f.run(Actor::System, SessionCommand::ExpireOffers).unwrap();
        assert_eq!(kinds, vec!["offer_expired", "offer_expired"], "no new offers at the start");
        assert_eq!((f.status(b), f.status(c)), (SeatStatus::Expired, SeatStatus::Expired));
        assert_eq!(f.session.next_offer_deadline(), None);
        // Attendance cannot mark an expired booking.
        assert_eq!(
            code(
                f.run(Actor::Teacher(teacher()), SessionCommand::MarkAttendance { booking_id: b, attended: true })
                    .unwrap_err()
            ),
            "invalid_transition"
        );
    }

    #[test]
    fn offers_follow_strict_fifo_and_capacity_increases() {
        let mut f = Fixture::offer(2, 30);
        f.book(1, 2).unwrap();
        assert_eq!(code(f.book(2, 3).unwrap_err()), "invalid_input", "3 seats are more than the capacity");
        let (g, _) = f.book(2, 2).unwrap();
        let (s, _) = f.book(3, 1).unwrap();
        let kinds = f.run(Actor::Teacher(teacher()), SessionCommand::ChangeCapacity { capacity: 3 }).unwrap();
        assert_eq!(kinds, vec!["capacity_changed"], "the group of 2 does not fit in 1 and blocks the single");
        let kinds = f.run(Actor::Teacher(teacher()), SessionCommand::ChangeCapacity { capacity: 5 }).unwrap();
        assert_eq!(kinds, vec!["capacity_changed", "seat_offered", "seat_offered"]);
        assert_eq!((f.status(g), f.status(s), f.session.booked_seats()), (SeatStatus::Offered, SeatStatus::Offered, 5));
        assert_eq!(
            code(f.run(Actor::Teacher(teacher()), SessionCommand::ChangeCapacity { capacity: 4 }).unwrap_err()),
            "capacity_below_booked"
        );
        // Cancelling an offered booking frees its seats like leaving the queue.
        let kinds = f.run(Actor::Student(student(2)), SessionCommand::CancelBooking { booking_id: g }).unwrap();
        assert_eq!(kinds, vec!["booking_cancelled"]);
        assert_eq!(f.session.availability(f.now), BookingAvailability::Open);
        let (n, _) = f.book(4, 2).unwrap();
        assert_eq!(f.status(n), SeatStatus::Confirmed, "free seats nobody waits for go to a newcomer");
        let kinds = f.run(Actor::Teacher(teacher()), SessionCommand::CancelSession).unwrap();
        assert_eq!(kinds, vec!["booking_cancelled", "booking_cancelled", "booking_cancelled", "session_cancelled"]);
        assert_eq!(f.session.next_offer_deadline(), None);
    }

    #[test]
    fn a_course_session_seats_only_enrolled_students() {
        let mut f = Fixture::offer(1, 60);
        let course = CourseId::from_uuid(uuid::Uuid::from_u128(9));
        f.session.course_id = Some(course);
        let (a, _) = f.book(1, 1).unwrap();
        let (b, _) = f.book(2, 1).unwrap();
        f.enrolled = false;
        let e = f.book(3, 1).unwrap_err();
        assert!(
            matches!(e, BookingError::NotEnrolled { student_id, course_id } if student_id == student(3) && course_id == course)
        );
        let e = f.run(Actor::System, SessionCommand::BookSeat { student_id: student(3), seats: 1 }).unwrap_err();
        assert_eq!(code(e), "not_enrolled", "an admin or the system books under the same rule");
        // Cancelling and offering need no enrollment; accepting does, whoever accepts.
        let kinds = f.run(Actor::Student(student(1)), SessionCommand::CancelBooking { booking_id: a }).unwrap();
        assert_eq!(kinds, vec!["booking_cancelled", "seat_offered"]);
        let e = f.run(Actor::Teacher(teacher()), SessionCommand::AcceptOffer { booking_id: b }).unwrap_err();
        assert_eq!(code(e), "not_enrolled");
        f.enrolled = true;
        f.run(Actor::Student(student(2)), SessionCommand::AcceptOffer { booking_id: b }).unwrap();
        // Without a course nobody is asked.
        f.session.course_id = None;
        f.enrolled = false;
        f.run(Actor::Teacher(teacher()), SessionCommand::ChangeCapacity { capacity: 2 }).unwrap();
        f.book(4, 1).unwrap();
    }
}
