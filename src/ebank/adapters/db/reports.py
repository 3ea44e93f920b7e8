"""Management figures over the whole bank, in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Engine, func, select

from ebank.adapters.db.engine import READ_ONLY
from ebank.adapters.db.tables import accounts, balances, branches, customers, transfers
from ebank.application.queries import BankSummary


class SqlBankReports:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def summary(self) -> BankSummary:
        a = accounts
        with self.engine.connect().execution_options(**{READ_ONLY: True}) as conn:

            def counts(column: ColumnElement[Any]) -> dict[str, int]:
                rows = conn.execute(select(column, func.count()).group_by(column))
                return {str(k): int(n) for k, n in rows}

            b = balances
            balance = func.sum(b.c.credits_posted - b.c.debits_posted)
            customer_accounts = a.c.customer_id.is_not(None)
            deposits = conn.execute(
                select(a.c.currency, balance)
                .join_from(a, b, b.c.account_id == a.c.id)
                .where(customer_accounts & a.c.product_code.in_(("SAV", "CUR")))
                .group_by(a.c.currency)
            )
            loans = conn.execute(
                select(a.c.currency, -balance)
                .join_from(a, b, b.c.account_id == a.c.id)
                .where(customer_accounts & (a.c.product_code == "LOAN"))
                .group_by(a.c.currency)
            )
            return BankSummary(
                branches_by_kind=counts(branches.c.kind),
                customers_by_kind=counts(customers.c.kind),
                accounts_by_product=counts(a.c.product_code),
                accounts_by_status=counts(a.c.status),
                transfers_by_channel=counts(transfers.c.channel),
                deposits_minor={c: int(v) for c, v in deposits},
                loans_minor={c: int(v) for c, v in loans},
            )
