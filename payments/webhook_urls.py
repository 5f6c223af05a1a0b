# The Stripe webhook endpoint, filled in by payments.webhooks.
urlpatterns: list = []
