"""Connect: Express accounts and hosted onboarding, transfers and reversals, payouts, scoping."""

# The SDK types every response field as optional and every id as "str | object"; these tests
# assert on concrete responses (and send deliberate typos), so those checks are off here.
# mypy: disable-error-code="union-attr,arg-type,index,operator"

from __future__ import annotations

import re

import pytest
import requests
import stripe

REFRESH = "http://app.test/connect/refresh"
RETURN = "http://app.test/connect/return"


def _link(account_id: str) -> stripe.AccountLink:
    return stripe.AccountLink.create(
        account=account_id, refresh_url=REFRESH, return_url=RETURN, type="account_onboarding"
    )


# ---- accounts and onboarding --------------------------------------------------------------


def test_new_express_account_cannot_charge_or_pay_out(emulator):
    account = stripe.Account.create(
        type="express", country="US", email="c@example.com", metadata={"creator": "9"}
    )
    assert account.id.startswith("acct_") and account.type == "express"
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    assert "external_account" in account.requirements.currently_due
    assert account.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}


def test_hosted_onboarding_enables_the_account_and_emits_account_updated(emulator, control, receiver):
    account = stripe.Account.create(type="express", country="DE", email="c@example.com")
    link = _link(account.id)
    assert link.url.startswith(emulator.base_url + "/pages/onboarding/")
    assert link.expires_at > link.created

    page = control.page(link.url)
    assert page.status == 200 and account.id in page.html and "<script" not in page.html
    # Submit the form as the browser would, with the token the page carries.
    form_token = re.search(r'name="form_token" value="([^"]+)"', page.html).group(1)
    submitted = requests.post(
        link.url,
        data={"form_token": form_token, "bank": "000123456789", "action": "complete"},
        allow_redirects=False,
        timeout=5,
    )

    assert (submitted.status_code, submitted.headers["Location"]) == (303, RETURN)
    account = stripe.Account.retrieve(account.id)
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (True, True, True)
    assert account.capabilities.transfers == "active" and account.default_currency == "eur"
    assert account.external_accounts.data[0].last4 == "6789"
    control.wait_for_webhooks()
    [event] = receiver.events()
    assert event["type"] == "account.updated" and event["account"] == account.id
    assert event["data"]["previous_attributes"]["charges_enabled"] is False


def test_a_used_link_shows_an_error_page_that_sends_back_to_refresh_url(emulator, control):
    account = stripe.Account.create(type="express", email="c@example.com")
    link = _link(account.id)
    control.complete_onboarding(link.url)
    again = control.page(link.url)
    assert again.status == 410
    assert f'http-equiv="refresh" content="2;url={REFRESH}"' in again.html
    assert f'href="{REFRESH}"' in again.html


def test_an_expired_link_cannot_be_used(emulator, control):
    account = stripe.Account.create(type="express", email="c@example.com")
    link = _link(account.id)
    control.advance_clock(301)
    assert control.complete_onboarding(link.url).status == 410
    assert stripe.Account.retrieve(account.id).charges_enabled is False


def test_leaving_onboarding_returns_without_enabling(emulator, control):
    account = stripe.Account.create(type="express", email="c@example.com")
    result = control.complete_onboarding(_link(account.id).url, action="leave")
    assert result.location == RETURN
    assert stripe.Account.retrieve(account.id).payouts_enabled is False


def test_login_link_only_after_onboarding(emulator, onboard):
    pending = stripe.Account.create(type="express", email="c@example.com")
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Account.create_login_link(pending.id)
    account = onboard()
    assert "/pages/dashboard/" in stripe.Account.create_login_link(account.id).url


def test_accounts_list_update_and_current_account(emulator, onboard):
    account = onboard()
    updated = stripe.Account.modify(account.id, metadata={"tier": "gold"})
    assert updated.metadata.to_dict() == {"tier": "gold"}
    assert [a.id for a in stripe.Account.list().data] == [account.id]
    assert stripe.Account.retrieve(stripe_account=account.id).id == account.id
    assert stripe.Account.retrieve().charges_enabled is True


# ---- transfers and reversals --------------------------------------------------------------


def test_transfer_needs_the_platform_balance(emulator, onboard, pay):
    account = onboard()
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Transfer.create(amount=100, currency="usd", destination=account.id)
    assert raised.value.code == "balance_insufficient"
    pay(amount=1000)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Transfer.create(amount=1001, currency="usd", destination=account.id)
    assert raised.value.code == "balance_insufficient"


def test_transfer_needs_an_onboarded_destination(emulator, pay):
    pay()
    account = stripe.Account.create(type="express", email="c@example.com")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Transfer.create(amount=100, currency="usd", destination=account.id)
    assert raised.value.code == "insufficient_capabilities_for_transfer"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Transfer.create(amount=100, currency="usd", destination="acct_nobody")
    assert raised.value.code == "resource_missing"


def test_transfer_moves_money_and_reversals_bring_it_back(emulator, onboard, pay, balance, receiver):
    pay(amount=10_000)
    account = onboard()
    transfer = stripe.Transfer.create(
        amount=6000, currency="usd", destination=account.id, transfer_group="order-1", metadata={"sale": "s1"}
    )
    assert transfer.id.startswith("tr_") and transfer.destination_payment.startswith("py_")
    assert (balance("usd"), balance("usd", account.id)) == (4000, 6000)

    partial = stripe.Transfer.create_reversal(transfer.id, amount=1000)
    assert partial.id.startswith("trr_") and partial.transfer == transfer.id
    transfer = stripe.Transfer.retrieve(transfer.id)
    assert (transfer.amount_reversed, transfer.reversed) == (1000, False)
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Transfer.create_reversal(transfer.id, amount=5001)
    stripe.Transfer.create_reversal(transfer.id)
    transfer = stripe.Transfer.retrieve(transfer.id)
    assert (transfer.amount_reversed, transfer.reversed, len(transfer.reversals.data)) == (6000, True, 2)
    assert (balance("usd"), balance("usd", account.id)) == (10_000, 0)
    assert [t.id for t in stripe.Transfer.list(destination=account.id).data] == [transfer.id]
    assert len(stripe.Transfer.list_reversals(transfer.id).data) == 2
    assert stripe.Transfer.retrieve_reversal(transfer.id, partial.id).amount == 1000

    emulator.control.wait_for_webhooks()
    types = receiver.types()
    assert types.count("transfer.created") == 1 and types.count("transfer.reversed") == 2


def test_transfer_from_a_source_transaction(emulator, onboard, pay):
    intent = pay(amount=2000)
    account = onboard()
    transfer = stripe.Transfer.create(
        amount=1500, currency="usd", destination=account.id, source_transaction=intent.latest_charge
    )
    assert transfer.source_transaction == intent.latest_charge
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Transfer.create(
            amount=501, currency="usd", destination=account.id, source_transaction=intent.latest_charge
        )


def test_reversal_needs_the_connected_balance(emulator, onboard, pay):
    pay(amount=5000)
    account = onboard()
    transfer = stripe.Transfer.create(amount=3000, currency="usd", destination=account.id)
    stripe.Payout.create(amount=2500, currency="usd", stripe_account=account.id)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Transfer.create_reversal(transfer.id, amount=1000)
    assert raised.value.code == "balance_insufficient"


# ---- payouts ------------------------------------------------------------------------------


def test_payout_is_pending_then_paid(emulator, onboard, pay, balance, receiver):
    pay(amount=5000)
    account = onboard()
    stripe.Transfer.create(amount=3000, currency="usd", destination=account.id)

    payout = stripe.Payout.create(
        amount=2000, currency="usd", stripe_account=account.id, metadata={"run": "1"}
    )

    assert payout.status == "pending" and payout.destination.startswith("ba_")
    assert stripe.Payout.retrieve(payout.id, stripe_account=account.id).status == "paid"
    assert balance("usd", account.id) == 1000
    emulator.control.wait_for_webhooks()
    paid = [e for e in receiver.events() if e["type"].startswith("payout.")]
    assert [e["type"] for e in paid] == ["payout.created", "payout.paid"]
    assert all(e["account"] == account.id for e in paid)


@pytest.mark.parametrize(
    ("bank", "code"), [("000111111116", "no_account"), ("000111111113", "account_closed")]
)
def test_payout_to_a_failing_test_bank_fails_and_refunds_the_balance(
    emulator, onboard, pay, balance, receiver, bank, code
):
    pay(amount=5000)
    account = onboard(bank=bank)
    stripe.Transfer.create(amount=3000, currency="usd", destination=account.id)

    payout = stripe.Payout.create(amount=2000, currency="usd", stripe_account=account.id)

    payout = stripe.Payout.retrieve(payout.id, stripe_account=account.id)
    assert (payout.status, payout.failure_code) == ("failed", code)
    assert balance("usd", account.id) == 3000
    emulator.control.wait_for_webhooks()
    assert "payout.failed" in receiver.types()


def test_failing_bank_token_at_account_creation(emulator, control, pay):
    pay()
    account = stripe.Account.create(
        type="express", email="c@example.com", external_account="btok_us_verified_noAccount"
    )
    assert account.external_accounts.data[0].last4 == "1116"


def test_payout_rules(emulator, onboard):
    pending = stripe.Account.create(type="express", email="c@example.com")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Payout.create(amount=100, currency="usd", stripe_account=pending.id)
    assert raised.value.code == "payouts_not_allowed"
    account = onboard()
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Payout.create(amount=100, currency="usd", stripe_account=account.id)
    assert raised.value.code == "balance_insufficient"


# ---- Stripe-Account scoping ---------------------------------------------------------------


def test_objects_are_scoped_by_the_stripe_account_header(emulator, onboard, pay):
    intent = pay()
    account = onboard()
    stripe.Transfer.create(amount=3000, currency="usd", destination=account.id)
    payout = stripe.Payout.create(amount=1000, currency="usd", stripe_account=account.id)
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Payout.retrieve(payout.id)
    with pytest.raises(stripe.InvalidRequestError):
        stripe.PaymentIntent.retrieve(intent.id, stripe_account=account.id)
    with pytest.raises(stripe.PermissionError) as raised:
        stripe.Balance.retrieve(stripe_account="acct_unknown")
    assert raised.value.http_status == 403
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Transfer.create(amount=1, currency="usd", destination=account.id, stripe_account=account.id)


def test_balance_transactions_record_every_movement(emulator, onboard, pay):
    intent = pay(amount=1000)
    account = onboard()
    stripe.Transfer.create(amount=400, currency="usd", destination=account.id)
    types = [t.type for t in stripe.BalanceTransaction.list().data]
    assert types == ["transfer", "charge"]
    charge_txn = stripe.BalanceTransaction.list(type="charge").data[0]
    assert charge_txn.source == intent.latest_charge and charge_txn.net == 1000
    assert [t.type for t in stripe.BalanceTransaction.list(stripe_account=account.id).data] == ["payment"]


# ---- charges on behalf of connected accounts ----------------------------------------------


def test_destination_charge_with_application_fee(emulator, onboard, balance):
    account = onboard()
    intent = stripe.PaymentIntent.create(
        amount=10_000,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
        application_fee_amount=1500,
        transfer_data={"destination": account.id},
    )
    charge = stripe.Charge.retrieve(intent.latest_charge)
    assert charge.transfer.startswith("tr_") and charge.transfer_data.destination == account.id
    assert stripe.ApplicationFee.retrieve(charge.application_fee).amount == 1500
    assert (balance("usd"), balance("usd", account.id)) == (1500, 8500)

    stripe.Refund.create(payment_intent=intent.id, amount=5000, reverse_transfer=True)
    assert (balance("usd"), balance("usd", account.id)) == (750, 4250)


def test_destination_charge_to_an_account_that_cannot_receive_is_refused(emulator):
    account = stripe.Account.create(type="express", email="c@example.com")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentIntent.create(amount=1000, currency="usd", transfer_data={"destination": account.id})
    assert raised.value.code == "insufficient_capabilities_for_transfer"


def test_application_fee_needs_a_destination_or_a_connected_account(emulator, onboard, balance):
    with pytest.raises(stripe.InvalidRequestError):
        stripe.PaymentIntent.create(amount=1000, currency="usd", application_fee_amount=100)
    account = onboard()
    stripe.PaymentIntent.create(
        amount=1000,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
        application_fee_amount=100,
        stripe_account=account.id,
    )
    assert (balance("usd"), balance("usd", account.id)) == (100, 900)
