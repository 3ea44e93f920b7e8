"""What every use case is handed: a way to open a unit of work, the clock, and ids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ebank.application.ports import Clock, IdGenerator, LedgerAuditor, UnitOfWork

if TYPE_CHECKING:
    from ebank.application.ports_customers import DocumentRenderer
    from ebank.application.ports_hsm import PinSecurity
    from ebank.application.ports_identity import SecurityServices
    from ebank.application.queries import BankReports


@dataclass(frozen=True, slots=True)
class Context:
    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    auditor: Callable[[], LedgerAuditor]
    reports: Callable[[], BankReports] | None = None
    # A unit of work for reading only: on SQLite it does not take the write lock.
    reader: Callable[[], UnitOfWork] | None = None
    # Password hashing, one-time codes, secret encryption (identity and channels).
    security: SecurityServices | None = None
    # Statement documents (PDF).
    documents: DocumentRenderer | None = None
    # PIN keys and verification: the HSM port (software HSM or a real one).
    hsm: PinSecurity | None = None

    def read(self) -> UnitOfWork:
        """A unit of work for lookups that change nothing."""
        return (self.reader or self.uow)()
