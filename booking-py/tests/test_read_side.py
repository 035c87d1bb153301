"""The read side (agendas, approval queue, roster, what starts, outbox) from Python, on every
store kind: what each query lists, who may read it, paging with a small limit, and the outbox
relay loop. Also runs the README's "Read side" sample."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import NOW, STORE_KINDS, book, create_session, make_store, needs_test_build, new_id

import booking_engine as booking
from booking_engine import Actor, AgendaKind, AgendaStatus, EventKind, LessonStatus, SeatStatus

MONTH = (NOW, NOW + timedelta(days=30))
"""The window most tests read: the engine clock's next 30 days."""
PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2030, 5, 6, 14, 0, tzinfo=PARIS)
"""The first occurrence of the weekly slot below (a Monday, 14:00 in Paris)."""


def weekly_slot(engine: booking.Engine, teacher: uuid.UUID, course: uuid.UUID) -> booking.AvailabilitySlot:
    return engine.publish_slot(
        Actor.teacher(teacher),
        teacher,
        booking.WeeklySlot(booking.Weekday.MONDAY, time(14), time(15), date(2030, 5, 6)),
        time_zone="Europe/Paris",
        course_id=course,
    ).value


def every_page(query: Any, **arguments: Any) -> tuple[list[Any], int]:
    """Every item of a paged query, following `next`; and how many pages it took."""
    items: list[Any] = []
    pages = 0
    after = None
    while True:
        page = query(**arguments, after=after)
        pages += 1
        items.extend(page.items)
        assert len(page) == len(page.items)
        if page.next is None:
            return items, pages
        after = page.next


# --- what each query lists ----------------------------------------------------------------------


def test_student_agenda_lists_seats_and_lessons(engine: booking.Engine, teacher: uuid.UUID) -> None:
    ana, ben = new_id(), new_id()
    session = create_session(engine, teacher, 1, waitlist=True)
    seat = book(engine, session, ana)
    waiting = book(engine, session, ben)
    course = new_id()
    engine.store.enroll(ana, course)
    lesson = engine.book_lesson(Actor.student(ana), weekly_slot(engine, teacher, course).id, MONDAY, ana).value

    agenda = engine.student_agenda(Actor.student(ana), ana, *MONTH)
    assert isinstance(agenda, booking.Page) and agenda.next is None
    first, second = agenda.items
    assert isinstance(first, booking.StudentAgendaItem)
    assert (first.kind, first.booking_id, first.session_id, first.status) == (
        AgendaKind.SESSION,
        seat.id,
        session.id,
        AgendaStatus.CONFIRMED,
    )
    assert first.title == "Chess openings" and first.meeting_link == "https://meet.example.com/chess"
    assert first.starts_at == session.starts_at and first.time_zone == ZoneInfo("Europe/Paris")
    assert (second.kind, second.booking_id, second.session_id, second.status) == (
        AgendaKind.LESSON,
        lesson.id,
        None,
        AgendaStatus.CONFIRMED,
    )
    assert second.teacher_id == teacher and second.seats == 1 and second.title is None

    # Ben waits: his place in the queue, and no link.
    (item,) = engine.student_agenda(Actor.student(ben), ben, *MONTH).items
    assert (item.booking_id, item.status, item.waitlist_position, item.meeting_link) == (
        waiting.id,
        AgendaStatus.WAITLISTED,
        1,
        None,
    )

    # Filtered by status (members or their values), and by window.
    assert engine.student_agenda(Actor.student(ana), ana, *MONTH, statuses=[AgendaStatus.WAITLISTED]).items == []
    only_lessons = engine.student_agenda(Actor.student(ana), ana, *MONTH, statuses=("confirmed",), limit=1)
    assert [i.booking_id for i in only_lessons.items] == [seat.id] and only_lessons.next is not None
    after_session = engine.student_agenda(Actor.student(ana), ana, session.ends_at, MONTH[1])
    assert [i.booking_id for i in after_session.items] == [lesson.id]

    # The same list for an admin or the system.
    for reader in (Actor.admin(new_id()), Actor.system()):
        assert engine.student_agenda(reader, ana, *MONTH) == agenda


def test_teacher_agenda_approval_queue_and_what_starts(
    engine: booking.Engine, teacher: uuid.UUID, clock: booking.ManualClock
) -> None:
    ana, ben = new_id(), new_id()
    session = create_session(engine, teacher, 3, waitlist=True)
    book(engine, session, ana)
    course = new_id()
    store = engine.store
    store.set_course_approval(course, True)
    for student in (ana, ben):
        store.enroll(student, course)
    slot = weekly_slot(engine, teacher, course)
    # Two requests, Ben's first: the queue is in request order, not by start.
    later = engine.book_lesson(Actor.student(ben), slot.id, MONDAY + timedelta(weeks=1), ben).value
    clock.advance(timedelta(minutes=5))
    sooner = engine.book_lesson(Actor.student(ana), slot.id, MONDAY, ana).value
    assert later.status is sooner.status is LessonStatus.PENDING

    queue = engine.approval_queue(Actor.teacher(teacher), teacher)
    assert [(r.booking_id, r.student_id) for r in queue.items] == [(later.id, ben), (sooner.id, ana)]
    request = queue.items[0]
    assert isinstance(request, booking.ApprovalRequest)
    assert (request.slot_id, request.course_id, request.starts_at) == (slot.id, course, later.starts_at)
    assert request.requested_at < queue.items[1].requested_at

    (pending,) = engine.student_agenda(Actor.student(ana), ana, MONDAY - timedelta(hours=1), MONTH[1]).items
    assert pending.status is AgendaStatus.PENDING_APPROVAL and pending.meeting_link is None

    engine.approve_lesson(Actor.teacher(teacher), later.id, meeting_link="https://meet.example.com/1on1")
    assert [r.booking_id for r in engine.approval_queue(Actor.teacher(teacher), teacher).items] == [sooner.id]

    agenda = engine.teacher_agenda(Actor.teacher(teacher), teacher, *MONTH)
    assert [(i.kind, i.session_id or i.booking_id) for i in agenda.items] == [
        (AgendaKind.SESSION, session.id),
        (AgendaKind.LESSON, sooner.id),
        (AgendaKind.LESSON, later.id),
    ]
    group, pending_lesson, confirmed = agenda.items
    assert isinstance(group, booking.TeacherAgendaItem)
    assert (group.capacity, group.seats_taken, group.seats_remaining, group.waitlist_length, group.open_offers) == (
        3,
        1,
        2,
        0,
        0,
    )
    assert (group.cancelled, group.lesson_status, group.student_id) == (False, None, None)
    assert (pending_lesson.lesson_status, pending_lesson.student_id) == (LessonStatus.PENDING, ana)
    assert (confirmed.lesson_status, confirmed.seats_taken, confirmed.seats_remaining) == (
        LessonStatus.CONFIRMED,
        1,
        0,
    )

    # What starts: the session and the confirmed lesson (a pending one does not take place yet).
    starting = engine.starting_between(Actor.system(), *MONTH)
    assert [(i.kind, i.session_id or i.booking_id) for i in starting.items] == [
        (AgendaKind.SESSION, session.id),
        (AgendaKind.LESSON, later.id),
    ]
    item = starting.items[1]
    assert isinstance(item, booking.StartingItem)
    assert (item.teacher_id, item.student_id, item.meeting_link, item.seats_taken) == (
        teacher,
        ben,
        "https://meet.example.com/1on1",
        1,
    )

    # A cancelled session: flagged for the teacher, gone from what starts and (its seats
    # cancelled with it) from the student's agenda.
    engine.cancel_session(Actor.teacher(teacher), session.id)
    assert engine.teacher_agenda(Actor.teacher(teacher), teacher, *MONTH).items[0].cancelled is True
    assert engine.student_agenda(Actor.student(ana), ana, NOW, MONDAY - timedelta(hours=1)).items == []
    assert [i.booking_id for i in engine.starting_between(Actor.admin(new_id()), *MONTH).items] == [later.id]


def test_roster(engine: booking.Engine, teacher: uuid.UUID) -> None:
    ana, ben, cleo = new_id(), new_id(), new_id()
    session = create_session(engine, teacher, 2, waitlist=True)
    seats = [book(engine, session, s) for s in (ana, ben, cleo)]
    assert seats[2].status is SeatStatus.WAITLISTED

    roster = engine.roster(Actor.teacher(teacher), session.id)
    assert isinstance(roster, booking.Roster)
    assert (roster.session_id, roster.capacity, roster.seats_taken, roster.seats_remaining, roster.waitlist_length) == (
        session.id,
        2,
        2,
        0,
        1,
    )
    entries = roster.entries.items
    assert isinstance(entries[0], booking.RosterEntry)
    assert [(e.booking_id, e.student_id, e.status, e.waitlist_position) for e in entries] == [
        (seats[0].id, ana, SeatStatus.CONFIRMED, None),
        (seats[1].id, ben, SeatStatus.CONFIRMED, None),
        (seats[2].id, cleo, SeatStatus.WAITLISTED, 1),
    ]
    assert roster.entries.next is None and entries[0].booked_at == seats[0].booked_at

    # A student sees the same list with everyone else's ids withheld.
    seen = engine.roster(Actor.student(cleo), session.id).entries.items
    assert [(e.booking_id, e.student_id, e.status) for e in seen] == [
        (None, None, SeatStatus.CONFIRMED),
        (None, None, SeatStatus.CONFIRMED),
        (seats[2].id, cleo, SeatStatus.WAITLISTED),
    ]

    # Paged, one entry at a time.
    def page(after: str | None = None) -> booking.Page[booking.RosterEntry]:
        return engine.roster(Actor.system(), session.id, limit=1, after=after).entries

    paged, pages = every_page(page)
    assert paged == entries and pages == 3

    with pytest.raises(booking.SessionNotFoundError):
        engine.roster(Actor.system(), new_id())


# --- who may read what --------------------------------------------------------------------------


def test_access_refusals(engine: booking.Engine, teacher: uuid.UUID) -> None:
    ana, ben = new_id(), new_id()
    session = create_session(engine, teacher, 2)
    book(engine, session, ana)
    other_teacher = new_id()
    refused = [
        lambda: engine.student_agenda(Actor.student(ben), ana, *MONTH),
        lambda: engine.student_agenda(Actor.teacher(teacher), ana, *MONTH),
        lambda: engine.teacher_agenda(Actor.teacher(other_teacher), teacher, *MONTH),
        lambda: engine.teacher_agenda(Actor.student(ana), teacher, *MONTH),
        lambda: engine.approval_queue(Actor.teacher(other_teacher), teacher),
        lambda: engine.approval_queue(Actor.student(ana), teacher),
        lambda: engine.roster(Actor.teacher(other_teacher), session.id),
        lambda: engine.starting_between(Actor.teacher(teacher), *MONTH),
        lambda: engine.starting_between(Actor.student(ana), *MONTH),
        lambda: engine.outbox(Actor.teacher(teacher)),
        lambda: engine.outbox(Actor.student(ana)),
        lambda: engine.acknowledge_outbox(Actor.teacher(teacher), 10),
    ]
    for call in refused:
        with pytest.raises(booking.NotAuthorizedError) as refusal:
            call()
        assert refusal.value.code == "not_authorized"
    # Nothing was acknowledged by the refused call.
    assert len(engine.outbox(Actor.system())) == 2


def test_reads_by_id_answer_only_whom_they_concern(engine: booking.Engine, teacher: uuid.UUID) -> None:
    ana, ben, other_teacher = new_id(), new_id(), new_id()
    session = create_session(engine, teacher, 1, waitlist=True)
    ana_seat, ben_seat = book(engine, session, ana), book(engine, session, ben)

    # The whole session (every student's booking) is the teacher's, an admin's, the system's.
    for actor in (Actor.teacher(teacher), Actor.admin(new_id()), Actor.system()):
        assert [b.student_id for b in engine.session(actor, session.id).bookings] == [ana, ben]
    # Anyone reads the summary: counts, availability, their own booking, no one else's ids.
    summary = engine.session_summary(Actor.student(ben), session.id)
    assert isinstance(summary, booking.SessionSummary)
    assert (summary.seats_taken, summary.seats_remaining, summary.waitlist_length) == (1, 0, 1)
    assert summary.availability is booking.BookingAvailability.WAITLIST_ONLY and summary.meeting_link is None
    assert summary.own_booking is not None and summary.own_booking.booking_id == ben_seat.id
    assert summary.own_booking.status is AgendaStatus.WAITLISTED and summary.own_booking.waitlist_position == 1
    assert str(ana) not in repr(summary) and str(ana_seat.id) not in repr(summary)
    assert engine.session_summary(Actor.student(ana), session.id).meeting_link == session.meeting_link
    # A seat booking and its calendar file are its student's and the session's teacher's.
    assert engine.seat_booking(Actor.student(ana), ana_seat.id).student_id == ana
    assert engine.seat_booking(Actor.teacher(teacher), ana_seat.id).student_id == ana
    assert "BEGIN:VCALENDAR" in engine.booking_ical(Actor.student(ana), ana_seat.id)
    refused = [
        lambda: engine.session(Actor.student(ana), session.id),
        lambda: engine.session(Actor.teacher(other_teacher), session.id),
        lambda: engine.session_ical(Actor.student(ana), session.id),
        lambda: engine.seat_booking(Actor.student(ben), ana_seat.id),
        lambda: engine.seat_booking(Actor.teacher(other_teacher), ana_seat.id),
        lambda: engine.booking_ical(Actor.student(ben), ana_seat.id),
        lambda: engine.calendar(Actor.student(ben), ana),
        lambda: engine.calendar(Actor.student(ana), teacher),
    ]
    for call in refused:
        with pytest.raises(booking.NotAuthorizedError):
            call()
    assert engine.calendar(Actor.student(ana), ana).owner == ana


def test_bad_pages_windows_and_statuses(engine: booking.Engine, teacher: uuid.UUID) -> None:
    me = Actor.teacher(teacher)

    def field_of(call: Any) -> str:
        with pytest.raises(booking.InvalidInputError) as refusal:
            call()
        assert isinstance(refusal.value, ValueError)
        return str(refusal.value.details["field"])

    assert field_of(lambda: engine.teacher_agenda(me, teacher, *MONTH, limit=0)) == "limit"
    assert field_of(lambda: engine.teacher_agenda(me, teacher, *MONTH, limit=501)) == "limit"
    assert field_of(lambda: engine.approval_queue(me, teacher, limit=2**40)) == "limit"
    assert field_of(lambda: engine.approval_queue(me, teacher, limit=-1)) == "limit"
    assert field_of(lambda: engine.approval_queue(me, teacher, limit="10")) == "limit"
    assert field_of(lambda: engine.teacher_agenda(me, teacher, MONTH[1], MONTH[0])) == "window"
    assert field_of(lambda: engine.teacher_agenda(me, teacher, NOW, NOW + timedelta(days=401))) == "window"
    assert field_of(lambda: engine.teacher_agenda(me, teacher, NOW.replace(tzinfo=None), MONTH[1])) == "start"
    assert field_of(lambda: engine.teacher_agenda(me, teacher, *MONTH, after="not\na token")) == "page_token"
    assert field_of(lambda: engine.roster(Actor.system(), create_session(engine, teacher, 1).id, after="x")) == (
        "page_token"
    )
    student = Actor.student(teacher)
    assert field_of(lambda: engine.student_agenda(student, teacher, *MONTH, statuses=["maybe"])) == "statuses"
    assert field_of(lambda: engine.student_agenda(student, teacher, *MONTH, statuses="confirmed")) == "statuses"
    assert field_of(lambda: engine.outbox(Actor.system(), limit=0)) == "limit"
    assert field_of(lambda: engine.outbox(Actor.system(), after=-1)) == "after"
    assert field_of(lambda: engine.outbox(Actor.system(), after=True)) == "after"
    assert field_of(lambda: engine.acknowledge_outbox(Actor.system(), 2**64)) == "up_to"


# --- paging -------------------------------------------------------------------------------------


def test_paging_with_a_small_limit(engine: booking.Engine, teacher: uuid.UUID) -> None:
    ana = new_id()
    # Five sessions, created out of order, two at the same instant.
    starts = [NOW + timedelta(days=d, hours=h) for d, h in [(3, 0), (1, 0), (2, 0), (1, 0), (5, 4)]]
    sessions = [create_session(engine, teacher, 4, starts_at=s) for s in starts]
    for s in sessions:
        book(engine, s, ana)
    by_start = sorted(sessions, key=lambda s: (s.starts_at, str(s.id)))

    listed, pages = every_page(engine.teacher_agenda, actor=Actor.teacher(teacher), teacher_id=teacher,
                               start=MONTH[0], end=MONTH[1], limit=2)
    assert [i.session_id for i in listed] == [s.id for s in by_start] and pages == 3
    listed, _ = every_page(engine.student_agenda, actor=Actor.student(ana), student_id=ana,
                           start=MONTH[0], end=MONTH[1], limit=2)
    assert [i.session_id for i in listed] == [s.id for s in by_start]
    listed, _ = every_page(engine.starting_between, actor=Actor.system(), start=MONTH[0], end=MONTH[1], limit=1)
    assert [i.session_id for i in listed] == [s.id for s in by_start]

    # A page's token is text: it survives a round trip through a client.
    first = engine.teacher_agenda(Actor.teacher(teacher), teacher, *MONTH, limit=2)
    assert isinstance(first.next, str)
    again = engine.teacher_agenda(Actor.teacher(teacher), teacher, *MONTH, limit=2, after=str(first.next))
    assert [i.session_id for i in again.items] == [s.id for s in by_start[2:4]]
    assert repr(first).startswith("Page(items=2, next=")


# --- the outbox ---------------------------------------------------------------------------------


def test_outbox_relay_loop(engine: booking.Engine, teacher: uuid.UUID) -> None:
    ana = new_id()
    session = create_session(engine, teacher, 1, waitlist=True)
    booked = engine.book_seat(Actor.student(ana), session.id, ana)
    cancelled = engine.cancel_booking(Actor.student(ana), booked.value.id)
    committed = [EventKind.SESSION_CREATED, *[e.kind for e in booked.events], *[e.kind for e in cancelled.events]]

    relayed: list[booking.Event] = []
    acknowledged = 0

    def relay(limit: int) -> None:
        nonlocal acknowledged
        after = 0
        while True:
            entries = engine.outbox(Actor.system(), after=after, limit=limit)
            if not entries:
                return
            assert all(isinstance(e, booking.OutboxEntry) for e in entries)
            relayed.extend(e.event for e in entries)
            after = entries[-1].position
            acknowledged += engine.acknowledge_outbox(Actor.system(), after)

    first = engine.outbox(Actor.admin(new_id()))
    positions = [e.position for e in first]
    assert positions == sorted(positions) and len(set(positions)) == len(positions) and positions[0] >= 1
    relay(limit=2)
    assert [e.kind for e in relayed] == committed and acknowledged == len(committed)
    assert relayed == [e.event for e in first]
    # Read again: empty; a new command's events come after the last position.
    assert engine.outbox(Actor.system()) == []
    assert engine.acknowledge_outbox(Actor.system(), positions[-1]) == 0
    engine.set_waitlist(Actor.teacher(teacher), session.id, False)
    (entry,) = engine.outbox(Actor.system())
    assert entry.position > positions[-1] and entry.event.kind is EventKind.WAITLIST_CHANGED
    assert repr(entry) == f"OutboxEntry(position={entry.position}, event='waitlist_changed')"


# --- Python stores ------------------------------------------------------------------------------


def test_a_python_store_sees_read_entries_and_the_outbox(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    commits: list[booking.DocumentCommit] = []

    class Recording(booking.MemoryDocumentStore):
        def commit(self, commit: booking.DocumentCommit) -> None:
            commits.append(commit)
            super().commit(commit)

    engine = booking.Engine(Recording(), clock=clock)
    session = create_session(engine, teacher, 2)
    (commit,) = commits
    write = next(w for w in commit.writes if w.kind == "session")
    assert write.read_entries == booking.GroupSession.from_document(write.body).read_entries()
    indexes = {(index, partition) for index, partition, _ in write.read_entries}
    assert indexes == {("teacher_agenda", str(teacher)), ("starts", "")}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/[-0-9a-f]{36}", sort) for _, _, sort in
               write.read_entries)
    calendar = [w for w in commit.writes if w.kind == "calendar"]
    assert all(w.read_entries == [] for w in calendar)
    assert commit.outbox == [e.to_json() for e in commit.events]
    assert "outbox=1" in repr(commit)
    assert engine.teacher_agenda(Actor.teacher(teacher), teacher, *MONTH).items[0].session_id == session.id


def test_a_store_without_the_read_side_is_refused() -> None:
    class Before:
        """A store written against the contract before the read side."""

        def __getattr__(self, name: str) -> Any:
            if name in ("read_index", "read_outbox", "acknowledge_outbox"):
                raise AttributeError(name)
            return getattr(booking.MemoryDocumentStore(), name)

    with pytest.raises(TypeError, match="has no read_index, read_outbox, acknowledge_outbox"):
        booking.Engine(Before())


def test_a_python_store_answering_badly_fails_the_query(clock: booking.ManualClock, teacher: uuid.UUID) -> None:
    class Confused(booking.MemoryDocumentStore):
        def read_index(self, index: str, partition: str, after: str, before: str, limit: int) -> list[Any]:
            return [(s, "calendar", i, v, b) for s, _, i, v, b in super().read_index(index, partition, after, before,
                                                                                    limit)]

    engine = booking.Engine(Confused(), clock=clock)
    create_session(engine, teacher, 1)
    with pytest.raises(booking.StoreError) as failure:
        engine.teacher_agenda(Actor.teacher(teacher), teacher, *MONTH)
    assert isinstance(failure.value.__cause__, ValueError)


@needs_test_build
@pytest.mark.parametrize("kind", STORE_KINDS)
def test_the_read_side_conformance_checks(kind: str, tmp_path: Path) -> None:
    checks = [name for name in booking.conformance_checks() if name.startswith("read_")]
    assert set(checks) >= {
        "read_queries_list_what_is_stored",
        "read_queries_check_the_reader",
        "read_outbox_in_commit_order",
        "read_outbox_across_concurrent_writers",
    }
    make_store(kind, tmp_path)  # skips here, not inside the suite, when the store is not available
    report = booking.run_conformance(lambda: make_store(kind, tmp_path), checks)
    assert report.passed, str(report)


# --- the README's sample ------------------------------------------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_sample(section: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {section}\n")
    found = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert found, f"no Python sample under ## {section}"
    return found.group(1)


def test_the_readmes_read_side_sample_runs(capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(readme_sample("Read side"), "README.md (Read side)", "exec"), {"__name__": "readme"})
    printed = capsys.readouterr().out
    assert "session_created" in printed and "lesson_approved" in printed


def test_the_module_lists_the_read_side() -> None:
    for name in ("AgendaStatus", "AgendaKind", "Page", "StudentAgendaItem", "TeacherAgendaItem", "ApprovalRequest",
                 "Roster", "RosterEntry", "StartingItem", "OutboxEntry"):
        assert name in booking.__all__
    assert [s.value for s in AgendaStatus][:3] == ["confirmed", "waitlisted", "offered"]
