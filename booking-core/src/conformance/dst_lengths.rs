//! Lessons on the days the clocks change: each lasts its slot's wall-clock length, and the
//! listing, the booking, the calendars' holds and the iCalendar export agree (see
//! [clock changes](crate::time#clock-changes)).

use super::harness::{StoreFactory, ensure, ensure_eq, step, student, teacher};
use super::lesson_scenarios::{Lessons, local, one_time, utc, weekly};
use crate::Actor;
use crate::lesson::{OccurrenceQuery, SlotSpec};
use chrono::{DateTime, Datelike, NaiveDateTime, TimeDelta, Utc};

/// A slot on a clock-change day of 2030 and the occurrence it must give.
struct Case {
    what: &'static str,
    slot: SlotSpec,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
}

/// A weekly slot from `start` to `end` (wall times) on the weekday of `start`, in `zone`.
fn weekly_from(zone: &str, start: NaiveDateTime, end: NaiveDateTime) -> SlotSpec {
    let hm = |t: NaiveDateTime| (chrono::Timelike::hour(&t), chrono::Timelike::minute(&t));
    weekly(None, zone, start.weekday(), hm(start), hm(end))
}

fn cases() -> Vec<Case> {
    let case = |what, slot, starts_at, ends_at| Case { what, slot, starts_at, ends_at };
    vec![
        // New York jumps from 02:00 to 03:00 on Sunday 10 March 2030: 02:30 is 03:30 EDT.
        case(
            "New York, weekly 02:30-03:30 on the spring day",
            weekly_from("America/New_York", local(2030, 3, 10, 2, 30), local(2030, 3, 10, 3, 30)),
            utc(2030, 3, 10, 7, 30),
            utc(2030, 3, 10, 8, 30),
        ),
        case(
            "New York, once 02:30-04:00 on the spring day",
            one_time("America/New_York", local(2030, 3, 10, 2, 30), local(2030, 3, 10, 4, 0)),
            utc(2030, 3, 10, 7, 30),
            utc(2030, 3, 10, 9, 0),
        ),
        // It falls back from 02:00 to 01:00 on Sunday 3 November 2030: 01:30 is first EDT.
        case(
            "New York, weekly 01:30-02:30 on the autumn day",
            weekly_from("America/New_York", local(2030, 11, 3, 1, 30), local(2030, 11, 3, 2, 30)),
            utc(2030, 11, 3, 5, 30),
            utc(2030, 11, 3, 6, 30),
        ),
        // Sydney falls back from 03:00 to 02:00 on Sunday 7 April 2030.
        case(
            "Sydney, weekly 02:30-03:30 on the autumn day",
            weekly_from("Australia/Sydney", local(2030, 4, 7, 2, 30), local(2030, 4, 7, 3, 30)),
            utc(2030, 4, 6, 15, 30),
            utc(2030, 4, 6, 16, 30),
        ),
        // Havana jumps from 00:00 to 01:00 on Sunday 10 March 2030.
        case(
            "Havana, weekly 00:30-01:30 on the spring day (a change at midnight)",
            weekly_from("America/Havana", local(2030, 3, 10, 0, 30), local(2030, 3, 10, 1, 30)),
            utc(2030, 3, 10, 5, 30),
            utc(2030, 3, 10, 6, 30),
        ),
        // Lord Howe Island jumps from 02:00 to 02:30 on Sunday 6 October 2030.
        case(
            "Lord Howe, weekly 02:15-03:15 on the spring day (a 30-minute change)",
            weekly_from("Australia/Lord_Howe", local(2030, 10, 6, 2, 15), local(2030, 10, 6, 3, 15)),
            utc(2030, 10, 5, 15, 45),
            utc(2030, 10, 5, 16, 45),
        ),
        case(
            "Lord Howe, once 01:30-02:30 on the autumn day",
            one_time("Australia/Lord_Howe", local(2030, 4, 7, 1, 30), local(2030, 4, 7, 2, 30)),
            utc(2030, 4, 6, 14, 30),
            utc(2030, 4, 6, 15, 30),
        ),
    ]
}

/// The value of the first `name` property of an iCalendar file.
fn ical_value(ics: &str, name: &str) -> Option<String> {
    let prefix = format!("{name}:");
    ics.replace("\r\n ", "").split("\r\n").find_map(|l| l.strip_prefix(&prefix).map(str::to_owned))
}

/// Books each case's occurrence and checks it lasts the slot's length in the listing, the
/// lesson, both calendars' holds and the export.
pub(crate) fn dst_occurrence_lengths(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    for (n, case) in (1u32..).zip(cases()) {
        let what = case.what;
        let (tutor, learner) = (teacher(n), student(n));
        // The table itself: each occurrence lasts the slot's wall-clock length.
        ensure_eq(case.ends_at - case.starts_at, case.slot.recurrence.length(), what)?;
        let slot = l.publish(tutor, case.slot)?;
        let query = OccurrenceQuery {
            teacher_id: tutor,
            course_id: None,
            student_id: Some(learner),
            from: case.starts_at - TimeDelta::days(1),
            to: case.starts_at + TimeDelta::days(1),
            time_zone: None,
        };
        let listed: Vec<_> = step("list", l.engine.list_occurrences(&query))?
            .into_iter()
            .map(|o| (o.slot_id, o.starts_at, o.ends_at))
            .collect();
        ensure_eq(listed, vec![(slot, case.starts_at, case.ends_at)], &format!("{what}: listed"))?;
        let lesson = step(what, l.engine.book_lesson(Actor::Student(learner), slot, case.starts_at, learner))?.value;
        ensure_eq((lesson.starts_at, lesson.ends_at), (case.starts_at, case.ends_at), &format!("{what}: booked"))?;
        for owner in [tutor, learner] {
            let calendar = step("load calendar", l.engine.calendar(Actor::System, owner))?;
            let hold = calendar.holds.iter().find(|h| h.booking_id == lesson.id).map(|h| (h.starts_at, h.ends_at));
            ensure_eq(hold, Some((case.starts_at, case.ends_at)), &format!("{what}: the hold in {owner}'s calendar"))?;
        }
        let ics = step("export", l.engine.booking_ical(Actor::System, lesson.id))?;
        let stamp = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
        ensure_eq(
            (ical_value(&ics, "DTSTART"), ical_value(&ics, "DTEND")),
            (Some(stamp(case.starts_at)), Some(stamp(case.ends_at))),
            &format!("{what}: exported"),
        )?;
        ensure(l.engine.lesson(Actor::System, lesson.id).is_ok_and(|stored| *stored == *lesson), || {
            format!("{what}: stored")
        })?;
    }
    Ok(())
}
