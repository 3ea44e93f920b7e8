"""Symmetric keys as configuration gives them, their block ciphers, and key check values.

A key is written ``ALGORITHM:HEX`` or ``ALGORITHM:HEX:KCV`` (``tdes:0123...`` with 32 or
48 hex digits for a two- or three-key triple DES key; ``aes:...`` with 32, 48 or 64 for
AES). With a ``KCV`` the key is refused unless its check value matches: this is how the
custodians who typed the key in prove it is the one on their paper components.

Key check values (what an HSM prints and custodians compare):
- triple DES: the first 3 bytes of E(K, 00..00), the 8-byte zero block (ANSI X9.24-1);
- AES: the first 3 bytes of AES-CMAC(K, 16 zero bytes) (ANSI X9.24-1:2017, 7.7.2; the
  convention AWS Payment Cryptography and TR-31 use), not the older ECB of zeros.

The key material never appears in ``repr`` or ``str``: logs show the reference and KCV.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.ciphers.algorithms import AES
from cryptography.hazmat.primitives.cmac import CMAC

KCV_BYTES = 3
_KEY_BYTES = {"tdes": (16, 24), "aes": (16, 24, 32)}


class KeyAlgorithm(StrEnum):
    TDES = "tdes"
    AES = "aes"

    @property
    def block_bytes(self) -> int:
        return 8 if self is KeyAlgorithm.TDES else 16


class KeyFormatError(ValueError):
    """A key in configuration that is not well formed (never shows the key itself)."""


@dataclass(frozen=True, slots=True)
class SymmetricKey:
    ref: str
    algorithm: KeyAlgorithm
    material: bytes = field(repr=False)

    def __str__(self) -> str:
        return f"{self.ref} ({self.algorithm.value}, KCV {key_check_value(self)})"

    def encrypt_block(self, block: bytes) -> bytes:
        assert len(block) == self.algorithm.block_bytes, "one cipher block"
        encryptor = self._cipher().encryptor()
        return encryptor.update(block) + encryptor.finalize()

    def decrypt_block(self, block: bytes) -> bytes:
        assert len(block) == self.algorithm.block_bytes, "one cipher block"
        decryptor = self._cipher().decryptor()
        return decryptor.update(block) + decryptor.finalize()

    def _cipher(self) -> Cipher[modes.ECB]:
        # ECB on a single block is what ISO 9564 and the KCV specify: never on more.
        if self.algorithm is KeyAlgorithm.TDES:
            return Cipher(TripleDES(_three_key_form(self.material)), modes.ECB())  # noqa: S305
        return Cipher(AES(self.material), modes.ECB())  # noqa: S305


def _three_key_form(material: bytes) -> bytes:
    """A two-key TDES key K1K2 as the equivalent K1K2K1 (the library's preferred form)."""
    return material + material[:8] if len(material) == 16 else material


def parse_key(ref: str, text: str) -> SymmetricKey:
    """The key ``ref`` written as ``ALGORITHM:HEX[:KCV]``; ``KeyFormatError`` if malformed."""
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or parts[0].lower() not in _KEY_BYTES:
        raise KeyFormatError(f"key {ref}: write it as tdes:HEX or aes:HEX (optionally :KCV)")
    algorithm = KeyAlgorithm(parts[0].lower())
    try:
        material = bytes.fromhex(parts[1])
    except ValueError:
        raise KeyFormatError(f"key {ref}: the key is not hexadecimal") from None
    if len(material) not in _KEY_BYTES[algorithm.value]:
        sizes = " or ".join(str(2 * n) for n in _KEY_BYTES[algorithm.value])
        raise KeyFormatError(f"key {ref}: a {algorithm.value} key has {sizes} hex digits")
    if algorithm is KeyAlgorithm.TDES and material[:8] == material[8:16]:
        # K1 = K2 makes triple DES single DES: a 56-bit key is no PIN key.
        raise KeyFormatError(f"key {ref}: the two halves of a triple DES key must differ")
    key = SymmetricKey(ref, algorithm, material)
    if len(parts) == 3 and parts[2].strip().upper() != key_check_value(key):
        raise KeyFormatError(f"key {ref}: its check value is not {parts[2].strip().upper()}")
    return key


def key_check_value(key: SymmetricKey) -> str:
    """Six hex digits (upper case): see the module's docstring for the method."""
    if key.algorithm is KeyAlgorithm.TDES:
        return key.encrypt_block(bytes(8))[:KCV_BYTES].hex().upper()
    cmac = CMAC(AES(key.material))
    cmac.update(bytes(16))
    return cmac.finalize()[:KCV_BYTES].hex().upper()


# -- TEST keys: dev and test only, refused in production (config.check_for_production) --
# Public, well-known values: anything enciphered under them is readable by anyone.
TEST_ZONE_KEY_REF = "ZPK-TEST-1"
TEST_AES_ZONE_KEY_REF = "ZPK-TEST-AES-1"
TEST_ZONE_KEYS: dict[str, str] = {
    TEST_ZONE_KEY_REF: "tdes:0123456789ABCDEFFEDCBA9876543210:08D7B4",
    TEST_AES_ZONE_KEY_REF: "aes:00112233445566778899AABBCCDDEEFF",
}
TEST_PIN_VERIFICATION_KEY = "7E57" * 16  # "7E57" reads TEST: 32 bytes, hex


def is_test_key_material(text: str) -> bool:
    """Whether ``text`` holds one of the test keys above, in any spelling (and, for
    triple DES, whatever its parity bits, which the cipher ignores)."""
    parts = text.strip().split(":")
    try:
        material = bytes.fromhex(parts[1] if len(parts) >= 2 else parts[0])
    except ValueError:
        return False
    test_keys = [bytes.fromhex(spec.split(":")[1]) for spec in TEST_ZONE_KEYS.values()]
    test_keys.append(bytes.fromhex(TEST_PIN_VERIFICATION_KEY))
    return _without_parity(material) in {_without_parity(key) for key in test_keys}


def _without_parity(material: bytes) -> bytes:
    return bytes(b & 0xFE for b in material)
