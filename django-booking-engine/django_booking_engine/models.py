"""The app's tables.

- **The engine's documents** (:class:`GroupSession`, :class:`Calendar`, :class:`Lesson`): one
  JSON document with a version per aggregate, the engine's truth. Their other columns, and the
  :class:`SeatBooking` and :class:`Slot` rows, are **projections** refreshed from the document
  in the same transaction as each commit (see :mod:`.store`). Never write them by hand: change
  state through the engine (the pages, the admin actions, ``get_engine()``).
- **Indexes and records** the engine's store needs: :class:`BookingLocation`,
  :class:`FinishedBooking`, :class:`RequestRecord`, and the outbox (:class:`OutboxEvent`).
- **The user mapping** (:class:`BookingUser`): which engine id stands for which Django user,
  and the user's time zone.
- **The default course models** (:class:`Course`, :class:`CourseTeacher`,
  :class:`Enrollment`): used by the default course adapter
  (:class:`django_booking_engine.courses.ModelCourseAdapter`); a platform with its own Course
  model plugs in its own adapter instead and leaves these empty.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

if TYPE_CHECKING:  # django-stubs' CharField is generic; Django's own class is not subscriptable.
    _CharField = models.CharField[str, str]
else:
    _CharField = models.CharField


class BookingUser(models.Model):
    """A Django user's engine id (see :mod:`django_booking_engine.users`) and time zone."""

    engine_id = models.UUIDField(primary_key=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="booking_profile")
    time_zone = models.CharField(max_length=64, blank=True, help_text="IANA name; blank: the app's default.")

    def __str__(self) -> str:
        return f"{self.user} ({self.engine_id})"


# --- the default course models ---------------------------------------------------------------


class Course(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    title = models.CharField(max_length=200)
    requires_booking_approval = models.BooleanField(null=True, blank=True)

    def __str__(self) -> str:
        return self.title


class CourseTeacher(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="teachers")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    requires_booking_approval = models.BooleanField(null=True, blank=True, help_text="Overrides the course's setting.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "teacher"], name="booking_one_override_per_teacher")]


class Enrollment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "student"], name="booking_enrolled_once")]


# --- the engine's documents and projections --------------------------------------------------


class Document(models.Model):
    """An aggregate as the engine stores it."""

    version = models.PositiveBigIntegerField()
    document = models.TextField(help_text="The engine's JSON, exactly as committed.")

    class Meta:
        abstract = True


class GroupSession(Document):
    id = models.UUIDField(primary_key=True)
    teacher_id = models.UUIDField(db_index=True)
    course_id = models.UUIDField(null=True, blank=True)
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField(db_index=True)
    time_zone = models.CharField(max_length=64, blank=True)
    duration_minutes = models.PositiveIntegerField()
    meeting_link = models.URLField(max_length=2048)
    total_seats = models.PositiveIntegerField()
    booked_seats = models.PositiveIntegerField()
    waitlisted = models.PositiveIntegerField()
    enable_waitlist = models.BooleanField()
    cancelled = models.BooleanField()
    offer_deadline = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="Index: the earliest deadline of the session's outstanding seat offers (offer mode).",
    )

    class Meta:
        ordering = ["starts_at"]
        verbose_name = "group session"

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d %H:%M})"


class SeatBooking(models.Model):
    """Projection: one row per booking of a session (finished ones keep their last status)."""

    id = models.UUIDField(primary_key=True)
    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="seat_bookings")
    student_id = models.UUIDField(db_index=True)
    status = models.CharField(max_length=20)
    seats = models.PositiveIntegerField(default=1)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveIntegerField(help_text="Order of booking in the session (the waitlist order).")
    booked_at = models.DateTimeField()

    class Meta:
        ordering = ["session", "position"]


class Calendar(Document):
    """A person's calendar: a teacher's slots, time off, rules and the holds of their lessons."""

    owner_id = models.UUIDField(primary_key=True)


class Slot(models.Model):
    """Projection: a teacher's availability slot (also the slot-to-teacher index)."""

    id = models.UUIDField(primary_key=True)
    teacher_id = models.UUIDField(db_index=True)
    course_id = models.UUIDField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    slot_type = models.CharField(max_length=20, blank=True, help_text="weekly or one_time")
    active = models.BooleanField(default=True)


class Lesson(Document):
    id = models.UUIDField(primary_key=True)
    teacher_id = models.UUIDField(db_index=True)
    student_id = models.UUIDField(db_index=True)
    course_id = models.UUIDField(null=True, blank=True)
    slot_id = models.UUIDField()
    series_id = models.UUIDField(null=True, blank=True)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=20, db_index=True)
    meeting_link = models.URLField(max_length=2048, blank=True)

    class Meta:
        ordering = ["starts_at"]


class BookingLocation(models.Model):
    """Index: where a booking lives (a session's seat, or a lesson)."""

    booking_id = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=10)
    session_id = models.UUIDField(null=True, blank=True)


class FinishedBooking(models.Model):
    """The booking history: seat bookings that finished, moved out of their session's document."""

    booking_id = models.UUIDField(primary_key=True)
    session_id = models.UUIDField(db_index=True)
    document = models.TextField()


class RequestRecord(models.Model):
    """Idempotency: the outcome of a command sent with a request key."""

    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    body = models.TextField()
    recorded_at = models.DateTimeField(null=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="booking_one_record_per_key")]


class OutboxEvent(models.Model):
    """The outbox: events committed with the state they describe, at positions that grow in
    commit order (``engine.outbox`` reads them; ``engine.acknowledge_outbox`` deletes the
    relayed ones): ``manage.py relay_outbox`` sends them."""

    kind = models.CharField(max_length=40)
    payload = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    position = models.PositiveBigIntegerField(
        unique=True, null=True, help_text="1, 2, ... in commit order (from OutboxCounter); never reused."
    )


class OutboxCounter(models.Model):
    """One row: the last outbox position given out. A commit with events locks it
    (``select_for_update``) until it commits, so positions grow in commit order: a reader that
    saw position p never later finds a new event below p (a sequence alone would not: a
    transaction may commit after a later one that took a higher number)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last = models.PositiveBigIntegerField(default=0)


class ByteOrderedCharField(_CharField):
    """A ``CharField`` compared byte by byte: ``COLLATE "C"`` on PostgreSQL (a language
    collation would order ``"2030-05-06T14:00:00.000000Z/..."`` keys by letters and digits
    alone); SQLite's default collation (BINARY) already is."""

    def db_parameters(self, connection):  # type: ignore[no-untyped-def]
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class ReadIndexEntry(models.Model):
    """The read index: the engine lists each session or lesson under ``(index, partition)`` at
    ``sort`` (``DocumentWrite.read_entries``); the agendas, the approval queue and what starts
    are range scans of it, each joined to the documents (``read_index``)."""

    index = models.CharField(max_length=20)
    partition = models.CharField(max_length=36, blank=True, help_text="A user id, or empty for 'starts'.")
    sort = ByteOrderedCharField(max_length=100)
    session = models.ForeignKey(GroupSession, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    lesson = models.ForeignKey(Lesson, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            # Also the index every read scans: (index, partition, sort).
            models.UniqueConstraint(fields=["index", "partition", "sort"], name="booking_one_entry_per_place"),
        ]
