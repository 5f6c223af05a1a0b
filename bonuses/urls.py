from django.urls import path

from bonuses import views

app_name = "bonuses"

urlpatterns = [
    path("", views.bonus_home, name="home"),
    path("programmes/<int:programme_id>/", views.programme_detail, name="programme"),
    path("invitations/<int:invitation_id>/accept/", views.invitation_accept_view, name="invitation-accept"),
    path(
        "invitations/<int:invitation_id>/decline/", views.invitation_decline_view, name="invitation-decline"
    ),
    path("awards/<int:award_id>/", views.award_detail, name="award"),
    path("programmes/<int:programme_id>/interest/", views.interest_register_view, name="interest"),
]
