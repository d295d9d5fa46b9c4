"""Demo content for ``seed_demo``: three notices, the four core regulations
and a "关于安训" page under the home page (step "content"), and a 事故案例库
with four cases written after typical accidents of the kinds the demo posts
face, names of enterprises left out as in published warning material (step
"content.cases", after the course catalogue so the home page's menu keeps its
order). Safe to run again (pages matched by slug under their parent)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from wagtail.rich_text import RichText

from lms.kernel import seeding

from .models import (
    AccidentCaseIndexPage,
    AccidentCasePage,
    HomePage,
    NoticeIndexPage,
    NoticePage,
    RegulationIndexPage,
    RegulationPage,
    StandardPage,
)

NOTICES = (
    {
        "title": "关于开展2026年度主要负责人和安全管理人员安全生产知识考核的通知",
        "slug": "notice-2026-principal-exam",
        "date": dt.date(2026, 3, 2),
        "summary": "各企业主要负责人和安全管理人员须于 2026 年 6 月 30 日前完成年度再培训学时并参加线上考核。",
        "body": (
            "<p>根据《生产经营单位安全培训规定》，主要负责人和安全管理人员每年应接受再培训。"
            "请各企业于 2026 年 6 月 30 日前组织相关人员完成年度学时，并在平台“考试”栏目参加年度安全生产知识考核。</p>"
            "<p>考核满分 100 分，80 分合格，不合格者可补考一次。</p>"
        ),
    },
    {
        "title": "关于做好岗位调整人员车间级和班组级安全教育的通知",
        "slug": "notice-transfer-retraining",
        "date": dt.date(2026, 4, 15),
        "summary": "从业人员调整工作岗位或离岗半年以上重新上岗的，应重新接受车间级和班组级安全培训。",
        "body": (
            "<p>人力资源部门办理转岗、复岗时，系统将自动生成车间级和班组级培训任务。"
            "培训未完成前，相关人员不得在新岗位独立作业。</p>"
        ),
    },
    {
        "title": "关于开展“安全生产月”警示教育活动的通知",
        "slug": "notice-safety-month-2026",
        "date": dt.date(2026, 5, 28),
        "summary": "6 月为全国“安全生产月”，各班组须组织一次事故案例警示教育，实现全员覆盖。",
        "body": (
            "<p>请各车间结合本单位风险特点，从平台事故案例库中选取案例，以班组为单位开展警示教育，"
            "并在线上完成签到和学习记录。</p>"
        ),
    },
)

REGULATIONS = (
    {
        "title": "中华人民共和国安全生产法",
        "slug": "work-safety-law-2021",
        "doc_number": "中华人民共和国主席令第八十八号",
        "authority": "全国人民代表大会常务委员会",
        "level": "law",
        "effective": dt.date(2021, 9, 1),
        "summary": "安全生产领域的基本法律，2021 年第三次修正。",
        "body": (
            "<p>规定生产经营单位应当对从业人员进行安全生产教育和培训，保证其具备必要的安全生产知识和操作技能；"
            "未经培训合格的从业人员不得上岗作业。被派遣劳动者和实习学生同样纳入培训范围。</p>"
            "<p>生产经营单位应当建立安全生产教育和培训档案，如实记录培训的时间、内容、参加人员以及考核结果等情况。</p>"
        ),
    },
    {
        "title": "生产经营单位安全培训规定",
        "slug": "production-units-safety-training",
        "doc_number": "国家安全生产监督管理总局令第3号（2015年修正）",
        "authority": "国家安全生产监督管理总局",
        "level": "departmental_rule",
        "effective": dt.date(2006, 3, 1),
        "summary": "规定主要负责人、安全管理人员和其他从业人员的培训内容与学时。",
        "body": (
            "<p>明确主要负责人、安全生产管理人员初次培训和每年再培训的学时要求，高危行业要求更高；"
            "新上岗从业人员须接受厂级、车间级、班组级三级安全培训教育。</p>"
            "<p>从业人员调整岗位或离岗一年以上重新上岗时，应重新接受车间级和班组级安全培训；"
            "采用新工艺、新技术、新材料或使用新设备时，应进行专门的安全培训。</p>"
        ),
    },
    {
        "title": "特种作业人员安全技术培训考核管理规定",
        "slug": "special-operation-training",
        "doc_number": "国家安全生产监督管理总局令第30号（2015年修正）",
        "authority": "国家安全生产监督管理总局",
        "level": "departmental_rule",
        "effective": dt.date(2010, 7, 1),
        "summary": "特种作业目录、培训考核、操作证发放与复审的规定。",
        "body": (
            "<p>特种作业人员须经专门的安全技术培训并考核合格，取得特种作业操作证后方可上岗作业。"
            "目录包括电工作业、焊接与热切割作业、高处作业、危险化学品安全作业等类别。</p>"
            "<p>操作证有效期 6 年，每 3 年复审一次；复审前须参加不少于 8 学时的安全培训。</p>"
        ),
    },
    {
        "title": "安全生产培训管理办法",
        "slug": "safety-training-management",
        "doc_number": "国家安全生产监督管理总局令第44号（2015年修正）",
        "authority": "国家安全生产监督管理总局",
        "level": "departmental_rule",
        "effective": dt.date(2012, 3, 1),
        "summary": "安全培训机构、培训考核、发证和监督管理的规定。",
        "body": (
            "<p>规定安全培训的组织、考核与发证，以及安全生产监管部门的监督检查。"
            "对从事危险工艺操作的新上岗人员，应在有经验的职工带领下实习满 2 个月后方可独立上岗。</p>"
            "<p>主要负责人和安全生产管理人员的安全合格证明有效期为 3 年。</p>"
        ),
    },
)

ABOUT_PAGE = {
    "title": "关于安训",
    "slug": "about",
    "introduction": "面向企业的安全生产培训、考试与持证管理平台。",
    "body": (
        "<p>安训是面向企业的安全生产培训、考试与持证管理平台。它的承诺只有一条："
        "未经培训合格，任何人不上岗；培训档案能够证明这一点。</p>"
        "<p>平台根据入职、转岗、离岗复岗等任职事件自动生成培训任务，支持三级安全教育、师带徒、"
        "特种作业持证管理和监管部门“双随机”抽查。</p>"
    ),
}


CASES = (
    {
        "slug": "case-confined-space-h2s",
        "title": "某化工企业污水池清淤硫化氢中毒事故",
        "accident_date": dt.date(2023, 6, 14),
        "place": "某化工企业污水处理站调节池",
        "industry": "hazardous_chemicals",
        "accident_type": "poisoning_asphyxiation",
        "grade": "larger",
        "deaths": 3,
        "serious_injuries": 1,
        "injuries": 0,
        "direct_loss": Decimal("486.00"),
        "hazards": "中毒窒息、有限空间",
        "summary": "作业人员未经通风检测进入调节池清淤，硫化氢中毒；两人盲目施救，事故扩大，3 人死亡。",
        "body": "<p>当日 9 时许，污水处理站班长安排两名作业人员进入调节池清理淤泥。作业前未办理有限空间作业审批，"
                "未进行通风和气体检测，作业人员未佩戴呼吸防护用品。</p><p>一名作业人员下池后不久晕倒，"
                "池边两名同事先后下池施救，相继晕倒。后经消防救援人员佩戴空气呼吸器救出，3 人经抢救无效死亡。</p>",
        "direct_cause": "作业人员在未通风、未检测的情况下进入有限空间，吸入淤泥中释放的高浓度硫化氢中毒；施救人员未采取防护措施盲目施救。",
        "root_cause": "企业未建立有限空间作业审批制度；未对作业人员进行有限空间专项培训；现场未配备气体检测仪和正压式空气呼吸器；"
                      "未制定有限空间事故应急预案和演练。",
        "rules_violated": "《安全生产法》第二十八条（未经培训合格上岗）；GB 30871-2022《危险化学品企业特殊作业安全规范》受限空间作业；"
                          "《工贸企业有限空间作业安全规定》。",
        "lessons": "<p>有限空间作业必须“先通风、再检测、后作业”，办理作业审批，设专人监护。</p>"
                   "<p>严禁盲目施救：发现有人晕倒，应立即报告并呼叫救援，在佩戴正压式空气呼吸器的前提下施救。</p>",
    },
    {
        "slug": "case-electrician-live-work",
        "title": "某机械制造企业维修电工带电作业触电事故",
        "accident_date": dt.date(2024, 3, 22),
        "place": "某机械制造企业总装车间配电柜",
        "industry": "manufacturing",
        "accident_type": "electrocution",
        "grade": "general",
        "deaths": 1,
        "serious_injuries": 0,
        "injuries": 0,
        "direct_loss": Decimal("152.00"),
        "hazards": "触电",
        "summary": "维修电工未停电、未验电即更换配电柜内断路器，触及带电母排死亡。",
        "body": "<p>总装线一台设备停机，维修电工独自到配电柜检查，判断为断路器损坏。为不影响生产，"
                "在未断开上级电源、未验电、未挂牌上锁的情况下更换断路器，右手触及带电母排，经抢救无效死亡。</p>",
        "direct_cause": "维修电工违章带电作业，未执行停电、验电、挂牌上锁程序，触及 380V 带电母排。",
        "root_cause": "企业电气作业票制度执行不严，单人从事电气检修无人监护；班组安全教育流于形式；绝缘防护用品配备不足。",
        "rules_violated": "《特种作业人员安全技术培训考核管理规定》；GB 26860《电力安全工作规程》停电、验电、装设接地线、悬挂标示牌。",
        "lessons": "<p>电气检修必须执行“停电、验电、挂牌上锁、装设接地线”，严禁约时停送电和带电作业。</p>"
                   "<p>电工作业须持证上岗，两人作业、一人监护。</p>",
    },
    {
        "slug": "case-forklift-struck",
        "title": "某仓储企业叉车倒车撞击行人事故",
        "accident_date": dt.date(2024, 9, 5),
        "place": "某企业成品仓库装卸区",
        "industry": "manufacturing",
        "accident_type": "vehicle",
        "grade": "general",
        "deaths": 1,
        "serious_injuries": 0,
        "injuries": 1,
        "direct_loss": Decimal("138.50"),
        "hazards": "车辆伤害、物体打击",
        "summary": "叉车司机满载倒车时视线受阻，未鸣笛、无人指挥，撞倒一名理货员致其死亡。",
        "body": "<p>叉车司机驾驶叉车叉运两层货物，货物遮挡前方视线，遂倒车行驶。倒车过程中未鸣笛、未观察后方，"
                "装卸区也无专人指挥，将在通道内清点货物的理货员撞倒碾压，另一名理货员被倒落货物砸伤。</p>",
        "direct_cause": "叉车司机超高装载、倒车未观察后方；行人在叉车作业区通道内停留。",
        "root_cause": "仓库未实行人车分流，未划定叉车作业区；叉车倒车报警装置损坏未修复；未对仓库人员进行厂内机动车辆安全教育。",
        "rules_violated": "《场（厂）内专用机动车辆安全技术规程》（TSG 81）；企业《叉车安全操作规程》。",
        "lessons": "<p>仓库必须人车分流，划定并标识叉车作业区和人行通道。</p><p>货物遮挡视线时应倒车行驶并有人指挥，倒车前鸣笛、确认后方无人。</p>",
    },
    {
        "slug": "case-welding-fire",
        "title": "某企业储罐区动火作业火灾爆炸事故",
        "accident_date": dt.date(2022, 11, 8),
        "place": "某化工企业罐区",
        "industry": "hazardous_chemicals",
        "accident_type": "other_explosion",
        "grade": "larger",
        "deaths": 4,
        "serious_injuries": 0,
        "injuries": 3,
        "direct_loss": Decimal("1820.00"),
        "hazards": "火灾、爆炸、灼烫",
        "summary": "焊工在未清洗置换、未分析可燃气体的储罐顶部动火，罐内油气爆炸起火。",
        "body": "<p>检修队在罐区对一台拱顶储罐的呼吸阀底座进行焊接。储罐未按规定清洗、置换，动火前未进行可燃气体分析，"
                "动火作业票由他人代签。焊接火花引燃罐内油气发生爆炸，罐顶被掀开，造成 4 人死亡、3 人烧伤。</p>",
        "direct_cause": "在未清洗置换、未进行动火分析的储罐上动火，罐内可燃气体与空气形成爆炸性混合物遇焊接火花爆炸。",
        "root_cause": "动火作业审批流于形式，票证代签；承包商人员未经企业安全教育即入场作业；企业对检修作业现场监护缺失。",
        "rules_violated": "GB 30871-2022 动火作业（动火分析、特级动火审批）；《安全生产法》第二十八条、第四十九条（承包单位管理）。",
        "lessons": "<p>动火作业必须清洗置换、动火分析合格后方可进行，分析超过 30 分钟应重新分析。</p>"
                   "<p>外来承包商人员入场前必须接受安全教育并考核合格，纳入企业统一管理。</p>",
    },
)


def seed_accident_cases(*, report=None, log=print) -> dict[str, int]:
    """Create the case library and the demo cases. Returns {"created": n, "existing": m}."""
    counts = {"created": 0, "existing": 0}
    home = HomePage.objects.order_by("path").first()
    if home is None:
        log("警告：未找到首页（HomePage），已跳过事故案例库。")
        return counts

    def add(parent, page):
        return seeding.publish_page(parent, page, counts)

    library = AccidentCaseIndexPage.objects.child_of(home).first() or add(
        home, AccidentCaseIndexPage(title="事故案例库", slug="accident-cases",
                                    intro="<p>按 GB 6441 事故类别整理的典型事故案例，用于警示教育。</p>")
    )
    for spec in CASES:
        spec = dict(spec)
        body = [("paragraph", RichText(part)) for part in spec.pop("body").replace("</p>", "</p>\n").split("\n") if part]
        add(library, AccidentCasePage(body=body, **spec))
    if report is not None:
        report.count("事故案例页面", True, counts["created"])
        report.count("事故案例页面", False, counts["existing"])
    return counts


def seed_cms_pages(*, report: seeding.SeedReport | None = None, log=print) -> dict[str, int]:
    """Put three notices under the notice index, the four core regulations
    under the regulation library and a "关于安训" page under the home page
    (index pages are made if missing). Pages that exist, matched by slug under
    their parent, are left alone. Returns {"created": n, "existing": m}."""
    counts = {"created": 0, "existing": 0}
    home = HomePage.objects.order_by("path").first()
    if home is None:
        message = "警告：未找到首页（HomePage），已跳过内容页面。"
        if report is not None:
            report.warn(message, log)
        else:
            log(message)
        return counts

    def add(parent, page):
        return seeding.publish_page(parent, page, counts)

    notices = NoticeIndexPage.objects.child_of(home).first() or add(
        home, NoticeIndexPage(title="通知公告", slug="notices", intro="<p>企业安全生产相关通知、公告与培训安排。</p>")
    )
    for notice in NOTICES:
        add(
            notices,
            NoticePage(
                title=notice["title"],
                slug=notice["slug"],
                date=notice["date"],
                summary=notice["summary"],
                body=_paragraphs(notice["body"]),
            ),
        )
    library = RegulationIndexPage.objects.child_of(home).first() or add(
        home, RegulationIndexPage(title="法规库", slug="regulations", intro="<p>安全生产法律、法规、规章与标准。</p>")
    )
    for regulation in REGULATIONS:
        add(
            library,
            RegulationPage(
                title=regulation["title"],
                slug=regulation["slug"],
                doc_number=regulation["doc_number"],
                issuing_authority=regulation["authority"],
                level=regulation["level"],
                effective_date=regulation["effective"],
                status=RegulationPage.Status.IN_FORCE,
                summary=regulation["summary"],
                body=_paragraphs(regulation["body"]),
            ),
        )
    add(
        home,
        StandardPage(
            title=ABOUT_PAGE["title"],
            slug=ABOUT_PAGE["slug"],
            introduction=ABOUT_PAGE["introduction"],
            body=_paragraphs(ABOUT_PAGE["body"]),
        ),
    )
    if report is not None:
        report.count("内容页面", True, counts["created"])
        report.count("内容页面", False, counts["existing"])
    return counts


def _paragraphs(html: str) -> list:
    """Stream-field value: one rich-text paragraph block per <p>."""
    parts = [part for part in html.replace("</p>", "</p>\n").split("\n") if part.strip()]
    return [("paragraph", RichText(part)) for part in parts]


@seeding.register("content", after=("workforce",), requires={"people", "cms"})
def seed(run: seeding.SeedRun) -> None:
    seed_cms_pages(report=run.report, log=run.log)


@seeding.register("content.cases", after=("courses",), requires={"people", "cms"})
def seed_cases(run: seeding.SeedRun) -> None:
    seed_accident_cases(report=run.report, log=run.log)
