"""Shops test data, built through the real services."""

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from creators.models import CreatorProfile
from shops.enums import ProductStatus, ShopStatus
from shops.models import Product, Shop
from shops.services import product_create, shop_create, shop_set_status


def make_shop(
    creator: CreatorProfile,
    *,
    currency: str = "USD",
    status: str = ShopStatus.OPEN,
    slug: str | None = None,
    name: str | None = None,
) -> Shop:
    shop = shop_create(
        creator=creator,
        name=name or f"{creator.display_name}'s shop",
        slug=slug or f"{creator.handle.replace('.', '-').replace('_', '-')}-shop",
        currency=currency,
    )
    if status != ShopStatus.DRAFT:
        shop = shop_set_status(shop=shop, status=status, actor=creator.user)
    return shop


def make_product(
    shop: Shop,
    *,
    title: str = "Tote bag",
    price: str = "24.00",
    status: str = ProductStatus.ACTIVE,
    **fields,
) -> Product:
    return product_create(shop=shop, title=title, price=price, status=status, **fields)


def image_upload(size=(800, 600), fmt: str = "PNG", name: str = "photo.png") -> SimpleUploadedFile:
    out = BytesIO()
    Image.new("RGB", size, "teal").save(out, format=fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")
