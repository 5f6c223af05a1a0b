"""Bonus vocabulary: funding modes, statuses, qualification rules and error codes."""

from enum import StrEnum
from typing import Final

from django.db import models
from django.utils.translation import gettext_lazy as _

# The pilot countries and the currency a bonus is paid in there. A programme's countries
# must come from this table: a pool or a rate in another currency is refused.
COUNTRY_CURRENCIES: Final = {"KR": "KRW", "JP": "JPY", "US": "USD"}
DEFAULT_COUNTRIES: Final = ["KR", "JP", "US"]
DEFAULT_MAX_POSTS: Final = 150
DEFAULT_BRANDED_MULTIPLIER_BPS: Final = 5_000
DEFAULT_NOTICE_DAYS: Final = 30
DEFAULT_CHUNK_SIZE: Final = 500
# Rate and weight keys besides the formats (whose rates are per 1,000 views).
ACTION_KEYS: Final = ("like", "comment", "share")


class FundingMode(models.TextChoices):
    RATE_CARD = "rate_card", _("Rate card")
    POOL = "pool", _("Pool")


class InvitationStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class InvitationSource(models.TextChoices):
    ADMIN = "admin", _("Invited by staff")
    RULE = "rule", _("Programme rule")


class RunStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COMPUTING = "computing", _("Computing")
    COMPUTED = "computed", _("Computed")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class ChunkStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")


class Rule(StrEnum):
    """Qualification and cap rules, recorded on each receipt line in the order they applied."""

    DELETED = "deleted"
    FORMAT_NOT_COUNTED = "format_not_counted"
    OUTSIDE_PERIOD = "outside_period"
    BEFORE_ENROLMENT = "before_enrolment"
    INVALID_VIEWS_REMOVED = "invalid_views_removed"
    LIKES_CAPPED = "likes_capped_to_views"
    COMMENTS_CAPPED = "comments_capped_to_views"
    SHARES_CAPPED = "shares_capped_to_views"
    BRANDED_EXCLUDED = "branded_excluded"
    BRANDED_MULTIPLIER = "branded_multiplier"
    POST_LIMIT = "post_limit"
    POST_CAP = "post_cap"
    CREATOR_CAP = "creator_cap"


# What each rule means, in the words the creator reads on a receipt.
RULE_TEXT: Final = {
    Rule.DELETED: _("The post was deleted: it does not count."),
    Rule.FORMAT_NOT_COUNTED: _("This format is not counted by the programme."),
    Rule.OUTSIDE_PERIOD: _("Published outside this period."),
    Rule.BEFORE_ENROLMENT: _("Published before you accepted the invitation."),
    Rule.INVALID_VIEWS_REMOVED: _("Views flagged invalid by the content platform were removed."),
    Rule.LIKES_CAPPED: _("Likes above the number of valid views were not counted."),
    Rule.COMMENTS_CAPPED: _("Comments above the number of valid views were not counted."),
    Rule.SHARES_CAPPED: _("Shares above the number of valid views were not counted."),
    Rule.BRANDED_EXCLUDED: _("Branded posts are not counted by this programme."),
    Rule.BRANDED_MULTIPLIER: _("Branded post: its value was multiplied by the branded multiplier."),
    Rule.POST_LIMIT: _("Beyond the maximum number of posts counted in a period."),
    Rule.POST_CAP: _("The post reached the cap per post."),
    Rule.CREATOR_CAP: _("Your total reached the cap per creator for the period."),
}


class Ineligible(StrEnum):
    """Why a creator earns nothing for a period (checked again at computation)."""

    NOT_PROFESSIONAL = "not_professional"
    STANDING = "policy_standing"
    FOLLOWERS = "too_few_followers"
    NOT_ADULT = "not_adult"
    COUNTRY = "country_not_in_programme"


INELIGIBLE_TEXT: Final = {
    Ineligible.NOT_PROFESSIONAL: _("The programme is for professional accounts."),
    Ineligible.STANDING: _("Your account was restricted or suspended during the period."),
    Ineligible.FOLLOWERS: _("You had fewer followers than the programme requires."),
    Ineligible.NOT_ADULT: _("The programme is for creators aged 18 or over."),
    Ineligible.COUNTRY: _("Your country is not part of the programme."),
}
