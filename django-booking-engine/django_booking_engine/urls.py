"""The app's URLs; include them at the root: ``path("", include("django_booking_engine.urls"))``."""

from django.urls import path

from . import views

app_name = "booking_engine"

urlpatterns = [
    path("booking/", views.home, name="home"),
    path("booking/time-zone/", views.time_zone, name="time-zone"),
    path("teacher/schedule/", views.teacher_schedule, name="teacher-schedule"),
    path("teacher/sessions/<uuid:session_id>/capacity/", views.teacher_session_capacity, name="teacher-session-capacity"),
    path("teacher/sessions/<uuid:session_id>/cancel/", views.teacher_session_cancel, name="teacher-session-cancel"),
    path("teacher/seats/<uuid:booking_id>/attendance/", views.teacher_attendance, name="teacher-attendance"),
    path("teacher/availability/", views.teacher_availability, name="teacher-availability"),
    path("teacher/slots/<uuid:slot_id>/active/", views.teacher_slot_active, name="teacher-slot-active"),
    path("teacher/time-off/<uuid:time_off_id>/remove/", views.teacher_time_off_remove, name="teacher-time-off-remove"),
    path("teacher/one-on-one-bookings/", views.teacher_one_on_one, name="teacher-one-on-one"),
    path("teacher/lessons/<uuid:booking_id>/approve/", views.teacher_lesson_approve, name="teacher-lesson-approve"),
    path("teacher/lessons/<uuid:booking_id>/decline/", views.teacher_lesson_decline, name="teacher-lesson-decline"),
    path("teacher/lessons/<uuid:booking_id>/cancel/", views.teacher_lesson_cancel, name="teacher-lesson-cancel"),
    path("teacher/lessons/<uuid:booking_id>/reschedule/", views.teacher_lesson_reschedule, name="teacher-lesson-reschedule"),
    path("student/sessions/<uuid:session_id>/book/", views.student_book_session, name="student-book-session"),
    path("student/seats/<uuid:booking_id>/accept/", views.student_seat_accept, name="student-seat-accept"),
    path("student/seats/<uuid:booking_id>/decline/", views.student_seat_decline, name="student-seat-decline"),
    path("student/seats/<uuid:booking_id>/cancel/", views.student_seat_cancel, name="student-seat-cancel"),
    path("student/courses/<uuid:course_id>/book-one-on-one/", views.student_book_one_on_one, name="student-book-one-on-one"),
    path("student/my-bookings/", views.student_my_bookings, name="student-my-bookings"),
    path("student/lessons/<uuid:booking_id>/cancel/", views.student_lesson_cancel, name="student-lesson-cancel"),
    path("student/lessons/<uuid:booking_id>/reschedule/", views.student_lesson_reschedule, name="student-lesson-reschedule"),
    path("student/bookings/<uuid:booking_id>/calendar.ics", views.student_booking_ical, name="student-booking-ical"),
]
