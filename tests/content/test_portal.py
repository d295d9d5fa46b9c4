"""/portal/ (我的培训): login required; shows only the user's own profiles."""

import datetime as dt

import pytest
from django.utils import timezone

from lms.workforce.models import PostAssignment
from tests.factories import EmployeeFactory, PostFactory, UserFactory


@pytest.fixture
def bob_on_post(bob, tree_a):
    _company, _workshop, team, post = tree_a
    PostAssignment.objects.create(employee=bob.employee, post=post, start_date=dt.date(2024, 4, 1))
    old_post = PostFactory(enterprise=bob.employee.enterprise, org_unit=team, name="已调离的叉车司机")
    PostAssignment.objects.create(
        employee=bob.employee, post=old_post, start_date=dt.date(2023, 1, 1), end_date=dt.date(2023, 12, 31)
    )
    return bob


@pytest.fixture
def others(ent_a, ent_b, tree_a, tree_b):
    colleague = EmployeeFactory(
        enterprise=ent_a, name="同事张三", employee_no="A-ZS01", user=UserFactory(), org_unit=tree_a[2]
    )
    outsider = EmployeeFactory(
        enterprise=ent_b, name="外企李四", employee_no="B-LS01", user=UserFactory(), org_unit=tree_b[2]
    )
    return colleague, outsider


def test_portal_requires_login(client, home):
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/portal/"


def test_portal_shows_bobs_own_profile(client, home, bob_on_post, others, django_assert_max_num_queries):
    employee = bob_on_post.employee
    client.force_login(bob_on_post)

    # 21: the year's duties before the first scan (compliance.selectors.year_cycle_obligations) add one read.
    with django_assert_max_num_queries(21):
        response = client.get("/portal/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "我的培训" in html
    assert "华兴化工有限公司" in html
    assert employee.employee_no in html
    assert "公司 / 一车间 / 甲班" in html  # 所在单位, company → workshop → team
    assert "操作工" in html  # current post
    assert "已调离的叉车司机" not in html  # ended assignment is not current
    assert employee.id_number_masked in html
    assert employee.id_number not in html  # never the full 身份证号
    assert "待完成的培训" in html and "我的课程" in html and "我的培训记录" in html
    assert "进入管理后台" not in html  # a plain employee has no back office


def test_portal_does_not_show_other_peoples_profiles(client, home, bob_on_post, others):
    colleague, outsider = others
    client.force_login(bob_on_post)
    html = client.get("/portal/").content.decode()
    for person in (colleague, outsider):
        assert person.name not in html
        assert person.employee_no not in html
    assert "东方机械制造有限公司" not in html


def test_hr_sees_only_her_own_profiles_not_the_enterprise(alice_client, home, bob_on_post, others):
    """alice may view every employee of A (scope), but the portal is about her."""
    html = alice_client.get("/portal/").content.decode()
    assert bob_on_post.employee.name not in html
    assert others[0].name not in html
    assert "您的账号尚未关联员工档案" in html
    assert "进入管理后台" in html and 'href="/admin/"' in html


def test_portal_lists_profiles_in_several_enterprises(client, home, bob, ent_b, tree_b):
    EmployeeFactory(enterprise=ent_b, user=bob, name="鲍勃", employee_no="B-BOB", org_unit=tree_b[2])
    client.force_login(bob)
    html = client.get("/portal/").content.decode()
    assert "华兴化工有限公司" in html and "东方机械制造有限公司" in html
    assert "B-BOB" in html and bob.employee.employee_no in html


def test_portal_query_count_does_not_grow_with_posts(client, home, bob, tree_a, django_assert_max_num_queries):
    client.force_login(bob)
    client.get("/portal/")
    with django_assert_max_num_queries(20) as first:
        client.get("/portal/")
    for i in range(5):
        post = PostFactory(enterprise=bob.employee.enterprise, org_unit=tree_a[2], name=f"岗位{i}")
        PostAssignment.objects.create(employee=bob.employee, post=post, start_date=timezone.localdate())
    with django_assert_max_num_queries(len(first.captured_queries)):
        html = client.get("/portal/").content.decode()
    assert all(f"岗位{i}" in html for i in range(5))
