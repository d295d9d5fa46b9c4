"""Exams and their audience: the audience checked against the enterprise's
roles, posts and units, and exams scheduled and changed by exam managers."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.accounts.roles import Role
from lms.accounts.scoping import log_user
from lms.workforce.models import OrgUnit, Post

from ..models import Exam
from .base import ExamError, _require_manager
from .papers import paper_check

AUDIENCE_KEYS = ("roles", "posts", "units", "principals_and_safety_managers")


def audience_clean(enterprise_id: int, audience) -> dict:
    """The audience with known keys only, codes that exist in the enterprise,
    and at least one group. Raises ExamError({"audience": …})."""
    if audience in (None, ""):
        audience = {}
    if not isinstance(audience, dict):
        raise ExamError({"audience": _("考试对象格式不正确")})
    unknown = set(audience) - set(AUDIENCE_KEYS)
    if unknown:
        raise ExamError({"audience": _("考试对象中有无法识别的项：%(keys)s") % {"keys": "、".join(sorted(unknown))}})
    clean: dict = {}
    problems = []
    for key in ("roles", "posts", "units"):
        values = audience.get(key) or []
        if isinstance(values, str):
            values = [v for v in re.split(r"[\s,，、;；]+", values) if v]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems.append(_("考试对象的“%(key)s”应为编码列表") % {"key": key})
            continue
        values = sorted(set(v.strip() for v in values if v.strip()))
        if not values:
            continue
        if key == "roles":
            known = set(Role.values)
        elif key == "posts":
            known = set(
                Post.objects.filter(enterprise_id=enterprise_id, code__in=values).values_list("code", flat=True)
            )
        else:
            known = set(
                OrgUnit.objects.filter(enterprise_id=enterprise_id, code__in=values).values_list("code", flat=True)
            )
        missing = [v for v in values if v not in known]
        if missing:
            what = {"roles": _("角色"), "posts": _("岗位编码"), "units": _("单位编码")}[key]
            problems.append(_("考试对象中的%(what)s不存在：%(codes)s") % {"what": what, "codes": "、".join(missing)})
        clean[key] = values
    if audience.get("principals_and_safety_managers"):
        clean["principals_and_safety_managers"] = True
    if problems:
        raise ExamError({"audience": problems})
    if not clean:
        raise ExamError({"audience": _("请至少选择一类考试对象（角色、岗位、单位或全体主要负责人和安全管理人员）")})
    return clean


def _exam_validate(exam: Exam) -> None:
    errors: dict[str, list[str]] = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    if not (exam.title or "").strip():
        add("title", _("请填写考试名称"))
    if exam.opens_at and exam.closes_at:
        if exam.closes_at <= exam.opens_at:
            add("closes_at", _("结束时间必须晚于开始时间"))
        elif exam.duration_minutes:
            window = int((exam.closes_at - exam.opens_at).total_seconds() // 60)
            if exam.duration_minutes > window:
                add(
                    "duration_minutes",
                    _("考试时长（%(d)s 分钟）超过了考试开放时间（%(w)s 分钟）")
                    % {"d": exam.duration_minutes, "w": window},
                )
    if exam.duration_minutes is None or exam.duration_minutes < 1:
        add("duration_minutes", _("考试时长至少 1 分钟"))
    if exam.pass_score is None or not (Decimal(0) < Decimal(exam.pass_score) <= Decimal(100)):
        add("pass_score", _("及格分按百分制填写，应大于 0 且不超过 100"))
    if exam.attempts_allowed is None or exam.attempts_allowed < 1:
        add("attempts_allowed", _("允许考试次数至少为 1"))
    if exam.paper_id and exam.paper.enterprise_id != exam.enterprise_id:
        add("paper", _("试卷必须属于本企业"))
    elif exam.paper_id:
        try:
            paper_check(exam.paper)
        except ValidationError as exc:
            for message in exc.messages:
                add("paper", message)
    if exam.record_post_id and exam.record_post.enterprise_id != exam.enterprise_id:
        add("record_post", _("针对岗位必须属于本企业"))
    try:
        exam.audience = audience_clean(exam.enterprise_id, exam.audience)
    except ValidationError as exc:
        for message in exc.message_dict.get("audience", exc.messages):
            add("audience", message)
    if errors:
        raise ExamError(errors)
    exam.full_clean()


EXAM_FIELDS = (
    "paper",
    "title",
    "opens_at",
    "closes_at",
    "duration_minutes",
    "pass_score",
    "attempts_allowed",
    "review_policy",
    "audience",
    "record_kind",
    "record_level",
    "record_post",
)


@transaction.atomic
def exam_create(*, enterprise, actor, **fields) -> Exam:
    """Schedule an exam (fields: EXAM_FIELDS). Refuses a window that ends
    before it opens, a duration longer than the window, a pass score outside
    (0, 100], a paper that cannot be drawn, an empty or unknown audience."""
    _require_manager(actor, enterprise.pk)
    unknown = set(fields) - set(EXAM_FIELDS)
    if unknown:
        raise TypeError(f"unknown exam fields: {sorted(unknown)}")
    exam = Exam(enterprise=enterprise, **fields)
    _exam_validate(exam)
    exam.save()
    log(exam, "wagtail.create", user=log_user(actor))
    return exam


@transaction.atomic
def exam_update(*, exam: Exam, actor, **fields) -> Exam:
    """Change an exam (fields: EXAM_FIELDS), validated as in :func:`exam_create`.
    Once anyone has started it, its paper can no longer be swapped."""
    _require_manager(actor, exam.enterprise_id)
    unknown = set(fields) - set(EXAM_FIELDS)
    if unknown:
        raise TypeError(f"unknown exam fields: {sorted(unknown)}")
    paper = fields.get("paper")
    if paper is not None and paper.pk != exam.paper_id and exam.attempts.exists():
        raise ExamError({"paper": _("已有人参加本场考试，不能更换试卷")})
    for name, value in fields.items():
        setattr(exam, name, value)
    _exam_validate(exam)
    exam.save()
    log(exam, "wagtail.edit", user=log_user(actor))
    return exam
