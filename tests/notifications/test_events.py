"""Every event that emails someone also puts a notification in their centre, and the email
follows the recipient's preference. Guests (no account) keep getting plain emails."""

from django.core import mail
from django.utils import translation

from marketplace.services.brands import brand_invitation_create
from marketplace.services.deals import deal_cancel, message_post
from notifications.enums import NotificationType
from notifications.models import Notification
from notifications.services import notification_preferences_update
from payments.models import Payout, party_for_user
from payments.notifications import notify_payout_failed
from shops import emails
from shops.orders import order_ship
from tests.conftest import make_user


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("type", flat=True))


# ---------------------------------------------------------------- shops


def test_a_paid_order_tells_the_buyer_and_the_seller(paid_order, buyer, creator):
    order = paid_order(buyer=buyer)

    confirmation = Notification.objects.get(recipient=buyer)
    assert confirmation.type == NotificationType.ORDER_CONFIRMED
    assert confirmation.url == f"/orders/{order.number}/"
    assert confirmation.title == f"Your order {order.number} from Minji Makes"
    new_order = Notification.objects.get(recipient=creator.user)
    assert new_order.type == NotificationType.NEW_ORDER
    assert new_order.title == f"New order {order.number}: $20.00"
    assert new_order.url == f"/dashboard/shop/orders/{order.number}/"
    assert sorted(tuple(m.to) for m in mail.outbox) == [(buyer.email,), (creator.user.email,)]


def test_a_guest_gets_the_plain_email_and_the_seller_is_still_notified(paid_order, creator):
    order = paid_order(email="guest@example.com")

    assert any(m.to == ["guest@example.com"] and order.number in m.subject for m in mail.outbox)
    assert list(Notification.objects.values_list("recipient", "type")) == [
        (creator.user.pk, NotificationType.NEW_ORDER)
    ]


def test_shipping_tells_the_buyer_with_the_tracking_number(
    paid_order, buyer, creator, django_capture_on_commit_callbacks
):
    order = paid_order(buyer=buyer)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        order_ship(order=order, carrier="ups", tracking_number="1Z 999 AA1", actor=creator.user)

    shipped = Notification.objects.get(recipient=buyer, type=NotificationType.ORDER_SHIPPED)
    assert shipped.title == f"Your order {order.number} is on its way"
    assert "1Z 999 AA1" in shipped.body and "UPS" in shipped.body
    assert [m.to for m in mail.outbox] == [[buyer.email]]


def test_a_refund_tells_the_buyer_each_time(paid_order, buyer):
    order = paid_order(buyer=buyer)
    mail.outbox.clear()

    # What the refund task runs after commit (the Stripe side is tested in tests/shops).
    emails.order_refunded_send(order.pk, 500)
    emails.order_refunded_send(order.pk, 500)

    refunds = Notification.objects.filter(recipient=buyer, type=NotificationType.ORDER_REFUNDED)
    assert refunds.count() == 2
    assert refunds.first().title == f"Refund of $5.00 for order {order.number}"
    assert len(mail.outbox) == 2


def test_a_retried_email_task_makes_no_second_notification(paid_order, buyer, creator):
    order = paid_order(buyer=buyer)

    emails.order_paid_send(order.pk)  # Celery ran it again after a lost acknowledgement

    assert sorted(kinds(buyer) + kinds(creator.user)) == ["new_order", "order_confirmed"]
    assert len(mail.outbox) == 4  # an email sent twice beats one lost


# ---------------------------------------------------------------- preferences


def test_with_email_turned_off_the_notification_still_arrives(paid_order, buyer, creator):
    notification_preferences_update(user=creator.user, email={NotificationType.NEW_ORDER: False})

    paid_order(buyer=buyer)

    assert kinds(creator.user) == [NotificationType.NEW_ORDER]
    assert [m.to for m in mail.outbox] == [[buyer.email]]  # the buyer's own email still goes


def test_turning_one_type_off_keeps_the_others(
    paid_order, buyer, creator, django_capture_on_commit_callbacks
):
    notification_preferences_update(user=buyer, email={NotificationType.ORDER_CONFIRMED: False})
    order = paid_order(buyer=buyer)
    assert [m.to for m in mail.outbox] == [[creator.user.email]]
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        order_ship(order=order, carrier="ups", tracking_number="1Z999", actor=creator.user)

    assert [m.to for m in mail.outbox] == [[buyer.email]]
    assert sorted(kinds(buyer)) == ["order_confirmed", "order_shipped"]


# ---------------------------------------------------------------- marketplace


def test_a_deal_event_tells_the_other_side_not_the_actor(
    deal, brand, creator, django_capture_on_commit_callbacks
):
    Notification.objects.all().delete()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        deal_cancel(deal=deal, user=brand)

    [notification] = Notification.objects.all()
    assert (notification.recipient, notification.type) == (creator.user, NotificationType.DEAL_UPDATE)
    assert notification.title == f"Deal {deal.pk}: Deal cancelled"
    assert notification.url == f"/marketplace/deals/{deal.pk}/"
    assert [m.to for m in mail.outbox] == [[creator.user.email]]


def test_a_deal_message_tells_the_other_side_with_an_excerpt(
    deal, brand, creator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message_post(deal=deal, user=creator.user, body="Draft coming Friday.")

    notification = Notification.objects.get(type=NotificationType.DEAL_MESSAGE)
    assert notification.recipient == brand
    assert notification.body.endswith("Draft coming Friday.")
    assert not Notification.objects.filter(
        recipient=creator.user, type=NotificationType.DEAL_MESSAGE
    ).exists()


def test_a_brand_invitation_reaches_an_existing_account_in_app(
    glow, brand, django_capture_on_commit_callbacks
):
    sam = make_user("sam@glow.example", display_name="Sam")

    with django_capture_on_commit_callbacks(execute=True):
        invitation = brand_invitation_create(brand=glow, user=brand, email="SAM@glow.example", role="manager")

    notification = Notification.objects.get(recipient=sam)
    assert notification.type == NotificationType.BRAND_INVITATION
    assert notification.url == f"/marketplace/invitations/{invitation.token}/"
    assert "as Manager" in notification.body
    assert mail.outbox[-1].to == ["sam@glow.example"]


def test_a_brand_invitation_to_an_unknown_address_is_only_emailed(
    glow, brand, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        brand_invitation_create(brand=glow, user=brand, email="new@glow.example", role="manager")

    assert mail.outbox[-1].to == ["new@glow.example"]
    assert not Notification.objects.filter(type=NotificationType.BRAND_INVITATION).exists()


# ---------------------------------------------------------------- payments


def failed_payout(user, pk: int = 7) -> Payout:
    # Only what the notice reads; the payout machinery is tested in tests/payments.
    return Payout(
        pk=pk, party=party_for_user(user), currency="USD", amount_minor=2500, failure_code="no_account"
    )


def test_a_failed_payout_tells_the_creator(creator):
    assert notify_payout_failed(failed_payout(creator.user)) is True

    notification = Notification.objects.get(recipient=creator.user)
    assert notification.type == NotificationType.PAYOUT_FAILED
    assert notification.title == "Your payout of $25.00 did not reach your bank"
    assert "could not find the account" in notification.body
    assert notification.url == "/dashboard/earnings/"
    assert [m.to for m in mail.outbox] == [[creator.user.email]]


def test_a_failed_payout_without_email_preference_is_in_app_only(creator):
    notification_preferences_update(user=creator.user, email={NotificationType.PAYOUT_FAILED: False})

    assert notify_payout_failed(failed_payout(creator.user)) is False

    assert kinds(creator.user) == [NotificationType.PAYOUT_FAILED]
    assert mail.outbox == []


# ---------------------------------------------------------------- words


def test_the_words_follow_the_readers_language_not_the_writers(notified, creator):
    [notification] = notified(creator.user)

    with translation.override("fr"):
        french = notification.title
    with translation.override("en"):
        english = notification.title

    assert english == "New order N0: $25.00"
    assert "25,00" in french and "$25.00" not in french  # Babel's French: "25,00 $US"


def test_parameters_that_no_longer_fit_fall_back_to_the_type_label(creator):
    notification = Notification.objects.create(
        recipient=creator.user, type=NotificationType.NEW_ORDER, params={}
    )
    assert notification.title == "New orders in my shop"
    assert notification.body == ""
