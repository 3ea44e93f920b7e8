"""PIN blocks, keys and the software HSM against published vectors.

Sources of the vectors (each checked here byte for byte):
- ISO 9564-1 format 0, clear block, PIN 1234 / PAN 43219876543210987 -> 0412AC89ABCDEF67:
  EFTlab, "Complete list of PIN-blocks in payments"
  (https://www.eftlab.com/knowledge-base/261-complete-list-of-pin-blocks-in-payments/),
  reproduced in ID TECH's knowledge base ("PIN block formats").
- Format 0 enciphered under triple DES: ANSI X9.24-1:2009 Annex A.4 (DUKPT test data):
  PIN 1234, PAN 4012345678909, clear block 041274EDCBA9876F, and for the key serial
  numbers FFFF9876543210E00001..3 the PIN encryption keys and enciphered blocks
  1B9C1845EB993A7A, 10A01C8D02C69107, 18DC07B94797B466 (the same data as in the test
  suites of jPOS and moov-io/dukpt).
- Format 4 under AES-128: PIN 1234, PAN 1234567890123456789, key
  00112233445566778899AABBCCDDEEFF, random fill FF..FF -> 28B41FDDD29B743E93124BD8E32D921E;
  and PAN 1234567890123456 -> 52DB178C6EDCE52E3A70F7FBC8E9C758 deciphers to 1234
  (the psec library's test suite, knovichikhin/psec, and the paysec crate's).
- Triple DES itself: FIPS 81 / NBS single-DES example, key 0123456789ABCDEF,
  "Now is t" -> 3FA40E8A984D4815 (DES-EDE with three equal keys is single DES).
- AES-CMAC: RFC 4493 example 2.
"""

from __future__ import annotations

import pytest

from ebank.adapters.crypto import pin_blocks
from ebank.adapters.crypto.keys import (
    TEST_PIN_VERIFICATION_KEY,
    TEST_ZONE_KEYS,
    KeyAlgorithm,
    KeyFormatError,
    SymmetricKey,
    key_check_value,
    parse_key,
)
from ebank.adapters.crypto.soft_hsm import SoftwareHsm
from ebank.config import Settings
from ebank.domain.errors import PinBlockInvalid

X924_PAN, X924_CLEAR = "4012345678909", "041274EDCBA9876F"
X924_PIN_KEYS = [
    ("042666B49184CF5C68DE9628D0397B36", "1B9C1845EB993A7A"),
    ("C46551CEF9FD244FAA9AD834130D3B38", "10A01C8D02C69107"),
    ("0DF3D9422ACA561A47676D07AD6BAD05", "18DC07B94797B466"),
]
AES_KEY = "aes:00112233445566778899AABBCCDDEEFF"


def test_format0_clear_blocks_match_the_published_examples() -> None:
    assert pin_blocks.format0_clear_block("1234", "43219876543210987").hex().upper() == (
        "0412AC89ABCDEF67"
    )
    assert pin_blocks.format0_clear_block("1234", X924_PAN).hex().upper() == X924_CLEAR
    assert pin_blocks.format0_pin(bytes.fromhex("0412AC89ABCDEF67"), "43219876543210987") == "1234"


@pytest.mark.parametrize(("pin_key", "enciphered"), X924_PIN_KEYS)
def test_format0_under_triple_des_matches_ansi_x9_24_annex_a(pin_key: str, enciphered: str) -> None:
    key = parse_key("X9.24", f"tdes:{pin_key}")
    assert pin_blocks.encipher_format0(key, "1234", X924_PAN).hex().upper() == enciphered
    assert pin_blocks.decipher_format0(key, bytes.fromhex(enciphered), X924_PAN) == "1234"
    # Another card's number does not give back a PIN: the PAN is bound into the block.
    with pytest.raises(PinBlockInvalid):
        pin_blocks.decipher_format0(key, bytes.fromhex(enciphered), "4022345678909")


def test_format4_under_aes_matches_the_published_vectors() -> None:
    key = parse_key("f4", AES_KEY)
    pan = "1234567890123456789"
    block = pin_blocks.encipher_format4(key, "1234", pan, random=lambda n: b"\xff" * n)
    assert block.hex().upper() == "28B41FDDD29B743E93124BD8E32D921E"
    assert pin_blocks.decipher_format4(key, block, pan) == "1234"
    published = bytes.fromhex("52DB178C6EDCE52E3A70F7FBC8E9C758")
    assert pin_blocks.decipher_format4(key, published, "1234567890123456") == "1234"
    # Random fill: two blocks of one PIN differ, and both read back.
    one, two = (pin_blocks.encipher_format4(key, "987654", pan) for _ in range(2))
    assert one != two
    assert {pin_blocks.decipher_format4(key, b, pan) for b in (one, two)} == {"987654"}


def test_malformed_blocks_and_pins_are_refused_without_saying_why() -> None:
    key = parse_key("t", TEST_ZONE_KEYS["ZPK-TEST-1"])
    for pin in ("123", "1234567890123", "12a4", ""):
        with pytest.raises(PinBlockInvalid):
            pin_blocks.format0_clear_block(pin, X924_PAN)
    clear_with_bad_fill = bytes.fromhex("041234FFFFFFFFFE")
    for block in (bytes(8), key.encrypt_block(clear_with_bad_fill), b"short"):
        with pytest.raises(PinBlockInvalid) as refused:
            pin_blocks.decipher_format0(key, block, X924_PAN)
        assert "1234" not in str(refused.value)


def test_triple_des_and_cmac_are_the_standard_ones() -> None:
    des = SymmetricKey("des", KeyAlgorithm.TDES, bytes.fromhex("0123456789ABCDEF" * 3))
    assert des.encrypt_block(b"Now is t").hex().upper() == "3FA40E8A984D4815"
    from cryptography.hazmat.primitives.ciphers.algorithms import AES
    from cryptography.hazmat.primitives.cmac import CMAC

    cmac = CMAC(AES(bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C")))
    cmac.update(bytes.fromhex("6BC1BEE22E409F96E93D7E117393172A"))
    assert cmac.finalize().hex().upper() == "070A16B46B4D4144F79BDD9DD04A287C"


def test_key_check_values_of_known_keys() -> None:
    # The X9.24-1 test BDK: E(K, 0^8) = 08D7B4FB629D0885, so its KCV is 08D7B4.
    bdk = parse_key("bdk", "tdes:0123456789ABCDEFFEDCBA9876543210")
    assert bdk.encrypt_block(bytes(8)).hex().upper() == "08D7B4FB629D0885"
    assert key_check_value(bdk) == "08D7B4"
    # AES: the first three bytes of CMAC(K, 16 zero bytes) (ANSI X9.24-1:2017, 7.7.2).
    from cryptography.hazmat.primitives.ciphers.algorithms import AES
    from cryptography.hazmat.primitives.cmac import CMAC

    aes = parse_key("aes", AES_KEY)
    cmac = CMAC(AES(aes.material))
    cmac.update(bytes(16))
    assert key_check_value(aes) == cmac.finalize()[:3].hex().upper() == "53E107"
    # A key given with its KCV is refused if the two disagree (a mistyped component).
    assert parse_key("bdk", "tdes:0123456789ABCDEFFEDCBA9876543210:08d7b4") == bdk
    for bad in (
        "tdes:0123456789ABCDEFFEDCBA9876543210:08D7B5",
        "tdes:0123456789ABCDEF0123456789ABCDEF",  # K1 = K2: single DES
        "tdes:0123",
        "rot13:0123456789ABCDEFFEDCBA9876543210",
        "aes:XYZ",
    ):
        with pytest.raises(KeyFormatError) as refused:
            parse_key("bad", bad)
        assert "0123456789ABCDEF" not in str(refused.value)
    assert "0123" not in repr(bdk) and "08D7B4" in str(bdk)


def test_the_software_hsm_verifies_pins_and_keeps_no_pin() -> None:
    hsm = SoftwareHsm(TEST_ZONE_KEYS, TEST_PIN_VERIFICATION_KEY)
    pan = "6217990000000012"
    value = hsm.pin_verification_from_clear(pan, "246810")
    assert value.startswith("v1:") and len(value) == 3 + 64 and "246810" not in value
    for ref in TEST_ZONE_KEYS:
        block = hsm.encrypt_pin_block(ref, "246810", pan)
        assert hsm.pin_verification_from_block(ref, block, pan) == value
        assert hsm.verify_pin_block(ref, block, pan, value)
        assert not hsm.verify_pin_block(ref, hsm.encrypt_pin_block(ref, "246811", pan), pan, value)
    # Another card with the same PIN, or another verification key, gives another value.
    assert hsm.pin_verification_from_clear("6217990000000020", "246810") != value
    other = SoftwareHsm(TEST_ZONE_KEYS, "00" * 32)
    assert other.pin_verification_from_clear(pan, "246810") != value
    assert hsm.key_check_value("ZPK-TEST-1") == "08D7B4"
    with pytest.raises(KeyError):
        hsm.encrypt_pin_block("ZPK-NOT-CONFIGURED", "1234", pan)
    with pytest.raises(ValueError, match="at least 32"):
        SoftwareHsm(TEST_ZONE_KEYS, "00" * 8)


def test_production_refuses_the_test_keys() -> None:
    prod = {"environment": "prod", "database_url": "postgresql://db/ebank"}
    real = {"ZPK-ATM-1": "tdes:1C3B5D7F9EA2C4E60F1E2D3C4B5A6978"}
    with pytest.raises(ValueError, match="TEST PIN keys"):
        Settings(
            **prod,  # type: ignore[arg-type]
            secret_key="s" * 40,
            zone_keys=real,  # type: ignore[arg-type]
            migration_zone_key_ref="ZPK-ATM-1",
        ).check_for_production()  # the default verification key is the test one
    # The same key with other parity bits is still the test key.
    with pytest.raises(ValueError, match="TEST PIN keys"):
        Settings(
            **prod,  # type: ignore[arg-type]
            secret_key="s" * 40,
            zone_keys={"Z": "tdes:0123456789ABCDEFFEDCBA9876543211"},  # type: ignore[dict-item]
            migration_zone_key_ref="Z",
            pin_verification_key="ab" * 32,  # type: ignore[arg-type]
        ).check_for_production()
    good = Settings(
        **prod,  # type: ignore[arg-type]
        secret_key="s" * 40,
        zone_keys=real,  # type: ignore[arg-type]
        migration_zone_key_ref="ZPK-ATM-1",
        pin_verification_key="ab" * 32,  # type: ignore[arg-type]
        twilio_auth_token="t" * 32,  # type: ignore[arg-type]
    )
    good.check_for_production()
    assert "1C3B5D7F" not in repr(good)
    with pytest.raises(ValueError, match="EBANK_MIGRATION_ZONE_KEY_REF"):
        Settings(migration_zone_key_ref="ZPK-NOWHERE").check_for_production()


def test_production_refuses_the_development_telephony_token() -> None:
    settings = {
        "environment": "prod",
        "database_url": "postgresql://db/ebank",
        "secret_key": "s" * 40,
        "zone_keys": {"ZPK-ATM-1": "tdes:1C3B5D7F9EA2C4E60F1E2D3C4B5A6978"},
        "migration_zone_key_ref": "ZPK-ATM-1",
        "pin_verification_key": "ab" * 32,
    }
    with pytest.raises(ValueError, match="EBANK_TWILIO_AUTH_TOKEN"):
        Settings(**settings).check_for_production()  # type: ignore[arg-type]
