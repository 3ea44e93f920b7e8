"""The SQL store of the switch's message log (``switch_messages``), append-only."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Row, insert, select
from sqlalchemy.exc import IntegrityError

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.adapters.db.driver import is_unique_violation
from ebank.adapters.db.tables_switch import switch_messages
from ebank.application.ports import ConcurrencyConflict
from ebank.application.ports_switch import (
    MessageClass,
    MessageKey,
    NewSwitchMessage,
    SwitchMessage,
)

_T = switch_messages


def _day_bounds_us(business_date: date) -> tuple[int, int]:
    start = datetime.combine(business_date, time(), tzinfo=BANK_TIMEZONE)
    end = start + timedelta(days=1)
    return int(start.timestamp()) * 1_000_000, int(end.timestamp()) * 1_000_000


def _message(row: Row[Any]) -> SwitchMessage:
    return SwitchMessage(
        message_id=row.id,
        key=MessageKey(row.terminal_id, row.stan, row.local_date, MessageClass(row.message_class)),
        mti=row.mti,
        processing_code=row.processing_code,
        amount_minor=row.amount_minor,
        currency=row.currency,
        card_id=row.card_id,
        pan_last4=row.pan_last4,
        rrn=row.rrn,
        response_code=row.response_code,
        transfer_id=row.transfer_id,
        outcome=row.response,
        created_at_us=row.created_at_us,
    )


class SqlSwitchMessages:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find(self, key: MessageKey) -> SwitchMessage | None:
        row = self.conn.execute(
            select(_T).where(
                _T.c.terminal_id == key.terminal_id,
                _T.c.stan == key.stan,
                _T.c.local_date == key.local_date,
                _T.c.message_class == key.message_class.value,
            )
        ).first()
        return _message(row) if row is not None else None

    def latest(
        self, terminal_id: str, stan: str, message_class: MessageClass
    ) -> SwitchMessage | None:
        row = self.conn.execute(
            select(_T)
            .where(
                _T.c.terminal_id == terminal_id,
                _T.c.stan == stan,
                _T.c.message_class == message_class.value,
            )
            .order_by(_T.c.id.desc())
            .limit(1)
        ).first()
        return _message(row) if row is not None else None

    def add(self, message: NewSwitchMessage) -> int:
        key = message.key
        values = {
            "terminal_id": key.terminal_id,
            "stan": key.stan,
            "local_date": key.local_date,
            "message_class": key.message_class.value,
            "mti": message.mti,
            "processing_code": message.processing_code,
            "amount_minor": message.amount_minor,
            "currency": message.currency,
            "card_id": message.card_id,
            "pan_last4": message.pan_last4,
            "rrn": message.rrn,
            "response_code": message.response_code,
            "transfer_id": message.transfer_id,
            "response": message.outcome,
            "created_at_us": message.created_at_us,
        }
        try:
            with self.conn.begin_nested():
                return int(
                    self.conn.execute(insert(_T).values(values).returning(_T.c.id)).scalar_one()
                )
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise ConcurrencyConflict("this message was answered meanwhile") from exc
            raise

    def for_card_on(self, card_id: int, business_date: date) -> list[SwitchMessage]:
        start_us, end_us = _day_bounds_us(business_date)
        rows = self.conn.execute(
            select(_T)
            .where(
                _T.c.card_id == card_id,
                _T.c.created_at_us >= start_us,
                _T.c.created_at_us < end_us,
            )
            .order_by(_T.c.id)
        ).all()
        return [_message(row) for row in rows]
