"""Admin: the engine's sessions, slots, lessons and seat bookings, listed and searchable.

The rows are projections: nothing is edited by hand. The actions go through the engine, as
the engine's admin (``Actor.admin``) for the staff user; a refusal is shown as a message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import booking_engine as booking
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db import models as dj_models
from django.db.models import QuerySet
from django.http import HttpRequest

from . import models
from .engine import get_engine
from .forms import _HTTPS
from .messages import words
from .users import engine_id

if TYPE_CHECKING:  # django-stubs' admin classes are generic; Django's own are not subscriptable.
    _ModelAdmin = admin.ModelAdmin[Any]
    _TabularInline = admin.TabularInline[Any, Any]
else:
    _ModelAdmin = admin.ModelAdmin
    _TabularInline = admin.TabularInline


class ReadOnlyAdmin(_ModelAdmin):
    formfield_overrides = {dj_models.URLField: _HTTPS}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _each(modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any], command: Callable[[booking.Actor, Any], Any], done: str) -> None:
    actor = booking.Actor.admin(engine_id(request.user))
    ok = 0
    for row in queryset:
        try:
            command(actor, row)
            ok += 1
        except booking.BookingError as e:
            modeladmin.message_user(request, f"{row}: {words(e)}", messages.ERROR)
    if ok:
        modeladmin.message_user(request, f"{done}: {ok}.", messages.SUCCESS)


class CapacityActionForm(ActionForm):
    capacity = forms.IntegerField(min_value=1, required=False, help_text="for 'change capacity'")


class MeetingLinkActionForm(ActionForm):
    meeting_link = forms.CharField(required=False, help_text="for 'approve' (optional)")
    reason = forms.CharField(required=False, help_text="for 'decline' (optional)")


@admin.register(models.GroupSession)
class GroupSessionAdmin(ReadOnlyAdmin):
    list_display = ("title", "starts_at", "teacher_id", "booked_seats", "total_seats", "waitlisted", "cancelled")
    list_filter = ("cancelled", "enable_waitlist")
    search_fields = ("title", "=id", "=teacher_id")
    date_hierarchy = "starts_at"
    exclude = ("document",)
    action_form = CapacityActionForm
    actions = ["cancel_sessions", "change_capacity"]

    @admin.action(description="Cancel the selected sessions (engine)")
    def cancel_sessions(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        _each(self, request, queryset, lambda a, s: get_engine().cancel_session(a, s.id), "Sessions cancelled")

    @admin.action(description="Change capacity of the selected sessions (engine)")
    def change_capacity(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        try:
            capacity = int(request.POST.get("capacity", ""))
            if capacity < 1:
                raise ValueError
        except ValueError:
            self.message_user(request, "Enter the new number of seats (1 or more).", messages.ERROR)
            return
        _each(self, request, queryset, lambda a, s: get_engine().change_capacity(a, s.id, capacity), "Capacity changed")


@admin.register(models.SeatBooking)
class SeatBookingAdmin(ReadOnlyAdmin):
    list_display = ("id", "session", "student_id", "status", "seats", "booked_at")
    list_filter = ("status",)
    search_fields = ("=id", "=student_id", "session__title")
    actions = ["cancel_bookings"]

    @admin.action(description="Cancel the selected bookings (engine)")
    def cancel_bookings(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        _each(self, request, queryset, lambda a, b: get_engine().cancel_booking(a, b.id), "Bookings cancelled")


@admin.register(models.Slot)
class SlotAdmin(ReadOnlyAdmin):
    list_display = ("id", "teacher_id", "course_id", "slot_type", "time_zone", "active")
    list_filter = ("slot_type", "active")
    search_fields = ("=id", "=teacher_id")
    actions = ["activate", "deactivate"]

    @admin.action(description="Activate the selected slots (engine)")
    def activate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        _each(self, request, queryset, lambda a, s: get_engine().set_slot_active(a, s.id, True), "Slots activated")

    @admin.action(description="Deactivate the selected slots (engine)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        _each(self, request, queryset, lambda a, s: get_engine().set_slot_active(a, s.id, False), "Slots deactivated")


@admin.register(models.Lesson)
class LessonAdmin(ReadOnlyAdmin):
    list_display = ("id", "starts_at", "teacher_id", "student_id", "status", "meeting_link")
    list_filter = ("status",)
    search_fields = ("=id", "=teacher_id", "=student_id", "=series_id")
    date_hierarchy = "starts_at"
    exclude = ("document",)
    action_form = MeetingLinkActionForm
    actions = ["approve", "decline", "cancel"]

    @admin.action(description="Approve the selected lessons (engine)")
    def approve(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        link = request.POST.get("meeting_link") or None
        _each(self, request, queryset, lambda a, x: get_engine().approve_lesson(a, x.id, meeting_link=link), "Lessons approved")

    @admin.action(description="Decline the selected lessons (engine)")
    def decline(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        reason = request.POST.get("reason") or None
        _each(self, request, queryset, lambda a, x: get_engine().decline_lesson(a, x.id, reason=reason), "Lessons declined")

    @admin.action(description="Cancel the selected lessons (engine)")
    def cancel(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        _each(self, request, queryset, lambda a, x: get_engine().cancel_lesson(a, x.id), "Lessons cancelled")


@admin.register(models.OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ("position", "kind", "created_at")
    list_filter = ("kind",)


@admin.register(models.BookingUser)
class BookingUserAdmin(_ModelAdmin):
    list_display = ("user", "engine_id", "time_zone")
    search_fields = ("=engine_id",)
    readonly_fields = ("engine_id", "user")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class CourseTeacherInline(_TabularInline):
    model = models.CourseTeacher
    extra = 0


@admin.register(models.Course)
class CourseAdmin(_ModelAdmin):
    list_display = ("title", "requires_booking_approval")
    search_fields = ("title",)
    inlines = [CourseTeacherInline]


@admin.register(models.Enrollment)
class EnrollmentAdmin(_ModelAdmin):
    list_display = ("course", "student")
    list_filter = ("course",)
