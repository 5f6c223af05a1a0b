"""REST API of the bonus programme, for the creator concerned only.

Every endpoint answers 404 to anyone else (anonymous, brands, other creators), never 401 or
403: whether a creator has a bonus is confidential. Errors use the common shape.
"""

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bonuses.models import Award, Invitation
from bonuses.selectors import (
    award_explained,
    award_get_for_creator,
    award_list_for_creator,
    creator_for_bonus,
    enrolment_views,
    invitation_get_for_creator,
    invitation_list_for_creator,
    programmes_open_for_creator,
    receipt_lines,
    tips_for_creator,
)
from bonuses.services import interest_register, invitation_accept, invitation_decline
from common.api import MoneySerializer, money_data
from common.pagination import DefaultCursorPagination
from common.schema import errors


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    programme_id = serializers.IntegerField()
    programme = serializers.CharField(source="programme.name")
    description = serializers.CharField(source="programme.public_description")
    created_at = serializers.DateTimeField()
    responded_at = serializers.DateTimeField(allow_null=True)


class InvitationListApi(APIView):
    permission_classes = [AllowAny]  # anyone but the creator gets 404 from creator_for_bonus

    @errors(404)
    @extend_schema(responses=InvitationSerializer(many=True))
    def get(self, request: Request) -> Response:
        creator = creator_for_bonus(user=request.user)
        invitations = invitation_list_for_creator(creator=creator)
        return Response(InvitationSerializer(invitations, many=True).data)


class EnrolmentSerializer(serializers.Serializer):
    programme_id = serializers.IntegerField(source="enrolment.programme_id")
    programme = serializers.CharField(source="enrolment.programme.name")
    enrolled_at = serializers.DateTimeField(source="enrolment.enrolled_at")
    formula_version = serializers.IntegerField(source="version.number")
    terms = serializers.ListField(child=serializers.CharField())
    notice = serializers.CharField()
    period = serializers.SerializerMethodField()
    estimate = serializers.SerializerMethodField()

    def get_period(self, view) -> dict[str, str] | None:
        if view.period is None:
            return None
        return {"starts_on": view.period.starts_on.isoformat(), "ends_on": view.period.ends_on.isoformat()}

    def get_estimate(self, view) -> dict[str, Any] | None:
        estimate = view.estimate
        if estimate is None:
            return None
        return {
            "approximate": money_data(estimate.approximate),
            "maximum": money_data(estimate.maximum),
            "earned_so_far": money_data(estimate.earned_so_far),
            "posts_counted": estimate.posts_counted,
            "max_posts": estimate.max_posts,
            "computed_at": estimate.computed_at.isoformat(),
        }


class InvitationAcceptApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses=EnrolmentSerializer)
    def post(self, request: Request, invitation_id: int) -> Response:
        creator = creator_for_bonus(user=request.user)
        invitation_accept(invitation_id=invitation_id, creator=creator)
        view = next(v for v in enrolment_views(creator=creator) if v.enrolment.invitation_id == invitation_id)
        return Response(EnrolmentSerializer(view).data, status=201)


class InvitationDeclineApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses=InvitationSerializer)
    def post(self, request: Request, invitation_id: int) -> Response:
        creator = creator_for_bonus(user=request.user)
        invitation_decline(invitation_id=invitation_id, creator=creator)
        invitation: Invitation = invitation_get_for_creator(creator=creator, invitation_id=invitation_id)
        return Response(InvitationSerializer(invitation).data)


class EnrolmentListApi(APIView):
    """Enrolled programmes: the terms in plain language, a new version's notice, this period's estimate."""

    permission_classes = [AllowAny]

    @errors(404)
    @extend_schema(responses=EnrolmentSerializer(many=True))
    def get(self, request: Request) -> Response:
        creator = creator_for_bonus(user=request.user)
        return Response(EnrolmentSerializer(enrolment_views(creator=creator), many=True).data)


class AwardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    programme = serializers.CharField(source="run.period.programme.name")
    period_starts_on = serializers.DateField(source="run.period.starts_on")
    period_ends_on = serializers.DateField(source="run.period.ends_on")
    status = serializers.SerializerMethodField()
    eligible = serializers.BooleanField()
    ineligible_reason = serializers.CharField()
    posts_counted = serializers.IntegerField()
    amount = serializers.SerializerMethodField()

    def get_status(self, award: Award) -> str:
        return "reversed" if award.reversal_id else award.run.status

    @extend_schema_field(MoneySerializer)
    def get_amount(self, award: Award) -> dict[str, Any] | None:
        return money_data(award.amount)


class AwardListApi(APIView):
    permission_classes = [AllowAny]

    class Pagination(DefaultCursorPagination):
        ordering = ("-id",)

    @errors(404)
    @extend_schema(responses=AwardSerializer(many=True))
    def get(self, request: Request) -> Response:
        creator = creator_for_bonus(user=request.user)
        paginator = self.Pagination()
        page = paginator.paginate_queryset(award_list_for_creator(creator=creator), request, view=self)
        return paginator.get_paginated_response(AwardSerializer(page, many=True).data)


class ReceiptSerializer(serializers.Serializer):
    post = serializers.CharField(source="receipt.post.external_id")
    published_at = serializers.DateTimeField(source="receipt.post.published_at")
    format = serializers.CharField(source="receipt.format")
    counted = serializers.BooleanField(source="receipt.counted")
    raw = serializers.SerializerMethodField()
    qualified = serializers.SerializerMethodField()
    multiplier_bps = serializers.IntegerField(source="receipt.multiplier_bps")
    rules = serializers.ListField(child=serializers.DictField())
    contribution = serializers.SerializerMethodField()

    def get_raw(self, line) -> dict[str, int]:
        r = line.receipt
        return {
            "views": r.views,
            "invalid_views": r.invalid_views,
            "likes": r.likes,
            "comments": r.comments,
            "shares": r.shares,
        }

    def get_qualified(self, line) -> dict[str, int]:
        r = line.receipt
        return {"views": r.q_views, "likes": r.q_likes, "comments": r.q_comments, "shares": r.q_shares}

    @extend_schema_field(MoneySerializer)
    def get_contribution(self, line) -> dict[str, Any] | None:
        return money_data(line.contribution)


class AwardDetailApi(APIView):
    """One award with its per-post receipts: every rule that changed a figure, every contribution."""

    permission_classes = [AllowAny]

    @extend_schema(responses=AwardSerializer)
    def get(self, request: Request, award_id: int) -> Response:
        creator = creator_for_bonus(user=request.user)
        award = award_get_for_creator(creator=creator, award_id=award_id)
        explained = award_explained(award=award)
        data = dict(AwardSerializer(award).data)
        data["creator_cap_applied"] = explained["creator_cap_applied"]
        data["ineligible_text"] = explained["ineligible_text"]
        data["pool_total"] = money_data(explained.get("pool_total"))
        data["pool_share_bps"] = explained.get("pool_share_bps")
        data["receipts"] = ReceiptSerializer(receipt_lines(award=award), many=True).data
        return Response(data)


class TipSerializer(serializers.Serializer):
    format = serializers.CharField()
    label = serializers.CharField()
    per_thousand_views = serializers.SerializerMethodField()

    @extend_schema_field(MoneySerializer)
    def get_per_thousand_views(self, tip) -> dict[str, Any] | None:
        return money_data(tip.per_thousand_views)


class TipListApi(APIView):
    """Which formats earned the creator most per 1,000 qualified views, from their own receipts."""

    permission_classes = [AllowAny]

    @errors(404)
    @extend_schema(responses=TipSerializer(many=True))
    def get(self, request: Request) -> Response:
        creator = creator_for_bonus(user=request.user)
        return Response(TipSerializer(tips_for_creator(creator=creator), many=True).data)


class OpenProgrammeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="programme.pk")
    name = serializers.CharField(source="programme.name")
    description = serializers.CharField(source="programme.public_description")
    countries = serializers.ListField(child=serializers.CharField(), source="programme.countries")
    formats = serializers.ListField(child=serializers.CharField())
    funding = serializers.CharField()
    starts_on = serializers.DateField(source="programme.starts_on")
    ends_on = serializers.DateField(source="programme.ends_on")
    registered = serializers.BooleanField()


class OpenProgrammeListApi(APIView):
    """Open programmes the creator is not invited to: who they are for and how they pay, never amounts."""

    permission_classes = [AllowAny]

    @errors(404)
    @extend_schema(responses=OpenProgrammeSerializer(many=True))
    def get(self, request: Request) -> Response:
        creator = creator_for_bonus(user=request.user)
        return Response(OpenProgrammeSerializer(programmes_open_for_creator(creator=creator), many=True).data)


class InterestRegisterApi(APIView):
    """Join an open programme's waiting list (idempotent)."""

    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={201: None})
    def post(self, request: Request, programme_id: int) -> Response:
        creator = creator_for_bonus(user=request.user)
        interest = interest_register(programme_id=programme_id, creator=creator)
        return Response({"programme_id": interest.programme_id, "registered": True}, status=201)
