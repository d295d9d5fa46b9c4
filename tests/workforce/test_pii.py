"""身份证号 at rest and on screen (个人信息保护法 §28, §51): stored encrypted,
found and kept unique by a keyed hash, keys rotated by a command, and shown
in full only to HR / the enterprise admin who give a reason, each read logged."""

import base64
import datetime as dt
import io
import os
import subprocess
import sys
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError, PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from wagtail.models import ModelLogEntry

from lms import pii
from lms.accounts.roles import Role
from lms.workforce import services
from lms.workforce.importing import import_employees
from lms.workforce.models import Employee
from lms.workforce.validators import mask_id_number, mask_id_numbers_in
from tests.conftest import _privileged, as_user
from tests.factories import EmployeeFactory, MembershipFactory, UserFactory, make_id_number

from .fixtures.importfiles import person_id, row, xlsx_bytes

pytestmark = pytest.mark.django_db

NUMBER = make_id_number("110101", dt.date(1990, 3, 7), 803)  # 11010119900307803X


def raw_column(employee) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, id_number_hash FROM workforce_employee WHERE id = %s", [employee.pk])
        return cursor.fetchone()


@pytest.fixture
def zhang(ent_a, tree_a):
    return EmployeeFactory(enterprise=ent_a, org_unit=tree_a[2], name="张伟", employee_no="A0001", id_number=NUMBER)


# --- at rest -----------------------------------------------------------------------------------


def test_the_column_holds_ciphertext_and_the_model_reads_plain_text(zhang):
    sealed, digest = raw_column(zhang)
    assert NUMBER not in sealed and "19900307" not in sealed and "803X" not in sealed
    assert sealed.startswith("gAAAA")  # a Fernet token
    assert digest == pii.blind_index(NUMBER) and NUMBER not in digest
    assert Employee.objects.get(pk=zhang.pk).id_number == NUMBER
    assert list(Employee.objects.filter(pk=zhang.pk).values_list("id_number", flat=True)) == [NUMBER]


def test_lookup_goes_through_the_hash_and_never_the_ciphertext(zhang, ent_b):
    assert list(Employee.objects.with_id_number(NUMBER.lower())) == [zhang]
    assert not Employee.objects.filter(enterprise=ent_b).with_id_number(NUMBER).exists()
    with pytest.raises(FieldError):
        Employee.objects.filter(id_number=NUMBER).exists()


def test_changing_the_number_updates_the_hash(zhang):
    other = make_id_number("110101", dt.date(1991, 1, 1), 7)
    zhang.id_number = other
    zhang.save(update_fields=["id_number"])
    assert raw_column(zhang)[1] == pii.blind_index(other)
    assert list(Employee.objects.with_id_number(other)) == [zhang]


def test_same_number_twice_in_one_enterprise_is_refused_in_chinese(alice, zhang, ent_a, ent_b):
    twin = EmployeeFactory.build(enterprise=ent_a, employee_no="A0002", id_number=NUMBER)
    with pytest.raises(ValidationError) as refused:
        services.employee_create(employee=twin, actor=alice)
    assert "该企业已有相同身份证号的员工" in str(refused.value)
    EmployeeFactory(enterprise=ent_b, employee_no="B0001", id_number=NUMBER)  # another enterprise: fine


def test_admin_form_refuses_a_number_held_by_a_colleague(alice, zhang, ent_a, tree_a):
    from lms.workforce.admin_forms import EmployeeForm

    data = {"enterprise": ent_a.pk, "employee_no": "A0003", "name": "李雷", "id_number": NUMBER.lower(),
            "employment_type": "regular", "hire_date": "2025-01-02"}
    form = EmployeeForm(data=data, for_user=alice)
    assert not form.is_valid()
    assert form.errors["id_number"] == ["该企业已有相同身份证号的员工"]


def test_a_value_under_an_unknown_key_is_refused_loudly(zhang, settings):
    settings.ANXUN_PII_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(pii.PiiKeyError):
        Employee.objects.get(pk=zhang.pk)


# --- key rotation ------------------------------------------------------------------------------


def test_rotate_pii_keys_reencrypts_under_the_newest_key_and_is_idempotent(ent_a, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ANXUN_PII_KEYS = [old]
    people = [EmployeeFactory(enterprise=ent_a) for _ in range(5)]
    numbers = {p.pk: p.id_number for p in people}

    settings.ANXUN_PII_KEYS = [new, old]
    settings.ANXUN_PII_HASH_KEY = "a-new-hash-key-for-the-search-index-0123456789"
    out = StringIO()
    call_command("rotate_pii_keys", "--chunk-size", "2", stdout=out)
    assert "重新加密 5 行，重算索引 5 行" in out.getvalue()

    settings.ANXUN_PII_KEYS = [new]  # the old key is gone: everything still reads
    for person in people:
        sealed, digest = raw_column(person)
        assert Fernet(new).decrypt(sealed.encode()).decode() == numbers[person.pk]
        assert Employee.objects.get(pk=person.pk).id_number == numbers[person.pk]
        assert list(Employee.objects.with_id_number(numbers[person.pk])) == [person]
    before = {p.pk: raw_column(p) for p in people}

    out = StringIO()
    call_command("rotate_pii_keys", stdout=out)
    assert "重新加密 0 行，重算索引 0 行" in out.getvalue()
    assert {p.pk: raw_column(p) for p in people} == before


def test_production_refuses_to_start_without_explicit_keys():
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANXUN_PII")}
    env.update(DJANGO_SETTINGS_MODULE="lms.settings.production", SECRET_KEY="x" * 60, ALLOWED_HOSTS="example.com")
    # The archive's keys are given: this test is about the personal-data keys.
    env.update(
        ANXUN_ARCHIVE_MAC_KEYS="k1:" + base64.b64encode(os.urandom(32)).decode(),
        ANXUN_ARCHIVE_SIGNING_KEY=base64.b64encode(os.urandom(32)).decode(),
    )
    code = "import django; django.setup()"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "ANXUN_PII_KEYS" in result.stderr and "生产环境必须设置" in result.stderr
    env["ANXUN_PII_KEYS"] = Fernet.generate_key().decode()
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "ANXUN_PII_HASH_KEY" in result.stderr


# --- masking helpers ---------------------------------------------------------------------------


def test_numbers_carrying_an_id_number_are_masked():
    assert mask_id_numbers_in(f"T{NUMBER.lower()}-2020") == (f"T{mask_id_number(NUMBER)}-2020", True)
    assert mask_id_numbers_in("hxchem-SG-2026-00042") == ("hxchem-SG-2026-00042", False)
    invalid = NUMBER[:-1] + "1"  # wrong check digit: not an ID number, unless it is the holder's
    assert mask_id_numbers_in(invalid) == (invalid, False)
    assert mask_id_numbers_in(f"No.{invalid}", known=(invalid,))[1]


# --- the explicit reveal -----------------------------------------------------------------------


def reveal_url(employee):
    return reverse("workforce_pii:id_number_reveal", args=[employee.pk])


def test_hr_sees_the_full_number_only_after_giving_a_reason_and_it_is_logged(alice, zhang):
    client = as_user(alice)
    page = client.get(reveal_url(zhang)).content.decode()
    assert NUMBER not in page and mask_id_number(NUMBER) in page
    response = client.post(reveal_url(zhang), {"reason": ""})
    assert NUMBER not in response.content.decode() and "reason" in response.context["form"].errors
    assert not ModelLogEntry.objects.filter(action="anxun.pii_reveal").exists()

    response = client.post(reveal_url(zhang), {"reason": "办理工伤保险申报"})
    assert NUMBER in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    entry = ModelLogEntry.objects.get(action="anxun.pii_reveal", object_id=str(zhang.pk))
    assert (entry.user, entry.data["reason"], entry.data["field"]) == (alice, "办理工伤保险申报", "id_number")
    assert entry.timestamp is not None
    assert NUMBER not in str(entry.data)  # the log says who/when/why, never the number


def test_enterprise_admin_may_reveal_and_the_person_page_offers_it(ent_a, zhang):
    admin = _privileged(ent_a, Role.ENTERPRISE_ADMIN, "ea@example.com")
    client = as_user(admin)
    page = client.get(reverse("archive:person_file", args=[zhang.pk])).content.decode()
    assert reveal_url(zhang) in page and NUMBER not in page
    assert NUMBER in client.post(reveal_url(zhang), {"reason": "向发证机关报送"}).content.decode()


def test_who_may_not_reveal(ent_a, zhang, charlie, regulator, bob):
    trainer = UserFactory(email="trainer@example.com")
    MembershipFactory(user=trainer, enterprise=ent_a, role=Role.TRAINER)
    superuser = UserFactory(email="root@example.com", is_superuser=True, is_staff=True)
    for user, status in ((trainer, 403), (regulator, 403), (superuser, 403), (charlie, 404)):
        client = as_user(user)
        for response in (client.get(reveal_url(zhang)), client.post(reveal_url(zhang), {"reason": "抽查"})):
            assert response.status_code in (status, 302), user
            assert NUMBER not in response.content.decode()
        with pytest.raises(PermissionDenied):
            services.id_number_reveal(employee=zhang, reason="抽查", actor=user)
    assert not ModelLogEntry.objects.filter(action="anxun.pii_reveal").exists()
    # The regulator reads the person file, with the number masked and no way to unmask.
    page = as_user(regulator).get(reverse("archive:person_file", args=[zhang.pk])).content.decode()
    assert mask_id_number(NUMBER) in page and NUMBER not in page and reveal_url(zhang) not in page


def test_reveal_needs_a_reason_in_the_service_too(alice, zhang):
    with pytest.raises(ValidationError) as refused:
        services.id_number_reveal(employee=zhang, reason="   ", actor=alice)
    assert "请填写查看完整身份证号的原因" in str(refused.value)


def test_back_office_search_finds_a_whole_id_number_by_its_hash(alice, zhang, ent_a):
    EmployeeFactory(enterprise=ent_a, employee_no="A0009", name="路人")
    client = as_user(alice)
    index = reverse("employee:index")
    response = client.get(index, {"q": NUMBER.lower()})
    assert [e.pk for e in response.context["object_list"]] == [zhang.pk]
    assert NUMBER not in response.content.decode()
    assert list(client.get(index, {"q": NUMBER[:10]}).context["object_list"]) == []  # parts find nothing


def test_import_upserts_by_the_hash_and_keeps_it_current(alice, ent_a, tree_a):
    def run(rows):
        return import_employees(enterprise=ent_a, fileobj=io.BytesIO(xlsx_bytes(rows)), filename="员工.xlsx",
                                actor=alice)

    assert run([row(1), row(2)]).created == 2
    again = run([row(1), row(2)])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    first = Employee.objects.get(enterprise=ent_a, employee_no="00001")
    assert NUMBER not in raw_column(first)[0] and raw_column(first)[1] == pii.blind_index(person_id(1))

    corrected = run([row(1, 身份证号=person_id(7))])  # a corrected number: ciphertext and hash both follow
    assert corrected.updated == 1
    assert list(Employee.objects.with_id_number(person_id(7))) == [first]
    assert not Employee.objects.with_id_number(person_id(1)).exists()
    assert Employee.objects.get(pk=first.pk).id_number == person_id(7)

    taken = run([row(3, 身份证号=person_id(2))])  # 00002 holds it: refused with the existing message
    assert not taken.ok
    assert any("该身份证号已被本企业工号为“00002”的员工使用" in e.reason for e in taken.errors)
