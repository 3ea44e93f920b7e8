"""The composition root: the one place that chooses implementations for the ports."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from ebank.adapters.clock import SystemClock, TimeOrderedIds
from ebank.adapters.db.auditor import SqlLedgerAuditor
from ebank.adapters.db.engine import make_engine
from ebank.adapters.db.reports import SqlBankReports
from ebank.adapters.db.uow import SqlUnitOfWork
from ebank.application.context import Context
from ebank.application.ports import Clock, IdGenerator
from ebank.config import Settings


@dataclass(frozen=True, slots=True)
class Bank:
    settings: Settings
    engine: Engine
    ctx: Context

    def close(self) -> None:
        self.engine.dispose()


def build(
    settings: Settings | None = None, *, clock: Clock | None = None, ids: IdGenerator | None = None
) -> Bank:
    settings = settings or Settings()
    settings.check_for_production()
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    ctx = Context(
        uow=lambda: SqlUnitOfWork(engine),
        clock=clock or SystemClock(),
        ids=ids or TimeOrderedIds(),
        auditor=lambda: SqlLedgerAuditor(engine),
        reports=lambda: SqlBankReports(engine),
        reader=lambda: SqlUnitOfWork(engine, read_only=True),
    )
    return Bank(settings=settings, engine=engine, ctx=ctx)
