"""Template helpers that keep style out of our HTML (Content-Security-Policy:
style-src 'self', so no style="…" attributes). Registered as the ``anxun_css``
library in settings (lms is not an app)."""

from django import template

register = template.Library()


@register.filter
def pct_class(value) -> str:
    """The CSS class that sets an element's width to ``value`` percent
    (static/css/widths.css), clamped to 0–100 and rounded: ``pct-42``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = 0.0
    if number != number:  # NaN
        number = 0.0
    return f"pct-{round(min(100.0, max(0.0, number)))}"
