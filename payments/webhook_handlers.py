"""Which service handles which Stripe event type.

Dotted paths, resolved when an event is processed, so each module that handles events
(charges, connect, payouts) owns its handlers without the dispatcher importing them all.
A handler takes (event: WebhookEvent, data: dict) — data is the event's `data.object` — and
must be idempotent: Stripe delivers events more than once and in any order.
"""

HANDLERS: dict[str, str] = {
    "payment_intent.succeeded": "payments.charges.handle_payment_intent_succeeded",
    "payment_intent.payment_failed": "payments.charges.handle_payment_intent_failed",
    "checkout.session.completed": "payments.charges.handle_checkout_session_completed",
    "charge.refunded": "payments.charges.handle_charge_refunded",
    "account.updated": "payments.connect.handle_account_updated",
    "transfer.created": "payments.payouts.handle_transfer_created",
    "transfer.reversed": "payments.payouts.handle_transfer_reversed",
    "payout.paid": "payments.payouts.handle_payout_paid",
    "payout.failed": "payments.payouts.handle_payout_failed",
}
