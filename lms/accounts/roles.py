"""Roles and what each may do. The single table that the permission backend,
the scoping function and the MFA gate read."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    EMPLOYEE = "employee", _("从业人员")
    PRINCIPAL = "principal", _("主要负责人")
    SAFETY_MANAGER = "safety_manager", _("安全管理人员")
    HR = "hr", _("人力资源")
    TRAINER = "trainer", _("培训师")
    MENTOR = "mentor", _("师傅")
    ENTERPRISE_ADMIN = "enterprise_admin", _("企业管理员")


# Roles that must use MFA before doing anything (regulators too, see below).
MFA_ROLES = frozenset({Role.ENTERPRISE_ADMIN, Role.HR})

# Who may read the enterprise's workforce records (the whole enterprise).
WORKFORCE_READ_ROLES = frozenset(
    {Role.ENTERPRISE_ADMIN, Role.HR, Role.PRINCIPAL, Role.SAFETY_MANAGER, Role.TRAINER}
)
# Who may change the workforce records of the enterprise.
WORKFORCE_WRITE_ROLES = frozenset({Role.ENTERPRISE_ADMIN, Role.HR})
# Who may change the enterprise's own profile and delete unused units/posts.
ENTERPRISE_ADMIN_ROLES = frozenset({Role.ENTERPRISE_ADMIN})
# Who gets into the Wagtail back office at all.
BACK_OFFICE_ROLES = WORKFORCE_READ_ROLES


class Capability(models.TextChoices):
    """What a scoped query is for; decides which roles count."""

    VIEW = "view", _("查看")
    CHANGE = "change", _("修改")
    ADMINISTER = "administer", _("管理")


CAPABILITY_ROLES = {
    Capability.VIEW: WORKFORCE_READ_ROLES,
    Capability.CHANGE: WORKFORCE_WRITE_ROLES,
    Capability.ADMINISTER: ENTERPRISE_ADMIN_ROLES,
}

# Django permissions granted by role (app_label.codename). Rows are narrowed
# further by lms.accounts.scoping; a permission never widens what is visible.
_WORKFORCE_MODELS = ("enterprise", "orgunit", "post", "employee", "postassignment", "employmentevent", "importjob")
ROLE_PERMISSIONS = {
    Role.TRAINER: {"wagtailadmin.access_admin"} | {f"workforce.view_{m}" for m in _WORKFORCE_MODELS},
}
ROLE_PERMISSIONS[Role.PRINCIPAL] = set(ROLE_PERMISSIONS[Role.TRAINER])
ROLE_PERMISSIONS[Role.SAFETY_MANAGER] = set(ROLE_PERMISSIONS[Role.TRAINER])
ROLE_PERMISSIONS[Role.HR] = ROLE_PERMISSIONS[Role.TRAINER] | {
    f"workforce.{action}_{m}"
    for m in ("orgunit", "post", "employee", "postassignment", "employmentevent", "importjob")
    for action in ("add", "change")
}
ROLE_PERMISSIONS[Role.ENTERPRISE_ADMIN] = ROLE_PERMISSIONS[Role.HR] | {
    "workforce.change_enterprise",
    "workforce.delete_orgunit",
    "workforce.delete_post",
    "accounts.view_apitoken",
    "accounts.add_apitoken",
    "accounts.change_apitoken",
}
ROLE_PERMISSIONS[Role.EMPLOYEE] = set()
ROLE_PERMISSIONS[Role.MENTOR] = set()
