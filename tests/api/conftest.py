"""API fixtures on top of the suite's alice/bob/charlie set:

- ``token_a`` / ``token_a_ro`` / ``token_b``: write, read-only and outsider tokens;
- ``api``: an unauthenticated DRF client; ``as_token(key)`` and ``as_user(user)`` log one in;
- ``staff_a``: three employees of A, one of them on post A-OP (zhang).
"""

import datetime as dt
import functools

import pytest
from rest_framework.test import APIClient


from ..conftest import as_user as root_as_user
from ..factories import EmployeeFactory, PostAssignmentFactory, make_api_token, make_id_number

ZHANG_ID = make_id_number("110101", dt.date(1990, 3, 7), 803)  # 11010119900307803X


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_token():
    def _client(key):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return _client


@pytest.fixture
def as_user():
    """The root ``as_user`` with DRF's APIClient."""
    return functools.partial(root_as_user, client_class=APIClient)


@pytest.fixture
def token_a(ent_a):
    return make_api_token(ent_a, can_write=True, name="A 人事系统")


@pytest.fixture
def token_a_ro(ent_a):
    return make_api_token(ent_a, can_write=False, name="A 门禁（只读）")


@pytest.fixture
def token_b(ent_b):
    return make_api_token(ent_b, can_write=True, name="B 人事系统")


@pytest.fixture
def client_a(as_token, token_a):
    return as_token(token_a[1])


@pytest.fixture
def staff_a(ent_a, tree_a):
    """Three employees of A; 张伟 (A0001) works post A-OP since 2024-03-01."""
    _company, workshop, team, post = tree_a
    zhang = EmployeeFactory(
        enterprise=ent_a, employee_no="A0001", name="张伟", id_number=ZHANG_ID, phone="+8613912345678", org_unit=team
    )
    PostAssignmentFactory(employee=zhang, post=post, start_date=dt.date(2024, 3, 1))
    li = EmployeeFactory(
        enterprise=ent_a, employee_no="A0002", name="李娜", org_unit=workshop, employment_type="dispatched"
    )
    wang = EmployeeFactory(enterprise=ent_a, employee_no="A0003", name="王强", org_unit=team, status="on_leave")
    return zhang, li, wang


@pytest.fixture
def staff_b(ent_b, tree_b):
    """One employee of B whose 工号 collides with A's 张伟 (A0001)."""
    return EmployeeFactory(enterprise=ent_b, employee_no="A0001", name="赵六", org_unit=tree_b[2])


def json_post(client, url, data):
    return client.post(url, data, format="json")


def json_patch(client, url, data):
    return client.patch(url, data, format="json")
