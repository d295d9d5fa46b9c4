"""Pages render in Chinese inside the site layout."""

import datetime as dt

from django.template.loader import render_to_string

from content.models import RegulationPage

from .pages import add_notice, add_regulation, add_standard_page, make_document


def test_home_page_shows_latest_five_notices_and_links_to_library(client, home, notice_index, regulation_index):
    for day in range(1, 7):
        add_notice(notice_index, f"第{day}号通知", dt.date(2026, 3, day))
    add_notice(notice_index, "尚未发布的草稿通知", dt.date(2026, 3, 31), live=False)

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "最新通知" in html
    for day in range(2, 7):
        assert f"第{day}号通知" in html
    assert "第1号通知" not in html  # only the latest five
    assert "尚未发布的草稿通知" not in html
    assert html.index("第6号通知") < html.index("第2号通知")
    assert 'href="/regulations/"' in html
    assert 'href="/regulations/?level=law"' in html  # 按效力级别查阅


def test_layout_has_chinese_nav_language_switcher_and_lang_attribute(client, home):
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    for label in ("首页", "通知公告", "法规库", "搜索", "我的培训", "登录"):
        assert f">{label}<" in html
    assert 'action="/i18n/setlang/"' in html
    assert 'name="language" value="en"' in html
    assert "/static/css/anxun.css" in html
    assert 'name="viewport"' in html


def test_language_switch_sets_html_lang(client, home):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get("/").content.decode()


def test_logged_in_nav_offers_portal_and_logout(client, home, bob):
    client.force_login(bob)
    html = client.get("/").content.decode()
    assert 'action="/accounts/logout/"' in html
    assert ">退出<" in html
    assert ">登录<" not in html


def test_notice_page_renders_body_and_attachment(client, notice_index):
    document = make_document("2026年培训计划表")
    notice = add_notice(
        notice_index,
        "关于开展安全生产月活动的通知",
        dt.date(2026, 6, 1),
        summary="请各车间认真组织落实。",
        body=[("heading", "工作安排"), ("paragraph", "<p>6月11日至6月25日组织培训与演练。</p>")],
        attachment=document,
    )

    response = client.get(notice.url)

    assert response.status_code == 200
    html = response.content.decode()
    assert "关于开展安全生产月活动的通知" in html
    assert "2026年6月1日" in html
    assert "请各车间认真组织落实。" in html
    assert '<h2 class="block-heading">工作安排</h2>' in html
    assert "6月11日至6月25日组织培训与演练。" in html
    assert "附件：" in html and "2026年培训计划表" in html and document.url in html
    assert 'href="/notices/"' in html  # breadcrumb back to 通知公告


def test_regulation_page_shows_document_facts(client, regulation_index):
    regulation = add_regulation(
        regulation_index,
        "中华人民共和国安全生产法",
        level=RegulationPage.Level.LAW,
        doc_number="中华人民共和国主席令第八十八号",
        issuing_authority="全国人民代表大会常务委员会",
        effective=dt.date(2021, 9, 1),
    )

    html = client.get(regulation.url).content.decode()

    for text in (
        "中华人民共和国主席令第八十八号",
        "全国人民代表大会常务委员会",
        "法律",
        "2021年9月1日",
        "现行有效",
        "文号",
    ):
        assert text in html


def test_standard_page_renders(client, home):
    page = add_standard_page(
        home,
        "使用帮助",
        slug="help",
        introduction="如何在手机上学习。",
        body=[("paragraph", "<p>用手机号登录即可。</p>")],
    )
    response = client.get("/help/")
    assert response.status_code == 200
    html = response.content.decode()
    assert page.title in html and "如何在手机上学习。" in html and "用手机号登录即可。" in html


def test_unknown_path_gives_chinese_404_in_site_layout(client, home):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html
    assert "/static/css/anxun.css" in html


def test_500_page_renders_without_a_request():
    html = render_to_string("500.html")
    assert "服务器出错了" in html
    assert '<html lang="zh-hans">' in html
