"""The person file never shows a full 身份证号 (个保法 §28): not in its header,
not inside a certificate number, on the page, in the Excel and in the PDF."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from certificates.services import certificate_register
from lms.workforce.validators import mask_id_number

from pypdf import PdfReader
from .test_person_file import ID_NUMBER, _days_ago, apprentice_post, bob_file  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

MASKED = mask_id_number(ID_NUMBER)


@pytest.fixture
def id_cert(bob_file):
    """A 特种作业操作证 whose number, as the authority printed it, is the ID number."""
    return certificate_register(
        employee=bob_file, kind="special_operation", category="welding", number=ID_NUMBER,
        authority="江苏省应急管理厅", issued_on=_days_ago(300), valid_until=_days_ago(-1000), actor=None,
    )


def pdftext(data: bytes) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


def url(name, employee):
    return reverse(f"archive:{name}", args=[employee.pk])


def test_page_shows_the_number_masked_everywhere(alice_client, bob_file, id_cert):
    page = alice_client.get(url("person_file", bob_file)).content.decode()
    assert ID_NUMBER not in page and page.count(MASKED) >= 2  # header and the certificate's number


def test_excel_shows_the_number_masked_everywhere(alice_client, bob_file, id_cert):
    response = alice_client.get(url("person_file_xlsx", bob_file))
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [str(c) for sheet in workbook.worksheets for row in sheet.values for c in row if c is not None]
    assert not [c for c in cells if ID_NUMBER in c]
    assert sum(MASKED in c for c in cells) >= 2


def test_pdfs_show_the_number_masked_everywhere(alice_client, bob_file, id_cert):
    squeezed = pdftext(alice_client.get(url("person_file_pdf", bob_file)).content)
    assert ID_NUMBER not in squeezed and MASKED in squeezed
    card = pdftext(alice_client.get(url("induction_card_pdf", bob_file)).content)
    assert ID_NUMBER not in card and MASKED in card
