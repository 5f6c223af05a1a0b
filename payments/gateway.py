"""The only module that calls the `stripe` SDK.

Every POST carries a deterministic Idempotency-Key derived from a database row committed
before the call (Payment, Refund, Payout, ConnectedAccount), so a retried call, by the SDK
or by a Celery retry, can never create a second object at Stripe. Stripe's errors become
either an ApplicationError with a clear code (the caller can do nothing but tell the person)
or a StripeTemporaryError (try again later: Celery tasks retry on it with backoff).
"""

import hashlib
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any, TypeVar

import stripe
from django.conf import settings
from django.utils.translation import gettext as _
from stripe._request_options import RequestOptions
from stripe.params import (
    AccountCreateParams,
    AccountLinkCreateParams,
    PaymentIntentCreateParams,
    PayoutCreateParams,
    PayoutListParams,
    RefundCreateParams,
    RefundListParams,
    TransferCreateParams,
    TransferListParams,
    TransferReversalCreateParams,
)
from stripe.params.checkout import SessionCreateParams

from common.errors import ApplicationError
from payments.models import ConnectedAccount, Payment, Payout, Refund

T = TypeVar("T")


class StripeTemporaryError(Exception):
    """Stripe could not be reached or asked us to slow down: the same call may succeed later."""


@lru_cache(maxsize=4)
def _client_for(api_key: str, api_base: str) -> stripe.StripeClient:
    # Two retries inside the SDK for network blips; it reuses the idempotency key we give it.
    return stripe.StripeClient(api_key, base_addresses={"api": api_base}, max_network_retries=2)


def client() -> stripe.StripeClient:
    return _client_for(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


# Stripe's error codes that mean "the connected account cannot receive money yet".
ACCOUNT_NOT_READY_CODES = frozenset(
    {
        "account_invalid",
        "insufficient_capabilities_for_transfer",
        "transfers_not_allowed",
        "payouts_not_allowed",
        "account_not_ready",
    }
)


def _call(operation: Callable[[], T]) -> T:
    """Run one SDK call, translating Stripe's errors into the two kinds callers handle."""
    try:
        return operation()
    except stripe.CardError as exc:
        raise ApplicationError(
            _("The card was declined: %(reason)s") % {"reason": exc.user_message or exc.code or "declined"},
            code=exc.code or "card_declined",
            status_code=402,
        ) from exc
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise StripeTemporaryError(str(exc)) from exc
    except stripe.APIError as exc:  # Stripe's own 5xx
        raise StripeTemporaryError(str(exc)) from exc
    except stripe.IdempotencyError as exc:
        if exc.code == "idempotency_key_in_use":  # the first request with this key is still running
            raise StripeTemporaryError(str(exc)) from exc
        # Same key, different parameters: a bug on our side, never retried into a second object.
        raise ApplicationError(
            _("A payment request conflicted with an earlier one."),
            code="idempotency_conflict",
            status_code=409,
        ) from exc
    except stripe.InvalidRequestError as exc:
        raise _invalid_request(exc) from exc


def _invalid_request(exc: stripe.InvalidRequestError) -> Exception:
    code = exc.code or "invalid_request"
    if code == "amount_too_small":
        return ApplicationError(
            _("The amount is below the minimum Stripe accepts for this currency."), code="amount_too_small"
        )
    if code == "balance_insufficient":
        # Charges become available at Stripe after a delay: the transfer will go through later.
        return StripeTemporaryError(str(exc))
    if code in ACCOUNT_NOT_READY_CODES:
        return ApplicationError(
            _("The payout account is not ready to receive money."), code="account_not_ready"
        )
    if code == "charge_already_refunded" or "refund" in code:
        return ApplicationError(
            _("Stripe refused the refund: %(reason)s") % {"reason": exc.user_message or code},
            code="refund_refused",
        )
    return ApplicationError(
        _("Stripe refused the request: %(reason)s") % {"reason": exc.user_message or code},
        code=f"stripe_{code}",
    )


# ---------------------------------------------------------------- charges


def payment_intent_create(
    *,
    payment: Payment,
    payment_method: str | None = None,
    confirm: bool = False,
    return_url: str | None = None,
) -> stripe.PaymentIntent:
    """A PaymentIntent for a Payment (mobile checkout); the app confirms it with the client secret."""
    params: PaymentIntentCreateParams = {
        "amount": payment.amount_minor,
        "currency": payment.currency.lower(),
        "metadata": {"payment_id": str(payment.pk), "reference": payment.reference},
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
    }
    if payment.payer_email:
        params["receipt_email"] = payment.payer_email
    if payment_method:
        params["payment_method"] = payment_method
    if confirm:
        params["confirm"] = True
        if return_url:
            params["return_url"] = return_url
    return _call(
        lambda: client().v1.payment_intents.create(
            params=params, options={"idempotency_key": payment.idempotency_key}
        )
    )


def payment_intent_retrieve(intent_id: str) -> stripe.PaymentIntent:
    return _call(lambda: client().v1.payment_intents.retrieve(intent_id))


def checkout_session_create(
    *, payment: Payment, line_items: list[dict[str, Any]], success_url: str, cancel_url: str
) -> stripe.checkout.Session:
    """A hosted Checkout page for a Payment (web checkout).

    line_items: [{"name": str, "unit_amount_minor": int, "quantity": int}], adding up to the payment.
    """
    params: SessionCreateParams = {
        "mode": "payment",
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": payment.reference,
        "metadata": {"payment_id": str(payment.pk), "reference": payment.reference},
        "payment_intent_data": {"metadata": {"payment_id": str(payment.pk), "reference": payment.reference}},
        "line_items": [
            {
                "quantity": item["quantity"],
                "price_data": {
                    "currency": payment.currency.lower(),
                    "unit_amount": item["unit_amount_minor"],
                    "product_data": {"name": item["name"]},
                },
            }
            for item in line_items
        ],
    }
    if payment.payer_email:
        params["customer_email"] = payment.payer_email
    return _call(
        lambda: client().v1.checkout.sessions.create(
            params=params, options={"idempotency_key": _checkout_key(payment, success_url, cancel_url)}
        )
    )


def _checkout_key(payment: Payment, success_url: str, cancel_url: str) -> str:
    # The same payment may be retried from another page (other return URLs): that is a new
    # session, not a conflicting retry of the first one.
    urls = hashlib.sha256(f"{success_url}\n{cancel_url}".encode()).hexdigest()[:16]
    return f"payment:{payment.pk}:checkout:{urls}"


def refund_create(*, refund: Refund) -> stripe.Refund:
    """Refund part or all of a payment's charge. Idempotent on the Refund row."""
    payment = refund.payment
    if not payment.stripe_payment_intent_id:
        raise ApplicationError(_("This payment has no Stripe charge to refund."), code="nothing_to_refund")
    params: RefundCreateParams = {
        "payment_intent": payment.stripe_payment_intent_id,
        "amount": refund.amount_minor,
        "metadata": {"refund_id": str(refund.pk), "payment_id": str(payment.pk)},
    }
    return _call(
        lambda: client().v1.refunds.create(params=params, options={"idempotency_key": refund.idempotency_key})
    )


# ---------------------------------------------------------------- Connect


def account_create(*, connected: ConnectedAccount) -> stripe.Account:
    """A Connect Express account for a party. Idempotent on the ConnectedAccount row."""
    params: AccountCreateParams = {
        "type": "express",
        "country": connected.country,
        "metadata": {"party": connected.party, "connected_account_id": str(connected.pk)},
        "capabilities": {"transfers": {"requested": True}},
    }
    if connected.email:
        params["email"] = connected.email
    return _call(
        lambda: client().v1.accounts.create(
            params=params, options={"idempotency_key": connected.idempotency_key}
        )
    )


def account_retrieve(account_id: str) -> stripe.Account:
    return _call(lambda: client().v1.accounts.retrieve(account_id))


def account_link_create(
    *, connected: ConnectedAccount, refresh_url: str, return_url: str, request_key: str
) -> stripe.AccountLink:
    """A fresh, single-use onboarding link. request_key names the request that asked for it
    (its Idempotency-Key header, or a new value per click), so a retry returns the same link."""
    params: AccountLinkCreateParams = {
        "account": connected.stripe_account_id or "",
        "refresh_url": refresh_url,
        "return_url": return_url,
        "type": "account_onboarding",
    }
    return _call(
        lambda: client().v1.account_links.create(
            params=params,
            options={"idempotency_key": f"account-link:{connected.pk}:{request_key}"},
        )
    )


# ---------------------------------------------------------------- payouts


def transfer_create(*, payout: Payout) -> stripe.Transfer:
    """Move a payout's amount from the platform to the party's connected account."""
    params: TransferCreateParams = {
        "amount": payout.amount_minor,
        "currency": payout.currency.lower(),
        "destination": payout.connected_account.stripe_account_id or "",
        "transfer_group": f"payout:{payout.pk}",
        "metadata": {"payout_id": str(payout.pk), "party": payout.party},
    }
    return _call(
        lambda: client().v1.transfers.create(
            params=params, options={"idempotency_key": payout.transfer_idempotency_key}
        )
    )


def transfer_reverse(*, payout: Payout) -> stripe.TransferReversal:
    """Bring a payout's transfer back to the platform (after its bank payout failed)."""
    transfer_id = payout.stripe_transfer_id or ""
    return _call(
        lambda: client().v1.transfers.reversals.create(
            transfer_id,
            params=TransferReversalCreateParams(metadata={"payout_id": str(payout.pk)}),
            options={"idempotency_key": f"payout:{payout.pk}:reversal"},
        )
    )


def bank_payout_create(*, payout: Payout) -> stripe.Payout:
    """Pay the transferred amount out to the party's bank, on their connected account."""
    params: PayoutCreateParams = {
        "amount": payout.amount_minor,
        "currency": payout.currency.lower(),
        "metadata": {"payout_id": str(payout.pk), "party": payout.party},
    }
    return _call(
        lambda: client().v1.payouts.create(
            params=params,
            options={
                "idempotency_key": payout.bank_payout_idempotency_key,
                "stripe_account": payout.connected_account.stripe_account_id,
            },
        )
    )


# ---------------------------------------------------------------- reading Stripe's side


def transfers_list(*, created_gte: int | None = None) -> Iterator[stripe.Transfer]:
    params: TransferListParams = {"limit": 100}
    if created_gte is not None:
        params["created"] = {"gte": created_gte}
    return iter(_call(lambda: client().v1.transfers.list(params=params)).auto_paging_iter())


def refunds_list(
    *, created_gte: int | None = None, payment_intent: str | None = None
) -> Iterator[stripe.Refund]:
    params: RefundListParams = {"limit": 100}
    if payment_intent is not None:
        params["payment_intent"] = payment_intent
    if created_gte is not None:
        params["created"] = {"gte": created_gte}
    return iter(_call(lambda: client().v1.refunds.list(params=params)).auto_paging_iter())


def payouts_list(*, account_id: str) -> Iterator[stripe.Payout]:
    return iter(
        _call(
            lambda: client().v1.payouts.list(
                params=PayoutListParams(limit=100), options={"stripe_account": account_id}
            )
        ).auto_paging_iter()
    )


def balance_retrieve(*, account_id: str | None = None) -> stripe.Balance:
    options: RequestOptions = {"stripe_account": account_id} if account_id else {}
    return _call(lambda: client().v1.balance.retrieve(options=options))


# ---------------------------------------------------------------- webhooks


def webhook_event_construct(*, payload: bytes, signature: str) -> stripe.Event:
    """Verify a webhook's signature on its raw body and parse it. Refuses everything when no
    secret is configured: an unverifiable event must never move money.

    Stripe signs the platform's own events and its connected accounts' events (account updates,
    payouts to their banks) on two endpoints with two secrets; either may sign a delivery here."""
    secrets = [s for s in (settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET) if s]
    if not secrets:
        raise ApplicationError(
            _("Webhooks are not configured."), code="webhook_secret_missing", status_code=400
        )
    for secret in secrets:
        try:
            return stripe.Webhook.construct_event(payload, signature, secret, tolerance=300)
        except stripe.SignatureVerificationError:
            continue
        except ValueError as exc:
            raise ApplicationError(
                _("The webhook signature is not valid."), code="invalid_signature"
            ) from exc
    raise ApplicationError(_("The webhook signature is not valid."), code="invalid_signature")
