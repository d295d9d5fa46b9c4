"""The learner portal's 线下培训 block: invitations, and for trainers the
sessions they run (``{% load offline_tags %}{% offline_portal_block %}``)."""

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("offline/includes/portal_block.html", takes_context=True)
def offline_portal_block(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "invitations": selectors.my_invitations(user),
        "to_run": selectors.my_sessions_to_run(user),
        "request": request,
    }
