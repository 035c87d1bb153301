//! The seed's group-session scenarios and the rules of the group module, as checks.

use super::harness::{
    Harness, StoreFactory, admin, ensure, ensure_eq, expect_error, new_session, step, student, teacher,
};
use crate::{Actor, BookingAvailability, BookingError, EventKind, SeatBooking, SeatStatus, SessionId};
use chrono::TimeDelta;

/// A command to try, boxed so a table can hold different ones.
type Attempt<'a> = Box<dyn Fn() -> Result<(), BookingError> + 'a>;

fn kinds(events: &[crate::Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.name()).collect()
}

/// Books students `from..=to` into `session` and returns their bookings.
fn book_range(h: &Harness, session: SessionId, from: u32, to: u32) -> Result<Vec<SeatBooking>, String> {
    (from..=to)
        .map(|n| {
            step(&format!("student {n} books"), h.engine.book_seat(Actor::Student(student(n)), session, student(n)))
                .map(|r| r.value)
        })
        .collect()
}

/// Seed "Create Session": a teacher creates a session with 10 seats and no waitlist.
pub(crate) fn seed_create_session(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let new = new_session(teacher(1), 10, false);
    let receipt = step("create", h.engine.create_session(Actor::Teacher(teacher(1)), new.clone()))?;
    ensure_eq(kinds(&receipt.events), vec!["session_created"], "events")?;
    let s = h.load(receipt.value.id)?;
    ensure_eq(&*s, &*receipt.value, "stored session equals the returned one")?;
    ensure_eq((s.capacity, s.waitlist_enabled, s.duration_minutes), (10, false, 60), "capacity, waitlist, duration")?;
    ensure_eq(
        (s.starts_at, s.time_zone.name(), s.meeting_link.as_str()),
        (new.starts_at, "Europe/Berlin", new.meeting_link.as_str()),
        "start, zone, link",
    )?;
    ensure_eq(
        (s.booked_seats(), s.remaining_seats(), s.waitlisted_count(), s.is_full()),
        (0, 10, 0, false),
        "counters",
    )?;
    ensure_eq(s.availability(h.engine.now()), BookingAvailability::Open, "availability")?;
    ensure(s.can_be_booked(h.engine.now()), || "a new session can be booked".to_owned())
}

/// Seed "Book to Capacity": 10 students book, all are confirmed, booking closes.
pub(crate) fn seed_book_to_capacity(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let s = h.session(10, false)?;
    for n in 1..=10 {
        let r = step("book", h.engine.book_seat(Actor::Student(student(n)), s.id, student(n)))?;
        ensure_eq(r.value.status, SeatStatus::Confirmed, "status")?;
        let expected: &[&str] = if n == 10 { &["booking_confirmed", "session_closed"] } else { &["booking_confirmed"] };
        ensure_eq(kinds(&r.events), expected.to_vec(), &format!("events of booking {n}"))?;
    }
    let s = h.load(s.id)?;
    ensure_eq((s.booked_seats(), s.remaining_seats(), s.is_full()), (10, 0, true), "counters")?;
    ensure(s.is_closed_for_booking() && !s.can_be_booked(h.engine.now()), || {
        "a full session without waitlist is closed".to_owned()
    })?;
    ensure_eq(s.availability(h.engine.now()), BookingAvailability::Closed, "availability")
}

/// Seed "Try Overbook": an 11th student is rejected and nothing changes.
pub(crate) fn seed_try_overbook(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let s = h.session(10, false)?;
    book_range(&h, s.id, 1, 10)?;
    h.expect_refused(s.id, "session_full", "11th student", || {
        h.engine.book_seat(Actor::Student(student(11)), s.id, student(11))
    })?;
    ensure_eq(h.load(s.id)?.booked_seats(), 10, "seats")
}

/// Seed "With Waitlist": 15 students on 10 seats: 10 confirmed, 5 waitlisted in order.
pub(crate) fn seed_with_waitlist(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let s = h.session(10, true)?;
    let bookings = book_range(&h, s.id, 1, 15)?;
    let s = h.load(s.id)?;
    ensure_eq((s.booked_seats(), s.waitlisted_count()), (10, 5), "confirmed and waitlisted")?;
    for (i, b) in bookings.iter().enumerate() {
        let expected = if i < 10 { SeatStatus::Confirmed } else { SeatStatus::Waitlisted };
        ensure_eq(b.status, expected, &format!("student {}", i + 1))?;
        let position = (i >= 10).then(|| i as u32 - 9);
        ensure_eq(s.waitlist_position(b.id), position, &format!("waitlist position of student {}", i + 1))?;
    }
    ensure_eq(s.availability(h.engine.now()), BookingAvailability::WaitlistOnly, "availability")?;
    ensure(!s.is_closed_for_booking(), || "a full session with a waitlist stays open to the waitlist".to_owned())
}

/// Seed "Cancel & Promote": cancelling a confirmed booking promotes the first in line.
pub(crate) fn seed_cancel_and_promote(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let s = h.session(10, true)?;
    let bookings = book_range(&h, s.id, 1, 15)?;
    let r = step("cancel", h.engine.cancel_booking(Actor::Student(student(3)), bookings[2].id))?;
    ensure_eq(r.value.status, SeatStatus::Cancelled, "cancelled status")?;
    ensure_eq(kinds(&r.events), vec!["booking_cancelled", "booking_promoted"], "events")?;
    match &r.events[1].kind {
        EventKind::BookingPromoted { booking_id, student_id, .. } => {
            ensure_eq((*booking_id, *student_id), (bookings[10].id, student(11)), "promoted booking")?
        }
        other => return Err(format!("expected a promotion, got {other:?}")),
    }
    let s = h.load(s.id)?;
    ensure_eq((s.booked_seats(), s.waitlisted_count()), (10, 4), "counters")?;
    ensure_eq(s.booking(bookings[10].id).map(|b| b.status), Some(SeatStatus::Confirmed), "student 11")?;
    ensure_eq(s.waitlist_position(bookings[11].id), Some(1), "student 12 is now first in line")
}

/// Seed "Multiple Bookings": the same student books twice and is refused.
pub(crate) fn seed_multiple_bookings(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let s = h.session(10, true)?;
    let first = book_range(&h, s.id, 1, 1)?.remove(0);
    h.expect_refused(s.id, "already_booked", "second booking", || {
        h.engine.book_seat(Actor::Student(student(1)), s.id, student(1))
    })?;
    match h.engine.book_seat(Actor::Student(student(1)), s.id, student(1)) {
        Err(BookingError::AlreadyBooked { booking_id, .. }) => {
            ensure_eq(booking_id, first.id, "the error names the active booking")
        }
        other => Err(format!("expected already_booked, got {other:?}")),
    }
}

/// Test case 1: 5 seats, 5 students: booking closes.
pub(crate) fn case_five_seats_close(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let s = h.session(5, false)?;
    book_range(&h, s.id, 1, 4)?;
    ensure(!h.load(s.id)?.is_closed_for_booking(), || "open with a seat left".to_owned())?;
    let r = step("5th", h.engine.book_seat(Actor::Student(student(5)), s.id, student(5)))?;
    ensure_eq(kinds(&r.events), vec!["booking_confirmed", "session_closed"], "events")?;
    ensure(h.load(s.id)?.is_closed_for_booking(), || "closed when full".to_owned())
}

/// Test case 2: with a waitlist, booking beyond capacity waitlists.
pub(crate) fn case_waitlist_beyond_capacity(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let s = h.session(2, true)?;
    book_range(&h, s.id, 1, 2)?;
    let r = step("3rd", h.engine.book_seat(Actor::Student(student(3)), s.id, student(3)))?;
    ensure_eq(r.value.status, SeatStatus::Waitlisted, "status")?;
    match r.events.as_slice() {
        [e] if matches!(e.kind, EventKind::BookingWaitlisted { position: 1, .. }) => Ok(()),
        other => Err(format!("expected one waitlisted event at position 1, got {other:?}")),
    }
}

/// Test case 3: cancelling from a full session reopens it (no waitlist) or promotes (waitlist).
pub(crate) fn case_cancel_reopens_or_promotes(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let closed = h.session(2, false)?;
    let b = book_range(&h, closed.id, 1, 2)?;
    let r = step("cancel", h.engine.cancel_booking(Actor::Student(student(1)), b[0].id))?;
    ensure_eq(kinds(&r.events), vec!["booking_cancelled", "session_reopened"], "events without waitlist")?;
    let s = h.load(closed.id)?;
    ensure(s.can_be_booked(h.engine.now()) && s.remaining_seats() == 1, || "reopened with one seat".to_owned())?;

    let queued = h.session(2, true)?;
    let b = book_range(&h, queued.id, 1, 3)?;
    let r = step("cancel", h.engine.cancel_booking(Actor::Student(student(2)), b[1].id))?;
    ensure_eq(kinds(&r.events), vec!["booking_cancelled", "booking_promoted"], "events with waitlist")?;
    ensure_eq(h.load(queued.id)?.booking(b[2].id).map(|x| x.status), Some(SeatStatus::Confirmed), "promoted")
}

/// Test case 4: the same student cannot hold two seats.
pub(crate) fn case_same_student_twice(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let s = h.session(5, false)?;
    book_range(&h, s.id, 1, 1)?;
    h.expect_refused(s.id, "already_booked", "same student", || {
        h.engine.book_seat(Actor::Student(student(1)), s.id, student(1))
    })?;
    // Also while waitlisted.
    let w = h.session(1, true)?;
    book_range(&h, w.id, 1, 2)?;
    h.expect_refused(w.id, "already_booked", "waitlisted student", || {
        h.engine.book_seat(Actor::Student(student(2)), w.id, student(2))
    })
}

/// A cancelled booking does not block booking again; the new booking queues at the back.
pub(crate) fn rebook_after_cancel(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let s = h.session(1, true)?;
    let b = book_range(&h, s.id, 1, 3)?;
    step("2 leaves the queue", h.engine.cancel_booking(Actor::Student(student(2)), b[1].id))?;
    let again = step("2 books again", h.engine.book_seat(Actor::Student(student(2)), s.id, student(2)))?.value;
    ensure(again.id != b[1].id, || "a new booking".to_owned())?;
    let s = h.load(s.id)?;
    ensure_eq(s.waitlist_position(b[2].id), Some(1), "3 moved up")?;
    ensure_eq(s.waitlist_position(again.id), Some(2), "2 is at the back")?;
    ensure_eq(
        h.engine.seat_booking(Actor::System, b[1].id).map(|x| x.status).ok(),
        Some(SeatStatus::Cancelled),
        "the old booking stays cancelled",
    )
}

/// Raising capacity promotes in order; lowering below the seats taken is refused.
pub(crate) fn capacity_changes(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let t = Actor::Teacher(teacher(1));
    let s = h.session(2, true)?;
    let b = book_range(&h, s.id, 1, 5)?;
    let r = step("raise to 4", h.engine.change_capacity(t, s.id, 4))?;
    ensure_eq(kinds(&r.events), vec!["capacity_changed", "booking_promoted", "booking_promoted"], "events")?;
    let promoted: Vec<_> = r
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::BookingPromoted { booking_id, .. } => Some(booking_id),
            _ => None,
        })
        .collect();
    ensure_eq(promoted, vec![b[2].id, b[3].id], "promoted in order")?;
    ensure_eq(h.load(s.id)?.waitlist_position(b[4].id), Some(1), "5 still waits")?;
    h.expect_refused(s.id, "capacity_below_booked", "lower to 3", || h.engine.change_capacity(t, s.id, 3))?;
    h.expect_refused(s.id, "invalid_input", "capacity 0", || h.engine.change_capacity(t, s.id, 0))?;
    let same = step("same capacity", h.engine.change_capacity(t, s.id, 4))?;
    ensure(same.events.is_empty(), || "no events for no change".to_owned())?;
    ensure_eq(h.load(s.id)?.version, r.version, "no change, no new version")?;

    let closed = h.session(3, false)?;
    let c = book_range(&h, closed.id, 1, 2)?;
    let r = step("lower to 2", h.engine.change_capacity(t, closed.id, 2))?;
    ensure_eq(kinds(&r.events), vec!["capacity_changed", "session_closed"], "lowering to the seats taken closes")?;
    let r = step("cancel", h.engine.cancel_booking(Actor::Student(student(1)), c[0].id))?;
    ensure_eq(kinds(&r.events), vec!["booking_cancelled", "session_reopened"], "a freed seat reopens")?;
    let r = step("lower to 1", h.engine.change_capacity(t, closed.id, 1))?;
    ensure_eq(
        kinds(&r.events),
        vec!["capacity_changed", "session_closed"],
        "lowering onto the seats taken closes again",
    )?;
    ensure(r.value.is_closed_for_booking(), || "closed".to_owned())
}

/// Turning the waitlist off keeps waiting students queued; on again lets others queue.
pub(crate) fn waitlist_toggle(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let t = Actor::Teacher(teacher(1));
    let s = h.session(1, true)?;
    let b = book_range(&h, s.id, 1, 3)?;
    let r = step("off", h.engine.set_waitlist(t, s.id, false))?;
    ensure_eq(kinds(&r.events), vec!["waitlist_changed", "session_closed"], "events turning off")?;
    h.expect_refused(s.id, "session_full", "newcomer while off", || {
        h.engine.book_seat(Actor::Student(student(4)), s.id, student(4))
    })?;
    let r = step("cancel", h.engine.cancel_booking(Actor::Student(student(1)), b[0].id))?;
    ensure_eq(kinds(&r.events), vec!["booking_cancelled", "booking_promoted"], "queue still served")?;
    ensure_eq(h.load(s.id)?.booking(b[1].id).map(|x| x.status), Some(SeatStatus::Confirmed), "2 promoted")?;
    let r = step("on", h.engine.set_waitlist(t, s.id, true))?;
    ensure_eq(kinds(&r.events), vec!["waitlist_changed", "session_reopened"], "events turning on")?;
    let newcomer = step("newcomer", h.engine.book_seat(Actor::Student(student(4)), s.id, student(4)))?.value;
    ensure_eq(h.load(s.id)?.waitlist_position(newcomer.id), Some(2), "behind 3")
}

/// Cancelling a session cancels every active booking with one event each.
pub(crate) fn cancel_session(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let t = Actor::Teacher(teacher(1));
    let s = h.session(2, true)?;
    let b = book_range(&h, s.id, 1, 3)?;
    step("1 cancels", h.engine.cancel_booking(Actor::Student(student(1)), b[0].id))?;
    let r = step("cancel session", h.engine.cancel_session(t, s.id))?;
    ensure_eq(kinds(&r.events), vec!["booking_cancelled", "booking_cancelled", "session_cancelled"], "events")?;
    let s2 = h.load(s.id)?;
    for x in &b {
        ensure_eq(
            h.engine.seat_booking(Actor::System, x.id).map(|x| x.status).ok(),
            Some(SeatStatus::Cancelled),
            "every booking cancelled",
        )?;
    }
    ensure_eq(s2.availability(h.engine.now()), BookingAvailability::Cancelled, "availability")?;
    h.expect_refused(s.id, "session_cancelled", "book", || {
        h.engine.book_seat(Actor::Student(student(9)), s.id, student(9))
    })?;
    h.expect_refused(s.id, "session_cancelled", "cancel again", || h.engine.cancel_session(t, s.id))?;
    h.expect_refused(s.id, "session_cancelled", "capacity", || h.engine.change_capacity(t, s.id, 5))
}

/// From the start instant, seats are frozen.
pub(crate) fn start_freezes_seats(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let t = Actor::Teacher(teacher(1));
    let s = h.session(1, true)?;
    let b = book_range(&h, s.id, 1, 2)?;
    h.clock.set(s.starts_at - TimeDelta::seconds(1));
    ensure(h.load(s.id)?.can_be_booked(h.engine.now()), || "bookable a second before".to_owned())?;
    h.clock.set(s.starts_at);
    ensure_eq(h.load(s.id)?.availability(h.engine.now()), BookingAvailability::Started, "availability at the start")?;
    h.expect_refused(s.id, "session_started", "book", || {
        h.engine.book_seat(Actor::Student(student(3)), s.id, student(3))
    })?;
    h.expect_refused(s.id, "session_started", "cancel (no promotion)", || {
        h.engine.cancel_booking(Actor::Student(student(1)), b[0].id)
    })?;
    h.expect_refused(s.id, "session_started", "teacher cancels", || h.engine.cancel_booking(t, b[0].id))?;
    h.expect_refused(s.id, "session_started", "capacity", || h.engine.change_capacity(t, s.id, 3))?;
    h.expect_refused(s.id, "session_started", "waitlist", || h.engine.set_waitlist(t, s.id, false))?;
    h.expect_refused(s.id, "session_started", "cancel session", || h.engine.cancel_session(t, s.id))?;
    ensure_eq(h.load(s.id)?.booking(b[1].id).map(|x| x.status), Some(SeatStatus::Waitlisted), "still waiting")
}

/// Attendance: only from the start, only by the teacher, only for confirmed seats.
pub(crate) fn attendance(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let t = Actor::Teacher(teacher(1));
    let s = h.session(2, true)?;
    let b = book_range(&h, s.id, 1, 4)?;
    step("4 cancels", h.engine.cancel_booking(Actor::Student(student(4)), b[3].id))?;
    h.expect_refused(s.id, "session_not_started", "before the start", || h.engine.mark_attendance(t, b[0].id, true))?;
    h.clock.set(s.starts_at + TimeDelta::minutes(5));
    let r = step("1 attended", h.engine.mark_attendance(t, b[0].id, true))?;
    ensure_eq((r.value.status, kinds(&r.events)), (SeatStatus::Attended, vec!["attendance_marked"]), "attended")?;
    let r = step("2 no-show", h.engine.mark_attendance(t, b[1].id, false))?;
    ensure_eq(r.value.status, SeatStatus::NoShow, "no-show")?;
    let r = step("correct 2", h.engine.mark_attendance(t, b[1].id, true))?;
    ensure_eq(r.value.status, SeatStatus::Attended, "corrected")?;
    let r = step("same mark again", h.engine.mark_attendance(t, b[1].id, true))?;
    ensure(r.events.is_empty(), || "no events for no change".to_owned())?;
    h.expect_refused(s.id, "invalid_transition", "waitlisted", || h.engine.mark_attendance(t, b[2].id, true))?;
    h.expect_refused(s.id, "invalid_transition", "cancelled", || h.engine.mark_attendance(t, b[3].id, false))?;
    h.expect_refused(s.id, "not_authorized", "student marks", || {
        h.engine.mark_attendance(Actor::Student(student(1)), b[0].id, true)
    })?;
    h.expect_refused(s.id, "booking_not_found", "unknown booking", || {
        h.engine.mark_attendance(t, crate::BookingId::from_uuid(uuid::Uuid::from_u128(99)), true)
    })?;
    ensure_eq(h.load(s.id)?.booked_seats(), 2, "attended seats count as taken")
}

/// Every mutating command by a wrong actor is refused and changes nothing; the right ones pass.
pub(crate) fn authorization(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let other_teacher = Actor::Teacher(teacher(2));
    let s = h.session(1, true)?;
    let b = book_range(&h, s.id, 1, 2)?;
    let create = |actor| h.engine.create_session(actor, new_session(teacher(1), 3, false));
    expect_error("not_authorized", "another teacher creating for teacher 1", create(other_teacher))?;
    expect_error("not_authorized", "a student creating a session", create(Actor::Student(teacher(1))))?;
    let refused: Vec<(&str, Attempt<'_>)> = vec![
        (
            "student books for another",
            Box::new(|| h.engine.book_seat(Actor::Student(student(3)), s.id, student(4)).map(drop)),
        ),
        (
            "teacher books for a student",
            Box::new(|| h.engine.book_seat(Actor::Teacher(teacher(1)), s.id, student(4)).map(drop)),
        ),
        (
            "student cancels another's booking",
            Box::new(|| h.engine.cancel_booking(Actor::Student(student(2)), b[0].id).map(drop)),
        ),
        ("other teacher cancels a booking", Box::new(|| h.engine.cancel_booking(other_teacher, b[0].id).map(drop))),
        (
            "student changes capacity",
            Box::new(|| h.engine.change_capacity(Actor::Student(student(1)), s.id, 5).map(drop)),
        ),
        ("other teacher changes capacity", Box::new(|| h.engine.change_capacity(other_teacher, s.id, 5).map(drop))),
        (
            "student toggles waitlist",
            Box::new(|| h.engine.set_waitlist(Actor::Student(student(1)), s.id, false).map(drop)),
        ),
        ("other teacher cancels the session", Box::new(|| h.engine.cancel_session(other_teacher, s.id).map(drop))),
        (
            "student cancels the session",
            Box::new(|| h.engine.cancel_session(Actor::Student(student(1)), s.id).map(drop)),
        ),
    ];
    for (what, command) in &refused {
        h.expect_refused(s.id, "not_authorized", what, command)?;
    }
    step("admin books for a student", h.engine.book_seat(Actor::Admin(admin(1)), s.id, student(5)))?;
    step("teacher cancels a student's booking", h.engine.cancel_booking(Actor::Teacher(teacher(1)), b[1].id))?;
    step("system changes capacity", h.engine.change_capacity(Actor::System, s.id, 3))?;
    step("admin toggles the waitlist", h.engine.set_waitlist(Actor::Admin(admin(1)), s.id, false))?;
    step(
        "admin creates for a teacher",
        h.engine.create_session(Actor::Admin(admin(1)), new_session(teacher(2), 3, false)),
    )?;
    Ok(())
}

/// A table of bad inputs: each gets its typed error and stores nothing.
pub(crate) fn bad_inputs(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let t = Actor::Teacher(teacher(1));
    let base = new_session(teacher(1), 5, false);
    let cases: Vec<(&str, &str, crate::NewGroupSession)> = vec![
        ("zero capacity", "invalid_input", crate::NewGroupSession { capacity: 0, ..base.clone() }),
        ("absurd capacity", "invalid_input", crate::NewGroupSession { capacity: 1_000_000, ..base.clone() }),
        ("zero duration", "invalid_input", crate::NewGroupSession { duration_minutes: 0, ..base.clone() }),
        ("absurd duration", "invalid_input", crate::NewGroupSession { duration_minutes: 100_000, ..base.clone() }),
        (
            "ftp link",
            "invalid_meeting_link",
            crate::NewGroupSession { meeting_link: "ftp://x.example.com/a".into(), ..base.clone() },
        ),
        (
            "not a URL",
            "invalid_meeting_link",
            crate::NewGroupSession { meeting_link: "zoom meeting 123".into(), ..base.clone() },
        ),
        (
            "javascript link",
            "invalid_meeting_link",
            crate::NewGroupSession { meeting_link: "javascript:alert(1)".into(), ..base.clone() },
        ),
        (
            "start in the past",
            "start_in_past",
            crate::NewGroupSession { starts_at: super::harness::t0() - TimeDelta::hours(1), ..base.clone() },
        ),
        ("start now", "start_in_past", crate::NewGroupSession { starts_at: super::harness::t0(), ..base.clone() }),
        (
            "start in 10 years",
            "invalid_input",
            crate::NewGroupSession { starts_at: super::harness::t0() + TimeDelta::days(3650), ..base.clone() },
        ),
        (
            "unknown zone",
            "unknown_time_zone",
            crate::NewGroupSession { time_zone: "Mars/Olympus_Mons".into(), ..base.clone() },
        ),
        ("empty title", "invalid_input", crate::NewGroupSession { title: "   ".into(), ..base.clone() }),
        ("long title", "invalid_input", crate::NewGroupSession { title: "x".repeat(201), ..base.clone() }),
    ];
    for (what, code, new) in cases {
        expect_error(code, what, h.engine.create_session(t, new))?;
    }
    let s = h.session(1, false)?;
    let unknown_session = SessionId::from_uuid(uuid::Uuid::from_u128(4242));
    let unknown_booking = crate::BookingId::from_uuid(uuid::Uuid::from_u128(4343));
    let refused: Vec<(&str, &str, Attempt<'_>)> = vec![
        (
            "book unknown session",
            "session_not_found",
            Box::new(|| h.engine.book_seat(Actor::Student(student(1)), unknown_session, student(1)).map(drop)),
        ),
        (
            "cancel unknown booking",
            "booking_not_found",
            Box::new(|| h.engine.cancel_booking(Actor::Student(student(1)), unknown_booking).map(drop)),
        ),
        (
            "capacity of unknown session",
            "session_not_found",
            Box::new(|| h.engine.change_capacity(t, unknown_session, 3).map(drop)),
        ),
        (
            "empty request key",
            "invalid_input",
            Box::new(|| h.engine.book_seat(Actor::Student(student(1)).with_key(""), s.id, student(1)).map(drop)),
        ),
        (
            "request key with a newline",
            "invalid_input",
            Box::new(|| h.engine.book_seat(Actor::Student(student(1)).with_key("a\nb"), s.id, student(1)).map(drop)),
        ),
        ("capacity 0", "invalid_input", Box::new(|| h.engine.change_capacity(t, s.id, 0).map(drop))),
        (
            "capacity above the maximum",
            "invalid_input",
            Box::new(|| h.engine.change_capacity(t, s.id, crate::group::MAX_CAPACITY + 1).map(drop)),
        ),
    ];
    for (what, code, command) in &refused {
        h.expect_refused(s.id, code, what, command)?;
    }
    ensure(h.load(unknown_session).is_err(), || "nothing was created".to_owned())
}

/// Retrying with the same request key returns the first outcome and changes nothing.
pub(crate) fn idempotent_retries(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let t = Actor::Teacher(teacher(1));
    let created = step("create", h.engine.create_session(t.with_key("create-1"), new_session(teacher(1), 1, true)))?;
    let again =
        step("create again", h.engine.create_session(t.with_key("create-1"), new_session(teacher(1), 1, true)))?;
    ensure(again.replayed && !created.replayed, || "the retry is a replay".to_owned())?;
    ensure_eq(again.value.id, created.value.id, "same session")?;
    ensure_eq(&again.events, &created.events, "same events")?;
    let s = created.value;

    let a = Actor::Student(student(1));
    let first = step("book", h.engine.book_seat(a.with_key("book-1"), s.id, student(1)))?;
    let before = h.load(s.id)?;
    let retry = step("retry", h.engine.book_seat(a.with_key("book-1"), s.id, student(1)))?;
    ensure(retry.replayed, || "replayed".to_owned())?;
    ensure_eq(
        (&retry.value, &retry.events, retry.version),
        (&first.value, &first.events, first.version),
        "same outcome",
    )?;
    ensure_eq(&*h.load(s.id)?, &*before, "nothing changed")?;

    // The same key for a different command is refused.
    h.expect_refused(s.id, "request_key_reused", "key reused", || {
        h.engine.cancel_booking(a.with_key("book-1"), first.value.id)
    })?;
    // Keys are scoped by actor: another student may use the same string.
    let other = step(
        "other student, same key",
        h.engine.book_seat(Actor::Student(student(2)).with_key("book-1"), s.id, student(2)),
    )?;
    ensure(!other.replayed && other.value.status == SeatStatus::Waitlisted, || "a separate command".to_owned())?;

    // A retried cancellation does not cancel again nor promote twice.
    let cancel = step("cancel", h.engine.cancel_booking(a.with_key("cancel-1"), first.value.id))?;
    ensure_eq(kinds(&cancel.events), vec!["booking_cancelled", "booking_promoted"], "cancel events")?;
    let after = h.load(s.id)?;
    let retry = step("retry cancel", h.engine.cancel_booking(a.with_key("cancel-1"), first.value.id))?;
    ensure(retry.replayed && retry.events == cancel.events, || "replayed cancel".to_owned())?;
    ensure_eq(&*h.load(s.id)?, &*after, "nothing changed on the retried cancel")?;

    // A refused command records nothing: once it can succeed, the same key succeeds.
    let full = h.session(1, false)?;
    let holder = book_range(&h, full.id, 10, 10)?.remove(0);
    let late = Actor::Student(student(11));
    h.expect_refused(full.id, "session_full", "full", || {
        h.engine.book_seat(late.with_key("late"), full.id, student(11))
    })?;
    step("holder cancels", h.engine.cancel_booking(Actor::Student(student(10)), holder.id))?;
    let ok = step("same key after a seat freed", h.engine.book_seat(late.with_key("late"), full.id, student(11)))?;
    ensure(!ok.replayed && ok.value.status == SeatStatus::Confirmed, || "decided afresh".to_owned())
}
