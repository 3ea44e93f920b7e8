"""The port of telephone banking: IVR call sessions, telephone-banking PINs (their
verification values only) and the statement jobs the menu queues."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ebank.application.ports_documents import DocumentJobStore


@dataclass(frozen=True, slots=True)
class StoredCall:
    """One call's row: ``data`` is the state machine's memory as JSON (never a PIN)."""

    call_id: str
    language: str
    state: str
    customer_id: int | None
    data: str
    caller: str
    created_at_us: int
    updated_at_us: int
    ended_at_us: int | None = None


@dataclass(frozen=True, slots=True)
class PhonePin:
    customer_id: int
    verification: str  # from the HSM port, never the PIN
    failed_attempts: int = 0
    lockouts: int = 0
    locked_until_us: int = 0


class IvrStore(DocumentJobStore, Protocol):
    def call(self, call_id: str, *, lock: bool = False) -> StoredCall | None: ...
    def save_call(self, call: StoredCall) -> None:
        """Insert the call's row, or replace it."""
        ...

    def phone_pin(self, customer_id: int, *, lock: bool = False) -> PhonePin | None: ...
    def save_phone_pin(self, pin: PhonePin, now_us: int) -> None:
        """Insert the customer's telephone PIN row, or replace it."""
        ...
