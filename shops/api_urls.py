from django.urls import path

from shops import apis

app_name = "shops-api"

urlpatterns = [
    path("products/", apis.ProductListApi.as_view(), name="product-list"),
    path("products/<int:product_id>/", apis.ProductDetailApi.as_view(), name="product-detail"),
    path("shop/", apis.MyShopApi.as_view(), name="my-shop"),
    path("shop/products/", apis.MyProductListCreateApi.as_view(), name="my-product-list"),
    path("shop/products/<int:product_id>/", apis.MyProductUpdateApi.as_view(), name="my-product-detail"),
    path(
        "shop/products/<int:product_id>/variants/",
        apis.MyVariantCreateApi.as_view(),
        name="my-variant-create",
    ),
]
