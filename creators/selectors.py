"""Reads for creators and posts. Public reads never show suspended creators."""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest

from common.errors import NotFoundError
from creators.enums import PolicyStanding
from creators.models import CreatorProfile, Post, User


def creator_list_public(
    *, country: str | None = None, niche: str | None = None, format: str | None = None
) -> QuerySet[CreatorProfile]:
    # One filter() call with one condition: each queryset clone costs time on the busiest read.
    condition = ~Q(policy_standing=PolicyStanding.SUSPENDED)
    if country:
        condition &= Q(country=country.upper())
    if niche:
        condition &= Q(niches__has_item=niche.lower())
    if format:
        condition &= Q(Exists(Post.objects.filter(creator=OuterRef("pk"), format=format, is_deleted=False)))
    return CreatorProfile.objects.filter(condition)


PUBLIC_FIELDS = (
    "id",
    "handle",
    "display_name",
    "bio",
    "avatar",
    "country",
    "niches",
    "languages",
    "account_type",
    "followers",
)


def creator_rows_public(
    *, country: str | None = None, niche: str | None = None, format: str | None = None
) -> QuerySet:
    """The public directory as plain rows (dicts): no model instances on the hot path."""
    return creator_list_public(country=country, niche=niche, format=format).values(*PUBLIC_FIELDS)


def creator_get_public(*, handle: str) -> CreatorProfile:
    creator = creator_list_public().filter(handle=handle.lower().lstrip("@")).first()
    if creator is None:
        raise NotFoundError()
    return creator


def creator_get_for_user(*, user: User) -> CreatorProfile | None:
    if not user.is_authenticated:
        return None
    return CreatorProfile.objects.filter(user=user).first()


def post_list_for_creator(*, creator: CreatorProfile, include_deleted: bool = False) -> QuerySet[Post]:
    qs = Post.objects.filter(creator=creator)
    if not include_deleted:
        qs = qs.filter(is_deleted=False)
    return qs.order_by("-published_at", "-id")


def user_from_request(request: HttpRequest) -> User:
    """The signed-in user of a request that a login requirement has already let through."""
    user = request.user
    if not isinstance(user, User):  # AnonymousUser: the view forgot its login requirement
        raise PermissionDenied
    return user
