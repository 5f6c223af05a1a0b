import pytest

from tests.browser.conftest import screenshot
from tests.conftest import make_creator
from tests.shops.factories import make_product, make_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_goes_from_a_creators_page_to_their_shop_and_a_product(page):
    creator = make_creator("sora.shop", country="JP")
    shop = make_shop(creator, currency="JPY", name="Sora's kitchen")
    make_product(shop, title="Bento box", price="2400")
    make_product(shop, title="Secret recipe", price="900", status="draft")

    page.goto("/@sora.shop")
    page.get_by_role("link", name="Shop", exact=False).first.click()
    assert page.get_by_role("heading", name="Sora's kitchen").is_visible()
    assert page.get_by_text("Bento box").is_visible()
    assert "Secret recipe" not in page.content()  # drafts are not for sale
    assert "￥2,400" in page.content() or "¥2,400" in page.content()
    page.get_by_text("Bento box").first.click()
    assert page.get_by_role("heading", name="Bento box").is_visible()
    screenshot(page, "storefront-product")
