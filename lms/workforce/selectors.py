"""Reads of the workforce: the employees a user may see (with their
current posts), a person of the user's enterprises, and who may see a full
身份证号. Writes are in :mod:`.services`."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from lms.accounts.roles import Capability, Role
from lms.accounts.scoping import scope

from .models import Employee, PostAssignment

# 个保法 §28/§51: who may see a full 身份证号. HR and the enterprise admin of the
# person's enterprise, who handle social insurance, contracts and authority
# filings that need it. Not trainers or managers (they need who, not which
# number), not regulators (the archive they sample identifies people by name
# and masked number; an authority that needs a number asks the enterprise),
# not platform superusers, not API tokens.
ID_NUMBER_REVEAL_ROLES = frozenset({Role.HR, Role.ENTERPRISE_ADMIN})


def id_number_revealable(user, employee: Employee) -> bool:
    """Whether ``user`` may ask to see ``employee``'s full 身份证号."""
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "api_token", None) is not None:
        return False
    return any(ent == employee.enterprise_id and role in ID_NUMBER_REVEAL_ROLES for ent, role in user.role_pairs())


def employee_for(user, pk: int) -> Employee | None:
    """Employee ``pk`` of the enterprises ``user`` may see, else None."""
    return scope(Employee.objects.select_related("enterprise"), user).filter(pk=pk).first()


def _current_assignments() -> Prefetch:
    today = timezone.localdate()
    return Prefetch(
        "assignments",
        queryset=PostAssignment.objects.filter(start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("post", "mentor")
        .order_by("start_date", "pk"),
        to_attr="current_assignment_list",
    )


def employees_visible_to(user, capability=Capability.VIEW) -> QuerySet:
    """Employees of the enterprises where ``user`` has ``capability``, with
    their enterprise, unit and current posts (``current_assignment_list``)."""
    return scope(
        Employee.objects.select_related("enterprise", "org_unit").prefetch_related(_current_assignments()),
        user,
        capability,
    )
