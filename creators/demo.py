"""Realistic demo data: creators in KR, JP, US and FR with heavy-tailed engagement.

Used by `manage.py seed_demo` and by the benchmarks. Deterministic for a given seed, and
fast enough for 100k creators (bulk inserts, no per-row services: demo rows skip the
sign-up flow on purpose, since the password hash alone would take minutes).
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from creators.enums import AccountType, Niche, PostFormat
from creators.models import CreatorProfile, Post, User

COUNTRIES = {"KR": ("ko", 0.25), "JP": ("ja", 0.25), "US": ("en", 0.35), "FR": ("fr", 0.15)}
FORMAT_WEIGHTS = {PostFormat.REEL: 0.5, PostFormat.CAROUSEL: 0.3, PostFormat.STANDARD: 0.2}
# Reels reach further than carousels, which reach further than single images.
FORMAT_REACH = {PostFormat.REEL: 1.6, PostFormat.CAROUSEL: 0.9, PostFormat.STANDARD: 0.6}
SYLLABLES = [
    "min",
    "ji",
    "yu",
    "ka",
    "sora",
    "hana",
    "leo",
    "mia",
    "noa",
    "ren",
    "taro",
    "eun",
    "seo",
    "lou",
    "zoe",
    "max",
    "kai",
    "rio",
    "ami",
    "jun",
    "hae",
    "bin",
    "cleo",
    "eli",
]


@dataclass(frozen=True)
class DemoCreator:
    email: str
    handle: str
    display_name: str
    country: str
    language: str
    niches: list[str]
    followers: int
    professional: bool


def _handle(rng: random.Random, index: int) -> str:
    return f"{rng.choice(SYLLABLES)}{rng.choice(SYLLABLES)}_{index}"


def _followers(rng: random.Random) -> int:
    # Pareto: most accounts are small, a few are large (small and mid-size creators dominate).
    return min(int(500 * rng.paretovariate(1.2)), 5_000_000)


def demo_creators(*, count: int, seed: int = 7, start: int = 0) -> Iterator[DemoCreator]:
    rng = random.Random(seed * 1_000_003 + start)
    countries = list(COUNTRIES)
    weights = [COUNTRIES[c][1] for c in countries]
    for index in range(start, start + count):
        country = rng.choices(countries, weights)[0]
        handle = _handle(rng, index)
        yield DemoCreator(
            email=f"{handle}@demo.example",
            handle=handle,
            display_name=handle.split("_")[0].title(),
            country=country,
            language=COUNTRIES[country][0],
            niches=rng.sample(Niche.values, k=rng.randint(1, 3)),
            followers=_followers(rng),
            professional=rng.random() < 0.6,
        )


def demo_posts_for(
    *, rng: random.Random, followers: int, count: int, now: datetime, days: int = 90
) -> Iterator[dict]:
    formats = list(FORMAT_WEIGHTS)
    weights = list(FORMAT_WEIGHTS.values())
    for _ in range(count):
        fmt = rng.choices(formats, weights)[0]
        published = now - timedelta(seconds=rng.randint(3600, days * 86400))
        views = int(followers * FORMAT_REACH[fmt] * rng.lognormvariate(-0.5, 1.0))
        likes = int(views * rng.uniform(0.01, 0.12))
        yield {
            "format": fmt,
            "published_at": published,
            "views": views,
            "likes": likes,
            "comments": int(likes * rng.uniform(0.01, 0.1)),
            "shares": int(likes * rng.uniform(0.0, 0.15)),
            "saves": int(likes * rng.uniform(0.0, 0.2)),
            "reach": int(views * rng.uniform(0.5, 0.95)),
            "invalid_views": int(views * rng.uniform(0, 0.03)),
            "is_branded": rng.random() < 0.12,
        }


def demo_populate(
    *, creators: int, posts_per_creator: int = 0, seed: int = 7, start: int = 0, batch: int = 2000
) -> int:
    """Insert demo creators (and posts) in bulk; returns how many creators were created."""
    password = make_password(None)  # unusable: demo accounts cannot log in unless seeded separately
    now = timezone.now()
    rng = random.Random(seed)
    created = 0
    buffer: list[DemoCreator] = []
    for demo in demo_creators(count=creators, seed=seed, start=start):
        buffer.append(demo)
        if len(buffer) == batch:
            created += _insert(buffer, password, now, rng, posts_per_creator)
            buffer = []
    if buffer:
        created += _insert(buffer, password, now, rng, posts_per_creator)
    return created


def _insert(batch: list[DemoCreator], password: str, now: datetime, rng: random.Random, posts: int) -> int:
    users = User.objects.bulk_create(
        [
            User(
                email=d.email,
                display_name=d.display_name,
                preferred_language=d.language,
                country=d.country,
                password=password,
            )
            for d in batch
        ]
    )
    profiles = CreatorProfile.objects.bulk_create(
        [
            CreatorProfile(
                user=user,
                handle=d.handle,
                display_name=d.display_name,
                country=d.country,
                niches=d.niches,
                languages=[d.language],
                followers=d.followers,
                followers_observed_at=now,
                age_attested_at=now,
                account_type=AccountType.PROFESSIONAL if d.professional else AccountType.PERSONAL,
            )
            for user, d in zip(users, batch, strict=True)
        ]
    )
    if posts:
        rows = []
        for profile in profiles:
            for i, post in enumerate(
                demo_posts_for(rng=rng, followers=profile.followers, count=posts, now=now)
            ):
                rows.append(
                    Post(
                        creator=profile,
                        external_id=f"demo_{profile.handle}_{i}",
                        caption="",
                        metrics_observed_at=now,
                        **post,
                    )
                )
        Post.objects.bulk_create(rows, batch_size=2000)
    return len(profiles)
