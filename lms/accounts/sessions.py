"""What a login session has proved, and how long a privileged one may live.

**MFA per session.** allauth keeps in the session a record of every way this
login was authenticated (``allauth.account.authentication``: ``password``,
then ``mfa`` once the second factor is entered). The records are tied to the
user they name and die with the session: logout flushes it, and a login as
somebody else flushes it too. So "the records hold an ``mfa`` entry for this
user" means "this login passed the second factor" — which is what a user
whose role requires MFA (``User.requires_mfa``) must have shown before any of
their requests is served (lms.accounts.middleware.RequireMFAMiddleware). Having
an authenticator is not enough: a session made by a password alone, or a
login that predates the user's privileged role, has no such record.

A privileged user who has no authenticator yet sets one up in a
password-only session (allauth's TOTP activation, behind a fresh password
check); typing the first code proves the second factor, so the activation is
recorded as this session's ``mfa`` authentication (:func:`record_activation`).

**Idle expiry.** A privileged session ends after
``ANXUN_PRIVILEGED_SESSION_IDLE_SECONDS`` without a request (a working day by
default; ordinary users keep Django's ``SESSION_COOKIE_AGE``). The deadline
is the session's own expiry (``set_expiry`` with a date), so Django's session
engines, the shared cache and the heartbeat's SQL all honour it. It slides
forward with each request but is written at most once every
:func:`refresh_step` seconds, so a busy back-office user does not cost a
session write per request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import SimpleNamespace

from allauth.account.authentication import get_authentication_records
from django.conf import settings
from django.utils import timezone

MFA_METHOD = "mfa"


def passed_mfa(session: Mapping, user) -> bool:
    """Whether the login held in ``session`` (a session store or its decoded
    data) passed the second factor as ``user``."""
    records = get_authentication_records(SimpleNamespace(session=session), user)
    return any(isinstance(record, dict) and record.get("method") == MFA_METHOD for record in records)


def record_activation(request, authenticator) -> None:
    """The user activated ``authenticator`` in this session by entering a code
    from it: that is this login's second factor."""
    from allauth.account.internal.flows.login import record_authentication

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.pk != authenticator.user_id:
        return
    record_authentication(request, user, MFA_METHOD, id=authenticator.pk, type=authenticator.type, activated=True)


def idle_seconds() -> int:
    return settings.ANXUN_PRIVILEGED_SESSION_IDLE_SECONDS


def refresh_step(idle: int) -> int:
    """How stale the stored deadline may get before it is moved: a tenth of
    the idle time, at most five minutes."""
    return min(300, idle // 10)


def keep_privileged_session_alive(session, *, now: dt.datetime | None = None, force: bool = False) -> None:
    """Move a privileged session's expiry to ``now`` + the idle time, unless
    it was moved within the last :func:`refresh_step` seconds (``force``:
    always, e.g. at login)."""
    idle = idle_seconds()
    now = now or timezone.now()
    if not force:
        left = (session.get_expiry_date() - now).total_seconds()
        if idle - refresh_step(idle) <= left <= idle:
            return
    session.set_expiry(now + dt.timedelta(seconds=idle))
