//! The state of a group session and its seat bookings (the decisions on them live in
//! [`crate::group`], which re-exports these types).

use crate::{BookingId, CourseId, MeetingLink, SchedulingRules, SessionId, UserId};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a freed seat reaches the waitlist.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
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

/// The status of a seat booking; see the [module docs](crate::group) for the transitions.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
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

    /// Cancelled (a declined offer included) or expired: the booking is over, no command
    /// changes it again, and it no longer counts for anything in its session. The engine moves
    /// such a booking out of [`GroupSession::bookings`] into the store's booking history, in
    /// the commit that finishes it (see [`crate::repository`], "Booking history").
    /// Attended and no-show bookings are not finished: they hold their seats.
    pub const fn is_finished(self) -> bool {
        matches!(self, SeatStatus::Cancelled | SeatStatus::Expired)
    }
}

impl fmt::Display for SeatStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One student's booking in a group session.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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
    /// The booking window, cancellation cut-off and seats per booking in effect, resolved when
    /// it was created. `max_seats_per_booking` is always set in a session created since that
    /// rule exists; a session stored before it has none: no limit but the capacity.
    #[serde(default)]
    pub rules: SchedulingRules,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version: 1 when created, +1 per change.
    pub version: u64,
    /// The live bookings (confirmed, waitlisted, offered, attended, no-show), oldest first.
    /// The waitlist is the `Waitlisted` ones, in order. Finished bookings (cancelled,
    /// declined, expired: [`SeatStatus::is_finished`]) are not kept here: the engine moves each
    /// to the store's booking history in the commit that finishes it, and
    /// [`Engine::seat_booking`](crate::Engine::seat_booking) still reads it by id. (Until
    /// this, every booking ever made stayed here; a session stored so sheds its finished
    /// bookings on its next change.)
    pub bookings: Vec<SeatBooking>,
}

impl GroupSession {
    /// A copy whose bookings vector has room for `extra` more bookings without growing: what a
    /// decision changes, made with one allocation for the vector.
    pub(crate) fn clone_with_room(&self, extra: usize) -> Self {
        let mut bookings = Vec::with_capacity(self.bookings.len() + extra);
        bookings.extend_from_slice(&self.bookings);
        // Every field named, so that a new one cannot be forgotten here.
        let Self {
            id,
            teacher_id,
            course_id,
            title,
            starts_at,
            time_zone,
            duration_minutes,
            meeting_link,
            capacity,
            waitlist_enabled,
            waitlist_mode,
            rules,
            created_at,
            cancelled_at,
            version,
            bookings: _,
        } = self;
        Self {
            id: *id,
            teacher_id: *teacher_id,
            course_id: *course_id,
            title: title.clone(),
            starts_at: *starts_at,
            time_zone: *time_zone,
            duration_minutes: *duration_minutes,
            meeting_link: meeting_link.clone(),
            capacity: *capacity,
            waitlist_enabled: *waitlist_enabled,
            waitlist_mode: *waitlist_mode,
            rules: *rules,
            created_at: *created_at,
            cancelled_at: *cancelled_at,
            version: *version,
            bookings,
        }
    }

    /// When it ends.
    pub fn ends_at(&self) -> DateTime<Utc> {
        self.starts_at + TimeDelta::minutes(i64::from(self.duration_minutes))
    }

    /// Seats taken: the seats of the confirmed, offered and attended bookings.
    pub fn booked_seats(&self) -> u32 {
        self.seats_where(SeatStatus::takes_seat)
    }

    /// Seats still free (never negative).
    pub fn remaining_seats(&self) -> u32 {
        self.capacity.saturating_sub(self.booked_seats())
    }

    /// Whether every seat is taken.
    pub fn is_full(&self) -> bool {
        self.booked_seats() >= self.capacity
    }

    /// How many bookings wait (a booking for several seats counts once).
    pub fn waitlisted_count(&self) -> u32 {
        self.count(|s| s == SeatStatus::Waitlisted)
    }

    /// How many seats the waiting bookings ask for.
    pub fn waitlisted_seats(&self) -> u32 {
        self.seats_where(|s| s == SeatStatus::Waitlisted)
    }

    /// Seats held by outstanding offers (offer mode).
    pub fn offered_seats(&self) -> u32 {
        self.seats_where(|s| s == SeatStatus::Offered)
    }

    /// Whether the session was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }

    /// Whether the session has started at `now` (`now >= starts_at`).
    pub fn has_started(&self, now: DateTime<Utc>) -> bool {
        now >= self.starts_at
    }

    /// The waitlist is off and a newcomer could not get even one seat: every seat is taken
    /// (offered seats included), or someone waits ahead. With one seat per booking: every seat
    /// taken and the waitlist off, the seed's `booking_closed` status.
    pub fn is_closed_for_booking(&self) -> bool {
        !self.waitlist_enabled && !self.has_seat_for_newcomer()
    }

    /// Whether a newcomer asking for one seat would be confirmed: a seat is free and nobody
    /// is waitlisted (the queue is first come, first served).
    fn has_seat_for_newcomer(&self) -> bool {
        !self.is_full() && self.waitlisted_count() == 0
    }

    /// Whether the session takes bookings at `now`, and how. `Open` means a newcomer asking for
    /// one seat would be confirmed (a seat is free that no offer holds, and nobody waits ahead);
    /// a booking for more seats than are free waits.
    pub fn availability(&self, now: DateTime<Utc>) -> BookingAvailability {
        if self.is_cancelled() {
            BookingAvailability::Cancelled
        } else if self.has_started(now) {
            BookingAvailability::Started
        } else if self.has_seat_for_newcomer() {
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

    /// Moves the finished bookings ([`SeatStatus::is_finished`]) out of [`bookings`](Self::bookings),
    /// keeping the order of the others; returns them in their order. The engine does this to
    /// every session state it stores.
    ///
    /// ```
    /// # use booking_core::*;
    /// # let now = chrono::Utc::now();
    /// # let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
    /// # let ctx = booking_core::group::DecisionContext { actor: Actor::Teacher(teacher), now, fresh_id: uuid::Uuid::from_u128(2) };
    /// # let (mut session, _) = booking_core::group::create(&ctx, &NewGroupSession {
    /// #     teacher_id: teacher, course_id: None, title: "Choir".into(), starts_at: now + chrono::TimeDelta::days(1),
    /// #     time_zone: "UTC".into(), duration_minutes: 60, meeting_link: "https://meet.example.com/c".into(),
    /// #     capacity: 2, waitlist_enabled: true, waitlist_mode: Default::default(), rules: Default::default(),
    /// # }, &Default::default()).unwrap();
    /// let booking = |n: u128, status| SeatBooking {
    ///     id: BookingId::from_uuid(uuid::Uuid::from_u128(n)), session_id: session.id,
    ///     student_id: UserId::from_uuid(uuid::Uuid::from_u128(n)), status, booked_at: now, updated_at: now,
    ///     seats: 1, offer_expires_at: None,
    /// };
    /// session.bookings = vec![booking(10, SeatStatus::Cancelled), booking(11, SeatStatus::Confirmed), booking(12, SeatStatus::Expired)];
    /// let finished = session.take_finished();
    /// assert_eq!(finished.iter().map(|b| b.status).collect::<Vec<_>>(), [SeatStatus::Cancelled, SeatStatus::Expired]);
    /// assert_eq!(session.bookings.len(), 1);
    /// ```
    pub fn take_finished(&mut self) -> Vec<SeatBooking> {
        if !self.bookings.iter().any(|b| b.status.is_finished()) {
            return Vec::new();
        }
        // In place: the live bookings keep their order and their vector.
        self.bookings.extract_if(.., |b| b.status.is_finished()).collect()
    }

    /// A live booking of this session (finished ones are in the store's booking history; see
    /// [`bookings`](Self::bookings)).
    pub fn booking(&self, id: BookingId) -> Option<&SeatBooking> {
        self.bookings.iter().find(|b| b.id == id)
    }

    /// The student's active (confirmed, waitlisted or offered) booking, if any.
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

    /// The outstanding offers, oldest booking first.
    pub fn offers(&self) -> impl Iterator<Item = &SeatBooking> {
        self.bookings.iter().filter(|b| b.status == SeatStatus::Offered)
    }

    fn count(&self, pred: impl Fn(SeatStatus) -> bool) -> u32 {
        self.bookings.iter().filter(|b| pred(b.status)).count() as u32
    }

    fn seats_where(&self, pred: impl Fn(SeatStatus) -> bool) -> u32 {
        self.bookings.iter().filter(|b| pred(b.status)).map(|b| b.seats).sum()
    }
}
