"""Per-call cost of one booking from Python: ``engine.book_seat`` on the in-memory store.

Many sessions with plenty of seats, so no booking is refused and no session grows large;
every call books a new student into the next session in turn. Prints the median of
``--repeats`` timeit runs of ``--number`` calls each, per call.

    python booking-py/bench/book_seat.py [--number 10000] [--repeats 7] [--store memory|python]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import timeit
import uuid
from datetime import datetime, timedelta, timezone

import booking


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--number", type=int, default=10_000, help="calls per timing run")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--sessions", type=int, default=16_000)
    parser.add_argument("--store", choices=["memory", "python"], default="memory")
    args = parser.parse_args()

    store = booking.InMemoryStore() if args.store == "memory" else booking.MemoryDocumentStore()
    engine = booking.Engine(store)
    teacher = uuid.uuid4()
    total = args.number * (args.repeats + 1)
    capacity = min(10_000, total // args.sessions + 2)
    sessions = [
        engine.create_session(
            booking.Actor.system(),
            teacher_id=teacher,
            title=f"s{i}",
            starts_at=datetime.now(timezone.utc) + timedelta(days=30),
            time_zone="UTC",
            duration_minutes=60,
            meeting_link="https://meet.example.com/bench",
            capacity=capacity,
        ).value.id
        for i in range(args.sessions)
    ]
    if total > capacity * args.sessions:
        raise SystemExit("not enough seats: raise --sessions")
    students = (uuid.UUID(int=n) for n in itertools.count(1))
    next_session = itertools.cycle(sessions).__next__
    system = booking.Actor.system()
    book = engine.book_seat

    def one() -> None:
        book(system, next_session(), next(students))

    timer = timeit.Timer(one)
    timer.timeit(number=args.number)  # warm-up
    runs = [t / args.number for t in timer.repeat(repeat=args.repeats, number=args.number)]
    median = statistics.median(runs)
    # For scale: the cheapest call into the native module (no engine work, no GIL release).
    now = engine.now
    floor = statistics.median(t / args.number for t in timeit.Timer(now).repeat(repeat=args.repeats, number=args.number))
    print(
        f"book_seat ({args.store} store, {args.sessions} sessions of {capacity} seats): "
        f"median {median * 1e6:.2f} us/call over {args.repeats} runs of {args.number} "
        f"(min {min(runs) * 1e6:.2f}, max {max(runs) * 1e6:.2f}); engine.now() for scale: {floor * 1e6:.2f} us/call"
    )


if __name__ == "__main__":
    main()
