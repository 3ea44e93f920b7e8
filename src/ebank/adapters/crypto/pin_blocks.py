"""ISO 9564-1 PIN blocks: format 0 (8 bytes, under triple DES) and format 4 (16 bytes,
under AES).

Format 0: the PIN field ``0 N P P P P (P/F)...`` (control 0, the PIN's length N, the
digits, F fill) XOR the PAN field ``0000`` + the 12 rightmost digits of the card number
before its check digit; the result is enciphered in one block.

Format 4: the PIN field ``4 N P P P P (P/A)... A A`` then 8 random bytes, and the PAN
field ``M`` (PAN length - 12) + the whole PAN, 0-filled; enciphered as
E(K, E(K, PIN field) XOR PAN field). The random fill makes each block different.

Deciphering checks every nibble the format fixes and raises ``PinBlockInvalid`` on any
difference: the PIN never comes out of a block that is not well formed. The clear PIN
lives only in these functions' locals and return values.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from ebank.adapters.crypto.keys import KeyAlgorithm, SymmetricKey
from ebank.domain.errors import PinBlockInvalid

MIN_PIN_DIGITS = 4
MAX_PIN_DIGITS = 12
_FORMAT0_FILL = "F"
_FORMAT4_FILL = "A"


def check_pin_digits(pin: str) -> str:
    """``pin`` if it is 4 to 12 decimal digits; ``PinBlockInvalid`` otherwise (the
    message never repeats the PIN)."""
    if not (pin.isascii() and pin.isdigit() and MIN_PIN_DIGITS <= len(pin) <= MAX_PIN_DIGITS):
        raise PinBlockInvalid(f"a PIN has {MIN_PIN_DIGITS} to {MAX_PIN_DIGITS} digits")
    return pin


def _check_pan(pan: str) -> str:
    if not (pan.isascii() and pan.isdigit() and 1 <= len(pan) <= 19):
        raise PinBlockInvalid("a card number has 1 to 19 digits")
    return pan


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


# -- format 0 ----------------------------------------------------------------------------
def format0_pan_field(pan: str) -> bytes:
    """``0000`` and the 12 rightmost digits of the PAN without its check digit."""
    digits = _check_pan(pan)[:-1][-12:].rjust(12, "0")
    return bytes.fromhex("0000" + digits)


def format0_clear_block(pin: str, pan: str) -> bytes:
    pin_field = f"0{len(check_pin_digits(pin)):X}{pin}".ljust(16, _FORMAT0_FILL)
    return _xor(bytes.fromhex(pin_field), format0_pan_field(pan))


def format0_pin(clear_block: bytes, pan: str) -> str:
    """The PIN in a deciphered format-0 block for ``pan``; ``PinBlockInvalid`` if the
    block is not format 0 with digits and F fill (a wrong key, PAN or block)."""
    if len(clear_block) != 8:
        raise PinBlockInvalid("a format 0 PIN block has 8 bytes")
    field = _xor(clear_block, format0_pan_field(pan)).hex().upper()
    return _pin_from_field(field, control="0", fill=_FORMAT0_FILL, fill_to=16)


def encipher_format0(key: SymmetricKey, pin: str, pan: str) -> bytes:
    assert key.algorithm is KeyAlgorithm.TDES, "format 0 goes under triple DES"
    return key.encrypt_block(format0_clear_block(pin, pan))


def decipher_format0(key: SymmetricKey, pin_block: bytes, pan: str) -> str:
    if key.algorithm is not KeyAlgorithm.TDES or len(pin_block) != 8:
        raise PinBlockInvalid("a format 0 PIN block is 8 bytes under a triple DES key")
    return format0_pin(key.decrypt_block(pin_block), pan)


# -- format 4 ----------------------------------------------------------------------------
def format4_pan_field(pan: str) -> bytes:
    digits = _check_pan(pan)
    length_nibble = max(len(digits) - 12, 0)
    return bytes.fromhex(f"{length_nibble}{digits.rjust(12, '0')}".ljust(32, "0"))


def format4_pin_field(pin: str, random_fill: bytes) -> bytes:
    assert len(random_fill) == 8, "format 4 has 8 bytes of random fill"
    head = f"4{len(check_pin_digits(pin)):X}{pin}".ljust(16, _FORMAT4_FILL)
    return bytes.fromhex(head) + random_fill


def encipher_format4(
    key: SymmetricKey, pin: str, pan: str, random: Callable[[int], bytes] = os.urandom
) -> bytes:
    assert key.algorithm is KeyAlgorithm.AES, "format 4 goes under AES"
    intermediate = key.encrypt_block(format4_pin_field(pin, random(8)))
    return key.encrypt_block(_xor(intermediate, format4_pan_field(pan)))


def decipher_format4(key: SymmetricKey, pin_block: bytes, pan: str) -> str:
    if key.algorithm is not KeyAlgorithm.AES or len(pin_block) != 16:
        raise PinBlockInvalid("a format 4 PIN block is 16 bytes under an AES key")
    intermediate = _xor(key.decrypt_block(pin_block), format4_pan_field(pan))
    field = key.decrypt_block(intermediate)[:8].hex().upper()
    return _pin_from_field(field, control="4", fill=_FORMAT4_FILL, fill_to=16)


# -- either, by the key's algorithm -------------------------------------------------------
def encipher(key: SymmetricKey, pin: str, pan: str) -> bytes:
    """What a PIN pad under ``key`` sends: format 0 under TDES, format 4 under AES."""
    if key.algorithm is KeyAlgorithm.TDES:
        return encipher_format0(key, pin, pan)
    return encipher_format4(key, pin, pan)


def decipher(key: SymmetricKey, pin_block: bytes, pan: str) -> str:
    if key.algorithm is KeyAlgorithm.TDES:
        return decipher_format0(key, pin_block, pan)
    return decipher_format4(key, pin_block, pan)


def _pin_from_field(field: str, *, control: str, fill: str, fill_to: int) -> str:
    """The PIN of a clear PIN field ``C N digits fill...`` (upper-case hex nibbles)."""
    length = int(field[1], 16)
    pin, rest = field[2 : 2 + length], field[2 + length : fill_to]
    if (
        field[0] != control
        or not MIN_PIN_DIGITS <= length <= MAX_PIN_DIGITS
        or not pin.isdigit()
        or rest != fill * len(rest)
    ):
        # Say nothing of which part is wrong: that would be an oracle on the block.
        raise PinBlockInvalid("the PIN block is not well formed")
    return pin
