"""REST API for buying and selling: the buyer's cart, checkout and orders; the seller's orders,
fulfilment, refunds and discount codes.

The mobile app has no session, so the cart here is the signed-in user's own cart (guest carts,
found through the session, belong to the web). Checkout creates the order (stock reserved,
discount counted) and then, once that is committed, the PaymentIntent the app confirms; the
order becomes paid when Stripe's webhook says so, and the app polls ``orders/<number>/``.
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from affiliates.attribution import referral_from_api
from common.api import MoneyField, MoneySerializer, money_data, parse
from common.errors import ApplicationError
from common.money import Money
from common.pagination import DefaultCursorPagination
from common.schema import errors
from creators.models import User
from creators.selectors import user_from_request
from payments.gateway import StripeTemporaryError
from payments.idempotency import idempotent
from shops.apis import ShopSummarySerializer
from shops.cart import (
    cart_add,
    cart_clear_shop,
    cart_for_user,
    cart_groups,
    cart_remove,
    cart_set_quantity,
)
from shops.emails import download_url
from shops.enums import PAID_STATUSES, DiscountKind, OrderStatus, ShippingCarrier
from shops.models import Cart, DiscountCode, Order, OrderLine, Shop
from shops.orders import (
    ItemRequest,
    download_token,
    order_cancel,
    order_create,
    order_intent_start,
    order_mark_delivered,
    order_refund,
    order_ship,
)
from shops.selectors import (
    discount_code_list_for_seller,
    order_get_for_buyer,
    order_get_for_seller,
    order_list_for_buyer,
    order_list_for_seller,
    product_list_for_shop,
    shop_get_for_owner,
    shop_get_public,
)
from shops.services import discount_code_create

logger = logging.getLogger(__name__)


class OrderPagination(DefaultCursorPagination):
    ordering = ("-created_at", "-id")


def _seller_shop(request: Request) -> Shop:
    """The caller's shop; a caller without one gets the seller API's usual 404 ``no_shop``."""
    shop = shop_get_for_owner(user=user_from_request(request))
    if shop is None:
        raise ApplicationError(_("You do not have a shop yet."), code="no_shop", status_code=404)
    return shop


# ---------------------------------------------------------------- output shapes


class CartLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="item.id")
    product = serializers.IntegerField(source="product.id")
    title = serializers.CharField(source="product.title")
    type = serializers.CharField(source="product.type")
    variant = serializers.IntegerField(source="variant.id", allow_null=True, default=None)
    variant_name = serializers.CharField(source="variant.name", allow_null=True, default=None)
    quantity = serializers.IntegerField(source="item.quantity")
    unit_price = MoneyField()
    total = MoneyField()
    available = serializers.IntegerField(
        allow_null=True, help_text="Units in stock; null: unlimited (digital)."
    )
    problem = serializers.CharField(help_text="Why this line cannot be checked out now; empty when it can.")


class CartGroupSerializer(serializers.Serializer):
    shop = ShopSummarySerializer()
    lines = CartLineSerializer(many=True)
    subtotal = MoneyField()
    can_checkout = serializers.BooleanField()
    needs_shipping = serializers.BooleanField()


class CartSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="Empty for an empty cart.")
    count = serializers.IntegerField(help_text="Units in the cart.")
    groups = CartGroupSerializer(many=True, help_text="One per shop: each is checked out as its own order.")


def _cart_data(cart: Cart | None) -> dict[str, Any]:
    groups = cart_groups(cart=cart)
    return CartSerializer(
        {
            "currency": cart.currency if cart is not None and groups else "",
            "count": sum(line.item.quantity for group in groups for line in group.lines),
            "groups": groups,
        }
    ).data


class OrderLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.IntegerField(source="product_id")
    variant = serializers.IntegerField(source="variant_id", allow_null=True)
    title = serializers.CharField()
    variant_name = serializers.CharField()
    type = serializers.CharField()
    quantity = serializers.IntegerField()
    refunded_quantity = serializers.IntegerField()
    unit_price = MoneyField()
    discount = serializers.SerializerMethodField()
    total = MoneyField()

    @extend_schema_field(MoneySerializer)
    def get_discount(self, line: OrderLine) -> dict[str, Any] | None:
        return money_data(Money(line.discount_minor, line.order.currency))


class OrderSerializer(serializers.Serializer):
    """An order as its buyer sees it."""

    number = serializers.CharField()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    shop = ShopSummarySerializer()
    email = serializers.EmailField()
    currency = serializers.CharField()
    subtotal = MoneyField()
    discount = MoneyField()
    total = MoneyField()
    refunded = MoneyField()
    shipping_address = serializers.DictField(child=serializers.CharField())
    lines = OrderLineSerializer(many=True, source="lines.all")
    reserved_until = serializers.DateTimeField(help_text="Pay before this, or the stock is released.")
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)


class PaymentStartSerializer(serializers.Serializer):
    client_secret = serializers.CharField(help_text="Confirm the PaymentIntent with it in the app.")
    payment_intent_id = serializers.CharField()
    status = serializers.CharField()


class OrderEventSerializer(serializers.Serializer):
    kind = serializers.CharField()
    actor = serializers.SerializerMethodField()
    note = serializers.CharField()
    details = serializers.DictField(source="data", help_text="What changed: carrier, refunded lines…")
    created_at = serializers.DateTimeField()

    def get_actor(self, event: Any) -> str | None:
        return event.actor.display_name if event.actor is not None else None


class SellerOrderSerializer(OrderSerializer):
    buyer = serializers.SerializerMethodField()

    def get_buyer(self, order: Order) -> str | None:
        return order.buyer.display_name if order.buyer is not None else None


class SellerOrderDetailSerializer(SellerOrderSerializer):
    discount_code = serializers.CharField(source="discount_code.code", allow_null=True, default=None)
    events = serializers.SerializerMethodField()

    @extend_schema_field(OrderEventSerializer(many=True))
    def get_events(self, order: Order) -> Any:  # a ReturnList; the schema comes from the decorator
        return OrderEventSerializer(order.events.select_related("actor"), many=True).data


def _seller_order(request: Request, number: str) -> Order:
    return order_get_for_seller(user=user_from_request(request), number=number)


def _seller_detail(order: Order, user: User) -> dict[str, Any]:
    # Read again: prefetched lines and the instance's fields are stale after a write. Read as the
    # seller who asked (a brand shop has no creator, and its managers are sellers too).
    fresh = order_get_for_seller(user=user, number=order.number)
    return SellerOrderDetailSerializer(fresh).data


# ---------------------------------------------------------------- cart


class CartApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=CartSerializer,
        description="The signed-in user's cart, priced now and grouped per shop, with what stops a line "
        "from being checked out.",
    )
    def get(self, request: Request) -> Response:
        return Response(_cart_data(cart_for_user(user=user_from_request(request))))


class CartItemAddApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        product = serializers.IntegerField()
        variant = serializers.IntegerField(
            required=False, allow_null=True, help_text="Required for physical."
        )
        quantity = serializers.IntegerField(default=1, help_text="1 to 99; added to what is in the cart.")

    @extend_schema(request=InputSerializer, responses={201: CartSerializer})
    def post(self, request: Request) -> Response:
        data = parse(self.InputSerializer, request.data)
        cart = cart_for_user(user=user_from_request(request), create=True)
        assert cart is not None
        cart_add(
            cart=cart, product_id=data["product"], variant_id=data.get("variant"), quantity=data["quantity"]
        )
        return Response(_cart_data(cart), status=201)


class CartItemApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        quantity = serializers.IntegerField(help_text="1 to 99; 0 removes the item.")

    def _cart(self, request: Request) -> Cart:
        cart = cart_for_user(user=user_from_request(request))
        if cart is None:
            raise ApplicationError(
                _("That item is not in your cart."), code="cart_item_not_found", status_code=404
            )
        return cart

    @extend_schema(request=InputSerializer, responses=CartSerializer)
    def patch(self, request: Request, item_id: int) -> Response:
        data = parse(self.InputSerializer, request.data)
        cart = self._cart(request)
        cart_set_quantity(cart=cart, item_id=item_id, quantity=data["quantity"])
        return Response(_cart_data(cart))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, item_id: int) -> Response:
        cart_remove(cart=self._cart(request), item_id=item_id)
        return Response(status=204)


# ---------------------------------------------------------------- checkout and the buyer's orders


class ItemSerializer(serializers.Serializer):
    product = serializers.IntegerField()
    variant = serializers.IntegerField(required=False, allow_null=True, help_text="Required for physical.")
    quantity = serializers.IntegerField(default=1)


class AddressSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True)
    line1 = serializers.CharField(required=False, allow_blank=True)
    line2 = serializers.CharField(required=False, allow_blank=True)
    city = serializers.CharField(required=False, allow_blank=True)
    region = serializers.CharField(required=False, allow_blank=True)
    postal_code = serializers.CharField(required=False, allow_blank=True)
    country = serializers.CharField(required=False, allow_blank=True, help_text="Two letters: US, JP…")


class CheckoutResponseSerializer(OrderSerializer):
    payment = PaymentStartSerializer(
        allow_null=True,
        help_text="null when Stripe could not be reached: POST orders/<number>/payment/ to retry.",
    )


class OrderListCreateApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = OrderPagination  # paginated by hand; named for the schema

    class InputSerializer(serializers.Serializer):
        shop = serializers.SlugField(help_text="The shop to buy from (one order per shop).")
        items = ItemSerializer(
            many=True, required=False, help_text="Omit to check out this shop's group of the cart."
        )
        email = serializers.CharField(
            required=False, allow_blank=True, help_text="Defaults to the account's."
        )
        shipping_address = AddressSerializer(
            required=False, allow_null=True, help_text="For physical products."
        )
        discount_code = serializers.CharField(required=False, allow_blank=True, max_length=64)
        click_token = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=200,
            help_text="The X-Click-Token of the affiliate link that brought the buyer (/r/<code>).",
        )
        affiliate_code = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=16,
            help_text="An affiliate link code, if no click token.",
        )

    def get_throttles(self) -> list[Any]:
        # Only checkout is throttled: polling the order list is cheap and frequent.
        if self.request.method == "POST":
            self.throttle_scope = "checkout"
            return [ScopedRateThrottle()]
        return super().get_throttles()

    @extend_schema(responses=OrderSerializer(many=True), description="My orders, newest first.")
    def get(self, request: Request) -> Response:
        paginator = OrderPagination()
        page = paginator.paginate_queryset(
            order_list_for_buyer(user=user_from_request(request)), request, self
        )
        return paginator.get_paginated_response(OrderSerializer(page, many=True).data)

    @errors(404)
    @extend_schema(
        request=InputSerializer,
        responses={201: CheckoutResponseSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                location=OpenApiParameter.HEADER,
                description="Same key and body: the first response again; another body: 409.",
            )
        ],
        description=(
            "Check out one shop: the cart's group for that shop (no ``items``) or the given items. "
            f"Reserves the stock for {settings.SHOP_RESERVATION_MINUTES} minutes and returns the order "
            "with the PaymentIntent client secret; the order becomes paid when Stripe confirms the "
            "payment (poll the order). Authentication is required: guest checkout is web-only, "
            "mobile apps sign in."
        ),
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = parse(self.InputSerializer, request.data)
        user = user_from_request(request)
        shop = shop_get_public(slug=data["shop"])
        from_cart = data.get("items") is None
        cart = cart_for_user(user=user) if from_cart else None
        items = _cart_items(cart, shop) if from_cart else [_item(item) for item in data["items"]]
        # The order and the emptying of its cart group succeed or fail together.
        with transaction.atomic():
            order = order_create(
                shop=shop,
                items=items,
                email=data.get("email") or user.email,
                buyer=user,
                shipping_address=data.get("shipping_address"),
                discount_code=data.get("discount_code") or "",
                channel="api",
                language=translation.get_language() or "",
                referral=referral_from_api(
                    click_token=data.get("click_token", ""), code=data.get("affiliate_code", "")
                ),
            )
            if cart is not None:
                cart_clear_shop(cart=cart, shop=shop)
        try:
            payment: dict[str, str] | None = order_intent_start(order=order)
        except StripeTemporaryError:
            # The order stands (and is replayed under this Idempotency-Key); the app asks for
            # the PaymentIntent again instead of placing a second order.
            logger.warning("PaymentIntent for order %s not started: Stripe unreachable", order.number)
            payment = None
        body = dict(OrderSerializer(order_get_for_buyer(number=order.number, user=user)).data)
        body["payment"] = payment
        return Response(body, status=201)


def _item(data: dict[str, Any]) -> ItemRequest:
    return ItemRequest(product_id=data["product"], variant_id=data.get("variant"), quantity=data["quantity"])


def _cart_items(cart: Cart | None, shop: Shop) -> list[ItemRequest]:
    for group in cart_groups(cart=cart):
        if group.shop.pk == shop.pk:
            return [
                ItemRequest(
                    product_id=line.product.pk, variant_id=line.item.variant_id, quantity=line.item.quantity
                )
                for line in group.lines
            ]
    return []  # order_create refuses it: empty_order


class OrderDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=OrderSerializer, description="One of my orders; poll it for the payment's outcome."
    )
    def get(self, request: Request, number: str) -> Response:
        return Response(
            OrderSerializer(order_get_for_buyer(number=number, user=user_from_request(request))).data
        )


class OrderPaymentStartApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses=PaymentStartSerializer,
        description="The PaymentIntent of one of my orders still awaiting payment (the same one each time).",
    )
    def post(self, request: Request, number: str) -> Response:
        order = order_get_for_buyer(number=number, user=user_from_request(request))
        return Response(PaymentStartSerializer(order_intent_start(order=order)).data)


class OrderCancelApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, responses=OrderSerializer, description="Cancel one of my orders awaiting payment."
    )
    def post(self, request: Request, number: str) -> Response:
        order = order_get_for_buyer(number=number, user=user_from_request(request))
        order_cancel(order=order, actor=user_from_request(request))
        return Response(
            OrderSerializer(order_get_for_buyer(number=number, user=user_from_request(request))).data
        )


class DownloadSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.URLField(allow_null=True, help_text="null once every download is used.")
    link_expires_at = serializers.DateTimeField()
    downloads = serializers.IntegerField()
    download_limit = serializers.IntegerField()
    expires_at = serializers.DateTimeField(help_text="After this the file cannot be downloaded at all.")


class OrderDownloadsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=DownloadSerializer(many=True),
        description="Fresh signed links for the paid digital lines of one of my orders.",
    )
    def get(self, request: Request, number: str) -> Response:
        order = order_get_for_buyer(number=number, user=user_from_request(request))
        if order.status not in PAID_STATUSES and order.status != OrderStatus.REFUNDED:
            raise ApplicationError(
                _("Downloads are ready once the order is paid."), code="order_not_paid", status_code=409
            )
        now = timezone.now()
        link_expires = now + timedelta(hours=settings.SHOP_DOWNLOAD_LINK_HOURS)
        downloads = []
        for line in order.lines.all():
            grant = getattr(line, "download_grant", None)
            if grant is None or grant.revoked_at is not None or grant.expires_at < now:
                continue
            usable = grant.downloads < grant.download_limit
            downloads.append(
                {
                    "line": line.pk,
                    "title": line.title,
                    "url": download_url(download_token(grant)) if usable else None,
                    "link_expires_at": link_expires,
                    "downloads": grant.downloads,
                    "download_limit": grant.download_limit,
                    "expires_at": grant.expires_at,
                }
            )
        return Response(DownloadSerializer(downloads, many=True).data)


# ---------------------------------------------------------------- the seller's orders


class SellerOrderListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = OrderPagination  # paginated by hand; named for the schema

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=OrderStatus.values)],
        responses=SellerOrderSerializer(many=True),
        description="My shop's orders, newest first; awaiting payment only with status=pending_payment.",
    )
    def get(self, request: Request) -> Response:
        _seller_shop(request)
        data = parse(self.FilterSerializer, request.query_params)
        orders = order_list_for_seller(
            user=user_from_request(request), status=data.get("status")
        ).select_related("buyer")
        paginator = OrderPagination()
        page = paginator.paginate_queryset(orders, request, self)
        return paginator.get_paginated_response(SellerOrderSerializer(page, many=True).data)


class SellerOrderDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=SellerOrderDetailSerializer)
    def get(self, request: Request, number: str) -> Response:
        return Response(_seller_detail(_seller_order(request, number), user_from_request(request)))


class SellerOrderShipApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        carrier = serializers.CharField(help_text=f"One of: {', '.join(ShippingCarrier.values)}.")
        tracking_number = serializers.CharField(
            allow_blank=True, help_text="4 to 64 letters, digits, - or spaces."
        )

    @extend_schema(request=InputSerializer, responses=SellerOrderDetailSerializer)
    def post(self, request: Request, number: str) -> Response:
        order = _seller_order(request, number)  # another seller's order is 404, whatever the body
        data = parse(self.InputSerializer, request.data)
        order = order_ship(order=order, actor=user_from_request(request), **data)
        return Response(_seller_detail(order, user_from_request(request)))


class SellerOrderDeliverApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=SellerOrderDetailSerializer)
    def post(self, request: Request, number: str) -> Response:
        order = order_mark_delivered(order=_seller_order(request, number), actor=user_from_request(request))
        return Response(_seller_detail(order, user_from_request(request)))


class RefundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.SerializerMethodField()
    status = serializers.CharField()

    @extend_schema_field(MoneySerializer)
    def get_amount(self, refund: Any) -> dict[str, Any] | None:
        return money_data(Money(refund.amount_minor, refund.currency))


class SellerRefundResponseSerializer(serializers.Serializer):
    refund = RefundSerializer()
    order = SellerOrderDetailSerializer()


class SellerOrderRefundApi(APIView):
    permission_classes = [IsAuthenticated]

    class LineSerializer(serializers.Serializer):
        line = serializers.IntegerField()
        quantity = serializers.IntegerField(min_value=0)

    class InputSerializer(serializers.Serializer):
        lines = serializers.ListField(
            child=serializers.DictField(), required=False, help_text="Omit to refund everything left."
        )
        restock = serializers.BooleanField(
            default=False, help_text="Put refunded physical units back in stock."
        )
        reason = serializers.CharField(required=False, allow_blank=True, max_length=255)

    @extend_schema(
        request=InputSerializer,
        responses={201: SellerRefundResponseSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                location=OpenApiParameter.HEADER,
                description="Same key and body: the first response again; another body: 409.",
            )
        ],
        description="Refund a paid order of my shop, in full or some units of some lines, within the "
        "shop's refund window. The buyer is told by email.",
    )
    @idempotent
    def post(self, request: Request, number: str) -> Response:
        data = parse(self.InputSerializer, request.data)
        quantities = self._quantities(data.get("lines"))
        order = _seller_order(request, number)
        refund = order_refund(
            order=order,
            actor=user_from_request(request),
            quantities=quantities,
            restock=data["restock"],
            reason=data.get("reason", ""),
        )
        body = {
            "refund": RefundSerializer(refund).data,
            "order": _seller_detail(order, user_from_request(request)),
        }
        return Response(body, status=201)

    def _quantities(self, lines: list[dict[str, Any]] | None) -> dict[int, int] | None:
        if lines is None:
            return None
        quantities: dict[int, int] = {}
        for raw in lines:
            entry = parse(self.LineSerializer, raw)
            if entry["line"] in quantities:
                raise ApplicationError(
                    _("Name each line once."),
                    code="duplicate_line",
                    fields={"lines": [_("Name each line once.")]},
                )
            quantities[entry["line"]] = entry["quantity"]
        return quantities


# ---------------------------------------------------------------- the seller's discount codes


class DiscountCodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=DiscountKind.choices)
    value = serializers.IntegerField(help_text="percent: basis points (10% = 1000); fixed: minor units.")
    amount_off = serializers.SerializerMethodField()
    minimum_order = serializers.SerializerMethodField()
    max_uses = serializers.IntegerField(allow_null=True)
    uses = serializers.IntegerField()
    expires_at = serializers.DateTimeField(allow_null=True)
    products = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(MoneySerializer(allow_null=True))
    def get_amount_off(self, code: DiscountCode) -> dict[str, Any] | None:
        if code.kind != DiscountKind.FIXED:
            return None
        return money_data(Money(code.value, code.shop.currency))

    @extend_schema_field(MoneySerializer)
    def get_minimum_order(self, code: DiscountCode) -> dict[str, Any] | None:
        return money_data(Money(code.minimum_order_minor, code.shop.currency))

    def get_products(self, code: DiscountCode) -> list[int]:
        return [product.pk for product in code.products.all()]


class DiscountCodeListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=64)
        kind = serializers.CharField(help_text="percent or fixed")
        value = serializers.IntegerField(help_text="percent: basis points (10% = 1000); fixed: minor units.")
        minimum_order_minor = serializers.IntegerField(required=False, default=0)
        max_uses = serializers.IntegerField(required=False, allow_null=True)
        expires_at = serializers.DateTimeField(required=False, allow_null=True)
        products = serializers.ListField(
            child=serializers.IntegerField(), required=False, help_text="Limit to these products (none: all)."
        )

    class Pagination(DefaultCursorPagination):
        ordering = ("-created_at", "-id")

    @errors(404)
    @extend_schema(responses=DiscountCodeSerializer(many=True))
    def get(self, request: Request) -> Response:
        _seller_shop(request)
        codes = discount_code_list_for_seller(user=user_from_request(request)).select_related("shop")
        paginator = self.Pagination()
        page = paginator.paginate_queryset(codes, request, self)
        return paginator.get_paginated_response(DiscountCodeSerializer(page, many=True).data)

    @errors(404)
    @extend_schema(request=InputSerializer, responses={201: DiscountCodeSerializer})
    def post(self, request: Request) -> Response:
        shop = _seller_shop(request)
        data = parse(self.InputSerializer, request.data)
        product_ids = set(data.pop("products", []))
        products = list(product_list_for_shop(shop=shop).filter(pk__in=product_ids))
        if len(products) != len(product_ids):
            raise ApplicationError(
                _("Pick products of this shop."),
                code="foreign_product",
                fields={"products": [_("Pick products of this shop.")]},
            )
        code = discount_code_create(shop=shop, products=products, **data)
        code = (
            discount_code_list_for_seller(user=user_from_request(request))
            .select_related("shop")
            .get(pk=code.pk)
        )
        return Response(DiscountCodeSerializer(code).data, status=201)
