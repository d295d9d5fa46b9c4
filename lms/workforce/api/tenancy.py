"""Finding the enterprise and the employee an API request means, always
through lms.accounts.scoping. One person may hold roles in several
enterprises, and 工号 are unique only within an enterprise."""

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import serializers

from lms.accounts.roles import Capability
from lms.accounts.scoping import scope
from lms.workforce.models import Employee, Enterprise, code_validator

_CODE = code_validator.regex


def writable_enterprise(user, code: str | None) -> Enterprise:
    """The enterprise ``user`` writes to: the one named by ``code``, or the
    only one they may change. Raises a 400 field error on "enterprise"."""
    enterprises = scope(Enterprise.objects.all(), user, Capability.CHANGE)
    if code:
        enterprise = enterprises.filter(code=code).first()
        if enterprise is None:
            raise serializers.ValidationError({"enterprise": [_("企业不存在，或您无权修改该企业的数据")]})
        return enterprise
    candidates = list(enterprises.order_by("pk")[:2])
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise serializers.ValidationError({"enterprise": [_("您无权修改任何企业的数据")]})
    raise serializers.ValidationError({"enterprise": [_("请指定企业")]})


def one_employee(queryset, employee_no: str, enterprise_code: str | None = None) -> Employee | None:
    """The single employee with ``employee_no`` in an already scoped
    ``queryset``; None if there is none; a 400 "请指定企业" if several
    enterprises have that 工号 and ``enterprise_code`` does not pick one."""
    queryset = queryset.filter(employee_no=employee_no)
    if enterprise_code:
        queryset = queryset.filter(enterprise__code=enterprise_code)
    found = list(queryset[:2])
    if len(found) > 1:
        raise serializers.ValidationError({"enterprise": [_("请指定企业")]})
    return found[0] if found else None


def employee_or_404(queryset, employee_no: str, enterprise_code: str | None = None) -> Employee:
    """The employee a detail URL names, as :func:`one_employee`, or 404."""
    if not _CODE.fullmatch(employee_no) or (enterprise_code and not _CODE.fullmatch(enterprise_code)):
        # Not a possible 工号/企业编码 (e.g. a NUL byte, which PostgreSQL refuses): no query needed.
        raise Http404(_("未找到该员工"))
    employee = one_employee(queryset, employee_no, enterprise_code)
    if employee is None:
        raise Http404(_("未找到该员工"))
    return employee
