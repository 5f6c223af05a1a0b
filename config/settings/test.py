"""The test suite. DATABASE_URL / REDIS_URL decide whether it runs on Postgres and Redis."""

from config.settings.base import *  # noqa: F403
from config.settings.base import BASE_DIR, CACHES, REDIS_URL

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; never in production
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = str(BASE_DIR / ".test-media")
STORAGES = {
    **STORAGES,  # noqa: F405
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(BASE_DIR / ".test-media" / "private"), "base_url": None},
    },
}
# Tasks run in-process in tests; the real-worker tests start a worker of their own.
CELERY_TASK_ALWAYS_EAGER = True
# Each test starts with an empty cache (see tests/conftest.py); a Redis cache gets its own
# key prefix so the suite never touches a running dev server's keys.
if REDIS_URL:
    CACHES["default"]["KEY_PREFIX"] = "test"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
