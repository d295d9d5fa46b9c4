"""Internal certificates: issued exactly once when the last obligation behind
them is met (never while one is missing), by HR with the basis recorded,
numbered per enterprise and year by a configurable pattern; suspension,
revocation (reason and actor audited) and re-issue feed clearance at once."""

import datetime as dt
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from wagtail.models import ModelLogEntry

from certificates.models import Certificate, CertificateKind, CertificateType
from certificates.selectors import certificate_type_for
from certificates.services import (
    certificate_issue,
    certificate_reinstate,
    certificate_reissue,
    certificate_revoke,
    certificate_suspend,
    certificate_type_save,
    certificates_issue_due,
    format_number,
    validate_number_pattern,
)
from lms.compliance.rules import add_months
from lms.compliance.clearance import Code
from lms.compliance.selectors import clearance
from tests.compliance.helpers import D, hire, induct, train
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(tree_b):
    return tree_b[3]


@pytest.fixture
def worker(ent_b, post):
    emp = EmployeeFactory(enterprise=ent_b, name="李小明", hire_date=D(2026, 3, 2))
    hire(emp, post)
    return emp


def internal(emp, kind=None):
    qs = Certificate.objects.filter(employee=emp, verification_code__isnull=False)
    return list(qs.filter(kind=kind) if kind else qs)


def test_post_certificate_issued_once_when_the_last_induction_level_is_met(worker, post,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        train(worker, "induction", 8, D(2026, 3, 3), level="company")
        train(worker, "induction", 8, D(2026, 3, 4), level="workshop", post=post)
    assert internal(worker) == []  # team level still missing: nothing issued

    with django_capture_on_commit_callbacks(execute=True):
        train(worker, "induction", 8, D(2026, 3, 5), level="team", post=post)
    post_certs = internal(worker, CertificateKind.POST)
    assert len(post_certs) == 1
    cert = post_certs[0]
    assert cert.post == post and cert.status == Certificate.Status.VALID
    assert cert.issued_via == Certificate.Via.AUTOMATIC
    assert cert.valid_until is None  # no rule gives a post certificate an expiry
    assert len(cert.basis_records.all()) == 3
    assert len(internal(worker, CertificateKind.INDUCTION_COMPLETION)) == 1

    # Later records and a second run of the task issue nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        train(worker, "warning", 2, D(2026, 4, 1))
    certificates_issue_due(employee=worker)
    assert len(internal(worker, CertificateKind.POST)) == 1
    assert len(internal(worker, CertificateKind.INDUCTION_COMPLETION)) == 1


def test_a_record_that_meets_nothing_enqueues_no_issuance(worker, post, django_capture_on_commit_callbacks):
    # Issuance is enqueued on commit (lms.compliance.signals.obligations_met).
    with mock.patch("certificates.signals.issue_due_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            train(worker, "induction", 2, D(2026, 3, 3), level="company")  # 2 of 8 hours
        assert delay.call_args_list == []
        with django_capture_on_commit_callbacks(execute=True):
            train(worker, "induction", 6, D(2026, 3, 3), level="company")  # the level is met now
        assert delay.call_args_list == [mock.call(worker.pk)]


def test_no_post_certificate_while_the_gate_still_refuses(ent_a, tree_a, django_capture_on_commit_callbacks):
    # High-risk post: 72 hours over the three levels; 8 each leaves the gate shut.
    emp = EmployeeFactory(enterprise=ent_a, hire_date=D(2026, 3, 2))
    post = tree_a[3]
    hire(emp, post)
    with django_capture_on_commit_callbacks(execute=True):
        induct(emp, post, D(2026, 3, 3), 8)
    assert not clearance(emp, post).cleared
    assert internal(emp, CertificateKind.POST) == []


def test_post_certificate_of_a_type_with_validity_expires_and_closes_the_gate(ent_b, worker, post, alice):
    own = CertificateType(enterprise=ent_b, code="SGX", name="上岗证", kind=CertificateKind.POST,
                          validity_months=12, clearance_required=True, auto_issue=True)
    certificate_type_save(type=own, actor=None)
    assert certificate_type_for(ent_b, CertificateKind.POST) == own
    induct(worker, post, D(2026, 3, 3), 8)
    certificates_issue_due(employee=worker)
    [cert] = internal(worker, CertificateKind.POST)
    assert cert.type == own and cert.valid_until == add_months(cert.issued_on, 12) - dt.timedelta(days=1)
    assert clearance(worker, post).cleared
    later = cert.valid_until + dt.timedelta(days=1)
    assert Code.CERT_EXPIRED in clearance(worker, post, later).codes


def test_revocation_closes_clearance_and_re_issue_opens_it(ent_b, worker, post):
    hr = _hr(ent_b)
    induct(worker, post, D(2026, 3, 3), 8)
    certificates_issue_due(employee=worker)
    [cert] = internal(worker, CertificateKind.POST)
    assert clearance(worker, post).cleared

    certificate_revoke(certificate=cert, reason="培训记录造假", actor=hr)
    result = clearance(worker, post)
    assert Code.CERT_REVOKED in result.codes
    assert any(cert.number in r.message for r in result.reasons)
    entry = ModelLogEntry.objects.get(content_type=ContentType.objects.get_for_model(Certificate),
                                      object_id=str(cert.pk), action="anxun.certificate_revoke")
    assert entry.user == hr and entry.data["reason"] == "培训记录造假"
    cert.refresh_from_db()
    assert cert.status_changed_by == hr and cert.status_reason == "培训记录造假"

    # The automatic path never silently gives a revoked certificate back.
    assert certificates_issue_due(employee=worker) == []
    new = certificate_reissue(certificate=cert, reason="重新培训考核合格", actor=hr)
    assert new.replaces == cert and new.number != cert.number and new.verification_code != cert.verification_code
    assert clearance(worker, post).cleared
    with pytest.raises(ValidationError):
        certificate_reissue(certificate=cert, reason="再来一次", actor=hr)


def test_suspension_closes_clearance_until_reinstated(ent_b, worker, post):
    hr = _hr(ent_b)
    induct(worker, post, D(2026, 3, 3), 8)
    [cert] = [c for c in certificates_issue_due(employee=worker) if c.kind == CertificateKind.POST]
    certificate_suspend(certificate=cert, reason="违章作业，停岗教育", actor=hr)
    assert Code.CERT_SUSPENDED in clearance(worker, post).codes
    certificate_reinstate(certificate=cert, reason="教育完成", actor=hr)
    assert clearance(worker, post).cleared


def test_hr_issues_with_basis_and_numbers_follow_the_pattern(ent_b, worker, post):
    hr = _hr(ent_b)
    own = certificate_type_save(type=CertificateType(
        enterprise=ent_b, code="CS", name="出师证", kind=CertificateKind.APPRENTICESHIP_COMPLETION,
        number_pattern="DF〔{year}〕第{seq:04d}号"), actor=hr)
    r1 = train(worker, "apprenticeship", 8, D(2026, 5, 1))
    other = EmployeeFactory(enterprise=ent_b)
    r2 = train(other, "apprenticeship", 8, D(2026, 5, 1))
    a = certificate_issue(employee=worker, type=own, basis_records=[r1], basis_note="师傅签字出师", actor=hr)
    b = certificate_issue(employee=other, type=own, basis_records=[r2], actor=hr)
    year = dt.date.today().year
    assert (a.number, b.number) == (f"DF〔{year}〕第0001号", f"DF〔{year}〕第0002号")
    assert list(a.basis_records.all()) == [r1] and a.basis_note == "师傅签字出师"
    assert a.issued_via == Certificate.Via.MANUAL and a.registered_by == hr
    assert len(a.verification_code) >= 32

    with pytest.raises(ValidationError) as error:
        certificate_issue(employee=worker, type=own, basis_records=[], actor=hr)
    assert "basis_records" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        certificate_issue(employee=worker, type=own, basis_records=[r2], actor=hr)
    assert "basis_records" in error.value.message_dict  # someone else's record


def test_numbers_restart_per_enterprise_and_year(ent_a, ent_b):
    t = certificate_type_for(ent_b, CertificateKind.POST)
    assert format_number(t.number_pattern, enterprise=ent_b, type=t, year=2026, seq=7) == "DFMFG-SG-2026-00007"
    from certificates.services import _next_serial

    assert [_next_serial(ent_b, 2026), _next_serial(ent_b, 2026), _next_serial(ent_a, 2026),
            _next_serial(ent_b, 2027)] == [1, 2, 1, 1]


@pytest.mark.parametrize("pattern", ["{enterprise}-{seq}", "{year}-{serial}", "{year}{seq}<script>", ""])
def test_bad_number_patterns_are_field_errors(pattern):
    with pytest.raises(ValidationError) as error:
        validate_number_pattern(pattern)
    assert "number_pattern" in error.value.message_dict


def test_other_enterprise_may_not_issue_or_revoke(ent_b, worker, post, charlie, alice):
    own = certificate_type_for(ent_b, CertificateKind.POST)
    record = train(worker, "induction", 8, D(2026, 3, 3), level="company")
    with pytest.raises(PermissionDenied):
        certificate_issue(employee=worker, type=own, post=post, basis_records=[record], actor=alice)
    induct(worker, post, D(2026, 3, 4), 8)
    [cert] = [c for c in certificates_issue_due(employee=worker) if c.kind == CertificateKind.POST]
    with pytest.raises(PermissionDenied):
        certificate_revoke(certificate=cert, reason="x", actor=alice)
    with pytest.raises(ValidationError) as error:
        certificate_revoke(certificate=cert, reason="  ", actor=None)
    assert "reason" in error.value.message_dict


def test_issuing_twice_for_the_same_scope_is_refused(ent_b, worker, post):
    hr = _hr(ent_b)
    induct(worker, post, D(2026, 3, 3), 8)
    certificates_issue_due(employee=worker)
    record = worker.training_records.first()
    with pytest.raises(ValidationError):
        certificate_issue(employee=worker, type=certificate_type_for(ent_b, CertificateKind.POST), post=post,
                          basis_records=[record], actor=hr)


def test_issue_due_reads_a_flat_number_of_queries(worker, post, django_assert_max_num_queries):
    induct(worker, post, D(2026, 3, 3), 8)
    certificates_issue_due(employee=worker)
    with django_assert_max_num_queries(12):
        assert certificates_issue_due(employee=worker) == []


def _hr(enterprise):
    from lms.accounts.roles import Role
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(full_name="人事王")
    MembershipFactory(user=user, enterprise=enterprise, role=Role.HR)
    return user
