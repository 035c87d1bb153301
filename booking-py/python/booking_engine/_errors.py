"""The exception hierarchy. The native module raises these, looked up by the core's stable
error code (:data:`BY_CODE`); every class carries that code as ``.code``.

Catch :class:`BookingError` for every refusal, a subclass for one kind. Input errors are also
``ValueError`` (:class:`InvalidInputError` and its subclasses); the three "not found" errors
are also ``LookupError`` (:class:`NotFoundError`).
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

__all__ = [
    "AlreadyBookedError",
    "BookingError",
    "BookingNotFoundError",
    "BY_CODE",
    "CapacityBelowBookedError",
    "ConflictError",
    "ContentionError",
    "CorruptRecordError",
    "DuplicateRequestError",
    "InternalError",
    "InvalidInputError",
    "InvalidMeetingLinkError",
    "InvalidTransitionError",
    "LessonNotStartedError",
    "LessonStartedError",
    "NotAuthorizedError",
    "CutoffPassedError",
    "LimitReachedError",
    "NotEnrolledError",
    "NotFoundError",
    "OccurrenceNotOfferedError",
    "OfferExpiredError",
    "OutsideBookingWindowError",
    "RequestKeyReusedError",
    "SessionCancelledError",
    "SessionFullError",
    "SessionNotFoundError",
    "SessionNotStartedError",
    "SessionStartedError",
    "SlotNotFoundError",
    "SlotUnavailableError",
    "StartInPastError",
    "StoreError",
    "StoreUnavailableError",
    "StudentBusyError",
    "TeacherBusyError",
    "TimeOffNotFoundError",
    "TooLargeError",
    "UnknownTimeZoneError",
]


class BookingError(Exception):
    """Why a command was refused or could not be carried out. Nothing was changed.

    ``code`` is the core's stable machine-readable code, ``message`` the human text, and
    ``details`` the error's fields as the core serializes them (ids and instants as strings).
    """

    code: ClassVar[str] = "booking_error"
    message: str
    details: dict[str, Any]

    def __init__(self, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = dict(details or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class InvalidInputError(BookingError, ValueError):
    """A value is out of range or malformed (``details["field"]`` names it): an ``int`` outside
    the engine's range (whatever its size), a wrong type, a string with a lone surrogate, a
    naive datetime where an instant is expected. The message shows the value."""

    code = "invalid_input"


class UnknownTimeZoneError(InvalidInputError):
    """The name is not an IANA time zone the engine knows."""

    code = "unknown_time_zone"


class InvalidMeetingLinkError(InvalidInputError):
    """A meeting link that is not an absolute http(s) URL."""

    code = "invalid_meeting_link"


class StartInPastError(InvalidInputError):
    """Something is scheduled to start at or before now."""

    code = "start_in_past"


class TooLargeError(InvalidInputError):
    """A listing window or series is longer than the engine will expand."""

    code = "too_large"


class NotAuthorizedError(BookingError):
    """The actor may not run this command on this object."""

    code = "not_authorized"


class NotFoundError(BookingError, LookupError):
    """No object has this id (see the subclasses)."""


class SessionNotFoundError(NotFoundError):
    code = "session_not_found"


class BookingNotFoundError(NotFoundError):
    code = "booking_not_found"


class SlotNotFoundError(NotFoundError):
    code = "slot_not_found"


class TimeOffNotFoundError(NotFoundError):
    code = "time_off_not_found"


class SessionFullError(BookingError):
    """Every seat is taken and the session has no open waitlist."""

    code = "session_full"


class AlreadyBookedError(BookingError):
    """The student already holds an active booking here."""

    code = "already_booked"


class SessionStartedError(BookingError):
    """The session has started: its seats are frozen."""

    code = "session_started"


class SessionNotStartedError(BookingError):
    """Attendance can only be marked from the session's start."""

    code = "session_not_started"


class LessonStartedError(BookingError):
    """The lesson has started: it can no longer be approved or cancelled."""

    code = "lesson_started"


class LessonNotStartedError(BookingError):
    """Attendance can only be marked from the lesson's start."""

    code = "lesson_not_started"


class SessionCancelledError(BookingError):
    """The session was cancelled."""

    code = "session_cancelled"


class CapacityBelowBookedError(BookingError):
    """Capacity cannot go below the seats already taken."""

    code = "capacity_below_booked"


class InvalidTransitionError(BookingError):
    """The booking's status does not allow this step."""

    code = "invalid_transition"


class SlotUnavailableError(BookingError):
    """The occurrence is held by another booking or overlaps one of the teacher's."""

    code = "slot_unavailable"


class OccurrenceNotOfferedError(BookingError):
    """The slot produces no occurrence starting at this instant."""

    code = "occurrence_not_offered"


class StudentBusyError(BookingError):
    """The student already has a 1:1 lesson at that time."""

    code = "student_busy"


class NotEnrolledError(BookingError):
    """The slot belongs to a course the student is not enrolled in."""

    code = "not_enrolled"


class OutsideBookingWindowError(BookingError):
    """The start is sooner than the minimum notice or further ahead than the maximum advance
    (``details["earliest"]``, ``details["latest"]``)."""

    code = "outside_booking_window"


class CutoffPassedError(BookingError):
    """A student may no longer cancel or reschedule this booking: its cut-off
    (``details["cutoff_at"]``) has passed. The teacher or an admin still may."""

    code = "cutoff_passed"


class LimitReachedError(BookingError):
    """A booking limit would be exceeded (lessons per day or week for a teacher, upcoming
    lessons per student in a course; pending lessons count)."""

    code = "limit_reached"


class TeacherBusyError(BookingError):
    """The teacher has a 1:1 lesson at that time: a group session cannot be scheduled over it."""

    code = "teacher_busy"


class OfferExpiredError(BookingError):
    """The seat offered to this waitlisted booking was not accepted in time and went to the
    next in line."""

    code = "offer_expired"


class RequestKeyReusedError(BookingError):
    """The request key was used before by the same actor for a different command."""

    code = "request_key_reused"


class ContentionError(BookingError):
    """Concurrent writers kept changing the same data; the command was not applied (retry)."""

    code = "contention"


class CorruptRecordError(BookingError):
    """A stored record could not be decoded."""

    code = "corrupt_record"


class StoreError(BookingError):
    """The store failed (connection lost, disk full, an exception in a Python store...); the
    command may be retried with the same request key. When a Python store raised, its
    exception is this error's ``__cause__``."""

    code = "store_error"


class StoreUnavailableError(StoreError):
    """The store could not be reached in time (a network partition, a database server that is
    down or restarting, a timeout): whether the command was applied is unknown. Retry later
    with the **same request key**: a command that was applied replays its first outcome
    (``replayed`` is true), one that was not is decided then. A Python store raises it (or a
    subclass) to say so; its exception is then this error's ``__cause__``. A ``StoreError``,
    so ``except StoreError`` catches it too."""

    code = "store_unavailable"


class ConflictError(StoreError):
    """Raised by a Python store's ``commit`` when an aggregate is no longer at the expected
    version (or already exists when ``expected_version`` is 0). The engine decides the
    command again; callers never see it."""


class DuplicateRequestError(StoreError):
    """Raised by a Python store's ``commit`` when the request ``(scope, key)`` is already
    recorded. The engine replays the recorded outcome; callers never see it."""


class InternalError(BookingError):
    """A bug in the engine or the binding (a Rust panic, caught at the boundary)."""

    code = "internal"


BY_CODE: dict[str, type[BookingError]] = {
    cls.code: cls
    for cls in (
        InvalidInputError,
        UnknownTimeZoneError,
        InvalidMeetingLinkError,
        StartInPastError,
        TooLargeError,
        NotAuthorizedError,
        SessionNotFoundError,
        BookingNotFoundError,
        SlotNotFoundError,
        TimeOffNotFoundError,
        SessionFullError,
        AlreadyBookedError,
        SessionStartedError,
        SessionNotStartedError,
        LessonStartedError,
        LessonNotStartedError,
        SessionCancelledError,
        CapacityBelowBookedError,
        InvalidTransitionError,
        SlotUnavailableError,
        OccurrenceNotOfferedError,
        StudentBusyError,
        NotEnrolledError,
        OutsideBookingWindowError,
        CutoffPassedError,
        LimitReachedError,
        TeacherBusyError,
        OfferExpiredError,
        RequestKeyReusedError,
        ContentionError,
        CorruptRecordError,
        StoreError,
        StoreUnavailableError,
        InternalError,
    )
}
"""The exception class of each error code."""

for _cls in (*BY_CODE.values(), BookingError, NotFoundError, ConflictError, DuplicateRequestError):
    _cls.__module__ = "booking_engine"
del _cls
