from django.urls import path

from affiliates import views

app_name = "affiliates"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("offers/", views.marketplace, name="marketplace"),
    path("offers/<int:offer_id>/join/", views.join, name="join"),
    path("memberships/<int:membership_id>/leave/", views.leave, name="leave"),
    path("seller/", views.seller, name="seller"),
    path("seller/offers/<int:offer_id>/", views.offer_edit, name="offer-edit"),
    path("seller/offers/<int:offer_id>/status/", views.offer_status, name="offer-status"),
    path(
        "seller/memberships/<int:membership_id>/<str:decision>/",
        views.membership_decide,
        name="membership-decide",
    ),
]
