from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from creators.enums import PolicyStanding
from creators.models import Post, ServiceToken
from creators.services import service_token_hash

CHANGELIST = reverse("admin:creators_creatorprofile_changelist")


def test_suspend_action_asks_for_a_reason_then_applies(client, staff, creator):
    client.force_login(staff)
    ask = client.post(CHANGELIST, {"action": "action_creator_suspend", ACTION_CHECKBOX_NAME: [creator.pk]})
    assert ask.status_code == 200 and "Reason" in ask.content.decode()
    creator.refresh_from_db()
    assert creator.policy_standing == PolicyStanding.GOOD
    done = client.post(
        CHANGELIST,
        {
            "action": "action_creator_suspend",
            ACTION_CHECKBOX_NAME: [creator.pk],
            "apply": "1",
            "reason": "Repeated spam",
        },
        follow=True,
    )
    assert "Suspend: 1 creator(s)." in done.content.decode()
    creator.refresh_from_db()
    assert creator.policy_standing == PolicyStanding.SUSPENDED
    assert creator.standing_events.get().reason == "Repeated spam"


def test_restore_of_a_good_creator_shows_a_message(client, staff, creator):
    client.force_login(staff)
    page = client.post(
        CHANGELIST,
        {
            "action": "action_creator_restore",
            ACTION_CHECKBOX_NAME: [creator.pk],
            "apply": "1",
            "reason": "none",
        },
        follow=True,
    ).content.decode()
    assert "already in good standing" in page


def test_non_staff_cannot_open_admin(client, creator):
    client.force_login(creator.user)
    assert client.get(CHANGELIST).status_code == 302


def test_post_counters_are_read_only_in_admin(client, staff, creator):
    post = Post.objects.create(
        creator=creator, external_id="p1", format="reel", published_at=timezone.now(), views=10
    )
    client.force_login(staff)
    client.post(reverse("admin:creators_post_change", args=[post.pk]), {"views": 999999})
    post.refresh_from_db()
    assert post.views == 10
    assert client.get(reverse("admin:creators_post_add")).status_code == 403


def test_creating_a_service_token_shows_it_once_and_stores_only_its_hash(client, staff):
    client.force_login(staff)
    page = client.post(reverse("admin:creators_servicetoken_add"), {"name": "pipeline"}, follow=True)
    text = page.content.decode()
    raw = text.split("it is not shown again: ")[1].split("<")[0].strip()
    token = ServiceToken.objects.get()
    assert raw.startswith("svc_") and token.token_hash == service_token_hash(raw)
    assert (
        raw not in client.get(reverse("admin:creators_servicetoken_change", args=[token.pk])).content.decode()
    )


def test_every_creators_model_has_an_admin_page(client, staff):
    client.force_login(staff)
    for model in [
        "user",
        "creatorprofile",
        "standingevent",
        "post",
        "metricsnapshot",
        "followersnapshot",
        "servicetoken",
    ]:
        assert client.get(reverse(f"admin:creators_{model}_changelist")).status_code == 200, model
