"""The product page of a digital product shows two file forms (a photo, the file buyers download)
whose fields are both named "upload": each label must point at its own input, or a person (or a
screen reader, or a browser test) choosing "File buyers download" gets the photo input instead."""

import re
from collections import Counter

import pytest
from django.urls import reverse

from shops.enums import ProductType
from tests.shops.factories import make_product

pytestmark = pytest.mark.django_db


def test_every_id_on_a_digital_products_page_is_unique_and_each_label_has_its_own_input(
    client, creator, web_shop
):
    product = make_product(web_shop, title="Presets", price="5.00", type=ProductType.DIGITAL)
    client.force_login(creator.user)

    html = client.get(reverse("shops:product-edit", args=[product.pk])).content.decode()

    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [name for name, count in ids.items() if count > 1] == []
    photo = re.search(r'<input type="file" name="upload"[^>]*id="([^"]+)"', html)
    asset = re.search(r'<input type="file" name="upload"[^>]*id="([^"]+)"', html[photo.end() :])
    assert photo and asset and photo.group(1) != asset.group(1)
    assert f'<label for="{asset.group(1)}">File buyers download</label>' in html
    assert f'<label for="{photo.group(1)}">Photo</label>' in html


def test_another_creator_cannot_open_the_page(client, other_creator, web_shop):
    product = make_product(web_shop, title="Presets", price="5.00", type=ProductType.DIGITAL)
    client.force_login(other_creator.user)
    assert client.get(reverse("shops:product-edit", args=[product.pk])).status_code in (302, 404)
