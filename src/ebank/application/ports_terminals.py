"""The port of terminals: ATMs and POS terminals with their cassettes, POS merchants,
what terminals report, the alarms raised on them, and the transactional outbox of
notifications (written in the same unit of work as what it tells of)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from ebank.domain.monitoring import AlarmKind, AlarmStatus, Severity
from ebank.domain.terminals import (
    Cassette,
    MerchantStatus,
    TerminalKind,
    TerminalState,
    TerminalStatus,
)


@dataclass(frozen=True, slots=True)
class TerminalRecord:
    terminal_id: str
    kind: TerminalKind
    branch_code: str
    merchant_id: str | None
    zone_key_ref: str
    location: str
    cash_account_id: int | None
    status: TerminalStatus
    signed_on: bool
    state: TerminalState
    last_seen_at_us: int | None
    created_at_us: int


@dataclass(frozen=True, slots=True)
class MerchantRecord:
    merchant_id: str
    name: str
    mcc: str
    branch_code: str
    settlement_account_id: int
    fee_rate: Decimal
    status: MerchantStatus
    created_at_us: int


@dataclass(frozen=True, slots=True)
class AlarmRecord:
    alarm_id: int
    terminal_id: str
    kind: AlarmKind
    severity: Severity
    status: AlarmStatus
    detail: str
    raised_at_us: int
    acknowledged_by: int | None
    acknowledged_at_us: int | None
    cleared_at_us: int | None


@dataclass(frozen=True, slots=True)
class NewAlarm:
    terminal_id: str
    kind: AlarmKind
    severity: Severity
    detail: str
    raised_at_us: int


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    message_id: int
    topic: str
    recipient: str
    payload: str
    created_at_us: int
    attempts: int
    sent_at_us: int | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class PosMovement:
    """A POS purchase (or the reversal of one) in the journal, with its merchant."""

    transfer_id: UUID
    merchant_id: str
    amount_minor: int
    currency: str


class TerminalStore(Protocol):
    # -- terminals and cassettes
    def add_terminal(self, terminal: TerminalRecord) -> None:
        """Store a new terminal; ``TerminalExists`` if its id is taken."""
        ...

    def get(self, terminal_id: str, *, lock: bool = False) -> TerminalRecord | None: ...
    def all_terminals(self, limit: int) -> list[TerminalRecord]:
        """Terminals by id, at most ``limit``."""
        ...

    def set_signed_on(self, terminal_id: str, signed_on: bool, now_us: int) -> None:
        """Also counts as the terminal being seen at ``now_us``."""
        ...

    def seen(self, terminal_id: str, now_us: int) -> None: ...
    def set_state(self, terminal_id: str, state: TerminalState, now_us: int) -> None: ...
    def cassettes(self, terminal_id: str) -> tuple[Cassette, ...]: ...
    def cassettes_of(self, terminal_ids: list[str]) -> dict[str, tuple[Cassette, ...]]: ...
    def add_cassettes(self, terminal_id: str, cassettes: tuple[Cassette, ...]) -> None: ...
    def set_notes(self, terminal_id: str, cassettes: tuple[Cassette, ...]) -> None:
        """Store the note counts of ``cassettes`` (the other fields do not change)."""
        ...

    # -- merchants
    def add_merchant(self, merchant: MerchantRecord) -> None:
        """Store a new merchant; ``MerchantExists`` if its id is taken."""
        ...

    def merchant(self, merchant_id: str) -> MerchantRecord | None: ...
    def merchants(self, limit: int) -> list[MerchantRecord]: ...

    def pos_sales(self, from_us: int, to_us: int) -> list[PosMovement]:
        """Approved POS purchases posted in [from_us, to_us) (postings, and completions
        of authorisations), by the merchant of the terminal the switch logged them for."""
        ...

    def pos_reversals(self, from_us: int, to_us: int) -> list[PosMovement]:
        """Reversals posted in [from_us, to_us) of POS purchases of any day."""
        ...

    # -- what terminals report, and alarms
    def add_event(self, terminal_id: str, kind: str, detail: str, at_us: int) -> None: ...
    def add_alarm(self, alarm: NewAlarm) -> int | None:
        """Raise ``alarm``; ``None`` (and nothing stored) if the terminal already has an
        alarm of that kind that is not cleared (the unique index decides)."""
        ...

    def alarm(self, alarm_id: int, *, lock: bool = False) -> AlarmRecord | None: ...
    def active_alarms(self, terminal_id: str | None = None) -> list[AlarmRecord]:
        """Alarms open or acknowledged (not yet cleared), oldest first."""
        ...

    def recent_alarms(self, limit: int) -> list[AlarmRecord]:
        """Every alarm, newest first."""
        ...

    def acknowledge_alarm(self, alarm_id: int, user_id: int | None, now_us: int) -> None: ...
    def clear_alarm(self, alarm_id: int, now_us: int) -> None: ...

    # -- the outbox
    def add_message(self, topic: str, recipient: str, payload: str, now_us: int) -> int: ...
    def unsent(self, limit: int, max_attempts: int) -> list[OutboxMessage]:
        """Unsent messages tried fewer than ``max_attempts`` times, oldest first."""
        ...

    def claim_unsent(self, message_id: int) -> OutboxMessage | None:
        """The message, locked until the unit of work ends, if it is still unsent (and
        not locked by another relay: then ``None``)."""
        ...

    def mark_sent(self, message_id: int, now_us: int) -> None: ...
    def mark_failed(self, message_id: int, error: str) -> None:
        """Count a failed attempt and keep its error (at most 500 characters)."""
        ...


class Notifier(Protocol):
    """Sends a notification (e-mail or SMS). ``message_id`` is stable across retries,
    so that a gateway can drop a message it already sent. Raises on failure."""

    def send(
        self, channel: str, recipient: str, subject: str, body: str, message_id: str
    ) -> None: ...
