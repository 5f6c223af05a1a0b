"""Emails about orders: confirmation (with download links) and new-order notice, shipping, refunds.

Each function takes ids, is called on transaction commit by the service that changed the order,
renders plain-text templates (templates/shops/email/) in the recipient's language and sends
through Django's mail backend (the console in development, locmem in tests). People with an
account are told through notifications.notify() (their notification centre and email preferences).
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from common.money import Money, format_money
from notifications.enums import NotificationType
from notifications.services import notify
from shops.models import Order


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def order_url(order: Order) -> str:
    """The buyer's order page; a guest's link carries the order's access token."""
    path = reverse("shop-order", kwargs={"number": order.number})
    return _site(f"{path}?t={order.access_token}" if order.buyer_id is None else path)


def download_url(token: str) -> str:
    return _site(reverse("shop-download", kwargs={"token": token}))


def _send(template: str, to: str, language: str, context: dict[str, Any]) -> None:
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"shops/email/{template}_subject.txt", context)
        body = render_to_string(f"shops/email/{template}_body.txt", context)
    send_mail(" ".join(subject.split()), body, None, [to])  # a header cannot hold a newline


def _order(order_id: int) -> Order:
    return Order.objects.select_related("shop", "buyer", "shop__creator__user").get(pk=order_id)


def _sellers(order: Order) -> list[Any]:
    """Who runs the shop: its creator, or its brand's owners and managers (with an address)."""
    shop = order.shop
    if shop.creator is not None:
        users = [shop.creator.user]
    elif shop.brand is not None:
        users = [membership.user for membership in shop.brand.memberships.select_related("user")]
    else:
        users = []
    return [user for user in users if user.is_active and user.email]


def _to_buyer(
    order: Order, type: NotificationType, send: Callable[[], None], *, key: str = "", **params: Any
) -> None:
    """A guest (no account) gets the email alone; a buyer with an account gets it through notify():
    in their notification centre too, and by email unless they turned that type off."""
    if order.buyer is None:
        send()
        return
    notify(
        user=order.buyer,
        type=type,
        params={"number": order.number, "shop": order.shop.name, **params},
        url=reverse("shop-order", kwargs={"number": order.number}),
        key=key,
        send_email=send,
    )


def _buyer_language(order: Order) -> str:
    """The buyer's saved language, else (a guest) the language they checked out in."""
    saved = getattr(order.buyer, "preferred_language", "") if order.buyer else ""
    return saved or order.language


def order_paid_send(order_id: int) -> None:
    """The buyer's confirmation (with download links) and the seller's new-order notice."""
    from shops.orders import download_token

    order = _order(order_id)
    lines = list(order.lines.select_related("download_grant"))
    language = _buyer_language(order)
    with translation.override(language or settings.LANGUAGE_CODE):
        downloads = [
            {"title": line.title, "url": download_url(download_token(line.download_grant))}
            for line in lines
            if hasattr(line, "download_grant")
        ]
        context = {
            "order": order,
            "lines": lines,
            "total": format_money(order.total),
            "order_url": order_url(order),
            "downloads": downloads,
        }
    send = partial(_send, "order_confirmation", order.email, language, context)
    _to_buyer(order, NotificationType.ORDER_CONFIRMED, send, key=f"order:{order.pk}:paid")
    for seller in _sellers(order):
        seller_language = getattr(seller, "preferred_language", "")
        with translation.override(seller_language or settings.LANGUAGE_CODE):
            seller_context = {
                "order": order,
                "lines": lines,
                "total": format_money(order.total),
                "dashboard_url": _site(reverse("shops:order-detail", kwargs={"number": order.number})),
            }
        notify(
            user=seller,
            type=NotificationType.NEW_ORDER,
            params={
                "number": order.number,
                "shop": order.shop.name,
                "total_minor": order.total_minor,
                "currency": order.currency,
            },
            url=reverse("shops:order-detail", kwargs={"number": order.number}),
            key=f"order:{order.pk}:new",
            send_email=partial(_send, "new_order", seller.email, seller_language, seller_context),
        )


def order_shipped_send(order_id: int) -> None:
    order = _order(order_id)
    context = {"order": order, "carrier": order.get_carrier_display(), "order_url": order_url(order)}
    send = partial(_send, "order_shipped", order.email, _buyer_language(order), context)
    _to_buyer(
        order,
        NotificationType.ORDER_SHIPPED,
        send,
        key=f"order:{order.pk}:shipped",
        carrier=order.carrier,
        tracking_number=order.tracking_number,
    )


def order_refunded_send(order_id: int, amount_minor: int, *, sold_out: bool = False) -> None:
    order = _order(order_id)
    language = _buyer_language(order)
    with translation.override(language or settings.LANGUAGE_CODE):
        amount = format_money(Money(amount_minor, order.currency))
    context = {"order": order, "amount": amount, "sold_out": sold_out, "order_url": order_url(order)}
    send = partial(_send, "order_refunded", order.email, language, context)
    # No key: two refunds of one order may have the same amount, and each deserves its notice.
    _to_buyer(
        order,
        NotificationType.ORDER_REFUNDED,
        send,
        amount_minor=amount_minor,
        currency=order.currency,
        sold_out=sold_out,
    )
