"""sales_series: gross, platform commission and net per day from the payments and their ledger."""

from datetime import timedelta

import pytest
from django.utils import timezone

from common.money import Money
from payments.charges import refund_request
from shops.reports import sales_chart_svg, sales_series
from tests.shops.conftest import place

pytestmark = pytest.mark.django_db


def day_of(series, day):
    return next(d for d in series.days if d.day == day)


@pytest.fixture
def now():
    return timezone.now()


def test_each_day_has_gross_commission_and_net_from_the_ledger(web_shop, shirt, ebook, pay, now):
    product, variant = shirt
    yesterday = now - timedelta(days=1)
    pay(place(web_shop, (product, variant, 2)), paid_at=yesterday)  # $40.00
    pay(place(web_shop, (ebook, None, 1), address=None), paid_at=now)  # $9.99

    series = sales_series(shop=web_shop, days=30, today=now.date())

    assert len(series.days) == 30 and series.days[-1].day == now.date()
    first = day_of(series, yesterday.date())
    # The platform's default shop-sale commission is 5 % (payments migration 0004).
    assert (first.orders, first.gross, first.commission, first.net) == (
        1,
        Money(4000, "USD"),
        Money(200, "USD"),
        Money(3800, "USD"),
    )
    second = day_of(series, now.date())
    assert (second.gross, second.commission, second.net) == (
        Money(999, "USD"),
        Money(50, "USD"),
        Money(949, "USD"),
    )
    assert (series.orders, series.gross, series.net) == (2, Money(4999, "USD"), Money(4749, "USD"))
    assert [d.day for d in series.active_days] == [yesterday.date(), now.date()]


def test_a_refund_subtracts_on_its_day_with_its_commission(web_shop, shirt, pay, now):
    product, variant = shirt
    order = pay(place(web_shop, (product, variant, 2)), paid_at=now - timedelta(days=2))
    refund_request(payment=order.payment, amount=Money(2000, "USD"), reason="one shirt back")

    series = sales_series(shop=web_shop, days=30, today=now.date())

    today = day_of(series, now.date())
    assert (today.orders, today.gross, today.commission, today.net) == (
        0,
        Money(-2000, "USD"),
        Money(-100, "USD"),
        Money(-1900, "USD"),
    )
    assert (series.gross, series.commission, series.net) == (
        Money(2000, "USD"),
        Money(100, "USD"),
        Money(1900, "USD"),
    )


def test_only_this_shops_paid_orders_count(web_shop, other_shop, shirt, pay, now):
    from shops.services import variant_create
    from tests.shops.factories import make_product

    product, variant = shirt
    place(web_shop, (product, variant, 1))  # never paid
    bento = make_product(other_shop, title="Bento", price="12.00")
    pay(place(other_shop, (bento, variant_create(product=bento, name="L", stock=2), 1)))

    series = sales_series(shop=web_shop, days=30, today=now.date())

    assert (series.orders, series.gross) == (0, Money(0, "USD"))
    assert series.active_days == []


def test_the_period_decides_which_sales_count(web_shop, shirt, pay, now):
    product, variant = shirt
    pay(place(web_shop, (product, variant, 1)), paid_at=now - timedelta(days=40))
    assert sales_series(shop=web_shop, days=30, today=now.date()).orders == 0
    ninety = sales_series(shop=web_shop, days=90, today=now.date())
    assert (ninety.orders, len(ninety.days)) == (1, 90)
    assert len(sales_series(shop=web_shop, days=12, today=now.date()).days) == 30  # unknown: 30


def test_the_query_count_does_not_grow_with_orders(web_shop, shirt, pay, now, django_assert_num_queries):
    product, variant = shirt
    for _n in range(3):
        pay(place(web_shop, (product, variant, 1)))
    with django_assert_num_queries(3):  # payments, refunds, their commission entries
        sales_series(shop=web_shop, days=365)


def test_the_svg_has_a_stacked_bar_per_day_with_sales(web_shop, shirt, pay, now):
    product, variant = shirt
    pay(place(web_shop, (product, variant, 2)))
    svg = sales_chart_svg(sales_series(shop=web_shop, days=30))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('class="net"') == 1 and svg.count('class="commission"') == 1
    assert "$40.00 gross, $2.00 commission, $38.00 net" in svg


def test_an_empty_period_draws_no_bars(web_shop):
    svg = sales_chart_svg(sales_series(shop=web_shop, days=30))
    assert 'class="net"' not in svg and "<svg" in svg
