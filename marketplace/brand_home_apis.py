"""GET /api/v1/marketplace/brands/<id>/home/: the brand home for mobile clients (same figures as the web)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import MoneyField
from creators.home_apis import HomeChecklistStepSerializer
from creators.selectors import user_from_request
from marketplace import selectors
from marketplace.brand_home import brand_home_get

# Module-level serializers with distinct names: they become components of the OpenAPI schema.


class BrandHomeSpendSerializer(serializers.Serializer):
    key = serializers.IntegerField(
        allow_null=True, help_text="The campaign id (null: deals outside a campaign) or the creator id."
    )
    name = serializers.CharField(help_text="The campaign's title or the creator's handle.")
    currency = serializers.CharField()
    deals = serializers.IntegerField()
    committed = MoneyField(help_text="The funded deals' amounts.")
    released = MoneyField(help_text="Released from escrow to the creators.")
    refunded = MoneyField(help_text="Refunded to the brand.")


class BrandHomeTotalSerializer(serializers.Serializer):
    currency = serializers.CharField()
    deals = serializers.IntegerField()
    committed = MoneyField()
    released = MoneyField()
    refunded = MoneyField()


class BrandHomeActionSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="fund_deal, review_deliverable, answer_offer or dispute_open.")
    label = serializers.CharField()
    url = serializers.CharField(help_text="The web page that deals with it.")
    creator_handle = serializers.CharField()
    amount = MoneyField(allow_null=True)
    since = serializers.DateTimeField(allow_null=True)


class BrandHomeAffiliateSalesSerializer(serializers.Serializer):
    currency = serializers.CharField()
    orders = serializers.IntegerField()
    sales = MoneyField(help_text="The order amounts the commissions were computed on.")
    commissions = MoneyField(help_text="Owed to the affiliates.")


class BrandHomeSerializer(serializers.Serializer):
    brand_id = serializers.IntegerField(source="brand.pk")
    spend = BrandHomeTotalSerializer(many=True, source="spend_total")
    spend_by_campaign = BrandHomeSpendSerializer(many=True)
    spend_by_creator = BrandHomeSpendSerializer(many=True)
    actions = BrandHomeActionSerializer(many=True)
    affiliate_days = serializers.IntegerField()
    affiliate_sales = BrandHomeAffiliateSalesSerializer(many=True)
    checklist = HomeChecklistStepSerializer(many=True, source="checklist.steps")
    checklist_complete = serializers.BooleanField(source="checklist.complete")


class BrandHomeApi(APIView):
    """A brand's home for its members: spend by campaign and creator, deals needing action,
    affiliate sales and the first-run checklist. Anyone else gets 404 (``not_found``)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=BrandHomeSerializer)
    def get(self, request: Request, brand_id: int) -> Response:
        brand = selectors.brand_get_for_member(brand_id=brand_id, user=user_from_request(request))
        return Response(BrandHomeSerializer(brand_home_get(brand=brand)).data)
