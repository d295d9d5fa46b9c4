"""The workforce back office (Wagtail viewsets), per enterprise.

alice = HR of A, charlie = HR of B (the outsider), bob = plain employee of A,
dora = enterprise admin of A, regulator = regional regulator (no back office).
Every view is tried by the owner (works) and the outsider (404, rows absent).
"""

import datetime as dt
import json
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from lms.accounts.roles import Role
from lms.workforce import services
from lms.workforce.models import Employee, EmploymentEvent, Enterprise, OrgUnit, Post, PostAssignment
from lms.workforce.validators import mask_id_number
from tests.compliance.helpers import hire, induct
from tests.conftest import _privileged, login_with_mfa
from tests.factories import EmployeeFactory, UserFactory, make_credit_code, make_id_number

pytestmark = pytest.mark.django_db


# --- fixtures ------------------------------------------------------------------------


@pytest.fixture
def dora(ent_a):
    """Enterprise admin of A."""
    return _privileged(ent_a, Role.ENTERPRISE_ADMIN, "dora@example.com")


@pytest.fixture
def root(db):
    user = UserFactory(email="root@example.com", is_superuser=True, is_staff=True)
    from tests.factories import enable_totp

    enable_totp(user)
    return user


@pytest.fixture
def emp_a(ent_a, tree_a):
    """张三 (A001): hired for A's 操作工 post and through three-level induction,
    so the clearance gate lets him onto it."""
    employee = EmployeeFactory(
        enterprise=ent_a, org_unit=tree_a[2], name="张三", employee_no="A001", phone="+8613900139000"
    )
    hire(employee, tree_a[3])
    induct(employee, tree_a[3], employee.hire_date, 24)
    return employee


def _place(employee, post, start):
    """Test data only: a current assignment without going through the gate."""
    return PostAssignment.objects.create(employee=employee, post=post, start_date=start)


@pytest.fixture
def emp_b(ent_b, tree_b):
    return EmployeeFactory(enterprise=ent_b, org_unit=tree_b[2], name="李四", employee_no="B001")


@pytest.fixture
def event_a(emp_a, alice):
    return services.event_record(
        employee=emp_a, type=EmploymentEvent.Type.VIOLATION, date=dt.date(2025, 5, 1), note="未戴安全帽", actor=alice
    )


@pytest.fixture
def assignment_a(emp_a, tree_a, alice):
    return services.assignment_create(employee=emp_a, post=tree_a[3], start_date=dt.date(2025, 1, 2), actor=alice)


@pytest.fixture
def objects_a(ent_a, tree_a, emp_a, event_a, assignment_a):
    return {
        "enterprise": ent_a,
        "orgunit": tree_a[1],
        "post": tree_a[3],
        "employee": emp_a,
        "employmentevent": event_a,
        "postassignment": assignment_a,
    }


@pytest.fixture
def charlie_client(client, charlie):
    return login_with_mfa(client, charlie)


def url(namespace, view, obj=None):
    return reverse(f"{namespace}:{view}", args=(obj.pk,) if obj is not None else ())


NAMESPACES = ["enterprise", "orgunit", "post", "employee", "employmentevent", "postassignment"]


# --- who gets in -----------------------------------------------------------------------


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_employee_without_back_office_role_is_sent_away(as_user, bob, objects_a, namespace):
    client = as_user(bob)
    for target in (url(namespace, "index"), url(namespace, "inspect", objects_a[namespace])):
        response = client.get(target)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_regulator_is_refused_the_back_office(as_user, regulator, objects_a, namespace):
    client = as_user(regulator)
    for target in (url(namespace, "index"), url(namespace, "inspect", objects_a[namespace])):
        response = client.get(target)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_anonymous_is_sent_to_login(client, objects_a):
    response = client.get(url("employee", "index"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- listings --------------------------------------------------------------------------

LABELS = {
    "enterprise": lambda o: o.name,
    "orgunit": lambda o: o.code,
    "post": lambda o: o.code,
    "employee": lambda o: o.employee_no,
    "employmentevent": lambda o: o.note,
    "postassignment": lambda o: o.employee.name,
}


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_owner_sees_own_rows_and_outsider_never_does(as_user, alice, charlie, objects_a, namespace):
    label = LABELS[namespace](objects_a[namespace])
    if namespace == "employmentevent":
        # The index lists the event by its text; the note is on the inspect page.
        label = str(objects_a[namespace].employee)
    response = as_user(alice).get(url(namespace, "index"))
    assert response.status_code == 200
    assert label in response.content.decode()

    response = as_user(charlie).get(url(namespace, "index"))
    assert response.status_code == 200
    assert label not in response.content.decode()
    assert objects_a[namespace].pk not in [o.pk for o in response.context["object_list"]]


def test_outsider_listing_shows_only_his_enterprise(as_user, charlie, emp_a, emp_b):
    response = as_user(charlie).get(url("employee", "index"))
    assert [e.pk for e in response.context["object_list"]] == [emp_b.pk]


def test_outsider_search_does_not_find_other_enterprise(as_user, charlie, emp_a, emp_b):
    for view in ("index", "index_results"):  # the page and its live-search fragment
        response = as_user(charlie).get(url("employee", view), {"q": "张三"})
        assert response.status_code == 200
        assert list(response.context["object_list"]) == []
        assert emp_a.employee_no not in response.content.decode()


@pytest.mark.parametrize(
    "namespace,data",
    [
        (
            "orgunit",
            lambda ent, t, e: {
                "enterprise": ent.pk,
                "parent": t[1].pk,
                "kind": "team",
                "code": "X-1",
                "name": "渗透班",
            },
        ),
        ("post", lambda ent, t, e: {"enterprise": ent.pk, "org_unit": t[2].pk, "code": "X-1", "name": "渗透岗"}),
        (
            "postassignment",
            lambda ent, t, e: {"employee": e.pk, "post": t[3].pk, "kind": "regular", "start_date": "2025-02-01"},
        ),
    ],
)
def test_outsider_cannot_create_in_other_enterprise(as_user, charlie, ent_a, tree_a, emp_a, namespace, data):
    model = {"orgunit": OrgUnit, "post": Post, "postassignment": PostAssignment}[namespace]
    before = model.objects.count()
    response = as_user(charlie).post(url(namespace, "add"), data(ent_a, tree_a, emp_a) | {"apprenticeship_months": 0})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert model.objects.count() == before


# --- single objects ---------------------------------------------------------------------

# (namespace, view) pairs that exist, and who of A's people may use them.
HR_VIEWS = [
    ("enterprise", "inspect"),
    ("orgunit", "edit"),
    ("orgunit", "inspect"),
    ("orgunit", "history"),
    ("post", "edit"),
    ("post", "inspect"),
    ("post", "history"),
    ("employee", "edit"),
    ("employee", "inspect"),
    ("employee", "history"),
    ("orgunit", "usage"),
    ("post", "usage"),
    ("employee", "usage"),
    ("employmentevent", "inspect"),
    ("employmentevent", "history"),
    ("postassignment", "inspect"),
    ("postassignment", "history"),
    ("postassignment", "end"),
]
ADMIN_ONLY_VIEWS = [
    ("enterprise", "edit"),
    ("enterprise", "history"),
    ("orgunit", "delete"),
    ("post", "delete"),
]


@pytest.mark.parametrize("namespace,view", HR_VIEWS)
def test_hr_uses_own_objects_and_outsider_gets_404(as_user, alice, charlie, objects_a, namespace, view):
    target = url(namespace, view, objects_a[namespace])
    assert as_user(alice).get(target).status_code == 200
    response = as_user(charlie).get(target)
    assert response.status_code == 404


@pytest.mark.parametrize("namespace,view", ADMIN_ONLY_VIEWS)
def test_enterprise_admin_views(as_user, alice, dora, charlie, objects_a, namespace, view):
    target = url(namespace, view, objects_a[namespace])
    assert as_user(dora).get(target).status_code == 200
    # HR may not: Wagtail answers a refused permission with a redirect to the dashboard.
    response = as_user(alice).get(target)
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    # The outsider (even as an admin of B) gets a 404.
    b_admin = _privileged(charlie.memberships.first().enterprise, Role.ENTERPRISE_ADMIN, "erin@example.com")
    assert as_user(b_admin).get(target).status_code == 404


WRITE_VIEWS = [(ns, view) for ns, view in [*HR_VIEWS, *ADMIN_ONLY_VIEWS] if view not in ("inspect", "history")]


@pytest.mark.parametrize("namespace,view", WRITE_VIEWS)
def test_outsider_cannot_post_to_other_enterprise_objects(as_user, charlie, objects_a, namespace, view):
    before = {f.attname: getattr(objects_a[namespace], f.attname) for f in objects_a[namespace]._meta.concrete_fields}
    target = url(namespace, view, objects_a[namespace])
    response = as_user(charlie).post(target, {"name": "x", "end_date": "2025-06-01"})
    assert response.status_code in (302, 404)
    if response.status_code == 302:  # refused by permission before the lookup
        assert response["Location"] == reverse("wagtailadmin_home")
    obj = type(objects_a[namespace]).objects.get(pk=objects_a[namespace].pk)  # still there
    assert {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields} == before


def test_events_and_assignments_have_no_edit_or_delete(as_user, alice, objects_a):
    for namespace in ("employmentevent", "postassignment"):
        for view in ("edit", "delete"):
            with pytest.raises(NoReverseMatch):
                url(namespace, view, objects_a[namespace])
        obj = objects_a[namespace]
        prefix = url(namespace, "index")
        for path in (f"{prefix}edit/{obj.pk}/", f"{prefix}delete/{obj.pk}/"):
            assert as_user(alice).get(path).status_code == 404
            assert as_user(alice).post(path, {}).status_code == 404
    assert EmploymentEvent.objects.filter(pk=objects_a["employmentevent"].pk).exists()


def test_employee_delete_is_not_offered(as_user, dora, emp_a):
    with pytest.raises(NoReverseMatch):
        url("employee", "delete", emp_a)
    assert as_user(dora).post(f"{url('employee', 'index')}delete/{emp_a.pk}/").status_code == 404
    page = as_user(dora).get(url("employee", "edit", emp_a)).content.decode()
    assert "/delete/" not in page
    assert Employee.objects.filter(pk=emp_a.pk).exists()


# --- employees ------------------------------------------------------------------------


def _employee_form(ent, unit, **overrides):
    data = {
        "enterprise": ent.pk,
        "employee_no": "A100",
        "name": "王五",
        "id_number": make_id_number(seq=77, birth=dt.date(1990, 6, 1)),
        "phone": "13700137000",
        "employment_type": "regular",
        "org_unit": unit.pk,
        "hire_date": "2025-03-01",
    }
    data.update(overrides)
    return data


def test_creating_employee_records_hire_event(as_user, alice, ent_a, tree_a):
    data = _employee_form(ent_a, tree_a[2], post=tree_a[3].pk)
    response = as_user(alice).post(url("employee", "add"), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    employee = Employee.objects.get(enterprise=ent_a, employee_no="A100")
    hire = employee.events.get()
    assert hire.type == EmploymentEvent.Type.HIRE
    assert hire.date == dt.date(2025, 3, 1)
    assert hire.post == tree_a[3]
    assert hire.source == EmploymentEvent.Source.ADMIN
    assert hire.recorded_by == alice


def test_enterprise_field_is_hidden_and_preselected_for_single_enterprise(as_user, alice, ent_a, tree_a):
    response = as_user(alice).get(url("employee", "add"))
    field = response.context["form"].fields["enterprise"]
    assert field.widget.is_hidden
    assert field.initial == ent_a.pk


def test_bad_id_number_is_a_field_error(as_user, alice, ent_a, tree_a):
    good = make_id_number(seq=78, birth=dt.date(1990, 6, 1))
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = as_user(alice).post(url("employee", "add"), _employee_form(ent_a, tree_a[2], id_number=bad))
    assert response.status_code == 200
    assert "身份证号校验位错误" in response.context["form"].errors["id_number"][0]
    assert not Employee.objects.filter(employee_no="A100").exists()


def test_service_refusal_becomes_form_error(as_user, alice, ent_a, tree_a, emp_a):
    # Same 工号 in the same enterprise: refused by a constraint, shown on the form.
    response = as_user(alice).post(
        url("employee", "add"), _employee_form(ent_a, tree_a[2], employee_no=emp_a.employee_no)
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Employee.objects.filter(enterprise=ent_a).count() == 1


def test_outsider_cannot_create_employee_in_other_enterprise(as_user, charlie, ent_a, tree_a):
    response = as_user(charlie).post(url("employee", "add"), _employee_form(ent_a, tree_a[2]))
    assert response.status_code == 200
    assert "enterprise" in response.context["form"].errors
    assert not Employee.objects.filter(enterprise=ent_a).exists()


def test_edit_form_masks_id_number_and_blank_keeps_it(as_user, alice, emp_a, tree_a):
    client = as_user(alice)
    page = client.get(url("employee", "edit", emp_a)).content.decode()
    assert emp_a.id_number not in page
    assert mask_id_number(emp_a.id_number) in page
    response = client.post(
        url("employee", "edit", emp_a),
        {
            "name": "张三丰",
            "id_number": "",
            "phone": emp_a.phone,
            "employment_type": "dispatched",
            "org_unit": tree_a[1].pk,
            "hire_date": emp_a.hire_date.isoformat(),
        },
    )
    assert response.status_code == 302
    stored = emp_a.id_number
    emp_a.refresh_from_db()
    assert emp_a.name == "张三丰"
    assert emp_a.employment_type == "dispatched"
    assert emp_a.id_number == stored


def test_edit_with_new_id_number_replaces_it(as_user, alice, emp_a):
    new = make_id_number(seq=91, birth=dt.date(1980, 2, 2))
    data = {"name": emp_a.name, "id_number": new, "employment_type": "regular", "hire_date": "2024-03-01"}
    assert as_user(alice).post(url("employee", "edit", emp_a), data).status_code == 302
    emp_a.refresh_from_db()
    assert emp_a.id_number == new


def test_inspect_and_listing_show_masked_id_only(as_user, alice, emp_a, assignment_a):
    client = as_user(alice)
    for target in (url("employee", "index"), url("employee", "inspect", emp_a)):
        page = client.get(target).content.decode()
        assert emp_a.id_number not in page
        assert mask_id_number(emp_a.id_number) in page
        assert assignment_a.post.name in page  # current post


def test_export_has_masked_id_numbers(as_user, alice, emp_a, emp_b, assignment_a):
    response = as_user(alice).get(url("employee", "index"), {"export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "工号" in body and "身份证号" in body
    assert mask_id_number(emp_a.id_number) in body
    assert emp_a.id_number not in body
    assert emp_b.employee_no not in body
    assert assignment_a.post.name in body
    xlsx = as_user(alice).get(url("employee", "index"), {"export": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_search_by_phone_number_and_name(as_user, alice, emp_a):
    client = as_user(alice)
    other = EmployeeFactory(enterprise=emp_a.enterprise, name="赵六")
    for query in ("13900139000", "张三", "A001"):
        found = list(client.get(url("employee", "index"), {"q": query}).context["object_list"])
        assert found == [emp_a], query
    assert other not in client.get(url("employee", "index"), {"q": "张三"}).context["object_list"]


def test_filters_narrow_and_offer_only_own_units(as_user, alice, tree_a, tree_b, emp_a):
    client = as_user(alice)
    other = EmployeeFactory(enterprise=emp_a.enterprise, org_unit=tree_a[0], employment_type="contractor")
    response = client.get(url("employee", "index"), {"org_unit": tree_a[2].pk})
    assert list(response.context["object_list"]) == [emp_a]
    response = client.get(url("employee", "index"), {"employment_type": "contractor"})
    assert list(response.context["object_list"]) == [other]
    form = response.context["filters"].form
    units = set(form.fields["org_unit"].queryset.values_list("pk", flat=True))
    posts = set(form.fields["post"].queryset.values_list("pk", flat=True))
    assert units == {u.pk for u in tree_a[:3]}
    assert posts == {tree_a[3].pk}
    # A unit of B in the URL is not a valid choice; nothing of B appears either way.
    response = client.get(url("employee", "index"), {"org_unit": tree_b[2].pk})
    assert all(e.enterprise_id == emp_a.enterprise_id for e in response.context["object_list"])


@pytest.mark.parametrize("namespace,field", [("post", "org_unit"), ("orgunit", "parent"), ("postassignment", "post")])
def test_other_filters_offer_only_own_choices(as_user, alice, tree_a, tree_b, namespace, field):
    response = as_user(alice).get(url(namespace, "index"))
    queryset = response.context["filters"].form.fields[field].queryset
    assert not queryset.filter(enterprise=tree_b[0].enterprise).exists()
    assert queryset.exists()


def test_form_choices_are_limited_to_own_enterprise(as_user, alice, tree_a, tree_b, emp_a, emp_b):
    client = as_user(alice)
    for namespace, fields in {
        "employee": ["enterprise", "org_unit"],
        "orgunit": ["enterprise", "parent"],
        "post": ["enterprise", "org_unit"],
        "employmentevent": ["employee", "post"],
        "postassignment": ["employee", "post", "mentor"],
    }.items():
        form = client.get(url(namespace, "add")).context["form"]
        for name in fields:
            queryset = form.fields[name].queryset
            model = queryset.model
            foreign = model.objects.filter(pk__in=[tree_b[0].enterprise_id]) if model is Enterprise else None
            if model is Enterprise:
                assert list(queryset) == [tree_a[0].enterprise], (namespace, name)
                assert not queryset.filter(pk__in=foreign).exists()
            elif model is Employee:
                assert emp_b not in queryset and emp_a in queryset, (namespace, name)
            else:
                assert not queryset.filter(enterprise=tree_b[0].enterprise).exists(), (namespace, name)


@pytest.mark.parametrize("rows", [5, 30])
def test_employee_index_query_count_does_not_grow_with_rows(
    as_user, alice, ent_a, tree_a, rows, django_assert_max_num_queries
):
    for _i in range(rows):
        employee = EmployeeFactory(enterprise=ent_a, org_unit=tree_a[2])
        _place(employee, tree_a[3], dt.date(2025, 1, 1))
    client = as_user(alice)
    client.get(url("employee", "index"))  # warm caches (content types, site)
    with django_assert_max_num_queries(25):
        response = client.get(url("employee", "index"))
    assert len(response.context["object_list"]) == rows


def test_index_queries_are_the_same_for_5_and_30_rows(as_user, alice, ent_a, tree_a):
    client = as_user(alice)

    def count_queries(namespace):
        client.get(url(namespace, "index"))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(namespace, "index")).status_code == 200
        return len(ctx)

    def grow(n):
        for _i in range(n):
            employee = EmployeeFactory(enterprise=ent_a, org_unit=tree_a[2])
            _place(employee, tree_a[3], dt.date(2025, 1, 1))
            services.event_record(employee=employee, type="violation", date=dt.date(2025, 2, 1), actor=None)

    grow(5)
    small = {ns: count_queries(ns) for ns in NAMESPACES}
    grow(25)
    large = {ns: count_queries(ns) for ns in NAMESPACES}
    assert small == large


# --- org units, posts, enterprise --------------------------------------------------------


def test_orgunit_create_and_edit_through_service(as_user, alice, ent_a, tree_a):
    client = as_user(alice)
    response = client.post(
        url("orgunit", "add"),
        {
            "enterprise": ent_a.pk,
            "parent": tree_a[1].pk,
            "kind": "team",
            "code": "A-T2",
            "name": "乙班",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    unit = OrgUnit.objects.get(enterprise=ent_a, code="A-T2")
    assert unit.parent == tree_a[1]
    # A wrong level is refused with a field error, not a 500.
    response = client.post(
        url("orgunit", "edit", unit), {"parent": tree_a[0].pk, "kind": "team", "code": "A-T2", "name": "乙班"}
    )
    assert response.status_code == 200
    assert "层级不正确" in str(response.context["form"].errors["parent"])


def test_orgunit_in_use_cannot_be_deleted(as_user, dora, tree_a, emp_a):
    client = as_user(dora)
    # Wagtail's reference index knows the unit is used: no delete button.
    confirm = client.get(url("orgunit", "delete", tree_a[2]))
    assert confirm.context["is_protected"]
    assert client.post(url("orgunit", "delete", tree_a[2])).status_code == 302
    assert OrgUnit.objects.filter(pk=tree_a[2].pk).exists()
    spare = OrgUnit.objects.create(
        enterprise=tree_a[0].enterprise, parent=tree_a[1], kind="team", code="A-T9", name="空班"
    )
    assert client.post(url("orgunit", "delete", spare)).status_code == 302
    assert not OrgUnit.objects.filter(pk=spare.pk).exists()


def test_post_create_and_history(as_user, alice, ent_a, tree_a):
    client = as_user(alice)
    response = client.post(
        url("post", "add"),
        {
            "enterprise": ent_a.pk,
            "org_unit": tree_a[2].pk,
            "code": "A-WELD",
            "name": "焊工",
            "hazard_level": "orange",
            "special_operation": "welding",
            "apprenticeship_months": "3",
            "hazards": "触电、灼烫",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    post = Post.objects.get(enterprise=ent_a, code="A-WELD")
    history = client.get(url("post", "history", post))
    assert history.status_code == 200
    assert "alice" in history.content.decode()


def test_enterprise_create_is_for_superusers_and_checks_credit_code(as_user, alice, root):
    data = {
        "code": "newco",
        "name": "新公司",
        "credit_code": "91320505MA1XXXXXX0",
        "industry": "manufacturing",
        "risk_class": "",
        "region_code": "320505",
        "address": "",
    }
    response = as_user(alice).get(url("enterprise", "add"))
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    client = as_user(root)
    response = client.post(url("enterprise", "add"), data)
    assert response.status_code == 200
    assert "统一社会信用代码" in str(response.context["form"].errors["credit_code"])
    data["credit_code"] = make_credit_code(4242)
    assert client.post(url("enterprise", "add"), data).status_code == 302
    created = Enterprise.objects.get(code="newco")
    assert created.risk_class == "general"


def test_enterprise_admin_edits_own_enterprise_but_not_its_code(as_user, dora, ent_a):
    client = as_user(dora)
    form = client.get(url("enterprise", "edit", ent_a)).context["form"]
    assert form.fields["code"].disabled
    data = {
        "code": "hacked",
        "name": "华兴化工股份有限公司",
        "credit_code": ent_a.credit_code,
        "industry": ent_a.industry,
        "risk_class": ent_a.risk_class,
        "region_code": ent_a.region_code,
        "address": "苏州市",
    }
    assert client.post(url("enterprise", "edit", ent_a), data).status_code == 302
    ent_a.refresh_from_db()
    assert ent_a.name == "华兴化工股份有限公司"
    assert ent_a.code == "hxchem"


def test_high_risk_enterprise_cannot_be_downgraded(as_user, dora, ent_a):
    data = {
        "name": ent_a.name,
        "credit_code": ent_a.credit_code,
        "industry": ent_a.industry,
        "risk_class": "general",
        "region_code": ent_a.region_code,
    }
    response = as_user(dora).post(url("enterprise", "edit", ent_a), data)
    assert response.status_code == 200
    assert "高危行业" in str(response.context["form"].errors)


# --- events and assignments ---------------------------------------------------------------


def test_event_create_through_admin(as_user, alice, emp_a, tree_a):
    client = as_user(alice)
    page = client.get(url("employmentevent", "add"), {"employee": emp_a.pk})
    assert page.context["form"].initial["employee"] == emp_a.pk
    response = client.post(
        url("employmentevent", "add"),
        {"employee": emp_a.pk, "type": "leave", "date": "2025-07-01", "note": "产假"},
    )
    assert response.status_code == 302
    event = EmploymentEvent.objects.get(employee=emp_a, type="leave")
    assert event.recorded_by == alice
    emp_a.refresh_from_db()
    assert emp_a.status == Employee.Status.ON_LEAVE
    # A transfer without a post is refused on the form (service rule).
    response = client.post(
        url("employmentevent", "add"), {"employee": emp_a.pk, "type": "transfer", "date": "2025-07-02"}
    )
    assert response.status_code == 200
    assert "post" in response.context["form"].errors


def test_outsider_cannot_record_event_for_other_enterprise(as_user, charlie, emp_a):
    response = as_user(charlie).post(
        url("employmentevent", "add"), {"employee": emp_a.pk, "type": "violation", "date": "2025-07-01"}
    )
    assert response.status_code == 200
    assert "employee" in response.context["form"].errors
    assert not emp_a.events.filter(type="violation").exists()


def test_event_filters_by_type_and_date(as_user, alice, emp_a):
    for day, kind in ((1, "violation"), (20, "new_process")):
        services.event_record(employee=emp_a, type=kind, date=dt.date(2025, 6, day), actor=alice)
    client = as_user(alice)
    by_type = client.get(url("employmentevent", "index"), {"type": "new_process"}).context["object_list"]
    assert [e.type for e in by_type] == ["new_process"]
    by_date = client.get(url("employmentevent", "index"), {"date_from": "2025-06-10", "date_to": "2025-06-30"})
    assert [e.date.day for e in by_date.context["object_list"]] == [20]


def test_assignment_create_and_end(as_user, alice, emp_a, tree_a):
    client = as_user(alice)
    response = client.post(
        url("postassignment", "add"),
        {"employee": emp_a.pk, "post": tree_a[3].pk, "kind": "regular", "start_date": "2025-02-01"},
    )
    assert response.status_code == 302
    assignment = PostAssignment.objects.get(employee=emp_a)
    assert assignment.created_by == alice
    listing = client.get(url("postassignment", "index")).content.decode()
    assert url("postassignment", "end", assignment) in listing
    # An end date before the start is a form error.
    response = client.post(url("postassignment", "end", assignment), {"end_date": "2025-01-01"})
    assert response.status_code == 200
    assert "end_date" in response.context["form"].errors
    response = client.post(url("postassignment", "end", assignment), {"end_date": "2025-03-31"})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.end_date == dt.date(2025, 3, 31)
    # Ending twice: a message, not a 500.
    assert client.get(url("postassignment", "end", assignment)).status_code == 302


def test_untrained_employee_is_refused_at_the_admin_door(as_user, alice, ent_a, tree_a):
    """The clearance gate holds on the admin path too: the refusal and its
    reasons are shown above the form, and no assignment is made."""
    newcomer = EmployeeFactory(enterprise=ent_a, org_unit=tree_a[2], employee_no="A200", name="新人")
    hire(newcomer, tree_a[3])
    response = as_user(alice).post(
        url("postassignment", "add"),
        {"employee": newcomer.pk, "post": tree_a[3].pk, "kind": "regular", "start_date": "2025-02-01"},
    )
    assert response.status_code == 200
    refusal = " ".join(response.context["form"].non_field_errors())
    assert "未取得该岗位的上岗资格" in refusal
    assert "未取得该岗位的上岗资格" in response.content.decode()
    assert not PostAssignment.objects.filter(employee=newcomer).exists()


def test_apprentice_needs_mentor_shown_on_form(as_user, alice, emp_a, tree_a):
    response = as_user(alice).post(
        url("postassignment", "add"),
        {"employee": emp_a.pk, "post": tree_a[3].pk, "kind": "apprentice", "start_date": "2025-02-01"},
    )
    assert response.status_code == 200
    assert "师傅" in str(response.context["form"].errors["mentor"])


# --- dashboard and menu ---------------------------------------------------------------------


def test_dashboard_headcount_panel(as_user, alice, charlie, ent_a, tree_a, emp_a, emp_b):
    EmployeeFactory(enterprise=ent_a, org_unit=tree_a[2])
    EmployeeFactory(enterprise=ent_a, org_unit=tree_a[1])
    gone = EmployeeFactory(enterprise=ent_a, org_unit=tree_a[1])
    services.event_record(employee=gone, type="leave", date=dt.date(2025, 1, 1), actor=None)
    page = as_user(alice).get(reverse("wagtailadmin_home")).content.decode()
    assert "各单位在册人数" in page
    panel = page[page.index('id="workforce-headcount') :]
    panel = panel[: panel.index("</table>")]
    rows = re.findall(r"<td>(.*?)</td>\s*<td class=\"anxun-headcount__count\">(\d+)</td>.*?width: (\d+)%", panel, re.S)
    # 甲班: 张三 + one more; 一车间: one (the one who left is not counted); nothing of B.
    assert rows == [("甲班", "2", "100"), ("一车间", "1", "50")]
    assert "在岗员工合计 3 人" in page
    assert "东方机械制造有限公司" not in panel
    # The outsider's panel has his enterprise only.
    other = as_user(charlie).get(reverse("wagtailadmin_home")).content.decode()
    assert "各单位在册人数" in other and "华兴化工有限公司" not in other


def test_dashboard_panel_is_one_query(rf, alice, ent_a, tree_a, django_assert_num_queries):
    from lms.workforce.admin_views import HeadcountPanel

    for unit in tree_a[:3]:
        EmployeeFactory.create_batch(3, enterprise=ent_a, org_unit=unit)
    request = rf.get("/admin/")
    request.user = alice
    alice.role_pairs(), alice.region_prefixes()  # per-request role caches, loaded by the MFA middleware
    with django_assert_num_queries(1):
        panel = HeadcountPanel.for_request(request)
    assert sorted(row["count"] for row in panel.rows) == [3, 3, 3]


def test_dashboard_panel_hidden_without_enterprise(as_user, db):
    editor = UserFactory(email="editor@example.com")
    group = Group.objects.create(name="编辑")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    editor.groups.add(group)
    page = as_user(editor).get(reverse("wagtailadmin_home"))
    assert page.status_code == 200
    assert "各单位在册人数" not in page.content.decode()
    # …and the workforce menu is not there for them either.
    assert as_user(editor).get(url("employee", "index")).status_code == 302


def _menu(page):
    props = re.search(r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>', page, re.S)
    return json.dumps(json.loads(props.group(1)), ensure_ascii=False)


def test_menu_group_in_chinese(as_user, alice, regulator):
    menu = _menu(as_user(alice).get(reverse("wagtailadmin_home")).content.decode())
    for label in ("人员与组织", "企业", "组织单位", "岗位", "员工", "任职事件", "岗位分配"):
        assert f'"label": "{label}"' in menu
    # HR has no business with accounts and tokens.
    assert "账号与权限" not in menu
