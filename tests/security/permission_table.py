"""The declared permission table (issue 10): URL name → method → persona → expected outcome.

Outcomes: "ok" (got past the permission check: 2xx, a redirect that is not to the login page, or a
validation answer 400/409/422), "login" (redirect to login, API 401), "denied" (403, or 404 for an
object outside the caller's reach), "n/a" (not checked; the row's comment says why).

Personas (tests/security/world.py): anonymous, buyer, creator (minji: shop, offer, listing, bonus
award and invitation, affiliate in the brand's offer, party to the deal and the open negotiation),
other_creator (sora), brand (a member of "Glow Co", which owns the campaign, saved list, brand
shop and offer), other_brand (the owner of "Other Co"), staff (superuser).

Adding a URL? Add a row here: `row(...)` starts from a default for everyone and names the
exceptions, so each row reads as a sentence ("signed-in users may; minji may not").
"""

from typing import Any

PERSONAS = ("anonymous", "buyer", "creator", "other_creator", "brand", "other_brand", "staff")
SIGNED_IN = ("buyer", "creator", "other_creator", "brand", "other_brand", "staff")


def row(default: str, **exceptions: str) -> dict[str, str]:
    """Outcomes per persona: ``default`` for everyone, then the exceptions by persona."""
    unknown = set(exceptions) - set(PERSONAS)
    assert not unknown, f"unknown personas {unknown}"
    return {persona: exceptions.get(persona, default) for persona in PERSONAS}


def public() -> dict[str, str]:
    return row("ok")


def signed_in(**exceptions: str) -> dict[str, str]:
    """Anonymous callers are sent to log in; everyone signed in gets in unless named."""
    return row("ok", anonymous="login", **exceptions)


def only(*allowed: str, anonymous: str = "login", others: str = "denied") -> dict[str, str]:
    """Only the named personas (and staff only when named); anonymous is sent to log in."""
    return row(others, anonymous=anonymous, **{persona: "ok" for persona in allowed})


def GET(outcomes: dict[str, str]) -> dict[str, dict[str, str]]:
    return {"GET": outcomes}


def POST(outcomes: dict[str, str]) -> dict[str, dict[str, str]]:
    """A POST-only route, called with an empty body (or its BODIES entry)."""
    return {"POST": outcomes}


def PATCH(outcomes: dict[str, str]) -> dict[str, dict[str, str]]:
    return {"PATCH": outcomes}


def DELETE(outcomes: dict[str, str]) -> dict[str, dict[str, str]]:
    return {"DELETE": outcomes}


# The admin (every ModelAdmin's changelist is checked with this; the other admin pages by
# test_admin_object_pages_follow_the_rule): only staff gets in, the others go to the admin login.
ADMIN_RULE = row("login", staff="ok")

# Routes that talk to Stripe when the caller may: they run against the emulator.
STRIPE_ROUTES = {
    "payments:onboarding",
    "api:payments-api:payout-onboarding",
    "marketplace:deal-fund",
    "api:marketplace-api:deal-fund",
}


def bodies(world: Any) -> dict[str, dict[str, Any]]:
    """POST bodies where an empty one would stop every caller at validation, hiding the permission
    check behind it (the view parses its input before it looks the object up)."""
    o = world.objects
    return {
        "accounts:language": {"language": "fr"},
        "marketplace:list-add": {"list_id": o["saved_list"].pk},
        "api:shops-api:cart-item": {"quantity": 1},
        "api:marketplace-api:campaign-apply": {"amount_minor": 90_000, "currency": "USD", "pitch": "Hi"},
    }


# ---------------------------------------------------------------- kwargs: which object each URL names

_PASSWORD_RESET = {"uidb64": "MQ", "token": "set-password"}


def kwargs_for(world: Any, name: str, params: list[str]) -> dict[str, Any]:
    """The URL kwargs of ``name`` (``params``: its parameter names): the object of its owner persona."""
    o = world.objects
    by_name: dict[str, dict[str, Any]] = {
        "accounts:password-reset-confirm": _PASSWORD_RESET,
        "shop-download": {"token": o["download_token"]},
        "marketplace:invitation-accept": {"token": o["brand_invitation"].token},
        "api:marketplace-api:invitation-accept": {"token": o["brand_invitation"].token},
        "bonuses:interest": {"programme_id": o["open_programme"].pk},
        "api:bonuses-api:interest-register": {"programme_id": o["open_programme"].pk},
    }
    if name in by_name:
        return by_name[name]
    by_param: dict[str, Any] = {
        "programme_id": o["bonus_invitation"].programme_id,
        "invitation_id": o["bonus_invitation"].pk,
        "award_id": o["award"].pk,
        "product_id": o["product"].pk,
        "variant_id": o["variant"].pk,
        "number": o["order"].number,
        "brand_id": o["brand_org"].pk,
        "listing_id": o["creator_profile"].listing.pk,
        "campaign_id": o["campaign"].pk,
        "negotiation_id": o["negotiation"].pk,
        "deal_id": o["deal"].pk,
        "deliverable_id": o["deliverable"].pk,
        "offer_id": o["offer"].pk,  # minji's own offer: she may not join it, sora may
        "membership_id": o["membership"].pk,  # minji's membership in the brand's offer
        "item_id": o["cart_item"].pk,
        "shop_slug": o["shop"].slug,
        "slug": o["shop"].slug,
        "handle": o["creator_profile"].handle,
        "code": o["membership"].code,
        "list_id": o["saved_list"].pk,
        "notification_id": o["notification"].pk,
        "decision": "approve",
    }
    unknown = [param for param in params if param not in by_param]
    if unknown:
        raise KeyError(f"{name}: no object for URL parameter(s) {unknown}; add them to kwargs_for()")
    return {param: by_param[param] for param in params}


TABLE: dict[str, dict[str, dict[str, str]]] = {
    "admin:payments_reconciliation_run": POST(ADMIN_RULE),
    "home": GET(public()),
    "healthz": GET(public()),
    "accounts:login": GET(public()),
    "accounts:logout": POST(public()),
    "accounts:signup": GET(public()),
    "accounts:settings": GET(signed_in()),
    "accounts:language": POST(public()),
    "accounts:password-change": GET(signed_in()),
    "accounts:password-change-done": GET(signed_in()),
    "accounts:password-reset": GET(public()),
    "accounts:password-reset-done": GET(public()),
    "accounts:password-reset-confirm": GET(public()),
    "accounts:password-reset-complete": GET(public()),
    "set_language": GET(public()),
    "creators:dashboard": GET(signed_in()),
    "creators:start": GET(signed_in()),
    "creators:edit": GET(signed_in()),
    "creators:go-professional": POST(row("denied", anonymous="login", creator="ok", other_creator="ok")),
    "payments:earnings": GET(signed_in()),
    # Non-creators are sent to "become a creator"; creators to Stripe's hosted payout setup.
    "payments:onboarding": GET(signed_in()),
    # The bonus is invitation-only: every bonus page and API answers 404 to anyone but the creator
    # concerned, anonymous included (bonuses/views.py bonus_creator_required), not a login page.
    "bonuses:home": GET(row("denied", creator="ok", other_creator="ok")),
    "bonuses:programme": GET(row("denied", creator="ok")),
    "bonuses:invitation-accept": POST(row("denied", creator="ok")),
    "bonuses:invitation-decline": POST(row("denied", creator="ok")),
    "bonuses:award": GET(row("denied", creator="ok")),
    "bonuses:interest": POST(row("denied", creator="ok", other_creator="ok")),
    # Sellers (minji, sora, the brand member) get their own shop's pages and 404 for minji's objects;
    # users without a shop are redirected to "open a shop" (ok: they see nothing of minji's).
    "shops:dashboard": GET(signed_in()),
    "shops:create": GET(signed_in()),
    "shops:edit": GET(signed_in()),
    "shops:status": POST(signed_in()),
    "shops:product-new": GET(signed_in()),
    "shops:product-edit": GET(signed_in(other_creator="denied", brand="denied")),
    "shops:product-archive": POST(signed_in(other_creator="denied", brand="denied")),
    "shops:variant-add": POST(signed_in(other_creator="denied", brand="denied")),
    "shops:variant-edit": GET(signed_in(other_creator="denied", brand="denied")),
    "shops:image-add": POST(signed_in(other_creator="denied", brand="denied")),
    "shops:orders": GET(signed_in()),
    "shops:order-detail": GET(signed_in(other_creator="denied", brand="denied")),
    "shops:order-ship": POST(signed_in(other_creator="denied", brand="denied")),
    "shops:order-deliver": POST(signed_in(other_creator="denied", brand="denied")),
    "shops:order-refund": POST(signed_in(other_creator="denied", brand="denied")),
    "shops:discounts": GET(signed_in()),
    "shops:product-file": POST(signed_in(other_creator="denied", brand="denied")),
    "shops:sales": GET(signed_in()),
    "shops:sales-chart": GET(signed_in()),
    "marketplace:home": GET(signed_in()),
    "marketplace:brand-create": GET(signed_in()),
    "marketplace:brand-dashboard": GET(row("denied", anonymous="login", brand="ok")),
    "marketplace:brand-logo": POST(row("denied", anonymous="login", brand="ok")),
    "marketplace:discover": GET(row("denied", anonymous="login", brand="ok")),
    "marketplace:list-create": POST(row("denied", anonymous="login", brand="ok")),
    "marketplace:creator-profile": GET(row("denied", anonymous="login", brand="ok")),
    "marketplace:list-add": POST(row("denied", anonymous="login", brand="ok")),
    "marketplace:campaign-new": GET(row("denied", anonymous="login", brand="ok")),
    "marketplace:campaign": GET(signed_in()),
    "marketplace:invitation-accept": GET(signed_in()),
    "marketplace:creator-dashboard": GET(signed_in()),
    "marketplace:listing-edit": GET(row("denied", anonymous="login", creator="ok", other_creator="ok")),
    # Web actions answer a participant without the right role with a message and a redirect (ok);
    # the API rows below say who really may.
    "marketplace:negotiation": GET(row("denied", anonymous="login", creator="ok", brand="ok")),
    "marketplace:negotiation-accept": POST(row("denied", anonymous="login", creator="ok", brand="ok")),
    "marketplace:negotiation-decline": POST(row("denied", anonymous="login", creator="ok", brand="ok")),
    "marketplace:deal": GET(row("denied", anonymous="login", creator="ok", brand="ok")),
    "marketplace:deal-fund": POST(row("denied", anonymous="login", creator="ok", brand="ok")),
    "marketplace:deal-cancel": POST(row("denied", anonymous="login", brand="ok")),
    "marketplace:deal-dispute": POST(row("denied", anonymous="login", creator="ok", brand="ok")),
    "marketplace:deal-rate": POST(row("denied", anonymous="login", creator="ok", brand="ok")),
    "marketplace:deliverable-submit": POST(row("denied", anonymous="login", creator="ok", brand="ok")),
    "marketplace:deliverable-approve": POST(row("denied", anonymous="login", creator="ok", brand="ok")),
    "marketplace:deliverable-revision": POST(row("denied", anonymous="login", creator="ok", brand="ok")),
    "affiliates:dashboard": GET(row("denied", anonymous="login", creator="ok", other_creator="ok")),
    "affiliates:marketplace": GET(row("denied", anonymous="login", creator="ok", other_creator="ok")),
    "affiliates:join": POST(row("denied", anonymous="login", creator="ok", other_creator="ok")),
    "affiliates:leave": POST(row("denied", anonymous="login", creator="ok")),
    "affiliates:seller": GET(row("denied", anonymous="login", creator="ok", other_creator="ok", brand="ok")),
    "affiliates:offer-edit": GET(row("denied", anonymous="login", creator="ok")),
    "affiliates:offer-status": POST(row("denied", anonymous="login", creator="ok")),
    "affiliates:membership-decide": POST(row("denied", anonymous="login", brand="ok")),
    "notifications:list": GET(signed_in()),
    "notifications:read-all": POST(signed_in()),
    "notifications:preferences": GET(signed_in()),
    "notifications:read": POST(only("creator")),
    "affiliate-redirect": GET(public()),
    # Stripe's signature is the authentication: an unsigned call is a 400 for everyone.
    "stripe-webhook": POST(public()),
    "creator-shop": GET(public()),
    "creator-public": GET(public()),
    "shop-storefront": GET(public()),
    "shop-product": GET(public()),
    # Carts and orders: guests have their own session cart; another person's item or order is 404.
    "shop-cart": GET(public()),
    "shop-cart-add": POST(public()),
    "shop-cart-item": POST(row("denied", buyer="ok")),
    "shop-cart-item-remove": POST(row("denied", buyer="ok")),
    "shop-checkout": GET(public()),
    "shop-orders": GET(signed_in()),
    "shop-order": GET(row("denied", buyer="ok")),
    "shop-order-pay": POST(row("denied", buyer="ok")),
    # A signed-in buyer's download link works for that buyer only (a guest's for whoever holds it).
    "shop-download": GET(row("denied", buyer="ok")),
    "api:creators-api:token-obtain": POST(public()),
    "api:creators-api:token-refresh": POST(public()),
    "api:creators-api:logout": POST(signed_in()),
    "api:creators-api:signup": POST(public()),
    "api:creators-api:me": GET(signed_in()),
    "api:creators-api:my-home": GET(row("denied", anonymous="login", creator="ok", other_creator="ok")),
    "api:creators-api:my-posts": GET(row("denied", anonymous="login", creator="ok", other_creator="ok")),
    "api:creators-api:creator-list": GET(public()),
    "api:creators-api:creator-detail": GET(public()),
    # Ingestion takes service tokens only: a person's JWT, even staff's, is refused.
    "api:creators-api:ingest-posts": POST(row("login")),
    "api:creators-api:ingest-followers": POST(row("login")),
    "api:payments-api:my-balances": GET(signed_in()),
    # Everyone signed in has their own money pages (empty for most): nobody sees another's.
    "api:payments-api:my-statement": GET(signed_in()),
    "api:payments-api:my-payouts": GET(signed_in()),
    "api:payments-api:payout-onboarding": POST(
        row("denied", anonymous="login", creator="ok", other_creator="ok")
    ),
    "api:shops-api:product-list": GET(public()),
    "api:shops-api:product-detail": GET(public()),
    "api:shops-api:my-shop": GET(
        row("denied", anonymous="login", creator="ok", other_creator="ok", brand="ok")
    ),
    "api:shops-api:my-product-list": GET(
        row("denied", anonymous="login", creator="ok", other_creator="ok", brand="ok")
    ),
    "api:shops-api:my-product-detail": GET(row("denied", anonymous="login", creator="ok")),
    "api:shops-api:my-variant-create": POST(row("denied", anonymous="login", creator="ok")),
    "api:shops-api:cart": GET(signed_in()),
    "api:shops-api:cart-item-add": POST(signed_in()),
    "api:shops-api:cart-item": PATCH(row("denied", anonymous="login", buyer="ok")),
    "api:shops-api:order-list": GET(signed_in()),
    "api:shops-api:order-detail": GET(row("denied", anonymous="login", buyer="ok")),
    "api:shops-api:order-payment": POST(row("denied", anonymous="login", buyer="ok")),
    "api:shops-api:order-cancel": POST(row("denied", anonymous="login", buyer="ok")),
    "api:shops-api:order-downloads": GET(row("denied", anonymous="login", buyer="ok")),
    "api:shops-api:my-order-list": GET(
        row("denied", anonymous="login", creator="ok", other_creator="ok", brand="ok")
    ),
    "api:shops-api:my-order-detail": GET(row("denied", anonymous="login", creator="ok")),
    "api:shops-api:my-order-ship": POST(row("denied", anonymous="login", creator="ok")),
    "api:shops-api:my-order-deliver": POST(row("denied", anonymous="login", creator="ok")),
    "api:shops-api:my-order-refund": POST(row("denied", anonymous="login", creator="ok")),
    "api:shops-api:my-discount-codes": GET(
        row("denied", anonymous="login", creator="ok", other_creator="ok", brand="ok")
    ),
    "api:bonuses-api:invitation-list": GET(row("denied", creator="ok", other_creator="ok")),
    "api:bonuses-api:invitation-accept": POST(row("denied", creator="ok")),
    "api:bonuses-api:invitation-decline": POST(row("denied", creator="ok")),
    "api:bonuses-api:enrolment-list": GET(row("denied", creator="ok", other_creator="ok")),
    "api:bonuses-api:award-list": GET(row("denied", creator="ok", other_creator="ok")),
    "api:bonuses-api:award-detail": GET(row("denied", creator="ok")),
    "api:bonuses-api:tip-list": GET(row("denied", creator="ok", other_creator="ok")),
    "api:bonuses-api:open-programme-list": GET(row("denied", creator="ok", other_creator="ok")),
    "api:bonuses-api:interest-register": POST(row("denied", creator="ok", other_creator="ok")),
    "api:marketplace-api:brand-list": GET(signed_in()),
    "api:marketplace-api:brand-detail": GET(row("denied", anonymous="login", brand="ok")),
    "api:marketplace-api:brand-logo": POST(row("denied", anonymous="login", brand="ok")),
    "api:marketplace-api:brand-invite": POST(row("denied", anonymous="login", brand="ok")),
    "api:marketplace-api:invitation-accept": POST(row("denied", anonymous="login", buyer="ok")),
    "api:marketplace-api:list-list": GET(row("denied", anonymous="login", brand="ok")),
    "api:marketplace-api:brand-campaigns": GET(row("denied", anonymous="login", brand="ok")),
    "api:marketplace-api:offer-send": POST(row("denied", anonymous="login", brand="ok")),
    "api:marketplace-api:brand-dashboard": GET(row("denied", anonymous="login", brand="ok")),
    "api:marketplace-api:brand-home": GET(row("denied", anonymous="login", brand="ok")),
    "api:marketplace-api:list-entries": POST(row("denied", anonymous="login", brand="ok")),
    "api:marketplace-api:list-entry-delete": DELETE(row("denied", anonymous="login", brand="ok")),
    "api:marketplace-api:my-listing": GET(row("denied", anonymous="login", creator="ok", other_creator="ok")),
    "api:marketplace-api:creator-search": GET(signed_in()),
    "api:marketplace-api:creator-detail": GET(signed_in()),
    "api:marketplace-api:price-stats": GET(signed_in()),
    "api:marketplace-api:campaign-open-list": GET(signed_in()),
    "api:marketplace-api:campaign-detail": GET(signed_in()),
    "api:marketplace-api:campaign-apply": POST(
        row("denied", anonymous="login", creator="ok", other_creator="ok")
    ),
    "api:marketplace-api:negotiation-list": GET(signed_in()),
    "api:marketplace-api:negotiation-detail": GET(row("denied", anonymous="login", creator="ok", brand="ok")),
    "api:marketplace-api:offer-counter": POST(row("denied", anonymous="login", creator="ok", brand="ok")),
    "api:marketplace-api:offer-accept": POST(row("denied", anonymous="login", creator="ok", brand="ok")),
    "api:marketplace-api:offer-decline": POST(row("denied", anonymous="login", creator="ok", brand="ok")),
    "api:marketplace-api:deal-list": GET(signed_in()),
    "api:marketplace-api:deal-detail": GET(row("denied", anonymous="login", creator="ok", brand="ok")),
    "api:marketplace-api:deal-fund": POST(row("denied", anonymous="login", brand="ok")),
    "api:marketplace-api:deal-cancel": POST(row("denied", anonymous="login", brand="ok")),
    "api:marketplace-api:deal-dispute": POST(row("denied", anonymous="login", creator="ok", brand="ok")),
    "api:marketplace-api:deal-messages": GET(row("denied", anonymous="login", creator="ok", brand="ok")),
    "api:marketplace-api:deal-rating": POST(row("denied", anonymous="login", creator="ok", brand="ok")),
    "api:marketplace-api:deliverable-submit": POST(
        row("denied", anonymous="login", creator="ok", brand="ok")
    ),
    "api:marketplace-api:deliverable-approve": POST(row("denied", anonymous="login", brand="ok")),
    "api:marketplace-api:deliverable-revision": POST(
        row("denied", anonymous="login", creator="ok", brand="ok")
    ),
    "api:marketplace-api:creator-dashboard": GET(
        row("denied", anonymous="login", creator="ok", other_creator="ok")
    ),
    "api:affiliates-api:offer-list": GET(row("denied", anonymous="login", creator="ok", other_creator="ok")),
    # minji may not join her own offer (own_offer, 403); sora may.
    "api:affiliates-api:offer-join": POST(row("denied", anonymous="login", other_creator="ok")),
    "api:affiliates-api:my-links": GET(row("denied", anonymous="login", creator="ok", other_creator="ok")),
    "api:affiliates-api:membership-leave": POST(row("denied", anonymous="login", creator="ok")),
    "api:affiliates-api:seller-offer-list": GET(
        row("denied", anonymous="login", creator="ok", other_creator="ok", brand="ok")
    ),
    "api:affiliates-api:seller-offer-detail": PATCH(row("denied", anonymous="login", creator="ok")),
    "api:affiliates-api:seller-membership-list": GET(
        row("denied", anonymous="login", creator="ok", other_creator="ok", brand="ok")
    ),
    "api:affiliates-api:seller-membership-decide": POST(row("denied", anonymous="login", brand="ok")),
    "api:affiliates-api:seller-commission-list": GET(
        row("denied", anonymous="login", creator="ok", other_creator="ok", brand="ok")
    ),
    "api:notifications-api:list": GET(signed_in()),
    "api:notifications-api:read-all": POST(signed_in()),
    "api:notifications-api:preferences": GET(signed_in()),
    "api:notifications-api:read": POST(only("creator")),
    "api:schema": GET(public()),
    "api:docs": GET(public()),
}
