"""The certificate back office (证书), in the "培训合规" menu group.

HR registers certificates issued by authorities (特种作业操作证 with its
category, 主要负责人/安全管理人员考核合格证, 特种设备作业人员证) with a scan,
and suspends, revokes, reinstates them or records a review (复审), each with a
reason and an audit entry. Certificates are never edited in place nor
deleted. Every write goes through :mod:`certificates.services`; scans are
served through a scoped view, never as public media.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import OrderedDict

import django_filters
from django import forms
from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import AdminDateInput
from wagtail.admin.widgets.button import HeaderButton

from lms.accounts.admin_scoping import (
    LabelledInspectView,
    ScopedCreateView,
    ScopedEditView,
    ScopedFilterSet,
    ScopedIndexView,
    ScopedModelForm,
    ScopedModelViewSet,
    ScopedViewMixin,
)
from lms.accounts.roles import Capability
from lms.kernel.admin import LocalTimeInspectMixin, ServiceFormMixin, apply_service_errors, date_text_column
from lms.media.serving import fieldfile_response
from lms.uploads import check_upload
from lms.workforce.models import OrgUnit

from . import selectors, services
from .models import INTERNAL_KINDS, Certificate, CertificateKind, CertificateType, IssuerProfile

EXPIRING_DAYS = 90
SCAN_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png")
SCAN_MAX_BYTES = 20 * 1024 * 1024


# --- forms ---------------------------------------------------------------------------


class CertificateForm(ScopedModelForm):
    """Register a certificate an authority issued (certificate_register)."""

    scoped_fields = ("employee", "replaces")

    class Meta:
        model = Certificate
        fields = [
            "employee",
            "kind",
            "category",
            "number",
            "authority",
            "issued_on",
            "valid_until",
            "next_review_due",
            "scan",
            "replaces",
        ]
        help_texts = {
            "category": gettext_lazy("特种作业操作证必填，须与岗位的特种作业类别一致"),
            "next_review_due": gettext_lazy("特种作业操作证每 3 年复审一次（令30 §21）；留空按发证日期推算"),
            "valid_until": gettext_lazy("留空按证书类型推算：特种作业操作证 6 年，考核合格证 3 年"),
            "scan": gettext_lazy("证书扫描件（PDF、JPG、PNG，不超过 20 MB）"),
            "replaces": gettext_lazy("换证时选择被替代的旧证"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = self.fields["employee"].queryset.order_by("employee_no")
        # Internal certificates are issued by Anxun (or HR with a basis), never registered.
        self.fields["kind"].choices = [c for c in self.fields["kind"].choices if c[0] not in INTERNAL_KINDS]
        self.fields["replaces"].queryset = self.fields["replaces"].queryset.select_related("employee")

    def clean_scan(self):
        scan = self.cleaned_data.get("scan")
        if scan and hasattr(scan, "size"):
            if os.path.splitext(scan.name)[1].lower() not in SCAN_EXTENSIONS:
                raise ValidationError(_("扫描件只接受 PDF、JPG、PNG 文件"))
            if scan.size > SCAN_MAX_BYTES:
                raise ValidationError(_("扫描件不能超过 20 MB"))
            check_upload(scan)  # the global cap (UploadRefused is a ValidationError)
        return scan

    def clean(self):
        # The same rules as the service and the database constraints, said on
        # the field they concern (and in Chinese) before the model checks run.
        cleaned = super().clean()
        kind, category = cleaned.get("kind"), cleaned.get("category")
        if kind == CertificateKind.SPECIAL_OPERATION and not category:
            self.add_error("category", _("特种作业操作证必须填写作业类别"))
        elif kind and kind != CertificateKind.SPECIAL_OPERATION and category:
            self.add_error("category", _("只有特种作业操作证填写作业类别"))
        issued, valid_until = cleaned.get("issued_on"), cleaned.get("valid_until")
        employee = cleaned.get("employee")
        if issued and kind and employee and not valid_until and kind not in INTERNAL_KINDS:
            # The type's validity (令30: 6 years; 办法 §25: 3 years), before the model's checks run.
            valid_until, _review = services.derived_dates(
                kind=kind, type=selectors.certificate_type_for(employee.enterprise, kind), enterprise=employee.enterprise,
                issued_on=issued)
            cleaned["valid_until"] = valid_until
        if issued and valid_until and valid_until < issued:
            self.add_error("valid_until", _("有效期不能早于发证日期"))
        number, authority = (cleaned.get("number") or "").strip(), (cleaned.get("authority") or "").strip()
        if kind and number and authority and selectors.certificate_number_taken(kind, number, authority):
            self.add_error("number", _("该发证机关的同类证书编号已登记"))
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("原因"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("如：发证机关通报吊销、复审不合格、本人违章被暂扣等；记入审计日志"),
    )


class ReviewForm(forms.Form):
    reviewed_on = forms.DateField(label=gettext_lazy("复审日期"), widget=AdminDateInput())
    next_review_due = forms.DateField(
        label=gettext_lazy("下次复审日期"),
        required=False,
        widget=AdminDateInput(),
        help_text=gettext_lazy("留空按规则推算：特种作业操作证自本次复审期限起顺延 3 年（延期复审为 6 年），"
                               "超过有效期则不再复审；其他证书留空表示有效期内无需再复审"),
    )
    extend = forms.BooleanField(
        label=gettext_lazy("延期复审（每 6 年一次）"),
        required=False,
        help_text=gettext_lazy("连续从事本工种满 10 年且无违规违章和处罚，经考核发证机关同意（令30 §21）"),
    )


# --- views ---------------------------------------------------------------------------


class CertificateFilterSet(ScopedFilterSet):
    unit = django_filters.ModelChoiceFilter(
        label=gettext_lazy("单位（含下级）"), queryset=OrgUnit.objects.all(), method="filter_unit"
    )
    expiring = django_filters.BooleanFilter(
        label=gettext_lazy("90 天内到期"),  # EXPIRING_DAYS
        method="filter_expiring",
        widget=forms.NullBooleanSelect,
    )
    expiring_days = django_filters.NumberFilter(
        label=gettext_lazy("N 天内到期或复审"), method="filter_expiring_days", min_value=0, max_value=3650
    )
    lapsed_on_post = django_filters.BooleanFilter(
        label=gettext_lazy("在岗失效"), method="filter_lapsed_on_post", widget=forms.NullBooleanSelect,
        help_text=gettext_lazy("持证人仍在岗，但证书已过期、逾期未复审、暂停或吊销，因而失去上岗资格"),
    )

    class Meta:
        model = Certificate
        fields = ["kind", "category", "status", "unit", "expiring", "expiring_days", "lapsed_on_post"]

    def filter_unit(self, queryset, name, value):
        if not value:
            return queryset
        # 三级: company → workshop → team, so two levels below cover the subtree.
        units = OrgUnit.objects.filter(
            Q(pk=value.pk) | Q(parent_id=value.pk) | Q(parent__parent_id=value.pk)
        ).values("pk")
        return queryset.filter(employee__org_unit__in=units)

    def filter_expiring(self, queryset, name, value):
        today = timezone.localdate()
        soon = {
            "status": Certificate.Status.VALID,
            "valid_until__gte": today,
            "valid_until__lte": today + dt.timedelta(days=EXPIRING_DAYS),
        }
        return queryset.filter(**soon) if value else queryset.exclude(**soon)

    def filter_expiring_days(self, queryset, name, value):
        if value is None:
            return queryset
        today = timezone.localdate()
        until = today + dt.timedelta(days=int(value))
        return queryset.filter(status=Certificate.Status.VALID).filter(
            Q(valid_until__gte=today, valid_until__lte=until)
            | Q(next_review_due__gte=today, next_review_due__lte=until)
        )

    def filter_lapsed_on_post(self, queryset, name, value):
        if value is None:
            return queryset
        enterprise_ids = set(queryset.values_list("employee__enterprise_id", flat=True).distinct())
        # The clearance gate's own answer: the certificates its reasons name.
        lapsed = selectors.certificate_ids_lapsed_on_post(enterprise_ids)
        return queryset.filter(pk__in=lapsed) if value else queryset.exclude(pk__in=lapsed)


def action_buttons(certificate, url_args) -> list[tuple[str, str, str]]:
    """(label, url name, icon) of the status actions open for this certificate."""
    status = certificate.status
    out = []
    if status == Certificate.Status.VALID:
        out += [(_("登记复审"), "certificate:review", "history"), (_("暂停"), "certificate:suspend", "pick")]
    if status == Certificate.Status.SUSPENDED:
        out.append((_("恢复"), "certificate:reinstate", "undo"))
    if status in (Certificate.Status.VALID, Certificate.Status.SUSPENDED):
        out.append((_("吊销/注销"), "certificate:revoke", "cross"))
    if certificate.verification_code and status != Certificate.Status.SUPERSEDED:
        out.append((_("换发"), "certificate:reissue", "repeat"))
    if certificate.verification_code:
        out.append((_("下载 PDF"), "certificate:pdf", "download"))
    return [(label, reverse(name, args=url_args), icon) for label, name, icon in out]


def _state(c) -> str:
    label = c.state_label(timezone.localdate())
    if c.review_overdue_on(timezone.localdate()) and c.state_on(timezone.localdate()) == "valid":
        label += _("（逾期未复审）")
    return label


class CertificateIndexView(ScopedIndexView):
    # Columns of the Excel/CSV export (list_export names them).
    export_fields = OrderedDict([
        ("employee_no", (gettext_lazy("工号"), lambda c: c.employee.employee_no)),
        ("holder", (gettext_lazy("持证人"), lambda c: c.employee.name)),
        ("unit", (gettext_lazy("单位"), lambda c: c.employee.org_unit.name if c.employee.org_unit_id else "")),
        ("type", (gettext_lazy("证书"), lambda c: c.type.name if c.type_id else c.get_kind_display())),
        ("category", (gettext_lazy("作业类别"), lambda c: c.get_category_display() if c.category else "")),
        ("post", (gettext_lazy("岗位"), lambda c: c.post.name if c.post_id else "")),
        ("number", (gettext_lazy("证书编号"), lambda c: c.number)),
        ("authority", (gettext_lazy("发证单位"), lambda c: c.authority)),
        ("issued_on", (gettext_lazy("发证日期"), lambda c: c.issued_on)),
        ("valid_until", (gettext_lazy("有效期至"), lambda c: c.valid_until or _("长期有效"))),
        ("next_review_due", (gettext_lazy("下次复审日期"), lambda c: c.next_review_due or "")),
        ("state", (gettext_lazy("状态"), _state)),
    ])

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("employee__org_unit", "type", "post")

    def to_row_dict(self, item):
        return OrderedDict((key, self.export_fields[key][1](item)) for key in self.list_export)

    def get_heading(self, queryset, field):
        return str(self.export_fields[field][0])

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.user_has_permission("change"):
            for n, (label, url, icon) in enumerate(action_buttons(instance, (quote(instance.pk),))):
                buttons.append(MenuItem(label, url=url, icon_name=icon, priority=30 + n))
        return buttons


NUMBER_MASKED_MESSAGE = gettext_lazy(
    "证书编号中含有身份证号，已按个人信息保护要求保存为“%(number)s”（完整身份证号已加密保存在员工信息中）。"
)


class CertificateCreateView(ServiceFormMixin, ScopedCreateView):
    success_message = gettext_lazy("已登记证书：%(object)s")
    submit_button_label = gettext_lazy("登记证书")

    def get_initial(self):
        initial = super().get_initial()
        employee = self.request.GET.get("employee", "")
        if employee.isdigit():
            initial["employee"] = int(employee)
        return initial

    def save_instance(self):
        data = self.form.cleaned_data
        certificate = services.certificate_register(
            employee=data["employee"],
            kind=data["kind"],
            category=data.get("category") or "",
            number=data["number"],
            authority=data["authority"],
            issued_on=data["issued_on"],
            valid_until=data.get("valid_until"),
            next_review_due=data.get("next_review_due"),
            scan=data.get("scan") or None,
            replaces=data.get("replaces"),
            actor=self.request.user,
        )
        if certificate.number_masked:
            messages.warning(self.request, NUMBER_MASKED_MESSAGE % {"number": certificate.number})
        return certificate


class CertificateInspectView(LocalTimeInspectMixin, LabelledInspectView):
    template_name = "certificates/admin/certificate_inspect.html"
    field_labels = {"registered_by": gettext_lazy("登记人")}

    def get_object(self, queryset=None):
        return self.get_scoped_object(
            "view", self.pk, Certificate.objects.select_related("employee", "replaces", "registered_by")
        )

    def get_scan_display_value(self):
        return os.path.basename(self.object.scan.name) if self.object.scan else "—"

    @cached_property
    def header_buttons(self):
        if not self.user_has_permission_for_instance("change", self.object):
            return []
        return [
            HeaderButton(label, url=url, icon_name=icon)
            for label, url, icon in action_buttons(self.object, (quote(self.object.pk),))
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["scan_url"] = reverse("certificate:scan", args=(quote(self.object.pk),)) if self.object.scan else None
        context["replaced_by"] = list(self.object.replaced_by.all())
        return context


class CertificateObjectView(ScopedViewMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, View):
    """Base for an action on one certificate of the user's enterprises."""

    model = Certificate
    permission_required = "change"
    template_name = "certificates/admin/certificate_action.html"
    header_icon = "form"
    index_url_name = "certificate:index"
    form_class = ReasonForm
    submit_label = ""
    explanation = ""

    def load(self):
        queryset = Certificate.objects.select_related("employee")
        self.object = self.get_scoped_object("change", self.kwargs["pk"], queryset)

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": Certificate._meta.verbose_name_plural},
            {"url": reverse("certificate:inspect", args=(quote(self.object.pk),)), "label": str(self.object)},
            {"url": "", "label": self.get_page_title()},
        ]

    def render(self, form):
        context = self.get_context_data(
            form=form,
            object=self.object,
            explanation=self.explanation,
            action_url=self.request.path,
            submit_button_label=self.submit_label or self.get_page_title(),
            submit_button_active_label=_("正在保存…"),
            media=form.media,
        )
        return TemplateResponse(self.request, self.template_name, context)

    def get(self, request, *args, **kwargs):
        self.load()
        return self.render(self.form_class())

    def perform(self, form):
        raise NotImplementedError

    def success_message(self) -> str:
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        self.load()
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                self.object = self.perform(form)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, self.success_message())
                return redirect("certificate:inspect", quote(self.object.pk))
        messages.validation_error(request, _("操作未完成，请检查填写内容。"), form)
        return self.render(form)


class CertificateSuspendView(CertificateObjectView):
    page_title = gettext_lazy("暂停证书")
    explanation = gettext_lazy("暂停后，持证人立即失去需要此证的岗位的上岗资格，直到恢复。")

    def perform(self, form):
        return services.certificate_suspend(
            certificate=self.object, reason=form.cleaned_data["reason"], actor=self.request.user
        )

    def success_message(self):
        return _("证书“%(c)s”已暂停。") % {"c": self.object}


class CertificateRevokeView(CertificateObjectView):
    page_title = gettext_lazy("吊销/注销证书")
    explanation = gettext_lazy("吊销/注销不可撤销：持证人立即失去需要此证的岗位的上岗资格；重新取证后请登记新证。")

    def perform(self, form):
        return services.certificate_revoke(
            certificate=self.object, reason=form.cleaned_data["reason"], actor=self.request.user
        )

    def success_message(self):
        return _("证书“%(c)s”已吊销/注销。") % {"c": self.object}


class CertificateReissueView(CertificateObjectView):
    page_title = gettext_lazy("换发证书")
    explanation = gettext_lazy("换发生成新编号、新验证码的新证，并与原证关联；原证（如仍有效）即作废。"
                               "用于到期换证、遗失补发，或吊销后重新培训考核合格再发证。")

    def perform(self, form):
        return services.certificate_reissue(
            certificate=self.object, reason=form.cleaned_data["reason"], actor=self.request.user
        )

    def success_message(self):
        return _("已换发新证“%(c)s”。") % {"c": self.object}


class CertificatePdfView(ScopedViewMixin, PermissionCheckedMixin, View):
    """The PDF of an internal certificate, for HR (print, resend)."""

    model = Certificate
    permission_required = "view"

    def get(self, request, pk):
        from .views import pdf_response

        queryset = Certificate.objects.select_related("employee__enterprise", "type", "post")
        certificate = self.get_scoped_object("view", pk, queryset)
        if not certificate.verification_code:
            raise Http404
        return pdf_response(certificate)


class CertificateReinstateView(CertificateObjectView):
    page_title = gettext_lazy("恢复证书")
    explanation = gettext_lazy("恢复暂停的证书效力；在有效期内的证书恢复后即可作为上岗依据。")

    def perform(self, form):
        return services.certificate_reinstate(
            certificate=self.object, reason=form.cleaned_data["reason"], actor=self.request.user
        )

    def success_message(self):
        return _("证书“%(c)s”已恢复。") % {"c": self.object}


class CertificateReviewView(CertificateObjectView):
    page_title = gettext_lazy("登记复审")
    explanation = gettext_lazy("复审合格后登记：填写本次复审日期和下次复审日期。")
    form_class = ReviewForm

    def get(self, request, *args, **kwargs):
        self.load()
        return self.render(self.form_class(initial={"reviewed_on": timezone.localdate()}))

    def perform(self, form):
        return services.certificate_review(
            certificate=self.object,
            reviewed_on=form.cleaned_data["reviewed_on"],
            next_review_due=form.cleaned_data.get("next_review_due"),
            extend=form.cleaned_data.get("extend", False),
            actor=self.request.user,
        )

    def success_message(self):
        return _("已登记证书“%(c)s”的复审。") % {"c": self.object}


class ScanView(ScopedViewMixin, PermissionCheckedMixin, View):
    """The scan of a certificate the user may view (never public media)."""

    model = Certificate
    permission_required = "view"

    def get(self, request, pk):
        obj = self.get_scoped_object("view", pk)
        return fieldfile_response(request, obj.scan, attachment=False)


class CertificateViewSet(ScopedModelViewSet):
    model = Certificate
    menu_name = "compliance-certificate"
    icon = "tick-inverse"
    menu_label = gettext_lazy("证书")
    menu_order = 500
    menu_hook = "register_compliance_menu_item"
    url_prefix = "certificates/certificate"
    # "change" is suspend / revoke / reinstate / review; no edit form, no delete (audit).
    capabilities = {
        "view": Capability.VIEW,
        "inspect": Capability.VIEW,
        "add": Capability.CHANGE,
        "change": Capability.CHANGE,
    }
    edit_view_enabled = False
    delete_view_enabled = False
    index_view_class = CertificateIndexView
    add_view_class = CertificateCreateView
    inspect_view_class = CertificateInspectView
    filterset_class = CertificateFilterSet
    list_display = [
        "number",
        Column("employee", label=gettext_lazy("持证人"), sort_key="employee__employee_no"),
        "kind",
        "category",
        date_text_column("valid_until", gettext_lazy("有效期至")),
        date_text_column("next_review_due", gettext_lazy("下次复审日期")),
        "status",
    ]
    list_export = list(CertificateIndexView.export_fields)
    export_filename = "certificates"
    search_fields = ["number", "employee__name", "employee__employee_no", "authority"]
    search_backend_name = None
    ordering = ["employee__employee_no", "kind", "-valid_until"]  # each person's certificates, newest first
    list_per_page = 50
    inspect_view_fields = [
        "employee",
        "type",
        "kind",
        "post",
        "level",
        "issued_via",
        "basis_note",
        "category",
        "number",
        "authority",
        "issued_on",
        "valid_until",
        "next_review_due",
        "status",
        "status_changed_at",
        "status_reason",
        "status_changed_by",
        "scan",
        "replaces",
        "registered_by",
        "created_at",
    ]

    def get_form_class(self, for_update=False):
        return CertificateForm

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            self.object_url("suspend", CertificateSuspendView.as_view(), "suspend"),
            self.object_url("revoke", CertificateRevokeView.as_view(), "revoke"),
            self.object_url("reinstate", CertificateReinstateView.as_view(), "reinstate"),
            self.object_url("review", CertificateReviewView.as_view(), "review"),
            self.object_url("scan", ScanView.as_view(), "scan"),
            self.object_url("reissue", CertificateReissueView.as_view(), "reissue"),
            self.object_url("pdf", CertificatePdfView.as_view(), "pdf"),
        ]


# --- certificate types and issuers ---------------------------------------------------------------


class CertificateTypeForm(ScopedModelForm):
    """A certificate type of the user's enterprise (certificate_type_save)."""

    scoped_fields = ("enterprise",)

    class Meta:
        model = CertificateType
        fields = [
            "enterprise", "code", "name", "kind", "layout", "validity_months", "review_interval_months", "issuer",
            "number_pattern", "clearance_required", "auto_issue", "is_active", "template_html",
        ]
        widgets = {"template_html": forms.Textarea(attrs={"rows": 16, "spellcheck": "false"})}


class _TypeSaveMixin(ServiceFormMixin):
    def save_instance(self):
        instance = self.form.save(commit=False)
        return services.certificate_type_save(type=instance, actor=self.request.user)


class CertificateTypeCreateView(_TypeSaveMixin, ScopedCreateView):
    success_message = gettext_lazy("已新增证书类型：%(object)s")


class CertificateTypeEditView(_TypeSaveMixin, ScopedEditView):
    success_message = gettext_lazy("已保存证书类型：%(object)s")


class CertificateTypeViewSet(ScopedModelViewSet):
    model = CertificateType
    menu_name = "compliance-certificate-type"
    icon = "doc-full"
    menu_label = gettext_lazy("证书类型")
    menu_order = 510
    menu_hook = "register_compliance_menu_item"
    url_prefix = "certificates/type"
    capabilities = {"view": Capability.VIEW, "add": Capability.CHANGE, "change": Capability.CHANGE}
    delete_view_enabled = False  # issued certificates keep their type
    add_view_class = CertificateTypeCreateView
    edit_view_class = CertificateTypeEditView
    list_display = ["name", "code", "kind", "layout", "validity_months", "clearance_required", "auto_issue",
                    "is_active"]
    list_filter = ["kind", "is_active"]
    ordering = ["kind", "code"]

    def get_form_class(self, for_update=False):
        return CertificateTypeForm


class IssuerProfileForm(ScopedModelForm):
    scoped_fields = ("enterprise",)

    class Meta:
        model = IssuerProfile
        fields = ["enterprise", "issuer_name", "seal"]

    def clean_seal(self):
        seal = self.cleaned_data.get("seal")
        if seal and hasattr(seal, "size"):
            if os.path.splitext(seal.name)[1].lower() not in (".png", ".jpg", ".jpeg"):
                raise ValidationError(_("印章图片只接受 PNG、JPG 文件"))
            if seal.size > 2 * 1024 * 1024:
                raise ValidationError(_("印章图片不能超过 2 MB"))
            check_upload(seal)
        return seal


class _IssuerSaveMixin(ServiceFormMixin):
    def save_instance(self):
        data = self.form.cleaned_data
        return services.issuer_profile_save(enterprise=data["enterprise"], issuer_name=data.get("issuer_name", ""),
                                            seal=data.get("seal") or None, actor=self.request.user)


class IssuerProfileCreateView(_IssuerSaveMixin, ScopedCreateView):
    success_message = gettext_lazy("已保存发证单位：%(object)s")


class IssuerProfileEditView(_IssuerSaveMixin, ScopedEditView):
    success_message = gettext_lazy("已保存发证单位：%(object)s")


class IssuerProfileViewSet(ScopedModelViewSet):
    model = IssuerProfile
    menu_name = "compliance-certificate-issuer"
    icon = "user"
    menu_label = gettext_lazy("发证单位与印章")
    menu_order = 520
    menu_hook = "register_compliance_menu_item"
    url_prefix = "certificates/issuer"
    capabilities = {"view": Capability.VIEW, "add": Capability.CHANGE, "change": Capability.CHANGE}
    delete_view_enabled = False
    add_view_class = IssuerProfileCreateView
    edit_view_class = IssuerProfileEditView
    list_display = ["enterprise", "issuer_name", "seal"]

    def get_form_class(self, for_update=False):
        return IssuerProfileForm
