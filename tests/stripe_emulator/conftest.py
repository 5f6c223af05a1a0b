"""Fixtures for the emulator's own tests; they need neither Django nor a database.

The shared fixtures (``emulator``, ``control``, ``receiver``) come from
``stripe_emulator.pytest_plugin``, which other test suites can use as they are.
"""

# The SDK types every response field as optional and every id as "str | object"; these tests
# assert on concrete responses (and send deliberate typos), so those checks are off here.
# mypy: disable-error-code="union-attr,arg-type,index,operator"

from __future__ import annotations

from collections.abc import Callable

import pytest
import stripe

from stripe_emulator import Emulator, EmulatorControl, pytest_plugin
from stripe_emulator.testing import TEST_API_KEY

# The shared fixtures, as any other suite can use them.
webhook_receiver = pytest_plugin.webhook_receiver
emulator_server = pytest_plugin.emulator_server
emulator = pytest_plugin.emulator
control = pytest_plugin.control
receiver = pytest_plugin.receiver


@pytest.fixture
def client(emulator: Emulator) -> stripe.StripeClient:
    return stripe.StripeClient(TEST_API_KEY, base_addresses={"api": emulator.base_url}, max_network_retries=0)


@pytest.fixture
def pay(emulator: Emulator) -> Callable[..., stripe.PaymentIntent]:
    """Take a successful card payment (funds the platform balance)."""

    def pay(amount: int = 10_000, currency: str = "usd", **extra: object) -> stripe.PaymentIntent:
        return stripe.PaymentIntent.create(
            amount=amount, currency=currency, payment_method="pm_card_visa", confirm=True, **extra
        )

    return pay


@pytest.fixture
def onboard(emulator: Emulator, control: EmulatorControl) -> Callable[..., stripe.Account]:
    """Create an Express account and complete its hosted onboarding with the given test bank."""

    def onboard(email: str = "creator@example.com", bank: str = "000123456789") -> stripe.Account:
        account = stripe.Account.create(type="express", country="US", email=email)
        link = stripe.AccountLink.create(
            account=account.id,
            refresh_url="http://app.test/connect/refresh",
            return_url="http://app.test/connect/return",
            type="account_onboarding",
        )
        result = control.complete_onboarding(link.url, bank=bank)
        assert result.status == 303, result.html
        return stripe.Account.retrieve(account.id)

    return onboard


def available(currency: str = "usd", account: str | None = None) -> int:
    balance = stripe.Balance.retrieve(stripe_account=account) if account else stripe.Balance.retrieve()
    return sum(entry.amount for entry in balance.available if entry.currency == currency)


@pytest.fixture
def balance() -> Callable[..., int]:
    """``balance("usd")`` on the platform, ``balance("usd", "acct_...")`` on a connected account."""
    return available
