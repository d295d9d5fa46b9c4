"""Demo accident cases for ``seed_demo``: a 事故案例库 under the home page
and four cases written after typical accidents of the kinds the demo posts
face (names of enterprises left out, as in published warning material).
Safe to run again (pages matched by slug)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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
    from wagtail.rich_text import RichText

    from lms.workforce.demo import publish_demo_page

    from .models import AccidentCaseIndexPage, AccidentCasePage, HomePage

    counts = {"created": 0, "existing": 0}
    home = HomePage.objects.order_by("path").first()
    if home is None:
        log("警告：未找到首页（HomePage），已跳过事故案例库。")
        return counts

    def add(parent, page):
        return publish_demo_page(parent, page, counts)

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
