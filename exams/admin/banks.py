"""题库: the listing (with question counts), creation and the inspect page
(questions by category and type)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.widgets.button import HeaderButton

from lms.accounts.admin_scoping import LabelledInspectView, ScopedCreateView, ScopedIndexView, policy_for
from lms.kernel.admin import ServiceFormMixin

from .. import question_services
from ..models import Question, QuestionBank, QuestionCategory, QuestionType
from .rows import InspectEditUrlMixin, InstanceEditUrlMixin, SharedRowsMixin, owner_label


class BankIndexView(SharedRowsMixin, InstanceEditUrlMixin, ScopedIndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("enterprise")
            .annotate(question_count=Count("questions", filter=Q(questions__is_current=True)))
        )

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        buttons.append(
            MenuItem(
                _("查看题目"), url=reverse("exam_question:index") + f"?bank={instance.pk}", icon_name="list-ul", priority=5
            )
        )
        return buttons


class BankCreateView(ServiceFormMixin, ScopedCreateView):
    success_message = gettext_lazy("题库“%(object)s”已创建。")

    def save_instance(self):
        data = self.form.cleaned_data
        return question_services.bank_create(
            enterprise=data.get("enterprise"), name=data["name"], description=data.get("description", ""),
            actor=self.request.user,
        )


class BankInspectView(SharedRowsMixin, InspectEditUrlMixin, LabelledInspectView):
    template_name = "exams/admin/bank_inspect.html"
    field_labels = {"owner": gettext_lazy("所属"), "question_count": gettext_lazy("题目数（当前版本）")}

    def get_object(self, queryset=None):
        return self.get_scoped_object("view", self.pk, QuestionBank.objects.select_related("enterprise"))

    def get_owner_display_value(self):
        return owner_label(self.object.enterprise)

    def get_question_count_display_value(self):
        return Question.objects.current().filter(bank=self.object).count()

    @cached_property
    def header_buttons(self):
        buttons = [
            HeaderButton(_("查看题目"), url=reverse("exam_question:index") + f"?bank={self.object.pk}", icon_name="list-ul")
        ]
        if question_services.can_edit_bank(self.request.user, self.object) and policy_for(Question).user_has_permission(
            self.request.user, "add"
        ):
            buttons.append(
                HeaderButton(_("新增题目"), url=reverse("exam_question:add") + f"?bank={self.object.pk}", icon_name="plus")
            )
        return buttons

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = (
            Question.objects.current()
            .filter(bank=self.object)
            .values("category_id", "type")
            .annotate(n=Count("id"))
        )
        by_category: dict = {}
        by_type = {t.value: 0 for t in QuestionType}
        for row in counts:
            by_category[row["category_id"]] = by_category.get(row["category_id"], 0) + row["n"]
            by_type[row["type"]] += row["n"]
        categories = list(QuestionCategory.objects.filter(bank=self.object).order_by("path"))
        context["categories"] = [(c, c.path.count("/"), by_category.get(c.pk, 0)) for c in categories]
        context["uncategorised"] = by_category.get(None, 0)
        context["by_type"] = [(QuestionType(t).label, n) for t, n in by_type.items()]
        context["read_only"] = not question_services.can_edit_bank(self.request.user, self.object)
        return context
