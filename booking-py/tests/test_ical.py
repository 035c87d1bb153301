"""The iCalendar export (RFC 5545), parsed back with a real iCalendar parser (the
``icalendar`` package): stable UIDs, growing SEQUENCE numbers, STATUS, DTSTART/DTEND, and one
VEVENT per lesson of a series."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from conftest import NOW, book, create_session, new_id

import booking
from booking import Actor

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2030, 5, 6)


def parse(text: str) -> list[Any]:
    """The VEVENTs of an export, after checking the calendar around them."""
    assert isinstance(text, str) and text.startswith("BEGIN:VCALENDAR")
    assert "\r\n" in text  # RFC 5545 lines end with CRLF
    calendar = icalendar.Calendar.from_ical(text)
    assert calendar.name == "VCALENDAR"
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["PRODID"])
    return [c for c in calendar.walk("VEVENT")]


def one(text: str) -> Any:
    (event,) = parse(text)
    for field in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "STATUS", "SUMMARY"):
        assert field in event, field
    return event


def start(event: Any) -> datetime:
    value = event.decoded("DTSTART")
    assert isinstance(value, datetime) and value.tzinfo is not None
    return value


def end(event: Any) -> datetime:
    value = event.decoded("DTEND")
    assert isinstance(value, datetime) and value.tzinfo is not None
    return value


def weekly(engine: booking.Engine, teacher: uuid.UUID) -> booking.AvailabilitySlot:
    return engine.publish_slot(
        Actor.teacher(teacher),
        teacher,
        booking.WeeklySlot(booking.Weekday.MONDAY, time(14), time(15), MONDAY),
        time_zone="Europe/Paris",
    ).value


def test_session_export(engine: booking.Engine, teacher: uuid.UUID) -> None:
    session = create_session(engine, teacher, 3)
    first = one(engine.session_ical(session.id))
    assert start(first) == session.starts_at and end(first) == session.ends_at
    assert str(first["STATUS"]) == "CONFIRMED"
    assert str(first["SUMMARY"]) == session.title
    # Exporting again gives the same event: calendar apps update rather than duplicate.
    again = one(engine.session_ical(session.id))
    assert str(again["UID"]) == str(first["UID"]) and int(again["SEQUENCE"]) == int(first["SEQUENCE"])
    assert str(first["UID"]) == f"session-{session.id}@booking-engine"
    # A seat booking is the student's own event (its own UID), of the session's times.
    seat = book(engine, session, new_id())
    mine = one(engine.booking_ical(seat.id))
    assert str(mine["UID"]) == f"booking-{seat.id}@booking-engine" and str(mine["STATUS"]) == "CONFIRMED"
    assert (start(mine), end(mine)) == (session.starts_at, session.ends_at)
    engine.cancel_session(Actor.teacher(teacher), session.id)
    cancelled = one(engine.session_ical(session.id))
    assert str(cancelled["UID"]) == str(first["UID"])
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) > int(first["SEQUENCE"])
    gone = one(engine.booking_ical(seat.id))
    assert str(gone["UID"]) == str(mine["UID"]) and str(gone["STATUS"]) == "CANCELLED"
    assert int(gone["SEQUENCE"]) > int(mine["SEQUENCE"])
    with pytest.raises(booking.SessionNotFoundError):
        engine.session_ical(new_id())


def test_lesson_export_follows_reschedule_and_cancel(engine: booking.Engine, teacher: uuid.UUID) -> None:
    slot = weekly(engine, teacher)
    student = new_id()
    at = datetime(2030, 5, 6, 14, tzinfo=PARIS)
    lesson = engine.book_lesson(Actor.student(student), slot.id, at, student).value
    booked = one(engine.booking_ical(lesson.id))
    assert (start(booked), end(booked)) == (at, at + timedelta(hours=1))
    assert str(booked["STATUS"]) == "CONFIRMED" and int(booked["SEQUENCE"]) == 0
    assert str(booked["UID"]) == f"booking-{lesson.id}@booking-engine"
    moved_to = at + timedelta(weeks=1)
    engine.reschedule_lesson(Actor.student(student), lesson.id, slot.id, moved_to)
    moved = one(engine.booking_ical(lesson.id))
    assert str(moved["UID"]) == str(booked["UID"])
    assert int(moved["SEQUENCE"]) > int(booked["SEQUENCE"])
    assert (start(moved), end(moved)) == (moved_to, moved_to + timedelta(hours=1))
    engine.cancel_lesson(Actor.student(student), lesson.id)
    cancelled = one(engine.booking_ical(lesson.id))
    assert str(cancelled["UID"]) == str(booked["UID"])
    assert str(cancelled["STATUS"]) == "CANCELLED" and int(cancelled["SEQUENCE"]) > int(moved["SEQUENCE"])
    with pytest.raises(booking.BookingNotFoundError):
        engine.booking_ical(new_id())


def test_pending_lesson_is_tentative(engine: booking.Engine, teacher: uuid.UUID) -> None:
    store = engine.store
    course, student = new_id(), new_id()
    store.enroll(student, course)
    store.set_course_approval(course, True)
    slot = engine.publish_slot(
        Actor.teacher(teacher),
        teacher,
        booking.WeeklySlot(booking.Weekday.MONDAY, time(14), time(15), MONDAY),
        time_zone="Europe/Paris",
        course_id=course,
    ).value
    pending = engine.book_lesson(Actor.student(student), slot.id, datetime(2030, 5, 6, 14, tzinfo=PARIS), student)
    event = one(engine.booking_ical(pending.value.id))
    assert str(event["STATUS"]) == "TENTATIVE"
    engine.approve_lesson(Actor.teacher(teacher), pending.value.id)
    approved = one(engine.booking_ical(pending.value.id))
    assert str(approved["STATUS"]) == "CONFIRMED" and str(approved["UID"]) == str(event["UID"])
    assert int(approved["SEQUENCE"]) > int(event["SEQUENCE"])


def test_series_export_has_one_event_per_lesson(engine: booking.Engine, teacher: uuid.UUID) -> None:
    slot = weekly(engine, teacher)
    student = new_id()
    first = datetime(2030, 5, 6, 14, tzinfo=PARIS)
    series = engine.book_series(Actor.student(student), slot.id, student, first, count=4).value
    ids = [lesson.id for lesson in series.lessons]
    events = parse(engine.lessons_ical(ids))
    assert len(events) == 4
    assert len({str(e["UID"]) for e in events}) == 4
    assert sorted(start(e) for e in events) == [lesson.starts_at for lesson in series.lessons]
    # Each lesson's event is the one its own export gives (same UID), and the list is stable.
    assert {str(e["UID"]) for e in events} == {str(one(engine.booking_ical(i))["UID"]) for i in ids}
    assert [str(e["UID"]) for e in parse(engine.lessons_ical(ids))] == [str(e["UID"]) for e in events]
    # Any iterable of ids will do; an unknown id is refused.
    assert len(parse(engine.lessons_ical(iter(ids[:2])))) == 2
    with pytest.raises(booking.BookingNotFoundError):
        engine.lessons_ical([ids[0], new_id()])
    for bad in ("not a list", []):
        with pytest.raises(booking.InvalidInputError):
            engine.lessons_ical(bad)


def test_exports_are_stable_across_engines(tmp_path: Any, clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    path = tmp_path / "ical.db"
    engine = booking.Engine(booking.SqliteStore(path), clock=clock)
    session = create_session(engine, teacher, 2)
    text = engine.session_ical(session.id)
    other = booking.Engine(booking.SqliteStore(path), clock=booking.ManualClock(NOW + timedelta(hours=1)))
    assert str(one(other.session_ical(session.id))["UID"]) == str(one(text)["UID"])


def test_times_are_instants(memory_engine: booking.Engine, teacher: uuid.UUID) -> None:
    session = create_session(memory_engine, teacher, 2, starts_at=datetime(2030, 10, 27, 2, 30, tzinfo=PARIS, fold=1))
    event = one(memory_engine.session_ical(session.id))
    assert start(event) == datetime(2030, 10, 27, 1, 30, tzinfo=timezone.utc)


def test_engine_options_set_uid_domain_and_prodid(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    engine = booking.Engine(
        booking.InMemoryStore(), clock=clock, ical_uid_domain="school.example.com", ical_prodid="-//School//Kurse//DE"
    )
    session = create_session(engine, teacher, 2)
    text = engine.session_ical(session.id)
    assert str(one(text)["UID"]) == f"session-{session.id}@school.example.com"
    assert str(icalendar.Calendar.from_ical(text)["PRODID"]) == "-//School//Kurse//DE"
    seat = book(engine, session, new_id())
    assert str(one(engine.booking_ical(seat.id))["UID"]) == f"booking-{seat.id}@school.example.com"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"ical_uid_domain": ""}, "uid_domain"),
        ({"ical_uid_domain": "my school"}, "uid_domain"),
        ({"ical_uid_domain": "a@b"}, "uid_domain"),
        ({"ical_prodid": "  "}, "prodid"),
        ({"ical_prodid": "x\r\nX-EVIL:1"}, "prodid"),
    ],
)
def test_bad_engine_options_are_refused(options: dict[str, str], field: str) -> None:
    with pytest.raises(booking.InvalidInputError) as refused:
        booking.Engine(
            booking.InMemoryStore(), ical_uid_domain=options.get("ical_uid_domain"), ical_prodid=options.get("ical_prodid")
        )
    assert refused.value.details["field"] == field
