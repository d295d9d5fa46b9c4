from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Membership, RegulatorMembership


@receiver([post_save, post_delete], sender=Membership)
@receiver([post_save, post_delete], sender=RegulatorMembership)
def _forget_cached_roles(sender, instance, **kwargs):
    # Role caches live on the user object of the current request only; this
    # clears them for code holding the same instance (tests, shell).
    instance.user.clear_role_cache()
