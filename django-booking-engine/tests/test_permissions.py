"""Permission boundaries over HTTP: refused, and the state unchanged."""

from __future__ import annotations

from datetime import timedelta

import booking_engine as booking
from django.test import Client
from django.urls import reverse

from django_booking_engine import models

from .base import NOW, BookingCase

TEACHER_PAGES = ["teacher-schedule", "teacher-availability", "teacher-one-on-one"]


class PermissionTests(BookingCase):
    approval = True

    def test_anonymous_is_sent_to_login(self) -> None:
        s = self.create_session()
        for url in [reverse("booking_engine:" + n) for n in TEACHER_PAGES + ["student-my-bookings", "home", "time-zone"]] + [
            reverse("booking_engine:student-book-session", args=[s.id])
        ]:
            response = self.client.get(url)
            self.assertEqual(response.status_code, 302, url)
            self.assertIn("/accounts/login/", response["Location"])
        before = self.snapshot()
        self.client.post(reverse("booking_engine:student-book-session", args=[s.id]))
        self.assertEqual(self.snapshot(), before)

    def test_student_cannot_open_teacher_pages(self) -> None:
        s = self.create_session()
        self.login(self.s1)
        before = self.snapshot()
        for name in TEACHER_PAGES:
            self.assertEqual(self.client.get(reverse("booking_engine:" + name)).status_code, 403, name)
        posts = [
            (reverse("booking_engine:teacher-schedule"), {"title": "x"}),
            (reverse("booking_engine:teacher-session-capacity", args=[s.id]), {"capacity": "50"}),
            (reverse("booking_engine:teacher-session-cancel", args=[s.id]), {}),
        ]
        for url, data in posts:
            self.assertEqual(self.client.post(url, data).status_code, 403, url)
        self.assertEqual(self.snapshot(), before)

    def test_teacher_cannot_open_student_pages(self) -> None:
        s = self.create_session()
        self.login(self.teacher)
        before = self.snapshot()
        self.assertEqual(self.client.post(reverse("booking_engine:student-book-session", args=[s.id])).status_code, 403)
        self.assertEqual(self.client.get(reverse("booking_engine:student-my-bookings")).status_code, 403)
        self.assertEqual(self.snapshot(), before)

    def test_student_cannot_touch_another_students_booking(self) -> None:
        s = self.create_session(capacity=1, waitlist_mode=booking.WaitlistMode.offer(30))
        theirs = self.book(s, self.s1)
        self.book(s, self.s2)
        self.login(self.s3)
        before = self.snapshot()
        for name in ("student-seat-cancel", "student-seat-accept", "student-seat-decline"):
            response = self.client.post(reverse("booking_engine:" + name, args=[theirs.id]), follow=True)
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, "You are not allowed to do that.")
        self.assertEqual(self.snapshot(), before)
        self.assertIs(self.engine.seat_booking(booking.Actor.system(), theirs.id).status, booking.SeatStatus.CONFIRMED)
        # Nor their calendar file, nor their lesson.
        self.assertEqual(self.client.get(reverse("booking_engine:student-booking-ical", args=[theirs.id])).status_code, 404)
        self.publish_weekly()
        o = self.engine.list_occurrences(self.eid(self.teacher), NOW, NOW + timedelta(days=28), course_id=self.course.id)[0]
        lesson = self.engine.book_lesson(booking.Actor.student(self.eid(self.s1)), o.slot_id, o.starts_at, self.eid(self.s1)).value
        before = self.snapshot()
        response = self.client.post(reverse("booking_engine:student-lesson-cancel", args=[lesson.id]), follow=True)
        self.assertContains(response, "You are not allowed to do that.")
        self.assertEqual(self.client.get(reverse("booking_engine:student-lesson-reschedule", args=[lesson.id])).status_code, 404)
        self.assertEqual(self.client.post(reverse("booking_engine:student-lesson-reschedule", args=[lesson.id]), {"slot": str(o.slot_id), "starts_at": o.starts_at.isoformat()}).status_code, 404)
        self.assertEqual(self.client.get(reverse("booking_engine:student-booking-ical", args=[lesson.id])).status_code, 404)
        self.assertEqual(self.snapshot(), before)
        # The student's own pages never show the other student.
        self.assertNotContains(self.client.get(reverse("booking_engine:student-my-bookings")), "Alice")

    def test_teacher_cannot_act_on_another_teachers_session_or_lesson(self) -> None:
        s = self.create_session(capacity=2)
        seat = self.book(s, self.s1)
        self.publish_weekly()
        o = self.engine.list_occurrences(self.eid(self.teacher), NOW, NOW + timedelta(days=28), course_id=self.course.id)[0]
        lesson = self.engine.book_lesson(booking.Actor.student(self.eid(self.s1)), o.slot_id, o.starts_at, self.eid(self.s1)).value
        slot = self.engine.calendar(booking.Actor.system(), self.eid(self.teacher)).slots[0]
        self.login(self.other_teacher)
        self.assertNotContains(self.client.get(reverse("booking_engine:teacher-one-on-one")), "Alice")
        self.assertNotContains(self.client.get(reverse("booking_engine:teacher-schedule")), "Alice")
        before = self.snapshot()

        def refused(url: str, data: dict[str, str]) -> None:
            response = self.client.post(url, data, follow=True)
            self.assertEqual(response.status_code, 200, url)
            self.assertContains(response, "You are not allowed to do that.", msg_prefix=url)

        for url, data in (
            (reverse("booking_engine:teacher-session-capacity", args=[s.id]), {"capacity": "9"}),
            (reverse("booking_engine:teacher-session-cancel", args=[s.id]), {}),
            (reverse("booking_engine:teacher-lesson-approve", args=[lesson.id]), {"meeting_link": ""}),
            (reverse("booking_engine:teacher-lesson-decline", args=[lesson.id]), {"reason": "no"}),
            (reverse("booking_engine:teacher-lesson-cancel", args=[lesson.id]), {}),
            (reverse("booking_engine:teacher-slot-active", args=[slot.id]), {"active": "no"}),
        ):
            refused(url, data)
        self.assertEqual(self.client.get(reverse("booking_engine:teacher-lesson-reschedule", args=[lesson.id])).status_code, 404)
        self.clock.set(s.starts_at + timedelta(minutes=1))
        refused(reverse("booking_engine:teacher-attendance", args=[seat.id]), {"attended": "no"})
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(models.Lesson.objects.get().status, "pending")

    def test_csrf_is_enforced(self) -> None:
        s = self.create_session()
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.s1)
        before = self.snapshot()
        self.assertEqual(client.post(reverse("booking_engine:student-book-session", args=[s.id])).status_code, 403)
        self.assertEqual(self.snapshot(), before)
        page = client.get(reverse("booking_engine:student-book-session", args=[s.id]))
        self.assertContains(page, "csrfmiddlewaretoken")

    def test_methods_and_garbage_ids(self) -> None:
        self.login(self.s1)
        self.assertEqual(self.client.get(reverse("booking_engine:student-seat-cancel", args=[self.eid(self.s1)])).status_code, 405)
        self.assertEqual(self.client.post("/student/seats/not-a-uuid/cancel/").status_code, 404)
        response = self.client.post(reverse("booking_engine:student-seat-cancel", args=[self.eid(self.s1)]), follow=True)
        self.assertContains(response, "That booking does not exist.")
        cancel = reverse("booking_engine:student-seat-cancel", args=[self.eid(self.s1)])
        mine = reverse("booking_engine:student-my-bookings")
        # Only a page of this site is a place to go back to; anything a browser would read as
        # another host (or a scheme) falls back to "my bookings".
        for hostile in ["//evil.example", "/\\evil.example", "/\\/evil.example", "https://evil.example/",
                        "https:evil.example", "javascript:alert(1)", "\x01//evil.example", " //evil.example"]:
            with self.subTest(next=hostile):
                self.assertEqual(self.client.post(cancel, {"next": hostile})["Location"], mine)
        self.assertEqual(self.client.post(cancel, {"next": "/booking/"})["Location"], "/booking/")
