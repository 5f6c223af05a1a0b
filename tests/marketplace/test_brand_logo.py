"""Brand logos: owners upload one (web and API), it is re-encoded; managers, outsiders and
files that are not images are refused and change nothing."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from marketplace.models import Brand
from tests.shops.factories import image_upload


def test_an_owner_uploads_a_logo_on_the_dashboard(client, owner, glow):
    client.force_login(owner)
    response = client.post(
        reverse("marketplace:brand-logo", args=[glow.pk]), {"logo": image_upload((2000, 1000))}
    )
    assert response.status_code == 302
    glow.refresh_from_db()
    assert glow.logo.name.endswith(".jpg")
    with Image.open(glow.logo.path) as logo:
        assert max(logo.size) == 512 and logo.format == "JPEG"
    page = client.get(reverse("marketplace:brand-dashboard", args=[glow.pk])).content.decode()
    assert glow.logo.url in page


def test_a_manager_and_an_outsider_cannot_change_it(client, manager, outsider, glow):
    client.force_login(manager)
    client.post(reverse("marketplace:brand-logo", args=[glow.pk]), {"logo": image_upload()})
    assert not Brand.objects.get(pk=glow.pk).logo
    client.force_login(outsider)
    response = client.post(reverse("marketplace:brand-logo", args=[glow.pk]), {"logo": image_upload()})
    assert response.status_code == 404
    assert not Brand.objects.get(pk=glow.pk).logo


def test_the_api_takes_a_logo_and_refuses_what_is_not_an_image(api_as, owner, glow):
    url = reverse("api:marketplace-api:brand-logo", args=[glow.pk])
    response = api_as(owner).post(url, {"logo": image_upload()}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["logo_url"].endswith(".jpg")
    fake = SimpleUploadedFile("logo.png", b"<?php echo 1; ?>", content_type="image/png")
    response = api_as(owner).post(url, {"logo": fake}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"invalid", "invalid_image"}


def test_a_brand_created_with_a_logo(client, brand):
    client.force_login(brand)
    response = client.post(
        reverse("marketplace:brand-create"),
        {"name": "Lumen", "country": "US", "logo": image_upload()},
    )
    assert response.status_code == 302, response.content
    assert Brand.objects.get(name="Lumen").logo
