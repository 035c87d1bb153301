"""The engine's refusals in words a person understands (by error code).

Override a text by giving ``BOOKING_ENGINE["MESSAGES"] = {"session_full": "..."}``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

WORDS: dict[str, str] = {
    "invalid_input": "Some of what you entered is not valid.",
    "unknown_time_zone": "That time zone is not known.",
    "invalid_meeting_link": "The meeting link must be a web address (https://...).",
    "start_in_past": "That start time is in the past.",
    "too_large": "That is more than allowed.",
    "not_authorized": "You are not allowed to do that.",
    "session_not_found": "That session does not exist.",
    "booking_not_found": "That booking does not exist.",
    "slot_not_found": "That availability slot does not exist.",
    "time_off_not_found": "That time off does not exist.",
    "session_full": "The session is full.",
    "already_booked": "You already have a booking for this.",
    "session_started": "The session has already started.",
    "session_not_started": "The session has not started yet.",
    "lesson_started": "The lesson has already started.",
    "lesson_not_started": "The lesson has not started yet.",
    "session_cancelled": "The session was cancelled.",
    "capacity_below_booked": "More seats are already booked than that capacity.",
    "invalid_transition": "That is not possible in the booking's current state.",
    "slot_unavailable": "That time is no longer available.",
    "occurrence_not_offered": "That time is not offered by the teacher.",
    "student_busy": "You already have another lesson at that time.",
    "not_enrolled": "You are not enrolled in this course.",
    "outside_booking_window": "That time is outside the booking window (too soon or too far ahead).",
    "cutoff_passed": "It is too late to change this booking.",
    "limit_reached": "A booking limit has been reached.",
    "teacher_busy": "The teacher is busy at that time.",
    "offer_expired": "The seat offer has expired.",
    "request_key_reused": "This form was already sent with different content.",
    "contention": "Many people are booking right now; please try again.",
    "corrupt_record": "Something is wrong with a stored record; please contact support.",
    "store_error": "The booking could not be saved; please try again.",
    "store_unavailable": "Booking is unavailable right now; please try again shortly.",
    "internal": "Something went wrong; please try again.",
}


def words(error: Any) -> str:
    """The message shown for a ``booking_engine.BookingError``."""
    code = getattr(error, "code", "internal")
    custom = getattr(settings, "BOOKING_ENGINE", {}).get("MESSAGES", {})
    return custom.get(code) or WORDS.get(code) or WORDS["internal"]
