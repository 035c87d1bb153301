"""``manage.py expire_offers``: expires the seat offers that ran out and offers the seats on.

Run it every minute (cron, a systemd timer, Celery beat). A late run is harmless: the engine
refuses an offer past its deadline anyway.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ...engine import get_engine


class Command(BaseCommand):
    help = "Expire unanswered seat offers and offer the seats to the next in line."

    def handle(self, *args: Any, **options: Any) -> None:
        engine = get_engine()
        sweep = engine.process_expired_offers(engine.now())
        for session_id, error in sweep.failures:
            self.stderr.write(f"session {session_id}: {error.code}: {error}")
        self.stdout.write(f"{len(sweep.events)} events, {len(sweep.failures)} sessions failed")
        if sweep.failures:
            raise CommandError("some sessions could not be processed; the next run tries them again")
