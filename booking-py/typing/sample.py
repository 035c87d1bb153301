"""A small typed program over the binding: checked with ``mypy --strict`` against the stub
and ``py.typed`` of the installed package, and run by scripts/test-python."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import booking_engine as booking
from booking_engine import (
    Actor,
    Engine,
    EventKind,
    GroupSession,
    Receipt,
    SchedulingRules,
    SeatBooking,
    SeatStatus,
    TimeOff,
    WaitlistMode,
)


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
        elif event.kind is EventKind.SEAT_OFFERED and event.expires_at is not None:
            lines.append(f"mail {event.student_id}: a seat is yours until {event.expires_at.isoformat()}")
        elif event.kind is EventKind.LESSON_CANCELLED and event.cutoff_overridden:
            lines.append(f"mail {event.student_id}: your teacher cancelled at short notice")
    return lines


def offers(engine: Engine, teacher: uuid.UUID) -> list[str]:
    session = engine.create_session(
        Actor.teacher(teacher),
        teacher_id=teacher,
        title="Choir",
        starts_at=datetime.now(timezone.utc) + timedelta(days=5),
        time_zone="UTC",
        duration_minutes=60,
        meeting_link="https://meet.example.com/choir",
        capacity=2,
        waitlist_enabled=True,
        waitlist_mode=WaitlistMode.offer(hold_minutes=30),
        rules=SchedulingRules(cancel_cutoff_minutes=60, max_seats_per_booking=2),
    ).value
    parent, other = uuid.uuid4(), uuid.uuid4()
    twins = engine.book_seat(Actor.student(parent), session.id, parent, seats=2).value
    waiting = engine.book_seat(Actor.student(other), session.id, other).value
    freed = engine.cancel_booking(Actor.student(parent), twins.id)
    offered: SeatBooking = engine.seat_booking(Actor.student(other), waiting.id)
    assert offered.status is SeatStatus.OFFERED and offered.offer_expires_at is not None
    engine.accept_offer(Actor.student(other), waiting.id)
    sweep: booking.OfferSweep = engine.process_expired_offers(datetime.now(timezone.utc))
    failed: list[tuple[uuid.UUID, booking.BookingError]] = sweep.failures
    assert not failed
    return outbox(freed.events + sweep.events)


def lessons(engine: Engine, teacher: uuid.UUID, student: uuid.UUID) -> None:
    t = Actor.teacher(teacher)
    rules: Receipt[SchedulingRules] = engine.set_scheduling_rules(
        t, teacher, SchedulingRules(min_notice_minutes=60, buffer_after_minutes=15, cancel_cutoff_minutes=24 * 60)
    )
    assert rules.value.buffer_after_minutes == 15
    today = datetime.now(timezone.utc).date()
    off: TimeOff = engine.add_time_off(t, teacher, today, today + timedelta(days=1), "Europe/Paris", note="away").value
    first_day: date = off.first_day
    slot = engine.publish_slot(
        t,
        teacher,
        booking.WeeklySlot(booking.Weekday.TUESDAY, time(9), time(10), first_day),
        time_zone="Europe/Paris",
        rules=SchedulingRules(max_lessons_per_day=4),
    ).value
    now = engine.now()
    free = engine.list_occurrences(teacher, now, now + timedelta(days=21))
    lesson = engine.book_lesson(Actor.student(student), slot.id, free[0].starts_at, student).value
    moved = engine.reschedule_lesson(Actor.student(student), lesson.id, slot.id, free[1].starts_at)
    previous: datetime | None = moved.events[0].previous_starts_at
    print(f"moved from {previous} to {moved.value.starts_at}")
    engine.remove_time_off(t, teacher, off.id)
    calendar = engine.calendar(t, teacher)
    per_course: dict[uuid.UUID, SchedulingRules] = calendar.course_rules
    print(len(calendar.holds), len(calendar.sessions), len(per_course), calendar.rules)


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
    print("\n".join(offers(engine, uuid.uuid4())))
    lessons(engine, uuid.uuid4(), uuid.uuid4())
    read_side(engine, teacher, session, ben)


def read_side(engine: Engine, teacher: uuid.UUID, session: booking.GroupSession, student: uuid.UUID) -> None:
    now = engine.now()
    confirmed = [booking.AgendaStatus.CONFIRMED]
    agenda: booking.Page[booking.StudentAgendaItem] = engine.student_agenda(
        Actor.student(student), student, now, now + timedelta(days=14), statuses=confirmed, limit=10
    )
    for item in agenda.items:
        kind: booking.AgendaKind = item.kind
        print(kind.value, item.starts_at.isoformat(), item.status.value, item.meeting_link)
    token: str | None = agenda.next
    if token is not None:
        print(len(engine.student_agenda(Actor.student(student), student, now, now + timedelta(days=14), after=token)))
    queue = engine.approval_queue(Actor.teacher(teacher), teacher, limit=50, after=None)
    print([(r.booking_id, r.requested_at) for r in queue.items])
    roster: booking.Roster = engine.roster(Actor.teacher(teacher), session.id, limit=5)
    print(roster.seats_taken, [e.student_id for e in roster.entries.items], roster.entries.next)
    entries: list[booking.OutboxEntry] = engine.outbox(Actor.system(), after=0, limit=100)
    if entries:
        done: int = engine.acknowledge_outbox(Actor.system(), entries[-1].position)
        print(done, entries[-1].event.kind.value)


if __name__ == "__main__":
    main()
