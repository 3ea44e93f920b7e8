"""Use cases that move money, on the in-memory fakes."""

from __future__ import annotations

from uuid import UUID

import pytest

from ebank.adapters.clock import FixedClock
from ebank.application import ledger
from ebank.application.context import Context
from ebank.application.ports import ConcurrencyConflict
from ebank.domain.accounts import GlKind
from ebank.domain.codes import TxCode
from ebank.domain.errors import InvalidInput, TransferNotFound, TransferRefused
from ebank.domain.money import Currency, Money
from ebank.domain.transfers import PendingStatus, Result, Transfer, TransferKind
from factories import (
    HEAD_OFFICE,
    balances,
    current,
    deposit,
    funded_savings,
    gl,
    head_office,
    posting,
    savings,
)

from .fakes import FakeStore, fake_context


@pytest.fixture
def bank() -> tuple[Context, FakeStore, FixedClock]:
    ctx, store, clock = fake_context()
    head_office(ctx, currencies=("CNY", "USD"))
    return ctx, store, clock


@pytest.fixture
def ctx(bank: tuple[Context, FakeStore, FixedClock]) -> Context:
    return bank[0]


@pytest.fixture
def store(bank: tuple[Context, FakeStore, FixedClock]) -> FakeStore:
    return bank[1]


@pytest.fixture
def clock(bank: tuple[Context, FakeStore, FixedClock]) -> FixedClock:
    return bank[2]


def refusal(exc: pytest.ExceptionInfo[TransferRefused]) -> str:
    return exc.value.result


# -- cash at the counter ----------------------------------------------------------------------
def test_cash_deposit(ctx: Context, store: FakeStore) -> None:
    account = savings(ctx)
    posted = ledger.cash_deposit(ctx, HEAD_OFFICE, account.number, Money.parse("1234.56"))
    cash = gl(ctx, GlKind.CASH)
    assert posted.debit == cash and posted.credit == account
    e = posted.entry
    assert (e.debit_account_id, e.credit_account_id, e.amount_minor, e.code, e.currency) == (
        cash.id,
        account.id,
        123_456,
        TxCode.CASH_DEPOSIT,
        "CNY",
    )
    assert e.reference == f"cash deposit at {HEAD_OFFICE}"
    assert e.seq == 1
    assert balances(ctx, account) == (0, 0, 0, 123_456)
    assert balances(ctx, cash) == (0, 123_456, 0, 0)
    with ctx.uow() as uow:
        b = uow.accounts.balances(account.id)
    assert b.ledger_minor == b.available_minor == 123_456


def test_cash_withdrawal(ctx: Context) -> None:
    account = funded_savings(ctx, 10_000)
    posted = ledger.cash_withdrawal(
        ctx, HEAD_OFFICE, account.number, Money(2_500), reference="ATM 42"
    )
    assert posted.entry.code == TxCode.CASH_WITHDRAWAL
    assert posted.entry.reference == "ATM 42"
    assert balances(ctx, account) == (0, 2_500, 0, 10_000)
    with pytest.raises(TransferRefused) as refused:
        ledger.cash_withdrawal(ctx, HEAD_OFFICE, account.number, Money(7_501))
    assert refusal(refused) == "exceeds_credits"
    assert refused.value.code == "exceeds_credits"
    assert balances(ctx, account) == (0, 2_500, 0, 10_000)


def test_the_vault_cannot_pay_out_cash_it_does_not_hold(ctx: Context) -> None:
    account = current(ctx, overdraft_minor=100_000)
    with pytest.raises(TransferRefused, match="exceeds_debits"):
        ledger.cash_withdrawal(ctx, HEAD_OFFICE, account.number, Money(1))
    funded_savings(ctx, 500)  # someone pays 500 of cash in
    ledger.cash_withdrawal(ctx, HEAD_OFFICE, account.number, Money(500))
    with ctx.uow() as uow:
        assert uow.accounts.balances(account.id).ledger_minor == -500
        assert uow.accounts.balances(account.id).available_minor == 99_500


def test_cash_in_a_currency_the_branch_does_not_book(ctx: Context) -> None:
    account = savings(ctx, currency="EUR")
    with pytest.raises(Exception, match="no EUR cash account"):
        ledger.cash_deposit(ctx, HEAD_OFFICE, account.number, Money(1, Currency.of("EUR")))


def test_cash_deposit_in_another_currency_than_the_account(ctx: Context) -> None:
    account = savings(ctx)
    with pytest.raises(TransferRefused, match="transfer_currency_must_match_accounts"):
        ledger.cash_deposit(ctx, HEAD_OFFICE, account.number, Money(100, Currency.of("USD")))


# -- transfers ---------------------------------------------------------------------------------
def test_transfer_and_its_retry(ctx: Context, store: FakeStore) -> None:
    payer, payee = funded_savings(ctx, 10_000), savings(ctx)
    tid = UUID(int=77)
    first = ledger.transfer(
        ctx,
        payer.number,
        payee.number,
        Money(4_000),
        transfer_id=tid,
        channel="web",
        reference="rent",
    )
    again = ledger.transfer(
        ctx,
        payer.number,
        payee.number,
        Money(4_000),
        transfer_id=tid,
        channel="web",
        reference="rent",
    )
    assert first.entry == again.entry
    assert (first.entry.channel, first.entry.code) == ("web", TxCode.TRANSFER)
    assert balances(ctx, payee) == (0, 0, 0, 4_000)
    assert sum(1 for e in store.state.journal if e.id == tid) == 1
    with pytest.raises(TransferRefused, match="exists_with_different_amount"):
        ledger.transfer(
            ctx,
            payer.number,
            payee.number,
            Money(4_001),
            transfer_id=tid,
            channel="web",
            reference="rent",
        )
    with pytest.raises(TransferRefused, match="exists_with_different_fields"):
        ledger.transfer(ctx, payer.number, payee.number, Money(4_000), transfer_id=tid)
    assert balances(ctx, payee) == (0, 0, 0, 4_000)


def test_transfer_refusals(ctx: Context) -> None:
    payer, payee = funded_savings(ctx, 100), savings(ctx)
    with pytest.raises(TransferRefused, match="exceeds_credits"):
        ledger.transfer(ctx, payer.number, payee.number, Money(101))
    with pytest.raises(InvalidInput, match="amount must be positive"):
        ledger.transfer(ctx, payer.number, payee.number, Money(0))
    with pytest.raises(InvalidInput):
        ledger.transfer(ctx, payer.number, payee.number, Money(-1))
    with pytest.raises(InvalidInput, match="must be different"):
        ledger.transfer(ctx, payer.number, payer.number, Money(1))
    with pytest.raises(Exception, match="no account"):
        ledger.transfer(ctx, payer.number, "0001000000000009999", Money(1))


def test_an_overdraft(ctx: Context) -> None:
    company = current(ctx, overdraft_minor=50_000)
    supplier = savings(ctx)
    ledger.transfer(ctx, company.number, supplier.number, Money(50_000))
    with pytest.raises(TransferRefused, match="exceeds_credits"):
        ledger.transfer(ctx, company.number, supplier.number, Money(1))
    deposit(ctx, company, 20_000)
    ledger.transfer(ctx, company.number, supplier.number, Money(20_000))
    assert balances(ctx, company) == (0, 70_000, 0, 20_000)


# -- post_batch ---------------------------------------------------------------------------------
def test_post_batch_returns_one_result_per_transfer(ctx: Context, store: FakeStore) -> None:
    a, b = funded_savings(ctx, 1_000), savings(ctx)
    batch = [
        posting(a, b, 600),
        posting(a, b, 600),
        posting(b, a, 100, linked=True),
        posting(a, b, 9_999),
    ]
    outcome = ledger.post_batch(ctx, batch)
    assert outcome.results == [
        Result.OK,
        Result.EXCEEDS_CREDITS,
        Result.LINKED_EVENT_FAILED,
        Result.EXCEEDS_CREDITS,
    ]
    assert balances(ctx, b) == (0, 0, 0, 600)
    commits = store.commits
    assert ledger.post_batch(ctx, []).results == []
    assert store.commits == commits


def test_post_batch_refuses_an_oversized_batch(ctx: Context) -> None:
    a, b = funded_savings(ctx, 10**9), savings(ctx)
    batch = [posting(a, b, 1) for _ in range(ledger.MAX_BATCH_SIZE + 1)]
    with pytest.raises(InvalidInput, match="at most"):
        ledger.post_batch(ctx, batch)
    assert balances(ctx, b) == (0, 0, 0, 0)
    assert ledger.post_batch(ctx, batch[: ledger.MAX_BATCH_SIZE]).all_ok


def test_post_batch_retries_after_losing_a_race(ctx: Context, store: FakeStore) -> None:
    a, b = funded_savings(ctx, 1_000), savings(ctx)
    store.conflicts_to_raise = ledger.MAX_ATTEMPTS - 1
    saves = store.saves_attempted
    assert ledger.post_batch(ctx, [posting(a, b, 10)]).all_ok
    assert store.saves_attempted - saves == ledger.MAX_ATTEMPTS
    assert balances(ctx, b) == (0, 0, 0, 10)


def test_post_batch_gives_up_after_its_attempts(ctx: Context, store: FakeStore) -> None:
    a, b = funded_savings(ctx, 1_000), savings(ctx)
    store.conflicts_to_raise = ledger.MAX_ATTEMPTS
    with pytest.raises(ConcurrencyConflict):
        ledger.post_batch(ctx, [posting(a, b, 10)])
    assert balances(ctx, b) == (0, 0, 0, 0)


def test_post_within_leaves_the_commit_to_the_caller(ctx: Context) -> None:
    a, b = funded_savings(ctx, 1_000), savings(ctx)
    with ctx.uow() as uow:
        outcome = ledger.post_within(uow, [posting(a, b, 10)], ctx.clock.now_us())
        assert outcome.all_ok
    assert balances(ctx, b) == (0, 0, 0, 0)
    with ctx.uow() as uow:
        ledger.post_within(uow, [posting(a, b, 10)], ctx.clock.now_us())
        uow.commit()
    assert balances(ctx, b) == (0, 0, 0, 10)


def test_post_one_raises_the_named_result(ctx: Context) -> None:
    a, b = funded_savings(ctx, 1_000), savings(ctx)
    with pytest.raises(TransferRefused) as refused:
        ledger.post_one(ctx, posting(a, b, 1_001))
    assert refused.value.result == Result.EXCEEDS_CREDITS.value
    entry = ledger.post_one(ctx, posting(a, b, 1_000))
    assert entry.amount_minor == 1_000 and entry.seq is not None


# -- holds --------------------------------------------------------------------------------------
def test_a_hold_captured_in_part(ctx: Context, store: FakeStore) -> None:
    card, shop = funded_savings(ctx, 10_000), savings(ctx)
    hold = ledger.place_hold(
        ctx, card.number, shop.number, Money(3_000), timeout_s=600, channel="pos", reference="hotel"
    )
    e = hold.entry
    assert (e.kind, e.pending_status, e.code, e.channel) == (
        TransferKind.PENDING,
        PendingStatus.PENDING,
        TxCode.HOLD,
        "pos",
    )
    assert e.expires_at_us == ctx.clock.now_us() + 600 * 1_000_000
    with ctx.uow() as uow:
        assert uow.accounts.balances(card.id).available_minor == 7_000
        assert uow.accounts.balances(card.id).ledger_minor == 10_000
    with pytest.raises(TransferRefused, match="exceeds_credits"):
        ledger.transfer(ctx, card.number, shop.number, Money(7_001))
    post = ledger.resolve_hold(ctx, e.id, capture=True, amount_minor=2_400)
    assert (post.kind, post.pending_id, post.amount_minor, post.code) == (
        TransferKind.POST_PENDING,
        e.id,
        2_400,
        TxCode.HOLD,
    )
    assert balances(ctx, card) == (0, 2_400, 0, 10_000)
    assert balances(ctx, shop) == (0, 0, 0, 2_400)
    assert store.state.journal[e.seq - 1].pending_status is PendingStatus.POSTED  # type: ignore[operator]
    with pytest.raises(TransferRefused, match="pending_transfer_already_posted"):
        ledger.resolve_hold(ctx, e.id, capture=False)


def test_a_hold_voided(ctx: Context) -> None:
    card, shop = funded_savings(ctx, 10_000), savings(ctx)
    hold = ledger.place_hold(ctx, card.number, shop.number, Money(3_000), timeout_s=600)
    void = ledger.resolve_hold(ctx, hold.entry.id, capture=False, amount_minor=5)
    assert void.kind is TransferKind.VOID_PENDING and void.amount_minor == 3_000
    assert balances(ctx, card) == (0, 0, 0, 10_000)
    with pytest.raises(TransferRefused, match="pending_transfer_already_voided"):
        ledger.resolve_hold(ctx, hold.entry.id, capture=True)


def test_resolve_hold_refusals(ctx: Context) -> None:
    card, shop = funded_savings(ctx, 10_000), savings(ctx)
    with pytest.raises(TransferNotFound):
        ledger.resolve_hold(ctx, UUID(int=5), capture=True)
    t = ledger.transfer(ctx, card.number, shop.number, Money(1))
    with pytest.raises(TransferRefused, match="pending_transfer_not_pending"):
        ledger.resolve_hold(ctx, t.entry.id, capture=True)
    hold = ledger.place_hold(ctx, card.number, shop.number, Money(100), timeout_s=60)
    with pytest.raises(TransferRefused, match="exceeds_pending_transfer_amount"):
        ledger.resolve_hold(ctx, hold.entry.id, capture=True, amount_minor=101)


def test_expire_due_releases_holds_as_the_clock_advances(
    ctx: Context, store: FakeStore, clock: FixedClock
) -> None:
    card, shop = funded_savings(ctx, 10_000), savings(ctx)
    short = ledger.place_hold(ctx, card.number, shop.number, Money(1_000), timeout_s=60)
    long_ = ledger.place_hold(ctx, card.number, shop.number, Money(2_000), timeout_s=3600)
    forever = ledger.place_hold(ctx, card.number, shop.number, Money(3_000), timeout_s=0)
    assert ledger.expire_due(ctx) == 0
    clock.advance(59)
    assert ledger.expire_due(ctx) == 0
    assert balances(ctx, card) == (6_000, 0, 0, 10_000)
    clock.advance(1)
    with pytest.raises(TransferRefused, match="pending_transfer_expired"):
        ledger.resolve_hold(ctx, short.entry.id, capture=True)  # due, not yet released
    assert ledger.expire_due(ctx) == 1
    assert balances(ctx, card) == (5_000, 0, 0, 10_000)
    assert balances(ctx, shop) == (0, 0, 5_000, 0)
    with pytest.raises(TransferRefused, match="pending_transfer_expired"):
        ledger.resolve_hold(ctx, short.entry.id, capture=False)
    clock.advance(10 * 86_400)
    assert ledger.expire_due(ctx) == 1
    assert ledger.expire_due(ctx) == 0
    statuses = {e.id: e.pending_status for e in store.state.journal}
    assert statuses[short.entry.id] is PendingStatus.EXPIRED
    assert statuses[long_.entry.id] is PendingStatus.EXPIRED
    assert statuses[forever.entry.id] is PendingStatus.PENDING
    assert balances(ctx, card) == (3_000, 0, 0, 10_000)
    ledger.resolve_hold(ctx, forever.entry.id, capture=True)
    assert balances(ctx, card) == (0, 3_000, 0, 10_000)


def test_expire_due_works_through_many_in_pages(ctx: Context, clock: FixedClock) -> None:
    card, shop = funded_savings(ctx, 10_000), savings(ctx)
    batch = [
        posting(card, shop, 100, kind=TransferKind.PENDING, timeout_s=30 + i) for i in range(7)
    ]
    assert ledger.post_batch(ctx, batch).all_ok
    clock.advance(33)
    assert ledger.expire_due(ctx, limit=2) == 4
    clock.advance(3600)
    assert ledger.expire_due(ctx, limit=3) == 3
    assert balances(ctx, card) == (0, 0, 0, 10_000)
    assert balances(ctx, shop) == (0, 0, 0, 0)


def test_expire_due_retries_after_losing_a_race(
    ctx: Context, store: FakeStore, clock: FixedClock
) -> None:
    card, shop = funded_savings(ctx, 10_000), savings(ctx)
    ledger.place_hold(ctx, card.number, shop.number, Money(1_000), timeout_s=1)
    clock.advance(1)

    store.expiry_conflicts_to_raise = 2
    assert ledger.expire_due(ctx) == 1
    assert store.expiry_saves_attempted == 3
    assert balances(ctx, card) == (0, 0, 0, 10_000)


# -- reversals ------------------------------------------------------------------------------------
def test_reverse_a_transfer(ctx: Context) -> None:
    payer, payee = funded_savings(ctx, 10_000), savings(ctx)
    t = ledger.transfer(ctx, payer.number, payee.number, Money(4_000))
    r = ledger.reverse(ctx, t.entry.id, reference="keyed twice")
    assert (r.debit_account_id, r.credit_account_id, r.amount_minor, r.reversal_of) == (
        payee.id,
        payer.id,
        4_000,
        t.entry.id,
    )
    assert r.code == TxCode.TRANSFER and r.reference == "keyed twice"
    assert balances(ctx, payer) == (0, 4_000, 0, 14_000)
    with pytest.raises(TransferRefused, match="reversed_transfer_already_reversed"):
        ledger.reverse(ctx, t.entry.id)


def test_reverse_in_part_and_retry(ctx: Context) -> None:
    payer, payee = funded_savings(ctx, 10_000), savings(ctx)
    t = ledger.transfer(ctx, payer.number, payee.number, Money(4_000))
    rid = UUID(int=4242)
    with pytest.raises(TransferRefused, match="exceeds_reversed_transfer_amount"):
        ledger.reverse(ctx, t.entry.id, amount_minor=4_001, transfer_id=rid)
    first = ledger.reverse(ctx, t.entry.id, amount_minor=1_000, transfer_id=rid)
    again = ledger.reverse(ctx, t.entry.id, amount_minor=1_000, transfer_id=rid)
    assert first == again
    assert first.reference == f"reversal of {t.entry.id}"
    assert balances(ctx, payee) == (0, 1_000, 0, 4_000)
    with pytest.raises(TransferRefused, match="reversed_transfer_already_reversed"):
        ledger.reverse(ctx, t.entry.id, amount_minor=1_000)


def test_reverse_refusals(ctx: Context) -> None:
    payer, payee = funded_savings(ctx, 10_000), savings(ctx)
    with pytest.raises(TransferNotFound):
        ledger.reverse(ctx, UUID(int=9))
    hold = ledger.place_hold(ctx, payer.number, payee.number, Money(10), timeout_s=60)
    with pytest.raises(TransferRefused, match="reversed_transfer_not_posted"):
        ledger.reverse(ctx, hold.entry.id)
    t = ledger.transfer(ctx, payer.number, payee.number, Money(4_000))
    ledger.transfer(ctx, payee.number, payer.number, Money(3_500))
    with pytest.raises(TransferRefused, match="exceeds_credits"):
        ledger.reverse(ctx, t.entry.id)


def test_a_captured_hold_is_reversed(ctx: Context) -> None:
    card, shop = funded_savings(ctx, 10_000), savings(ctx)
    hold = ledger.place_hold(ctx, card.number, shop.number, Money(3_000), timeout_s=60)
    post = ledger.resolve_hold(ctx, hold.entry.id, capture=True, amount_minor=1_000)
    r = ledger.reverse(ctx, post.id)
    assert (r.debit_account_id, r.credit_account_id, r.amount_minor) == (shop.id, card.id, 1_000)
    assert balances(ctx, card) == (0, 1_000, 0, 11_000)


def test_post_batch_of_mixed_kinds(ctx: Context) -> None:
    a, b = funded_savings(ctx, 1_000), savings(ctx)
    hold = posting(a, b, 500, kind=TransferKind.PENDING, timeout_s=60)
    post = Transfer(
        id=UUID(int=31), kind=TransferKind.POST_PENDING, pending_id=hold.id, amount_minor=200
    )
    t = posting(a, b, 100)
    rev = posting(b, a, 100, reversal_of=t.id)
    outcome = ledger.post_batch(ctx, [hold, post, t, rev])
    assert outcome.all_ok
    assert balances(ctx, a) == (0, 300, 0, 1_100)
    assert balances(ctx, b) == (0, 100, 0, 300)


def test_expire_due_gives_up_after_its_attempts(
    ctx: Context, store: FakeStore, clock: FixedClock
) -> None:
    card, shop = funded_savings(ctx, 10_000), savings(ctx)
    ledger.place_hold(ctx, card.number, shop.number, Money(1_000), timeout_s=1)
    clock.advance(1)
    store.expiry_conflicts_to_raise = ledger.MAX_ATTEMPTS
    with pytest.raises(ConcurrencyConflict):
        ledger.expire_due(ctx)
    assert balances(ctx, card) == (1_000, 0, 0, 10_000)
