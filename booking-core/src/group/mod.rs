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

mod create;
mod decide;
#[cfg(test)]
mod tests;

pub use crate::event::DecisionContext;
pub use crate::state::{BookingAvailability, GroupSession, SeatBooking, SeatStatus, WaitlistMode};
use crate::{
    BookingError, BookingId, CourseId, Event, EventKind, MeetingLink, SchedulingRules, SessionId, UserId,
    time::parse_time_zone,
};
use chrono::{DateTime, TimeDelta, Utc};
pub use create::*;
pub use decide::*;
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewGroupSession {
    /// The teacher who runs it.
    pub teacher_id: UserId,
    /// The course it belongs to, if any.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
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
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub rules: SchedulingRules,
}
