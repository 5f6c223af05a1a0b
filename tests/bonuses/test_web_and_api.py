"""The creator's bonus page and API, and their confidentiality: others get 404 everywhere."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bonuses.enums import InvitationStatus
from bonuses.models import Enrolment
from bonuses.runs import estimates_refresh
from bonuses.services import invitation_create
from tests.bonuses.factories import INVITED_AT, make_formula, make_programme

pytestmark = pytest.mark.django_db


def web_client(client, user):
    if user is not None:
        client.force_login(user)
    return client


# ---------------------------------------------------------------- the creator


def test_the_creator_sees_the_invitation_and_the_terms(client, creator, invitation):
    response = web_client(client, creator.user).get(reverse("bonuses:home"))
    assert response.status_code == 200
    assert invitation.programme.name in response.content.decode()
    terms = client.get(reverse("bonuses:programme", args=[invitation.programme_id])).content.decode()
    assert "per 1,000 views of a reel" in terms and "at most 150 posts" in terms.lower()


def test_the_creator_accepts_on_the_web(client, creator):
    today = timezone.now().date()
    open_programme = make_programme(starts_on=today.replace(day=1), ends_on=today + timedelta(days=60))
    make_formula(open_programme)
    invitation = invitation_create(programme=open_programme, creator=creator, invited_by=None)
    response = web_client(client, creator.user).post(
        reverse("bonuses:invitation-accept", args=[invitation.pk])
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    page = client.get(reverse("bonuses:home")).content.decode()
    assert "Posts you publish from now on count" in page and "formula version 1" in page


def test_accepting_after_the_season_shows_why(client, creator, invitation):
    web_client(client, creator.user).post(reverse("bonuses:invitation-accept", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.INVITED
    assert "season is over" in client.get(reverse("bonuses:home")).content.decode()


def test_the_creator_declines_through_the_api(api_as, creator, invitation):
    response = api_as(creator.user).post(f"/api/v1/bonuses/invitations/{invitation.pk}/decline/")
    assert response.status_code == 200 and response.json()["status"] == "declined"
    again = api_as(creator.user).post(f"/api/v1/bonuses/invitations/{invitation.pk}/decline/")
    assert again.status_code == 400 and again.json()["error"]["code"] == "invitation_answered"


def test_accepting_a_closed_programme_through_the_api_is_a_coded_error(api_as, creator, invitation):
    response = api_as(creator.user).post(f"/api/v1/bonuses/invitations/{invitation.pk}/accept/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "programme_closed"
    assert not Enrolment.objects.exists()


def test_the_award_page_explains_every_post(client, creator, approved_award):
    assert approved_award.amount_minor == 5052
    page = (
        web_client(client, creator.user)
        .get(reverse("bonuses:award", args=[approved_award.pk]))
        .content.decode()
    )
    assert "₩5,052" in page
    assert 'data-post="spring-gone"' in page and 'data-rule="deleted"' in page
    assert "₩4,000" in page  # the carousel's contribution


def test_the_award_api_gives_receipts_that_add_up(api_as, creator, approved_award):
    data = api_as(creator.user).get(f"/api/v1/bonuses/awards/{approved_award.pk}/").json()
    assert data["amount"]["amount_minor"] == 5052
    receipts = {r["post"]: r for r in data["receipts"]}
    assert sum(r["contribution"]["amount_minor"] for r in data["receipts"]) == 5052
    assert receipts["spring-gone"]["counted"] is False
    assert receipts["spring-gone"]["rules"][0]["rule"] == "deleted"
    assert receipts["spring-reel"]["qualified"]["views"] == 12_345


def test_award_list_and_tips(api_as, creator, approved_award, django_assert_max_num_queries):
    client = api_as(creator.user)
    with django_assert_max_num_queries(6):
        listed = client.get("/api/v1/bonuses/awards/").json()
    assert [a["id"] for a in listed["results"]] == [approved_award.pk]
    tips = client.get("/api/v1/bonuses/tips/").json()
    # carousel ₩4,000 / 100,000 views = ₩40 per 1,000; reel 752/12,345 → ₩60; standard 300/10,000 → ₩30
    assert [(t["format"], t["per_thousand_views"]["amount_minor"]) for t in tips] == [
        ("reel", 60),
        ("carousel", 40),
        ("standard", 30),
    ]


def test_enrolled_programmes_show_terms_and_the_estimate(api_as, creator, approved_award):
    from datetime import UTC, datetime

    estimates_refresh(now=datetime(2026, 3, 16, tzinfo=UTC))
    data = api_as(creator.user).get("/api/v1/bonuses/programmes/").json()
    assert len(data) == 1 and data[0]["formula_version"] == 1
    assert any("per 1,000 views" in line for line in data[0]["terms"])


# ---------------------------------------------------------------- everyone else: 404


@pytest.fixture(params=["anonymous", "brand", "other_creator"])
def outsider(request):
    name = request.param
    if name == "anonymous":
        return None
    persona = request.getfixturevalue(name)
    return getattr(persona, "user", persona)


def test_outsiders_get_404_on_every_bonus_page(client, outsider, approved_award, invitation_other):
    client = web_client(client, outsider)
    award, programme_id = approved_award, approved_award.run.programme_id
    urls = [
        reverse("bonuses:award", args=[award.pk]),
        reverse("bonuses:programme", args=[programme_id]),
    ]
    if outsider is None or not hasattr(outsider, "creator_profile"):
        urls.append(reverse("bonuses:home"))
    for url in urls:
        assert client.get(url).status_code == 404, url
    for name in ("bonuses:invitation-accept", "bonuses:invitation-decline"):
        assert client.post(reverse(name, args=[invitation_other.pk])).status_code == 404
        assert client.get(reverse(name, args=[invitation_other.pk])).status_code in (404, 405)
    invitation_other.refresh_from_db()
    assert invitation_other.status == InvitationStatus.INVITED


def test_outsiders_get_404_on_every_bonus_endpoint(
    api_as, anonymous, outsider, approved_award, invitation_other
):
    client = anonymous if outsider is None else api_as(outsider)
    detail = [
        ("get", f"/api/v1/bonuses/awards/{approved_award.pk}/"),
        ("post", f"/api/v1/bonuses/invitations/{invitation_other.pk}/accept/"),
        ("post", f"/api/v1/bonuses/invitations/{invitation_other.pk}/decline/"),
    ]
    lists = [
        "/api/v1/bonuses/invitations/",
        "/api/v1/bonuses/programmes/",
        "/api/v1/bonuses/awards/",
        "/api/v1/bonuses/tips/",
    ]
    for method, url in detail:
        response = getattr(client, method)(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"
    for url in lists:
        response = client.get(url)
        if outsider is None or not hasattr(outsider, "creator_profile"):
            assert response.status_code == 404, url
        else:  # another creator sees their own (empty) bonus lists, never minji's
            assert response.status_code == 200
            assert "spring" not in response.content.decode() and str(approved_award.pk) not in str(
                response.json()
            )


def test_another_creators_own_page_shows_nothing_of_minji(client, other_creator, approved_award):
    page = web_client(client, other_creator.user).get(reverse("bonuses:home")).content.decode()
    assert "5,052" not in page and approved_award.run.programme.name not in page


@pytest.fixture
def invitation_other(programme, creator):
    """A second, unanswered invitation of minji's, to another programme: targets for outsiders."""
    other = make_programme()
    make_formula(other)
    return invitation_create(programme=other, creator=creator, invited_by=None, now=INVITED_AT)


def test_anonymous_visitors_get_404_not_a_login_page(client):
    assert client.get(reverse("bonuses:home")).status_code == 404
    assert client.get(reverse("bonuses:invitation-accept", args=[1])).status_code == 404  # not even a 405


# ---------------------------------------------------------------- open programmes and the waiting list


@pytest.fixture
def open_programme(db):
    today = timezone.now().date()
    programme = make_programme(
        starts_on=today.replace(day=1),
        ends_on=today + timedelta(days=60),
        public_description="For food creators.",
    )
    make_formula(programme)
    return programme


def test_a_creator_not_invited_sees_the_public_description_never_amounts(
    api_as, other_creator, open_programme
):
    data = api_as(other_creator.user).get("/api/v1/bonuses/open-programmes/").json()
    assert [p["name"] for p in data] == [open_programme.name]
    assert data[0]["description"] == "For food creators." and data[0]["countries"] == ["KR", "JP", "US"]
    text = str(data)
    assert "50" not in text.replace(str(open_programme.pk), "")  # no rate anywhere


def test_registering_interest_puts_the_creator_on_the_waiting_list(
    client, api_as, other_creator, open_programme
):
    url = f"/api/v1/bonuses/open-programmes/{open_programme.pk}/interest/"
    assert api_as(other_creator.user).post(url).status_code == 201
    assert api_as(other_creator.user).post(url).status_code == 201  # idempotent
    assert open_programme.interests.get().creator == other_creator
    page = web_client(client, other_creator.user).get(reverse("bonuses:home")).content.decode()
    assert "You registered your interest." in page


def test_registering_interest_on_the_web(client, other_creator, open_programme):
    client = web_client(client, other_creator.user)
    response = client.post(reverse("bonuses:interest", args=[open_programme.pk]))
    assert response.status_code == 302 and open_programme.interests.filter(creator=other_creator).exists()


def test_an_invited_creator_does_not_register_interest(api_as, creator, open_programme):
    invitation_create(programme=open_programme, creator=creator, invited_by=None)
    response = api_as(creator.user).post(f"/api/v1/bonuses/open-programmes/{open_programme.pk}/interest/")
    assert response.status_code == 400 and response.json()["error"]["code"] == "already_invited"


def test_interest_in_a_closed_programme_is_404(api_as, other_creator, programme):
    response = api_as(other_creator.user).post(f"/api/v1/bonuses/open-programmes/{programme.pk}/interest/")
    assert response.status_code == 404


def test_brands_and_anonymous_visitors_get_404_on_open_programmes(api_as, anonymous, brand, open_programme):
    for client in (anonymous, api_as(brand)):
        assert client.get("/api/v1/bonuses/open-programmes/").status_code == 404
        assert (
            client.post(f"/api/v1/bonuses/open-programmes/{open_programme.pk}/interest/").status_code == 404
        )


def test_the_bonus_page_shows_this_periods_estimate_and_progress(client, api_as, creator, open_programme):
    from bonuses.services import invitation_accept
    from tests.bonuses.factories import ingest

    invitation = invitation_create(programme=open_programme, creator=creator, invited_by=None)
    invitation_accept(invitation_id=invitation.pk, creator=creator)
    published = timezone.now() + timedelta(seconds=1)
    ingest(creator, {"views": 10_000, "published_at": published, "observed_at": published})
    estimates_refresh(now=published + timedelta(seconds=1))
    page = web_client(client, creator.user).get(reverse("bonuses:home")).content.decode()
    assert "Approximate" in page and "1 / 150" in page and "₩500" in page  # earned so far: 10,000 x 50 / 1000
    estimate = api_as(creator.user).get("/api/v1/bonuses/programmes/").json()[0]["estimate"]
    assert estimate["earned_so_far"]["amount_minor"] == 500 and estimate["posts_counted"] == 1
    assert estimate["approximate"]["amount_minor"] >= 500


def test_pool_terms_in_plain_language(programme):
    from bonuses.enums import FundingMode
    from bonuses.selectors import terms_plain

    pool_programme = make_programme(funding_mode=FundingMode.POOL)
    version = make_formula(
        pool_programme, branded_multiplier_bps=0, caps={"JPY": {"post": None, "creator": 9000}}
    )
    lines = terms_plain(programme=pool_programme, version=version, country="JP")
    text = " ".join(lines)
    assert (
        "50 points per 1,000 views of a reel" in text
        and "30 points per 1,000 views of a standard post" in text
    )
    assert "Branded (paid partnership) posts do not count." in text
    assert "You earn at most ￥9,000 a month." in text or "You earn at most ¥9,000 a month." in text
