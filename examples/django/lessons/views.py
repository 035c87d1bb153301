"""Two small JSON views: a session with its seats, and booking a seat.

Authentication is out of scope of the example: the student is named by the ``student`` form
field (a real view takes the logged-in user's id).
"""

from __future__ import annotations

import uuid

import booking
from django.http import HttpRequest, JsonResponse
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


@require_POST
def book_seat(request: HttpRequest, session_id: uuid.UUID) -> JsonResponse:
    try:
        student = uuid.UUID(request.POST["student"])
    except (KeyError, ValueError):
        return JsonResponse({"error": "invalid_input", "message": "student must be a UUID"}, status=400)
    key = request.headers.get("Idempotency-Key")
    try:
        receipt = get_engine().book_seat(booking.Actor.student(student), session_id, student, key=key)
    except booking.BookingError as e:
        return _refusal(e)
    seat = receipt.value
    return JsonResponse(
        {"booking": str(seat.id), "status": seat.status.value, "events": [e.kind.value for e in receipt.events]},
        status=200 if receipt.replayed else 201,
    )
