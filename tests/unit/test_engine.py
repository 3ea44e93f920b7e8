"""The ledger engine, ``apply_batch``: every named result, with no database.

``Book`` plays the store: it hands the engine copies of what a batch touches and writes
back only what the outcome reports, so a change the engine makes but does not report is
lost here, as it would be in SQL.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any
from uuid import UUID

import pytest

from ebank.domain.accounts import AccountStatus
from ebank.domain.ledger import (
    BatchContext,
    BatchOutcome,
    LedgerAccount,
    apply_batch,
    expire,
    ids_referenced,
)
from ebank.domain.money import MAX_AMOUNT_MINOR
from ebank.domain.transfers import (
    JournalEntry,
    PendingStatus,
    Result,
    Transfer,
    TransferKind,
)

NOW = 1_794_013_200_000_000
S = 1_000_000  # microseconds per second

# Accounts of the book every test starts from.
CASH = 1  # credits_must_not_exceed_debits (a vault cannot pay out cash it does not have)
ALICE = 2  # debits_must_not_exceed_credits (a savings deposit)
BOB = 3  # debits_must_not_exceed_credits, overdraft 500
SUSPENSE = 4  # no rule
DOLLARS = 5  # a USD account with no rule
CAROL = 6  # debits_must_not_exceed_credits


class Book:
    """A minimal store for the engine: accounts and journal in memory."""

    def __init__(self, *accounts: LedgerAccount) -> None:
        self.accounts = {a.id: a for a in accounts}
        self.entries: dict[UUID, JournalEntry] = {}
        self.now_us = NOW
        self._ids = itertools.count(1)

    def new_id(self) -> UUID:
        return UUID(int=next(self._ids))

    def context(self, batch: list[Transfer]) -> BatchContext:
        ids, account_ids, refs = ids_referenced(batch)
        referenced = {i: copy.copy(self.entries[i]) for i in refs if i in self.entries}
        for e in referenced.values():
            account_ids |= {e.debit_account_id, e.credit_account_id}
        return BatchContext(
            accounts={i: copy.copy(self.accounts[i]) for i in account_ids if i in self.accounts},
            existing={i: copy.copy(self.entries[i]) for i in ids if i in self.entries},
            referenced=referenced,
            already_reversed={
                e.reversal_of
                for e in self.entries.values()
                if e.reversal_of is not None and e.reversal_of in refs
            },
        )

    def apply(self, *batch: Transfer) -> BatchOutcome:
        outcome = apply_batch(list(batch), self.context(list(batch)), self.now_us)
        assert len(outcome.results) == len(outcome.replayed) == len(batch)
        for e in outcome.new_entries:
            assert e.id not in self.entries
            self.entries[e.id] = copy.copy(e)
        for e in outcome.resolved_pending:
            assert self.entries[e.id].pending_status is PendingStatus.PENDING
            self.entries[e.id].pending_status = e.pending_status
        for a in outcome.changed_accounts:
            assert a.within_limits()
            self.accounts[a.id] = copy.copy(a)
        self.check_conserved()
        return outcome

    def one(self, transfer: Transfer) -> Result:
        return self.apply(transfer).results[0]

    def check_conserved(self) -> None:
        for currency in {a.currency for a in self.accounts.values()}:
            mine = [a for a in self.accounts.values() if a.currency == currency]
            assert sum(a.debits_posted for a in mine) == sum(a.credits_posted for a in mine)
            assert sum(a.debits_pending for a in mine) == sum(a.credits_pending for a in mine)

    def counters(self, account_id: int) -> tuple[int, int, int, int]:
        """(debits_pending, debits_posted, credits_pending, credits_posted)."""
        return self.accounts[account_id].counters()

    def balance(self, account_id: int) -> int:
        """Credits less debits, posted."""
        a = self.accounts[account_id]
        return a.credits_posted - a.debits_posted

    # -- transfer builders ---------------------------------------------------------
    def t(self, dr: int, cr: int, amount: int, **kw: Any) -> Transfer:
        kw.setdefault("id", self.new_id())
        return Transfer(debit_account_id=dr, credit_account_id=cr, amount_minor=amount, **kw)

    def hold(self, dr: int, cr: int, amount: int, timeout_s: int = 0, **kw: Any) -> Transfer:
        return self.t(dr, cr, amount, kind=TransferKind.PENDING, timeout_s=timeout_s, **kw)

    def post(self, pending_id: UUID, amount: int = 0, **kw: Any) -> Transfer:
        kw.setdefault("id", self.new_id())
        return Transfer(
            kind=TransferKind.POST_PENDING, pending_id=pending_id, amount_minor=amount, **kw
        )

    def void(self, pending_id: UUID, amount: int = 0, **kw: Any) -> Transfer:
        kw.setdefault("id", self.new_id())
        return Transfer(
            kind=TransferKind.VOID_PENDING, pending_id=pending_id, amount_minor=amount, **kw
        )

    def reverse(self, original: Transfer, amount: int = 0, **kw: Any) -> Transfer:
        return self.t(
            original.credit_account_id,
            original.debit_account_id,
            amount or original.amount_minor,
            reversal_of=original.id,
            **kw,
        )


@pytest.fixture
def book() -> Book:
    """Alice holds 1,000 and Bob 200 (with 500 overdraft), both paid in as cash."""
    b = Book(
        LedgerAccount(CASH, "CNY", credits_must_not_exceed_debits=True),
        LedgerAccount(ALICE, "CNY", debits_must_not_exceed_credits=True),
        LedgerAccount(BOB, "CNY", debits_must_not_exceed_credits=True, overdraft_limit_minor=500),
        LedgerAccount(SUSPENSE, "CNY"),
        LedgerAccount(DOLLARS, "USD"),
        LedgerAccount(CAROL, "CNY", debits_must_not_exceed_credits=True),
    )
    assert b.apply(b.t(CASH, ALICE, 1000), b.t(CASH, BOB, 200)).all_ok
    return b


# -- postings ---------------------------------------------------------------------------
def test_a_posting_moves_the_posted_counters_and_is_journalled(book: Book) -> None:
    t = book.t(ALICE, CAROL, 300, code=1000, channel="web", reference="rent")
    outcome = book.apply(t)
    assert outcome.results == [Result.OK]
    assert outcome.replayed == [False]
    assert outcome.all_ok
    assert book.counters(ALICE) == (0, 300, 0, 1000)
    assert book.counters(CAROL) == (0, 0, 0, 300)
    assert [a.id for a in outcome.changed_accounts] == [ALICE, CAROL]
    assert outcome.resolved_pending == []
    [e] = outcome.new_entries
    assert (
        e.id,
        e.kind,
        e.debit_account_id,
        e.credit_account_id,
        e.amount_minor,
        e.currency,
        e.code,
        e.channel,
        e.reference,
    ) == (t.id, TransferKind.POSTING, ALICE, CAROL, 300, "CNY", 1000, "web", "rent")
    assert (e.pending_status, e.expires_at_us, e.pending_id, e.reversal_of) == (
        None,
        None,
        None,
        None,
    )
    assert e.created_at_us == NOW
    assert e.is_posted_movement


def test_an_empty_batch_does_nothing() -> None:
    outcome = apply_batch([], BatchContext(accounts={}), NOW)
    assert outcome.results == [] and outcome.new_entries == [] and outcome.all_ok


def test_missing_accounts(book: Book) -> None:
    assert book.one(book.t(99, ALICE, 1)) is Result.DEBIT_ACCOUNT_NOT_FOUND
    assert book.one(book.t(ALICE, 99, 1)) is Result.CREDIT_ACCOUNT_NOT_FOUND
    assert book.one(book.t(98, 99, 1)) is Result.DEBIT_ACCOUNT_NOT_FOUND


def test_currency_must_match_both_accounts(book: Book) -> None:
    assert book.one(book.t(SUSPENSE, DOLLARS, 1)) is Result.CURRENCY_MISMATCH
    assert book.one(book.t(DOLLARS, SUSPENSE, 1, currency="USD")) is Result.CURRENCY_MISMATCH
    assert book.one(book.t(SUSPENSE, CAROL, 1, currency="USD")) is Result.CURRENCY_MISMATCH
    assert book.counters(SUSPENSE) == (0, 0, 0, 0)


@pytest.mark.parametrize("status", list(AccountStatus))
def test_account_status_rules(book: Book, status: AccountStatus) -> None:
    book.accounts[ALICE].status = status
    as_debit = book.one(book.t(ALICE, CAROL, 10))
    as_credit = book.one(book.t(SUSPENSE, ALICE, 10))
    expected_debit = {
        AccountStatus.ACTIVE: Result.OK,
        AccountStatus.FROZEN: Result.DEBIT_ACCOUNT_FROZEN,
        AccountStatus.DORMANT: Result.DEBIT_ACCOUNT_DORMANT,
        AccountStatus.CLOSED: Result.DEBIT_ACCOUNT_CLOSED,
    }[status]
    # Frozen and dormant accounts still receive credits; a closed one receives nothing.
    expected_credit = Result.CREDIT_ACCOUNT_CLOSED if status is AccountStatus.CLOSED else Result.OK
    assert (as_debit, as_credit) == (expected_debit, expected_credit)


def test_a_closed_account_refuses_a_hold_too(book: Book) -> None:
    book.accounts[CAROL].status = AccountStatus.CLOSED
    assert book.one(book.hold(ALICE, CAROL, 10)) is Result.CREDIT_ACCOUNT_CLOSED
    book.accounts[ALICE].status = AccountStatus.FROZEN
    assert book.one(book.hold(ALICE, SUSPENSE, 10)) is Result.DEBIT_ACCOUNT_FROZEN


def test_exceeds_credits_without_overdraft(book: Book) -> None:
    assert book.one(book.t(ALICE, CAROL, 1001)) is Result.EXCEEDS_CREDITS
    assert book.counters(ALICE) == (0, 0, 0, 1000)
    assert book.one(book.t(ALICE, CAROL, 1000)) is Result.OK
    assert book.one(book.t(ALICE, CAROL, 1)) is Result.EXCEEDS_CREDITS
    assert book.balance(ALICE) == 0


def test_exceeds_credits_with_overdraft(book: Book) -> None:
    # Bob holds 200 and may go 500 below zero.
    assert book.one(book.t(BOB, CAROL, 701)) is Result.EXCEEDS_CREDITS
    assert book.one(book.t(BOB, CAROL, 700)) is Result.OK
    assert book.balance(BOB) == -500
    assert book.one(book.t(BOB, CAROL, 1)) is Result.EXCEEDS_CREDITS
    assert book.one(book.t(CAROL, BOB, 100)) is Result.OK
    assert book.one(book.t(BOB, CAROL, 100)) is Result.OK


def test_holds_count_against_the_available_balance(book: Book) -> None:
    assert book.one(book.hold(ALICE, CAROL, 600)) is Result.OK
    assert book.one(book.t(ALICE, CAROL, 401)) is Result.EXCEEDS_CREDITS
    assert book.one(book.hold(ALICE, CAROL, 401)) is Result.EXCEEDS_CREDITS
    assert book.one(book.t(ALICE, CAROL, 400)) is Result.OK
    # Pending credits are not yet money: Carol cannot spend what is only on hold for her.
    assert book.one(book.t(CAROL, SUSPENSE, 401)) is Result.EXCEEDS_CREDITS


def test_exceeds_debits(book: Book) -> None:
    # The vault has paid in 1,200 of cash; it cannot pay out more than that.
    assert book.one(book.t(ALICE, CASH, 500)) is Result.OK
    assert book.one(book.t(SUSPENSE, CASH, 701)) is Result.EXCEEDS_DEBITS
    assert book.one(book.t(SUSPENSE, CASH, 700)) is Result.OK
    assert book.one(book.t(SUSPENSE, CASH, 1)) is Result.EXCEEDS_DEBITS
    assert book.one(book.hold(SUSPENSE, CASH, 1)) is Result.EXCEEDS_DEBITS


def test_exceeds_credits_is_checked_before_exceeds_debits(book: Book) -> None:
    assert book.one(book.t(ALICE, CASH, 5000)) is Result.EXCEEDS_CREDITS


def test_a_balance_cannot_overflow_64_bits(book: Book) -> None:
    big = MAX_AMOUNT_MINOR - 100
    assert book.one(book.t(SUSPENSE, CAROL, big)) is Result.OK
    assert book.one(book.t(SUSPENSE, CAROL, 101)) is Result.OVERFLOWS_BALANCE
    assert book.one(book.t(SUSPENSE, CAROL, 100)) is Result.OK
    assert book.counters(CAROL)[3] == MAX_AMOUNT_MINOR
    assert book.one(book.t(SUSPENSE, CAROL, 1)) is Result.OVERFLOWS_BALANCE
    # the debit side too
    assert book.one(book.t(SUSPENSE, ALICE, 1)) is Result.OVERFLOWS_BALANCE


# -- idempotency --------------------------------------------------------------------------
def test_a_retry_with_the_same_fields_replays_the_first_result(book: Book) -> None:
    t = book.t(ALICE, CAROL, 300)
    first = book.apply(t)
    again = book.apply(t)
    assert again.results == [Result.OK]
    assert again.replayed == [True]
    assert again.new_entries == [] and again.changed_accounts == []
    assert book.counters(ALICE) == (0, 300, 0, 1000)
    assert first.replayed == [False]


def test_a_retry_inside_the_same_batch_is_applied_once(book: Book) -> None:
    t = book.t(ALICE, CAROL, 300)
    outcome = book.apply(t, t, t)
    assert outcome.results == [Result.OK] * 3
    assert outcome.replayed == [False, True, True]
    assert len(outcome.new_entries) == 1
    assert book.counters(CAROL) == (0, 0, 0, 300)


def test_a_retry_succeeds_even_when_the_balance_is_now_too_low(book: Book) -> None:
    t = book.t(ALICE, CAROL, 1000)
    assert book.one(t) is Result.OK
    assert book.one(t) is Result.OK  # the first result, not a second debit
    assert book.balance(ALICE) == 0


def test_a_refused_id_is_not_taken(book: Book) -> None:
    t = book.t(ALICE, CAROL, 5000)
    assert book.one(t) is Result.EXCEEDS_CREDITS
    assert book.one(book.t(CASH, ALICE, 5000)) is Result.OK
    outcome = book.apply(t)
    assert outcome.results == [Result.OK] and outcome.replayed == [False]


@pytest.mark.parametrize(
    ("changes", "result"),
    [
        ({"kind": TransferKind.PENDING}, Result.EXISTS_WITH_DIFFERENT_KIND),
        ({"debit_account_id": BOB}, Result.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT),
        ({"credit_account_id": SUSPENSE}, Result.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT),
        ({"amount_minor": 301}, Result.EXISTS_WITH_DIFFERENT_AMOUNT),
        ({"currency": "USD"}, Result.EXISTS_WITH_DIFFERENT_CURRENCY),
        ({"reversal_of": UUID(int=10**9)}, Result.EXISTS_WITH_DIFFERENT_REVERSAL_OF),
        ({"code": 7}, Result.EXISTS_WITH_DIFFERENT_FIELDS),
        ({"channel": "atm"}, Result.EXISTS_WITH_DIFFERENT_FIELDS),
        ({"reference": "again"}, Result.EXISTS_WITH_DIFFERENT_FIELDS),
    ],
)
def test_a_retry_with_different_fields_is_refused(
    book: Book, changes: dict[str, Any], result: Result
) -> None:
    t = book.t(ALICE, CAROL, 300)
    assert book.one(t) is Result.OK
    fields: dict[str, Any] = {
        "id": t.id,
        "debit_account_id": ALICE,
        "credit_account_id": CAROL,
        "amount_minor": 300,
        **changes,
    }
    outcome = book.apply(Transfer(**fields))
    assert outcome.results == [result]
    assert outcome.replayed == [False]
    assert outcome.new_entries == []
    assert book.counters(ALICE) == (0, 300, 0, 1000)


def test_a_retried_hold_with_a_different_timeout_is_refused(book: Book) -> None:
    h = book.hold(ALICE, CAROL, 300, timeout_s=60)
    assert book.one(h) is Result.OK
    changed = Transfer(
        id=h.id,
        debit_account_id=ALICE,
        credit_account_id=CAROL,
        amount_minor=300,
        kind=TransferKind.PENDING,
        timeout_s=61,
    )
    assert book.one(changed) is Result.EXISTS_WITH_DIFFERENT_FIELDS
    assert book.one(h) is Result.OK


def test_a_retried_post_with_a_different_pending_id_or_amount_is_refused(book: Book) -> None:
    h1, h2 = book.hold(ALICE, CAROL, 300), book.hold(ALICE, CAROL, 200)
    assert book.apply(h1, h2).all_ok
    p = book.post(h1.id, 100)
    assert book.one(p) is Result.OK
    assert book.one(book.post(h2.id, 100, id=p.id)) is Result.EXISTS_WITH_DIFFERENT_PENDING_ID
    assert book.one(book.post(h1.id, 99, id=p.id)) is Result.EXISTS_WITH_DIFFERENT_AMOUNT
    assert book.one(book.void(h1.id, id=p.id)) is Result.EXISTS_WITH_DIFFERENT_KIND
    replay = book.apply(book.post(h1.id, 100, id=p.id))
    assert replay.results == [Result.OK] and replay.replayed == [True]
    # h2 is untouched by the refused retry
    assert book.entries[h2.id].pending_status is PendingStatus.PENDING


def test_a_retried_whole_post_may_leave_the_amount_out(book: Book) -> None:
    h = book.hold(ALICE, CAROL, 300)
    p = book.post(h.id)
    assert book.apply(h, p).all_ok
    assert book.entries[p.id].amount_minor == 300
    for retry in (p, book.post(h.id, 300, id=p.id)):
        outcome = book.apply(retry)
        assert outcome.results == [Result.OK] and outcome.replayed == [True]
    assert book.counters(ALICE) == (0, 300, 0, 1000)


# -- linked chains --------------------------------------------------------------------------
def test_a_linked_chain_succeeds_as_one(book: Book) -> None:
    # Alice pays Carol 900, Carol passes 900 on: the second leg needs the first.
    outcome = book.apply(book.t(ALICE, CAROL, 900, linked=True), book.t(CAROL, SUSPENSE, 900))
    assert outcome.results == [Result.OK, Result.OK]
    assert book.balance(CAROL) == 0
    assert book.balance(SUSPENSE) == 900


def test_a_linked_chain_fails_as_one(book: Book) -> None:
    before = {i: book.counters(i) for i in book.accounts}
    outcome = book.apply(
        book.t(ALICE, CAROL, 100, linked=True),
        book.hold(ALICE, CAROL, 100, linked=True),
        book.t(CAROL, SUSPENSE, 900, linked=True),  # Carol only has 100
        book.t(ALICE, SUSPENSE, 1),
    )
    assert outcome.results == [
        Result.LINKED_EVENT_FAILED,
        Result.LINKED_EVENT_FAILED,
        Result.EXCEEDS_CREDITS,
        Result.LINKED_EVENT_FAILED,
    ]
    assert outcome.replayed == [False] * 4
    assert outcome.new_entries == [] and outcome.changed_accounts == []
    assert {i: book.counters(i) for i in book.accounts} == before


def test_the_first_failure_in_a_chain_is_reported(book: Book) -> None:
    outcome = book.apply(book.t(ALICE, CAROL, 5000, linked=True), book.t(99, CAROL, 1))
    assert outcome.results == [Result.EXCEEDS_CREDITS, Result.LINKED_EVENT_FAILED]


def test_chains_in_one_batch_are_independent(book: Book) -> None:
    outcome = book.apply(
        book.t(ALICE, CAROL, 100),
        book.t(ALICE, CAROL, 100, linked=True),
        book.t(CAROL, SUSPENSE, 10_000),
        book.t(ALICE, CAROL, 100, linked=True),
        book.t(CAROL, SUSPENSE, 150),
        book.t(ALICE, SUSPENSE, 5000),
    )
    assert outcome.results == [
        Result.OK,
        Result.LINKED_EVENT_FAILED,
        Result.EXCEEDS_CREDITS,
        Result.OK,
        Result.OK,
        Result.EXCEEDS_CREDITS,
    ]
    assert len(outcome.new_entries) == 3
    assert book.balance(ALICE) == 800
    assert book.balance(CAROL) == 50


def test_a_batch_that_ends_inside_a_chain_fails_the_chain(book: Book) -> None:
    outcome = book.apply(
        book.t(ALICE, CAROL, 1),
        book.t(ALICE, CAROL, 2, linked=True),
        book.t(ALICE, CAROL, 3, linked=True),
    )
    assert outcome.results == [
        Result.OK,
        Result.LINKED_EVENT_FAILED,
        Result.LINKED_EVENT_CHAIN_OPEN,
    ]
    assert book.balance(CAROL) == 1
    assert book.apply(book.t(ALICE, CAROL, 1, linked=True)).results == [
        Result.LINKED_EVENT_CHAIN_OPEN
    ]


def test_a_failed_chain_releases_the_ids_it_used(book: Book) -> None:
    a = book.t(ALICE, CAROL, 100, linked=True)
    outcome = book.apply(
        a,
        book.t(ALICE, CAROL, 5000),
        a.__class__(id=a.id, debit_account_id=ALICE, credit_account_id=CAROL, amount_minor=100),
    )
    assert outcome.results == [Result.LINKED_EVENT_FAILED, Result.EXCEEDS_CREDITS, Result.OK]
    assert outcome.replayed == [False, False, False]
    assert [e.id for e in outcome.new_entries] == [a.id]
    assert book.balance(CAROL) == 100


def test_a_replay_inside_a_failed_chain_is_not_reported_as_a_replay(book: Book) -> None:
    t = book.t(ALICE, CAROL, 100)
    assert book.one(t) is Result.OK
    retry = Transfer(
        id=t.id, debit_account_id=ALICE, credit_account_id=CAROL, amount_minor=100, linked=True
    )
    outcome = book.apply(retry, book.t(ALICE, CAROL, 5000))
    assert outcome.results == [Result.LINKED_EVENT_FAILED, Result.EXCEEDS_CREDITS]
    assert outcome.replayed == [False, False]
    assert book.balance(CAROL) == 100


def test_a_failed_chain_puts_a_resolved_hold_back(book: Book) -> None:
    h = book.hold(ALICE, CAROL, 300)
    assert book.one(h) is Result.OK
    outcome = book.apply(book.post(h.id, linked=True), book.t(CAROL, SUSPENSE, 301))
    assert outcome.results == [Result.LINKED_EVENT_FAILED, Result.EXCEEDS_CREDITS]
    assert outcome.resolved_pending == []
    assert book.entries[h.id].pending_status is PendingStatus.PENDING
    assert book.counters(ALICE) == (300, 0, 0, 1000)
    # in the same batch, a later chain can still post it
    outcome = book.apply(
        book.post(h.id, linked=True), book.t(CAROL, SUSPENSE, 301), book.post(h.id, 250)
    )
    assert outcome.results == [Result.LINKED_EVENT_FAILED, Result.EXCEEDS_CREDITS, Result.OK]
    assert book.entries[h.id].pending_status is PendingStatus.POSTED
    assert book.counters(ALICE) == (0, 250, 0, 1000)


def test_a_failed_chain_puts_a_reversal_back(book: Book) -> None:
    t = book.t(ALICE, CAROL, 300)
    assert book.one(t) is Result.OK
    outcome = book.apply(
        book.reverse(t, linked=True), book.t(ALICE, SUSPENSE, 5000), book.reverse(t)
    )
    assert outcome.results == [Result.LINKED_EVENT_FAILED, Result.EXCEEDS_CREDITS, Result.OK]
    assert book.balance(ALICE) == 1000
    assert book.balance(CAROL) == 0


# -- two-phase transfers ------------------------------------------------------------------
def test_a_hold_reserves_and_records_its_expiry(book: Book) -> None:
    h = book.hold(ALICE, CAROL, 300, timeout_s=60)
    outcome = book.apply(h)
    assert outcome.results == [Result.OK]
    [e] = outcome.new_entries
    assert e.kind is TransferKind.PENDING
    assert e.pending_status is PendingStatus.PENDING
    assert e.expires_at_us == NOW + 60 * S
    assert not e.is_posted_movement
    assert book.counters(ALICE) == (300, 0, 0, 1000)
    assert book.counters(CAROL) == (0, 0, 300, 0)


def test_posting_a_whole_hold(book: Book) -> None:
    h = book.hold(ALICE, CAROL, 300, timeout_s=60, code=1004)
    assert book.one(h) is Result.OK
    p = book.post(h.id, reference="captured")
    outcome = book.apply(p)
    assert outcome.results == [Result.OK]
    [e] = outcome.new_entries
    assert (e.kind, e.pending_id, e.amount_minor, e.debit_account_id, e.credit_account_id) == (
        TransferKind.POST_PENDING,
        h.id,
        300,
        ALICE,
        CAROL,
    )
    assert e.pending_status is None and e.is_posted_movement
    assert [r.id for r in outcome.resolved_pending] == [h.id]
    assert book.entries[h.id].pending_status is PendingStatus.POSTED
    assert book.counters(ALICE) == (0, 300, 0, 1000)
    assert book.counters(CAROL) == (0, 0, 0, 300)


def test_posting_part_of_a_hold_releases_the_rest(book: Book) -> None:
    h = book.hold(ALICE, CAROL, 300)
    assert book.one(h) is Result.OK
    p = book.post(h.id, 120)
    assert book.one(p) is Result.OK
    assert book.entries[p.id].amount_minor == 120
    assert book.counters(ALICE) == (0, 120, 0, 1000)
    assert book.counters(CAROL) == (0, 0, 0, 120)
    assert book.one(book.post(h.id, 10)) is Result.PENDING_TRANSFER_ALREADY_POSTED


def test_posting_more_than_the_hold_is_refused(book: Book) -> None:
    h = book.hold(ALICE, CAROL, 300)
    assert book.one(h) is Result.OK
    assert book.one(book.post(h.id, 301)) is Result.EXCEEDS_PENDING_TRANSFER_AMOUNT
    assert book.entries[h.id].pending_status is PendingStatus.PENDING


def test_voiding_a_hold(book: Book) -> None:
    h = book.hold(ALICE, CAROL, 300)
    assert book.one(h) is Result.OK
    assert book.one(book.void(h.id, 100)) is Result.EXCEEDS_PENDING_TRANSFER_AMOUNT
    v = book.void(h.id)
    outcome = book.apply(v)
    assert outcome.results == [Result.OK]
    assert outcome.new_entries[0].amount_minor == 300
    assert not outcome.new_entries[0].is_posted_movement
    assert book.entries[h.id].pending_status is PendingStatus.VOIDED
    assert book.counters(ALICE) == (0, 0, 0, 1000)
    assert book.counters(CAROL) == (0, 0, 0, 0)
    assert book.one(book.void(h.id, 300)) is Result.PENDING_TRANSFER_ALREADY_VOIDED
    assert book.one(book.post(h.id)) is Result.PENDING_TRANSFER_ALREADY_VOIDED


def test_a_void_may_name_the_whole_amount(book: Book) -> None:
    h = book.hold(ALICE, CAROL, 300)
    assert book.apply(h, book.void(h.id, 300)).all_ok


def test_resolving_what_is_not_a_hold(book: Book) -> None:
    t = book.t(ALICE, CAROL, 10)
    assert book.one(t) is Result.OK
    assert book.one(book.post(t.id)) is Result.PENDING_TRANSFER_NOT_PENDING
    assert book.one(book.void(UUID(int=10**9))) is Result.PENDING_TRANSFER_NOT_FOUND
    assert book.one(book.post(UUID(int=10**9))) is Result.PENDING_TRANSFER_NOT_FOUND


def test_resolving_in_another_currency_is_refused(book: Book) -> None:
    h = book.hold(ALICE, CAROL, 300)
    assert book.one(h) is Result.OK
    assert book.one(book.post(h.id, currency="USD")) is Result.CURRENCY_MISMATCH


@pytest.mark.parametrize(
    ("elapsed_us", "result"),
    [
        (60 * S - 1, Result.OK),
        (60 * S, Result.PENDING_TRANSFER_EXPIRED),
        (3600 * S, Result.PENDING_TRANSFER_EXPIRED),
    ],
)
def test_a_hold_expires_by_time(book: Book, elapsed_us: int, result: Result) -> None:
    h = book.hold(ALICE, CAROL, 300, timeout_s=60)
    assert book.one(h) is Result.OK
    book.now_us += elapsed_us
    assert book.one(book.post(h.id)) is result
    assert book.one(book.void(h.id)) is (
        Result.PENDING_TRANSFER_ALREADY_POSTED if result is Result.OK else result
    )


def test_a_hold_without_timeout_never_expires(book: Book) -> None:
    h = book.hold(ALICE, CAROL, 300)
    assert book.one(h) is Result.OK
    assert book.entries[h.id].expires_at_us is None
    book.now_us += 10 * 366 * 24 * 3600 * S
    assert book.one(book.post(h.id)) is Result.OK


def test_an_expired_hold_is_released_once(book: Book) -> None:
    h = book.hold(ALICE, CAROL, 300, timeout_s=1)
    assert book.one(h) is Result.OK
    entry = book.entries[h.id]
    expire(entry, book.accounts)
    assert entry.pending_status is PendingStatus.EXPIRED
    assert book.counters(ALICE) == (0, 0, 0, 1000)
    assert book.counters(CAROL) == (0, 0, 0, 0)
    with pytest.raises(AssertionError):
        expire(entry, book.accounts)
    book.now_us -= 10 * S  # even "before" its expiry, an expired hold stays expired
    assert book.one(book.post(h.id)) is Result.PENDING_TRANSFER_EXPIRED
    assert book.one(book.void(h.id)) is Result.PENDING_TRANSFER_EXPIRED


def test_a_hold_posted_in_its_own_batch(book: Book) -> None:
    h = book.hold(ALICE, CAROL, 300, timeout_s=60)
    outcome = book.apply(h, book.post(h.id, 200), book.post(h.id, 1))
    assert outcome.results == [Result.OK, Result.OK, Result.PENDING_TRANSFER_ALREADY_POSTED]
    # the hold is written once, already posted; nothing to update afterwards
    assert outcome.resolved_pending == []
    assert outcome.new_entries[0].pending_status is PendingStatus.POSTED
    assert book.counters(ALICE) == (0, 200, 0, 1000)


def test_posting_a_hold_on_a_closed_account_is_refused(book: Book) -> None:
    h = book.hold(ALICE, CAROL, 300)
    assert book.one(h) is Result.OK
    book.accounts[CAROL].status = AccountStatus.CLOSED
    assert book.one(book.post(h.id)) is Result.CREDIT_ACCOUNT_CLOSED
    book.accounts[CAROL].status = AccountStatus.ACTIVE
    book.accounts[ALICE].status = AccountStatus.CLOSED
    assert book.one(book.post(h.id)) is Result.DEBIT_ACCOUNT_CLOSED
    # a void releases the reservation even so
    assert book.one(book.void(h.id)) is Result.OK
    assert book.counters(ALICE) == (0, 0, 0, 1000)


def test_a_frozen_account_still_honours_its_holds(book: Book) -> None:
    h = book.hold(ALICE, CAROL, 300)
    assert book.one(h) is Result.OK
    book.accounts[ALICE].status = AccountStatus.FROZEN
    assert book.one(book.post(h.id)) is Result.OK
    assert book.balance(ALICE) == 700


# -- reversals -----------------------------------------------------------------------------
def test_a_whole_reversal(book: Book) -> None:
    t = book.t(ALICE, CAROL, 300)
    assert book.one(t) is Result.OK
    r = book.reverse(t)
    outcome = book.apply(r)
    assert outcome.results == [Result.OK]
    assert outcome.new_entries[0].reversal_of == t.id
    assert book.balance(ALICE) == 1000 and book.balance(CAROL) == 0
    assert book.one(book.reverse(t)) is Result.REVERSED_TRANSFER_ALREADY_REVERSED


def test_a_partial_reversal_is_the_only_one(book: Book) -> None:
    t = book.t(ALICE, CAROL, 300)
    assert book.one(t) is Result.OK
    assert book.one(book.reverse(t, 301)) is Result.EXCEEDS_REVERSED_TRANSFER_AMOUNT
    assert book.one(book.reverse(t, 100)) is Result.OK
    assert book.balance(CAROL) == 200
    assert book.one(book.reverse(t, 100)) is Result.REVERSED_TRANSFER_ALREADY_REVERSED


def test_two_reversals_in_one_batch(book: Book) -> None:
    t = book.t(ALICE, CAROL, 300)
    outcome = book.apply(t, book.reverse(t, 100), book.reverse(t, 100))
    assert outcome.results == [Result.OK, Result.OK, Result.REVERSED_TRANSFER_ALREADY_REVERSED]


def test_a_reversal_must_swap_the_original_accounts(book: Book) -> None:
    t = book.t(ALICE, CAROL, 300)
    assert book.one(t) is Result.OK
    for dr, cr in ((ALICE, CAROL), (CAROL, SUSPENSE), (SUSPENSE, ALICE)):
        assert book.one(book.t(dr, cr, 10, reversal_of=t.id)) is Result.REVERSAL_ACCOUNTS_MISMATCH


def test_what_cannot_be_reversed(book: Book) -> None:
    assert (
        book.one(book.t(CAROL, ALICE, 1, reversal_of=UUID(int=10**9)))
        is Result.REVERSED_TRANSFER_NOT_FOUND
    )
    h = book.hold(ALICE, CAROL, 300)
    assert book.one(h) is Result.OK
    assert book.one(book.reverse(h)) is Result.REVERSED_TRANSFER_NOT_POSTED
    v = book.void(h.id)
    assert book.one(v) is Result.OK
    assert (
        book.one(book.t(CAROL, ALICE, 300, reversal_of=v.id)) is Result.REVERSED_TRANSFER_NOT_POSTED
    )


def test_a_posted_hold_is_reversed_like_a_posting(book: Book) -> None:
    h = book.hold(ALICE, CAROL, 300)
    p = book.post(h.id, 200)
    assert book.apply(h, p).all_ok
    assert (
        book.one(book.t(CAROL, ALICE, 201, reversal_of=p.id))
        is Result.EXCEEDS_REVERSED_TRANSFER_AMOUNT
    )
    assert book.one(book.t(CAROL, ALICE, 200, reversal_of=p.id)) is Result.OK
    assert book.balance(ALICE) == 1000


def test_a_reversal_of_a_reversal(book: Book) -> None:
    t = book.t(ALICE, CAROL, 300)
    r = book.reverse(t)
    assert book.apply(t, r).all_ok
    assert book.one(book.reverse(r)) is Result.OK
    assert book.balance(CAROL) == 300


def test_a_reversal_may_debit_a_frozen_or_dormant_account(book: Book) -> None:
    # An error is corrected even after the account was frozen (a court order, say).
    t1, t2 = book.t(ALICE, CAROL, 300), book.t(ALICE, CAROL, 200)
    assert book.apply(t1, t2).all_ok
    book.accounts[CAROL].status = AccountStatus.FROZEN
    assert book.one(book.t(CAROL, ALICE, 1)) is Result.DEBIT_ACCOUNT_FROZEN
    assert book.one(book.reverse(t1)) is Result.OK
    book.accounts[CAROL].status = AccountStatus.DORMANT
    assert book.one(book.reverse(t2)) is Result.OK
    assert book.balance(CAROL) == 0


def test_a_reversal_may_not_touch_a_closed_account(book: Book) -> None:
    t = book.t(ALICE, CAROL, 300)
    assert book.one(t) is Result.OK
    book.accounts[CAROL].status = AccountStatus.CLOSED
    assert book.one(book.reverse(t)) is Result.DEBIT_ACCOUNT_CLOSED


def test_a_reversal_needs_the_funds(book: Book) -> None:
    t = book.t(ALICE, CAROL, 300)
    assert book.apply(t, book.t(CAROL, SUSPENSE, 250)).all_ok
    assert book.one(book.reverse(t)) is Result.EXCEEDS_CREDITS
    assert book.one(book.reverse(t, 50)) is Result.OK


# -- what the store is asked to load --------------------------------------------------------
def test_ids_referenced(book: Book) -> None:
    pending, original = UUID(int=500), UUID(int=501)
    batch = [
        book.t(ALICE, CAROL, 1),
        book.post(pending),
        book.t(CAROL, ALICE, 1, reversal_of=original),
    ]
    ids, accounts, refs = ids_referenced(batch)
    assert ids == {t.id for t in batch}
    assert accounts == {ALICE, CAROL}
    assert refs == {pending, original}


def test_within_limits() -> None:
    a = LedgerAccount(
        1,
        "CNY",
        debits_must_not_exceed_credits=True,
        overdraft_limit_minor=5,
        debits_posted=10,
        credits_posted=5,
    )
    assert a.within_limits()
    a.debits_pending = 1
    assert not a.within_limits()
    b = LedgerAccount(
        2,
        "CNY",
        credits_must_not_exceed_debits=True,
        debits_posted=5,
        credits_posted=4,
        credits_pending=1,
    )
    assert b.within_limits()
    b.credits_pending = 2
    assert not b.within_limits()
    c = LedgerAccount(3, "CNY", debits_posted=10**9)
    assert c.within_limits()
    c.restore((1, 2, 3, 4))
    assert c.counters() == (1, 2, 3, 4)
