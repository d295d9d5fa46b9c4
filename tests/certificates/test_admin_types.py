"""Certificate types (template, validity, numbering, clearance dependence)
and the issuer's seal in the back office: saved through the services, bad
values are field errors, tenancy holds."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from certificates.models import CertificateKind, CertificateType, IssuerProfile
from tests.conftest import login_with_mfa

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def type_data(ent, **over):
    return {"enterprise": ent.pk, "code": "HXSG", "name": "华兴上岗证", "kind": CertificateKind.POST, "layout": "a4",
            "validity_months": "", "review_interval_months": "", "issuer": "", "number_pattern": "HX-{year}-{seq:04d}",
            "clearance_required": "on", "auto_issue": "on", "is_active": "on",
            "template_html": "<h1>{{ type_name }}</h1><p>{{ holder_name }}</p>", **over}


def test_hr_creates_and_edits_an_enterprise_type(alice, ent_a):
    client = login_with_mfa(Client(), alice)
    response = client.post(reverse("certificatetype:add"), type_data(ent_a))
    assert response.status_code == 302
    t = CertificateType.objects.get(code="HXSG")
    assert t.enterprise == ent_a and t.clearance_required and t.number_pattern == "HX-{year}-{seq:04d}"
    response = client.post(reverse("certificatetype:edit", args=[t.pk]), type_data(ent_a, number_pattern="HX-{seq}"))
    assert response.status_code == 200 and "编号规则必须包含年份" in response.content.decode()
    response = client.post(reverse("certificatetype:edit", args=[t.pk]),
                           type_data(ent_a, template_html="{% load static %}"))
    assert response.status_code == 200 and "模板" in response.content.decode()
    t.refresh_from_db()
    assert t.number_pattern == "HX-{year}-{seq:04d}"


def test_platform_types_and_other_enterprises_are_out_of_reach(alice, charlie, ent_a):
    platform = CertificateType.objects.get(enterprise=None, code="SG")
    client = login_with_mfa(Client(), alice)
    response = client.post(reverse("certificatetype:edit", args=[platform.pk]), type_data(ent_a, code="SG"))
    assert response.status_code in (200, 404)
    platform.refresh_from_db()
    assert platform.number_pattern != "HX-{year}-{seq:04d}" and platform.enterprise is None
    client.post(reverse("certificatetype:add"), type_data(ent_a))
    own = CertificateType.objects.get(code="HXSG")
    outsider = login_with_mfa(Client(), charlie)
    assert outsider.get(reverse("certificatetype:edit", args=[own.pk])).status_code == 404


def test_seal_upload_through_the_issuer_profile(alice, ent_a):
    png = io.BytesIO()
    Image.new("RGB", (50, 50), (200, 0, 0)).save(png, "PNG")
    client = login_with_mfa(Client(), alice)
    response = client.post(reverse("issuerprofile:add"), {
        "enterprise": ent_a.pk, "issuer_name": "华兴化工安全环保部",
        "seal": SimpleUploadedFile("seal.png", png.getvalue(), content_type="image/png")})
    assert response.status_code == 302
    profile = IssuerProfile.objects.get(enterprise=ent_a)
    assert profile.issuer_name == "华兴化工安全环保部" and profile.seal
    bad = client.post(reverse("issuerprofile:edit", args=[profile.pk]), {
        "enterprise": ent_a.pk, "issuer_name": "x", "seal": SimpleUploadedFile("seal.exe", b"MZ")})
    assert bad.status_code == 200 and "印章图片只接受" in bad.content.decode()
