"""Product photos: only real images, resized to at most 1600 px and re-encoded.

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


def _invalid() -> ApplicationError:
    message = _("Upload a JPEG, PNG, WebP or GIF image.")
    return ApplicationError(message, code="invalid_image", fields={"image": [message]})


def product_image_validate(*, upload: UploadedFile) -> ContentFile:
    """Check the upload is an image and return it as a JPEG no larger than MAX_SIDE on a side."""
    if upload.size and upload.size > MAX_BYTES:
        message = _("The image is larger than 10 MB.")
        raise ApplicationError(message, code="invalid_image", fields={"image": [message]})
    try:
        with Image.open(upload) as probe:
            probe.verify()  # catches truncated and corrupt files
        upload.seek(0)
        opened = Image.open(upload)
        if opened.format not in ALLOWED_FORMATS:
            raise UnidentifiedImageError(opened.format)
        image = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _invalid() from exc
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = BytesIO()
    image.save(out, format="JPEG", quality=85)
    return ContentFile(out.getvalue(), name="product.jpg")
