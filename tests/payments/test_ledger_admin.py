import pytest
from django.urls import reverse

from payments.enums import AccountKind
from tests.payments.factories import fund, user_account


@pytest.fixture
def sale(creator):
    return fund(user_account(creator.user, AccountKind.PENDING, "JPY"), 5_000, reference="order:1:settle")


@pytest.mark.parametrize("model", ["ledgeraccount", "ledgertransaction", "ledgerentry"])
def test_staff_can_browse_and_search_the_ledger(client, staff, sale, model):
    client.force_login(staff)
    page = client.get(reverse(f"admin:payments_{model}_changelist"), {"q": "order:1:settle"})
    assert page.status_code == 200


def test_a_transaction_shows_its_entries_read_only(client, staff, sale):
    client.force_login(staff)
    page = client.get(reverse("admin:payments_ledgertransaction_change", args=[sale.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "JPY 5000" in body and "JPY -5000" in body
    assert 'name="_save"' not in body


@pytest.mark.parametrize("model", ["ledgeraccount", "ledgertransaction", "ledgerentry"])
def test_nobody_adds_or_deletes_ledger_rows_in_admin(client, staff, sale, model):
    client.force_login(staff)
    assert client.get(reverse(f"admin:payments_{model}_add")).status_code == 403
    obj = sale if model == "ledgertransaction" else sale.entries.first()
    if model == "ledgeraccount":
        obj = sale.entries.first().account
    assert (
        client.post(reverse(f"admin:payments_{model}_delete", args=[obj.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert sale.entries.count() == 2
