"""Settings of the example project: a thin host of the ``django_booking_engine`` app.

Safe by default: DEBUG off, the secret key from the environment (no fallback), explicit hosts.

Environment:
- ``DJANGO_SECRET_KEY`` (required);
- ``DJANGO_DEBUG=1`` for debug pages (never in production);
- ``DJANGO_ALLOWED_HOSTS``: comma-separated (default ``127.0.0.1,localhost``);
- ``DJANGO_HTTPS=1`` behind HTTPS: secure cookies, HSTS, redirect to HTTPS;
- ``BOOKING_PG_URL``: ``postgres://user:password@host:port/dbname`` (default: SQLite file
  ``db.sqlite3``; PostgreSQL is what production wants: row locks for concurrent bookings);
- ``BOOKING_WEBHOOK_URL``, ``BOOKING_WEBHOOK_SECRET``: where ``manage.py relay_outbox`` sends
  events;
- ``DJANGO_BOOKING_LOG=DEBUG``: one log line per engine command on the console (default:
  contention warnings only).
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured("set DJANGO_SECRET_KEY (python -c 'import secrets; print(secrets.token_urlsafe(50))')")
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
HTTPS = os.environ.get("DJANGO_HTTPS") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
# HSTS for subdomains, and the browsers' preload list, commit the whole domain to HTTPS: a
# decision for the deployment, not for this example (check --deploy would warn about both).
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 5.x's transitional setting (https, as Django 6 does)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_booking_engine",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "school.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "static"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/booking/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

BOOKING_ENGINE = {
    # Teacher and student roles: Django groups "teachers" and "students" (the default hook).
    # The engine's events into LOGGING below (one "command finished" line per command at DEBUG).
    "ENGINE_LOGGING": True,
    "WEBHOOK_URL": os.environ.get("BOOKING_WEBHOOK_URL"),
    "WEBHOOK_SECRET": os.environ.get("BOOKING_WEBHOOK_SECRET"),
}


def _database() -> dict[str, object]:
    url = os.environ.get("BOOKING_PG_URL")
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}
    parts = urlparse(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/") or "postgres",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


DATABASES = {"default": _database()}

# The engine's events (logger "booking_core"): contention warnings always; one line per command
# with DJANGO_BOOKING_LOG=DEBUG.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "booking_core": {"handlers": ["console"], "level": os.environ.get("DJANGO_BOOKING_LOG", "WARNING")},
    },
}
