from django.urls import path

from affiliates import apis

app_name = "affiliates-api"

urlpatterns = [
    path("offers/", apis.OfferListApi.as_view(), name="offer-list"),
    path("offers/<int:offer_id>/join/", apis.OfferJoinApi.as_view(), name="offer-join"),
    path("memberships/", apis.MyLinksApi.as_view(), name="my-links"),
    path(
        "memberships/<int:membership_id>/leave/", apis.MembershipLeaveApi.as_view(), name="membership-leave"
    ),
    path("seller/offers/", apis.SellerOfferListCreateApi.as_view(), name="seller-offer-list"),
    path("seller/offers/<int:offer_id>/", apis.SellerOfferDetailApi.as_view(), name="seller-offer-detail"),
    path("seller/memberships/", apis.SellerMembershipListApi.as_view(), name="seller-membership-list"),
    path(
        "seller/memberships/<int:membership_id>/<str:decision>/",
        apis.SellerMembershipDecideApi.as_view(),
        name="seller-membership-decide",
    ),
    path("seller/commissions/", apis.SellerCommissionListApi.as_view(), name="seller-commission-list"),
]
