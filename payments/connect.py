"""Stripe Connect Express accounts: creation, onboarding links and the status Stripe reports.

Money moves to a party only once Stripe says its account has ``charges_enabled`` and
``payouts_enabled`` (DESIGN.md, "Payments flow"); account.updated webhooks keep those flags,
and an older event delivered late never overwrites a newer one.
"""

import logging
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from payments import gateway
from payments.models import ConnectedAccount, WebhookEvent, party_for_user
from payments.webhooks import WebhookEventIgnored

if TYPE_CHECKING:
    from creators.models import User

logger = logging.getLogger(__name__)


def connected_account_get_or_create(*, party: str, country: str, email: str) -> ConnectedAccount:
    """The party's ConnectedAccount, with its Stripe Express account created if missing.

    The row is created (and, outside a caller's transaction, committed) before Stripe is
    called, and the call's idempotency key is derived from it, so a retry never makes a
    second Stripe account. An existing row keeps its country and email.
    """
    connected, _created = ConnectedAccount.objects.get_or_create(
        party=party, defaults={"country": country.strip().upper(), "email": email}
    )
    if connected.stripe_account_id:
        return connected
    account = gateway.account_create(connected=connected)
    # Only if still empty: a concurrent call got the same account (same idempotency key).
    ConnectedAccount.objects.filter(pk=connected.pk, stripe_account_id__isnull=True).update(
        stripe_account_id=account.id, updated_at=timezone.now()
    )
    connected.refresh_from_db()
    return connected


def onboarding_link_create(
    *, user: "User | AnonymousUser", refresh_url: str, return_url: str, request_key: str
) -> str:
    """A fresh, single-use link to Stripe's hosted onboarding for a creator's payouts.

    Refuses anyone without a creator profile (``not_a_creator``, 403). Creates the creator's
    Connect account on first use (country from the creator profile). ``request_key`` names the
    request (its Idempotency-Key, or a new value per click): a retried request gets the same link.
    """
    profile = getattr(user, "creator_profile", None) if user.is_authenticated else None
    if profile is None:
        raise ApplicationError(_("Only creators can set up payouts."), code="not_a_creator", status_code=403)
    connected = connected_account_get_or_create(
        party=party_for_user(profile.user), country=profile.country, email=profile.user.email
    )
    link = gateway.account_link_create(
        connected=connected, refresh_url=refresh_url, return_url=return_url, request_key=request_key
    )
    return link.url


def connected_account_ready_for(*, party: str) -> ConnectedAccount | None:
    """The party's Connect account if Stripe lets it receive money (charges and payouts enabled)."""
    return ConnectedAccount.objects.filter(
        party=party, stripe_account_id__isnull=False, charges_enabled=True, payouts_enabled=True
    ).first()


# ---------------------------------------------------------------- webhook handler


def handle_account_updated(event: WebhookEvent, data: dict[str, Any]) -> None:
    """account.updated: copy Stripe's flags and requirements onto the ConnectedAccount.

    Applied only when the event is newer than the last one applied (``status_observed_at``).
    Stripe's timestamps are whole seconds, so two updates can share one: on a tie the account
    is read from Stripe, which is newer than both. An account we do not know is ignored.
    """
    with transaction.atomic():
        connected = _connected_for(data)
        observed = connected.status_observed_at
        if observed is not None and event.stripe_created < observed:
            logger.info("account.updated %s older than the state applied: skipped", event.stripe_event_id)
            return
        if observed is not None and event.stripe_created == observed:
            data = gateway.account_retrieve(data["id"]).to_dict()
        requirements = data.get("requirements") or {}
        connected.charges_enabled = bool(data.get("charges_enabled"))
        connected.payouts_enabled = bool(data.get("payouts_enabled"))
        connected.details_submitted = bool(data.get("details_submitted"))
        connected.requirements_due = sorted(
            set(requirements.get("currently_due") or []) | set(requirements.get("past_due") or [])
        )
        connected.status_observed_at = event.stripe_created
        connected.save(
            update_fields=[
                "charges_enabled",
                "payouts_enabled",
                "details_submitted",
                "requirements_due",
                "status_observed_at",
                "updated_at",
            ]
        )


def _connected_for(data: dict[str, Any]) -> ConnectedAccount:
    """The ConnectedAccount of a Stripe account, row-locked; by id, else by the metadata we gave
    Stripe when our save of the id has not committed yet."""
    account_id = data.get("id")
    found = ConnectedAccount.objects.select_for_update().filter(stripe_account_id=account_id).first()
    metadata = data.get("metadata") or {}
    if found is None and str(metadata.get("connected_account_id", "")).isdigit():
        found = (
            ConnectedAccount.objects.select_for_update()
            .filter(pk=int(metadata["connected_account_id"]), party=metadata.get("party"))
            .filter(stripe_account_id__isnull=True)
            .first()
        )
        if found is not None:
            found.stripe_account_id = account_id
            found.save(update_fields=["stripe_account_id", "updated_at"])
    if found is None:
        raise WebhookEventIgnored(f"no connected account for {account_id}")
    return found
