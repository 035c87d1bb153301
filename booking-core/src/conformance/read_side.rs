//! The read side ([`crate::read`]): every query pages through exactly what the stored
//! aggregates say, in the core's order, whatever the page size; access is checked; and the
//! outbox holds exactly the committed events, in commit order, across concurrent writers.

use super::harness::{StoreFactory, admin, ensure, ensure_eq, expect_error, new_session, step, student, t0, teacher};
use super::lesson_scenarios::{Lessons, course, utc, weekly};
use crate::read::{
    AgendaKind, AgendaStatus, ApprovalRequest, Page, PageRequest, PageToken, Roster, StartingItem, StudentAgendaItem,
    TeacherAgendaItem,
};
use crate::{
    Actor, BookingError, BookingId, EventKind, GroupSession, NewGroupSession, SessionId, UserId, WaitlistMode,
    lesson::Lesson,
};
use chrono::{DateTime, TimeDelta, Utc, Weekday};
use std::collections::HashMap;
use std::sync::Arc;

/// `result` is refused with `code`.
fn refused<T: std::fmt::Debug>(result: Result<T, BookingError>, code: &str, what: &str) -> Result<(), String> {
    expect_error(code, what, result)
}

/// Every page of a list, concatenated, asking `limit` at a time; checks that no page is longer
/// than asked and that the list ends.
fn all_pages<T>(
    limit: u32,
    mut page: impl FnMut(&PageRequest) -> Result<Page<T>, BookingError>,
) -> Result<Vec<T>, String> {
    let mut request = PageRequest::first(limit);
    let mut all = Vec::new();
    for _ in 0..10_000 {
        let got = step("read a page", page(&request))?;
        ensure(got.items.len() <= limit as usize, || {
            format!("a page of {} items for a limit of {limit}", got.items.len())
        })?;
        all.extend(got.items);
        match got.next {
            Some(token) => request = PageRequest::after(token, limit),
            None => return Ok(all),
        }
    }
    Err("the pages never end".to_owned())
}

/// What a scenario made: every session and lesson, by id.
struct Made {
    sessions: Vec<SessionId>,
    lessons: Vec<BookingId>,
}

impl Made {
    fn sessions(&self, l: &Lessons) -> Result<Vec<Arc<GroupSession>>, String> {
        self.sessions.iter().map(|id| step("load a session", l.engine.session(Actor::System, *id))).collect()
    }

    fn lessons(&self, l: &Lessons) -> Result<Vec<Arc<Lesson>>, String> {
        self.lessons.iter().map(|id| step("load a lesson", l.engine.lesson(Actor::System, *id))).collect()
    }
}

/// Two teachers' sessions (seats, a waitlist, offers, a cancelled one) and lessons (with and
/// without approval, a series, declined, cancelled, rescheduled), four students.
fn scenario(l: &Lessons) -> Result<Made, String> {
    let mut made = Made { sessions: Vec::new(), lessons: Vec::new() };
    for (n, t) in [(0u32, teacher(1)), (1, teacher(1)), (2, teacher(2)), (3, teacher(1)), (4, teacher(2))] {
        let new = NewGroupSession {
            teacher_id: t,
            course_id: None,
            title: format!("Session {n}"),
            starts_at: t0() + TimeDelta::days(2) + TimeDelta::hours(i64::from(n) * 5),
            time_zone: "Europe/Berlin".into(),
            duration_minutes: 60,
            meeting_link: format!("https://meet.example.com/s{n}"),
            capacity: 2,
            waitlist_enabled: true,
            waitlist_mode: if n == 1 { WaitlistMode::Offer { hold_minutes: 60 } } else { WaitlistMode::Promote },
            rules: Default::default(),
        };
        let session = step("create a session", l.engine.create_session(Actor::Teacher(t), new))?.value;
        made.sessions.push(session.id);
    }
    // Session 0 and 1: full with two waiting; someone cancels.
    for s in [0usize, 1] {
        let mut seats = Vec::new();
        for k in 1..=4 {
            let b = step("book", l.engine.book_seat(Actor::Student(student(k)), made.sessions[s], student(k)))?.value;
            seats.push(b.id);
        }
        step("cancel a seat", l.engine.cancel_booking(Actor::Student(student(1)), seats[0]))?;
    }
    // Session 2: one seat, then cancelled whole.
    step("book", l.engine.book_seat(Actor::Student(student(2)), made.sessions[2], student(2)))?;
    step("cancel the session", l.engine.cancel_session(Actor::Teacher(teacher(2)), made.sessions[2]))?;
    // Session 3: one booking; session 4: none.
    step("book", l.engine.book_seat(Actor::Student(student(3)), made.sessions[3], student(3)))?;

    // Lessons: teacher 1's Monday slot needs approval (course 1); teacher 2's Tuesday slot not.
    l.host.set_course_approval(course(1), Some(true));
    for k in 1..=4 {
        l.host.enroll(student(k), course(1));
    }
    let approval = l.publish(teacher(1), weekly(Some(course(1)), "Europe/Berlin", Weekday::Mon, (14, 0), (15, 0)))?;
    let direct = l.publish(teacher(2), weekly(None, "America/New_York", Weekday::Tue, (9, 0), (10, 0)))?;
    let mondays = [utc(2030, 3, 11, 13, 0), utc(2030, 3, 18, 13, 0), utc(2030, 3, 25, 13, 0), utc(2030, 4, 1, 12, 0)];
    for (k, at) in mondays.iter().enumerate() {
        l.clock.advance(TimeDelta::minutes(1)); // distinct request instants
        let who = student(1 + (k as u32 % 3));
        let lesson = step("request a lesson", l.engine.book_lesson(Actor::Student(who), approval, *at, who))?.value;
        made.lessons.push(lesson.id);
    }
    step("approve one", l.engine.approve_lesson(Actor::Teacher(teacher(1)), made.lessons[1], None))?;
    step("decline one", l.engine.decline_lesson(Actor::Teacher(teacher(1)), made.lessons[2], Some("no".into())))?;
    let tuesdays = [utc(2030, 3, 12, 13, 0), utc(2030, 3, 19, 13, 0), utc(2030, 3, 26, 13, 0)];
    for at in tuesdays {
        let lesson =
            step("book a lesson", l.engine.book_lesson(Actor::Student(student(4)), direct, at, student(4)))?.value;
        made.lessons.push(lesson.id);
    }
    step("cancel one", l.engine.cancel_lesson(Actor::Student(student(4)), made.lessons[5]))?;
    step(
        "reschedule one a week later",
        l.engine.reschedule_lesson(Actor::Student(student(4)), made.lessons[6], direct, utc(2030, 4, 2, 13, 0)),
    )?;
    Ok(made)
}

fn by_start<T>(mut items: Vec<(DateTime<Utc>, uuid::Uuid, T)>) -> Vec<T> {
    items.sort_by_key(|(at, id, _)| (*at, *id));
    items.into_iter().map(|(_, _, item)| item).collect()
}

/// Each query, paged 1, 2, 3 and 500 at a time, lists exactly what the stored aggregates
/// say, in the core's order: every student's and teacher's agenda over several windows, the
/// approval queues, what starts, and each roster.
pub(crate) fn queries_list_what_is_stored(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let made = scenario(&l)?;
    let sessions = made.sessions(&l)?;
    let lessons = made.lessons(&l)?;
    let windows = [
        (t0(), t0() + TimeDelta::days(60)),
        (t0() + TimeDelta::days(2), t0() + TimeDelta::days(2) + TimeDelta::hours(10)),
        (utc(2030, 3, 18, 13, 0), utc(2030, 3, 26, 13, 0)),
        (t0() - TimeDelta::days(30), t0()),
    ];
    for limit in [1u32, 2, 3, 500] {
        for (from, to) in windows {
            let inside = |at: DateTime<Utc>| from <= at && at < to;
            for k in 1..=5 {
                let who = student(k);
                let mut expected = Vec::new();
                for s in &sessions {
                    if let Some(item) = StudentAgendaItem::of_seat(s, who).filter(|i| inside(i.starts_at)) {
                        expected.push((s.starts_at, s.id.as_uuid(), item));
                    }
                }
                for lesson in lessons.iter().filter(|x| x.student_id == who && inside(x.starts_at)) {
                    expected.push((lesson.starts_at, lesson.id.as_uuid(), StudentAgendaItem::of_lesson(lesson)));
                }
                let expected = by_start(expected);
                let got = all_pages(limit, |p| l.engine.student_agenda(Actor::Student(who), who, from, to, &[], p))?;
                ensure_eq(&got, &expected, &format!("student {k}'s agenda in [{from}, {to}), {limit} a page"))?;
                for wanted in [AgendaStatus::Waitlisted, AgendaStatus::Confirmed, AgendaStatus::PendingApproval] {
                    let filtered: Vec<_> = expected.iter().filter(|i| i.status == wanted).cloned().collect();
                    let got =
                        all_pages(limit, |p| l.engine.student_agenda(Actor::System, who, from, to, &[wanted], p))?;
                    ensure_eq(got, filtered, &format!("student {k}'s {} items", wanted.as_str()))?;
                }
            }
            for t in [teacher(1), teacher(2), teacher(3)] {
                let mut expected = Vec::new();
                for s in sessions.iter().filter(|s| s.teacher_id == t && inside(s.starts_at)) {
                    expected.push((s.starts_at, s.id.as_uuid(), TeacherAgendaItem::of_session(s)));
                }
                for x in lessons.iter().filter(|x| x.teacher_id == t && inside(x.starts_at)) {
                    expected.push((x.starts_at, x.id.as_uuid(), TeacherAgendaItem::of_lesson(x)));
                }
                let got = all_pages(limit, |p| l.engine.teacher_agenda(Actor::Teacher(t), t, from, to, p))?;
                ensure_eq(got, by_start(expected), &format!("teacher {t}'s agenda in [{from}, {to}), {limit} a page"))?;
            }
            let mut expected = Vec::new();
            for s in &sessions {
                if let Some(item) = StartingItem::of_session(s).filter(|i| inside(i.starts_at)) {
                    expected.push((s.starts_at, s.id.as_uuid(), item));
                }
            }
            for x in &lessons {
                if let Some(item) = StartingItem::of_lesson(x).filter(|i| inside(i.starts_at)) {
                    expected.push((x.starts_at, x.id.as_uuid(), item));
                }
            }
            let got = all_pages(limit, |p| l.engine.starting_between(Actor::System, from, to, p))?;
            ensure_eq(got, by_start(expected), &format!("what starts in [{from}, {to}), {limit} a page"))?;
        }
        for t in [teacher(1), teacher(2)] {
            let expected = by_start(
                lessons
                    .iter()
                    .filter(|x| x.teacher_id == t)
                    .filter_map(|x| ApprovalRequest::of_lesson(x).map(|r| (x.requested_at, x.id.as_uuid(), r)))
                    .collect(),
            );
            let got = all_pages(limit, |p| l.engine.approval_queue(Actor::Teacher(t), t, p))?;
            ensure_eq(got, expected, &format!("teacher {t}'s approval queue, {limit} a page"))?;
        }
        for s in &sessions {
            let expected = Roster::entries_of(s, None);
            let got = all_pages(limit, |p| l.engine.roster(Actor::Teacher(s.teacher_id), s.id, p).map(|r| r.entries))?;
            ensure_eq(got, expected, &format!("the roster of session {}, {limit} a page", s.id))?;
        }
    }
    // The scenario's shape, so that the comparisons above compare something.
    let shape = |who: UserId| -> Result<Vec<(AgendaKind, AgendaStatus, Option<u32>)>, String> {
        let window = (t0(), t0() + TimeDelta::days(60));
        let agenda = step(
            "an agenda",
            l.engine.student_agenda(Actor::Student(who), who, window.0, window.1, &[], &PageRequest::first(50)),
        )?;
        Ok(agenda.items.iter().map(|i| (i.kind, i.status, i.waitlist_position)).collect())
    };
    let (first, third, fourth) = (shape(student(1))?, shape(student(3))?, shape(student(4))?);
    ensure(fourth.contains(&(AgendaKind::Session, AgendaStatus::Waitlisted, Some(1))), || {
        format!("student 4 waits first: {fourth:?}")
    })?;
    ensure(third.contains(&(AgendaKind::Session, AgendaStatus::Offered, None)), || {
        format!("student 3 holds an offer in session 1: {third:?}")
    })?;
    ensure(first.contains(&(AgendaKind::Lesson, AgendaStatus::PendingApproval, None)), || {
        format!("student 1 waits for an approval: {first:?}")
    })?;
    ensure(third.contains(&(AgendaKind::Lesson, AgendaStatus::Declined, None)), || {
        format!("student 3's lesson was declined: {third:?}")
    })?;
    let queue = step(
        "teacher 1's queue",
        l.engine.approval_queue(Actor::Teacher(teacher(1)), teacher(1), &PageRequest::first(50)),
    )?;
    ensure_eq(
        queue.items.iter().map(|r| r.booking_id).collect::<Vec<_>>(),
        vec![made.lessons[0], made.lessons[3]],
        "the queue, oldest request first",
    )?;
    Ok(())
}

/// Who may read what; out-of-bounds pages, windows and tokens are `invalid_input`.
pub(crate) fn queries_check_the_reader(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let made = scenario(&l)?;
    let (from, to) = (t0(), t0() + TimeDelta::days(60));
    let page = PageRequest::first(10);
    let e = &l.engine;
    let denied = "not_authorized";
    refused(
        e.student_agenda(Actor::Student(student(2)), student(1), from, to, &[], &page),
        denied,
        "another student's agenda",
    )?;
    refused(
        e.student_agenda(Actor::Teacher(teacher(1)), student(1), from, to, &[], &page),
        denied,
        "a teacher reading a student's agenda",
    )?;
    refused(
        e.teacher_agenda(Actor::Teacher(teacher(2)), teacher(1), from, to, &page),
        denied,
        "another teacher's agenda",
    )?;
    refused(
        e.teacher_agenda(Actor::Student(student(1)), teacher(1), from, to, &page),
        denied,
        "a student reading a teacher's agenda",
    )?;
    refused(e.approval_queue(Actor::Teacher(teacher(2)), teacher(1), &page), denied, "another teacher's queue")?;
    refused(e.approval_queue(Actor::Student(student(1)), teacher(1), &page), denied, "a student reading a queue")?;
    refused(
        e.starting_between(Actor::Teacher(teacher(1)), from, to, &page),
        denied,
        "a teacher reading everything that starts",
    )?;
    refused(
        e.starting_between(Actor::Student(student(1)), from, to, &page),
        denied,
        "a student reading everything that starts",
    )?;
    refused(e.roster(Actor::Teacher(teacher(2)), made.sessions[0], &page), denied, "another teacher's roster")?;
    refused(e.outbox(Actor::Student(student(1)), 0, 10), denied, "a student reading the outbox")?;
    refused(e.outbox(Actor::Teacher(teacher(1)), 0, 10), denied, "a teacher reading the outbox")?;
    refused(e.acknowledge_outbox(Actor::Teacher(teacher(1)), u64::MAX), denied, "a teacher acknowledging the outbox")?;
    step("an admin reads an agenda", e.student_agenda(Actor::Admin(admin(1)), student(1), from, to, &[], &page))?;
    step("an admin reads a queue", e.approval_queue(Actor::Admin(admin(1)), teacher(1), &page))?;
    step("an admin reads what starts", e.starting_between(Actor::Admin(admin(1)), from, to, &page))?;

    // A student reads a roster with every other student's ids withheld.
    let session = step("session 0", e.session(Actor::System, made.sessions[0]))?;
    let full = step("the teacher's roster", e.roster(Actor::Teacher(teacher(1)), session.id, &page))?;
    let seen = step("student 3's roster", e.roster(Actor::Student(student(3)), session.id, &page))?;
    ensure_eq(seen.entries.items.len(), full.entries.items.len(), "a student sees every entry")?;
    for (theirs, all) in seen.entries.items.iter().zip(&full.entries.items) {
        let own = all.student_id == Some(student(3));
        ensure_eq(theirs.student_id.is_some(), own, "a student sees their own id only")?;
        ensure_eq(theirs.booking_id.is_some(), own, "a student sees their own booking id only")?;
        ensure_eq(
            (theirs.status, theirs.seats, theirs.waitlist_position),
            (all.status, all.seats, all.waitlist_position),
            "the entry",
        )?;
    }
    ensure_eq(
        (seen.seats_taken, seen.waitlist_length),
        (session.booked_seats(), session.waitlisted_count()),
        "counts",
    )?;

    let bad = "invalid_input";
    for limit in [0, crate::read::MAX_PAGE_SIZE + 1] {
        refused(
            e.student_agenda(Actor::Student(student(1)), student(1), from, to, &[], &PageRequest::first(limit)),
            bad,
            "a page size out of bounds",
        )?;
        refused(
            e.roster(Actor::Teacher(teacher(1)), session.id, &PageRequest::first(limit)),
            bad,
            "a roster page size out of bounds",
        )?;
        refused(e.outbox(Actor::System, 0, limit), bad, "an outbox page size out of bounds")?;
    }
    refused(
        e.teacher_agenda(Actor::Teacher(teacher(1)), teacher(1), to, from, &page),
        bad,
        "a window that ends before it starts",
    )?;
    refused(e.teacher_agenda(Actor::Teacher(teacher(1)), teacher(1), from, from, &page), bad, "an empty window")?;
    let long = from + TimeDelta::days(crate::read::MAX_WINDOW_DAYS + 1);
    refused(e.starting_between(Actor::System, from, long, &page), bad, "a window too long")?;
    for token in ["", "line\nbreak", &"x".repeat(200)] {
        ensure(PageToken::parse(token).is_err(), || format!("the token {token:?} is refused"))?;
    }
    let made_up = PageToken::parse("roster:nonsense").map_err(|e| e.to_string())?;
    refused(
        e.roster(Actor::Teacher(teacher(1)), session.id, &PageRequest::after(made_up, 5)),
        bad,
        "a roster token that is not one",
    )?;
    // A well-formed token from elsewhere lists from where it points, within the window.
    let elsewhere = PageToken::parse("9999-01-01T00:00:00.000000Z/x").map_err(|e| e.to_string())?;
    let after_all = step(
        "a token past the window",
        e.teacher_agenda(Actor::Teacher(teacher(1)), teacher(1), from, to, &PageRequest::after(elsewhere, 5)),
    )?;
    ensure_eq((after_all.items.len(), after_all.next), (0, None), "nothing after a token past the window")?;
    let before_all = PageToken::parse("0").map_err(|e| e.to_string())?;
    let got = step(
        "a token before the window",
        e.teacher_agenda(Actor::Teacher(teacher(1)), teacher(1), from, to, &PageRequest::after(before_all, 500)),
    )?;
    let plain = step(
        "the first page",
        e.teacher_agenda(Actor::Teacher(teacher(1)), teacher(1), from, to, &PageRequest::first(500)),
    )?;
    ensure_eq(got, plain, "a token before the window starts at the window")?;
    Ok(())
}

/// The outbox holds exactly the events of the commands that committed, in commit order;
/// refused commands add none; acknowledging deletes up to a position and positions are never
/// reused.
pub(crate) fn outbox_in_commit_order(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let e = &l.engine;
    let start = step("the outbox at first", e.outbox(Actor::System, 0, 500))?;
    ensure(start.is_empty(), || format!("a fresh store's outbox holds {} events", start.len()))?;
    let mut expected = Vec::new();
    let session = step("create", e.create_session(Actor::Teacher(teacher(1)), new_session(teacher(1), 1, true)))?;
    expected.extend(session.events.clone());
    let first = step("book", e.book_seat(Actor::Student(student(1)), session.value.id, student(1)))?;
    expected.extend(first.events.clone());
    // Refused: a second booking by the same student, a stranger cancelling.
    refused(
        e.book_seat(Actor::Student(student(1)), session.value.id, student(1)),
        "already_booked",
        "a second booking",
    )?;
    refused(e.cancel_booking(Actor::Student(student(9)), first.value.id), "not_authorized", "a stranger cancelling")?;
    let wait = step("wait", e.book_seat(Actor::Student(student(2)), session.value.id, student(2)))?;
    expected.extend(wait.events.clone());
    let cancel = step("cancel (promotes)", e.cancel_booking(Actor::Student(student(1)), first.value.id))?;
    expected.extend(cancel.events.clone());
    ensure(cancel.events.len() >= 2, || "a cancellation that promotes has two events".to_owned())?;

    let read = step("read the outbox", e.outbox(Actor::System, 0, 500))?;
    let events: Vec<_> = read.iter().map(|x| x.event.clone()).collect();
    ensure_eq(&events, &expected, "the outbox holds the committed events in order")?;
    let positions: Vec<u64> = read.iter().map(|x| x.position).collect();
    ensure(positions.windows(2).all(|w| w[0] < w[1]) && positions.first().is_some_and(|p| *p >= 1), || {
        format!("positions grow from 1: {positions:?}")
    })?;
    // Paging by position.
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let page = step("a page of the outbox", e.outbox(Actor::Admin(admin(1)), after, 2))?;
        let Some(last) = page.last() else { break };
        after = last.position;
        paged.extend(page);
    }
    ensure_eq(&paged, &read, "the outbox read two at a time")?;
    // Acknowledge the first two; the rest stay, and new events come after.
    let acked = step("acknowledge", e.acknowledge_outbox(Actor::System, positions[1]))?;
    ensure_eq(acked, 2, "acknowledged events")?;
    let rest = step("read again", e.outbox(Actor::System, 0, 500))?;
    ensure_eq(&rest[..], &read[2..], "what is left after the acknowledgement")?;
    ensure_eq(step("acknowledge again", e.acknowledge_outbox(Actor::System, positions[1]))?, 0, "acknowledging twice")?;
    let more = step("cancel the session", e.cancel_session(Actor::Teacher(teacher(1)), session.value.id))?;
    let after_more = step("read after a new commit", e.outbox(Actor::System, *positions.last().unwrap_or(&0), 500))?;
    ensure_eq(
        after_more.iter().map(|x| x.event.clone()).collect::<Vec<_>>(),
        more.events.clone(),
        "new events come after",
    )?;
    ensure(after_more.iter().all(|x| x.position > *positions.last().unwrap_or(&0)), || {
        "positions are never reused".to_owned()
    })?;
    // A replayed request (same key) adds no events.
    let mark = after_more.last().map(|x| x.position).unwrap_or_default();
    let again = step("create another", e.create_session(Actor::Teacher(teacher(1)), new_session(teacher(1), 3, true)))?;
    let keyed =
        step("a keyed booking", e.book_seat(Actor::Student(student(3)).with_key("k-1"), again.value.id, student(3)))?;
    step("its retry", e.book_seat(Actor::Student(student(3)).with_key("k-1"), again.value.id, student(3)))?;
    let since = step("read after the retry", e.outbox(Actor::System, mark, 500))?;
    let mut once = again.events.clone();
    once.extend(keyed.events.clone());
    ensure_eq(since.iter().map(|x| x.event.clone()).collect::<Vec<_>>(), once, "a replay adds no events")?;
    let all = step("read everything", e.outbox(Actor::System, 0, 500))?;
    let last = all.last().map(|x| x.position).unwrap_or_default();
    ensure_eq(
        step("acknowledge everything", e.acknowledge_outbox(Actor::System, last))?,
        all.len() as u64,
        "acknowledging everything",
    )?;
    ensure(step("read an empty outbox", e.outbox(Actor::System, 0, 500))?.is_empty(), || {
        "the outbox is empty".to_owned()
    })?;
    Ok(())
}

/// Concurrent writers on several sessions: the outbox holds every committed event exactly
/// once, and, per session, the bookings appear in the order the session holds them (its
/// commit order).
pub(crate) fn outbox_across_concurrent_writers(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    let e = &l.engine;
    let mut sessions = Vec::new();
    for n in 0..3 {
        let new = new_session(teacher(1), 40, true);
        let new = NewGroupSession { starts_at: t0() + TimeDelta::days(3 + n), ..new };
        sessions.push(step("create", e.create_session(Actor::Teacher(teacher(1)), new))?.value.id);
    }
    let committed: Vec<Vec<crate::Event>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4u32)
            .map(|w| {
                let sessions = &sessions;
                scope.spawn(move || {
                    let mut events = Vec::new();
                    for k in 0..15u32 {
                        let who = student(100 + w * 100 + k);
                        let session = sessions[(k as usize + w as usize) % sessions.len()];
                        if let Ok(receipt) = e.book_seat(Actor::Student(who), session, who) {
                            events.extend(receipt.events);
                        }
                    }
                    events
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    let all = step("read the outbox", e.outbox(Actor::System, 0, 500))?;
    let creations = sessions.len();
    ensure_eq(all.len(), creations + committed.iter().map(Vec::len).sum::<usize>(), "every committed event, once")?;
    let mut counts: HashMap<String, i64> = HashMap::new();
    for event in committed.iter().flatten() {
        *counts.entry(format!("{event:?}")).or_default() += 1;
    }
    for entry in &all[creations..] {
        *counts.entry(format!("{:?}", entry.event)).or_default() -= 1;
    }
    ensure(counts.values().all(|c| *c == 0), || "the outbox holds exactly the committed events".to_owned())?;
    for id in &sessions {
        let session = step("load", e.session(Actor::System, *id))?;
        let in_session: Vec<BookingId> = session.bookings.iter().map(|b| b.id).collect();
        let in_outbox: Vec<BookingId> = all
            .iter()
            .filter_map(|x| match &x.event.kind {
                EventKind::BookingConfirmed { session_id, booking_id, .. }
                | EventKind::BookingWaitlisted { session_id, booking_id, .. }
                    if session_id == id =>
                {
                    Some(*booking_id)
                }
                _ => None,
            })
            .collect();
        ensure_eq(in_outbox, in_session, &format!("session {id}'s bookings in commit order"))?;
    }
    Ok(())
}
