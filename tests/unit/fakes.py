"""In-memory stand-ins for the ports of ``ebank.application.ports``.

``FakeStore`` holds the committed state of a whole bank. A ``FakeUnitOfWork`` copies that
state when its block is entered, works on the copy, and writes it back only on
``commit``: leaving the block without committing discards every change, as the SQL unit
of work does. The journal applies the same engine (``apply_batch``) as the SQL store and
checks, on every save, the invariants the database's constraints guard (unique transfer
ids, counters never negative, flagged accounts within their limits), so that an engine
bug cannot hide behind a forgiving fake.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self
from uuid import UUID

from ebank.adapters.clock import FixedClock
from ebank.application.context import Context
from ebank.application.ports import (
    ConcurrencyConflict,
    DerivedBalances,
    StoredAccountState,
)
from ebank.domain.accounts import Account, AccountStatus, Balances, GlKind, product
from ebank.domain.branches import Branch, BranchKind
from ebank.domain.customers import Customer
from ebank.domain.ledger import BatchContext, BatchOutcome, LedgerAccount, ids_referenced
from ebank.domain.transfers import JournalEntry, PendingStatus, Transfer, TransferKind

# 2026-11-07 09:00:00 Asia/Shanghai (a Saturday), the same epoch as the integration tests.
EPOCH_US = 1_794_013_200_000_000


@dataclass
class Counters:
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0


@dataclass
class State:
    """Everything a bank stores, as plain values."""

    branches: dict[str, Branch] = field(default_factory=dict)
    customers: dict[int, Customer] = field(default_factory=dict)
    accounts: dict[int, Account] = field(default_factory=dict)
    counters: dict[int, Counters] = field(default_factory=dict)
    closed_at_us: dict[int, int] = field(default_factory=dict)
    journal: list[JournalEntry] = field(default_factory=list)  # in seq order
    sequences: dict[str, int] = field(default_factory=lambda: {"account": 0, "customer": 0})


class FakeStore:
    """The committed state, plus knobs a test turns to simulate a concurrent writer."""

    def __init__(self) -> None:
        self.state = State()
        self.commits = 0
        self.conflicts_to_raise = 0  # the next N journal saves lose a race
        self.saves_attempted = 0
        self.expiry_conflicts_to_raise = 0  # the next N saves of expired holds lose one
        self.expiry_saves_attempted = 0


class FakeBranches:
    def __init__(self, state: State) -> None:
        self.state = state

    def get(self, code: str) -> Branch | None:
        return self.state.branches.get(code)

    def add(self, branch: Branch, now_us: int) -> None:
        assert branch.code not in self.state.branches, "primary key"
        assert (branch.kind is BranchKind.HEAD_OFFICE) == (branch.parent_code is None)
        assert branch.parent_code is None or branch.parent_code in self.state.branches
        self.state.branches[branch.code] = branch

    def all(self) -> list[Branch]:
        return [self.state.branches[c] for c in sorted(self.state.branches)]

    def head_office(self) -> Branch | None:
        return next(
            (b for b in self.state.branches.values() if b.kind is BranchKind.HEAD_OFFICE), None
        )


class FakeCustomers:
    def __init__(self, state: State) -> None:
        self.state = state

    def get(self, customer_id: int) -> Customer | None:
        return self.state.customers.get(customer_id)

    def by_number(self, number: str) -> Customer | None:
        return next((c for c in self.state.customers.values() if c.number == number), None)

    def by_identity(self, id_type: str, id_number: str) -> Customer | None:
        return next(
            (
                c
                for c in self.state.customers.values()
                if c.id_type.value == id_type and c.id_number == id_number
            ),
            None,
        )

    def many(self, customer_ids: Sequence[int]) -> list[Customer]:
        return [
            self.state.customers[i] for i in sorted(set(customer_ids) & self.state.customers.keys())
        ]

    def by_identities(self, identities: Sequence[tuple[str, str]]) -> list[Customer]:
        wanted = set(identities)
        return sorted(
            (c for c in self.state.customers.values() if (c.id_type.value, c.id_number) in wanted),
            key=lambda c: c.id,
        )

    def add(self, customer: Customer, now_us: int) -> None:
        self.add_many([customer], now_us)

    def add_many(self, customers: Sequence[Customer], now_us: int) -> None:
        for c in customers:
            assert c.id not in self.state.customers, "primary key"
            assert self.by_number(c.number) is None, "unique number"
            assert self.by_identity(c.id_type.value, c.id_number) is None, "unique identity"
            assert c.branch_code in self.state.branches, "foreign key"
            self.state.customers[c.id] = c


class FakeAccounts:
    def __init__(self, state: State) -> None:
        self.state = state

    def get(self, account_id: int) -> Account | None:
        return self.state.accounts.get(account_id)

    def by_number(self, number: str) -> Account | None:
        return next((a for a in self.state.accounts.values() if a.number == number), None)

    def gl_account(self, branch_code: str, kind: GlKind, currency: str) -> Account | None:
        return next(
            (
                a
                for a in self.state.accounts.values()
                if a.branch_code == branch_code and a.gl_kind is kind and a.currency == currency
            ),
            None,
        )

    def balances(self, account_id: int) -> Balances:
        account = self.state.accounts[account_id]
        c = self.state.counters[account_id]
        return Balances(
            product(account.product_code).normal_side,
            c.debits_pending,
            c.debits_posted,
            c.credits_pending,
            c.credits_posted,
            account.overdraft_limit_minor,
        )

    def balances_many(self, account_ids: Sequence[int]) -> dict[int, Balances]:
        return {i: self.balances(i) for i in set(account_ids) if i in self.state.accounts}

    def add(self, account: Account) -> None:
        self.add_many([account])

    def add_many(self, accounts: Sequence[Account]) -> None:
        for a in accounts:
            assert a.id not in self.state.accounts, "primary key"
            assert self.by_number(a.number) is None, "unique number"
            assert a.branch_code in self.state.branches, "foreign key"
            assert (a.customer_id is None) == (a.gl_kind is not None), "owner"
            assert a.customer_id is None or a.customer_id in self.state.customers
            if a.gl_kind is not None:
                assert self.gl_account(a.branch_code, a.gl_kind, a.currency) is None
            self.state.accounts[a.id] = a
            self.state.counters[a.id] = Counters()

    def lock(self, account_id: int) -> Account | None:
        return self.get(account_id)

    def set_status(self, account_id: int, status: AccountStatus, now_us: int) -> None:
        account = self.state.accounts[account_id]
        self.state.accounts[account_id] = dataclasses.replace(account, status=status)
        if status is AccountStatus.CLOSED:
            self.state.closed_at_us[account_id] = now_us

    def for_customer(self, customer_id: int) -> list[Account]:
        return sorted(
            (a for a in self.state.accounts.values() if a.customer_id == customer_id),
            key=lambda a: a.id,
        )

    def for_customers(self, customer_ids: Sequence[int]) -> list[Account]:
        wanted = set(customer_ids)
        return sorted(
            (a for a in self.state.accounts.values() if a.customer_id in wanted),
            key=lambda a: a.id,
        )


def ledger_account(account: Account, c: Counters) -> LedgerAccount:
    return LedgerAccount(
        id=account.id,
        currency=account.currency,
        status=account.status,
        debits_must_not_exceed_credits=account.debits_must_not_exceed_credits,
        credits_must_not_exceed_debits=account.credits_must_not_exceed_debits,
        overdraft_limit_minor=account.overdraft_limit_minor,
        debits_pending=c.debits_pending,
        debits_posted=c.debits_posted,
        credits_pending=c.credits_pending,
        credits_posted=c.credits_posted,
    )


class FakeJournal:
    def __init__(self, state: State, store: FakeStore) -> None:
        self.state = state
        self.store = store

    def _by_id(self) -> dict[UUID, JournalEntry]:
        return {e.id: e for e in self.state.journal}

    def _ledger_accounts(self, ids: set[int]) -> dict[int, LedgerAccount]:
        return {
            i: ledger_account(self.state.accounts[i], self.state.counters[i])
            for i in sorted(ids)
            if i in self.state.accounts
        }

    def load(self, batch: Sequence[Transfer], *, optimistic: bool = False) -> BatchContext:
        """Always the current state (the fake has nothing to guess from)."""
        ids, account_ids, refs = ids_referenced(batch)
        by_id = self._by_id()
        existing = {i: copy.copy(by_id[i]) for i in ids if i in by_id}
        referenced = {i: copy.copy(by_id[i]) for i in refs if i in by_id}
        for entry in referenced.values():
            account_ids.update((entry.debit_account_id, entry.credit_account_id))
        already = {
            e.reversal_of
            for e in self.state.journal
            if e.reversal_of is not None and e.reversal_of in refs
        }
        return BatchContext(
            accounts=self._ledger_accounts(account_ids),
            existing=existing,
            referenced=referenced,
            already_reversed=already,
        )

    def save(self, outcome: BatchOutcome) -> None:
        self.store.saves_attempted += 1
        if self.store.conflicts_to_raise:
            self.store.conflicts_to_raise -= 1
            raise ConcurrencyConflict("a concurrent writer took the id first")
        by_id = self._by_id()
        for entry in outcome.new_entries:
            self._check_new(entry, by_id)
            stored = copy.copy(entry)
            stored.seq = len(self.state.journal) + 1
            self.state.journal.append(stored)
            by_id[stored.id] = stored
        for entry in outcome.resolved_pending:
            self._set_pending_status(by_id[entry.id], entry.pending_status)
        self._write_counters(outcome.changed_accounts)

    def _check_new(self, entry: JournalEntry, by_id: dict[UUID, JournalEntry]) -> None:
        """What the database's constraints refuse."""
        assert entry.id not in by_id, f"duplicate transfer id {entry.id}"
        assert entry.amount_minor > 0
        assert entry.debit_account_id != entry.credit_account_id
        for account_id in (entry.debit_account_id, entry.credit_account_id):
            assert self.state.accounts[account_id].currency == entry.currency
        assert (entry.kind is TransferKind.PENDING) == (entry.pending_status is not None)
        for ref in (entry.pending_id, entry.reversal_of):
            assert ref is None or ref in by_id
        if entry.pending_id is not None:
            assert all(e.pending_id != entry.pending_id for e in self.state.journal)
        if entry.reversal_of is not None:
            assert all(e.reversal_of != entry.reversal_of for e in self.state.journal)

    @staticmethod
    def _set_pending_status(stored: JournalEntry, status: PendingStatus | None) -> None:
        assert stored.kind is TransferKind.PENDING
        assert stored.pending_status is PendingStatus.PENDING, "resolved once"
        assert status is not None
        stored.pending_status = status

    def _write_counters(self, accounts: Sequence[LedgerAccount]) -> None:
        for a in accounts:
            assert min(a.counters()) >= 0, f"account {a.id} counter below zero"
            assert a.within_limits(), f"account {a.id} beyond its limit"
            c = self.state.counters[a.id]
            (c.debits_pending, c.debits_posted, c.credits_pending, c.credits_posted) = a.counters()

    def entry(self, transfer_id: UUID) -> JournalEntry | None:
        found = self._by_id().get(transfer_id)
        return copy.copy(found) if found else None

    def history(self, account_id: int, before_seq: int | None, limit: int) -> list[JournalEntry]:
        rows = [
            copy.copy(e)
            for e in reversed(self.state.journal)
            if account_id in (e.debit_account_id, e.credit_account_id)
            and (before_seq is None or (e.seq or 0) < before_seq)
        ]
        return rows[:limit]

    def due_pending(
        self, now_us: int, limit: int
    ) -> tuple[list[JournalEntry], dict[int, LedgerAccount]]:
        due = [
            copy.copy(e)
            for e in self.state.journal
            if e.pending_status is PendingStatus.PENDING
            and e.expires_at_us is not None
            and e.expires_at_us <= now_us
        ][:limit]
        ids = {e.debit_account_id for e in due} | {e.credit_account_id for e in due}
        return due, self._ledger_accounts(ids)

    def save_expired(
        self, entries: Sequence[JournalEntry], accounts: Sequence[LedgerAccount]
    ) -> None:
        self.store.expiry_saves_attempted += 1
        if self.store.expiry_conflicts_to_raise:
            self.store.expiry_conflicts_to_raise -= 1
            raise ConcurrencyConflict("a concurrent writer holds the row")
        by_id = self._by_id()
        for entry in entries:
            self._set_pending_status(by_id[entry.id], entry.pending_status)
        self._write_counters(accounts)


class FakeSequences:
    def __init__(self, state: State) -> None:
        self.state = state

    def next_block(self, name: str, size: int) -> int:
        assert size > 0
        if name not in self.state.sequences:
            raise LookupError(f"no sequence {name!r}")
        self.state.sequences[name] += size
        return self.state.sequences[name] - size + 1


class FakeSms:
    """SMS banking's store as far as the ledger needs it: nobody subscribes to alerts."""

    def alert_subscribers(self, account_ids: list[int]) -> list[object]:
        return []

    def queue(self, messages: list[object], now_us: int) -> None:
        raise AssertionError("no alerts without subscribers")


class FakeUnitOfWork:
    """``with uow: ...; uow.commit()`` over a copy of the store's state."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.committed = False

    def __enter__(self) -> Self:
        self._state = copy.deepcopy(self.store.state)
        self.branches = FakeBranches(self._state)
        self.customers = FakeCustomers(self._state)
        self.accounts = FakeAccounts(self._state)
        self.journal = FakeJournal(self._state, self.store)
        self.sequences = FakeSequences(self._state)
        self.sms = FakeSms()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        self.store.state = copy.deepcopy(self._state)
        self.store.commits += 1
        self.committed = True

    def rollback(self) -> None:
        """Forget what was not committed: work on a fresh copy of the committed state."""
        self.__enter__()


class FakeLedgerAuditor:
    """The reconciliation views, computed from the store's committed state."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def stored_accounts(self) -> Iterator[StoredAccountState]:
        state = self.store.state
        for account_id in sorted(state.accounts):
            account = state.accounts[account_id]
            yield StoredAccountState(
                account.id,
                account.number,
                account.currency,
                ledger_account(account, state.counters[account_id]),
            )

    def derived_balances(self) -> dict[int, DerivedBalances]:
        sums: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for e in self.store.state.journal:
            open_hold = e.pending_status is PendingStatus.PENDING
            posted = e.is_posted_movement
            dr = sums[(e.debit_account_id, e.currency)]
            cr = sums[(e.credit_account_id, e.currency)]
            dr[0] += e.amount_minor if open_hold else 0
            dr[1] += e.amount_minor if posted else 0
            cr[2] += e.amount_minor if open_hold else 0
            cr[3] += e.amount_minor if posted else 0
        return {
            account_id: DerivedBalances(account_id, currency, *v)
            for (account_id, currency), v in sums.items()
        }

    def broken_chains(self) -> list[int]:
        """None: the fake finds an account's history by scanning its journal, not by
        links that could break."""
        return []

    def unmirrored(self) -> list[int]:
        """None: the fake keeps one record per account."""
        return []

    def journal_totals(self) -> dict[str, tuple[int, int]]:
        totals: dict[str, int] = defaultdict(int)
        for e in self.store.state.journal:
            if e.is_posted_movement:
                totals[e.currency] += e.amount_minor
        return {currency: (total, total) for currency, total in totals.items()}

    def account_count(self) -> int:
        return len(self.store.state.accounts)

    def transfer_count(self) -> int:
        return len(self.store.state.journal)


class SequentialIds:
    """Transfer ids 1, 2, 3, ... as UUIDs: predictable in assertions."""

    def __init__(self, start: int = 1) -> None:
        self._next = itertools.count(start)

    def new_id(self) -> UUID:
        return UUID(int=next(self._next))


def fake_context(
    store: FakeStore | None = None, clock: FixedClock | None = None
) -> tuple[Context, FakeStore, FixedClock]:
    store = store or FakeStore()
    clock = clock or FixedClock(EPOCH_US)
    ctx = Context(
        uow=lambda: FakeUnitOfWork(store),
        clock=clock,
        ids=SequentialIds(1_000_000),
        auditor=lambda: FakeLedgerAuditor(store),
    )
    return ctx, store, clock
