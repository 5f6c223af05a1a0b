"""REST API: the public catalogue and the seller's own shop."""

import re
from collections.abc import Callable
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any

from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import MoneyField, money_fields, parse, parse_query
from common.errors import ApplicationError
from common.money import Money, currency_validate
from common.pagination import DefaultCursorPagination
from common.query_memo import CompiledOnce
from common.schema import errors
from creators.selectors import creator_get_for_user, user_from_request
from marketplace.selectors import brand_list_for_user
from shops.enums import ProductSort, ProductType, RefundWindow
from shops.models import Product, ProductImage, Shop
from shops.selectors import (
    SORT_ORDERINGS,
    product_get_for_owner,
    product_get_public,
    product_list_for_shop,
    product_list_public,
    shop_currency_public,
    shop_get_for_owner,
)
from shops.services import (
    product_create,
    product_update,
    shop_create,
    shop_set_status,
    shop_update,
    variant_create,
)


class ShopSummarySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    currency = serializers.CharField()
    country = serializers.CharField()


class ProductImageSerializer(serializers.Serializer):
    url = serializers.SerializerMethodField()
    alt_text = serializers.CharField()
    position = serializers.IntegerField()

    def get_url(self, obj) -> str:
        return obj.image.url


class VariantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sku = serializers.CharField()
    stock = serializers.IntegerField()
    is_sold_out = serializers.BooleanField()
    price = MoneyField()


class ProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    type = serializers.CharField()
    price = MoneyField()
    compare_at = MoneyField(allow_null=True)
    shop = ShopSummarySerializer()
    images = ProductImageSerializer(many=True, source="images.all")
    created_at = serializers.DateTimeField()


# The columns of a catalogue row, read as plain values: building model instances for a page
# of products, their shops and their images costs more than the query itself.
ROW_FIELDS = (
    "id",
    "title",
    "description",
    "type",
    "price_minor",
    "compare_at_minor",
    "created_at",
    "shop__slug",
    "shop__name",
    "shop__currency",
    "shop__country",
)


def product_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ProductSerializer's output for a page of ``ROW_FIELDS`` values, built directly (one more
    query for the images): the catalogue list is the hottest read of the shops, and DRF's
    generic field machinery costs several times the query. A test checks both agree."""
    images: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
    image_url = media_url_builder()
    for product_id, name, alt_text, position in _image_rows(list(images)):
        images[product_id].append({"url": image_url(name), "alt_text": alt_text, "position": position})
    tz = timezone.get_current_timezone()
    language = get_language()
    return [_product_row(row, images[row["id"]], tz, language) for row in rows]


def _image_rows(product_ids: list[int]) -> list[tuple[int, str, str, int]]:
    """(product_id, image name, alt_text, position) of these products' images, in the order
    pages show them.

    Written as SQL because the ORM spends about a millisecond building this one query (an
    ``IN`` of up to 100 related ids, each prepared through the foreign key), over three times
    what running it costs. Names come from the model, so a renamed column fails loudly.
    """
    if not product_ids:
        return []
    meta, quote = ProductImage._meta, connection.ops.quote_name
    product, image, alt_text, position, pk = (
        quote(meta.get_field(name).column) for name in ("product", "image", "alt_text", "position", "id")
    )
    columns, table = f"{product}, {image}, {alt_text}, {position}", quote(meta.db_table)
    where, order = f"{product} IN ({', '.join(['%s'] * len(product_ids))})", f"{product}, {position}, {pk}"
    sql = f"SELECT {columns} FROM {table} WHERE {where} ORDER BY {order}"  # noqa: S608 (values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, product_ids)
        return cursor.fetchall()


def _product_row(
    row: dict[str, Any], images: list[dict[str, Any]], tz: tzinfo, language: str | None
) -> dict[str, Any]:
    currency = row["shop__currency"]
    compare_at = row["compare_at_minor"]
    return {
        "id": row["id"],
        "title": row["title"],
        "description": row["description"],
        "type": row["type"],
        "price": money_fields(row["price_minor"], currency, language),
        "compare_at": None if compare_at is None else money_fields(compare_at, currency, language),
        "shop": {
            "slug": row["shop__slug"],
            "name": row["shop__name"],
            "currency": currency,
            "country": row["shop__country"],
        },
        "images": images,
        "created_at": _iso(row["created_at"], tz),
    }


# A stored file name whose URL is the storage's base URL plus the name itself: ASCII letters,
# digits and ``_.~-`` (which filepath_to_uri never escapes), in non-empty segments that do not
# start with a dot (so no "." or ".." for urljoin to resolve).
_PLAIN_NAME = re.compile(r"[\w.~-]+(?:/[\w.~-]+)*", re.ASCII)


def media_url_builder(storage: Storage | None = None) -> Callable[[str], str]:
    """``storage.url`` (the default storage's), for many names in a row.

    FileSystemStorage.url() runs urljoin() and quote() for every name: 75 images took a sixth
    of a catalogue page's time. For the names uploads get, its answer is a fixed prefix plus
    the name, so the prefix is worked out once, by asking the storage itself; any other name,
    and any other storage, goes through storage.url(). A test compares both on generated names.
    """
    storage = storage or storages["default"]
    if type(storage).url is not FileSystemStorage.url:
        return storage.url
    prefix: str | None = None

    def url(name: str) -> str:
        nonlocal prefix
        if name.startswith(".") or "/." in name or not _PLAIN_NAME.fullmatch(name):
            return storage.url(name)
        if prefix is None:
            prefix = storage.url("x")[:-1]
        return prefix + name

    return url


def _iso(value: datetime, tz: tzinfo) -> str:
    """DRF's DateTimeField output (ISO 8601 in the current time zone, UTC as "Z"), without DRF."""
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class ProductDetailSerializer(ProductSerializer):
    variants = VariantSerializer(many=True, source="variants.all")


class SellerProductSerializer(ProductDetailSerializer):
    status = serializers.CharField()
    updated_at = serializers.DateTimeField()


class ShopSerializer(ShopSummarySerializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    refund_window_days = serializers.IntegerField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


# ---------------------------------------------------------------- public catalogue


@lru_cache(maxsize=256)
def catalogue_values(**filters: Any) -> QuerySet[Product, dict[str, Any]]:
    """product_list_public(**filters) as ``ROW_FIELDS`` values, built once per set of filters.

    Building this query (the public-shop subquery, the joins) costs about a millisecond of ORM
    work, as much as running it. A QuerySet is a value: every chained call (the paginator's
    ordering, cursor filter and slice) works on a copy, and this one is never evaluated itself,
    so one built for the same filters earlier serves as well as a new one.
    """
    return product_list_public(**filters).prefetch_related(None).values(*ROW_FIELDS)


def catalogue_page_rows(**filters: Any) -> CompiledOnce:
    """catalogue_values(**filters) for the cursor paginator: the page's SQL compiled once per
    distinct request (common.query_memo), keyed by these filters."""
    return CompiledOnce(catalogue_values(**filters), key=tuple(sorted(filters.items())))


class ProductListApi(APIView):
    """Active products of open shops. Price bounds are major units of one currency (the shop's,
    or ``currency``); sorting by price is meaningful within one currency."""

    permission_classes = [AllowAny]

    class FilterSerializer(serializers.Serializer):
        shop = serializers.SlugField(required=False)
        currency = serializers.CharField(required=False, max_length=3)
        min_price = serializers.CharField(required=False, max_length=32)
        max_price = serializers.CharField(required=False, max_length=32)
        type = serializers.ChoiceField(choices=ProductType.choices, required=False)
        q = serializers.CharField(required=False, max_length=100)
        sort = serializers.ChoiceField(
            choices=ProductSort.choices, required=False, default=ProductSort.NEWEST
        )

    class Pagination(DefaultCursorPagination):
        ordering = SORT_ORDERINGS[ProductSort.NEWEST]

    @staticmethod
    def price_filters(data: dict[str, Any]) -> dict[str, Any]:
        """min_price/max_price → minor units, in the shop's currency or the ``currency`` filter."""
        filters: dict[str, Any] = {}
        currency = data.get("currency")
        if currency:
            filters["currency"] = currency = currency_validate(currency)
        if data.get("min_price") is None and data.get("max_price") is None:
            return filters
        if data.get("shop"):
            # An unknown or closed shop lists nothing anyway; its currency does not matter.
            currency = shop_currency_public(slug=data["shop"]) or currency or "USD"
        if not currency:
            raise ApplicationError(
                _("Give a currency (or a shop) with a price range."),
                code="currency_required",
                fields={"currency": [_("Required with min_price or max_price.")]},
            )
        for name in ("min_price", "max_price"):
            if data.get(name) is not None:
                try:
                    filters[f"{name}_minor"] = Money.from_decimal(data[name], currency).amount_minor
                except ApplicationError as exc:
                    raise ApplicationError(exc.message, code=exc.code, fields={name: [exc.message]}) from exc
        return filters

    @extend_schema(
        parameters=[
            OpenApiParameter("shop", str, description="Shop slug"),
            OpenApiParameter("currency", str, enum=["USD", "EUR", "JPY", "KRW"]),
            OpenApiParameter("min_price", str, description='Major units, e.g. "10.00"'),
            OpenApiParameter("max_price", str, description='Major units, e.g. "50.00"'),
            OpenApiParameter("type", str, enum=ProductType.values),
            OpenApiParameter("q", str, description="Words in the title"),
            OpenApiParameter("sort", str, enum=ProductSort.values),
        ],
        responses=ProductSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        data = parse_query(self.FilterSerializer, request.query_params)
        filters = {
            "shop_slug": data.get("shop"),
            "type": data.get("type"),
            "q": data.get("q"),
            "sort": data["sort"],
            **self.price_filters(data),
        }
        rows = catalogue_page_rows(**filters)
        paginator = self.Pagination()
        paginator.ordering = SORT_ORDERINGS[data["sort"]]
        page = paginator.paginate_queryset(rows, request, self)
        return paginator.get_paginated_response(product_rows(page))


class ProductDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=ProductDetailSerializer)
    def get(self, request: Request, product_id: int) -> Response:
        return Response(ProductDetailSerializer(product_get_public(product_id=product_id)).data)


# ---------------------------------------------------------------- the seller's shop


def _my_shop(request: Request) -> Shop:
    shop = shop_get_for_owner(user=request.user)
    if shop is None:
        raise ApplicationError(_("You do not have a shop yet."), code="no_shop", status_code=404)
    return shop


class MyShopApi(APIView):
    permission_classes = [IsAuthenticated]

    class CreateSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=80)
        slug = serializers.CharField(max_length=60)
        currency = serializers.CharField(max_length=3)
        country = serializers.CharField(max_length=2, required=False, allow_blank=True)
        description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
        refund_window_days = serializers.ChoiceField(choices=RefundWindow.choices, required=False)

    class UpdateSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=80, required=False)
        slug = serializers.CharField(max_length=60, required=False)
        currency = serializers.CharField(max_length=3, required=False)
        country = serializers.CharField(max_length=2, required=False)
        description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
        refund_window_days = serializers.ChoiceField(choices=RefundWindow.choices, required=False)
        # Text, not a choice field: the service checks it, and its error says who may set what.
        status = serializers.CharField(required=False, help_text="draft, open or paused (closed: staff only)")

    @errors(404)
    @extend_schema(responses=ShopSerializer)
    def get(self, request: Request) -> Response:
        return Response(ShopSerializer(_my_shop(request)).data)

    @extend_schema(request=CreateSerializer, responses={201: ShopSerializer})
    def post(self, request: Request) -> Response:
        user = user_from_request(request)
        creator = creator_get_for_user(user=user)
        # A creator opens their own shop; someone who only acts for a brand opens the brand's.
        brand = None if creator is not None else brand_list_for_user(user=user).first()
        if creator is None and brand is None:
            raise ApplicationError(
                _("Become a creator to open a shop."), code="not_a_creator", status_code=403
            )
        shop = shop_create(
            creator=creator, brand=brand, actor=user, **parse(self.CreateSerializer, request.data)
        )
        return Response(ShopSerializer(shop).data, status=201)

    @errors(404)
    @extend_schema(request=UpdateSerializer, responses=ShopSerializer)
    def patch(self, request: Request) -> Response:
        shop = _my_shop(request)
        data = parse(self.UpdateSerializer, request.data)
        status = data.pop("status", None)
        # One request, two services: all or nothing, so a refused status change leaves the
        # other fields as they were too.
        with transaction.atomic():
            shop = shop_update(shop=shop, **data)
            if status is not None:
                shop = shop_set_status(shop=shop, status=status, actor=request.user)
        return Response(ShopSerializer(shop).data)


class MyProductListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=140)
        description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
        type = serializers.ChoiceField(choices=ProductType.choices, required=False)
        price = serializers.CharField(max_length=32, help_text='Major units as text: "24.00", "2400".')
        compare_at = serializers.CharField(max_length=32, required=False, allow_null=True, allow_blank=True)
        status = serializers.CharField(required=False, help_text="draft, active or archived")

    class Pagination(DefaultCursorPagination):
        ordering = ("-created_at", "-id")

    @errors(404)
    @extend_schema(responses=SellerProductSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = self.Pagination()
        page = paginator.paginate_queryset(product_list_for_shop(shop=_my_shop(request)), request, self)
        return paginator.get_paginated_response(SellerProductSerializer(page, many=True).data)

    @errors(404)
    @extend_schema(request=InputSerializer, responses={201: SellerProductSerializer})
    def post(self, request: Request) -> Response:
        shop = _my_shop(request)
        product = product_create(shop=shop, **parse(self.InputSerializer, request.data))
        return Response(SellerProductSerializer(product).data, status=201)


class MyProductUpdateApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=140, required=False)
        description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
        type = serializers.ChoiceField(choices=ProductType.choices, required=False)
        price = serializers.CharField(max_length=32, required=False)
        compare_at = serializers.CharField(max_length=32, required=False, allow_null=True, allow_blank=True)
        status = serializers.CharField(required=False, help_text="draft, active or archived")

    @extend_schema(responses=SellerProductSerializer)
    def get(self, request: Request, product_id: int) -> Response:
        product = product_get_for_owner(user=request.user, product_id=product_id)
        return Response(SellerProductSerializer(product).data)

    @extend_schema(request=InputSerializer, responses=SellerProductSerializer)
    def patch(self, request: Request, product_id: int) -> Response:
        product = product_get_for_owner(user=request.user, product_id=product_id)
        product = product_update(product=product, **parse(self.InputSerializer, request.data))
        return Response(SellerProductSerializer(_reloaded(product)).data)


def _reloaded(product: Product) -> Product:
    # Prefetched variants and images are stale after a write; read them again.
    return product_get_for_owner(user=product.shop.creator.user, product_id=product.pk)  # type: ignore[union-attr]


class MyVariantCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=80)
        sku = serializers.CharField(max_length=64, required=False, allow_blank=True)
        stock = serializers.IntegerField(required=False, default=0)
        price = serializers.CharField(max_length=32, required=False, allow_null=True, allow_blank=True)

    @extend_schema(request=InputSerializer, responses={201: VariantSerializer})
    def post(self, request: Request, product_id: int) -> Response:
        product = product_get_for_owner(user=request.user, product_id=product_id)
        variant = variant_create(product=product, **parse(self.InputSerializer, request.data))
        return Response(VariantSerializer(variant).data, status=201)
