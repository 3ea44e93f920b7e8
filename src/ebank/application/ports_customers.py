"""Ports of the customer-facing read side and services: beneficiaries, filtered
transaction history, statements and their documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from ebank.domain.customers import Customer
from ebank.domain.transfers import JournalEntry

if TYPE_CHECKING:
    from ebank.application.statements import Statement


@dataclass(frozen=True, slots=True)
class Beneficiary:
    """A payee a customer saved: an account of the bank under a name they chose."""

    beneficiary_id: int
    customer_id: int
    alias: str
    account_number: str
    name: str  # the payee account's name, as checked when it was saved
    created_at_us: int


class BeneficiaryStore(Protocol):
    """A customer's saved payees."""

    def for_customer(self, customer_id: int) -> list[Beneficiary]:
        """The customer's payees, by alias."""
        ...

    def get(self, customer_id: int, beneficiary_id: int) -> Beneficiary | None:
        """One of the customer's payees (``None`` for another customer's)."""
        ...

    def by_account(self, customer_id: int, account_number: str) -> Beneficiary | None: ...

    def count(self, customer_id: int) -> int: ...

    def add(
        self, customer_id: int, alias: str, account_number: str, name: str, now_us: int
    ) -> Beneficiary:
        """Save a payee; ``BeneficiaryExists`` when the alias or the account is already
        saved (also when a concurrent request saved it first)."""
        ...

    def remove(self, customer_id: int, beneficiary_id: int) -> bool:
        """Forget a payee; False if the customer has no such payee."""
        ...


class Direction(StrEnum):
    """Which side of an entry the account is on."""

    DEBIT = "debit"
    CREDIT = "credit"


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """What a history search keeps; ``None`` keeps everything on that field."""

    from_us: int | None = None  # inclusive
    to_us: int | None = None  # exclusive
    min_amount_minor: int | None = None  # inclusive
    max_amount_minor: int | None = None  # inclusive
    code: int | None = None
    channel: str | None = None
    direction: Direction | None = None


@dataclass(frozen=True, slots=True)
class AccountLabel:
    """How a counterparty account is shown: its number and name."""

    account_id: int
    number: str
    name: str
    is_internal: bool  # a bank's own (GL) account: cash, fees, interest...


class CustomerReadStore(Protocol):
    """Read-side queries of the customer services: history, statements, searches."""

    def search_history(
        self, account_id: int, where: HistoryFilter, before_seq: int | None, limit: int
    ) -> list[JournalEntry]:
        """The account's entries matching ``where``, newest first, older than
        ``before_seq``; at most ``limit``."""
        ...

    def posted_sums_before(self, account_id: int, before_us: int) -> tuple[int, int]:
        """(posted debits, posted credits) of the account from entries made before
        ``before_us``: what the opening balance of a statement is made of."""
        ...

    def posted_entries(
        self, account_id: int, from_us: int, to_us: int, limit: int
    ) -> list[JournalEntry]:
        """Entries that moved the account's posted balance in ``[from_us, to_us)``, in
        journal order; at most ``limit``."""
        ...

    def account_labels(self, account_ids: Sequence[int]) -> dict[int, AccountLabel]: ...

    def search_customers(
        self, text: str | None, branch_codes: Sequence[str] | None, limit: int
    ) -> list[Customer]:
        """Customers whose number or identity document number is ``text``, or whose
        name contains it; only of ``branch_codes`` unless ``None``; by number."""
        ...


class DocumentRenderer(Protocol):
    """Renders statements as documents (PDF)."""

    def statement_pdf(self, statement: Statement, tz: tzinfo) -> bytes:
        """The statement as a PDF, times shown in ``tz``."""
        ...
