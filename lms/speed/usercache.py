"""The logged-in user, kept in the shared cache between requests.

Django reads the user row on every request of a logged-in person (and the
session row, which ``cached_db`` sessions already take from the cache). With
a shared cache (Redis, lms/settings/caching.py) ``get_user`` below takes the
row's values from the cache for ``ANXUN_USER_CACHE_SECONDS`` and checks them
exactly as Django's ``django.contrib.auth.get_user`` does: the login backend
must still be configured and accept the user (``is_active``), and the session's
password hash must match — so a password change ends every other session, a
deactivated user is logged out, and logout deletes the session itself.

Every save or delete of a user puts a short-lived tombstone in the cache
(lms.accounts.signals, again after commit): until it expires, requests read
the row from the database and do not cache it, so a request that read the old
row just before the change cannot put it back. Changes that bypass the model
(``QuerySet.update()`` on users) are seen after ``ANXUN_USER_CACHE_SECONDS`` at
the latest; nothing in the project makes them. ``ANXUN_USER_CACHE_SECONDS = 0``
(the default without a shared cache) or ``ANXUN_SPEED["user_cache"] = False``
is Django's behaviour.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import router
from django.utils.crypto import constant_time_compare

from lms import speed

TOMBSTONE = "-"
TOMBSTONE_SECONDS = 10


def cache_key(user_id) -> str:
    return f"anxun:user:{user_id}"


def forget(user_id) -> None:
    """The user row changed: nobody may use or store a cached copy for a while."""
    cache.set(cache_key(user_id), TOMBSTONE, TOMBSTONE_SECONDS)


def _fields(model) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)


def _cached_user(backend, user_id, seconds: int):
    """``backend.get_user(user_id)``, from the cache when it holds the row;
    the user's cached roles (User.role_pairs) come in the same round trip."""
    model = get_user_model()
    key = cache_key(user_id)
    role_key = model.role_cache_key(user_id) if hasattr(model, "role_cache_key") else None
    entries = cache.get_many([key, role_key] if role_key else [key])
    entry = entries.get(key)
    fields = _fields(model)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == fields:
        user = model.from_db(router.db_for_read(model), fields, entry[1])
        can_authenticate = getattr(backend, "user_can_authenticate", None)
        if can_authenticate is not None and not can_authenticate(user):
            return None
    else:
        user = backend.get_user(user_id)
        if user is not None and entry is None:  # not after a tombstone: the row may have just changed
            cache.add(key, (fields, tuple(getattr(user, name) for name in fields)), seconds)
    if user is not None and entries.get(role_key) is not None:
        user.use_cached_roles(entries[role_key])
    return user


def get_user(request):
    """django.contrib.auth.get_user with the user row from the cache."""
    seconds = settings.ANXUN_USER_CACHE_SECONDS if speed.on("user_cache") else 0
    if not seconds:
        return auth.get_user(request)
    user = None
    try:
        user_id = get_user_model()._meta.pk.to_python(request.session[SESSION_KEY])
        backend_path = request.session[BACKEND_SESSION_KEY]
    except KeyError:
        pass
    else:
        if backend_path in settings.AUTHENTICATION_BACKENDS:
            user = _cached_user(load_backend(backend_path), user_id, seconds)
            # Verify the session (as Django does, fallback secrets included).
            if hasattr(user, "get_session_auth_hash"):
                session_hash = request.session.get(HASH_SESSION_KEY)
                session_auth_hash = user.get_session_auth_hash()
                if not (session_hash and constant_time_compare(session_hash, session_auth_hash)):
                    if session_hash and any(
                        constant_time_compare(session_hash, fallback)
                        for fallback in user.get_session_auth_fallback_hash()
                    ):
                        request.session.cycle_key()
                        request.session[HASH_SESSION_KEY] = session_auth_hash
                    else:
                        request.session.flush()
                        user = None
    return user or AnonymousUser()
