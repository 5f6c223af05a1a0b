"""REST API of the marketplace, for the mobile apps: parse, call one service or selector, render.

Every endpoint needs a signed-in user. Objects outside the caller's reach answer 404: a deal
is visible to its creator and its brand's members only; a brand to its members.
"""

from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import money_data, parse
from common.errors import ApplicationError
from common.money import Money
from common.pagination import DefaultCursorPagination, DefaultPageNumberPagination
from common.security import OfferCreateThrottle
from creators.enums import PostFormat
from creators.selectors import user_from_request
from marketplace import selectors
from marketplace.enums import Availability, BrandRole, CampaignVisibility, FollowerBand, SearchSort
from marketplace.models import Campaign, Deal, Listing, Negotiation, Offer
from marketplace.search_cache import search_cached
from marketplace.services import brands as brand_services
from marketplace.services import deals as deal_services
from marketplace.services import listings as listing_services
from marketplace.services import negotiations as negotiation_services
from payments.idempotency import idempotent


def _user(request: Request):
    return user_from_request(request)


# ---------------------------------------------------------------- serializers shared by several views


class DeliverableSpecSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=PostFormat.choices)
    count = serializers.IntegerField(min_value=1, max_value=20, default=1)
    due_date = serializers.DateField()


def _specs(data: list[dict]) -> list[dict]:
    return [{**item, "due_date": item["due_date"].isoformat()} for item in data]


class BrandOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    website = serializers.CharField()
    country = serializers.CharField()
    industry = serializers.CharField()
    is_verified = serializers.BooleanField()
    rating_average = serializers.FloatField(allow_null=True)
    rating_count = serializers.IntegerField()
    logo_url = serializers.SerializerMethodField()

    def get_logo_url(self, brand) -> str | None:
        return brand.logo.url if brand.logo else None


class ListingRatesOutput(serializers.Serializer):
    """A listing's price per post format in minor units of its currency (null: not offered)."""

    reel = serializers.IntegerField(allow_null=True)
    carousel = serializers.IntegerField(allow_null=True)
    standard = serializers.IntegerField(allow_null=True)
    currency = serializers.CharField()


class DealThreadItemOutput(serializers.Serializer):
    """One step of a deal's thread (selectors.deal_thread): a message or an event."""

    type = serializers.ChoiceField(choices=["message", "event"])
    at = serializers.DateTimeField()
    side = serializers.CharField(required=False, help_text="Messages only.")
    author = serializers.CharField(required=False, help_text="Messages only.")
    body = serializers.CharField(required=False, help_text="Messages only.")
    kind = serializers.CharField(required=False, help_text="Events only.")
    label = serializers.CharField(required=False, help_text="Events only.")
    actor = serializers.CharField(required=False, help_text="Events only.")
    data = serializers.DictField(required=False, help_text="Events only.")


class ListingRowOutput(serializers.Serializer):
    """One search result (a plain row, see selectors.SEARCH_FIELDS); the schema of listing_row_data()."""

    id = serializers.IntegerField()
    handle = serializers.CharField()
    display_name = serializers.CharField()
    country = serializers.CharField()
    niches = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())
    followers = serializers.IntegerField()
    follower_band = serializers.CharField()
    engagement_rate_bps = serializers.IntegerField()
    availability = serializers.CharField()
    rates = serializers.SerializerMethodField()
    rating_average = serializers.SerializerMethodField()

    @extend_schema_field(ListingRatesOutput)
    def get_rates(self, row: dict) -> dict[str, int | None]:
        return {fmt: row[f"rate_{fmt}_minor"] for fmt in PostFormat.values} | {"currency": row["currency"]}

    def get_rating_average(self, row: dict) -> float | None:
        return round(row["rating_sum"] / row["rating_count"], 2) if row["rating_count"] else None


def listing_row_data(row: dict[str, Any]) -> dict[str, Any]:
    """ListingRowOutput's shape, built directly: the hot path of discovery skips the serializer."""
    return {
        **{name: row[name] for name in ROW_FIELDS},
        "rates": {fmt: row[f"rate_{fmt}_minor"] for fmt in PostFormat.values} | {"currency": row["currency"]},
        "rating_average": round(row["rating_sum"] / row["rating_count"], 2) if row["rating_count"] else None,
    }


ROW_FIELDS = (
    "id", "handle", "display_name", "country", "niches", "languages", "followers", "follower_band",
    "engagement_rate_bps", "availability",
)  # fmt: skip


class ListingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    handle = serializers.CharField()
    display_name = serializers.CharField()
    country = serializers.CharField()
    is_listed = serializers.BooleanField()
    currency = serializers.CharField()
    rate_card = serializers.SerializerMethodField()
    niches = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())
    audience_countries = serializers.ListField(child=serializers.CharField())
    availability = serializers.CharField()
    showcased_post_ids = serializers.SerializerMethodField()
    measured = serializers.SerializerMethodField()
    rating_average = serializers.FloatField(allow_null=True)
    rating_count = serializers.IntegerField()

    def get_rate_card(self, obj: Listing) -> dict[str, Any]:
        return {fmt: money_data(money) for fmt, money in obj.rate_card.items()}

    def get_showcased_post_ids(self, obj: Listing) -> list[int]:
        return [post.pk for post in obj.showcased_posts.all()]

    def get_measured(self, obj: Listing) -> dict[str, Any]:
        return {
            "followers": obj.followers,
            "follower_band": obj.follower_band,
            "avg_views": {fmt: getattr(obj, f"avg_views_{fmt}") for fmt in PostFormat.values},
            "engagement_rate_bps": obj.engagement_rate_bps,
            "posts_90d": obj.posts_90d,
            "branded_share_bps": obj.branded_share_bps,
            "measured_at": obj.measured_at,
        }


class OfferOutput(serializers.Serializer):
    id = serializers.IntegerField()
    side = serializers.CharField()
    amount = serializers.SerializerMethodField()
    deliverables = serializers.JSONField()
    usage_days = serializers.IntegerField(allow_null=True)
    usage_fee_minor = serializers.IntegerField()
    message = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    responded_at = serializers.DateTimeField(allow_null=True)

    def get_amount(self, obj: Offer) -> dict | None:
        return money_data(obj.amount)


class NegotiationSummaryOutput(serializers.Serializer):
    """A negotiation with its offers (prefetched by the list)."""

    id = serializers.IntegerField()
    brand = BrandOutput()
    creator_handle = serializers.CharField(source="creator.handle")
    campaign_id = serializers.IntegerField(allow_null=True)
    origin = serializers.CharField()
    status = serializers.CharField()
    pitch = serializers.CharField()
    offers = serializers.SerializerMethodField()

    def get_offers(self, obj: Negotiation) -> list[dict]:
        return list(OfferOutput(obj.offers.all(), many=True).data)


class NegotiationOutput(NegotiationSummaryOutput):
    """One negotiation, with the market's price percentiles next to its latest offer."""

    price_stats = serializers.SerializerMethodField()

    def get_price_stats(self, obj: Negotiation) -> dict | None:
        offers = list(obj.offers.all())
        last = offers[-1] if offers else None
        stats = selectors.price_percentiles_for_offer(
            negotiation=obj, deliverables=last.deliverables if last else []
        )
        return _stats_data(stats)


def _stats_data(stats: dict | None) -> dict | None:
    if stats is None:
        return None
    return {key: money_data(value) if isinstance(value, Money) else value for key, value in stats.items()}


class DeliverableOutput(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    format = serializers.CharField()
    due_date = serializers.DateField()
    share_minor = serializers.IntegerField()
    status = serializers.CharField()
    post_url = serializers.CharField()
    post_id = serializers.IntegerField(allow_null=True)
    revisions = serializers.IntegerField()
    revision_note = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    auto_approve_at = serializers.DateTimeField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)


class DealOutput(serializers.Serializer):
    id = serializers.IntegerField()
    brand = BrandOutput()
    creator_handle = serializers.CharField(source="creator.handle")
    status = serializers.CharField()
    amount = serializers.SerializerMethodField()
    escrow_remaining = serializers.SerializerMethodField()
    released_minor = serializers.IntegerField()
    refunded_minor = serializers.IntegerField()
    terms = serializers.JSONField()
    funded_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_amount(self, obj: Deal) -> dict | None:
        return money_data(obj.amount)

    def get_escrow_remaining(self, obj: Deal) -> dict | None:
        return money_data(obj.escrow_remaining)


class DealDetailOutput(DealOutput):
    deliverables = DeliverableOutput(many=True)
    thread = serializers.SerializerMethodField()

    def get_thread(self, obj: Deal) -> list[dict]:
        return selectors.deal_thread(deal=obj)


class CampaignOutput(serializers.Serializer):
    id = serializers.IntegerField()
    brand = BrandOutput()
    title = serializers.CharField()
    description = serializers.CharField()
    deliverables = serializers.JSONField()
    countries = serializers.ListField(child=serializers.CharField())
    niches = serializers.ListField(child=serializers.CharField())
    currency = serializers.CharField()
    budget_min_minor = serializers.IntegerField()
    budget_max_minor = serializers.IntegerField()
    usage_days = serializers.IntegerField(allow_null=True)
    usage_fee_minor = serializers.IntegerField()
    disclosure_required = serializers.BooleanField()
    visibility = serializers.CharField()
    status = serializers.CharField()


def _page(
    view: APIView, request: Request, queryset, serializer, pagination=DefaultPageNumberPagination
) -> Response:
    paginator = pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


# ---------------------------------------------------------------- brands


class BrandListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=120)
        country = serializers.CharField(max_length=2)
        website = serializers.URLField(required=False, allow_blank=True, default="")
        industry = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")

    @extend_schema(responses=BrandOutput(many=True))
    def get(self, request: Request) -> Response:
        return Response(BrandOutput(selectors.brand_list_for_user(user=_user(request)), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: BrandOutput})
    def post(self, request: Request) -> Response:
        data = parse(self.InputSerializer, request.data)
        brand = brand_services.brand_create(user=_user(request), **data)
        return Response(BrandOutput(brand).data, status=201)


class BrandDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=120, required=False)
        country = serializers.CharField(max_length=2, required=False)
        website = serializers.URLField(required=False, allow_blank=True)
        industry = serializers.CharField(max_length=80, required=False, allow_blank=True)

    @extend_schema(responses=BrandOutput)
    def get(self, request: Request, brand_id: int) -> Response:
        brand = selectors.brand_get_for_member(brand_id=brand_id, user=_user(request))
        members = [
            {"email": m.user.email, "name": m.user.get_full_name(), "role": m.role}
            for m in selectors.membership_list(brand=brand)
        ]
        return Response({**BrandOutput(brand).data, "members": members})

    @extend_schema(request=InputSerializer, responses=BrandOutput)
    def patch(self, request: Request, brand_id: int) -> Response:
        brand = selectors.brand_get_for_member(brand_id=brand_id, user=_user(request))
        data = parse(self.InputSerializer, request.data)
        return Response(
            BrandOutput(brand_services.brand_update(brand=brand, user=_user(request), **data)).data
        )


class BrandLogoApi(APIView):
    """Owners upload the brand's logo (multipart, field ``logo``); it is re-encoded to a JPEG."""

    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        logo = serializers.ImageField()

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses=BrandOutput)
    def post(self, request: Request, brand_id: int) -> Response:
        brand = selectors.brand_get_for_member(brand_id=brand_id, user=_user(request))
        data = parse(self.InputSerializer, request.data)
        return Response(
            BrandOutput(
                brand_services.brand_logo_set(brand=brand, user=_user(request), upload=data["logo"])
            ).data
        )


class BrandInvitationCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        role = serializers.ChoiceField(choices=BrandRole.choices, default=BrandRole.MANAGER)

    @extend_schema(request=InputSerializer, responses={201: None})
    def post(self, request: Request, brand_id: int) -> Response:
        brand = selectors.brand_get_for_member(brand_id=brand_id, user=_user(request))
        data = parse(self.InputSerializer, request.data)
        invitation = brand_services.brand_invitation_create(brand=brand, user=_user(request), **data)
        return Response({"id": invitation.pk, "email": invitation.email, "role": invitation.role}, status=201)


class BrandInvitationAcceptApi(APIView):
    @extend_schema(request=None, responses={201: None})
    def post(self, request: Request, token: str) -> Response:
        membership = brand_services.brand_invitation_accept(token=token, user=_user(request))
        return Response({"brand": BrandOutput(membership.brand).data, "role": membership.role}, status=201)


# ---------------------------------------------------------------- listings and discovery


class MyListingApi(APIView):
    """The signed-in creator's marketplace profile."""

    class InputSerializer(serializers.Serializer):
        is_listed = serializers.BooleanField(default=True)
        currency = serializers.CharField(max_length=3)
        rates = serializers.DictField(child=serializers.IntegerField(allow_null=True, min_value=1))
        niches = serializers.ListField(child=serializers.CharField(), default=list)
        languages = serializers.ListField(child=serializers.CharField(), default=list)
        audience_countries = serializers.ListField(child=serializers.CharField(), default=list)
        availability = serializers.ChoiceField(choices=Availability.choices, default=Availability.AVAILABLE)
        showcased_post_ids = serializers.ListField(child=serializers.IntegerField(), default=list)

    def _creator(self, request: Request):
        creator = getattr(_user(request), "creator_profile", None)
        if creator is None:
            raise ApplicationError(
                _("Only creators have a marketplace profile."), code="not_a_creator", status_code=403
            )
        return creator

    @extend_schema(responses=ListingOutput)
    def get(self, request: Request) -> Response:
        listing = selectors.listing_get_for_creator(creator=self._creator(request))
        if listing is None:
            raise ApplicationError(
                _("You have no marketplace profile yet."), code="not_found", status_code=404
            )
        return Response(ListingOutput(listing).data)

    @extend_schema(request=InputSerializer, responses=ListingOutput)
    def put(self, request: Request) -> Response:
        data = parse(self.InputSerializer, request.data)
        listing = listing_services.listing_upsert(creator=self._creator(request), **data)
        return Response(ListingOutput(listing).data)


class CreatorSearchApi(APIView):
    """Discovery: listed creators by country, niche, language, format, band, engagement, price, text."""

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, default="", max_length=100, allow_blank=True)
        country = serializers.CharField(required=False, default="", max_length=2, allow_blank=True)
        niche = serializers.CharField(required=False, default="", max_length=32, allow_blank=True)
        language = serializers.CharField(required=False, default="", max_length=8, allow_blank=True)
        format = serializers.ChoiceField(choices=PostFormat.choices, required=False, default="")
        band = serializers.ChoiceField(choices=FollowerBand.choices, required=False, default="")
        min_engagement_bps = serializers.IntegerField(
            required=False, min_value=0, allow_null=True, default=None
        )
        price_min_minor = serializers.IntegerField(required=False, min_value=0, allow_null=True, default=None)
        price_max_minor = serializers.IntegerField(required=False, min_value=0, allow_null=True, default=None)
        currency = serializers.CharField(required=False, default="", max_length=3, allow_blank=True)
        sort = serializers.ChoiceField(
            choices=SearchSort.choices, required=False, default=SearchSort.RELEVANCE
        )
        offset = serializers.IntegerField(required=False, min_value=0, max_value=10_000, default=0)
        page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)

    @extend_schema(
        operation_id="marketplace_creators_list",  # a page object, not a list: name it as one
        parameters=[FilterSerializer],
        responses=inline_serializer(
            "ListingSearchPage",
            fields={
                "results": ListingRowOutput(many=True),
                "next_offset": serializers.IntegerField(allow_null=True),
            },
        ),
    )
    def get(self, request: Request) -> HttpResponse:
        # Offset paging without COUNT(*): counting 100k matching rows on every search would cost
        # more than the search; "next_offset" is null on the last page. The rendered page is
        # cached by query string (marketplace/search_cache.py): a hit skips parsing too.
        query = urlencode(sorted(request.query_params.lists()), doseq=True)
        page = search_cached(query, lambda: JSONRenderer().render(self._page(request)))
        return HttpResponse(page, content_type="application/json")

    def _page(self, request: Request) -> dict[str, Any]:
        data = parse(self.FilterSerializer, request.query_params)
        offset, limit = data.pop("offset"), data.pop("page_size")
        filters = selectors.SearchFilters(**data)
        rows = selectors.listing_search(filters=filters).values(*selectors.SEARCH_FIELDS)
        page = list(rows[offset : offset + limit + 1])
        return {
            "results": [listing_row_data(row) for row in page[:limit]],
            "next_offset": offset + limit if len(page) > limit else None,
        }


class CreatorDetailApi(APIView):
    @extend_schema(responses=ListingOutput)
    def get(self, request: Request, listing_id: int) -> Response:
        listing = selectors.listing_get_public(listing_id=listing_id)
        return Response(ListingOutput(listing).data)


class PriceStatsApi(APIView):
    class FilterSerializer(serializers.Serializer):
        format = serializers.ChoiceField(choices=PostFormat.choices)
        band = serializers.ChoiceField(choices=FollowerBand.choices)
        country = serializers.CharField(max_length=2)
        currency = serializers.CharField(max_length=3)

    @extend_schema(parameters=[FilterSerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        data = parse(self.FilterSerializer, request.query_params)
        stats = selectors.price_percentiles(**data)
        if stats is None:
            return Response({"available": False, "reason": _("fewer than 5 deals")})
        return Response({"available": True, **(_stats_data(stats) or {})})


# ---------------------------------------------------------------- saved lists


class SavedListOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    listing_ids = serializers.ListField(child=serializers.IntegerField())


class SavedListListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=80)

    @extend_schema(responses=SavedListOutput(many=True))
    def get(self, request: Request, brand_id: int) -> Response:
        brand = selectors.brand_get_for_member(brand_id=brand_id, user=_user(request))
        return Response(
            [
                {"id": s.pk, "name": s.name, "listing_ids": [e.listing_id for e in s.entries.all()]}
                for s in selectors.saved_list_list(brand=brand)
            ]
        )

    @extend_schema(request=InputSerializer, responses={201: SavedListOutput})
    def post(self, request: Request, brand_id: int) -> Response:
        brand = selectors.brand_get_for_member(brand_id=brand_id, user=_user(request))
        saved = negotiation_services.saved_list_create(
            brand=brand, user=_user(request), **parse(self.InputSerializer, request.data)
        )
        return Response({"id": saved.pk, "name": saved.name, "listing_ids": []}, status=201)


class SavedListEntryApi(APIView):
    class InputSerializer(serializers.Serializer):
        listing_id = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, list_id: int) -> Response:
        saved = selectors.saved_list_get_for_user(list_id=list_id, user=_user(request))
        data = parse(self.InputSerializer, request.data)
        listing = selectors.listing_get_public(listing_id=data["listing_id"])
        negotiation_services.saved_list_add(saved_list=saved, user=_user(request), listing=listing)
        return Response({"id": saved.pk, "listing_id": listing.pk}, status=201)


class SavedListEntryDeleteApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, list_id: int, listing_id: int) -> Response:
        saved = selectors.saved_list_get_for_user(list_id=list_id, user=_user(request))
        listing = Listing.objects.filter(pk=listing_id).first()
        if listing is not None:
            negotiation_services.saved_list_remove(saved_list=saved, user=_user(request), listing=listing)
        return Response(status=204)


# ---------------------------------------------------------------- campaigns


class CampaignOpenListApi(APIView):
    """Public campaigns open to the signed-in creator."""

    pagination_class = DefaultPageNumberPagination  # paginated by _page(); named for the schema

    @extend_schema(responses=CampaignOutput(many=True))
    def get(self, request: Request) -> Response:
        creator = getattr(_user(request), "creator_profile", None)
        if creator is None:
            return Response({"count": 0, "next": None, "previous": None, "results": []})
        qs = selectors.campaign_list_open_for_creator(creator=creator)
        return _page(self, request, qs, CampaignOutput)


class BrandCampaignListCreateApi(APIView):
    pagination_class = DefaultPageNumberPagination  # paginated by _page(); named for the schema

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=140)
        description = serializers.CharField(max_length=5000)
        deliverables = DeliverableSpecSerializer(many=True)
        currency = serializers.CharField(max_length=3)
        budget_min_minor = serializers.IntegerField()
        budget_max_minor = serializers.IntegerField()
        visibility = serializers.ChoiceField(
            choices=CampaignVisibility.choices, default=CampaignVisibility.PUBLIC
        )
        countries = serializers.ListField(child=serializers.CharField(max_length=2), default=list)
        niches = serializers.ListField(child=serializers.CharField(), default=list)
        usage_days = serializers.IntegerField(allow_null=True, default=30)
        usage_fee_minor = serializers.IntegerField(default=0)
        disclosure_required = serializers.BooleanField(default=True)

    @extend_schema(responses=CampaignOutput(many=True))
    def get(self, request: Request, brand_id: int) -> Response:
        brand = selectors.brand_get_for_member(brand_id=brand_id, user=_user(request))
        return _page(
            self,
            request,
            selectors.campaign_list_for_brand(brand=brand).select_related("brand"),
            CampaignOutput,
        )

    @extend_schema(request=InputSerializer, responses={201: CampaignOutput})
    def post(self, request: Request, brand_id: int) -> Response:
        brand = selectors.brand_get_for_member(brand_id=brand_id, user=_user(request))
        data = parse(self.InputSerializer, request.data)
        data["deliverables"] = _specs(data["deliverables"])
        campaign = negotiation_services.campaign_create(brand=brand, user=_user(request), **data)
        return Response(CampaignOutput(campaign).data, status=201)


class CampaignDetailApi(APIView):
    @extend_schema(responses=CampaignOutput)
    def get(self, request: Request, campaign_id: int) -> Response:
        return Response(
            CampaignOutput(selectors.campaign_get_visible(campaign_id=campaign_id, user=_user(request))).data
        )


class CampaignApplyApi(APIView):
    throttle_classes = [OfferCreateThrottle]

    class InputSerializer(serializers.Serializer):
        amount_minor = serializers.IntegerField()
        currency = serializers.CharField(max_length=3)
        pitch = serializers.CharField(max_length=2000, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: NegotiationOutput})
    def post(self, request: Request, campaign_id: int) -> Response:
        campaign = selectors.campaign_get_visible(campaign_id=campaign_id, user=_user(request))
        data = parse(self.InputSerializer, request.data)
        negotiation = negotiation_services.application_create(
            campaign=campaign,
            user=_user(request),
            amount=Money(data["amount_minor"], data["currency"]),
            pitch=data["pitch"],
        )
        return Response(NegotiationOutput(negotiation).data, status=201)


# ---------------------------------------------------------------- offers


class OfferSendApi(APIView):
    throttle_classes = [OfferCreateThrottle]

    class InputSerializer(serializers.Serializer):
        listing_id = serializers.IntegerField()
        campaign_id = serializers.IntegerField(required=False, allow_null=True, default=None)
        amount_minor = serializers.IntegerField()
        currency = serializers.CharField(max_length=3)
        deliverables = DeliverableSpecSerializer(many=True)
        usage_days = serializers.IntegerField(allow_null=True, default=30)
        usage_fee_minor = serializers.IntegerField(default=0)
        message = serializers.CharField(max_length=2000, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: NegotiationOutput})
    def post(self, request: Request, brand_id: int) -> Response:
        user = _user(request)
        brand = selectors.brand_get_for_member(brand_id=brand_id, user=user)
        data = parse(self.InputSerializer, request.data)
        listing = selectors.listing_get_public(listing_id=data["listing_id"])
        campaign = (
            Campaign.objects.filter(pk=data["campaign_id"], brand=brand).first()
            if data["campaign_id"]
            else None
        )
        negotiation = negotiation_services.offer_send(
            brand=brand,
            user=user,
            creator=listing.creator,
            campaign=campaign,
            amount=Money(data["amount_minor"], data["currency"]),
            deliverables=_specs(data["deliverables"]),
            usage_days=data["usage_days"],
            usage_fee_minor=data["usage_fee_minor"],
            message=data["message"],
        )
        return Response(NegotiationOutput(negotiation).data, status=201)


class NegotiationListApi(APIView):
    pagination_class = DefaultPageNumberPagination  # paginated by _page(); named for the schema

    @extend_schema(responses=NegotiationSummaryOutput(many=True))
    def get(self, request: Request) -> Response:
        qs = selectors.negotiation_list_for_user(user=_user(request)).prefetch_related("offers")
        return _page(self, request, qs, NegotiationSummaryOutput)


class NegotiationDetailApi(APIView):
    @extend_schema(responses=NegotiationOutput)
    def get(self, request: Request, negotiation_id: int) -> Response:
        negotiation = selectors.negotiation_get_for_user(negotiation_id=negotiation_id, user=_user(request))
        return Response(NegotiationOutput(negotiation).data)


class OfferCounterApi(APIView):
    throttle_classes = [OfferCreateThrottle]

    class InputSerializer(serializers.Serializer):
        amount_minor = serializers.IntegerField()
        currency = serializers.CharField(max_length=3)
        deliverables = DeliverableSpecSerializer(many=True, required=False)
        message = serializers.CharField(max_length=2000, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: NegotiationOutput})
    def post(self, request: Request, negotiation_id: int) -> Response:
        negotiation = selectors.negotiation_get_for_user(negotiation_id=negotiation_id, user=_user(request))
        data = parse(self.InputSerializer, request.data)
        negotiation_services.offer_counter(
            negotiation=negotiation,
            user=_user(request),
            amount=Money(data["amount_minor"], data["currency"]),
            deliverables=_specs(data["deliverables"]) if "deliverables" in data else None,
            message=data["message"],
        )
        negotiation.refresh_from_db()
        return Response(NegotiationOutput(negotiation).data, status=201)


class OfferAcceptApi(APIView):
    @extend_schema(request=None, responses={201: DealOutput})
    def post(self, request: Request, negotiation_id: int) -> Response:
        negotiation = selectors.negotiation_get_for_user(negotiation_id=negotiation_id, user=_user(request))
        deal = negotiation_services.offer_accept(negotiation=negotiation, user=_user(request))
        return Response(DealOutput(deal).data, status=201)


class OfferDeclineApi(APIView):
    @extend_schema(request=None, responses=NegotiationOutput)
    def post(self, request: Request, negotiation_id: int) -> Response:
        negotiation = selectors.negotiation_get_for_user(negotiation_id=negotiation_id, user=_user(request))
        return Response(
            NegotiationOutput(
                negotiation_services.offer_decline(negotiation=negotiation, user=_user(request))
            ).data
        )


# ---------------------------------------------------------------- deals


class DealListApi(APIView):
    pagination_class = DefaultCursorPagination  # paginated by _page(); named for the schema

    @extend_schema(responses=DealOutput(many=True))
    def get(self, request: Request) -> Response:
        return _page(
            self,
            request,
            selectors.deal_list_for_user(user=_user(request)),
            DealOutput,
            DefaultCursorPagination,
        )


class DealDetailApi(APIView):
    @extend_schema(responses=DealDetailOutput)
    def get(self, request: Request, deal_id: int) -> Response:
        deal = selectors.deal_get_for_user(deal_id=deal_id, user=_user(request))
        return Response(DealDetailOutput(deal).data)


class DealFundApi(APIView):
    """Start paying the deal into escrow: a PaymentIntent (mobile) or a Checkout URL (web)."""

    class InputSerializer(serializers.Serializer):
        channel = serializers.ChoiceField(choices=["mobile", "web"], default="mobile")
        success_url = serializers.URLField(required=False, default="")
        cancel_url = serializers.URLField(required=False, default="")

    @extend_schema(request=InputSerializer, responses={201: OpenApiTypes.OBJECT})
    @idempotent
    def post(self, request: Request, deal_id: int) -> Response:
        deal = selectors.deal_get_for_user(deal_id=deal_id, user=_user(request))
        data = parse(self.InputSerializer, request.data)
        if data["channel"] == "web" and not (data["success_url"] and data["cancel_url"]):
            raise ApplicationError(_("Give success_url and cancel_url for a web payment."), code="invalid")
        return Response(deal_services.deal_fund_start(deal=deal, user=_user(request), **data), status=201)


class DealCancelApi(APIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses=DealOutput)
    @idempotent
    def post(self, request: Request, deal_id: int) -> Response:
        deal = selectors.deal_get_for_user(deal_id=deal_id, user=_user(request))
        data = parse(self.InputSerializer, request.data)
        return Response(DealOutput(deal_services.deal_cancel(deal=deal, user=_user(request), **data)).data)


class DealDisputeApi(APIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, deal_id: int) -> Response:
        deal = selectors.deal_get_for_user(deal_id=deal_id, user=_user(request))
        dispute = deal_services.dispute_open(
            deal=deal, user=_user(request), **parse(self.InputSerializer, request.data)
        )
        return Response({"id": dispute.pk, "status": dispute.status}, status=201)


class DealMessageApi(APIView):
    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=5000)

    @extend_schema(responses=DealThreadItemOutput(many=True))
    def get(self, request: Request, deal_id: int) -> Response:
        deal = selectors.deal_get_for_user(deal_id=deal_id, user=_user(request))
        return Response(selectors.deal_thread(deal=deal))

    @extend_schema(request=InputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, deal_id: int) -> Response:
        deal = selectors.deal_get_for_user(deal_id=deal_id, user=_user(request))
        message = deal_services.message_post(
            deal=deal, user=_user(request), **parse(self.InputSerializer, request.data)
        )
        return Response({"id": message.pk, "side": message.side, "body": message.body}, status=201)


class DealRatingApi(APIView):
    class InputSerializer(serializers.Serializer):
        score = serializers.IntegerField()
        comment = serializers.CharField(max_length=2000, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, deal_id: int) -> Response:
        deal = selectors.deal_get_for_user(deal_id=deal_id, user=_user(request))
        rating = deal_services.rating_create(
            deal=deal, user=_user(request), **parse(self.InputSerializer, request.data)
        )
        return Response({"id": rating.pk, "side": rating.side, "score": rating.score}, status=201)


# ---------------------------------------------------------------- deliverables


class DeliverableSubmitApi(APIView):
    class InputSerializer(serializers.Serializer):
        post_url = serializers.URLField(max_length=500)

    @extend_schema(request=InputSerializer, responses=DeliverableOutput)
    def post(self, request: Request, deliverable_id: int) -> Response:
        deliverable = selectors.deliverable_get_for_user(deliverable_id=deliverable_id, user=_user(request))
        data = parse(self.InputSerializer, request.data)
        return Response(
            DeliverableOutput(
                deal_services.deliverable_submit(deliverable=deliverable, user=_user(request), **data)
            ).data
        )


class DeliverableApproveApi(APIView):
    @extend_schema(request=None, responses=DeliverableOutput)
    @idempotent
    def post(self, request: Request, deliverable_id: int) -> Response:
        deliverable = selectors.deliverable_get_for_user(deliverable_id=deliverable_id, user=_user(request))
        return Response(
            DeliverableOutput(
                deal_services.deliverable_approve(deliverable=deliverable, user=_user(request))
            ).data
        )


class DeliverableRevisionApi(APIView):
    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses=DeliverableOutput)
    def post(self, request: Request, deliverable_id: int) -> Response:
        deliverable = selectors.deliverable_get_for_user(deliverable_id=deliverable_id, user=_user(request))
        data = parse(self.InputSerializer, request.data)
        return Response(
            DeliverableOutput(
                deal_services.deliverable_request_revision(
                    deliverable=deliverable, user=_user(request), **data
                )
            ).data
        )


# ---------------------------------------------------------------- dashboards


class BrandDashboardApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, brand_id: int) -> Response:
        brand = selectors.brand_get_for_member(brand_id=brand_id, user=_user(request))
        board = selectors.brand_dashboard(brand=brand)
        return Response(
            {
                "brand": BrandOutput(brand).data,
                "campaigns": [
                    {**CampaignOutput(c).data, "applications": c.negotiations.count()}
                    for c in board["campaigns"]
                ],
                "deals": DealOutput(board["deals"], many=True).data,
                "saved_lists": [
                    {"id": s.pk, "name": s.name, "size": len(s.entries.all())} for s in board["lists"]
                ],
                "spend": [money_data(m) for m in board["spend"]],
            }
        )


class CreatorDashboardApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        creator = getattr(_user(request), "creator_profile", None)
        if creator is None:
            raise ApplicationError(
                _("Only creators have a creator dashboard."), code="not_a_creator", status_code=403
            )
        board = selectors.creator_dashboard(creator=creator)
        return Response(
            {
                "campaigns": CampaignOutput(board["campaigns"], many=True).data,
                "negotiations": [
                    {"id": n.pk, "brand": n.brand.name, "status": n.status, "origin": n.origin}
                    for n in board["negotiations"]
                ],
                "deals": DealOutput(board["deals"], many=True).data,
                "deliverables_due": [
                    {
                        "id": d.pk,
                        "deal_id": d.deal_id,
                        "format": d.format,
                        "due_date": d.due_date,
                        "status": d.status,
                    }
                    for d in board["due"]
                ],
                "earnings": [money_data(m) for m in board["earnings"]],
            }
        )
