from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import sessions
from .models import Membership, RegulatorMembership, User


@receiver([post_save, post_delete], sender=Membership)
@receiver([post_save, post_delete], sender=RegulatorMembership)
def _forget_cached_roles(sender, instance, **kwargs):
    # The roles are cached per request on the user object and briefly across
    # requests (User.role_pairs): forget both now, and the shared copy again
    # once the change commits (a request may have read the old rows meanwhile).
    key = User.role_cache_key(instance.user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
    user = instance._state.fields_cache.get("user")
    if user is not None:
        user.clear_role_cache()


@receiver([post_save, post_delete], sender=User)
def _forget_cached_user(sender, instance, **kwargs):
    # The logged-in user is cached across requests (lms.speed.usercache):
    # a new password, deactivation or any other change must be read from the
    # database at the next request — now, and once more after the commit.
    from lms.speed import usercache

    usercache.forget(instance.pk)
    transaction.on_commit(lambda: usercache.forget(instance.pk))


@receiver(authenticator_added)
def _activation_is_this_logins_second_factor(sender, request, user, authenticator, **kwargs):
    # A privileged user without an authenticator sets one up in a
    # password-only session; the code they typed to activate it is this
    # login's second factor (lms.accounts.sessions).
    if request is not None and authenticator.type == Authenticator.Type.TOTP:
        sessions.record_activation(request, authenticator)


@receiver(user_logged_in)
def _privileged_sessions_expire_when_idle(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None and user.requires_mfa():
        sessions.keep_privileged_session_alive(session, force=True)
