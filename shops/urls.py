from django.urls import path

from shops import views

app_name = "shops"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("create/", views.shop_create_view, name="create"),
    path("edit/", views.shop_edit, name="edit"),
    path("status/", views.shop_status, name="status"),
    path("products/new/", views.product_new, name="product-new"),
    path("products/<int:product_id>/", views.product_edit, name="product-edit"),
    path("products/<int:product_id>/archive/", views.product_archive_view, name="product-archive"),
    path("products/<int:product_id>/variants/", views.variant_add, name="variant-add"),
    path("variants/<int:variant_id>/", views.variant_edit, name="variant-edit"),
    path("products/<int:product_id>/images/", views.image_add, name="image-add"),
]
