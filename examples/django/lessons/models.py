"""The example's tables.

Three kinds of rows hold the engine's truth, one per aggregate, each a JSON **document** with
a **version** (the engine's optimistic concurrency check): :class:`GroupSession`,
:class:`Calendar` and :class:`Lesson`. Their other columns, and the :class:`SeatBooking` and
:class:`Slot` rows, are **projections**: refreshed from the document in the same transaction
as each commit, so the admin and ordinary queries can use them. Never write them by hand: the
next commit overwrites them; change state through the engine.

:class:`Course`, :class:`CourseTeacher` and :class:`Enrollment` are ordinary host data that
the engine only reads (``is_enrolled``, ``approval_settings``).

People are identified by UUIDs (``teacher_id``, ``student_id``); a real project would map
its users to them (a UUID column on the user model, say).
"""

from django.db import models


class Course(models.Model):
    id = models.UUIDField(primary_key=True)
    title = models.CharField(max_length=200)
    requires_booking_approval = models.BooleanField(null=True, blank=True)

    def __str__(self) -> str:
        return self.title


class CourseTeacher(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="teachers")
    teacher_id = models.UUIDField()
    requires_booking_approval = models.BooleanField(null=True, blank=True, help_text="Overrides the course's setting.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "teacher_id"], name="one_override_per_teacher")]


class Enrollment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    student_id = models.UUIDField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "student_id"], name="enrolled_once")]


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

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d %H:%M})"


class SeatBooking(models.Model):
    """Projection: one row per booking of a session (the seed's ``Booking``)."""

    id = models.UUIDField(primary_key=True)
    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="seat_bookings")
    student_id = models.UUIDField(db_index=True)
    status = models.CharField(max_length=20)
    seats = models.PositiveIntegerField(default=1, help_text="Seats it takes (all or nothing).")
    offer_expires_at = models.DateTimeField(null=True, blank=True, help_text="While offered: when the offer runs out.")
    position = models.PositiveIntegerField(help_text="Order of booking in the session (the waitlist order).")
    booked_at = models.DateTimeField()

    class Meta:
        ordering = ["session", "position"]


class Calendar(Document):
    """A person's calendar: a teacher's slots and the holds of their active lessons."""

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
    slot_id = models.UUIDField()
    series_id = models.UUIDField(null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=20)
    meeting_link = models.URLField(max_length=2048, blank=True)


class BookingLocation(models.Model):
    """Index: where a booking lives (a session's seat, or a lesson)."""

    booking_id = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=10)
    session_id = models.UUIDField(null=True, blank=True)


class FinishedBooking(models.Model):
    """The booking history: seat bookings that finished (cancelled, declined, expired), moved
    out of their session's document by the commit that finished them. The engine's truth for
    those bookings (``load_finished_booking``); their ``SeatBooking`` rows keep the projection."""

    booking_id = models.UUIDField(primary_key=True)
    session_id = models.UUIDField(db_index=True)
    document = models.TextField(help_text="The engine's JSON of the booking, exactly as committed.")


class RequestRecord(models.Model):
    """Idempotency: the outcome of a command sent with a request key."""

    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    body = models.TextField()
    recorded_at = models.DateTimeField(
        null=True, db_index=True, help_text="When the engine decided the command (for prune_requests)."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="one_record_per_key")]


class OutboxEvent(models.Model):
    """The outbox: events committed with the state they describe, at positions that grow in
    commit order (``engine.outbox`` reads them; ``engine.acknowledge_outbox`` deletes the
    relayed ones): send mail or webhooks from here."""

    kind = models.CharField(max_length=40)
    payload = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent = models.BooleanField(default=False)
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


class ByteOrderedCharField(models.CharField):
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
            models.UniqueConstraint(fields=["index", "partition", "sort"], name="one_entry_per_place"),
        ]
