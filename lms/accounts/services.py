"""The accounts front door: roles (memberships), regulators and API tokens.

Permission check, validation and audit log in one place, so the back office,
commands and later APIs behave the same."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from .models import ApiToken, Membership, RegulatorMembership
from .roles import Capability, Role
from .scoping import can, log_user

class AccountsError(ValidationError):
    """An accounts rule refused the change; the message is for the user."""


def _require_admin(actor, enterprise_id: int) -> None:
    # actor None is the system (management commands run by the operator).
    if actor is not None and not can(actor, Capability.ADMINISTER, enterprise_id):
        raise PermissionDenied(_("您无权管理该企业的账号与权限"))


def _require_superuser(actor) -> None:
    if not (actor.is_active and actor.is_superuser):
        raise PermissionDenied(_("只有平台管理员可以管理监管人员"))


def _guard_own_admin_role(membership: Membership, actor, *, removing: bool) -> None:
    # An enterprise admin who removes their own admin role locks the enterprise out.
    if actor.is_superuser or membership.pk is None or membership.user_id != actor.pk:
        return
    original = Membership.objects.get(pk=membership.pk)
    if original.role != Role.ENTERPRISE_ADMIN or not original.is_active:
        return
    if removing or membership.role != Role.ENTERPRISE_ADMIN or not membership.is_active:
        raise AccountsError(_("不能撤销自己的企业管理员角色，请由其他企业管理员或平台管理员办理"))


@transaction.atomic
def membership_save(*, membership: Membership, actor) -> Membership:
    """Grant or change a role in an enterprise the actor administers."""
    _require_admin(actor, membership.enterprise_id)
    _guard_own_admin_role(membership, actor, removing=False)
    created = membership.pk is None
    membership.full_clean()
    membership.save()
    log(membership, "wagtail.create" if created else "wagtail.edit", user=actor)
    return membership


@transaction.atomic
def membership_delete(*, membership: Membership, actor) -> None:
    _require_admin(actor, membership.enterprise_id)
    _guard_own_admin_role(membership, actor, removing=True)
    log(membership, "wagtail.delete", user=actor)
    membership.delete()


@transaction.atomic
def regulator_membership_save(*, membership: RegulatorMembership, actor) -> RegulatorMembership:
    _require_superuser(actor)
    created = membership.pk is None
    membership.full_clean()
    membership.save()
    log(membership, "wagtail.create" if created else "wagtail.edit", user=actor)
    return membership


@transaction.atomic
def regulator_membership_delete(*, membership: RegulatorMembership, actor) -> None:
    _require_superuser(actor)
    log(membership, "wagtail.delete", user=actor)
    membership.delete()


@transaction.atomic
def apitoken_create(*, enterprise, name: str, can_write: bool, actor) -> tuple[ApiToken, str]:
    """Create a token for ``enterprise``; returns it with its key — the only
    time the key exists outside the caller's hands (only its hash is kept)."""
    _require_admin(actor, enterprise.pk)
    key = ApiToken.generate_key()
    token = ApiToken(enterprise=enterprise, name=(name or "").strip(), can_write=can_write,
                     created_by=log_user(actor))
    token.set_key(key)
    token.full_clean()
    token.save()
    log(token, "anxun.apitoken_create", user=token.created_by, data={"prefix": token.prefix, "can_write": can_write})
    return token, key


@transaction.atomic
def apitoken_revoke(*, token: ApiToken, actor) -> ApiToken:
    """Revoke a token now; a revoked token never authenticates again."""
    _require_admin(actor, token.enterprise_id)
    now = timezone.now()
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now) != 1:
        raise AccountsError(_("该令牌已吊销"))
    token.revoked_at = now
    log(token, "anxun.apitoken_revoke", user=actor, data={"prefix": token.prefix})
    return token
