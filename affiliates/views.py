"""Web pages: the creator's affiliate dashboard and marketplace, and the seller's affiliate programme."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from affiliates.charts import clicks_chart_svg, commissions_chart_svg
from affiliates.forms import OfferFilterForm, OfferForm
from affiliates.selectors import (
    affiliate_overview,
    commission_display_status,
    commission_list_for_seller,
    membership_get_for_affiliate,
    membership_get_for_seller,
    membership_list_for_seller,
    offer_get_for_seller,
    offer_get_joinable,
    offer_list_for_seller,
    offer_list_marketplace,
    seller_shop,
)
from affiliates.services import (
    membership_approve,
    membership_decline,
    membership_join,
    membership_leave,
    membership_remove,
    offer_create,
    offer_set_status,
    offer_update,
)
from common.errors import ApplicationError, NotFoundError
from common.security import rate_limit
from creators.selectors import creator_get_for_user, user_from_request
from shops.enums import ProductStatus

MARKETPLACE_LIMIT = 50


def _creator(request: HttpRequest):
    creator = creator_get_for_user(user=user_from_request(request))
    if creator is None:
        raise Http404
    return creator


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    creator = _creator(request)
    overview = affiliate_overview(affiliate=creator)
    for commission in overview.commissions:
        commission.display_status = commission_display_status(commission)  # type: ignore[attr-defined]
    return render(
        request,
        "affiliates/dashboard.html",
        {
            "overview": overview,
            "chart": clicks_chart_svg(overview.days, title=_("Clicks by day, last 30 days")),
            "commission_chart": (
                commissions_chart_svg(
                    overview.commission_days,
                    currency=overview.commission_currency,
                    title=_("Commissions by day, last 30 days"),
                )
                if overview.commission_currency
                else ""
            ),
            "link_base": request.build_absolute_uri("/r/"),
        },
    )


@login_required
def marketplace(request: HttpRequest) -> HttpResponse:
    _creator(request)
    form = OfferFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    offers = offer_list_marketplace(
        q=data.get("q") or "",
        category=data.get("category") or "",
        country=data.get("country") or "",
        currency=data.get("currency") or "",
        min_rate_bps=data["min_rate"] * 100 if data.get("min_rate") else None,
        sort=data.get("sort") or "newest",
    )[:MARKETPLACE_LIMIT]
    return render(request, "affiliates/marketplace.html", {"form": form, "offers": offers})


@login_required
@require_POST
def join(request: HttpRequest, offer_id: int) -> HttpResponse:
    creator = _creator(request)
    try:
        membership = membership_join(offer=offer_get_joinable(offer_id=offer_id), affiliate=creator)
    except NotFoundError as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("affiliates:marketplace")
    if membership.status == "active":
        messages.success(request, _("You joined: your link is ready."))
    else:
        messages.success(request, _("Request sent: the seller will approve or decline it."))
    return redirect("affiliates:dashboard")


@login_required
@require_POST
def leave(request: HttpRequest, membership_id: int) -> HttpResponse:
    try:
        membership = membership_get_for_affiliate(affiliate=_creator(request), membership_id=membership_id)
        membership_leave(membership=membership)
    except NotFoundError as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("affiliates:dashboard")


# ---------------------------------------------------------------- the seller


def _shop(request: HttpRequest):
    try:
        return seller_shop(user=user_from_request(request))
    except NotFoundError as exc:
        raise Http404 from exc


@login_required
@rate_limit(group="offer-create", setting="RATELIMIT_OFFER_CREATE", key="user_or_ip")
def seller(request: HttpRequest) -> HttpResponse:
    shop = _shop(request)
    products = shop.products.filter(status=ProductStatus.ACTIVE).order_by("title")
    form = OfferForm(request.POST or None, products=products)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            offer_create(
                shop=shop,
                product=products.filter(pk=data["product"]).first() if data["product"] else None,
                **form.terms(),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your offer is in the marketplace."))
            return redirect("affiliates:seller")
    return render(
        request,
        "affiliates/seller.html",
        {
            "shop": shop,
            "form": form,
            "offers": offer_list_for_seller(shop=shop),
            "memberships": membership_list_for_seller(shop=shop),
            "commissions": commission_list_for_seller(shop=shop)[:100],
        },
        status=400 if form.errors else 200,
    )


@login_required
def offer_edit(request: HttpRequest, offer_id: int) -> HttpResponse:
    """Change an offer's terms (the product stays; commissions already made keep their terms)."""
    try:
        offer = offer_get_for_seller(shop=_shop(request), offer_id=offer_id)
    except NotFoundError as exc:
        raise Http404 from exc
    initial = {
        "rate_percent": offer.rate_bps / 100,
        "window_days": offer.window_days,
        "join_mode": offer.join_mode,
        "code_discount_percent": offer.code_discount_bps // 100,
        "description": offer.description,
    }
    form = OfferForm(request.POST or None, initial=initial)
    del form.fields["product"]
    if request.method == "POST" and form.is_valid():
        try:
            offer_update(offer=offer, **form.terms())
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Offer updated."))
            return redirect("affiliates:seller")
    return render(
        request,
        "affiliates/offer_edit.html",
        {"offer": offer, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def offer_status(request: HttpRequest, offer_id: int) -> HttpResponse:
    try:
        offer = offer_get_for_seller(shop=_shop(request), offer_id=offer_id)
        offer_set_status(offer=offer, status=request.POST.get("status", ""))
    except NotFoundError as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("affiliates:seller")


DECISIONS = {"approve": membership_approve, "decline": membership_decline, "remove": membership_remove}


@login_required
@require_POST
def membership_decide(request: HttpRequest, membership_id: int, decision: str) -> HttpResponse:
    if decision not in DECISIONS:
        raise Http404
    try:
        membership = membership_get_for_seller(shop=_shop(request), membership_id=membership_id)
        DECISIONS[decision](membership=membership, actor=user_from_request(request))
    except NotFoundError as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("affiliates:seller") + "#affiliates")
