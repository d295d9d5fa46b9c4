"""The one place that decides which rows a user may see or change.

Every view, admin viewset, API view and export narrows its queryset with
:func:`scope`. A model says how it reaches its enterprise with a
``tenant_path`` class attribute ("pk" for Enterprise itself, "enterprise",
"employee__enterprise", …) and, if people may read their own rows, how it
reaches its owner with ``owner_path`` ("user", "employee__user").
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q, QuerySet

from .roles import CAPABILITY_ROLES, Capability


def _tenant_path(model: type[Model]) -> str:
    path = getattr(model, "tenant_path", None)
    if path is None:
        raise ImproperlyConfigured(f"{model.__name__} has no tenant_path; it cannot be scoped")
    return path


def _enterprise_field(path: str) -> str:
    """The lookup that yields the enterprise id for a tenant_path."""
    return "pk" if path == "pk" else f"{path}_id" if "__" not in path else f"{path}__id"


def _region_field(path: str) -> str:
    return "region_code" if path == "pk" else f"{path}__region_code"


def enterprise_ids(user, capability: str = Capability.VIEW) -> frozenset[int] | None:
    """The enterprises whose data ``user`` may use for ``capability``.

    ``None`` means "all" (platform superusers). An API token answers for its
    one enterprise: view always, change only if the token allows writing.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    token = getattr(user, "api_token", None)
    if token is not None:
        if capability == Capability.VIEW or (capability == Capability.CHANGE and token.can_write):
            return frozenset({token.enterprise_id})
        return frozenset()
    if user.is_superuser:
        return None
    roles = CAPABILITY_ROLES[capability]
    return frozenset(ent for ent, role in user.role_pairs() if role in roles)


def scope(queryset: QuerySet, user, capability: str = Capability.VIEW) -> QuerySet:
    """Narrow ``queryset`` to the rows ``user`` may use for ``capability``.

    - enterprise roles: rows of enterprises where a role grants the capability;
    - regulators: rows of enterprises in their regions, for viewing only;
    - everyone: their own rows (``owner_path``), for viewing only.
    """
    model = queryset.model
    path = _tenant_path(model)
    ents = enterprise_ids(user, capability)
    if ents is None:
        return queryset
    condition = Q(**{f"{_enterprise_field(path)}__in": ents}) if ents else Q(pk__in=[])
    if capability == Capability.VIEW and getattr(model, "shared_when_null", False) and user.is_authenticated:
        # Platform-wide rows (no enterprise: e.g. the public question bank)
        # are readable by everyone signed in, changeable only by superusers.
        condition |= Q(**{f"{path}__isnull": True})
    if capability == Capability.VIEW and getattr(user, "api_token", None) is None and user.is_authenticated:
        for prefix in user.region_prefixes():
            condition |= Q(**{f"{_region_field(path)}__startswith": prefix})
        owner_path = getattr(model, "owner_path", None)
        if owner_path:
            condition |= Q(**{owner_path: user})
    return queryset.filter(condition)


def log_user(actor):
    """The user to name in Wagtail's log (and in created_by fields), or None:
    API tokens and the system (None) are not users."""
    return actor if getattr(actor, "pk", None) and getattr(actor, "api_token", None) is None else None


def can(user, capability: str, enterprise_id: int) -> bool:
    ents = enterprise_ids(user, capability)
    return ents is None or enterprise_id in ents
