"""Who may read the files this app stores (see lms.media.registry)."""

from lms.accounts.roles import Capability
from lms.accounts.scoping import can
from lms.media.registry import Grant, register

from .models import Attempt


def answer_sheet(request, name: str) -> Grant | None:
    """A paper exam's scanned answer sheet: the enterprise's back-office
    roles (who read its attempts) and the examinee."""
    if not request.user.is_authenticated:
        return None
    attempt = Attempt.objects.filter(evidence=name).select_related("employee").first()
    if attempt is None:
        return None
    employee = attempt.employee
    if can(request.user, Capability.VIEW, employee.enterprise_id) or (
        employee.user_id is not None and employee.user_id == request.user.pk
    ):
        return Grant(attachment=False)
    return None


def question_import(request, name: str) -> None:
    """A question file waiting between preview and confirmation is read only
    by the import itself, never downloaded."""
    return None


def register_rules() -> None:
    register("exams/sheets/", answer_sheet)
    register("exams/question-imports/", question_import)
