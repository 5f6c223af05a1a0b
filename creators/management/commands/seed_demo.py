"""Demo data for `make run`: safe to run any number of times (it only adds what is missing)."""

import random
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from affiliates.models import Offer
from affiliates.services import membership_join, offer_create
from bonuses.models import Programme
from bonuses.services import formula_version_create, invitation_accept, invitation_create, programme_create
from creators.demo import demo_populate, demo_posts_for
from creators.models import CreatorProfile, Post, User
from creators.services import creator_become, creator_switch_to_professional, user_create
from marketplace.demo import demo_brand_home_seed
from marketplace.models import Brand, Listing
from marketplace.services.brands import brand_create, brand_verify
from marketplace.services.listings import listing_upsert, listings_measure_all
from shops.demo import demo_shop_seed

# A demo product's price per country, in minor units: $24.00, ¥2,400, ₩32,000, €22.00.
DEMO_PRICES = {"US": ("USD", 2400), "JP": ("JPY", 2400), "KR": ("KRW", 32000), "FR": ("EUR", 2200)}
DEMO_PASSWORD = "demo-password-123"  # noqa: S105  printed for the person running the demo; demo only
DEMO_PEOPLE = [
    # email, name, language, country, handle, niches
    ("minji@demo.example", "Min-ji", "ko", "KR", "minji.makes", ["beauty", "lifestyle"]),
    ("sora@demo.example", "Sora", "ja", "JP", "sora_cooks", ["food", "travel"]),
    ("alex@demo.example", "Alex", "en", "US", "alex.fits", ["fitness", "sports"]),
    ("lea@demo.example", "Léa", "fr", "FR", "lea.dessine", ["art", "education"]),
]


class Command(BaseCommand):
    help = "Load demo data once: staff and creator accounts you can log in with, plus generated creators."

    def add_arguments(self, parser):
        parser.add_argument("--creators", type=int, default=200, help="How many generated creators to add.")
        parser.add_argument("--posts", type=int, default=20, help="Posts per generated creator.")

    def handle(self, *args, creators: int, posts: int, **options):
        # The demo's order emails leave on commit, through Celery (eager here): silence them all,
        # or they would flood the console of `make run`.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            self._load(creators=creators, posts=posts)

    @transaction.atomic
    def _load(self, *, creators: int, posts: int) -> None:
        if not User.objects.filter(email="staff@demo.example").exists():
            User.objects.create_superuser("staff@demo.example", DEMO_PASSWORD, display_name="Staff")
        for email, name, language, country, handle, niches in DEMO_PEOPLE:
            if User.objects.filter(email=email).exists():
                continue
            user = user_create(
                email=email,
                password=DEMO_PASSWORD,
                display_name=name,
                preferred_language=language,
                country=country,
            )
            profile = creator_become(
                user=user,
                handle=handle,
                display_name=name,
                country=country,
                is_adult=True,
                niches=niches,
                languages=[language],
                bio=f"{name} — demo creator.",
            )
            creator_switch_to_professional(creator=profile)
        generated = (
            CreatorProfile.objects.filter(user__email__endswith="@demo.example")
            .exclude(user__email__in=[p[0] for p in DEMO_PEOPLE])
            .count()
        )
        if generated < creators:
            demo_populate(creators=creators - generated, posts_per_creator=posts, start=generated)
        self._seed_posts_for_named_creators(posts)
        self._seed_earnings()
        self._seed_affiliates_and_marketplace()
        self._seed_bonus_programme()
        self._seed_homes()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready. Log in as staff@demo.example or minji@demo.example "
                f"with password {DEMO_PASSWORD}"
            )
        )

    def _seed_earnings(self) -> None:
        """A shop per named creator with real orders (shops.demo), so the storefront, the seller's
        orders and the Earnings page (pending and available money) have something to show."""
        buyer, _created = User.objects.get_or_create(
            email="buyer@demo.example", defaults={"display_name": "Demo buyer"}
        )
        for _email, _name, _lang, country, handle, _niches in DEMO_PEOPLE:
            currency, unit = DEMO_PRICES[country]
            profile = CreatorProfile.objects.get(handle=handle)
            demo_shop_seed(profile=profile, currency=currency, unit_minor=unit, buyer=buyer)

    def _seed_affiliates_and_marketplace(self) -> None:
        """Each demo shop offers 15% to affiliates (Sora promotes Min-ji's shop, Alex Léa's); the
        named creators are listed in the marketplace, where a verified demo brand looks for them."""
        profiles = {handle: CreatorProfile.objects.get(handle=handle) for *_rest, handle, _n in DEMO_PEOPLE}
        for profile in profiles.values():
            shop = profile.shops.first()
            if shop is not None and not shop.affiliate_offers.exists():
                offer_create(shop=shop, rate_bps=1500, description="15% on everything in my shop.")
        for promoter, seller in (("sora_cooks", "minji.makes"), ("alex.fits", "lea.dessine")):
            offer = Offer.objects.filter(shop__creator=profiles[seller]).first()
            if offer is not None:
                membership_join(offer=offer, affiliate=profiles[promoter])
        for _email, _name, _lang, country, handle, niches in DEMO_PEOPLE:
            currency, unit = DEMO_PRICES[country]
            if not Listing.objects.filter(creator=profiles[handle]).exists():
                listing_upsert(
                    creator=profiles[handle],
                    currency=currency,
                    rates={"reel": unit * 20, "carousel": unit * 12, "standard": unit * 8},
                    niches=niches,
                    languages=profiles[handle].languages,
                    audience_countries=[country],
                )
        listings_measure_all()
        brand_user, created = User.objects.get_or_create(
            email="brand@demo.example", defaults={"display_name": "Glow Labs team"}
        )
        if created:
            brand_user.set_password(DEMO_PASSWORD)
            brand_user.save(update_fields=["password"])
            brand = brand_create(user=brand_user, name="Glow Labs", country="US", industry="beauty")
            brand_verify(brand=brand, staff=User.objects.get(email="staff@demo.example"))

    def _seed_homes(self) -> None:
        """Deals, a campaign and affiliate sales (marketplace.demo), so that the creator home of
        Min-ji and the brand home of Glow Labs show money from several sources and things to do."""
        owner = User.objects.get(email="brand@demo.example")
        brand = Brand.objects.filter(memberships__user=owner).first()
        if brand is not None:
            demo_brand_home_seed(
                brand=brand,
                owner=owner,
                minji=CreatorProfile.objects.get(handle="minji.makes"),
                alex=CreatorProfile.objects.get(handle="alex.fits"),
            )

    def _seed_bonus_programme(self) -> None:
        """The spring bonus pilot, running now: Min-ji (Seoul) has accepted her invitation, Sora
        (Tokyo) and Alex (Austin) have theirs waiting on their bonus page."""
        if Programme.objects.filter(slug="spring-bonus-pilot").exists():
            return
        today = timezone.now().date()
        programme = programme_create(
            name="Spring bonus pilot",
            slug="spring-bonus-pilot",
            starts_on=today.replace(day=1),
            ends_on=(today.replace(day=1) + timedelta(days=95)).replace(day=1) - timedelta(days=1),
            public_description="Paid on the engagement of your reels, carousels and posts. By invitation.",
        )
        formula_version_create(
            programme=programme,
            rates={
                "USD": {"reel": 50, "carousel": 40, "standard": 30, "like": 1, "comment": 2, "share": 3},
                "JPY": {"reel": 70, "carousel": 55, "standard": 40, "like": 1, "comment": 3, "share": 4},
                "KRW": {
                    "reel": 700,
                    "carousel": 550,
                    "standard": 400,
                    "like": 10,
                    "comment": 30,
                    "share": 40,
                },
            },
            published_at=timezone.now() - timedelta(days=1),
        )
        staff = User.objects.get(email="staff@demo.example")
        for handle in ("minji.makes", "sora_cooks", "alex.fits"):
            creator = CreatorProfile.objects.get(handle=handle)
            invitation = invitation_create(programme=programme, creator=creator, invited_by=staff)
            if handle == "minji.makes":
                invitation_accept(invitation_id=invitation.pk, creator=creator)

    def _seed_posts_for_named_creators(self, posts: int) -> None:
        now = timezone.now()
        for _email, _name, _lang, _country, handle, _niches in DEMO_PEOPLE:
            profile = CreatorProfile.objects.get(handle=handle)
            if profile.posts.exists():
                continue
            profile.followers = 12_000
            profile.save(update_fields=["followers"])
            rng = random.Random(handle)
            Post.objects.bulk_create(
                [
                    Post(
                        creator=profile,
                        external_id=f"demo_{handle}_{i}",
                        caption=f"Post {i + 1}",
                        metrics_observed_at=now,
                        **row,
                    )
                    for i, row in enumerate(
                        demo_posts_for(rng=rng, followers=profile.followers, count=posts, now=now)
                    )
                ]
            )
