"""One attendance flow for whatever people attend on site with the rotating
code of :mod:`lms.kernel.checkin`: find what a scanned code names, check a
person in (or out), and close — one archive record per attendee, exactly once.

Offline sessions (:mod:`courses.offline.services`) and warning meetings
(:mod:`courses.warning.services`) are its targets. Each is an
:class:`AttendanceFlow` subclass that says only what differs: who may attend
and who may run it, how a row is kept, the time a record credits, the
record's kind and text, and the wording of the refusals.

The flow lives in the offline app, not in the kernel, because closing writes
archive records (:func:`lms.archive.services.record_append`); the warning app
already builds on offline sessions. The kernel keeps the code itself.
Every function that depends on the clock takes ``now`` (tests pass it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.accounts.scoping import log_user
from lms.archive.models import RecordSource
from lms.archive.services import record_append
from lms.kernel import checkin

from .models import credited_window, hours_for

__all__ = ["AttendanceFlow", "CloseResult", "ScanResult", "credited_window", "hm"]

# Check-in opens this long before the planned start (people arrive early).
CHECKIN_OPENS_BEFORE = dt.timedelta(minutes=60)
# A scan made before logging in still counts if the login follows within this time.
SCAN_LOGIN_GRACE = dt.timedelta(minutes=5)


def hm(value: dt.datetime) -> str:
    """``value`` as local HH:MM, as the messages and records show times."""
    return timezone.localtime(value).strftime("%H:%M")


@dataclass
class ScanResult:
    attendance: Any
    purpose: str
    changed: bool
    message: str


@dataclass
class CloseResult:
    target: Any
    records: list = field(default_factory=list)
    absent: list = field(default_factory=list)
    without_checkout: list = field(default_factory=list)


class AttendanceFlow:
    """Check-in and closing of one kind of target (a :class:`~lms.kernel.checkin.CheckinTarget`
    with ``start_at``, ``end_at``, ``status``, ``closed_at``, ``is_open`` and
    ``attendances`` rows holding ``employee``, ``check_in_at`` and ``record``).

    Subclasses set the attributes and the hooks below the line."""

    target_model: type[models.Model]
    error: type[ValidationError]  # the app's domain error
    purposes: tuple[str, ...] = checkin.PURPOSES  # what a code of this target may say
    url_namespace: str  # of the ``scan`` and ``scan_resume`` URLs
    pending_scan_key: str  # session key of a scan waiting for the login
    scan_template: str
    log_prefix: str  # audit actions ``<prefix>_check_in`` / ``_check_out``
    close_action: str
    target_related: tuple[str, ...] = ()  # loaded with the target for the scan pages and closing
    attendance_order: tuple[str, ...] = ("pk",)  # the order records are written in

    # Wording (lazy translations) of what differs between targets.
    scans_closed_text: str
    too_early_text: str  # %(m)s: minutes before the start
    not_runner_text: str
    already_closed_text: str  # %(t)s: when it was closed
    cancelled_text: str  # a target that can be called off
    not_started_text: str

    # The projector screen (:func:`courses.offline.attendance_views.screen_views`): its
    # counts as (key, label) — keys of :func:`courses.offline.selectors.attendance_counts` —,
    # the host's line (%(name)s), the organiser's page it links to, and the text once closed.
    screen_counts: tuple[tuple[str, str], ...] = ()
    screen_lead_text: str
    screen_manage_text: str
    screen_closed_text: str

    # --- hooks ---------------------------------------------------------------------------------

    def may_run(self, user, target) -> bool:
        """Whether ``user`` may close ``target`` (``None``: the system)."""
        raise NotImplementedError

    def accepts_scans(self, target, now: dt.datetime) -> bool:
        return target.is_open

    def attendance_for_scan(self, target, user):
        """The row ``user`` checks in on (locked), or a new unsaved one; the
        app's error if ``user`` may not attend."""
        raise NotImplementedError

    def save_scan(self, attendance, purpose: str, at: dt.datetime) -> None:
        """Write a code scan at ``at`` onto the row."""
        setattr(attendance, f"check_{purpose}_at", at)
        attendance.save()

    def credited_span(self, target, attendance, closed_at: dt.datetime) -> tuple[dt.datetime, dt.datetime, bool] | None:
        """(start, end, without check-out) of the time the record credits
        when ``target`` is closed at ``closed_at``; None: absent. By default
        :func:`credited_window` of the row's check-in and check-out."""
        return credited_window(check_in=attendance.check_in_at, check_out=getattr(attendance, "check_out_at", None),
                               planned_start=target.start_at, planned_end=target.end_at, closed_at=closed_at)

    def check_before_close(self, target, attended: list) -> None:
        """Refuse closing (the app's error) while something is missing."""

    def participants(self, attended: list) -> str:
        raise NotImplementedError

    def record_fields(self, target, attendance, start: dt.datetime, end: dt.datetime, without_checkout: bool) -> dict:
        """The archive record's own fields (kind, title, content, place, trainer, assessment, source_ref …)."""
        raise NotImplementedError

    def attach_record(self, attendance, record) -> None:
        attendance.record = record
        attendance.save(update_fields=["record"])

    def close_fields(self, actor) -> dict:
        """Further columns set on the target when it closes."""
        return {}

    def screen_host(self, target) -> str:
        """The name on the screen's host line (the trainer, the meeting's host)."""
        raise NotImplementedError

    def screen_manage_url(self, target) -> str:
        """The organiser's page for ``target`` (list, assessment, closing)."""
        raise NotImplementedError

    def screen_token(self, target, purpose: str, now: dt.datetime) -> str:
        """The code the screen shows at ``now`` for ``purpose``."""
        return target.checkin_token(purpose, now)

    # --- the flow ------------------------------------------------------------------------------

    def find(self, token: str):
        """The target a scanned code names; :class:`~lms.kernel.checkin.TokenError`
        if it is not shaped like a code or names nothing."""
        parsed = checkin.parse_token(token)
        target = self.target_model.objects.select_related(*self.target_related).filter(pk=parsed.object_id).first()
        if target is None:
            raise checkin.invalid_token()
        return target

    def verify(self, target, token: str, now: dt.datetime) -> checkin.ParsedToken:
        """The parsed code if it is a current code of ``target`` for one of its purposes."""
        purpose = self.purposes[0] if len(self.purposes) == 1 else None
        return target.verify_checkin_token(token, now=now, purpose=purpose)

    @transaction.atomic
    def scan(self, *, target, user, token: str, now: dt.datetime | None = None) -> ScanResult:
        """Check ``user`` in or out with a code scanned at ``now``.

        Refused: a code that is not current (expired, forged, another
        target's), a closed target, a scan long before the start, a person who
        may not attend, checking out without having checked in. Scanning again
        is harmless: the first time stands."""
        now = now or timezone.now()
        parsed = self.verify(target, token, now)
        target = self.target_model.objects.select_for_update().get(pk=target.pk)
        if not self.accepts_scans(target, now):
            raise self.error(self.scans_closed_text, code="closed")
        if now < target.start_at - CHECKIN_OPENS_BEFORE:
            raise self.error(self.too_early_text % {"m": int(CHECKIN_OPENS_BEFORE.total_seconds() // 60)},
                             code="too_early")
        attendance = self.attendance_for_scan(target, user)
        if parsed.purpose == checkin.CHECK_IN:
            if attendance.check_in_at is not None:
                return ScanResult(attendance, parsed.purpose, False,
                                  _("您已于 %(t)s 签到，无需重复签到。") % {"t": hm(attendance.check_in_at)})
            message = _("签到成功：%(t)s") % {"t": hm(now)}
        else:
            if attendance.check_in_at is None:
                raise self.error(_("您还没有签到，不能签退。请联系培训师补录签到。"), code="not_checked_in")
            if attendance.check_out_at is not None:
                return ScanResult(attendance, parsed.purpose, False,
                                  _("您已于 %(t)s 签退，无需重复签退。") % {"t": hm(attendance.check_out_at)})
            message = _("签退成功：%(t)s") % {"t": hm(now)}
        self.save_scan(attendance, parsed.purpose, now)
        log(target, f"{self.log_prefix}_check_{parsed.purpose}", user=log_user(user),
            data={"employee": attendance.employee_id, "at": now.isoformat(), "step": parsed.step})
        return ScanResult(attendance, parsed.purpose, True, message)

    def close(self, *, target, actor, now: dt.datetime | None = None) -> CloseResult:
        """End ``target`` and write one archive record per attendee (the time
        :meth:`credited_span` gives: never past ``now``, the actual close, nor
        the planned end — :func:`credited_window`). Exactly once: the target's row is locked
        first, so a second close — a double click, two people at once — finds
        it closed and is refused; scans wait for the records too."""
        now = now or timezone.now()
        with transaction.atomic():
            locked = self.target_model.objects.select_for_update().get(pk=target.pk)
            if not self.may_run(actor, locked):
                raise PermissionDenied(self.not_runner_text)
            if locked.status == self.target_model.Status.CLOSED:
                raise self.error(self.already_closed_text
                                 % {"t": timezone.localtime(locked.closed_at).strftime("%Y-%m-%d %H:%M")}, code="closed")
            if not locked.is_open:
                raise self.error(self.cancelled_text, code="cancelled")
            if now < locked.start_at:
                raise self.error(self.not_started_text, code="not_started")
            target = self.target_model.objects.select_related(*self.target_related).get(pk=locked.pk)
            attendances = list(target.attendances.select_related("employee").order_by(*self.attendance_order))
            spans = {a.pk: self.credited_span(target, a, now) for a in attendances}
            attended = [a for a in attendances if spans[a.pk]]
            self.check_before_close(target, attended)
            result = CloseResult(target=target)
            participants = self.participants(attended)
            for a in attendances:
                if spans[a.pk] is None:
                    result.absent.append(a)
                    continue
                start, end, without_checkout = spans[a.pk]
                if without_checkout:
                    result.without_checkout.append(a)
                record = record_append(
                    employee=a.employee,
                    actor=None,  # the closing user is checked above and named in the audit log
                    start_at=start,
                    end_at=end,
                    hours=hours_for(start, end),
                    participants=participants,
                    source=RecordSource.OFFLINE,
                    **self.record_fields(target, a, start, end, without_checkout),
                )
                self.attach_record(a, record)
                result.records.append(record)
            closing = {"status": self.target_model.Status.CLOSED, "closed_at": now, **self.close_fields(actor)}
            for name, value in closing.items():
                setattr(target, name, value)
            target.save(update_fields=list(closing))
            log(target, self.close_action, user=log_user(actor),
                data={"records": len(result.records), "absent": len(result.absent),
                      "without_checkout": len(result.without_checkout)})
        return result
