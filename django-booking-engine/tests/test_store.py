"""The DocumentStore over the app's models: the booking history, retention, a race through
row locks alone (PostgreSQL), and the core's conformance checks (a wheel built with them)."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone
from unittest import skipUnless

import booking_engine as booking
from booking_engine import Actor, SeatStatus
from django.db import connection
from django.test import TestCase, TransactionTestCase

from django_booking_engine import models
from django_booking_engine.store import DjangoDocumentStore

from .base import NOW


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def make_session(engine: booking.Engine, capacity: int, waitlist: bool = False, starts_at: datetime = NOW + timedelta(days=2)) -> booking.GroupSession:
    teacher = new_id()
    return engine.create_session(
        Actor.teacher(teacher), teacher_id=teacher, title="Store", starts_at=starts_at, time_zone="UTC",
        duration_minutes=60, meeting_link="https://meet.example.com/s", capacity=capacity, waitlist_enabled=waitlist,
    ).value


class StoreTests(TestCase):
    def setUp(self) -> None:
        self.engine = booking.Engine(DjangoDocumentStore(), clock=booking.ManualClock(NOW))

    def test_finished_bookings_go_to_the_history(self) -> None:
        s = make_session(self.engine, 1, waitlist=True)
        first = new_id()
        seat = self.engine.book_seat(Actor.student(first), s.id, first).value
        looper = new_id()
        cancelled = []
        for n in range(5):
            waiting = self.engine.book_seat(Actor.student(looper), s.id, looper).value
            self.engine.cancel_booking(Actor.student(looper), waiting.id, key=f"leave-{n}")
            cancelled.append(waiting.id)
        row = models.GroupSession.objects.get(pk=s.id)
        self.assertEqual([b.id for b in booking.GroupSession.from_document(row.document).bookings], [seat.id])
        self.assertEqual(models.FinishedBooking.objects.filter(session_id=s.id).count(), 5)
        self.assertEqual(models.SeatBooking.objects.get(pk=cancelled[0]).status, "cancelled")
        self.assertIs(self.engine.seat_booking(cancelled[0]).status, SeatStatus.CANCELLED)

    def test_prune_requests_and_events(self) -> None:
        s = make_session(self.engine, 2)
        student = new_id()
        self.engine.book_seat(Actor.student(student), s.id, student, key="k1")
        self.assertEqual(models.RequestRecord.objects.get(key="k1").recorded_at, NOW)
        self.assertEqual(self.engine.prune_requests(NOW + timedelta(seconds=1)), 1)
        store = DjangoDocumentStore()
        self.assertEqual(store.prune_events(datetime.now(timezone.utc) + timedelta(seconds=1)), 2)


@skipUnless(connection.vendor == "postgresql", "needs PostgreSQL's row locks (set BOOKING_PG_URL)")
class RowLockRace(TransactionTestCase):
    def test_threads_never_overbook_through_row_locks_alone(self) -> None:
        # Without the engine's in-process queue every thread races through the database, as
        # separate worker processes would; the version check under select_for_update decides.
        engine = booking.Engine(DjangoDocumentStore(), local_queueing=False)
        s = make_session(engine, 5, starts_at=datetime.now(timezone.utc) + timedelta(days=1))
        outcomes: dict[str, int] = {}
        lock = threading.Lock()
        start = threading.Barrier(20)

        def attempt() -> None:
            student = new_id()
            try:
                start.wait()
                try:
                    result = engine.book_seat(Actor.student(student), s.id, student).value.status.value
                except booking.SessionFullError:
                    result = "full"
                with lock:
                    outcomes[result] = outcomes.get(result, 0) + 1
            finally:
                connection.close()

        threads = [threading.Thread(target=attempt) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(outcomes, {"confirmed": 5, "full": 15})
        self.assertEqual(models.SeatBooking.objects.filter(session_id=s.id, status="confirmed").count(), 5)
        self.assertEqual(models.GroupSession.objects.get(pk=s.id).booked_seats, 5)


def has_conformance_suite() -> bool:
    try:
        booking.conformance_checks()
    except RuntimeError:
        return False
    return True


class Conformance(TransactionTestCase):
    """The core's conformance checks (the single-threaded ones) against the app's store."""

    @skipUnless(has_conformance_suite(), "a booking wheel built without --features conformance")
    def test_conformance_suite(self) -> None:
        def fresh() -> DjangoDocumentStore:
            for model in (
                models.SeatBooking, models.GroupSession, models.Calendar, models.Slot, models.Lesson,
                models.BookingLocation, models.FinishedBooking, models.RequestRecord, models.OutboxEvent,
            ):
                model.objects.all().delete()
            return DjangoDocumentStore()

        names = [n for n in booking.conformance_checks() if not n.startswith(("concurrent_", "property_"))]
        report = booking.run_conformance(fresh, names)
        self.assertTrue(report.passed, str(report))
