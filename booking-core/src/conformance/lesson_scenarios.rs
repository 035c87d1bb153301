//! The seed's 1:1 booking scenarios and the rules of the lesson module, as checks.
//!
//! The clock starts at [`t0`], Monday 4 March 2030, 09:00 UTC. Berlin is at UTC+1 until its
//! spring change on Sunday 31 March 2030, and at UTC+2 after it.

use super::harness::{admin, ensure, ensure_eq, expect_error, step, student, t0, teacher};
use super::host::HostData;
use crate::availability::SlotRecurrence;
use crate::lesson::{
    Calendar, LessonStatus, MeetingLinkGenerator, OccurrenceQuery, SeriesEnd, SeriesMode, SeriesRequest, SlotSpec,
};
use crate::{Actor, BookingError, CourseId, Engine, ManualClock, Repository, SequentialIds, SlotId, UserId};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use std::sync::Arc;

use super::harness::StoreFactory;

/// A fresh engine over the store wrapped with host data (courses, enrollments).
pub(super) struct Lessons {
    pub(super) engine: Engine<Arc<dyn Repository>>,
    pub(super) clock: Arc<ManualClock>,
    pub(super) host: Arc<HostData>,
}

impl Lessons {
    pub(super) fn new(f: StoreFactory<'_>) -> Self {
        Self::with_engine(f, |e| e)
    }

    pub(super) fn with_engine(
        f: StoreFactory<'_>,
        configure: impl FnOnce(Engine<Arc<dyn Repository>>) -> Engine<Arc<dyn Repository>>,
    ) -> Self {
        let clock = Arc::new(ManualClock::new(t0()));
        let host = HostData::new(f());
        let engine = Engine::new(Arc::clone(&host) as Arc<dyn Repository>)
            .with_clock(Arc::clone(&clock))
            .with_ids(SequentialIds::starting_after(1 << 41));
        Self { engine: configure(engine), clock, host }
    }

    pub(super) fn publish(&self, teacher_id: UserId, spec: SlotSpec) -> Result<SlotId, String> {
        Ok(step("publish a slot", self.engine.publish_slot(Actor::Teacher(teacher_id), teacher_id, spec))?.value.id)
    }

    pub(super) fn list(
        &self,
        teacher_id: UserId,
        student_id: Option<UserId>,
        days: i64,
    ) -> Result<Vec<DateTime<Utc>>, String> {
        let query = query(teacher_id, student_id, days);
        Ok(step("list", self.engine.list_occurrences(&query))?.into_iter().map(|o| o.starts_at).collect())
    }

    pub(super) fn calendars(&self, people: &[UserId]) -> Result<Vec<Arc<Calendar>>, String> {
        people.iter().map(|p| step("load calendar", self.engine.calendar(Actor::System, *p))).collect()
    }

    /// Runs `refused`, expects `code`, and checks the calendars of `people` did not change.
    pub(super) fn expect_refused<T: std::fmt::Debug>(
        &self,
        people: &[UserId],
        code: &str,
        what: &str,
        refused: impl FnOnce() -> Result<T, BookingError>,
    ) -> Result<(), String> {
        let before = self.calendars(people)?;
        expect_error(code, what, refused())?;
        ensure(self.calendars(people)? == before, || format!("{what}: refused with {code} but a calendar changed"))
    }
}

pub(super) fn query(teacher_id: UserId, student_id: Option<UserId>, days: i64) -> OccurrenceQuery {
    OccurrenceQuery {
        teacher_id,
        course_id: None,
        student_id,
        from: t0(),
        to: t0() + TimeDelta::days(days),
        time_zone: None,
    }
}

pub(super) fn course(n: u128) -> CourseId {
    CourseId::from_uuid(uuid::Uuid::from_u128((4 << 64) | n))
}

pub(super) fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
}

pub(super) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

pub(super) fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    date(y, m, d).and_time(time(h, min))
}

pub(super) fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("valid instant")
}

/// Weekly on `weekday` from `start` to `end` (hours and minutes), in `zone`, from 1 March 2030.
pub(super) fn weekly(
    course_id: Option<CourseId>,
    zone: &str,
    weekday: Weekday,
    start: (u32, u32),
    end: (u32, u32),
) -> SlotSpec {
    SlotSpec {
        course_id,
        time_zone: zone.to_owned(),
        recurrence: SlotRecurrence::Weekly {
            weekday,
            start_time: time(start.0, start.1),
            end_time: time(end.0, end.1),
            valid_from: date(2030, 3, 1),
            valid_until: None,
        },
        active: true,
        rules: Default::default(),
    }
}

/// The seed's "Mon 2-3pm", in Berlin, without a course.
pub(super) fn monday_two_pm() -> SlotSpec {
    weekly(None, "Europe/Berlin", Weekday::Mon, (14, 0), (15, 0))
}

pub(super) fn one_time(zone: &str, start: NaiveDateTime, end: NaiveDateTime) -> SlotSpec {
    SlotSpec {
        course_id: None,
        time_zone: zone.to_owned(),
        recurrence: SlotRecurrence::OneTime { start, end },
        active: true,
        rules: Default::default(),
    }
}

pub(super) fn kinds(events: &[crate::Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.name()).collect()
}

pub(super) fn series(
    slot_id: SlotId,
    student_id: UserId,
    first: DateTime<Utc>,
    end: SeriesEnd,
    mode: SeriesMode,
) -> SeriesRequest {
    SeriesRequest { slot_id, student_id, first_starts_at: first, every_weeks: 1, end, mode }
}

/// Seed "Create Availability": a recurring Monday 2-3pm slot, listed at 14:00 Berlin every week.
pub(crate) fn seed_create_availability(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let r = step("publish", l.engine.publish_slot(Actor::Teacher(teacher(1)), teacher(1), monday_two_pm()))?;
    ensure_eq(kinds(&r.events), vec!["slot_published"], "events")?;
    ensure_eq(l.engine.slot(r.value.id).ok(), Some(r.value.clone()), "stored slot")?;
    let mut q = query(teacher(1), Some(student(1)), 35);
    q.time_zone = Some("America/New_York".to_owned());
    let listed = step("list", l.engine.list_occurrences(&q))?;
    let starts: Vec<_> = listed.iter().map(|o| o.starts_at).collect();
    // 14:00 CET is 13:00Z until 31 March, 14:00 CEST is 12:00Z after.
    ensure_eq(
        starts,
        vec![
            utc(2030, 3, 4, 13, 0),
            utc(2030, 3, 11, 13, 0),
            utc(2030, 3, 18, 13, 0),
            utc(2030, 3, 25, 13, 0),
            utc(2030, 4, 1, 12, 0),
        ],
        "occurrences",
    )?;
    for o in &listed {
        ensure_eq(
            (o.teacher_local_start.time(), o.teacher_local_end.time()),
            (time(14, 0), time(15, 0)),
            "Berlin wall time",
        )?;
        ensure_eq(o.ends_at - o.starts_at, TimeDelta::hours(1), "length")?;
    }
    // New York moves to summer time on 10 March, Berlin on 31 March: the viewer's wall time moves.
    ensure_eq(listed[0].viewer_local_start, local(2030, 3, 4, 8, 0), "New York, both on winter time")?;
    ensure_eq(listed[2].viewer_local_start, local(2030, 3, 18, 9, 0), "New York on summer time, Berlin not yet")?;
    ensure_eq(listed[4].viewer_local_start, local(2030, 4, 1, 8, 0), "both on summer time")
}

/// Seed "One-Time Slot": a one-time slot is listed once, and again after a cancel or decline.
pub(crate) fn seed_one_time_slot(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let slot = l.publish(teacher(1), one_time("Europe/Berlin", local(2030, 3, 6, 10, 0), local(2030, 3, 6, 11, 0)))?;
    let start = utc(2030, 3, 6, 9, 0);
    ensure_eq(l.list(teacher(1), Some(student(1)), 30)?, vec![start], "listed once")?;
    let lesson = step("book", l.engine.book_lesson(Actor::Student(student(1)), slot, start, student(1)))?.value;
    ensure_eq(l.list(teacher(1), Some(student(2)), 30)?, vec![], "taken")?;
    step("cancel", l.engine.cancel_lesson(Actor::Student(student(1)), lesson.id))?;
    ensure_eq(l.list(teacher(1), Some(student(2)), 30)?, vec![start], "bookable again after the cancel")?;

    l.host.set_course_approval(course(1), Some(true));
    l.host.enroll(student(2), course(1));
    let mut spec = one_time("Europe/Berlin", local(2030, 3, 7, 10, 0), local(2030, 3, 7, 11, 0));
    spec.course_id = Some(course(1));
    let slot = l.publish(teacher(1), spec)?;
    let start = utc(2030, 3, 7, 9, 0);
    let pending = step("request", l.engine.book_lesson(Actor::Student(student(2)), slot, start, student(2)))?.value;
    ensure_eq(pending.status, LessonStatus::Pending, "pending")?;
    step("decline", l.engine.decline_lesson(Actor::Teacher(teacher(1)), pending.id, Some("away".to_owned())))?;
    ensure(l.list(teacher(1), Some(student(2)), 30)?.contains(&start), || "bookable again after the decline".to_owned())
}

/// Seed "Book Without Approval": the course needs no approval, the lesson is confirmed.
pub(crate) fn seed_book_without_approval(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    l.host.set_course_approval(course(1), Some(false));
    l.host.enroll(student(1), course(1));
    let slot = l.publish(teacher(1), weekly(Some(course(1)), "Europe/Berlin", Weekday::Mon, (14, 0), (15, 0)))?;
    let r = step("book", l.engine.book_lesson(Actor::Student(student(1)), slot, utc(2030, 3, 11, 13, 0), student(1)))?;
    ensure_eq((r.value.status, kinds(&r.events)), (LessonStatus::Confirmed, vec!["lesson_booked"]), "confirmed")?;
    ensure_eq(
        (r.value.teacher_id, r.value.student_id, r.value.course_id),
        (teacher(1), student(1), Some(course(1))),
        "parties",
    )?;
    ensure_eq(r.value.ends_at, utc(2030, 3, 11, 14, 0), "end")?;
    for who in [teacher(1), student(1)] {
        let cal = step("calendar", l.engine.calendar(Actor::System, who))?;
        ensure_eq(
            cal.holds.iter().map(|h| h.booking_id).collect::<Vec<_>>(),
            vec![r.value.id],
            "held in both calendars",
        )?;
    }
    ensure_eq(&*step("load", l.engine.lesson(Actor::System, r.value.id))?, &*r.value, "stored lesson")
}

/// Seed "Book With Approval": pending, holds its time, the teacher approves.
pub(crate) fn seed_book_with_approval(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    l.host.set_course_approval(course(1), Some(true));
    l.host.enroll(student(1), course(1));
    l.host.enroll(student(2), course(1));
    let slot = l.publish(teacher(1), weekly(Some(course(1)), "Europe/Berlin", Weekday::Mon, (14, 0), (15, 0)))?;
    let start = utc(2030, 3, 11, 13, 0);
    let r = step("request", l.engine.book_lesson(Actor::Student(student(1)), slot, start, student(1)))?;
    ensure_eq((r.value.status, kinds(&r.events)), (LessonStatus::Pending, vec!["lesson_requested"]), "pending")?;
    ensure(!l.list(teacher(1), Some(student(2)), 30)?.contains(&start), || {
        "a pending lesson holds its time".to_owned()
    })?;
    l.expect_refused(&[teacher(1), student(2)], "slot_unavailable", "another student meanwhile", || {
        l.engine.book_lesson(Actor::Student(student(2)), slot, start, student(2))
    })?;
    let link = "https://meet.example.com/lesson-1";
    let r = step("approve", l.engine.approve_lesson(Actor::Teacher(teacher(1)), r.value.id, Some(link.to_owned())))?;
    ensure_eq((r.value.status, kinds(&r.events)), (LessonStatus::Confirmed, vec!["lesson_approved"]), "approved")?;
    ensure_eq(r.value.meeting_link.as_ref().map(|m| m.as_str()), Some(link), "meeting link")
}

/// Seed "Double Booking Prevention": the same occurrence cannot be booked twice.
pub(crate) fn seed_double_booking_prevention(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let slot = l.publish(teacher(1), monday_two_pm())?;
    let start = utc(2030, 3, 11, 13, 0);
    step("first", l.engine.book_lesson(Actor::Student(student(1)), slot, start, student(1)))?;
    l.expect_refused(&[teacher(1), student(2)], "slot_unavailable", "second student", || {
        l.engine.book_lesson(Actor::Student(student(2)), slot, start, student(2))
    })?;
    l.expect_refused(&[teacher(1), student(1)], "slot_unavailable", "same student again", || {
        l.engine.book_lesson(Actor::Student(student(1)), slot, start, student(1))
    })
}

/// Seed "Slot Removal": the booked occurrence is no longer listed; the other weeks still are.
pub(crate) fn seed_slot_removal(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let slot = l.publish(teacher(1), monday_two_pm())?;
    let before = l.list(teacher(1), Some(student(2)), 28)?;
    step("book", l.engine.book_lesson(Actor::Student(student(1)), slot, before[1], student(1)))?;
    let after = l.list(teacher(1), Some(student(2)), 28)?;
    let expected: Vec<_> = before.iter().copied().filter(|s| *s != before[1]).collect();
    ensure_eq(after, expected, "only the booked occurrence disappears")?;
    ensure(l.engine.slot(slot).map(|s| s.active) == Ok(true), || "the slot stays active".to_owned())
}

/// Seed "Recurring Series": a weekly series crossing Berlin's spring change keeps 14:00.
pub(crate) fn seed_recurring_series(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let slot = l.publish(teacher(1), monday_two_pm())?;
    let req = series(slot, student(1), utc(2030, 3, 11, 13, 0), SeriesEnd::Count(6), SeriesMode::AllOrNothing);
    let r = step("series", l.engine.book_series(Actor::Student(student(1)), req))?;
    let s = r.value;
    ensure_eq(s.lessons.len(), 6, "six lessons")?;
    ensure(s.skipped.is_empty(), || "nothing skipped".to_owned())?;
    let starts: Vec<_> = s.lessons.iter().map(|x| x.starts_at).collect();
    ensure_eq(
        starts.clone(),
        vec![
            utc(2030, 3, 11, 13, 0),
            utc(2030, 3, 18, 13, 0),
            utc(2030, 3, 25, 13, 0),
            utc(2030, 4, 1, 12, 0),
            utc(2030, 4, 8, 12, 0),
            utc(2030, 4, 15, 12, 0),
        ],
        "UTC starts",
    )?;
    for x in &s.lessons {
        ensure_eq(x.local_times().0.time(), time(14, 0), "14:00 in Berlin")?;
        ensure_eq((x.series_id, x.status), (Some(s.series_id), LessonStatus::Confirmed), "series and status")?;
    }
    ensure_eq(kinds(&r.events).last().copied(), Some("series_booked"), "summary event")?;
    let listed = l.list(teacher(1), Some(student(2)), 50)?;
    ensure(starts.iter().all(|t| !listed.contains(t)), || "booked weeks are not listed".to_owned())?;
    ensure(listed.contains(&utc(2030, 3, 4, 13, 0)), || "the week before the series is".to_owned())
}

/// A southern-hemisphere and a half-hour zone: series keep their wall time across changes.
pub(crate) fn dst_series_in_other_zones(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    // Sydney leaves summer time on Sunday 7 April 2030 (UTC+11 -> UTC+10).
    let sydney = l.publish(teacher(1), weekly(None, "Australia/Sydney", Weekday::Tue, (9, 0), (10, 0)))?;
    let r = step(
        "Sydney series",
        l.engine.book_series(
            Actor::Student(student(1)),
            series(sydney, student(1), utc(2030, 4, 1, 22, 0), SeriesEnd::Count(3), SeriesMode::AllOrNothing),
        ),
    )?;
    let starts: Vec<_> = r.value.lessons.iter().map(|x| x.starts_at).collect();
    ensure_eq(
        starts,
        vec![utc(2030, 4, 1, 22, 0), utc(2030, 4, 8, 23, 0), utc(2030, 4, 15, 23, 0)],
        "Sydney 09:00 across the autumn change",
    )?;
    // Adelaide (UTC+10:30 -> UTC+9:30 on 7 April 2030).
    let adelaide = l.publish(teacher(2), weekly(None, "Australia/Adelaide", Weekday::Mon, (18, 0), (19, 0)))?;
    let r = step(
        "Adelaide series",
        l.engine.book_series(
            Actor::Student(student(2)),
            series(
                adelaide,
                student(2),
                utc(2030, 4, 1, 7, 30),
                SeriesEnd::Until(date(2030, 4, 15)),
                SeriesMode::AllOrNothing,
            ),
        ),
    )?;
    let starts: Vec<_> = r.value.lessons.iter().map(|x| x.starts_at).collect();
    ensure_eq(
        starts,
        vec![utc(2030, 4, 1, 7, 30), utc(2030, 4, 8, 8, 30), utc(2030, 4, 15, 8, 30)],
        "Adelaide 18:00 across the change",
    )
}

/// Enrollment filters listings and bookings; slots without a course are offered to everyone.
pub(crate) fn enrollment_and_courses(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    l.host.enroll(student(1), course(1));
    let math = l.publish(teacher(1), weekly(Some(course(1)), "Europe/Berlin", Weekday::Tue, (10, 0), (11, 0)))?;
    let open = l.publish(teacher(1), weekly(None, "Europe/Berlin", Weekday::Wed, (10, 0), (11, 0)))?;
    let tue = utc(2030, 3, 5, 9, 0);
    let wed = utc(2030, 3, 6, 9, 0);
    ensure_eq(l.list(teacher(1), Some(student(1)), 3)?, vec![tue, wed], "enrolled student sees both")?;
    ensure_eq(l.list(teacher(1), Some(student(2)), 3)?, vec![wed], "others see the course-less slot only")?;
    ensure_eq(l.list(teacher(1), None, 3)?, vec![tue, wed], "the teacher's view lists every course")?;
    let mut q = query(teacher(1), Some(student(1)), 3);
    q.course_id = Some(course(1));
    ensure_eq(
        step("course filter", l.engine.list_occurrences(&q))?.iter().map(|o| o.slot_id).collect::<Vec<_>>(),
        vec![math],
        "course filter",
    )?;
    l.expect_refused(&[teacher(1), student(2)], "not_enrolled", "unenrolled student", || {
        l.engine.book_lesson(Actor::Student(student(2)), math, tue, student(2))
    })?;
    step("anyone books the open slot", l.engine.book_lesson(Actor::Student(student(2)), open, wed, student(2)))?;
    Ok(())
}

/// Approval precedence: the teacher's override, then the course, then none.
pub(crate) fn approval_precedence(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let cases = [
        (1, None, None, LessonStatus::Confirmed),
        (2, Some(true), None, LessonStatus::Pending),
        (3, Some(true), Some(false), LessonStatus::Confirmed),
        (4, Some(false), Some(true), LessonStatus::Pending),
        (5, None, Some(true), LessonStatus::Pending),
    ];
    for (n, course_setting, teacher_override, expected) in cases {
        let c = course(n);
        l.host.set_course_approval(c, course_setting);
        l.host.set_teacher_approval(teacher(1), c, teacher_override);
        l.host.set_teacher_approval(teacher(2), c, teacher_override.map(|v| !v));
        l.host.enroll(student(1), c);
        let slot = l.publish(teacher(1), weekly(Some(c), "UTC", Weekday::Tue, (n as u32, 0), (n as u32, 30)))?;
        let start = utc(2030, 3, 5, n as u32, 0);
        let lesson = step("book", l.engine.book_lesson(Actor::Student(student(1)), slot, start, student(1)))?.value;
        ensure_eq(lesson.status, expected, &format!("course {course_setting:?}, override {teacher_override:?}"))?;
    }
    Ok(())
}

/// Approving re-checks the start, the slot, the enrollment; only the teacher or an admin decides.
pub(crate) fn approval_rechecks(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    l.host.set_course_approval(course(1), Some(true));
    for s in 1..=3 {
        l.host.enroll(student(s), course(1));
    }
    let slot = l.publish(teacher(1), weekly(Some(course(1)), "UTC", Weekday::Mon, (12, 0), (13, 0)))?;
    let request = |s: u32, start: DateTime<Utc>| {
        step("request", l.engine.book_lesson(Actor::Student(student(s)), slot, start, student(s))).map(|r| r.value)
    };
    let today = request(1, utc(2030, 3, 4, 12, 0))?;
    let next_week = request(2, utc(2030, 3, 11, 12, 0))?;
    let third = request(3, utc(2030, 3, 18, 12, 0))?;
    let people = [teacher(1), student(1), student(2), student(3)];
    for (who, actor) in [("a student", Actor::Student(student(1))), ("another teacher", Actor::Teacher(teacher(2)))] {
        l.expect_refused(&people, "not_authorized", &format!("{who} approves"), || {
            l.engine.approve_lesson(actor, today.id, None)
        })?;
        l.expect_refused(&people, "not_authorized", &format!("{who} declines"), || {
            l.engine.decline_lesson(actor, today.id, None)
        })?;
    }
    l.clock.set(utc(2030, 3, 4, 12, 0));
    l.expect_refused(&people, "lesson_started", "approve at its start", || {
        l.engine.approve_lesson(Actor::Teacher(teacher(1)), today.id, None)
    })?;
    l.host.unenroll(student(2), course(1));
    l.expect_refused(&people, "not_enrolled", "approve after unenrollment", || {
        l.engine.approve_lesson(Actor::Teacher(teacher(1)), next_week.id, None)
    })?;
    step("deactivate", l.engine.set_slot_active(Actor::Teacher(teacher(1)), slot, false))?;
    l.expect_refused(&people, "occurrence_not_offered", "approve from a deactivated slot", || {
        l.engine.approve_lesson(Actor::Teacher(teacher(1)), third.id, None)
    })?;
    step("reactivate", l.engine.set_slot_active(Actor::Teacher(teacher(1)), slot, true))?;
    let r = step("admin approves", l.engine.approve_lesson(Actor::Admin(admin(1)), third.id, None))?;
    ensure_eq(r.value.status, LessonStatus::Confirmed, "approved")?;
    l.expect_refused(&people, "invalid_transition", "approve twice", || {
        l.engine.approve_lesson(Actor::Teacher(teacher(1)), third.id, None)
    })?;
    l.expect_refused(&people, "invalid_transition", "decline a confirmed lesson", || {
        l.engine.decline_lesson(Actor::Teacher(teacher(1)), third.id, None)
    })?;
    let r = step(
        "decline",
        l.engine.decline_lesson(Actor::Teacher(teacher(1)), next_week.id, Some("not enrolled".into())),
    )?;
    ensure_eq(r.value.status, LessonStatus::Declined, "declined")?;
    l.expect_refused(&people, "invalid_transition", "cancel a declined lesson", || {
        l.engine.cancel_lesson(Actor::Student(student(2)), next_week.id)
    })
}

/// Statuses after the fact: attendance from the start, no cancelling after it.
pub(crate) fn lesson_transitions(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let slot = l.publish(teacher(1), monday_two_pm())?;
    let lesson =
        step("book", l.engine.book_lesson(Actor::Student(student(1)), slot, utc(2030, 3, 11, 13, 0), student(1)))?
            .value;
    let people = [teacher(1), student(1)];
    l.expect_refused(&people, "lesson_not_started", "attendance before the start", || {
        l.engine.mark_lesson_attendance(Actor::Teacher(teacher(1)), lesson.id, true)
    })?;
    l.clock.set(lesson.starts_at + TimeDelta::minutes(1));
    l.expect_refused(&people, "lesson_started", "cancel after the start", || {
        l.engine.cancel_lesson(Actor::Student(student(1)), lesson.id)
    })?;
    l.expect_refused(&people, "not_authorized", "student marks attendance", || {
        l.engine.mark_lesson_attendance(Actor::Student(student(1)), lesson.id, true)
    })?;
    let r = step("no-show", l.engine.mark_lesson_attendance(Actor::Teacher(teacher(1)), lesson.id, false))?;
    ensure_eq((r.value.status, kinds(&r.events)), (LessonStatus::NoShow, vec!["lesson_attendance_marked"]), "no-show")?;
    let r = step("correct", l.engine.mark_lesson_attendance(Actor::Teacher(teacher(1)), lesson.id, true))?;
    ensure_eq(r.value.status, LessonStatus::Attended, "attended")
}

/// No two active lessons of a teacher overlap, whichever slots they come from.
pub(crate) fn no_overlap_across_slots(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    l.host.enroll(student(2), course(2));
    let weekly_slot = l.publish(teacher(1), monday_two_pm())?;
    let one_time_slot =
        l.publish(teacher(1), one_time("Europe/Berlin", local(2030, 3, 11, 14, 30), local(2030, 3, 11, 15, 30)))?;
    let other_course =
        l.publish(teacher(1), weekly(Some(course(2)), "Europe/Berlin", Weekday::Mon, (13, 30), (14, 30)))?;
    let after = l.publish(teacher(1), weekly(None, "Europe/Berlin", Weekday::Mon, (15, 0), (16, 0)))?;
    step(
        "book the weekly one",
        l.engine.book_lesson(Actor::Student(student(1)), weekly_slot, utc(2030, 3, 11, 13, 0), student(1)),
    )?;
    let people = [teacher(1), student(2)];
    l.expect_refused(&people, "slot_unavailable", "one-time slot over it", || {
        l.engine.book_lesson(Actor::Student(student(2)), one_time_slot, utc(2030, 3, 11, 13, 30), student(2))
    })?;
    l.expect_refused(&people, "slot_unavailable", "another course's slot over it", || {
        l.engine.book_lesson(Actor::Student(student(2)), other_course, utc(2030, 3, 11, 12, 30), student(2))
    })?;
    let listed = step("list", l.engine.list_occurrences(&query(teacher(1), Some(student(2)), 10)))?;
    let on_the_11th: Vec<_> =
        listed.iter().filter(|o| o.starts_at.date_naive() == date(2030, 3, 11)).map(|o| o.slot_id).collect();
    ensure_eq(on_the_11th, vec![after], "only the touching 15:00 slot is offered that day")?;
    step(
        "a touching lesson is fine",
        l.engine.book_lesson(Actor::Student(student(2)), after, utc(2030, 3, 11, 14, 0), student(2)),
    )?;
    Ok(())
}

/// A student cannot hold two overlapping lessons, even with different teachers.
pub(crate) fn student_overlap(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let a = l.publish(teacher(1), monday_two_pm())?;
    let b = l.publish(teacher(2), weekly(None, "Europe/London", Weekday::Mon, (13, 30), (14, 30)))?;
    let first = step(
        "with teacher 1",
        l.engine.book_lesson(Actor::Student(student(1)), a, utc(2030, 3, 11, 13, 0), student(1)),
    )?
    .value;
    l.expect_refused(&[teacher(2), student(1)], "student_busy", "with teacher 2 at the same time", || {
        l.engine.book_lesson(Actor::Student(student(1)), b, utc(2030, 3, 11, 13, 30), student(1))
    })?;
    step("cancel the first", l.engine.cancel_lesson(Actor::Student(student(1)), first.id))?;
    step("now it fits", l.engine.book_lesson(Actor::Student(student(1)), b, utc(2030, 3, 11, 13, 30), student(1)))?;
    Ok(())
}

/// Meeting links: from the generator, from the teacher, replaced later; never invented.
pub(crate) fn meeting_links(f: StoreFactory<'_>) -> Result<(), String> {
    struct Rooms;
    impl MeetingLinkGenerator for Rooms {
        fn meeting_link(&self, lesson: &crate::lesson::Lesson) -> Option<String> {
            Some(format!("https://rooms.example.com/{}", lesson.id))
        }
    }
    let plain = Lessons::new(f);
    let slot = plain.publish(teacher(1), monday_two_pm())?;
    let lesson =
        step("book", plain.engine.book_lesson(Actor::Student(student(1)), slot, utc(2030, 3, 11, 13, 0), student(1)))?
            .value;
    ensure_eq(lesson.meeting_link.clone(), None, "no generator, no link")?;
    let people = [teacher(1), student(1)];
    plain.expect_refused(&people, "invalid_meeting_link", "bad link", || {
        plain.engine.set_meeting_link(Actor::Teacher(teacher(1)), lesson.id, "meet me at 5".to_owned())
    })?;
    plain.expect_refused(&people, "not_authorized", "student sets the link", || {
        plain.engine.set_meeting_link(Actor::Student(student(1)), lesson.id, "https://x.example.com".to_owned())
    })?;
    let r = step(
        "set later",
        plain.engine.set_meeting_link(Actor::Teacher(teacher(1)), lesson.id, "https://meet.example.com/x".to_owned()),
    )?;
    ensure_eq(
        (kinds(&r.events), r.value.meeting_link.as_ref().map(|m| m.as_str())),
        (vec!["meeting_link_set"], Some("https://meet.example.com/x")),
        "set",
    )?;

    let rooms = Lessons::with_engine(f, |e| e.with_meeting_links(Rooms));
    let slot = rooms.publish(teacher(1), monday_two_pm())?;
    let lesson =
        step("book", rooms.engine.book_lesson(Actor::Student(student(1)), slot, utc(2030, 3, 11, 13, 0), student(1)))?
            .value;
    let expected = format!("https://rooms.example.com/{}", lesson.id);
    ensure_eq(
        lesson.meeting_link.as_ref().map(|m| m.as_str().to_owned()),
        Some(expected),
        "generated on confirmation",
    )?;
    rooms.host.set_course_approval(course(1), Some(true));
    rooms.host.enroll(student(2), course(1));
    let slot = rooms.publish(teacher(1), weekly(Some(course(1)), "UTC", Weekday::Tue, (8, 0), (9, 0)))?;
    let pending =
        step("request", rooms.engine.book_lesson(Actor::Student(student(2)), slot, utc(2030, 3, 5, 8, 0), student(2)))?
            .value;
    ensure_eq(pending.meeting_link.clone(), None, "no link while pending")?;
    let r = step(
        "approve with the teacher's link",
        rooms.engine.approve_lesson(Actor::Teacher(teacher(1)), pending.id, Some("https://own.example.com/r".into())),
    )?;
    ensure_eq(
        r.value.meeting_link.as_ref().map(|m| m.as_str()),
        Some("https://own.example.com/r"),
        "the teacher's link wins",
    )
}

/// All or nothing checks every occurrence; the opt-in mode books what is free and says why not.
pub(crate) fn series_all_or_nothing(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let slot = l.publish(teacher(1), monday_two_pm())?;
    // Week 7 of the series (29 April) is taken by someone else.
    let taken = utc(2030, 4, 29, 12, 0);
    step("someone takes week 7", l.engine.book_lesson(Actor::Student(student(2)), slot, taken, student(2)))?;
    let req = series(slot, student(1), utc(2030, 3, 18, 13, 0), SeriesEnd::Count(8), SeriesMode::AllOrNothing);
    match l.engine.book_series(Actor::Student(student(1)), req.clone()) {
        Err(BookingError::SlotUnavailable { starts_at, .. }) => {
            ensure_eq(starts_at, taken, "the error names the taken week")?
        }
        other => return Err(format!("expected slot_unavailable for week 7, got {other:?}")),
    }
    ensure(step("calendar", l.engine.calendar(Actor::System, student(1)))?.holds.is_empty(), || {
        "nothing booked".to_owned()
    })?;
    let r = step(
        "book what is free",
        l.engine.book_series(Actor::Student(student(1)), SeriesRequest { mode: SeriesMode::BookAvailable, ..req }),
    )?;
    ensure_eq(r.value.lessons.len(), 7, "seven booked")?;
    match r.value.skipped.as_slice() {
        [s] => ensure_eq(
            (s.local_date, s.starts_at, s.reason.code().as_str()),
            (date(2030, 4, 29), Some(taken), "slot_unavailable"),
            "skipped",
        ),
        other => Err(format!("expected one skipped occurrence, got {other:?}")),
    }
}

/// A series is approved as a whole; one lesson, or one and all later ones, can be cancelled.
pub(crate) fn series_approval_and_cancellation(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    l.host.set_course_approval(course(1), Some(true));
    l.host.enroll(student(1), course(1));
    let slot = l.publish(teacher(1), weekly(Some(course(1)), "UTC", Weekday::Wed, (16, 0), (17, 0)))?;
    let req = SeriesRequest {
        every_weeks: 2,
        ..series(slot, student(1), utc(2030, 3, 6, 16, 0), SeriesEnd::Count(5), SeriesMode::AllOrNothing)
    };
    let s = step("series", l.engine.book_series(Actor::Student(student(1)), req))?.value;
    ensure(s.lessons.iter().all(|x| x.status == LessonStatus::Pending), || "all pending".to_owned())?;
    ensure_eq(s.lessons[1].starts_at, utc(2030, 3, 20, 16, 0), "every two weeks")?;
    let r = step("approve one", l.engine.approve_lesson(Actor::Teacher(teacher(1)), s.lessons[2].id, None))?;
    ensure_eq(kinds(&r.events), vec!["lesson_approved"; 5], "the whole series is approved")?;
    for x in &s.lessons {
        ensure_eq(step("load", l.engine.lesson(Actor::System, x.id))?.status, LessonStatus::Confirmed, "confirmed")?;
    }
    let r = step("cancel one", l.engine.cancel_lesson(Actor::Student(student(1)), s.lessons[1].id))?;
    ensure_eq(kinds(&r.events), vec!["lesson_cancelled"], "one cancelled")?;
    let r = step("cancel from the 4th", l.engine.cancel_series_from(Actor::Teacher(teacher(1)), s.lessons[3].id))?;
    ensure_eq(r.value.iter().map(|x| x.id).collect::<Vec<_>>(), vec![s.lessons[3].id, s.lessons[4].id], "4th and 5th")?;
    let statuses: Vec<_> = s
        .lessons
        .iter()
        .map(|x| l.engine.lesson(Actor::System, x.id).map(|x| x.status))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    use LessonStatus::{Cancelled, Confirmed};
    ensure_eq(statuses, vec![Confirmed, Cancelled, Confirmed, Cancelled, Cancelled], "statuses")
}

/// Editing or deactivating a slot changes offers, never booked lessons.
pub(crate) fn slot_edits_keep_bookings(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let slot = l.publish(teacher(1), monday_two_pm())?;
    let lesson =
        step("book", l.engine.book_lesson(Actor::Student(student(1)), slot, utc(2030, 3, 11, 13, 0), student(1)))?
            .value;
    let r = step(
        "move to 16:00",
        l.engine.update_slot(
            Actor::Teacher(teacher(1)),
            slot,
            weekly(None, "Europe/Berlin", Weekday::Mon, (16, 0), (17, 0)),
        ),
    )?;
    ensure_eq(kinds(&r.events), vec!["slot_updated"], "events")?;
    ensure_eq(
        &*step("load", l.engine.lesson(Actor::System, lesson.id))?,
        &*lesson,
        "the lesson keeps its time and status",
    )?;
    ensure_eq(
        l.list(teacher(1), Some(student(2)), 8)?,
        vec![utc(2030, 3, 4, 15, 0), utc(2030, 3, 11, 15, 0)],
        "new times offered",
    )?;
    step("deactivate", l.engine.set_slot_active(Actor::Teacher(teacher(1)), slot, false))?;
    ensure_eq(l.list(teacher(1), Some(student(2)), 8)?, vec![], "nothing offered")?;
    ensure_eq(
        step("load", l.engine.lesson(Actor::System, lesson.id))?.status,
        LessonStatus::Confirmed,
        "still confirmed",
    )?;
    let again = step("same state again", l.engine.set_slot_active(Actor::Teacher(teacher(1)), slot, false))?;
    ensure(again.events.is_empty(), || "no events for no change".to_owned())
}

/// Bad availability and booking input: typed errors, nothing stored.
pub(crate) fn lesson_bad_inputs(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let t = Actor::Teacher(teacher(1));
    let good = l.publish(teacher(1), monday_two_pm())?;
    let mut unknown_zone = monday_two_pm();
    unknown_zone.time_zone = "Europe/Atlantis".into();
    let mut backwards = monday_two_pm();
    backwards.recurrence = SlotRecurrence::Weekly {
        weekday: Weekday::Mon,
        start_time: time(14, 0),
        end_time: time(14, 0),
        valid_from: date(2030, 3, 1),
        valid_until: None,
    };
    let mut validity = monday_two_pm();
    validity.recurrence = SlotRecurrence::Weekly {
        weekday: Weekday::Mon,
        start_time: time(14, 0),
        end_time: time(15, 0),
        valid_from: date(2030, 3, 1),
        valid_until: Some(date(2030, 2, 1)),
    };
    let cases: Vec<(&str, &str, SlotSpec)> = vec![
        ("unknown zone", "unknown_time_zone", unknown_zone),
        ("zero-length weekly slot", "invalid_input", backwards),
        ("valid until before valid from", "invalid_input", validity),
        (
            "one-time ending before it starts",
            "invalid_input",
            one_time("UTC", local(2030, 3, 6, 10, 0), local(2030, 3, 6, 9, 0)),
        ),
        (
            "one-time longer than a day",
            "invalid_input",
            one_time("UTC", local(2030, 3, 6, 10, 0), local(2030, 3, 7, 10, 30)),
        ),
    ];
    for (what, code, spec) in cases {
        l.expect_refused(&[teacher(1)], code, &format!("publish: {what}"), || {
            l.engine.publish_slot(t, teacher(1), spec.clone())
        })?;
        l.expect_refused(&[teacher(1)], code, &format!("update: {what}"), || l.engine.update_slot(t, good, spec))?;
    }
    let s1 = Actor::Student(student(1));
    let people = [teacher(1), student(1)];
    l.expect_refused(&people, "occurrence_not_offered", "a minute off", || {
        l.engine.book_lesson(s1, good, utc(2030, 3, 11, 13, 1), student(1))
    })?;
    l.expect_refused(&people, "occurrence_not_offered", "a Tuesday", || {
        l.engine.book_lesson(s1, good, utc(2030, 3, 12, 13, 0), student(1))
    })?;
    l.expect_refused(&people, "occurrence_not_offered", "before valid_from", || {
        l.engine.book_lesson(s1, good, utc(2030, 2, 25, 13, 0), student(1))
    })?;
    l.clock.set(utc(2030, 3, 11, 13, 30));
    l.expect_refused(&people, "start_in_past", "in the past", || {
        l.engine.book_lesson(s1, good, utc(2030, 3, 11, 13, 0), student(1))
    })?;
    l.clock.set(t0());
    l.expect_refused(&people, "slot_not_found", "unknown slot", || {
        l.engine.book_lesson(s1, SlotId::from_uuid(uuid::Uuid::from_u128(77)), utc(2030, 3, 11, 13, 0), student(1))
    })?;
    l.expect_refused(&people, "booking_not_found", "unknown lesson", || {
        l.engine.cancel_lesson(s1, crate::BookingId::from_uuid(uuid::Uuid::from_u128(78)))
    })?;
    l.expect_refused(&people, "invalid_input", "the teacher books their own slot", || {
        l.engine.book_lesson(Actor::Student(teacher(1)), good, utc(2030, 3, 11, 13, 0), teacher(1))
    })?;
    let mut q = query(teacher(1), None, 400);
    l.expect_refused(&people, "too_large", "a 400-day listing", || l.engine.list_occurrences(&q))?;
    q.to = q.from;
    l.expect_refused(&people, "invalid_input", "an empty listing window", || l.engine.list_occurrences(&q))?;
    let mut q = query(teacher(1), None, 7);
    q.time_zone = Some("Moon/Base".into());
    l.expect_refused(&people, "unknown_time_zone", "an unknown display zone", || l.engine.list_occurrences(&q))?;
    let base = series(good, student(1), utc(2030, 3, 11, 13, 0), SeriesEnd::Count(500), SeriesMode::AllOrNothing);
    l.expect_refused(&people, "too_large", "a 500-lesson series", || l.engine.book_series(s1, base.clone()))?;
    l.expect_refused(&people, "too_large", "a series until 2045", || {
        l.engine.book_series(s1, SeriesRequest { end: SeriesEnd::Until(date(2045, 1, 1)), ..base.clone() })
    })?;
    l.expect_refused(&people, "invalid_input", "every 0 weeks", || {
        l.engine.book_series(s1, SeriesRequest { every_weeks: 0, end: SeriesEnd::Count(3), ..base.clone() })
    })?;
    l.expect_refused(&people, "invalid_input", "zero lessons", || {
        l.engine.book_series(s1, SeriesRequest { end: SeriesEnd::Count(0), ..base.clone() })
    })?;
    let once = l.publish(teacher(1), one_time("UTC", local(2030, 3, 6, 10, 0), local(2030, 3, 6, 11, 0)))?;
    l.expect_refused(&people, "invalid_input", "a series from a one-time slot", || {
        l.engine.book_series(
            s1,
            series(once, student(1), utc(2030, 3, 6, 10, 0), SeriesEnd::Count(2), SeriesMode::AllOrNothing),
        )
    })
}

/// Lesson commands retried with their request key replay the first outcome.
pub(crate) fn lesson_idempotent_retries(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let slot = l.publish(teacher(1), monday_two_pm())?;
    let s1 = Actor::Student(student(1));
    let first = step("book", l.engine.book_lesson(s1.with_key("k1"), slot, utc(2030, 3, 11, 13, 0), student(1)))?;
    let before = l.calendars(&[teacher(1), student(1)])?;
    let retry = step("retry", l.engine.book_lesson(s1.with_key("k1"), slot, utc(2030, 3, 11, 13, 0), student(1)))?;
    ensure(retry.replayed && retry.value == first.value && retry.events == first.events, || "replayed".to_owned())?;
    ensure(l.calendars(&[teacher(1), student(1)])? == before, || "nothing changed".to_owned())?;
    l.expect_refused(&[teacher(1), student(1)], "request_key_reused", "same key, other occurrence", || {
        l.engine.book_lesson(s1.with_key("k1"), slot, utc(2030, 3, 18, 13, 0), student(1))
    })?;
    let req = series(slot, student(1), utc(2030, 3, 18, 13, 0), SeriesEnd::Count(3), SeriesMode::AllOrNothing);
    let s = step("series", l.engine.book_series(s1.with_key("k2"), req.clone()))?;
    let again = step("series retry", l.engine.book_series(s1.with_key("k2"), req))?;
    ensure(again.replayed && again.value == s.value, || "series replayed".to_owned())
}

/// Slot commands and lesson commands by the wrong actor are refused and change nothing.
pub(crate) fn lesson_authorization(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let people = [teacher(1), student(1), student(2)];
    l.expect_refused(&people, "not_authorized", "a student publishes for a teacher", || {
        l.engine.publish_slot(Actor::Student(student(1)), teacher(1), monday_two_pm())
    })?;
    l.expect_refused(&people, "not_authorized", "another teacher publishes for teacher 1", || {
        l.engine.publish_slot(Actor::Teacher(teacher(2)), teacher(1), monday_two_pm())
    })?;
    let slot = l.publish(teacher(1), monday_two_pm())?;
    l.expect_refused(&people, "not_authorized", "another teacher edits", || {
        l.engine.set_slot_active(Actor::Teacher(teacher(2)), slot, false)
    })?;
    l.expect_refused(&people, "not_authorized", "a student books for another", || {
        l.engine.book_lesson(Actor::Student(student(2)), slot, utc(2030, 3, 11, 13, 0), student(1))
    })?;
    let lesson =
        step("book", l.engine.book_lesson(Actor::Student(student(1)), slot, utc(2030, 3, 11, 13, 0), student(1)))?
            .value;
    l.expect_refused(&people, "not_authorized", "another student cancels", || {
        l.engine.cancel_lesson(Actor::Student(student(2)), lesson.id)
    })?;
    l.expect_refused(&people, "not_authorized", "another teacher cancels", || {
        l.engine.cancel_lesson(Actor::Teacher(teacher(2)), lesson.id)
    })?;
    step(
        "admin publishes for the teacher",
        l.engine.publish_slot(Actor::Admin(admin(1)), teacher(1), weekly(None, "UTC", Weekday::Fri, (8, 0), (9, 0))),
    )?;
    step(
        "admin books for a student",
        l.engine.book_lesson(Actor::Admin(admin(1)), slot, utc(2030, 3, 18, 13, 0), student(2)),
    )?;
    step("the teacher cancels a lesson", l.engine.cancel_lesson(Actor::Teacher(teacher(1)), lesson.id))?;
    Ok(())
}
