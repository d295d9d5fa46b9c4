"""The CMS site: home page, standard pages, notices (通知公告) and the
regulation library (法规库).

The tree: 首页 → 通知公告 → 通知; 首页 → 法规库 → 法规; 首页 → 普通页面 (→ 普通页面).
Each child type names its parents (``parent_page_types``) so that other apps
(courses, accident cases) can hang their own index pages under the home page
without this module listing them.
"""

from django.core.paginator import Paginator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import BodyBlock

NOTICES_PER_PAGE = 10
REGULATIONS_PER_PAGE = 20
HOME_NOTICE_COUNT = 5


def _paginate(request, queryset, per_page):
    """The requested page of ``queryset``; a bad or out-of-range ``?page=`` gives the nearest valid page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


class HomePage(Page):
    intro = RichTextField(_("简介"), blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("正文"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("首页")

    def get_latest_notices(self, count: int = HOME_NOTICE_COUNT):
        """The newest live notices anywhere under this home page."""
        return NoticePage.objects.live().descendant_of(self).order_by("-date", "-pk")[:count]

    def get_regulation_library(self):
        """The first live regulation library under this home page, or None."""
        return RegulationIndexPage.objects.live().descendant_of(self).first()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["latest_notices"] = self.get_latest_notices()
        context["regulation_library"] = self.get_regulation_library()
        context["regulation_levels"] = RegulationPage.Level.choices
        return context


class StandardPage(Page):
    """A plain content page (关于我们, 使用帮助 …)."""

    introduction = models.CharField(_("导语"), max_length=300, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("正文"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("introduction"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("introduction"), index.SearchField("body")]

    parent_page_types = ["content.HomePage", "content.StandardPage"]
    subpage_types = ["content.StandardPage"]

    class Meta:
        verbose_name = _("普通页面")
        verbose_name_plural = _("普通页面")


class NoticeIndexPage(Page):
    intro = RichTextField(_("简介"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]

    parent_page_types = ["content.HomePage"]
    subpage_types = ["content.NoticePage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("通知公告栏目")
        verbose_name_plural = _("通知公告栏目")

    def get_notices(self):
        """Live notices in this column, newest first."""
        return NoticePage.objects.live().child_of(self).order_by("-date", "-first_published_at", "-pk")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["notices"] = _paginate(request, self.get_notices(), NOTICES_PER_PAGE)
        return context


class NoticePage(Page):
    date = models.DateField(_("发布日期"), default=timezone.localdate)
    summary = models.CharField(_("摘要"), max_length=300, blank=True, help_text=_("列表和搜索结果中显示"))
    body = StreamField(BodyBlock(), verbose_name=_("正文"), blank=True)
    attachment = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("附件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    content_panels = Page.content_panels + [
        FieldPanel("date"),
        FieldPanel("summary"),
        FieldPanel("body"),
        FieldPanel("attachment"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("date"),
    ]

    parent_page_types = ["content.NoticeIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("通知公告")
        verbose_name_plural = _("通知公告")


class RegulationIndexPage(Page):
    intro = RichTextField(_("简介"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]

    parent_page_types = ["content.HomePage"]
    subpage_types = ["content.RegulationPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("法规库")
        verbose_name_plural = _("法规库")

    def get_regulations(self, *, level: str = "", status: str = ""):
        """Live regulations in this library, newest in force first, narrowed by
        level and status when those are valid choices (anything else is ignored)."""
        qs = RegulationPage.objects.live().child_of(self)
        if level in RegulationPage.Level.values:
            qs = qs.filter(level=level)
        if status in RegulationPage.Status.values:
            qs = qs.filter(status=status)
        return qs.order_by("-effective_date", "title")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        level = request.GET.get("level", "")
        status = request.GET.get("status", "")
        context["regulations"] = _paginate(
            request, self.get_regulations(level=level, status=status), REGULATIONS_PER_PAGE
        )
        context["levels"] = RegulationPage.Level.choices
        context["statuses"] = RegulationPage.Status.choices
        context["current_level"] = level if level in RegulationPage.Level.values else ""
        context["current_status"] = status if status in RegulationPage.Status.values else ""
        return context


class RegulationPage(Page):
    class Level(models.TextChoices):
        LAW = "law", _("法律")
        ADMINISTRATIVE_REGULATION = "administrative_regulation", _("行政法规")
        DEPARTMENTAL_RULE = "departmental_rule", _("部门规章")
        LOCAL_REGULATION = "local_regulation", _("地方性法规")
        STANDARD = "standard", _("标准")
        ENTERPRISE_RULE = "enterprise_rule", _("企业制度")

    class Status(models.TextChoices):
        IN_FORCE = "in_force", _("现行有效")
        AMENDED = "amended", _("已修订")
        REPEALED = "repealed", _("已废止")

    doc_number = models.CharField(
        _("文号"),
        max_length=100,
        blank=True,
        help_text=_("如：中华人民共和国主席令第八十八号、应急管理部令第 3 号、GB 30871-2022"),
    )
    issuing_authority = models.CharField(_("发布机关"), max_length=100, blank=True)
    level = models.CharField(_("效力级别"), max_length=32, choices=Level.choices)
    effective_date = models.DateField(_("施行日期"))
    status = models.CharField(_("时效性"), max_length=16, choices=Status.choices, default=Status.IN_FORCE)
    summary = models.CharField(_("摘要"), max_length=300, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("正文"), blank=True)
    attachment = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("附件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [
                FieldPanel("doc_number"),
                FieldPanel("issuing_authority"),
                FieldRowPanel([FieldPanel("level"), FieldPanel("status"), FieldPanel("effective_date")]),
            ],
            heading=_("文件信息"),
        ),
        FieldPanel("summary"),
        FieldPanel("body"),
        FieldPanel("attachment"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("doc_number", boost=2),
        index.SearchField("issuing_authority"),
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("level"),
        index.FilterField("status"),
        index.FilterField("effective_date"),
    ]

    parent_page_types = ["content.RegulationIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("法规")
        verbose_name_plural = _("法规")
