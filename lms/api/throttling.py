"""Rate limits per person and per API token."""

from rest_framework.throttling import UserRateThrottle


class ApiUserRateThrottle(UserRateThrottle):
    """The "user" rate, counted per token for token clients.

    A TokenUser has no primary key; DRF's own throttle would put every token
    in one shared bucket, so one busy integration would throttle all others.
    """

    def get_cache_key(self, request, view):
        token = getattr(request.user, "api_token", None)
        if token is not None:
            return self.cache_format % {"scope": self.scope, "ident": f"token-{token.pk}"}
        return super().get_cache_key(request, view)
