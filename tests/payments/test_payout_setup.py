"""Payout setup: a creator gets a fresh Stripe onboarding link from the API or the Earnings page."""

from django.urls import reverse

from payments.models import ConnectedAccount, party_for_user

ONBOARDING = reverse("api:payments-api:payout-onboarding")


def test_a_creator_gets_an_onboarding_link(stripe_api, creator, api_as):
    response = api_as(creator.user).post(ONBOARDING)
    assert response.status_code == 201
    assert response.json()["url"].startswith(stripe_api.base_url)
    connected = ConnectedAccount.objects.get(party=party_for_user(creator.user))
    assert connected.stripe_account_id.startswith("acct_") and connected.country == "KR"


def test_the_same_idempotency_key_gives_the_same_link_and_one_account(stripe_api, creator, api_as):
    client = api_as(creator.user)
    first = client.post(ONBOARDING, HTTP_IDEMPOTENCY_KEY="setup-1").json()["url"]
    again = client.post(ONBOARDING, HTTP_IDEMPOTENCY_KEY="setup-1")
    assert again.json()["url"] == first and again["Idempotent-Replayed"] == "true"
    assert client.post(ONBOARDING).json()["url"] != first  # a new click: a fresh single-use link
    assert ConnectedAccount.objects.count() == 1


def test_a_buyer_cannot_set_up_payouts(stripe_api, buyer, api_as, anonymous):
    response = api_as(buyer).post(ONBOARDING)
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_a_creator"
    assert anonymous.post(ONBOARDING).status_code == 401
    assert not ConnectedAccount.objects.exists()


def test_the_earnings_page_sends_the_creator_to_stripe_and_back(stripe_api, control, client, creator):
    client.force_login(creator.user)
    response = client.get(reverse("payments:onboarding"))
    assert response.status_code == 302 and response.url.startswith(stripe_api.base_url)
    finished = control.complete_onboarding(response.url)
    assert finished.location and finished.location.endswith("/dashboard/earnings/?setup=done")
    assert (
        "Stripe is checking your details"
        in client.get(reverse("payments:earnings"), {"setup": "done"}).content.decode()
    )


def test_a_buyer_on_the_payout_setup_page_is_told_to_become_a_creator(stripe_api, client, buyer):
    client.force_login(buyer)
    response = client.get(reverse("payments:onboarding"))
    assert response.status_code == 302 and response.url == reverse("creators:start")
