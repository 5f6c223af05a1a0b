"""Bonus programmes, formula versions, periods, invitations, enrolments, runs, awards and receipts.

Fields and constraints only; every write goes through bonuses.services and bonuses.runs.
Money is integer minor units in the currency of the creator's country (enums.COUNTRY_CURRENCIES).
Exact formula values (``value``, ``score``) are integers scaled by formula.SCALE and kept in
NUMERIC columns: they are never rounded, so a receipt can be recomputed to the minor unit.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from bonuses.enums import (
    DEFAULT_BRANDED_MULTIPLIER_BPS,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_POSTS,
    DEFAULT_NOTICE_DAYS,
    ChunkStatus,
    FundingMode,
    InvitationSource,
    InvitationStatus,
    RunStatus,
)
from common.models import TimeStampedModel
from common.money import Money
from creators.models import CreatorProfile, Post


def _default_countries() -> list[str]:
    return ["KR", "JP", "US"]


def _default_formats() -> list[str]:
    return ["reel", "carousel", "standard"]


class Programme(TimeStampedModel):
    """A bonus programme: who it is for, when it runs and how it is funded."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    public_description = models.TextField(
        _("public description"), blank=True, help_text=_("Who it is for and how it pays. Never amounts.")
    )
    starts_on = models.DateField(_("season starts"))
    ends_on = models.DateField(_("season ends"))
    countries = models.JSONField(_("countries"), default=_default_countries)
    formats = models.JSONField(_("formats counted"), default=_default_formats)
    invitation_only = models.BooleanField(_("invitation only"), default=True)
    funding_mode = models.CharField(
        _("funding"), max_length=16, choices=FundingMode.choices, default=FundingMode.RATE_CARD
    )
    # Eligibility rules, checked when inviting, when accepting and again at computation.
    require_professional = models.BooleanField(_("professional accounts only"), default=True)
    require_good_standing = models.BooleanField(_("good policy standing only"), default=True)
    require_adult = models.BooleanField(_("18+ only"), default=True)
    min_followers = models.BigIntegerField(_("minimum followers"), default=0)
    notice_days = models.PositiveIntegerField(
        _("notice period for new formulas (days)"), default=DEFAULT_NOTICE_DAYS
    )
    auto_invite = models.BooleanField(
        _("invite every eligible creator"), default=False, help_text=_("Applied daily by a rule.")
    )

    class Meta:
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="programme_window_ordered"),
            models.CheckConstraint(
                condition=Q(min_followers__gte=0), name="programme_min_followers_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(funding_mode__in=FundingMode.values), name="programme_funding_mode_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FormulaVersion(models.Model):
    """The numbers of a programme's formula. Immutable once used (``locked_at``).

    ``rates`` (rate card, minor units per currency): {"USD": {"reel": 50, "carousel": 40,
    "standard": 30, "like": 1, "comment": 2, "share": 3}} — a format key is per 1,000
    qualified views, the others per qualified action. ``weights`` (pool): the same keys in
    points, currency-free. ``caps``: {"USD": {"post": 5000, "creator": 200000}}, either may be
    null (no cap).
    """

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="formula_versions")
    number = models.PositiveIntegerField()
    rates = models.JSONField(default=dict, blank=True)
    weights = models.JSONField(default=dict, blank=True)
    caps = models.JSONField(default=dict, blank=True)
    branded_multiplier_bps = models.PositiveIntegerField(default=DEFAULT_BRANDED_MULTIPLIER_BPS)
    max_posts = models.PositiveIntegerField(default=DEFAULT_MAX_POSTS)
    published_at = models.DateTimeField(
        help_text=_("When creators were told; the notice period counts from here.")
    )
    locked_at = models.DateTimeField(null=True, blank=True, help_text=_("First used: never changes again."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["programme", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="formula_version_number_unique"),
            models.CheckConstraint(
                condition=Q(branded_multiplier_bps__lte=10_000), name="formula_branded_multiplier_max_100pct"
            ),
            models.CheckConstraint(condition=Q(max_posts__gte=1), name="formula_max_posts_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.programme} v{self.number}"


class Period(models.Model):
    """A month (or part of one) of a programme's season; each is computed by one run."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="periods")
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["programme", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "starts_on"], name="period_start_unique"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="period_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.starts_on:%Y-%m-%d}…{self.ends_on:%Y-%m-%d}"


class PoolBudget(models.Model):
    """The fixed amount a pool programme shares among a country's creators for one period."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="pool_budgets")
    country = models.CharField(max_length=2)
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()

    class Meta:
        ordering = ["period", "country"]
        constraints = [
            models.UniqueConstraint(fields=["period", "country"], name="pool_budget_unique"),
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="pool_budget_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.country}: {self.amount_minor} {self.currency}"


class Invitation(TimeStampedModel):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="invitations")
    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="bonus_invitations")
    status = models.CharField(
        max_length=16, choices=InvitationStatus.choices, default=InvitationStatus.INVITED
    )
    source = models.CharField(max_length=16, choices=InvitationSource.choices, default=InvitationSource.ADMIN)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "creator"], name="invitation_once_per_creator"),
        ]

    def __str__(self) -> str:
        return f"{self.creator} → {self.programme} ({self.status})"


class Interest(models.Model):
    """A creator not (yet) invited who registered interest in an open programme: the waiting list."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="interests")
    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="bonus_interests")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["programme", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "creator"], name="interest_once_per_creator"),
        ]

    def __str__(self) -> str:
        return f"{self.creator} interested in {self.programme}"


class Enrolment(models.Model):
    """An accepted invitation: the creator's posts published from ``enrolled_at`` count."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="enrolments")
    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="bonus_enrolments")
    invitation = models.OneToOneField(Invitation, on_delete=models.PROTECT, related_name="enrolment")
    formula_version = models.ForeignKey(
        FormulaVersion,
        on_delete=models.PROTECT,
        related_name="enrolments",
        help_text=_("Pinned at enrolment."),
    )
    enrolled_at = models.DateTimeField()

    class Meta:
        ordering = ["programme", "creator_id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "creator"], name="enrolment_once_per_creator"),
        ]

    def __str__(self) -> str:
        return f"{self.creator} in {self.programme}"


class Run(TimeStampedModel):
    """The computation of one period's awards: draft → computing → computed → approved → paid."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="runs")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.DRAFT)
    # The newest formula version when the run was created: a newer one means the run is stale.
    formula_version = models.ForeignKey(FormulaVersion, on_delete=models.PROTECT, related_name="runs")
    chunk_size = models.PositiveIntegerField(default=DEFAULT_CHUNK_SIZE)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    computed_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    totals = models.JSONField(default=dict, blank=True, help_text=_("Amount awarded per currency."))

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live run per period: a correction cancels (reverses) the old run first.
            models.UniqueConstraint(
                fields=["period"], condition=~Q(status=RunStatus.CANCELLED), name="run_one_live_per_period"
            ),
            models.CheckConstraint(
                condition=Q(chunks_done__lte=F("chunks_total")), name="run_chunks_done_le_total"
            ),
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="run_status_valid"),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.period} ({self.status})"

    @property
    def progress_text(self) -> str:
        return f"{self.chunks_done}/{self.chunks_total}"


class RunChunk(models.Model):
    """A slice of a run's creators (by creator id) that any worker can claim and compute."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    creator_ids = models.JSONField(help_text=_("The enrolled creators this chunk computes, ascending."))
    status = models.CharField(max_length=16, choices=ChunkStatus.choices, default=ChunkStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="run_chunk_index_unique")]
        indexes = [
            models.Index(
                fields=["run", "index"], condition=Q(status=ChunkStatus.PENDING), name="run_chunk_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.index} ({self.status})"


class Award(models.Model):
    """What one creator earned in one run, with how it was reached (``details``)."""

    # A run writes 100,000 awards, each into every index, and rewrites them all once at the pool
    # split: only the indexes something reads are kept. The run is found through the unique
    # (run, creator) below, which leads with it. Nothing looks awards up by enrolment or formula
    # version, and neither is ever deleted (PROTECT, versions are immutable once used): no index
    # of their own. The table keeps half of each page free (fillfactor, migration 0004) so that
    # the pool split's rewrite of every row stays in place. The four references are checked, and
    # their rows locked, once per INSERT by a statement trigger, not by four deferred foreign-key
    # checks per award at commit (db_constraint=False; migration 0005 has both triggers).
    run = models.ForeignKey(
        Run, on_delete=models.PROTECT, related_name="awards", db_index=False, db_constraint=False
    )
    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.PROTECT, related_name="bonus_awards", db_constraint=False
    )
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.PROTECT, related_name="awards", db_index=False, db_constraint=False
    )
    formula_version = models.ForeignKey(
        FormulaVersion, on_delete=models.PROTECT, related_name="awards", db_index=False, db_constraint=False
    )
    country = models.CharField(max_length=2)
    currency = models.CharField(max_length=3)
    eligible = models.BooleanField(default=True)
    ineligible_reason = models.CharField(max_length=40, blank=True)
    posts_considered = models.PositiveIntegerField(default=0)
    posts_counted = models.PositiveIntegerField(default=0)
    score = models.DecimalField(
        max_digits=40,
        decimal_places=0,
        default=0,
        help_text=_("Sum of counted post values, after post caps."),
    )
    amount_minor = models.BigIntegerField(default=0)
    cap_minor = models.BigIntegerField(
        null=True, blank=True, help_text=_("The most this creator could earn.")
    )
    pool_total_minor = models.BigIntegerField(null=True, blank=True)
    pool_score_total = models.DecimalField(max_digits=40, decimal_places=0, null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ledger_transaction = models.OneToOneField(
        "payments.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bonus_award",
    )
    reversal = models.OneToOneField(
        "payments.LedgerTransaction", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["run", "creator_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "creator"], name="award_once_per_run"),
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="award_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(eligible=True) | Q(amount_minor=0), name="award_ineligible_earns_nothing"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator} {self.amount_minor} {self.currency} (run {self.run_id})"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class Receipt(models.Model):
    """One post's line on an award: raw and qualified counters, the rules applied, its value."""

    # A run writes a million receipts, each into every index and, with a foreign key, each
    # checked against its award and its post (a lookup and a row lock per key at commit: 40% of
    # a chunk's time). So no index of their own (the unique (award, post) below leads with award)
    # and no constraint in the database (db_constraint=False); integrity holds without them:
    # - a receipt is written only by the run, in the transaction that inserts its award (the
    #   id comes from that insert) and from the post it has just read;
    # - a receipt goes with its award: runs._awards_delete deletes the receipts first, and
    #   Django's CASCADE below still deletes them with an award deleted through the ORM;
    # - posts are never deleted, only marked (Post.is_deleted), and Django's PROTECT below
    #   still refuses to delete a post that a receipt explains.
    award = models.ForeignKey(
        Award, on_delete=models.CASCADE, related_name="receipts", db_index=False, db_constraint=False
    )
    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    format = models.CharField(max_length=16)
    counted = models.BooleanField()
    views = models.BigIntegerField()
    likes = models.BigIntegerField()
    comments = models.BigIntegerField()
    shares = models.BigIntegerField()
    invalid_views = models.BigIntegerField()
    q_views = models.BigIntegerField()
    q_likes = models.BigIntegerField()
    q_comments = models.BigIntegerField()
    q_shares = models.BigIntegerField()
    multiplier_bps = models.PositiveIntegerField()
    uncapped_value = models.DecimalField(max_digits=40, decimal_places=0)
    value = models.DecimalField(max_digits=40, decimal_places=0)
    rules = models.JSONField(default=list)

    class Meta:
        ordering = ["award", "id"]
        constraints = [
            models.UniqueConstraint(fields=["award", "post"], name="receipt_post_once_per_award"),
            models.CheckConstraint(
                condition=Q(value__lte=F("uncapped_value")), name="receipt_cap_only_lowers"
            ),
            models.CheckConstraint(
                condition=Q(q_views__lte=F("views")), name="receipt_qualified_views_le_raw"
            ),
        ]

    def __str__(self) -> str:
        return f"post {self.post_id} on award {self.award_id}"


class Estimate(models.Model):
    """The daily provisional figure for an enrolled creator in the running period."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="estimates")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="estimates")
    currency = models.CharField(max_length=3)
    approximate_minor = models.BigIntegerField()
    maximum_minor = models.BigIntegerField(null=True, blank=True)
    earned_so_far_minor = models.BigIntegerField(default=0)
    posts_counted = models.PositiveIntegerField(default=0)
    max_posts = models.PositiveIntegerField(default=DEFAULT_MAX_POSTS)
    computed_at = models.DateTimeField()
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-computed_at"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "period"], name="estimate_one_per_period"),
            models.CheckConstraint(condition=Q(approximate_minor__gte=0), name="estimate_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment} ≈{self.approximate_minor} {self.currency}"

    @property
    def approximate(self) -> Money:
        return Money(self.approximate_minor, self.currency)

    @property
    def maximum(self) -> Money | None:
        return None if self.maximum_minor is None else Money(self.maximum_minor, self.currency)

    @property
    def earned_so_far(self) -> Money:
        return Money(self.earned_so_far_minor, self.currency)


class InvitableCreator(CreatorProfile):
    """Creators as staff see them when inviting to a programme (an admin list with filters)."""

    class Meta:
        proxy = True
        verbose_name = _("creator to invite")
        verbose_name_plural = _("creators to invite")
