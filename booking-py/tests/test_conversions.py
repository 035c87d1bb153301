"""Type conversions at the edges: instants, zones, DST, ids, enums, immutability, repr."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from conftest import NOW, create_session, new_id

import booking_engine as booking
from booking_engine import Actor

PARIS = ZoneInfo("Europe/Paris")


def test_naive_datetimes_are_refused(memory_engine: booking.Engine, teacher: uuid.UUID) -> None:
    with pytest.raises(booking.InvalidInputError, match="naive datetime") as caught:
        create_session(memory_engine, teacher, 3, starts_at=datetime(2030, 5, 3, 9, 0))
    assert caught.value.details["field"] == "starts_at"
    assert isinstance(caught.value, ValueError)
    with pytest.raises(booking.InvalidInputError):
        booking.ManualClock(datetime(2030, 1, 1))
    with pytest.raises(booking.InvalidInputError):
        memory_engine.list_occurrences(teacher, datetime(2030, 1, 1), NOW)
    with pytest.raises(booking.InvalidInputError, match="datetime"):
        create_session(memory_engine, teacher, 3, starts_at="2030-05-03T09:00Z")


def test_aware_datetimes_in_any_zone_are_the_same_instant(memory_engine: booking.Engine, teacher: uuid.UUID) -> None:
    utc = datetime(2030, 5, 3, 7, 0, tzinfo=timezone.utc)
    for given in (
        utc,
        utc.astimezone(PARIS),
        utc.astimezone(ZoneInfo("Asia/Kathmandu")),
        utc.astimezone(timezone(timedelta(hours=-3, minutes=-30))),
    ):
        s = create_session(memory_engine, teacher, 3, starts_at=given)
        assert s.starts_at == utc and s.starts_at.tzinfo is timezone.utc


def test_dst_crossing_instants(memory_engine: booking.Engine, teacher: uuid.UUID) -> None:
    # 2030-10-27 03:00 CEST -> 02:00 CET: 02:30 happens twice; fold picks which.
    first = datetime(2030, 10, 27, 2, 30, tzinfo=PARIS, fold=0)
    second = datetime(2030, 10, 27, 2, 30, tzinfo=PARIS, fold=1)
    a = create_session(memory_engine, teacher, 3, starts_at=first)
    b = create_session(memory_engine, teacher, 3, starts_at=second)
    assert a.starts_at == datetime(2030, 10, 27, 0, 30, tzinfo=timezone.utc)
    assert b.starts_at == datetime(2030, 10, 27, 1, 30, tzinfo=timezone.utc)
    assert b.starts_at - a.starts_at == timedelta(hours=1)
    # Spring forward: a session over the gap lasts its real duration.
    spring = create_session(
        memory_engine, teacher, 3, starts_at=datetime(2031, 3, 30, 1, 30, tzinfo=PARIS), duration_minutes=60
    )
    assert spring.ends_at.astimezone(PARIS) == datetime(2031, 3, 30, 3, 30, tzinfo=PARIS)


def test_dst_slots_keep_wall_time(memory_engine: booking.Engine, teacher: uuid.UUID) -> None:
    slot = memory_engine.publish_slot(
        Actor.teacher(teacher), teacher, booking.WeeklySlot(booking.Weekday.SUNDAY, time(2, 30), time(3, 30), NOW.date()),
        time_zone=PARIS,
    ).value
    # Across the March gap (2030-03-31) and the October fold (2030-10-27), listing never crashes
    # and every occurrence is an aware UTC instant whose wall time is the slot's.
    clock_now = memory_engine.now()
    found = memory_engine.list_occurrences(teacher, clock_now, clock_now + timedelta(days=200), time_zone="UTC")
    assert found and all(o.starts_at.tzinfo is timezone.utc for o in found)
    assert all(o.teacher_time_zone == PARIS for o in found)
    fold_day = [o for o in found if o.starts_at.astimezone(PARIS).date() == date(2030, 10, 27)]
    assert len(fold_day) == 1 and fold_day[0].teacher_local_start == datetime(2030, 10, 27, 2, 30)
    assert slot.recurrence == booking.WeeklySlot(6, time(2, 30), time(3, 30), NOW.date())


def test_zones_ids_and_enums(memory_engine: booking.Engine, teacher: uuid.UUID) -> None:
    s = create_session(memory_engine, teacher, 3, time_zone=ZoneInfo("America/Sao_Paulo"))
    assert isinstance(s.time_zone, ZoneInfo) and s.time_zone.key == "America/Sao_Paulo"
    assert isinstance(s.id, uuid.UUID)
    # ids as strings work too; wrong types are refused.
    student = new_id()
    b = memory_engine.book_seat(Actor.student(str(student)), str(s.id), str(student)).value
    assert b.student_id == student
    with pytest.raises(booking.InvalidInputError):
        memory_engine.session(Actor.system(), "not-a-uuid")
    with pytest.raises(booking.InvalidInputError):
        memory_engine.session(Actor.system(), 42)
    assert b.status == "confirmed" and b.status.value == "confirmed"
    assert repr(b.status) == "<SeatStatus.CONFIRMED: 'confirmed'>"
    assert Actor.teacher(teacher).role is booking.Role.TEACHER and Actor.system().id is None
    assert Actor.student(student) == Actor.student(student) and len({Actor.system(), Actor.system()}) == 1
    assert repr(Actor.admin(uuid.UUID(int=5))) == "Actor.admin(UUID('00000000-0000-0000-0000-000000000005'))"
    with pytest.raises(booking.InvalidInputError):
        booking.WeeklySlot(7, time(9), time(10), NOW.date())
    with pytest.raises(booking.InvalidInputError, match="wall time"):
        booking.OneTimeSlot(datetime(2030, 5, 8, 10, tzinfo=PARIS), datetime(2030, 5, 8, 11))


def test_results_are_immutable_with_readable_repr(memory_engine: booking.Engine, teacher: uuid.UUID) -> None:
    s = create_session(memory_engine, teacher, 3)
    with pytest.raises(AttributeError):
        s.capacity = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        s.anything = 1  # type: ignore[attr-defined]
    assert repr(s).startswith("GroupSession(id=UUID(") and "title='Chess openings'" in repr(s)
    receipt = memory_engine.book_seat(Actor.system(), s.id, new_id())
    assert "events=('booking_confirmed',)" in repr(receipt)
    assert repr(receipt.events[0]).startswith("Event(kind=<EventKind.BOOKING_CONFIRMED")
    assert '"type":"booking_confirmed"' in receipt.events[0].to_json()
    assert booking.Receipt[booking.SeatBooking] is not None


def test_clock(clock: booking.ManualClock) -> None:
    assert clock.now() == NOW
    clock.advance(timedelta(hours=1))
    assert clock.now() == NOW + timedelta(hours=1)
    clock.set(NOW.astimezone(PARIS))
    assert clock.now() == NOW and clock.now().tzinfo is timezone.utc


def test_ids_out_are_ordinary_uuids(memory_engine: booking.Engine, teacher: uuid.UUID) -> None:
    # Ids leave the binding without running UUID.__init__: they must be indistinguishable from
    # the UUIDs Python makes, whatever their value.
    for n in (0, 1, 2**64 - 1, 2**64, 2**127 + 12345, 2**128 - 1):
        made = uuid.UUID(int=n)
        back = Actor.student(made).id
        assert type(back) is uuid.UUID
        assert back == made and hash(back) == hash(made) and str(back) == str(made) and repr(back) == repr(made)
        assert back.int == n and back.is_safe is made.is_safe and back.bytes == made.bytes
        with pytest.raises(TypeError):
            back.int = 1  # type: ignore[misc]
    # Strings and UUID subclasses are still accepted as ids.
    class Sub(uuid.UUID):
        pass

    student = new_id()
    assert Actor.student(str(student)).id == student
    assert Actor.student(Sub(int=student.int)).id == student


def test_datetimes_and_zones_out_are_ordinary_objects(memory_engine: booking.Engine, teacher: uuid.UUID) -> None:
    # Instants, wall times and zones leave the binding through the datetime's pickle state and
    # a cache of ZoneInfo objects: they must be the objects the constructors make.
    tokyo = ZoneInfo("Asia/Tokyo")
    starts = [
        NOW + timedelta(days=2, microseconds=1),
        datetime(2030, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone.utc),
        datetime(2032, 1, 2, 3, 4, 5, 678_901, tzinfo=timezone.utc),
    ]
    for n, at in enumerate(starts):
        session = create_session(memory_engine, teacher, 1, starts_at=at, time_zone="Asia/Tokyo", title=f"s{n}")
        back = session.starts_at
        assert type(back) is datetime and back.tzinfo is timezone.utc
        assert back == at and hash(back) == hash(at) and repr(back) == repr(at) and back.fold == 0
        assert (back.year, back.month, back.day, back.hour, back.minute, back.second, back.microsecond) == (
            at.year, at.month, at.day, at.hour, at.minute, at.second, at.microsecond)
        assert session.time_zone is tokyo
    slot = memory_engine.publish_slot(
        Actor.teacher(teacher), teacher, booking.OneTimeSlot(datetime(2030, 5, 10, 9, 30), datetime(2030, 5, 10, 10, 45)),
        time_zone="Asia/Tokyo",
    ).value
    for wall, made in [(slot.recurrence.start, datetime(2030, 5, 10, 9, 30)), (slot.recurrence.end, datetime(2030, 5, 10, 10, 45))]:
        assert type(wall) is datetime and wall.tzinfo is None
        assert wall == made and hash(wall) == hash(made) and repr(wall) == repr(made)
    found = memory_engine.list_occurrences(teacher, NOW, NOW + timedelta(days=30), time_zone="Europe/Paris")
    assert found and found[0].viewer_time_zone is PARIS and found[0].teacher_time_zone is tokyo
    assert found[0].viewer_local_start == found[0].starts_at.astimezone(PARIS).replace(tzinfo=None)


def test_receipt_value_is_made_once(memory_engine: booking.Engine, teacher: uuid.UUID) -> None:
    session = create_session(memory_engine, teacher, 3)
    student = new_id()
    receipt = memory_engine.book_seat(Actor.student(student), session.id, student)
    assert receipt.value is receipt.value
    assert "Receipt(value=SeatBooking(" in repr(receipt)
    assert receipt.value.status is booking.SeatStatus.CONFIRMED
    assert [e.kind for e in receipt.events] == [booking.EventKind.BOOKING_CONFIRMED]
    assert memory_engine.session(Actor.system(), session.id).bookings[0] == receipt.value


def test_ids_out_are_the_ids_in_whichever_ids_came_before() -> None:
    # Recent UUID objects are kept in a bounded table: ids sharing a place in it, and more ids
    # than it holds, still come back as themselves.
    ids = [uuid.UUID(int=n << 64) for n in range(3000)] + [uuid.uuid4() for _ in range(3000)]
    for _ in range(2):
        for given in ids:
            got = Actor.student(given).id
            assert got == given and str(got) == str(given) and hash(got) == hash(given)
            assert type(got) is uuid.UUID and got.is_safe is uuid.SafeUUID.unknown


def test_a_kept_id_released_with_a_weakref_callback_that_makes_ids() -> None:
    # When a new id takes over a kept id's place, the old object is released; if that runs a
    # weak reference's callback that converts ids again, the conversion must not find the table
    # locked (a deadlock of the host). Run in a child process so a regression fails, not hangs.
    program = """
import uuid, weakref
from booking_engine import Actor

def place(n):  # the table's slot of uuid.UUID(int=n << 64), as booking-py/src/convert.rs computes it
    return ((n * 0x9E3779B97F4A7C15) % 2**64 >> 54) % 1024

first = 1
rival = next(n for n in range(2, 100_000) if place(n) == place(first))
called = []
kept = Actor.student(uuid.UUID(int=first << 64)).id
ref = weakref.ref(kept, lambda _: called.append(Actor.student(uuid.uuid4()).id))
del kept
assert not called
Actor.student(uuid.UUID(int=rival << 64)).id  # takes the place over: the kept object goes
assert len(called) == 1 and ref() is None, called
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
