from io import StringIO

from django.core.management import call_command

from creators.models import CreatorProfile, Post, User
from payments.earnings import earnings_for_party
from payments.models import LedgerTransaction, party_for_user
from payments.selectors import ledger_check


def run_seed():
    call_command("seed_demo", "--creators", "5", "--posts", "3", stdout=StringIO())


def test_demo_data_loads_once_with_real_earnings(db):
    run_seed()
    counts = (
        User.objects.count(),
        CreatorProfile.objects.count(),
        Post.objects.count(),
        LedgerTransaction.objects.count(),
    )
    run_seed()
    assert (
        User.objects.count(),
        CreatorProfile.objects.count(),
        Post.objects.count(),
        LedgerTransaction.objects.count(),
    ) == counts
    assert CreatorProfile.objects.count() == 9  # four named demo creators and five generated ones
    minji = User.objects.get(email="minji@demo.example")
    assert minji.check_password("demo-password-123")
    [krw] = earnings_for_party(party=party_for_user(minji))
    assert (krw.currency, krw.pending.amount_minor, krw.available.amount_minor) == ("KRW", 91_200, 91_200)
    assert ledger_check() == []
