"""Certificate numbers never carry a 身份证号 (个保法 §51): the register
service masks one (the holder's, or any valid one) before storing and says
so; a second registration of the same number is still refused; the admin
tells the user; exports and the verification page show the stored number;
existing rows are masked by a data migration."""

import datetime as dt
import importlib
import io
from types import SimpleNamespace

import openpyxl
import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from certificates.models import Certificate
from certificates.services import CertificateError
from lms.pii import blind_index
from lms.workforce.validators import mask_id_number
from tests.conftest import login_with_mfa
from tests.factories import EmployeeFactory, make_id_number

from .test_admin import ADD, cert_form, register, welder, welder_post  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

INDEX = reverse("certificate:index")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_holders_id_number_is_masked_on_register_and_logged_as_such(welder):
    cert = register(welder, number=f"{welder.id_number.lower()}")
    assert cert.number == mask_id_number(welder.id_number) and cert.number_masked
    assert cert.number_digest == blind_index(welder.id_number)
    entry = ModelLogEntry.objects.get(action="anxun.certificate_register", object_id=str(cert.pk))
    assert entry.data["number_masked"] is True and welder.id_number not in str(entry.data)


def test_any_valid_id_number_in_a_number_is_masked(welder):
    stranger = make_id_number("110101", dt.date(1970, 5, 5), 12)
    cert = register(welder, number=f"No.{stranger}/A")
    assert cert.number == f"No.{mask_id_number(stranger)}/A" and cert.number_masked
    plain = register(welder, number="T-2024-0001", authority="苏州市应急管理局")
    assert plain.number == "T-2024-0001" and not plain.number_masked


def test_same_number_again_is_refused_but_lookalike_masks_are_not(welder, ent_a):
    register(welder, number=welder.id_number)
    with pytest.raises(CertificateError) as refused:
        register(welder, number=welder.id_number)
    assert "该发证机关的同类证书编号已登记" in str(refused.value)
    # Another holder whose number masks the same (same region, same last four).
    day = dt.date(1970, 1, 1)
    while True:
        twin_id = make_id_number(welder.id_number[:6], day, int(welder.id_number[14:17]))
        if twin_id[-4:] == welder.id_number[-4:] and twin_id != welder.id_number:
            break
        day += dt.timedelta(days=1)
    twin = EmployeeFactory(enterprise=ent_a, id_number=twin_id)
    other = register(twin, number=twin_id)
    assert other.number == mask_id_number(welder.id_number) and other.number_masked


def test_admin_register_warns_that_the_number_was_masked(alice, welder):
    client = login_with_mfa(Client(), alice)
    response = client.post(ADD, cert_form(welder, number=f"T{welder.id_number}"), follow=True)
    assert response.status_code == 200
    cert = Certificate.objects.get(employee=welder)
    assert cert.number == f"T{mask_id_number(welder.id_number)}"
    shown = [str(m) for m in response.context["messages"]]
    assert any("证书编号中含有身份证号" in m and cert.number in m for m in shown), shown
    assert welder.id_number not in response.content.decode()


def test_export_and_list_show_only_the_masked_number(alice, welder):
    register(welder, number=welder.id_number)
    client = login_with_mfa(Client(), alice)
    assert welder.id_number not in client.get(INDEX).content.decode()
    for fmt in ("xlsx", "csv"):
        response = client.get(INDEX, {"export": fmt})
        content = b"".join(response.streaming_content) if response.streaming else response.content
        if fmt == "xlsx":
            cells = [str(c) for row in openpyxl.load_workbook(io.BytesIO(content)).active.values for c in row]
            text = "\n".join(cells)
        else:
            text = content.decode("utf-8-sig")
        assert welder.id_number not in text and mask_id_number(welder.id_number) in text, fmt


def test_data_migration_masks_numbers_already_stored(welder, ent_a):
    leaked = Certificate.objects.create(
        employee=welder, kind="special_operation", category="welding", number=welder.id_number,
        authority="江苏省应急管理厅", issued_on=dt.date(2024, 1, 10), valid_until=dt.date(2030, 1, 9),
    )
    clean = Certificate.objects.create(
        employee=welder, kind="special_operation", category="electrician", number="T-77",
        authority="江苏省应急管理厅", issued_on=dt.date(2024, 1, 10), valid_until=dt.date(2030, 1, 9),
    )
    migration = importlib.import_module("certificates.migrations.0005_certificate_number_masked")
    migration.mask_numbers(django_apps, SimpleNamespace(connection=connection))
    migration.mask_numbers(django_apps, SimpleNamespace(connection=connection))  # twice: no change
    leaked.refresh_from_db()
    clean.refresh_from_db()
    assert (leaked.number, leaked.number_masked) == (mask_id_number(welder.id_number), True)
    assert leaked.number_digest == blind_index(welder.id_number)
    assert (clean.number, clean.number_masked) == ("T-77", False)
