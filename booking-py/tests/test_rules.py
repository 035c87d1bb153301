"""Issue 8 through Python, on every store: booking windows, buffers, cut-offs with overrides,
rescheduling, waitlist offers, time off, group sessions blocking 1:1 lessons, limits,
multi-seat bookings and 1:1 no-shows. (The calendar export is in ``test_ical.py``.)"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import NOW, book, create_session, new_id

import booking_engine as booking
from booking_engine import Actor, EventKind, LessonStatus, SchedulingRules, SeatStatus, WaitlistMode

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2030, 5, 6)
UTC = timezone.utc


def slot(
    engine: booking.Engine,
    teacher: uuid.UUID,
    weekday: booking.Weekday = booking.Weekday.MONDAY,
    hours: tuple[int, int] = (14, 15),
    **extra: Any,
) -> booking.AvailabilitySlot:
    """A weekly slot in Paris from Monday 6 May 2030 (14:00 Paris is 12:00 UTC in May)."""
    return engine.publish_slot(
        Actor.teacher(teacher),
        teacher,
        booking.WeeklySlot(weekday, time(hours[0]), time(hours[1]), MONDAY),
        time_zone="Europe/Paris",
        **extra,
    ).value


def paris(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)


def week(n: int) -> date:
    """The Monday ``n`` weeks after 6 May 2030."""
    return MONDAY + timedelta(weeks=n)


def lesson(engine: booking.Engine, s: booking.AvailabilitySlot, at: datetime, student: uuid.UUID) -> booking.Lesson:
    return engine.book_lesson(Actor.student(student), s.id, at, student).value


def listed(engine: booking.Engine, teacher: uuid.UUID, days: int = 35) -> list[datetime]:
    return [o.starts_at for o in engine.list_occurrences(teacher, NOW, NOW + timedelta(days=days))]


# --- the value classes --------------------------------------------------------------------------


def test_scheduling_rules_value() -> None:
    rules = SchedulingRules(min_notice_minutes=60, buffer_after_minutes=15)
    assert rules.min_notice_minutes == 60 and rules.buffer_after_minutes == 15 and rules.max_advance_days is None
    assert rules == SchedulingRules(buffer_after_minutes=15, min_notice_minutes=60) and hash(rules) == hash(
        SchedulingRules(min_notice_minutes=60, buffer_after_minutes=15)
    )
    assert rules != SchedulingRules(min_notice_minutes=60)
    assert repr(rules) == "SchedulingRules(min_notice_minutes=60, buffer_after_minutes=15)"
    assert repr(SchedulingRules()) == "SchedulingRules()" and SchedulingRules().is_empty and not rules.is_empty
    assert rules.to_dict() == {"min_notice_minutes": 60, "buffer_after_minutes": 15}
    assert SchedulingRules(**rules.to_dict()) == rules
    teacher = SchedulingRules(min_notice_minutes=24 * 60, cancel_cutoff_minutes=120)
    assert SchedulingRules(min_notice_minutes=60).or_(teacher) == SchedulingRules(
        min_notice_minutes=60, cancel_cutoff_minutes=120
    )
    with pytest.raises(booking.InvalidInputError) as bad:
        SchedulingRules(max_lessons_per_day=0)
    assert bad.value.details["field"] == "max_lessons_per_day"
    with pytest.raises(booking.InvalidInputError):
        SchedulingRules(buffer_before_minutes=-5)
    with pytest.raises(booking.InvalidInputError):
        SchedulingRules(min_notice_minutes=3 * 24 * 60, max_advance_days=2)  # closes before it opens
    with pytest.raises(TypeError):
        SchedulingRules(60)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        rules.min_notice_minutes = 5  # type: ignore[misc]


def test_waitlist_mode_value() -> None:
    offer = WaitlistMode.offer(hold_minutes=30)
    assert (offer.mode, offer.hold_minutes) == ("offer", 30)
    assert (WaitlistMode.promote().mode, WaitlistMode.promote().hold_minutes) == ("promote", None)
    assert offer == WaitlistMode.offer(30) and offer != WaitlistMode.promote()
    assert len({offer, WaitlistMode.offer(30), WaitlistMode.promote()}) == 2
    assert repr(offer) == "WaitlistMode.offer(hold_minutes=30)"
    # The core checks the hold when a session takes it (0, -1, 2**70 alike; see
    # test_hostile_inputs); until then the value is kept as given.
    assert WaitlistMode.offer(-1).hold_minutes == -1
    with pytest.raises(booking.InvalidInputError):
        WaitlistMode.offer("30")  # type: ignore[arg-type]


def test_event_kinds_match_the_core() -> None:
    assert [k.value for k in EventKind] == list(booking.EVENT_KINDS)
    assert len(booking.EVENT_KINDS) == len(set(booking.EVENT_KINDS)) >= 29


# --- booking window -----------------------------------------------------------------------------


def test_booking_window_and_precedence(engine: booking.Engine, teacher: uuid.UUID) -> None:
    t = Actor.teacher(teacher)
    rules = SchedulingRules(min_notice_minutes=6 * 24 * 60, max_advance_days=20)
    receipt = engine.set_scheduling_rules(t, teacher, rules)
    assert receipt.value == rules
    (event,) = receipt.events
    assert event.kind is EventKind.SCHEDULING_RULES_SET and event.rules == rules
    assert event.teacher_id == teacher and event.course_id is None
    assert engine.calendar(Actor.system(), teacher).rules == rules
    s = slot(engine, teacher)
    student = new_id()
    # 6 May is 5 days away (under the 6 days' notice), 27 May more than 20 days away.
    with pytest.raises(booking.OutsideBookingWindowError) as early:
        lesson(engine, s, paris(week(0), 14), student)
    assert early.value.code == "outside_booking_window"
    assert set(early.value.details) >= {"starts_at", "earliest", "latest"}
    with pytest.raises(booking.OutsideBookingWindowError):
        lesson(engine, s, paris(week(3), 14), student)
    # Listings leave out what cannot be booked.
    assert listed(engine, teacher) == [paris(week(1), 14), paris(week(2), 14)]
    assert lesson(engine, s, paris(week(1), 14), student).status is LessonStatus.CONFIRMED
    # A slot's own rules win, field by field: one hour's notice, the teacher's 20 days' advance.
    quick = slot(engine, teacher, hours=(16, 17), rules=SchedulingRules(min_notice_minutes=60))
    assert quick.rules == SchedulingRules(min_notice_minutes=60)
    assert engine.calendar(Actor.system(), teacher).rules_for_slot(quick) == SchedulingRules(min_notice_minutes=60, max_advance_days=20)
    assert lesson(engine, quick, paris(week(0), 16), new_id()).rules.max_advance_days == 20
    with pytest.raises(booking.OutsideBookingWindowError):
        lesson(engine, quick, paris(week(3), 16), new_id())
    # Course rules sit between the slot's and the teacher's.
    course = new_id()
    course_rules = SchedulingRules(min_notice_minutes=0)
    assert engine.set_scheduling_rules(t, teacher, course_rules, course_id=course).value == course_rules
    calendar = engine.calendar(Actor.system(), teacher)
    assert calendar.course_rules == {course: course_rules}
    assert calendar.rules_for_course(course) == SchedulingRules(min_notice_minutes=0, max_advance_days=20)
    assert calendar.rules_for_course() == rules
    # Empty rules remove a level; only the teacher may set them.
    engine.set_scheduling_rules(t, teacher, SchedulingRules(), course_id=course)
    assert engine.calendar(Actor.system(), teacher).course_rules == {}
    with pytest.raises(booking.NotAuthorizedError):
        engine.set_scheduling_rules(Actor.student(student), teacher, SchedulingRules())


def test_session_window(engine: booking.Engine, teacher: uuid.UUID) -> None:
    engine.set_scheduling_rules(Actor.teacher(teacher), teacher, SchedulingRules(min_notice_minutes=3 * 24 * 60))
    soon = create_session(engine, teacher, 3)  # in 2 days
    # The session records the seats per booking in force: 1, as no level sets it.
    assert soon.rules == SchedulingRules(min_notice_minutes=3 * 24 * 60, max_seats_per_booking=1)
    with pytest.raises(booking.OutsideBookingWindowError):
        book(engine, soon, new_id())
    own = create_session(
        engine, teacher, 3, starts_at=NOW + timedelta(days=4), rules=SchedulingRules(max_advance_days=30)
    )
    assert own.rules == SchedulingRules(min_notice_minutes=3 * 24 * 60, max_advance_days=30, max_seats_per_booking=1)
    assert book(engine, own, new_id()).status is SeatStatus.CONFIRMED
    # Buffers and limits are about 1:1 lessons: refused for a session.
    with pytest.raises(booking.InvalidInputError):
        create_session(engine, teacher, 3, rules=SchedulingRules(buffer_after_minutes=10))


# --- buffers -------------------------------------------------------------------------------------


def test_buffers_keep_a_gap(engine: booking.Engine, teacher: uuid.UUID) -> None:
    rules = SchedulingRules(buffer_before_minutes=10, buffer_after_minutes=30)
    engine.set_scheduling_rules(Actor.teacher(teacher), teacher, rules)
    first = slot(engine, teacher, hours=(14, 15))
    second = slot(engine, teacher, hours=(15, 16))  # back to back
    third = slot(engine, teacher, hours=(16, 17))
    student = new_id()
    booked = lesson(engine, first, paris(week(0), 14), student)
    assert booked.rules == rules
    (hold,) = engine.calendar(Actor.system(), teacher).holds
    assert (hold.starts_at, hold.ends_at) == (paris(week(0), 14), paris(week(0), 15))
    assert (hold.busy_from, hold.busy_until) == (
        paris(week(0), 14) - timedelta(minutes=10),
        paris(week(0), 15) + timedelta(minutes=30),
    )
    assert hold.teacher_id == teacher and hold.course_id is None
    (student_hold,) = engine.calendar(Actor.system(), student).holds
    assert (student_hold.busy_from, student_hold.busy_until) == (paris(week(0), 14), paris(week(0), 15))
    with pytest.raises(booking.SlotUnavailableError):
        lesson(engine, second, paris(week(0), 15), new_id())
    on_monday = [at for at in listed(engine, teacher, days=6)]
    assert paris(week(0), 15) not in on_monday and paris(week(0), 16) in on_monday
    assert lesson(engine, third, paris(week(0), 16), new_id()).status is LessonStatus.CONFIRMED


# --- cut-offs ------------------------------------------------------------------------------------


def test_lesson_cutoffs_and_overrides(engine: booking.Engine, clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    engine.set_scheduling_rules(
        Actor.teacher(teacher),
        teacher,
        SchedulingRules(cancel_cutoff_minutes=24 * 60, reschedule_cutoff_minutes=48 * 60),
    )
    s = slot(engine, teacher)
    student = new_id()
    soon = lesson(engine, s, paris(week(0), 14), student)
    later = lesson(engine, s, paris(week(1), 14), student)
    clock.set(paris(week(0), 14) - timedelta(hours=23))
    with pytest.raises(booking.CutoffPassedError) as refused:
        engine.cancel_lesson(Actor.student(student), soon.id)
    assert refused.value.details["action"] == "cancelled"
    assert "cutoff_at" in refused.value.details
    assert engine.lesson(Actor.system(), soon.id).status is LessonStatus.CONFIRMED
    with pytest.raises(booking.CutoffPassedError) as no_move:
        engine.reschedule_lesson(Actor.student(student), soon.id, s.id, paris(week(2), 14))
    assert no_move.value.details["action"] == "rescheduled"
    # The teacher may, and the event says the cut-off was overridden.
    moved = engine.reschedule_lesson(Actor.teacher(teacher), soon.id, s.id, paris(week(2), 14))
    assert moved.events[0].kind is EventKind.LESSON_RESCHEDULED and moved.events[0].cutoff_overridden is True
    cancelled = engine.cancel_lesson(Actor.admin(new_id()), later.id)
    assert cancelled.value.status is LessonStatus.CANCELLED
    assert cancelled.events[0].kind is EventKind.LESSON_CANCELLED and cancelled.events[0].cutoff_overridden is False
    # Before the cut-off, the student may, and nothing is overridden.
    own = engine.cancel_lesson(Actor.student(student), soon.id)
    assert own.events[0].cutoff_overridden is False


def test_session_cutoff_and_override(engine: booking.Engine, clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    session = create_session(engine, teacher, 3, rules=SchedulingRules(cancel_cutoff_minutes=120))
    assert session.rules.cancel_cutoff_minutes == 120
    a, b, c = new_id(), new_id(), new_id()
    seat_a, seat_b, seat_c = book(engine, session, a), book(engine, session, b), book(engine, session, c)
    free = engine.cancel_booking(Actor.student(c), seat_c.id)
    assert free.events[0].cutoff_overridden is False
    clock.set(session.starts_at - timedelta(hours=1))
    with pytest.raises(booking.CutoffPassedError):
        engine.cancel_booking(Actor.student(a), seat_a.id)
    assert engine.seat_booking(Actor.system(), seat_a.id).status is SeatStatus.CONFIRMED
    overridden = engine.cancel_booking(Actor.teacher(teacher), seat_b.id)
    assert overridden.events[0].kind is EventKind.BOOKING_CANCELLED
    assert overridden.events[0].cutoff_overridden is True


# --- reschedule ----------------------------------------------------------------------------------


def test_reschedule_moves_atomically(engine: booking.Engine, teacher: uuid.UUID) -> None:
    s = slot(engine, teacher)
    student, other = new_id(), new_id()
    booked = lesson(engine, s, paris(week(0), 14), student)
    taken = lesson(engine, s, paris(week(1), 14), other)
    receipt = engine.reschedule_lesson(Actor.student(student), booked.id, s.id, paris(week(2), 14), key="move-1")
    moved = receipt.value
    assert moved.id == booked.id and moved.starts_at == paris(week(2), 14) and moved.status is LessonStatus.CONFIRMED
    (event,) = receipt.events
    assert event.kind is EventKind.LESSON_RESCHEDULED and event.lesson is not None
    assert (event.lesson.id, event.lesson.starts_at, event.lesson.slot_id) == (moved.id, moved.starts_at, s.id)
    assert event.booking_id == booked.id and event.student_id == student and event.teacher_id == teacher
    assert (event.previous_slot_id, event.previous_starts_at, event.previous_ends_at) == (
        s.id,
        paris(week(0), 14),
        paris(week(0), 15),
    )
    assert event.cutoff_overridden is False
    # The old time is free, the new one taken, in both calendars.
    free = listed(engine, teacher)
    assert paris(week(0), 14) in free and paris(week(2), 14) not in free
    assert {h.starts_at for h in engine.calendar(Actor.system(), teacher).holds} == {paris(week(1), 14), paris(week(2), 14)}
    assert [h.starts_at for h in engine.calendar(Actor.system(), student).holds] == [paris(week(2), 14)]
    # A retry with the same key replays; nothing moves twice.
    again = engine.reschedule_lesson(Actor.student(student), booked.id, s.id, paris(week(2), 14), key="move-1")
    assert again.replayed and again.value == moved
    # Refused moves change nothing: another's time, no occurrence, not the student's lesson.
    before = (engine.lesson(Actor.system(), booked.id), engine.calendar(Actor.system(), teacher), engine.calendar(Actor.system(), student), engine.lesson(Actor.system(), taken.id))
    with pytest.raises(booking.SlotUnavailableError):
        engine.reschedule_lesson(Actor.student(student), booked.id, s.id, paris(week(1), 14))
    with pytest.raises(booking.OccurrenceNotOfferedError):
        engine.reschedule_lesson(Actor.student(student), booked.id, s.id, paris(week(1), 15))
    with pytest.raises(booking.NotAuthorizedError):
        engine.reschedule_lesson(Actor.student(other), booked.id, s.id, paris(week(3), 14))
    assert (engine.lesson(Actor.system(), booked.id), engine.calendar(Actor.system(), teacher), engine.calendar(Actor.system(), student), engine.lesson(Actor.system(), taken.id)) == before


def test_reschedule_applies_approval(engine: booking.Engine, teacher: uuid.UUID) -> None:
    store = engine.store
    course, student = new_id(), new_id()
    store.enroll(student, course)
    s = slot(engine, teacher, course_id=course)
    booked = lesson(engine, s, paris(week(0), 14), student)
    assert booked.status is LessonStatus.CONFIRMED
    store.set_course_approval(course, True)
    by_teacher = engine.reschedule_lesson(Actor.teacher(teacher), booked.id, s.id, paris(week(1), 14)).value
    assert by_teacher.status is LessonStatus.CONFIRMED  # the teacher is the approver
    by_student = engine.reschedule_lesson(Actor.student(student), booked.id, s.id, paris(week(2), 14)).value
    assert by_student.status is LessonStatus.PENDING and by_student.id == booked.id
    # A pending lesson can be moved too, and approved where it lands.
    pending = engine.reschedule_lesson(Actor.student(student), booked.id, s.id, paris(week(3), 14)).value
    assert pending.status is LessonStatus.PENDING
    approved = engine.approve_lesson(Actor.teacher(teacher), booked.id).value
    assert approved.status is LessonStatus.CONFIRMED and approved.starts_at == paris(week(3), 14)


def test_reschedule_one_occurrence_of_a_series(engine: booking.Engine, teacher: uuid.UUID) -> None:
    s = slot(engine, teacher)
    other_day = slot(engine, teacher, booking.Weekday.TUESDAY)
    student = new_id()
    series = engine.book_series(Actor.student(student), s.id, student, paris(week(0), 14), count=3).value
    second = series.lessons[1]
    moved = engine.reschedule_lesson(Actor.student(student), second.id, other_day.id, paris(week(1) + timedelta(days=1), 14))
    assert moved.value.series_id == series.series_id and moved.value.slot_id == other_day.id
    assert [engine.lesson(Actor.system(), x.id).starts_at for x in series.lessons] == [
        paris(week(0), 14),
        paris(week(1) + timedelta(days=1), 14),
        paris(week(2), 14),
    ]


# --- waitlist by offer ---------------------------------------------------------------------------


def test_offer_cycle(engine: booking.Engine, clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    session = create_session(engine, teacher, 1, waitlist=True, waitlist_mode=WaitlistMode.offer(hold_minutes=30))
    assert session.waitlist_mode == WaitlistMode.offer(30)
    a, b, c, d, e = (new_id() for _ in range(5))
    seat_a = book(engine, session, a)
    seat_b, seat_c, seat_d, seat_e = (book(engine, session, x) for x in (b, c, d, e))
    assert {x.status for x in (seat_b, seat_c, seat_d, seat_e)} == {SeatStatus.WAITLISTED}
    # A freed seat is offered, not given: it stays taken while the offer runs.
    freed = engine.cancel_booking(Actor.student(a), seat_a.id)
    assert [x.kind for x in freed.events] == [EventKind.BOOKING_CANCELLED, EventKind.SEAT_OFFERED]
    offer = freed.events[1]
    assert (offer.booking_id, offer.student_id, offer.seats) == (seat_b.id, b, 1)
    assert offer.expires_at == NOW + timedelta(minutes=30)
    offered = engine.seat_booking(Actor.system(), seat_b.id)
    assert offered.status is SeatStatus.OFFERED and offered.offer_expires_at == NOW + timedelta(minutes=30)
    current = engine.session(Actor.system(), session.id)
    assert current.next_offer_deadline == NOW + timedelta(minutes=30) and current.remaining_seats == 0
    # Nothing is due before the deadline; after it, the host's periodic call moves the offer on.
    assert engine.process_expired_offers(NOW + timedelta(minutes=29)).events == []
    clock.advance(timedelta(minutes=31))
    sweep = engine.process_expired_offers(clock.now())
    assert sweep.failures == []
    events = sweep.events
    assert [(x.kind, x.booking_id) for x in events] == [
        (EventKind.OFFER_EXPIRED, seat_b.id),
        (EventKind.SEAT_OFFERED, seat_c.id),
    ]
    assert all(x.actor == Actor.system() for x in events)
    assert engine.seat_booking(Actor.system(), seat_b.id).status is SeatStatus.EXPIRED
    again = engine.process_expired_offers(clock.now())
    assert (again.events, again.failures) == ([], [])
    with pytest.raises(booking.OfferExpiredError):
        engine.accept_offer(Actor.student(b), seat_b.id)
    # Accept.
    accepted = engine.accept_offer(Actor.student(c), seat_c.id)
    assert accepted.value.status is SeatStatus.CONFIRMED and accepted.value.offer_expires_at is None
    assert [x.kind for x in accepted.events] == [EventKind.OFFER_ACCEPTED]
    assert engine.session(Actor.system(), session.id).next_offer_deadline is None
    # Decline: the booking is cancelled and the seat offered to the next.
    engine.cancel_booking(Actor.student(c), seat_c.id)
    declined = engine.decline_offer(Actor.student(d), seat_d.id)
    assert declined.value.status is SeatStatus.CANCELLED
    assert [(x.kind, x.booking_id) for x in declined.events] == [
        (EventKind.OFFER_DECLINED, seat_d.id),
        (EventKind.SEAT_OFFERED, seat_e.id),
    ]
    # An offer past its deadline cannot be accepted, even before the host's call.
    clock.advance(timedelta(minutes=45))
    with pytest.raises(booking.OfferExpiredError) as late:
        engine.accept_offer(Actor.student(e), seat_e.id)
    assert late.value.details["booking_id"] == str(seat_e.id)
    expired = engine.process_expired_offers(clock.now()).events
    assert [x.kind for x in expired][:1] == [EventKind.OFFER_EXPIRED]
    assert engine.seat_booking(Actor.system(), seat_e.id).status is SeatStatus.EXPIRED


def test_no_offer_outlives_the_start(engine: booking.Engine, clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    session = create_session(engine, teacher, 1, waitlist=True, waitlist_mode=WaitlistMode.offer(hold_minutes=60))
    a, b, c = new_id(), new_id(), new_id()
    seat_a, seat_b, seat_c = book(engine, session, a), book(engine, session, b), book(engine, session, c)
    clock.set(session.starts_at - timedelta(minutes=10))
    freed = engine.cancel_booking(Actor.student(a), seat_a.id)
    assert freed.events[-1].kind is EventKind.SEAT_OFFERED
    assert freed.events[-1].expires_at == session.starts_at
    clock.set(session.starts_at + timedelta(minutes=1))
    events = engine.process_expired_offers(clock.now()).events
    assert EventKind.OFFER_EXPIRED in [x.kind for x in events]
    assert EventKind.SEAT_OFFERED not in [x.kind for x in events]
    assert engine.seat_booking(Actor.system(), seat_b.id).status is SeatStatus.EXPIRED
    assert engine.seat_booking(Actor.system(), seat_c.id).status is SeatStatus.WAITLISTED


# --- multi-seat ----------------------------------------------------------------------------------


def test_multi_seat_all_or_nothing(engine: booking.Engine, teacher: uuid.UUID) -> None:
    several = SchedulingRules(max_seats_per_booking=3)
    session = create_session(engine, teacher, 3, waitlist=True, rules=several)
    parent, family, single = new_id(), new_id(), new_id()
    two = engine.book_seat(Actor.student(parent), session.id, parent, seats=2)
    assert two.value.status is SeatStatus.CONFIRMED and two.value.seats == 2 and two.events[0].seats == 2
    assert engine.session(Actor.system(), session.id).remaining_seats == 1
    waiting = engine.book_seat(Actor.student(family), session.id, family, seats=2).value
    assert waiting.status is SeatStatus.WAITLISTED and waiting.seats == 2
    # Strict first come, first served: one seat is free, but the group of two waits first.
    behind = book(engine, session, single)
    assert behind.status is SeatStatus.WAITLISTED and behind.seats == 1
    freed = engine.cancel_booking(Actor.student(parent), two.value.id)
    promoted = [x.booking_id for x in freed.events if x.kind is EventKind.BOOKING_PROMOTED]
    assert promoted == [waiting.id, behind.id]
    assert engine.session(Actor.system(), session.id).booked_seats == 3
    # Without a waitlist: all or nothing.
    closed = create_session(engine, teacher, 3, rules=several)
    assert engine.book_seat(Actor.student(parent), closed.id, parent, seats=2).value.seats == 2
    before = engine.session(Actor.system(), closed.id)
    with pytest.raises(booking.SessionFullError):
        engine.book_seat(Actor.student(family), closed.id, family, seats=2)
    assert engine.session(Actor.system(), closed.id) == before and before.booked_seats == 2
    assert book(engine, closed, single).status is SeatStatus.CONFIRMED
    assert engine.session(Actor.system(), closed.id).is_closed_for_booking
    for impossible in (0, 4):
        with pytest.raises(booking.InvalidInputError):
            engine.book_seat(Actor.system(), session.id, new_id(), seats=impossible)


def test_seats_per_booking(engine: booking.Engine, teacher: uuid.UUID) -> None:
    t = Actor.teacher(teacher)
    session = create_session(engine, teacher, 5, waitlist=True)
    assert session.rules.max_seats_per_booking == 1, "unset everywhere: one seat per booking"
    grabber = new_id()
    with pytest.raises(booking.LimitReachedError) as refused:
        engine.book_seat(Actor.student(grabber), session.id, grabber, seats=5)
    assert refused.value.code == "limit_reached" and refused.value.details["max"] == 1
    assert engine.session(Actor.system(), session.id) == session, "a refusal changes nothing"
    # The teacher's rules reach sessions created after them; the session's own win.
    engine.set_scheduling_rules(t, teacher, SchedulingRules(max_seats_per_booking=2))
    theirs = create_session(engine, teacher, 5, waitlist=True)
    own = create_session(engine, teacher, 5, waitlist=True, rules=SchedulingRules(max_seats_per_booking=4))
    assert (theirs.rules.max_seats_per_booking, own.rules.max_seats_per_booking) == (2, 4)
    assert engine.book_seat(Actor.student(grabber), theirs.id, grabber, seats=2).value.seats == 2
    with pytest.raises(booking.LimitReachedError):
        engine.book_seat(Actor.student(grabber), own.id, grabber, seats=5)
    assert SchedulingRules(max_seats_per_booking=3).to_dict() == {"max_seats_per_booking": 3}
    with pytest.raises(booking.InvalidInputError):
        SchedulingRules(max_seats_per_booking=0)
    with pytest.raises(booking.InvalidInputError) as slot_refused:
        slot(engine, teacher, rules=SchedulingRules(max_seats_per_booking=2))
    assert slot_refused.value.details["field"] == "max_seats_per_booking"


def test_course_sessions_seat_enrolled_students_only(memory_engine: booking.Engine, teacher: uuid.UUID) -> None:
    engine, course, student = memory_engine, new_id(), new_id()
    session = create_session(engine, teacher, 2, waitlist=True, course_id=course)
    with pytest.raises(booking.NotEnrolledError):
        engine.book_seat(Actor.student(student), session.id, student)
    with pytest.raises(booking.NotEnrolledError):
        engine.book_seat(Actor.system(), session.id, student)
    assert engine.session(Actor.system(), session.id) == session
    engine.store.enroll(student, course)
    assert engine.book_seat(Actor.student(student), session.id, student).value.status is SeatStatus.CONFIRMED


def test_a_move_does_not_escape_the_cancellation_cutoff(
    engine: booking.Engine, clock: booking.ManualClock, teacher: uuid.UUID
) -> None:
    engine.set_scheduling_rules(Actor.teacher(teacher), teacher, SchedulingRules(cancel_cutoff_minutes=24 * 60))
    s = slot(engine, teacher)
    student = new_id()
    soon = lesson(engine, s, paris(week(0), 14), student)
    clock.set(paris(week(0), 14) - timedelta(hours=1))
    with pytest.raises(booking.CutoffPassedError) as refused:
        engine.reschedule_lesson(Actor.student(student), soon.id, s.id, paris(week(1), 14))
    assert refused.value.details["action"] == "rescheduled"
    assert engine.lesson(Actor.system(), soon.id) == soon
    moved = engine.reschedule_lesson(Actor.teacher(teacher), soon.id, s.id, paris(week(1), 14))
    assert moved.events[0].cutoff_overridden is True


# --- time off ------------------------------------------------------------------------------------


def test_time_off(engine: booking.Engine, teacher: uuid.UUID) -> None:
    t = Actor.teacher(teacher)
    s = slot(engine, teacher)
    student = new_id()
    kept = lesson(engine, s, paris(week(1), 14), student)
    receipt = engine.add_time_off(t, teacher, week(0), week(1), "Europe/Paris", note="holiday")
    off = receipt.value
    assert (off.first_day, off.last_day, off.note, off.teacher_id) == (week(0), week(1), "holiday", teacher)
    assert off.time_zone == PARIS and off.starts_at == paris(week(0), 0)
    assert off.ends_at == paris(week(1) + timedelta(days=1), 0)
    (event,) = receipt.events
    assert event.kind is EventKind.TIME_OFF_ADDED and event.time_off == off and event.time_off_id == off.id
    assert engine.calendar(Actor.system(), teacher).time_off == [off]
    assert paris(week(0), 14) not in listed(engine, teacher) and paris(week(2), 14) in listed(engine, teacher)
    with pytest.raises(booking.OccurrenceNotOfferedError):
        lesson(engine, s, paris(week(0), 14), new_id())
    assert engine.lesson(Actor.system(), kept.id).status is LessonStatus.CONFIRMED  # a booking is a promise
    with pytest.raises(booking.NotAuthorizedError):
        engine.add_time_off(Actor.student(student), teacher, week(3), week(3), "Europe/Paris")
    with pytest.raises(booking.InvalidInputError):
        engine.add_time_off(t, teacher, week(3), week(2), "Europe/Paris")
    removed = engine.remove_time_off(t, teacher, off.id)
    assert removed.value == off and removed.events[0].kind is EventKind.TIME_OFF_REMOVED
    assert removed.events[0].time_off_id == off.id
    assert engine.calendar(Actor.system(), teacher).time_off == []
    with pytest.raises(booking.TimeOffNotFoundError) as refused:
        engine.remove_time_off(t, teacher, off.id)
    assert isinstance(refused.value, LookupError) and refused.value.code == "time_off_not_found"
    assert lesson(engine, s, paris(week(0), 14), new_id()).status is LessonStatus.CONFIRMED


# --- group sessions and 1:1 lessons --------------------------------------------------------------


def test_group_sessions_block_lessons_and_lessons_block_sessions(engine: booking.Engine, teacher: uuid.UUID) -> None:
    t = Actor.teacher(teacher)
    s = slot(engine, teacher)
    session = create_session(
        engine, teacher, 5, starts_at=paris(week(0), 14) + timedelta(minutes=30), time_zone="Europe/Paris"
    )
    (held,) = engine.calendar(Actor.system(), teacher).sessions
    assert (held.session_id, held.starts_at, held.ends_at) == (session.id, session.starts_at, session.ends_at)
    with pytest.raises(booking.SlotUnavailableError):
        lesson(engine, s, paris(week(0), 14), new_id())
    assert paris(week(0), 14) not in listed(engine, teacher)
    engine.cancel_session(t, session.id)
    assert engine.calendar(Actor.system(), teacher).sessions == []
    assert paris(week(0), 14) in listed(engine, teacher)
    booked = lesson(engine, s, paris(week(1), 14), new_id())
    with pytest.raises(booking.TeacherBusyError) as busy:
        create_session(engine, teacher, 5, starts_at=paris(week(1), 14) + timedelta(minutes=30))
    assert busy.value.details["booking_id"] == str(booked.id)


# --- limits --------------------------------------------------------------------------------------


def test_teacher_limits_per_day_and_week(engine: booking.Engine, teacher: uuid.UUID) -> None:
    engine.set_scheduling_rules(
        Actor.teacher(teacher), teacher, SchedulingRules(max_lessons_per_day=1, max_lessons_per_week=2)
    )
    monday = slot(engine, teacher)
    monday_late = slot(engine, teacher, hours=(16, 17))
    tuesday = slot(engine, teacher, booking.Weekday.TUESDAY)
    wednesday = slot(engine, teacher, booking.Weekday.WEDNESDAY)
    lesson(engine, monday, paris(week(0), 14), new_id())
    with pytest.raises(booking.LimitReachedError) as per_day:
        lesson(engine, monday_late, paris(week(0), 16), new_id())
    assert per_day.value.details["max"] == 1
    lesson(engine, tuesday, paris(week(0) + timedelta(days=1), 14), new_id())
    with pytest.raises(booking.LimitReachedError) as per_week:
        lesson(engine, wednesday, paris(week(0) + timedelta(days=2), 14), new_id())
    assert per_week.value.details["max"] == 2
    assert lesson(engine, monday_late, paris(week(1), 16), new_id()).status is LessonStatus.CONFIRMED


def test_student_limit_per_course_counts_pending(engine: booking.Engine, teacher: uuid.UUID) -> None:
    store = engine.store
    course, student = new_id(), new_id()
    store.enroll(student, course)
    store.set_course_approval(course, True)
    engine.set_scheduling_rules(
        Actor.teacher(teacher), teacher, SchedulingRules(max_upcoming_lessons_per_student=1), course_id=course
    )
    s = slot(engine, teacher, course_id=course)
    first = lesson(engine, s, paris(week(0), 14), student)
    assert first.status is LessonStatus.PENDING
    with pytest.raises(booking.LimitReachedError):
        lesson(engine, s, paris(week(1), 14), student)
    engine.decline_lesson(Actor.teacher(teacher), first.id)
    assert lesson(engine, s, paris(week(1), 14), student).status is LessonStatus.PENDING


# --- 1:1 attendance ------------------------------------------------------------------------------


def test_lesson_no_show(engine: booking.Engine, clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    s = slot(engine, teacher)
    student = new_id()
    booked = lesson(engine, s, paris(week(0), 14), student)
    with pytest.raises(booking.LessonNotStartedError):
        engine.mark_lesson_attendance(Actor.teacher(teacher), booked.id, False)
    clock.set(paris(week(0), 14) + timedelta(minutes=5))
    marked = engine.mark_lesson_attendance(Actor.teacher(teacher), booked.id, False)
    assert marked.value.status is LessonStatus.NO_SHOW
    (event,) = marked.events
    assert event.kind is EventKind.LESSON_ATTENDANCE_MARKED and event.status is LessonStatus.NO_SHOW
    with pytest.raises(booking.NotAuthorizedError):
        engine.mark_lesson_attendance(Actor.student(student), booked.id, True)


# --- the document store's offer index -------------------------------------------------------------


def test_python_store_indexes_offer_deadlines(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    seen: list[booking.DocumentWrite] = []

    class Watching(booking.MemoryDocumentStore):
        def commit(self, commit: booking.DocumentCommit) -> None:
            super().commit(commit)
            seen.extend(commit.writes)

    store = Watching()
    engine = booking.Engine(store, clock=clock)
    session = create_session(engine, teacher, 1, waitlist=True, waitlist_mode=WaitlistMode.offer(hold_minutes=15))
    a, b = new_id(), new_id()
    seat = book(engine, session, a)
    book(engine, session, b)
    assert all(w.offer_deadline is None for w in seen)
    engine.cancel_booking(Actor.student(a), seat.id)
    deadline = NOW + timedelta(minutes=15)
    assert seen[-1].kind == "session" and seen[-1].offer_deadline == deadline
    assert "offer_deadline=" in repr(seen[-1])
    assert store.sessions_with_offers_due(deadline - timedelta(seconds=1)) == []
    assert store.sessions_with_offers_due(deadline) == [session.id]
    clock.advance(timedelta(minutes=20))
    engine.process_expired_offers(clock.now())
    assert seen[-1].offer_deadline is None and store.sessions_with_offers_due(clock.now()) == []


def test_the_offer_sweep_goes_on_past_a_session_that_fails(clock: booking.ManualClock) -> None:
    """A store that refuses every commit of one session: the sweep still processes the others,
    returns their events, and reports that session with its error; the next sweep does it."""
    refused: set[uuid.UUID] = set()

    class Refusing(booking.MemoryDocumentStore):
        def commit(self, commit: booking.DocumentCommit) -> None:
            if any(w.kind == "session" and w.id in refused for w in commit.writes):
                raise OSError("disk full")
            super().commit(commit)

    store = Refusing()
    engine = booking.Engine(store, clock=clock)
    offered: dict[uuid.UUID, booking.SeatBooking] = {}
    for n in range(3):
        teacher = new_id()
        session = create_session(engine, teacher, 1, waitlist=True, waitlist_mode=WaitlistMode.offer(hold_minutes=15))
        first, second = new_id(), new_id()
        seat = book(engine, session, first)
        offered[session.id] = book(engine, session, second)
        engine.cancel_booking(Actor.student(first), seat.id)
    clock.advance(timedelta(minutes=15))
    due = store.sessions_with_offers_due(clock.now())
    assert sorted(due) == sorted(offered)
    refused.add(due[1])

    sweep = engine.process_expired_offers(clock.now())
    assert [session_id for session_id, _ in sweep.failures] == [due[1]]
    (_, error), = sweep.failures
    assert isinstance(error, booking.StoreError) and error.code == "store_error"
    assert "OSError: disk full" in str(error)
    expired = [e.session_id for e in sweep.events if e.kind is EventKind.OFFER_EXPIRED]
    assert expired == [due[0], due[2]]
    for session_id, waiting in offered.items():
        status = engine.seat_booking(Actor.system(), waiting.id).status
        assert status is (SeatStatus.OFFERED if session_id == due[1] else SeatStatus.EXPIRED)
    assert "failures=1" in repr(sweep)

    # An interrupt in the store is raised, not reported as a failed session.
    def interrupt(commit: booking.DocumentCommit) -> None:
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "commit", interrupt)
        with pytest.raises(KeyboardInterrupt):
            engine.process_expired_offers(clock.now())

    refused.clear()
    again = engine.process_expired_offers(clock.now())
    assert again.failures == []
    assert [e.session_id for e in again.events if e.kind is EventKind.OFFER_EXPIRED] == [due[1]]
    assert engine.seat_booking(Actor.system(), offered[due[1]].id).status is SeatStatus.EXPIRED


def test_a_store_without_the_offer_index_is_not_a_store() -> None:
    class Old:
        def load(self, kind: str, id: uuid.UUID) -> None: ...
        def locate_booking(self, id: uuid.UUID) -> None: ...
        def locate_slot(self, id: uuid.UUID) -> None: ...
        def load_request(self, scope: str, key: str) -> None: ...
        def commit(self, commit: booking.DocumentCommit) -> None: ...
        def approval_settings(self, course_id: uuid.UUID, teacher_id: uuid.UUID) -> tuple[None, None]:
            return None, None

        def is_enrolled(self, student_id: uuid.UUID, course_id: uuid.UUID) -> bool:
            return False

    with pytest.raises(TypeError, match="sessions_with_offers_due"):
        booking.Engine(Old())
