"""Ports of the back office: tellers' cash boxes and shifts, and the branch dashboard's
read-side figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from ebank.domain.accounts import Account


class ShiftStatus(StrEnum):
    OPEN = "open"
    BALANCED = "balanced"  # the count matched the ledger
    DIFFERENCE = "difference"  # the count did not match: the difference is recorded


@dataclass(frozen=True, slots=True)
class Shift:
    """A teller's shift at the counter with one cash box, from float to close."""

    id: int
    user_id: int
    branch_code: str
    box_account_id: int
    currency: str
    status: ShiftStatus
    opened_at_us: int
    closed_at_us: int | None = None
    expected_minor: int | None = None  # what the ledger said the box held at close
    counted_minor: int | None = None  # what the teller counted
    difference_minor: int | None = None  # counted - expected (negative: cash short)
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ShiftClose:
    expected_minor: int
    counted_minor: int
    difference_minor: int
    status: ShiftStatus
    note: str
    closed_at_us: int


class TellerStore(Protocol):
    def cash_box(self, teller_id: int, currency: str) -> Account | None:
        """The teller's own cash box account in ``currency``, if opened."""
        ...

    def add_cash_box(self, account: Account, teller_id: int) -> None: ...
    def current_shift(self, teller_id: int, currency: str) -> Shift | None:
        """The teller's open shift in ``currency``, locked until the unit of work ends."""
        ...

    def open_shift(
        self, teller_id: int, branch_code: str, box_account_id: int, currency: str, now_us: int
    ) -> Shift:
        """A new open shift; ``ConcurrencyConflict`` if one opened meanwhile."""
        ...

    def close_shift(self, shift_id: int, close: ShiftClose) -> None: ...
    def recent_shifts(self, teller_id: int, limit: int) -> list[Shift]:
        """The teller's shifts, newest first."""
        ...


@dataclass(frozen=True, slots=True)
class ChannelVolume:
    channel: str
    currency: str
    count: int
    amount_minor: int


@dataclass(frozen=True, slots=True)
class BranchFigures:
    customers: int
    accounts: int  # customer accounts that are not closed
    volumes: list[ChannelVolume] = field(default_factory=list)


class OfficeReads(Protocol):
    def branch_figures(self, branches: Sequence[str] | None, since_us: int) -> BranchFigures:
        """Customers and open customer accounts of ``branches`` (``None``: every branch),
        and the customer transactions since ``since_us`` that touch their accounts, by
        channel and currency."""
        ...
