from django.urls import path

from bench.anchors import BareOneQueryApi, BareProductPageApi, bare_redirect
from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path("_anchor/one-query/", BareOneQueryApi.as_view()),
    path("_anchor/redirect/", bare_redirect),
    path("_anchor/products/", BareProductPageApi.as_view()),
    *product_urlpatterns,
]
