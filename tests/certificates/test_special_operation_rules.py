"""Issue 18 item 3: the special-operation certificate rules of 令30 §19–§25
and the principals' competence certificate (办法 §25), each walked as a
named scenario: dates derived from the type, the review cycle (60-day
window, ≥ 8 h, 3 years, 6-year extension, refusal), the practical exam
after ≥ 6 months away, renewal 30 days before expiry."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certificates.models import Certificate, CertificateKind, CertificateReview
from certificates.services import (
    certificate_register,
    certificate_reinstate,
    certificate_review,
    certificate_suspend,
)
from lms.compliance.models import Notice, Obligation, ObligationKind
from lms.compliance.rules import add_months
from lms.compliance.scan import scan_obligations
from lms.compliance.clearance import Code
from lms.compliance.selectors import clearance, clearance_batch
from lms.workforce.models import SpecialOperation
from tests.compliance.helpers import D, event, hire, induct, train
from tests.factories import EmployeeFactory, PostAssignmentFactory, PostFactory, UserFactory

from .conftest import inducted_welder

pytestmark = pytest.mark.django_db

TODAY = D(2026, 12, 2)


@pytest.fixture
def welder(ent_a, welder_post):
    return inducted_welder(ent_a, welder_post, D(2010, 3, 1))


def register(employee, **overrides):
    return certificate_register(**{
        "employee": employee, "kind": CertificateKind.SPECIAL_OPERATION, "category": SpecialOperation.WELDING,
        "number": "T-0001", "authority": "江苏省应急管理厅", "issued_on": D(2024, 1, 10), "actor": None,
        **overrides})


def codes(result):
    return sorted(r.code for r in result.reasons)


# --- 1. dates derived from the type; the review cycle ------------------------------------


@pytest.mark.rule("cert.special_op_review", "cert.special_op_gate", "hours.special_op_review")
def test_unreviewed_certificate_11_months_past_its_3_year_review_is_refused_told_and_owes_8_hours(
        alice, welder, welder_post):
    issued = add_months(TODAY, -(36 + 11))
    cert = register(welder, issued_on=issued)  # neither expiry nor review typed in
    assert cert.valid_until == add_months(issued, 72) - dt.timedelta(days=1)  # 令30: 6 years
    assert cert.next_review_due == add_months(issued, 36)  # 令30 §21: every 3 years
    assert codes(clearance(welder, welder_post, TODAY)) == [Code.CERT_REVIEW_OVERDUE]

    scan_obligations(today=TODAY)
    [told] = Notice.objects.filter(user=welder.user, title__contains="证书复审已逾期")
    assert cert.number in told.title and "8 学时" in told.body
    [refresher] = Obligation.objects.filter(employee=welder, kind=ObligationKind.SPECIAL_OP_REFRESHER)
    assert refresher.min_hours == 8 and refresher.due_date == cert.next_review_due


@pytest.mark.rule("cert.special_op_review")
def test_a_review_date_later_than_3_years_after_issue_is_refused(welder):
    with pytest.raises(ValidationError) as exc:
        register(welder, next_review_due=D(2027, 2, 10))
    assert "2027-01-10" in exc.value.message_dict["next_review_due"][0]
    assert not Certificate.objects.exists()
    assert register(welder, next_review_due=D(2026, 12, 1)).next_review_due == D(2026, 12, 1)  # earlier is stricter


def _due_soon(welder, days=20, **overrides):
    """A certificate whose 3-year review falls ``days`` after the real today."""
    due = timezone.localdate() + dt.timedelta(days=days)
    return register(welder, issued_on=add_months(due, -36), **overrides)


@pytest.mark.rule("cert.special_op_review", "hours.special_op_review")
def test_review_within_60_days_after_8_hours_moves_the_review_on(alice, welder, welder_post):
    cert = _due_soon(welder, days=20)
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:  # no refresher training on file
        certificate_review(certificate=cert, reviewed_on=today, actor=alice)
    assert "8 学时" in exc.value.message_dict["reviewed_on"][0]
    train(welder, "special_operation", 8, today - dt.timedelta(days=3))
    reviewed = certificate_review(certificate=cert, reviewed_on=today, actor=alice)
    # The next review 3 years on falls after the 6-year expiry: renewal comes next.
    assert reviewed.next_review_due is None
    [row] = CertificateReview.objects.filter(certificate=cert)
    assert row.due_on == today + dt.timedelta(days=20) and row.refresher_hours == 8 and not row.extended
    assert clearance(welder, welder_post, today + dt.timedelta(days=30)).cleared


def test_review_moves_the_due_date_by_3_years_when_the_certificate_runs_longer(alice, welder):
    cert = _due_soon(welder, days=20, valid_until=timezone.localdate() + dt.timedelta(days=365 * 5))
    train(welder, "special_operation", 8, timezone.localdate() - dt.timedelta(days=1))
    reviewed = certificate_review(certificate=cert, reviewed_on=timezone.localdate(), actor=alice)
    assert reviewed.next_review_due == add_months(timezone.localdate() + dt.timedelta(days=20), 36)


@pytest.mark.rule("cert.special_op_review")
def test_review_outside_the_60_day_window_is_refused(alice, welder):
    cert = _due_soon(welder, days=61)
    train(welder, "special_operation", 8, timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        certificate_review(certificate=cert, reviewed_on=timezone.localdate(), actor=alice)
    assert "60 日内" in exc.value.message_dict["reviewed_on"][0]
    late = _due_soon(welder, days=-1, number="T-0002")
    with pytest.raises(ValidationError) as exc:
        certificate_review(certificate=late, reviewed_on=timezone.localdate(), actor=alice)
    assert "逾期未复审" in exc.value.message_dict["reviewed_on"][0]


@pytest.mark.rule("cert.special_op_refusal")
def test_review_is_refused_after_3_violations_and_the_gate_closes_once_due(alice, welder, welder_post):
    cert = _due_soon(welder, days=20)
    today = timezone.localdate()
    train(welder, "special_operation", 8, today - dt.timedelta(days=3))
    for months_ago in (9, 6, 3):
        event(welder, "violation", add_months(today, -months_ago))
    with pytest.raises(ValidationError) as exc:
        certificate_review(certificate=cert, reviewed_on=today, actor=alice)
    assert "3 次" in exc.value.message_dict["reviewed_on"][0]
    cert.refresh_from_db()
    assert cert.next_review_due == today + dt.timedelta(days=20) and not cert.reviews.exists()
    assert Code.CERT_REVIEW_OVERDUE in clearance(welder, welder_post, today + dt.timedelta(days=21)).codes


@pytest.mark.rule("cert.special_op_refusal")
def test_review_is_refused_after_a_penalty(alice, welder):
    cert = _due_soon(welder, days=20)
    train(welder, "special_operation", 8, timezone.localdate() - dt.timedelta(days=1))
    certificate_suspend(certificate=cert, reason="违章作业被暂扣", actor=alice)
    certificate_reinstate(certificate=cert, reason="暂扣期满", actor=alice)
    with pytest.raises(ValidationError) as exc:
        certificate_review(certificate=cert, reviewed_on=timezone.localdate(), actor=alice)
    assert "处罚" in exc.value.message_dict["reviewed_on"][0]


@pytest.mark.rule("cert.special_op_extension")
def test_six_year_review_after_10_years_in_the_trade_with_a_clean_record(welder, ent_a):
    first = register(welder, number="T-2014", issued_on=D(2014, 6, 1), valid_until=D(2020, 5, 31),
                     next_review_due=D(2017, 6, 1))
    second = register(welder, number="T-2020", issued_on=D(2020, 6, 1), valid_until=D(2026, 5, 31),
                      next_review_due=D(2023, 6, 1), replaces=first)
    # 12 years holding 焊接与热切割 without a break, no violation: every 6 years.
    third = register(welder, number="T-2026", issued_on=D(2026, 6, 1), next_review_due=D(2032, 5, 1),
                     replaces=second)
    assert third.next_review_due == D(2032, 5, 1)
    # Someone with a violation in those years gets every 3 years only.
    other = EmployeeFactory(enterprise=ent_a, hire_date=D(2010, 3, 1))
    hire(other)
    register(other, number="O-2014", issued_on=D(2014, 6, 1), valid_until=D(2020, 5, 31), next_review_due=D(2017, 6, 1))
    register(other, number="O-2020", issued_on=D(2020, 6, 1), valid_until=D(2026, 5, 31), next_review_due=D(2023, 6, 1))
    event(other, "violation", D(2019, 4, 1))
    with pytest.raises(ValidationError) as exc:
        register(other, number="O-2026", issued_on=D(2026, 6, 1), next_review_due=D(2032, 5, 1))
    assert "next_review_due" in exc.value.message_dict


# --- 2. practical exam after ≥ 6 months away (令30) ------------------------------------------


@pytest.fixture
def certified_welder(welder):
    register(welder, issued_on=D(2024, 1, 10))
    return welder


@pytest.mark.rule("cert.special_op_practical")
def test_back_after_6_months_away_from_the_post_needs_the_practical_exam(certified_welder, welder_post):
    welder = certified_welder
    PostAssignmentFactory(employee=welder, post=welder_post, start_date=D(2024, 3, 1), end_date=D(2025, 6, 30))
    # 5 months away: no exam owed.
    assert clearance(welder, welder_post, D(2025, 11, 30)).cleared
    # Away from 2025-07-01 (the day after the last day on the post): on
    # 2025-12-31 not yet six months; on 2026-01-01 six (以上 includes 6): the
    # exam first — and, as for anyone back on a post after 6 months off
    # (令3 §17), workshop and team level again.
    assert clearance(welder, welder_post, D(2025, 12, 31)).cleared
    result = clearance(welder, welder_post, D(2026, 1, 1))
    assert sorted(codes(result)) == sorted([Code.SPECIAL_OP_PRACTICAL_REQUIRED, "RETRAINING_REQUIRED", "RETRAINING_REQUIRED"])
    practical = next(r for r in result.reasons if r.code == Code.SPECIAL_OP_PRACTICAL_REQUIRED)
    assert "2025-07-01" in practical.message
    for level in ("workshop", "team"):
        train(welder, "retraining", 24, D(2025, 12, 20), level=level, post=welder_post)  # high-risk: 72 h over three levels
    PostAssignmentFactory(employee=welder, post=welder_post, start_date=D(2026, 1, 10))
    assert codes(clearance(welder, welder_post, D(2026, 2, 1))) == [Code.SPECIAL_OP_PRACTICAL_REQUIRED]
    # An exam for another category does not count; this category's does.
    electric = PostFactory(enterprise=welder_post.enterprise, org_unit=welder_post.org_unit, code="A-ELEC",
                           special_operation=SpecialOperation.ELECTRICIAN)
    train(welder, "special_op_practical", 2, D(2026, 1, 5), post=electric)
    assert codes(clearance(welder, welder_post, D(2026, 2, 1))) == [Code.SPECIAL_OP_PRACTICAL_REQUIRED]
    train(welder, "special_op_practical", 2, D(2026, 1, 6), post=welder_post, passed=False)
    assert codes(clearance(welder, welder_post, D(2026, 2, 1))) == [Code.SPECIAL_OP_PRACTICAL_REQUIRED]
    train(welder, "special_op_practical", 2, D(2026, 1, 8), post=welder_post)
    assert clearance(welder, welder_post, D(2026, 2, 1)).cleared


@pytest.mark.rule("cert.special_op_practical")
def test_leave_and_return_of_6_months_needs_the_practical_exam(certified_welder, welder_post):
    welder = certified_welder
    PostAssignmentFactory(employee=welder, post=welder_post, start_date=D(2024, 3, 1))
    event(welder, "leave", D(2025, 3, 1))
    event(welder, "return", D(2025, 9, 1))
    assert Code.SPECIAL_OP_PRACTICAL_REQUIRED in clearance(welder, welder_post, D(2025, 9, 2)).codes
    train(welder, "special_op_practical", 2, D(2025, 9, 2), post=welder_post)
    assert Code.SPECIAL_OP_PRACTICAL_REQUIRED not in clearance(welder, welder_post, D(2025, 9, 3)).codes


def test_practical_rule_keeps_the_batch_clearance_flat(ent_a, tree_a, welder_post, certified_welder):
    def people(n, start, exam=True):
        out = []
        for i in range(n):
            emp = EmployeeFactory(enterprise=ent_a, hire_date=D(2024, 1, 2))
            hire(emp, welder_post)
            induct(emp, welder_post, D(2024, 1, 3), 24)
            register(emp, number=f"T-{start + i}", issued_on=D(2024, 1, 10))
            PostAssignmentFactory(employee=emp, post=welder_post, start_date=D(2024, 3, 1), end_date=D(2025, 1, 31))
            PostAssignmentFactory(employee=emp, post=welder_post, start_date=D(2025, 9, 1))
            for level in ("workshop", "team"):  # back after 6 months off (令3 §17)
                train(emp, "retraining", 24, D(2025, 8, 20), level=level, post=welder_post)
            if exam:
                train(emp, "special_op_practical", 2, D(2025, 8, 20), post=welder_post)
            out.append(emp)
        return out

    [missing] = people(1, 100, exam=False)
    with CaptureQueriesContext(connection) as few:
        clearance_batch(enterprise=ent_a, on_date=D(2025, 10, 1))
    people(4, 200)
    with CaptureQueriesContext(connection) as many:
        result = clearance_batch(enterprise=ent_a, on_date=D(2025, 10, 1))
    assert len(many) == len(few)
    assert result.pop((missing.pk, welder_post.pk)).codes == [Code.SPECIAL_OP_PRACTICAL_REQUIRED]
    assert len(result) == 4 and all(c.cleared for c in result.values())


# --- 3. principals' competence certificate (办法 §25; 令3 §24) ---------------------------------


@pytest.mark.rule("cert.competence")
def test_competence_certificate_runs_3_years_and_renewal_is_asked_30_days_before_expiry(ent_a, tree_a):
    user = UserFactory(email="boss@example.com")
    boss = EmployeeFactory(enterprise=ent_a, user=user, hire_date=D(2024, 1, 2), is_principal=True)
    hire(boss, tree_a[3])
    cert = certificate_register(employee=boss, kind=CertificateKind.PRINCIPAL_COMPETENCE, number="Z-1",
                                authority="江苏省应急管理厅", issued_on=D(2024, 2, 1), actor=None)
    assert cert.valid_until == D(2027, 1, 31) and cert.next_review_due is None
    scan_obligations(today=cert.valid_until - dt.timedelta(days=30))
    [told] = Notice.objects.filter(user=user, title__contains="证书即将到期")
    assert "30 日前（2027-01-01 前）" in told.body and "申请延期" in told.body and "申请期限已到" in told.body


@pytest.mark.rule("cert.competence")
def test_high_risk_principal_needs_the_competence_certificate_from_6_months_after_taking_the_post(
        ent_a, ent_b, tree_a, tree_b):
    boss = EmployeeFactory(enterprise=ent_a, hire_date=D(2026, 1, 5), is_principal=True)
    hire(boss, tree_a[3])
    assert Code.CERT_MISSING not in clearance(boss, tree_a[3], D(2026, 7, 5)).codes
    assert Code.CERT_MISSING in clearance(boss, tree_a[3], D(2026, 7, 6)).codes
    certificate_register(employee=boss, kind=CertificateKind.PRINCIPAL_COMPETENCE, number="Z-2",
                         authority="江苏省应急管理厅", issued_on=D(2026, 5, 1), actor=None)
    assert Code.CERT_MISSING not in clearance(boss, tree_a[3], D(2026, 7, 6)).codes
    # Three years later it has expired.
    assert Code.CERT_EXPIRED in clearance(boss, tree_a[3], D(2029, 5, 1)).codes
    # A general-industry principal is not held to the certificate by the gate.
    general = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 1, 5), is_principal=True)
    hire(general, tree_b[3])
    assert Code.CERT_MISSING not in clearance(general, tree_b[3], D(2026, 9, 1)).codes
