"""Every login goes through allauth, so its rate limits and the second factor
apply everywhere. Wagtail's and Django's admin login forms would otherwise
accept a password alone (allauth docs, "Admin")."""

from allauth.account.utils import get_next_redirect_url
from allauth.core.internal import httpkit
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.views.decorators.cache import never_cache


@never_cache
def admin_login_redirect(request):
    """Stands in for /admin/login/: never takes credentials, only sends the
    visitor to the allauth login (or on, if already logged in)."""
    next_url = get_next_redirect_url(request) or resolve_url("wagtailadmin_home")
    if request.user.is_authenticated:
        return HttpResponseRedirect(next_url)
    return HttpResponseRedirect(httpkit.add_query_params(resolve_url(settings.LOGIN_URL), {REDIRECT_FIELD_NAME: next_url}))
