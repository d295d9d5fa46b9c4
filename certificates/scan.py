"""Certificates' step of the daily scan (lms.compliance.registry.scan_steps):
certificates whose review (复审) or expiry is 90/30/7 days away or past.
The holder and HR are told once per stage, and a review that needs
refresher training (特种作业: ≥ 8 h before each review, 令30 §23) gets its
obligation, counted from the previous review."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from lms.archive.models import TrainingKind, TrainingRecord
from lms.compliance.models import Obligation, ObligationKind, RuleCode
from lms.compliance.rules import RuleBook, add_months
from lms.compliance.notices import notice_row
from lms.compliance.scan import ScanResult, hr_by_enterprise, notices_record
from lms.compliance.services import obligation_new, obligations_evaluate

from .gate import COMPETENCE_KINDS
from .models import CertificateKind
from .services import certificates_claim_reminders


# 办法 §25: a competence certificate's extension is applied for ≥ 30 days before expiry.
RENEW_DAYS_BEFORE_EXPIRY = 30


@transaction.atomic
def review_reminders_step(*, today: dt.date, result: ScanResult) -> int:
    """Claim and tell this run's reminder stages; returns how many were claimed.
    Runs before the scan's due-soon/overdue claims, so the refresher
    obligations made here are claimed in the same run. One transaction: the
    stage claims, the refresher obligations and the notices (whose e-mails
    go out after commit) are written together or not at all, so a scan
    killed in between tells everyone on its rerun, once."""
    claimed = certificates_claim_reminders(today=today)
    if not claimed:
        return 0
    book = RuleBook.load()
    site = getattr(settings, "WAGTAILADMIN_BASE_URL", "")
    hr_users = hr_by_enterprise()
    obligations, notices = [], []
    for c, what, stage in claimed:
        employee = c.employee
        refresher = None
        if what == "review" and c.kind == CertificateKind.SPECIAL_OPERATION:
            # Lapsed too: the ≥ 8 h are still owed before the (late) review.
            rule = book.get(RuleCode.SPECIAL_OP_REVIEW, employee.enterprise, today)
            if rule is not None:
                due = c.next_review_due
                refresher = obligation_new(
                    employee, ObligationKind.SPECIAL_OP_REFRESHER, rule, cycle=due.isoformat(),
                    start=max(c.issued_on, add_months(due, -(rule.months or 36))), due=due, blocks_post=False,
                    exam_required=False,
                )
                obligations.append(refresher)
        date = c.next_review_due if what == "review" else c.valid_until
        label = c.get_category_display() + c.get_kind_display() if c.category else c.get_kind_display()
        ctx = {"certificate": c, "employee": employee, "what": what, "stage": stage, "site": site, "label": label,
               "days": (date - today).days, "refresher": refresher,
               "renew_by": (c.valid_until - dt.timedelta(days=RENEW_DAYS_BEFORE_EXPIRY)
                            if what == "expiry" and c.kind in COMPETENCE_KINDS else None)}
        title = render_to_string("emails/certificate-subject.txt", ctx).strip()
        body = render_to_string("emails/certificate-body.txt", ctx)
        key = f"certificate:{c.pk}:{what}:{date.isoformat()}:{stage}"
        recipients = ([employee.user] if employee.user_id and employee.user.is_active else [])
        recipients += hr_users.get(employee.enterprise_id, [])
        for user in dict.fromkeys(recipients):
            notices.append(notice_row(user_id=user.pk, email=user.email, enterprise_id=employee.enterprise_id, key=key,
                                      title=title, link="/certificates/mine/" if user == employee.user else "/admin/",
                                      body=body))
    Obligation.objects.bulk_create(obligations, ignore_conflicts=True)
    # Refresher hours already on file count at once: only someone with
    # special-operation training on file can have met one (one query, then
    # only those people are evaluated).
    people = {o.employee_id: o.employee for o in obligations}
    trained = set(
        TrainingRecord.objects.filter(employee_id__in=list(people), kind=TrainingKind.SPECIAL_OPERATION)
        .values_list("employee_id", flat=True)
    ) if people else set()
    for employee_id in sorted(trained):
        obligations_evaluate(employee=people[employee_id])
    notices_record(notices, result)
    return len(claimed)
