//! `booking.Engine`: the core's [`Engine`] over any store, with the GIL released while it works.

use crate::convert::{
    self, Count, FromArg, count, enum_value, flags, instant, opt_count, opt_text, opt_uuid, restate, text, uuid_of,
    zone_name,
};
use crate::errors::{Error, Result, guarded, invalid};
use crate::objects::{
    PyAvailabilitySlot, PyBookableOccurrence, PyCalendar, PyGroupSession, PyLesson, PyOneTimeSlot, PyOutboxEntry,
    PyPage, PyReceipt, PyRoster, PySchedulingRules, PySeatBooking, PySessionSummary, PyWaitlistMode, PyWeeklySlot,
    ReceiptValue,
};
use booking_core::{
    BookingError, BookingId, CourseId, Engine, ManualClock, NewGroupSession, Repository, Request, SchedulingRules,
    SessionId, SlotId, UserId, WaitlistMode,
    availability::{SlotRecurrence, TimeOffSpec},
    lesson::{Lesson, MeetingLinkGenerator, OccurrenceQuery, SeriesEnd, SeriesMode, SeriesRequest, SlotSpec},
    read::{AgendaStatus, MAX_PAGE_SIZE, PageRequest, PageToken},
};
use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::PyList;
use std::sync::Arc;

/// A clock that only moves when told to, for tests and replays: `ManualClock(now)`.
#[pyclass(frozen, module = "booking_engine._booking", name = "ManualClock")]
pub(crate) struct PyManualClock(Arc<ManualClock>);

#[pymethods]
impl PyManualClock {
    #[new]
    fn new(now: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self(Arc::new(ManualClock::new(instant("now", now)?))))
    }
    /// The clock's instant.
    fn now(&self) -> DateTime<Utc> {
        booking_core::Clock::now(&*self.0)
    }
    /// Moves the clock to `now` (backwards too).
    fn set(&self, now: &Bound<'_, PyAny>) -> Result<()> {
        self.0.set(instant("now", now)?);
        Ok(())
    }
    /// Moves the clock forward by a `datetime.timedelta` (backwards if negative). A move past
    /// the years 1 to 9999 is refused (`InvalidInputError`) and leaves the clock as it was.
    fn advance(&self, py: Python<'_>, delta: &Bound<'_, PyAny>) -> Result<()> {
        let delta = convert::duration("delta", delta)?;
        let clock = Arc::clone(&self.0);
        guarded(py, move || {
            let now = booking_core::Clock::now(&*clock);
            // Python's datetime ends at year 9999 (and so does every instant Python can read back).
            match now.checked_add_signed(delta).filter(|t| (1..=9999).contains(&chrono::Datelike::year(t))) {
                Some(_) => {
                    clock.advance(delta);
                    Ok(())
                }
                None => Err(invalid("delta", format!("moves the clock ({now}) past the years 1 to 9999, by {delta}"))),
            }
        })
    }
    fn __repr__(&self) -> String {
        format!("ManualClock({})", booking_core::Clock::now(&*self.0).to_rfc3339())
    }
}

/// A Python callable producing meeting links for lessons confirmed without one.
struct PyLinks(Py<PyAny>);

impl MeetingLinkGenerator for PyLinks {
    fn meeting_link(&self, lesson: &Lesson) -> Option<String> {
        Python::attach(|py| {
            let lesson = PyLesson(Arc::new(lesson.clone()));
            match self.0.bind(py).call1((lesson,)).and_then(|link| link.extract::<Option<String>>()) {
                Ok(link) => link,
                Err(e) => {
                    // The trait has no error path: report it like an exception in a finalizer,
                    // and leave the link unset.
                    e.write_unraisable(py, Some(self.0.bind(py)));
                    None
                }
            }
        })
    }
}

/// The booking engine over a store. Share one engine between threads: every call releases
/// the GIL while the engine and a Rust store work. `ical_uid_domain` and `ical_prodid` set the
/// `UID` domain and `PRODID` of the calendar exports (checked: `InvalidInputError`).
#[pyclass(frozen, module = "booking_engine._booking", name = "Engine")]
pub(crate) struct PyEngine {
    engine: Engine<Arc<dyn Repository>>,
    store: Py<PyAny>,
}

/// The request of a command: its actor and optional idempotency key.
fn request(actor: &Bound<'_, PyAny>, key: Option<&Bound<'_, PyAny>>) -> Result<Request> {
    Ok(Request { actor: convert::actor(actor)?, key: opt_text("key", key)? })
}

/// Optional `SchedulingRules` (`None`: none set at this level).
fn rules_of(field: &str, value: Option<&Bound<'_, PyAny>>) -> Result<SchedulingRules> {
    match value.filter(|v| !v.is_none()) {
        None => Ok(SchedulingRules::default()),
        Some(v) => Ok(convert::instance::<PySchedulingRules>(field, v, "a SchedulingRules")?.get().0),
    }
}

/// An optional `WaitlistMode` (`None`: promote), with its `hold_minutes` as given (for
/// [`Count::restate`]).
fn waitlist_mode_of(value: Option<&Bound<'_, PyAny>>) -> Result<(WaitlistMode, Option<Count>)> {
    match value.filter(|v| !v.is_none()) {
        None => Ok((WaitlistMode::Promote, None)),
        Some(v) => {
            let m = convert::instance::<PyWaitlistMode>(
                "waitlist_mode",
                v,
                "a WaitlistMode (WaitlistMode.promote() or WaitlistMode.offer(...))",
            )?;
            Ok((m.get().core_mode(), m.get().out_of_type_hold().cloned()))
        }
    }
}

/// A page size: `default` when not given, else an int from 1 to the core's
/// [`MAX_PAGE_SIZE`] (checked here, to show the value given in the refusal).
fn page_limit(limit: Option<&Bound<'_, PyAny>>, default: u32) -> Result<u32> {
    match limit.filter(|l| !l.is_none()) {
        None => Ok(default),
        Some(l) => convert::int_in("limit", l, 1..=MAX_PAGE_SIZE, ""),
    }
}

/// The page a query asks for: `limit` (default 50) and the token `after`.
fn page_request(limit: Option<&Bound<'_, PyAny>>, after: Option<&Bound<'_, PyAny>>) -> Result<PageRequest> {
    let limit = page_limit(limit, 50)?;
    let after = match opt_text("after", after)? {
        // A malformed token is refused as the core names it everywhere: `page_token`.
        Some(token) => Some(PageToken::parse(&token).map_err(Error::from)?),
        None => None,
    };
    Ok(PageRequest { limit, after })
}

/// Booking ids from any iterable of ids.
fn booking_ids(field: &str, values: &Bound<'_, PyAny>) -> Result<Vec<BookingId>> {
    convert::each(field, values, "booking ids", |item| Ok(BookingId(uuid_of(field, item)?)))
}

fn slot_spec(
    recurrence: &Bound<'_, PyAny>,
    time_zone: &Bound<'_, PyAny>,
    course_id: Option<&Bound<'_, PyAny>>,
    active: bool,
    rules: Option<&Bound<'_, PyAny>>,
) -> Result<SlotSpec> {
    let recurrence = if let Ok(w) = recurrence.cast::<PyWeeklySlot>() {
        let w = w.get();
        SlotRecurrence::Weekly {
            weekday: w.weekday,
            start_time: w.start_time,
            end_time: w.end_time,
            valid_from: w.valid_from,
            valid_until: w.valid_until,
        }
    } else if let Ok(o) = recurrence.cast::<PyOneTimeSlot>() {
        SlotRecurrence::OneTime { start: o.get().start, end: o.get().end }
    } else {
        return Err(invalid(
            "recurrence",
            format!("expected a WeeklySlot or a OneTimeSlot, got {}", convert::got(recurrence)),
        ));
    };
    Ok(SlotSpec {
        course_id: opt_uuid("course_id", course_id)?.map(CourseId),
        time_zone: zone_name("time_zone", time_zone)?,
        recurrence,
        active,
        rules: rules_of("rules", rules)?,
    })
}

impl PyEngine {
    /// Runs `f` on the engine with the GIL released; see [`guarded`].
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Engine<Arc<dyn Repository>>) -> std::result::Result<T, BookingError> + Send,
    ) -> Result<T> {
        let engine = &self.engine;
        guarded(py, move || f(engine).map_err(Error::from))
    }

    /// [`run`](Self::run) for a command with integer arguments: a refusal of one the caller
    /// gave out of the core's type shows the caller's value ([`Count::restate`]).
    fn run_counting<T: Send>(
        &self,
        py: Python<'_>,
        counts: &[&Count],
        f: impl FnOnce(&Engine<Arc<dyn Repository>>) -> std::result::Result<T, BookingError> + Send,
    ) -> Result<T> {
        self.run(py, f).map_err(|e| restate(e, counts))
    }
}

/// Whether `Engine`'s Python method for a command of the core's table is written by hand
/// below, because its Python shape differs from the table's (keyword arguments, defaults, a
/// value object built from keywords): expands to the first group if so, else to the second.
macro_rules! hand_written {
    (create_session $yes:tt $no:tt) => { hand_written! { @ $yes } };
    (book_seat $yes:tt $no:tt) => { hand_written! { @ $yes } };
    (book_seats $yes:tt $no:tt) => { hand_written! { @ $yes } };
    (change_capacity $yes:tt $no:tt) => { hand_written! { @ $yes } };
    (publish_slot $yes:tt $no:tt) => { hand_written! { @ $yes } };
    (update_slot $yes:tt $no:tt) => { hand_written! { @ $yes } };
    (book_series $yes:tt $no:tt) => { hand_written! { @ $yes } };
    (approve_lesson $yes:tt $no:tt) => { hand_written! { @ $yes } };
    (decline_lesson $yes:tt $no:tt) => { hand_written! { @ $yes } };
    (set_scheduling_rules $yes:tt $no:tt) => { hand_written! { @ $yes } };
    (add_time_off $yes:tt $no:tt) => { hand_written! { @ $yes } };
    ($name:ident $yes:tt $no:tt) => { hand_written! { @ $no } };
    (@ { $($then:tt)* }) => { $($then)* };
}

/// `Engine`'s `#[pymethods]` (pyo3 takes one block per class): the core's typed commands
/// ([`booking_core::typed_commands!`]) that are not [`hand_written!`], each
/// `fn name(argument: Type, ...) -> Value` made into `name(actor, argument, ..., *, key=None)`,
/// which converts each argument by its type ([`FromArg`]: the argument's name is the field an
/// `InvalidInputError` names), then the request (`actor`, `key`), runs the core's
/// `Engine::name` with the GIL released and returns its receipt, its value wrapped by type
/// (`ReceiptValue::from`); then the hand-written methods. A command added to the core's table
/// thus reaches Python with nothing written here.
macro_rules! engine_methods {
    // Walk the table, keeping the commands made here.
    (@walk [$($kept:tt)*] $methods:tt) => {
        engine_methods! { @emit [$($kept)*] $methods }
    };
    (
        @walk [$($kept:tt)*] $methods:tt
        $(#[$doc:meta])* fn $name:ident $args:tt -> $value:ty = $variant:ident $init:tt;
        $($rest:tt)*
    ) => {
        hand_written! {
            $name
            { engine_methods! { @walk [$($kept)*] $methods $($rest)* } }
            { engine_methods! { @walk [$($kept)* { $(#[$doc])* fn $name $args -> $value }] $methods $($rest)* } }
        }
    };
    (
        @emit [$({
            $(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty $(= $default:expr)?),* $(,)?) -> $value:ty
        })*]
        { $($methods:tt)* }
    ) => {
        #[pymethods]
        impl PyEngine {
            $(
                $(#[$doc])*
                #[pyo3(signature = (actor, $($arg $(= $default)?),*, *, key = None))]
                fn $name(
                    &self,
                    py: Python<'_>,
                    actor: &Bound<'_, PyAny>,
                    $($arg: &Bound<'_, PyAny>,)*
                    key: Option<&Bound<'_, PyAny>>,
                ) -> Result<PyReceipt> {
                    $(let $arg = <$ty as FromArg>::from_arg(stringify!($arg), $arg)?;)*
                    let request = request(actor, key)?;
                    let r = self.run(py, move |e| e.$name(request, $($arg),*))?;
                    Ok(PyReceipt::new(r, ReceiptValue::from))
                }
            )*
            $($methods)*
        }
    };
}

// The hand-written methods, then the core's table.
booking_core::typed_commands!(engine_methods @walk [] {
    #[new]
    #[pyo3(signature = (store, *, clock = None, max_attempts = None, local_queueing = true, meeting_links = None,
        ical_uid_domain = None, ical_prodid = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        store: &Bound<'_, PyAny>,
        clock: Option<&Bound<'_, PyAny>>,
        max_attempts: Option<&Bound<'_, PyAny>>,
        #[pyo3(from_py_with = flags::local_queueing)] local_queueing: bool,
        meeting_links: Option<&Bound<'_, PyAny>>,
        ical_uid_domain: Option<&Bound<'_, PyAny>>,
        ical_prodid: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let repository = crate::stores::repository(store)?;
        let clock = match clock.filter(|c| !c.is_none()) {
            None => None,
            Some(c) => Some(Arc::clone(&convert::instance::<PyManualClock>("clock", c, "a ManualClock")?.get().0)),
        };
        // No engine rule bounds the attempts: any u32 (0 counts as 1).
        let max_attempts = match max_attempts.filter(|n| !n.is_none()) {
            None => None,
            Some(n) => Some(convert::int_in("max_attempts", n, 0..=u32::MAX, " (0 counts as 1)")?),
        };
        let links = match meeting_links.filter(|l| !l.is_none()) {
            Some(links) if !links.is_callable() => {
                let message = format!("expected a callable taking a Lesson, got {}", convert::got(links));
                return Err(invalid("meeting_links", message).into());
            }
            links => links,
        };
        let ical_uid_domain = opt_text("ical_uid_domain", ical_uid_domain)?;
        let ical_prodid = opt_text("ical_prodid", ical_prodid)?;
        // Group commit runs a batch's store calls on the thread of the command leading it, so a
        // Python store's exception would reach that command's caller, not the one whose commit
        // raised it: it stays off for a store written in Python (which commits a batch one
        // commit after another anyway, saving nothing), and on for the native stores.
        let mut engine = Engine::new(repository)
            .with_local_queueing(local_queueing)
            .with_group_commit(!crate::stores::is_python_store(store));
        if let Some(clock) = clock {
            engine = engine.with_clock(clock);
        }
        if let Some(n) = max_attempts {
            engine = engine.with_max_attempts(n);
        }
        if let Some(links) = links {
            engine = engine.with_meeting_links(PyLinks(links.clone().unbind()));
        }
        if ical_uid_domain.is_some() || ical_prodid.is_some() {
            let mut options = booking_core::ical::IcalOptions::default();
            if let Some(domain) = ical_uid_domain {
                options = options.uid_domain(domain);
            }
            if let Some(prodid) = ical_prodid {
                options = options.prodid(prodid);
            }
            engine = engine.with_ical_options(options.validated().map_err(Error::from)?);
        }
        Ok(Self { engine, store: store.clone().unbind() })
    }

    /// The store this engine runs on.
    #[getter]
    fn store(&self, py: Python<'_>) -> Py<PyAny> {
        self.store.clone_ref(py)
    }

    /// The engine clock's current instant.
    fn now(&self) -> DateTime<Utc> {
        self.engine.now()
    }

    /// How many commands this engine ran since it was built and how they ended.
    fn counters(&self) -> crate::observability::PyEngineCounters {
        crate::observability::PyEngineCounters(self.engine.counters())
    }

    // --- group sessions ---------------------------------------------------------------

    /// Creates a group session. `waitlist_mode` (a `WaitlistMode`, default promote) says how
    /// freed seats reach the waitlist; `rules` (a `SchedulingRules`: booking window,
    /// cancellation cut-off and seats per booking only) win over the teacher's rules for the
    /// session; the seats per booking is 1 when no level sets it.
    #[pyo3(signature = (actor, *, teacher_id, title, starts_at, time_zone, duration_minutes, meeting_link, capacity,
        waitlist_enabled = false, course_id = None, waitlist_mode = None, rules = None, key = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_session(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        teacher_id: &Bound<'_, PyAny>,
        title: &Bound<'_, PyAny>,
        starts_at: &Bound<'_, PyAny>,
        time_zone: &Bound<'_, PyAny>,
        duration_minutes: &Bound<'_, PyAny>,
        meeting_link: &Bound<'_, PyAny>,
        capacity: &Bound<'_, PyAny>,
        #[pyo3(from_py_with = flags::waitlist_enabled)] waitlist_enabled: bool,
        course_id: Option<&Bound<'_, PyAny>>,
        waitlist_mode: Option<&Bound<'_, PyAny>>,
        rules: Option<&Bound<'_, PyAny>>,
        key: Option<&Bound<'_, PyAny>>,
    ) -> Result<PyReceipt> {
        let (duration_minutes, capacity) = (count("duration_minutes", duration_minutes)?, count("capacity", capacity)?);
        let (waitlist_mode, hold_minutes) = waitlist_mode_of(waitlist_mode)?;
        let session = NewGroupSession {
            teacher_id: UserId(uuid_of("teacher_id", teacher_id)?),
            course_id: opt_uuid("course_id", course_id)?.map(CourseId),
            title: text("title", title)?,
            starts_at: instant("starts_at", starts_at)?,
            time_zone: zone_name("time_zone", time_zone)?,
            duration_minutes: duration_minutes.value,
            meeting_link: text("meeting_link", meeting_link)?,
            capacity: capacity.value,
            waitlist_enabled,
            waitlist_mode,
            rules: rules_of("rules", rules)?,
        };
        let request = request(actor, key)?;
        let counts: Vec<&Count> =
            [Some(&duration_minutes), Some(&capacity), hold_minutes.as_ref()].into_iter().flatten().collect();
        let r = self.run_counting(py, &counts, move |e| e.create_session(request, session))?;
        Ok(PyReceipt::new(r, ReceiptValue::Session))
    }

    /// Books `seats` seats (default 1; a parent booking for two children books 2) in one
    /// booking, all or nothing: confirmed if that many are free and nobody waits, waitlisted
    /// as one if the session is full and its waitlist is on, else `SessionFullError`. More
    /// seats than the session's seats per booking (1 unless the teacher set more):
    /// `LimitReachedError`; a session of a course the student is not enrolled in:
    /// `NotEnrolledError`.
    #[pyo3(signature = (actor, session_id, student_id, *, seats = None, key = None),
        text_signature = "($self, actor, session_id, student_id, *, seats=1, key=None)")]
    fn book_seat(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        session_id: &Bound<'_, PyAny>,
        student_id: &Bound<'_, PyAny>,
        seats: Option<&Bound<'_, PyAny>>,
        key: Option<&Bound<'_, PyAny>>,
    ) -> Result<PyReceipt> {
        let (s, st) = (SessionId(uuid_of("session_id", session_id)?), UserId(uuid_of("student_id", student_id)?));
        let seats = convert::count_or("seats", seats, 1)?;
        let request = request(actor, key)?;
        let n = seats.value;
        let r = self.run_counting(py, &[&seats], move |e| e.book_seats(request, s, st, n))?;
        Ok(PyReceipt::new(r, ReceiptValue::Seat))
    }

    /// Expires every seat offer that ran out by `now` (an aware datetime) and offers the seats
    /// to the next in line (never after a session's start), as the system. The engine runs no
    /// threads: call this periodically (every minute, say). Each due session is processed on
    /// its own: returns an `OfferSweep` with the events of every session processed and the
    /// sessions that failed, each with its error (not raised). Raises only when the store
    /// cannot say which sessions are due.
    fn process_expired_offers(&self, py: Python<'_>, now: &Bound<'_, PyAny>) -> Result<crate::objects::PyOfferSweep> {
        let now = instant("now", now)?;
        let sweep = self.run(py, move |e| e.process_expired_offers(now))?;
        Ok(crate::objects::PyOfferSweep(sweep))
    }

    /// Operator action: deletes the request records recorded before `recorded_before` (an
    /// aware datetime); returns how many. A retry with a deleted key is decided afresh. Not a
    /// command: it checks no actor, so never run it on a user's behalf.
    fn prune_requests(&self, py: Python<'_>, recorded_before: &Bound<'_, PyAny>) -> Result<u64> {
        let before = instant("recorded_before", recorded_before)?;
        self.run(py, move |e| e.prune_requests(before))
    }

    /// Sets the number of seats (waitlisted students are promoted into added seats).
    #[pyo3(signature = (actor, session_id, capacity, *, key = None))]
    fn change_capacity(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        session_id: &Bound<'_, PyAny>,
        capacity: &Bound<'_, PyAny>,
        key: Option<&Bound<'_, PyAny>>,
    ) -> Result<PyReceipt> {
        let (s, capacity) = (SessionId(uuid_of("session_id", session_id)?), count("capacity", capacity)?);
        let request = request(actor, key)?;
        let c = capacity.value;
        let r = self.run_counting(py, &[&capacity], move |e| e.change_capacity(request, s, c))?;
        Ok(PyReceipt::new(r, ReceiptValue::Session))
    }

    // --- availability and 1:1 lessons ---------------------------------------------------

    /// Publishes an availability slot (`WeeklySlot` or `OneTimeSlot`) for a teacher, with its
    /// own `rules` (a `SchedulingRules`, winning over the teacher's) if given.
    #[pyo3(signature = (actor, teacher_id, recurrence, *, time_zone, course_id = None, active = true, rules = None,
        key = None))]
    #[allow(clippy::too_many_arguments)]
    fn publish_slot(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        teacher_id: &Bound<'_, PyAny>,
        recurrence: &Bound<'_, PyAny>,
        time_zone: &Bound<'_, PyAny>,
        course_id: Option<&Bound<'_, PyAny>>,
        #[pyo3(from_py_with = flags::active)] active: bool,
        rules: Option<&Bound<'_, PyAny>>,
        key: Option<&Bound<'_, PyAny>>,
    ) -> Result<PyReceipt> {
        let t = UserId(uuid_of("teacher_id", teacher_id)?);
        let spec = slot_spec(recurrence, time_zone, course_id, active, rules)?;
        let request = request(actor, key)?;
        let r = self.run(py, move |e| e.publish_slot(request, t, spec))?;
        Ok(PyReceipt::new(r, ReceiptValue::Slot))
    }

    /// Replaces a slot's course, zone, times, active flag and rules; booked lessons keep their
    /// time.
    #[pyo3(signature = (actor, slot_id, recurrence, *, time_zone, course_id = None, active = true, rules = None,
        key = None))]
    #[allow(clippy::too_many_arguments)]
    fn update_slot(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        slot_id: &Bound<'_, PyAny>,
        recurrence: &Bound<'_, PyAny>,
        time_zone: &Bound<'_, PyAny>,
        course_id: Option<&Bound<'_, PyAny>>,
        #[pyo3(from_py_with = flags::active)] active: bool,
        rules: Option<&Bound<'_, PyAny>>,
        key: Option<&Bound<'_, PyAny>>,
    ) -> Result<PyReceipt> {
        let s = SlotId(uuid_of("slot_id", slot_id)?);
        let spec = slot_spec(recurrence, time_zone, course_id, active, rules)?;
        let request = request(actor, key)?;
        let r = self.run(py, move |e| e.update_slot(request, s, spec))?;
        Ok(PyReceipt::new(r, ReceiptValue::Slot))
    }

    /// Books a weekly series from one slot: `count` lessons or lessons `until` a date (one of
    /// the two), every `every_weeks` weeks; `mode` is `SeriesMode.ALL_OR_NOTHING` (default)
    /// or `SeriesMode.BOOK_AVAILABLE`.
    #[pyo3(signature = (actor, slot_id, student_id, first_starts_at, *, every_weeks = None, count = None, until = None,
        mode = None, key = None),
        text_signature = "($self, actor, slot_id, student_id, first_starts_at, *, every_weeks=1, count=None, until=None, \
                          mode=None, key=None)")]
    #[allow(clippy::too_many_arguments)]
    fn book_series(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        slot_id: &Bound<'_, PyAny>,
        student_id: &Bound<'_, PyAny>,
        first_starts_at: &Bound<'_, PyAny>,
        every_weeks: Option<&Bound<'_, PyAny>>,
        count: Option<&Bound<'_, PyAny>>,
        until: Option<&Bound<'_, PyAny>>,
        mode: Option<&Bound<'_, PyAny>>,
        key: Option<&Bound<'_, PyAny>>,
    ) -> Result<PyReceipt> {
        let every_weeks = convert::count_or("every_weeks", every_weeks, 1)?;
        let count = opt_count("count", count)?;
        let until = match until.filter(|u| !u.is_none()) {
            Some(date) => Some(convert::date("until", date)?),
            None => None,
        };
        let end = match (&count, until) {
            (Some(n), None) => SeriesEnd::Count(n.value),
            (None, Some(date)) => SeriesEnd::Until(date),
            _ => return Err(invalid("count", "give exactly one of count= and until=")),
        };
        let mode = match mode.filter(|m| !m.is_none()) {
            None => SeriesMode::AllOrNothing,
            Some(m) => {
                let name = enum_value("mode", m)?;
                crate::enums::from_name::<SeriesMode>(&name)
                    .ok_or_else(|| invalid("mode", format!("unknown series mode {name:?}")))?
            }
        };
        let series = SeriesRequest {
            slot_id: SlotId(uuid_of("slot_id", slot_id)?),
            student_id: UserId(uuid_of("student_id", student_id)?),
            first_starts_at: instant("first_starts_at", first_starts_at)?,
            every_weeks: every_weeks.value,
            end,
            mode,
        };
        let request = request(actor, key)?;
        let counts: Vec<&Count> = [Some(&every_weeks), count.as_ref()].into_iter().flatten().collect();
        let r = self.run_counting(py, &counts, move |e| e.book_series(request, series))?;
        Ok(PyReceipt::new(r, ReceiptValue::Series))
    }

    /// Approves a pending lesson (and the rest of its series), optionally setting its link.
    #[pyo3(signature = (actor, booking_id, *, meeting_link = None, key = None))]
    fn approve_lesson(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        booking_id: &Bound<'_, PyAny>,
        meeting_link: Option<&Bound<'_, PyAny>>,
        key: Option<&Bound<'_, PyAny>>,
    ) -> Result<PyReceipt> {
        let b = BookingId(uuid_of("booking_id", booking_id)?);
        let meeting_link = opt_text("meeting_link", meeting_link)?;
        let request = request(actor, key)?;
        let r = self.run(py, move |e| e.approve_lesson(request, b, meeting_link))?;
        Ok(PyReceipt::new(r, ReceiptValue::Lesson))
    }

    /// Declines a pending lesson (and the rest of its series); its time is free again.
    #[pyo3(signature = (actor, booking_id, *, reason = None, key = None))]
    fn decline_lesson(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        booking_id: &Bound<'_, PyAny>,
        reason: Option<&Bound<'_, PyAny>>,
        key: Option<&Bound<'_, PyAny>>,
    ) -> Result<PyReceipt> {
        let b = BookingId(uuid_of("booking_id", booking_id)?);
        let reason = opt_text("reason", reason)?;
        let request = request(actor, key)?;
        let r = self.run(py, move |e| e.decline_lesson(request, b, reason))?;
        Ok(PyReceipt::new(r, ReceiptValue::Lesson))
    }

    /// Sets a teacher's scheduling rules for `course_id`, or their default rules when `None`;
    /// empty rules (`SchedulingRules()`) remove that level. The value is the rules now set at
    /// that level. Precedence per field: slot, then the teacher's course rules, then default.
    #[pyo3(signature = (actor, teacher_id, rules, *, course_id = None, key = None))]
    fn set_scheduling_rules(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        teacher_id: &Bound<'_, PyAny>,
        rules: &Bound<'_, PyAny>,
        course_id: Option<&Bound<'_, PyAny>>,
        key: Option<&Bound<'_, PyAny>>,
    ) -> Result<PyReceipt> {
        let t = UserId(uuid_of("teacher_id", teacher_id)?);
        let rules = rules_of("rules", Some(rules))?;
        let c = opt_uuid("course_id", course_id)?.map(CourseId);
        let request = request(actor, key)?;
        let r = self.run(py, move |e| e.set_scheduling_rules(request, t, c, rules))?;
        Ok(PyReceipt::new(r, ReceiptValue::Rules))
    }

    /// Takes time off for a teacher from `first_day` to `last_day` (inclusive `datetime.date`s,
    /// read in `time_zone`): their slots offer nothing that overlaps it; lessons already
    /// booked then are kept. The value is the `TimeOff`.
    #[pyo3(signature = (actor, teacher_id, first_day, last_day, time_zone, *, note = None, key = None))]
    #[allow(clippy::too_many_arguments)]
    fn add_time_off(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        teacher_id: &Bound<'_, PyAny>,
        first_day: &Bound<'_, PyAny>,
        last_day: &Bound<'_, PyAny>,
        time_zone: &Bound<'_, PyAny>,
        note: Option<&Bound<'_, PyAny>>,
        key: Option<&Bound<'_, PyAny>>,
    ) -> Result<PyReceipt> {
        let t = UserId(uuid_of("teacher_id", teacher_id)?);
        let spec = TimeOffSpec {
            first_day: crate::convert::date("first_day", first_day)?,
            last_day: crate::convert::date("last_day", last_day)?,
            time_zone: zone_name("time_zone", time_zone)?,
            note: opt_text("note", note)?,
        };
        let request = request(actor, key)?;
        let r = self.run(py, move |e| e.add_time_off(request, t, spec))?;
        Ok(PyReceipt::new(r, ReceiptValue::TimeOff))
    }

    // --- reads ---------------------------------------------------------------------------

    /// The session with this id, whole (every booking with its student): for the session's
    /// teacher, an admin or the system; anyone else gets `NotAuthorizedError` and reads
    /// `session_summary` (`SessionNotFoundError` if none).
    fn session(&self, py: Python<'_>, actor: &Bound<'_, PyAny>, session_id: &Bound<'_, PyAny>) -> Result<PyGroupSession> {
        let actor = convert::actor(actor)?;
        let s = SessionId(uuid_of("session_id", session_id)?);
        Ok(PyGroupSession(self.run(py, move |e| e.session(actor, s))?))
    }

    /// The session with this id as anyone may see it before booking: a `SessionSummary` (what
    /// it is, seat counts, whether it takes bookings now, no student's ids; a student's own
    /// booking, and the meeting link once they have their place) (`SessionNotFoundError` if
    /// none).
    fn session_summary(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        session_id: &Bound<'_, PyAny>,
    ) -> Result<PySessionSummary> {
        let actor = convert::actor(actor)?;
        let s = SessionId(uuid_of("session_id", session_id)?);
        Ok(PySessionSummary(self.run(py, move |e| e.session_summary(actor, s))?))
    }

    /// The seat booking with this id, for its student, the session's teacher, an admin or the
    /// system (`BookingNotFoundError` if none, `NotAuthorizedError` for anyone else).
    fn seat_booking(&self, py: Python<'_>, actor: &Bound<'_, PyAny>, booking_id: &Bound<'_, PyAny>) -> Result<PySeatBooking> {
        let actor = convert::actor(actor)?;
        let b = BookingId(uuid_of("booking_id", booking_id)?);
        Ok(PySeatBooking(self.run(py, move |e| e.seat_booking(actor, b))?))
    }

    /// A person's calendar (empty, version 0, if nothing was stored for them), for its owner
    /// (as teacher or student), an admin or the system (`NotAuthorizedError` for anyone else).
    fn calendar(&self, py: Python<'_>, actor: &Bound<'_, PyAny>, owner: &Bound<'_, PyAny>) -> Result<PyCalendar> {
        let actor = convert::actor(actor)?;
        let o = UserId(uuid_of("owner", owner)?);
        Ok(PyCalendar(self.run(py, move |e| e.calendar(actor, o))?))
    }

    /// The lesson with this id, for its student, its teacher, an admin or the system
    /// (`BookingNotFoundError` if none, `NotAuthorizedError` for anyone else).
    fn lesson(&self, py: Python<'_>, actor: &Bound<'_, PyAny>, booking_id: &Bound<'_, PyAny>) -> Result<PyLesson> {
        let actor = convert::actor(actor)?;
        let b = BookingId(uuid_of("booking_id", booking_id)?);
        Ok(PyLesson(self.run(py, move |e| e.lesson(actor, b))?))
    }

    /// The slot with this id (`SlotNotFoundError` if none).
    fn slot(&self, py: Python<'_>, slot_id: &Bound<'_, PyAny>) -> Result<PyAvailabilitySlot> {
        let s = SlotId(uuid_of("slot_id", slot_id)?);
        Ok(PyAvailabilitySlot(self.run(py, move |e| e.slot(s))?))
    }

    /// The group session as an iCalendar (RFC 5545) file, the teacher's view: one `VEVENT`
    /// with the stable `UID` `session-<id>@booking-engine`, a `SEQUENCE` that grows with every
    /// change, and `STATUS` `CONFIRMED` or `CANCELLED`; for whoever may read the whole session
    /// (`SessionNotFoundError` if none, `NotAuthorizedError`).
    fn session_ical(&self, py: Python<'_>, actor: &Bound<'_, PyAny>, session_id: &Bound<'_, PyAny>) -> Result<String> {
        let actor = convert::actor(actor)?;
        let s = SessionId(uuid_of("session_id", session_id)?);
        self.run(py, move |e| e.session_ical(actor, s))
    }

    /// One booking as an iCalendar file: a seat booking as its student sees the session, or a
    /// 1:1 lesson; `UID` `booking-<id>@booking-engine`, stable across reschedules; for its
    /// student, its teacher, an admin or the system (`BookingNotFoundError` if none,
    /// `NotAuthorizedError`).
    fn booking_ical(&self, py: Python<'_>, actor: &Bound<'_, PyAny>, booking_id: &Bound<'_, PyAny>) -> Result<String> {
        let actor = convert::actor(actor)?;
        let b = BookingId(uuid_of("booking_id", booking_id)?);
        self.run(py, move |e| e.booking_ical(actor, b))
    }

    /// Several 1:1 lessons (a series: its lessons' ids) as one iCalendar file, one `VEVENT`
    /// per lesson; `booking_ids` is any iterable of ids, each a lesson `actor` may read.
    fn lessons_ical(&self, py: Python<'_>, actor: &Bound<'_, PyAny>, booking_ids: &Bound<'_, PyAny>) -> Result<String> {
        let actor = convert::actor(actor)?;
        let ids = self::booking_ids("booking_ids", booking_ids)?;
        self.run(py, move |e| e.lessons_ical(actor, &ids))
    }

    /// The bookable occurrences of a teacher's slots starting in `[start, end)`, for a
    /// student (enrollment-filtered) or for everyone, with wall times in `time_zone` too.
    #[pyo3(signature = (teacher_id, start, end, *, course_id = None, student_id = None, time_zone = None))]
    #[allow(clippy::too_many_arguments)]
    fn list_occurrences<'py>(
        &self,
        py: Python<'py>,
        teacher_id: &Bound<'py, PyAny>,
        start: &Bound<'py, PyAny>,
        end: &Bound<'py, PyAny>,
        course_id: Option<&Bound<'py, PyAny>>,
        student_id: Option<&Bound<'py, PyAny>>,
        time_zone: Option<&Bound<'py, PyAny>>,
    ) -> Result<Bound<'py, PyList>> {
        let query = OccurrenceQuery {
            teacher_id: UserId(uuid_of("teacher_id", teacher_id)?),
            course_id: opt_uuid("course_id", course_id)?.map(CourseId),
            student_id: opt_uuid("student_id", student_id)?.map(UserId),
            from: instant("start", start)?,
            to: instant("end", end)?,
            time_zone: match time_zone.filter(|z| !z.is_none()) {
                Some(z) => Some(zone_name("time_zone", z)?),
                None => None,
            },
        };
        let found = self.run(py, move |e| e.list_occurrences(&query))?;
        Ok(crate::objects::list_of(py, found, PyBookableOccurrence)?)
    }

    // --- the read side ------------------------------------------------------------------------

    /// A student's agenda: their seat bookings (live ones) and lessons starting in
    /// `[start, end)` (aware datetimes; at most 400 days), by start, keeping the items whose
    /// status is in `statuses` (a sequence of `AgendaStatus`; all when empty). One `Page` of
    /// at most `limit` (1 to 500) items, after the token `after` (a previous page's `next`).
    /// The student, an admin or the system may read it (else `NotAuthorizedError`).
    #[pyo3(signature = (actor, student_id, start, end, *, statuses = None, limit = None, after = None),
        text_signature = "($self, actor, student_id, start, end, *, statuses=(), limit=50, after=None)")]
    #[allow(clippy::too_many_arguments)]
    fn student_agenda(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        student_id: &Bound<'_, PyAny>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        statuses: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
        after: Option<&Bound<'_, PyAny>>,
    ) -> Result<PyPage> {
        let actor = convert::actor(actor)?;
        let student = UserId(uuid_of("student_id", student_id)?);
        let (from, to) = (instant("start", start)?, instant("end", end)?);
        let statuses = match statuses.filter(|s| !s.is_none()) {
            None => Vec::new(),
            Some(values) => convert::each("statuses", values, "AgendaStatus members", |item| {
                let name = enum_value("statuses", item)?;
                crate::enums::from_name::<AgendaStatus>(&name)
                    .ok_or_else(|| invalid("statuses", format!("unknown agenda status {name:?}")))
            })?,
        };
        let page = page_request(limit, after)?;
        let found =
            self.run(py, move |e| e.student_agenda(actor, student, from, to, &statuses, &page))?;
        Ok(PyPage(found.into()))
    }

    /// A teacher's agenda: their sessions (with seats taken and left, waitlist and offers)
    /// and lessons starting in `[start, end)`, by start, cancelled ones included (flagged).
    /// The teacher, an admin or the system may read it.
    #[pyo3(signature = (actor, teacher_id, start, end, *, limit = None, after = None),
        text_signature = "($self, actor, teacher_id, start, end, *, limit=50, after=None)")]
    #[allow(clippy::too_many_arguments)]
    fn teacher_agenda(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        teacher_id: &Bound<'_, PyAny>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        limit: Option<&Bound<'_, PyAny>>,
        after: Option<&Bound<'_, PyAny>>,
    ) -> Result<PyPage> {
        let actor = convert::actor(actor)?;
        let teacher = UserId(uuid_of("teacher_id", teacher_id)?);
        let (from, to) = (instant("start", start)?, instant("end", end)?);
        let page = page_request(limit, after)?;
        let found = self.run(py, move |e| e.teacher_agenda(actor, teacher, from, to, &page))?;
        Ok(PyPage(found.into()))
    }

    /// The lessons waiting for a teacher's approval, oldest request first (`ApprovalRequest`
    /// items). The teacher, an admin or the system may read it.
    #[pyo3(signature = (actor, teacher_id, *, limit = None, after = None),
        text_signature = "($self, actor, teacher_id, *, limit=50, after=None)")]
    fn approval_queue(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        teacher_id: &Bound<'_, PyAny>,
        limit: Option<&Bound<'_, PyAny>>,
        after: Option<&Bound<'_, PyAny>>,
    ) -> Result<PyPage> {
        let actor = convert::actor(actor)?;
        let teacher = UserId(uuid_of("teacher_id", teacher_id)?);
        let page = page_request(limit, after)?;
        let found = self.run(py, move |e| e.approval_queue(actor, teacher, &page))?;
        Ok(PyPage(found.into()))
    }

    /// A session's `Roster`: its counts and one page of its bookings (seat holders in booking
    /// order, open offers by deadline, the waitlist in order). The session's teacher, an admin
    /// or the system read every entry; a student reads the same list with every other
    /// student's ids withheld (`None`); another teacher may not read it.
    #[pyo3(signature = (actor, session_id, *, limit = None, after = None),
        text_signature = "($self, actor, session_id, *, limit=50, after=None)")]
    fn roster(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        session_id: &Bound<'_, PyAny>,
        limit: Option<&Bound<'_, PyAny>>,
        after: Option<&Bound<'_, PyAny>>,
    ) -> Result<PyRoster> {
        let actor = convert::actor(actor)?;
        let session = SessionId(uuid_of("session_id", session_id)?);
        let page = page_request(limit, after)?;
        Ok(PyRoster(self.run(py, move |e| e.roster(actor, session, &page))?))
    }

    /// Every session not cancelled and every lesson that takes place (confirmed, attended,
    /// no-show) starting in `[start, end)`, across all teachers, by start (`StartingItem`
    /// items): for a job that sends reminders. An admin or the system may read it.
    #[pyo3(signature = (actor, start, end, *, limit = None, after = None),
        text_signature = "($self, actor, start, end, *, limit=50, after=None)")]
    fn starting_between(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        limit: Option<&Bound<'_, PyAny>>,
        after: Option<&Bound<'_, PyAny>>,
    ) -> Result<PyPage> {
        let actor = convert::actor(actor)?;
        let (from, to) = (instant("start", start)?, instant("end", end)?);
        let page = page_request(limit, after)?;
        let found = self.run(py, move |e| e.starting_between(actor, from, to, &page))?;
        Ok(PyPage(found.into()))
    }

    /// The outbox: up to `limit` (1 to 500) events of committed commands after position
    /// `after` (0: from the oldest not yet acknowledged), in commit order, as `OutboxEntry`
    /// objects. Relay them, then `acknowledge_outbox` the last position relayed: delivery is at
    /// least once. An admin or the system may read it.
    #[pyo3(signature = (actor, *, after = None, limit = None),
        text_signature = "($self, actor, *, after=0, limit=100)")]
    fn outbox<'py>(
        &self,
        py: Python<'py>,
        actor: &Bound<'py, PyAny>,
        after: Option<&Bound<'py, PyAny>>,
        limit: Option<&Bound<'py, PyAny>>,
    ) -> Result<Bound<'py, PyList>> {
        let actor = convert::actor(actor)?;
        let after = match after.filter(|a| !a.is_none()) {
            Some(a) => convert::position("after", a)?,
            None => 0,
        };
        let limit = page_limit(limit, 100)?;
        let found = self.run(py, move |e| e.outbox(actor, after, limit))?;
        Ok(crate::objects::list_of(py, found, PyOutboxEntry)?)
    }

    /// Acknowledges the outbox up to and including position `up_to`: those events were
    /// relayed and are deleted. Returns how many were deleted. An admin or the system may.
    fn acknowledge_outbox(&self, py: Python<'_>, actor: &Bound<'_, PyAny>, up_to: &Bound<'_, PyAny>) -> Result<u64> {
        let actor = convert::actor(actor)?;
        let up_to = convert::position("up_to", up_to)?;
        self.run(py, move |e| e.acknowledge_outbox(actor, up_to))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Engine({})", self.store.bind(py).repr()?))
    }
});
