"""The words of a notification, rendered when it is shown so they follow the reader's language.

A notification stores its type and plain parameters (numbers, names, minor units, choice
values); this module turns them into a title and a body with gettext in the active language.
The sentences are those of the matching emails, so translators see each one once.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from common.money import Money, format_money
from notifications.enums import NotificationType

Params = Mapping[str, Any]


def _money(params: Params, prefix: str) -> str:
    return format_money(Money(int(params[f"{prefix}_minor"]), str(params["currency"])))


def _choice_label(choices: Any, value: str) -> str:
    """The translated label of a stored choice value; the value itself once the choice is gone."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _carrier(params: Params) -> str:
    from shops.enums import ShippingCarrier

    return _choice_label(ShippingCarrier, params.get("carrier", ""))


def _deal_kind(params: Params) -> str:
    from marketplace.enums import DealEventKind

    return _choice_label(DealEventKind, params["kind"])


def _brand_role(params: Params) -> str:
    from marketplace.enums import BrandRole

    return _choice_label(BrandRole, params["role"])


def _payout_reason(params: Params) -> str:
    from payments.notifications import payout_failure_reason

    return payout_failure_reason(params.get("failure_code", ""))


def _refund_body(p: Params) -> str:
    text = _("%(shop)s refunded %(amount)s of your order.") % {
        "shop": p["shop"],
        "amount": _money(p, "amount"),
    }
    if p.get("sold_out"):
        text = (
            _(
                "Your payment arrived after your reservation had expired, and the product sold out "
                "meanwhile. We are sorry: you are refunded in full."
            )
            + " "
            + text
        )
    return text + " " + _("The money returns to the card you paid with, usually within 5 to 10 days.")


def _shipped_body(p: Params) -> str:
    text = _("%(shop)s has shipped your order.") % {"shop": p["shop"]}
    if p.get("tracking_number"):
        text += f" {_('Carrier:')} {_carrier(p)} · {_('Tracking number:')} {p['tracking_number']}"
    return text


Render = Callable[[Params], str]

_TITLES: dict[str, Render] = {
    NotificationType.ORDER_CONFIRMED: lambda p: _("Your order %(number)s from %(shop)s") % p,
    NotificationType.NEW_ORDER: lambda p: (
        _("New order %(number)s: %(total)s") % {"number": p["number"], "total": _money(p, "total")}
    ),
    NotificationType.ORDER_SHIPPED: lambda p: _("Your order %(number)s is on its way") % p,
    NotificationType.ORDER_REFUNDED: lambda p: (
        _("Refund of %(amount)s for order %(number)s")
        % {"amount": _money(p, "amount"), "number": p["number"]}
    ),
    NotificationType.BRAND_INVITATION: lambda p: (
        _("You are invited to join %(brand)s on Creator Platform") % p
    ),
    NotificationType.DEAL_UPDATE: lambda p: (
        _("Deal %(id)s: %(kind)s") % {"id": p["deal_id"], "kind": _deal_kind(p)}
    ),
    NotificationType.DEAL_MESSAGE: lambda p: _("New message on deal %(id)s") % {"id": p["deal_id"]},
    NotificationType.PAYOUT_FAILED: lambda p: (
        _("Your payout of %(amount)s did not reach your bank") % {"amount": _money(p, "amount")}
    ),
}

_BODIES: dict[str, Render] = {
    NotificationType.ORDER_CONFIRMED: lambda p: _("Thank you for your order!"),
    NotificationType.NEW_ORDER: lambda p: _("You have a new order in %(shop)s.") % p,
    NotificationType.ORDER_SHIPPED: _shipped_body,
    NotificationType.ORDER_REFUNDED: _refund_body,
    NotificationType.BRAND_INVITATION: lambda p: (
        _("%(inviter)s invites you to join %(brand)s as %(role)s.")
        % {"inviter": p["inviter"], "brand": p["brand"], "role": _brand_role(p)}
    ),
    NotificationType.DEAL_UPDATE: lambda p: (
        _("Deal %(id)s between %(brand)s and @%(handle)s: %(kind)s.")
        % {"id": p["deal_id"], "brand": p["brand"], "handle": p["handle"], "kind": _deal_kind(p)}
    ),
    NotificationType.DEAL_MESSAGE: lambda p: (
        _("%(author)s wrote:") % {"author": p["author"]} + " " + str(p.get("excerpt", ""))
    ),
    NotificationType.PAYOUT_FAILED: lambda p: (
        _payout_reason(p)
        + " "
        + _("The money is safe: it is back in your available balance on Creator Platform.")
    ),
}


def _render(table: dict[str, Render], notification: Any, fallback: str) -> str:
    render = table.get(notification.type)
    if render is None:
        return fallback
    try:
        return render(notification.params or {})
    except (KeyError, TypeError, ValueError):
        # Parameters written by an older version of the code: show something rather than fail the page.
        return fallback


def notification_title(notification: Any) -> str:
    """The notification's title in the active language (its type's label if it cannot be rendered)."""
    return _render(_TITLES, notification, notification.get_type_display())


def notification_body(notification: Any) -> str:
    """The notification's sentence(s) in the active language ("" if it cannot be rendered)."""
    return _render(_BODIES, notification, "")
