"""Ports of the controls around money movement: idempotency keys, transaction limits
and their usage, maker-checker approvals, step-up challenges."""

from __future__ import annotations

from typing import Protocol


class IdempotencyStore(Protocol):
    """Stored responses by (principal, Idempotency-Key)."""


class LimitStore(Protocol):
    """Transaction limits per channel, tier and currency, and each customer's usage."""


class ApprovalStore(Protocol):
    """Maker-checker requests and the dual-control rules."""


class ChallengeStore(Protocol):
    """Step-up challenges that bind a one-time code to one payment."""
