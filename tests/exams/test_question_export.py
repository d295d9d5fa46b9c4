"""Exporting a bank as Moodle XML and xlsx, and importing it back unchanged."""

import io
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook

from exams.exporting import build_template, export_moodle_xml, export_xlsx
from exams.importing import import_questions
from exams.models import Question
from exams.question_services import bank_create, category_for_path, question_create, question_update

from .question_helpers import bank_a  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def fill(bank):
    """One question of every type, with categories, HTML-looking text and tags."""
    fire = category_for_path(bank, "安全知识/消防")
    power = category_for_path(bank, "安全知识/用电")
    question_create(
        bank=bank,
        type="single",
        stem="发现火灾应拨打？\n（写号码）",
        category=fire,
        difficulty=1,
        options=[{"key": "A", "text": "119"}, {"key": "B", "text": "110 & 120"}, {"key": "C", "text": "<不知道>"}],
        answer=["A"],
        explanation="火警 119。",
        tags="消防、报警",
        actor=None,
    )
    question_create(
        bank=bank,
        type="multiple",
        stem="灭火器的种类有？",
        category=fire,
        difficulty=3,
        options=[{"key": "A", "text": "干粉"}, {"key": "B", "text": "二氧化碳"}, {"key": "C", "text": "汽油"}],
        answer=["A", "B"],
        actor=None,
    )
    question_create(
        bank=bank, type="true_false", stem="可以用水扑灭电气火灾。", category=power, answer=[False], actor=None
    )
    question_create(
        bank=bank,
        type="fill_blank",
        stem="安全电压不超过____伏。",
        category=power,
        answer=[["36", "三十六"]],
        actor=None,
    )
    question_create(
        bank=bank,
        type="fill_blank",
        stem="三不伤害：不伤害自己、____、____。",
        answer=[["不伤害他人"], ["不被他人伤害", "不被伤害"]],
        explanation="a < b",
        actor=None,
    )


def snapshot(bank, *, tags=True):
    rows = []
    for q in Question.objects.current().filter(bank=bank).select_related("category").order_by("stem"):
        rows.append(
            (
                q.type,
                q.stem,
                q.options,
                q.answer,
                q.explanation,
                q.category.path if q.category else "",
                q.tags if tags else "",
            )
        )
    return rows


def test_moodle_xml_round_trips_through_the_importer(bank_a):
    fill(bank_a)
    data = export_moodle_xml(bank_a)
    copy = bank_create(enterprise=bank_a.enterprise, name="副本", actor=None)

    result = import_questions(bank=copy, fileobj=io.BytesIO(data), filename="export.xml", actor=None)

    assert result.ok, result.errors
    assert result.created == 5 and not result.skipped
    assert snapshot(copy) == snapshot(bank_a)


def test_moodle_xml_is_what_moodle_expects(bank_a):
    fill(bank_a)
    root = ET.fromstring(export_moodle_xml(bank_a))

    assert root.tag == "quiz"
    kinds = [(q.get("type"), q.findtext("category/text")) for q in root.findall("question")]
    # Questions without a category first, then each category question before its questions.
    assert kinds == [
        ("multianswer", None),
        ("category", "$course$/top/安全知识/消防"),
        ("multichoice", None),
        ("multichoice", None),
        ("category", "$course$/top/安全知识/用电"),
        ("truefalse", None),
        ("shortanswer", None),
    ]
    single, multiple = root.findall("question[@type='multichoice']")
    assert single.findtext("single") == "true" and multiple.findtext("single") == "false"
    assert [a.get("fraction") for a in single.findall("answer")] == ["100", "0", "0"]
    # Moodle wants the right answers of a multiple response to add up to 100 %.
    assert [a.get("fraction") for a in multiple.findall("answer")] == ["50", "50", "-100"]
    assert single.find("questiontext").get("format") == "html"
    assert single.findtext("questiontext/text") == "发现火灾应拨打？<br>\n（写号码）"
    assert single.findall("answer")[2].findtext("text") == "&lt;不知道&gt;"
    cloze = root.find("question[@type='multianswer']")
    assert cloze.findtext("questiontext/text") == (
        "三不伤害：不伤害自己、{1:SHORTANSWER:=不伤害他人}、{1:SHORTANSWER:=不被他人伤害~=不被伤害}。"
    )
    assert [t.findtext("text") for t in single.findall("tags/tag")] == ["消防", "报警"]


def test_only_current_versions_are_exported(bank_a, bob):
    from .test_question_services import attempt_for

    fill(bank_a)
    old = Question.objects.get(stem="灭火器的种类有？")
    attempt_for(old, bob.employee)
    question_update(question=old, actor=None, stem="常见灭火器的种类有？")

    root = ET.fromstring(export_moodle_xml(bank_a))
    texts = [q.findtext("questiontext/text") for q in root.findall("question[@type='multichoice']")]
    assert "常见灭火器的种类有？" in texts and "灭火器的种类有？" not in texts


def test_xlsx_export_is_the_template_and_round_trips(bank_a):
    fill(bank_a)
    data = export_xlsx(bank_a)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[:2] == ["题型*", "题干*"] and "答案*" in headers and "选项H" in headers and "分类" in headers
    cells = {row[1]: dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells["灭火器的种类有？"]["答案*"] == "AB" and cells["灭火器的种类有？"]["难度"] == "困难"
    assert cells["可以用水扑灭电气火灾。"]["答案*"] == "错误"
    assert cells["三不伤害：不伤害自己、____、____。"]["答案*"] == "不伤害他人|不被他人伤害/不被伤害"
    assert cells["安全电压不超过____伏。"]["分类"] == "安全知识/用电"

    copy = bank_create(enterprise=bank_a.enterprise, name="副本", actor=None)
    result = import_questions(bank=copy, fileobj=io.BytesIO(data), filename="export.xlsx", actor=None)
    assert result.ok, result.errors
    assert snapshot(copy) == snapshot(bank_a)


def test_the_empty_template_has_the_headers_and_instructions():
    workbook = load_workbook(io.BytesIO(build_template()))
    headers = [c.value for c in workbook.worksheets[0][1]]
    assert headers == [
        "题型*",
        "题干*",
        "选项A",
        "选项B",
        "选项C",
        "选项D",
        "选项E",
        "选项F",
        "选项G",
        "选项H",
        "答案*",
        "解析",
        "难度",
        "分类",
        "知识点",
        "适用岗位",
        "适用角色",
        "适用行业",
    ]
    assert workbook.worksheets[0].max_row == 1  # no example rows to import by mistake
    notes = workbook["填写说明"]
    text = " ".join(str(c.value) for row in notes.iter_rows() for c in row if c.value)
    assert "AC" in text and "对/错" in text and "|" in text
