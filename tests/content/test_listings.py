"""Notice column: newest first, ten a page. Regulation library: filters by
level and status from the query string."""

import datetime as dt
import re

from content.models import NOTICES_PER_PAGE, RegulationPage

from .pages import add_notice, add_regulation

Level, Status = RegulationPage.Level, RegulationPage.Status


def _titles(html: str, prefix: str) -> list[str]:
    """Titles of the listed items (not the nav) that start with ``prefix``."""
    return re.findall(rf'<h2 class="item-title"><a href="[^"]+">({prefix}[^<]*)</a>', html)


def _make_notices(index, count):
    # Created in an order that is not the date order.
    days = [(i * 7) % count + 1 for i in range(count)]
    for day in days:
        add_notice(index, f"通知{day:02d}", dt.date(2026, 1, day))


def test_notice_index_lists_newest_first_ten_per_page(client, notice_index, django_assert_max_num_queries):
    _make_notices(notice_index, 12)
    add_notice(notice_index, "通知草稿", dt.date(2026, 12, 31), live=False)

    with django_assert_max_num_queries(14):
        first = client.get("/notices/")
    second = client.get("/notices/?page=2")

    first_titles = _titles(first.content.decode(), "通知")
    assert len(first_titles) == NOTICES_PER_PAGE == 10
    assert first_titles == [f"通知{d:02d}" for d in range(12, 2, -1)]
    assert _titles(second.content.decode(), "通知") == ["通知02", "通知01"]
    assert "第 1 / 2 页" in first.content.decode()
    assert 'href="?page=2"' in first.content.decode()
    assert "通知草稿" not in first.content.decode() + second.content.decode()


def test_notice_index_query_count_does_not_grow_with_notices(client, notice_index, django_assert_max_num_queries):
    _make_notices(notice_index, 3)
    client.get("/notices/")  # warm caches (site root, content types)
    with django_assert_max_num_queries(14) as few:
        client.get("/notices/")
    for i in range(7):
        add_notice(notice_index, f"补充通知{i}", dt.date(2025, 1, i + 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/notices/")
    assert len(_titles(response.content.decode(), "")) == 10


def test_notice_index_bad_page_numbers_fall_back(client, notice_index):
    _make_notices(notice_index, 12)
    assert _titles(client.get("/notices/?page=abc").content.decode(), "通知")[0] == "通知12"
    assert _titles(client.get("/notices/?page=99").content.decode(), "通知") == ["通知02", "通知01"]


def test_empty_notice_index_says_so(client, notice_index):
    assert "暂无通知公告。" in client.get("/notices/").content.decode()


def _library(index):
    add_regulation(index, "中华人民共和国安全生产法", level=Level.LAW, effective=dt.date(2021, 9, 1))
    add_regulation(
        index, "危险化学品安全管理条例", level=Level.ADMINISTRATIVE_REGULATION, effective=dt.date(2011, 12, 1)
    )
    add_regulation(
        index,
        "生产经营单位安全培训规定",
        level=Level.DEPARTMENTAL_RULE,
        status=Status.AMENDED,
        effective=dt.date(2006, 3, 1),
    )
    add_regulation(
        index,
        "危险化学品企业特殊作业安全规范",
        level=Level.STANDARD,
        doc_number="GB 30871-2022",
        effective=dt.date(2022, 10, 1),
    )
    add_regulation(
        index,
        "化学品生产单位特殊作业安全规范",
        level=Level.STANDARD,
        doc_number="GB 30871-2014",
        status=Status.REPEALED,
        effective=dt.date(2015, 6, 1),
    )


ALL = [
    "危险化学品企业特殊作业安全规范",
    "中华人民共和国安全生产法",
    "化学品生产单位特殊作业安全规范",
    "危险化学品安全管理条例",
    "生产经营单位安全培训规定",
]


def _listed(client, query=""):
    html = client.get("/regulations/" + query).content.decode()
    return _titles(html, ""), html


def test_library_lists_everything_by_effective_date(client, regulation_index, django_assert_max_num_queries):
    _library(regulation_index)
    with django_assert_max_num_queries(14):
        titles, html = _listed(client)
    assert titles == ALL
    assert "共 5 件" in html


def test_library_filters_by_level(client, regulation_index):
    _library(regulation_index)
    titles, html = _listed(client, "?level=standard")
    assert titles == ["危险化学品企业特殊作业安全规范", "化学品生产单位特殊作业安全规范"]
    assert '<option value="standard" selected>标准</option>' in html


def test_library_filters_by_status(client, regulation_index):
    _library(regulation_index)
    assert _listed(client, "?status=repealed")[0] == ["化学品生产单位特殊作业安全规范"]
    assert _listed(client, "?status=amended")[0] == ["生产经营单位安全培训规定"]


def test_library_filters_combine(client, regulation_index):
    _library(regulation_index)
    assert _listed(client, "?level=standard&status=in_force")[0] == ["危险化学品企业特殊作业安全规范"]
    titles, html = _listed(client, "?level=law&status=repealed")
    assert titles == []
    assert "没有符合条件的法规。" in html


def test_library_ignores_unknown_filter_values(client, regulation_index):
    _library(regulation_index)
    assert _listed(client, "?level=rumour&status=%E7%8E%B0%E8%A1%8C")[0] == ALL


def test_library_excludes_drafts(client, regulation_index):
    _library(regulation_index)
    add_regulation(regulation_index, "未发布的企业制度", level=Level.ENTERPRISE_RULE, live=False)
    assert "未发布的企业制度" not in _listed(client)[0]
