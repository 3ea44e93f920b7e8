"""The software HSM: the ``PinSecurity`` port in this process, for development, tests and
small installations. A hardware HSM (Thales payShield, Utimaco, a cloud payment HSM)
replaces it behind the same port: its adapter sends the same five requests as commands
and never lets a clear PIN or key out of the box.

The PIN verification value: ``v1:`` + HMAC-SHA256 under the PIN verification key of
``"v1|" + PAN + "|" + PIN``, in hex. With the key kept apart from the database, a stolen
table of verification values cannot be searched for PINs (10,000 guesses per card would
be trivial against a plain hash). The ``v1`` names the method, so a later one (IBM 3624
offsets from a real HSM, a new key) can live beside it while cards move over.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from ebank.adapters.crypto import pin_blocks
from ebank.adapters.crypto.keys import SymmetricKey, key_check_value, parse_key
from ebank.domain.errors import PinBlockInvalid

VERIFICATION_VERSION = "v1"
MIN_VERIFICATION_KEY_BYTES = 16


class SoftwareHsm:
    """Keys in memory, from configuration (``config.Settings``)."""

    def __init__(self, zone_keys: Mapping[str, str], pin_verification_key: str) -> None:
        self._zone_keys = {ref: parse_key(ref, spec) for ref, spec in zone_keys.items()}
        try:
            pvk = bytes.fromhex(pin_verification_key)
        except ValueError:
            raise ValueError("the PIN verification key is not hexadecimal") from None
        if len(pvk) < MIN_VERIFICATION_KEY_BYTES:
            raise ValueError("the PIN verification key has at least 32 hex digits")
        self._pvk = pvk

    def __repr__(self) -> str:
        return f"SoftwareHsm(zone_keys={sorted(self._zone_keys)})"

    def zone_key_refs(self) -> list[str]:
        return sorted(self._zone_keys)

    # -- the port ------------------------------------------------------------------------
    def pin_verification_from_block(self, zone_key_ref: str, pin_block: bytes, pan: str) -> str:
        pin = pin_blocks.decipher(self._zone_key(zone_key_ref), pin_block, pan)
        return self._verification(pan, pin)

    def verify_pin_block(
        self, zone_key_ref: str, pin_block: bytes, pan: str, verification: str
    ) -> bool:
        if not verification.startswith(VERIFICATION_VERSION + ":"):
            return False
        expected = self.pin_verification_from_block(zone_key_ref, pin_block, pan)
        return hmac.compare_digest(expected, verification)

    def pin_verification_from_clear(self, pan: str, pin: str) -> str:
        return self._verification(pan, pin_blocks.check_pin_digits(pin))

    def encrypt_pin_block(self, zone_key_ref: str, pin: str, pan: str) -> bytes:
        return pin_blocks.encipher(self._zone_key(zone_key_ref), pin, pan)

    def key_check_value(self, key_ref: str) -> str:
        return key_check_value(self._zone_key(key_ref))

    # -- inside --------------------------------------------------------------------------
    def _zone_key(self, ref: str) -> SymmetricKey:
        key = self._zone_keys.get(ref)
        if key is None:
            # Configuration, not the customer: the caller names keys it was set up with.
            raise KeyError(f"no zone PIN key {ref!r} is configured")
        return key

    def _verification(self, pan: str, pin: str) -> str:
        if not (pan.isascii() and pan.isdigit()):
            raise PinBlockInvalid("a card number is digits")
        message = f"{VERIFICATION_VERSION}|{pan}|{pin}".encode()
        digest = hmac.new(self._pvk, message, hashlib.sha256).hexdigest()
        return f"{VERIFICATION_VERSION}:{digest}"
