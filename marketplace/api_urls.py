from django.urls import path

from marketplace import apis
from marketplace.brand_home_apis import BrandHomeApi

app_name = "marketplace-api"

urlpatterns = [
    path("marketplace/brands/", apis.BrandListCreateApi.as_view(), name="brand-list"),
    path("marketplace/brands/<int:brand_id>/", apis.BrandDetailApi.as_view(), name="brand-detail"),
    path("marketplace/brands/<int:brand_id>/logo/", apis.BrandLogoApi.as_view(), name="brand-logo"),
    path(
        "marketplace/brands/<int:brand_id>/invitations/",
        apis.BrandInvitationCreateApi.as_view(),
        name="brand-invite",
    ),
    path(
        "marketplace/invitations/<str:token>/accept/",
        apis.BrandInvitationAcceptApi.as_view(),
        name="invitation-accept",
    ),
    path("marketplace/brands/<int:brand_id>/lists/", apis.SavedListListCreateApi.as_view(), name="list-list"),
    path(
        "marketplace/brands/<int:brand_id>/campaigns/",
        apis.BrandCampaignListCreateApi.as_view(),
        name="brand-campaigns",
    ),
    path("marketplace/brands/<int:brand_id>/offers/", apis.OfferSendApi.as_view(), name="offer-send"),
    path(
        "marketplace/brands/<int:brand_id>/dashboard/",
        apis.BrandDashboardApi.as_view(),
        name="brand-dashboard",
    ),
    path("marketplace/brands/<int:brand_id>/home/", BrandHomeApi.as_view(), name="brand-home"),
    path("marketplace/lists/<int:list_id>/entries/", apis.SavedListEntryApi.as_view(), name="list-entries"),
    path(
        "marketplace/lists/<int:list_id>/entries/<int:listing_id>/",
        apis.SavedListEntryDeleteApi.as_view(),
        name="list-entry-delete",
    ),
    path("marketplace/listing/", apis.MyListingApi.as_view(), name="my-listing"),
    path("marketplace/creators/", apis.CreatorSearchApi.as_view(), name="creator-search"),
    path("marketplace/creators/<int:listing_id>/", apis.CreatorDetailApi.as_view(), name="creator-detail"),
    path("marketplace/price-stats/", apis.PriceStatsApi.as_view(), name="price-stats"),
    path("marketplace/campaigns/", apis.CampaignOpenListApi.as_view(), name="campaign-open-list"),
    path(
        "marketplace/campaigns/<int:campaign_id>/", apis.CampaignDetailApi.as_view(), name="campaign-detail"
    ),
    path(
        "marketplace/campaigns/<int:campaign_id>/apply/",
        apis.CampaignApplyApi.as_view(),
        name="campaign-apply",
    ),
    path("marketplace/negotiations/", apis.NegotiationListApi.as_view(), name="negotiation-list"),
    path(
        "marketplace/negotiations/<int:negotiation_id>/",
        apis.NegotiationDetailApi.as_view(),
        name="negotiation-detail",
    ),
    path(
        "marketplace/negotiations/<int:negotiation_id>/counter/",
        apis.OfferCounterApi.as_view(),
        name="offer-counter",
    ),
    path(
        "marketplace/negotiations/<int:negotiation_id>/accept/",
        apis.OfferAcceptApi.as_view(),
        name="offer-accept",
    ),
    path(
        "marketplace/negotiations/<int:negotiation_id>/decline/",
        apis.OfferDeclineApi.as_view(),
        name="offer-decline",
    ),
    path("marketplace/deals/", apis.DealListApi.as_view(), name="deal-list"),
    path("marketplace/deals/<int:deal_id>/", apis.DealDetailApi.as_view(), name="deal-detail"),
    path("marketplace/deals/<int:deal_id>/fund/", apis.DealFundApi.as_view(), name="deal-fund"),
    path("marketplace/deals/<int:deal_id>/cancel/", apis.DealCancelApi.as_view(), name="deal-cancel"),
    path("marketplace/deals/<int:deal_id>/dispute/", apis.DealDisputeApi.as_view(), name="deal-dispute"),
    path("marketplace/deals/<int:deal_id>/messages/", apis.DealMessageApi.as_view(), name="deal-messages"),
    path("marketplace/deals/<int:deal_id>/ratings/", apis.DealRatingApi.as_view(), name="deal-rating"),
    path(
        "marketplace/deliverables/<int:deliverable_id>/submit/",
        apis.DeliverableSubmitApi.as_view(),
        name="deliverable-submit",
    ),
    path(
        "marketplace/deliverables/<int:deliverable_id>/approve/",
        apis.DeliverableApproveApi.as_view(),
        name="deliverable-approve",
    ),
    path(
        "marketplace/deliverables/<int:deliverable_id>/revision/",
        apis.DeliverableRevisionApi.as_view(),
        name="deliverable-revision",
    ),
    path("marketplace/dashboard/", apis.CreatorDashboardApi.as_view(), name="creator-dashboard"),
]
