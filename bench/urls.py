from django.urls import path

from bench.anchors import BareOneQueryApi, BareProductPageApi, bare_page, bare_redirect
from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path("_anchor/one-query/", BareOneQueryApi.as_view()),
    path("_anchor/redirect/", bare_redirect),
    path("_anchor/page/", bare_page),
    path("_anchor/products/", BareProductPageApi.as_view()),
    *product_urlpatterns,
]
