"""Carts: what a buyer is about to check out, kept between visits.

A guest's cart is found through a random token in their session (not the session key, which
Django rotates at login); a signed-in user has one cart. The first request after a guest signs
in merges the guest cart into the user's (cart_for_request), so nothing picked before logging in
is lost. A cart may hold items of several shops as long as they share one currency: each shop
is checked out as its own order (shops.orders).

Stock is only checked here (a friendly early error); it is reserved when the order is created.
"""

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from common.money import Money, sum_money
from shops.enums import ProductStatus, ProductType, ShopStatus
from shops.models import Cart, CartItem, Product, ProductVariant, Shop

if TYPE_CHECKING:
    from creators.models import User

SESSION_KEY = "cart_token"
MAX_LINE_QUANTITY = 99


@dataclass(frozen=True)
class CartLine:
    """One priced cart item, as the cart page and the API show it."""

    item: CartItem
    product: Product
    variant: ProductVariant | None
    unit_price: Money
    total: Money
    available: int | None  # units in stock (None: unlimited, a digital product)
    problem: str  # why this line cannot be checked out now ("" when it can)


@dataclass(frozen=True)
class ShopGroup:
    """The lines of one shop: what one checkout pays for."""

    shop: Shop
    lines: list[CartLine]
    subtotal: Money

    @property
    def can_checkout(self) -> bool:
        return all(not line.problem for line in self.lines)

    @property
    def needs_shipping(self) -> bool:
        return any(line.product.type == ProductType.PHYSICAL for line in self.lines)


# ---------------------------------------------------------------- finding the cart


def cart_for_request(request: HttpRequest, *, create: bool = False) -> Cart | None:
    """The cart of this visitor (creating it if asked), merging a guest cart after login."""
    user = request.user if request.user.is_authenticated else None
    token = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if user is None:
        cart = Cart.objects.filter(session_key=token, user__isnull=True).first() if token else None
        if cart is None and create:
            token = secrets.token_urlsafe(24)
            cart = Cart.objects.create(session_key=token)
            request.session[SESSION_KEY] = token
        return cart
    cart = cart_for_user(user=user, create=create)
    if token:
        request.session.pop(SESSION_KEY, None)
        guest = Cart.objects.filter(session_key=token, user__isnull=True).first()
        if guest is not None:
            cart = cart_merge(guest=guest, user=user)
    return cart


def cart_for_user(*, user: "User", create: bool = False) -> Cart | None:
    cart = Cart.objects.filter(user=user).first()
    if cart is None and create:
        try:
            with transaction.atomic():
                cart = Cart.objects.create(user=user)
        except IntegrityError:  # a concurrent request created it
            cart = Cart.objects.get(user=user)
    return cart


# ---------------------------------------------------------------- changing it


@transaction.atomic
def cart_add(*, cart: Cart, product_id: int, variant_id: int | None = None, quantity: int = 1) -> CartItem:
    """Put ``quantity`` of a product (a variant of a physical one) in the cart.

    Refuses, changing nothing: an unknown or inactive product or a closed shop
    (``product_unavailable``), a missing or foreign variant (``variant_required``,
    ``invalid_variant``), a quantity out of 1..99 (``invalid_quantity``), more than is in stock
    (``insufficient_stock``), and a product in another currency than the cart's
    (``cart_currency_mismatch``).
    """
    quantity = _quantity_validate(quantity)
    product = _product_for_sale(product_id)
    variant = _variant_for(product, variant_id)
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    currency = product.shop.currency
    if cart.currency and cart.currency != currency and cart.items.exists():
        raise ApplicationError(
            _(
                "Your cart holds products priced in %(cart)s; this one is priced in %(product)s. "
                "Check out or empty your cart first."
            )
            % {"cart": cart.currency, "product": currency},
            code="cart_currency_mismatch",
        )
    item = CartItem.objects.filter(cart=cart, product=product, variant=variant).first()
    wanted = quantity + (item.quantity if item else 0)
    if product.type == ProductType.DIGITAL:
        wanted = 1  # one copy of a file is all anyone needs
    _stock_check(product, variant, wanted)
    if wanted > MAX_LINE_QUANTITY:
        raise _invalid_quantity()
    if item is None:
        item = CartItem.objects.create(cart=cart, product=product, variant=variant, quantity=wanted)
    else:
        item.quantity = wanted
        item.save(update_fields=["quantity"])
    if cart.currency != currency:
        cart.currency = currency
        cart.save(update_fields=["currency", "updated_at"])
    return item


@transaction.atomic
def cart_set_quantity(*, cart: Cart, item_id: int, quantity: int) -> CartItem | None:
    """Change an item's quantity; 0 removes it (returns None). ``cart_item_not_found`` otherwise."""
    item = CartItem.objects.select_related("product__shop", "variant").filter(cart=cart, pk=item_id).first()
    if item is None:
        raise ApplicationError(
            _("That item is not in your cart."), code="cart_item_not_found", status_code=404
        )
    if quantity == 0:
        item.delete()
        return None
    quantity = _quantity_validate(quantity)
    if item.product.type == ProductType.DIGITAL and quantity != 1:
        raise ApplicationError(
            _("A digital product is bought once."),
            code="invalid_quantity",
            fields={"quantity": [_("Use 1.")]},
        )
    _stock_check(item.product, item.variant, quantity)
    item.quantity = quantity
    item.save(update_fields=["quantity"])
    return item


def cart_remove(*, cart: Cart, item_id: int) -> None:
    cart_set_quantity(cart=cart, item_id=item_id, quantity=0)


def cart_clear_shop(*, cart: Cart, shop: Shop) -> None:
    """Take one shop's items out of the cart (they became an order)."""
    CartItem.objects.filter(cart=cart, product__shop=shop).delete()


@transaction.atomic
def cart_merge(*, guest: Cart, user: "User") -> Cart:
    """Move a guest cart's items into the user's cart and delete the guest cart.

    Quantities of the same item add up (capped by stock and the per-line limit); items in
    another currency than a non-empty user cart are dropped, as adding them would be refused.
    """
    target = cart_for_user(user=user, create=True)
    assert target is not None
    target = Cart.objects.select_for_update().get(pk=target.pk)
    target_has_items = target.items.exists()
    if target_has_items and target.currency != guest.currency:
        guest.delete()
        return target
    for item in guest.items.select_related("product", "variant"):
        existing = CartItem.objects.filter(cart=target, product=item.product, variant=item.variant).first()
        available = _available(item.product, item.variant)
        quantity = item.quantity + (existing.quantity if existing else 0)
        if item.product.type == ProductType.DIGITAL:
            quantity = 1
        quantity = min(quantity, MAX_LINE_QUANTITY, available if available is not None else MAX_LINE_QUANTITY)
        if quantity < 1:
            continue
        if existing is None:
            CartItem.objects.create(
                cart=target, product=item.product, variant=item.variant, quantity=quantity
            )
        else:
            existing.quantity = quantity
            existing.save(update_fields=["quantity"])
    if not target_has_items:
        target.currency = guest.currency
        target.save(update_fields=["currency", "updated_at"])
    guest.delete()
    return target


# ---------------------------------------------------------------- reading it


def cart_groups(*, cart: Cart | None) -> list[ShopGroup]:
    """The cart's lines priced now and grouped by shop, with what stops each from checking out."""
    if cart is None:
        return []
    items = cart.items.select_related("product__shop", "variant").order_by(
        "product__shop__name", "added_at", "id"
    )
    groups: dict[int, list[CartLine]] = {}
    shops: dict[int, Shop] = {}
    for item in items:
        shops[item.product.shop_id] = item.product.shop
        groups.setdefault(item.product.shop_id, []).append(_line(item))
    return [
        ShopGroup(
            shop=shops[shop_id],
            lines=lines,
            subtotal=sum_money((line.total for line in lines), shops[shop_id].currency),
        )
        for shop_id, lines in groups.items()
    ]


def cart_count(*, cart: Cart | None) -> int:
    if cart is None:
        return 0
    return sum(cart.items.values_list("quantity", flat=True))


def _line(item: CartItem) -> CartLine:
    product, variant = item.product, item.variant
    unit = variant.price if variant is not None else product.price
    available = _available(product, variant)
    problem = ""
    if product.status != ProductStatus.ACTIVE or product.shop.status != ShopStatus.OPEN:
        problem = _("No longer for sale.")
    elif available is not None and available < item.quantity:
        problem = _("Only %(count)d left.") % {"count": available} if available else _("Sold out.")
    return CartLine(
        item=item,
        product=product,
        variant=variant,
        unit_price=unit,
        total=unit * item.quantity,
        available=available,
        problem=problem,
    )


# ---------------------------------------------------------------- rules


def _quantity_validate(quantity: Any) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise _invalid_quantity()
    return quantity


def _invalid_quantity() -> ApplicationError:
    return ApplicationError(
        _("Choose a quantity from 1 to %(max)d.") % {"max": MAX_LINE_QUANTITY},
        code="invalid_quantity",
        fields={"quantity": [_("Choose a quantity from 1 to %(max)d.") % {"max": MAX_LINE_QUANTITY}]},
    )


def _product_for_sale(product_id: Any) -> Product:
    product = (
        Product.objects.select_related("shop").filter(pk=product_id).first()
        if isinstance(product_id, int)
        else None
    )
    if product is None or product.status != ProductStatus.ACTIVE or product.shop.status != ShopStatus.OPEN:
        raise ApplicationError(_("This product is not for sale."), code="product_unavailable")
    return product


def _variant_for(product: Product, variant_id: Any) -> ProductVariant | None:
    if product.type == ProductType.DIGITAL:
        if variant_id not in (None, ""):
            raise ApplicationError(
                _("A digital product has no variants."),
                code="invalid_variant",
                fields={"variant": [_("Leave it empty.")]},
            )
        return None
    if variant_id in (None, ""):
        raise ApplicationError(
            _("Choose a size or colour."), code="variant_required", fields={"variant": [_("Choose one.")]}
        )
    variant = (
        ProductVariant.objects.filter(pk=variant_id, product=product).first()
        if isinstance(variant_id, int)
        else None
    )
    if variant is None:
        raise ApplicationError(
            _("That option does not exist for this product."),
            code="invalid_variant",
            fields={"variant": [_("Choose one of the product's options.")]},
        )
    variant.product = product
    return variant


def _available(product: Product, variant: ProductVariant | None) -> int | None:
    if product.type == ProductType.DIGITAL:
        return None
    return variant.stock if variant is not None else 0


def _stock_check(product: Product, variant: ProductVariant | None, quantity: int) -> None:
    available = _available(product, variant)
    if available is not None and quantity > available:
        raise ApplicationError(
            _("Only %(count)d left in stock.") % {"count": available},
            code="insufficient_stock",
            fields={"quantity": [_("Only %(count)d left in stock.") % {"count": available}]},
        )
