"""Ports of identity and the audit trail: users, sessions, the hash-chained audit log,
and the cryptographic services (password hashing, one-time codes, secret encryption)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class UserStore(Protocol):
    """Users of every channel: customers and staff."""


class SessionStore(Protocol):
    """Signed-in sessions with their (hashed) access and refresh tokens."""


class AuditStore(Protocol):
    """The append-only, hash-chained audit log."""


@dataclass(frozen=True, slots=True)
class SecurityServices:
    """The non-database services identity needs, chosen at the composition root."""
