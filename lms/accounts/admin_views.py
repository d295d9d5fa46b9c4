"""The accounts back office ("账号与权限"): enterprise roles, regulators and
API tokens, as Wagtail viewsets scoped per enterprise.

- 企业角色 (Membership): enterprise admins manage the roles of their own
  enterprise; platform superusers manage all.
- 监管人员 (RegulatorMembership): platform superusers only (a regulator is not
  inside any enterprise).
- API 令牌 (ApiToken): enterprise admins create tokens for their enterprise;
  the key is shown once, on the page after creation, and never again (only a
  hash is stored); a token is revoked, not deleted.

The write functions below are this module's service layer (permission check,
validation, audit log in one place); views call only them.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSetGroup

from lms.kernel.admin import ServiceDeleteMixin, ServiceFormMixin

from .admin_scoping import (
    SUPERUSER_ONLY,
    LabelledInspectView,
    ScopedCreateView,
    ScopedDeleteView,
    ScopedEditView,
    ScopedFilterSet,
    ScopedIndexView,
    ScopedModelForm,
    ScopedModelViewSet,
    ScopedViewMixin,
)
from .models import ApiToken, Membership, RegulatorMembership, User
from .phone import normalize_cn_mobile
from .roles import Capability

# The writes live in lms/accounts/services.py (the app's front door).
from .services import (  # noqa: E402
    apitoken_create,
    apitoken_revoke,
    membership_delete,
    membership_save,
    regulator_membership_delete,
    regulator_membership_save,
)

# --- forms -------------------------------------------------------------------------


def find_user(identifier: str) -> User | None:
    """The active account with this email or mainland mobile number."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    if "@" in identifier:
        return User.objects.filter(email=identifier.lower(), is_active=True).first()
    try:
        phone = normalize_cn_mobile(identifier)
    except ValidationError:
        return None
    return User.objects.filter(phone=phone, is_active=True).first()


class MembershipForm(ScopedModelForm):
    """Grant a role to an existing account, named by its email or mobile number
    (so the form never lists other enterprises' people)."""

    scoped_fields = ("enterprise",)
    choice_capability = Capability.ADMINISTER
    account = forms.CharField(
        label=gettext_lazy("登录账号"), max_length=254, help_text=gettext_lazy("填写该账号的邮箱或手机号")
    )

    field_order = ["account", "enterprise", "role", "is_active"]

    class Meta:
        model = Membership
        fields = ["enterprise", "role", "is_active"]
        labels = {"enterprise": gettext_lazy("企业")}

    def clean_account(self):
        user = find_user(self.cleaned_data["account"])
        if user is None:
            raise ValidationError(_("未找到使用该邮箱或手机号的有效账号"))
        self.instance.user = user
        return user


class MembershipEditForm(ScopedModelForm):
    scoped_fields = ()
    choice_capability = Capability.ADMINISTER

    class Meta:
        model = Membership
        fields = ["role", "is_active"]


class RegulatorMembershipForm(ScopedModelForm):
    scoped_fields = ()

    class Meta:
        model = RegulatorMembership
        fields = ["user", "region_code", "authority", "is_active"]
        labels = {"user": gettext_lazy("账号")}


class ApiTokenForm(ScopedModelForm):
    scoped_fields = ("enterprise",)
    choice_capability = Capability.ADMINISTER

    class Meta:
        model = ApiToken
        fields = ["enterprise", "name", "can_write"]
        labels = {"enterprise": gettext_lazy("企业")}
        help_texts = {"can_write": gettext_lazy("允许新增/修改员工、记录任职事件；只读集成请勿勾选")}


# --- memberships -------------------------------------------------------------------


class MembershipFilterSet(ScopedFilterSet):
    class Meta:
        model = Membership
        fields = ["role", "is_active"]


class MembershipIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("user", "enterprise")


class MembershipCreateView(ServiceFormMixin, ScopedCreateView):
    def save_instance(self):
        return membership_save(membership=self.form.instance, actor=self.request.user)


class MembershipEditView(ServiceFormMixin, ScopedEditView):
    def save_instance(self):
        return membership_save(membership=self.form.instance, actor=self.request.user)


class MembershipDeleteView(ServiceDeleteMixin, ScopedDeleteView):
    def delete_action(self):
        membership_delete(membership=self.object, actor=self.request.user)


ACCOUNT_LABELS = {"user": gettext_lazy("账号"), "enterprise": gettext_lazy("企业")}
AccountsInspectView = type("AccountsInspectView", (LabelledInspectView,), {"field_labels": ACCOUNT_LABELS})

ADMIN_ONLY = {
    "view": Capability.ADMINISTER,
    "inspect": Capability.ADMINISTER,
    "add": Capability.ADMINISTER,
    "change": Capability.ADMINISTER,
    "delete": Capability.ADMINISTER,
}


class MembershipViewSet(ScopedModelViewSet):
    model = Membership
    menu_name = "accounts-membership"
    icon = "group"
    menu_label = gettext_lazy("企业角色")
    menu_order = 100
    url_prefix = "accounts/membership"
    capabilities = ADMIN_ONLY
    # Roles come from memberships, not Django permissions: the capability is the permission.
    require_model_perm = False
    tenant_path = "enterprise"
    index_view_class = MembershipIndexView
    add_view_class = MembershipCreateView
    edit_view_class = MembershipEditView
    delete_view_class = MembershipDeleteView
    inspect_view_class = AccountsInspectView
    filterset_class = MembershipFilterSet
    list_display = [
        Column("user", label=gettext_lazy("账号"), sort_key="user__full_name"),
        Column("user.email", label=gettext_lazy("邮箱")),
        "role",
        Column("enterprise", label=gettext_lazy("企业"), sort_key="enterprise__name"),
        BooleanColumn("is_active", label=gettext_lazy("有效")),
        DateColumn("created_at", label=gettext_lazy("创建时间"), sort_key="created_at"),
    ]
    search_fields = ["user__full_name", "user__email", "user__phone"]
    search_backend_name = None
    ordering = ["enterprise", "role"]
    inspect_view_fields = ["user", "enterprise", "role", "is_active", "created_at"]

    def get_form_class(self, for_update=False):
        return MembershipEditForm if for_update else MembershipForm


# --- regulators --------------------------------------------------------------------


class RegulatorMembershipCreateView(ServiceFormMixin, ScopedCreateView):
    def save_instance(self):
        return regulator_membership_save(membership=self.form.instance, actor=self.request.user)


class RegulatorMembershipEditView(ServiceFormMixin, ScopedEditView):
    def save_instance(self):
        return regulator_membership_save(membership=self.form.instance, actor=self.request.user)


class RegulatorMembershipDeleteView(ServiceDeleteMixin, ScopedDeleteView):
    def delete_action(self):
        regulator_membership_delete(membership=self.object, actor=self.request.user)


class RegulatorMembershipIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("user")


class RegulatorMembershipViewSet(ScopedModelViewSet):
    model = RegulatorMembership
    menu_name = "accounts-regulator"
    icon = "view"
    menu_label = gettext_lazy("监管人员")
    menu_order = 200
    url_prefix = "accounts/regulator"
    capabilities = {action: SUPERUSER_ONLY for action in ADMIN_ONLY}
    require_model_perm = False
    index_view_class = RegulatorMembershipIndexView
    add_view_class = RegulatorMembershipCreateView
    edit_view_class = RegulatorMembershipEditView
    delete_view_class = RegulatorMembershipDeleteView
    inspect_view_class = AccountsInspectView
    list_display = [
        Column("user", label=gettext_lazy("账号"), sort_key="user__full_name"),
        "region_code",
        "authority",
        BooleanColumn("is_active", label=gettext_lazy("有效")),
        DateColumn("created_at", label=gettext_lazy("创建时间"), sort_key="created_at"),
    ]
    list_filter = ["is_active"]
    search_fields = ["user__full_name", "user__email", "region_code", "authority"]
    search_backend_name = None
    ordering = ["region_code"]
    inspect_view_fields = ["user", "region_code", "authority", "is_active", "created_at"]

    def get_form_class(self, for_update=False):
        return RegulatorMembershipForm


# --- API tokens --------------------------------------------------------------------

# Where the new key waits, in the server-side session, for the one page that shows it.
NEW_KEY_SESSION = "anxun_new_api_token"


class ApiTokenIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("enterprise")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.revoked_at is None and self.user_has_permission("change"):
            buttons.append(
                MenuItem(
                    _("吊销"), url=reverse("apitoken:revoke", args=(quote(instance.pk),)), icon_name="bin", priority=30
                )
            )
        return buttons


def token_status(token) -> str:
    return _("已吊销") if token.revoked_at else _("有效")


class ApiTokenCreateView(ServiceFormMixin, ScopedCreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        token, key = apitoken_create(
            enterprise=data["enterprise"], name=data["name"], can_write=data["can_write"], actor=self.request.user
        )
        self.request.session[NEW_KEY_SESSION] = {"pk": token.pk, "key": key}
        return token

    def save_action(self):
        messages.success(self.request, _("API 令牌“%(name)s”已创建。") % {"name": self.object.name})
        return redirect("apitoken:created", quote(self.object.pk))


class ApiTokenObjectView(ScopedViewMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, View):
    """Base for the token pages that act on one token of the user's enterprises."""

    model = ApiToken
    permission_required = "change"
    header_icon = "key"
    index_url_name = "apitoken:index"

    def load(self):
        self.object = self.get_scoped_object("change", self.kwargs["pk"], ApiToken.objects.select_related("enterprise"))

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": ApiToken._meta.verbose_name_plural},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def render(self, **context):
        return TemplateResponse(self.request, self.template_name, self.get_context_data(object=self.object, **context))


class ApiTokenCreatedView(ApiTokenObjectView):
    """Shows a new token's key, once: the key leaves the session as it is shown."""

    permission_required = "add"
    template_name = "workforce/admin/apitoken_created.html"
    page_title = gettext_lazy("新建的 API 令牌")

    def get(self, request, *args, **kwargs):
        self.object = self.get_scoped_object("add", self.kwargs["pk"], ApiToken.objects.select_related("enterprise"))
        pending = request.session.get(NEW_KEY_SESSION) or {}
        if pending.get("pk") != self.object.pk:
            messages.warning(request, _("密钥只在创建后显示一次，无法再次查看；如已遗失，请吊销该令牌并新建。"))
            return redirect(self.index_url_name)
        del request.session[NEW_KEY_SESSION]
        messages.warning(request, _("请立即复制并妥善保存下面的密钥：离开本页后将无法再次查看。"))
        response = self.render(key=pending["key"])
        response["Cache-Control"] = "no-store"
        return response


class ApiTokenRevokeView(ApiTokenObjectView):
    template_name = "workforce/admin/apitoken_revoke.html"
    page_title = gettext_lazy("吊销 API 令牌")

    def get(self, request, *args, **kwargs):
        self.load()
        if self.object.revoked_at:
            messages.warning(request, _("该令牌已吊销"))
            return redirect(self.index_url_name)
        return self.render(action_url=request.path)

    def post(self, request, *args, **kwargs):
        self.load()
        try:
            apitoken_revoke(token=self.object, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("API 令牌“%(name)s”已吊销，立即失效。") % {"name": self.object.name})
        return redirect(self.index_url_name)


class ApiTokenViewSet(ScopedModelViewSet):
    model = ApiToken
    menu_name = "accounts-apitoken"
    icon = "key"
    menu_label = gettext_lazy("API 令牌")
    menu_order = 300
    url_prefix = "accounts/apitoken"
    # "change" is revoking; tokens are not edited (a new purpose gets a new token) nor deleted (audit).
    capabilities = {
        "view": Capability.ADMINISTER,
        "inspect": Capability.ADMINISTER,
        "add": Capability.ADMINISTER,
        "change": Capability.ADMINISTER,
    }
    edit_view_enabled = False
    delete_view_enabled = False
    index_view_class = ApiTokenIndexView
    add_view_class = ApiTokenCreateView
    inspect_view_class = type(
        "ApiTokenInspectView",
        (LabelledInspectView,),
        {"field_labels": {**ACCOUNT_LABELS, "created_by": gettext_lazy("创建人")}},
    )
    list_display = [
        "name",
        "prefix",
        Column("enterprise", label=gettext_lazy("企业"), sort_key="enterprise__name"),
        BooleanColumn("can_write", label=gettext_lazy("允许写入")),
        Column("status", label=gettext_lazy("状态"), accessor=token_status),
        DateColumn("last_used_at", label=gettext_lazy("最近使用"), sort_key="last_used_at"),
        DateColumn("created_at", label=gettext_lazy("创建时间"), sort_key="created_at"),
    ]
    list_filter = ["can_write"]
    search_fields = ["name", "prefix"]
    search_backend_name = None
    ordering = ["-created_at"]
    inspect_view_fields = [
        "name",
        "prefix",
        "enterprise",
        "can_write",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]

    def get_form_class(self, for_update=False):
        return ApiTokenForm

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            self.object_url("created", ApiTokenCreatedView.as_view(), "created"),
            self.object_url("revoke", ApiTokenRevokeView.as_view(), "revoke"),
        ]


# --- the group -----------------------------------------------------------------------


class AccountsViewSetGroup(ModelViewSetGroup):
    menu_name = "accounts"
    menu_label = gettext_lazy("账号与权限")
    menu_icon = "lock"
    menu_order = 160
    items = (
        MembershipViewSet("membership"),
        RegulatorMembershipViewSet("regulatormembership"),
        ApiTokenViewSet("apitoken"),
    )


accounts_viewset_group = AccountsViewSetGroup()

__all__ = ["accounts_viewset_group", "apitoken_create", "apitoken_revoke", "membership_save"]
