"""培训规则 in the back office, and rules_service.

National and platform-default rows are read-only for everyone but platform
superusers; an enterprise's admins and safety managers write their own
enterprise's rules, never looser than the national floor; a rule in force
is never edited in place: a new version starts later and closes the old one.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from wagtail.models import ModelLogEntry

from lms.accounts.roles import Role
from lms.compliance import rules_service
from lms.compliance.models import Jurisdiction, Obligation, RuleCode, TrainingRule
from tests.conftest import _privileged, as_user
from tests.factories import EmployeeFactory, UserFactory, enable_totp

from .helpers import hire

pytestmark = pytest.mark.django_db

INDEX = reverse("trainingrule:index")
ADD = reverse("trainingrule:add")
HOME = reverse("wagtailadmin_home")


def new_version_url(rule):
    return reverse("trainingrule:new_version", args=(rule.pk,))


def inspect_url(rule):
    return reverse("trainingrule:inspect", args=(rule.pk,))


@pytest.fixture
def dora(ent_a):
    """Enterprise admin of A."""
    return _privileged(ent_a, Role.ENTERPRISE_ADMIN, "dora@example.com")


@pytest.fixture
def sam(ent_a):
    """Safety manager of A."""
    return _privileged(ent_a, Role.SAFETY_MANAGER, "sam@example.com")


@pytest.fixture
def erin(ent_b):
    """Enterprise admin of B (the outsider with rule rights)."""
    return _privileged(ent_b, Role.ENTERPRISE_ADMIN, "erin@example.com")


@pytest.fixture
def root(db):
    user = UserFactory(email="root@example.com", is_superuser=True, is_staff=True)
    enable_totp(user)
    return user


@pytest.fixture
def national_induction_high_risk():
    return TrainingRule.objects.get(
        code=RuleCode.INDUCTION, jurisdiction=Jurisdiction.NATIONAL, risk_class="high_risk", version=1
    )


def enterprise_rule(enterprise, **overrides):
    fields = {
        "code": RuleCode.INDUCTION,
        "jurisdiction": Jurisdiction.ENTERPRISE,
        "enterprise": enterprise,
        "min_hours": Decimal("80"),
        "exam_required": True,
        "effective_from": dt.date(2025, 1, 1),
        "source": "企业安全教育培训制度 第5条",
        **overrides,
    }
    return rules_service.rule_create(rule=TrainingRule(**fields), actor=None)


@pytest.fixture
def rule_a(ent_a):
    return enterprise_rule(ent_a)


@pytest.fixture
def rule_b(ent_b):
    return enterprise_rule(ent_b, min_hours=Decimal("30"), source="东方制度第3条")


def form_data(enterprise, **overrides):
    data = {
        "enterprise": enterprise.pk if enterprise else "",
        "code": RuleCode.INDUCTION,
        "risk_class": "",
        "min_hours": "80",
        "exam_required": "on",
        "effective_from": "2026-12-01",
        "source": "企业安全教育培训制度 第5条",
        "note": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- listing and reading -----------------------------------------------------------


def test_everyone_in_the_back_office_reads_national_rules(alice, national_induction_high_risk):
    response = as_user(alice).get(INDEX)
    assert response.status_code == 200
    assert national_induction_high_risk in response.context["object_list"] or any(
        r.pk == national_induction_high_risk.pk for r in response.context["object_list"]
    )
    page = response.content.decode()
    assert "三级安全教育（岗前）" in page and "令3 §13" in page
    assert as_user(alice).get(inspect_url(national_induction_high_risk)).status_code == 200


def test_enterprise_rules_stay_inside_their_enterprise(alice, charlie, erin, rule_a, rule_b):
    listed = {r.pk for r in as_user(alice).get(INDEX, {"jurisdiction": "enterprise"}).context["object_list"]}
    assert listed == {rule_a.pk}
    listed = {r.pk for r in as_user(charlie).get(INDEX, {"jurisdiction": "enterprise"}).context["object_list"]}
    assert listed == {rule_b.pk}
    page = as_user(charlie).get(INDEX).content.decode()
    assert rule_a.source not in page
    history = reverse("trainingrule:history", args=(rule_a.pk,))
    assert as_user(charlie).get(inspect_url(rule_a)).status_code == 404
    assert as_user(charlie).get(new_version_url(rule_a)).status_code == 404
    # B's enterprise admin (who may write rules, for B) gets a 404 everywhere.
    for url in (inspect_url(rule_a), new_version_url(rule_a), history):
        assert as_user(erin).get(url).status_code == 404
    response = as_user(erin).post(new_version_url(rule_a), {"min_hours": "99", "effective_from": "2027-01-01",
                                                            "source": "x", "exam_required": "on"})
    assert response.status_code == 404
    assert TrainingRule.objects.filter(enterprise=rule_a.enterprise).count() == 1


def test_filters_by_code_and_date_in_force(alice, rule_a, root, national_induction_high_risk):
    rules_service.rule_new_version(
        rule=rule_a, changes={"min_hours": Decimal("96")}, effective_from=dt.date(2026, 1, 1), actor=root
    )
    client = as_user(alice)
    listed = client.get(INDEX, {"code": "induction", "jurisdiction": "enterprise", "in_force_on": "2025-06-01"})
    assert [r.version for r in listed.context["object_list"]] == [1]
    listed = client.get(INDEX, {"code": "induction", "jurisdiction": "enterprise", "in_force_on": "2026-06-01"})
    assert [r.version for r in listed.context["object_list"]] == [2]
    listed = client.get(INDEX, {"code": "annual_refresher"})
    assert {r.code for r in listed.context["object_list"]} == {"annual_refresher"}


def test_rule_index_queries_do_not_grow_with_rows(alice, ent_a, django_assert_max_num_queries):
    client = as_user(alice)
    client.get(INDEX)
    with CaptureQueriesContext(connection) as few:
        client.get(INDEX)
    for risk_class in ("", "general", "high_risk", "construction"):
        enterprise_rule(ent_a, code=RuleCode.ANNUAL_REFRESHER, min_hours=Decimal("30"), exam_required=False,
                        risk_class=risk_class, source=f"制度 {risk_class}")
    with django_assert_max_num_queries(len(few)):
        response = client.get(INDEX)
    assert sum(1 for r in response.context["object_list"] if r.enterprise_id) == 4


def test_employee_and_regulator_are_refused(bob, regulator, rule_a):
    for user in (bob, regulator):
        for url in (INDEX, inspect_url(rule_a), ADD):
            response = as_user(user).get(url)
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- creating enterprise rules -------------------------------------------------------


def test_hr_reads_rules_but_may_not_create_them(alice, ent_a):
    page = as_user(alice).get(INDEX).content.decode()
    assert ADD not in page
    response = as_user(alice).get(ADD)
    assert response.status_code == 302 and response["Location"] == HOME
    response = as_user(alice).post(ADD, form_data(ent_a))
    assert response.status_code == 302 and response["Location"] == HOME
    assert not TrainingRule.objects.filter(jurisdiction=Jurisdiction.ENTERPRISE).exists()


@pytest.mark.parametrize("who", ["dora", "sam"])
def test_enterprise_admin_and_safety_manager_create_own_rule(request, ent_a, who):
    user = request.getfixturevalue(who)
    client = as_user(user)
    form = client.get(ADD).context["form"]
    assert "jurisdiction" not in form.fields and "region_code" not in form.fields
    assert form.fields["enterprise"].widget.is_hidden  # one enterprise: preselected
    response = client.post(ADD, form_data(ent_a))
    assert response.status_code == 302, response.context["form"].errors
    rule = TrainingRule.objects.get(jurisdiction=Jurisdiction.ENTERPRISE, enterprise=ent_a)
    assert (rule.version, rule.min_hours, rule.effective_from) == (1, Decimal("80"), dt.date(2026, 12, 1))
    assert ModelLogEntry.objects.filter(action="anxun.rule_create", object_id=str(rule.pk), user=user).exists()


def test_looser_than_national_is_refused_on_the_field(dora, ent_a):
    # A is hazardous chemicals (high risk): the national floor is 72 hours.
    response = as_user(dora).post(ADD, form_data(ent_a, min_hours="48"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "min_hours" in errors
    assert "不得低于国家规定的 72" in errors["min_hours"][0]
    assert "令3 §13" in errors["min_hours"][0]
    assert "不得低于国家规定的 72" in response.content.decode()
    assert not TrainingRule.objects.filter(jurisdiction=Jurisdiction.ENTERPRISE).exists()


def test_dropping_a_national_exam_is_refused(dora, ent_a):
    data = form_data(ent_a)
    del data["exam_required"]
    response = as_user(dora).post(ADD, data)
    assert response.status_code == 200
    assert "国家规定须考核合格" in response.context["form"].errors["exam_required"][0]


def test_outsider_cannot_create_a_rule_for_another_enterprise(erin, ent_a):
    response = as_user(erin).post(ADD, form_data(ent_a))
    assert response.status_code == 200
    assert "enterprise" in response.context["form"].errors
    assert not TrainingRule.objects.filter(enterprise=ent_a).exists()


def test_second_rule_with_the_same_identity_is_refused(dora, ent_a, rule_a):
    response = as_user(dora).post(ADD, form_data(ent_a))
    assert response.status_code == 200
    assert "新建版本" in str(response.context["form"].non_field_errors())
    assert TrainingRule.objects.filter(enterprise=ent_a).count() == 1


def test_superuser_creates_a_province_rule(root):
    client = as_user(root)
    data = form_data(
        None, jurisdiction=Jurisdiction.PROVINCE, region_code="320000",
        code=RuleCode.RETURN_RETRAINING, min_hours="", months="6", exam_required="on", source="江苏省规定",
    )
    response = client.post(ADD, data)
    assert response.status_code == 302, response.context["form"].errors
    rule = TrainingRule.objects.get(jurisdiction=Jurisdiction.PROVINCE)
    assert rule.region_code == "320000" and rule.enterprise is None and rule.months == 6


def test_province_rule_without_region_is_a_form_error(root):
    data = form_data(None, jurisdiction=Jurisdiction.PROVINCE, region_code="",
                     code=RuleCode.RETURN_RETRAINING, min_hours="", months="6", source="江苏省规定")
    response = as_user(root).post(ADD, data)
    assert response.status_code == 200
    assert "地方规则必须指定行政区划代码" in response.context["form"].errors["region_code"][0]


# --- versions, never edits ----------------------------------------------------------


def test_rules_have_no_edit_or_delete(dora, rule_a):
    for view in ("edit", "delete"):
        with pytest.raises(NoReverseMatch):
            reverse(f"trainingrule:{view}", args=(rule_a.pk,))
        assert as_user(dora).post(f"{INDEX}{view}/{rule_a.pk}/", {}).status_code == 404
    assert TrainingRule.objects.filter(pk=rule_a.pk).exists()


def test_national_rule_is_read_only_for_enterprise_admins(dora, national_induction_high_risk):
    rule = national_induction_high_risk
    page = as_user(dora).get(inspect_url(rule)).content.decode()
    assert new_version_url(rule) not in page
    # Refused (Wagtail answers a refused permission with a redirect to the dashboard), not hidden.
    response = as_user(dora).get(new_version_url(rule))
    assert response.status_code == 302 and response["Location"] == HOME
    response = as_user(dora).post(new_version_url(rule), {"min_hours": "100", "effective_from": "2026-12-01",
                                                          "source": "x", "exam_required": "on"})
    assert response.status_code == 302 and response["Location"] == HOME
    same = TrainingRule.objects.filter(code=rule.code, jurisdiction=Jurisdiction.NATIONAL, risk_class="high_risk")
    assert same.count() == 1


def test_enterprise_admin_makes_a_new_version_and_the_old_one_closes(dora, rule_a):
    client = as_user(dora)
    page = client.get(inspect_url(rule_a)).content.decode()
    assert new_version_url(rule_a) in page
    form = client.get(new_version_url(rule_a)).context["form"]
    assert form.initial["min_hours"] == Decimal("80")
    response = client.post(
        new_version_url(rule_a),
        {"min_hours": "96", "exam_required": "on", "effective_from": "2026-12-01", "source": "制度修订 第5条"},
    )
    assert response.status_code == 302
    new = TrainingRule.objects.get(enterprise=rule_a.enterprise, version=2)
    rule_a.refresh_from_db()
    assert rule_a.min_hours == Decimal("80")  # the applied row is unchanged …
    assert rule_a.effective_to == dt.date(2026, 12, 1)  # … only closed
    assert (new.min_hours, new.effective_from, new.effective_to) == (Decimal("96"), dt.date(2026, 12, 1), None)
    assert response["Location"] == inspect_url(new)
    assert ModelLogEntry.objects.filter(action="anxun.rule_new_version", object_id=str(new.pk), user=dora).exists()
    page = client.get(inspect_url(new)).content.decode()
    assert "v1" in page and "v2" in page


def test_new_version_looser_than_national_is_a_field_error(dora, rule_a):
    response = as_user(dora).post(
        new_version_url(rule_a),
        {"min_hours": "40", "exam_required": "on", "effective_from": "2026-12-01", "source": "制度修订"},
    )
    assert response.status_code == 200
    assert "不得低于国家规定的 72" in response.context["form"].errors["min_hours"][0]
    assert TrainingRule.objects.filter(enterprise=rule_a.enterprise).count() == 1
    rule_a.refresh_from_db()
    assert rule_a.effective_to is None and rule_a.min_hours == Decimal("80")


def test_new_version_must_start_later(dora, rule_a):
    response = as_user(dora).post(
        new_version_url(rule_a),
        {"min_hours": "96", "exam_required": "on", "effective_from": "2025-01-01", "source": "制度修订"},
    )
    assert response.status_code == 200
    assert "必须晚于" in response.context["form"].errors["effective_from"][0]


def test_superuser_versions_a_national_rule(root, national_induction_high_risk):
    rule = national_induction_high_risk
    response = as_user(root).post(
        new_version_url(rule),
        {"min_hours": "80", "exam_required": "on", "effective_from": "2027-01-01", "source": "令3（修订）"},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.effective_to == dt.date(2027, 1, 1)
    new = TrainingRule.objects.get(
        code=rule.code, jurisdiction=Jurisdiction.NATIONAL, risk_class="high_risk", version=2
    )
    assert new.min_hours == Decimal("80")


# --- the service ---------------------------------------------------------------------


def test_service_refuses_outsiders_and_platform_rules(erin, dora, rule_a, national_induction_high_risk):
    with pytest.raises(PermissionDenied):
        rules_service.rule_new_version(rule=rule_a, changes={}, effective_from=dt.date(2027, 1, 1), actor=erin)
    with pytest.raises(PermissionDenied):
        rules_service.rule_new_version(
            rule=national_induction_high_risk, changes={}, effective_from=dt.date(2027, 1, 1), actor=dora
        )
    with pytest.raises(PermissionDenied):
        rules_service.rule_create(
            rule=TrainingRule(code=RuleCode.INDUCTION, jurisdiction=Jurisdiction.PROVINCE, region_code="320000",
                              min_hours=Decimal("80"), exam_required=True, effective_from=dt.date(2026, 1, 1),
                              source="x"),
            actor=dora,
        )


def test_service_versions_only_the_latest_and_only_parameters(rule_a):
    v2 = rules_service.rule_new_version(
        rule=rule_a, changes={"min_hours": Decimal("90")}, effective_from=dt.date(2026, 1, 1), actor=None
    )
    with pytest.raises(ValidationError, match="最新版本"):
        rules_service.rule_new_version(rule=rule_a, changes={}, effective_from=dt.date(2026, 6, 1), actor=None)
    with pytest.raises(ValidationError, match="不能修改"):
        rules_service.rule_new_version(
            rule=v2, changes={"enterprise_id": 1}, effective_from=dt.date(2026, 6, 1), actor=None
        )


def test_an_obligation_keeps_the_rule_version_it_was_made_under(ent_a, tree_a, rule_a):
    employee = EmployeeFactory(enterprise=ent_a, hire_date=dt.date(2025, 3, 1))
    hire(employee, tree_a[3])
    before = Obligation.objects.filter(employee=employee, kind="induction").first()
    assert before.rule_id == rule_a.pk
    rules_service.rule_new_version(
        rule=rule_a, changes={"min_hours": Decimal("96")}, effective_from=dt.date(2026, 1, 1), actor=None
    )
    before.refresh_from_db()
    assert before.rule_id == rule_a.pk
    assert TrainingRule.objects.get(pk=rule_a.pk).min_hours == Decimal("80")
