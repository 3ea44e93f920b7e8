"""The back office's SQL stores: tellers' cash boxes and shifts, and the branch
dashboard's figures (SQLAlchemy Core, the same SQL on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, and_, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ebank.adapters.db import tables as t
from ebank.adapters.db.driver import is_unique_violation
from ebank.adapters.db.repositories import account_from_row
from ebank.adapters.db.tables_channels import teller_shifts
from ebank.application.ports import ConcurrencyConflict
from ebank.application.ports_office import (
    BranchFigures,
    ChannelVolume,
    Shift,
    ShiftClose,
    ShiftStatus,
)
from ebank.domain.accounts import Account, GlKind

# Customer transactions: postings and holds (a hold's later completion is the same
# transaction, not another one).
_TRANSACTION_KINDS = ("posting", "pending")


class SqlTeller:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def cash_box(self, teller_id: int, currency: str) -> Account | None:
        row = self.conn.execute(
            select(t.accounts).where(
                (t.accounts.c.teller_id == teller_id)
                & (t.accounts.c.currency == currency)
                & (t.accounts.c.gl_kind == GlKind.TELLER_CASH.value)
            )
        ).first()
        return account_from_row(row) if row else None

    def add_cash_box(self, account: Account, teller_id: int) -> None:
        assert account.gl_kind is GlKind.TELLER_CASH
        values = {
            "id": account.id,
            "number": account.number,
            "product_code": account.product_code,
            "currency": account.currency,
            "branch_code": account.branch_code,
            "customer_id": None,
            "name": account.name,
            "status": account.status.value,
            "gl_kind": account.gl_kind.value,
            "overdraft_limit_minor": 0,
            "debits_must_not_exceed_credits": account.debits_must_not_exceed_credits,
            "credits_must_not_exceed_debits": account.credits_must_not_exceed_debits,
            "opened_at_us": account.opened_at_us,
            "teller_id": teller_id,
        }
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(t.accounts).values(values))
        except IntegrityError as exc:
            if is_unique_violation(exc):  # the same teller's box, opened meanwhile
                raise ConcurrencyConflict(str(exc.orig)) from exc
            raise

    def current_shift(self, teller_id: int, currency: str) -> Shift | None:
        row = self.conn.execute(
            select(teller_shifts)
            .where(
                (teller_shifts.c.user_id == teller_id)
                & (teller_shifts.c.currency == currency)
                & (teller_shifts.c.status == ShiftStatus.OPEN.value)
            )
            .with_for_update()
        ).first()
        return _shift(row) if row else None

    def open_shift(
        self, teller_id: int, branch_code: str, box_account_id: int, currency: str, now_us: int
    ) -> Shift:
        values = {
            "user_id": teller_id,
            "branch_code": branch_code,
            "box_account_id": box_account_id,
            "currency": currency,
            "status": ShiftStatus.OPEN.value,
            "opened_at_us": now_us,
        }
        try:
            with self.conn.begin_nested():
                shift_id = self.conn.execute(
                    insert(teller_shifts).values(values).returning(teller_shifts.c.id)
                ).scalar_one()
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise ConcurrencyConflict(str(exc.orig)) from exc
            raise
        return Shift(
            id=int(shift_id),
            user_id=teller_id,
            branch_code=branch_code,
            box_account_id=box_account_id,
            currency=currency,
            status=ShiftStatus.OPEN,
            opened_at_us=now_us,
        )

    def close_shift(self, shift_id: int, close: ShiftClose) -> None:
        self.conn.execute(
            update(teller_shifts)
            .where(
                (teller_shifts.c.id == shift_id)
                & (teller_shifts.c.status == ShiftStatus.OPEN.value)
            )
            .values(
                status=close.status.value,
                closed_at_us=close.closed_at_us,
                expected_minor=close.expected_minor,
                counted_minor=close.counted_minor,
                difference_minor=close.difference_minor,
                note=close.note or None,
            )
        )

    def recent_shifts(self, teller_id: int, limit: int) -> list[Shift]:
        rows = self.conn.execute(
            select(teller_shifts)
            .where(teller_shifts.c.user_id == teller_id)
            .order_by(teller_shifts.c.id.desc())
            .limit(limit)
        )
        return [_shift(row) for row in rows]


def _shift(row: Row[Any]) -> Shift:
    return Shift(
        id=row.id,
        user_id=row.user_id,
        branch_code=row.branch_code,
        box_account_id=row.box_account_id,
        currency=row.currency,
        status=ShiftStatus(row.status),
        opened_at_us=row.opened_at_us,
        closed_at_us=row.closed_at_us,
        expected_minor=row.expected_minor,
        counted_minor=row.counted_minor,
        difference_minor=row.difference_minor,
        note=row.note,
    )


class SqlOfficeReads:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def branch_figures(self, branches: Sequence[str] | None, since_us: int) -> BranchFigures:
        if branches is not None and not branches:
            return BranchFigures(customers=0, accounts=0)
        a, tr = t.accounts, t.transfers
        customers = select(func.count()).select_from(t.customers)
        accounts = (
            select(func.count())
            .select_from(a)
            .where(a.c.customer_id.is_not(None) & (a.c.status != "closed"))
        )
        # A transfer is the branch's when one of its sides is a customer account there.
        ours = and_(
            or_(a.c.id == tr.c.debit_account_id, a.c.id == tr.c.credit_account_id),
            a.c.customer_id.is_not(None),
        )
        if branches is not None:
            customers = customers.where(t.customers.c.branch_code.in_(branches))
            accounts = accounts.where(a.c.branch_code.in_(branches))
            ours = and_(ours, a.c.branch_code.in_(branches))
        volumes = (
            select(tr.c.channel, tr.c.currency, func.count(), func.sum(tr.c.amount_minor))
            .where(
                (tr.c.created_at_us >= since_us)
                & tr.c.kind.in_(_TRANSACTION_KINDS)
                & exists(select(a.c.id).where(ours))
            )
            .group_by(tr.c.channel, tr.c.currency)
            .order_by(tr.c.channel, tr.c.currency)
        )
        return BranchFigures(
            customers=int(self.conn.execute(customers).scalar_one()),
            accounts=int(self.conn.execute(accounts).scalar_one()),
            volumes=[
                ChannelVolume(str(channel), str(currency), int(count), int(total or 0))
                for channel, currency, count, total in self.conn.execute(volumes)
            ],
        )
