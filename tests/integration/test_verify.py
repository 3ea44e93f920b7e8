"""``verify_ledger`` over SQL on SQLite and PostgreSQL: it passes on a healthy ledger and
names what was tampered with behind the application's back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from ebank.adapters.clock import FixedClock
from ebank.application import ledger
from ebank.application.verify import COUNTERS, Mismatch, verify_ledger
from ebank.bootstrap import Bank
from ebank.domain.accounts import Account, GlKind
from ebank.domain.money import Currency, Money
from ebank.domain.transfers import Transfer, TransferKind
from factories import (
    current,
    deposit,
    funded_savings,
    gl,
    head_office,
    new_id,
    posting,
    savings,
    uuid_param,
)


@dataclass
class Ledger:
    bank: Bank
    saver: Account
    other: Account
    dollars: Account
    cash: Account


@pytest.fixture
def healthy(bank: Bank, clock: FixedClock) -> Iterator[Ledger]:
    """A ledger with postings, holds in every state, a reversal, and two currencies."""
    ctx = bank.ctx
    head_office(ctx, ("CNY", "USD"))
    saver, other = funded_savings(ctx, 50_000), savings(ctx)
    company = current(ctx, overdraft_minor=10_000)
    dollars = funded_savings(ctx, 9_999, currency="USD")
    t = ledger.transfer(ctx, saver.number, other.number, Money(12_345))
    ledger.reverse(ctx, t.entry.id, amount_minor=345)
    ledger.transfer(ctx, company.number, other.number, Money(10_000))
    holds = [
        posting(saver, other, 1_000 + i, kind=TransferKind.PENDING, timeout_s=60) for i in range(4)
    ]
    assert ledger.post_batch(ctx, holds).all_ok
    ledger.resolve_hold(ctx, holds[0].id, capture=True, amount_minor=500)
    ledger.resolve_hold(ctx, holds[1].id, capture=False)
    clock.advance(30)
    payee = savings(ctx, currency="USD")
    open_hold = ledger.place_hold(
        ctx, dollars.number, payee.number, Money(99, Currency.of("USD")), timeout_s=3600
    )
    assert open_hold.entry.pending_status is not None
    clock.advance(30)
    assert ledger.expire_due(ctx) == 2
    deposit(ctx, other, 1)
    yield Ledger(bank, saver, other, dollars, gl(ctx, GlKind.CASH))


def test_a_healthy_ledger_passes(healthy: Ledger) -> None:
    report = verify_ledger(healthy.bank.ctx)
    assert report.ok, report
    assert report.mismatch_count == 0 and report.limit_breaches == [] and report.orphans == []
    with healthy.bank.engine.connect() as conn:
        accounts = conn.execute(text("SELECT COUNT(*) FROM accounts")).scalar_one()
        transfers = conn.execute(text("SELECT COUNT(*) FROM transfers")).scalar_one()
    assert (report.accounts, report.transfers) == (accounts, transfers)
    totals = {t.currency: t for t in report.totals}
    assert set(totals) == {"CNY", "USD"}
    assert totals["USD"].journal_posted == 9_999
    # 50,000 + 12,345 + 345 + 10,000 + 500 + 1 posted in CNY
    assert totals["CNY"].journal_posted == 73_191
    assert all(t.balanced for t in report.totals)


def test_an_empty_ledger_passes(bank: Bank) -> None:
    report = verify_ledger(bank.ctx)
    assert report.ok and report.accounts == 0 and report.transfers == 0


@pytest.mark.parametrize("counter", COUNTERS)
def test_a_counter_changed_by_sql_is_named(healthy: Ledger, counter: str) -> None:
    account = healthy.other
    with healthy.bank.engine.begin() as conn:
        before = conn.execute(
            text(f"SELECT {counter} FROM balances WHERE account_id = :i"), {"i": account.id}
        ).scalar_one()
        conn.execute(
            text(f"UPDATE balances SET {counter} = {counter} + 7 WHERE account_id = :i"),
            {"i": account.id},
        )
    report = verify_ledger(healthy.bank.ctx)
    assert not report.ok
    assert report.mismatches == [Mismatch(account.number, counter, before + 7, before)]
    assert report.mismatch_count == 1
    cny = next(t for t in report.totals if t.currency == "CNY")
    assert cny.balanced is (counter.endswith("pending"))


@pytest.mark.parametrize(
    ("table", "change"),
    [
        ("balances", "status = 'frozen'"),
        ("balances", "overdraft_limit_minor = 100"),
        ("balances", "debits_must_not_exceed_credits = NOT debits_must_not_exceed_credits"),
        ("accounts", "status = 'dormant'"),  # the copy follows: nothing to report
    ],
)
def test_a_ledger_row_out_of_step_with_its_account_is_named(
    healthy: Ledger, table: str, change: str
) -> None:
    """The engine applies the copy of an account's rules in ``balances``; the copies are
    the database's to keep equal, and verify proves they are."""
    account = healthy.other
    key = "id" if table == "accounts" else "account_id"
    with healthy.bank.engine.begin() as conn:
        conn.execute(text(f"UPDATE {table} SET {change} WHERE {key} = :i"), {"i": account.id})
    report = verify_ledger(healthy.bank.ctx)
    if table == "accounts":
        assert report.ok and report.unmirrored == [], report
        return
    assert report.unmirrored == [account.id]
    assert not report.ok


def test_money_printed_on_both_sides_is_still_caught(healthy: Ledger) -> None:
    """Raising a deposit and the vault's cash by the same amount keeps debits equal to
    credits, but the journal does not know of it."""
    with healthy.bank.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE balances SET credits_posted = credits_posted + 1000000"
                " WHERE account_id = :i"
            ),
            {"i": healthy.saver.id},
        )
        conn.execute(
            text(
                "UPDATE balances SET debits_posted = debits_posted + 1000000 WHERE account_id = :i"
            ),
            {"i": healthy.cash.id},
        )
    report = verify_ledger(healthy.bank.ctx)
    assert not report.ok
    assert {(m.account_number, m.counter) for m in report.mismatches} == {
        (healthy.saver.number, "credits_posted"),
        (healthy.cash.number, "debits_posted"),
    }
    cny = next(t for t in report.totals if t.currency == "CNY")
    assert cny.debits_posted == cny.credits_posted == cny.journal_posted + 1_000_000
    assert not cny.balanced


def test_a_journal_entry_slipped_in_by_sql_is_caught(healthy: Ledger) -> None:
    engine = healthy.bank.engine
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO transfers (id, kind, debit_account_id, credit_account_id,"
                " amount_minor,"
                " currency, code, channel, reference, timeout_s, created_at_us) VALUES"
                " (:id, 'posting', :dr, :cr, 5, 'USD', 0, 'sql', '', 0, 0)"
            ),
            {
                "id": uuid_param(engine, new_id()),
                "dr": healthy.dollars.id,
                "cr": healthy.dollars.id + 1,
            },
        )
    report = verify_ledger(healthy.bank.ctx)
    assert not report.ok
    assert report.mismatch_count == 2
    assert {m.counter for m in report.mismatches} == {"debits_posted", "credits_posted"}
    assert healthy.dollars.number in {m.account_number for m in report.mismatches}
    usd = next(t for t in report.totals if t.currency == "USD")
    assert usd.journal_posted == usd.debits_posted + 5


def test_a_batch_of_transfers_keeps_it_healthy(healthy: Ledger) -> None:
    ctx = healthy.bank.ctx
    batch = [posting(healthy.saver, healthy.other, 1 + i) for i in range(50)]
    batch.append(
        Transfer(
            id=new_id(),
            debit_account_id=healthy.saver.id,
            credit_account_id=healthy.other.id,
            amount_minor=10**12,
        )
    )
    outcome = ledger.post_batch(ctx, batch)
    assert outcome.results[:50] == [outcome.results[0]] * 50 and outcome.results[0].value == "ok"
    assert outcome.results[50].value == "exceeds_credits"
    assert verify_ledger(ctx).ok
