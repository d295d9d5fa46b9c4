"""One login door: every form that takes a password is allauth's, so its rate
limits and the second factor apply everywhere. Wagtail's front-end login
(``/_util/login/``), Wagtail's and Django's admin logins, Wagtail's password
reset and Django admin's password change all send the visitor to allauth's
flows instead of taking credentials themselves."""

import itertools
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.regex_helper import normalize

from tests.conftest import PASSWORD, login_with_mfa
from tests.content.pages import add_case_library
from tests.factories import UserFactory, enable_totp, home_page

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PASSWORD_INPUT = re.compile(r"<input\b[^>]*\btype=[\"']?password\b", re.IGNORECASE)

# Values tried, in order, for each argument of a URL pattern: the first one
# the pattern's own regex accepts is used.
ALTERNATIVES = re.compile(r"\(\?P<(\w+)>(\w+(?:\|\w+)+)\)")
DUMMIES = ("1", "320500", "x", "00000000-0000-0000-0000-000000000000", "x-1", "x.pdf", "")


def _segment_paths(pattern) -> list[str]:
    """Concrete strings matching one pattern segment (a route or a regex),
    built from the same normalisation that ``reverse()`` uses."""
    regex = pattern.pattern.regex
    # A group that is a list of words (``(?P<media_type>audio|video)``) takes its first word.
    words = {name: (alternatives.split("|")[0],) for name, alternatives in ALTERNATIVES.findall(regex.pattern)}
    found = []
    for template, params in normalize(regex.pattern):
        for values in itertools.product(*(words.get(param, ()) + DUMMIES for param in params)):
            candidate = template % dict(zip(params, values, strict=True))
            match = regex.search(candidate)
            if match and (isinstance(pattern, URLResolver) or match.end() == len(candidate)):
                found.append(candidate)
                break
    return found[:1]


def enumerate_urls(patterns=None, prefix="/"):
    """(url, pattern) for every URL pattern of the project, walked
    recursively through every include(); a pattern no dummy value fits is
    returned with url None."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        segments = _segment_paths(pattern)
        if isinstance(pattern, URLResolver):
            if not segments:
                yield None, pattern
                continue
            yield from enumerate_urls(pattern.url_patterns, prefix + segments[0])
        elif isinstance(pattern, URLPattern):
            yield (prefix + segments[0] if segments else None), pattern


def _view_module(resolver_match) -> str:
    func = resolver_match.func
    view_class = getattr(func, "view_class", None) or getattr(func, "cls", None)
    return (view_class or func).__module__


def _password_forms(client) -> tuple[int, list[tuple[str, str]], list[str]]:
    """GET every URL of the project on ``client``, following no redirect;
    returns (URLs requested, [(url, view module)] of every response showing a
    password input, patterns no URL could be built for)."""
    checked, forms, unbuilt = 0, [], []
    seen = set()
    for url, pattern in enumerate_urls():
        if url is None:
            unbuilt.append(str(pattern.pattern))
            continue
        if url in seen:
            continue
        seen.add(url)
        checked += 1
        response = client.get(url)
        content = b"" if getattr(response, "streaming", False) else response.content
        if response.status_code == 200 and PASSWORD_INPUT.search(content.decode("utf-8", "replace")):
            forms.append((url, _view_module(response.resolver_match)))
    return checked, forms, unbuilt


@pytest.mark.parametrize("who", ["anonymous", "employee"])
def test_every_password_form_of_the_site_is_allauths(who, bob):
    client = Client(raise_request_exception=False)
    if who == "employee":
        client.force_login(bob)

    checked, forms, unbuilt = _password_forms(client)

    print(f"{who}: {checked} URLs built from the URL patterns and requested; "
          f"password forms at {[url for url, _m in forms]}; no URL built for {unbuilt}")
    # Not vacuous: the walk reaches hundreds of patterns and finds allauth's own forms.
    assert checked > 300
    assert unbuilt == []
    if who == "anonymous":
        assert (LOGIN, "allauth.account.views._login") in forms
    else:
        assert ("/accounts/password/change/", "allauth.account.views._password_change") in forms
    foreign = [(url, module) for url, module in forms if not module.startswith("allauth.")]
    assert foreign == []


def test_the_enumeration_builds_urls_for_wagtail_and_django_logins():
    urls = {url for url, _p in enumerate_urls()}
    assert {LOGIN, "/_util/login/", "/admin/login/", "/django-admin/login/", "/admin/password_reset/",
            "/django-admin/password_change/"} <= urls


# --- Wagtail's front-end login ---------------------------------------------------------------


def test_wagtail_frontend_login_get_is_sent_to_allauth_keeping_next(client):
    response = client.get("/_util/login/?next=/accident-cases/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Faccident-cases%2F"


@pytest.mark.parametrize("login", ["/_util/login/", "/_util/login/?next=/admin/"])
def test_wagtail_frontend_login_never_takes_hr_password(client, alice, login):
    response = client.post(login, {"username": alice.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_wagtail_frontend_login_never_takes_a_workers_password(client, bob):
    client.post("/_util/login/", {"username": bob.username, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_private_page_sends_anonymous_visitors_to_allauth(client):
    add_case_library(home_page())
    response = client.get("/accident-cases/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accident-cases/"


def test_wagtail_admin_redirects_anonymous_visitors_to_allauth(client):
    response = client.get("/admin/pages/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/pages/"


# --- one password-reset flow, one password-change flow ---------------------------------------


@pytest.mark.parametrize("path", [
    "/admin/password_reset/",
    "/admin/password_reset/done/",
    "/admin/password_reset/confirm/MQ/set-password/",
    "/admin/password_reset/complete/",
])
def test_wagtail_password_reset_is_not_a_reset_form(client, alice, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/"
    posted = client.post(path, {"email": alice.email, "new_password1": "x-New-2026!", "new_password2": "x-New-2026!"})
    assert posted.status_code == 302
    assert mail.outbox == []


def test_django_admin_password_change_is_allauths(client):
    root = UserFactory(is_superuser=True, is_staff=True)
    enable_totp(root)
    login_with_mfa(client, root)
    response = client.get("/django-admin/password_change/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/change/"


def test_wagtail_account_settings_offer_no_password_change(client, alice):
    login_with_mfa(client, alice)
    html = client.get("/admin/account/").content.decode()
    assert not PASSWORD_INPUT.search(html)
    assert 'name="password-new_password1"' not in html
