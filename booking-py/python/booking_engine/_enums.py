"""The engine's enumerations. Each member's value is the core's stable snake_case string."""

from __future__ import annotations

import enum

__all__ = [
    "AgendaKind",
    "AgendaStatus",
    "BookingAvailability",
    "EventKind",
    "LessonStatus",
    "Role",
    "SeatStatus",
    "SeriesMode",
    "Weekday",
]


class SeatStatus(str, enum.Enum):
    """The status of a seat booking in a group session."""

    CONFIRMED = "confirmed"
    """Holds a seat."""
    WAITLISTED = "waitlisted"
    """Queued for a seat."""
    OFFERED = "offered"
    """Waitlisted, and a freed seat is held for it until ``offer_expires_at`` (offer mode):
    accept or decline it. Takes its seats meanwhile."""
    EXPIRED = "expired"
    """Its offer was not answered in time; it left the queue."""
    CANCELLED = "cancelled"
    """Cancelled before the start."""
    ATTENDED = "attended"
    """Held a seat and came."""
    NO_SHOW = "no_show"
    """Held a seat and did not come."""


class LessonStatus(str, enum.Enum):
    """The status of a 1:1 lesson."""

    PENDING = "pending"
    """Waiting for the teacher's approval; holds its time."""
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class BookingAvailability(str, enum.Enum):
    """Whether a group session takes bookings at an instant."""

    OPEN = "open"
    WAITLIST_ONLY = "waitlist_only"
    CLOSED = "closed"
    """Every seat is taken and the waitlist is off (the seed's ``booking_closed``)."""
    STARTED = "started"
    CANCELLED = "cancelled"


class AgendaStatus(str, enum.Enum):
    """Where an item of a student's agenda stands (:meth:`~booking_engine.Engine.student_agenda`
    filters by these)."""

    CONFIRMED = "confirmed"
    """A confirmed seat or lesson."""
    WAITLISTED = "waitlisted"
    """On a session's waitlist (``waitlist_position`` says where)."""
    OFFERED = "offered"
    """A seat is offered until ``offer_expires_at``."""
    PENDING_APPROVAL = "pending_approval"
    """A lesson waiting for the teacher's approval."""
    ATTENDED = "attended"
    """Took place, and the student came."""
    NO_SHOW = "no_show"
    """Took place, and the student did not come."""
    DECLINED = "declined"
    """A lesson the teacher declined."""
    CANCELLED = "cancelled"
    """A lesson cancelled, or a seat in a cancelled session."""


class AgendaKind(str, enum.Enum):
    """Whether an agenda item is a seat in a group session or a 1:1 lesson."""

    SESSION = "session"
    LESSON = "lesson"


class EventKind(str, enum.Enum):
    """What an :class:`~booking.Event` reports (the core's stable event names, in the core's
    order: ``booking.EVENT_KINDS``)."""

    SESSION_CREATED = "session_created"
    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_WAITLISTED = "booking_waitlisted"
    BOOKING_PROMOTED = "booking_promoted"
    BOOKING_CANCELLED = "booking_cancelled"
    SEAT_OFFERED = "seat_offered"
    """A freed seat is held for the first in line until ``expires_at`` (offer mode)."""
    OFFER_ACCEPTED = "offer_accepted"
    OFFER_DECLINED = "offer_declined"
    OFFER_EXPIRED = "offer_expired"
    SESSION_CLOSED = "session_closed"
    SESSION_REOPENED = "session_reopened"
    CAPACITY_CHANGED = "capacity_changed"
    WAITLIST_CHANGED = "waitlist_changed"
    SESSION_CANCELLED = "session_cancelled"
    ATTENDANCE_MARKED = "attendance_marked"
    SLOT_PUBLISHED = "slot_published"
    SLOT_UPDATED = "slot_updated"
    LESSON_REQUESTED = "lesson_requested"
    LESSON_BOOKED = "lesson_booked"
    LESSON_APPROVED = "lesson_approved"
    LESSON_DECLINED = "lesson_declined"
    LESSON_CANCELLED = "lesson_cancelled"
    LESSON_RESCHEDULED = "lesson_rescheduled"
    """A lesson moved to another occurrence; its old time is free."""
    MEETING_LINK_SET = "meeting_link_set"
    LESSON_ATTENDANCE_MARKED = "lesson_attendance_marked"
    SERIES_BOOKED = "series_booked"
    SCHEDULING_RULES_SET = "scheduling_rules_set"
    TIME_OFF_ADDED = "time_off_added"
    TIME_OFF_REMOVED = "time_off_removed"


class Role(str, enum.Enum):
    """The role of an :class:`~booking.Actor`."""

    TEACHER = "teacher"
    STUDENT = "student"
    ADMIN = "admin"
    SYSTEM = "system"


class SeriesMode(str, enum.Enum):
    """What a series booking does with occurrences that cannot be booked."""

    ALL_OR_NOTHING = "all_or_nothing"
    """Refuse the whole series (the default)."""
    BOOK_AVAILABLE = "book_available"
    """Book the free occurrences and report the others in ``SeriesBooking.skipped``."""


class Weekday(enum.IntEnum):
    """Days of the week, numbered like :meth:`datetime.date.weekday` (Monday is 0)."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6

for _cls in (BookingAvailability, EventKind, LessonStatus, Role, SeatStatus, SeriesMode, Weekday):
    _cls.__module__ = "booking_engine"
del _cls
