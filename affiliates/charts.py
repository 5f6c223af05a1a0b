"""A small server-side SVG bar chart of clicks by day (no JavaScript, no library)."""

from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

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
