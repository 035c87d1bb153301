"""The checklist's pages.

Every page needs a logged-in user (``login_required``) with the page's role (the role hook,
:mod:`.users`); the acting person is always ``request.user``, mapped to its engine id, never a
form field. Every form posts with Django's CSRF token. Every change is one engine command: a
refusal is shown as a message (:mod:`.messages`), bad form input changes nothing.
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, Callable

import booking_engine as booking
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import forms, models
from .courses import adapter
from .engine import get_engine
from .messages import words
from .users import STUDENT, TEACHER, display_names, engine_id, roles, time_zone_is_stored, time_zone_of

# How far ahead the 1:1 pages list free occurrences.
OCCURRENCE_DAYS = 28
# The agendas' windows (the engine reads at most 400 days at once).
AGENDA_AHEAD = timedelta(days=365)
SCHEDULE_PAST = timedelta(days=30)
# A student's bookings they may still cancel (the engine decides whether they can).
ACTIVE = {booking.AgendaStatus.CONFIRMED, booking.AgendaStatus.WAITLISTED, booking.AgendaStatus.OFFERED, booking.AgendaStatus.PENDING_APPROVAL}

View = Callable[..., HttpResponse]


def role_required(role: str) -> Callable[[View], View]:
    """``login_required``, then 403 unless the role hook gives the user ``role``."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if role not in roles(request.user):
                raise PermissionDenied(f"This page is for {role}s.")
            # Times on the page are in the user's zone (Django's |date filter converts to it).
            with timezone.override(_zone(time_zone_of(request.user))):
                return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _teacher(request: HttpRequest) -> tuple[uuid.UUID, booking.Actor]:
    me = engine_id(request.user)
    return me, booking.Actor.teacher(me)


def _student(request: HttpRequest) -> tuple[uuid.UUID, booking.Actor]:
    me = engine_id(request.user)
    return me, booking.Actor.student(me)


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(default))


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errs in form.errors.items():
        label = form.fields[field].label or field.replace("_", " ") if field in form.fields else ""
        for e in errs:
            messages.error(request, f"{label.capitalize()}: {e}" if label else e)


def _run(request: HttpRequest, command: Callable[[], Any], done: str) -> Any:
    """Runs one engine command; a refusal becomes an error message. Returns the receipt or None."""
    try:
        receipt = command()
    except booking.BookingError as e:
        messages.error(request, words(e))
        return None
    messages.success(request, done)
    return receipt


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _pages(fetch: Callable[[str | None], Any], cap: int = 2000) -> list[Any]:
    """Every item of an engine list (read page by page), up to ``cap``."""
    items: list[Any] = []
    after: str | None = None
    while len(items) < cap:
        page = fetch(after)
        items += page.items
        if page.next is None:
            break
        after = page.next
    return items


def _course_id(value: str) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


# --- teacher: schedule -----------------------------------------------------------------------


@role_required(TEACHER)
@require_http_methods(["GET", "POST"])
def teacher_schedule(request: HttpRequest) -> HttpResponse:
    me, actor = _teacher(request)
    engine = get_engine()
    zone = time_zone_of(request.user)
    courses = adapter().courses_of_teacher(me)
    form = forms.SessionForm(request.POST or None, courses=courses, initial={"time_zone": zone})
    if request.method == "POST":
        if not form.is_valid():
            _form_errors(request, form)
        else:
            d = form.cleaned_data
            mode = (
                booking.WaitlistMode.offer(d["hold_minutes"]) if d["waitlist_mode"] == "offer" else booking.WaitlistMode.promote()
            )
            receipt = _run(
                request,
                lambda: engine.create_session(
                    actor,
                    teacher_id=me,
                    title=d["title"],
                    starts_at=d["starts_at"].replace(tzinfo=zoneinfo.ZoneInfo(d["time_zone"])),
                    time_zone=d["time_zone"],
                    duration_minutes=d["duration_minutes"],
                    meeting_link=d["meeting_link"],
                    capacity=d["capacity"],
                    waitlist_enabled=d["waitlist_enabled"],
                    waitlist_mode=mode,
                    course_id=_course_id(d["course"]),
                ),
                "Session created.",
            )
            if receipt is not None:
                return _back(request, "booking_engine:teacher-schedule")
    now = engine.now()
    # The teacher's agenda (the engine's read side): sessions from a month back (attendance).
    agenda = _pages(lambda after: engine.teacher_agenda(actor, me, now - SCHEDULE_PAST, now + AGENDA_AHEAD, limit=200, after=after))
    rows: list[dict[str, Any]] = []
    for item in agenda:
        if item.kind is not booking.AgendaKind.SESSION:
            continue
        s = engine.session(actor, item.session_id)
        rows.append({"session": s, "started": now >= s.starts_at, "local_start": s.starts_at.astimezone(s.time_zone).replace(tzinfo=None)})
    students = {b.student_id for r in rows for b in r["session"].bookings}
    names = display_names(list(students))
    for r in rows:
        r["bookings"] = [
            {"booking": b, "name": names.get(b.student_id, "?"), "position": r["session"].waitlist_position(b.id)}
            for b in r["session"].bookings
        ]
    return render(request, "booking_engine/teacher_schedule.html", {"form": form, "sessions": rows, "zone": zone})


@role_required(TEACHER)
@require_POST
def teacher_session_capacity(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    _, actor = _teacher(request)
    form = forms.CapacityForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        _run(request, lambda: get_engine().change_capacity(actor, session_id, form.cleaned_data["capacity"]), "Capacity changed.")
    return _back(request, "booking_engine:teacher-schedule")


@role_required(TEACHER)
@require_POST
def teacher_session_cancel(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    _, actor = _teacher(request)
    _run(request, lambda: get_engine().cancel_session(actor, session_id), "Session cancelled.")
    return _back(request, "booking_engine:teacher-schedule")


@role_required(TEACHER)
@require_POST
def teacher_attendance(request: HttpRequest, booking_id: uuid.UUID) -> HttpResponse:
    _, actor = _teacher(request)
    form = forms.AttendanceForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        attended = form.cleaned_data["attended"] == "yes"
        _run(request, lambda: get_engine().mark_attendance(actor, booking_id, attended), "Attendance marked.")
    return _back(request, "booking_engine:teacher-schedule")


# --- student: book a group session -----------------------------------------------------------


def _session_or_404(actor: booking.Actor, session_id: uuid.UUID) -> booking.SessionSummary:
    try:
        return get_engine().session_summary(actor, session_id)
    except booking.NotFoundError:
        raise Http404("No such session.") from None


@role_required(STUDENT)
@require_http_methods(["GET", "POST"])
def student_book_session(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    me, actor = _student(request)
    engine = get_engine()
    session = _session_or_404(actor, session_id)
    if request.method == "POST":
        _run(request, lambda: engine.book_seat(actor, session_id, me), "Booked.")
        return HttpResponseRedirect(request.path)
    zone = _zone(time_zone_of(request.user))
    mine = session.own_booking
    teacher = display_names([session.teacher_id]).get(session.teacher_id, "")
    return render(
        request,
        "booking_engine/student_book_session.html",
        {
            "session": session,
            "teacher": teacher,
            "local_start": session.starts_at.astimezone(zone),
            "zone": zone.key,
            "availability": session.availability.value,
            "mine": mine,
            "position": None if mine is None else mine.waitlist_position,
        },
    )


def _seat_action(request: HttpRequest, booking_id: uuid.UUID, action: str) -> HttpResponse:
    _, actor = _student(request)
    engine = get_engine()
    command, done = {
        "accept": (engine.accept_offer, "Offer accepted: the seat is yours."),
        "decline": (engine.decline_offer, "Offer declined."),
        "cancel": (engine.cancel_booking, "Booking cancelled."),
    }[action]
    _run(request, lambda: command(actor, booking_id), done)
    nxt = request.POST.get("next", "")
    # Only a page of this site: Django's own check, which also refuses what browsers read as
    # another host ("//evil", "/\\evil", "https:evil", control characters).
    if url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return HttpResponseRedirect(nxt)
    return _back(request, "booking_engine:student-my-bookings")


@role_required(STUDENT)
@require_POST
def student_seat_accept(request: HttpRequest, booking_id: uuid.UUID) -> HttpResponse:
    return _seat_action(request, booking_id, "accept")


@role_required(STUDENT)
@require_POST
def student_seat_decline(request: HttpRequest, booking_id: uuid.UUID) -> HttpResponse:
    return _seat_action(request, booking_id, "decline")


@role_required(STUDENT)
@require_POST
def student_seat_cancel(request: HttpRequest, booking_id: uuid.UUID) -> HttpResponse:
    return _seat_action(request, booking_id, "cancel")


# --- teacher: availability -------------------------------------------------------------------


@role_required(TEACHER)
@require_http_methods(["GET", "POST"])
def teacher_availability(request: HttpRequest) -> HttpResponse:
    me, actor = _teacher(request)
    engine = get_engine()
    zone = time_zone_of(request.user)
    courses = adapter().courses_of_teacher(me)
    which = request.POST.get("form", "") if request.method == "POST" else ""
    initial = {"time_zone": zone}
    weekly = forms.WeeklySlotForm(request.POST if which == "weekly" else None, courses=courses, initial=initial, prefix="weekly")
    once = forms.OneTimeSlotForm(request.POST if which == "once" else None, courses=courses, initial=initial, prefix="once")
    off = forms.TimeOffForm(request.POST if which == "off" else None, initial=initial, prefix="off")
    calendar = engine.calendar(actor, me)
    rules = forms.RulesForm(request.POST if which == "rules" else None, initial=calendar.rules.to_dict(), prefix="rules")
    if request.method == "POST":
        form = {"weekly": weekly, "once": once, "off": off, "rules": rules}.get(which)
        if form is None:
            messages.error(request, "Unknown form.")
        elif not form.is_valid():
            _form_errors(request, form)
        else:
            d = form.cleaned_data
            command: Callable[[], Any]
            if which == "weekly":
                rec = booking.WeeklySlot(d["weekday"], d["start_time"], d["end_time"], d["valid_from"], d["valid_until"])
                command = lambda: engine.publish_slot(actor, me, rec, time_zone=d["time_zone"], course_id=_course_id(d["course"]))  # noqa: E731
                done = "Weekly slot published."
            elif which == "once":
                rec1 = booking.OneTimeSlot(d["start"], d["end"])
                command = lambda: engine.publish_slot(actor, me, rec1, time_zone=d["time_zone"], course_id=_course_id(d["course"]))  # noqa: E731
                done = "One-time slot published."
            elif which == "off":
                command = lambda: engine.add_time_off(actor, me, d["first_day"], d["last_day"], d["time_zone"], note=d["note"] or None)  # noqa: E731
                done = "Time off added."
            else:
                set_rules = booking.SchedulingRules(**{k: v for k, v in d.items() if v is not None})
                command = lambda: engine.set_scheduling_rules(actor, me, set_rules)  # noqa: E731
                done = "Scheduling rules saved."
            if _run(request, command, done) is not None:
                return _back(request, "booking_engine:teacher-availability")
    calendar = engine.calendar(actor, me)
    titles = {c.id: c.title for c in courses}
    slots = [
        {"slot": s, "weekly": isinstance(s.recurrence, booking.WeeklySlot), "course": titles.get(s.course_id, "") if s.course_id else ""}
        for s in calendar.slots
    ]
    return render(
        request,
        "booking_engine/teacher_availability.html",
        {"weekly": weekly, "once": once, "off": off, "rules": rules, "slots": slots, "time_off": calendar.time_off},
    )


@role_required(TEACHER)
@require_POST
def teacher_slot_active(request: HttpRequest, slot_id: uuid.UUID) -> HttpResponse:
    _, actor = _teacher(request)
    active = request.POST.get("active") == "yes"
    _run(request, lambda: get_engine().set_slot_active(actor, slot_id, active), "Slot updated.")
    return _back(request, "booking_engine:teacher-availability")


@role_required(TEACHER)
@require_POST
def teacher_time_off_remove(request: HttpRequest, time_off_id: uuid.UUID) -> HttpResponse:
    me, actor = _teacher(request)
    _run(request, lambda: get_engine().remove_time_off(actor, me, time_off_id), "Time off removed.")
    return _back(request, "booking_engine:teacher-availability")


# --- student: book 1:1 -----------------------------------------------------------------------


def _occurrences(engine: booking.Engine, teachers: list[uuid.UUID], course_id: uuid.UUID | None, student: uuid.UUID, zone: str) -> list[dict[str, Any]]:
    now = engine.now()
    names = display_names(teachers)
    found: list[dict[str, Any]] = []
    for teacher in teachers:
        for o in engine.list_occurrences(
            teacher, now, now + timedelta(days=OCCURRENCE_DAYS), course_id=course_id, student_id=student, time_zone=zone
        ):
            found.append({"o": o, "teacher": names.get(teacher, ""), "iso": o.starts_at.isoformat()})
    found.sort(key=lambda x: x["o"].starts_at)
    return found


@role_required(STUDENT)
@require_http_methods(["GET", "POST"])
def student_book_one_on_one(request: HttpRequest, course_id: uuid.UUID) -> HttpResponse:
    me, actor = _student(request)
    engine = get_engine()
    course = adapter().get(course_id)
    if course is None:
        raise Http404("No such course.")
    zone = time_zone_of(request.user)
    if request.method == "POST":
        form = forms.OccurrenceForm(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
        else:
            d = form.cleaned_data
            weeks = d.get("weeks") or 1
            if weeks > 1:
                receipt = _run(
                    request,
                    lambda: engine.book_series(actor, d["slot"], me, d["starts_at"], every_weeks=1, count=weeks),
                    "Weekly lessons booked.",
                )
                if receipt is not None and receipt.value.skipped:
                    messages.warning(request, f"{len(receipt.value.skipped)} of the weeks could not be booked.")
            else:
                receipt = _run(request, lambda: engine.book_lesson(actor, d["slot"], d["starts_at"], me), "Lesson booked.")
                if receipt is not None and receipt.value.status is booking.LessonStatus.PENDING:
                    messages.info(request, "The teacher will confirm the lesson.")
        return HttpResponseRedirect(request.path)
    # The page lists the times of the courses the student is enrolled in (the host's adapter
    # says which); booking is still the engine's decision, enrollment included.
    enrolled = adapter().is_enrolled(me, course_id)
    teachers = adapter().teachers_of(course_id) if enrolled else []
    return render(
        request,
        "booking_engine/student_book_one_on_one.html",
        {"course": course, "zone": zone, "enrolled": enrolled, "occurrences": _occurrences(engine, teachers, course_id, me, zone)},
    )


# --- teacher: manage 1:1 ---------------------------------------------------------------------


@role_required(TEACHER)
@require_GET
def teacher_one_on_one(request: HttpRequest) -> HttpResponse:
    me, actor = _teacher(request)
    engine = get_engine()
    now = engine.now()
    # The engine's read side: the approval queue, and the lessons on the teacher's agenda.
    pending = _pages(lambda after: engine.approval_queue(actor, me, limit=200, after=after))
    upcoming = [
        item
        for item in _pages(lambda after: engine.teacher_agenda(actor, me, now, now + AGENDA_AHEAD, limit=200, after=after))
        if item.kind is booking.AgendaKind.LESSON and item.lesson_status is booking.LessonStatus.CONFIRMED
    ]
    names = display_names([x.student_id for x in pending + upcoming])

    def show(rows: list[Any]) -> list[dict[str, Any]]:
        # A request waiting for approval has no link yet; an agenda item carries its lesson's.
        return [
            {"id": x.booking_id, "student": names.get(x.student_id, "?"), "starts_at": x.starts_at, "link": getattr(x, "meeting_link", None) or ""}
            for x in rows
        ]

    return render(
        request,
        "booking_engine/teacher_one_on_one.html",
        {"pending": show(pending), "upcoming": show(upcoming), "zone": time_zone_of(request.user)},
    )


@role_required(TEACHER)
@require_POST
def teacher_lesson_approve(request: HttpRequest, booking_id: uuid.UUID) -> HttpResponse:
    _, actor = _teacher(request)
    form = forms.ApproveForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        link = form.cleaned_data["meeting_link"] or None
        _run(request, lambda: get_engine().approve_lesson(actor, booking_id, meeting_link=link), "Lesson approved.")
    return _back(request, "booking_engine:teacher-one-on-one")


@role_required(TEACHER)
@require_POST
def teacher_lesson_decline(request: HttpRequest, booking_id: uuid.UUID) -> HttpResponse:
    _, actor = _teacher(request)
    form = forms.DeclineForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        reason = form.cleaned_data["reason"] or None
        _run(request, lambda: get_engine().decline_lesson(actor, booking_id, reason=reason), "Lesson declined.")
    return _back(request, "booking_engine:teacher-one-on-one")


@role_required(TEACHER)
@require_POST
def teacher_lesson_cancel(request: HttpRequest, booking_id: uuid.UUID) -> HttpResponse:
    _, actor = _teacher(request)
    _run(request, lambda: get_engine().cancel_lesson(actor, booking_id), "Lesson cancelled.")
    return _back(request, "booking_engine:teacher-one-on-one")


def _reschedule(request: HttpRequest, booking_id: uuid.UUID, actor: booking.Actor, back: str) -> HttpResponse:
    engine = get_engine()
    try:
        # The engine answers only the lesson's student and teacher: anyone else sees nothing.
        lesson = engine.lesson(actor, booking_id)
    except (booking.NotFoundError, booking.NotAuthorizedError):
        raise Http404("No such lesson.") from None
    if request.method == "POST":
        form = forms.OccurrenceForm(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
            return HttpResponseRedirect(request.path)
        d = form.cleaned_data
        if _run(request, lambda: engine.reschedule_lesson(actor, booking_id, d["slot"], d["starts_at"]), "Lesson moved.") is None:
            return HttpResponseRedirect(request.path)
        return _back(request, back)
    zone = time_zone_of(request.user)
    occurrences = _occurrences(engine, [lesson.teacher_id], lesson.course_id, lesson.student_id, zone)
    return render(
        request,
        "booking_engine/reschedule.html",
        {"lesson": lesson, "local_start": lesson.starts_at.astimezone(_zone(zone)), "zone": zone, "occurrences": occurrences, "back": back},
    )


@role_required(TEACHER)
@require_http_methods(["GET", "POST"])
def teacher_lesson_reschedule(request: HttpRequest, booking_id: uuid.UUID) -> HttpResponse:
    _, actor = _teacher(request)
    return _reschedule(request, booking_id, actor, "booking_engine:teacher-one-on-one")


# --- student: my bookings --------------------------------------------------------------------


@role_required(STUDENT)
@require_GET
def student_my_bookings(request: HttpRequest) -> HttpResponse:
    me, actor = _student(request)
    engine = get_engine()
    now = engine.now()
    # The student's agenda (the engine's read side): their live seats and lessons.
    def agenda(start: datetime, end: datetime) -> list[dict[str, Any]]:
        items = _pages(lambda after: engine.student_agenda(actor, me, start, end, limit=200, after=after))
        return [
            {
                "kind": i.kind.value, "id": i.booking_id, "session_id": i.session_id,
                "title": i.title or "1:1 lesson", "status": i.status.value.replace("_", " "), "starts_at": i.starts_at,
                "position": i.waitlist_position, "offer_expires_at": i.offer_expires_at, "link": i.meeting_link or "",
                "active": i.status in ACTIVE and i.ends_at > now,
                "offered": i.status is booking.AgendaStatus.OFFERED,
            }
            for i in items
            if i.ends_at > now or end <= now
        ]

    upcoming = agenda(now - timedelta(days=1), now + AGENDA_AHEAD)
    past = [i for i in agenda(now - AGENDA_AHEAD, now) if i["id"] not in {u["id"] for u in upcoming}]
    past.reverse()
    return render(request, "booking_engine/student_my_bookings.html", {"upcoming": upcoming, "past": past, "zone": time_zone_of(request.user)})


@role_required(STUDENT)
@require_POST
def student_lesson_cancel(request: HttpRequest, booking_id: uuid.UUID) -> HttpResponse:
    _, actor = _student(request)
    _run(request, lambda: get_engine().cancel_lesson(actor, booking_id), "Lesson cancelled.")
    return _back(request, "booking_engine:student-my-bookings")


@role_required(STUDENT)
@require_http_methods(["GET", "POST"])
def student_lesson_reschedule(request: HttpRequest, booking_id: uuid.UUID) -> HttpResponse:
    _, actor = _student(request)
    return _reschedule(request, booking_id, actor, "booking_engine:student-my-bookings")


@role_required(STUDENT)
@require_GET
def student_booking_ical(request: HttpRequest, booking_id: uuid.UUID) -> HttpResponse:
    """The calendar file of one of the student's own bookings (a seat or a lesson)."""
    _, actor = _student(request)
    try:
        # The engine answers only the booking's student (and teacher): another's is not found.
        ics = get_engine().booking_ical(actor, booking_id)
    except (booking.NotFoundError, booking.NotAuthorizedError):
        raise Http404("No such booking.") from None
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="booking-{booking_id}.ics"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def time_zone(request: HttpRequest) -> HttpResponse:
    """The user's own time zone (the pages show times in it)."""
    current = time_zone_of(request.user)
    if not time_zone_is_stored():
        # The host's TIME_ZONE_HOOK reads the zone from its own profile: change it there.
        if request.method == "POST":
            return HttpResponse("Your time zone is set in your profile.", status=405, content_type="text/plain")
        return render(request, "booking_engine/time_zone.html", {"form": None, "zone": current})
    form = forms.TimeZoneForm(request.POST or None, initial={"time_zone": current})
    if request.method == "POST":
        if form.is_valid():
            me = engine_id(request.user)
            models.BookingUser.objects.filter(engine_id=me).update(time_zone=form.cleaned_data["time_zone"])
            messages.success(request, "Time zone saved.")
            return HttpResponseRedirect(request.path)
        _form_errors(request, form)
    return render(request, "booking_engine/time_zone.html", {"form": form, "zone": current})


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Links to the pages of the user's roles, and the sessions open for booking."""
    user_roles = roles(request.user)
    ctx: dict[str, Any] = {"roles": user_roles}
    if STUDENT in user_roles:
        me = engine_id(request.user)
        zone = _zone(time_zone_of(request.user))
        now = get_engine().now()
        ctx["sessions"] = [
            {"s": s, "local_start": s.starts_at.astimezone(zone)}
            for s in models.GroupSession.objects.filter(starts_at__gte=now, cancelled=False).order_by("starts_at")[:50]
        ]
        ctx["courses"] = adapter().courses_of_student(me)
        ctx["zone"] = zone.key
    with timezone.override(_zone(time_zone_of(request.user))):
        return render(request, "booking_engine/home.html", ctx)
