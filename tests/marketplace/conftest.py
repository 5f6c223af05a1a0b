"""Marketplace personas: a brand with an owner and a manager, a listed creator, an outsider."""

import pytest

from marketplace.search_cache import search_cache_clear_local
from marketplace.services.brands import brand_invitation_accept, brand_invitation_create
from tests.conftest import make_user
from tests.marketplace.factories import make_brand, make_listing


@pytest.fixture
def owner(brand):
    """The `brand` persona of tests/conftest.py, as the owner of a brand."""
    return brand


@pytest.fixture
def glow(owner):
    return make_brand(owner, name="Glow Co")


@pytest.fixture
def manager(glow, owner):
    user = make_user("manager@glow.example", display_name="Manager")
    invitation = brand_invitation_create(brand=glow, user=owner, email=user.email, role="manager")
    brand_invitation_accept(token=invitation.token, user=user)
    return user


@pytest.fixture
def outsider(db):
    return make_user("outsider@example.com", display_name="Outsider")


@pytest.fixture
def listed(creator):
    """The `creator` persona (KR), listed with a rate card in USD."""
    make_listing(creator, currency="USD")
    return creator


@pytest.fixture(autouse=True)
def _fresh_search_cache():
    """The shared cache is cleared between tests (tests/conftest.py); so are this process's copies."""
    search_cache_clear_local()
    yield
    search_cache_clear_local()
