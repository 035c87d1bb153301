"""The document store protocol (a store written in Python) and its reference implementation."""

from __future__ import annotations

import bisect
import itertools
import threading
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable
from uuid import UUID

from ._booking import DocumentCommit, Event
from ._errors import ConflictError, DuplicateRequestError

__all__ = ["BookingLocation", "DocumentStore", "IndexHit", "MemoryDocumentStore"]

BookingLocation = tuple[Literal["session", "lesson"], "UUID | None"]
"""Where a booking lives: ``("session", session_id)`` or ``("lesson", None)``."""

IndexHit = tuple[str, str, UUID, int, str]
"""One answer of :meth:`DocumentStore.read_index`: ``(sort, kind, id, version, body)``, the
entry's sort key and the document of the aggregate it lists (``kind`` is ``"session"`` or
``"lesson"``), as stored now."""


@runtime_checkable
class DocumentStore(Protocol):
    """A store written in Python: pass one to :class:`booking.Engine`.

    The engine keeps each aggregate (a group session, a person's calendar, a 1:1 lesson) as an
    opaque JSON **document** with a version; the store keeps those documents, three small
    indexes (booking id to its location, slot id to its teacher, session id to its next
    seat-offer deadline), the request records of idempotent commands (with the instant each was
    recorded, for pruning), a booking history (the JSON bodies of finished seat bookings, by
    id), and answers two questions about host data (enrollment, approval). It never interprets
    a document: it knows no booking rule.

    Upgrading a store written before the booking history: add ``load_finished_booking`` and
    ``prune_requests``; in ``commit``, keep ``commit.finished_bookings`` and
    ``commit.request.recorded_at``. Stored documents need no change.

    Upgrading a store written before the read side: add a read index (rows ``(index,
    partition, sort)`` naming an aggregate, unique on the three) and an outbox (positions 1, 2,
    ... with an event's JSON); in ``commit``, replace each written aggregate's entries with
    ``DocumentWrite.read_entries`` and append ``commit.outbox`` in order; add
    :meth:`read_index`, :meth:`read_outbox` and :meth:`acknowledge_outbox`. Aggregates stored
    before have no entries: fill them once, in the migration that adds the table, from each
    stored session and lesson (``GroupSession.from_document(body).read_entries()``,
    ``Lesson.from_document(body).read_entries()``).

    The one hard requirement is :meth:`commit`: atomic and conditional. Every method may be
    called from several threads at once (the GIL is taken for each call): guard the state
    with a lock, or use database transactions.

    Signals: raise :class:`booking.ConflictError` from ``commit`` for a version conflict and
    :class:`booking.DuplicateRequestError` for a request key already stored; the engine then
    decides again or replays. Any other exception fails the command with
    :class:`booking.StoreError` (the original exception is its ``__cause__``).
    """

    def load(self, kind: str, id: UUID) -> tuple[int, str] | None:
        """The ``(version, body)`` stored for the aggregate ``kind`` (``"session"``,
        ``"calendar"`` or ``"lesson"``) with this id, or ``None``."""
        ...

    def locate_booking(self, id: UUID) -> tuple[str, UUID | None] | None:
        """Where a booking lives, as indexed from ``DocumentCommit.new_bookings``:
        ``("session", session_id)``, ``("lesson", None)``, or ``None`` if unknown."""
        ...

    def locate_slot(self, id: UUID) -> UUID | None:
        """The teacher of a slot, as indexed from ``DocumentCommit.new_slots``."""
        ...

    def load_request(self, scope: str, key: str) -> str | None:
        """The body of the request record stored under ``(scope, key)``."""
        ...

    def commit(self, commit: DocumentCommit) -> None:
        """Apply everything or nothing: each write only if the stored version of its
        aggregate is ``expected_version`` (0: nothing stored), the request (with its
        ``recorded_at``) only if its ``(scope, key)`` is new; index ``new_bookings`` and
        ``new_slots``, keep each session write's ``offer_deadline`` (replacing the previous one;
        ``None`` clears it), keep each ``(booking_id, body)`` of ``finished_bookings`` in the
        booking history (replacing a body kept under the same id), replace each written
        aggregate's read-index entries with its ``read_entries``, and append ``outbox`` (the
        events' JSON, in order) to the outbox at the next positions."""
        ...

    def load_finished_booking(self, id: UUID) -> str | None:
        """The body kept in the booking history under this booking id (from
        ``DocumentCommit.finished_bookings``), or ``None``."""
        ...

    def prune_requests(self, recorded_before: datetime) -> int:
        """Operator action: delete the request records recorded before ``recorded_before`` (an
        aware datetime; by the ``recorded_at`` their commit came with); return how many."""
        ...

    def approval_settings(self, course_id: UUID, teacher_id: UUID) -> tuple[bool | None, bool | None]:
        """Host data: ``(course_setting, teacher_override)`` for 1:1 bookings of the course
        with this teacher (``None``: not set). The override wins, then the course setting."""
        ...

    def is_enrolled(self, student_id: UUID, course_id: UUID) -> bool:
        """Host data: whether the student is enrolled in the course."""
        ...

    def sessions_with_offers_due(self, until: datetime) -> list[UUID]:
        """The sessions whose stored ``offer_deadline`` is at or before ``until`` (an aware
        datetime), earliest first: what :meth:`booking.Engine.process_expired_offers` visits.
        A stale answer costs a wasted decision, never a wrong one."""
        ...

    def read_index(self, index: str, partition: str, after: str, before: str, limit: int) -> list[IndexHit]:
        """The entries kept for ``index`` under ``partition`` (from
        ``DocumentWrite.read_entries``) whose sort key lies strictly between ``after`` and
        ``before`` (compared byte-wise: a SQL column with a binary collation, ``COLLATE "C"``
        on PostgreSQL), ascending, at most ``limit``, each as ``(sort, kind, id, version,
        body)`` with its aggregate's document as stored now (one query: join the documents)."""
        ...

    def read_outbox(self, after: int, limit: int) -> list[tuple[int, str]]:
        """The outbox's events ``(position, json)`` (from ``DocumentCommit.outbox``) at
        positions greater than ``after``, ascending, at most ``limit``. Positions start at 1,
        grow in commit order (a reader who saw position p never later finds a new event below
        p: on PostgreSQL, assign them under a lock held to the commit) and are never reused."""
        ...

    def acknowledge_outbox(self, up_to: int) -> int:
        """Delete the outbox events at positions up to and including ``up_to``; return how
        many it deleted."""
        ...


class MemoryDocumentStore:
    """The reference :class:`DocumentStore`: dictionaries behind one lock. It passes the
    core's conformance suite (``booking.run_conformance(MemoryDocumentStore)``), and is short
    enough to copy as the skeleton of a store over your own tables."""

    def __init__(self, *, keep_events: bool = False) -> None:
        self._lock = threading.Lock()
        self._documents: dict[tuple[str, UUID], tuple[int, str]] = {}
        self._bookings: dict[UUID, tuple[str, UUID | None]] = {}
        self._slots: dict[UUID, UUID] = {}
        self._requests: dict[tuple[str, str], tuple[str, datetime]] = {}
        self._finished: dict[UUID, str] = {}
        self._course_approval: dict[UUID, bool] = {}
        self._teacher_approval: dict[tuple[UUID, UUID], bool] = {}
        self._enrollments: set[tuple[UUID, UUID]] = set()
        self._offer_deadlines: dict[UUID, datetime] = {}
        # The read indexes: sorted (index, partition, sort) keys, the aggregate each lists, and
        # each aggregate's keys (replaced on its next write).
        self._index_keys: list[tuple[str, str, str]] = []
        self._index: dict[tuple[str, str, str], tuple[str, UUID]] = {}
        self._entries: dict[tuple[str, UUID], list[tuple[str, str, str]]] = {}
        # The outbox: events' JSON by position, and the last position given out.
        self._outbox: dict[int, str] = {}
        self._outbox_last = 0
        self._keep_events = keep_events
        self.events: list[Event] = []
        """Every committed event as an ``Event``, in order (with ``keep_events=True``), for
        tests; the outbox proper is :meth:`read_outbox`."""

    # --- the protocol ---------------------------------------------------------------------

    def load(self, kind: str, id: UUID) -> tuple[int, str] | None:
        with self._lock:
            return self._documents.get((kind, id))

    def locate_booking(self, id: UUID) -> tuple[str, UUID | None] | None:
        with self._lock:
            return self._bookings.get(id)

    def locate_slot(self, id: UUID) -> UUID | None:
        with self._lock:
            return self._slots.get(id)

    def load_request(self, scope: str, key: str) -> str | None:
        with self._lock:
            found = self._requests.get((scope, key))
            return found[0] if found is not None else None

    def commit(self, commit: DocumentCommit) -> None:
        writes = commit.writes
        request = commit.request
        events = commit.events if self._keep_events else []
        with self._lock:
            # Check everything first: all or nothing.
            for w in writes:
                stored = self._documents.get((w.kind, w.id))
                if (stored[0] if stored else 0) != w.expected_version:
                    raise ConflictError(f"{w.kind} {w.id} is not at version {w.expected_version}")
            if request is not None and (request.scope, request.key) in self._requests:
                raise DuplicateRequestError(f"request {request.key!r} of {request.scope} is already recorded")
            for w in writes:
                self._documents[(w.kind, w.id)] = (w.version, w.body)
                self._replace_entries((w.kind, w.id), w.read_entries)
                if w.kind == "session":
                    if w.offer_deadline is None:
                        self._offer_deadlines.pop(w.id, None)
                    else:
                        self._offer_deadlines[w.id] = w.offer_deadline
            for booking_id, kind, session_id in commit.new_bookings:
                self._bookings[booking_id] = (kind, session_id)
            for slot_id, teacher_id in commit.new_slots:
                self._slots[slot_id] = teacher_id
            for booking_id, body in commit.finished_bookings:
                self._finished[booking_id] = body
            if request is not None:
                self._requests[(request.scope, request.key)] = (request.body, request.recorded_at)
            for event in commit.outbox:
                self._outbox_last += 1
                self._outbox[self._outbox_last] = event
            self.events.extend(events)

    def _replace_entries(self, aggregate: tuple[str, UUID], entries: list[tuple[str, str, str]]) -> None:
        for old in self._entries.pop(aggregate, []):
            del self._index[old]
            del self._index_keys[bisect.bisect_left(self._index_keys, old)]
        for entry in entries:
            bisect.insort(self._index_keys, entry)
            self._index[entry] = aggregate
        if entries:
            self._entries[aggregate] = list(entries)

    def load_finished_booking(self, id: UUID) -> str | None:
        with self._lock:
            return self._finished.get(id)

    def prune_requests(self, recorded_before: datetime) -> int:
        with self._lock:
            old = [k for k, (_, at) in self._requests.items() if at < recorded_before]
            for k in old:
                del self._requests[k]
            return len(old)

    def approval_settings(self, course_id: UUID, teacher_id: UUID) -> tuple[bool | None, bool | None]:
        with self._lock:
            return self._course_approval.get(course_id), self._teacher_approval.get((teacher_id, course_id))

    def is_enrolled(self, student_id: UUID, course_id: UUID) -> bool:
        with self._lock:
            return (student_id, course_id) in self._enrollments

    def sessions_with_offers_due(self, until: datetime) -> list[UUID]:
        with self._lock:
            due = sorted((d, s) for s, d in self._offer_deadlines.items() if d <= until)
        return [s for _, s in due]

    def read_index(self, index: str, partition: str, after: str, before: str, limit: int) -> list[IndexHit]:
        with self._lock:
            # Sort keys are ASCII: str order is byte order.
            start = bisect.bisect_right(self._index_keys, (index, partition, after))
            hits: list[IndexHit] = []
            for key in self._index_keys[start:]:
                if len(hits) >= limit or key[0] != index or key[1] != partition or key[2] >= before:
                    break
                kind, id = self._index[key]
                version, body = self._documents[(kind, id)]
                hits.append((key[2], kind, id, version, body))
            return hits

    def read_outbox(self, after: int, limit: int) -> list[tuple[int, str]]:
        with self._lock:
            # Positions are kept in order (a dict keeps insertion order).
            return list(itertools.islice(((p, e) for p, e in self._outbox.items() if p > after), limit))

    def acknowledge_outbox(self, up_to: int) -> int:
        with self._lock:
            done = [p for p in self._outbox if p <= up_to]
            for p in done:
                del self._outbox[p]
            return len(done)

    # --- host data ------------------------------------------------------------------------

    def enroll(self, student_id: UUID, course_id: UUID) -> None:
        """Enrolls a student in a course."""
        with self._lock:
            self._enrollments.add((student_id, course_id))

    def unenroll(self, student_id: UUID, course_id: UUID) -> None:
        """Removes a student from a course."""
        with self._lock:
            self._enrollments.discard((student_id, course_id))

    def set_course_approval(self, course_id: UUID, requires_approval: bool | None) -> None:
        """The course's own approval setting (``None`` removes it)."""
        with self._lock:
            if requires_approval is None:
                self._course_approval.pop(course_id, None)
            else:
                self._course_approval[course_id] = requires_approval

    def set_teacher_approval(self, teacher_id: UUID, course_id: UUID, requires_approval: bool | None) -> None:
        """A teacher's approval override for a course (``None`` removes it)."""
        with self._lock:
            if requires_approval is None:
                self._teacher_approval.pop((teacher_id, course_id), None)
            else:
                self._teacher_approval[(teacher_id, course_id)] = requires_approval

    def document_count(self) -> int:
        """How many aggregates are stored."""
        with self._lock:
            return len(self._documents)

    def __repr__(self) -> str:
        return f"MemoryDocumentStore(documents={self.document_count()})"
