"""The PDFs carry their own CJK font: embedded (pdffonts), every character
of the text present in it (no tofu boxes), the right Chinese extractable
(pdftotext), and a page that renders to something visible (pdftoppm).

poppler-utils provides the three tools. Without them these tests fail in CI
(CI is set) and skip loudly elsewhere."""

import io
import os
import re
import shutil
import subprocess
import warnings

import pytest
from django.urls import reverse
from PIL import Image
from reportlab.pdfbase.ttfonts import TTFontFile

from lms.archive.pdf import EMBEDDED_FONT_NAME, FONT_BOLD, FONT_DIR, FONT_REGULAR, RESOURCE_POLICY, render_pdf
from tests.factories import EmployeeFactory

from .test_person_file import ID_NUMBER, make_apprentice_post, make_bob_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob_file(bob, ent_a, tree_a):
    return make_bob_file(bob, make_apprentice_post(ent_a, tree_a[2]))


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} (poppler-utils) is not installed: `apt-get install -y poppler-utils`"
    if os.environ.get("CI"):
        pytest.fail(f"CI must have {message}")
    warnings.warn(f"SKIPPING PDF check: {message}", stacklevel=2)
    pytest.skip(f"!!! {message} !!!")


def _run(tool: str, *args, data: bytes) -> bytes:
    return subprocess.run([_tool(tool), *args], input=data, capture_output=True, check=True, timeout=60).stdout


def pdffonts(data: bytes) -> list[dict]:
    """Rows of `pdffonts -`: name, type, emb, …"""
    lines = _run("pdffonts", "-", data=data).decode().splitlines()[2:]
    rows = []
    for line in lines:
        parts = line.split()
        # name type... encoding emb sub uni object-id generation
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3]})
    return rows


def pdftext(data: bytes) -> str:
    return _run("pdftotext", "-enc", "UTF-8", "-", "-", data=data).decode()


def first_page_png(data: bytes) -> Image.Image:
    png = _run("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-", data=data)
    return Image.open(io.BytesIO(png)).convert("L")


FONT_CHARS = set(TTFontFile(str(FONT_REGULAR)).charToGlyph)


def assert_font_embedded_and_covers(data: bytes):
    rows = pdffonts(data)
    ours = [r for r in rows if r["name"].split("+")[-1] == EMBEDDED_FONT_NAME]
    assert ours, f"{EMBEDDED_FONT_NAME} not in the PDF: {rows}"
    assert all(r["emb"] == "yes" for r in ours), rows
    # Every non-space character of the text has a glyph in the font (a
    # missing one would print as a box even though the font is embedded).
    text = pdftext(data)
    missing = {c for c in text if not c.isspace() and ord(c) not in FONT_CHARS}
    assert not missing, f"characters without a glyph: {sorted(missing)}"
    return text


def assert_visible(data: bytes):
    image = first_page_png(data)
    dark = sum(image.histogram()[:128])
    assert dark > 2000, f"first page looks blank ({dark} dark pixels)"
    return image


def squeeze(text: str) -> str:
    return "".join(text.split())


def test_person_file_pdf(alice_client, bob_file):
    response = alice_client.get(reverse("archive:person_file_pdf", args=[bob_file.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;") and "filename*=utf-8''" in disposition
    assert "no-store" in response["Cache-Control"]
    data = response.content
    assert data.startswith(b"%PDF")
    text = squeeze(assert_font_embedded_and_covers(data))
    assert "员工培训档案" in text and "鲍勃" in text and "华兴化工有限公司" in text
    assert "320505********1234" in text and ID_NUMBER not in text
    assert "厂级安全教育" in text and "车间级" in text and "更正了记录#2" in text
    assert "不准上岗" in text and "师带徒" in text and "特种作业操作证" in text
    assert "生成时间" in text and "北京时间" in text
    # Header and footer on every page: "第 X 页 / 共 Y 页" with the enterprise name.
    pages = int(re.search(r"第1页/共(\d+)页", text).group(1))
    assert all(f"第{n}页/共{pages}页" in text for n in range(1, pages + 1))
    assert text.count("华兴化工有限公司") > pages
    assert_visible(data)


@pytest.mark.rule("levels.card")
def test_induction_card_pdf(alice_client, bob_file):
    response = alice_client.get(reverse("archive:induction_card_pdf", args=[bob_file.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = response.content
    text = squeeze(assert_font_embedded_and_covers(data))
    for expected in ("三级安全教育卡", "鲍勃", "320505********1234", "一车间/甲班", "反应釜操作工", "2024-03-01",
                     "厂级", "车间级", "班组级", "分配日期", "上岗日期", "师傅", "老周", "独立上岗前考核成绩",
                     "教育人签名", "受教育人签名", "92分（合格）", "车间主任李工", "劳动纪律"):
        assert expected in text, expected
    assert ID_NUMBER not in text
    image = assert_visible(data)
    # A bordered form: long dark horizontal lines (table rules) cross the page.
    width, height = image.size
    pixels = image.load()
    ruled_rows = sum(
        1 for y in range(height) if sum(1 for x in range(width) if pixels[x, y] < 100) > width * 0.6
    )
    assert ruled_rows >= 15, f"expected a ruled form, found {ruled_rows} full-width lines"


def test_induction_card_of_someone_without_records_is_a_blank_form(alice_client, ent_a):
    employee = EmployeeFactory(enterprise=ent_a, name="欧阳新人")
    response = alice_client.get(reverse("archive:induction_card_pdf", args=[employee.pk]))
    text = squeeze(assert_font_embedded_and_covers(response.content))
    assert "欧阳新人" in text and "三级安全教育卡" in text and "车间级" in text
    assert text.count("签名日期") == 6  # trainer and trainee, per level, to fill by hand
    assert "（合格）" not in text and "授课：" not in text  # no scores, no trainers: blank boxes


def test_render_pdf_finds_the_font_from_any_working_directory(tmp_path, monkeypatch):
    # xhtml2pdf only reads files under the working directory unless the
    # policy names the font directory: a worker started elsewhere must still
    # embed the font instead of printing boxes.
    monkeypatch.chdir(tmp_path)
    assert FONT_DIR.resolve() in RESOURCE_POLICY.roots
    data = render_pdf(
        "archive/pdf/base.html", {"enterprise_name": "测试企业", "document_title": "字体检查"}
    )
    text = squeeze(assert_font_embedded_and_covers(data))
    assert "测试企业" in text and "字体检查" in text


def test_shipped_font_is_small_static_truetype_with_the_form_symbols():
    for path in (FONT_REGULAR, FONT_BOLD):
        assert path.stat().st_size < 3 * 1024 * 1024
        chars = TTFontFile(str(path)).charToGlyph  # ReportLab refuses CFF/PostScript outlines
        for c in "三级安全教育卡厂车间班组✓×□《》（）：；、。":
            assert ord(c) in chars, (path.name, c)
    assert (FONT_DIR / "OFL.txt").read_text().startswith("Anxun Sans")
