"""Ports of identity and the audit trail: users, sessions, the hash-chained audit log,
and the cryptographic services (password hashing, one-time codes, secret encryption)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from ebank.domain.access import Role, UserKind
from ebank.domain.audit import AuditEntry, AuditHead


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user as stored, secrets included (hashed or encrypted); never leaves the
    application layer as such (see ``identity.UserView``)."""

    user_id: int
    username: str
    kind: UserKind
    role: Role
    display_name: str
    customer_id: int | None
    branch_code: str | None
    language: str
    status: str  # 'active' or 'disabled'
    password_hash: str
    password_changed_at_us: int
    totp_secret_enc: str | None
    totp_pending_enc: str | None
    totp_last_step: int
    failed_attempts: int
    lockouts: int
    locked_until_us: int
    created_at_us: int


@dataclass(frozen=True, slots=True)
class NewUser:
    username: str
    kind: UserKind
    role: Role
    display_name: str
    customer_id: int | None
    branch_code: str | None
    language: str
    password_hash: str
    totp_secret_enc: str | None
    created_at_us: int


class UserStore(Protocol):
    """Users of every channel: customers and staff."""

    def add(self, user: NewUser) -> int:
        """Store ``user``; returns its id. ``UserExists`` when the username is taken."""
        ...

    def get(self, user_id: int, *, lock: bool = False) -> UserRecord | None:
        """The user; with ``lock``, locked against concurrent change until the unit of
        work ends (sign-in counters, one-time code steps)."""
        ...

    def by_username(self, username: str, *, lock: bool = False) -> UserRecord | None: ...

    def set_login_state(
        self, user_id: int, *, failed_attempts: int, lockouts: int, locked_until_us: int
    ) -> None: ...

    def set_password(self, user_id: int, password_hash: str, now_us: int) -> None: ...

    def set_totp(self, user_id: int, *, secret_enc: str | None, pending_enc: str | None) -> None:
        """The enrolled and the pending (awaiting its first code) TOTP secrets."""
        ...

    def set_totp_last_step(self, user_id: int, step: int) -> None: ...

    def search(
        self,
        *,
        kind: UserKind | None,
        branch_codes: Sequence[str] | None,
        after_id: int | None,
        limit: int,
    ) -> list[UserRecord]:
        """Users by ascending id, after ``after_id``; ``branch_codes`` limits staff to
        those branches and customers to customers of those branches."""
        ...


@dataclass(frozen=True, slots=True)
class SessionRecord:
    session_id: UUID
    user_id: int
    scope: str  # 'full', or 'enrol' (may only enrol a second factor)
    access_hash: str
    refresh_hash: str
    access_expires_at_us: int
    refresh_expires_at_us: int
    created_at_us: int
    last_used_at_us: int
    revoked_at_us: int | None
    revoked_reason: str | None
    client_address: str
    user_agent: str


class SessionStore(Protocol):
    """Signed-in sessions with their (hashed) access and refresh tokens."""

    def add(self, session: SessionRecord) -> None: ...
    def get(self, session_id: UUID, *, lock: bool = False) -> SessionRecord | None: ...
    def by_access_hash(self, access_hash: str) -> SessionRecord | None: ...

    def rotate(
        self,
        session_id: UUID,
        *,
        access_hash: str,
        refresh_hash: str,
        access_expires_at_us: int,
        refresh_expires_at_us: int,
        now_us: int,
    ) -> None:
        """New tokens for the session (refresh): the old ones stop working."""
        ...

    def revoke(self, session_id: UUID, now_us: int, reason: str) -> bool:
        """End the session; False if it was already ended."""
        ...

    def revoke_all(self, user_id: int, now_us: int, reason: str) -> int:
        """End every live session of the user; returns how many."""
        ...

    def for_user(self, user_id: int, now_us: int) -> list[SessionRecord]:
        """The user's live sessions (not revoked, refresh not expired), newest first."""
        ...


@dataclass(frozen=True, slots=True)
class AuditQuery:
    actor_id: int | None = None
    action: str | None = None
    from_us: int | None = None  # inclusive
    to_us: int | None = None  # exclusive
    before_seq: int | None = None  # the cursor: entries older than this one
    limit: int = 50


class AuditStore(Protocol):
    """The append-only, hash-chained audit log."""

    def head(self, *, lock: bool) -> AuditHead:
        """The last entry's seq and hash; with ``lock`` (every writer), concurrent
        writers queue here, so the chain never forks."""
        ...

    def append(self, entry: AuditEntry) -> None:
        """Write ``entry`` and move the head to it."""
        ...

    def entries(self, after_seq: int, limit: int) -> list[AuditEntry]:
        """Entries in ascending seq after ``after_seq`` (for verification)."""
        ...

    def search(self, query: AuditQuery) -> list[AuditEntry]:
        """Entries matching ``query``, newest first."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def needs_rehash(self, password_hash: str) -> bool: ...
    def verify_dummy(self, password: str) -> None:
        """Spend the time of a real verification, for unknown usernames."""
        ...


class OtpEngine(Protocol):
    """Time-based one-time codes (RFC 6238, 30-second steps, 6 digits)."""

    step_s: int

    def new_secret(self) -> str: ...
    def is_valid_secret(self, secret: str) -> bool:
        """Base32 and long enough (at least 112 bits)."""
        ...

    def matching_step(self, secret: str, code: str, now_us: int) -> int | None:
        """The time step (now, or one either side) whose code is ``code``; None if none."""
        ...

    def provisioning_uri(self, secret: str, account_name: str, issuer: str) -> str: ...
    def qr_svg(self, uri: str) -> str: ...


class SecretBox(Protocol):
    """Authenticated encryption of small secrets (the TOTP secrets) at rest."""

    def seal(self, plaintext: str) -> str: ...
    def open(self, sealed: str) -> str: ...
    def keyed_hash(self, text: str) -> str:
        """A keyed hash (64 hex digits) of ``text``, to find a record by a secret
        (a card number) without storing it in clear; the same text always gives the same
        hash under the same key."""
        ...


@dataclass(frozen=True, slots=True)
class SecurityPolicy:
    access_token_ttl_s: int = 300
    refresh_token_ttl_s: int = 8 * 3600
    lockout_threshold: int = 5
    lockout_base_s: int = 60
    lockout_max_s: int = 86_400
    issuer: str = "ebank"

    def lockout_s(self, previous_lockouts: int) -> int:
        """How long the next lockout lasts: doubling with each one, capped."""
        # Capped before the power grows huge: 2**40 seconds is beyond any maximum.
        exponent = min(previous_lockouts, 40)
        return int(min(self.lockout_base_s * 2**exponent, self.lockout_max_s))


@dataclass(frozen=True, slots=True)
class SecurityServices:
    """The non-database services identity needs, chosen at the composition root."""

    passwords: PasswordHasher
    otp: OtpEngine
    secrets: SecretBox
    policy: SecurityPolicy
