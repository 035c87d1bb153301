//! A 1:1 booking race: many threads booking overlapping occurrences of one teacher and
//! cancelling through one shared engine, then an audit of every attempt and of the stored
//! lessons and calendars.
//!
//! The teacher offers several overlapping slots on Mondays (weekly ones in Europe/Berlin and
//! Australia/Sydney, one-time ones over them in Berlin and America/New_York, one of a course
//! that requires approval, so some lessons are pending) for four weeks around Berlin's switch
//! to summer time. [`THREADS`] threads, each with its own students, send [`OPS_PER_THREAD`]
//! commands each: single bookings of random occurrences, series of two or three weeks in both
//! modes, reschedules of their own lessons to random occurrences (racing the other threads'
//! bookings and reschedules for the same times), cancellations of their own lessons (one, or
//! one and the later ones of its series) and cancellations of lessons they cancelled already.
//! Whether a booking or a move succeeds depends on the interleaving; what each thread knows for
//! sure is that its own students' lessons change only through its own commands.

use super::harness::{Harness, StoreFactory, ensure, ensure_eq, student, teacher};
use super::host::HostData;
use super::lesson_model::{check_listing, check_no_overlap};
use crate::{
    Actor, BookingError, BookingId, CourseId, Engine, Receipt, Repository, SlotId, UserId,
    availability::{AvailabilitySlot, SlotRecurrence},
    lesson::{
        Calendar, Lesson, LessonStatus, OccurrenceQuery, SeriesBooking, SeriesEnd, SeriesMode, SeriesRequest, SlotSpec,
    },
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Barrier};

/// Threads in the race.
const THREADS: u32 = 8;
/// Commands per thread.
const OPS_PER_THREAD: usize = 30;
/// Races run, each on a fresh store with other random choices.
const ROUNDS: u32 = 4;
/// Students each thread books for.
const STUDENTS_PER_THREAD: u32 = 2;
/// Error codes a booking may get in this race (the teacher or the student is busy).
const BUSY: [&str; 2] = ["slot_unavailable", "student_busy"];

type SharedEngine = Arc<Engine<Arc<dyn Repository>>>;

/// The course of the slot that needs approval.
fn approval_course() -> CourseId {
    CourseId::from_uuid(uuid::Uuid::from_u128(0xc0c0_7ace_0000_0000_0000_0000_0000_0001))
}

/// Student `j` of thread `thread`.
fn racer(thread: u32, j: u32) -> UserId {
    student(4000 + thread * 10 + j)
}

/// A small deterministic generator (xorshift64), one per thread.
struct Rng(u64);

impl Rng {
    fn new(round: u32, thread: u32) -> Self {
        Self(0x2545_f491_4f6c_dd1d ^ (u64::from(round) << 48 | u64::from(thread) << 40 | 0x1e55))
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn wall(s: &str) -> NaiveDateTime {
    s.parse().expect("a valid wall time")
}

fn time(s: &str) -> NaiveTime {
    s.parse().expect("a valid time")
}

/// The teacher's slots: `(zone, recurrence, needs approval)`. Weekly ones are valid on the
/// four Mondays from 11 March to 1 April 2030 (Berlin springs forward on 31 March, so on
/// 1 April its slots start an hour earlier in UTC while Sydney's do not move).
fn slot_specs() -> Vec<SlotSpec> {
    let weekly = |zone: &str, start: &str, end: &str, course: Option<CourseId>| SlotSpec {
        course_id: course,
        time_zone: zone.to_owned(),
        recurrence: SlotRecurrence::Weekly {
            weekday: Weekday::Mon,
            start_time: time(start),
            end_time: time(end),
            valid_from: NaiveDate::from_ymd_opt(2030, 3, 5).expect("a date"),
            valid_until: NaiveDate::from_ymd_opt(2030, 4, 1),
        },
        active: true,
        rules: Default::default(),
    };
    let once = |zone: &str, start: &str, end: &str| SlotSpec {
        course_id: None,
        time_zone: zone.to_owned(),
        recurrence: SlotRecurrence::OneTime { start: wall(start), end: wall(end) },
        active: true,
        rules: Default::default(),
    };
    vec![
        weekly("Europe/Berlin", "10:00:00", "11:00:00", None),
        weekly("Europe/Berlin", "10:30:00", "11:30:00", None),
        // 20:00 in Sydney (UTC+11) is 10:00 in Berlin in winter, 11:00 in summer.
        weekly("Australia/Sydney", "20:00:00", "21:30:00", None),
        weekly("Europe/Berlin", "11:00:00", "12:00:00", Some(approval_course())),
        once("Europe/Berlin", "2030-03-11T10:15:00", "2030-03-11T11:15:00"),
        once("Europe/Berlin", "2030-03-18T09:45:00", "2030-03-18T10:45:00"),
        // 05:30 in New York (UTC-4 from 10 March) is 10:30 in Berlin.
        once("America/New_York", "2030-03-25T05:30:00", "2030-03-25T06:30:00"),
    ]
}

/// An occurrence of the pool: slot and start.
type Occ = (SlotId, DateTime<Utc>);

/// A command a thread sends, for one of its students.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Op {
    Book {
        student: UserId,
        occ: Occ,
    },
    Series {
        student: UserId,
        first: Occ,
        count: u32,
        mode: SeriesMode,
    },
    /// Cancel one lesson, or it and the later ones of its series; `expected` is what the
    /// thread knows the command must cancel (empty: refused with `invalid_transition`).
    Cancel {
        student: UserId,
        lesson: BookingId,
        and_later: bool,
        expected: Vec<BookingId>,
    },
    /// Move a lesson (`before`: as the thread knows it) to an occurrence of the pool.
    Reschedule {
        before: Box<Lesson>,
        to: Occ,
    },
}

/// What a command returned.
#[derive(Debug)]
enum Outcome {
    Lesson(Result<Receipt<Arc<Lesson>>, BookingError>),
    Series(Result<Receipt<SeriesBooking>, BookingError>),
    Lessons(Result<Receipt<Vec<Arc<Lesson>>>, BookingError>),
}

impl Outcome {
    fn error(&self) -> Option<&BookingError> {
        match self {
            Outcome::Lesson(Err(e)) | Outcome::Series(Err(e)) | Outcome::Lessons(Err(e)) => Some(e),
            _ => None,
        }
    }
}

/// One attempt and its outcome.
#[derive(Debug)]
struct Attempt {
    thread: u32,
    n: usize,
    op: Op,
    outcome: Outcome,
}

impl Attempt {
    fn describe(&self, why: &str) -> String {
        let outcome = match (&self.outcome, self.outcome.error()) {
            (_, Some(e)) => format!("{} ({e})", e.code()),
            (Outcome::Lesson(Ok(r)), _) => format!("lesson {} {}", r.value.id, r.value.status),
            (Outcome::Series(Ok(r)), _) => {
                format!("series of {} lessons, {} skipped", r.value.lessons.len(), r.value.skipped.len())
            }
            (Outcome::Lessons(Ok(r)), _) => {
                format!("cancelled {:?}", r.value.iter().map(|l| l.id).collect::<Vec<_>>())
            }
            _ => "?".to_owned(),
        };
        format!("thread {} attempt {} {:?}: {why}; got {outcome}", self.thread, self.n, self.op)
    }
}

/// A lesson a thread booked, as it knows it.
#[derive(Clone, Debug)]
struct Own {
    lesson: Lesson,
    cancelled: bool,
}

/// One thread: books random occurrences of the pool for its students, books short series, and
/// cancels its students' lessons; it keeps what it knows of them to predict its cancellations.
fn worker(
    engine: &SharedEngine,
    pool: &[Occ],
    weekly: &[SlotId],
    mut rng: Rng,
    thread: u32,
    barrier: &Barrier,
) -> Vec<Attempt> {
    let students: Vec<UserId> = (0..STUDENTS_PER_THREAD).map(|j| racer(thread, j)).collect();
    let mut own: Vec<Own> = Vec::new();
    let mut attempts = Vec::with_capacity(OPS_PER_THREAD);
    barrier.wait();
    for n in 0..OPS_PER_THREAD {
        let active: Vec<usize> = (0..own.len()).filter(|&i| !own[i].cancelled).collect();
        let cancelled: Vec<usize> = (0..own.len()).filter(|&i| own[i].cancelled).collect();
        let roll = rng.below(100);
        let op = if (0..35).contains(&roll) && !active.is_empty() {
            let target = &own[active[rng.below(active.len())]].lesson;
            let and_later = target.series_id.is_some() && rng.below(2) == 0;
            let expected = own
                .iter()
                .filter(|o| {
                    !o.cancelled
                        && (o.lesson.id == target.id
                            || (and_later
                                && o.lesson.series_id == target.series_id
                                && o.lesson.starts_at > target.starts_at))
                })
                .map(|o| o.lesson.id)
                .collect();
            Op::Cancel { student: target.student_id, lesson: target.id, and_later, expected }
        } else if (35..42).contains(&roll) && !cancelled.is_empty() {
            let target = &own[cancelled[rng.below(cancelled.len())]].lesson;
            Op::Cancel { student: target.student_id, lesson: target.id, and_later: false, expected: Vec::new() }
        } else if (55..72).contains(&roll) && !active.is_empty() {
            let before = own[active[rng.below(active.len())]].lesson.clone();
            Op::Reschedule { before: Box::new(before), to: pool[rng.below(pool.len())] }
        } else if (42..55).contains(&roll) {
            // Two or three weeks, all within the slot's validity.
            let slot = weekly[rng.below(weekly.len())];
            let count = 2 + rng.below(2);
            let mut starts: Vec<&Occ> = pool.iter().filter(|o| o.0 == slot).collect();
            starts.sort();
            let first = *starts[rng.below(starts.len() + 1 - count)];
            let mode = if rng.below(2) == 0 { SeriesMode::AllOrNothing } else { SeriesMode::BookAvailable };
            Op::Series { student: students[rng.below(students.len())], first, count: count as u32, mode }
        } else {
            Op::Book { student: students[rng.below(students.len())], occ: pool[rng.below(pool.len())] }
        };
        let outcome = match &op {
            Op::Book { student, occ } => {
                Outcome::Lesson(engine.book_lesson(Actor::Student(*student), occ.0, occ.1, *student))
            }
            Op::Series { student, first, count, mode } => Outcome::Series(engine.book_series(
                Actor::Student(*student),
                SeriesRequest {
                    slot_id: first.0,
                    student_id: *student,
                    first_starts_at: first.1,
                    every_weeks: 1,
                    end: SeriesEnd::Count(*count),
                    mode: *mode,
                },
            )),
            Op::Cancel { student, lesson, and_later: false, .. } => {
                Outcome::Lesson(engine.cancel_lesson(Actor::Student(*student), *lesson))
            }
            Op::Cancel { student, lesson, and_later: true, .. } => {
                Outcome::Lessons(engine.cancel_series_from(Actor::Student(*student), *lesson))
            }
            Op::Reschedule { before, to } => {
                Outcome::Lesson(engine.reschedule_lesson(Actor::Student(before.student_id), before.id, to.0, to.1))
            }
        };
        // Learn from successes: what was booked, what was cancelled.
        let mut cancel = |ids: &[BookingId]| {
            for o in own.iter_mut().filter(|o| ids.contains(&o.lesson.id)) {
                o.cancelled = true;
            }
        };
        match (&op, &outcome) {
            (Op::Book { .. }, Outcome::Lesson(Ok(r))) => own.push(Own { lesson: (*r.value).clone(), cancelled: false }),
            (Op::Series { .. }, Outcome::Series(Ok(r))) => {
                own.extend(r.value.lessons.iter().map(|l| Own { lesson: l.clone(), cancelled: false }))
            }
            (Op::Reschedule { .. }, Outcome::Lesson(Ok(r))) => {
                if let Some(o) = own.iter_mut().find(|o| o.lesson.id == r.value.id) {
                    o.lesson = (*r.value).clone();
                }
            }
            (Op::Cancel { .. }, Outcome::Lesson(Ok(r))) => cancel(&[r.value.id]),
            (Op::Cancel { .. }, Outcome::Lessons(Ok(r))) => cancel(&r.value.iter().map(|l| l.id).collect::<Vec<_>>()),
            _ => {}
        }
        attempts.push(Attempt { thread, n, op, outcome });
    }
    attempts
}

/// What the audit learns from the attempts: every lesson booked (as booked, or as its last
/// successful move left it) and every lesson cancelled, and how many successful commands
/// touched each calendar.
#[derive(Default)]
struct Ledger {
    booked: BTreeMap<BookingId, Lesson>,
    cancelled: BTreeSet<BookingId>,
    commands: HashMap<UserId, u64>,
}

impl Ledger {
    fn book(&mut self, l: &Lesson) -> Result<(), String> {
        ensure(self.booked.insert(l.id, l.clone()).is_none(), || format!("lesson id {} handed out twice", l.id))
    }

    fn moved(&mut self, l: &Lesson) -> Result<(), String> {
        ensure(!self.cancelled.contains(&l.id), || format!("lesson {} moved after it was cancelled", l.id))?;
        ensure(self.booked.insert(l.id, l.clone()).is_some(), || format!("moved lesson {} was never booked", l.id))
    }

    fn cancel(&mut self, id: BookingId) -> Result<(), String> {
        ensure(self.booked.contains_key(&id), || format!("cancelled lesson {id} was never booked"))?;
        ensure(self.cancelled.insert(id), || format!("lesson {id} was cancelled twice"))
    }

    fn touched(&mut self, teacher: UserId, student: UserId) {
        *self.commands.entry(teacher).or_default() += 1;
        *self.commands.entry(student).or_default() += 1;
    }
}

/// The status a new lesson of `slot` gets: pending for the course that needs approval.
fn booked_status(slot: &AvailabilitySlot) -> LessonStatus {
    if slot.course_id.is_some() { LessonStatus::Pending } else { LessonStatus::Confirmed }
}

/// Checks one attempt's outcome against what its thread knew, and records its effects.
fn audit_attempt(
    a: &Attempt,
    slots: &HashMap<SlotId, AvailabilitySlot>,
    ends: &HashMap<Occ, DateTime<Utc>>,
    ledger: &mut Ledger,
    owner: UserId,
) -> Result<(), String> {
    let fail = |why: &str| Err(a.describe(why));
    if let Some(e) = a.outcome.error() {
        let code = e.code().as_str();
        return match &a.op {
            _ if code == "contention" => fail("gave up with contention"),
            Op::Book { .. } | Op::Series { .. } | Op::Reschedule { .. } if BUSY.contains(&code) => Ok(()),
            Op::Cancel { expected, .. } if expected.is_empty() && code == "invalid_transition" => Ok(()),
            _ => fail("unexpected error"),
        };
    }
    // A new lesson: of the pool, for the student, with the status its slot gives.
    let new_lesson = |l: &Lesson, student: UserId, starts: Option<DateTime<Utc>>| -> Result<(), String> {
        let slot = slots.get(&l.slot_id).ok_or_else(|| a.describe("a lesson of an unknown slot"))?;
        ensure(
            ends.get(&(l.slot_id, l.starts_at)) == Some(&l.ends_at)
                && l.student_id == student
                && l.teacher_id == owner
                && l.status == booked_status(slot)
                && l.version == 1
                && starts.is_none_or(|s| s == l.starts_at),
            || a.describe(&format!("booked {l:?}")),
        )
    };
    match (&a.op, &a.outcome) {
        (Op::Book { student, occ }, Outcome::Lesson(Ok(r))) => {
            new_lesson(&r.value, *student, Some(occ.1))?;
            ensure(r.value.slot_id == occ.0 && !r.replayed && r.events.len() == 1, || a.describe("booked"))?;
            ledger.book(&r.value)?;
            ledger.touched(owner, *student);
        }
        (Op::Series { student, first, count, mode }, Outcome::Series(Ok(r))) => {
            let s = &r.value;
            let all = s.lessons.len() + s.skipped.len();
            ensure(!s.lessons.is_empty() && all == *count as usize, || a.describe("lessons + skipped != count"))?;
            ensure(*mode == SeriesMode::BookAvailable || s.skipped.is_empty(), || {
                a.describe("all or nothing skipped")
            })?;
            for k in &s.skipped {
                ensure(BUSY.contains(&k.reason.code().as_str()), || a.describe(&format!("skipped {k:?}")))?;
            }
            for (i, l) in s.lessons.iter().enumerate() {
                let first_start = (i == 0 && s.skipped.is_empty()).then_some(first.1);
                new_lesson(l, *student, first_start)?;
                ensure(l.series_id == Some(s.series_id) && l.slot_id == first.0, || a.describe("series lesson"))?;
                ledger.book(l)?;
            }
            ledger.touched(owner, *student);
        }
        (Op::Reschedule { before, to }, Outcome::Lesson(Ok(r))) => {
            let slot = slots.get(&to.0).ok_or_else(|| a.describe("a move to an unknown slot"))?;
            if (before.slot_id, before.starts_at) == *to {
                // Already there: nothing happens.
                ensure(r.events.is_empty() && *r.value == **before, || a.describe("a move to where it is"))?;
                return Ok(());
            }
            let expected = Lesson {
                slot_id: to.0,
                course_id: slot.course_id,
                starts_at: to.1,
                ends_at: ends[to],
                time_zone: slot.time_zone,
                status: booked_status(slot),
                version: before.version + 1,
                updated_at: r.value.updated_at,
                ..(**before).clone()
            };
            ensure(*r.value == expected && r.events.len() == 1, || a.describe(&format!("expected {expected:?}")))?;
            ledger.moved(&r.value)?;
            ledger.touched(owner, before.student_id);
        }
        (Op::Cancel { student, lesson, expected, .. }, outcome) => {
            let cancelled: Vec<&Lesson> = match outcome {
                Outcome::Lesson(Ok(r)) => vec![&*r.value],
                Outcome::Lessons(Ok(r)) => r.value.iter().map(|l| &**l).collect(),
                _ => return fail("a cancellation returned something else"),
            };
            let ids: Vec<BookingId> = cancelled.iter().map(|l| l.id).collect();
            let (mut got, mut want) = (ids.clone(), expected.clone());
            got.sort();
            want.sort();
            ensure(got == want && ids.first() == Some(lesson), || {
                a.describe(&format!("expected to cancel exactly {expected:?}"))
            })?;
            for l in cancelled {
                ensure(l.status == LessonStatus::Cancelled, || a.describe("a returned lesson is not cancelled"))?;
                ledger.cancel(l.id)?;
            }
            ledger.touched(owner, *student);
        }
        _ => return fail("an outcome of the wrong kind"),
    }
    Ok(())
}

/// Checks a calendar's holds: exactly the active lessons of its owner (none has ended: the
/// clock does not move), sorted, disjoint, with their instants and series.
fn audit_holds(calendar: &Calendar, active: &[&Lesson]) -> Result<(), String> {
    let mine: BTreeMap<BookingId, &Lesson> = active
        .iter()
        .filter(|l| l.teacher_id == calendar.owner || l.student_id == calendar.owner)
        .map(|l| (l.id, *l))
        .collect();
    let held: BTreeSet<BookingId> = calendar.holds.iter().map(|h| h.booking_id).collect();
    ensure(held.len() == calendar.holds.len(), || format!("calendar of {}: a lesson held twice", calendar.owner))?;
    let expected: BTreeSet<BookingId> = mine.keys().copied().collect();
    if held != expected {
        return Err(format!(
            "calendar of {}: holds {:?} that are not active lessons, misses active lessons {:?}",
            calendar.owner,
            held.difference(&expected).collect::<Vec<_>>(),
            expected.difference(&held).collect::<Vec<_>>()
        ));
    }
    for w in calendar.holds.windows(2) {
        ensure(w[0].ends_at <= w[1].starts_at, || format!("calendar of {}: holds {w:?} overlap", calendar.owner))?;
    }
    for h in &calendar.holds {
        let l = mine[&h.booking_id];
        ensure((h.starts_at, h.ends_at, h.series_id) == (l.starts_at, l.ends_at, l.series_id), || {
            format!("calendar of {}: hold {h:?} differs from lesson {l:?}", calendar.owner)
        })?;
    }
    Ok(())
}

/// [`ROUNDS`] races, each on a fresh store, and their audits; see the [module docs](self):
/// - every attempt has one outcome its thread accepts: a booking or series that succeeded
///   (confirmed, or pending for the course that needs approval; a series books or skips each
///   of its dates, skipping only busy ones, and only in the "book available" mode), a move
///   that put the lesson exactly at the new occurrence (pending again for the approval
///   course, confirmed otherwise), a booking or a move refused because the teacher or the
///   student is busy, a cancellation that cancelled exactly
///   the thread's lessons it had to, or `invalid_transition` for a lesson cancelled before;
///   `contention` (the engine gave up) is a failure;
/// - no lesson id is handed out twice, none cancelled twice;
/// - every lesson booked is stored as booked or as its last successful move left it, unless a
///   successful cancellation cancelled it; then it is cancelled;
/// - the teacher's active lessons never overlap, nor a student's;
/// - each calendar holds exactly its owner's active lessons, and its version counts the
///   successful commands that touched it (no lost update);
/// - listing the teacher's availability afterwards offers exactly the occurrences of the pool
///   that overlap no active lesson (and passes [`check_listing`]).
pub(crate) fn lesson_race_audit(factory: StoreFactory<'_>) -> Result<(), String> {
    (1..=ROUNDS).try_for_each(|round| race_round(factory, round).map_err(|e| format!("round {round}: {e}")))
}

/// One race on a fresh store, and its audit.
fn race_round(factory: StoreFactory<'_>, round: u32) -> Result<(), String> {
    let host = HostData::new(factory());
    let h = {
        let host = Arc::clone(&host);
        Harness::racing(&move || Arc::clone(&host) as Arc<dyn Repository>)
    };
    let owner = teacher(1);
    host.set_course_approval(approval_course(), Some(true));
    for thread in 1..=THREADS {
        for j in 0..STUDENTS_PER_THREAD {
            host.enroll(racer(thread, j), approval_course());
        }
    }
    let mut slots = HashMap::new();
    let mut weekly = Vec::new();
    for spec in slot_specs() {
        let slot = h
            .engine
            .publish_slot(Actor::Teacher(owner), owner, spec)
            .map_err(|e| format!("publishing a slot: {e}"))?
            .value;
        if matches!(slot.recurrence, SlotRecurrence::Weekly { .. }) {
            weekly.push(slot.id);
        }
        slots.insert(slot.id, slot);
    }
    let query = OccurrenceQuery {
        teacher_id: owner,
        course_id: None,
        student_id: None,
        from: h.engine.now(),
        to: Utc.with_ymd_and_hms(2030, 4, 2, 0, 0, 0).single().ok_or("a valid instant")?,
        time_zone: None,
    };
    let pool: Vec<Occ> = h
        .engine
        .list_occurrences(&query)
        .map_err(|e| format!("listing the pool: {e}"))?
        .iter()
        .map(|o| (o.slot_id, o.starts_at))
        .collect();
    ensure_eq(pool.len(), 4 * weekly.len() + slots.len() - weekly.len(), "occurrences in the pool")?;
    let ends: HashMap<Occ, DateTime<Utc>> = h
        .engine
        .list_occurrences(&query)
        .map_err(|e| format!("listing the pool: {e}"))?
        .iter()
        .map(|o| ((o.slot_id, o.starts_at), o.ends_at))
        .collect();

    let engine: SharedEngine = Arc::new(h.engine);
    let barrier = Barrier::new(THREADS as usize);
    let reports: Vec<Vec<Attempt>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..=THREADS)
            .map(|thread| {
                let (engine, barrier, pool, weekly) = (Arc::clone(&engine), &barrier, &pool, &weekly);
                scope.spawn(move || worker(&engine, pool, weekly, Rng::new(round, thread), thread, barrier))
            })
            .collect();
        handles
            .into_iter()
            .enumerate()
            .map(|(i, h)| h.join().map_err(|_| format!("worker thread {} panicked", i + 1)))
            .collect::<Result<_, _>>()
    })?;

    // Every attempt.
    let mut ledger = Ledger::default();
    let mut failures = Vec::new();
    for a in reports.iter().flatten() {
        if let Err(e) = audit_attempt(a, &slots, &ends, &mut ledger, owner) {
            failures.push(e);
        }
    }
    if !failures.is_empty() {
        let total = failures.len();
        failures.truncate(10);
        return Err(format!("{total} attempts had an unexpected outcome; first ones:\n{}", failures.join("\n")));
    }
    let successes = reports.iter().flatten().filter(|a| a.outcome.error().is_none()).count();
    ensure(successes > 0 && !ledger.booked.is_empty(), || "nothing was booked".to_owned())?;

    // Every lesson booked, as stored.
    let mut stored = Vec::with_capacity(ledger.booked.len());
    for (id, booked) in &ledger.booked {
        let l = engine.lesson(Actor::System, *id).map_err(|e| format!("loading lesson {id}: {e}"))?;
        let cancelled = ledger.cancelled.contains(id);
        let expected_status = if cancelled { LessonStatus::Cancelled } else { booked.status };
        let expected =
            Lesson { status: expected_status, version: l.version, updated_at: l.updated_at, ..booked.clone() };
        ensure_eq(&*l, &expected, &format!("stored lesson {id}"))?;
        ensure_eq(l.version, booked.version + u64::from(cancelled), &format!("version of lesson {id}"))?;
        stored.push(l);
    }
    check_no_overlap(&stored)?;

    // Calendars: holds and versions.
    let active: Vec<&Lesson> = stored.iter().map(|l| &**l).filter(|l| l.status.is_active()).collect();
    let mut people = vec![owner];
    people.extend((1..=THREADS).flat_map(|t| (0..STUDENTS_PER_THREAD).map(move |j| racer(t, j))));
    for person in people {
        let c = engine.calendar(Actor::System, person).map_err(|e| format!("loading the calendar of {person}: {e}"))?;
        audit_holds(&c, &active)?;
        let published = if person == owner { slots.len() as u64 } else { 0 };
        ensure_eq(
            c.version,
            published + ledger.commands.get(&person).copied().unwrap_or(0),
            &format!("version of the calendar of {person} (slots published + successful commands touching it)"),
        )?;
    }

    // What is still offered.
    let teacher_calendar =
        engine.calendar(Actor::System, owner).map_err(|e| format!("loading the teacher's calendar: {e}"))?;
    let listing = engine.list_occurrences(&query).map_err(|e| format!("listing after the race: {e}"))?;
    check_listing(&listing, &query, &teacher_calendar, &stored, engine.now())?;
    let offered: BTreeSet<Occ> = listing.iter().map(|o| (o.slot_id, o.starts_at)).collect();
    let free: BTreeSet<Occ> =
        pool.iter().filter(|o| !active.iter().any(|l| l.starts_at < ends[o] && o.1 < l.ends_at)).copied().collect();
    ensure_eq(&offered, &free, "occurrences offered after the race vs the pool's free ones")
}
