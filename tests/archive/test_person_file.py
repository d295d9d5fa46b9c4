"""One person, one file (一人一档): the page and the Excel export, who may
see them, and that the page costs the same number of queries for 3 records
as for 30."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import ModelLogEntry

from lms.accounts.roles import Role
from lms.archive.exports import induction_card_load, person_file_load
from lms.archive.services import record_append
from lms.workforce import services as workforce
from lms.workforce.models import PostAssignment
from tests.compliance.helpers import at, certificate, hire, induct, train
from tests.conftest import login_with_mfa
from tests.factories import EmployeeFactory, MembershipFactory, PostFactory, UserFactory, enable_totp

pytestmark = pytest.mark.django_db

ID_NUMBER = "320505199001011234"


def _days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def build_mentor(enterprise, post):
    """A worker cleared for ``post`` and on it for more than three years."""
    start = timezone.localdate().replace(year=timezone.localdate().year - 5)
    mentor = EmployeeFactory(enterprise=enterprise, name="老周", hire_date=start)
    hire(mentor, post, start)
    induct(mentor, post, start, 24)
    train(mentor, "apprenticeship", 0, start + dt.timedelta(days=60), post=post)
    workforce.assignment_create(employee=mentor, post=post, start_date=start + dt.timedelta(days=61), actor=None)
    return mentor


def build_file(employee, post, *, extra_records=0, mentor=None):
    """Give ``employee`` a realistic file: hired onto ``post`` ~100 days ago,
    three-level induction (one level corrected), a refresher, ``extra_records``
    more records, an apprentice placement under ``mentor`` if given, and an
    electrician certificate."""
    hired = _days_ago(100)
    hire(employee, post, hired)
    day = hired + dt.timedelta(days=1)
    company = record_append(
        employee=employee, actor=None, kind="induction", level="company", title="厂级安全教育",
        content="企业安全生产情况；安全生产规章制度和劳动纪律；从业人员的权利和义务；事故案例",
        start_at=at(day, 8), end_at=at(day + dt.timedelta(days=2), 17), place="公司三楼培训室",
        hours=Decimal("24"), trainer="安全部 王老师", assessment_method="笔试", assessment_result="passed",
        score=Decimal("92"), source="offline",
    )
    wrong = train(employee, "induction", 20, day + dt.timedelta(days=3), level="workshop", post=post)
    record_append(
        employee=employee, actor=None, kind="induction", level="workshop", post=post,
        title="车间级安全教育（更正学时）", content="作业场所和工作岗位存在的危险因素；防范措施及事故应急措施",
        start_at=at(day + dt.timedelta(days=3), 8),
        end_at=at(day + dt.timedelta(days=5), 17), place="一车间会议室", hours=Decimal("24"), trainer="车间主任 李工",
        assessment_method="笔试", assessment_result="passed", score=Decimal("88"), source="offline", corrects=wrong,
    )
    record_append(
        employee=employee, actor=None, kind="induction", level="team", post=post, title="班组级安全教育",
        content="岗位安全操作规程；岗位之间工作衔接配合的安全注意事项；事故案例",
        start_at=at(day + dt.timedelta(days=6), 8),
        end_at=at(day + dt.timedelta(days=8), 17), place="甲班班组室", hours=Decimal("24"), trainer="班长 赵师傅",
        assessment_method="实操", assessment_result="passed", score=Decimal("85.5"), source="offline",
    )
    for i in range(extra_records):
        train(employee, "warning", 1, hired + dt.timedelta(days=20 + i % 60))
    if mentor is not None:
        workforce.assignment_create(employee=employee, post=post, start_date=day + dt.timedelta(days=9), actor=None,
                                    kind=PostAssignment.Kind.APPRENTICE, mentor=mentor)
    certificate(employee, "electrician", _days_ago(400), _days_ago(-1800), number=f"T-{employee.pk}")
    return company


@pytest.fixture
def post(tree_a):
    return tree_a[3]


def make_apprentice_post(enterprise, team):
    """A post learnt under a mentor for two months before working alone."""
    return PostFactory(enterprise=enterprise, org_unit=team, code="A-APP", name="反应釜操作工", apprenticeship_months=2)


def make_bob_file(bob, post):
    """Bob (employee of A) hired onto ``post``, inducted, apprenticed under 老周."""
    employee = bob.employee
    employee.id_number = ID_NUMBER
    employee.save()
    build_file(employee, post, mentor=build_mentor(employee.enterprise, post))
    return employee


@pytest.fixture
def apprentice_post(ent_a, tree_a):
    return make_apprentice_post(ent_a, tree_a[2])


@pytest.fixture
def bob_file(bob, apprentice_post):
    return make_bob_file(bob, apprentice_post)


def url(name, employee):
    return reverse(f"archive:{name}", args=[employee.pk])


ALL_URLS = ("person_file", "person_file_pdf", "person_file_xlsx", "induction_card_pdf")


# --- who may see what ---------------------------------------------------------


@pytest.mark.parametrize("name", ALL_URLS)
def test_anonymous_is_sent_to_login(client, bob_file, name):
    response = client.get(url(name, bob_file))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", ALL_URLS)
def test_hr_of_another_enterprise_gets_404(client, charlie, bob_file, name):
    login_with_mfa(client, charlie)
    assert client.get(url(name, bob_file)).status_code == 404


@pytest.mark.parametrize("name", ALL_URLS)
def test_employee_sees_own_file_but_not_a_colleagues(client, bob, bob_file, ent_a, name):
    colleague = EmployeeFactory(enterprise=ent_a, name="同事甲")
    client.force_login(bob)
    assert client.get(url(name, bob_file)).status_code == 200
    assert client.get(url(name, colleague)).status_code == 404


@pytest.mark.parametrize("role", [Role.SAFETY_MANAGER, Role.ENTERPRISE_ADMIN])
def test_safety_manager_and_admin_see_everyone_in_their_enterprise(client, ent_a, bob_file, role):
    user = UserFactory()
    MembershipFactory(user=user, enterprise=ent_a, role=role)
    if user.requires_mfa():
        enable_totp(user)
    login_with_mfa(client, user)
    response = client.get(url("person_file", bob_file))
    assert response.status_code == 200
    assert "鲍勃" in response.content.decode()


def test_regulator_read_is_logged(client, regulator, bob_file):
    login_with_mfa(client, regulator)
    assert client.get(url("person_file", bob_file)).status_code == 200
    entry = ModelLogEntry.objects.filter(action="anxun.regulator_read", user=regulator).get()
    assert entry.data["what"] == "person_file" and entry.object_id == str(bob_file.pk)


def test_hr_read_is_not_logged_as_regulator_read(alice_client, bob_file):
    assert alice_client.get(url("person_file", bob_file)).status_code == 200
    assert not ModelLogEntry.objects.filter(action="anxun.regulator_read").exists()


# --- what the page shows ----------------------------------------------------------


def test_page_shows_header_timeline_obligations_clearance_and_certificates(alice_client, bob_file):
    response = alice_client.get(url("person_file", bob_file))
    assert response.status_code == 200
    html = response.content.decode()
    # Header: masked ID number, never the full one.
    assert "320505********1234" in html and ID_NUMBER not in html
    assert bob_file.employee_no in html and "公司 / 一车间 / 甲班" in html
    assert "正式员工" in html and "反应釜操作工" in html and "师傅：老周" in html
    # Timeline with correction links and the assessment.
    assert "厂级安全教育" in html and "公司三楼培训室" in html and "安全部 王老师" in html
    assert "更正了记录 #2" in html and "已被记录 #3 更正" in html
    assert "92 分" in html and "线下培训" in html
    # Clearance for the current post: only the apprenticeship is still owed.
    assert "✗ 不准上岗" in html and "师带徒期未满" in html
    # Obligations with hours completed / required.
    assert "已完成 24 / 要求 24 学时" in html
    # Certificates.
    assert "特种作业操作证" in html and f"T-{bob_file.pk}" in html
    # Links to the three exports.
    for name in ("person_file_pdf", "person_file_xlsx", "induction_card_pdf"):
        assert url(name, bob_file) in html


def test_cleared_post_shows_tick(ent_b, tree_b, charlie, client):
    post = tree_b[3]
    employee = EmployeeFactory(enterprise=ent_b, name="合格工", hire_date=_days_ago(30))
    hire(employee, post, _days_ago(30))
    induct(employee, post, _days_ago(29), 8)
    workforce.assignment_create(employee=employee, post=post, start_date=_days_ago(28), actor=None)
    login_with_mfa(client, charlie)
    html = client.get(url("person_file", employee)).content.decode()
    assert "✓ 准予上岗" in html and "不准上岗" not in html


def test_overdue_obligation_is_highlighted(alice_client, ent_a, post):
    employee = EmployeeFactory(enterprise=ent_a, name="逾期人", hire_date=_days_ago(90))
    hire(employee, post, _days_ago(90))  # induction due 30 days after hire: long overdue
    html = alice_client.get(url("person_file", employee)).content.decode()
    assert 'class="overdue"' in html and "已逾期" in html
    assert "项逾期" in html


def test_empty_file_renders(alice_client, ent_a):
    employee = EmployeeFactory(enterprise=ent_a, name="新人")
    html = alice_client.get(url("person_file", employee)).content.decode()
    assert "暂无培训记录" in html and "暂无证书" in html and "暂无在岗岗位" in html


def test_page_queries_do_not_grow_with_records(alice_client, ent_a, post, django_assert_max_num_queries):
    small = EmployeeFactory(enterprise=ent_a, name="三条")
    big = EmployeeFactory(enterprise=ent_a, name="三十条")
    build_file(small, post, extra_records=0)
    build_file(big, post, extra_records=27)
    assert small.training_records.count() == 4 and big.training_records.count() == 31

    def count(employee):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert alice_client.get(url("person_file", employee)).status_code == 200
        return len(ctx.captured_queries)

    count(small)  # warm-up: first-request caches (site, roles) are not what is measured
    n_small = count(small)
    with django_assert_max_num_queries(n_small):
        assert alice_client.get(url("person_file", big)).status_code == 200
    assert n_small <= 25


def test_loader_queries_are_constant(ent_a, post, django_assert_max_num_queries):
    employee = EmployeeFactory(enterprise=ent_a)
    build_file(employee, post, extra_records=30)
    with django_assert_max_num_queries(8):
        pf = person_file_load(employee)
        [(r.corrects_seq, r.post) for r in pf.records]
        [o.post for o in pf.obligations]
    with django_assert_max_num_queries(4):
        card = induction_card_load(employee)
        [lv.content for lv in card.levels]


# --- the three-level card data --------------------------------------------------------


@pytest.mark.rule("levels.card")
def test_induction_card_takes_live_records_mentor_and_dates(bob_file, apprentice_post):
    card = induction_card_load(bob_file)
    assert card.post == apprentice_post and card.department == "一车间 / 甲班"
    assert card.company.hours == "24" and "劳动纪律" in card.company.content
    assert card.company.score == "92 分（合格）" and card.company.trainers == "安全部 王老师"
    # The corrected 20-hour workshop record no longer shows; its correction does.
    assert card.workshop.hours == "24" and card.workshop.trainers == "车间主任 李工"
    assert card.team.score == "85.5 分（合格）"
    assert card.mentor.name == "老周"
    assert card.assigned_on == _days_ago(100)
    assert card.on_post_since == _days_ago(100) + dt.timedelta(days=10)
    assert card.solo_assessment == ""  # not signed off yet: a blank box


def test_induction_card_of_new_person_is_blank(ent_a):
    card = induction_card_load(EmployeeFactory(enterprise=ent_a))
    assert card.post is None and not any(lv.filled for lv in card.levels)
    assert card.mentor is None and card.on_post_since is None


# --- Excel ---------------------------------------------------------------------------


def test_excel_export_has_three_sheets_with_chinese_headers(alice_client, bob_file):
    response = alice_client.get(url("person_file_xlsx", bob_file))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert {"培训记录", "培训义务", "证书"} <= set(wb.sheetnames)
    records = wb["培训记录"]
    headers = [c.value for c in records[1]]
    assert headers[:8] == ["序号", "开始时间", "结束时间", "培训类别", "教育层级", "培训名称", "培训内容", "学时"]
    rows = list(records.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 4
    assert rows[0][5] == "厂级安全教育" and rows[0][7] == 24 and rows[0][8] == "安全部 王老师"
    assert any("更正了记录 #2" in (row[15] or "") for row in rows)
    assert isinstance(rows[0][1], dt.datetime) and rows[0][1].hour == 8  # Beijing time
    obligations = wb["培训义务"]
    assert [c.value for c in obligations[1]][:3] == ["培训义务", "岗位", "状态"]
    assert obligations.max_row >= 4
    certs = wb["证书"]
    assert certs.cell(row=2, column=1).value == "特种作业操作证"
    info = dict(wb["基本信息"].iter_rows(values_only=True))
    assert info["身份证号"] == "320505********1234"
    all_text = "".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v)
    assert ID_NUMBER not in all_text


def test_excel_never_turns_text_into_formulas(alice_client, ent_a):
    employee = EmployeeFactory(enterprise=ent_a)
    record_append(
        employee=employee, actor=None, kind="other", title='=HYPERLINK("http://evil.example","x")', content="-1+1",
        start_at=at(_days_ago(3)), end_at=at(_days_ago(3), 10), place="@home", hours=Decimal("1"), trainer="+x",
        source="offline",
    )
    response = alice_client.get(url("person_file_xlsx", employee))
    ws = load_workbook(io.BytesIO(response.content))["培训记录"]
    assert ws.cell(row=2, column=6).data_type == "s"
    # Issue 16: quoted (OWASP), so Excel/WPS show it as the text it is, even after an edit.
    assert ws.cell(row=2, column=6).value == '\'=HYPERLINK("http://evil.example","x")'


def test_portal_and_admin_link_to_the_person_file(client, bob, alice):
    from tests.conftest import login_with_mfa

    client.force_login(bob)
    assert f"/archive/employees/{bob.employee.pk}/" in client.get("/portal/").content.decode()
    client.logout()
    login_with_mfa(client, alice)
    page = client.get(f"/admin/workforce/employee/inspect/{bob.employee.pk}/")
    assert page.status_code == 200
    assert f"/archive/employees/{bob.employee.pk}/induction-card.pdf" in page.content.decode()
