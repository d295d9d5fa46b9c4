"""Certificate PDFs (A4 and card): the Chinese text extracts as written
(pdftotext, bundled font), the page shows a readable QR code of the
verification URL (pdftoppm PNG, modules compared with segno's matrix), the
seal and the photo are printed, and an admin template cannot reach
anything but the certificate's own strings."""

import io
import os
import shutil
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from certificates.models import Certificate, CertificateKind, CertificateType
from certificates.pdf import render_certificate_pdf, verify_url
from certificates.services import certificate_type_save, certificates_issue_due, issuer_profile_save
from tests.compliance.helpers import D, hire, induct
from tests.factories import EmployeeFactory

from .qr_check import qr_match

pytestmark = pytest.mark.django_db


def png_bytes(size, colour, shape="ellipse"):
    img = Image.new("RGBA", size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    getattr(draw, shape)([4, 4, size[0] - 4, size[1] - 4], outline=colour, width=max(3, size[0] // 20), fill=None)
    if shape == "rectangle":
        draw.rectangle([size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4], fill=colour)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def post_certificate(ent_b, tree_b):
    post = tree_b[3]
    emp = EmployeeFactory(enterprise=ent_b, name="欧阳晓明", hire_date=D(2026, 3, 2))
    hire(emp, post)
    induct(emp, post, D(2026, 3, 3), 8)
    issuer_profile_save(enterprise=ent_b, issuer_name="东方机械制造有限公司安全环保部",
                        seal=SimpleUploadedFile("seal.png", png_bytes((200, 200), (200, 20, 20, 255))), actor=None)
    certificates_issue_due(employee=emp)
    cert = Certificate.objects.get(employee=emp, kind=CertificateKind.POST)
    cert.photo = SimpleUploadedFile("photo.png", png_bytes((120, 160), (40, 60, 90, 255), "rectangle"))
    cert.save(update_fields=["photo"])
    return cert


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


def pdf_png(pdf: bytes, tmp_path, name: str, dpi: int) -> Image.Image:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(path), str(tmp_path / name)], check=True)
    png = tmp_path / f"{name}.png"
    if os.environ.get("CERT_PREVIEW_DIR"):  # for a person to look at
        shutil.copy(png, os.environ["CERT_PREVIEW_DIR"])
    return Image.open(png)


def test_a4_post_certificate_prints_chinese_fields_and_a_readable_qr(post_certificate, tmp_path):
    cert = post_certificate
    pdf = render_certificate_pdf(cert)
    text = pdf_text(pdf, tmp_path)
    for expected in ("上岗合格证", "欧阳晓明", "操作工", cert.number, "东方机械制造有限公司安全环保部",
                     cert.employee.id_number_masked, "长期有效", "扫码验证真伪"):
        assert expected in text, expected
    assert cert.employee.id_number not in text  # the full ID number never prints

    page = pdf_png(pdf, tmp_path, "a4", 150)
    assert page.size[0] < page.size[1]  # portrait
    lower = page.crop((0, page.size[1] // 2, page.size[0], page.size[1]))
    assert qr_match(lower, verify_url(cert.verification_code)) > 0.97
    assert qr_match(lower, verify_url("A" * 32)) < 0.8  # another code does not match
    # The seal prints in red (the only red on the page besides the frame and title).
    rgb = lower.convert("RGB")
    red = sum(1 for x in range(0, rgb.width, 2) for y in range(0, rgb.height, 2)
              if (p := rgb.getpixel((x, y)))[0] > 150 and p[1] < 80 and p[2] < 80)
    assert red > 125  # every 4th pixel sampled


def test_card_layout_is_a_landscape_card_with_qr(ent_b, post_certificate, tmp_path):
    card = certificate_type_save(type=CertificateType(
        enterprise=ent_b, code="SGK", name="上岗证（卡）", kind=CertificateKind.POST, layout=CertificateType.Layout.CARD,
        clearance_required=True), actor=None)
    cert = post_certificate
    cert.type = card
    cert.save(update_fields=["type"])
    pdf = render_certificate_pdf(cert)
    text = pdf_text(pdf, tmp_path)
    for expected in ("上岗证（卡）", "欧阳晓明", "操作工", cert.number, "东方机械制造有限公司"):
        assert expected in text, expected
    page = pdf_png(pdf, tmp_path, "card", 300)
    width, height = page.size
    assert width > height and abs(width / height - 85.6 / 54) < 0.02
    assert qr_match(page, verify_url(cert.verification_code)) > 0.97


def test_special_operation_style_fields_print_when_present(ent_b, post_certificate, tmp_path):
    cert = post_certificate
    cert.level = "初级"
    cert.save(update_fields=["level"])
    text = pdf_text(render_certificate_pdf(cert), tmp_path)
    assert "初级" in text


def test_admin_template_is_sandboxed_and_checked(ent_b, post_certificate, tmp_path):
    bad = CertificateType(enterprise=ent_b, code="BAD", name="坏模板", kind=CertificateKind.POST,
                          template_html="{% load static %}{% static 'x' %}")
    with pytest.raises(ValidationError) as error:
        certificate_type_save(type=bad, actor=None)
    assert "template_html" in error.value.message_dict

    own = certificate_type_save(type=CertificateType(
        enterprise=ent_b, code="OWN", name="自定义上岗证", kind=CertificateKind.POST,
        template_html="<h1>{{ type_name }}</h1><p>持证人：{{ holder_name }}（{{ post }}）{{ settings.SECRET_KEY }}</p>"
                      "<img src=\"{{ qr }}\" width=\"120\" height=\"120\">"), actor=None)
    cert = post_certificate
    cert.type = own
    cert.save(update_fields=["type"])
    pdf = render_certificate_pdf(cert)
    text = pdf_text(pdf, tmp_path)
    assert "自定义上岗证" in text and "持证人：欧阳晓明（操作工）" in text
    assert "test-secret-key" not in text
    assert qr_match(pdf_png(pdf, tmp_path, "own", 150), verify_url(cert.verification_code)) > 0.97
