"""Template helpers of the member registry pages: ``{{ amount|vnd }}`` → "1.234.000 đ" in Vietnamese."""

from __future__ import annotations

from django import template
from django.utils import translation

register = template.Library()


@register.filter
def vnd(value) -> str:
    """An amount in đồng with the locale's thousands separator; empty for ``None``."""
    if value is None or value == "":
        return ""
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return str(value)
    # Django's Vietnamese format does not group digits; the Vietnamese way is a dot every three digits.
    separator = "." if (translation.get_language() or "vi").startswith("vi") else ","
    grouped = f"{abs(amount):,}".replace(",", separator)
    return f"{'-' if amount < 0 else ''}{grouped} đ"


@register.filter
def field_label(instance, name: str) -> str:
    """The verbose name of ``instance``'s model field ``name``."""
    return str(instance._meta.get_field(name).verbose_name)
