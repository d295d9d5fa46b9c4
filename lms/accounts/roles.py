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
    # Set the enterprise's own training rules (stricter than the national floor).
    CONFIGURE_RULES = "configure_rules", _("配置培训规则")
    # Build question banks, papers and exams; enter paper (offline) exam results.
    MANAGE_EXAMS = "manage_exams", _("管理考试")


# Who may set the enterprise's own training rules.
RULE_EDITOR_ROLES = frozenset({Role.ENTERPRISE_ADMIN, Role.SAFETY_MANAGER})

# Who builds banks, papers and exams and enters paper results (HR only reads them).
EXAM_MANAGER_ROLES = frozenset({Role.ENTERPRISE_ADMIN, Role.SAFETY_MANAGER, Role.TRAINER})

CAPABILITY_ROLES = {
    Capability.VIEW: WORKFORCE_READ_ROLES,
    Capability.CHANGE: WORKFORCE_WRITE_ROLES,
    Capability.ADMINISTER: ENTERPRISE_ADMIN_ROLES,
    Capability.CONFIGURE_RULES: RULE_EDITOR_ROLES,
    Capability.MANAGE_EXAMS: EXAM_MANAGER_ROLES,
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

# The training-compliance back office (培训合规). Reading rules and
# obligations: every back-office role. Rows are still narrowed per enterprise.
for _role in BACK_OFFICE_ROLES:
    ROLE_PERMISSIONS[_role] |= {"compliance.view_trainingrule", "compliance.view_obligation"}
for _role in RULE_EDITOR_ROLES:
    ROLE_PERMISSIONS[_role] |= {"compliance.add_trainingrule", "compliance.change_trainingrule"}
# Training records: read and enter (records are append-only: no change/delete).
for _role in (Role.HR, Role.SAFETY_MANAGER, Role.TRAINER, Role.ENTERPRISE_ADMIN):
    ROLE_PERMISSIONS[_role] |= {"archive.view_trainingrecord", "archive.add_trainingrecord"}
# Certificates: register, suspend/revoke/reinstate (change); never delete.
for _role in (Role.HR, Role.SAFETY_MANAGER, Role.ENTERPRISE_ADMIN):
    ROLE_PERMISSIONS[_role] |= {
        "certificates.view_certificate",
        "certificates.add_certificate",
        "certificates.change_certificate",
        # Certificate types (template, numbering) and the seal; platform types stay the superuser's.
        "certificates.view_certificatetype",
        "certificates.add_certificatetype",
        "certificates.change_certificatetype",
        "certificates.view_issuerprofile",
        "certificates.add_issuerprofile",
        "certificates.change_issuerprofile",
    }
# Exams (考试): every back-office role reads banks, questions, papers, exams and
# attempts; exam managers build them (and enter paper results as attempts).
_EXAM_MODELS = ("questionbank", "questioncategory", "question", "paper", "exam", "attempt")
for _role in BACK_OFFICE_ROLES:
    ROLE_PERMISSIONS[_role] |= {f"exams.view_{m}" for m in _EXAM_MODELS}
for _role in EXAM_MANAGER_ROLES:
    ROLE_PERMISSIONS[_role] |= {
        f"exams.{action}_{m}" for m in _EXAM_MODELS for action in ("add", "change")
    }
del _role
