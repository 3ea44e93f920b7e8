"""The customer-services stores on SQLite and PostgreSQL: history search with every
filter and paging, the sums and entries a statement is made of, counterparty labels,
customer search, and beneficiaries."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ebank.adapters.clock import FixedClock
from ebank.application import ledger
from ebank.application.ports_customers import Direction, HistoryFilter
from ebank.bootstrap import Bank
from ebank.domain.accounts import Account, GlKind
from ebank.domain.codes import TxCode
from ebank.domain.errors import BeneficiaryExists
from ebank.domain.money import Money
from ebank.domain.transfers import TransferKind
from factories import BRANCH, bank_with_branch, deposit, gl, individual, savings

DAY_S = 86_400


@pytest.fixture
def journal(bank: Bank, clock: FixedClock) -> tuple[Account, Account, dict[str, int]]:
    """Alice's account with a week of activity; returns it, Bob's, and when each day began."""
    ctx = bank.ctx
    bank_with_branch(ctx)
    alice = savings(ctx, individual(ctx, BRANCH, name="Alice Wang"), branch_code=BRANCH)
    bob = savings(ctx, individual(ctx, BRANCH, name="Bob 100% Li"), branch_code=BRANCH)
    days = {"day1": clock.now_us()}
    deposit(ctx, alice, 100_000)  # cash, branch channel
    clock.advance(DAY_S)
    days["day2"] = clock.now_us()
    ledger.transfer(ctx, alice.number, bob.number, Money.parse("25.00"), channel="api")
    hold = ledger.place_hold(ctx, alice.number, bob.number, Money.parse("10.00"), timeout_s=3600)
    ledger.resolve_hold(ctx, hold.entry.id, capture=True, amount_minor=600)
    clock.advance(DAY_S)
    days["day3"] = clock.now_us()
    ledger.transfer(ctx, bob.number, alice.number, Money.parse("3.00"), channel="api")
    ledger.cash_withdrawal(ctx, BRANCH, alice.number, Money.parse("50.00"))
    return alice, bob, days


def test_history_filters_and_pages(bank: Bank, journal: tuple[Account, Account, dict]) -> None:
    alice, bob, days = journal
    with bank.ctx.read() as uow:
        reads = uow.customer_reads
        everything = reads.search_history(alice.id, HistoryFilter(), None, 100)
        amounts = [e.amount_minor for e in everything]
        # Newest first: withdrawal, Bob's 3.00, the capture, the hold, 25.00, the deposit.
        assert amounts == [5_000, 300, 600, 1_000, 2_500, 100_000]
        assert [e.kind for e in everything][2:4] == [
            TransferKind.POST_PENDING,
            TransferKind.PENDING,
        ]
        seqs = [e.seq or 0 for e in everything]
        assert seqs == sorted(seqs, reverse=True)

        def amounts_of(
            where: HistoryFilter, before: int | None = None, limit: int = 100
        ) -> list[int]:
            return [e.amount_minor for e in reads.search_history(alice.id, where, before, limit)]

        assert amounts_of(HistoryFilter(direction=Direction.CREDIT)) == [300, 100_000]
        assert amounts_of(HistoryFilter(direction=Direction.DEBIT)) == [5_000, 600, 1_000, 2_500]
        assert amounts_of(HistoryFilter(min_amount_minor=600, max_amount_minor=2_500)) == [
            600,
            1_000,
            2_500,
        ]
        assert amounts_of(HistoryFilter(code=TxCode.CASH_WITHDRAWAL)) == [5_000]
        assert amounts_of(HistoryFilter(channel="api")) == [300, 2_500]
        day2 = HistoryFilter(from_us=days["day2"], to_us=days["day3"])
        assert amounts_of(day2) == [600, 1_000, 2_500]
        assert amounts_of(HistoryFilter(to_us=days["day2"])) == [100_000]
        combined = replace(day2, direction=Direction.DEBIT, channel="branch")
        assert amounts_of(combined) == [600, 1_000]
        # Paging: two at a time, each page older than the last one seen.
        first = reads.search_history(alice.id, HistoryFilter(), None, 2)
        second = reads.search_history(alice.id, HistoryFilter(), first[-1].seq, 2)
        assert [e.amount_minor for e in first + second] == amounts[:4]
        # Bob's history is his own.
        assert [e.amount_minor for e in reads.search_history(bob.id, HistoryFilter(), None, 9)] == [
            300,
            600,
            1_000,
            2_500,
        ]


def test_statement_sums_count_posted_movements_only(
    bank: Bank, journal: tuple[Account, Account, dict]
) -> None:
    alice, bob, days = journal
    with bank.ctx.read() as uow:
        reads = uow.customer_reads
        assert reads.posted_sums_before(alice.id, days["day1"]) == (0, 0)
        assert reads.posted_sums_before(alice.id, days["day2"]) == (0, 100_000)
        # The open-then-captured hold counts once, as its capture (600), not as the hold.
        assert reads.posted_sums_before(alice.id, days["day3"]) == (3_100, 100_000)
        day2 = reads.posted_entries(alice.id, days["day2"], days["day3"], 100)
        assert [(e.kind, e.amount_minor) for e in day2] == [
            (TransferKind.POSTING, 2_500),
            (TransferKind.POST_PENDING, 600),
        ]
        assert len(reads.posted_entries(alice.id, days["day1"], days["day3"] + DAY_S, 2)) == 2
        # What the sums say is what the account's counters say.
        debits, credits = reads.posted_sums_before(alice.id, days["day3"] + DAY_S)
        balances = uow.accounts.balances(alice.id)
        assert (debits, credits) == (balances.debits_posted, balances.credits_posted)
        cash = gl(bank.ctx, GlKind.CASH, BRANCH)
        labels = reads.account_labels([bob.id, cash.id, 999_999])
        assert labels[bob.id].number == bob.number
        assert labels[bob.id].name == "Bob 100% Li" and not labels[bob.id].is_internal
        assert labels[cash.id].is_internal
        assert 999_999 not in labels


def test_customer_search(bank: Bank) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    wang = individual(ctx, BRANCH, name="Alice Wang")
    percent = individual(ctx, BRANCH, name="Bob 100% Li")
    head = individual(ctx, name="王小明")
    with ctx.read() as uow:
        reads = uow.customer_reads

        def found(text: str | None, branches: list[str] | None = None) -> list[str]:
            return [c.number for c in reads.search_customers(text, branches, 50)]

        assert found("wang") == [wang.number]  # any case
        assert found("小明") == [head.number]
        assert found(percent.number) == [percent.number]
        assert found(head.id_number) == [head.number]
        assert found("0%") == [percent.number]  # % is a character, not a wildcard
        assert found("%") == [percent.number]
        assert found(None) == sorted([wang.number, percent.number, head.number])
        assert found(None, [BRANCH]) == sorted([wang.number, percent.number])
        assert found("小明", [BRANCH]) == []
        assert len(reads.search_customers(None, None, 2)) == 2


def test_beneficiaries_are_kept_per_customer(bank: Bank) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    alice = individual(ctx, BRANCH)
    carol = individual(ctx, BRANCH)
    payee = savings(ctx, individual(ctx, BRANCH, name="李四"))
    with ctx.uow() as uow:
        saved = uow.beneficiaries.add(alice.id, "rent", payee.number, "李四", 1)
        uow.beneficiaries.add(alice.id, "another", "0100000000000091", "X", 2)
        with pytest.raises(BeneficiaryExists):
            uow.beneficiaries.add(alice.id, "rent", "0100000000000109", "Y", 3)
        with pytest.raises(BeneficiaryExists):
            uow.beneficiaries.add(alice.id, "landlord", payee.number, "李四", 4)
        # The refused inserts did not spoil the transaction: the rest still commits.
        uow.beneficiaries.add(carol.id, "rent", payee.number, "李四", 5)
        uow.commit()
    with ctx.uow() as uow:
        store = uow.beneficiaries
        assert [b.alias for b in store.for_customer(alice.id)] == ["another", "rent"]
        assert store.count(alice.id) == 2 and store.count(carol.id) == 1
        assert store.get(alice.id, saved.beneficiary_id) == saved
        assert store.get(carol.id, saved.beneficiary_id) is None
        assert store.by_account(alice.id, payee.number) == saved
        assert not store.remove(carol.id, saved.beneficiary_id)
        assert store.remove(alice.id, saved.beneficiary_id)
        uow.commit()
    with ctx.read() as uow:
        assert [b.alias for b in uow.beneficiaries.for_customer(alice.id)] == ["another"]
        assert uow.beneficiaries.for_customer(carol.id)[0].account_number == payee.number
