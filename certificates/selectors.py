"""Reads of certificates: the type in force for an enterprise, the holder's
own certificates, the ones a user may see (API, back office) and a person's
in the person file, a certificate by its public code, the basis of a batch
issuance, the certificates that leave someone on a post uncleared. Writes
(register, issue, suspend, revoke, review, batches) are in :mod:`.services`;
the clearance gate's own reads are in :mod:`.gate`."""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Q, QuerySet
from django.utils import timezone

from exams.models import Attempt, Exam
from lms.accounts.roles import Capability
from lms.accounts.scoping import scope
from lms.archive.exports import scoped
from lms.archive.models import TrainingRecord
from lms.compliance.selectors import lapsed_on_post
from lms.workforce.models import Employee, Enterprise

from .models import INTERNAL_KINDS, Certificate, CertificateType, IssuanceBatch, IssuerProfile

# The shape of a verification code (192-bit, URL-safe base64); anything else is not looked up.
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{20,48}$")


# --- types and issuers -----------------------------------------------------------------------


def certificate_type_for(enterprise: Enterprise, kind: str) -> CertificateType | None:
    """The type of ``kind`` in force for ``enterprise``: its own active type,
    else the platform default."""
    types = list(CertificateType.objects.filter(kind=kind, is_active=True)
                 .filter(Q(enterprise=enterprise) | Q(enterprise__isnull=True)))
    own = [t for t in types if t.enterprise_id == enterprise.pk]
    chosen = own or [t for t in types if t.enterprise_id is None]
    return min(chosen, key=lambda t: t.pk) if chosen else None


def auto_issue_types_for(enterprise: Enterprise) -> dict[str, CertificateType]:
    """The internal types issued automatically for ``enterprise``, by kind
    (an enterprise's own type of a kind replaces the platform's, auto or not)."""
    types: dict[str, CertificateType] = {}
    candidates = CertificateType.objects.filter(is_active=True, kind__in=INTERNAL_KINDS).filter(
        Q(enterprise=enterprise) | Q(enterprise__isnull=True)).order_by("pk")
    for t in candidates:
        if t.kind not in types or (t.enterprise_id and types[t.kind].enterprise_id is None):
            types[t.kind] = t
    return {kind: t for kind, t in types.items() if t.auto_issue}


def issuable_types_for(user) -> QuerySet:
    """Active internal types HR ``user`` may issue: the platform's and their enterprises' own."""
    enterprises = scope(Enterprise.objects.all(), user, Capability.CHANGE)
    return CertificateType.objects.filter(kind__in=INTERNAL_KINDS, is_active=True).filter(
        Q(enterprise__isnull=True) | Q(enterprise__in=enterprises)).order_by("kind", "code")


def issuer_profile_of(enterprise: Enterprise) -> IssuerProfile | None:
    return IssuerProfile.objects.filter(enterprise=enterprise).first()


def issuer_name_for(enterprise: Enterprise, type: CertificateType) -> str:
    """The issuer printed on a certificate of ``type``: the type's own, else
    the enterprise's issuer profile, else the enterprise's name."""
    if type.issuer:
        return type.issuer
    profile = issuer_profile_of(enterprise)
    return (profile.issuer_name if profile and profile.issuer_name else enterprise.name)[:100]


# --- certificates --------------------------------------------------------------------------------


def certificates_of_holder(user) -> QuerySet:
    """The user's own certificates (even for HR: 我的证书 is the holder's page)."""
    return scope(Certificate.objects.all(), user).filter(employee__user=user)


def certificates_of_holder_listed(user) -> list[Certificate]:
    """我的证书: the user's own certificates, by enterprise, newest first."""
    return list(certificates_of_holder(user).select_related("employee__enterprise", "type", "post")
                .order_by("employee__enterprise__name", "-issued_on", "-pk"))


def certificate_of_holder_printable(user, pk) -> Certificate | None:
    """One of the user's own internal certificates (it has a PDF), or None."""
    return (certificates_of_holder(user).select_related("employee__enterprise__certificate_issuer", "type", "post")
            .filter(pk=pk, verification_code__isnull=False).first())


def certificates_visible_to(user) -> QuerySet:
    """Certificates of the enterprises ``user`` may read (the API's lists)."""
    return scope(Certificate.objects.select_related("employee__enterprise", "type", "post"), user)


def certificates_filtered(qs: QuerySet, *, kind: str | None = None, expiring_within_days: int | None = None,
                          today: dt.date | None = None) -> QuerySet:
    """``qs`` of ``kind`` and/or valid and expiring within so many days, by person and kind."""
    if kind is not None:
        qs = qs.filter(kind=kind)
    if expiring_within_days is not None:
        today = today or timezone.localdate()
        qs = qs.filter(status=Certificate.Status.VALID, valid_until__gte=today,
                       valid_until__lte=today + dt.timedelta(days=expiring_within_days))
    return qs.order_by("employee_id", "kind", "-issued_on", "-pk")


def certificates_in_file(employee: Employee, user, today: dt.date) -> list[Certificate]:
    """A person's certificates for their person file, valid today or not
    (``valid_today`` and ``review_overdue`` set on each)."""
    certificates = list(scoped(Certificate.objects.all(), user).filter(employee=employee))
    for c in certificates:
        c.valid_today = c.is_valid_on(today)
        c.review_overdue = c.review_overdue_on(today)
    return certificates


def certificate_by_code(code: str) -> Certificate | None:
    """The certificate with public verification code ``code`` (None for a malformed or unknown code)."""
    if not code or not CODE_RE.fullmatch(code):
        return None
    return (
        Certificate.objects.select_related("employee__enterprise", "type", "post")
        .filter(verification_code=code)
        .first()
    )


def basis_records_of(employee: Employee, seqs) -> list[TrainingRecord]:
    """The holder's archive records with these numbers (序号), in order: a manual issue's basis."""
    return list(employee.training_records.filter(seq__in=seqs).order_by("seq"))


def basis_attempt_of(employee: Employee, pk: int) -> Attempt | None:
    """The holder's exam attempt ``pk`` (a manual issue's basis), or None."""
    return Attempt.objects.filter(pk=pk, employee=employee).first()


def certificate_number_taken(kind: str, number: str, authority: str) -> bool:
    """Whether the same authority's certificate of ``kind`` with ``number`` is on file."""
    return Certificate.objects.filter(kind=kind, number=number, authority=authority).exists()


def certificate_ids_lapsed_on_post(enterprise_ids) -> set[int]:
    """Certificates whose holders are still on a post the certificate no
    longer clears them for (expired, review overdue, suspended, revoked):
    the clearance gate's own answer, the certificates its reasons name."""
    lapsed: set[int] = set()
    for enterprise in Enterprise.objects.filter(pk__in=enterprise_ids):
        for _assignment, result in lapsed_on_post(enterprise=enterprise):
            lapsed.update(r.certificate_id for r in result.reasons if r.certificate_id)
    return lapsed


# --- batches -------------------------------------------------------------------------------------


def batch_for_hr(user, pk) -> IssuanceBatch | None:
    """Batch ``pk`` if ``user`` is HR of its enterprise (a batch lists many people), else None."""
    return scope(IssuanceBatch.objects.select_related("type", "exam"), user, Capability.CHANGE).filter(pk=pk).first()


def exams_for_batches(user) -> QuerySet:
    """Exams of the enterprises HR ``user`` may change, newest first (a batch's source)."""
    return scope(Exam.objects.all(), user, Capability.CHANGE).order_by("-pk")


def batch_bases(batch) -> list[tuple[Employee, list, object]]:
    """What a batch issues on: (employee, basis records, basis attempt) per
    person, in 工号 order — each person's latest passed attempt of the exam,
    or their passed records of the offline session."""
    if batch.exam_id:
        best = {}
        for attempt in (Attempt.objects.filter(exam_id=batch.exam_id, passed=True,
                                               employee__enterprise_id=batch.enterprise_id)
                        .select_related("employee__enterprise").order_by("employee_id", "-pk")):
            best.setdefault(attempt.employee_id, attempt)
        bases = [(a.employee, [], a) for a in best.values()]
    else:
        by_person: dict[int, list] = {}
        people = {}
        for record in (TrainingRecord.objects.filter(employee__enterprise_id=batch.enterprise_id,
                                                     source_ref__startswith=batch.session_ref + "/")
                       .exclude(assessment_result="failed").select_related("employee__enterprise").order_by("pk")):
            by_person.setdefault(record.employee_id, []).append(record)
            people[record.employee_id] = record.employee
        bases = [(people[pk], records, None) for pk, records in by_person.items()]
    return sorted(bases, key=lambda b: b[0].employee_no)
