"""What a feature does when one of its payments is paid: a dotted path per reference prefix.

A feature names its payments ``<prefix>:<id>`` (``order:12``, ``deal:7``) and registers here
the function that takes over once Stripe confirms the money: the shop marks the order paid,
the marketplace marks the deal funded. Like payments.webhook_handlers, the paths are resolved
when called, so payments imports no feature. (DESIGN.md: no signals for business flows.)

A hook takes ``(payment: Payment)`` and runs inside the transaction that marks the payment
succeeded, under the payment's row lock, once: when the payment becomes succeeded. It must not
raise for a business reason (the money is taken whatever the feature thinks): a feature that
cannot honour a late payment refunds it itself (shops does, for an expired order).
"""

from typing import TYPE_CHECKING

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from payments.models import Payment

ON_SUCCEEDED: dict[str, str] = {
    "order": "shops.orders.order_payment_succeeded",
    "deal": "marketplace.services.deal_payment_succeeded",
}


def payment_succeeded_notify(payment: "Payment") -> None:
    """Call the hook registered for the payment's reference prefix, if any."""
    prefix = payment.reference.split(":", 1)[0]
    path = ON_SUCCEEDED.get(prefix)
    if path is not None:
        import_string(path)(payment)
