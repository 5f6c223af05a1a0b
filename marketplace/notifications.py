"""Emails of the marketplace: brand invitations, deal events and messages.

Called on transaction commit by the services; plain text, in the recipient's language, through
Django's mail backend. A failure to send is logged, never raised: the write already happened.
People with an account are told through notifications.notify() (their notification centre and
email preferences); an invitation to an address with no account yet is only emailed.
"""

import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from creators.models import User
from marketplace.enums import Side
from marketplace.models import BrandInvitation, Deal, DealEvent, DealMessage
from notifications.enums import NotificationType
from notifications.services import notify

logger = logging.getLogger(__name__)

MESSAGE_EXCERPT_CHARS = 200  # the notification centre shows the start; the deal page has it all


def _send(user_or_email: User | str, template: str, context: dict) -> None:
    email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
    # An address without an account has no saved language: the site's default, never a guess.
    language = settings.LANGUAGE_CODE
    if not isinstance(user_or_email, str) and user_or_email.preferred_language:
        language = user_or_email.preferred_language
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
    context = {"invitation": invitation}
    invitee = User.objects.filter(email__iexact=invitation.email, is_active=True).first()
    if invitee is None:  # not on the platform yet: the email is the only way to tell them
        _send(invitation.email, "invitation", context)
        return
    notify(
        user=invitee,
        type=NotificationType.BRAND_INVITATION,
        params={
            "brand": invitation.brand.name,
            "role": invitation.role,
            "inviter": invitation.invited_by.get_full_name(),
        },
        url=reverse("marketplace:invitation-accept", kwargs={"token": invitation.token}),
        key=f"brand_invitation:{invitation.pk}",
        send_email=partial(_send, invitee, "invitation", context),  # in the invitee's language
    )


def deal_event_notify(*, event_id: int) -> None:
    event = DealEvent.objects.select_related("deal__brand", "deal__creator__user", "actor").get(pk=event_id)
    deal = event.deal
    params = {"deal_id": deal.pk, "brand": deal.brand.name, "handle": deal.creator.handle, "kind": event.kind}
    for user in _recipients(deal, excluding=event.actor):
        notify(
            user=user,
            type=NotificationType.DEAL_UPDATE,
            params=params,
            url=reverse("marketplace:deal", kwargs={"deal_id": deal.pk}),
            key=f"deal_event:{event.pk}",
            send_email=partial(_send, user, "deal_event", {"event": event, "deal": deal, "user": user}),
        )


def message_notify(*, message_id: int) -> None:
    message = DealMessage.objects.select_related("deal__brand", "deal__creator__user", "author").get(
        pk=message_id
    )
    other = Side.CREATOR if message.side == Side.BRAND else Side.BRAND
    params = {
        "deal_id": message.deal_id,
        "author": message.author.get_full_name(),
        "excerpt": message.body[:MESSAGE_EXCERPT_CHARS],
    }
    for user in _recipients(message.deal, excluding=message.author, side=other):
        notify(
            user=user,
            type=NotificationType.DEAL_MESSAGE,
            params=params,
            url=reverse("marketplace:deal", kwargs={"deal_id": message.deal_id}),
            key=f"deal_message:{message.pk}",
            send_email=partial(
                _send, user, "message", {"message": message, "deal": message.deal, "user": user}
            ),
        )
