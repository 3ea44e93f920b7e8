"""SQL stores of customer services: beneficiaries, and the read side of history,
statements and customer search (SQLAlchemy Core, the same SQL on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    and_,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    true,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.expression import FromClause

from ebank.adapters.db import tables as t
from ebank.adapters.db.account_chain import walk
from ebank.adapters.db.driver import is_unique_violation
from ebank.adapters.db.journal import journal_entry_from_row
from ebank.adapters.db.repositories import READ_CHUNK, customer_from_row
from ebank.adapters.db.tables_access import beneficiaries
from ebank.application.ports_customers import (
    AccountLabel,
    Beneficiary,
    Direction,
    HistoryFilter,
)
from ebank.domain.customers import Customer
from ebank.domain.errors import BeneficiaryExists
from ebank.domain.transfers import JournalEntry, TransferKind

_POSTED_KINDS = (TransferKind.POSTING.value, TransferKind.POST_PENDING.value)


class SqlBeneficiaries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def for_customer(self, customer_id: int) -> list[Beneficiary]:
        b = beneficiaries
        rows = self.conn.execute(
            select(b).where(b.c.customer_id == customer_id).order_by(b.c.alias, b.c.id)
        )
        return [_beneficiary(r) for r in rows]

    def get(self, customer_id: int, beneficiary_id: int) -> Beneficiary | None:
        b = beneficiaries
        row = self.conn.execute(
            select(b).where((b.c.customer_id == customer_id) & (b.c.id == beneficiary_id))
        ).first()
        return _beneficiary(row) if row else None

    def by_account(self, customer_id: int, account_number: str) -> Beneficiary | None:
        b = beneficiaries
        row = self.conn.execute(
            select(b).where(
                (b.c.customer_id == customer_id) & (b.c.account_number == account_number)
            )
        ).first()
        return _beneficiary(row) if row else None

    def count(self, customer_id: int) -> int:
        b = beneficiaries
        q = select(func.count()).select_from(b).where(b.c.customer_id == customer_id)
        return int(self.conn.execute(q).scalar_one())

    def add(
        self, customer_id: int, alias: str, account_number: str, name: str, now_us: int
    ) -> Beneficiary:
        values = {
            "customer_id": customer_id,
            "alias": alias,
            "account_number": account_number,
            "name": name,
            "created_at_us": now_us,
        }
        try:
            # A savepoint: a duplicate must not spoil the caller's transaction.
            with self.conn.begin_nested():
                row = self.conn.execute(
                    insert(beneficiaries).values(**values).returning(beneficiaries.c.id)
                ).one()
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise BeneficiaryExists("that alias or account is already saved") from exc
            raise
        return Beneficiary(int(row.id), customer_id, alias, account_number, name, now_us)

    def remove(self, customer_id: int, beneficiary_id: int) -> bool:
        b = beneficiaries
        result = self.conn.execute(
            delete(b).where((b.c.customer_id == customer_id) & (b.c.id == beneficiary_id))
        )
        return bool(result.rowcount)


def _beneficiary(row: Row[Any]) -> Beneficiary:
    return Beneficiary(
        beneficiary_id=int(row.id),
        customer_id=int(row.customer_id),
        alias=row.alias,
        account_number=row.account_number,
        name=row.name,
        created_at_us=int(row.created_at_us),
    )


class SqlCustomerReads:
    """History search, statement sums and customer search."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def search_history(
        self, account_id: int, where: HistoryFilter, before_seq: int | None, limit: int
    ) -> list[JournalEntry]:
        def counts(entries: FromClause) -> ColumnElement[bool]:
            c = entries.c
            conditions: list[ColumnElement[bool]] = [_side(c, account_id, where.direction)]
            if where.from_us is not None:
                conditions.append(c.created_at_us >= where.from_us)
            if where.to_us is not None:
                conditions.append(c.created_at_us < where.to_us)
            if where.min_amount_minor is not None:
                conditions.append(c.amount_minor >= where.min_amount_minor)
            if where.max_amount_minor is not None:
                conditions.append(c.amount_minor <= where.max_amount_minor)
            if where.code is not None:
                conditions.append(c.code == where.code)
            if where.channel is not None:
                conditions.append(c.channel == where.channel)
            return and_(*conditions)

        q = walk(account_id, counts, before_seq=before_seq, limit=limit)
        return [_entry(r) for r in self.conn.execute(q)]

    def posted_sums_before(self, account_id: int, before_us: int) -> tuple[int, int]:
        def counts(entries: FromClause) -> ColumnElement[bool]:
            c = entries.c
            return c.kind.in_(_POSTED_KINDS) & (c.created_at_us < before_us)

        chain = walk(account_id, counts).subquery()
        debits = func.coalesce(
            func.sum(case((chain.c.debit_account_id == account_id, chain.c.amount_minor))), 0
        )
        credits = func.coalesce(
            func.sum(case((chain.c.credit_account_id == account_id, chain.c.amount_minor))), 0
        )
        row = self.conn.execute(select(debits, credits)).one()
        return int(row[0]), int(row[1])

    def posted_entries(
        self, account_id: int, from_us: int, to_us: int, limit: int
    ) -> list[JournalEntry]:
        def counts(entries: FromClause) -> ColumnElement[bool]:
            c = entries.c
            return (
                c.kind.in_(_POSTED_KINDS) & (c.created_at_us >= from_us) & (c.created_at_us < to_us)
            )

        q = walk(account_id, counts, limit=limit, newest_first=False)
        return [_entry(r) for r in self.conn.execute(q)]

    def account_labels(self, account_ids: Sequence[int]) -> dict[int, AccountLabel]:
        a = t.accounts.c
        found: dict[int, AccountLabel] = {}
        ids = sorted(set(account_ids))
        for i in range(0, len(ids), READ_CHUNK):
            q = select(a.id, a.number, a.name, a.gl_kind).where(a.id.in_(ids[i : i + READ_CHUNK]))
            for r in self.conn.execute(q):
                found[r.id] = AccountLabel(r.id, r.number, r.name, r.gl_kind is not None)
        return found

    def search_customers(
        self, text: str | None, branch_codes: Sequence[str] | None, limit: int
    ) -> list[Customer]:
        c = t.customers.c
        q = select(t.customers)
        if text:
            q = q.where(
                or_(
                    c.number == text,
                    c.id_number == text,
                    func.lower(c.name).contains(text.lower(), autoescape=True),
                )
            )
        if branch_codes is not None:
            q = q.where(c.branch_code.in_(list(branch_codes)))
        rows = self.conn.execute(q.order_by(c.number).limit(limit))
        return [customer_from_row(r) for r in rows]


def _side(c: Any, account_id: int, direction: Direction | None) -> ColumnElement[bool]:
    """The entries that debit (or credit, or either) ``account_id``, on columns ``c``."""
    if direction is Direction.DEBIT:
        return c.debit_account_id == account_id  # type: ignore[no-any-return]
    if direction is Direction.CREDIT:
        return c.credit_account_id == account_id  # type: ignore[no-any-return]
    return true()


def _entry(row: Row[Any]) -> JournalEntry:
    # SQLAlchemy's Uuid type has already made UUIDs of the id columns.
    return journal_entry_from_row(row, lambda value: value)
