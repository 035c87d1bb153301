//! The engine: loads, decides, commits, retries, and replays idempotent requests.

use crate::{
    Actor, BookingError, BookingId, Clock, CourseId, Event, EventKind, GroupSession, IdGenerator, RandomIds,
    SeatBooking, SessionId, SlotId, SystemClock, TimeOffId, UserId,
    availability::{AvailabilitySlot, TimeOff},
    command::{
        Command, Courses, FromOutcome, LessonOf, Outcome, OutcomeValue, RequestKey, RequestRecord, Returns, Route,
        SessionOf,
    },
    group::{self, DecisionContext, SeatAccess, SessionCommand},
    lesson::{
        self, BookableOccurrence, Calendar, CourseAccess, Lesson, LessonCommand, LessonContext, LessonDecision,
        LessonState, LessonStatus, MeetingLinkGenerator, OccurrenceQuery, SeriesBooking,
    },
    repository::{AggregateKey, BookingLocation, Commit, Repository, StoreError, Write},
};
mod batch;
mod counters;
mod ical;
mod lessons;
mod read;
mod sessions;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use counters::EngineCounters;
use counters::{Counters, Ending};

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

/// The typed commands of [`typed_commands!`](crate::typed_commands), each made into an
/// [`Engine`] method that runs its [`Command`] and narrows the receipt to the value it returns.
macro_rules! typed_methods {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($arg:ident: $ty:ty $(= $default:expr)?),* $(,)?) -> $value:ty = $variant:ident { $($init:tt)* };
    )*) => {
        /// The typed commands, from the command table ([`typed_commands!`](crate::typed_commands)).
        impl<R: Repository> Engine<R> {$(
            $(#[$doc])*
            pub fn $name(&self, request: impl Into<Request>, $($arg: $ty),*) -> Result<Receipt<$value>, BookingError> {
                self.execute(request, Command::$variant { $($init)* })?.narrow()
            }
        )*}
    };
}

crate::typed_commands!(typed_methods);

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
/// assert!(engine.session(Actor::Teacher(teacher), session.id)?.is_full());
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
    group: Option<batch::GroupCommit>,
    ical: crate::ical::IcalOptions,
    counters: Counters,
}

/// How many in-process queues commands are spread over (see [`Engine::execute`]).
const LOCAL_QUEUES: usize = 64;

/// The most seat commands one group commit decides and stores together (see
/// [`Engine::with_group_commit`]): it bounds how long a command waits for the batch ahead of
/// it.
pub const MAX_BATCH: usize = 64;

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
            group: Some(batch::GroupCommit::default()),
            ical: crate::ical::IcalOptions::default(),
            counters: Counters::default(),
        }
    }

    /// Turns the in-process queueing of commands on the same aggregate on (the default) or
    /// off. Off, threads race through the store's version check like separate processes do:
    /// the conformance race audits use that to test a store's atomicity.
    ///
    /// Off, group commit ([`with_group_commit`](Self::with_group_commit)) is off as well.
    pub fn with_local_queueing(mut self, on: bool) -> Self {
        self.queues = on.then(LocalQueues::new);
        if !on {
            self.group = None;
        }
        self
    }

    /// Turns group commit of seat commands on (the default) or off.
    ///
    /// On, the seat commands this engine receives for a session while a commit on that session
    /// is in flight are decided one after another on the state that commit produces, and their
    /// commits go to the store together in the next single step
    /// ([`Repository::commit_all`]: one transaction on SQLite, one round trip on PostgreSQL),
    /// at most [`MAX_BATCH`] commands at a time. Each keeps its own outcome, events, version and
    /// request record, exactly as if it had run alone after the one before it; a lost race or a
    /// store failure is handled per batch without ever giving one command another's outcome
    /// (the engine's `batch.rs` says how). The cost is latency: a command may wait for the
    /// batch ahead of it, at most one batch. On a fast store (batches under 20 µs, as in
    /// memory) the thread that led a batch also runs the batches queued behind it for up to
    /// 20 µs more, so that the session's state stays on one core; its own answer waits that
    /// long at most. Off, each command commits on its own after those queued ahead of it.
    /// Commands on calendars and lessons are never batched.
    ///
    /// Group commit needs local queueing: it is on only while that is.
    ///
    /// ```
    /// use booking_core::{Engine, InMemoryRepository};
    /// let one_at_a_time = Engine::new(InMemoryRepository::new()).with_group_commit(false);
    /// # let _ = one_at_a_time;
    /// ```
    pub fn with_group_commit(mut self, on: bool) -> Self {
        self.group = (on && self.queues.is_some()).then(batch::GroupCommit::default);
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

    /// The session with this id, whoever asks (the engine's own loads; what a caller may read
    /// is decided by [`session`](Self::session) and the other reads of `read.rs`).
    pub(crate) fn load_session(&self, id: SessionId) -> Result<Arc<GroupSession>, BookingError> {
        self.repository.load_session(id)?.ok_or(BookingError::SessionNotFound { id })
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

    /// How many commands this engine ran and how they ended; see [`EngineCounters`] (and the
    /// module docs of `tracing` events the engine emits).
    pub fn counters(&self) -> EngineCounters {
        self.counters.snapshot()
    }

    /// [`execute`](Self::execute), deciding at `now` instead of the clock's instant if given:
    /// the attempts, counted and traced.
    fn execute_at(
        &self,
        request: Request,
        command: Command,
        now: Option<DateTime<Utc>>,
    ) -> Result<Receipt<OutcomeValue>, BookingError> {
        let span = tracing::debug_span!(
            target: "booking_core::command",
            "booking_command",
            command = command.name(),
            actor = request.actor.role(),
        );
        let _entered = span.enter();
        // The store's commit is timed only for a subscriber that wants the event.
        let timed = tracing::enabled!(target: "booking_core::engine", tracing::Level::DEBUG);
        let mut run = Run { store_time: timed.then_some(Duration::ZERO), ..Run::default() };
        let result = self.attempt(request, &command, now, &mut run);
        let ending = match &result {
            Ok(receipt) if receipt.replayed => Ending::Replayed,
            Ok(_) if run.committed => Ending::Committed,
            Ok(_) => Ending::Unchanged,
            Err(error) => Ending::of_error(error),
        };
        self.counters.record(ending, run.attempts, run.conflicts);
        if matches!(ending, Ending::Failed(crate::ErrorCode::Contention)) {
            tracing::warn!(
                target: "booking_core::engine",
                command = command.name(),
                attempts = run.attempts,
                "contention: gave up after every attempt lost a race"
            );
        }
        tracing::debug!(
            target: "booking_core::engine",
            command = command.name(),
            outcome = ending.code(),
            attempts = run.attempts,
            batch = run.batch,
            store_micros = run.store_time.map_or(0, |t| u64::try_from(t.as_micros()).unwrap_or(u64::MAX)),
            "command finished"
        );
        result
    }

    /// Decides and commits `command`, deciding again after each lost race, up to the engine's
    /// maximum attempts; `run` says what happened on the way.
    fn attempt(
        &self,
        request: Request,
        command: &Command,
        now: Option<DateTime<Utc>>,
        run: &mut Run,
    ) -> Result<Receipt<OutcomeValue>, BookingError> {
        let Request { actor, key } = request;
        let key = key.map(RequestKey::new).transpose()?;
        let queue_key = match &self.queues {
            Some(_) => self.queue_key(command)?,
            None => None,
        };
        if let (Some(group), Some(AggregateKey::Session(session_id)), Route::Session(of, session_command)) =
            (&self.group, &queue_key, command.route())
        {
            return self.attempt_in_batch(group, *session_id, actor, key, command, (of, session_command), now, run);
        }
        let _turn = match (&self.queues, &queue_key) {
            (Some(queues), Some(key)) => Some(queues.enter(key)),
            _ => None,
        };
        self.attempt_alone(actor, key.as_ref(), command, now, run)
    }

    /// The answer a keyed command already has: the recorded outcome, marked as a replay, if
    /// `actor` stored a request under `key`; `None` if the key is new. A key recorded for
    /// another command is [`BookingError::RequestKeyReused`].
    fn replay(
        &self,
        actor: &Actor,
        key: &RequestKey,
        command: &Command,
    ) -> Result<Option<Receipt<OutcomeValue>>, BookingError> {
        match self.repository.load_request(actor, key)? {
            Some(record) if record.command != *command => {
                Err(BookingError::RequestKeyReused { key: key.as_str().to_owned() })
            }
            Some(record) => Ok(Some(receipt(record.outcome, true))),
            None => Ok(None),
        }
    }

    /// Decides and commits `command` on its own (its turn taken, if queued), deciding again
    /// after each lost race, up to the engine's maximum attempts; `run` says what happened on
    /// the way.
    fn attempt_alone(
        &self,
        actor: Actor,
        key: Option<&RequestKey>,
        command: &Command,
        now: Option<DateTime<Utc>>,
        run: &mut Run,
    ) -> Result<Receipt<OutcomeValue>, BookingError> {
        let replay = |key: &RequestKey| self.replay(&actor, key, command);
        for attempt in 1..=self.max_attempts {
            run.attempts = attempt;
            if let Some(key) = key
                && let Some(replayed) = replay(key)?
            {
                return Ok(replayed);
            }
            let now = now.unwrap_or_else(|| self.clock.now());
            let ctx = DecisionContext { actor, now, fresh_id: self.ids.next_uuid() };
            let (outcome, writes, finished_bookings) = match self.decide(&ctx, command) {
                Ok(decided) => decided,
                Err(refusal) => {
                    // A retry racing its own first run may have looked the key up just before that
                    // run committed, and loaded the state just after: the refusal is then caused
                    // by the run itself, and the run's outcome is the answer.
                    if let Some(key) = key
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
            let request = key.cloned().map(|key| RequestRecord {
                actor,
                key,
                command: command.clone(),
                outcome: outcome.clone(),
                recorded_at: ctx.now,
            });
            let commit = Commit { writes, request, events: outcome.events.clone(), finished_bookings };
            let started = run.store_time.map(|_| Instant::now());
            let committed = self.repository.commit(commit);
            if let (Some(total), Some(started)) = (run.store_time.as_mut(), started) {
                *total += started.elapsed();
            }
            match committed {
                Ok(()) => {
                    run.committed = true;
                    return Ok(receipt(outcome, false));
                }
                Err(StoreError::Conflict(_) | StoreError::DuplicateRequest) => {
                    run.conflicts += 1;
                    tracing::debug!(target: "booking_core::engine", attempt, "store conflict, deciding again");
                    back_off(attempt);
                }
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

    /// Loads what `command` needs and decides it, without storing anything: the outcome, the
    /// writes, and the seat bookings the writes move to the booking history.
    fn decide(&self, ctx: &DecisionContext, command: &Command) -> Result<Decided, BookingError> {
        match command.route() {
            Route::CreateSession(session) => {
                // The session holds its time in the teacher's calendar, in the same commit:
                // 1:1 lessons cannot be booked over it, nor it over them.
                let calendar = self.load_calendar(session.teacher_id)?;
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
}

/// What happened while a command ran, for the counters and the `command finished` event.
#[derive(Clone, Debug, Default)]
struct Run {
    /// Attempts made (1 unless a commit lost a race).
    attempts: u32,
    /// Commits that lost a race.
    conflicts: u32,
    /// Whether a commit succeeded.
    committed: bool,
    /// Time spent in the store's commit, when a subscriber wants it.
    store_time: Option<Duration>,
    /// How many commits went to the store with its own, itself included (0 when it was not
    /// committed by group commit).
    batch: usize,
}

/// A decided command: its outcome, its writes, and the seat bookings it finished.
type Decided = (Outcome, Vec<Write>, Vec<SeatBooking>);

/// The conditional write of `calendar` with `events` applied.
fn calendar_write(calendar: &Calendar, events: &[Event]) -> Write {
    let mut next = calendar.clone();
    for event in events {
        next.apply(event);
    }
    next.version = calendar.version + 1;
    Write::Calendar { expected_version: calendar.version, calendar: Arc::new(next) }
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
