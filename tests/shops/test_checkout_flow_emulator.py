"""A shop sale from checkout to the seller's bank, through the Stripe emulator, checked to the cent.

order_create → order_checkout_start → the buyer pays the hosted page (emulator client) → the
emulator's webhooks reach our endpoint (``Feed``) → the order is paid and settled → the hold is
released at the end of the refund window → a payout run transfers to the seller's Connect account
→ the ledger is balanced and reconciliation with the emulator is clean. A USD shop and a JPY shop
(no minor unit) take the same road; a partial refund through order_refund is checked on the way.

Prices are chosen so the 5% commission is not a whole minor unit: payments.settlement rounds it
half up (common.money.portion), the seller gets the rest, and refunds give back the largest-
remainder split of the settlement's credits (payments.refunds.refund_plan).
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
import stripe

from common.errors import ApplicationError
from payments.enums import (
    AccountKind,
    PaymentStatus,
    PayoutStatus,
    ReconciliationStatus,
    RefundStatus,
    WebhookEventStatus,
)
from payments.holds import holds_release_due
from payments.models import Hold, Payment, Payout, Refund, WebhookEvent, party_for_user
from payments.payouts import payouts_run
from payments.reconciliation import reconciliation_run
from payments.selectors import ledger_check
from shops.enums import OrderEventKind, OrderStatus
from shops.models import Order, ProductVariant
from shops.orders import ItemRequest, order_checkout_start, order_create, order_refund
from shops.services import variant_create
from tests.conftest import make_creator
from tests.payments.factories import (
    available_of,
    balance_of,
    clearing_balance,
    pending_of,
    revenue,
    user_account,
)
from tests.payments.test_payouts import ready_account
from tests.payments.test_webhooks import Feed
from tests.shops.factories import make_product, make_shop

ADDRESS = {
    "name": "Ada Buyer",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}
SUCCESS_URL = "http://testserver/shop/thanks?session={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://testserver/shop/cart"


@dataclass(frozen=True)
class Case:
    """A shop currency and the figures a sale of 3 units must produce, worked out by hand."""

    currency: str
    country: str
    price: str  # major units, as the seller types it
    total: int  # 3 units, minor units
    commission: int  # portion(total, 500 bps), half up
    refund: int  # one unit of three: total * 1 // 3
    refund_commission: int  # the platform's largest-remainder share of that refund

    @property
    def seller_net(self) -> int:
        return self.total - self.commission

    @property
    def refund_seller(self) -> int:
        return self.refund - self.refund_commission


CASES = [
    # $24.99 × 5% = 124.95 → 125; a $8.33 refund of 2499 splits 791.33 / 41.67 → 791 / 42.
    Case("USD", "US", "8.33", total=2499, commission=125, refund=833, refund_commission=42),
    # ¥3,333 × 5% = 166.65 → 167; a ¥1,111 refund of 3333 splits 1055.33 / 55.67 → 1055 / 56.
    Case("JPY", "JP", "1111", total=3333, commission=167, refund=1111, refund_commission=56),
]


@pytest.fixture
def feed(client, stripe_api, receiver, control, django_capture_on_commit_callbacks) -> Feed:
    return Feed(client, receiver, control, django_capture_on_commit_callbacks)


@pytest.fixture(params=CASES, ids=[case.currency for case in CASES])
def case(request) -> Case:
    return request.param


@pytest.fixture
def seller(case: Case):
    return make_creator(f"seller{case.currency.lower()}", country=case.country)


@pytest.fixture
def variant(case: Case, seller) -> ProductVariant:
    shop = make_shop(seller, currency=case.currency)
    product = make_product(shop, title="Hand-printed tote", price=case.price)
    return variant_create(product=product, name="Natural", stock=10)


def checkout_and_pay(*, variant: ProductVariant, buyer, feed: Feed, control) -> Order:
    """The buyer's whole web checkout: order, hosted page, card, webhooks delivered to us."""
    order = order_create(
        shop=variant.product.shop,
        items=[ItemRequest(product_id=variant.product_id, variant_id=variant.pk, quantity=3)],
        email=buyer.email,
        buyer=buyer,
        shipping_address=ADDRESS,
    )
    url = order_checkout_start(order=order, success_url=SUCCESS_URL, cancel_url=CANCEL_URL)
    assert url.startswith(control.base_url)
    session_id = Payment.objects.get(pk=order.payment_id).stripe_checkout_session_id
    assert control.pay_checkout(url).location == SUCCESS_URL.replace("{CHECKOUT_SESSION_ID}", session_id)
    assert "checkout.session.completed" in feed()
    return Order.objects.select_related("payment", "shop").get(pk=order.pk)


def release_and_pay_out(*, order: Order, seller, case: Case, feed: Feed, control, capture) -> Payout:
    """The refund window ends, the hold is released, a payout run pays the seller's bank."""
    paid_at = order.payment.paid_at
    assert holds_release_due(now=paid_at + timedelta(days=29, hours=23)) == 0  # still in the window
    assert holds_release_due(now=paid_at + timedelta(days=30, minutes=1)) == 1
    ready_account(control, seller.user, country=case.country)
    with capture(execute=True):  # the execute_payout task, eager, on commit
        assert payouts_run() == 1
    delivered = feed()  # transfer.created, payout.created/paid on the connected account, …
    assert "payout.paid" in delivered
    payout = Payout.objects.get()
    assert (payout.status, payout.currency) == (PayoutStatus.PAID, case.currency)
    return payout


def assert_balances(
    seller, case: Case, *, pending: int, available: int, revenue_: int, clearing: int
) -> None:
    """The seller's and the platform's accounts, in minor units of the shop's currency."""
    currency = case.currency
    assert (pending_of(seller.user, currency), available_of(seller.user, currency)) == (pending, available)
    assert (revenue(currency), clearing_balance(currency)) == (revenue_, clearing)


def assert_books_close() -> None:
    """The ledger is balanced and agrees with the emulator: transfers, refunds, bank payouts."""
    assert ledger_check() == []
    report = reconciliation_run()
    assert report.status == ReconciliationStatus.CLEAN, list(
        report.differences.values_list("kind", "reference")
    )


# ---------------------------------------------------------------- the whole road


def test_a_sale_goes_from_the_hosted_page_to_the_sellers_bank(
    case, seller, variant, buyer, feed, control, django_capture_on_commit_callbacks
):
    # when: the buyer checks out 3 units on the hosted page
    order = checkout_and_pay(variant=variant, buyer=buyer, feed=feed, control=control)

    # then: the webhook was processed and the order is paid, its stock taken
    assert WebhookEvent.objects.get(type="checkout.session.completed").status == WebhookEventStatus.PROCESSED
    assert (order.status, order.total_minor, order.currency) == (OrderStatus.PAID, case.total, case.currency)
    assert order.payment.status == PaymentStatus.SUCCEEDED
    assert list(order.events.values_list("kind", flat=True)) == [OrderEventKind.CREATED, OrderEventKind.PAID]
    assert ProductVariant.objects.get(pk=variant.pk).stock == 7
    session = stripe.checkout.Session.retrieve(order.payment.stripe_checkout_session_id)
    assert (session.amount_total, session.currency, session.payment_status) == (
        case.total,
        case.currency.lower(),
        "paid",
    )

    # and the settlement task put the sale in the ledger, commission rounded half up
    assert order.payment.settlement is not None
    assert order.payment.settlement.reference == f"payment:{order.payment.pk}:settle"
    assert_balances(
        seller, case, pending=case.seller_net, available=0, revenue_=case.commission, clearing=-case.total
    )
    hold = Hold.objects.get()
    assert (hold.party, hold.amount_minor) == (party_for_user(seller.user), case.seller_net)
    assert hold.release_at == order.payment.paid_at + timedelta(days=30)  # the shop's refund window

    # when: the refund window ends and the payout run pays the seller
    payout = release_and_pay_out(
        order=order,
        seller=seller,
        case=case,
        feed=feed,
        control=control,
        capture=django_capture_on_commit_callbacks,
    )

    # then: the seller's whole net share left for the bank; the platform kept its commission
    assert payout.amount_minor == case.seller_net
    assert [(t.amount, t.currency) for t in stripe.Transfer.list().data] == [
        (case.seller_net, case.currency.lower())
    ]
    assert_balances(seller, case, pending=0, available=0, revenue_=case.commission, clearing=-case.commission)
    assert balance_of(user_account(seller.user, AccountKind.PAYABLE_OUT, case.currency)) == 0
    assert_books_close()


def test_a_partial_refund_goes_back_to_the_buyer_and_out_of_the_sellers_hold(
    case, seller, variant, buyer, feed, control, django_capture_on_commit_callbacks
):
    # given: a paid, settled order of 3 units
    order = checkout_and_pay(variant=variant, buyer=buyer, feed=feed, control=control)
    line = order.lines.get()

    # when: the seller refunds one unit and puts it back in stock
    with django_capture_on_commit_callbacks(execute=True):  # payments.send_refund, eager
        refund = order_refund(
            order=order, actor=seller.user, quantities={line.pk: 1}, restock=True, reason="dented"
        )
    assert "charge.refunded" in feed()

    # then: Stripe refunded exactly one unit's share, and the ledger took it back in proportion
    refund = Refund.objects.get(pk=refund.pk)
    assert (refund.amount_minor, refund.status) == (case.refund, RefundStatus.SUCCEEDED)
    assert stripe.Refund.retrieve(refund.stripe_refund_id).amount == case.refund
    assert Refund.objects.count() == 1  # charge.refunded is covered by our own refund
    order.refresh_from_db()
    line.refresh_from_db()
    assert (order.status, order.refunded_minor) == (OrderStatus.PAID, case.refund)
    assert (line.refunded_quantity, line.refunded_minor) == (1, case.refund)
    assert ProductVariant.objects.get(pk=variant.pk).stock == 8
    assert_balances(
        seller,
        case,
        pending=case.seller_net - case.refund_seller,
        available=0,
        revenue_=case.commission - case.refund_commission,
        clearing=-case.total + case.refund,
    )
    assert Hold.objects.get().refunded_minor == case.refund_seller

    # when: the window ends and the seller is paid what is left
    payout = release_and_pay_out(
        order=order,
        seller=seller,
        case=case,
        feed=feed,
        control=control,
        capture=django_capture_on_commit_callbacks,
    )

    # then
    assert payout.amount_minor == case.seller_net - case.refund_seller
    remaining_commission = case.commission - case.refund_commission
    assert_balances(
        seller, case, pending=0, available=0, revenue_=remaining_commission, clearing=-remaining_commission
    )
    assert_books_close()


def test_a_refund_larger_than_what_is_left_is_refused_and_changes_nothing(
    case, seller, variant, buyer, feed, control
):
    order = checkout_and_pay(variant=variant, buyer=buyer, feed=feed, control=control)
    line = order.lines.get()

    with pytest.raises(ApplicationError) as error:
        order_refund(order=order, actor=seller.user, quantities={line.pk: 4})
    assert error.value.code == "refund_exceeds_remaining"
    assert not Refund.objects.exists()
    assert stripe.Refund.list().data == []
    assert_balances(
        seller, case, pending=case.seller_net, available=0, revenue_=case.commission, clearing=-case.total
    )
