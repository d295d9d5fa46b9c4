"""Every rule of RULES.md walked with concrete people and dates."""


import pytest
from django.core.exceptions import ValidationError

from lms.compliance.models import Jurisdiction, Obligation, RuleCode, TrainingRule
from lms.compliance.rules import RuleBook
from lms.compliance.selectors import clearance
from lms.compliance.services import cycle_obligations, obligations_evaluate
from lms.workforce.models import Employee, HazardLevel, SpecialOperation
from tests.factories import EmployeeFactory, PostFactory

from .helpers import D, certificate, event, hire, induct, train

pytestmark = pytest.mark.django_db


def codes(result):
    return sorted(r.code for r in result.reasons)


@pytest.fixture
def general_post(tree_b):
    return tree_b[3]


@pytest.fixture
def hazard_post(tree_a):
    return tree_a[3]


@pytest.mark.rule("hours.new_general", "levels.company", "levels.workshop", "levels.team", "who.everyone", "who.no_untrained_on_post")
def test_new_hire_general_owes_24_hours_over_three_levels(ent_b, general_post):
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 3, 2))
    hire(emp, general_post)
    result = clearance(emp, general_post, D(2026, 3, 3))
    assert codes(result) == ["INDUCTION_LEVEL_MISSING"] * 3
    assert {r.required_hours for r in result.reasons} == {"8"}
    assert any("车间级安全教育未完成" in r.message for r in result.reasons)

    train(emp, "induction", 8, D(2026, 3, 3), level="company")
    train(emp, "induction", 8, D(2026, 3, 4), level="workshop", post=general_post)
    train(emp, "induction", 6, D(2026, 3, 5), level="team", post=general_post)
    result = clearance(emp, general_post, D(2026, 3, 6))
    assert codes(result) == ["HOURS_SHORT"]
    assert "班组级安全教育未完成，还差 2 学时" in result.reasons[0].message

    train(emp, "induction", 2, D(2026, 3, 6), level="team", post=general_post)
    assert clearance(emp, general_post, D(2026, 3, 6)).cleared


@pytest.mark.rule("hours.new_high_risk")
def test_new_hire_high_risk_owes_72_hours(ent_a, hazard_post):
    emp = EmployeeFactory(enterprise=ent_a, hire_date=D(2026, 3, 2))
    hire(emp, hazard_post)
    train(emp, "induction", 8, D(2026, 3, 3), level="workshop", post=hazard_post)
    result = clearance(emp, hazard_post, D(2026, 3, 4))
    workshop = next(r for r in result.reasons if "车间级" in r.message)
    assert workshop.code == "HOURS_SHORT" and workshop.required_hours == "24"
    assert "还差 16 学时" in workshop.message
    induct(emp, hazard_post, D(2026, 3, 5), 24)
    assert clearance(emp, hazard_post, D(2026, 3, 6)).cleared


@pytest.mark.rule("levels.team")
def test_hours_without_a_passed_assessment_are_not_enough(ent_b, general_post):
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 3, 2))
    hire(emp, general_post)
    train(emp, "induction", 8, D(2026, 3, 3), level="company")
    train(emp, "induction", 8, D(2026, 3, 3), level="workshop", post=general_post)
    train(emp, "induction", 8, D(2026, 3, 3), level="team", post=general_post, passed=False)
    result = clearance(emp, general_post, D(2026, 3, 4))
    assert codes(result) == ["EXAM_NOT_PASSED"]


def test_training_for_another_post_does_not_count(ent_b, tree_b, general_post):
    other = PostFactory(enterprise=ent_b, org_unit=tree_b[2], code="B-OTHER")
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 3, 2))
    hire(emp, general_post)
    induct(emp, other, D(2026, 3, 3), 8)
    result = clearance(emp, general_post, D(2026, 3, 4))
    assert codes(result) == ["INDUCTION_LEVEL_MISSING", "INDUCTION_LEVEL_MISSING"]  # company level counted


@pytest.mark.rule("retrain.transfer")
def test_transfer_requires_workshop_and_team_level_again(ent_b, tree_b, general_post):
    new_post = PostFactory(enterprise=ent_b, org_unit=tree_b[2], code="B-NEW")
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2025, 1, 6))
    hire(emp, general_post)
    induct(emp, general_post, D(2025, 1, 7), 8)
    event(emp, "transfer", D(2026, 4, 1), post=new_post)
    result = clearance(emp, new_post, D(2026, 4, 1))
    assert codes(result) == ["RETRAINING_REQUIRED", "RETRAINING_REQUIRED"]
    assert {"车间级" in r.message or "班组级" in r.message for r in result.reasons} == {True}
    assert not any("厂级" in r.message for r in result.reasons)  # 令3 §17: not company level
    train(emp, "retraining", 8, D(2026, 4, 2), level="workshop", post=new_post)
    train(emp, "retraining", 8, D(2026, 4, 2), level="team", post=new_post)
    assert clearance(emp, new_post, D(2026, 4, 3)).cleared


@pytest.mark.rule("retrain.return")
@pytest.mark.parametrize("months_away,retrain", [(5, False), (7, True)])
def test_return_after_leave_uses_the_six_month_default(ent_b, general_post, months_away, retrain):
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2024, 1, 8))
    hire(emp, general_post)
    induct(emp, general_post, D(2024, 1, 9), 8)
    event(emp, "leave", D(2025, 1, 10), post=general_post)
    back = D(2025, 1 + months_away, 10)
    event(emp, "return", back, post=general_post)
    result = clearance(emp, general_post, back)
    assert ("RETRAINING_REQUIRED" in codes(result)) is retrain


@pytest.mark.rule("retrain.return")
def test_enterprise_may_relax_return_threshold_to_the_national_12_months(ent_b, general_post):
    TrainingRule(code=RuleCode.RETURN_RETRAINING, jurisdiction=Jurisdiction.ENTERPRISE, enterprise=ent_b, months=12,
                 exam_required=True, effective_from=D(2024, 1, 1), source="企业制度").full_clean()
    TrainingRule.objects.create(code=RuleCode.RETURN_RETRAINING, jurisdiction=Jurisdiction.ENTERPRISE, enterprise=ent_b,
                                months=12, exam_required=True, effective_from=D(2024, 1, 1), source="企业制度")
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2024, 1, 8))
    hire(emp, general_post)
    induct(emp, general_post, D(2024, 1, 9), 8)
    event(emp, "leave", D(2025, 1, 10))
    event(emp, "return", D(2025, 8, 10), post=general_post)
    assert clearance(emp, general_post, D(2025, 8, 10)).cleared


@pytest.mark.parametrize(
    "code,params,field",
    [
        (RuleCode.RETURN_RETRAINING, {"months": 13, "exam_required": True}, "months"),
        (RuleCode.INDUCTION, {"min_hours": 20, "exam_required": True}, "min_hours"),
        (RuleCode.INDUCTION, {"min_hours": 30, "exam_required": False}, "exam_required"),
        (RuleCode.ANNUAL_REFRESHER, {"min_hours": 6}, "min_hours"),
    ],
)
def test_a_rule_looser_than_the_national_floor_is_refused(ent_b, code, params, field):
    rule = TrainingRule(code=code, jurisdiction=Jurisdiction.ENTERPRISE, enterprise=ent_b,
                        effective_from=D(2026, 1, 1), source="企业制度", **params)
    with pytest.raises(ValidationError) as exc:
        rule.full_clean()
    assert field in exc.value.message_dict
    assert "国家" in exc.value.message_dict[field][0]


def test_a_stricter_enterprise_rule_applies(ent_b, general_post):
    TrainingRule.objects.create(code=RuleCode.INDUCTION, jurisdiction=Jurisdiction.ENTERPRISE, enterprise=ent_b,
                                min_hours=36, exam_required=True, effective_from=D(2026, 1, 1), source="企业制度")
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 3, 2))
    hire(emp, general_post)
    assert {r.required_hours for r in clearance(emp, general_post, D(2026, 3, 3)).reasons} == {"12"}


@pytest.mark.rule("retrain.new_process")
def test_new_equipment_needs_targeted_training(ent_b, general_post):
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2025, 1, 6))
    hire(emp, general_post)
    induct(emp, general_post, D(2025, 1, 7), 8)
    event(emp, "new_process", D(2026, 5, 1), post=general_post)
    assert codes(clearance(emp, general_post, D(2026, 5, 1))) == ["NEW_PROCESS_TRAINING_MISSING"]
    train(emp, "new_process", 4, D(2026, 5, 2), post=general_post)
    assert clearance(emp, general_post, D(2026, 5, 2)).cleared


@pytest.mark.rule("retrain.violation")
def test_second_violation_within_12_months_takes_the_person_off_post(ent_b, general_post):
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2025, 1, 6))
    hire(emp, general_post)
    induct(emp, general_post, D(2025, 1, 7), 8)
    event(emp, "violation", D(2025, 3, 1))
    assert clearance(emp, general_post, D(2025, 3, 2)).cleared
    event(emp, "violation", D(2026, 4, 1))  # 13 months later: a first again
    assert clearance(emp, general_post, D(2026, 4, 2)).cleared
    event(emp, "violation", D(2026, 9, 1))
    assert codes(clearance(emp, general_post, D(2026, 9, 2))) == ["OFF_POST_RETRAINING_REQUIRED"]
    train(emp, "off_post", 8, D(2026, 9, 3))
    assert clearance(emp, general_post, D(2026, 9, 4)).cleared


@pytest.fixture
def electrician(ent_b, tree_b):
    post = PostFactory(enterprise=ent_b, org_unit=tree_b[2], code="B-ELEC", special_operation=SpecialOperation.ELECTRICIAN,
                       hazard_level=HazardLevel.ORANGE)
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2025, 1, 6))
    hire(emp, post)
    induct(emp, post, D(2025, 1, 7), 8)
    return emp, post


@pytest.mark.rule("cert.special_op_gate")
def test_special_operation_post_needs_the_certificate(electrician):
    emp, post = electrician
    result = clearance(emp, post, D(2026, 1, 5))
    assert codes(result) == ["CERT_MISSING"] and "电工作业操作证" in result.reasons[0].message
    certificate(emp, "electrician", D(2024, 9, 1), D(2030, 9, 1), review=D(2027, 9, 1))
    assert clearance(emp, post, D(2026, 1, 5)).cleared


@pytest.mark.rule("cert.special_op_gate")
def test_expired_certificate_closes_the_gate_with_its_date(electrician):
    emp, post = electrician
    certificate(emp, "electrician", D(2020, 9, 1), D(2026, 9, 1))
    result = clearance(emp, post, D(2026, 10, 1))
    assert codes(result) == ["CERT_EXPIRED"]
    assert "已于 2026-09-01 过期" in result.reasons[0].message


@pytest.mark.rule("cert.special_op_gate")
def test_review_overdue_closes_the_gate(electrician):
    emp, post = electrician
    certificate(emp, "electrician", D(2023, 9, 1), D(2029, 9, 1), review=D(2026, 9, 1))
    assert codes(clearance(emp, post, D(2026, 9, 2))) == ["CERT_REVIEW_OVERDUE"]
    assert clearance(emp, post, D(2026, 8, 31)).cleared


def test_revoked_certificate_closes_the_gate(electrician):
    emp, post = electrician
    certificate(emp, "electrician", D(2024, 9, 1), D(2030, 9, 1), status="revoked")
    assert codes(clearance(emp, post, D(2026, 1, 5))) == ["CERT_REVOKED"]


@pytest.mark.rule("hours.principal_high_risk")
def test_principal_annual_hours_are_owed_every_year(ent_a, hazard_post):
    emp = EmployeeFactory(enterprise=ent_a, hire_date=D(2024, 2, 1), is_principal=True)
    hire(emp, hazard_post)
    induct(emp, hazard_post, D(2024, 2, 2), 24)
    train(emp, "principal", 48, D(2024, 3, 1))
    from certificates.models import Certificate, CertificateKind

    Certificate.objects.create(employee=emp, kind=CertificateKind.PRINCIPAL_COMPETENCE, number="Z-1", authority="江苏省应急管理厅",
                               issued_on=D(2024, 5, 1), valid_until=D(2027, 5, 1))
    obligations_evaluate(employee=emp)
    book = RuleBook.load()
    new = cycle_obligations(Employee.objects.select_related("enterprise").filter(pk=emp.pk), 2026, 1, book)
    Obligation.objects.bulk_create(new, ignore_conflicts=True)
    annual = Obligation.objects.get(employee=emp, kind="principal_annual")
    assert annual.min_hours == 16  # 令3 §9, high-risk
    assert not Obligation.objects.filter(employee=emp, kind="refresher").exists()  # decision 013
    train(emp, "principal", 10, D(2026, 6, 1))
    assert clearance(emp, hazard_post, D(2026, 12, 31)).cleared  # due at year end, not yet overdue
    result = clearance(emp, hazard_post, D(2027, 1, 2))
    assert codes(result) == ["REFRESHER_OVERDUE"]
    assert "还差 6 学时" in result.reasons[0].message


@pytest.mark.rule("hours.principal_general", "hours.principal_high_risk")
def test_principals_owe_the_staff_refresher_only_by_enterprise_policy(ent_b, general_post):
    """令3 ch. 3 ("其他从业人员的安全培训") holds the staff refresher; principals and
    safety managers owe their own annual hours (§9). An enterprise may ask both."""
    boss = EmployeeFactory(enterprise=ent_b, hire_date=D(2024, 2, 1), is_principal=True)
    worker = EmployeeFactory(enterprise=ent_b, hire_date=D(2024, 2, 1))

    def owed():
        rows = cycle_obligations(Employee.objects.select_related("enterprise").filter(pk__in=[boss.pk, worker.pk]),
                                 2026, 1, RuleBook.load())
        return sorted((o.employee_id == boss.pk, o.kind) for o in rows if o.kind != "warning")

    assert owed() == [(False, "refresher"), (True, "principal_annual")]
    TrainingRule.objects.create(code=RuleCode.PRINCIPAL_STAFF_REFRESHER, jurisdiction=Jurisdiction.ENTERPRISE,
                                enterprise=ent_b, effective_from=D(2025, 1, 1), source="企业安全培训制度")
    assert owed() == [(False, "refresher"), (True, "principal_annual"), (True, "refresher")]


@pytest.mark.rule("cert.competence")
def test_high_risk_principal_needs_competence_certificate_within_6_months(ent_a, hazard_post):
    emp = EmployeeFactory(enterprise=ent_a, hire_date=D(2026, 1, 5), is_safety_manager=True)
    hire(emp, hazard_post)
    induct(emp, hazard_post, D(2026, 1, 6), 24)
    train(emp, "principal", 48, D(2026, 2, 1))
    assert clearance(emp, hazard_post, D(2026, 6, 1)).cleared
    assert codes(clearance(emp, hazard_post, D(2026, 7, 6))) == ["CERT_MISSING"]


@pytest.mark.rule("appr.two_months")
def test_apprenticeship_post_allows_only_supervised_work_until_signed_off(ent_a, tree_a):
    post = PostFactory(enterprise=ent_a, org_unit=tree_a[2], code="A-REACT", apprenticeship_months=2,
                       hazard_level=HazardLevel.RED)
    emp = EmployeeFactory(enterprise=ent_a, hire_date=D(2026, 3, 2))
    hire(emp, post)
    induct(emp, post, D(2026, 3, 3), 24)
    result = clearance(emp, post, D(2026, 3, 4))
    assert codes(result) == ["APPRENTICESHIP_INCOMPLETE"] and result.apprentice_only
    train(emp, "apprenticeship", 0, D(2026, 5, 5), post=post)
    assert clearance(emp, post, D(2026, 5, 6)).cleared


@pytest.mark.rule("who.no_untrained_on_post")
def test_leave_closes_every_post(ent_b, general_post):
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2025, 1, 6))
    hire(emp, general_post)
    induct(emp, general_post, D(2025, 1, 7), 8)
    event(emp, "leave", D(2026, 2, 1))
    assert codes(clearance(emp, general_post, D(2026, 2, 2))) == ["EMPLOYEE_ON_LEAVE"]


def test_a_correction_replaces_the_record_it_corrects(ent_b, general_post):
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 3, 2))
    hire(emp, general_post)
    train(emp, "induction", 8, D(2026, 3, 3), level="company")
    train(emp, "induction", 8, D(2026, 3, 3), level="workshop", post=general_post)
    wrong = train(emp, "induction", 8, D(2026, 3, 3), level="team", post=general_post)
    assert clearance(emp, general_post, D(2026, 3, 4)).cleared
    # The team-level session was really 4 hours: the correction is a new record.
    train(emp, "induction", 4, D(2026, 3, 3), level="team", post=general_post, corrects=wrong)
    # Met obligations stay met; the correction is visible in the archive.
    assert wrong.corrections.count() == 1


def test_regenerating_obligations_is_idempotent(ent_b, general_post):
    from lms.compliance.services import obligations_generate_for_events

    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 3, 2))
    ev = hire(emp, general_post)
    before = Obligation.objects.filter(employee=emp).count()
    assert obligations_generate_for_events([ev]) == 0
    assert Obligation.objects.filter(employee=emp).count() == before == 3


def test_training_finished_after_a_date_does_not_clear_that_date(ent_b, general_post):
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 3, 2))
    hire(emp, general_post)
    induct(emp, general_post, D(2026, 3, 10), 8)
    assert clearance(emp, general_post, D(2026, 3, 10)).cleared
    assert codes(clearance(emp, general_post, D(2026, 3, 4))) == ["INDUCTION_LEVEL_MISSING"] * 3


def test_a_refused_placement_is_kept_in_the_clearance_history(ent_b, general_post):
    from lms.compliance.models import ClearanceCheck
    from lms.workforce import services
    from lms.workforce.services import ClearanceRefused

    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 3, 2))
    hire(emp, general_post)
    with pytest.raises(ClearanceRefused):
        services.assignment_create(employee=emp, post=general_post, start_date=D(2026, 3, 3), actor=None)
    check = ClearanceCheck.objects.get(employee=emp)
    assert not check.cleared and check.purpose == "assignment"
    assert {r["code"] for r in check.reasons} == {"INDUCTION_LEVEL_MISSING"}


def test_a_hire_before_the_oldest_rule_version_still_owes_induction(ent_b, general_post):
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2015, 6, 1))
    hire(emp, general_post)
    assert codes(clearance(emp, general_post, D(2026, 1, 5))) == ["INDUCTION_LEVEL_MISSING"] * 3


def test_batch_reasons_follow_the_active_language(ent_b, general_post):
    """clearance_batch pins the language while it works: its reasons read as
    clearance() gives them, in each language asked for."""
    from django.utils import translation

    from lms.compliance.selectors import clearance_batch

    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 3, 2))
    hire(emp, general_post)
    texts = {}
    for language in ("zh-hans", "en", "zh-hans"):
        with translation.override(language):
            batch = clearance_batch(enterprise=ent_b, on_date=D(2026, 3, 3), pairs=[(emp.pk, general_post.pk)])
            [answer] = batch.values()
            single = clearance(emp, general_post, D(2026, 3, 3))
            assert [r.message for r in answer.reasons] == [r.message for r in single.reasons]
            texts.setdefault(language, [r.message for r in answer.reasons])
    assert texts["en"] != texts["zh-hans"] and "车间级安全教育未完成" in texts["zh-hans"][1]
    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in texts["en"])


@pytest.mark.rule("retrain.return", "words.inclusive", "words.month_period")
@pytest.mark.parametrize(
    "left,back,retrain",
    [
        # 民法典 §202: from the last day of a 31-day month, six months end on
        # the last day of February — 离岗 6 个月以上 includes it (§1259).
        (D(2025, 8, 31), D(2026, 2, 28), True),
        (D(2025, 3, 1), D(2025, 8, 31), False),
        (D(2025, 3, 1), D(2025, 9, 1), True),
    ],
)
def test_return_after_leave_counts_months_by_the_civil_code(ent_b, general_post, left, back, retrain):
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2024, 1, 8))
    hire(emp, general_post)
    induct(emp, general_post, D(2024, 1, 9), 8)
    event(emp, "leave", left, post=general_post)
    event(emp, "return", back, post=general_post)
    assert ("RETRAINING_REQUIRED" in codes(clearance(emp, general_post, back))) is retrain
