"""Where the cache lives, and what may be kept in it.

Only a cache that every web process shares (Redis) may hold the login
sessions and the logged-in user: with a per-process memory cache a logout or a
password change in one process would not reach the others. So:

- shared cache (Redis): sessions ``cached_db`` (read from Redis, written to
  the database and Redis, deleted from both at logout) and the user cached for
  ``ANXUN_USER_CACHE_SECONDS`` (lms.accounts.middleware.AuthenticationMiddleware;
  forgotten whenever the user row is saved or deleted);
- anything else (local memory: dev, tests, a single process): sessions in
  the database, the user read from it on every request, as Django does.
"""

from __future__ import annotations

import environ

# Django's own RedisCache for redis:// URLs (django-environ would name
# django-redis), made to degrade to a miss while Redis is away, with a circuit
# breaker (lms/kernel/cache.py, issue 19).
REDIS_BACKEND = "lms.kernel.cache.ResilientRedisCache"
# Caches that every web process (on every host) sees alike.
SHARED_BACKENDS = frozenset({
    REDIS_BACKEND,
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
})
LOCAL_CACHE_URL = "locmemcache://anxun"
DEFAULT_USER_CACHE_SECONDS = 60


def is_redis_url(url: str) -> bool:
    return url.startswith(("redis://", "rediss://"))


def cache_settings(env: environ.Env, *, fallback_urls: tuple[str, ...] = ()) -> dict:
    """CACHES, SESSION_ENGINE and ANXUN_USER_CACHE_SECONDS. The cache is
    ``CACHE_URL``, else the first Redis URL among ``fallback_urls`` (production
    passes REDIS_URL and the Celery broker), else local memory. Django's own
    RedisCache serves redis:// URLs."""
    url = env.str("CACHE_URL", default="") or next((u for u in fallback_urls if u and is_redis_url(u)), "")
    caches = {"default": environ.Env.cache_url_config(url or LOCAL_CACHE_URL)}
    if is_redis_url(url):
        caches["default"]["BACKEND"] = REDIS_BACKEND
        # A dead Redis costs at most the connect timeout, once per breaker interval.
        caches["default"].setdefault("OPTIONS", {}).update({
            "socket_connect_timeout": env.float("ANXUN_CACHE_CONNECT_TIMEOUT", default=0.5),
            "socket_timeout": env.float("ANXUN_CACHE_TIMEOUT", default=1.0),
            "breaker_seconds": env.float("ANXUN_CACHE_BREAKER_SECONDS", default=10.0),
        })
    shared = caches["default"]["BACKEND"] in SHARED_BACKENDS
    return {
        "CACHES": caches,
        "SESSION_ENGINE": "django.contrib.sessions.backends." + ("cached_db" if shared else "db"),
        # 0 turns the user cache off; never on without a shared cache.
        "ANXUN_USER_CACHE_SECONDS": env.int("ANXUN_USER_CACHE_SECONDS", default=DEFAULT_USER_CACHE_SECONDS)
        if shared else 0,
    }
