"""``manage.py booking_demo``: fills a fresh database with something to click.

A teacher (``teacher``), three students (``alice``, ``bob``, ``carol``; ``dana`` in another
time zone), a course that needs the teacher's approval for 1:1 lessons with everyone enrolled,
two group sessions (one small with a waitlist) and weekly and one-time availability slots.
Every user's password is ``--password`` (default: ``demo``; for a local demo only).
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta
from typing import Any

import booking_engine as booking
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ...conf import setting
from ...engine import get_engine
from ...models import BookingUser, Course, CourseTeacher, Enrollment
from ...users import engine_id


class Command(BaseCommand):
    help = "Fill a fresh database with a teacher, students, a course, sessions and slots (a demo)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--password", default="demo")
        parser.add_argument("--time-zone", default="Europe/Madrid", help="the teacher's zone")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        if User.objects.filter(username="teacher").exists():
            raise CommandError("the demo is already there (user 'teacher' exists)")
        zone = options["time_zone"]
        with transaction.atomic():
            teachers, _ = Group.objects.get_or_create(name=setting("TEACHER_GROUP"))
            students, _ = Group.objects.get_or_create(name=setting("STUDENT_GROUP"))

            def make(name: str, group: Group, tz: str) -> Any:
                user = User.objects.create_user(username=name, password=options["password"], first_name=name.title())
                user.groups.add(group)
                engine_id(user)
                BookingUser.objects.filter(user=user).update(time_zone=tz)
                return user

            teacher = make("teacher", teachers, zone)
            pupils = [make(n, students, zone) for n in ("alice", "bob", "carol")]
            pupils.append(make("dana", students, "America/New_York"))
            course = Course.objects.create(title="Spanish A1", requires_booking_approval=True)
            CourseTeacher.objects.create(course=course, teacher=teacher)
            for p in pupils:
                Enrollment.objects.create(course=course, student=p)
        engine = get_engine()
        me = engine_id(teacher)
        actor = booking.Actor.teacher(me)
        tz = zoneinfo.ZoneInfo(zone)
        tomorrow = (engine.now().astimezone(tz) + timedelta(days=1)).date()
        for title, days, hour, seats, waitlist in (("Conversation club", 1, 18, 2, True), ("Grammar workshop", 3, 10, 5, False)):
            start = datetime.combine(tomorrow + timedelta(days=days - 1), time(hour), tzinfo=tz)
            engine.create_session(
                actor, teacher_id=me, title=title, starts_at=start, time_zone=zone, duration_minutes=60,
                meeting_link="https://meet.example.com/" + title.lower().replace(" ", "-"), capacity=seats,
                waitlist_enabled=waitlist, course_id=course.id,
            )
        for weekday in range(5):
            engine.publish_slot(
                actor, me, booking.WeeklySlot(weekday, time(16), time(17), tomorrow), time_zone=zone, course_id=course.id
            )
        once = datetime.combine(tomorrow + timedelta(days=2), time(12))
        engine.publish_slot(actor, me, booking.OneTimeSlot(once, once + timedelta(hours=1)), time_zone=zone, course_id=course.id)
        self.stdout.write(
            f"demo ready: users teacher, alice, bob, carol, dana (password {options['password']!r}); course {course.id}"
        )
