"""Writes for accounts, creator profiles, standing and service tokens."""

import hashlib
import secrets
from collections.abc import Sequence

from babel import Locale
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from creators.avatars import avatar_validate
from creators.directory_cache import directory_invalidate
from creators.enums import (
    STANDING_AFTER_STRIKES,
    STRIKES_TO_SUSPEND,
    AccountType,
    Niche,
    PolicyStanding,
    StandingEventKind,
)
from creators.models import CreatorProfile, ServiceToken, StandingEvent, User, handle_validator

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}
SERVICE_TOKEN_PREFIX = "svc_"  # noqa: S105  a label, not a secret


# ISO 3166-1 alpha-2 codes, from Babel's territory list without its pseudo-regions.
COUNTRY_CODES = frozenset(
    str(code)
    for code in Locale("en").territories
    if isinstance(code, str)
    and len(code) == 2
    and code.isalpha()
    and code not in {"ZZ", "EU", "EZ", "QO", "UN", "XA", "XB"}
)


def _validated_country(country: str) -> str:
    country = (country or "").strip().upper()
    if country not in COUNTRY_CODES:
        message = _("Unknown country code: use two letters, such as JP or US.")
        raise ApplicationError(message, code="invalid_country", fields={"country": [message]})
    return country


# ---------------------------------------------------------------- accounts


@transaction.atomic
def user_create(
    *, email: str, password: str, display_name: str = "", preferred_language: str = "en", country: str = ""
) -> User:
    """Sign a person up. Everyone starts as a buyer; becoming a creator is a separate step."""
    email = User.objects.normalize_email(email.strip()).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError(
            _("An account with this email already exists."),
            code="email_taken",
            fields={"email": [_("An account with this email already exists.")]},
        )
    user = User(email=email, display_name=display_name.strip(), preferred_language=preferred_language)
    if country:
        user.country = _validated_country(country)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ApplicationError(
            _("Choose a stronger password."), code="weak_password", fields={"password": list(exc.messages)}
        ) from exc
    user.set_password(password)
    try:
        user.save()
    except IntegrityError as exc:  # two sign-ups racing for the same address
        raise ApplicationError(_("An account with this email already exists."), code="email_taken") from exc
    return user


def user_update(
    *,
    user: User,
    display_name: str | None = None,
    preferred_language: str | None = None,
    country: str | None = None,
) -> User:
    fields: list[str] = []
    if display_name is not None:
        user.display_name = display_name.strip()[:80]
        fields.append("display_name")
    if preferred_language is not None:
        if preferred_language not in LANGUAGE_CODES:
            raise ApplicationError(
                _("Unsupported language."),
                code="invalid_language",
                fields={"preferred_language": [preferred_language]},
            )
        user.preferred_language = preferred_language
        fields.append("preferred_language")
    if country is not None:
        user.country = _validated_country(country) if country else ""
        fields.append("country")
    if fields:
        user.save(update_fields=fields)
    return user


# ---------------------------------------------------------------- creator profiles


def _validated_handle(handle: str, *, exclude_pk: int | None = None) -> str:
    handle = (handle or "").strip().lstrip("@").lower()
    try:
        handle_validator(handle)
    except ValidationError as exc:
        raise ApplicationError(
            exc.messages[0], code="invalid_handle", fields={"handle": exc.messages}
        ) from exc
    taken = CreatorProfile.objects.filter(handle=handle)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ApplicationError(
            _("This handle is taken."), code="handle_taken", fields={"handle": [_("This handle is taken.")]}
        )
    return handle


def _validated_choices(values: Sequence[str], allowed: set[str], *, name: str) -> list[str]:
    cleaned = list(dict.fromkeys(v.strip().lower() for v in values if v and v.strip()))
    unknown = [v for v in cleaned if v not in allowed]
    if unknown:
        message = _("Unknown values: %(values)s") % {"values": ", ".join(unknown)}
        raise ApplicationError(message, code=f"invalid_{name}", fields={name: [message]})
    return cleaned


@transaction.atomic
def creator_become(
    *,
    user: User,
    handle: str,
    display_name: str,
    country: str,
    is_adult: bool,
    bio: str = "",
    niches: Sequence[str] = (),
    languages: Sequence[str] = (),
    avatar: UploadedFile | None = None,
) -> CreatorProfile:
    """Give a user a creator profile. The handle is theirs from then on."""
    if CreatorProfile.objects.filter(user=user).exists():
        raise ApplicationError(_("You already have a creator profile."), code="already_creator")
    profile = CreatorProfile(
        user=user,
        handle=_validated_handle(handle),
        display_name=(display_name or user.display_name or handle).strip()[:80],
        bio=(bio or "").strip()[:500],
        country=_validated_country(country),
        niches=_validated_choices(niches, set(Niche.values), name="niches"),
        languages=_validated_choices(languages, LANGUAGE_CODES | _extra_languages(), name="languages"),
        age_attested_at=timezone.now() if is_adult else None,
    )
    if avatar is not None:
        profile.avatar = avatar_validate(upload=avatar)
    try:
        with transaction.atomic():
            profile.save()
    except IntegrityError as exc:  # the handle was taken between the check and the insert
        raise ApplicationError(_("This handle is taken."), code="handle_taken") from exc
    transaction.on_commit(directory_invalidate)
    return profile


def _extra_languages() -> set[str]:
    # Creators speak more languages than the interface is translated into.
    return {"de", "es", "it", "pt", "zh", "hi", "ar", "id", "th", "vi", "tr", "nl", "pl", "sv", "ru"}


def creator_update(
    *,
    creator: CreatorProfile,
    display_name: str | None = None,
    bio: str | None = None,
    country: str | None = None,
    niches: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    avatar: UploadedFile | None = None,
    is_adult: bool | None = None,
) -> CreatorProfile:
    fields: list[str] = ["updated_at"]
    if display_name is not None:
        creator.display_name = display_name.strip()[:80] or creator.handle
        fields.append("display_name")
    if bio is not None:
        creator.bio = bio.strip()[:500]
        fields.append("bio")
    if country is not None:
        creator.country = _validated_country(country)
        fields.append("country")
    if niches is not None:
        creator.niches = _validated_choices(niches, set(Niche.values), name="niches")
        fields.append("niches")
    if languages is not None:
        creator.languages = _validated_choices(
            languages, LANGUAGE_CODES | _extra_languages(), name="languages"
        )
        fields.append("languages")
    if avatar is not None:
        creator.avatar = avatar_validate(upload=avatar)
        fields.append("avatar")
    if is_adult and creator.age_attested_at is None:
        creator.age_attested_at = timezone.now()
        fields.append("age_attested_at")
    creator.save(update_fields=fields)
    transaction.on_commit(directory_invalidate)
    return creator


def creator_switch_to_professional(*, creator: CreatorProfile) -> CreatorProfile:
    """Professional accounts are what bonus programmes and brand deals require."""
    if creator.is_professional:
        return creator
    if creator.age_attested_at is None:
        raise ApplicationError(
            _("Professional accounts are for creators aged 18 or over."), code="age_not_attested"
        )
    if creator.is_suspended:
        raise ApplicationError(
            _("A suspended account cannot switch to professional."), code="creator_suspended"
        )
    creator.account_type = AccountType.PROFESSIONAL
    creator.save(update_fields=["account_type", "updated_at"])
    transaction.on_commit(directory_invalidate)
    return creator


# ---------------------------------------------------------------- standing (staff)


def _standing_change(
    *, creator: CreatorProfile, kind: str, after: str, actor: User, reason: str
) -> StandingEvent:
    if not actor.is_staff:
        raise ApplicationError(
            _("Only staff can change a creator's standing."), code="permission_denied", status_code=403
        )
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give a reason; the creator will see it."), code="reason_required")
    event = StandingEvent.objects.create(
        creator=creator,
        kind=kind,
        reason=reason[:300],
        standing_before=creator.policy_standing,
        standing_after=after,
        actor=actor,
    )
    creator.policy_standing = after
    creator.save(update_fields=["policy_standing", "updated_at"])
    # A suspended creator must leave the public directory now, not when the cache expires.
    transaction.on_commit(directory_invalidate)
    return event


@transaction.atomic
def creator_strike_add(*, creator: CreatorProfile, actor: User, reason: str) -> StandingEvent:
    """Record a strike. Strikes escalate: warned, then restricted, then suspended."""
    creator = CreatorProfile.objects.select_for_update().get(pk=creator.pk)
    strikes = creator.standing_events.filter(kind=StandingEventKind.STRIKE).count() + 1
    after = (
        PolicyStanding.SUSPENDED
        if strikes >= STRIKES_TO_SUSPEND
        else max(STANDING_AFTER_STRIKES[strikes], creator.policy_standing, key=_severity)
    )
    return _standing_change(
        creator=creator, kind=StandingEventKind.STRIKE, after=after, actor=actor, reason=reason
    )


@transaction.atomic
def creator_suspend(*, creator: CreatorProfile, actor: User, reason: str) -> StandingEvent:
    creator = CreatorProfile.objects.select_for_update().get(pk=creator.pk)
    if creator.is_suspended:
        raise ApplicationError(_("This creator is already suspended."), code="already_suspended")
    return _standing_change(
        creator=creator,
        kind=StandingEventKind.SUSPEND,
        after=PolicyStanding.SUSPENDED,
        actor=actor,
        reason=reason,
    )


@transaction.atomic
def creator_restore(*, creator: CreatorProfile, actor: User, reason: str) -> StandingEvent:
    """Back to good standing. Past strikes stay in the history."""
    creator = CreatorProfile.objects.select_for_update().get(pk=creator.pk)
    if creator.policy_standing == PolicyStanding.GOOD:
        raise ApplicationError(_("This creator is already in good standing."), code="already_good")
    return _standing_change(
        creator=creator, kind=StandingEventKind.RESTORE, after=PolicyStanding.GOOD, actor=actor, reason=reason
    )


def _severity(standing: str) -> int:
    return list(PolicyStanding.values).index(standing)


# ---------------------------------------------------------------- service tokens


def service_token_hash(raw: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(raw.encode()).hexdigest()


def service_token_create(*, name: str, created_by: User) -> tuple[ServiceToken, str]:
    """Create a token and return it with its raw value, which is shown once and never stored."""
    if not created_by.is_staff:
        raise ApplicationError(
            _("Only staff can create service tokens."), code="permission_denied", status_code=403
        )
    raw = SERVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ServiceToken.objects.create(
        name=name.strip() or "ingestion",
        prefix=raw[:12],
        token_hash=service_token_hash(raw),
        created_by=created_by,
    )
    return token, raw


def service_token_revoke(*, token: ServiceToken) -> ServiceToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
