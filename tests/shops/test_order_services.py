"""Orders: creation with stock reservation and discounts, payment, expiry, fulfilment, refunds, downloads."""

from datetime import timedelta

import pytest
import stripe
from django.core import mail
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.errors import ApplicationError, NotFoundError
from payments.charges import payment_mark_succeeded
from payments.enums import AccountKind, PaymentStatus, RefundStatus
from payments.models import Payment, Refund
from shops import orders
from shops.enums import DiscountKind, OrderEventKind, OrderStatus, ProductType
from shops.models import DigitalAsset, DiscountCode, DownloadGrant, Order, ProductVariant
from shops.orders import (
    ItemRequest,
    download_claim,
    download_token,
    order_cancel,
    order_create,
    order_intent_start,
    order_mark_delivered,
    order_refund,
    order_ship,
    orders_complete_due,
    orders_release_expired,
)
from shops.services import discount_code_create, variant_create
from tests.payments.factories import balance_of, pending_of, revenue, user_account
from tests.shops.factories import make_product, make_shop

ADDRESS = {
    "name": "Ada Buyer",
    "line1": "1 Main St",
    "city": "Austin",
    "postal_code": "78701",
    "country": "us",
}


@pytest.fixture
def shop(creator):
    return make_shop(creator)


@pytest.fixture
def tee(shop):
    product = make_product(shop, title="Tee", price="20.00")
    variant = variant_create(product=product, name="M", stock=5)
    return product, variant


@pytest.fixture
def ebook(shop):
    product = make_product(shop, title="E-book", price="9.99", type=ProductType.DIGITAL)
    DigitalAsset.objects.create(
        product=product,
        file=ContentFile(b"%PDF-1.4 book", name="book.pdf"),
        filename="book.pdf",
        download_limit=2,
    )
    return product


def buy(shop, *items, buyer=None, email="guest@example.com", address=ADDRESS, code="", **extra):
    return order_create(
        shop=shop,
        items=[ItemRequest(product_id=p, variant_id=v, quantity=q) for p, v, q in items],
        email=email,
        buyer=buyer,
        shipping_address=address,
        discount_code=code,
        **extra,
    )


def pay(order, capture, *, real=False):
    """Mark the order's payment paid as the webhook would; ``real``: through a PaymentIntent
    confirmed in the Stripe emulator first, so that refunds can reach Stripe."""
    intent = f"pi_test_{order.pk}"
    if real:
        intent = order_intent_start(order=order)["payment_intent_id"]
        stripe.PaymentIntent.confirm(intent, payment_method="pm_card_visa")
    with capture(execute=True):
        payment_mark_succeeded(payment=order.payment, stripe_payment_intent_id=intent)
    order.refresh_from_db()
    return order


# ---------------------------------------------------------------- creating


def test_order_reserves_stock_and_creates_the_payment(shop, tee, buyer):
    product, variant = tee
    order = buy(shop, (product.pk, variant.pk, 2), buyer=buyer, email="")
    variant.refresh_from_db()
    assert variant.stock == 3
    assert (order.status, order.total_minor, order.email) == (OrderStatus.PENDING_PAYMENT, 4000, buyer.email)
    assert order.shipping_address["country"] == "US"
    payment = order.payment
    assert (payment.reference, payment.amount_minor, payment.currency, payment.source) == (
        f"order:{order.pk}",
        4000,
        "USD",
        "shop_sale",
    )
    assert payment.splits == [
        {"party": shop.owner_party, "amount_minor": 4000, "source": "shop_sale", "hold_days": 30}
    ]
    assert list(order.events.values_list("kind", flat=True)) == [OrderEventKind.CREATED]
    assert order.lines.get().title == "Tee"


def test_price_comes_from_the_catalogue_and_variant_override(shop, tee):
    product, variant = tee
    variant.price_minor = 2500
    variant.save()
    order = buy(shop, (product.pk, variant.pk, 1))
    assert order.total_minor == 2500


@pytest.mark.parametrize(
    ("items", "code"),
    [
        ([], "empty_order"),
        ([("tee", "variant", 6)], "insufficient_stock"),
        ([("tee", None, 1)], "variant_required"),
        ([("tee", "variant", 0)], "invalid_quantity"),
        ([("tee", "variant", 100)], "invalid_quantity"),
        ([("other", None, 1)], "product_unavailable"),
        ([("ebook", None, 2)], "invalid_quantity"),
    ],
)
def test_bad_items_are_refused_and_nothing_is_written(shop, tee, ebook, other_creator, items, code):
    product, variant = tee
    foreign = make_product(make_shop(other_creator), title="Mug")
    ids = {"tee": product.pk, "variant": variant.pk, "other": foreign.pk, "ebook": ebook.pk}
    resolved = [(ids[p], ids.get(v) if v else None, q) for p, v, q in items]
    with pytest.raises(ApplicationError) as error:
        buy(shop, *resolved)
    assert error.value.code == code
    variant.refresh_from_db()
    assert variant.stock == 5
    assert not Order.objects.exists() and not Payment.objects.exists()


def test_a_sold_out_variant_is_refused_before_anything_is_written(shop, tee):
    # A flash sale's late buyers: answered from the stock as read, with no order written and
    # rolled back (no INSERT at all), and the same error the locked re-check gives.
    product, variant = tee
    variant.stock = 0
    variant.save(update_fields=["stock"])
    with CaptureQueriesContext(connection) as queries, pytest.raises(ApplicationError) as error:
        buy(shop, (product.pk, variant.pk, 1))
    assert (error.value.code, error.value.status_code) == ("insufficient_stock", 409)
    assert error.value.fields == {"quantity": ["Only 0 left."]}
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]


def test_a_paid_order_reads_nothing_it_already_holds(shop, tee):
    # The checkout path's hot queries: the affiliate's split comes from the commission the
    # attribution step returned (none here), and the paid step uses the payment it has locked.
    product, variant = tee
    with CaptureQueriesContext(connection) as created:
        order = buy(shop, (product.pk, variant.pk, 1))
    with CaptureQueriesContext(connection) as paid:
        payment_mark_succeeded(payment=order.payment, stripe_payment_intent_id="pi_reads")

    def selects(queries, table: str) -> int:
        return sum(q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"] for q in queries)

    assert selects(created.captured_queries, "affiliates_commission") == 0
    assert selects(paid.captured_queries, "payments_payment") == 1  # the lock, once
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.events.get(kind=OrderEventKind.PAID).data == {"payment": f"order:{order.pk}"}


def test_the_locked_recheck_still_decides_when_the_stock_read_was_stale(shop, tee, monkeypatch):
    # Another buyer takes the last units between the unlocked read and the reservation: the
    # conditional UPDATE on the locked row refuses, and the whole order rolls back.
    product, variant = tee
    real_precheck = orders._stock_precheck

    def precheck_then_sell_out(wanted):
        real_precheck(wanted)
        ProductVariant.objects.filter(pk=variant.pk).update(stock=0)

    monkeypatch.setattr(orders, "_stock_precheck", precheck_then_sell_out)
    with pytest.raises(ApplicationError) as error:
        buy(shop, (product.pk, variant.pk, 1))
    assert error.value.code == "insufficient_stock"
    assert not Order.objects.exists() and not Payment.objects.exists()


def test_physical_orders_need_a_full_address(shop, tee):
    product, variant = tee
    with pytest.raises(ApplicationError) as error:
        buy(shop, (product.pk, variant.pk, 1), address=None)
    assert error.value.code == "shipping_address_required"
    with pytest.raises(ApplicationError) as error:
        buy(shop, (product.pk, variant.pk, 1), address={**ADDRESS, "city": " ", "country": "USA"})
    assert error.value.code == "invalid_shipping_address"
    assert set(error.value.fields) == {"city", "country"}


def test_digital_only_orders_need_no_address(shop, ebook):
    order = buy(shop, (ebook.pk, None, 1), address=None)
    assert order.shipping_address == {}


def test_closed_shop_and_bad_email_are_refused(shop, tee):
    product, variant = tee
    with pytest.raises(ApplicationError) as error:
        buy(shop, (product.pk, variant.pk, 1), email="not-an-email")
    assert error.value.code == "invalid_email"
    shop.status = "paused"
    shop.save()
    with pytest.raises(ApplicationError) as error:
        buy(shop, (product.pk, variant.pk, 1))
    assert error.value.code == "shop_closed"


def test_a_discount_that_leaves_less_than_the_currency_minimum_is_refused(shop):
    cheap = make_product(shop, title="Sticker", price="1.00", type=ProductType.DIGITAL)
    discount_code_create(shop=shop, code="BIG", kind=DiscountKind.FIXED, value=80)
    with pytest.raises(ApplicationError) as error:
        buy(shop, (cheap.pk, None, 1), address=None, code="BIG")
    assert error.value.code == "amount_below_minimum"
    assert DiscountCode.objects.get().uses == 0 and not Order.objects.exists()


# ---------------------------------------------------------------- discounts


def test_percent_discount_is_split_over_eligible_lines_exactly(shop, tee, ebook):
    product, variant = tee
    discount_code_create(shop=shop, code="SPRING", kind=DiscountKind.PERCENT, value=1500)
    order = buy(shop, (product.pk, variant.pk, 1), (ebook.pk, None, 1), code="spring")
    # 15% of 29.99 = 4.4985 -> 4.50 (half up), shared 20.00 : 9.99 -> 3.00 / 1.50
    assert (order.subtotal_minor, order.discount_minor, order.total_minor) == (2999, 450, 2549)
    assert sorted(order.lines.values_list("discount_minor", flat=True)) == [150, 300]
    assert sum(order.lines.values_list("total_minor", flat=True)) == order.total_minor
    assert DiscountCode.objects.get().uses == 1


def test_fixed_discount_limited_to_some_products(shop, tee, ebook):
    product, variant = tee
    code = discount_code_create(shop=shop, code="BOOK", kind=DiscountKind.FIXED, value=2000, products=[ebook])
    order = buy(shop, (product.pk, variant.pk, 1), (ebook.pk, None, 1), code="BOOK")
    # never more than the eligible lines are worth
    assert order.discount_minor == 999
    code.refresh_from_db()
    assert code.uses == 1
    with pytest.raises(ApplicationError) as error:
        buy(shop, (product.pk, variant.pk, 1), code="BOOK")
    assert error.value.code == "discount_not_applicable"


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ({"expires_at": "past"}, "discount_expired"),
        ({"max_uses": 1, "uses": 1}, "discount_exhausted"),
        ({"minimum_order_minor": 5000}, "discount_minimum_not_met"),
        ({"other_shop": True}, "invalid_discount_code"),
    ],
)
def test_unusable_discount_codes_are_refused(shop, tee, other_creator, setup, code):
    product, variant = tee
    target = make_shop(other_creator) if setup.get("other_shop") else shop
    discount = discount_code_create(shop=target, code="SAVE", kind=DiscountKind.PERCENT, value=1000)
    if setup.get("expires_at"):
        DiscountCode.objects.filter(pk=discount.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    DiscountCode.objects.filter(pk=discount.pk).update(
        max_uses=setup.get("max_uses"),
        uses=setup.get("uses", 0),
        minimum_order_minor=setup.get("minimum_order_minor", 0),
    )
    with pytest.raises(ApplicationError) as error:
        buy(shop, (product.pk, variant.pk, 1), code="SAVE")
    assert error.value.code == code
    variant.refresh_from_db()
    assert variant.stock == 5 and not Order.objects.exists()


# ---------------------------------------------------------------- paying


def test_payment_marks_the_order_paid_settles_and_emails(
    shop, tee, buyer, creator, django_capture_on_commit_callbacks
):
    product, variant = tee
    order = pay(
        buy(shop, (product.pk, variant.pk, 2), buyer=buyer, email=""), django_capture_on_commit_callbacks
    )
    assert order.status == OrderStatus.PAID and order.paid_at is not None
    assert OrderEventKind.PAID in order.events.values_list("kind", flat=True)
    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.settlement_id is not None
    # 5% shop-sale commission: 40.00 -> seller 38.00 pending, platform 2.00
    assert pending_of(creator.user) == 3800
    assert revenue() == 200
    subjects = sorted(message.subject for message in mail.outbox)
    assert any(order.number in subject and "Your order" in subject for subject in subjects)
    assert any(subject.startswith("New order") for subject in subjects)
    assert {tuple(m.to) for m in mail.outbox} == {(buyer.email,), (creator.user.email,)}


def test_a_repeated_payment_event_changes_nothing(shop, tee, django_capture_on_commit_callbacks):
    product, variant = tee
    order = pay(buy(shop, (product.pk, variant.pk, 1)), django_capture_on_commit_callbacks)
    pay(order, django_capture_on_commit_callbacks)
    assert order.events.filter(kind=OrderEventKind.PAID).count() == 1


def test_digital_order_is_delivered_with_a_download_grant(shop, ebook, django_capture_on_commit_callbacks):
    order = pay(buy(shop, (ebook.pk, None, 1), address=None), django_capture_on_commit_callbacks)
    assert order.status == OrderStatus.DELIVERED
    grant = DownloadGrant.objects.get(line__order=order)
    assert grant.download_limit == 2
    confirmation = next(m for m in mail.outbox if m.to == ["guest@example.com"])
    assert f"/downloads/{download_token(grant)}" in confirmation.body


# ---------------------------------------------------------------- expiry


def test_unpaid_orders_release_their_stock_and_discount_after_the_reservation(shop, tee):
    product, variant = tee
    discount_code_create(shop=shop, code="TEN", kind=DiscountKind.PERCENT, value=1000, max_uses=1)
    order = buy(shop, (product.pk, variant.pk, 3), code="TEN")
    assert orders_release_expired(now=timezone.now() + timedelta(minutes=29)) == 0
    assert orders_release_expired(now=timezone.now() + timedelta(minutes=31)) == 1
    order.refresh_from_db()
    variant.refresh_from_db()
    assert (order.status, variant.stock) == (OrderStatus.CANCELLED, 5)
    assert DiscountCode.objects.get().uses == 0
    assert order.events.last().kind == OrderEventKind.EXPIRED
    assert orders_release_expired(now=timezone.now() + timedelta(hours=2)) == 0  # never twice


def test_late_payment_retakes_the_stock_when_it_is_there(shop, tee, django_capture_on_commit_callbacks):
    product, variant = tee
    order = buy(shop, (product.pk, variant.pk, 2))
    orders_release_expired(now=timezone.now() + timedelta(hours=1))
    order = pay(order, django_capture_on_commit_callbacks)
    variant.refresh_from_db()
    assert (order.status, variant.stock) == (OrderStatus.PAID, 3)
    assert order.events.last().kind == OrderEventKind.PAID_LATE


def test_late_payment_for_sold_out_stock_is_refunded_in_full(
    shop, tee, creator, django_capture_on_commit_callbacks, stripe_api
):
    product, variant = tee
    order = buy(shop, (product.pk, variant.pk, 4))
    orders_release_expired(now=timezone.now() + timedelta(hours=1))
    buy(shop, (product.pk, variant.pk, 5))  # someone else takes everything
    order = pay(order, django_capture_on_commit_callbacks, real=True)
    variant.refresh_from_db()
    assert variant.stock == 0
    assert (order.status, order.refunded_minor) == (OrderStatus.REFUNDED, order.total_minor)
    refund = Refund.objects.get(payment_id=order.payment_id)
    assert refund.amount_minor == order.total_minor
    assert pending_of(creator.user) == 0 and revenue() == 0
    assert any("sold out" in m.body for m in mail.outbox if m.to == ["guest@example.com"])


def test_buyer_can_cancel_only_a_pending_order(shop, tee, buyer, django_capture_on_commit_callbacks):
    product, variant = tee
    order = buy(shop, (product.pk, variant.pk, 2), buyer=buyer)
    order_cancel(order=order, actor=buyer)
    variant.refresh_from_db()
    assert variant.stock == 5
    assert order.events.last().actor == buyer
    paid = pay(buy(shop, (product.pk, variant.pk, 1)), django_capture_on_commit_callbacks)
    with pytest.raises(ApplicationError) as error:
        order_cancel(order=paid, actor=buyer)
    assert error.value.code == "order_not_cancellable"


# ---------------------------------------------------------------- fulfilment


def test_ship_deliver_complete(shop, tee, creator, django_capture_on_commit_callbacks):
    product, variant = tee
    order = pay(buy(shop, (product.pk, variant.pk, 1)), django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with pytest.raises(ApplicationError) as error:
        order_ship(order=order, carrier="pigeon", tracking_number="1Z999", actor=creator.user)
    assert error.value.code == "invalid_carrier"
    with pytest.raises(ApplicationError) as error:
        order_ship(order=order, carrier="ups", tracking_number="<script>", actor=creator.user)
    assert error.value.code == "invalid_tracking_number"
    with django_capture_on_commit_callbacks(execute=True):
        order_ship(order=order, carrier="ups", tracking_number="1Z 999 AA1", actor=creator.user)
    order.refresh_from_db()
    assert (order.status, order.tracking_number) == (OrderStatus.SHIPPED, "1Z 999 AA1")
    assert mail.outbox[0].to == ["guest@example.com"] and "1Z 999 AA1" in mail.outbox[0].body
    order_mark_delivered(order=order, actor=creator.user)
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert orders_complete_due(now=timezone.now() + timedelta(days=29)) == 0  # refund window still open
    assert orders_complete_due(now=timezone.now() + timedelta(days=31)) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    kinds = list(order.events.values_list("kind", flat=True))
    assert kinds == ["created", "paid", "shipped", "delivered", "completed"]


def test_an_unpaid_order_cannot_be_shipped(shop, tee, creator):
    product, variant = tee
    order = buy(shop, (product.pk, variant.pk, 1))
    with pytest.raises(ApplicationError) as error:
        order_ship(order=order, carrier="ups", tracking_number="1Z999", actor=creator.user)
    assert error.value.code == "order_not_shippable"


# ---------------------------------------------------------------- refunds


@pytest.fixture
def paid_order(shop, tee, ebook, django_capture_on_commit_callbacks, stripe_api):
    product, variant = tee
    order = buy(shop, (product.pk, variant.pk, 3), (ebook.pk, None, 1))
    return pay(order, django_capture_on_commit_callbacks, real=True)


def test_line_refunds_add_up_exactly_and_restock(
    paid_order, tee, creator, django_capture_on_commit_callbacks
):
    _product, variant = tee
    tee_line = paid_order.lines.get(variant=variant)
    with django_capture_on_commit_callbacks(execute=True):
        first = order_refund(order=paid_order, actor=creator.user, quantities={tee_line.pk: 1}, restock=True)
    assert first.amount_minor == 2000
    variant.refresh_from_db()
    assert variant.stock == 3  # 5 - 3 + 1
    assert Refund.objects.get(pk=first.pk).status == RefundStatus.SUCCEEDED
    with django_capture_on_commit_callbacks(execute=True):
        rest = order_refund(order=paid_order, actor=creator.user)
    assert rest.amount_minor == 4000 + 999
    paid_order.refresh_from_db()
    assert (paid_order.status, paid_order.refunded_minor) == (OrderStatus.REFUNDED, paid_order.total_minor)
    assert pending_of(creator.user) == 0 and revenue() == 0
    assert DownloadGrant.objects.get().revoked_at is not None
    assert [e.actor for e in paid_order.events.filter(kind=OrderEventKind.REFUNDED)] == [creator.user] * 2
    assert any("refunded" in m.body for m in mail.outbox if m.to == ["guest@example.com"])


def test_refund_more_than_is_left_is_refused(paid_order, creator):
    line = paid_order.lines.first()
    with pytest.raises(ApplicationError) as error:
        order_refund(order=paid_order, actor=creator.user, quantities={line.pk: line.quantity + 1})
    assert error.value.code == "refund_exceeds_remaining"
    with pytest.raises(ApplicationError) as error:
        order_refund(order=paid_order, actor=creator.user, quantities={999999: 1})
    assert error.value.code == "refund_exceeds_remaining"
    with pytest.raises(ApplicationError) as error:
        order_refund(order=paid_order, actor=creator.user, quantities={line.pk: 0})
    assert error.value.code == "nothing_to_refund"
    assert not Refund.objects.exists()
    assert balance_of(user_account(creator.user, AccountKind.PENDING)) > 0


def test_seller_refunds_only_inside_the_window_staff_always(paid_order, creator, staff):
    Order.objects.filter(pk=paid_order.pk).update(paid_at=timezone.now() - timedelta(days=31))
    paid_order.refresh_from_db()
    with pytest.raises(ApplicationError) as error:
        order_refund(order=paid_order, actor=creator.user)
    assert error.value.code == "refund_window_closed"
    refund = order_refund(order=paid_order, actor=staff, as_staff=True, reason="goodwill")
    assert refund.amount_minor == paid_order.total_minor


def test_a_pending_order_cannot_be_refunded(shop, tee, creator):
    product, variant = tee
    order = buy(shop, (product.pk, variant.pk, 1))
    with pytest.raises(ApplicationError) as error:
        order_refund(order=order, actor=creator.user)
    assert error.value.code == "order_not_paid"


# ---------------------------------------------------------------- downloads


@pytest.fixture
def ebook_grant(shop, ebook, buyer, django_capture_on_commit_callbacks):
    order = pay(buy(shop, (ebook.pk, None, 1), buyer=buyer, address=None), django_capture_on_commit_callbacks)
    return DownloadGrant.objects.get(line__order=order)


def test_download_works_for_the_buyer_up_to_the_limit(ebook_grant, buyer):
    token = download_token(ebook_grant)
    assert download_claim(token=token, user=buyer).filename == "book.pdf"
    download_claim(token=token, user=buyer)
    with pytest.raises(ApplicationError) as error:
        download_claim(token=token, user=buyer)
    assert error.value.code == "download_limit_reached"
    ebook_grant.refresh_from_db()
    assert ebook_grant.downloads == 2


def test_download_refused_to_anyone_else(ebook_grant, other_creator):
    token = download_token(ebook_grant)
    for user in (other_creator.user, None):
        with pytest.raises(NotFoundError):
            download_claim(token=token, user=user)
    with pytest.raises(NotFoundError):
        download_claim(token=token + "x", user=None)
    ebook_grant.refresh_from_db()
    assert ebook_grant.downloads == 0


def test_expired_link_and_expired_grant(ebook_grant, buyer, settings):
    token = download_token(ebook_grant)
    settings.SHOP_DOWNLOAD_LINK_HOURS = 0
    with pytest.raises(ApplicationError) as error:
        download_claim(token=token, user=buyer)
    assert error.value.code == "download_link_expired"
    settings.SHOP_DOWNLOAD_LINK_HOURS = 72
    DownloadGrant.objects.filter(pk=ebook_grant.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ApplicationError) as error:
        download_claim(token=token, user=buyer)
    assert error.value.code == "download_expired"


def test_guest_download_needs_only_the_emailed_link(shop, ebook, django_capture_on_commit_callbacks):
    order = pay(buy(shop, (ebook.pk, None, 1), address=None), django_capture_on_commit_callbacks)
    grant = DownloadGrant.objects.get(line__order=order)
    assert download_claim(token=download_token(grant), user=None).filename == "book.pdf"


def test_payment_status_untouched_by_a_failed_order_create(shop, tee):
    product, variant = tee
    with pytest.raises(ApplicationError):
        buy(shop, (product.pk, variant.pk, 6))
    assert not Payment.objects.filter(status=PaymentStatus.PENDING).exists()
