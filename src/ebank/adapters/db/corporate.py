"""SQL store of corporate online banking: payments waiting for an approver, corporate
users' limits, monthly balance confirmations (SQLAlchemy Core; the same statements on
SQLite and PostgreSQL; ``FOR UPDATE`` only on PostgreSQL, SQLite has one writer)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ebank.adapters.db import tables as t
from ebank.adapters.db.repositories import account_from_row
from ebank.adapters.db.tables_access import users
from ebank.adapters.db.tables_channels import (
    balance_confirmations,
    corporate_payments,
    corporate_user_limits,
)
from ebank.application.ports_corporate import (
    BalanceConfirmation,
    CompanyUser,
    ConfirmationStatus,
    CorporatePayment,
    NewConfirmation,
    NewCorporatePayment,
    PaymentKind,
    PaymentLine,
    PaymentStatus,
    UserLimits,
)
from ebank.domain.access import Role
from ebank.domain.accounts import Account

_COUNTED = (PaymentStatus.PENDING.value, PaymentStatus.POSTED.value)
_IN_CHUNK = 500  # keys per IN (...) list: well under every driver's parameter limit


def _chunks(keys: Sequence[Any]) -> list[Sequence[Any]]:
    return [keys[i : i + _IN_CHUNK] for i in range(0, len(keys), _IN_CHUNK)]


def _insert(conn: Connection, table: Any) -> Any:
    """An INSERT that can say ON CONFLICT, in the connection's dialect."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


class SqlCorporate:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _locking(self, query: Any, lock: bool) -> Any:
        return query.with_for_update() if lock and self.conn.dialect.name == "postgresql" else query

    # -- payments ------------------------------------------------------------------------
    def add_payment(self, payment: NewCorporatePayment) -> int:
        legs = [
            [ln.credit_account_id, ln.account_number, ln.name, ln.amount_minor, ln.reference]
            for ln in payment.lines
        ]
        row = self.conn.execute(
            insert(corporate_payments)
            .values(
                customer_id=payment.customer_id,
                kind=payment.kind.value,
                status=PaymentStatus.PENDING.value,
                maker_id=payment.maker_id,
                debit_account_id=payment.debit_account_id,
                currency=payment.currency,
                total_minor=payment.total_minor,
                count=len(payment.lines),
                file_name=payment.file_name,
                legs=json.dumps(legs, ensure_ascii=False, separators=(",", ":")),
                created_at_us=payment.created_at_us,
            )
            .returning(corporate_payments.c.id)
        ).one()
        return int(row.id)

    def payment(self, payment_id: int, *, lock: bool = False) -> CorporatePayment | None:
        p = corporate_payments
        row = self.conn.execute(self._locking(select(p).where(p.c.id == payment_id), lock)).first()
        return _payment(row) if row else None

    def payments(
        self, customer_id: int, statuses: Collection[PaymentStatus] | None, limit: int
    ) -> list[CorporatePayment]:
        p = corporate_payments
        query = select(p).where(p.c.customer_id == customer_id)
        if statuses is not None:
            query = query.where(p.c.status.in_([s.value for s in statuses]))
        rows = self.conn.execute(query.order_by(p.c.id.desc()).limit(limit))
        return [_payment(r) for r in rows]

    def decide_payment(
        self,
        payment_id: int,
        status: PaymentStatus,
        checker_id: int,
        reason: str | None,
        result: Mapping[str, object] | None,
        now_us: int,
    ) -> bool:
        p = corporate_payments
        done = self.conn.execute(
            update(p)
            .where((p.c.id == payment_id) & (p.c.status == PaymentStatus.PENDING.value))
            .values(
                status=status.value,
                checker_id=checker_id,
                reason=reason,
                result=None if result is None else json.dumps(result, sort_keys=True),
                decided_at_us=now_us,
            )
        )
        return bool(done.rowcount == 1)

    def maker_entered_since(self, maker_id: int, currency: str, since_us: int) -> int:
        p = corporate_payments
        return self._sum(
            (p.c.maker_id == maker_id)
            & (p.c.currency == currency)
            & p.c.status.in_(_COUNTED)
            & (p.c.created_at_us >= since_us)
        )

    def maker_posted_since(self, maker_id: int, currency: str, since_us: int) -> int:
        p = corporate_payments
        return self._sum(
            (p.c.maker_id == maker_id)
            & (p.c.currency == currency)
            & (p.c.status == PaymentStatus.POSTED.value)
            & (p.c.decided_at_us >= since_us)
        )

    def _sum(self, where: Any) -> int:
        p = corporate_payments
        total = self.conn.execute(select(func.sum(p.c.total_minor)).where(where)).scalar()
        return int(total or 0)

    def accounts_by_numbers(self, numbers: Sequence[str]) -> dict[str, Account]:
        found: dict[str, Account] = {}
        for chunk in _chunks(sorted(set(numbers))):
            rows = self.conn.execute(select(t.accounts).where(t.accounts.c.number.in_(chunk)))
            found.update((r.number, account_from_row(r)) for r in rows)
        return found

    # -- users and their limits ------------------------------------------------------------
    def company_users(self, customer_id: int) -> list[CompanyUser]:
        u = users
        rows = self.conn.execute(
            select(u.c.id, u.c.username, u.c.display_name, u.c.role, u.c.status)
            .where(u.c.customer_id == customer_id)
            .order_by(u.c.username)
        )
        return [CompanyUser(r.id, r.username, r.display_name, Role(r.role), r.status) for r in rows]

    def user_limits(self, user_ids: Sequence[int]) -> list[UserLimits]:
        lim = corporate_user_limits
        found: list[UserLimits] = []
        for chunk in _chunks(sorted(set(user_ids))):
            rows = self.conn.execute(select(lim).where(lim.c.user_id.in_(chunk)))
            found += (_limits(r) for r in rows)
        return sorted(found, key=lambda x: (x.user_id, x.currency))

    def limits_of(self, user_id: int, currency: str, *, lock: bool = False) -> UserLimits | None:
        lim = corporate_user_limits
        query = select(lim).where((lim.c.user_id == user_id) & (lim.c.currency == currency))
        row = self.conn.execute(self._locking(query, lock)).first()
        return _limits(row) if row else None

    def put_user_limits(self, limits: UserLimits) -> None:
        values = {
            "per_payment_minor": limits.per_payment_minor,
            "daily_minor": limits.daily_minor,
        }
        statement = _insert(self.conn, corporate_user_limits).values(
            user_id=limits.user_id, currency=limits.currency, **values
        )
        self.conn.execute(
            statement.on_conflict_do_update(index_elements=["user_id", "currency"], set_=values)
        )

    # -- balance confirmations ---------------------------------------------------------------
    def add_confirmations(self, new: Sequence[NewConfirmation]) -> None:
        if not new:
            return
        rows = [
            {
                "customer_id": n.customer_id,
                "account_id": n.account_id,
                "period": n.period,
                "balance_minor": n.balance_minor,
                "currency": n.currency,
                "status": ConfirmationStatus.PENDING.value,
                "created_at_us": n.created_at_us,
            }
            for n in new
        ]
        # Two first views of a month at once: the second leaves the first one's rows.
        statement = _insert(self.conn, balance_confirmations).on_conflict_do_nothing(
            index_elements=["account_id", "period"]
        )
        self.conn.execute(statement, rows)

    def confirmations(self, customer_id: int, period: str) -> list[BalanceConfirmation]:
        b = balance_confirmations
        rows = self.conn.execute(
            select(b)
            .where((b.c.customer_id == customer_id) & (b.c.period == period))
            .order_by(b.c.account_id)
        )
        return [_confirmation(r) for r in rows]

    def confirmation(
        self, confirmation_id: int, *, lock: bool = False
    ) -> BalanceConfirmation | None:
        b = balance_confirmations
        query = select(b).where(b.c.id == confirmation_id)
        row = self.conn.execute(self._locking(query, lock)).first()
        return _confirmation(row) if row else None

    def respond(
        self,
        confirmation_id: int,
        status: ConfirmationStatus,
        user_id: int,
        dispute: str | None,
        now_us: int,
    ) -> bool:
        b = balance_confirmations
        done = self.conn.execute(
            update(b)
            .where((b.c.id == confirmation_id) & (b.c.status == ConfirmationStatus.PENDING.value))
            .values(
                status=status.value, responded_by=user_id, responded_at_us=now_us, dispute=dispute
            )
        )
        return bool(done.rowcount == 1)

    def resolve(self, confirmation_id: int, user_id: int, note: str, now_us: int) -> bool:
        b = balance_confirmations
        done = self.conn.execute(
            update(b)
            .where((b.c.id == confirmation_id) & (b.c.status == ConfirmationStatus.DISPUTED.value))
            .values(
                status=ConfirmationStatus.RESOLVED.value,
                resolution=note,
                resolved_by=user_id,
                resolved_at_us=now_us,
            )
        )
        return bool(done.rowcount == 1)

    def disputes(
        self, branch_codes: Collection[str] | None, limit: int
    ) -> list[BalanceConfirmation]:
        b = balance_confirmations
        query = select(b).where(b.c.status == ConfirmationStatus.DISPUTED.value)
        if branch_codes is not None:
            c = t.customers
            query = query.join(c, c.c.id == b.c.customer_id).where(
                c.c.branch_code.in_(list(branch_codes))
            )
        rows = self.conn.execute(query.order_by(b.c.responded_at_us, b.c.id).limit(limit))
        return [_confirmation(r) for r in rows]


def _payment(row: Row[Any]) -> CorporatePayment:
    lines = [
        PaymentLine(int(a), str(n), str(nm), int(m), str(r))
        for a, n, nm, m, r in json.loads(row.legs)
    ]
    return CorporatePayment(
        payment_id=row.id,
        customer_id=row.customer_id,
        kind=PaymentKind(row.kind),
        status=PaymentStatus(row.status),
        maker_id=row.maker_id,
        checker_id=row.checker_id,
        debit_account_id=row.debit_account_id,
        currency=row.currency,
        total_minor=row.total_minor,
        count=int(row._mapping["count"]),
        file_name=row.file_name,
        lines=lines,
        reason=row.reason,
        result=json.loads(row.result) if row.result else None,
        created_at_us=row.created_at_us,
        decided_at_us=row.decided_at_us,
    )


def _limits(row: Row[Any]) -> UserLimits:
    return UserLimits(row.user_id, row.currency, row.per_payment_minor, row.daily_minor)


def _confirmation(row: Row[Any]) -> BalanceConfirmation:
    return BalanceConfirmation(
        confirmation_id=row.id,
        customer_id=row.customer_id,
        account_id=row.account_id,
        period=row.period,
        balance_minor=row.balance_minor,
        currency=row.currency,
        status=ConfirmationStatus(row.status),
        responded_by=row.responded_by,
        responded_at_us=row.responded_at_us,
        dispute=row.dispute,
        resolution=row.resolution,
        resolved_by=row.resolved_by,
        resolved_at_us=row.resolved_at_us,
        created_at_us=row.created_at_us,
    )
