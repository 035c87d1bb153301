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
        self.assertIs(self.engine.seat_booking(Actor.system(), cancelled[0]).status, SeatStatus.CANCELLED)

    def test_prune_requests_and_events(self) -> None:
        s = make_session(self.engine, 2)
        student = new_id()
        self.engine.book_seat(Actor.student(student), s.id, student, key="k1")
        self.assertEqual(models.RequestRecord.objects.get(key="k1").recorded_at, NOW)
        self.assertEqual(self.engine.prune_requests(NOW + timedelta(seconds=1)), 1)
        store = DjangoDocumentStore()
        self.assertEqual(store.prune_events(datetime.now(timezone.utc) + timedelta(seconds=1)), 2)

    def test_read_index_rows_are_the_engines_entries(self) -> None:
        s = make_session(self.engine, 2)
        student = new_id()
        self.engine.book_seat(Actor.student(student), s.id, student)
        stored = models.GroupSession.objects.get(pk=s.id).document
        rows = models.ReadIndexEntry.objects.filter(session_id=s.id).values_list("index", "partition", "sort")
        self.assertEqual(sorted(rows), sorted(booking.GroupSession.from_document(stored).read_entries()))
        agenda = self.engine.student_agenda(Actor.student(student), student, NOW, NOW + timedelta(days=30))
        self.assertEqual([i.session_id for i in agenda.items], [s.id])

    def test_outbox_positions_and_acknowledgement(self) -> None:
        s = make_session(self.engine, 1)
        student = new_id()
        self.engine.book_seat(Actor.student(student), s.id, student)
        system = Actor.system()
        entries = self.engine.outbox(system)
        self.assertEqual([e.event.kind.value for e in entries], ["session_created", "booking_confirmed", "session_closed"])
        positions = [e.position for e in entries]
        self.assertEqual(positions, sorted(positions))
        self.assertEqual(self.engine.acknowledge_outbox(system, positions[-1]), 3)
        self.assertFalse(models.OutboxEvent.objects.exists())
        self.engine.cancel_session(Actor.teacher(s.teacher_id), s.id)
        later = self.engine.outbox(system)
        self.assertTrue(later and later[0].position > positions[-1])


@skipUnless(connection.vendor == "postgresql", "needs PostgreSQL's row locks (set BOOKING_PG_URL)")
class OutboxCommitOrder(TransactionTestCase):
    def test_positions_follow_commit_order(self) -> None:
        # Writers commit at once on their own connections while a reader polls the outbox: a
        # position, once seen, is never followed by a new event below it.
        engine = booking.Engine(DjangoDocumentStore(), local_queueing=False)
        writers, per_writer = 6, 5
        done = threading.Event()
        problems: list[str] = []
        start = threading.Barrier(writers + 1)

        def write() -> None:
            try:
                start.wait()
                for _ in range(per_writer):
                    make_session(engine, 5, starts_at=datetime.now(timezone.utc) + timedelta(days=1))
            finally:
                connection.close()

        def read() -> None:
            try:
                start.wait()
                seen: set[int] = set()
                while True:
                    finished = done.is_set()
                    positions = [e.position for e in engine.outbox(Actor.system(), limit=500)]
                    new = [p for p in positions if p not in seen]
                    if seen and new and min(new) < max(seen):
                        problems.append(f"saw up to {max(seen)}, then new events at {sorted(new)}")
                    seen.update(new)
                    if finished:
                        return
            finally:
                connection.close()

        threads = [threading.Thread(target=write) for _ in range(writers)]
        reader = threading.Thread(target=read)
        for t in [*threads, reader]:
            t.start()
        for t in threads:
            t.join()
        done.set()
        reader.join()
        self.assertEqual(problems, [])
        positions = [e.position for e in engine.outbox(Actor.system(), limit=500)]
        self.assertEqual(len(positions), writers * per_writer)
        self.assertEqual(positions, list(range(positions[0], positions[0] + len(positions))))


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

        # The threaded checks call the store from Rust threads, whose Django connections nothing
        # closes: the races here run from Python threads instead.
        threaded = ("concurrent_", "property_", "read_outbox_across_concurrent_writers")
        names = [n for n in booking.conformance_checks() if not n.startswith(threaded)]
        report = booking.run_conformance(fresh, names)
        self.assertTrue(report.passed, str(report))
