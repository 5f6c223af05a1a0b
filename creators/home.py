"""The creator home (``/dashboard/`` and ``GET /api/v1/me/home/``): what did I earn, from what,
and when do I get it; what is waiting for me; what is left to set up.

Reads only, aggregated in SQL, a fixed number of queries whatever the amount of data (the page
asserts it). Every selector takes the creator (or their ledger party) that the caller has
already resolved from the signed-in user, so a creator only ever sees their own figures.

Earnings by source come from the ledger's holds: every earning posted to a party (a settled shop
sale or affiliate share, an escrow release of a sponsored deal, a bonus award) credits the
party's ``pending`` account in one transaction and writes exactly one ``Hold`` for that party,
carrying the split's source and the net amount (after the platform's commission). Grouping the
holds by source and by the day the money was earned (a sale's payment time, else the posting
time) gives "earned, by source, over time", and a refund made during the hold
(``refunded_minor``) is taken off the day it was earned.
A refund after the hold (a clawback from ``available``) shows on the Earnings page's statement,
not here: this chart answers "what did I earn", the balances answer "what do I have".
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final

from django.conf import settings
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncDay, TruncMonth, TruncWeek
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from common.money import Money
from creators.models import CreatorProfile, User
from payments.enums import AccountKind, CommissionSource, PayoutStatus
from payments.models import ConnectedAccount, Hold, Payout, party_for_user
from payments.selectors import balances_for_party

# The chart's periods in days, and the bucket each is drawn in (365 daily bars are unreadable).
PERIODS: Final = (30, 90, 365)
BUCKETS: Final = {30: "day", 90: "week", 365: "month"}
SOURCES: Final = tuple(CommissionSource.values)  # shop_sale, affiliate_commission, sponsorship, bonus
OPEN_PAYOUT_STATUSES: Final = (PayoutStatus.PENDING, PayoutStatus.TRANSFERRED)
TODO_LIST_LIMIT: Final = 5


def period_parse(raw: object) -> int:
    """A period of the chart from a query parameter; anything else is the first period."""
    try:
        days = int(str(raw))
    except (TypeError, ValueError):
        return PERIODS[0]
    return days if days in PERIODS else PERIODS[0]


# ---------------------------------------------------------------- earnings by source


@dataclass(frozen=True)
class EarningsBucket:
    start: date
    by_source: dict[str, Money]
    total: Money


@dataclass(frozen=True)
class EarningsSeries:
    """One currency's earnings over the period, bucket by bucket, split by source."""

    currency: str
    days: int
    bucket: str  # "day", "week" or "month"
    buckets: list[EarningsBucket]
    totals: dict[str, Money]  # per source, over the period
    total: Money

    @property
    def active_buckets(self) -> list[EarningsBucket]:
        """Buckets with an earning: the table alternative to the chart lists only these."""
        return [b for b in self.buckets if not b.total.is_zero()]


def _bucket_start(day: date, bucket: str) -> date:
    if bucket == "month":
        return day.replace(day=1)
    if bucket == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday, like TruncWeek
    return day


def _bucket_starts(start: date, end: date, bucket: str) -> list[date]:
    starts, current = [], _bucket_start(start, bucket)
    while current <= end:
        starts.append(current)
        if bucket == "month":
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            current += timedelta(days=7 if bucket == "week" else 1)
    return starts


# When money was earned: a sale (shop or affiliate) when its buyer paid, anything else (an escrow
# release, a bonus award) when it was posted. A settlement can run minutes after the payment,
# or days later for a payment caught up by settlements_catch_up(); the sale's day is what counts.
_EARNED_AT = Coalesce("origin__settled_payment__paid_at", "origin__created_at")


def earnings_by_source(*, party: str, days: int = 30, now: datetime | None = None) -> list[EarningsSeries]:
    """The party's net earnings (after commission, less refunds within the hold) per currency,
    source and bucket, over the last ``days`` days (30, 90 or 365; today included). One query."""
    days = days if days in PERIODS else PERIODS[0]
    bucket = BUCKETS[days]
    now = now or timezone.now()
    today = timezone.localdate(now)
    start = today - timedelta(days=days - 1)
    trunc = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}[bucket]
    rows = (
        Hold.objects.annotate(earned_at=_EARNED_AT)
        .filter(party=party, earned_at__date__gte=start)
        .annotate(bucket=TruncDate(trunc("earned_at")))
        .values("currency", "source", "bucket")
        .annotate(total=Sum(F("amount_minor") - F("refunded_minor")))
        .order_by("currency", "bucket", "source")
    )
    amounts: dict[str, dict[tuple[date, str], int]] = defaultdict(dict)
    for row in rows:
        amounts[row["currency"]][(row["bucket"], row["source"])] = row["total"] or 0
    starts = _bucket_starts(start, today, bucket)
    return [_series(currency, cells, starts, days, bucket) for currency, cells in sorted(amounts.items())]


def _series(
    currency: str, cells: dict[tuple[date, str], int], starts: list[date], days: int, bucket: str
) -> EarningsSeries:
    buckets = []
    for first in starts:
        by_source = {source: Money(cells.get((first, source), 0), currency) for source in SOURCES}
        buckets.append(
            EarningsBucket(first, by_source, Money(sum(m.amount_minor for m in by_source.values()), currency))
        )
    totals = {
        source: Money(sum(v for (_b, s), v in cells.items() if s == source), currency) for source in SOURCES
    }
    total = Money(sum(m.amount_minor for m in totals.values()), currency)
    return EarningsSeries(currency, days, bucket, buckets, totals, total)


# ---------------------------------------------------------------- balances and the next payout


@dataclass(frozen=True)
class Clearing:
    """Pending money that becomes available on ``on`` (the holds releasing that day, summed)."""

    on: date
    amount: Money


@dataclass(frozen=True)
class NextPayout:
    """What happens next with a currency's money.

    ``status``: ``in_transit`` (a payout is on its way, ``amount`` of it), ``scheduled`` (the next
    payout run at ``expected_at`` pays ``amount``), ``below_minimum`` (available is under the
    currency's payout minimum, ``minimum``), ``setup_needed`` (money is waiting for a payout
    account) or ``nothing`` (no money available yet; ``expected_at`` is when pending money first
    clears, if any).
    """

    status: str
    amount: Money
    expected_at: datetime | date | None = None
    minimum: Money | None = None


@dataclass(frozen=True)
class CurrencyBalance:
    currency: str
    pending: Money
    available: Money
    payable_out: Money
    paid_out: Money
    clearing: list[Clearing] = field(default_factory=list)
    next_payout: NextPayout | None = None


def _next_payout_run(now: datetime) -> datetime:
    """When the scheduled payout run (beat's ``payments-run-payouts``) next starts."""
    schedule = settings.CELERY_BEAT_SCHEDULE["payments-run-payouts"]["schedule"]
    hour, minute = min(schedule.hour), min(schedule.minute)
    at = now.astimezone(UTC)
    candidate = at.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return candidate if candidate > at else candidate + timedelta(days=1)


def balances_for_creator_home(
    *, party: str, connected: ConnectedAccount | None, now: datetime | None = None
) -> list[CurrencyBalance]:
    """Pending, available, being transferred and paid out per currency, the days pending money
    clears, and the next payout. Four queries whatever the number of currencies."""
    now = now or timezone.now()
    balances = balances_for_party(party=party)
    payouts = Payout.objects.filter(party=party).filter(
        Q(status=PayoutStatus.PAID) | Q(status__in=OPEN_PAYOUT_STATUSES)
    )
    paid: dict[str, int] = defaultdict(int)
    in_transit: dict[str, int] = defaultdict(int)
    for currency, status, amount in payouts.values_list("currency", "status", "amount_minor"):
        (paid if status == PayoutStatus.PAID else in_transit)[currency] += amount
    clearing: dict[str, list[Clearing]] = defaultdict(list)
    rows = (
        Hold.objects.filter(party=party, released_at__isnull=True, amount_minor__gt=F("refunded_minor"))
        .annotate(on=TruncDate("release_at"))
        .values("currency", "on")
        .annotate(total=Sum(F("amount_minor") - F("refunded_minor")))
        .order_by("currency", "on")
    )
    for row in rows:
        clearing[row["currency"]].append(Clearing(row["on"], Money(row["total"], row["currency"])))
    ready = connected is not None and connected.is_ready
    summaries = []
    for currency in sorted(set(balances) | set(paid) | set(in_transit) | set(clearing)):
        by_kind = balances.get(currency, {})
        zero = Money.zero(currency)
        summary = CurrencyBalance(
            currency=currency,
            pending=by_kind.get(AccountKind.PENDING, zero),
            available=by_kind.get(AccountKind.AVAILABLE, zero),
            payable_out=by_kind.get(AccountKind.PAYABLE_OUT, zero),
            paid_out=Money(paid.get(currency, 0), currency),
            clearing=clearing.get(currency, []),
        )
        next_payout = _next_payout(summary, in_transit.get(currency, 0), ready=ready, now=now)
        summaries.append(
            CurrencyBalance(**{**summary.__dict__, "next_payout": next_payout})  # frozen: rebuild
        )
    return summaries


def _next_payout(summary: CurrencyBalance, in_transit: int, *, ready: bool, now: datetime) -> NextPayout:
    currency = summary.currency
    if in_transit:
        return NextPayout("in_transit", Money(in_transit, currency))
    minimum = Money(settings.PAYOUT_MINIMUM_MINOR.get(currency, 0), currency)
    available = summary.available
    if available.is_positive() and not ready:
        return NextPayout("setup_needed", available)
    if available.is_positive() and available >= minimum:
        return NextPayout("scheduled", available, expected_at=_next_payout_run(now))
    if available.is_positive():
        return NextPayout("below_minimum", available, minimum=minimum)
    first = summary.clearing[0] if summary.clearing else None
    return NextPayout(
        "nothing", first.amount if first else Money.zero(currency), expected_at=first.on if first else None
    )


# ---------------------------------------------------------------- to-do list and checklist


@dataclass(frozen=True)
class TodoItem:
    """Something waiting for the creator. ``kind`` is stable (the API's key); ``label`` is for people."""

    kind: str
    label: str | Promise
    url: str
    count: int = 1
    due: date | None = None


@dataclass(frozen=True)
class ChecklistStep:
    key: str
    label: str | Promise
    url: str
    done: bool


@dataclass(frozen=True)
class Checklist:
    steps: list[ChecklistStep]

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def complete(self) -> bool:
        return all(step.done for step in self.steps)


def todo_list_for_creator(*, creator: CreatorProfile, connected: ConnectedAccount | None) -> list[TodoItem]:
    """Orders to fulfil, deliverables due, invitations and offers to answer, payout setup missing.

    Four queries. Imports are local: creators is the base app that the others build on.
    """
    from bonuses.enums import InvitationStatus
    from bonuses.models import Invitation
    from marketplace.enums import DealStatus, DeliverableStatus, OfferStatus, Side
    from marketplace.models import Deliverable, Offer
    from shops.enums import OrderStatus
    from shops.models import Order

    items: list[TodoItem] = []
    to_ship = Order.objects.filter(shop__creator=creator, status=OrderStatus.PAID).count()
    if to_ship:
        items.append(
            TodoItem(
                "orders_to_fulfil",
                _("Paid orders to fulfil"),
                reverse("shops:orders") + f"?status={OrderStatus.PAID}",
                count=to_ship,
            )
        )
    deliverables = (
        Deliverable.objects.filter(
            deal__creator=creator,
            deal__status=DealStatus.ACTIVE,
            status__in=[DeliverableStatus.PENDING, DeliverableStatus.REVISION_REQUESTED],
        )
        .select_related("deal__brand")
        .order_by("due_date", "id")[:TODO_LIST_LIMIT]
    )
    for deliverable in deliverables:
        label = (
            _("Revise a deliverable for %(brand)s")
            if deliverable.status == DeliverableStatus.REVISION_REQUESTED
            else _("Deliver content for %(brand)s")
        )
        items.append(
            TodoItem(
                "deliverable_due",
                label % {"brand": deliverable.deal.brand.name},
                reverse("marketplace:deal", kwargs={"deal_id": deliverable.deal_id}),
                due=deliverable.due_date,
            )
        )
    invitations = Invitation.objects.filter(creator=creator, status=InvitationStatus.INVITED).count()
    if invitations:
        items.append(
            TodoItem(
                "bonus_invitation", _("Bonus invitations to answer"), reverse("bonuses:home"), invitations
            )
        )
    offers = Offer.objects.filter(
        negotiation__creator=creator, side=Side.BRAND, status=OfferStatus.OPEN
    ).count()
    if offers:
        items.append(
            TodoItem(
                "brand_offer", _("Brand offers to answer"), reverse("marketplace:creator-dashboard"), offers
            )
        )
    if connected is None or not connected.is_ready:
        items.append(TodoItem("payout_setup", _("Set up payouts"), reverse("payments:earnings")))
    return items


def checklist_for_creator(*, creator: CreatorProfile, connected: ConnectedAccount | None) -> Checklist:
    """The first-run steps, computed from data: profile, professional account, payouts, first
    product or affiliate link. Two queries."""
    from affiliates.models import Membership
    from shops.models import Product

    has_product = Product.objects.filter(shop__creator=creator).exists()
    has_link = has_product or Membership.objects.filter(affiliate=creator).exists()
    return Checklist(
        [
            ChecklistStep(
                "profile",
                _("Complete your profile (a bio and a photo)"),
                reverse("creators:edit"),
                bool(creator.bio and creator.avatar),
            ),
            ChecklistStep(
                "professional",
                _("Switch to a professional account"),
                reverse("creators:dashboard") + "#go-professional",
                creator.is_professional,
            ),
            ChecklistStep(
                "payouts",
                _("Set up payouts"),
                reverse("payments:earnings"),
                connected is not None and connected.is_ready,
            ),
            ChecklistStep(
                "first_sale_channel",
                _("Add your first product or affiliate link"),
                reverse("shops:dashboard") if not has_link else reverse("affiliates:dashboard"),
                has_link,
            ),
        ]
    )


# ---------------------------------------------------------------- the whole home


@dataclass(frozen=True)
class CreatorHome:
    creator: CreatorProfile
    days: int
    earnings: list[EarningsSeries]
    balances: list[CurrencyBalance]
    todo: list[TodoItem]
    checklist: Checklist
    connected: ConnectedAccount | None


def creator_home_get(*, user: User, days: int = 30, now: datetime | None = None) -> CreatorHome | None:
    """Everything the creator home shows, for the signed-in ``user``'s own creator profile;
    None when the user is not a creator (the page then invites them to become one)."""
    creator = CreatorProfile.objects.filter(user=user).first() if user.is_authenticated else None
    if creator is None:
        return None
    party = party_for_user(user)
    connected = ConnectedAccount.objects.filter(party=party).first()
    return CreatorHome(
        creator=creator,
        days=days if days in PERIODS else PERIODS[0],
        earnings=earnings_by_source(party=party, days=days, now=now),
        balances=balances_for_creator_home(party=party, connected=connected, now=now),
        todo=todo_list_for_creator(creator=creator, connected=connected),
        checklist=checklist_for_creator(creator=creator, connected=connected),
        connected=connected,
    )
