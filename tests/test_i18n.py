"""Chinese first, English available: the catalogue compiles and is used."""

import pytest
from django.utils import translation
from django.utils.translation import trans_real

from lms.i18n import compile_all


@pytest.fixture
def english():
    compile_all()
    trans_real._translations = {}  # reload catalogues that may predate the .mo
    trans_real._active = trans_real.Local()
    yield
    translation.deactivate()
    trans_real._translations = {}


@pytest.mark.django_db
def test_chinese_is_the_default(client, english):
    # A browser that states no preference gets Chinese, even with English compiled.
    html = client.get("/accounts/login/").content.decode()
    assert 'lang="zh-hans"' in html and "邮箱或手机号" in html


def test_english_catalogue_translates(english):
    with translation.override("en"):
        assert translation.gettext("员工") == "Employee"


@pytest.mark.django_db
def test_login_page_in_english(client, english):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="en"' in html
    assert "邮箱或手机号" not in html
