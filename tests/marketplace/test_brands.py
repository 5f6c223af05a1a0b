"""Brands: owners, managers, invitations by email, staff verification."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from common.errors import ApplicationError, NotFoundError
from marketplace.enums import BrandRole
from marketplace.models import BrandInvitation, BrandMembership
from marketplace.selectors import brand_list_for_user
from marketplace.services.brands import (
    brand_create,
    brand_invitation_accept,
    brand_invitation_create,
    brand_update,
    brand_verify,
)
from tests.conftest import make_user


def test_the_creator_of_a_brand_is_its_owner(owner):
    brand = brand_create(user=owner, name=" Glow Co ", country="us")

    assert (brand.name, brand.country, brand.is_verified) == ("Glow Co", "US", False)
    assert BrandMembership.objects.get(brand=brand).role == BrandRole.OWNER
    assert list(brand_list_for_user(user=owner)) == [brand]


def test_a_brand_needs_a_name_and_a_country_code(owner):
    with pytest.raises(ApplicationError) as error:
        brand_create(user=owner, name="Glow", country="USA")
    assert error.value.code == "invalid_country"
    with pytest.raises(ApplicationError):
        brand_create(user=owner, name="  ", country="US")
    assert not brand_list_for_user(user=owner).exists()


def test_an_owner_invites_by_email_and_the_invitee_joins_with_the_role(
    glow, owner, django_capture_on_commit_callbacks
):
    invitee = make_user("Sam@Glow.example")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = brand_invitation_create(brand=glow, user=owner, email="SAM@glow.example", role="manager")

    assert mail.outbox[-1].to == ["sam@glow.example"]
    assert f"/marketplace/invitations/{invitation.token}/" in mail.outbox[-1].body
    membership = brand_invitation_accept(token=invitation.token, user=invitee)
    assert (membership.brand, membership.role) == (glow, BrandRole.MANAGER)
    assert list(brand_list_for_user(user=invitee)) == [glow]

    with pytest.raises(ApplicationError) as error:
        brand_invitation_accept(token=invitation.token, user=invitee)
    assert error.value.code == "invitation_used"


def test_a_manager_cannot_invite_nor_edit_the_brand(glow, manager):
    with pytest.raises(ApplicationError) as error:
        brand_invitation_create(brand=glow, user=manager, email="x@example.com", role="manager")
    assert (error.value.code, error.value.status_code) == ("role_required", 403)
    with pytest.raises(ApplicationError) as error:
        brand_update(brand=glow, user=manager, name="Hijacked")
    assert error.value.code == "role_required"
    glow.refresh_from_db()
    assert glow.name == "Glow Co"


def test_an_outsider_cannot_even_see_the_brand(glow, outsider):
    with pytest.raises(NotFoundError):
        brand_invitation_create(brand=glow, user=outsider, email="x@example.com", role="manager")


def test_an_invitation_is_for_its_email_only_and_expires(glow, owner, outsider):
    invitation = brand_invitation_create(brand=glow, user=owner, email="sam@glow.example", role="manager")
    with pytest.raises(ApplicationError) as error:
        brand_invitation_accept(token=invitation.token, user=outsider)
    assert error.value.code == "invitation_email_mismatch"

    BrandInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ApplicationError) as error:
        brand_invitation_accept(token=invitation.token, user=make_user("sam@glow.example"))
    assert error.value.code == "invitation_expired"

    with pytest.raises(ApplicationError) as error:
        brand_invitation_accept(token="nope", user=outsider)
    assert error.value.code == "invitation_not_found"


def test_only_staff_verify_a_brand(glow, owner, staff):
    with pytest.raises(ApplicationError) as error:
        brand_verify(brand=glow, staff=owner)
    assert error.value.code == "staff_only"

    brand_verify(brand=glow, staff=staff)
    glow.refresh_from_db()
    assert glow.is_verified and glow.verified_by == staff
