"""Ledger vocabulary: account kinds, transaction kinds and the error codes of the posting services."""

from enum import StrEnum
from typing import Final

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    # A party's (creator's or brand's) accounts, one set per currency (DESIGN.md, "Ledger").
    PENDING = "pending", _("Pending (inside the hold)")
    AVAILABLE = "available", _("Available")
    PAYABLE_OUT = "payable_out", _("Payable out (transfer awaiting Stripe)")
    # The platform's accounts.
    STRIPE_CLEARING = "stripe_clearing", _("Stripe clearing")
    COMMISSION_REVENUE = "commission_revenue", _("Commission revenue")
    BONUS_EXPENSE = "bonus_expense", _("Bonus expense")
    ESCROW = "escrow", _("Escrow")
    REFUND_LOSSES = "refund_losses", _("Refund losses")


PARTY_KINDS: Final = frozenset({AccountKind.PENDING, AccountKind.AVAILABLE, AccountKind.PAYABLE_OUT})
PLATFORM_KINDS: Final = frozenset(set(AccountKind) - PARTY_KINDS)

# Accounts that mirror money outside the ledger (Stripe's balance, the platform's revenue and
# costs) carry any sign: a refund paid out of clearing before the charge settled is normal.
FREE_KINDS: Final = frozenset(
    {
        AccountKind.STRIPE_CLEARING,
        AccountKind.COMMISSION_REVENUE,
        AccountKind.BONUS_EXPENSE,
        AccountKind.REFUND_LOSSES,
    }
)

# The only kind a single posting may push below zero, by naming the account in
# ledger_post(allow_negative=...): a refund or clawback of money already paid out leaves a
# negative `available`, recovered from future earnings (DESIGN.md, "Payments flow"). `pending`,
# `payable_out` and `escrow` hold money that is really there, so they can never go negative.
OVERDRAFT_KINDS: Final = frozenset({AccountKind.AVAILABLE})


class TransactionKind(models.TextChoices):
    SHOP_SALE = "shop_sale", _("Shop sale")
    AFFILIATE_COMMISSION = "affiliate_commission", _("Affiliate commission")
    SPONSORSHIP = "sponsorship", _("Sponsorship deal")
    ESCROW = "escrow", _("Escrow funding")
    BONUS = "bonus", _("Bonus")
    COMMISSION = "commission", _("Platform commission")
    HOLD_RELEASE = "hold_release", _("Hold release")
    PAYOUT = "payout", _("Payout")
    PAYOUT_FAILED = "payout_failed", _("Failed payout")
    REFUND = "refund", _("Refund")
    CLAWBACK = "clawback", _("Clawback")
    REVERSAL = "reversal", _("Reversal")
    ADJUSTMENT = "adjustment", _("Adjustment")


class LedgerErrorCode(StrEnum):
    """ApplicationError codes raised by payments.ledger (a StrEnum, so it compares equal to the text)."""

    INVALID_PARTY = "invalid_party"
    INVALID_ACCOUNT_KIND = "invalid_account_kind"
    INVALID_REFERENCE = "invalid_reference"
    INVALID_TRANSACTION_KIND = "invalid_transaction_kind"
    TOO_FEW_ENTRIES = "too_few_entries"
    ZERO_AMOUNT = "zero_amount"
    UNSAVED_ACCOUNT = "unsaved_account"
    CURRENCY_MISMATCH = "currency_mismatch"
    UNBALANCED = "unbalanced"
    REFERENCE_CONFLICT = "reference_conflict"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    NEGATIVE_NOT_ALLOWED = "negative_not_allowed"
    ALREADY_REVERSED = "already_reversed"


class CommissionSource(models.TextChoices):
    """What a charge pays for: each source has its own commission rule and hold."""

    SHOP_SALE = "shop_sale", _("Shop sale")
    AFFILIATE_COMMISSION = "affiliate_commission", _("Affiliate commission")
    SPONSORSHIP = "sponsorship", _("Sponsorship deal")
    BONUS = "bonus", _("Bonus")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    REQUIRES_ACTION = "requires_action", _("Needs authentication")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Failed")


class PayoutStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # funds reserved in payable_out, transfer not yet confirmed
    TRANSFERRED = "transferred", _("Transferred")  # on the creator's Stripe account, bank payout under way
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")  # money back in available


class WebhookEventStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored (type not handled)")
    FAILED = "failed", _("Failed")


class ReconciliationStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    CLEAN = "clean", _("Clean")
    DIFFERENCES = "differences", _("Differences found")
    FAILED = "failed", _("Failed")
