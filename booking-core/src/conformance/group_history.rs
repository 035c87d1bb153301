//! Finished seat bookings (cancelled, declined, expired) leave the session for the store's
//! booking history, in the commit that finishes them, and stay readable by id; and the
//! retention of request records. See [`crate::repository`] ("Booking history" and
//! "Retention").

use super::harness::{Harness, StoreFactory, ensure, ensure_eq, expect_error, new_session, step, student, teacher};
use crate::{
    Actor, BookingError, BookingId, GroupSession, NewGroupSession, SeatBooking, SeatStatus, SessionId, WaitlistMode,
};
use chrono::TimeDelta;
use std::sync::Arc;

/// How many book/cancel cycles the looping student runs.
const CYCLES: u32 = 60;

/// The session as the store holds it (through the repository, not the engine).
fn stored(h: &Harness, id: SessionId) -> Result<Arc<GroupSession>, String> {
    h.engine
        .repository()
        .load_session(id)
        .map_err(|e| format!("loading session {id} from the store: {e}"))?
        .ok_or_else(|| format!("session {id} is not stored"))
}

/// The ids and statuses of the bookings the stored session holds, in order.
fn held(h: &Harness, id: SessionId) -> Result<Vec<(BookingId, SeatStatus)>, String> {
    Ok(stored(h, id)?.bookings.iter().map(|b| (b.id, b.status)).collect())
}

/// The booking as the engine reads it by id, expected in `status`.
fn read_back(h: &Harness, id: BookingId, status: SeatStatus, what: &str) -> Result<SeatBooking, String> {
    let booking = step(&format!("reading {what} by id"), h.engine.seat_booking(Actor::System, id))?;
    ensure_eq((booking.id, booking.status), (id, status), &format!("{what} read by id"))?;
    Ok(booking)
}

/// A student looping book/cancel on a full session (waitlisted cancellations have no
/// cut-off), offers declined and expired, and a cancelled session: the stored session holds
/// only its live bookings; every finished booking is still read by id with its final status
/// (and exported to iCalendar); commands on finished bookings are refused exactly as before;
/// replays, waitlist positions and later bookings are unchanged.
pub(crate) fn finished_bookings_leave_the_session(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let t = Actor::Teacher(teacher(1));
    let cutoff = crate::SchedulingRules { cancel_cutoff_minutes: Some(24 * 60), ..Default::default() };
    let s = step(
        "create",
        h.engine.create_session(t, NewGroupSession { rules: cutoff, ..new_session(teacher(1), 1, true) }),
    )?
    .value;
    let seat = step("1 books", h.engine.book_seat(Actor::Student(student(1)), s.id, student(1)))?.value;
    let waiting = step("2 books", h.engine.book_seat(Actor::Student(student(2)), s.id, student(2)))?.value;
    // Within the cut-off: student 3 may still leave the queue, again and again.
    h.clock.advance(TimeDelta::hours(2));
    let looper = Actor::Student(student(3));
    let mut finished = Vec::new();
    let mut first = None;
    for n in 0..CYCLES {
        let booked = step("3 books", h.engine.book_seat(looper, s.id, student(3)))?;
        ensure_eq(
            (
                booked.value.status,
                h.engine.session(Actor::System, s.id).ok().and_then(|x| x.waitlist_position(booked.value.id)),
            ),
            (SeatStatus::Waitlisted, Some(2)),
            "3 queues behind 2 every time",
        )?;
        let key = format!("leave-{n}");
        let cancelled = step("3 cancels", h.engine.cancel_booking(looper.with_key(key.clone()), booked.value.id))?;
        ensure_eq(cancelled.value.status, SeatStatus::Cancelled, "the receipt's booking")?;
        if first.is_none() {
            first = Some((key, cancelled));
        }
        finished.push(booked.value.id);
    }
    ensure_eq(
        held(&h, s.id)?,
        vec![(seat.id, SeatStatus::Confirmed), (waiting.id, SeatStatus::Waitlisted)],
        &format!("after {CYCLES} book/cancel cycles the stored session holds only its live bookings"),
    )?;
    for id in &finished {
        read_back(&h, *id, SeatStatus::Cancelled, "a cancelled booking")?;
    }
    let ics = step("iCalendar of a cancelled booking", h.engine.booking_ical(Actor::System, finished[0]))?;
    ensure(ics.contains("STATUS:CANCELLED\r\n"), || format!("a cancelled booking exports as cancelled:\n{ics}"))?;
    // A replay of the first cancellation returns the first outcome, changing nothing.
    let (key, first) = first.ok_or("no cycle ran")?;
    let replay = step("replaying a cancellation", h.engine.cancel_booking(looper.with_key(key), finished[0]))?;
    ensure(replay.replayed, || "the retry is a replay".to_owned())?;
    ensure_eq((&replay.value, &replay.events, replay.version), (&first.value, &first.events, first.version), "replay")?;
    // Commands on a finished booking are refused as they were while it sat in the session.
    h.expect_refused(s.id, "invalid_transition", "cancelling a cancelled booking", || {
        h.engine.cancel_booking(looper, finished[1])
    })?;
    h.expect_refused(s.id, "not_authorized", "another student cancelling it", || {
        h.engine.cancel_booking(Actor::Student(student(9)), finished[1])
    })?;
    h.expect_refused(s.id, "invalid_transition", "accepting an offer on it", || {
        h.engine.accept_offer(looper, finished[1])
    })?;
    h.expect_refused(s.id, "invalid_transition", "declining an offer on it", || {
        h.engine.decline_offer(t, finished[1])
    })?;
    h.expect_refused(s.id, "session_not_started", "marking its attendance", || {
        h.engine.mark_attendance(t, finished[1], true)
    })?;
    // The loop did not disturb the queue: 1 cancels (the teacher, past the cut-off), 2 is promoted.
    let r = step("the teacher cancels 1", h.engine.cancel_booking(t, seat.id))?;
    ensure_eq(r.events.len(), 2, "cancelled and promoted")?;
    ensure_eq(held(&h, s.id)?, vec![(waiting.id, SeatStatus::Confirmed)], "the cancelled seat left too")?;
    read_back(&h, seat.id, SeatStatus::Cancelled, "the cancelled seat")?;
    let again = step("3 books again", h.engine.book_seat(looper, s.id, student(3)))?.value;
    ensure_eq(again.status, SeatStatus::Waitlisted, "3 queues again")?;
    ensure_eq(
        h.engine.session(Actor::System, s.id).ok().and_then(|x| x.waitlist_position(again.id)),
        Some(1),
        "at the head",
    )?;

    // Offers declined and expired leave too; their errors are unchanged.
    let o = step(
        "create an offer session",
        h.engine.create_session(
            t,
            NewGroupSession {
                waitlist_mode: WaitlistMode::Offer { hold_minutes: 30 },
                ..new_session(teacher(1), 1, true)
            },
        ),
    )?
    .value;
    let b: Vec<SeatBooking> = (1..=4)
        .map(|n| step("book", h.engine.book_seat(Actor::Student(student(n)), o.id, student(n))).map(|r| r.value))
        .collect::<Result<_, _>>()?;
    step("1 cancels", h.engine.cancel_booking(Actor::Student(student(1)), b[0].id))?;
    step("2 declines", h.engine.decline_offer(Actor::Student(student(2)), b[1].id))?;
    let deadline = h.engine.now() + TimeDelta::minutes(30);
    h.clock.set(deadline);
    step("process expiries", h.engine.process_expired_offers(deadline))?;
    ensure_eq(
        held(&h, o.id)?,
        vec![(b[3].id, SeatStatus::Offered)],
        "only the live offer stays after a cancel, a decline and an expiry",
    )?;
    read_back(&h, b[0].id, SeatStatus::Cancelled, "the cancelled booking")?;
    read_back(&h, b[1].id, SeatStatus::Cancelled, "the declined offer")?;
    let expired = read_back(&h, b[2].id, SeatStatus::Expired, "the expired offer")?;
    ensure_eq(expired.offer_expires_at, Some(deadline), "the expired offer keeps its deadline")?;
    match h.engine.accept_offer(Actor::Student(student(3)), b[2].id) {
        Err(BookingError::OfferExpired { booking_id, expired_at }) => {
            ensure_eq((booking_id, expired_at), (b[2].id, deadline), "the error names the offer's deadline")?
        }
        other => return Err(format!("accepting an expired offer: expected offer_expired, got {other:?}")),
    }
    h.expect_refused(o.id, "offer_expired", "declining an expired offer", || {
        h.engine.decline_offer(Actor::Student(student(3)), b[2].id)
    })?;
    h.expect_refused(o.id, "invalid_transition", "accepting a declined offer", || {
        h.engine.accept_offer(Actor::Student(student(2)), b[1].id)
    })?;

    // A cancelled session keeps no booking; its bookings are read by id, and commands on
    // them say the session is cancelled.
    let c = step("create", h.engine.create_session(t, new_session(teacher(1), 2, true)))?.value;
    let cb: Vec<SeatBooking> = (1..=3)
        .map(|n| step("book", h.engine.book_seat(Actor::Student(student(n)), c.id, student(n))).map(|r| r.value))
        .collect::<Result<_, _>>()?;
    let r = step("the teacher cancels the session", h.engine.cancel_session(t, c.id))?;
    ensure(r.value.bookings.is_empty(), || format!("the returned session holds no booking: {:?}", r.value.bookings))?;
    ensure_eq(held(&h, c.id)?, vec![], "a cancelled session holds no booking")?;
    ensure_eq(stored(&h, c.id)?.is_cancelled(), true, "cancelled")?;
    for x in &cb {
        read_back(&h, x.id, SeatStatus::Cancelled, "a booking of the cancelled session")?;
    }
    h.expect_refused(c.id, "session_cancelled", "cancelling a booking of a cancelled session", || {
        h.engine.cancel_booking(Actor::Student(student(1)), cb[0].id)
    })?;
    expect_error(
        "booking_not_found",
        "an unknown booking",
        h.engine.seat_booking(Actor::System, BookingId::from_uuid(uuid::Uuid::from_u128(77))),
    )
}

/// Pruning request records: the records recorded strictly before the instant go, the others
/// stay; a retry with a pruned key is decided afresh (here: a booking cancelled since books
/// again) while a kept key still replays; pruning changes no session.
pub(crate) fn prune_request_records(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let s = h.session(1, true)?;
    let (ana, ben) = (Actor::Student(student(1)), Actor::Student(student(2)));
    let t0 = h.engine.now();
    let first = step("ana books under k1", h.engine.book_seat(ana.with_key("k1"), s.id, student(1)))?;
    h.clock.advance(TimeDelta::hours(1));
    let kept = step("ben books under k2", h.engine.book_seat(ben.with_key("k2"), s.id, student(2)))?;
    step("ana cancels under c1", h.engine.cancel_booking(ana.with_key("c1"), first.value.id))?;
    let before = stored(&h, s.id)?;
    ensure_eq(step("prune before t0 + 30 min", h.engine.prune_requests(t0 + TimeDelta::minutes(30)))?, 1, "pruned")?;
    ensure_eq(stored(&h, s.id)?, before, "pruning changes no session")?;
    ensure_eq(step("prune again", h.engine.prune_requests(t0 + TimeDelta::minutes(30)))?, 0, "pruned twice")?;
    let replay = step("ben retries k2", h.engine.book_seat(ben.with_key("k2"), s.id, student(2)))?;
    ensure(replay.replayed, || format!("a kept key replays: {replay:?}"))?;
    ensure_eq((&replay.value, replay.version), (&kept.value, kept.version), "the replay is the first outcome")?;
    let again = step("ana retries k1", h.engine.book_seat(ana.with_key("k1"), s.id, student(1)))?;
    ensure(!again.replayed && again.value.id != first.value.id, || {
        format!("a pruned key is decided afresh, as a new booking: {again:?}")
    })?;
    // Records exactly at the instant stay: only those strictly before it go.
    let at = t0 + TimeDelta::hours(1);
    ensure_eq(step("prune before t0 + 1 h", h.engine.prune_requests(at))?, 0, "records at the instant stay")?;
    let pruned = step("prune just after", h.engine.prune_requests(at + TimeDelta::seconds(1)))?;
    ensure_eq(pruned, 3, "k2, c1 and the new k1 recorded at t0 + 1 h")?;
    let fresh = h.engine.book_seat(ben.with_key("k2"), s.id, student(2));
    expect_error("already_booked", "ben's pruned key, decided afresh", fresh)
}
