"""Sales over time for the seller's dashboard: gross, platform commission and net per day.

Read from the money records, not from the orders' own totals, so the chart agrees with the
earnings page: gross is what each paid Payment of the shop took (on the day it was paid),
commission is what the ledger's settlement of that payment credited to the platform's
``commission_revenue``, and refunds subtract on the day they were made (their amount from gross,
their ledger reversal's commission entries from commission). Net is gross minus commission.
A day can be negative when refunds outweigh that day's sales.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from common.money import Money, format_money
from payments.enums import AccountKind, RefundStatus
from payments.models import PLATFORM, LedgerEntry, Payment, Refund
from shops.models import Shop

PERIODS = (30, 90, 365)


@dataclass(frozen=True)
class SalesDay:
    day: date
    orders: int
    gross: Money
    commission: Money
    net: Money


@dataclass(frozen=True)
class SalesSeries:
    currency: str
    days: list[SalesDay]
    gross: Money
    commission: Money
    net: Money
    orders: int

    @property
    def active_days(self) -> list[SalesDay]:
        """Days with a sale or a refund: the table fallback lists only these."""
        return [d for d in self.days if d.orders or not d.gross.is_zero() or not d.commission.is_zero()]


def _commission_by_transaction(transaction_ids: list[int]) -> dict[int, int]:
    if not transaction_ids:
        return {}
    rows = (
        LedgerEntry.objects.filter(
            transaction_id__in=transaction_ids,
            account__party=PLATFORM,
            account__kind=AccountKind.COMMISSION_REVENUE,
        )
        .values("transaction_id")
        .annotate(total=Sum("amount_minor"))
    )
    return {row["transaction_id"]: row["total"] for row in rows}


def sales_series(*, shop: Shop, days: int = 30, today: date | None = None) -> SalesSeries:
    """The last ``days`` days (today included, UTC dates) of the shop's sales; 30, 90 or 365.

    Any other ``days`` is read as 30. Four queries whatever the period.
    """
    days = days if days in PERIODS else PERIODS[0]
    today = today or timezone.now().date()
    start = today - timedelta(days=days - 1)
    gross: dict[date, int] = defaultdict(int)
    commission: dict[date, int] = defaultdict(int)
    orders: dict[date, int] = defaultdict(int)

    paid = list(
        Payment.objects.filter(order__shop=shop, paid_at__date__gte=start, paid_at__date__lte=today)
        .annotate(day=TruncDate("paid_at"))
        .values("day", "amount_minor", "settlement_id")
    )
    refunds = list(
        Refund.objects.filter(
            payment__order__shop=shop, created_at__date__gte=start, created_at__date__lte=today
        )
        .exclude(status=RefundStatus.FAILED)  # a failed refund's ledger reversal was put back
        .annotate(day=TruncDate("created_at"))
        .values("day", "amount_minor", "ledger_transaction_id")
    )
    taken = _commission_by_transaction(
        [row["settlement_id"] for row in paid if row["settlement_id"]]
        + [row["ledger_transaction_id"] for row in refunds if row["ledger_transaction_id"]]
    )
    for row in paid:
        gross[row["day"]] += row["amount_minor"]
        orders[row["day"]] += 1
        commission[row["day"]] += taken.get(row["settlement_id"], 0)
    for refund in refunds:
        gross[refund["day"]] -= refund["amount_minor"]
        commission[refund["day"]] += taken.get(refund["ledger_transaction_id"], 0)  # negative: reversed

    currency = shop.currency
    series = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        series.append(
            SalesDay(
                day=day,
                orders=orders[day],
                gross=Money(gross[day], currency),
                commission=Money(commission[day], currency),
                net=Money(gross[day] - commission[day], currency),
            )
        )
    return SalesSeries(
        currency=currency,
        days=series,
        gross=Money(sum(gross.values()), currency),
        commission=Money(sum(commission.values()), currency),
        net=Money(sum(gross.values()) - sum(commission.values()), currency),
        orders=sum(orders.values()),
    )


# ---------------------------------------------------------------- the chart

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 220, 8, 22, 8


def sales_chart_svg(series: SalesSeries) -> str:
    """A bar per day, stacked: net (the seller's) under commission (the platform's).

    Plain SVG built on the server (no script, no library); every bar has a <title> that screen
    readers and hover show, and the page puts the same numbers in a table. Negative days (more
    refunded than sold) draw no bar; the table shows them.
    """
    count = len(series.days)
    top = max((d.gross.amount_minor for d in series.days), default=0)
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = (WIDTH - PAD_LEFT) / max(count, 1)
    bar_w = max(slot * 0.8, 1.0)
    title = _("Sales per day: net and platform commission")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" class="sales-chart" width="100%">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{PAD_LEFT}" y1="{HEIGHT - PAD_BOTTOM}" x2="{WIDTH}" y2="{HEIGHT - PAD_BOTTOM}" '
        'stroke="#999" stroke-width="1"/>',
    ]
    for index, day in enumerate(series.days):
        x = PAD_LEFT + index * slot + (slot - bar_w) / 2
        if top > 0 and day.gross.amount_minor > 0:
            net_minor = max(day.net.amount_minor, 0)
            commission_minor = max(day.gross.amount_minor - net_minor, 0)
            net_h = plot_h * net_minor / top
            commission_h = plot_h * commission_minor / top
            base = HEIGHT - PAD_BOTTOM
            label = escape(
                _("%(day)s: %(gross)s gross, %(commission)s commission, %(net)s net")
                % {
                    "day": day.day.isoformat(),
                    "gross": format_money(day.gross),
                    "commission": format_money(day.commission),
                    "net": format_money(day.net),
                }
            )
            parts.append(
                f'<g class="bar"><title>{label}</title>'
                f'<rect class="net" x="{x:.1f}" y="{base - net_h:.1f}" width="{bar_w:.1f}" '
                f'height="{net_h:.1f}" fill="#2a7d6f"/>'
                f'<rect class="commission" x="{x:.1f}" y="{base - net_h - commission_h:.1f}" '
                f'width="{bar_w:.1f}" height="{commission_h:.1f}" fill="#e0a526"/></g>'
            )
        last = index == count - 1
        weekly = count <= 31 and index % 7 == 0 and index < count - 4  # never crowding the last label
        if index == 0 or last or weekly:
            anchor = "end" if last else "start"
            label_x = WIDTH if last else x
            parts.append(
                f'<text x="{label_x:.1f}" y="{HEIGHT - 6}" font-size="10" fill="#555" text-anchor="{anchor}">'
                f"{escape(day.day.strftime('%m-%d'))}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
