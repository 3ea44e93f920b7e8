"""The SQL store of terminals, cassettes, merchants, terminal events, alarms and the
outbox (SQLAlchemy Core, the same SQL on SQLite and PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, Select, insert, select, update
from sqlalchemy.exc import IntegrityError

from ebank.adapters.db.driver import is_unique_violation
from ebank.adapters.db.tables import transfers
from ebank.adapters.db.tables_switch import (
    alarms,
    atm_cassettes,
    merchants,
    outbox,
    switch_messages,
    terminal_events,
    terminals,
)
from ebank.application.ports_terminals import (
    AlarmRecord,
    MerchantRecord,
    NewAlarm,
    OutboxMessage,
    PosMovement,
    TerminalRecord,
)
from ebank.domain.errors import MerchantExists, TerminalExists
from ebank.domain.monitoring import AlarmKind, AlarmStatus, Severity
from ebank.domain.terminals import (
    Cassette,
    MerchantStatus,
    TerminalKind,
    TerminalState,
    TerminalStatus,
)

_ACTIVE_ALARM = alarms.c.status != AlarmStatus.CLEARED.value
MAX_ERROR_CHARS = 500


class SqlTerminals:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- terminals and cassettes -------------------------------------------------------
    def add_terminal(self, terminal: TerminalRecord) -> None:
        values = {
            "id": terminal.terminal_id,
            "kind": terminal.kind.value,
            "branch_code": terminal.branch_code,
            "merchant_id": terminal.merchant_id,
            "zone_key_ref": terminal.zone_key_ref,
            "location": terminal.location,
            "cash_account_id": terminal.cash_account_id,
            "status": terminal.status.value,
            "signed_on": terminal.signed_on,
            "state": terminal.state.value,
            "last_seen_at_us": terminal.last_seen_at_us,
            "created_at_us": terminal.created_at_us,
        }
        self._insert_unique(insert(terminals).values(values), TerminalExists(terminal.terminal_id))

    def get(self, terminal_id: str, *, lock: bool = False) -> TerminalRecord | None:
        query = select(terminals).where(terminals.c.id == terminal_id)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        return _terminal(row) if row else None

    def all_terminals(self, limit: int) -> list[TerminalRecord]:
        rows = self.conn.execute(select(terminals).order_by(terminals.c.id).limit(limit))
        return [_terminal(r) for r in rows]

    def set_signed_on(self, terminal_id: str, signed_on: bool, now_us: int) -> None:
        self._update_terminal(terminal_id, signed_on=signed_on, last_seen_at_us=now_us)

    def seen(self, terminal_id: str, now_us: int) -> None:
        self._update_terminal(terminal_id, last_seen_at_us=now_us)

    def set_state(self, terminal_id: str, state: TerminalState, now_us: int) -> None:
        self._update_terminal(terminal_id, state=state.value, last_seen_at_us=now_us)

    def _update_terminal(self, terminal_id: str, **values: Any) -> None:
        self.conn.execute(update(terminals).where(terminals.c.id == terminal_id).values(values))

    def cassettes(self, terminal_id: str) -> tuple[Cassette, ...]:
        return self.cassettes_of([terminal_id]).get(terminal_id, ())

    def cassettes_of(self, terminal_ids: list[str]) -> dict[str, tuple[Cassette, ...]]:
        if not terminal_ids:
            return {}
        rows = self.conn.execute(
            select(atm_cassettes)
            .where(atm_cassettes.c.terminal_id.in_(terminal_ids))
            .order_by(atm_cassettes.c.terminal_id, atm_cassettes.c.position)
        )
        found: dict[str, list[Cassette]] = {}
        for r in rows:
            found.setdefault(r.terminal_id, []).append(
                Cassette(
                    position=int(r.position),
                    currency=r.currency,
                    denomination_minor=int(r.denomination_minor),
                    notes=int(r.notes),
                    low_notes=int(r.low_notes),
                )
            )
        return {tid: tuple(items) for tid, items in found.items()}

    def add_cassettes(self, terminal_id: str, cassettes: tuple[Cassette, ...]) -> None:
        self.conn.execute(
            insert(atm_cassettes),
            [
                {
                    "terminal_id": terminal_id,
                    "position": c.position,
                    "currency": c.currency,
                    "denomination_minor": c.denomination_minor,
                    "notes": c.notes,
                    "low_notes": c.low_notes,
                }
                for c in cassettes
            ],
        )

    def set_notes(self, terminal_id: str, cassettes: tuple[Cassette, ...]) -> None:
        for c in cassettes:
            self.conn.execute(
                update(atm_cassettes)
                .where(
                    (atm_cassettes.c.terminal_id == terminal_id)
                    & (atm_cassettes.c.position == c.position)
                )
                .values(notes=c.notes)
            )

    # -- merchants ---------------------------------------------------------------------
    def add_merchant(self, merchant: MerchantRecord) -> None:
        values = {
            "id": merchant.merchant_id,
            "name": merchant.name,
            "mcc": merchant.mcc,
            "branch_code": merchant.branch_code,
            "settlement_account_id": merchant.settlement_account_id,
            "fee_rate": str(merchant.fee_rate),
            "status": merchant.status.value,
            "created_at_us": merchant.created_at_us,
        }
        self._insert_unique(insert(merchants).values(values), MerchantExists(merchant.merchant_id))

    def merchant(self, merchant_id: str) -> MerchantRecord | None:
        row = self.conn.execute(select(merchants).where(merchants.c.id == merchant_id)).first()
        return _merchant(row) if row else None

    def merchants(self, limit: int) -> list[MerchantRecord]:
        rows = self.conn.execute(select(merchants).order_by(merchants.c.id).limit(limit))
        return [_merchant(r) for r in rows]

    # -- POS sales, for the merchants' settlement ---------------------------------------
    def pos_sales(self, from_us: int, to_us: int) -> list[PosMovement]:
        t = transfers
        found: dict[Any, PosMovement] = {}
        # A purchase is logged under its own transfer; a completion may be logged under
        # the hold it posts: both ways lead to the terminal, hence the merchant.
        for via in (t.c.id, t.c.pending_id):
            query = _pos_attributed(t, via).where(
                t.c.kind.in_(("posting", "post_pending"))
                & t.c.reversal_of.is_(None)
                & (t.c.created_at_us >= from_us)
                & (t.c.created_at_us < to_us)
            )
            for r in self.conn.execute(query):
                found[r.id] = PosMovement(r.id, r.merchant_id, int(r.amount_minor), r.currency)
        return sorted(found.values(), key=lambda m: (m.merchant_id, str(m.transfer_id)))

    def pos_reversals(self, from_us: int, to_us: int) -> list[PosMovement]:
        original = transfers.alias("original")
        reversal = transfers.alias("reversal")
        found: dict[Any, PosMovement] = {}
        for via in (original.c.id, original.c.pending_id):
            query = (
                _pos_attributed(original, via)
                .with_only_columns(
                    reversal.c.id,
                    reversal.c.amount_minor,
                    reversal.c.currency,
                    terminals.c.merchant_id,
                )
                .join(reversal, reversal.c.reversal_of == original.c.id)
                .where(
                    original.c.kind.in_(("posting", "post_pending"))
                    & (reversal.c.created_at_us >= from_us)
                    & (reversal.c.created_at_us < to_us)
                )
            )
            for r in self.conn.execute(query):
                found[r.id] = PosMovement(r.id, r.merchant_id, int(r.amount_minor), r.currency)
        return sorted(found.values(), key=lambda m: (m.merchant_id, str(m.transfer_id)))

    # -- events and alarms -------------------------------------------------------------
    def add_event(self, terminal_id: str, kind: str, detail: str, at_us: int) -> None:
        self.conn.execute(
            insert(terminal_events).values(
                terminal_id=terminal_id, kind=kind, detail=detail[:500], at_us=at_us
            )
        )

    def add_alarm(self, alarm: NewAlarm) -> int | None:
        values = {
            "terminal_id": alarm.terminal_id,
            "kind": alarm.kind.value,
            "severity": alarm.severity.value,
            "status": AlarmStatus.OPEN.value,
            "detail": alarm.detail[:500],
            "raised_at_us": alarm.raised_at_us,
        }
        try:
            with self.conn.begin_nested():
                return int(
                    self.conn.execute(
                        insert(alarms).values(values).returning(alarms.c.id)
                    ).scalar_one()
                )
        except IntegrityError as exc:
            if is_unique_violation(exc):
                return None  # one of that kind is already active on the terminal
            raise

    def alarm(self, alarm_id: int, *, lock: bool = False) -> AlarmRecord | None:
        query = select(alarms).where(alarms.c.id == alarm_id)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        return _alarm(row) if row else None

    def active_alarms(self, terminal_id: str | None = None) -> list[AlarmRecord]:
        query = select(alarms).where(_ACTIVE_ALARM).order_by(alarms.c.id)
        if terminal_id is not None:
            query = query.where(alarms.c.terminal_id == terminal_id)
        return [_alarm(r) for r in self.conn.execute(query)]

    def recent_alarms(self, limit: int) -> list[AlarmRecord]:
        rows = self.conn.execute(select(alarms).order_by(alarms.c.id.desc()).limit(limit))
        return [_alarm(r) for r in rows]

    def acknowledge_alarm(self, alarm_id: int, user_id: int | None, now_us: int) -> None:
        self.conn.execute(
            update(alarms)
            .where(alarms.c.id == alarm_id)
            .values(
                status=AlarmStatus.ACKNOWLEDGED.value,
                acknowledged_by=user_id,
                acknowledged_at_us=now_us,
            )
        )

    def clear_alarm(self, alarm_id: int, now_us: int) -> None:
        self.conn.execute(
            update(alarms)
            .where(alarms.c.id == alarm_id)
            .values(status=AlarmStatus.CLEARED.value, cleared_at_us=now_us)
        )

    # -- the outbox --------------------------------------------------------------------
    def add_message(self, topic: str, recipient: str, payload: str, now_us: int) -> int:
        return int(
            self.conn.execute(
                insert(outbox)
                .values(topic=topic, recipient=recipient, payload=payload, created_at_us=now_us)
                .returning(outbox.c.id)
            ).scalar_one()
        )

    def unsent(self, limit: int, max_attempts: int) -> list[OutboxMessage]:
        rows = self.conn.execute(
            select(outbox)
            .where(outbox.c.sent_at_us.is_(None) & (outbox.c.attempts < max_attempts))
            .order_by(outbox.c.id)
            .limit(limit)
        )
        return [_message(r) for r in rows]

    def claim_unsent(self, message_id: int) -> OutboxMessage | None:
        row = self.conn.execute(
            select(outbox)
            .where((outbox.c.id == message_id) & outbox.c.sent_at_us.is_(None))
            .with_for_update(skip_locked=True)
        ).first()
        return _message(row) if row else None

    def mark_sent(self, message_id: int, now_us: int) -> None:
        self.conn.execute(
            update(outbox)
            .where(outbox.c.id == message_id)
            .values(sent_at_us=now_us, attempts=outbox.c.attempts + 1, last_error=None)
        )

    def mark_failed(self, message_id: int, error: str) -> None:
        self.conn.execute(
            update(outbox)
            .where(outbox.c.id == message_id)
            .values(attempts=outbox.c.attempts + 1, last_error=error[:MAX_ERROR_CHARS])
        )

    def _insert_unique(self, statement: Any, taken: Exception) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(statement)
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise taken from exc
            raise


def _pos_attributed(t: Any, via: Any) -> Select[Any]:
    """Transfers of ``t`` the switch logged (by ``via``) for an approved message of a
    POS terminal that is not itself a reversal."""
    sm = switch_messages
    return (
        select(t.c.id, t.c.amount_minor, t.c.currency, terminals.c.merchant_id)
        .select_from(t)
        .join(sm, sm.c.transfer_id == via)
        .join(terminals, terminals.c.id == sm.c.terminal_id)
        .where(
            (terminals.c.kind == TerminalKind.POS.value)
            & (sm.c.response_code == "00")
            & (sm.c.message_class != "reversal")
            & (t.c.channel == "pos")
        )
        .distinct()
    )


def _terminal(row: Row[Any]) -> TerminalRecord:
    return TerminalRecord(
        terminal_id=row.id,
        kind=TerminalKind(row.kind),
        branch_code=row.branch_code,
        merchant_id=row.merchant_id,
        zone_key_ref=row.zone_key_ref,
        location=row.location,
        cash_account_id=int(row.cash_account_id) if row.cash_account_id is not None else None,
        status=TerminalStatus(row.status),
        signed_on=bool(row.signed_on),
        state=TerminalState(row.state),
        last_seen_at_us=int(row.last_seen_at_us) if row.last_seen_at_us is not None else None,
        created_at_us=int(row.created_at_us),
    )


def _merchant(row: Row[Any]) -> MerchantRecord:
    return MerchantRecord(
        merchant_id=row.id,
        name=row.name,
        mcc=row.mcc,
        branch_code=row.branch_code,
        settlement_account_id=int(row.settlement_account_id),
        fee_rate=Decimal(row.fee_rate),
        status=MerchantStatus(row.status),
        created_at_us=int(row.created_at_us),
    )


def _alarm(row: Row[Any]) -> AlarmRecord:
    return AlarmRecord(
        alarm_id=int(row.id),
        terminal_id=row.terminal_id,
        kind=AlarmKind(row.kind),
        severity=Severity(row.severity),
        status=AlarmStatus(row.status),
        detail=row.detail,
        raised_at_us=int(row.raised_at_us),
        acknowledged_by=int(row.acknowledged_by) if row.acknowledged_by is not None else None,
        acknowledged_at_us=_opt(row.acknowledged_at_us),
        cleared_at_us=_opt(row.cleared_at_us),
    )


def _message(row: Row[Any]) -> OutboxMessage:
    return OutboxMessage(
        message_id=int(row.id),
        topic=row.topic,
        recipient=row.recipient,
        payload=row.payload,
        created_at_us=int(row.created_at_us),
        attempts=int(row.attempts),
        sent_at_us=_opt(row.sent_at_us),
        last_error=row.last_error,
    )


def _opt(value: Any) -> int | None:
    return int(value) if value is not None else None
