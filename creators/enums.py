from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountType(models.TextChoices):
    PERSONAL = "personal", _("Personal")
    PROFESSIONAL = "professional", _("Professional")


class PolicyStanding(models.TextChoices):
    GOOD = "good", _("Good")
    WARNED = "warned", _("Warned")
    RESTRICTED = "restricted", _("Restricted")
    SUSPENDED = "suspended", _("Suspended")


class StandingEventKind(models.TextChoices):
    STRIKE = "strike", _("Strike")
    SUSPEND = "suspend", _("Suspension")
    RESTORE = "restore", _("Restore")


class PostFormat(models.TextChoices):
    REEL = "reel", _("Reel")
    CAROUSEL = "carousel", _("Carousel")
    STANDARD = "standard", _("Standard post")


class Niche(models.TextChoices):
    ART = "art", _("Art & design")
    BEAUTY = "beauty", _("Beauty")
    COMEDY = "comedy", _("Comedy")
    EDUCATION = "education", _("Education")
    FASHION = "fashion", _("Fashion")
    FINANCE = "finance", _("Finance")
    FITNESS = "fitness", _("Fitness")
    FOOD = "food", _("Food")
    GAMING = "gaming", _("Gaming")
    LIFESTYLE = "lifestyle", _("Lifestyle")
    MUSIC = "music", _("Music")
    PARENTING = "parenting", _("Parenting")
    PETS = "pets", _("Pets")
    SPORTS = "sports", _("Sports")
    TECH = "tech", _("Technology")
    TRAVEL = "travel", _("Travel")


# Strikes escalate standing: a first strike warns, a second restricts, a third suspends.
STANDING_AFTER_STRIKES = {1: PolicyStanding.WARNED, 2: PolicyStanding.RESTRICTED}
STRIKES_TO_SUSPEND = 3

COUNTER_FIELDS = ("views", "likes", "comments", "shares", "saves", "reach", "invalid_views")
