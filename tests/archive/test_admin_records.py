"""培训记录 in the back office: HR enters offline/external training with a
scanned evidence file through record_append; records are append-only (no
edit, no delete — a mistake gets a 更正, a new record pointing at the old);
everything is scoped to the user's enterprise.

alice = HR of A, charlie = HR of B (the outsider), bob = plain employee of A.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from wagtail.models import ModelLogEntry

from lms.accounts.roles import Role
from lms.archive.models import TrainingRecord
from lms.archive.services import archive_verify
from lms.compliance.models import Obligation
from tests.compliance.helpers import hire, train
from tests.conftest import _privileged, as_user
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

INDEX = reverse("trainingrecord:index")
ADD = reverse("trainingrecord:add")
HOME = reverse("wagtailadmin_home")
PDF = b"%PDF-1.4\n% scanned sign-in sheet\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def scan(name="签到表.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def emp_a(ent_a, tree_a):
    employee = EmployeeFactory(enterprise=ent_a, org_unit=tree_a[2], name="张三", employee_no="A001",
                               hire_date=dt.date(2025, 3, 1))
    hire(employee, tree_a[3])
    return employee


@pytest.fixture
def emp_b(ent_b, tree_b):
    return EmployeeFactory(enterprise=ent_b, org_unit=tree_b[2], name="李四", employee_no="B001")


@pytest.fixture
def record_a(emp_a):
    return train(emp_a, "induction", 24, dt.date(2025, 3, 2), level="company")


@pytest.fixture
def record_b(emp_b):
    return train(emp_b, "refresher", 8, dt.date(2025, 6, 2))


def record_form(employee, **overrides):
    data = {
        "employee": employee.pk,
        "kind": "induction",
        "level": "company",
        "post": "",
        "title": "厂级安全教育（线下）",
        "content": "安全生产法律法规；本单位安全生产情况；事故案例",
        "start_at": "2025-03-02 08:30",
        "end_at": "2025-03-04 17:30",
        "place": "公司培训室",
        "hours": "24",
        "trainer": "安全环保部 王老师",
        "participants": "新员工 12 人",
        "assessment_method": "闭卷笔试",
        "assessment_result": "passed",
        "score": "88",
        "source": "offline",
        "source_ref": "",
        "evidence": scan(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- entering records ----------------------------------------------------------------


def test_hr_enters_a_record_with_evidence_through_the_archive(alice, emp_a):
    response = as_user(alice).post(ADD, record_form(emp_a))
    assert response.status_code == 302, response.context["form"].errors
    record = TrainingRecord.objects.get(employee=emp_a)
    assert (record.seq, record.kind, record.level, record.hours) == (1, "induction", "company", Decimal("24"))
    assert record.recorded_by == alice and record.recorded_by_name == str(alice)
    assert record.evidence and len(record.evidence_sha256) == 64
    assert record.hash == record.compute_hash()
    assert ModelLogEntry.objects.filter(action="anxun.record_append", object_id=str(record.pk), user=alice).exists()
    # The obligation it satisfies is met at once.
    assert Obligation.objects.get(employee=emp_a, level="company").status == Obligation.Status.MET
    assert archive_verify(employee_ids=[emp_a.pk]) == (1, [])


def test_evidence_is_required_and_checked(alice, emp_a):
    client = as_user(alice)
    response = client.post(ADD, record_form(emp_a, evidence=None))
    assert response.status_code == 200
    assert "evidence" in response.context["form"].errors
    response = client.post(ADD, record_form(emp_a, evidence=scan("病毒.exe", b"MZ")))
    assert response.status_code == 200
    assert "只接受 PDF、JPG、PNG" in response.context["form"].errors["evidence"][0]
    assert not TrainingRecord.objects.exists()


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"end_at": "2025-03-01 08:00"}, "end_at", "结束时间不能早于开始时间"),
        ({"level": ""}, "level", "须选择层级"),
        ({"kind": "refresher"}, "level", "只有三级安全教育"),
        ({"level": "workshop"}, "post", "须填写针对的岗位"),
        ({"hours": "0"}, "hours", "学时必须大于 0"),
        ({"score": "120"}, "score", "0 到 100"),
        ({"source": "online"}, "source", ""),
    ],
)
def test_bad_input_is_a_form_error_not_a_crash(alice, emp_a, overrides, field, message):
    response = as_user(alice).post(ADD, record_form(emp_a, **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in errors[field][0]
    assert not TrainingRecord.objects.exists()


def test_post_of_another_enterprise_is_refused(alice, emp_a, tree_b):
    response = as_user(alice).post(ADD, record_form(emp_a, level="workshop", post=tree_b[3].pk))
    assert response.status_code == 200
    assert "post" in response.context["form"].errors
    assert not TrainingRecord.objects.exists()


def test_outsider_cannot_enter_a_record_for_another_enterprise(charlie, emp_a):
    client = as_user(charlie)
    form = client.get(ADD).context["form"]
    assert emp_a not in form.fields["employee"].queryset
    response = client.post(ADD, record_form(emp_a))
    assert response.status_code == 200
    assert "employee" in response.context["form"].errors
    assert not TrainingRecord.objects.filter(employee=emp_a).exists()


def test_trainer_reads_records_but_cannot_enter_them(ent_a, record_a):
    # Entering needs the CHANGE capability, which record_append checks (HR, enterprise admin).
    trainer = _privileged(ent_a, Role.TRAINER, "trainer@example.com")
    client = as_user(trainer)
    response = client.get(INDEX)
    assert response.status_code == 200 and record_a.title in response.content.decode()
    assert ADD not in response.content.decode()
    response = client.get(ADD)
    assert response.status_code == 302 and response["Location"] == HOME


def test_employee_and_regulator_are_refused(bob, regulator, record_a):
    for user in (bob, regulator):
        for url in (INDEX, ADD, reverse("trainingrecord:inspect", args=(record_a.pk,))):
            response = as_user(user).get(url)
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- append-only -----------------------------------------------------------------------


def test_records_have_no_edit_or_delete(alice, record_a):
    for view in ("edit", "delete"):
        with pytest.raises(NoReverseMatch):
            reverse(f"trainingrecord:{view}", args=(record_a.pk,))
        for method in ("get", "post"):
            assert getattr(as_user(alice), method)(f"{INDEX}{view}/{record_a.pk}/").status_code == 404
    page = as_user(alice).get(reverse("trainingrecord:inspect", args=(record_a.pk,))).content.decode()
    assert "/edit/" not in page and "/delete/" not in page
    assert TrainingRecord.objects.get(pk=record_a.pk).hash == record_a.hash


def test_correction_opens_the_form_prefilled(alice, record_a):
    client = as_user(alice)
    inspect = client.get(reverse("trainingrecord:inspect", args=(record_a.pk,))).content.decode()
    assert f"{ADD}?corrects={record_a.pk}" in inspect
    response = client.get(ADD, {"corrects": record_a.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["corrects"] == record_a.pk
    assert form.initial["title"] == record_a.title
    assert form.initial["employee"] == record_a.employee_id
    assert form.fields["employee"].disabled
    assert "正在更正" in response.content.decode()


def test_correction_appends_a_new_record_and_keeps_the_old(alice, emp_a, ent_a, tree_a):
    # Entered through the form (with evidence) and then corrected: 24 → 20 hours.
    client = as_user(alice)
    assert client.post(ADD, record_form(emp_a)).status_code == 302
    old = TrainingRecord.objects.get(employee=emp_a)
    data = record_form(emp_a, hours="20", evidence=None, corrects=old.pk)
    del data["employee"]  # disabled on a correction: the person stays the same
    response = client.post(ADD, data)
    assert response.status_code == 302, response.context["form"].errors
    new = TrainingRecord.objects.get(employee=emp_a, seq=2)
    assert new.corrects == old and new.hours == Decimal("20")
    assert new.evidence.name == old.evidence.name  # the scan carries over
    assert new.evidence_sha256 == old.evidence_sha256
    old_again = TrainingRecord.objects.get(pk=old.pk)
    assert (old_again.hours, old_again.hash) == (Decimal("24"), old.hash)
    page = client.get(reverse("trainingrecord:inspect", args=(old.pk,))).content.decode()
    assert "此记录已被更正" in page
    assert archive_verify(employee_ids=[emp_a.pk]) == (2, [])


def test_a_record_is_corrected_once(alice, emp_a, record_a):
    train(emp_a, "induction", 20, dt.date(2025, 3, 2), level="company", corrects=record_a)
    data = record_form(emp_a, corrects=record_a.pk)
    response = as_user(alice).post(ADD, data)
    assert response.status_code == 200
    assert "已被更正过" in str(response.context["form"].non_field_errors())


def test_outsider_cannot_correct_another_enterprise_record(charlie, emp_b, record_a):
    client = as_user(charlie)
    response = client.get(ADD, {"corrects": record_a.pk})
    assert response.status_code == 200
    assert response.context["form"].initial.get("corrects") is None
    assert record_a.title not in response.content.decode()
    response = client.post(ADD, record_form(emp_b, kind="refresher", level="", corrects=record_a.pk))
    assert response.status_code == 200
    assert "corrects" in response.context["form"].errors
    assert not TrainingRecord.objects.filter(corrects=record_a).exists()


# --- listing, inspecting, evidence --------------------------------------------------------


def test_list_is_scoped_searchable_and_filterable(alice, charlie, emp_a, record_a, record_b):
    client = as_user(alice)
    listed = client.get(INDEX).context["object_list"]
    assert [r.pk for r in listed] == [record_a.pk]
    assert [r.pk for r in client.get(INDEX, {"q": "A001"}).context["object_list"]] == [record_a.pk]
    assert [r.pk for r in client.get(INDEX, {"q": "张三"}).context["object_list"]] == [record_a.pk]
    assert list(client.get(INDEX, {"q": "李四"}).context["object_list"]) == []
    assert list(client.get(INDEX, {"kind": "refresher"}).context["object_list"]) == []
    assert [r.pk for r in client.get(INDEX, {"level": "company"}).context["object_list"]] == [record_a.pk]
    assert [r.pk for r in client.get(INDEX, {"source": "offline"}).context["object_list"]] == [record_a.pk]
    dated = client.get(INDEX, {"date_from": "2025-03-01", "date_to": "2025-03-05"}).context["object_list"]
    assert [r.pk for r in dated] == [record_a.pk]
    assert list(client.get(INDEX, {"date_from": "2025-04-01"}).context["object_list"]) == []

    page = as_user(charlie).get(INDEX).content.decode()
    assert record_b.title in page and "张三" not in page


def test_inspect_and_evidence_are_scoped(alice, charlie, emp_a):
    as_user(alice).post(ADD, record_form(emp_a))
    record = TrainingRecord.objects.get(employee=emp_a)
    inspect = reverse("trainingrecord:inspect", args=(record.pk,))
    evidence = reverse("trainingrecord:evidence", args=(record.pk,))
    page = as_user(alice).get(inspect).content.decode()
    assert evidence in page and record.hash in page
    response = as_user(alice).get(evidence)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "no-store" in response["Cache-Control"]
    assert as_user(alice).get(reverse("trainingrecord:history", args=(record.pk,))).status_code == 200
    assert as_user(charlie).get(inspect).status_code == 404
    assert as_user(charlie).get(evidence).status_code == 404
    assert as_user(charlie).get(reverse("trainingrecord:history", args=(record.pk,))).status_code == 404


def test_list_queries_do_not_grow_with_rows(alice, emp_a, django_assert_max_num_queries):
    train(emp_a, "induction", 24, dt.date(2025, 3, 2), level="company")
    client = as_user(alice)
    client.get(INDEX)
    with CaptureQueriesContext(connection) as few:
        client.get(INDEX)
    for n in range(15):
        train(emp_a, "warning", 1, dt.date(2025, 4, 1) + dt.timedelta(days=n))
    with django_assert_max_num_queries(len(few)):
        response = client.get(INDEX)
    assert len(response.context["object_list"]) == 16
