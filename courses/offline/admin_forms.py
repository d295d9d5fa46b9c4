"""Back-office forms of offline sessions. Choices come from the user's
enterprises only; saving goes through :mod:`courses.offline.services`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lms.accounts.admin_scoping import ScopedModelForm
from lms.accounts.roles import Capability
from lms.accounts.scoping import enterprise_ids

from . import selectors, services
from .models import OfflineSession

FORM_FIELDS = [
    "enterprise", "title", "course", "kind", "level", "post", "start_at", "end_at", "place", "trainer", "capacity",
    "audience_units", "audience_note", "content", "assessment_required", "assessment_method",
]


class OfflineSessionForm(ScopedModelForm):
    scoped_fields = ("enterprise", "post", "audience_units")

    class Meta:
        model = OfflineSession
        fields = FORM_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ents = enterprise_ids(self.for_user, Capability.CHANGE)
        if self.instance.pk:
            ents = {self.instance.enterprise_id} if ents is None else set(ents) & {self.instance.enterprise_id}
        self.fields["trainer"].queryset = selectors.trainers_for(ents)
        self.fields["trainer"].help_text = _("本企业具有培训师角色的用户；授课人在现场打开签到大屏")
        self.fields["trainer"].label_from_instance = lambda u: f"{u.get_full_name()}（{u.email or u.phone or u.username}）"
        pages = selectors.course_pages_for(ents)
        if pages is None:
            self.fields["course"].queryset = self.fields["course"].queryset.none()
            self.fields["course"].help_text = _("在线课程模块未安装")
        else:
            self.fields["course"].queryset = pages
            self.fields["course"].help_text = _("选填：本次培训讲授的在线课程（平台共享或本企业课程）；档案记录会注明课程版本")
        self.fields["kind"].help_text = _("决定培训记录计入哪类培训义务（如三级安全教育、年度再培训、四新培训）")
        self.fields["level"].help_text = _("三级安全教育、转岗/复岗再培训须选择层级")
        self.fields["capacity"].help_text = _("按教室或实操场地的容量；邀请人数不能超过")
        if "audience_units" in self.fields:
            self.fields["audience_units"].widget = forms.CheckboxSelectMultiple()
            self.fields["audience_units"].queryset = self.fields["audience_units"].queryset.order_by("enterprise", "code")
            if self.instance.pk:
                self.fields["audience_units"].queryset = self.fields["audience_units"].queryset.filter(
                    enterprise_id=self.instance.enterprise_id
                )

    def session_fields(self) -> dict:
        """The values for session_create / session_update (without enterprise and audience)."""
        return {name: self.cleaned_data[name] for name in services.SESSION_FIELDS if name in self.cleaned_data}


class OfflineSessionEditForm(OfflineSessionForm):
    class Meta(OfflineSessionForm.Meta):
        fields = [f for f in FORM_FIELDS if f != "enterprise"]


class InviteByNumberForm(forms.Form):
    numbers = forms.CharField(
        label=_("按工号邀请"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("多个工号用空格、逗号或换行分隔；可邀请不在义务名单中的本企业在岗人员"),
    )
