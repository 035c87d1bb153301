"""The project's one engine: share it between requests and threads."""

from __future__ import annotations

import functools

import booking_engine as booking

from .store import DjangoDocumentStore


@functools.cache
def get_engine() -> booking.Engine:
    return booking.Engine(DjangoDocumentStore())
