from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from affiliates.redirect_views import click_redirect as affiliate_redirect
from common import views as common_views
from creators import views as creator_views
from shops import order_urls
from shops import views as shop_views

api_v1 = [
    # The public catalogue is the busiest API: its patterns are tried first (none overlap).
    path("", include("shops.api_urls")),
    path("", include("creators.api_urls")),
    path("", include("payments.api_urls")),
    path("", include("bonuses.api_urls")),
    path("", include("marketplace.api_urls")),
    path("affiliates/", include("affiliates.api_urls")),
    path("", include("notifications.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: the CSP allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    # The API first: its calls are most of the traffic, and Django tries patterns in order.
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("", common_views.home, name="home"),
    path("healthz", common_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("creators.account_urls")),
    # Django's set_language at /i18n/setlang/; the site's switcher posts to accounts:language,
    # which wraps it and also saves the signed-in user's preference.
    path("i18n/", include("django.conf.urls.i18n")),
    path("dashboard/", include("creators.urls")),
    path("dashboard/earnings/", include("payments.urls")),
    path("dashboard/bonus/", include("bonuses.urls")),
    path("dashboard/shop/", include((order_urls.dashboard_urlpatterns, "shops"))),  # shops.urls + orders
    path("marketplace/", include("marketplace.urls")),
    path("dashboard/affiliates/", include("affiliates.urls")),
    path("notifications/", include("notifications.urls")),
    path("r/<str:code>", affiliate_redirect, name="affiliate-redirect"),
    path("webhooks/stripe/", include("payments.webhook_urls")),
    path("@<str:handle>/shop", shop_views.storefront_for_creator, name="creator-shop"),
    path("@<str:handle>", creator_views.creator_public, name="creator-public"),
    path("shops/<slug:slug>", shop_views.storefront, name="shop-storefront"),
    path("shops/<slug:slug>/p/<int:product_id>/", shop_views.product_detail, name="shop-product"),
    path("", include(order_urls.buyer_urlpatterns)),  # cart, checkout, orders, downloads
]

if settings.DEBUG:
    # Uploaded avatars in development; production serves MEDIA_URL from object storage.
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]

handler404 = "common.views.not_found"
handler500 = "common.views.server_error"
