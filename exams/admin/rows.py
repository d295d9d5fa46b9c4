"""Platform rows: question banks, their categories and questions with no
enterprise are readable by every back-office user and writable only by
platform superusers.

Reads go through :func:`lms.accounts.admin_scoping.admin_scope` with
``shared=True`` (the models declare ``shared_when_null``, so
:func:`lms.accounts.scoping.scope` lets those rows be read); writes keep the
scoped querysets, whose instance check refuses rows of no enterprise of the user's.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from lms.accounts.admin_scoping import (
    ScopedModelViewSet,
    ScopedPermissionPolicy,
    admin_scope,
    policy_for,
    tenant_enterprise_id,
)
from lms.accounts.roles import Capability


class SharedRowsPolicy(ScopedPermissionPolicy):
    """Platform rows are viewable by every back-office user; changing them
    stays with platform superusers."""

    def _is_shared(self, instance) -> bool:
        return tenant_enterprise_id(instance, self.tenant_path) is None

    def _shared_view(self, user, action) -> bool:
        return self.capability_for(action) == Capability.VIEW and self.user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        if self.capability_for(action) == Capability.VIEW and self._is_shared(instance):
            return self.user_has_permission(user, action)
        return super().user_has_permission_for_instance(user, action, instance)

    def instances_user_has_permission_for(self, user, action):
        if self._shared_view(user, action):
            return admin_scope(self.model._default_manager.all(), user, Capability.VIEW, shared=True)
        return super().instances_user_has_permission_for(user, action)

    def instances_user_has_any_permission_for(self, user, actions):
        queryset = super().instances_user_has_any_permission_for(user, actions)
        if any(self._shared_view(user, action) for action in actions):
            return queryset | admin_scope(self.model._default_manager.all(), user, Capability.VIEW, shared=True)
        return queryset


class SharedRowsViewSet(ScopedModelViewSet):
    def build_policy(self):
        return SharedRowsPolicy(self.model, capabilities=self.capabilities, require_model_perm=self.require_model_perm)


class SharedRowsMixin:
    """Views read platform rows too; writes keep the scoped querysets."""

    def scoped_queryset(self, action, queryset=None):
        if policy_for(self.model).capability_for(action) == Capability.VIEW:
            queryset = self.model._default_manager.all() if queryset is None else queryset
            return admin_scope(queryset, self.request.user, Capability.VIEW, shared=True)
        return super().scoped_queryset(action, queryset)


class InstanceEditUrlMixin:
    """Listings offer "edit" only on rows this user may change (not on platform rows)."""

    def get_edit_url(self, instance):
        url = super().get_edit_url(instance)
        if url and not policy_for(self.model).user_has_permission_for_instance(self.request.user, "change", instance):
            return None
        return url


class InspectEditUrlMixin:
    def get_edit_url(self):
        url = super().get_edit_url()
        policy = policy_for(self.model)
        if url and not policy.user_has_permission_for_instance(self.request.user, "change", self.object):
            return None
        return url


def owner_label(enterprise) -> str:
    return enterprise.name if enterprise is not None else _("平台公共题库")
