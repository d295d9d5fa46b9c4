"""The speed layer: every place Anxun bypasses Django for speed, each with
its switch (docs/decisions/010-speed-layer.md; gains in docs/benchmarks.md).

This package is kernel: it imports no app of ours, so the core may use it.
App-specific parts live in ``<app>/speed.py`` and import it.

``settings.ANXUN_SPEED`` maps each switch below to True (the bypass is used)
or False (Django's own way); a missing key is on. The older single flags
(``ANXUN_HEARTBEAT_FAST``, ``ANXUN_AUTOSAVE_FAST``,
``ANXUN_HEARTBEAT_PREPARED``) still turn theirs off as well.
``ANXUN_SPEED_OFF=1`` in the environment turns every switch off (the test
settings read it; CI runs the SQLite suite once that way).
"""

from __future__ import annotations

from django.conf import settings

SWITCHES = {
    "heartbeat": "the study heartbeat answered ahead of the middleware stack, its session read and written in SQL "
                 "built once (courses/speed.py, courses/session_rows.py)",
    "autosave": "the exam autosave answered ahead of the middleware stack, saved in one guarded statement "
                "(exams/speed.py)",
    "prepared": "the fast paths' statements prepared on PostgreSQL with server-side parameters (lms/speed/fastpath.py)",
    "user_cache": "the logged-in user and roles read from the shared cache (lms/speed/usercache.py)",
    "bulk_insert": "many rows inserted skipping conflicts, one statement per batch (lms/speed/bulk.py)",
    "bulk_update": "many rows updated with one CASE statement per batch (lms/speed/bulk.py)",
    "on_commit_once": "one after-commit callback per key and transaction (lms/speed/oncommit.py)",
    "warmup": "each web worker warmed up before its first request (lms/speed/warmup.py)",
}

# The single flags that came before ANXUN_SPEED, and the switch each one is.
LEGACY_FLAGS = {
    "heartbeat": "ANXUN_HEARTBEAT_FAST",
    "autosave": "ANXUN_AUTOSAVE_FAST",
    "prepared": "ANXUN_HEARTBEAT_PREPARED",
}


def on(name: str) -> bool:
    """Whether the bypass ``name`` (a key of :data:`SWITCHES`) is used."""
    if name not in SWITCHES:
        raise KeyError(name)
    flag = LEGACY_FLAGS.get(name)
    return bool(getattr(settings, "ANXUN_SPEED", {}).get(name, True) and (flag is None or getattr(settings, flag, True)))
