"""What every use case is handed: a way to open a unit of work, the clock, and ids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ebank.application.ports import Clock, IdGenerator, LedgerAuditor, UnitOfWork

if TYPE_CHECKING:
    from ebank.application.queries import BankReports


@dataclass(frozen=True, slots=True)
class Context:
    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    auditor: Callable[[], LedgerAuditor]
    reports: Callable[[], BankReports] | None = None
