"""Forms of the exams back office (考试).

Every choice a form offers (enterprise, bank, category, question, paper,
post, unit, employee) is limited to what the signed-in user may use, through
:func:`lms.accounts.admin_scoping.admin_scope` (platform banks and their
questions are offered for *reading into papers*, never for editing). Forms
only validate; the views save through :mod:`exams.services` and
:mod:`exams.question_services`.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets import AdminDateTimeInput

from lms.accounts.admin_scoping import ScopedModelForm, admin_scope
from lms.accounts.roles import Capability, Role
from lms.accounts.scoping import enterprise_ids
from lms.uploads import check_upload
from lms.workforce.models import Employee, Enterprise, OrgUnit, Post

from .formats.common import OPTION_KEYS, clean_block, clean_line, parse_true_false
from .formats.xlsx import parse_blanks, parse_letters
from .models import Exam, Paper, PaperQuestion, PaperRule, Question, QuestionBank, QuestionCategory, QuestionType
from .selectors import exam_audience


def readable_banks(user) -> QuerySet:
    """Banks ``user`` may draw questions from: the platform banks and the banks
    of the enterprises where the user manages exams (all, for superusers)."""
    ents = enterprise_ids(user, Capability.MANAGE_EXAMS)
    banks = QuestionBank.objects.all()
    if ents is None:
        return banks
    return banks.filter(Q(enterprise__isnull=True) | Q(enterprise_id__in=ents))


def writable_banks(user) -> QuerySet:
    """Banks whose questions ``user`` may add or change: their enterprises'
    banks (platform banks too, for superusers only)."""
    return admin_scope(QuestionBank.objects.all(), user, Capability.MANAGE_EXAMS)


class ExamsModelForm(ScopedModelForm):
    """ScopedModelForm with choices narrowed by the exam-manager capability."""

    choice_capability = Capability.MANAGE_EXAMS


# --- banks ------------------------------------------------------------------------------


class QuestionBankForm(ExamsModelForm):
    class Meta:
        model = QuestionBank
        fields = ["enterprise", "name", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("enterprise")
        if field is not None and not self.for_user.is_superuser:
            # Only the platform keeps banks without an enterprise.
            field.required = True
            field.help_text = ""


class QuestionBankEditForm(QuestionBankForm):
    class Meta(QuestionBankForm.Meta):
        fields = ["name", "description"]


# --- questions --------------------------------------------------------------------------


def options_to_text(options) -> str:
    return "\n".join(f"{o['key']}. {o['text']}" for o in options or [])


def answer_to_text(type_: str, answer) -> str:
    """The answer as the form shows it: AC, 对/错, or 答案/别名|第二空."""
    answer = answer or []
    if type_ == QuestionType.TRUE_FALSE:
        return str(_("对")) if answer and answer[0] is True else str(_("错")) if answer else ""
    if type_ == QuestionType.FILL_BLANK:
        return "|".join("/".join(str(a) for a in blank) for blank in answer)
    return "".join(str(a) for a in answer)


def parse_options(text: str) -> list[dict]:
    """One option per line, "A. 文本" or just "文本" (lettered in order)."""
    from .formats.xlsx import _strip_option_prefix

    options = []
    for line in (text or "").splitlines():
        line = clean_line(line)
        if not line:
            continue
        if len(options) >= len(OPTION_KEYS):
            options.append({"key": "?", "text": line})
            continue
        key = OPTION_KEYS[len(options)]
        options.append({"key": key, "text": _strip_option_prefix(line, key)})
    return options


class QuestionForm(WagtailAdminModelForm):
    """A question typed in the back office. Options are one per line; the
    answer is written as in the import template (AC / 对 / 答案|第二空)."""

    options_text = forms.CharField(
        label=_("选项"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("选择题每行一个选项，可写成“A. 内容”或只写内容（按 A、B、C… 顺序编号）；判断题、填空题留空"),
    )
    answer_text = forms.CharField(
        label=_("答案"),
        help_text=_("单选/多选填字母，如 B 或 ACD；判断题填 对 或 错；填空题每空用 | 分隔，同一空的多个可接受答案用 / 分隔"),
    )

    class Meta:
        model = Question
        fields = ["bank", "category", "type", "stem", "stem_image", "explanation", "difficulty", "tags"]
        widgets = {"stem": forms.Textarea(attrs={"rows": 4}), "explanation": forms.Textarea(attrs={"rows": 4})}

    field_order = [
        "bank", "category", "type", "stem", "stem_image", "options_text", "answer_text",
        "explanation", "difficulty", "tags",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        banks = writable_banks(self.for_user)
        if "bank" in self.fields:
            self.fields["bank"].queryset = banks
            only = list(banks.values_list("pk", flat=True)[:2])
            if len(only) == 1 and not self.instance.pk:
                self.fields["bank"].initial = only[0]
        bank_ids = [self.instance.bank_id] if self.instance.pk else banks.values("pk")
        categories = QuestionCategory.objects.filter(bank_id__in=bank_ids)
        self.fields["category"].queryset = categories.order_by("bank", "path")
        self.fields["category"].label_from_instance = lambda c: c.path
        if self.instance.pk:
            self.initial.setdefault("options_text", options_to_text(self.instance.options))
            self.initial.setdefault("answer_text", answer_to_text(self.instance.type, self.instance.answer))

    def clean(self):
        cleaned = super().clean()
        bank = cleaned.get("bank") or (self.instance.bank if self.instance.pk else None)
        category = cleaned.get("category")
        if bank is not None and category is not None and category.bank_id != bank.pk:
            self.add_error("category", _("分类不属于所选题库"))
        type_ = cleaned.get("type")
        answer_text = cleaned.get("answer_text") or ""
        options = parse_options(cleaned.get("options_text", ""))
        if type_ in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            letters = parse_letters(answer_text)
            if letters is None:
                self.add_error("answer_text", _("选择题答案请填写选项字母，如 B 或 ACD"))
            cleaned["answer"] = letters or []
        elif type_ == QuestionType.TRUE_FALSE:
            value = parse_true_false(answer_text)
            if value is None:
                self.add_error("answer_text", _("判断题答案请填写 对 或 错"))
            cleaned["answer"] = [value] if value is not None else []
            if not options:
                options = []
        elif type_ == QuestionType.FILL_BLANK:
            cleaned["answer"] = parse_blanks(answer_text)
        cleaned["options"] = options
        cleaned["stem"] = clean_block(cleaned.get("stem", ""))
        return cleaned

    def question_data(self) -> dict:
        """The question's content, as the question services take it."""
        data = {
            name: self.cleaned_data.get(name)
            for name in ("category", "type", "stem", "stem_image", "explanation", "difficulty", "tags")
        }
        data["options"] = self.cleaned_data.get("options", [])
        data["answer"] = self.cleaned_data.get("answer", [])
        return data


class QuestionEditForm(QuestionForm):
    """Changing a question: the bank stays (a new version is made when the
    question has been used)."""

    class Meta(QuestionForm.Meta):
        fields = [f for f in QuestionForm.Meta.fields if f != "bank"]

    field_order = [f for f in QuestionForm.field_order if f != "bank"]


# --- papers -----------------------------------------------------------------------------


class PaperForm(ExamsModelForm):
    class Meta:
        model = Paper
        fields = ["enterprise", "name", "kind", "shuffle_questions", "shuffle_options", "multiple_partial_credit"]


class PaperEditForm(PaperForm):
    class Meta(PaperForm.Meta):
        fields = [f for f in PaperForm.Meta.fields if f != "enterprise"]


class PaperQuestionForm(forms.ModelForm):
    class Meta:
        model = PaperQuestion
        fields = ["question", "points", "position"]
        widgets = {"points": forms.NumberInput(attrs={"step": "0.5", "min": "0"})}


class PaperRuleForm(forms.ModelForm):
    class Meta:
        model = PaperRule
        fields = ["bank", "category", "type", "difficulty", "count", "points", "position"]
        widgets = {"points": forms.NumberInput(attrs={"step": "0.5", "min": "0"})}

    def clean(self):
        cleaned = super().clean()
        bank, category = cleaned.get("bank"), cleaned.get("category")
        if bank is not None and category is not None and category.bank_id != bank.pk:
            self.add_error("category", _("分类不属于所选题库"))
        return cleaned


class ScopedInlineFormSet(BaseInlineFormSet):
    """Inline rows whose bank/question/category choices are the user's readable banks."""

    def __init__(self, *args, for_user=None, **kwargs):
        self.for_user = for_user
        super().__init__(*args, **kwargs)

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        self.scope_form(form)
        return form

    @property
    def empty_form(self):
        form = super().empty_form
        self.scope_form(form)
        return form

    def scope_form(self, form):
        banks = readable_banks(self.for_user)
        if "bank" in form.fields:
            form.fields["bank"].queryset = banks.order_by("enterprise_id", "name")
        if "category" in form.fields:
            form.fields["category"].queryset = QuestionCategory.objects.filter(bank__in=banks).select_related("bank")
            form.fields["category"].label_from_instance = lambda c: f"{c.bank.name} / {c.path}"
        if "question" in form.fields:
            current = Question.objects.filter(bank__in=banks, is_current=True)
            instance_qid = getattr(form.instance, "question_id", None)
            if instance_qid:
                # A pinned older version stays selectable on the paper it is on.
                current = Question.objects.filter(Q(pk__in=current.values("pk")) | Q(pk=instance_qid))
            form.fields["question"].queryset = current.select_related("bank").order_by("bank", "category", "pk")
            form.fields["question"].label_from_instance = (
                lambda q: f"[{q.get_type_display()}] {q.stem[:40]}（{q.bank.name}，v{q.version}）"
            )


PaperQuestionFormSet = inlineformset_factory(
    Paper, PaperQuestion, form=PaperQuestionForm, formset=ScopedInlineFormSet, extra=3, can_delete=True
)
PaperRuleFormSet = inlineformset_factory(
    Paper, PaperRule, form=PaperRuleForm, formset=ScopedInlineFormSet, extra=2, can_delete=True
)


# --- exams ------------------------------------------------------------------------------

AUDIENCE_ROLE_CHOICES = [(r.value, r.label) for r in Role]


class ExamForm(ExamsModelForm):
    """An exam, with its audience edited as checkboxes and multi-selects
    (stored as role names and post / unit codes)."""

    audience_principals_and_safety_managers = forms.BooleanField(
        label=_("全体主要负责人和安全管理人员"), required=False,
        help_text=_("包括标记为主要负责人、安全管理人员或担任这两种角色的所有在岗员工"),
    )
    audience_roles = forms.MultipleChoiceField(
        label=_("按角色"), choices=AUDIENCE_ROLE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    audience_posts = forms.ModelMultipleChoiceField(
        label=_("按岗位"), queryset=Post.objects.filter(is_active=True), required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}), help_text=_("当前在该岗位上的员工"),
    )
    audience_units = forms.ModelMultipleChoiceField(
        label=_("按单位"), queryset=OrgUnit.objects.filter(is_active=True), required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}), help_text=_("该单位及其下属车间、班组的在岗员工"),
    )

    class Meta:
        model = Exam
        fields = [
            "enterprise",
            "paper",
            "title",
            "opens_at",
            "closes_at",
            "duration_minutes",
            "pass_score",
            "attempts_allowed",
            "review_policy",
            "record_kind",
            "record_level",
            "record_post",
        ]
        widgets = {"opens_at": AdminDateTimeInput(), "closes_at": AdminDateTimeInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ents = enterprise_ids(self.for_user, self.choice_capability)
        self.fields["paper"].queryset = admin_scope(
            Paper.objects.all(), self.for_user, self.choice_capability
        ).order_by("-created_at")
        for name, model in (("audience_posts", Post), ("audience_units", OrgUnit), ("record_post", Post)):
            field = self.fields[name]
            field.queryset = admin_scope(field.queryset, self.for_user, self.choice_capability)
            field.queryset = field.queryset.select_related("enterprise")
            if self.instance.pk:
                field.queryset = field.queryset.filter(enterprise_id=self.instance.enterprise_id)
            if ents is None or len(ents) > 1:
                field.label_from_instance = lambda o: f"{o.enterprise.name} · {o.name}（{o.code}）"
            else:
                field.label_from_instance = lambda o: f"{o.name}（{o.code}）"
        self.fields["pass_score"].help_text = _("百分制，默认 80 分")
        audience = (self.instance.audience or {}) if self.instance.pk else {}
        if audience:
            ent = self.instance.enterprise_id
            self.initial.setdefault("audience_roles", audience.get("roles", []))
            self.initial.setdefault(
                "audience_posts", list(Post.objects.filter(enterprise_id=ent, code__in=audience.get("posts", [])))
            )
            self.initial.setdefault(
                "audience_units", list(OrgUnit.objects.filter(enterprise_id=ent, code__in=audience.get("units", [])))
            )
            self.initial.setdefault(
                "audience_principals_and_safety_managers", bool(audience.get("principals_and_safety_managers"))
            )

    def enterprise_for(self, cleaned) -> Enterprise | None:
        return cleaned.get("enterprise") or (self.instance.enterprise if self.instance.enterprise_id else None)

    def clean(self):
        cleaned = super().clean()
        enterprise = self.enterprise_for(cleaned)
        if enterprise is not None:
            for name in ("paper", "record_post"):
                value = cleaned.get(name)
                if value is not None and value.enterprise_id != enterprise.pk:
                    self.add_error(name, _("必须属于本企业"))
            for name in ("audience_posts", "audience_units"):
                wrong = [o for o in cleaned.get(name) or [] if o.enterprise_id != enterprise.pk]
                if wrong:
                    self.add_error(name, _("不属于本企业：%(names)s") % {"names": "、".join(o.name for o in wrong)})
        audience = {}
        if cleaned.get("audience_roles"):
            audience["roles"] = sorted(cleaned["audience_roles"])
        if cleaned.get("audience_posts"):
            audience["posts"] = sorted(p.code for p in cleaned["audience_posts"])
        if cleaned.get("audience_units"):
            audience["units"] = sorted(u.code for u in cleaned["audience_units"])
        if cleaned.get("audience_principals_and_safety_managers"):
            audience["principals_and_safety_managers"] = True
        cleaned["audience"] = audience
        return cleaned

    def exam_fields(self) -> dict:
        """The fields as :func:`exams.services.exam_create` / ``exam_update`` take them."""
        data = {name: self.cleaned_data.get(name) for name in self._meta.fields if name != "enterprise"}
        data["audience"] = self.cleaned_data["audience"]
        return data


class ExamEditForm(ExamForm):
    class Meta(ExamForm.Meta):
        fields = [f for f in ExamForm.Meta.fields if f != "enterprise"]


# Where a service's complaint about the audience shows on the form.
AUDIENCE_ERROR_FIELD = "audience_principals_and_safety_managers"


# --- offline results ---------------------------------------------------------------------


class OfflineResultForm(forms.Form):
    """A paper exam's score, entered by the marker with the scanned sheet."""

    exam = forms.ModelChoiceField(label=_("考试"), queryset=Exam.objects.all())
    employee = forms.ModelChoiceField(label=_("考生"), queryset=Employee.objects.active())
    score = forms.DecimalField(
        label=_("得分"), max_digits=6, decimal_places=1, min_value=Decimal(0), help_text=_("按试卷满分计的卷面得分")
    )
    taken_at = forms.DateTimeField(label=_("考试时间"), widget=AdminDateTimeInput(), required=False,
                                   help_text=_("留空则为现在"))
    evidence = forms.FileField(
        label=_("答题卡扫描件"), help_text=_("PDF 或图片（JPG、PNG），计入培训档案"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    ALLOWED_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png")
    MAX_BYTES = 20 * 1024 * 1024

    def __init__(self, *args, for_user, exam: Exam | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.for_user = for_user
        exams = admin_scope(Exam.objects.all(), for_user, Capability.MANAGE_EXAMS).select_related("enterprise")
        self.fields["exam"].queryset = exams.order_by("-opens_at")
        employees = admin_scope(Employee.objects.active(), for_user, Capability.MANAGE_EXAMS)
        if exam is not None:
            # The exam is known (?exam=): offer its audience only.
            employees = employees.filter(pk__in=exam_audience(exam).values("pk"))
            self.fields["exam"].initial = exam.pk
        self.fields["employee"].queryset = employees.order_by("employee_no")
        self.fields["employee"].label_from_instance = lambda e: f"{e.employee_no} {e.name}"

    def clean_evidence(self):
        evidence = self.cleaned_data["evidence"]
        name = (evidence.name or "").lower()
        if not name.endswith(self.ALLOWED_SUFFIXES):
            raise ValidationError(_("请上传 PDF、JPG 或 PNG 格式的扫描件"))
        if evidence.size > self.MAX_BYTES:
            raise ValidationError(_("扫描件不能超过 20 MB"))
        check_upload(evidence)  # the global cap (UploadRefused is a ValidationError)
        return evidence

    def clean(self):
        cleaned = super().clean()
        exam, employee = cleaned.get("exam"), cleaned.get("employee")
        if exam is not None and employee is not None and exam.enterprise_id != employee.enterprise_id:
            self.add_error("employee", _("该员工不属于本场考试的企业"))
        return cleaned
