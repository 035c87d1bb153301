"""``python manage.py expire_offers``: expire the seat offers that ran out and offer the seats
to the next in line. The engine runs no threads of its own: run this every minute (cron, a
systemd timer, a Celery beat task...). Running it late is safe: an offer past its deadline
can never be accepted, whatever this command has done so far."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from django.core.management.base import BaseCommand

from lessons.engine import get_engine


class Command(BaseCommand):
    help = "Expire seat offers that ran out and pass the seats on (run it every minute)."

    def handle(self, *args: Any, **options: Any) -> None:
        sweep = get_engine().process_expired_offers(datetime.now(timezone.utc))
        for event in sweep.events:
            self.stdout.write(f"{event.kind.value} session={event.session_id} booking={event.booking_id}")
        # A session that failed is unchanged and is tried again on the next run; the others
        # were processed all the same.
        for session_id, error in sweep.failures:
            self.stderr.write(f"session {session_id} not processed: {error.code} {error}")
        self.stdout.write(f"{len(sweep.events)} event(s), {len(sweep.failures)} session(s) failed")
