"""The Redis cache, degrading instead of falling over (issue 19).

Django's own ``RedisCache`` raises whenever Redis does not answer, and the
cache sits on the request path everywhere: ``cached_db`` sessions, the
logged-in user (lms.speed.usercache), Wagtail's site root paths, allauth's
rate limits, DRF throttles, the badge counts. Nothing kept there is the only
copy — sessions and users live in the database too — so
:class:`ResilientRedisCache` answers as an empty cache instead:

- every error of Redis (``redis.RedisError``, ``OSError``) is caught and
  logged: a read returns the default (a miss), a write is dropped (``incr``
  raises ValueError as for a missing key). ``add`` — the one call whose answer
  decides something: allauth's rate-limit lock and the TOTP code's single use —
  falls back to this process's memory, so a code is still used once per
  process and the lock is still taken (while Redis is away the rate limits
  count nothing: they fail open, sign-in keeps working);
- a **circuit breaker** per Redis location and process: after a failure Redis
  is not asked at all for ``BREAKER_SECONDS`` (OPTIONS, default 10 s), so a
  dead Redis costs one connect timeout per process per interval, not one per
  request. Then one request tries again (half-open): success closes it;
- writes lost while Redis was away would leave stale copies behind (a logout
  whose session stays in the cache, a user whose tombstone was dropped): the
  keys of every lost write are remembered (up to ``LOST_KEYS_MAX``) and
  deleted as soon as Redis answers again. If more were lost, or the process
  ends before Redis returns, the entries expire by themselves
  (ANXUN_USER_CACHE_SECONDS, the session age) — see docs/ops/runbook.md;
- short socket timeouts (``socket_connect_timeout``/``socket_timeout`` in
  OPTIONS; lms/settings/caching.py sets 0.5 s / 1 s) bound what a failure costs.

Why not django-redis: the project uses Django's own backend (no extra
dependency); its IGNORE_EXCEPTIONS has no breaker, so each request would still
wait for the connect timeout of a dead Redis. ``readyz`` asks Redis itself
through :meth:`ResilientRedisCache.ping`, which bypasses the breaker and raises.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from . import metrics

logger = logging.getLogger(__name__)

DEFAULT_BREAKER_SECONDS = 10.0
LOST_KEYS_MAX = 10_000


class CacheUnavailable(Exception):
    """Redis did not answer, or the breaker is open (Redis is not asked)."""


class Breaker:
    """Open for ``seconds`` after a failure; shared by the threads of a process."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.open_until = 0.0
        self.lost_keys: set[str] = set()
        self.lost_overflow = False
        self.lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self) -> None:
        self.open_until = time.monotonic() + self.seconds

    def lose(self, keys) -> None:
        with self.lock:
            if len(self.lost_keys) < LOST_KEYS_MAX:
                self.lost_keys.update(keys)
            else:
                self.lost_overflow = True


# add()/delete() while Redis is away: this process's memory (see above).
_local = LocMemCache("anxun-cache-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})

_breakers: dict[tuple, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(servers, seconds: float) -> Breaker:
    key = (tuple(servers), seconds)
    with _breakers_lock:
        if key not in _breakers:
            _breakers[key] = Breaker(seconds)
        return _breakers[key]


def reset_breakers() -> None:
    """Close every breaker and forget lost keys (tests)."""
    with _breakers_lock:
        _breakers.clear()
    _local.clear()


def _errors():
    import redis

    return (redis.RedisError, OSError)


class ResilientRedisCacheClient(RedisCacheClient):
    """Django's client, each call guarded by the breaker."""

    def __init__(self, servers, breaker_seconds=DEFAULT_BREAKER_SECONDS, **options):
        super().__init__(servers, **options)
        self.breaker = breaker_for(servers, float(breaker_seconds))

    def _guard(self, op: str, call, *, fallback, lost=()):
        breaker = self.breaker
        if breaker.is_open():
            metrics.CACHE_SKIPPED.labels(op).inc()
            if lost:
                breaker.lose(lost)
            return fallback()
        try:
            result = call()
        except _errors() as exc:
            breaker.trip()
            metrics.CACHE_ERRORS.labels(op).inc()
            if lost:
                breaker.lose(lost)
            logger.warning("cache %s failed, Redis skipped for %.0f s: %s", op, breaker.seconds, exc)
            return fallback()
        if breaker.lost_keys or breaker.lost_overflow:
            self._replay_lost()
        return result

    def _replay_lost(self) -> None:
        """Redis answers again: delete what writes lost while it was away."""
        breaker = self.breaker
        with breaker.lock:
            keys, breaker.lost_keys = list(breaker.lost_keys), set()
            overflow, breaker.lost_overflow = breaker.lost_overflow, False
        try:
            for start in range(0, len(keys), 500):
                RedisCacheClient.delete_many(self, keys[start:start + 500])
        except _errors():
            breaker.trip()
            breaker.lose(keys)
            return
        if overflow:
            logger.warning("more than %d cache writes were lost while Redis was away; "
                           "their entries expire by themselves (docs/ops/runbook.md)", LOST_KEYS_MAX)
        logger.info("Redis answers again: %d keys of lost writes deleted", len(keys))

    def ping(self) -> None:
        """Ask Redis, past the breaker; raises if it does not answer."""
        self.get_client(None).ping()

    # Reads: a miss.
    def get(self, key, default):
        return self._guard("get", lambda: super(ResilientRedisCacheClient, self).get(key, default),
                           fallback=lambda: default)

    def get_many(self, keys):
        keys = list(keys)
        return self._guard("get_many", lambda: super(ResilientRedisCacheClient, self).get_many(keys),
                           fallback=dict)

    def has_key(self, key):
        return self._guard("has_key", lambda: super(ResilientRedisCacheClient, self).has_key(key),
                           fallback=lambda: False)

    # Writes: dropped, their keys remembered.
    def add(self, key, value, timeout):
        return self._guard("add", lambda: super(ResilientRedisCacheClient, self).add(key, value, timeout),
                           fallback=lambda: _local.add(key, value, timeout), lost=(key,))

    def set(self, key, value, timeout):
        return self._guard("set", lambda: super(ResilientRedisCacheClient, self).set(key, value, timeout),
                           fallback=lambda: None, lost=(key,))

    def touch(self, key, timeout):
        return self._guard("touch", lambda: super(ResilientRedisCacheClient, self).touch(key, timeout),
                           fallback=lambda: False, lost=(key,))

    def delete(self, key):
        return self._guard("delete", lambda: super(ResilientRedisCacheClient, self).delete(key),
                           fallback=lambda: _local.delete(key), lost=(key,))

    def incr(self, key, delta):
        def missing():
            raise ValueError(f"Key '{key}' not found (cache unavailable).")
        return self._guard("incr", lambda: super(ResilientRedisCacheClient, self).incr(key, delta),
                           fallback=missing, lost=(key,))

    def set_many(self, data, timeout):
        return self._guard("set_many", lambda: super(ResilientRedisCacheClient, self).set_many(data, timeout),
                           fallback=lambda: None, lost=tuple(data))

    def delete_many(self, keys):
        keys = list(keys)
        return self._guard("delete_many", lambda: super(ResilientRedisCacheClient, self).delete_many(keys),
                           fallback=lambda: None, lost=tuple(keys))

    def clear(self):
        return self._guard("clear", lambda: super(ResilientRedisCacheClient, self).clear(), fallback=lambda: False)


class ResilientRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` that degrades to a miss
    when Redis is away. OPTIONS as Django's, plus ``breaker_seconds``."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient

    def ping(self) -> None:
        self._cache.ping()
