"""The seed checklist's scenarios, played through the engine over the Django models, and a
threaded booking race on one session (PostgreSQL).

Run: ``BOOKING_PG_URL=postgres://postgres@127.0.0.1:5432/booking python manage.py test``
"""

from __future__ import annotations

import io
import threading
import uuid
from datetime import date, datetime, time, timedelta, timezone
from unittest import skipUnless

import booking_engine as booking
from booking_engine import Actor, EventKind, LessonStatus, SchedulingRules, SeatStatus, WaitlistMode
from django.core.management import call_command
from django.db import connection
from django.test import TestCase, TransactionTestCase

from . import models
from .engine import get_engine
from .store import DjangoDocumentStore

NOW = datetime(2030, 5, 1, 8, 0, tzinfo=timezone.utc)
MONDAY = date(2030, 5, 6)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class Scenario(TestCase):
    def setUp(self) -> None:
        self.clock = booking.ManualClock(NOW)
        self.engine = booking.Engine(DjangoDocumentStore(), clock=self.clock)
        self.teacher = new_id()

    def session(
        self,
        capacity: int,
        waitlist: bool = False,
        mode: WaitlistMode | None = None,
        rules: SchedulingRules | None = None,
    ) -> booking.GroupSession:
        return self.engine.create_session(
            Actor.teacher(self.teacher),
            teacher_id=self.teacher,
            title="Spanish A1",
            starts_at=NOW + timedelta(days=2),
            time_zone="Europe/Madrid",
            duration_minutes=60,
            meeting_link="https://meet.example.com/a1",
            capacity=capacity,
            waitlist_enabled=waitlist,
            waitlist_mode=mode,
            rules=rules,
        ).value

    def book(self, session: booking.GroupSession, student: uuid.UUID) -> booking.SeatBooking:
        return self.engine.book_seat(Actor.student(student), session.id, student).value


class GroupSessionTests(Scenario):
    def test_create_session(self) -> None:
        s = self.session(10)
        row = models.GroupSession.objects.get(pk=s.id)
        self.assertEqual((row.total_seats, row.booked_seats, row.version), (10, 0, 1))
        self.assertEqual(row.meeting_link, "https://meet.example.com/a1")
        self.assertEqual(row.starts_at, NOW + timedelta(days=2))
        self.assertEqual(models.OutboxEvent.objects.get().kind, "session_created")

    def test_book_to_capacity_then_overbook(self) -> None:
        s = self.session(10)
        for _ in range(10):
            self.assertIs(self.book(s, new_id()).status, SeatStatus.CONFIRMED)
        row = models.GroupSession.objects.get(pk=s.id)
        self.assertEqual(row.booked_seats, 10)
        self.assertTrue(self.engine.session(s.id).is_closed_for_booking)
        self.assertEqual(models.OutboxEvent.objects.filter(kind="session_closed").count(), 1)
        with self.assertRaises(booking.SessionFullError):
            self.book(s, new_id())
        self.assertEqual(models.SeatBooking.objects.filter(session_id=s.id).count(), 10)

    def test_waitlist_then_cancel_promotes(self) -> None:
        s = self.session(10, waitlist=True)
        seats = [self.book(s, new_id()) for _ in range(15)]
        statuses = list(models.SeatBooking.objects.filter(session_id=s.id).values_list("status", flat=True))
        self.assertEqual(statuses, ["confirmed"] * 10 + ["waitlisted"] * 5)
        receipt = self.engine.cancel_booking(Actor.teacher(self.teacher), seats[3].id)
        self.assertEqual([e.kind for e in receipt.events], [EventKind.BOOKING_CANCELLED, EventKind.BOOKING_PROMOTED])
        self.assertEqual(models.SeatBooking.objects.get(pk=seats[10].id).status, "confirmed")
        self.assertEqual(models.SeatBooking.objects.get(pk=seats[3].id).status, "cancelled")
        row = models.GroupSession.objects.get(pk=s.id)
        self.assertEqual((row.booked_seats, row.waitlisted), (10, 4))

    def test_cancel_reopens_a_closed_session(self) -> None:
        s = self.session(1)
        seat = self.book(s, new_id())
        receipt = self.engine.cancel_booking(Actor.system(), seat.id)
        self.assertIn(EventKind.SESSION_REOPENED, [e.kind for e in receipt.events])
        self.assertIs(self.book(s, new_id()).status, SeatStatus.CONFIRMED)

    def test_finished_bookings_go_to_the_history(self) -> None:
        s = self.session(1, waitlist=True)
        seat = self.book(s, new_id())
        looper = new_id()
        cancelled = []
        for n in range(20):
            waiting = self.book(s, looper)
            self.engine.cancel_booking(Actor.student(looper), waiting.id, key=f"leave-{n}")
            cancelled.append(waiting.id)
        row = models.GroupSession.objects.get(pk=s.id)
        self.assertEqual([b.id for b in booking.GroupSession.from_document(row.document).bookings], [seat.id])
        self.assertEqual(models.FinishedBooking.objects.filter(session_id=s.id).count(), 20)
        self.assertEqual(models.SeatBooking.objects.get(pk=cancelled[0]).status, "cancelled")
        self.assertIs(self.engine.seat_booking(cancelled[0]).status, SeatStatus.CANCELLED)
        with self.assertRaises(booking.InvalidTransitionError):
            self.engine.cancel_booking(Actor.student(looper), cancelled[0])

    def test_prune_requests_and_events(self) -> None:
        s = self.session(2)
        student = new_id()
        self.engine.book_seat(Actor.student(student), s.id, student, key="k1")
        record = models.RequestRecord.objects.get(key="k1")
        self.assertEqual(record.recorded_at, NOW)
        self.assertEqual(self.engine.prune_requests(NOW), 0)
        self.assertEqual(self.engine.prune_requests(NOW + timedelta(seconds=1)), 1)
        self.assertFalse(models.RequestRecord.objects.exists())
        store = DjangoDocumentStore()
        self.assertEqual(store.prune_events(datetime(2000, 1, 1, tzinfo=timezone.utc)), 0)
        self.assertEqual(store.prune_events(datetime.now(timezone.utc) + timedelta(seconds=1)), 2)

    def test_same_student_twice(self) -> None:
        s = self.session(5)
        student = new_id()
        self.book(s, student)
        with self.assertRaises(booking.AlreadyBookedError):
            self.book(s, student)

    def test_view_books_with_idempotency_key(self) -> None:
        s = self.session(2)
        student = str(new_id())
        url = f"/sessions/{s.id}/book/"
        # The views use the project's engine (system clock); the session is in 2030.
        first = self.client.post(url, {"student": student}, headers={"Idempotency-Key": "k-1"})
        again = self.client.post(url, {"student": student}, headers={"Idempotency-Key": "k-1"})
        self.assertEqual((first.status_code, again.status_code), (201, 200))
        self.assertEqual(first.json()["booking"], again.json()["booking"])
        twice = self.client.post(url, {"student": student})
        self.assertEqual((twice.status_code, twice.json()["error"]), (409, "already_booked"))
        detail = self.client.get(f"/sessions/{s.id}/").json()
        self.assertEqual(detail["booked_seats"], 1)
        self.assertIsNotNone(get_engine())


class LessonTests(Scenario):
    def slot(self, course: uuid.UUID | None = None) -> booking.AvailabilitySlot:
        return self.engine.publish_slot(
            Actor.teacher(self.teacher),
            self.teacher,
            booking.WeeklySlot(booking.Weekday.MONDAY, time(14), time(15), MONDAY),
            time_zone="Europe/Paris",
            course_id=course,
        ).value

    def test_availability_recurring_and_one_time(self) -> None:
        weekly = self.slot()
        one = self.engine.publish_slot(
            Actor.teacher(self.teacher),
            self.teacher,
            booking.OneTimeSlot(datetime(2030, 5, 8, 10), datetime(2030, 5, 8, 11)),
            time_zone="Europe/Paris",
        ).value
        slots = dict(models.Slot.objects.filter(teacher_id=self.teacher).values_list("id", "slot_type"))
        self.assertEqual(slots, {weekly.id: "weekly", one.id: "one_time"})
        found = self.engine.list_occurrences(self.teacher, NOW, NOW + timedelta(days=8))
        self.assertEqual([o.slot_id for o in found], [weekly.id, one.id])

    def test_book_without_approval_then_slot_is_gone(self) -> None:
        course = models.Course.objects.create(id=new_id(), title="Piano")
        student = new_id()
        models.Enrollment.objects.create(course=course, student_id=student)
        slot = self.slot(course.id)
        at = datetime(2030, 5, 6, 12, tzinfo=timezone.utc)
        lesson = self.engine.book_lesson(Actor.student(student), slot.id, at, student).value
        self.assertIs(lesson.status, LessonStatus.CONFIRMED)
        self.assertEqual(models.Lesson.objects.get(pk=lesson.id).status, "confirmed")
        listed = [o.starts_at for o in self.engine.list_occurrences(self.teacher, NOW, NOW + timedelta(days=8))]
        self.assertNotIn(at, listed)
        other = new_id()
        models.Enrollment.objects.create(course=course, student_id=other)
        with self.assertRaises(booking.SlotUnavailableError):
            self.engine.book_lesson(Actor.student(other), slot.id, at, other)
        with self.assertRaises(booking.NotEnrolledError):
            stranger = new_id()
            self.engine.book_lesson(Actor.student(stranger), slot.id, at + timedelta(weeks=1), stranger)

    def test_book_with_approval_course_and_teacher_override(self) -> None:
        course = models.Course.objects.create(id=new_id(), title="Violin", requires_booking_approval=True)
        student = new_id()
        models.Enrollment.objects.create(course=course, student_id=student)
        slot = self.slot(course.id)
        at = datetime(2030, 5, 6, 12, tzinfo=timezone.utc)
        pending = self.engine.book_lesson(Actor.student(student), slot.id, at, student).value
        self.assertIs(pending.status, LessonStatus.PENDING)
        approved = self.engine.approve_lesson(
            Actor.teacher(self.teacher), pending.id, meeting_link="https://meet.example.com/violin"
        ).value
        self.assertIs(approved.status, LessonStatus.CONFIRMED)
        self.assertEqual(models.Lesson.objects.get(pk=pending.id).meeting_link, "https://meet.example.com/violin")
        models.CourseTeacher.objects.create(course=course, teacher_id=self.teacher, requires_booking_approval=False)
        direct = self.engine.book_lesson(Actor.student(student), slot.id, at + timedelta(weeks=1), student).value
        self.assertIs(direct.status, LessonStatus.CONFIRMED)

    def test_recurring_series(self) -> None:
        student = new_id()
        slot = self.slot()
        series = self.engine.book_series(
            Actor.student(student), slot.id, student, datetime(2030, 5, 6, 12, tzinfo=timezone.utc), count=6
        ).value
        self.assertEqual(len(series.lessons), 6)
        self.assertEqual(models.Lesson.objects.filter(series_id=series.series_id, status="confirmed").count(), 6)
        self.engine.cancel_series_from(Actor.student(student), series.lessons[2].id)
        self.assertEqual(models.Lesson.objects.filter(series_id=series.series_id, status="cancelled").count(), 4)


class OfferTests(Scenario):
    """Waitlist by offer and multi-seat bookings over the Django store."""

    def test_offer_expires_through_the_indexed_deadline(self) -> None:
        s = self.session(1, waitlist=True, mode=WaitlistMode.offer(hold_minutes=30))
        first, second, third = self.book(s, new_id()), self.book(s, new_id()), self.book(s, new_id())
        self.engine.cancel_booking(Actor.system(), first.id)
        deadline = NOW + timedelta(minutes=30)
        self.assertEqual(models.GroupSession.objects.get(pk=s.id).offer_deadline, deadline)
        row = models.SeatBooking.objects.get(pk=second.id)
        self.assertEqual((row.status, row.offer_expires_at), ("offered", deadline))
        store = DjangoDocumentStore()
        self.assertEqual(store.sessions_with_offers_due(deadline - timedelta(seconds=1)), [])
        self.assertEqual(store.sessions_with_offers_due(deadline), [s.id])
        self.clock.advance(timedelta(minutes=31))
        sweep = self.engine.process_expired_offers(self.clock.now())
        self.assertEqual(sweep.failures, [])
        self.assertEqual([e.kind for e in sweep.events], [EventKind.OFFER_EXPIRED, EventKind.SEAT_OFFERED])
        self.assertEqual(models.SeatBooking.objects.get(pk=second.id).status, "expired")
        self.assertEqual(models.SeatBooking.objects.get(pk=third.id).status, "offered")
        self.assertEqual(
            models.GroupSession.objects.get(pk=s.id).offer_deadline, self.clock.now() + timedelta(minutes=30)
        )
        accepted = self.engine.accept_offer(Actor.system(), third.id).value
        self.assertIs(accepted.status, SeatStatus.CONFIRMED)
        self.assertIsNone(models.GroupSession.objects.get(pk=s.id).offer_deadline)
        self.assertEqual(models.OutboxEvent.objects.filter(kind="offer_accepted").count(), 1)

    def test_expire_offers_command(self) -> None:
        # Offers made two hours ago (engine clock), expired by the command at the real time.
        real_now = datetime.now(timezone.utc)
        self.clock.set(real_now - timedelta(hours=2))
        s = self.engine.create_session(
            Actor.teacher(self.teacher), teacher_id=self.teacher, title="Later", starts_at=real_now + timedelta(days=1),
            time_zone="UTC", duration_minutes=60, meeting_link="https://meet.example.com/later", capacity=1,
            waitlist_enabled=True, waitlist_mode=WaitlistMode.offer(hold_minutes=30),
        ).value
        first, second = self.book(s, new_id()), self.book(s, new_id())
        self.engine.cancel_booking(Actor.system(), first.id)
        out = io.StringIO()
        call_command("expire_offers", stdout=out)
        self.assertIn("offer_expired", out.getvalue())
        self.assertEqual(models.SeatBooking.objects.get(pk=second.id).status, "expired")
        self.assertIsNone(models.GroupSession.objects.get(pk=s.id).offer_deadline)

    def test_multi_seat_and_offer_views(self) -> None:
        s = self.session(
            3, waitlist=True, mode=WaitlistMode.offer(hold_minutes=60), rules=SchedulingRules(max_seats_per_booking=2)
        )
        parent = new_id()
        self.engine.book_seat(Actor.student(parent), s.id, parent, seats=2)
        row = models.GroupSession.objects.get(pk=s.id)
        self.assertEqual(row.booked_seats, 2)
        self.assertEqual(models.SeatBooking.objects.get(student_id=parent).seats, 2)
        # The views use the project's engine (system clock); the session is in 2030.
        family = str(new_id())
        waiting = self.client.post(f"/sessions/{s.id}/book/", {"student": family, "seats": "2"})
        self.assertEqual((waiting.status_code, waiting.json()["status"]), (201, "waitlisted"))
        seat = self.engine.session(s.id).active_booking_of(parent)
        assert seat is not None
        self.engine.cancel_booking(Actor.student(parent), seat.id)
        booking_id = waiting.json()["booking"]
        wrong = self.client.post(f"/bookings/{booking_id}/accept/", {"student": str(new_id())})
        self.assertEqual(wrong.status_code, 403)
        ok = self.client.post(f"/bookings/{booking_id}/accept/", {"student": family})
        self.assertEqual((ok.status_code, ok.json()["status"], ok.json()["events"]), (200, "confirmed", ["offer_accepted"]))
        self.assertEqual(models.GroupSession.objects.get(pk=s.id).booked_seats, 2)

    def test_calendar_view(self) -> None:
        s = self.session(4)
        response = self.client.get(f"/sessions/{s.id}/calendar.ics")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Content-Type"].startswith("text/calendar"))
        body = response.content.decode()
        self.assertIn(f"UID:session-{s.id}@booking-engine\r\n", body)
        self.assertIn("STATUS:CONFIRMED\r\n", body)
        self.assertEqual(self.client.get(f"/sessions/{new_id()}/calendar.ics").status_code, 404)


class RulesTests(Scenario):
    """Scheduling rules, time off and rescheduling over the Django store."""

    def slot(self) -> booking.AvailabilitySlot:
        return self.engine.publish_slot(
            Actor.teacher(self.teacher),
            self.teacher,
            booking.WeeklySlot(booking.Weekday.MONDAY, time(14), time(15), MONDAY),
            time_zone="Europe/Paris",
        ).value

    def test_reschedule_updates_the_lesson_row(self) -> None:
        slot, student = self.slot(), new_id()
        at = datetime(2030, 5, 6, 12, tzinfo=timezone.utc)
        lesson = self.engine.book_lesson(Actor.student(student), slot.id, at, student).value
        moved = self.engine.reschedule_lesson(Actor.student(student), lesson.id, slot.id, at + timedelta(weeks=1))
        self.assertEqual([e.kind for e in moved.events], [EventKind.LESSON_RESCHEDULED])
        self.assertEqual(models.Lesson.objects.get(pk=lesson.id).starts_at, at + timedelta(weeks=1))
        listed = [o.starts_at for o in self.engine.list_occurrences(self.teacher, NOW, NOW + timedelta(days=8))]
        self.assertIn(at, listed)

    def test_rules_time_off_and_cutoff(self) -> None:
        t = Actor.teacher(self.teacher)
        self.engine.set_scheduling_rules(t, self.teacher, SchedulingRules(cancel_cutoff_minutes=48 * 60))
        slot, student = self.slot(), new_id()
        off = self.engine.add_time_off(t, self.teacher, MONDAY, MONDAY, "Europe/Paris", note="conference").value
        with self.assertRaises(booking.OccurrenceNotOfferedError):
            self.engine.book_lesson(Actor.student(student), slot.id, datetime(2030, 5, 6, 12, tzinfo=timezone.utc), student)
        self.assertEqual(self.engine.calendar(self.teacher).time_off, [off])
        at = datetime(2030, 5, 13, 12, tzinfo=timezone.utc)
        lesson = self.engine.book_lesson(Actor.student(student), slot.id, at, student).value
        self.clock.set(at - timedelta(hours=47))
        with self.assertRaises(booking.CutoffPassedError):
            self.engine.cancel_lesson(Actor.student(student), lesson.id)
        cancelled = self.engine.cancel_lesson(t, lesson.id)
        self.assertIs(cancelled.events[0].cutoff_overridden, True)
        self.assertEqual(models.Lesson.objects.get(pk=lesson.id).status, "cancelled")


def _race(engine: booking.Engine, session_id: uuid.UUID, students: list[uuid.UUID]) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(len(students))

    def attempt(student: uuid.UUID) -> None:
        try:
            start.wait()
            try:
                result = engine.book_seat(Actor.student(student), session_id, student).value.status.value
            except booking.SessionFullError:
                result = "full"
            with lock:
                outcomes[result] = outcomes.get(result, 0) + 1
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(s,)) for s in students]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


class ReadSideTests(Scenario):
    """The read side over the Django tables: the read index and the outbox."""

    slot = LessonTests.slot

    def test_agendas_and_the_approval_queue(self) -> None:
        ana = new_id()
        session = self.session(2)
        seat = self.book(session, ana)
        course = models.Course.objects.create(id=new_id(), title="Violin", requires_booking_approval=True)
        models.Enrollment.objects.create(course=course, student_id=ana)
        pending = self.engine.book_lesson(
            Actor.student(ana), self.slot(course.id).id, datetime(2030, 5, 6, 12, tzinfo=timezone.utc), ana
        ).value
        window = (NOW, NOW + timedelta(days=30))

        agenda = self.engine.student_agenda(Actor.student(ana), ana, *window)
        self.assertEqual([(i.booking_id, i.status) for i in agenda.items], [
            (seat.id, booking.AgendaStatus.CONFIRMED),
            (pending.id, booking.AgendaStatus.PENDING_APPROVAL),
        ])
        queue = self.engine.approval_queue(Actor.teacher(self.teacher), self.teacher)
        self.assertEqual([r.booking_id for r in queue.items], [pending.id])
        with self.assertRaises(booking.NotAuthorizedError):
            self.engine.student_agenda(Actor.student(new_id()), ana, *window)

        self.engine.approve_lesson(Actor.teacher(self.teacher), pending.id)
        self.assertEqual(self.engine.approval_queue(Actor.teacher(self.teacher), self.teacher).items, [])
        page = self.engine.teacher_agenda(Actor.teacher(self.teacher), self.teacher, *window, limit=1)
        self.assertEqual(page.items[0].session_id, session.id)
        rest = self.engine.teacher_agenda(Actor.teacher(self.teacher), self.teacher, *window, limit=1, after=page.next)
        self.assertEqual(rest.items[0].booking_id, pending.id)
        starting = self.engine.starting_between(Actor.system(), *window)
        self.assertEqual([i.session_id or i.booking_id for i in starting.items], [session.id, pending.id])

        # The rows are the engine's entries, as the migration computes them for older rows.
        stored = models.GroupSession.objects.get(pk=session.id).document
        rows = models.ReadIndexEntry.objects.filter(session_id=session.id).values_list("index", "partition", "sort")
        self.assertEqual(sorted(rows), sorted(booking.GroupSession.from_document(stored).read_entries()))

    def test_outbox_relay(self) -> None:
        session = self.session(1)
        self.book(session, new_id())
        system = Actor.system()
        entries = self.engine.outbox(system)
        self.assertEqual([e.event.kind for e in entries], [EventKind.SESSION_CREATED, EventKind.BOOKING_CONFIRMED,
                                                            EventKind.SESSION_CLOSED])
        positions = [e.position for e in entries]
        self.assertEqual(positions, sorted(positions))
        self.assertEqual(
            list(models.OutboxEvent.objects.order_by("position").values_list("position", "kind")),
            [(e.position, e.event.kind.value) for e in entries],
        )
        self.assertEqual(self.engine.acknowledge_outbox(system, positions[-1]), 3)
        self.assertEqual(self.engine.outbox(system), [])
        self.assertFalse(models.OutboxEvent.objects.exists())
        self.engine.cancel_session(Actor.teacher(self.teacher), session.id)
        later = self.engine.outbox(system)
        self.assertTrue(later and later[0].position > positions[-1])


@skipUnless(connection.vendor == "postgresql", "the race needs PostgreSQL row locks (set BOOKING_PG_URL)")
class BookingRace(TransactionTestCase):
    """Threads booking one session at once, each on its own database connection."""

    def check_race(self, local_queueing: bool) -> None:
        engine = booking.Engine(DjangoDocumentStore(), local_queueing=local_queueing)
        teacher = new_id()
        session = engine.create_session(
            Actor.teacher(teacher),
            teacher_id=teacher,
            title="Race",
            starts_at=datetime.now(timezone.utc) + timedelta(days=1),
            time_zone="UTC",
            duration_minutes=30,
            meeting_link="https://meet.example.com/race",
            capacity=5,
        ).value
        outcomes = _race(engine, session.id, [new_id() for _ in range(24)])
        self.assertEqual(outcomes, {"confirmed": 5, "full": 19})
        self.assertEqual(models.SeatBooking.objects.filter(session_id=session.id, status="confirmed").count(), 5)
        self.assertEqual(models.GroupSession.objects.get(pk=session.id).booked_seats, 5)
        self.assertEqual(engine.session(session.id).booked_seats, 5)

    def test_threads_never_overbook(self) -> None:
        self.check_race(local_queueing=True)

    def test_threads_never_overbook_through_row_locks_alone(self) -> None:
        # Without the engine's in-process queue, every thread races through the database like
        # separate worker processes would; the version check under select_for_update decides.
        self.check_race(local_queueing=False)

    def test_outbox_positions_follow_commit_order(self) -> None:
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
                teacher = new_id()
                for i in range(per_writer):
                    engine.create_session(
                        Actor.teacher(teacher), teacher_id=teacher, title=f"Race {i}",
                        starts_at=datetime.now(timezone.utc) + timedelta(days=1, hours=i), time_zone="UTC",
                        duration_minutes=30, meeting_link="https://meet.example.com/race", capacity=5,
                    )
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


def has_conformance_suite() -> bool:
    """Whether the wheel was built with the suite (``--features conformance``)."""
    try:
        booking.conformance_checks()
    except RuntimeError:
        return False
    return True


class Conformance(TransactionTestCase):
    """The core's conformance checks (the single-threaded ones) against the Django store."""

    @skipUnless(has_conformance_suite(), "a booking wheel built without --features conformance")
    def test_conformance_suite(self) -> None:
        def fresh() -> DjangoDocumentStore:
            for model in (
                models.SeatBooking, models.GroupSession, models.Calendar, models.Slot, models.Lesson,
                models.BookingLocation, models.RequestRecord, models.OutboxEvent,
            ):
                model.objects.all().delete()
            return DjangoDocumentStore()

        # The threaded checks call the store from Rust threads, whose Django connections nothing
        # closes: BookingRace runs races from Python threads instead.
        threaded = ("concurrent_", "property_", "read_outbox_across_concurrent_writers")
        names = [n for n in booking.conformance_checks() if not n.startswith(threaded)]
        report = booking.run_conformance(fresh, names)
        self.assertTrue(report.passed, str(report))
