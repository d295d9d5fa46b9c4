"""Fixtures for the content tests. The home page, the notice column
(/notices/) and the regulation library (/regulations/) come from the content
migrations; tests add children to them with the helpers in ``pages.py``."""

import pytest

from content.models import HomePage, NoticeIndexPage, RegulationIndexPage


@pytest.fixture
def home(db):
    return HomePage.objects.get()


@pytest.fixture
def notice_index(db):
    return NoticeIndexPage.objects.get()


@pytest.fixture
def regulation_index(db):
    return RegulationIndexPage.objects.get()
