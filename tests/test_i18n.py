"""Chinese first, English available: the catalogue compiles and is used."""

import io
import os
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_python
from babel.messages.pofile import read_po
from django.utils import translation
from django.utils.translation import trans_real
from django.utils.translation.template import templatize

from lms.i18n import compile_all
from tests.conftest import login_with_mfa
from tests.factories import make_worker


@pytest.fixture
def english():
    compile_all()
    trans_real._translations = {}  # reload catalogues that may predate the .mo
    trans_real._active = trans_real.Local()
    yield
    translation.deactivate()
    trans_real._translations = {}


@pytest.mark.django_db
def test_chinese_is_the_default(client, english):
    # A browser that states no preference gets Chinese, even with English compiled.
    html = client.get("/accounts/login/").content.decode()
    assert 'lang="zh-hans"' in html and "邮箱或手机号" in html


def test_english_catalogue_translates(english):
    with translation.override("en"):
        assert translation.gettext("员工") == "Employee"


@pytest.mark.django_db
def test_login_page_in_english(client, english):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="en"' in html
    assert "邮箱或手机号" not in html


# --- The English catalogue is complete ---------------------------------------------
#
# Source strings are Chinese; every one of them must have an English translation,
# so a string added without updating locale/en fails here. To fix a failure run
# `python manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=var`
# and translate the new (empty or fuzzy) entries in locale/en/LC_MESSAGES/django.po.

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
# The gettext functions makemessages looks for, in babel's keyword notation.
KEYWORDS = {
    "_": None, "gettext": None, "gettext_lazy": None, "gettext_noop": None,
    "ngettext": (1, 2), "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2), "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3), "npgettext_lazy": ((1, "c"), 2, 3),
}
NOT_SOURCE = {".venv", "var", "node_modules", "static", "media", "tests", "anxun.egg-info"}
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
HAN = re.compile(r"[\u3400-\u9fff]")


def _catalogue():
    with PO.open("rb") as fh:
        return read_po(fh)


def _untranslated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not all(strings)


def _source_strings() -> dict:
    """(msgid, context) -> "path:line" for every marked string in the project's
    Python files and templates, extracted the way makemessages sees them
    ({% blocktranslate %} through Django's own templatize)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in NOT_SOURCE and not d.startswith(".")]
        for name in filenames:
            if not name.endswith((".py", ".html", ".txt")):
                continue
            path = Path(dirpath) / name
            text = path.read_text(encoding="utf-8")
            if path.suffix != ".py":
                if "trans" not in text:
                    continue
                # templatize keeps the layout; its lines are not valid Python indentation.
                text = "\n".join(line.lstrip() for line in templatize(text, origin=str(path)).splitlines())
            for lineno, func, msg, _comments in extract_python(io.BytesIO(text.encode()), KEYWORDS, [], {}):
                parts = msg if isinstance(msg, tuple) else (msg,)
                context = parts[0] if func.startswith(("pgettext", "npgettext")) else None
                msgid = parts[1] if context else parts[0]
                if msgid:
                    found.setdefault((msgid, context), f"{path.relative_to(ROOT)}:{lineno}")
    return found


def test_every_catalogue_entry_is_translated():
    catalogue = _catalogue()
    untranslated = [m.id for m in catalogue if m.id and _untranslated(m)]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated[:20]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy[:20]}"


def test_every_source_string_has_an_english_translation():
    catalogue = _catalogue()
    known = {(m.id if isinstance(m.id, str) else m.id[0], m.context): m for m in catalogue if m.id}
    source = _source_strings()
    assert len(source) > 1000  # the extraction really read the project
    missing = [f"{where} {msgid!r}" for (msgid, ctx), where in source.items() if (msgid, ctx) not in known]
    empty = [
        f"{where} {msgid!r}" for (msgid, ctx), where in source.items()
        if (msgid, ctx) in known and (_untranslated(known[(msgid, ctx)]) or known[(msgid, ctx)].fuzzy)
    ]
    assert not missing, f"{len(missing)} strings not in the catalogue (run makemessages): {missing[:20]}"
    assert not empty, f"{len(empty)} strings untranslated or fuzzy: {empty[:20]}"


def test_translations_keep_placeholders_and_plurals():
    # babel's checkers: python-format placeholders match, plural forms complete.
    problems = [(m.id, [str(e) for e in errors]) for m, errors in _catalogue().check()]
    assert not problems, problems[:20]
    for message in _catalogue():
        if not message.id or "python-format" not in message.flags:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\((\w+)\)", " ".join(ids)))
        for string in strings:
            assert set(re.findall(r"%\((\w+)\)", string)) == wanted, (message.id, string)


def test_english_translations_are_english():
    # A msgstr that copies the Chinese msgid, or is mostly Chinese, is a missed
    # translation. (Chinese terms the user must type or will see in the data, such as
    # 对/错 answers or hazard tags, are quoted on purpose, mostly with a gloss.)
    chinese = []
    for message in _catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid, string in zip(ids * 2, strings):
            han = len(HAN.findall(string))
            if (HAN.search(msgid) and string == msgid) or han > len(re.findall(r"[A-Za-z]", string)):
                chinese.append((msgid, string))
    assert not chinese, chinese[:20]


# --- Key pages in English ------------------------------------------------------------


def _h1(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert match, "page has no h1"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.fixture
def learner_client(client, ent_b, tree_b):
    worker = make_worker(ent_b, tree_b[2], "张三", "W001")  # hired: owes the three-level induction
    return login_with_mfa(client, worker.user)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/learn/", "My learning"),
        ("/certificates/mine/", "My certificates"),
        ("/warning/", "My warning education"),
        ("/apprenticeship/", "My apprenticeship"),
    ],
)
def test_learner_pages_in_english(learner_client, english, url, title):
    response = learner_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="en"' in html
    assert _h1(html) == title
    assert not CJK.search(_h1(html))
    # The main navigation is English too.
    assert ">My learning<" in html and ">My certificates<" in html


@pytest.mark.django_db
def test_my_learning_lists_obligations_in_english(learner_client, english):
    html = learner_client.get("/learn/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "To complete:" in html and "credit hours left" in html
    assert "Three-level safety induction" in html
    assert "待完成" not in html and "学时" not in html


@pytest.mark.django_db
def test_my_learning_stays_chinese_by_default(learner_client, english):
    html = learner_client.get("/learn/").content.decode()
    assert _h1(html) == "我的学习"
    assert "待完成：" in html
