"""URLs of buying and selling pages.

``buyer_urlpatterns`` are public, without a namespace (shops.emails reverses ``shop-order`` and
``shop-download``). ``dashboard_urlpatterns`` are the seller's pages: they join shops.urls under
the ``shops`` namespace (config/urls.py includes both lists as one), since a namespace must be
included only once.
"""

from django.urls import path

from shops import order_views
from shops import urls as shop_urls

buyer_urlpatterns = [
    path("cart/", order_views.cart_view, name="shop-cart"),
    path("cart/add/<int:product_id>/", order_views.cart_add_view, name="shop-cart-add"),
    path("cart/items/<int:item_id>/", order_views.cart_item_update, name="shop-cart-item"),
    path("cart/items/<int:item_id>/remove/", order_views.cart_item_remove, name="shop-cart-item-remove"),
    path("cart/checkout/<slug:shop_slug>/", order_views.checkout, name="shop-checkout"),
    path("orders/", order_views.order_list, name="shop-orders"),
    path("orders/<str:number>/", order_views.order_page, name="shop-order"),
    path("orders/<str:number>/pay/", order_views.order_pay, name="shop-order-pay"),
    path("downloads/<str:token>/", order_views.download, name="shop-download"),
]

seller_urlpatterns = [
    path("orders/", order_views.seller_orders, name="orders"),
    path("orders/<str:number>/", order_views.seller_order_detail, name="order-detail"),
    path("orders/<str:number>/ship/", order_views.seller_order_ship, name="order-ship"),
    path("orders/<str:number>/delivered/", order_views.seller_order_deliver, name="order-deliver"),
    path("orders/<str:number>/refund/", order_views.seller_order_refund, name="order-refund"),
    path("discounts/", order_views.discount_codes, name="discounts"),
    path("products/<int:product_id>/file/", order_views.product_file_upload, name="product-file"),
    path("sales/", order_views.sales, name="sales"),
    path("sales.svg", order_views.sales_chart, name="sales-chart"),
]

dashboard_urlpatterns = [*shop_urls.urlpatterns, *seller_urlpatterns]
