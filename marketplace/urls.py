from django.urls import path

from marketplace import views

app_name = "marketplace"

urlpatterns = [
    path("", views.home, name="home"),
    path("brands/new/", views.brand_create_view, name="brand-create"),
    path("brands/<int:brand_id>/", views.brand_dashboard, name="brand-dashboard"),
    path("brands/<int:brand_id>/logo/", views.brand_logo_view, name="brand-logo"),
    path("brands/<int:brand_id>/discover/", views.discover, name="discover"),
    path("brands/<int:brand_id>/lists/", views.saved_list_create_view, name="list-create"),
    path("brands/<int:brand_id>/creators/<int:listing_id>/", views.creator_profile, name="creator-profile"),
    path("brands/<int:brand_id>/creators/<int:listing_id>/save/", views.saved_list_add_view, name="list-add"),
    path("brands/<int:brand_id>/campaigns/new/", views.campaign_new, name="campaign-new"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path("invitations/<str:token>/", views.invitation_accept_view, name="invitation-accept"),
    path("creator/", views.creator_dashboard, name="creator-dashboard"),
    path("listing/", views.listing_edit, name="listing-edit"),
    path("negotiations/<int:negotiation_id>/", views.negotiation_detail, name="negotiation"),
    path("negotiations/<int:negotiation_id>/accept/", views.negotiation_accept, name="negotiation-accept"),
    path("negotiations/<int:negotiation_id>/decline/", views.negotiation_decline, name="negotiation-decline"),
    path("deals/<int:deal_id>/", views.deal_detail, name="deal"),
    path("deals/<int:deal_id>/fund/", views.deal_fund, name="deal-fund"),
    path("deals/<int:deal_id>/cancel/", views.deal_cancel_view, name="deal-cancel"),
    path("deals/<int:deal_id>/dispute/", views.deal_dispute_view, name="deal-dispute"),
    path("deals/<int:deal_id>/rate/", views.deal_rate_view, name="deal-rate"),
    path(
        "deals/<int:deal_id>/deliverables/<int:deliverable_id>/submit/",
        views.deliverable_submit_view,
        name="deliverable-submit",
    ),
    path(
        "deals/<int:deal_id>/deliverables/<int:deliverable_id>/approve/",
        views.deliverable_approve_view,
        name="deliverable-approve",
    ),
    path(
        "deals/<int:deal_id>/deliverables/<int:deliverable_id>/revision/",
        views.deliverable_revision_view,
        name="deliverable-revision",
    ),
]
