"""The test settings with ``AUTH_USER_MODEL`` a user model whose primary key is a UUID."""

from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.uuid_users"]  # noqa: F405
AUTH_USER_MODEL = "uuid_users.User"
