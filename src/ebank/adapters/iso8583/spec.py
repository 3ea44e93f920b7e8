"""Our ISO 8583:1987 field spec (ASCII encoding) as a pyiso8583 spec dict.

Only the fields the bank uses are defined: a message carrying any other field does not
decode (the switch answers it with response code 30). ``docs/iso8583.md`` describes each
field, which messages carry it and what it holds; ``FIELD_FORMATS`` is the same table in
a form the switch's validator reads (the content class of each field, which pyiso8583
does not check by itself).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Final, Literal

# How a field's content is checked: n = digits only; an = letters and digits;
# ans = any printable ASCII; hex = upper-case hexadecimal (PIN block); z = track 2
# (digits and the "=" separator).
ContentClass = Literal["n", "an", "ans", "hex", "z"]

# (field, description, len_type: 0 fixed / 2 LLVAR / 3 LLLVAR, max_len, content class)
_FIELDS: Final[tuple[tuple[str, str, int, int, ContentClass], ...]] = (
    ("t", "Message Type Indicator", 0, 4, "n"),
    ("p", "Bitmap, Primary", 0, 16, "hex"),
    ("1", "Bitmap, Secondary", 0, 16, "hex"),
    ("2", "Primary Account Number (PAN)", 2, 19, "n"),
    ("3", "Processing Code", 0, 6, "n"),
    ("4", "Amount, Transaction", 0, 12, "n"),
    ("7", "Transmission Date and Time", 0, 10, "n"),
    ("11", "System Trace Audit Number", 0, 6, "n"),
    ("12", "Time, Local Transaction", 0, 6, "n"),
    ("13", "Date, Local Transaction", 0, 4, "n"),
    ("14", "Date, Expiration", 0, 4, "n"),
    ("18", "Merchant Type", 0, 4, "n"),
    ("22", "POS Entry Mode", 0, 3, "n"),
    ("32", "Acquiring Institution ID Code", 2, 11, "n"),
    ("35", "Track 2 Data", 2, 37, "z"),
    ("37", "Retrieval Reference Number", 0, 12, "an"),
    ("38", "Authorization ID Response", 0, 6, "an"),
    ("39", "Response Code", 0, 2, "an"),
    ("41", "Card Acceptor Terminal ID", 0, 8, "ans"),
    ("42", "Card Acceptor ID Code", 0, 15, "ans"),
    ("43", "Card Acceptor Name/Location", 0, 40, "ans"),
    ("49", "Currency Code, Transaction", 0, 3, "n"),
    ("52", "PIN Data", 0, 16, "hex"),
    ("53", "New PIN Data (PIN change)", 0, 16, "hex"),
    ("54", "Additional Amounts", 3, 120, "an"),
    ("70", "Network Management Information Code", 0, 3, "n"),
    ("90", "Original Data Elements", 0, 42, "n"),
    ("95", "Replacement Amounts", 0, 42, "an"),
)

FIELD_FORMATS: Final[MappingProxyType[str, tuple[int, int, ContentClass]]] = MappingProxyType(
    {field: (len_type, max_len, content) for field, _, len_type, max_len, content in _FIELDS}
)


def _entry(description: str, len_type: int, max_len: int) -> dict[str, Any]:
    return {
        "data_enc": "ascii",
        "len_enc": "ascii",
        "len_type": len_type,
        "max_len": max_len,
        "desc": description,
    }


SPEC: Final[dict[str, dict[str, Any]]] = {
    "h": _entry("Message Header", 0, 0),  # no header: framing is the 2-byte length alone
    **{field: _entry(desc, len_type, max_len) for field, desc, len_type, max_len, _ in _FIELDS},
}

# The data elements a message may carry (the bitmaps are derived by the codec).
DATA_FIELDS: Final[frozenset[str]] = frozenset(
    field for field in FIELD_FORMATS if field not in {"t", "p", "1"}
)

# The PIN change at an ATM: an 0200 with this processing code (9x is private use in
# ISO 8583:1987) carries the old PIN block in field 52 and the new one in field 53.
PIN_CHANGE_CODE: Final = "960000"
NEW_PIN_FIELD: Final = "53"
