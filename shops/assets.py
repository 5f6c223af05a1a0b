"""The file a digital product delivers: uploaded by its seller, kept in private storage.

Buyers never see the storage path: they download through signed, counted links
(shops.orders.download_claim and the ``shop-download`` view).
"""

import os

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from shops.enums import ProductType
from shops.models import DigitalAsset, Product

# Large enough for an e-book, a preset pack or a short video course; bigger files belong on a CDN.
MAX_ASSET_BYTES = 200 * 1024 * 1024
MAX_DOWNLOAD_LIMIT = 100


def _field_error(field: str, message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={field: [message]})


def digital_asset_set(*, product: Product, upload: UploadedFile, download_limit: int = 5) -> DigitalAsset:
    """Attach (or replace) the file of a digital product.

    Refuses, storing nothing: a physical product (``not_digital``), an empty or too large file
    (``invalid_file``) and a download limit outside 1..100 (``invalid_download_limit``).
    Replacing keeps the asset row (buyers' grants point at the product, so they get the new
    file) and deletes the old file once the change is committed.
    """
    if product.type != ProductType.DIGITAL:
        raise _field_error("upload", _("Only a digital product delivers a file."), "not_digital")
    size = upload.size or 0
    if size <= 0:
        raise _field_error("upload", _("The file is empty."), "invalid_file")
    if size > MAX_ASSET_BYTES:
        raise _field_error(
            "upload",
            _("The file is too large: at most %(mb)d MB.") % {"mb": MAX_ASSET_BYTES // (1024 * 1024)},
            "invalid_file",
        )
    if isinstance(download_limit, bool) or not isinstance(download_limit, int):
        download_limit = 0
    if not 1 <= download_limit <= MAX_DOWNLOAD_LIMIT:
        raise _field_error(
            "download_limit",
            _("Allow from 1 to %(max)d downloads.") % {"max": MAX_DOWNLOAD_LIMIT},
            "invalid_download_limit",
        )
    filename = os.path.basename(upload.name or "download")[:200] or "download"
    with transaction.atomic():
        asset = DigitalAsset.objects.select_for_update().filter(product=product).first()
        old_name = asset.file.name if asset is not None else ""
        if asset is None:
            asset = DigitalAsset(product=product)
        asset.filename = filename
        asset.size_bytes = size
        asset.download_limit = download_limit
        asset.file.save(filename, upload, save=False)
        asset.save()
        if old_name and old_name != asset.file.name:
            storage = asset.file.storage
            transaction.on_commit(lambda: storage.delete(old_name), robust=True)
    return asset
