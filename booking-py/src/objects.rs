//! Python values out: the engine's results as immutable (frozen) Python objects.
//!
//! Each class keeps the core's value and converts a field when it is read, so returning a
//! result costs one allocation, whatever its size. Every output conversion lives here: one
//! [`ToPy`] impl per core type, and each class's getters and `repr` are declared by
//! [`py_methods!`] from the list of the core fields it shows.
//!
//! `Event`'s attributes come from the core's table of event kinds
//! (`booking_core::event_kinds!`): each field of each kind sets the attribute of its name
//! ([`event_field!`] says which fields set other or more attributes), so a field the core adds
//! without an attribute here fails to compile, and a kind the core adds reaches Python with
//! nothing written here. `EventKind` is `#[non_exhaustive]`, so the `match` keeps a last arm:
//! it cannot be reached, and would raise `InternalError` rather than read as `None`.

use crate::convert::{self, Count, Id, PyActor};
use crate::errors::{self, Result};
use booking_core::{
    Actor, BookingError, BookingId, CourseId, Event, EventKind, GroupSession, MeetingLink, SchedulingRules,
    SeatBooking, SeriesId, SessionId, SlotId, TimeOffId, UserId, WaitlistMode,
    availability::{AvailabilitySlot, SlotRecurrence, TimeOff},
    index::IndexEntry,
    lesson::{BookableOccurrence, Calendar, Hold, Lesson, SeriesBooking, SessionHold, SkippedOccurrence},
    read::{
        ApprovalRequest, Page, Roster, RosterEntry, SessionSummary, StartingItem, StudentAgendaItem, TeacherAgendaItem,
    },
    repository::OutboxEntry,
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};
use std::sync::Arc;

/// A core value as its Python object.
pub(crate) trait ToPy {
    /// The Python object (a new one, or a cached enum member).
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;
}

/// Values pyo3 converts as they are: numbers, text, instants, wall times, dates, zones.
macro_rules! as_is {
    ($($t:ty),*) => {$(
        impl ToPy for $t {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.into_bound_py_any(py)
            }
        }
    )*};
}
as_is!(u32, u64, usize, bool, str, String, NaiveDate, NaiveTime);

/// Instants, wall times and zones: the many of a listing, made cheaply ([`crate::datetimes`]).
impl ToPy for DateTime<Utc> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::datetimes::instant(py, self)
    }
}

impl ToPy for NaiveDateTime {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::datetimes::wall_time(py, self)
    }
}

impl ToPy for chrono_tz::Tz {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::datetimes::zone(py, *self)
    }
}

/// The core's ids, each a `uuid.UUID` (made by [`Id`]'s fast road).
macro_rules! ids {
    ($($t:ty),*) => {$(
        impl ToPy for $t {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                Id(self.as_uuid()).into_pyobject(py)
            }
        }
    )*};
}
ids!(SessionId, BookingId, UserId, CourseId, SlotId, SeriesId, TimeOffId);

/// The core's values shown as one of the binding's classes, made from a clone by `wrap`.
macro_rules! wrapped {
    ($($t:ty => $wrap:expr),* $(,)?) => {$(
        impl ToPy for $t {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                Ok(Bound::new(py, ($wrap)(self.clone()))?.into_any())
            }
        }
    )*};
}
wrapped! {
    SeatBooking => PySeatBooking,
    GroupSession => |s| PyGroupSession(Arc::new(s)),
    AvailabilitySlot => PyAvailabilitySlot,
    Lesson => |l| PyLesson(Arc::new(l)),
    Hold => PyHold,
    SessionHold => PySessionHold,
    BookableOccurrence => PyBookableOccurrence,
    SkippedOccurrence => PySkippedOccurrence,
    TimeOff => PyTimeOff,
    SchedulingRules => PySchedulingRules,
    WaitlistMode => PyWaitlistMode::from,
    Actor => PyActor,
    Event => PyEvent,
}

impl<T: ToPy + ?Sized> ToPy for &T {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        (**self).to_py(py)
    }
}

impl<T: ToPy + ?Sized> ToPy for Box<T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        (**self).to_py(py)
    }
}

impl<T: ToPy> ToPy for Option<T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Some(value) => value.to_py(py),
            None => Ok(py.None().into_bound(py)),
        }
    }
}

/// A list, allocated at its final length.
impl<T: ToPy> ToPy for [T] {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let items = self.iter().map(|item| item.to_py(py)).collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, items)?.into_any())
    }
}

impl<T: ToPy> ToPy for Vec<T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.as_slice().to_py(py)
    }
}

impl<A: ToPy, B: ToPy> ToPy for (A, B) {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyTuple::new(py, [self.0.to_py(py)?, self.1.to_py(py)?])?.into_any())
    }
}

/// A read-index entry as the tuple `(index, partition, sort)` a `DocumentStore` keeps.
impl ToPy for IndexEntry {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let parts = [self.index.as_str().to_py(py)?, self.partition.to_py(py)?, self.sort.to_py(py)?];
        Ok(PyTuple::new(py, parts)?.into_any())
    }
}

impl ToPy for MeetingLink {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.as_str().to_py(py)
    }
}

/// The exception (not raised) the error maps to.
impl ToPy for BookingError {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        errors::exception(py, self)
    }
}

/// `WeeklySlot` or `OneTimeSlot`.
impl ToPy for SlotRecurrence {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let made = match *self {
            SlotRecurrence::Weekly { weekday, start_time, end_time, valid_from, valid_until } => {
                Bound::new(py, PyWeeklySlot { weekday, start_time, end_time, valid_from, valid_until })?.into_any()
            }
            SlotRecurrence::OneTime { start, end } => Bound::new(py, PyOneTimeSlot { start, end })?.into_any(),
        };
        Ok(made)
    }
}

/// `Name(field=repr, ...)`, skipping `None` fields.
fn repr_of(name: &str, fields: &[(&str, Bound<'_, PyAny>)]) -> PyResult<String> {
    let mut out = format!("{name}(");
    let mut first = true;
    for (field, value) in fields {
        if value.is_none() {
            continue;
        }
        if !first {
            out.push_str(", ");
        }
        first = false;
        out.push_str(field);
        out.push('=');
        out.push_str(&value.repr()?.to_cow()?);
    }
    out.push(')');
    Ok(out)
}

/// The `#[pymethods]` block of a class wrapping a core value (`self.0`). pyo3 takes one block
/// per class, so it holds, in order:
/// - `repr(...)` (optional, before the braces): a `__repr__` showing these getters in this
///   order, `None`s left out (an entry `name = |v| expr` shows a value that is no getter, a
///   list's length);
/// - a getter per entry of the braces, converted by [`ToPy`]: `name` reads the core field of
///   that name, `name = |v| expr` computes it from the core value `v`;
/// - the hand-written methods that follow.
macro_rules! py_methods {
    (@value $self:ident, $core:ty, $field:ident) => { $self.0.$field };
    (@value $self:ident, $core:ty, $field:ident = |$v:ident| $e:expr) => {{
        let $v: &$core = &$self.0;
        $e
    }};
    (@repr $self:ident, $py:ident, $core:ty, $field:ident) => { $self.$field($py)? };
    (@repr $self:ident, $py:ident, $core:ty, $field:ident = |$v:ident| $e:expr) => {
        py_methods!(@value $self, $core, $field = |$v| $e).to_py($py)?
    };
    (
        $py_class:ident($core:ty) $( repr($( $r:ident $(= |$rv:ident| $re:expr)? ),* $(,)?) )? {
            $( $(#[$attr:meta])* $field:ident $(= |$v:ident| $e:expr)? ),* $(,)?
        }
        $($methods:tt)*
    ) => {
        #[pymethods]
        impl $py_class {
            $(
                $(#[$attr])*
                #[getter]
                fn $field<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    py_methods!(@value self, $core, $field $(= |$v| $e)?).to_py(py)
                }
            )*
            $(
                fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                    let fields = [$((stringify!($r), py_methods!(@repr self, py, $core, $r $(= |$rv| $re)?))),*];
                    repr_of(<Self as pyo3::PyClass>::NAME, &fields)
                }
            )?
            $($methods)*
        }
    };
}

/// Decodes a stored document (as a `DocumentStore` keeps it) into the core's type.
fn from_document<T: serde::de::DeserializeOwned>(what: &str, body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|e| {
        errors::Error::Booking(BookingError::CorruptRecord { record: what.to_owned(), detail: e.to_string() })
    })
}

/// One student's booking in a group session.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "SeatBooking")]
#[derive(PartialEq)]
pub(crate) struct PySeatBooking(pub(crate) SeatBooking);

py_methods! {
    PySeatBooking(SeatBooking) repr(id, session_id, student_id, status, seats, offer_expires_at, booked_at) {
        /// The booking's id.
        id,
        /// Its session.
        session_id,
        /// The student.
        student_id,
        /// Where it stands (`SeatStatus`).
        status,
        /// When it was made (engine clock).
        booked_at,
        /// When its status last changed.
        updated_at,
        /// How many seats it takes (a parent booking for two children takes 2), all or nothing;
        /// on the waitlist it waits for them as one.
        seats,
        /// While `OFFERED`: when the offer runs out.
        offer_expires_at,
    }

    /// Decodes a finished booking's body from the booking history
    /// (`DocumentCommit.finished_bookings`), for projections.
    #[staticmethod]
    fn from_document(body: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self(from_document::<SeatBooking>("seat booking document", &convert::text("body", body)?)?))
    }
}

/// A seat-based group session with its bookings, in the order they were made.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "GroupSession")]
#[derive(PartialEq)]
pub(crate) struct PyGroupSession(pub(crate) Arc<GroupSession>);

py_methods! {
    PyGroupSession(GroupSession) repr(id, title, starts_at, capacity, booked_seats, waitlisted_count, waitlist_enabled, cancelled_at, version) {
        /// The session's id.
        id,
        /// Its teacher.
        teacher_id,
        /// Its course, if any.
        course_id,
        /// Its title.
        title,
        /// When it starts.
        starts_at,
        /// When it ends.
        ends_at = |s| s.ends_at(),
        /// The zone it is shown in (a `zoneinfo.ZoneInfo`).
        time_zone,
        /// Length in minutes.
        duration_minutes,
        /// Its meeting link.
        meeting_link,
        /// Number of seats.
        capacity,
        /// Whether students may queue once every seat is taken.
        waitlist_enabled,
        /// How a freed seat reaches the waitlist (`WaitlistMode`).
        waitlist_mode,
        /// The booking window and cancellation cut-off in effect, resolved when it was created.
        rules,
        /// The earliest instant an outstanding seat offer runs out, if any.
        next_offer_deadline = |s| s.next_offer_deadline(),
        /// When it was created.
        created_at,
        /// When it was cancelled, if it was.
        cancelled_at,
        /// Its version (1 when created, +1 per change).
        version,
        /// The live bookings, in the order they were made; finished ones (cancelled, declined,
        /// expired) are in the store's booking history, read by id with `Engine.seat_booking`.
        bookings,
        /// The waitlisted bookings, in queue order.
        waitlist = |s| s.waitlist().collect::<Vec<_>>(),
        /// Seats taken (confirmed, offered and attended bookings, counted in seats).
        booked_seats = |s| s.booked_seats(),
        /// Seats still free.
        remaining_seats = |s| s.remaining_seats(),
        /// Whether every seat is taken.
        is_full = |s| s.is_full(),
        /// How many students wait.
        waitlisted_count = |s| s.waitlisted_count(),
        /// Whether it was cancelled.
        is_cancelled = |s| s.is_cancelled(),
        /// Whether it stopped taking bookings (full and no waitlist).
        is_closed_for_booking = |s| s.is_closed_for_booking(),
    }

    /// Decodes a stored session document (a `DocumentStore` body), for projections.
    #[staticmethod]
    fn from_document(body: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self(Arc::new(from_document::<GroupSession>("session document", &convert::text("body", body)?)?)))
    }
    /// The read-index entries the session has, `(index, partition, sort)` each, as
    /// `DocumentWrite.read_entries` hands them over: for a store that fills its read index
    /// once for sessions stored before it kept one.
    fn read_entries<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        IndexEntry::of_session(&self.0).to_py(py)
    }
    /// Whether it takes bookings at `now` (`BookingAvailability`).
    fn availability<'py>(&self, py: Python<'py>, now: &Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>> {
        Ok(self.0.availability(convert::instant("now", now)?).to_py(py)?)
    }
    /// The booking with this id, if it is in this session.
    fn booking(&self, id: &Bound<'_, PyAny>) -> Result<Option<PySeatBooking>> {
        let id = BookingId(convert::uuid_of("id", id)?);
        Ok(self.0.booking(id).cloned().map(PySeatBooking))
    }
    /// The student's active (confirmed, waitlisted or offered) booking here, if any.
    fn active_booking_of(&self, student_id: &Bound<'_, PyAny>) -> Result<Option<PySeatBooking>> {
        let id = UserId(convert::uuid_of("student_id", student_id)?);
        Ok(self.0.active_booking_of(id).cloned().map(PySeatBooking))
    }
    /// The booking's 1-based place in the waitlist, if it waits.
    fn waitlist_position(&self, id: &Bound<'_, PyAny>) -> Result<Option<u32>> {
        Ok(self.0.waitlist_position(BookingId(convert::uuid_of("id", id)?)))
    }
}

/// Weekly availability: every week on `weekday` from `start_time` to `end_time`, wall times in
/// the slot's zone (an `end_time` not after `start_time` ends the next day).
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "WeeklySlot")]
#[derive(PartialEq)]
pub(crate) struct PyWeeklySlot {
    pub(crate) weekday: chrono::Weekday,
    /// Wall time each occurrence starts at.
    #[pyo3(get)]
    pub(crate) start_time: NaiveTime,
    /// Wall time each occurrence ends at.
    #[pyo3(get)]
    pub(crate) end_time: NaiveTime,
    /// First date an occurrence may start on.
    #[pyo3(get)]
    pub(crate) valid_from: NaiveDate,
    /// Last date an occurrence may start on (`None`: open-ended).
    #[pyo3(get)]
    pub(crate) valid_until: Option<NaiveDate>,
}

#[pymethods]
impl PyWeeklySlot {
    #[new]
    #[pyo3(signature = (weekday, start_time, end_time, valid_from, valid_until = None))]
    fn new(
        weekday: &Bound<'_, PyAny>,
        start_time: &Bound<'_, PyAny>,
        end_time: &Bound<'_, PyAny>,
        valid_from: &Bound<'_, PyAny>,
        valid_until: Option<&Bound<'_, PyAny>>,
    ) -> Result<Self> {
        // A `Weekday` member is an int; chrono's days are the range.
        let day = convert::int_in("weekday", weekday, 0..=6, " (Weekday.MONDAY to Weekday.SUNDAY)")?;
        let weekday = chrono::Weekday::try_from(day as u8)
            .map_err(|_| errors::invalid("weekday", format!("no weekday {day}")))?;
        Ok(Self {
            weekday,
            start_time: convert::time("start_time", start_time)?,
            end_time: convert::time("end_time", end_time)?,
            valid_from: convert::date("valid_from", valid_from)?,
            valid_until: match valid_until {
                Some(v) if !v.is_none() => Some(convert::date("valid_until", v)?),
                _ => None,
            },
        })
    }
    /// The day each occurrence starts on (`Weekday`).
    #[getter]
    fn weekday<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.weekday.to_py(py)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let fields = [
            ("weekday", self.weekday(py)?),
            ("start_time", self.start_time.to_py(py)?),
            ("end_time", self.end_time.to_py(py)?),
            ("valid_from", self.valid_from.to_py(py)?),
            ("valid_until", self.valid_until.to_py(py)?),
        ];
        repr_of("WeeklySlot", &fields)
    }
}

/// One-time availability from `start` to `end`: naive datetimes, wall times in the slot's zone.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "OneTimeSlot")]
#[derive(PartialEq)]
pub(crate) struct PyOneTimeSlot {
    /// Wall time it starts at.
    #[pyo3(get)]
    pub(crate) start: NaiveDateTime,
    /// Wall time it ends at.
    #[pyo3(get)]
    pub(crate) end: NaiveDateTime,
}

#[pymethods]
impl PyOneTimeSlot {
    #[new]
    fn new(start: &Bound<'_, PyAny>, end: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self { start: convert::wall_time("start", start)?, end: convert::wall_time("end", end)? })
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of("OneTimeSlot", &[("start", self.start.to_py(py)?), ("end", self.end.to_py(py)?)])
    }
}

/// A teacher's availability slot.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "AvailabilitySlot")]
#[derive(PartialEq)]
pub(crate) struct PyAvailabilitySlot(pub(crate) AvailabilitySlot);

py_methods! {
    PyAvailabilitySlot(AvailabilitySlot) repr(id, teacher_id, course_id, time_zone, recurrence, active) {
        /// The slot's id.
        id,
        /// The teacher offering it.
        teacher_id,
        /// The course it is reserved for, if any.
        course_id,
        /// The zone its wall times are read in.
        time_zone,
        /// `WeeklySlot` or `OneTimeSlot`.
        recurrence,
        /// Whether it is offered.
        active,
        /// The slot's own scheduling rules (they win over the teacher's).
        rules,
    }
}

/// A 1:1 lesson booked from an availability slot.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "Lesson")]
#[derive(PartialEq)]
pub(crate) struct PyLesson(pub(crate) Arc<Lesson>);

py_methods! {
    PyLesson(Lesson) repr(id, teacher_id, student_id, starts_at, status, series_id, meeting_link) {
        /// The lesson's (booking) id.
        id,
        /// The teacher.
        teacher_id,
        /// The student.
        student_id,
        /// The slot it was booked from.
        slot_id,
        /// The slot's course, if any.
        course_id,
        /// Its series, if booked as one.
        series_id,
        /// When it starts.
        starts_at,
        /// When it ends.
        ends_at,
        /// The slot's zone.
        time_zone,
        /// Start and end as wall times in the slot's zone.
        local_times = |l| l.local_times(),
        /// Where it stands (`LessonStatus`).
        status,
        /// Its meeting link, if set.
        meeting_link,
        /// When it was requested.
        requested_at,
        /// When it last changed.
        updated_at,
        /// Its version.
        version,
        /// The scheduling rules in force when it was booked (or last rescheduled): its cut-offs
        /// and its buffers in the teacher's calendar.
        rules,
    }

    /// Decodes a stored lesson document (a `DocumentStore` body), for projections.
    #[staticmethod]
    fn from_document(body: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self(Arc::new(from_document::<Lesson>("lesson document", &convert::text("body", body)?)?)))
    }
    /// The read-index entries the lesson has, `(index, partition, sort)` each, as
    /// `DocumentWrite.read_entries` hands them over: for a store that fills its read index
    /// once for lessons stored before it kept one.
    fn read_entries<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        IndexEntry::of_lesson(&self.0).to_py(py)
    }
}

/// An active lesson's hold on a calendar.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "Hold")]
#[derive(PartialEq)]
pub(crate) struct PyHold(pub(crate) Hold);

py_methods! {
    PyHold(Hold) repr(booking_id, series_id, starts_at, ends_at, busy_from, busy_until) {
        /// The lesson.
        booking_id,
        /// Its series, if any.
        series_id,
        /// Its course, if any.
        course_id,
        /// Its teacher (the calendar's owner when the owner teaches it).
        teacher_id,
        /// Start.
        starts_at,
        /// End.
        ends_at,
        /// Start of the time it keeps busy here: the start, less the teacher's buffer before it
        /// (in the teacher's calendar).
        busy_from,
        /// End of the time it keeps busy here: the end, plus the teacher's buffer after it (in
        /// the teacher's calendar).
        busy_until,
    }
}

/// A person's calendar: a teacher's slots, and the holds of their active lessons.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "Calendar")]
#[derive(PartialEq)]
pub(crate) struct PyCalendar(pub(crate) Arc<Calendar>);

py_methods! {
    PyCalendar(Calendar) repr(
        owner,
        version,
        slots = |c| c.slots.len(),
        holds = |c| c.holds.len(),
        sessions = |c| c.sessions.len(),
        time_off = |c| c.time_off.len(),
    ) {
        /// Whose calendar.
        owner,
        /// Its version (0: nothing stored yet).
        version,
        /// The slots (teachers).
        slots,
        /// The active lessons' holds, by busy time (kept a few days after they end, so the
        /// per-day and per-week limits can count them).
        holds,
        /// The group sessions the owner teaches that have not ended, by start.
        sessions,
        /// The owner's default scheduling rules as a teacher.
        rules,
        /// The owner's time off, by first day.
        time_off,
    }

    /// Decodes a stored calendar document (a `DocumentStore` body), for projections.
    #[staticmethod]
    fn from_document(body: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self(Arc::new(from_document::<Calendar>("calendar document", &convert::text("body", body)?)?)))
    }
    /// The owner's scheduling rules per course (a dict by course id), which win over `rules`.
    #[getter]
    fn course_rules<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for c in &self.0.course_rules {
            dict.set_item(c.course_id.to_py(py)?, PySchedulingRules(c.rules))?;
        }
        Ok(dict)
    }
    /// The owner's rules for a course (their course rules over their default rules), before
    /// any slot's own rules; `None`: the default rules.
    #[pyo3(signature = (course_id = None))]
    fn rules_for_course(&self, course_id: Option<&Bound<'_, PyAny>>) -> Result<PySchedulingRules> {
        let course = convert::opt_uuid("course_id", course_id)?.map(CourseId);
        Ok(PySchedulingRules(self.0.rules_for_course(course)))
    }
    /// The rules in force for bookings of one of this calendar's slots: the slot's, then the
    /// owner's for its course, then the owner's.
    fn rules_for_slot(&self, slot: &Bound<'_, PyAny>) -> Result<PySchedulingRules> {
        let slot = convert::instance::<PyAvailabilitySlot>("slot", slot, "an AvailabilitySlot")?;
        Ok(PySchedulingRules(self.0.rules_for_slot(&slot.get().0)))
    }
}

/// Scheduling rules: every field optional (`None`: fall back to the next, less specific
/// level: slot, then the teacher's rules for the course, then the teacher's own).
#[pyclass(frozen, eq, hash, module = "booking_engine._booking", name = "SchedulingRules")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PySchedulingRules(pub(crate) SchedulingRules);

/// `SchedulingRules` from the list of the core's fields: the keyword-only constructor, a
/// getter per field, `to_dict` and `repr` in this order. The constructor builds the core's
/// struct naming every field, so a field added to the core fails to compile here.
macro_rules! scheduling_rules {
    ($( $(#[$attr:meta])* $field:ident ),* $(,)?) => {
        /// The field names of `SchedulingRules`, in order.
        const RULE_FIELDS: &[&str] = &[$(stringify!($field)),*];

        impl PySchedulingRules {
            fn values(&self) -> [Option<u32>; RULE_FIELDS.len()] {
                [$(self.0.$field),*]
            }
        }

        py_methods! {
            PySchedulingRules(SchedulingRules) {
                $( $(#[$attr])* $field, )*
                /// Whether no field is set.
                is_empty = |r| r.is_empty(),
            }

            /// Rules with the given fields set; the core checks every range (`InvalidInputError`
            /// naming the field).
            #[new]
            #[pyo3(signature = (*, $($field = None),*))]
            #[allow(clippy::too_many_arguments)]
            fn new($($field: Option<&Bound<'_, PyAny>>),*) -> Result<Self> {
                $(let $field = convert::opt_count(stringify!($field), $field)?;)*
                let rules = SchedulingRules { $($field: $field.as_ref().map(|c| c.value)),* };
                // The core checks every range; a value out of the core's type reads as given.
                let counts: Vec<&Count> = [$($field.as_ref()),*].into_iter().flatten().collect();
                rules.validate().map_err(|e| convert::restate(e.into(), &counts))?;
                Ok(Self(rules))
            }
            /// Field by field: this value's setting, else `fallback`'s.
            fn or_(&self, fallback: &Bound<'_, PyAny>) -> Result<PySchedulingRules> {
                let fallback = convert::instance::<PySchedulingRules>("fallback", fallback, "a SchedulingRules")?;
                Ok(PySchedulingRules(self.0.or(&fallback.get().0)))
            }
            /// The fields that are set, as a dict (for forms, JSON, `SchedulingRules(**d)`).
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                let dict = PyDict::new(py);
                for (name, value) in RULE_FIELDS.iter().zip(self.values()) {
                    if let Some(v) = value {
                        dict.set_item(*name, v)?;
                    }
                }
                Ok(dict)
            }
            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                let fields = RULE_FIELDS
                    .iter()
                    .zip(self.values())
                    .map(|(name, value)| Ok((*name, value.to_py(py)?)))
                    .collect::<PyResult<Vec<_>>>()?;
                repr_of("SchedulingRules", &fields)
            }
        }
    };
}

scheduling_rules! {
    /// Bookings must start at least this many minutes after now.
    min_notice_minutes,
    /// Bookings must start at most this many days after now.
    max_advance_days,
    /// Minutes kept free before each 1:1 lesson in the teacher's calendar.
    buffer_before_minutes,
    /// Minutes kept free after each 1:1 lesson in the teacher's calendar.
    buffer_after_minutes,
    /// A student may not cancel within this many minutes of the start.
    cancel_cutoff_minutes,
    /// A student may not reschedule within this many minutes of the start.
    reschedule_cutoff_minutes,
    /// At most this many 1:1 lessons per day for the teacher.
    max_lessons_per_day,
    /// At most this many 1:1 lessons per ISO week for the teacher.
    max_lessons_per_week,
    /// At most this many not-yet-ended 1:1 lessons per student in one course.
    max_upcoming_lessons_per_student,
    /// At most this many seats in one booking of a group session (unset everywhere: 1; a
    /// session records the limit in force when it was created).
    max_seats_per_booking,
}

/// How a freed seat reaches a session's waitlist: `WaitlistMode.promote()` (the first in line
/// gets it at once, the default) or `WaitlistMode.offer(hold_minutes=...)` (it is held for the
/// first in line, who accepts or declines; an unanswered offer expires and passes on).
#[pyclass(frozen, eq, hash, module = "booking_engine._booking", name = "WaitlistMode")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyWaitlistMode {
    /// The mode the engine gets.
    mode: WaitlistMode,
    /// An offer's `hold_minutes` as the caller gave it, when that int does not fit the core's
    /// type (`mode` then holds the stand-in, and the core's refusal shows this value).
    out_of_type: Option<Count>,
}

impl From<WaitlistMode> for PyWaitlistMode {
    fn from(mode: WaitlistMode) -> Self {
        Self { mode, out_of_type: None }
    }
}

impl PyWaitlistMode {
    /// The core's mode.
    pub(crate) fn core_mode(&self) -> WaitlistMode {
        self.mode
    }
    /// `hold_minutes` as given, when it did not fit the core's type (for
    /// [`Count::restate`]).
    pub(crate) fn out_of_type_hold(&self) -> Option<&Count> {
        self.out_of_type.as_ref()
    }
}

#[pymethods]
impl PyWaitlistMode {
    /// The first in line gets a freed seat at once.
    #[staticmethod]
    fn promote() -> Self {
        WaitlistMode::Promote.into()
    }
    /// A freed seat is held for the first in line for `hold_minutes`; the core checks its
    /// range when the session is created.
    #[staticmethod]
    fn offer(hold_minutes: &Bound<'_, PyAny>) -> Result<Self> {
        let hold = convert::count("hold_minutes", hold_minutes)?;
        let mode = WaitlistMode::Offer { hold_minutes: hold.value };
        Ok(Self { mode, out_of_type: hold.is_out_of_type().then_some(hold) })
    }
    /// `"promote"` or `"offer"`.
    #[getter]
    fn mode(&self) -> &'static str {
        match self.mode {
            WaitlistMode::Promote => "promote",
            WaitlistMode::Offer { .. } => "offer",
        }
    }
    /// How long an offer holds the seat (offer mode), else `None`.
    #[getter]
    fn hold_minutes<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match (self.mode, &self.out_of_type) {
            (WaitlistMode::Promote, _) => Ok(None),
            (WaitlistMode::Offer { .. }, Some(given)) => given.to_object(py).map(Some),
            (WaitlistMode::Offer { hold_minutes }, None) => Ok(Some(hold_minutes.into_pyobject(py)?.into_any())),
        }
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(match self.hold_minutes(py)? {
            None => "WaitlistMode.promote()".to_owned(),
            Some(hold) => format!("WaitlistMode.offer(hold_minutes={})", hold.repr()?.to_cow()?),
        })
    }
}

/// A teacher's time off (a vacation, or one cancelled day): from the start of `first_day` to
/// the end of `last_day` in `time_zone`, their slots offer no occurrence that overlaps it.
/// Lessons already booked then are kept.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "TimeOff")]
#[derive(PartialEq)]
pub(crate) struct PyTimeOff(pub(crate) TimeOff);

py_methods! {
    PyTimeOff(TimeOff) repr(id, teacher_id, first_day, last_day, time_zone, note) {
        /// Its id (to remove it).
        id,
        /// The teacher.
        teacher_id,
        /// The first day off.
        first_day,
        /// The last day off (inclusive).
        last_day,
        /// The zone the days are read in.
        time_zone,
        /// The teacher's note, if any.
        note,
        /// The instant it starts (the start of `first_day` in its zone).
        starts_at = |t| t.starts_at(),
        /// The instant it ends (the start of the day after `last_day`).
        ends_at = |t| t.ends_at(),
    }
}

/// A group session the calendar's owner teaches: 1:1 lessons cannot be booked over it.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "SessionHold")]
#[derive(PartialEq)]
pub(crate) struct PySessionHold(pub(crate) SessionHold);

py_methods! {
    PySessionHold(SessionHold) repr(session_id, starts_at, ends_at) {
        /// The session.
        session_id,
        /// Its start.
        starts_at,
        /// Its end.
        ends_at,
    }
}

/// One bookable occurrence, as instants and as wall times.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "BookableOccurrence")]
#[derive(PartialEq)]
pub(crate) struct PyBookableOccurrence(pub(crate) BookableOccurrence);

py_methods! {
    PyBookableOccurrence(BookableOccurrence) repr(slot_id, starts_at, ends_at, teacher_local_start, viewer_local_start) {
        /// The slot (book with it and `starts_at`).
        slot_id,
        /// The slot's course.
        course_id,
        /// Start.
        starts_at,
        /// End.
        ends_at,
        /// The teacher's (slot's) zone.
        teacher_time_zone,
        /// Start, wall time in the teacher's zone.
        teacher_local_start,
        /// End, wall time in the teacher's zone.
        teacher_local_end,
        /// The zone asked for.
        viewer_time_zone,
        /// Start, wall time in the viewer's zone.
        viewer_local_start,
        /// End, wall time in the viewer's zone.
        viewer_local_end,
    }
}

/// An occurrence a series did not book, and why.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "SkippedOccurrence")]
#[derive(PartialEq)]
pub(crate) struct PySkippedOccurrence(pub(crate) SkippedOccurrence);

py_methods! {
    PySkippedOccurrence(SkippedOccurrence) repr(local_date, reason) {
        /// The date, in the slot's zone.
        local_date,
        /// Its start, if the slot offers one that day.
        starts_at,
        /// Why: the `BookingError` (not raised) booking it alone would have raised.
        reason,
    }
}

/// A booked series.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "SeriesBooking")]
#[derive(PartialEq)]
pub(crate) struct PySeriesBooking(pub(crate) SeriesBooking);

py_methods! {
    PySeriesBooking(SeriesBooking) repr(series_id, lessons = |s| s.lessons.len(), skipped = |s| s.skipped.len()) {
        /// The series id.
        series_id,
        /// Its lessons, in order.
        lessons,
        /// Occurrences not booked (`SeriesMode.BOOK_AVAILABLE` only).
        skipped,
    }
}

/// What one `Engine.process_expired_offers` call did: the events of every session it
/// processed, and the sessions it could not process, each with its error (not raised).
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "OfferSweep")]
#[derive(PartialEq)]
pub(crate) struct PyOfferSweep(pub(crate) booking_core::OfferSweep);

py_methods! {
    PyOfferSweep(booking_core::OfferSweep) repr(events = |s| s.events.len(), failures = |s| s.failures.len()) {
        /// The events of every session processed, session after session.
        events,
        /// The sessions that could not be processed, in the order they were tried: `(session id,
        /// the BookingError it failed with)`. Each is unchanged and tried again by the next call.
        failures,
    }
}

/// Something that happened: `kind` says what, the other fields are set when the kind has them.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "Event")]
#[derive(PartialEq)]
pub(crate) struct PyEvent(pub(crate) Event);

/// How one field of an event sets `Event`'s attributes (`$fields` holds them, `$value` is the
/// field): the attribute of its name, except a field whose name says less than the attribute
/// (`previous`) and the objects an event carries whole, which also set the ids they hold.
macro_rules! event_field {
    ($fields:ident, previous, $value:ident) => {
        $fields.previous_capacity = Some($value);
    };
    ($fields:ident, session, $value:ident) => {
        $fields.session = Some($value);
        add_session_fields(&mut $fields, $value);
    };
    ($fields:ident, lesson, $value:ident) => {
        $fields.lesson = Some($value);
        add_lesson_fields(&mut $fields, $value);
    };
    ($fields:ident, slot, $value:ident) => {
        $fields.slot = Some($value);
        $fields.teacher_id = Some(&$value.teacher_id);
    };
    ($fields:ident, time_off, $value:ident) => {
        $fields.time_off = Some($value);
        $fields.teacher_id = Some(&$value.teacher_id);
        $fields.time_off_id = Some(&$value.id);
    };
    ($fields:ident, $field:ident, $value:ident) => {
        $fields.$field = Some($value);
    };
}

/// `Event`'s attributes that some kinds carry, then (from the core's `event_kinds!`) the kinds.
///
/// The first list declares the attributes (a getter each, `None` for a kind without it); each
/// kind's fields set them by [`event_field!`].
macro_rules! event_fields {
    (
        @python {
            attributes { $( $(#[$attr:meta])* $name:ident ),* $(,)? }
            repr($($r:ident),* $(,)?);
        }
        $(
            $(#[$doc:meta])*
            $kind:ident { $($(#[$field_attr:meta])* $field:ident: $ty:ty),* $(,)? },
        )*
    ) => {
        /// For one event, the attributes its kind carries (a reference into the core's event).
        #[derive(Default)]
        struct EventFields<'a> {
            $( $name: Option<&'a dyn ToPy>, )*
        }

        /// The attributes `kind` carries.
        fn event_fields(kind: &EventKind) -> Result<EventFields<'_>> {
            Ok(match kind {
                $(
                    EventKind::$kind { $($field),* } => {
                        let mut fields = EventFields::default();
                        $(event_field!(fields, $field, $field);)*
                        fields
                    }
                )*
                other => {
                    return Err(errors::Error::Internal(format!(
                        "the binding does not know the event kind {:?}",
                        other.name()
                    )));
                }
            })
        }

        py_methods! {
            PyEvent(Event) repr(kind, occurred_at, actor, $($r),*) {
                /// The engine clock's instant when the command was decided.
                occurred_at,
                /// Who ran the command.
                actor,
                /// What happened (`EventKind`; its value is the core's stable name).
                kind,
                $( $(#[$attr])* $name = |e| event_fields(&e.kind)?.$name, )*
            }

            /// The event as the core serializes it (JSON), for an outbox.
            fn to_json(&self) -> Result<String> {
                serde_json::to_string(&self.0).map_err(|e| errors::Error::Internal(format!("encoding an event: {e}")))
            }
        }
    };
}

/// The ids of a session an event carries whole.
fn add_session_fields<'a>(fields: &mut EventFields<'a>, session: &'a GroupSession) {
    fields.session_id = Some(&session.id);
    fields.teacher_id = Some(&session.teacher_id);
    fields.course_id = Some(&session.course_id);
}

/// The ids of a lesson an event carries whole.
fn add_lesson_fields<'a>(fields: &mut EventFields<'a>, lesson: &'a Lesson) {
    fields.booking_id = Some(&lesson.id);
    fields.student_id = Some(&lesson.student_id);
    fields.teacher_id = Some(&lesson.teacher_id);
    fields.course_id = Some(&lesson.course_id);
    fields.series_id = Some(&lesson.series_id);
}

booking_core::event_kinds!(event_fields @python {
    attributes {
        /// The session concerned.
        session_id,
        /// The booking (seat or lesson) concerned.
        booking_id,
        /// The student concerned.
        student_id,
        /// The teacher concerned.
        teacher_id,
        /// `BOOKING_WAITLISTED`: 1-based place in the queue when joining.
        position,
        /// `BOOKING_CANCELLED` (`SeatStatus`) or `LESSON_CANCELLED` (`LessonStatus`): the status before.
        previous_status,
        /// `ATTENDANCE_MARKED` (`SeatStatus`) or `LESSON_ATTENDANCE_MARKED` (`LessonStatus`).
        status,
        /// `CAPACITY_CHANGED`: seats before.
        previous_capacity,
        /// `CAPACITY_CHANGED`: seats now.
        capacity,
        /// `WAITLIST_CHANGED`: whether the waitlist is now on.
        enabled,
        /// `SESSION_CREATED`: the session as created.
        session,
        /// `SLOT_PUBLISHED` / `SLOT_UPDATED`: the slot.
        slot,
        /// `LESSON_REQUESTED` / `LESSON_BOOKED`: the lesson; `LESSON_RESCHEDULED`: the lesson
        /// after the move.
        lesson,
        /// `BOOKING_CONFIRMED`, `BOOKING_WAITLISTED`, `SEAT_OFFERED`: how many seats the booking
        /// takes (or waits for, as one).
        seats,
        /// `SEAT_OFFERED`: when the offer runs out.
        expires_at,
        /// `BOOKING_CANCELLED`, `LESSON_CANCELLED`, `LESSON_RESCHEDULED`: whether a teacher, an
        /// admin or the system acted within the cut-off that binds students (an override).
        cutoff_overridden,
        /// `LESSON_RESCHEDULED`: the slot the lesson was booked from before.
        previous_slot_id,
        /// `LESSON_RESCHEDULED`: its start before.
        previous_starts_at,
        /// `LESSON_RESCHEDULED`: its end before.
        previous_ends_at,
        /// `SCHEDULING_RULES_SET`: the rules now in force at that level.
        rules,
        /// `SESSION_CREATED`: the session's course; `SCHEDULING_RULES_SET`: the course whose rules
        /// were set (`None` for the teacher's default rules); lesson events: the lesson's course.
        course_id,
        /// `TIME_OFF_ADDED`: the time off.
        time_off,
        /// `TIME_OFF_ADDED` / `TIME_OFF_REMOVED`: the time off's id.
        time_off_id,
        /// `LESSON_APPROVED` / `MEETING_LINK_SET`: the meeting link.
        meeting_link,
        /// `LESSON_DECLINED`: the teacher's reason.
        reason,
        /// `SERIES_BOOKED` (and lessons of a series): the series.
        series_id,
        /// `SERIES_BOOKED`: its lessons' ids, in order.
        lessons,
        /// `SERIES_BOOKED`: how many occurrences were skipped.
        skipped,
    }
    repr(
        session_id, booking_id, student_id, position, previous_status, status, capacity, enabled, seats,
        expires_at, cutoff_overridden, previous_starts_at, time_off_id, series_id,
    );
});

/// `ReceiptValue`, one variant per value a command returns, and the `From` that picks the
/// variant by the core's type (the engine's typed commands wrap their receipt's value with it).
macro_rules! receipt_values {
    ($($(#[$doc:meta])* $variant:ident($ty:ty),)*) => {
        /// The value of a receipt, kept as the core's value until Python reads `Receipt.value`.
        pub(crate) enum ReceiptValue {
            $($(#[$doc])* $variant($ty),)*
        }

        $(impl From<$ty> for ReceiptValue {
            fn from(value: $ty) -> Self {
                ReceiptValue::$variant(value)
            }
        })*
    };
}

receipt_values! {
    /// `SeatBooking`.
    Seat(SeatBooking),
    /// `GroupSession`.
    Session(Arc<GroupSession>),
    /// `AvailabilitySlot`.
    Slot(AvailabilitySlot),
    /// `Lesson`.
    Lesson(Arc<Lesson>),
    /// `SeriesBooking`.
    Series(SeriesBooking),
    /// A list of `Lesson`s.
    Lessons(Vec<Arc<Lesson>>),
    /// `SchedulingRules`.
    Rules(SchedulingRules),
    /// `TimeOff`.
    TimeOff(TimeOff),
}

impl ReceiptValue {
    fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(match self {
            ReceiptValue::Seat(v) => Py::new(py, PySeatBooking(v))?.into_any(),
            ReceiptValue::Session(v) => Py::new(py, PyGroupSession(v))?.into_any(),
            ReceiptValue::Slot(v) => Py::new(py, PyAvailabilitySlot(v))?.into_any(),
            ReceiptValue::Lesson(v) => Py::new(py, PyLesson(v))?.into_any(),
            ReceiptValue::Series(v) => Py::new(py, PySeriesBooking(v))?.into_any(),
            ReceiptValue::Lessons(v) => list_of(py, v, PyLesson)?.into_any().unbind(),
            ReceiptValue::Rules(v) => Py::new(py, PySchedulingRules(v))?.into_any(),
            ReceiptValue::TimeOff(v) => Py::new(py, PyTimeOff(v))?.into_any(),
        })
    }
}

/// A Python list of `wrap(item)` objects, allocated at its final length (for values the
/// binding owns already: no clone).
pub(crate) fn list_of<'py, T, P: pyo3::PyClass + Into<pyo3::PyClassInitializer<P>>>(
    py: Python<'py>,
    items: impl IntoIterator<Item = T>,
    wrap: impl Fn(T) -> P,
) -> PyResult<Bound<'py, PyList>> {
    let objects = items.into_iter().map(|item| Bound::new(py, wrap(item))).collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, objects)
}

/// What a successful command returns: its value, the events it caused, the changed
/// aggregate's version, and whether it is a replay of an earlier run under the same key.
///
/// Returning a receipt makes one Python object: the value becomes its Python object the
/// first time `value` is read (the same object on every later read), the events each time
/// `events` is read.
#[pyclass(frozen, module = "booking_engine._booking", name = "Receipt")]
pub(crate) struct PyReceipt {
    /// The value until `value` is first read.
    pending: std::sync::Mutex<Option<ReceiptValue>>,
    /// The value's Python object, once made.
    value: pyo3::sync::PyOnceLock<Py<PyAny>>,
    events: Vec<Event>,
    version: u64,
    replayed: bool,
}

impl PyReceipt {
    /// A receipt for the core's receipt, its value wrapped by `wrap`.
    pub(crate) fn new<T>(r: booking_core::Receipt<T>, wrap: impl FnOnce(T) -> ReceiptValue) -> Self {
        PyReceipt {
            pending: std::sync::Mutex::new(Some(wrap(r.value))),
            value: pyo3::sync::PyOnceLock::new(),
            events: r.events,
            version: r.version,
            replayed: r.replayed,
        }
    }

    fn value_object<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, PyAny>> {
        let made = self.value.get_or_try_init(py, || {
            let mut pending = self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let value = pending.take().ok_or_else(|| errors::internal_error(py, "a receipt's value was lost"))?;
            value.into_py(py)
        })?;
        Ok(made.bind(py))
    }
}

#[pymethods]
impl PyReceipt {
    /// The object the command is about, after the command.
    #[getter]
    fn value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.value_object(py).cloned()
    }
    /// The events the command caused (on a replay: those of the first run).
    #[getter]
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.events.to_py(py)
    }
    /// The changed aggregate's version after the command.
    #[getter]
    fn version(&self) -> u64 {
        self.version
    }
    /// Whether this outcome was replayed from an earlier run with the same request key.
    #[getter]
    fn replayed(&self) -> bool {
        self.replayed
    }
    /// `Receipt[SeatBooking]` in annotations.
    #[classmethod]
    fn __class_getitem__<'py>(cls: &Bound<'py, PyType>, item: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = cls.py();
        py.import("types")?.getattr("GenericAlias")?.call1((cls, item))
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let kinds = PyTuple::new(py, self.events.iter().map(|e| e.kind.name()))?;
        repr_of(
            "Receipt",
            &[
                ("value", self.value_object(py)?.clone()),
                ("events", kinds.into_any()),
                ("version", self.version.to_py(py)?),
                ("replayed", self.replayed.to_py(py)?),
            ],
        )
    }
}

// --- the read side -------------------------------------------------------------------------

/// One item of a student's agenda: their seat booking in a session, or one of their lessons.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "StudentAgendaItem")]
#[derive(PartialEq)]
pub(crate) struct PyStudentAgendaItem(pub(crate) StudentAgendaItem);

py_methods! {
    PyStudentAgendaItem(StudentAgendaItem) repr(kind, booking_id, session_id, starts_at, status, waitlist_position) {
        /// Session or lesson (`AgendaKind`).
        kind,
        /// The seat booking's or the lesson's id (what cancel, accept or reschedule take).
        booking_id,
        /// The session, for a seat.
        session_id,
        /// The teacher.
        teacher_id,
        /// The course, if any.
        course_id,
        /// The session's title (lessons have none).
        title,
        /// When it starts.
        starts_at,
        /// When it ends.
        ends_at,
        /// The session's or the slot's zone, for display (a `zoneinfo.ZoneInfo`).
        time_zone,
        /// Where it stands (`AgendaStatus`).
        status,
        /// Seats the booking takes (1 for a lesson).
        seats,
        /// The place on the waitlist (1 = next), while waitlisted.
        waitlist_position,
        /// When a seat offer runs out, while offered.
        offer_expires_at,
        /// Where it takes place: shown only to a student who has their place (confirmed,
        /// attended, no-show), and for a lesson once the teacher set it.
        meeting_link,
        /// The lesson's series, if booked as one.
        series_id,
    }
}

/// A group session as anyone may see it before booking: what it is, its seat counts and
/// whether it takes bookings, without any student's ids; for a student, also their own
/// booking there (`Engine.session_summary`).
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "SessionSummary")]
#[derive(PartialEq)]
pub(crate) struct PySessionSummary(pub(crate) SessionSummary);

py_methods! {
    PySessionSummary(SessionSummary) repr(session_id, title, starts_at, seats_remaining, waitlist_length, availability) {
        /// The session.
        session_id,
        /// Its teacher.
        teacher_id,
        /// Its course, if any.
        course_id,
        /// Its title.
        title,
        /// When it starts (aware, UTC).
        starts_at,
        /// When it ends (aware, UTC).
        ends_at,
        /// The teacher's zone (`ZoneInfo`), for display.
        time_zone,
        /// Length in minutes.
        duration_minutes,
        /// Its seats.
        capacity,
        /// Seats taken (confirmed, offered, attended, no-show bookings).
        seats_taken,
        /// Seats still free.
        seats_remaining,
        /// Whether new students may join the waitlist.
        waitlist_enabled,
        /// How freed seats reach the waitlist (`WaitlistMode`).
        waitlist_mode,
        /// Bookings on the waitlist.
        waitlist_length,
        /// The most seats one booking may take (`None`: up to the capacity).
        max_seats_per_booking,
        /// Whether it takes bookings at the instant it was read (`BookingAvailability`).
        availability,
        /// When it was cancelled, if it was.
        cancelled_at,
        /// Where it takes place: shown to its teacher, an admin, the system, and a student who
        /// has their place (confirmed, attended, no-show); `None` otherwise.
        meeting_link,
        /// The asking student's live booking in it (a `StudentAgendaItem` with its waitlist
        /// place or offer deadline), or `None`.
        own_booking,
    }
}

/// One item of a teacher's agenda: one of their sessions with its seat counts, or one of
/// their lessons.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "TeacherAgendaItem")]
#[derive(PartialEq)]
pub(crate) struct PyTeacherAgendaItem(pub(crate) TeacherAgendaItem);

py_methods! {
    PyTeacherAgendaItem(TeacherAgendaItem) repr(kind, session_id, booking_id, starts_at, cancelled, seats_taken, seats_remaining) {
        /// Session or lesson (`AgendaKind`).
        kind,
        /// The session, for a session.
        session_id,
        /// The lesson's id, for a lesson.
        booking_id,
        /// The session's title (lessons have none).
        title,
        /// The course, if any.
        course_id,
        /// When it starts.
        starts_at,
        /// When it ends.
        ends_at,
        /// Its zone, for display.
        time_zone,
        /// Whether the session or the lesson was cancelled (a lesson also when declined).
        cancelled,
        /// The lesson's status (`LessonStatus`), for a lesson.
        lesson_status,
        /// The lesson's student, for a lesson.
        student_id,
        /// The lesson's series, if booked as one.
        series_id,
        /// The session's seats (1 for a lesson).
        capacity,
        /// Seats taken (confirmed, offered, attended, no-show bookings).
        seats_taken,
        /// Seats still free.
        seats_remaining,
        /// Bookings on the waitlist.
        waitlist_length,
        /// Outstanding seat offers.
        open_offers,
        /// Where it takes place: the session's link, or the lesson's once one is set.
        meeting_link,
    }
}

/// A lesson waiting for its teacher's approval.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "ApprovalRequest")]
#[derive(PartialEq)]
pub(crate) struct PyApprovalRequest(pub(crate) ApprovalRequest);

py_methods! {
    PyApprovalRequest(ApprovalRequest) repr(booking_id, student_id, starts_at, requested_at) {
        /// The lesson (what approve and decline take).
        booking_id,
        /// Who asks.
        student_id,
        /// The course, if any.
        course_id,
        /// The slot it was requested from.
        slot_id,
        /// Its series, if requested as one (each lesson of a series is approved on its own).
        series_id,
        /// When it would start.
        starts_at,
        /// When it would end.
        ends_at,
        /// The slot's zone, for display.
        time_zone,
        /// When it was requested (the queue's order).
        requested_at,
    }
}

/// One booking on a session's roster.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "RosterEntry")]
#[derive(PartialEq)]
pub(crate) struct PyRosterEntry(pub(crate) RosterEntry);

py_methods! {
    PyRosterEntry(RosterEntry) repr(booking_id, student_id, status, seats, waitlist_position) {
        /// The booking; withheld (`None`) from a student reading another student's entry.
        booking_id,
        /// The student; withheld (`None`) from a student reading another student's entry.
        student_id,
        /// Where it stands (`SeatStatus`): confirmed, attended, no-show, offered or waitlisted.
        status,
        /// Seats it takes or waits for.
        seats,
        /// The place on the waitlist (1 = next), while waitlisted.
        waitlist_position,
        /// When the seat offer runs out, while offered.
        offer_expires_at,
        /// When it was booked.
        booked_at,
    }
}

/// A session's roster: its counts, and one page of its bookings.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "Roster")]
#[derive(PartialEq)]
pub(crate) struct PyRoster(pub(crate) Roster);

py_methods! {
    PyRoster(Roster) repr(session_id, capacity, seats_taken, seats_remaining, waitlist_length) {
        /// The session.
        session_id,
        /// Its seats.
        capacity,
        /// Seats taken.
        seats_taken,
        /// Seats still free.
        seats_remaining,
        /// Bookings on the waitlist.
        waitlist_length,
        /// One `Page` of `RosterEntry`: seat holders (confirmed, attended, no-show) in booking
        /// order, then the open offers by deadline, then the waitlist in order.
        entries,
    }
}

/// A session or a lesson that starts in a window, for reminders.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "StartingItem")]
#[derive(PartialEq)]
pub(crate) struct PyStartingItem(pub(crate) StartingItem);

py_methods! {
    PyStartingItem(StartingItem) repr(kind, session_id, booking_id, starts_at, seats_taken) {
        /// Session or lesson (`AgendaKind`).
        kind,
        /// The session, for a session (its roster names whom to remind).
        session_id,
        /// The lesson's id, for a lesson.
        booking_id,
        /// The teacher.
        teacher_id,
        /// The lesson's student, for a lesson.
        student_id,
        /// The course, if any.
        course_id,
        /// The session's title (lessons have none).
        title,
        /// When it starts.
        starts_at,
        /// When it ends.
        ends_at,
        /// Its zone, for display.
        time_zone,
        /// Where it takes place, if known.
        meeting_link,
        /// Seats taken (1 for a lesson).
        seats_taken,
    }
}

/// One event in the outbox, at its position.
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "OutboxEntry")]
#[derive(PartialEq)]
pub(crate) struct PyOutboxEntry(pub(crate) OutboxEntry);

py_methods! {
    PyOutboxEntry(OutboxEntry) repr(position, event = |o| o.event.kind.name()) {
        /// Its position: positions grow in commit order (a commit's events in their order), are
        /// never reused, and start at 1. Acknowledge up to it once relayed.
        position,
        /// The event.
        event,
    }
}

wrapped! {
    StudentAgendaItem => PyStudentAgendaItem,
    TeacherAgendaItem => PyTeacherAgendaItem,
    ApprovalRequest => PyApprovalRequest,
    RosterEntry => PyRosterEntry,
    StartingItem => PyStartingItem,
    OutboxEntry => PyOutboxEntry,
}

/// The lists a [`PyPage`] can hold, one variant per item type.
#[derive(PartialEq)]
pub(crate) enum PageItems {
    Student(Page<StudentAgendaItem>),
    Teacher(Page<TeacherAgendaItem>),
    Approvals(Page<ApprovalRequest>),
    Roster(Page<RosterEntry>),
    Starting(Page<StartingItem>),
}

/// Each page type as its [`PageItems`] variant, and as a `Page` object.
macro_rules! pages {
    ($($item:ty => $variant:ident),* $(,)?) => {$(
        impl From<Page<$item>> for PageItems {
            fn from(page: Page<$item>) -> Self {
                PageItems::$variant(page)
            }
        }
        impl ToPy for Page<$item> {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                Ok(Bound::new(py, PyPage(self.clone().into()))?.into_any())
            }
        }
    )*};
}
pages! {
    StudentAgendaItem => Student,
    TeacherAgendaItem => Teacher,
    ApprovalRequest => Approvals,
    RosterEntry => Roster,
    StartingItem => Starting,
}

/// One page of a list: its `items`, and `next`, the token to pass as `after=` for the next
/// page (`None` at the end of the list; while it is set, the next page may still be empty).
#[pyclass(frozen, eq, module = "booking_engine._booking", name = "Page")]
#[derive(PartialEq)]
pub(crate) struct PyPage(pub(crate) PageItems);

impl PyPage {
    fn parts(&self) -> (&dyn ToPy, Option<&booking_core::read::PageToken>, usize) {
        match &self.0 {
            PageItems::Student(p) => (&p.items, p.next.as_ref(), p.items.len()),
            PageItems::Teacher(p) => (&p.items, p.next.as_ref(), p.items.len()),
            PageItems::Approvals(p) => (&p.items, p.next.as_ref(), p.items.len()),
            PageItems::Roster(p) => (&p.items, p.next.as_ref(), p.items.len()),
            PageItems::Starting(p) => (&p.items, p.next.as_ref(), p.items.len()),
        }
    }
}

#[pymethods]
impl PyPage {
    /// The items, in the list's order (a new list on each read).
    #[getter]
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.parts().0.to_py(py)
    }
    /// Where to continue (pass it as `after=`): set while more items may follow, `None` at the
    /// end of the list.
    #[getter]
    fn next(&self) -> Option<&str> {
        self.parts().1.map(|t| t.as_str())
    }
    fn __len__(&self) -> usize {
        self.parts().2
    }
    /// `Page[StudentAgendaItem]` in annotations.
    #[classmethod]
    fn __class_getitem__<'py>(cls: &Bound<'py, PyType>, item: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = cls.py();
        py.import("types")?.getattr("GenericAlias")?.call1((cls, item))
    }
    fn __repr__(&self) -> String {
        let (_, next, len) = self.parts();
        match next {
            Some(token) => format!("Page(items={len}, next={:?})", token.as_str()),
            None => format!("Page(items={len})"),
        }
    }
}
