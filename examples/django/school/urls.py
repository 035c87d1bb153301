from django.contrib import admin
from django.urls import path

from lessons import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("sessions/<uuid:session_id>/", views.session_detail, name="session-detail"),
    path("sessions/<uuid:session_id>/book/", views.book_seat, name="book-seat"),
    path("sessions/<uuid:session_id>/calendar.ics", views.session_calendar, name="session-calendar"),
    path("bookings/<uuid:booking_id>/accept/", views.answer_offer, {"answer": "accept"}, name="accept-offer"),
    path("bookings/<uuid:booking_id>/decline/", views.answer_offer, {"answer": "decline"}, name="decline-offer"),
]
