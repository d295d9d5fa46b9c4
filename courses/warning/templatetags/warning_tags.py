from django import template

register = template.Library()


@register.simple_tag
def coverage_of(coverage: dict, campaign) -> tuple[int, int]:
    """(owed, met) of ``campaign`` from :func:`courses.warning.selectors.coverage_totals`."""
    return coverage.get(campaign.pk, (0, 0))
