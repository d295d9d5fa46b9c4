"""lms/kernel/rates.py: a rate with nothing owed is no rate (None, "—")."""

from decimal import Decimal

from django.template import Context, Template

from lms.kernel.rates import percent, percent_int, rate, rate_text


def test_rate_and_percent():
    assert rate(1, 3) == Decimal("0.3333")
    assert rate(0, 4) == Decimal("0")
    assert rate(0, 0) is None and rate(5, 0) is None and rate(1, None) is None and rate(1, float("nan")) is None
    assert percent(83, 120) == Decimal("69")  # rounded down
    assert percent(2, 3, places=1) == Decimal("66.6")
    assert percent(0, 0) is None and percent_int(0, 0) is None and percent_int(3, 3) == 100


def test_filters_show_a_dash_for_no_rate():
    assert rate_text(None) == "—" and rate_text(float("nan")) == "—" and rate_text(0.8531) == "85.3%"
    html = Template("{% load anxun_rates %}{{ a|percent_text }} {{ b|percent_text }} {{ c|rate_text }}").render(
        Context({"a": None, "b": 69, "c": Decimal("0.5")}))
    assert html == "— 69% 50.0%"
