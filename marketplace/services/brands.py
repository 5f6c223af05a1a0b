"""Brands: profiles, members and invitations, and staff verification."""

import secrets

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from common.images import image_reencode
from creators.models import User
from marketplace.access import OWNER_ONLY, brand_member_require
from marketplace.enums import INVITATION_LIFETIME, BrandRole
from marketplace.models import Brand, BrandInvitation, BrandMembership

BRAND_FIELDS = ("name", "website", "country", "industry")
LOGO_MAX_SIDE = 512


def _brand_fields_clean(fields: dict) -> dict:
    cleaned = {key: value for key, value in fields.items() if key in BRAND_FIELDS}
    if "name" in cleaned:
        cleaned["name"] = (cleaned["name"] or "").strip()
        if not cleaned["name"]:
            raise ApplicationError(
                _("A brand needs a name."), code="invalid", fields={"name": [_("Required.")]}
            )
    if "country" in cleaned:
        country = (cleaned["country"] or "").strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise ApplicationError(
                _("Use a two-letter ISO country code."),
                code="invalid_country",
                fields={"country": [_("Invalid.")]},
            )
        cleaned["country"] = country
    return cleaned


@transaction.atomic
def brand_create(*, user: User, name: str, country: str, website: str = "", industry: str = "") -> Brand:
    """Create a brand with ``user`` as its owner. Unverified until staff verify it."""
    fields = _brand_fields_clean({"name": name, "country": country, "website": website, "industry": industry})
    brand = Brand.objects.create(**fields)
    BrandMembership.objects.create(brand=brand, user=user, role=BrandRole.OWNER)
    return brand


@transaction.atomic
def brand_update(*, brand: Brand, user: User, **fields: str) -> Brand:
    """Owners edit the brand profile (``role_required`` for managers)."""
    brand_member_require(brand=brand, user=user, roles=OWNER_ONLY)
    cleaned = _brand_fields_clean(fields)
    for key, value in cleaned.items():
        setattr(brand, key, value)
    brand.save(update_fields=[*cleaned, "updated_at"])
    return brand


@transaction.atomic
def brand_logo_set(*, brand: Brand, user: User, upload: UploadedFile) -> Brand:
    """Owners upload the brand's logo: validated, at most 512 px, re-encoded (common.images).

    Refuses anything that is not an image (``invalid_image``) and managers (``role_required``).
    The previous file is deleted once the new one is saved.
    """
    brand_member_require(brand=brand, user=user, roles=OWNER_ONLY)
    content = image_reencode(upload=upload, max_side=LOGO_MAX_SIDE, field="logo", name="logo.jpg")
    previous = brand.logo.name
    brand.logo.save(content.name or "logo.jpg", content, save=False)
    brand.save(update_fields=["logo", "updated_at"])
    if previous:
        storage = brand.logo.storage
        transaction.on_commit(lambda: storage.delete(previous))
    return brand


@transaction.atomic
def brand_verify(*, brand: Brand, staff: User) -> Brand:
    """Staff vouch for the brand (shown as a badge). Idempotent: the first verification stands."""
    if not staff.is_staff:
        raise ApplicationError(_("Only staff verify brands."), code="staff_only", status_code=403)
    locked = Brand.objects.select_for_update().get(pk=brand.pk)
    if locked.verified_at is None:
        locked.verified_at, locked.verified_by = timezone.now(), staff
        locked.save(update_fields=["verified_at", "verified_by", "updated_at"])
    brand.verified_at, brand.verified_by = locked.verified_at, locked.verified_by
    return locked


@transaction.atomic
def brand_invitation_create(*, brand: Brand, user: User, email: str, role: str) -> BrandInvitation:
    """An owner invites someone by email; the link in the email accepts it (owners only)."""
    brand_member_require(brand=brand, user=user, roles=OWNER_ONLY)
    email = email.strip().lower()
    if "@" not in email:
        raise ApplicationError(
            _("Enter a valid email address."), code="invalid", fields={"email": [_("Invalid.")]}
        )
    if role not in BrandRole.values:
        raise ApplicationError(_("Unknown role."), code="invalid_role", fields={"role": [_("Invalid.")]})
    if BrandMembership.objects.filter(brand=brand, user__email__iexact=email).exists():
        raise ApplicationError(_("%(email)s is already a member.") % {"email": email}, code="already_member")
    invitation = BrandInvitation.objects.create(
        brand=brand,
        email=email,
        role=role,
        token=secrets.token_urlsafe(32),
        invited_by=user,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    from marketplace.notifications import invitation_send

    transaction.on_commit(lambda: invitation_send(invitation_id=invitation.pk))
    return invitation


@transaction.atomic
def brand_invitation_accept(*, token: str, user: User) -> BrandMembership:
    """The invited person (signed in with the invited email) joins the brand with the role given.

    Refuses an unknown token (``invitation_not_found``, 404), one already used
    (``invitation_used``), expired (``invitation_expired``), or addressed to another email
    (``invitation_email_mismatch``).
    """
    invitation = BrandInvitation.objects.select_for_update().filter(token=token).first()
    if invitation is None:
        raise ApplicationError(
            _("This invitation does not exist."), code="invitation_not_found", status_code=404
        )
    if invitation.accepted_at is not None:
        raise ApplicationError(_("This invitation has already been used."), code="invitation_used")
    if invitation.expires_at <= timezone.now():
        raise ApplicationError(_("This invitation has expired."), code="invitation_expired")
    if invitation.email != user.email.lower():
        raise ApplicationError(
            _("This invitation was sent to another email address."),
            code="invitation_email_mismatch",
            status_code=403,
        )
    try:
        with transaction.atomic():
            membership = BrandMembership.objects.create(
                brand=invitation.brand, user=user, role=invitation.role
            )
    except IntegrityError:
        raise ApplicationError(_("You are already a member of this brand."), code="already_member") from None
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    return membership
