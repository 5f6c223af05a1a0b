"""Writes of the affiliate marketplace: offers, memberships (links and codes), commission review.

Every function owns its transaction. Cached redirect destinations are dropped on commit when a
membership or offer changes (affiliates.clicks).
"""

import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from affiliates.clicks import destinations_forget
from affiliates.enums import (
    RATE_MAX_BPS,
    RATE_MIN_BPS,
    WINDOW_MAX_DAYS,
    WINDOW_MIN_DAYS,
    CommissionStatus,
    JoinMode,
    MembershipStatus,
    OfferStatus,
)
from affiliates.models import Commission, Membership, Offer
from common.errors import ApplicationError
from creators.models import CreatorProfile, User
from payments.models import LedgerTransaction, party_for_user
from shops.enums import DiscountKind, ProductStatus
from shops.models import Product, Shop
from shops.services import discount_code_create, shop_is_owner

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # base32-like, no look-alikes
CODE_LENGTH = 8


def _field_error(field: str, message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={field: [message]})


def _terms_validate(
    rate_bps: object, window_days: object, join_mode: object, code_discount_bps: object
) -> None:
    if (
        isinstance(rate_bps, bool)
        or not isinstance(rate_bps, int)
        or not RATE_MIN_BPS <= rate_bps <= RATE_MAX_BPS
    ):
        raise _field_error(
            "rate_bps", _("The commission rate is from 1% to 75% (100 to 7500 basis points)."), "invalid_rate"
        )
    if (
        isinstance(window_days, bool)
        or not isinstance(window_days, int)
        or not WINDOW_MIN_DAYS <= window_days <= WINDOW_MAX_DAYS
    ):
        raise _field_error("window_days", _("The attribution window is from 1 to 90 days."), "invalid_window")
    if join_mode not in JoinMode.values:
        raise _field_error("join_mode", _("Choose open or approval."), "invalid_join_mode")
    if (
        isinstance(code_discount_bps, bool)
        or not isinstance(code_discount_bps, int)
        or not 0 <= code_discount_bps <= 5000
    ):
        raise _field_error(
            "code_discount_bps", _("A personal code's discount is from 0% to 50%."), "invalid_code_discount"
        )


def _offer_codes_forget(offer: Offer) -> None:
    codes = list(offer.memberships.values_list("code", flat=True))
    destinations_forget(codes)


# ---------------------------------------------------------------- offers (the seller)


@transaction.atomic
def offer_create(
    *,
    shop: Shop,
    product: Product | None = None,
    rate_bps: int,
    window_days: int = 30,
    join_mode: str = JoinMode.OPEN,
    description: str = "",
    code_discount_bps: int = 0,
) -> Offer:
    """Put a product (or the whole shop, ``product`` None) into the marketplace.

    Precondition: the caller owns ``shop`` (selectors check it). Refuses bad terms
    (``invalid_rate``, ``invalid_window``, ``invalid_join_mode``, ``invalid_code_discount``), a
    product of another shop or not active (``product_unavailable``) and a second active offer for
    the same product or whole shop (``offer_exists``, 409).
    """
    _terms_validate(rate_bps, window_days, join_mode, code_discount_bps)
    if product is not None and (product.shop_id != shop.pk or product.status != ProductStatus.ACTIVE):
        raise _field_error("product", _("Choose an active product of your shop."), "product_unavailable")
    try:
        with transaction.atomic():
            return Offer.objects.create(
                shop=shop,
                product=product,
                rate_bps=rate_bps,
                window_days=window_days,
                join_mode=join_mode,
                description=(description or "")[:300],
                code_discount_bps=code_discount_bps,
            )
    except IntegrityError:
        raise ApplicationError(
            _("This product (or your whole shop) already has an active offer: edit it instead."),
            code="offer_exists",
            status_code=409,
        ) from None


@transaction.atomic
def offer_update(
    *,
    offer: Offer,
    rate_bps: int,
    window_days: int,
    join_mode: str,
    description: str = "",
    code_discount_bps: int = 0,
) -> Offer:
    """Change an offer's terms. Commissions already created keep the rate and window they copied."""
    _terms_validate(rate_bps, window_days, join_mode, code_discount_bps)
    locked = Offer.objects.select_for_update().get(pk=offer.pk)
    locked.rate_bps, locked.window_days, locked.join_mode = rate_bps, window_days, join_mode
    locked.description, locked.code_discount_bps = (description or "")[:300], code_discount_bps
    locked.save(
        update_fields=[
            "rate_bps",
            "window_days",
            "join_mode",
            "description",
            "code_discount_bps",
            "updated_at",
        ]
    )
    _offer_codes_forget(locked)
    return locked


@transaction.atomic
def offer_set_status(*, offer: Offer, status: str) -> Offer:
    """Pause, resume or close an offer. Links of a paused or closed offer land on the shop, earning nothing.

    Refuses an unknown status (``invalid_status``), reopening a closed offer (``offer_closed``)
    and resuming when another offer for the same product became active (``offer_exists``).
    """
    if status not in OfferStatus.values:
        raise _field_error("status", _("Choose active, paused or closed."), "invalid_status")
    locked = Offer.objects.select_for_update().get(pk=offer.pk)
    if locked.status == OfferStatus.CLOSED and status != OfferStatus.CLOSED:
        raise ApplicationError(
            _("A closed offer stays closed; create a new one."), code="offer_closed", status_code=409
        )
    locked.status = status
    try:
        with transaction.atomic():
            locked.save(update_fields=["status", "updated_at"])
    except IntegrityError:
        raise ApplicationError(
            _("Another active offer covers this product already."), code="offer_exists", status_code=409
        ) from None
    _offer_codes_forget(locked)
    return locked


# ---------------------------------------------------------------- memberships


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        if not Membership.objects.filter(code=code).exists():
            return code


def _activate(membership: Membership, now: datetime) -> None:
    membership.status, membership.joined_at, membership.ended_at = MembershipStatus.ACTIVE, now, None
    offer = membership.offer
    if offer.code_discount_bps and membership.discount_code_id is None:
        handle = "".join(ch for ch in membership.affiliate.handle.upper() if ch.isalnum())[:20]
        membership.discount_code = discount_code_create(
            shop=offer.shop,
            code=f"{handle}-{membership.code[:6]}",
            kind=DiscountKind.PERCENT,
            value=offer.code_discount_bps,
            products=[offer.product] if offer.product is not None else [],
        )


@transaction.atomic
def membership_join(*, offer: Offer, affiliate: CreatorProfile) -> Membership:
    """A creator joins an offer: active at once (open offer) or requested (approval offer).

    Idempotent for a member or a pending request. Someone who left may join again. Refuses the
    shop's own owner (``own_offer``), an offer that is not active (``offer_not_active``) and
    someone the seller declined or removed (``membership_refused``, 403).
    """
    offer = Offer.objects.select_for_update(of=("self",)).select_related("shop", "product").get(pk=offer.pk)
    if shop_is_owner(shop=offer.shop, user=affiliate.user):  # the creator, or a member of the brand
        raise ApplicationError(
            _("You cannot promote your own shop's offer."), code="own_offer", status_code=403
        )
    if offer.status != OfferStatus.ACTIVE:
        raise ApplicationError(
            _("This offer is not taking affiliates now."), code="offer_not_active", status_code=409
        )
    now = timezone.now()
    membership = Membership.objects.select_for_update().filter(offer=offer, affiliate=affiliate).first()
    if membership is not None:
        if membership.status in (MembershipStatus.ACTIVE, MembershipStatus.REQUESTED):
            return membership
        if membership.status in (MembershipStatus.DECLINED, MembershipStatus.REMOVED):
            raise ApplicationError(
                _("The seller has not accepted you in this offer."),
                code="membership_refused",
                status_code=403,
            )
    else:
        membership = Membership(offer=offer, affiliate=affiliate, code=_new_code())
    membership.offer = offer
    membership.requested_at = now
    if offer.join_mode == JoinMode.OPEN:
        _activate(membership, now)
    else:
        membership.status = MembershipStatus.REQUESTED
    membership.save()
    code = membership.code
    destinations_forget([code])
    return membership


def _decide(
    membership: Membership, *, expected: set[str], status: str, actor: User | None, message: str
) -> Membership:
    locked = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("offer__shop", "offer__product", "affiliate")
        .get(pk=membership.pk)
    )
    if locked.status not in expected:
        raise ApplicationError(message, code="membership_state", status_code=409)
    now = timezone.now()
    if status == MembershipStatus.ACTIVE:
        _activate(locked, now)
    else:
        locked.status = status
        locked.ended_at = now if status in (MembershipStatus.REMOVED, MembershipStatus.LEFT) else None
    locked.decided_by = actor
    locked.save()
    code = locked.code
    destinations_forget([code])
    return locked


@transaction.atomic
def membership_approve(*, membership: Membership, actor: User) -> Membership:
    """The seller accepts a request: the affiliate's link works from now on."""
    return _decide(
        membership,
        expected={MembershipStatus.REQUESTED},
        status=MembershipStatus.ACTIVE,
        actor=actor,
        message=_("Only a pending request can be approved."),
    )


@transaction.atomic
def membership_decline(*, membership: Membership, actor: User) -> Membership:
    return _decide(
        membership,
        expected={MembershipStatus.REQUESTED},
        status=MembershipStatus.DECLINED,
        actor=actor,
        message=_("Only a pending request can be declined."),
    )


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User) -> Membership:
    """The seller ends an affiliate's membership: the link lands on the shop without attribution."""
    return _decide(
        membership,
        expected={MembershipStatus.ACTIVE, MembershipStatus.REQUESTED},
        status=MembershipStatus.REMOVED,
        actor=actor,
        message=_("This affiliate is not in your offer."),
    )


@transaction.atomic
def membership_leave(*, membership: Membership) -> Membership:
    """The affiliate leaves (or withdraws a request). Commissions already earned stay theirs."""
    return _decide(
        membership,
        expected={MembershipStatus.ACTIVE, MembershipStatus.REQUESTED},
        status=MembershipStatus.LEFT,
        actor=membership.affiliate.user,
        message=_("You are not in this offer."),
    )


# ---------------------------------------------------------------- commission review (staff)


def _settled(commission: Commission) -> tuple[LedgerTransaction, str]:
    payment = commission.order.payment
    if payment is None or payment.settlement is None:
        raise ApplicationError(
            _("The order's payment is not settled yet: review it once it is."),
            code="commission_not_settled",
            status_code=409,
        )
    return payment.settlement, party_for_user(commission.membership.affiliate.user)


@transaction.atomic
def commission_hold(*, commission: Commission, actor: User, reason: str) -> Commission:
    """Staff put an earned commission on hold for review (the money stays pending until decided)."""
    from payments.holds import hold_reschedule

    locked = (
        Commission.objects.select_for_update(of=("self",))
        .select_related("order__payment", "membership__affiliate__user")
        .get(pk=commission.pk)
    )
    if locked.status != CommissionStatus.EARNED:
        raise ApplicationError(
            _("Only an earned commission can be put on hold."), code="commission_state", status_code=409
        )
    origin, party = _settled(locked)
    hold_reschedule(origin=origin, party=party, release_at=timezone.now() + timedelta(days=3650))
    locked.status, locked.review_reason = CommissionStatus.ON_HOLD, (reason or "manual review")[:300]
    locked.save(update_fields=["status", "review_reason", "updated_at"])
    return locked


@transaction.atomic
def commission_approve(*, commission: Commission, actor: User) -> Commission:
    """Staff clear a held commission: it is released on its normal date (paid_at + the refund window)."""
    from payments.holds import hold_reschedule

    locked = (
        Commission.objects.select_for_update(of=("self",))
        .select_related("order__payment", "order__shop", "membership__affiliate__user")
        .get(pk=commission.pk)
    )
    if locked.status != CommissionStatus.ON_HOLD:
        raise ApplicationError(
            _("Only a commission on hold can be approved."), code="commission_state", status_code=409
        )
    origin, party = _settled(locked)
    paid_at = locked.order.paid_at or timezone.now()
    hold_reschedule(
        origin=origin, party=party, release_at=paid_at + timedelta(days=locked.order.shop.refund_window_days)
    )
    locked.status, locked.reviewed_by, locked.reviewed_at = CommissionStatus.EARNED, actor, timezone.now()
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    return locked


@transaction.atomic
def commission_reject(*, commission: Commission, actor: User, reason: str = "") -> Commission:
    """Staff reject a held commission: the affiliate's held money goes to the seller (one balanced posting).

    The platform keeps the commission it took on the affiliate split. The seller's share is
    released when the seller's own hold on the sale is.
    """
    from payments.holds import hold_forfeit
    from payments.models import Hold

    locked = (
        Commission.objects.select_for_update(of=("self",))
        .select_related("order__payment", "order__shop", "membership__affiliate__user")
        .get(pk=commission.pk)
    )
    if locked.status != CommissionStatus.ON_HOLD:
        raise ApplicationError(
            _("Only a commission on hold can be rejected."), code="commission_state", status_code=409
        )
    origin, party = _settled(locked)
    seller = locked.order.shop.owner_party
    seller_hold = Hold.objects.filter(origin=origin, party=seller).first()
    now = timezone.now()
    hold_forfeit(
        origin=origin,
        party=party,
        to_party=seller,
        release_at=max(seller_hold.release_at, now) if seller_hold else now,
    )
    locked.status, locked.reviewed_by, locked.reviewed_at = CommissionStatus.REJECTED, actor, now
    if reason:
        locked.review_reason = reason[:300]
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason", "updated_at"])
    return locked
