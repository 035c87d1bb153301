"""``manage.py relay_outbox``: POSTs the outbox's events to ``BOOKING_ENGINE["WEBHOOK_URL"]``.

It reads the engine's outbox (``engine.outbox``, in commit order) as the system. Each event is
one POST of the engine's event JSON (``Content-Type: application/json``) with the headers

- ``X-Booking-Event-Id``: the event's outbox position (grows in commit order, never reused;
  receivers de-duplicate on it: delivery is at least once);
- ``X-Booking-Event-Kind``: the event kind;
- ``X-Booking-Signature``: ``sha256=`` and the hex HMAC-SHA256 of the body under
  ``WEBHOOK_SECRET``.

An event is acknowledged (``engine.acknowledge_outbox``, which deletes it) only after a 2xx
answer. Anything else is retried
``WEBHOOK_RETRIES`` times with a doubling pause; if it still fails the run stops there (so
events arrive in order), exits non-zero, and the next run starts from it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.error
import urllib.request
from typing import Any

from django.core.management.base import BaseCommand, CommandError

import booking_engine as booking

from ...conf import setting
from ...engine import get_engine


def signature(secret: str, body: bytes) -> str:
    """The ``X-Booking-Signature`` header's value for a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POSTs; returns the HTTP status (raises ``OSError`` on a network failure)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URL)
            return int(response.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


class Command(BaseCommand):
    help = "Send the outbox's events to the configured webhook (HMAC-signed, retried, acknowledged after a 2xx)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--limit", type=int, default=1000, help="events per run (default 1000)")
        parser.add_argument("--backoff", type=float, default=1.0, help="first pause between retries, seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        url = setting("WEBHOOK_URL")
        secret = setting("WEBHOOK_SECRET")
        if not url or not secret:
            raise CommandError('set BOOKING_ENGINE["WEBHOOK_URL"] and BOOKING_ENGINE["WEBHOOK_SECRET"]')
        if not str(url).startswith(("https://", "http://")):
            raise CommandError("WEBHOOK_URL must be an http(s) URL")
        retries = max(1, int(setting("WEBHOOK_RETRIES")))
        timeout = float(setting("WEBHOOK_TIMEOUT"))
        engine = get_engine()
        system = booking.Actor.system()
        sent = 0
        while sent < options["limit"]:
            entries = engine.outbox(system, after=0, limit=min(100, options["limit"] - sent))
            if not entries:
                break
            for entry in entries:
                self.deliver(entry, str(url), str(secret), retries, timeout, options["backoff"], sent)
                engine.acknowledge_outbox(system, entry.position)
                sent += 1
        self.stdout.write(f"{sent} events sent")

    def deliver(self, entry: Any, url: str, secret: str, retries: int, timeout: float, pause: float, sent: int) -> None:
        """POSTs one event until a 2xx answer, ``retries`` times at most (else CommandError)."""
        body = entry.event.to_json().encode()
        headers = {
            "Content-Type": "application/json",
            "X-Booking-Event-Id": str(entry.position),
            "X-Booking-Event-Kind": entry.event.kind.value,
            "X-Booking-Signature": signature(secret, body),
        }
        error = ""
        for attempt in range(1, retries + 1):
            try:
                status = post(url, body, headers, timeout)
                error = "" if 200 <= status < 300 else f"HTTP {status}"
            except OSError as e:
                error = f"{type(e).__name__}: {e}"
            if not error:
                return
            self.stderr.write(f"event {entry.position}: attempt {attempt}: {error}")
            if attempt < retries:
                time.sleep(pause)
                pause *= 2
        self.stdout.write(f"{sent} events sent")
        raise CommandError(f"event {entry.position} ({entry.event.kind.value}) not delivered after {retries} attempts: {error}")
