"""The 考试 menu group and its viewsets (题库, 题目, 试卷, 考试, 答卷): which
views, columns, filters and extra URLs each has. Other apps join the group's
menu through the ``register_exams_menu_item`` hook."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy
from wagtail.admin.menu import Menu, SubmenuMenuItem
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.viewsets.base import ViewSetGroup

from lms.accounts.admin_scoping import ScopedModelViewSet
from lms.accounts.roles import Capability

from ..admin_forms import (
    ExamEditForm,
    ExamForm,
    PaperEditForm,
    PaperForm,
    QuestionBankForm,
    QuestionEditForm,
    QuestionForm,
)
from ..models import Attempt, Exam, Paper, Question, QuestionBank
from .attempts import (
    AttemptEvidenceView,
    AttemptFilterSet,
    AttemptIndexView,
    AttemptInspectView,
    OfflineResultView,
    attempt_score,
)
from .banks import BankCreateView, BankIndexView, BankInspectView
from .exams import ExamCreateView, ExamEditView, ExamIndexView, ExamInspectView, exam_state, exam_window
from .papers import PaperCreateView, PaperEditView, PaperIndexView, PaperInspectView, paper_summary
from .questions import (
    QuestionCreateView,
    QuestionEditView,
    QuestionFilterSet,
    QuestionIndexView,
    QuestionInspectView,
    question_stem,
)
from .results import ExamResultsExportView, ExamResultsView
from .rows import SharedRowsViewSet, owner_label

# Other apps (e.g. the question import page) join the 考试 menu through this hook.
EXAMS_MENU_HOOK = "register_exams_menu_item"

EXAM_CAPABILITIES = {
    "view": Capability.VIEW,
    "inspect": Capability.VIEW,
    "add": Capability.MANAGE_EXAMS,
    "change": Capability.MANAGE_EXAMS,
}


class QuestionBankViewSet(SharedRowsViewSet):
    model = QuestionBank
    menu_name = "exams-bank"
    icon = "folder-open-inverse"
    menu_label = gettext_lazy("题库")
    menu_order = 100
    url_prefix = "exams/bank"
    capabilities = EXAM_CAPABILITIES
    # A bank holds questions that papers and answer sheets use: it is never deleted here.
    edit_view_enabled = False
    delete_view_enabled = False
    index_view_class = BankIndexView
    add_view_class = BankCreateView
    inspect_view_class = BankInspectView
    list_display = [
        "name",
        Column("owner", label=gettext_lazy("所属"), accessor=lambda b: owner_label(b.enterprise)),
        Column("question_count", label=gettext_lazy("题目数"), sort_key="question_count"),
        "description",
    ]
    search_fields = ["name", "description"]
    search_backend_name = None
    ordering = ["name"]
    inspect_view_fields = ["name", "owner", "description", "question_count", "created_at"]

    def get_form_class(self, for_update=False):
        return QuestionBankForm

class QuestionViewSet(SharedRowsViewSet):
    model = Question
    menu_name = "exams-question"
    icon = "help"
    menu_label = gettext_lazy("题目")
    menu_order = 200
    url_prefix = "exams/question"
    capabilities = EXAM_CAPABILITIES
    # Questions are versioned, not deleted: answer sheets point at them.
    delete_view_enabled = False
    index_view_class = QuestionIndexView
    add_view_class = QuestionCreateView
    edit_view_class = QuestionEditView
    inspect_view_class = QuestionInspectView
    filterset_class = QuestionFilterSet
    list_display = [
        Column("stem", label=gettext_lazy("题干"), accessor=question_stem),
        "type",
        "difficulty",
        Column("category", label=gettext_lazy("分类"), accessor=lambda q: q.category.path if q.category_id else "—"),
        Column("bank", label=gettext_lazy("题库"), accessor=lambda q: q.bank.name),
        Column("version", label=gettext_lazy("版本"), accessor=lambda q: f"v{q.version}"),
    ]
    search_fields = ["stem"]
    search_backend_name = None
    ordering = ["bank", "category", "id"]
    list_per_page = 50

    def get_form_class(self, for_update=False):
        return QuestionEditForm if for_update else QuestionForm

class PaperViewSet(ScopedModelViewSet):
    model = Paper
    menu_name = "exams-paper"
    icon = "doc-full"
    menu_label = gettext_lazy("试卷")
    menu_order = 300
    url_prefix = "exams/paper"
    capabilities = EXAM_CAPABILITIES
    delete_view_enabled = False  # exams and answer sheets name their paper
    index_view_class = PaperIndexView
    add_view_class = PaperCreateView
    edit_view_class = PaperEditView
    inspect_view_class = PaperInspectView
    list_filter = ["kind"]
    list_display = [
        "name",
        "kind",
        Column("summary", label=gettext_lazy("题量与满分"), accessor=paper_summary),
        "enterprise",
        DateColumn("created_at", label=gettext_lazy("创建时间"), sort_key="created_at"),
    ]
    search_fields = ["name"]
    search_backend_name = None
    ordering = ["-created_at"]
    inspect_view_fields = [
        "name", "enterprise", "kind", "summary", "shuffle_questions", "shuffle_options", "multiple_partial_credit",
        "created_at",
    ]

    def get_form_class(self, for_update=False):
        return PaperEditForm if for_update else PaperForm

class ExamViewSet(ScopedModelViewSet):
    model = Exam
    menu_name = "exams-exam"
    icon = "date"
    menu_label = gettext_lazy("考试")
    menu_order = 400
    url_prefix = "exams/exam"
    capabilities = EXAM_CAPABILITIES
    delete_view_enabled = False  # graded attempts and archive records name the exam
    index_view_class = ExamIndexView
    add_view_class = ExamCreateView
    edit_view_class = ExamEditView
    inspect_view_class = ExamInspectView
    list_filter = ["review_policy", "record_kind"]
    list_display = [
        "title",
        Column("window", label=gettext_lazy("考试时间"), accessor=exam_window, sort_key="opens_at"),
        Column("state", label=gettext_lazy("状态"), accessor=exam_state),
        "paper",
        "pass_score",
        "enterprise",
    ]
    search_fields = ["title"]
    search_backend_name = None
    ordering = ["-opens_at"]
    inspect_view_fields = [
        "title", "enterprise", "paper", "window", "state", "duration_minutes", "pass_score", "attempts_allowed",
        "review_policy", "audience_text", "record_kind", "record_level", "record_post",
    ]

    def get_form_class(self, for_update=False):
        return ExamEditForm if for_update else ExamForm

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            self.object_url("results", ExamResultsView.as_view(), "results"),
            self.object_url("results/export", ExamResultsExportView.as_view(), "results_export"),
        ]

class AttemptViewSet(ScopedModelViewSet):
    model = Attempt
    menu_name = "exams-attempt"
    icon = "form"
    menu_label = gettext_lazy("答卷")
    menu_order = 500
    url_prefix = "exams/attempt"
    # Answer sheets are written by examinees and graders only; "add" is the offline entry page.
    capabilities = {"view": Capability.VIEW, "inspect": Capability.VIEW, "add": Capability.MANAGE_EXAMS}
    edit_view_enabled = False
    delete_view_enabled = False
    index_view_class = AttemptIndexView
    inspect_view_class = AttemptInspectView
    filterset_class = AttemptFilterSet
    list_display = [
        "employee",
        "exam",
        Column("number", label=gettext_lazy("第几次"), accessor="number"),
        "status",
        Column("score_text", label=gettext_lazy("得分"), accessor=attempt_score, sort_key="score"),
        BooleanColumn("passed", label=gettext_lazy("合格")),
        BooleanColumn("offline", label=gettext_lazy("线下")),
        DateColumn("started_at", label=gettext_lazy("开始时间"), sort_key="started_at"),
    ]
    search_fields = ["employee__name", "employee__employee_no", "exam__title"]
    search_backend_name = None
    ordering = ["-started_at", "-id"]
    list_per_page = 50
    inspect_view_fields = [
        "exam", "employee", "number", "status", "score_text", "percent", "passed", "started_at", "deadline",
        "submitted_at", "auto_submitted", "offline", "evidence", "record",
    ]

    form_fields = ["exam"]  # never rendered: the generic add URL is replaced by the offline entry page

    def get_common_view_kwargs(self, **kwargs):
        return {**super().get_common_view_kwargs(**kwargs), "add_url_name": None}

    def get_urlpatterns(self):
        patterns = [p for p in super().get_urlpatterns() if p.name != "add"]
        return patterns + [
            path("offline/", OfflineResultView.as_view(), name="offline"),
            self.object_url("evidence", AttemptEvidenceView.as_view(), "evidence"),
        ]

class ExamsViewSetGroup(ViewSetGroup):
    menu_name = "exams"
    menu_label = gettext_lazy("考试")
    menu_icon = "doc-full-inverse"
    menu_order = 160
    submenu_hook = EXAMS_MENU_HOOK
    items = (
        QuestionBankViewSet("exam_bank"),
        QuestionViewSet("exam_question"),
        PaperViewSet("exam_paper"),
        ExamViewSet("exam"),
        AttemptViewSet("exam_attempt"),
    )

    def get_menu_item(self, order=None):
        return SubmenuMenuItem(
            label=self.menu_label,
            menu=Menu(register_hook_name=self.submenu_hook, items=self.get_submenu_items()),
            name=self.menu_name,
            icon_name=self.menu_icon,
            order=self.get_menu_item_order(order),
        )


exams_viewset_group = ExamsViewSetGroup()
