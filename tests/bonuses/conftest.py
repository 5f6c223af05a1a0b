"""Bonus fixtures: a programme with an approved award for the `creator` persona."""

import pytest

from bonuses.models import Award, Invitation
from bonuses.runs import run_approve
from bonuses.services import invitation_create
from tests.bonuses.factories import (
    INVITED_AT,
    computed_run,
    enrol,
    ingest,
    make_formula,
    make_programme,
    march,
)


@pytest.fixture
def programme(db):
    programme = make_programme()
    make_formula(programme, caps={"KRW": {"post": 4000, "creator": None}})
    return programme


@pytest.fixture
def invitation(programme, creator) -> Invitation:
    return invitation_create(programme=programme, creator=creator, invited_by=None, now=INVITED_AT)


@pytest.fixture
def approved_award(programme, creator, staff) -> Award:
    """minji enrolled on 5 March, three March posts, the March run approved: ₩5,052 (see below)."""
    enrol(programme, creator)
    ingest(
        creator,
        # 12,345 x 50 / 1000 + 100 + 20 + 15 = 752.25
        {"external_id": "spring-reel", "day": 10, "views": 12_345, "likes": 100, "comments": 10, "shares": 5},
        # 100,000 views x 40 / 1000 = 4,000 (at the cap exactly)
        {"external_id": "spring-carousel", "day": 12, "format": "carousel", "views": 100_000},
        # deleted: nothing
        {"external_id": "spring-gone", "day": 13, "views": 5_000, "is_deleted": True},
        # 10,000 x 30 / 1000 = 300
        {"external_id": "spring-standard", "day": 14, "format": "standard", "views": 10_000},
    )
    run = run_approve(run=computed_run(march(programme)), actor=staff)
    return Award.objects.get(run=run, creator=creator)
