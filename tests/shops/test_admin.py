from django.contrib.admin import helpers
from django.urls import reverse

from shops.enums import ShopStatus
from tests.shops.factories import make_product, make_shop


def test_staff_close_and_reopen_shops_from_admin(client, staff, creator):
    shop = make_shop(creator)
    client.force_login(staff)
    url = reverse("admin:shops_shop_changelist")

    client.post(
        url,
        {"action": "close_shops", helpers.ACTION_CHECKBOX_NAME: [shop.pk], "apply": "1", "reason": "test"},
    )
    shop.refresh_from_db()
    assert shop.status == ShopStatus.CLOSED

    client.post(
        url,
        {"action": "reopen_shops", helpers.ACTION_CHECKBOX_NAME: [shop.pk], "apply": "1", "reason": "test"},
    )
    shop.refresh_from_db()
    assert shop.status == ShopStatus.OPEN


def test_admin_pages_render(client, staff, creator):
    product = make_product(make_shop(creator))
    client.force_login(staff)

    for name in (
        "shops_shop_changelist",
        "shops_product_changelist",
        "shops_discountcode_changelist",
        "shops_discountcode_add",
    ):
        assert client.get(reverse(f"admin:{name}")).status_code == 200
    assert client.get(reverse("admin:shops_product_change", args=[product.pk])).status_code == 200


def test_the_discount_code_admin_runs_the_service_checks(client, staff, creator):
    shop = make_shop(creator)
    client.force_login(staff)
    url = reverse("admin:shops_discountcode_add")
    data = {"shop": shop.pk, "code": "spring", "kind": "percent", "value": 50, "minimum_order_minor": 0}

    response = client.post(url, data)
    assert response.status_code == 200
    assert "A percentage is from 1% to 100%." in response.content.decode()

    response = client.post(url, {**data, "value": 1500})
    assert response.status_code == 302
    assert shop.discount_codes.get().code == "SPRING"
