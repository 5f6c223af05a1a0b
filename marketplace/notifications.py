"""Emails of the marketplace: brand invitations, deal events and messages.

Called on transaction commit by the services; plain text, in the recipient's language, through
Django's mail backend. A failure to send is logged, never raised: the write already happened.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from creators.models import User
from marketplace.enums import Side
from marketplace.models import BrandInvitation, Deal, DealEvent, DealMessage

logger = logging.getLogger(__name__)


def _send(user_or_email: User | str, template: str, context: dict) -> None:
    email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
    language = "en" if isinstance(user_or_email, str) else user_or_email.preferred_language
    context = {**context, "site_url": settings.SITE_URL.rstrip("/")}
    with translation.override(language):
        subject = render_to_string(f"marketplace/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"marketplace/email/{template}_body.txt", context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
    except Exception:  # the mail server is down: the deal goes on
        logger.exception("marketplace email %s to %s failed", template, email)


def _recipients(deal: Deal, *, excluding: User | None, side: str | None = None) -> list[User]:
    """The people on the deal to tell: the creator and the brand's members, minus the author."""
    people: list[User] = []
    if side in (None, Side.BRAND):
        people += [m.user for m in deal.brand.memberships.select_related("user")]
    if side in (None, Side.CREATOR):
        people.append(deal.creator.user)
    return [p for p in people if excluding is None or p.pk != excluding.pk]


def invitation_send(*, invitation_id: int) -> None:
    invitation = BrandInvitation.objects.select_related("brand", "invited_by").get(pk=invitation_id)
    _send(invitation.email, "invitation", {"invitation": invitation})


def deal_event_notify(*, event_id: int) -> None:
    event = DealEvent.objects.select_related("deal__brand", "deal__creator__user", "actor").get(pk=event_id)
    for user in _recipients(event.deal, excluding=event.actor):
        _send(user, "deal_event", {"event": event, "deal": event.deal, "user": user})


def message_notify(*, message_id: int) -> None:
    message = DealMessage.objects.select_related("deal__brand", "deal__creator__user", "author").get(
        pk=message_id
    )
    other = Side.CREATOR if message.side == Side.BRAND else Side.BRAND
    for user in _recipients(message.deal, excluding=message.author, side=other):
        _send(user, "message", {"message": message, "deal": message.deal, "user": user})
