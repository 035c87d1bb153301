"""Management commands, admin actions, the user mapping and the course adapter hook."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import booking_engine as booking
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings
from django.urls import reverse

from django_booking_engine import models
from django_booking_engine.courses import CourseAdapter, CourseInfo
from django_booking_engine.engine import set_engine
from django_booking_engine.users import engine_id, engine_id_of_pk, roles, user_for

from .base import BookingCase

User = get_user_model()


class Hook:
    """A webhook receiver on 127.0.0.1: answers with the statuses queued, then 200."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict[str, str], bytes]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append((dict(self.headers), body))
                self.send_response(hook.statuses.pop(0) if hook.statuses else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class CommandTests(BookingCase):
    def test_expire_offers(self) -> None:
        s = self.create_session(capacity=1, waitlist_mode=booking.WaitlistMode.offer(30))
        b1 = self.book(s, self.s1)
        self.book(s, self.s2)
        self.book(s, self.s3)
        self.engine.cancel_booking(booking.Actor.student(self.eid(self.s1)), b1.id)
        self.clock.advance(timedelta(minutes=31))
        out = io.StringIO()
        call_command("expire_offers", stdout=out)
        self.assertIn("events", out.getvalue())
        s_now = self.engine.session(booking.Actor.system(), s.id)
        self.assertIs(s_now.active_booking_of(self.eid(self.s3)).status, booking.SeatStatus.OFFERED)
        self.assertIsNone(s_now.active_booking_of(self.eid(self.s2)))

    def relay(self, hook: Hook, **settings: Any) -> None:
        conf = {"WEBHOOK_URL": hook.url, "WEBHOOK_SECRET": "s3cret", "WEBHOOK_RETRIES": 3, **settings}
        with override_settings(BOOKING_ENGINE=conf):
            call_command("relay_outbox", "--backoff", "0.01", stdout=io.StringIO(), stderr=io.StringIO())

    def test_relay_outbox_signs_retries_and_acknowledges_after_2xx(self) -> None:
        s = self.create_session()
        self.book(s, self.s1)
        self.assertEqual(models.OutboxEvent.objects.count(), 2)
        hook = Hook([500, 503])
        self.addCleanup(hook.close)
        self.relay(hook)
        self.assertEqual(len(hook.received), 4)  # two failures, then each event once
        headers, body = hook.received[-1]
        expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        self.assertEqual(headers["X-Booking-Signature"], expected)
        self.assertEqual(headers["X-Booking-Event-Kind"], "booking_confirmed")
        self.assertIn("booking_confirmed", json.dumps(json.loads(body)))
        self.assertEqual([h["X-Booking-Event-Id"] for h, _ in hook.received], ["1", "1", "1", "2"])
        self.assertFalse(models.OutboxEvent.objects.exists())  # acknowledged: deleted
        self.relay(hook)  # nothing left to send
        self.assertEqual(len(hook.received), 4)

    def test_relay_outbox_keeps_undelivered_events(self) -> None:
        self.create_session()
        hook = Hook([500, 500, 500])
        self.addCleanup(hook.close)
        with self.assertRaises(CommandError):
            self.relay(hook)
        self.assertEqual(models.OutboxEvent.objects.count(), 1)  # kept for the next run
        self.assertEqual(len(hook.received), 3)
        with override_settings(BOOKING_ENGINE={}), self.assertRaises(CommandError):
            call_command("relay_outbox", stdout=io.StringIO())


class DemoTests(TestCase):
    def test_booking_demo_fills_a_fresh_database(self) -> None:
        set_engine(None)
        self.addCleanup(set_engine, None)
        call_command("booking_demo", stdout=io.StringIO())
        self.assertEqual(models.GroupSession.objects.count(), 2)
        self.assertEqual(models.Slot.objects.count(), 6)
        self.assertEqual(roles(User.objects.get(username="teacher")), {"teacher"})
        self.assertEqual(roles(User.objects.get(username="dana")), {"student"})
        with self.assertRaises(CommandError):
            call_command("booking_demo", stdout=io.StringIO())
        self.client.login(username="alice", password="demo")
        session = models.GroupSession.objects.order_by("starts_at").first()
        response = self.client.post(reverse("booking_engine:student-book-session", args=[session.id]), follow=True)
        self.assertContains(response, "Booked.")


class AdminTests(BookingCase):
    approval = True

    def setUp(self) -> None:
        super().setUp()
        self.staff = User.objects.create_superuser("root", "root@example.com", "pw")
        self.client.force_login(self.staff)

    def test_lists_search_and_actions_through_the_engine(self) -> None:
        s = self.create_session(capacity=2)
        self.book(s, self.s1)
        for name in ("groupsession", "seatbooking", "slot", "lesson", "outboxevent", "bookinguser", "course"):
            self.assertEqual(self.client.get(f"/admin/booking_engine/{name}/").status_code, 200, name)
        self.assertContains(self.client.get("/admin/booking_engine/groupsession/?q=Conversation"), "Conversation")
        url = "/admin/booking_engine/groupsession/"
        response = self.client.post(url, {"action": "change_capacity", "_selected_action": [str(s.id)], "capacity": ""}, follow=True)
        self.assertContains(response, "Enter the new number of seats")
        self.client.post(url, {"action": "change_capacity", "_selected_action": [str(s.id)], "capacity": "0"}, follow=True)
        self.assertEqual(self.engine.session(booking.Actor.system(), s.id).capacity, 2)
        response = self.client.post(url, {"action": "change_capacity", "_selected_action": [str(s.id)], "capacity": "5"}, follow=True)
        self.assertContains(response, "Capacity changed: 1.")
        self.assertEqual(self.engine.session(booking.Actor.system(), s.id).capacity, 5)
        response = self.client.post(url, {"action": "cancel_sessions", "_selected_action": [str(s.id)]}, follow=True)
        self.assertContains(response, "Sessions cancelled: 1.")
        self.assertTrue(self.engine.session(booking.Actor.system(), s.id).is_cancelled)
        self.assertEqual(self.client.get(f"/admin/booking_engine/groupsession/{s.id}/change/").status_code, 200)
        self.assertEqual(self.client.post(f"/admin/booking_engine/groupsession/{s.id}/change/", {"title": "x"}).status_code, 403)

    def test_lesson_approve_and_decline(self) -> None:
        self.publish_weekly()
        from .base import NOW

        occ = self.engine.list_occurrences(self.eid(self.teacher), NOW, NOW + timedelta(days=28), course_id=self.course.id)
        a = self.engine.book_lesson(booking.Actor.student(self.eid(self.s1)), occ[0].slot_id, occ[0].starts_at, self.eid(self.s1)).value
        b = self.engine.book_lesson(booking.Actor.student(self.eid(self.s2)), occ[1].slot_id, occ[1].starts_at, self.eid(self.s2)).value
        url = "/admin/booking_engine/lesson/"
        self.client.post(url, {"action": "approve", "_selected_action": [str(a.id)], "meeting_link": "https://meet.example.com/a"})
        self.client.post(url, {"action": "decline", "_selected_action": [str(b.id)], "reason": "full"})
        self.assertIs(self.engine.lesson(booking.Actor.system(), a.id).status, booking.LessonStatus.CONFIRMED)
        self.assertIs(self.engine.lesson(booking.Actor.system(), b.id).status, booking.LessonStatus.DECLINED)
        response = self.client.post(url, {"action": "approve", "_selected_action": [str(b.id)]}, follow=True)
        self.assertContains(response, "That is not possible in the booking")


def teachers_only(user: Any) -> set[str]:
    return {"teacher"}


class MappingTests(TestCase):
    def test_engine_ids_are_stable_and_distinct(self) -> None:
        u = User.objects.create_user("x", password="pw")
        first = engine_id(u)
        self.assertEqual(first, engine_id(u))
        self.assertEqual(first, engine_id_of_pk(u.pk))
        label = f"{User._meta.app_label}.{User._meta.model_name}"
        self.assertEqual(first, uuid.uuid5(uuid.UUID("5b6f3c1e-8f7a-4a55-9d0e-b0c4e1a9d2f1"), f"{label}:{u.pk}"))
        other = User.objects.create_user("x2", password="pw")
        self.assertNotEqual(first, engine_id(other))
        # Either kind of primary key maps the same way (its string form).
        pk = uuid.UUID("12345678-1234-5678-1234-567812345678")
        self.assertEqual(engine_id_of_pk(pk), uuid.uuid5(uuid.UUID("5b6f3c1e-8f7a-4a55-9d0e-b0c4e1a9d2f1"), f"{label}:{pk}"))
        self.assertEqual(user_for(first), u)
        with override_settings(BOOKING_ENGINE={"USER_NAMESPACE": "00000000-0000-0000-0000-000000000001"}):
            self.assertNotEqual(engine_id_of_pk(u.pk), first)

    def test_role_hook_is_configurable(self) -> None:
        u = User.objects.create_user("y", password="pw")
        self.assertEqual(roles(u), set())
        with override_settings(BOOKING_ENGINE={"ROLE_HOOK": "tests.test_operations.teachers_only"}):
            self.assertEqual(roles(u), {"teacher"})
            self.client.force_login(u)
            self.assertEqual(self.client.get(reverse("booking_engine:teacher-schedule")).status_code, 200)


HOST_COURSE = uuid.UUID("0f0f0f0f-0000-4000-8000-000000000001")


class HostCourses(CourseAdapter):
    """A host's own course table (here: one course, every student enrolled, no approval)."""

    teachers: list[uuid.UUID] = []

    def get(self, course_id: uuid.UUID) -> CourseInfo | None:
        return CourseInfo(HOST_COURSE, "Host course") if course_id == HOST_COURSE else None

    def courses_of_teacher(self, teacher_id: uuid.UUID) -> list[CourseInfo]:
        return [CourseInfo(HOST_COURSE, "Host course")] if teacher_id in self.teachers else []

    def teachers_of(self, course_id: uuid.UUID) -> list[uuid.UUID]:
        return list(self.teachers) if course_id == HOST_COURSE else []

    def courses_of_student(self, student_id: uuid.UUID) -> list[CourseInfo]:
        return [CourseInfo(HOST_COURSE, "Host course")]

    def is_enrolled(self, student_id: uuid.UUID, course_id: uuid.UUID) -> bool:
        return course_id == HOST_COURSE

    def approval_settings(self, course_id: uuid.UUID, teacher_id: uuid.UUID) -> tuple[bool | None, bool | None]:
        return (False, None)


@override_settings(BOOKING_ENGINE={"COURSE_ADAPTER": "tests.test_operations.HostCourses"})
class CourseAdapterTests(BookingCase):
    def test_the_host_adapter_decides_courses_enrollment_and_approval(self) -> None:
        from datetime import time

        from .base import NOW

        HostCourses.teachers = [self.eid(self.teacher)]
        self.addCleanup(setattr, HostCourses, "teachers", [])
        t = self.eid(self.teacher)
        self.engine.publish_slot(
            booking.Actor.teacher(t), t, booking.WeeklySlot(0, time(16), time(17), NOW.date()), time_zone="Europe/Madrid",
            course_id=HOST_COURSE,
        )
        self.login(self.s1)
        self.assertContains(self.client.get(reverse("booking_engine:home")), "Host course")
        url = reverse("booking_engine:student-book-one-on-one", args=[HOST_COURSE])
        self.assertContains(self.client.get(url), "Mon 6 May 2030 14:00")
        self.assertEqual(self.client.get(reverse("booking_engine:student-book-one-on-one", args=[self.course.id])).status_code, 404)
        o = self.engine.list_occurrences(t, NOW, NOW + timedelta(days=28), course_id=HOST_COURSE)[0]
        response = self.client.post(url, {"slot": str(o.slot_id), "starts_at": o.starts_at.isoformat()}, follow=True)
        self.assertContains(response, "Lesson booked.")
        self.assertEqual(models.Lesson.objects.get().status, "confirmed")  # the adapter: no approval


@override_settings(BOOKING_ENGINE={"ENGINE_LOGGING": True})
class EngineLoggingTests(BookingCase):
    def test_a_booking_from_a_page_is_a_log_record_and_a_count(self) -> None:
        s = self.create_session(capacity=1)
        before = self.engine.counters()
        self.login(self.s1)
        with self.assertLogs("booking_core", level="DEBUG") as logs:
            booking.enable_logging()  # assertLogs changed the level: the cached levels are stale
            self.client.post(reverse("booking_engine:student-book-session", args=[s.id]))
            self.client.post(reverse("booking_engine:student-book-session", args=[s.id]))  # refused
        finished = [r.getMessage() for r in logs.records if "command finished" in r.getMessage()]
        self.assertEqual(len(finished), 2, logs.output)
        self.assertIn('command="book_seat" outcome="ok" attempts=1', finished[0])
        self.assertIn('outcome="already_booked"', finished[1])
        after = self.engine.counters()
        self.assertEqual((after.committed - before.committed, after.refused - before.refused), (1, 1))
