//! The scheduling rules of 1:1 lessons, as checks: booking windows and their precedence,
//! buffers, cut-offs, reschedule, time off, group sessions blocking lessons, limits,
//! attendance, and the listing's promise (what is listed can be booked, what is not cannot).
//!
//! The clock starts at [`t0`], Monday 4 March 2030, 09:00 UTC; most slots here are in UTC so
//! the instants read plainly.

use super::harness::{StoreFactory, admin, ensure, ensure_eq, expect_error, new_session, step, student, t0, teacher};
use super::lesson_scenarios::{Lessons, course, date, kinds, one_time, query, series, utc, weekly};
use crate::availability::{TimeOffSpec, occurrences};
use crate::lesson::{LessonStatus, SeriesEnd, SeriesMode, SeriesRequest, SlotSpec};
use crate::{Actor, BookingId, Clock, EventKind, SchedulingRules, SlotId, UserId};
use chrono::{DateTime, TimeDelta, Utc, Weekday};
use std::collections::BTreeSet;

fn t(n: u32) -> Actor {
    Actor::Teacher(teacher(n))
}

fn s(n: u32) -> Actor {
    Actor::Student(student(n))
}

/// A weekly UTC slot without a course on `weekday` from `start` to `end` (whole hours and
/// minutes), with its own `rules`.
fn utc_weekly(weekday: Weekday, start: (u32, u32), end: (u32, u32), rules: SchedulingRules) -> SlotSpec {
    SlotSpec { rules, ..weekly(None, "UTC", weekday, start, end) }
}

fn time_off(first: (i32, u32, u32), last: (i32, u32, u32)) -> TimeOffSpec {
    TimeOffSpec {
        first_day: date(first.0, first.1, first.2),
        last_day: date(last.0, last.1, last.2),
        time_zone: "UTC".to_owned(),
        note: Some("vacation".to_owned()),
    }
}

impl Lessons {
    fn set_rules(
        &self,
        teacher_id: UserId,
        course_id: Option<crate::CourseId>,
        rules: SchedulingRules,
    ) -> Result<(), String> {
        step("set rules", self.engine.set_scheduling_rules(Actor::Teacher(teacher_id), teacher_id, course_id, rules))?;
        Ok(())
    }

    /// The starts listed for `student_id` from now for `days`.
    fn list_from_now(
        &self,
        teacher_id: UserId,
        student_id: Option<UserId>,
        days: i64,
    ) -> Result<Vec<DateTime<Utc>>, String> {
        let now = self.clock.now();
        let q = crate::lesson::OccurrenceQuery {
            from: now,
            to: now + TimeDelta::days(days),
            ..query(teacher_id, student_id, days)
        };
        Ok(step("list", self.engine.list_occurrences(&q))?.into_iter().map(|o| o.starts_at).collect())
    }

    fn book(&self, who: u32, slot: SlotId, at: DateTime<Utc>) -> Result<BookingId, String> {
        Ok(step(&format!("book {at}"), self.engine.book_lesson(s(who), slot, at, student(who)))?.value.id)
    }
}

/// Minimum notice and maximum advance, with the precedence slot > the teacher's course rules >
/// the teacher's rules; listings leave out what falls outside the window.
pub(crate) fn booking_window_precedence(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    l.host.enroll(student(1), course(1));
    l.set_rules(teacher(1), None, SchedulingRules { min_notice_minutes: Some(48 * 60), ..Default::default() })?;
    l.set_rules(teacher(1), Some(course(1)), SchedulingRules { min_notice_minutes: Some(120), ..Default::default() })?;
    let plain = l.publish(teacher(1), utc_weekly(Weekday::Tue, (10, 0), (11, 0), SchedulingRules::default()))?;
    let of_course = l.publish(teacher(1), weekly(Some(course(1)), "UTC", Weekday::Tue, (12, 0), (13, 0)))?;
    let own = SlotSpec {
        rules: SchedulingRules { max_advance_days: Some(10), ..Default::default() },
        ..weekly(Some(course(1)), "UTC", Weekday::Wed, (10, 0), (11, 0))
    };
    let own = l.publish(teacher(1), own)?;
    let people = [teacher(1), student(1)];
    // The teacher's 48 hours: Tuesday 5 March 10:00 is 25 hours away.
    l.expect_refused(&people, "outside_booking_window", "the teacher's notice", || {
        l.engine.book_lesson(s(1), plain, utc(2030, 3, 5, 10, 0), student(1))
    })?;
    // The course's 2 hours win for its slots.
    let listed = l.list(teacher(1), Some(student(1)), 21)?;
    let expected = vec![
        utc(2030, 3, 5, 12, 0),
        utc(2030, 3, 6, 10, 0),
        utc(2030, 3, 12, 10, 0),
        utc(2030, 3, 12, 12, 0),
        utc(2030, 3, 13, 10, 0),
        utc(2030, 3, 19, 10, 0),
        utc(2030, 3, 19, 12, 0),
    ];
    // Wednesday 20 March is 16 days away: beyond the slot's own 10 days.
    ensure_eq(listed, expected, "listed inside each slot's window")?;
    l.expect_refused(&people, "outside_booking_window", "the slot's advance", || {
        l.engine.book_lesson(s(1), own, utc(2030, 3, 20, 10, 0), student(1))
    })?;
    let a = step("book", l.engine.book_lesson(s(1), of_course, utc(2030, 3, 5, 12, 0), student(1)))?.value;
    let b = step("book", l.engine.book_lesson(s(1), own, utc(2030, 3, 6, 10, 0), student(1)))?.value;
    l.book(1, plain, utc(2030, 3, 12, 10, 0))?;
    // Each lesson keeps the rules in force when it was booked, field by field.
    ensure_eq((a.rules.min_notice_minutes, a.rules.max_advance_days), (Some(120), None), "course lesson's rules")?;
    ensure_eq((b.rules.min_notice_minutes, b.rules.max_advance_days), (Some(120), Some(10)), "slot lesson's rules")?;
    // Removing the course rules brings the teacher's 48 hours back for the course's slots.
    l.set_rules(teacher(1), Some(course(1)), SchedulingRules::default())?;
    l.clock.set(t0() + TimeDelta::days(5));
    // Now Saturday 9 March 09:00: Tuesday 12 March 12:00 is 75 hours away (its 10:00 is
    // taken), the next Wednesday (13 March, 10:00) is 97 hours away and inside 10 days.
    let listed = l.list_from_now(teacher(1), Some(student(1)), 5)?;
    ensure_eq(listed, vec![utc(2030, 3, 12, 12, 0), utc(2030, 3, 13, 10, 0)], "after the course rules are removed")?;
    l.clock.set(t0() + TimeDelta::days(5) + TimeDelta::hours(27));
    // Sunday 10 March 12:00: Tuesday 12:00 is 48 hours away exactly (bookable), Wednesday
    // 10:00 is 70 hours away.
    ensure_eq(
        l.list_from_now(teacher(1), Some(student(1)), 3)?,
        vec![utc(2030, 3, 12, 12, 0), utc(2030, 3, 13, 10, 0)],
        "notice boundary is inclusive",
    )?;
    l.clock.set(t0() + TimeDelta::days(5) + TimeDelta::hours(27) + TimeDelta::minutes(1));
    ensure_eq(l.list_from_now(teacher(1), Some(student(1)), 3)?, vec![utc(2030, 3, 13, 10, 0)], "a minute later")?;
    l.expect_refused(&people, "outside_booking_window", "a minute inside the notice", || {
        l.engine.book_lesson(s(1), of_course, utc(2030, 3, 12, 12, 0), student(1))
    })
}

/// Buffers keep a gap around each lesson in the teacher's calendar: back-to-back bookings are
/// refused and left out of listings, a gap of `after + before` is enough, and the student's
/// calendar keeps the bare times.
pub(crate) fn buffers(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let rules =
        SchedulingRules { buffer_before_minutes: Some(10), buffer_after_minutes: Some(15), ..Default::default() };
    l.set_rules(teacher(1), None, rules)?;
    let first = l.publish(teacher(1), utc_weekly(Weekday::Mon, (10, 0), (11, 0), SchedulingRules::default()))?;
    let back_to_back = l.publish(teacher(1), utc_weekly(Weekday::Mon, (11, 0), (12, 0), SchedulingRules::default()))?;
    let short_gap = l.publish(teacher(1), utc_weekly(Weekday::Mon, (11, 20), (12, 20), SchedulingRules::default()))?;
    let gap = l.publish(teacher(1), utc_weekly(Weekday::Mon, (11, 25), (12, 25), SchedulingRules::default()))?;
    let other = l.publish(teacher(2), utc_weekly(Weekday::Mon, (11, 0), (12, 0), SchedulingRules::default()))?;
    let day = |h, m| utc(2030, 3, 11, h, m);
    let lesson = step("book", l.engine.book_lesson(s(1), first, day(10, 0), student(1)))?.value;
    let [tc, sc] = <[_; 2]>::try_from(l.calendars(&[teacher(1), student(1)])?).map_err(|_| "two calendars")?;
    let th = tc.holds.iter().find(|h| h.booking_id == lesson.id).ok_or("teacher hold")?;
    ensure_eq((th.busy_from, th.busy_until), (day(9, 50), day(11, 15)), "teacher's busy time has the buffers")?;
    let sh = sc.holds.iter().find(|h| h.booking_id == lesson.id).ok_or("student hold")?;
    ensure_eq((sh.busy_from, sh.busy_until), (day(10, 0), day(11, 0)), "student's busy time is bare")?;
    let people = [teacher(1), student(1), student(2)];
    for (slot, at) in [(back_to_back, day(11, 0)), (short_gap, day(11, 20))] {
        l.expect_refused(&people, "slot_unavailable", &format!("a lesson at {at} inside the buffers"), || {
            l.engine.book_lesson(s(2), slot, at, student(2))
        })?;
    }
    let listed: BTreeSet<_> = l
        .list(teacher(1), Some(student(2)), 8)?
        .into_iter()
        .filter(|at| at.date_naive() == day(0, 0).date_naive())
        .collect();
    ensure_eq(listed, BTreeSet::from([day(11, 25)]), "only the occurrence after the gap is listed that day")?;
    l.book(2, gap, day(11, 25))?;
    // The student's own calendar has no buffers: back to back with another teacher is fine.
    l.book(1, other, day(11, 0))?;
    // A lesson before the first one needs the gap too (10 before it, 15 after the new one).
    let early = l.publish(teacher(1), utc_weekly(Weekday::Mon, (8, 40), (9, 40), SchedulingRules::default()))?;
    l.expect_refused(&people, "slot_unavailable", "ending 20 minutes before a buffered lesson", || {
        l.engine.book_lesson(s(2), early, day(8, 40), student(2))
    })?;
    let earlier = l.publish(teacher(1), utc_weekly(Weekday::Mon, (8, 35), (9, 35), SchedulingRules::default()))?;
    l.book(2, earlier, day(8, 35))?;
    // A slot's own buffers of 0 win over the teacher's: a lesson of it may start right at
    // the end of the previous lesson's buffer, not inside it.
    let none = SchedulingRules { buffer_before_minutes: Some(0), buffer_after_minutes: Some(0), ..Default::default() };
    let inside = l.publish(teacher(1), utc_weekly(Weekday::Mon, (12, 30), (12, 50), none))?;
    l.expect_refused(&people, "slot_unavailable", "inside the previous lesson's buffer after", || {
        l.engine.book_lesson(s(2), inside, day(12, 30), student(2))
    })?;
    let tight = l.publish(teacher(1), utc_weekly(Weekday::Mon, (12, 40), (13, 0), none))?;
    l.book(1, tight, day(12, 40))?;
    Ok(())
}

/// Whether `events` is one event whose kind `is` accepts.
fn only(events: &[crate::Event], is: impl Fn(&EventKind) -> bool) -> bool {
    matches!(events, [e] if is(&e.kind))
}

/// Cancellation and reschedule cut-offs bind students; the teacher or an admin may act within
/// them, and the event records the override. A lesson keeps the cut-offs it was booked with.
pub(crate) fn cutoffs(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let rules = SchedulingRules {
        cancel_cutoff_minutes: Some(24 * 60),
        reschedule_cutoff_minutes: Some(12 * 60),
        ..Default::default()
    };
    l.set_rules(teacher(1), None, rules)?;
    let slot = l.publish(teacher(1), utc_weekly(Weekday::Tue, (15, 0), (16, 0), SchedulingRules::default()))?;
    let other = l.publish(teacher(1), utc_weekly(Weekday::Wed, (15, 0), (16, 0), SchedulingRules::default()))?;
    // Tuesday 5 March 15:00 is 30 hours away.
    let a = l.book(1, slot, utc(2030, 3, 5, 15, 0))?;
    let b = l.book(2, slot, utc(2030, 3, 12, 15, 0))?;
    let c = l.book(3, other, utc(2030, 3, 6, 15, 0))?;
    // Loosening the teacher's rules later does not change booked lessons' cut-offs.
    l.set_rules(teacher(1), None, SchedulingRules::default())?;
    l.clock.set(utc(2030, 3, 4, 16, 0)); // 23 hours before a
    let people = [teacher(1), student(1), student(2), student(3)];
    let before = step("lesson", l.engine.lesson(Actor::System, a))?;
    l.expect_refused(&people, "cutoff_passed", "the student cancels within 24 hours", || {
        l.engine.cancel_lesson(s(1), a)
    })?;
    ensure_eq(step("lesson", l.engine.lesson(Actor::System, a))?, before, "the refused lesson is unchanged")?;
    match l.engine.cancel_lesson(s(1), a) {
        Err(crate::BookingError::CutoffPassed { booking_id, action, cutoff_at }) => ensure_eq(
            (booking_id, action.as_str(), cutoff_at),
            (a, "cancelled", utc(2030, 3, 4, 15, 0)),
            "the refusal names the cut-off",
        )?,
        other => return Err(format!("expected cutoff_passed, got {other:?}")),
    }
    let r = step("the teacher cancels within the cut-off", l.engine.cancel_lesson(t(1), a))?;
    ensure(only(&r.events, |k| matches!(k, EventKind::LessonCancelled { cutoff_overridden: true, .. })), || {
        format!("override recorded: {:?}", r.events)
    })?;
    // Before the cut-off a student's cancellation records no override.
    let r = step("the student cancels a week ahead", l.engine.cancel_lesson(s(2), b))?;
    ensure(only(&r.events, |k| matches!(k, EventKind::LessonCancelled { cutoff_overridden: false, .. })), || {
        format!("no override: {:?}", r.events)
    })?;
    // Reschedule: c starts Wednesday 6 March 15:00, its cut-off is 03:00 that day.
    l.clock.set(utc(2030, 3, 6, 4, 0));
    l.expect_refused(&people, "cutoff_passed", "the student reschedules within 12 hours", || {
        l.engine.reschedule_lesson(s(3), c, other, utc(2030, 3, 13, 15, 0))
    })?;
    let r = step(
        "an admin reschedules within it",
        l.engine.reschedule_lesson(Actor::Admin(admin(1)), c, other, utc(2030, 3, 13, 15, 0)),
    )?;
    ensure(only(&r.events, |k| matches!(k, EventKind::LessonRescheduled { cutoff_overridden: true, .. })), || {
        format!("override recorded: {:?}", r.events)
    })?;
    // The moved lesson took the rules in force now (none): the student may cancel it.
    ensure_eq(r.value.rules, SchedulingRules::default(), "rules after the move")?;
    step("the student cancels the moved lesson", l.engine.cancel_lesson(s(3), c))?;
    Ok(())
}

/// A reschedule does not escape the cancellation cut-off: without a reschedule cut-off of its
/// own, a lesson's cancellation cut-off governs a student's move too (else a student could
/// move a lesson starting in an hour to next week and cancel it there freely), and a teacher's
/// or an admin's move within it is recorded as an override. A reschedule cut-off the teacher
/// set explicitly governs moves alone, shorter than the cancellation cut-off or not.
pub(crate) fn reschedule_within_cancel_cutoff(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    l.set_rules(teacher(1), None, SchedulingRules { cancel_cutoff_minutes: Some(24 * 60), ..Default::default() })?;
    let tue = l.publish(teacher(1), utc_weekly(Weekday::Tue, (10, 0), (11, 0), SchedulingRules::default()))?;
    let mon = l.publish(teacher(1), utc_weekly(Weekday::Mon, (10, 0), (11, 0), SchedulingRules::default()))?;
    // Tuesday 5 March 10:00 is 25 hours away; its cancellation cut-off is Monday 4 March 10:00.
    let a = l.book(1, tue, utc(2030, 3, 5, 10, 0))?;
    let b = l.book(2, tue, utc(2030, 3, 12, 10, 0))?;
    let people = [teacher(1), student(1), student(2), student(3), student(4)];
    l.clock.set(utc(2030, 3, 4, 11, 0)); // 23 hours before a
    let before = step("lesson", l.engine.lesson(Actor::System, a))?;
    l.expect_refused(&people, "cutoff_passed", "the student moves a lesson within its cancellation cut-off", || {
        l.engine.reschedule_lesson(s(1), a, mon, utc(2030, 3, 11, 10, 0))
    })?;
    ensure_eq(step("lesson", l.engine.lesson(Actor::System, a))?, before, "the refused lesson is unchanged")?;
    match l.engine.reschedule_lesson(s(1), a, tue, utc(2030, 3, 19, 10, 0)) {
        Err(crate::BookingError::CutoffPassed { booking_id, action, cutoff_at }) => ensure_eq(
            (booking_id, action.as_str(), cutoff_at),
            (a, "rescheduled", utc(2030, 3, 4, 10, 0)),
            "the refusal names the lesson, the move and the cancellation cut-off",
        )?,
        other => return Err(format!("expected cutoff_passed, got {other:?}")),
    }
    let r = step(
        "the teacher moves it within the cut-off",
        l.engine.reschedule_lesson(t(1), a, mon, utc(2030, 3, 11, 10, 0)),
    )?;
    ensure(only(&r.events, |k| matches!(k, EventKind::LessonRescheduled { cutoff_overridden: true, .. })), || {
        format!("the teacher's move within the cancellation cut-off is an override: {:?}", r.events)
    })?;
    // Before the cut-off the student may move it, and nothing is overridden.
    let r =
        step("the student moves b a week ahead", l.engine.reschedule_lesson(s(2), b, tue, utc(2030, 3, 19, 10, 0)))?;
    ensure(only(&r.events, |k| matches!(k, EventKind::LessonRescheduled { cutoff_overridden: false, .. })), || {
        format!("no override before the cut-off: {:?}", r.events)
    })?;

    // An explicit reschedule cut-off of an hour: the teacher allows late moves, and a moved
    // lesson is cancelled under the cut-off of its new time.
    let late_moves = SchedulingRules {
        cancel_cutoff_minutes: Some(24 * 60),
        reschedule_cutoff_minutes: Some(60),
        ..Default::default()
    };
    l.set_rules(teacher(1), None, late_moves)?;
    let c = l.book(3, tue, utc(2030, 3, 5, 10, 0))?; // 23 hours away: inside the cancellation cut-off
    l.expect_refused(&people, "cutoff_passed", "the student cancels c", || l.engine.cancel_lesson(s(3), c))?;
    let r = step("the student moves c", l.engine.reschedule_lesson(s(3), c, mon, utc(2030, 3, 18, 10, 0)))?;
    ensure(only(&r.events, |k| matches!(k, EventKind::LessonRescheduled { cutoff_overridden: false, .. })), || {
        format!("a move before the reschedule cut-off overrides nothing: {:?}", r.events)
    })?;
    step("the student cancels the moved lesson", l.engine.cancel_lesson(s(3), c))?;
    let d = l.book(4, tue, utc(2030, 3, 5, 10, 0))?;
    let r = step("the teacher moves d", l.engine.reschedule_lesson(t(1), d, mon, utc(2030, 3, 25, 10, 0)))?;
    ensure(only(&r.events, |k| matches!(k, EventKind::LessonRescheduled { cutoff_overridden: false, .. })), || {
        format!("the reschedule cut-off governs the teacher's move too: {:?}", r.events)
    })?;
    l.clock.set(utc(2030, 3, 25, 9, 30)); // within d's hour
    l.expect_refused(&people, "cutoff_passed", "the student moves d within its reschedule cut-off", || {
        l.engine.reschedule_lesson(s(4), d, tue, utc(2030, 3, 26, 10, 0))
    })?;
    let r =
        step("an admin moves d", l.engine.reschedule_lesson(Actor::Admin(admin(1)), d, tue, utc(2030, 3, 26, 10, 0)))?;
    ensure(only(&r.events, |k| matches!(k, EventKind::LessonRescheduled { cutoff_overridden: true, .. })), || {
        format!("the admin's move within the reschedule cut-off is an override: {:?}", r.events)
    })
}

/// What a reschedule returns.
type Moved = Result<crate::Receipt<std::sync::Arc<crate::lesson::Lesson>>, crate::BookingError>;

/// Reschedule moves a lesson atomically: the new time is taken and the old one freed, or
/// nothing changes; approval applies to the new time; a series occurrence moves alone.
pub(crate) fn reschedule(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let mon = l.publish(teacher(1), utc_weekly(Weekday::Mon, (10, 0), (11, 0), SchedulingRules::default()))?;
    let tue = l.publish(teacher(1), utc_weekly(Weekday::Tue, (10, 0), (11, 0), SchedulingRules::default()))?;
    let elsewhere = l.publish(teacher(2), utc_weekly(Weekday::Tue, (10, 0), (11, 0), SchedulingRules::default()))?;
    let lesson = step("book", l.engine.book_lesson(s(1), mon, utc(2030, 3, 11, 10, 0), student(1)))?.value;
    let taken = l.book(2, tue, utc(2030, 3, 12, 10, 0))?;
    let people = [teacher(1), teacher(2), student(1), student(2), student(3)];
    // A refusal changes neither calendar nor the lesson.
    let unchanged = |what: &str, code: &str, move_it: &dyn Fn() -> Moved| -> Result<(), String> {
        l.expect_refused(&people, code, what, move_it)?;
        ensure_eq(step("lesson", l.engine.lesson(Actor::System, lesson.id))?, lesson.clone(), what)
    };
    let before = l.calendars(&people)?;
    unchanged("onto a taken time", "slot_unavailable", &|| {
        l.engine.reschedule_lesson(s(1), lesson.id, tue, utc(2030, 3, 12, 10, 0))
    })?;
    unchanged("onto another teacher's slot", "slot_not_found", &|| {
        l.engine.reschedule_lesson(s(1), lesson.id, elsewhere, utc(2030, 3, 12, 10, 0))
    })?;
    unchanged("onto an unknown slot", "slot_not_found", &|| {
        l.engine.reschedule_lesson(s(1), lesson.id, SlotId(uuid::Uuid::from_u128(7)), utc(2030, 3, 12, 10, 0))
    })?;
    unchanged("onto a wrong instant", "occurrence_not_offered", &|| {
        l.engine.reschedule_lesson(s(1), lesson.id, tue, utc(2030, 3, 12, 10, 30))
    })?;
    unchanged("by another student", "not_authorized", &|| {
        l.engine.reschedule_lesson(s(2), lesson.id, tue, utc(2030, 3, 19, 10, 0))
    })?;
    unchanged("by another teacher", "not_authorized", &|| {
        l.engine.reschedule_lesson(t(2), lesson.id, tue, utc(2030, 3, 19, 10, 0))
    })?;
    expect_error(
        "booking_not_found",
        "unknown lesson",
        l.engine.reschedule_lesson(s(1), BookingId(uuid::Uuid::from_u128(9)), tue, utc(2030, 3, 19, 10, 0)),
    )?;
    // The student is busy with teacher 2 at the new time.
    let busy =
        step("book with teacher 2", l.engine.book_lesson(s(1), elsewhere, utc(2030, 3, 19, 10, 0), student(1)))?.value;
    let before_busy = l.calendars(&people)?;
    unchanged("over the student's other lesson", "student_busy", &|| {
        l.engine.reschedule_lesson(s(1), lesson.id, tue, utc(2030, 3, 19, 10, 0))
    })?;
    ensure(l.calendars(&people[..1])? == before[..1], || "refusals changed the teacher's calendar".to_owned())?;
    ensure(l.calendars(&people)? == before_busy, || "refusals changed a calendar".to_owned())?;
    step("cancel", l.engine.cancel_lesson(s(1), busy.id))?;
    // The same time: nothing happens.
    let same = step("to the same time", l.engine.reschedule_lesson(s(1), lesson.id, mon, lesson.starts_at))?;
    ensure(same.events.is_empty() && *same.value == *lesson, || format!("no-op move: {:?}", same.events))?;
    // A real move.
    let moved =
        step("move", l.engine.reschedule_lesson(s(1).with_key("move-1"), lesson.id, tue, utc(2030, 3, 19, 10, 0)))?;
    ensure_eq(kinds(&moved.events), vec!["lesson_rescheduled"], "events")?;
    match &moved.events[0].kind {
        EventKind::LessonRescheduled {
            previous_slot_id,
            previous_starts_at,
            previous_ends_at,
            lesson: after,
            cutoff_overridden,
        } => {
            ensure_eq(
                (*previous_slot_id, *previous_starts_at, *previous_ends_at),
                (mon, lesson.starts_at, lesson.ends_at),
                "previous time",
            )?;
            ensure_eq(**after == *moved.value, true, "the event carries the lesson after")?;
            ensure_eq(*cutoff_overridden, false, "no cut-off")?;
        }
        other => return Err(format!("unexpected event {other:?}")),
    }
    let m = &moved.value;
    ensure_eq(
        (m.id, m.slot_id, m.starts_at, m.ends_at, m.status),
        (lesson.id, tue, utc(2030, 3, 19, 10, 0), utc(2030, 3, 19, 11, 0), LessonStatus::Confirmed),
        "moved lesson",
    )?;
    ensure_eq(m.version, lesson.version + 1, "version")?;
    ensure_eq(step("stored", l.engine.lesson(Actor::System, lesson.id))?, moved.value.clone(), "stored lesson")?;
    for c in l.calendars(&[teacher(1), student(1)])? {
        let held: Vec<_> =
            c.holds.iter().filter(|h| h.booking_id == lesson.id).map(|h| (h.starts_at, h.ends_at)).collect();
        ensure_eq(held, vec![(m.starts_at, m.ends_at)], "one hold, at the new time")?;
    }
    // The old time is free again, the new one taken.
    let listed = l.list(teacher(1), Some(student(3)), 21)?;
    ensure(listed.contains(&utc(2030, 3, 11, 10, 0)) && !listed.contains(&utc(2030, 3, 19, 10, 0)), || {
        format!("listing after the move: {listed:?}")
    })?;
    let started = l.book(3, mon, utc(2030, 3, 11, 10, 0))?;
    let retry =
        step("retry", l.engine.reschedule_lesson(s(1).with_key("move-1"), lesson.id, tue, utc(2030, 3, 19, 10, 0)))?;
    ensure(retry.replayed && retry.value == moved.value, || "the retry replays".to_owned())?;
    // A move overlapping its own old time is fine (its own hold does not count).
    let half = l.publish(
        teacher(1),
        one_time(
            "UTC",
            date(2030, 3, 19).and_hms_opt(10, 30, 0).ok_or("t")?,
            date(2030, 3, 19).and_hms_opt(11, 30, 0).ok_or("t")?,
        ),
    )?;
    step("overlapping its own time", l.engine.reschedule_lesson(t(1), lesson.id, half, utc(2030, 3, 19, 10, 30)))?;
    // Started and inactive lessons do not move.
    step("cancel the taken one", l.engine.cancel_lesson(s(2), taken))?;
    expect_error(
        "invalid_transition",
        "cancelled",
        l.engine.reschedule_lesson(s(2), taken, tue, utc(2030, 3, 26, 10, 0)),
    )?;
    l.clock.set(utc(2030, 3, 11, 10, 30));
    expect_error("lesson_started", "started", l.engine.reschedule_lesson(t(1), started, tue, utc(2030, 3, 26, 10, 0)))?;
    Ok(())
}

/// Reschedule and approval: a student's move to a slot whose course needs approval is pending
/// again; the teacher's move keeps the status; one lesson of a series moves alone and stays
/// in its series.
pub(crate) fn reschedule_approval_and_series(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    l.host.set_course_approval(course(1), Some(true));
    l.host.enroll(student(1), course(1));
    let free = l.publish(teacher(1), utc_weekly(Weekday::Mon, (10, 0), (11, 0), SchedulingRules::default()))?;
    let approved = l.publish(teacher(1), weekly(Some(course(1)), "UTC", Weekday::Thu, (10, 0), (11, 0)))?;
    let req = series(free, student(1), utc(2030, 3, 11, 10, 0), SeriesEnd::Count(3), SeriesMode::AllOrNothing);
    let booked = step("series", l.engine.book_series(s(1), req))?.value;
    let second = &booked.lessons[1];
    let moved =
        step("student moves one", l.engine.reschedule_lesson(s(1), second.id, approved, utc(2030, 3, 21, 10, 0)))?
            .value;
    ensure_eq(
        (moved.status, moved.series_id, moved.course_id),
        (LessonStatus::Pending, Some(booked.series_id), Some(course(1))),
        "pending, in its series",
    )?;
    let others: Vec<_> = booked
        .lessons
        .iter()
        .filter(|x| x.id != second.id)
        .map(|x| step("lesson", l.engine.lesson(Actor::System, x.id)))
        .collect::<Result<_, _>>()?;
    ensure(others.iter().zip(booked.lessons.iter().filter(|x| x.id != second.id)).all(|(a, b)| **a == *b), || {
        "the rest of the series did not move".to_owned()
    })?;
    ensure(l.list(teacher(1), Some(student(2)), 21)?.contains(&utc(2030, 3, 18, 10, 0)), || {
        "the old occurrence is offered again".to_owned()
    })?;
    // The teacher moves the pending lesson: still pending (moving is not approving).
    let again =
        step("teacher moves it", l.engine.reschedule_lesson(t(1), second.id, approved, utc(2030, 3, 28, 10, 0)))?.value;
    ensure_eq(again.status, LessonStatus::Pending, "the teacher's move keeps it pending")?;
    step("approve", l.engine.approve_lesson(t(1), second.id, None))?;
    // The teacher moves the confirmed lesson to the approval slot: it stays confirmed.
    let first = &booked.lessons[0];
    let kept = step(
        "teacher moves a confirmed one",
        l.engine.reschedule_lesson(t(1), first.id, approved, utc(2030, 3, 14, 10, 0)),
    )?
    .value;
    ensure_eq(kept.status, LessonStatus::Confirmed, "confirmed after the teacher's move")?;
    // Cancelling the series from the first lesson takes the moved lessons along.
    let cancelled = step("cancel the series", l.engine.cancel_series_from(s(1), first.id))?.value;
    ensure_eq(cancelled.len(), 3, "every lesson of the series")?;
    // A student moving out of the approval course is confirmed at once.
    let pending = step("request", l.engine.book_lesson(s(1), approved, utc(2030, 4, 4, 10, 0), student(1)))?.value;
    ensure_eq(pending.status, LessonStatus::Pending, "requested")?;
    let out =
        step("move to the free slot", l.engine.reschedule_lesson(s(1), pending.id, free, utc(2030, 4, 1, 10, 0)))?
            .value;
    ensure_eq(out.status, LessonStatus::Confirmed, "no approval needed at the new time")?;
    // Unenrolled: the new time is checked like a booking.
    l.host.unenroll(student(1), course(1));
    expect_error(
        "not_enrolled",
        "not enrolled any more",
        l.engine.reschedule_lesson(s(1), out.id, approved, utc(2030, 4, 11, 10, 0)),
    )?;
    // Approving checks each lesson of the series against the course of its own slot: the
    // series waits in course 1, the teacher moved one lesson to the free slot (no course),
    // and the student left course 1. Approving the moved lesson approves its siblings too,
    // so it is refused, with nothing changed, until the student is enrolled again.
    l.host.enroll(student(2), course(1));
    let req = series(approved, student(2), utc(2030, 4, 11, 10, 0), SeriesEnd::Count(3), SeriesMode::AllOrNothing);
    let waiting = step("a series waiting for approval", l.engine.book_series(s(2), req))?.value;
    let last = waiting.lessons[2].id;
    let moved = step("the teacher moves one", l.engine.reschedule_lesson(t(1), last, free, utc(2030, 4, 22, 10, 0)))?;
    ensure_eq((moved.value.status, moved.value.course_id), (LessonStatus::Pending, None), "pending, without a course")?;
    l.host.unenroll(student(2), course(1));
    l.expect_refused(&[teacher(1), student(2)], "not_enrolled", "approving with siblings in a left course", || {
        l.engine.approve_lesson(t(1), last, None)
    })?;
    l.host.enroll(student(2), course(1));
    let approved_all = step("approve once enrolled again", l.engine.approve_lesson(t(1), last, None))?;
    ensure_eq(approved_all.events.len(), 3, "the whole series approved")
}

/// Time off removes occurrences without editing the slots: a single day, a range; lessons
/// already booked then are kept; withdrawing it offers the days again.
pub(crate) fn time_off_days(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let slot = l.publish(teacher(1), utc_weekly(Weekday::Mon, (10, 0), (11, 0), SchedulingRules::default()))?;
    let kept = l.book(1, slot, utc(2030, 3, 25, 10, 0))?;
    let day = step("a day off", l.engine.add_time_off(t(1), teacher(1), time_off((2030, 3, 11), (2030, 3, 11))))?;
    ensure_eq(kinds(&day.events), vec!["time_off_added"], "events")?;
    ensure_eq((day.value.teacher_id, day.value.note.as_deref()), (teacher(1), Some("vacation")), "time off")?;
    let range =
        step("a week off", l.engine.add_time_off(t(1), teacher(1), time_off((2030, 3, 18), (2030, 3, 25))))?.value;
    let people = [teacher(1), student(1), student(2)];
    ensure_eq(
        l.list(teacher(1), Some(student(2)), 35)?,
        vec![utc(2030, 3, 4, 10, 0), utc(2030, 4, 1, 10, 0)],
        "only the days without time off",
    )?;
    for at in [utc(2030, 3, 11, 10, 0), utc(2030, 3, 18, 10, 0)] {
        l.expect_refused(&people, "occurrence_not_offered", &format!("booking {at} on time off"), || {
            l.engine.book_lesson(s(2), slot, at, student(2))
        })?;
    }
    ensure_eq(
        step("kept", l.engine.lesson(Actor::System, kept))?.status,
        LessonStatus::Confirmed,
        "a booked lesson on time off is kept",
    )?;
    // A series over a day off: all or nothing refuses it, book-available skips the day.
    let req = series(slot, student(2), utc(2030, 3, 4, 10, 0), SeriesEnd::Count(3), SeriesMode::AllOrNothing);
    l.expect_refused(&people, "occurrence_not_offered", "series over a day off", || {
        l.engine.book_series(s(2), req.clone())
    })?;
    let some =
        step("book available", l.engine.book_series(s(2), SeriesRequest { mode: SeriesMode::BookAvailable, ..req }))?
            .value;
    ensure_eq(
        some.lessons.iter().map(|x| x.starts_at).collect::<Vec<_>>(),
        vec![utc(2030, 3, 4, 10, 0)],
        "booked around the time off",
    )?;
    ensure_eq(
        some.skipped.iter().map(|x| x.reason.code().as_str()).collect::<Vec<_>>(),
        vec!["occurrence_not_offered", "occurrence_not_offered"],
        "skipped",
    )?;
    // Time off in another zone covers that zone's days: 11 March in Auckland (UTC+13) is
    // 10 March 11:00 to 11 March 11:00 UTC, which covers the 10:00 lesson.
    step("remove the day", l.engine.remove_time_off(t(1), teacher(1), day.value.id))?;
    let auckland = TimeOffSpec { time_zone: "Pacific/Auckland".to_owned(), ..time_off((2030, 3, 11), (2030, 3, 11)) };
    let nz = step("a day off in Auckland", l.engine.add_time_off(t(1), teacher(1), auckland))?.value;
    ensure(!l.list(teacher(1), Some(student(2)), 35)?.contains(&utc(2030, 3, 11, 10, 0)), || {
        "Auckland's day covers it".to_owned()
    })?;
    step("remove Auckland", l.engine.remove_time_off(t(1), teacher(1), nz.id))?;
    let removed = step("remove the week", l.engine.remove_time_off(t(1), teacher(1), range.id))?;
    ensure_eq(removed.value, range.clone(), "returns what was removed")?;
    ensure_eq(kinds(&removed.events), vec!["time_off_removed"], "events")?;
    ensure_eq(
        l.list(teacher(1), Some(student(2)), 35)?,
        vec![utc(2030, 3, 11, 10, 0), utc(2030, 3, 18, 10, 0), utc(2030, 4, 1, 10, 0)],
        "offered again",
    )?;
    ensure(step("calendar", l.engine.calendar(Actor::System, teacher(1)))?.time_off.is_empty(), || {
        "no time off left".to_owned()
    })?;
    // Bad inputs and authorization.
    let bad: Vec<(&str, &str, TimeOffSpec)> = vec![
        ("last day before first", "invalid_input", time_off((2030, 3, 12), (2030, 3, 11))),
        ("longer than 366 days", "too_large", time_off((2030, 3, 1), (2031, 3, 2))),
        (
            "unknown zone",
            "unknown_time_zone",
            TimeOffSpec { time_zone: "Mars/Olympus".into(), ..time_off((2030, 3, 11), (2030, 3, 11)) },
        ),
        (
            "note too long",
            "invalid_input",
            TimeOffSpec { note: Some("x".repeat(201)), ..time_off((2030, 3, 11), (2030, 3, 11)) },
        ),
    ];
    for (what, code, spec) in bad {
        l.expect_refused(&people, code, what, || l.engine.add_time_off(t(1), teacher(1), spec.clone()))?;
    }
    l.expect_refused(&people, "not_authorized", "a student takes the teacher's time off", || {
        l.engine.add_time_off(s(1), teacher(1), time_off((2030, 3, 11), (2030, 3, 11)))
    })?;
    l.expect_refused(&people, "not_authorized", "another teacher", || {
        l.engine.add_time_off(t(2), teacher(1), time_off((2030, 3, 11), (2030, 3, 11)))
    })?;
    l.expect_refused(&people, "time_off_not_found", "removing unknown time off", || {
        l.engine.remove_time_off(t(1), teacher(1), range.id)
    })?;
    let again = step(
        "admin adds",
        l.engine.add_time_off(Actor::Admin(admin(1)), teacher(1), time_off((2030, 3, 11), (2030, 3, 11))),
    )?
    .value;
    l.expect_refused(&people, "not_authorized", "a student withdraws it", || {
        l.engine.remove_time_off(s(1), teacher(1), again.id)
    })?;
    Ok(())
}

/// A teacher's group sessions block 1:1 occurrences over them (booking and listing, buffers
/// included), and a session cannot be scheduled over a lesson.
pub(crate) fn sessions_block_lessons(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    l.set_rules(teacher(1), None, SchedulingRules { buffer_after_minutes: Some(15), ..Default::default() })?;
    let slot = l.publish(teacher(1), utc_weekly(Weekday::Mon, (10, 0), (11, 0), SchedulingRules::default()))?;
    let session = crate::NewGroupSession { starts_at: utc(2030, 3, 11, 11, 10), ..new_session(teacher(1), 5, false) };
    let created = step("a session 10 minutes after an occurrence", l.engine.create_session(t(1), session))?.value;
    let people = [teacher(1), student(1)];
    l.expect_refused(&people, "slot_unavailable", "a lesson whose buffer runs into the session", || {
        l.engine.book_lesson(s(1), slot, utc(2030, 3, 11, 10, 0), student(1))
    })?;
    ensure_eq(
        l.list(teacher(1), Some(student(1)), 15)?,
        vec![utc(2030, 3, 4, 10, 0), utc(2030, 3, 18, 10, 0)],
        "left out of the listing",
    )?;
    step("cancel the session", l.engine.cancel_session(t(1), created.id))?;
    ensure_eq(
        l.list(teacher(1), Some(student(1)), 15)?,
        vec![utc(2030, 3, 4, 10, 0), utc(2030, 3, 11, 10, 0), utc(2030, 3, 18, 10, 0)],
        "offered again",
    )?;
    let lesson = l.book(1, slot, utc(2030, 3, 11, 10, 0))?;
    for (what, starts_at) in
        [("over the lesson", utc(2030, 3, 11, 10, 30)), ("inside its buffer", utc(2030, 3, 11, 11, 5))]
    {
        let session = crate::NewGroupSession { starts_at, ..new_session(teacher(1), 5, false) };
        match l.engine.create_session(t(1), session) {
            Err(crate::BookingError::TeacherBusy { teacher_id, booking_id }) => {
                ensure_eq((teacher_id, booking_id), (teacher(1), lesson), what)?
            }
            other => return Err(format!("{what}: expected teacher_busy, got {other:?}")),
        }
    }
    let after = crate::NewGroupSession { starts_at: utc(2030, 3, 11, 11, 15), ..new_session(teacher(1), 5, false) };
    step("a session after the buffer", l.engine.create_session(t(1), after))?;
    // Another teacher's session does not block teacher 1's lessons.
    let other = crate::NewGroupSession { starts_at: utc(2030, 3, 18, 10, 0), ..new_session(teacher(2), 5, false) };
    step("teacher 2's session", l.engine.create_session(t(2), other))?;
    l.book(2, slot, utc(2030, 3, 18, 10, 0))?;
    Ok(())
}

/// Limits: lessons per day and per week for a teacher (pending ones count, cancelled ones
/// not), upcoming lessons per student in a course; listings leave out what a limit forbids.
pub(crate) fn limits(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    l.host.set_course_approval(course(1), Some(true));
    for n in 1..=4 {
        l.host.enroll(student(n), course(1));
    }
    l.set_rules(
        teacher(1),
        None,
        SchedulingRules { max_lessons_per_day: Some(2), max_lessons_per_week: Some(3), ..Default::default() },
    )?;
    let spec = |wd, h| weekly(Some(course(1)), "UTC", wd, (h, 0), (h + 1, 0));
    let mon9 = l.publish(teacher(1), spec(Weekday::Mon, 9))?;
    let mon11 = l.publish(teacher(1), spec(Weekday::Mon, 11))?;
    let mon13 = l.publish(teacher(1), spec(Weekday::Mon, 13))?;
    let tue = l.publish(teacher(1), spec(Weekday::Tue, 9))?;
    let wed = l.publish(teacher(1), spec(Weekday::Wed, 9))?;
    let people = [teacher(1), student(1), student(2), student(3), student(4)];
    let a = step("pending request", l.engine.book_lesson(s(1), mon9, utc(2030, 3, 11, 9, 0), student(1)))?.value;
    ensure_eq(a.status, LessonStatus::Pending, "pending")?;
    l.book(2, mon11, utc(2030, 3, 11, 11, 0))?;
    l.expect_refused(&people, "limit_reached", "a third lesson that day (a pending one counts)", || {
        l.engine.book_lesson(s(3), mon13, utc(2030, 3, 11, 13, 0), student(3))
    })?;
    let monday: Vec<_> = l
        .list(teacher(1), Some(student(3)), 14)?
        .into_iter()
        .filter(|at| at.date_naive() == date(2030, 3, 11))
        .collect();
    ensure_eq(monday, vec![], "the full day is not listed")?;
    l.book(3, tue, utc(2030, 3, 12, 9, 0))?;
    match l.engine.book_lesson(s(4), wed, utc(2030, 3, 13, 9, 0), student(4)) {
        Err(crate::BookingError::LimitReached { max: 3, .. }) => {}
        other => return Err(format!("a fourth lesson that week: expected limit_reached (3), got {other:?}")),
    }
    ensure(
        !l.list(teacher(1), Some(student(4)), 14)?
            .iter()
            .any(|at| *at >= utc(2030, 3, 11, 0, 0) && *at < utc(2030, 3, 18, 0, 0)),
        || "the full week is not listed".to_owned(),
    )?;
    // The next week is free; declining the pending request frees a place this week.
    l.book(4, wed, utc(2030, 3, 20, 9, 0))?;
    step("decline", l.engine.decline_lesson(t(1), a.id, None))?;
    l.book(4, wed, utc(2030, 3, 13, 9, 0))?;
    // Per student per course: at most 2 upcoming lessons, with any teacher of the course.
    l.set_rules(
        teacher(2),
        Some(course(1)),
        SchedulingRules { max_upcoming_lessons_per_student: Some(2), ..Default::default() },
    )?;
    let other = l.publish(teacher(2), spec(Weekday::Thu, 9))?;
    // Student 4 holds two lessons of the course with teacher 1 (13 and 20 March).
    l.expect_refused(&[teacher(2), student(4)], "limit_reached", "a third upcoming lesson of the course", || {
        l.engine.book_lesson(s(4), other, utc(2030, 3, 14, 9, 0), student(4))
    })?;
    ensure_eq(l.list(teacher(2), Some(student(4)), 14)?, vec![], "nothing listed for a student at the limit")?;
    ensure_eq(l.list(teacher(2), Some(student(3)), 14)?.len(), 2, "listed for a student below it")?;
    ensure_eq(l.list(teacher(2), None, 14)?.len(), 2, "listed for the teacher's view")?;
    // Once a lesson has ended it no longer counts.
    l.clock.set(utc(2030, 3, 13, 10, 0));
    l.book(4, other, utc(2030, 3, 14, 9, 0))?;
    l.expect_refused(&[teacher(2), student(4)], "limit_reached", "at the limit again", || {
        l.engine.book_lesson(s(4), other, utc(2030, 3, 21, 9, 0), student(4))
    })?;
    // A series counts its own earlier lessons: student 3's only lesson of the course has
    // ended, so two of three are booked.
    let req = series(other, student(3), utc(2030, 3, 21, 9, 0), SeriesEnd::Count(3), SeriesMode::BookAvailable);
    let booked = step("series up to the limit", l.engine.book_series(s(3), req))?.value;
    ensure_eq((booked.lessons.len(), booked.skipped.len()), (2, 1), "two booked, one over the limit")?;
    ensure(booked.skipped.iter().all(|x| x.reason.code().as_str() == "limit_reached"), || {
        format!("{:?}", booked.skipped)
    })?;
    // Invalid limits are refused.
    for bad in [
        SchedulingRules { max_lessons_per_day: Some(0), ..Default::default() },
        SchedulingRules { max_lessons_per_week: Some(10_001), ..Default::default() },
    ] {
        l.expect_refused(&people, "invalid_input", "a bad limit", || {
            l.engine.set_scheduling_rules(t(1), teacher(1), None, bad)
        })?;
    }
    Ok(())
}

/// Attendance and no-show for 1:1 lessons, as for group sessions: from the start, by the
/// teacher or an admin, correctable; not for pending or cancelled lessons.
pub(crate) fn lesson_attendance(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    l.host.set_course_approval(course(1), Some(true));
    l.host.enroll(student(2), course(1));
    let slot = l.publish(teacher(1), utc_weekly(Weekday::Mon, (10, 0), (11, 0), SchedulingRules::default()))?;
    let requested = l.publish(teacher(1), weekly(Some(course(1)), "UTC", Weekday::Mon, (12, 0), (13, 0)))?;
    let a = l.book(1, slot, utc(2030, 3, 11, 10, 0))?;
    let p = l.book(2, requested, utc(2030, 3, 11, 12, 0))?;
    let c = l.book(3, slot, utc(2030, 3, 18, 10, 0))?;
    step("cancel", l.engine.cancel_lesson(s(3), c))?;
    expect_error("lesson_not_started", "before the start", l.engine.mark_lesson_attendance(t(1), a, true))?;
    l.clock.set(utc(2030, 3, 11, 10, 0));
    expect_error("not_authorized", "by the student", l.engine.mark_lesson_attendance(s(1), a, true))?;
    expect_error("not_authorized", "by another teacher", l.engine.mark_lesson_attendance(t(2), a, true))?;
    let r = step("attended", l.engine.mark_lesson_attendance(t(1), a, true))?;
    ensure_eq(
        (r.value.status, kinds(&r.events)),
        (LessonStatus::Attended, vec!["lesson_attendance_marked"]),
        "attended",
    )?;
    let r = step("corrected to no-show", l.engine.mark_lesson_attendance(Actor::Admin(admin(1)), a, false))?;
    ensure_eq(r.value.status, LessonStatus::NoShow, "no-show")?;
    let r = step("the same mark again", l.engine.mark_lesson_attendance(t(1), a, false))?;
    ensure(r.events.is_empty(), || "marking the same status again changes nothing".to_owned())?;
    l.clock.set(utc(2030, 3, 18, 12, 0));
    expect_error("invalid_transition", "a pending lesson", l.engine.mark_lesson_attendance(t(1), p, true))?;
    expect_error("invalid_transition", "a cancelled lesson", l.engine.mark_lesson_attendance(t(1), c, true))?;
    expect_error(
        "booking_not_found",
        "an unknown lesson",
        l.engine.mark_lesson_attendance(t(1), BookingId(uuid::Uuid::from_u128(5)), true),
    )?;
    // Attendance does not free the time: a lesson that took place still counts for the limit.
    ensure(
        step("calendar", l.engine.calendar(Actor::System, teacher(1)))?.holds.iter().any(|h| h.booking_id == a),
        || "the attended lesson's hold stays until it expires".to_owned(),
    )
}

/// The new commands' bad inputs and authorization: scheduling rules, slot rules, reschedule.
pub(crate) fn rules_bad_inputs_and_authorization(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let people = [teacher(1), student(1)];
    let cases: Vec<(&str, SchedulingRules)> = vec![
        ("zero advance", SchedulingRules { max_advance_days: Some(0), ..Default::default() }),
        (
            "advance too long",
            SchedulingRules { max_advance_days: Some(crate::rules::MAX_ADVANCE_DAYS + 1), ..Default::default() },
        ),
        ("buffer too long", SchedulingRules { buffer_after_minutes: Some(24 * 60 + 1), ..Default::default() }),
        (
            "cut-off too long",
            SchedulingRules { cancel_cutoff_minutes: Some(crate::rules::MAX_NOTICE_MINUTES + 1), ..Default::default() },
        ),
        ("zero per-student limit", SchedulingRules { max_upcoming_lessons_per_student: Some(0), ..Default::default() }),
        (
            "window closing before it opens",
            SchedulingRules { min_notice_minutes: Some(3 * 24 * 60), max_advance_days: Some(2), ..Default::default() },
        ),
    ];
    for (what, rules) in &cases {
        l.expect_refused(&people, "invalid_input", what, || {
            l.engine.set_scheduling_rules(t(1), teacher(1), None, *rules)
        })?;
        l.expect_refused(&people, "invalid_input", &format!("slot with {what}"), || {
            l.engine.publish_slot(t(1), teacher(1), utc_weekly(Weekday::Mon, (10, 0), (11, 0), *rules))
        })?;
    }
    let good = SchedulingRules { min_notice_minutes: Some(60), ..Default::default() };
    l.expect_refused(&people, "not_authorized", "a student sets rules", || {
        l.engine.set_scheduling_rules(s(1), teacher(1), None, good)
    })?;
    l.expect_refused(&people, "not_authorized", "another teacher sets rules", || {
        l.engine.set_scheduling_rules(t(2), teacher(1), Some(course(1)), good)
    })?;
    let r = step(
        "admin sets rules",
        l.engine.set_scheduling_rules(Actor::Admin(admin(1)), teacher(1), Some(course(1)), good),
    )?;
    ensure_eq((r.value, kinds(&r.events)), (good, vec!["scheduling_rules_set"]), "set")?;
    let r = step("the same again", l.engine.set_scheduling_rules(t(1), teacher(1), Some(course(1)), good))?;
    ensure(r.events.is_empty(), || "setting the same rules changes nothing".to_owned())?;
    let c = step("calendar", l.engine.calendar(Actor::System, teacher(1)))?;
    ensure_eq(
        (c.rules, c.rules_for_course(Some(course(1))).min_notice_minutes),
        (SchedulingRules::default(), Some(60)),
        "stored per course",
    )?;
    // Reschedule of a one-time slot's lesson to a wrong instant, the past, or unknown lessons.
    let slot = l.publish(teacher(1), utc_weekly(Weekday::Mon, (10, 0), (11, 0), SchedulingRules::default()))?;
    let lesson = l.book(1, slot, utc(2030, 3, 11, 10, 0))?;
    l.clock.set(utc(2030, 3, 4, 12, 0));
    l.expect_refused(&people, "start_in_past", "moving to an occurrence that has started", || {
        l.engine.reschedule_lesson(t(1), lesson, slot, utc(2030, 3, 4, 10, 0))
    })?;
    l.expect_refused(&people, "occurrence_not_offered", "moving to a time the slot does not produce", || {
        l.engine.reschedule_lesson(t(1), lesson, slot, utc(2030, 3, 12, 10, 0))
    })?;
    step("deactivate", l.engine.set_slot_active(t(1), slot, false))?;
    l.expect_refused(&people, "occurrence_not_offered", "moving to an inactive slot", || {
        l.engine.reschedule_lesson(t(1), lesson, slot, utc(2030, 3, 18, 10, 0))
    })
}

/// Retries with the same request key replay the new commands' first outcome.
pub(crate) fn rules_idempotent_retries(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let rules = SchedulingRules { buffer_after_minutes: Some(10), ..Default::default() };
    let first = step("set", l.engine.set_scheduling_rules(t(1).with_key("r1"), teacher(1), None, rules))?;
    let again = step("retry", l.engine.set_scheduling_rules(t(1).with_key("r1"), teacher(1), None, rules))?;
    ensure(again.replayed && again.value == first.value && again.events == first.events, || {
        "rules replayed".to_owned()
    })?;
    expect_error(
        "request_key_reused",
        "same key, other rules",
        l.engine.set_scheduling_rules(t(1).with_key("r1"), teacher(1), None, SchedulingRules::default()),
    )?;
    let off = step(
        "time off",
        l.engine.add_time_off(t(1).with_key("o1"), teacher(1), time_off((2030, 3, 20), (2030, 3, 21))),
    )?;
    let before = l.calendars(&[teacher(1)])?;
    let off2 = step(
        "time off retry",
        l.engine.add_time_off(t(1).with_key("o1"), teacher(1), time_off((2030, 3, 20), (2030, 3, 21))),
    )?;
    ensure(off2.replayed && off2.value == off.value, || "time off replayed with the same id".to_owned())?;
    ensure(l.calendars(&[teacher(1)])? == before, || "a replay changed nothing".to_owned())?;
    let rm = step("remove", l.engine.remove_time_off(t(1).with_key("o2"), teacher(1), off.value.id))?;
    let rm2 = step("remove retry", l.engine.remove_time_off(t(1).with_key("o2"), teacher(1), off.value.id))?;
    ensure(rm2.replayed && rm2.value == rm.value, || "removal replayed".to_owned())?;
    let slot = l.publish(teacher(1), utc_weekly(Weekday::Mon, (10, 0), (11, 0), SchedulingRules::default()))?;
    let lesson = l.book(1, slot, utc(2030, 3, 11, 10, 0))?;
    let moved = step("move", l.engine.reschedule_lesson(s(1).with_key("m1"), lesson, slot, utc(2030, 3, 18, 10, 0)))?;
    let before = l.calendars(&[teacher(1), student(1)])?;
    let replay =
        step("move retry", l.engine.reschedule_lesson(s(1).with_key("m1"), lesson, slot, utc(2030, 3, 18, 10, 0)))?;
    ensure(replay.replayed && replay.value == moved.value && replay.events == moved.events, || {
        "move replayed".to_owned()
    })?;
    ensure(l.calendars(&[teacher(1), student(1)])? == before, || "a replayed move changed nothing".to_owned())?;
    expect_error(
        "request_key_reused",
        "same key, other time",
        l.engine.reschedule_lesson(s(1).with_key("m1"), lesson, slot, utc(2030, 3, 25, 10, 0)),
    )
}

/// A small deterministic generator for [`listings_match_bookings`].
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn rules(&mut self, sparse: bool) -> SchedulingRules {
        let mut r = SchedulingRules::default();
        let maybe = |rng: &mut Self, options: &[u32]| {
            if rng.below(if sparse { 4 } else { 2 }) == 0 { Some(rng.pick(options)) } else { None }
        };
        r.min_notice_minutes = maybe(self, &[0, 120, 24 * 60, 3 * 24 * 60]);
        r.max_advance_days = maybe(self, &[4, 9, 15]).filter(|d| r.min_notice_minutes.is_none_or(|n| n <= d * 24 * 60));
        r.buffer_before_minutes = maybe(self, &[0, 10, 30]);
        r.buffer_after_minutes = maybe(self, &[0, 15, 45]);
        r.max_lessons_per_day = maybe(self, &[1, 2]);
        r.max_lessons_per_week = maybe(self, &[2, 4]);
        r.max_upcoming_lessons_per_student = maybe(self, &[1, 2]);
        r
    }
}

/// Listings leave out exactly what cannot be booked: on random calendars (slots in three
/// zones with random rules at every level, time off, group sessions, other students' lessons,
/// courses the viewer is and is not enrolled in), every listed occurrence can be booked, and
/// booking any occurrence a slot produces in the window that is not listed is refused and
/// changes nothing.
pub(crate) fn listings_match_bookings(f: StoreFactory<'_>) -> Result<(), String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Why unlisted occurrences were refused, over all rounds, and how many listed ones booked.
    let mut refusals = BTreeSet::new();
    let mut booked_listed = 0;
    for round in 0..6 {
        let l = Lessons::new(f);
        let viewer = student(1);
        for c in [course(1), course(2)] {
            l.host.enroll(viewer, c);
            l.host.enroll(student(2), c);
            l.host.enroll(student(3), c);
        }
        l.host.set_course_approval(course(2), Some(true));
        let r = rng.rules(false);
        l.set_rules(teacher(1), None, r)?;
        let r = rng.rules(false);
        l.set_rules(teacher(1), Some(course(1)), r)?;
        let zones = ["UTC", "Europe/Berlin", "America/New_York"];
        let weekdays = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat];
        for _ in 0..(5 + rng.below(4)) {
            let h = 7 + rng.below(10) as u32;
            let m = rng.pick(&[0, 15, 30, 45]);
            let length = rng.pick(&[30u32, 45, 60, 90]);
            let end = h * 60 + m + length;
            let course_id = rng.pick(&[None, Some(course(1)), Some(course(2)), Some(course(3))]);
            let mut spec = weekly(course_id, rng.pick(&zones), rng.pick(&weekdays), (h, m), (end / 60, end % 60));
            spec.rules = rng.rules(true);
            spec.active = rng.below(8) != 0;
            l.publish(teacher(1), spec)?;
        }
        for _ in 0..rng.below(3) {
            let first = t0().date_naive() + TimeDelta::days(rng.below(20) as i64);
            let last = first + TimeDelta::days(rng.below(3) as i64);
            let spec =
                TimeOffSpec { first_day: first, last_day: last, time_zone: rng.pick(&zones).to_owned(), note: None };
            step("time off", l.engine.add_time_off(t(1), teacher(1), spec))?;
        }
        for _ in 0..rng.below(3) {
            let starts_at = t0() + TimeDelta::hours(2 + rng.below(20 * 24) as i64);
            let session = crate::NewGroupSession { starts_at, ..new_session(teacher(1), 3, false) };
            // Refused when it falls on a lesson; that is fine here.
            let _ = l.engine.create_session(t(1), session);
        }
        // Other students' lessons (some pending), booked from the teacher's own view.
        let all = step("teacher's view", l.engine.list_occurrences(&query(teacher(1), None, 21)))?;
        for _ in 0..rng.below(6) {
            if all.is_empty() {
                break;
            }
            let o = &all[rng.below(all.len() as u64) as usize];
            let who = rng.pick(&[2, 3]);
            let _ = l.engine.book_lesson(s(who), o.slot_id, o.starts_at, student(who));
        }
        // The viewer already holds lessons now and then (for the per-student limit).
        if rng.below(2) == 0 {
            let listed = step("list", l.engine.list_occurrences(&query(teacher(1), Some(viewer), 21)))?;
            if let Some(o) = listed.last() {
                step("the viewer's own lesson", l.engine.book_lesson(s(1), o.slot_id, o.starts_at, viewer))?;
            }
        }
        let listed = step("list", l.engine.list_occurrences(&query(teacher(1), Some(viewer), 21)))?;
        let listed_set: BTreeSet<_> = listed.iter().map(|o| (o.starts_at, o.slot_id)).collect();
        let calendar = step("calendar", l.engine.calendar(Actor::System, teacher(1)))?;
        let (from, to) = (t0() + TimeDelta::seconds(1), t0() + TimeDelta::days(21));
        let mut produced = 0;
        for slot in &calendar.slots {
            for o in step("occurrences", occurrences(slot, from, to))? {
                produced += 1;
                let key = (o.starts_at, slot.id);
                let before = l.calendars(&[teacher(1), viewer])?;
                let result = l.engine.book_lesson(s(1), slot.id, o.starts_at, viewer);
                match (listed_set.contains(&key), result) {
                    (true, Ok(booked)) => {
                        booked_listed += 1;
                        step("cancel it again", l.engine.cancel_lesson(Actor::Admin(admin(1)), booked.value.id))?;
                    }
                    (true, Err(e)) => {
                        return Err(format!("round {round}: listed {key:?} but booking it failed: {} ({e})", e.code()));
                    }
                    (false, Ok(booked)) => {
                        return Err(format!(
                            "round {round}: {key:?} was not listed but could be booked: {:?}",
                            booked.value
                        ));
                    }
                    (false, Err(e)) => {
                        refusals.insert(e.code().as_str());
                        ensure(l.calendars(&[teacher(1), viewer])? == before, || {
                            format!("round {round}: a refused booking of {key:?} changed a calendar")
                        })?
                    }
                }
            }
        }
        ensure(produced > 0, || format!("round {round}: the random calendar produced nothing"))?;
    }
    // The generator must reach the rules it is about (a fixed seed: this is deterministic).
    let expected =
        ["limit_reached", "not_enrolled", "occurrence_not_offered", "outside_booking_window", "slot_unavailable"];
    ensure(booked_listed > 0 && expected.iter().all(|c| refusals.contains(c)), || {
        format!("the random calendars reached too little: {booked_listed} listed bookings, refusals {refusals:?}")
    })
}
