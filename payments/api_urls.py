app_name = "payments-api"

urlpatterns: list = []
