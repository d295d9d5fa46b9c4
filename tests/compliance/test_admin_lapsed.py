"""在岗未达标: the page, the menu badge and the dashboard panel.

alice = HR of A, charlie = HR of B (the outsider), bob = plain employee of A,
regulator = regional regulator (no back office). People working a post
without clearance are listed for their own enterprise only, with the
reasons and the day the lapse began; the count costs a fixed number of
queries whatever the headcount.
"""

import datetime as dt
import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certificates.services import certificate_revoke
from lms.accounts.roles import Role
from lms.workforce import services
from lms.workforce.models import SpecialOperation
from tests.conftest import _privileged, as_user
from tests.factories import EmployeeFactory, PostAssignmentFactory, PostFactory, UserFactory, enable_totp

from .helpers import certificate, hire, induct

pytestmark = pytest.mark.django_db

LAPSED = reverse("lapsed:index")
HOME = reverse("wagtailadmin_home")


def untrained_on_post(enterprise, post, n, *, prefix):
    """``n`` people hired for ``post`` and placed on it (test data, no gate)
    without any training: each one lapsed."""
    people = []
    for i in range(n):
        employee = EmployeeFactory(enterprise=enterprise, name=f"{prefix}{i:02d}", employee_no=f"{prefix}{i:03d}")
        hire(employee, post)
        PostAssignmentFactory(employee=employee, post=post, start_date=dt.date(2024, 3, 1))
        people.append(employee)
    return people


@pytest.fixture
def lapsed_a(ent_a, tree_a):
    return untrained_on_post(ent_a, tree_a[3], 2, prefix="甲")


@pytest.fixture
def lapsed_b(ent_b, tree_b):
    return untrained_on_post(ent_b, tree_b[3], 1, prefix="乙")


@pytest.fixture
def cleared_a(ent_a, tree_a):
    """Hired, through induction, placed through the gate: not lapsed."""
    employee = EmployeeFactory(enterprise=ent_a, name="合规者", employee_no="OK001", hire_date=dt.date(2024, 3, 1))
    hire(employee, tree_a[3])
    induct(employee, tree_a[3], dt.date(2024, 3, 2), 24)
    services.assignment_create(employee=employee, post=tree_a[3], start_date=dt.date(2024, 3, 10), actor=None)
    return employee


def menu_item(html: str, name: str) -> dict | None:
    """The sidebar entry ``name`` (its props), from the page's sidebar JSON."""
    match = re.search(r'<script[^>]*id="wagtail-sidebar-props"[^>]*>(.*?)</script>', html, re.DOTALL)
    assert match, "no sidebar on the page"

    def walk(node):
        if isinstance(node, dict):
            args = node.get("_args")
            is_item = node.get("_type", "").startswith("wagtail.sidebar.") and args and isinstance(args[0], dict)
            if is_item and args[0].get("name") == name:
                return args[0]
            for value in node.values():
                if (found := walk(value)) is not None:
                    return found
        elif isinstance(node, list):
            for value in node:
                if (found := walk(value)) is not None:
                    return found
        return None

    return walk(json.loads(match.group(1)))


def badge(html: str, name: str = "compliance-lapsed") -> str | None:
    item = menu_item(html, name)
    assert item is not None, f"no menu entry {name}"
    return item["attrs"].get("data-anxun-badge")


# --- the page ------------------------------------------------------------------------


def test_page_lists_own_lapsed_people_with_reasons_and_since(alice, lapsed_a, lapsed_b, cleared_a, tree_a):
    response = as_user(alice).get(LAPSED)
    assert response.status_code == 200
    page = response.content.decode()
    for person in lapsed_a:
        assert person.name in page and person.employee_no in page
    assert tree_a[3].name in page
    assert "厂级（公司级）安全教育未完成" in page
    assert "处理：" in page
    # The lapse began when the person was hired onto the post untrained.
    assert "2024-03-01" in page
    assert cleared_a.name not in page
    assert lapsed_b[0].name not in page  # B's people never show to A
    rows = response.context["rows"]
    assert {row.employee.pk for row, _days in rows} == {p.pk for p in lapsed_a}
    assert all(row.enterprise.pk == tree_a[3].enterprise_id for row, _days in rows)


def test_outsider_sees_only_his_enterprise(charlie, lapsed_a, lapsed_b):
    response = as_user(charlie).get(LAPSED)
    assert response.status_code == 200
    page = response.content.decode()
    assert lapsed_b[0].name in page
    assert not any(p.name in page or p.employee_no in page for p in lapsed_a)


def test_no_lapsed_people_says_so(alice, cleared_a):
    page = as_user(alice).get(LAPSED).content.decode()
    assert "在岗人员均满足上岗条件" in page
    assert cleared_a.name not in page


def test_revoked_certificate_shows_on_the_page_from_the_revocation_day(alice, ent_a, tree_a):
    welder_post = PostFactory(
        enterprise=ent_a, org_unit=tree_a[2], code="A-WELD", name="焊工", special_operation=SpecialOperation.WELDING
    )
    welder = EmployeeFactory(enterprise=ent_a, name="焊工老王", employee_no="W001", hire_date=dt.date(2024, 3, 1))
    hire(welder, welder_post)
    induct(welder, welder_post, dt.date(2024, 3, 2), 24)
    cert = certificate(welder, SpecialOperation.WELDING, dt.date(2024, 1, 1), dt.date(2030, 1, 1))
    services.assignment_create(employee=welder, post=welder_post, start_date=dt.date(2024, 3, 10), actor=None)
    assert welder.name not in as_user(alice).get(LAPSED).content.decode()

    certificate_revoke(certificate=cert, reason="发证机关通报吊销", actor=alice)
    page = as_user(alice).get(LAPSED).content.decode()
    assert welder.name in page
    assert "已被吊销" in page
    assert timezone.localdate().isoformat() in page


def test_apprentice_missing_only_the_apprenticeship_is_not_listed(alice, ent_a, tree_a):
    mentor = EmployeeFactory(enterprise=ent_a, name="师傅", employee_no="M001", hire_date=dt.date(2015, 1, 5))
    post = PostFactory(enterprise=ent_a, org_unit=tree_a[2], code="A-APP", name="学徒岗", apprenticeship_months=120)
    apprentice = EmployeeFactory(enterprise=ent_a, name="学徒小李", employee_no="T001", hire_date=dt.date(2024, 3, 1))
    hire(apprentice, post)
    induct(apprentice, post, dt.date(2024, 3, 2), 24)
    PostAssignmentFactory(
        employee=apprentice, post=post, kind="apprentice", mentor=mentor, start_date=dt.date(2024, 3, 5)
    )
    assert apprentice.name not in as_user(alice).get(LAPSED).content.decode()


# --- who may look --------------------------------------------------------------------


def test_employee_and_regulator_are_refused(bob, regulator, lapsed_a):
    for user in (bob, regulator):
        response = as_user(user).get(LAPSED)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_back_office_user_without_a_role_sees_nothing(ent_a, lapsed_a):
    stranger = UserFactory(email="stranger@example.com")
    stranger.user_permissions.add(Permission.objects.get(codename="access_admin"))
    enable_totp(stranger)
    response = as_user(stranger).get(LAPSED)
    # Refused: Wagtail answers a refused permission with a redirect to the dashboard.
    assert response.status_code == 302 and response["Location"] == HOME
    page = as_user(stranger).get(HOME).content.decode()
    assert "在岗未达标" not in page and lapsed_a[0].name not in page


def test_trainer_sees_the_page_for_his_enterprise(ent_a, lapsed_a):
    trainer = _privileged(ent_a, Role.TRAINER, "trainer@example.com")
    response = as_user(trainer).get(LAPSED)
    assert response.status_code == 200
    assert lapsed_a[0].name in response.content.decode()


# --- badge and dashboard panel -------------------------------------------------------


def test_menu_badge_counts_people_not_posts(alice, ent_a, tree_a, lapsed_a):
    # One of them also on a second post: still one person.
    second = PostFactory(enterprise=ent_a, org_unit=tree_a[2], code="A-2ND", name="巡检工")
    PostAssignmentFactory(employee=lapsed_a[0], post=second, start_date=dt.date(2024, 4, 1))
    page = as_user(alice).get(reverse("employee:index")).content.decode()
    assert badge(page) == "2"
    assert badge(page, "compliance") == "2"  # the group shows it while folded
    assert menu_item(page, "compliance-lapsed")["label"] == "在岗未达标"


def test_menu_badge_absent_when_nobody_lapsed(alice, cleared_a):
    page = as_user(alice).get(reverse("employee:index")).content.decode()
    assert badge(page) is None  # the entry is there, without a badge
    assert badge(page, "compliance") is None


def test_dashboard_panel_shows_count_and_links_to_page(alice, lapsed_a, lapsed_b):
    page = as_user(alice).get(HOME).content.decode()
    assert "在岗未达标 2 人" in page
    assert f'href="{LAPSED}"' in page


def test_dashboard_panel_for_outsider_counts_his_own(charlie, lapsed_a, lapsed_b):
    page = as_user(charlie).get(HOME).content.decode()
    assert "在岗未达标 1 人" in page


def test_dashboard_panel_queries_do_not_grow_with_headcount(alice, ent_a, tree_a, django_assert_max_num_queries):
    untrained_on_post(ent_a, tree_a[3], 3, prefix="少")
    client = as_user(alice)
    client.get(HOME)  # warm-up: session, content types
    with CaptureQueriesContext(connection) as few:
        assert "在岗未达标 3 人" in client.get(HOME).content.decode()
    untrained_on_post(ent_a, tree_a[3], 17, prefix="多")
    with django_assert_max_num_queries(len(few)):
        assert "在岗未达标 20 人" in client.get(HOME).content.decode()


def test_page_queries_do_not_grow_with_headcount(alice, ent_a, tree_a, django_assert_max_num_queries):
    untrained_on_post(ent_a, tree_a[3], 3, prefix="少")
    client = as_user(alice)
    client.get(LAPSED)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(LAPSED).context["rows"]) == 3
    untrained_on_post(ent_a, tree_a[3], 17, prefix="多")
    with django_assert_max_num_queries(len(few)):
        assert len(client.get(LAPSED).context["rows"]) == 20


@pytest.mark.rule("penalty.named")
def test_the_page_names_the_item_of_article_97_each_lapse_falls_under(alice, lapsed_a, ent_a, tree_a):
    welder_post = PostFactory(
        enterprise=ent_a, org_unit=tree_a[2], code="A-WELD", name="焊工", special_operation=SpecialOperation.WELDING
    )
    welder = EmployeeFactory(enterprise=ent_a, name="焊工老李", employee_no="W002", hire_date=dt.date(2024, 3, 1))
    hire(welder, welder_post)
    induct(welder, welder_post, dt.date(2024, 3, 2), 24)
    cert = certificate(welder, SpecialOperation.WELDING, dt.date(2024, 1, 1), dt.date(2030, 1, 1))
    services.assignment_create(employee=welder, post=welder_post, start_date=dt.date(2024, 3, 10), actor=None)
    certificate_revoke(certificate=cert, reason="发证机关通报吊销", actor=alice)

    response = as_user(alice).get(LAPSED)
    rows = {row.employee.pk: row for row, _days in response.context["rows"]}
    assert [p.item for p in rows[lapsed_a[0].pk].penalties] == ["（三）"]  # untrained staff
    assert [p.item for p in rows[welder.pk].penalties] == ["（七）"]  # special operator without a certificate
    page = response.content.decode()
    assert "《安全生产法》第九十七条（三）" in page and "《安全生产法》第九十七条（七）" in page
    assert "处十万元以下的罚款" in page
    assert "未按照规定对从业人员、被派遣劳动者、实习学生进行安全生产教育和培训" in page
