"""Importing GIFT: Moodle's own fixture, escapes, categories, feedback,
unsupported types skipped, bad questions reported."""

import io
from pathlib import Path

import pytest

from exams.importing import import_questions
from exams.models import Question, QuestionType

from .question_helpers import GIFT_FIXTURE, bank_a  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def run(bank, text: str | bytes, name="questions.gift", **kwargs):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return import_questions(bank=bank, fileobj=io.BytesIO(data), filename=name, actor=None, **kwargs)


def test_moodles_gift_fixture_imports_and_lists_what_it_skips(bank_a):
    result = run(bank_a, Path(GIFT_FIXTURE).read_bytes(), name="questions.gift.txt")

    assert result.ok, result.errors
    assert (result.format, result.total, result.created) == ("gift", 9, 5)
    assert [(s.number, s.label, s.reason) for s in result.skipped] == [
        (1, "Q8", "不支持的题型：问答题（essay）"),
        (2, "Moodle activities", "不支持的题型：匹配题（matching）"),
        (5, "Q5", "不支持的题型：数值题（numerical）"),
        (9, "2-08 TSL", "与第 8 题（2-08 TSL）完全相同，已跳过"),
    ]
    got = {(q.type, q.stem): q for q in Question.objects.filter(bank=bank_a)}
    spectrum = "What's between orange and green in the spectrum?"
    single = got[(QuestionType.SINGLE, spectrum)]
    assert [o["text"] for o in single.options] == ["yellow", "red", "blue"] and single.answer == ["A"]
    multiple = got[(QuestionType.MULTIPLE, spectrum)]
    assert [o["text"] for o in multiple.options] == ["yellow", "red", "off-beige", "blue"]
    assert multiple.answer == ["A", "C"]
    # Only the 100 % answer is accepted; partial credit (Cat) and the 0 % wildcard are dropped.
    assert got[(QuestionType.FILL_BLANK, "Which is the best animal?")].answer == [["Frog"]]
    ultimate = got[(QuestionType.TRUE_FALSE, "42 is the Absolute Answer to everything.")]
    assert ultimate.answer == [False]
    assert ultimate.explanation == "This is, of course, a Hitchiker's Guide to the Galaxy reference."
    assert got[(QuestionType.TRUE_FALSE, "TSL is blablabla.")].answer == [True]


def test_categories_escapes_format_markers_and_missing_word(bank_a):
    text = """
// 一个注释
$CATEGORY: $course$/top/安全知识/用电

::电压::[html]<p>安全电压不超过 \\{36\\} 伏\\: 对吗？</p>{T####[plain]36 伏是常用安全电压。}

::符号::[markdown]选择正确的等式 {
  =1 \\= 1 # 对
  ~1 \\~ 2
  ~[html]<b>1 \\# 3</b>
}

$CATEGORY: 法律法规

安全生产方针是安全第一、{=预防为主 =预防}、综合治理。
"""
    result = run(bank_a, text)

    assert result.ok, result.errors
    got = {q.stem: q for q in Question.objects.filter(bank=bank_a).select_related("category")}
    voltage = got["安全电压不超过 {36} 伏: 对吗？"]
    assert voltage.answer == [True] and voltage.explanation == "36 伏是常用安全电压。"
    assert voltage.category.path == "安全知识/用电"
    signs = got["选择正确的等式"]
    assert [o["text"] for o in signs.options] == ["1 = 1", "1 ~ 2", "1 # 3"] and signs.answer == ["A"]
    fill = got["安全生产方针是安全第一、____、综合治理。"]
    assert fill.answer == [["预防为主", "预防"]] and fill.category.path == "法律法规"


def test_multiple_response_takes_every_positive_weight(bank_a):
    result = run(bank_a, "下列属于防护用品的是？{~%50%安全帽 ~%-50%打火机 ~%50%防护手套 ~%0%香烟}")

    assert result.ok, result.errors
    question = Question.objects.get(bank=bank_a)
    assert question.type == QuestionType.MULTIPLE and question.answer == ["A", "C"]


def test_bad_questions_are_reported_by_number_and_nothing_is_written(bank_a):
    text = """::好::好题？{=是 ~否}

::缺括号::没有右括号{=是 ~否

::没有对的::哪个对？{~甲 ~乙}

::单选两对::哪个对？{=甲 =乙 ~丙}

::通配::动物？{=*猫*}

::说明::只是一段说明文字。
"""
    result = run(bank_a, text)

    assert [(e.number, e.label, e.field) for e in result.errors] == [
        (2, "缺括号", "答案"),
        (3, "没有对的", "答案"),
        (4, "单选两对", "答案"),
        (5, "通配", "答案"),
    ]
    assert "缺少与 { 配对的 }" in result.errors[0].reason
    assert "单选题只能有一个答案" in result.errors[2].reason
    assert [(s.number, s.reason) for s in result.skipped] == [(6, "不支持的题型：说明文字（没有答案部分）")]
    assert not Question.objects.exists()


def test_gbk_text_file_is_read(bank_a):
    result = run(bank_a, "进入受限空间前必须先检测气体。{TRUE}".encode("gb18030"), name="题目.txt")

    assert result.ok and result.format == "gift"
    assert Question.objects.get(bank=bank_a).answer == [True]
