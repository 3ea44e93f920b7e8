"""Terminals (ATMs and POS), merchants and ATM cash cassettes: what they are and the
rules for the identifiers ISO 8583 carries (terminal id, field 41; merchant id, field
42), the merchant category code, the fee rate, and the cash an ATM holds by cassette.

Pure rules: no clock, no I/O. Money in integer minor units; a fee rate is a ``Decimal``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from ebank.domain.errors import InvalidInput

TERMINAL_ID_LENGTH = 8  # ISO 8583 field 41: ans 8
MERCHANT_ID_MAX = 15  # ISO 8583 field 42: ans 15
MAX_FEE_RATE = Decimal("0.1")
FEE_RATE_PLACES = 6  # at most "0.100000": fits the store's 12 characters
MAX_CASSETTES = 8
MAX_NOTES_PER_CASSETTE = 10_000
MAX_LOCATION = 200
MAX_NAME = 200

_BACKTRACK = 10
_TERMINAL_ID = re.compile(r"[A-Z0-9]{8}")
_MERCHANT_ID = re.compile(r"[A-Z0-9]{1,15}")
_MCC = re.compile(r"[0-9]{4}")
_ZONE_KEY_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")


class TerminalKind(StrEnum):
    ATM = "atm"
    POS = "pos"


class TerminalStatus(StrEnum):
    """Whether the bank lets the terminal transact (set by staff)."""

    ACTIVE = "active"
    INACTIVE = "inactive"


class TerminalState(StrEnum):
    """What the terminal last reported of itself (set by the terminal)."""

    OK = "ok"
    CASH_LOW = "cash_low"
    FAULT = "fault"
    DOOR_OPEN = "door_open"
    OUT_OF_SERVICE = "out_of_service"


class MerchantStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


def check_terminal_id(value: str) -> str:
    """A terminal id: exactly 8 upper-case letters or digits (field 41)."""
    if not _TERMINAL_ID.fullmatch(value):
        raise InvalidInput("a terminal id is 8 upper-case letters or digits")
    return value


def check_merchant_id(value: str) -> str:
    """A merchant id: 1 to 15 upper-case letters or digits (field 42)."""
    if not _MERCHANT_ID.fullmatch(value):
        raise InvalidInput("a merchant id is 1 to 15 upper-case letters or digits")
    return value


def check_mcc(value: str) -> str:
    """A merchant category code (ISO 18245): 4 digits."""
    if not _MCC.fullmatch(value):
        raise InvalidInput("a merchant category code is 4 digits")
    return value


def check_zone_key_ref(value: str) -> str:
    """The name of a zone PIN key (never the key itself)."""
    if not _ZONE_KEY_REF.fullmatch(value):
        raise InvalidInput("a zone key reference is 1 to 32 letters, digits, '.', '_' or '-'")
    return value


def check_text(value: str, what: str, limit: int) -> str:
    text = value.strip()
    if not text or len(text) > limit:
        raise InvalidInput(f"the {what} is 1 to {limit} characters")
    return text


def check_fee_rate(rate: Decimal) -> Decimal:
    """A fee rate is a fraction between 0 and 0.1 (10%), with at most 6 decimal places."""
    if not isinstance(rate, Decimal) or not rate.is_finite():
        raise InvalidInput("a fee rate is a decimal number")
    if rate < 0 or rate > MAX_FEE_RATE:
        raise InvalidInput("a fee rate is between 0 and 0.1")
    exponent = rate.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked above
    if -exponent > FEE_RATE_PLACES:
        raise InvalidInput(f"a fee rate has at most {FEE_RATE_PLACES} decimal places")
    return rate


def parse_fee_rate(text: str) -> Decimal:
    """A fee rate written as text ("0.006"); refused unless it is a valid rate."""
    try:
        rate = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidInput("a fee rate is a decimal number such as 0.006") from None
    return check_fee_rate(rate)


def fee_minor(amount_minor: int, rate: Decimal) -> int:
    """The fee on ``amount_minor``: amount x rate, rounded half-up to the minor unit."""
    exact = Decimal(amount_minor) * rate
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# -- ATM cassettes -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Cassette:
    """One cash cassette: notes of one denomination; below ``low_notes`` it is low."""

    position: int
    currency: str
    denomination_minor: int
    notes: int
    low_notes: int

    @property
    def amount_minor(self) -> int:
        return self.notes * self.denomination_minor

    @property
    def is_low(self) -> bool:
        return self.notes <= self.low_notes


def check_cassettes(cassettes: Sequence[Cassette]) -> tuple[Cassette, ...]:
    """An ATM's cassettes: 1 to 8, distinct positions 1..8, one currency, positive
    denominations, counts within what a cassette holds. Sorted by position."""
    if not 1 <= len(cassettes) <= MAX_CASSETTES:
        raise InvalidInput(f"an ATM has 1 to {MAX_CASSETTES} cassettes")
    positions = [c.position for c in cassettes]
    if len(set(positions)) != len(positions) or not all(1 <= p <= MAX_CASSETTES for p in positions):
        raise InvalidInput(f"cassette positions are distinct, 1 to {MAX_CASSETTES}")
    if len({c.currency for c in cassettes}) != 1:
        raise InvalidInput("an ATM's cassettes hold one currency")
    for c in cassettes:
        if c.denomination_minor <= 0:
            raise InvalidInput("a cassette's denomination is positive")
        if not 0 <= c.notes <= MAX_NOTES_PER_CASSETTE:
            raise InvalidInput(f"a cassette holds 0 to {MAX_NOTES_PER_CASSETTE} notes")
        if not 0 <= c.low_notes <= MAX_NOTES_PER_CASSETTE:
            raise InvalidInput(f"a low-cash level is 0 to {MAX_NOTES_PER_CASSETTE} notes")
    return tuple(sorted(cassettes, key=lambda c: c.position))


def cash_minor(cassettes: Sequence[Cassette]) -> int:
    return sum(c.amount_minor for c in cassettes)


def low_cassettes(cassettes: Sequence[Cassette]) -> list[Cassette]:
    """The cassettes at or below their low level (an empty cassette is low too)."""
    return [c for c in cassettes if c.is_low]


def with_counts(cassettes: Sequence[Cassette], counts: dict[int, int]) -> tuple[Cassette, ...]:
    """The cassettes with the note counts of ``counts`` (position -> notes); every
    position named must exist."""
    known = {c.position for c in cassettes}
    unknown = sorted(set(counts) - known)
    if unknown:
        raise InvalidInput(f"the ATM has no cassette {unknown[0]}")
    changed = [
        Cassette(c.position, c.currency, c.denomination_minor, counts[c.position], c.low_notes)
        if c.position in counts
        else c
        for c in cassettes
    ]
    return check_cassettes(changed)


def dispense_plan(cassettes: Sequence[Cassette], amount_minor: int) -> dict[int, int] | None:
    """The notes to take from each cassette (position -> notes) to pay out exactly
    ``amount_minor``, largest notes first; ``None`` if the cassettes cannot make it.

    Greedy with bounded backtracking over the few denominations an ATM has, so that
    80 from 50s and 20s (no 10s) is found as 4 x 20 rather than refused after one 50;
    each cassette gives back at most ``_BACKTRACK`` notes, which keeps the search small.
    """
    if amount_minor <= 0:
        return None
    ordered = sorted(
        (c for c in cassettes if c.notes > 0), key=lambda c: (-c.denomination_minor, c.position)
    )

    def plan(index: int, rest: int) -> dict[int, int] | None:
        if rest == 0:
            return {}
        if index == len(ordered):
            return None
        c = ordered[index]
        most = min(c.notes, rest // c.denomination_minor)
        for take in range(most, max(most - _BACKTRACK, 0) - 1, -1):
            found = plan(index + 1, rest - take * c.denomination_minor)
            if found is not None:
                return {c.position: take, **found} if take else found
        return None

    return plan(0, amount_minor)


def after_dispense(cassettes: Sequence[Cassette], taken: dict[int, int]) -> tuple[Cassette, ...]:
    """The cassettes once ``taken`` (position -> notes) has been paid out."""
    left = {c.position: c.notes - taken.get(c.position, 0) for c in cassettes}
    if any(n < 0 for n in left.values()):
        raise InvalidInput("a cassette cannot pay out more notes than it holds")
    return with_counts(cassettes, left)
