//! Python values out: the engine's results as immutable (frozen) Python objects.
//!
//! Each class keeps the core's value and converts a field when it is read, so returning a
//! result costs one allocation, whatever its size. Every output conversion lives here.

use crate::convert::{self, BOOKING_AVAILABILITY, Count, EVENT_KIND, Id, LESSON_STATUS, PyActor, SEAT_STATUS, WEEKDAY};
use crate::errors::{self, Result};
use booking_core::{
    BookingId, CourseId, Event, EventKind, GroupSession, SchedulingRules, SeatBooking, UserId, WaitlistMode,
    availability::{AvailabilitySlot, SlotRecurrence, TimeOff},
    lesson::{BookableOccurrence, Calendar, Hold, Lesson, SeriesBooking, SessionHold, SkippedOccurrence},
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};
use std::sync::Arc;

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

fn obj<'py, T: IntoPyObject<'py>>(py: Python<'py>, value: T) -> PyResult<Bound<'py, PyAny>> {
    value.into_bound_py_any(py)
}

/// A Python list of `wrap(item)` objects, allocated at its final length.
pub(crate) fn list_of<'py, T, P: pyo3::PyClass + Into<pyo3::PyClassInitializer<P>>>(
    py: Python<'py>,
    items: impl IntoIterator<Item = T>,
    wrap: impl Fn(T) -> P,
) -> PyResult<Bound<'py, PyList>> {
    let objects = items.into_iter().map(|item| Bound::new(py, wrap(item))).collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, objects)
}

/// Decodes a stored document (as a `DocumentStore` keeps it) into the core's type.
fn from_document<T: serde::de::DeserializeOwned>(what: &str, body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|e| {
        errors::Error::Booking(booking_core::BookingError::CorruptRecord {
            record: what.to_owned(),
            detail: e.to_string(),
        })
    })
}

/// One student's booking in a group session.
#[pyclass(frozen, eq, module = "booking._booking", name = "SeatBooking")]
#[derive(PartialEq)]
pub(crate) struct PySeatBooking(pub(crate) SeatBooking);

#[pymethods]
impl PySeatBooking {
    /// Decodes a finished booking's body from the booking history
    /// (`DocumentCommit.finished_bookings`), for projections.
    #[staticmethod]
    fn from_document(body: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self(from_document::<SeatBooking>("seat booking document", &convert::text("body", body)?)?))
    }
    /// The booking's id.
    #[getter]
    fn id(&self) -> Id {
        Id(self.0.id.as_uuid())
    }
    /// Its session.
    #[getter]
    fn session_id(&self) -> Id {
        Id(self.0.session_id.as_uuid())
    }
    /// The student.
    #[getter]
    fn student_id(&self) -> Id {
        Id(self.0.student_id.as_uuid())
    }
    /// Where it stands (`SeatStatus`).
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        SEAT_STATUS.member(py, self.0.status.as_str())
    }
    /// When it was made (engine clock).
    #[getter]
    fn booked_at(&self) -> DateTime<Utc> {
        self.0.booked_at
    }
    /// When its status last changed.
    #[getter]
    fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// How many seats it takes (a parent booking for two children takes 2), all or nothing;
    /// on the waitlist it waits for them as one.
    #[getter]
    fn seats(&self) -> u32 {
        self.0.seats
    }
    /// While `OFFERED`: when the offer runs out.
    #[getter]
    fn offer_expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.offer_expires_at
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "SeatBooking",
            &[
                ("id", obj(py, self.id())?),
                ("session_id", obj(py, self.session_id())?),
                ("student_id", obj(py, self.student_id())?),
                ("status", self.status(py)?),
                ("seats", obj(py, self.0.seats)?),
                ("offer_expires_at", obj(py, self.0.offer_expires_at)?),
                ("booked_at", obj(py, self.0.booked_at)?),
            ],
        )
    }
}

/// A seat-based group session with its bookings, in the order they were made.
#[pyclass(frozen, eq, module = "booking._booking", name = "GroupSession")]
#[derive(PartialEq)]
pub(crate) struct PyGroupSession(pub(crate) Arc<GroupSession>);

#[pymethods]
impl PyGroupSession {
    /// Decodes a stored session document (a `DocumentStore` body), for projections.
    #[staticmethod]
    fn from_document(body: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self(Arc::new(from_document::<GroupSession>("session document", &convert::text("body", body)?)?)))
    }
    /// The session's id.
    #[getter]
    fn id(&self) -> Id {
        Id(self.0.id.as_uuid())
    }
    /// Its teacher.
    #[getter]
    fn teacher_id(&self) -> Id {
        Id(self.0.teacher_id.as_uuid())
    }
    /// Its course, if any.
    #[getter]
    fn course_id(&self) -> Option<Id> {
        self.0.course_id.map(|c| Id(c.as_uuid()))
    }
    /// Its title.
    #[getter]
    fn title(&self) -> &str {
        &self.0.title
    }
    /// When it starts.
    #[getter]
    fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    /// When it ends.
    #[getter]
    fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at()
    }
    /// The zone it is shown in (a `zoneinfo.ZoneInfo`).
    #[getter]
    fn time_zone(&self) -> chrono_tz::Tz {
        self.0.time_zone
    }
    /// Length in minutes.
    #[getter]
    fn duration_minutes(&self) -> u32 {
        self.0.duration_minutes
    }
    /// Its meeting link.
    #[getter]
    fn meeting_link(&self) -> &str {
        self.0.meeting_link.as_str()
    }
    /// Number of seats.
    #[getter]
    fn capacity(&self) -> u32 {
        self.0.capacity
    }
    /// Whether students may queue once every seat is taken.
    #[getter]
    fn waitlist_enabled(&self) -> bool {
        self.0.waitlist_enabled
    }
    /// How a freed seat reaches the waitlist (`WaitlistMode`).
    #[getter]
    fn waitlist_mode(&self) -> PyWaitlistMode {
        PyWaitlistMode::from(self.0.waitlist_mode)
    }
    /// The booking window and cancellation cut-off in effect, resolved when it was created.
    #[getter]
    fn rules(&self) -> PySchedulingRules {
        PySchedulingRules(self.0.rules)
    }
    /// The earliest instant an outstanding seat offer runs out, if any.
    #[getter]
    fn next_offer_deadline(&self) -> Option<DateTime<Utc>> {
        self.0.next_offer_deadline()
    }
    /// When it was created.
    #[getter]
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was cancelled, if it was.
    #[getter]
    fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.0.cancelled_at
    }
    /// Its version (1 when created, +1 per change).
    #[getter]
    fn version(&self) -> u64 {
        self.0.version
    }
    /// The live bookings, in the order they were made; finished ones (cancelled, declined,
    /// expired) are in the store's booking history, read by id with `Engine.seat_booking`.
    #[getter]
    fn bookings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        list_of(py, self.0.bookings.iter().cloned(), PySeatBooking)
    }
    /// The waitlisted bookings, in queue order.
    #[getter]
    fn waitlist<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        list_of(py, self.0.waitlist().cloned(), PySeatBooking)
    }
    /// Seats taken (confirmed, offered and attended bookings, counted in seats).
    #[getter]
    fn booked_seats(&self) -> u32 {
        self.0.booked_seats()
    }
    /// Seats still free.
    #[getter]
    fn remaining_seats(&self) -> u32 {
        self.0.remaining_seats()
    }
    /// Whether every seat is taken.
    #[getter]
    fn is_full(&self) -> bool {
        self.0.is_full()
    }
    /// How many students wait.
    #[getter]
    fn waitlisted_count(&self) -> u32 {
        self.0.waitlisted_count()
    }
    /// Whether it was cancelled.
    #[getter]
    fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
    /// Whether it stopped taking bookings (full and no waitlist).
    #[getter]
    fn is_closed_for_booking(&self) -> bool {
        self.0.is_closed_for_booking()
    }
    /// Whether it takes bookings at `now` (`BookingAvailability`).
    fn availability<'py>(&self, py: Python<'py>, now: &Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>> {
        let now = crate::convert::instant("now", now)?;
        let name = match self.0.availability(now) {
            booking_core::BookingAvailability::Open => "open",
            booking_core::BookingAvailability::WaitlistOnly => "waitlist_only",
            booking_core::BookingAvailability::Closed => "closed",
            booking_core::BookingAvailability::Started => "started",
            booking_core::BookingAvailability::Cancelled => "cancelled",
        };
        Ok(BOOKING_AVAILABILITY.member(py, name)?)
    }
    /// The booking with this id, if it is in this session.
    fn booking(&self, id: &Bound<'_, PyAny>) -> Result<Option<PySeatBooking>> {
        let id = BookingId(crate::convert::uuid_of("id", id)?);
        Ok(self.0.booking(id).cloned().map(PySeatBooking))
    }
    /// The student's active (confirmed, waitlisted or offered) booking here, if any.
    fn active_booking_of(&self, student_id: &Bound<'_, PyAny>) -> Result<Option<PySeatBooking>> {
        let id = UserId(crate::convert::uuid_of("student_id", student_id)?);
        Ok(self.0.active_booking_of(id).cloned().map(PySeatBooking))
    }
    /// The booking's 1-based place in the waitlist, if it waits.
    fn waitlist_position(&self, id: &Bound<'_, PyAny>) -> Result<Option<u32>> {
        Ok(self.0.waitlist_position(BookingId(crate::convert::uuid_of("id", id)?)))
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "GroupSession",
            &[
                ("id", obj(py, self.id())?),
                ("title", obj(py, self.title())?),
                ("starts_at", obj(py, self.starts_at())?),
                ("capacity", obj(py, self.capacity())?),
                ("booked_seats", obj(py, self.booked_seats())?),
                ("waitlisted_count", obj(py, self.waitlisted_count())?),
                ("waitlist_enabled", obj(py, self.waitlist_enabled())?),
                ("cancelled_at", obj(py, self.cancelled_at())?),
                ("version", obj(py, self.version())?),
            ],
        )
    }
}

/// Weekly availability: every week on `weekday` from `start_time` to `end_time`, wall times in
/// the slot's zone (an `end_time` not after `start_time` ends the next day).
#[pyclass(frozen, eq, module = "booking._booking", name = "WeeklySlot")]
#[derive(PartialEq)]
pub(crate) struct PyWeeklySlot {
    pub(crate) weekday: chrono::Weekday,
    pub(crate) start_time: NaiveTime,
    pub(crate) end_time: NaiveTime,
    pub(crate) valid_from: NaiveDate,
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
            start_time: crate::convert::time("start_time", start_time)?,
            end_time: crate::convert::time("end_time", end_time)?,
            valid_from: crate::convert::date("valid_from", valid_from)?,
            valid_until: match valid_until {
                Some(v) if !v.is_none() => Some(crate::convert::date("valid_until", v)?),
                _ => None,
            },
        })
    }
    /// The day each occurrence starts on (`Weekday`).
    #[getter]
    fn weekday<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        WEEKDAY.weekday(py, self.weekday)
    }
    /// Wall time each occurrence starts at.
    #[getter]
    fn start_time(&self) -> NaiveTime {
        self.start_time
    }
    /// Wall time each occurrence ends at.
    #[getter]
    fn end_time(&self) -> NaiveTime {
        self.end_time
    }
    /// First date an occurrence may start on.
    #[getter]
    fn valid_from(&self) -> NaiveDate {
        self.valid_from
    }
    /// Last date an occurrence may start on (`None`: open-ended).
    #[getter]
    fn valid_until(&self) -> Option<NaiveDate> {
        self.valid_until
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "WeeklySlot",
            &[
                ("weekday", self.weekday(py)?),
                ("start_time", obj(py, self.start_time)?),
                ("end_time", obj(py, self.end_time)?),
                ("valid_from", obj(py, self.valid_from)?),
                ("valid_until", obj(py, self.valid_until)?),
            ],
        )
    }
}

/// One-time availability from `start` to `end`: naive datetimes, wall times in the slot's zone.
#[pyclass(frozen, eq, module = "booking._booking", name = "OneTimeSlot")]
#[derive(PartialEq)]
pub(crate) struct PyOneTimeSlot {
    pub(crate) start: NaiveDateTime,
    pub(crate) end: NaiveDateTime,
}

#[pymethods]
impl PyOneTimeSlot {
    #[new]
    fn new(start: &Bound<'_, PyAny>, end: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self { start: crate::convert::wall_time("start", start)?, end: crate::convert::wall_time("end", end)? })
    }
    /// Wall time it starts at.
    #[getter]
    fn start(&self) -> NaiveDateTime {
        self.start
    }
    /// Wall time it ends at.
    #[getter]
    fn end(&self) -> NaiveDateTime {
        self.end
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of("OneTimeSlot", &[("start", obj(py, self.start)?), ("end", obj(py, self.end)?)])
    }
}

/// A slot recurrence as its Python object.
pub(crate) fn recurrence<'py>(py: Python<'py>, r: &SlotRecurrence) -> PyResult<Bound<'py, PyAny>> {
    match r {
        SlotRecurrence::Weekly { weekday, start_time, end_time, valid_from, valid_until } => Ok(Bound::new(
            py,
            PyWeeklySlot {
                weekday: *weekday,
                start_time: *start_time,
                end_time: *end_time,
                valid_from: *valid_from,
                valid_until: *valid_until,
            },
        )?
        .into_any()),
        SlotRecurrence::OneTime { start, end } => {
            Ok(Bound::new(py, PyOneTimeSlot { start: *start, end: *end })?.into_any())
        }
    }
}

/// A teacher's availability slot.
#[pyclass(frozen, eq, module = "booking._booking", name = "AvailabilitySlot")]
#[derive(PartialEq)]
pub(crate) struct PyAvailabilitySlot(pub(crate) AvailabilitySlot);

#[pymethods]
impl PyAvailabilitySlot {
    /// The slot's id.
    #[getter]
    fn id(&self) -> Id {
        Id(self.0.id.as_uuid())
    }
    /// The teacher offering it.
    #[getter]
    fn teacher_id(&self) -> Id {
        Id(self.0.teacher_id.as_uuid())
    }
    /// The course it is reserved for, if any.
    #[getter]
    fn course_id(&self) -> Option<Id> {
        self.0.course_id.map(|c| Id(c.as_uuid()))
    }
    /// The zone its wall times are read in.
    #[getter]
    fn time_zone(&self) -> chrono_tz::Tz {
        self.0.time_zone
    }
    /// `WeeklySlot` or `OneTimeSlot`.
    #[getter]
    fn recurrence<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        recurrence(py, &self.0.recurrence)
    }
    /// Whether it is offered.
    #[getter]
    fn active(&self) -> bool {
        self.0.active
    }
    /// The slot's own scheduling rules (they win over the teacher's).
    #[getter]
    fn rules(&self) -> PySchedulingRules {
        PySchedulingRules(self.0.rules)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "AvailabilitySlot",
            &[
                ("id", obj(py, self.id())?),
                ("teacher_id", obj(py, self.teacher_id())?),
                ("course_id", obj(py, self.course_id())?),
                ("time_zone", obj(py, self.time_zone())?),
                ("recurrence", self.recurrence(py)?),
                ("active", obj(py, self.active())?),
            ],
        )
    }
}

/// A 1:1 lesson booked from an availability slot.
#[pyclass(frozen, eq, module = "booking._booking", name = "Lesson")]
#[derive(PartialEq)]
pub(crate) struct PyLesson(pub(crate) Arc<Lesson>);

#[pymethods]
impl PyLesson {
    /// Decodes a stored lesson document (a `DocumentStore` body), for projections.
    #[staticmethod]
    fn from_document(body: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self(Arc::new(from_document::<Lesson>("lesson document", &convert::text("body", body)?)?)))
    }
    /// The lesson's (booking) id.
    #[getter]
    fn id(&self) -> Id {
        Id(self.0.id.as_uuid())
    }
    /// The teacher.
    #[getter]
    fn teacher_id(&self) -> Id {
        Id(self.0.teacher_id.as_uuid())
    }
    /// The student.
    #[getter]
    fn student_id(&self) -> Id {
        Id(self.0.student_id.as_uuid())
    }
    /// The slot it was booked from.
    #[getter]
    fn slot_id(&self) -> Id {
        Id(self.0.slot_id.as_uuid())
    }
    /// The slot's course, if any.
    #[getter]
    fn course_id(&self) -> Option<Id> {
        self.0.course_id.map(|c| Id(c.as_uuid()))
    }
    /// Its series, if booked as one.
    #[getter]
    fn series_id(&self) -> Option<Id> {
        self.0.series_id.map(|s| Id(s.as_uuid()))
    }
    /// When it starts.
    #[getter]
    fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    /// When it ends.
    #[getter]
    fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    /// The slot's zone.
    #[getter]
    fn time_zone(&self) -> chrono_tz::Tz {
        self.0.time_zone
    }
    /// Start and end as wall times in the slot's zone.
    #[getter]
    fn local_times(&self) -> (NaiveDateTime, NaiveDateTime) {
        self.0.local_times()
    }
    /// Where it stands (`LessonStatus`).
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        LESSON_STATUS.member(py, self.0.status.as_str())
    }
    /// Its meeting link, if set.
    #[getter]
    fn meeting_link(&self) -> Option<&str> {
        self.0.meeting_link.as_ref().map(|l| l.as_str())
    }
    /// When it was requested.
    #[getter]
    fn requested_at(&self) -> DateTime<Utc> {
        self.0.requested_at
    }
    /// When it last changed.
    #[getter]
    fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Its version.
    #[getter]
    fn version(&self) -> u64 {
        self.0.version
    }
    /// The scheduling rules in force when it was booked (or last rescheduled): its cut-offs
    /// and its buffers in the teacher's calendar.
    #[getter]
    fn rules(&self) -> PySchedulingRules {
        PySchedulingRules(self.0.rules)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "Lesson",
            &[
                ("id", obj(py, self.id())?),
                ("teacher_id", obj(py, self.teacher_id())?),
                ("student_id", obj(py, self.student_id())?),
                ("starts_at", obj(py, self.starts_at())?),
                ("status", self.status(py)?),
                ("series_id", obj(py, self.series_id())?),
                ("meeting_link", obj(py, self.meeting_link())?),
            ],
        )
    }
}

/// An active lesson's hold on a calendar.
#[pyclass(frozen, eq, module = "booking._booking", name = "Hold")]
#[derive(PartialEq)]
pub(crate) struct PyHold(pub(crate) Hold);

#[pymethods]
impl PyHold {
    /// The lesson.
    #[getter]
    fn booking_id(&self) -> Id {
        Id(self.0.booking_id.as_uuid())
    }
    /// Its series, if any.
    #[getter]
    fn series_id(&self) -> Option<Id> {
        self.0.series_id.map(|s| Id(s.as_uuid()))
    }
    /// Its course, if any.
    #[getter]
    fn course_id(&self) -> Option<Id> {
        self.0.course_id.map(|c| Id(c.as_uuid()))
    }
    /// Its teacher (the calendar's owner when the owner teaches it).
    #[getter]
    fn teacher_id(&self) -> Id {
        Id(self.0.teacher_id.as_uuid())
    }
    /// Start.
    #[getter]
    fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    /// End.
    #[getter]
    fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    /// Start of the time it keeps busy here: the start, less the teacher's buffer before it
    /// (in the teacher's calendar).
    #[getter]
    fn busy_from(&self) -> DateTime<Utc> {
        self.0.busy_from
    }
    /// End of the time it keeps busy here: the end, plus the teacher's buffer after it (in
    /// the teacher's calendar).
    #[getter]
    fn busy_until(&self) -> DateTime<Utc> {
        self.0.busy_until
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "Hold",
            &[
                ("booking_id", obj(py, self.booking_id())?),
                ("series_id", obj(py, self.series_id())?),
                ("starts_at", obj(py, self.starts_at())?),
                ("ends_at", obj(py, self.ends_at())?),
                ("busy_from", obj(py, self.busy_from())?),
                ("busy_until", obj(py, self.busy_until())?),
            ],
        )
    }
}

/// A person's calendar: a teacher's slots, and the holds of their active lessons.
#[pyclass(frozen, eq, module = "booking._booking", name = "Calendar")]
#[derive(PartialEq)]
pub(crate) struct PyCalendar(pub(crate) Arc<Calendar>);

#[pymethods]
impl PyCalendar {
    /// Decodes a stored calendar document (a `DocumentStore` body), for projections.
    #[staticmethod]
    fn from_document(body: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self(Arc::new(from_document::<Calendar>("calendar document", &convert::text("body", body)?)?)))
    }
    /// Whose calendar.
    #[getter]
    fn owner(&self) -> Id {
        Id(self.0.owner.as_uuid())
    }
    /// Its version (0: nothing stored yet).
    #[getter]
    fn version(&self) -> u64 {
        self.0.version
    }
    /// The slots (teachers).
    #[getter]
    fn slots<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        list_of(py, self.0.slots.iter().cloned(), PyAvailabilitySlot)
    }
    /// The active lessons' holds, by busy time (kept a few days after they end, so the
    /// per-day and per-week limits can count them).
    #[getter]
    fn holds<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        list_of(py, self.0.holds.iter().copied(), PyHold)
    }
    /// The group sessions the owner teaches that have not ended, by start.
    #[getter]
    fn sessions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        list_of(py, self.0.sessions.iter().copied(), PySessionHold)
    }
    /// The owner's default scheduling rules as a teacher.
    #[getter]
    fn rules(&self) -> PySchedulingRules {
        PySchedulingRules(self.0.rules)
    }
    /// The owner's scheduling rules per course (a dict by course id), which win over `rules`.
    #[getter]
    fn course_rules<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for c in &self.0.course_rules {
            dict.set_item(Id(c.course_id.as_uuid()), PySchedulingRules(c.rules))?;
        }
        Ok(dict)
    }
    /// The owner's time off, by first day.
    #[getter]
    fn time_off<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        list_of(py, self.0.time_off.iter().cloned(), PyTimeOff)
    }
    /// The owner's rules for a course (their course rules over their default rules), before
    /// any slot's own rules; `None`: the default rules.
    #[pyo3(signature = (course_id = None))]
    fn rules_for_course(&self, course_id: Option<&Bound<'_, PyAny>>) -> Result<PySchedulingRules> {
        let course = crate::convert::opt_uuid("course_id", course_id)?.map(CourseId);
        Ok(PySchedulingRules(self.0.rules_for_course(course)))
    }
    /// The rules in force for bookings of one of this calendar's slots: the slot's, then the
    /// owner's for its course, then the owner's.
    fn rules_for_slot(&self, slot: &Bound<'_, PyAny>) -> Result<PySchedulingRules> {
        let slot = convert::instance::<PyAvailabilitySlot>("slot", slot, "an AvailabilitySlot")?;
        Ok(PySchedulingRules(self.0.rules_for_slot(&slot.get().0)))
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "Calendar",
            &[
                ("owner", obj(py, self.owner())?),
                ("version", obj(py, self.version())?),
                ("slots", obj(py, self.0.slots.len())?),
                ("holds", obj(py, self.0.holds.len())?),
                ("sessions", obj(py, self.0.sessions.len())?),
                ("time_off", obj(py, self.0.time_off.len())?),
            ],
        )
    }
}

/// Scheduling rules: every field optional (`None`: fall back to the next, less specific
/// level: slot, then the teacher's rules for the course, then the teacher's own).
#[pyclass(frozen, eq, hash, module = "booking._booking", name = "SchedulingRules")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PySchedulingRules(pub(crate) SchedulingRules);

/// The field names of `SchedulingRules`, in order.
const RULE_FIELDS: [&str; 10] = [
    "min_notice_minutes",
    "max_advance_days",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "cancel_cutoff_minutes",
    "reschedule_cutoff_minutes",
    "max_lessons_per_day",
    "max_lessons_per_week",
    "max_upcoming_lessons_per_student",
    "max_seats_per_booking",
];

impl PySchedulingRules {
    fn values(&self) -> [Option<u32>; 10] {
        let r = &self.0;
        [
            r.min_notice_minutes,
            r.max_advance_days,
            r.buffer_before_minutes,
            r.buffer_after_minutes,
            r.cancel_cutoff_minutes,
            r.reschedule_cutoff_minutes,
            r.max_lessons_per_day,
            r.max_lessons_per_week,
            r.max_upcoming_lessons_per_student,
            r.max_seats_per_booking,
        ]
    }
}

#[pymethods]
impl PySchedulingRules {
    /// Rules with the given fields set; the core checks every range (`InvalidInputError`
    /// naming the field).
    #[new]
    #[pyo3(signature = (*, min_notice_minutes = None, max_advance_days = None, buffer_before_minutes = None,
        buffer_after_minutes = None, cancel_cutoff_minutes = None, reschedule_cutoff_minutes = None,
        max_lessons_per_day = None, max_lessons_per_week = None, max_upcoming_lessons_per_student = None,
        max_seats_per_booking = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        min_notice_minutes: Option<&Bound<'_, PyAny>>,
        max_advance_days: Option<&Bound<'_, PyAny>>,
        buffer_before_minutes: Option<&Bound<'_, PyAny>>,
        buffer_after_minutes: Option<&Bound<'_, PyAny>>,
        cancel_cutoff_minutes: Option<&Bound<'_, PyAny>>,
        reschedule_cutoff_minutes: Option<&Bound<'_, PyAny>>,
        max_lessons_per_day: Option<&Bound<'_, PyAny>>,
        max_lessons_per_week: Option<&Bound<'_, PyAny>>,
        max_upcoming_lessons_per_student: Option<&Bound<'_, PyAny>>,
        max_seats_per_booking: Option<&Bound<'_, PyAny>>,
    ) -> Result<Self> {
        let given = [
            convert::opt_count(RULE_FIELDS[0], min_notice_minutes)?,
            convert::opt_count(RULE_FIELDS[1], max_advance_days)?,
            convert::opt_count(RULE_FIELDS[2], buffer_before_minutes)?,
            convert::opt_count(RULE_FIELDS[3], buffer_after_minutes)?,
            convert::opt_count(RULE_FIELDS[4], cancel_cutoff_minutes)?,
            convert::opt_count(RULE_FIELDS[5], reschedule_cutoff_minutes)?,
            convert::opt_count(RULE_FIELDS[6], max_lessons_per_day)?,
            convert::opt_count(RULE_FIELDS[7], max_lessons_per_week)?,
            convert::opt_count(RULE_FIELDS[8], max_upcoming_lessons_per_student)?,
            convert::opt_count(RULE_FIELDS[9], max_seats_per_booking)?,
        ];
        let v = |i: usize| given[i].as_ref().map(|c| c.value);
        let rules = SchedulingRules {
            min_notice_minutes: v(0),
            max_advance_days: v(1),
            buffer_before_minutes: v(2),
            buffer_after_minutes: v(3),
            cancel_cutoff_minutes: v(4),
            reschedule_cutoff_minutes: v(5),
            max_lessons_per_day: v(6),
            max_lessons_per_week: v(7),
            max_upcoming_lessons_per_student: v(8),
            max_seats_per_booking: v(9),
        };
        // The core checks every range; a value out of the core's type reads as given.
        let counts: Vec<&Count> = given.iter().flatten().collect();
        rules.validate().map_err(|e| convert::restate(e.into(), &counts))?;
        Ok(Self(rules))
    }
    /// Bookings must start at least this many minutes after now.
    #[getter]
    fn min_notice_minutes(&self) -> Option<u32> {
        self.0.min_notice_minutes
    }
    /// Bookings must start at most this many days after now.
    #[getter]
    fn max_advance_days(&self) -> Option<u32> {
        self.0.max_advance_days
    }
    /// Minutes kept free before each 1:1 lesson in the teacher's calendar.
    #[getter]
    fn buffer_before_minutes(&self) -> Option<u32> {
        self.0.buffer_before_minutes
    }
    /// Minutes kept free after each 1:1 lesson in the teacher's calendar.
    #[getter]
    fn buffer_after_minutes(&self) -> Option<u32> {
        self.0.buffer_after_minutes
    }
    /// A student may not cancel within this many minutes of the start.
    #[getter]
    fn cancel_cutoff_minutes(&self) -> Option<u32> {
        self.0.cancel_cutoff_minutes
    }
    /// A student may not reschedule within this many minutes of the start.
    #[getter]
    fn reschedule_cutoff_minutes(&self) -> Option<u32> {
        self.0.reschedule_cutoff_minutes
    }
    /// At most this many 1:1 lessons per day for the teacher.
    #[getter]
    fn max_lessons_per_day(&self) -> Option<u32> {
        self.0.max_lessons_per_day
    }
    /// At most this many 1:1 lessons per ISO week for the teacher.
    #[getter]
    fn max_lessons_per_week(&self) -> Option<u32> {
        self.0.max_lessons_per_week
    }
    /// At most this many not-yet-ended 1:1 lessons per student in one course.
    #[getter]
    fn max_upcoming_lessons_per_student(&self) -> Option<u32> {
        self.0.max_upcoming_lessons_per_student
    }
    /// At most this many seats in one booking of a group session (unset everywhere: 1; a
    /// session records the limit in force when it was created).
    #[getter]
    fn max_seats_per_booking(&self) -> Option<u32> {
        self.0.max_seats_per_booking
    }
    /// Whether no field is set.
    #[getter]
    fn is_empty(&self) -> bool {
        self.0.is_empty()
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
            .map(|(name, value)| Ok((*name, obj(py, value)?)))
            .collect::<PyResult<Vec<_>>>()?;
        repr_of("SchedulingRules", &fields)
    }
}

/// How a freed seat reaches a session's waitlist: `WaitlistMode.promote()` (the first in line
/// gets it at once, the default) or `WaitlistMode.offer(hold_minutes=...)` (it is held for the
/// first in line, who accepts or declines; an unanswered offer expires and passes on).
#[pyclass(frozen, eq, hash, module = "booking._booking", name = "WaitlistMode")]
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
#[pyclass(frozen, eq, module = "booking._booking", name = "TimeOff")]
#[derive(PartialEq)]
pub(crate) struct PyTimeOff(pub(crate) TimeOff);

#[pymethods]
impl PyTimeOff {
    /// Its id (to remove it).
    #[getter]
    fn id(&self) -> Id {
        Id(self.0.id.as_uuid())
    }
    /// The teacher.
    #[getter]
    fn teacher_id(&self) -> Id {
        Id(self.0.teacher_id.as_uuid())
    }
    /// The first day off.
    #[getter]
    fn first_day(&self) -> NaiveDate {
        self.0.first_day
    }
    /// The last day off (inclusive).
    #[getter]
    fn last_day(&self) -> NaiveDate {
        self.0.last_day
    }
    /// The zone the days are read in.
    #[getter]
    fn time_zone(&self) -> chrono_tz::Tz {
        self.0.time_zone
    }
    /// The teacher's note, if any.
    #[getter]
    fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// The instant it starts (the start of `first_day` in its zone).
    #[getter]
    fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at()
    }
    /// The instant it ends (the start of the day after `last_day`).
    #[getter]
    fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at()
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "TimeOff",
            &[
                ("id", obj(py, self.id())?),
                ("teacher_id", obj(py, self.teacher_id())?),
                ("first_day", obj(py, self.0.first_day)?),
                ("last_day", obj(py, self.0.last_day)?),
                ("time_zone", obj(py, self.0.time_zone)?),
                ("note", obj(py, self.note())?),
            ],
        )
    }
}

/// A group session the calendar's owner teaches: 1:1 lessons cannot be booked over it.
#[pyclass(frozen, eq, module = "booking._booking", name = "SessionHold")]
#[derive(PartialEq)]
pub(crate) struct PySessionHold(pub(crate) SessionHold);

#[pymethods]
impl PySessionHold {
    /// The session.
    #[getter]
    fn session_id(&self) -> Id {
        Id(self.0.session_id.as_uuid())
    }
    /// Its start.
    #[getter]
    fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    /// Its end.
    #[getter]
    fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "SessionHold",
            &[
                ("session_id", obj(py, self.session_id())?),
                ("starts_at", obj(py, self.starts_at())?),
                ("ends_at", obj(py, self.ends_at())?),
            ],
        )
    }
}

/// One bookable occurrence, as instants and as wall times.
#[pyclass(frozen, eq, module = "booking._booking", name = "BookableOccurrence")]
#[derive(PartialEq)]
pub(crate) struct PyBookableOccurrence(pub(crate) BookableOccurrence);

#[pymethods]
impl PyBookableOccurrence {
    /// The slot (book with it and `starts_at`).
    #[getter]
    fn slot_id(&self) -> Id {
        Id(self.0.slot_id.as_uuid())
    }
    /// The slot's course.
    #[getter]
    fn course_id(&self) -> Option<Id> {
        self.0.course_id.map(|c| Id(c.as_uuid()))
    }
    /// Start.
    #[getter]
    fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    /// End.
    #[getter]
    fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    /// The teacher's (slot's) zone.
    #[getter]
    fn teacher_time_zone(&self) -> chrono_tz::Tz {
        self.0.teacher_time_zone
    }
    /// Start, wall time in the teacher's zone.
    #[getter]
    fn teacher_local_start(&self) -> NaiveDateTime {
        self.0.teacher_local_start
    }
    /// End, wall time in the teacher's zone.
    #[getter]
    fn teacher_local_end(&self) -> NaiveDateTime {
        self.0.teacher_local_end
    }
    /// The zone asked for.
    #[getter]
    fn viewer_time_zone(&self) -> chrono_tz::Tz {
        self.0.viewer_time_zone
    }
    /// Start, wall time in the viewer's zone.
    #[getter]
    fn viewer_local_start(&self) -> NaiveDateTime {
        self.0.viewer_local_start
    }
    /// End, wall time in the viewer's zone.
    #[getter]
    fn viewer_local_end(&self) -> NaiveDateTime {
        self.0.viewer_local_end
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "BookableOccurrence",
            &[
                ("slot_id", obj(py, self.slot_id())?),
                ("starts_at", obj(py, self.starts_at())?),
                ("ends_at", obj(py, self.ends_at())?),
                ("teacher_local_start", obj(py, self.teacher_local_start())?),
                ("viewer_local_start", obj(py, self.viewer_local_start())?),
            ],
        )
    }
}

/// An occurrence a series did not book, and why.
#[pyclass(frozen, eq, module = "booking._booking", name = "SkippedOccurrence")]
#[derive(PartialEq)]
pub(crate) struct PySkippedOccurrence(pub(crate) SkippedOccurrence);

#[pymethods]
impl PySkippedOccurrence {
    /// The date, in the slot's zone.
    #[getter]
    fn local_date(&self) -> NaiveDate {
        self.0.local_date
    }
    /// Its start, if the slot offers one that day.
    #[getter]
    fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.0.starts_at
    }
    /// Why: the `BookingError` (not raised) booking it alone would have raised.
    #[getter]
    fn reason<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        errors::exception(py, &self.0.reason)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of("SkippedOccurrence", &[("local_date", obj(py, self.local_date())?), ("reason", self.reason(py)?)])
    }
}

/// A booked series.
#[pyclass(frozen, eq, module = "booking._booking", name = "SeriesBooking")]
#[derive(PartialEq)]
pub(crate) struct PySeriesBooking(pub(crate) SeriesBooking);

#[pymethods]
impl PySeriesBooking {
    /// The series id.
    #[getter]
    fn series_id(&self) -> Id {
        Id(self.0.series_id.as_uuid())
    }
    /// Its lessons, in order.
    #[getter]
    fn lessons<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        list_of(py, self.0.lessons.iter().cloned(), |l| PyLesson(Arc::new(l)))
    }
    /// Occurrences not booked (`SeriesMode.BOOK_AVAILABLE` only).
    #[getter]
    fn skipped<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        list_of(py, self.0.skipped.iter().cloned(), PySkippedOccurrence)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "SeriesBooking",
            &[
                ("series_id", obj(py, self.series_id())?),
                ("lessons", obj(py, self.0.lessons.len())?),
                ("skipped", obj(py, self.0.skipped.len())?),
            ],
        )
    }
}

/// What one `Engine.process_expired_offers` call did: the events of every session it
/// processed, and the sessions it could not process, each with its error (not raised).
#[pyclass(frozen, eq, module = "booking._booking", name = "OfferSweep")]
#[derive(PartialEq)]
pub(crate) struct PyOfferSweep(pub(crate) booking_core::OfferSweep);

#[pymethods]
impl PyOfferSweep {
    /// The events of every session processed, session after session.
    #[getter]
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        list_of(py, self.0.events.iter().cloned(), PyEvent)
    }
    /// The sessions that could not be processed, in the order they were tried: `(session id,
    /// the BookingError it failed with)`. Each is unchanged and tried again by the next call.
    #[getter]
    fn failures<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let failures = self
            .0
            .failures
            .iter()
            .map(|(session, error)| (Id(session.as_uuid()), errors::exception(py, error)?).into_bound_py_any(py))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, failures)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "OfferSweep",
            &[("events", obj(py, self.0.events.len())?), ("failures", obj(py, self.0.failures.len())?)],
        )
    }
}

/// Something that happened: `kind` says what, the other fields are set when the kind has them.
#[pyclass(frozen, eq, module = "booking._booking", name = "Event")]
#[derive(PartialEq)]
pub(crate) struct PyEvent(pub(crate) Event);

#[pymethods]
impl PyEvent {
    /// The engine clock's instant when the command was decided.
    #[getter]
    fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// Who ran the command.
    #[getter]
    fn actor(&self) -> PyActor {
        PyActor(self.0.actor)
    }
    /// What happened (`EventKind`; its value is the core's stable name).
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        EVENT_KIND.member(py, self.0.kind.name())
    }
    /// The session concerned.
    #[getter]
    fn session_id(&self) -> Option<Id> {
        use EventKind as K;
        match &self.0.kind {
            K::SessionCreated { session } => Some(session.id),
            K::BookingConfirmed { session_id, .. }
            | K::BookingWaitlisted { session_id, .. }
            | K::BookingPromoted { session_id, .. }
            | K::BookingCancelled { session_id, .. }
            | K::SessionClosed { session_id }
            | K::SessionReopened { session_id }
            | K::CapacityChanged { session_id, .. }
            | K::WaitlistChanged { session_id, .. }
            | K::SessionCancelled { session_id }
            | K::AttendanceMarked { session_id, .. }
            | K::SeatOffered { session_id, .. }
            | K::OfferAccepted { session_id, .. }
            | K::OfferDeclined { session_id, .. }
            | K::OfferExpired { session_id, .. } => Some(*session_id),
            _ => None,
        }
        .map(|id| Id(id.as_uuid()))
    }
    /// The booking (seat or lesson) concerned.
    #[getter]
    fn booking_id(&self) -> Option<Id> {
        self.0.kind.booking_id().map(|id| Id(id.as_uuid()))
    }
    /// The student concerned.
    #[getter]
    fn student_id(&self) -> Option<Id> {
        use EventKind as K;
        match &self.0.kind {
            K::BookingConfirmed { student_id, .. }
            | K::BookingWaitlisted { student_id, .. }
            | K::BookingPromoted { student_id, .. }
            | K::BookingCancelled { student_id, .. }
            | K::AttendanceMarked { student_id, .. }
            | K::LessonApproved { student_id, .. }
            | K::LessonDeclined { student_id, .. }
            | K::LessonCancelled { student_id, .. }
            | K::LessonAttendanceMarked { student_id, .. }
            | K::SeriesBooked { student_id, .. }
            | K::SeatOffered { student_id, .. }
            | K::OfferAccepted { student_id, .. }
            | K::OfferDeclined { student_id, .. }
            | K::OfferExpired { student_id, .. } => Some(*student_id),
            K::LessonRequested { lesson } | K::LessonBooked { lesson } | K::LessonRescheduled { lesson, .. } => {
                Some(lesson.student_id)
            }
            _ => None,
        }
        .map(|id| Id(id.as_uuid()))
    }
    /// The teacher concerned.
    #[getter]
    fn teacher_id(&self) -> Option<Id> {
        use EventKind as K;
        match &self.0.kind {
            K::SessionCreated { session } => Some(session.teacher_id),
            K::SlotPublished { slot } | K::SlotUpdated { slot } => Some(slot.teacher_id),
            K::LessonRequested { lesson } | K::LessonBooked { lesson } | K::LessonRescheduled { lesson, .. } => {
                Some(lesson.teacher_id)
            }
            K::TimeOffAdded { time_off } => Some(time_off.teacher_id),
            K::LessonApproved { teacher_id, .. }
            | K::LessonDeclined { teacher_id, .. }
            | K::LessonCancelled { teacher_id, .. }
            | K::LessonAttendanceMarked { teacher_id, .. }
            | K::SchedulingRulesSet { teacher_id, .. }
            | K::TimeOffRemoved { teacher_id, .. } => Some(*teacher_id),
            _ => None,
        }
        .map(|id| Id(id.as_uuid()))
    }
    /// `BOOKING_WAITLISTED`: 1-based place in the queue when joining.
    #[getter]
    fn position(&self) -> Option<u32> {
        match &self.0.kind {
            EventKind::BookingWaitlisted { position, .. } => Some(*position),
            _ => None,
        }
    }
    /// `BOOKING_CANCELLED` (`SeatStatus`) or `LESSON_CANCELLED` (`LessonStatus`): the status before.
    #[getter]
    fn previous_status<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match &self.0.kind {
            EventKind::BookingCancelled { previous_status, .. } => {
                SEAT_STATUS.member(py, previous_status.as_str()).map(Some)
            }
            EventKind::LessonCancelled { previous_status, .. } => {
                LESSON_STATUS.member(py, previous_status.as_str()).map(Some)
            }
            _ => Ok(None),
        }
    }
    /// `ATTENDANCE_MARKED` (`SeatStatus`) or `LESSON_ATTENDANCE_MARKED` (`LessonStatus`).
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match &self.0.kind {
            EventKind::AttendanceMarked { status, .. } => SEAT_STATUS.member(py, status.as_str()).map(Some),
            EventKind::LessonAttendanceMarked { status, .. } => LESSON_STATUS.member(py, status.as_str()).map(Some),
            _ => Ok(None),
        }
    }
    /// `CAPACITY_CHANGED`: seats before.
    #[getter]
    fn previous_capacity(&self) -> Option<u32> {
        match &self.0.kind {
            EventKind::CapacityChanged { previous, .. } => Some(*previous),
            _ => None,
        }
    }
    /// `CAPACITY_CHANGED`: seats now.
    #[getter]
    fn capacity(&self) -> Option<u32> {
        match &self.0.kind {
            EventKind::CapacityChanged { capacity, .. } => Some(*capacity),
            _ => None,
        }
    }
    /// `WAITLIST_CHANGED`: whether the waitlist is now on.
    #[getter]
    fn enabled(&self) -> Option<bool> {
        match &self.0.kind {
            EventKind::WaitlistChanged { enabled, .. } => Some(*enabled),
            _ => None,
        }
    }
    /// `SESSION_CREATED`: the session as created.
    #[getter]
    fn session(&self) -> Option<PyGroupSession> {
        match &self.0.kind {
            EventKind::SessionCreated { session } => Some(PyGroupSession(Arc::new((**session).clone()))),
            _ => None,
        }
    }
    /// `SLOT_PUBLISHED` / `SLOT_UPDATED`: the slot.
    #[getter]
    fn slot(&self) -> Option<PyAvailabilitySlot> {
        match &self.0.kind {
            EventKind::SlotPublished { slot } | EventKind::SlotUpdated { slot } => {
                Some(PyAvailabilitySlot((**slot).clone()))
            }
            _ => None,
        }
    }
    /// `LESSON_REQUESTED` / `LESSON_BOOKED`: the lesson; `LESSON_RESCHEDULED`: the lesson
    /// after the move.
    #[getter]
    fn lesson(&self) -> Option<PyLesson> {
        match &self.0.kind {
            EventKind::LessonRequested { lesson }
            | EventKind::LessonBooked { lesson }
            | EventKind::LessonRescheduled { lesson, .. } => Some(PyLesson(Arc::new((**lesson).clone()))),
            _ => None,
        }
    }
    /// `BOOKING_CONFIRMED`, `BOOKING_WAITLISTED`, `SEAT_OFFERED`: how many seats the booking
    /// takes (or waits for, as one).
    #[getter]
    fn seats(&self) -> Option<u32> {
        match &self.0.kind {
            EventKind::BookingConfirmed { seats, .. }
            | EventKind::BookingWaitlisted { seats, .. }
            | EventKind::SeatOffered { seats, .. } => Some(*seats),
            _ => None,
        }
    }
    /// `SEAT_OFFERED`: when the offer runs out.
    #[getter]
    fn expires_at(&self) -> Option<DateTime<Utc>> {
        match &self.0.kind {
            EventKind::SeatOffered { expires_at, .. } => Some(*expires_at),
            _ => None,
        }
    }
    /// `BOOKING_CANCELLED`, `LESSON_CANCELLED`, `LESSON_RESCHEDULED`: whether a teacher, an
    /// admin or the system acted within the cut-off that binds students (an override).
    #[getter]
    fn cutoff_overridden(&self) -> Option<bool> {
        match &self.0.kind {
            EventKind::BookingCancelled { cutoff_overridden, .. }
            | EventKind::LessonCancelled { cutoff_overridden, .. }
            | EventKind::LessonRescheduled { cutoff_overridden, .. } => Some(*cutoff_overridden),
            _ => None,
        }
    }
    /// `LESSON_RESCHEDULED`: the slot the lesson was booked from before.
    #[getter]
    fn previous_slot_id(&self) -> Option<Id> {
        match &self.0.kind {
            EventKind::LessonRescheduled { previous_slot_id, .. } => Some(Id(previous_slot_id.as_uuid())),
            _ => None,
        }
    }
    /// `LESSON_RESCHEDULED`: its start before.
    #[getter]
    fn previous_starts_at(&self) -> Option<DateTime<Utc>> {
        match &self.0.kind {
            EventKind::LessonRescheduled { previous_starts_at, .. } => Some(*previous_starts_at),
            _ => None,
        }
    }
    /// `LESSON_RESCHEDULED`: its end before.
    #[getter]
    fn previous_ends_at(&self) -> Option<DateTime<Utc>> {
        match &self.0.kind {
            EventKind::LessonRescheduled { previous_ends_at, .. } => Some(*previous_ends_at),
            _ => None,
        }
    }
    /// `SCHEDULING_RULES_SET`: the rules now in force at that level.
    #[getter]
    fn rules(&self) -> Option<PySchedulingRules> {
        match &self.0.kind {
            EventKind::SchedulingRulesSet { rules, .. } => Some(PySchedulingRules(**rules)),
            _ => None,
        }
    }
    /// `SESSION_CREATED`: the session's course; `SCHEDULING_RULES_SET`: the course whose rules
    /// were set (`None` for the teacher's default rules); lesson events: the lesson's course.
    #[getter]
    fn course_id(&self) -> Option<Id> {
        use EventKind as K;
        match &self.0.kind {
            K::SessionCreated { session } => session.course_id,
            K::SchedulingRulesSet { course_id, .. } => *course_id,
            K::LessonRequested { lesson } | K::LessonBooked { lesson } | K::LessonRescheduled { lesson, .. } => {
                lesson.course_id
            }
            _ => None,
        }
        .map(|c| Id(c.as_uuid()))
    }
    /// `TIME_OFF_ADDED`: the time off.
    #[getter]
    fn time_off(&self) -> Option<PyTimeOff> {
        match &self.0.kind {
            EventKind::TimeOffAdded { time_off } => Some(PyTimeOff((**time_off).clone())),
            _ => None,
        }
    }
    /// `TIME_OFF_ADDED` / `TIME_OFF_REMOVED`: the time off's id.
    #[getter]
    fn time_off_id(&self) -> Option<Id> {
        match &self.0.kind {
            EventKind::TimeOffAdded { time_off } => Some(Id(time_off.id.as_uuid())),
            EventKind::TimeOffRemoved { time_off_id, .. } => Some(Id(time_off_id.as_uuid())),
            _ => None,
        }
    }
    /// `LESSON_APPROVED` / `MEETING_LINK_SET`: the meeting link.
    #[getter]
    fn meeting_link(&self) -> Option<String> {
        match &self.0.kind {
            EventKind::LessonApproved { meeting_link, .. } => meeting_link.as_ref().map(|l| l.as_str().to_owned()),
            EventKind::MeetingLinkSet { meeting_link, .. } => Some(meeting_link.as_str().to_owned()),
            _ => None,
        }
    }
    /// `LESSON_DECLINED`: the teacher's reason.
    #[getter]
    fn reason(&self) -> Option<String> {
        match &self.0.kind {
            EventKind::LessonDeclined { reason, .. } => reason.clone(),
            _ => None,
        }
    }
    /// `SERIES_BOOKED` (and lessons of a series): the series.
    #[getter]
    fn series_id(&self) -> Option<Id> {
        match &self.0.kind {
            EventKind::SeriesBooked { series_id, .. } => Some(Id(series_id.as_uuid())),
            EventKind::LessonRequested { lesson }
            | EventKind::LessonBooked { lesson }
            | EventKind::LessonRescheduled { lesson, .. } => lesson.series_id.map(|s| Id(s.as_uuid())),
            _ => None,
        }
    }
    /// `SERIES_BOOKED`: its lessons' ids, in order.
    #[getter]
    fn lessons(&self) -> Option<Vec<Id>> {
        match &self.0.kind {
            EventKind::SeriesBooked { lessons, .. } => Some(lessons.iter().map(|l| Id(l.as_uuid())).collect()),
            _ => None,
        }
    }
    /// `SERIES_BOOKED`: how many occurrences were skipped.
    #[getter]
    fn skipped(&self) -> Option<u32> {
        match &self.0.kind {
            EventKind::SeriesBooked { skipped, .. } => Some(*skipped),
            _ => None,
        }
    }
    /// The event as the core serializes it (JSON), for an outbox.
    fn to_json(&self) -> Result<String> {
        serde_json::to_string(&self.0).map_err(|e| errors::Error::Internal(format!("encoding an event: {e}")))
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "Event",
            &[
                ("kind", self.kind(py)?),
                ("occurred_at", obj(py, self.occurred_at())?),
                ("actor", obj(py, self.actor())?),
                ("session_id", obj(py, self.session_id())?),
                ("booking_id", obj(py, self.booking_id())?),
                ("student_id", obj(py, self.student_id())?),
                ("position", obj(py, self.position())?),
                ("previous_status", obj(py, self.previous_status(py)?)?),
                ("status", obj(py, self.status(py)?)?),
                ("capacity", obj(py, self.capacity())?),
                ("enabled", obj(py, self.enabled())?),
                ("seats", obj(py, self.seats())?),
                ("expires_at", obj(py, self.expires_at())?),
                ("cutoff_overridden", obj(py, self.cutoff_overridden())?),
                ("previous_starts_at", obj(py, self.previous_starts_at())?),
                ("time_off_id", obj(py, self.time_off_id())?),
                ("series_id", obj(py, self.series_id())?),
            ],
        )
    }
}

/// The value of a receipt, kept as the core's value until Python reads `Receipt.value`.
pub(crate) enum ReceiptValue {
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

/// What a successful command returns: its value, the events it caused, the changed
/// aggregate's version, and whether it is a replay of an earlier run under the same key.
///
/// Returning a receipt makes one Python object: the value becomes its Python object the
/// first time `value` is read (the same object on every later read), the events each time
/// `events` is read.
#[pyclass(frozen, module = "booking._booking", name = "Receipt")]
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
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        list_of(py, self.events.iter().cloned(), PyEvent)
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
                ("version", obj(py, self.version)?),
                ("replayed", obj(py, self.replayed)?),
            ],
        )
    }
}
