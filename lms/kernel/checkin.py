"""Rotating check-in codes (现场扫码签到) for anything people attend on site
(offline training sessions, warning-education meetings).

A code names one object (by ``namespace`` and id), a purpose (check-in or
check-out) and a time step of :data:`STEP_SECONDS`; its MAC is HMAC-SHA256
over those, keyed with the project's SECRET_KEY and a secret kept on the
object (:class:`CheckinTarget`), so renewing the object's secret voids every
code it ever showed. The server accepts the current step and
:data:`ACCEPT_PREVIOUS_STEPS` before it (a scan in the last seconds of a
code's life, a phone slow to open the link): a photo of the screen is
useless after at most ``(1 + ACCEPT_PREVIOUS_STEPS) × STEP_SECONDS`` seconds.
Nothing about a code is stored; the clock and the secret decide.

Every function takes ``now`` so that tests control the clock.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

STEP_SECONDS = 30
ACCEPT_PREVIOUS_STEPS = 1
MAC_CHARS = 24  # 96 bits of the HMAC, hex

CHECK_IN = "in"
CHECK_OUT = "out"
PURPOSES = (CHECK_IN, CHECK_OUT)

_TOKEN_RE = re.compile(r"^(?P<id>\d{1,18})-(?P<purpose>in|out)-(?P<step>\d{1,12})-(?P<mac>[0-9a-f]{%d})$" % MAC_CHARS)


class TokenError(ValidationError):
    """A code was refused. ``code`` is ``invalid`` (not one of ours, or for
    another object or purpose) or ``expired`` (ours, but too old)."""


def invalid_token() -> TokenError:
    """The one answer to a code that is not a current code of ours, whatever it names."""
    return TokenError(_("二维码无效，请扫描现场屏幕上的二维码。"), code="invalid")


@dataclass(frozen=True)
class ParsedToken:
    object_id: int
    purpose: str
    step: int
    mac: str


def new_secret() -> str:
    return secrets.token_hex(16)


def step_at(now: dt.datetime) -> int:
    """The time step ``now`` falls in (steps count from the Unix epoch)."""
    return int(now.timestamp()) // STEP_SECONDS


def step_ends_at(step: int) -> dt.datetime:
    """When the code of ``step`` stops being the one on screen."""
    return dt.datetime.fromtimestamp((step + 1) * STEP_SECONDS, tz=dt.timezone.utc)


def _mac(namespace: str, object_id: int, secret: str, purpose: str, step: int) -> str:
    value = f"{object_id}|{purpose}|{step}"
    digest = salted_hmac(f"anxun.checkin.{namespace}", value, secret=f"{settings.SECRET_KEY}|{secret}", algorithm="sha256")
    return digest.hexdigest()[:MAC_CHARS]


def make_token(*, namespace: str, object_id: int, secret: str, purpose: str, now: dt.datetime) -> str:
    """The code to show at ``now``."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    step = step_at(now)
    return f"{object_id}-{purpose}-{step}-{_mac(namespace, object_id, secret, purpose, step)}"


def parse_token(token: str) -> ParsedToken:
    """Split a code into its parts; :class:`TokenError` if it is not shaped like one."""
    match = _TOKEN_RE.match(token or "")
    if match is None:
        raise invalid_token()
    return ParsedToken(int(match["id"]), match["purpose"], int(match["step"]), match["mac"])


def verify_token(
    token: str, *, namespace: str, object_id: int, secret: str, now: dt.datetime, purpose: str | None = None
) -> ParsedToken:
    """Return the parsed code if it is a current code of this object (and
    purpose, if given) at ``now``; raise :class:`TokenError` otherwise."""
    parsed = parse_token(token)
    if parsed.object_id != object_id or (purpose is not None and parsed.purpose != purpose):
        raise invalid_token()
    expected = _mac(namespace, object_id, secret, parsed.purpose, parsed.step)
    if not hmac.compare_digest(expected, parsed.mac):
        raise invalid_token()
    current = step_at(now)
    if parsed.step > current:
        # Signed by us for a step still to come: only a wrong clock makes one.
        raise invalid_token()
    if parsed.step < current - ACCEPT_PREVIOUS_STEPS:
        raise TokenError(
            _("二维码已过期（每 %(s)s 秒更新一次），请扫描现场屏幕上的最新二维码。") % {"s": STEP_SECONDS}, code="expired"
        )
    return parsed


class CheckinTarget(models.Model):
    """Something people check in to on site with a rotating code.

    Subclasses set ``checkin_namespace`` (a stable name for the kind of
    object, part of every MAC)."""

    checkin_secret = models.CharField(max_length=32, default=new_secret, editable=False)

    checkin_namespace: str = ""

    class Meta:
        abstract = True

    def checkin_token(self, purpose: str, now: dt.datetime) -> str:
        return make_token(
            namespace=self.checkin_namespace, object_id=self.pk, secret=self.checkin_secret, purpose=purpose, now=now
        )

    def verify_checkin_token(self, token: str, *, now: dt.datetime, purpose: str | None = None) -> ParsedToken:
        return verify_token(
            token, namespace=self.checkin_namespace, object_id=self.pk, secret=self.checkin_secret, now=now, purpose=purpose
        )
