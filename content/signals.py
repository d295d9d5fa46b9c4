"""The accident case library requires a login (a Wagtail view restriction on
its index), so its cases never appear to anonymous visitors or in the public
site search."""

from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.models import PageViewRestriction

from .models import AccidentCaseIndexPage


@receiver(post_save, sender=AccidentCaseIndexPage, dispatch_uid="content_case_library_requires_login")
def case_library_requires_login(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    PageViewRestriction.objects.get_or_create(page=instance, restriction_type=PageViewRestriction.LOGIN)
