"""Identity's pure parts: password rules, the lockout back-off, what the audit trail
refuses to hold, and the cryptographic services (codes, sealed secrets, hashes)."""

from __future__ import annotations

import pyotp
import pytest

from ebank.adapters.security import TEST_ARGON2, AesGcmBox, Argon2Passwords, TotpCodes
from ebank.application.audit import REDACTED, is_secret_key, mask_card_numbers, scrub
from ebank.application.identity import check_password
from ebank.application.ports_identity import SecurityPolicy
from ebank.domain.errors import WeakPassword

NOW_US = 1_794_013_200_000_000


@pytest.mark.parametrize(
    "password",
    ["short1!", "onlyletterslong", "1234567890123", "aaaaaaaaaa11", "alice-is-great-42"],
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPassword):
        check_password(password, "alice")


def test_a_good_password_passes() -> None:
    check_password("Tr0ub4dor&3-horse", "alice")


def test_lockouts_double_up_to_the_cap() -> None:
    policy = SecurityPolicy(lockout_base_s=60, lockout_max_s=600)
    assert [policy.lockout_s(n) for n in range(6)] == [60, 120, 240, 480, 600, 600]
    assert policy.lockout_s(10_000) == 600


@pytest.mark.parametrize(
    "key",
    ["password", "new_password", "oldPassword", "pin", "pin_block", "otp", "totp_code", "code",
     "secret", "access_token", "cvv2", "card_number", "cardNumber", "pan", "track2"],
)  # fmt: skip
def test_secret_keys_are_recognised(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key", ["branch_code", "currency_code", "role", "account", "amount_minor", "company"]
)
def test_ordinary_keys_are_kept(key: str) -> None:
    assert not is_secret_key(key)


def test_scrub_redacts_secrets_and_masks_card_numbers_at_any_depth() -> None:
    details = {
        "password": "hunter2-hunter2",
        "note": "paid with 6222 0212 3456 7890 128 today",
        "nested": {"otp": "123456", "cards": ["4111111111111111"]},
        "account": "0100000000000000017",
        "amount_minor": 12_345,
        "ok": True,
    }
    clean = scrub(details)
    assert clean["password"] == REDACTED
    assert clean["note"] == "paid with 622202*********0128 today"
    assert clean["nested"] == {"otp": REDACTED, "cards": ["411111******1111"]}
    assert clean["account"] == "0100000000000000017"  # account numbers start with 0
    assert clean["amount_minor"] == 12_345 and clean["ok"] is True
    assert "hunter2" not in str(clean) and "123456" not in str(clean)


def test_mask_leaves_other_digit_runs() -> None:
    kept = "order 123456789012, phone 13800138000, not Luhn 4111111111111112"
    assert mask_card_numbers(kept) == kept


def test_codes_match_one_step_either_side_and_name_their_step() -> None:
    codes = TotpCodes()
    secret = codes.new_secret()
    totp = pyotp.TOTP(secret)
    now_step = NOW_US // 1_000_000 // 30
    for offset in (-1, 0, 1):
        code = totp.at((now_step + offset) * 30)
        assert codes.matching_step(secret, code, NOW_US) == now_step + offset
    assert codes.matching_step(secret, totp.at((now_step - 2) * 30), NOW_US) is None
    assert codes.matching_step(secret, "12345a", NOW_US) is None
    assert codes.matching_step(secret, "", NOW_US) is None


def test_enrolment_uri_and_qr() -> None:
    codes = TotpCodes()
    uri = codes.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DP", "alice", "ebank")
    assert (
        uri.startswith("otpauth://totp/ebank:alice?") and "secret=JBSWY3DPEHPK3PXPJBSWY3DP" in uri
    )
    assert codes.qr_svg(uri).lstrip().startswith("<svg")


def test_sealed_secrets_open_only_under_their_key() -> None:
    box = AesGcmBox("k" * 40)
    sealed = box.seal("JBSWY3DPEHPK3PXPJBSWY3DP")
    assert "JBSWY3DPEHPK3PXPJBSWY3DP" not in sealed
    assert box.seal("JBSWY3DPEHPK3PXPJBSWY3DP") != sealed  # a fresh nonce every time
    assert box.open(sealed) == "JBSWY3DPEHPK3PXPJBSWY3DP"
    with pytest.raises(ValueError, match="secret key"):
        AesGcmBox("x" * 40).open(sealed)


def test_password_hashes_verify_and_are_upgraded_when_parameters_change() -> None:
    cheap = Argon2Passwords(TEST_ARGON2)
    stored = cheap.hash("Tr0ub4dor&3-horse")
    assert stored.startswith("$argon2id$")
    assert cheap.verify(stored, "Tr0ub4dor&3-horse")
    assert not cheap.verify(stored, "Tr0ub4dor&3-horsE")
    assert not cheap.verify("not a hash", "x")
    assert not cheap.needs_rehash(stored)
    assert Argon2Passwords().needs_rehash(stored)  # production parameters are stronger
    cheap.verify_dummy("anything")  # spends the time, answers nothing


def test_secrets_must_be_base32_and_long_enough() -> None:
    codes = TotpCodes()
    assert codes.is_valid_secret(codes.new_secret())
    assert not codes.is_valid_secret("JBSWY3DPEHPK3PXP")  # 80 bits
    assert not codes.is_valid_secret("not base32 at all!")
