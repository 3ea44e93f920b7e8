"""Read-side queries: what a person asks of the ledger without changing it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ebank.application.context import Context
from ebank.domain.accounts import Account, Balances
from ebank.domain.errors import AccountNotFound, InvalidInput
from ebank.domain.transfers import JournalEntry

MAX_PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class BankSummary:
    branches_by_kind: dict[str, int] = field(default_factory=dict)
    customers_by_kind: dict[str, int] = field(default_factory=dict)
    accounts_by_product: dict[str, int] = field(default_factory=dict)
    accounts_by_status: dict[str, int] = field(default_factory=dict)
    transfers_by_channel: dict[str, int] = field(default_factory=dict)
    # Customer deposits per currency: the sum of credit-normal customer balances.
    deposits_minor: dict[str, int] = field(default_factory=dict)
    loans_minor: dict[str, int] = field(default_factory=dict)


class BankReports(Protocol):
    def summary(self) -> BankSummary: ...


@dataclass(frozen=True, slots=True)
class AccountView:
    account: Account
    balances: Balances


def account_view(ctx: Context, number: str) -> AccountView:
    with ctx.read() as uow:
        account = uow.accounts.by_number(number)
        if account is None:
            raise AccountNotFound(f"no account {number}")
        return AccountView(account, uow.accounts.balances(account.id))


@dataclass(frozen=True, slots=True)
class HistoryPage:
    account: Account
    entries: list[JournalEntry]
    next_before_seq: int | None  # pass it back to read the next (older) page


def history(
    ctx: Context, number: str, before_seq: int | None = None, limit: int = 20
) -> HistoryPage:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"page size must be 1 to {MAX_PAGE_SIZE}")
    with ctx.read() as uow:
        account = uow.accounts.by_number(number)
        if account is None:
            raise AccountNotFound(f"no account {number}")
        entries = uow.journal.history(account.id, before_seq, limit + 1)
    more = len(entries) > limit
    entries = entries[:limit]
    return HistoryPage(account, entries, entries[-1].seq if more and entries else None)


def bank_summary(reports: Callable[[], BankReports]) -> BankSummary:
    return reports().summary()
