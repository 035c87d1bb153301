from django.contrib import admin

from . import models


class ReadOnly(admin.ModelAdmin):
    """Engine-owned rows: change them through the engine, not the admin."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(models.GroupSession)
class GroupSessionAdmin(ReadOnly):
    list_display = ["title", "starts_at", "total_seats", "booked_seats", "waitlisted", "enable_waitlist", "cancelled"]


@admin.register(models.SeatBooking)
class SeatBookingAdmin(ReadOnly):
    list_display = ["session", "student_id", "status", "seats", "offer_expires_at", "position", "booked_at"]
    list_filter = ["status"]


@admin.register(models.Slot)
class SlotAdmin(ReadOnly):
    list_display = ["id", "teacher_id", "course_id", "slot_type", "time_zone", "active"]


@admin.register(models.Lesson)
class LessonAdmin(ReadOnly):
    list_display = ["starts_at", "teacher_id", "student_id", "status"]
    list_filter = ["status"]


@admin.register(models.OutboxEvent)
class OutboxAdmin(ReadOnly):
    list_display = ["created_at", "kind", "sent"]


admin.site.register(models.Course)
admin.site.register(models.CourseTeacher)
admin.site.register(models.Enrollment)
