"""What the question formats share: the draft a reader produces, the shape of
a reported problem or skipped item, text clean-up (HTML to plain text,
whitespace), answer spellings, category paths, the structural checks every
question must pass and the duplicate fingerprint."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import PurePath

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms.imports import ImportFileError

from ..models import Difficulty, QuestionType

FORMATS = ("xlsx", "moodle-xml", "gift")
FORMAT_CHOICES = (
    ("xlsx", gettext_lazy("Excel 模板（.xlsx / .csv）")),
    ("moodle-xml", gettext_lazy("Moodle XML（.xml）")),
    ("gift", gettext_lazy("GIFT 文本（.gift / .txt）")),
)
_FORMAT_ALIASES = {
    "xlsx": "xlsx",
    "excel": "xlsx",
    "csv": "xlsx",
    "moodle-xml": "moodle-xml",
    "moodle_xml": "moodle-xml",
    "moodlexml": "moodle-xml",
    "moodle": "moodle-xml",
    "xml": "moodle-xml",
    "gift": "gift",
}

MAX_OPTIONS = 8
OPTION_KEYS = "ABCDEFGH"
MAX_TAGS = 200
MAX_CATEGORY_NAME = 100
MAX_CATEGORY_PATH = 500
MAX_SOURCE = 200

CHOICE_TYPES = (QuestionType.SINGLE, QuestionType.MULTIPLE)


def normalize_format(fmt: str | None) -> str | None:
    """The canonical format name for what a user typed, None if blank; raises
    ImportFileError for an unknown one."""
    if not fmt:
        return None
    key = fmt.strip().lower()
    if key in ("", "auto"):
        return None
    if key not in _FORMAT_ALIASES:
        raise ImportFileError(_("不支持的题库格式“%(fmt)s”，可选：xlsx、moodle-xml、gift") % {"fmt": fmt})
    return _FORMAT_ALIASES[key]


def detect_format(filename: str, head: bytes) -> str:
    """The format of a file from its extension, or from its first bytes when
    the extension says nothing; raises ImportFileError naming what is accepted."""
    suffix = PurePath(filename or "").suffix.lower()
    sniff = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:200].lower()
    if suffix in (".xlsx", ".xlsm", ".csv"):
        return "xlsx"
    if suffix in (".xls", ".et", ".wps"):
        raise ImportFileError(
            _("不支持旧版 Excel（%(ext)s）文件，请在 Excel 中“另存为” .xlsx 后再上传") % {"ext": suffix}
        )
    if suffix == ".xml":
        return "moodle-xml"
    if suffix == ".gift":
        return "gift"
    if sniff.startswith(b"pk\x03\x04"):
        return "xlsx"
    if sniff.startswith((b"<?xml", b"<quiz")):
        return "moodle-xml"
    if suffix in (".txt", "") and sniff:
        return "gift"
    raise ImportFileError(
        _("无法识别文件“%(name)s”的格式，请上传 .xlsx、.csv、Moodle XML（.xml）或 GIFT（.gift/.txt）文件")
        % {"name": filename}
    )


# --- what a reader produces ----------------------------------------------------------


@dataclass
class Problem:
    """A reason an item cannot be imported. ``number`` is the Excel row (xlsx)
    or the question's position in the file (XML, GIFT; 0 = the whole file);
    ``field`` names the column or part in Chinese ("" for the whole item)."""

    number: int
    field: str
    reason: str
    label: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Skipped:
    """An item deliberately left out (unsupported type, an exact repeat, a
    question the bank already has when duplicates are skipped)."""

    number: int
    reason: str
    label: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class QuestionDraft:
    """One question as read from a file, not yet checked against the bank."""

    number: int
    type: str
    stem: str
    options: list[dict] = field(default_factory=list)
    answer: list = field(default_factory=list)
    explanation: str = ""
    difficulty: int = Difficulty.MEDIUM
    category: tuple[str, ...] = ()
    tags: str = ""
    applicability: dict = field(default_factory=dict)
    label: str = ""

    @property
    def category_path(self) -> str:
        return "/".join(self.category)


@dataclass
class ParsedFile:
    """What a reader found: drafts that passed the file-level checks, items
    skipped and problems. ``unit`` says what ``number`` counts ("row" for
    spreadsheets, "question" for XML/GIFT); ``total`` how many items the file
    holds (category markers not counted)."""

    unit: str
    drafts: list[QuestionDraft] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    total: int = 0


def file_problem(reason: str) -> ParsedFile:
    """A ParsedFile refused whole (number 0) for ``reason``."""
    return ParsedFile(unit="question", errors=[Problem(0, "", reason)])


# --- text ------------------------------------------------------------------------------

_SPACES = re.compile(r"[ \t\u00a0\u3000\u200b\ufeff]+")
_ANY_SPACE = re.compile(r"\s+")


def clean_block(text: str) -> str:
    """Multi-line text (stem, explanation) with stray spaces and blank lines
    removed: lines trimmed, runs of spaces made one, empty lines dropped."""
    if not text:
        return ""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def clean_line(text: str) -> str:
    """One-line text (option, tag, name): every run of whitespace, line
    breaks included, becomes one space."""
    if not text:
        return ""
    return _ANY_SPACE.sub(" ", str(text).replace("\u3000", " ").replace("\u200b", "")).strip()


_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre", "blockquote", "hr"}
)
_DROP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript", "iframe", "object", "svg", "math"})
_LOOKS_LIKE_HTML = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._drop = 0

    def handle_starttag(self, tag, attrs):
        if tag in _DROP_TAGS:
            self._drop += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _DROP_TAGS:
            self._drop = max(0, self._drop - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._drop:
            self.parts.append(data)


def html_to_text(value: str) -> str:
    """Plain text of an HTML fragment: tags removed (scripts and styles with
    their content), entities decoded, paragraphs and <br> as line breaks."""
    if not value:
        return ""
    parser = _TextExtractor()
    parser.feed(value)
    parser.close()
    return clean_block("".join(parser.parts))


def rich_to_text(value: str, fmt: str = "html") -> str:
    """Text of a Moodle/GIFT text in format ``fmt``: HTML (and anything that
    contains tags) becomes plain text, other formats are only trimmed."""
    if not value:
        return ""
    if fmt in ("html", "moodle_auto_format", "moodle") or _LOOKS_LIKE_HTML.search(value):
        return html_to_text(value)
    return clean_block(value)


# --- answers ---------------------------------------------------------------------------

_TRUE_WORDS = frozenset({"对", "√", "✓", "✔", "☑", "正确", "t", "true", "是", "y", "yes", "right", "v"})
_FALSE_WORDS = frozenset({"错", "×", "✗", "✘", "x", "╳", "☒", "错误", "f", "false", "否", "n", "no", "wrong"})


def parse_true_false(text: str) -> bool | None:
    """True/False for the ways a true/false answer is written (对/错, √/×,
    ✓/✗, 正确/错误, T/F, TRUE/FALSE, 是/否, Y/N); None if not one of them."""
    key = _ANY_SPACE.sub("", unicodedata.normalize("NFKC", str(text or ""))).lower().rstrip("。.")
    if key in _TRUE_WORDS:
        return True
    if key in _FALSE_WORDS:
        return False
    return None


_TRUE_FALSE_OPTION_TEXT = {True: gettext_lazy("正确"), False: gettext_lazy("错误")}


def true_false_label(value: bool) -> str:
    return str(_TRUE_FALSE_OPTION_TEXT[bool(value)])


# --- categories ------------------------------------------------------------------------

_CATEGORY_SEPARATORS = re.compile(r"[/>＞／\\]")


def split_category(text: str) -> tuple[str, ...]:
    """The names of a category path written with /, ＞, > (or ／) between them;
    () for a blank cell."""
    if not text:
        return ()
    return tuple(clean_line(part) for part in _CATEGORY_SEPARATORS.split(str(text)) if clean_line(part))


# --- checks ----------------------------------------------------------------------------

TYPE_LABELS = {t.value: str(t.label) for t in QuestionType}


def _option_label(key: str) -> str:
    return _("选项%(key)s") % {"key": key}


def validate_draft(draft: QuestionDraft) -> list[tuple[str, str]]:
    """Every structural problem of a question as (field label, reason in
    Chinese); [] if it can be saved. The same rules apply to a question typed
    in the back office (``question_services``) and to every imported one."""
    problems: list[tuple[str, str]] = []
    add = problems.append
    if draft.type not in TYPE_LABELS:
        add((_("题型"), _("未知题型：%(type)s") % {"type": draft.type or "（空）"}))
        return problems
    if not draft.stem.strip():
        add((_("题干"), _("题干不能为空")))
    keys = [o.get("key") for o in draft.options]
    if draft.type in CHOICE_TYPES:
        if len(draft.options) < 2:
            add((_("选项"), _("选择题至少需要 2 个选项，现有 %(n)s 个") % {"n": len(draft.options)}))
        if len(draft.options) > MAX_OPTIONS:
            add(
                (
                    _("选项"),
                    _("选项最多 %(max)s 个（A–H），现有 %(n)s 个") % {"max": MAX_OPTIONS, "n": len(draft.options)},
                )
            )
        seen: dict[str, str] = {}
        for option in draft.options:
            text = option.get("text", "")
            if not text.strip():
                add((_option_label(option.get("key", "?")), _("选项内容不能为空")))
                continue
            norm = _fingerprint_text(text)
            if norm in seen:
                add(
                    (
                        _option_label(option["key"]),
                        _("与选项%(other)s的内容相同") % {"other": seen[norm]},
                    )
                )
            else:
                seen[norm] = option.get("key", "?")
        answer = [str(a) for a in draft.answer]
        if not answer:
            add((_("答案"), _("没有填写答案")))
        for letter in answer:
            if letter not in keys:
                add((_("答案"), _("答案 %(letter)s 没有对应的选项") % {"letter": letter}))
        if draft.type == QuestionType.SINGLE and len(answer) > 1:
            add((_("答案"), _("单选题只能有一个答案，填写了 %(answer)s") % {"answer": "".join(answer)}))
        if len(set(answer)) != len(answer):
            add((_("答案"), _("答案中有重复的选项")))
    elif draft.type == QuestionType.TRUE_FALSE:
        if draft.options:
            add((_("选项"), _("判断题不需要选项")))
        if len(draft.answer) != 1 or not isinstance(draft.answer[0], bool):
            add((_("答案"), _("判断题答案应为 对/错、√/×、正确/错误 或 T/F")))
    elif draft.type == QuestionType.FILL_BLANK:
        if draft.options:
            add((_("选项"), _("填空题不需要选项，请清空选项列")))
        blanks = draft.answer
        if not blanks or not any(blanks):
            add((_("答案"), _("填空题没有答案")))
        else:
            for index, blank in enumerate(blanks, start=1):
                if not isinstance(blank, list) or not [a for a in blank if str(a).strip()]:
                    add((_("答案"), _("第 %(n)s 空没有答案") % {"n": index}))
    if draft.difficulty not in Difficulty.values:
        add((_("难度"), _("难度应为 容易/中等/困难（或 1–3、易/中/难）")))
    if len(draft.tags) > MAX_TAGS:
        add((_("知识点"), _("知识点最多 %(max)s 个字") % {"max": MAX_TAGS}))
    for name in draft.category:
        if len(name) > MAX_CATEGORY_NAME:
            add((_("分类"), _("分类名称“%(name)s…”超过 %(max)s 个字") % {"name": name[:20], "max": MAX_CATEGORY_NAME}))
    if len(draft.category_path) > MAX_CATEGORY_PATH:
        add((_("分类"), _("分类路径超过 %(max)s 个字") % {"max": MAX_CATEGORY_PATH}))
    return problems


# --- duplicates ------------------------------------------------------------------------


def _fingerprint_text(text: str) -> str:
    # Full-width → half-width, case and every space ignored: "Ａ  b" == "a b" == "ab".
    return _ANY_SPACE.sub("", unicodedata.normalize("NFKC", str(text or ""))).casefold()


def fingerprint(type: str, stem: str, options) -> str:
    """A digest of what makes two questions the same: the type, the stem and
    the set of option texts (order ignored), compared without spaces, case or
    full-width/half-width differences."""
    option_texts = sorted(_fingerprint_text(o.get("text", "") if isinstance(o, dict) else o) for o in options or ())
    payload = "\x1e".join([str(type), _fingerprint_text(stem), "\x1f".join(option_texts)])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def same_content(a: QuestionDraft, b: QuestionDraft) -> bool:
    """Whether two drafts with the same fingerprint also agree on the answer
    and explanation (a plain repeat, not a conflict)."""

    def options_by_text(d):
        return {o["key"]: _fingerprint_text(o["text"]) for o in d.options}

    def canonical_answer(d):
        if d.type in CHOICE_TYPES:
            texts = options_by_text(d)
            return sorted(texts.get(str(k), str(k)) for k in d.answer)
        if d.type == QuestionType.FILL_BLANK:
            return [sorted(_fingerprint_text(x) for x in blank) for blank in d.answer]
        return list(d.answer)

    return canonical_answer(a) == canonical_answer(b) and _fingerprint_text(a.explanation) == _fingerprint_text(
        b.explanation
    )
