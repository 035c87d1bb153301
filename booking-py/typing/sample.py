"""A small typed program over the binding: checked with ``mypy --strict`` against the stub
and ``py.typed`` of the installed package, and run by scripts/test-python."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import booking
from booking import Actor, Engine, EventKind, GroupSession, Receipt, SeatBooking, SeatStatus


def create(engine: Engine, teacher: uuid.UUID, capacity: int) -> GroupSession:
    receipt: Receipt[GroupSession] = engine.create_session(
        Actor.teacher(teacher),
        teacher_id=teacher,
        title="Chess openings",
        starts_at=datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=3),
        time_zone=ZoneInfo("Europe/Paris"),
        duration_minutes=90,
        meeting_link="https://meet.example.com/chess",
        capacity=capacity,
        waitlist_enabled=True,
    )
    return receipt.value


def book(engine: Engine, session: GroupSession, student: uuid.UUID) -> SeatBooking | None:
    try:
        return engine.book_seat(Actor.student(student), session.id, student, key=f"book-{student}").value
    except booking.SessionFullError:
        return None
    except booking.BookingError as e:
        print(f"refused: {e.code}: {e.message}")
        return None


def outbox(events: list[booking.Event]) -> list[str]:
    lines: list[str] = []
    for event in events:
        if event.kind is EventKind.BOOKING_PROMOTED and event.student_id is not None:
            lines.append(f"mail {event.student_id}: you got a seat")
        elif event.kind is EventKind.BOOKING_WAITLISTED:
            lines.append(f"mail {event.student_id}: you are number {event.position}")
    return lines


def main() -> None:
    engine = Engine(booking.MemoryDocumentStore())
    teacher = uuid.uuid4()
    session = create(engine, teacher, capacity=1)
    ana, ben = uuid.uuid4(), uuid.uuid4()
    first = book(engine, session, ana)
    second = book(engine, session, ben)
    assert first is not None and second is not None and second.status is SeatStatus.WAITLISTED
    cancelled = engine.cancel_booking(Actor.student(ana), first.id)
    print("\n".join(outbox(cancelled.events)))
    slot: booking.AvailabilitySlot = engine.publish_slot(
        Actor.teacher(teacher),
        teacher,
        booking.WeeklySlot(booking.Weekday.MONDAY, time(14), time(15), datetime.now(timezone.utc).date()),
        time_zone="Europe/Paris",
    ).value
    now = engine.now()
    free: list[booking.BookableOccurrence] = engine.list_occurrences(teacher, now, now + timedelta(days=14))
    lesson = engine.book_lesson(Actor.student(ben), slot.id, free[0].starts_at, ben).value
    status: booking.LessonStatus = lesson.status
    print(f"lesson {lesson.id} {status.value} at {lesson.starts_at.isoformat()}")


if __name__ == "__main__":
    main()
