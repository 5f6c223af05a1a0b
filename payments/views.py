"""The creator's Earnings page and payout setup."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from creators.selectors import user_from_request
from payments.connect import onboarding_link_create
from payments.earnings import (
    connected_account_for_party,
    earnings_for_party,
    payouts_for_party,
    recent_entries_for_party,
)
from payments.models import party_for_user


@login_required
def earnings(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    party = party_for_user(user)
    if request.GET.get("setup") == "done":
        messages.info(request, _("Thanks! Stripe is checking your details; payouts start once they confirm."))
    return render(
        request,
        "payments/earnings.html",
        {
            "summaries": earnings_for_party(party=party),
            "connected": connected_account_for_party(party=party),
            "entries": recent_entries_for_party(party=party),
            "payouts": payouts_for_party(party=party)[:10],
            "is_creator": user.is_creator,
        },
    )


@login_required
def onboarding(request: HttpRequest) -> HttpResponse:
    """Send the creator to Stripe's hosted payout setup with a fresh single-use link.

    A GET as well as a POST: Stripe sends people back here (its refresh_url) when a link
    has expired or was already used, and a new link is all that is needed then.
    """
    user = user_from_request(request)
    if not user.is_creator:
        messages.error(request, _("Become a creator first, then set up payouts."))
        return redirect("creators:start")
    try:
        url = onboarding_link_create(
            user=user,
            refresh_url=request.build_absolute_uri(reverse("payments:onboarding")),
            return_url=request.build_absolute_uri(reverse("payments:earnings")) + "?setup=done",
            request_key=uuid.uuid4().hex,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("payments:earnings")
    return redirect(url)
