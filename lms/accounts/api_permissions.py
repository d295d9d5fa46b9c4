"""Who may call the workforce API at all. Which rows they then see is
decided by lms.accounts.scoping in every view's queryset."""

from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from lms.accounts.roles import Capability
from lms.accounts.scoping import enterprise_ids

_ACTION_FOR_METHOD = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}


def required_perm(view, method: str) -> str:
    """The Django permission a session user needs for ``method`` on ``view``
    (``workforce.view_employee``, ``workforce.add_employmentevent`` …)."""
    action = "view" if method in SAFE_METHODS else _ACTION_FOR_METHOD.get(method, "change")
    return f"{view.perm_app}.{action}_{view.perm_model}"


class WorkforceApiPermission(BasePermission):
    """Token clients: reading always, writing only with a write token.
    People: the Django permission their enterprise roles grant (HR writes,
    trainers and managers read; plain employees get nothing here).
    Regulators are refused until their own logged, read-only portal exists."""

    message = _("您没有访问该接口的权限")

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False
        write = request.method not in SAFE_METHODS
        token = getattr(user, "api_token", None)
        if token is not None:
            if write and not token.can_write:
                self.message = _("该令牌为只读令牌，不能修改数据")
                return False
            return True
        if user.region_prefixes() and not user.is_superuser:
            self.message = _("监管人员请使用监管端查询，本接口暂不向监管人员开放")
            return False
        if not user.has_perm(required_perm(view, request.method)):
            return False
        if write and enterprise_ids(user, Capability.CHANGE) == frozenset():
            self.message = _("您无权修改任何企业的数据")
            return False
        return True
