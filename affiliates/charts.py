"""Small server-side SVG bar charts of clicks and commissions by day (no JavaScript, no library)."""

from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from common.money import Money, format_money

WIDTH, HEIGHT, PAD = 600, 140, 20


def clicks_chart_svg(days: list[tuple[date, int, int]], *, title: str) -> SafeString:
    """Raw clicks as light bars, unique clicks as dark bars in front, one pair per day."""
    top = max((raw for _d, raw, _u in days), default=0) or 1
    step = (WIDTH - 2 * PAD) / max(len(days), 1)
    bars = []
    for index, (day, raw, unique) in enumerate(days):
        x = PAD + index * step
        for value, css in ((raw, "raw"), (unique, "unique")):
            height = (HEIGHT - 2 * PAD) * value / top
            width = max(step - 2, 1)
            bars.append(
                f'<rect class="{css}" x="{x:.1f}" y="{HEIGHT - PAD - height:.1f}" width="{width:.1f}" '
                f'height="{height:.1f}" fill="{"#9ecae1" if css == "raw" else "#08519c"}">'
                f"<title>{day.isoformat()}: {raw} / {unique}</title></rect>"
            )
    labels = [f'<text x="{PAD}" y="{PAD - 6}" font-size="10">{top}</text>']
    if days:
        labels += [
            f'<text x="{PAD}" y="{HEIGHT - 4}" font-size="10">{days[0][0].isoformat()}</text>',
            f'<text x="{WIDTH - PAD}" y="{HEIGHT - 4}" font-size="10" text-anchor="end">'
            f"{days[-1][0].isoformat()}</text>",
        ]
    axis = f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#999"/>'
    return mark_safe(  # noqa: S308 - every interpolated value is a number, a date or escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" class="chart">{axis}{"".join(bars)}{"".join(labels)}</svg>'
    )


# Stacked from the bottom in this order; a status not listed here is not drawn.
COMMISSION_COLOURS = {"available": "#2a7d6f", "earned": "#e0a526", "on_hold": "#c0392b"}
COMMISSION_LABELS = {"available": _("available"), "earned": _("pending"), "on_hold": _("on hold")}


def commissions_chart_svg(
    days: list[tuple[date, dict[str, int]]], *, currency: str, title: str
) -> SafeString:
    """Net commissions per day, one stacked bar a day: available, pending (earned), on hold."""
    top = max(
        (sum(v for k, v in amounts.items() if k in COMMISSION_COLOURS) for _d, amounts in days), default=0
    )
    top = top or 1
    step = (WIDTH - 2 * PAD) / max(len(days), 1)
    bars = []
    for index, (day, amounts) in enumerate(days):
        x, base = PAD + index * step, HEIGHT - PAD
        for status, colour in COMMISSION_COLOURS.items():
            value = amounts.get(status, 0)
            if value <= 0:
                continue
            height = (HEIGHT - 2 * PAD) * value / top
            base -= height
            label = escape(
                f"{day.isoformat()}: {COMMISSION_LABELS[status]} {format_money(Money(value, currency))}"
            )
            bars.append(
                f'<rect class="{status}" x="{x:.1f}" y="{base:.1f}" width="{max(step - 2, 1):.1f}" '
                f'height="{height:.1f}" fill="{colour}"><title>{label}</title></rect>'
            )
    axis = f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#999"/>'
    return mark_safe(  # noqa: S308 - every interpolated value is a number, a date or escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" class="chart">{axis}{"".join(bars)}</svg>'
    )
