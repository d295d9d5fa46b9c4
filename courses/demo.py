"""Demo courses for ``seed_demo``: an 在线课程 index under the home page,
three platform courses and one private course of 华兴化工, a 课程编辑 group
with page permissions on the index, and enrolments from the demo people's
open obligations. Safe to run again (pages matched by slug)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from lms.kernel import seeding

LESSON_MINUTES = 45  # one 学时 per lesson

COURSES = (
    {
        "slug": "workshop-induction-general",
        "title": "车间级安全教育（通用）",
        "category": "induction_workshop",
        "hours": Decimal("3"),
        "summary": "车间作业环境与危险因素、岗位安全职责、个体防护与应急处置（令3 §15）。",
        "lessons": (
            ("车间作业环境与主要危险因素",
             "<p>车间是生产作业的基本单元。进入车间前，应了解本车间的工艺流程、主要设备和危险区域划分，"
             "熟悉安全警示标志的含义。</p><p>常见危险因素包括：机械伤害、触电、高处坠落、物体打击、火灾爆炸、"
             "中毒窒息等。每个岗位的危险因素清单张贴在岗位安全告知牌上。</p>",
             ("进入车间作业前，首先应当做的是：", ("了解本车间的危险区域和安全警示标志", True),
              ("直接开始操作设备", False), ("等待班长安排后再看说明书", False)),
             "了解作业环境和危险因素是车间级安全教育的第一项内容。"),
            ("岗位安全职责与安全操作规程",
             "<p>每个岗位都有书面的安全操作规程。作业人员应严格按规程操作，不得违章作业，"
             "有权拒绝违章指挥和强令冒险作业。</p><p>交接班时应检查设备状态和安全装置，做好交接记录。</p>",
             ("遇到违章指挥、强令冒险作业时，从业人员：", ("有权拒绝", True), ("必须服从", False),
              ("先执行再报告", False)),
             "《安全生产法》规定从业人员有权拒绝违章指挥和强令冒险作业。"),
            ("个体防护、自救互救与应急疏散",
             "<p>劳动防护用品必须按规定正确佩戴，并在使用前检查是否完好。</p><p>发生事故时，应立即报告，"
             "在确保自身安全的前提下开展自救互救，按疏散路线撤离到集合点。</p>",
             ("发生事故后，下列做法正确的是：", ("立即报告并按疏散路线撤离", True),
              ("先收拾个人物品", False), ("乘坐电梯撤离", False)),
             ""),
        ),
    },
    {
        "slug": "annual-refresher-general",
        "title": "从业人员年度安全再培训",
        "category": "refresher",
        "hours": Decimal("2"),
        "summary": "新修订法规要点、本年度典型事故教训与岗位风险再辨识。",
        "lessons": (
            ("安全生产法律法规新要求",
             "<p>2021 年修正的《安全生产法》强化了全员安全生产责任制，明确从业人员应当接受安全生产教育和培训，"
             "掌握本职工作所需的安全生产知识。</p>",
             ("未经安全生产教育和培训合格的从业人员：", ("不得上岗作业", True), ("可以先上岗再补培训", False)),
             "《安全生产法》第二十八条。"),
            ("岗位风险再辨识",
             "<p>每年应结合设备、工艺和人员变化，对本岗位的危险因素重新辨识，更新岗位风险告知卡。</p>",
             None, ""),
        ),
    },
    {
        "slug": "warning-confined-space",
        "title": "警示教育：有限空间作业事故案例",
        "category": "warning",
        "hours": Decimal("1"),
        "summary": "通过典型有限空间中毒窒息事故，理解“先通风、再检测、后作业”。",
        "lessons": (
            ("有限空间中毒窒息事故案例",
             "<p>某企业清理污水池时，作业人员未经通风检测即进入池内，因硫化氢中毒晕倒；"
             "两名同事未佩戴防护用品下池施救，相继中毒，造成 3 人死亡。</p>"
             "<p>教训：有限空间作业必须执行审批制度，坚持“先通风、再检测、后作业”，严禁盲目施救。</p>",
             ("有限空间作业应坚持的原则是：", ("先通风、再检测、后作业", True),
              ("先作业、后检测", False), ("戴口罩即可进入", False)),
             "盲目施救是有限空间事故伤亡扩大的主要原因。"),
        ),
    },
)

PRIVATE_COURSE = {
    "enterprise": "hxchem",
    "slug": "hxchem-team-induction",
    "title": "华兴化工 班组级安全教育：反应釜岗位",
    "category": "induction_team",
    "hours": Decimal("2"),
    "summary": "反应釜岗位安全操作规程、岗位间交接班与本班组事故案例（令3 §16）。",
    "lessons": (
        ("反应釜岗位安全操作规程",
         "<p>投料前确认釜内压力、温度和搅拌状态，按工艺卡顺序投料；严禁超温超压运行。"
         "发现异常立即按紧急停车程序处置并报告班长。</p>",
         ("反应釜出现超温时，首先应：", ("按紧急停车程序处置并报告", True), ("继续投料观察", False),
          ("离开岗位", False)),
         ""),
        ("交接班与本班组事故案例",
         "<p>交接班必须当面交接设备运行状态、安全装置和未完成的作业，双方签字确认。</p>"
         "<p>2024 年本班组曾因交接不清导致阀门误开，险些造成物料泄漏。</p>",
         None, ""),
    ),
}


def _body(html: str, question) -> list:
    body = [{"type": "text", "value": html, "id": str(uuid.uuid4())}]
    if question:
        prompt, *choices = question
        body.append({
            "type": "question",
            "id": str(uuid.uuid4()),
            "value": {"prompt": prompt, "choices": [{"text": t, "correct": c} for t, c in choices], "explanation": ""},
        })
    return body


def seed_courses(*, report=None, log=print) -> dict[str, int]:
    """Create the demo courses and enrol the demo people from their
    obligations. Returns {"created": pages made, "existing": pages kept,
    "enrolled": new enrolments}."""
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import GroupPagePermission

    from content.models import HomePage
    from lms.accounts.models import User
    from lms.workforce.models import Enterprise

    from .models import CourseIndexPage, CoursePage, LessonPage
    from .services import enrolments_from_obligations

    counts = {"created": 0, "existing": 0, "enrolled": 0}
    home = HomePage.objects.order_by("path").first()
    if home is None:
        log("警告：未找到首页（HomePage），已跳过在线课程。")
        return counts

    def add(parent, page):
        return seeding.publish_page(parent, page, counts)

    index = CourseIndexPage.objects.child_of(home).first() or add(
        home, CourseIndexPage(title="在线课程", slug="courses",
                              intro="<p>三级安全教育、年度再培训和警示教育课程。学习时间由服务器记录，学完自动写入培训档案。</p>")
    )

    def add_course(spec, enterprise=None):
        course = add(index, CoursePage(
            title=spec["title"], slug=spec["slug"], category=spec["category"], credit_hours=spec["hours"],
            summary=spec["summary"], enterprise=enterprise, counts_as_assessment=False,
        ))
        for n, (title, html, question, explanation) in enumerate(spec["lessons"], 1):
            body = _body(html, question)
            if explanation and question:
                body[-1]["value"]["explanation"] = explanation
            add(course, LessonPage(title=title, slug=f"lesson-{n}", min_minutes=LESSON_MINUTES, body=body))

    for spec in COURSES:
        add_course(spec)
    hx = Enterprise.objects.filter(code=PRIVATE_COURSE["enterprise"]).first()
    if hx is not None:
        add_course(PRIVATE_COURSE, hx)

    # 课程编辑: may add, change and publish pages under the course index;
    # a private course stays with its own enterprise (CoursePermissionTester).
    group, _ = Group.objects.get_or_create(name="课程编辑")
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.get_or_create(
            group=group, page=index, permission=Permission.objects.get(content_type__app_label="wagtailcore", codename=codename)
        )
    for email in ("trainer@hxchem.demo", "safety@hxchem.demo"):
        user = User.objects.filter(email=email).first()
        if user is not None:
            user.groups.add(group)

    counts["enrolled"] = enrolments_from_obligations()
    if report is not None:
        report.count("在线课程页面", True, counts["created"])
        report.count("在线课程页面", False, counts["existing"])
        report.count("在线课程报名", True, counts["enrolled"])
    return counts


@seeding.register("courses", after=("workforce", "content"), requires={"people", "cms"})
def seed(run: seeding.SeedRun) -> None:
    seed_courses(report=run.report, log=run.log)
