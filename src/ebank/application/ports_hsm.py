"""The HSM port: every use of a PIN key goes through here, so that a hardware security
module can replace the software one (``adapters/crypto/soft_hsm.py``) without a change
to the use cases or the switch.

Keys are named by reference (``"ZPK-TEST-1"``, ``"ZPK-ATM-EAST"``), never passed
around: the implementation holds them. A PIN in clear exists only inside the
implementation and, for ``set_pin`` at the counter and ``encrypt_pin_block`` (what a
PIN pad does), as an argument on its way in. What the bank stores is the verification
value these functions return (``"v1:<hex>"`` for the software HSM), never the PIN.

Errors: a PIN block that does not decipher to a well-formed block raises
``PinBlockInvalid``; an unknown key reference is a programmer or configuration error
(``KeyError``), never a customer's.
"""

from __future__ import annotations

from typing import Protocol


class PinSecurity(Protocol):
    def pin_verification_from_block(self, zone_key_ref: str, pin_block: bytes, pan: str) -> str:
        """The verification value of the PIN in ``pin_block`` (enciphered under the zone
        PIN key ``zone_key_ref``) for the card ``pan``: what ``set_pin``/``change_pin``
        and the card migration store."""
        ...

    def verify_pin_block(
        self, zone_key_ref: str, pin_block: bytes, pan: str, verification: str
    ) -> bool:
        """Whether the PIN in ``pin_block`` is the one ``verification`` was made from."""
        ...

    def pin_verification_from_clear(self, pan: str, pin: str) -> str:
        """The verification value of a PIN typed on the bank's own PIN pad (the counter)."""
        ...

    def encrypt_pin_block(self, zone_key_ref: str, pin: str, pan: str) -> bytes:
        """The PIN block a PIN pad under ``zone_key_ref`` sends (simulator and tests)."""
        ...

    def key_check_value(self, key_ref: str) -> str:
        """The key check value of a configured key (6 hex digits), to compare with the
        value printed on the key's paper components when it was loaded."""
        ...
