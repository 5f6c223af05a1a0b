"""Uploaded pictures (product photos, brand logos): only real images, resized and re-encoded.

Re-encoding drops whatever rode along in the upload (metadata, polyglot payloads).
"""

from io import BytesIO

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from common.errors import ApplicationError

MAX_SIDE = 1600
MAX_BYTES = 10 * 1024 * 1024
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def _invalid(field: str) -> ApplicationError:
    message = _("Upload a JPEG, PNG, WebP or GIF image.")
    return ApplicationError(message, code="invalid_image", fields={field: [message]})


def image_reencode(
    *, upload: UploadedFile, max_side: int = MAX_SIDE, field: str = "image", name: str = "image.jpg"
) -> ContentFile:
    """Check the upload is an image and return it as a JPEG no larger than ``max_side`` on a side.

    Refuses (``invalid_image``, on ``field``) anything over 10 MB or that Pillow cannot read as
    a JPEG, PNG, WebP or GIF.
    """
    if upload.size and upload.size > MAX_BYTES:
        message = _("The image is larger than 10 MB.")
        raise ApplicationError(message, code="invalid_image", fields={field: [message]})
    try:
        with Image.open(upload) as probe:
            probe.verify()  # catches truncated and corrupt files
        upload.seek(0)
        opened = Image.open(upload)
        if opened.format not in ALLOWED_FORMATS:
            raise UnidentifiedImageError(opened.format)
        image = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _invalid(field) from exc
    image.thumbnail((max_side, max_side))
    out = BytesIO()
    image.save(out, format="JPEG", quality=85)
    return ContentFile(out.getvalue(), name=name)


def product_image_validate(*, upload: UploadedFile) -> ContentFile:
    """A product photo: at most 1600 px on a side."""
    return image_reencode(upload=upload, name="product.jpg")
