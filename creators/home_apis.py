"""GET /api/v1/me/home/: the creator home for mobile clients, the same figures as /dashboard/."""

from datetime import date, datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import MoneyField, parse
from common.errors import NotFoundError
from common.schema import errors
from creators.home import BUCKETS, PERIODS, SOURCES, creator_home_get
from creators.selectors import user_from_request

# Serializers are module-level with distinct names: they become components of the OpenAPI schema.


class HomeSourceAmountsSerializer(serializers.Serializer):
    """Amounts per earning source; every source is present, zero when nothing was earned."""

    shop_sale = MoneyField()
    affiliate_commission = MoneyField()
    sponsorship = MoneyField()
    bonus = MoneyField()


assert set(HomeSourceAmountsSerializer().fields) == set(SOURCES), "name every earning source"


class HomeEarningsBucketSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day of the bucket: the day, the Monday or the 1st.")
    by_source = HomeSourceAmountsSerializer()
    total = MoneyField()


class HomeEarningsSeriesSerializer(serializers.Serializer):
    """One currency's net earnings (after commission, less refunds within the hold)."""

    currency = serializers.CharField()
    bucket = serializers.ChoiceField(choices=sorted(set(BUCKETS.values())))
    totals = HomeSourceAmountsSerializer()
    total = MoneyField()
    buckets = HomeEarningsBucketSerializer(many=True)


class HomeClearingSerializer(serializers.Serializer):
    on = serializers.DateField()
    amount = MoneyField()


@extend_schema_field(OpenApiTypes.STR)
class _DateOrDateTimeField(serializers.Field):
    """An ISO 8601 date-time (a scheduled payout run) or date (pending money clearing), or null."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value: date | datetime) -> str:
        return value.isoformat()


class HomeNextPayoutSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["in_transit", "scheduled", "below_minimum", "setup_needed", "nothing"],
        help_text=(
            "in_transit: a payout is on its way; scheduled: the next run (expected_at) pays amount; "
            "below_minimum: available is under minimum; setup_needed: money waits for a payout "
            "account; nothing: no money available yet (expected_at: when pending money first clears)."
        ),
    )
    amount = MoneyField()
    expected_at = _DateOrDateTimeField()
    minimum = MoneyField(allow_null=True)


class HomeBalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    pending = MoneyField()
    available = MoneyField()
    payable_out = MoneyField(help_text="Being transferred to the payout account.")
    paid_out = MoneyField()
    clearing = HomeClearingSerializer(many=True, help_text="Pending money by the day it becomes available.")
    next_payout = HomeNextPayoutSerializer()


class HomeTodoSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="orders_to_fulfil, deliverable_due, bonus_invitation, brand_offer or payout_setup."
    )
    label = serializers.CharField()
    url = serializers.CharField(help_text="The web page that deals with it.")
    count = serializers.IntegerField()
    due = serializers.DateField(allow_null=True)


class HomeChecklistStepSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="profile, professional, payouts or first_sale_channel.")
    label = serializers.CharField()
    url = serializers.CharField(help_text="The web page that completes the step.")
    done = serializers.BooleanField()


class CreatorHomeSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    earnings = HomeEarningsSeriesSerializer(many=True)
    balances = HomeBalanceSerializer(many=True)
    todo = HomeTodoSerializer(many=True)
    checklist = HomeChecklistStepSerializer(many=True, source="checklist.steps")
    checklist_complete = serializers.BooleanField(source="checklist.complete")


class MyHomeApi(APIView):
    """The signed-in creator's home: earnings by source over 30, 90 or 365 days, balances per
    currency with the days pending money clears, the next payout, a to-do list and the first-run
    checklist. Callers who are not creators get 404 (``not_found``)."""

    permission_classes = [IsAuthenticated]

    class FilterSerializer(serializers.Serializer):
        days = serializers.ChoiceField(choices=PERIODS, default=PERIODS[0])

    @errors(404)
    @extend_schema(
        parameters=[OpenApiParameter("days", int, enum=list(PERIODS), description="Period of the earnings.")],
        responses=CreatorHomeSerializer,
    )
    def get(self, request: Request) -> Response:
        days = int(parse(self.FilterSerializer, request.query_params)["days"])
        home = creator_home_get(user=user_from_request(request), days=days)
        if home is None:
            raise NotFoundError()
        return Response(CreatorHomeSerializer(home).data)
