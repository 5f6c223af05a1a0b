"""Marketplace writes, one module per topic; the payments hook is re-exported here.

payments.payment_hooks names ``marketplace.services.deal_payment_succeeded``.
"""

from marketplace.services.deals import deal_payment_succeeded

__all__ = ["deal_payment_succeeded"]
