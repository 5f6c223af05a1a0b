"""REST API for a party's own money: balances, statement, payouts, payout setup.

Every endpoint reads the caller's own party only; nobody can name another party.
"""

import uuid

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from common.api import MoneySerializer, money_data
from common.errors import ApplicationError
from common.pagination import DefaultCursorPagination
from creators.selectors import user_from_request
from payments.connect import onboarding_link_create
from payments.earnings import earnings_for_party, payouts_for_party, statement_for_party
from payments.enums import AccountKind
from payments.idempotency import idempotent
from payments.models import party_for_user

PARTY_KINDS = [AccountKind.PENDING, AccountKind.AVAILABLE, AccountKind.PAYABLE_OUT]


class MyBalancesApi(APIView):
    """Pending (inside the hold), available (payable), payable out (being transferred) and paid out,
    per currency, with the dates pending money clears."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=inline_serializer(
            "Balances",
            {
                "balances": serializers.ListField(
                    child=inline_serializer(
                        "CurrencyBalance",
                        {
                            "currency": serializers.CharField(),
                            "pending": MoneySerializer(),
                            "available": MoneySerializer(),
                            "payable_out": MoneySerializer(),
                            "paid_out": MoneySerializer(),
                            "releases": serializers.ListField(
                                child=inline_serializer(
                                    "Release",
                                    {"release_at": serializers.DateTimeField(), "amount": MoneySerializer()},
                                )
                            ),
                        },
                    )
                )
            },
        )
    )
    def get(self, request: Request) -> Response:
        summaries = earnings_for_party(party=party_for_user(user_from_request(request)))
        return Response(
            {
                "balances": [
                    {
                        "currency": s.currency,
                        "pending": money_data(s.pending),
                        "available": money_data(s.available),
                        "payable_out": money_data(s.payable_out),
                        "paid_out": money_data(s.paid_out),
                        "releases": [
                            {"release_at": r.release_at, "amount": money_data(r.amount)} for r in s.releases
                        ],
                    }
                    for s in summaries
                ]
            }
        )


class MyStatementApi(APIView):
    """One of my accounts, entry by entry, with the running balance after each."""

    permission_classes = [IsAuthenticated]

    class FilterSerializer(serializers.Serializer):
        currency = serializers.RegexField(r"^[A-Za-z]{3}$")
        kind = serializers.ChoiceField(choices=PARTY_KINDS, default=AccountKind.AVAILABLE)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        created_at = serializers.DateTimeField(source="transaction.created_at")
        reference = serializers.CharField(source="transaction.reference")
        kind = serializers.CharField(source="transaction.kind")
        description = serializers.CharField(source="transaction.description")
        amount_minor = serializers.IntegerField()
        currency = serializers.CharField()
        running_balance_minor = serializers.IntegerField(source="running_balance")

    class Pagination(DefaultCursorPagination):
        ordering = ("-id",)
        page_size = 50

    @extend_schema(
        parameters=[
            OpenApiParameter("currency", str, required=True),
            OpenApiParameter("kind", str, enum=[str(k) for k in PARTY_KINDS]),
        ],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        entries = statement_for_party(
            party=party_for_user(user_from_request(request)),
            currency=filters.validated_data["currency"].upper(),
            kind=filters.validated_data["kind"],
        )
        paginator = self.Pagination()
        page = paginator.paginate_queryset(entries, request, self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class MyPayoutListApi(APIView):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        created_at = serializers.DateTimeField()
        amount_minor = serializers.IntegerField()
        currency = serializers.CharField()
        status = serializers.CharField()
        paid_at = serializers.DateTimeField(allow_null=True)
        failure_message = serializers.CharField()

    class Pagination(DefaultCursorPagination):
        ordering = ("-created_at", "-id")

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = self.Pagination()
        page = paginator.paginate_queryset(
            payouts_for_party(party=party_for_user(user_from_request(request))), request, self
        )
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class OnboardingThrottle(UserRateThrottle):
    rate = "20/hour"


class PayoutOnboardingApi(APIView):
    """A fresh, single-use link to Stripe's hosted payout setup (Connect Express onboarding)."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [OnboardingThrottle]

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter("Idempotency-Key", str, location=OpenApiParameter.HEADER, required=False)
        ],
        responses={201: inline_serializer("OnboardingLink", {"url": serializers.URLField()})},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        if not user_from_request(request).is_creator:
            raise ApplicationError(
                _("Only creators can set up payouts."), code="not_a_creator", status_code=403
            )
        site = settings.SITE_URL.rstrip("/")
        url = onboarding_link_create(
            user=user_from_request(request),
            refresh_url=site + reverse("payments:onboarding"),
            return_url=site + reverse("payments:earnings") + "?setup=done",
            request_key=request.META.get("HTTP_IDEMPOTENCY_KEY") or uuid.uuid4().hex,
        )
        return Response({"url": url}, status=201)
