"""SQL stores of the controls: idempotency keys, limits and usage, approvals, step-up
challenges (SQLAlchemy Core, the same statements on SQLite and PostgreSQL).

Row locks (``SELECT ... FOR UPDATE``) serialise concurrent writers on PostgreSQL; SQLite
has one writer at a time (``BEGIN IMMEDIATE``), where ``FOR UPDATE`` is left out.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ebank.adapters.db import tables_access as ta
from ebank.adapters.db.driver import is_unique_violation
from ebank.application.ports import ConcurrencyConflict
from ebank.application.ports_controls import NewApproval, StoredResponse
from ebank.domain.approvals import Approval, ApprovalStatus, DualControlRule, parse_roles
from ebank.domain.customers import Tier
from ebank.domain.limits import LimitUsage, TransactionLimit
from ebank.domain.step_up import Challenge


def _upsert(conn: Connection, table: Any) -> Any:
    """An INSERT that can say ON CONFLICT, in the connection's dialect."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _json(value: Mapping[str, object] | None) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


class SqlIdempotency:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, principal: str, key: str) -> StoredResponse | None:
        k = ta.idempotency_keys.c
        row = self.conn.execute(
            select(ta.idempotency_keys).where((k.principal == principal) & (k.key == key))
        ).first()
        if row is None:
            return None
        return StoredResponse(
            row.request_hash, row.status_code, row.response_body, row.created_at_us
        )

    def add(self, principal: str, key: str, response: StoredResponse) -> None:
        try:
            self.conn.execute(
                insert(ta.idempotency_keys).values(
                    principal=principal,
                    key=key,
                    request_hash=response.request_hash,
                    status_code=response.status_code,
                    response_body=response.body,
                    created_at_us=response.created_at_us,
                )
            )
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise ConcurrencyConflict(f"idempotency key {key!r} taken meanwhile") from exc
            raise


class SqlLimits:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def all(self) -> list[TransactionLimit]:
        c = ta.transaction_limits.c
        rows = self.conn.execute(
            select(ta.transaction_limits).order_by(c.channel, c.currency, c.tier)
        )
        return [_limit(r) for r in rows]

    def get(self, channel: str, tier: Tier, currency: str) -> TransactionLimit | None:
        c = ta.transaction_limits.c
        row = self.conn.execute(
            select(ta.transaction_limits).where(
                (c.channel == channel) & (c.tier == tier.value) & (c.currency == currency)
            )
        ).first()
        return _limit(row) if row else None

    def put(self, limit: TransactionLimit) -> None:
        values = {
            "per_transaction_minor": limit.per_transaction_minor,
            "daily_amount_minor": limit.daily_amount_minor,
            "daily_count": limit.daily_count,
            "updated_at_us": limit.updated_at_us,
            "updated_by": limit.updated_by[:64],
        }
        statement = _upsert(self.conn, ta.transaction_limits).values(
            channel=limit.channel, tier=limit.tier.value, currency=limit.currency, **values
        )
        self.conn.execute(
            statement.on_conflict_do_update(
                index_elements=["channel", "tier", "currency"], set_=values
            )
        )

    def _usage_key(
        self, customer_id: int, channel: str, business_date: date, currency: str
    ) -> dict[str, Any]:
        return {
            "customer_id": customer_id,
            "channel": channel,
            "business_date": business_date.isoformat(),
            "currency": currency,
        }

    def usage_for_update(
        self, customer_id: int, channel: str, business_date: date, currency: str
    ) -> LimitUsage:
        key = self._usage_key(customer_id, channel, business_date, currency)
        # Make sure the row exists, so that there is a row to lock: two first payments of
        # the day then queue on it instead of both reading "nothing used".
        self.conn.execute(
            _upsert(self.conn, ta.limit_usage)
            .values(**key, amount_minor=0, count=0)
            .on_conflict_do_nothing(index_elements=list(key))
        )
        u = ta.limit_usage.c
        query = select(u.amount_minor, u.count.label("used_count")).where(
            *(getattr(u, name) == value for name, value in key.items())
        )
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.conn.execute(query).one()
        return LimitUsage(int(row.amount_minor), int(row.used_count))

    def set_usage(
        self,
        customer_id: int,
        channel: str,
        business_date: date,
        currency: str,
        usage: LimitUsage,
    ) -> None:
        key = self._usage_key(customer_id, channel, business_date, currency)
        u = ta.limit_usage.c
        self.conn.execute(
            update(ta.limit_usage)
            .where(*(getattr(u, name) == value for name, value in key.items()))
            .values(amount_minor=usage.amount_minor, count=usage.count)
        )


def _limit(row: Row[Any]) -> TransactionLimit:
    return TransactionLimit(
        channel=row.channel,
        tier=Tier(row.tier),
        currency=row.currency,
        per_transaction_minor=int(row.per_transaction_minor),
        daily_amount_minor=int(row.daily_amount_minor),
        daily_count=int(row.daily_count),
        updated_at_us=int(row.updated_at_us),
        updated_by=row.updated_by,
    )


class SqlApprovals:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def rule(self, action: str) -> DualControlRule | None:
        row = self.conn.execute(
            select(ta.dual_control_rules).where(ta.dual_control_rules.c.action == action)
        ).first()
        if row is None:
            return None
        return DualControlRule(
            action=row.action,
            threshold_minor=int(row.threshold_minor),
            currency=row.currency,
            checker_roles=parse_roles(row.checker_roles),
        )

    def add(self, request: NewApproval) -> Approval:
        new_id = self.conn.execute(
            insert(ta.approvals)
            .values(
                action=request.action,
                status=ApprovalStatus.PENDING.value,
                branch_code=request.branch_code,
                maker_id=request.maker_id,
                summary=request.summary,
                payload=_json(request.payload),
                amount_minor=request.amount_minor,
                currency=request.currency,
                created_at_us=request.created_at_us,
            )
            .returning(ta.approvals.c.id)
        ).scalar_one()
        found = self.get(int(new_id))
        assert found is not None
        return found

    def get(self, approval_id: int, *, lock: bool = False) -> Approval | None:
        query = select(ta.approvals).where(ta.approvals.c.id == approval_id)
        if lock and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return _approval(row) if row else None

    def decide(
        self,
        approval_id: int,
        status: ApprovalStatus,
        checker_id: int,
        reason: str,
        result: Mapping[str, object] | None,
        now_us: int,
    ) -> None:
        a = ta.approvals.c
        changed = self.conn.execute(
            update(ta.approvals)
            .where((a.id == approval_id) & (a.status == ApprovalStatus.PENDING.value))
            .values(
                status=status.value,
                checker_id=checker_id,
                reason=reason,
                result=_json(result),
                decided_at_us=now_us,
            )
        ).rowcount
        if changed != 1:
            raise ConcurrencyConflict(f"approval {approval_id} was decided meanwhile")

    def pending(self, branch_codes: Collection[str] | None, limit: int) -> list[Approval]:
        a = ta.approvals.c
        query = select(ta.approvals).where(a.status == ApprovalStatus.PENDING.value)
        if branch_codes is not None:
            if not branch_codes:
                return []
            query = query.where(a.branch_code.in_(sorted(branch_codes)))
        rows = self.conn.execute(query.order_by(a.id).limit(limit))
        return [_approval(r) for r in rows]


def _approval(row: Row[Any]) -> Approval:
    return Approval(
        id=int(row.id),
        action=row.action,
        status=ApprovalStatus(row.status),
        branch_code=row.branch_code,
        maker_id=int(row.maker_id),
        summary=row.summary,
        payload=json.loads(row.payload),
        amount_minor=None if row.amount_minor is None else int(row.amount_minor),
        currency=row.currency,
        created_at_us=int(row.created_at_us),
        checker_id=None if row.checker_id is None else int(row.checker_id),
        reason=row.reason,
        result=None if row.result is None else json.loads(row.result),
        decided_at_us=None if row.decided_at_us is None else int(row.decided_at_us),
    )


class SqlChallenges:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, challenge: Challenge) -> None:
        self.conn.execute(
            insert(ta.step_up_challenges).values(
                id=challenge.id,
                user_id=challenge.user_id,
                digest=challenge.digest,
                summary=challenge.summary,
                created_at_us=challenge.created_at_us,
                expires_at_us=challenge.expires_at_us,
                used_at_us=challenge.used_at_us,
            )
        )

    def get(self, challenge_id: UUID) -> Challenge | None:
        row = self.conn.execute(
            select(ta.step_up_challenges).where(ta.step_up_challenges.c.id == challenge_id)
        ).first()
        if row is None:
            return None
        return Challenge(
            id=row.id if isinstance(row.id, UUID) else UUID(str(row.id)),
            user_id=int(row.user_id),
            digest=row.digest,
            summary=row.summary,
            created_at_us=int(row.created_at_us),
            expires_at_us=int(row.expires_at_us),
            used_at_us=None if row.used_at_us is None else int(row.used_at_us),
        )

    def use(self, challenge_id: UUID, now_us: int) -> bool:
        c = ta.step_up_challenges.c
        changed = self.conn.execute(
            update(ta.step_up_challenges)
            .where((c.id == challenge_id) & c.used_at_us.is_(None))
            .values(used_at_us=now_us)
        ).rowcount
        return bool(changed == 1)
