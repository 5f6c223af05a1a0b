"""Campaigns, saved lists, applications, offers and counter-offers, and acceptance into a deal."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ApplicationError, NotFoundError
from common.money import Money, charge_amount_validate, split_by_weights
from creators.enums import Niche, PostFormat
from creators.models import CreatorProfile, User
from marketplace.access import ANY_ROLE, brand_member_require, side_of
from marketplace.enums import (
    DEFAULT_USAGE_DAYS,
    CampaignStatus,
    CampaignVisibility,
    DealEventKind,
    NegotiationOrigin,
    NegotiationStatus,
    OfferStatus,
    Side,
)
from marketplace.models import (
    Brand,
    Campaign,
    Deal,
    DealEvent,
    Deliverable,
    Listing,
    Negotiation,
    Offer,
    SavedList,
    SavedListEntry,
)

MAX_DELIVERABLES = 20

# ---------------------------------------------------------------- shared validation


def deliverables_clean(raw: object, *, field: str = "deliverables") -> list[dict[str, Any]]:
    """[{"format", "count", "due_date"}] with known formats, 1..20 items, due dates in the future."""
    if not isinstance(raw, list) or not raw:
        raise ApplicationError(
            _("List at least one deliverable."), code="invalid_deliverables", fields={field: []}
        )
    cleaned, total = [], 0
    today = timezone.localdate()
    for item in raw:
        if not isinstance(item, dict):
            raise ApplicationError(
                _("Each deliverable is an object."), code="invalid_deliverables", fields={field: []}
            )
        fmt, count, due = item.get("format"), item.get("count", 1), item.get("due_date")
        if fmt not in PostFormat.values:
            raise ApplicationError(_("Unknown format."), code="invalid_deliverables", fields={field: []})
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ApplicationError(_("A count is a positive whole number."), code="invalid_deliverables")
        try:
            due_date = due if isinstance(due, date) else date.fromisoformat(str(due))
        except ValueError:
            raise ApplicationError(
                _("A due date is YYYY-MM-DD."), code="invalid_deliverables", fields={field: []}
            ) from None
        if due_date <= today:
            raise ApplicationError(
                _("Due dates must be in the future."), code="due_date_past", fields={field: []}
            )
        total += count
        cleaned.append({"format": fmt, "count": count, "due_date": due_date.isoformat()})
    if total > MAX_DELIVERABLES:
        raise ApplicationError(
            _("At most %(max)d deliverables per deal.") % {"max": MAX_DELIVERABLES},
            code="invalid_deliverables",
        )
    return cleaned


def _usage_clean(usage_days: int | None, usage_fee_minor: int) -> tuple[int | None, int]:
    # Usage rights are limited (30 days by default); perpetual rights only when paid for.
    if usage_days is None and usage_fee_minor <= 0:
        raise ApplicationError(
            _("Perpetual usage rights must be paid for: give a usage fee or a duration."),
            code="perpetual_usage_unpaid",
            fields={"usage_days": []},
        )
    if usage_days is not None and usage_days < 1:
        raise ApplicationError(
            _("Usage rights last at least one day."), code="invalid", fields={"usage_days": []}
        )
    if usage_fee_minor < 0:
        raise ApplicationError(_("A usage fee is not negative."), code="invalid")
    return usage_days, usage_fee_minor


# ---------------------------------------------------------------- campaigns


@transaction.atomic
def campaign_create(
    *,
    brand: Brand,
    user: User,
    title: str,
    description: str,
    deliverables: list[dict[str, Any]],
    currency: str,
    budget_min_minor: int,
    budget_max_minor: int,
    visibility: str = CampaignVisibility.PUBLIC,
    countries: Iterable[str] = (),
    niches: Iterable[str] = (),
    usage_days: int | None = DEFAULT_USAGE_DAYS,
    usage_fee_minor: int = 0,
    disclosure_required: bool = True,
) -> Campaign:
    """Publish a campaign brief (any brand member). Refuses a budget range that is empty or below
    the currency minimum (``invalid_budget``, ``amount_below_minimum``), bad deliverables and unpaid
    perpetual usage (``perpetual_usage_unpaid``)."""
    brand_member_require(brand=brand, user=user, roles=ANY_ROLE)
    if not title.strip():
        raise ApplicationError(
            _("A campaign needs a title."), code="invalid", fields={"title": [_("Required.")]}
        )
    charge_amount_validate(Money(budget_min_minor, currency))
    if budget_max_minor < budget_min_minor:
        raise ApplicationError(
            _("The budget range is empty."), code="invalid_budget", fields={"budget_max_minor": []}
        )
    if visibility not in CampaignVisibility.values:
        raise ApplicationError(_("Unknown visibility."), code="invalid", fields={"visibility": []})
    niche_list = [n for n in dict.fromkeys(niches)]
    if set(niche_list) - set(Niche.values):
        raise ApplicationError(_("Unknown niche."), code="invalid", fields={"niches": []})
    usage_days, usage_fee_minor = _usage_clean(usage_days, usage_fee_minor)
    return Campaign.objects.create(
        brand=brand,
        title=title.strip(),
        description=description,
        deliverables=deliverables_clean(deliverables),
        countries=[c.strip().upper() for c in countries],
        niches=niche_list,
        currency=Money(budget_min_minor, currency).currency,
        budget_min_minor=budget_min_minor,
        budget_max_minor=budget_max_minor,
        usage_days=usage_days,
        usage_fee_minor=usage_fee_minor,
        disclosure_required=disclosure_required,
        visibility=visibility,
        created_by=user,
    )


@transaction.atomic
def campaign_close(*, campaign: Campaign, user: User) -> Campaign:
    brand_member_require(brand=campaign.brand, user=user, roles=ANY_ROLE)
    campaign.status = CampaignStatus.CLOSED
    campaign.save(update_fields=["status", "updated_at"])
    return campaign


# ---------------------------------------------------------------- saved lists


@transaction.atomic
def saved_list_create(*, brand: Brand, user: User, name: str) -> SavedList:
    brand_member_require(brand=brand, user=user)
    name = name.strip()
    if not name:
        raise ApplicationError(_("A list needs a name."), code="invalid", fields={"name": [_("Required.")]})
    saved, _created = SavedList.objects.get_or_create(brand=brand, name=name, defaults={"created_by": user})
    return saved


@transaction.atomic
def saved_list_add(*, saved_list: SavedList, user: User, listing: Listing) -> SavedListEntry:
    """Save a listed creator to a list (idempotent)."""
    brand_member_require(brand=saved_list.brand, user=user)
    if not listing.is_listed:
        raise NotFoundError()
    entry, _created = SavedListEntry.objects.get_or_create(
        saved_list=saved_list, listing=listing, defaults={"added_by": user}
    )
    return entry


@transaction.atomic
def saved_list_remove(*, saved_list: SavedList, user: User, listing: Listing) -> None:
    brand_member_require(brand=saved_list.brand, user=user)
    SavedListEntry.objects.filter(saved_list=saved_list, listing=listing).delete()


# ---------------------------------------------------------------- negotiations


def _listing_for_deals(creator: CreatorProfile) -> Listing:
    listing = Listing.objects.filter(creator=creator).first()
    if listing is None or not listing.is_listed or creator.is_suspended:
        raise ApplicationError(
            _("This creator is not taking deals on the marketplace."),
            code="creator_not_listed",
            status_code=404,
        )
    return listing


def _price_check(amount: Money, listing: Listing) -> None:
    if amount.currency != listing.currency:
        raise ApplicationError(
            _("%(handle)s prices in %(currency)s: make the offer in that currency.")
            % {"handle": f"@{listing.handle}", "currency": listing.currency},
            code="currency_not_used",
            fields={"currency": []},
        )
    charge_amount_validate(amount)


def _offer_add(
    negotiation: Negotiation,
    *,
    side: str,
    author: User,
    amount: Money,
    deliverables: list[dict[str, Any]],
    usage_days: int | None,
    usage_fee_minor: int,
    message: str,
) -> Offer:
    if usage_fee_minor >= amount.amount_minor and usage_fee_minor > 0:
        raise ApplicationError(_("The usage fee is part of the price, and smaller."), code="invalid")
    return Offer.objects.create(
        negotiation=negotiation,
        side=side,
        author=author,
        amount_minor=amount.amount_minor,
        currency=amount.currency,
        deliverables=deliverables,
        usage_days=usage_days,
        usage_fee_minor=usage_fee_minor,
        message=message,
    )


@transaction.atomic
def application_create(
    *,
    campaign: Campaign,
    user: User,
    amount: Money,
    pitch: str = "",
    deliverables: list[dict[str, Any]] | None = None,
) -> Negotiation:
    """A creator applies to a public, open campaign with a price and a pitch (the first offer).

    Refuses an invite-only or closed campaign (``campaign_not_open``), a creator not listed
    (``creator_not_listed``), a price in another currency than the creator's
    (``currency_not_used``) or below the minimum (``amount_below_minimum``), a second open
    application (``already_applied``).
    """
    creator = getattr(user, "creator_profile", None)
    if creator is None:
        raise ApplicationError(_("Only creators apply to campaigns."), code="not_a_creator", status_code=403)
    if campaign.visibility != CampaignVisibility.PUBLIC or campaign.status != CampaignStatus.OPEN:
        raise ApplicationError(_("This campaign does not take applications."), code="campaign_not_open")
    listing = _listing_for_deals(creator)
    _price_check(amount, listing)
    try:
        with transaction.atomic():
            negotiation = Negotiation.objects.create(
                brand=campaign.brand,
                creator=creator,
                campaign=campaign,
                origin=NegotiationOrigin.APPLICATION,
                pitch=pitch,
            )
    except IntegrityError:
        raise ApplicationError(
            _("You have already applied to this campaign."), code="already_applied"
        ) from None
    _offer_add(
        negotiation,
        side=Side.CREATOR,
        author=user,
        amount=amount,
        deliverables=deliverables_clean(deliverables or campaign.deliverables),
        usage_days=campaign.usage_days,
        usage_fee_minor=campaign.usage_fee_minor,
        message=pitch,
    )
    return negotiation


@transaction.atomic
def offer_send(
    *,
    brand: Brand,
    user: User,
    creator: CreatorProfile,
    amount: Money,
    deliverables: list[dict[str, Any]],
    campaign: Campaign | None = None,
    usage_days: int | None = DEFAULT_USAGE_DAYS,
    usage_fee_minor: int = 0,
    message: str = "",
) -> Negotiation:
    """A brand member sends a creator an offer (for a campaign of the brand, or on its own)."""
    brand_member_require(brand=brand, user=user)
    if campaign is not None and campaign.brand_id != brand.pk:
        raise NotFoundError()
    listing = _listing_for_deals(creator)
    _price_check(amount, listing)
    usage_days, usage_fee_minor = _usage_clean(usage_days, usage_fee_minor)
    cleaned = deliverables_clean(deliverables)
    try:
        with transaction.atomic():
            negotiation = Negotiation.objects.create(
                brand=brand, creator=creator, campaign=campaign, origin=NegotiationOrigin.OFFER
            )
    except IntegrityError:
        raise ApplicationError(
            _("An offer for this campaign is already open with this creator."), code="already_negotiating"
        ) from None
    _offer_add(
        negotiation,
        side=Side.BRAND,
        author=user,
        amount=amount,
        deliverables=cleaned,
        usage_days=usage_days,
        usage_fee_minor=usage_fee_minor,
        message=message,
    )
    return negotiation


def _open_offer_for_reply(negotiation: Negotiation, user: User) -> tuple[Negotiation, Offer, str]:
    """Lock the negotiation, check it is open and that it is the user's turn to answer."""
    side = side_of(obj=negotiation, user=user)
    locked = Negotiation.objects.select_for_update().get(pk=negotiation.pk)
    if locked.status != NegotiationStatus.OPEN:
        raise ApplicationError(_("This negotiation is over."), code="negotiation_closed", status_code=409)
    offer = locked.offers.get(status=OfferStatus.OPEN)
    if offer.side == side:
        raise ApplicationError(
            _("The other side answers this offer: wait for their reply."),
            code="not_your_turn",
            status_code=409,
        )
    return locked, offer, side


@transaction.atomic
def offer_counter(
    *,
    negotiation: Negotiation,
    user: User,
    amount: Money,
    deliverables: list[dict[str, Any]] | None = None,
    usage_days: int | None = None,
    usage_fee_minor: int | None = None,
    message: str = "",
) -> Offer:
    """Answer the open offer with other terms; unspecified terms are carried over."""
    locked, current, side = _open_offer_for_reply(negotiation, user)
    _price_check(amount, _listing_for_deals(locked.creator))
    days = current.usage_days if usage_days is None and usage_fee_minor is None else usage_days
    fee = current.usage_fee_minor if usage_fee_minor is None else usage_fee_minor
    days, fee = _usage_clean(days, fee)
    cleaned = (
        deliverables_clean(deliverables)
        if deliverables is not None
        else deliverables_clean(current.deliverables)
    )
    now = timezone.now()
    current.status, current.responded_at, current.responded_by = OfferStatus.COUNTERED, now, user
    current.save(update_fields=["status", "responded_at", "responded_by"])
    offer = _offer_add(
        locked,
        side=side,
        author=user,
        amount=amount,
        deliverables=cleaned,
        usage_days=days,
        usage_fee_minor=fee,
        message=message,
    )
    locked.save(update_fields=["updated_at"])
    return offer


@transaction.atomic
def offer_decline(*, negotiation: Negotiation, user: User) -> Negotiation:
    locked, current, _side = _open_offer_for_reply(negotiation, user)
    current.status, current.responded_at, current.responded_by = OfferStatus.DECLINED, timezone.now(), user
    current.save(update_fields=["status", "responded_at", "responded_by"])
    locked.status = NegotiationStatus.DECLINED
    locked.save(update_fields=["status", "updated_at"])
    return locked


@transaction.atomic
def offer_accept(*, negotiation: Negotiation, user: User) -> Deal:
    """The other side accepts the open offer: a deal with its terms frozen, awaiting funding.

    The deal's deliverables each get an equal share of the price (split_by_weights: exact,
    largest remainder), the part of the escrow their approval releases.
    """
    locked, offer, _side = _open_offer_for_reply(negotiation, user)
    listing = _listing_for_deals(locked.creator)
    offer.status, offer.responded_at, offer.responded_by = OfferStatus.ACCEPTED, timezone.now(), user
    offer.save(update_fields=["status", "responded_at", "responded_by"])
    locked.status = NegotiationStatus.ACCEPTED
    locked.save(update_fields=["status", "updated_at"])
    campaign = locked.campaign
    terms = {
        "amount_minor": offer.amount_minor,
        "currency": offer.currency,
        "deliverables": offer.deliverables,
        "usage_days": offer.usage_days,
        "usage_fee_minor": offer.usage_fee_minor,
        "disclosure_required": campaign.disclosure_required if campaign else True,
        "campaign": {"id": campaign.pk, "title": campaign.title, "description": campaign.description}
        if campaign
        else None,
        "brand": {"id": locked.brand_id, "name": locked.brand.name},
        "creator": {"id": locked.creator_id, "handle": locked.creator.handle, "followers": listing.followers},
        "offer_id": offer.pk,
        "accepted_by": user.pk,
        "accepted_at": offer.responded_at.isoformat(),
    }
    deal = Deal.objects.create(
        brand=locked.brand,
        creator=locked.creator,
        negotiation=locked,
        offer=offer,
        campaign=campaign,
        terms=terms,
        amount_minor=offer.amount_minor,
        currency=offer.currency,
        follower_band=listing.follower_band,
        country=locked.creator.country,
    )
    items = [(spec["format"], spec["due_date"]) for spec in offer.deliverables for _i in range(spec["count"])]
    shares = split_by_weights(offer.amount, {position: 1 for position in range(len(items))})
    Deliverable.objects.bulk_create(
        Deliverable(
            deal=deal,
            position=position + 1,
            format=fmt,
            due_date=date.fromisoformat(due),
            share_minor=shares[position].amount_minor,
        )
        for position, (fmt, due) in enumerate(items)
    )
    DealEvent.objects.create(deal=deal, kind=DealEventKind.CREATED, actor=user, data={"offer_id": offer.pk})
    return deal
