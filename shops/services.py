"""Writes for shops and their catalogue. Callers pass objects they have already scoped to the
user (shops.selectors.*_for_owner); these functions check the business rules."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ApplicationError, NotFoundError
from common.images import product_image_validate
from common.money import Money, charge_amount_validate, currency_exponent, currency_validate
from creators.enums import PolicyStanding
from creators.models import CreatorProfile, User
from creators.services import COUNTRY_CODES
from marketplace.access import OWNER_ONLY, brand_member_require, brand_role_of
from marketplace.models import Brand
from payments.models import party_for_user
from shops.enums import OWNER_STATUSES, DiscountKind, ProductStatus, ProductType, RefundWindow, ShopStatus
from shops.models import DiscountCode, Product, ProductImage, ProductVariant, Shop

Amount = str | Decimal

# ---------------------------------------------------------------- validation helpers


def _field_error(field: str, message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={field: [message]})


def _validated_name(name: str, *, field: str = "name", max_length: int = 80) -> str:
    name = (name or "").strip()
    if not name:
        raise _field_error(field, _("This field is required."), "required")
    return name[:max_length]


def _validated_slug(slug: str, *, exclude_pk: int | None = None) -> str:
    slug = (slug or "").strip().lower()
    try:
        validate_slug(slug)
    except ValidationError as exc:
        raise _field_error("slug", exc.messages[0], "invalid_slug") from exc
    if len(slug) < 3 or len(slug) > 60:
        raise _field_error("slug", _("Use 3 to 60 characters."), "invalid_slug")
    taken = Shop.objects.filter(slug=slug)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise _field_error("slug", _("This shop address is taken."), "slug_taken")
    return slug


def _validated_currency(currency: str) -> str:
    try:
        return currency_validate(currency)
    except ApplicationError as exc:
        raise _field_error("currency", exc.message, exc.code) from exc


def _validated_country(country: str) -> str:
    country = (country or "").strip().upper()
    if country not in COUNTRY_CODES:
        raise _field_error(
            "country", _("Unknown country code: use two letters, such as JP or US."), "invalid_country"
        )
    return country


def _validated_refund_window(days: int) -> int:
    if days not in RefundWindow.values:
        raise _field_error("refund_window_days", _("Choose 0, 7, 14 or 30 days."), "invalid_refund_window")
    return days


def price_parse(value: Amount, currency: str, *, field: str = "price") -> Money:
    """A price typed by a person ("24.00", "2400") in the shop's currency, chargeable by Stripe.

    Raises ``too_many_decimals`` ("10.001" USD, "500.5" JPY), ``invalid_amount`` and
    ``amount_below_minimum`` (under Stripe's minimum charge for the currency), on ``field``.
    """
    try:
        return charge_amount_validate(Money.from_decimal(value, currency))
    except ApplicationError as exc:
        message = exc.message
        if exc.code == "too_many_decimals" and currency_exponent(currency) == 0:
            message = _("%(currency)s prices are whole numbers, without decimals.") % {"currency": currency}
        raise _field_error(field, message, exc.code) from exc


# ---------------------------------------------------------------- shops


def _is_suspended(creator_id: int | None) -> bool:
    # Read from the database: the caller's CreatorProfile may predate a suspension.
    if creator_id is None:
        return False
    return CreatorProfile.objects.filter(pk=creator_id, policy_standing=PolicyStanding.SUSPENDED).exists()


@transaction.atomic
def shop_create(
    *,
    creator: CreatorProfile | None = None,
    brand: Brand | None = None,
    actor: User | None = None,
    name: str,
    slug: str,
    currency: str,
    country: str = "",
    description: str = "",
    refund_window_days: int = RefundWindow.MONTH,
) -> Shop:
    """Open a (draft) shop for a creator, or for a brand (``actor``: one of its owners).

    One shop per creator and per brand. Refuses a suspended creator (``creator_suspended``), a
    second shop (``shop_exists``), a brand member who is not an owner (``role_required``) or an
    outsider (not found), and the field errors of the catalogue (name, slug, currency, country).
    """
    if (creator is None) == (brand is None):
        raise ValueError("A shop belongs to a creator or to a brand.")
    if creator is not None:
        if _is_suspended(creator.pk):
            raise ApplicationError(_("A suspended account cannot open a shop."), code="creator_suspended")
        owner_party, default_country = party_for_user(creator.user), creator.country
        existing = Shop.objects.filter(creator=creator)
    else:
        assert brand is not None
        brand_member_require(brand=brand, user=actor, roles=OWNER_ONLY)  # type: ignore[arg-type]
        owner_party, default_country = f"brand:{brand.pk}", brand.country
        existing = Shop.objects.filter(brand=brand)
    if existing.exists():
        raise ApplicationError(_("You already have a shop."), code="shop_exists")
    shop = Shop(
        creator=creator,
        brand=brand,
        owner_party=owner_party,  # the ledger party its sales will credit
        name=_validated_name(name),
        slug=_validated_slug(slug),
        description=(description or "").strip()[:2000],
        currency=_validated_currency(currency),
        country=_validated_country(country or default_country),
        refund_window_days=_validated_refund_window(refund_window_days),
    )
    try:
        with transaction.atomic():
            shop.save()
    except IntegrityError as exc:  # the slug was taken between the check and the insert
        raise _field_error("slug", _("This shop address is taken."), "slug_taken") from exc
    return shop


def shop_is_owner(*, shop: Shop, user: User) -> bool:
    """Whether ``user`` runs the shop: its creator, or an owner or manager of its brand."""
    if not user.is_authenticated:
        return False
    if shop.creator_id is not None:
        return CreatorProfile.objects.filter(pk=shop.creator_id, user=user).exists()
    return shop.brand_id is not None and brand_role_of(brand=shop.brand, user=user) is not None  # type: ignore[arg-type]


def shop_update(
    *,
    shop: Shop,
    name: str | None = None,
    slug: str | None = None,
    description: str | None = None,
    currency: str | None = None,
    country: str | None = None,
    refund_window_days: int | None = None,
) -> Shop:
    fields: list[str] = ["updated_at"]
    if name is not None:
        shop.name = _validated_name(name)
        fields.append("name")
    if slug is not None and slug != shop.slug:
        shop.slug = _validated_slug(slug, exclude_pk=shop.pk)
        fields.append("slug")
    if description is not None:
        shop.description = description.strip()[:2000]
        fields.append("description")
    if currency is not None and (currency := _validated_currency(currency)) != shop.currency:
        # Prices are stored in minor units of the shop currency: changing it would reprice everything.
        if shop.products.exists():
            raise _field_error(
                "currency", _("The currency cannot change once the shop has products."), "currency_locked"
            )
        shop.currency = currency
        fields.append("currency")
    if country is not None:
        shop.country = _validated_country(country)
        fields.append("country")
    if refund_window_days is not None:
        shop.refund_window_days = _validated_refund_window(refund_window_days)
        fields.append("refund_window_days")
    try:
        with transaction.atomic():
            shop.save(update_fields=fields)
    except IntegrityError as exc:
        raise _field_error("slug", _("This shop address is taken."), "slug_taken") from exc
    return shop


def shop_set_status(*, shop: Shop, status: str, actor: User) -> Shop:
    """Owners move their shop between draft, open and paused; only staff close or reopen it."""
    if status not in ShopStatus.values:
        raise _field_error("status", _("Unknown status."), "invalid_status")
    is_owner = shop_is_owner(shop=shop, user=actor)
    if not actor.is_staff:
        if not is_owner:
            raise NotFoundError()
        if status not in OWNER_STATUSES:
            raise ApplicationError(
                _("Only staff can close a shop."), code="permission_denied", status_code=403
            )
        if shop.status == ShopStatus.CLOSED:
            raise ApplicationError(
                _("This shop was closed by our staff; contact support to reopen it."), code="shop_closed"
            )
        if status == ShopStatus.OPEN and _is_suspended(shop.creator_id):
            raise ApplicationError(_("A suspended account cannot open its shop."), code="creator_suspended")
    if shop.status != status:
        shop.status = status
        shop.save(update_fields=["status", "updated_at"])
    return shop


# ---------------------------------------------------------------- products


def _validated_compare_at(compare_at: Amount | None, price: Money) -> int | None:
    if compare_at is None or compare_at == "":
        return None
    compare = price_parse(compare_at, price.currency, field="compare_at")
    if compare <= price:
        raise _field_error(
            "compare_at",
            _("The compare-at price must be higher than the price."),
            "compare_at_not_above_price",
        )
    return compare.amount_minor


def _validated_type(type: str) -> str:
    if type not in ProductType.values:
        raise _field_error("type", _("Choose physical or digital."), "invalid_type")
    return type


def _validated_product_status(status: str) -> str:
    if status not in ProductStatus.values:
        raise _field_error("status", _("Unknown status."), "invalid_status")
    return status


def product_create(
    *,
    shop: Shop,
    title: str,
    price: Amount,
    description: str = "",
    type: str = ProductType.PHYSICAL,
    compare_at: Amount | None = None,
    status: str = ProductStatus.DRAFT,
) -> Product:
    """Add a product to a shop. ``price`` and ``compare_at`` are major units in the shop currency."""
    money = price_parse(price, shop.currency)
    product = Product(
        shop=shop,
        title=_validated_name(title, field="title", max_length=140),
        description=(description or "").strip()[:5000],
        type=_validated_type(type),
        price_minor=money.amount_minor,
        compare_at_minor=_validated_compare_at(compare_at, money),
        status=_validated_product_status(status),
    )
    product.save()
    return product


_UNSET = object()


def product_update(
    *,
    product: Product,
    title: str | None = None,
    description: str | None = None,
    type: str | None = None,
    price: Amount | None = None,
    compare_at: Amount | object | None = _UNSET,
    status: str | None = None,
) -> Product:
    """Change a product. ``compare_at=None`` removes the compare-at price; leaving it out keeps it."""
    fields: list[str] = ["updated_at"]
    currency = product.shop.currency
    if title is not None:
        product.title = _validated_name(title, field="title", max_length=140)
        fields.append("title")
    if description is not None:
        product.description = description.strip()[:5000]
        fields.append("description")
    if type is not None:
        product.type = _validated_type(type)
        fields.append("type")
    if price is not None:
        product.price_minor = price_parse(price, currency).amount_minor
        fields.append("price_minor")
    money = Money(product.price_minor, currency)
    if compare_at is not _UNSET:
        product.compare_at_minor = _validated_compare_at(compare_at, money)  # type: ignore[arg-type]
        fields.append("compare_at_minor")
    elif product.compare_at_minor is not None and product.compare_at_minor <= money.amount_minor:
        raise _field_error(
            "compare_at",
            _("The compare-at price must be higher than the price."),
            "compare_at_not_above_price",
        )
    if status is not None:
        product.status = _validated_product_status(status)
        fields.append("status")
    product.save(update_fields=fields)
    return product


def product_archive(*, product: Product) -> Product:
    """Take a product off the storefront. It stays in the database for past orders."""
    return product_update(product=product, status=ProductStatus.ARCHIVED)


# ---------------------------------------------------------------- variants and images


def _validated_stock(stock: int) -> int:
    if isinstance(stock, bool) or not isinstance(stock, int) or stock < 0:
        raise _field_error("stock", _("Stock is a whole number, 0 or more."), "invalid_stock")
    return stock


def _variant_price_minor(price: Amount | None, currency: str) -> int | None:
    if price is None or price == "":
        return None
    return price_parse(price, currency).amount_minor


def variant_create(
    *, product: Product, name: str, stock: int = 0, sku: str = "", price: Amount | None = None
) -> ProductVariant:
    """Add a variant ("M / Blue"). ``price``, when given, overrides the product's price."""
    variant = ProductVariant(
        product=product,
        name=_validated_name(name),
        sku=(sku or "").strip()[:64],
        stock=_validated_stock(stock),
        price_minor=_variant_price_minor(price, product.shop.currency),
    )
    variant.save()
    return variant


def variant_update(
    *,
    variant: ProductVariant,
    name: str | None = None,
    sku: str | None = None,
    stock: int | None = None,
    price: Amount | object | None = _UNSET,
) -> ProductVariant:
    fields: list[str] = ["updated_at"]
    if name is not None:
        variant.name = _validated_name(name)
        fields.append("name")
    if sku is not None:
        variant.sku = sku.strip()[:64]
        fields.append("sku")
    if stock is not None:
        variant.stock = _validated_stock(stock)
        fields.append("stock")
    if price is not _UNSET:
        variant.price_minor = _variant_price_minor(price, variant.product.shop.currency)  # type: ignore[arg-type]
        fields.append("price_minor")
    variant.save(update_fields=fields)
    return variant


def product_image_add(*, product: Product, upload: UploadedFile, alt_text: str = "") -> ProductImage:
    """Attach a photo, validated and re-encoded (common/images.py), after the existing ones."""
    content = product_image_validate(upload=upload)
    last = product.images.aggregate(last=Max("position"))["last"]
    image = ProductImage(
        product=product, position=0 if last is None else last + 1, alt_text=(alt_text or "").strip()[:200]
    )
    image.image.save(content.name or "product.jpg", content, save=False)
    image.save()
    return image


# ---------------------------------------------------------------- discount codes


def discount_code_validate(
    *,
    shop: Shop,
    code: str,
    kind: str,
    value: int,
    minimum_order_minor: int = 0,
    max_uses: int | None = None,
    expires_at: datetime | None = None,
    products: Sequence[Product] = (),
    exclude_pk: int | None = None,
) -> str:
    """Check a discount code's terms and return the code as stored (upper case).

    PERCENT ``value`` is basis points (1% = 100 … 100% = 10000); FIXED is minor units of the
    shop currency. Shared by discount_code_create() and the admin form.
    """
    code = (code or "").strip().upper()
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise _field_error("code", _("Use 1 to 32 letters, digits, - or _."), "invalid_code")
    taken = DiscountCode.objects.filter(shop=shop, code__iexact=code)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise _field_error("code", _("This shop already has that code."), "code_taken")
    if kind == DiscountKind.PERCENT:
        if not isinstance(value, int) or not 100 <= value <= 10_000:
            raise _field_error("value", _("A percentage is from 1% to 100%."), "invalid_discount_value")
    elif kind == DiscountKind.FIXED:
        if not isinstance(value, int) or value < 1:
            raise _field_error(
                "value", _("A fixed discount is at least 1 minor unit."), "invalid_discount_value"
            )
        Money(value, shop.currency)  # refuses absurd magnitudes
    else:
        raise _field_error("kind", _("Choose percent or fixed."), "invalid_kind")
    if minimum_order_minor < 0:
        raise _field_error("minimum_order_minor", _("The minimum cannot be negative."), "invalid_minimum")
    if max_uses is not None and max_uses < 1:
        raise _field_error("max_uses", _("Allow at least one use."), "invalid_max_uses")
    if expires_at is not None and expires_at <= timezone.now():
        raise _field_error("expires_at", _("The expiry must be in the future."), "expiry_in_past")
    if any(product.shop_id != shop.pk for product in products):
        raise _field_error("products", _("Pick products of this shop."), "foreign_product")
    return code


@transaction.atomic
def discount_code_create(
    *,
    shop: Shop,
    code: str,
    kind: str,
    value: int,
    minimum_order_minor: int = 0,
    max_uses: int | None = None,
    expires_at: datetime | None = None,
    products: Sequence[Product] = (),
) -> DiscountCode:
    """Create a code limited to ``products`` (none: the whole shop). Redemption comes with checkout."""
    products = list(products)
    code = discount_code_validate(
        shop=shop,
        code=code,
        kind=kind,
        value=value,
        minimum_order_minor=minimum_order_minor,
        max_uses=max_uses,
        expires_at=expires_at,
        products=products,
    )
    discount = DiscountCode.objects.create(
        shop=shop,
        code=code,
        kind=kind,
        value=value,
        minimum_order_minor=minimum_order_minor,
        max_uses=max_uses,
        expires_at=expires_at,
    )
    discount.products.set(products)
    return discount
