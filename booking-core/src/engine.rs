//! The engine: loads, decides, commits, retries, and replays idempotent requests.

use crate::Event;
use crate::{
    Actor, BookingError, BookingId, Clock, GroupSession, IdGenerator, NewGroupSession, RandomIds, SeatBooking,
    SessionId, SystemClock, UserId,
    group::{self, DecisionContext, SessionCommand},
    repository::{
        BookingLocation, Commit, Outcome, OutcomeValue, Repository, RequestKey, RequestRecord, StoreError, Write,
    },
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// Every command the engine runs, as data: what [`Engine::execute`] takes, and what a request
/// record keeps so a reused key is recognised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Command {
    /// Create a group session.
    CreateSession {
        /// What to create.
        session: NewGroupSession,
    },
    /// Book a seat (or a waitlist place) for a student.
    BookSeat {
        /// The session.
        session_id: SessionId,
        /// The student.
        student_id: UserId,
    },
    /// Cancel a booking.
    CancelBooking {
        /// The booking.
        booking_id: BookingId,
    },
    /// Set a session's number of seats.
    ChangeCapacity {
        /// The session.
        session_id: SessionId,
        /// The new number of seats.
        capacity: u32,
    },
    /// Turn a session's waitlist on or off.
    SetWaitlist {
        /// The session.
        session_id: SessionId,
        /// On or off.
        enabled: bool,
    },
    /// Cancel a session and all its bookings.
    CancelSession {
        /// The session.
        session_id: SessionId,
    },
    /// Mark a booking attended (`true`) or no-show (`false`).
    MarkAttendance {
        /// The booking.
        booking_id: BookingId,
        /// Attended or not.
        attended: bool,
    },
}

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

impl<T> Receipt<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Receipt<U> {
        Receipt { value: f(self.value), events: self.events, version: self.version, replayed: self.replayed }
    }
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
///     meeting_link: "https://meet.example.com/a1".into(), capacity: 1, waitlist_enabled: true,
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
    max_attempts: u32,
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
        Self { repository, clock: Arc::new(SystemClock), ids: Arc::new(RandomIds), max_attempts: DEFAULT_MAX_ATTEMPTS }
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

    /// The seat booking with this id.
    pub fn seat_booking(&self, id: BookingId) -> Result<SeatBooking, BookingError> {
        let (session, _) = self.session_of_booking(id)?;
        session.booking(id).cloned().ok_or(BookingError::BookingNotFound { id })
    }

    /// Creates a group session; see [`group::create`] for the checks.
    pub fn create_session(
        &self,
        request: impl Into<Request>,
        session: NewGroupSession,
    ) -> Result<Receipt<Arc<GroupSession>>, BookingError> {
        self.execute(request, Command::CreateSession { session }).map(session_value)
    }

    /// Books a seat for `student_id`: confirmed if a seat is free, waitlisted if the session is
    /// full and its waitlist is on, else [`BookingError::SessionFull`].
    pub fn book_seat(
        &self,
        request: impl Into<Request>,
        session_id: SessionId,
        student_id: UserId,
    ) -> Result<Receipt<SeatBooking>, BookingError> {
        self.execute(request, Command::BookSeat { session_id, student_id }).map(booking_value)
    }

    /// Cancels a confirmed or waitlisted booking; a freed seat goes to the head of the waitlist
    /// in the same atomic step.
    pub fn cancel_booking(
        &self,
        request: impl Into<Request>,
        booking_id: BookingId,
    ) -> Result<Receipt<SeatBooking>, BookingError> {
        self.execute(request, Command::CancelBooking { booking_id }).map(booking_value)
    }

    /// Sets the number of seats; waitlisted students are promoted into added seats, in order.
    pub fn change_capacity(
        &self,
        request: impl Into<Request>,
        session_id: SessionId,
        capacity: u32,
    ) -> Result<Receipt<Arc<GroupSession>>, BookingError> {
        self.execute(request, Command::ChangeCapacity { session_id, capacity }).map(session_value)
    }

    /// Turns the waitlist on or off (see the [group rules](crate::group)).
    pub fn set_waitlist(
        &self,
        request: impl Into<Request>,
        session_id: SessionId,
        enabled: bool,
    ) -> Result<Receipt<Arc<GroupSession>>, BookingError> {
        self.execute(request, Command::SetWaitlist { session_id, enabled }).map(session_value)
    }

    /// Cancels the session and every active booking in it (one event each).
    pub fn cancel_session(
        &self,
        request: impl Into<Request>,
        session_id: SessionId,
    ) -> Result<Receipt<Arc<GroupSession>>, BookingError> {
        self.execute(request, Command::CancelSession { session_id }).map(session_value)
    }

    /// Marks a confirmed booking attended or no-show, from the session's start on.
    pub fn mark_attendance(
        &self,
        request: impl Into<Request>,
        booking_id: BookingId,
        attended: bool,
    ) -> Result<Receipt<SeatBooking>, BookingError> {
        self.execute(request, Command::MarkAttendance { booking_id, attended }).map(booking_value)
    }

    /// Runs any command: the single entry point the typed methods and the bindings go through.
    ///
    /// With a request key, a command that already succeeded under the same actor and key is not
    /// run again: its recorded outcome is returned with `replayed: true`. A key reused for a
    /// different command is refused with [`BookingError::RequestKeyReused`]. Refused commands
    /// record nothing, so retrying one decides it afresh.
    pub fn execute(
        &self,
        request: impl Into<Request>,
        command: Command,
    ) -> Result<Receipt<OutcomeValue>, BookingError> {
        let Request { actor, key } = request.into();
        let key = key.map(RequestKey::new).transpose()?;
        for attempt in 1..=self.max_attempts {
            if let Some(key) = &key
                && let Some(record) = self.repository.load_request(&actor, key)?
            {
                if record.command != command {
                    return Err(BookingError::RequestKeyReused { key: key.as_str().to_owned() });
                }
                return Ok(receipt(record.outcome, true));
            }
            let ctx = DecisionContext { actor, now: self.clock.now(), fresh_id: self.ids.next_uuid() };
            let (outcome, writes) = self.decide(&ctx, &command)?;
            if outcome.events.is_empty() {
                // Nothing to change (for instance the capacity it already has): nothing to store.
                return Ok(receipt(outcome, false));
            }
            let request = key.clone().map(|key| RequestRecord {
                actor,
                key,
                command: command.clone(),
                outcome: outcome.clone(),
                recorded_at: ctx.now,
            });
            match self.repository.commit(Commit { writes, request, events: outcome.events.clone() }) {
                Ok(()) => return Ok(receipt(outcome, false)),
                Err(StoreError::Conflict(_) | StoreError::DuplicateRequest) => back_off(attempt),
                Err(e) => return Err(e.into()),
            }
        }
        Err(BookingError::Contention { attempts: self.max_attempts })
    }

    fn session_of_booking(&self, id: BookingId) -> Result<(Arc<GroupSession>, SessionId), BookingError> {
        match self.repository.locate_booking(id)? {
            Some(BookingLocation::Session(session_id)) => Ok((self.session(session_id)?, session_id)),
            None => Err(BookingError::BookingNotFound { id }),
        }
    }

    /// Loads what `command` needs and decides it, without storing anything.
    fn decide(&self, ctx: &DecisionContext, command: &Command) -> Result<(Outcome, Vec<Write>), BookingError> {
        let (session, session_command) = match *command {
            Command::CreateSession { ref session } => {
                let (session, events) = group::create(ctx, session)?;
                let session = Arc::new(session);
                let write = Write::Session { expected_version: 0, session: Arc::clone(&session) };
                let outcome = Outcome { value: OutcomeValue::Session { session }, events, version: 1 };
                return Ok((outcome, vec![write]));
            }
            Command::BookSeat { session_id, student_id } => {
                (self.session(session_id)?, SessionCommand::BookSeat { student_id })
            }
            Command::CancelBooking { booking_id } => {
                (self.session_of_booking(booking_id)?.0, SessionCommand::CancelBooking { booking_id })
            }
            Command::ChangeCapacity { session_id, capacity } => {
                (self.session(session_id)?, SessionCommand::ChangeCapacity { capacity })
            }
            Command::SetWaitlist { session_id, enabled } => {
                (self.session(session_id)?, SessionCommand::SetWaitlist { enabled })
            }
            Command::CancelSession { session_id } => (self.session(session_id)?, SessionCommand::CancelSession),
            Command::MarkAttendance { booking_id, attended } => {
                (self.session_of_booking(booking_id)?.0, SessionCommand::MarkAttendance { booking_id, attended })
            }
        };
        let (mut next, events) = group::decide(&session, ctx, &session_command)?;
        let changed = !events.is_empty();
        if changed {
            next.version = session.version + 1;
        }
        let booking_id = match session_command {
            SessionCommand::BookSeat { .. } => Some(BookingId(ctx.fresh_id)),
            SessionCommand::CancelBooking { booking_id } | SessionCommand::MarkAttendance { booking_id, .. } => {
                Some(booking_id)
            }
            _ => None,
        };
        let version = next.version;
        let next = Arc::new(next);
        let value = match booking_id {
            Some(id) => OutcomeValue::SeatBooking {
                booking: next.booking(id).cloned().ok_or(BookingError::BookingNotFound { id })?,
            },
            None => OutcomeValue::Session { session: Arc::clone(&next) },
        };
        let writes = if changed {
            vec![Write::Session { expected_version: session.version, session: next }]
        } else {
            Vec::new()
        };
        Ok((Outcome { value, events, version }, writes))
    }
}

fn receipt(outcome: Outcome, replayed: bool) -> Receipt<OutcomeValue> {
    Receipt { value: outcome.value, events: outcome.events, version: outcome.version, replayed }
}

fn session_value(receipt: Receipt<OutcomeValue>) -> Receipt<Arc<GroupSession>> {
    receipt.map(|value| match value {
        OutcomeValue::Session { session } => session,
        OutcomeValue::SeatBooking { .. } => unreachable!("session commands return sessions"),
    })
}

fn booking_value(receipt: Receipt<OutcomeValue>) -> Receipt<SeatBooking> {
    receipt.map(|value| match value {
        OutcomeValue::SeatBooking { booking } => booking,
        OutcomeValue::Session { .. } => unreachable!("booking commands return bookings"),
    })
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
