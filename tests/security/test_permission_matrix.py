"""The permission matrix: every URL pattern × every persona, checked against a declared table.

Every route of config.urls (API, web and admin) is found by walking the resolver. Each one needs a
row in tests/security/permission_table.py saying, per method and persona, what should happen:

    ok      2xx, a redirect to a page other than the login page, or a validation answer (400/409/422):
            the caller got past the permission check
    login   a redirect to the login page (web) or 401 (API)
    denied  403, or 404 (an object outside the caller's reach is hidden as not found)
    n/a     not checked (the row says why)

A route without a row fails the test, naming the route: declaring who may call a new URL is part
of adding it. The admin is declared by a rule (ADMIN_RULE): anonymous and non-staff users are sent
to the admin login, staff gets every model's changelist.

The world (tests/security/world.py) is built once per module; each request runs in a savepoint
that is rolled back, so a POST that succeeds (accepting an offer, leaving a programme) cannot change
what the next persona sees.
"""

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.security.permission_table import ADMIN_RULE, STRIPE_ROUTES, TABLE, bodies, kwargs_for, row
from tests.security.world import PERSONAS, World, world_build

PROBE = os.environ.get("PERM_MATRIX_PROBE") == "1"  # print what each route answers (writing rows)
ADMIN_STANDARD_SUFFIXES = ("_changelist", "_add", "_change", "_delete", "_history")
ADMIN_SITE_VIEWS = {
    "index",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "autocomplete",
    "jsi18n",
    "view_on_site",
    "app_list",
}


@dataclass(frozen=True)
class Route:
    key: str  # the namespaced URL name, or the route itself for an unnamed pattern
    route: str
    pattern: URLPattern | None
    name: str | None

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")


def _walk(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            name = f"{namespace}{entry.name}" if entry.name else None
            yield Route(key=name or route, route=route, pattern=entry, name=name)


def all_routes() -> list[Route]:
    routes = {}
    for route in _walk(get_resolver().url_patterns):
        routes.setdefault(route.key, route)  # the first pattern of a name is the one reverse() uses
    return list(routes.values())


def is_ruled_admin(route: Route) -> bool:
    """A route the admin rule covers: the admin site's own views and every ModelAdmin's five."""
    if not route.is_admin:
        return False
    if route.name is None:
        return True  # ModelAdmin's redirects of old-style object urls, the catch-all view
    short = route.name.removeprefix("admin:")
    return short in ADMIN_SITE_VIEWS or short.endswith(ADMIN_STANDARD_SUFFIXES)


ROUTES = all_routes()
DECLARED = [r for r in ROUTES if not is_ruled_admin(r)]
CHANGELISTS = [
    f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist" for model in admin.site._registry
]


# ---------------------------------------------------------------- the world and the clients


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    media = tmp_path_factory.mktemp("perm-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)), transaction.atomic():
        cache.clear()
        built = world_build()
        built.objects["jwt"] = {
            persona: str(RefreshToken.for_user(user).access_token)
            for persona, user in built.users.items()
            if user is not None
        }
        yield built
        transaction.set_rollback(True)


def client_for(world: World, persona: str, *, api: bool) -> Client:
    user = world.users[persona]
    if api:
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.jwt[persona]}")
        return client
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _login_paths() -> set[str]:
    return {reverse("accounts:login"), reverse("admin:login")}


def classify(response) -> str:
    status = response.status_code
    if status == 401:
        return "login"
    if 300 <= status < 400:
        location = urlsplit(response.headers.get("Location", "")).path
        return "login" if location in _login_paths() else "ok"
    if 200 <= status < 300 or status in (400, 409, 415, 422):
        return "ok"
    if status in (403, 404):
        return "denied"
    return f"unexpected {status}"


def call(world: World, route: Route, persona: str, method: str, url: str) -> tuple[str, Any]:
    """One request in a savepoint rolled back afterwards: (outcome class, response)."""
    cache.clear()  # throttles and rate limits: every request starts with a clean slate
    client = client_for(world, persona, api=route.is_api)
    with transaction.atomic():
        try:
            body = bodies(world).get(route.key, {}) if method != "GET" else {}
            send = getattr(client, method.lower())
            if method == "GET":
                response = client.get(url)
            elif route.is_api:
                response = send(url, body, format="json")
            elif method == "POST":
                response = client.post(url, body)
            else:
                response = send(url, body, content_type="application/json")
            outcome = classify(response)
        except Exception as exc:  # a 500: reported as a mismatch that names the exception
            response, outcome = None, f"error {type(exc).__name__}: {exc}"
        transaction.set_rollback(True)
    return outcome, response


def url_of(world: World, route: Route) -> str:
    if route.name is None:
        raise AssertionError(f"{route.route} has no name: only the admin rule may cover unnamed routes")
    params = re.findall(r"<(?:\w+:)?(\w+)>", route.route)
    return reverse(route.name, kwargs=kwargs_for(world, route.name, params))


# ---------------------------------------------------------------- the tests


def test_every_route_has_a_declared_row():
    missing = [f"{r.key}  ({r.route})" for r in DECLARED if r.key not in TABLE]
    assert not missing, (
        "These URL patterns have no row in tests/security/permission_table.py TABLE. Add a row saying "
        "who may call each one (see the module docstring):\n  " + "\n  ".join(missing)
    )
    stale = sorted(set(TABLE) - {r.key for r in DECLARED})
    assert not stale, f"TABLE has rows for URL names that no longer exist: {stale}"


def test_every_admin_route_is_covered_by_the_rule():
    admin_routes = [r for r in ROUTES if r.is_admin]
    assert len(admin_routes) > 5 * len(admin.site._registry)
    assert all(is_ruled_admin(r) or r.key in TABLE for r in admin_routes)
    assert len(CHANGELISTS) == len(admin.site._registry) > 40


@pytest.mark.parametrize("key", [r.key for r in DECLARED], ids=str)
def test_route_answers_as_declared(key, world, db, request):
    route = next(r for r in DECLARED if r.key == key)
    if key in STRIPE_ROUTES:
        request.getfixturevalue("stripe_api")
    row = TABLE.get(key)
    if row is None and PROBE:
        row = {"GET": dict.fromkeys(PERSONAS, "?"), "POST": dict.fromkeys(PERSONAS, "?")}
    if row is None:
        pytest.fail(f"{key} ({route.route}) has no row in tests/security/permission_table.py: add one")
    url = url_of(world, route)
    mismatches, seen = [], {}
    for method, expected in row.items():
        for persona in PERSONAS:
            want = expected[persona]
            if want == "n/a":
                continue
            got, response = call(world, route, persona, method, url)
            seen[(method, persona)] = f"{got} {response.status_code if response is not None else ''}"
            if got != want:
                status = response.status_code if response is not None else "-"
                mismatches.append(f"{method} {url} as {persona}: expected {want}, got {got} ({status})")
            if response is not None and persona != "staff" and not response.streaming:
                leak = world.secrets.leaked_in(response.content.decode(errors="replace"), persona)
                if leak:
                    mismatches.append(f"{method} {url} as {persona}: shows {', '.join(leak)} (not theirs)")
    if PROBE:
        print(f"\nPROBE {key}: {seen}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("changelist", CHANGELISTS, ids=str)
def test_admin_changelist_follows_the_rule(changelist, world, db):
    url = reverse(changelist)
    route = Route(key=changelist, route=url.lstrip("/"), pattern=None, name=changelist)
    got = {persona: call(world, route, persona, "GET", url)[0] for persona in PERSONAS}
    assert got == ADMIN_RULE, f"GET {url}: {got}"


def test_admin_object_pages_follow_the_rule(world, db):
    """The rest of the admin (add, change, delete, history, site views): nobody but staff gets in.

    Outsiders are turned away before any object is looked up, so a made-up object id is enough."""
    mismatches = []
    for route in ROUTES:
        if not is_ruled_admin(route) or route.key in CHANGELISTS:
            continue
        url = "/" + _fill(route.route)
        try:
            resolve(url)
        except Resolver404:
            continue
        for persona in ("anonymous", "creator"):  # changelists check every persona
            got, _response = call(world, route, persona, "GET", url)
            allowed = {"login"} | ({"ok"} if route.name in ("admin:login", "admin:logout") else set())
            if route.name == "admin:jsi18n":
                allowed = {"ok", "login"}  # Django serves the admin's translations to anyone signed in
            if got not in allowed:
                mismatches.append(f"GET {url} as {persona}: got {got}")
    assert not mismatches, "\n".join(mismatches)


def _fill(route: str) -> str:
    """A concrete path for an admin route: every parameter becomes 1 (app_list: an app label)."""
    route = route.replace("^", "").replace("$", "")
    route = re.sub(r"\(\?P<app_label>[^)]*\)", "shops", route)
    route = re.sub(r"\(\?P<url>\.\*\)", "no-such-page/", route)
    return re.sub(r"<(?:\w+:)?\w+>", "1", route)


def test_the_secrets_checked_for_leaks_are_on_the_owners_pages(world, db):
    """The leak check above can fail: the owners' own pages show the very amounts it looks for."""
    pages = [
        ("creator", "payments:earnings", {}, ["bonus award", "pending earnings"]),
        ("creator", "api:bonuses-api:award-detail", {"award_id": world.award.pk}, ["bonus award"]),
        ("brand", "api:marketplace-api:deal-detail", {"deal_id": world.deal.pk}, ["deal amount"]),
        ("buyer", "api:shops-api:order-detail", {"number": world.order.number}, ["order total"]),
    ]
    for persona, name, kwargs, shown in pages:
        url = reverse(name, kwargs=kwargs)
        route = Route(key=name, route=url.lstrip("/"), pattern=None, name=name)
        outcome, response = call(world, route, persona, "GET", url)
        assert outcome == "ok", (name, outcome)
        assert world.secrets.leaked_in(response.content.decode()) == shown, name
        assert world.secrets.leaked_in(response.content.decode(), persona) == [], name


def test_a_brand_shop_order_is_served_to_its_brand_and_hidden_from_the_rest(world, db):
    """Regression: the seller order API re-read the order as ``shop.creator.user``, which a brand's
    shop does not have, so the brand's own sellers got a 500 (found by this matrix)."""
    url = reverse("api:shops-api:my-order-detail", kwargs={"number": world.brand_order.number})
    route = Route(key="api:shops-api:my-order-detail", route=url.lstrip("/"), pattern=None, name=None)
    got = {persona: call(world, route, persona, "GET", url)[0] for persona in PERSONAS}
    assert got == row("denied", anonymous="login", brand="ok")
    _, response = call(world, route, "brand", "GET", url)
    assert response.json()["number"] == world.brand_order.number


def test_shipping_someone_elses_order_is_not_found_whatever_the_body(world, db):
    """Regression: the ship API validated its body before looking the order up, so an outsider got
    a 400 naming the missing fields instead of the 404 every other seller API gives."""
    url = reverse("api:shops-api:my-order-ship", kwargs={"number": world.order.number})
    route = Route(key="api:shops-api:my-order-ship", route=url.lstrip("/"), pattern=None, name=None)
    for persona in ("buyer", "other_creator", "brand", "other_brand", "staff"):
        _, response = call(world, route, persona, "POST", url)
        assert response.status_code == 404, persona
    _, response = call(world, route, "creator", "POST", url)
    assert response.status_code == 400


def test_staff_opens_every_admin_object_page_that_has_an_object(world, db):
    """Staff gets each model's change page for an object of the world; a signed-in non-staff user
    is sent to the admin login for the very same page."""
    checked, mismatches = 0, []
    for model in admin.site._registry:
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            continue
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}_change"
        url = reverse(name, args=[obj.pk])
        route = Route(key=name, route=url.lstrip("/"), pattern=None, name=name)
        got = {persona: call(world, route, persona, "GET", url)[0] for persona in ("creator", "staff")}
        if got != {"creator": "login", "staff": "ok"}:
            mismatches.append(f"GET {url}: {got}")
        checked += 1
    assert checked > 30, checked
    assert not mismatches, "\n".join(mismatches)
