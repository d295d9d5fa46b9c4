from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def figure(value, kind="int"):
    """A report cell as the table shows it: 85.3%, 12.5, 1,204, or — for no figure."""
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return "—"
    if kind == "text":
        return value
    if kind == "pct":
        return f"{float(value) * 100:.1f}%"
    if kind in ("hours", "number"):
        return number_format(float(value), decimal_pos=1, use_l10n=True, force_grouping=True)
    return number_format(int(value), use_l10n=True, force_grouping=True)


@register.simple_tag
def zip_cells(row, columns):
    return list(zip(row, columns))
