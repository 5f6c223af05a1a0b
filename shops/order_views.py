"""Web pages for buying (cart, checkout, the buyer's orders, downloads) and for selling
(the seller's orders, fulfilment, refunds, discount codes, digital files, sales chart).

Views parse a form, call one service of shops.cart / shops.orders / shops.services, and render;
the services decide what is allowed. Objects outside the visitor's reach are 404s.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from affiliates.attribution import referral_from_request
from common.errors import ApplicationError, NotFoundError
from common.forms import apply_application_error, form_save
from common.money import Money, format_money
from common.security import rate_limit
from creators.selectors import user_from_request
from payments.gateway import StripeTemporaryError
from shops.assets import digital_asset_set
from shops.cart import (
    ShopGroup,
    cart_add,
    cart_clear_shop,
    cart_for_request,
    cart_groups,
    cart_remove,
    cart_set_quantity,
)
from shops.enums import PAID_STATUSES, DiscountKind, OrderStatus
from shops.models import Cart, DiscountCode, Order, Shop
from shops.order_forms import (
    AddToCartForm,
    CartQuantityForm,
    CheckoutForm,
    DigitalAssetForm,
    DiscountCodeCreateForm,
    RefundForm,
    ShipForm,
)
from shops.orders import (
    ItemRequest,
    download_check,
    download_claim,
    download_token,
    order_checkout_start,
    order_create,
    order_mark_delivered,
    order_refund,
    order_ship,
    refund_window_open,
)
from shops.reports import PERIODS, sales_chart_svg, sales_series
from shops.selectors import (
    discount_code_list_for_seller,
    order_get_for_buyer,
    order_get_for_seller,
    order_list_for_buyer,
    order_list_for_seller,
    product_get_public,
)
from shops.services import discount_code_create
from shops.views import _owned_product, _product_edit_render, product_page_render, shop_required

ORDER_TOKENS = "shop_order_tokens"  # session: {order number: access token} of a guest's orders
PAGE_SIZE = 25


# ---------------------------------------------------------------- cart


@require_POST
def cart_add_view(request: HttpRequest, product_id: int) -> HttpResponse:
    try:
        product = product_get_public(product_id=product_id)
    except NotFoundError as exc:
        raise Http404 from exc
    form = AddToCartForm(request.POST, product=product)
    if form.is_valid():
        cart = cart_for_request(request, create=True)
        assert cart is not None
        try:
            cart_add(
                cart=cart,
                product_id=product.pk,
                variant_id=form.cleaned_data.get("variant"),
                quantity=form.cleaned_data.get("quantity", 1),
            )
        except ApplicationError as exc:
            apply_application_error(form, exc)
        else:
            messages.success(request, _("“%(title)s” is in your cart.") % {"title": product.title})
            return redirect("shop-cart")
    return product_page_render(request, product, form=form, status=400)


def _pending_orders(request: HttpRequest) -> list[Order]:
    """Orders this visitor started and has not paid yet (shown on the cart page to finish paying)."""
    user = request.user
    if user.is_authenticated:
        return list(order_list_for_buyer(user=user).filter(status=OrderStatus.PENDING_PAYMENT)[:5])
    numbers = list(request.session.get(ORDER_TOKENS, {}))
    orders = Order.objects.filter(
        number__in=numbers, buyer__isnull=True, status=OrderStatus.PENDING_PAYMENT
    ).select_related("shop")
    return list(orders[:5])


@require_GET
def cart_view(request: HttpRequest) -> HttpResponse:
    groups = cart_groups(cart=cart_for_request(request))
    return render(
        request,
        "shops/cart.html",
        {"groups": groups, "pending_orders": _pending_orders(request)},
    )


def _cart_or_404(request: HttpRequest) -> Cart:
    cart = cart_for_request(request)
    if cart is None:
        raise Http404
    return cart


@require_POST
def cart_item_update(request: HttpRequest, item_id: int) -> HttpResponse:
    cart = _cart_or_404(request)
    form = CartQuantityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a quantity from 0 to 99."))
        return redirect("shop-cart")
    try:
        cart_set_quantity(cart=cart, item_id=item_id, quantity=form.cleaned_data["quantity"])
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your cart is updated."))
    return redirect("shop-cart")


@require_POST
def cart_item_remove(request: HttpRequest, item_id: int) -> HttpResponse:
    cart = _cart_or_404(request)
    try:
        cart_remove(cart=cart, item_id=item_id)
    except ApplicationError as exc:
        raise Http404 from exc
    messages.success(request, _("Removed from your cart."))
    return redirect("shop-cart")


# ---------------------------------------------------------------- checkout


def _remember(request: HttpRequest, order: Order) -> None:
    """Keep a guest's access to their order for this session (the cart and order pages use it)."""
    if order.buyer_id is not None:
        return
    tokens = dict(request.session.get(ORDER_TOKENS, {}))
    tokens[order.number] = order.access_token
    request.session[ORDER_TOKENS] = dict(list(tokens.items())[-20:])  # the most recent ones


def _order_path(order: Order) -> str:
    path = reverse("shop-order", kwargs={"number": order.number})
    return path if order.buyer_id is not None else f"{path}?t={order.access_token}"


def _checkout_redirect(request: HttpRequest, order: Order) -> HttpResponse:
    """Send the buyer to the hosted payment page; if Stripe cannot be reached, to their order."""
    try:
        url = order_checkout_start(
            order=order,
            success_url=request.build_absolute_uri(_order_path(order)),
            cancel_url=request.build_absolute_uri(reverse("shop-cart")),
        )
    except (ApplicationError, StripeTemporaryError):
        messages.error(
            request, _("We could not open the payment page. Your order is saved: try paying again.")
        )
        return redirect(_order_path(order))
    return redirect(url)


def _group_for(request: HttpRequest, shop_slug: str) -> tuple[Cart | None, ShopGroup | None]:
    cart = cart_for_request(request)
    group = next((g for g in cart_groups(cart=cart) if g.shop.slug == shop_slug), None)
    return cart, group


@rate_limit(group="checkout", setting="RATELIMIT_CHECKOUT")
def checkout(request: HttpRequest, shop_slug: str) -> HttpResponse:
    cart, group = _group_for(request, shop_slug)
    if group is None:
        messages.info(request, _("Your cart has nothing from this shop."))
        return redirect("shop-cart")
    buyer = user_from_request(request) if request.user.is_authenticated else None
    form = CheckoutForm(
        request.POST or None,
        needs_shipping=group.needs_shipping,
        initial={"email": buyer.email if buyer else ""},
    )
    if request.method == "POST" and form.is_valid():
        try:
            order = order_create(
                shop=group.shop,
                items=[
                    ItemRequest(
                        product_id=line.product.pk,
                        variant_id=line.variant.pk if line.variant else None,
                        quantity=line.item.quantity,
                    )
                    for line in group.lines
                ],
                email=form.cleaned_data["email"],
                buyer=buyer,
                shipping_address=form.shipping_address(),
                discount_code=form.cleaned_data["discount_code"],
                channel="web",
                language=translation.get_language() or "",
                referral=referral_from_request(request),
            )
        except ApplicationError as exc:
            apply_application_error(form, exc)
        else:
            # The order is committed (order_create owns its transaction): its items leave the cart.
            assert cart is not None  # a shop group comes from a cart
            cart_clear_shop(cart=cart, shop=group.shop)
            _remember(request, order)
            return _checkout_redirect(request, order)
    return render(
        request,
        "shops/checkout.html",
        {"group": group, "form": form, "reservation_minutes": settings.SHOP_RESERVATION_MINUTES},
        status=400 if form.errors else 200,
    )


# ---------------------------------------------------------------- the buyer's orders


def _buyer_order(request: HttpRequest, number: str) -> Order:
    token = request.GET.get("t", "") or request.session.get(ORDER_TOKENS, {}).get(number, "")
    user = request.user if request.user.is_authenticated else None
    try:
        order = order_get_for_buyer(number=number, user=user, access_token=token)
    except NotFoundError as exc:
        raise Http404 from exc
    _remember(request, order)
    return order


def _download_links(order: Order) -> dict[int, str]:
    """Fresh signed links (line id → URL) for the paid digital lines that can still be downloaded."""
    if order.status not in PAID_STATUSES:
        return {}
    now = timezone.now()
    links = {}
    for line in order.lines.all():
        grant = getattr(line, "download_grant", None)
        if grant is None or grant.revoked_at is not None or grant.expires_at < now:
            continue
        if grant.downloads >= grant.download_limit:
            continue
        links[line.pk] = reverse("shop-download", kwargs={"token": download_token(grant)})
    return links


@require_GET
def order_page(request: HttpRequest, number: str) -> HttpResponse:
    order = _buyer_order(request, number)
    lines = list(order.lines.all())
    links = _download_links(order)
    return render(
        request,
        "shops/order_page.html",
        {
            "order": order,
            "lines": [(line, links.get(line.pk)) for line in lines],
            "events": order.events.all(),
            "pending": order.status == OrderStatus.PENDING_PAYMENT,
        },
    )


@require_POST
def order_pay(request: HttpRequest, number: str) -> HttpResponse:
    """Open the payment page again for an order still awaiting payment (the first try was cancelled)."""
    order = _buyer_order(request, number)
    if order.status != OrderStatus.PENDING_PAYMENT:
        messages.info(request, _("This order is %(status)s.") % {"status": order.get_status_display()})
        return redirect(_order_path(order))
    return _checkout_redirect(request, order)


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    orders = order_list_for_buyer(user=user_from_request(request))
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "shops/order_list.html", {"page": page})


@require_http_methods(["GET", "POST"])
def download(request: HttpRequest, token: str) -> HttpResponseBase:
    """GET: what the link gives, with a button; POST: stream the file and count the download.

    Only the POST counts: mail scanners and link previews fetch links with GET, and must not
    use up a buyer's downloads. Opening the file happens inside the transaction that counts,
    so a file that cannot be read costs nothing.
    """
    user = user_from_request(request) if request.user.is_authenticated else None
    try:
        if request.method == "GET":
            grant = download_check(token=token, user=user)
            return render(
                request,
                "shops/download.html",
                {"grant": grant, "left": grant.download_limit - grant.downloads},
            )
        with transaction.atomic():
            asset = download_claim(token=token, user=user)
            handle = asset.file.open("rb")
    except ApplicationError as exc:
        return render(request, "shops/download_error.html", {"message": exc.message}, status=exc.status_code)
    except OSError:
        message = _("This file cannot be read right now. Please contact the seller.")
        return render(request, "shops/download_error.html", {"message": message}, status=503)
    return FileResponse(handle, as_attachment=True, filename=asset.filename)


# ---------------------------------------------------------------- the seller's orders


def _seller_order(request: HttpRequest, number: str) -> Order:
    try:
        return order_get_for_seller(user=user_from_request(request), number=number)
    except NotFoundError as exc:
        raise Http404 from exc


@shop_required
@require_GET
def seller_orders(request: HttpRequest, shop: Shop) -> HttpResponse:
    status = request.GET.get("status", "")
    orders = order_list_for_seller(user=user_from_request(request), status=status or None)
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "shops/seller_orders.html",
        {"shop": shop, "page": page, "status": status, "statuses": OrderStatus.choices},
    )


def _seller_order_render(
    request: HttpRequest,
    shop: Shop,
    order: Order,
    *,
    ship_form: ShipForm | None = None,
    refund_form: RefundForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "shops/seller_order_detail.html",
        {
            "shop": shop,
            "order": order,
            "events": order.events.select_related("actor"),
            "ship_form": ship_form or ShipForm(),
            "refund_form": refund_form or RefundForm(order=order),
            "can_ship": order.status == OrderStatus.PAID and order.needs_shipping,
            "can_deliver": order.status == OrderStatus.SHIPPED,
            "can_refund": order.status in PAID_STATUSES and refund_window_open(order),
        },
        status=status,
    )


@shop_required
@require_GET
def seller_order_detail(request: HttpRequest, shop: Shop, number: str) -> HttpResponse:
    return _seller_order_render(request, shop, _seller_order(request, number))


@shop_required
@require_POST
def seller_order_ship(request: HttpRequest, shop: Shop, number: str) -> HttpResponse:
    order = _seller_order(request, number)
    form = ShipForm(request.POST)
    user = user_from_request(request)
    shipped = form_save(
        request,
        form,
        lambda data: order_ship(order=order, actor=user, **data),
        success=_("Marked as shipped: the buyer has been told."),
    )
    if shipped is not None:
        return redirect("shops:order-detail", number=order.number)
    return _seller_order_render(request, shop, order, ship_form=form, status=400)


@shop_required
@require_POST
def seller_order_deliver(request: HttpRequest, shop: Shop, number: str) -> HttpResponse:
    order = _seller_order(request, number)
    try:
        order_mark_delivered(order=order, actor=user_from_request(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Marked as delivered."))
    return redirect("shops:order-detail", number=order.number)


@shop_required
@require_POST
def seller_order_refund(request: HttpRequest, shop: Shop, number: str) -> HttpResponse:
    order = _seller_order(request, number)
    form = RefundForm(request.POST, order=order)
    if form.is_valid():
        full = "full" in request.POST
        try:
            refund = order_refund(
                order=order,
                actor=user_from_request(request),
                quantities=None if full else form.quantities(),
                restock=form.cleaned_data["restock"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            apply_application_error(form, exc)
        else:
            messages.success(
                request,
                _("Refunded %(amount)s: the buyer has been told.")
                % {"amount": format_money(Money(refund.amount_minor, refund.currency))},
            )
            return redirect("shops:order-detail", number=order.number)
    return _seller_order_render(request, shop, order, refund_form=form, status=400)


# ---------------------------------------------------------------- discount codes


def _discount_text(code: DiscountCode, shop: Shop) -> str:
    if code.kind == DiscountKind.PERCENT:
        return f"{Decimal(code.value) / 100:g} %"
    return format_money(Money(code.value, shop.currency))


@shop_required
def discount_codes(request: HttpRequest, shop: Shop) -> HttpResponse:
    """The shop's codes, and the form that creates one (POST)."""
    form = DiscountCodeCreateForm(request.POST or None, shop=shop)
    created = form_save(
        request,
        form,
        lambda data: discount_code_create(shop=shop, **data),
        success=_("Discount code created."),
    )
    if created is not None:
        return redirect("shops:discounts")
    codes = [
        (code, _discount_text(code, shop))
        for code in discount_code_list_for_seller(user=user_from_request(request))
    ]
    return render(
        request,
        "shops/discount_codes.html",
        {"shop": shop, "codes": codes, "form": form, "now": timezone.now()},
        status=400 if form.errors else 200,
    )


# ---------------------------------------------------------------- digital files


@shop_required
@require_POST
def product_file_upload(request: HttpRequest, shop: Shop, product_id: int) -> HttpResponse:
    product = _owned_product(request, product_id)
    form = DigitalAssetForm(request.POST, request.FILES)
    saved = form_save(
        request,
        form,
        lambda data: digital_asset_set(
            product=product, upload=data["upload"], download_limit=data["download_limit"]
        ),
        success=_("File saved: buyers download it after paying."),
    )
    if saved is not None:
        return redirect("shops:product-edit", product_id=product.pk)
    return _product_edit_render(request, shop, product, asset_form=form)


# ---------------------------------------------------------------- sales chart


def _days(request: HttpRequest) -> int:
    try:
        days = int(request.GET.get("days", PERIODS[0]))
    except ValueError:
        return PERIODS[0]
    return days if days in PERIODS else PERIODS[0]


@shop_required
@require_GET
def sales(request: HttpRequest, shop: Shop) -> HttpResponse:
    days = _days(request)
    series = sales_series(shop=shop, days=days)
    return render(
        request,
        "shops/sales.html",
        {
            "shop": shop,
            "series": series,
            "days": days,
            "periods": PERIODS,
            # Built by sales_chart_svg from numbers and escaped text only.
            "chart": mark_safe(sales_chart_svg(series)),  # noqa: S308
        },
    )


@shop_required
@require_GET
def sales_chart(request: HttpRequest, shop: Shop) -> HttpResponse:
    """The chart alone, as an SVG image (the shop dashboard embeds it)."""
    series = sales_series(shop=shop, days=_days(request))
    response = HttpResponse(sales_chart_svg(series), content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "private, max-age=60"
    return response
