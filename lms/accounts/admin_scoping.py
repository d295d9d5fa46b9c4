"""Tenancy for the Wagtail back office, in one place.

Wagtail's generic views ask a *permission policy* "may this user do X to this
kind of object / to this object?", and fetch objects through querysets. Both
must agree with :mod:`lms.accounts.scoping`, or an HR person of enterprise B
could open enterprise A's employee by typing its id into the URL.

- :class:`ScopedPermissionPolicy` answers Wagtail's questions from roles
  (Django permissions say *what kind*; capabilities per enterprise say *which
  rows*).
- :func:`admin_scope` narrows a queryset to the rows the back office may show.
- the ``Scoped*ViewMixin`` classes put :func:`admin_scope` under every listing
  and every single-object view, so another enterprise's object is a 404;
- :class:`ScopedModelViewSet` wires the mixins and the policy together: every
  back-office viewset derives from it.

The back office shows only rows of enterprises where the user holds a role
(or everything, for platform superusers). Regulators and people reading their
own records use their own pages, where reads are logged; so :func:`admin_scope`
keeps :func:`~lms.accounts.scoping.scope`'s enterprise rows and drops its
regional and self-access widening.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path as url_path
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin import messages
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.views.generic.models import CopyViewMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry, register_permission_policy

from lms.spreadsheet import SafeSpreadsheetExportMixin

from .models import Membership, User
from .roles import Capability
from .scoping import enterprise_ids, scope

# A capability that no role grants: only platform superusers pass.
SUPERUSER_ONLY = "superuser_only"

# Wagtail action → what the user must be allowed to do in the object's
# enterprise. Actions not listed are refused to everyone, superusers included
# (e.g. deleting employees: their history must stay).
DEFAULT_CAPABILITIES = {
    "view": Capability.VIEW,
    "inspect": Capability.VIEW,
    "add": Capability.CHANGE,
    "change": Capability.CHANGE,
    "delete": Capability.ADMINISTER,
}

# The Django permission that stands for an action (Wagtail's "inspect" is a
# view; anything else is its own codename).
_PERMISSION_ACTION = {"inspect": "view"}


def _tenant_lookup(tenant_path: str) -> str:
    """The lookup that compares a row's enterprise with a set of ids."""
    return "pk__in" if tenant_path == "pk" else f"{tenant_path}__in"


def tenant_enterprise_id(instance, tenant_path: str) -> int | None:
    """The id of the enterprise ``instance`` belongs to, following ``tenant_path``
    ("pk", "enterprise", "employee__enterprise", …) through loaded relations."""
    if tenant_path == "pk":
        return instance.pk
    *relations, last = tenant_path.split("__")
    node = instance
    for name in relations:
        node = getattr(node, name, None)
        if node is None:
            return None
    return getattr(node, f"{last}_id", None)


def admin_scope(
    queryset: QuerySet, user, capability: str, *, tenant_path: str | None = None, shared: bool = False
) -> QuerySet:
    """Narrow ``queryset`` to the rows of enterprises where ``user``'s roles grant
    ``capability`` (all rows for superusers, none for anyone else without a role).

    Goes through :func:`lms.accounts.scoping.scope` whenever the model declares
    its ``tenant_path``; ``tenant_path`` here is only for models that do not.
    ``shared`` keeps the platform rows (no enterprise) that ``scope`` lets
    everyone read on a ``shared_when_null`` model, for a user with a role.
    """
    if capability == SUPERUSER_ONLY:
        return queryset if _is_superuser(user) else queryset.none()
    model_path = getattr(queryset.model, "tenant_path", None)
    path = model_path or tenant_path
    if path is None:
        raise ImproperlyConfigured(f"{queryset.model.__name__} has no tenant_path; it cannot be scoped")
    ents = enterprise_ids(user, capability)
    if model_path is not None:
        queryset = scope(queryset, user, capability)
    if ents is None:
        return queryset
    rows = Q(**{_tenant_lookup(path): ents})
    if shared and ents and model_path is not None:
        rows |= Q(**{f"{path}__isnull": True})  # scope() has already dropped them unless readable
    return queryset.filter(rows)


def _is_superuser(user) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


class ScopedPermissionPolicy(ModelPermissionPolicy):
    """A Wagtail permission policy that knows enterprises.

    ``user_has_permission(user, action)`` is true when the user's roles grant the
    Django permission for the action (unless ``require_model_perm`` is off) *and*
    the capability the action needs in at least one enterprise. Instance checks
    and ``instances_user_has_*`` answer for the object's own enterprise.
    """

    def __init__(self, model, *, capabilities=None, require_model_perm=True, tenant_path=None):
        super().__init__(model)
        self.capabilities = dict(DEFAULT_CAPABILITIES if capabilities is None else capabilities)
        self.require_model_perm = require_model_perm
        self._tenant_path = tenant_path

    @cached_property
    def tenant_path(self) -> str | None:
        """How rows reach their enterprise; None only for superuser-only models."""
        path = getattr(self.model, "tenant_path", None) or self._tenant_path
        if path is None and any(c != SUPERUSER_ONLY for c in self.capabilities.values()):
            raise ImproperlyConfigured(f"{self.model.__name__} has no tenant_path; pass one to the policy")
        return path

    def capability_for(self, action: str) -> str | None:
        """The capability ``action`` needs, or None if nobody may do it."""
        return self.capabilities.get(action)

    def _has_model_perm(self, user, action: str) -> bool:
        if not self.require_model_perm:
            return True
        return user.has_perm(self._get_permission_name(_PERMISSION_ACTION.get(action, action)))

    # --- model level --------------------------------------------------------

    def user_has_permission(self, user, action):
        capability = self.capability_for(action)
        if capability is None or not getattr(user, "is_active", False) or not user.is_authenticated:
            return False
        if user.is_superuser:
            return True
        if capability == SUPERUSER_ONLY or not self._has_model_perm(user, action):
            return False
        return bool(enterprise_ids(user, capability))

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    # --- instance level -----------------------------------------------------

    def user_has_permission_for_instance(self, user, action, instance):
        if not self.user_has_permission(user, action):
            return False
        if user.is_superuser:
            return True
        ents = enterprise_ids(user, self.capability_for(action))
        return ents is None or tenant_enterprise_id(instance, self.tenant_path) in ents

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission_for_instance(user, action, instance) for action in actions)

    def instances_user_has_permission_for(self, user, action):
        manager = self.model._default_manager
        if not self.user_has_permission(user, action):
            return manager.none()
        return admin_scope(manager.all(), user, self.capability_for(action), tenant_path=self.tenant_path)

    def instances_user_has_any_permission_for(self, user, actions):
        manager = self.model._default_manager
        allowed = [a for a in actions if self.user_has_permission(user, a)]
        if not allowed:
            return manager.none()
        if _is_superuser(user):
            return manager.all()
        ents: set[int] = set()
        for action in allowed:
            ents |= enterprise_ids(user, self.capability_for(action)) or set()
        return manager.filter(**{_tenant_lookup(self.tenant_path): ents})


def policy_for(model) -> ScopedPermissionPolicy:
    policy = policy_registry.get_by_type(model)
    if not isinstance(policy, ScopedPermissionPolicy):
        raise ImproperlyConfigured(f"{model.__name__} has no ScopedPermissionPolicy registered")
    return policy


# --- view mixins ---------------------------------------------------------------


class ScopedViewMixin:
    """Gives a view :meth:`scoped_queryset` — the model's rows this user may
    use for ``action``, per the model's :class:`ScopedPermissionPolicy`.

    The view's own permission (``permission_required`` /
    ``any_permission_required``) is checked before any object is fetched:
    Wagtail's delete, history, usage and inspect views load their object in
    ``setup()``, and a missing permission must read as "not allowed" (Wagtail
    redirects with a message), not as "not found".
    """

    def setup(self, request, *args, **kwargs):
        self.request = request
        required = getattr(self, "permission_required", None)
        if required is not None and not self.user_has_permission(required):
            raise PermissionDenied
        any_required = getattr(self, "any_permission_required", None)
        if any_required is not None and not self.user_has_any_permission(any_required):
            raise PermissionDenied
        super().setup(request, *args, **kwargs)

    def scoped_queryset(self, action: str, queryset: QuerySet | None = None) -> QuerySet:
        policy = policy_for(self.model)
        queryset = self.model._default_manager.all() if queryset is None else queryset
        capability = policy.capability_for(action)
        if capability is None:
            return queryset.none()
        return admin_scope(queryset, self.request.user, capability, tenant_path=policy.tenant_path)

    def get_scoped_object(self, action: str, pk, queryset: QuerySet | None = None):
        """The object with ``pk`` if this user may use it for ``action``; else 404."""
        return get_object_or_404(self.scoped_queryset(action, queryset), pk=unquote(str(pk)))


class ScopedIndexViewMixin(ScopedViewMixin):
    def get_base_queryset(self):
        return self.scoped_queryset("view", super().get_base_queryset())


class ScopedCreateViewMixin(ScopedViewMixin):
    """Nothing to fetch on create; the form limits its choices (admin_forms)."""


class ScopedEditViewMixin(ScopedViewMixin):
    def get_queryset(self):
        return self.scoped_queryset("change", super().get_queryset())


class ScopedDeleteViewMixin(ScopedViewMixin):
    def get_queryset(self):
        return self.scoped_queryset("delete", super().get_queryset())


class ScopedInspectViewMixin(ScopedViewMixin):
    def get_object(self, queryset=None):
        return self.get_scoped_object("view", self.pk)


class ScopedHistoryViewMixin(ScopedViewMixin):
    # History shows who wrote what: for the people who may write the object
    # (for append-only models, the people who may add them).
    def get_base_object_queryset(self):
        policy = policy_for(self.model)
        action = next((a for a in ("change", "add") if policy.capability_for(a)), "change")
        return self.scoped_queryset(action, super().get_base_object_queryset())


class ScopedUsageViewMixin(ScopedViewMixin):
    def get_base_object_queryset(self):
        return self.scoped_queryset("change", super().get_base_object_queryset())


class ScopedCopyViewMixin(ScopedViewMixin):
    def get_object(self, queryset=None):
        return self.get_scoped_object("view", self.kwargs[self.pk_url_kwarg])


class ScopedFilterSet(WagtailFilterSet):
    """A FilterSet whose relation filters offer only rows of the user's enterprises.

    Every ``ModelChoiceFilter`` / ``ModelMultipleChoiceFilter`` is narrowed with
    the request's user; a relation to a model that cannot be scoped is refused
    when the filter set is built, so a new filter cannot leak another
    enterprise's units or posts by accident.
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        for name, flt in self.filters.items():
            if not isinstance(flt, (django_filters.ModelChoiceFilter, django_filters.ModelMultipleChoiceFilter)):
                continue
            choices = flt.get_queryset(request)
            if getattr(choices.model, "tenant_path", None) is None:
                raise ImproperlyConfigured(f"{type(self).__name__}.{name}: {choices.model.__name__} cannot be scoped")
            flt.queryset = admin_scope(choices, user, Capability.VIEW) if user else choices.none()


class ScopedIndexView(SafeSpreadsheetExportMixin, ScopedIndexViewMixin, generic.IndexView):
    # FilterSets built from a viewset's list_filter are scoped too; CSV/XLSX
    # exports (list_export) write no cell that a spreadsheet would run as a formula.
    base_filterset_class = ScopedFilterSet

    @cached_property
    def add_item_label(self):
        # Wagtail's "Add %(model_name)s" reads "添加 员工" in Chinese; say it without the gap.
        return _("新增%(model_name)s") % {"model_name": self.model._meta.verbose_name}


class ScopedCreateView(ScopedCreateViewMixin, generic.CreateView):
    inspect_url_name = None

    def get_breadcrumbs_items(self):
        # Wagtail's "New: %(model_name)s" has no Chinese translation.
        items = super().get_breadcrumbs_items()
        if items and self.model:
            items[-1] = {**items[-1], "label": _("新增%(model_name)s") % {"model_name": self.model._meta.verbose_name}}
        return items

    def get_edit_url(self):
        # Models without an edit view (events, assignments, tokens) link to
        # their inspect page after creation instead.
        if self.edit_url_name:
            return super().get_edit_url()
        if self.inspect_url_name:
            return reverse(self.inspect_url_name, args=(quote(self.object.pk),))
        return None

    def get_success_buttons(self):
        url = self.get_edit_url()
        if not url:
            return []
        label = _("Edit") if self.edit_url_name else _("Inspect")
        return [messages.button(url, label)]


class ScopedEditView(ScopedEditViewMixin, generic.EditView):
    pass


class ScopedDeleteView(ScopedDeleteViewMixin, generic.DeleteView):
    pass


class ScopedInspectView(ScopedInspectViewMixin, generic.InspectView):
    page_title = gettext_lazy("查看")  # Wagtail's own label reads "检查" (examine)

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if isinstance(value, bool):
            return _("是") if value else _("否")
        if value is None or value == "":
            return "—"
        return value


class LabelledInspectView(ScopedInspectView):
    """An inspect view with Chinese labels for properties (``field_labels``)."""

    field_labels: dict = {}

    def get_field_label(self, field_name, field):
        if field_name in self.field_labels:
            return str(self.field_labels[field_name])
        return super().get_field_label(field_name, field)


class ScopedHistoryView(ScopedHistoryViewMixin, history.HistoryView):
    @cached_property
    def header_buttons(self):
        # Wagtail's history page always offers "Edit"; not every model has one.
        return super().header_buttons if self.edit_url_name else []


class ScopedUsageView(ScopedUsageViewMixin, usage.UsageView):
    pass


def users_for(actor, capability: str = Capability.CHANGE):
    """Login accounts that may be linked to a record: people with an active role
    in an enterprise where ``actor`` has ``capability`` (everyone for superusers)."""
    ents = enterprise_ids(actor, capability)
    users = User.objects.filter(is_active=True)
    if ents is None:
        return users.order_by("full_name", "email")
    member_ids = Membership.objects.filter(enterprise_id__in=ents, is_active=True).values("user_id")
    return users.filter(pk__in=member_ids).order_by("full_name", "email")


class ScopedModelForm(WagtailAdminModelForm):
    """A model form whose relation choices come from the user's enterprises.

    ``scoped_fields`` names the choice fields to narrow (with CHANGE). When the
    user may change exactly one enterprise, an ``enterprise`` field is set to
    it and hidden.
    """

    scoped_fields = ("enterprise", "org_unit", "parent", "post", "mentor", "employee")
    choice_capability = Capability.CHANGE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs for_user to scope its choices")
        for name in self.scoped_fields:
            field = self.fields.get(name)
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = admin_scope(field.queryset, self.for_user, self.choice_capability)
        if "user" in self.fields:
            current = getattr(self.instance, "user_id", None)
            queryset = users_for(self.for_user, self.choice_capability)
            if current:
                queryset = User.objects.filter(Q(pk__in=queryset.values("pk")) | Q(pk=current)).order_by("full_name")
            self.fields["user"].queryset = queryset
        field = self.fields.get("enterprise")
        if isinstance(field, forms.ModelChoiceField):
            only = list(field.queryset.values_list("pk", flat=True)[:2])
            if len(only) == 1:
                field.initial = only[0]
                field.widget = forms.HiddenInput()


class ScopedModelViewSet(ModelViewSet):
    """A ModelViewSet whose every view is narrowed to the user's enterprises.

    Subclasses set ``model`` and may set ``capabilities`` (Wagtail action →
    capability, see :data:`DEFAULT_CAPABILITIES`), ``require_model_perm`` and
    ``tenant_path`` for the policy; ``edit_view_enabled`` /
    ``delete_view_enabled`` drop those views (and their URLs) entirely.
    Custom view classes must derive from the ``Scoped*View`` classes; this is
    checked when the viewset is built.
    """

    capabilities = None
    require_model_perm = True
    tenant_path = None
    edit_view_enabled = True
    delete_view_enabled = True
    copy_view_enabled = False
    inspect_view_enabled = True

    index_view_class = ScopedIndexView
    add_view_class = ScopedCreateView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    inspect_view_class = ScopedInspectView

    _required_bases = {
        "index_view_class": ScopedIndexViewMixin,
        "add_view_class": ScopedCreateViewMixin,
        "edit_view_class": ScopedEditViewMixin,
        "delete_view_class": ScopedDeleteViewMixin,
        "history_view_class": ScopedHistoryViewMixin,
        "usage_view_class": ScopedUsageViewMixin,
        "inspect_view_class": ScopedInspectViewMixin,
    }

    def __init__(self, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        for attr, base in self._required_bases.items():
            if not issubclass(getattr(self, attr), base):
                raise ImproperlyConfigured(f"{type(self).__name__}.{attr} must derive from {base.__name__}")
        self.register_policy()

    def build_policy(self) -> ScopedPermissionPolicy:
        return ScopedPermissionPolicy(
            self.model,
            capabilities=self.capabilities,
            require_model_perm=self.require_model_perm,
            tenant_path=self.tenant_path,
        )

    def register_policy(self):
        """Register this model's policy with Wagtail, once, before any view asks."""
        existing = policy_registry.get_by_type(self.model, fallback=False)
        if existing is None:
            # If anything asked for this model's policy before the viewset was
            # built, Wagtail made an unscoped fallback; the scoped one must win.
            policy_registry.fallback_policies.pop(self.model, None)
            register_permission_policy(self.model, self.build_policy(), exact_class=True)
        elif not isinstance(existing, ScopedPermissionPolicy):
            raise ImproperlyConfigured(f"{self.model.__name__} already has an unscoped permission policy")

    @property
    def copy_view_class(self):
        return type(f"{self.model.__name__}CopyView", (ScopedCopyViewMixin, CopyViewMixin, self.add_view_class), {})

    @property
    def url_finder_class(self):
        if self.edit_view_enabled:
            return super().url_finder_class
        # No edit view: "the admin page of this object" (usage lists, search
        # results) is its inspect page, for those who may view it.
        inspect_url_name = self.get_url_name("inspect") if self.inspect_view_enabled else None

        class InspectURLFinder(ModelAdminURLFinder):
            def construct_edit_url(self, instance):
                return reverse(inspect_url_name, args=(quote(instance.pk),)) if inspect_url_name else None

            def get_edit_url(self, instance):
                policy = policy_registry.get(instance)
                if self.user and not policy.user_has_permission_for_instance(self.user, "view", instance):
                    return None
                return self.construct_edit_url(instance)

        return InspectURLFinder

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        if not self.edit_view_enabled:
            view_kwargs["edit_url_name"] = None
        if not self.delete_view_enabled:
            view_kwargs["delete_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self):
        dropped = set()
        if not self.edit_view_enabled:
            dropped.add("edit")
        if not self.delete_view_enabled:
            dropped.add("delete")
        return [p for p in super().get_urlpatterns() if p.name not in dropped]

    def object_url(self, route: str, view, name: str):
        """A URL pattern for an extra single-object view (e.g. an action)."""
        return url_path(f"{route}/<{self.pk_path_converter}:pk>/", view, name=name)


__all__ = [
    "DEFAULT_CAPABILITIES",
    "SUPERUSER_ONLY",
    "ScopedModelViewSet",
    "ScopedPermissionPolicy",
    "ScopedViewMixin",
    "admin_scope",
    "policy_for",
    "tenant_enterprise_id",
]
