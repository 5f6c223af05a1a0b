"""Reads for shops and products. Public reads only show active products of open shops whose
creator is in good enough standing to be listed; anything else is a 404."""

from django.db.models import Prefetch, Q, QuerySet
from django.utils.crypto import constant_time_compare

from common.errors import NotFoundError
from creators.enums import PolicyStanding
from creators.models import User
from shops.enums import OrderStatus, ProductSort, ProductStatus, ShopStatus
from shops.models import DiscountCode, Order, OrderLine, Product, ProductImage, ProductVariant, Shop

SORT_ORDERINGS: dict[str, tuple[str, ...]] = {
    ProductSort.NEWEST: ("-created_at", "-id"),
    ProductSort.PRICE_ASC: ("price_minor", "id"),
    ProductSort.PRICE_DESC: ("-price_minor", "-id"),
}


def public_shop(path: str = "") -> Q:
    """Rows of shops the public may see (``path`` leads to the shop, e.g. "shop__"): open, and
    not run by a suspended creator. As joins, not a subquery: see product_list_public()."""
    return Q(**{f"{path}status": ShopStatus.OPEN}) & ~Q(
        **{f"{path}creator__policy_standing": PolicyStanding.SUSPENDED}
    )


def _public_shops() -> QuerySet[Shop]:
    return Shop.objects.filter(public_shop())


# ---------------------------------------------------------------- shops


def owned_by(user: User, path: str = "") -> Q:
    """Rows of shops that ``user`` runs (``path`` leads to the shop: "shop__", "product__shop__"):
    the creator's own, or a brand's whose owner or manager they are."""
    return Q(**{f"{path}creator__user": user}) | Q(**{f"{path}brand__memberships__user": user})


def shop_get_for_owner(*, user: User) -> Shop | None:
    """The shop the signed-in user runs, or None: their creator shop first, else their brand's."""
    if not user.is_authenticated:
        return None
    shops = Shop.objects.select_related("creator", "brand")
    return shops.filter(creator__user=user).first() or shops.filter(brand__memberships__user=user).first()


def shop_get_public(*, slug: str | None = None, handle: str | None = None) -> Shop:
    """An open shop by its slug or its creator's handle; NotFoundError otherwise."""
    if slug:
        condition = Q(slug=slug.lower())
    elif handle:
        condition = Q(creator__handle=handle.lower().lstrip("@"))
    else:
        raise NotFoundError()
    shop = _public_shops().select_related("creator").filter(condition).first()
    if shop is None:
        raise NotFoundError()
    return shop


def shop_currency_public(*, slug: str) -> str | None:
    return _public_shops().filter(slug=slug.lower()).values_list("currency", flat=True).first()


def shop_has_public(*, handle: str) -> bool:
    return _public_shops().filter(creator__handle=handle).exists()


# ---------------------------------------------------------------- products


def product_list_public(
    *,
    shop: Shop | None = None,
    shop_slug: str | None = None,
    currency: str | None = None,
    min_price_minor: int | None = None,
    max_price_minor: int | None = None,
    type: str | None = None,
    q: str | None = None,
    sort: str = ProductSort.NEWEST,
) -> QuerySet[Product]:
    """Active products of open shops, with their shop and images loaded (a constant query count).

    Price bounds are minor units and only make sense within one currency: pass ``currency``
    (or a shop) with them. Sorting by price across currencies compares minor units, which is
    only meaningful within one currency too; the API documents that.
    """
    # The public-shop rule as joins rather than shop__in=_public_shops(): the catalogue is the
    # busiest read, and the subquery doubled both the ORM's compile and Postgres's planning time.
    condition = Q(status=ProductStatus.ACTIVE) & public_shop("shop__")
    if shop is not None:
        condition &= Q(shop=shop)
    if shop_slug:
        condition &= Q(shop__slug=shop_slug.lower())
    if currency:
        condition &= Q(shop__currency=currency)
    if min_price_minor is not None:
        condition &= Q(price_minor__gte=min_price_minor)
    if max_price_minor is not None:
        condition &= Q(price_minor__lte=max_price_minor)
    if type:
        condition &= Q(type=type)
    if q and q.strip():
        condition &= Q(title__icontains=q.strip())
    return (
        Product.objects.filter(condition)
        .select_related("shop")
        .prefetch_related(Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")))
        .order_by(*SORT_ORDERINGS.get(sort, SORT_ORDERINGS[ProductSort.NEWEST]))
    )


def product_get_public(*, product_id: int, shop: Shop | None = None) -> Product:
    products = product_list_public(shop=shop).prefetch_related(
        Prefetch("variants", queryset=ProductVariant.objects.order_by("id"))
    )
    product = products.filter(pk=product_id).first()
    if product is None:
        raise NotFoundError()
    return product


def product_list_for_shop(*, shop: Shop, include_archived: bool = True) -> QuerySet[Product]:
    """The seller's own catalogue, every status."""
    products = Product.objects.filter(shop=shop).select_related("shop").prefetch_related("variants", "images")
    if not include_archived:
        products = products.exclude(status=ProductStatus.ARCHIVED)
    return products.order_by("-created_at", "-id")


def product_get_for_owner(*, user: User, product_id: int) -> Product:
    """A product of the user's own shop; another seller's product is NotFoundError (404)."""
    product = (
        Product.objects.select_related("shop", "shop__creator")
        .prefetch_related("variants", "images")
        .filter(owned_by(user, "shop__"), pk=product_id)
        .first()
        if user.is_authenticated
        else None
    )
    if product is None:
        raise NotFoundError()
    return product


def variant_get_for_owner(*, user: User, variant_id: int) -> ProductVariant:
    variant = (
        ProductVariant.objects.select_related("product__shop")
        .filter(owned_by(user, "product__shop__"), pk=variant_id)
        .first()
        if user.is_authenticated
        else None
    )
    if variant is None:
        raise NotFoundError()
    return variant


# ---------------------------------------------------------------- orders


def _orders() -> QuerySet[Order]:
    return Order.objects.select_related("shop", "payment").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("download_grant").order_by("id"))
    )


def order_list_for_seller(*, user: User, status: str | None = None) -> QuerySet[Order]:
    """Orders of the user's own shop, newest first; ``status`` filters (unknown: no filter).

    Orders still awaiting payment are included only when asked for by status: a seller ships
    paid orders, and abandoned checkouts would crowd the list.
    """
    if not user.is_authenticated:
        return Order.objects.none()
    orders = _orders().filter(owned_by(user, "shop__"))
    if status in OrderStatus.values:
        return orders.filter(status=status)
    return orders.exclude(status=OrderStatus.PENDING_PAYMENT)


def order_get_for_seller(*, user: User, number: str) -> Order:
    """An order of the user's own shop by number; another seller's order is NotFoundError (404)."""
    order = (
        _orders().filter(owned_by(user, "shop__"), number=number).first() if user.is_authenticated else None
    )
    if order is None:
        raise NotFoundError()
    return order


def order_list_for_buyer(*, user: User) -> QuerySet[Order]:
    if not user.is_authenticated:
        return Order.objects.none()
    return _orders().filter(buyer=user)


def order_get_for_buyer(*, number: str, user: User | None, access_token: str = "") -> Order:
    """The buyer's order: their own (signed in) or a guest order with its access token; else 404.

    An order placed with an account is only shown to that account, whatever token is given.
    """
    order = _orders().filter(number=number).first()
    if order is None:
        raise NotFoundError()
    if order.buyer_id is not None:
        if user is None or not user.is_authenticated or user.pk != order.buyer_id:
            raise NotFoundError()
    elif not access_token or not constant_time_compare(access_token, order.access_token):
        raise NotFoundError()
    return order


def order_get_for_staff(*, number: str) -> Order:
    order = _orders().filter(number=number).first()
    if order is None:
        raise NotFoundError()
    return order


def discount_code_list_for_seller(*, user: User) -> QuerySet[DiscountCode]:
    if not user.is_authenticated:
        return DiscountCode.objects.none()
    return DiscountCode.objects.filter(owned_by(user, "shop__")).prefetch_related("products")


def discount_code_get_for_seller(*, user: User, code_id: int) -> DiscountCode:
    code = discount_code_list_for_seller(user=user).filter(pk=code_id).first()
    if code is None:
        raise NotFoundError()
    return code
