from django import template

from ..selectors import id_number_revealable

register = template.Library()


@register.filter
def may_reveal_id_number(employee, user) -> bool:
    """``{% if employee|may_reveal_id_number:request.user %}``: show the way to the full 身份证号."""
    return id_number_revealable(user, employee)
