"""``manage.py relay_outbox``: POSTs the outbox's events to ``BOOKING_ENGINE["WEBHOOK_URL"]``.

Each event, oldest first, is one POST of the engine's event JSON (``Content-Type:
application/json``) with the headers

- ``X-Booking-Event-Id``: the outbox row's id (receivers de-duplicate on it: delivery is at
  least once);
- ``X-Booking-Event-Kind``: the event kind;
- ``X-Booking-Signature``: ``sha256=`` and the hex HMAC-SHA256 of the body under
  ``WEBHOOK_SECRET``.

An event is acknowledged (marked sent) only after a 2xx answer. Anything else is retried
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

from ...conf import setting
from ...models import OutboxEvent


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
        sent = 0
        for event in OutboxEvent.objects.filter(sent=False).order_by("id")[: options["limit"]]:
            body = event.payload.encode()
            headers = {
                "Content-Type": "application/json",
                "X-Booking-Event-Id": str(event.id),
                "X-Booking-Event-Kind": event.kind,
                "X-Booking-Signature": signature(str(secret), body),
            }
            pause = options["backoff"]
            for attempt in range(1, retries + 1):
                try:
                    status = post(str(url), body, headers, timeout)
                    error = "" if 200 <= status < 300 else f"HTTP {status}"
                except OSError as e:
                    error = f"{type(e).__name__}: {e}"
                OutboxEvent.objects.filter(pk=event.pk).update(attempts=event.attempts + attempt, last_error=error)
                if not error:
                    OutboxEvent.objects.filter(pk=event.pk).update(sent=True)
                    sent += 1
                    break
                if attempt < retries:
                    time.sleep(pause)
                    pause *= 2
            else:
                self.stdout.write(f"{sent} events sent")
                raise CommandError(f"event {event.id} ({event.kind}) not delivered after {retries} attempts: {error}")
        self.stdout.write(f"{sent} events sent")
