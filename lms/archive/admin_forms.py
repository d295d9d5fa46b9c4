"""The form for entering a training record by hand (offline or external
training, or the paper archive) in the back office.

The form only validates: the view appends through
:func:`lms.archive.services.record_append`; a record is never saved through
the form (records are append-only). Employee, post and the corrected record
are limited to the enterprises the user may change.
"""

from __future__ import annotations

import os

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lms.accounts.admin_scoping import ScopedModelForm
from lms.uploads import check_upload

from .models import RecordSource, TrainingKind, TrainingLevel, TrainingRecord

# Sources a person may enter; online study, exams and apprenticeships write their own records.
MANUAL_SOURCES = (RecordSource.OFFLINE, RecordSource.EXTERNAL, RecordSource.HISTORICAL)
LEVELLED_KINDS = (TrainingKind.INDUCTION, TrainingKind.RETRAINING)
EVIDENCE_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png")
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024

# The record fields the form passes to record_append.
RECORD_FIELDS = [
    "employee",
    "kind",
    "level",
    "post",
    "title",
    "content",
    "start_at",
    "end_at",
    "place",
    "hours",
    "trainer",
    "participants",
    "assessment_method",
    "assessment_result",
    "score",
    "source",
    "source_ref",
    "evidence",
    "corrects",
]


class TrainingRecordForm(ScopedModelForm):
    """Enter one completed training. With ``corrects`` set (the 更正 action)
    the new record replaces the old one in every count; the old one stays."""

    scoped_fields = ("employee", "post", "corrects")

    class Meta:
        model = TrainingRecord
        fields = RECORD_FIELDS
        widgets = {
            "content": forms.Textarea(attrs={"rows": 4}),
            "corrects": forms.HiddenInput(),
        }
        help_texts = {
            "level": _("三级安全教育、转岗/复岗再培训须选择层级"),
            "post": _("车间级、班组级教育和岗位专项培训须填写"),
            "hours": _("按实际培训时间计，每学时不少于 45 分钟"),
            "evidence": _("签到表、考核试卷或外部培训证明的扫描件（PDF、JPG、PNG，不超过 20 MB）"),
            "source_ref": _("如外部培训机构名称和结业证编号"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        source = self.fields["source"]
        source.choices = [(value, label) for value, label in source.choices if value in MANUAL_SOURCES]
        source.initial = RecordSource.OFFLINE
        self.fields["employee"].queryset = self.fields["employee"].queryset.select_related("enterprise").order_by(
            "employee_no"
        )
        self.fields["post"].queryset = self.fields["post"].queryset.select_related("enterprise").order_by("code")
        self.fields["evidence"].required = True
        self.corrected = self._corrected_record()
        if self.corrected is not None:
            # A correction is about the same person; the original evidence
            # carries over unless a new scan is attached.
            self.fields["employee"].disabled = True
            self.fields["employee"].initial = self.corrected.employee_id
            self.fields["evidence"].required = not bool(self.corrected.evidence)
            if self.corrected.evidence:
                self.fields["evidence"].help_text = _("留空则沿用原记录的佐证材料")

    def _corrected_record(self) -> TrainingRecord | None:
        value = self.data.get(self.add_prefix("corrects")) if self.is_bound else self.initial.get("corrects")
        if value in (None, ""):
            return None
        try:
            return self.fields["corrects"].queryset.filter(pk=int(str(value))).first()
        except ValueError:
            return None

    def clean_evidence(self):
        evidence = self.cleaned_data.get("evidence")
        if not evidence or not hasattr(evidence, "size"):
            return evidence
        if os.path.splitext(evidence.name)[1].lower() not in EVIDENCE_EXTENSIONS:
            raise ValidationError(_("佐证材料只接受 PDF、JPG、PNG 文件"))
        if evidence.size > EVIDENCE_MAX_BYTES:
            raise ValidationError(_("佐证材料不能超过 20 MB"))
        check_upload(evidence)  # the global cap (UploadRefused is a ValidationError)
        return evidence

    def clean(self):
        cleaned = super().clean()
        employee, post, kind, level = (cleaned.get(k) for k in ("employee", "post", "kind", "level"))
        corrects = cleaned.get("corrects")
        if post is not None and employee is not None and post.enterprise_id != employee.enterprise_id:
            self.add_error("post", _("岗位不属于该员工所在企业"))
        if kind in LEVELLED_KINDS and not level:
            self.add_error("level", _("三级安全教育、转岗/复岗再培训须选择层级"))
        if kind and kind not in LEVELLED_KINDS and level:
            self.add_error("level", _("只有三级安全教育、转岗/复岗再培训区分层级"))
        if level in (TrainingLevel.WORKSHOP, TrainingLevel.TEAM) and post is None:
            self.add_error("post", _("车间级、班组级安全教育须填写针对的岗位"))
        start, end = cleaned.get("start_at"), cleaned.get("end_at")
        if start and end and end < start:
            self.add_error("end_at", _("结束时间不能早于开始时间"))
        hours = cleaned.get("hours")
        if hours is not None and hours <= 0:
            self.add_error("hours", _("学时必须大于 0"))
        score = cleaned.get("score")
        if score is not None and not 0 <= score <= 100:
            self.add_error("score", _("成绩应在 0 到 100 之间"))
        if corrects is not None and employee is not None and corrects.employee_id != employee.pk:
            self.add_error(None, _("只能更正本人的培训记录"))
        if corrects is not None and corrects.corrections.exists():
            self.add_error(None, _("该记录已被更正过，请在最新的更正记录上操作"))
        return cleaned

    def record_fields(self) -> dict:
        """The values for record_append (without the employee)."""
        data = {name: self.cleaned_data.get(name) for name in RECORD_FIELDS if name != "employee"}
        if not data.get("evidence") and self.corrected is not None and self.corrected.evidence:
            data["evidence"] = self.corrected.evidence.name
        data["level"] = data.get("level") or ""
        for name in ("participants", "assessment_method", "source_ref"):
            data[name] = data.get(name) or ""
        if not data.get("evidence"):
            data.pop("evidence")
        return data
