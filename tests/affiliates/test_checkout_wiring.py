"""The real checkouts carry the referral: the web checkout reads the attribution cookie that
/r/<code> set, the mobile checkout takes the X-Click-Token or a link code."""

from django.urls import reverse

from affiliates.models import Commission
from shops.models import Order
from tests.affiliates.factories import join, make_offer


def test_web_checkout_attributes_the_order_to_the_link_the_visitor_followed(
    client, shop, guide, affiliate, stripe_api
):
    membership = join(make_offer(shop, rate_bps=1000), affiliate)
    assert client.get(f"/r/{membership.code}").status_code == 302
    client.post(reverse("shop-cart-add", args=[guide.pk]), {"quantity": 1})
    response = client.post(reverse("shop-checkout", args=[shop.slug]), {"email": "fan@example.com"})
    assert response.status_code == 302, response.content
    order = Order.objects.get()
    commission = Commission.objects.get(order=order)
    assert (commission.membership_id, commission.amount_minor) == (membership.pk, 500)
    splits = {split["source"]: split["amount_minor"] for split in order.payment.splits}
    assert splits == {"shop_sale": 4500, "affiliate_commission": 500}


def test_web_checkout_without_a_link_pays_the_seller_alone(client, shop, guide, affiliate, stripe_api):
    join(make_offer(shop, rate_bps=1000), affiliate)
    client.post(reverse("shop-cart-add", args=[guide.pk]), {"quantity": 1})
    client.post(reverse("shop-checkout", args=[shop.slug]), {"email": "fan@example.com"})
    order = Order.objects.get()
    assert not Commission.objects.filter(order=order).exists()
    assert [split["source"] for split in order.payment.splits] == ["shop_sale"]


def test_mobile_checkout_takes_the_click_token(api_as, buyer, shop, guide, affiliate, client, stripe_api):
    membership = join(make_offer(shop, rate_bps=2000), affiliate)
    token = client.get(f"/r/{membership.code}")["X-Click-Token"]
    body = {"shop": shop.slug, "items": [{"product": guide.pk, "quantity": 1}], "click_token": token}
    response = api_as(buyer).post(reverse("api:shops-api:order-list"), body, format="json")
    assert response.status_code == 201, response.content
    assert Commission.objects.get(order__number=response.json()["number"]).amount_minor == 1000
