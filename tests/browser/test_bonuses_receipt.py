"""A creator accepts a bonus invitation, posts are ingested, the run is approved, the receipt is read."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bonuses.models import Award
from bonuses.runs import run_approve, run_compute, run_compute_all, run_create
from bonuses.selectors import current_period
from bonuses.services import formula_version_create, invitation_create, programme_create
from creators.ingestion import posts_ingest
from creators.models import User
from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD, make_creator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_creator_accepts_an_invitation_and_opens_a_receipt(page):
    creator = make_creator("yuna.bonus", country="US")
    staff = User.objects.create_superuser("boss@example.com", PASSWORD)
    today = timezone.now().date()
    programme = programme_create(
        name="Spring bonus",
        slug="spring",
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=40),
    )
    formula_version_create(
        programme=programme,
        rates={
            "USD": {"reel": 50, "carousel": 40, "standard": 30, "like": 1, "comment": 2, "share": 3},
            "KRW": {"reel": 50},
            "JPY": {"reel": 50},
        },
        published_at=timezone.now() - timedelta(days=2),
    )
    invitation_create(programme=programme, creator=creator, invited_by=staff)

    # the creator signs in, reads the invitation and accepts it
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(creator.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/dashboard/bonus/")
    assert page.get_by_text("Spring bonus").first.is_visible()
    page.get_by_role("link", name="Read the terms").click()
    assert page.get_by_text("per 1,000 views of a reel").is_visible()
    page.get_by_role("button", name="Accept").click()
    assert page.get_by_text("Posts you publish from now on count").is_visible()

    # posts are ingested from the content platform after the acceptance
    published = timezone.now() + timedelta(seconds=1)
    report = posts_ingest(
        rows=[
            {
                "external_id": "yuna-reel-1",
                "creator": creator.handle,
                "format": "reel",
                "published_at": published.isoformat(),
                "observed_at": (published + timedelta(seconds=1)).isoformat(),
                "views": 20_000,
                "likes": 300,
                "comments": 12,
                "shares": 4,
                "invalid_views": 2_000,
            }
        ]
    )
    assert report.rejected == 0

    # staff compute and approve the run (18,000 x 50 / 1000 = 900 + 300 + 24 + 12 = 1,236 cents)
    run = run_create(period=current_period(programme=programme, now=published))
    run_compute(run=run)
    run_compute_all(run_id=run.pk)
    run_approve(run=run, actor=staff)
    assert Award.objects.get(run=run).amount_minor == 1236

    page.goto("/dashboard/bonus/")
    page.get_by_role("link", name="Receipt").click()
    assert page.locator("#award-amount").inner_text() == "$12.36"
    row = page.locator('tr[data-post="yuna-reel-1"]')
    assert row.locator('[data-rule="invalid_views_removed"]').is_visible()
    assert "$12.36" in row.inner_text()
    screenshot(page, "bonus-receipt")
