"""A party's own money through the API and the Earnings page: the owner sees it, nobody else."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from payments.enums import AccountKind, CommissionSource, PayoutStatus
from payments.models import ConnectedAccount, Hold, Payout, party_for_user
from tests.payments.factories import fund, user_account

BALANCES = reverse("api:payments-api:my-balances")
STATEMENT = reverse("api:payments-api:my-statement")
PAYOUTS = reverse("api:payments-api:my-payouts")


def give_earnings(creator):
    """$120.00 pending (clearing in 10 days), $30.00 available, one $50.00 payout paid."""
    user = creator.user
    pending = fund(user_account(user, AccountKind.PENDING, "USD"), 12_000, reference=f"test:{user.pk}:sale")
    Hold.objects.create(
        party=party_for_user(user),
        currency="USD",
        amount_minor=12_000,
        source=CommissionSource.SHOP_SALE,
        origin=pending,
        release_at=timezone.now() + timedelta(days=10),
    )
    fund(user_account(user, AccountKind.AVAILABLE, "USD"), 3_000, reference=f"test:{user.pk}:available")
    connected = ConnectedAccount.objects.create(
        party=party_for_user(user),
        country="KR",
        stripe_account_id="acct_1",
        charges_enabled=True,
        payouts_enabled=True,
    )
    Payout.objects.create(
        party=party_for_user(user),
        connected_account=connected,
        currency="USD",
        amount_minor=5_000,
        run_key="2026-11-01",
        status=PayoutStatus.PAID,
    )


def test_my_balances(creator, api_as):
    give_earnings(creator)
    usd = api_as(creator.user).get(BALANCES).json()["balances"][0]
    assert usd["currency"] == "USD"
    assert usd["pending"] == {
        "amount_minor": 12_000,
        "currency": "USD",
        "amount": "120.00",
        "display": "$120.00",
    }
    assert usd["available"]["amount_minor"] == 3_000
    assert usd["paid_out"]["amount_minor"] == 5_000
    assert usd["releases"][0]["amount"]["amount_minor"] == 12_000


def test_nobody_else_sees_my_figures(creator, other_creator, api_as, anonymous):
    give_earnings(creator)
    assert api_as(other_creator.user).get(BALANCES).json() == {"balances": []}
    assert api_as(other_creator.user).get(STATEMENT, {"currency": "USD"}).json()["results"] == []
    assert api_as(other_creator.user).get(PAYOUTS).json()["results"] == []
    for url in (BALANCES, STATEMENT, PAYOUTS):
        assert anonymous.get(url).status_code == 401


def test_my_statement_has_a_running_balance(creator, api_as):
    account = user_account(creator.user, AccountKind.AVAILABLE, "JPY")
    for i, amount in enumerate((1_000, 2_500, 400)):
        fund(account, amount, reference=f"test:jpy:{i}")
    results = api_as(creator.user).get(STATEMENT, {"currency": "jpy", "kind": "available"}).json()["results"]
    assert [(r["amount_minor"], r["running_balance_minor"]) for r in results] == [
        (400, 3_900),
        (2_500, 3_500),
        (1_000, 1_000),
    ]


def test_statement_filters_are_validated(creator, api_as):
    body = api_as(creator.user).get(STATEMENT, {"currency": "dollars", "kind": "escrow"}).json()["error"]
    assert body["code"] == "invalid" and set(body["fields"]) == {"currency", "kind"}


def test_my_payouts(creator, api_as, django_assert_max_num_queries):
    give_earnings(creator)
    client = api_as(creator.user)
    with django_assert_max_num_queries(3):
        results = client.get(PAYOUTS).json()["results"]
    assert [(p["amount_minor"], p["status"]) for p in results] == [(5_000, "paid")]


def test_the_earnings_page_shows_my_money_in_my_language(client, creator):
    give_earnings(creator)
    client.force_login(creator.user)
    page = client.get(reverse("payments:earnings")).content.decode()
    assert "$120.00" in page and "$30.00" in page and "$50.00" in page
    assert "Your payout account is ready" in page


def test_the_earnings_page_of_a_new_creator_says_what_to_do(client, other_creator):
    client.force_login(other_creator.user)
    page = client.get(reverse("payments:earnings")).content.decode()
    assert "No earnings yet" in page and "Set up payouts" in page


def test_the_earnings_page_needs_login(client, db):
    assert client.get(reverse("payments:earnings")).status_code == 302
