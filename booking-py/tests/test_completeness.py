"""The binding is complete: every name the core has, the module and its stub have too.

The core's names come from the core itself, through ``booking_engine._booking._core_names()`` (in the
test build only, the wheel ``scripts/test-python`` builds with ``--features conformance``): the
event kinds and error codes (the core's own lists, and the variants its serde derives know),
the commands, the seat and lesson statuses and the other enums' variants, and the scheduling
rules' fields. The fields of each event kind, and of the core's objects, come from the JSON
the core writes for one real event of every kind. Each name is checked against what the
module exposes at run time and what the stub (``python/booking_engine/_booking.pyi``) or the Python
enums (``python/booking_engine/_enums.py``) declare, so a name added to the core fails here, saying
what to add, instead of reading as ``None`` somewhere.
"""

from __future__ import annotations

import ast
import enum
import inspect
import json
import types
import uuid
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, needs_test_build, new_id

import booking_engine
import booking_engine as booking
from booking_engine import Actor, SchedulingRules, WaitlistMode, Weekday, WeeklySlot

STUB = Path(__file__).resolve().parent.parent / "python" / "booking_engine" / "_booking.pyi"

pytestmark = needs_test_build

COMMAND_METHODS = {"expire_offers": "process_expired_offers"}
"""Core commands whose ``Engine`` method has another name (the others have the command's)."""
EVENT_ATTRIBUTES = {("capacity_changed", "previous"): "previous_capacity"}
"""Fields of an event kind that ``Event`` shows under another name."""


@cache
def core() -> dict[str, list[str]]:
    names: dict[str, list[str]] = booking._booking._core_names()  # type: ignore[attr-defined]
    # The names are read from serde's own refusal of an unknown variant: a change of its wording
    # must fail here, not leave the lists empty.
    for key, values in names.items():
        assert values, f"no {key} read from the core"
    return names


@cache
def stub_classes() -> dict[str, ast.ClassDef]:
    return {n.name: n for n in ast.parse(STUB.read_text()).body if isinstance(n, ast.ClassDef)}


def stub_members(cls: str) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in stub_classes()[cls].body if isinstance(n, ast.FunctionDef)}


def stub_properties(cls: str) -> set[str]:
    return {
        name
        for name, f in stub_members(cls).items()
        if any(isinstance(d, ast.Name) and d.id == "property" for d in f.decorator_list)
    }


def runtime_properties(cls: type) -> set[str]:
    """The class's properties (pyo3's getters are getset descriptors)."""
    kinds = (property, types.GetSetDescriptorType)
    return {n for n in dir(cls) if not n.startswith("_") and isinstance(inspect.getattr_static(cls, n), kinds)}


def test_the_core_lists_agree_with_its_serde_names() -> None:
    names = core()
    assert sorted(names["event_kind_names"]) == sorted(names["event_kinds"]), "EventKind::NAMES is not every kind"
    assert "book_seat" in names["commands"] and "confirmed" in names["seat_statuses"]


def test_every_public_attribute_of_the_module_is_in_the_stub() -> None:
    # stubtest does not report a class attribute missing from the stub (a getter, a method).
    for name in booking._booking.__all__:
        runtime = getattr(booking._booking, name)
        if not isinstance(runtime, type):
            continue
        assert name in stub_classes(), f"add the class {name} to the stub"
        missing = sorted(n for n in vars(runtime) if not n.startswith("_") and n not in stub_members(name))
        assert not missing, f"add {missing} to the stub's {name}"


# --- enums ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "python_enum"),
    [
        ("event_kind_names", booking.EventKind),
        ("seat_statuses", booking.SeatStatus),
        ("lesson_statuses", booking.LessonStatus),
        ("booking_availabilities", booking.BookingAvailability),
        ("series_modes", booking.SeriesMode),
        ("roles", booking.Role),
        ("agenda_statuses", booking.AgendaStatus),
        ("agenda_kinds", booking.AgendaKind),
    ],
)
def test_every_variant_is_a_member(key: str, python_enum: type[enum.Enum]) -> None:
    values = [m.value for m in python_enum]
    missing = [v for v in core()[key] if v not in values]
    assert not missing, f"add {missing} to {python_enum.__name__} in python/booking_engine/_enums.py"
    assert values == core()[key], f"{python_enum.__name__}: not the core's variants in the core's order"


def test_event_kinds_constant_is_the_core_list() -> None:
    assert list(booking.EVENT_KINDS) == core()["event_kind_names"]


def test_waitlist_modes() -> None:
    assert {WaitlistMode.promote().mode, WaitlistMode.offer(5).mode} == set(core()["waitlist_modes"])


# --- error codes ---------------------------------------------------------------------------------


def test_every_error_code_has_an_exported_class_and_a_mapping() -> None:
    assert list(booking.ERROR_CODES) == core()["error_codes"]
    for code in core()["error_codes"]:
        assert code in booking.BY_CODE, f"add an exception class for {code!r} to python/booking_engine/_errors.py"
        cls = booking.BY_CODE[code]
        assert cls.__name__ in booking.__all__ and getattr(booking, cls.__name__) is cls, cls
        assert type(booking._booking.sample_error(code)) is cls, f"add {code!r} to sample_error in src/lib.rs"


# --- commands ------------------------------------------------------------------------------------


def test_every_command_is_an_engine_method() -> None:
    in_stub = stub_members("Engine")
    for command in core()["commands"]:
        method = COMMAND_METHODS.get(command, command)
        assert callable(getattr(booking.Engine, method, None)), f"add Engine.{method} for the core's {command}"
        assert method in in_stub, f"add Engine.{method} to the stub"


# --- scheduling rules ----------------------------------------------------------------------------


def test_every_rule_field_is_an_argument_a_property_and_a_key() -> None:
    fields = set(core()["rule_fields"])
    parameters = inspect.signature(SchedulingRules).parameters
    arguments = [p for p in parameters if parameters[p].kind is inspect.Parameter.KEYWORD_ONLY]
    assert set(arguments) == fields and len(parameters) == len(fields), "SchedulingRules.__new__ (src/objects.rs)"
    stub_arguments = [a.arg for a in stub_members("SchedulingRules")["__new__"].args.kwonlyargs]
    missing = sorted(fields - set(stub_arguments))
    assert not missing, f"add {missing} to SchedulingRules.__new__ in the stub"
    assert stub_arguments == arguments, "the stub's SchedulingRules.__new__: the arguments in order"
    missing = sorted(fields - runtime_properties(SchedulingRules))
    assert not missing, f"add the SchedulingRules properties {missing} (src/objects.rs)"
    missing = sorted(fields - stub_properties("SchedulingRules"))
    assert not missing, f"add the SchedulingRules properties {missing} to the stub"
    every = SchedulingRules(**{f: 1 for f in fields})
    assert every.to_dict() == {f: 1 for f in arguments}
    assert all(getattr(every, f) == 1 for f in fields)
    assert repr(every) == "SchedulingRules(" + ", ".join(f"{f}=1" for f in arguments) + ")"


# --- events --------------------------------------------------------------------------------------


@cache
def one_event_of_each_kind() -> tuple[dict[str, booking.Event], booking.MemoryDocumentStore]:
    """Every kind of event, from a real run of the engine (the first event of each kind)."""
    utc = timezone.utc
    store = booking.MemoryDocumentStore()
    clock = booking.ManualClock(NOW)
    e = booking.Engine(store, clock=clock)
    teacher, course = new_id(), new_id()
    s1, s2, s3, s4 = (new_id() for _ in range(4))
    T = Actor.teacher(teacher)

    def S(student: uuid.UUID) -> booking.Actor:
        return Actor.student(student)

    events: list[booking.Event] = []

    def run(receipt: booking.Receipt[Any]) -> Any:
        events.extend(receipt.events)
        return receipt.value

    def session(**extra: Any) -> booking.GroupSession:
        fields: dict[str, Any] = dict(
            teacher_id=teacher, title="t", starts_at=NOW + timedelta(days=2), time_zone="UTC",
            duration_minutes=60, meeting_link="https://meet.example.com/t", capacity=1, waitlist_enabled=True,
        )
        return run(e.create_session(T, **{**fields, **extra}))

    # Promotion: confirmed, waitlisted, cancelled and promoted; capacity, waitlist, closed, reopened.
    a = session()
    first = run(e.book_seat(S(s1), a.id, s1))
    second = run(e.book_seat(S(s2), a.id, s2))
    run(e.cancel_booking(S(s1), first.id))
    run(e.change_capacity(T, a.id, 2))
    run(e.set_waitlist(T, a.id, False))
    third = run(e.book_seat(S(s3), a.id, s3))
    run(e.cancel_booking(S(s3), third.id))
    # Offers: offered, accepted, declined, expired.
    b = session(waitlist_mode=WaitlistMode.offer(30))
    b1, b2, b3, _ = (run(e.book_seat(S(s), b.id, s)) for s in (s1, s2, s3, s4))
    run(e.cancel_booking(S(s1), b1.id))
    run(e.accept_offer(S(s2), b2.id))
    run(e.cancel_booking(S(s2), b2.id))
    run(e.decline_offer(S(s3), b3.id))
    clock.advance(timedelta(minutes=31))
    events.extend(e.process_expired_offers(clock.now()).events)
    run(e.cancel_session(T, session().id))
    # Lessons.
    store.set_course_approval(course, True)
    store.enroll(s1, course)
    weekly = WeeklySlot(Weekday.MONDAY, time(10), time(11), NOW.date())
    free = run(e.publish_slot(T, teacher, weekly, time_zone="UTC"))
    spare = run(e.publish_slot(T, teacher, WeeklySlot(Weekday.FRIDAY, time(10), time(11), NOW.date()), time_zone="UTC"))
    run(e.update_slot(T, spare.id, WeeklySlot(Weekday.FRIDAY, time(12), time(13), NOW.date()), time_zone="UTC"))
    approval = run(
        e.publish_slot(T, teacher, WeeklySlot(Weekday.TUESDAY, time(10), time(11), NOW.date()), time_zone="UTC", course_id=course)
    )
    monday, tuesday, week = datetime(2030, 5, 6, 10, tzinfo=utc), datetime(2030, 5, 7, 10, tzinfo=utc), timedelta(days=7)
    moved = run(e.book_lesson(S(s2), free.id, monday, s2))
    run(e.set_meeting_link(T, moved.id, "https://meet.example.com/moved"))
    run(e.reschedule_lesson(S(s2), moved.id, free.id, monday + week))
    approved = run(e.book_lesson(S(s1), approval.id, tuesday, s1))
    run(e.approve_lesson(T, approved.id, meeting_link="https://meet.example.com/approved"))
    declined = run(e.book_lesson(S(s1), approval.id, tuesday + week, s1))
    run(e.decline_lesson(T, declined.id, reason="away"))
    cancelled = run(e.book_lesson(S(s3), free.id, monday + 2 * week, s3))
    run(e.cancel_lesson(S(s3), cancelled.id))
    run(e.book_series(S(s4), free.id, s4, monday + 3 * week, count=2))
    run(e.set_scheduling_rules(T, teacher, SchedulingRules(min_notice_minutes=60), course_id=course))
    time_off = run(e.add_time_off(T, teacher, date(2030, 9, 1), date(2030, 9, 2), "UTC", note="away"))
    run(e.remove_time_off(T, teacher, time_off.id))
    # Attendance, once both have started.
    clock.set(datetime(2030, 5, 7, 11, tzinfo=utc))
    run(e.mark_attendance(T, second.id, True))
    run(e.mark_lesson_attendance(T, approved.id, True))

    first_of_kind: dict[str, booking.Event] = {}
    for event in events:
        first_of_kind.setdefault(event.kind.value, event)
    return first_of_kind, store


def same_value(shown: Any, written: Any) -> bool:
    """Whether an attribute shows what the core's JSON holds."""
    if isinstance(written, dict):
        if isinstance(shown, SchedulingRules):
            return shown.to_dict() == {k: v for k, v in written.items() if v is not None}
        return str(shown.id) == written["id"]
    if isinstance(written, list):
        return isinstance(shown, list) and len(shown) == len(written) and all(map(same_value, shown, written))
    if isinstance(shown, uuid.UUID):
        return str(shown) == written
    if isinstance(shown, datetime):
        return shown == datetime.fromisoformat(written.replace("Z", "+00:00"))
    if isinstance(shown, enum.Enum):
        return bool(shown.value == written)
    return type(shown) is type(written) and bool(shown == written)


def event_kinds() -> list[str]:
    """The core's event kinds (the Python enum's, in a wheel without the core's names)."""
    core_names = getattr(booking._booking, "_core_names", None)
    python = [k.value for k in booking.EventKind]
    return python + [k for k in core_names()["event_kinds"] if k not in python] if core_names else python


@pytest.mark.parametrize("kind", event_kinds())
def test_every_field_of_every_event_kind_is_an_attribute(kind: str) -> None:
    events, _ = one_event_of_each_kind()
    assert kind in events, f"no {kind} event: make one_event_of_each_kind produce one"
    event = events[kind]
    fields = json.loads(event.to_json())["kind"]
    assert fields.pop("type") == kind == event.kind.value
    in_stub, at_runtime = stub_properties("Event"), runtime_properties(booking.Event)
    for field, written in fields.items():
        attribute = EVENT_ATTRIBUTES.get((kind, field), field)
        assert attribute in at_runtime, f"{kind}.{field}: add Event.{attribute} (src/objects.rs)"
        assert attribute in in_stub, f"{kind}.{field}: add Event.{attribute} to the stub"
        shown = getattr(event, attribute)
        assert shown is not None, f"{kind}.{field}: Event.{attribute} reads None (src/objects.rs, event_fields!)"
        assert same_value(shown, written), (kind, field, shown, written)


def test_every_event_attribute_is_set_by_some_kind() -> None:
    events, _ = one_event_of_each_kind()
    missing = sorted(set(core()["event_kinds"]) - events.keys())
    assert not missing, f"no event of the kinds {missing}: make one_event_of_each_kind produce one"
    attributes = runtime_properties(booking.Event)
    assert attributes == stub_properties("Event")
    unset = {a for a in attributes if all(getattr(e, a) is None for e in events.values())}
    assert not unset, f"attributes no kind sets: {unset}"
    for event in events.values():
        assert event.occurred_at is not None and event.actor is not None


# --- the core's objects --------------------------------------------------------------------------

OBJECT_FIELDS_NOT_SHOWN: dict[str, set[str]] = {}
"""Fields of the core's objects (as their JSON names them) that their class does not show."""


def object_samples() -> dict[type, dict[str, Any]]:
    events, store = one_event_of_each_kind()

    def kind(name: str) -> dict[str, Any]:
        return json.loads(events[name].to_json())["kind"]  # type: ignore[no-any-return]

    session = kind("session_created")["session"]
    stored = store.load("session", uuid.UUID(session["id"]))
    assert stored is not None
    slot = kind("slot_published")["slot"]
    calendar = store.load("calendar", uuid.UUID(slot["teacher_id"]))
    assert calendar is not None
    calendar_body = json.loads(calendar[1])
    return {
        booking.GroupSession: session,
        booking.SeatBooking: json.loads(stored[1])["bookings"][0],
        booking.AvailabilitySlot: slot,
        booking.Lesson: kind("lesson_booked")["lesson"],
        booking.TimeOff: kind("time_off_added")["time_off"],
        booking.SchedulingRules: kind("scheduling_rules_set")["rules"],
        booking.Calendar: calendar_body,
        booking.Hold: calendar_body["holds"][0],
    }


OBJECTS = [
    booking.GroupSession,
    booking.SeatBooking,
    booking.AvailabilitySlot,
    booking.Lesson,
    booking.TimeOff,
    booking.SchedulingRules,
    booking.Calendar,
    booking.Hold,
]


@pytest.mark.parametrize("cls", OBJECTS, ids=lambda c: c.__name__)
def test_every_field_of_the_cores_objects_is_a_property(cls: type) -> None:
    written = object_samples()[cls]
    shown = runtime_properties(cls)
    missing = set(written) - shown - OBJECT_FIELDS_NOT_SHOWN.get(cls.__name__, set())
    assert not missing, f"{cls.__name__}: add {sorted(missing)} (src/objects.rs and the stub)"
    assert shown == stub_properties(cls.__name__)


READ_SIDE = [
    booking.StudentAgendaItem,
    booking.TeacherAgendaItem,
    booking.ApprovalRequest,
    booking.RosterEntry,
    booking.Roster,
    booking.StartingItem,
    booking.OutboxEntry,
    booking.Page,
]


@pytest.mark.parametrize("cls", READ_SIDE, ids=lambda c: c.__name__)
def test_the_read_sides_objects_have_the_stubs_properties(cls: type) -> None:
    # Their fields are listed in src/objects.rs from the core's structs (`py_methods!`); the
    # stub must show the same.
    assert runtime_properties(cls) == stub_properties(cls.__name__)
