"""Orders: checkout, stock reservation, payment, fulfilment, refunds and digital downloads.

Lifecycle (every change is an OrderEvent with who and when):

    pending_payment ──paid──> paid ──ship──> shipped ──> delivered ──> completed
          │                    └── (digital only: delivered at once, the link is the delivery)
          └──expired / cancelled──> cancelled          any paid state ──refund all──> refunded

- Creating an order reserves its stock at once (a conditional UPDATE per variant, in variant id
  order, so concurrent buyers never oversell and never deadlock) and counts a use of its
  discount code; both come back if payment does not complete within
  ``settings.SHOP_RESERVATION_MINUTES`` (orders_release_expired, a periodic task).
- The order's Payment (``order:<id>``, source shop_sale) carries the splits; payments' webhook
  handling marks it paid and calls order_payment_succeeded (payments.payment_hooks), in the
  same transaction, and the ``payments.settle_payment`` task settles the sale into the ledger:
  the seller's share to ``pending`` for the shop's refund window, commission to revenue.
- A payment that arrives after its order expired still counts: the stock is taken again if it
  is there, otherwise the buyer is refunded in full at once and told why.
- Refunds go through payments.charges.refund_request (ledger reversal now, Stripe in a task).
"""

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from affiliates.attribution import Referral, order_affiliate_split, order_attribute
from affiliates.attribution import order_paid as affiliate_order_paid
from affiliates.attribution import order_refunded as affiliate_order_refunded
from affiliates.models import Commission
from common.errors import ApplicationError, NotFoundError
from common.money import Money, charge_amount_validate, portion, split_by_weights, sum_money
from payments.charges import payment_create, payment_start_checkout, payment_start_intent, refund_request
from payments.enums import CommissionSource
from payments.models import Payment, Refund
from shops import tasks
from shops.enums import (
    PAID_STATUSES,
    DiscountKind,
    OrderEventKind,
    OrderStatus,
    ProductStatus,
    ProductType,
    ShippingCarrier,
    ShopStatus,
)
from shops.models import (
    DigitalAsset,
    DiscountCode,
    DownloadGrant,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    ProductVariant,
    Shop,
)

if TYPE_CHECKING:
    from creators.models import User

logger = logging.getLogger(__name__)

NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: numbers are read aloud to support
ADDRESS_REQUIRED = ("name", "line1", "city", "postal_code", "country")
ADDRESS_OPTIONAL = ("line2", "region")
ADDRESS_MAX = 120
DOWNLOAD_SALT = "shops.download"
MAX_ORDER_LINES = 50


@dataclass(frozen=True)
class ItemRequest:
    """One line a buyer asks for: a product, its variant (physical) and a quantity."""

    product_id: int
    variant_id: int | None
    quantity: int


# ---------------------------------------------------------------- creating an order


@transaction.atomic
def order_create(
    *,
    shop: Shop,
    items: Sequence[ItemRequest],
    email: str,
    buyer: "User | None" = None,
    shipping_address: Mapping[str, Any] | None = None,
    discount_code: str = "",
    channel: str = "web",
    language: str = "",
    now: datetime | None = None,
    referral: Referral | None = None,
) -> Order:
    """Turn a buyer's items from one shop into an order with its stock reserved and its Payment.

    Refuses, writing nothing: a shop that is not open (``shop_closed``), no items
    (``empty_order``), products that are not this shop's or not active
    (``product_unavailable``), bad variants or quantities (``variant_required``,
    ``invalid_variant``, ``invalid_quantity``), not enough stock (``insufficient_stock``),
    a bad email (``invalid_email``), a missing or incomplete shipping address for physical
    products (``shipping_address_required``, ``invalid_shipping_address``), a discount code that
    is unknown, another shop's, expired, exhausted, below its minimum or for other products
    (``invalid_discount_code``, ``discount_expired``, ``discount_exhausted``,
    ``discount_minimum_not_met``, ``discount_not_applicable``) and a total below Stripe's minimum
    (``amount_below_minimum``). ``referral`` (affiliates.attribution) says which affiliate link
    or code brought the buyer; an affiliate earning on the order gets a split of its payment.
    """
    now = now or timezone.now()
    if shop.status != ShopStatus.OPEN:
        raise ApplicationError(_("This shop is not taking orders right now."), code="shop_closed")
    email = _email_validate(email or (buyer.email if buyer else ""))
    priced = _lines_price(shop, _items_merge(items))
    stock_wanted = [(variant, qty) for _p, variant, qty, _u in priced if variant is not None]
    _stock_precheck(stock_wanted)
    needs_shipping = any(product.type == ProductType.PHYSICAL for product, _v, _q, _u in priced)
    address = _address_validate(shipping_address, required=needs_shipping)
    subtotal = sum_money((Money(unit * qty, shop.currency) for _p, _v, qty, unit in priced), shop.currency)
    code, line_discounts = _discount_apply(shop, discount_code, priced, subtotal, now)
    total = subtotal - sum_money(line_discounts, shop.currency)
    charge_amount_validate(total)
    order = Order.objects.create(
        number=_number(),
        shop=shop,
        buyer=buyer,
        email=email,
        access_token=secrets.token_urlsafe(32),
        currency=shop.currency,
        subtotal_minor=subtotal.amount_minor,
        discount_minor=(subtotal - total).amount_minor,
        total_minor=total.amount_minor,
        discount_code=code,
        shipping_address=address,
        channel=channel,
        language=language[:8],
        reserved_until=now + timedelta(minutes=settings.SHOP_RESERVATION_MINUTES),
    )
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=product,
            variant=variant,
            title=product.title,
            variant_name=variant.name if variant else "",
            type=product.type,
            unit_price_minor=unit,
            quantity=qty,
            discount_minor=discount.amount_minor,
            total_minor=unit * qty - discount.amount_minor,
        )
        for (product, variant, qty, unit), discount in zip(priced, line_discounts, strict=True)
    )
    commission = order_attribute(
        order=order, lines=lines, referral=referral, buyer=buyer, email=email, now=now
    )
    order.payment = payment_create(
        reference=f"order:{order.pk}",
        source=CommissionSource.SHOP_SALE,
        amount=total,
        splits=order_splits(order, commission),
        payer=buyer,
        payer_email=email,
        country=shop.country,
        metadata={"order_number": order.number, "shop": shop.slug},
    )
    order.save(update_fields=["payment", "updated_at"])
    _event(order, OrderEventKind.CREATED, actor=buyer, data={"total_minor": total.amount_minor})
    # Last: the variant rows stay locked from here to the commit only, so buyers racing for the
    # same stock wait on each other for as short a time as possible.
    _stock_reserve(stock_wanted)
    if code is not None:
        _discount_use(code)
    return order


def order_splits(order: Order, commission: Commission | None) -> list[dict[str, Any]]:
    """Who receives the order's money, before the platform's commission.

    The seller receives it, held ``pending`` for the shop's refund window, except an attributed
    affiliate's ``commission`` (order_attribute's): an ``affiliate_commission`` split taken out
    of the seller's (affiliates.attribution; payments.settlement explains the split format).
    """
    affiliate = order_affiliate_split(order, commission)
    affiliate_minor = affiliate["amount_minor"] if affiliate else 0
    seller = {
        "party": order.shop.owner_party,
        "amount_minor": order.total_minor - affiliate_minor,
        "source": CommissionSource.SHOP_SALE.value,
        "hold_days": order.shop.refund_window_days,
    }
    return [seller, affiliate] if affiliate else [seller]


def order_checkout_start(*, order: Order, success_url: str, cancel_url: str) -> str:
    """The hosted payment page (Stripe Checkout) for a committed pending order; returns its URL."""
    _payable(order)
    lines = list(order.lines.all())
    if order.discount_minor:
        # Checkout has no negative line: a discounted order is one line with its exact total.
        line_items = [
            {
                "name": _("Order %(number)s") % {"number": order.number},
                "unit_amount_minor": order.total_minor,
                "quantity": 1,
            }
        ]
    else:
        line_items = [
            {
                "name": f"{line.title} – {line.variant_name}" if line.variant_name else line.title,
                "unit_amount_minor": line.unit_price_minor,
                "quantity": line.quantity,
            }
            for line in lines
        ]
    assert order.payment is not None
    return payment_start_checkout(
        payment=order.payment, line_items=line_items, success_url=success_url, cancel_url=cancel_url
    )


def order_intent_start(*, order: Order) -> dict[str, str]:
    """The PaymentIntent the mobile app confirms for a committed pending order."""
    _payable(order)
    assert order.payment is not None
    return payment_start_intent(payment=order.payment)


def _payable(order: Order) -> None:
    if order.status != OrderStatus.PENDING_PAYMENT or order.payment is None:
        raise ApplicationError(
            _("Order %(number)s cannot be paid: it is %(status)s.")
            % {"number": order.number, "status": order.get_status_display()},
            code="order_not_payable",
            status_code=409,
        )


# ---------------------------------------------------------------- payment outcome (payments' hook)


def order_payment_succeeded(payment: Payment) -> None:
    """payments.payment_hooks: the order's money is in. Runs under the payment's row lock.

    A pending order becomes paid. An order that expired meanwhile takes its stock again; when
    the stock is gone, the buyer is refunded in full at once. Never raises for a business reason.
    """
    order = Order.objects.select_for_update().filter(payment=payment).first()
    if order is None:
        logger.error("payment %s names no order", payment.reference)
        return
    order.payment = payment  # the locked row we hold, not a second read of it
    now = payment.paid_at or timezone.now()
    if order.status == OrderStatus.PENDING_PAYMENT:
        _order_paid(order, now, kind=OrderEventKind.PAID)
    elif order.status == OrderStatus.CANCELLED:
        _order_paid_late(order, payment, now)


def _order_paid(order: Order, now: datetime, *, kind: str) -> None:
    order.status = OrderStatus.PAID
    order.paid_at = now
    fields = ["status", "paid_at", "updated_at"]
    lines = list(order.lines.select_related("product__digital_asset"))
    _grants_create(order, lines, now)
    if all(line.type == ProductType.DIGITAL for line in lines):
        order.status, order.delivered_at = OrderStatus.DELIVERED, now  # the download link is the delivery
        fields.append("delivered_at")
    order.save(update_fields=fields)
    affiliate_order_paid(order, now)  # its commission, if any, is now earned
    _event(order, kind, data={"payment": order.payment.reference if order.payment else ""})
    order_id = order.pk
    transaction.on_commit(lambda: tasks.email_order_paid.delay(order_id), robust=True)


def _order_paid_late(order: Order, payment: Payment, now: datetime) -> None:
    variants = [
        (line.variant, line.quantity) for line in order.lines.select_related("variant") if line.variant
    ]
    try:
        with transaction.atomic():
            _stock_reserve([(v, q) for v, q in variants if v is not None])
    except ApplicationError:
        _event(order, OrderEventKind.PAID_LATE, note="stock gone: refunded in full")
        refund = refund_request(
            payment=payment,
            amount=payment.amount,
            reason="Paid after the reservation expired; the stock was sold meanwhile.",
        )
        order.status, order.refunded_minor, order.paid_at = OrderStatus.REFUNDED, order.total_minor, now
        order.save(update_fields=["status", "refunded_minor", "paid_at", "updated_at"])
        order.lines.update(refunded_quantity=F("quantity"), refunded_minor=F("total_minor"))
        _event(order, OrderEventKind.REFUNDED, data={"amount_minor": order.total_minor, "refund": refund.pk})
        order_id, amount = order.pk, order.total_minor
        transaction.on_commit(
            lambda: tasks.email_order_refunded.delay(order_id, amount, sold_out=True), robust=True
        )
        return
    if order.discount_code_id:
        DiscountCode.objects.filter(pk=order.discount_code_id).update(uses=F("uses") + 1)
    _order_paid(order, now, kind=OrderEventKind.PAID_LATE)


# ---------------------------------------------------------------- releasing unpaid orders


def orders_release_expired(*, now: datetime | None = None, limit: int = 200) -> int:
    """Cancel pending orders whose reservation ran out, giving their stock and discount use back.

    Rows are claimed with SKIP LOCKED, so several workers share the work and an order being
    paid right now (its row locked by the webhook) is left for the next run.
    """
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(
            Order.objects.select_for_update(skip_locked=True)
            .filter(status=OrderStatus.PENDING_PAYMENT, reserved_until__lt=now)
            .order_by("reserved_until")[:limit]
        )
        for order in expired:
            _order_release(order, kind=OrderEventKind.EXPIRED, actor=None)
    return len(expired)


@transaction.atomic
def order_cancel(*, order: Order, actor: "User | None") -> Order:
    """Cancel an order that is still awaiting payment (the buyer changed their mind, or the seller)."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status != OrderStatus.PENDING_PAYMENT:
        raise ApplicationError(
            _("Only an order awaiting payment can be cancelled; refund a paid one."),
            code="order_not_cancellable",
            status_code=409,
        )
    _order_release(locked, kind=OrderEventKind.CANCELLED, actor=actor)
    return locked


def _order_release(order: Order, *, kind: str, actor: "User | None") -> None:
    lines = sorted(order.lines.filter(variant__isnull=False), key=lambda line: line.variant_id or 0)
    for line in lines:
        if line.variant_id is not None:
            ProductVariant.objects.filter(pk=line.variant_id).update(stock=F("stock") + line.quantity)
    if order.discount_code_id:
        DiscountCode.objects.filter(pk=order.discount_code_id, uses__gt=0).update(uses=F("uses") - 1)
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    _event(order, kind, actor=actor)


# ---------------------------------------------------------------- fulfilment


@transaction.atomic
def order_ship(*, order: Order, carrier: str, tracking_number: str, actor: "User") -> Order:
    """The seller sent a paid order: record the carrier and tracking number; the buyer is told."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status != OrderStatus.PAID or not locked.needs_shipping:
        raise ApplicationError(
            _("Only a paid order with products to ship can be marked shipped."),
            code="order_not_shippable",
            status_code=409,
        )
    if carrier not in ShippingCarrier.values:
        raise ApplicationError(
            _("Choose a carrier."), code="invalid_carrier", fields={"carrier": [_("Choose a carrier.")]}
        )
    tracking = (tracking_number or "").strip()
    if not 4 <= len(tracking) <= 64 or not all(ch.isalnum() or ch in "- " for ch in tracking):
        raise ApplicationError(
            _("A tracking number is 4 to 64 letters, digits, spaces or dashes."),
            code="invalid_tracking_number",
            fields={
                "tracking_number": [_("A tracking number is 4 to 64 letters, digits, spaces or dashes.")]
            },
        )
    locked.status, locked.carrier, locked.tracking_number = OrderStatus.SHIPPED, carrier, tracking
    locked.shipped_at = timezone.now()
    locked.save(update_fields=["status", "carrier", "tracking_number", "shipped_at", "updated_at"])
    _event(
        locked, OrderEventKind.SHIPPED, actor=actor, data={"carrier": carrier, "tracking_number": tracking}
    )
    order_id = locked.pk
    transaction.on_commit(lambda: tasks.email_order_shipped.delay(order_id), robust=True)
    return locked


@transaction.atomic
def order_mark_delivered(*, order: Order, actor: "User | None") -> Order:
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status != OrderStatus.SHIPPED:
        raise ApplicationError(
            _("Only a shipped order can be marked delivered."), code="order_not_shipped", status_code=409
        )
    locked.status, locked.delivered_at = OrderStatus.DELIVERED, timezone.now()
    locked.save(update_fields=["status", "delivered_at", "updated_at"])
    _event(locked, OrderEventKind.DELIVERED, actor=actor)
    return locked


def orders_complete_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Delivered orders whose refund window has passed are completed (a daily task)."""
    now = now or timezone.now()
    done = 0
    with transaction.atomic():
        due = (
            Order.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("shop")
            .filter(status=OrderStatus.DELIVERED, delivered_at__isnull=False)
            .order_by("delivered_at")[:limit]
        )
        for order in due:
            assert order.delivered_at is not None and order.paid_at is not None
            window_end = order.paid_at + timedelta(days=order.shop.refund_window_days)
            if max(order.delivered_at, window_end) > now:
                continue
            order.status, order.completed_at = OrderStatus.COMPLETED, now
            order.save(update_fields=["status", "completed_at", "updated_at"])
            _event(order, OrderEventKind.COMPLETED)
            done += 1
    return done


# ---------------------------------------------------------------- refunds


def refund_window_open(order: Order, *, now: datetime | None = None) -> bool:
    """Whether the seller may still refund (staff always may): inside the shop's refund window."""
    if order.paid_at is None or order.shop.refund_window_days == 0:
        return False
    return (now or timezone.now()) <= order.paid_at + timedelta(days=order.shop.refund_window_days)


@transaction.atomic
def order_refund(
    *,
    order: Order,
    actor: "User",
    quantities: Mapping[int, int] | None = None,
    restock: bool = False,
    reason: str = "",
    as_staff: bool = False,
) -> Refund:
    """Refund a paid order in full (``quantities`` None) or some units of some lines.

    ``quantities`` maps line ids to units to refund. A line's units are refunded at its exact
    share: refunding k of its n units returns ``total * k // n`` cumulatively, so refunding them
    all in any steps returns exactly the line's total. Refuses: an order not paid
    (``order_not_paid``), a seller outside the refund window (``refund_window_closed``), unknown
    lines or more units than are left (``refund_exceeds_remaining``), nothing to refund
    (``nothing_to_refund``). ``restock`` puts refunded physical units back in stock. Digital
    lines refunded in full lose their download link. The buyer is emailed.
    """
    # of=("self",): Postgres cannot lock the nullable side of the outer join to payment.
    locked = Order.objects.select_for_update(of=("self",)).select_related("shop", "payment").get(pk=order.pk)
    if locked.status not in PAID_STATUSES or locked.payment is None:
        raise ApplicationError(
            _("Only a paid order can be refunded."), code="order_not_paid", status_code=409
        )
    if not as_staff and not refund_window_open(locked):
        raise ApplicationError(
            _("The refund window of this shop has closed for this order; contact support."),
            code="refund_window_closed",
            status_code=403,
        )
    lines = {line.pk: line for line in locked.lines.select_for_update().order_by("pk")}
    wanted = _refund_quantities(lines, quantities)
    amount = Money.zero(locked.currency)
    for line_id, count in wanted.items():
        line = lines[line_id]
        share = _line_refund_share(line, count)
        line.refunded_quantity += count
        line.refunded_minor += share
        line.save(update_fields=["refunded_quantity", "refunded_minor"])
        amount += Money(share, locked.currency)
        if restock and line.variant_id is not None:
            ProductVariant.objects.filter(pk=line.variant_id).update(stock=F("stock") + count)
        if line.type == ProductType.DIGITAL and line.refunded_quantity == line.quantity:
            DownloadGrant.objects.filter(line=line, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if not amount.is_positive():
        raise ApplicationError(_("There is nothing to refund."), code="nothing_to_refund")
    refund = refund_request(
        payment=locked.payment, amount=amount, reason=reason or "order refund", requested_by=actor
    )
    locked.refunded_minor += amount.amount_minor
    fields = ["refunded_minor", "updated_at"]
    if locked.refunded_minor == locked.total_minor:
        locked.status = OrderStatus.REFUNDED
        fields.append("status")
    locked.save(update_fields=fields)
    affiliate_order_refunded(locked)  # the commission's share follows (the ledger already did)
    _event(
        locked,
        OrderEventKind.REFUNDED,
        actor=actor,
        note=reason[:255],
        data={
            "amount_minor": amount.amount_minor,
            "lines": {str(k): v for k, v in wanted.items()},
            "restock": restock,
            "refund": refund.pk,
        },
    )
    order_id, refunded = locked.pk, amount.amount_minor
    transaction.on_commit(lambda: tasks.email_order_refunded.delay(order_id, refunded), robust=True)
    order.status, order.refunded_minor = locked.status, locked.refunded_minor
    return refund


def _refund_quantities(lines: dict[int, OrderLine], quantities: Mapping[int, int] | None) -> dict[int, int]:
    if quantities is None:
        return {pk: line.refundable_quantity for pk, line in lines.items() if line.refundable_quantity}
    wanted: dict[int, int] = {}
    for line_id, count in quantities.items():
        line = lines.get(line_id) if isinstance(line_id, int) else None
        if line is None or isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise _exceeds(_("Pick lines of this order and whole quantities."))
        if count > line.refundable_quantity:
            raise _exceeds(
                _("Only %(count)d of “%(title)s” can still be refunded.")
                % {"count": line.refundable_quantity, "title": line.title}
            )
        if count:
            wanted[line_id] = count
    return wanted


def _line_refund_share(line: OrderLine, count: int) -> int:
    """Minor units returned for ``count`` more units of ``line`` (cumulative, exact at the end)."""
    after = line.refunded_quantity + count
    return (
        line.total_minor * after // line.quantity - line.total_minor * line.refunded_quantity // line.quantity
    )


def _exceeds(message: str) -> ApplicationError:
    return ApplicationError(message, code="refund_exceeds_remaining")


# ---------------------------------------------------------------- digital downloads


def _grants_create(order: Order, lines: list[OrderLine], now: datetime) -> None:
    expires = now + timedelta(days=settings.SHOP_DOWNLOAD_DAYS)
    grants = []
    for line in lines:
        if line.type != ProductType.DIGITAL:
            continue
        asset = DigitalAsset.objects.filter(product_id=line.product_id).first()
        limit = asset.download_limit if asset else settings.SHOP_DOWNLOAD_LIMIT
        grants.append(DownloadGrant(line=line, download_limit=limit, expires_at=expires))
    DownloadGrant.objects.bulk_create(grants, ignore_conflicts=True)


def download_token(grant: DownloadGrant) -> str:
    """A signed token naming the grant; links built on it expire after SHOP_DOWNLOAD_LINK_HOURS."""
    return signing.TimestampSigner(salt=DOWNLOAD_SALT).sign(str(grant.pk))


def download_check(*, token: str, user: "User | None") -> DownloadGrant:
    """The grant a download link points to, if it may be downloaded now; counts nothing.

    The link works only for the buyer: an order placed with an account needs that account
    signed in (anyone else gets ``not_found``); a guest's link, sent only to their address, is
    its own proof. Refuses an expired link (``download_link_expired``, ask for a fresh one on the
    order page), a revoked or expired grant (``download_expired``), a used-up limit
    (``download_limit_reached``) and a product whose file is missing (``download_missing``).
    """
    return _download_grant(token, user, lock=False)


@transaction.atomic
def download_claim(*, token: str, user: "User | None") -> DigitalAsset:
    """Count one download of the file a link points to and return its asset (download_check's
    rules, under the grant's row lock, so two clicks never both take the last download)."""
    grant = _download_grant(token, user, lock=True)
    grant.downloads += 1
    grant.save(update_fields=["downloads"])
    _event(
        grant.line.order,
        OrderEventKind.DOWNLOADED,
        actor=user,
        data={"line": grant.line_id, "count": grant.downloads},
    )
    return grant.line.product.digital_asset


def _download_grant(token: str, user: "User | None", *, lock: bool) -> DownloadGrant:
    try:
        grant_id = signing.TimestampSigner(salt=DOWNLOAD_SALT).unsign(
            token, max_age=timedelta(hours=settings.SHOP_DOWNLOAD_LINK_HOURS)
        )
    except signing.SignatureExpired:
        raise ApplicationError(
            _("This download link has expired. Open your order to get a fresh one."),
            code="download_link_expired",
            status_code=410,
        ) from None
    except signing.BadSignature:
        raise NotFoundError(_("No such download.")) from None
    grants = DownloadGrant.objects.select_related("line__order", "line__product__digital_asset")
    if lock:
        grants = grants.select_for_update(of=("self",))
    grant = grants.filter(pk=int(grant_id)).first()
    if grant is None:
        raise NotFoundError(_("No such download."))
    order = grant.line.order
    if order.buyer_id is not None and (user is None or user.pk != order.buyer_id):
        raise NotFoundError(_("No such download."))
    if grant.revoked_at is not None or grant.expires_at < timezone.now():
        raise ApplicationError(
            _("This download is no longer available."), code="download_expired", status_code=410
        )
    if grant.downloads >= grant.download_limit:
        raise ApplicationError(
            _("You have used all %(limit)d downloads of this file.") % {"limit": grant.download_limit},
            code="download_limit_reached",
            status_code=403,
        )
    if getattr(grant.line.product, "digital_asset", None) is None:
        raise ApplicationError(
            _("The seller has not uploaded this file yet."), code="download_missing", status_code=409
        )
    return grant


# ---------------------------------------------------------------- internals


def _event(
    order: Order, kind: str, *, actor: "User | None" = None, note: str = "", data: dict | None = None
) -> OrderEvent:
    actor_user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return OrderEvent.objects.create(order=order, kind=kind, actor=actor_user, note=note, data=data or {})


def _number() -> str:
    return "".join(secrets.choice(NUMBER_ALPHABET) for _i in range(10))


def _email_validate(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(
            _("Enter the email address your receipt goes to."),
            code="invalid_email",
            fields={"email": [_("Enter a valid email address.")]},
        ) from None
    return email


def _items_merge(items: Sequence[ItemRequest]) -> list[ItemRequest]:
    if not items:
        raise ApplicationError(_("Add a product to your order first."), code="empty_order")
    if len(items) > MAX_ORDER_LINES:
        raise ApplicationError(
            _("An order holds at most %(max)d different products.") % {"max": MAX_ORDER_LINES},
            code="too_many_lines",
        )
    merged: dict[tuple[Any, Any], int] = {}
    for item in items:
        quantity = item.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 99:
            raise ApplicationError(
                _("Choose a quantity from 1 to 99."),
                code="invalid_quantity",
                fields={"quantity": [_("Choose a quantity from 1 to 99.")]},
            )
        key = (item.product_id, item.variant_id)
        merged[key] = merged.get(key, 0) + quantity
    return [ItemRequest(product_id=p, variant_id=v, quantity=q) for (p, v), q in merged.items()]


PricedLine = tuple[Product, ProductVariant | None, int, int]  # product, variant, quantity, unit price


def _lines_price(shop: Shop, items: list[ItemRequest]) -> list[PricedLine]:
    """Each item's product and variant, checked against this shop, priced now (never by the caller)."""
    product_ids = {item.product_id for item in items if isinstance(item.product_id, int)}
    products = {
        p.pk: p for p in Product.objects.filter(pk__in=product_ids, shop=shop, status=ProductStatus.ACTIVE)
    }
    variant_ids = {item.variant_id for item in items if isinstance(item.variant_id, int)}
    variants = {
        v.pk: v for v in ProductVariant.objects.filter(pk__in=variant_ids, product_id__in=product_ids)
    }
    priced: list[PricedLine] = []
    for item in items:
        product = products.get(item.product_id)
        if product is None:
            raise ApplicationError(
                _("A product in your order is not for sale in this shop."), code="product_unavailable"
            )
        product.shop = shop
        variant = None
        if product.type == ProductType.PHYSICAL:
            if item.variant_id is None:
                raise ApplicationError(
                    _("Choose an option of “%(title)s”.") % {"title": product.title}, code="variant_required"
                )
            variant = variants.get(item.variant_id)
            if variant is None or variant.product_id != product.pk:
                raise ApplicationError(
                    _("That option does not exist for “%(title)s”.") % {"title": product.title},
                    code="invalid_variant",
                )
            variant.product = product
        elif item.variant_id is not None:
            raise ApplicationError(_("A digital product has no variants."), code="invalid_variant")
        elif item.quantity != 1:
            raise ApplicationError(
                _("A digital product is bought once."),
                code="invalid_quantity",
                fields={"quantity": [_("Use 1.")]},
            )
        unit = variant.price.amount_minor if variant is not None else product.price_minor
        priced.append((product, variant, item.quantity, unit))
    return priced


def _address_validate(address: Mapping[str, Any] | None, *, required: bool) -> dict[str, str]:
    if not required:
        return {}
    if not address:
        raise ApplicationError(
            _("Enter the address to ship to."),
            code="shipping_address_required",
            fields={"shipping_address": [_("Enter the address to ship to.")]},
        )
    cleaned: dict[str, str] = {}
    missing: dict[str, list[str]] = {}
    for key in ADDRESS_REQUIRED + ADDRESS_OPTIONAL:
        value = address.get(key, "")
        value = value.strip() if isinstance(value, str) else ""
        if len(value) > ADDRESS_MAX:
            missing[key] = [_("At most %(max)d characters.") % {"max": ADDRESS_MAX}]
        elif not value and key in ADDRESS_REQUIRED:
            missing[key] = [_("This field is required.")]
        elif value:
            cleaned[key] = value
    country = cleaned.get("country", "")
    if country and (len(country) != 2 or not country.isalpha()):
        missing["country"] = [_("Use a two-letter country code, such as US or JP.")]
    if missing:
        raise ApplicationError(
            _("The shipping address is incomplete."), code="invalid_shipping_address", fields=missing
        )
    cleaned["country"] = country.upper()
    return cleaned


def _discount_apply(
    shop: Shop, raw_code: str, priced: list[PricedLine], subtotal: Money, now: datetime
) -> tuple[DiscountCode | None, list[Money]]:
    """The code (locked) and each line's share of its discount; zeros without a code."""
    zeros = [Money.zero(shop.currency) for _line in priced]
    raw_code = (raw_code or "").strip()
    if not raw_code:
        return None, zeros
    code = DiscountCode.objects.select_for_update().filter(shop=shop, code__iexact=raw_code).first()
    if code is None:
        raise _discount_error(_("This discount code does not exist in this shop."), "invalid_discount_code")
    if code.expires_at is not None and code.expires_at <= now:
        raise _discount_error(_("This discount code has expired."), "discount_expired")
    if code.max_uses is not None and code.uses >= code.max_uses:
        raise _discount_error(_("This discount code has been used up."), "discount_exhausted")
    if subtotal.amount_minor < code.minimum_order_minor:
        raise _discount_error(
            _("This code needs an order of at least %(minimum)s.")
            % {"minimum": Money(code.minimum_order_minor, shop.currency)},
            "discount_minimum_not_met",
        )
    allowed = set(code.products.values_list("pk", flat=True))
    weights = {
        index: unit * qty
        for index, (product, _v, qty, unit) in enumerate(priced)
        if not allowed or product.pk in allowed
    }
    if not weights:
        raise _discount_error(_("This code applies to none of these products."), "discount_not_applicable")
    eligible = Money(sum(weights.values()), shop.currency)
    if code.kind == DiscountKind.PERCENT:
        discount = portion(eligible, code.value)
    else:
        discount = min(Money(code.value, shop.currency), eligible)
    shares = split_by_weights(discount, weights) if discount.is_positive() else {}
    return code, [shares.get(index, zeros[index]) for index in range(len(priced))]


def _discount_error(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={"discount_code": [message]})


def _discount_use(code: DiscountCode) -> None:
    # The row is locked by _discount_apply; the condition still guards against a stale read.
    used = DiscountCode.objects.filter(
        Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")), pk=code.pk
    ).update(uses=F("uses") + 1)
    if not used:
        raise _discount_error(_("This discount code has been used up."), "discount_exhausted")


def _stock_totals(wanted: list[tuple[ProductVariant, int]]) -> dict[int, tuple[ProductVariant, int]]:
    """The quantity wanted of each variant (an order may name one twice), by variant id."""
    totals: dict[int, tuple[ProductVariant, int]] = {}
    for variant, quantity in wanted:
        previous = totals.get(variant.pk, (variant, 0))[1]
        totals[variant.pk] = (variant, previous + quantity)
    return totals


def _stock_precheck(wanted: list[tuple[ProductVariant, int]]) -> None:
    """Refuse at once what the stock as last committed cannot cover, before anything is written.

    A sold-out variant's buyers (a flash sale's late majority) get their answer without writing
    and rolling back an order, its lines, its payment and its events. The stock read here takes
    no lock: _stock_reserve() still decides, on the locked row, for every order that passes.
    """
    for variant, quantity in _stock_totals(wanted).values():
        if variant.stock < quantity:
            raise _insufficient_stock(variant, variant.stock)


def _stock_reserve(wanted: list[tuple[ProductVariant, int]]) -> None:
    """Take stock for every variant or for none (the caller's transaction rolls back).

    One conditional UPDATE per variant, in id order: two orders for the same variants lock
    them in the same order, and ``stock >= quantity`` is re-checked on the locked row, so stock
    never goes below zero (the CHECK constraint is the last line of defence).
    """
    totals = _stock_totals(wanted)
    for pk in sorted(totals):
        variant, quantity = totals[pk]
        taken = ProductVariant.objects.filter(pk=pk, stock__gte=quantity).update(stock=F("stock") - quantity)
        if not taken:
            left = ProductVariant.objects.filter(pk=pk).values_list("stock", flat=True).first() or 0
            raise _insufficient_stock(variant, left)


def _insufficient_stock(variant: ProductVariant, left: int) -> ApplicationError:
    return ApplicationError(
        _("Only %(count)d of “%(name)s” left.") % {"count": left, "name": variant.name},
        code="insufficient_stock",
        fields={"quantity": [_("Only %(count)d left.") % {"count": left}]},
        status_code=409,
    )
