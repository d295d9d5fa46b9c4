"""What every part of the exam engine shares: the domain error, the exam
manager check, and how points and percentages are rounded and written."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from lms.accounts.roles import Capability
from lms.accounts.scoping import can

ONE_DECIMAL = Decimal("0.1")


class ExamError(ValidationError):
    """An exam rule refused the action; the message is for the user and
    ``code`` says which rule (``late``, ``submitted``, ``bad_token`` …)."""


def _require_manager(actor, enterprise_id: int) -> None:
    """Exam managers of the enterprise (and the system, actor None) only."""
    if actor is not None and not can(actor, Capability.MANAGE_EXAMS, enterprise_id):
        raise PermissionDenied(_("您无权管理该企业的考试"))


def _q1(value) -> Decimal:
    return Decimal(value).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def fmt_points(value) -> str:
    """2.0 → "2", 2.5 → "2.5" (for messages and record contents)."""
    text = f"{Decimal(value):.1f}"
    return text[:-2] if text.endswith(".0") else text


def percentage(score: Decimal | None, max_score: Decimal | None) -> Decimal | None:
    """The score on a 100-point scale, rounded half-up to 0.1 (None if unknown)."""
    if score is None or not max_score:
        return None
    return _q1(Decimal(score) * 100 / Decimal(max_score))
