"""/search/?q=: Wagtail's search backend plus Chinese substring matching."""

import datetime as dt
import re

import pytest
from wagtail.models import PageViewRestriction

from content.models import RegulationPage
from content.search import has_cjk, search_page_ids
from content.views import SEARCH_RESULTS_PER_PAGE

from .pages import add_notice, add_regulation, add_standard_page


@pytest.fixture(autouse=True)
def _neutral_home_intro(home):
    # The migration's home intro (安全生产教育培训…) would match most queries here.
    home.intro = "<p>欢迎。</p>"
    home.save_revision().publish()


def _found(client, query, page=None):
    params = {"q": query}
    if page:
        params["page"] = page
    response = client.get("/search/", params)
    assert response.status_code == 200
    html = response.content.decode()
    return re.findall(r'<h2 class="item-title"><a href="[^"]+">([^<]+)</a>', html), html


def test_chinese_word_inside_a_title_is_found(client, notice_index):
    add_notice(notice_index, "关于开展2026年安全生产月活动的通知", dt.date(2026, 6, 1))
    add_notice(notice_index, "关于职业健康体检的通知", dt.date(2026, 5, 1))

    titles, html = _found(client, "安全")

    assert titles == ["关于开展2026年安全生产月活动的通知"]
    assert "找到 1 条与“安全”相关的结果" in html


def test_backend_alone_misses_chinese_inside_a_word(notice_index):
    """Why the substring fallback exists: the database backend indexes a
    Chinese title as one token, so its own search does not find 安全 in it."""
    from wagtail.models import Page

    add_notice(notice_index, "关于开展安全生产月活动的通知", dt.date(2026, 6, 1))
    assert list(Page.objects.live().search("安全")) == []
    assert len(search_page_ids("安全", Page.objects.live())) == 1


def test_chinese_found_in_summary_body_and_document_number(client, notice_index, regulation_index):
    add_notice(notice_index, "三月工作安排", dt.date(2026, 3, 1), summary="请组织有限空间作业培训")
    add_notice(notice_index, "四月工作安排", dt.date(2026, 4, 1), body=[("paragraph", "<p>开展动火作业专项检查。</p>")])
    add_regulation(
        regulation_index, "某规定", level=RegulationPage.Level.DEPARTMENTAL_RULE, doc_number="应急管理部令第3号"
    )

    assert _found(client, "有限空间")[0] == ["三月工作安排"]
    assert _found(client, "动火作业")[0] == ["四月工作安排"]
    assert _found(client, "应急管理部令")[0] == ["某规定"]


def test_every_word_of_a_chinese_query_must_match(client, notice_index):
    add_notice(notice_index, "新员工安全培训通知", dt.date(2026, 3, 1))
    add_notice(notice_index, "安全检查通知", dt.date(2026, 3, 2))
    assert _found(client, "安全 培训")[0] == ["新员工安全培训通知"]


def test_latin_words_and_standard_numbers_use_the_search_backend(client, notice_index, regulation_index):
    add_notice(notice_index, "Fire drill notice", dt.date(2026, 3, 1))
    add_regulation(
        regulation_index,
        "危险化学品企业特殊作业安全规范",
        level=RegulationPage.Level.STANDARD,
        doc_number="GB 30871-2022",
    )
    assert _found(client, "drill")[0] == ["Fire drill notice"]
    assert _found(client, "GB 30871")[0] == ["危险化学品企业特殊作业安全规范"]


def test_drafts_and_private_pages_are_not_found(client, home, notice_index):
    add_notice(notice_index, "安全生产草稿", dt.date(2026, 3, 1), live=False)
    private = add_standard_page(home, "安全内部资料", slug="internal")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    add_notice(notice_index, "安全生产公开通知", dt.date(2026, 3, 2))

    assert _found(client, "安全")[0] == ["安全生产公开通知"]


def test_search_results_are_paginated(client, notice_index):
    for day in range(1, SEARCH_RESULTS_PER_PAGE + 4):
        add_notice(notice_index, f"安全提示第{day}期", dt.date(2026, 1, day))

    first, html = _found(client, "安全提示")
    second, _ = _found(client, "安全提示", page=2)

    assert len(first) == SEARCH_RESULTS_PER_PAGE
    assert len(second) == 3
    assert not set(first) & set(second)
    assert "找到 13 条" in html
    assert "q=%E5%AE%89%E5%85%A8%E6%8F%90%E7%A4%BA&amp;page=2" in html  # the query survives paging


def test_empty_and_unmatched_queries_explain_themselves(client, notice_index):
    _titles, html = _found(client, "")
    assert "可搜索通知公告、法规库" in html
    titles, html = _found(client, "不存在的关键词")
    assert titles == []
    assert "没有找到与“不存在的关键词”相关的内容" in html


def test_has_cjk():
    assert has_cjk("GB 安全")
    assert not has_cjk("GB 30871")
