"""Two small JSON views: a session with its seats, and booking a seat.

Authentication is out of scope of the example: the student is named by the ``student`` form
field (a real view takes the logged-in user's id).
"""

from __future__ import annotations

import uuid

import booking_engine as booking
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from . import models
from .engine import get_engine

HTTP_STATUS = {
    booking.NotFoundError: 404,
    booking.NotAuthorizedError: 403,
    booking.InvalidInputError: 400,
    booking.StoreError: 503,
    booking.ContentionError: 503,
}


def _refusal(error: booking.BookingError) -> JsonResponse:
    status = next((s for cls, s in HTTP_STATUS.items() if isinstance(error, cls)), 409)
    return JsonResponse({"error": error.code, "message": error.message}, status=status)


@require_GET
def session_detail(request: HttpRequest, session_id: uuid.UUID) -> JsonResponse:
    # An ordinary query over the projections.
    try:
        s = models.GroupSession.objects.get(pk=session_id)
    except models.GroupSession.DoesNotExist:
        return JsonResponse({"error": "session_not_found"}, status=404)
    seats = list(s.seat_bookings.values("id", "student_id", "status"))
    return JsonResponse(
        {"title": s.title, "total_seats": s.total_seats, "booked_seats": s.booked_seats, "bookings": seats}
    )


def _student(request: HttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST["student"])
    except (KeyError, ValueError):
        return None


def _bad_student() -> JsonResponse:
    return JsonResponse({"error": "invalid_input", "message": "student must be a UUID"}, status=400)


@require_POST
def book_seat(request: HttpRequest, session_id: uuid.UUID) -> JsonResponse:
    """Books seats for the student (``seats``: how many, default 1; all or nothing)."""
    student = _student(request)
    if student is None:
        return _bad_student()
    try:
        seats = int(request.POST.get("seats", "1"))
    except ValueError:
        return JsonResponse({"error": "invalid_input", "message": "seats must be a number"}, status=400)
    key = request.headers.get("Idempotency-Key")
    try:
        receipt = get_engine().book_seat(booking.Actor.student(student), session_id, student, seats=seats, key=key)
    except booking.BookingError as e:
        return _refusal(e)
    seat = receipt.value
    return JsonResponse(
        {"booking": str(seat.id), "status": seat.status.value, "events": [e.kind.value for e in receipt.events]},
        status=200 if receipt.replayed else 201,
    )


@require_POST
def answer_offer(request: HttpRequest, booking_id: uuid.UUID, answer: str) -> JsonResponse:
    """The student accepts (``answer="accept"``) or declines the seat offered to them."""
    student = _student(request)
    if student is None:
        return _bad_student()
    engine = get_engine()
    act = engine.accept_offer if answer == "accept" else engine.decline_offer
    try:
        receipt = act(booking.Actor.student(student), booking_id, key=request.headers.get("Idempotency-Key"))
    except booking.BookingError as e:
        return _refusal(e)
    return JsonResponse(
        {"booking": str(receipt.value.id), "status": receipt.value.status.value,
         "events": [e.kind.value for e in receipt.events]}
    )


@require_GET
def session_calendar(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    """The session as an iCalendar file: subscribe to it, or import it; its UID is stable, so
    calendar apps update the event (a new time, a cancellation) rather than add a second one."""
    try:
        ics = get_engine().session_ical(session_id)
    except booking.BookingError as e:
        return _refusal(e)
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="session-{session_id}.ics"'
    return response
