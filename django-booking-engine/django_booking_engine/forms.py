"""The pages' forms. They check shapes (a number, a date, a known time zone); every booking
rule is the engine's."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import django
from django import forms
from django.core.exceptions import ValidationError

from .courses import CourseInfo

# Django >= 5.0 takes (and 5.x warns without) assume_scheme; 4.2 does not know it.
_HTTPS: dict[str, Any] = {"assume_scheme": "https"} if django.VERSION >= (5, 0) else {}


def _zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationError("Unknown time zone.") from None
    return value


class ZoneField(forms.CharField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(max_length=64, **kwargs)  # type: ignore[arg-type]

    def clean(self, value: object) -> str:
        return _zone(super().clean(value))


class LocalDateTimeField(forms.DateTimeField):
    """A wall time (no zone): the form's ``time_zone`` field says where."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"], **kwargs)  # type: ignore[arg-type]

    def to_python(self, value: object) -> datetime | None:
        # No conversion to the project's zone: the form's zone applies.
        if value in self.empty_values:
            return None
        for fmt in self.input_formats or ():
            try:
                return datetime.strptime(str(value).strip(), fmt)
            except ValueError:
                continue
        raise ValidationError("Enter a date and time.")


class InstantField(forms.CharField):
    """An ISO 8601 instant with its offset (the occurrences' hidden field)."""

    def clean(self, value: object) -> datetime:
        text = super().clean(value)
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError("Not a date and time.") from None
        if instant.tzinfo is None:
            raise ValidationError("The time has no offset.")
        return instant


def _set_course_choices(form: forms.Form, courses: Iterable[CourseInfo]) -> None:
    field = form.fields["course"]
    assert isinstance(field, forms.ChoiceField)
    field.choices = _course_choices(courses)


def _course_choices(courses: Iterable[CourseInfo]) -> list[tuple[str, str]]:
    return [("", "(no course)")] + [(str(c.id), c.title) for c in courses]


class SessionForm(forms.Form):
    title = forms.CharField(max_length=200)
    course = forms.ChoiceField(required=False, choices=())
    starts_at = LocalDateTimeField(label="Start (in the time zone below)")
    time_zone = ZoneField()
    duration_minutes = forms.IntegerField(min_value=1, max_value=24 * 60, initial=60)
    meeting_link = forms.URLField(max_length=2048, **_HTTPS)
    capacity = forms.IntegerField(min_value=1, max_value=10000, initial=10, label="Seats")
    waitlist_enabled = forms.BooleanField(required=False, label="Waitlist")
    waitlist_mode = forms.ChoiceField(
        choices=[("promote", "Promote the first in line at once"), ("offer", "Offer the seat for a while")],
        initial="promote",
    )
    hold_minutes = forms.IntegerField(min_value=1, max_value=7 * 24 * 60, required=False, initial=60)

    def __init__(self, *args: Any, courses: Iterable[CourseInfo] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_course_choices(self, courses)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("waitlist_mode") == "offer" and not data.get("hold_minutes"):
            self.add_error("hold_minutes", "How long is a seat offered?")
        return data


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(min_value=1, max_value=10000)


class AttendanceForm(forms.Form):
    attended = forms.ChoiceField(choices=[("yes", "Attended"), ("no", "No-show")])


class WeeklySlotForm(forms.Form):
    weekday = forms.TypedChoiceField(
        coerce=int,
        choices=list(enumerate(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"])),
    )
    start_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    valid_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    time_zone = ZoneField()
    course = forms.ChoiceField(required=False, choices=())

    def __init__(self, *args: Any, courses: Iterable[CourseInfo] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_course_choices(self, courses)


class OneTimeSlotForm(forms.Form):
    start = LocalDateTimeField()
    end = LocalDateTimeField()
    time_zone = ZoneField()
    course = forms.ChoiceField(required=False, choices=())

    def __init__(self, *args: Any, courses: Iterable[CourseInfo] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_course_choices(self, courses)


class TimeOffForm(forms.Form):
    first_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time_zone = ZoneField()
    note = forms.CharField(max_length=200, required=False)


class RulesForm(forms.Form):
    min_notice_minutes = forms.IntegerField(min_value=0, max_value=10**6, required=False)
    max_advance_days = forms.IntegerField(min_value=0, max_value=10**4, required=False)
    buffer_before_minutes = forms.IntegerField(min_value=0, max_value=10**4, required=False)
    buffer_after_minutes = forms.IntegerField(min_value=0, max_value=10**4, required=False)
    cancel_cutoff_minutes = forms.IntegerField(min_value=0, max_value=10**6, required=False)
    reschedule_cutoff_minutes = forms.IntegerField(min_value=0, max_value=10**6, required=False)
    max_lessons_per_day = forms.IntegerField(min_value=0, max_value=10**4, required=False)
    max_lessons_per_week = forms.IntegerField(min_value=0, max_value=10**4, required=False)


class OccurrenceForm(forms.Form):
    slot = forms.UUIDField()
    starts_at = InstantField()
    weeks = forms.IntegerField(min_value=1, max_value=52, initial=1, required=False, label="Weekly, for this many weeks")


class ApproveForm(forms.Form):
    meeting_link = forms.URLField(max_length=2048, required=False, **_HTTPS)


class DeclineForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False)


class TimeZoneForm(forms.Form):
    time_zone = ZoneField()
