"""Emails the payments app sends to the people behind ledger parties.

Each function is called on transaction commit by the service that changed the money, renders a
plain-text subject and body (templates/payments/email/) in the recipient's language, and sends
through Django's mail backend (the console in development, locmem in tests).
"""

import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from common.money import format_money
from notifications.enums import NotificationType
from notifications.selectors import notification_email_enabled
from notifications.services import notify
from payments.models import Payout

logger = logging.getLogger(__name__)


def payout_failure_reason(code: str) -> str:
    """A sentence the creator can act on. Stripe's own message is English and technical."""
    reasons = {
        "no_account": _("Your bank could not find the account whose details you gave."),
        "account_closed": _("The bank account you gave has been closed."),
        "invalid_account_number": _("The bank account number you gave is not valid."),
        "account_frozen": _("Your bank account is frozen."),
        "account_not_ready": _("Your payout account is not ready to receive money yet."),
    }
    return reasons.get(code, _("Stripe or your bank could not complete the payout."))


def _user_for_party(party: str) -> Any:
    """The active user behind a ``user:<id>`` party, or None (brands have no mailbox here yet)."""
    kind, _sep, pk = party.partition(":")
    if kind != "user" or not pk.isdigit():
        return None
    return get_user_model().objects.filter(pk=int(pk), is_active=True).first()


def notify_payout_failed(payout: Payout) -> bool:
    """Tell the party that a payout failed and its money is back in their balance.

    The user sees it in their notification centre, and by email unless they turned that off.
    Returns whether an email was sent (False for parties without a user or an address, or when
    the user does not want these emails).
    """
    user = _user_for_party(payout.party)
    if user is None:
        logger.info("payout %s failed: no one to tell for %s", payout.pk, payout.party)
        return False
    notify(
        user=user,
        type=NotificationType.PAYOUT_FAILED,
        params={
            "amount_minor": payout.amount_minor,
            "currency": payout.currency,
            "failure_code": payout.failure_code,
        },
        url=reverse("payments:earnings"),
        key=f"payout:{payout.pk}:failed",
        send_email=partial(_payout_failed_email, user, payout) if user.email else None,
    )
    return bool(user.email) and notification_email_enabled(user=user, type=NotificationType.PAYOUT_FAILED)


def _payout_failed_email(user: Any, payout: Payout) -> None:
    language = getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "name": user.get_short_name(),
            "amount": format_money(payout.amount, language),
            "reason": payout_failure_reason(payout.failure_code),
            "payout": payout,
        }
        subject = render_to_string("payments/email/payout_failed_subject.txt", context)
        body = render_to_string("payments/email/payout_failed_body.txt", context)
    # A header cannot hold a newline.
    send_mail(" ".join(subject.split()), body, None, [user.email])
