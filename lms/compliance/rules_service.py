"""The front door for writing training rules (培训规则).

A rule row that has been in force is never edited in place: obligations name
the rule version they were made under, and the archive must still say which
rule applied then. Changing a rule means a **new version** with a later
``effective_from``; the old version is closed on that day (its
``effective_to``). National, platform-default and province rules are the
platform's (superusers); an enterprise's admins and safety managers set their
own enterprise's rules, which the model refuses if looser than the national
floor (:meth:`TrainingRule.clean`).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.accounts.roles import Capability
from lms.accounts.scoping import can, log_user

from .models import Jurisdiction, TrainingRule


class RuleError(ValidationError):
    """A rule change was refused; the message is for the user."""


# What a new version may change. The rest (code, jurisdiction, region,
# enterprise, risk class) names the rule itself: another value is another rule.
VERSIONED_FIELDS = ("min_hours", "months", "count", "days", "exam_required", "pass_score", "source", "note")
LINEAGE_FIELDS = ("code", "jurisdiction", "region_code", "enterprise_id", "risk_class")


def rule_may_write(actor, *, jurisdiction: str, enterprise_id: int | None) -> bool:
    """May ``actor`` create or version a rule of this jurisdiction (and
    enterprise)? ``None`` is the system (migrations, commands)."""
    if actor is None or getattr(actor, "is_superuser", False):
        return True
    if jurisdiction != Jurisdiction.ENTERPRISE or enterprise_id is None:
        return False  # national, platform-default and province rules are the platform's
    return can(actor, Capability.CONFIGURE_RULES, enterprise_id)


def _require(actor, *, jurisdiction: str, enterprise_id: int | None) -> None:
    if not rule_may_write(actor, jurisdiction=jurisdiction, enterprise_id=enterprise_id):
        if jurisdiction == Jurisdiction.ENTERPRISE:
            raise PermissionDenied(_("您无权配置该企业的培训规则"))
        raise PermissionDenied(_("国家、平台默认和地方规则只能由平台管理员维护"))


def lineage(rule: TrainingRule):
    """Every version of the same rule (same code, jurisdiction, region,
    enterprise and risk class), newest first."""
    return TrainingRule.objects.filter(**{f: getattr(rule, f) for f in LINEAGE_FIELDS}).order_by("-version")


@transaction.atomic
def rule_create(*, rule: TrainingRule, actor) -> TrainingRule:
    """Save a new rule as version 1 (validated, audited). A rule that already
    exists gets a new version through :func:`rule_new_version` instead."""
    if rule.pk is not None:
        raise RuleError(_("已生效的规则不能直接修改，请新建版本"))
    _require(actor, jurisdiction=rule.jurisdiction, enterprise_id=rule.enterprise_id)
    if rule.jurisdiction in (Jurisdiction.NATIONAL, Jurisdiction.POLICY):
        rule.region_code, rule.enterprise = "", None
    rule.version = 1
    rule.effective_to = None
    if lineage(rule).exists():
        raise RuleError(_("该规则已存在：请在现有规则上“新建版本”，不要重复新增"))
    rule.full_clean()
    rule.save()
    log(rule, "anxun.rule_create", user=log_user(actor), data={"version": rule.version})
    return rule


@transaction.atomic
def rule_new_version(*, rule: TrainingRule, changes: dict, effective_from: dt.date, actor) -> TrainingRule:
    """Make a new version of ``rule`` with ``changes`` (only
    :data:`VERSIONED_FIELDS`), in force from ``effective_from``; close the old
    version that day. Returns the new version.

    Refused when ``rule`` is not the latest version, when ``effective_from``
    is not after the old version's start, and when the new values are looser
    than the national floor (a field error from the model)."""
    _require(actor, jurisdiction=rule.jurisdiction, enterprise_id=rule.enterprise_id)
    unknown = set(changes) - set(VERSIONED_FIELDS)
    if unknown:
        raise RuleError(_("新版本不能修改：%(fields)s") % {"fields": "、".join(sorted(unknown))})
    old = TrainingRule.objects.select_for_update().get(pk=rule.pk)
    latest = lineage(old).first()
    if latest.pk != old.pk:
        raise RuleError(_("只能在最新版本（v%(v)s）上新建版本") % {"v": latest.version})
    if effective_from is None or effective_from <= old.effective_from:
        raise RuleError(
            {"effective_from": _("新版本的生效日期必须晚于当前版本的生效日期 %(d)s") % {"d": old.effective_from}}
        )
    new = TrainingRule(**{f.attname: getattr(old, f.attname) for f in TrainingRule._meta.concrete_fields})
    new.pk = new.id = None
    for name, value in changes.items():
        setattr(new, name, value)
    new.version = old.version + 1
    new.effective_from = effective_from
    # A planned end of the old version carries over if it lies after the new start.
    new.effective_to = old.effective_to if old.effective_to and old.effective_to > effective_from else None
    new.created_at = new._meta.get_field("created_at").default()
    new.full_clean()
    if old.effective_to is None or old.effective_to > effective_from:
        # Only the end date changes; effective_from < effective_to holds (checked above).
        old.effective_to = effective_from
        old.save(update_fields=["effective_to"])
        log(old, "anxun.rule_close", user=log_user(actor), data={"effective_to": effective_from.isoformat()})
    new.save()
    log(
        new,
        "anxun.rule_new_version",
        user=log_user(actor),
        data={"previous": old.pk, "version": new.version, "changes": {k: str(v) for k, v in changes.items()}},
    )
    return new
