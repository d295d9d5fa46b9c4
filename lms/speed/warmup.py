"""Make a new web worker ready before it takes its first request.

A fresh worker process builds Django's URL resolver (importing every view
module), loads the translation catalogues, opens its database and cache
connections and compiles the heartbeat's and the autosave's SQL on its first requests. That
is more than a second of work, so the first requests a new worker takes —
after a deploy, a restart or gunicorn replacing a worker — wait behind it:
a phone's study heartbeat can then arrive after the one sent two seconds
later. ``warm()`` does that work up front; lms/gunicorn_conf.py calls it in
each worker after the fork (connections must not be shared across a fork),
unless ``ANXUN_SPEED["warmup"]`` is False.
"""

from __future__ import annotations

import logging
import time

logger = logging.getLogger(__name__)


def warm() -> float:
    """Populate the URL resolver, load every language's catalogue, open the
    database and cache connections and prepare the statements of every fast
    path in ``MIDDLEWARE`` (lms.speed.fastpath).
    Returns the seconds it took. A failure is logged, never raised: a worker
    that could not warm up still serves, just slower at first."""
    started = time.perf_counter()
    try:
        _warm()
    except Exception:  # noqa: BLE001 — warming is an optimisation, the worker must still start
        logger.exception("warm-up of the web worker failed")
    return time.perf_counter() - started


def warm_shared() -> float:
    """The part of :func:`warm` that opens no connection — the URL resolver
    (every view module imported) and the translation catalogues — for a
    process that forks its workers afterwards (gunicorn's preload_app: every
    worker, a replacement too, inherits it). Returns the seconds it took."""
    started = time.perf_counter()
    try:
        from django.conf import settings
        from django.urls import get_resolver
        from django.utils import translation

        get_resolver().reverse_dict  # noqa: B018
        for code, _name in settings.LANGUAGES:
            translation.activate(code)
        translation.deactivate()
    except Exception:  # noqa: BLE001 — warming is an optimisation
        logger.exception("warm-up of the shared state failed")
    return time.perf_counter() - started


def _warm() -> None:
    from django.conf import settings
    from django.core.cache import caches
    from django.db import connections
    from django.urls import get_resolver
    from django.utils import translation
    from django.utils.module_loading import import_string

    from .fastpath import FastPathMiddleware

    resolver = get_resolver()
    resolver.reverse_dict  # noqa: B018 — builds the lookup tables, importing every view module
    for alias in connections:
        connections[alias].ensure_connection()
    caches["default"].get("anxun:warmup")
    for path in settings.MIDDLEWARE:  # the fast paths (each app's speed.py) build their statements
        middleware = import_string(path)
        if isinstance(middleware, type) and issubclass(middleware, FastPathMiddleware):
            middleware.prepare(connections["default"])
    for code, _name in settings.LANGUAGES:
        translation.activate(code)  # the first activation of a language loads its catalogues
    translation.deactivate()
