"""Web pages of the marketplace: brand and creator dashboards, discovery, negotiations and deals.

Actions are POST forms (CSRF) that call one service and redirect; a service's refusal comes
back as a message on the page it was sent from.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import ApplicationError, NotFoundError
from common.forms import form_save
from common.money import Money
from common.security import rate_limit
from creators.selectors import post_list_for_creator, user_from_request
from marketplace import selectors
from marketplace.access import brand_role_of, side_of
from marketplace.brand_home import brand_home_get
from marketplace.enums import BrandRole, DealStatus, Side
from marketplace.forms import (
    ApplyForm,
    BrandForm,
    BrandLogoForm,
    CampaignForm,
    CounterForm,
    InvitationForm,
    ListingForm,
    MessageForm,
    OfferForm,
    RatingForm,
    ReasonForm,
    RevisionForm,
    SavedListForm,
    SearchForm,
    SubmitForm,
    csv_codes,
)
from marketplace.models import Brand, Deal
from marketplace.services import brands as brand_services
from marketplace.services import deals as deal_services
from marketplace.services import listings as listing_services
from marketplace.services import negotiations as negotiation_services

SEARCH_LIMIT = 50
# Offers, counter-offers and applications share one budget per user (POSTs only).
_offer_limit = rate_limit(group="offer-create", setting="RATELIMIT_OFFER_CREATE", key="user_or_ip")


def _not_found_as_404(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFoundError:
            raise Http404 from None

    return login_required(wrapper)


def _action(request: HttpRequest, call: Callable[[], object], *, success: str, back: str) -> HttpResponse:
    """Run one service call for a POSTed action; show its refusal as an error message."""
    try:
        call()
    except NotFoundError:
        raise Http404 from None
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect(back)


# ---------------------------------------------------------------- entry and brands


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    brand = selectors.brand_list_for_user(user=user).first()
    if brand is not None:
        return redirect("marketplace:brand-dashboard", brand_id=brand.pk)
    if user.is_creator:
        return redirect("marketplace:creator-dashboard")
    return redirect("marketplace:brand-create")


@login_required
def brand_create_view(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    form = BrandForm(request.POST or None, request.FILES or None)

    def create(data: dict) -> Brand:
        logo = data.pop("logo", None)
        with transaction.atomic():  # a refused logo leaves no brand behind
            brand = brand_services.brand_create(user=user, **data)
            if logo:
                brand_services.brand_logo_set(brand=brand, user=user, upload=logo)
        return brand

    brand = form_save(request, form, create, success=_("Brand created."))
    if brand is not None:
        return redirect("marketplace:brand-dashboard", brand_id=brand.pk)
    return render(request, "marketplace/brand_form.html", {"form": form})


@_not_found_as_404
@require_POST
def brand_logo_view(request: HttpRequest, brand_id: int) -> HttpResponse:
    user = user_from_request(request)
    brand = selectors.brand_get_for_member(brand_id=brand_id, user=user)
    form = BrandLogoForm(request.POST, request.FILES)
    form_save(
        request,
        form,
        lambda data: brand_services.brand_logo_set(brand=brand, user=user, upload=data["logo"]),
        success=_("Logo updated."),
    )
    for message in form.errors.get("logo", []) + form.non_field_errors():
        messages.error(request, message)
    return redirect("marketplace:brand-dashboard", brand_id=brand.pk)


@_not_found_as_404
def brand_dashboard(request: HttpRequest, brand_id: int) -> HttpResponse:
    user = user_from_request(request)
    brand = selectors.brand_get_for_member(brand_id=brand_id, user=user)
    invite = InvitationForm(request.POST or None)
    if form_save(
        request,
        invite,
        lambda data: brand_services.brand_invitation_create(brand=brand, user=user, **data),
        success=_("Invitation sent."),
    ):
        return redirect("marketplace:brand-dashboard", brand_id=brand.pk)
    context = {
        "brand": brand,
        "role": brand_role_of(brand=brand, user=user),
        "members": selectors.membership_list(brand=brand),
        "invite_form": invite,
        "list_form": SavedListForm(),
        "logo_form": BrandLogoForm(),
        # The brand home (marketplace.brand_home): spend, deals needing action, affiliate sales.
        "home": brand_home_get(brand=brand),
        **selectors.brand_dashboard(brand=brand),
    }
    return render(request, "marketplace/brand_dashboard.html", context)


@_not_found_as_404
@require_POST
def saved_list_create_view(request: HttpRequest, brand_id: int) -> HttpResponse:
    user = user_from_request(request)
    brand = selectors.brand_get_for_member(brand_id=brand_id, user=user)
    form = SavedListForm(request.POST)
    back = request.POST.get("next") or reverse("marketplace:brand-dashboard", args=[brand.pk])
    if not form.is_valid():
        messages.error(request, _("Name the list."))
        return redirect(back)
    return _action(
        request,
        lambda: negotiation_services.saved_list_create(
            brand=brand, user=user, name=form.cleaned_data["name"]
        ),
        success=_("List saved."),
        back=back,
    )


@_not_found_as_404
@require_POST
def saved_list_add_view(request: HttpRequest, brand_id: int, listing_id: int) -> HttpResponse:
    user = user_from_request(request)
    saved = selectors.saved_list_get_for_user(list_id=int(request.POST.get("list_id") or 0), user=user)
    listing = selectors.listing_get_public(listing_id=listing_id)
    return _action(
        request,
        lambda: negotiation_services.saved_list_add(saved_list=saved, user=user, listing=listing),
        success=_("Saved to %(list)s.") % {"list": saved.name},
        back=reverse("marketplace:creator-profile", args=[brand_id, listing_id]),
    )


@login_required
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    user = user_from_request(request)
    if request.method == "POST":
        try:
            membership = brand_services.brand_invitation_accept(token=token, user=user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Welcome to %(brand)s.") % {"brand": membership.brand.name})
            return redirect("marketplace:brand-dashboard", brand_id=membership.brand_id)
    return render(request, "marketplace/invitation_accept.html", {"token": token})


# ---------------------------------------------------------------- discovery


@_not_found_as_404
def discover(request: HttpRequest, brand_id: int) -> HttpResponse:
    brand = selectors.brand_get_for_member(brand_id=brand_id, user=user_from_request(request))
    form = SearchForm(request.GET or None)
    results, error = [], ""
    if form.is_valid() or not request.GET:
        data = {
            key: value
            for key, value in (form.cleaned_data if request.GET else {}).items()
            if value not in (None, "")
        }
        try:
            results = list(selectors.listing_search(filters=selectors.SearchFilters(**data))[:SEARCH_LIMIT])
        except ApplicationError as exc:
            error = exc.message
    return render(
        request,
        "marketplace/discover.html",
        {"brand": brand, "form": form, "results": results, "error": error},
    )


@_not_found_as_404
@_offer_limit
def creator_profile(request: HttpRequest, brand_id: int, listing_id: int) -> HttpResponse:
    user = user_from_request(request)
    brand = selectors.brand_get_for_member(brand_id=brand_id, user=user)
    listing = selectors.listing_get_public(listing_id=listing_id)
    form = OfferForm(request.POST or None, initial={"currency": listing.currency})
    negotiation = form_save(
        request,
        form,
        lambda data: negotiation_services.offer_send(
            brand=brand,
            user=user,
            creator=listing.creator,
            amount=Money(data["amount_minor"], data["currency"]),
            deliverables=[
                {"format": data["format"], "count": data["count"], "due_date": data["due_date"].isoformat()}
            ],
            usage_days=data["usage_days"],
            message=data["message"],
        ),
        success=_("Offer sent."),
    )
    if negotiation is not None:
        return redirect("marketplace:negotiation", negotiation_id=negotiation.pk)
    stats = {
        fmt: selectors.price_percentiles(
            format=fmt, band=listing.follower_band, country=listing.country, currency=listing.currency
        )
        for fmt, rate in listing.rate_card.items()
        if rate is not None
    }
    return render(
        request,
        "marketplace/creator_profile.html",
        {
            "brand": brand,
            "listing": listing,
            "form": form,
            "stats": stats,
            "lists": selectors.saved_list_list(brand=brand),
        },
    )


# ---------------------------------------------------------------- campaigns


@_not_found_as_404
def campaign_new(request: HttpRequest, brand_id: int) -> HttpResponse:
    user = user_from_request(request)
    brand = selectors.brand_get_for_member(brand_id=brand_id, user=user)
    form = CampaignForm(request.POST or None)
    campaign = form_save(
        request,
        form,
        lambda data: negotiation_services.campaign_create(
            brand=brand,
            user=user,
            title=data["title"],
            description=data["description"],
            deliverables=[
                {"format": data["format"], "count": data["count"], "due_date": data["due_date"].isoformat()}
            ],
            currency=data["currency"],
            budget_min_minor=data["budget_min_minor"],
            budget_max_minor=data["budget_max_minor"],
            visibility=data["visibility"],
            countries=csv_codes(data["countries"]),
            niches=data["niches"],
            usage_days=data["usage_days"],
            disclosure_required=data["disclosure_required"],
        ),
        success=_("Campaign published."),
    )
    if campaign is not None:
        return redirect("marketplace:brand-dashboard", brand_id=brand.pk)
    return render(request, "marketplace/campaign_form.html", {"brand": brand, "form": form})


@_not_found_as_404
@_offer_limit
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    user = user_from_request(request)
    campaign = selectors.campaign_get_visible(campaign_id=campaign_id, user=user)
    listing = selectors.listing_get_for_creator(creator=user.creator_profile) if user.is_creator else None
    form = ApplyForm(
        request.POST or None, initial={"currency": listing.currency if listing else campaign.currency}
    )
    negotiation = form_save(
        request,
        form,
        lambda data: negotiation_services.application_create(
            campaign=campaign,
            user=user,
            amount=Money(data["amount_minor"], data["currency"]),
            pitch=data["pitch"],
        ),
        success=_("Application sent."),
    )
    if negotiation is not None:
        return redirect("marketplace:negotiation", negotiation_id=negotiation.pk)
    return render(
        request,
        "marketplace/campaign_detail.html",
        {"campaign": campaign, "form": form, "can_apply": user.is_creator},
    )


# ---------------------------------------------------------------- creators


@login_required
def creator_dashboard(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    if not user.is_creator:
        return redirect("marketplace:home")
    creator = user.creator_profile
    context = {
        "listing": selectors.listing_get_for_creator(creator=creator),
        **selectors.creator_dashboard(creator=creator),
    }
    return render(request, "marketplace/creator_dashboard.html", context)


@login_required
def listing_edit(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    if not user.is_creator:
        raise Http404
    creator = user.creator_profile
    listing = selectors.listing_get_for_creator(creator=creator)
    initial = {"currency": "USD", "languages": ",".join(creator.languages), "niches": creator.niches}
    if listing is not None:
        initial = {
            "is_listed": listing.is_listed,
            "currency": listing.currency,
            "rate_reel": listing.rate_reel_minor,
            "rate_carousel": listing.rate_carousel_minor,
            "rate_standard": listing.rate_standard_minor,
            "niches": listing.niches,
            "languages": ",".join(listing.languages),
            "audience_countries": ",".join(listing.audience_countries),
            "availability": listing.availability,
            "showcased_post_ids": [str(p.pk) for p in listing.showcased_posts.all()],
        }
    form = ListingForm(
        request.POST or None, initial=initial, posts=post_list_for_creator(creator=creator)[:30]
    )
    saved = form_save(
        request,
        form,
        lambda data: listing_services.listing_upsert(
            creator=creator,
            is_listed=data["is_listed"],
            currency=data["currency"],
            rates={
                "reel": data["rate_reel"],
                "carousel": data["rate_carousel"],
                "standard": data["rate_standard"],
            },
            niches=data["niches"],
            languages=csv_codes(data["languages"]),
            audience_countries=csv_codes(data["audience_countries"]),
            availability=data["availability"],
            showcased_post_ids=[int(pk) for pk in data["showcased_post_ids"]],
        ),
        success=_("Marketplace profile saved."),
    )
    if saved is not None:
        return redirect("marketplace:creator-dashboard")
    return render(request, "marketplace/listing_form.html", {"form": form, "listing": listing})


# ---------------------------------------------------------------- negotiations


@_not_found_as_404
@_offer_limit
def negotiation_detail(request: HttpRequest, negotiation_id: int) -> HttpResponse:
    user = user_from_request(request)
    negotiation = selectors.negotiation_get_for_user(negotiation_id=negotiation_id, user=user)
    side = side_of(obj=negotiation, user=user)
    offers = list(negotiation.offers.all())
    current = next((offer for offer in offers if offer.status == "open"), None)
    form = CounterForm(request.POST or None, initial={"currency": current.currency if current else ""})
    if form_save(
        request,
        form,
        lambda data: negotiation_services.offer_counter(
            negotiation=negotiation,
            user=user,
            amount=Money(data["amount_minor"], data["currency"]),
            message=data["message"],
        ),
        success=_("Counter-offer sent."),
    ):
        return redirect("marketplace:negotiation", negotiation_id=negotiation.pk)
    # The market's prices next to every offer (one lookup per format: band and country are the
    # creator's, the same for every round).
    by_format: dict[str, dict | None] = {}
    for offer in offers:
        fmt = offer.deliverables[0]["format"] if offer.deliverables else ""
        if fmt not in by_format:
            by_format[fmt] = selectors.price_percentiles_for_offer(
                negotiation=negotiation, deliverables=offer.deliverables
            )
        offer.market = by_format[fmt]
    stats = offers[-1].market if offers else None
    deal = Deal.objects.filter(negotiation=negotiation).first()
    return render(
        request,
        "marketplace/negotiation.html",
        {
            "negotiation": negotiation,
            "offers": offers,
            "current": current,
            "my_turn": current is not None and current.side != side,
            "form": form,
            "stats": stats,
            "deal": deal,
        },
    )


@_not_found_as_404
@require_POST
def negotiation_accept(request: HttpRequest, negotiation_id: int) -> HttpResponse:
    user = user_from_request(request)
    negotiation = selectors.negotiation_get_for_user(negotiation_id=negotiation_id, user=user)
    try:
        deal = negotiation_services.offer_accept(negotiation=negotiation, user=user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("marketplace:negotiation", negotiation_id=negotiation.pk)
    messages.success(request, _("Offer accepted: the deal is waiting for the brand's payment."))
    return redirect("marketplace:deal", deal_id=deal.pk)


@_not_found_as_404
@require_POST
def negotiation_decline(request: HttpRequest, negotiation_id: int) -> HttpResponse:
    user = user_from_request(request)
    negotiation = selectors.negotiation_get_for_user(negotiation_id=negotiation_id, user=user)
    return _action(
        request,
        lambda: negotiation_services.offer_decline(negotiation=negotiation, user=user),
        success=_("Offer declined."),
        back=reverse("marketplace:negotiation", args=[negotiation.pk]),
    )


# ---------------------------------------------------------------- deals


@_not_found_as_404
def deal_detail(request: HttpRequest, deal_id: int) -> HttpResponse:
    user = user_from_request(request)
    deal = selectors.deal_get_for_user(deal_id=deal_id, user=user)
    side = side_of(obj=deal, user=user)
    message_form = MessageForm(request.POST or None)
    if form_save(
        request,
        message_form,
        lambda data: deal_services.message_post(deal=deal, user=user, **data),
        success=_("Message sent."),
    ):
        return redirect("marketplace:deal", deal_id=deal.pk)
    context = {
        "deal": deal,
        "side": side,
        "is_owner": side == Side.BRAND and brand_role_of(brand=deal.brand, user=user) == BrandRole.OWNER,
        "deliverables": deal.deliverables.all(),
        "thread": selectors.deal_thread(deal=deal),
        "message_form": message_form,
        "submit_form": SubmitForm(),
        "revision_form": RevisionForm(),
        "reason_form": ReasonForm(),
        "rating_form": RatingForm(),
        "rated": deal.ratings.filter(side=side).exists(),
        "can_rate": deal.status in (DealStatus.COMPLETED, DealStatus.RESOLVED),
        "funded": request.GET.get("funded") == "1",
    }
    return render(request, "marketplace/deal_detail.html", context)


@_not_found_as_404
@require_POST
def deal_fund(request: HttpRequest, deal_id: int) -> HttpResponse:
    user = user_from_request(request)
    deal = selectors.deal_get_for_user(deal_id=deal_id, user=user)
    back = request.build_absolute_uri(reverse("marketplace:deal", args=[deal.pk]))
    try:
        started = deal_services.deal_fund_start(
            deal=deal, user=user, channel="web", success_url=f"{back}?funded=1", cancel_url=back
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("marketplace:deal", deal_id=deal.pk)
    return redirect(started["checkout_url"])


def _deal_action(name: str) -> Callable[..., HttpResponse]:
    """A POST action on a deal, named after the service it calls."""

    @_not_found_as_404
    @require_POST
    def view(request: HttpRequest, deal_id: int) -> HttpResponse:
        user = user_from_request(request)
        deal = selectors.deal_get_for_user(deal_id=deal_id, user=user)
        post = request.POST
        calls: dict[str, tuple[Callable[[], object], str]] = {
            "cancel": (
                lambda: deal_services.deal_cancel(deal=deal, user=user, reason=post.get("reason", "")),
                _("Deal cancelled."),
            ),
            "dispute": (
                lambda: deal_services.dispute_open(deal=deal, user=user, reason=post.get("reason", "")),
                _("Dispute opened: staff will settle the deal."),
            ),
            "rate": (
                lambda: deal_services.rating_create(
                    deal=deal, user=user, score=int(post.get("score") or 0), comment=post.get("comment", "")
                ),
                _("Thank you for rating."),
            ),
        }
        call, success = calls[name]
        return _action(request, call, success=success, back=reverse("marketplace:deal", args=[deal.pk]))

    return view


def _deliverable_action(name: str) -> Callable[..., HttpResponse]:
    """A POST action on one of a deal's deliverables, named after the service it calls."""

    @_not_found_as_404
    @require_POST
    def view(request: HttpRequest, deal_id: int, deliverable_id: int) -> HttpResponse:
        user = user_from_request(request)
        deal = selectors.deal_get_for_user(deal_id=deal_id, user=user)
        item = deal.deliverables.filter(pk=deliverable_id).first()
        if item is None:
            raise Http404
        post = request.POST
        calls: dict[str, tuple[Callable[[], object], str]] = {
            "submit": (
                lambda: deal_services.deliverable_submit(
                    deliverable=item, user=user, post_url=post.get("post_url", "")
                ),
                _("Deliverable submitted."),
            ),
            "approve": (
                lambda: deal_services.deliverable_approve(deliverable=item, user=user),
                _("Deliverable approved: its share is released."),
            ),
            "revision": (
                lambda: deal_services.deliverable_request_revision(
                    deliverable=item, user=user, note=post.get("note", "")
                ),
                _("Revision requested."),
            ),
        }
        call, success = calls[name]
        return _action(request, call, success=success, back=reverse("marketplace:deal", args=[deal.pk]))

    return view


deliverable_submit_view = _deliverable_action("submit")
deliverable_approve_view = _deliverable_action("approve")
deliverable_revision_view = _deliverable_action("revision")
deal_cancel_view = _deal_action("cancel")
deal_dispute_view = _deal_action("dispute")
deal_rate_view = _deal_action("rate")
