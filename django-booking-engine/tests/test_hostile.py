"""No page answers a server error for any input a browser can send."""

from __future__ import annotations

import uuid

import booking_engine as booking
from django.urls import URLPattern, get_resolver, reverse

from .base import BookingCase

GARBAGE = [
    {},
    {"capacity": "-1", "attended": "", "active": "maybe", "meeting_link": "javascript:alert(1)", "reason": "x" * 5000},
    {"title": "\x00", "starts_at": "9999-99-99T99:99", "time_zone": "../../etc/passwd", "duration_minutes": "1e9",
     "meeting_link": "https://" + "a" * 3000 + ".example", "capacity": "99999999999999999999", "waitlist_mode": "offer",
     "hold_minutes": "0", "course": str(uuid.uuid4())},
    {"slot": str(uuid.uuid4()), "starts_at": "2030-05-06T14:00:00+25:00", "weeks": "0"},
    {"slot": str(uuid.uuid4()), "starts_at": "2030-05-06T14:00:00+00:00", "weeks": "52"},
    {"form": "weekly", "weekly-weekday": "-1", "weekly-start_time": "x", "weekly-valid_from": "0000-00-00"},
    {"form": "once", "once-start": "2030-05-10T12:00", "once-end": "2030-05-10T12:00", "once-time_zone": "UTC"},
    {"form": "off", "off-first_day": "2030-05-22", "off-last_day": "2030-05-20", "off-time_zone": "UTC"},
    {"form": "rules", "rules-max_advance_days": "999999999999"},
    {"next": "https://evil.example/"},
]


class HostileInputTests(BookingCase):
    def test_every_url_with_garbage_as_every_role(self) -> None:
        s = self.create_session(capacity=1)
        seat = self.book(s, self.s1)
        ids = [str(s.id), str(seat.id), str(uuid.uuid4()), str(self.course.id)]
        patterns = [p for p in get_resolver("django_booking_engine.urls").url_patterns if isinstance(p, URLPattern)]
        before = None
        for user in (self.s2, self.other_teacher, self.teacher):
            if user == self.teacher:
                # Nothing a student or another teacher sent touched the session.
                self.assertEqual(self.engine.session(booking.Actor.system(), s.id).capacity, 1)
                self.assertIs(self.engine.seat_booking(booking.Actor.system(), seat.id).status, booking.SeatStatus.CONFIRMED)
                before = self.snapshot()
            self.login(user)
            for pattern in patterns:
                name = "booking_engine:" + pattern.name
                args_count = len(pattern.pattern.converters)
                for id in ids if args_count else [None]:
                    url = reverse(name, args=[id] if id else [])
                    for method, datas in (("get", [{}]), ("post", GARBAGE)):
                        for data in datas:
                            response = getattr(self.client, method)(url, data)
                            self.assertLess(response.status_code, 500, (user.username, method, url, data))
        # The session's own teacher could cancel it (an empty form is a valid cancel).
        self.assertNotEqual(self.snapshot(), before)
