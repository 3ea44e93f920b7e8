"""The SQL unit of work: one connection, one transaction, the repositories on it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine

from ebank.adapters.db.balance_cache import BalanceCache
from ebank.adapters.db.cards import SqlCards
from ebank.adapters.db.controls import SqlApprovals, SqlChallenges, SqlIdempotency, SqlLimits
from ebank.adapters.db.corporate import SqlCorporate
from ebank.adapters.db.customer_services import SqlBeneficiaries, SqlCustomerReads
from ebank.adapters.db.engine import READ_ONLY
from ebank.adapters.db.identity import SqlAudit, SqlSessions, SqlUsers
from ebank.adapters.db.ivr import SqlIvrStore
from ebank.adapters.db.journal import SqlJournal
from ebank.adapters.db.office import SqlOfficeReads, SqlTeller
from ebank.adapters.db.repositories import SqlAccounts, SqlBranches, SqlCustomers, SqlSequences
from ebank.adapters.db.sms import SqlSms
from ebank.adapters.db.switch import SqlSwitchMessages
from ebank.adapters.db.terminals import SqlTerminals
from ebank.adapters.db.tickets import SqlTickets


class SqlUnitOfWork:
    """``with uow: ...; uow.commit()``. Leaving the block without commit rolls back."""

    branches: SqlBranches
    customers: SqlCustomers
    accounts: SqlAccounts
    journal: SqlJournal
    sequences: SqlSequences
    users: SqlUsers
    sessions: SqlSessions
    audit: SqlAudit
    idempotency: SqlIdempotency
    limits: SqlLimits
    approvals: SqlApprovals
    challenges: SqlChallenges
    beneficiaries: SqlBeneficiaries
    teller: SqlTeller
    office_reads: SqlOfficeReads
    customer_reads: SqlCustomerReads
    corporate: SqlCorporate
    cards: SqlCards
    tickets: SqlTickets
    terminals: SqlTerminals
    switch: SqlSwitchMessages
    ivr: SqlIvrStore
    sms: SqlSms

    def __init__(
        self, engine: Engine, read_only: bool = False, balances: BalanceCache | None = None
    ) -> None:
        """``balances``: what this process last knew of the ledger's balances rows, for
        the journal's guessed path (PostgreSQL; ``BalanceCache.for_engine``)."""
        self.engine = engine
        self.read_only = read_only
        self.balances = balances
        self._conn: Connection | None = None

    def __enter__(self) -> Self:
        conn = self.engine.connect()
        if self.read_only:
            conn = conn.execution_options(**{READ_ONLY: True})
        conn.begin()
        self._conn = conn
        self.branches = SqlBranches(conn)
        self.customers = SqlCustomers(conn)
        self.accounts = SqlAccounts(conn)
        self.journal = SqlJournal(conn, self.balances)
        self.sequences = SqlSequences(conn)
        self.users = SqlUsers(conn)
        self.sessions = SqlSessions(conn)
        self.audit = SqlAudit(conn)
        self.idempotency = SqlIdempotency(conn)
        self.limits = SqlLimits(conn)
        self.approvals = SqlApprovals(conn)
        self.challenges = SqlChallenges(conn)
        self.beneficiaries = SqlBeneficiaries(conn)
        self.teller = SqlTeller(conn)
        self.office_reads = SqlOfficeReads(conn)
        self.customer_reads = SqlCustomerReads(conn)
        self.corporate = SqlCorporate(conn)
        self.cards = SqlCards(conn)
        self.tickets = SqlTickets(conn)
        self.terminals = SqlTerminals(conn)
        self.switch = SqlSwitchMessages(conn)
        self.ivr = SqlIvrStore(conn)
        self.sms = SqlSms(conn, quiet_accounts=self.journal.quiet_accounts)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self._conn
        self._conn = None
        if conn is None:
            return
        try:
            self.journal.close()  # before the rollback: what it published is void
            if conn.in_transaction():
                conn.rollback()
        finally:
            conn.close()

    @property
    def connection(self) -> Connection:
        assert self._conn is not None, "use the unit of work inside its with-block"
        return self._conn

    def commit(self) -> None:
        self.connection.commit()
        self.journal.committed()

    def rollback(self) -> None:
        self.connection.rollback()
