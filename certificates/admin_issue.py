"""签发证书 in the back office: HR issues one internal certificate with its
basis (the holder's training records by 档案序号, or a passed exam attempt),
or starts a batch for an offline session or an exam and watches its progress.
Every write goes through certificates.services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from lms.accounts.roles import Capability
from lms.accounts.scoping import scope
from lms.kernel.admin import apply_service_errors
from lms.workforce.models import Employee, Enterprise, Post

from . import selectors, services
from .models import CertificateType


def _require_issuer(user):
    if not user.has_perm("certificates.add_certificate"):
        raise PermissionDenied


class IssueForm(forms.Form):
    employee = forms.ModelChoiceField(label=gettext_lazy("持证人"), queryset=Employee.objects.none())
    type = forms.ModelChoiceField(label=gettext_lazy("证书类型"), queryset=CertificateType.objects.none())
    post = forms.ModelChoiceField(label=gettext_lazy("岗位"), queryset=Post.objects.none(), required=False,
                                  help_text=gettext_lazy("上岗合格证必填"))
    record_seqs = forms.CharField(label=gettext_lazy("依据：培训档案序号"), required=False, max_length=200,
                                  help_text=gettext_lazy("持证人培训档案中的序号，多个用逗号分隔，如 3,4,5"))
    attempt = forms.IntegerField(label=gettext_lazy("依据：考试答卷编号"), required=False, min_value=1)
    basis_note = forms.CharField(label=gettext_lazy("依据说明"), required=False, max_length=300)
    level = forms.CharField(label=gettext_lazy("等级/项目"), required=False, max_length=100)
    photo = forms.ImageField(label=gettext_lazy("持证人照片"), required=False,
                             help_text=gettext_lazy("JPG 或 PNG，不超过 2 MB；印在证书上"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = scope(Employee.objects.all(), user, Capability.CHANGE).order_by(
            "employee_no")
        self.fields["type"].queryset = selectors.issuable_types_for(user)
        self.fields["post"].queryset = scope(Post.objects.all(), user, Capability.CHANGE).order_by("code")

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > 2 * 1024 * 1024:
            raise ValidationError(_("照片不能超过 2 MB"))
        return photo

    def clean_record_seqs(self):
        raw = (self.cleaned_data.get("record_seqs") or "").replace("，", ",")
        try:
            return sorted({int(part) for part in raw.split(",") if part.strip()})
        except ValueError:
            raise ValidationError(_("请填写数字序号，用逗号分隔")) from None

    def clean(self):
        cleaned = super().clean()
        employee = cleaned.get("employee")
        if employee is None:
            return cleaned
        seqs = cleaned.get("record_seqs") or []
        records = selectors.basis_records_of(employee, seqs)
        missing = sorted(set(seqs) - {r.seq for r in records})
        if missing:
            self.add_error("record_seqs", _("持证人档案中没有序号 %(s)s") % {"s": "、".join(map(str, missing))})
        cleaned["records"] = records
        cleaned["attempt_obj"] = None
        if cleaned.get("attempt"):
            cleaned["attempt_obj"] = selectors.basis_attempt_of(employee, cleaned["attempt"])
            if cleaned["attempt_obj"] is None:
                self.add_error("attempt", _("持证人没有这份答卷"))
        return cleaned


class BatchForm(forms.Form):
    type = forms.ModelChoiceField(label=gettext_lazy("证书类型"), queryset=CertificateType.objects.none())
    post = forms.ModelChoiceField(label=gettext_lazy("岗位"), queryset=Post.objects.none(), required=False,
                                  help_text=gettext_lazy("上岗合格证必填"))
    exam = forms.ModelChoiceField(label=gettext_lazy("考试（为合格考生发证）"), queryset=None, required=False)
    session = forms.IntegerField(label=gettext_lazy("或：线下培训场次编号（为考核合格的学员发证）"), required=False,
                                 min_value=1)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = selectors.issuable_types_for(user)
        self.fields["post"].queryset = scope(Post.objects.all(), user, Capability.CHANGE).order_by("code")
        self.fields["exam"].queryset = selectors.exams_for_batches(user)
        self.enterprises = list(scope(Enterprise.objects.all(), user, Capability.CHANGE)[:2])


_FIELD_NAMES = {"basis_records": "record_seqs", "basis_attempt": "attempt"}


def _show(form, error: ValidationError) -> None:
    """The service's refusal on this form's fields (its basis fields have other names)."""
    if hasattr(error, "error_dict"):
        error = ValidationError({_FIELD_NAMES.get(k, k): v for k, v in error.error_dict.items()})
    apply_service_errors(form, error)


class _Base(WagtailAdminTemplateMixin):
    header_icon = "tick-inverse"

    def dispatch(self, request, *args, **kwargs):
        _require_issuer(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def form_invalid(self, form):
        messages.validation_error(self.request, _("未能保存，请检查填写内容。"), form)
        return super().form_invalid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(action_url=self.request.path, submit_button_label=self.get_page_title(),
                       submit_button_active_label=_("正在保存…"))
        if "form" in context:
            context["media"] = context["form"].media
        return context


class IssueView(_Base, FormView):
    template_name = "certificates/admin/issue.html"
    page_title = gettext_lazy("签发证书")
    form_class = IssueForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            certificate = services.certificate_issue(
                employee=data["employee"], type=data["type"], post=data.get("post"), basis_records=data["records"],
                basis_attempt=data["attempt_obj"], basis_note=data.get("basis_note", ""), level=data.get("level", ""),
                photo=data.get("photo") or None, actor=self.request.user,
            )
        except ValidationError as error:
            _show(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("已签发证书：%(n)s") % {"n": certificate.number})
        return redirect("certificate:inspect", certificate.pk)


class BatchCreateView(_Base, FormView):
    template_name = "certificates/admin/issue.html"
    page_title = gettext_lazy("批量发证")
    form_class = BatchForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        enterprise = data["exam"].enterprise if data.get("exam") else (
            form.enterprises[0] if len(form.enterprises) == 1 else None)
        if enterprise is None:
            form.add_error("exam", _("请选择考试（您管理多个企业）"))
            return self.form_invalid(form)
        try:
            batch = services.batch_create(enterprise=enterprise, type=data["type"], post=data.get("post"),
                                          exam=data.get("exam"), session_id=data.get("session"),
                                          actor=self.request.user)
        except ValidationError as error:
            _show(form, error)
            return self.form_invalid(form)
        return redirect("certificate_issue:batch", batch.pk)


class BatchView(_Base, TemplateView):
    template_name = "certificates/admin/batch.html"
    page_title = gettext_lazy("批量发证进度")

    def get_context_data(self, **kwargs):
        batch = selectors.batch_for_hr(self.request.user, self.kwargs["pk"])
        if batch is None:
            raise Http404
        return {**super().get_context_data(**kwargs), "batch": batch,
                "progress_url": reverse("certificates:batch-progress", args=[batch.pk])}


class CertificateIssueViewSet(ViewSet):
    name = "certificate_issue"
    url_prefix = "certificates/issue"
    icon = "tick-inverse"
    menu_label = gettext_lazy("签发证书")
    menu_name = "compliance-certificate-issue"
    menu_order = 505
    menu_hook = "register_compliance_menu_item"
    add_to_admin_menu = False

    def get_urlpatterns(self):
        return [
            path("", IssueView.as_view(), name="index"),
            path("batch/", BatchCreateView.as_view(), name="batch_add"),
            path("batch/<int:pk>/", BatchView.as_view(), name="batch"),
        ]
