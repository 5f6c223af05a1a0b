from io import StringIO

from django.core.management import call_command

from affiliates.models import Membership
from bonuses.models import Invitation
from creators.models import CreatorProfile, Post, User
from marketplace.models import Brand, Listing
from payments.earnings import earnings_for_party
from payments.models import LedgerTransaction, party_for_user
from payments.selectors import ledger_check
from shops.models import Shop


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
    krw, usd = earnings_for_party(party=party_for_user(minji))
    # Three orders of totes (₩32,000) and a guide (₩16,000), 5% commission: the 45-day-old one
    # (₩112,000) has cleared its 30-day hold, the two recent ones (₩48,000 + ₩80,000) are pending;
    # so is the first reel of her Glow Labs deal (half of ₩1,300,000, 10% commission: ₩585,000).
    assert (krw.currency, krw.pending.amount_minor, krw.available.amount_minor) == ("KRW", 706_600, 106_400)
    # Her affiliate commissions on Glow Labs' shop: three $3.00, 10% commission each.
    assert (usd.currency, usd.pending.amount_minor) == ("USD", 810)
    shop = Shop.objects.get(creator__user=minji)
    assert (shop.status, shop.currency, shop.products.count()) == ("open", "KRW", 2)
    assert sorted(shop.orders.values_list("status", flat=True)) == ["paid", "shipped", "shipped"]
    # Affiliates and the marketplace have something to show too.
    assert Membership.objects.filter(affiliate__handle="sora_cooks", offer__shop=shop).exists()
    assert Listing.objects.filter(is_listed=True).count() == 4
    brand = Brand.objects.get(name="Glow Labs")
    assert brand.verified_at is not None
    assert User.objects.get(email="brand@demo.example").check_password("demo-password-123")
    # The bonus pilot: Min-ji enrolled, Sora and Alex invited.
    statuses = dict(Invitation.objects.values_list("creator__handle", "status"))
    assert statuses == {"minji.makes": "accepted", "sora_cooks": "invited", "alex.fits": "invited"}
    assert ledger_check() == []
