"""Users and roles.

**The user mapping.** The engine names people by UUID. A Django user (any ``AUTH_USER_MODEL``,
integer or UUID primary key) is the engine id ``uuid5(USER_NAMESPACE, "<app_label>.<model>:<pk>")``
(``USER_NAMESPACE`` from ``settings.BOOKING_ENGINE``): stable, computable without the database,
and different for two user models. :func:`engine_id` also records it in :class:`BookingUser`,
so the pages can name a teacher's students (:func:`user_for`).

**Roles.** ``ROLE_HOOK`` (a dotted path, default :func:`default_roles`) returns the set of
roles of a user among ``"teacher"``, ``"student"`` and ``"staff"``. Teacher pages need
``"teacher"``, student pages ``"student"``; admin actions act as the engine's admin for staff.
The hook only decides which pages a user may open; what they may do there is the engine's
decision (a teacher acting on another teacher's session is refused by the engine).

**Time zones.** Pages show times in the user's zone, :func:`time_zone_of`: ``TIME_ZONE_HOOK``
(a dotted path of ``f(user) -> str | None``, default :func:`stored_time_zone`, the zone chosen
on the app's time-zone page), else ``DEFAULT_TIME_ZONE``. A platform that already keeps a zone
in its own profile points the hook at it.
"""

from __future__ import annotations

import functools
import uuid
import zoneinfo
from typing import Any, Callable, TypeGuard, cast

from django.contrib.auth import get_user_model
from django.utils.module_loading import import_string

from .conf import setting

TEACHER = "teacher"
STUDENT = "student"
STAFF = "staff"


def engine_id_of_pk(pk: Any) -> uuid.UUID:
    """The engine id of the user with this primary key (no database access)."""
    meta = get_user_model()._meta
    return uuid.uuid5(setting("USER_NAMESPACE"), f"{meta.app_label}.{meta.model_name}:{pk}")


def engine_id(user: Any) -> uuid.UUID:
    """The engine id of a (saved) user, recorded in :class:`BookingUser` on first use."""
    from .models import BookingUser

    id = engine_id_of_pk(user.pk)
    BookingUser.objects.get_or_create(user=user, defaults={"engine_id": id})
    return id


def user_for(id: uuid.UUID) -> Any | None:
    """The Django user an engine id stands for (``None`` if never mapped)."""
    from .models import BookingUser

    row = BookingUser.objects.select_related("user").filter(engine_id=id).first()
    return None if row is None else row.user


def display_names(ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Engine id -> a user's display name (full name, else username)."""
    from .models import BookingUser

    names: dict[uuid.UUID, str] = {}
    for row in BookingUser.objects.select_related("user").filter(engine_id__in=ids):
        u = row.user
        full = u.get_full_name() if hasattr(u, "get_full_name") else ""
        names[row.engine_id] = full or u.get_username()
    return names


DEFAULT_TIME_ZONE_HOOK = "django_booking_engine.users.stored_time_zone"


def stored_time_zone(user: Any) -> str | None:
    """The default ``TIME_ZONE_HOOK``: the zone the user chose on the app's time-zone page
    (kept in :class:`BookingUser`), ``None`` if they never chose one."""
    from .models import BookingUser

    return BookingUser.objects.filter(user=user).values_list("time_zone", flat=True).first() or None


def time_zone_is_stored() -> bool:
    """Whether the app keeps users' zones itself (the default hook), so its time-zone page can
    change them; with a host's own hook the page only shows the zone."""
    return bool(setting("TIME_ZONE_HOOK") == DEFAULT_TIME_ZONE_HOOK)


def _known_zone(name: object) -> TypeGuard[str]:
    if not isinstance(name, str) or not name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def time_zone_of(user: Any) -> str:
    """The user's IANA time zone: what ``TIME_ZONE_HOOK`` gives (default
    :func:`stored_time_zone`), else ``DEFAULT_TIME_ZONE``. A hook's answer that is no known
    IANA name (a typo in a profile, an empty string, something not a string) counts as
    none, so a page never fails on it."""
    zone = _time_zone_hook(setting("TIME_ZONE_HOOK"))(user)
    return zone if _known_zone(zone) else str(setting("DEFAULT_TIME_ZONE"))


def default_roles(user: Any) -> set[str]:
    """Teacher: member of ``TEACHER_GROUP``; student: member of ``STUDENT_GROUP``; staff:
    ``is_staff``. Override with ``BOOKING_ENGINE["ROLE_HOOK"]``."""
    if not getattr(user, "is_authenticated", False):
        return set()
    groups = set(user.groups.values_list("name", flat=True))
    roles = set()
    if setting("TEACHER_GROUP") in groups:
        roles.add(TEACHER)
    if setting("STUDENT_GROUP") in groups:
        roles.add(STUDENT)
    if user.is_staff:
        roles.add(STAFF)
    return roles


@functools.cache
def _hook(path: str) -> Callable[[Any], set[str]]:
    return cast(Callable[[Any], set[str]], import_string(path))


@functools.cache
def _time_zone_hook(path: str) -> Callable[[Any], str | None]:
    return cast(Callable[[Any], "str | None"], import_string(path))


def roles(user: Any) -> set[str]:
    """The user's roles, from ``ROLE_HOOK``."""
    return set(_hook(setting("ROLE_HOOK"))(user))
