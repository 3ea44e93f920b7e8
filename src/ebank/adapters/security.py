"""The cryptographic services of identity: argon2id password hashes, TOTP codes with
their enrolment QR code, and AES-GCM encryption of the stored TOTP secrets."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import os
from dataclasses import dataclass

import argon2
import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ebank.application.ports_identity import SecurityPolicy, SecurityServices


@dataclass(frozen=True, slots=True)
class Argon2Profile:
    time_cost: int
    memory_cost_kib: int
    parallelism: int


# argon2-cffi's defaults (RFC 9106's second recommended option); raising them later only
# means stored hashes are upgraded at their owners' next sign-in.
PRODUCTION_ARGON2 = Argon2Profile(time_cost=3, memory_cost_kib=65_536, parallelism=4)
# The test suite hashes hundreds of passwords on two cores: cheap, never in production.
TEST_ARGON2 = Argon2Profile(time_cost=1, memory_cost_kib=1024, parallelism=1)


class Argon2Passwords:
    def __init__(self, profile: Argon2Profile = PRODUCTION_ARGON2) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=profile.time_cost,
            memory_cost=profile.memory_cost_kib,
            parallelism=profile.parallelism,
            type=argon2.Type.ID,
        )
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def verify_dummy(self, password: str) -> None:
        if self._dummy is None:
            self._dummy = self._hasher.hash(base64.b64encode(os.urandom(16)).decode())
        self.verify(self._dummy, password)


class TotpCodes:
    """RFC 6238 codes (SHA-1, 6 digits, 30 s), accepted one step either side of now."""

    step_s = 30
    valid_window = 1

    def new_secret(self) -> str:
        return pyotp.random_base32()

    def is_valid_secret(self, secret: str) -> bool:
        try:
            pyotp.TOTP(secret).byte_secret()
        except (ValueError, binascii.Error):
            return False
        return True

    def matching_step(self, secret: str, code: str, now_us: int) -> int | None:
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            return None
        totp = pyotp.TOTP(secret, interval=self.step_s)
        now_step = now_us // 1_000_000 // self.step_s
        # Newest first: the step recorded as used is the latest one the code matches.
        for step in range(now_step + self.valid_window, now_step - self.valid_window - 1, -1):
            if hmac.compare_digest(totp.at(step * self.step_s), code):
                return step
        return None

    def provisioning_uri(self, secret: str, account_name: str, issuer: str) -> str:
        return pyotp.TOTP(secret, interval=self.step_s).provisioning_uri(
            name=account_name, issuer_name=issuer
        )

    def qr_svg(self, uri: str) -> str:
        buffer = io.BytesIO()
        segno.make(uri, error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
        return buffer.getvalue().decode("utf-8")


class AesGcmBox:
    """AES-256-GCM under a key derived from the application's secret key; the result is
    URL-safe base64 of nonce + ciphertext + tag."""

    _NONCE_BYTES = 12
    _CONTEXT = b"ebank/totp-secret/v1"

    _HASH_CONTEXT = b"ebank/keyed-hash/v1"

    def __init__(self, secret_key: str) -> None:
        key = hashlib.sha256(self._CONTEXT + b"\0" + secret_key.encode("utf-8")).digest()
        self._aead = AESGCM(key)
        # A separate key for hashing, so that the two uses never share one.
        self._hash_key = hashlib.sha256(
            self._HASH_CONTEXT + b"\0" + secret_key.encode("utf-8")
        ).digest()

    def keyed_hash(self, text: str) -> str:
        return hmac.new(self._hash_key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(self._NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), self._CONTEXT)
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: str) -> str:
        raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
        try:
            plain = self._aead.decrypt(
                raw[: self._NONCE_BYTES], raw[self._NONCE_BYTES :], self._CONTEXT
            )
        except InvalidTag as exc:
            raise ValueError("a stored secret does not open under this secret key") from exc
        return plain.decode("utf-8")


def security_services(
    *, secret_key: str, policy: SecurityPolicy, fast_hashing: bool = False
) -> SecurityServices:
    """The production set of services (``fast_hashing`` for the test suite only)."""
    return SecurityServices(
        passwords=Argon2Passwords(TEST_ARGON2 if fast_hashing else PRODUCTION_ARGON2),
        otp=TotpCodes(),
        secrets=AesGcmBox(secret_key),
        policy=policy,
    )
