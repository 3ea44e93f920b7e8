"""Identity documents: a Chinese resident identity number (居民身份证号码) is 18
characters: a 6-digit region code, the birth date (YYYYMMDD), a 3-digit sequence and a
check digit (0-9 or X, ISO 7064 MOD 11-2). python-stdnum knows the algorithm and the
table of region codes; this module says which part of a bad number is wrong, so the
teller can tell the customer."""

from __future__ import annotations

from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, ValidationError

from ebank.domain.errors import ResidentIdInvalid


def check_resident_id(number: str, today: date) -> str:
    """``number`` in its canonical form (no spaces, capital X), or ``ResidentIdInvalid``
    naming the wrong part: ``format``, ``checksum``, ``birth_date`` or ``region``."""
    compact = ric.compact("".join(number.split())).upper()
    if len(compact) != 18 or not compact[:17].isdigit():
        raise ResidentIdInvalid("format")
    try:
        born = ric.get_birth_date(compact)
    except ValidationError:
        raise ResidentIdInvalid("birth_date") from None
    if born > today or born.year < 1900:
        raise ResidentIdInvalid("birth_date")
    try:
        ric.validate(compact)
    except InvalidChecksum:
        raise ResidentIdInvalid("checksum") from None
    except ValidationError:
        raise ResidentIdInvalid("region") from None
    return compact
