from django.urls import path

from payments import apis

app_name = "payments-api"

urlpatterns = [
    path("me/balances/", apis.MyBalancesApi.as_view(), name="my-balances"),
    path("me/statement/", apis.MyStatementApi.as_view(), name="my-statement"),
    path("me/payouts/", apis.MyPayoutListApi.as_view(), name="my-payouts"),
    path("payouts/onboarding/", apis.PayoutOnboardingApi.as_view(), name="payout-onboarding"),
]
