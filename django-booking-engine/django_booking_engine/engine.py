"""The engine factory: one shared ``booking_engine.Engine`` over the app's store.

``get_engine()`` builds it once per process (it is thread-safe) with
``BOOKING_ENGINE["ENGINE_OPTIONS"]`` as keyword arguments. Tests swap it with
:func:`set_engine` (an engine with a ``ManualClock``, say).

With ``BOOKING_ENGINE["ENGINE_LOGGING"]`` on, the engine's events go to Python's logging
(``booking_engine.enable_logging``): loggers ``booking_core.*``, one ``command finished``
record per command at DEBUG, contention at WARNING; route them with Django's ``LOGGING``.
``get_engine().counters()`` says how the process's commands ended (for a metrics endpoint).
"""

from __future__ import annotations

import threading

import booking_engine as booking

from .conf import setting
from .store import DjangoDocumentStore

_lock = threading.Lock()
_engine: booking.Engine | None = None


def build_engine(**options: object) -> booking.Engine:
    """A new engine over the app's store; ``options`` win over ``ENGINE_OPTIONS``."""
    if setting("ENGINE_LOGGING"):
        booking.enable_logging()
    return booking.Engine(DjangoDocumentStore(), **{**setting("ENGINE_OPTIONS"), **options})


def get_engine() -> booking.Engine:
    global _engine
    with _lock:
        if _engine is None:
            _engine = build_engine()
        return _engine


def set_engine(engine: booking.Engine | None) -> None:
    """Replaces the shared engine (``None``: build a fresh one on next use)."""
    global _engine
    with _lock:
        _engine = engine
