"""Field validation for the switch: every field a request carries is checked against
its content class (digits, letters, printable, hex, track 2), its meaning (dates, times,
account types, currency), and the fields each message type needs. The codec has already
checked the lengths (fixed fields exactly, variable ones up to their maximum)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ebank.adapters.iso8583.spec import FIELD_FORMATS, NEW_PIN_FIELD, PIN_CHANGE_CODE

# ISO 4217 numeric codes of the currencies a card may be in.
CURRENCY_BY_NUMERIC = {"156": "CNY", "344": "HKD", "840": "USD", "978": "EUR"}
NUMERIC_BY_CURRENCY = {alpha: numeric for numeric, alpha in CURRENCY_BY_NUMERIC.items()}

_CARD_FIELDS = frozenset({"2", "3", "4", "7", "11", "12", "13", "41", "49", "52"})
_ADVICE_FIELDS = frozenset({"2", "3", "4", "7", "11", "13", "41", "49", "90"})
REQUIRED: dict[str, frozenset[str]] = {
    "0800": frozenset({"7", "11", "41", "70"}),
    "0100": _CARD_FIELDS,
    "0200": _CARD_FIELDS,
    "0220": _ADVICE_FIELDS,
    "0400": _ADVICE_FIELDS,
    "0420": _ADVICE_FIELDS,
}
# Fields only an answer carries.
_RESPONSE_ONLY = frozenset({"38", "39", "54"})
ORIGINAL_MTIS = frozenset({"0100", "0200", "0220"})

_CONTENT = {
    "n": re.compile(r"[0-9]*"),
    "an": re.compile(r"[A-Za-z0-9]*"),
    "ans": re.compile(r"[\x20-\x7e]*"),
    "hex": re.compile(r"[0-9A-F]*"),
    "z": re.compile(r"[0-9]{12,19}[=D][0-9]{4}[0-9]{3}[0-9]*"),
}
_ACCOUNT_TYPES = frozenset({"00", "10", "20"})


def _valid_mmdd(text: str) -> bool:
    month, day = int(text[:2]), int(text[2:4])
    return 1 <= month <= 12 and 1 <= day <= 31


def _valid_hhmmss(text: str) -> bool:
    return int(text[:2]) < 24 and int(text[2:4]) < 60 and int(text[4:6]) < 60


def _meaning(field: str, value: str, fields: Mapping[str, str]) -> bool:
    """Whether a field of the right content class also means something."""
    if field == "3":
        return value[2:4] in _ACCOUNT_TYPES and value[4:6] in _ACCOUNT_TYPES
    if field == "7":
        return _valid_mmdd(value[:4]) and _valid_hhmmss(value[4:])
    if field == "12":
        return _valid_hhmmss(value)
    if field == "13":
        return _valid_mmdd(value)
    if field == "14":
        return 1 <= int(value[2:]) <= 12
    if field == "2":
        return len(value) >= 12
    if field == "35":
        pan, rest = re.split(r"[=D]", value, maxsplit=1)
        expiry = rest[:4]
        same_pan = pan == fields.get("2", pan)
        same_expiry = expiry == fields.get("14", expiry)
        return same_pan and same_expiry and 1 <= int(expiry[2:]) <= 12
    if field == "49":
        return value in CURRENCY_BY_NUMERIC
    if field == "90":
        return value[:4] in ORIGINAL_MTIS
    if field == "95":
        return value[:12].isdigit()
    return True


def problems(fields: Mapping[str, str]) -> list[str]:
    """The fields that are wrong, by number (empty when the message is well formed)."""
    mti = fields.get("t", "")
    required = REQUIRED.get(mti)
    if required is None:
        return ["t"]
    wrong = sorted(required - fields.keys(), key=int)
    for field, value in fields.items():
        if field == "t":
            continue
        if field in _RESPONSE_ONLY or field not in FIELD_FORMATS:
            wrong.append(field)
            continue
        _, _, content = FIELD_FORMATS[field]
        if not _CONTENT[content].fullmatch(value) or not _meaning(field, value, fields):
            wrong.append(field)
    if mti in ("0100", "0200"):
        pin_change = fields.get("3") == PIN_CHANGE_CODE
        if pin_change != (NEW_PIN_FIELD in fields):
            wrong.append(NEW_PIN_FIELD)
    return wrong


def track2_expiry(value: str) -> str:
    """YYMM from track 2 (already validated)."""
    return re.split(r"[=D]", value, maxsplit=1)[1][:4]
