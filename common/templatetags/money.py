from django import template

from common.money import Money, format_money

register = template.Library()


@register.filter(name="money")
def money_filter(value: Money | None) -> str:
    """{{ balance|money }} → "$10.00", "¥1,000", "1 000,00 €" in the active language."""
    return "" if value is None else format_money(value)
