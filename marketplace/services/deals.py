"""Deals: escrow funding, deliverables, release, cancellation, disputes, messages and ratings.

Money moves only through payments.escrow. Lock order, the same everywhere here: the deal's
deliverables (pk order), then the deal, then (inside payments.escrow) the payment and the
ledger accounts. The automatic approval claims deliverables with SKIP LOCKED first, which is
the same order.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ApplicationError, NotFoundError
from common.money import Money, portion
from creators.models import Post, User
from marketplace.access import ANY_ROLE, OWNER_ONLY, brand_member_require, side_of
from marketplace.enums import (
    AUTO_APPROVE_BUSINESS_DAYS,
    CANCELLATION_FEE_BPS,
    CLOSED_DEAL_STATUSES,
    MAX_REVISIONS,
    RELEASE_HOLD_DAYS,
    DealEventKind,
    DealStatus,
    DeliverableStatus,
    DisputeStatus,
    Side,
)
from marketplace.models import Brand, Deal, DealEvent, DealMessage, Deliverable, Dispute, Listing, Rating
from payments.charges import payment_create, payment_start_checkout, payment_start_intent
from payments.enums import CommissionSource, PaymentStatus
from payments.escrow import escrow_refund, escrow_release
from payments.models import Payment, party_for_brand, party_for_user

logger = logging.getLogger(__name__)


def add_business_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days (Monday to Friday), keeping the time of day."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def _event(deal: Deal, kind: str, actor: User | None, **data: Any) -> DealEvent:
    event = DealEvent.objects.create(deal=deal, kind=kind, actor=actor, data=data)
    from marketplace.notifications import deal_event_notify

    transaction.on_commit(lambda: deal_event_notify(event_id=event.pk))
    return event


# ---------------------------------------------------------------- funding


def deal_fund_start(
    *, deal: Deal, user: User, channel: str, success_url: str = "", cancel_url: str = ""
) -> dict[str, str]:
    """Start paying the deal into escrow: {"checkout_url"} on the web, the PaymentIntent on mobile.

    Brand owners only (``role_required``): funding spends the brand's money. Refuses a deal not
    awaiting funding (``deal_not_awaiting_funding``). The Payment (reference ``deal:<id>``, one
    escrow split) is committed before Stripe is called; asking again reuses it.
    """
    payment = _deal_payment_prepare(deal=deal, user=user)
    if channel == "mobile":
        return payment_start_intent(payment=payment)
    title = (deal.terms.get("campaign") or {}).get("title") or _("Sponsored content")
    url = payment_start_checkout(
        payment=payment,
        line_items=[
            {
                "name": f"{title} — @{deal.creator.handle}",
                "unit_amount_minor": deal.amount_minor,
                "quantity": 1,
            }
        ],
        success_url=success_url,
        cancel_url=cancel_url,
    )
    return {"checkout_url": url}


@transaction.atomic
def _deal_payment_prepare(*, deal: Deal, user: User) -> Payment:
    brand_member_require(brand=deal.brand, user=user, roles=OWNER_ONLY)
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if locked.status != DealStatus.AWAITING_FUNDING:
        raise ApplicationError(
            _("This deal is not awaiting funding."), code="deal_not_awaiting_funding", status_code=409
        )
    party = party_for_brand(locked.brand)
    payment = payment_create(
        reference=f"deal:{locked.pk}",
        source=CommissionSource.SPONSORSHIP,
        amount=locked.amount,
        splits=[
            {"party": party, "amount_minor": locked.amount_minor, "source": "sponsorship", "escrow": True}
        ],
        payer=user,
        country=locked.country,
        metadata={"deal_id": locked.pk},
    )
    if locked.payment_id is None:
        locked.payment = payment
        locked.save(update_fields=["payment", "updated_at"])
        _event(locked, DealEventKind.FUNDING_STARTED, user)
    deal.payment = payment
    return payment


def deal_payment_succeeded(payment: Payment) -> None:
    """payments hook for ``deal:<id>``: the brand paid, the deal starts.

    Runs inside the transaction that marks the payment paid, under its row lock, and must not
    raise for a business reason. A payment for a deal cancelled meanwhile is refunded in full,
    by a task after commit (the escrow is only credited once the payment settles).
    """
    deal_id = payment.reference.split(":", 1)[1]
    deal = Deal.objects.select_for_update().filter(pk=int(deal_id) if deal_id.isdigit() else 0).first()
    if deal is None:
        logger.error("payment %s names no deal", payment.reference)
        return
    if deal.status == DealStatus.AWAITING_FUNDING:
        deal.status, deal.funded_at, deal.payment = (
            DealStatus.ACTIVE,
            payment.paid_at or timezone.now(),
            payment,
        )
        deal.save(update_fields=["status", "funded_at", "payment", "updated_at"])
        _event(deal, DealEventKind.FUNDED, None, payment_id=payment.pk)
        return
    from marketplace.tasks import refund_late_funding

    logger.warning("deal %s is %s: its payment %s will be refunded", deal.pk, deal.status, payment.pk)
    transaction.on_commit(lambda: refund_late_funding.delay(deal.pk, payment.pk))


@transaction.atomic
def deal_late_funding_refund(*, deal: Deal, payment: Payment) -> None:
    """Refund a payment that arrived after its deal was cancelled (all of what remains in escrow)."""
    from payments.escrow import escrow_state

    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.status != PaymentStatus.SUCCEEDED:
        return
    if locked.settlement_id is None:
        from payments.settlement import settlement_post

        settlement_post(payment=locked)
    remaining = escrow_state(payment=locked).remaining
    if remaining.is_positive():
        escrow_refund(payment=locked, amount=remaining, reason="deal cancelled before funding")
        _event(
            deal,
            DealEventKind.LATE_FUNDING_REFUNDED,
            None,
            payment_id=locked.pk,
            amount_minor=remaining.amount_minor,
        )


def _funding_of(deal: Deal) -> Payment:
    """The payment that funded the deal. Precondition: the deal is funded (active or later)."""
    if deal.payment is None:  # a funded deal always has one: this is a bug, not bad input
        raise ApplicationError(_("This deal has no payment."), code="deal_not_funded", status_code=409)
    return deal.payment


# ---------------------------------------------------------------- deliverables


def _deliverable_lock(deliverable: Deliverable) -> tuple[Deliverable, Deal]:
    locked = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
    deal = Deal.objects.select_for_update().select_related("creator", "brand").get(pk=locked.deal_id)
    return locked, deal


def _post_match(deal: Deal, url: str) -> Post | None:
    """The creator's ingested post whose external id is the last segment of the link, if any."""
    tail = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    if not tail:
        return None
    return Post.objects.filter(creator_id=deal.creator_id, external_id=tail).first()


@transaction.atomic
def deliverable_submit(*, deliverable: Deliverable, user: User, post_url: str) -> Deliverable:
    """The creator submits a deliverable with the link of the published post.

    Refuses: anyone but the deal's creator (404 for outsiders, ``creator_only`` for the brand),
    an unfunded deal (``deal_not_funded``), a closed or disputed one (``deal_closed``), a
    deliverable not awaiting submission (``deliverable_not_open``) and a first submission after
    the due date (``deliverable_past_due``). Starts the automatic-approval clock (5 business days).
    """
    locked, deal = _deliverable_lock(deliverable)
    if side_of(obj=deal, user=user) != Side.CREATOR:
        raise ApplicationError(
            _("Only the creator submits deliverables."), code="creator_only", status_code=403
        )
    _deal_active_require(deal)
    if locked.status not in (DeliverableStatus.PENDING, DeliverableStatus.REVISION_REQUESTED):
        raise ApplicationError(
            _("This deliverable is not awaiting a submission."), code="deliverable_not_open", status_code=409
        )
    if locked.status == DeliverableStatus.PENDING and timezone.localdate() > locked.due_date:
        raise ApplicationError(
            _("This deliverable was due on %(date)s.") % {"date": locked.due_date.isoformat()},
            code="deliverable_past_due",
        )
    url = post_url.strip()
    if not url.startswith(("http://", "https://")):
        raise ApplicationError(
            _("Give the link of the published post."), code="invalid_url", fields={"post_url": []}
        )
    now = timezone.now()
    locked.post_url, locked.post = url, _post_match(deal, url)
    locked.status, locked.submitted_at = DeliverableStatus.SUBMITTED, now
    locked.auto_approve_at = add_business_days(now, AUTO_APPROVE_BUSINESS_DAYS)
    locked.save(update_fields=["post_url", "post", "status", "submitted_at", "auto_approve_at"])
    _event(
        deal,
        DealEventKind.SUBMITTED,
        user,
        deliverable_id=locked.pk,
        post_url=url,
        matched_post=locked.post_id,
    )
    return locked


def _deal_active_require(deal: Deal) -> None:
    if deal.status == DealStatus.AWAITING_FUNDING:
        raise ApplicationError(_("This deal is not funded yet."), code="deal_not_funded", status_code=409)
    if deal.status != DealStatus.ACTIVE:
        raise ApplicationError(
            _("This deal is %(status)s.") % {"status": deal.get_status_display()},
            code="deal_closed",
            status_code=409,
        )


def _brand_reviewer_require(deal: Deal, user: User) -> None:
    if side_of(obj=deal, user=user) != Side.BRAND:
        raise ApplicationError(_("Only the brand reviews deliverables."), code="brand_only", status_code=403)
    brand_member_require(brand=deal.brand, user=user, roles=ANY_ROLE)


@transaction.atomic
def deliverable_approve(*, deliverable: Deliverable, user: User) -> Deliverable:
    """A brand member approves a submitted deliverable: its share of the escrow is released.

    Refuses a second approval (``already_approved``) and a deliverable not submitted
    (``deliverable_not_submitted``).
    """
    locked, deal = _deliverable_lock(deliverable)
    _brand_reviewer_require(deal, user)
    if locked.status == DeliverableStatus.APPROVED:  # the clearer error, even once the deal completed
        raise _already_approved()
    _deal_active_require(deal)
    return _approve(locked, deal, actor=user)


def _already_approved() -> ApplicationError:
    return ApplicationError(
        _("This deliverable is already approved."), code="already_approved", status_code=409
    )


def _approve(deliverable: Deliverable, deal: Deal, *, actor: User | None) -> Deliverable:
    """Approve and release. Caller holds the deliverable and deal row locks; the deal is active."""
    if deliverable.status == DeliverableStatus.APPROVED:
        raise _already_approved()
    if deliverable.status != DeliverableStatus.SUBMITTED:
        raise ApplicationError(
            _("Nothing has been submitted to approve."), code="deliverable_not_submitted", status_code=409
        )
    deliverable.status, deliverable.approved_at, deliverable.approved_by = (
        DeliverableStatus.APPROVED,
        timezone.now(),
        actor,
    )
    deliverable.auto_approve_at = None
    key = f"deliverable:{deliverable.pk}"
    posted = escrow_release(
        payment=_funding_of(deal),
        party=party_for_user(deal.creator.user),
        amount=deliverable.share,
        key=key,
        hold_days=RELEASE_HOLD_DAYS,
        description=f"Deal {deal.pk} deliverable {deliverable.position} approved",
    )
    deliverable.release_reference = posted.reference
    deliverable.save(
        update_fields=["status", "approved_at", "approved_by", "auto_approve_at", "release_reference"]
    )
    kind = DealEventKind.APPROVED if actor is not None else DealEventKind.AUTO_APPROVED
    _event(deal, kind, actor, deliverable_id=deliverable.pk)
    _event(
        deal,
        DealEventKind.RELEASED,
        actor,
        deliverable_id=deliverable.pk,
        amount_minor=deliverable.share_minor,
    )
    deal.released_minor += deliverable.share_minor
    fields = ["released_minor", "updated_at"]
    if not deal.deliverables.exclude(status=DeliverableStatus.APPROVED).exclude(pk=deliverable.pk).exists():
        deal.status, deal.completed_at = DealStatus.COMPLETED, timezone.now()
        fields += ["status", "completed_at"]
        _event(deal, DealEventKind.COMPLETED, None)
    deal.save(update_fields=fields)
    return deliverable


@transaction.atomic
def deliverable_request_revision(*, deliverable: Deliverable, user: User, note: str) -> Deliverable:
    """Ask for changes to a submitted deliverable; at most 2 times (``revision_limit``)."""
    locked, deal = _deliverable_lock(deliverable)
    _brand_reviewer_require(deal, user)
    _deal_active_require(deal)
    if locked.status != DeliverableStatus.SUBMITTED:
        raise ApplicationError(
            _("Nothing has been submitted to review."), code="deliverable_not_submitted", status_code=409
        )
    if locked.revisions >= MAX_REVISIONS:
        raise ApplicationError(
            _("At most %(max)d revisions: approve it, or open a dispute.") % {"max": MAX_REVISIONS},
            code="revision_limit",
        )
    locked.status, locked.revisions, locked.revision_note = (
        DeliverableStatus.REVISION_REQUESTED,
        locked.revisions + 1,
        note,
    )
    locked.auto_approve_at = None
    locked.save(update_fields=["status", "revisions", "revision_note", "auto_approve_at"])
    _event(deal, DealEventKind.REVISION_REQUESTED, user, deliverable_id=locked.pk, note=note)
    return locked


def deliverables_auto_approve_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Approve deliverables the brand left unreviewed for 5 business days; returns how many.

    Each due row is claimed with SELECT … FOR UPDATE SKIP LOCKED in its own transaction, so two
    workers never approve the same one and a slow one does not hold the others.
    """
    now = now or timezone.now()
    done = 0
    for _attempt in range(limit):
        with transaction.atomic():
            claimed = (
                Deliverable.objects.select_for_update(skip_locked=True)
                .filter(
                    status=DeliverableStatus.SUBMITTED,
                    auto_approve_at__lte=now,
                    deal__status=DealStatus.ACTIVE,
                )
                .order_by("auto_approve_at", "pk")
                .first()
            )
            if claimed is None:
                break
            deal = Deal.objects.select_for_update().select_related("creator__user").get(pk=claimed.deal_id)
            _approve(claimed, deal, actor=None)
            done += 1
    return done


# ---------------------------------------------------------------- cancellation and disputes


def _deliverables_lock(deal: Deal) -> list[Deliverable]:
    return list(Deliverable.objects.select_for_update().filter(deal_id=deal.pk).order_by("pk"))


@transaction.atomic
def deal_cancel(*, deal: Deal, user: User, reason: str = "") -> Deal:
    """A brand owner cancels a deal before any delivery.

    Unfunded: it simply ends. Funded: the creator gets a 10% cancellation fee (released like a
    deliverable, minus commission, on hold) and the brand is refunded the rest. After a
    delivery only staff decide (``cancellation_needs_staff``: open a dispute).
    """
    brand_member_require(brand=deal.brand, user=user, roles=OWNER_ONLY)
    deliverables = _deliverables_lock(deal)
    locked = Deal.objects.select_for_update().select_related("creator__user").get(pk=deal.pk)
    if locked.status in CLOSED_DEAL_STATUSES or locked.status == DealStatus.DISPUTED:
        raise ApplicationError(_("This deal is already over."), code="deal_closed", status_code=409)
    if any(d.submitted_at is not None for d in deliverables):
        raise ApplicationError(
            _("Something was delivered: only staff can settle this deal now. Open a dispute."),
            code="cancellation_needs_staff",
            status_code=409,
        )
    data: dict[str, Any] = {"reason": reason}
    if locked.status == DealStatus.ACTIVE:
        remaining = locked.escrow_remaining
        fee = portion(remaining, CANCELLATION_FEE_BPS)
        if fee.is_positive():
            escrow_release(
                payment=_funding_of(locked),
                party=party_for_user(locked.creator.user),
                amount=fee,
                key="cancellation-fee",
                hold_days=RELEASE_HOLD_DAYS,
                description=f"Deal {locked.pk} cancellation fee",
            )
        refund = remaining - fee
        if refund.is_positive():
            escrow_refund(
                payment=_funding_of(locked),
                amount=refund,
                reason=f"deal {locked.pk} cancelled",
                requested_by=user,
            )
        locked.released_minor += fee.amount_minor
        locked.refunded_minor += refund.amount_minor
        data.update(fee_minor=fee.amount_minor, refund_minor=refund.amount_minor)
    Deliverable.objects.filter(pk__in=[d.pk for d in deliverables]).update(
        status=DeliverableStatus.CANCELLED, auto_approve_at=None
    )
    locked.status, locked.cancelled_at = DealStatus.CANCELLED, timezone.now()
    locked.save(update_fields=["status", "cancelled_at", "released_minor", "refunded_minor", "updated_at"])
    _event(locked, DealEventKind.CANCELLED, user, **data)
    deal.status = locked.status
    return locked


@transaction.atomic
def dispute_open(*, deal: Deal, user: User, reason: str) -> Dispute:
    """Either side asks staff to settle a funded deal (the only way out after a delivery)."""
    side_of(obj=deal, user=user)
    _deliverables_lock(deal)
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if locked.status != DealStatus.ACTIVE:
        raise ApplicationError(
            _("Only a funded, running deal can be disputed."), code="deal_not_active", status_code=409
        )
    if not reason.strip():
        raise ApplicationError(_("Say what went wrong."), code="invalid", fields={"reason": [_("Required.")]})
    dispute = Dispute.objects.create(deal=locked, opened_by=user, reason=reason.strip())
    locked.status = DealStatus.DISPUTED
    locked.save(update_fields=["status", "updated_at"])
    _event(locked, DealEventKind.DISPUTE_OPENED, user, reason=reason.strip())
    return dispute


@transaction.atomic
def dispute_resolve(*, dispute: Dispute, staff: User, creator_share: Money, note: str = "") -> Dispute:
    """Staff split what remains in escrow: ``creator_share`` to the creator (minus commission, on
    hold), the rest refunded to the brand. Refuses non-staff (``staff_only``), a share outside
    0..remaining (``invalid_share``) and a dispute already resolved (``dispute_resolved``)."""
    if not staff.is_staff:
        raise ApplicationError(_("Only staff resolve disputes."), code="staff_only", status_code=403)
    locked_dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if locked_dispute.status != DisputeStatus.OPEN:
        raise ApplicationError(
            _("This dispute is already resolved."), code="dispute_resolved", status_code=409
        )
    deal = Deal.objects.get(pk=locked_dispute.deal_id)
    deliverables = _deliverables_lock(deal)
    locked = Deal.objects.select_for_update().select_related("creator__user").get(pk=deal.pk)
    remaining = locked.escrow_remaining
    if creator_share.currency != locked.currency or creator_share.is_negative() or creator_share > remaining:
        raise ApplicationError(
            _("The creator's share is between 0 and %(remaining)s.") % {"remaining": str(remaining)},
            code="invalid_share",
            fields={"creator_share_minor": []},
        )
    if creator_share.is_positive():
        escrow_release(
            payment=_funding_of(locked),
            party=party_for_user(locked.creator.user),
            amount=creator_share,
            key="dispute",
            hold_days=RELEASE_HOLD_DAYS,
            description=f"Deal {locked.pk} dispute resolution",
        )
    refund = remaining - creator_share
    if refund.is_positive():
        escrow_refund(
            payment=_funding_of(locked), amount=refund, reason=f"deal {locked.pk} dispute", requested_by=staff
        )
    Deliverable.objects.filter(pk__in=[d.pk for d in deliverables]).exclude(
        status=DeliverableStatus.APPROVED
    ).update(status=DeliverableStatus.CANCELLED, auto_approve_at=None)
    locked.released_minor += creator_share.amount_minor
    locked.refunded_minor += refund.amount_minor
    locked.status = DealStatus.RESOLVED
    locked.save(update_fields=["status", "released_minor", "refunded_minor", "updated_at"])
    now = timezone.now()
    locked_dispute.status, locked_dispute.resolved_by, locked_dispute.resolved_at = (
        DisputeStatus.RESOLVED,
        staff,
        now,
    )
    locked_dispute.creator_share_minor, locked_dispute.resolution_note = creator_share.amount_minor, note
    locked_dispute.save(
        update_fields=[
            "status",
            "resolved_by",
            "resolved_at",
            "creator_share_minor",
            "resolution_note",
            "updated_at",
        ]
    )
    _event(
        locked,
        DealEventKind.DISPUTE_RESOLVED,
        staff,
        creator_share_minor=creator_share.amount_minor,
        refund_minor=refund.amount_minor,
        note=note,
    )
    return locked_dispute


# ---------------------------------------------------------------- messages and ratings


@transaction.atomic
def message_post(*, deal: Deal, user: User, body: str) -> DealMessage:
    """A message in the deal's thread; the other side is emailed after commit."""
    side = side_of(obj=deal, user=user)
    body = body.strip()
    if not body:
        raise ApplicationError(_("Write a message."), code="invalid", fields={"body": [_("Required.")]})
    message = DealMessage.objects.create(deal=deal, author=user, side=side, body=body[:5000])
    from marketplace.notifications import message_notify

    transaction.on_commit(lambda: message_notify(message_id=message.pk))
    return message


@transaction.atomic
def rating_create(*, deal: Deal, user: User, score: int, comment: str = "") -> Rating:
    """After completion each side rates the other once (1–5); the average shows on profiles."""
    side = side_of(obj=deal, user=user)
    if deal.status not in (DealStatus.COMPLETED, DealStatus.RESOLVED):
        raise ApplicationError(
            _("Rate a deal once it is completed."), code="deal_not_completed", status_code=409
        )
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ApplicationError(_("A score is 1 to 5."), code="invalid_score", fields={"score": []})
    if Rating.objects.filter(deal=deal, side=side).exists():
        raise ApplicationError(_("You have already rated this deal."), code="already_rated", status_code=409)
    rating = Rating.objects.create(deal=deal, side=side, author=user, score=score, comment=comment.strip())
    if side == Side.BRAND:  # the brand rates the creator
        Listing.objects.filter(creator_id=deal.creator_id).update(
            rating_sum=F("rating_sum") + score, rating_count=F("rating_count") + 1
        )
    else:
        Brand.objects.filter(pk=deal.brand_id).update(
            rating_sum=F("rating_sum") + score, rating_count=F("rating_count") + 1
        )
    _event(deal, DealEventKind.RATED, user, side=side, score=score)
    return rating


def deal_get_participant(*, deal_id: int, user: User) -> Deal:
    """Helper for writes addressed by id: the deal if the user takes part in it, else 404."""
    deal = Deal.objects.select_related("brand", "creator__user", "payment").filter(pk=deal_id).first()
    if deal is None:
        raise NotFoundError()
    side_of(obj=deal, user=user)
    return deal
