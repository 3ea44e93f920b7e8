"""Ports: what the use cases need from the outside world, as Protocols. The adapters
implement them; the composition root (``ebank.bootstrap``) picks which."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from ebank.application.ports_cards import CardStore
from ebank.application.ports_controls import (
    ApprovalStore,
    ChallengeStore,
    IdempotencyStore,
    LimitStore,
)
from ebank.application.ports_corporate import CorporateStore
from ebank.application.ports_customers import BeneficiaryStore, CustomerReadStore
from ebank.application.ports_identity import AuditStore, SessionStore, UserStore
from ebank.application.ports_ivr import IvrStore
from ebank.application.ports_office import OfficeReads, TellerStore
from ebank.application.ports_sms import SmsStore
from ebank.application.ports_switch import SwitchStore
from ebank.application.ports_terminals import TerminalStore
from ebank.application.ports_tickets import TicketStore
from ebank.domain.accounts import Account, AccountStatus, Balances, GlKind
from ebank.domain.branches import Branch
from ebank.domain.customers import Customer
from ebank.domain.ledger import BatchContext, BatchOutcome, LedgerAccount
from ebank.domain.transfers import JournalEntry, Transfer


class ConcurrencyConflict(Exception):
    """Raised by a store when a concurrent transaction got there first (a unique key
    taken meanwhile, a serialization failure, a deadlock). The use case retries."""


class Clock(Protocol):
    def now_us(self) -> int:
        """Microseconds since the Unix epoch, UTC."""
        ...

    def today(self) -> date:
        """The bank's business date."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> UUID:
        """A fresh, time-ordered identifier for a transfer."""
        ...


class BranchRepository(Protocol):
    def get(self, code: str) -> Branch | None: ...
    def add(self, branch: Branch, now_us: int) -> None: ...
    def all(self) -> list[Branch]: ...
    def head_office(self) -> Branch | None: ...


class CustomerRepository(Protocol):
    def get(self, customer_id: int) -> Customer | None: ...
    def by_number(self, number: str) -> Customer | None: ...
    def by_identity(self, id_type: str, id_number: str) -> Customer | None: ...
    def many(self, customer_ids: Sequence[int]) -> list[Customer]:
        """Those of ``customer_ids`` that exist, by id."""
        ...

    def by_identities(self, identities: Sequence[tuple[str, str]]) -> list[Customer]:
        """The customers holding any of these ``(id_type, id_number)`` identities."""
        ...

    def add(self, customer: Customer, now_us: int) -> None: ...
    def add_many(self, customers: Sequence[Customer], now_us: int) -> None: ...


class AccountRepository(Protocol):
    def get(self, account_id: int) -> Account | None: ...
    def by_number(self, number: str) -> Account | None: ...
    def gl_account(self, branch_code: str, kind: GlKind, currency: str) -> Account | None: ...
    def balances(self, account_id: int) -> Balances: ...
    def balances_many(self, account_ids: Sequence[int]) -> dict[int, Balances]:
        """Account id -> balances, for those of ``account_ids`` that exist."""
        ...

    def add(self, account: Account) -> None: ...
    def add_many(self, accounts: Sequence[Account]) -> None: ...
    def lock(self, account_id: int) -> Account | None:
        """The account, locked against concurrent change until the unit of work ends."""
        ...

    def set_status(self, account_id: int, status: AccountStatus, now_us: int) -> None: ...
    def for_customer(self, customer_id: int) -> list[Account]: ...
    def for_customers(self, customer_ids: Sequence[int]) -> list[Account]:
        """Every account of any of ``customer_ids``, by id."""
        ...


class JournalStore(Protocol):
    def load(self, batch: Sequence[Transfer], *, optimistic: bool = False) -> BatchContext:
        """Read (and on a multi-writer database, lock) what ``batch`` touches.
        ``optimistic``: the store may instead answer from what it last knew, without
        locking; ``save`` then raises ``ConcurrencyConflict`` if that was out of date (or
        if an id of the batch turns out to be taken), and the caller retries the batch
        without it."""
        ...

    def save(self, outcome: BatchOutcome) -> None: ...
    def entry(self, transfer_id: UUID) -> JournalEntry | None: ...
    def history(self, account_id: int, before_seq: int | None, limit: int) -> list[JournalEntry]:
        """An account's entries, newest first, older than ``before_seq``."""
        ...

    def due_pending(
        self, now_us: int, limit: int
    ) -> tuple[list[JournalEntry], dict[int, LedgerAccount]]:
        """Open pending transfers whose time-out has passed, locked, with their accounts."""
        ...

    def save_expired(
        self, entries: Sequence[JournalEntry], accounts: Sequence[LedgerAccount]
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class DerivedBalances:
    account_id: int
    currency: str
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int


@dataclass(frozen=True, slots=True)
class StoredAccountState:
    account_id: int
    number: str
    currency: str
    ledger: LedgerAccount


class LedgerAuditor(Protocol):
    """Read-only views over the whole ledger, for the reconciliation check."""

    def stored_accounts(self) -> Iterator[StoredAccountState]: ...
    def derived_balances(self) -> dict[int, DerivedBalances]: ...
    def journal_totals(self) -> dict[str, tuple[int, int]]:
        """Per currency: (sum of posted debits, sum of posted credits) from the journal."""
        ...

    def broken_chains(self) -> list[int]:
        """Accounts whose history chain through the journal is not exactly their entries
        in journal order (an entry's link or the account's head names the wrong entry)."""
        ...

    def unmirrored(self) -> list[int]:
        """Accounts whose ledger row (the rules the engine applies: currency, status,
        flags, overdraft limit; and the owner) is missing or differs from the account's
        own."""
        ...

    def account_count(self) -> int: ...
    def transfer_count(self) -> int: ...


class SequenceAllocator(Protocol):
    def next_block(self, name: str, size: int) -> int:
        """Reserve ``size`` consecutive serials of ``name``; returns the first."""
        ...


class UnitOfWork(Protocol):
    # Read-only members, so that an implementation may narrow their types.
    @property
    def branches(self) -> BranchRepository: ...
    @property
    def customers(self) -> CustomerRepository: ...
    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def journal(self) -> JournalStore: ...
    @property
    def sequences(self) -> SequenceAllocator: ...
    @property
    def users(self) -> UserStore: ...
    @property
    def sessions(self) -> SessionStore: ...
    @property
    def audit(self) -> AuditStore: ...
    @property
    def idempotency(self) -> IdempotencyStore: ...
    @property
    def limits(self) -> LimitStore: ...
    @property
    def approvals(self) -> ApprovalStore: ...
    @property
    def challenges(self) -> ChallengeStore: ...
    @property
    def beneficiaries(self) -> BeneficiaryStore: ...
    @property
    def customer_reads(self) -> CustomerReadStore: ...
    @property
    def corporate(self) -> CorporateStore: ...
    @property
    def cards(self) -> CardStore: ...

    @property
    def tickets(self) -> TicketStore: ...

    @property
    def terminals(self) -> TerminalStore: ...

    @property
    def switch(self) -> SwitchStore: ...

    @property
    def ivr(self) -> IvrStore: ...

    @property
    def teller(self) -> TellerStore: ...
    @property
    def office_reads(self) -> OfficeReads: ...
    @property
    def sms(self) -> SmsStore: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
