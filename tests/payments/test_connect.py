"""Connect Express onboarding (payments.connect) against the emulator."""

import json

import pytest
import stripe

from common.errors import ApplicationError
from payments.connect import (
    connected_account_get_or_create,
    connected_account_ready_for,
    onboarding_link_create,
)
from payments.models import ConnectedAccount, WebhookEvent, party_for_user
from tests.payments.test_webhooks import Feed, signature_for

REFRESH, RETURN = "http://app/dashboard/earnings/onboarding/", "http://app/dashboard/earnings/?setup=done"


@pytest.fixture
def feed(client, stripe_api, receiver, control, django_capture_on_commit_callbacks) -> Feed:
    return Feed(client, receiver, control, django_capture_on_commit_callbacks)


def link_for(user, key: str = "k1") -> str:
    return onboarding_link_create(user=user, refresh_url=REFRESH, return_url=RETURN, request_key=key)


def test_a_creator_onboards_and_their_account_becomes_ready(creator, feed, control):
    party = party_for_user(creator.user)

    url = link_for(creator.user)

    connected = ConnectedAccount.objects.get(party=party)
    assert (connected.country, connected.email) == ("KR", creator.user.email)
    assert connected.stripe_account_id.startswith("acct_") and not connected.is_ready
    assert connected_account_ready_for(party=party) is None
    assert control.complete_onboarding(url).location == RETURN
    assert "account.updated" in feed()

    connected.refresh_from_db()
    assert connected.is_ready and connected.details_submitted and connected.requirements_due == []
    assert connected.status_observed_at is not None
    assert connected_account_ready_for(party=party) == connected


def test_each_link_is_fresh_but_the_stripe_account_is_created_once(creator, stripe_api):
    first, again, other = (
        link_for(creator.user, "k1"),
        link_for(creator.user, "k1"),
        link_for(creator.user, "k2"),
    )

    assert first == again != other  # a retried request gets its link back; a new click a new link
    assert len(stripe.Account.list().data) == 1
    assert ConnectedAccount.objects.count() == 1


def test_the_stripe_account_is_created_for_a_row_left_without_one(buyer, stripe_api):
    party = party_for_user(buyer)
    ConnectedAccount.objects.create(party=party, country="US")  # Stripe was down last time

    connected = connected_account_get_or_create(party=party, country="US", email=buyer.email)

    assert stripe.Account.retrieve(connected.stripe_account_id).metadata["party"] == party


def test_a_buyer_cannot_onboard(buyer, stripe_api):
    with pytest.raises(ApplicationError) as error:
        link_for(buyer)
    assert (error.value.code, error.value.status_code) == ("not_a_creator", 403)
    assert not ConnectedAccount.objects.exists()


def test_an_older_account_update_arriving_late_does_not_undo_a_newer_one(creator, feed, control):
    url = link_for(creator.user)
    connected = ConnectedAccount.objects.get()
    # First update: details still due. Ten seconds later: onboarding complete.
    stripe.Account.modify(connected.stripe_account_id, business_profile={"name": "Minji Beauty"})
    control.advance_clock(10)
    control.complete_onboarding(url)
    older, newer = feed.pending()
    assert json.loads(older[0])["created"] < json.loads(newer[0])["created"]

    feed.send([newer, older])

    connected.refresh_from_db()
    assert connected.is_ready and connected.status_observed_at.timestamp() == json.loads(newer[0])["created"]
    assert WebhookEvent.objects.filter(type="account.updated", status="processed").count() == 2


def test_updates_with_the_same_timestamp_are_settled_by_asking_stripe(creator, feed, control):
    control.complete_onboarding(link_for(creator.user))
    ((body, signature),) = feed.pending()

    def not_ready_twin(event_id: str) -> tuple[str, str]:
        # Another update of the same second, saying "not ready": which of the two came last
        # cannot be told from Stripe's timestamps (whole seconds).
        twin = json.loads(body)
        twin["id"] = event_id
        twin["data"]["object"].update(charges_enabled=False, payouts_enabled=False)
        twin_body = json.dumps(twin)
        return twin_body, signature_for(twin_body)

    feed.send([not_ready_twin("evt_twin_before"), (body, signature), not_ready_twin("evt_twin_after")])

    # Stripe's current state (ready) decides, whichever way the ties were delivered.
    assert ConnectedAccount.objects.get().is_ready
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_an_update_for_an_account_we_do_not_know_is_ignored(feed, db):
    stripe.Account.create(type="express", country="US")
    account = stripe.Account.list().data[0]
    stripe.Account.modify(account.id, business_profile={"name": "Elsewhere"})

    feed()

    assert WebhookEvent.objects.get(type="account.updated").status == "ignored"
