"""The brand home (``/marketplace/brands/<id>/`` and ``GET /api/v1/marketplace/brands/<id>/home/``):
spend by campaign and by creator, deals needing the brand's action, affiliate sales of the
brand's shop, and the brand's first-run checklist.

Reads only, aggregated in SQL, a fixed number of queries whatever the amount of data. Callers
pass a brand already resolved with ``selectors.brand_get_for_member`` (members only; anyone else
gets 404), so a brand member only ever sees their own brand's figures.

Spend is what the brand committed to deals it funded (``amount_minor``), what was released to
creators from escrow (``released_minor``) and what came back to the brand (``refunded_minor``),
per currency: the deal rows carry these sums, kept by the escrow services.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from common.money import Money
from creators.home import Checklist, ChecklistStep
from marketplace.enums import DealStatus, DeliverableStatus, OfferStatus, Side
from marketplace.models import Brand, Campaign, Deal, Deliverable, Offer

SPEND_ROWS: Final = 20
ACTION_ROWS: Final = 20
AFFILIATE_DAYS: Final = 30


@dataclass(frozen=True)
class SpendRow:
    """One campaign's or one creator's deals in one currency."""

    key: int | None  # campaign id (None: deals outside a campaign) or creator id
    name: str
    currency: str
    deals: int
    committed: Money
    released: Money
    refunded: Money


@dataclass(frozen=True)
class DealAction:
    """Something a deal or negotiation waits on the brand for. ``kind`` is stable (the API's key)."""

    kind: str  # fund_deal, review_deliverable, answer_offer, dispute_open
    label: str | Promise
    url: str
    creator_handle: str
    amount: Money | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class AffiliateSales:
    """Sales through affiliates of the brand's shop(s), in one currency, over the last days."""

    currency: str
    orders: int
    sales: Money  # what the commission was computed on (eligible amount)
    commissions: Money  # owed to the affiliates


@dataclass(frozen=True)
class BrandHome:
    brand: Brand
    spend_total: list[SpendRow]
    spend_by_campaign: list[SpendRow]
    spend_by_creator: list[SpendRow]
    actions: list[DealAction]
    affiliate_sales: list[AffiliateSales]
    affiliate_days: int
    checklist: Checklist


def _spend_rows(deals, key: str, name: str) -> list[SpendRow]:
    rows = (
        deals.values(key, name, "currency")
        .annotate(
            count=Count("id"),
            committed=Sum("amount_minor"),
            released=Sum("released_minor"),
            refunded=Sum("refunded_minor"),
        )
        .order_by("-committed", "currency", key)[:SPEND_ROWS]
    )
    return [
        SpendRow(
            key=row[key],
            name=row[name] or "",
            currency=row["currency"],
            deals=row["count"],
            committed=Money(row["committed"] or 0, row["currency"]),
            released=Money(row["released"] or 0, row["currency"]),
            refunded=Money(row["refunded"] or 0, row["currency"]),
        )
        for row in rows
    ]


def brand_spend(*, brand: Brand) -> tuple[list[SpendRow], list[SpendRow], list[SpendRow]]:
    """Funded deals' spend per currency, per campaign and per creator (three grouped queries)."""
    funded = Deal.objects.filter(brand=brand, funded_at__isnull=False).order_by()
    totals = _spend_rows(funded, "brand_id", "brand__name")  # one row per currency
    by_campaign = _spend_rows(funded, "campaign_id", "campaign__title")
    by_creator = _spend_rows(funded, "creator_id", "creator__handle")
    return totals, by_campaign, by_creator


def brand_deal_actions(*, brand: Brand) -> list[DealAction]:
    """Deals to fund, deliverables to review, creators' offers to answer and open disputes. Three queries."""
    actions: list[DealAction] = []
    deals = (
        Deal.objects.filter(brand=brand, status__in=[DealStatus.AWAITING_FUNDING, DealStatus.DISPUTED])
        .select_related("creator")
        .order_by("created_at", "id")[:ACTION_ROWS]
    )
    for deal in deals:
        funding = deal.status == DealStatus.AWAITING_FUNDING
        actions.append(
            DealAction(
                "fund_deal" if funding else "dispute_open",
                _("Fund the deal with @%(handle)s") if funding else _("Dispute with @%(handle)s"),
                reverse("marketplace:deal", kwargs={"deal_id": deal.pk}),
                deal.creator.handle,
                Money(deal.amount_minor, deal.currency),
                deal.created_at,
            )
        )
    submitted = (
        Deliverable.objects.filter(deal__brand=brand, status=DeliverableStatus.SUBMITTED)
        .select_related("deal__creator")
        .order_by("submitted_at", "id")[:ACTION_ROWS]
    )
    for deliverable in submitted:
        actions.append(
            DealAction(
                "review_deliverable",
                _("Review content from @%(handle)s"),
                reverse("marketplace:deal", kwargs={"deal_id": deliverable.deal_id}),
                deliverable.deal.creator.handle,
                since=deliverable.submitted_at,
            )
        )
    offers = (
        Offer.objects.filter(negotiation__brand=brand, side=Side.CREATOR, status=OfferStatus.OPEN)
        .select_related("negotiation__creator")
        .order_by("created_at", "id")[:ACTION_ROWS]
    )
    for offer in offers:
        actions.append(
            DealAction(
                "answer_offer",
                _("Answer @%(handle)s's offer"),
                reverse("marketplace:negotiation", kwargs={"negotiation_id": offer.negotiation_id}),
                offer.negotiation.creator.handle,
                Money(offer.amount_minor, offer.currency),
                offer.created_at,
            )
        )
    return [
        DealAction(a.kind, a.label % {"handle": a.creator_handle}, a.url, a.creator_handle, a.amount, a.since)
        for a in actions
    ]


def brand_affiliate_sales(*, brand: Brand, days: int = AFFILIATE_DAYS) -> list[AffiliateSales]:
    """Orders of the brand's shop(s) that affiliates brought in over the last ``days``, per
    currency; rejected and reversed commissions are not sales. One query."""
    from affiliates.enums import CommissionStatus
    from affiliates.models import Commission

    since = timezone.now() - timedelta(days=days)
    rows = (
        Commission.objects.filter(order__shop__brand=brand, created_at__gte=since)
        .exclude(
            status__in=[
                CommissionStatus.PENDING_PAYMENT,
                CommissionStatus.REJECTED,
                CommissionStatus.REVERSED,
            ]
        )
        .values("currency")
        .annotate(orders=Count("id"), sales=Sum("eligible_minor"), commissions=Sum("amount_minor"))
        .order_by("currency")
    )
    return [
        AffiliateSales(
            currency=row["currency"],
            orders=row["orders"],
            sales=Money(row["sales"] or 0, row["currency"]),
            commissions=Money(row["commissions"] or 0, row["currency"]),
        )
        for row in rows
    ]


def checklist_for_brand(*, brand: Brand) -> Checklist:
    """Profile (a logo, a website and an industry) and a first campaign. One query."""
    has_campaign = Campaign.objects.filter(brand=brand).exists()
    return Checklist(
        [
            ChecklistStep(
                "profile",
                _("Complete the brand profile (logo, website, industry)"),
                reverse("marketplace:brand-dashboard", kwargs={"brand_id": brand.pk}) + "#members",
                bool(brand.logo and brand.website and brand.industry),
            ),
            ChecklistStep(
                "first_campaign",
                _("Create your first campaign"),
                reverse("marketplace:campaign-new", kwargs={"brand_id": brand.pk}),
                has_campaign,
            ),
        ]
    )


def brand_home_get(*, brand: Brand) -> BrandHome:
    """Everything the brand home shows. Precondition: the caller checked brand membership."""
    totals, by_campaign, by_creator = brand_spend(brand=brand)
    return BrandHome(
        brand=brand,
        spend_total=totals,
        spend_by_campaign=by_campaign,
        spend_by_creator=by_creator,
        actions=brand_deal_actions(brand=brand),
        affiliate_sales=brand_affiliate_sales(brand=brand),
        affiliate_days=AFFILIATE_DAYS,
        checklist=checklist_for_brand(brand=brand),
    )
