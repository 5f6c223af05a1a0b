"""The formula on small cases checked by hand (see the arithmetic in each comment)."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bonuses.enums import FundingMode, Rule
from bonuses.formula import (
    SCALE,
    CreatorResult,
    PostInput,
    Terms,
    capped_split,
    contributions,
    creator_compute,
    pool_split,
    tips_per_thousand_views,
)
from common.money import Money

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)
ENROLLED = datetime(2026, 3, 5, tzinfo=UTC)
RATES = {"reel": 50, "carousel": 40, "standard": 30, "like": 1, "comment": 2, "share": 3}
FORMATS = frozenset({"reel", "carousel", "standard"})


def terms(**overrides) -> Terms:
    values = {"mode": FundingMode.RATE_CARD, "formats": FORMATS, "rates": RATES}
    values.update(overrides)
    return Terms(**values)


def post(post_id: int = 1, *, day: int = 10, **fields) -> PostInput:
    fields.setdefault("format", "reel")
    return PostInput(post_id=post_id, published_at=START + timedelta(days=day - 1), **fields)


def compute(posts, **term_overrides) -> CreatorResult:
    return creator_compute(
        posts, terms=terms(**term_overrides), period_start=START, period_end=END, enrolled_at=ENROLLED
    )


def rules_of(line) -> list[str]:
    return [rule["rule"] for rule in line.rules]


def test_rate_card_pays_per_thousand_views_and_per_action():
    # 12,345 views x 50 / 1000 = 617.25; 100 likes x 1 + 10 comments x 2 + 5 shares x 3 = 135
    # total 752.25 minor units → 752 (rounded down once, at the creator's total)
    result = compute([post(views=12_345, likes=100, comments=10, shares=5)])
    assert result.amount_minor == 752
    assert result.lines[0].value == 75_225 * SCALE // 100
    assert result.lines[0].counted and rules_of(result.lines[0]) == []


def test_each_exclusion_rule_is_recorded_and_counts_nothing():
    posts = [
        post(1, views=1000, is_deleted=True),
        post(2, views=1000, format="story"),
        post(3, views=1000, day=3),  # before enrolment on the 5th
        PostInput(post_id=4, format="reel", published_at=END, views=1000),  # the day after the period
        post(5, views=1000, is_branded=True),
    ]
    result = compute(posts, branded_multiplier_bps=0)
    by_id = {line.post.post_id: line for line in result.lines}
    assert rules_of(by_id[1]) == [Rule.DELETED]
    assert rules_of(by_id[2]) == [Rule.FORMAT_NOT_COUNTED]
    assert rules_of(by_id[3]) == [Rule.BEFORE_ENROLMENT]
    assert rules_of(by_id[4]) == [Rule.OUTSIDE_PERIOD]
    assert rules_of(by_id[5]) == [Rule.BRANDED_EXCLUDED]
    assert result.amount_minor == 0 and result.posts_counted == 0


def test_invalid_views_are_removed_and_impossible_ratios_capped():
    # 1000 views − 400 invalid = 600 qualified; 700 likes → 600; 650 shares → 600; 5 comments stay.
    # 600 x 50 / 1000 = 30; 600 x 1 + 5 x 2 + 600 x 3 = 2410 → 2440
    result = compute([post(views=1000, invalid_views=400, likes=700, comments=5, shares=650)])
    line = result.lines[0]
    assert (line.q_views, line.q_likes, line.q_comments, line.q_shares) == (600, 600, 5, 600)
    assert rules_of(line) == [Rule.INVALID_VIEWS_REMOVED, Rule.LIKES_CAPPED, Rule.SHARES_CAPPED]
    assert line.rules[0]["removed"] == 400
    assert result.amount_minor == 2440


def test_invalid_views_above_views_leave_zero_not_negative():
    result = compute([post(views=100, invalid_views=500, likes=3)])
    assert result.lines[0].q_views == 0 and result.lines[0].q_likes == 0
    assert result.amount_minor == 0


def test_branded_posts_count_at_the_multiplier():
    # 10,000 views x 50 / 1000 = 500; 100 likes = 100 → 600; branded at 50% → 300
    result = compute([post(views=10_000, likes=100, is_branded=True)])
    assert result.amount_minor == 300
    assert rules_of(result.lines[0]) == [Rule.BRANDED_MULTIPLIER]


def test_only_the_first_150_posts_of_the_period_count():
    # 151 posts of 1000 views each (50 minor units): the latest one is beyond the limit.
    posts = [post(i, day=6 + i % 20, views=1000) for i in range(1, 152)]
    result = compute(posts)
    assert result.posts_counted == 150
    assert result.amount_minor == 150 * 50
    left_out = [line for line in result.lines if not line.counted]
    assert len(left_out) == 1 and rules_of(left_out[0]) == [Rule.POST_LIMIT]
    # the one left out is the last published (then the highest id among the same day)
    assert left_out[0].post.published_at == max(p.published_at for p in posts)


def test_post_cap_and_creator_cap():
    # post A: 100,000 views x 50 / 1000 = 5000 → post cap 3000; post B: 40,000 → 2000.
    # 3000 + 2000 = 5000 → creator cap 4500
    result = compute(
        [post(1, views=100_000), post(2, views=40_000)], post_cap_minor=3000, creator_cap_minor=4500
    )
    assert result.amount_minor == 4500 and result.creator_cap_applied
    assert rules_of(result.lines[0]) == [Rule.POST_CAP]
    assert result.uncapped_score == 7000 * SCALE and result.score == 5000 * SCALE
    # contributions: 4500 split 3000:2000 → 2700 and 1800, adding up to the award
    shares = contributions(Money(4500, "USD"), result.lines, post_cap_minor=3000)
    assert shares == {1: Money(2700, "USD"), 2: Money(1800, "USD")}


def test_contributions_add_up_to_the_award_with_rounding():
    # three equal posts of 333 views (16.65 each): 49.95 → 49; 49 split 1:1:1 → 17, 16, 16
    result = compute([post(i, views=333) for i in (1, 2, 3)])
    assert result.amount_minor == 49
    shares = contributions(Money(49, "USD"), result.lines, post_cap_minor=None)
    assert sorted(share.amount_minor for share in shares.values()) == [16, 16, 17]


def test_pool_splits_exactly_by_score():
    # weights: reel 1 point per 1000 views (x 10000 bps); three creators with 1000, 2000, 3000 views
    # → scores 1:2:3 of a ₩10,000 pool → 1667 (1666.67), 3333 (3333.33), 5000
    weights = {"reel": 1}
    results = {
        name: creator_compute(
            [post(1, views=views)],
            terms=terms(mode=FundingMode.POOL, rates=weights),
            period_start=START,
            period_end=END,
            enrolled_at=ENROLLED,
        )
        for name, views in (("a", 1000), ("b", 2000), ("c", 3000))
    }
    shares = pool_split(Money(10_000, "KRW"), results)
    assert {k: v.amount_minor for k, v in shares.items()} == {"a": 1667, "b": 3333, "c": 5000}


def test_pool_cap_hands_the_excess_to_the_others():
    # scores 1:1:8 of 1000 → 100, 100, 800; c is capped at 500: the other 300 go to a and b (1:1)
    results = {
        key: CreatorResult(lines=[], score=score, cap_minor=cap)
        for key, score, cap in (("a", 1, None), ("b", 1, None), ("c", 8, 500))
    }
    shares = pool_split(Money(1000, "JPY"), results)
    assert {k: v.amount_minor for k, v in shares.items()} == {"a": 250, "b": 250, "c": 500}


def test_pool_with_every_creator_capped_leaves_the_rest_unallocated():
    results = {key: CreatorResult(lines=[], score=1, cap_minor=100) for key in ("a", "b")}
    shares = pool_split(Money(1000, "JPY"), results)
    assert sum(v.amount_minor for v in shares.values()) == 200


def test_pool_of_creators_without_score_pays_nobody():
    shares = pool_split(Money(1000, "JPY"), {"a": CreatorResult(lines=[], score=0)})
    assert shares == {"a": Money(0, "JPY")}


def test_tips_per_thousand_views():
    assert tips_per_thousand_views([("reel", 2000, 100), ("reel", 2000, 60), ("carousel", 0, 5)]) == {
        "reel": 40
    }


@given(
    pool=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30),
)
def test_pool_shares_always_add_up_exactly_to_the_pool(pool, weights):
    keyed = dict(enumerate(weights))
    shares = capped_split(Money(pool, "KRW"), keyed, {})
    total = sum(share.amount_minor for share in shares.values())
    assert total == (pool if any(weights) else 0)


@given(
    pool=st.integers(min_value=0, max_value=10**7),
    rows=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=1000), st.none() | st.integers(min_value=0, max_value=10**6)
        ),
        min_size=1,
        max_size=20,
    ),
)
def test_capped_split_never_exceeds_a_cap_nor_the_total(pool, rows):
    weights = {i: w for i, (w, _cap) in enumerate(rows)}
    caps = {i: cap for i, (_w, cap) in enumerate(rows)}
    shares = capped_split(Money(pool, "JPY"), weights, caps)
    assert sum(s.amount_minor for s in shares.values()) <= pool
    for key, share in shares.items():
        assert caps[key] is None or share.amount_minor <= caps[key]
    uncapped_with_weight = [k for k in weights if weights[k] > 0 and caps[k] is None]
    if uncapped_with_weight:  # someone can always take the rest
        assert sum(s.amount_minor for s in shares.values()) == pool
