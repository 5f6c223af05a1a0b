from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from creators.enums import COUNTER_FIELDS, AccountType, Niche, PolicyStanding, PostFormat, StandingEventKind

HANDLE_PATTERN = r"^[a-z0-9](?:[a-z0-9._]{1,28}[a-z0-9])$"
handle_validator = RegexValidator(
    HANDLE_PATTERN,
    _("3 to 30 lowercase letters, digits, dots or underscores; starting and ending with a letter or digit."),
    code="invalid_handle",
)
country_validator = RegexValidator(
    r"^[A-Z]{2}$", _("Use a two-letter ISO country code."), code="invalid_country"
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone is a buyer; a creator profile makes a creator; brand membership a brand member."""

    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    country = models.CharField(_("country"), max_length=2, blank=True, validators=[country_validator])
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []  # Django reads it as a class attribute; email is the username

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    @property
    def is_creator(self) -> bool:
        return hasattr(self, "creator_profile")


class CreatorProfile(TimeStampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="creator_profile"
    )
    handle = models.CharField(_("handle"), max_length=30, unique=True, validators=[handle_validator])
    display_name = models.CharField(_("display name"), max_length=80)
    bio = models.TextField(_("bio"), max_length=500, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="avatars/%Y/%m/", blank=True)
    country = models.CharField(_("country"), max_length=2, validators=[country_validator], db_index=True)
    niches = models.JSONField(_("niches"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    account_type = models.CharField(
        _("account type"), max_length=16, choices=AccountType.choices, default=AccountType.PERSONAL
    )
    age_attested_at = models.DateTimeField(_("18+ attested at"), null=True, blank=True)
    policy_standing = models.CharField(
        _("policy standing"), max_length=16, choices=PolicyStanding.choices, default=PolicyStanding.GOOD
    )
    followers = models.BigIntegerField(_("followers"), default=0)
    followers_observed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-followers", "id"]
        indexes = [
            models.Index(fields=["country", "-followers", "id"], name="creator_country_followers"),
            models.Index(fields=["-followers", "id"], name="creator_followers"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(followers__gte=0), name="creator_followers_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.handle}"

    @property
    def niche_labels(self) -> list[str]:
        labels = dict(Niche.choices)
        return [str(labels.get(niche, niche)) for niche in self.niches]

    @property
    def is_professional(self) -> bool:
        return self.account_type == AccountType.PROFESSIONAL

    @property
    def is_adult(self) -> bool:
        return self.age_attested_at is not None

    @property
    def is_suspended(self) -> bool:
        return self.policy_standing == PolicyStanding.SUSPENDED


class StandingEvent(models.Model):
    """Append-only history of a creator's policy standing: strikes, suspensions, restorations."""

    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="standing_events")
    kind = models.CharField(max_length=16, choices=StandingEventKind.choices)
    reason = models.CharField(max_length=300)
    standing_before = models.CharField(max_length=16, choices=PolicyStanding.choices)
    standing_after = models.CharField(max_length=16, choices=PolicyStanding.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.creator} {self.kind}: {self.standing_before} → {self.standing_after}"


class Post(TimeStampedModel):
    """A post on the content platform, with its latest cumulative counters.

    Counters only ever go up: each is the maximum of every snapshot received, so a late or
    lower snapshot never lowers them (see creators/ingestion.py).
    """

    # No index of its own: (creator, published_at) and (creator, format) lead with it.
    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.PROTECT, related_name="posts", db_index=False
    )
    external_id = models.CharField(max_length=64, unique=True)
    format = models.CharField(max_length=16, choices=PostFormat.choices)
    published_at = models.DateTimeField()
    caption = models.TextField(blank=True, max_length=2200)
    is_branded = models.BooleanField(default=False)
    is_deleted = models.BooleanField(default=False)
    views = models.BigIntegerField(default=0)
    likes = models.BigIntegerField(default=0)
    comments = models.BigIntegerField(default=0)
    shares = models.BigIntegerField(default=0)
    saves = models.BigIntegerField(default=0)
    reach = models.BigIntegerField(default=0)
    invalid_views = models.BigIntegerField(default=0)
    metrics_observed_at = models.DateTimeField(null=True, blank=True)
    # Inherited, but not indexed here: posts are listed by publication, and every index
    # slows ingestion, the hottest write path.
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["creator", "-published_at"], name="post_creator_published"),
            models.Index(fields=["creator", "format"], name="post_creator_format"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(**{f"{name}__gte": 0 for name in COUNTER_FIELDS}),
                name="post_counters_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.format})"

    @property
    def engagement(self) -> int:
        return self.likes + self.comments + self.shares

    @property
    def engagement_rate_bps(self) -> int | None:
        """(likes + comments + shares) / views, in basis points; None without views."""
        return (self.engagement * 10_000) // self.views if self.views else None


class MetricSnapshot(models.Model):
    """One observation of a post's counters, as received. History; never rewritten."""

    # No index of its own: the unique (post, observed_at) constraint leads with it.
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="snapshots", db_index=False)
    observed_at = models.DateTimeField()
    views = models.BigIntegerField()
    likes = models.BigIntegerField()
    comments = models.BigIntegerField()
    shares = models.BigIntegerField()
    saves = models.BigIntegerField(default=0)
    reach = models.BigIntegerField(default=0)
    invalid_views = models.BigIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-observed_at"]
        constraints = [
            models.UniqueConstraint(fields=["post", "observed_at"], name="snapshot_post_observed_unique"),
            models.CheckConstraint(
                condition=models.Q(**{f"{name}__gte": 0 for name in COUNTER_FIELDS}),
                name="snapshot_counters_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post_id}@{self.observed_at:%Y-%m-%d %H:%M}"


class FollowerSnapshot(models.Model):
    """One observation of a creator's follower count. The newest observation wins."""

    creator = models.ForeignKey(CreatorProfile, on_delete=models.CASCADE, related_name="follower_snapshots")
    observed_at = models.DateTimeField()
    followers = models.BigIntegerField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-observed_at"]
        constraints = [
            models.UniqueConstraint(fields=["creator", "observed_at"], name="follower_snapshot_unique"),
            models.CheckConstraint(
                condition=models.Q(followers__gte=0), name="follower_snapshot_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator_id}@{self.observed_at:%Y-%m-%d}: {self.followers}"


class ServiceToken(models.Model):
    """A credential for machine clients (the ingestion pipeline). Only its hash is stored."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text=_("The first characters, to recognise a token."))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
