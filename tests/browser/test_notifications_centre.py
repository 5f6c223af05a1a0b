"""In a real Chromium: the badge in the navigation, the notification centre, opening one."""

import pytest

from tests.browser.conftest import screenshot, session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_badge_leads_to_the_notification_and_clears_when_it_is_opened(
    page, live_server, notified, creator
):
    notified(creator.user, n=2)
    page.context.add_cookies([session_cookie(live_server, creator.user)])

    page.goto("/dashboard/")
    nav_link = page.locator("a.nav-notifications")
    assert nav_link.inner_text().split() == ["Notifications", "2", "unread"]
    nav_link.click()

    assert page.get_by_text("New order N1: $25.00").is_visible()
    screenshot(page, "notifications-list")
    page.get_by_role("button", name="Open").first.click()
    page.wait_for_url("**/dashboard/shop/**")

    page.goto("/notifications/")
    assert page.locator("a.nav-notifications").inner_text().split() == ["Notifications", "1", "unread"]
    page.get_by_role("button", name="Mark all as read").click()
    assert page.locator("a.nav-notifications").inner_text().strip() == "Notifications"
