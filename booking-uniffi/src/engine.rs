//! The engine object: a facade over `booking_core::Engine` that converts arguments, calls the
//! core, and converts the result. It decides nothing itself.

use crate::error::{BookingError, guard};
use crate::stores::{DocumentStore, InMemoryStore, SqliteStore, foreign_repository};
use crate::types::{
    self, Actor, AvailabilitySlot, AvailabilitySlotReceipt, BookableOccurrence, BookingAvailability, GroupSession,
    GroupSessionReceipt, Lesson, LessonReceipt, LessonsReceipt, NewGroupSession, OccurrenceQuery, OfferSweep,
    SchedulingRules, SchedulingRulesReceipt, SeatBooking, SeatBookingReceipt, SeriesBookingReceipt, SeriesRequest,
    SlotSpec, TimeOff, TimeOffReceipt, TimeOffSpec, id_in, instant_in, instant_out, opt_id_in, receipt_out, request_in,
};
use booking_core::{BookingId, CourseId, Repository, SessionId, SlotId, TimeOffId, UserId};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// A clock that only moves when told to, for tests and replays (`booking_core::ManualClock`).
/// Pass it to an engine's constructor; without one an engine reads the system clock.
#[derive(Debug, uniffi::Object)]
pub struct ManualClock {
    inner: Arc<booking_core::ManualClock>,
}

#[uniffi::export]
impl ManualClock {
    /// A clock showing `now`.
    #[uniffi::constructor]
    pub fn new(now: SystemTime) -> Result<Arc<Self>, BookingError> {
        guard(|| Ok(Arc::new(Self { inner: Arc::new(booking_core::ManualClock::new(instant_in("now", now)?)) })))
    }

    /// The instant it shows.
    pub fn now(&self) -> SystemTime {
        use booking_core::Clock;
        instant_out(self.inner.now())
    }

    /// Moves it to `now` (backwards too).
    pub fn set(&self, now: SystemTime) -> Result<(), BookingError> {
        guard(|| {
            self.inner.set(instant_in("now", now)?);
            Ok(())
        })
    }

    /// Moves it forward by `delta`. `InvalidInput` (and the clock unchanged) if that would
    /// move it past the last instant the engine can represent.
    pub fn advance(&self, delta: Duration) -> Result<(), BookingError> {
        use booking_core::Clock;
        guard(|| {
            let out_of_range = || booking_core::BookingError::invalid("delta", format!("{delta:?} is out of range"));
            let delta = chrono::TimeDelta::from_std(delta).map_err(|_| out_of_range())?;
            if self.inner.now().checked_add_signed(delta).is_none() {
                return Err(out_of_range());
            }
            self.inner.advance(delta);
            Ok(())
        })
    }
}

/// The `UID` domain and `PRODID` of an engine's calendar exports
/// (`booking_core::ical::IcalOptions`), checked when made. Pass it to an engine's constructor
/// as `ical`; without one the exports use `booking-engine` and the engine's own `PRODID`.
#[derive(Debug, uniffi::Object)]
pub struct IcalOptions {
    inner: booking_core::ical::IcalOptions,
}

#[uniffi::export]
impl IcalOptions {
    /// Options with `uid_domain` (the part of every `UID` after the `@`; keep it once chosen,
    /// since a new one makes calendar apps see new events) and, optionally, `prodid`.
    /// `InvalidInput` for a domain with whitespace, `@` or a control character, or a blank
    /// `PRODID`.
    #[uniffi::constructor(default(prodid = None))]
    pub fn new(uid_domain: String, prodid: Option<String>) -> Result<Arc<Self>, BookingError> {
        guard(|| {
            let mut options = booking_core::ical::IcalOptions::default().uid_domain(uid_domain);
            if let Some(prodid) = prodid {
                options = options.prodid(prodid);
            }
            Ok(Arc::new(Self { inner: options.validated()? }))
        })
    }

    /// The domain of the `UID`s.
    pub fn uid_domain(&self) -> String {
        self.inner.uid_domain.clone()
    }

    /// The `PRODID`.
    pub fn prodid(&self) -> String {
        self.inner.prodid.clone()
    }
}

/// Produces meeting links for lessons as they are confirmed without one (a video-call
/// integration, say), implemented in Kotlin or Swift. It may be called more than once for one
/// lesson (a command decided again after losing a race), so derive the link from the lesson's
/// id. Returning `null`/`nil` leaves the link unset; so does throwing (the lesson is confirmed
/// without a link, to be set later with `setMeetingLink`).
#[uniffi::export(foreign)]
pub trait MeetingLinkGenerator: Send + Sync {
    /// The link for `lesson` (an http(s) URL), or none.
    fn meeting_link(&self, lesson: Lesson) -> Result<Option<String>, MeetingLinkError>;
}

/// What a [`MeetingLinkGenerator`] throws when it cannot make a link (Kotlin:
/// `MeetingLinkException`); any other exception it lets escape arrives as `Unavailable` too.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum MeetingLinkError {
    /// No link now.
    #[error("no meeting link: {detail}")]
    Unavailable {
        /// Why, in words.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for MeetingLinkError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        MeetingLinkError::Unavailable { detail: e.reason }
    }
}

/// Adapts a foreign [`MeetingLinkGenerator`] to the core's trait: an error, or a panic while
/// lifting what the generator returned, means "no link".
struct ForeignLinks(Arc<dyn MeetingLinkGenerator>);

impl booking_core::lesson::MeetingLinkGenerator for ForeignLinks {
    fn meeting_link(&self, lesson: &booking_core::lesson::Lesson) -> Option<String> {
        let lesson = Lesson::from(lesson);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.0.meeting_link(lesson)))
            .ok()
            .and_then(Result::ok)
            .flatten()
    }
}

type CoreEngine = booking_core::Engine<Arc<dyn Repository>>;

/// The booking engine over one store (`booking_core::Engine`). Thread-safe: share one per
/// store and call it from any thread. Every command takes the acting [`Actor`] first and an
/// optional idempotency `key` last (the core's `Request::key`; a retry with the same actor and
/// key returns the first outcome with `replayed = true` instead of running again).
#[derive(uniffi::Object)]
pub struct Engine {
    inner: CoreEngine,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

/// The engine options every constructor takes.
struct Options {
    clock: Option<Arc<ManualClock>>,
    max_attempts: Option<u32>,
    meeting_links: Option<Arc<dyn MeetingLinkGenerator>>,
    ical: Option<Arc<IcalOptions>>,
}

impl Engine {
    fn over(repository: Arc<dyn Repository>, options: Options) -> Arc<Self> {
        let Options { clock, max_attempts, meeting_links, ical } = options;
        let mut engine = booking_core::Engine::new(repository);
        if let Some(links) = meeting_links {
            engine = engine.with_meeting_links(ForeignLinks(links));
        }
        if let Some(clock) = clock {
            engine = engine.with_clock(Arc::clone(&clock.inner));
        }
        if let Some(attempts) = max_attempts {
            engine = engine.with_max_attempts(attempts);
        }
        if let Some(ical) = ical {
            engine = engine.with_ical_options(ical.inner.clone());
        }
        Arc::new(Self { inner: engine })
    }

    /// The core engine, for Rust callers (benchmarks, tests).
    pub fn core(&self) -> &booking_core::Engine<Arc<dyn Repository>> {
        &self.inner
    }
}

#[uniffi::export]
impl Engine {
    /// An engine over an in-memory store. Options: `clock`, a manual clock (default: the
    /// system's); `max_attempts`, how often a command is decided again after losing a race
    /// (default 200); `meeting_links`, a generator of links for lessons confirmed without one;
    /// `ical`, the `UID` domain and `PRODID` of the calendar exports.
    #[uniffi::constructor(default(clock = None, max_attempts = None, meeting_links = None, ical = None))]
    pub fn in_memory(
        store: Arc<InMemoryStore>,
        clock: Option<Arc<ManualClock>>,
        max_attempts: Option<u32>,
        meeting_links: Option<Arc<dyn MeetingLinkGenerator>>,
        ical: Option<Arc<IcalOptions>>,
    ) -> Arc<Self> {
        Self::over(store.repository(), Options { clock, max_attempts, meeting_links, ical })
    }

    /// An engine over a SQLite store (options as for [`Engine::in_memory`]).
    #[uniffi::constructor(default(clock = None, max_attempts = None, meeting_links = None, ical = None))]
    pub fn sqlite(
        store: Arc<SqliteStore>,
        clock: Option<Arc<ManualClock>>,
        max_attempts: Option<u32>,
        meeting_links: Option<Arc<dyn MeetingLinkGenerator>>,
        ical: Option<Arc<IcalOptions>>,
    ) -> Arc<Self> {
        Self::over(store.repository(), Options { clock, max_attempts, meeting_links, ical })
    }

    /// An engine over a store written in Kotlin or Swift (see [`DocumentStore`]; options as
    /// for [`Engine::in_memory`]).
    #[uniffi::constructor(default(clock = None, max_attempts = None, meeting_links = None, ical = None))]
    pub fn with_document_store(
        store: Arc<dyn DocumentStore>,
        clock: Option<Arc<ManualClock>>,
        max_attempts: Option<u32>,
        meeting_links: Option<Arc<dyn MeetingLinkGenerator>>,
        ical: Option<Arc<IcalOptions>>,
    ) -> Arc<Self> {
        Self::over(foreign_repository(store), Options { clock, max_attempts, meeting_links, ical })
    }

    /// The engine clock's current instant.
    pub fn now(&self) -> SystemTime {
        instant_out(self.inner.now())
    }

    // ----- group sessions -------------------------------------------------------------------

    /// Creates a group session.
    #[uniffi::method(default(key = None))]
    pub fn create_session(
        &self,
        actor: Actor,
        session: NewGroupSession,
        key: Option<String>,
    ) -> Result<GroupSessionReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.create_session(request_in(actor, key)?, session.into_core()?)?;
            Ok(receipt_out(receipt, |s| GroupSession::from(&**s)))
        })
    }

    /// Books a seat: confirmed if one is free, waitlisted if the session is full with its
    /// waitlist on, else `SessionFull`.
    #[uniffi::method(default(key = None))]
    pub fn book_seat(
        &self,
        actor: Actor,
        session_id: String,
        student_id: String,
        key: Option<String>,
    ) -> Result<SeatBookingReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.book_seat(
                request_in(actor, key)?,
                id_in::<SessionId>("session_id", &session_id)?,
                id_in::<UserId>("student_id", &student_id)?,
            )?;
            Ok(receipt_out(receipt, |b| SeatBooking::from(b)))
        })
    }

    /// Books `seats` seats in one booking (a parent booking for two children), all or
    /// nothing: confirmed if that many seats are free and nobody waits, else waitlisted as one
    /// (when the waitlist is on), else `SessionFull`. A waiting booking is served only when all
    /// its seats are free; nobody behind it jumps the queue.
    #[uniffi::method(default(key = None))]
    pub fn book_seats(
        &self,
        actor: Actor,
        session_id: String,
        student_id: String,
        seats: u32,
        key: Option<String>,
    ) -> Result<SeatBookingReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.book_seats(
                request_in(actor, key)?,
                id_in::<SessionId>("session_id", &session_id)?,
                id_in::<UserId>("student_id", &student_id)?,
                seats,
            )?;
            Ok(receipt_out(receipt, |b| SeatBooking::from(b)))
        })
    }

    /// Accepts the seats offered to a waitlisted booking (offer mode): it is confirmed. An
    /// offer that ran out is refused with `OfferExpired`.
    #[uniffi::method(default(key = None))]
    pub fn accept_offer(
        &self,
        actor: Actor,
        booking_id: String,
        key: Option<String>,
    ) -> Result<SeatBookingReceipt, BookingError> {
        guard(|| {
            let receipt =
                self.inner.accept_offer(request_in(actor, key)?, id_in::<BookingId>("booking_id", &booking_id)?)?;
            Ok(receipt_out(receipt, |b| SeatBooking::from(b)))
        })
    }

    /// Declines the seats offered to a waitlisted booking: the booking is cancelled and the
    /// seats are offered to the next in line.
    #[uniffi::method(default(key = None))]
    pub fn decline_offer(
        &self,
        actor: Actor,
        booking_id: String,
        key: Option<String>,
    ) -> Result<SeatBookingReceipt, BookingError> {
        guard(|| {
            let receipt =
                self.inner.decline_offer(request_in(actor, key)?, id_in::<BookingId>("booking_id", &booking_id)?)?;
            Ok(receipt_out(receipt, |b| SeatBooking::from(b)))
        })
    }

    /// Expires every seat offer that ran out by `now` and offers the seats to the next in line
    /// (never after a session's start). The engine runs no threads: the host calls this
    /// periodically (every minute, say) with the current time. Each due session is processed
    /// on its own: the result holds the events of every session processed and the sessions that
    /// failed, each with its error's code and detail (a failed session is unchanged and tried
    /// again by the next call). Throws only when the store cannot say which sessions are due.
    /// Any other command on a session also expires its due offers first, so a late call never
    /// lets an expired offer be accepted.
    pub fn process_expired_offers(&self, now: SystemTime) -> Result<OfferSweep, BookingError> {
        guard(|| Ok(OfferSweep::from(self.inner.process_expired_offers(instant_in("now", now)?)?)))
    }

    /// Operator action: deletes the request records recorded before `recorded_before`; returns
    /// how many. A retry with a deleted key is decided afresh, as a new command. Not a
    /// command: it checks no actor, so never run it on a user's behalf.
    pub fn prune_requests(&self, recorded_before: SystemTime) -> Result<u64, BookingError> {
        guard(|| self.inner.prune_requests(instant_in("recorded_before", recorded_before)?))
    }

    /// Cancels a seat booking; freed seats go to the head of the waitlist in the same step
    /// (promoted, or offered in offer mode). A student may not give up a confirmed seat within
    /// the session's cancellation cut-off (`CutoffPassed`); the teacher or an admin may, and
    /// the `BookingCancelled` event says so (`cutoffOverridden`).
    #[uniffi::method(default(key = None))]
    pub fn cancel_booking(
        &self,
        actor: Actor,
        booking_id: String,
        key: Option<String>,
    ) -> Result<SeatBookingReceipt, BookingError> {
        guard(|| {
            let receipt =
                self.inner.cancel_booking(request_in(actor, key)?, id_in::<BookingId>("booking_id", &booking_id)?)?;
            Ok(receipt_out(receipt, |b| SeatBooking::from(b)))
        })
    }

    /// Sets the number of seats; waitlisted students are served into added seats, in order
    /// (promoted, or offered in offer mode).
    #[uniffi::method(default(key = None))]
    pub fn change_capacity(
        &self,
        actor: Actor,
        session_id: String,
        capacity: u32,
        key: Option<String>,
    ) -> Result<GroupSessionReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.change_capacity(
                request_in(actor, key)?,
                id_in::<SessionId>("session_id", &session_id)?,
                capacity,
            )?;
            Ok(receipt_out(receipt, |s| GroupSession::from(&**s)))
        })
    }

    /// Turns the waitlist on or off.
    #[uniffi::method(default(key = None))]
    pub fn set_waitlist(
        &self,
        actor: Actor,
        session_id: String,
        enabled: bool,
        key: Option<String>,
    ) -> Result<GroupSessionReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.set_waitlist(
                request_in(actor, key)?,
                id_in::<SessionId>("session_id", &session_id)?,
                enabled,
            )?;
            Ok(receipt_out(receipt, |s| GroupSession::from(&**s)))
        })
    }

    /// Cancels the session and every active booking in it.
    #[uniffi::method(default(key = None))]
    pub fn cancel_session(
        &self,
        actor: Actor,
        session_id: String,
        key: Option<String>,
    ) -> Result<GroupSessionReceipt, BookingError> {
        guard(|| {
            let receipt =
                self.inner.cancel_session(request_in(actor, key)?, id_in::<SessionId>("session_id", &session_id)?)?;
            Ok(receipt_out(receipt, |s| GroupSession::from(&**s)))
        })
    }

    /// Marks a confirmed seat booking attended (`true`) or no-show, from the session's start on.
    #[uniffi::method(default(key = None))]
    pub fn mark_attendance(
        &self,
        actor: Actor,
        booking_id: String,
        attended: bool,
        key: Option<String>,
    ) -> Result<SeatBookingReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.mark_attendance(
                request_in(actor, key)?,
                id_in::<BookingId>("booking_id", &booking_id)?,
                attended,
            )?;
            Ok(receipt_out(receipt, |b| SeatBooking::from(b)))
        })
    }

    /// The session with this id.
    pub fn session(&self, session_id: String) -> Result<GroupSession, BookingError> {
        guard(|| Ok(GroupSession::from(&*self.inner.session(id_in("session_id", &session_id)?)?)))
    }

    /// Whether the session takes bookings now, by the engine's clock (the core's
    /// `GroupSession::availability(now)`).
    pub fn booking_availability(&self, session_id: String) -> Result<BookingAvailability, BookingError> {
        guard(|| {
            let session = self.inner.session(id_in("session_id", &session_id)?)?;
            Ok(session.availability(self.inner.now()).into())
        })
    }

    /// The seat booking with this id.
    pub fn seat_booking(&self, booking_id: String) -> Result<SeatBooking, BookingError> {
        guard(|| Ok(SeatBooking::from(&self.inner.seat_booking(id_in("booking_id", &booking_id)?)?)))
    }

    // ----- availability and 1:1 lessons -----------------------------------------------------

    /// Publishes an availability slot for `teacher_id`.
    #[uniffi::method(default(key = None))]
    pub fn publish_slot(
        &self,
        actor: Actor,
        teacher_id: String,
        slot: SlotSpec,
        key: Option<String>,
    ) -> Result<AvailabilitySlotReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.publish_slot(
                request_in(actor, key)?,
                id_in::<UserId>("teacher_id", &teacher_id)?,
                slot.into_core()?,
            )?;
            Ok(receipt_out(receipt, |s| AvailabilitySlot::from(s)))
        })
    }

    /// Replaces a slot's course, zone, times and active flag; booked lessons keep their time.
    #[uniffi::method(default(key = None))]
    pub fn update_slot(
        &self,
        actor: Actor,
        slot_id: String,
        slot: SlotSpec,
        key: Option<String>,
    ) -> Result<AvailabilitySlotReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.update_slot(
                request_in(actor, key)?,
                id_in::<SlotId>("slot_id", &slot_id)?,
                slot.into_core()?,
            )?;
            Ok(receipt_out(receipt, |s| AvailabilitySlot::from(s)))
        })
    }

    /// Activates or deactivates a slot; booked lessons keep their time.
    #[uniffi::method(default(key = None))]
    pub fn set_slot_active(
        &self,
        actor: Actor,
        slot_id: String,
        active: bool,
        key: Option<String>,
    ) -> Result<AvailabilitySlotReceipt, BookingError> {
        guard(|| {
            let receipt =
                self.inner.set_slot_active(request_in(actor, key)?, id_in::<SlotId>("slot_id", &slot_id)?, active)?;
            Ok(receipt_out(receipt, |s| AvailabilitySlot::from(s)))
        })
    }

    /// The slot with this id.
    pub fn slot(&self, slot_id: String) -> Result<AvailabilitySlot, BookingError> {
        guard(|| Ok(AvailabilitySlot::from(&self.inner.slot(id_in("slot_id", &slot_id)?)?)))
    }

    /// Every slot of a teacher (active or not), in publication order.
    pub fn slots(&self, teacher_id: String) -> Result<Vec<AvailabilitySlot>, BookingError> {
        guard(|| {
            Ok(self
                .inner
                .calendar(id_in("teacher_id", &teacher_id)?)?
                .slots
                .iter()
                .map(AvailabilitySlot::from)
                .collect())
        })
    }

    /// The occurrences of a teacher's slots that can be booked now, in the query's window,
    /// with wall times in the teacher's and the viewer's zone.
    pub fn list_occurrences(&self, query: OccurrenceQuery) -> Result<Vec<BookableOccurrence>, BookingError> {
        guard(|| Ok(self.inner.list_occurrences(&query.into_core()?)?.iter().map(BookableOccurrence::from).collect()))
    }

    /// Books the occurrence of `slot_id` starting at `starts_at`: confirmed, or pending when
    /// the course needs the teacher's approval.
    #[uniffi::method(default(key = None))]
    pub fn book_lesson(
        &self,
        actor: Actor,
        slot_id: String,
        starts_at: SystemTime,
        student_id: String,
        key: Option<String>,
    ) -> Result<LessonReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.book_lesson(
                request_in(actor, key)?,
                id_in::<SlotId>("slot_id", &slot_id)?,
                instant_in("starts_at", starts_at)?,
                id_in::<UserId>("student_id", &student_id)?,
            )?;
            Ok(receipt_out(receipt, |l| Lesson::from(&**l)))
        })
    }

    /// Books a recurring series of lessons from a weekly slot.
    #[uniffi::method(default(key = None))]
    pub fn book_series(
        &self,
        actor: Actor,
        series: SeriesRequest,
        key: Option<String>,
    ) -> Result<SeriesBookingReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.book_series(request_in(actor, key)?, series.into_core()?)?;
            Ok(receipt_out(receipt, |s| types::SeriesBooking::from(s)))
        })
    }

    /// Approves a pending lesson (and the rest of its series), optionally setting its
    /// meeting link.
    #[uniffi::method(default(meeting_link = None, key = None))]
    pub fn approve_lesson(
        &self,
        actor: Actor,
        booking_id: String,
        meeting_link: Option<String>,
        key: Option<String>,
    ) -> Result<LessonReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.approve_lesson(
                request_in(actor, key)?,
                id_in::<BookingId>("booking_id", &booking_id)?,
                meeting_link,
            )?;
            Ok(receipt_out(receipt, |l| Lesson::from(&**l)))
        })
    }

    /// Declines a pending lesson (and the rest of its series); its time is free again.
    #[uniffi::method(default(reason = None, key = None))]
    pub fn decline_lesson(
        &self,
        actor: Actor,
        booking_id: String,
        reason: Option<String>,
        key: Option<String>,
    ) -> Result<LessonReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.decline_lesson(
                request_in(actor, key)?,
                id_in::<BookingId>("booking_id", &booking_id)?,
                reason,
            )?;
            Ok(receipt_out(receipt, |l| Lesson::from(&**l)))
        })
    }

    /// Cancels one lesson before its start; its time is free again.
    #[uniffi::method(default(key = None))]
    pub fn cancel_lesson(
        &self,
        actor: Actor,
        booking_id: String,
        key: Option<String>,
    ) -> Result<LessonReceipt, BookingError> {
        guard(|| {
            let receipt =
                self.inner.cancel_lesson(request_in(actor, key)?, id_in::<BookingId>("booking_id", &booking_id)?)?;
            Ok(receipt_out(receipt, |l| Lesson::from(&**l)))
        })
    }

    /// Cancels a lesson of a series and every later active lesson of that series.
    #[uniffi::method(default(key = None))]
    pub fn cancel_series_from(
        &self,
        actor: Actor,
        booking_id: String,
        key: Option<String>,
    ) -> Result<LessonsReceipt, BookingError> {
        guard(|| {
            let receipt = self
                .inner
                .cancel_series_from(request_in(actor, key)?, id_in::<BookingId>("booking_id", &booking_id)?)?;
            Ok(receipt_out(receipt, |ls| ls.iter().map(|l| Lesson::from(&**l)).collect()))
        })
    }

    /// Sets or replaces an active lesson's meeting link.
    #[uniffi::method(default(key = None))]
    pub fn set_meeting_link(
        &self,
        actor: Actor,
        booking_id: String,
        meeting_link: String,
        key: Option<String>,
    ) -> Result<LessonReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.set_meeting_link(
                request_in(actor, key)?,
                id_in::<BookingId>("booking_id", &booking_id)?,
                meeting_link,
            )?;
            Ok(receipt_out(receipt, |l| Lesson::from(&**l)))
        })
    }

    /// Marks a confirmed lesson attended (`true`) or no-show, from its start on.
    #[uniffi::method(default(key = None))]
    pub fn mark_lesson_attendance(
        &self,
        actor: Actor,
        booking_id: String,
        attended: bool,
        key: Option<String>,
    ) -> Result<LessonReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.mark_lesson_attendance(
                request_in(actor, key)?,
                id_in::<BookingId>("booking_id", &booking_id)?,
                attended,
            )?;
            Ok(receipt_out(receipt, |l| Lesson::from(&**l)))
        })
    }

    /// Moves a lesson (one lesson of a series, too) to the occurrence of `slot_id` (one of the
    /// same teacher's slots) starting at `starts_at`, atomically: the new time is taken and
    /// the old one freed, or nothing changes. The new time is checked like a new booking; a
    /// student moving to a slot whose course needs approval makes it pending again. A student
    /// may not move it within the reschedule cut-off (`CutoffPassed`); the teacher or an admin
    /// may, and the `LessonRescheduled` event says so (`cutoffOverridden`).
    #[uniffi::method(default(key = None))]
    pub fn reschedule_lesson(
        &self,
        actor: Actor,
        booking_id: String,
        slot_id: String,
        starts_at: SystemTime,
        key: Option<String>,
    ) -> Result<LessonReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.reschedule_lesson(
                request_in(actor, key)?,
                id_in::<BookingId>("booking_id", &booking_id)?,
                id_in::<SlotId>("slot_id", &slot_id)?,
                instant_in("starts_at", starts_at)?,
            )?;
            Ok(receipt_out(receipt, |l| Lesson::from(&**l)))
        })
    }

    /// Sets a teacher's scheduling rules for `course_id`, or their default rules when it is
    /// `None`; empty rules remove that level. Returns the rules now set at that level.
    /// Precedence, field by field: a slot's own rules, then these for its course, then the
    /// default ones.
    #[uniffi::method(default(key = None))]
    pub fn set_scheduling_rules(
        &self,
        actor: Actor,
        teacher_id: String,
        course_id: Option<String>,
        rules: SchedulingRules,
        key: Option<String>,
    ) -> Result<SchedulingRulesReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.set_scheduling_rules(
                request_in(actor, key)?,
                id_in::<UserId>("teacher_id", &teacher_id)?,
                opt_id_in::<CourseId>("course_id", course_id.as_deref())?,
                rules.into(),
            )?;
            Ok(receipt_out(receipt, |r| SchedulingRules::from(*r)))
        })
    }

    /// The rules in force for a teacher's bookings in `course_id` (`None`: outside any course):
    /// their rules for the course over their default rules, field by field (the core's
    /// `Calendar::rules_for_course`). A slot's own rules win over these.
    pub fn rules_for_course(
        &self,
        teacher_id: String,
        course_id: Option<String>,
    ) -> Result<SchedulingRules, BookingError> {
        guard(|| {
            let calendar = self.inner.calendar(id_in("teacher_id", &teacher_id)?)?;
            Ok(calendar.rules_for_course(opt_id_in("course_id", course_id.as_deref())?).into())
        })
    }

    /// Takes time off for a teacher: their slots offer nothing on those days (listings leave
    /// the occurrences out, bookings are refused with `OccurrenceNotOffered`). Lessons already
    /// booked then are kept.
    #[uniffi::method(default(key = None))]
    pub fn add_time_off(
        &self,
        actor: Actor,
        teacher_id: String,
        time_off: TimeOffSpec,
        key: Option<String>,
    ) -> Result<TimeOffReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.add_time_off(
                request_in(actor, key)?,
                id_in::<UserId>("teacher_id", &teacher_id)?,
                time_off.into_core()?,
            )?;
            Ok(receipt_out(receipt, |t| TimeOff::from(t)))
        })
    }

    /// Withdraws a teacher's time off; returns it.
    #[uniffi::method(default(key = None))]
    pub fn remove_time_off(
        &self,
        actor: Actor,
        teacher_id: String,
        time_off_id: String,
        key: Option<String>,
    ) -> Result<TimeOffReceipt, BookingError> {
        guard(|| {
            let receipt = self.inner.remove_time_off(
                request_in(actor, key)?,
                id_in::<UserId>("teacher_id", &teacher_id)?,
                id_in::<TimeOffId>("time_off_id", &time_off_id)?,
            )?;
            Ok(receipt_out(receipt, |t| TimeOff::from(t)))
        })
    }

    /// A teacher's time off, by first day.
    pub fn time_off(&self, teacher_id: String) -> Result<Vec<TimeOff>, BookingError> {
        guard(|| {
            Ok(self.inner.calendar(id_in("teacher_id", &teacher_id)?)?.time_off.iter().map(TimeOff::from).collect())
        })
    }

    // ----- iCalendar export (RFC 5545) ----------------------------------------------------------

    /// A group session as an iCalendar file (one `VEVENT`, UID `session-<id>@booking-engine`,
    /// `SEQUENCE` growing with every change, `STATUS` confirmed or cancelled); `DTSTAMP` is the
    /// engine clock's now (`booking_core::ical`).
    pub fn session_ical(&self, session_id: String) -> Result<String, BookingError> {
        guard(|| self.inner.session_ical(id_in("session_id", &session_id)?))
    }

    /// One booking as an iCalendar file: a seat booking as its student sees the session (UID
    /// `booking-<id>@booking-engine`), or a 1:1 lesson (the same UID form, kept when the lesson
    /// is rescheduled, with a higher `SEQUENCE`, so calendar apps move the event).
    pub fn booking_ical(&self, booking_id: String) -> Result<String, BookingError> {
        guard(|| self.inner.booking_ical(id_in("booking_id", &booking_id)?))
    }

    /// Several 1:1 lessons in one iCalendar file, one `VEVENT` each (a series: pass its lesson
    /// ids); duplicates are exported once, and an empty list is `invalid_input`.
    pub fn lessons_ical(&self, booking_ids: Vec<String>) -> Result<String, BookingError> {
        guard(|| {
            let ids = booking_ids.iter().map(|id| id_in("booking_ids", id)).collect::<Result<Vec<BookingId>, _>>()?;
            self.inner.lessons_ical(&ids)
        })
    }

    /// The lesson with this id.
    pub fn lesson(&self, booking_id: String) -> Result<Lesson, BookingError> {
        guard(|| Ok(Lesson::from(&*self.inner.lesson(id_in("booking_id", &booking_id)?)?)))
    }

    /// The active (pending or confirmed) lessons of a teacher or student, by start. (A
    /// calendar keeps a lesson's hold for a few days after it ends, for the per-day and
    /// per-week limits; lessons marked attended or no-show are left out here.)
    pub fn active_lessons(&self, user_id: String) -> Result<Vec<Lesson>, BookingError> {
        guard(|| {
            let calendar = self.inner.calendar(id_in("user_id", &user_id)?)?;
            let mut lessons = Vec::with_capacity(calendar.holds.len());
            for hold in &calendar.holds {
                let lesson = self.inner.lesson(hold.booking_id)?;
                if lesson.status.is_active() {
                    lessons.push(Lesson::from(&*lesson));
                }
            }
            lessons.sort_by_key(|l| l.starts_at);
            Ok(lessons)
        })
    }
}
