"""Every page over HTTP: forms with valid and invalid input, refusals as messages."""

from __future__ import annotations

from datetime import timedelta

import booking_engine as booking
from django.test import override_settings
from django.urls import reverse

from django_booking_engine import models
from django_booking_engine.users import time_zone_of

from .base import NOW, BookingCase


class TeacherScheduleTests(BookingCase):
    url = reverse("booking_engine:teacher-schedule")

    def post_session(self, **over: str) -> object:
        data = {
            "title": "Conversation club", "course": str(self.course.id), "starts_at": "2030-05-03T18:00",
            "time_zone": "Europe/Madrid", "duration_minutes": "60", "meeting_link": "https://meet.example.com/c",
            "capacity": "3", "waitlist_enabled": "on", "waitlist_mode": "offer", "hold_minutes": "30",
        }
        data.update(over)
        return self.client.post(self.url, data, follow=True)

    def test_create_valid(self) -> None:
        self.login(self.teacher)
        response = self.post_session()
        self.assertContains(response, "Session created.")
        row = models.GroupSession.objects.get()
        self.assertEqual((row.title, row.total_seats, row.enable_waitlist, row.time_zone), ("Conversation club", 3, True, "Europe/Madrid"))
        self.assertEqual(row.starts_at, NOW.replace(day=3, hour=16))  # 18:00 in Madrid (CEST)
        self.assertEqual(row.teacher_id, self.eid(self.teacher))
        self.assertEqual(self.engine.session(booking.Actor.system(), row.id).waitlist_mode, booking.WaitlistMode.offer(30))
        self.assertContains(response, "0/3")

    def test_create_invalid_changes_nothing(self) -> None:
        self.login(self.teacher)
        before = self.snapshot()
        for bad in (
            {"title": ""}, {"time_zone": "Mars/Olympus"}, {"capacity": "0"}, {"capacity": "many"},
            {"meeting_link": "not a link"}, {"starts_at": "tomorrow"}, {"duration_minutes": "-5"},
            {"course": "x"}, {"waitlist_mode": "offer", "hold_minutes": ""},
        ):
            response = self.post_session(**bad)
            self.assertEqual(response.status_code, 200, bad)
            self.assertNotContains(response, "Session created.")
            self.assertTrue(self.messages_of(response), bad)
        self.assertEqual(self.snapshot(), before)

    def test_engine_refusal_is_a_message(self) -> None:
        self.login(self.teacher)
        response = self.post_session(starts_at="2030-04-01T10:00")  # before the clock's now
        self.assertContains(response, "That start time is in the past.")
        self.assertFalse(models.GroupSession.objects.exists())

    def test_capacity_cancel_and_attendance(self) -> None:
        s = self.create_session(capacity=2)
        b = self.book(s, self.s1)
        self.login(self.teacher)
        cap = reverse("booking_engine:teacher-session-capacity", args=[s.id])
        self.assertContains(self.client.post(cap, {"capacity": "5"}, follow=True), "Capacity changed.")
        self.assertEqual(self.engine.session(booking.Actor.system(), s.id).capacity, 5)
        before = self.snapshot()
        for bad in ("0", "x", ""):
            self.assertEqual(self.client.post(cap, {"capacity": bad}, follow=True).status_code, 200)
        self.assertEqual(self.snapshot(), before)
        att = reverse("booking_engine:teacher-attendance", args=[b.id])
        self.assertContains(self.client.post(att, {"attended": "yes"}, follow=True), "The session has not started yet.")
        self.clock.set(s.starts_at + timedelta(minutes=5))
        response = self.client.get(self.url)
        self.assertContains(response, "No-show")
        self.assertContains(self.client.post(att, {"attended": "maybe"}, follow=True), "Select a valid choice")
        self.assertContains(self.client.post(att, {"attended": "yes"}, follow=True), "Attendance marked.")
        self.assertIs(self.engine.seat_booking(booking.Actor.system(), b.id).status, booking.SeatStatus.ATTENDED)
        s2 = self.create_session(starts_at=NOW + timedelta(days=9))
        cancel = reverse("booking_engine:teacher-session-cancel", args=[s2.id])
        self.assertContains(self.client.post(cancel, follow=True), "Session cancelled.")
        self.assertTrue(self.engine.session(booking.Actor.system(), s2.id).is_cancelled)

    def test_teacher_sees_names_waitlist_and_offers(self) -> None:
        s = self.create_session(capacity=1, waitlist_mode=booking.WaitlistMode.offer(30))
        b1 = self.book(s, self.s1)
        self.book(s, self.s2)
        self.book(s, self.s3)
        self.engine.cancel_booking(booking.Actor.student(self.eid(self.s1)), b1.id)
        self.login(self.teacher)
        response = self.client.get(self.url)
        self.assertContains(response, "Bob: offered")
        self.assertContains(response, "Carol: waitlisted #1")
        self.assertContains(response, "offer until")


class StudentBookSessionTests(BookingCase):
    def url(self, s: booking.GroupSession) -> str:
        return reverse("booking_engine:student-book-session", args=[s.id])

    def test_book_to_capacity_waitlist_cancel_promotion(self) -> None:
        s = self.create_session(capacity=1)
        self.login(self.s1)
        response = self.client.get(self.url(s))
        self.assertContains(response, '<span class="seats-left">1</span>')
        self.assertContains(self.client.post(self.url(s), follow=True), "Booked.")
        self.assertContains(self.client.get(self.url(s)), "<strong>confirmed</strong>")
        self.assertContains(self.client.post(self.url(s), follow=True), "You already have a booking for this.")
        self.login(self.s2)
        self.assertContains(self.client.get(self.url(s)), "Join the waitlist")
        self.client.post(self.url(s))
        response = self.client.get(self.url(s))
        self.assertContains(response, "<strong>waitlisted</strong> (position 1 on the waitlist)")
        self.assertNotContains(response, "Alice")  # never another student's name
        mine = self.engine.session(booking.Actor.system(), s.id).active_booking_of(self.eid(self.s1))
        self.login(self.s1)
        cancel = reverse("booking_engine:student-seat-cancel", args=[mine.id])
        self.assertContains(self.client.post(cancel, {"next": self.url(s)}, follow=True), "Booking cancelled.")
        self.login(self.s2)
        self.assertContains(self.client.get(self.url(s)), "<strong>confirmed</strong>")

    def test_full_without_waitlist_and_unknown_session(self) -> None:
        s = self.create_session(capacity=1, waitlist=False)
        self.book(s, self.s1)
        self.login(self.s2)
        response = self.client.get(self.url(s))
        self.assertContains(response, "Booking is closed.")
        self.assertContains(self.client.post(self.url(s), follow=True), "The session is full.")
        self.assertEqual(self.client.get("/student/sessions/00000000-0000-0000-0000-000000000000/book/").status_code, 404)
        self.assertEqual(self.client.get("/student/sessions/nope/book/").status_code, 404)

    def test_offer_accept_and_decline(self) -> None:
        s = self.create_session(capacity=1, waitlist_mode=booking.WaitlistMode.offer(30))
        b1 = self.book(s, self.s1)
        self.book(s, self.s2)
        self.book(s, self.s3)
        self.engine.cancel_booking(booking.Actor.student(self.eid(self.s1)), b1.id)
        offered = self.engine.session(booking.Actor.system(), s.id).active_booking_of(self.eid(self.s2))
        self.login(self.s2)
        self.assertContains(self.client.get(self.url(s)), "Accept the seat")
        decline = reverse("booking_engine:student-seat-decline", args=[offered.id])
        self.assertContains(self.client.post(decline, {"next": self.url(s)}, follow=True), "Offer declined.")
        offered3 = self.engine.session(booking.Actor.system(), s.id).active_booking_of(self.eid(self.s3))
        self.assertIs(offered3.status, booking.SeatStatus.OFFERED)
        self.login(self.s3)
        accept = reverse("booking_engine:student-seat-accept", args=[offered3.id])
        self.clock.advance(timedelta(minutes=31))
        self.assertContains(self.client.post(accept, follow=True), "The seat offer has expired.")


class AvailabilityTests(BookingCase):
    url = reverse("booking_engine:teacher-availability")

    def test_weekly_one_time_time_off_rules(self) -> None:
        self.login(self.teacher)
        ok = self.client.post(self.url, {
            "form": "weekly", "weekly-weekday": "0", "weekly-start_time": "16:00", "weekly-end_time": "17:00",
            "weekly-valid_from": "2030-05-01", "weekly-valid_until": "", "weekly-time_zone": "Europe/Madrid",
            "weekly-course": str(self.course.id),
        }, follow=True)
        self.assertContains(ok, "Weekly slot published.")
        self.assertContains(ok, "Every Monday 16:00–17:00")
        ok = self.client.post(self.url, {
            "form": "once", "once-start": "2030-05-10T12:00", "once-end": "2030-05-10T13:00", "once-time_zone": "Asia/Tokyo",
            "once-course": "",
        }, follow=True)
        self.assertContains(ok, "One-time slot published.")
        self.assertEqual(models.Slot.objects.count(), 2)
        ok = self.client.post(self.url, {
            "form": "off", "off-first_day": "2030-05-20", "off-last_day": "2030-05-22", "off-time_zone": "Europe/Madrid",
            "off-note": "holiday",
        }, follow=True)
        self.assertContains(ok, "Time off added.")
        ok = self.client.post(self.url, {"form": "rules", "rules-min_notice_minutes": "120", "rules-cancel_cutoff_minutes": "60"}, follow=True)
        self.assertContains(ok, "Scheduling rules saved.")
        cal = self.engine.calendar(booking.Actor.system(), self.eid(self.teacher))
        self.assertEqual(cal.rules.min_notice_minutes, 120)
        self.assertEqual(len(cal.time_off), 1)
        slot = cal.slots[0]
        active = reverse("booking_engine:teacher-slot-active", args=[slot.id])
        self.assertContains(self.client.post(active, {"active": "no"}, follow=True), "Slot updated.")
        self.assertFalse(self.engine.slot(slot.id).active)
        remove = reverse("booking_engine:teacher-time-off-remove", args=[cal.time_off[0].id])
        self.assertContains(self.client.post(remove, follow=True), "Time off removed.")

    def test_invalid_changes_nothing(self) -> None:
        self.login(self.teacher)
        before = self.snapshot()
        for data in (
            {"form": "weekly", "weekly-weekday": "9", "weekly-start_time": "16:00", "weekly-end_time": "17:00",
             "weekly-valid_from": "2030-05-01", "weekly-time_zone": "Europe/Madrid"},
            {"form": "weekly", "weekly-weekday": "0", "weekly-start_time": "25:00", "weekly-end_time": "17:00",
             "weekly-valid_from": "2030-05-01", "weekly-time_zone": "Europe/Madrid"},
            {"form": "once", "once-start": "x", "once-end": "2030-05-10T13:00", "once-time_zone": "UTC"},
            {"form": "off", "off-first_day": "2030-13-01", "off-last_day": "2030-05-22", "off-time_zone": "UTC"},
            {"form": "rules", "rules-min_notice_minutes": "-1"},
            {"form": "nothing"},
            {},
        ):
            response = self.client.post(self.url, data, follow=True)
            self.assertEqual(response.status_code, 200, data)
            self.assertTrue(self.messages_of(response), data)
        self.assertEqual(self.snapshot(), before)

    def test_engine_refusal(self) -> None:
        self.login(self.teacher)
        response = self.client.post(self.url, {
            "form": "once", "once-start": "2030-05-10T13:00", "once-end": "2030-05-10T12:00", "once-time_zone": "UTC",
        }, follow=True)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(models.Slot.objects.exists())
        self.assertTrue(self.messages_of(response))


class OneOnOneTests(BookingCase):
    approval = True

    def url(self) -> str:
        return reverse("booking_engine:student-book-one-on-one", args=[self.course.id])

    def first_occurrence(self) -> booking.BookableOccurrence:
        return self.engine.list_occurrences(self.eid(self.teacher), NOW, NOW + timedelta(days=28), course_id=self.course.id)[0]

    def test_book_approve_decline_reschedule_cancel(self) -> None:
        self.publish_weekly()
        self.login(self.s1)
        page = self.client.get(self.url())
        self.assertContains(page, "Mon 6 May 2030 14:00")  # 16:00 Madrid shown in UTC, the default zone
        o = self.first_occurrence()
        booked = self.client.post(self.url(), {"slot": str(o.slot_id), "starts_at": o.starts_at.isoformat(), "weeks": "1"}, follow=True)
        self.assertContains(booked, "Lesson booked.")
        self.assertContains(booked, "The teacher will confirm the lesson.")
        lesson = models.Lesson.objects.get()
        self.assertEqual(lesson.status, "pending")
        self.login(self.teacher)
        manage = reverse("booking_engine:teacher-one-on-one")
        self.assertContains(self.client.get(manage), "Alice")
        approve = reverse("booking_engine:teacher-lesson-approve", args=[lesson.id])
        self.assertContains(self.client.post(approve, {"meeting_link": "not a url"}, follow=True), "Enter a valid URL")
        self.assertEqual(models.Lesson.objects.get().status, "pending")
        self.assertContains(self.client.post(approve, {"meeting_link": "https://meet.example.com/1on1"}, follow=True), "Lesson approved.")
        self.assertEqual(models.Lesson.objects.get().meeting_link, "https://meet.example.com/1on1")
        # The confirmed lesson is listed with its link, read from the engine's agenda.
        self.assertContains(self.client.get(manage), 'href="https://meet.example.com/1on1"')
        # Reschedule to the next week's occurrence, from the teacher's page.
        resched = reverse("booking_engine:teacher-lesson-reschedule", args=[lesson.id])
        self.assertEqual(self.client.get(resched).status_code, 200)
        nxt = [x for x in self.engine.list_occurrences(self.eid(self.teacher), NOW, NOW + timedelta(days=28), course_id=self.course.id) if x.starts_at > o.starts_at][0]
        self.assertContains(self.client.post(resched, {"slot": str(nxt.slot_id), "starts_at": nxt.starts_at.isoformat()}, follow=True), "Lesson moved.")
        self.assertEqual(self.engine.lesson(booking.Actor.system(), lesson.id).starts_at, nxt.starts_at)
        self.assertContains(self.client.post(resched, {"slot": "x", "starts_at": "y"}, follow=True), "Enter a valid UUID")
        cancel = reverse("booking_engine:teacher-lesson-cancel", args=[lesson.id])
        self.assertContains(self.client.post(cancel, follow=True), "Lesson cancelled.")
        # A second request, declined with a reason.
        self.login(self.s2)
        self.client.post(self.url(), {"slot": str(o.slot_id), "starts_at": o.starts_at.isoformat()})
        second = models.Lesson.objects.get(student_id=self.eid(self.s2))
        self.login(self.teacher)
        decline = reverse("booking_engine:teacher-lesson-decline", args=[second.id])
        self.assertContains(self.client.post(decline, {"reason": "Not that week"}, follow=True), "Lesson declined.")
        self.assertEqual(self.engine.lesson(booking.Actor.system(), second.id).status, booking.LessonStatus.DECLINED)

    def test_series_and_invalid_input(self) -> None:
        self.publish_weekly()
        self.login(self.s1)
        o = self.first_occurrence()
        before = self.snapshot()
        for bad in ({"slot": "x", "starts_at": o.starts_at.isoformat()}, {"slot": str(o.slot_id), "starts_at": "soon"},
                    {"slot": str(o.slot_id), "starts_at": "2030-05-06T14:00"}, {"slot": str(o.slot_id), "starts_at": o.starts_at.isoformat(), "weeks": "99"}, {}):
            response = self.client.post(self.url(), bad, follow=True)
            self.assertEqual(response.status_code, 200)
            self.assertTrue(self.messages_of(response), bad)
        self.assertEqual(self.snapshot(), before)
        response = self.client.post(self.url(), {"slot": str(o.slot_id), "starts_at": (o.starts_at + timedelta(minutes=7)).isoformat()}, follow=True)
        self.assertContains(response, "That time is not offered by the teacher.")
        response = self.client.post(self.url(), {"slot": str(o.slot_id), "starts_at": o.starts_at.isoformat(), "weeks": "3"}, follow=True)
        self.assertContains(response, "Weekly lessons booked.")
        self.assertEqual(models.Lesson.objects.filter(student_id=self.eid(self.s1)).count(), 3)

    def test_not_enrolled_and_unknown_course(self) -> None:
        self.publish_weekly()
        outsider = self.s3
        models.Enrollment.objects.filter(student=outsider).delete()
        self.login(outsider)
        page = self.client.get(self.url())
        self.assertContains(page, "You are not enrolled in this course.")
        self.assertNotContains(page, 'class="occurrence"')
        o = self.first_occurrence()
        response = self.client.post(self.url(), {"slot": str(o.slot_id), "starts_at": o.starts_at.isoformat()}, follow=True)
        self.assertContains(response, "You are not enrolled in this course.")
        self.assertEqual(self.client.get("/student/courses/00000000-0000-0000-0000-000000000000/book-one-on-one/").status_code, 404)


class MyBookingsTests(BookingCase):
    approval = False
    url = reverse("booking_engine:student-my-bookings")

    def test_lists_cancels_and_calendar_file(self) -> None:
        s = self.create_session(capacity=2)
        seat = self.book(s, self.s1)
        self.publish_weekly()
        o = self.engine.list_occurrences(self.eid(self.teacher), NOW, NOW + timedelta(days=28), course_id=self.course.id)[0]
        lesson = self.engine.book_lesson(booking.Actor.student(self.eid(self.s1)), o.slot_id, o.starts_at, self.eid(self.s1)).value
        self.assertIs(lesson.status, booking.LessonStatus.CONFIRMED)
        self.login(self.s1)
        page = self.client.get(self.url)
        self.assertContains(page, "Conversation")
        self.assertContains(page, "1:1 lesson")
        ics = self.client.get(reverse("booking_engine:student-booking-ical", args=[seat.id]))
        self.assertEqual(ics["Content-Type"], "text/calendar; charset=utf-8")
        self.assertIn(b"BEGIN:VCALENDAR", ics.content)
        self.assertEqual(self.client.get(reverse("booking_engine:student-booking-ical", args=[lesson.id])).status_code, 200)
        self.assertContains(self.client.post(reverse("booking_engine:student-lesson-cancel", args=[lesson.id]), follow=True), "Lesson cancelled.")
        self.assertContains(self.client.post(reverse("booking_engine:student-seat-cancel", args=[seat.id]), follow=True), "Booking cancelled.")
        self.clock.set(NOW + timedelta(days=10))
        page = self.client.get(self.url)
        self.assertContains(page, "cancelled")
        # The agenda keeps cancelled lessons; a cancelled seat leaves its session's document.
        self.assertEqual([i["kind"] for i in page.context["past"]], ["lesson"])

    def test_time_zone_page(self) -> None:
        self.login(self.s1)
        tz = reverse("booking_engine:time-zone")
        self.assertContains(self.client.post(tz, {"time_zone": "Nowhere/Land"}, follow=True), "Unknown time zone.")
        self.assertContains(self.client.post(tz, {"time_zone": "Asia/Tokyo"}, follow=True), "Time zone saved.")
        self.assertEqual(models.BookingUser.objects.get(user=self.s1).time_zone, "Asia/Tokyo")
        s = self.create_session()
        page = self.client.get(reverse("booking_engine:student-book-session", args=[s.id]))
        self.assertContains(page, "Fri 3 May 2030 17:00")  # 08:00 UTC in Tokyo
        self.assertContains(self.client.get(reverse("booking_engine:home")), "Conversation")


def profile_zone(user: object) -> object:
    """A host's TIME_ZONE_HOOK: the zone its own profile keeps (here: the user's last name)."""
    return getattr(user, "last_name", None)


@override_settings(BOOKING_ENGINE={"TIME_ZONE_HOOK": "tests.test_pages.profile_zone", "DEFAULT_TIME_ZONE": "America/New_York"})
class TimeZoneHookTests(BookingCase):
    def test_the_hosts_zone_and_a_fallback_for_an_unknown_name(self) -> None:
        s = self.create_session()
        page = reverse("booking_engine:student-book-session", args=[s.id])
        self.s1.last_name = "Asia/Tokyo"
        self.s1.save()
        self.login(self.s1)
        self.assertContains(self.client.get(page), "Fri 3 May 2030 17:00")  # 08:00 UTC in Tokyo
        for unknown in ["Nowhere/Land", "", "../../etc/passwd", "Asia/Tokyo "]:
            with self.subTest(zone=unknown):
                self.s1.last_name = unknown
                self.s1.save()
                self.assertEqual(time_zone_of(self.s1), "America/New_York")
                self.assertContains(self.client.get(page), "Fri 3 May 2030 04:00")  # in New York

    def test_the_page_shows_the_zone_and_changes_nothing(self) -> None:
        self.s1.last_name = "Asia/Tokyo"
        self.s1.save()
        self.login(self.s1)
        tz = reverse("booking_engine:time-zone")
        page = self.client.get(tz)
        self.assertContains(page, "Times are shown in Asia/Tokyo.")
        self.assertContains(page, "set in your profile")
        self.assertNotContains(page, "<form method")
        self.assertEqual(self.client.post(tz, {"time_zone": "Europe/Madrid"}).status_code, 405)
        self.assertEqual(models.BookingUser.objects.get(user=self.s1).time_zone, "")


class MyBookingsOfferTests(BookingCase):
    def test_waitlist_position_and_an_offer_answered_from_my_bookings(self) -> None:
        s = self.create_session(capacity=1, waitlist_mode=booking.WaitlistMode.offer(30))
        first = self.book(s, self.s1)
        self.book(s, self.s2)
        self.book(s, self.s3)
        url = reverse("booking_engine:student-my-bookings")
        self.login(self.s3)
        self.assertContains(self.client.get(url), "waitlisted (#2 on the waitlist)")
        self.engine.cancel_booking(booking.Actor.student(self.eid(self.s1)), first.id)
        self.login(self.s2)
        page = self.client.get(url)
        self.assertContains(page, "offered")
        offered = self.engine.session(booking.Actor.system(), s.id).active_booking_of(self.eid(self.s2))
        self.assertContains(page, reverse("booking_engine:student-seat-accept", args=[offered.id]))
        response = self.client.post(reverse("booking_engine:student-seat-accept", args=[offered.id]), follow=True)
        self.assertContains(response, "Offer accepted: the seat is yours.")
        self.assertContains(response, "meeting link")
        self.assertIs(self.engine.seat_booking(booking.Actor.system(), offered.id).status, booking.SeatStatus.CONFIRMED)
