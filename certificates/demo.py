"""Demo certificates for ``seed_demo``: before a demo person starts on a post,
the external certificates it needs (special operation; the competence
certificate of a high-risk enterprise's principal and safety managers),
each chain renewed up to today and registered through the certificates
service. Registered as a step of the workforce demo's placements, after the
training history."""

from __future__ import annotations

import datetime as dt
import hashlib

from lms.workforce.demo import PLACEMENT_TRAINING, Placement, add_years

from .models import Certificate, CertificateReview
from .services import certificate_register

_PROVINCES = {"32": "江苏省", "33": "浙江省"}


@PLACEMENT_TRAINING.register("certificates", after=("compliance",))
def register_certificates(placement: Placement) -> None:
    """Register the certificates ``placement.post`` needs, first issued
    shortly before ``placement.start``."""
    employee, post, rng, start = placement.employee, placement.post, placement.rng, placement.start
    enterprise = employee.enterprise
    province = _PROVINCES.get(enterprise.region_code[:2], "省")
    if post.special_operation:
        # 令30 §19: valid 6 years, reviewed every 3.
        _certificate_chain(
            employee,
            "special_operation",
            post.special_operation,
            start - dt.timedelta(days=rng.randrange(10, 90)),
            years=6,
            review_years=3,
            authority=f"{province}应急管理厅",
            today=placement.today,
            rng=rng,
        )
    if (employee.is_principal or employee.is_safety_manager) and enterprise.is_high_risk:
        # 办法 §25: 3 years; high-risk principals pass within 6 months of taking the post.
        kind = "principal_competence" if employee.is_principal else "safety_manager_competence"
        _certificate_chain(
            employee,
            kind,
            "",
            min(start, employee.hire_date + dt.timedelta(days=rng.randrange(60, 170))),
            years=3,
            review_years=None,
            authority=f"{province}应急管理厅",
            today=placement.today,
            rng=rng,
        )


def _certificate_chain(employee, kind, category, first_issue, *, years, review_years, authority, today, rng):
    """Certificates of one kind from ``first_issue`` to today: each renewed
    shortly before it expires, the last one valid today."""
    if Certificate.objects.filter(employee=employee, kind=kind, category=category).exists():
        return
    issued, previous = first_issue, None
    while True:
        valid_until = add_years(issued, years)
        latest = valid_until > today
        review = add_years(issued, review_years) if review_years else None
        reviewed = latest and review is not None and review < today
        cert = certificate_register(
            employee=employee,
            kind=kind,
            category=category,
            number=_external_certificate_number(employee, kind, category, issued),
            authority=authority,
            issued_on=issued,
            valid_until=valid_until,
            next_review_due=review,
            replaces=previous,
            actor=None,
        )
        if reviewed:
            # Reviewed on time (令30 §21–§23): the next step is renewal.
            CertificateReview.objects.create(certificate=cert, reviewed_on=review - dt.timedelta(days=30),
                                             due_on=review, next_review_due=None, refresher_hours=8)
            Certificate.objects.filter(pk=cert.pk).update(next_review_due=None)
        if latest:
            return
        previous, issued = cert, valid_until - dt.timedelta(days=rng.randrange(20, 60))


def _external_certificate_number(employee, kind, category, issued) -> str:
    """A made-up authority number: the year and eight digits fixed by the
    holder, kind and issue date. Never the holder's 身份证号 (real
    特种作业操作证 numbers often are; 个保法 §51 keeps them out of numbers here)."""
    seed = f"{employee.enterprise_id}:{employee.employee_no}:{kind}:{category}:{issued.isoformat()}"
    digits = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 10**8
    return f"T{issued:%Y}{digits:08d}"
