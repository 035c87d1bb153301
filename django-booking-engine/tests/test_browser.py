"""End to end in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven by
Playwright for Python against the live server. Screenshots of every page go to
``$BOOKING_ARTIFACTS`` (default: a new directory under /tmp), never into the repository.

Skipped when Playwright or the browser is missing, unless ``BOOKING_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zoneinfo
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from unittest import SkipTest

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.test import tag

from django_booking_engine import models
from django_booking_engine.engine import set_engine

CHROMIUM = os.environ.get("BOOKING_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]

User = get_user_model()


def _playwright() -> Any:
    required = os.environ.get("BOOKING_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            raise
        raise SkipTest("playwright is not installed") from None
    if not shutil.which(CHROMIUM):
        if required:
            raise RuntimeError(f"no browser at {CHROMIUM}")
        raise SkipTest(f"no browser at {CHROMIUM}")
    return sync_playwright


@tag("browser")
class BrowserTests(StaticLiveServerTestCase):
    host = "127.0.0.1"

    @classmethod
    def setUpClass(cls) -> None:
        # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
        # test body are still synchronous.
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        sync_playwright = _playwright()
        super().setUpClass()
        cls.artifacts = Path(os.environ.get("BOOKING_ARTIFACTS") or tempfile.mkdtemp(prefix="booking-screens-"))
        cls.artifacts.mkdir(parents=True, exist_ok=True)
        cls.pw = sync_playwright().start()
        cls.browser = cls.pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.browser.close()
        cls.pw.stop()
        super().tearDownClass()
        print(f"\nscreenshots: {cls.artifacts}")

    def setUp(self) -> None:
        set_engine(None)
        self.addCleanup(set_engine, None)
        teachers = Group.objects.create(name="teachers")
        students = Group.objects.create(name="students")

        def user(name: str, group: Group, zone: str) -> User:
            u = User.objects.create_user(name, password="pw", first_name=name.title())
            u.groups.add(group)
            from django_booking_engine.users import engine_id

            engine_id(u)
            models.BookingUser.objects.filter(user=u).update(time_zone=zone)
            return u

        self.teacher = user("teacher", teachers, "Europe/Madrid")
        self.students = [user(n, students, "Europe/Madrid") for n in ("alice", "bob", "carol")]
        self.dana = user("dana", students, "America/New_York")
        self.course = models.Course.objects.create(title="Spanish A1", requires_booking_approval=True)
        models.CourseTeacher.objects.create(course=self.course, teacher=self.teacher)
        for s in self.students + [self.dana]:
            models.Enrollment.objects.create(course=self.course, student=s)
        self.shot = 0

    def page_for(self, username: str) -> Any:
        context = self.browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-GB")
        self.addCleanup(context.close)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto(self.live_server_url + "/accounts/login/?next=/booking/")
        page.fill("#id_username", username)
        page.fill("#id_password", "pw")
        page.click("button[type=submit]")
        page.wait_for_url("**/booking/")
        return page

    def screenshot(self, page: Any, name: str) -> None:
        self.shot += 1
        page.screenshot(path=str(self.artifacts / f"{self.shot:02d}-{name}.png"), full_page=True)

    def go(self, page: Any, path: str) -> None:
        page.goto(self.live_server_url + path)

    def status_text(self, page: Any) -> str:
        return page.inner_text("main")

    def test_group_session_and_one_on_one(self) -> None:
        madrid = zoneinfo.ZoneInfo("Europe/Madrid")
        day = datetime.now(madrid).date() + timedelta(days=10)
        # --- the teacher creates a session (2 seats, waitlist) and a weekly slot -------------
        t = self.page_for("teacher")
        self.go(t, "/teacher/schedule/")
        t.fill("#id_title", "Conversation club")
        t.fill("#id_starts_at", f"{day.isoformat()}T18:00")
        t.fill("#id_time_zone", "Europe/Madrid")
        t.fill("#id_meeting_link", "https://meet.example.com/club")
        t.fill("#id_capacity", "2")
        t.check("#id_waitlist_enabled")
        t.click("#new-session button[type=submit]")
        t.wait_for_selector("text=Session created.")
        self.screenshot(t, "teacher-schedule-created")
        session = models.GroupSession.objects.get()
        self.assertEqual(session.starts_at, datetime.combine(day, time(18), tzinfo=madrid))

        self.go(t, "/teacher/availability/")
        weekday = (day + timedelta(days=1)).weekday()
        t.select_option("#id_weekly-weekday", str(weekday))
        t.fill("#id_weekly-start_time", "16:00")
        t.fill("#id_weekly-end_time", "17:00")
        t.fill("#id_weekly-valid_from", date.today().isoformat())
        t.select_option("#id_weekly-course", str(self.course.id))
        t.click("#weekly-slot button[type=submit]")
        t.wait_for_selector("text=Weekly slot published.")
        once = day + timedelta(days=2)
        t.fill("#id_once-start", f"{once.isoformat()}T09:00")
        t.fill("#id_once-end", f"{once.isoformat()}T10:00")
        t.click("#one-time-slot button[type=submit]")
        t.wait_for_selector("text=One-time slot published.")
        self.screenshot(t, "teacher-availability")
        self.assertEqual(models.Slot.objects.count(), 2)

        # --- students book to capacity, the third joins the waitlist ------------------------
        book = f"/student/sessions/{session.id}/book/"
        pages = {}
        for name in ("alice", "bob"):
            p = pages[name] = self.page_for(name)
            self.go(p, book)
            p.click("text=Book a seat")
            p.wait_for_selector("text=Booked.")
            self.assertIn("Your booking: confirmed", self.status_text(p))
        self.screenshot(pages["bob"], "student-booked")
        c = pages["carol"] = self.page_for("carol")
        self.go(c, book)
        self.assertIn("0 of 2 seats left", self.status_text(c))
        c.click("text=Join the waitlist")
        c.wait_for_selector("text=position 1 on the waitlist")
        self.screenshot(c, "student-waitlisted")
        self.go(t, "/teacher/schedule/")
        self.assertIn("Carol: waitlisted #1", self.status_text(t))
        self.screenshot(t, "teacher-schedule-full")
        # Alice cancels; Carol is promoted.
        a = pages["alice"]
        self.go(a, "/student/my-bookings/")
        self.screenshot(a, "student-my-bookings")
        a.click("tr.session >> text=Cancel")
        a.wait_for_selector("text=Booking cancelled.")
        self.go(c, book)
        self.assertIn("Your booking: confirmed", self.status_text(c))
        self.screenshot(c, "student-promoted")

        # --- a 1:1 lesson that needs approval ------------------------------------------------
        b = pages["bob"]
        self.go(b, f"/student/courses/{self.course.id}/book-one-on-one/")
        self.screenshot(b, "student-book-one-on-one")
        b.click("tr.occurrence >> nth=0 >> button")
        b.wait_for_selector("text=The teacher will confirm the lesson.")
        lesson = models.Lesson.objects.get()
        self.assertEqual(lesson.status, "pending")
        self.go(t, "/teacher/one-on-one-bookings/")
        self.assertIn("Bob", self.status_text(t))
        self.screenshot(t, "teacher-approval-queue")
        t.fill("tr.pending input[name=meeting_link]", "https://meet.example.com/bob")
        t.click("tr.pending >> text=Approve")
        t.wait_for_selector("text=Lesson approved.")
        self.screenshot(t, "teacher-approved")
        lesson.refresh_from_db()
        self.assertEqual((lesson.status, lesson.meeting_link), ("confirmed", "https://meet.example.com/bob"))
        self.go(b, "/student/my-bookings/")
        self.assertIn("confirmed", b.inner_text("tr.lesson"))
        self.screenshot(b, "student-lesson-confirmed")

        # --- a student in New York sees the occurrences at New York's local time -------------
        d = self.page_for("dana")
        self.go(d, f"/student/courses/{self.course.id}/book-one-on-one/")
        self.screenshot(d, "student-other-zone")
        shown = d.inner_text("tr.occurrence >> nth=0 >> td.local-start")
        slot_day = day + timedelta(days=1)
        # The first free occurrence: the weekly slot's first date not booked by Bob.
        starts = sorted(
            datetime.combine(slot_day - timedelta(days=7 * k), time(16), tzinfo=madrid)
            for k in range(0, 3)
            if datetime.combine(slot_day - timedelta(days=7 * k), time(16), tzinfo=madrid) > datetime.now(madrid)
        )
        free = [s for s in starts if s != lesson.starts_at] + [
            datetime.combine(slot_day + timedelta(days=7), time(16), tzinfo=madrid)
        ]
        expected = free[0].astimezone(zoneinfo.ZoneInfo("America/New_York"))
        self.assertTrue(shown.startswith(expected.strftime("%a %-d %b %Y %H:%M")), (shown, expected))
        self.assertIn("America/New_York", self.status_text(d))
