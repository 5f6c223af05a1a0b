"""Reads of the affiliate marketplace, permission-aware: objects outside the caller's reach are NotFound."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from affiliates.enums import CommissionStatus, MembershipStatus, OfferStatus
from affiliates.models import ClickDaily, Commission, Membership, Offer
from common.errors import NotFoundError
from creators.models import CreatorProfile, User
from shops.models import Shop
from shops.selectors import shop_get_for_owner

OFFER_SORTS = {
    "newest": ("-created_at", "-id"),
    "rate": ("-rate_bps", "-id"),
    "conversion": ("-conversion_x10000", "-id"),
    "epc": ("-epc_minor", "-id"),
}


def offer_list_marketplace(
    *,
    q: str = "",
    category: str = "",
    country: str = "",
    currency: str = "",
    min_rate_bps: int | None = None,
    sort: str = "newest",
) -> QuerySet[Offer]:
    """Active offers of open shops, with measured performance: unique clicks, orders, conversion, EPC.

    ``category`` is a product type (physical, digital) or a shop owner's niche. Conversion is
    orders per unique click (×10000, basis points); EPC is commission earned per 100 clicks.
    """
    offers = Offer.objects.filter(status=OfferStatus.ACTIVE, shop__status="open").select_related(
        "shop", "product", "shop__creator"
    )
    click_rows = (
        ClickDaily.objects.filter(membership__offer=OuterRef("pk"))
        .order_by()
        .values("membership__offer")
        .annotate(total=Sum("unique_clicks"))
        .values("total")
    )
    order_rows = (
        Commission.objects.filter(membership__offer=OuterRef("pk"))
        .exclude(status__in=[CommissionStatus.PENDING_PAYMENT, CommissionStatus.REVERSED])
        .order_by()
        .values("membership__offer")
    )
    offers = offers.annotate(
        clicks=Coalesce(Subquery(click_rows, output_field=IntegerField()), Value(0)),
        orders=Coalesce(
            Subquery(order_rows.annotate(n=Count("id")).values("n"), output_field=IntegerField()), Value(0)
        ),
        earned_minor=Coalesce(
            Subquery(order_rows.annotate(s=Sum("amount_minor")).values("s"), output_field=IntegerField()),
            Value(0),
        ),
    )
    offers = offers.annotate(
        conversion_x10000=Case(
            When(clicks__gt=0, then=F("orders") * 10000 / F("clicks")),
            default=Value(0),
            output_field=IntegerField(),
        ),
        epc_minor=Case(
            When(clicks__gt=0, then=F("earned_minor") * 100 / F("clicks")),
            default=Value(0),
            output_field=IntegerField(),
        ),
    )
    if q:
        offers = offers.filter(
            Q(shop__name__icontains=q) | Q(product__title__icontains=q) | Q(description__icontains=q)
        )
    if category:
        offers = offers.filter(
            Q(product__type=category) | Q(shop__creator__niches__has_item=category.lower())
        )
    if country:
        offers = offers.filter(shop__country=country.upper())
    if currency:
        offers = offers.filter(shop__currency=currency.upper())
    if min_rate_bps is not None:
        offers = offers.filter(rate_bps__gte=min_rate_bps)
    return offers.order_by(*OFFER_SORTS.get(sort, OFFER_SORTS["newest"]))


def offer_get_joinable(*, offer_id: int) -> Offer:
    offer = (
        Offer.objects.select_related("shop", "product").filter(pk=offer_id, status=OfferStatus.ACTIVE).first()
    )
    if offer is None:
        raise NotFoundError(_("No such offer."))
    return offer


def seller_shop(*, user: User) -> Shop:
    """The shop the user runs (their own, or their brand's): the seller side of affiliates."""
    shop = shop_get_for_owner(user=user)
    if shop is None:
        raise NotFoundError(_("You have no shop."))
    return shop


def offer_list_for_seller(*, shop: Shop) -> QuerySet[Offer]:
    return (
        Offer.objects.filter(shop=shop)
        .select_related("product")
        .annotate(
            members=Count("memberships", filter=Q(memberships__status=MembershipStatus.ACTIVE)),
            requests=Count("memberships", filter=Q(memberships__status=MembershipStatus.REQUESTED)),
        )
        .order_by("-created_at", "-id")
    )


def offer_get_for_seller(*, shop: Shop, offer_id: int) -> Offer:
    offer = Offer.objects.select_related("shop", "product").filter(pk=offer_id, shop=shop).first()
    if offer is None:
        raise NotFoundError(_("No such offer."))
    return offer


def membership_list_for_seller(*, shop: Shop) -> QuerySet[Membership]:
    clicks = (
        ClickDaily.objects.filter(membership=OuterRef("pk"))
        .order_by()
        .values("membership")
        .annotate(total=Sum("raw"))
        .values("total")
    )
    return (
        Membership.objects.filter(offer__shop=shop)
        .select_related("offer__product", "affiliate")
        .annotate(raw_clicks=Coalesce(Subquery(clicks, output_field=IntegerField()), Value(0)))
        .order_by("status", "-created_at")
    )


def membership_get_for_seller(*, shop: Shop, membership_id: int) -> Membership:
    membership = (
        Membership.objects.select_related("offer__shop", "affiliate")
        .filter(pk=membership_id, offer__shop=shop)
        .first()
    )
    if membership is None:
        raise NotFoundError(_("No such affiliate."))
    return membership


def membership_get_for_affiliate(*, affiliate: CreatorProfile | None, membership_id: int) -> Membership:
    membership = (
        Membership.objects.select_related("offer__shop", "affiliate__user")
        .filter(pk=membership_id, affiliate=affiliate)
        .first()
        if affiliate is not None
        else None
    )
    if membership is None:
        raise NotFoundError(_("No such membership."))
    return membership


def commission_display_status(commission: Commission) -> str:
    """What the affiliate sees: an earned commission whose hold was released is available."""
    if commission.status == CommissionStatus.EARNED and getattr(commission, "released", False):
        return CommissionStatus.AVAILABLE
    return commission.status


@dataclass
class LinkStats:
    membership: Membership
    raw: int = 0
    unique: int = 0
    orders: int = 0
    earned_minor: int = 0

    @property
    def conversion(self) -> float:
        return self.orders / self.unique if self.unique else 0.0

    @property
    def epc_minor(self) -> int:
        """Earnings per 100 (unique) clicks, in minor units."""
        return self.earned_minor * 100 // self.unique if self.unique else 0


@dataclass
class AffiliateOverview:
    links: list[LinkStats]
    totals: dict[str, dict[str, int]] = field(default_factory=dict)  # currency → status → minor
    days: list[tuple[date, int, int]] = field(default_factory=list)  # day, raw, unique
    commissions: list[Commission] = field(default_factory=list)
    # Commissions by the day they were earned, in the affiliate's main currency: day → status → minor.
    commission_currency: str = ""
    commission_days: list[tuple[date, dict[str, int]]] = field(default_factory=list)


def affiliate_overview(*, affiliate: CreatorProfile, days: int = 30) -> AffiliateOverview:
    """The creator dashboard's figures: links with clicks, orders, conversion, EPC; commissions by status."""
    memberships = list(
        Membership.objects.filter(affiliate=affiliate)
        .exclude(status__in=[MembershipStatus.DECLINED])
        .select_related("offer__shop", "offer__product", "discount_code")
    )
    stats = {m.pk: LinkStats(m) for m in memberships}
    for row in (
        ClickDaily.objects.filter(membership__in=stats)
        .values("membership")
        .annotate(r=Sum("raw"), u=Sum("unique_clicks"))
    ):
        stats[row["membership"]].raw, stats[row["membership"]].unique = row["r"], row["u"]
    commissions = list(
        Commission.objects.filter(membership__affiliate=affiliate)
        .exclude(status=CommissionStatus.PENDING_PAYMENT)
        .select_related("order", "order__payment", "membership__offer__shop")
        .order_by("-created_at")
    )
    _released_mark(commissions, affiliate)
    totals: dict[str, dict[str, int]] = {}
    for commission in commissions:
        link = stats.get(commission.membership_id)
        if link is not None and commission.status != CommissionStatus.REVERSED:
            link.orders += 1
            link.earned_minor += commission.amount_minor - commission.refunded_minor
        status = commission_display_status(commission)
        bucket = totals.setdefault(commission.currency, {})
        bucket[status] = bucket.get(status, 0) + commission.amount_minor - commission.refunded_minor
    since = timezone.now().date() - timedelta(days=days - 1)
    by_day = {
        row["day"]: (row["r"], row["u"])
        for row in ClickDaily.objects.filter(membership__affiliate=affiliate, day__gte=since)
        .values("day")
        .annotate(r=Sum("raw"), u=Sum("unique_clicks"))
    }
    series = [
        (since + timedelta(days=i), *by_day.get(since + timedelta(days=i), (0, 0))) for i in range(days)
    ]
    currency, commission_days = _commissions_by_day(commissions, totals, since=since, days=days)
    return AffiliateOverview(
        links=list(stats.values()),
        totals=totals,
        days=series,
        commissions=commissions,
        commission_currency=currency,
        commission_days=commission_days,
    )


def _commissions_by_day(
    commissions: list[Commission], totals: dict[str, dict[str, int]], *, since: date, days: int
) -> tuple[str, list[tuple[date, dict[str, int]]]]:
    """Net commissions per day and status (pending, available, on hold…) in the currency the
    affiliate earns most in; days without commissions are zeros, so the chart has a gap."""
    if not totals:
        return "", []
    currency = max(totals, key=lambda code: sum(totals[code].values()))
    by_day: dict[date, dict[str, int]] = {}
    for commission in commissions:
        day = timezone.localdate(commission.created_at)
        if commission.currency != currency or day < since:
            continue
        bucket = by_day.setdefault(day, {})
        status = commission_display_status(commission)
        bucket[status] = bucket.get(status, 0) + commission.amount_minor - commission.refunded_minor
    return currency, [
        (since + timedelta(days=i), by_day.get(since + timedelta(days=i), {})) for i in range(days)
    ]


def _released_mark(commissions: list[Commission], affiliate: CreatorProfile) -> None:
    from payments.models import Hold

    party = f"user:{affiliate.user_id}"
    origins = [
        c.order.payment.settlement_id
        for c in commissions
        if c.order.payment and c.order.payment.settlement_id
    ]
    released = set(
        Hold.objects.filter(origin_id__in=origins, party=party, released_at__isnull=False).values_list(
            "origin_id", flat=True
        )
    )
    for commission in commissions:
        payment = commission.order.payment
        commission.released = bool(payment and payment.settlement_id in released)  # type: ignore[attr-defined]


def commission_list_for_seller(*, shop: Shop) -> QuerySet[Commission]:
    """Sales through affiliates and what they are owed."""
    return (
        Commission.objects.filter(order__shop=shop)
        .exclude(status=CommissionStatus.PENDING_PAYMENT)
        .select_related("order", "membership__affiliate")
        .order_by("-created_at")
    )
