"""Forms for the training-rule back office (培训规则).

Forms only validate; the views save through :mod:`lms.compliance.rules_service`.
The model's ``clean()`` refuses values looser than the national floor, and
the form shows that refusal on the field it concerns.
"""

from __future__ import annotations

import copy
import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from lms.accounts.admin_scoping import ScopedModelForm
from lms.accounts.roles import Capability

from .models import Jurisdiction, TrainingRule
from .rules_service import VERSIONED_FIELDS

PARAMETER_HELP = {
    "min_hours": _("不得低于国家规定"),
    "months": _("含义因规则而异：复岗、复审等为间隔上限（不得更长），师带徒为期限（不得更短）"),
    "count": _("如“12 个月内第几次违规须离岗再培训”，不得多于国家规定"),
    "source": _("如：本企业《安全教育培训制度》第 5 条"),
}


class RuleForm(ScopedModelForm):
    """A new rule (version 1). Enterprise admins and safety managers create
    rules for their own enterprise only; platform superusers may create any
    jurisdiction (province rules need a region code)."""

    scoped_fields = ("enterprise",)
    choice_capability = Capability.CONFIGURE_RULES

    class Meta:
        model = TrainingRule
        fields = [
            "code",
            "jurisdiction",
            "region_code",
            "enterprise",
            "risk_class",
            "min_hours",
            "months",
            "count",
            "days",
            "exam_required",
            "pass_score",
            "effective_from",
            "source",
            "note",
        ]
        help_texts = PARAMETER_HELP

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_from"].initial = timezone.localdate()
        if self.for_user.is_superuser:
            # ScopedModelForm hides a single enterprise; the platform may also
            # leave it empty (national, platform-default and province rules).
            field = self.fields["enterprise"]
            field.widget = copy.deepcopy(self.base_fields["enterprise"].widget)
            field.widget.choices = field.choices
            field.initial = None
            field.help_text = _("仅企业规则填写")
        else:
            # Enterprise people write their own enterprise's rules, nothing else.
            self.instance.jurisdiction = Jurisdiction.ENTERPRISE
            for name in ("jurisdiction", "region_code"):
                del self.fields[name]
            self.fields["enterprise"].required = True

    def _get_validation_exclusions(self):
        # The version is set by rules_service.rule_create, which also refuses a
        # second rule of the same identity (pointing to 新建版本 instead).
        return {*super()._get_validation_exclusions(), "version"}


class RuleVersionForm(WagtailAdminModelForm):
    """A new version of a rule: the parameters, and the day it takes effect.

    Bound to the current version so that the model's own ``clean()`` checks
    the new values (the national floor) and reports them per field; the
    instance is never saved — :func:`rules_service.rule_new_version` writes
    a new row."""

    class Meta:
        model = TrainingRule
        fields = [*VERSIONED_FIELDS, "effective_from"]
        help_texts = {
            **PARAMETER_HELP,
            "effective_from": _("新版本自该日起生效，当前版本同日失效；必须晚于当前版本的生效日期"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rule = self.instance
        self.current_effective_from = rule.effective_from
        today = timezone.localdate()
        self.initial["effective_from"] = max(today, rule.effective_from + dt.timedelta(days=1))
        # Validate as the new version would be: no end date, a fresh start.
        rule.effective_to = None

    def clean_effective_from(self):
        value = self.cleaned_data["effective_from"]
        if value <= self.current_effective_from:
            raise forms.ValidationError(
                _("新版本的生效日期必须晚于当前版本的生效日期 %(d)s") % {"d": self.current_effective_from}
            )
        return value

    def changes(self) -> dict:
        """The versioned parameters as entered."""
        return {name: self.cleaned_data.get(name) for name in VERSIONED_FIELDS}
