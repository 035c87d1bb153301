"""The engine's store over the app's Django models: a ``booking.DocumentStore``.

``commit`` is the one method that matters: in one database transaction it locks the rows it
is about to replace (``select_for_update``, in primary-key order so two commits never wait on
each other in a cycle), checks their versions, writes the new documents, refreshes the
projections (session columns, ``SeatBooking`` rows, ``Slot`` rows, lesson columns), keeps each
session's next seat-offer deadline in an indexed column (what ``sessions_with_offers_due``
reads), indexes new bookings and slots, keeps the bookings the commit finished in the booking
history (``FinishedBooking``, refreshing their ``SeatBooking`` rows), replaces each written
session's or lesson's read-index rows (``ReadIndexEntry``) with the entries the engine computed,
stores the request record (with the instant it was recorded) and appends the events to the
outbox at the next positions, taken from a one-row counter locked until the transaction commits
(so positions grow in commit order). Anything wrong raises before the transaction commits, so
it is all or nothing:

- a row not at ``expected_version`` (or already there when it should be new): ``ConflictError``,
  and the engine decides the command again on fresh state;
- a request key already recorded: ``DuplicateRequestError``, and the engine replays it.

The engine itself knows no SQL; this class knows no booking rule: it copies what the engine
decided into columns, using the binding's own decoders (``GroupSession.from_document`` ...).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

import booking_engine as booking
from django.db import IntegrityError, transaction
from django.db.models import Max

from . import models
from .courses import adapter

DOCUMENTS: dict[str, Any] = {
    "session": models.GroupSession,
    "calendar": models.Calendar,
    "lesson": models.Lesson,
}


def _projection(kind: str, body: str) -> dict[str, Any]:
    """The projected columns of a document row."""
    if kind == "session":
        s = booking.GroupSession.from_document(body)
        return dict(
            teacher_id=s.teacher_id,
            course_id=s.course_id,
            title=s.title,
            starts_at=s.starts_at,
            time_zone=s.time_zone.key,
            duration_minutes=s.duration_minutes,
            meeting_link=s.meeting_link,
            total_seats=s.capacity,
            booked_seats=s.booked_seats,
            waitlisted=s.waitlisted_count,
            enable_waitlist=s.waitlist_enabled,
            cancelled=s.is_cancelled,
        )
    if kind == "lesson":
        lesson = booking.Lesson.from_document(body)
        return dict(
            teacher_id=lesson.teacher_id,
            student_id=lesson.student_id,
            course_id=lesson.course_id,
            slot_id=lesson.slot_id,
            series_id=lesson.series_id,
            starts_at=lesson.starts_at,
            ends_at=lesson.ends_at,
            status=lesson.status.value,
            meeting_link=lesson.meeting_link or "",
        )
    return {}


def _refresh_related(kind: str, id: uuid.UUID, body: str) -> None:
    """Rows derived from a document: a session's seat bookings, a teacher's slots."""
    if kind == "session":
        s = booking.GroupSession.from_document(body)
        for position, b in enumerate(s.bookings):
            models.SeatBooking.objects.update_or_create(
                id=b.id,
                defaults=dict(
                    session_id=s.id, student_id=b.student_id, status=b.status.value, seats=b.seats,
                    offer_expires_at=b.offer_expires_at, position=position, booked_at=b.booked_at,
                ),
            )
    elif kind == "calendar":
        calendar = booking.Calendar.from_document(body)
        for slot in calendar.slots:
            models.Slot.objects.update_or_create(
                id=slot.id,
                defaults=dict(
                    teacher_id=slot.teacher_id,
                    course_id=slot.course_id,
                    time_zone=slot.time_zone.key,
                    slot_type="weekly" if isinstance(slot.recurrence, booking.WeeklySlot) else "one_time",
                    active=slot.active,
                ),
            )


def _replace_read_entries(w: booking.DocumentWrite) -> None:
    """The aggregate's read-index rows: deleted, then the engine's entries inserted."""
    if w.kind not in ("session", "lesson"):
        return  # calendars are listed nowhere
    owner = {f"{w.kind}_id": w.id}
    models.ReadIndexEntry.objects.filter(**owner).delete()
    models.ReadIndexEntry.objects.bulk_create(
        models.ReadIndexEntry(index=index, partition=partition, sort=sort, **owner)
        for index, partition, sort in w.read_entries
    )


def _take_positions(n: int) -> int:
    """The first of ``n`` new outbox positions. The counter row stays locked (``SELECT ... FOR
    UPDATE``) until the calling transaction commits: a commit that takes positions after this
    one waits, so positions are visible in the order they were given out."""
    counter = models.OutboxCounter.objects.select_for_update().filter(pk=1).first()
    if counter is None:
        # Its migration creates it; a flushed database (tests) starts again after what is left.
        # Two commits creating it at once: one fails on the primary key (ConflictError, retried).
        last = models.OutboxEvent.objects.aggregate(last=Max("position"))["last"] or 0
        with transaction.atomic():
            counter = models.OutboxCounter.objects.create(pk=1, last=last)
    first = counter.last + 1
    counter.last += n
    counter.save(update_fields=["last"])
    return first


class DjangoDocumentStore:
    """A ``booking_engine.DocumentStore`` over the app's models (see the module docs)."""

    # --- reads ------------------------------------------------------------------------------

    def load(self, kind: str, id: uuid.UUID) -> tuple[int, str] | None:
        row = DOCUMENTS[kind].objects.filter(pk=id).values_list("version", "document").first()
        return None if row is None else (row[0], row[1])

    def locate_booking(self, id: uuid.UUID) -> tuple[str, uuid.UUID | None] | None:
        row = models.BookingLocation.objects.filter(pk=id).values_list("kind", "session_id").first()
        return None if row is None else (row[0], row[1])

    def locate_slot(self, id: uuid.UUID) -> uuid.UUID | None:
        return models.Slot.objects.filter(pk=id).values_list("teacher_id", flat=True).first()

    def load_request(self, scope: str, key: str) -> str | None:
        return models.RequestRecord.objects.filter(scope=scope, key=key).values_list("body", flat=True).first()

    def approval_settings(self, course_id: uuid.UUID, teacher_id: uuid.UUID) -> tuple[bool | None, bool | None]:
        # The host's courses, through the configured course adapter.
        return adapter().approval_settings(course_id, teacher_id)

    def is_enrolled(self, student_id: uuid.UUID, course_id: uuid.UUID) -> bool:
        return adapter().is_enrolled(student_id, course_id)

    def load_finished_booking(self, id: uuid.UUID) -> str | None:
        return models.FinishedBooking.objects.filter(pk=id).values_list("document", flat=True).first()

    # --- the read side ------------------------------------------------------------------------

    def read_index(
        self, index: str, partition: str, after: str, before: str, limit: int
    ) -> list[tuple[str, str, uuid.UUID, int, str]]:
        # One query: a range scan of the (index, partition, sort) unique index, joined to the
        # documents.
        rows = (
            models.ReadIndexEntry.objects.filter(index=index, partition=partition, sort__gt=after, sort__lt=before)
            .order_by("sort")
            .select_related("session", "lesson")[:limit]
        )
        hits = []
        for row in rows:
            kind, document = ("session", row.session) if row.session_id is not None else ("lesson", row.lesson)
            assert document is not None
            hits.append((row.sort, kind, document.pk, document.version, document.document))
        return hits

    def read_outbox(self, after: int, limit: int) -> list[tuple[int, str]]:
        rows = models.OutboxEvent.objects.filter(position__gt=after).order_by("position")
        # Every row with a position compares greater than `after`: none is NULL here.
        return cast(list[tuple[int, str]], list(rows.values_list("position", "payload")[:limit]))

    def acknowledge_outbox(self, up_to: int) -> int:
        deleted, _ = models.OutboxEvent.objects.filter(position__lte=up_to).delete()
        return deleted

    # --- retention (operator actions) -------------------------------------------------------

    def prune_requests(self, recorded_before: datetime) -> int:
        """Deletes the request records recorded before the instant (``engine.prune_requests``
        calls this); a retry with a deleted key is decided afresh."""
        deleted, _ = models.RequestRecord.objects.filter(recorded_at__lt=recorded_before).delete()
        return deleted

    def prune_events(self, created_before: datetime) -> int:
        """Deletes the outbox events written before the instant, sent or not; returns how many."""
        deleted, _ = models.OutboxEvent.objects.filter(created_at__lt=created_before).delete()
        return deleted

    def sessions_with_offers_due(self, until: datetime) -> list[uuid.UUID]:
        # An index range scan on GroupSession.offer_deadline, earliest first.
        return list(
            models.GroupSession.objects.filter(offer_deadline__lte=until)
            .order_by("offer_deadline", "id")
            .values_list("id", flat=True)
        )

    # --- the commit -------------------------------------------------------------------------

    def commit(self, commit: booking.DocumentCommit) -> None:
        writes = sorted(commit.writes, key=lambda w: (w.kind, w.id))
        try:
            with transaction.atomic():
                for w in writes:
                    self._write(w)
                for booking_id, kind, session_id in commit.new_bookings:
                    models.BookingLocation.objects.create(booking_id=booking_id, kind=kind, session_id=session_id)
                for slot_id, teacher_id in commit.new_slots:
                    models.Slot.objects.get_or_create(id=slot_id, defaults={"teacher_id": teacher_id})
                for w in writes:
                    _refresh_related(w.kind, w.id, w.body)
                    _replace_read_entries(w)
                for booking_id, body in commit.finished_bookings:
                    finished = booking.SeatBooking.from_document(body)
                    models.FinishedBooking.objects.update_or_create(
                        booking_id=booking_id, defaults=dict(session_id=finished.session_id, document=body)
                    )
                    models.SeatBooking.objects.filter(id=booking_id).update(
                        status=finished.status.value, offer_expires_at=finished.offer_expires_at
                    )
                request = commit.request
                if request is not None:
                    try:
                        with transaction.atomic():
                            models.RequestRecord.objects.create(
                                scope=request.scope, key=request.key, body=request.body, recorded_at=request.recorded_at
                            )
                    except IntegrityError:
                        raise booking.DuplicateRequestError(f"request {request.key!r} is already recorded") from None
                if commit.outbox:
                    # Last, so the counter is locked as briefly as possible: until this commits.
                    first = _take_positions(len(commit.outbox))
                    models.OutboxEvent.objects.bulk_create(
                        models.OutboxEvent(kind=e.kind.value, payload=body, position=first + i)
                        for i, (e, body) in enumerate(zip(commit.events, commit.outbox, strict=True))
                    )
        except IntegrityError as e:
            # A row created concurrently under the same key: someone else won the race.
            raise booking.ConflictError(str(e)) from None

    def _write(self, w: booking.DocumentWrite) -> None:
        model = DOCUMENTS[w.kind]
        columns = dict(version=w.version, document=w.body, **_projection(w.kind, w.body))
        if w.kind == "session":
            # The engine's own figure, replacing the previous one (None clears it).
            columns["offer_deadline"] = w.offer_deadline
        if w.expected_version == 0:
            # Must not exist; a concurrent insert of the same key fails on the primary key.
            with transaction.atomic():
                model.objects.create(pk=w.id, **columns)
            return
        stored = model.objects.select_for_update().filter(pk=w.id).values_list("version", flat=True).first()
        if stored != w.expected_version:
            raise booking.ConflictError(f"{w.kind} {w.id} is at version {stored}, not {w.expected_version}")
        model.objects.filter(pk=w.id).update(**columns)
