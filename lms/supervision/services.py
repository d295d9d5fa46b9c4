"""The supervision front door: draw and reproduce samples (双随机), record
findings, answer them, close or reopen them. Each write is checked, done in a
transaction and written to Wagtail's log."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from django.conf import settings
from django.urls import reverse

from lms.accounts.models import Membership, region_prefix
from lms.accounts.roles import WORKFORCE_WRITE_ROLES, Capability
from lms.compliance.notices import notify
from lms.accounts.scoping import can, scope
from lms.uploads import UploadRefused, check_upload, sha256_of
from lms.workforce.models import Employee, Enterprise, HazardLevel, PostAssignment

from .models import Finding, FindingEntry, Sample, SampleItem
from .selectors import is_regulator, regulator_covers

SEED_LIMIT = 2**63
# People on high-hazard posts are this many times as likely to be drawn.
HIGH_HAZARD_WEIGHT = 3
HIGH_HAZARD_LEVELS = (HazardLevel.RED, HazardLevel.ORANGE)
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_EXTENSIONS = {".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx", ".zip"}


class SupervisionError(ValidationError):
    """A request the supervision rules refuse (message in Chinese)."""


# --- who is who --------------------------------------------------------------------------------


def _require_region(user, region_code: str) -> None:
    if not is_regulator(user):
        raise PermissionDenied(_("只有监管人员可以抽查"))
    if not regulator_covers(user, region_prefix(region_code)):
        raise SupervisionError({"region_code": _("该地区不在您的监管范围内")})


# --- sampling ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draw:
    enterprise_pool: int
    items: list[tuple[int, int | None]]  # (enterprise_id, employee_id or None), in draw order


def _weighted_pick(rng: random.Random, ids: list[int], weights: dict[int, int], m: int) -> list[int]:
    """``m`` of ``ids`` without replacement, chance proportional to weight
    (Efraimidis–Spirakis: the m largest keys u^(1/w))."""
    keyed = [(rng.random() ** (1.0 / weights.get(pk, 1)), pk) for pk in ids]
    keyed.sort(key=lambda kv: kv[0], reverse=True)
    return [pk for _key, pk in keyed[:m]]


def _draw(*, regulator, region_code: str, n: int, m: int, industry: str, risk_class: str,
          weight_high_hazard: bool, seed: int, on_date) -> Draw:
    """The pure draw: same data + same rules + same seed → same items. Rows are
    read ordered by pk so the random stream meets them in a fixed order."""
    rng = random.Random(seed)
    enterprises = scope(Enterprise.objects.all(), regulator).filter(region_code__startswith=region_prefix(region_code))
    if industry:
        enterprises = enterprises.filter(industry=industry)
    if risk_class:
        enterprises = enterprises.filter(risk_class=risk_class)
    pool = list(enterprises.order_by("pk").values_list("pk", flat=True))
    chosen = rng.sample(pool, min(n, len(pool)))

    by_enterprise: dict[int, list[int]] = {pk: [] for pk in chosen}
    for emp_id, ent_id in (
        Employee.objects.filter(enterprise_id__in=chosen, status=Employee.Status.ACTIVE)
        .order_by("pk").values_list("pk", "enterprise_id")
    ):
        by_enterprise[ent_id].append(emp_id)
    weights: dict[int, int] = {}
    if weight_high_hazard:
        high = (
            PostAssignment.objects.filter(employee__enterprise_id__in=chosen, start_date__lte=on_date)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=on_date))
            .filter(Q(post__hazard_level__in=HIGH_HAZARD_LEVELS) | ~Q(post__special_operation=""))
            .values_list("employee_id", flat=True)
        )
        weights = {pk: HIGH_HAZARD_WEIGHT for pk in high}

    items: list[tuple[int, int | None]] = []
    for ent_id in chosen:
        people = by_enterprise[ent_id]
        if not people:
            items.append((ent_id, None))
            continue
        if weight_high_hazard:
            picked = _weighted_pick(rng, people, weights, m)
        else:
            picked = rng.sample(people, min(m, len(people)))
        items.extend((ent_id, emp_id) for emp_id in picked)
    return Draw(enterprise_pool=len(pool), items=items)


@transaction.atomic
def sample_draw(*, regulator, region_code: str, n: int, m: int, filters: dict | None = None,
                seed: int | None = None) -> Sample:
    """Draw ``n`` enterprises of ``region_code`` (within the regulator's
    regions; ``filters``: ``industry``, ``risk_class``, ``weight_high_hazard``)
    and ``m`` active people of each, record the seed, and return the sample."""
    filters = filters or {}
    _require_region(regulator, region_code)
    if seed is None:
        seed = secrets.randbelow(SEED_LIMIT)
    sample = Sample(
        regulator=regulator, region_code=region_code, n_enterprises=n, m_employees=m,
        industry=filters.get("industry") or "", risk_class=filters.get("risk_class") or "",
        weight_high_hazard=bool(filters.get("weight_high_hazard")), seed=seed,
    )
    if not 0 <= seed < SEED_LIMIT:
        raise SupervisionError({"seed": _("随机种子应为 0 至 %(max)s 之间的整数") % {"max": SEED_LIMIT - 1}})
    sample.full_clean()
    draw = _draw(regulator=regulator, on_date=timezone.localdate(sample.created_at), seed=seed,
                 **_rules_kwargs(sample))
    sample.enterprise_pool = draw.enterprise_pool
    sample.save()
    SampleItem.objects.bulk_create(
        SampleItem(sample=sample, position=i, enterprise_id=ent, employee_id=emp)
        for i, (ent, emp) in enumerate(draw.items, start=1)
    )
    log(sample, "anxun.sample_draw", user=regulator,
        data={**sample.rules(), "seed": str(seed), "items": len(draw.items), "enterprise_pool": draw.enterprise_pool})
    return sample


def _rules_kwargs(sample: Sample) -> dict:
    return {
        "region_code": sample.region_code, "n": sample.n_enterprises, "m": sample.m_employees,
        "industry": sample.industry, "risk_class": sample.risk_class,
        "weight_high_hazard": sample.weight_high_hazard,
    }


def sample_reproduce(sample: Sample) -> list[tuple[int, int | None]]:
    """Recompute ``sample`` from its rules and seed on today's data, as the
    regulator saw it (their regions). Equal to the stored items unless the
    enterprises or people of the region changed since."""
    draw = _draw(regulator=sample.regulator, on_date=timezone.localdate(sample.created_at), seed=sample.seed,
                 **_rules_kwargs(sample))
    return draw.items


# --- findings ----------------------------------------------------------------------------------


def _notify(users, *, finding: Finding, key: str, title: str, body: str) -> None:
    """An in-app notice (and its e-mail, sent after commit) to each of ``users``, once per key."""
    link = reverse("supervision:finding", args=[finding.pk])
    notify(users, key=key, title=title, body=f"{body}\n{getattr(settings, 'WAGTAILADMIN_BASE_URL', '')}{link}",
           link=link, enterprise_id=finding.enterprise_id)


def _enterprise_staff(enterprise_id: int):
    """Who answers for the enterprise: its HR and enterprise admins."""
    return [m.user for m in Membership.objects.filter(
        enterprise_id=enterprise_id, role__in=WORKFORCE_WRITE_ROLES, is_active=True).select_related("user")]


def _finding_summary(finding: Finding) -> str:
    who = f"（{finding.employee.name}）" if finding.employee_id else ""
    return f"{finding.get_kind_display()}{who}"


@transaction.atomic
def finding_create(*, actor, enterprise: Enterprise, kind: str, description: str, deadline,
                   employee: Employee | None = None, sample: Sample | None = None) -> Finding:
    """A regulator records a finding against an enterprise of their region
    (optionally one person of it, optionally from one of their samples)."""
    if not is_regulator(actor):
        raise PermissionDenied(_("只有监管人员可以记录检查问题"))
    if not regulator_covers(actor, enterprise.region_code):
        raise PermissionDenied(_("该企业不在您的监管范围内"))
    if employee is not None and employee.enterprise_id != enterprise.pk:
        raise SupervisionError({"employee": _("该人员不属于该企业")})
    if sample is not None:
        if sample.regulator_id != actor.pk:
            raise PermissionDenied(_("只能在本人抽取的样本上记录问题"))
        if not sample.items.filter(enterprise=enterprise).exists():
            raise SupervisionError({"sample": _("该企业不在此抽查样本中")})
    if deadline is not None and deadline < timezone.localdate():
        raise SupervisionError({"deadline": _("整改期限不能早于今天")})
    finding = Finding(
        enterprise=enterprise, employee=employee, sample=sample, kind=kind, description=(description or "").strip(),
        deadline=deadline, created_by=actor,
    )
    finding.full_clean()
    finding.save()
    log(finding, "anxun.finding_create", user=actor,
        data={"kind": kind, "deadline": str(deadline), "employee_id": getattr(employee, "pk", None),
              "sample_id": getattr(sample, "pk", None)})
    _notify(_enterprise_staff(enterprise.pk), finding=finding, key=f"finding:{finding.pk}:open",
            title=_("监管检查问题待整改：%(what)s") % {"what": _finding_summary(finding)},
            body=_("%(desc)s\n整改期限：%(deadline)s") % {"desc": finding.description, "deadline": deadline})
    return finding


def _check_evidence(evidence) -> None:
    if evidence is None:
        return
    if evidence.size > EVIDENCE_MAX_BYTES:
        raise SupervisionError({"evidence": _("佐证材料不能超过 10 MB")})
    if Path(evidence.name).suffix.lower() not in EVIDENCE_EXTENSIONS:
        raise SupervisionError({"evidence": _("佐证材料请上传 PDF、图片、Word、Excel 或 ZIP 文件")})
    try:
        check_upload(evidence)  # the global cap, and a Word/Excel/ZIP file's inflation
    except UploadRefused as exc:
        raise SupervisionError({"evidence": exc.messages}) from exc


def _claim(finding: Finding, old: tuple, new: str, **extra) -> Finding:
    """Move ``finding`` from one of ``old`` to ``new`` exactly once (two
    submissions of the same form change it once)."""
    updated = Finding.objects.filter(pk=finding.pk, status__in=old).update(status=new, **extra)
    if updated != 1:
        raise SupervisionError(_("该问题的状态已变化，请刷新页面后再试"))
    finding.refresh_from_db()
    return finding


@transaction.atomic
def finding_answer(*, actor, finding: Finding, text: str, evidence=None) -> FindingEntry:
    """The enterprise (HR / admin) answers an open or reopened finding."""
    if not can(actor, Capability.CHANGE, finding.enterprise_id):
        raise PermissionDenied(_("只有本企业的人力资源或企业管理员可以答复"))
    text = (text or "").strip()
    if not text:
        raise SupervisionError({"text": _("请填写整改情况说明")})
    _check_evidence(evidence)
    if not finding.is_awaiting_answer():
        raise SupervisionError(_("该问题当前不需要答复"))
    entry = FindingEntry(finding=finding, kind=FindingEntry.Kind.ANSWER, text=text, author=actor)
    if evidence is not None:
        entry.evidence = evidence
        entry.evidence_name = Path(evidence.name).name[:200]
        entry.evidence_sha256 = sha256_of(evidence)
    entry.full_clean(exclude=["evidence"])
    _claim(finding, Finding.AWAITING_ANSWER, Finding.Status.ANSWERED)
    entry.save()
    log(finding, "anxun.finding_answer", user=actor, data={"entry_id": entry.pk, "evidence": entry.evidence_name})
    _notify([finding.created_by], finding=finding, key=f"finding:{finding.pk}:answer:{entry.pk}",
            title=_("企业已答复检查问题：%(ent)s %(what)s") % {"ent": finding.enterprise.name,
                                                          "what": _finding_summary(finding)},
            body=text)
    return entry


def _require_author(actor, finding: Finding) -> None:
    if not is_regulator(actor) or finding.created_by_id != actor.pk:
        raise PermissionDenied(_("只有记录该问题的监管人员可以销号或退回"))


@transaction.atomic
def finding_close(*, actor, finding: Finding, text: str = "") -> FindingEntry:
    """The regulator who recorded the finding accepts the answer (销号)."""
    _require_author(actor, finding)
    if finding.status != Finding.Status.ANSWERED:
        raise SupervisionError(_("企业答复后才能销号"))
    _claim(finding, (Finding.Status.ANSWERED,), Finding.Status.CLOSED, closed_at=timezone.now())
    entry = FindingEntry.objects.create(finding=finding, kind=FindingEntry.Kind.CLOSE, text=(text or "").strip(),
                                        author=actor)
    log(finding, "anxun.finding_close", user=actor, data={"entry_id": entry.pk})
    return entry


@transaction.atomic
def finding_reopen(*, actor, finding: Finding, text: str) -> FindingEntry:
    """The regulator sends an answered or closed finding back, saying why."""
    _require_author(actor, finding)
    text = (text or "").strip()
    if not text:
        raise SupervisionError({"text": _("请说明退回原因")})
    if finding.status not in (Finding.Status.ANSWERED, Finding.Status.CLOSED):
        raise SupervisionError(_("只有已答复或已销号的问题可以退回"))
    _claim(finding, (Finding.Status.ANSWERED, Finding.Status.CLOSED), Finding.Status.REOPENED, closed_at=None)
    entry = FindingEntry.objects.create(finding=finding, kind=FindingEntry.Kind.REOPEN, text=text, author=actor)
    log(finding, "anxun.finding_reopen", user=actor, data={"entry_id": entry.pk})
    _notify(_enterprise_staff(finding.enterprise_id), finding=finding, key=f"finding:{finding.pk}:reopen:{entry.pk}",
            title=_("检查问题被退回，请重新整改：%(what)s") % {"what": _finding_summary(finding)}, body=text)
    return entry
