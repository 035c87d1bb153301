//! The engine: loads, decides, commits, retries, and replays idempotent requests.

use crate::{
    Actor, BookingError, BookingId, Clock, CourseId, Event, EventKind, GroupSession, IdGenerator, NewGroupSession,
    RandomIds, SchedulingRules, SeatBooking, SessionId, SlotId, SystemClock, TimeOffId, UserId,
    availability::{AvailabilitySlot, TimeOff, TimeOffSpec},
    command::{
        Command, Courses, FromOutcome, LessonOf, Outcome, OutcomeValue, RequestKey, RequestRecord, Returns, Route,
        SessionOf,
    },
    group::{self, DecisionContext, SeatAccess, SessionCommand},
    lesson::{
        self, BookableOccurrence, Calendar, CourseAccess, Lesson, LessonCommand, LessonContext, LessonDecision,
        LessonState, LessonStatus, MeetingLinkGenerator, OccurrenceQuery, SeriesBooking, SeriesRequest, SlotSpec,
    },
    repository::{AggregateKey, BookingLocation, Commit, Repository, StoreError, Write},
};
mod ical;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Who sends a command, and optionally the request key that makes it idempotent.
///
/// An [`Actor`] converts into a request without a key; [`Actor::with_key`] adds one.
///
/// ```
/// use booking_core::{Actor, Request};
/// let request: Request = Actor::System.with_key("import-42");
/// assert_eq!(request.key.as_deref(), Some("import-42"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Who asks.
    pub actor: Actor,
    /// The client's idempotency key (validated by [`RequestKey::new`]).
    pub key: Option<String>,
}

impl From<Actor> for Request {
    fn from(actor: Actor) -> Self {
        Request { actor, key: None }
    }
}

impl Actor {
    /// A request by this actor under an idempotency key.
    pub fn with_key(self, key: impl Into<String>) -> Request {
        Request { actor: self, key: Some(key.into()) }
    }
}

/// What a successful command returns: its value, the events it caused, and whether this is a
/// replay of an earlier outcome under the same request key (then nothing was changed now).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt<T> {
    /// The object the command is about, after the command.
    pub value: T,
    /// The events the command caused (on a replay: the events of the first run).
    pub events: Vec<Event>,
    /// The changed aggregate's version after the command.
    pub version: u64,
    /// `true` when the outcome was replayed from an earlier run with the same request key.
    pub replayed: bool,
}

impl Receipt<OutcomeValue> {
    /// Narrows the value to what the typed command returns. A mismatch can only come from a
    /// tampered or corrupt request record, and is reported as such.
    fn narrow<T: FromOutcome>(self) -> Result<Receipt<T>, BookingError> {
        let Receipt { value, events, version, replayed } = self;
        let value = T::from_outcome(value).ok_or_else(|| BookingError::CorruptRecord {
            record: "request record".to_owned(),
            detail: "its outcome does not match its command".to_owned(),
        })?;
        Ok(Receipt { value, events, version, replayed })
    }
}

/// What one [`Engine::process_expired_offers`] call did: the events of every session it
/// processed, and the sessions it could not process, each with its error.
///
/// A failure concerns its session only: that session is unchanged (and still due, so the next
/// call tries it again), and every other due session was processed.
///
/// ```
/// use booking_core::*;
/// use chrono::{TimeDelta, TimeZone, Utc};
///
/// let now = Utc.with_ymd_and_hms(2030, 5, 1, 8, 0, 0).unwrap();
/// let clock = std::sync::Arc::new(ManualClock::new(now));
/// let engine = Engine::new(InMemoryRepository::new()).with_clock(clock.clone());
/// let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
/// let [ana, ben, cleo] = [2, 3, 4].map(|n| UserId::from_uuid(uuid::Uuid::from_u128(n)));
/// let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
///     teacher_id: teacher, course_id: None, title: "Chess".into(),
///     starts_at: now + TimeDelta::days(2), time_zone: "Europe/Paris".into(), duration_minutes: 60,
///     meeting_link: "https://meet.example.com/chess".into(), capacity: 1, waitlist_enabled: true,
///     waitlist_mode: WaitlistMode::Offer { hold_minutes: 30 }, rules: Default::default(),
/// })?.value;
/// let first = engine.book_seat(Actor::Student(ana), session.id, ana)?.value;
/// engine.book_seat(Actor::Student(ben), session.id, ben)?;
/// engine.book_seat(Actor::Student(cleo), session.id, cleo)?;
/// engine.cancel_booking(Actor::Student(ana), first.id)?; // the seat is offered to Ben
///
/// // Ben does not answer within 30 minutes: the seat goes to Cleo.
/// clock.advance(TimeDelta::minutes(30));
/// let sweep = engine.process_expired_offers(clock.now())?;
/// assert!(sweep.failures.is_empty());
/// let kinds: Vec<_> = sweep.events.iter().map(|e| e.kind.name()).collect();
/// assert_eq!(kinds, ["offer_expired", "seat_offered"]);
/// for (session_id, error) in &sweep.failures {
///     eprintln!("session {session_id}: {error}"); // log it; the next sweep tries it again
/// }
/// # Ok::<(), BookingError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OfferSweep {
    /// The events of every session processed, session after session.
    pub events: Vec<Event>,
    /// The sessions that could not be processed, in the order they were tried, with why.
    pub failures: Vec<(SessionId, BookingError)>,
}

/// How many times a command is decided again after losing a race, by default.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 200;

/// The booking engine over a [`Repository`].
///
/// Cheap to share: wrap it in an `Arc` and call it from any number of threads.
///
/// ```
/// use booking_core::{Actor, Engine, InMemoryRepository, ManualClock, NewGroupSession, SeatStatus, UserId};
/// use chrono::{TimeZone, Utc};
///
/// let now = Utc.with_ymd_and_hms(2030, 1, 1, 9, 0, 0).unwrap();
/// let engine = Engine::new(InMemoryRepository::new()).with_clock(ManualClock::new(now));
/// let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
/// let student = UserId::from_uuid(uuid::Uuid::from_u128(2));
///
/// let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
///     teacher_id: teacher, course_id: None, title: "Spanish A1".into(),
///     starts_at: Utc.with_ymd_and_hms(2030, 1, 10, 18, 0, 0).unwrap(),
///     time_zone: "Europe/Madrid".into(), duration_minutes: 60,
///     meeting_link: "https://meet.example.com/a1".into(), capacity: 1, waitlist_enabled: true, waitlist_mode: Default::default(), rules: Default::default(),
/// })?.value;
///
/// let seat = engine.book_seat(Actor::Student(student), session.id, student)?;
/// assert_eq!(seat.value.status, SeatStatus::Confirmed);
/// assert!(engine.session(session.id)?.is_full());
///
/// // The same student again: refused, nothing changed.
/// let again = engine.book_seat(Actor::Student(student), session.id, student).unwrap_err();
/// assert_eq!(again.code().as_str(), "already_booked");
/// # Ok::<(), booking_core::BookingError>(())
/// ```
pub struct Engine<R> {
    repository: R,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    links: Option<Arc<dyn MeetingLinkGenerator>>,
    max_attempts: u32,
    queues: Option<LocalQueues>,
    ical: crate::ical::IcalOptions,
}

/// How many in-process queues commands are spread over (see [`Engine::execute`]).
const LOCAL_QUEUES: usize = 64;

/// Striped mutexes: commands on the same aggregate from one engine wait their turn here
/// instead of racing each other through the store's version check.
struct LocalQueues(Box<[std::sync::Mutex<()>]>);

impl LocalQueues {
    fn new() -> Self {
        Self((0..LOCAL_QUEUES).map(|_| std::sync::Mutex::new(())).collect())
    }

    fn enter(&self, key: &AggregateKey) -> std::sync::MutexGuard<'_, ()> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let stripe = BuildHasherDefault::<DefaultHasher>::default().hash_one(key) as usize % self.0.len();
        // The guarded value is `()`: a panic while holding it leaves nothing half-done.
        self.0[stripe].lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<R: std::fmt::Debug> std::fmt::Debug for Engine<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("repository", &self.repository)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

impl<R: Repository> Engine<R> {
    /// An engine over `repository`, with the system clock and random (v7) ids.
    pub fn new(repository: R) -> Self {
        Self {
            repository,
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds),
            links: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            queues: Some(LocalQueues::new()),
            ical: crate::ical::IcalOptions::default(),
        }
    }

    /// Turns the in-process queueing of commands on the same aggregate on (the default) or
    /// off. Off, threads race through the store's version check like separate processes do:
    /// the conformance race audits use that to test a store's atomicity.
    pub fn with_local_queueing(mut self, on: bool) -> Self {
        self.queues = on.then(LocalQueues::new);
        self
    }

    /// Uses `generator` for the meeting links of lessons confirmed without one.
    pub fn with_meeting_links(mut self, generator: impl MeetingLinkGenerator + 'static) -> Self {
        self.links = Some(Arc::new(generator));
        self
    }

    /// Uses `clock` for "now".
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Uses `ids` for new ids.
    pub fn with_ids(mut self, ids: impl IdGenerator + 'static) -> Self {
        self.ids = Arc::new(ids);
        self
    }

    /// Gives up with [`BookingError::Contention`] after deciding a command this many times
    /// (at least once).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Uses `options` (the `PRODID` and the domain of the `UID`s) in the iCalendar exports
    /// ([`session_ical`](Self::session_ical) and the others). Values from outside the code are
    /// best checked first with [`IcalOptions::validated`](crate::ical::IcalOptions::validated).
    ///
    /// ```
    /// use booking_core::{Engine, InMemoryRepository, ical::IcalOptions};
    /// let options = IcalOptions::default().uid_domain("school.example.com").validated()?;
    /// let engine = Engine::new(InMemoryRepository::new()).with_ical_options(options);
    /// assert_eq!(engine.ical_options().uid_domain, "school.example.com");
    /// # Ok::<(), booking_core::BookingError>(())
    /// ```
    pub fn with_ical_options(mut self, options: crate::ical::IcalOptions) -> Self {
        self.ical = options;
        self
    }

    /// The options of the iCalendar exports (the defaults unless
    /// [`with_ical_options`](Self::with_ical_options) set others).
    pub fn ical_options(&self) -> &crate::ical::IcalOptions {
        &self.ical
    }

    /// The store.
    pub fn repository(&self) -> &R {
        &self.repository
    }

    /// The engine clock's current instant.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// The session with this id.
    pub fn session(&self, id: SessionId) -> Result<Arc<GroupSession>, BookingError> {
        self.repository.load_session(id)?.ok_or(BookingError::SessionNotFound { id })
    }

    /// The seat booking with this id: a live one from its session, a finished one (cancelled,
    /// declined, expired) from the store's booking history (see [`crate::repository`]).
    pub fn seat_booking(&self, id: BookingId) -> Result<SeatBooking, BookingError> {
        Ok(self.find_seat_booking(id)?.1)
    }

    /// The seat booking with this id and its session as stored now: a live booking from the
    /// session, a finished one from the booking history.
    pub(crate) fn find_seat_booking(&self, id: BookingId) -> Result<(Arc<GroupSession>, SeatBooking), BookingError> {
        let session = self.session_of_booking(id)?;
        if let Some(booking) = session.booking(id) {
            let booking = booking.clone();
            return Ok((session, booking));
        }
        let booking = self.finished_booking(&session, id)?.ok_or(BookingError::BookingNotFound { id })?;
        Ok((session, booking))
    }

    /// The finished booking `id` of `session` from the booking history, checked to be that
    /// booking of that session.
    fn finished_booking(&self, session: &GroupSession, id: BookingId) -> Result<Option<SeatBooking>, BookingError> {
        let Some(booking) = self.repository.load_finished_booking(id)? else { return Ok(None) };
        if booking.id != id || booking.session_id != session.id {
            return Err(BookingError::CorruptRecord {
                record: format!("finished booking {id}"),
                detail: format!(
                    "the history holds booking {} of session {} under it, but the index names session {}",
                    booking.id, booking.session_id, session.id
                ),
            });
        }
        Ok(Some(booking))
    }

    /// The session of the booking a seat command names, as the decision sees it: with the
    /// booking in it even when it is finished and lives in the booking history, so a command
    /// on a finished booking is refused exactly as while the session still held it (where it
    /// sits in the list does not matter: a finished booking counts for nothing).
    fn session_for_command(&self, id: BookingId) -> Result<Arc<GroupSession>, BookingError> {
        let mut session = self.session_of_booking(id)?;
        if session.booking(id).is_none()
            && let Some(booking) = self.finished_booking(&session, id)?
        {
            Arc::make_mut(&mut session).bookings.push(booking);
        }
        Ok(session)
    }

    /// Operator action: deletes the request records recorded before `recorded_before` (the
    /// engine's instant when each command was decided); returns how many were deleted. Call it
    /// from a maintenance job with a retention well above the longest time a client may retry
    /// (say `now - 30 days`); never on behalf of a user, since it is not a command and checks
    /// no actor. A retry with a key older than the retention is decided afresh, as a new
    /// command; see [`crate::repository`], "Retention".
    ///
    /// ```
    /// # use booking_core::*;
    /// # use chrono::{TimeDelta, Utc};
    /// let clock = std::sync::Arc::new(ManualClock::new(Utc::now()));
    /// let engine = Engine::new(InMemoryRepository::new()).with_clock(clock.clone());
    /// let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
    /// # let new = NewGroupSession {
    /// #     teacher_id: teacher, course_id: None, title: "Choir".into(), starts_at: Utc::now() + TimeDelta::days(9),
    /// #     time_zone: "UTC".into(), duration_minutes: 60, meeting_link: "https://meet.example.com/c".into(),
    /// #     capacity: 2, waitlist_enabled: true, waitlist_mode: Default::default(), rules: Default::default(),
    /// # };
    /// engine.create_session(Actor::Teacher(teacher).with_key("create-1"), new)?;
    /// clock.advance(TimeDelta::days(31));
    /// assert_eq!(engine.prune_requests(engine.now() - TimeDelta::days(30))?, 1);
    /// # Ok::<(), BookingError>(())
    /// ```
    pub fn prune_requests(&self, recorded_before: DateTime<Utc>) -> Result<u64, BookingError> {
        Ok(self.repository.prune_requests(recorded_before)?)
    }

    /// Creates a group session; see [`group::create`] for the checks.
    pub fn create_session(
        &self,
        request: impl Into<Request>,
        session: NewGroupSession,
    ) -> Result<Receipt<Arc<GroupSession>>, BookingError> {
        self.execute(request, Command::CreateSession { session }).and_then(Receipt::narrow)
    }

    /// Books a seat for `student_id`: confirmed if a seat is free and nobody waits, waitlisted
    /// if not and the waitlist is on, else [`BookingError::SessionFull`].
    pub fn book_seat(
        &self,
        request: impl Into<Request>,
        session_id: SessionId,
        student_id: UserId,
    ) -> Result<Receipt<SeatBooking>, BookingError> {
        self.book_seats(request, session_id, student_id, 1)
    }

    /// Books `seats` seats in one booking (a parent booking for two children), all or
    /// nothing: confirmed if that many seats are free and nobody waits, else waitlisted as one
    /// (when the waitlist is on), else [`BookingError::SessionFull`]. A waiting booking is
    /// served only when all its seats are free; nobody behind it jumps the queue. In a session
    /// of a course the student must be enrolled in it ([`BookingError::NotEnrolled`]). One
    /// booking takes at most the session's seats per booking, 1 unless the teacher set more
    /// ([`BookingError::LimitReached`]; see [`crate::rules`]).
    pub fn book_seats(
        &self,
        request: impl Into<Request>,
        session_id: SessionId,
        student_id: UserId,
        seats: u32,
    ) -> Result<Receipt<SeatBooking>, BookingError> {
        self.execute(request, Command::BookSeat { session_id, student_id, seats }).and_then(Receipt::narrow)
    }

    /// Accepts the seat offered to a waitlisted booking (offer mode): it is confirmed.
    /// An offer that ran out is refused with [`BookingError::OfferExpired`]; in a session of a
    /// course, one whose student is no longer enrolled with [`BookingError::NotEnrolled`].
    pub fn accept_offer(
        &self,
        request: impl Into<Request>,
        booking_id: BookingId,
    ) -> Result<Receipt<SeatBooking>, BookingError> {
        self.execute(request, Command::AcceptOffer { booking_id }).and_then(Receipt::narrow)
    }

    /// Declines the seat offered to a waitlisted booking: the booking is cancelled and the
    /// seat is offered to the next in line.
    pub fn decline_offer(
        &self,
        request: impl Into<Request>,
        booking_id: BookingId,
    ) -> Result<Receipt<SeatBooking>, BookingError> {
        self.execute(request, Command::DeclineOffer { booking_id }).and_then(Receipt::narrow)
    }

    /// Expires every seat offer that ran out by `now` and offers the seats to the next in line
    /// (never after a session's start). The engine runs no threads: the host calls this
    /// periodically (every minute, say) with the current time.
    ///
    /// Each session with an offer due is processed on its own, in its own atomic commit: one
    /// that fails (its store refuses the commit, its record is corrupt) is reported in
    /// [`OfferSweep::failures`] and changes nothing, and the others are processed all the same.
    /// [`OfferSweep::events`] holds the events of every session processed, in order. A failed
    /// session stays due, so the next call tries it again.
    ///
    /// Offers are also expired by any other command on their session, so a late call never
    /// lets an expired offer be accepted.
    ///
    /// # Errors
    ///
    /// Only when the store cannot say which sessions are due
    /// ([`Repository::sessions_with_offers_due`]); then nothing was processed.
    ///
    /// See [`OfferSweep`] for an example.
    pub fn process_expired_offers(&self, now: DateTime<Utc>) -> Result<OfferSweep, BookingError> {
        let mut sweep = OfferSweep::default();
        for session_id in self.repository.sessions_with_offers_due(now)? {
            match self.execute_at(Actor::System.into(), Command::ExpireOffers { session_id }, Some(now)) {
                Ok(receipt) => sweep.events.extend(receipt.events),
                Err(error) => sweep.failures.push((session_id, error)),
            }
        }
        Ok(sweep)
    }

    /// Cancels a confirmed, waitlisted or offered booking; a freed seat goes to the head of the
    /// waitlist in the same atomic step (promoted, or offered in offer mode). A student may not
    /// cancel a confirmed seat within the session's cancellation cut-off
    /// ([`BookingError::CutoffPassed`]); the teacher or an admin may, and the event says so.
    pub fn cancel_booking(
        &self,
        request: impl Into<Request>,
        booking_id: BookingId,
    ) -> Result<Receipt<SeatBooking>, BookingError> {
        self.execute(request, Command::CancelBooking { booking_id }).and_then(Receipt::narrow)
    }

    /// Sets the number of seats; waitlisted students are promoted into added seats (or offered
    /// them, in offer mode), in order.
    pub fn change_capacity(
        &self,
        request: impl Into<Request>,
        session_id: SessionId,
        capacity: u32,
    ) -> Result<Receipt<Arc<GroupSession>>, BookingError> {
        self.execute(request, Command::ChangeCapacity { session_id, capacity }).and_then(Receipt::narrow)
    }

    /// Turns the waitlist on or off (see the [group rules](crate::group)).
    pub fn set_waitlist(
        &self,
        request: impl Into<Request>,
        session_id: SessionId,
        enabled: bool,
    ) -> Result<Receipt<Arc<GroupSession>>, BookingError> {
        self.execute(request, Command::SetWaitlist { session_id, enabled }).and_then(Receipt::narrow)
    }

    /// Cancels the session and every active booking in it (one event each).
    pub fn cancel_session(
        &self,
        request: impl Into<Request>,
        session_id: SessionId,
    ) -> Result<Receipt<Arc<GroupSession>>, BookingError> {
        self.execute(request, Command::CancelSession { session_id }).and_then(Receipt::narrow)
    }

    /// Marks a confirmed booking attended or no-show, from the session's start on.
    pub fn mark_attendance(
        &self,
        request: impl Into<Request>,
        booking_id: BookingId,
        attended: bool,
    ) -> Result<Receipt<SeatBooking>, BookingError> {
        self.execute(request, Command::MarkAttendance { booking_id, attended }).and_then(Receipt::narrow)
    }

    /// Runs any command: the single entry point the typed methods and the bindings go through.
    ///
    /// With a request key, a command that already succeeded under the same actor and key is not
    /// run again: its recorded outcome is returned with `replayed: true` (also when the retry
    /// races the first run). A key reused for a different command is refused with
    /// [`BookingError::RequestKeyReused`]. Successful commands are recorded under their key even
    /// when they changed nothing; refused commands record nothing, so retrying one decides it
    /// afresh.
    ///
    /// Commands from this engine on the same session (or the same teacher's calendar) wait
    /// their turn on an in-process queue before loading, so threads of one process do not race
    /// each other and waste decisions; other engines and processes are kept apart by the store's
    /// version check as always, so correctness never depends on the queue.
    ///
    /// Checks run in this order, and the first failure is returned: the objects named exist
    /// (`*_not_found`; ids are random UUIDs, so this reveals nothing guessable), the actor may
    /// run the command (`not_authorized`), the input is valid, and the current state allows it.
    pub fn execute(
        &self,
        request: impl Into<Request>,
        command: Command,
    ) -> Result<Receipt<OutcomeValue>, BookingError> {
        self.execute_at(request.into(), command, None)
    }

    /// [`execute`](Self::execute), deciding at `now` instead of the clock's instant if given.
    fn execute_at(
        &self,
        request: Request,
        command: Command,
        now: Option<DateTime<Utc>>,
    ) -> Result<Receipt<OutcomeValue>, BookingError> {
        let Request { actor, key } = request;
        let key = key.map(RequestKey::new).transpose()?;
        let _turn = match &self.queues {
            Some(queues) => self.queue_key(&command)?.map(|k| queues.enter(&k)),
            None => None,
        };
        let replay = |key: &RequestKey| -> Result<Option<Receipt<OutcomeValue>>, BookingError> {
            match self.repository.load_request(&actor, key)? {
                Some(record) if record.command != command => {
                    Err(BookingError::RequestKeyReused { key: key.as_str().to_owned() })
                }
                Some(record) => Ok(Some(receipt(record.outcome, true))),
                None => Ok(None),
            }
        };
        for attempt in 1..=self.max_attempts {
            if let Some(key) = &key
                && let Some(replayed) = replay(key)?
            {
                return Ok(replayed);
            }
            let now = now.unwrap_or_else(|| self.clock.now());
            let ctx = DecisionContext { actor, now, fresh_id: self.ids.next_uuid() };
            let (outcome, writes, finished_bookings) = match self.decide(&ctx, &command) {
                Ok(decided) => decided,
                Err(refusal) => {
                    // A retry racing its own first run may have looked the key up just before that
                    // run committed, and loaded the state just after: the refusal is then caused
                    // by the run itself, and the run's outcome is the answer.
                    if let Some(key) = &key
                        && let Some(replayed) = replay(key)?
                    {
                        return Ok(replayed);
                    }
                    return Err(refusal);
                }
            };
            if outcome.events.is_empty() && key.is_none() {
                // Nothing to change (for instance the capacity it already has): nothing to store.
                return Ok(receipt(outcome, false));
            }
            // A keyed command is recorded even when it changed nothing, so its key cannot be
            // reused for another command.
            let request = key.clone().map(|key| RequestRecord {
                actor,
                key,
                command: command.clone(),
                outcome: outcome.clone(),
                recorded_at: ctx.now,
            });
            let commit = Commit { writes, request, events: outcome.events.clone(), finished_bookings };
            match self.repository.commit(commit) {
                Ok(()) => return Ok(receipt(outcome, false)),
                Err(StoreError::Conflict(_) | StoreError::DuplicateRequest) => back_off(attempt),
                Err(e) => return Err(e.into()),
            }
        }
        Err(BookingError::Contention { attempts: self.max_attempts })
    }

    /// The aggregate a command contends on, to queue it behind others on the same one: the
    /// session of a seat command, the teacher's calendar of a slot or booking command, the
    /// lesson of a lesson command.
    fn queue_key(&self, command: &Command) -> Result<Option<AggregateKey>, BookingError> {
        Ok(match command.route() {
            Route::CreateSession(session) => Some(AggregateKey::Calendar(session.teacher_id)),
            Route::Session(SessionOf::Id(session_id), _) => Some(AggregateKey::Session(session_id)),
            Route::Session(SessionOf::Booking(booking_id), _) => match self.repository.locate_booking(booking_id)? {
                Some(BookingLocation::Session(session_id)) => Some(AggregateKey::Session(session_id)),
                _ => None,
            },
            Route::Lesson(LessonOf::Teacher(teacher_id), ..) => Some(AggregateKey::Calendar(teacher_id)),
            Route::Lesson(LessonOf::SlotTeacher(slot_id) | LessonOf::Booking { slot_id, .. }, ..) => {
                self.repository.locate_slot(slot_id)?.map(AggregateKey::Calendar)
            }
            Route::Lesson(LessonOf::LessonAlone(id) | LessonOf::Lesson { id, .. }, ..) => {
                Some(AggregateKey::Lesson(id))
            }
        })
    }

    /// The session holding the seat booking `id` (a lesson id is "not found" here).
    fn session_of_booking(&self, id: BookingId) -> Result<Arc<GroupSession>, BookingError> {
        match self.repository.locate_booking(id)? {
            Some(BookingLocation::Session(session_id)) => self.session(session_id),
            _ => Err(BookingError::BookingNotFound { id }),
        }
    }

    /// Loads what `command` needs and decides it, without storing anything: the outcome, the
    /// writes, and the seat bookings the writes move to the booking history.
    fn decide(&self, ctx: &DecisionContext, command: &Command) -> Result<Decided, BookingError> {
        match command.route() {
            Route::CreateSession(session) => {
                // The session holds its time in the teacher's calendar, in the same commit:
                // 1:1 lessons cannot be booked over it, nor it over them.
                let calendar = self.calendar(session.teacher_id)?;
                let (session, events) = group::create(ctx, session, &calendar.rules_for_course(session.course_id))?;
                lesson::check_session_time(&calendar, &session)?;
                let session = Arc::new(session);
                let mut writes = vec![Write::Session { expected_version: 0, session: Arc::clone(&session) }];
                writes.push(calendar_write(&calendar, &events));
                let outcome = Outcome { value: OutcomeValue::Session { session }, events, version: 1 };
                Ok((outcome, writes, Vec::new()))
            }
            Route::Session(of, session_command) => self.decide_session(ctx, of, session_command),
            Route::Lesson(of, lesson_command, returns) => {
                let (outcome, writes) = self.decide_lesson(ctx, of, lesson_command, returns)?;
                Ok((outcome, writes, Vec::new()))
            }
        }
    }

    /// Loads the session a seat command is on and decides the command.
    fn decide_session(
        &self,
        ctx: &DecisionContext,
        of: SessionOf,
        session_command: SessionCommand,
    ) -> Result<Decided, BookingError> {
        let session = match of {
            SessionOf::Id(session_id) => self.session(session_id)?,
            SessionOf::Booking(booking_id) => self.session_for_command(booking_id)?,
        };
        // The host's word on the student a booking or an acceptance is for (see the group
        // module's enrollment rule); the decision itself reads nothing.
        let seat_student = match session_command {
            SessionCommand::BookSeat { student_id, .. } => Some(student_id),
            SessionCommand::AcceptOffer { booking_id } => session.booking(booking_id).map(|b| b.student_id),
            _ => None,
        };
        let access = match seat_student {
            Some(student_id) => SeatAccess { enrolled: self.enrolled(session.course_id, student_id)? },
            None => SeatAccess::default(),
        };
        let (mut next, events) = group::decide(&session, ctx, access, &session_command)?;
        let changed = !events.is_empty();
        if changed {
            next.version = session.version + 1;
        }
        let booking_id = match session_command {
            SessionCommand::BookSeat { .. } => Some(BookingId(ctx.fresh_id)),
            SessionCommand::CancelBooking { booking_id }
            | SessionCommand::MarkAttendance { booking_id, .. }
            | SessionCommand::AcceptOffer { booking_id }
            | SessionCommand::DeclineOffer { booking_id } => Some(booking_id),
            _ => None,
        };
        let version = next.version;
        let booking = match booking_id {
            Some(id) => Some(next.booking(id).cloned().ok_or(BookingError::BookingNotFound { id })?),
            None => None,
        };
        // Finished bookings leave the stored session for the booking history, in this commit
        // (also those of a session stored before this rule, on its first change).
        let finished = if changed { next.take_finished() } else { Vec::new() };
        let next = Arc::new(next);
        let value = match booking {
            Some(booking) => OutcomeValue::SeatBooking { booking },
            None => OutcomeValue::Session { session: Arc::clone(&next) },
        };
        let mut writes = if changed {
            vec![Write::Session { expected_version: session.version, session: next }]
        } else {
            Vec::new()
        };
        if events.iter().any(|e| matches!(e.kind, EventKind::SessionCancelled { .. })) {
            // A cancelled session frees its time in the teacher's calendar, in the same commit.
            writes.push(calendar_write(&*self.calendar(session.teacher_id)?, &events));
        }
        Ok((Outcome { value, events, version }, writes, finished))
    }
}

/// A decided command: its outcome, its writes, and the seat bookings it finished.
type Decided = (Outcome, Vec<Write>, Vec<SeatBooking>);

/// The 1:1 lesson side of the engine.
impl<R: Repository> Engine<R> {
    /// The person's calendar (an empty one if nothing was stored for them yet).
    pub fn calendar(&self, owner: UserId) -> Result<Arc<Calendar>, BookingError> {
        Ok(self.repository.load_calendar(owner)?.unwrap_or_else(|| Arc::new(Calendar::new(owner))))
    }

    /// The lesson with this id.
    pub fn lesson(&self, id: BookingId) -> Result<Arc<Lesson>, BookingError> {
        self.repository.load_lesson(id)?.ok_or(BookingError::BookingNotFound { id })
    }

    /// The slot with this id.
    pub fn slot(&self, id: SlotId) -> Result<AvailabilitySlot, BookingError> {
        let teacher = self.repository.locate_slot(id)?.ok_or(BookingError::SlotNotFound { id })?;
        self.calendar(teacher)?.slot(id).cloned().ok_or(BookingError::SlotNotFound { id })
    }

    /// The occurrences of a teacher's slots that can be booked now, in the query's window; see
    /// [`lesson::bookable_occurrences`] for what is left out.
    pub fn list_occurrences(&self, query: &OccurrenceQuery) -> Result<Vec<BookableOccurrence>, BookingError> {
        let calendar = self.calendar(query.teacher_id)?;
        // The student's calendar, for their per-course limit (only when some rule sets one).
        let limited = calendar.rules.max_upcoming_lessons_per_student.is_some()
            || calendar.course_rules.iter().any(|c| c.rules.max_upcoming_lessons_per_student.is_some())
            || calendar.slots.iter().any(|s| s.rules.max_upcoming_lessons_per_student.is_some());
        let student = match query.student_id {
            Some(student_id) if limited && student_id != query.teacher_id => Some(self.calendar(student_id)?),
            _ => None,
        };
        let mut enrolled: HashMap<crate::CourseId, bool> = HashMap::new();
        let now = self.clock.now();
        lesson::bookable_occurrences(&calendar, student.as_deref(), query, now, &mut |course_id| match query.student_id
        {
            None => Ok(true),
            Some(student_id) => match enrolled.get(&course_id) {
                Some(known) => Ok(*known),
                None => {
                    let is = self.repository.is_enrolled(student_id, course_id)?;
                    enrolled.insert(course_id, is);
                    Ok(is)
                }
            },
        })
    }

    /// Publishes an availability slot for `teacher_id`.
    pub fn publish_slot(
        &self,
        request: impl Into<Request>,
        teacher_id: UserId,
        slot: SlotSpec,
    ) -> Result<Receipt<AvailabilitySlot>, BookingError> {
        self.execute(request, Command::PublishSlot { teacher_id, slot }).and_then(Receipt::narrow)
    }

    /// Replaces a slot's course, zone, times and active flag; booked lessons keep their time.
    pub fn update_slot(
        &self,
        request: impl Into<Request>,
        slot_id: SlotId,
        slot: SlotSpec,
    ) -> Result<Receipt<AvailabilitySlot>, BookingError> {
        self.execute(request, Command::UpdateSlot { slot_id, slot }).and_then(Receipt::narrow)
    }

    /// Activates or deactivates a slot; booked lessons keep their time.
    pub fn set_slot_active(
        &self,
        request: impl Into<Request>,
        slot_id: SlotId,
        active: bool,
    ) -> Result<Receipt<AvailabilitySlot>, BookingError> {
        self.execute(request, Command::SetSlotActive { slot_id, active }).and_then(Receipt::narrow)
    }

    /// Books the occurrence of `slot_id` starting at `starts_at` for `student_id`: confirmed,
    /// or pending when the course needs approval.
    pub fn book_lesson(
        &self,
        request: impl Into<Request>,
        slot_id: SlotId,
        starts_at: DateTime<Utc>,
        student_id: UserId,
    ) -> Result<Receipt<Arc<Lesson>>, BookingError> {
        self.execute(request, Command::BookLesson { slot_id, starts_at, student_id }).and_then(Receipt::narrow)
    }

    /// Books a recurring series of lessons; see [`SeriesRequest`].
    pub fn book_series(
        &self,
        request: impl Into<Request>,
        series: SeriesRequest,
    ) -> Result<Receipt<SeriesBooking>, BookingError> {
        self.execute(request, Command::BookSeries { series })?.narrow()
    }

    /// Approves a pending lesson (and the rest of its series), optionally setting the meeting
    /// link; returns the lesson.
    pub fn approve_lesson(
        &self,
        request: impl Into<Request>,
        booking_id: BookingId,
        meeting_link: Option<String>,
    ) -> Result<Receipt<Arc<Lesson>>, BookingError> {
        self.execute(request, Command::ApproveLesson { booking_id, meeting_link }).and_then(Receipt::narrow)
    }

    /// Declines a pending lesson (and the rest of its series); its time is free again.
    pub fn decline_lesson(
        &self,
        request: impl Into<Request>,
        booking_id: BookingId,
        reason: Option<String>,
    ) -> Result<Receipt<Arc<Lesson>>, BookingError> {
        self.execute(request, Command::DeclineLesson { booking_id, reason }).and_then(Receipt::narrow)
    }

    /// Cancels one lesson before its start; its time is free again.
    pub fn cancel_lesson(
        &self,
        request: impl Into<Request>,
        booking_id: BookingId,
    ) -> Result<Receipt<Arc<Lesson>>, BookingError> {
        self.execute(request, Command::CancelLesson { booking_id, and_later_in_series: false })
            .and_then(Receipt::narrow)
    }

    /// Cancels a lesson of a series and every later active lesson of that series.
    pub fn cancel_series_from(
        &self,
        request: impl Into<Request>,
        booking_id: BookingId,
    ) -> Result<Receipt<Vec<Arc<Lesson>>>, BookingError> {
        self.execute(request, Command::CancelLesson { booking_id, and_later_in_series: true })?.narrow()
    }

    /// Sets or replaces an active lesson's meeting link.
    pub fn set_meeting_link(
        &self,
        request: impl Into<Request>,
        booking_id: BookingId,
        meeting_link: impl Into<String>,
    ) -> Result<Receipt<Arc<Lesson>>, BookingError> {
        self.execute(request, Command::SetMeetingLink { booking_id, meeting_link: meeting_link.into() })
            .and_then(Receipt::narrow)
    }

    /// Moves a lesson (one lesson of a series, too) to the occurrence of `slot_id` (one of the
    /// same teacher's slots) starting at `starts_at`, atomically: the new time is taken and the
    /// old one freed, or nothing changes. The new time is checked like a new booking (booking
    /// window, buffers, limits, time off, enrollment, overlaps); when the new slot's course
    /// needs approval and a student moves the lesson, it is pending again. A student may not
    /// move it within the reschedule cut-off, or within the cancellation cut-off when the
    /// lesson's rules set no reschedule cut-off; the teacher or an admin may, and the event
    /// says so.
    pub fn reschedule_lesson(
        &self,
        request: impl Into<Request>,
        booking_id: BookingId,
        slot_id: SlotId,
        starts_at: DateTime<Utc>,
    ) -> Result<Receipt<Arc<Lesson>>, BookingError> {
        self.execute(request, Command::RescheduleLesson { booking_id, slot_id, starts_at }).and_then(Receipt::narrow)
    }

    /// Sets a teacher's scheduling rules for `course_id`, or their default rules when `None`;
    /// empty rules remove that level. Returns the rules now set at that level. See
    /// [`crate::rules`] for the precedence.
    pub fn set_scheduling_rules(
        &self,
        request: impl Into<Request>,
        teacher_id: UserId,
        course_id: Option<CourseId>,
        rules: SchedulingRules,
    ) -> Result<Receipt<SchedulingRules>, BookingError> {
        self.execute(request, Command::SetSchedulingRules { teacher_id, course_id, rules })?.narrow()
    }

    /// Takes time off for a teacher: their slots offer nothing on those days. Lessons already
    /// booked then are kept.
    pub fn add_time_off(
        &self,
        request: impl Into<Request>,
        teacher_id: UserId,
        time_off: TimeOffSpec,
    ) -> Result<Receipt<TimeOff>, BookingError> {
        self.execute(request, Command::AddTimeOff { teacher_id, time_off }).and_then(Receipt::narrow)
    }

    /// Withdraws a teacher's time off; returns it. `time_off_not_found` if the teacher's
    /// calendar holds no time off with this id (also when it was already withdrawn).
    pub fn remove_time_off(
        &self,
        request: impl Into<Request>,
        teacher_id: UserId,
        time_off_id: TimeOffId,
    ) -> Result<Receipt<TimeOff>, BookingError> {
        self.execute(request, Command::RemoveTimeOff { teacher_id, time_off_id }).and_then(Receipt::narrow)
    }

    /// Marks a confirmed lesson attended or no-show, from its start on.
    pub fn mark_lesson_attendance(
        &self,
        request: impl Into<Request>,
        booking_id: BookingId,
        attended: bool,
    ) -> Result<Receipt<Arc<Lesson>>, BookingError> {
        self.execute(request, Command::MarkLessonAttendance { booking_id, attended }).and_then(Receipt::narrow)
    }

    fn teacher_of_slot(&self, slot_id: SlotId) -> Result<Arc<Calendar>, BookingError> {
        let teacher = self.repository.locate_slot(slot_id)?.ok_or(BookingError::SlotNotFound { id: slot_id })?;
        self.calendar(teacher)
    }

    /// The host's word on `course_id` for this student and teacher.
    fn course_access(
        &self,
        course_id: Option<crate::CourseId>,
        student_id: UserId,
        teacher_id: UserId,
    ) -> Result<CourseAccess, BookingError> {
        let enrolled = self.enrolled(course_id, student_id)?;
        match course_id {
            None => Ok(CourseAccess { enrolled, ..CourseAccess::default() }),
            Some(course_id) => {
                Ok(CourseAccess { enrolled, approval: self.repository.approval_settings(course_id, teacher_id)? })
            }
        }
    }

    /// The host's word on whether the student is enrolled in `course_id` (`true` without a
    /// course): what 1:1 bookings ([`course_access`](Self::course_access)) and seats ask.
    fn enrolled(&self, course_id: Option<crate::CourseId>, student_id: UserId) -> Result<bool, BookingError> {
        match course_id {
            None => Ok(true),
            Some(course_id) => Ok(self.repository.is_enrolled(student_id, course_id)?),
        }
    }

    /// The lesson, if `id` names one (a seat booking id is "not found" here).
    fn lesson_for_command(&self, id: BookingId) -> Result<Arc<Lesson>, BookingError> {
        match self.repository.locate_booking(id)? {
            Some(BookingLocation::Lesson) => self.lesson(id),
            _ => Err(BookingError::BookingNotFound { id }),
        }
    }

    /// The active lessons of the lesson's series (empty for a single lesson).
    fn series_lessons(&self, teacher: &Calendar, lesson: &Lesson) -> Result<Vec<Lesson>, BookingError> {
        let Some(series_id) = lesson.series_id else { return Ok(Vec::new()) };
        teacher.series_holds(series_id).map(|h| self.lesson(h.booking_id).map(|l| (*l).clone())).collect()
    }

    /// Loads what a lesson command is decided on and decides it.
    fn decide_lesson(
        &self,
        ctx: &DecisionContext,
        of: LessonOf,
        command: LessonCommand<'_>,
        returns: Returns,
    ) -> Result<(Outcome, Vec<Write>), BookingError> {
        // Loaded per case below, and borrowed by the state.
        let (teacher, student, target, series);
        let mut courses = Vec::new();
        let state = match of {
            LessonOf::Teacher(teacher_id) => {
                teacher = self.calendar(teacher_id)?;
                LessonState { teacher: Some(&teacher), ..LessonState::default() }
            }
            LessonOf::SlotTeacher(slot_id) => {
                teacher = self.teacher_of_slot(slot_id)?;
                LessonState { teacher: Some(&teacher), ..LessonState::default() }
            }
            LessonOf::Booking { slot_id, student_id } => {
                teacher = self.teacher_of_slot(slot_id)?;
                let course_id = teacher.slot(slot_id).and_then(|s| s.course_id);
                courses.push((course_id, self.course_access(course_id, student_id, teacher.owner)?));
                student = self.calendar(student_id)?;
                LessonState { teacher: Some(&teacher), student: Some(&student), ..LessonState::default() }
            }
            LessonOf::LessonAlone(id) => {
                target = self.lesson_for_command(id)?;
                LessonState { lesson: Some(&target), ..LessonState::default() }
            }
            LessonOf::Lesson { id, series: with_series, courses: needed } => {
                target = self.lesson_for_command(id)?;
                teacher = self.calendar(target.teacher_id)?;
                series = if with_series { self.series_lessons(&teacher, &target)? } else { Vec::new() };
                match needed {
                    Courses::None => {}
                    // The host's word on the course of each pending lesson's slot: a reschedule
                    // may have moved a lesson of the series to a slot of another course.
                    Courses::OfPending => {
                        let pending =
                            std::iter::once(&*target).chain(&series).filter(|l| l.status == LessonStatus::Pending);
                        for lesson in pending {
                            let course = teacher.slot(lesson.slot_id).and_then(|s| s.course_id);
                            if !courses.iter().any(|(c, _)| *c == course) {
                                courses
                                    .push((course, self.course_access(course, target.student_id, target.teacher_id)?));
                            }
                        }
                    }
                    Courses::OfSlot(slot_id) => {
                        let course_id = teacher.slot(slot_id).and_then(|s| s.course_id);
                        courses.push((course_id, self.course_access(course_id, target.student_id, target.teacher_id)?));
                    }
                }
                student = self.calendar(target.student_id)?;
                LessonState { teacher: Some(&teacher), student: Some(&student), lesson: Some(&target), series: &series }
            }
        };
        let primary = match returns {
            Returns::NewSlot => Primary::Slot(SlotId(ctx.fresh_id)),
            Returns::Slot(id) => Primary::Slot(id),
            Returns::NewLesson => Primary::Lesson(BookingId(ctx.fresh_id)),
            Returns::Lesson(id) => Primary::Lesson(id),
            Returns::Lessons => Primary::Lessons,
            Returns::Series => Primary::Series,
            Returns::Rules(course_id) => Primary::Rules(course_id),
            Returns::NewTimeOff => Primary::AddedTimeOff(TimeOffId(ctx.fresh_id)),
            Returns::RemovedTimeOff(id) => {
                let before = state.teacher.and_then(|t| t.time_off.iter().find(|t| t.id == id)).cloned();
                Primary::RemovedTimeOff(before)
            }
        };
        let lesson_ids = || BookingId(self.ids.next_uuid());
        let context =
            LessonContext { decision: ctx, courses: &courses, links: self.links.as_deref(), lesson_ids: &lesson_ids };
        let decision = lesson::decide(&state, &context, &command)?;
        Ok(lesson_outcome(decision, primary))
    }
}

/// The conditional write of `calendar` with `events` applied.
fn calendar_write(calendar: &Calendar, events: &[Event]) -> Write {
    let mut next = calendar.clone();
    for event in events {
        next.apply(event);
    }
    next.version = calendar.version + 1;
    Write::Calendar { expected_version: calendar.version, calendar: Arc::new(next) }
}

/// Which object a lesson command returns.
enum Primary {
    Slot(SlotId),
    Lesson(BookingId),
    Lessons,
    Series,
    /// The rules of the teacher's calendar at this level (a course, or the default).
    Rules(Option<CourseId>),
    /// The time off the decision added, by id (found in the teacher's calendar).
    AddedTimeOff(TimeOffId),
    /// The time off a removal names, as it was before (the decision refuses an unknown one).
    RemovedTimeOff(Option<TimeOff>),
}

/// Bumps the versions of what a lesson decision changed and turns it into writes and an outcome.
fn lesson_outcome(decision: LessonDecision, primary: Primary) -> (Outcome, Vec<Write>) {
    let LessonDecision { calendars, lessons, events, skipped } = decision;
    let changed = !events.is_empty();
    let created: Vec<BookingId> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::LessonRequested { lesson } | EventKind::LessonBooked { lesson } => Some(lesson.id),
            _ => None,
        })
        .collect();
    let mut writes = Vec::new();
    let calendars: Vec<Arc<Calendar>> = calendars
        .into_iter()
        .map(|mut c| {
            let expected_version = c.version;
            if changed {
                c.version += 1;
            }
            let c = Arc::new(c);
            writes.push(Write::Calendar { expected_version, calendar: Arc::clone(&c) });
            c
        })
        .collect();
    let lessons: Vec<Arc<Lesson>> = lessons
        .into_iter()
        .map(|mut l| {
            let expected_version = if created.contains(&l.id) { 0 } else { l.version };
            if expected_version != 0 && changed {
                l.version += 1;
            }
            let l = Arc::new(l);
            writes.push(Write::Lesson { expected_version, lesson: Arc::clone(&l) });
            l
        })
        .collect();
    if !changed {
        writes.clear();
    }
    let teacher_version = calendars.first().map_or(0, |c| c.version);
    let (value, version) = match primary {
        Primary::Slot(id) => {
            let slot =
                calendars.first().and_then(|c| c.slot(id)).cloned().expect("the decision holds the slot's calendar");
            (OutcomeValue::Slot { slot: Box::new(slot) }, teacher_version)
        }
        Primary::Lesson(id) => {
            let lesson = lessons.iter().find(|l| l.id == id).cloned().expect("the decision holds its lesson");
            let version = lesson.version;
            (OutcomeValue::Lesson { lesson }, version)
        }
        Primary::Lessons => (OutcomeValue::Lessons { lessons }, teacher_version),
        Primary::Rules(course_id) => {
            let calendar = calendars.first().expect("the decision holds the teacher's calendar");
            (OutcomeValue::Rules { rules: calendar.rules_set_at(course_id) }, teacher_version)
        }
        Primary::AddedTimeOff(id) => {
            let calendar = calendars.first().expect("the decision holds the teacher's calendar");
            let added = calendar.time_off.iter().find(|t| t.id == id).cloned();
            (OutcomeValue::TimeOff { time_off: added.expect("the decision added the time off") }, teacher_version)
        }
        Primary::RemovedTimeOff(removed) => {
            let time_off = removed.expect("remove_time_off refuses unknown ids");
            (OutcomeValue::TimeOff { time_off }, teacher_version)
        }
        Primary::Series => {
            let series_id = events
                .iter()
                .find_map(|e| match e.kind {
                    EventKind::SeriesBooked { series_id, .. } => Some(series_id),
                    _ => None,
                })
                .expect("a booked series has its event");
            let lessons = lessons.iter().map(|l| (**l).clone()).collect();
            (OutcomeValue::Series { series: SeriesBooking { series_id, lessons, skipped } }, teacher_version)
        }
    };
    (Outcome { value, events, version }, writes)
}

fn receipt(outcome: Outcome, replayed: bool) -> Receipt<OutcomeValue> {
    Receipt { value: outcome.value, events: outcome.events, version: outcome.version, replayed }
}

/// Lets the winner of a race finish before deciding again: a yield first, then short sleeps
/// growing to 1 ms.
fn back_off(attempt: u32) {
    if attempt <= 2 {
        std::thread::yield_now();
    } else {
        std::thread::sleep(Duration::from_micros(u64::from(attempt.min(10)) * 100));
    }
}
