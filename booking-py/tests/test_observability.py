"""What a host sees of the engine: its counters, and its events in Python's logging."""

from __future__ import annotations

import logging
import uuid

import pytest

import booking_engine as booking

from conftest import book, create_session, new_id


def test_counters_say_how_each_command_ended(engine: booking.Engine, teacher: uuid.UUID) -> None:
    assert engine.counters() == engine.counters()
    assert engine.counters().as_dict() == dict.fromkeys(
        ["commands", "committed", "unchanged", "replayed", "refused", "conflicts", "retries",
         "contention_errors", "store_errors", "batches", "batched_commits"], 0)
    session = create_session(engine, teacher, capacity=1)
    alice, bob = new_id(), new_id()
    book(engine, session, alice)
    with pytest.raises(booking.AlreadyBookedError):
        book(engine, session, alice)
    engine.change_capacity(booking.Actor.teacher(teacher), session.id, 1)  # the seats it has: unchanged
    with pytest.raises(booking.SessionFullError):
        book(engine, session, bob)
    first = engine.cancel_booking(booking.Actor.student(alice), engine.session(booking.Actor.system(), session.id).bookings[0].id, key="c-1")
    again = engine.cancel_booking(booking.Actor.student(alice), first.value.id, key="c-1")
    assert again.replayed
    counters = engine.counters()
    assert (counters.commands, counters.committed, counters.unchanged, counters.replayed, counters.refused) == (
        7, 3, 1, 1, 2), counters
    assert (counters.conflicts, counters.retries, counters.contention_errors, counters.store_errors) == (0, 0, 0, 0)
    assert (counters.batches, counters.batched_commits) == (0, 0)  # one command at a time: no batch
    assert repr(counters).startswith("EngineCounters(commands=7, committed=3,")
    assert hash(counters) == hash(engine.counters())
    assert counters.as_dict()["refused"] == 2


def test_events_reach_pythons_logging(
    memory_engine: booking.Engine, teacher: uuid.UUID, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="booking_core")
    booking.enable_logging()
    booking.enable_logging()  # again: resets the cached levels, installs nothing twice
    session = create_session(memory_engine, teacher, capacity=1)
    student = new_id()
    book(memory_engine, session, student)
    with pytest.raises(booking.AlreadyBookedError):
        book(memory_engine, session, student)
    finished = [r for r in caplog.records if r.name == "booking_core.engine" and "command finished" in r.getMessage()]
    assert [r.levelno for r in finished] == [logging.DEBUG] * 3, [r.getMessage() for r in caplog.records]
    messages = [r.getMessage() for r in finished]
    assert 'command="create_session"' in messages[0] or "command=create_session" in messages[0], messages
    assert "book_seat" in messages[1] and "ok" in messages[1] and "attempts=1" in messages[1], messages
    assert "already_booked" in messages[2], messages
    # One record a command: the command's span stays out of logging.
    assert [r for r in caplog.records if r.name == "booking_core.command"] == []

    # Above DEBUG, nothing from the engine's ordinary commands.
    caplog.clear()
    caplog.set_level(logging.INFO, logger="booking_core")
    booking.enable_logging()
    with pytest.raises(booking.SessionFullError):
        book(memory_engine, session, new_id())  # refused: nothing logged at INFO
    assert [r for r in caplog.records if r.name.startswith("booking_core")] == []
