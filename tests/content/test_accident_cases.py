"""The accident case library (事故案例库): signed-in users only, filters by
GB 6441 class, industry and hazard, Chinese search, the case page, hazard
matching used to pick warning-education cases, and the demo seed."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from content.models import AccidentCasePage, AccidentType, hazard_terms, hazards_overlap

from .pages import add_case, add_case_library


def _titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="item-title"><a href="[^"]+">([^<]*)</a>', html)


@pytest.fixture
def library(home):
    lib = add_case_library(home)
    add_case(lib, "配电柜带电作业触电", accident_type=AccidentType.ELECTROCUTION, hazards="触电",
             accident_date=dt.date(2024, 3, 22), summary="维修电工未停电验电")
    add_case(lib, "污水池硫化氢中毒", accident_type=AccidentType.POISONING_ASPHYXIATION, industry="hazardous_chemicals",
             hazards="中毒窒息、有限空间", accident_date=dt.date(2023, 6, 14), summary="盲目施救致事故扩大")
    add_case(lib, "叉车倒车撞人", accident_type=AccidentType.VEHICLE, hazards="车辆伤害、物体打击",
             accident_date=dt.date(2024, 9, 5))
    add_case(lib, "未发布的案例", hazards="触电", live=False)
    return lib


def test_gb6441_has_twenty_classes_with_chinese_labels():
    assert len(AccidentType.choices) == 20
    labels = [label for _v, label in AccidentType.choices]
    assert labels[0] == "物体打击" and labels[-1] == "其他伤害" and "冒顶片帮" in labels and "中毒和窒息" in labels


def test_library_requires_login(client, library):
    response = client.get("/accident-cases/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_library_lists_live_cases_newest_first(client, bob, library, django_assert_max_num_queries):
    client.force_login(bob)
    client.get("/accident-cases/")  # warm caches
    with django_assert_max_num_queries(20):
        response = client.get("/accident-cases/")
    html = response.content.decode()
    assert _titles(html) == ["叉车倒车撞人", "配电柜带电作业触电", "污水池硫化氢中毒"]
    assert "共 3 个案例" in html and "死亡 1 人" in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ("type=electrocution", ["配电柜带电作业触电"]),
        ("industry=hazardous_chemicals", ["污水池硫化氢中毒"]),
        ("hazard=有限空间", ["污水池硫化氢中毒"]),
        ("hazard=物体打击&type=vehicle", ["叉车倒车撞人"]),
        ("q=盲目施救", ["污水池硫化氢中毒"]),
        ("q=停电", ["配电柜带电作业触电"]),
        ("q=施救&hazard=有限空间&type=poisoning_asphyxiation&industry=hazardous_chemicals", ["污水池硫化氢中毒"]),
        ("q=施救&hazard=触电", []),
        ("q=electrocution+OR+x", []),
        ("type=nonsense&industry=<x>", ["叉车倒车撞人", "配电柜带电作业触电", "污水池硫化氢中毒"]),
        ("type=fire", []),
    ],
)
def test_library_filters_and_search(client, bob, library, query, expected):
    client.force_login(bob)
    response = client.get(f"/accident-cases/?{query}")
    assert response.status_code == 200
    assert _titles(response.content.decode()) == expected


def test_case_page_shows_facts_causes_and_lessons(client, bob, library):
    add_case(library, "罐区动火爆炸", accident_type=AccidentType.OTHER_EXPLOSION, hazards="火灾、爆炸", deaths=4,
             injuries=3, direct_loss=Decimal("1820.00"), root_cause="动火审批流于形式",
             rules_violated="GB 30871-2022 动火作业", slug="fire-case")
    client.force_login(bob)
    html = client.get("/accident-cases/fire-case/").content.decode()
    for text in ("其他爆炸", "死亡 4 人，轻伤 3 人", "1820.00 万元", "动火审批流于形式", "GB 30871-2022 动火作业",
                 "事故教训与防范措施", "严格执行操作规程"):
        assert text in html


def test_case_library_stays_out_of_public_search(client, library):
    html = client.get("/search/?q=触电").content.decode()
    assert "配电柜带电作业触电" not in html


def test_hazard_terms_and_overlap():
    assert hazard_terms("火灾、爆炸，中毒窒息; 触电 ") == ["火灾", "爆炸", "中毒窒息", "触电"]
    assert hazards_overlap(["中毒窒息"], ["中毒"])
    assert hazards_overlap(["车辆伤害", "物体打击"], ["物体打击"])
    assert not hazards_overlap(["机械伤害"], ["触电", "火灾"])
    assert not hazards_overlap(["电"], ["触电"])  # one character is too little to match on


def test_case_matches_post_hazards_by_tags_and_type(library):
    case = AccidentCasePage.objects.get(title="污水池硫化氢中毒")
    assert case.hazard_list() == ["中毒窒息", "有限空间", "中毒和窒息"]
    assert case.matches_hazards(hazard_terms("火灾、爆炸、中毒"))
    assert not case.matches_hazards(hazard_terms("机械伤害、粉尘"))


def test_demo_seed_creates_cases_once(db, home):
    from content.demo import CASES, seed_accident_cases

    first = seed_accident_cases(log=lambda *_: None)
    second = seed_accident_cases(log=lambda *_: None)
    assert first == {"created": len(CASES) + 1, "existing": 0}
    assert second == {"created": 0, "existing": len(CASES)}
    assert AccidentCasePage.objects.live().count() == len(CASES) >= 3
