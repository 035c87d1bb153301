from django.apps import AppConfig


class BookingEngineConfig(AppConfig):
    name = "django_booking_engine"
    label = "booking_engine"
    verbose_name = "Booking"
    default_auto_field = "django.db.models.BigAutoField"
