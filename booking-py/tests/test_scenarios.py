"""The seed checklist's scenarios, end to end through the binding, on every store."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from conftest import NOW, book, create_session, new_id

import booking_engine as booking
from booking_engine import Actor, EventKind, LessonStatus, SeatStatus

# --- group sessions ---------------------------------------------------------------------------


def test_create_session(engine: booking.Engine, teacher: uuid.UUID) -> None:
    receipt = engine.create_session(
        Actor.teacher(teacher),
        teacher_id=teacher,
        title="Spanish A1",
        starts_at=datetime(2030, 5, 10, 18, 0, tzinfo=ZoneInfo("Europe/Madrid")),
        time_zone=ZoneInfo("Europe/Madrid"),
        duration_minutes=90,
        meeting_link="https://meet.example.com/a1",
        capacity=10,
        waitlist_enabled=False,
    )
    s = receipt.value
    assert (s.capacity, s.duration_minutes, s.waitlist_enabled, s.version) == (10, 90, False, 1)
    assert s.meeting_link == "https://meet.example.com/a1"
    assert s.starts_at == datetime(2030, 5, 10, 16, 0, tzinfo=timezone.utc)
    assert s.time_zone == ZoneInfo("Europe/Madrid")
    assert s.ends_at - s.starts_at == timedelta(minutes=90)
    assert [e.kind for e in receipt.events] == [EventKind.SESSION_CREATED]
    assert receipt.events[0].session == s
    assert engine.session(Actor.system(), s.id) == s


def test_book_to_capacity_closes(engine: booking.Engine, teacher: uuid.UUID, students: list[uuid.UUID]) -> None:
    session = create_session(engine, teacher, 10)
    for i, student in enumerate(students[:10]):
        receipt = engine.book_seat(Actor.student(student), session.id, student)
        assert receipt.value.status is SeatStatus.CONFIRMED
        kinds = [e.kind for e in receipt.events]
        assert kinds == ([EventKind.BOOKING_CONFIRMED, EventKind.SESSION_CLOSED] if i == 9 else [EventKind.BOOKING_CONFIRMED])
    s = engine.session(Actor.system(), session.id)
    assert s.is_full and s.is_closed_for_booking and s.remaining_seats == 0
    assert s.availability(NOW) is booking.BookingAvailability.CLOSED
    # Try overbook: the 11th is refused, nothing changes.
    with pytest.raises(booking.SessionFullError) as refused:
        book(engine, session, students[10])
    assert refused.value.code == "session_full"
    assert engine.session(Actor.system(), session.id).version == s.version


def test_waitlist_cancel_and_promote(engine: booking.Engine, teacher: uuid.UUID, students: list[uuid.UUID]) -> None:
    session = create_session(engine, teacher, 10, waitlist=True)
    seats = [book(engine, session, s) for s in students[:15]]
    assert [b.status for b in seats] == [SeatStatus.CONFIRMED] * 10 + [SeatStatus.WAITLISTED] * 5
    s = engine.session(Actor.system(), session.id)
    assert (s.booked_seats, s.waitlisted_count) == (10, 5)
    assert s.waitlist_position(seats[10].id) == 1
    receipt = engine.cancel_booking(Actor.student(students[0]), seats[0].id)
    assert receipt.value.status is SeatStatus.CANCELLED
    cancelled, promoted = receipt.events
    assert cancelled.kind is EventKind.BOOKING_CANCELLED and cancelled.previous_status is SeatStatus.CONFIRMED
    assert promoted.kind is EventKind.BOOKING_PROMOTED and promoted.booking_id == seats[10].id
    assert engine.seat_booking(Actor.system(), seats[10].id).status is SeatStatus.CONFIRMED
    assert engine.session(Actor.system(), session.id).waitlisted_count == 4


def test_same_student_twice(engine: booking.Engine, teacher: uuid.UUID) -> None:
    session = create_session(engine, teacher, 5)
    student = new_id()
    first = book(engine, session, student)
    with pytest.raises(booking.AlreadyBookedError) as refused:
        book(engine, session, student)
    assert refused.value.details["booking_id"] == str(first.id)


def test_cancel_reopens(engine: booking.Engine, teacher: uuid.UUID, students: list[uuid.UUID]) -> None:
    session = create_session(engine, teacher, 2)
    a = book(engine, session, students[0])
    book(engine, session, students[1])
    receipt = engine.cancel_booking(Actor.teacher(teacher), a.id)
    assert [e.kind for e in receipt.events] == [EventKind.BOOKING_CANCELLED, EventKind.SESSION_REOPENED]
    assert book(engine, session, students[2]).status is SeatStatus.CONFIRMED


def test_capacity_waitlist_cancel_session_attendance(
    engine: booking.Engine, clock: booking.ManualClock, teacher: uuid.UUID, students: list[uuid.UUID]
) -> None:
    t = Actor.teacher(teacher)
    session = create_session(engine, teacher, 1, waitlist=True)
    a, b = book(engine, session, students[0]), book(engine, session, students[1])
    grown = engine.change_capacity(t, session.id, 2)
    assert grown.value.capacity == 2
    assert EventKind.BOOKING_PROMOTED in [e.kind for e in grown.events]
    assert engine.set_waitlist(t, session.id, False).value.waitlist_enabled is False
    with pytest.raises(booking.CapacityBelowBookedError):
        engine.change_capacity(t, session.id, 1)
    with pytest.raises(booking.SessionNotStartedError):
        engine.mark_attendance(t, a.id, True)
    clock.advance(timedelta(days=2, minutes=5))
    assert engine.mark_attendance(t, a.id, True).value.status is SeatStatus.ATTENDED
    marked = engine.mark_attendance(t, b.id, False)
    assert marked.value.status is SeatStatus.NO_SHOW and marked.events[0].status is SeatStatus.NO_SHOW
    other = create_session(engine, teacher, 3, starts_at=NOW + timedelta(days=5))
    book(engine, other, students[3])
    cancelled = engine.cancel_session(t, other.id)
    assert cancelled.value.is_cancelled
    assert [e.kind for e in cancelled.events] == [EventKind.BOOKING_CANCELLED, EventKind.SESSION_CANCELLED]
    with pytest.raises(booking.SessionCancelledError):
        book(engine, other, students[4])


def test_request_keys_replay(engine: booking.Engine, teacher: uuid.UUID) -> None:
    session = create_session(engine, teacher, 3)
    student = new_id()
    first = engine.book_seat(Actor.student(student), session.id, student, key="click-1")
    again = engine.book_seat(Actor.student(student), session.id, student, key="click-1")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.value == first.value and again.events == first.events and again.version == first.version
    with pytest.raises(booking.RequestKeyReusedError):
        engine.cancel_booking(Actor.student(student), first.value.id, key="click-1")


def test_authorization(engine: booking.Engine, teacher: uuid.UUID) -> None:
    session = create_session(engine, teacher, 3)
    student, other = new_id(), new_id()
    with pytest.raises(booking.NotAuthorizedError):
        engine.book_seat(Actor.student(other), session.id, student)
    with pytest.raises(booking.NotAuthorizedError):
        engine.change_capacity(Actor.teacher(other), session.id, 5)
    assert engine.book_seat(Actor.admin(new_id()), session.id, student).value.status is SeatStatus.CONFIRMED
    assert engine.change_capacity(Actor.system(), session.id, 5).value.capacity == 5


# --- 1:1 lessons ------------------------------------------------------------------------------

MONDAY = date(2030, 5, 6)


def weekly(engine: booking.Engine, teacher: uuid.UUID, **extra: object) -> booking.AvailabilitySlot:
    return engine.publish_slot(
        Actor.teacher(teacher),
        teacher,
        booking.WeeklySlot(booking.Weekday.MONDAY, time(14), time(15), MONDAY),
        time_zone="Europe/Paris",
        **extra,  # type: ignore[arg-type]
    ).value


def test_recurring_and_one_time_slots(engine: booking.Engine, teacher: uuid.UUID) -> None:
    slot = weekly(engine, teacher)
    assert isinstance(slot.recurrence, booking.WeeklySlot)
    assert slot.recurrence.weekday is booking.Weekday.MONDAY and slot.time_zone == ZoneInfo("Europe/Paris")
    one = engine.publish_slot(
        Actor.teacher(teacher),
        teacher,
        booking.OneTimeSlot(datetime(2030, 5, 8, 10, 0), datetime(2030, 5, 8, 11, 30)),
        time_zone=ZoneInfo("Europe/Paris"),
    ).value
    assert engine.slot(one.id) == one
    found = engine.list_occurrences(
        teacher, NOW, NOW + timedelta(days=14), time_zone="America/New_York"
    )
    starts = [o.starts_at for o in found]
    assert starts == sorted(starts) and len(found) == 3
    first = found[1]  # Monday 6 (weekly), Wednesday 8 (one-time), Monday 13 (weekly)
    assert first.slot_id == one.id and first.starts_at == datetime(2030, 5, 8, 8, 0, tzinfo=timezone.utc)
    assert first.teacher_local_start == datetime(2030, 5, 8, 10, 0)
    assert first.viewer_local_start == datetime(2030, 5, 8, 4, 0)
    assert {s.id for s in engine.calendar(Actor.system(), teacher).slots} == {slot.id, one.id}


def test_book_without_and_with_approval(engine: booking.Engine, teacher: uuid.UUID) -> None:
    store = engine.store
    course = new_id()
    student = new_id()
    store.enroll(student, course)
    slot = weekly(engine, teacher, course_id=course)
    at = datetime(2030, 5, 6, 14, 0, tzinfo=ZoneInfo("Europe/Paris"))
    lesson = engine.book_lesson(Actor.student(student), slot.id, at, student)
    assert lesson.value.status is LessonStatus.CONFIRMED
    assert [e.kind for e in lesson.events] == [EventKind.LESSON_BOOKED]
    # Double booking prevention, and slot removal from the listing.
    with pytest.raises(booking.SlotUnavailableError):
        other = new_id()
        store.enroll(other, course)
        engine.book_lesson(Actor.student(other), slot.id, at, other)
    listed = engine.list_occurrences(teacher, NOW, NOW + timedelta(days=8))
    assert at not in [o.starts_at for o in listed]
    # With approval: pending, then approved with a link.
    store.set_course_approval(course, True)
    later = at + timedelta(weeks=1)
    pending = engine.book_lesson(Actor.student(student), slot.id, later, student).value
    assert pending.status is LessonStatus.PENDING
    approved = engine.approve_lesson(Actor.teacher(teacher), pending.id, meeting_link="https://meet.example.com/1on1")
    assert approved.value.status is LessonStatus.CONFIRMED
    assert approved.events[0].meeting_link == "https://meet.example.com/1on1"
    # Teacher override wins over the course setting.
    store.set_teacher_approval(teacher, course, False)
    third = engine.book_lesson(Actor.student(student), slot.id, later + timedelta(weeks=1), student).value
    assert third.status is LessonStatus.CONFIRMED
    # Not enrolled.
    stranger = new_id()
    with pytest.raises(booking.NotEnrolledError):
        engine.book_lesson(Actor.student(stranger), slot.id, later + timedelta(weeks=2), stranger)


def test_decline_cancel_link_attendance(engine: booking.Engine, clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    store = engine.store
    course, student = new_id(), new_id()
    store.enroll(student, course)
    store.set_course_approval(course, True)
    slot = weekly(engine, teacher, course_id=course)
    at = datetime(2030, 5, 6, 12, 0, tzinfo=timezone.utc)
    pending = engine.book_lesson(Actor.student(student), slot.id, at, student).value
    declined = engine.decline_lesson(Actor.teacher(teacher), pending.id, reason="away")
    assert declined.value.status is LessonStatus.DECLINED and declined.events[0].reason == "away"
    again = engine.book_lesson(Actor.student(student), slot.id, at, student).value
    engine.approve_lesson(Actor.teacher(teacher), again.id)
    linked = engine.set_meeting_link(Actor.teacher(teacher), again.id, "https://meet.example.com/x")
    assert linked.value.meeting_link == "https://meet.example.com/x"
    with pytest.raises(booking.InvalidMeetingLinkError):
        engine.set_meeting_link(Actor.teacher(teacher), again.id, "ftp://nope")
    clock.set(at + timedelta(minutes=1))
    with pytest.raises(booking.LessonStartedError):
        engine.cancel_lesson(Actor.student(student), again.id)
    done = engine.mark_lesson_attendance(Actor.teacher(teacher), again.id, True)
    assert done.value.status is LessonStatus.ATTENDED
    assert engine.lesson(Actor.system(), again.id).status is LessonStatus.ATTENDED


def test_recurring_series(engine: booking.Engine, teacher: uuid.UUID) -> None:
    student = new_id()
    slot = weekly(engine, teacher)
    first = datetime(2030, 5, 6, 12, 0, tzinfo=timezone.utc)
    series = engine.book_series(Actor.student(student), slot.id, student, first, count=4)
    lessons = series.value.lessons
    assert len(lessons) == 4 and series.value.skipped == []
    assert all(lesson.series_id == series.value.series_id for lesson in lessons)
    assert [e.kind for e in series.events][-1] is EventKind.SERIES_BOOKED
    # DST: Paris wall time stays 14:00; the instants move by an hour across the October change.
    autumn = engine.book_series(
        Actor.student(student), slot.id, student, datetime(2030, 10, 21, 12, 0, tzinfo=timezone.utc),
        until=date(2030, 11, 4),
    ).value
    assert [lesson.local_times[0].hour for lesson in autumn.lessons] == [14, 14, 14]
    assert [lesson.starts_at.hour for lesson in autumn.lessons] == [12, 13, 13]
    # Cancel from the second lesson on.
    rest = engine.cancel_series_from(Actor.student(student), lessons[1].id)
    assert [lesson.status for lesson in rest.value] == [LessonStatus.CANCELLED] * 3
    assert engine.lesson(Actor.system(), lessons[0].id).status is LessonStatus.CONFIRMED
    # Book what is free: the cancelled weeks are free again, the first is not.
    partial = engine.book_series(
        Actor.system(), slot.id, new_id(), first, count=4,
        mode=booking.SeriesMode.BOOK_AVAILABLE,
    ).value
    assert len(partial.lessons) == 3 and len(partial.skipped) == 1
    assert isinstance(partial.skipped[0].reason, booking.SlotUnavailableError)


def test_slot_update_and_deactivate(engine: booking.Engine, teacher: uuid.UUID) -> None:
    slot = weekly(engine, teacher)
    updated = engine.update_slot(
        Actor.teacher(teacher), slot.id, booking.WeeklySlot(1, time(9), time(10), MONDAY), time_zone="Europe/Berlin"
    ).value
    assert isinstance(updated.recurrence, booking.WeeklySlot)
    assert updated.recurrence.weekday is booking.Weekday.TUESDAY and updated.time_zone == ZoneInfo("Europe/Berlin")
    off = engine.set_slot_active(Actor.teacher(teacher), slot.id, False)
    assert off.value.active is False and off.events[0].kind is EventKind.SLOT_UPDATED
    assert engine.list_occurrences(teacher, NOW, NOW + timedelta(days=14)) == []
    with pytest.raises(booking.SlotNotFoundError):
        engine.slot(new_id())
