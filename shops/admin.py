from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from audit.enums import AuditAction
from common.admin import ReadOnlyAdminMixin
from common.admin_reason import ReasonForm, audited_each, reason_action
from common.errors import ApplicationError
from payments.models import LedgerEntry
from shops.enums import ShopStatus
from shops.models import (
    Cart,
    CartItem,
    DigitalAsset,
    DiscountCode,
    DownloadGrant,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    ProductImage,
    ProductVariant,
    Shop,
)
from shops.orders import order_refund
from shops.services import discount_code_validate, shop_set_status


def _set_status(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, status: str, reason: str
) -> None:
    """Close or reopen each shop with its audit entry (shop_close / shop_reopen)."""
    done = audited_each(
        modeladmin,
        request,
        queryset,
        change=lambda shop: shop_set_status(shop=shop, status=status, actor=request.user),
        action=AuditAction.SHOP_CLOSE if status == ShopStatus.CLOSED else AuditAction.SHOP_REOPEN,
        reason=reason,
        before=lambda shop: {"status": shop.status},
        details=lambda shop, result: {"after": {"status": result.status}},
        label=lambda shop: shop.slug,
    )
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

    @reason_action(description=_("Close the selected shops"))
    def close_shops(self, request: HttpRequest, queryset: QuerySet, form: ReasonForm) -> None:
        _set_status(self, request, queryset, ShopStatus.CLOSED, form.cleaned_data["reason"])

    @reason_action(description=_("Reopen the selected shops"))
    def reopen_shops(self, request: HttpRequest, queryset: QuerySet, form: ReasonForm) -> None:
        _set_status(self, request, queryset, ShopStatus.OPEN, form.cleaned_data["reason"])


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


# ---------------------------------------------------------------- orders (written only by shops.orders)


class OrderLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = [
        "title",
        "variant_name",
        "type",
        "unit_price_minor",
        "quantity",
        "discount_minor",
        "total_minor",
        "refunded_quantity",
        "refunded_minor",
    ]
    readonly_fields = fields


class OrderEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderEvent
    extra = 0
    fields = ["created_at", "kind", "actor", "note", "data"]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Orders change only through shops.orders: staff refund with the action, never by editing."""

    list_display = ["number", "shop", "email", "status", "total_display", "refunded_display", "created_at"]
    list_filter = ["status", "currency", "channel", "created_at"]
    search_fields = ["=number", "email", "shop__slug", "shop__name", "=payment__reference"]
    list_select_related = ["shop"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderEventInline]
    actions = ["refund_in_full"]
    fields = [
        "number",
        "shop",
        "buyer",
        "email",
        "status",
        "channel",
        "currency",
        "subtotal_minor",
        "discount_minor",
        "total_minor",
        "refunded_minor",
        "discount_code",
        "shipping_address",
        "carrier",
        "tracking_number",
        "payment",
        "ledger_transactions",
        "reserved_until",
        "paid_at",
        "shipped_at",
        "delivered_at",
        "completed_at",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("total"), ordering="total_minor")
    def total_display(self, order: Order) -> str:
        return str(order.total)

    @admin.display(description=_("refunded"), ordering="refunded_minor")
    def refunded_display(self, order: Order) -> str:
        return str(order.refunded) if order.refunded_minor else "—"

    @admin.display(description=_("ledger transactions"))
    def ledger_transactions(self, order: Order) -> str:
        """The payment's settlement and its refunds' reversals, entry by entry (read-only)."""
        payment = order.payment
        if payment is None:
            return "—"
        entries = (
            LedgerEntry.objects.filter(
                Q(transaction__settled_payment=payment) | Q(transaction__refund__payment=payment)
            )
            .select_related("transaction", "account")
            .order_by("transaction__created_at", "transaction_id", "id")
        )
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{} {}</td><td class="num">{}</td></tr>',
            (
                (
                    reverse("admin:payments_ledgertransaction_change", args=[e.transaction_id]),
                    e.transaction.reference,
                    e.transaction.kind,
                    e.account.party,
                    e.account.kind,
                    str(e.amount),
                )
                for e in entries
            ),
        )
        if not rows:
            return _("Not settled yet.")
        return format_html("<table><tbody>{}</tbody></table>", rows)

    @reason_action(
        description=_("Refund the selected orders in full (as staff)"),
        intro=_("The buyers are refunded what is left of each order and emailed."),
    )
    def refund_in_full(self, request: HttpRequest, queryset: QuerySet, form: ReasonForm) -> None:
        reason = form.cleaned_data["reason"]
        done = audited_each(
            self,
            request,
            queryset,
            change=lambda order: order_refund(
                # Refund.reason holds 200 characters; the audit entry keeps the whole reason.
                order=order,
                actor=request.user,
                quantities=None,
                reason=reason[:200],
                as_staff=True,
            ),
            action=AuditAction.REFUND,
            reason=reason,
            before=lambda order: {"status": order.status, "refunded_minor": order.refunded_minor},
            details=lambda order, refund: {
                "amount_minor": refund.amount_minor,
                "currency": refund.currency,
                "refund": refund.pk,
                "after": {"status": order.status, "refunded_minor": order.refunded_minor},
            },
            label=lambda order: order.number,
        )
        if done:
            self.message_user(request, _("%(count)d order(s) refunded in full.") % {"count": done})


@admin.register(DownloadGrant)
class DownloadGrantAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "order_number", "line", "downloads", "download_limit", "expires_at", "revoked_at"]
    list_filter = ["expires_at", "revoked_at"]
    search_fields = ["=line__order__number", "line__order__email"]
    list_select_related = ["line__order"]

    @admin.display(description=_("order"), ordering="line__order__number")
    def order_number(self, grant: DownloadGrant) -> str:
        return grant.line.order.number


@admin.register(DigitalAsset)
class DigitalAssetAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["filename", "product", "size_bytes", "download_limit", "updated_at"]
    search_fields = ["filename", "product__title", "product__shop__slug"]
    list_select_related = ["product"]
    exclude = ["file"]  # never link the private file from admin: downloads go through grants


class CartItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CartItem
    extra = 0
    fields = ["product", "variant", "quantity", "added_at"]
    readonly_fields = fields


@admin.register(Cart)
class CartAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "user", "currency", "item_count", "updated_at"]
    list_filter = ["currency"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    exclude = ["session_key"]  # a guest's token is a secret: whoever holds it owns the cart
    inlines = [CartItemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cart]:
        return super().get_queryset(request).annotate(item_total=Count("items"))

    @admin.display(description=_("items"), ordering="item_total")
    def item_count(self, cart: Cart) -> int:
        return cart.item_total  # type: ignore[attr-defined]
