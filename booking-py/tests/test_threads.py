"""Python threads racing on one session: no overbooking, on every store; the GIL is released
while the engine works, and one engine is shared by every thread."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from conftest import create_session, new_id

import booking_engine as booking
from booking_engine import Actor, SeatStatus


def race(engine: booking.Engine, session: booking.GroupSession, students: list[uuid.UUID]) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(len(students))

    def attempt(student: uuid.UUID) -> None:
        start.wait()
        try:
            result = engine.book_seat(Actor.student(student), session.id, student).value.status.value
        except booking.SessionFullError:
            result = "full"
        with lock:
            outcomes[result] = outcomes.get(result, 0) + 1

    with ThreadPoolExecutor(max_workers=len(students)) as pool:
        list(pool.map(attempt, students))
    return outcomes


def test_threads_race_on_one_session(engine: booking.Engine, teacher: uuid.UUID) -> None:
    session = create_session(engine, teacher, 5)
    students = [new_id() for _ in range(24)]
    outcomes = race(engine, session, students)
    assert outcomes == {"confirmed": 5, "full": 19}
    final = engine.session(Actor.system(), session.id)
    assert final.booked_seats == 5 and len(final.bookings) == 5
    assert all(b.status is SeatStatus.CONFIRMED for b in final.bookings)


def test_threads_race_with_waitlist_keeps_order(engine: booking.Engine, teacher: uuid.UUID) -> None:
    session = create_session(engine, teacher, 3, waitlist=True)
    outcomes = race(engine, session, [new_id() for _ in range(12)])
    assert outcomes == {"confirmed": 3, "waitlisted": 9}
    final = engine.session(Actor.system(), session.id)
    assert [final.waitlist_position(b.id) for b in final.waitlist] == list(range(1, 10))


def test_threads_race_without_local_queueing(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    # Without the engine's in-process queue, threads race through the Python store's version
    # check like separate processes would: ConflictError makes the losers decide again.
    store = booking.MemoryDocumentStore()
    engine = booking.Engine(store, clock=clock, local_queueing=False)
    session = create_session(engine, teacher, 4)
    outcomes = race(engine, session, [new_id() for _ in range(16)])
    assert outcomes == {"confirmed": 4, "full": 12}


def test_a_thread_waiting_in_the_engine_does_not_hold_the_gil(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    # Thread A is inside the engine on session S (holding the engine's queue for S) and blocks
    # in the store until the main thread opens a gate. Thread B then books on S too, and waits
    # in Rust for A's turn to end. If B held the GIL while waiting, neither the main thread
    # (to open the gate) nor A (to finish its store call) could run: a deadlock. The engine
    # releases the GIL first, so both bookings complete.
    gate, entered = threading.Event(), threading.Event()

    class Gated(booking.MemoryDocumentStore):
        armed = False

        def load(self, kind: str, id: uuid.UUID) -> tuple[int, str] | None:
            if self.armed and threading.current_thread().name == "A":
                entered.set()
                gate.wait(10)
            return super().load(kind, id)

    store = Gated()
    engine = booking.Engine(store, clock=clock)
    session = create_session(engine, teacher, 5)
    store.armed = True
    done: list[str] = []

    def book(name: str) -> None:
        student = new_id()
        engine.book_seat(Actor.student(student), session.id, student)
        done.append(name)

    a = threading.Thread(target=book, args=("A",), name="A", daemon=True)
    b = threading.Thread(target=book, args=("B",), name="B", daemon=True)
    a.start()
    assert entered.wait(10)
    b.start()
    time.sleep(0.2)  # B is now waiting inside the engine for A's turn
    gate.set()
    a.join(10)
    b.join(10)
    assert sorted(done) == ["A", "B"]
    assert engine.session(Actor.system(), session.id).booked_seats == 2
