"""Hostile inputs at the binding's edge, table-driven.

Every parameter of every public method, constructor and function is read from the stub
(``python/booking_engine/_booking.pyi``), so a new one cannot be left out: the test fails until
``CASES`` says how to call it. Each parameter gets the hostile values of its kind (every
integer and string parameter: -1, 0, 2**31, 2**32, 2**40, 2**64, 2**70, a lone surrogate and
NUL); each value is either accepted (listed in ``ACCEPTED``) or refused with
``booking.InvalidInputError`` naming the parameter, and a refusal changes nothing. An int that
does not fit the core's ``u32`` reads exactly like the core's refusal of any other
out-of-range value (its range included), with the value as given.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, PG_URL, TEST_BUILD, book, create_session, new_id

import booking_engine
import booking_engine as booking
from booking_engine import Actor, SchedulingRules, WaitlistMode, Weekday, WeeklySlot

STUB = Path(__file__).resolve().parent.parent / "python" / "booking_engine" / "_booking.pyi"

INTS: list[Any] = [-1, 0, 2**31, 2**32, 2**40, 2**64, 2**70]
SURROGATE = "\ud800"
NUL = "\x00"
SCALARS: list[Any] = [*INTS, SURROGATE, NUL]
"""What every integer and string parameter gets."""

U32_MAX = 2**32 - 1


class BrokenZone(tzinfo):
    """A tzinfo whose offset cannot be read."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        raise RuntimeError("no offset today")

    def dst(self, dt: datetime | None) -> timedelta:
        raise RuntimeError("no offset today")


AHEAD, BEHIND = timezone(timedelta(hours=5)), timezone(timedelta(hours=-5))
HOSTILE_BY_KIND: dict[str, list[Any]] = {
    "scalar": SCALARS,
    "instant": [
        datetime(2030, 5, 3, 9),  # naive
        datetime.min.replace(tzinfo=AHEAD),  # before year 1 in UTC
        datetime.max.replace(tzinfo=BEHIND),  # after year 9999 in UTC
        datetime(2030, 5, 3, 9, tzinfo=BrokenZone()),
        date(2030, 5, 3),
        "2030-05-03T09:00Z",
        SURROGATE,
        2**70,
    ],
    "wall": [datetime(2030, 5, 6, 10, tzinfo=timezone.utc), "2030-05-06T10:00", date(2030, 5, 6), SURROGATE, -1],
    "date": [datetime(2030, 8, 1, 9), "2030-08-01", SURROGATE, 2**70],
    "time": [time(10, tzinfo=timezone.utc), "10:00", SURROGATE, 2**70],
    "delta": [timedelta.max, timedelta.min, 5, "1h", SURROGATE],
    "bool": [1, 0, "yes", SURROGATE, 2**70],
    "object": [SURROGATE, 2**70, object()],
}


# --- the stub's parameters --------------------------------------------------------------------


def stub_parameters() -> dict[tuple[str, str], str]:
    """``(qualname, parameter) -> annotation`` for every method, constructor and function."""
    found: dict[tuple[str, str], str] = {}

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                walk(node.body, f"{node.name}.")
            elif isinstance(node, ast.FunctionDef):
                if any(isinstance(d, ast.Name) and d.id == "property" for d in node.decorator_list):
                    continue
                if node.name in ("__eq__", "__hash__", "__class_getitem__"):
                    continue
                a = node.args
                for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs]:
                    if arg.arg not in ("self", "cls") and arg.annotation is not None:
                        found[(prefix + node.name, arg.arg)] = ast.unparse(arg.annotation)

    walk(ast.parse(STUB.read_text()).body, "")
    return found


def kind_of(qualname: str, annotation: str) -> str:
    names = set(re.findall(r"[A-Za-z_]+", annotation))
    if "Callable" in names:
        return "object"
    if names & {"Iterable", "Sequence"}:
        return "list"
    if "datetime" in names:
        return "wall" if qualname == "OneTimeSlot.__new__" else "instant"
    if "timedelta" in names:
        return "delta"
    if "date" in names:
        return "date"
    if "time" in names:
        return "time"
    if names & {"int", "str", "_Id", "_Zone"}:
        return "scalar"
    if "bool" in names:
        return "bool"
    return "object"


NOT_VALUES = {("Engine.__new__", "store"), ("run_conformance", "factory")}
"""Wiring, not values: anything but a store or a factory is a ``TypeError`` (documented)."""


# --- a world where every call can succeed --------------------------------------------------------


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.store = booking.MemoryDocumentStore(keep_events=True)
        self.clock = booking.ManualClock(NOW)
        self.engine = e = booking.Engine(self.store, clock=self.clock)
        self.teacher, self.student, self.other, self.course = new_id(), new_id(), new_id(), new_id()
        self.T, self.S = Actor.teacher(self.teacher), Actor.student(self.student)
        self.session = create_session(e, self.teacher, 3, waitlist=True)
        self.seat = book(e, self.session, self.student)
        weekly = WeeklySlot(Weekday.MONDAY, time(10), time(11), NOW.date())
        self.slot = e.publish_slot(self.T, self.teacher, weekly, time_zone="UTC").value
        self.store.set_course_approval(self.course, True)
        self.store.enroll(self.student, self.course)
        tuesdays = WeeklySlot(Weekday.TUESDAY, time(10), time(11), NOW.date())
        self.approval_slot = e.publish_slot(self.T, self.teacher, tuesdays, time_zone="UTC", course_id=self.course).value
        found = e.list_occurrences(self.teacher, NOW, NOW + timedelta(days=60), student_id=self.student)
        self.mondays = [o.starts_at for o in found if o.slot_id == self.slot.id]
        tuesday = next(o.starts_at for o in found if o.slot_id == self.approval_slot.id)
        self.lesson = e.book_lesson(self.S, self.slot.id, self.mondays[0], self.student).value
        self.pending = e.book_lesson(self.S, self.approval_slot.id, tuesday, self.student).value
        assert self.pending.status is booking.LessonStatus.PENDING
        self.time_off = e.add_time_off(self.T, self.teacher, date(2030, 8, 1), date(2030, 8, 2), "UTC").value
        self.memory = booking.InMemoryStore()
        self.sqlite_path = tmp_path / f"{uuid.uuid4().hex}.db"

    @functools.cached_property
    def sqlite(self) -> booking.SqliteStore:
        return booking.SqliteStore(str(self.sqlite_path))

    def document(self, kind: str, id: uuid.UUID) -> str:
        found = self.store.load(kind, id)
        assert found is not None
        return found[1]

    def state(self) -> Any:
        s = self.store
        return (
            dict(s._documents),
            dict(s._bookings),
            dict(s._slots),
            dict(s._requests),
            dict(s._offer_deadlines),
            dict(s._course_approval),
            dict(s._teacher_approval),
            set(s._enrollments),
            len(s.events),
            dict(s._outbox),
            self.clock.now(),
        )


def sqlite_state(w: World) -> Any:
    w.sqlite  # opened (and migrated) before the first snapshot
    with sqlite3.connect(w.sqlite_path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(map(repr, db.execute(f'SELECT * FROM "{t}"'))) for t in tables}


@dataclass
class Case:
    args: Callable[[World], dict[str, Any]]
    """Valid arguments (by name)."""
    call: Callable[..., Any]
    """``call(world, **arguments)``."""
    state: Callable[[World], Any] = World.state
    """What must not change when the call is refused."""


def engine_case(method: str, args: Callable[[World], dict[str, Any]]) -> Case:
    return Case(args, lambda w, **kw: getattr(w.engine, method)(**kw))


def session_args(w: World) -> dict[str, Any]:
    return dict(
        actor=w.T,
        teacher_id=w.teacher,
        title="Chess openings",
        starts_at=NOW + timedelta(days=2),
        time_zone="Europe/Paris",
        duration_minutes=60,
        meeting_link="https://meet.example.com/chess",
        capacity=3,
    )


def host_cases(store: str, state: Callable[[World], Any]) -> dict[str, Case]:
    def case(method: str, args: Callable[[World], dict[str, Any]]) -> Case:
        return Case(args, lambda w, **kw: getattr(getattr(w, store), method)(**kw), state)

    return {
        "enroll": case("enroll", lambda w: dict(student_id=w.student, course_id=w.course)),
        "unenroll": case("unenroll", lambda w: dict(student_id=w.student, course_id=w.course)),
        "set_course_approval": case("set_course_approval", lambda w: dict(course_id=w.course, requires_approval=True)),
        "set_teacher_approval": case(
            "set_teacher_approval", lambda w: dict(teacher_id=w.teacher, course_id=w.course, requires_approval=False)
        ),
    }


def pg_state(w: World) -> Any:
    import psycopg

    assert PG_URL
    with psycopg.connect(PG_URL) as db:
        return [
            db.execute(f'SELECT * FROM "{w.pg_schema}".{t} ORDER BY 1, 2').fetchall()  # type: ignore[attr-defined]
            for t in ("enrollments", "course_approval", "teacher_approval")
        ]


def pg_host_call(method: str) -> Callable[..., Any]:
    def call(w: World, **kw: Any) -> Any:
        return getattr(w.postgres, method)(**kw)  # type: ignore[attr-defined]

    return call


NO_STATE: Callable[[World], Any] = lambda w: None  # noqa: E731  (a value object, or a read)

CASES: dict[str, Case] = {
    "Actor.teacher": Case(lambda w: dict(id=w.teacher), lambda w, **kw: Actor.teacher(**kw), NO_STATE),
    "Actor.student": Case(lambda w: dict(id=w.student), lambda w, **kw: Actor.student(**kw), NO_STATE),
    "Actor.admin": Case(lambda w: dict(id=w.teacher), lambda w, **kw: Actor.admin(**kw), NO_STATE),
    "ManualClock.__new__": Case(lambda w: dict(now=NOW), lambda w, **kw: booking.ManualClock(**kw), NO_STATE),
    "ManualClock.set": Case(lambda w: dict(now=NOW + timedelta(hours=1)), lambda w, **kw: w.clock.set(**kw)),
    "ManualClock.advance": Case(lambda w: dict(delta=timedelta(hours=1)), lambda w, **kw: w.clock.advance(**kw)),
    **{f"InMemoryStore.{m}": c for m, c in host_cases("memory", NO_STATE).items()},
    "SqliteStore.__new__": Case(
        lambda w: dict(path=str(w.tmp_path / "new.db")), lambda w, **kw: booking.SqliteStore(**kw), NO_STATE
    ),
    **{f"SqliteStore.{m}": c for m, c in host_cases("sqlite", sqlite_state).items()},
    "SqliteStore.prune_events": Case(
        lambda w: dict(occurred_before=NOW), lambda w, **kw: w.sqlite.prune_events(**kw), sqlite_state
    ),
    "PostgresStore.__new__": Case(
        lambda w: dict(url=PG_URL, schema=f"t_{uuid.uuid4().hex}", max_connections=2),
        lambda w, **kw: booking.PostgresStore(**kw),
        NO_STATE,
    ),
    **{
        f"PostgresStore.{m}": Case(c.args, pg_host_call(m), pg_state)
        for m, c in host_cases("postgres", NO_STATE).items()
    },
    "PostgresStore.prune_events": Case(lambda w: dict(occurred_before=NOW), pg_host_call("prune_events"), pg_state),
    "SchedulingRules.__new__": Case(lambda w: {}, lambda w, **kw: SchedulingRules(**kw), NO_STATE),
    "SchedulingRules.or_": Case(
        lambda w: dict(fallback=SchedulingRules()), lambda w, **kw: SchedulingRules().or_(**kw), NO_STATE
    ),
    # The core checks an offer's hold when the session is created.
    "WaitlistMode.offer": Case(
        lambda w: dict(hold_minutes=30),
        lambda w, **kw: w.engine.create_session(
            **session_args(w), waitlist_enabled=True, waitlist_mode=WaitlistMode.offer(**kw)
        ),
    ),
    "GroupSession.from_document": Case(
        lambda w: dict(body=w.document("session", w.session.id)),
        lambda w, **kw: booking.GroupSession.from_document(**kw),
        NO_STATE,
    ),
    "GroupSession.availability": Case(
        lambda w: dict(now=NOW), lambda w, **kw: w.session.availability(**kw), NO_STATE
    ),
    "GroupSession.booking": Case(lambda w: dict(id=w.seat.id), lambda w, **kw: w.session.booking(**kw), NO_STATE),
    "GroupSession.active_booking_of": Case(
        lambda w: dict(student_id=w.student), lambda w, **kw: w.session.active_booking_of(**kw), NO_STATE
    ),
    "GroupSession.waitlist_position": Case(
        lambda w: dict(id=w.seat.id), lambda w, **kw: w.session.waitlist_position(**kw), NO_STATE
    ),
    "WeeklySlot.__new__": Case(
        lambda w: dict(weekday=Weekday.MONDAY, start_time=time(10), end_time=time(11), valid_from=NOW.date()),
        lambda w, **kw: WeeklySlot(**kw),
        NO_STATE,
    ),
    "OneTimeSlot.__new__": Case(
        lambda w: dict(start=datetime(2030, 5, 6, 10), end=datetime(2030, 5, 6, 11)),
        lambda w, **kw: booking.OneTimeSlot(**kw),
        NO_STATE,
    ),
    "SeatBooking.from_document": Case(
        lambda w: dict(body=json.dumps(json.loads(w.document("session", w.session.id))["bookings"][0])),
        lambda w, **kw: booking.SeatBooking.from_document(**kw),
        NO_STATE,
    ),
    "Lesson.from_document": Case(
        lambda w: dict(body=w.document("lesson", w.lesson.id)),
        lambda w, **kw: booking.Lesson.from_document(**kw),
        NO_STATE,
    ),
    "Calendar.from_document": Case(
        lambda w: dict(body=w.document("calendar", w.teacher)),
        lambda w, **kw: booking.Calendar.from_document(**kw),
        NO_STATE,
    ),
    "Calendar.rules_for_course": Case(
        lambda w: dict(course_id=w.course), lambda w, **kw: w.engine.calendar(Actor.system(), w.teacher).rules_for_course(**kw), NO_STATE
    ),
    "Calendar.rules_for_slot": Case(
        lambda w: dict(slot=w.slot), lambda w, **kw: w.engine.calendar(Actor.system(), w.teacher).rules_for_slot(**kw), NO_STATE
    ),
    "Engine.__new__": Case(lambda w: dict(store=w.store), lambda w, **kw: booking.Engine(**kw), NO_STATE),
    "Engine.create_session": engine_case("create_session", session_args),
    "Engine.book_seat": engine_case(
        "book_seat", lambda w: dict(actor=Actor.student(w.other), session_id=w.session.id, student_id=w.other)
    ),
    "Engine.accept_offer": engine_case("accept_offer", lambda w: dict(actor=w.S, booking_id=w.seat.id)),
    "Engine.decline_offer": engine_case("decline_offer", lambda w: dict(actor=w.S, booking_id=w.seat.id)),
    "Engine.process_expired_offers": engine_case("process_expired_offers", lambda w: dict(now=NOW)),
    "Engine.prune_requests": engine_case("prune_requests", lambda w: dict(recorded_before=NOW)),
    "Engine.cancel_booking": engine_case("cancel_booking", lambda w: dict(actor=w.S, booking_id=w.seat.id)),
    "Engine.change_capacity": engine_case(
        "change_capacity", lambda w: dict(actor=w.T, session_id=w.session.id, capacity=5)
    ),
    "Engine.set_waitlist": engine_case(
        "set_waitlist", lambda w: dict(actor=w.T, session_id=w.session.id, enabled=False)
    ),
    "Engine.cancel_session": engine_case("cancel_session", lambda w: dict(actor=w.T, session_id=w.session.id)),
    "Engine.mark_attendance": engine_case(
        "mark_attendance", lambda w: dict(actor=w.T, booking_id=w.seat.id, attended=True)
    ),
    "Engine.publish_slot": engine_case(
        "publish_slot",
        lambda w: dict(
            actor=w.T,
            teacher_id=w.teacher,
            recurrence=WeeklySlot(Weekday.FRIDAY, time(9), time(10), NOW.date()),
            time_zone="UTC",
        ),
    ),
    "Engine.update_slot": engine_case(
        "update_slot",
        lambda w: dict(
            actor=w.T, slot_id=w.slot.id, recurrence=WeeklySlot(Weekday.MONDAY, time(10), time(11), NOW.date()), time_zone="UTC"
        ),
    ),
    "Engine.set_slot_active": engine_case("set_slot_active", lambda w: dict(actor=w.T, slot_id=w.slot.id, active=False)),
    "Engine.book_lesson": engine_case(
        "book_lesson", lambda w: dict(actor=w.S, slot_id=w.slot.id, starts_at=w.mondays[1], student_id=w.student)
    ),
    "Engine.book_series": engine_case(
        "book_series",
        lambda w: dict(actor=w.S, slot_id=w.slot.id, student_id=w.student, first_starts_at=w.mondays[2], count=2),
    ),
    "Engine.approve_lesson": engine_case("approve_lesson", lambda w: dict(actor=w.T, booking_id=w.pending.id)),
    "Engine.decline_lesson": engine_case(
        "decline_lesson", lambda w: dict(actor=w.T, booking_id=w.pending.id, reason="not this week")
    ),
    "Engine.cancel_lesson": engine_case("cancel_lesson", lambda w: dict(actor=w.S, booking_id=w.lesson.id)),
    "Engine.cancel_series_from": engine_case("cancel_series_from", lambda w: dict(actor=w.S, booking_id=w.lesson.id)),
    "Engine.set_meeting_link": engine_case(
        "set_meeting_link",
        lambda w: dict(actor=w.T, booking_id=w.lesson.id, meeting_link="https://meet.example.com/new"),
    ),
    "Engine.mark_lesson_attendance": engine_case(
        "mark_lesson_attendance", lambda w: dict(actor=w.T, booking_id=w.lesson.id, attended=True)
    ),
    "Engine.reschedule_lesson": engine_case(
        "reschedule_lesson",
        lambda w: dict(actor=w.S, booking_id=w.lesson.id, slot_id=w.slot.id, starts_at=w.mondays[1]),
    ),
    "Engine.set_scheduling_rules": engine_case(
        "set_scheduling_rules",
        lambda w: dict(actor=w.T, teacher_id=w.teacher, rules=SchedulingRules(min_notice_minutes=5)),
    ),
    "Engine.add_time_off": engine_case(
        "add_time_off",
        lambda w: dict(
            actor=w.T, teacher_id=w.teacher, first_day=date(2030, 9, 1), last_day=date(2030, 9, 2), time_zone="UTC", note="away"
        ),
    ),
    "Engine.remove_time_off": engine_case(
        "remove_time_off", lambda w: dict(actor=w.T, teacher_id=w.teacher, time_off_id=w.time_off.id)
    ),
    "Engine.session": engine_case("session", lambda w: dict(actor=w.T, session_id=w.session.id)),
    "Engine.session_summary": engine_case("session_summary", lambda w: dict(actor=w.S, session_id=w.session.id)),
    "Engine.seat_booking": engine_case("seat_booking", lambda w: dict(actor=w.S, booking_id=w.seat.id)),
    "Engine.calendar": engine_case("calendar", lambda w: dict(actor=w.T, owner=w.teacher)),
    "Engine.lesson": engine_case("lesson", lambda w: dict(actor=w.T, booking_id=w.lesson.id)),
    "Engine.slot": engine_case("slot", lambda w: dict(slot_id=w.slot.id)),
    "Engine.session_ical": engine_case("session_ical", lambda w: dict(actor=w.T, session_id=w.session.id)),
    "Engine.booking_ical": engine_case("booking_ical", lambda w: dict(actor=w.S, booking_id=w.seat.id)),
    "Engine.lessons_ical": engine_case("lessons_ical", lambda w: dict(actor=w.T, booking_ids=[w.lesson.id])),
    "Engine.list_occurrences": engine_case(
        "list_occurrences", lambda w: dict(teacher_id=w.teacher, start=NOW, end=NOW + timedelta(days=7))
    ),
    "Engine.student_agenda": engine_case(
        "student_agenda",
        lambda w: dict(actor=w.S, student_id=w.student, start=NOW, end=NOW + timedelta(days=30), statuses=["confirmed"],
                       limit=10, after=None),
    ),
    "Engine.teacher_agenda": engine_case(
        "teacher_agenda",
        lambda w: dict(actor=w.T, teacher_id=w.teacher, start=NOW, end=NOW + timedelta(days=30), limit=10, after=None),
    ),
    "Engine.approval_queue": engine_case(
        "approval_queue", lambda w: dict(actor=w.T, teacher_id=w.teacher, limit=10, after=None)
    ),
    "Engine.roster": engine_case("roster", lambda w: dict(actor=w.T, session_id=w.session.id, limit=10, after=None)),
    "Engine.starting_between": engine_case(
        "starting_between",
        lambda w: dict(actor=Actor.system(), start=NOW, end=NOW + timedelta(days=30), limit=10, after=None),
    ),
    "Engine.outbox": engine_case("outbox", lambda w: dict(actor=Actor.system(), after=0, limit=10)),
    "Engine.acknowledge_outbox": engine_case("acknowledge_outbox", lambda w: dict(actor=Actor.system(), up_to=1)),
    "run_conformance": Case(
        lambda w: dict(factory=booking.MemoryDocumentStore, checks=["seed_group_create_session"]),
        lambda w, **kw: booking._booking.run_conformance(**kw),
        NO_STATE,
    ),
    "sample_error": Case(
        lambda w: dict(code="session_full"), lambda w, **kw: booking._booking.sample_error(**kw), NO_STATE
    ),
}

# What a parameter accepts among its hostile values. Everything else must be refused.
MAYBE_TEXT = {NUL}
"""Free text: NUL is the core's to accept or refuse (never anything else)."""
U64_PARAMETERS = {("Engine.outbox", "after"), ("Engine.acknowledge_outbox", "up_to")}
"""Outbox positions: ``u64``s, any int from 0 to 2**64 - 1."""
ACCEPTED: dict[tuple[str, str], list[Any]] = {
    ("Engine.__new__", "max_attempts"): [0, 2**31],  # no rule bounds it but its type (0 counts as 1)
    ("PostgresStore.__new__", "max_connections"): [0],  # 0 counts as 1; at most PostgreSQL's ceiling
    ("WeeklySlot.__new__", "weekday"): [0],  # Monday
    ("SchedulingRules.__new__", "min_notice_minutes"): [0],
    ("SchedulingRules.__new__", "buffer_before_minutes"): [0],
    ("SchedulingRules.__new__", "buffer_after_minutes"): [0],
    ("SchedulingRules.__new__", "cancel_cutoff_minutes"): [0],
    ("SchedulingRules.__new__", "reschedule_cutoff_minutes"): [0],
    ("run_conformance", "checks"): [[NUL]],  # no such check: a failed check in the report
    **{key: [0, 2**31, 2**32, 2**40] for key in U64_PARAMETERS},
}
MAYBE: dict[tuple[str, str], set[Any]] = {
    ("Engine.create_session", "title"): MAYBE_TEXT,
    ("Engine.decline_lesson", "reason"): MAYBE_TEXT,
    ("Engine.add_time_off", "note"): MAYBE_TEXT,
}
OTHER_ERRORS: dict[tuple[str, str], dict[str, type[Exception]]] = {
    # Not JSON: a stored document that does not decode.
    (f"{kind}.from_document", "body"): {NUL: booking.CorruptRecordError}
    for kind in ("GroupSession", "SeatBooking", "Lesson", "Calendar")
}
# Where the core names a value otherwise than the Python parameter (message text / field).
ALIASES: dict[str, tuple[str, ...]] = {
    "key": ("request_key",),
    "count": ("end", "lessons in a series"),
    "meeting_link": ("meeting link",),
    "time_zone": ("time zone",),
    "ical_uid_domain": ("uid_domain",),
    "ical_prodid": ("prodid",),
    "after": ("page_token",),
}
OUT_OF_RANGE_REFERENCE: dict[tuple[str, str], int] = {
    # An in-type value the engine refuses, whose message an out-of-type value must repeat.
    ("Engine.__new__", "max_attempts"): -1,
}


def same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def normalized(message: str, value: int) -> str:
    return re.sub(rf"(?<!\d){re.escape(str(value))}(?!\d)", "<n>", message)


def all_parameters() -> list[tuple[str, str, str]]:
    return [(q, p, kind_of(q, a)) for (q, p), a in sorted(stub_parameters().items()) if (q, p) not in NOT_VALUES]


def test_every_parameter_has_a_case() -> None:
    missing = sorted({q for q, _, _ in all_parameters()} - CASES.keys())
    assert not missing, f"add these to CASES: {missing}"
    stale = sorted(CASES.keys() - {q for q, _, _ in all_parameters()})
    assert not stale, f"not in the stub: {stale}"
    # The integer and string parameters the brief names are all here.
    scalars = {(q, p) for q, p, k in all_parameters() if k in ("scalar", "list")}
    for expected in [
        ("Engine.create_session", "capacity"),
        ("Engine.create_session", "title"),
        ("WaitlistMode.offer", "hold_minutes"),
        ("SchedulingRules.__new__", "max_lessons_per_day"),
        ("Engine.book_series", "count"),
        ("PostgresStore.__new__", "url"),
        ("run_conformance", "checks"),
    ]:
        assert expected in scalars


def hostile_values(kind: str) -> list[Any]:
    if kind == "list":
        # The iterable itself, and each value as one of its items.
        return [*SCALARS, *([v] for v in SCALARS)]
    return HOSTILE_BY_KIND[kind]


@pytest.mark.parametrize(("qualname", "parameter", "kind"), all_parameters(), ids=lambda x: str(x))
def test_hostile_values_are_refused_naming_the_parameter(
    qualname: str, parameter: str, kind: str, tmp_path: Path
) -> None:
    if qualname.startswith("PostgresStore."):
        if not PG_URL:
            pytest.skip("BOOKING_PG_URL is not set")
    if qualname == "run_conformance" and not TEST_BUILD:
        pytest.skip("a wheel built without --features conformance")
    w = World(tmp_path)
    if qualname.startswith("PostgresStore.") and qualname != "PostgresStore.__new__":
        w.pg_schema = f"t_{uuid.uuid4().hex}"  # type: ignore[attr-defined]
        w.postgres = booking.PostgresStore(PG_URL or "", schema=w.pg_schema, max_connections=2)  # type: ignore[attr-defined]
    case = CASES[qualname]
    valid = case.args(w)
    key = (qualname, parameter)
    accepted = ACCEPTED.get(key, [])
    maybe = MAYBE.get(key, set())
    names = (parameter, *ALIASES.get(parameter, ()))
    annotation = stub_parameters()[key]
    takes_text = re.search(r"\b(str|_Id|_Zone)\b", annotation) is not None

    def call(value: Any) -> BaseException | None:
        try:
            case.call(w, **{**valid, parameter: value})
        except BaseException as e:  # noqa: BLE001 (a PanicException is a BaseException)
            return e
        return None

    def refused(value: Any) -> str:
        before = case.state(w)
        err = call(value)
        shown = f"{qualname}({parameter}={value!r})"
        other = OTHER_ERRORS.get(key, {})
        if isinstance(value, str) and value in other:
            assert isinstance(err, other[value]), f"{shown}: {type(err).__name__}: {err}"
            return str(err)
        assert isinstance(err, booking.InvalidInputError), f"{shown}: expected InvalidInputError, got {type(err).__name__}: {err}"
        message = str(err)
        assert any(n in message for n in names), f"{shown}: the message does not name {names}: {message}"
        if type(err) is booking.InvalidInputError:
            assert err.details["field"] in names, f"{shown}: details {err.details}"
        if is_int(value) and not (parameter == "count" and value == 0):
            assert str(value) in message, f"{shown}: the message does not show the value: {message}"
        if takes_text and ((kind == "scalar" and value == SURROGATE) or value == [SURROGATE]):
            assert "surrogate" in message, f"{shown}: {message}"
        assert case.state(w) == before, f"{shown} changed the state"
        return message

    for value in hostile_values(kind):
        if any(same(value, a) for a in accepted):
            err = call(value)
            assert err is None, f"{qualname}({parameter}={value!r}) is valid, but: {type(err).__name__}: {err}"
        elif isinstance(value, str) and value in maybe:
            before = case.state(w)
            err = call(value)
            if err is not None:
                assert isinstance(err, booking.InvalidInputError) and parameter in str(err), f"{type(err)}: {err}"
                assert case.state(w) == before
        else:
            refused(value)

    # An int the core's type cannot hold reads exactly like the engine's refusal of an
    # out-of-range int it can hold, with the value as given.
    if kind == "scalar" and re.search(r"\bint\b", annotation) and key not in U64_PARAMETERS:
        reference = OUT_OF_RANGE_REFERENCE.get(key, U32_MAX)
        expected = normalized(refused(reference), reference)
        for value in INTS:
            out_of_type = value < 0 or value > U32_MAX
            if out_of_type or (value == 2**31 and not any(same(value, a) for a in accepted)):
                assert normalized(refused(value), value) == expected, f"{qualname}({parameter}={value})"


def test_out_of_type_ints_keep_their_value_in_the_details(memory_engine: booking.Engine, teacher: uuid.UUID) -> None:
    with pytest.raises(booking.InvalidInputError) as caught:
        create_session(memory_engine, teacher, 2**70)
    assert str(caught.value) == f"invalid capacity: must be between 1 and 10000, got {2**70}"
    assert caught.value.details == {"field": "capacity", "reason": f"must be between 1 and 10000, got {2**70}"}
    with pytest.raises(booking.InvalidInputError, match=r"got -1$"):
        create_session(memory_engine, teacher, -1)
    with pytest.raises(booking.InvalidInputError, match=r"got 4294967295$"):
        create_session(memory_engine, teacher, 2**32 - 1)  # in the core's type: the core's own message
    # A series too long: TooLargeError, with the requested count as given.
    slot = memory_engine.publish_slot(
        Actor.teacher(teacher), teacher, WeeklySlot(Weekday.MONDAY, time(10), time(11), NOW.date()), time_zone="UTC"
    ).value
    first = memory_engine.list_occurrences(teacher, NOW, NOW + timedelta(days=8))[0].starts_at
    student = new_id()
    with pytest.raises(booking.TooLargeError) as too_large:
        memory_engine.book_series(Actor.student(student), slot.id, student, first, count=2**64)
    assert too_large.value.details["requested"] == 2**64 and str(2**64) in str(too_large.value)
    # An offer's hold is kept as given until the core checks it.
    mode = WaitlistMode.offer(2**70)
    assert mode.hold_minutes == 2**70 and repr(mode) == f"WaitlistMode.offer(hold_minutes={2**70})"
    assert mode != WaitlistMode.offer(2**71) and mode == WaitlistMode.offer(2**70)
    assert WaitlistMode.offer(30) == create_session(
        memory_engine, teacher, 2, waitlist=True, waitlist_mode=WaitlistMode.offer(30)
    ).waitlist_mode
    with pytest.raises(booking.InvalidInputError, match=rf"hold_minutes: must be between 1 and \d+, got {2**70}$"):
        create_session(memory_engine, teacher, 2, waitlist=True, waitlist_mode=mode)


def test_a_lone_surrogate_is_located(memory_engine: booking.Engine, teacher: uuid.UUID) -> None:
    with pytest.raises(booking.InvalidInputError) as caught:
        create_session(memory_engine, teacher, 3, title="Chess \ud800 openings")
    assert caught.value.details["field"] == "title"
    assert "'\\ud800' at index 6" in str(caught.value)
    assert not isinstance(caught.value, UnicodeError)


def test_the_clock_never_leaves_the_years_python_can_read(clock: booking.ManualClock) -> None:
    with pytest.raises(booking.InvalidInputError, match="delta"):
        clock.advance(timedelta(days=9999 * 366))
    assert clock.now() == NOW
    clock.set(datetime(9999, 12, 31, 23, 0, tzinfo=timezone.utc))
    with pytest.raises(booking.InvalidInputError, match="delta"):
        clock.advance(timedelta(hours=1))
    clock.advance(timedelta(minutes=59))
    assert clock.now() == datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc)
