"""Spreadsheet cells that cannot run as formulas (CSV/Excel formula injection).

Kernel: imports no app. Every export that writes CSV or XLSX passes its cell
values through :func:`safe_cell` (or :func:`safe_row`); Wagtail's list
exports get it through :class:`SafeSpreadsheetExportMixin`, which every
``ScopedIndexView`` includes. tests/test_spreadsheet_exports.py finds every
export and proves it.

A text cell that starts with ``=``, ``+``, ``-`` or ``@`` is read by Excel,
WPS and LibreOffice as a formula (``=HYPERLINK(…)`` exfiltrates, ``=cmd|…``
runs DDE); a leading tab or carriage return hides such a formula behind
white space. OWASP "CSV Injection": prefix the text with a single quote, so
the cell is shown as the text it is. Only text is touched: a number — even a
negative one — stays a number, a date stays a date.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.functional import Promise

# OWASP CSV Injection: the characters that make a cell a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet cell that cannot be a formula: text
    starting with one of :data:`FORMULA_PREFIXES` gets a leading ``'``;
    anything that is not text is returned unchanged."""
    if isinstance(value, Promise):  # gettext_lazy labels
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A row of :func:`safe_cell` values (for ``worksheet.append`` and ``csv.writer``)."""
    return [safe_cell(value) for value in values]


def safe_frame(frame):
    """A pandas DataFrame with every cell passed through :func:`safe_cell`
    (numeric columns are left as they are)."""
    from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

    frame = frame.copy()
    for column in frame.columns:
        series = frame[column]
        if not (is_numeric_dtype(series) or is_bool_dtype(series) or is_datetime64_any_dtype(series)):
            frame[column] = series.map(safe_cell)
    frame.columns = [safe_cell(column) for column in frame.columns]
    return frame


class SafeSpreadsheetExportMixin:
    """For Wagtail's ``SpreadsheetExportMixin`` views (``list_export`` on a
    ModelViewSet/SnippetViewSet index): every CSV and XLSX cell, headings
    included, goes through :func:`safe_cell`."""

    def preprocess_field_value(self, field, value, export_format):
        return safe_cell(super().preprocess_field_value(field, value, export_format))

    def get_heading(self, queryset, field):
        return safe_cell(super().get_heading(queryset, field))


# The exact mark safe_cell leaves: a quote before a formula character.
_SAFE_MARK = r"^'(?=[=+\-@\t\r])"


def restore_column(column):
    """A pandas text column read back from a file we exported, with the
    :func:`safe_cell` quote taken off again, so export → edit → import keeps
    ``-5℃`` as ``-5℃`` (the cell is text by then, never a formula)."""
    return column.str.replace(_SAFE_MARK, "", regex=True)
