"""Two workers running the automatic approval at once approve (and release) each deliverable once."""

from datetime import timedelta

from django.utils import timezone

from marketplace.enums import DealStatus, DeliverableStatus
from marketplace.models import Deal, Deliverable
from marketplace.services.deals import deliverable_submit, deliverables_auto_approve_due
from payments.enums import AccountKind
from payments.models import LedgerAccount, party_for_user
from payments.selectors import ledger_check
from tests.marketplace.factories import due, make_brand, make_deal, make_listing, mark_funded
from tests.payments.factories import run_threads


def test_two_workers_approve_each_due_deliverable_once(postgres_only, transactional_db):
    from tests.conftest import make_creator, make_user

    owner = make_user("owner@glow.example")
    brand = make_brand(owner)
    creator = make_creator("rin", country="JP")
    make_listing(creator, currency="USD")
    deal = mark_funded(
        make_deal(brand, owner, creator, amount_minor=60_000,
                  deliverables=[{"format": "reel", "count": 6, "due_date": due()}])
    )  # fmt: skip
    for item in deal.deliverables.all():
        deliverable_submit(deliverable=item, user=creator.user, post_url=f"https://x.example/p/{item.pk}")
    later = timezone.now() + timedelta(days=10)

    results = run_threads(2, lambda index: deliverables_auto_approve_due(now=later))

    assert all(isinstance(result, int) for result in results), results
    assert sum(results) == 6
    assert not Deliverable.objects.exclude(status=DeliverableStatus.APPROVED).exists()
    deal = Deal.objects.get()
    assert (deal.status, deal.released_minor) == (DealStatus.COMPLETED, 60_000)
    pending = LedgerAccount.objects.get(party=party_for_user(creator.user), kind=AccountKind.PENDING)
    assert pending.balance_minor == 54_000
    assert ledger_check() == []
