"""Moodle XML (``<quiz>`` of ``<question>`` elements), import and export.

Import: ``type="category"`` sets the category of the questions that follow
(``$course$/``, ``$system$/``… and ``top/`` dropped); multichoice (single and
multiple response), truefalse, shortanswer (answers worth 100 % become the
accepted answers of one blank) and cloze made only of short-answer blanks
become questions; every other type is listed as skipped with its reason.
Question text and general feedback (解析) are reduced to plain text. A file
that is not well-formed XML is refused whole with the parser's position.

Export (:func:`build`): category questions first, then their questions, in a
form Moodle's importer and :func:`parse` both accept.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET  # noqa: N817 - only for building (export) and ParseError
from collections.abc import Iterable

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.translation import gettext as _

from ..models import QuestionType
from .common import (
    MAX_OPTIONS,
    OPTION_KEYS,
    ParsedFile,
    Problem,
    QuestionDraft,
    Skipped,
    clean_line,
    parse_true_false,
    rich_to_text,
    validate_draft,
)

UNSUPPORTED = {
    "essay": "问答题",
    "matching": "匹配题",
    "numerical": "数值题",
    "description": "说明文字（不是题目）",
    "calculated": "计算题",
    "calculatedsimple": "简单计算题",
    "calculatedmulti": "计算选择题",
    "multianswer": "完形填空（含选择或数值空）",
    "ddwtos": "拖放文字题",
    "ddimageortext": "拖放图片题",
    "ddmarker": "拖放标记题",
    "gapselect": "下拉选词题",
    "randomsamatch": "随机简答匹配题",
    "ordering": "排序题",
    "random": "随机题",
}

# Expat's messages, in the words a user reads (the position is added).
_EXPAT_MESSAGES = {
    "mismatched tag": "开始标签与结束标签不匹配",
    "not well-formed (invalid token)": "格式错误（无效的字符或标记）",
    "unclosed token": "标记没有闭合",
    "no element found": "文件不完整，缺少结束标签",
    "junk after document element": "根元素之后还有多余内容",
    "undefined entity": "使用了未定义的实体",
    "syntax error": "语法错误",
    "unbound prefix": "使用了未声明的命名空间前缀",
    "duplicate attribute": "同一标签中有重复的属性",
    "unclosed CDATA section": "CDATA 段没有闭合",
    "XML declaration not well-formed": "XML 声明格式错误",
    "encoding specified in XML declaration is incorrect": "XML 声明中的编码不正确",
    "unknown encoding": "未知的文件编码",
}
_POSITION = re.compile(r"^(.*?): line (\d+), column (\d+)$")
_PREFIX = re.compile(r"^\$[a-z0-9_]+\$/?", re.I)


def parser_message(exc: Exception) -> str:
    """The XML parser's complaint in Chinese, with line and column."""
    text = str(exc)
    match = _POSITION.match(text)
    if match:
        what = _EXPAT_MESSAGES.get(match[1], match[1])
        return _("文件不是有效的 XML，已整体拒绝导入：第 %(line)s 行第 %(col)s 列，%(what)s") % {
            "line": match[2],
            "col": int(match[3]) + 1,
            "what": what,
        }
    return _("文件不是有效的 XML，已整体拒绝导入：%(what)s") % {"what": _EXPAT_MESSAGES.get(text, text)}


def category_names(text: str) -> tuple[str, ...]:
    """The category names of a Moodle category path ($course$/top/A/B → A, B;
    a "//" inside a name is a literal slash)."""
    text = (text or "").strip()
    text = _PREFIX.sub("", text)
    parts = [clean_line(p.replace("\x00", "／")) for p in text.replace("//", "\x00").split("/")]
    parts = [p for p in parts if p]
    if parts and parts[0].lower() == "top":
        parts = parts[1:]
    return tuple(parts)


def _text(element, path: str = "text") -> str:
    node = element.find(path) if element is not None else None
    return (node.text or "") if node is not None else ""


def _rich(element, tag: str) -> str:
    node = element.find(tag)
    if node is None:
        return ""
    return rich_to_text(_text(node), node.get("format", "html"))


def _fraction(answer) -> float:
    try:
        return float(answer.get("fraction", "0") or 0)
    except ValueError:
        return 0.0


def _is_single(question) -> bool:
    node = question.find("single")
    raw = (node.text if node is not None else None) or question.get("single") or "true"
    return raw.strip().lower() in ("true", "1", "yes")


_CLOZE = re.compile(r"\{(\d*):([A-Z_]+):((?:\\.|[^}\\])*)\}")
_CLOZE_SHORT = {"SHORTANSWER", "SA", "MW", "SHORTANSWER_C", "SAC", "MWC"}
_CLOZE_ANSWER_SPLIT = re.compile(r"(?<!\\)~")


def _cloze_blank(body: str) -> list[str]:
    accepted = []
    for part in _CLOZE_ANSWER_SPLIT.split(body):
        part = re.split(r"(?<!\\)#", part, maxsplit=1)[0]
        weight = 0.0
        if part.startswith("="):
            weight, part = 100.0, part[1:]
        else:
            match = re.match(r"%(-?\d+(?:\.\d+)?)%", part)
            if match:
                weight, part = float(match[1]), part[match.end() :]
        part = re.sub(r"\\(.)", r"\1", part)
        text = clean_line(rich_to_text(part))
        if weight >= 100 and text:
            accepted.append(text)
    return accepted


def parse(data: bytes, filename: str) -> ParsedFile:
    """Read a Moodle XML question file (nothing is written)."""
    result = ParsedFile(unit="question")
    if not data.strip():
        result.errors.append(Problem(0, "", _("文件是空的")))
        return result
    try:
        root = fromstring(data)
    except ET.ParseError as exc:
        result.errors.append(Problem(0, "", parser_message(exc)))
        return result
    except DefusedXmlException:
        result.errors.append(Problem(0, "", _("文件包含 DTD 或实体声明，出于安全原因已整体拒绝导入")))
        return result
    if root.tag != "quiz":
        result.errors.append(
            Problem(0, "", _("不是 Moodle XML 题库文件：根元素应为 <quiz>，实际为 <%(tag)s>") % {"tag": root.tag})
        )
        return result

    category: tuple[str, ...] = ()
    number = 0
    for question in root.iter("question"):
        qtype = (question.get("type") or "").strip().lower()
        if qtype == "category":
            category = category_names(_text(question.find("category")))
            continue
        number += 1
        label = clean_line(_text(question.find("name")))[:60]
        if qtype not in ("multichoice", "truefalse", "shortanswer", "multianswer"):
            name = UNSUPPORTED.get(qtype, qtype or _("未标明"))
            result.skipped.append(
                Skipped(number, _("不支持的题型：%(name)s（%(type)s）") % {"name": name, "type": qtype}, label)
            )
            continue
        draft, problems = _question(question, qtype, number, label, category)
        if draft is None and not problems:
            result.skipped.append(
                Skipped(
                    number, _("不支持的题型：%(name)s（%(type)s）") % {"name": UNSUPPORTED[qtype], "type": qtype}, label
                )
            )
            continue
        if draft is not None:
            reported = {f for f, _r in problems}
            problems += [(f, r) for f, r in validate_draft(draft) if f not in reported]
        if problems:
            result.errors.extend(Problem(number, f, r, label) for f, r in problems)
        else:
            result.drafts.append(draft)
    result.total = number
    return result


def _question(question, qtype: str, number: int, label: str, category) -> tuple[QuestionDraft | None, list]:
    problems: list[tuple[str, str]] = []
    text_node = question.find("questiontext")
    stem_format = text_node.get("format", "html") if text_node is not None else "html"
    raw_stem = _text(text_node)
    tags = "、".join(clean_line(_text(tag)) for tag in question.findall("tags/tag") if clean_line(_text(tag)))
    draft = QuestionDraft(
        number=number,
        type="",
        stem=rich_to_text(raw_stem, stem_format),
        explanation=_rich(question, "generalfeedback"),
        category=category,
        tags=tags,
        label=label,
    )
    answers = question.findall("answer")
    if qtype == "multichoice":
        single = _is_single(question)
        draft.type = QuestionType.SINGLE if single else QuestionType.MULTIPLE
        if len(answers) > MAX_OPTIONS:
            problems.append(
                (_("选项"), _("选项最多 %(max)s 个，该题有 %(n)s 个") % {"max": MAX_OPTIONS, "n": len(answers)})
            )
            return draft, problems
        for key, answer in zip(OPTION_KEYS, answers, strict=False):
            draft.options.append(
                {"key": key, "text": clean_line(rich_to_text(_text(answer), answer.get("format", "html")))}
            )
            fraction = _fraction(answer)
            if (single and fraction >= 100) or (not single and fraction > 0):
                draft.answer.append(key)
        if not draft.answer:
            reason = _("没有得分为 100% 的选项") if single else _("没有得分为正的选项")
            problems.append((_("答案"), reason))
    elif qtype == "truefalse":
        draft.type = QuestionType.TRUE_FALSE
        right = [a for a in answers if _fraction(a) >= 100]
        value = parse_true_false(clean_line(_text(right[0]))) if len(right) == 1 else None
        if value is None:
            problems.append((_("答案"), _("判断题应有且只有一个得分为 100% 的 true/false 答案")))
        else:
            draft.answer = [value]
    elif qtype == "shortanswer":
        draft.type = QuestionType.FILL_BLANK
        accepted = []
        for answer in answers:
            # Moodle compares short answers as typed, whatever format they claim.
            text = clean_line(rich_to_text(_text(answer), "plain_text"))
            if _fraction(answer) >= 100 and text:
                accepted.append(text)
        if any("*" in a for a in accepted):
            problems.append((_("答案"), _("答案含通配符 *，本系统不支持通配符匹配")))
        if not accepted:
            problems.append((_("答案"), _("没有得分为 100% 的答案")))
        draft.answer = [accepted] if accepted else []
    else:  # multianswer (cloze): only when every gap is a short answer
        gaps = list(_CLOZE.finditer(raw_stem))
        if not gaps or any(m[2] not in _CLOZE_SHORT for m in gaps):
            return None, []
        draft.type = QuestionType.FILL_BLANK
        draft.stem = rich_to_text(_CLOZE.sub("____", raw_stem), stem_format)
        for index, match in enumerate(gaps, start=1):
            accepted = _cloze_blank(match[3])
            if not accepted:
                problems.append((_("答案"), _("第 %(n)s 空没有得分为 100%% 的答案") % {"n": index}))
            draft.answer.append(accepted)
    return draft, problems


# --- export --------------------------------------------------------------------------------

_BLANK_MARK = re.compile(r"_{2,}|（\s*）|\(\s*\)")


def _text_element(parent, tag: str, text: str, fmt: str | None = None):
    node = ET.SubElement(parent, tag)
    if fmt:
        node.set("format", fmt)
    ET.SubElement(node, "text").text = text
    return node


def _category_element(root, path: str) -> None:
    question = ET.SubElement(root, "question", type="category")
    names = [name.replace("/", "//") for name in path.split("/")]
    _text_element(question, "category", "$course$/top/" + "/".join(names))
    _text_element(question, "info", "", "moodle_auto_format")


def _as_html(text: str) -> str:
    # Our texts are plain: escape them, keep their line breaks.
    return html.escape(text or "", quote=False).replace("\n", "<br>\n")


def _fraction_text(value: float) -> str:
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return text or "0"


def _cloze_escape(text: str) -> str:
    return re.sub(r"([}#~/\"\\])", r"\\\1", text)


def _question_element(root, question) -> None:
    qtype = question.type
    blanks = question.answer if qtype == QuestionType.FILL_BLANK else []
    if qtype == QuestionType.FILL_BLANK and len(blanks) > 1:
        moodle_type = "multianswer"
    else:
        moodle_type = {
            QuestionType.SINGLE: "multichoice",
            QuestionType.MULTIPLE: "multichoice",
            QuestionType.TRUE_FALSE: "truefalse",
            QuestionType.FILL_BLANK: "shortanswer",
        }[qtype]
    element = ET.SubElement(root, "question", type=moodle_type)
    _text_element(element, "name", question.stem.replace("\n", " ")[:80])
    stem = question.stem
    if moodle_type == "multianswer":
        gaps = ["{1:SHORTANSWER:" + "~".join(f"={_cloze_escape(alt)}" for alt in blank) + "}" for blank in blanks]
        marks = list(_BLANK_MARK.finditer(stem))
        if len(marks) == len(gaps):
            pieces, last = [], 0
            for mark, gap in zip(marks, gaps, strict=True):
                pieces += [stem[last : mark.start()], gap]
                last = mark.end()
            stem = "".join(pieces) + stem[last:]
        else:
            stem = stem + " " + " ".join(gaps)
    _text_element(element, "questiontext", _as_html(stem), "html")
    _text_element(element, "generalfeedback", _as_html(question.explanation), "html")
    ET.SubElement(element, "defaultgrade").text = "1.0000000"
    ET.SubElement(element, "penalty").text = "0.3333333" if moodle_type != "truefalse" else "1.0000000"
    ET.SubElement(element, "hidden").text = "0"
    if moodle_type == "multichoice":
        single = qtype == QuestionType.SINGLE
        ET.SubElement(element, "single").text = "true" if single else "false"
        ET.SubElement(element, "shuffleanswers").text = "true"
        ET.SubElement(element, "answernumbering").text = "ABCD"
        correct = set(question.answer)
        right = 100.0 / max(1, len(correct))
        for option in question.options:
            is_right = option["key"] in correct
            fraction = (100.0 if single else right) if is_right else (0.0 if single else -100.0)
            answer = _text_element(element, "answer", _as_html(option["text"]), "html")
            answer.set("fraction", _fraction_text(fraction))
            _text_element(answer, "feedback", "", "html")
    elif moodle_type == "truefalse":
        value = bool(question.answer[0])
        for text, is_right in (("true", value), ("false", not value)):
            answer = _text_element(element, "answer", text, "moodle_auto_format")
            answer.set("fraction", "100" if is_right else "0")
            _text_element(answer, "feedback", "", "html")
    elif moodle_type == "shortanswer":
        ET.SubElement(element, "usecase").text = "0"
        for alternative in blanks[0] if blanks else []:
            answer = _text_element(element, "answer", alternative, "moodle_auto_format")
            answer.set("fraction", "100")
            _text_element(answer, "feedback", "", "html")
    if question.tags:
        tags = ET.SubElement(element, "tags")
        for tag in re.split(r"[、,，]", question.tags):
            if tag.strip():
                _text_element(tags, "tag", tag.strip())


def build(questions: Iterable) -> bytes:
    """Moodle XML for ``questions`` (Question rows with ``category`` loaded):
    questions without a category first, then each category question followed
    by its questions."""
    root = ET.Element("quiz")
    by_path: dict[str, list] = {}
    for question in questions:
        by_path.setdefault(question.category.path if question.category_id else "", []).append(question)
    for path in sorted(by_path):
        if path:
            _category_element(root, path)
        for question in by_path[path]:
            _question_element(root, question)
    ET.indent(root, space="  ")
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n"
    )
