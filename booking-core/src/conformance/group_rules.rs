//! The rules issue 8 adds to group sessions, as checks: several seats in one booking, the
//! waitlist by offer, the booking window and the cancellation cut-off for seats, and a
//! session's time in its teacher's calendar; and the rules of the hardening issue: enrollment
//! in a session's course (see the [group module docs](crate::group)).

use super::harness::{
    Harness, StoreFactory, admin, ensure, ensure_eq, expect_error, new_session, step, student, t0, teacher,
};
use super::lesson_scenarios::course;
use super::offer_sweep::swept;
use crate::availability::SlotRecurrence;
use crate::lesson::SlotSpec;
use crate::{
    Actor, BookingAvailability, BookingError, BookingId, Command, Event, EventKind, GroupSession, NewGroupSession,
    SchedulingRules, SeatBooking, SeatStatus, SessionId, WaitlistMode,
};
use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Arc;

/// A command to try, boxed so a table can hold different ones.
type Attempt<'a> = Box<dyn Fn() -> Result<(), BookingError> + 'a>;

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.name()).collect()
}

/// Creates `new` as its teacher.
fn create(h: &Harness, new: NewGroupSession) -> Result<Arc<GroupSession>, String> {
    Ok(step("create a session", h.engine.create_session(Actor::Teacher(new.teacher_id), new))?.value)
}

/// A session of teacher 1 whose bookings may take every seat (the teacher allows bookings
/// of several seats).
fn multi_seat_session(capacity: u32, waitlist_enabled: bool) -> NewGroupSession {
    NewGroupSession {
        rules: SchedulingRules { max_seats_per_booking: Some(capacity), ..Default::default() },
        ..new_session(teacher(1), capacity, waitlist_enabled)
    }
}

/// A session of teacher 1 whose waitlist works by offers held `hold_minutes`, and whose
/// bookings may take every seat.
fn offer_session(h: &Harness, capacity: u32, hold_minutes: u32) -> Result<Arc<GroupSession>, String> {
    create(
        h,
        NewGroupSession { waitlist_mode: WaitlistMode::Offer { hold_minutes }, ..multi_seat_session(capacity, true) },
    )
}

/// Student `n` books `seats` seats for themselves.
fn book(h: &Harness, session: SessionId, n: u32, seats: u32) -> Result<SeatBooking, String> {
    Ok(step(
        &format!("student {n} books {seats}"),
        h.engine.book_seats(Actor::Student(student(n)), session, student(n), seats),
    )?
    .value)
}

/// The stored status of a booking of `session` (live in it, or finished in the history).
fn status(h: &Harness, session: SessionId, booking: BookingId) -> Result<Option<SeatStatus>, String> {
    match h.engine.seat_booking(Actor::System, booking) {
        Ok(b) if b.session_id == session => Ok(Some(b.status)),
        Ok(b) => Err(format!("booking {booking} is of session {}, not {session}", b.session_id)),
        Err(e) if e.code().as_str() == "booking_not_found" => Ok(None),
        Err(e) => Err(format!("reading booking {booking}: {e}")),
    }
}

/// The seats and deadline of every `SeatOffered` event, by booking.
fn offers(events: &[Event]) -> Vec<(BookingId, u32, DateTime<Utc>)> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::SeatOffered { booking_id, seats, expires_at, .. } => Some((booking_id, seats, expires_at)),
            _ => None,
        })
        .collect()
}

/// Several seats in one booking (where the teacher allows it): all or nothing, the group waits
/// as one, the waitlist is strictly first come first served, capacity counts seats.
pub(crate) fn multi_seat(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let t = Actor::Teacher(teacher(1));
    let s = create(&h, multi_seat_session(4, true))?;
    h.expect_refused(s.id, "invalid_input", "0 seats", || {
        h.engine.book_seats(Actor::Student(student(1)), s.id, student(1), 0)
    })?;
    h.expect_refused(s.id, "invalid_input", "more seats than the capacity", || {
        h.engine.book_seats(Actor::Student(student(1)), s.id, student(1), 5)
    })?;
    let r = step("1 books 3", h.engine.book_seats(Actor::Student(student(1)), s.id, student(1), 3))?;
    ensure_eq((r.value.status, r.value.seats), (SeatStatus::Confirmed, 3), "three seats confirmed")?;
    ensure(matches!(r.events.as_slice(), [Event { kind: EventKind::BookingConfirmed { seats: 3, .. }, .. }]), || {
        format!("the event carries the seats: {:?}", r.events)
    })?;
    let a = r.value;
    let r = step("2 books 2", h.engine.book_seats(Actor::Student(student(2)), s.id, student(2), 2))?;
    ensure(
        matches!(r.events.as_slice(), [Event { kind: EventKind::BookingWaitlisted { seats: 2, position: 1, .. }, .. }]),
        || format!("two seats do not fit in one: the group waits as one: {:?}", r.events),
    )?;
    let g = r.value;
    let single = book(&h, s.id, 3, 1)?;
    ensure_eq(single.status, SeatStatus::Waitlisted, "a single waits behind the group though a seat is free")?;
    let stored = h.load(s.id)?;
    ensure_eq(
        (stored.booked_seats(), stored.remaining_seats(), stored.waitlisted_count(), stored.waitlisted_seats()),
        (3, 1, 2, 3),
        "(seats taken, free, waiting bookings, waiting seats)",
    )?;
    ensure_eq(stored.booking(g.id).map(|b| b.seats), Some(2), "stored seats of the group")?;
    ensure_eq(stored.availability(h.engine.now()), BookingAvailability::WaitlistOnly, "availability behind a group")?;
    h.expect_refused(s.id, "capacity_below_booked", "capacity below the seats taken", || {
        h.engine.change_capacity(t, s.id, 2)
    })?;
    let r = step("1 cancels", h.engine.cancel_booking(Actor::Student(student(1)), a.id))?;
    ensure_eq(
        kinds(&r.events),
        vec!["booking_cancelled", "booking_promoted", "booking_promoted"],
        "the group, then the single",
    )?;
    let stored = h.load(s.id)?;
    ensure_eq((stored.booked_seats(), stored.waitlisted_count()), (3, 0), "after the promotions")?;

    // Strict FIFO across a capacity change: a group at the head blocks until it fits.
    let s = create(&h, multi_seat_session(2, true))?;
    book(&h, s.id, 1, 2)?;
    let g = book(&h, s.id, 2, 2)?;
    let one = book(&h, s.id, 3, 1)?;
    let r = step("raise to 3", h.engine.change_capacity(t, s.id, 3))?;
    ensure_eq(kinds(&r.events), vec!["capacity_changed"], "the group of 2 does not fit in 1 and blocks the single")?;
    let r = step("raise to 5", h.engine.change_capacity(t, s.id, 5))?;
    ensure_eq(kinds(&r.events), vec!["capacity_changed", "booking_promoted", "booking_promoted"], "both fit")?;
    ensure_eq(
        (status(&h, s.id, g.id)?, status(&h, s.id, one.id)?),
        (Some(SeatStatus::Confirmed), Some(SeatStatus::Confirmed)),
        "promoted",
    )?;

    // Without a waitlist: all or nothing.
    let s = create(&h, multi_seat_session(3, false))?;
    book(&h, s.id, 1, 2)?;
    h.expect_refused(s.id, "session_full", "two seats with one free and no waitlist", || {
        h.engine.book_seats(Actor::Student(student(2)), s.id, student(2), 2)
    })?;
    let r = step("one seat", h.engine.book_seats(Actor::Student(student(2)), s.id, student(2), 1))?;
    ensure_eq(kinds(&r.events), vec!["booking_confirmed", "session_closed"], "the last seat closes")
}

/// The waitlist by offer: a freed seat is held for the head of the queue; accept, decline,
/// expiry processed by the host, lazy expiry, no offers from the start, capacity increases.
pub(crate) fn offer_cycle(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let t = Actor::Teacher(teacher(1));
    let s = offer_session(&h, 1, 60)?;
    ensure_eq(s.waitlist_mode, WaitlistMode::Offer { hold_minutes: 60 }, "stored mode")?;
    let b: Vec<SeatBooking> = (1..=4).map(|n| book(&h, s.id, n, 1)).collect::<Result<_, _>>()?;
    let r = step("1 cancels", h.engine.cancel_booking(Actor::Student(student(1)), b[0].id))?;
    ensure_eq(kinds(&r.events), vec!["booking_cancelled", "seat_offered"], "cancel events")?;
    let deadline = t0() + TimeDelta::minutes(60);
    ensure_eq(offers(&r.events), vec![(b[1].id, 1, deadline)], "offer to 2")?;
    let stored = h.load(s.id)?;
    ensure_eq(
        stored.booking(b[1].id).map(|x| (x.status, x.offer_expires_at)),
        Some((SeatStatus::Offered, Some(deadline))),
        "2 is offered the seat",
    )?;
    ensure_eq(stored.next_offer_deadline(), Some(deadline), "next offer deadline")?;
    ensure(stored.is_full(), || "an offer holds its seat".to_owned())?;
    let newcomer = book(&h, s.id, 5, 1)?;
    ensure_eq(newcomer.status, SeatStatus::Waitlisted, "a newcomer does not take an offered seat")?;

    let r = step("2 declines", h.engine.decline_offer(Actor::Student(student(2)), b[1].id))?;
    ensure_eq(
        (r.value.status, kinds(&r.events)),
        (SeatStatus::Cancelled, vec!["offer_declined", "seat_offered"]),
        "decline",
    )?;
    ensure_eq(offers(&r.events), vec![(b[2].id, 1, deadline)], "the seat goes to 3")?;

    h.clock.advance(TimeDelta::minutes(30));
    let events = swept(step("process before the deadline", h.engine.process_expired_offers(h.engine.now()))?)?;
    ensure(events.is_empty(), || format!("nothing is due yet: {events:?}"))?;
    h.clock.set(deadline);
    let events = swept(step("process at the deadline", h.engine.process_expired_offers(h.engine.now()))?)?;
    ensure_eq(kinds(&events), vec!["offer_expired", "seat_offered"], "expiry passes the seat on")?;
    ensure_eq(offers(&events), vec![(b[3].id, 1, deadline + TimeDelta::minutes(60))], "the seat goes to 4")?;
    ensure_eq(status(&h, s.id, b[2].id)?, Some(SeatStatus::Expired), "3 expired")?;
    h.expect_refused(s.id, "offer_expired", "3 accepts too late", || {
        h.engine.accept_offer(Actor::Student(student(3)), b[2].id)
    })?;
    match h.engine.accept_offer(Actor::Student(student(3)), b[2].id) {
        Err(BookingError::OfferExpired { booking_id, expired_at }) => {
            ensure_eq((booking_id, expired_at), (b[2].id, deadline), "the error names the offer's deadline")?
        }
        other => return Err(format!("expected offer_expired, got {other:?}")),
    }
    let r = step("4 accepts", h.engine.accept_offer(Actor::Student(student(4)), b[3].id))?;
    ensure_eq((r.value.status, kinds(&r.events)), (SeatStatus::Confirmed, vec!["offer_accepted"]), "accept")?;
    ensure_eq(h.load(s.id)?.next_offer_deadline(), None, "no offer left")?;
    h.expect_refused(s.id, "invalid_transition", "accepting twice", || {
        h.engine.accept_offer(Actor::Student(student(4)), b[3].id)
    })?;
    let again = book(&h, s.id, 3, 1)?;
    ensure_eq(h.load(s.id)?.waitlist_position(again.id), Some(2), "the expired student may queue again, at the back")?;

    // Lazy expiry: accepting after the deadline fails even if the host has not processed it,
    // and any later command stores the expiry before its own events.
    let s = offer_session(&h, 1, 10)?;
    let c: Vec<SeatBooking> = (1..=3).map(|n| book(&h, s.id, n, 1)).collect::<Result<_, _>>()?;
    step("1 cancels", h.engine.cancel_booking(Actor::Student(student(1)), c[0].id))?;
    h.clock.advance(TimeDelta::minutes(11));
    h.expect_refused(s.id, "offer_expired", "2 accepts late, unprocessed", || {
        h.engine.accept_offer(Actor::Student(student(2)), c[1].id)
    })?;
    let r = step("the teacher turns the waitlist off", h.engine.set_waitlist(t, s.id, false))?;
    ensure_eq(
        kinds(&r.events),
        vec!["offer_expired", "seat_offered", "waitlist_changed", "session_closed"],
        "the expiry and the next offer come first",
    )?;
    ensure_eq(status(&h, s.id, c[2].id)?, Some(SeatStatus::Offered), "3 is offered the seat, waitlist off or not")?;

    // A capacity increase makes offers, in order.
    let s = offer_session(&h, 1, 60)?;
    let d: Vec<SeatBooking> = (1..=3).map(|n| book(&h, s.id, n, 1)).collect::<Result<_, _>>()?;
    let r = step("raise to 3", h.engine.change_capacity(t, s.id, 3))?;
    ensure_eq(kinds(&r.events), vec!["capacity_changed", "seat_offered", "seat_offered"], "two offers")?;
    ensure_eq(offers(&r.events).iter().map(|o| o.0).collect::<Vec<_>>(), vec![d[1].id, d[2].id], "in order")?;
    h.expect_refused(s.id, "capacity_below_booked", "offered seats are taken", || {
        h.engine.change_capacity(t, s.id, 2)
    })?;
    let r = step("3 cancels its offered booking", h.engine.cancel_booking(Actor::Student(student(3)), d[2].id))?;
    ensure(
        matches!(
            r.events.as_slice(),
            [Event { kind: EventKind::BookingCancelled { previous_status: SeatStatus::Offered, .. }, .. }]
        ),
        || format!("cancelling an offered booking: {:?}", r.events),
    )?;

    // No offers from the start; offers out at the start run to it.
    let s = offer_session(&h, 1, 7 * 24 * 60)?;
    let e: Vec<SeatBooking> = (1..=3).map(|n| book(&h, s.id, n, 1)).collect::<Result<_, _>>()?;
    h.clock.set(s.starts_at - TimeDelta::hours(1));
    let r = step("the teacher cancels 1", h.engine.cancel_booking(t, e[0].id))?;
    ensure_eq(offers(&r.events), vec![(e[1].id, 1, s.starts_at)], "an offer never outlives the start")?;
    h.clock.set(s.starts_at);
    let events = swept(step("process at the start", h.engine.process_expired_offers(h.engine.now()))?)?;
    let ours: Vec<&'static str> = events
        .iter()
        .filter(|ev| match &ev.kind {
            EventKind::OfferExpired { session_id, .. } | EventKind::SeatOffered { session_id, .. } => {
                *session_id == s.id
            }
            _ => false,
        })
        .map(|ev| ev.kind.name())
        .collect();
    ensure_eq(ours, vec!["offer_expired"], "no new offer at the start")?;
    ensure_eq(
        (status(&h, s.id, e[1].id)?, status(&h, s.id, e[2].id)?),
        (Some(SeatStatus::Expired), Some(SeatStatus::Waitlisted)),
        "2 expired, 3 still waits",
    )?;
    h.expect_refused(s.id, "invalid_transition", "attendance of an expired booking", || {
        h.engine.mark_attendance(t, e[1].id, true)
    })
}

/// Multi-seat bookings in offer mode: the group is offered all its seats at once.
pub(crate) fn offer_multi_seat(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let s = offer_session(&h, 3, 60)?;
    let a = book(&h, s.id, 1, 2)?;
    let b = book(&h, s.id, 2, 1)?;
    let g = book(&h, s.id, 3, 2)?;
    let c = book(&h, s.id, 4, 1)?;
    ensure_eq(
        (a.status, b.status, g.status, c.status),
        (SeatStatus::Confirmed, SeatStatus::Confirmed, SeatStatus::Waitlisted, SeatStatus::Waitlisted),
        "statuses",
    )?;
    let r = step("2 cancels", h.engine.cancel_booking(Actor::Student(student(2)), b.id))?;
    ensure_eq(kinds(&r.events), vec!["booking_cancelled"], "the group of 2 does not fit in 1 and blocks 4")?;
    let r = step("1 cancels", h.engine.cancel_booking(Actor::Student(student(1)), a.id))?;
    ensure_eq(offers(&r.events).iter().map(|o| (o.0, o.1)).collect::<Vec<_>>(), vec![(g.id, 2), (c.id, 1)], "offers")?;
    ensure_eq(h.load(s.id)?.offered_seats(), 3, "offered seats")?;
    let r = step("the group declines", h.engine.decline_offer(Actor::Student(student(3)), g.id))?;
    ensure_eq(kinds(&r.events), vec!["offer_declined"], "nobody left to offer to")?;
    let n = book(&h, s.id, 5, 2)?;
    ensure_eq(n.status, SeatStatus::Confirmed, "free seats nobody waits for go to a newcomer")
}

/// The booking window and the cancellation cut-off for seats, with the precedence session >
/// teacher's course rules > teacher's rules, and overrides recorded in the events.
pub(crate) fn window_and_cutoff(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let t = Actor::Teacher(teacher(1));
    // A session may be created sooner than the notice; seats may not be booked.
    let rules = SchedulingRules { min_notice_minutes: Some(25 * 60), ..Default::default() };
    let s = create(&h, NewGroupSession { rules, ..new_session(teacher(1), 3, true) })?;
    h.expect_refused(s.id, "outside_booking_window", "within the notice", || {
        h.engine.book_seat(Actor::Student(student(1)), s.id, student(1))
    })?;
    h.expect_refused(s.id, "outside_booking_window", "an admin within the notice", || {
        h.engine.book_seat(Actor::Admin(admin(1)), s.id, student(1))
    })?;
    let rules = SchedulingRules { max_advance_days: Some(7), min_notice_minutes: Some(60), ..Default::default() };
    let far = create(
        &h,
        NewGroupSession { rules, starts_at: t0() + TimeDelta::days(10), ..new_session(teacher(1), 3, true) },
    )?;
    h.expect_refused(far.id, "outside_booking_window", "too far ahead", || {
        h.engine.book_seat(Actor::Student(student(1)), far.id, student(1))
    })?;
    h.clock.set(far.starts_at - TimeDelta::days(7));
    step("at the window's far end", h.engine.book_seat(Actor::Student(student(1)), far.id, student(1)))?;
    h.clock.set(far.starts_at - TimeDelta::minutes(59));
    h.expect_refused(far.id, "outside_booking_window", "within the hour's notice", || {
        h.engine.book_seat(Actor::Student(student(2)), far.id, student(2))
    })?;
    h.clock.set(t0());

    // The teacher's rules fill what the session leaves unset; lesson-only rules are dropped.
    step(
        "teacher rules",
        h.engine.set_scheduling_rules(
            t,
            teacher(1),
            None,
            SchedulingRules {
                cancel_cutoff_minutes: Some(24 * 60),
                buffer_after_minutes: Some(15),
                max_advance_days: Some(30),
                ..Default::default()
            },
        ),
    )?;
    let own = SchedulingRules { cancel_cutoff_minutes: Some(6 * 60), ..Default::default() };
    let s = create(&h, NewGroupSession { rules: own, ..new_session(teacher(1), 1, true) })?;
    ensure_eq(
        s.rules,
        SchedulingRules {
            cancel_cutoff_minutes: Some(6 * 60),
            max_advance_days: Some(30),
            max_seats_per_booking: Some(1),
            ..Default::default()
        },
        "effective session rules",
    )?;
    let b: Vec<SeatBooking> = (1..=3).map(|n| book(&h, s.id, n, 1)).collect::<Result<_, _>>()?;
    let cutoff = s.starts_at - TimeDelta::hours(6);
    h.clock.set(cutoff);
    // At the cut-off instant the student still may (a waitlisted one, whenever).
    step("3 leaves the queue", h.engine.cancel_booking(Actor::Student(student(3)), b[2].id))?;
    h.clock.set(cutoff + TimeDelta::seconds(1));
    h.expect_refused(s.id, "cutoff_passed", "1 cancels after the cut-off", || {
        h.engine.cancel_booking(Actor::Student(student(1)), b[0].id)
    })?;
    match h.engine.cancel_booking(Actor::Student(student(1)), b[0].id) {
        Err(BookingError::CutoffPassed { booking_id, action, cutoff_at }) => ensure_eq(
            (booking_id, action.as_str(), cutoff_at),
            (b[0].id, "cancelled", cutoff),
            "the error names the booking, the action and the cut-off",
        )?,
        other => return Err(format!("expected cutoff_passed, got {other:?}")),
    }
    let r = step("the teacher cancels after the cut-off", h.engine.cancel_booking(t, b[0].id))?;
    match r.events.as_slice() {
        [
            Event { kind: EventKind::BookingCancelled { cutoff_overridden: true, .. }, actor, .. },
            Event { kind: EventKind::BookingPromoted { booking_id, .. }, .. },
        ] if *actor == t && *booking_id == b[1].id => {}
        other => return Err(format!("expected an overridden cancellation and a promotion, got {other:?}")),
    }
    let r = step("an admin cancels after the cut-off", h.engine.cancel_booking(Actor::Admin(admin(1)), b[1].id))?;
    ensure(
        matches!(r.events.first().map(|e| &e.kind), Some(EventKind::BookingCancelled { cutoff_overridden: true, .. })),
        || format!("admin override recorded: {:?}", r.events),
    )?;

    // Before the cut-off nothing is overridden; cancelling the session is never blocked.
    h.clock.set(t0());
    let s = create(&h, NewGroupSession { rules: own, ..new_session(teacher(1), 2, true) })?;
    let c = book(&h, s.id, 1, 1)?;
    book(&h, s.id, 2, 1)?;
    let r = step("the teacher cancels before the cut-off", h.engine.cancel_booking(t, c.id))?;
    ensure(
        matches!(r.events.first().map(|e| &e.kind), Some(EventKind::BookingCancelled { cutoff_overridden: false, .. })),
        || format!("no override before the cut-off: {:?}", r.events),
    )?;
    h.clock.set(s.starts_at - TimeDelta::minutes(5));
    let r = step("the teacher cancels the session", h.engine.cancel_session(t, s.id))?;
    ensure_eq(kinds(&r.events), vec!["booking_cancelled", "session_cancelled"], "session cancel events")?;
    ensure(
        r.events.iter().all(|e| !matches!(e.kind, EventKind::BookingCancelled { cutoff_overridden: true, .. })),
        || "cancelling the session does not override a cut-off".to_owned(),
    )
}

/// Retries of accept and decline under a request key replay the first outcome.
pub(crate) fn offer_retries(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let s = offer_session(&h, 1, 60)?;
    let b: Vec<SeatBooking> = (1..=4).map(|n| book(&h, s.id, n, 1)).collect::<Result<_, _>>()?;
    step("1 cancels", h.engine.cancel_booking(Actor::Student(student(1)), b[0].id))?;
    let two = Actor::Student(student(2));
    let first = step("2 declines", h.engine.decline_offer(two.with_key("decline-1"), b[1].id))?;
    let after = h.load(s.id)?;
    let retry = step("2 declines again", h.engine.decline_offer(two.with_key("decline-1"), b[1].id))?;
    ensure(retry.replayed && !first.replayed, || "the retry is a replay".to_owned())?;
    ensure_eq(
        (&retry.value, &retry.events, retry.version),
        (&first.value, &first.events, first.version),
        "same outcome",
    )?;
    ensure_eq(&*h.load(s.id)?, &*after, "nothing changed: the seat was not offered twice")?;
    h.expect_refused(s.id, "invalid_transition", "a fresh decline of a declined offer", || {
        h.engine.decline_offer(two, b[1].id)
    })?;
    h.expect_refused(s.id, "request_key_reused", "the key for another command", || {
        h.engine.accept_offer(two.with_key("decline-1"), b[1].id)
    })?;
    let three = Actor::Student(student(3));
    let first = step("3 accepts", h.engine.accept_offer(three.with_key("accept-1"), b[2].id))?;
    let after = h.load(s.id)?;
    let retry = step("3 accepts again", h.engine.accept_offer(three.with_key("accept-1"), b[2].id))?;
    ensure(retry.replayed, || "replayed".to_owned())?;
    ensure_eq(
        (&retry.value, &retry.events, retry.version),
        (&first.value, &first.events, first.version),
        "same outcome",
    )?;
    ensure_eq(&*h.load(s.id)?, &*after, "nothing changed")?;
    // A refused acceptance records nothing: after its offer the same key succeeds.
    let four = Actor::Student(student(4));
    h.expect_refused(s.id, "invalid_transition", "4 accepts before any offer", || {
        h.engine.accept_offer(four.with_key("early"), b[3].id)
    })?;
    step("3 cancels", h.engine.cancel_booking(three, b[2].id))?;
    let ok = step("4 accepts with the same key", h.engine.accept_offer(four.with_key("early"), b[3].id))?;
    ensure(!ok.replayed && ok.value.status == SeatStatus::Confirmed, || "decided afresh".to_owned())
}

/// Who may accept, decline, expire offers and book several seats; bad inputs change nothing.
pub(crate) fn offer_authorization_and_inputs(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let t = Actor::Teacher(teacher(1));
    let other_teacher = Actor::Teacher(teacher(2));
    let s = offer_session(&h, 1, 60)?;
    let b: Vec<SeatBooking> = (1..=4).map(|n| book(&h, s.id, n, 1)).collect::<Result<_, _>>()?;
    step("1 cancels", h.engine.cancel_booking(Actor::Student(student(1)), b[0].id))?;
    let expire = |actor: Actor| h.engine.execute(actor, Command::ExpireOffers { session_id: s.id }).map(drop);
    let refused: Vec<(&str, Attempt<'_>)> = vec![
        ("another student accepts", Box::new(|| h.engine.accept_offer(Actor::Student(student(3)), b[1].id).map(drop))),
        ("another teacher accepts", Box::new(|| h.engine.accept_offer(other_teacher, b[1].id).map(drop))),
        (
            "another student declines",
            Box::new(|| h.engine.decline_offer(Actor::Student(student(3)), b[1].id).map(drop)),
        ),
        ("another teacher declines", Box::new(|| h.engine.decline_offer(other_teacher, b[1].id).map(drop))),
        ("a student expires offers", Box::new(|| expire(Actor::Student(student(2))))),
        ("another teacher expires offers", Box::new(|| expire(other_teacher))),
        ("a teacher books seats for a student", Box::new(|| h.engine.book_seats(t, s.id, student(9), 1).map(drop))),
        (
            "a student books seats for another",
            Box::new(|| h.engine.book_seats(Actor::Student(student(8)), s.id, student(9), 1).map(drop)),
        ),
    ];
    for (what, command) in &refused {
        h.expect_refused(s.id, "not_authorized", what, command)?;
    }
    let unknown = BookingId::from_uuid(uuid::Uuid::from_u128(4343));
    let bad: Vec<(&str, &str, Attempt<'_>)> = vec![
        ("accept an unknown booking", "booking_not_found", Box::new(|| h.engine.accept_offer(t, unknown).map(drop))),
        ("decline an unknown booking", "booking_not_found", Box::new(|| h.engine.decline_offer(t, unknown).map(drop))),
        ("accept a waitlisted booking", "invalid_transition", Box::new(|| h.engine.accept_offer(t, b[2].id).map(drop))),
        (
            "decline a cancelled booking",
            "invalid_transition",
            Box::new(|| h.engine.decline_offer(t, b[0].id).map(drop)),
        ),
        (
            "0 seats",
            "invalid_input",
            Box::new(|| h.engine.book_seats(Actor::Student(student(9)), s.id, student(9), 0).map(drop)),
        ),
        (
            "more seats than the capacity",
            "invalid_input",
            Box::new(|| h.engine.book_seats(Actor::Student(student(9)), s.id, student(9), 2).map(drop)),
        ),
        (
            "book seats in an unknown session",
            "session_not_found",
            Box::new(|| {
                h.engine
                    .book_seats(
                        Actor::Student(student(9)),
                        SessionId::from_uuid(uuid::Uuid::from_u128(4242)),
                        student(9),
                        1,
                    )
                    .map(drop)
            }),
        ),
    ];
    for (what, code, command) in &bad {
        h.expect_refused(s.id, code, what, command)?;
    }
    let r =
        step("the teacher expires offers (none due)", h.engine.execute(t, Command::ExpireOffers { session_id: s.id }))?;
    ensure(r.events.is_empty(), || format!("nothing due: {:?}", r.events))?;
    step("the teacher accepts for the student", h.engine.accept_offer(t, b[1].id))?;
    step("2 cancels", h.engine.cancel_booking(Actor::Student(student(2)), b[1].id))?;
    step("an admin declines for the student", h.engine.decline_offer(Actor::Admin(admin(1)), b[2].id))?;

    // Invalid session rules and offer holds create nothing.
    let base = new_session(teacher(1), 3, true);
    let cases: Vec<(&str, NewGroupSession)> = vec![
        (
            "hold of 0 minutes",
            NewGroupSession { waitlist_mode: WaitlistMode::Offer { hold_minutes: 0 }, ..base.clone() },
        ),
        (
            "hold over a week",
            NewGroupSession { waitlist_mode: WaitlistMode::Offer { hold_minutes: 7 * 24 * 60 + 1 }, ..base.clone() },
        ),
        (
            "a buffer",
            NewGroupSession {
                rules: SchedulingRules { buffer_before_minutes: Some(10), ..Default::default() },
                ..base.clone()
            },
        ),
        (
            "a lesson limit",
            NewGroupSession {
                rules: SchedulingRules { max_lessons_per_week: Some(3), ..Default::default() },
                ..base.clone()
            },
        ),
        (
            "a reschedule cut-off",
            NewGroupSession {
                rules: SchedulingRules { reschedule_cutoff_minutes: Some(60), ..Default::default() },
                ..base.clone()
            },
        ),
        (
            "an advance of 0 days",
            NewGroupSession {
                rules: SchedulingRules { max_advance_days: Some(0), ..Default::default() },
                ..base.clone()
            },
        ),
    ];
    let calendar = step("calendar before", h.engine.calendar(Actor::System, teacher(1)))?;
    for (what, new) in cases {
        expect_error("invalid_input", what, h.engine.create_session(t, new))?;
    }
    ensure_eq(
        step("calendar after", h.engine.calendar(Actor::System, teacher(1)))?,
        calendar,
        "refused creations left the calendar alone",
    )
}

/// A group session holds its time in the teacher's calendar: it cannot be scheduled over an
/// active 1:1 lesson (`teacher_busy`), a cancelled lesson frees the time, and cancelling a
/// session frees its time for 1:1 bookings.
pub(crate) fn sessions_and_lessons(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let t = Actor::Teacher(teacher(1));
    let session_start = t0() + TimeDelta::days(1);
    let lesson_start = session_start + TimeDelta::minutes(30);
    let naive = |at: DateTime<Utc>| at.naive_utc();
    let spec = SlotSpec {
        course_id: None,
        time_zone: "UTC".to_owned(),
        recurrence: SlotRecurrence::OneTime {
            start: naive(lesson_start),
            end: naive(lesson_start + TimeDelta::hours(1)),
        },
        active: true,
        rules: Default::default(),
    };
    let slot = step("publish", h.engine.publish_slot(t, teacher(1), spec))?.value.id;
    let lesson =
        step("book the lesson", h.engine.book_lesson(Actor::Student(student(1)), slot, lesson_start, student(1)))?
            .value;
    let calendar = step("calendar", h.engine.calendar(Actor::System, teacher(1)))?;
    match h.engine.create_session(t, new_session(teacher(1), 3, true)) {
        Err(BookingError::TeacherBusy { teacher_id, booking_id }) => {
            ensure_eq((teacher_id, booking_id), (teacher(1), lesson.id), "the error names the lesson")?
        }
        other => return Err(format!("a session over a lesson: expected teacher_busy, got {other:?}")),
    }
    ensure_eq(
        step("calendar", h.engine.calendar(Actor::System, teacher(1)))?,
        calendar,
        "the refusal changed the calendar",
    )?;
    // Another teacher, or a time next to the lesson, is fine.
    step(
        "another teacher at that time",
        h.engine.create_session(Actor::Teacher(teacher(2)), new_session(teacher(2), 3, true)),
    )?;
    let before = NewGroupSession {
        starts_at: session_start - TimeDelta::hours(1),
        duration_minutes: 90,
        ..new_session(teacher(1), 3, true)
    };
    let adjacent = step("a session ending when the lesson starts", h.engine.create_session(t, before))?.value;
    step("cancel it", h.engine.cancel_session(t, adjacent.id))?;

    step("cancel the lesson", h.engine.cancel_lesson(Actor::Student(student(1)), lesson.id))?;
    let s = step("the time is free again", h.engine.create_session(t, new_session(teacher(1), 3, true)))?.value;
    ensure(
        h.engine
            .calendar(Actor::System, teacher(1))
            .map(|c| c.overlapping_session(lesson_start, lesson_start + TimeDelta::hours(1)).is_some())
            .unwrap_or(false),
        || "the session holds its time in the teacher's calendar".to_owned(),
    )?;
    // The 1:1 side refuses the occurrence while the session holds it (the lesson rules).
    expect_error(
        "slot_unavailable",
        "a lesson over the session",
        h.engine.book_lesson(Actor::Student(student(2)), slot, lesson_start, student(2)),
    )?;
    step("cancel the session", h.engine.cancel_session(t, s.id))?;
    ensure(
        h.engine
            .calendar(Actor::System, teacher(1))
            .map(|c| c.overlapping_session(lesson_start, lesson_start + TimeDelta::hours(1)).is_none())
            .unwrap_or(false),
        || "a cancelled session frees its time".to_owned(),
    )?;
    step(
        "the lesson after the session was cancelled",
        h.engine.book_lesson(Actor::Student(student(2)), slot, lesson_start, student(2)),
    )?;
    Ok(())
}

/// Enrollment governs seats as it governs 1:1 lessons: a session of a course takes bookings
/// only for students enrolled in it (`not_enrolled`, whoever books: the student, an admin or
/// the system), and accepting an offer re-checks it, also when the teacher accepts for the
/// student. A session without a course is open to every student. Bookings already made are
/// kept when a student leaves the course: they may still cancel or decline, and a waitlisted
/// one is still promoted.
pub(crate) fn enrollment(f: StoreFactory<'_>) -> Result<(), String> {
    let (h, host) = Harness::with_host(f);
    let t = Actor::Teacher(teacher(1));
    let c = course(1);
    let of_course = |capacity, mode| NewGroupSession {
        course_id: Some(c),
        waitlist_mode: mode,
        ..multi_seat_session(capacity, true)
    };
    let s = create(&h, of_course(3, WaitlistMode::Promote))?;
    h.expect_refused(s.id, "not_enrolled", "a student not enrolled books", || {
        h.engine.book_seat(Actor::Student(student(1)), s.id, student(1))
    })?;
    match h.engine.book_seat(Actor::Student(student(1)), s.id, student(1)) {
        Err(BookingError::NotEnrolled { student_id, course_id }) => {
            ensure_eq((student_id, course_id), (student(1), c), "the error names the student and the course")?
        }
        other => return Err(format!("expected not_enrolled, got {other:?}")),
    }
    h.expect_refused(s.id, "not_enrolled", "a student not enrolled books several seats", || {
        h.engine.book_seats(Actor::Student(student(1)), s.id, student(1), 2)
    })?;
    for (what, actor) in [("an admin", Actor::Admin(admin(1))), ("the system", Actor::System)] {
        h.expect_refused(s.id, "not_enrolled", &format!("{what} books for a student not enrolled"), || {
            h.engine.book_seat(actor, s.id, student(1))
        })?;
    }
    h.expect_refused(s.id, "not_authorized", "who may book comes first", || {
        h.engine.book_seat(Actor::Student(student(2)), s.id, student(1))
    })?;
    host.enroll(student(1), c);
    ensure_eq(book(&h, s.id, 1, 1)?.status, SeatStatus::Confirmed, "an enrolled student books")?;
    host.enroll(student(2), course(2));
    h.expect_refused(s.id, "not_enrolled", "enrolled in another course", || {
        h.engine.book_seat(Actor::Student(student(2)), s.id, student(2))
    })?;
    host.enroll(student(2), c);
    let two =
        step("an admin books for an enrolled student", h.engine.book_seat(Actor::Admin(admin(1)), s.id, student(2)))?;
    ensure_eq(two.value.status, SeatStatus::Confirmed, "booked by an admin")?;
    // Leaving the course keeps the booking; the student may still cancel it.
    host.unenroll(student(2), c);
    step("a student who left the course cancels", h.engine.cancel_booking(Actor::Student(student(2)), two.value.id))?;
    let open = create(&h, new_session(teacher(1), 3, true))?;
    ensure_eq(book(&h, open.id, 4, 1)?.status, SeatStatus::Confirmed, "a session without a course is open to all")?;

    // Offers: accepting re-checks enrollment, whoever accepts; declining does not.
    host.enroll(student(2), c);
    host.enroll(student(3), c);
    let s = create(&h, of_course(1, WaitlistMode::Offer { hold_minutes: 60 }))?;
    let b: Vec<SeatBooking> = (1..=3).map(|n| book(&h, s.id, n, 1)).collect::<Result<_, _>>()?;
    host.unenroll(student(2), c);
    let r = step("1 cancels", h.engine.cancel_booking(Actor::Student(student(1)), b[0].id))?;
    ensure_eq(offers(&r.events).iter().map(|o| o.0).collect::<Vec<_>>(), vec![b[1].id], "the offer goes to the head")?;
    h.expect_refused(s.id, "not_enrolled", "a student who left the course accepts", || {
        h.engine.accept_offer(Actor::Student(student(2)), b[1].id)
    })?;
    h.expect_refused(s.id, "not_enrolled", "the teacher accepts for a student who left the course", || {
        h.engine.accept_offer(t, b[1].id)
    })?;
    let r = step("2 declines", h.engine.decline_offer(Actor::Student(student(2)), b[1].id))?;
    ensure_eq(kinds(&r.events), vec!["offer_declined", "seat_offered"], "declining passes the seat on")?;
    let r = step("3 accepts", h.engine.accept_offer(Actor::Student(student(3)), b[2].id))?;
    ensure_eq(r.value.status, SeatStatus::Confirmed, "an enrolled student accepts")?;

    // Promote mode: a waitlisted booking is promoted even if its student left the course since.
    host.enroll(student(2), c);
    let s = create(&h, of_course(1, WaitlistMode::Promote))?;
    let first = book(&h, s.id, 1, 1)?;
    let waiting = book(&h, s.id, 2, 1)?;
    host.unenroll(student(2), c);
    let r = step("1 cancels", h.engine.cancel_booking(Actor::Student(student(1)), first.id))?;
    ensure_eq(kinds(&r.events), vec!["booking_cancelled", "booking_promoted"], "the waitlisted booking is kept")?;
    ensure_eq(status(&h, s.id, waiting.id)?, Some(SeatStatus::Confirmed), "promoted")
}

/// One booking takes at most the session's seats per booking: 1 unless the teacher set more
/// (on the session, for the course or as their default, the session's own winning), on a
/// seat or on the waitlist alike, whoever books; a refusal (`limit_reached`) changes nothing.
/// A slot may not set it (a group-session rule).
pub(crate) fn seat_limit(f: StoreFactory<'_>) -> Result<(), String> {
    let (h, host) = Harness::with_host(f);
    let t = Actor::Teacher(teacher(1));
    let s = h.session(5, true)?;
    ensure_eq(s.rules.max_seats_per_booking, Some(1), "unset everywhere, the session records 1 seat per booking")?;
    h.expect_refused(s.id, "limit_reached", "a student books 2 seats by default", || {
        h.engine.book_seats(Actor::Student(student(1)), s.id, student(1), 2)
    })?;
    match h.engine.book_seats(Actor::Student(student(1)), s.id, student(1), 5) {
        Err(BookingError::LimitReached { limit, max }) => {
            ensure_eq((limit.as_str(), max), ("seats per booking in this session", 1), "the error names the limit")?
        }
        other => return Err(format!("taking every seat in one call: expected limit_reached, got {other:?}")),
    }
    h.expect_refused(s.id, "limit_reached", "an admin books 2 seats for a student", || {
        h.engine.book_seats(Actor::Admin(admin(1)), s.id, student(1), 2)
    })?;
    h.expect_refused(s.id, "invalid_input", "more seats than the capacity is bad input first", || {
        h.engine.book_seats(Actor::Student(student(1)), s.id, student(1), 6)
    })?;
    ensure_eq(book(&h, s.id, 1, 1)?.status, SeatStatus::Confirmed, "one seat")?;

    // The session's own limit; on the waitlist too.
    let own = SchedulingRules { max_seats_per_booking: Some(3), ..Default::default() };
    let s = create(&h, NewGroupSession { rules: own, ..new_session(teacher(1), 4, true) })?;
    ensure_eq(book(&h, s.id, 1, 3)?.seats, 3, "3 seats in one booking")?;
    h.expect_refused(s.id, "limit_reached", "4 seats on the waitlist", || {
        h.engine.book_seats(Actor::Student(student(2)), s.id, student(2), 4)
    })?;
    ensure_eq(book(&h, s.id, 2, 3)?.status, SeatStatus::Waitlisted, "3 seats wait as one")?;

    // Precedence: the session's own, then the teacher's for the course, then the teacher's.
    let c = course(1);
    let limit = |n| SchedulingRules { max_seats_per_booking: Some(n), ..Default::default() };
    step("teacher's default", h.engine.set_scheduling_rules(t, teacher(1), None, limit(2)))?;
    step("teacher's for the course", h.engine.set_scheduling_rules(t, teacher(1), Some(c), limit(4)))?;
    let later = |n: i64| new_session(teacher(1), 6, true).starts_at + TimeDelta::hours(2 * n);
    let plain = create(&h, NewGroupSession { starts_at: later(1), ..new_session(teacher(1), 6, true) })?;
    let of_course =
        create(&h, NewGroupSession { starts_at: later(2), course_id: Some(c), ..new_session(teacher(1), 6, true) })?;
    let own = create(
        &h,
        NewGroupSession {
            starts_at: later(3),
            course_id: Some(c),
            rules: limit(1),
            ..new_session(teacher(1), 6, true)
        },
    )?;
    ensure_eq(
        (plain.rules.max_seats_per_booking, of_course.rules.max_seats_per_booking, own.rules.max_seats_per_booking),
        (Some(2), Some(4), Some(1)),
        "(teacher's, course's, session's own)",
    )?;
    host.enroll(student(1), c);
    ensure_eq(book(&h, of_course.id, 1, 4)?.seats, 4, "the course allows 4")?;
    h.expect_refused(plain.id, "limit_reached", "the teacher's default allows 2", || {
        h.engine.book_seats(Actor::Student(student(1)), plain.id, student(1), 3)
    })?;
    // The limit stays what the session was created with.
    step("the teacher lowers the default", h.engine.set_scheduling_rules(t, teacher(1), None, limit(1)))?;
    ensure_eq(book(&h, plain.id, 1, 2)?.seats, 2, "a rule change does not reach an existing session")?;

    // Bad values create or set nothing; a slot may not set it.
    h.expect_refused(s.id, "invalid_input", "0 seats per booking on a session", || {
        h.engine.create_session(t, NewGroupSession { rules: limit(0), ..new_session(teacher(1), 2, true) })
    })?;
    expect_error(
        "invalid_input",
        "more seats per booking than allowed",
        h.engine.set_scheduling_rules(t, teacher(1), None, limit(crate::rules::MAX_LIMIT + 1)),
    )?;
    let slot = SlotSpec {
        course_id: None,
        time_zone: "UTC".to_owned(),
        recurrence: SlotRecurrence::OneTime {
            start: (t0() + TimeDelta::days(3)).naive_utc(),
            end: (t0() + TimeDelta::days(3) + TimeDelta::hours(1)).naive_utc(),
        },
        active: true,
        rules: limit(2),
    };
    match h.engine.publish_slot(t, teacher(1), slot) {
        Err(BookingError::InvalidInput { field, .. }) if field == "max_seats_per_booking" => Ok(()),
        other => Err(format!("a slot's seats per booking: expected invalid_input, got {other:?}")),
    }
}
