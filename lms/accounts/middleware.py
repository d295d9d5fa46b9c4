"""Request middleware of the accounts app:

- ``AuthenticationMiddleware``: Django's, with the logged-in user taken from
  the shared cache when there is one (lms.speed.usercache);
- ``RequireMFAMiddleware``: MFA is required, not offered, for enterprise
  admins, HR, regulators and superusers, and checked per session: every
  request of theirs — pages, API with session auth, /media/, /documents/ —
  is served only if this login passed the second factor (lms.accounts.sessions).
  Without it, a user who has no authenticator yet can only set one up; anyone
  else is logged out and sent to allauth's login. Their sessions also end
  after a working day without a request."""

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from lms.jsonbody import error_response
from lms.speed import usercache

from . import sessions


def _get_user(request):
    if not hasattr(request, "_cached_user"):
        request._cached_user = usercache.get_user(request)
    return request._cached_user


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """``request.user`` as Django sets it, read through lms.speed.usercache."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _get_user(request))


# Paths served to anybody whatever their login: static files and the
# language switch (no data behind them).
_OPEN_PREFIXES = ("/static/", "/i18n/", "/favicon.ico")
# allauth's pages a privileged user without an authenticator needs to set one
# up (the password asked again first) or to leave.
_SETUP_VIEWS = ("account_login", "account_logout", "account_reauthenticate", "mfa_activate_totp")
# allauth's pages a privileged session without MFA may still open: the login
# page (it sends a logged-in visitor on) and the logout.
_LOGIN_VIEWS = ("account_login", "account_logout")


def _wants_json(request) -> bool:
    return (
        request.path_info.startswith("/api/")
        or request.content_type == "application/json"
        or (request.accepts("application/json") and not request.accepts("text/html"))
    )


def _mfa_required(message: str):
    return error_response(message, "mfa_required", status=403)


class RequireMFAMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._paths = {}

    def paths(self, names: tuple[str, ...]) -> frozenset[str]:
        if names not in self._paths:
            self._paths[names] = frozenset(reverse(name) for name in names)
        return self._paths[names]

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path_info.startswith(_OPEN_PREFIXES)
            and user.requires_mfa()
        ):
            if not sessions.passed_mfa(request.session, user):
                return self.refuse(request, user)
            sessions.keep_privileged_session_alive(request.session)
        return self.get_response(request)

    def refuse(self, request, user):
        """The answer to a privileged request from a session that has not passed MFA."""
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            # Nothing to enter yet: the only way on is to set up the authenticator.
            if request.path in self.paths(_SETUP_VIEWS):
                return self.get_response(request)
            if _wants_json(request):
                return _mfa_required(_("您的角色要求启用两步验证（MFA），请先在网页端完成设置。"))
            messages.warning(request, _("您的角色要求启用两步验证（MFA）。请先用身份验证器应用完成设置。"))
            return redirect(reverse("mfa_activate_totp"))
        if request.path in self.paths(_LOGIN_VIEWS):
            return self.get_response(request)
        # A login that skipped the second factor, or predates the user's role: end it.
        logout(request)
        message = _("您的角色要求每次登录都完成两步验证（MFA）。请重新登录，并输入身份验证器中的验证码。")
        if _wants_json(request):
            return _mfa_required(message)
        messages.warning(request, message)
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
