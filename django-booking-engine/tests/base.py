"""Shared fixtures: users with roles, an engine on a manual clock."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import booking_engine as booking
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import TestCase

from django_booking_engine import models
from django_booking_engine.engine import build_engine, set_engine
from django_booking_engine.users import engine_id

NOW = datetime(2030, 5, 1, 8, 0, tzinfo=timezone.utc)  # a Wednesday

User = get_user_model()


def make_user(name: str, role: str, time_zone: str = "") -> User:
    user = User.objects.create_user(username=name, password="pw", first_name=name.title())
    group, _ = Group.objects.get_or_create(name=role + "s")
    user.groups.add(group)
    engine_id(user)
    if time_zone:
        models.BookingUser.objects.filter(user=user).update(time_zone=time_zone)
    return user


class BookingCase(TestCase):
    """Two teachers, three students, a course taught by the first teacher with all enrolled."""

    approval: bool | None = None

    def setUp(self) -> None:
        self.clock = booking.ManualClock(NOW)
        self.engine = build_engine(clock=self.clock)
        set_engine(self.engine)
        self.addCleanup(set_engine, None)
        self.teacher = make_user("teacher", "teacher", "Europe/Madrid")
        self.other_teacher = make_user("other", "teacher")
        self.s1 = make_user("alice", "student")
        self.s2 = make_user("bob", "student")
        self.s3 = make_user("carol", "student")
        self.course = models.Course.objects.create(title="Spanish A1", requires_booking_approval=self.approval)
        models.CourseTeacher.objects.create(course=self.course, teacher=self.teacher)
        for s in (self.s1, self.s2, self.s3):
            models.Enrollment.objects.create(course=self.course, student=s)

    def eid(self, user: User) -> uuid.UUID:
        return engine_id(user)

    def login(self, user: User) -> None:
        self.client.force_login(user)

    def create_session(self, capacity: int = 2, waitlist: bool = True, teacher: User | None = None, **kw: Any) -> booking.GroupSession:
        t = self.eid(teacher or self.teacher)
        return self.engine.create_session(
            booking.Actor.teacher(t), teacher_id=t, title=kw.pop("title", "Conversation"),
            starts_at=kw.pop("starts_at", NOW + timedelta(days=2)), time_zone="Europe/Madrid", duration_minutes=60,
            meeting_link="https://meet.example.com/x", capacity=capacity, waitlist_enabled=waitlist, **kw,
        ).value

    def book(self, session: booking.GroupSession, user: User) -> booking.SeatBooking:
        sid = self.eid(user)
        return self.engine.book_seat(booking.Actor.student(sid), session.id, sid).value

    def publish_weekly(self, teacher: User | None = None, course: bool = True) -> booking.AvailabilitySlot:
        from datetime import time

        t = self.eid(teacher or self.teacher)
        return self.engine.publish_slot(
            booking.Actor.teacher(t), t, booking.WeeklySlot(0, time(16), time(17), NOW.date()), time_zone="Europe/Madrid",
            course_id=self.course.id if course else None,
        ).value

    def messages_of(self, response: Any) -> list[str]:
        return [str(m) for m in response.context["messages"]] if response.context else []

    def snapshot(self) -> list[tuple[Any, ...]]:
        """Every document's version: equal before and after means nothing changed."""
        rows: list[tuple[Any, ...]] = []
        for model in (models.GroupSession, models.Calendar, models.Lesson):
            rows += [(model.__name__, str(pk), v) for pk, v in model.objects.values_list("pk", "version").order_by("pk")]
        return rows + [("outbox", models.OutboxEvent.objects.count())]
