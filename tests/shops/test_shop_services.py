import pytest

from common.errors import ApplicationError, NotFoundError
from creators.services import creator_suspend
from shops.enums import ShopStatus
from shops.services import shop_create, shop_set_status, shop_update
from tests.shops.factories import make_product, make_shop


def test_a_creator_opens_a_draft_shop_credited_to_their_ledger_party(creator):
    shop = shop_create(creator=creator, name="Minji Goods", slug="Minji-Goods", currency="krw")

    assert shop.slug == "minji-goods"
    assert shop.currency == "KRW"
    assert shop.status == ShopStatus.DRAFT
    assert shop.country == "KR"  # the creator's, when none is given
    assert shop.owner_party == f"user:{creator.user_id}"


def test_a_second_shop_is_refused(creator):
    make_shop(creator)

    with pytest.raises(ApplicationError) as exc:
        shop_create(creator=creator, name="Another", slug="another", currency="USD")
    assert exc.value.code == "shop_exists"


def test_a_taken_slug_is_refused(creator, other_creator):
    make_shop(creator, slug="goods")

    with pytest.raises(ApplicationError) as exc:
        shop_create(creator=other_creator, name="Goods", slug="GOODS", currency="JPY")
    assert exc.value.code == "slug_taken"
    assert "slug" in exc.value.fields


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"currency": "GBP"}, "unsupported_currency"),
        ({"slug": "no spaces"}, "invalid_slug"),
        ({"name": "  "}, "required"),
        ({"country": "XX"}, "invalid_country"),
        ({"refund_window_days": 10}, "invalid_refund_window"),
    ],
)
def test_bad_shop_input_is_refused(creator, overrides, code):
    data = {"name": "Shop", "slug": "shop-one", "currency": "USD", **overrides}
    with pytest.raises(ApplicationError) as exc:
        shop_create(creator=creator, **data)
    assert exc.value.code == code


def test_the_currency_is_locked_once_the_shop_has_products(creator):
    shop = make_shop(creator)
    make_product(shop)

    with pytest.raises(ApplicationError) as exc:
        shop_update(shop=shop, currency="EUR")
    assert exc.value.code == "currency_locked"


def test_the_owner_opens_and_pauses_but_cannot_close(creator):
    shop = make_shop(creator, status=ShopStatus.DRAFT)

    assert shop_set_status(shop=shop, status=ShopStatus.OPEN, actor=creator.user).status == ShopStatus.OPEN
    assert (
        shop_set_status(shop=shop, status=ShopStatus.PAUSED, actor=creator.user).status == ShopStatus.PAUSED
    )
    with pytest.raises(ApplicationError) as exc:
        shop_set_status(shop=shop, status=ShopStatus.CLOSED, actor=creator.user)
    assert exc.value.code == "permission_denied"


def test_staff_close_and_the_owner_cannot_reopen_until_staff_do(creator, staff):
    shop = make_shop(creator)

    shop_set_status(shop=shop, status=ShopStatus.CLOSED, actor=staff)
    with pytest.raises(ApplicationError) as exc:
        shop_set_status(shop=shop, status=ShopStatus.OPEN, actor=creator.user)
    assert exc.value.code == "shop_closed"

    shop_set_status(shop=shop, status=ShopStatus.OPEN, actor=staff)
    shop.refresh_from_db()
    assert shop.status == ShopStatus.OPEN


def test_another_creator_cannot_change_my_shop_status(creator, other_creator):
    shop = make_shop(creator)

    with pytest.raises(NotFoundError):
        shop_set_status(shop=shop, status=ShopStatus.PAUSED, actor=other_creator.user)


def test_a_suspended_creator_cannot_open_a_shop(creator, staff):
    shop = make_shop(creator, status=ShopStatus.DRAFT)
    creator_suspend(creator=creator, actor=staff, reason="counterfeits")

    with pytest.raises(ApplicationError) as exc:
        shop_set_status(shop=shop, status=ShopStatus.OPEN, actor=creator.user)
    assert exc.value.code == "creator_suspended"


def test_a_suspended_creator_cannot_create_a_shop(creator, staff):
    creator_suspend(creator=creator, actor=staff, reason="counterfeits")

    with pytest.raises(ApplicationError) as exc:
        shop_create(creator=creator, name="Shop", slug="some-shop", currency="USD")
    assert exc.value.code == "creator_suspended"
