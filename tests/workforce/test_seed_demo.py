"""``manage.py seed_demo``: the demo a person tries first.

Seeding ~200 employees through the services takes a few seconds, so the
command runs twice once for the whole module inside a transaction that is
rolled back at the end; each test reads what it left.
"""

from collections import Counter
from dataclasses import dataclass
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.utils import decrypt
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from stdnum.cn import ric, uscc

from certificates.models import Certificate
from lms.accounts.models import Membership, RegulatorMembership, User
from lms.accounts.roles import Role
from lms.archive.models import TrainingRecord
from lms.archive.services import archive_verify
from lms.compliance.selectors import clearance, lapsed_on_post
from lms.workforce import demo
from lms.workforce.validators import id_number_spans
from lms.workforce.models import (
    Employee,
    EmploymentEvent,
    EmploymentType,
    Enterprise,
    OrgUnit,
    Post,
    PostAssignment,
    RiskClass,
    SpecialOperation,
)

PRIVILEGED = {"admin@anxun.demo", "hr@hxchem.demo", "ea@hxchem.demo", "hr@dfmfg.demo", "regulator@suzhou.demo"}


def _snapshot() -> dict:
    from wagtail.models import Page

    return {
        "enterprises": Enterprise.objects.count(),
        "units": OrgUnit.objects.count(),
        "posts": Post.objects.count(),
        "employees": Employee.objects.count(),
        "assignments": PostAssignment.objects.count(),
        "open_assignments": PostAssignment.objects.filter(end_date__isnull=True).count(),
        "events": EmploymentEvent.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "regulators": RegulatorMembership.objects.count(),
        "authenticators": sorted(Authenticator.objects.values_list("pk", "user__email", "type")),
        "pages": Page.objects.count(),
        "records": TrainingRecord.objects.count(),
        "certificates": Certificate.objects.count(),
    }


@dataclass
class Seeded:
    first: str
    second: str
    after_first: dict
    after_second: dict


# The marker makes pytest-django create the test database (and wrap each
# test in its own rolled-back transaction, inside the module's one).
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    from django.db import connection

    with django_db_blocker.unblock(), transaction.atomic():
        assert "memory" in connection.settings_dict["NAME"] or "test" in connection.settings_dict["NAME"]
        first, second = StringIO(), StringIO()
        call_command("seed_demo", stdout=first)
        after_first = _snapshot()
        call_command("seed_demo", stdout=second)
        yield Seeded(first.getvalue(), second.getvalue(), after_first, _snapshot())
        transaction.set_rollback(True)


@pytest.fixture
def dbx(seeded):
    return seeded


def _counts_table(output: str) -> dict[str, tuple[int, int]]:
    """The first table of the summary: {数据: (本次新建, 已存在)}."""
    lines = output.split("===== 安训演示数据 =====", 1)[1].strip().splitlines()
    rows = {}
    for line in lines[2:]:
        if not line.strip():
            break
        name, created, existing = line.split()
        rows[name] = (int(created), int(existing))
    return rows


def test_second_run_changes_nothing(dbx):
    assert dbx.after_second == dbx.after_first
    first, second = _counts_table(dbx.first), _counts_table(dbx.second)
    assert first["员工"] == (dbx.after_first["employees"], 0)
    assert first["企业"] == (2, 0) and first["用户"] == (11, 0)
    # The second run finds everything there and creates nothing.
    assert set(second) >= {"企业", "组织单位", "岗位", "用户", "员工"}
    assert all(created == 0 for created, _existing in second.values())
    assert second["员工"] == (0, dbx.after_first["employees"])


def test_two_enterprises_with_valid_credit_codes_and_risk_class(dbx):
    hx = Enterprise.objects.get(code="hxchem")
    df = Enterprise.objects.get(code="dfmfg")
    assert (hx.name, hx.risk_class, hx.region_code) == ("华兴化工有限公司", RiskClass.HIGH_RISK, "320505")
    assert (df.name, df.risk_class, df.region_code) == ("东方机械制造有限公司", RiskClass.GENERAL, "330106")
    assert uscc.is_valid(hx.credit_code) and uscc.is_valid(df.credit_code)
    assert Enterprise.objects.count() == 2


def test_org_tree_is_company_workshops_teams(dbx):
    expected = {
        "hxchem": {"合成车间", "储运车间", "公用工程车间", "质检中心"},
        "dfmfg": {"机加工车间", "焊装车间", "装配车间"},
    }
    for code, workshops in expected.items():
        units = OrgUnit.objects.filter(enterprise__code=code)
        company = units.get(kind=OrgUnit.Kind.COMPANY)
        assert company.parent is None
        assert set(units.filter(kind=OrgUnit.Kind.WORKSHOP).values_list("name", flat=True)) == workshops
        for workshop in units.filter(kind=OrgUnit.Kind.WORKSHOP):
            assert workshop.parent == company
            assert 2 <= workshop.children.filter(kind=OrgUnit.Kind.TEAM).count() <= 3
    assert {"合成车间甲班", "合成车间乙班", "合成车间丙班"} <= set(OrgUnit.objects.values_list("name", flat=True))


def test_posts_carry_hazard_levels_and_special_operations(dbx):
    reactor = Post.objects.get(enterprise__code="hxchem", code="HX-HC-A-FYF")
    assert (reactor.name, reactor.hazard_level, reactor.apprenticeship_months) == ("反应釜操作工", "red", 2)
    names = set(Post.objects.values_list("name", flat=True))
    assert {"储罐区巡检工", "危化品装卸工", "维修电工", "焊工", "叉车司机", "数控车工", "装配工", "质检员"} <= names
    specials = {
        code: set(Post.objects.filter(enterprise__code=code).values_list("special_operation", flat=True))
        for code in ("hxchem", "dfmfg")
    }
    assert {SpecialOperation.ELECTRICIAN, SpecialOperation.WELDING, SpecialOperation.HAZARDOUS_CHEMICALS} <= specials[
        "hxchem"
    ]
    assert {SpecialOperation.ELECTRICIAN, SpecialOperation.WELDING} <= specials["dfmfg"]
    assert Post.objects.get(enterprise__code="hxchem", name="危化品装卸工").special_operation == "hazardous_chemicals"
    assert set(Post.objects.values_list("hazard_level", flat=True)) == {"red", "orange", "yellow", "blue"}


def test_about_two_hundred_employees_with_valid_identity_numbers(dbx):
    per = dict(Counter(Employee.objects.values_list("enterprise__code", flat=True)))
    assert 110 <= per["hxchem"] <= 130 and 70 <= per["dfmfg"] <= 90
    assert 180 <= sum(per.values()) <= 220
    employees = list(Employee.objects.all())
    assert all(ric.is_valid(e.id_number) for e in employees)
    assert all(len(e.phone) == 14 and e.phone.startswith("+861") for e in employees)
    # Chinese names of two or three characters, not "员工12".
    assert all(2 <= len(e.name) <= 3 and all("\u4e00" <= ch <= "\u9fff" for ch in e.name) for e in employees)
    types = Counter(e.employment_type for e in employees)
    assert types[EmploymentType.REGULAR] > 0.7 * len(employees)
    assert all(types[t] > 0 for t in (EmploymentType.DISPATCHED, EmploymentType.CONTRACTOR, EmploymentType.INTERN))
    for code in ("hxchem", "dfmfg"):
        staff = Employee.objects.filter(enterprise__code=code)
        assert staff.filter(is_principal=True).count() == 1
        assert staff.filter(is_safety_manager=True).exists()
        # Every hire went through the service, so every employee has a hire event.
        assert EmploymentEvent.objects.filter(employee__enterprise__code=code, type="hire").count() == staff.count()


def test_most_employees_work_a_post_and_a_few_events_happened(dbx):
    employees = Employee.objects.count()
    on_post = Employee.objects.filter(assignments__end_date__isnull=True).distinct().count()
    assert 0.8 * employees <= on_post < employees  # most, not all: recent hires are still in training
    for code in ("hxchem", "dfmfg"):
        transfer = EmploymentEvent.objects.get(employee__enterprise__code=code, type=EmploymentEvent.Type.TRANSFER)
        mover = transfer.employee
        assert mover.assignments.get(end_date__isnull=True).post == transfer.post
        assert mover.assignments.filter(end_date__isnull=False).exists()  # the old post ended
        leave = EmploymentEvent.objects.get(employee__enterprise__code=code, type=EmploymentEvent.Type.LEAVE)
        assert leave.employee.status == Employee.Status.ON_LEAVE
        assert not leave.employee.assignments.filter(end_date__isnull=True).exists()
    apprentices = PostAssignment.objects.filter(kind=PostAssignment.Kind.APPRENTICE, end_date__isnull=True)
    mentor = User.objects.get(email="mentor@hxchem.demo").employee_profiles.get()
    assert apprentices.count() == 2 and {a.mentor for a in apprentices} == {mentor}
    assert {a.post.code for a in apprentices} == {"HX-HC-A-FYF"}


def test_one_login_per_role(dbx):
    hx_roles = set(Membership.objects.filter(enterprise__code="hxchem").values_list("role", flat=True))
    assert hx_roles == set(Role.values)
    assert Membership.objects.get(user__email="hr@dfmfg.demo").role == Role.HR
    assert Membership.objects.get(user__email="ea@hxchem.demo").role == Role.ENTERPRISE_ADMIN
    admin = User.objects.get(email="admin@anxun.demo")
    assert admin.is_superuser and admin.is_staff
    regulator = RegulatorMembership.objects.get(user__email="regulator@suzhou.demo")
    assert regulator.region_code == "320500"
    for spec in demo.DEMO_USERS:
        assert User.objects.get(email=spec.email).check_password(demo.DEMO_PASSWORD)
    worker = User.objects.get(email="worker@hxchem.demo")
    assert worker.phone == "+8613900000001"
    record = worker.employee_profiles.get()
    assert record.enterprise.code == "hxchem" and record.phone == "+8613900000001"
    assert User.objects.get(email="principal@hxchem.demo").employee_profiles.get().is_principal
    assert User.objects.get(email="safety@hxchem.demo").employee_profiles.get().is_safety_manager


def test_privileged_users_have_totp_and_recovery_codes_printed_on_every_run(dbx):
    for email in PRIVILEGED:
        user = User.objects.get(email=email)
        assert user.requires_mfa()
        totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        codes = RecoveryCodes(
            Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
        ).get_unused_codes()
        assert len(codes) == 10
        secret = decrypt(totp.data["secret"])
        for output in (dbx.first, dbx.second):
            assert f"TOTP 密钥：{secret}" in output
            assert " ".join(codes) in output
    others = User.objects.exclude(email__in=PRIVILEGED)
    assert others.count() == 6
    assert not Authenticator.objects.filter(user__in=others).exists()
    assert not any(u.requires_mfa() for u in others)


def test_summary_names_password_and_urls(dbx):
    for output in (dbx.first, dbx.second):
        assert demo.DEMO_PASSWORD in output
        assert "http://127.0.0.1:8000/accounts/login/" in output
        assert "http://127.0.0.1:8000/admin/" in output
        assert "worker@hxchem.demo" in output and "13900000001" in output


def test_cms_pages_under_home(dbx):
    from content.models import HomePage, NoticeIndexPage, NoticePage, RegulationPage, StandardPage

    home = HomePage.objects.get()
    notices = NoticeIndexPage.objects.child_of(home).get()
    assert NoticePage.objects.child_of(notices).live().count() == 3
    assert NoticePage.objects.filter(title="关于开展2026年度主要负责人和安全管理人员安全生产知识考核的通知").exists()
    regulations = RegulationPage.objects.live()
    assert regulations.count() == 4
    law = regulations.get(slug="work-safety-law-2021")
    assert (law.level, law.doc_number, str(law.effective_date)) == (
        "law",
        "中华人民共和国主席令第八十八号",
        "2021-09-01",
    )
    assert all(r.issuing_authority and r.summary and len(r.body) >= 1 for r in regulations)
    assert StandardPage.objects.child_of(home).get(slug="about").title == "关于安训"


def test_worker_logs_in_by_phone_without_mfa(dbx, client):
    response = client.post(reverse("account_login"), {"login": "13900000001", "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email="worker@hxchem.demo").pk)


def test_wrong_password_is_refused(dbx, client):
    response = client.post(reverse("account_login"), {"login": "hr@hxchem.demo", "password": "wrong-password"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_hr_needs_second_factor_and_a_printed_recovery_code_works(dbx, client):
    response = client.post(reverse("account_login"), {"login": "hr@hxchem.demo", "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # not logged in on the password alone
    lines = dbx.first.splitlines()
    at = lines.index("  hr@hxchem.demo")
    code = lines[at + 2].split("恢复码：", 1)[1].split()[0]
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email="hr@hxchem.demo").pk)


def test_people_are_the_same_for_the_same_day():
    import datetime as dt

    day = dt.date(2026, 11, 23)
    first = demo.build_people(demo.HXCHEM, day)
    assert first == demo.build_people(demo.HXCHEM, day)
    assert len({p.id_number for p in first}) == len(first)
    assert [p.name for p in first] != [p.name for p in demo.build_people(demo.DFMFG, day)]


def test_nobody_in_the_demo_works_a_post_untrained(dbx):
    """Everyone was put on a post through the gate: the archive holds their
    induction, special operators hold a valid certificate, and the daily
    check finds nobody on a post without clearance."""
    for code in ("hxchem", "dfmfg"):
        assert lapsed_on_post(enterprise=Enterprise.objects.get(code=code)) == []
    checked, broken = archive_verify()
    assert checked == TrainingRecord.objects.count() > 100 and broken == []
    special = PostAssignment.objects.filter(end_date__isnull=True).exclude(post__special_operation="")
    assert special.count() > 20
    for assignment in special.select_related("employee", "post"):
        cert = Certificate.objects.filter(
            employee=assignment.employee, kind="special_operation", category=assignment.post.special_operation
        ).order_by("-valid_until")[0]
        assert cert.is_valid_on(timezone.localdate())
    worker = User.objects.get(email="worker@hxchem.demo").employee_profiles.get()
    assert clearance(worker, Post.objects.get(code="HX-HC-A-FYF")).cleared
    assert {r.level for r in worker.training_records.filter(kind="induction")} == {"company", "workshop", "team"}


def test_recent_hires_wait_for_their_training(dbx):
    """The people hired in the last weeks are not on a post yet: the gate
    says why (their induction is still open)."""
    waiting = Employee.objects.filter(status=Employee.Status.ACTIVE, assignments__isnull=True)
    assert waiting.count() >= 5
    for employee in waiting:
        hire = employee.events.get(type="hire")
        result = clearance(employee, hire.post)
        assert not result.cleared
        assert any("安全教育" in reason.message for reason in result.reasons)


def test_the_new_hire_studies_online_for_the_induction_they_owe(dbx):
    """newhire@hxchem.demo shows the learner's side: open three-level
    induction, not on a post, enrolled in the online courses that count."""
    from courses.models import Enrolment
    from lms.compliance.models import Obligation

    employee = Employee.objects.get(user__email="newhire@hxchem.demo")
    owed = set(Obligation.objects.open().filter(employee=employee).values_list("kind", "level"))
    assert {("induction", "company"), ("induction", "workshop"), ("induction", "team")} <= owed
    assert not employee.assignments.filter(end_date__isnull=True).exists()
    titles = set(Enrolment.objects.filter(employee=employee, status="active").values_list("course__title", flat=True))
    assert "车间级安全教育（通用）" in titles


def test_demo_certificate_numbers_carry_no_id_number(dbx):
    """个保法 §51: no certificate of the demo has a 身份证号 in its number."""
    numbers = list(Certificate.objects.select_related("employee"))
    assert len(numbers) > 20
    for cert in numbers:
        assert cert.employee.id_number not in cert.number.upper()
        assert id_number_spans(cert.number) == [] and not cert.number_masked


@pytest.mark.rule("placement.order", "cert.special_op_gate")
def test_every_page_reads_the_same_clearance_on_the_demo(dbx):
    """One truth on the demo data: the batch every report reads, each
    person's own clearance, the 在岗未达标 list and its badge, and an
    independent reading of the special operators' certificates agree."""
    from lms.compliance.selectors import clearance_batch, lapsed_people_count

    today = timezone.localdate()
    for enterprise in Enterprise.objects.all():
        batch = clearance_batch(enterprise=enterprise, on_date=today)
        assert batch, enterprise.code
        employees = {e.pk: e for e in Employee.objects.filter(enterprise=enterprise)}
        posts = {p.pk: p for p in Post.objects.filter(enterprise=enterprise)}
        for (employee_id, post_id), answer in batch.items():
            single = clearance(employees[employee_id], posts[post_id], today)
            assert (single.cleared, sorted(single.codes)) == (answer.cleared, sorted(answer.codes))
        lapsed = {(a.employee_id, a.post_id) for a, _c in lapsed_on_post(enterprise=enterprise, on_date=today)}
        apprentices = set(PostAssignment.objects.filter(employee__enterprise=enterprise, kind="apprentice")
                          .values_list("employee_id", "post_id"))
        refused = {pair for pair, answer in batch.items()
                   if not answer.cleared and not (pair in apprentices and answer.apprentice_only)}
        assert lapsed == refused
        hr = Membership.objects.filter(enterprise=enterprise, role=Role.HR).select_related("user").first()
        if hr is not None:
            assert lapsed_people_count(hr.user, today, fresh=True) == len({e for e, _p in lapsed})
        # Special operators, read from their certificates alone (令30): in force
        # and reviewed ⇔ clearance gives no certificate reason.
        for (employee_id, post_id), answer in batch.items():
            post = posts[post_id]
            if not post.special_operation:
                continue
            certs = Certificate.objects.filter(employee_id=employee_id, kind="special_operation",
                                               category=post.special_operation)
            good = any(c.is_valid_on(today) and not c.review_overdue_on(today) for c in certs)
            assert good == (not any(code.startswith("CERT_") for code in answer.codes)), (employee_id, answer.codes)
