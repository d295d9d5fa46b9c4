"""Importing questions from the xlsx template: messy real files, every error
kind, duplicates, all-or-nothing."""

import io

import pytest
from django.core.exceptions import PermissionDenied

from exams.importing import import_questions
from exams.models import Question, QuestionCategory, QuestionType
from exams.question_services import bank_create, question_create

from .question_helpers import HEADERS, bank_a, bank_b, q, sam, xlsx_bytes  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def run(bank, rows, *, headers=HEADERS, actor=None, name="题库.xlsx", **kwargs):
    return import_questions(
        bank=bank, fileobj=io.BytesIO(xlsx_bytes(rows, headers)), filename=name, actor=actor, **kwargs
    )


def by_stem(bank):
    return {x.stem: x for x in Question.objects.filter(bank=bank)}


def test_a_clean_file_of_every_type_is_imported_with_categories(bank_a, sam):
    rows = [
        q(category="通用知识/用电安全", explanation="先断电。", difficulty="容易"),
        q(
            "多选题",
            "动火作业前应当做到哪些？",
            "办理许可",
            "清理可燃物",
            "安排监护人",
            "携带打火机",
            "ABC",
            category="通用知识/动火作业",
        ),
        q("判断题", "进入受限空间前必须先通风、检测。", None, None, None, answer="对", difficulty="困难"),
        q(
            "填空题",
            "安全生产方针是安全第一、____、综合治理。",
            None,
            None,
            None,
            answer="预防为主",
            category="法律法规",
        ),
    ]
    result = run(bank_a, rows, actor=sam)

    assert result.ok, result.errors
    assert (result.created, result.total, result.unit, result.format) == (4, 4, "row", "xlsx")
    assert result.written and result.new_categories == 4
    got = by_stem(bank_a)
    single = got["发现有人触电，首先应当？"]
    assert single.type == QuestionType.SINGLE and single.answer == ["A"]
    assert single.options == [
        {"key": "A", "text": "切断电源"},
        {"key": "B", "text": "拨打 120"},
        {"key": "C", "text": "用手拉开"},
    ]
    assert single.explanation == "先断电。" and single.difficulty == 1
    assert single.category.path == "通用知识/用电安全" and single.category.parent.path == "通用知识"
    assert single.source == "题库.xlsx" and single.version == 1 and single.is_current and len(single.fingerprint) == 64
    assert got["动火作业前应当做到哪些？"].answer == ["A", "B", "C"]
    tf = got["进入受限空间前必须先通风、检测。"]
    assert (tf.type, tf.answer, tf.options, tf.difficulty, tf.category) == (
        QuestionType.TRUE_FALSE,
        [True],
        [],
        3,
        None,
    )
    assert got["安全生产方针是安全第一、____、综合治理。"].answer == [["预防为主"]]
    assert set(QuestionCategory.objects.filter(bank=bank_a).values_list("path", flat=True)) == {
        "通用知识",
        "通用知识/用电安全",
        "通用知识/动火作业",
        "法律法规",
    }


@pytest.mark.parametrize("written", ["AC", "A,C", "A、C", "A C", "a c", "ＡＣ", "ａ，ｃ", " C A ", "A；C", "CA"])
def test_multiple_choice_answers_in_every_spelling(bank_a, written):
    result = run(bank_a, [q("多选题", "下列属于个人防护用品的是？", "安全帽", "灭火器", "防护手套", "警示牌", written)])

    assert result.ok, result.errors
    assert Question.objects.get(bank=bank_a).answer == ["A", "C"]


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("对", True),
        ("错", False),
        ("√", True),
        ("×", False),
        ("✓", True),
        ("✗", False),
        ("正确", True),
        ("错误", False),
        ("T", True),
        ("f", False),
        ("是", True),
        ("否", False),
        ("Y", True),
        ("N", False),
        (" TRUE ", True),
        ("Ｆ", False),
    ],
)
def test_true_false_answers_in_every_spelling(bank_a, written, value):
    result = run(bank_a, [q("判断", "氧气瓶可以与乙炔瓶混放。", None, None, None, answer=written)])

    assert result.ok, result.errors
    assert Question.objects.get(bank=bank_a).answer == [value]


def test_true_false_with_correct_wrong_options_takes_a_letter(bank_a):
    result = run(bank_a, [q("判断题", "安全帽必须系好下颏带。", "正确", "错误", None, answer="A")])

    assert result.ok, result.errors
    question = Question.objects.get(bank=bank_a)
    assert question.answer == [True] and question.options == []


def test_fill_in_blanks_and_alternatives(bank_a):
    rows = [
        q("填空题", "“三不伤害”是不伤害自己、____、____。", None, None, None, answer="不伤害他人|不被他人伤害"),
        q("填空", "灭火的基本方法有冷却法、____等。", None, None, None, answer="窒息法/隔离法／抑制法｜x"),
        q("fill_blank", "安全电压一般不超过____伏。", None, None, None, answer="36；三十六"),
    ]
    result = run(bank_a, rows)

    assert result.ok, result.errors
    got = by_stem(bank_a)
    assert got["“三不伤害”是不伤害自己、____、____。"].answer == [["不伤害他人"], ["不被他人伤害"]]
    assert got["灭火的基本方法有冷却法、____等。"].answer == [["窒息法", "隔离法／抑制法"], ["x"]]
    assert got["安全电压一般不超过____伏。"].answer == [["36", "三十六"]]


def test_stray_spaces_line_breaks_blank_rows_codes_and_letter_prefixes_are_tolerated(bank_a):
    headers = [
        " 题型 ",
        "题干（必填）",
        "A",
        "选项 B",
        "选项C",
        "选项D",
        "正确答案",
        "答案解析",
        "难易程度",
        "所属分类",
    ]
    rows = [
        [
            " single ",
            "  发现火情，\n\n 应当立即？  \n",
            " A. 报警 ",
            "B、逃跑",
            "C．观望",
            None,
            " a\n",
            "  先报警。 ",
            " 易 ",
            " 通用知识 ＞ 消防 ",
        ],
        [None, None, None, None, None, None, None, None, None, None],
        [
            "MULTIPLE",
            "下列属于特种作业的是？",
            "电工作业",
            "焊接与热切割作业",
            "文秘工作",
            None,
            "A B",
            None,
            "3",
            "通用知识>特种作业",
        ],
        ["tf", "可以用湿手触碰开关。", None, None, None, None, "×", None, "中", None],
    ]
    result = run(bank_a, rows, headers=headers)

    assert result.ok, result.errors
    assert result.total == 3
    got = by_stem(bank_a)
    fire = got["发现火情，\n应当立即？"]
    assert [o["text"] for o in fire.options] == ["报警", "逃跑", "观望"]
    assert fire.answer == ["A"] and fire.explanation == "先报警。" and fire.difficulty == 1
    assert fire.category.path == "通用知识/消防"
    special = got["下列属于特种作业的是？"]
    assert (
        special.type == QuestionType.MULTIPLE
        and special.difficulty == 3
        and special.category.path == "通用知识/特种作业"
    )
    assert got["可以用湿手触碰开关。"].answer == [False]


def test_knowledge_tags_and_applicability(bank_a):
    headers = [*HEADERS, "知识点", "适用岗位", "适用角色", "适用行业"]
    row = [*q(), "用电安全，触电急救", "A-OP、电工", "主要负责人、safety_manager", "危险化学品"]
    result = run(bank_a, [row], headers=headers)

    assert result.ok, result.errors
    question = Question.objects.get(bank=bank_a)
    assert question.tags == "用电安全、触电急救"
    assert question.applicability == {
        "industries": ["hazardous_chemicals"],
        "posts": ["A-OP", "电工"],
        "roles": ["principal", "safety_manager"],
    }


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        (q("问答题"), "题型", "未知题型“问答题”"),
        (q(None), "题型", "必填项不能为空"),
        (q(stem="  "), "题干", "题干不能为空"),
        (q(answer="D"), "答案", "答案 D 没有对应的选项"),
        (q(answer="AB"), "答案", "单选题只能有一个答案，填写了 AB"),
        (q(b=None, c=None), "选项", "选择题至少需要 2 个选项，现有 1 个"),
        (q(b=None), "选项B", "选项须从 A 起连续填写，选项B 为空"),
        (q(answer=None), "答案", "没有填写答案"),
        (q(answer="第一个"), "答案", "选择题答案应填选项字母"),
        (q(c="切断电源"), "选项C", "与选项A的内容相同"),
        (q("判断题", "可以带电作业。", "可以", "不可以", None, answer="B"), "选项", "判断题的选项只能是“正确”和“错误”"),
        (q("判断题", "可以带电作业。", None, None, None, answer="也许"), "答案", "判断题答案应为 对/错"),
        (q("填空题", "安全电压不超过____伏。", None, None, None, answer=None), "答案", "填空题没有答案"),
        (q("填空题", "____和____。", None, None, None, answer="a|"), "答案", "第 2 空没有答案"),
        (q("填空题", "安全电压不超过____伏。", "36", None, None, answer="36"), "选项", "填空题不需要选项"),
        (q(difficulty="很难"), "难度", "难度应为 容易/中等/困难"),
    ],
)
def test_each_error_kind_is_reported_with_row_field_and_reason(bank_a, row, field, reason):
    result = run(bank_a, [q(stem="第一题：正常的题目？"), row])

    assert not result.ok and result.created == 0 and not result.written
    assert [(e.number, e.field) for e in result.errors] == [(3, field)], result.errors
    assert reason in result.errors[0].reason
    assert result.describe(result.errors[0]).startswith(f"第 3 行 · {field}：")
    assert not Question.objects.exists()


def test_nothing_is_written_when_any_row_is_bad_and_every_bad_row_is_listed(bank_a):
    rows = [q(stem=f"第 {n} 题？") for n in range(1, 51)]
    rows[9] = q(stem="第 10 题？", answer="E")
    rows[29] = q("简答题", stem="第 30 题？")
    rows[49] = q(stem="第 50 题？", difficulty="超难")

    result = run(bank_a, rows)

    assert [e.number for e in result.errors] == [11, 31, 51]
    assert not Question.objects.exists() and not QuestionCategory.objects.exists()


def test_missing_required_column_refuses_the_file(bank_a):
    result = run(bank_a, [["单选题", "题干？", "甲", "乙"]], headers=["题型", "题干", "选项A", "选项B"])

    assert not result.ok
    assert result.errors[0].number == 1 and "缺少必填列：答案" in result.errors[0].reason


def test_an_unreadable_file_is_refused(bank_a):
    result = import_questions(bank=bank_a, fileobj=io.BytesIO(b"not a zip"), filename="坏文件.xlsx", actor=None)

    assert not result.ok and result.errors[0].number == 0
    assert "无法打开该 Excel 文件" in result.errors[0].reason
    assert result.describe(result.errors[0]).startswith("文件：")


def test_a_conflicting_duplicate_within_the_file_names_the_first_row(bank_a):
    rows = [q(), q(stem="另一题？"), q(stem=" 发现有人触电，首先应当？ ", answer="B")]
    result = run(bank_a, rows)

    assert [(e.number, e.field, e.reason) for e in result.errors] == [
        (4, "题干", "与第 2 行的题目重复（题型、题干和选项相同）")
    ]
    assert len(result.duplicates) == 1 and not Question.objects.exists()


def test_a_plain_repeat_within_the_file_is_skipped_not_imported_twice(bank_a):
    # Same stem written with other spaces / full-width letters, options reordered, same answer.
    rows = [q(), q(stem="发现有人触电， 首先应当？", a="拨打 120", b="切断电源", answer="B")]
    result = run(bank_a, rows)

    assert result.ok and result.created == 1
    assert [(s.number, s.reason) for s in result.skipped] == [(3, "与第 2 行完全相同，已跳过")]
    assert Question.objects.count() == 1


def test_a_question_the_bank_already_has_is_an_error_unless_duplicates_are_skipped(bank_a):
    question_create(
        bank=bank_a,
        type="single",
        stem="发现有人触电，首先应当？",
        options=[{"key": "A", "text": "用手拉开"}, {"key": "B", "text": "切断电源"}, {"key": "C", "text": "拨打 120"}],
        answer=["B"],
        actor=None,
    )
    rows = [q(), q(stem="新的一题？")]

    refused = run(bank_a, rows)
    assert [(e.number, e.field, e.reason) for e in refused.errors] == [(2, "题干", "题库中已有相同题目")]
    assert Question.objects.count() == 1

    skipped = run(bank_a, rows, skip_duplicates=True)
    assert skipped.ok and skipped.created == 1
    assert [(s.number, s.reason) for s in skipped.skipped] == [(2, "题库中已有相同题目，已跳过")]
    assert len(skipped.duplicates) == 1
    assert Question.objects.count() == 2


def test_the_same_question_in_another_bank_is_not_a_duplicate(bank_a, bank_b):
    assert run(bank_b, [q()]).ok
    result = run(bank_a, [q()])
    assert result.ok and result.created == 1


def test_dry_run_counts_but_writes_nothing(bank_a):
    result = run(bank_a, [q(category="新分类/子类"), q(stem="第二题？")], dry_run=True)

    assert result.ok and result.created == 2 and result.new_categories == 2 and not result.written
    assert not Question.objects.exists() and not QuestionCategory.objects.exists()


def test_existing_categories_are_reused(bank_a):
    run(bank_a, [q(category="通用知识/消防")])
    result = run(bank_a, [q(stem="第二题？", category="通用知识＞消防＞灭火器")])

    assert result.new_categories == 1
    assert QuestionCategory.objects.filter(bank=bank_a).count() == 3


def test_an_outsider_or_a_plain_editor_cannot_import(bank_a, charlie, sam, ent_a):
    with pytest.raises(PermissionDenied):
        run(bank_a, [q()], actor=charlie)
    platform = bank_create(enterprise=None, name="平台题库", actor=None)
    with pytest.raises(PermissionDenied):
        run(platform, [q()], actor=sam)
    assert not Question.objects.exists()


def test_import_uses_a_bounded_number_of_queries(bank_a, django_assert_max_num_queries):
    rows = [q(stem=f"第 {n} 题？", category=f"分类{n % 5}/子类{n % 3}") for n in range(400)]
    with django_assert_max_num_queries(30):
        result = run(bank_a, rows)
    assert result.ok and Question.objects.count() == 400
