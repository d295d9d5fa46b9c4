"""Forms for the workforce back office.

Every choice a form offers (enterprise, org unit, parent unit, post, mentor,
employee, login account) is limited to what the signed-in user may CHANGE,
through :func:`lms.accounts.admin_scoping.admin_scope`. Forms only validate;
the views save through :mod:`lms.workforce.services`.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateInput

from lms.accounts.admin_scoping import ScopedModelForm

from .models import Employee, EmploymentEvent, Enterprise, OrgUnit, Post, PostAssignment
from .validators import clean_credit_code, clean_id_number, mask_id_number

# --- enterprise ----------------------------------------------------------------


class EnterpriseForm(ScopedModelForm):
    scoped_fields = ()

    class Meta:
        model = Enterprise
        fields = ["code", "name", "credit_code", "industry", "risk_class", "region_code", "address"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["risk_class"].help_text = _("留空则按行业自动确定；可以比行业更严格，不能更宽松")
        if self.instance.pk and not self.for_user.is_superuser:
            # The code is the system's handle (imports, API); only the platform changes it.
            self.fields["code"].disabled = True

    def clean_credit_code(self):
        return clean_credit_code(self.cleaned_data["credit_code"])


# --- org units and posts -------------------------------------------------------


class OrgUnitForm(ScopedModelForm):
    class Meta:
        model = OrgUnit
        fields = ["enterprise", "parent", "kind", "code", "name", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(kind=OrgUnit.Kind.TEAM)
        self.fields["parent"].help_text = _("公司/厂级单位不填；车间的上级是公司，班组的上级是车间")


class OrgUnitEditForm(OrgUnitForm):
    class Meta(OrgUnitForm.Meta):
        fields = ["parent", "kind", "code", "name", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parent = self.fields["parent"]
        parent.queryset = parent.queryset.filter(enterprise_id=self.instance.enterprise_id).exclude(pk=self.instance.pk)


class PostForm(ScopedModelForm):
    class Meta:
        model = Post
        fields = [
            "enterprise",
            "org_unit",
            "code",
            "name",
            "hazard_level",
            "special_operation",
            "apprenticeship_months",
            "hazards",
            "hazardous_process",
            "is_active",
        ]


class PostEditForm(PostForm):
    class Meta(PostForm.Meta):
        fields = [f for f in PostForm.Meta.fields if f != "enterprise"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        unit = self.fields["org_unit"]
        unit.queryset = unit.queryset.filter(enterprise_id=self.instance.enterprise_id)


# --- employees -----------------------------------------------------------------


class EmployeeForm(ScopedModelForm):
    """New employee. Saving records the hire event (with the intended post)."""

    id_number = forms.CharField(label=_("身份证号"), max_length=18, help_text=_("18 位居民身份证号码"))
    post = forms.ModelChoiceField(
        label=_("拟任岗位"),
        queryset=Post.objects.filter(is_active=True),
        required=False,
        help_text=_("记入入职事件；正式上岗请在“岗位分配”中办理（须通过培训准入）"),
    )

    class Meta:
        model = Employee
        fields = [
            "enterprise",
            "employee_no",
            "name",
            "id_number",
            "phone",
            "employment_type",
            "org_unit",
            "is_principal",
            "is_safety_manager",
            "hire_date",
            "user",
        ]

    def clean_id_number(self):
        return clean_id_number(self.cleaned_data["id_number"])

    def clean(self):
        cleaned = super().clean()
        post, enterprise = cleaned.get("post"), cleaned.get("enterprise") or getattr(self.instance, "enterprise", None)
        if post is not None and enterprise is not None and post.enterprise_id != enterprise.pk:
            self.add_error("post", _("岗位不属于该企业"))
        number = cleaned.get("id_number")
        if number and enterprise is not None:
            # The form cannot check the constraint itself: it holds on the number's keyed hash.
            others = Employee.objects.filter(enterprise=enterprise).with_id_number(number)
            if self.instance.pk is not None:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error("id_number", _("该企业已有相同身份证号的员工"))
        return cleaned


class EmployeeEditForm(EmployeeForm):
    """Changing an employee. The ID number is never shown in full: the field
    starts empty, and left empty keeps the stored number."""

    post = None

    class Meta(EmployeeForm.Meta):
        fields = [
            "name",
            "id_number",
            "phone",
            "employment_type",
            "org_unit",
            "is_principal",
            "is_safety_manager",
            "hire_date",
            "user",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_id_number = self.instance.id_number
        self.initial["id_number"] = ""
        field = self.fields["id_number"]
        field.required = False
        field.help_text = _("当前：%(masked)s。留空则保持不变，如需更正请重新完整填写") % {
            "masked": mask_id_number(self.stored_id_number)
        }
        field.widget.attrs["placeholder"] = mask_id_number(self.stored_id_number)
        field.widget.attrs["autocomplete"] = "off"
        unit = self.fields["org_unit"]
        unit.queryset = unit.queryset.filter(enterprise_id=self.instance.enterprise_id)

    def clean_id_number(self):
        value = (self.cleaned_data.get("id_number") or "").strip()
        if not value:
            return self.stored_id_number
        return clean_id_number(value)

    def changed_data_for_service(self) -> dict:
        """The editable fields, as ``employee_update`` takes them."""
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}


# --- events and assignments ----------------------------------------------------


class EmploymentEventForm(ScopedModelForm):
    """Record a fact. Events are never edited; a mistake gets a correcting event."""

    class Meta:
        model = EmploymentEvent
        fields = ["employee", "type", "date", "post", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["post"].help_text = _("转岗必须填写目标岗位")
        self.fields["employee"].queryset = self.fields["employee"].queryset.order_by("employee_no")


class PostAssignmentForm(ScopedModelForm):
    """Put an employee on a post (the single door: services.assignment_create)."""

    class Meta:
        model = PostAssignment
        fields = ["employee", "post", "kind", "mentor", "start_date"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = self.fields["employee"].queryset.active().order_by("employee_no")
        self.fields["mentor"].queryset = self.fields["mentor"].queryset.active().order_by("employee_no")
        self.fields["post"].queryset = self.fields["post"].queryset.filter(is_active=True)
        self.fields["mentor"].help_text = _("仅师带徒（跟岗）时填写")

    def clean(self):
        cleaned = super().clean()
        # The same rule as the database constraint, said on the field it concerns.
        kind, mentor = cleaned.get("kind"), cleaned.get("mentor")
        if kind == PostAssignment.Kind.APPRENTICE and mentor is None:
            self.add_error("mentor", _("师带徒上岗必须指定师傅"))
        elif kind == PostAssignment.Kind.REGULAR and mentor is not None:
            self.add_error("mentor", _("只有师带徒上岗才指定师傅"))
        return cleaned


class AssignmentEndForm(forms.Form):
    end_date = forms.DateField(label=_("离岗日期"), widget=AdminDateInput())

    def __init__(self, *args, assignment: PostAssignment, **kwargs):
        super().__init__(*args, **kwargs)
        self.assignment = assignment

    def clean_end_date(self):
        end_date = self.cleaned_data["end_date"]
        if end_date < self.assignment.start_date:
            raise ValidationError(_("离岗日期不能早于上岗日期"))
        return end_date
