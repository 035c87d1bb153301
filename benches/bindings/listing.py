"""The availability listing from Python: through the binding vs a pure-Python implementation.

Builds the listing fixture of the Rust benches (``benches/src/lib.rs``) through the Python
API: one teacher in Europe/Berlin with 20 weekly slots (Monday to Friday at 09:00, 11:00,
14:00 and 16:00 for an hour, 5 of them for a course the viewer is enrolled in), 50 one-time
slots (Saturdays 10:00-11:30, one a week from "now" on) and 200 lessons booked by 50 students,
spread over the year; "now" is 10 March 2030 00:00 UTC; the viewer lists in America/New_York.

For each window (30, 90 and 365 days from now) it lists the viewer's bookable occurrences
twice and checks that both listings are equal, field by field, before timing anything:

- **binding**: ``engine.list_occurrences(...)``, which returns ``BookableOccurrence``
  objects whose fields become Python objects when read;
- **pure Python**: a straightforward implementation of the engine's rules with ``zoneinfo``
  (below, ``pure_listing``), given the same slots, holds, enrollments and "now" as plain
  Python values prepared before timing; it returns ``Occurrence`` named tuples.

Each side is timed listing alone, and listing then reading every field of every result into a
plain tuple (``read_fields``: what a page rendering all of them pays; the zones as their
names). Until 2026-12-06 the binding's "read" also built an ``Occurrence`` named tuple per
result (the class the comparison uses), about 0.3 µs each, which is that class's constructor,
not reading; that figure is still printed (``ratio_named``).

The four timings of a window are interleaved: ``--repeats`` rounds, each timing every one of
them once (the mean ns of ``--number`` calls), after one warm-up; the median of the rounds is
reported, so a change of load hits them alike. Python's cyclic garbage collector is off while
a round is timed, as ``timeit`` does. Prints a Markdown table, and a machine-readable line per
window:

    RESULT lang=python bench=listing days=90 occurrences=... binding_ns=... binding_read_ns=... pure_ns=... pure_read_ns=... ratio=... ratio_read=... ratio_named=...

    python benches/bindings/listing.py [--repeats 7] [--number 0 (auto)] [--windows 30,90,365]
"""

from __future__ import annotations

import argparse
import bisect
import gc
import statistics
import sys
import time
import uuid
from datetime import date, datetime, time as wall, timedelta, timezone
from typing import Any, Callable, NamedTuple
from zoneinfo import ZoneInfo

import booking_engine as booking
from booking_engine import Actor

UTC = timezone.utc
NOW = datetime(2030, 3, 10, tzinfo=UTC)
TEACHER_ZONE = "Europe/Berlin"
VIEWER_ZONE = "America/New_York"
WEEKLY_SLOTS, ONE_TIME_SLOTS, LESSONS, STUDENTS = 20, 50, 200, 50


def user(n: int) -> uuid.UUID:
    return uuid.UUID(int=(1 << 100) | n)


TEACHER = user(2_000_000)
VIEWER = user(3_000_000)
COURSE = uuid.UUID(int=(2 << 100) | 1)


def lesson_student(s: int) -> uuid.UUID:
    return user(10_000_000 + s)


class Occurrence(NamedTuple):
    """One bookable occurrence, as both implementations are compared."""

    slot_id: uuid.UUID
    course_id: uuid.UUID | None
    starts_at: datetime
    ends_at: datetime
    teacher_time_zone: str
    teacher_local_start: datetime
    teacher_local_end: datetime
    viewer_time_zone: str
    viewer_local_start: datetime
    viewer_local_end: datetime


def build_fixture() -> tuple[booking.Engine, booking.InMemoryStore]:
    """The Rust benches' `availability_engine(1)`, through the Python API."""
    store = booking.InMemoryStore()
    store.enroll(VIEWER, COURSE)
    for s in range(STUDENTS):
        store.enroll(lesson_student(s), COURSE)
    engine = booking.Engine(store, clock=booking.ManualClock(NOW))
    teacher = Actor.teacher(TEACHER)
    days = [booking.Weekday.MONDAY, booking.Weekday.TUESDAY, booking.Weekday.WEDNESDAY,
            booking.Weekday.THURSDAY, booking.Weekday.FRIDAY]  # fmt: skip
    weekly = [(d, h) for d in days for h in (9, 11, 14, 16)]
    for i, (day, hour) in enumerate(weekly):
        engine.publish_slot(
            teacher,
            TEACHER,
            booking.WeeklySlot(day, wall(hour), wall(hour + 1), valid_from=date(2030, 1, 1)),
            time_zone=TEACHER_ZONE,
            course_id=COURSE if i % 4 == 0 else None,
        )
    today = NOW.date()
    first_saturday = today + timedelta(days=(5 - today.weekday()) % 7)
    for week in range(ONE_TIME_SLOTS):
        day = first_saturday + timedelta(weeks=week)
        engine.publish_slot(
            teacher,
            TEACHER,
            booking.OneTimeSlot(datetime.combine(day, wall(10)), datetime.combine(day, wall(11, 30))),
            time_zone=TEACHER_ZONE,
        )
    everything = engine.list_occurrences(TEACHER, NOW, NOW + timedelta(days=365), student_id=VIEWER,
                                         time_zone=VIEWER_ZONE)  # fmt: skip
    assert len(everything) >= LESSONS, len(everything)
    for i in range(LESSONS):
        o = everything[i * len(everything) // LESSONS]
        student = lesson_student(i % STUDENTS)
        engine.book_lesson(Actor.student(student), o.slot_id, o.starts_at, student)
    return engine, store


# --- the pure-Python listing ------------------------------------------------------------------


class Slot(NamedTuple):
    id: uuid.UUID
    course_id: uuid.UUID | None
    zone: ZoneInfo
    active: bool
    # Weekly: (weekday, start time, end time, valid from, valid until); one-time: (start, end).
    weekly: tuple[int, wall, wall, date, date | None] | None
    one_time: tuple[datetime, datetime] | None


class Inputs(NamedTuple):
    """What the pure-Python listing reads, as plain Python values."""

    teacher: uuid.UUID
    slots: list[Slot]
    hold_starts: list[datetime]
    hold_ends: list[datetime]
    enrolled: set[tuple[uuid.UUID, uuid.UUID]]
    now: datetime


def inputs_of(engine: booking.Engine) -> Inputs:
    calendar = engine.calendar(Actor.system(), TEACHER)
    slots = []
    for s in calendar.slots:
        r = s.recurrence
        if isinstance(r, booking.WeeklySlot):
            weekly = (int(r.weekday), r.start_time, r.end_time, r.valid_from, r.valid_until)
            slots.append(Slot(s.id, s.course_id, s.time_zone, s.active, weekly, None))
        else:
            slots.append(Slot(s.id, s.course_id, s.time_zone, s.active, None, (r.start, r.end)))
    holds = sorted((h.starts_at, h.ends_at) for h in calendar.holds)
    enrolled = {(VIEWER, COURSE)} | {(lesson_student(s), COURSE) for s in range(STUDENTS)}
    return Inputs(TEACHER, slots, [h[0] for h in holds], [h[1] for h in holds], enrolled, engine.now())


def resolve(local: datetime, zone: ZoneInfo) -> datetime:
    """The engine's rule for a wall time: in a fold the earlier instant, in a gap the offset
    before the gap. That is exactly zoneinfo's ``fold=0`` (PEP 495)."""
    return local.replace(tzinfo=zone).astimezone(UTC)


def pure_listing(
    inputs: Inputs,
    start: datetime,
    end: datetime,
    student_id: uuid.UUID | None,
    viewer_zone: ZoneInfo,
) -> list[Occurrence]:
    """The engine's listing rules, written plainly in Python with zoneinfo."""
    if student_id == inputs.teacher:
        return []
    out: list[Occurrence] = []
    for slot in inputs.slots:
        if not slot.active:
            continue
        if slot.course_id is not None and student_id is not None and (student_id, slot.course_id) not in inputs.enrolled:
            continue
        zone = slot.zone
        # Candidate wall starts: every date whose occurrence could start in [start, end).
        candidates: list[tuple[datetime, timedelta]] = []
        if slot.weekly is not None:
            weekday, start_time, end_time, valid_from, valid_until = slot.weekly
            length = datetime.combine(date.min, end_time) - datetime.combine(date.min, start_time)
            if end_time < start_time:
                length += timedelta(days=1)
            first = max(start.astimezone(zone).date() - timedelta(days=1), valid_from)
            last = end.astimezone(zone).date() + timedelta(days=1)
            if valid_until is not None:
                last = min(last, valid_until)
            day = first + timedelta(days=(weekday - first.weekday()) % 7)
            while day <= last:
                candidates.append((datetime.combine(day, start_time), length))
                day += timedelta(weeks=1)
        elif slot.one_time is not None:
            candidates.append((slot.one_time[0], slot.one_time[1] - slot.one_time[0]))
        for local_start, length in candidates:
            starts_at = resolve(local_start, zone)
            if not (start <= starts_at < end and starts_at > inputs.now):
                continue
            ends_at = resolve(local_start + length, zone)
            if ends_at <= starts_at:
                continue
            # Holds never overlap one another: sorted by start, their ends are sorted too, so only
            # the last hold starting before this occurrence ends can overlap it.
            i = bisect.bisect_left(inputs.hold_starts, ends_at)
            if i > 0 and inputs.hold_ends[i - 1] > starts_at:
                continue
            out.append(
                Occurrence(
                    slot.id,
                    slot.course_id,
                    starts_at,
                    ends_at,
                    zone.key,
                    starts_at.astimezone(zone).replace(tzinfo=None),
                    ends_at.astimezone(zone).replace(tzinfo=None),
                    viewer_zone.key,
                    starts_at.astimezone(viewer_zone).replace(tzinfo=None),
                    ends_at.astimezone(viewer_zone).replace(tzinfo=None),
                )
            )
    out.sort(key=lambda o: (o.starts_at, o.slot_id))
    return out


def read_all(found: list[booking.BookableOccurrence]) -> list[Occurrence]:
    """Every field of every occurrence the binding returned, as the pure listing's tuples (to
    compare the two listings)."""
    return [
        Occurrence(
            o.slot_id,
            o.course_id,
            o.starts_at,
            o.ends_at,
            o.teacher_time_zone.key,
            o.teacher_local_start,
            o.teacher_local_end,
            o.viewer_time_zone.key,
            o.viewer_local_start,
            o.viewer_local_end,
        )
        for o in found
    ]


Fields = tuple[Any, ...]


def read_fields(found: list[booking.BookableOccurrence]) -> list[Fields]:
    """Every field of every occurrence the binding returned, read into a plain tuple."""
    return [
        (
            o.slot_id,
            o.course_id,
            o.starts_at,
            o.ends_at,
            o.teacher_time_zone.key,
            o.teacher_local_start,
            o.teacher_local_end,
            o.viewer_time_zone.key,
            o.viewer_local_start,
            o.viewer_local_end,
        )
        for o in found
    ]


def read_pure_fields(found: list[Occurrence]) -> list[Fields]:
    """Every field of every occurrence the pure listing returned, read the same way."""
    return [
        (
            o.slot_id,
            o.course_id,
            o.starts_at,
            o.ends_at,
            o.teacher_time_zone,
            o.teacher_local_start,
            o.teacher_local_end,
            o.viewer_time_zone,
            o.viewer_local_start,
            o.viewer_local_end,
        )
        for o in found
    ]


def timed_together(fs: dict[str, Callable[[], Any]], number: int, repeats: int) -> dict[str, float]:
    """Interleaved: `repeats` rounds, each timing every function once as the mean ns per call
    of `number` calls (after one warm-up call each), the garbage collector off as in `timeit`;
    the median of the rounds per function."""
    runs: dict[str, list[float]] = {name: [] for name in fs}
    for f in fs.values():
        f()
    for _ in range(repeats):
        for name, f in fs.items():
            gc.collect()
            gc.disable()
            try:
                started = time.perf_counter_ns()
                for _ in range(number):
                    f()
                runs[name].append((time.perf_counter_ns() - started) / number)
            finally:
                gc.enable()
    return {name: statistics.median(r) for name, r in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--number", type=int, default=0, help="listings per run (0: about 0.2 s of pure Python)")
    parser.add_argument("--windows", default="30,90,365", help="window lengths in days")
    args = parser.parse_args()
    repeats = max(1, args.repeats)

    engine, _store = build_fixture()
    inputs = inputs_of(engine)
    viewer_zone = ZoneInfo(VIEWER_ZONE)
    rows = []
    for days in (int(d) for d in args.windows.split(",")):
        start, end = NOW, NOW + timedelta(days=days)

        def binding() -> list[booking.BookableOccurrence]:
            return engine.list_occurrences(TEACHER, start, end, student_id=VIEWER, time_zone=VIEWER_ZONE)

        def binding_read() -> list[Occurrence]:
            return read_all(binding())

        def pure() -> list[Occurrence]:
            return pure_listing(inputs, start, end, VIEWER, viewer_zone)

        # The outputs first: equal, field by field, or no figure at all.
        expected, got = pure(), binding_read()
        if got != expected:
            for i, (a, b) in enumerate(zip(got, expected)):
                if a != b:
                    print(f"first difference at {i}:\n  binding {a}\n  python  {b}", file=sys.stderr)
                    break
            raise SystemExit(f"{days} days: the listings differ ({len(got)} vs {len(expected)} occurrences)")
        if read_fields(binding()) != read_pure_fields(expected):
            raise SystemExit(f"{days} days: the fields read differ")
        number = args.number
        if number <= 0:
            started = time.perf_counter_ns()
            pure()
            number = max(3, int(0.2e9 / max(1, time.perf_counter_ns() - started)))
        t = timed_together(
            {
                "pure": pure,
                "pure_read": lambda: read_pure_fields(pure()),
                "binding": binding,
                "binding_read": lambda: read_fields(binding()),
                "binding_named": binding_read,
            },
            number,
            repeats,
        )
        rows.append((days, len(got), t))
        print(
            f"RESULT lang=python bench=listing days={days} occurrences={len(got)} binding_ns={t['binding']:.0f} "
            f"binding_read_ns={t['binding_read']:.0f} pure_ns={t['pure']:.0f} pure_read_ns={t['pure_read']:.0f} "
            f"ratio={t['pure'] / t['binding']:.1f} ratio_read={t['pure_read'] / t['binding_read']:.1f} "
            f"ratio_named={t['pure'] / t['binding_named']:.1f} number={number} repeats={repeats}"
        )
    print()
    print("| window | occurrences | binding: list | binding: list + read every field | pure Python (zoneinfo): list "
          "| pure: list + read every field | pure / binding, list | pure / binding, list + read "
          "| (before: pure list / binding list + named tuples) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for days, n, t in rows:
        print(
            f"| {days} days | {n} | {t['binding'] / 1000:.1f} µs | {t['binding_read'] / 1000:.1f} µs "
            f"| {t['pure'] / 1000:.1f} µs | {t['pure_read'] / 1000:.1f} µs | **{t['pure'] / t['binding']:.0f}x** "
            f"| **{t['pure_read'] / t['binding_read']:.1f}x** | {t['pure'] / t['binding_named']:.1f}x |"
        )


if __name__ == "__main__":
    main()
