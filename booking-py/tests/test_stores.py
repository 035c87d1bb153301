"""The stores: SQLite persistence, PostgreSQL, host data, and a Python store's documents."""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, create_session, new_id

import booking_engine as booking
from booking_engine import Actor


def test_sqlite_persists_across_reopen(tmp_path: Path, clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    path = tmp_path / "bookings.db"
    engine = booking.Engine(booking.SqliteStore(path), clock=clock)
    session = create_session(engine, teacher, 2)
    student = new_id()
    engine.book_seat(Actor.student(student), session.id, student, key="k1")
    del engine
    again = booking.Engine(booking.SqliteStore(str(path)), clock=clock)
    assert again.session(Actor.system(), session.id).booked_seats == 1
    assert again.book_seat(Actor.student(student), session.id, student, key="k1").replayed
    assert again.store.path == str(path)


def test_sqlite_bad_path_is_store_error(tmp_path: Path) -> None:
    with pytest.raises(booking.BookingError):
        booking.SqliteStore(tmp_path / "missing-dir" / "x.db")


@pytest.mark.skipif(not os.environ.get("BOOKING_PG_URL"), reason="BOOKING_PG_URL is not set")
def test_postgres_store_and_host_data(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    url = os.environ["BOOKING_PG_URL"]
    schema = f"t_{uuid.uuid4().hex}"
    store = booking.PostgresStore(url, schema=schema)
    assert store.schema == schema
    engine = booking.Engine(store, clock=clock)
    session = create_session(engine, teacher, 1)
    student = new_id()
    engine.book_seat(Actor.student(student), session.id, student)
    # A second store on the same schema sees the same data.
    other = booking.Engine(booking.PostgresStore(url, schema=schema), clock=clock)
    assert other.session(Actor.system(), session.id).booked_seats == 1
    with pytest.raises(booking.SessionFullError):
        other.book_seat(Actor.system(), session.id, new_id())


def test_postgres_bad_url() -> None:
    with pytest.raises(booking.InvalidInputError):
        booking.PostgresStore("this is not a connection string ===")
    with pytest.raises(booking.StoreUnavailableError):
        booking.PostgresStore("postgres://nobody@127.0.0.1:1/none?connect_timeout=1")


def test_python_store_holds_json_documents(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    store = booking.MemoryDocumentStore(keep_events=True)
    engine = booking.Engine(store, clock=clock)
    session = create_session(engine, teacher, 3)
    student = new_id()
    seat = engine.book_seat(Actor.student(student), session.id, student, key="k").value
    # The session, and its teacher's calendar (which holds the session's time).
    assert store.document_count() == 2
    assert store.load("calendar", teacher) is not None
    loaded = store.load("session", session.id)
    assert loaded is not None and loaded[0] == 2
    assert json.loads(loaded[1])["bookings"][0]["id"] == str(seat.id)
    assert store.locate_booking(seat.id) == ("session", session.id)
    assert store.load_request(f"student:{student}", "k") is not None
    assert [e.kind for e in store.events] == [booking.EventKind.SESSION_CREATED, booking.EventKind.BOOKING_CONFIRMED]
    assert isinstance(store, booking.DocumentStore)


def test_host_data_on_rust_stores(tmp_path: Path, clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    from datetime import datetime, time, timezone

    for store in (booking.InMemoryStore(), booking.SqliteStore(tmp_path / "h.db")):
        engine = booking.Engine(store, clock=clock)
        course, student = new_id(), new_id()
        slot = engine.publish_slot(
            Actor.teacher(teacher), teacher, booking.WeeklySlot(0, time(9), time(10), NOW.date()),
            time_zone="UTC", course_id=course,
        ).value
        at = datetime(2030, 5, 6, 9, tzinfo=timezone.utc)
        with pytest.raises(booking.NotEnrolledError):
            engine.book_lesson(Actor.student(student), slot.id, at, student)
        store.enroll(student, course)
        store.set_course_approval(course, True)
        assert engine.book_lesson(Actor.student(student), slot.id, at, student).value.status is booking.LessonStatus.PENDING
        store.unenroll(student, course)
        store.set_teacher_approval(teacher, course, None)


def test_finished_bookings_leave_the_session(engine: booking.Engine, store: Any, teacher: uuid.UUID) -> None:
    session = create_session(engine, teacher, 1, waitlist=True)
    seated, looper = new_id(), new_id()
    seat = engine.book_seat(Actor.student(seated), session.id, seated).value
    cancelled = []
    for n in range(40):
        waiting = engine.book_seat(Actor.student(looper), session.id, looper).value
        assert engine.session(Actor.system(), session.id).waitlist_position(waiting.id) == 1
        engine.cancel_booking(Actor.student(looper), waiting.id, key=f"leave-{n}")
        cancelled.append(waiting.id)
    # The session holds only its live booking; the cancelled ones are read by id.
    assert [b.id for b in engine.session(Actor.system(), session.id).bookings] == [seat.id]
    for booking_id in cancelled:
        assert engine.seat_booking(Actor.system(), booking_id).status is booking.SeatStatus.CANCELLED
    with pytest.raises(booking.InvalidTransitionError):
        engine.cancel_booking(Actor.student(looper), cancelled[0])
    assert engine.cancel_booking(Actor.student(looper), cancelled[0], key="leave-0").replayed
    if isinstance(store, booking.MemoryDocumentStore):
        document = store.load("session", session.id)
        assert document is not None and len(json.loads(document[1])["bookings"]) == 1
        kept = store.load_finished_booking(cancelled[-1])
        assert kept is not None and json.loads(kept)["status"] == "cancelled"


def test_prune_requests(engine: booking.Engine, clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    session = create_session(engine, teacher, 2, waitlist=True)
    ana, ben = new_id(), new_id()
    first = engine.book_seat(Actor.student(ana), session.id, ana, key="k1").value
    clock.advance(timedelta(hours=1))
    engine.book_seat(Actor.student(ben), session.id, ben, key="k2")
    engine.cancel_booking(Actor.student(ana), first.id, key="c1")
    assert engine.prune_requests(NOW + timedelta(minutes=30)) == 1
    assert engine.prune_requests(NOW + timedelta(minutes=30)) == 0
    assert engine.book_seat(Actor.student(ben), session.id, ben, key="k2").replayed
    # The pruned key is decided afresh: ana's booking was cancelled since, so she books again.
    again = engine.book_seat(Actor.student(ana), session.id, ana, key="k1")
    assert not again.replayed and again.value.id != first.id
    with pytest.raises(booking.InvalidInputError):
        engine.prune_requests(datetime(2030, 5, 1, 9))  # naive: refused


def test_prune_events_on_sqlite(tmp_path: Path, clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    store = booking.SqliteStore(tmp_path / "outbox.db")
    engine = booking.Engine(store, clock=clock)
    session = create_session(engine, teacher, 2)  # starts in two days
    clock.advance(timedelta(days=1))
    student = new_id()
    engine.book_seat(Actor.student(student), session.id, student)
    assert store.prune_events(NOW) == 0
    assert store.prune_events(NOW + timedelta(hours=12)) == 1
    assert store.prune_events(NOW + timedelta(days=1, seconds=1)) == 1


@pytest.mark.skipif(not os.environ.get("BOOKING_PG_URL"), reason="BOOKING_PG_URL is not set")
def test_prune_events_on_postgres(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    store = booking.PostgresStore(os.environ["BOOKING_PG_URL"], schema=f"t_{uuid.uuid4().hex}")
    engine = booking.Engine(store, clock=clock)
    create_session(engine, teacher, 2)
    assert store.prune_events(NOW) == 0
    assert store.prune_events(NOW + timedelta(seconds=1)) == 1
