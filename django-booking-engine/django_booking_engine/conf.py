"""The app's settings: ``settings.BOOKING_ENGINE``, a dict; every key is optional.

=====================  ==========================================================================
``USER_NAMESPACE``     UUID namespace of the user mapping (default below). Never change it once
                       users have bookings: their engine ids are derived from it.
``ROLE_HOOK``          dotted path of ``f(user) -> set[str]`` ("teacher", "student", "staff");
                       default :func:`django_booking_engine.users.default_roles`.
``TEACHER_GROUP``      the default hook's teacher group name (default ``"teachers"``).
``STUDENT_GROUP``      the default hook's student group name (default ``"students"``).
``COURSE_ADAPTER``     dotted path of a :class:`~django_booking_engine.courses.CourseAdapter`
                       class; default: the app's own Course models.
``TIME_ZONE_HOOK``     dotted path of ``f(user) -> str | None``, the user's IANA zone; default
                       :func:`django_booking_engine.users.stored_time_zone` (the zone chosen
                       on the app's time-zone page).
``DEFAULT_TIME_ZONE``  a user's zone when the hook gives none or an unknown name (default
                       ``settings.TIME_ZONE``).
``ENGINE_OPTIONS``     keyword arguments for ``booking_engine.Engine`` (``ical_uid_domain``, ...).
``ENGINE_LOGGING``     ``True``: the engine's events go to Python's logging, loggers
                       ``booking_core.*`` (``booking_engine.enable_logging``; default ``False``).
``WEBHOOK_URL``        where ``relay_outbox`` POSTs events.
``WEBHOOK_SECRET``     the HMAC-SHA256 key of the ``X-Booking-Signature`` header.
``WEBHOOK_RETRIES``    attempts per event in one run (default 3).
``WEBHOOK_TIMEOUT``    seconds (default 10).
=====================  ==========================================================================
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings

DEFAULT_USER_NAMESPACE = uuid.UUID("5b6f3c1e-8f7a-4a55-9d0e-b0c4e1a9d2f1")

DEFAULTS: dict[str, Any] = {
    "USER_NAMESPACE": DEFAULT_USER_NAMESPACE,
    "ROLE_HOOK": "django_booking_engine.users.default_roles",
    "TEACHER_GROUP": "teachers",
    "STUDENT_GROUP": "students",
    "COURSE_ADAPTER": "django_booking_engine.courses.ModelCourseAdapter",
    "TIME_ZONE_HOOK": "django_booking_engine.users.stored_time_zone",
    "DEFAULT_TIME_ZONE": None,
    "ENGINE_OPTIONS": {},
    "ENGINE_LOGGING": False,
    "WEBHOOK_URL": None,
    "WEBHOOK_SECRET": None,
    "WEBHOOK_RETRIES": 3,
    "WEBHOOK_TIMEOUT": 10,
}


def setting(name: str) -> Any:
    value = getattr(settings, "BOOKING_ENGINE", {}).get(name, DEFAULTS[name])
    if name == "DEFAULT_TIME_ZONE" and not value:
        return settings.TIME_ZONE or "UTC"
    if name == "USER_NAMESPACE":
        return uuid.UUID(str(value))
    return value
