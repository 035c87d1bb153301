"""A reusable Django app over the booking engine (``booking_engine``).

The engine decides every booking rule; this app maps Django users to the engine's ids,
stores the engine's documents in Django models (:mod:`.store`), renders the pages, and
offers admin actions and management commands that go through the engine. See README.md.
"""

__version__ = "0.1.0"
