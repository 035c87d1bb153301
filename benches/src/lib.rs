//! Fixtures shared by the benchmarks (`benches/`) and the memory measurement
//! (`src/bin/memory.rs`), plus the "floor" baselines the engine is compared with.
//!
//! Everything goes through the engine's public API: `Engine::new(InMemoryRepository::new())`
//! with a [`ManualClock`] and [`SequentialIds`], in-process queueing left at its default (on).
//! See `BENCHMARKS.md` at the top of the repository for the figures and how to reproduce them.

use booking_core::availability::SlotRecurrence;
use booking_core::lesson::{OccurrenceQuery, SlotSpec};
use booking_core::{
    Actor, BookingId, CourseId, Engine, InMemoryRepository, ManualClock, NewGroupSession, Repository, SequentialIds,
    SessionId, UserId,
};
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use std::collections::{HashMap, HashSet};

/// The engine every benchmark measures.
pub type BenchEngine = Engine<InMemoryRepository>;

/// The benchmarks' "now": 10 March 2030, three weeks before Europe's spring clock change.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 10, 0, 0, 0).unwrap()
}

/// A person; ids live far above the ones [`SequentialIds`] hands out.
pub fn user(n: u64) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128((1u128 << 100) | u128::from(n)))
}

/// A course id.
pub fn course(n: u64) -> CourseId {
    CourseId::from_uuid(uuid::Uuid::from_u128((2u128 << 100) | u128::from(n)))
}

/// A fresh engine over a fresh in-memory store, with a manual clock at [`now`] and
/// sequential ids.
pub fn engine() -> BenchEngine {
    engine_over(InMemoryRepository::new())
}

/// A fresh engine over `store` (for host data set up before the engine takes the store).
pub fn engine_over(store: InMemoryRepository) -> BenchEngine {
    Engine::new(store).with_clock(ManualClock::new(now())).with_ids(SequentialIds::default())
}

/// The teacher of every group session.
pub fn group_teacher() -> UserId {
    user(0)
}

/// The student with number `n` (group benchmarks).
pub fn student(n: u64) -> UserId {
    user(1_000_000 + n)
}

/// Creates a group session with `capacity` seats, starting a week after [`now`].
pub fn create_session(engine: &BenchEngine, capacity: u32, waitlist: bool) -> SessionId {
    let teacher = group_teacher();
    let new = NewGroupSession {
        teacher_id: teacher,
        course_id: None,
        title: "Conversation club".into(),
        starts_at: now() + TimeDelta::days(7),
        time_zone: "Europe/Berlin".into(),
        duration_minutes: 60,
        meeting_link: "https://meet.example.com/conversation-club".into(),
        capacity,
        waitlist_enabled: waitlist,
        waitlist_mode: Default::default(),
        rules: Default::default(),
    };
    engine.create_session(Actor::Teacher(teacher), new).expect("a valid session").value.id
}

/// Books a seat for `student` on `session` as that student.
pub fn book(engine: &BenchEngine, session: SessionId, student: UserId) -> BookingId {
    engine.book_seat(Actor::Student(student), session, student).expect("a seat or a waitlist place").value.id
}

/// Cancels a seat booking as its student.
pub fn cancel(engine: &BenchEngine, booking: BookingId, student: UserId) {
    engine.cancel_booking(Actor::Student(student), booking).expect("an active booking");
}

// ---------------------------------------------------------------------------------------------
// The floor: the least work any correct engine must do for a seat booking.
// ---------------------------------------------------------------------------------------------

/// A booking as the floor keeps it.
#[derive(Clone, Copy, Debug)]
pub struct FloorBooking {
    /// The booking.
    pub id: u64,
    /// Its student.
    pub student: UserId,
    /// Active (holds a seat) or cancelled.
    pub active: bool,
}

/// A session as the floor keeps it.
#[derive(Debug, Default)]
pub struct FloorSession {
    /// Seats.
    pub capacity: u32,
    /// Seats taken, kept as a counter.
    pub taken: u32,
    /// Every booking, in booking order.
    pub bookings: Vec<FloorBooking>,
}

/// The least a correct in-memory booking store must do, with none of the engine's extras
/// (no events, no versions, no snapshots, no actor checks, no waitlist, no request keys):
///
/// - booking: one hash-map lookup of the session, one hash-set insert (at most one active
///   booking per student and session), a capacity check against a counter, one vector push,
///   and one hash-map insert so the booking can be found by its id later;
/// - cancelling: the id lookup, the session lookup, a status flip, the counter, one hash-set
///   remove.
///
/// It uses the same hasher (std's SipHash) and id types as the engine.
#[derive(Debug, Default)]
pub struct Floor {
    sessions: HashMap<SessionId, FloorSession>,
    active: HashSet<(SessionId, UserId)>,
    index: HashMap<u64, (SessionId, u32)>,
    next_id: u64,
}

impl Floor {
    /// Adds a session.
    pub fn create_session(&mut self, id: SessionId, capacity: u32) {
        self.sessions.insert(id, FloorSession { capacity, ..FloorSession::default() });
    }

    /// Books a seat; `None` if the student already holds one or the session is full.
    pub fn book(&mut self, session_id: SessionId, student: UserId) -> Option<u64> {
        let session = self.sessions.get_mut(&session_id)?;
        if session.taken >= session.capacity || !self.active.insert((session_id, student)) {
            return None;
        }
        self.next_id += 1;
        let id = self.next_id;
        session.taken += 1;
        self.index.insert(id, (session_id, session.bookings.len() as u32));
        session.bookings.push(FloorBooking { id, student, active: true });
        Some(id)
    }

    /// Cancels a booking; `false` if it is unknown or not active.
    pub fn cancel(&mut self, id: u64) -> bool {
        let Some(&(session_id, at)) = self.index.get(&id) else { return false };
        let Some(session) = self.sessions.get_mut(&session_id) else { return false };
        let booking = &mut session.bookings[at as usize];
        if !booking.active {
            return false;
        }
        booking.active = false;
        session.taken -= 1;
        self.active.remove(&(session_id, booking.student))
    }
}

// ---------------------------------------------------------------------------------------------
// Availability: teachers with 20 weekly slots, 50 one-time slots and 200 booked lessons.
// ---------------------------------------------------------------------------------------------

/// Weekly slots per teacher.
pub const WEEKLY_SLOTS: usize = 20;
/// One-time slots per teacher.
pub const ONE_TIME_SLOTS: usize = 50;
/// Lessons booked per teacher, spread over the year after [`now`].
pub const LESSONS: usize = 200;

/// Zones with daylight saving time; teacher `n` gets `DST_ZONES[n % len]` (teacher 0: Berlin).
pub const DST_ZONES: &[&str] = &[
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "America/Santiago",
    "Europe/London",
    "America/Chicago",
    "Pacific/Auckland",
    "Asia/Jerusalem",
    "America/Los_Angeles",
    "Australia/Lord_Howe",
];

/// The zone the students view the listing in.
pub const VIEWER_ZONE: &str = "America/New_York";

/// Teacher `n` of the availability benchmarks.
pub fn slot_teacher(n: u64) -> UserId {
    user(2_000_000 + n)
}

/// The course that 5 of each teacher's weekly slots are reserved for.
pub fn slot_course() -> CourseId {
    course(1)
}

/// The student who lists availability (enrolled in [`slot_course`]).
pub fn viewer() -> UserId {
    user(3_000_000)
}

/// The slots of one availability teacher: 20 weekly (Monday to Friday at 09:00, 11:00, 14:00
/// and 16:00 for an hour, 5 of them for a course) and 50 one-time (Saturdays 10:00 to 11:30,
/// one a week from [`now`] on), all in `zone`.
pub fn teacher_slots(zone: &str) -> Vec<SlotSpec> {
    let mut specs = Vec::with_capacity(WEEKLY_SLOTS + ONE_TIME_SLOTS);
    let days = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];
    for (i, (weekday, hour)) in days.iter().flat_map(|d| [9, 11, 14, 16].map(|h| (*d, h))).enumerate() {
        specs.push(SlotSpec {
            course_id: (i % 4 == 0).then(slot_course),
            time_zone: zone.to_owned(),
            recurrence: SlotRecurrence::Weekly {
                weekday,
                start_time: NaiveTime::from_hms_opt(hour, 0, 0).unwrap(),
                end_time: NaiveTime::from_hms_opt(hour + 1, 0, 0).unwrap(),
                valid_from: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
                valid_until: None,
            },
            active: true,
            rules: Default::default(),
        });
    }
    let today = now().date_naive();
    let first_saturday = today + Days::new(u64::from(Weekday::Sat.days_since(today.weekday())));
    for week in 0..ONE_TIME_SLOTS as u64 {
        let day = first_saturday + Days::new(7 * week);
        specs.push(SlotSpec {
            course_id: None,
            time_zone: zone.to_owned(),
            recurrence: SlotRecurrence::OneTime {
                start: day.and_hms_opt(10, 0, 0).unwrap(),
                end: day.and_hms_opt(11, 30, 0).unwrap(),
            },
            active: true,
            rules: Default::default(),
        });
    }
    specs
}

/// Students booking each teacher's lessons (each teacher has students of their own, so that
/// the same wall times in different teachers' calendars do not clash in a student's).
pub const STUDENTS_PER_TEACHER: u64 = 50;

/// Student `s` of availability teacher `t`.
pub fn lesson_student(t: u64, s: u64) -> UserId {
    user(10_000_000 + t * 1_000 + s)
}

/// A store and engine with `teachers` availability teachers, each furnished by
/// [`furnish_availability_teacher`]. The [`viewer`] and every teacher's students are enrolled
/// in [`slot_course`].
pub fn availability_engine(teachers: u64) -> BenchEngine {
    let store = InMemoryRepository::new();
    for student in availability_students(teachers) {
        store.enroll(student, slot_course());
    }
    let engine = engine_over(store);
    for t in 0..teachers {
        furnish_availability_teacher(&engine, t);
    }
    engine
}

/// Everyone to enroll in [`slot_course`] before availability teachers `0..teachers` are
/// furnished: the [`viewer`] and each teacher's [`STUDENTS_PER_TEACHER`] students.
pub fn availability_students(teachers: u64) -> impl Iterator<Item = UserId> {
    std::iter::once(viewer())
        .chain((0..teachers).flat_map(|t| (0..STUDENTS_PER_TEACHER).map(move |s| lesson_student(t, s))))
}

/// Availability teacher `t` in any engine (the Rust side of the Kotlin and Swift listing
/// comparison uses it through the bindings' engine): [`teacher_slots`] in
/// `DST_ZONES[t % len]` and [`LESSONS`] lessons booked by their 50 students, spread evenly over
/// the 365 days after [`now`]. The students must be enrolled ([`availability_students`]).
pub fn furnish_availability_teacher<R: Repository>(engine: &Engine<R>, t: u64) {
    let teacher = slot_teacher(t);
    let zone = DST_ZONES[t as usize % DST_ZONES.len()];
    for spec in teacher_slots(zone) {
        engine.publish_slot(Actor::Teacher(teacher), teacher, spec).expect("a valid slot");
    }
    let all = engine.list_occurrences(&query(teacher, 365)).expect("a listing");
    assert!(all.len() >= LESSONS, "{} occurrences", all.len());
    for i in 0..LESSONS {
        let o = &all[i * all.len() / LESSONS];
        let student = lesson_student(t, i as u64 % STUDENTS_PER_TEACHER);
        engine.book_lesson(Actor::Student(student), o.slot_id, o.starts_at, student).expect("a free occurrence");
    }
}

/// The viewer's query for `teacher`'s occurrences over `days` days from [`now`], shown in
/// [`VIEWER_ZONE`].
pub fn query(teacher: UserId, days: i64) -> OccurrenceQuery {
    OccurrenceQuery {
        teacher_id: teacher,
        course_id: None,
        student_id: Some(viewer()),
        from: now(),
        to: now() + TimeDelta::days(days),
        time_zone: Some(VIEWER_ZONE.to_owned()),
    }
}

/// A slot as the listing floor sees it: fixed UTC arithmetic on seconds, no time zone.
#[derive(Clone, Copy, Debug)]
pub enum FloorSlot {
    /// Every week at `first_start` + k weeks, `length` seconds long.
    Weekly {
        /// Seconds since the epoch of one occurrence's start.
        first_start: i64,
        /// Length in seconds.
        length: i64,
    },
    /// Once.
    OneTime {
        /// Start, seconds since the epoch.
        start: i64,
        /// End, seconds since the epoch.
        end: i64,
    },
}

/// [`teacher_slots`] as the floor sees them: wall times read as UTC.
pub fn floor_slots() -> Vec<FloorSlot> {
    teacher_slots("UTC")
        .iter()
        .map(|spec| match spec.recurrence {
            SlotRecurrence::Weekly { weekday, start_time, end_time, valid_from, .. } => {
                let first = valid_from + Days::new(u64::from(weekday.days_since(valid_from.weekday())));
                FloorSlot::Weekly {
                    first_start: first.and_time(start_time).and_utc().timestamp(),
                    length: (end_time - start_time).num_seconds(),
                }
            }
            SlotRecurrence::OneTime { start, end } => {
                FloorSlot::OneTime { start: start.and_utc().timestamp(), end: end.and_utc().timestamp() }
            }
        })
        .collect()
}

const WEEK: i64 = 7 * 24 * 3600;

/// The least work a listing must do: produce every occurrence in `[from, to)` (fixed offsets,
/// no DST, no holds, no wall times) and sort them. Returns `(slot index, start, end)`.
pub fn floor_listing(slots: &[FloorSlot], from: i64, to: i64) -> Vec<(u32, i64, i64)> {
    let mut out = Vec::new();
    for (i, slot) in slots.iter().enumerate() {
        match *slot {
            FloorSlot::Weekly { first_start, length } => {
                let weeks = (from - first_start).div_euclid(WEEK).max(0);
                let mut start = first_start + weeks * WEEK;
                if start < from {
                    start += WEEK;
                }
                while start < to {
                    out.push((i as u32, start, start + length));
                    start += WEEK;
                }
            }
            FloorSlot::OneTime { start, end } => {
                if from <= start && start < to {
                    out.push((i as u32, start, end));
                }
            }
        }
    }
    out.sort_unstable_by_key(|&(i, start, _)| (start, i));
    out
}
