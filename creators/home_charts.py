"""The creator home's earnings chart: server-rendered SVG, one stacked bar per bucket, a colour per source.

Drawn the way the shop's sales chart and the affiliate charts are (shops.reports,
affiliates.charts): plain SVG from numbers and escaped text, no script, no library. Every bar
segment has a <title>; the page puts the same figures in a table for screen readers.
"""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from common.money import format_money
from creators.home import SOURCES, EarningsSeries
from payments.enums import CommissionSource

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 200, 8, 22, 14

# Colour-blind friendly (Okabe–Ito), in the order the segments stack from the bottom.
SOURCE_COLOURS = {
    CommissionSource.SHOP_SALE.value: "#0072b2",
    CommissionSource.AFFILIATE_COMMISSION.value: "#e69f00",
    CommissionSource.SPONSORSHIP.value: "#009e73",
    CommissionSource.BONUS.value: "#cc79a7",
}


def earnings_chart_svg(series: EarningsSeries) -> SafeString:
    """Net earnings per bucket, stacked by source. Buckets without earnings draw no bar."""
    title = _("Earnings in %(currency)s by source") % {"currency": series.currency}
    top = max((b.total.amount_minor for b in series.buckets), default=0)
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = (WIDTH - PAD_LEFT) / max(len(series.buckets), 1)
    bar_w = max(slot * 0.8, 1.0)
    labels = dict(CommissionSource.choices)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" class="earnings-chart" width="100%">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{PAD_LEFT}" y1="{HEIGHT - PAD_BOTTOM}" x2="{WIDTH}" y2="{HEIGHT - PAD_BOTTOM}" '
        'stroke="#999" stroke-width="1"/>',
    ]
    for index, bucket in enumerate(series.buckets):
        x = PAD_LEFT + index * slot + (slot - bar_w) / 2
        base = float(HEIGHT - PAD_BOTTOM)
        for source in SOURCES:
            value = bucket.by_source[source].amount_minor
            if top <= 0 or value <= 0:
                continue  # a negative bucket (refunds only) is shown in the table
            height = plot_h * value / top
            base -= height
            label = escape(
                f"{bucket.start.isoformat()}: {labels[source]} {format_money(bucket.by_source[source])}"
            )
            parts.append(
                f'<rect class="{source}" x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" '
                f'height="{height:.1f}" fill="{SOURCE_COLOURS[source]}"><title>{label}</title></rect>'
            )
    if series.buckets and top > 0:
        top_label = escape(format_money(max(series.buckets, key=lambda b: b.total.amount_minor).total))
        parts += [
            f'<text x="{PAD_LEFT}" y="{PAD_TOP - 3}" font-size="11" fill="#555">{top_label}</text>',
            f'<text x="{PAD_LEFT}" y="{HEIGHT - 6}" font-size="11" fill="#555">'
            f"{series.buckets[0].start.isoformat()}</text>",
            f'<text x="{WIDTH}" y="{HEIGHT - 6}" font-size="11" fill="#555" text-anchor="end">'
            f"{series.buckets[-1].start.isoformat()}</text>",
        ]
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated value is a number, a date or escaped
