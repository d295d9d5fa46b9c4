"""Writing question banks, categories and questions (the front door for the
back office, the importer and other apps).

- Platform banks (no enterprise) are written by platform superusers only;
  an enterprise's banks by its exam managers (Capability.MANAGE_EXAMS).
- A question an attempt has shown (an AttemptAnswer or an attempt's layout
  names it) is never edited in place: :func:`question_update` then makes a
  new current version that points at the old one, and the attempt keeps the
  version it showed.
- No two current questions of a bank share a fingerprint (type, stem and
  options, compared without spaces, case or full-width differences).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from lms.accounts.roles import Capability
from lms.accounts.scoping import can, scope
from lms.imports import log_user

from .formats.common import QuestionDraft, fingerprint, split_category, validate_draft
from .models import Attempt, AttemptAnswer, Difficulty, Question, QuestionBank, QuestionCategory

DUPLICATE_IN_BANK = gettext_lazy("题库中已有相同题目")


class QuestionError(ValidationError):
    """A question, bank or category cannot be written as asked (Chinese message,
    often a dict field → message)."""


# --- who may write -------------------------------------------------------------------------


def can_edit_bank(user, bank: QuestionBank) -> bool:
    """Whether ``user`` (None = the system) may write ``bank`` and its questions."""
    if user is None:
        return True
    if bank.enterprise_id is None:
        return bool(getattr(user, "is_superuser", False)) and getattr(user, "api_token", None) is None
    return can(user, Capability.MANAGE_EXAMS, bank.enterprise_id)


def require_bank_edit(user, bank: QuestionBank) -> None:
    """Raise PermissionDenied unless ``user`` may write ``bank``."""
    if not can_edit_bank(user, bank):
        if bank.enterprise_id is None:
            raise PermissionDenied(_("平台公共题库只能由平台管理员修改"))
        raise PermissionDenied(_("您无权修改该题库"))


def editable_banks(user) -> QuerySet[QuestionBank]:
    """The banks ``user`` may write: their enterprises' banks, and platform
    banks for platform superusers."""
    return scope(QuestionBank.objects.select_related("enterprise"), user, Capability.MANAGE_EXAMS)


# --- banks and categories ------------------------------------------------------------------


def bank_create(*, enterprise=None, name: str, description: str = "", actor) -> QuestionBank:
    """A new bank of ``enterprise`` (None = a platform bank); the name must be
    unique within the enterprise (or among platform banks)."""
    name = (name or "").strip()
    bank = QuestionBank(enterprise=enterprise, name=name, description=(description or "").strip())
    require_bank_edit(actor, bank)
    if QuestionBank.objects.filter(enterprise=enterprise, name=name).exists():
        raise QuestionError({"name": _("已有同名题库“%(name)s”") % {"name": name}})
    bank.full_clean()
    bank.save()
    log(bank, "wagtail.create", user=log_user(actor))
    return bank


def category_for_path(bank: QuestionBank, path: str | Sequence[str], *, cache: dict | None = None):
    """The category at ``path`` ("a/b/c", "a＞b＞c" or a sequence of names) in
    ``bank``, creating the missing ones along the way; None for an empty path.
    The caller has checked that the bank may be written. ``cache`` (path →
    category) saves queries when called many times."""
    names = split_category(path) if isinstance(path, str) else tuple(n.strip() for n in path if n and n.strip())
    if not names:
        return None
    cache = {} if cache is None else cache
    parent = None
    full = ""
    for name in names:
        name = name.replace("/", "／")
        full = f"{full}/{name}" if full else name
        node = cache.get(full)
        if node is None:
            node = QuestionCategory.objects.filter(bank=bank, path=full).first()
            if node is None:
                node = QuestionCategory(bank=bank, parent=parent, name=name)
                node.full_clean(exclude=["path"])
                node.save()
            cache[full] = node
        parent = node
    return parent


# --- questions -----------------------------------------------------------------------------


def question_fingerprint(type: str, stem: str, options) -> str:
    """The duplicate-check digest of a question (see formats.common.fingerprint)."""
    return fingerprint(type, stem, options)


def _check(draft: QuestionDraft) -> None:
    problems = validate_draft(draft)
    if problems:
        messages: dict[str, list[str]] = {}
        for label, reason in problems:
            fieldname = _FIELD_BY_LABEL.get(label)
            if fieldname is not None:
                messages.setdefault(fieldname, []).append(reason)
            else:  # "选项B": name the option
                key = "options" if label.startswith("选项") else "__all__"
                messages.setdefault(key, []).append(f"{label}：{reason}")
        raise QuestionError(messages)


_FIELD_BY_LABEL = {
    "题型": "type",
    "题干": "stem",
    "选项": "options",
    "答案": "answer",
    "难度": "difficulty",
    "知识点": "tags",
    "分类": "category",
}


def _difficulty(value) -> int:
    # Forms may hand over "2"; anything else is left for the rules to refuse.
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def _require_unique(bank: QuestionBank, digest: str, exclude_id: int | None = None) -> None:
    clash = Question.objects.current().filter(bank=bank, fingerprint=digest)
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise QuestionError({"stem": str(DUPLICATE_IN_BANK)})


def question_create(
    *,
    bank: QuestionBank,
    type: str,
    stem: str,
    options: Sequence[dict] = (),
    answer: list,
    explanation: str = "",
    difficulty: int = Difficulty.MEDIUM,
    category: QuestionCategory | None = None,
    tags: str = "",
    applicability: dict | None = None,
    source: str = "",
    stem_image=None,
    actor,
) -> Question:
    """A new current question (version 1) in ``bank``; refused if it breaks the
    question rules or the bank already has the same current question."""
    require_bank_edit(actor, bank)
    if category is not None and category.bank_id != bank.pk:
        raise QuestionError({"category": _("分类不属于该题库")})
    options, answer = list(options or ()), list(answer or ())
    draft = QuestionDraft(
        number=0,
        type=type,
        stem=stem or "",
        options=list(options),
        answer=list(answer),
        explanation=explanation or "",
        difficulty=_difficulty(difficulty),
        tags=tags or "",
    )
    _check(draft)
    digest = fingerprint(type, stem, options)
    with transaction.atomic():
        _require_unique(bank, digest)
        question = Question(
            bank=bank,
            category=category,
            type=type,
            stem=stem,
            stem_image=stem_image,
            options=list(options),
            answer=list(answer),
            explanation=explanation or "",
            difficulty=draft.difficulty,
            tags=tags or "",
            applicability=applicability or {},
            source=source or "",
            fingerprint=digest,
        )
        question.full_clean()
        question.save()
    log(question, "wagtail.create", user=log_user(actor))
    return question


def question_in_use(question: Question) -> bool:
    """Whether an attempt has shown this version (an answer names it, or an
    attempt's layout lists it)."""
    if AttemptAnswer.objects.filter(question=question).exists():
        return True
    if connection.features.supports_json_field_contains:
        return Attempt.objects.filter(layout__contains=[{"q": question.pk}]).exists()
    # SQLite has no JSON containment: look for the serialised layout item.
    return (
        Attempt.objects.annotate(layout_text=Cast("layout", TextField()))
        .filter(layout_text__regex=rf'"q":\s*{int(question.pk)}\s*[,}}]')
        .exists()
    )


_EDITABLE = (
    "type",
    "stem",
    "options",
    "answer",
    "explanation",
    "difficulty",
    "category",
    "tags",
    "applicability",
    "source",
    "stem_image",
)


def question_update(*, question: Question, actor, **changes) -> Question:
    """Apply ``changes`` (any of type, stem, options, answer, explanation,
    difficulty, category, tags, applicability, source, stem_image) and return
    the current version. If an attempt has shown ``question``, a new version
    is created (version + 1, previous = the old one, which stops being
    current); otherwise the row is edited in place."""
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise TypeError(f"question_update() got unexpected fields: {', '.join(sorted(unknown))}")
    bank = question.bank
    require_bank_edit(actor, bank)
    if not question.is_current:
        raise QuestionError(_("只能修改题目的当前版本"))
    values = {name: getattr(question, name) for name in _EDITABLE}
    values.update(changes)
    values["difficulty"] = _difficulty(values["difficulty"])
    for name in ("explanation", "tags", "source"):
        values[name] = values[name] or ""
    values["applicability"] = values["applicability"] or {}
    category = values["category"]
    if category is not None and category.bank_id != bank.pk:
        raise QuestionError({"category": _("分类不属于该题库")})
    draft = QuestionDraft(
        number=0,
        type=values["type"],
        stem=values["stem"] or "",
        options=list(values["options"] or []),
        answer=list(values["answer"] or []),
        explanation=values["explanation"] or "",
        difficulty=values["difficulty"],
        tags=values["tags"] or "",
    )
    _check(draft)
    digest = fingerprint(values["type"], values["stem"], values["options"])
    with transaction.atomic():
        old = Question.objects.select_for_update().get(pk=question.pk)
        if not old.is_current:
            raise QuestionError(_("只能修改题目的当前版本"))
        _require_unique(bank, digest, exclude_id=old.pk)
        if question_in_use(old):
            Question.objects.filter(pk=old.pk).update(is_current=False)
            new = Question(
                bank=bank,
                previous=old,
                version=old.version + 1,
                is_current=True,
                fingerprint=digest,
                **values,
            )
            new.full_clean()
            new.save()
            question.is_current = False
            log(
                new,
                "anxun.question_new_version",
                user=log_user(actor),
                data={"previous": old.pk, "version": new.version},
            )
            return new
        for name, value in values.items():
            setattr(old, name, value)
        old.fingerprint = digest
        old.full_clean()
        old.save()
    log(old, "wagtail.edit", user=log_user(actor))
    return old
