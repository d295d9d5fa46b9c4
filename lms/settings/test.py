"""The test suite: fast hasher, local-memory cache, Celery eager unless a
broker is given (the integration leg of CI sets CELERY_BROKER_URL)."""

import os

from .base import *  # noqa: F401,F403
from .base import BASE_DIR, env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-use-only-in-tests-0123456789"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# What goes with a per-process cache (lms/settings/caching.py), whatever
# CACHE_URL says; tests of the shared-cache setup override both.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
ANXUN_USER_CACHE_SECONDS = 0
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "test-media")
ALLOWED_HOSTS = ["*"]
# Tests exercise throttling explicitly where they mean to.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "100000/min", "anon": "100000/min"}}  # noqa: F405
ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS}  # noqa: F405
# --- issue 16: archive ---
# Signed checkpoint files per pytest-xdist worker (the workers share
# MEDIA_ROOT, not their databases); tests/conftest.py empties it after each test.
ANXUN_ARCHIVE_CHECKPOINT_DIR = f"archive-checkpoints-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
# --- speed ---
# ANXUN_SPEED_OFF=1: every bypass of the speed layer off (lms/speed/), the CI leg
# that proves Django's own way still passes the suite.
if env.bool("ANXUN_SPEED_OFF", default=False):
    ANXUN_SPEED = dict.fromkeys(ANXUN_SPEED, False)  # noqa: F405
