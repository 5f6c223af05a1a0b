import pytest

from common.errors import ApplicationError
from creators.enums import PolicyStanding, StandingEventKind
from creators.services import (
    creator_become,
    creator_restore,
    creator_strike_add,
    creator_suspend,
    creator_switch_to_professional,
    creator_update,
)
from tests.conftest import make_user


def test_becoming_a_creator_normalises_the_handle(buyer):
    profile = creator_become(
        user=buyer,
        handle="@Buyer.Shop",
        display_name="B",
        country="fr",
        is_adult=True,
        niches=["Food", "food"],
        languages=["fr", "en"],
    )
    assert (profile.handle, profile.country, profile.niches) == ("buyer.shop", "FR", ["food"])
    assert buyer.is_creator


@pytest.mark.parametrize("handle", ["ab", "-bad", "bad-", "with space", "a" * 31, "émilie", "end."])
def test_invalid_handles_are_refused(buyer, handle):
    with pytest.raises(ApplicationError) as error:
        creator_become(user=buyer, handle=handle, display_name="B", country="FR", is_adult=True)
    assert error.value.code == "invalid_handle"
    assert not buyer.__class__.objects.get(pk=buyer.pk).is_creator


def test_handles_are_unique_whatever_the_case(creator, buyer):
    with pytest.raises(ApplicationError) as error:
        creator_become(user=buyer, handle="MINJI", display_name="B", country="FR", is_adult=True)
    assert error.value.code == "handle_taken"


def test_one_profile_per_user(creator):
    with pytest.raises(ApplicationError) as error:
        creator_become(user=creator.user, handle="another", display_name="B", country="FR", is_adult=True)
    assert error.value.code == "already_creator"


def test_unknown_niche_is_refused(buyer):
    with pytest.raises(ApplicationError) as error:
        creator_become(
            user=buyer, handle="buyer1", display_name="B", country="FR", is_adult=True, niches=["knitting"]
        )
    assert error.value.code == "invalid_niches"


def test_professional_switch_needs_the_age_attestation(db):
    user = make_user("young@example.com")
    profile = creator_become(user=user, handle="young1", display_name="Y", country="US", is_adult=False)
    with pytest.raises(ApplicationError) as error:
        creator_switch_to_professional(creator=profile)
    assert error.value.code == "age_not_attested"
    creator_update(creator=profile, is_adult=True)
    assert creator_switch_to_professional(creator=profile).is_professional


def test_strikes_escalate_to_suspension(creator, staff):
    standings = [
        creator_strike_add(creator=creator, actor=staff, reason=f"strike {i}").standing_after
        for i in range(3)
    ]
    assert standings == [PolicyStanding.WARNED, PolicyStanding.RESTRICTED, PolicyStanding.SUSPENDED]
    creator.refresh_from_db()
    assert creator.is_suspended
    assert creator.standing_events.filter(kind=StandingEventKind.STRIKE).count() == 3


def test_restore_keeps_the_history(creator, staff):
    creator_suspend(creator=creator, actor=staff, reason="spam")
    event = creator_restore(creator=creator, actor=staff, reason="appeal accepted")
    creator.refresh_from_db()
    assert creator.policy_standing == PolicyStanding.GOOD
    assert (event.standing_before, event.standing_after) == (PolicyStanding.SUSPENDED, PolicyStanding.GOOD)
    assert creator.standing_events.count() == 2


def test_a_strike_after_suspension_keeps_it_suspended(creator, staff):
    creator_suspend(creator=creator, actor=staff, reason="fraud")
    assert (
        creator_strike_add(creator=creator, actor=staff, reason="more").standing_after
        == PolicyStanding.SUSPENDED
    )


def test_standing_changes_need_staff_and_a_reason(creator, other_creator, staff):
    with pytest.raises(ApplicationError) as error:
        creator_suspend(creator=creator, actor=other_creator.user, reason="I do not like them")
    assert error.value.code == "permission_denied"
    with pytest.raises(ApplicationError) as error:
        creator_suspend(creator=creator, actor=staff, reason="  ")
    assert error.value.code == "reason_required"
    creator.refresh_from_db()
    assert creator.policy_standing == PolicyStanding.GOOD
    assert not creator.standing_events.exists()
