from django.contrib import admin
from django.urls import path

from lessons import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("sessions/<uuid:session_id>/", views.session_detail, name="session-detail"),
    path("sessions/<uuid:session_id>/book/", views.book_seat, name="book-seat"),
]
