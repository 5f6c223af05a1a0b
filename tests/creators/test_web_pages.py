from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from creators.models import CreatorProfile, Post
from creators.services import creator_suspend


def png_bytes(size=(800, 600)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, "purple").save(out, format="PNG")
    return out.getvalue()


def profile_form(**overrides):
    data = {
        "handle": "newcreator",
        "display_name": "New",
        "country": "US",
        "bio": "hi",
        "niches": ["food"],
        "languages": "en, fr",
        "is_adult": "on",
    }
    data.update(overrides)
    return data


def test_dashboard_needs_login(client, db):
    response = client.get(reverse("creators:dashboard"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_buyer_is_invited_to_become_a_creator(client, buyer):
    client.force_login(buyer)
    assert "Become a creator" in client.get(reverse("creators:dashboard")).content.decode()


def test_becoming_a_creator_from_the_dashboard_with_an_avatar(client, buyer):
    client.force_login(buyer)
    avatar = SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")
    response = client.post(reverse("creators:start"), {**profile_form(), "avatar": avatar})
    assert response.status_code == 302
    profile = CreatorProfile.objects.get(user=buyer)
    assert (profile.handle, profile.languages, profile.is_adult) == ("newcreator", ["en", "fr"], True)
    with Image.open(profile.avatar.path) as stored:
        assert max(stored.size) <= 400 and stored.format == "JPEG"


def test_a_fake_image_is_a_form_error(client, buyer):
    client.force_login(buyer)
    fake = SimpleUploadedFile("me.png", b"<?php evil(); ?>", content_type="image/png")
    response = client.post(reverse("creators:start"), {**profile_form(), "avatar": fake})
    assert response.status_code == 200
    assert "Not a valid image." in response.content.decode()
    assert not CreatorProfile.objects.exists()


def test_a_taken_handle_is_a_form_error(client, buyer, creator):
    client.force_login(buyer)
    response = client.post(reverse("creators:start"), profile_form(handle="minji"))
    assert "This handle is taken." in response.content.decode()
    assert CreatorProfile.objects.count() == 1


def test_dashboard_lists_recent_posts_with_engagement(client, creator):
    Post.objects.create(
        creator=creator,
        external_id="p1",
        format="reel",
        published_at=timezone.now(),
        caption="Spring look",
        views=12345,
        likes=678,
    )
    client.force_login(creator.user)
    page = client.get(reverse("creators:dashboard")).content.decode()
    assert "Spring look" in page and "12,345" in page and "678" in page


def test_switching_to_professional(client, db):
    from tests.conftest import make_creator

    profile = make_creator("casual", professional=False)
    client.force_login(profile.user)
    client.post(reverse("creators:go-professional"))
    profile.refresh_from_db()
    assert profile.is_professional


def test_professional_switch_is_post_only(client, creator):
    client.force_login(creator.user)
    assert client.get(reverse("creators:go-professional")).status_code == 405


def test_editing_the_profile(client, creator):
    client.force_login(creator.user)
    response = client.post(reverse("creators:edit"), profile_form(display_name="Min-ji K", country="KR"))
    assert response.status_code == 302
    creator.refresh_from_db()
    assert (creator.display_name, creator.handle) == ("Min-ji K", "minji")


def test_public_page_shows_profile_and_live_posts_only(client, creator):
    Post.objects.create(
        creator=creator, external_id="p1", format="reel", published_at=timezone.now(), caption="live"
    )
    Post.objects.create(
        creator=creator,
        external_id="p2",
        format="reel",
        published_at=timezone.now(),
        caption="gone",
        is_deleted=True,
    )
    page = client.get("/@minji").content.decode()
    assert "@minji" in page and "live" in page and "gone" not in page


def test_public_page_redirects_to_the_canonical_handle(client, creator):
    response = client.get("/@MinJi")
    assert response.status_code == 301 and response.url == "/@minji"


def test_public_page_of_suspended_or_unknown_creator_is_404(client, creator, staff):
    assert client.get("/@nobody").status_code == 404
    creator_suspend(creator=creator, actor=staff, reason="fraud")
    assert client.get("/@minji").status_code == 404


def test_public_page_hides_standing(client, creator):
    assert "Standing" not in client.get("/@minji").content.decode()
