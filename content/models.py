"""The CMS site: home page, standard pages, notices (通知公告), the
regulation library (法规库) and the accident case library (事故案例库).

The tree: 首页 → 通知公告 → 通知; 首页 → 法规库 → 法规; 首页 → 事故案例库 → 事故案例;
首页 → 普通页面 (→ 普通页面).
Each child type names its parents (``parent_page_types``) so that other apps
(courses, accident cases) can hang their own index pages under the home page
without this module listing them.
"""

import re
from decimal import Decimal

from django.core.paginator import Paginator
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from lms.workforce.models import Industry

from .blocks import AccidentCaseBodyBlock, BodyBlock

NOTICES_PER_PAGE = 10
REGULATIONS_PER_PAGE = 20
ACCIDENT_CASES_PER_PAGE = 12
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


# --- accident case library (事故案例库) -------------------------------------------------------

_HAZARD_SPLIT = re.compile(r"[、,，;；/\s]+")


def hazard_terms(text: str) -> list[str]:
    """The hazards named in a comma- or 顿号-separated text (as
    ``workforce.Post.hazards`` and the case's ``hazards`` are written), in order, once each."""
    return list(dict.fromkeys(t for t in _HAZARD_SPLIT.split(text or "") if t))


def hazards_overlap(left, right) -> bool:
    """Whether two lists of hazard names share one. Posts and cases are typed by
    different people ("中毒窒息" on a post, "中毒" or "中毒和窒息" on a case), so a
    name counts if it is contained in the other (two characters at least)."""
    for a in left:
        for b in right:
            if a == b or (min(len(a), len(b)) >= 2 and (a in b or b in a)):
                return True
    return False


class AccidentType(models.TextChoices):
    """GB 6441-1986《企业职工伤亡事故分类》: the 20 accident classes."""

    STRUCK_BY_OBJECT = "struck_by_object", _("物体打击")
    VEHICLE = "vehicle", _("车辆伤害")
    MACHINERY = "machinery", _("机械伤害")
    LIFTING = "lifting", _("起重伤害")
    ELECTROCUTION = "electrocution", _("触电")
    DROWNING = "drowning", _("淹溺")
    SCALD_BURN = "scald_burn", _("灼烫")
    FIRE = "fire", _("火灾")
    FALL_FROM_HEIGHT = "fall_from_height", _("高处坠落")
    COLLAPSE = "collapse", _("坍塌")
    ROOF_FALL = "roof_fall", _("冒顶片帮")
    WATER_INRUSH = "water_inrush", _("透水")
    BLASTING = "blasting", _("放炮")
    EXPLOSIVES = "explosives", _("火药爆炸")
    GAS_EXPLOSION = "gas_explosion", _("瓦斯爆炸")
    BOILER_EXPLOSION = "boiler_explosion", _("锅炉爆炸")
    VESSEL_EXPLOSION = "vessel_explosion", _("容器爆炸")
    OTHER_EXPLOSION = "other_explosion", _("其他爆炸")
    POISONING_ASPHYXIATION = "poisoning_asphyxiation", _("中毒和窒息")
    OTHER = "other", _("其他伤害")


class AccidentGrade(models.TextChoices):
    """《生产安全事故报告和调查处理条例》§3: accident grades."""

    GENERAL = "general", _("一般事故")
    LARGER = "larger", _("较大事故")
    MAJOR = "major", _("重大事故")
    EXTRAORDINARY = "extraordinary", _("特别重大事故")


class AccidentCaseIndexPage(Page):
    """事故案例库: every signed-in user may browse, filter and search it (a
    Wagtail login restriction is put on it when it is created)."""

    intro = RichTextField(_("简介"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]

    parent_page_types = ["content.HomePage"]
    subpage_types = ["content.AccidentCasePage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("事故案例库")
        verbose_name_plural = _("事故案例库")

    def get_cases(self, *, accident_type: str = "", industry: str = "", hazard: str = "", query: str = ""):
        """Live cases in this library, newest accident first, narrowed by type,
        industry and hazard (ignored when not a valid value) and by a search
        query (Wagtail search plus Chinese substring matching, ranked)."""
        from .search import search_page_ids

        qs = AccidentCasePage.objects.live().child_of(self)
        if accident_type in AccidentType.values:
            qs = qs.filter(accident_type=accident_type)
        if industry in Industry.values:
            qs = qs.filter(industry=industry)
        query = query.strip()[:100]
        # Searched before the hazard filter: the search backend filters only on
        # declared FilterFields, and a substring of the tags is not one.
        ids = search_page_ids(query, qs) if query else None
        hazard = hazard.strip()[:20]
        if hazard:
            qs = qs.filter(hazards__contains=hazard)
        qs = qs.order_by("-accident_date", "-pk")
        if ids is None:
            return qs
        by_id = {case.pk: case for case in qs.filter(pk__in=ids)}
        return [by_id[pk] for pk in ids if pk in by_id]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        accident_type = request.GET.get("type", "")
        industry = request.GET.get("industry", "")
        hazard = request.GET.get("hazard", "").strip()[:20]
        query = request.GET.get("q", "").strip()[:100]
        cases = self.get_cases(accident_type=accident_type, industry=industry, hazard=hazard, query=query)
        context.update({
            "cases": _paginate(request, cases, ACCIDENT_CASES_PER_PAGE),
            "accident_types": AccidentType.choices,
            "industries": Industry.choices,
            "current_type": accident_type if accident_type in AccidentType.values else "",
            "current_industry": industry if industry in Industry.values else "",
            "current_hazard": hazard,
            "search_query": query,
        })
        return context


class AccidentCasePage(Page):
    """One accident case (事故案例): what happened, to whom, why, which rules
    were broken and what to learn. Cases are chosen for warning education by
    their hazard tags against each post's hazards (``hazards_overlap``)."""

    accident_date = models.DateField(_("事故日期"))
    place = models.CharField(_("事故地点"), max_length=200, help_text=_("如：江苏省某化工企业反应釜车间"))
    industry = models.CharField(_("行业"), max_length=32, choices=Industry.choices)
    accident_type = models.CharField(_("事故类别"), max_length=32, choices=AccidentType.choices, help_text=_("GB 6441 分类"))
    grade = models.CharField(_("事故等级"), max_length=16, choices=AccidentGrade.choices, default=AccidentGrade.GENERAL)
    deaths = models.PositiveIntegerField(_("死亡人数"), default=0)
    serious_injuries = models.PositiveIntegerField(_("重伤人数"), default=0)
    injuries = models.PositiveIntegerField(_("轻伤人数"), default=0)
    direct_loss = models.DecimalField(
        _("直接经济损失（万元）"), max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    summary = models.CharField(_("摘要"), max_length=300, blank=True, help_text=_("列表和搜索结果中显示"))
    body = StreamField(AccidentCaseBodyBlock(), verbose_name=_("事故经过"), blank=True)
    direct_cause = models.TextField(_("直接原因"))
    root_cause = models.TextField(_("间接原因（根本原因）"), blank=True)
    rules_violated = models.TextField(_("违反的规定"), blank=True, help_text=_("如：《安全生产法》第二十八条、GB 30871-2022 第 6 条"))
    lessons = RichTextField(_("事故教训与防范措施"))
    hazards = models.CharField(
        _("危险因素标签"), max_length=300, blank=True,
        help_text=_("以顿号或逗号分隔，与岗位“主要危险因素”写法一致，如：中毒窒息、有限空间"),
    )
    video = models.ForeignKey(
        "wagtailmedia.Media", verbose_name=_("案例视频"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cover_image = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("封面图片"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("accident_date"), FieldPanel("place")]),
                FieldRowPanel([FieldPanel("industry"), FieldPanel("accident_type"), FieldPanel("grade")]),
                FieldPanel("hazards"),
            ],
            heading=_("基本情况"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("deaths"), FieldPanel("serious_injuries"), FieldPanel("injuries")]),
                FieldPanel("direct_loss"),
            ],
            heading=_("伤亡和损失"),
        ),
        FieldPanel("summary"),
        FieldPanel("body"),
        FieldPanel("direct_cause"),
        FieldPanel("root_cause"),
        FieldPanel("rules_violated"),
        FieldPanel("lessons"),
        MultiFieldPanel([FieldPanel("video"), FieldPanel("cover_image")], heading=_("视频和图片")),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("place"),
        index.SearchField("hazards", boost=2),
        index.SearchField("direct_cause"),
        index.SearchField("root_cause"),
        index.SearchField("rules_violated"),
        index.SearchField("lessons"),
        index.SearchField("body"),
        index.FilterField("accident_type"),
        index.FilterField("industry"),
        index.FilterField("accident_date"),
    ]

    parent_page_types = ["content.AccidentCaseIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("事故案例")
        verbose_name_plural = _("事故案例")

    def hazard_list(self) -> list[str]:
        """The case's hazard tags, with its GB 6441 class as one more."""
        return list(dict.fromkeys([*hazard_terms(self.hazards), self.get_accident_type_display()]))

    def matches_hazards(self, terms) -> bool:
        return hazards_overlap(self.hazard_list(), list(terms))

    @property
    def casualties_text(self) -> str:
        parts = []
        if self.deaths:
            parts.append(gettext("死亡 %(n)s 人") % {"n": self.deaths})
        if self.serious_injuries:
            parts.append(gettext("重伤 %(n)s 人") % {"n": self.serious_injuries})
        if self.injuries:
            parts.append(gettext("轻伤 %(n)s 人") % {"n": self.injuries})
        return "，".join(parts) or gettext("无人员伤亡")
