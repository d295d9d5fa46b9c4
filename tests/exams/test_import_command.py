"""python manage.py import_questions / export_questions."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from exams.models import Question, QuestionBank

from .question_helpers import GIFT_FIXTURE, MOODLE_FIXTURE, bank_a, q, xlsx_bytes  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def command(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def sheet(tmp_path):
    def write(rows, name="题库.xlsx"):
        path = tmp_path / name
        path.write_bytes(xlsx_bytes(rows))
        return str(path)

    return write


def test_import_into_a_new_platform_bank(sheet):
    out, _err = command(
        "import_questions", sheet([q(), q(stem="第二题？", category="通用/消防")]), "--bank", "平台通用题库"
    )

    bank = QuestionBank.objects.get(name="平台通用题库")
    assert bank.enterprise is None
    assert Question.objects.filter(bank=bank).count() == 2
    assert (
        "导入完成：平台公共题库 · 平台通用题库（新建题库）；文件共 2 道题，新增 2 道，跳过 0 道，新分类 2 个。" in out
    )


def test_import_into_an_existing_enterprise_bank_by_code(sheet, ent_a, bank_a):
    out, _err = command("import_questions", sheet([q()]), "--bank", bank_a.name, "--enterprise", "hxchem")

    assert Question.objects.filter(bank=bank_a).count() == 1
    assert f"{ent_a.name} · {bank_a.name}；" in out


def test_errors_are_printed_in_chinese_and_nothing_is_written(sheet, ent_a):
    path = sheet([q(), q(stem="第二题？", answer="E"), q("简答题", stem="第三题？")])

    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_questions", path, "--bank", "新题库", "--enterprise", "hxchem", stderr=err)

    assert str(exc.value) == "文件有 2 处错误，未导入任何题目。"
    lines = err.getvalue().splitlines()
    assert lines == [
        "第 3 行 · 答案：答案 E 没有对应的选项",
        "第 4 行 · 题型：未知题型“简答题”，应为 单选题、多选题、判断题 或 填空题",
    ]
    assert not Question.objects.exists()
    assert not QuestionBank.objects.filter(name="新题库").exists()  # the bank is not left behind either


def test_exit_codes(sheet, ent_a):
    """Errors raise CommandError, which manage.py turns into exit status 1.
    (call_command, not execute_from_command_line: the latter closes every
    database connection on exit, which would end the test's transaction.)"""
    good, bad = sheet([q()], "good.xlsx"), sheet([q(answer="Z")], "bad.xlsx")

    with pytest.raises(CommandError) as exc:
        call_command("import_questions", bad, "--bank", "题库", "--enterprise", "hxchem", stderr=io.StringIO())
    assert exc.value.returncode == 1
    call_command("import_questions", good, "--bank", "题库", "--enterprise", "hxchem", stdout=io.StringIO())
    assert Question.objects.count() == 1
    with pytest.raises(CommandError) as exc:
        call_command("import_questions", good, "--bank", "题库", "--enterprise", "nope", stderr=io.StringIO())
    assert exc.value.returncode == 1


def test_dry_run_checks_without_writing(sheet):
    out, _err = command("import_questions", sheet([q()]), "--bank", "试运行题库", "--dry-run")

    assert "检查通过（未写入）：平台公共题库 · 试运行题库（将新建题库）；文件共 1 道题，可导入 1 道" in out
    assert not QuestionBank.objects.exists() and not Question.objects.exists()


def test_duplicates_fail_by_default_and_are_skipped_on_request(sheet, bank_a):
    command("import_questions", sheet([q()]), "--bank", bank_a.name, "--enterprise", "hxchem")
    path = sheet([q(), q(stem="第二题？")], "again.xlsx")

    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_questions", path, "--bank", bank_a.name, "--enterprise", "hxchem", stderr=err)
    assert "第 2 行 · 题干：题库中已有相同题目" in err.getvalue()

    out, _err = command("import_questions", path, "--bank", bank_a.name, "--enterprise", "hxchem", "--skip-duplicates")
    assert "跳过 第 2 行：题库中已有相同题目，已跳过" in out
    assert Question.objects.filter(bank=bank_a).count() == 2


def test_the_moodle_fixtures_import_and_every_skip_is_printed(ent_a):
    out, _err = command("import_questions", GIFT_FIXTURE, "--bank", "GIFT", "--enterprise", "hxchem")
    assert "跳过 第 1 题（Q8）：不支持的题型：问答题（essay）" in out
    assert "跳过 第 2 题（Moodle activities）：不支持的题型：匹配题（matching）" in out
    assert "跳过 第 5 题（Q5）：不支持的题型：数值题（numerical）" in out
    assert "新增 5 道，跳过 4 道" in out

    out, _err = command(
        "import_questions", MOODLE_FIXTURE, "--bank", "XML", "--enterprise", "hxchem", "--format", "moodle-xml"
    )
    assert "跳过 第 2 题（Kappa Essay Question）：不支持的题型：问答题（essay）" in out
    assert "新增 4 道" in out and "新分类 4 个" in out


def test_a_malformed_file_fails_with_the_parser_message(tmp_path, ent_a):
    path = tmp_path / "bad.xml"
    path.write_text("<quiz><question type='truefalse'></quiz>", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_questions", str(path), "--bank", "题库", "--enterprise", "hxchem", stderr=err)
    assert err.getvalue().startswith("文件：文件不是有效的 XML，已整体拒绝导入：第 1 行第 ")


def test_missing_file_or_unknown_enterprise_is_an_error(sheet):
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_questions", "/nonexistent.xlsx", "--bank", "题库")
    with pytest.raises(CommandError, match="找不到企业：nope"):
        call_command("import_questions", sheet([q()]), "--bank", "题库", "--enterprise", "nope")


def test_export_both_formats(tmp_path, bank_a, sheet):
    command(
        "import_questions",
        sheet([q(category="消防"), q(stem="第二题？")]),
        "--bank",
        bank_a.name,
        "--enterprise",
        "hxchem",
    )

    xml_path, xlsx_path = tmp_path / "out.xml", tmp_path / "out.xlsx"
    out, _err = command(
        "export_questions",
        "--bank",
        bank_a.name,
        "--enterprise",
        "hxchem",
        "--format",
        "moodle-xml",
        "-o",
        str(xml_path),
    )
    assert "已导出" in out and "2 道题" in out
    assert xml_path.read_text(encoding="utf-8").startswith('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>')
    command(
        "export_questions", "--bank", bank_a.name, "--enterprise", "hxchem", "--format", "xlsx", "-o", str(xlsx_path)
    )
    rows = list(load_workbook(xlsx_path).worksheets[0].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 2

    # What was exported imports into another bank.
    out, _err = command("import_questions", str(xml_path), "--bank", "副本", "--enterprise", "hxchem")
    assert "新增 2 道" in out


def test_export_of_an_unknown_bank_fails(tmp_path, ent_a):
    with pytest.raises(CommandError, match="找不到题库"):
        call_command("export_questions", "--bank", "没有", "--format", "xlsx", "-o", str(tmp_path / "x.xlsx"))
    assert not Path(tmp_path / "x.xlsx").exists()
