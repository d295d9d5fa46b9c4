"""Who may read the files this app stores (see lms.media.registry)."""

from wagtail.log_actions import log

from lms.accounts.roles import Capability
from lms.accounts.scoping import can
from lms.media.registry import Grant, register

from .models import TrainingRecord


def evidence(request, name: str) -> Grant | None:
    """A training record's evidence: HR and admins of the enterprise, the
    person themself, and regulators of the enterprise's region (each such
    read logged, like every regulator read of a file)."""
    user = request.user
    if not user.is_authenticated:
        return None
    record = TrainingRecord.objects.filter(evidence=name).select_related("employee__enterprise").first()
    if record is None:
        return None
    employee = record.employee
    if can(user, Capability.CHANGE, employee.enterprise_id) or (employee.user_id and employee.user_id == user.pk):
        return Grant(attachment=False)
    region = employee.enterprise.region_code
    if getattr(user, "api_token", None) is None and any(region.startswith(p) for p in user.region_prefixes()):
        log(employee, "anxun.regulator_read", user=user,
            data={"what": "evidence", "employee_id": employee.pk, "record_id": record.pk})
        return Grant(attachment=False)
    return None


def register_rules() -> None:
    register("archive/", evidence)
