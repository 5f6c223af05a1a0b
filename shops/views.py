"""Web pages: public storefronts and product pages, and the seller's shop dashboard."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import ApplicationError, NotFoundError
from common.forms import apply_application_error, form_save
from common.money import Money
from creators.selectors import creator_get_for_user, user_from_request
from marketplace.selectors import brand_list_for_user
from shops.enums import OWNER_STATUSES, ProductSort, ProductStatus, ShopStatus
from shops.forms import ImageForm, ProductForm, ShopForm, VariantForm
from shops.models import Product, Shop
from shops.order_forms import AddToCartForm, DigitalAssetForm
from shops.selectors import (
    product_get_for_owner,
    product_get_public,
    product_list_for_shop,
    product_list_public,
    shop_get_for_owner,
    shop_get_public,
    variant_get_for_owner,
)
from shops.services import (
    product_archive,
    product_create,
    product_image_add,
    product_update,
    shop_create,
    shop_set_status,
    shop_update,
    variant_create,
    variant_update,
)

STOREFRONT_LIMIT = 60

# ---------------------------------------------------------------- public storefront


def _storefront_render(request: HttpRequest, shop: Shop) -> HttpResponse:
    sort = request.GET.get("sort", ProductSort.NEWEST)
    if sort not in ProductSort.values:
        sort = ProductSort.NEWEST
    q = request.GET.get("q", "")[:100]
    products = product_list_public(shop=shop, q=q, sort=sort)[:STOREFRONT_LIMIT]
    return render(
        request,
        "shops/storefront.html",
        {"shop": shop, "products": products, "q": q, "sort": sort, "sorts": ProductSort.choices},
    )


def storefront(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        shop = shop_get_public(slug=slug)
    except NotFoundError as exc:
        raise Http404 from exc
    return _storefront_render(request, shop)


def storefront_for_creator(request: HttpRequest, handle: str) -> HttpResponse:
    try:
        shop = shop_get_public(handle=handle)
    except NotFoundError as exc:
        raise Http404 from exc
    return _storefront_render(request, shop)


def product_detail(request: HttpRequest, slug: str, product_id: int) -> HttpResponse:
    try:
        shop = shop_get_public(slug=slug)
        product = product_get_public(product_id=product_id, shop=shop)
    except NotFoundError as exc:
        raise Http404 from exc
    return product_page_render(request, product)


def product_page_render(
    request: HttpRequest, product: Product, *, form: AddToCartForm | None = None, status: int = 200
) -> HttpResponse:
    """The public product page with its add-to-cart form (shops.order_views re-renders it on errors)."""
    return render(
        request,
        "shops/product_detail.html",
        {"shop": product.shop, "product": product, "cart_form": form or AddToCartForm(product=product)},
        status=status,
    )


# ---------------------------------------------------------------- seller dashboard


def creator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, with a creator profile or a brand to sell for; everyone else is sent to
    become a creator first."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = user_from_request(request)
        if creator_get_for_user(user=user) is None and not brand_list_for_user(user=user).exists():
            messages.info(request, _("Become a creator to open a shop."))
            return redirect("creators:start")
        return view(request, *args, **kwargs)

    return wrapped


def shop_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """As creator_required, and the creator's shop is passed to the view; no shop → create one."""

    @creator_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        shop = shop_get_for_owner(user=user_from_request(request))
        if shop is None:
            return redirect("shops:create")
        return view(request, shop, *args, **kwargs)

    return wrapped


def _owned_product(request: HttpRequest, product_id: int) -> Product:
    try:
        return product_get_for_owner(user=user_from_request(request), product_id=product_id)
    except NotFoundError as exc:
        raise Http404 from exc


@shop_required
def dashboard(request: HttpRequest, shop: Shop) -> HttpResponse:
    products = product_list_for_shop(shop=shop)
    owner_statuses = [(value, label) for value, label in ShopStatus.choices if value in OWNER_STATUSES]
    return render(
        request,
        "shops/dashboard.html",
        {"shop": shop, "products": products, "owner_statuses": owner_statuses},
    )


@creator_required
def shop_create_view(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    if shop_get_for_owner(user=user):
        return redirect("shops:dashboard")
    creator = creator_get_for_user(user=user)
    # A creator opens their own shop; someone who only acts for brands opens their brand's.
    brand = None if creator is not None else brand_list_for_user(user=user).first()
    if creator is not None:
        initial = {"country": creator.country, "slug": creator.handle.replace(".", "-")}
    else:
        assert brand is not None  # creator_required
        initial = {"country": brand.country, "slug": slugify(brand.name)[:60]}
    form = ShopForm(request.POST or None, initial=initial)
    ready = _("Your shop is ready. Add products, then open it.")

    def create(data: dict) -> Shop:
        return shop_create(creator=creator, brand=brand, actor=user, **data)

    if form_save(request, form, create, success=ready):
        return redirect("shops:dashboard")
    return render(request, "shops/shop_form.html", {"form": form, "title": _("Open a shop")})


@shop_required
def shop_edit(request: HttpRequest, shop: Shop) -> HttpResponse:
    initial = {
        "name": shop.name,
        "slug": shop.slug,
        "currency": shop.currency,
        "country": shop.country,
        "description": shop.description,
        "refund_window_days": shop.refund_window_days,
    }
    form = ShopForm(request.POST or None, initial=initial)
    if form_save(
        request, form, lambda data: shop_update(shop=shop, **data), success=_("Your shop is saved.")
    ):
        return redirect("shops:dashboard")
    return render(request, "shops/shop_form.html", {"form": form, "title": _("Edit shop"), "shop": shop})


@shop_required
@require_POST
def shop_status(request: HttpRequest, shop: Shop) -> HttpResponse:
    try:
        shop_set_status(shop=shop, status=request.POST.get("status", ""), actor=user_from_request(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your shop is now %(status)s.") % {"status": shop.get_status_display()})
    return redirect("shops:dashboard")


@shop_required
def product_new(request: HttpRequest, shop: Shop) -> HttpResponse:
    form = ProductForm(request.POST or None)
    added = _("Product added. Add variants and photos below.")
    product = form_save(request, form, lambda data: product_create(shop=shop, **data), success=added)
    if product is not None:
        return redirect("shops:product-edit", product_id=product.pk)
    return render(request, "shops/product_form.html", {"form": form, "shop": shop})


def _amount_text(minor: int | None, currency: str) -> str:
    return "" if minor is None else str(Money(minor, currency).as_decimal())


def _product_form(product: Product, data=None) -> ProductForm:
    currency = product.shop.currency
    initial = {
        "title": product.title,
        "description": product.description,
        "type": product.type,
        "price": _amount_text(product.price_minor, currency),
        "compare_at": _amount_text(product.compare_at_minor, currency),
        "status": product.status if product.status != ProductStatus.ARCHIVED else ProductStatus.DRAFT,
    }
    return ProductForm(data, initial=initial)


@shop_required
def product_edit(request: HttpRequest, shop: Shop, product_id: int) -> HttpResponse:
    product = _owned_product(request, product_id)
    form = _product_form(product, request.POST or None)
    if form_save(
        request, form, lambda data: product_update(product=product, **data), success=_("Product saved.")
    ):
        return redirect("shops:product-edit", product_id=product.pk)
    return _product_edit_render(request, shop, product, form=form)


def _product_edit_render(
    request: HttpRequest,
    shop: Shop,
    product: Product,
    *,
    form: ProductForm | None = None,
    variant_form: VariantForm | None = None,
    image_form: ImageForm | None = None,
    asset_form: DigitalAssetForm | None = None,
) -> HttpResponse:
    return render(
        request,
        "shops/product_edit.html",
        {
            "shop": shop,
            "product": product,
            "form": form or _product_form(product),
            "variant_form": variant_form or VariantForm(),
            "image_form": image_form or ImageForm(),
            "asset_form": asset_form or DigitalAssetForm(),
        },
        status=400
        if any(f is not None and f.errors for f in (variant_form, image_form, asset_form))
        else 200,
    )


@shop_required
@require_POST
def product_archive_view(request: HttpRequest, shop: Shop, product_id: int) -> HttpResponse:
    product_archive(product=_owned_product(request, product_id))
    messages.success(request, _("Product archived: it no longer shows in your shop."))
    return redirect("shops:dashboard")


@shop_required
@require_POST
def variant_add(request: HttpRequest, shop: Shop, product_id: int) -> HttpResponse:
    product = _owned_product(request, product_id)
    form = VariantForm(request.POST)
    if form_save(
        request, form, lambda data: variant_create(product=product, **data), success=_("Variant added.")
    ):
        return redirect("shops:product-edit", product_id=product.pk)
    return _product_edit_render(request, shop, product, variant_form=form)


@shop_required
def variant_edit(request: HttpRequest, shop: Shop, variant_id: int) -> HttpResponse:
    try:
        variant = variant_get_for_owner(user=user_from_request(request), variant_id=variant_id)
    except NotFoundError as exc:
        raise Http404 from exc
    form = VariantForm(
        request.POST or None,
        initial={
            "name": variant.name,
            "sku": variant.sku,
            "stock": variant.stock,
            "price": _amount_text(variant.price_minor, shop.currency),
        },
    )
    if form_save(
        request, form, lambda data: variant_update(variant=variant, **data), success=_("Variant saved.")
    ):
        return redirect("shops:product-edit", product_id=variant.product_id)
    return render(request, "shops/variant_form.html", {"form": form, "variant": variant, "shop": shop})


@shop_required
@require_POST
def image_add(request: HttpRequest, shop: Shop, product_id: int) -> HttpResponse:
    product = _owned_product(request, product_id)
    form = ImageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            product_image_add(
                product=product, upload=form.cleaned_data["upload"], alt_text=form.cleaned_data["alt_text"]
            )
        except ApplicationError as exc:
            exc.fields = {"upload": exc.fields.get("image", [exc.message])}
            apply_application_error(form, exc)
        else:
            messages.success(request, _("Photo added."))
            return redirect("shops:product-edit", product_id=product.pk)
    return _product_edit_render(request, shop, product, image_form=form)
