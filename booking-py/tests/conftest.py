"""Shared fixtures: a manual clock, people, and an engine over each kind of store."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import booking_engine as booking

NOW = datetime(2030, 5, 1, 8, 0, tzinfo=timezone.utc)
"""The engine clock's start in every test (a Wednesday)."""

PG_URL = os.environ.get("BOOKING_PG_URL")


def _has_conformance_suite() -> bool:
    try:
        booking.conformance_checks()
    except RuntimeError:
        return False
    return True


TEST_BUILD = _has_conformance_suite()
"""Whether the wheel under test was built with ``--features conformance`` (the core's
conformance suite), as ``scripts/test-python`` builds the wheel it tests; the default wheel
has none."""
if os.environ.get("BOOKING_PY_TEST_BUILD", str(int(TEST_BUILD))) != str(int(TEST_BUILD)):
    raise RuntimeError(f"BOOKING_PY_TEST_BUILD={os.environ['BOOKING_PY_TEST_BUILD']}, but the wheel is not that build")
needs_test_build = pytest.mark.skipif(not TEST_BUILD, reason="a wheel built without --features conformance")


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def _pg_store() -> booking.PostgresStore:
    if not PG_URL:
        if os.environ.get("BOOKING_PY_REQUIRE_PG"):
            pytest.fail("BOOKING_PY_REQUIRE_PG is set but BOOKING_PG_URL is not")
        pytest.skip("BOOKING_PG_URL is not set")
    # A schema per store keeps tests apart on one database.
    return booking.PostgresStore(PG_URL, schema=f"t_{uuid.uuid4().hex}", max_connections=8)


STORE_KINDS = ["memory", "python", "sqlite", "postgres"]


def make_store(kind: str, tmp_path: Path) -> Any:
    if kind == "memory":
        return booking.InMemoryStore()
    if kind == "python":
        return booking.MemoryDocumentStore(keep_events=True)
    if kind == "sqlite":
        return booking.SqliteStore(str(tmp_path / f"{uuid.uuid4().hex}.db"))
    if kind == "postgres":
        return _pg_store()
    raise ValueError(kind)


@pytest.fixture
def clock() -> booking.ManualClock:
    return booking.ManualClock(NOW)


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    return make_store(request.param, tmp_path)


@pytest.fixture
def engine(store: Any, clock: booking.ManualClock) -> booking.Engine:
    return booking.Engine(store, clock=clock)


@pytest.fixture
def memory_engine(clock: booking.ManualClock) -> booking.Engine:
    return booking.Engine(booking.InMemoryStore(), clock=clock)


@pytest.fixture
def teacher() -> uuid.UUID:
    return new_id()


def create_session(
    engine: booking.Engine, teacher: uuid.UUID, capacity: int, *, waitlist: bool = False, **extra: Any
) -> booking.GroupSession:
    fields: dict[str, Any] = dict(
        teacher_id=teacher,
        title="Chess openings",
        starts_at=NOW + timedelta(days=2),
        time_zone="Europe/Paris",
        duration_minutes=60,
        meeting_link="https://meet.example.com/chess",
        capacity=capacity,
        waitlist_enabled=waitlist,
    )
    fields.update(extra)
    return engine.create_session(booking.Actor.teacher(teacher), **fields).value


def book(engine: booking.Engine, session: booking.GroupSession, student: uuid.UUID) -> booking.SeatBooking:
    return engine.book_seat(booking.Actor.student(student), session.id, student).value


Factory = Callable[[], Any]


@pytest.fixture
def students() -> Iterator[list[uuid.UUID]]:
    yield [new_id() for _ in range(20)]
