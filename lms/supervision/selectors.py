"""Reads for the supervision pages. Every function narrows to what ``user``
may see; none of them writes."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import ModelLogEntry

from lms.accounts.models import RegulatorMembership
from lms.accounts.roles import Capability
from lms.accounts.scoping import _enterprise_field, _tenant_path, enterprise_ids, scope
from lms.archive.registry import EvidenceFile

from .models import Finding, FindingEntry, Sample, SampleItem
from lms.compliance.models import Obligation

REGULATOR_READ = "anxun.regulator_read"


# --- who is who --------------------------------------------------------------------------------


def is_regulator(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "api_token", None) is None
                and user.region_prefixes())


def regulator_covers(user, region_code: str) -> bool:
    """Whether ``region_code`` (an enterprise's, or a region to sample) lies in one of the user's regions."""
    return is_regulator(user) and any(region_code.startswith(p) for p in user.region_prefixes())


def sample_items(sample: Sample) -> list[tuple[int, int | None]]:
    return list(sample.items.order_by("position").values_list("enterprise_id", "employee_id"))


def samples_for(user) -> QuerySet[Sample]:
    """A regulator's own samples, newest first, with item counts."""
    return (
        Sample.objects.filter(regulator=user)
        .annotate(n_items=Count("items", filter=Q(items__employee__isnull=False)),
                  n_ents=Count("items__enterprise", distinct=True))
        .order_by("-created_at", "-id")
    )


def sample_rows(sample: Sample, *, with_obligations: bool = False) -> list[dict]:
    """The sample grouped by enterprise, in draw order: [{enterprise, people: [employee…]}].
    ``with_obligations`` gives each person ``open_obligations`` and
    ``overdue_obligations`` (counted in one query), so a regulator sees whom to read first."""
    groups: dict[int, dict] = {}
    people = []
    for item in SampleItem.objects.filter(sample=sample).select_related("enterprise", "employee__org_unit").order_by("position"):
        group = groups.setdefault(item.enterprise_id, {"enterprise": item.enterprise, "people": []})
        if item.employee_id:
            group["people"].append(item.employee)
            people.append(item.employee)
    if with_obligations and people:

        today = timezone.localdate()
        counts = {
            row["employee_id"]: row for row in Obligation.objects.filter(
                employee_id__in=[p.pk for p in people], status=Obligation.Status.OPEN,
            ).values("employee_id").annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today)))
        }
        for person in people:
            row = counts.get(person.pk, {})
            person.open_obligations = row.get("open", 0)
            person.overdue_obligations = row.get("overdue", 0)
    return list(groups.values())


def findings_for(user) -> QuerySet[Finding]:
    """Findings ``user`` may read: a regulator's region, an enterprise's staff (view roles)."""
    qs = Finding.objects.select_related("enterprise", "employee", "created_by", "sample")
    if is_regulator(user):
        return scope(qs, user)
    ents = enterprise_ids(user, Capability.VIEW)
    return qs if ents is None else qs.filter(enterprise_id__in=ents)


def regulator_reads_for(user) -> QuerySet[ModelLogEntry]:
    """Regulator reads (anxun.regulator_read) of the files of the enterprises
    where ``user`` holds a view role, newest first. Each log entry names its
    object by content type and id; the object's ``tenant_path`` decides whose
    it is."""
    ents = enterprise_ids(user, Capability.VIEW)
    entries = ModelLogEntry.objects.filter(action=REGULATOR_READ)
    if ents is not None:
        condition = Q(pk__in=[])
        ct_ids = entries.order_by().values_list("content_type_id", flat=True).distinct()
        for ct in ContentType.objects.filter(pk__in=list(ct_ids)):
            model = ct.model_class()
            if model is None or getattr(model, "tenant_path", None) is None:
                continue
            field = _enterprise_field(_tenant_path(model))
            own = model._default_manager.filter(**{f"{field}__in": ents}).annotate(
                _pk_text=Cast("pk", CharField())
            ).values("_pk_text")
            condition |= Q(content_type=ct, object_id__in=own)
        entries = entries.filter(condition)
    return entries.select_related("user", "content_type").order_by("-timestamp", "-id")


def authorities_for(user_ids) -> dict[int, str]:
    """The regulatory authority (监管部门) of each regulator, by user id (their regions' names joined)."""
    found: dict[int, list[str]] = {}
    for user_id, authority, code in RegulatorMembership.objects.filter(user_id__in=set(user_ids)).order_by(
            "region_code").values_list("user_id", "authority", "region_code"):
        found.setdefault(user_id, []).append(authority or code)
    return {pk: "、".join(dict.fromkeys(names)) for pk, names in found.items()}


def evidence_files(enterprises=None):
    """Every finding answer's evidence file with the SHA-256 taken when it
    was attached (the archive's ``evidence_files`` registry); ``enterprises``:
    ids to limit it to, None for all."""
    qs = FindingEntry.objects.exclude(evidence="").order_by("pk")
    if enterprises is not None:
        qs = qs.filter(finding__enterprise_id__in=enterprises)
    rows = qs.values_list("pk", "finding_id", "finding__enterprise_id", "evidence", "evidence_sha256")
    for pk, finding_id, enterprise_id, name, digest in rows.iterator(chunk_size=2000):
        yield EvidenceFile(name, digest, _("检查问题 #%(f)s 的答复 #%(e)s 的佐证材料") % {"f": finding_id, "e": pk},
                           enterprise_id)
