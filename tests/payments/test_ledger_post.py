import pytest
from django.db import IntegrityError, transaction

from common.errors import ApplicationError
from common.money import Money
from payments.enums import AccountKind, TransactionKind
from payments.ledger import EntrySpec, account_get_or_create, ledger_post, platform_account
from payments.models import PLATFORM, LedgerAccount, LedgerEntry, LedgerTransaction, party_for_user
from payments.selectors import account_balance, balances_for_party
from tests.payments.factories import balance_of, clearing, entry, fund, move, user_account


def nothing_written() -> bool:
    return not LedgerTransaction.objects.exists() and not LedgerEntry.objects.exists()


def sale_entries(user, currency: str, gross: int, commission: int) -> list[EntrySpec]:
    return [
        entry(clearing(currency), -gross),
        entry(user_account(user, AccountKind.PENDING, currency), gross - commission),
        entry(platform_account(AccountKind.COMMISSION_REVENUE, currency), commission),
    ]


# ---------------------------------------------------------------- balanced postings


@pytest.mark.parametrize(
    ("currency", "gross", "commission"),
    [("USD", 10_000, 1_000), ("JPY", 5_000, 500), ("KRW", 70_000, 7_000)],
)
def test_a_balanced_sale_lands_with_its_entries_and_cached_balances(creator, currency, gross, commission):
    # when
    posted = ledger_post(
        reference="order:1:settle",
        entries=sale_entries(creator.user, currency, gross, commission),
        kind=TransactionKind.SHOP_SALE,
        description="Order 1",
        metadata={"order_id": 1},
        commission_rule={"bps": 1000, "rule_id": 7},
    )
    # then
    pending = user_account(creator.user, AccountKind.PENDING, currency)
    assert sorted(posted.entries.values_list("amount_minor", flat=True)) == [
        -gross,
        commission,
        gross - commission,
    ]
    assert set(posted.entries.values_list("currency", flat=True)) == {currency}
    assert (posted.metadata, posted.commission_rule) == ({"order_id": 1}, {"bps": 1000, "rule_id": 7})
    assert balance_of(pending) == gross - commission
    assert account_balance(pending) == Money(gross - commission, currency)
    assert balance_of(clearing(currency)) == -gross
    assert balances_for_party(party=party_for_user(creator.user)) == {
        currency: {"pending": Money(gross - commission, currency)}
    }


def test_one_transaction_can_balance_in_several_currencies(creator):
    posted = ledger_post(
        reference="fx:1",
        entries=[
            entry(clearing("USD"), -500),
            entry(user_account(creator.user, AccountKind.PENDING, "USD"), 500),
            entry(clearing("JPY"), -700),
            entry(user_account(creator.user, AccountKind.PENDING, "JPY"), 700),
        ],
        kind=TransactionKind.ADJUSTMENT,
    )
    assert posted.entries.count() == 4
    assert balances_for_party(party=party_for_user(creator.user)) == {
        "JPY": {"pending": Money(700, "JPY")},
        "USD": {"pending": Money(500, "USD")},
    }


# ---------------------------------------------------------------- refused postings


def test_unbalanced_entries_are_refused_and_nothing_is_written(creator):
    entries = [
        *sale_entries(creator.user, "USD", 10_000, 1_000)[:2],  # the commission leg is missing
        entry(clearing("JPY"), -5),
        entry(user_account(creator.user, AccountKind.PENDING, "JPY"), 5),
    ]
    with pytest.raises(ApplicationError) as error:
        ledger_post(reference="order:2:settle", entries=entries, kind=TransactionKind.SHOP_SALE)
    assert error.value.code == "unbalanced"
    assert "USD -10.00" in error.value.message and "JPY" not in error.value.message
    assert nothing_written()
    assert balance_of(user_account(creator.user)) == 0


def test_an_amount_in_another_currency_than_its_account_is_refused(creator):
    usd_pending = user_account(creator.user, AccountKind.PENDING, "USD")
    with pytest.raises(ApplicationError) as error:
        ledger_post(
            reference="bad:currency",
            entries=[entry(clearing("JPY"), -100), EntrySpec(usd_pending, Money(100, "JPY"))],
            kind=TransactionKind.ADJUSTMENT,
        )
    assert error.value.code == "currency_mismatch"
    assert nothing_written()


def test_zero_amounts_are_refused(creator):
    with pytest.raises(ApplicationError) as error:
        ledger_post(
            reference="bad:zero",
            entries=[entry(clearing(), 0), entry(user_account(creator.user), 0)],
            kind=TransactionKind.ADJUSTMENT,
        )
    assert error.value.code == "zero_amount"
    assert nothing_written()


@pytest.mark.parametrize("count", [0, 1])
def test_fewer_than_two_entries_are_refused(creator, count):
    with pytest.raises(ApplicationError) as error:
        ledger_post(
            reference="bad:short", entries=[entry(clearing(), 100)][:count], kind=TransactionKind.ADJUSTMENT
        )
    assert error.value.code == "too_few_entries"
    assert nothing_written()


def test_an_unsaved_account_is_refused(creator):
    ghost = LedgerAccount(party=PLATFORM, kind=AccountKind.ESCROW, currency="USD")
    with pytest.raises(ApplicationError) as error:
        ledger_post(
            reference="bad:ghost",
            entries=[entry(clearing(), -1), entry(ghost, 1)],
            kind=TransactionKind.ESCROW,
        )
    assert error.value.code == "unsaved_account"
    assert nothing_written()


@pytest.mark.parametrize(
    ("reference", "kind", "code"),
    [
        ("", TransactionKind.ADJUSTMENT, "invalid_reference"),
        (" padded ", TransactionKind.ADJUSTMENT, "invalid_reference"),
        ("x" * 201, TransactionKind.ADJUSTMENT, "invalid_reference"),
        ("ok:1", "gift", "invalid_transaction_kind"),
    ],
)
def test_references_and_kinds_are_validated(creator, reference, kind, code):
    with pytest.raises(ApplicationError) as error:
        move(
            reference=reference,
            source=clearing(),
            target=user_account(creator.user),
            amount_minor=1,
            kind=kind,
        )
    assert error.value.code == code
    assert nothing_written()


# ---------------------------------------------------------------- idempotency


def test_posting_the_same_reference_and_content_again_returns_the_first_transaction(creator):
    entries = sale_entries(creator.user, "USD", 10_000, 1_000)
    first = ledger_post(reference="order:3:settle", entries=entries, kind=TransactionKind.SHOP_SALE)
    # when: a retried task posts the same entries, in another order, with another description
    again = ledger_post(
        reference="order:3:settle",
        entries=list(reversed(entries)),
        kind=TransactionKind.SHOP_SALE,
        description="retry",
    )
    # then
    assert again.pk == first.pk
    assert (LedgerTransaction.objects.count(), LedgerEntry.objects.count()) == (1, 3)
    assert balance_of(user_account(creator.user)) == 9_000


@pytest.mark.parametrize("change", ["amount", "account", "kind"])
def test_the_same_reference_with_other_content_is_a_conflict(creator, other_creator, change):
    entries = sale_entries(creator.user, "USD", 10_000, 1_000)
    ledger_post(reference="order:4:settle", entries=entries, kind=TransactionKind.SHOP_SALE)
    kind = TransactionKind.SHOP_SALE
    if change == "amount":
        entries = sale_entries(creator.user, "USD", 10_000, 1_500)
    elif change == "account":
        entries = sale_entries(other_creator.user, "USD", 10_000, 1_000)
    else:
        kind = TransactionKind.SPONSORSHIP
    with pytest.raises(ApplicationError) as error:
        ledger_post(reference="order:4:settle", entries=entries, kind=kind)
    assert (error.value.code, error.value.status_code) == ("reference_conflict", 409)
    assert (LedgerTransaction.objects.count(), LedgerEntry.objects.count()) == (1, 3)


# ---------------------------------------------------------------- accounts that must not go negative


@pytest.mark.parametrize("kind", [AccountKind.PENDING, AccountKind.PAYABLE_OUT, AccountKind.AVAILABLE])
def test_a_posting_that_would_overdraw_a_party_account_is_refused(creator, kind):
    account = user_account(creator.user, kind)
    fund(account, 500, reference="sale:1")
    with pytest.raises(ApplicationError) as error:
        move(reference="too:much", source=account, target=clearing(), amount_minor=501)
    assert error.value.code == "insufficient_funds"
    assert not LedgerTransaction.objects.filter(reference="too:much").exists()
    assert LedgerEntry.objects.count() == 2
    assert balance_of(account) == 500


def test_escrow_cannot_go_negative(brand):
    escrow = platform_account(AccountKind.ESCROW, "KRW")
    with pytest.raises(ApplicationError) as error:
        move(
            reference="deal:1:release",
            source=escrow,
            target=user_account(brand, AccountKind.AVAILABLE, "KRW"),
            amount_minor=1,
        )
    assert error.value.code == "insufficient_funds"
    assert nothing_written()


def test_a_debit_to_exactly_zero_is_fine(creator):
    pending = user_account(creator.user)
    fund(pending, 500, reference="sale:1")
    move(
        reference="refund:1", source=pending, target=clearing(), amount_minor=500, kind=TransactionKind.REFUND
    )
    assert balance_of(pending) == 0


def test_a_refund_may_take_available_below_zero_when_the_posting_allows_it(creator):
    # given: the creator's money was paid out already
    available = user_account(creator.user, AccountKind.AVAILABLE)
    fund(available, 300, reference="sale:1")
    move(
        reference="payout:1",
        source=available,
        target=user_account(creator.user, AccountKind.PAYABLE_OUT),
        amount_minor=300,
    )
    # when: the buyer is refunded
    move(
        reference="refund:1",
        source=available,
        target=clearing(),
        amount_minor=300,
        kind=TransactionKind.REFUND,
        allow_negative=[available],
    )
    # then: the debt is recovered from future earnings, and an ordinary debit is still refused
    assert balance_of(available) == -300
    with pytest.raises(ApplicationError) as error:
        move(reference="payout:2", source=available, target=clearing(), amount_minor=1)
    assert error.value.code == "insufficient_funds"
    fund(available, 100, reference="sale:2")
    assert balance_of(available) == -200


@pytest.mark.parametrize("kind", [AccountKind.PENDING, AccountKind.PAYABLE_OUT])
def test_only_available_accounts_may_be_allowed_to_go_negative(creator, kind):
    account = user_account(creator.user, kind)
    with pytest.raises(ApplicationError) as error:
        move(
            reference="clawback:1",
            source=account,
            target=clearing(),
            amount_minor=1,
            allow_negative=[account],
        )
    assert error.value.code == "negative_not_allowed"
    assert nothing_written()


def test_platform_clearing_and_expense_accounts_take_any_sign(creator):
    move(
        reference="bonus:1",
        source=platform_account(AccountKind.BONUS_EXPENSE, "JPY"),
        target=user_account(creator.user, AccountKind.AVAILABLE, "JPY"),
        amount_minor=5_000,
        kind=TransactionKind.BONUS,
    )
    assert balance_of(platform_account(AccountKind.BONUS_EXPENSE, "JPY")) == -5_000


def test_the_database_refuses_a_negative_pending_balance_written_around_the_service(creator):
    pending = user_account(creator.user)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=pending.pk).update(balance_minor=-1)


def test_the_database_refuses_zero_entries_written_around_the_service(creator):
    posted = fund(user_account(creator.user), 100, reference="sale:1")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(transaction=posted, account=clearing(), amount_minor=0, currency="USD")


# ---------------------------------------------------------------- accounts


def test_accounts_are_created_once_per_party_kind_and_currency(creator):
    party = party_for_user(creator.user)
    first = account_get_or_create(party=party, kind=AccountKind.AVAILABLE, currency="usd")
    again = account_get_or_create(party=party, kind=AccountKind.AVAILABLE, currency="USD")
    other = account_get_or_create(party=party, kind=AccountKind.AVAILABLE, currency="KRW")
    assert first.pk == again.pk != other.pk
    assert (first.currency, first.allow_negative, first.balance_minor) == ("USD", False, 0)
    assert platform_account(AccountKind.STRIPE_CLEARING, "USD").allow_negative
    assert not platform_account(AccountKind.ESCROW, "USD").allow_negative


@pytest.mark.parametrize(
    ("party", "kind", "currency", "code"),
    [
        ("creator:1", AccountKind.PENDING, "USD", "invalid_party"),
        ("user:", AccountKind.PENDING, "USD", "invalid_party"),
        ("user:1", AccountKind.STRIPE_CLEARING, "USD", "invalid_account_kind"),
        (PLATFORM, AccountKind.AVAILABLE, "USD", "invalid_account_kind"),
        ("brand:4", "wallet", "USD", "invalid_account_kind"),
        ("brand:4", AccountKind.AVAILABLE, "GBP", "unsupported_currency"),
    ],
)
def test_unknown_parties_kinds_and_currencies_are_refused(db, party, kind, currency, code):
    with pytest.raises(ApplicationError) as error:
        account_get_or_create(party=party, kind=kind, currency=currency)
    assert error.value.code == code
    assert not LedgerAccount.objects.exists()
