"""Avatar uploads: only real images, of a sane size, re-encoded so no payload rides along."""

from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from common.errors import ApplicationError

AVATAR_SIZE = 400
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def avatar_validate(*, upload: UploadedFile) -> ContentFile:
    """Check the upload is an image and return it as a square-bounded JPEG."""
    if upload.size and upload.size > settings.AVATAR_MAX_BYTES:
        raise ApplicationError(
            _("The image is larger than 2 MB."), code="image_too_large", fields={"avatar": []}
        )
    try:
        with Image.open(upload) as probe:
            probe.verify()  # catches truncated and corrupt files
        upload.seek(0)
        opened = Image.open(upload)
        if opened.format not in ALLOWED_FORMATS:
            raise UnidentifiedImageError(opened.format)
        image = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ApplicationError(
            _("Upload a JPEG, PNG, WebP or GIF image."),
            code="invalid_image",
            fields={"avatar": [_("Not a valid image.")]},
        ) from exc
    image.thumbnail((AVATAR_SIZE, AVATAR_SIZE))
    out = BytesIO()
    image.save(out, format="JPEG", quality=85)
    return ContentFile(out.getvalue(), name="avatar.jpg")
