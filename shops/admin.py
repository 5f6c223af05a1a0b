from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from shops.enums import ShopStatus
from shops.models import DiscountCode, Product, ProductImage, ProductVariant, Shop
from shops.services import discount_code_validate, shop_set_status


def _set_status(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, status: str) -> None:
    done = 0
    for shop in queryset:
        try:
            shop_set_status(shop=shop, status=status, actor=request.user)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{shop.slug}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(
            request, _("%(count)d shop(s) are now %(status)s.") % {"count": done, "status": status}
        )


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "creator",
        "currency",
        "country",
        "status",
        "refund_window_days",
        "created_at",
    ]
    list_filter = ["status", "currency", "country"]
    search_fields = ["name", "slug", "creator__handle"]
    raw_id_fields = ["creator"]
    readonly_fields = ["status", "owner_party", "created_at", "updated_at"]
    actions = ["close_shops", "reopen_shops"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Creators open shops through shop_create(), which sets the owner's ledger party.
        return False

    @admin.action(description=_("Close the selected shops"))
    def close_shops(self, request: HttpRequest, queryset: QuerySet) -> None:
        _set_status(self, request, queryset, ShopStatus.CLOSED)

    @admin.action(description=_("Reopen the selected shops"))
    def reopen_shops(self, request: HttpRequest, queryset: QuerySet) -> None:
        _set_status(self, request, queryset, ShopStatus.OPEN)


class ProductVariantInline(admin.TabularInline):
    model = ProductVariant
    extra = 0
    fields = ["name", "sku", "stock", "price_minor"]


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ["image", "position", "alt_text"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["title", "shop", "type", "status", "price_display", "created_at"]
    list_filter = ["status", "type", "shop__currency"]
    search_fields = ["title", "shop__name", "shop__slug"]
    list_select_related = ["shop"]
    raw_id_fields = ["shop"]
    inlines = [ProductVariantInline, ProductImageInline]

    @admin.display(description=_("price"), ordering="price_minor")
    def price_display(self, obj: Product) -> str:
        return str(obj.price)


class DiscountCodeForm(forms.ModelForm):
    """Runs the same checks as discount_code_create(), so staff cannot save a code it would refuse."""

    class Meta:
        model = DiscountCode
        fields = [
            "shop",
            "code",
            "kind",
            "value",
            "minimum_order_minor",
            "max_uses",
            "expires_at",
            "products",
        ]

    def clean(self) -> dict:
        data = super().clean()
        if self.errors or data is None:
            return data
        try:
            data["code"] = discount_code_validate(
                shop=data["shop"],
                code=data["code"],
                kind=data["kind"],
                value=data["value"],
                minimum_order_minor=data["minimum_order_minor"],
                max_uses=data.get("max_uses"),
                # A code that has expired may still be edited; only a new expiry must be in the future.
                expires_at=data.get("expires_at") if "expires_at" in self.changed_data else None,
                products=list(data.get("products") or []),
                exclude_pk=self.instance.pk,
            )
        except ApplicationError as exc:
            raise ValidationError(
                {name: messages for name, messages in exc.fields.items() if name in self.fields}
                or exc.message
            ) from exc
        return data


@admin.register(DiscountCode)
class DiscountCodeAdmin(admin.ModelAdmin):
    form = DiscountCodeForm
    list_display = ["code", "shop", "kind", "value", "minimum_order_minor", "uses", "max_uses", "expires_at"]
    list_filter = ["kind"]
    search_fields = ["code", "shop__slug"]
    list_select_related = ["shop"]
    raw_id_fields = ["shop"]
    filter_horizontal = ["products"]
    readonly_fields = ["uses"]
