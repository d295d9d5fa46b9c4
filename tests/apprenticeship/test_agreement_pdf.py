"""The mentor agreement (师徒协议) PDF: the project font embedded, the right
Chinese in it, a visible page."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from lms.archive.pdf import EMBEDDED_FONT_NAME
from tests.archive.test_pdf import _run, pdffonts, pdftext

pytestmark = pytest.mark.django_db


def test_agreement_pdf_for_the_mentor(client, started):
    client.force_login(started.mentor.user)
    response = client.get(reverse("apprenticeship:agreement_pdf", args=(started.pk,)))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "inline" in response["Content-Disposition"]
    data = response.content
    fonts = pdffonts(data)
    assert any(EMBEDDED_FONT_NAME in f["name"] and f["emb"] == "yes" for f in fonts)
    text = pdftext(data).replace(" ", "")
    for expected in ("师徒协议", "周师傅", "刘小军", "反应釜操作工", "2个月", "不少于3年", "不低于80分", "车间负责人签字"):
        assert expected in text, expected
    png = _run("pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-", data=data)
    image = Image.open(io.BytesIO(png)).convert("L")
    dark = sum(image.histogram()[:128])
    assert dark > 2000  # text and table rules actually drawn


def test_agreement_pdf_of_another_enterprise_is_404(client, charlie, started):
    from tests.conftest import login_with_mfa

    login_with_mfa(client, charlie)
    assert client.get(reverse("apprenticeship:agreement_pdf", args=(started.pk,))).status_code == 404
