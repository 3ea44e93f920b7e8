"""The SQL store of SMS banking (``uow.sms``) and the SMPP client's persistent counter."""

from __future__ import annotations

import json
from collections.abc import Sequence, Set
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, Row, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ebank.adapters.db.driver import among
from ebank.adapters.db.tables import accounts
from ebank.adapters.db.tables_phone import (
    channel_state,
    sms_messages,
    sms_pending_transfers,
    sms_subscriptions,
)
from ebank.adapters.db.tables_switch import outbox
from ebank.application.ports_sms import (
    AlertSubscriber,
    PendingSmsTransfer,
    QueuedSms,
    SmsSubscription,
)


class SqlSms:
    def __init__(self, conn: Connection, quiet_accounts: Set[int] = frozenset()) -> None:
        """``quiet_accounts``: accounts this unit of work's journal read (with their
        rows, under the batch's locks) as having no customer subscribed to alerts; their
        subscribers are not looked up again."""
        self.conn = conn
        self.quiet_accounts = quiet_accounts

    def subscription(self, phone: str) -> SmsSubscription | None:
        row = self.conn.execute(
            select(sms_subscriptions).where(sms_subscriptions.c.phone == phone)
        ).first()
        return SmsSubscription(**row._mapping) if row else None

    def save_subscription(self, subscription: SmsSubscription) -> None:
        values = {
            "customer_id": subscription.customer_id,
            "language": subscription.language,
            "alert_threshold_minor": subscription.alert_threshold_minor,
            "status": subscription.status,
            "updated_at_us": subscription.updated_at_us,
        }
        changed = self.conn.execute(
            update(sms_subscriptions)
            .where(sms_subscriptions.c.phone == subscription.phone)
            .values(**values)
        ).rowcount
        if not changed:
            self.conn.execute(
                insert(sms_subscriptions).values(
                    phone=subscription.phone, created_at_us=subscription.created_at_us, **values
                )
            )

    def alert_subscribers(self, account_ids: Sequence[int]) -> list[AlertSubscriber]:
        quiet = self.quiet_accounts
        account_ids = [i for i in account_ids if i not in quiet]
        if not account_ids:
            return []
        s, a = sms_subscriptions, accounts
        rows = self.conn.execute(
            select(a.c.id, a.c.number, s.c.phone, s.c.language, s.c.alert_threshold_minor)
            .join(s, s.c.customer_id == a.c.customer_id)
            .where(
                among(a.c.id, account_ids, self.conn.dialect.name),
                s.c.status == "active",
                s.c.alert_threshold_minor.is_not(None),
            )
        )
        return [AlertSubscriber(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def queue(self, messages: Sequence[QueuedSms], now_us: int) -> None:
        if not messages:
            return
        rows = [
            {
                "topic": m.topic,
                "recipient": m.phone,
                # The dedupe key travels as the subject: the relay hands it to the
                # transport as the message reference.
                "payload": json.dumps({"subject": m.dedupe_key, "body": m.body}),
                "created_at_us": now_us,
                "dedupe_key": m.dedupe_key,
            }
            for m in messages
        ]
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(outbox).on_conflict_do_nothing(
            index_elements=["dedupe_key"], index_where=outbox.c.dedupe_key.is_not(None)
        )
        self.conn.execute(statement, rows)

    def record(
        self,
        direction: str,
        phone: str,
        body: str,
        transport: str,
        status: str,
        now_us: int,
        external_id: str | None = None,
        outbox_id: int | None = None,
    ) -> int:
        return int(
            self.conn.execute(
                insert(sms_messages)
                .values(
                    direction=direction,
                    phone=phone,
                    body=body,
                    transport=transport,
                    status=status,
                    external_id=external_id,
                    outbox_id=outbox_id,
                    created_at_us=now_us,
                    updated_at_us=now_us,
                )
                .returning(sms_messages.c.id)
            ).scalar_one()
        )

    def set_status_by_external_id(self, external_id: str, status: str, now_us: int) -> bool:
        changed = self.conn.execute(
            update(sms_messages)
            .where(sms_messages.c.external_id == external_id, sms_messages.c.direction == "out")
            .values(status=status, updated_at_us=now_us)
        ).rowcount
        return bool(changed)

    def inbound_since(self, phone: str, since_us: int) -> int:
        m = sms_messages
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(m)
                .where(m.c.phone == phone, m.c.direction == "in", m.c.created_at_us >= since_us)
            ).scalar_one()
        )

    def add_pending(self, pending: PendingSmsTransfer) -> None:
        self.conn.execute(insert(sms_pending_transfers).values(**_fields(pending)))

    def open_pending(self, phone: str, *, lock: bool) -> list[PendingSmsTransfer]:
        p = sms_pending_transfers
        query = (
            select(p)
            .where(p.c.phone == phone, p.c.used_at_us.is_(None))
            .order_by(p.c.created_at_us.desc())
        )
        if lock:
            query = query.with_for_update()
        return [_pending(r) for r in self.conn.execute(query)]

    def use_pending(self, pending_id: UUID, now_us: int) -> None:
        p = sms_pending_transfers
        self.conn.execute(update(p).where(p.c.id == pending_id).values(used_at_us=now_us))

    def count_attempt(self, pending_id: UUID) -> None:
        p = sms_pending_transfers
        self.conn.execute(update(p).where(p.c.id == pending_id).values(attempts=p.c.attempts + 1))


def _fields(pending: PendingSmsTransfer) -> dict[str, Any]:
    return {name: getattr(pending, name) for name in PendingSmsTransfer.__slots__}


def _pending(row: Row[Any]) -> PendingSmsTransfer:
    return PendingSmsTransfer(**row._mapping)


class ChannelCounter:
    """A persistent counter in ``channel_state`` (the SMPP sequence number). Numbers are
    reserved in blocks, each in a transaction of its own, so that a restarted client
    never reuses one (it skips the rest of its predecessor's block instead)."""

    def __init__(self, engine: Engine, name: str, *, wrap_at: int = 0x7FFFFFFF) -> None:
        self.engine = engine
        self.name = name
        self.wrap_at = wrap_at

    def reserve(self, size: int) -> int:
        """Reserve ``size`` numbers; returns the first (the counter wraps to 1)."""
        state = channel_state
        with self.engine.begin() as conn:
            value = conn.execute(
                select(state.c.value).where(state.c.name == self.name).with_for_update()
            ).scalar()
            first = 1 if value is None or value + size > self.wrap_at else int(value) + 1
            last = first + size - 1
            if value is None:
                conn.execute(insert(state).values(name=self.name, value=last))
            else:
                conn.execute(update(state).where(state.c.name == self.name).values(value=last))
        return first
