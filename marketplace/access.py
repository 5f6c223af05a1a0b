"""Who may act for a brand, and on which side of a negotiation or deal a user stands.

Outsiders get NotFoundError (404), as if the object did not exist; a brand member whose role is
not enough gets ``role_required`` (403): they can see the object, so hiding it would confuse.
"""

from collections.abc import Collection

from django.utils.translation import gettext as _

from common.errors import ApplicationError, NotFoundError
from creators.models import User
from marketplace.enums import BrandRole, Side
from marketplace.models import Brand, BrandMembership, Deal, Negotiation

ANY_ROLE: Collection[str] = frozenset(BrandRole.values)
OWNER_ONLY: Collection[str] = frozenset({BrandRole.OWNER})


def brand_role_of(*, brand: Brand, user: User) -> str | None:
    if not user.is_authenticated:
        return None
    return BrandMembership.objects.filter(brand=brand, user=user).values_list("role", flat=True).first()


def brand_member_require(*, brand: Brand, user: User, roles: Collection[str] = ANY_ROLE) -> str:
    """The user's role in the brand; NotFoundError for outsiders, ``role_required`` for a weaker role."""
    role = brand_role_of(brand=brand, user=user)
    if role is None:
        raise NotFoundError()
    if role not in roles:
        raise ApplicationError(_("Only a brand owner can do this."), code="role_required", status_code=403)
    return role


def side_of(*, obj: Deal | Negotiation, user: User) -> str:
    """BRAND or CREATOR for a participant; NotFoundError for anyone else."""
    if not user.is_authenticated:
        raise NotFoundError()
    if obj.creator.user_id == user.pk:
        return Side.CREATOR
    if brand_role_of(brand=obj.brand, user=user) is not None:
        return Side.BRAND
    raise NotFoundError()
