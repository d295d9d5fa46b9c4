"""Importing Moodle XML: Moodle's own fixture, every supported type, the
unsupported ones listed as skipped, malformed files refused whole."""

import io
from pathlib import Path

import pytest

from exams.importing import import_questions
from exams.models import Question, QuestionCategory, QuestionType

from .question_helpers import MOODLE_FIXTURE, bank_a  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def run(bank, xml: str | bytes, name="moodle.xml", **kwargs):
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    return import_questions(bank=bank, fileobj=io.BytesIO(data), filename=name, actor=None, **kwargs)


def quiz(*questions: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join(questions) + "\n</quiz>\n"


def category(path: str) -> str:
    return f'<question type="category"><category><text>{path}</text></category></question>'


def multichoice(stem, answers, single=True, name="mc", feedback=""):
    items = "".join(
        f'<answer fraction="{fraction}" format="html"><text><![CDATA[{text}]]></text>'
        f"<feedback><text>反馈</text></feedback></answer>"
        for text, fraction in answers
    )
    return (
        f'<question type="multichoice"><name><text>{name}</text></name>'
        f'<questiontext format="html"><text><![CDATA[{stem}]]></text></questiontext>'
        f'<generalfeedback format="html"><text><![CDATA[{feedback}]]></text></generalfeedback>'
        f"<single>{'true' if single else 'false'}</single>{items}</question>"
    )


def test_moodles_nested_category_fixture_imports_with_the_essay_skipped(bank_a):
    result = run(bank_a, Path(MOODLE_FIXTURE).read_bytes(), name="nested_categories_with_questions.xml")

    assert result.ok, result.errors
    assert (result.format, result.unit, result.total, result.created) == ("moodle-xml", "question", 5, 4)
    assert [(s.number, s.label, s.reason) for s in result.skipped] == [
        (2, "Kappa Essay Question", "不支持的题型：问答题（essay）")
    ]
    got = {q.stem: q for q in Question.objects.filter(bank=bank_a).select_related("category")}
    assert {stem: q.category.path for stem, q in got.items()} == {
        "Testing Iota Question": "Iota",
        "Testing Kappa Question": "Iota/Kappa",
        "Testing Lambda Question": "Iota/Kappa/Lambda",
        "Testing Mu Question": "Iota/Mu",
    }
    assert all(q.type == QuestionType.TRUE_FALSE and q.answer == [True] for q in got.values())
    assert QuestionCategory.objects.filter(bank=bank_a).count() == 4


def test_single_and_multiple_choice_short_answer_and_feedback(bank_a):
    xml = quiz(
        category("$system$/top/安全知识/消防"),
        multichoice(
            "<p>发现火灾应拨打？</p>",
            [("119", "100"), ("110", "0"), ("120", "0")],
            feedback="<p>火警电话 <b>119</b>。</p>",
        ),
        multichoice(
            "<p>灭火器的种类有？</p>",
            [("干粉", "50"), ("二氧化碳", "50"), ("汽油", "-100"), ("沙子", "0")],
            single=False,
        ),
        '<question type="shortanswer"><name><text>sa</text></name>'
        '<questiontext format="html"><text>&lt;p&gt;安全电压不超过多少伏？&lt;/p&gt;</text></questiontext>'
        '<answer fraction="100"><text>36</text></answer><answer fraction="100"><text>三十六</text></answer>'
        '<answer fraction="50"><text>40</text></answer></question>',
        '<question type="truefalse"><name><text>tf</text></name>'
        '<questiontext format="plain_text"><text>可以用水扑灭电气火灾。</text></questiontext>'
        '<answer fraction="0"><text>true</text></answer><answer fraction="100"><text>false</text></answer></question>',
    )
    result = run(bank_a, xml)

    assert result.ok, result.errors
    got = {q.stem: q for q in Question.objects.filter(bank=bank_a)}
    fire = got["发现火灾应拨打？"]
    assert (fire.type, fire.answer, fire.explanation) == (QuestionType.SINGLE, ["A"], "火警电话 119。")
    assert [o["text"] for o in fire.options] == ["119", "110", "120"]
    assert fire.category.path == "安全知识/消防"
    extinguisher = got["灭火器的种类有？"]
    assert (extinguisher.type, extinguisher.answer) == (QuestionType.MULTIPLE, ["A", "B"])
    assert got["安全电压不超过多少伏？"].answer == [["36", "三十六"]]
    assert got["安全电压不超过多少伏？"].type == QuestionType.FILL_BLANK
    assert got["可以用水扑灭电气火灾。"].answer == [False]


def test_html_is_reduced_to_safe_text(bank_a):
    stem = (
        '<p>下列说法<strong>正确</strong>的是？<script>alert("x")</script>'
        '<img src="@@PLUGINFILE@@/a.png" onerror="x()"></p><style>p{}</style>'
    )
    result = run(bank_a, quiz(multichoice(stem, [("甲 &amp; 乙", "100"), ("<em>丙</em>", "0")])))

    assert result.ok, result.errors
    question = Question.objects.get(bank=bank_a)
    assert question.stem == "下列说法正确的是？"
    assert [o["text"] for o in question.options] == ["甲 & 乙", "丙"]
    assert "<" not in question.stem and "alert" not in question.stem


@pytest.mark.parametrize(
    ("qtype", "reason"),
    [
        ("essay", "不支持的题型：问答题（essay）"),
        ("matching", "不支持的题型：匹配题（matching）"),
        ("numerical", "不支持的题型：数值题（numerical）"),
        ("description", "不支持的题型：说明文字（不是题目）（description）"),
        ("calculated", "不支持的题型：计算题（calculated）"),
        ("ddwtos", "不支持的题型：拖放文字题（ddwtos）"),
    ],
)
def test_unsupported_types_are_skipped_with_their_reason(bank_a, qtype, reason):
    other = (
        f'<question type="{qtype}"><name><text>不支持</text></name>'
        "<questiontext><text>x</text></questiontext></question>"
    )
    result = run(bank_a, quiz(other, multichoice("可以导入的题？", [("是", "100"), ("否", "0")])))

    assert result.ok and result.created == 1
    assert [(s.number, s.label, s.reason) for s in result.skipped] == [(1, "不支持", reason)]


def test_cloze_of_short_answers_becomes_a_fill_in_and_other_cloze_is_skipped(bank_a):
    cloze = (
        '<question type="multianswer"><name><text>c1</text></name><questiontext format="html"><text><![CDATA['
        "<p>三不伤害：不伤害自己、{1:SHORTANSWER:=不伤害他人~%50%他人}、{1:SA:=不被他人伤害#好}。</p>"
        "]]></text></questiontext></question>"
    )
    mixed = (
        '<question type="multianswer"><name><text>c2</text></name><questiontext><text>'
        "选 {1:MULTICHOICE:=甲~乙} 填 {1:SA:=丙}</text></questiontext></question>"
    )
    result = run(bank_a, quiz(cloze, mixed))

    assert result.ok, result.errors
    question = Question.objects.get(bank=bank_a)
    assert question.stem == "三不伤害：不伤害自己、____、____。"
    assert question.answer == [["不伤害他人"], ["不被他人伤害"]]
    assert [(s.number, s.reason) for s in result.skipped] == [
        (2, "不支持的题型：完形填空（含选择或数值空）（multianswer）")
    ]


def test_question_errors_are_listed_by_number_and_name_and_nothing_is_written(bank_a):
    xml = quiz(
        multichoice("好题？", [("是", "100"), ("否", "0")], name="good"),
        multichoice("没有正确答案？", [("是", "0"), ("否", "0")], name="no-right"),
        multichoice("两个 100%？", [("是", "100"), ("否", "100")], name="two-right"),
        multichoice("只有一个选项？", [("是", "100")], name="one-option"),
        '<question type="truefalse"><name><text>tf</text></name>'
        "<questiontext><text>判断？</text></questiontext></question>",
        '<question type="shortanswer"><name><text>wild</text></name><questiontext><text>动物？</text></questiontext>'
        '<answer fraction="100"><text>*猫*</text></answer></question>',
        multichoice("", [("是", "100"), ("否", "0")], name="no-stem"),
    )
    result = run(bank_a, xml)

    assert [(e.number, e.label, e.field) for e in result.errors] == [
        (2, "no-right", "答案"),
        (3, "two-right", "答案"),
        (4, "one-option", "选项"),
        (5, "tf", "答案"),
        (6, "wild", "答案"),
        (7, "no-stem", "题干"),
    ]
    assert result.describe(result.errors[0]) == "第 2 题（no-right） · 答案：没有得分为 100% 的选项"
    assert "单选题只能有一个答案" in result.errors[1].reason
    assert "通配符" in result.errors[4].reason
    assert not Question.objects.exists() and not QuestionCategory.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'<?xml version="1.0"?>\n<quiz>\n  <question type="truefalse">\n</quiz>',
            "第 4 行第 3 列，开始标签与结束标签不匹配",
        ),
        (b"<quiz><question>", "文件不完整，缺少结束标签"),
        (b"<quiz></quiz><extra/>", "根元素之后还有多余内容"),
        (b'<!DOCTYPE quiz [<!ENTITY x "y">]><quiz>&x;</quiz>', "出于安全原因已整体拒绝导入"),
        (b"<questions><question/></questions>", "根元素应为 <quiz>"),
        (b"   ", "文件是空的"),
    ],
)
def test_a_malformed_file_is_refused_whole_in_chinese(bank_a, data, message):
    good = quiz(multichoice("好题？", [("是", "100"), ("否", "0")])).encode()
    result = run(bank_a, data, name="坏.xml")

    assert not result.ok and [e.number for e in result.errors] == [0]
    assert message in result.errors[0].reason
    assert not Question.objects.exists()
    assert run(bank_a, good).ok  # the same bank takes a good file afterwards


def test_format_is_detected_from_content_without_an_extension(bank_a):
    result = run(bank_a, quiz(multichoice("好题？", [("是", "100"), ("否", "0")])), name="questions")
    assert result.ok and result.format == "moodle-xml" and result.created == 1
