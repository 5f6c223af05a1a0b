"""The Stripe webhook endpoint, included at /webhooks/stripe/ by config/urls.py."""

from django.urls import path

from payments.webhooks import stripe_webhook

urlpatterns = [path("", stripe_webhook, name="stripe-webhook")]
