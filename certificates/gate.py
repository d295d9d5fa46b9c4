"""What the clearance gate asks of certificates beyond its own rules
(special-operation certificates by the post's category, competence
certificates of high-risk principals, in lms.compliance.services).

A certificate of a type marked "上岗资格依赖此证" gates the post it names
(an internal certificate without a post — 三级安全教育合格证 — gates every
post): once the holder has one, it must still be valid on the day asked
about (and an open-ended one — no rule gives internal certificates a
validity — stays valid until suspended or revoked). Missing certificates are not a reason here: an internal certificate
is issued when the obligations behind it are met, and those obligations
already block the post while open. Reads only the certificates the gate has
loaded: no queries, so the batch clearance stays flat."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import GATE_OWN_KINDS, Certificate


def _valid_then(c: Certificate, day: dt.date) -> bool:
    if c.is_valid_on(day):
        return True
    # Suspended, revoked or replaced later: on an earlier day it still counted.
    if c.status != Certificate.Status.VALID and c.status_changed_at is not None:
        return (c.issued_on <= day and (c.valid_until is None or day <= c.valid_until)
                and day < timezone.localdate(c.status_changed_at))
    return False


def certificate_gate_reasons(employee, post, on_date: dt.date, certificates) -> list:
    from lms.compliance.services import Code, Reason

    groups: dict[tuple, list[Certificate]] = {}
    for c in certificates:
        if not c.gates_clearance or c.kind in GATE_OWN_KINDS or c.issued_on > on_date:
            continue
        if c.post_id is None and not c.is_internal:
            continue  # an external certificate gates only the post it names
        if c.post_id is not None and c.post_id != post.pk:
            continue
        groups.setdefault((c.type_id, c.post_id), []).append(c)
    reasons = []
    for certs in groups.values():
        if any(_valid_then(c, on_date) for c in certs):
            continue
        live = [c for c in certs if c.status != Certificate.Status.SUPERSEDED] or certs
        latest = max(live, key=lambda c: (c.issued_on, c.pk))
        label = latest.get_kind_display()
        if latest.status == Certificate.Status.REVOKED:
            reasons.append(Reason(Code.CERT_REVOKED, _("%(l)s（%(n)s）已被吊销") % {"l": label, "n": latest.number},
                                  _("重新完成培训考核并取得新证"), certificate_id=latest.pk))
        elif latest.status == Certificate.Status.SUSPENDED:
            reasons.append(Reason(Code.CERT_SUSPENDED, _("%(l)s（%(n)s）已暂停") % {"l": label, "n": latest.number},
                                  _("恢复证书效力"), certificate_id=latest.pk))
        elif latest.valid_until is not None:
            reasons.append(Reason(Code.CERT_EXPIRED, _("%(l)s（%(n)s）已于 %(d)s 过期") % {
                "l": label, "n": latest.number, "d": latest.valid_until}, _("换发证书"), certificate_id=latest.pk))
    return reasons
