use super::*;
use chrono::{NaiveTime, TimeDelta, TimeZone, Weekday};

const T: u128 = 1;

fn user(n: u128) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128(n))
}

/// Monday 7 January 2030 at `h:m` UTC, plus `weeks`.
fn monday(weeks: i64, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 7, h, m, 0).unwrap() + TimeDelta::weeks(weeks)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 9, 0, 0).unwrap()
}

fn ctx(actor: Actor, n: u128) -> DecisionContext {
    DecisionContext { actor, now: now(), fresh_id: uuid::Uuid::from_u128(1000 + n) }
}

fn slot(
    n: u128,
    course: Option<CourseId>,
    start: (u32, u32),
    minutes: i64,
    rules: SchedulingRules,
) -> AvailabilitySlot {
    let start_time = NaiveTime::from_hms_opt(start.0, start.1, 0).unwrap();
    AvailabilitySlot {
        id: SlotId::from_uuid(uuid::Uuid::from_u128(100 + n)),
        teacher_id: user(T),
        course_id: course,
        time_zone: Tz::UTC,
        recurrence: SlotRecurrence::Weekly {
            weekday: Weekday::Mon,
            start_time,
            end_time: start_time + TimeDelta::minutes(minutes),
            valid_from: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
            valid_until: None,
        },
        active: true,
        rules,
    }
}

fn teacher(rules: SchedulingRules, slots: Vec<AvailabilitySlot>) -> Calendar {
    Calendar { rules, slots, ..Calendar::new(user(T)) }
}

fn access() -> CourseAccess {
    CourseAccess { enrolled: true, approval: ApprovalSettings::default() }
}

/// Books for student `s` at `at` and returns the calendars after it and the lesson.
fn book(
    t: &Calendar,
    st: &Calendar,
    slot: usize,
    at: DateTime<Utc>,
    n: u128,
) -> Result<(Calendar, Calendar, Lesson), BookingError> {
    let c = ctx(Actor::Student(st.owner), n);
    let b = BookingContext { decision: &c, access: access(), links: None };
    let d = book_lesson(t, st, &b, t.slots[slot].id, at, st.owner)?;
    Ok((d.calendars[0].clone(), d.calendars[1].clone(), d.lessons[0].clone()))
}

#[test]
fn buffers_keep_a_gap_in_the_teachers_calendar_only() {
    let rules =
        SchedulingRules { buffer_before_minutes: Some(10), buffer_after_minutes: Some(15), ..Default::default() };
    let t = teacher(
        rules,
        vec![
            slot(1, None, (10, 0), 60, SchedulingRules::default()),
            slot(2, None, (11, 0), 60, SchedulingRules::default()),
            slot(3, None, (11, 25), 60, SchedulingRules::default()),
        ],
    );
    let (t, s1, lesson) = book(&t, &Calendar::new(user(11)), 0, monday(0, 10, 0), 1).unwrap();
    assert_eq!(lesson.rules, rules);
    assert_eq!((t.holds[0].busy_from, t.holds[0].busy_until), (monday(0, 9, 50), monday(0, 11, 15)));
    assert_eq!((s1.holds[0].busy_from, s1.holds[0].busy_until), (monday(0, 10, 0), monday(0, 11, 0)));
    let refused = book(&t, &Calendar::new(user(12)), 1, monday(0, 11, 0), 2).unwrap_err();
    assert_eq!(refused.code().as_str(), "slot_unavailable");
    assert!(book(&t, &Calendar::new(user(12)), 2, monday(0, 11, 25), 3).is_ok());
}

#[test]
fn the_window_time_off_and_checks_come_in_order() {
    let rules =
        SchedulingRules { min_notice_minutes: Some(7 * 24 * 60), max_advance_days: Some(21), ..Default::default() };
    let mut t = teacher(rules, vec![slot(1, None, (10, 0), 60, SchedulingRules::default())]);
    let s = Calendar::new(user(11));
    // 6 days ahead: inside the notice; 4 weeks ahead: beyond the advance.
    assert_eq!(book(&t, &s, 0, monday(0, 10, 0), 1).unwrap_err().code().as_str(), "outside_booking_window");
    assert_eq!(book(&t, &s, 0, monday(3, 10, 0), 1).unwrap_err().code().as_str(), "outside_booking_window");
    t.time_off.push(TimeOff {
        id: crate::TimeOffId::from_uuid(uuid::Uuid::from_u128(5)),
        teacher_id: user(T),
        first_day: NaiveDate::from_ymd_opt(2030, 1, 14).unwrap(),
        last_day: NaiveDate::from_ymd_opt(2030, 1, 14).unwrap(),
        time_zone: Tz::UTC,
        note: None,
    });
    assert_eq!(book(&t, &s, 0, monday(1, 10, 0), 1).unwrap_err().code().as_str(), "occurrence_not_offered");
    assert!(book(&t, &s, 0, monday(2, 10, 0), 1).is_ok());
    // The window is checked before the time off, and both before the overlaps.
    assert_eq!(book(&t, &s, 0, monday(0, 10, 0), 1).unwrap_err().code().as_str(), "outside_booking_window");
}

#[test]
fn limits_count_pending_lessons_and_the_series_own() {
    let course = CourseId::from_uuid(uuid::Uuid::from_u128(77));
    let rules = SchedulingRules {
        max_lessons_per_day: Some(1),
        max_upcoming_lessons_per_student: Some(2),
        ..Default::default()
    };
    let t = teacher(
        rules,
        vec![
            slot(1, Some(course), (10, 0), 60, SchedulingRules::default()),
            slot(2, Some(course), (12, 0), 60, SchedulingRules::default()),
        ],
    );
    let s = Calendar::new(user(11));
    let (t, s, _) = book(&t, &s, 0, monday(0, 10, 0), 1).unwrap();
    match book(&t, &Calendar::new(user(12)), 1, monday(0, 12, 0), 2) {
        Err(BookingError::LimitReached { max: 1, .. }) => {}
        other => panic!("expected the per-day limit, got {other:?}"),
    }
    // The student holds one lesson of the course: a series of three books one more.
    let c = ctx(Actor::Student(user(11)), 3);
    let b = BookingContext { decision: &c, access: access(), links: None };
    let request = SeriesRequest {
        slot_id: t.slots[1].id,
        student_id: user(11),
        first_starts_at: monday(1, 12, 0),
        every_weeks: 1,
        end: SeriesEnd::Count(3),
        mode: SeriesMode::BookAvailable,
    };
    let mut n = 0;
    let d = book_series(&t, &s, &b, &request, || {
        n += 1;
        BookingId::from_uuid(uuid::Uuid::from_u128(500 + n))
    })
    .unwrap();
    assert_eq!(d.lessons.len(), 1);
    assert_eq!(d.skipped.iter().map(|k| k.reason.code().as_str()).collect::<Vec<_>>(), ["limit_reached"; 2]);
}

#[test]
fn reschedule_moves_atomically_and_records_overrides() {
    let rules = SchedulingRules { reschedule_cutoff_minutes: Some(10 * 24 * 60), ..Default::default() };
    let t = teacher(rules, vec![slot(1, None, (10, 0), 60, SchedulingRules::default())]);
    let (t, s, lesson) = book(&t, &Calendar::new(user(11)), 0, monday(2, 10, 0), 1).unwrap();
    let to = |who: Actor, at| {
        let c = ctx(who, 9);
        let b = BookingContext { decision: &c, access: access(), links: None };
        reschedule(&t, &s, &b, &lesson, t.slots[0].id, at)
    };
    // The lesson starts 20 days ahead, outside its student's 10-day cut-off.
    let d = to(Actor::Student(user(11)), monday(3, 10, 0)).unwrap();
    assert!(matches!(d.events[0].kind, EventKind::LessonRescheduled { cutoff_overridden: false, .. }));
    assert_eq!((d.lessons[0].starts_at, d.lessons[0].id), (monday(3, 10, 0), lesson.id));
    for c in &d.calendars {
        assert_eq!(c.holds.iter().map(|h| h.starts_at).collect::<Vec<_>>(), [monday(3, 10, 0)]);
    }
    // The same time: no event.
    assert!(to(Actor::Student(user(11)), monday(2, 10, 0)).unwrap().events.is_empty());
    // A lesson a week away is within the cut-off for its student, not for its teacher.
    let (t2, s2, near) = book(&t, &Calendar::new(user(12)), 0, monday(0, 10, 0), 2).unwrap();
    let c = ctx(Actor::Student(user(12)), 9);
    let b = BookingContext { decision: &c, access: access(), links: None };
    let refused = reschedule(&t2, &s2, &b, &near, t.slots[0].id, monday(1, 10, 0)).unwrap_err();
    assert_eq!(refused.code().as_str(), "cutoff_passed");
    let c = ctx(Actor::Teacher(user(T)), 9);
    let b = BookingContext { decision: &c, access: access(), links: None };
    let d = reschedule(&t2, &s2, &b, &near, t.slots[0].id, monday(1, 10, 0)).unwrap();
    assert!(matches!(d.events[0].kind, EventKind::LessonRescheduled { cutoff_overridden: true, .. }));
}

#[test]
fn cancellation_cutoff_binds_students_only() {
    let rules = SchedulingRules { cancel_cutoff_minutes: Some(10 * 24 * 60), ..Default::default() };
    let t = teacher(rules, vec![slot(1, None, (10, 0), 60, SchedulingRules::default())]);
    let (t, s, lesson) = book(&t, &Calendar::new(user(11)), 0, monday(0, 10, 0), 1).unwrap();
    let refused = cancel(&t, &s, &ctx(Actor::Student(user(11)), 2), &lesson, &[]).unwrap_err();
    assert_eq!(refused.code().as_str(), "cutoff_passed");
    let d = cancel(&t, &s, &ctx(Actor::Teacher(user(T)), 2), &lesson, &[]).unwrap();
    assert!(matches!(d.events[0].kind, EventKind::LessonCancelled { cutoff_overridden: true, .. }));
}

#[test]
fn without_a_reschedule_cutoff_the_cancellation_cutoff_governs_moves() {
    let rules = SchedulingRules { cancel_cutoff_minutes: Some(10 * 24 * 60), ..Default::default() };
    let t = teacher(rules, vec![slot(1, None, (10, 0), 60, SchedulingRules::default())]);
    let (t, s, lesson) = book(&t, &Calendar::new(user(11)), 0, monday(0, 10, 0), 1).unwrap();
    let to = |who: Actor, lesson: &Lesson| {
        let c = ctx(who, 2);
        let b = BookingContext { decision: &c, access: access(), links: None };
        reschedule(&t, &s, &b, lesson, t.slots[0].id, monday(2, 10, 0))
    };
    let refused = to(Actor::Student(user(11)), &lesson).unwrap_err();
    assert!(matches!(&refused, BookingError::CutoffPassed { action, .. } if action == "rescheduled"), "{refused}");
    let d = to(Actor::Teacher(user(T)), &lesson).unwrap();
    assert!(matches!(d.events[0].kind, EventKind::LessonRescheduled { cutoff_overridden: true, .. }));
    // An explicit reschedule cut-off, even a shorter one, governs moves alone.
    let late =
        Lesson { rules: SchedulingRules { reschedule_cutoff_minutes: Some(60), ..lesson.rules }, ..lesson.clone() };
    let d = to(Actor::Student(user(11)), &late).unwrap();
    assert!(matches!(d.events[0].kind, EventKind::LessonRescheduled { cutoff_overridden: false, .. }));
}

#[test]
fn listings_leave_out_what_the_rules_forbid() {
    let rules = SchedulingRules { max_lessons_per_week: Some(1), buffer_after_minutes: Some(30), ..Default::default() };
    let t = teacher(
        rules,
        vec![
            slot(1, None, (10, 0), 60, SchedulingRules::default()),
            slot(2, None, (11, 15), 30, SchedulingRules::default()),
        ],
    );
    let (t, _, _) = book(&t, &Calendar::new(user(11)), 0, monday(1, 10, 0), 1).unwrap();
    let query = OccurrenceQuery {
        teacher_id: user(T),
        course_id: None,
        student_id: Some(user(12)),
        from: now(),
        to: now() + TimeDelta::days(21),
        time_zone: None,
    };
    let listed: Vec<_> = bookable_occurrences(&t, None, &query, now(), &mut |_| Ok(true))
        .unwrap()
        .into_iter()
        .map(|o| o.starts_at)
        .collect();
    // Week 1 is full (and its 11:15 is in the buffer anyway); weeks 0 and 2 offer both.
    assert_eq!(listed, [monday(0, 10, 0), monday(0, 11, 15), monday(2, 10, 0), monday(2, 11, 15)]);
}
