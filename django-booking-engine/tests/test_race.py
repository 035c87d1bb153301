"""A booking race through the Django store on PostgreSQL: threads, no overbooking."""

from __future__ import annotations

import threading
from datetime import timedelta
from unittest import skipUnless

import booking_engine as booking
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, connections
from django.test import Client, TransactionTestCase
from django.urls import reverse

from django_booking_engine import models
from django_booking_engine.engine import build_engine, set_engine
from django_booking_engine.users import engine_id

from .base import NOW

User = get_user_model()


@skipUnless(connection.vendor == "postgresql", "needs PostgreSQL's row locks (set BOOKING_PG_URL)")
class BookingRace(TransactionTestCase):
    def test_threads_race_for_seats_over_http_and_nobody_overbooks(self) -> None:
        clock = booking.ManualClock(NOW)
        engine = build_engine(clock=clock)
        set_engine(engine)
        self.addCleanup(set_engine, None)
        students_group = Group.objects.create(name="students")
        teacher = User.objects.create_user("t", password="pw")
        t = engine_id(teacher)
        capacity, racers = 5, 16
        session = engine.create_session(
            booking.Actor.teacher(t), teacher_id=t, title="Race", starts_at=NOW + timedelta(days=1), time_zone="UTC",
            duration_minutes=60, meeting_link="https://meet.example.com/r", capacity=capacity, waitlist_enabled=True,
        ).value
        users = []
        for i in range(racers):
            u = User.objects.create_user(f"s{i}", password="pw")
            u.groups.add(students_group)
            engine_id(u)
            users.append(u)
        url = reverse("booking_engine:student-book-session", args=[session.id])
        barrier = threading.Barrier(racers)
        failures: list[BaseException] = []

        def race(user: User) -> None:
            try:
                client = Client()
                client.force_login(user)
                barrier.wait()
                response = client.post(url)
                if response.status_code != 302:
                    failures.append(AssertionError(f"status {response.status_code}"))
            except BaseException as e:  # noqa: BLE001 (reported below)
                failures.append(e)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=race, args=(u,)) for u in users]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        self.assertEqual(failures, [])
        final = engine.session(booking.Actor.system(), session.id)
        self.assertEqual(final.booked_seats, capacity)
        self.assertEqual(final.waitlisted_count, racers - capacity)
        statuses = list(models.SeatBooking.objects.filter(session_id=session.id).values_list("status", flat=True))
        self.assertEqual(statuses.count("confirmed"), capacity)
        self.assertEqual(statuses.count("waitlisted"), racers - capacity)
        row = models.GroupSession.objects.get(pk=session.id)
        self.assertEqual((row.booked_seats, row.waitlisted), (capacity, racers - capacity))
