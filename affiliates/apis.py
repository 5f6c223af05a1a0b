"""REST API for the mobile apps: the marketplace, join and leave, my links and stats, the seller's offers."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from affiliates.enums import JoinMode, OfferStatus
from affiliates.models import Membership, Offer
from affiliates.selectors import (
    affiliate_overview,
    commission_display_status,
    commission_list_for_seller,
    membership_get_for_affiliate,
    membership_get_for_seller,
    membership_list_for_seller,
    offer_get_for_seller,
    offer_get_joinable,
    offer_list_for_seller,
    offer_list_marketplace,
    seller_shop,
)
from affiliates.services import (
    membership_approve,
    membership_decline,
    membership_join,
    membership_leave,
    membership_remove,
    offer_create,
    offer_set_status,
    offer_update,
)
from common.api import parse
from common.errors import NotFoundError
from common.pagination import DefaultPageNumberPagination
from common.schema import errors
from common.security import OfferCreateThrottle
from creators.selectors import creator_get_for_user, user_from_request
from shops.enums import ProductStatus


def _creator(request: Request):
    creator = creator_get_for_user(user=request.user)
    if creator is None:
        raise NotFoundError(_("Only creators have affiliate links."))
    return creator


class OfferSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shop = serializers.CharField(source="shop.slug")
    shop_name = serializers.CharField(source="shop.name")
    country = serializers.CharField(source="shop.country")
    currency = serializers.CharField(source="shop.currency")
    refund_window_days = serializers.IntegerField(source="shop.refund_window_days")
    product_id = serializers.IntegerField(allow_null=True)
    product_title = serializers.CharField(source="product.title", default=None)
    rate_bps = serializers.IntegerField()
    window_days = serializers.IntegerField()
    join_mode = serializers.CharField()
    status = serializers.CharField()
    description = serializers.CharField()


class MarketplaceOfferSerializer(OfferSerializer):
    unique_clicks = serializers.IntegerField(source="clicks")
    conversion_bps = serializers.IntegerField(source="conversion_x10000")
    epc_minor = serializers.IntegerField()


class MembershipSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    offer = OfferSerializer()
    status = serializers.CharField()
    code = serializers.CharField()
    link = serializers.SerializerMethodField()
    discount_code = serializers.CharField(source="discount_code.code", default=None)

    def get_link(self, membership: Membership) -> str:
        return self.context["request"].build_absolute_uri(f"/r/{membership.code}")


class LinkStatsSerializer(MembershipSerializer):
    raw_clicks = serializers.IntegerField()
    unique_clicks = serializers.IntegerField()
    orders = serializers.IntegerField()
    conversion = serializers.FloatField(help_text="Orders per unique click, 0 to 1.")
    epc_minor = serializers.IntegerField(help_text="Earnings per 100 clicks, minor units.")


class AffiliateCommissionSerializer(serializers.Serializer):
    order = serializers.CharField()
    amount_minor = serializers.IntegerField()
    refunded_minor = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.CharField(help_text="pending, available, on_hold, rejected, reversed…")
    review_reason = serializers.CharField(help_text='Why it is "on hold: under review".')


class ClickDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    raw = serializers.IntegerField()
    unique = serializers.IntegerField()


class CommissionDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    amounts_minor = serializers.DictField(
        child=serializers.IntegerField(), help_text="Net commissions of the day by status, minor units."
    )


class MyLinksSerializer(serializers.Serializer):
    links = LinkStatsSerializer(many=True)
    totals = serializers.DictField(help_text="Commission totals by status and currency.")
    commissions = AffiliateCommissionSerializer(many=True)
    days = ClickDaySerializer(many=True)
    commission_currency = serializers.CharField(help_text="The currency of commission_days.")
    commission_days = CommissionDaySerializer(many=True)


class SellerOffersSerializer(serializers.Serializer):
    results = OfferSerializer(many=True)


class SellerMembershipRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    affiliate = serializers.CharField(help_text="The affiliate's handle.")
    offer_id = serializers.IntegerField()
    status = serializers.CharField()
    raw_clicks = serializers.IntegerField()


class SellerMembershipsSerializer(serializers.Serializer):
    results = SellerMembershipRowSerializer(many=True)


class DecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class SellerCommissionRowSerializer(serializers.Serializer):
    order = serializers.CharField()
    affiliate = serializers.CharField()
    sale_minor = serializers.IntegerField()
    amount_minor = serializers.IntegerField()
    refunded_minor = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.CharField()


class OfferListApi(APIView):
    """Active offers, searchable and sortable by rate or measured performance. Creators only."""

    permission_classes = [IsAuthenticated]
    pagination_class = DefaultPageNumberPagination  # paginated by hand; named for the schema

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, max_length=100, default="")
        category = serializers.CharField(required=False, max_length=40, default="")
        country = serializers.CharField(required=False, max_length=2, default="")
        currency = serializers.CharField(required=False, max_length=3, default="")
        min_rate_bps = serializers.IntegerField(required=False, min_value=100, max_value=7500, default=None)
        sort = serializers.ChoiceField(choices=["newest", "rate", "conversion", "epc"], default="newest")

    @errors(404)
    @extend_schema(parameters=[FilterSerializer], responses=MarketplaceOfferSerializer(many=True))
    def get(self, request: Request) -> Response:
        _creator(request)
        filters = parse(self.FilterSerializer, request.query_params)
        paginator = DefaultPageNumberPagination()
        page = paginator.paginate_queryset(offer_list_marketplace(**filters), request, view=self)
        return paginator.get_paginated_response(MarketplaceOfferSerializer(page, many=True).data)


class OfferJoinApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={201: MembershipSerializer})
    def post(self, request: Request, offer_id: int) -> Response:
        membership = membership_join(offer=offer_get_joinable(offer_id=offer_id), affiliate=_creator(request))
        return Response(MembershipSerializer(membership, context={"request": request}).data, status=201)


class MembershipLeaveApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=MembershipSerializer)
    def post(self, request: Request, membership_id: int) -> Response:
        membership = membership_get_for_affiliate(affiliate=_creator(request), membership_id=membership_id)
        membership = membership_leave(membership=membership)
        return Response(MembershipSerializer(membership, context={"request": request}).data)


class MyLinksApi(APIView):
    """My memberships with their links, codes and stats, and my commissions by status per currency."""

    permission_classes = [IsAuthenticated]

    @errors(404)
    @extend_schema(responses=MyLinksSerializer)
    def get(self, request: Request) -> Response:
        overview = affiliate_overview(affiliate=_creator(request))
        links: list[dict[str, Any]] = []
        for stats in overview.links:
            data = MembershipSerializer(stats.membership, context={"request": request}).data
            data.update(
                raw_clicks=stats.raw,
                unique_clicks=stats.unique,
                orders=stats.orders,
                conversion=round(stats.conversion, 4),
                epc_minor=stats.epc_minor,
            )
            links.append(data)
        commissions = [
            {
                "order": c.order.number,
                "amount_minor": c.amount_minor,
                "refunded_minor": c.refunded_minor,
                "currency": c.currency,
                "status": commission_display_status(c),
                "review_reason": c.review_reason if c.status == "on_hold" else "",
            }
            for c in overview.commissions[:100]
        ]
        days = [{"day": d.isoformat(), "raw": raw, "unique": unique} for d, raw, unique in overview.days]
        commission_days = [
            {"day": d.isoformat(), "amounts_minor": amounts} for d, amounts in overview.commission_days
        ]
        return Response(
            {
                "links": links,
                "totals": overview.totals,
                "commissions": commissions,
                "days": days,
                "commission_currency": overview.commission_currency,
                "commission_days": commission_days,
            }
        )


# ---------------------------------------------------------------- the seller


def _shop(request: Request):
    return seller_shop(user=user_from_request(request))


class SellerOfferListCreateApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [OfferCreateThrottle]  # counts the POSTs (new offers) only

    class InputSerializer(serializers.Serializer):
        product_id = serializers.IntegerField(required=False, allow_null=True, default=None)
        rate_bps = serializers.IntegerField()
        window_days = serializers.IntegerField(default=30)
        join_mode = serializers.CharField(default=JoinMode.OPEN)
        code_discount_bps = serializers.IntegerField(default=0)
        description = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")

    @errors(404)
    @extend_schema(responses=SellerOffersSerializer)
    def get(self, request: Request) -> Response:
        offers = offer_list_for_seller(shop=_shop(request))
        return Response({"results": OfferSerializer(offers, many=True).data})

    @errors(404)
    @extend_schema(request=InputSerializer, responses={201: OfferSerializer})
    def post(self, request: Request) -> Response:
        shop = _shop(request)
        data = parse(self.InputSerializer, request.data)
        product = None
        if (product_id := data.pop("product_id")) is not None:
            product = shop.products.filter(pk=product_id, status=ProductStatus.ACTIVE).first()
            if product is None:
                raise NotFoundError(_("No such product in your shop."))
        offer = offer_create(shop=shop, product=product, **data)
        return Response(OfferSerializer(offer).data, status=201)


class SellerOfferDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        rate_bps = serializers.IntegerField(required=False)
        window_days = serializers.IntegerField(required=False)
        join_mode = serializers.CharField(required=False)
        code_discount_bps = serializers.IntegerField(required=False)
        description = serializers.CharField(required=False, allow_blank=True, max_length=300)
        status = serializers.ChoiceField(choices=OfferStatus.choices, required=False)

    @extend_schema(request=InputSerializer, responses=OfferSerializer)
    def patch(self, request: Request, offer_id: int) -> Response:
        offer: Offer = offer_get_for_seller(shop=_shop(request), offer_id=offer_id)
        data = parse(self.InputSerializer, request.data)
        status = data.pop("status", None)
        with transaction.atomic():  # terms and status change together or not at all
            if data:
                terms = {
                    "rate_bps": offer.rate_bps,
                    "window_days": offer.window_days,
                    "join_mode": offer.join_mode,
                    "code_discount_bps": offer.code_discount_bps,
                    "description": offer.description,
                    **data,
                }
                offer = offer_update(offer=offer, **terms)
            if status is not None:
                offer = offer_set_status(offer=offer, status=status)
        return Response(OfferSerializer(offer).data)


class SellerMembershipListApi(APIView):
    permission_classes = [IsAuthenticated]

    @errors(404)
    @extend_schema(responses=SellerMembershipsSerializer)
    def get(self, request: Request) -> Response:
        rows = [
            {
                "id": m.pk,
                "affiliate": m.affiliate.handle,
                "offer_id": m.offer_id,
                "status": m.status,
                "raw_clicks": m.raw_clicks,
            }
            for m in membership_list_for_seller(shop=_shop(request))[:500]
        ]
        return Response({"results": rows})


SELLER_DECISIONS = {"approve": membership_approve, "decline": membership_decline, "remove": membership_remove}


class SellerMembershipDecideApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=DecisionSerializer)
    def post(self, request: Request, membership_id: int, decision: str) -> Response:
        if decision not in SELLER_DECISIONS:
            raise NotFoundError()
        membership = membership_get_for_seller(shop=_shop(request), membership_id=membership_id)
        membership = SELLER_DECISIONS[decision](membership=membership, actor=request.user)
        return Response({"id": membership.pk, "status": membership.status})


class SellerCommissionListApi(APIView):
    """Sales through affiliates and the commissions owed on them."""

    pagination_class = DefaultPageNumberPagination  # paginated by hand; named for the schema

    permission_classes = [IsAuthenticated]

    @errors(404)
    @extend_schema(responses=SellerCommissionRowSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = DefaultPageNumberPagination()
        page = paginator.paginate_queryset(
            commission_list_for_seller(shop=_shop(request)), request, view=self
        )
        rows = [
            {
                "order": c.order.number,
                "affiliate": c.membership.affiliate.handle,
                "sale_minor": c.order.total_minor,
                "amount_minor": c.amount_minor,
                "refunded_minor": c.refunded_minor,
                "currency": c.currency,
                "status": c.status,
            }
            for c in page
        ]
        return paginator.get_paginated_response(rows)
