"""Ports of SMS banking: the store of registered numbers, messages and pending
transfers (``uow.sms``), and the ONE port every SMS transport (SMPP, HTTP webhook,
console) implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from ebank.domain.transfers import JournalEntry


@dataclass(frozen=True, slots=True)
class SmsSubscription:
    phone: str
    customer_id: int
    language: str
    alert_threshold_minor: int | None
    status: str
    created_at_us: int
    updated_at_us: int


@dataclass(frozen=True, slots=True)
class AlertSubscriber:
    """A number that wants alerts for one account (an account of its customer)."""

    account_id: int
    account_number: str
    phone: str
    language: str
    threshold_minor: int


@dataclass(frozen=True, slots=True)
class QueuedSms:
    """A message for the outbox: sent by the relay after the unit of work commits."""

    topic: str  # sms_alert, sms_reply
    phone: str
    body: str
    dedupe_key: str


@dataclass(frozen=True, slots=True)
class PendingSmsTransfer:
    id: UUID
    phone: str
    customer_id: int
    debit_account_id: int
    credit_account_id: int
    amount_minor: int
    currency: str
    code_hash: str
    attempts: int
    created_at_us: int
    expires_at_us: int
    used_at_us: int | None


class SmsStore(Protocol):
    def subscription(self, phone: str) -> SmsSubscription | None: ...
    def save_subscription(self, subscription: SmsSubscription) -> None:
        """Insert or replace the subscription of ``subscription.phone``."""
        ...

    def alert_subscribers(self, account_ids: Sequence[int]) -> list[AlertSubscriber]:
        """Active numbers with a threshold whose customer owns any of ``account_ids``:
        one query, whatever the number of accounts."""
        ...

    def queue(self, messages: Sequence[QueuedSms], now_us: int) -> None:
        """Write ``messages`` to the outbox; one whose dedupe key is taken is skipped."""
        ...

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
    ) -> int: ...
    def set_status_by_external_id(self, external_id: str, status: str, now_us: int) -> bool: ...
    def inbound_since(self, phone: str, since_us: int) -> int:
        """How many messages ``phone`` sent since ``since_us`` (the rate-limit window)."""
        ...

    def add_pending(self, pending: PendingSmsTransfer) -> None: ...
    def open_pending(self, phone: str, *, lock: bool) -> list[PendingSmsTransfer]:
        """Unused pending transfers of ``phone``, newest first."""
        ...

    def use_pending(self, pending_id: UUID, now_us: int) -> None: ...
    def count_attempt(self, pending_id: UUID) -> None: ...


class SmsInbox(Protocol):
    """Where a transport hands what it receives (``sms_banking`` implements it)."""

    def inbound(self, phone: str, text: str, external_id: str) -> None: ...
    def receipt(self, external_id: str, delivered: bool) -> None: ...


class SmsTransport(Protocol):
    """The one port of every SMS transport."""

    name: str

    def send(self, phone: str, body: str, reference: str) -> str:
        """Hand one message to the operator; returns its id there. Raises when it was
        not accepted. ``reference`` is stable across retries (the dedupe key)."""
        ...

    def poll(self, inbox: SmsInbox) -> int:
        """Hand what arrived meanwhile (messages, delivery receipts) to ``inbox``;
        returns how many. Transports that are called back over HTTP return 0."""
        ...

    def close(self) -> None: ...


def posted_movements(entries: Sequence[JournalEntry]) -> list[JournalEntry]:
    """The entries that moved posted balances: what a transaction alert tells of."""
    return [e for e in entries if e.is_posted_movement]
