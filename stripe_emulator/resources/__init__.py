"""The Stripe API resources the emulator implements, one module each."""

from __future__ import annotations

from ..routing import Route
from . import (
    accounts,
    balance,
    charges,
    checkout,
    customers,
    events,
    payment_intents,
    payment_methods,
    payouts,
    refunds,
    transfers,
    webhook_endpoints,
)

API_ROUTES: list[Route] = [
    route
    for module in (
        customers,
        payment_methods,
        payment_intents,
        charges,
        refunds,
        checkout,
        accounts,
        transfers,
        payouts,
        balance,
        events,
        webhook_endpoints,
    )
    for route in module.ROUTES
]
