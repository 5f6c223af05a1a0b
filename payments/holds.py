"""Holds: earnings stay `pending` for the refund window, then become `available` (DESIGN.md, "Payments flow").

A Hold is a due row (created by settlement), claimed by a periodic task with
SELECT … FOR UPDATE SKIP LOCKED; refunds before the release reduce what it still holds.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from common.money import Money
from payments.enums import AccountKind, TransactionKind
from payments.ledger import EntrySpec, account_get_or_create, ledger_post
from payments.models import Hold, LedgerTransaction

logger = logging.getLogger(__name__)


def holds_release_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Release up to ``limit`` holds due at ``now``: pending → available; return how many were released.

    Each hold is claimed (FOR UPDATE SKIP LOCKED) and released in its own database transaction,
    so concurrent runs share the work without waiting on each other, every hold is released
    once, and one hold that cannot be released (logged) never holds back the others. The
    posting, ``hold:<pk>:release``, moves what the hold still holds after refunds; a hold
    emptied by refunds is marked released without a posting.
    """
    now = now or timezone.now()
    released, failed = 0, set[int]()
    while released < limit:
        with transaction.atomic():
            hold = (
                Hold.objects.select_for_update(skip_locked=True)
                .filter(released_at__isnull=True, release_at__lte=now)
                .exclude(pk__in=failed)
                .order_by("release_at", "pk")
                .first()
            )
            if hold is None:
                break
            try:
                # A savepoint: a refused release must not abort the transaction holding the claim.
                with transaction.atomic():
                    hold_release(hold=hold, now=now)
            except ApplicationError:
                logger.exception("hold %s could not be released", hold.pk)
                failed.add(hold.pk)
                continue
        released += 1
    return released


def hold_release(*, hold: Hold, now: datetime) -> LedgerTransaction | None:
    """Move what ``hold`` still holds from pending to available and mark it released.

    Precondition: the caller holds the hold's row lock (freshly read) in an open database
    transaction, and the hold is not released yet. Returns the posting, or None when refunds
    emptied the hold.
    """
    assert hold.released_at is None, "release a hold once"
    posted = None
    if hold.remaining_minor > 0:
        amount = Money(hold.remaining_minor, hold.currency)
        pending = account_get_or_create(party=hold.party, kind=AccountKind.PENDING, currency=hold.currency)
        available = account_get_or_create(
            party=hold.party, kind=AccountKind.AVAILABLE, currency=hold.currency
        )
        posted = ledger_post(
            reference=f"hold:{hold.pk}:release",
            entries=[EntrySpec(pending, -amount), EntrySpec(available, amount)],
            kind=TransactionKind.HOLD_RELEASE,
            description=f"Hold {hold.pk} released",
            metadata={"hold_id": hold.pk, "origin_id": hold.origin_id},
        )
    hold.released_at = now
    hold.release = posted
    hold.save(update_fields=["released_at", "release"])
    return posted


# ---------------------------------------------------------------- review holds (affiliates)


def _hold_lock(origin: LedgerTransaction, party: str) -> Hold:
    hold = Hold.objects.select_for_update().filter(origin=origin, party=party).first()
    if hold is None:
        raise ApplicationError(
            _("No hold of %(party)s on %(reference)s.") % {"party": party, "reference": origin.reference},
            code="hold_not_found",
        )
    if hold.released_at is not None:
        raise ApplicationError(
            _("The hold of %(party)s on %(reference)s was already released.")
            % {"party": party, "reference": origin.reference},
            code="hold_released",
        )
    return hold


@transaction.atomic
def hold_reschedule(*, origin: LedgerTransaction, party: str, release_at: datetime) -> Hold:
    """Move the release date of ``party``'s unreleased hold on ``origin`` (a review hold, or its end).

    Refuses a missing (``hold_not_found``) or released hold (``hold_released``). Moves no money:
    holds_release_due() releases it at the new date.
    """
    hold = _hold_lock(origin, party)
    hold.release_at = release_at
    hold.save(update_fields=["release_at"])
    return hold


@transaction.atomic
def hold_forfeit(
    *,
    origin: LedgerTransaction,
    party: str,
    to_party: str,
    release_at: datetime,
    now: datetime | None = None,
) -> LedgerTransaction | None:
    """Give what ``party``'s unreleased hold on ``origin`` still holds to ``to_party`` (rejected commission).

    One balanced posting ``hold:<pk>:forfeit`` moves the money from ``party``'s pending to
    ``to_party``'s pending, where a new Hold (origin: that posting) releases it at ``release_at``.
    The forfeited hold is marked released by that posting. Returns None when refunds emptied it.
    Refuses a missing or released hold, like hold_reschedule().
    """
    hold = _hold_lock(origin, party)
    now = now or timezone.now()
    posted = None
    if hold.remaining_minor > 0:
        amount = Money(hold.remaining_minor, hold.currency)
        source = account_get_or_create(party=party, kind=AccountKind.PENDING, currency=hold.currency)
        target = account_get_or_create(party=to_party, kind=AccountKind.PENDING, currency=hold.currency)
        posted = ledger_post(
            reference=f"hold:{hold.pk}:forfeit",
            entries=[EntrySpec(source, -amount), EntrySpec(target, amount)],
            kind=TransactionKind.ADJUSTMENT,
            description=f"Hold {hold.pk} forfeited to {to_party}",
            metadata={"hold_id": hold.pk, "origin_id": origin.pk, "to_party": to_party},
        )
        Hold.objects.create(
            party=to_party,
            currency=hold.currency,
            amount_minor=hold.remaining_minor,
            source=hold.source,
            origin=posted,
            release_at=release_at,
        )
    hold.released_at = now
    hold.release = posted
    hold.save(update_fields=["released_at", "release"])
    return posted
