"""Type stub of the native module ``booking_engine._booking`` (checked against it with mypy's stubtest).

Import everything from ``booking``, not from here.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Generic, TypeVar, final
from uuid import UUID
from zoneinfo import ZoneInfo

from ._enums import (
    AgendaKind,
    AgendaStatus,
    BookingAvailability,
    EventKind,
    LessonStatus,
    Role,
    SeatStatus,
    SeriesMode,
    Weekday,
)
from ._errors import BookingError

_T = TypeVar("_T")

_Id = UUID | str
"""An id: a ``uuid.UUID`` (or its string form)."""
_Zone = ZoneInfo | str
"""A time zone: a ``zoneinfo.ZoneInfo`` or an IANA name."""

__version__: str
__all__ = [
    "Actor",
    "ApprovalRequest",
    "AvailabilitySlot",
    "BookableOccurrence",
    "Calendar",
    "CheckOutcome",
    "ConformanceReport",
    "DocumentCommit",
    "DocumentRequest",
    "DocumentWrite",
    "ERROR_CODES",
    "EVENT_KINDS",
    "Engine",
    "EngineCounters",
    "Event",
    "GroupSession",
    "Hold",
    "INVALID_INPUT_CODES",
    "RETRYABLE_CODES",
    "InMemoryStore",
    "Lesson",
    "ManualClock",
    "OfferSweep",
    "OneTimeSlot",
    "OutboxEntry",
    "Page",
    "PostgresStore",
    "Receipt",
    "Roster",
    "RosterEntry",
    "SchedulingRules",
    "SeatBooking",
    "SeriesBooking",
    "SessionHold",
    "SessionSummary",
    "SkippedOccurrence",
    "SqliteStore",
    "StartingItem",
    "StudentAgendaItem",
    "TeacherAgendaItem",
    "TimeOff",
    "WaitlistMode",
    "WeeklySlot",
    "__version__",
    "conformance_checks",
    "enable_logging",
    "run_conformance",
    "sample_error",
]
ERROR_CODES: tuple[str, ...]
"""Every stable error code of the core, in declaration order (``ErrorCode::ALL``)."""
INVALID_INPUT_CODES: tuple[str, ...]
"""The codes whose exceptions are also ``ValueError``."""
RETRYABLE_CODES: tuple[str, ...]
"""The codes after which the same command, sent again later under the same request key, may
succeed (``store_unavailable``, ``contention``): retry these with a backoff."""
EVENT_KINDS: tuple[str, ...]
"""Every event kind's stable name, in the core's order (``EventKind::NAMES``)."""

@final
class Actor:
    """Who sends a command."""

    @staticmethod
    def teacher(id: _Id) -> Actor: ...
    @staticmethod
    def student(id: _Id) -> Actor: ...
    @staticmethod
    def admin(id: _Id) -> Actor: ...
    @staticmethod
    def system() -> Actor: ...
    @property
    def role(self) -> Role: ...
    @property
    def id(self) -> UUID | None: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class ManualClock:
    """A clock that only moves when told to (tests, replays)."""

    def __new__(cls, now: datetime) -> ManualClock: ...
    def now(self) -> datetime: ...
    def set(self, now: datetime) -> None: ...
    def advance(self, delta: timedelta) -> None: ...

@final
class InMemoryStore:
    """The core's thread-safe in-memory store."""

    def __new__(cls) -> InMemoryStore: ...
    def enroll(self, student_id: _Id, course_id: _Id) -> None: ...
    def unenroll(self, student_id: _Id, course_id: _Id) -> None: ...
    def set_course_approval(self, course_id: _Id, requires_approval: bool | None) -> None: ...
    def set_teacher_approval(self, teacher_id: _Id, course_id: _Id, requires_approval: bool | None) -> None: ...

@final
class SqliteStore:
    """The SQLite store at ``path`` (created and migrated on open)."""

    def __new__(cls, path: str | Any) -> SqliteStore: ...
    @property
    def path(self) -> str: ...
    def prune_events(self, occurred_before: datetime) -> int:
        """Retention of the outbox: deletes the events that occurred before the instant;
        returns how many. An operator's action."""
    def enroll(self, student_id: _Id, course_id: _Id) -> None: ...
    def unenroll(self, student_id: _Id, course_id: _Id) -> None: ...
    def set_course_approval(self, course_id: _Id, requires_approval: bool | None) -> None: ...
    def set_teacher_approval(self, teacher_id: _Id, course_id: _Id, requires_approval: bool | None) -> None: ...

@final
class PostgresStore:
    """The PostgreSQL store at a connection string (``postgres://user@host:port/db``, or libpq's
    key-value form). TLS follows libpq's ``sslmode`` (``disable``, ``prefer``, ``require``,
    ``verify-full``; the certificate is always verified) and ``sslrootcert`` (a PEM file of CA
    certificates; default: the public CAs). ``max_connections``: 0 (counts as 1) to 262,143."""

    def __new__(cls, url: str, *, schema: str | None = None, max_connections: int | None = None) -> PostgresStore: ...
    @property
    def schema(self) -> str | None: ...
    def prune_events(self, occurred_before: datetime) -> int:
        """Retention of the outbox: deletes the events that occurred before the instant;
        returns how many. An operator's action."""
    def enroll(self, student_id: _Id, course_id: _Id) -> None: ...
    def unenroll(self, student_id: _Id, course_id: _Id) -> None: ...
    def set_course_approval(self, course_id: _Id, requires_approval: bool | None) -> None: ...
    def set_teacher_approval(self, teacher_id: _Id, course_id: _Id, requires_approval: bool | None) -> None: ...

@final
class DocumentWrite:
    """One conditional write of a :class:`DocumentCommit`."""

    @property
    def kind(self) -> str:
        """``"session"``, ``"calendar"`` or ``"lesson"``."""
    @property
    def id(self) -> UUID: ...
    @property
    def expected_version(self) -> int:
        """Apply only if the stored version is this (0: only if nothing is stored)."""
    @property
    def version(self) -> int: ...
    @property
    def body(self) -> str: ...
    @property
    def offer_deadline(self) -> datetime | None:
        """For a session in offer mode: the earliest deadline of its outstanding seat offers
        (``None`` when it has none, and for calendars and lessons). Keep it with the document
        (replacing the previous one) and answer ``sessions_with_offers_due`` from it."""
    @property
    def read_entries(self) -> list[tuple[str, str, str]]:
        """The aggregate's read-index entries, ``(index, partition, sort)`` each: replace every
        entry kept for this aggregate with these, in the same transaction, and answer
        ``read_index`` from them."""

@final
class DocumentRequest:
    """The request record a commit stores under ``(scope, key)``."""

    @property
    def scope(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def recorded_at(self) -> datetime:
        """When the command was decided: keep it beside the body, for ``prune_requests``."""

@final
class DocumentCommit:
    """Everything one command changes: apply all of it or none."""

    @property
    def writes(self) -> list[DocumentWrite]: ...
    @property
    def new_bookings(self) -> list[tuple[UUID, str, UUID | None]]:
        """``(booking_id, "session", session_id)`` or ``(booking_id, "lesson", None)``."""
    @property
    def new_slots(self) -> list[tuple[UUID, UUID]]:
        """``(slot_id, teacher_id)``."""
    @property
    def request(self) -> DocumentRequest | None: ...
    @property
    def events(self) -> list[Event]: ...
    @property
    def finished_bookings(self) -> list[tuple[UUID, str]]:
        """``(booking_id, body)`` of the seat bookings this commit finished (cancelled,
        declined, expired), moved out of the session it writes: keep each in the booking
        history (replacing a body kept under the same id) for ``load_finished_booking``."""
    @property
    def outbox(self) -> list[str]:
        """The command's events as JSON, in order: append each to the outbox at the next
        position, in the same transaction, so that positions grow in commit order."""

@final
class SeatBooking:
    """One student's booking in a group session."""

    @staticmethod
    def from_document(body: str) -> SeatBooking:
        """Decodes a finished booking's body (``DocumentCommit.finished_bookings``), for
        projections."""

    @property
    def id(self) -> UUID: ...
    @property
    def session_id(self) -> UUID: ...
    @property
    def student_id(self) -> UUID: ...
    @property
    def status(self) -> SeatStatus: ...
    @property
    def booked_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def seats(self) -> int:
        """How many seats it takes (all or nothing; on the waitlist it waits as one)."""
    @property
    def offer_expires_at(self) -> datetime | None:
        """While ``OFFERED``: when the offer runs out."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class SchedulingRules:
    """Scheduling rules; every field optional (``None`` falls back to the next, less specific
    level: the slot's, then the teacher's for the course, then the teacher's own)."""

    def __new__(
        cls,
        *,
        min_notice_minutes: int | None = None,
        max_advance_days: int | None = None,
        buffer_before_minutes: int | None = None,
        buffer_after_minutes: int | None = None,
        cancel_cutoff_minutes: int | None = None,
        reschedule_cutoff_minutes: int | None = None,
        max_lessons_per_day: int | None = None,
        max_lessons_per_week: int | None = None,
        max_upcoming_lessons_per_student: int | None = None,
        max_seats_per_booking: int | None = None,
    ) -> SchedulingRules: ...
    @property
    def min_notice_minutes(self) -> int | None: ...
    @property
    def max_advance_days(self) -> int | None: ...
    @property
    def buffer_before_minutes(self) -> int | None: ...
    @property
    def buffer_after_minutes(self) -> int | None: ...
    @property
    def cancel_cutoff_minutes(self) -> int | None: ...
    @property
    def reschedule_cutoff_minutes(self) -> int | None: ...
    @property
    def max_lessons_per_day(self) -> int | None: ...
    @property
    def max_lessons_per_week(self) -> int | None: ...
    @property
    def max_upcoming_lessons_per_student(self) -> int | None: ...
    @property
    def max_seats_per_booking(self) -> int | None: ...
    @property
    def is_empty(self) -> bool: ...
    def or_(self, fallback: SchedulingRules) -> SchedulingRules:
        """Field by field: this value's setting, else ``fallback``'s."""
    def to_dict(self) -> dict[str, int]:
        """The fields that are set."""
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class WaitlistMode:
    """How a freed seat reaches a session's waitlist."""

    @staticmethod
    def promote() -> WaitlistMode:
        """The first in line gets it at once (the default)."""
    @staticmethod
    def offer(hold_minutes: int) -> WaitlistMode:
        """It is held for the first in line for ``hold_minutes``; they accept or decline, and
        an unanswered offer expires and passes to the next."""
    @property
    def mode(self) -> str:
        """``"promote"`` or ``"offer"``."""
    @property
    def hold_minutes(self) -> int | None: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class TimeOff:
    """A teacher's time off: no occurrence overlapping it is offered."""

    @property
    def id(self) -> UUID: ...
    @property
    def teacher_id(self) -> UUID: ...
    @property
    def first_day(self) -> date: ...
    @property
    def last_day(self) -> date: ...
    @property
    def time_zone(self) -> ZoneInfo: ...
    @property
    def note(self) -> str | None: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class SessionHold:
    """A group session the calendar's owner teaches (1:1 lessons cannot overlap it)."""

    @property
    def session_id(self) -> UUID: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class GroupSession:
    """A seat-based group session with its bookings."""

    @staticmethod
    def from_document(body: str) -> GroupSession:
        """Decodes a stored document (a ``DocumentStore`` body), for projections."""
    def read_entries(self) -> list[tuple[str, str, str]]:
        """Its read-index entries ``(index, partition, sort)``, as ``DocumentWrite.read_entries``
        hands them over: to fill a read index once for sessions stored before it."""

    @property
    def id(self) -> UUID: ...
    @property
    def teacher_id(self) -> UUID: ...
    @property
    def course_id(self) -> UUID | None: ...
    @property
    def title(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def time_zone(self) -> ZoneInfo: ...
    @property
    def duration_minutes(self) -> int: ...
    @property
    def meeting_link(self) -> str: ...
    @property
    def capacity(self) -> int: ...
    @property
    def waitlist_enabled(self) -> bool: ...
    @property
    def waitlist_mode(self) -> WaitlistMode: ...
    @property
    def rules(self) -> SchedulingRules:
        """The booking window and cancellation cut-off in effect (resolved at creation)."""
    @property
    def next_offer_deadline(self) -> datetime | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def cancelled_at(self) -> datetime | None: ...
    @property
    def version(self) -> int: ...
    @property
    def bookings(self) -> list[SeatBooking]:
        """The live bookings, oldest first; finished ones (cancelled, declined, expired) are in
        the store's booking history, read by id with :meth:`Engine.seat_booking`."""
    @property
    def waitlist(self) -> list[SeatBooking]: ...
    @property
    def booked_seats(self) -> int: ...
    @property
    def remaining_seats(self) -> int: ...
    @property
    def is_full(self) -> bool: ...
    @property
    def waitlisted_count(self) -> int: ...
    @property
    def is_cancelled(self) -> bool: ...
    @property
    def is_closed_for_booking(self) -> bool: ...
    def availability(self, now: datetime) -> BookingAvailability: ...
    def booking(self, id: _Id) -> SeatBooking | None: ...
    def active_booking_of(self, student_id: _Id) -> SeatBooking | None: ...
    def waitlist_position(self, id: _Id) -> int | None: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class WeeklySlot:
    """Every week on ``weekday`` from ``start_time`` to ``end_time``, wall times in the slot's
    zone (an end not after the start ends the next day)."""

    def __new__(
        cls, weekday: Weekday | int, start_time: time, end_time: time, valid_from: date, valid_until: date | None = None
    ) -> WeeklySlot: ...
    @property
    def weekday(self) -> Weekday: ...
    @property
    def start_time(self) -> time: ...
    @property
    def end_time(self) -> time: ...
    @property
    def valid_from(self) -> date: ...
    @property
    def valid_until(self) -> date | None: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class OneTimeSlot:
    """Once, from ``start`` to ``end``: naive datetimes, wall times in the slot's zone."""

    def __new__(cls, start: datetime, end: datetime) -> OneTimeSlot: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class AvailabilitySlot:
    """A teacher's availability slot."""

    @property
    def id(self) -> UUID: ...
    @property
    def teacher_id(self) -> UUID: ...
    @property
    def course_id(self) -> UUID | None: ...
    @property
    def time_zone(self) -> ZoneInfo: ...
    @property
    def recurrence(self) -> WeeklySlot | OneTimeSlot: ...
    @property
    def active(self) -> bool: ...
    @property
    def rules(self) -> SchedulingRules: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class Lesson:
    """A 1:1 lesson."""

    @staticmethod
    def from_document(body: str) -> Lesson:
        """Decodes a stored document (a ``DocumentStore`` body), for projections."""
    def read_entries(self) -> list[tuple[str, str, str]]:
        """Its read-index entries ``(index, partition, sort)``, as ``DocumentWrite.read_entries``
        hands them over: to fill a read index once for lessons stored before it."""

    @property
    def id(self) -> UUID: ...
    @property
    def teacher_id(self) -> UUID: ...
    @property
    def student_id(self) -> UUID: ...
    @property
    def slot_id(self) -> UUID: ...
    @property
    def course_id(self) -> UUID | None: ...
    @property
    def series_id(self) -> UUID | None: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def time_zone(self) -> ZoneInfo: ...
    @property
    def local_times(self) -> tuple[datetime, datetime]: ...
    @property
    def status(self) -> LessonStatus: ...
    @property
    def meeting_link(self) -> str | None: ...
    @property
    def requested_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def version(self) -> int: ...
    @property
    def rules(self) -> SchedulingRules:
        """The rules in force when it was booked (or last rescheduled)."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class Hold:
    """An active lesson's hold on a calendar."""

    @property
    def booking_id(self) -> UUID: ...
    @property
    def series_id(self) -> UUID | None: ...
    @property
    def course_id(self) -> UUID | None: ...
    @property
    def teacher_id(self) -> UUID: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def busy_from(self) -> datetime:
        """The start less the teacher's buffer before it (teacher's calendar)."""
    @property
    def busy_until(self) -> datetime:
        """The end plus the teacher's buffer after it (teacher's calendar)."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class Calendar:
    """A person's calendar: a teacher's slots and the holds of their active lessons."""

    @staticmethod
    def from_document(body: str) -> Calendar:
        """Decodes a stored document (a ``DocumentStore`` body), for projections."""

    @property
    def owner(self) -> UUID: ...
    @property
    def version(self) -> int: ...
    @property
    def slots(self) -> list[AvailabilitySlot]: ...
    @property
    def holds(self) -> list[Hold]: ...
    @property
    def sessions(self) -> list[SessionHold]: ...
    @property
    def rules(self) -> SchedulingRules:
        """The owner's default scheduling rules as a teacher."""
    @property
    def course_rules(self) -> dict[UUID, SchedulingRules]:
        """The owner's rules per course, which win over ``rules``."""
    @property
    def time_off(self) -> list[TimeOff]: ...
    def rules_for_course(self, course_id: _Id | None = None) -> SchedulingRules: ...
    def rules_for_slot(self, slot: AvailabilitySlot) -> SchedulingRules: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class BookableOccurrence:
    """One bookable occurrence, as instants and as wall times."""

    @property
    def slot_id(self) -> UUID: ...
    @property
    def course_id(self) -> UUID | None: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def teacher_time_zone(self) -> ZoneInfo: ...
    @property
    def teacher_local_start(self) -> datetime: ...
    @property
    def teacher_local_end(self) -> datetime: ...
    @property
    def viewer_time_zone(self) -> ZoneInfo: ...
    @property
    def viewer_local_start(self) -> datetime: ...
    @property
    def viewer_local_end(self) -> datetime: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class SkippedOccurrence:
    """An occurrence a series did not book, and why."""

    @property
    def local_date(self) -> date: ...
    @property
    def starts_at(self) -> datetime | None: ...
    @property
    def reason(self) -> BookingError: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class SeriesBooking:
    """A booked series."""

    @property
    def series_id(self) -> UUID: ...
    @property
    def lessons(self) -> list[Lesson]: ...
    @property
    def skipped(self) -> list[SkippedOccurrence]: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class OfferSweep:
    """What one ``Engine.process_expired_offers`` call did. A failed session is unchanged and
    is tried again by the next call; every other due session was processed."""

    @property
    def events(self) -> list[Event]:
        """The events of every session processed, session after session."""
    @property
    def failures(self) -> list[tuple[UUID, BookingError]]:
        """The sessions that could not be processed, in the order tried, each with the
        ``BookingError`` (not raised) it failed with."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class Event:
    """Something that happened. ``kind`` says what; the other fields are set (not ``None``)
    when the kind carries them:

    - ``session_id``: every session and seat event;
    - ``booking_id``, ``student_id``: seat and lesson events about one booking;
    - ``teacher_id``: session creation, slot and lesson events;
    - ``position``: BOOKING_WAITLISTED; ``previous_status``: BOOKING_CANCELLED (SeatStatus),
      LESSON_CANCELLED (LessonStatus); ``status``: ATTENDANCE_MARKED, LESSON_ATTENDANCE_MARKED;
    - ``previous_capacity``, ``capacity``: CAPACITY_CHANGED; ``enabled``: WAITLIST_CHANGED;
    - ``session``: SESSION_CREATED; ``slot``: SLOT_PUBLISHED, SLOT_UPDATED; ``lesson``:
      LESSON_REQUESTED, LESSON_BOOKED, LESSON_RESCHEDULED (after the move); ``meeting_link``:
      LESSON_APPROVED, MEETING_LINK_SET; ``reason``: LESSON_DECLINED; ``series_id``,
      ``lessons``, ``skipped``: SERIES_BOOKED;
    - ``seats``: BOOKING_CONFIRMED, BOOKING_WAITLISTED, SEAT_OFFERED; ``expires_at``:
      SEAT_OFFERED; ``cutoff_overridden``: BOOKING_CANCELLED, LESSON_CANCELLED,
      LESSON_RESCHEDULED; ``previous_slot_id``, ``previous_starts_at``,
      ``previous_ends_at``: LESSON_RESCHEDULED; ``rules``, ``course_id``: SCHEDULING_RULES_SET
      (``course_id`` also on SESSION_CREATED and lesson events); ``time_off``:
      TIME_OFF_ADDED; ``time_off_id``: TIME_OFF_ADDED, TIME_OFF_REMOVED.
    """

    @property
    def occurred_at(self) -> datetime: ...
    @property
    def actor(self) -> Actor: ...
    @property
    def kind(self) -> EventKind: ...
    @property
    def session_id(self) -> UUID | None: ...
    @property
    def booking_id(self) -> UUID | None: ...
    @property
    def student_id(self) -> UUID | None: ...
    @property
    def teacher_id(self) -> UUID | None: ...
    @property
    def position(self) -> int | None: ...
    @property
    def previous_status(self) -> SeatStatus | LessonStatus | None: ...
    @property
    def status(self) -> SeatStatus | LessonStatus | None: ...
    @property
    def previous_capacity(self) -> int | None: ...
    @property
    def capacity(self) -> int | None: ...
    @property
    def enabled(self) -> bool | None: ...
    @property
    def session(self) -> GroupSession | None: ...
    @property
    def slot(self) -> AvailabilitySlot | None: ...
    @property
    def lesson(self) -> Lesson | None: ...
    @property
    def meeting_link(self) -> str | None: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def series_id(self) -> UUID | None: ...
    @property
    def lessons(self) -> list[UUID] | None: ...
    @property
    def skipped(self) -> int | None: ...
    @property
    def seats(self) -> int | None: ...
    @property
    def expires_at(self) -> datetime | None: ...
    @property
    def cutoff_overridden(self) -> bool | None: ...
    @property
    def previous_slot_id(self) -> UUID | None: ...
    @property
    def previous_starts_at(self) -> datetime | None: ...
    @property
    def previous_ends_at(self) -> datetime | None: ...
    @property
    def rules(self) -> SchedulingRules | None: ...
    @property
    def course_id(self) -> UUID | None: ...
    @property
    def time_off(self) -> TimeOff | None: ...
    @property
    def time_off_id(self) -> UUID | None: ...
    def to_json(self) -> str:
        """The event as the core serializes it, for an outbox."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class Receipt(Generic[_T]):
    """What a successful command returns."""

    @classmethod
    def __class_getitem__(cls, item: Any) -> Any:
        """``Receipt[SeatBooking]`` works at runtime too."""
    @property
    def value(self) -> _T: ...
    @property
    def events(self) -> list[Event]: ...
    @property
    def version(self) -> int: ...
    @property
    def replayed(self) -> bool: ...

@final
class Engine:
    """The booking engine over a store; share one between threads."""

    def __new__(
        cls,
        store: InMemoryStore | SqliteStore | PostgresStore | Any,
        *,
        clock: ManualClock | None = None,
        max_attempts: int | None = None,
        local_queueing: bool = True,
        meeting_links: Callable[[Lesson], str | None] | None = None,
        ical_uid_domain: str | None = None,
        ical_prodid: str | None = None,
    ) -> Engine: ...
    @property
    def store(self) -> Any: ...
    def now(self) -> datetime: ...
    def counters(self) -> EngineCounters:
        """How many commands this engine ran since it was built and how they ended."""
    def create_session(
        self,
        actor: Actor,
        *,
        teacher_id: _Id,
        title: str,
        starts_at: datetime,
        time_zone: _Zone,
        duration_minutes: int,
        meeting_link: str,
        capacity: int,
        waitlist_enabled: bool = False,
        course_id: _Id | None = None,
        waitlist_mode: WaitlistMode | None = None,
        rules: SchedulingRules | None = None,
        key: str | None = None,
    ) -> Receipt[GroupSession]: ...
    def book_seat(
        self, actor: Actor, session_id: _Id, student_id: _Id, *, seats: int = 1, key: str | None = None
    ) -> Receipt[SeatBooking]: ...
    def accept_offer(self, actor: Actor, booking_id: _Id, *, key: str | None = None) -> Receipt[SeatBooking]: ...
    def decline_offer(self, actor: Actor, booking_id: _Id, *, key: str | None = None) -> Receipt[SeatBooking]: ...
    def process_expired_offers(self, now: datetime) -> OfferSweep:
        """Expires the seat offers that ran out by ``now`` and offers their seats on; call it
        periodically. Each due session is processed on its own: returns the events of every
        session processed and the sessions that failed, with their errors (not raised)."""
    def prune_requests(self, recorded_before: datetime) -> int:
        """Operator action: deletes the request records recorded before the instant; returns
        how many. A retry with a deleted key is decided afresh, as a new command. Not a
        command: it checks no actor, so never run it on a user's behalf."""
    def cancel_booking(self, actor: Actor, booking_id: _Id, *, key: str | None = None) -> Receipt[SeatBooking]: ...
    def change_capacity(
        self, actor: Actor, session_id: _Id, capacity: int, *, key: str | None = None
    ) -> Receipt[GroupSession]: ...
    def set_waitlist(self, actor: Actor, session_id: _Id, enabled: bool, *, key: str | None = None) -> Receipt[GroupSession]: ...
    def cancel_session(self, actor: Actor, session_id: _Id, *, key: str | None = None) -> Receipt[GroupSession]: ...
    def mark_attendance(
        self, actor: Actor, booking_id: _Id, attended: bool, *, key: str | None = None
    ) -> Receipt[SeatBooking]: ...
    def publish_slot(
        self,
        actor: Actor,
        teacher_id: _Id,
        recurrence: WeeklySlot | OneTimeSlot,
        *,
        time_zone: _Zone,
        course_id: _Id | None = None,
        active: bool = True,
        rules: SchedulingRules | None = None,
        key: str | None = None,
    ) -> Receipt[AvailabilitySlot]: ...
    def update_slot(
        self,
        actor: Actor,
        slot_id: _Id,
        recurrence: WeeklySlot | OneTimeSlot,
        *,
        time_zone: _Zone,
        course_id: _Id | None = None,
        active: bool = True,
        rules: SchedulingRules | None = None,
        key: str | None = None,
    ) -> Receipt[AvailabilitySlot]: ...
    def set_slot_active(
        self, actor: Actor, slot_id: _Id, active: bool, *, key: str | None = None
    ) -> Receipt[AvailabilitySlot]: ...
    def book_lesson(
        self, actor: Actor, slot_id: _Id, starts_at: datetime, student_id: _Id, *, key: str | None = None
    ) -> Receipt[Lesson]: ...
    def book_series(
        self,
        actor: Actor,
        slot_id: _Id,
        student_id: _Id,
        first_starts_at: datetime,
        *,
        every_weeks: int = 1,
        count: int | None = None,
        until: date | None = None,
        mode: SeriesMode | str | None = None,
        key: str | None = None,
    ) -> Receipt[SeriesBooking]: ...
    def approve_lesson(
        self, actor: Actor, booking_id: _Id, *, meeting_link: str | None = None, key: str | None = None
    ) -> Receipt[Lesson]: ...
    def decline_lesson(
        self, actor: Actor, booking_id: _Id, *, reason: str | None = None, key: str | None = None
    ) -> Receipt[Lesson]: ...
    def cancel_lesson(self, actor: Actor, booking_id: _Id, *, key: str | None = None) -> Receipt[Lesson]: ...
    def cancel_series_from(self, actor: Actor, booking_id: _Id, *, key: str | None = None) -> Receipt[list[Lesson]]: ...
    def set_meeting_link(
        self, actor: Actor, booking_id: _Id, meeting_link: str, *, key: str | None = None
    ) -> Receipt[Lesson]: ...
    def mark_lesson_attendance(
        self, actor: Actor, booking_id: _Id, attended: bool, *, key: str | None = None
    ) -> Receipt[Lesson]: ...
    def reschedule_lesson(
        self, actor: Actor, booking_id: _Id, slot_id: _Id, starts_at: datetime, *, key: str | None = None
    ) -> Receipt[Lesson]: ...
    def set_scheduling_rules(
        self, actor: Actor, teacher_id: _Id, rules: SchedulingRules, *, course_id: _Id | None = None, key: str | None = None
    ) -> Receipt[SchedulingRules]: ...
    def add_time_off(
        self,
        actor: Actor,
        teacher_id: _Id,
        first_day: date,
        last_day: date,
        time_zone: _Zone,
        *,
        note: str | None = None,
        key: str | None = None,
    ) -> Receipt[TimeOff]: ...
    def remove_time_off(self, actor: Actor, teacher_id: _Id, time_off_id: _Id, *, key: str | None = None) -> Receipt[TimeOff]: ...
    def session(self, actor: Actor, session_id: _Id) -> GroupSession:
        """The whole session (every booking): for its teacher, an admin or the system."""
    def session_summary(self, actor: Actor, session_id: _Id) -> SessionSummary:
        """The session as anyone may see it before booking (no other student's ids)."""
    def seat_booking(self, actor: Actor, booking_id: _Id) -> SeatBooking:
        """For its student, the session's teacher, an admin or the system."""
    def calendar(self, actor: Actor, owner: _Id) -> Calendar:
        """For its owner, an admin or the system."""
    def lesson(self, actor: Actor, booking_id: _Id) -> Lesson:
        """For its student, its teacher, an admin or the system."""
    def slot(self, slot_id: _Id) -> AvailabilitySlot: ...
    def session_ical(self, actor: Actor, session_id: _Id) -> str:
        """The session as an iCalendar (RFC 5545) file (stable ``UID``, growing ``SEQUENCE``)."""
    def booking_ical(self, actor: Actor, booking_id: _Id) -> str:
        """A seat booking (its session as the student sees it) or a lesson, as iCalendar."""
    def lessons_ical(self, actor: Actor, booking_ids: Iterable[_Id]) -> str:
        """Several lessons (a series) as one iCalendar file, one ``VEVENT`` each."""
    def list_occurrences(
        self,
        teacher_id: _Id,
        start: datetime,
        end: datetime,
        *,
        course_id: _Id | None = None,
        student_id: _Id | None = None,
        time_zone: _Zone | None = None,
    ) -> list[BookableOccurrence]: ...

    # --- the read side ---
    def student_agenda(
        self,
        actor: Actor,
        student_id: _Id,
        start: datetime,
        end: datetime,
        *,
        statuses: Iterable[AgendaStatus | str] | None = (),
        limit: int = 50,
        after: str | None = None,
    ) -> Page[StudentAgendaItem]:
        """A student's seat bookings and lessons starting in ``[start, end)`` (at most 400
        days), by start, with a status in ``statuses`` (all when empty). The student, an admin
        or the system may read it."""
    def teacher_agenda(
        self, actor: Actor, teacher_id: _Id, start: datetime, end: datetime, *, limit: int = 50, after: str | None = None
    ) -> Page[TeacherAgendaItem]:
        """A teacher's sessions and lessons starting in ``[start, end)``, by start, cancelled
        ones flagged. The teacher, an admin or the system may read it."""
    def approval_queue(
        self, actor: Actor, teacher_id: _Id, *, limit: int = 50, after: str | None = None
    ) -> Page[ApprovalRequest]:
        """The lessons waiting for the teacher's approval, oldest request first."""
    def roster(self, actor: Actor, session_id: _Id, *, limit: int = 50, after: str | None = None) -> Roster:
        """A session's counts and one page of its bookings; a student sees other students'
        ids withheld; another teacher may not read it."""
    def starting_between(
        self, actor: Actor, start: datetime, end: datetime, *, limit: int = 50, after: str | None = None
    ) -> Page[StartingItem]:
        """Every session not cancelled and every lesson that takes place, starting in
        ``[start, end)``, across all teachers (reminders). An admin or the system may read it."""
    def outbox(self, actor: Actor, *, after: int = 0, limit: int = 100) -> list[OutboxEntry]:
        """Up to ``limit`` events of committed commands after position ``after``, in commit
        order. An admin or the system may read it."""
    def acknowledge_outbox(self, actor: Actor, up_to: int) -> int:
        """Deletes the outbox events up to and including ``up_to`` (relayed); returns how many."""

@final
class Page(Generic[_T]):
    """One page of a list."""

    @classmethod
    def __class_getitem__(cls, item: Any) -> Any:
        """``Page[StudentAgendaItem]`` works at runtime too."""
    @property
    def items(self) -> list[_T]:
        """The items, in the list's order."""
    @property
    def next(self) -> str | None:
        """The token to pass as ``after=`` for the next page; ``None`` at the end of the list
        (while it is set, the next page may still be empty)."""
    def __len__(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class StudentAgendaItem:
    """One item of a student's agenda: their seat booking in a session, or one of their lessons."""

    @property
    def kind(self) -> AgendaKind: ...
    @property
    def booking_id(self) -> UUID:
        """The seat booking's or the lesson's id (what cancel, accept or reschedule take)."""
    @property
    def session_id(self) -> UUID | None: ...
    @property
    def teacher_id(self) -> UUID: ...
    @property
    def course_id(self) -> UUID | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def time_zone(self) -> ZoneInfo: ...
    @property
    def status(self) -> AgendaStatus: ...
    @property
    def seats(self) -> int: ...
    @property
    def waitlist_position(self) -> int | None: ...
    @property
    def offer_expires_at(self) -> datetime | None: ...
    @property
    def meeting_link(self) -> str | None:
        """Shown only to a student who has their place (confirmed, attended, no-show)."""
    @property
    def series_id(self) -> UUID | None: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class TeacherAgendaItem:
    """One item of a teacher's agenda: a session with its seat counts, or a lesson."""

    @property
    def kind(self) -> AgendaKind: ...
    @property
    def session_id(self) -> UUID | None: ...
    @property
    def booking_id(self) -> UUID | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def course_id(self) -> UUID | None: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def time_zone(self) -> ZoneInfo: ...
    @property
    def cancelled(self) -> bool: ...
    @property
    def lesson_status(self) -> LessonStatus | None: ...
    @property
    def student_id(self) -> UUID | None: ...
    @property
    def series_id(self) -> UUID | None: ...
    @property
    def capacity(self) -> int: ...
    @property
    def seats_taken(self) -> int: ...
    @property
    def seats_remaining(self) -> int: ...
    @property
    def waitlist_length(self) -> int: ...
    @property
    def open_offers(self) -> int: ...
    @property
    def meeting_link(self) -> str | None:
        """The session's link, or the lesson's once one is set."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class ApprovalRequest:
    """A lesson waiting for its teacher's approval."""

    @property
    def booking_id(self) -> UUID: ...
    @property
    def student_id(self) -> UUID: ...
    @property
    def course_id(self) -> UUID | None: ...
    @property
    def slot_id(self) -> UUID: ...
    @property
    def series_id(self) -> UUID | None: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def time_zone(self) -> ZoneInfo: ...
    @property
    def requested_at(self) -> datetime: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class RosterEntry:
    """One booking on a session's roster."""

    @property
    def booking_id(self) -> UUID | None:
        """Withheld (``None``) from a student reading another student's entry."""
    @property
    def student_id(self) -> UUID | None:
        """Withheld (``None``) from a student reading another student's entry."""
    @property
    def status(self) -> SeatStatus: ...
    @property
    def seats(self) -> int: ...
    @property
    def waitlist_position(self) -> int | None: ...
    @property
    def offer_expires_at(self) -> datetime | None: ...
    @property
    def booked_at(self) -> datetime: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class SessionSummary:
    """A group session as anyone may see it before booking: no student's ids but the asker's."""

    @property
    def session_id(self) -> UUID: ...
    @property
    def teacher_id(self) -> UUID: ...
    @property
    def course_id(self) -> UUID | None: ...
    @property
    def title(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def time_zone(self) -> ZoneInfo: ...
    @property
    def duration_minutes(self) -> int: ...
    @property
    def capacity(self) -> int: ...
    @property
    def seats_taken(self) -> int: ...
    @property
    def seats_remaining(self) -> int: ...
    @property
    def waitlist_enabled(self) -> bool: ...
    @property
    def waitlist_mode(self) -> WaitlistMode: ...
    @property
    def waitlist_length(self) -> int: ...
    @property
    def max_seats_per_booking(self) -> int | None: ...
    @property
    def availability(self) -> BookingAvailability: ...
    @property
    def cancelled_at(self) -> datetime | None: ...
    @property
    def meeting_link(self) -> str | None:
        """Shown to the teacher, admins and a student who has their place."""
    @property
    def own_booking(self) -> StudentAgendaItem | None:
        """The asking student's live booking in the session, if any."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class Roster:
    """A session's roster: its counts, and one page of its bookings."""

    @property
    def session_id(self) -> UUID: ...
    @property
    def capacity(self) -> int: ...
    @property
    def seats_taken(self) -> int: ...
    @property
    def seats_remaining(self) -> int: ...
    @property
    def waitlist_length(self) -> int: ...
    @property
    def entries(self) -> Page[RosterEntry]:
        """Seat holders in booking order, then open offers by deadline, then the waitlist."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class StartingItem:
    """A session or a lesson that starts in a window, for reminders."""

    @property
    def kind(self) -> AgendaKind: ...
    @property
    def session_id(self) -> UUID | None: ...
    @property
    def booking_id(self) -> UUID | None: ...
    @property
    def teacher_id(self) -> UUID: ...
    @property
    def student_id(self) -> UUID | None: ...
    @property
    def course_id(self) -> UUID | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def time_zone(self) -> ZoneInfo: ...
    @property
    def meeting_link(self) -> str | None: ...
    @property
    def seats_taken(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class OutboxEntry:
    """One event in the outbox, at its position."""

    @property
    def position(self) -> int:
        """Grows in commit order, never reused, starts at 1."""
    @property
    def event(self) -> Event: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class EngineCounters:
    """How many commands one engine ran since it was built and how they ended (a snapshot from
    :meth:`Engine.counters`). Every command counts once in ``commands`` and once in exactly one
    of ``committed``, ``unchanged``, ``replayed``, ``refused``, ``contention_errors`` and
    ``store_errors``."""

    @property
    def commands(self) -> int: ...
    @property
    def committed(self) -> int: ...
    @property
    def unchanged(self) -> int: ...
    @property
    def replayed(self) -> int: ...
    @property
    def refused(self) -> int: ...
    @property
    def conflicts(self) -> int:
        """Commits that lost a race to another writer (each retried, or a contention error)."""
    @property
    def retries(self) -> int: ...
    @property
    def contention_errors(self) -> int: ...
    @property
    def store_errors(self) -> int: ...
    @property
    def batches(self) -> int:
        """Batches group commit sent to the store: two or more commits in one call, applied or
        not."""
    @property
    def batched_commits(self) -> int:
        """Commits sent in those batches (``batched_commits / batches`` is the mean batch size)."""
    def as_dict(self) -> dict[str, int]:
        """The counters by name, in the order of the properties above."""
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def enable_logging() -> None:
    """Sends the engine's events to :mod:`logging` (loggers ``booking_core.*``: one
    ``command finished`` record per command at DEBUG with its name, outcome code, attempts and
    store time; lost races at DEBUG; contention at WARNING). Off until called; call it again
    after changing the logging configuration (levels are cached)."""

@final
class CheckOutcome:
    """The outcome of one conformance check."""

    @property
    def name(self) -> str: ...
    @property
    def passed(self) -> bool: ...
    @property
    def detail(self) -> str: ...

@final
class ConformanceReport:
    """The results of a conformance run; ``str()`` lists every check."""

    @property
    def passed(self) -> bool: ...
    @property
    def checks(self) -> list[CheckOutcome]: ...
    @property
    def failures(self) -> list[CheckOutcome]: ...

def conformance_checks() -> list[str]:
    """The names of the conformance checks, in order. ``RuntimeError`` in a wheel built without
    the suite (see :func:`run_conformance`)."""

def run_conformance(factory: Callable[[], Any], checks: Sequence[str] | None = None) -> ConformanceReport:
    """Runs the core's store conformance suite against fresh stores from ``factory``.

    The suite is test code, in the wheel built with ``maturin build --features conformance``
    (``scripts/test-python`` builds one); the default wheel raises ``RuntimeError`` saying so."""

def sample_error(code: str) -> BookingError:
    """For tests: the exception the binding maps a sample error with this code to."""
