//! The records and enums that cross the FFI, and every conversion between them and the core's
//! types (this module is the only place types are converted).
//!
//! Conventions, the same in Kotlin and Swift:
//! - **ids** are UUID strings (`"0190a3c5-…"`); a malformed one is refused with
//!   `invalid_input` naming the argument;
//! - **instants** are `std::time::SystemTime`, which uniffi turns into `java.time.Instant`
//!   (Kotlin) and `Date` (Swift);
//! - **zones** are IANA names (`"Europe/Paris"`);
//! - **wall times** of availability slots are ISO-8601 strings in the slot's zone: times
//!   `"14:00"` (or `"14:00:30"`), dates `"2030-05-06"`, date-times `"2030-05-06T14:00"`;
//! - **statuses** are enums.

use booking_core::{
    BookingError as CoreError,
    availability::{AvailabilitySlot as CoreSlot, SlotRecurrence as CoreRecurrence, TimeOff as CoreTimeOff},
    lesson::{self as core_lesson},
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use std::time::{SystemTime, UNIX_EPOCH};

// ---------------------------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------------------------

/// Parses the UUID text of argument `field`.
pub(crate) fn id_in<T: From<uuid::Uuid>>(field: &str, text: &str) -> Result<T, CoreError> {
    uuid::Uuid::parse_str(text).map(T::from).map_err(|e| CoreError::invalid(field, format!("not a UUID: {e}")))
}

/// Parses an optional id.
pub(crate) fn opt_id_in<T: From<uuid::Uuid>>(field: &str, text: Option<&str>) -> Result<Option<T>, CoreError> {
    text.map(|t| id_in(field, t)).transpose()
}

fn id_out(id: impl std::fmt::Display) -> String {
    id.to_string()
}

/// An instant from the FFI (`Instant` / `Date`) as a UTC date-time.
pub(crate) fn instant_in(field: &str, instant: SystemTime) -> Result<DateTime<Utc>, CoreError> {
    let out_of_range = || CoreError::invalid(field, "instant out of range");
    let converted = match instant.duration_since(UNIX_EPOCH) {
        Ok(after) => {
            DateTime::from_timestamp(i64::try_from(after.as_secs()).map_err(|_| out_of_range())?, after.subsec_nanos())
        }
        Err(before) => {
            let before = before.duration();
            let secs = i64::try_from(before.as_secs()).map_err(|_| out_of_range())?;
            match before.subsec_nanos() {
                0 => DateTime::from_timestamp(-secs, 0),
                nanos => DateTime::from_timestamp(-secs - 1, 1_000_000_000 - nanos),
            }
        }
    };
    converted.ok_or_else(out_of_range)
}

/// A UTC date-time as an instant for the FFI.
pub(crate) fn instant_out(instant: DateTime<Utc>) -> SystemTime {
    SystemTime::from(instant)
}

fn time_in(field: &str, text: &str) -> Result<NaiveTime, CoreError> {
    NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .map_err(|e| CoreError::invalid(field, format!("expected a wall time like 14:00: {e}")))
}

fn time_out(time: NaiveTime) -> String {
    if time.second() == 0 && time.nanosecond() == 0 { time.format("%H:%M").to_string() } else { time.to_string() }
}

fn date_in(field: &str, text: &str) -> Result<NaiveDate, CoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| CoreError::invalid(field, format!("expected a date like 2030-05-06: {e}")))
}

fn date_out(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn local_in(field: &str, text: &str) -> Result<NaiveDateTime, CoreError> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|e| CoreError::invalid(field, format!("expected a wall time like 2030-05-06T14:00: {e}")))
}

fn local_out(local: NaiveDateTime) -> String {
    format!("{}T{}", date_out(local.date()), time_out(local.time()))
}

// ---------------------------------------------------------------------------------------------
// Actors
// ---------------------------------------------------------------------------------------------

/// Who runs a command; the engine checks what each may do (see `booking_core::Actor`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Actor {
    /// A teacher, acting on their own sessions and availability.
    Teacher {
        /// The teacher's user id.
        id: String,
    },
    /// A student, acting for themselves.
    Student {
        /// The student's user id.
        id: String,
    },
    /// A platform administrator: may act on anything.
    Admin {
        /// The admin's user id.
        id: String,
    },
    /// The host platform itself (jobs, imports): trusted like an admin.
    System,
}

impl Actor {
    pub(crate) fn into_core(self) -> Result<booking_core::Actor, CoreError> {
        Ok(match self {
            Actor::Teacher { id } => booking_core::Actor::Teacher(id_in("actor", &id)?),
            Actor::Student { id } => booking_core::Actor::Student(id_in("actor", &id)?),
            Actor::Admin { id } => booking_core::Actor::Admin(id_in("actor", &id)?),
            Actor::System => booking_core::Actor::System,
        })
    }

    fn from_core(actor: booking_core::Actor) -> Self {
        match actor {
            booking_core::Actor::Teacher(id) => Actor::Teacher { id: id_out(id) },
            booking_core::Actor::Student(id) => Actor::Student { id: id_out(id) },
            booking_core::Actor::Admin(id) => Actor::Admin { id: id_out(id) },
            booking_core::Actor::System => Actor::System,
        }
    }
}

/// The core request of `actor` under an optional idempotency key.
pub(crate) fn request_in(actor: Actor, key: Option<String>) -> Result<booking_core::Request, CoreError> {
    Ok(booking_core::Request { actor: actor.into_core()?, key })
}

// ---------------------------------------------------------------------------------------------
// Scheduling rules and time off
// ---------------------------------------------------------------------------------------------

/// Scheduling rules (`booking_core::SchedulingRules`); every field unset by default.
///
/// Precedence, field by field: a slot's own rules, then the teacher's rules for the slot's
/// course, then the teacher's default rules. A group session takes its booking window,
/// cancellation cut-off and seats per booking from its own `rules`, then the teacher's (seats
/// per booking: 1 when no level sets it), when it is created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, uniffi::Record)]
pub struct SchedulingRules {
    /// Bookings must start at least this many minutes after now.
    #[uniffi(default = None)]
    pub min_notice_minutes: Option<u32>,
    /// Bookings must start at most this many days after now.
    #[uniffi(default = None)]
    pub max_advance_days: Option<u32>,
    /// Minutes kept free before each 1:1 lesson in the teacher's calendar.
    #[uniffi(default = None)]
    pub buffer_before_minutes: Option<u32>,
    /// Minutes kept free after each 1:1 lesson in the teacher's calendar.
    #[uniffi(default = None)]
    pub buffer_after_minutes: Option<u32>,
    /// A student may not cancel within this many minutes of the start (the teacher or an admin
    /// may, and the event records the override).
    #[uniffi(default = None)]
    pub cancel_cutoff_minutes: Option<u32>,
    /// A student may not reschedule within this many minutes of the start (unset: the
    /// cancellation cut-off governs moves too).
    #[uniffi(default = None)]
    pub reschedule_cutoff_minutes: Option<u32>,
    /// At most this many 1:1 lessons per day for the teacher (pending ones count).
    #[uniffi(default = None)]
    pub max_lessons_per_day: Option<u32>,
    /// At most this many 1:1 lessons per ISO week for the teacher (pending ones count).
    #[uniffi(default = None)]
    pub max_lessons_per_week: Option<u32>,
    /// At most this many not-yet-ended 1:1 lessons per student in one course.
    #[uniffi(default = None)]
    pub max_upcoming_lessons_per_student: Option<u32>,
    /// At most this many seats in one booking of a group session (unset everywhere: 1; a slot
    /// refuses it).
    #[uniffi(default = None)]
    pub max_seats_per_booking: Option<u32>,
}

impl From<SchedulingRules> for booking_core::SchedulingRules {
    fn from(r: SchedulingRules) -> Self {
        booking_core::SchedulingRules {
            min_notice_minutes: r.min_notice_minutes,
            max_advance_days: r.max_advance_days,
            buffer_before_minutes: r.buffer_before_minutes,
            buffer_after_minutes: r.buffer_after_minutes,
            cancel_cutoff_minutes: r.cancel_cutoff_minutes,
            reschedule_cutoff_minutes: r.reschedule_cutoff_minutes,
            max_lessons_per_day: r.max_lessons_per_day,
            max_lessons_per_week: r.max_lessons_per_week,
            max_upcoming_lessons_per_student: r.max_upcoming_lessons_per_student,
            max_seats_per_booking: r.max_seats_per_booking,
        }
    }
}

impl From<booking_core::SchedulingRules> for SchedulingRules {
    fn from(r: booking_core::SchedulingRules) -> Self {
        SchedulingRules {
            min_notice_minutes: r.min_notice_minutes,
            max_advance_days: r.max_advance_days,
            buffer_before_minutes: r.buffer_before_minutes,
            buffer_after_minutes: r.buffer_after_minutes,
            cancel_cutoff_minutes: r.cancel_cutoff_minutes,
            reschedule_cutoff_minutes: r.reschedule_cutoff_minutes,
            max_lessons_per_day: r.max_lessons_per_day,
            max_lessons_per_week: r.max_lessons_per_week,
            max_upcoming_lessons_per_student: r.max_upcoming_lessons_per_student,
            max_seats_per_booking: r.max_seats_per_booking,
        }
    }
}

/// What a teacher fills in to take time off (`booking_core::availability::TimeOffSpec`): from
/// the start of `first_day` to the end of `last_day` in `time_zone`, their slots offer no
/// occurrence that overlaps it. Lessons already booked then are kept.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TimeOffSpec {
    /// The first day off, e.g. `"2030-05-06"`.
    pub first_day: String,
    /// The last day off (inclusive; the same as `first_day` for a single day), at most 366
    /// days after `first_day`.
    pub last_day: String,
    /// The IANA zone the days are read in.
    pub time_zone: String,
    /// A note for the teacher's own use (at most 200 characters).
    #[uniffi(default = None)]
    pub note: Option<String>,
}

impl TimeOffSpec {
    pub(crate) fn into_core(self) -> Result<booking_core::availability::TimeOffSpec, CoreError> {
        Ok(booking_core::availability::TimeOffSpec {
            first_day: date_in("first_day", &self.first_day)?,
            last_day: date_in("last_day", &self.last_day)?,
            time_zone: self.time_zone,
            note: self.note,
        })
    }
}

/// A teacher's time off (`booking_core::availability::TimeOff`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TimeOff {
    /// Its id (withdraw it with `removeTimeOff`).
    pub id: String,
    /// The teacher.
    pub teacher_id: String,
    /// The first day off, e.g. `"2030-05-06"`.
    pub first_day: String,
    /// The last day off (inclusive).
    pub last_day: String,
    /// The IANA zone the days are read in.
    pub time_zone: String,
    /// The teacher's note, if any.
    pub note: Option<String>,
    /// The instant it starts: the start of `first_day` in `time_zone`.
    pub starts_at: SystemTime,
    /// The instant it ends: the start of the day after `last_day`.
    pub ends_at: SystemTime,
}

impl From<&CoreTimeOff> for TimeOff {
    fn from(t: &CoreTimeOff) -> Self {
        TimeOff {
            id: id_out(t.id),
            teacher_id: id_out(t.teacher_id),
            first_day: date_out(t.first_day),
            last_day: date_out(t.last_day),
            time_zone: t.time_zone.name().to_owned(),
            note: t.note.clone(),
            starts_at: instant_out(t.starts_at()),
            ends_at: instant_out(t.ends_at()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Group sessions
// ---------------------------------------------------------------------------------------------

/// How a freed seat reaches a session's waitlist (`booking_core::WaitlistMode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum WaitlistMode {
    /// The first in line gets the seat at once.
    #[default]
    Promote,
    /// The seat is held for the first in line for `hold_minutes` (1 to 10,080); they accept
    /// (`acceptOffer`) or decline (`declineOffer`), and an unanswered offer expires
    /// (`processExpiredOffers`) and passes to the next. No offer is made once the session has
    /// started, and an offer never outlives the start.
    Offer {
        /// How long an offer holds the seat, in minutes.
        hold_minutes: u32,
    },
}

impl From<WaitlistMode> for booking_core::WaitlistMode {
    fn from(m: WaitlistMode) -> Self {
        match m {
            WaitlistMode::Promote => booking_core::WaitlistMode::Promote,
            WaitlistMode::Offer { hold_minutes } => booking_core::WaitlistMode::Offer { hold_minutes },
        }
    }
}

impl From<booking_core::WaitlistMode> for WaitlistMode {
    fn from(m: booking_core::WaitlistMode) -> Self {
        match m {
            booking_core::WaitlistMode::Promote => WaitlistMode::Promote,
            booking_core::WaitlistMode::Offer { hold_minutes } => WaitlistMode::Offer { hold_minutes },
        }
    }
}

/// What a teacher fills in for a new group session.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct NewGroupSession {
    /// The teacher who runs it.
    pub teacher_id: String,
    /// The course it belongs to, if any.
    #[uniffi(default = None)]
    pub course_id: Option<String>,
    /// Its title.
    pub title: String,
    /// When it starts.
    pub starts_at: SystemTime,
    /// The IANA zone it is scheduled in.
    pub time_zone: String,
    /// How long it lasts.
    pub duration_minutes: u32,
    /// The meeting link (an http(s) URL).
    pub meeting_link: String,
    /// The number of seats.
    pub capacity: u32,
    /// Whether students may queue once every seat is taken.
    pub waitlist_enabled: bool,
    /// How a freed seat reaches the waitlist; `None` (the default) is
    /// [`WaitlistMode::Promote`], the core's default (uniffi cannot default a field to an
    /// enum case with data).
    #[uniffi(default = None)]
    pub waitlist_mode: Option<WaitlistMode>,
    /// The session's own booking window, cancellation cut-off and seats per booking; unset
    /// fields come from the teacher's rules (seats per booking: 1 when no level sets it).
    /// Buffers, the reschedule cut-off and the lesson limits are refused here (`invalid_input`).
    #[uniffi(default)]
    pub rules: SchedulingRules,
}

impl NewGroupSession {
    pub(crate) fn into_core(self) -> Result<booking_core::NewGroupSession, CoreError> {
        Ok(booking_core::NewGroupSession {
            teacher_id: id_in("teacher_id", &self.teacher_id)?,
            course_id: opt_id_in("course_id", self.course_id.as_deref())?,
            title: self.title,
            starts_at: instant_in("starts_at", self.starts_at)?,
            time_zone: self.time_zone,
            duration_minutes: self.duration_minutes,
            meeting_link: self.meeting_link,
            capacity: self.capacity,
            waitlist_enabled: self.waitlist_enabled,
            waitlist_mode: self.waitlist_mode.unwrap_or_default().into(),
            rules: self.rules.into(),
        })
    }
}

/// The status of a seat booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum SeatStatus {
    /// Holds a seat.
    Confirmed,
    /// Queued for a seat.
    Waitlisted,
    /// Waitlisted, and freed seats are held for it until its offer expires (offer mode).
    Offered,
    /// Its offer was not answered in time; it left the queue.
    Expired,
    /// Cancelled before the start.
    Cancelled,
    /// Held a seat and came.
    Attended,
    /// Held a seat and did not come.
    NoShow,
}

impl From<booking_core::SeatStatus> for SeatStatus {
    fn from(s: booking_core::SeatStatus) -> Self {
        match s {
            booking_core::SeatStatus::Confirmed => SeatStatus::Confirmed,
            booking_core::SeatStatus::Waitlisted => SeatStatus::Waitlisted,
            booking_core::SeatStatus::Offered => SeatStatus::Offered,
            booking_core::SeatStatus::Expired => SeatStatus::Expired,
            booking_core::SeatStatus::Cancelled => SeatStatus::Cancelled,
            booking_core::SeatStatus::Attended => SeatStatus::Attended,
            booking_core::SeatStatus::NoShow => SeatStatus::NoShow,
        }
    }
}

/// Whether a group session takes bookings now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, uniffi::Enum)]
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

impl From<booking_core::BookingAvailability> for BookingAvailability {
    fn from(a: booking_core::BookingAvailability) -> Self {
        match a {
            booking_core::BookingAvailability::Open => BookingAvailability::Open,
            booking_core::BookingAvailability::WaitlistOnly => BookingAvailability::WaitlistOnly,
            booking_core::BookingAvailability::Closed => BookingAvailability::Closed,
            booking_core::BookingAvailability::Started => BookingAvailability::Started,
            booking_core::BookingAvailability::Cancelled => BookingAvailability::Cancelled,
        }
    }
}

/// One student's booking in a group session.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SeatBooking {
    /// The booking.
    pub id: String,
    /// Its session.
    pub session_id: String,
    /// The student.
    pub student_id: String,
    /// Where it stands.
    pub status: SeatStatus,
    /// When it was made (the waitlist order is the order of `GroupSession.bookings`).
    pub booked_at: SystemTime,
    /// When its status last changed.
    pub updated_at: SystemTime,
    /// How many seats it takes (a parent booking for two children takes 2).
    pub seats: u32,
    /// While `Offered`: when the offer runs out.
    pub offer_expires_at: Option<SystemTime>,
}

impl From<&booking_core::SeatBooking> for SeatBooking {
    fn from(b: &booking_core::SeatBooking) -> Self {
        SeatBooking {
            id: id_out(b.id),
            session_id: id_out(b.session_id),
            student_id: id_out(b.student_id),
            status: b.status.into(),
            booked_at: instant_out(b.booked_at),
            updated_at: instant_out(b.updated_at),
            seats: b.seats,
            offer_expires_at: b.offer_expires_at.map(instant_out),
        }
    }
}

/// A seat-based group session with its bookings, in the order they were made.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct GroupSession {
    /// The session.
    pub id: String,
    /// Its teacher.
    pub teacher_id: String,
    /// Its course, if any.
    pub course_id: Option<String>,
    /// Its title.
    pub title: String,
    /// When it starts.
    pub starts_at: SystemTime,
    /// When it ends.
    pub ends_at: SystemTime,
    /// The IANA zone it is scheduled in.
    pub time_zone: String,
    /// How long it lasts.
    pub duration_minutes: u32,
    /// The meeting link.
    pub meeting_link: String,
    /// The number of seats.
    pub capacity: u32,
    /// Whether students may queue once every seat is taken.
    pub waitlist_enabled: bool,
    /// How freed seats reach the waitlist.
    pub waitlist_mode: WaitlistMode,
    /// The booking window and cancellation cut-off in effect, resolved when it was created.
    pub rules: SchedulingRules,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<SystemTime>,
    /// Its version (1 when created, +1 per change).
    pub version: u64,
    /// The live bookings (not cancelled, declined or expired), in booking order (the waitlist
    /// order); finished ones are in the store's booking history, read by id with
    /// `Engine.seatBooking`.
    pub bookings: Vec<SeatBooking>,
    /// Seats taken (confirmed, offered and attended bookings, counting each booking's seats).
    pub booked_seats: u32,
    /// Seats still free.
    pub remaining_seats: u32,
    /// Bookings on the waitlist (a booking for several seats counts once).
    pub waitlisted_count: u32,
    /// Seats the waitlisted bookings ask for.
    pub waitlisted_seats: u32,
    /// Seats held by outstanding offers (offer mode).
    pub offered_seats: u32,
    /// Whether every seat is taken.
    pub is_full: bool,
    /// Full with the waitlist off: takes no bookings (the seed's `booking_closed`).
    pub is_closed_for_booking: bool,
    /// Whether it was cancelled.
    pub is_cancelled: bool,
    /// The earliest instant an outstanding seat offer runs out, if any.
    pub next_offer_deadline: Option<SystemTime>,
}

impl From<&booking_core::GroupSession> for GroupSession {
    fn from(s: &booking_core::GroupSession) -> Self {
        GroupSession {
            id: id_out(s.id),
            teacher_id: id_out(s.teacher_id),
            course_id: s.course_id.map(id_out),
            title: s.title.clone(),
            starts_at: instant_out(s.starts_at),
            ends_at: instant_out(s.ends_at()),
            time_zone: s.time_zone.name().to_owned(),
            duration_minutes: s.duration_minutes,
            meeting_link: s.meeting_link.as_str().to_owned(),
            capacity: s.capacity,
            waitlist_enabled: s.waitlist_enabled,
            waitlist_mode: s.waitlist_mode.into(),
            rules: s.rules.into(),
            created_at: instant_out(s.created_at),
            cancelled_at: s.cancelled_at.map(instant_out),
            version: s.version,
            bookings: s.bookings.iter().map(SeatBooking::from).collect(),
            booked_seats: s.booked_seats(),
            remaining_seats: s.remaining_seats(),
            waitlisted_count: s.waitlisted_count(),
            waitlisted_seats: s.waitlisted_seats(),
            offered_seats: s.offered_seats(),
            is_full: s.is_full(),
            is_closed_for_booking: s.is_closed_for_booking(),
            is_cancelled: s.is_cancelled(),
            next_offer_deadline: s.next_offer_deadline().map(instant_out),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Availability and lessons
// ---------------------------------------------------------------------------------------------

/// A day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl From<Weekday> for chrono::Weekday {
    fn from(d: Weekday) -> Self {
        match d {
            Weekday::Monday => chrono::Weekday::Mon,
            Weekday::Tuesday => chrono::Weekday::Tue,
            Weekday::Wednesday => chrono::Weekday::Wed,
            Weekday::Thursday => chrono::Weekday::Thu,
            Weekday::Friday => chrono::Weekday::Fri,
            Weekday::Saturday => chrono::Weekday::Sat,
            Weekday::Sunday => chrono::Weekday::Sun,
        }
    }
}

impl From<chrono::Weekday> for Weekday {
    fn from(d: chrono::Weekday) -> Self {
        match d {
            chrono::Weekday::Mon => Weekday::Monday,
            chrono::Weekday::Tue => Weekday::Tuesday,
            chrono::Weekday::Wed => Weekday::Wednesday,
            chrono::Weekday::Thu => Weekday::Thursday,
            chrono::Weekday::Fri => Weekday::Friday,
            chrono::Weekday::Sat => Weekday::Saturday,
            chrono::Weekday::Sun => Weekday::Sunday,
        }
    }
}

/// When a slot occurs, as wall times in the slot's zone.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum SlotRecurrence {
    /// Every week on `weekday` from `start_time` to `end_time` (the next day if `end_time` is
    /// not after `start_time`), from `valid_from` to `valid_until` (dates, inclusive).
    Weekly {
        /// The day each occurrence starts on.
        weekday: Weekday,
        /// Wall time, e.g. `"14:00"`.
        start_time: String,
        /// Wall time, e.g. `"15:00"`.
        end_time: String,
        /// First date, e.g. `"2030-05-06"`.
        valid_from: String,
        /// Last date, or `None` for open-ended.
        valid_until: Option<String>,
    },
    /// Once, from `start` to `end` (wall date-times like `"2030-05-06T14:00"`).
    OneTime {
        /// Wall date-time of the start.
        start: String,
        /// Wall date-time of the end.
        end: String,
    },
}

impl SlotRecurrence {
    fn into_core(self) -> Result<CoreRecurrence, CoreError> {
        Ok(match self {
            SlotRecurrence::Weekly { weekday, start_time, end_time, valid_from, valid_until } => {
                CoreRecurrence::Weekly {
                    weekday: weekday.into(),
                    start_time: time_in("start_time", &start_time)?,
                    end_time: time_in("end_time", &end_time)?,
                    valid_from: date_in("valid_from", &valid_from)?,
                    valid_until: valid_until.as_deref().map(|d| date_in("valid_until", d)).transpose()?,
                }
            }
            SlotRecurrence::OneTime { start, end } => {
                CoreRecurrence::OneTime { start: local_in("start", &start)?, end: local_in("end", &end)? }
            }
        })
    }

    fn from_core(r: &CoreRecurrence) -> Self {
        match r {
            CoreRecurrence::Weekly { weekday, start_time, end_time, valid_from, valid_until } => {
                SlotRecurrence::Weekly {
                    weekday: (*weekday).into(),
                    start_time: time_out(*start_time),
                    end_time: time_out(*end_time),
                    valid_from: date_out(*valid_from),
                    valid_until: valid_until.map(date_out),
                }
            }
            CoreRecurrence::OneTime { start, end } => {
                SlotRecurrence::OneTime { start: local_out(*start), end: local_out(*end) }
            }
        }
    }
}

/// What a teacher fills in for an availability slot.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SlotSpec {
    /// The course the slot is reserved for, if any.
    #[uniffi(default = None)]
    pub course_id: Option<String>,
    /// The IANA zone its wall times are in.
    pub time_zone: String,
    /// Weekly or one-time.
    pub recurrence: SlotRecurrence,
    /// Whether it is offered.
    #[uniffi(default = true)]
    pub active: bool,
    /// The slot's own scheduling rules, which win over the teacher's (unset fields come from
    /// the teacher's rules for the course, then their default rules).
    #[uniffi(default)]
    pub rules: SchedulingRules,
}

impl SlotSpec {
    pub(crate) fn into_core(self) -> Result<core_lesson::SlotSpec, CoreError> {
        Ok(core_lesson::SlotSpec {
            course_id: opt_id_in("course_id", self.course_id.as_deref())?,
            time_zone: self.time_zone,
            recurrence: self.recurrence.into_core()?,
            active: self.active,
            rules: self.rules.into(),
        })
    }
}

/// A teacher's availability slot.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct AvailabilitySlot {
    /// The slot; bookings name occurrences by it.
    pub id: String,
    /// The teacher who offers it.
    pub teacher_id: String,
    /// The course it is reserved for, if any.
    pub course_id: Option<String>,
    /// The IANA zone its wall times are read in.
    pub time_zone: String,
    /// When it occurs.
    pub recurrence: SlotRecurrence,
    /// Whether it is offered.
    pub active: bool,
    /// The slot's own scheduling rules.
    pub rules: SchedulingRules,
}

impl From<&CoreSlot> for AvailabilitySlot {
    fn from(s: &CoreSlot) -> Self {
        AvailabilitySlot {
            id: id_out(s.id),
            teacher_id: id_out(s.teacher_id),
            course_id: s.course_id.map(id_out),
            time_zone: s.time_zone.name().to_owned(),
            recurrence: SlotRecurrence::from_core(&s.recurrence),
            active: s.active,
            rules: s.rules.into(),
        }
    }
}

/// The status of a 1:1 lesson.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum LessonStatus {
    /// Waiting for the teacher's approval; holds its time.
    Pending,
    /// Booked.
    Confirmed,
    /// Refused by the teacher.
    Declined,
    /// Cancelled before the start.
    Cancelled,
    /// Took place.
    Attended,
    /// The student did not come.
    NoShow,
}

impl From<core_lesson::LessonStatus> for LessonStatus {
    fn from(s: core_lesson::LessonStatus) -> Self {
        match s {
            core_lesson::LessonStatus::Pending => LessonStatus::Pending,
            core_lesson::LessonStatus::Confirmed => LessonStatus::Confirmed,
            core_lesson::LessonStatus::Declined => LessonStatus::Declined,
            core_lesson::LessonStatus::Cancelled => LessonStatus::Cancelled,
            core_lesson::LessonStatus::Attended => LessonStatus::Attended,
            core_lesson::LessonStatus::NoShow => LessonStatus::NoShow,
        }
    }
}

/// A 1:1 lesson booked from an availability slot.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Lesson {
    /// The lesson (a booking id).
    pub id: String,
    /// Its teacher.
    pub teacher_id: String,
    /// Its student.
    pub student_id: String,
    /// The slot it was booked from.
    pub slot_id: String,
    /// The slot's course, if any.
    pub course_id: Option<String>,
    /// Its series, if it was booked as part of one.
    pub series_id: Option<String>,
    /// When it starts.
    pub starts_at: SystemTime,
    /// When it ends.
    pub ends_at: SystemTime,
    /// The slot's IANA zone.
    pub time_zone: String,
    /// Start as a wall time in that zone, e.g. `"2030-05-06T14:00"`.
    pub local_start: String,
    /// End as a wall time in that zone.
    pub local_end: String,
    /// Where it stands.
    pub status: LessonStatus,
    /// Its meeting link, once set.
    pub meeting_link: Option<String>,
    /// When it was requested.
    pub requested_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// Its version.
    pub version: u64,
    /// The scheduling rules in force when it was booked (or last rescheduled): its cut-offs
    /// and its buffers in the teacher's calendar.
    pub rules: SchedulingRules,
}

impl From<&core_lesson::Lesson> for Lesson {
    fn from(l: &core_lesson::Lesson) -> Self {
        let (local_start, local_end) = l.local_times();
        Lesson {
            id: id_out(l.id),
            teacher_id: id_out(l.teacher_id),
            student_id: id_out(l.student_id),
            slot_id: id_out(l.slot_id),
            course_id: l.course_id.map(id_out),
            series_id: l.series_id.map(id_out),
            starts_at: instant_out(l.starts_at),
            ends_at: instant_out(l.ends_at),
            time_zone: l.time_zone.name().to_owned(),
            local_start: local_out(local_start),
            local_end: local_out(local_end),
            status: l.status.into(),
            meeting_link: l.meeting_link.as_ref().map(|m| m.as_str().to_owned()),
            requested_at: instant_out(l.requested_at),
            updated_at: instant_out(l.updated_at),
            version: l.version,
            rules: l.rules.into(),
        }
    }
}

/// Which bookable occurrences to list.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct OccurrenceQuery {
    /// The teacher.
    pub teacher_id: String,
    /// Only slots of this course (`None`: every course, and slots without one).
    #[uniffi(default = None)]
    pub course_id: Option<String>,
    /// The student asking: courses they are not enrolled in are left out (`None`: all).
    #[uniffi(default = None)]
    pub student_id: Option<String>,
    /// The window's start (inclusive).
    pub from: SystemTime,
    /// The window's end (exclusive), at most 366 days after `from`.
    pub to: SystemTime,
    /// The IANA zone to show wall times in besides the teacher's (the student's; `None`: UTC).
    #[uniffi(default = None)]
    pub time_zone: Option<String>,
}

impl OccurrenceQuery {
    pub(crate) fn into_core(self) -> Result<core_lesson::OccurrenceQuery, CoreError> {
        Ok(core_lesson::OccurrenceQuery {
            teacher_id: id_in("teacher_id", &self.teacher_id)?,
            course_id: opt_id_in("course_id", self.course_id.as_deref())?,
            student_id: opt_id_in("student_id", self.student_id.as_deref())?,
            from: instant_in("from", self.from)?,
            to: instant_in("to", self.to)?,
            time_zone: self.time_zone,
        })
    }
}

/// One bookable occurrence of a slot, as an instant and as wall times.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct BookableOccurrence {
    /// The slot producing it (book it with this id and `starts_at`).
    pub slot_id: String,
    /// The slot's course, if any.
    pub course_id: Option<String>,
    /// Its start.
    pub starts_at: SystemTime,
    /// Its end.
    pub ends_at: SystemTime,
    /// The teacher's (the slot's) zone.
    pub teacher_time_zone: String,
    /// Start as a wall time in the teacher's zone.
    pub teacher_local_start: String,
    /// End as a wall time in the teacher's zone.
    pub teacher_local_end: String,
    /// The zone the query asked for.
    pub viewer_time_zone: String,
    /// Start as a wall time in the viewer's zone.
    pub viewer_local_start: String,
    /// End as a wall time in the viewer's zone.
    pub viewer_local_end: String,
}

impl From<&core_lesson::BookableOccurrence> for BookableOccurrence {
    fn from(o: &core_lesson::BookableOccurrence) -> Self {
        BookableOccurrence {
            slot_id: id_out(o.slot_id),
            course_id: o.course_id.map(id_out),
            starts_at: instant_out(o.starts_at),
            ends_at: instant_out(o.ends_at),
            teacher_time_zone: o.teacher_time_zone.name().to_owned(),
            teacher_local_start: local_out(o.teacher_local_start),
            teacher_local_end: local_out(o.teacher_local_end),
            viewer_time_zone: o.viewer_time_zone.name().to_owned(),
            viewer_local_start: local_out(o.viewer_local_start),
            viewer_local_end: local_out(o.viewer_local_end),
        }
    }
}

/// How a series ends.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum SeriesEnd {
    /// After this many lessons (1 to 104).
    Count {
        /// How many lessons.
        count: u32,
    },
    /// With the last lesson on or before this date in the slot's zone (`"2030-06-30"`).
    Until {
        /// The last date.
        date: String,
    },
}

/// What to do with occurrences of a series that cannot be booked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, uniffi::Enum)]
pub enum SeriesMode {
    /// Refuse the whole series.
    #[default]
    AllOrNothing,
    /// Book the free occurrences and report the others.
    BookAvailable,
}

/// A student's request for a recurring series of lessons from one weekly slot.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SeriesRequest {
    /// The weekly slot.
    pub slot_id: String,
    /// The student.
    pub student_id: String,
    /// The start of the first lesson (an occurrence of the slot).
    pub first_starts_at: SystemTime,
    /// Weeks between lessons (1 to 52).
    #[uniffi(default = 1)]
    pub every_weeks: u32,
    /// When it ends.
    pub end: SeriesEnd,
    /// All or nothing, or what is free.
    pub mode: SeriesMode,
}

impl SeriesRequest {
    pub(crate) fn into_core(self) -> Result<core_lesson::SeriesRequest, CoreError> {
        Ok(core_lesson::SeriesRequest {
            slot_id: id_in("slot_id", &self.slot_id)?,
            student_id: id_in("student_id", &self.student_id)?,
            first_starts_at: instant_in("first_starts_at", self.first_starts_at)?,
            every_weeks: self.every_weeks,
            end: match self.end {
                SeriesEnd::Count { count } => core_lesson::SeriesEnd::Count(count),
                SeriesEnd::Until { date } => core_lesson::SeriesEnd::Until(date_in("end", &date)?),
            },
            mode: match self.mode {
                SeriesMode::AllOrNothing => core_lesson::SeriesMode::AllOrNothing,
                SeriesMode::BookAvailable => core_lesson::SeriesMode::BookAvailable,
            },
        })
    }
}

/// An occurrence of a series that was not booked, and why.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SkippedOccurrence {
    /// Its date in the slot's zone.
    pub local_date: String,
    /// Its start, if the slot offers one that day.
    pub starts_at: Option<SystemTime>,
    /// The stable code of the reason, e.g. `slot_unavailable`.
    pub reason_code: String,
    /// The reason, in words.
    pub reason: String,
}

/// A booked series.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SeriesBooking {
    /// The series.
    pub series_id: String,
    /// Its lessons, in order.
    pub lessons: Vec<Lesson>,
    /// Occurrences not booked (`BookAvailable` only).
    pub skipped: Vec<SkippedOccurrence>,
}

impl From<&core_lesson::SeriesBooking> for SeriesBooking {
    fn from(s: &core_lesson::SeriesBooking) -> Self {
        SeriesBooking {
            series_id: id_out(s.series_id),
            lessons: s.lessons.iter().map(Lesson::from).collect(),
            skipped: s
                .skipped
                .iter()
                .map(|k| SkippedOccurrence {
                    local_date: date_out(k.local_date),
                    starts_at: k.starts_at.map(instant_out),
                    reason_code: k.reason.code().as_str().to_owned(),
                    reason: k.reason.to_string(),
                })
                .collect(),
        }
    }
}

/// The host's settings that decide whether 1:1 bookings of a course need approval: the
/// teacher's override wins, then the course's setting, else no approval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct ApprovalSettings {
    /// The course's setting, if it has one.
    #[uniffi(default = None)]
    pub course: Option<bool>,
    /// The teacher's override for this course, if any.
    #[uniffi(default = None)]
    pub teacher_override: Option<bool>,
}

impl From<ApprovalSettings> for core_lesson::ApprovalSettings {
    fn from(a: ApprovalSettings) -> Self {
        core_lesson::ApprovalSettings { course: a.course, teacher_override: a.teacher_override }
    }
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/// Something that happened, when, and at whose command.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Event {
    /// The kind's stable snake_case name, e.g. `booking_promoted` (for logs and outboxes).
    pub name: String,
    /// The engine clock's instant when the command was decided.
    pub occurred_at: SystemTime,
    /// Who ran the command.
    pub actor: Actor,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of domain events (see `booking_core::EventKind`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum EventKind {
    /// A group session was created.
    SessionCreated {
        /// The session as created.
        session: GroupSession,
    },
    /// A student got their seats straight away.
    BookingConfirmed {
        /// The session.
        session_id: String,
        /// The booking.
        booking_id: String,
        /// The student.
        student_id: String,
        /// Seats it takes.
        seats: u32,
    },
    /// A student joined the waitlist (`position` is 1-based).
    BookingWaitlisted {
        /// The session.
        session_id: String,
        /// The booking.
        booking_id: String,
        /// The student.
        student_id: String,
        /// Its 1-based place in the queue when joining.
        position: u32,
        /// Seats it waits for, as one.
        seats: u32,
    },
    /// The head of the waitlist got a freed or added seat.
    BookingPromoted {
        /// The session.
        session_id: String,
        /// The booking.
        booking_id: String,
        /// The student.
        student_id: String,
    },
    /// A seat booking was cancelled.
    BookingCancelled {
        /// The session.
        session_id: String,
        /// The booking.
        booking_id: String,
        /// The student.
        student_id: String,
        /// Its status before.
        previous_status: SeatStatus,
        /// The teacher, an admin or the system cancelled within the session's cancellation
        /// cut-off, which binds students only.
        cutoff_overridden: bool,
    },
    /// Freed seats are held for the first in line until `expires_at` (offer mode).
    SeatOffered {
        /// The session.
        session_id: String,
        /// The waitlisted booking.
        booking_id: String,
        /// The student.
        student_id: String,
        /// Seats held.
        seats: u32,
        /// When the offer runs out.
        expires_at: SystemTime,
    },
    /// The student took the offered seats: the booking is confirmed.
    OfferAccepted {
        /// The session.
        session_id: String,
        /// The booking.
        booking_id: String,
        /// The student.
        student_id: String,
    },
    /// The student turned the offer down: the booking is cancelled.
    OfferDeclined {
        /// The session.
        session_id: String,
        /// The booking.
        booking_id: String,
        /// The student.
        student_id: String,
    },
    /// The offer ran out unanswered: the booking left the queue.
    OfferExpired {
        /// The session.
        session_id: String,
        /// The booking.
        booking_id: String,
        /// The student.
        student_id: String,
    },
    /// Every seat is taken and the waitlist is off.
    SessionClosed {
        /// The session.
        session_id: String,
    },
    /// A closed session takes bookings again.
    SessionReopened {
        /// The session.
        session_id: String,
    },
    /// The number of seats changed.
    CapacityChanged {
        /// The session.
        session_id: String,
        /// Seats before.
        previous: u32,
        /// Seats now.
        capacity: u32,
    },
    /// The waitlist was turned on or off.
    WaitlistChanged {
        /// The session.
        session_id: String,
        /// Whether new students may now join the waitlist.
        enabled: bool,
    },
    /// The whole session was cancelled.
    SessionCancelled {
        /// The session.
        session_id: String,
    },
    /// Attendance of a seat booking was marked.
    AttendanceMarked {
        /// The session.
        session_id: String,
        /// The booking.
        booking_id: String,
        /// The student.
        student_id: String,
        /// Attended or no-show.
        status: SeatStatus,
    },
    /// A teacher published a slot.
    SlotPublished {
        /// The slot after the change.
        slot: AvailabilitySlot,
    },
    /// A slot was edited or (de)activated.
    SlotUpdated {
        /// The slot after the change.
        slot: AvailabilitySlot,
    },
    /// A lesson needing approval was requested.
    LessonRequested {
        /// The lesson.
        lesson: Lesson,
    },
    /// A lesson was booked without approval.
    LessonBooked {
        /// The lesson.
        lesson: Lesson,
    },
    /// A pending lesson was approved.
    LessonApproved {
        /// The booking.
        booking_id: String,
        /// The teacher.
        teacher_id: String,
        /// The student.
        student_id: String,
        /// The link.
        meeting_link: Option<String>,
    },
    /// A pending lesson was declined.
    LessonDeclined {
        /// The booking.
        booking_id: String,
        /// The teacher.
        teacher_id: String,
        /// The student.
        student_id: String,
        /// The teacher's reason, if given.
        reason: Option<String>,
    },
    /// A lesson was cancelled.
    LessonCancelled {
        /// The booking.
        booking_id: String,
        /// The teacher.
        teacher_id: String,
        /// The student.
        student_id: String,
        /// Its status before.
        previous_status: LessonStatus,
        /// The teacher, an admin or the system cancelled within the cancellation cut-off,
        /// which binds students only.
        cutoff_overridden: bool,
    },
    /// A lesson moved to another occurrence of its teacher's slots; the old time is free.
    LessonRescheduled {
        /// The lesson after the move (pending again when the new time needs approval).
        lesson: Lesson,
        /// The slot it was booked from before.
        previous_slot_id: String,
        /// Its start before.
        previous_starts_at: SystemTime,
        /// Its end before.
        previous_ends_at: SystemTime,
        /// The teacher, an admin or the system moved it within the reschedule cut-off.
        cutoff_overridden: bool,
    },
    /// A teacher's scheduling rules were set (for one course, or their default).
    SchedulingRulesSet {
        /// The teacher.
        teacher_id: String,
        /// The course, or `None` for the teacher's default rules.
        course_id: Option<String>,
        /// The rules now in force at that level (empty: none).
        rules: SchedulingRules,
    },
    /// A teacher took time off.
    TimeOffAdded {
        /// The time off.
        time_off: TimeOff,
    },
    /// A teacher's time off was withdrawn.
    TimeOffRemoved {
        /// The teacher.
        teacher_id: String,
        /// The time off.
        time_off_id: String,
    },
    /// A lesson's meeting link was set.
    MeetingLinkSet {
        /// The booking.
        booking_id: String,
        /// The link.
        meeting_link: String,
    },
    /// Attendance of a lesson was marked.
    LessonAttendanceMarked {
        /// The booking.
        booking_id: String,
        /// The teacher.
        teacher_id: String,
        /// The student.
        student_id: String,
        /// Attended or no-show.
        status: LessonStatus,
    },
    /// A recurring series was booked.
    SeriesBooked {
        /// The series.
        series_id: String,
        /// The student.
        student_id: String,
        /// Its lessons, in order.
        lessons: Vec<String>,
        /// How many occurrences were skipped.
        skipped: u32,
    },
    /// An event kind added to the core after this binding was built.
    Other,
}

impl From<&booking_core::Event> for Event {
    fn from(e: &booking_core::Event) -> Self {
        use booking_core::EventKind as K;
        let kind = match &e.kind {
            K::SessionCreated { session } => EventKind::SessionCreated { session: GroupSession::from(&**session) },
            K::BookingConfirmed { session_id, booking_id, student_id, seats } => EventKind::BookingConfirmed {
                session_id: id_out(session_id),
                booking_id: id_out(booking_id),
                student_id: id_out(student_id),
                seats: *seats,
            },
            K::BookingWaitlisted { session_id, booking_id, student_id, position, seats } => {
                EventKind::BookingWaitlisted {
                    session_id: id_out(session_id),
                    booking_id: id_out(booking_id),
                    student_id: id_out(student_id),
                    position: *position,
                    seats: *seats,
                }
            }
            K::BookingPromoted { session_id, booking_id, student_id } => EventKind::BookingPromoted {
                session_id: id_out(session_id),
                booking_id: id_out(booking_id),
                student_id: id_out(student_id),
            },
            K::BookingCancelled { session_id, booking_id, student_id, previous_status, cutoff_overridden } => {
                EventKind::BookingCancelled {
                    session_id: id_out(session_id),
                    booking_id: id_out(booking_id),
                    student_id: id_out(student_id),
                    previous_status: (*previous_status).into(),
                    cutoff_overridden: *cutoff_overridden,
                }
            }
            K::SeatOffered { session_id, booking_id, student_id, seats, expires_at } => EventKind::SeatOffered {
                session_id: id_out(session_id),
                booking_id: id_out(booking_id),
                student_id: id_out(student_id),
                seats: *seats,
                expires_at: instant_out(*expires_at),
            },
            K::OfferAccepted { session_id, booking_id, student_id } => EventKind::OfferAccepted {
                session_id: id_out(session_id),
                booking_id: id_out(booking_id),
                student_id: id_out(student_id),
            },
            K::OfferDeclined { session_id, booking_id, student_id } => EventKind::OfferDeclined {
                session_id: id_out(session_id),
                booking_id: id_out(booking_id),
                student_id: id_out(student_id),
            },
            K::OfferExpired { session_id, booking_id, student_id } => EventKind::OfferExpired {
                session_id: id_out(session_id),
                booking_id: id_out(booking_id),
                student_id: id_out(student_id),
            },
            K::SessionClosed { session_id } => EventKind::SessionClosed { session_id: id_out(session_id) },
            K::SessionReopened { session_id } => EventKind::SessionReopened { session_id: id_out(session_id) },
            K::CapacityChanged { session_id, previous, capacity } => {
                EventKind::CapacityChanged { session_id: id_out(session_id), previous: *previous, capacity: *capacity }
            }
            K::WaitlistChanged { session_id, enabled } => {
                EventKind::WaitlistChanged { session_id: id_out(session_id), enabled: *enabled }
            }
            K::SessionCancelled { session_id } => EventKind::SessionCancelled { session_id: id_out(session_id) },
            K::AttendanceMarked { session_id, booking_id, student_id, status } => EventKind::AttendanceMarked {
                session_id: id_out(session_id),
                booking_id: id_out(booking_id),
                student_id: id_out(student_id),
                status: (*status).into(),
            },
            K::SlotPublished { slot } => EventKind::SlotPublished { slot: (&**slot).into() },
            K::SlotUpdated { slot } => EventKind::SlotUpdated { slot: (&**slot).into() },
            K::LessonRequested { lesson } => EventKind::LessonRequested { lesson: Lesson::from(&**lesson) },
            K::LessonBooked { lesson } => EventKind::LessonBooked { lesson: Lesson::from(&**lesson) },
            K::LessonApproved { booking_id, teacher_id, student_id, meeting_link } => EventKind::LessonApproved {
                booking_id: id_out(booking_id),
                teacher_id: id_out(teacher_id),
                student_id: id_out(student_id),
                meeting_link: meeting_link.as_ref().map(|m| m.as_str().to_owned()),
            },
            K::LessonDeclined { booking_id, teacher_id, student_id, reason } => EventKind::LessonDeclined {
                booking_id: id_out(booking_id),
                teacher_id: id_out(teacher_id),
                student_id: id_out(student_id),
                reason: reason.clone(),
            },
            K::LessonCancelled { booking_id, teacher_id, student_id, previous_status, cutoff_overridden } => {
                EventKind::LessonCancelled {
                    booking_id: id_out(booking_id),
                    teacher_id: id_out(teacher_id),
                    student_id: id_out(student_id),
                    previous_status: (*previous_status).into(),
                    cutoff_overridden: *cutoff_overridden,
                }
            }
            K::LessonRescheduled {
                lesson,
                previous_slot_id,
                previous_starts_at,
                previous_ends_at,
                cutoff_overridden,
            } => EventKind::LessonRescheduled {
                lesson: Lesson::from(&**lesson),
                previous_slot_id: id_out(previous_slot_id),
                previous_starts_at: instant_out(*previous_starts_at),
                previous_ends_at: instant_out(*previous_ends_at),
                cutoff_overridden: *cutoff_overridden,
            },
            K::SchedulingRulesSet { teacher_id, course_id, rules } => EventKind::SchedulingRulesSet {
                teacher_id: id_out(teacher_id),
                course_id: course_id.map(id_out),
                rules: (**rules).into(),
            },
            K::TimeOffAdded { time_off } => EventKind::TimeOffAdded { time_off: TimeOff::from(&**time_off) },
            K::TimeOffRemoved { teacher_id, time_off_id } => {
                EventKind::TimeOffRemoved { teacher_id: id_out(teacher_id), time_off_id: id_out(time_off_id) }
            }
            K::MeetingLinkSet { booking_id, meeting_link } => EventKind::MeetingLinkSet {
                booking_id: id_out(booking_id),
                meeting_link: meeting_link.as_str().to_owned(),
            },
            K::LessonAttendanceMarked { booking_id, teacher_id, student_id, status } => {
                EventKind::LessonAttendanceMarked {
                    booking_id: id_out(booking_id),
                    teacher_id: id_out(teacher_id),
                    student_id: id_out(student_id),
                    status: (*status).into(),
                }
            }
            K::SeriesBooked { series_id, student_id, lessons, skipped } => EventKind::SeriesBooked {
                series_id: id_out(series_id),
                student_id: id_out(student_id),
                lessons: lessons.iter().map(id_out).collect(),
                skipped: *skipped,
            },
            _ => EventKind::Other,
        };
        Event {
            name: e.kind.name().to_owned(),
            occurred_at: instant_out(e.occurred_at),
            actor: Actor::from_core(e.actor),
            kind,
        }
    }
}

/// The events of a receipt.
pub(crate) fn events_out(events: &[booking_core::Event]) -> Vec<Event> {
    events.iter().map(Event::from).collect()
}

/// What one `processExpiredOffers` call did (see `booking_core::OfferSweep`): the events of
/// every session it processed, and the sessions it could not process. A failed session is
/// unchanged and tried again by the next call; every other due session was processed.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct OfferSweep {
    /// The events of every session processed, session after session.
    pub events: Vec<Event>,
    /// The sessions that could not be processed, in the order they were tried.
    pub failures: Vec<OfferSweepFailure>,
}

/// A session an offer sweep could not process, and why: the error it failed with (not
/// thrown), as its `code` and `detail`.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct OfferSweepFailure {
    /// The session.
    pub session_id: String,
    /// The error's stable code, e.g. `store_error`.
    pub code: String,
    /// The error's message.
    pub detail: String,
}

impl From<booking_core::OfferSweep> for OfferSweep {
    fn from(sweep: booking_core::OfferSweep) -> Self {
        let failures = sweep
            .failures
            .into_iter()
            .map(|(session, error)| {
                let error = crate::error::BookingError::from(error);
                OfferSweepFailure {
                    session_id: session.to_string(),
                    code: error.code().to_owned(),
                    detail: error.detail().to_owned(),
                }
            })
            .collect();
        OfferSweep { events: events_out(&sweep.events), failures }
    }
}

// ---------------------------------------------------------------------------------------------
// Receipts
// ---------------------------------------------------------------------------------------------

macro_rules! receipts {
    ($($(#[$doc:meta])* $name:ident($ty:ty))*) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
        pub struct $name {
            /// The object the command is about, after the command.
            pub value: $ty,
            /// The events the command caused (on a replay: those of the first run).
            pub events: Vec<Event>,
            /// The changed aggregate's version after the command.
            pub version: u64,
            /// Whether this is a replay of an earlier run with the same request key (then
            /// nothing was changed now).
            pub replayed: bool,
        }

        impl ReceiptOut for $name {
            type Value = $ty;

            fn new(value: $ty, events: Vec<Event>, version: u64, replayed: bool) -> Self {
                $name { value, events, version, replayed }
            }
        }
    )*};
}

/// A receipt record built from the parts of a core receipt.
pub(crate) trait ReceiptOut {
    /// The converted value.
    type Value;
    /// The receipt of `value`.
    fn new(value: Self::Value, events: Vec<Event>, version: u64, replayed: bool) -> Self;
}

// One record per value type, since uniffi has no generics: `booking_core::Receipt<T>` (the
// Python binding's `Receipt[T]`) becomes `<T>Receipt`, with the same fields.
receipts! {
    /// What a group-session command returns (`Receipt<GroupSession>` in the core).
    GroupSessionReceipt(GroupSession)
    /// What a seat-booking command returns (`Receipt<SeatBooking>` in the core).
    SeatBookingReceipt(SeatBooking)
    /// What a slot command returns (`Receipt<AvailabilitySlot>` in the core).
    AvailabilitySlotReceipt(AvailabilitySlot)
    /// What a lesson command returns (`Receipt<Lesson>` in the core).
    LessonReceipt(Lesson)
    /// What cancelling a series from a lesson on returns: the cancelled lessons
    /// (`Receipt<Vec<Lesson>>` in the core).
    LessonsReceipt(Vec<Lesson>)
    /// What booking a series returns (`Receipt<SeriesBooking>` in the core).
    SeriesBookingReceipt(SeriesBooking)
    /// What setting scheduling rules returns: the rules now set at that level
    /// (`Receipt<SchedulingRules>` in the core).
    SchedulingRulesReceipt(SchedulingRules)
    /// What adding or removing time off returns (`Receipt<TimeOff>` in the core).
    TimeOffReceipt(TimeOff)
}

/// Converts a core receipt, with `convert` for its value.
pub(crate) fn receipt_out<T, R: ReceiptOut>(
    receipt: booking_core::Receipt<T>,
    convert: impl FnOnce(&T) -> R::Value,
) -> R {
    R::new(convert(&receipt.value), events_out(&receipt.events), receipt.version, receipt.replayed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The core's event kinds this binding maps to a variant of their own (not `Other`), in the
    /// core's order; update it with the `From<&booking_core::Event>` match.
    const MAPPED_EVENT_KINDS: &[&str] = &[
        "session_created",
        "booking_confirmed",
        "booking_waitlisted",
        "booking_promoted",
        "booking_cancelled",
        "seat_offered",
        "offer_accepted",
        "offer_declined",
        "offer_expired",
        "session_closed",
        "session_reopened",
        "capacity_changed",
        "waitlist_changed",
        "session_cancelled",
        "attendance_marked",
        "slot_published",
        "slot_updated",
        "lesson_requested",
        "lesson_booked",
        "lesson_approved",
        "lesson_declined",
        "lesson_cancelled",
        "lesson_rescheduled",
        "meeting_link_set",
        "lesson_attendance_marked",
        "series_booked",
        "scheduling_rules_set",
        "time_off_added",
        "time_off_removed",
    ];

    #[test]
    fn every_core_event_kind_is_mapped() {
        assert_eq!(MAPPED_EVENT_KINDS, booking_core::EventKind::NAMES, "map the new event kind in types.rs");
    }

    #[test]
    fn scheduling_rules_round_trip() {
        let rules = SchedulingRules {
            min_notice_minutes: Some(1),
            max_advance_days: Some(2),
            buffer_before_minutes: Some(3),
            buffer_after_minutes: Some(4),
            cancel_cutoff_minutes: Some(5),
            reschedule_cutoff_minutes: Some(6),
            max_lessons_per_day: Some(7),
            max_lessons_per_week: Some(8),
            max_upcoming_lessons_per_student: Some(9),
            max_seats_per_booking: Some(10),
        };
        let core = booking_core::SchedulingRules::from(rules);
        assert_eq!(core.max_upcoming_lessons_per_student, Some(9));
        assert_eq!(core.max_seats_per_booking, Some(10));
        assert_eq!(core.buffer_before_minutes, Some(3));
        assert_eq!(SchedulingRules::from(core), rules);
        assert_eq!(
            booking_core::SchedulingRules::from(SchedulingRules::default()),
            booking_core::SchedulingRules::default()
        );
    }

    #[test]
    fn waitlist_mode_defaults_to_promote() {
        assert_eq!(booking_core::WaitlistMode::from(WaitlistMode::default()), booking_core::WaitlistMode::Promote);
        let offer = WaitlistMode::Offer { hold_minutes: 30 };
        assert_eq!(WaitlistMode::from(booking_core::WaitlistMode::from(offer)), offer);
    }
}
