//! The engine object: a facade over `booking_core::Engine` that converts arguments, calls the
//! core, and converts the result. It decides nothing itself.

use crate::error::{BookingError, guard};
use crate::stores::{DocumentStore, InMemoryStore, SqliteStore, foreign_repository};
use crate::types::{MobileReceipt, OfferSweep, request_in};
use booking_core::availability::{AvailabilitySlot, TimeOff};
use booking_core::lesson::{BookableOccurrence, Lesson, OccurrenceQuery};
use booking_core::read::SessionSummary;
use booking_core::uniffi_support::Timestamp;
use booking_core::{
    Actor, BookingAvailability, BookingId, CourseId, GroupSession, Repository, SchedulingRules, SeatBooking, SessionId,
    SlotId, UserId,
};
use std::sync::Arc;
use std::time::Duration;

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
    pub fn new(now: Timestamp) -> Result<Arc<Self>, BookingError> {
        Ok(Arc::new(Self { inner: Arc::new(booking_core::ManualClock::new(now)) }))
    }

    /// The instant it shows.
    pub fn now(&self) -> Timestamp {
        use booking_core::Clock;
        self.inner.now()
    }

    /// Moves it to `now` (backwards too).
    pub fn set(&self, now: Timestamp) -> Result<(), BookingError> {
        self.inner.set(now);
        Ok(())
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
        let lesson = lesson.clone();
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
    group_commit: bool,
}

impl Engine {
    fn over(repository: Arc<dyn Repository>, options: Options) -> Arc<Self> {
        let Options { clock, max_attempts, meeting_links, ical, group_commit } = options;
        let mut engine = booking_core::Engine::new(repository).with_group_commit(group_commit);
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
    /// `ical`, the `UID` domain and `PRODID` of the calendar exports; `group_commit`, whether
    /// the seat commands that arrive for a session while a commit on it is in flight go to the
    /// store together (default on; see `booking_core::Engine::with_group_commit`).
    #[uniffi::constructor(default(
        clock = None,
        max_attempts = None,
        meeting_links = None,
        ical = None,
        group_commit = true
    ))]
    pub fn in_memory(
        store: Arc<InMemoryStore>,
        clock: Option<Arc<ManualClock>>,
        max_attempts: Option<u32>,
        meeting_links: Option<Arc<dyn MeetingLinkGenerator>>,
        ical: Option<Arc<IcalOptions>>,
        group_commit: bool,
    ) -> Arc<Self> {
        Self::over(store.repository(), Options { clock, max_attempts, meeting_links, ical, group_commit })
    }

    /// An engine over a SQLite store (options as for [`Engine::in_memory`]).
    #[uniffi::constructor(default(
        clock = None,
        max_attempts = None,
        meeting_links = None,
        ical = None,
        group_commit = true
    ))]
    pub fn sqlite(
        store: Arc<SqliteStore>,
        clock: Option<Arc<ManualClock>>,
        max_attempts: Option<u32>,
        meeting_links: Option<Arc<dyn MeetingLinkGenerator>>,
        ical: Option<Arc<IcalOptions>>,
        group_commit: bool,
    ) -> Arc<Self> {
        Self::over(store.repository(), Options { clock, max_attempts, meeting_links, ical, group_commit })
    }

    /// An engine over a store written in Kotlin or Swift (see [`DocumentStore`]; options as
    /// for [`Engine::in_memory`]). With group commit on, the store's methods for a batch run on
    /// the thread of the command leading it: a store that must be called on its caller's own
    /// thread (a thread-confined database handle) needs `group_commit = false`.
    #[uniffi::constructor(default(
        clock = None,
        max_attempts = None,
        meeting_links = None,
        ical = None,
        group_commit = true
    ))]
    pub fn with_document_store(
        store: Arc<dyn DocumentStore>,
        clock: Option<Arc<ManualClock>>,
        max_attempts: Option<u32>,
        meeting_links: Option<Arc<dyn MeetingLinkGenerator>>,
        ical: Option<Arc<IcalOptions>>,
        group_commit: bool,
    ) -> Arc<Self> {
        Self::over(foreign_repository(store), Options { clock, max_attempts, meeting_links, ical, group_commit })
    }

    /// The engine clock's current instant.
    pub fn now(&self) -> Timestamp {
        self.inner.now()
    }

    /// How many commands this engine ran since it was built and how they ended (committed,
    /// unchanged, replayed, refused, contention, store errors), with the store's lost races,
    /// the retries they caused, and the batches group commit sent (`batches`,
    /// `batchedCommits`). A host samples it (a metrics endpoint, a periodic log line) and
    /// takes differences between samples.
    pub fn counters(&self) -> booking_core::EngineCounters {
        self.inner.counters()
    }

    /// Expires every seat offer that ran out by `now` and offers the seats to the next in line
    /// (never after a session's start). The engine runs no threads: the host calls this
    /// periodically (every minute, say) with the current time. Each due session is processed
    /// on its own: the result holds the events of every session processed and the sessions that
    /// failed, each with its error's code and detail (a failed session is unchanged and tried
    /// again by the next call). Throws only when the store cannot say which sessions are due.
    /// Any other command on a session also expires its due offers first, so a late call never
    /// lets an expired offer be accepted.
    pub fn process_expired_offers(&self, now: Timestamp) -> Result<OfferSweep, BookingError> {
        guard(|| Ok(self.inner.process_expired_offers(now)?.into()))
    }

    /// Operator action: deletes the request records recorded before `recorded_before`; returns
    /// how many. A retry with a deleted key is decided afresh, as a new command. Not a
    /// command: it checks no actor, so never run it on a user's behalf.
    pub fn prune_requests(&self, recorded_before: Timestamp) -> Result<u64, BookingError> {
        guard(|| self.inner.prune_requests(recorded_before))
    }

    /// The session with this id, whole (every booking with its student): for the session's
    /// teacher, an admin or the system; anyone else gets `NotAuthorized` and reads
    /// [`session_summary`](Self::session_summary).
    pub fn session(&self, actor: Actor, session_id: SessionId) -> Result<GroupSession, BookingError> {
        guard(|| Ok(Arc::unwrap_or_clone(self.inner.session(actor, session_id)?)))
    }

    /// The session as anyone may see it before booking: what it is, its seat counts and
    /// whether it takes bookings now, no student's ids but the asking student's own booking
    /// (the core's `Engine::session_summary`).
    pub fn session_summary(&self, actor: Actor, session_id: SessionId) -> Result<SessionSummary, BookingError> {
        guard(|| self.inner.session_summary(actor, session_id))
    }

    /// Whether the session takes bookings now, by the engine's clock (the core's
    /// `GroupSession::availability(now)`; any actor may ask).
    pub fn booking_availability(
        &self,
        actor: Actor,
        session_id: SessionId,
    ) -> Result<BookingAvailability, BookingError> {
        guard(|| Ok(self.inner.session_summary(actor, session_id)?.availability))
    }

    /// The seat booking with this id, for its student, the session's teacher, an admin or the
    /// system.
    pub fn seat_booking(&self, actor: Actor, booking_id: BookingId) -> Result<SeatBooking, BookingError> {
        guard(|| self.inner.seat_booking(actor, booking_id))
    }

    /// The slot with this id.
    pub fn slot(&self, slot_id: SlotId) -> Result<AvailabilitySlot, BookingError> {
        guard(|| self.inner.slot(slot_id))
    }

    /// Every slot of a teacher (active or not), in publication order; for the teacher, an
    /// admin or the system (students find free times with `list_occurrences`).
    pub fn slots(&self, actor: Actor, teacher_id: UserId) -> Result<Vec<AvailabilitySlot>, BookingError> {
        guard(|| Ok(self.inner.calendar(actor, teacher_id)?.slots.clone()))
    }

    /// The occurrences of a teacher's slots that can be booked now, in the query's window,
    /// with wall times in the teacher's and the viewer's zone.
    pub fn list_occurrences(&self, query: OccurrenceQuery) -> Result<Vec<BookableOccurrence>, BookingError> {
        guard(|| self.inner.list_occurrences(&query))
    }

    /// The rules in force for a teacher's bookings in `course_id` (`None`: outside any course):
    /// their rules for the course over their default rules, field by field (the core's
    /// `Calendar::rules_for_course`). A slot's own rules win over these. For the teacher, an
    /// admin or the system.
    pub fn rules_for_course(
        &self,
        actor: Actor,
        teacher_id: UserId,
        course_id: Option<CourseId>,
    ) -> Result<SchedulingRules, BookingError> {
        guard(|| Ok(self.inner.calendar(actor, teacher_id)?.rules_for_course(course_id)))
    }

    /// A teacher's time off, by first day; for the teacher, an admin or the system.
    pub fn time_off(&self, actor: Actor, teacher_id: UserId) -> Result<Vec<TimeOff>, BookingError> {
        guard(|| Ok(self.inner.calendar(actor, teacher_id)?.time_off.clone()))
    }

    // ----- iCalendar export (RFC 5545) ----------------------------------------------------------

    /// A group session as an iCalendar file (one `VEVENT`, UID `session-<id>@booking-engine`,
    /// `SEQUENCE` growing with every change, `STATUS` confirmed or cancelled); `DTSTAMP` is the
    /// engine clock's now (`booking_core::ical`). For whoever may read the whole session.
    pub fn session_ical(&self, actor: Actor, session_id: SessionId) -> Result<String, BookingError> {
        guard(|| self.inner.session_ical(actor, session_id))
    }

    /// One booking as an iCalendar file: a seat booking as its student sees the session (UID
    /// `booking-<id>@booking-engine`), or a 1:1 lesson (the same UID form, kept when the lesson
    /// is rescheduled, with a higher `SEQUENCE`, so calendar apps move the event). For the
    /// booking's student, its teacher, an admin or the system.
    pub fn booking_ical(&self, actor: Actor, booking_id: BookingId) -> Result<String, BookingError> {
        guard(|| self.inner.booking_ical(actor, booking_id))
    }

    /// Several 1:1 lessons in one iCalendar file, one `VEVENT` each (a series: pass its lesson
    /// ids); duplicates are exported once, and an empty list is `invalid_input`. Each lesson
    /// must be one `actor` may read.
    pub fn lessons_ical(&self, actor: Actor, booking_ids: Vec<BookingId>) -> Result<String, BookingError> {
        guard(|| self.inner.lessons_ical(actor, &booking_ids))
    }

    /// The lesson with this id, for its student, its teacher, an admin or the system.
    pub fn lesson(&self, actor: Actor, booking_id: BookingId) -> Result<Lesson, BookingError> {
        guard(|| Ok(Arc::unwrap_or_clone(self.inner.lesson(actor, booking_id)?)))
    }

    /// The active (pending or confirmed) lessons of a teacher or student, by start. (A
    /// calendar keeps a lesson's hold for a few days after it ends, for the per-day and
    /// per-week limits; lessons marked attended or no-show are left out here.) For that
    /// person, an admin or the system.
    pub fn active_lessons(&self, actor: Actor, user_id: UserId) -> Result<Vec<Lesson>, BookingError> {
        guard(|| {
            let calendar = self.inner.calendar(actor, user_id)?;
            let mut lessons = Vec::with_capacity(calendar.holds.len());
            for hold in &calendar.holds {
                let lesson = self.inner.lesson(actor, hold.booking_id)?;
                if lesson.status.is_active() {
                    lessons.push(Arc::unwrap_or_clone(lesson));
                }
            }
            lessons.sort_by_key(|l| l.starts_at);
            Ok(lessons)
        })
    }
}

/// The engine's commands, from the core's command table
/// ([`booking_core::typed_commands!`]): each takes the acting [`Actor`] first and an optional
/// idempotency `key` last (default `null`/`nil`; so does every argument the table gives a
/// default), calls the core engine's method of the same name and converts its receipt into the
/// record for its value ([`MobileReceipt`]).
macro_rules! commands {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($arg:ident: $ty:ty $(= $default:expr)?),* $(,)?) -> $value:ty = $variant:ident { $($init:tt)* };
    )*) => {
        #[uniffi::export]
        impl Engine {$(
            $(#[$doc])*
            #[uniffi::method(default($($($arg = $default,)?)* key = None))]
            pub fn $name(
                &self,
                actor: Actor,
                $($arg: $ty,)*
                key: Option<String>,
            ) -> Result<<$value as MobileReceipt>::Receipt, BookingError> {
                guard(|| Ok(self.inner.$name(request_in(actor, key), $($arg),*)?.into()))
            }
        )*}
    };
}

booking_core::typed_commands!(commands);
