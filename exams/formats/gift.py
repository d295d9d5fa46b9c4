"""GIFT, Moodle's plain-text question format (import only).

Questions are separated by blank lines; ``//`` lines are comments;
``::title::`` is ignored; ``[html]`` / ``[moodle]`` / ``[plain]`` /
``[markdown]`` markers are removed (HTML becomes plain text); ``$CATEGORY:``
sets the category of the questions that follow. Supported answers:
``{=right ~wrong}`` single choice, ``{~%50%a ~%50%b ~%-100%c}`` multiple
response (every positive weight is a right answer), ``{T}`` / ``{F}`` /
``{TRUE}`` / ``{FALSE}`` true/false, ``{=a =b}`` short answer (a fill-in
with one blank and the 100 % answers as alternatives). ``#feedback`` parts
are dropped, ``####general feedback`` becomes the explanation (解析). The
escapes ``\\~ \\= \\# \\{ \\} \\: \\\\ \\n`` are honoured. Essay ``{}``,
matching (``->``), numeric (``{#…}``) and text without answers are skipped
with their reason.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from ..models import QuestionType
from .common import (
    MAX_OPTIONS,
    OPTION_KEYS,
    ParsedFile,
    Problem,
    QuestionDraft,
    Skipped,
    clean_block,
    clean_line,
    rich_to_text,
    validate_draft,
)
from .moodle import category_names

# Escaped characters are swapped for private-use placeholders while parsing.
_ESCAPES = {"\\": "\ue000", "~": "\ue001", "=": "\ue002", "#": "\ue003", "{": "\ue004", "}": "\ue005", ":": "\ue006"}
_ESCAPE = re.compile(r"\\([\\~=#{}:n])")
_UNESCAPE = {v: k for k, v in _ESCAPES.items()}
_FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.I)
_WEIGHT = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")
_ANSWER = re.compile(r"([=~])([^=~]*)")
_WORDISH = re.compile(r"\w", re.U)


def _protect(text: str) -> str:
    return _ESCAPE.sub(lambda m: "\n" if m[1] == "n" else _ESCAPES[m[1]], text)


def _restore(text: str) -> str:
    for placeholder, char in _UNESCAPE.items():
        text = text.replace(placeholder, char)
    return text


def _formatted(text: str) -> str:
    """Plain text of a GIFT text with an optional [format] marker."""
    match = _FORMAT.match(text)
    fmt = "moodle"
    if match:
        fmt, text = match[1].lower(), text[match.end() :]
    return _restore(rich_to_text(text, "html" if fmt in ("html", "moodle") else "plain_text"))


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _blocks(text: str):
    """(first line number, text) of each blank-line separated block, comment lines removed."""
    block: list[str] = []
    start = 0
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if line.lstrip().startswith("//"):
            continue
        if line.strip():
            if not block:
                start = number
            block.append(line)
        elif block:
            yield start, "\n".join(block)
            block = []
    if block:
        yield start, "\n".join(block)


def parse(data: bytes, filename: str) -> ParsedFile:
    """Read a GIFT file (nothing is written)."""
    result = ParsedFile(unit="question")
    text = _decode(data)
    if text is None:
        result.errors.append(Problem(0, "", _("无法识别文件编码，请另存为 UTF-8 编码的文本文件")))
        return result
    if not text.strip():
        result.errors.append(Problem(0, "", _("文件是空的")))
        return result

    category: tuple[str, ...] = ()
    number = 0
    for _line, block in _blocks(text):
        if block.lstrip().startswith("$CATEGORY:"):
            first, _sep, rest = block.lstrip().partition("\n")
            category = category_names(first[len("$CATEGORY:") :])
            if not rest.strip():
                continue
            block = rest
        number += 1
        _question(number, block, category, result)
    result.total = number
    return result


def _question(number: int, block: str, category, result: ParsedFile) -> None:
    raw = _protect(block.strip())
    label = ""
    if raw.startswith("::"):
        end = raw.find("::", 2)
        if end != -1:
            label = clean_line(_restore(raw[2:end]))[:60]
            raw = raw[end + 2 :]

    def skip(kind: str):
        result.skipped.append(Skipped(number, _("不支持的题型：%(kind)s") % {"kind": kind}, label))

    def error(fieldname: str, reason: str):
        result.errors.append(Problem(number, fieldname, reason, label))

    start = raw.find("{")
    if start == -1:
        skip(_("说明文字（没有答案部分）"))
        return
    finish = raw.find("}", start)
    if finish == -1:
        error(_("答案"), _("缺少与 { 配对的 }"))
        return
    answer_text = raw[start + 1 : finish]
    before, after = raw[:start], raw[finish + 1 :]
    # Text after the answers (the "missing word" form): keep it with a blank
    # where the answers were; bare punctuation left over is dropped.
    stem_source = before + ("____" + after if _WORDISH.search(_restore(after)) else "")
    answer_text, _sep, general = answer_text.partition("####")
    answer_text = answer_text.strip()

    if not answer_text:
        skip(_("问答题（essay）"))
        return
    if answer_text.startswith("#"):
        skip(_("数值题（numerical）"))
        return
    if "->" in answer_text:
        skip(_("匹配题（matching）"))
        return

    draft = QuestionDraft(
        number=number,
        type="",
        stem=_formatted(stem_source),
        explanation=_formatted(general) if general.strip() else "",
        category=category,
        label=label,
    )
    problems: list[tuple[str, str]] = []
    head = answer_text.split("#", 1)[0].strip().upper()
    if "~" not in answer_text and head in ("T", "TRUE", "F", "FALSE"):
        draft.type = QuestionType.TRUE_FALSE
        draft.answer = [head in ("T", "TRUE")]
    else:
        answers = []
        for marker, body in _ANSWER.findall(answer_text):
            body = body.split("#", 1)[0]
            match = _WEIGHT.match(body)
            weight = float(match[1]) if match else (100.0 if marker == "=" else 0.0)
            if match:
                body = body[match.end() :]
            answers.append((marker, weight, clean_line(_formatted(body))))
        if not answers:
            error(_("答案"), _("无法识别答案部分“%(text)s”") % {"text": _restore(answer_text)[:40]})
            return
        if "~" in answer_text:
            single = any(marker == "=" for marker, _w, _t in answers)
            draft.type = QuestionType.SINGLE if single else QuestionType.MULTIPLE
            if len(answers) > MAX_OPTIONS:
                problems.append(
                    (_("选项"), _("选项最多 %(max)s 个，该题有 %(n)s 个") % {"max": MAX_OPTIONS, "n": len(answers)})
                )
            for key, (_marker, weight, text) in zip(OPTION_KEYS, answers, strict=False):
                draft.options.append({"key": key, "text": text})
                if (single and weight >= 100) or (not single and weight > 0):
                    draft.answer.append(key)
            if not draft.answer:
                problems.append((_("答案"), _("没有标出正确答案（= 或正的百分比）")))
        else:
            draft.type = QuestionType.FILL_BLANK
            accepted = [text for _marker, weight, text in answers if weight >= 100 and text]
            if any("*" in a for a in accepted):
                problems.append((_("答案"), _("答案含通配符 *，本系统不支持通配符匹配")))
            if accepted:
                draft.answer = [accepted]
            else:
                problems.append((_("答案"), _("没有得分为 100% 的答案")))
    reported = {f for f, _r in problems}
    problems += [(f, r) for f, r in validate_draft(draft) if f not in reported]
    if problems:
        result.errors.extend(Problem(number, f, r, label) for f, r in problems)
    else:
        draft.stem = clean_block(draft.stem)
        result.drafts.append(draft)
