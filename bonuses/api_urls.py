from django.urls import path

from bonuses import apis

app_name = "bonuses-api"

urlpatterns = [
    path("bonuses/invitations/", apis.InvitationListApi.as_view(), name="invitation-list"),
    path(
        "bonuses/invitations/<int:invitation_id>/accept/",
        apis.InvitationAcceptApi.as_view(),
        name="invitation-accept",
    ),
    path(
        "bonuses/invitations/<int:invitation_id>/decline/",
        apis.InvitationDeclineApi.as_view(),
        name="invitation-decline",
    ),
    path("bonuses/programmes/", apis.EnrolmentListApi.as_view(), name="enrolment-list"),
    path("bonuses/awards/", apis.AwardListApi.as_view(), name="award-list"),
    path("bonuses/awards/<int:award_id>/", apis.AwardDetailApi.as_view(), name="award-detail"),
    path("bonuses/tips/", apis.TipListApi.as_view(), name="tip-list"),
    path("bonuses/open-programmes/", apis.OpenProgrammeListApi.as_view(), name="open-programme-list"),
    path(
        "bonuses/open-programmes/<int:programme_id>/interest/",
        apis.InterestRegisterApi.as_view(),
        name="interest-register",
    ),
]
