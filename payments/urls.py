from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("", views.earnings, name="earnings"),
    path("payout-setup/", views.onboarding, name="onboarding"),
]
