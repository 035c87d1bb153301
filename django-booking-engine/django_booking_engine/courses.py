"""Courses, enrollment and approval settings come from the host through a course adapter.

``BOOKING_ENGINE["COURSE_ADAPTER"]`` names a class implementing :class:`CourseAdapter`; the
default, :class:`ModelCourseAdapter`, reads the app's own ``Course``, ``CourseTeacher`` and
``Enrollment`` models (for projects without a Course model). A platform with its own models
writes a small adapter; course ids are UUIDs in the engine (map integer keys with ``uuid5``
the way :mod:`django_booking_engine.users` does), users are engine ids
(:func:`django_booking_engine.users.engine_id`).
"""

from __future__ import annotations

import abc
import functools
import uuid
from dataclasses import dataclass

from django.utils.module_loading import import_string

from .conf import setting


@dataclass(frozen=True)
class CourseInfo:
    id: uuid.UUID
    title: str


class CourseAdapter(abc.ABC):
    """What the app asks of the host's courses. Every method is required: a subclass that
    misses one cannot be instantiated (``TypeError`` naming it, at the first page)."""

    @abc.abstractmethod
    def get(self, course_id: uuid.UUID) -> CourseInfo | None:
        """The course, or ``None``."""

    @abc.abstractmethod
    def courses_of_teacher(self, teacher_id: uuid.UUID) -> list[CourseInfo]:
        """The courses a teacher teaches (their choice on the schedule and availability pages)."""

    @abc.abstractmethod
    def teachers_of(self, course_id: uuid.UUID) -> list[uuid.UUID]:
        """The engine ids of the course's teachers (whose slots the 1:1 page shows)."""

    @abc.abstractmethod
    def courses_of_student(self, student_id: uuid.UUID) -> list[CourseInfo]:
        """The courses a student is enrolled in."""

    @abc.abstractmethod
    def is_enrolled(self, student_id: uuid.UUID, course_id: uuid.UUID) -> bool:
        """The engine's enrollment check (``DocumentStore.is_enrolled``)."""

    @abc.abstractmethod
    def approval_settings(self, course_id: uuid.UUID, teacher_id: uuid.UUID) -> tuple[bool | None, bool | None]:
        """``(course's setting, the teacher's override)`` (``DocumentStore.approval_settings``)."""


class ModelCourseAdapter(CourseAdapter):
    """The default adapter, over the app's ``Course``/``CourseTeacher``/``Enrollment``."""

    def get(self, course_id: uuid.UUID) -> CourseInfo | None:
        from .models import Course

        c = Course.objects.filter(pk=course_id).first()
        return None if c is None else CourseInfo(c.id, c.title)

    def courses_of_teacher(self, teacher_id: uuid.UUID) -> list[CourseInfo]:
        from .models import Course

        rows = Course.objects.filter(teachers__teacher__booking_profile__engine_id=teacher_id).order_by("title")
        return [CourseInfo(c.id, c.title) for c in rows]

    def teachers_of(self, course_id: uuid.UUID) -> list[uuid.UUID]:
        from .models import CourseTeacher

        from .users import engine_id

        return [engine_id(ct.teacher) for ct in CourseTeacher.objects.filter(course_id=course_id).select_related("teacher")]

    def courses_of_student(self, student_id: uuid.UUID) -> list[CourseInfo]:
        from .models import Course

        rows = Course.objects.filter(enrollments__student__booking_profile__engine_id=student_id).order_by("title")
        return [CourseInfo(c.id, c.title) for c in rows]

    def is_enrolled(self, student_id: uuid.UUID, course_id: uuid.UUID) -> bool:
        from .models import Enrollment

        return Enrollment.objects.filter(course_id=course_id, student__booking_profile__engine_id=student_id).exists()

    def approval_settings(self, course_id: uuid.UUID, teacher_id: uuid.UUID) -> tuple[bool | None, bool | None]:
        from .models import Course, CourseTeacher

        course = Course.objects.filter(pk=course_id).values_list("requires_booking_approval", flat=True).first()
        override = (
            CourseTeacher.objects.filter(course_id=course_id, teacher__booking_profile__engine_id=teacher_id)
            .values_list("requires_booking_approval", flat=True)
            .first()
        )
        return course, override


@functools.cache
def _adapter(path: str) -> CourseAdapter:
    adapter_class: type[CourseAdapter] = import_string(path)
    return adapter_class()


def adapter() -> CourseAdapter:
    """The configured course adapter."""
    return _adapter(setting("COURSE_ADAPTER"))
