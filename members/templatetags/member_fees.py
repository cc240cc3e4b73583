"""Template filters of the party fee and assessment pages: money in đồng, percentages, months."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import template
from django.utils.formats import number_format

from ..fees import format_money

register = template.Library()


@register.filter
def money(value) -> str:
    """1234000 → "1.234.000 đ" (Vietnamese) / "1,234,000 đ" (English); empty for ``None``."""
    if value is None or value == "":
        return ""
    return format_money(value)


@register.filter
def percent(value) -> str:
    """A percentage with one decimal ("87,5%" in Vietnamese); "—" when there is none."""
    if value is None or value == "":
        return "—"
    number = Decimal(value)
    if number == number.to_integral():
        return f"{number_format(int(number), use_l10n=True)}%"
    return f"{number_format(round(number, 1), decimal_pos=1, use_l10n=True)}%"


@register.filter
def month_value(value: datetime.date) -> str:
    """The value of an ``<input type="month">`` ("2026-03")."""
    return f"{value:%Y-%m}" if value else ""


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def fee_summary(member, year=None):
    """This year's fee facts of ``member`` for a summary box: this month's amount, what is unpaid, the
    warning. A fixed number of queries."""
    from .. import fees, selectors

    today = selectors.today()
    year = int(year or today.year)
    book = fees.FeeBook([member], months=fees.months_of_year(year))
    unpaid = book.unpaid_months(member, year, on=today)
    limit = book.arrears_limit(year, on=today)
    months = book.year(member, year)
    return {
        "year": year,
        "current": book.month(member, today.replace(day=1)),
        "unpaid": unpaid,
        "in_arrears": bool(limit) and len(unpaid) >= limit,
        "paid_total": sum(m.paid for m in months),
        "paid_count": sum(1 for m in months if m.payment is not None),
    }
