from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """What a staff member did. Each value is one kind of change to money, standing or programmes.

    A few values (order_cancel, payout_manual, hold_release, hold_forfeit, reconciliation_resolve)
    name staff tools that services already offer but admin does not expose yet:
    they are here so that wiring such a tool needs no migration of the choices.
    """

    # Shops and orders
    REFUND = "refund", _("Order refunded")
    ORDER_CANCEL = "order_cancel", _("Order cancelled")
    SHOP_CLOSE = "shop_close", _("Shop closed")
    SHOP_REOPEN = "shop_reopen", _("Shop reopened")
    # Standing of creators and accounts
    STRIKE = "strike", _("Strike added")
    SUSPENSION = "suspension", _("Creator suspended")
    REINSTATEMENT = "reinstatement", _("Creator restored to good standing")
    ACCOUNT_UNLOCK = "account_unlock", _("Account unlocked")
    # Marketplace
    BRAND_VERIFY = "brand_verify", _("Brand verified")
    DISPUTE_SPLIT = "dispute_split", _("Dispute resolved (escrow split)")
    # Affiliates
    FRAUD_REVIEW_DECISION = "fraud_review_decision", _("Affiliate commission reviewed")
    AFFILIATE_OFFER_CHANGE = "affiliate_offer_change", _("Affiliate offer changed")
    AFFILIATE_MEMBERSHIP_CHANGE = "affiliate_membership_change", _("Affiliate membership changed")
    # Payments
    PAYOUT_RETRY = "payout_retry", _("Payout retried")
    PAYOUT_MANUAL = "payout_manual", _("Manual payout")
    HOLD_RELEASE = "hold_release", _("Hold released")
    HOLD_FORFEIT = "hold_forfeit", _("Hold forfeited")
    RECONCILIATION_RESOLVE = "reconciliation_resolve", _("Reconciliation difference resolved")
    COMMISSION_RULE_CHANGE = "commission_rule_change", _("Commission rule changed")
    # Bonus programmes
    PROGRAMME_CHANGE = "programme_change", _("Bonus programme created or changed")
    PROGRAMME_INVITE = "programme_invite", _("Creators invited to a bonus programme")
    POOL_BUDGET_CHANGE = "pool_budget_change", _("Bonus pool budget changed")
    FORMULA_PUBLISH = "formula_publish", _("Bonus formula version published")
    FORMULA_CHANGE = "formula_change", _("Unused bonus formula version changed")
    BONUS_RUN_APPROVE = "bonus_run_approve", _("Bonus run approved")
    BONUS_RUN_CANCEL = "bonus_run_cancel", _("Bonus run cancelled")
