"""Attribution: which affiliate, if any, earns a commission on an order, and how much.

The web keeps the last clicks in a signed first-party cookie (``aff_clicks``: up to
AFFILIATE_COOKIE_CLICKS pairs of (code, clicked_at epoch), django.core.signing with its own
salt; a tampered cookie is ignored). Mobile apps keep the ``X-Click-Token`` the redirect
returns (a signed (code, clicked_at)) and send it, or a link code, with the order.

Rules, applied by order_attribute() while the order is created:

1. An affiliate's personal discount code used on the order wins over any click.
2. Otherwise the most recent click whose offer belongs to this shop, is active, and whose
   window (the offer's ``window_days``) still contains the click, wins.
3. Only lines of products covered by the winning membership's offer earn: each line earns
   ``portion(line.total, rate)`` (rounded half up, common.money).
4. Self-referral (the buyer is the affiliate, or orders with the affiliate's email) earns
   nothing and is recorded as a FraudSignal.

Known fraud signals at that moment (a click flood from the link, many orders from one email,
a conversion rate far above the offer's norm) put the commission on hold for staff review: its
split is created with a ten-year hold that staff approve (back to the normal date) or reject.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.db.models import Case, F, Sum, Value, When
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from affiliates.enums import CommissionStatus, FraudKind, MembershipStatus, OfferStatus
from affiliates.models import ClickDaily, Commission, FraudSignal, Membership
from common.money import Money, portion
from payments.enums import CommissionSource
from payments.models import party_for_user

if TYPE_CHECKING:
    from creators.models import User
    from shops.models import Order, OrderLine

logger = logging.getLogger(__name__)

COOKIE_NAME = "aff_clicks"
COOKIE_SALT = "affiliates.cookie"
TOKEN_SALT = "affiliates.click-token"  # noqa: S105 - a signing salt, not a secret
COOKIE_MAX_AGE = 90 * 24 * 3600
REVIEW_HOLD_DAYS = 3650  # "until staff decide": payments.settlement's maximum hold

Click = tuple[str, int]  # (link code, clicked_at epoch seconds)


@dataclass(frozen=True)
class Referral:
    """What a checkout knows about how the buyer arrived.

    ``clicks`` come from the web cookie; ``click_token`` from a mobile app; ``code`` is a link
    code an app passes (counted as a click at the time of the order).
    """

    clicks: list[Click] = field(default_factory=list)
    code: str = ""
    click_token: str = ""


# ---------------------------------------------------------------- cookie and token


# The signed values are plain text, "CODE.EPOCH" pairs joined by "-" (codes are alphanumeric):
# cheaper on the redirect's hot path than JSON + zlib + base64, and cookie-safe as they are.
_signers: dict[str, signing.Signer] = {}


def _signer(salt: str) -> signing.Signer:
    if salt not in _signers:  # one per salt: the key derivation is done once per process
        _signers[salt] = signing.Signer(salt=salt)
    return _signers[salt]


def _clicks_parse(text: str) -> list[Click]:
    clicks = []
    for pair in text.split("-"):
        code, _dot, at = pair.partition(".")
        if code.isalnum() and at.isdigit():
            clicks.append((code, int(at)))
    return clicks


def clicks_from_cookie(value: str | None) -> list[Click]:
    """The clicks a cookie holds; [] when it is missing or tampered with."""
    if not value:
        return []
    try:
        return _clicks_parse(_signer(COOKIE_SALT).unsign(value))
    except signing.BadSignature:
        return []


def cookie_add_click(request: HttpRequest, response: HttpResponse, code: str, clicked_at: int) -> None:
    """Append a click to the visitor's cookie, keeping the most recent ones (90 days, HttpOnly, Lax).

    Clicks older than 90 days are dropped: no offer's window is longer.
    """
    clicks = clicks_from_cookie(request.COOKIES.get(COOKIE_NAME))
    clicks.append((code, clicked_at))
    clicks = [c for c in clicks if c[1] > clicked_at - COOKIE_MAX_AGE][-settings.AFFILIATE_COOKIE_CLICKS :]
    response.set_cookie(
        COOKIE_NAME,
        _signer(COOKIE_SALT).sign("-".join(f"{c}.{at}" for c, at in clicks)),
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def click_token_make(code: str, clicked_at: int) -> str:
    """The ``X-Click-Token`` a mobile app keeps: a signed "CODE.EPOCH"."""
    return _signer(TOKEN_SALT).sign(f"{code}.{clicked_at}")


def click_from_token(token: str) -> Click | None:
    """The click a token names, or None when forged; its age is checked by the offer's window."""
    try:
        clicks = _clicks_parse(_signer(TOKEN_SALT).unsign(token))
    except signing.BadSignature:
        return None
    return clicks[0] if len(clicks) == 1 else None


def referral_from_request(request: HttpRequest) -> Referral:
    """The web checkout's referral: the clicks in the attribution cookie."""
    return Referral(clicks=clicks_from_cookie(request.COOKIES.get(COOKIE_NAME)))


def referral_from_api(*, click_token: object = "", code: object = "") -> Referral:
    """The mobile checkout's referral: the ``X-Click-Token`` the app kept, or a link code it passes.

    Anything that is not a short string is ignored (a bad referral earns nothing, it never fails
    an order).
    """
    token = click_token if isinstance(click_token, str) and len(click_token) <= 200 else ""
    link = code if isinstance(code, str) and len(code) <= 16 else ""
    return Referral(click_token=token, code=link)


# ---------------------------------------------------------------- attributing an order


def order_attribute(
    *,
    order: "Order",
    lines: "list[OrderLine]",
    referral: Referral | None,
    buyer: "User | None",
    email: str,
    now: datetime | None = None,
) -> Commission | None:
    """Create the order's Commission when an affiliate earns on it (rules in the module docstring).

    Called by shops.orders.order_create inside its transaction, after the lines exist and before
    the Payment (whose splits read the commission). Never raises for a bad referral: an
    unknown, revoked, expired or tampered one simply earns nothing.
    """
    now = now or timezone.now()
    winner = _winner(order, referral, now)
    if winner is None:
        return None
    membership, via, clicked_at = winner
    affiliate_user = membership.affiliate.user
    if (
        buyer is not None and buyer.pk == affiliate_user.pk
    ) or email.strip().lower() == affiliate_user.email.lower():
        FraudSignal.objects.create(
            kind=FraudKind.SELF_REFERRAL, membership=membership, order=order, detail="buyer is the affiliate"
        )
        logger.info("self-referral on order %s by membership %s: no commission", order.pk, membership.pk)
        return None
    offer = membership.offer
    covered = [line for line in lines if offer.product_id is None or line.product_id == offer.product_id]
    amount = sum(
        (portion(Money(line.total_minor, order.currency), offer.rate_bps) for line in covered),
        Money.zero(order.currency),
    )
    if not amount.is_positive() or party_for_user(affiliate_user) == order.shop.owner_party:
        return None
    reasons = _fraud_reasons(order, membership, email, now)
    return Commission.objects.create(
        order=order,
        membership=membership,
        rate_bps=offer.rate_bps,
        window_days=offer.window_days,
        via=via,
        clicked_at=clicked_at,
        eligible_minor=sum(line.total_minor for line in covered),
        amount_minor=amount.amount_minor,
        currency=order.currency,
        status=CommissionStatus.ON_HOLD if reasons else CommissionStatus.PENDING_PAYMENT,
        review_reason="; ".join(reasons)[:300],
    )


def _winner(
    order: "Order", referral: Referral | None, now: datetime
) -> tuple[Membership, str, datetime | None] | None:
    if order.discount_code_id is not None:
        membership = _active(
            Membership.objects.filter(discount_code_id=order.discount_code_id), order
        ).first()
        if membership is not None:
            return membership, "code", None
    if referral is None:
        return None
    clicks: list[tuple[Click, str]] = [(click, "click") for click in referral.clicks]
    if referral.click_token and (click := click_from_token(referral.click_token)) is not None:
        clicks.append((click, "token"))
    if referral.code:
        clicks.append(((referral.code.strip().upper()[:16], int(now.timestamp())), "code"))
    if not clicks:
        return None
    memberships = {
        m.code: m
        for m in _active(Membership.objects.filter(code__in={code for (code, _t), _v in clicks}), order)
    }
    for (code, at), via in sorted(clicks, key=lambda item: item[0][1], reverse=True):
        membership = memberships.get(code)
        if membership is None:
            continue
        clicked_at = datetime.fromtimestamp(at, tz=UTC)
        # Inside the window: at most window_days before the order, never in the future.
        if timedelta(0) <= now - clicked_at <= timedelta(days=membership.offer.window_days):
            return membership, via, clicked_at
    return None


def _active(queryset: Any, order: "Order") -> Any:
    return queryset.filter(
        status=MembershipStatus.ACTIVE, offer__status=OfferStatus.ACTIVE, offer__shop_id=order.shop_id
    ).select_related("offer", "affiliate__user")


def _fraud_reasons(order: "Order", membership: Membership, email: str, now: datetime) -> list[str]:
    """Why this commission should wait for staff, if anything looks wrong (each also a FraudSignal)."""
    reasons = []
    since = now - timedelta(days=settings.AFFILIATE_FRAUD_LOOKBACK_DAYS)
    if FraudSignal.objects.filter(
        membership=membership, kind=FraudKind.CLICK_FLOOD, created_at__gte=since
    ).exists():
        reasons.append("click flood from one address on this link")
    same_email = Commission.objects.filter(
        membership=membership, order__email__iexact=email, created_at__gte=since
    ).count()
    if same_email + 1 >= settings.AFFILIATE_FRAUD_ORDERS_PER_EMAIL:
        reasons.append(f"{same_email + 1} orders from one email through this link")
        FraudSignal.objects.create(
            kind=FraudKind.REPEAT_BUYER, membership=membership, order=order, detail=email[:200]
        )
    elif order.shipping_address:
        same_address = Commission.objects.filter(
            membership=membership, order__shipping_address=order.shipping_address, created_at__gte=since
        ).count()
        if same_address + 1 >= settings.AFFILIATE_FRAUD_ORDERS_PER_EMAIL:
            reasons.append(f"{same_address + 1} orders to one address through this link")
            FraudSignal.objects.create(
                kind=FraudKind.REPEAT_BUYER,
                membership=membership,
                order=order,
                detail="same shipping address",
            )
    orders = Commission.objects.filter(membership=membership).count() + 1
    if orders >= settings.AFFILIATE_FRAUD_MIN_ORDERS:
        clicks = ClickDaily.objects.filter(membership=membership).aggregate(n=Sum("unique_clicks"))["n"] or 0
        rate = orders / max(clicks, 1)
        if rate > settings.AFFILIATE_FRAUD_CONVERSION_MAX:
            reasons.append(f"conversion {rate:.0%} far above the norm")
            FraudSignal.objects.create(
                kind=FraudKind.CONVERSION,
                membership=membership,
                order=order,
                detail=f"{orders} orders / {clicks} clicks",
            )
    return reasons


# ---------------------------------------------------------------- hooks called by shops.orders


def order_affiliate_split(order: "Order", commission: Commission | None) -> dict[str, Any] | None:
    """The affiliate's split of an order's payment (payments.settlement format), or None.

    ``commission`` is what order_attribute() returned for the order: passed on rather than read
    back, a checkout's query fewer."""
    if commission is None:
        return None
    on_hold = commission.status == CommissionStatus.ON_HOLD
    return {
        "party": party_for_user(commission.membership.affiliate.user),
        "amount_minor": commission.amount_minor,
        "source": CommissionSource.AFFILIATE_COMMISSION.value,
        "hold_days": REVIEW_HOLD_DAYS if on_hold else order.shop.refund_window_days,
    }


def order_paid(order: "Order", now: datetime) -> None:
    """The order's money is in: its commission is earned (a held one stays on hold), in one UPDATE."""
    Commission.objects.filter(
        order=order, status__in=(CommissionStatus.PENDING_PAYMENT, CommissionStatus.ON_HOLD)
    ).update(
        status=Case(
            When(status=CommissionStatus.PENDING_PAYMENT, then=Value(CommissionStatus.EARNED.value)),
            default=F("status"),
        ),
        earned_at=now,
        updated_at=now,
    )


def order_refunded(order: "Order") -> None:
    """A refund of ``order`` (its refunded_minor already updated): follow the commission's share.

    The ledger side is already done by payments' proportional refund reversal; this keeps the
    Commission's gross refunded share (amount x refunded / total, rounded down) for display.
    A rejected commission's money already went to the seller, so what the reversal took from
    the affiliate is given back to them by the seller (_rejected_refund_return).
    """
    commission = Commission.objects.select_for_update().filter(order=order).first()
    if commission is None or order.total_minor <= 0:
        return
    if commission.status == CommissionStatus.REJECTED:
        _rejected_refund_return(order, commission)
    commission.refunded_minor = commission.amount_minor * order.refunded_minor // order.total_minor
    fields = ["refunded_minor", "updated_at"]
    if order.refunded_minor >= order.total_minor and commission.status != CommissionStatus.REJECTED:
        commission.status = CommissionStatus.REVERSED
        fields.append("status")
    commission.save(update_fields=fields)


def _rejected_refund_return(order: "Order", commission: Commission) -> None:
    """The seller repays the affiliate what the latest refund took from a rejected commission.

    One balanced posting, ``refund:<pk>:affiliate-rejected``: the affiliate's available account
    gets back exactly what the refund's ledger transaction took from them; the seller's available
    account pays it (and may go negative until the seller's forfeited share is released).
    """
    from payments.enums import AccountKind, TransactionKind
    from payments.ledger import EntrySpec, account_get_or_create, ledger_post
    from payments.models import LedgerEntry, Refund

    if order.payment_id is None:
        return
    refund = Refund.objects.filter(payment_id=order.payment_id).order_by("-pk").first()
    if refund is None or refund.ledger_transaction_id is None:
        return
    party = party_for_user(commission.membership.affiliate.user)
    taken = -sum(
        LedgerEntry.objects.filter(
            transaction_id=refund.ledger_transaction_id, account__party=party
        ).values_list("amount_minor", flat=True)
    )
    if taken <= 0:
        return
    amount = Money(taken, order.currency)
    seller = account_get_or_create(
        party=order.shop.owner_party, kind=AccountKind.AVAILABLE, currency=order.currency
    )
    ledger_post(
        reference=f"refund:{refund.pk}:affiliate-rejected",
        entries=[
            EntrySpec(seller, -amount),
            EntrySpec(
                account_get_or_create(party=party, kind=AccountKind.AVAILABLE, currency=order.currency),
                amount,
            ),
        ],
        kind=TransactionKind.ADJUSTMENT,
        description=f"Refund {refund.pk}: a rejected commission's share is the seller's to give back",
        metadata={"refund_id": refund.pk, "commission_id": commission.pk},
        allow_negative=[seller],
    )
