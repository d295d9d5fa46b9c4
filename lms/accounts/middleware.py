"""Request middleware of the accounts app:

- ``AuthenticationMiddleware``: Django's, with the logged-in user taken from
  the shared cache when there is one (lms.accounts.usercache);
- ``RequireMFAMiddleware``: MFA is required, not offered, for enterprise
  admins, HR, regulators and superusers: until they have an authenticator,
  they can only set one up."""

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth import middleware as auth_middleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from . import usercache


def _get_user(request):
    if not hasattr(request, "_cached_user"):
        request._cached_user = usercache.get_user(request)
    return request._cached_user


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """``request.user`` as Django sets it, read through lms.accounts.usercache."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _get_user(request))

# Paths a user without MFA may still reach: setting it up, logging out,
# static files and the language switch.
_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/media/", "/i18n/", "/favicon.ico")


class RequireMFAMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and user.requires_mfa()
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            if request.path.startswith("/api/"):
                from lms.jsonbody import error_response

                return error_response(
                    _("您的角色要求启用两步验证（MFA），请先在网页端完成设置。"), "mfa_required", status=403
                )
            messages.warning(request, _("您的角色要求启用两步验证（MFA）。请先用身份验证器应用完成设置。"))
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
