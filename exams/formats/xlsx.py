"""The question spreadsheet (.xlsx, or .csv with the same headers).

One question per row, Chinese headers on row 1: 题型*, 题干*, 选项A…选项H,
答案*, 解析, 难度, 分类, 知识点, 适用岗位, 适用角色, 适用行业. Real files are
tolerated: answers written AC / A,C / A、C / A C / ａｃ / ＡＣ; true/false as
对/错, √/×, ✓/✗, 正确/错误, T/F, 是/否, Y/N; fill-in answers one blank per
``|`` (or ``｜``) with alternatives split by ``/`` or ``；``; option cells
that repeat their letter ("A. 正确"); stray spaces and line breaks; blank rows.
"""

from __future__ import annotations

import io
import re
import unicodedata

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms.accounts.roles import Role
from lms.imports import Column, ImportFileError, match_headers, read_table, table_errors
from lms.workforce.models import Industry

from ..models import Difficulty, QuestionType
from .common import (
    OPTION_KEYS,
    ParsedFile,
    Problem,
    QuestionDraft,
    clean_block,
    clean_line,
    parse_true_false,
    split_category,
    validate_draft,
)

MAX_ROWS = 20_000

COLUMNS: tuple[Column, ...] = (
    Column(
        "type",
        "题型",
        True,
        gettext_lazy(
            "单选题、多选题、判断题、填空题（也接受 单选、多选、判断、填空 和 single/multiple/true_false/fill_blank）。"
        ),
        "单选题",
        aliases=("题目类型", "试题类型", "类型"),
        width=10,
    ),
    Column(
        "stem",
        "题干",
        True,
        gettext_lazy("题目内容。填空题用 ____ 或（ ）标出空位。"),
        "",
        aliases=("题目", "试题内容", "题目内容", "问题"),
        width=48,
    ),
    *(
        Column(
            f"option_{key}",
            f"选项{key}",
            False,
            gettext_lazy("选择题的选项，从 A 起连续填写，至少 2 个、最多 8 个；判断题和填空题留空。"),
            "",
            aliases=(key, f"{key}选项", f"选项 {key}"),
            width=18,
        )
        for key in OPTION_KEYS
    ),
    Column(
        "answer",
        "答案",
        True,
        gettext_lazy(
            "选择题填选项字母（如 A、AC、A,C）；判断题填 对/错（或 √/×、正确/错误、T/F）；"
            "填空题每空之间用 | 分隔，同一空的多个可接受答案用 / 分隔。"
        ),
        "",
        aliases=("正确答案", "标准答案", "参考答案"),
        width=14,
    ),
    Column(
        "explanation",
        "解析",
        False,
        gettext_lazy("答案解析，可留空。"),
        "",
        aliases=("答案解析", "试题解析", "解释"),
        width=30,
    ),
    Column(
        "difficulty",
        "难度",
        False,
        gettext_lazy("容易、中等、困难（或 1、2、3，易、中、难）。留空为中等。"),
        "中等",
        aliases=("难易程度", "难度等级"),
        width=8,
    ),
    Column(
        "category",
        "分类",
        False,
        gettext_lazy("分类路径，各级之间用 / 或 ＞ 分隔，如 通用知识/危险化学品/储存；不存在的分类会自动新建。"),
        "",
        aliases=("题目分类", "所属分类", "章节", "分类路径"),
        width=24,
    ),
    Column(
        "tags",
        "知识点",
        False,
        gettext_lazy("多个知识点用 、 或逗号分隔。"),
        "",
        aliases=("知识点标签", "标签"),
        width=16,
    ),
    Column(
        "posts",
        "适用岗位",
        False,
        gettext_lazy("岗位编码或名称，多个用 、 或逗号分隔；留空为不限。"),
        "",
        aliases=("岗位",),
        width=16,
    ),
    Column(
        "roles",
        "适用角色",
        False,
        gettext_lazy("从业人员、主要负责人、安全管理人员等，多个用 、 分隔；留空为不限。"),
        "",
        aliases=("角色",),
        width=16,
    ),
    Column(
        "industries",
        "适用行业",
        False,
        gettext_lazy("如 危险化学品、一般制造业，多个用 、 分隔；留空为不限。"),
        "",
        aliases=("行业",),
        width=16,
    ),
)
HEADER = {c.field: c.header for c in COLUMNS}

_TYPE_WORDS = {
    QuestionType.SINGLE: (
        "单选",
        "单选题",
        "单项选择",
        "单项选择题",
        "单择题",
        "single",
        "single_choice",
        "singlechoice",
        "s",
    ),
    QuestionType.MULTIPLE: (
        "多选",
        "多选题",
        "多项选择",
        "多项选择题",
        "不定项",
        "不定项选择题",
        "multiple",
        "multiple_choice",
        "multi",
        "m",
    ),
    QuestionType.TRUE_FALSE: ("判断", "判断题", "是非题", "对错题", "true_false", "truefalse", "tf", "judge", "j"),
    QuestionType.FILL_BLANK: ("填空", "填空题", "fill_blank", "fillblank", "fill", "blank", "fb", "f"),
}
_TYPE_LOOKUP = {word: str(code) for code, words in _TYPE_WORDS.items() for word in words}

_DIFFICULTY_WORDS = {
    Difficulty.EASY: ("容易", "易", "简单", "较易", "低", "1", "easy"),
    Difficulty.MEDIUM: ("中等", "中", "一般", "适中", "普通", "2", "medium", "normal"),
    Difficulty.HARD: ("困难", "难", "较难", "高", "3", "hard", "difficult"),
}
_DIFFICULTY_LOOKUP = {word: int(code) for code, words in _DIFFICULTY_WORDS.items() for word in words}

_ROLE_LOOKUP = {**{str(r.label): r.value for r in Role}, **{r.value: r.value for r in Role}}
_INDUSTRY_LOOKUP = {**{str(i.label): i.value for i in Industry}, **{i.value: i.value for i in Industry}}

_LIST_SPLIT = re.compile(r"[,，、;；\n]+")
_LETTER_JUNK = re.compile(r"[\s,、;/|.。:+和及]+")
_LETTERS = re.compile(r"[A-Z]+")
_BLANKS = re.compile(r"[|｜]")
_ALTERNATIVES = re.compile(r"[/；;]")
_OPTION_PREFIX = re.compile(r"^\s*([A-Ha-hＡ-Ｈａ-ｈ])\s*[.．、:：)）]\s*")
_NUMBER_TAIL = re.compile(r"^(\d+)\.0+$")


def _key(text: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text)).lower()


def parse_type(text: str) -> str | None:
    """The QuestionType code for what people write in 题型; None if unknown."""
    return _TYPE_LOOKUP.get(_key(text))


def parse_difficulty(text: str) -> int | None:
    """1–3 for 容易/中等/困难 and their variants; 中等 for a blank cell; None if unknown."""
    key = _key(text)
    if not key:
        return int(Difficulty.MEDIUM)
    key = _NUMBER_TAIL.sub(r"\1", key)
    return _DIFFICULTY_LOOKUP.get(key)


def parse_letters(text: str) -> list[str] | None:
    """The option letters of a choice answer (AC, A,C, A、C, a c, ＡＣ …),
    sorted and without repeats; None if it is not a list of letters."""
    compact = _LETTER_JUNK.sub("", unicodedata.normalize("NFKC", text).upper())
    if not compact or not _LETTERS.fullmatch(compact):
        return None
    return sorted(set(compact))


def parse_blanks(text: str) -> list[list[str]]:
    """Fill-in answers: one list of accepted answers per blank."""
    if not text.strip():
        return []
    return [[clean_line(alt) for alt in _ALTERNATIVES.split(blank) if clean_line(alt)] for blank in _BLANKS.split(text)]


def split_list(text: str) -> list[str]:
    return [clean_line(part) for part in _LIST_SPLIT.split(text or "") if clean_line(part)]


def _strip_option_prefix(text: str, key: str) -> str:
    match = _OPTION_PREFIX.match(text)
    if match and unicodedata.normalize("NFKC", match[1]).upper() == key:
        return text[match.end() :].strip() or text
    return text


def parse(data: bytes, filename: str) -> ParsedFile:
    """Read the question spreadsheet; every bad cell becomes a Problem with its
    Excel row number and column."""
    result = ParsedFile(unit="row")
    try:
        df = read_table(io.BytesIO(data), filename, max_rows=MAX_ROWS)
    except ImportFileError as exc:
        result.errors.append(Problem(0, "", str(exc.messages[0])))
        return result
    headers = match_headers(list(df.columns), COLUMNS) if len(df.columns) else {}
    for problem in table_errors(len(df), headers, COLUMNS, MAX_ROWS):
        result.errors.append(Problem(problem.row, problem.column, problem.reason))
    if result.errors:
        return result
    result.total = len(df)

    def column(fieldname):
        header = headers.get(fieldname)
        return [""] * len(df) if header is None else df[header].tolist()

    values = {c.field: column(c.field) for c in COLUMNS}
    for index, row_number in enumerate(df.index):
        cell = {name: str(col[index]) for name, col in values.items()}
        _parse_row(int(row_number), cell, result)
    return result


def _parse_row(number: int, cell: dict[str, str], result: ParsedFile) -> None:
    errors: list[tuple[str, str]] = []
    err = errors.append

    type_text = clean_line(cell["type"])
    qtype = parse_type(type_text)
    stem = clean_block(cell["stem"])
    if qtype is None:
        if type_text:
            err((HEADER["type"], _("未知题型“%(type)s”，应为 单选题、多选题、判断题 或 填空题") % {"type": type_text}))
        else:
            err((HEADER["type"], _("必填项不能为空")))
    if not stem:
        err((HEADER["stem"], _("题干不能为空")))

    # Options: A… in order, no gaps.
    filled = []
    for key in OPTION_KEYS:
        text = clean_line(cell[f"option_{key}"])
        if text:
            filled.append((key, _strip_option_prefix(text, key)))
    options = []
    if filled:
        last = OPTION_KEYS.index(filled[-1][0])
        present = {key for key, _text in filled}
        for key in OPTION_KEYS[: last + 1]:
            if key not in present:
                err((f"选项{key}", _("选项须从 A 起连续填写，选项%(key)s 为空") % {"key": key}))
        options = [{"key": key, "text": text} for key, text in filled]

    answer_text = str(cell["answer"]).strip()
    answer: list = []
    bad_options = False
    if qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        if not answer_text:
            err((HEADER["answer"], _("没有填写答案")))
        else:
            letters = parse_letters(answer_text)
            if letters is None:
                by_text = {clean_line(o["text"]): o["key"] for o in options}
                letter = by_text.get(clean_line(answer_text))
                if letter:
                    letters = [letter]
            if letters is None:
                err(
                    (
                        HEADER["answer"],
                        _("选择题答案应填选项字母，如 A 或 AC，填写的是“%(text)s”") % {"text": answer_text[:30]},
                    )
                )
            else:
                answer = letters
    elif qtype == QuestionType.TRUE_FALSE:
        truth_by_key = {}
        if options:
            truths = [parse_true_false(o["text"]) for o in options]
            if len(options) != 2 or None in truths or truths[0] == truths[1]:
                err((_("选项"), _("判断题的选项只能是“正确”和“错误”（或留空）")))
                bad_options = True
            else:
                truth_by_key = {o["key"]: t for o, t in zip(options, truths, strict=True)}
            options = []
        value = parse_true_false(answer_text)
        if value is None and truth_by_key:
            letters = parse_letters(answer_text)
            if letters and len(letters) == 1 and letters[0] in truth_by_key:
                value = truth_by_key[letters[0]]
        if not answer_text:
            err((HEADER["answer"], _("没有填写答案")))
        elif value is None and bad_options and parse_letters(answer_text):
            pass  # the letter names one of the options already reported
        elif value is None:
            err(
                (
                    HEADER["answer"],
                    _("判断题答案应为 对/错、√/×、正确/错误 或 T/F，填写的是“%(text)s”") % {"text": answer_text[:30]},
                )
            )
        else:
            answer = [value]
    elif qtype == QuestionType.FILL_BLANK:
        answer = parse_blanks(answer_text)

    difficulty = parse_difficulty(cell["difficulty"])
    if difficulty is None:
        err(
            (
                HEADER["difficulty"],
                _("难度应为 容易/中等/困难（或 1–3、易/中/难），填写的是“%(text)s”")
                % {"text": cell["difficulty"].strip()[:20]},
            )
        )
        difficulty = int(Difficulty.MEDIUM)

    applicability = {}
    roles = []
    for word in split_list(cell["roles"]):
        code = _ROLE_LOOKUP.get(word) or _ROLE_LOOKUP.get(word.lower())
        if code is None:
            err(
                (
                    HEADER["roles"],
                    _("未知角色“%(role)s”，可填：%(known)s")
                    % {"role": word, "known": "、".join(str(r.label) for r in Role)},
                )
            )
        elif code not in roles:
            roles.append(code)
    industries = []
    for word in split_list(cell["industries"]):
        code = _INDUSTRY_LOOKUP.get(word) or _INDUSTRY_LOOKUP.get(word.lower())
        if code is None:
            err(
                (
                    HEADER["industries"],
                    _("未知行业“%(name)s”，可填：%(known)s")
                    % {"name": word, "known": "、".join(str(i.label) for i in Industry)},
                )
            )
        elif code not in industries:
            industries.append(code)
    posts = split_list(cell["posts"])
    for key, items in (("industries", industries), ("posts", posts), ("roles", roles)):
        if items:
            applicability[key] = items

    if qtype is None:
        for fieldname, reason in errors:
            result.errors.append(Problem(number, fieldname, reason))
        return

    draft = QuestionDraft(
        number=number,
        type=qtype,
        stem=stem,
        options=options,
        answer=answer,
        explanation=clean_block(cell["explanation"]),
        difficulty=difficulty,
        category=split_category(cell["category"]),
        tags="、".join(split_list(cell["tags"])),
        applicability=applicability,
    )
    # The structural rules shared with the other formats; skip what this row
    # already reported in its own words.
    reported = {f for f, _r in errors}
    for fieldname, reason in validate_draft(draft):
        if fieldname == _("题干") and HEADER["stem"] in reported:
            continue
        if fieldname == _("答案") and (HEADER["answer"] in reported or bad_options):
            continue
        if fieldname == _("选项") and (_("选项") in reported or any(f.startswith("选项") for f in reported)):
            continue
        if fieldname == _("难度") and HEADER["difficulty"] in reported:
            continue
        errors.append((fieldname, reason))
    if errors:
        for fieldname, reason in errors:
            result.errors.append(Problem(number, fieldname, reason))
        return
    result.drafts.append(draft)
