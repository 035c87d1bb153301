"""Per-call cost of one booking from Python: ``engine.book_seat`` on the in-memory store.

Many sessions with plenty of seats, so no booking is refused and no session grows large;
call ``k`` books a new student (``UUID(int=k + 1)``) into session ``k % sessions`` as
``Actor.system()``, without a key: the same workload as the Rust side,
``benches/src/bin/call_cost.rs`` (``benches/bindings/python-vs-rust`` runs both side by side).

Every argument is made before any timing (lists of ``uuid.UUID``s), so a timed run is only

    for session, student in zip(sessions, students):
        book(system, session, student)

One warm-up run, then ``--repeats`` runs of ``--number`` calls; the figure is the median run.
The same loop with ``pass`` instead of the call is timed the same way: its median is the
loop's own overhead (iteration and unpacking), and **call cost = measured - loop overhead**.
The call cost includes everything a Python caller pays for the call: the method lookup and
dispatch, converting the arguments, releasing and retaking the GIL, the engine's work, and
making and freeing the receipt.

    python booking-py/bench/book_seat.py [--sessions 16000] [--number 10000] [--repeats 7] [--store memory|python]

The last line is machine-readable (``key=value``, times in ns per call)::

    RESULT lang=python bench=book_seat store=memory call_ns=... measured_ns=... loop_ns=... min_ns=... max_ns=... ...
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import uuid
from datetime import datetime, timedelta, timezone

import booking_engine as booking


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=16_000)
    parser.add_argument("--number", type=int, default=10_000, help="calls per timing run")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--store", choices=["memory", "python"], default="memory")
    args = parser.parse_args()
    sessions_count, number, repeats = max(1, args.sessions), max(1, args.number), max(1, args.repeats)

    store = booking.InMemoryStore() if args.store == "memory" else booking.MemoryDocumentStore()
    engine = booking.Engine(store)
    teacher = uuid.UUID(int=2**128 - 1)
    total = number * (repeats + 1)
    capacity = min(10_000, total // sessions_count + 2)
    if total > capacity * sessions_count:
        raise SystemExit("not enough seats: raise --sessions")
    system = booking.Actor.system()
    sessions = [
        engine.create_session(
            system,
            teacher_id=teacher,
            title=f"s{i}",
            starts_at=datetime.now(timezone.utc) + timedelta(days=30),
            time_zone="UTC",
            duration_minutes=60,
            meeting_link="https://meet.example.com/bench",
            capacity=capacity,
        ).value.id
        for i in range(sessions_count)
    ]
    # Every call's arguments, made up front: run r makes calls r * number ... (r + 1) * number - 1.
    runs = [
        (
            [sessions[k % sessions_count] for k in range(r * number, (r + 1) * number)],
            [uuid.UUID(int=k + 1) for k in range(r * number, (r + 1) * number)],
        )
        for r in range(repeats + 1)
    ]
    book = engine.book_seat

    def calls(run_sessions: list[uuid.UUID], run_students: list[uuid.UUID]) -> int:
        started = time.perf_counter_ns()
        for session, student in zip(run_sessions, run_students):
            book(system, session, student)
        return time.perf_counter_ns() - started

    def empty(run_sessions: list[uuid.UUID], run_students: list[uuid.UUID]) -> int:
        started = time.perf_counter_ns()
        for session, student in zip(run_sessions, run_students):
            pass
        return time.perf_counter_ns() - started

    gc.collect()
    calls(*runs[0])  # warm-up; each run's bookings can be made only once
    measured = sorted(calls(*run) / number for run in runs[1:])
    loop = sorted(empty(*run) / number for run in runs[1:])
    median, loop_median = statistics.median(measured), statistics.median(loop)
    call = median - loop_median
    # For scale: the cheapest call into the native module (no argument, no engine work, no
    # GIL release), timed the same way.
    now = engine.now
    floor = []
    for _ in range(repeats):
        started = time.perf_counter_ns()
        for _ in range(number):
            now()
        floor.append((time.perf_counter_ns() - started) / number)
    print(
        f"book_seat (Python, {args.store} store, {sessions_count} sessions of {capacity} seats): "
        f"call cost {call / 1000:.2f} us/call = measured {median / 1000:.2f} - loop overhead {loop_median / 1000:.3f} "
        f"(medians of {repeats} runs of {number}; measured min {measured[0] / 1000:.2f}, max {measured[-1] / 1000:.2f}); "
        f"engine.now() for scale: {statistics.median(floor) / 1000:.2f} us/call"
    )
    print(
        f"RESULT lang=python bench=book_seat store={args.store} call_ns={call:.1f} measured_ns={median:.1f} "
        f"loop_ns={loop_median:.1f} min_ns={measured[0]:.1f} max_ns={measured[-1]:.1f} "
        f"number={number} repeats={repeats} sessions={sessions_count} capacity={capacity}"
    )


if __name__ == "__main__":
    main()
