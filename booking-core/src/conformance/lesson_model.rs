//! The 1:1 lesson property test: random availability and random command sequences, run through
//! the engine over the store under test and through a plain reference model, compared after
//! every step.
//!
//! # The model
//! [`Model`] is written from the rules in the [lesson module docs](crate::lesson), not from its
//! code: it never calls a decision of [`lesson`](crate::lesson) nor [`Calendar::apply`]. It
//! holds the slots (teacher, course, zone, recurrence, active flag), the lessons (teacher,
//! student, slot, series, instants, status, version, meeting link, timestamps), the host data
//! (enrollments, course settings, teachers' overrides), the calendars' versions and the clock,
//! and predicts for every command the exact error code, or the exact event kinds and the new
//! state. To know *what a slot produces* it uses [`occurrences`] and [`occurrence_at`], which
//! are tested on their own (the DST rule against a day-by-day reference); everything else
//! (enrollment, approval precedence, overlaps, series expansion and modes, who may do what,
//! which lessons a decision on a series takes along) is spelled out here.
//!
//! # Availability
//! Each case publishes 3 to 7 random slots for two teachers: weekly and one-time slots in
//! Europe/Berlin, Australia/Sydney and America/New_York, anchored on a small grid of UTC
//! instants so that slots of one teacher often overlap each other (one-time over weekly too)
//! and the other teacher's, some running overnight; now and then a slot on the night of a clock
//! change (Berlin's spring gap on 31 March 2030, New York's on 10 March, Sydney's autumn fold on
//! 7 April). Some slots are inactive, about half belong to one of two courses, whose approval
//! setting (and the teachers' overrides) and whose enrolled students are random; host data is
//! served through [`HostData`], and changes during the case.
//!
//! The learners are four students and teacher 1 (see [`learner`]), so one calendar holds
//! lessons its owner teaches and lessons they take.
//!
//! Scheduling rules are random too: each teacher's own, per course, and per slot (every field
//! unset or one of a few values, cut-offs from a day to ten days so that students meet them),
//! and the model applies them from the [rules docs](crate::rules) with its own arithmetic
//! (precedence field by field, the window, buffers around the teacher's lessons, limits per
//! day and ISO week in the slot's zone and per student and course, time off as whole local
//! days), never through [`SchedulingRules`]' methods.
//!
//! # Commands
//! Listings (random window, viewer, course filter and display zone, some invalid), single
//! bookings (an occurrence the slot produces, sometimes the time of an earlier lesson, one
//! overlapping a lesson of the same learner with the other teacher, a wrong instant, a past one,
//! or an unknown slot), series (1 to 6 lessons or until a date, every 1 or 2 weeks
//! (sometimes 0), both modes), approvals (sometimes with a meeting link, sometimes a bad one),
//! declines (sometimes with a reason that is too long), cancellations of one lesson or of a
//! lesson and the later ones of its series, slot (de)activation, enrollment and approval-setting
//! changes by the host (more likely the ones an approval re-checks: a pending lesson's student
//! leaves its course, its slot is deactivated), reschedules of lessons (mostly to an occurrence
//! of their teacher's slots, sometimes to where they already are or to another teacher's slot),
//! scheduling-rule changes (sometimes invalid), time off taken (sometimes with the last day
//! before the first) and withdrawn (sometimes another teacher's), and clock advances, sent by
//! random actors (two teachers, the learners, an admin, the system), authorized or not.
//!
//! # After every step
//! See [`Sut::step`]: the outcome is the model's (error code, or event kinds, actor and instant,
//! and returned values equal to the stored ones); a refused command changed no calendar and no
//! lesson; every stored lesson and calendar equals the model's; no person has two overlapping
//! active lessons ([`check_no_overlap`]); calendars hold every active lesson of their owner that
//! has not ended and nothing inactive, each busy with the model's buffers in its teacher's
//! calendar and bare in its student's; the teachers' rules and time off are the model's; and
//! a listing of each teacher's next [`AUDIT_WINDOW_DAYS`] days, for nobody in particular and
//! for the last lesson's student, equals the model's and passes [`check_listing`] (each
//! occurrence produced by its slot at its wall time, in the future, overlapping no active
//! lesson of the teacher).
//!
//! Runs [`property_cases`](super::property_cases) cases of 1 to 39 transitions with a fixed
//! seed; set `PROPTEST_RNG_SEED` to explore other sequences.

use super::harness::{Harness, StoreFactory, admin, ensure, ensure_eq, student, t0, teacher};
use super::host::HostData;
use crate::{
    Actor, BookingError, BookingId, Command, CourseId, Event, EventKind, MeetingLink, OutcomeValue, Receipt,
    Repository, SchedulingRules, SeriesId, SlotId, TimeOffId, UserId,
    availability::{AvailabilitySlot, Occurrence, SlotRecurrence, TimeOffSpec, occurrence_at, occurrences},
    lesson::{
        BookableOccurrence, Calendar, Lesson, LessonStatus, OccurrenceQuery, SeriesEnd, SeriesMode, SeriesRequest,
        SlotSpec,
    },
    time::wall_time,
};
use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::{America, Australia, Europe, Tz};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::strategy::Union;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use proptest_state_machine::ReferenceStateMachine;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The seed used unless `PROPTEST_RNG_SEED` names another one.
const DEFAULT_SEED: u64 = 0x1e55_0a5e_ed01;
/// Students 1 to 4 book, and learner 0: teacher 1 taking lessons (see [`learner`]).
const STUDENTS: u32 = 4;
/// Courses 0 and 1.
const COURSES: u32 = 2;
/// The teachers' zones: one with a spring gap on 31 March 2030, one with an autumn fold on
/// 7 April 2030 (southern hemisphere), one with a spring gap on 10 March 2030.
const ZONES: [Tz; 3] = [Europe::Berlin, Australia::Sydney, America::New_York];
/// A valid meeting link.
const LINK: &str = "https://meet.example.com/lesson";
/// A meeting link the engine refuses (not http or https).
const BAD_LINK: &str = "ftp://meet.example.com/lesson";
/// A teacher's reason for declining.
const REASON: &str = "not this week";
/// A display zone that does not exist.
const BAD_ZONE: &str = "Mars/Olympus_Mons";
/// The window listed after every step, in days from now.
const AUDIT_WINDOW_DAYS: i64 = 42;

/// Learner `n`: student `n`, or for 0 teacher 1, who also takes lessons (from teacher 2; their
/// own slots are refused), so one calendar holds lessons they teach and lessons they take.
fn learner(n: u32) -> UserId {
    if n == 0 { teacher(1) } else { student(n) }
}

/// Learners for generated commands: mostly students, sometimes teacher 1.
fn any_learner() -> BoxedStrategy<u32> {
    prop_oneof![1 => Just(0u32), 6 => 1..=STUDENTS].boxed()
}

/// Course number `n`.
fn course(n: u32) -> CourseId {
    CourseId::from_uuid(uuid::Uuid::from_u128(0xc0c0_0000_0000_0000_0000_0000_0000_0000 | u128::from(n)))
}

/// A slot id no store ever hands out.
fn unknown_slot() -> SlotId {
    SlotId::from_uuid(uuid::Uuid::from_u128(0xdead_5107_0000_0000_0000_0000_0000_0001))
}

/// A booking id no store ever hands out.
fn unknown_lesson() -> BookingId {
    BookingId::from_uuid(uuid::Uuid::from_u128(0xdead_1e55_0000_0000_0000_0000_0000_0001))
}

/// A time-off id no store ever hands out.
fn unknown_time_off() -> TimeOffId {
    TimeOffId::from_uuid(uuid::Uuid::from_u128(0xdead_0ff0_0000_0000_0000_0000_0000_0001))
}

/// Who sends a command: teacher 1 or 2, student 1 to 4, admin 1, or the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Teacher(u32),
    Student(u32),
    Admin,
    System,
}

impl Who {
    fn actor(self) -> Actor {
        match self {
            Who::Teacher(n) => Actor::Teacher(teacher(n)),
            Who::Student(n) => Actor::Student(learner(n)),
            Who::Admin => Actor::Admin(admin(1)),
            Who::System => Actor::System,
        }
    }

    fn privileged(self) -> bool {
        matches!(self, Who::Admin | Who::System)
    }

    /// May act as teacher `t`.
    fn for_teacher(self, t: u32) -> bool {
        self.privileged() || self == Who::Teacher(t)
    }

    /// May act as student `s`.
    fn for_student(self, s: u32) -> bool {
        self.privileged() || self == Who::Student(s)
    }
}

/// A person with a calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Person {
    Teacher(u32),
    Student(u32),
}

impl Person {
    fn all() -> impl Iterator<Item = Person> {
        (1..=2).map(Person::Teacher).chain((1..=STUDENTS).map(Person::Student))
    }

    fn id(self) -> UserId {
        match self {
            Person::Teacher(n) => teacher(n),
            Person::Student(n) => learner(n),
        }
    }

    /// The person learner `n` is.
    fn learner(n: u32) -> Person {
        if n == 0 { Person::Teacher(1) } else { Person::Student(n) }
    }

    /// Whether `l` is this person's lesson (teaching or learning).
    fn has(self, l: &ModelLesson) -> bool {
        Person::Teacher(l.teacher) == self || Person::learner(l.student) == self
    }
}

/// A slot of the model, by its index in publication order, or an id nobody published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotRef {
    Index(usize),
    Unknown,
}

/// A lesson of the model, by its index in booking order, or an unknown id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LessonRef {
    Index(usize),
    Unknown,
}

/// A slot of the model.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ModelSlot {
    teacher: u32,
    course: Option<u32>,
    tz: Tz,
    recurrence: SlotRecurrence,
    active: bool,
    /// The slot's own scheduling rules.
    rules: SchedulingRules,
}

impl ModelSlot {
    fn spec(&self) -> SlotSpec {
        SlotSpec {
            course_id: self.course.map(course),
            time_zone: self.tz.name().to_owned(),
            recurrence: self.recurrence.clone(),
            active: self.active,
            rules: self.rules,
        }
    }

    /// The slot as the engine stores it, under `id`.
    fn slot(&self, id: SlotId) -> AvailabilitySlot {
        AvailabilitySlot {
            id,
            teacher_id: teacher(self.teacher),
            course_id: self.course.map(course),
            time_zone: self.tz,
            recurrence: self.recurrence.clone(),
            active: self.active,
            rules: self.rules,
        }
    }

    /// The same slot, active: what it produces when offered.
    fn offered(&self) -> AvailabilitySlot {
        AvailabilitySlot { active: true, ..self.slot(unknown_slot()) }
    }

    fn weekly(&self) -> bool {
        matches!(self.recurrence, SlotRecurrence::Weekly { .. })
    }

    /// The occurrence starting at `starts_at`, if the slot offers it now.
    fn offered_at(&self, starts_at: DateTime<Utc>) -> Option<Occurrence> {
        if !self.active {
            return None;
        }
        occurrence_at(&self.offered(), starts_at).ok()
    }

    /// The occurrence the slot's rule starts on the local date `date`, if it offers one.
    fn offered_on(&self, date: NaiveDate) -> Option<Occurrence> {
        if !self.active {
            return None;
        }
        let midnight = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc();
        let (from, to) = (midnight(date - Days::new(2)), midnight(date + Days::new(3)));
        occurrences(&self.offered(), from, to).ok()?.find(|o| o.local_date == date)
    }

    /// Every occurrence the slot produces (active or not) in `[from, to)`, as `(start, end)`.
    fn produced(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Span> {
        occurrences(&self.offered(), from, to)
            .map(|o| o.map(|o| (o.starts_at, o.ends_at)).collect())
            .unwrap_or_default()
    }
}

/// A lesson status of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Pending,
    Confirmed,
    Declined,
    Cancelled,
}

impl Status {
    fn active(self) -> bool {
        matches!(self, Status::Pending | Status::Confirmed)
    }

    fn lesson_status(self) -> LessonStatus {
        match self {
            Status::Pending => LessonStatus::Pending,
            Status::Confirmed => LessonStatus::Confirmed,
            Status::Declined => LessonStatus::Declined,
            Status::Cancelled => LessonStatus::Cancelled,
        }
    }
}

/// A lesson of the model.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ModelLesson {
    slot: usize,
    teacher: u32,
    student: u32,
    course: Option<u32>,
    tz: Tz,
    /// Index of its series, in the order series were booked.
    series: Option<usize>,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
    status: Status,
    version: u64,
    link: Option<&'static str>,
    requested_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// The rules in force when it was booked or last moved.
    rules: SchedulingRules,
}

impl ModelLesson {
    /// The time the lesson keeps busy in `p`'s calendar: with its buffers for its teacher,
    /// bare for its student.
    fn busy_span(&self, p: Person) -> Span {
        if p == Person::Teacher(self.teacher) {
            (
                self.starts - TimeDelta::minutes(i64::from(self.rules.buffer_before_minutes.unwrap_or(0))),
                self.ends + TimeDelta::minutes(i64::from(self.rules.buffer_after_minutes.unwrap_or(0))),
            )
        } else {
            (self.starts, self.ends)
        }
    }

    /// Whether it is active and keeps `p` busy at some instant of `[starts, ends)`.
    fn keeps_busy(&self, p: Person, starts: DateTime<Utc>, ends: DateTime<Utc>) -> bool {
        let (from, until) = self.busy_span(p);
        self.status.active() && from < ends && starts < until
    }
}

/// A teacher's time off in the model: whole days in a zone.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ModelTimeOff {
    teacher: u32,
    first: NaiveDate,
    last: NaiveDate,
    tz: Tz,
    withdrawn: bool,
}

impl ModelTimeOff {
    /// From the first day's midnight to the midnight after the last day, in its zone (the
    /// zones here change their clocks at night, never at midnight).
    fn span(&self) -> Span {
        let midnight = |d: NaiveDate| {
            self.tz.from_local_datetime(&d.and_time(NaiveTime::MIN)).earliest().expect("midnight exists").to_utc()
        };
        (midnight(self.first), midnight(self.last + Days::new(1)))
    }
}

/// One generated step.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Transition {
    /// List a teacher's bookable occurrences in `[from, to)`.
    List {
        teacher: u32,
        student: Option<u32>,
        course: Option<u32>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        zone: Option<&'static str>,
    },
    Book {
        who: Who,
        slot: SlotRef,
        starts: DateTime<Utc>,
        student: u32,
    },
    Series {
        who: Who,
        slot: SlotRef,
        student: u32,
        first: DateTime<Utc>,
        every: u32,
        end: SeriesEnd,
        mode: SeriesMode,
    },
    Approve {
        who: Who,
        lesson: LessonRef,
        link: Option<&'static str>,
    },
    Decline {
        who: Who,
        lesson: LessonRef,
        long_reason: bool,
    },
    Cancel {
        who: Who,
        lesson: LessonRef,
        and_later: bool,
    },
    SetActive {
        who: Who,
        slot: SlotRef,
        active: bool,
    },
    /// Host data: enroll or unenroll a student.
    Enroll {
        student: u32,
        course: u32,
        enrolled: bool,
    },
    /// Host data: a course's approval setting.
    CourseApproval {
        course: u32,
        requires: Option<bool>,
    },
    /// Move the clock forward.
    Advance {
        minutes: i64,
    },
    /// Move a lesson to an occurrence.
    Reschedule {
        who: Who,
        lesson: LessonRef,
        slot: SlotRef,
        starts: DateTime<Utc>,
    },
    /// Set a teacher's rules (for a course, or their default).
    SetRules {
        who: Who,
        teacher: u32,
        course: Option<u32>,
        rules: SchedulingRules,
    },
    /// Take `days + 1` days off from `first` (a negative `days`: a last day before the first).
    AddTimeOff {
        who: Who,
        teacher: u32,
        first: NaiveDate,
        days: i64,
        tz: Tz,
    },
    /// Withdraw time off (by its index in the model, possibly not the teacher's or unknown).
    RemoveTimeOff {
        who: Who,
        teacher: u32,
        index: usize,
    },
}

impl Transition {
    fn who(&self) -> Option<Who> {
        match self {
            Transition::Book { who, .. }
            | Transition::Series { who, .. }
            | Transition::Approve { who, .. }
            | Transition::Decline { who, .. }
            | Transition::Cancel { who, .. }
            | Transition::SetActive { who, .. }
            | Transition::Reschedule { who, .. }
            | Transition::SetRules { who, .. }
            | Transition::AddTimeOff { who, .. }
            | Transition::RemoveTimeOff { who, .. } => Some(*who),
            _ => None,
        }
    }
}

/// A start and an end.
type Span = (DateTime<Utc>, DateTime<Utc>);

/// An occurrence a listing offers: `(slot index, start, end)`.
type Listed = (usize, DateTime<Utc>, DateTime<Utc>);

/// A skipped occurrence of a series: `(local date, start if the slot offers one, code)`.
type Skipped = (NaiveDate, Option<DateTime<Utc>>, &'static str);

/// What the model predicts for a command that succeeds.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Done {
    kinds: Vec<&'static str>,
    /// Indices of the lessons it books.
    created: std::ops::Range<usize>,
    /// Whether it books a series.
    series: bool,
    skipped: Vec<Skipped>,
    /// Indices of the lessons it decides on (approve, decline, cancel, reschedule), the
    /// target first.
    decided: Vec<usize>,
    /// The lesson it returns when it decides on none (a move to where the lesson already is).
    subject: Option<usize>,
    /// Whether it adds time off (whose id the engine hands out).
    time_off_added: bool,
}

impl Done {
    fn kinds(kinds: Vec<&'static str>) -> Self {
        Done {
            kinds,
            created: 0..0,
            series: false,
            skipped: Vec::new(),
            decided: Vec::new(),
            subject: None,
            time_off_added: false,
        }
    }
}

/// What the model predicts for one transition.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Expect {
    /// Not a command (clock, host data).
    Nothing,
    /// A listing, or its error code.
    Listed(Result<Vec<Listed>, &'static str>),
    /// Refused with this code, nothing changed.
    Refused(&'static str),
    /// Decided now.
    Done(Done),
}

/// The reference model: plain data and the rules, spelled out.
#[derive(Clone, Debug)]
struct Model {
    now: DateTime<Utc>,
    slots: Vec<ModelSlot>,
    lessons: Vec<ModelLesson>,
    /// Series booked so far.
    series: usize,
    /// `(student, course)`.
    enrolled: BTreeSet<(u32, u32)>,
    /// Per course.
    course_approval: Vec<Option<bool>>,
    /// `(teacher, course)` overrides.
    teacher_approval: BTreeMap<(u32, u32), bool>,
    /// Calendar versions (absent: never stored).
    versions: BTreeMap<Person, u64>,
    /// Each teacher's own rules.
    teacher_rules: BTreeMap<u32, SchedulingRules>,
    /// `(teacher, course)` rules.
    course_rules: BTreeMap<(u32, u32), SchedulingRules>,
    /// Time off, in the order it was taken.
    time_off: Vec<ModelTimeOff>,
}

impl Model {
    fn new(
        slots: Vec<ModelSlot>,
        enrolled: BTreeSet<(u32, u32)>,
        course_approval: Vec<Option<bool>>,
        teacher_approval: BTreeMap<(u32, u32), bool>,
        teacher_rules: BTreeMap<u32, SchedulingRules>,
        course_rules: BTreeMap<(u32, u32), SchedulingRules>,
    ) -> Self {
        let mut versions = BTreeMap::new();
        for s in &slots {
            *versions.entry(Person::Teacher(s.teacher)).or_insert(0) += 1;
        }
        // Each level of rules set is one command on the teacher's calendar.
        let teacher_rules: BTreeMap<u32, SchedulingRules> =
            teacher_rules.into_iter().filter(|(_, r)| *r != SchedulingRules::default()).collect();
        let course_rules: BTreeMap<(u32, u32), SchedulingRules> =
            course_rules.into_iter().filter(|(_, r)| *r != SchedulingRules::default()).collect();
        for t in teacher_rules.keys().chain(course_rules.keys().map(|(t, _)| t)) {
            *versions.entry(Person::Teacher(*t)).or_insert(0) += 1;
        }
        Model {
            now: t0(),
            slots,
            lessons: Vec::new(),
            series: 0,
            enrolled,
            course_approval,
            teacher_approval,
            versions,
            teacher_rules,
            course_rules,
            time_off: Vec::new(),
        }
    }

    /// The rules for bookings of `slot`, field by field: the slot's, else the teacher's for
    /// the slot's course, else the teacher's.
    fn effective(&self, slot: usize) -> SchedulingRules {
        let s = &self.slots[slot];
        let t = self.teacher_rules.get(&s.teacher).copied().unwrap_or_default();
        let c = s.course.and_then(|c| self.course_rules.get(&(s.teacher, c)).copied()).unwrap_or_default();
        let r = s.rules;
        SchedulingRules {
            min_notice_minutes: r.min_notice_minutes.or(c.min_notice_minutes).or(t.min_notice_minutes),
            max_advance_days: r.max_advance_days.or(c.max_advance_days).or(t.max_advance_days),
            buffer_before_minutes: r.buffer_before_minutes.or(c.buffer_before_minutes).or(t.buffer_before_minutes),
            buffer_after_minutes: r.buffer_after_minutes.or(c.buffer_after_minutes).or(t.buffer_after_minutes),
            cancel_cutoff_minutes: r.cancel_cutoff_minutes.or(c.cancel_cutoff_minutes).or(t.cancel_cutoff_minutes),
            reschedule_cutoff_minutes: r
                .reschedule_cutoff_minutes
                .or(c.reschedule_cutoff_minutes)
                .or(t.reschedule_cutoff_minutes),
            max_lessons_per_day: r.max_lessons_per_day.or(c.max_lessons_per_day).or(t.max_lessons_per_day),
            max_lessons_per_week: r.max_lessons_per_week.or(c.max_lessons_per_week).or(t.max_lessons_per_week),
            max_upcoming_lessons_per_student: r
                .max_upcoming_lessons_per_student
                .or(c.max_upcoming_lessons_per_student)
                .or(t.max_upcoming_lessons_per_student),
            // The seats per booking is a group-session rule: lessons do not keep it.
            max_seats_per_booking: None,
        }
    }

    /// Whether `starts` is inside the booking window of `rules` now: at least the notice
    /// after now, at most the advance.
    fn in_window(&self, rules: &SchedulingRules, starts: DateTime<Utc>) -> bool {
        let notice = TimeDelta::minutes(i64::from(rules.min_notice_minutes.unwrap_or(0)));
        starts >= self.now + notice
            && rules.max_advance_days.is_none_or(|d| starts <= self.now + TimeDelta::days(i64::from(d)))
    }

    /// Whether teacher `t` has time off overlapping `[starts, ends)`.
    fn off(&self, t: u32, starts: DateTime<Utc>, ends: DateTime<Utc>) -> bool {
        self.time_off.iter().filter(|o| o.teacher == t && !o.withdrawn).any(|o| {
            let (from, until) = o.span();
            from < ends && starts < until
        })
    }

    /// `[starts, ends)` with `rules`' buffers.
    fn buffered(rules: &SchedulingRules, starts: DateTime<Utc>, ends: DateTime<Utc>) -> Span {
        (
            starts - TimeDelta::minutes(i64::from(rules.buffer_before_minutes.unwrap_or(0))),
            ends + TimeDelta::minutes(i64::from(rules.buffer_after_minutes.unwrap_or(0))),
        )
    }

    /// Whether the teacher's per-day or per-week limit leaves no room for one more lesson
    /// of theirs starting at `starts` (days and ISO weeks in `tz`), `except` aside.
    fn teacher_full(
        &self,
        t: u32,
        rules: &SchedulingRules,
        tz: Tz,
        starts: DateTime<Utc>,
        except: Option<usize>,
    ) -> bool {
        let day = |at: DateTime<Utc>| at.with_timezone(&tz).date_naive();
        let taught: Vec<NaiveDate> = (self.lessons.iter().enumerate())
            .filter(|(j, l)| Some(*j) != except && l.teacher == t && l.status.active())
            .map(|(_, l)| day(l.starts))
            .collect();
        let d = day(starts);
        let per_day = taught.iter().filter(|x| **x == d).count();
        let per_week = taught.iter().filter(|x| x.iso_week() == d.iso_week()).count();
        rules.max_lessons_per_day.is_some_and(|m| per_day >= m as usize)
            || rules.max_lessons_per_week.is_some_and(|m| per_week >= m as usize)
    }

    /// Whether `student` already has as many not-ended lessons "of the slot's course" as
    /// `rules` allow: of its course, or for a slot without one, without a course with its
    /// teacher; `except` aside.
    fn student_full(&self, slot: usize, student: u32, rules: &SchedulingRules, except: Option<usize>) -> bool {
        let s = &self.slots[slot];
        let count = (self.lessons.iter().enumerate())
            .filter(|(j, l)| Some(*j) != except && l.student == student && l.status.active() && l.ends > self.now)
            .filter(|(_, l)| l.course == s.course && (s.course.is_some() || l.teacher == s.teacher))
            .count();
        rules.max_upcoming_lessons_per_student.is_some_and(|m| count >= m as usize)
    }

    fn slot_index(&self, r: SlotRef) -> Option<usize> {
        match r {
            SlotRef::Index(i) if i < self.slots.len() => Some(i),
            _ => None,
        }
    }

    fn lesson_index(&self, r: LessonRef) -> Option<usize> {
        match r {
            LessonRef::Index(i) if i < self.lessons.len() => Some(i),
            _ => None,
        }
    }

    /// The approval precedence: the teacher's override, then the course, then none; slots
    /// without a course never need approval.
    fn needs_approval(&self, slot: usize) -> bool {
        let s = &self.slots[slot];
        s.course.is_some_and(|c| {
            self.teacher_approval.get(&(s.teacher, c)).copied().or(self.course_approval[c as usize]).unwrap_or(false)
        })
    }

    /// Whether `p` has an active lesson (teaching or learning) overlapping `[starts, ends)`,
    /// other than `except`.
    fn busy(&self, p: Person, starts: DateTime<Utc>, ends: DateTime<Utc>, except: Option<usize>) -> bool {
        self.lessons.iter().enumerate().any(|(i, l)| Some(i) != except && p.has(l) && l.keeps_busy(p, starts, ends))
    }

    /// Why `student` cannot take `[starts, ends)` of `slot` now under `rules`, if so: in the
    /// past; for a booking (`full`) outside the window or on time off; not enrolled; the
    /// teacher busy within the buffers; the student busy; for a booking, a limit reached.
    /// An approval (not `full`) re-checks only what may have changed since the request.
    #[allow(clippy::too_many_arguments)]
    fn check_free(
        &self,
        slot: usize,
        student: u32,
        starts: DateTime<Utc>,
        ends: DateTime<Utc>,
        except: Option<usize>,
        rules: &SchedulingRules,
        full: bool,
    ) -> Result<(), &'static str> {
        let s = &self.slots[slot];
        if starts <= self.now {
            return Err("start_in_past");
        }
        if full && !self.in_window(rules, starts) {
            return Err("outside_booking_window");
        }
        if full && self.off(s.teacher, starts, ends) {
            return Err("occurrence_not_offered");
        }
        if let Some(c) = s.course
            && !self.enrolled.contains(&(student, c))
        {
            return Err("not_enrolled");
        }
        let (from, until) = Self::buffered(rules, starts, ends);
        if self.busy(Person::Teacher(s.teacher), from, until, except) {
            return Err("slot_unavailable");
        }
        if self.busy(Person::learner(student), starts, ends, except) {
            return Err("student_busy");
        }
        if full
            && (self.teacher_full(s.teacher, rules, s.tz, starts, except)
                || self.student_full(slot, student, rules, except))
        {
            return Err("limit_reached");
        }
        Ok(())
    }

    /// Books `o` of `slot` for `student` (checked already); returns the event kind.
    fn push_lesson(&mut self, slot: usize, student: u32, o: &Occurrence, series: Option<usize>) -> &'static str {
        let pending = self.needs_approval(slot);
        let rules = self.effective(slot);
        let s = &self.slots[slot];
        self.lessons.push(ModelLesson {
            slot,
            teacher: s.teacher,
            student,
            course: s.course,
            tz: s.tz,
            series,
            starts: o.starts_at,
            ends: o.ends_at,
            status: if pending { Status::Pending } else { Status::Confirmed },
            version: 1,
            link: None,
            requested_at: self.now,
            updated_at: self.now,
            rules,
        });
        if pending { "lesson_requested" } else { "lesson_booked" }
    }

    /// One more version of both calendars of a lesson command.
    fn touch(&mut self, teacher: u32, student: u32) {
        for p in [Person::Teacher(teacher), Person::learner(student)] {
            *self.versions.entry(p).or_insert(0) += 1;
        }
    }

    /// Changes the status of `lessons`, one version each.
    fn set_status(&mut self, lessons: &[usize], status: Status, link: Option<&'static str>) {
        for &i in lessons {
            let l = &mut self.lessons[i];
            l.status = status;
            l.version += 1;
            l.updated_at = self.now;
            if link.is_some() {
                l.link = link;
            }
        }
    }

    /// Applies a transition; returns the prediction.
    fn step(&mut self, t: &Transition) -> Expect {
        match *t {
            Transition::Advance { minutes } => {
                self.now += TimeDelta::minutes(minutes);
                Expect::Nothing
            }
            Transition::Enroll { student, course, enrolled } => {
                if enrolled {
                    self.enrolled.insert((student, course));
                } else {
                    self.enrolled.remove(&(student, course));
                }
                Expect::Nothing
            }
            Transition::CourseApproval { course, requires } => {
                self.course_approval[course as usize] = requires;
                Expect::Nothing
            }
            Transition::List { teacher, student, course, from, to, zone } => {
                Expect::Listed(self.list(teacher, student, course, from, to, zone))
            }
            _ => match self.decide(t) {
                Ok(done) => Expect::Done(done),
                Err(code) => Expect::Refused(code),
            },
        }
    }

    /// What a listing offers: the occurrences of the teacher's active slots (of the course, if
    /// one is asked for; of courses the viewing student is enrolled in and has room for under
    /// the per-student limit) that start in the window and after now, inside the slot's booking
    /// window, off the teacher's time off, whose buffered time overlaps no busy time of the
    /// teacher, on a day and in a week with room under the teacher's limits; by start, then
    /// slot. Nothing when the viewing student is the teacher.
    fn list(
        &self,
        teacher: u32,
        student: Option<u32>,
        course: Option<u32>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        zone: Option<&'static str>,
    ) -> Result<Vec<Listed>, &'static str> {
        if to <= from {
            return Err("invalid_input");
        }
        if to - from > TimeDelta::days(366) {
            return Err("too_large");
        }
        if zone == Some(BAD_ZONE) {
            return Err("unknown_time_zone");
        }
        let from = from.max(self.now + TimeDelta::nanoseconds(1));
        let mut out = Vec::new();
        // A teacher cannot book their own slots, so they are offered none of them.
        if from >= to || student.is_some_and(|st| Person::learner(st) == Person::Teacher(teacher)) {
            return Ok(out);
        }
        for (i, s) in self.slots.iter().enumerate() {
            if s.teacher != teacher || !s.active || (course.is_some() && s.course != course) {
                continue;
            }
            if let (Some(st), Some(c)) = (student, s.course)
                && !self.enrolled.contains(&(st, c))
            {
                continue;
            }
            let rules = self.effective(i);
            if student.is_some_and(|st| self.student_full(i, st, &rules, None)) {
                continue;
            }
            for o in occurrences(&s.offered(), from, to).map_err(|_| "model: the window is valid")? {
                let (busy_from, busy_until) = Self::buffered(&rules, o.starts_at, o.ends_at);
                if self.in_window(&rules, o.starts_at)
                    && !self.off(teacher, o.starts_at, o.ends_at)
                    && !self.busy(Person::Teacher(teacher), busy_from, busy_until, None)
                    && !self.teacher_full(teacher, &rules, s.tz, o.starts_at, None)
                {
                    out.push((i, o.starts_at, o.ends_at));
                }
            }
        }
        out.sort_by_key(|&(i, starts, _)| (starts, i));
        Ok(out)
    }

    /// Decides a command; on success changes the model, else changes nothing.
    fn decide(&mut self, t: &Transition) -> Result<Done, &'static str> {
        match *t {
            Transition::Book { who, slot, starts, student } => {
                let i = self.slot_index(slot).ok_or("slot_not_found")?;
                if !who.for_student(student) {
                    return Err("not_authorized");
                }
                if Person::learner(student) == Person::Teacher(self.slots[i].teacher) {
                    return Err("invalid_input");
                }
                let o = self.slots[i].offered_at(starts).ok_or("occurrence_not_offered")?;
                self.check_free(i, student, o.starts_at, o.ends_at, None, &self.effective(i), true)?;
                let kind = self.push_lesson(i, student, &o, None);
                self.touch(self.slots[i].teacher, student);
                let n = self.lessons.len();
                Ok(Done { created: n - 1..n, ..Done::kinds(vec![kind]) })
            }
            Transition::Series { who, slot, student, first, every, end, mode } => {
                self.series(who, slot, student, first, every, end, mode)
            }
            Transition::Approve { who, lesson, link } => {
                let i = self.lesson_index(lesson).ok_or("booking_not_found")?;
                let target = &self.lessons[i];
                if !who.for_teacher(target.teacher) {
                    return Err("not_authorized");
                }
                if target.status != Status::Pending {
                    return Err("invalid_transition");
                }
                if link == Some(BAD_LINK) {
                    return Err("invalid_meeting_link");
                }
                // The target and every pending lesson of its series that has not started.
                let group = self.together(i, |l| l.status == Status::Pending && l.starts > self.now);
                for &j in &group {
                    let l = &self.lessons[j];
                    if l.starts <= self.now {
                        return Err("lesson_started");
                    }
                    let o = self.slots[l.slot].offered_at(l.starts).ok_or("occurrence_not_offered")?;
                    if o.ends_at != l.ends {
                        return Err("model: the slot offers the occurrence with another end");
                    }
                    self.check_free(l.slot, l.student, l.starts, l.ends, Some(j), &l.rules, false)?;
                }
                let (t, s) = (self.lessons[i].teacher, self.lessons[i].student);
                self.set_status(&group, Status::Confirmed, link);
                self.touch(t, s);
                Ok(Done { decided: group.clone(), ..Done::kinds(vec!["lesson_approved"; group.len()]) })
            }
            Transition::Decline { who, lesson, long_reason } => {
                let i = self.lesson_index(lesson).ok_or("booking_not_found")?;
                let target = &self.lessons[i];
                if !who.for_teacher(target.teacher) {
                    return Err("not_authorized");
                }
                if target.status != Status::Pending {
                    return Err("invalid_transition");
                }
                if long_reason {
                    return Err("invalid_input");
                }
                let group = self.together(i, |l| l.status == Status::Pending && l.starts > self.now);
                let (t, s) = (target.teacher, target.student);
                self.set_status(&group, Status::Declined, None);
                self.touch(t, s);
                Ok(Done { decided: group.clone(), ..Done::kinds(vec!["lesson_declined"; group.len()]) })
            }
            Transition::Cancel { who, lesson, and_later } => {
                let i = self.lesson_index(lesson).ok_or("booking_not_found")?;
                let target = &self.lessons[i];
                if !(who.for_student(target.student) || who.for_teacher(target.teacher)) {
                    return Err("not_authorized");
                }
                if !target.status.active() {
                    return Err("invalid_transition");
                }
                if target.starts <= self.now {
                    return Err("lesson_started");
                }
                // A student may not cancel within the cut-off the lesson was booked with.
                if let (Who::Student(_), Some(m)) = (who, target.rules.cancel_cutoff_minutes)
                    && self.now > target.starts - TimeDelta::minutes(i64::from(m))
                {
                    return Err("cutoff_passed");
                }
                let starts = target.starts;
                let group =
                    if and_later { self.together(i, |l| l.status.active() && l.starts > starts) } else { vec![i] };
                let (t, s) = (target.teacher, target.student);
                self.set_status(&group, Status::Cancelled, None);
                self.touch(t, s);
                Ok(Done { decided: group.clone(), ..Done::kinds(vec!["lesson_cancelled"; group.len()]) })
            }
            Transition::SetActive { who, slot, active } => {
                let i = self.slot_index(slot).ok_or("slot_not_found")?;
                let t = self.slots[i].teacher;
                if !who.for_teacher(t) {
                    return Err("not_authorized");
                }
                if self.slots[i].active == active {
                    return Ok(Done::kinds(Vec::new()));
                }
                self.slots[i].active = active;
                *self.versions.entry(Person::Teacher(t)).or_insert(0) += 1;
                Ok(Done::kinds(vec!["slot_updated"]))
            }
            Transition::Reschedule { who, lesson, slot, starts } => self.reschedule(who, lesson, slot, starts),
            Transition::SetRules { who, teacher: t, course: c, rules } => {
                if !who.for_teacher(t) {
                    return Err("not_authorized");
                }
                if rules.max_lessons_per_day == Some(0) {
                    return Err("invalid_input");
                }
                let current = match c {
                    None => self.teacher_rules.get(&t).copied().unwrap_or_default(),
                    Some(c) => self.course_rules.get(&(t, c)).copied().unwrap_or_default(),
                };
                if current == rules {
                    return Ok(Done::kinds(Vec::new()));
                }
                match c {
                    None => self.teacher_rules.insert(t, rules),
                    Some(c) => self.course_rules.insert((t, c), rules),
                };
                *self.versions.entry(Person::Teacher(t)).or_insert(0) += 1;
                Ok(Done::kinds(vec!["scheduling_rules_set"]))
            }
            Transition::AddTimeOff { who, teacher: t, first, days, tz } => {
                if !who.for_teacher(t) {
                    return Err("not_authorized");
                }
                if days < 0 {
                    return Err("invalid_input");
                }
                let last = first + TimeDelta::days(days);
                self.time_off.push(ModelTimeOff { teacher: t, first, last, tz, withdrawn: false });
                *self.versions.entry(Person::Teacher(t)).or_insert(0) += 1;
                Ok(Done { time_off_added: true, ..Done::kinds(vec!["time_off_added"]) })
            }
            Transition::RemoveTimeOff { who, teacher: t, index } => {
                // An id the teacher's calendar does not hold is refused before anything else.
                match self.time_off.get(index) {
                    Some(o) if o.teacher == t && !o.withdrawn => {}
                    _ => return Err("time_off_not_found"),
                }
                if !who.for_teacher(t) {
                    return Err("not_authorized");
                }
                self.time_off[index].withdrawn = true;
                *self.versions.entry(Person::Teacher(t)).or_insert(0) += 1;
                Ok(Done::kinds(vec!["time_off_removed"]))
            }
            _ => Err("model: not a command"),
        }
    }

    /// A move of a lesson: by its student, its teacher, an admin or the system; active and
    /// not started; to an occurrence of one of its teacher's slots; a student not within the
    /// reschedule cut-off of the current start (the cancellation cut-off when the lesson has no
    /// reschedule cut-off), anyone else's move within it recorded as an override
    /// (`lesson_rescheduled!`); the new time checked like a booking with the
    /// lesson itself left out; a student's move follows the new slot's approval rule, anyone
    /// else's keeps the status. Moving to where it is changes nothing.
    fn reschedule(
        &mut self,
        who: Who,
        lesson: LessonRef,
        slot: SlotRef,
        starts: DateTime<Utc>,
    ) -> Result<Done, &'static str> {
        let i = self.lesson_index(lesson).ok_or("booking_not_found")?;
        let l = self.lessons[i].clone();
        if !(who.for_student(l.student) || who.for_teacher(l.teacher)) {
            return Err("not_authorized");
        }
        if !l.status.active() {
            return Err("invalid_transition");
        }
        if l.starts <= self.now {
            return Err("lesson_started");
        }
        let k = self.slot_index(slot).filter(|&k| self.slots[k].teacher == l.teacher).ok_or("slot_not_found")?;
        let o = self.slots[k].offered_at(starts).ok_or("occurrence_not_offered")?;
        if k == l.slot && o.starts_at == l.starts {
            return Ok(Done { subject: Some(i), ..Done::kinds(Vec::new()) });
        }
        // The reschedule cut-off governs moves; a lesson without one is moved under its
        // cancellation cut-off. A student may not act after it; anyone else overrides it.
        let governing = l.rules.reschedule_cutoff_minutes.or(l.rules.cancel_cutoff_minutes);
        let within = governing.is_some_and(|m| self.now > l.starts - TimeDelta::minutes(i64::from(m)));
        if within && matches!(who, Who::Student(_)) {
            return Err("cutoff_passed");
        }
        let rules = self.effective(k);
        self.check_free(k, l.student, o.starts_at, o.ends_at, Some(i), &rules, true)?;
        let status = match who {
            Who::Student(_) if self.needs_approval(k) => Status::Pending,
            Who::Student(_) => Status::Confirmed,
            _ => l.status,
        };
        let s = &self.slots[k];
        let (course, tz) = (s.course, s.tz);
        let m = &mut self.lessons[i];
        m.slot = k;
        m.course = course;
        m.tz = tz;
        m.starts = o.starts_at;
        m.ends = o.ends_at;
        m.status = status;
        m.rules = rules;
        m.version += 1;
        m.updated_at = self.now;
        self.touch(l.teacher, l.student);
        let kind = if within { "lesson_rescheduled!" } else { "lesson_rescheduled" };
        Ok(Done { decided: vec![i], ..Done::kinds(vec![kind]) })
    }

    /// `target`, then the other lessons of its series that `with` accepts, by start.
    fn together(&self, target: usize, with: impl Fn(&ModelLesson) -> bool) -> Vec<usize> {
        let mut rest: Vec<usize> = match self.lessons[target].series {
            None => Vec::new(),
            Some(series) => (0..self.lessons.len())
                .filter(|&j| j != target && self.lessons[j].series == Some(series) && with(&self.lessons[j]))
                .collect(),
        };
        rest.sort_by_key(|&j| self.lessons[j].starts);
        std::iter::once(target).chain(rest).collect()
    }

    /// A series: every `every` weeks from the first occurrence's local date, for a count or
    /// until a date; every occurrence is checked like a single booking (against the lessons
    /// booked before it in the series too); all or nothing, or the free ones.
    #[allow(clippy::too_many_arguments)]
    fn series(
        &mut self,
        who: Who,
        slot: SlotRef,
        student: u32,
        first: DateTime<Utc>,
        every: u32,
        end: SeriesEnd,
        mode: SeriesMode,
    ) -> Result<Done, &'static str> {
        let i = self.slot_index(slot).ok_or("slot_not_found")?;
        if !who.for_student(student) {
            return Err("not_authorized");
        }
        let s = self.slots[i].clone();
        if Person::learner(student) == Person::Teacher(s.teacher) {
            return Err("invalid_input");
        }
        if !s.weekly() || every == 0 || every > 52 {
            return Err("invalid_input");
        }
        let first = s.offered_at(first).ok_or("occurrence_not_offered")?;
        let step = Days::new(7 * u64::from(every));
        let dates: Vec<NaiveDate> = match end {
            SeriesEnd::Count(0) => return Err("invalid_input"),
            SeriesEnd::Count(n) => {
                std::iter::successors(Some(first.local_date), |d| d.checked_add_days(step)).take(n as usize).collect()
            }
            SeriesEnd::Until(until) if until < first.local_date => return Err("invalid_input"),
            SeriesEnd::Until(until) => std::iter::successors(Some(first.local_date), |d| d.checked_add_days(step))
                .take_while(|d| *d <= until)
                .collect(),
        };
        let series = self.series;
        let rules = self.effective(i);
        let mut next = self.clone();
        let mut kinds = Vec::new();
        let mut skipped = Vec::new();
        let start = next.lessons.len();
        for date in dates {
            let result = match s.offered_on(date) {
                None => Err((None, "occurrence_not_offered")),
                Some(o) => match next.check_free(i, student, o.starts_at, o.ends_at, None, &rules, true) {
                    Ok(()) => Ok(o),
                    Err(code) => Err((Some(o.starts_at), code)),
                },
            };
            match result {
                Ok(o) => kinds.push(next.push_lesson(i, student, &o, Some(series))),
                Err((_, code)) if mode == SeriesMode::AllOrNothing => return Err(code),
                Err((starts, code)) => skipped.push((date, starts, code)),
            }
        }
        if kinds.is_empty() {
            return Err(skipped.first().map_or("model: a series has a date", |s| s.2));
        }
        kinds.push("series_booked");
        next.series += 1;
        next.touch(s.teacher, student);
        let created = start..next.lessons.len();
        *self = next;
        Ok(Done { kinds, created, series: true, skipped, ..Done::kinds(Vec::new()) })
    }
}

/// Generates the availability, the transitions, and keeps the model for generation and
/// shrinking.
struct Reference;

/// The start of [`t0`]'s day: slots are anchored on it.
fn day_zero() -> DateTime<Utc> {
    t0().date_naive().and_time(NaiveTime::MIN).and_utc()
}

/// Slots on the night of a clock change: `(zone, weekly?, local start, minutes)`; weekly ones
/// recur on the weekday of the start.
const NIGHT_SLOTS: &[(Tz, bool, &str, i64)] = &[
    // Berlin skips 02:00-03:00 on Sunday 31 March 2030.
    (Europe::Berlin, true, "2030-03-31T02:30:00", 60),
    (Europe::Berlin, true, "2030-03-31T02:00:00", 120),
    (Europe::Berlin, true, "2030-03-31T01:30:00", 90),
    (Europe::Berlin, false, "2030-03-31T02:15:00", 90),
    // Sydney repeats 02:00-03:00 on Sunday 7 April 2030.
    (Australia::Sydney, true, "2030-04-07T02:30:00", 60),
    (Australia::Sydney, true, "2030-04-07T01:30:00", 120),
    (Australia::Sydney, false, "2030-04-07T02:00:00", 60),
    // New York skips 02:00-03:00 on Sunday 10 March 2030.
    (America::New_York, true, "2030-03-10T02:30:00", 60),
];

/// Random scheduling rules, each field set with probability `p`, buffers and limits with `2p`
/// (always valid: the longest notice is shorter than the shortest advance).
fn any_rules(p: f64) -> BoxedStrategy<SchedulingRules> {
    let field = move |values: Vec<u32>| prop::option::weighted(p, select(values));
    // Buffers and limits twice as often: a case must book next to a lesson, or up to a limit,
    // to meet them.
    let limit = move |values: Vec<u32>| prop::option::weighted((2.0 * p).min(0.6), select(values));
    (
        field(vec![0, 60, 24 * 60]),
        field(vec![7, 14, 28]),
        limit(vec![15, 30]),
        limit(vec![30, 60]),
        field(vec![24 * 60, 10 * 24 * 60]),
        field(vec![24 * 60, 10 * 24 * 60]),
        limit(vec![1, 2]),
        limit(vec![1, 2]),
        limit(vec![1, 2]),
    )
        .prop_map(|(notice, advance, before, after, cancel, reschedule, day, week, student)| SchedulingRules {
            min_notice_minutes: notice,
            max_advance_days: advance,
            buffer_before_minutes: before,
            buffer_after_minutes: after,
            cancel_cutoff_minutes: cancel,
            reschedule_cutoff_minutes: reschedule,
            max_lessons_per_day: day,
            max_lessons_per_week: week,
            max_upcoming_lessons_per_student: student,
            max_seats_per_booking: None,
        })
        .boxed()
}

fn approval_setting() -> BoxedStrategy<Option<bool>> {
    prop_oneof![1 => Just(None), 3 => Just(Some(true)), 1 => Just(Some(false))].boxed()
}

fn slot_course() -> BoxedStrategy<Option<u32>> {
    prop_oneof![2 => Just(None), 1 => Just(Some(0)), 1 => Just(Some(1))].boxed()
}

/// A slot on the grid: anchored on one of Monday to Wednesday of [`t0`]'s week (a one-time
/// slot: of one of the first four weeks) at one of a few UTC times, so slots often overlap,
/// and read as wall time in a random zone (12:30 UTC is 23:30 in Sydney: those run overnight).
/// Weekly slots are valid from up to a week before [`t0`], some until a date; a tenth are
/// inactive.
fn grid_slot() -> BoxedStrategy<ModelSlot> {
    (
        1..=2u32,
        select(ZONES.to_vec()),
        0..3u64,
        select(vec![8 * 60, 8 * 60 + 30, 9 * 60, 10 * 60, 12 * 60 + 30]),
        select(vec![30i64, 60, 90, 150]),
        slot_course(),
        prop::bool::weighted(0.6),
        0..4u64,
        -7..14i64,
        prop::option::weighted(0.3, 14..70u64),
        (prop::bool::weighted(0.9), any_rules(0.08)),
    )
        .prop_map(|(t, tz, day, minute, length, course, weekly, week, from, until, (active, rules))| {
            let anchor = day_zero() + Days::new(day + 7 * if weekly { 0 } else { week }) + TimeDelta::minutes(minute);
            let start = wall_time(anchor, tz);
            let recurrence = if weekly {
                let valid_from = t0().date_naive() + TimeDelta::days(from);
                SlotRecurrence::Weekly {
                    weekday: start.weekday(),
                    start_time: start.time(),
                    end_time: start.time() + TimeDelta::minutes(length),
                    valid_from,
                    valid_until: until.map(|d| valid_from + Days::new(d)),
                }
            } else {
                SlotRecurrence::OneTime { start, end: start + TimeDelta::minutes(length) }
            };
            ModelSlot { teacher: t, course, tz, recurrence, active, rules }
        })
        .boxed()
}

/// A slot on the night of a clock change ([`NIGHT_SLOTS`]).
fn night_slot() -> BoxedStrategy<ModelSlot> {
    (1..=2u32, 0..NIGHT_SLOTS.len(), slot_course())
        .prop_map(|(t, n, course)| {
            let (tz, weekly, start, length) = NIGHT_SLOTS[n];
            let start: NaiveDateTime = start.parse().expect("a valid wall time");
            let recurrence = if weekly {
                SlotRecurrence::Weekly {
                    weekday: start.weekday(),
                    start_time: start.time(),
                    end_time: start.time() + TimeDelta::minutes(length),
                    valid_from: t0().date_naive(),
                    valid_until: None,
                }
            } else {
                SlotRecurrence::OneTime { start, end: start + TimeDelta::minutes(length) }
            };
            ModelSlot { teacher: t, course, tz, recurrence, active: true, rules: SchedulingRules::default() }
        })
        .boxed()
}

fn any_who() -> BoxedStrategy<Who> {
    prop_oneof![
        2 => (1..=2u32).prop_map(Who::Teacher),
        4 => any_learner().prop_map(Who::Student),
        1 => Just(Who::Admin),
        1 => Just(Who::System),
    ]
    .boxed()
}

/// `None` (the actor who would normally send the command) with probability 3/4, else anyone.
fn who_or() -> BoxedStrategy<Option<Who>> {
    prop_oneof![3 => Just(None), 1 => any_who().prop_map(Some)].boxed()
}

/// A lesson reference: mostly one of `preferred` (if any), else any lesson, rarely unknown.
fn lesson_ref(preferred: &[usize], all: usize) -> BoxedStrategy<LessonRef> {
    if all == 0 {
        return Just(LessonRef::Unknown).boxed();
    }
    let any = (0..all).prop_map(LessonRef::Index);
    if preferred.is_empty() {
        prop_oneof![12 => any, 1 => Just(LessonRef::Unknown)].boxed()
    } else {
        let preferred = select(preferred.to_vec()).prop_map(LessonRef::Index);
        prop_oneof![12 => preferred, 4 => any, 1 => Just(LessonRef::Unknown)].boxed()
    }
}

impl ReferenceStateMachine for Reference {
    type State = Model;
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<Model> {
        let slot = prop_oneof![7 => grid_slot(), 2 => night_slot()]
            .prop_filter("a valid slot", |s| s.recurrence.validate(s.tz).is_ok());
        (
            prop::collection::vec(slot, 3..=7),
            prop::collection::vec(prop::bool::weighted(0.7), ((STUDENTS + 1) * COURSES) as usize),
            prop::collection::vec(approval_setting(), COURSES as usize),
            prop::collection::vec(
                prop_oneof![6 => Just(None), 1 => any::<bool>().prop_map(Some)],
                2 * COURSES as usize,
            ),
            prop::collection::vec(prop_oneof![1 => Just(SchedulingRules::default()), 1 => any_rules(0.25)], 2),
            prop::collection::vec(
                prop_oneof![3 => Just(SchedulingRules::default()), 1 => any_rules(0.3)],
                2 * COURSES as usize,
            ),
        )
            .prop_map(|(slots, enrolled, course_approval, overrides, teacher_rules, course_rules)| {
                let enrolled = (0..=STUDENTS)
                    .flat_map(|s| (0..COURSES).map(move |c| (s, c)))
                    .zip(enrolled)
                    .filter_map(|(pair, yes)| yes.then_some(pair))
                    .collect();
                let overrides = (1..=2u32)
                    .flat_map(|t| (0..COURSES).map(move |c| (t, c)))
                    .zip(overrides)
                    .filter_map(|(pair, v)| v.map(|v| (pair, v)))
                    .collect();
                let teacher_rules = (1..=2u32).zip(teacher_rules).collect();
                let course_rules =
                    (1..=2u32).flat_map(|t| (0..COURSES).map(move |c| (t, c))).zip(course_rules).collect();
                Model::new(slots, enrolled, course_approval, overrides, teacher_rules, course_rules)
            })
            .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Transition> {
        let now = state.now;
        let n = state.slots.len();
        if n == 0 {
            return (1..=240i64).prop_map(|minutes| Transition::Advance { minutes }).boxed();
        }
        // What each slot produces from a day ago to eight weeks ahead (active or not).
        let produced: Arc<Vec<Vec<Span>>> = Arc::new(
            state.slots.iter().map(|s| s.produced(now - TimeDelta::days(1), now + TimeDelta::weeks(8))).collect(),
        );
        let pick = {
            let produced = Arc::clone(&produced);
            move |slot: usize, k: Index| -> DateTime<Utc> {
                let starts = &produced[slot];
                if starts.is_empty() { now + TimeDelta::hours(1) } else { starts[k.index(starts.len())].0 }
            }
        };
        // Occurrences of another teacher's slots overlapping a student's active lesson, with the
        // student: booking one is refused because the student is busy, unless the other
        // teacher is busy too.
        let clashes: Vec<(usize, DateTime<Utc>, u32)> = state
            .lessons
            .iter()
            .filter(|l| l.status.active() && l.starts > now)
            .flat_map(|l| {
                produced.iter().enumerate().flat_map(move |(i, occ)| {
                    occ.iter()
                        .filter(move |&&(starts, ends)| {
                            state.slots[i].teacher != l.teacher && starts < l.ends && l.starts < ends
                        })
                        .map(move |&(starts, _)| (i, starts, l.student))
                })
            })
            .collect();
        let slots: Arc<Vec<(u32, Tz)>> = Arc::new(state.slots.iter().map(|s| (s.teacher, s.tz)).collect());
        let weekly: Vec<usize> = (0..n).filter(|&i| state.slots[i].weekly()).collect();
        let lessons: Arc<Vec<ModelLesson>> = Arc::new(state.lessons.clone());
        let pending: Vec<usize> = (0..lessons.len()).filter(|&i| state.lessons[i].status == Status::Pending).collect();
        let active: Vec<usize> = (0..lessons.len()).filter(|&i| state.lessons[i].status.active()).collect();
        let in_series: Vec<usize> = active.iter().copied().filter(|&i| state.lessons[i].series.is_some()).collect();
        let slot_ref = prop_oneof![20 => (0..n).prop_map(SlotRef::Index), 1 => Just(SlotRef::Unknown)].boxed();
        let teacher_of = {
            let slots = Arc::clone(&slots);
            move |r: SlotRef| match r {
                SlotRef::Index(i) => Who::Teacher(slots[i].0),
                SlotRef::Unknown => Who::Teacher(1),
            }
        };
        let lesson_people = {
            let lessons = Arc::clone(&lessons);
            move |r: LessonRef| match r {
                LessonRef::Index(i) => (lessons[i].teacher, lessons[i].student),
                LessonRef::Unknown => (1, 1),
            }
        };

        let mut arms: Vec<(u32, BoxedStrategy<Transition>)> = Vec::new();
        let book_produced = {
            let pick = pick.clone();
            (0..n, any::<Index>(), any_learner(), who_or())
                .prop_map(move |(i, k, st, w)| Transition::Book {
                    who: w.unwrap_or(Who::Student(st)),
                    slot: SlotRef::Index(i),
                    starts: pick(i, k),
                    student: st,
                })
                .boxed()
        };
        arms.push((14, book_produced));
        let book_wrong = {
            let pick = pick.clone();
            (0..n, any::<Index>(), select(vec![-30i64, 1, 15, 60]), any_learner(), who_or())
                .prop_map(move |(i, k, off, st, w)| Transition::Book {
                    who: w.unwrap_or(Who::Student(st)),
                    slot: SlotRef::Index(i),
                    starts: pick(i, k) + TimeDelta::minutes(off),
                    student: st,
                })
                .boxed()
        };
        arms.push((2, book_wrong));
        arms.push((
            1,
            any_learner()
                .prop_map(move |st| Transition::Book {
                    who: Who::Student(st),
                    slot: SlotRef::Unknown,
                    starts: now + TimeDelta::days(1),
                    student: st,
                })
                .boxed(),
        ));
        if !lessons.is_empty() {
            // The time of a lesson booked before (taken, unless it was cancelled or declined).
            let lessons = Arc::clone(&lessons);
            let taken = (0..lessons.len(), any_learner(), who_or())
                .prop_map(move |(l, st, w)| Transition::Book {
                    who: w.unwrap_or(Who::Student(st)),
                    slot: SlotRef::Index(lessons[l].slot),
                    starts: lessons[l].starts,
                    student: st,
                })
                .boxed();
            arms.push((5, taken));
        }
        if !clashes.is_empty() {
            let busy = (select(clashes), who_or())
                .prop_map(|((i, starts, st), w)| Transition::Book {
                    who: w.unwrap_or(Who::Student(st)),
                    slot: SlotRef::Index(i),
                    starts,
                    student: st,
                })
                .boxed();
            arms.push((3, busy));
        }
        let series_slot =
            if weekly.is_empty() { (0..n).boxed() } else { prop_oneof![5 => select(weekly), 1 => 0..n].boxed() };
        let series = {
            let (pick, slots) = (pick.clone(), Arc::clone(&slots));
            (
                series_slot,
                any::<Index>(),
                any_learner(),
                who_or(),
                prop_oneof![12 => 1..=2u32, 1 => Just(0u32)],
                prop_oneof![8 => (1..=6u32).prop_map(Ok), 1 => Just(Ok(0u32)), 2 => (-1i64..=8).prop_map(Err)],
                any::<bool>(),
            )
                .prop_map(move |(i, k, st, w, every, end, available)| {
                    let first = pick(i, k);
                    let end = match end {
                        Ok(count) => SeriesEnd::Count(count),
                        Err(weeks) => SeriesEnd::Until(wall_time(first, slots[i].1).date() + TimeDelta::weeks(weeks)),
                    };
                    let mode = if available { SeriesMode::BookAvailable } else { SeriesMode::AllOrNothing };
                    Transition::Series {
                        who: w.unwrap_or(Who::Student(st)),
                        slot: SlotRef::Index(i),
                        student: st,
                        first,
                        every,
                        end,
                        mode,
                    }
                })
                .boxed()
        };
        arms.push((7, series));
        let approve = {
            let people = lesson_people.clone();
            (
                lesson_ref(&pending, lessons.len()),
                who_or(),
                prop_oneof![4 => Just(None), 2 => Just(Some(LINK)), 1 => Just(Some(BAD_LINK))],
            )
                .prop_map(move |(lesson, w, link)| Transition::Approve {
                    who: w.unwrap_or(Who::Teacher(people(lesson).0)),
                    lesson,
                    link,
                })
                .boxed()
        };
        arms.push((if pending.is_empty() { 1 } else { 7 }, approve));
        let decline = {
            let people = lesson_people.clone();
            (lesson_ref(&pending, lessons.len()), who_or(), prop::bool::weighted(0.1))
                .prop_map(move |(lesson, w, long_reason)| Transition::Decline {
                    who: w.unwrap_or(Who::Teacher(people(lesson).0)),
                    lesson,
                    long_reason,
                })
                .boxed()
        };
        arms.push((if pending.is_empty() { 1 } else { 3 }, decline));
        let cancel = {
            let people = lesson_people.clone();
            (lesson_ref(&active, lessons.len()), who_or(), prop::bool::weighted(0.2))
                .prop_map(move |(lesson, w, by_teacher)| {
                    let (t, s) = people(lesson);
                    let natural = if by_teacher { Who::Teacher(t) } else { Who::Student(s) };
                    Transition::Cancel { who: w.unwrap_or(natural), lesson, and_later: false }
                })
                .boxed()
        };
        arms.push((if active.is_empty() { 1 } else { 7 }, cancel));
        let cancel_later = {
            let people = lesson_people;
            (lesson_ref(&in_series, lessons.len()), who_or())
                .prop_map(move |(lesson, w)| Transition::Cancel {
                    who: w.unwrap_or(Who::Student(people(lesson).1)),
                    lesson,
                    and_later: true,
                })
                .boxed()
        };
        arms.push((if in_series.is_empty() { 1 } else { 4 }, cancel_later));
        let set_active = (slot_ref, prop::bool::weighted(0.5), who_or())
            .prop_map(move |(slot, active, w)| Transition::SetActive {
                who: w.unwrap_or(teacher_of(slot)),
                slot,
                active,
            })
            .boxed();
        arms.push((2, set_active));
        let enroll = (any_learner(), 0..COURSES, prop::bool::weighted(0.6))
            .prop_map(|(student, course, enrolled)| Transition::Enroll { student, course, enrolled })
            .boxed();
        arms.push((2, enroll));
        if !pending.is_empty() {
            // What approval re-checks: the student still enrolled, the slot still offered.
            let recheck: Vec<Transition> = pending
                .iter()
                .flat_map(|&i| {
                    let l = &state.lessons[i];
                    let unenroll =
                        l.course.map(|c| Transition::Enroll { student: l.student, course: c, enrolled: false });
                    let off = Transition::SetActive {
                        who: Who::Teacher(l.teacher),
                        slot: SlotRef::Index(l.slot),
                        active: false,
                    };
                    unenroll.into_iter().chain([off])
                })
                .collect();
            arms.push((2, select(recheck).boxed()));
        }
        let approval = (0..COURSES, approval_setting())
            .prop_map(|(course, requires)| Transition::CourseApproval { course, requires })
            .boxed();
        arms.push((1, approval));
        let list = (
            1..=2u32,
            prop::option::weighted(0.5, any_learner()),
            prop_oneof![3 => Just(None), 1 => (0..COURSES).prop_map(Some)],
            -120i64..=(3 * 1440),
            prop_oneof![
                10 => select(vec![1440i64, 3 * 1440, 14 * 1440, 42 * 1440]),
                1 => Just(0i64),
                1 => Just(-60i64),
                1 => Just(367 * 1440i64),
            ],
            select(vec![None, Some("Australia/Sydney"), Some("Europe/Berlin"), Some(BAD_ZONE)]),
        )
            .prop_map(move |(teacher, student, course, offset, length, zone)| {
                let from = now + TimeDelta::minutes(offset);
                Transition::List { teacher, student, course, from, to: from + TimeDelta::minutes(length), zone }
            })
            .boxed();
        arms.push((3, list));
        if !active.is_empty() {
            // Moves: mostly to an occurrence of a slot of the lesson's teacher (the lesson's
            // own slot now and then), sometimes another teacher's, by the student mostly.
            let (pick, lessons, slots) = (pick.clone(), Arc::clone(&lessons), Arc::clone(&slots));
            let reschedule = (lesson_ref(&active, lessons.len()), 0..n, any::<Index>(), who_or(), 0..4u32)
                .prop_map(move |(lesson, i, k, w, how)| {
                    let (l, natural) = match lesson {
                        LessonRef::Index(j) => {
                            let l = &lessons[j];
                            (Some(l), if how == 0 { Who::Teacher(l.teacher) } else { Who::Student(l.student) })
                        }
                        LessonRef::Unknown => (None, Who::Student(1)),
                    };
                    // Prefer a slot of the same teacher: the first one at or after `i`.
                    let i = l
                        .and_then(|l| {
                            (0..slots.len()).map(|d| (i + d) % slots.len()).find(|&x| slots[x].0 == l.teacher)
                        })
                        .filter(|_| how != 3)
                        .unwrap_or(i);
                    let i = match (l, how) {
                        (Some(l), 1) => l.slot,
                        _ => i,
                    };
                    Transition::Reschedule {
                        who: w.unwrap_or(natural),
                        lesson,
                        slot: SlotRef::Index(i),
                        starts: pick(i, k),
                    }
                })
                .boxed();
            arms.push((6, reschedule));
        }
        let set_rules = (
            1..=2u32,
            prop_oneof![2 => Just(None), 1 => (0..COURSES).prop_map(Some)],
            prop_oneof![
                6 => any_rules(0.3),
                // A teacher's seats per booking (for their sessions) is theirs to set too.
                1 => any_rules(0.3).prop_map(|r| SchedulingRules { max_seats_per_booking: Some(2), ..r }),
                2 => Just(SchedulingRules::default()),
                1 => Just(SchedulingRules { max_lessons_per_day: Some(0), ..SchedulingRules::default() }),
            ],
            who_or(),
        )
            .prop_map(|(t, course, rules, w)| Transition::SetRules {
                who: w.unwrap_or(Who::Teacher(t)),
                teacher: t,
                course,
                rules,
            })
            .boxed();
        arms.push((2, set_rules));
        let add_time_off =
            (1..=2u32, 0..21i64, prop_oneof![8 => 0..3i64, 1 => Just(-1i64)], select(ZONES.to_vec()), who_or())
                .prop_map(move |(t, day, days, tz, w)| Transition::AddTimeOff {
                    who: w.unwrap_or(Who::Teacher(t)),
                    teacher: t,
                    first: now.date_naive() + TimeDelta::days(day),
                    days,
                    tz,
                })
                .boxed();
        arms.push((2, add_time_off));
        if !state.time_off.is_empty() {
            let owners: Vec<u32> = state.time_off.iter().map(|o| o.teacher).collect();
            let remove = (0..state.time_off.len() + 1, prop::bool::weighted(0.9), who_or())
                .prop_map(move |(index, own, w)| {
                    let t = owners.get(index).copied().unwrap_or(1);
                    let t = if own { t } else { 3 - t };
                    Transition::RemoveTimeOff { who: w.unwrap_or(Who::Teacher(t)), teacher: t, index }
                })
                .boxed();
            arms.push((2, remove));
        }
        let advance = prop_oneof![
            4 => 1..=240i64,
            3 => (1..=4i64).prop_map(|days| days * 1440),
            1 => (7..=14i64).prop_map(|days| days * 1440),
        ]
        .prop_map(|minutes| Transition::Advance { minutes })
        .boxed();
        arms.push((6, advance));
        Union::new_weighted(arms).boxed()
    }

    fn apply(mut state: Model, transition: &Transition) -> Model {
        state.step(transition);
        state
    }

    /// Only keeps indices in range (they may fall out of range while shrinking).
    fn preconditions(state: &Model, transition: &Transition) -> bool {
        let slot_ok = |r: &SlotRef| match r {
            SlotRef::Index(i) => *i < state.slots.len(),
            SlotRef::Unknown => true,
        };
        let lesson_ok = |r: &LessonRef| match r {
            LessonRef::Index(i) => *i < state.lessons.len(),
            LessonRef::Unknown => true,
        };
        match transition {
            Transition::Book { slot, .. } | Transition::Series { slot, .. } | Transition::SetActive { slot, .. } => {
                slot_ok(slot)
            }
            Transition::Reschedule { slot, lesson, .. } => slot_ok(slot) && lesson_ok(lesson),
            Transition::Approve { lesson, .. }
            | Transition::Decline { lesson, .. }
            | Transition::Cancel { lesson, .. } => lesson_ok(lesson),
            _ => true,
        }
    }
}

/// Everything a command may change: every calendar and every lesson.
#[derive(Debug, PartialEq)]
struct Snapshot {
    calendars: Vec<Arc<Calendar>>,
    lessons: Vec<Arc<Lesson>>,
}

/// The system under test: an engine over the store under test wrapped with host data, and the
/// ids it handed out.
struct Sut {
    h: Harness,
    host: Arc<HostData>,
    /// Model slot index to id.
    slots: Vec<SlotId>,
    /// Model lesson index to id.
    lessons: Vec<BookingId>,
    /// Model series index to id.
    series: Vec<SeriesId>,
    /// Model time-off index to id.
    time_off: Vec<TimeOffId>,
}

fn describe<T: std::fmt::Debug>(r: &Result<T, BookingError>) -> String {
    match r {
        Ok(v) => format!("success {v:?}"),
        Err(e) => format!("error {} ({e})", e.code()),
    }
}

/// The kind names of events, a move that overrode the governing cut-off written
/// `lesson_rescheduled!` (so the model predicts the flag too).
fn kinds(events: &[Event]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| match e.kind {
            EventKind::LessonRescheduled { cutoff_overridden: true, .. } => "lesson_rescheduled!",
            _ => e.kind.name(),
        })
        .collect()
}

/// Checks that no person has two overlapping active lessons: no teacher, no student, and no
/// teacher who also takes lessons (whichever role they have in each).
pub(super) fn check_no_overlap(lessons: &[Arc<Lesson>]) -> Result<(), String> {
    let active: Vec<&Lesson> = lessons.iter().map(|l| &**l).filter(|l| l.status.is_active()).collect();
    for (i, a) in active.iter().enumerate() {
        for b in &active[i + 1..] {
            if a.starts_at < b.ends_at && b.starts_at < a.ends_at {
                let people = [a.teacher_id, a.student_id];
                if let Some(p) = [b.teacher_id, b.student_id].into_iter().find(|p| people.contains(p)) {
                    return Err(format!("{p} has overlapping active lessons {a:?} and {b:?}"));
                }
            }
        }
    }
    Ok(())
}

/// Whether `naive` never occurs in `tz` (a spring gap).
fn in_gap(tz: Tz, naive: NaiveDateTime) -> bool {
    matches!(tz.from_local_datetime(&naive), LocalResult::None)
}

/// Checks that `starts_at` is where the slot's wall start time falls: the start time itself,
/// or (only when that wall time lies in a spring gap) up to three hours after it; for a weekly
/// slot on its weekday, within its validity dates.
pub(super) fn check_wall_time(slot: &AvailabilitySlot, starts_at: DateTime<Utc>) -> Result<(), String> {
    let tz = slot.time_zone;
    let local = wall_time(starts_at, tz);
    let moved_by_gap =
        |nominal: NaiveDateTime| in_gap(tz, nominal) && nominal < local && local - nominal <= TimeDelta::hours(3);
    let fail = |why: &str| Err(format!("occurrence at {starts_at} ({local} in {tz}) of slot {slot:?}: {why}"));
    match slot.recurrence {
        SlotRecurrence::Weekly { weekday, start_time, valid_from, valid_until, .. } => {
            let date = if local.time() == start_time {
                Some(local.date())
            } else {
                [local.date(), local.date() - Days::new(1)].into_iter().find(|d| moved_by_gap(d.and_time(start_time)))
            };
            let Some(date) = date else { return fail("not at the slot's start time, nor moved by a gap") };
            if date.weekday() != weekday {
                return fail(&format!("on a {}, not a {weekday}", date.weekday()));
            }
            if date < valid_from || valid_until.is_some_and(|u| date > u) {
                return fail("outside the validity dates");
            }
            Ok(())
        }
        SlotRecurrence::OneTime { start, .. } if local == start || moved_by_gap(start) => Ok(()),
        SlotRecurrence::OneTime { .. } => fail("not at the slot's start"),
    }
}

/// Checks a listing against the stored state it was made from: sorted by start then slot, no
/// occurrence twice; each one of an active slot of the teacher (of the query's course, if any),
/// produced by it ([`occurrence_at`] finds it with the same end; [`check_wall_time`]), in the
/// window and after `now`, overlapping no active lesson of the teacher, with its wall times.
pub(super) fn check_listing(
    listing: &[BookableOccurrence],
    query: &OccurrenceQuery,
    calendar: &Calendar,
    lessons: &[Arc<Lesson>],
    now: DateTime<Utc>,
) -> Result<(), String> {
    for w in listing.windows(2) {
        ensure((w[0].starts_at, w[0].slot_id) < (w[1].starts_at, w[1].slot_id), || {
            format!("listing not sorted by (start, slot), or an occurrence twice: {:?} then {:?}", w[0], w[1])
        })?;
    }
    let viewer = match query.time_zone.as_deref() {
        Some(name) => name.parse::<Tz>().map_err(|e| format!("display zone {name}: {e}"))?,
        None => Tz::UTC,
    };
    for o in listing {
        let slot = calendar.slot(o.slot_id).ok_or_else(|| format!("listed {o:?} of a slot the teacher lacks"))?;
        ensure(slot.active, || format!("listed {o:?} of an inactive slot"))?;
        ensure(query.course_id.is_none() || slot.course_id == query.course_id, || {
            format!("listed {o:?} of another course than the query's")
        })?;
        ensure(o.course_id == slot.course_id, || format!("listed {o:?} with another course than its slot's"))?;
        ensure(o.starts_at > now && o.starts_at >= query.from && o.starts_at < query.to, || {
            format!("listed {o:?} outside the window {}..{} or not after now {now}", query.from, query.to)
        })?;
        let produced = occurrence_at(slot, o.starts_at).map_err(|e| format!("listed {o:?}: the slot says {e}"))?;
        ensure(produced.ends_at == o.ends_at, || format!("listed {o:?}, but the slot's occurrence is {produced:?}"))?;
        check_wall_time(slot, o.starts_at)?;
        let owner = calendar.owner;
        if let Some(l) = lessons.iter().find(|l| {
            (l.teacher_id == owner || l.student_id == owner)
                && l.status.is_active()
                && l.starts_at < o.ends_at
                && o.starts_at < l.ends_at
        }) {
            return Err(format!("listed {o:?}, which overlaps the teacher's active lesson {l:?}"));
        }
        let tz = slot.time_zone;
        ensure(
            (o.teacher_time_zone, o.teacher_local_start, o.teacher_local_end)
                == (tz, wall_time(o.starts_at, tz), wall_time(o.ends_at, tz))
                && (o.viewer_time_zone, o.viewer_local_start, o.viewer_local_end)
                    == (viewer, wall_time(o.starts_at, viewer), wall_time(o.ends_at, viewer)),
            || format!("listed {o:?} with wrong wall times"),
        )?;
    }
    Ok(())
}

impl Sut {
    /// A fresh store wrapped with the model's host data, with the model's slots published.
    fn new(factory: StoreFactory<'_>, model: &Model) -> Result<Self, String> {
        let host = HostData::new(factory());
        let h = {
            let host = Arc::clone(&host);
            Harness::new(&move || Arc::clone(&host) as Arc<dyn Repository>)
        };
        for &(s, c) in &model.enrolled {
            host.enroll(learner(s), course(c));
        }
        for (c, v) in model.course_approval.iter().enumerate() {
            host.set_course_approval(course(c as u32), *v);
        }
        for (&(t, c), &v) in &model.teacher_approval {
            host.set_teacher_approval(teacher(t), course(c), Some(v));
        }
        let levels = (model.teacher_rules.iter().map(|(t, r)| (*t, None, *r)))
            .chain(model.course_rules.iter().map(|((t, c), r)| (*t, Some(course(*c)), *r)));
        for (t, c, rules) in levels {
            let t = teacher(t);
            h.engine
                .set_scheduling_rules(Actor::Teacher(t), t, c, rules)
                .map_err(|e| format!("setting rules {rules:?} for {c:?}: {} ({e})", e.code()))?;
        }
        let mut slots = Vec::new();
        for (i, s) in model.slots.iter().enumerate() {
            let t = teacher(s.teacher);
            let r = h
                .engine
                .publish_slot(Actor::Teacher(t), t, s.spec())
                .map_err(|e| format!("publishing slot #{i} {s:?}: {} ({e})", e.code()))?;
            ensure_eq(&r.value, &s.slot(r.value.id), &format!("published slot #{i}"))?;
            ensure(!slots.contains(&r.value.id), || format!("slot #{i} reuses the id {}", r.value.id))?;
            slots.push(r.value.id);
        }
        Ok(Self { h, host, slots, lessons: Vec::new(), series: Vec::new(), time_off: Vec::new() })
    }

    fn slot_id(&self, r: SlotRef) -> SlotId {
        match r {
            SlotRef::Index(i) => self.slots.get(i).copied().unwrap_or_else(unknown_slot),
            SlotRef::Unknown => unknown_slot(),
        }
    }

    fn lesson_id(&self, r: LessonRef) -> BookingId {
        match r {
            LessonRef::Index(i) => self.lessons.get(i).copied().unwrap_or_else(unknown_lesson),
            LessonRef::Unknown => unknown_lesson(),
        }
    }

    /// The engine command a transition sends, if it sends one.
    fn command(&self, t: &Transition) -> Option<Command> {
        Some(match *t {
            Transition::Book { slot, starts, student: s, .. } => {
                Command::BookLesson { slot_id: self.slot_id(slot), starts_at: starts, student_id: learner(s) }
            }
            Transition::Series { slot, student: s, first, every, end, mode, .. } => Command::BookSeries {
                series: SeriesRequest {
                    slot_id: self.slot_id(slot),
                    student_id: learner(s),
                    first_starts_at: first,
                    every_weeks: every,
                    end,
                    mode,
                },
            },
            Transition::Approve { lesson, link, .. } => {
                Command::ApproveLesson { booking_id: self.lesson_id(lesson), meeting_link: link.map(str::to_owned) }
            }
            Transition::Decline { lesson, long_reason, .. } => Command::DeclineLesson {
                booking_id: self.lesson_id(lesson),
                reason: Some(if long_reason { "x".repeat(1001) } else { REASON.to_owned() }),
            },
            Transition::Cancel { lesson, and_later, .. } => {
                Command::CancelLesson { booking_id: self.lesson_id(lesson), and_later_in_series: and_later }
            }
            Transition::SetActive { slot, active, .. } => {
                Command::SetSlotActive { slot_id: self.slot_id(slot), active }
            }
            Transition::Reschedule { lesson, slot, starts, .. } => Command::RescheduleLesson {
                booking_id: self.lesson_id(lesson),
                slot_id: self.slot_id(slot),
                starts_at: starts,
            },
            Transition::SetRules { teacher: t, course: c, rules, .. } => {
                Command::SetSchedulingRules { teacher_id: teacher(t), course_id: c.map(course), rules }
            }
            Transition::AddTimeOff { teacher: t, first, days, tz, .. } => Command::AddTimeOff {
                teacher_id: teacher(t),
                time_off: TimeOffSpec {
                    first_day: first,
                    last_day: first + TimeDelta::days(days),
                    time_zone: tz.name().to_owned(),
                    note: None,
                },
            },
            Transition::RemoveTimeOff { teacher: t, index, .. } => Command::RemoveTimeOff {
                teacher_id: teacher(t),
                time_off_id: self.time_off.get(index).copied().unwrap_or_else(unknown_time_off),
            },
            _ => return None,
        })
    }

    fn load_lessons(&self) -> Result<Vec<Arc<Lesson>>, String> {
        self.lessons
            .iter()
            .map(|&id| self.h.engine.lesson(Actor::System, id).map_err(|e| format!("loading lesson {id}: {e}")))
            .collect()
    }

    fn snapshot(&self) -> Result<Snapshot, String> {
        let calendars = Person::all()
            .map(|p| {
                self.h.engine.calendar(Actor::System, p.id()).map_err(|e| format!("loading the calendar of {p:?}: {e}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Snapshot { calendars, lessons: self.load_lessons()? })
    }

    /// Runs one transition on the engine and the model and checks everything that must hold
    /// after it:
    /// - a command's result is the model's prediction: the same error code, with no calendar
    ///   and no lesson changed; or the same event kinds, each carrying the actor and the
    ///   engine's instant, naming the lessons the model booked or decided on, with the returned
    ///   values equal to the stored ones (and a series' skipped dates and reasons the model's);
    /// - a listing is the model's and passes [`check_listing`];
    /// - then [`Sut::check_state`].
    fn step(&mut self, model: &mut Model, t: &Transition) -> Result<(), String> {
        let before = self.snapshot()?;
        let command = self.command(t);
        let expect = model.step(t);
        match (t, command, expect) {
            (Transition::Advance { minutes }, None, Expect::Nothing) => {
                self.h.clock.advance(TimeDelta::minutes(*minutes))
            }
            (&Transition::Enroll { student: s, course: c, enrolled }, None, Expect::Nothing) => {
                if enrolled {
                    self.host.enroll(learner(s), course(c));
                } else {
                    self.host.unenroll(learner(s), course(c));
                }
            }
            (&Transition::CourseApproval { course: c, requires }, None, Expect::Nothing) => {
                self.host.set_course_approval(course(c), requires)
            }
            (
                &Transition::List { teacher: t, student: s, course: c, from, to, zone },
                None,
                Expect::Listed(expected),
            ) => {
                let query = OccurrenceQuery {
                    teacher_id: teacher(t),
                    course_id: c.map(course),
                    student_id: s.map(learner),
                    from,
                    to,
                    time_zone: zone.map(str::to_owned),
                };
                self.check_list(&query, expected)?;
            }
            (t, Some(command), Expect::Refused(code)) => {
                let who = t.who().ok_or("model: a command without an actor")?;
                match self.h.engine.execute(who.actor(), command) {
                    Err(e) if e.code().as_str() == code => {
                        let after = self.snapshot()?;
                        ensure(after == before, || format!("refused with {code}, but the stored state changed"))?;
                    }
                    other => return Err(format!("expected refusal {code}, got {}", describe(&other))),
                }
            }
            (t, Some(command), Expect::Done(done)) => {
                let who = t.who().ok_or("model: a command without an actor")?;
                match self.h.engine.execute(who.actor(), command) {
                    Ok(r) => self.check_done(who, &done, &before, &r)?,
                    Err(e) => {
                        return Err(format!("expected success with {:?}, got error {} ({e})", done.kinds, e.code()));
                    }
                }
            }
            (t, command, expect) => {
                return Err(format!("model inconsistency: {t:?} sends {command:?}, expected {expect:?}"));
            }
        }
        self.check_state(model)
    }

    /// Lists with `query`, compares with the model's prediction, and checks the listing.
    fn check_list(&self, query: &OccurrenceQuery, expected: Result<Vec<Listed>, &'static str>) -> Result<(), String> {
        let result = self.h.engine.list_occurrences(query);
        let listing = match (expected, result) {
            (Err(code), Err(e)) if e.code().as_str() == code => return Ok(()),
            (Err(code), other) => return Err(format!("listing {query:?}: expected {code}, got {}", describe(&other))),
            (Ok(_), Err(e)) => return Err(format!("listing {query:?}: unexpected {} ({e})", e.code())),
            (Ok(expected), Ok(listing)) => {
                let index: HashMap<SlotId, usize> = self.slots.iter().enumerate().map(|(i, id)| (*id, i)).collect();
                let mut got: Vec<Listed> = Vec::with_capacity(listing.len());
                for o in &listing {
                    let i = index.get(&o.slot_id).ok_or_else(|| format!("listed {o:?} of an unknown slot"))?;
                    got.push((*i, o.starts_at, o.ends_at));
                }
                got.sort_by_key(|&(i, starts, _)| (starts, i));
                if got != expected {
                    let missing: Vec<_> = expected.iter().filter(|o| !got.contains(o)).collect();
                    let extra: Vec<_> = got.iter().filter(|o| !expected.contains(o)).collect();
                    return Err(format!(
                        "listing {query:?}: (slot index, start, end) the model offers but the engine does not: \
                         {missing:?}; offered by the engine only: {extra:?}"
                    ));
                }
                listing
            }
        };
        let calendar =
            self.h.engine.calendar(Actor::System, query.teacher_id).map_err(|e| format!("loading a calendar: {e}"))?;
        check_listing(&listing, query, &calendar, &self.load_lessons()?, self.h.engine.now())
            .map_err(|e| format!("listing {query:?}: {e}"))
    }

    /// Checks a successful command's receipt against the model's prediction and learns the ids
    /// of what it booked.
    fn check_done(
        &mut self,
        who: Who,
        done: &Done,
        before: &Snapshot,
        r: &Receipt<OutcomeValue>,
    ) -> Result<(), String> {
        ensure(!r.replayed, || "a command without a key was replayed".to_owned())?;
        ensure_eq(kinds(&r.events), done.kinds.clone(), "event kinds")?;
        let now = self.h.engine.now();
        for e in &r.events {
            ensure(e.occurred_at == now && e.actor == who.actor(), || {
                format!("event {e:?} should carry actor {} and instant {now}", who.actor())
            })?;
        }
        if done.kinds.is_empty() {
            let after = self.snapshot()?;
            ensure(after == *before, || "a command without events changed the stored state".to_owned())?;
        }
        // What it booked: learn the ids, in booking order.
        let booked: Vec<&Lesson> = match &r.value {
            OutcomeValue::Lesson { lesson } if !done.created.is_empty() => vec![&**lesson],
            OutcomeValue::Series { series } => {
                ensure(done.series, || format!("unexpected series {series:?}"))?;
                ensure(!self.series.contains(&series.series_id), || {
                    format!("the series reuses the id {}", series.series_id)
                })?;
                self.series.push(series.series_id);
                let skipped: Vec<Skipped> =
                    series.skipped.iter().map(|s| (s.local_date, s.starts_at, s.reason.code().as_str())).collect();
                ensure_eq(&skipped, &done.skipped, "skipped occurrences (local date, start, reason)")?;
                series.lessons.iter().collect()
            }
            _ => Vec::new(),
        };
        ensure_eq(booked.len(), done.created.len(), "number of lessons booked")?;
        for l in &booked {
            ensure(!self.lessons.contains(&l.id), || format!("a new lesson reuses the id {}", l.id))?;
            self.lessons.push(l.id);
        }
        let created: Vec<BookingId> = booked.iter().map(|l| l.id).collect();
        let named: Vec<BookingId> = r.events.iter().filter_map(|e| e.kind.booking_id()).collect();
        let decided: Vec<BookingId> = done.decided.iter().map(|&i| self.lessons[i]).collect();
        ensure_eq(&named, if created.is_empty() { &decided } else { &created }, "lessons the events name")?;
        if let Some(Event { kind: EventKind::SeriesBooked { lessons, skipped, .. }, .. }) = r.events.last() {
            ensure_eq((lessons, *skipped as usize), (&created, done.skipped.len()), "the series_booked event")?;
        }
        // The events and the returned values describe the stored lessons.
        let stored = self.load_lessons()?;
        let stored_of = |id: BookingId| stored.iter().find(|l| l.id == id).map(|l| &**l);
        for e in &r.events {
            let event = |what: &str| format!("{what} in event {e:?}");
            let people = |id: BookingId| stored_of(id).map(|l| (l.teacher_id, l.student_id));
            match &e.kind {
                EventKind::LessonBooked { lesson } | EventKind::LessonRequested { lesson } => {
                    ensure_eq(Some(&**lesson), stored_of(lesson.id), &event("the lesson"))?
                }
                EventKind::LessonApproved { booking_id, teacher_id, student_id, meeting_link } => ensure_eq(
                    Some((*teacher_id, *student_id, meeting_link.as_ref())),
                    stored_of(*booking_id).map(|l| (l.teacher_id, l.student_id, l.meeting_link.as_ref())),
                    &event("teacher, student and meeting link"),
                )?,
                EventKind::LessonDeclined { booking_id, teacher_id, student_id, reason } => {
                    ensure_eq(Some((*teacher_id, *student_id)), people(*booking_id), &event("teacher and student"))?;
                    ensure_eq(reason.as_deref(), Some(REASON), &event("reason"))?;
                }
                EventKind::LessonCancelled { booking_id, teacher_id, student_id, previous_status, .. } => {
                    ensure_eq(Some((*teacher_id, *student_id)), people(*booking_id), &event("teacher and student"))?;
                    let old = before.lessons.iter().find(|l| l.id == *booking_id).map(|l| l.status);
                    ensure_eq(Some(*previous_status), old, &event("previous status"))?;
                }
                EventKind::SlotUpdated { slot } => {
                    let calendar =
                        self.h.engine.calendar(Actor::System, slot.teacher_id).map_err(|e| format!("loading: {e}"))?;
                    ensure_eq(Some(&**slot), calendar.slot(slot.id), &event("the slot"))?;
                }
                EventKind::LessonRescheduled {
                    lesson, previous_slot_id, previous_starts_at, previous_ends_at, ..
                } => {
                    ensure_eq(Some(&**lesson), stored_of(lesson.id), &event("the lesson after"))?;
                    let old =
                        before.lessons.iter().find(|l| l.id == lesson.id).map(|l| (l.slot_id, l.starts_at, l.ends_at));
                    ensure_eq(
                        Some((*previous_slot_id, *previous_starts_at, *previous_ends_at)),
                        old,
                        &event("the previous slot and times"),
                    )?;
                }
                _ => {}
            }
        }
        match &r.value {
            OutcomeValue::Lesson { lesson } => {
                ensure_eq(Some(&**lesson), stored_of(lesson.id), "returned lesson vs stored")?;
                ensure_eq(r.version, lesson.version, "receipt version")?;
                let subject = done.subject.map(|i| self.lessons[i]);
                let expected = created.first().or(decided.first()).or(subject.as_ref());
                ensure_eq(Some(&lesson.id), expected, "the returned lesson")?;
            }
            OutcomeValue::Lessons { lessons } => {
                let ids: Vec<BookingId> = lessons.iter().map(|l| l.id).collect();
                ensure_eq(&ids, &decided, "returned lessons")?;
                for l in lessons {
                    ensure_eq(Some(&**l), stored_of(l.id), "a returned lesson vs stored")?;
                }
            }
            OutcomeValue::Series { series } => {
                for l in &series.lessons {
                    ensure_eq(Some(l), stored_of(l.id), "a lesson of the series vs stored")?;
                }
            }
            OutcomeValue::Slot { slot } => {
                let calendar =
                    self.h.engine.calendar(Actor::System, slot.teacher_id).map_err(|e| format!("loading: {e}"))?;
                ensure_eq(Some(&**slot), calendar.slot(slot.id), "returned slot vs stored")?;
                ensure_eq(r.version, calendar.version, "receipt version (the calendar's)")?;
            }
            OutcomeValue::Rules { .. } => {}
            OutcomeValue::TimeOff { time_off } => {
                if done.time_off_added {
                    ensure(!self.time_off.contains(&time_off.id), || {
                        format!("time off reuses the id {}", time_off.id)
                    })?;
                    self.time_off.push(time_off.id);
                }
            }
            other => return Err(format!("a lesson command returned {other:?}")),
        }
        Ok(())
    }

    /// The lesson the model says is stored as `self.lessons[i]`.
    fn expected_lesson(&self, i: usize, m: &ModelLesson) -> Lesson {
        Lesson {
            id: self.lessons[i],
            teacher_id: teacher(m.teacher),
            student_id: learner(m.student),
            slot_id: self.slots[m.slot],
            course_id: m.course.map(course),
            series_id: m.series.and_then(|s| self.series.get(s).copied()),
            starts_at: m.starts,
            ends_at: m.ends,
            time_zone: m.tz,
            status: m.status.lesson_status(),
            meeting_link: m.link.map(|l| MeetingLink::parse(l).expect("a valid link")),
            requested_at: m.requested_at,
            updated_at: m.updated_at,
            version: m.version,
            rules: m.rules,
        }
    }

    /// What holds after every step:
    /// - every stored lesson equals the model's (status, instants, series, version, link...);
    /// - no two active lessons of a teacher overlap, nor of a student;
    /// - every calendar is at the model's version; a teacher's holds the model's slots; its
    ///   holds are sorted and disjoint, name active lessons of its owner with their series and
    ///   instants, and include every active lesson of its owner that has not ended;
    /// - listing each teacher's next [`AUDIT_WINDOW_DAYS`] days, for nobody in particular and
    ///   for the last lesson's student, gives the model's occurrences and passes
    ///   [`check_listing`].
    fn check_state(&self, model: &Model) -> Result<(), String> {
        let now = self.h.engine.now();
        ensure_eq(now, model.now, "clock")?;
        ensure_eq(self.lessons.len(), model.lessons.len(), "number of lessons")?;
        let stored = self.load_lessons()?;
        for (i, (m, s)) in model.lessons.iter().zip(&stored).enumerate() {
            ensure_eq(&**s, &self.expected_lesson(i, m), &format!("lesson #{i}"))?;
        }
        check_no_overlap(&stored)?;
        let index: HashMap<BookingId, usize> = self.lessons.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        for p in Person::all() {
            let c = self
                .h
                .engine
                .calendar(Actor::System, p.id())
                .map_err(|e| format!("loading the calendar of {p:?}: {e}"))?;
            let what = format!("calendar of {p:?}");
            ensure_eq(c.version, model.versions.get(&p).copied().unwrap_or(0), &format!("{what}: version"))?;
            let slots: Vec<AvailabilitySlot> = match p {
                Person::Teacher(t) => (model.slots.iter().zip(&self.slots))
                    .filter(|(s, _)| s.teacher == t)
                    .map(|(s, id)| s.slot(*id))
                    .collect(),
                Person::Student(_) => Vec::new(),
            };
            ensure_eq(&c.slots, &slots, &format!("{what}: slots"))?;
            if let Person::Teacher(t) = p {
                ensure_eq(
                    c.rules,
                    model.teacher_rules.get(&t).copied().unwrap_or_default(),
                    &format!("{what}: rules"),
                )?;
                let time_off: Vec<(NaiveDate, NaiveDate)> = (model.time_off.iter())
                    .filter(|o| o.teacher == t && !o.withdrawn)
                    .map(|o| (o.first, o.last))
                    .collect();
                let mut stored: Vec<(NaiveDate, NaiveDate)> =
                    c.time_off.iter().map(|o| (o.first_day, o.last_day)).collect();
                let mut expected = time_off;
                stored.sort();
                expected.sort();
                ensure_eq(stored, expected, &format!("{what}: time off"))?;
            }
            for w in c.holds.windows(2) {
                ensure(w[0].ends_at <= w[1].starts_at, || format!("{what}: holds overlap or unsorted: {w:?}"))?;
            }
            let mut held = HashSet::new();
            for h in &c.holds {
                let i =
                    *index.get(&h.booking_id).ok_or_else(|| format!("{what}: a hold of an unknown lesson {h:?}"))?;
                let m = &model.lessons[i];
                ensure(p.has(m) && m.status.active(), || format!("{what}: holds lesson #{i} {m:?}"))?;
                ensure_eq(
                    (h.series_id, h.starts_at, h.ends_at, (h.busy_from, h.busy_until)),
                    (m.series.and_then(|s| self.series.get(s).copied()), m.starts, m.ends, m.busy_span(p)),
                    &format!("{what}: hold of lesson #{i}"),
                )?;
                held.insert(i);
            }
            for (i, m) in model.lessons.iter().enumerate() {
                ensure(!p.has(m) || !m.status.active() || m.ends <= now || held.contains(&i), || {
                    format!("{what}: active lesson #{i} {m:?} is not held")
                })?;
            }
        }
        for t in 1..=2 {
            let (from, to) = (now, now + TimeDelta::days(AUDIT_WINDOW_DAYS));
            let zone = Some("Australia/Sydney");
            let query = OccurrenceQuery {
                teacher_id: teacher(t),
                course_id: None,
                student_id: None,
                from,
                to,
                time_zone: zone.map(str::to_owned),
            };
            self.check_list(&query, model.list(t, None, None, from, to, zone))
                .map_err(|e| format!("listing after the step: {e}"))?;
            // And as the last lesson's student sees it (their per-course limit, their courses).
            if let Some(l) = model.lessons.last() {
                let query = OccurrenceQuery { student_id: Some(learner(l.student)), ..query };
                self.check_list(&query, model.list(t, Some(l.student), None, from, to, zone))
                    .map_err(|e| format!("a student's listing after the step: {e}"))?;
            }
        }
        self.check_read_side(model)
    }

    /// The read side ([`crate::read`]) says what the model says: each teacher's approval queue
    /// (the pending lessons, oldest request first), and each learner's and teacher's agenda
    /// (their lessons by start, with their status) over a window covering every lesson.
    fn check_read_side(&self, model: &Model) -> Result<(), String> {
        use crate::read::{AgendaStatus, MAX_PAGE_SIZE, PageRequest};
        let page = PageRequest::first(MAX_PAGE_SIZE);
        let failed = |what: &str, e: crate::BookingError| format!("{what}: unexpected {} ({e})", e.code());
        let engine = &self.h.engine;
        for t in 1..=2 {
            let mut pending: Vec<(DateTime<Utc>, uuid::Uuid, BookingId)> = (model.lessons.iter().enumerate())
                .filter(|(_, m)| m.teacher == t && m.status == Status::Pending)
                .map(|(i, m)| (m.requested_at, self.lessons[i].as_uuid(), self.lessons[i]))
                .collect();
            pending.sort();
            let expected: Vec<BookingId> = pending.into_iter().map(|(_, _, id)| id).collect();
            let queue = engine
                .approval_queue(Actor::Teacher(teacher(t)), teacher(t), &page)
                .map_err(|e| failed("an approval queue", e))?;
            let got: Vec<BookingId> = queue.items.iter().map(|r| r.booking_id).collect();
            ensure_eq(got, expected, &format!("teacher {t}'s approval queue"))?;
        }
        let (Some(first), Some(last)) =
            (model.lessons.iter().map(|m| m.starts).min(), model.lessons.iter().map(|m| m.starts).max())
        else {
            return Ok(());
        };
        let (from, to) = (first, last + TimeDelta::minutes(1));
        let status = |m: &ModelLesson| AgendaStatus::of_lesson(m.status.lesson_status());
        for p in Person::all() {
            let mut expected: Vec<(DateTime<Utc>, uuid::Uuid, BookingId, AgendaStatus)> = (model.lessons.iter())
                .enumerate()
                .filter(|(_, m)| match p {
                    Person::Teacher(t) => m.teacher == t,
                    Person::Student(n) => m.student == n,
                })
                .map(|(i, m)| (m.starts, self.lessons[i].as_uuid(), self.lessons[i], status(m)))
                .collect();
            expected.sort();
            let expected: Vec<(BookingId, AgendaStatus)> = expected.into_iter().map(|(_, _, id, s)| (id, s)).collect();
            let got: Vec<(BookingId, AgendaStatus)> = match p {
                Person::Teacher(t) => engine
                    .teacher_agenda(Actor::System, teacher(t), from, to, &page)
                    .map_err(|e| failed("a teacher's agenda", e))?
                    .items
                    .iter()
                    .filter_map(|i| Some((i.booking_id?, AgendaStatus::of_lesson(i.lesson_status?))))
                    .collect(),
                Person::Student(n) => engine
                    .student_agenda(Actor::System, learner(n), from, to, &[], &page)
                    .map_err(|e| failed("a learner's agenda", e))?
                    .items
                    .iter()
                    .map(|i| (i.booking_id, i.status))
                    .collect(),
            };
            ensure_eq(got, expected, &format!("the agenda of {p:?}: (lesson, status) by start"))?;
        }
        Ok(())
    }
}

/// Runs one generated case; `seen` counts the transitions run (it helps shrinking).
fn run_case(
    factory: StoreFactory<'_>,
    init: Model,
    transitions: &[Transition],
    seen: Option<&AtomicUsize>,
) -> Result<(), String> {
    let mut sut = Sut::new(factory, &init)?;
    let mut model = init;
    sut.check_state(&model).map_err(|e| format!("after publishing: {e}"))?;
    for (n, t) in transitions.iter().enumerate() {
        if let Some(seen) = seen {
            seen.fetch_add(1, Ordering::SeqCst);
        }
        sut.step(&mut model, t).map_err(|e| format!("step {n} {t:?}: {e}"))?;
    }
    Ok(())
}

/// Random availability and command sequences (1 to 39 transitions,
/// [`property_cases`](super::property_cases) cases) against the reference [`Model`]; see the
/// [module docs](self). A failure names the first diverging step and lists the shrunk
/// availability and transition sequence.
pub(crate) fn lesson_property_test(factory: StoreFactory<'_>) -> Result<(), String> {
    let mut config = Config { cases: super::property_cases(), failure_persistence: None, ..Config::default() };
    if matches!(config.rng_seed, RngSeed::Random) {
        config.rng_seed = RngSeed::Fixed(DEFAULT_SEED);
    }
    let mut runner = TestRunner::new(config);
    let result = runner.run(&Reference::sequential_strategy(1..40), |(init, transitions, seen)| {
        run_case(factory, init, &transitions, seen.as_deref()).map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Abort(reason)) => Err(format!("property test aborted: {reason}")),
        Err(TestError::Fail(reason, (init, transitions, _))) => {
            let mut message = format!("property test failed: {reason}\nslots:");
            for (i, s) in init.slots.iter().enumerate() {
                let _ = write!(message, "\n  #{i}: {s:?}");
            }
            let _ = write!(
                message,
                "\nenrolled (student, course): {:?}; course approval: {:?}; teacher overrides: {:?}",
                init.enrolled, init.course_approval, init.teacher_approval
            );
            let _ = write!(message, "\nminimal failing sequence ({} transitions):", transitions.len());
            for (n, t) in transitions.iter().enumerate() {
                let _ = write!(message, "\n  {n:>2}: {t:?}");
            }
            Err(message)
        }
    }
}
