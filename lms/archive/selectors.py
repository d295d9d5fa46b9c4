"""Reads of the archive's integrity data: the newest checkpoint, what an
export carries so that a regulator can verify it offline, and the
checkpoint reference printed in a person file."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django.utils import timezone

from . import integrity
from .models import ArchiveCheckpoint, TrainingRecord


def checkpoint_latest(enterprise_id: int) -> ArchiveCheckpoint | None:
    return ArchiveCheckpoint.objects.filter(enterprise_id=enterprise_id).order_by("-day").first()


def archive_export(employees) -> dict:
    """The ``archive.json`` of an export: for each person (in the order
    given) their records' canonical fields and hashes, and the newest signed
    checkpoint of each enterprise involved. Two queries plus one per
    enterprise."""
    employees = list(employees)
    records = (
        TrainingRecord.objects.filter(employee__in=[e.pk for e in employees]).order_by("employee_id", "seq")
    )
    by_employee = {
        employee_id: [{"fields": r.canonical_fields(), "hash": r.hash} for r in group]
        for employee_id, group in itertools.groupby(records.iterator(chunk_size=2000), key=lambda r: r.employee_id)
    }
    checkpoints = []
    for enterprise_id in sorted({e.enterprise_id for e in employees}):
        checkpoint = checkpoint_latest(enterprise_id)
        if checkpoint is not None:
            checkpoints.append(checkpoint.document())
    return {
        "format": integrity.EXPORT_FORMAT,
        "generated_at": timezone.now().isoformat(),
        "hash": "SHA-256 of the canonical JSON of each record's fields (UTF-8, keys sorted, no spaces)",
        "signature": "Ed25519 over the canonical JSON of each checkpoint's payload",
        "people": [
            {"employee": e.pk, "enterprise": e.enterprise_id, "employee_no": e.employee_no, "name": e.name,
             "records": by_employee.get(e.pk, [])}
            for e in employees
        ],
        "checkpoints": checkpoints,
    }


@dataclass(frozen=True)
class CheckpointReference:
    """What a person file prints about the checkpoint covering it."""

    day: object
    key_id: str
    count: int  # the person's records the checkpoint covers (0: none yet)
    head: str
    fingerprint: str


def checkpoint_reference(employee) -> CheckpointReference | None:
    checkpoint = checkpoint_latest(employee.enterprise_id)
    if checkpoint is None:
        return None
    count, head = integrity.checkpoint_heads(checkpoint.payload_data).get(employee.pk, (0, ""))
    return CheckpointReference(checkpoint.day, checkpoint.key_id, count, head, checkpoint.signature_fingerprint)
