"""Every login goes through allauth, so its rate limits and the second factor
apply everywhere. Wagtail's front-end and admin login forms, Django admin's,
and Wagtail's own password reset and Django admin's password change would
otherwise take a password alone or open a second reset flow (allauth docs,
"Admin"); their URLs are answered here instead (lms/urls.py)."""

from allauth.account.utils import get_next_redirect_url
from allauth.core.internal import httpkit
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.views.decorators.cache import never_cache


def _to_allauth_login(request, default_next: str):
    next_url = get_next_redirect_url(request) or resolve_url(default_next)
    if request.user.is_authenticated:
        return HttpResponseRedirect(next_url)
    login_url = resolve_url(settings.LOGIN_URL)
    return HttpResponseRedirect(httpkit.add_query_params(login_url, {REDIRECT_FIELD_NAME: next_url}))


@never_cache
def admin_login_redirect(request):
    """Stands in for /admin/login/: never takes credentials, only sends the
    visitor to the allauth login (or on, if already logged in)."""
    return _to_allauth_login(request, "wagtailadmin_home")


@never_cache
def frontend_login_redirect(request):
    """Stands in for Wagtail's front-end login (/_util/login/), where private
    pages would send anonymous visitors: allauth's login, keeping ``next``."""
    return _to_allauth_login(request, settings.LOGIN_REDIRECT_URL)


@never_cache
def password_reset_redirect(request, rest=""):
    """Stands in for Wagtail's password reset (/admin/password_reset/…): the
    one reset flow is allauth's."""
    return HttpResponseRedirect(resolve_url("account_reset_password"))


@never_cache
def password_change_redirect(request, rest=""):
    """Stands in for Django admin's password change: the one change flow is
    allauth's (behind its reauthentication)."""
    return HttpResponseRedirect(resolve_url("account_change_password"))
