"""培训义务 in the back office: read-only (obligations come from events and
cycles and are met by records, never ticked by hand), scoped per enterprise."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from lms.compliance.models import Obligation
from tests.conftest import as_user
from tests.factories import EmployeeFactory

from .helpers import hire, train

pytestmark = pytest.mark.django_db

INDEX = reverse("obligation:index")


def hired(enterprise, post, name, no, day=dt.date(2024, 3, 1)):
    employee = EmployeeFactory(enterprise=enterprise, name=name, employee_no=no, hire_date=day)
    hire(employee, post, day)
    return employee


@pytest.fixture
def emp_a(ent_a, tree_a):
    return hired(ent_a, tree_a[3], "张三", "A001")


@pytest.fixture
def emp_b(ent_b, tree_b):
    return hired(ent_b, tree_b[3], "李四", "B001")


def test_list_shows_own_obligations_only(alice, charlie, emp_a, emp_b):
    response = as_user(alice).get(INDEX)
    assert response.status_code == 200
    listed = list(response.context["object_list"])
    assert listed and {o.employee_id for o in listed} == {emp_a.pk}
    page = response.content.decode()
    assert "张三" in page and "李四" not in page
    page = as_user(charlie).get(INDEX).content.decode()
    assert "李四" in page and "张三" not in page


def test_filters_status_kind_and_overdue(alice, emp_a, tree_a):
    train(emp_a, "induction", 24, dt.date(2024, 3, 2), level="company")
    client = as_user(alice)
    met = client.get(INDEX, {"status": "met"}).context["object_list"]
    assert [o.level for o in met] == ["company"]
    overdue = client.get(INDEX, {"overdue": "true"}).context["object_list"]
    assert {o.level for o in overdue} == {"workshop", "team"}
    assert all(o.status == "open" for o in overdue)
    induction = client.get(INDEX, {"kind": "induction"}).context["object_list"]
    assert len(induction) == 3
    assert list(client.get(INDEX, {"kind": "refresher"}).context["object_list"]) == []


def test_search_by_name_and_employee_number(alice, emp_a, ent_a, tree_a):
    hired(ent_a, tree_a[3], "王五", "A002")
    client = as_user(alice)
    assert {o.employee_id for o in client.get(INDEX, {"q": "A001"}).context["object_list"]} == {emp_a.pk}
    assert {o.employee.name for o in client.get(INDEX, {"q": "王五"}).context["object_list"]} == {"王五"}


def test_inspect_shows_counted_records_and_outsider_gets_404(alice, charlie, emp_a):
    record = train(emp_a, "induction", 24, dt.date(2024, 3, 2), level="company")
    obligation = Obligation.objects.get(employee=emp_a, level="company")
    url = reverse("obligation:inspect", args=(obligation.pk,))
    response = as_user(alice).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert record.title in page
    assert "24 / 24" in page  # completed / required (72 hours over three levels, high risk)
    assert as_user(charlie).get(url).status_code == 404


@pytest.mark.rule("archive.retention")
def test_obligations_cannot_be_added_edited_or_deleted(alice, emp_a):
    obligation = Obligation.objects.filter(employee=emp_a).first()
    for view, args in (("add", ()), ("edit", (obligation.pk,)), ("delete", (obligation.pk,))):
        with pytest.raises(NoReverseMatch):
            reverse(f"obligation:{view}", args=args)
    client = as_user(alice)
    for path in (f"{INDEX}new/", f"{INDEX}edit/{obligation.pk}/", f"{INDEX}delete/{obligation.pk}/"):
        assert client.get(path).status_code == 404
        assert client.post(path, {"status": "met"}).status_code == 404
    obligation.refresh_from_db()
    assert obligation.status == "open"
    assert "新增" not in client.get(INDEX).content.decode().split("<main", 1)[-1].split("</header>", 1)[0]


def test_employee_and_regulator_are_refused(bob, regulator, emp_a):
    obligation = Obligation.objects.filter(employee=emp_a).first()
    for user in (bob, regulator):
        for url in (INDEX, reverse("obligation:inspect", args=(obligation.pk,))):
            response = as_user(user).get(url)
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_list_queries_do_not_grow_with_rows(alice, ent_a, tree_a, emp_a, django_assert_max_num_queries):
    client = as_user(alice)
    client.get(INDEX)
    with CaptureQueriesContext(connection) as few:
        client.get(INDEX)
    for n in range(10):
        hired(ent_a, tree_a[3], f"员工{n}", f"A1{n:02d}")
    with django_assert_max_num_queries(len(few)):
        response = client.get(INDEX)
    assert len(response.context["object_list"]) == 33
