"""Bank cards: numbers in the bank's BIN range with a Luhn check digit, expiry, the life
of a card (issued, active, reported lost, blocked, expired) and its own limits.

Pure rules: the number's digits come in from outside (the application draws them), and
today's date is an argument. The full card number is handled here only to build and
check it; what a person sees is ``mask_pan``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ebank.domain.errors import (
    CardLimitAboveMaximum,
    CardStatusConflict,
    InvalidInput,
)

DEFAULT_BIN = "621799"
PAN_LENGTH = 16
VALIDITY_YEARS = 5


class CardStatus(StrEnum):
    INACTIVE = "inactive"  # issued, not yet handed over and activated
    ACTIVE = "active"
    TEMPORARILY_BLOCKED = "temporarily_blocked"  # reported lost (挂失), may be lifted
    BLOCKED = "blocked"  # permanently: never usable again
    EXPIRED = "expired"


class CardAccountType(StrEnum):
    """How ISO 8583 processing codes name the accounts a card reaches."""

    SAVINGS = "savings"
    CHECKING = "checking"


# The products a card may reach, by the account type it reaches them as.
CARD_ACCOUNT_TYPES: dict[str, CardAccountType] = {
    "SAV": CardAccountType.SAVINGS,
    "CUR": CardAccountType.CHECKING,
}

# What each action may do from each status; anything else is refused.
_TRANSITIONS: dict[str, tuple[frozenset[CardStatus], CardStatus]] = {
    "activate": (frozenset({CardStatus.INACTIVE}), CardStatus.ACTIVE),
    "report_lost": (frozenset({CardStatus.ACTIVE}), CardStatus.TEMPORARILY_BLOCKED),
    "lift_loss_report": (frozenset({CardStatus.TEMPORARILY_BLOCKED}), CardStatus.ACTIVE),
    "block": (
        frozenset({CardStatus.INACTIVE, CardStatus.ACTIVE, CardStatus.TEMPORARILY_BLOCKED}),
        CardStatus.BLOCKED,
    ),
    "expire": (
        frozenset({CardStatus.INACTIVE, CardStatus.ACTIVE, CardStatus.TEMPORARILY_BLOCKED}),
        CardStatus.EXPIRED,
    ),
}
CARD_ACTIONS = frozenset(_TRANSITIONS)


def next_status(status: CardStatus, action: str) -> CardStatus:
    """The status after ``action``; ``CardStatusConflict`` if ``status`` forbids it."""
    allowed, after = _TRANSITIONS[action]
    if status not in allowed:
        raise CardStatusConflict(f"a card that is {status.value} cannot {action}")
    return after


@dataclass(frozen=True, slots=True)
class CardLimits:
    """A card's own daily limits, in minor units of the card's currency."""

    atm_daily_minor: int
    atm_daily_count: int
    pos_daily_minor: int

    def within(self, maximum: CardLimits) -> bool:
        return (
            self.atm_daily_minor <= maximum.atm_daily_minor
            and self.atm_daily_count <= maximum.atm_daily_count
            and self.pos_daily_minor <= maximum.pos_daily_minor
        )


@dataclass(frozen=True, slots=True)
class CardPolicy:
    """The bank's card settings (from configuration)."""

    bin: str = DEFAULT_BIN
    pan_length: int = PAN_LENGTH
    validity_years: int = VALIDITY_YEARS
    currency: str = "CNY"
    # The most any card may have, and what a new card gets.
    maximum: CardLimits = CardLimits(2_000_000, 20, 20_000_000)
    default: CardLimits = CardLimits(1_000_000, 10, 5_000_000)

    def __post_init__(self) -> None:
        if not (self.bin.isascii() and self.bin.isdigit() and 6 <= len(self.bin) <= 8):
            raise InvalidInput("the BIN is 6 to 8 digits")
        if not 13 <= self.pan_length <= 19 or self.pan_length - len(self.bin) < 5:
            raise InvalidInput("a card number has 13 to 19 digits, beyond the BIN")
        if not self.default.within(self.maximum):
            raise InvalidInput("the default card limits exceed the maximum")


def check_limits(limits: CardLimits, policy: CardPolicy) -> CardLimits:
    """``limits`` if each is zero or more and within the bank's maximum."""
    if min(limits.atm_daily_minor, limits.atm_daily_count, limits.pos_daily_minor) < 0:
        raise InvalidInput("card limits cannot be negative")
    if not limits.within(policy.maximum):
        raise CardLimitAboveMaximum("a card limit is above the bank's maximum")
    return limits


# -- numbers -----------------------------------------------------------------------------
def luhn_check_digit(payload: str) -> str:
    """The digit that makes ``payload`` + digit pass the Luhn check."""
    assert payload.isascii() and payload.isdigit(), "digits only"
    total = 0
    # From the right of the payload, every first digit is doubled (it sits second from
    # the right once the check digit is appended).
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    if not (number.isascii() and number.isdigit() and len(number) >= 2):
        return False
    return luhn_check_digit(number[:-1]) == number[-1]


def make_pan(policy: CardPolicy, serial: int) -> str:
    """The card number with account serial ``serial`` in the bank's BIN range."""
    width = policy.pan_length - len(policy.bin) - 1
    if not 0 <= serial < 10**width:
        raise InvalidInput(f"a card serial has at most {width} digits")
    payload = f"{policy.bin}{serial:0{width}d}"
    return payload + luhn_check_digit(payload)


def serial_width(policy: CardPolicy) -> int:
    return policy.pan_length - len(policy.bin) - 1


def is_bank_pan(pan: str, policy: CardPolicy) -> bool:
    """A number of this bank: its BIN, its length, a right check digit."""
    return len(pan) == policy.pan_length and pan.startswith(policy.bin) and luhn_valid(pan)


def mask_pan(first4: str, last4: str) -> str:
    """What a person sees of a card number: ``6217 **** **** 1234``."""
    return f"{first4} **** **** {last4}"


# -- expiry ------------------------------------------------------------------------------
def expiry_for(issued_on: date, policy: CardPolicy) -> str:
    """YYMM: the month of issue, ``validity_years`` later."""
    return f"{(issued_on.year + policy.validity_years) % 100:02d}{issued_on.month:02d}"


def is_expired(expiry: str, today: date) -> bool:
    """A card is good to the last day of its expiry month."""
    year, month = 2000 + int(expiry[:2]), int(expiry[2:])
    return (today.year, today.month) > (year, month)


def expiry_label(expiry: str) -> str:
    """``MM/YY``, as printed on the card."""
    return f"{expiry[2:]}/{expiry[:2]}"
