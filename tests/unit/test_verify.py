"""The reconciliation check on the in-memory fakes: it passes on a healthy ledger and names
what is wrong on a damaged one."""

from __future__ import annotations

import dataclasses
from uuid import UUID

import pytest

from ebank.application import ledger, verify
from ebank.application.context import Context
from ebank.domain.money import Money
from ebank.domain.transfers import JournalEntry, TransferKind
from factories import deposit, funded_savings, head_office, savings

from .fakes import EPOCH_US, FakeStore, fake_context


@pytest.fixture
def healthy() -> tuple[Context, FakeStore]:
    ctx, store, clock = fake_context()
    head_office(ctx, currencies=("CNY", "USD"))
    a, b = funded_savings(ctx, 10_000), savings(ctx)
    funded_savings(ctx, 500, currency="USD")
    ledger.transfer(ctx, a.number, b.number, Money(2_500))
    ledger.place_hold(ctx, a.number, b.number, Money(1_000), timeout_s=60)
    hold = ledger.place_hold(ctx, a.number, b.number, Money(700), timeout_s=0)
    ledger.resolve_hold(ctx, hold.entry.id, capture=True, amount_minor=300)
    clock.advance(60)
    assert ledger.expire_due(ctx) == 1
    return ctx, store


def test_a_healthy_ledger_passes(healthy: tuple[Context, FakeStore]) -> None:
    ctx, store = healthy
    seen: list[tuple[int, int]] = []
    report = verify.verify_ledger(ctx, progress=lambda n, total: seen.append((n, total)))
    assert report.ok
    assert report.accounts == len(store.state.accounts)
    assert report.transfers == len(store.state.journal)
    assert report.mismatches == [] and report.mismatch_count == 0
    assert report.limit_breaches == [] and report.orphans == []
    assert seen[-1] == (report.accounts, report.accounts)
    totals = {t.currency: t for t in report.totals}
    assert set(totals) == {"CNY", "USD"}
    # 10,000 + 2,500 + 300 posted in CNY; 500 in USD
    assert (
        totals["CNY"].debits_posted,
        totals["CNY"].credits_posted,
        totals["CNY"].journal_posted,
    ) == (12_800, 12_800, 12_800)
    assert totals["USD"].journal_posted == 500
    assert all(t.balanced for t in report.totals)


def test_an_empty_ledger_passes() -> None:
    ctx, _, _ = fake_context()
    report = verify.verify_ledger(ctx)
    assert report.ok and report.accounts == 0 and report.totals == []


def _set_counter(store: FakeStore, account_id: int, counter: str, value: int) -> None:
    setattr(store.state.counters[account_id], counter, value)


@pytest.mark.parametrize("counter", verify.COUNTERS)
def test_a_changed_counter_is_named(healthy: tuple[Context, FakeStore], counter: str) -> None:
    ctx, store = healthy
    victim = next(a for a in store.state.accounts.values() if a.customer_id is not None)
    before = getattr(store.state.counters[victim.id], counter)
    _set_counter(store, victim.id, counter, before + 1)
    report = verify.verify_ledger(ctx)
    assert not report.ok
    assert report.mismatches == [verify.Mismatch(victim.number, counter, before + 1, before)]
    assert report.mismatch_count == 1


def test_a_changed_posted_counter_unbalances_the_currency(
    healthy: tuple[Context, FakeStore],
) -> None:
    ctx, store = healthy
    victim = next(
        a
        for a in store.state.accounts.values()
        if a.customer_id is not None and a.currency == "USD"
    )
    store.state.counters[victim.id].credits_posted += 7
    report = verify.verify_ledger(ctx)
    usd = next(t for t in report.totals if t.currency == "USD")
    assert not usd.balanced
    assert usd.credits_posted == usd.debits_posted + 7
    assert next(t for t in report.totals if t.currency == "CNY").balanced


def test_a_consistent_forgery_still_fails_the_totals(healthy: tuple[Context, FakeStore]) -> None:
    """Money printed on both sides of the books balances, but not against the journal."""
    ctx, store = healthy
    customer = next(
        a
        for a in store.state.accounts.values()
        if a.customer_id is not None and a.currency == "CNY"
    )
    cash = next(
        a
        for a in store.state.accounts.values()
        if a.gl_kind is not None and a.product_code == "GL-CASH" and a.currency == "CNY"
    )
    store.state.counters[customer.id].credits_posted += 1_000
    store.state.counters[cash.id].debits_posted += 1_000
    report = verify.verify_ledger(ctx)
    cny = next(t for t in report.totals if t.currency == "CNY")
    assert cny.debits_posted == cny.credits_posted != cny.journal_posted
    assert not report.ok
    assert {m.account_number for m in report.mismatches} == {customer.number, cash.number}


def test_a_limit_breach_is_named(healthy: tuple[Context, FakeStore]) -> None:
    ctx, store = healthy
    account = next(a for a in store.state.accounts.values() if a.debits_must_not_exceed_credits)
    store.state.accounts[account.id] = dataclasses.replace(account, overdraft_limit_minor=0)
    c = store.state.counters[account.id]
    # give the account more debits than credits, consistently with a forged journal entry
    extra = c.credits_posted - c.debits_posted - c.debits_pending + 1
    other = next(
        a
        for a in store.state.accounts.values()
        if a.currency == account.currency
        and a.id != account.id
        and not a.credits_must_not_exceed_debits
    )
    store.state.journal.append(
        JournalEntry(
            id=UUID(int=999_999),
            kind=TransferKind.POSTING,
            debit_account_id=account.id,
            credit_account_id=other.id,
            amount_minor=extra,
            currency=account.currency,
            code=0,
            channel="forged",
            reference="",
            pending_id=None,
            reversal_of=None,
            timeout_s=0,
            expires_at_us=None,
            created_at_us=EPOCH_US,
            seq=len(store.state.journal) + 1,
        )
    )
    c.debits_posted += extra
    store.state.counters[other.id].credits_posted += extra
    report = verify.verify_ledger(ctx)
    assert report.mismatch_count == 0
    assert report.limit_breaches == [account.number]
    assert not report.ok


def test_an_entry_for_an_unknown_account_is_an_orphan(healthy: tuple[Context, FakeStore]) -> None:
    ctx, store = healthy
    del store.state.accounts[max(store.state.accounts)]
    report = verify.verify_ledger(ctx)
    assert report.orphans == [max(store.state.counters)]
    assert not report.ok


def _copies_of_account_1(store: FakeStore, count: int) -> list[int]:
    """``count`` more accounts like account 1, straight into the store."""
    template = store.state.accounts[1]
    ids = list(range(2, count + 2))
    for i in ids:
        store.state.accounts[i] = dataclasses.replace(template, id=i, number=str(i))
        store.state.counters[i] = type(store.state.counters[1])()
    return ids


def test_many_mismatches_are_counted_but_only_some_listed() -> None:
    ctx, store, _ = fake_context()
    head_office(ctx)
    ids = _copies_of_account_1(store, verify.MAX_REPORTED + 5)
    for i in ids:
        store.state.counters[i].credits_pending += 1
    report = verify.verify_ledger(ctx)
    assert report.mismatch_count == len(ids)
    assert len(report.mismatches) == verify.MAX_REPORTED
    assert not report.ok


def test_progress_is_reported_every_thousand_accounts() -> None:
    ctx, store, _ = fake_context()
    head_office(ctx)
    seen: list[tuple[int, int]] = []
    _copies_of_account_1(store, 2_499)
    report = verify.verify_ledger(ctx, progress=lambda n, total: seen.append((n, total)))
    assert report.ok
    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500)]


def test_deposit_helper_keeps_it_healthy(healthy: tuple[Context, FakeStore]) -> None:
    ctx, store = healthy
    deposit(ctx, next(a for a in store.state.accounts.values() if a.customer_id), 1)
    assert verify.verify_ledger(ctx).ok
