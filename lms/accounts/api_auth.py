"""Token authentication for integration clients bound to one enterprise.

``Authorization: Token ax_…`` → ``request.user`` is a :class:`TokenUser`
(not a person) and ``request.auth`` the ApiToken."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import ApiToken


class TokenUser:
    """Stands in for a user on token-authenticated API requests."""

    is_authenticated = True
    is_anonymous = False
    is_superuser = False
    is_staff = False
    is_active = True
    pk = None
    id = None

    def __init__(self, token: ApiToken):
        self.api_token = token
        self.username = f"token:{token.prefix}"

    def __str__(self):
        return f"{self.api_token.name}（API）"

    def has_perm(self, perm, obj=None):
        return False

    def role_pairs(self):
        return frozenset()

    def region_prefixes(self):
        return frozenset()

    def requires_mfa(self):
        return False


class EnterpriseTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("令牌格式不正确"))
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("令牌格式不正确")) from None
        token = ApiToken.find_active(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("令牌无效或已吊销"))
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return TokenUser(token), token

    def authenticate_header(self, request):
        return self.keyword
