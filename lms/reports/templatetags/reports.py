from django import template
from django.utils.formats import number_format

from lms.kernel.rates import NO_RATE, rate_text
from lms.accounts.roles import CAPABILITY_ROLES, Capability, Role

register = template.Library()


@register.filter
def figure(value, kind="int"):
    """A report cell as the table shows it: 85.3%, 12.5, 1,204, or — for no figure."""
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return NO_RATE
    if kind == "text":
        return value
    if kind == "pct":
        return rate_text(value)
    if kind in ("hours", "number"):
        return number_format(float(value), decimal_pos=1, use_l10n=True, force_grouping=True)
    return number_format(int(value), use_l10n=True, force_grouping=True)


@register.simple_tag
def zip_cells(row, columns):
    return list(zip(row, columns))


@register.simple_tag(takes_context=True)
def reports_nav(context) -> dict:
    """Whether the signed-in user gets the 统计报表 and 负责人履职 links. From the
    cached roles (no query): a view role in an enterprise or a region; the
    principal's page for principals and safety managers."""

    user = context.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return {"reports": False, "principal": False}
    roles = {role for _ent, role in user.role_pairs()}
    view_roles = CAPABILITY_ROLES[Capability.VIEW]
    return {
        "reports": user.is_superuser or bool(roles & view_roles) or bool(user.region_prefixes()),
        "principal": bool(roles & {Role.PRINCIPAL, Role.SAFETY_MANAGER}),
    }
