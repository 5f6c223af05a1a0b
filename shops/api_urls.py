from django.urls import path

from shops import apis, order_apis

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
    # The buyer: cart, checkout, orders (shops.order_apis).
    path("cart/", order_apis.CartApi.as_view(), name="cart"),
    path("cart/items/", order_apis.CartItemAddApi.as_view(), name="cart-item-add"),
    path("cart/items/<int:item_id>/", order_apis.CartItemApi.as_view(), name="cart-item"),
    path("orders/", order_apis.OrderListCreateApi.as_view(), name="order-list"),
    path("orders/<str:number>/", order_apis.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<str:number>/payment/", order_apis.OrderPaymentStartApi.as_view(), name="order-payment"),
    path("orders/<str:number>/cancel/", order_apis.OrderCancelApi.as_view(), name="order-cancel"),
    path("orders/<str:number>/downloads/", order_apis.OrderDownloadsApi.as_view(), name="order-downloads"),
    # The seller: orders, fulfilment, refunds, discount codes.
    path("shop/orders/", order_apis.SellerOrderListApi.as_view(), name="my-order-list"),
    path("shop/orders/<str:number>/", order_apis.SellerOrderDetailApi.as_view(), name="my-order-detail"),
    path("shop/orders/<str:number>/ship/", order_apis.SellerOrderShipApi.as_view(), name="my-order-ship"),
    path(
        "shop/orders/<str:number>/deliver/",
        order_apis.SellerOrderDeliverApi.as_view(),
        name="my-order-deliver",
    ),
    path(
        "shop/orders/<str:number>/refund/", order_apis.SellerOrderRefundApi.as_view(), name="my-order-refund"
    ),
    path("shop/discount-codes/", order_apis.DiscountCodeListCreateApi.as_view(), name="my-discount-codes"),
]
