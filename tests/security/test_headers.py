"""Security headers on every kind of answer, a Content-Security-Policy without inline exceptions,
and templates that need none."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from common.security import content_security_policy
from tests.conftest import api_client_for

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def assert_secure_headers(response) -> None:
    for header, value in EXPECTED.items():
        assert response.get(header) == value, f"{header}: {response.get(header)!r}"
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no nonces
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["form-action"][0] == "'self'"


@pytest.mark.django_db
def test_a_public_web_page_sends_every_header(client):
    assert_secure_headers(client.get("/"))


@pytest.mark.django_db
def test_a_signed_in_page_and_an_error_page_send_them_too(client, creator):
    client.force_login(creator.user)
    assert_secure_headers(client.get(reverse("creators:dashboard")))
    assert_secure_headers(client.get("/no-such-page/"))


@pytest.mark.django_db
def test_an_api_response_sends_every_header(creator):
    assert_secure_headers(api_client_for(creator.user).get("/api/v1/me/"))
    assert_secure_headers(api_client_for(creator.user).get("/api/v1/no-such-endpoint/"))


@pytest.mark.django_db
def test_the_admin_sends_every_header(client, staff):
    client.force_login(staff)
    assert_secure_headers(client.get("/admin/"))
    assert_secure_headers(client.get(reverse("admin:creators_user_change", args=[staff.pk])))


@pytest.mark.django_db
def test_a_rate_limited_answer_sends_them_too(client, settings):
    settings.RATELIMIT_PASSWORD_RESET = "1/m"
    url = reverse("accounts:password-reset")
    client.post(url, {"email": "x@example.com"})
    limited = client.post(url, {"email": "x@example.com"})
    assert limited.status_code == 429
    assert_secure_headers(limited)


def test_forms_may_go_to_stripes_hosted_pages_and_nowhere_else(settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111/"
    settings.STRIPE_HOSTED_ORIGINS = []
    assert "form-action 'self' http://127.0.0.1:12111;" in content_security_policy()

    settings.STRIPE_API_BASE = "https://api.stripe.com"
    settings.STRIPE_HOSTED_ORIGINS = ["https://checkout.stripe.com", "https://connect.stripe.com"]
    assert (
        "form-action 'self' https://api.stripe.com https://checkout.stripe.com https://connect.stripe.com;"
        in content_security_policy()
    )


@pytest.mark.django_db
def test_the_policy_can_be_switched_off_or_to_report_only(client, settings):
    settings.SECURITY_CSP_REPORT_ONLY = True
    response = client.get("/")
    assert "Content-Security-Policy" not in response
    assert "script-src 'self'" in response["Content-Security-Policy-Report-Only"]

    settings.SECURITY_CSP_ENABLED = False
    response = client.get("/")
    assert "Content-Security-Policy" not in response and "Content-Security-Policy-Report-Only" not in response
    assert response["X-Frame-Options"] == "DENY"  # the other headers stay


@pytest.mark.django_db
def test_the_api_docs_load_their_start_up_script_from_a_file(client):
    page = client.get("/api/v1/docs/")
    html = page.content.decode()
    assert_secure_headers(page)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline <script> in the docs page"
    assert "<style" not in html
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1).replace("&amp;", "&")
    script = client.get(script_url)
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


# ---------------------------------------------------------------- the templates themselves

TEMPLATE_DIRS = [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]
INLINE = {
    "an inline <script> (move it to static/js)": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "an on…= event handler (use addEventListener in static/js)": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
    'a style="" attribute (use a class in static/css)': re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "a <style> block (move it to static/css)": re.compile(r"<style[\s>]", re.I),
}


def test_no_template_needs_an_inline_exception_to_the_policy():
    templates = [
        path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html") if ".venv" not in path.parts
    ]
    assert len(templates) > 50  # the scan found the project's templates
    problems = [
        f"{path.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}: {what}"
        for path in templates
        for text in [path.read_text()]
        for what, pattern in INLINE.items()
        for match in pattern.finditer(text)
    ]
    assert problems == []
