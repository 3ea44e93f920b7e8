"""The port of cards: the store of issued cards and the accounts each reaches.

A card's full number is never stored in clear: ``pan_hash`` is a keyed hash of it (to
find a card by its number) and ``pan_enc`` the number sealed by the secret box (for the
protocols that must send it); people see the last four digits only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ebank.domain.cards import CardAccountType, CardLimits, CardStatus


@dataclass(frozen=True, slots=True)
class CardAccountLink:
    account_type: CardAccountType
    account_id: int


@dataclass(frozen=True, slots=True)
class NewCard:
    pan_hash: str
    pan_enc: str
    pan_last4: str
    customer_id: int
    expiry: str  # YYMM
    status: CardStatus
    limits: CardLimits
    currency: str
    accounts: tuple[CardAccountLink, ...]
    created_at_us: int
    pan_prefix: str | None = None  # the first six digits (the BIN), for the masked number
    # The PIN's verification value from the HSM port (never the PIN): None until set.
    pin_verification: str | None = None


@dataclass(frozen=True, slots=True)
class CardRecord:
    card_id: int
    pan_hash: str
    pan_enc: str
    pan_last4: str
    customer_id: int
    expiry: str
    status: CardStatus
    limits: CardLimits
    currency: str
    blocked_reason: str | None
    accounts: tuple[CardAccountLink, ...]
    created_at_us: int
    updated_at_us: int
    pan_prefix: str | None = None
    pin_verification: str | None = None
    pin_tries: int = 0  # wrong PINs in a row; at card_pins.MAX_PIN_TRIES the card is locked


class CardStore(Protocol):
    def add(self, card: NewCard) -> int:
        """Store ``card`` and its account links; returns its id."""
        ...

    def get(self, card_id: int, *, lock: bool = False) -> CardRecord | None:
        """The card; with ``lock``, locked against concurrent change until the unit of
        work ends."""
        ...

    def by_pan_hash(self, pan_hash: str) -> CardRecord | None: ...

    def for_customer(self, customer_id: int) -> list[CardRecord]:
        """The customer's cards, oldest first."""
        ...

    def for_customers(self, customer_ids: list[int]) -> list[CardRecord]:
        """The cards of all these customers (a bounded list of ids), by id."""
        ...

    def set_status(
        self, card_id: int, status: CardStatus, reason: str | None, now_us: int
    ) -> None: ...

    def set_limits(self, card_id: int, limits: CardLimits, now_us: int) -> None: ...

    def set_pin_verification(self, card_id: int, verification: str, now_us: int) -> None:
        """A new PIN's verification value; the count of wrong PINs starts again."""
        ...

    def count_wrong_pin(self, card_id: int, now_us: int) -> int:
        """One more wrong PIN; returns the count."""
        ...

    def reset_pin_tries(self, card_id: int, now_us: int) -> None: ...
