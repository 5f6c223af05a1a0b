"""checkout_contention: paid orders per second when 200 buyers race for the last 100 units.

Processes and threads: 200 buyers, released together, are served by 40 checkout workers (threads
holding one database session each, like web workers behind a connection pool) in 4 forked
processes so that the GIL does not decide. Each buyer calls shops.orders.order_create for one
unit (a guest web checkout: order, lines, Payment, stock reserved last) and, when it got an
order, marks the payment succeeded as the Stripe webhook does (payments.charges.
payment_mark_succeeded → order_payment_succeeded, under the payment's and the order's row locks;
the emails and the settlement are Celery tasks, queued on commit). Five
rounds, each on a fresh variant of 100 units; the value is the median round's paid orders per
second (100 / wall time from release to the last buyer done). PostgreSQL allows 100 connections
on the benchmark machine, hence 40 sessions for 200 buyers.

Settlement is a worker's job and has its own benchmark (settlement_throughput): its tasks are
queued in Redis during the race but not run, and the paid payments are settled afterwards, off
the clock, so the ledger can be checked. Emails go to Django's locmem backend.

Also measured, for the notes: the same work by one buyer at a time (the cost of a paid order
without contention).

Checked every round: stock 0, exactly 100 paid units in 100 paid orders, the 100 other buyers
told ``insufficient_stock``, no other error ("oversold": 0). The anchor is pgbench TPC-B on the
same server in the same run (harness.pgbench_tps). Target ratio >= 0.3.
"""

import logging
import multiprocessing
import os
import threading
import time
from collections import Counter
from queue import Empty, Queue
from typing import Any

from django.conf import settings
from django.db import connection, connections

from bench.harness import Result, database_url, pgbench_tps
from common.errors import ApplicationError
from creators.models import User
from creators.services import creator_become, user_create
from payments.charges import payment_mark_succeeded
from payments.commission import commission_defaults_ensure
from payments.enums import PaymentStatus
from payments.models import Payment
from payments.selectors import ledger_check
from payments.settlement import settlement_post_many
from shops.enums import OrderStatus, ProductStatus, ShopStatus
from shops.models import Order, OrderLine, ProductVariant, Shop
from shops.orders import ItemRequest, order_create
from shops.services import product_create, shop_create, shop_set_status, variant_create

BUYERS = 200
UNITS = 100
ROUNDS = 5
DB_SESSIONS = 40
PROCESSES = 4
SLUG = "bench-checkout"
ADDRESS = {
    "name": "Bench Buyer",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}


def ensure_shop() -> Shop:
    shop = Shop.objects.filter(slug=SLUG).first()
    if shop is not None:
        return shop
    email = "bench-checkout-seller@example.com"
    user = User.objects.filter(email=email).first() or user_create(
        email=email, password="a-long-bench-password-42"
    )
    creator = creator_become(
        user=user, handle="benchcheckout", display_name="Bench Checkout", country="US", is_adult=True
    )
    shop = shop_create(creator=creator, name="Bench checkout", slug=SLUG, currency="USD")
    return shop_set_status(shop=shop, status=ShopStatus.OPEN, actor=user)


def fresh_variant(shop: Shop, round_number: int) -> ProductVariant:
    product = product_create(
        shop=shop, title=f"Drop {round_number}", price="25.00", status=ProductStatus.ACTIVE
    )
    return variant_create(product=product, name="One size", stock=UNITS)


def _buyers(variant_id: int, indexes: range, round_number: int, ready, go, results) -> None:
    """One process's share: its buyers, served by DB_SESSIONS // PROCESSES checkout workers."""
    connections.close_all()  # never use the parent's socket
    variant = ProductVariant.objects.select_related("product__shop").get(pk=variant_id)
    connection.close()
    shop = variant.product.shop
    queue: Queue[int] = Queue()
    for index in indexes:
        queue.put(index)
    start = threading.Event()
    outcomes: dict[int, Any] = {}

    def buy(index: int) -> None:
        try:
            order = order_create(
                shop=shop,
                items=[ItemRequest(product_id=variant.product_id, variant_id=variant.pk, quantity=1)],
                email=f"buyer{round_number}-{index}@example.com",
                shipping_address=ADDRESS,
            )
            assert order.payment is not None
            payment_mark_succeeded(
                payment=order.payment, stripe_payment_intent_id=f"pi_bench_{variant.pk}_{index}"
            )
            outcomes[index] = order.pk
        except ApplicationError as exc:
            outcomes[index] = exc.code
        except Exception as exc:  # reported in the notes: any is a failure of the benchmark
            outcomes[index] = repr(exc)

    def worker() -> None:
        connection.ensure_connection()  # connected before the race, as a pooled web worker is
        start.wait()
        try:
            while True:
                try:
                    index = queue.get_nowait()
                except Empty:
                    return
                buy(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(DB_SESSIONS // PROCESSES)]
    for thread in threads:
        thread.start()
    ready.wait()  # every process's workers are connected: release the buyers together
    go.wait()
    start.set()
    for thread in threads:
        thread.join()
    results.put(outcomes)


def race(variant: ProductVariant, round_number: int) -> tuple[float, list[Any]]:
    """All buyers at once; (seconds from release to the last buyer done, each buyer's outcome).

    PROCESSES forked processes, each with its share of the buyer threads: one Python process
    would let the GIL, not the database, decide (a buyer holding the variant's row lock waits
    for the interpreter behind dozens of other threads).
    """
    context = multiprocessing.get_context("fork")
    ready, go, results = context.Barrier(PROCESSES + 1), context.Event(), context.Queue()
    per_process = BUYERS // PROCESSES
    connections.close_all()
    processes = [
        context.Process(
            target=_buyers,
            args=(
                variant.pk,
                range(n * per_process, (n + 1) * per_process),
                round_number,
                ready,
                go,
                results,
            ),
        )
        for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    ready.wait(timeout=120)
    started = time.perf_counter()
    go.set()
    outcomes: dict[int, Any] = {}
    for _ in processes:
        outcomes.update(results.get(timeout=300))
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join(timeout=30)
    return elapsed, [outcomes.get(i, "lost") for i in range(BUYERS)]


def verify(variant: ProductVariant, outcomes: list[Any]) -> dict[str, Any]:
    """What the round left behind, read back from the database."""
    stock = ProductVariant.objects.values_list("stock", flat=True).get(pk=variant.pk)
    paid_lines = OrderLine.objects.filter(variant=variant, order__status=OrderStatus.PAID)
    paid_units = sum(paid_lines.values_list("quantity", flat=True))
    paid_orders = Order.objects.filter(lines__variant=variant, status=OrderStatus.PAID).distinct().count()
    succeeded = (
        Payment.objects.filter(order__lines__variant=variant, status=PaymentStatus.SUCCEEDED)
        .distinct()
        .count()
    )
    codes = Counter(o if isinstance(o, str) else "order" for o in outcomes)
    return {
        "stock": stock,
        "paid_units": paid_units,
        "paid_orders": paid_orders,
        "succeeded_payments": succeeded,
        "oversold": max(0, paid_units - UNITS) + max(0, -stock),
        "outcomes": dict(codes),
        "ok": stock == 0
        and paid_units == UNITS
        and paid_orders == UNITS
        and succeeded == UNITS
        and codes == Counter({"order": UNITS, "insufficient_stock": BUYERS - UNITS}),
    }


def settle_all() -> int:
    ids = list(
        Payment.objects.filter(
            status=PaymentStatus.SUCCEEDED, settlement__isnull=True, reference__startswith="order:"
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(settlement_post_many(payment_ids=ids[i : i + 500]) for i in range(0, len(ids), 500))


def serial_orders_per_s(shop: Shop) -> float:
    """The same work by one buyer after another in this process: the cost of a paid order
    without contention, to tell the per-order cost from what the race adds."""
    variant = fresh_variant(shop, ROUNDS)
    started = time.perf_counter()
    for index in range(UNITS):
        order = order_create(
            shop=shop,
            items=[ItemRequest(product_id=variant.product_id, variant_id=variant.pk, quantity=1)],
            email=f"serial-{index}@example.com",
            shipping_address=ADDRESS,
        )
        assert order.payment is not None
        payment_mark_succeeded(
            payment=order.payment, stripe_payment_intent_id=f"pi_serial_{variant.pk}_{index}"
        )
    return UNITS / (time.perf_counter() - started)


def run() -> Result:
    from config.celery_app import app

    # The settlement and email tasks enqueued on commit go to the real broker, as in production,
    # but no worker takes them: the payments are settled below, off the clock, and the queued
    # tasks dropped at the end (the later benchmarks share this process and this broker).
    app.conf.task_always_eager = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    logging.getLogger("django.db.backends.base").setLevel(logging.CRITICAL)  # robust on_commit noise
    # The rules settlement needs, whatever emptied the database before (bonus_run's TRUNCATE of
    # the users cascades to the commission rules staff edited).
    commission_defaults_ensure()
    shop = ensure_shop()
    rounds = []
    for round_number in range(ROUNDS):
        variant = fresh_variant(shop, round_number)
        connections.close_all()
        elapsed, outcomes = race(variant, round_number)
        rounds.append({"seconds": elapsed, "orders_per_s": UNITS / elapsed, **verify(variant, outcomes)})
    serial = serial_orders_per_s(shop)
    load = os.getloadavg()[0]
    settled = settle_all()
    unsettled = Payment.objects.filter(
        status=PaymentStatus.SUCCEEDED, settlement__isnull=True, reference__startswith="order:"
    ).count()
    app.control.purge()
    problems = ledger_check()
    tps = pgbench_tps(database_url())
    median = sorted(rounds, key=lambda r: r["orders_per_s"])[len(rounds) // 2]
    value = median["orders_per_s"]
    oversold = sum(r["oversold"] for r in rounds)
    all_ok = all(r["ok"] for r in rounds)
    per_round = ", ".join(f"{r['orders_per_s']:.0f}" for r in rounds)
    return Result(
        value=round(value, 1),
        unit="paid orders/s",
        anchor=round(tps, 1),
        ratio=round(value / tps, 3),
        notes=(
            f"{BUYERS} buyers released together on {UNITS} units, served by {DB_SESSIONS} checkout "
            f"workers (one DB session each) in {PROCESSES} forked processes; order_create + "
            f"payment_mark_succeeded (as the webhook; emails and settlement are tasks, queued); median of "
            f"{ROUNDS} rounds ({per_round} orders/s); "
            f'"oversold": {oversold}; every round stock 0, {UNITS} paid units in {UNITS} paid orders, '
            f"{BUYERS - UNITS} insufficient_stock: {all_ok}; settled afterwards off the clock: {settled}, "
            f"left unsettled: {unsettled}, ledger_check problems: {len(problems)}; "
            f"one buyer at a time, no contention: {serial:.0f} orders/s; machine load average {load:.1f} on "
            f"{os.cpu_count()} cores (other jobs); anchor pgbench TPC-B -s 10, 8 clients, 20 s"
        ),
        extra={
            "oversold": oversold,
            "serial_orders_per_s": round(serial, 1),
            "load_average": load,
            "rounds_ok": all_ok,
            "rounds": [{k: v for k, v in r.items() if k != "ok"} for r in rounds],
            "ledger_problems": len(problems),
            "unsettled": unsettled,
            "target_ratio": 0.3,
        },
    )
