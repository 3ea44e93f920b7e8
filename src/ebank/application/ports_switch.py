"""The port of the switch's message log (``switch_messages``): every card message the
switch answered, by its key (terminal, STAN, local date, message class). Append-only: a
retransmission finds its first answer here, a completion or a reversal finds the
message it refers to, and the card's usage of the day (its limits) is read from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol
from uuid import UUID


class MessageClass(StrEnum):
    AUTHORISATION = "authorisation"  # 0100
    FINANCIAL = "financial"  # 0200
    COMPLETION = "completion"  # 0220
    REVERSAL = "reversal"  # 0400 and 0420


@dataclass(frozen=True, slots=True)
class MessageKey:
    """What makes a message unique: a retransmission carries the same key."""

    terminal_id: str
    stan: str  # field 11
    local_date: str  # field 13, MMDD
    message_class: MessageClass


@dataclass(frozen=True, slots=True)
class NewSwitchMessage:
    key: MessageKey
    mti: str
    processing_code: str
    amount_minor: int
    currency: str
    card_id: int | None
    pan_last4: str
    rrn: str
    response_code: str  # field 39
    transfer_id: UUID | None
    # The outcome as the application keeps it, to answer a retransmission the same way
    # (JSON: the outcome's code, approval code, balances, what a reversal undid).
    outcome: str
    created_at_us: int


@dataclass(frozen=True, slots=True)
class SwitchMessage:
    message_id: int
    key: MessageKey
    mti: str
    processing_code: str
    amount_minor: int
    currency: str
    card_id: int | None
    pan_last4: str
    rrn: str
    response_code: str
    transfer_id: UUID | None
    outcome: str
    created_at_us: int


class SwitchStore(Protocol):
    def find(self, key: MessageKey) -> SwitchMessage | None: ...

    def latest(
        self, terminal_id: str, stan: str, message_class: MessageClass
    ) -> SwitchMessage | None:
        """The newest message of ``message_class`` from the terminal with this STAN: the
        one a completion or reversal names in field 90."""
        ...

    def add(self, message: NewSwitchMessage) -> int:
        """Append ``message``; ``ConcurrencyConflict`` if its key was taken meanwhile."""
        ...

    def for_card_on(self, card_id: int, business_date: date) -> list[SwitchMessage]:
        """The card's messages stored on ``business_date`` (the bank's time zone), oldest
        first: what its daily limits count."""
        ...
