from django import template

from common.money import Money, format_money

register = template.Library()


@register.filter
def minor_money(amount_minor: int | None, currency: str) -> str:
    """{{ 450|minor_money:"USD" }} → "$4.50" in the active language."""
    return format_money(Money(int(amount_minor or 0), currency))


@register.filter
def percent_bps(bps: int | None) -> str:
    return f"{(bps or 0) / 100:g}%"


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key, 0) if mapping else 0
