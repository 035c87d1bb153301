"""Error mapping: every core error code has its exception class, and failures from Python
stores and panics arrive as typed booking errors."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from conftest import NOW, create_session, new_id

import booking_engine
import booking_engine as booking
from booking_engine import Actor


def test_every_code_has_a_class() -> None:
    codes = set(booking.ERROR_CODES)
    assert len(booking.ERROR_CODES) == len(codes) >= 26
    assert codes | {"internal"} == set(booking.BY_CODE)
    for code in booking.ERROR_CODES:
        cls = booking.BY_CODE[code]
        assert cls.code == code
        assert issubclass(cls, booking.BookingError) and cls is not booking.BookingError
        assert issubclass(cls, ValueError) == (code in booking.INVALID_INPUT_CODES), code
    assert len({booking.BY_CODE[c] for c in codes}) == len(codes)


@pytest.mark.parametrize("code", booking.ERROR_CODES)
def test_mapping_of_each_code(code: str) -> None:
    error = booking._booking.sample_error(code)
    assert type(error) is booking.BY_CODE[code]
    assert error.code == code
    assert isinstance(error, booking.BookingError) and isinstance(error, Exception)
    assert error.message == str(error) and error.message
    assert "code" not in error.details and error.details
    assert repr(error).startswith(type(error).__name__ + "(")


def test_panic_becomes_internal_error_not_panic_exception() -> None:
    with pytest.raises(booking.InternalError) as caught:
        booking._booking.sample_error("internal")
    assert caught.value.code == "internal"
    assert "deliberate panic" in caught.value.message
    assert isinstance(caught.value, Exception)


def test_groups() -> None:
    assert issubclass(booking.SessionNotFoundError, LookupError)
    assert issubclass(booking.UnknownTimeZoneError, booking.InvalidInputError)
    assert issubclass(booking.ConflictError, booking.StoreError)
    assert issubclass(booking.DuplicateRequestError, booking.StoreError)


def test_real_refusals(memory_engine: booking.Engine, teacher: uuid.UUID) -> None:
    e = memory_engine
    t = Actor.teacher(teacher)
    with pytest.raises(booking.SessionNotFoundError) as nf:
        e.session(Actor.system(), new_id())
    assert isinstance(nf.value, LookupError)
    with pytest.raises(booking.BookingNotFoundError):
        e.seat_booking(Actor.system(), new_id())
    with pytest.raises(booking.UnknownTimeZoneError) as tz:
        create_session(e, teacher, 3, time_zone="Mars/Olympus")
    assert isinstance(tz.value, ValueError) and tz.value.details == {"name": "Mars/Olympus"}
    with pytest.raises(booking.StartInPastError):
        create_session(e, teacher, 3, starts_at=NOW - timedelta(hours=1))
    with pytest.raises(booking.InvalidInputError) as bad:
        create_session(e, teacher, 0)
    assert bad.value.details["field"] == "capacity"
    with pytest.raises(booking.InvalidInputError):
        create_session(e, teacher, -1)
    with pytest.raises(booking.InvalidMeetingLinkError):
        create_session(e, teacher, 3, meeting_link="not a url")
    session = create_session(e, teacher, 1)
    with pytest.raises(booking.InvalidInputError):
        e.book_seat(Actor.student(teacher), session.id, teacher, key="")
    with pytest.raises(booking.TooLargeError):
        e.list_occurrences(teacher, NOW, NOW + timedelta(days=4000))
    with pytest.raises(booking.InvalidTransitionError):
        b = e.book_seat(Actor.system(), session.id, new_id()).value
        e.cancel_booking(t, b.id)
        e.cancel_booking(t, b.id)


class FailingStore(booking.MemoryDocumentStore):
    """A Python store whose commit fails as configured."""

    def __init__(self, failure: BaseException | None = None, conflicts: int = 0) -> None:
        super().__init__()
        self.failure = failure
        self.conflicts = conflicts
        self.commits = 0

    def commit(self, commit: booking.DocumentCommit) -> None:
        self.commits += 1
        if self.conflicts:
            self.conflicts -= 1
            raise booking.ConflictError("someone else won")
        if self.failure is not None:
            raise self.failure
        super().commit(commit)


def _session_args(teacher: uuid.UUID) -> dict[str, Any]:
    return dict(
        teacher_id=teacher, title="t", starts_at=NOW + timedelta(days=1), time_zone="UTC", duration_minutes=30,
        meeting_link="https://m.example.com/x", capacity=2,
    )


def test_python_store_exception_is_store_error_with_cause(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    store = FailingStore(failure=RuntimeError("disk on fire"))
    engine = booking.Engine(store, clock=clock)
    with pytest.raises(booking.StoreError) as caught:
        engine.create_session(Actor.teacher(teacher), **_session_args(teacher))
    assert caught.value.code == "store_error"
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert "disk on fire" in caught.value.message


def test_python_store_conflicts_are_retried(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    store = FailingStore(conflicts=3)
    engine = booking.Engine(store, clock=clock)
    created = engine.create_session(Actor.teacher(teacher), **_session_args(teacher))
    assert store.commits == 4 and engine.session(Actor.system(), created.value.id) == created.value


def test_endless_conflicts_are_contention(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    engine = booking.Engine(FailingStore(conflicts=10**9), clock=clock, max_attempts=5)
    with pytest.raises(booking.ContentionError) as caught:
        engine.create_session(Actor.teacher(teacher), **_session_args(teacher))
    assert caught.value.details == {"attempts": 5}


def test_keyboard_interrupt_from_a_store_passes_through(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    engine = booking.Engine(FailingStore(failure=KeyboardInterrupt()), clock=clock)
    with pytest.raises(KeyboardInterrupt):
        engine.create_session(Actor.teacher(teacher), **_session_args(teacher))


def test_corrupt_document_is_corrupt_record(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    class Tampered(booking.MemoryDocumentStore):
        def load(self, kind: str, id: uuid.UUID) -> tuple[int, str] | None:
            found = super().load(kind, id)
            return None if found is None else (found[0], '{"not": "a session"}')

    engine = booking.Engine(Tampered(), clock=clock)
    session = engine.create_session(Actor.teacher(teacher), **_session_args(teacher)).value
    with pytest.raises(booking.CorruptRecordError):
        engine.session(Actor.system(), session.id)


def test_bad_store_answers_are_store_errors(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    class Wrong(booking.MemoryDocumentStore):
        def locate_booking(self, id: uuid.UUID) -> Any:
            return 42

    engine = booking.Engine(Wrong(), clock=clock)
    with pytest.raises(booking.StoreError) as caught:
        engine.seat_booking(Actor.system(), new_id())
    assert isinstance(caught.value.__cause__, TypeError)


def test_not_a_store() -> None:
    with pytest.raises(TypeError, match="DocumentStore"):
        booking.Engine(object())


def test_meeting_link_generator_errors_are_unraisable(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    seen: list[BaseException | None] = []
    lock = threading.Lock()

    def hook(unraisable: Any) -> None:
        with lock:
            seen.append(unraisable.exc_value)

    def links(lesson: booking.Lesson) -> str:
        raise RuntimeError("video service down")

    import sys
    from datetime import datetime, time, timezone

    old, sys.unraisablehook = sys.unraisablehook, hook
    try:
        engine = booking.Engine(booking.InMemoryStore(), clock=clock, meeting_links=links)
        slot = engine.publish_slot(
            Actor.teacher(teacher), teacher,
            booking.WeeklySlot(0, time(9), time(10), NOW.date()), time_zone="UTC",
        ).value
        student = new_id()
        lesson = engine.book_lesson(
            Actor.student(student), slot.id, datetime(2030, 5, 6, 9, tzinfo=timezone.utc), student
        ).value
    finally:
        sys.unraisablehook = old
    assert lesson.meeting_link is None
    assert seen and isinstance(seen[0], RuntimeError)


def test_unreachable_python_store_is_store_unavailable(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    cause = booking.StoreUnavailableError("the database host does not answer", {})
    engine = booking.Engine(FailingStore(failure=cause), clock=clock)
    with pytest.raises(booking.StoreUnavailableError) as caught:
        engine.create_session(Actor.teacher(teacher), **_session_args(teacher))
    assert caught.value.code == "store_unavailable" and caught.value.code in booking.RETRYABLE_CODES
    assert isinstance(caught.value, booking.StoreError)
    assert caught.value.__cause__ is cause


def test_retryable_codes() -> None:
    assert set(booking.RETRYABLE_CODES) == {"store_unavailable", "contention"}
    assert set(booking.RETRYABLE_CODES) <= set(booking.ERROR_CODES)
    assert issubclass(booking.StoreUnavailableError, booking.StoreError)
