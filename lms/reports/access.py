"""Who sees which enterprises' figures, and the regulator read log.

Enterprise staff with a view role see their enterprises; regulators the
enterprises of their regions (read only: every page here is GET); platform
superusers all. Everyone else sees nothing (403)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from wagtail.models import ModelLogEntry

from lms.accounts.roles import Capability
from lms.accounts.scoping import enterprise_ids
from lms.supervision.selectors import REGULATOR_READ
from lms.supervision.selectors import is_regulator
from lms.workforce.models import Enterprise


def report_enterprises(user):
    """The enterprises whose figures ``user`` may read, as a queryset ordered by name."""
    qs = Enterprise.objects.order_by("name", "pk")
    if not getattr(user, "is_authenticated", False) or getattr(user, "api_token", None) is not None:
        return qs.none()
    ids = enterprise_ids(user, Capability.VIEW)
    if ids is None:
        return qs
    condition = Q(pk__in=ids)
    if is_regulator(user):
        for prefix in user.region_prefixes():
            condition |= Q(region_code__startswith=prefix)
    return qs.filter(condition)


def may_see_reports(user) -> bool:
    return report_enterprises(user).exists()


def log_regulator_read(user, enterprises, what: str, **data) -> None:
    """One read-log entry per enterprise whose figures a regulator saw (one INSERT)."""
    if not is_regulator(user):
        return
    ct = ContentType.objects.get_for_model(Enterprise)
    now = timezone.now()
    ModelLogEntry.objects.bulk_create([
        ModelLogEntry(content_type=ct, object_id=str(e.pk), label=e.name[:255], action=REGULATOR_READ,
                      data={"what": what, **data}, timestamp=now, user=user)
        for e in enterprises
    ])
