"""Which page may live where (parent_page_types / subpage_types / max counts)."""

from content.models import (
    HomePage,
    NoticeIndexPage,
    NoticePage,
    RegulationIndexPage,
    RegulationPage,
    StandardPage,
)
from tests.conftest import login_with_mfa
from tests.factories import UserFactory, enable_totp

from .pages import add_standard_page


def test_migrations_put_notice_column_and_regulation_library_under_home(home, notice_index, regulation_index):
    assert home.get_parent().depth == 1
    assert notice_index.get_parent().specific == home
    assert regulation_index.get_parent().specific == home
    assert notice_index.live and regulation_index.live
    assert (notice_index.title, notice_index.url) == ("通知公告", "/notices/")
    assert (regulation_index.title, regulation_index.url) == ("法规库", "/regulations/")


def test_notice_can_only_be_created_in_the_notice_column(home, notice_index, regulation_index):
    assert not NoticePage.can_create_at(home)
    assert not NoticePage.can_create_at(regulation_index)
    assert NoticePage.can_create_at(notice_index)
    assert set(NoticePage.allowed_parent_page_models()) == {NoticeIndexPage}
    assert NoticePage.allowed_subpage_models() == []


def test_regulation_can_only_be_created_in_the_regulation_library(home, notice_index, regulation_index):
    assert not RegulationPage.can_create_at(home)
    assert not RegulationPage.can_create_at(notice_index)
    assert RegulationPage.can_create_at(regulation_index)
    assert RegulationPage.allowed_subpage_models() == []


def test_index_pages_take_only_their_own_children(home, notice_index, regulation_index):
    assert set(NoticeIndexPage.allowed_subpage_models()) == {NoticePage}
    assert set(RegulationIndexPage.allowed_subpage_models()) == {RegulationPage}
    assert not StandardPage.can_create_at(notice_index)
    assert not NoticeIndexPage.can_create_at(notice_index)


def test_one_notice_column_and_one_library_per_home_page(home):
    # The migration already made one of each under the home page.
    assert not NoticeIndexPage.can_create_at(home)
    assert not RegulationIndexPage.can_create_at(home)
    assert set(NoticeIndexPage.allowed_parent_page_models()) == {HomePage}


def test_only_one_home_page(home):
    assert not HomePage.can_create_at(home)
    assert not HomePage.can_create_at(home.get_parent())


def test_standard_pages_nest_under_home_and_each_other(home):
    assert StandardPage.can_create_at(home)
    about = add_standard_page(home, "关于安训", slug="about")
    assert StandardPage.can_create_at(about)
    assert not NoticePage.can_create_at(about)


def test_editor_gets_chinese_add_forms_only_where_the_tree_allows(client, home, notice_index, regulation_index):
    editor = UserFactory(is_superuser=True, is_staff=True)
    enable_totp(editor)
    login_with_mfa(client, editor)

    notice_form = client.get(f"/admin/pages/add/content/noticepage/{notice_index.pk}/")
    assert notice_form.status_code == 200
    assert "发布日期" in notice_form.content.decode() and "附件" in notice_form.content.decode()

    regulation_form = client.get(f"/admin/pages/add/content/regulationpage/{regulation_index.pk}/")
    assert regulation_form.status_code == 200
    for label in ("文号", "发布机关", "效力级别", "施行日期", "时效性"):
        assert label in regulation_form.content.decode()

    # Not under the home page: Wagtail refuses the form and sends the editor back.
    refused = client.get(f"/admin/pages/add/content/noticepage/{home.pk}/")
    assert refused.status_code == 302 and refused["Location"] == "/admin/"
