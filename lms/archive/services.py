"""The archive's front door: append a record, verify the chains."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.accounts.roles import Capability
from lms.accounts.scoping import can, log_user
from lms.workforce.models import Employee

from .models import TrainingRecord


def _actor_name(actor) -> str:
    if actor is None:
        return _("系统")
    return str(actor)


@transaction.atomic
def record_append(*, employee: Employee, actor, evaluate: bool = True, **fields) -> TrainingRecord:
    """Append one training record to the person's chain and return it.

    Fields are TrainingRecord fields (kind, level, post, title, content,
    start_at, end_at, place, hours, trainer, participants, assessment_method,
    assessment_result, score, source, source_ref, evidence, corrects). The
    person's row is locked so two appends never fork the chain. Obligations
    the record satisfies are re-evaluated at once (``evaluate``).
    """
    if actor is not None and not can(actor, Capability.CHANGE, employee.enterprise_id):
        raise PermissionDenied(_("您无权为该企业录入培训档案"))
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    last = TrainingRecord.objects.filter(employee=employee).order_by("-seq").values("seq", "hash").first()
    record = TrainingRecord(employee=employee, **fields)
    record.seq = (last["seq"] + 1) if last else 1
    record.prev_hash = last["hash"] if last else TrainingRecord.GENESIS
    record.recorded_by = log_user(actor)
    record.recorded_by_name = _actor_name(actor)
    corrects = fields.get("corrects")
    if corrects is not None and corrects.employee_id != employee.pk:
        from django.core.exceptions import ValidationError

        raise ValidationError({"corrects": _("只能更正本人的培训记录")})
    if record.evidence:
        hasher = hashlib.sha256()
        for chunk in record.evidence.chunks():
            hasher.update(chunk)
        record.evidence_sha256 = hasher.hexdigest()
    record.hash = "pending"
    record.full_clean(exclude=["hash", "prev_hash", "seq"])
    record.hash = record.compute_hash()
    record.save(_append=True)
    log(record, "anxun.record_append", user=record.recorded_by, data={"seq": record.seq, "hash": record.hash})
    if evaluate:
        from lms.compliance.services import obligations_evaluate

        obligations_evaluate(employee=employee)
    return record


@dataclass(frozen=True)
class BrokenRecord:
    employee_id: int
    record_id: int
    seq: int
    problem: str


def archive_verify(*, employee_ids=None, chunk_size: int = 2000) -> tuple[int, list[BrokenRecord]]:
    """Recompute every chain; return (records checked, broken records)."""
    qs = TrainingRecord.objects.order_by("employee_id", "seq")
    if employee_ids is not None:
        qs = qs.filter(employee_id__in=employee_ids)
    broken: list[BrokenRecord] = []
    checked = 0
    current_employee, expected_prev, expected_seq = None, None, None
    for record in qs.iterator(chunk_size=chunk_size):
        checked += 1
        if record.employee_id != current_employee:
            current_employee, expected_prev, expected_seq = record.employee_id, TrainingRecord.GENESIS, 1
        problems = []
        if record.seq != expected_seq:
            problems.append(_("序号不连续（应为 %(n)s）") % {"n": expected_seq})
        if record.prev_hash != expected_prev:
            problems.append(_("前一条记录的哈希不符（记录被删除或替换）"))
        if record.compute_hash() != record.hash:
            problems.append(_("内容与哈希不符（记录被篡改）"))
        for problem in problems:
            broken.append(BrokenRecord(record.employee_id, record.pk, record.seq, problem))
        expected_prev, expected_seq = record.hash, record.seq + 1
    return checked, broken
