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

import booking_engine as booking
from booking_engine import Actor

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
    first = one(engine.session_ical(Actor.system(), session.id))
    assert start(first) == session.starts_at and end(first) == session.ends_at
    assert str(first["STATUS"]) == "CONFIRMED"
    assert str(first["SUMMARY"]) == session.title
    # Exporting again gives the same event: calendar apps update rather than duplicate.
    again = one(engine.session_ical(Actor.system(), session.id))
    assert str(again["UID"]) == str(first["UID"]) and int(again["SEQUENCE"]) == int(first["SEQUENCE"])
    assert str(first["UID"]) == f"session-{session.id}@booking-engine"
    # A seat booking is the student's own event (its own UID), of the session's times.
    seat = book(engine, session, new_id())
    mine = one(engine.booking_ical(Actor.system(), seat.id))
    assert str(mine["UID"]) == f"booking-{seat.id}@booking-engine" and str(mine["STATUS"]) == "CONFIRMED"
    assert (start(mine), end(mine)) == (session.starts_at, session.ends_at)
    engine.cancel_session(Actor.teacher(teacher), session.id)
    cancelled = one(engine.session_ical(Actor.system(), session.id))
    assert str(cancelled["UID"]) == str(first["UID"])
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) > int(first["SEQUENCE"])
    gone = one(engine.booking_ical(Actor.system(), seat.id))
    assert str(gone["UID"]) == str(mine["UID"]) and str(gone["STATUS"]) == "CANCELLED"
    assert int(gone["SEQUENCE"]) > int(mine["SEQUENCE"])
    with pytest.raises(booking.SessionNotFoundError):
        engine.session_ical(Actor.system(), new_id())


def test_lesson_export_follows_reschedule_and_cancel(engine: booking.Engine, teacher: uuid.UUID) -> None:
    slot = weekly(engine, teacher)
    student = new_id()
    at = datetime(2030, 5, 6, 14, tzinfo=PARIS)
    lesson = engine.book_lesson(Actor.student(student), slot.id, at, student).value
    booked = one(engine.booking_ical(Actor.system(), lesson.id))
    assert (start(booked), end(booked)) == (at, at + timedelta(hours=1))
    assert str(booked["STATUS"]) == "CONFIRMED" and int(booked["SEQUENCE"]) == 0
    assert str(booked["UID"]) == f"booking-{lesson.id}@booking-engine"
    moved_to = at + timedelta(weeks=1)
    engine.reschedule_lesson(Actor.student(student), lesson.id, slot.id, moved_to)
    moved = one(engine.booking_ical(Actor.system(), lesson.id))
    assert str(moved["UID"]) == str(booked["UID"])
    assert int(moved["SEQUENCE"]) > int(booked["SEQUENCE"])
    assert (start(moved), end(moved)) == (moved_to, moved_to + timedelta(hours=1))
    engine.cancel_lesson(Actor.student(student), lesson.id)
    cancelled = one(engine.booking_ical(Actor.system(), lesson.id))
    assert str(cancelled["UID"]) == str(booked["UID"])
    assert str(cancelled["STATUS"]) == "CANCELLED" and int(cancelled["SEQUENCE"]) > int(moved["SEQUENCE"])
    with pytest.raises(booking.BookingNotFoundError):
        engine.booking_ical(Actor.system(), new_id())


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
    event = one(engine.booking_ical(Actor.system(), pending.value.id))
    assert str(event["STATUS"]) == "TENTATIVE"
    engine.approve_lesson(Actor.teacher(teacher), pending.value.id)
    approved = one(engine.booking_ical(Actor.system(), pending.value.id))
    assert str(approved["STATUS"]) == "CONFIRMED" and str(approved["UID"]) == str(event["UID"])
    assert int(approved["SEQUENCE"]) > int(event["SEQUENCE"])


def test_series_export_has_one_event_per_lesson(engine: booking.Engine, teacher: uuid.UUID) -> None:
    slot = weekly(engine, teacher)
    student = new_id()
    first = datetime(2030, 5, 6, 14, tzinfo=PARIS)
    series = engine.book_series(Actor.student(student), slot.id, student, first, count=4).value
    ids = [lesson.id for lesson in series.lessons]
    events = parse(engine.lessons_ical(Actor.system(), ids))
    assert len(events) == 4
    assert len({str(e["UID"]) for e in events}) == 4
    assert sorted(start(e) for e in events) == [lesson.starts_at for lesson in series.lessons]
    # Each lesson's event is the one its own export gives (same UID), and the list is stable.
    assert {str(e["UID"]) for e in events} == {str(one(engine.booking_ical(Actor.system(), i))["UID"]) for i in ids}
    assert [str(e["UID"]) for e in parse(engine.lessons_ical(Actor.system(), ids))] == [str(e["UID"]) for e in events]
    # Any iterable of ids will do; an unknown id is refused.
    assert len(parse(engine.lessons_ical(Actor.system(), iter(ids[:2])))) == 2
    with pytest.raises(booking.BookingNotFoundError):
        engine.lessons_ical(Actor.system(), [ids[0], new_id()])
    for bad in ("not a list", []):
        with pytest.raises(booking.InvalidInputError):
            engine.lessons_ical(Actor.system(), bad)


def test_exports_are_stable_across_engines(tmp_path: Any, clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    path = tmp_path / "ical.db"
    engine = booking.Engine(booking.SqliteStore(path), clock=clock)
    session = create_session(engine, teacher, 2)
    text = engine.session_ical(Actor.system(), session.id)
    other = booking.Engine(booking.SqliteStore(path), clock=booking.ManualClock(NOW + timedelta(hours=1)))
    assert str(one(other.session_ical(Actor.system(), session.id))["UID"]) == str(one(text)["UID"])


def test_times_are_instants(memory_engine: booking.Engine, teacher: uuid.UUID) -> None:
    session = create_session(memory_engine, teacher, 2, starts_at=datetime(2030, 10, 27, 2, 30, tzinfo=PARIS, fold=1))
    event = one(memory_engine.session_ical(Actor.system(), session.id))
    assert start(event) == datetime(2030, 10, 27, 1, 30, tzinfo=timezone.utc)


def test_engine_options_set_uid_domain_and_prodid(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    engine = booking.Engine(
        booking.InMemoryStore(), clock=clock, ical_uid_domain="school.example.com", ical_prodid="-//School//Kurse//DE"
    )
    session = create_session(engine, teacher, 2)
    text = engine.session_ical(Actor.system(), session.id)
    assert str(one(text)["UID"]) == f"session-{session.id}@school.example.com"
    assert str(icalendar.Calendar.from_ical(text)["PRODID"]) == "-//School//Kurse//DE"
    seat = book(engine, session, new_id())
    assert str(one(engine.booking_ical(Actor.system(), seat.id))["UID"]) == f"booking-{seat.id}@school.example.com"


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


# --- hostile input ------------------------------------------------------------------------------

INJECTION = "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil\r\nATTACH:https://evil.example/a\r\nEND:VEVENT"
"""Text that would add an event, a property and a component if a line break got through."""

HOSTILE_TEXT = [
    "line\nfeed",
    "carriage\rreturn",
    "crlf\r\nATTENDEE:mailto:a@evil.example",
    "tab\there",
    "nul\x00byte",
    "escape \x1b[31m and del \x7f and c1 \x85",
    "semi;colon, comma, back\\slash; \\n \\, \\;",
    "Ünïcödé 老师 😀 עברית \u2028 line separator",
    INJECTION,
    "END:VEVENT BEGIN:VEVENT SUMMARY:on one line",
    "x" * 10_000,
    ";,\\" * 3_400,
]

HOSTILE_LINKS = [
    "https://meet.example.com/x\nATTACH:https://evil.example/a",
    "https://meet.example.com/x\r\nATTENDEE:mailto:a@evil.example",
    "https://meet.example.com/x\tATTACH:https://evil.example/a",
    "https://meet.example.com/x\x00",
    "https://meet.example.com/" + INJECTION,
    "https://meet.example.com/room?a=1,b=2;c\\d",
    "https://meet.example.com/x?q=END:VEVENT%0D%0ABEGIN:VEVENT",
    'https://meet.example.com/a b"c<d>',
    "HTTPS://Meet.Example.COM:443/Raum?name=Grüße",
    "https://bücher.example/会議/😀",
    "https://meet.example.com/" + "a;," * 3_400,
]

EVENT_PROPERTIES = ["UID", "DTSTAMP", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "STATUS"]
LINK_PROPERTIES = ["LOCATION", "URL"]


def shape(text: str) -> Any:
    """Parses an export with ``icalendar`` and checks it has exactly the engine's shape: one
    VCALENDAR with its four properties, holding one VEVENT with its own properties, each once.
    Returns the event."""
    # Every content line, unfolded: no more lines than the engine writes.
    (calendar,) = icalendar.Calendar.from_ical(text, multiple=True)
    assert [c.name for c in calendar.walk()] == ["VCALENDAR", "VEVENT"]
    assert sorted(calendar.keys()) == ["CALSCALE", "METHOD", "PRODID", "VERSION"]
    (event,) = calendar.subcomponents
    assert not event.subcomponents
    names = list(event.keys())
    assert len(names) == len(set(names)) and all(not isinstance(event[n], list) for n in names), names
    assert set(EVENT_PROPERTIES) <= set(names) <= set(EVENT_PROPERTIES + LINK_PROPERTIES + ["DESCRIPTION"])
    # The raw text agrees: CRLF line ends only, at most 75 octets a line, one line per property.
    assert text.endswith("\r\n") and "\r" not in text.replace("\r\n", "") and "\n" not in text.replace("\r\n", "")
    lines = text.replace("\r\n ", "").split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n")), "folded at 75 octets"
    assert len(lines) == 2 + 4 + 2 + len(names)
    return event


def attempt(call: Any, *errors: type[booking.BookingError]) -> Any:
    """The command's value, or ``None`` when it is refused with one of ``errors``."""
    try:
        return call().value
    except errors:
        return None


@pytest.mark.parametrize("text", HOSTILE_TEXT, ids=range(len(HOSTILE_TEXT)))
def test_hostile_titles_never_change_the_shape_of_an_export(engine: booking.Engine, teacher: uuid.UUID, text: str) -> None:
    session = attempt(lambda: engine.create_session(
        Actor.teacher(teacher), teacher_id=teacher, title=text, starts_at=NOW + timedelta(days=2),
        time_zone="Europe/Paris", duration_minutes=60, meeting_link="https://meet.example.com/x", capacity=1,
        waitlist_enabled=True,
    ), booking.InvalidInputError)
    has_control = any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)
    if session is None:
        assert has_control or len(text.strip()) > 200
        return
    assert not has_control and session.title == text.strip()
    event = shape(engine.session_ical(Actor.system(), session.id))
    assert str(event["SUMMARY"]) == session.title
    seat = book(engine, session, new_id())
    waiting = book(engine, session, new_id())
    assert str(shape(engine.booking_ical(Actor.system(), seat.id))["SUMMARY"]) == session.title
    assert "DESCRIPTION" in shape(engine.booking_ical(Actor.system(), waiting.id))


@pytest.mark.parametrize("link", HOSTILE_LINKS, ids=range(len(HOSTILE_LINKS)))
def test_hostile_links_are_refused_or_normalized(engine: booking.Engine, teacher: uuid.UUID, link: str) -> None:
    def create() -> Any:
        return engine.create_session(
            Actor.teacher(teacher), teacher_id=teacher, title="Links", starts_at=NOW + timedelta(days=2),
            time_zone="Europe/Paris", duration_minutes=60, meeting_link=link, capacity=2,
        )

    session = attempt(create, booking.InvalidMeetingLinkError)
    has_control = any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in link)
    if session is None:
        assert has_control or len(link.encode()) > 2048
        return
    assert not has_control
    stored = session.meeting_link
    assert stored.isascii() and " " not in stored and stored.startswith(("https://", "http://"))
    event = shape(engine.session_ical(Actor.system(), session.id))
    assert str(event["URL"]) == stored and str(event["LOCATION"]) == stored


@pytest.mark.parametrize("text", HOSTILE_TEXT, ids=range(len(HOSTILE_TEXT)))
def test_hostile_reasons_notes_and_lesson_links_never_change_a_lesson_export(
    engine: booking.Engine, teacher: uuid.UUID, text: str
) -> None:
    store = engine.store
    course, student = new_id(), new_id()
    store.enroll(student, course)
    store.set_course_approval(course, True)
    slot = engine.publish_slot(
        Actor.teacher(teacher), teacher,
        booking.WeeklySlot(booking.Weekday.MONDAY, time(14), time(15), MONDAY),
        time_zone="Europe/Paris", course_id=course,
    ).value
    at = datetime(2030, 5, 6, 14, tzinfo=PARIS)
    pending = engine.book_lesson(Actor.student(student), slot.id, at, student).value
    multi_line_ok = all(ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F or c in "\r\n" for c in text)
    note = attempt(lambda: engine.add_time_off(
        Actor.teacher(teacher), teacher, date(2030, 6, 1), date(2030, 6, 2), "Europe/Paris", note=text,
    ), booking.InvalidInputError)
    assert (note is not None) == (multi_line_ok and len(text.strip()) <= 200)
    if note is not None:
        assert note.note == text.strip().replace("\r\n", "\n").replace("\r", "\n")
    for link in [text, "https://meet.example.com/" + text]:
        attempt(lambda: engine.set_meeting_link(Actor.teacher(teacher), pending.id, link), booking.InvalidMeetingLinkError)
        shape(engine.booking_ical(Actor.system(), pending.id))
    declined = attempt(
        lambda: engine.decline_lesson(Actor.teacher(teacher), pending.id, reason=text), booking.InvalidInputError
    )
    assert (declined is not None) == (multi_line_ok and len(text.strip()) <= 1000)
    event = shape(engine.booking_ical(Actor.system(), pending.id))
    assert str(event["STATUS"]) == ("CANCELLED" if declined is not None else "TENTATIVE")
