"""Ports of the controls around money movement: idempotency keys, transaction limits
and their usage, maker-checker approvals, step-up challenges.

A store raises ``ConcurrencyConflict`` (``ebank.application.ports``) when a concurrent
transaction took a key first; the use case retries in a new unit of work.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol
from uuid import UUID

from ebank.domain.approvals import Approval, ApprovalStatus, DualControlRule
from ebank.domain.customers import Tier
from ebank.domain.limits import LimitUsage, TransactionLimit
from ebank.domain.step_up import Challenge


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The response kept for an idempotency key."""

    request_hash: str
    status_code: int
    body: str  # JSON text
    created_at_us: int


class IdempotencyStore(Protocol):
    """Stored responses by (principal, Idempotency-Key)."""

    def get(self, principal: str, key: str) -> StoredResponse | None: ...

    def add(self, principal: str, key: str, response: StoredResponse) -> None:
        """Keep ``response``; ``ConcurrencyConflict`` if the key was taken meanwhile."""
        ...


class LimitStore(Protocol):
    """Transaction limits per channel, tier and currency, and each customer's usage."""

    def all(self) -> list[TransactionLimit]: ...
    def get(self, channel: str, tier: Tier, currency: str) -> TransactionLimit | None: ...
    def put(self, limit: TransactionLimit) -> None:
        """Insert or replace the limit with the same channel, tier and currency."""
        ...

    def usage_for_update(
        self, customer_id: int, channel: str, business_date: date, currency: str
    ) -> LimitUsage:
        """A customer's usage (zero if none yet), locked until the unit of work ends."""
        ...

    def set_usage(
        self,
        customer_id: int,
        channel: str,
        business_date: date,
        currency: str,
        usage: LimitUsage,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class NewApproval:
    action: str
    branch_code: str
    maker_id: int
    summary: str
    payload: Mapping[str, object]
    amount_minor: int | None
    currency: str | None
    created_at_us: int


class ApprovalStore(Protocol):
    """Maker-checker requests and the dual-control rules."""

    def rule(self, action: str) -> DualControlRule | None: ...
    def add(self, request: NewApproval) -> Approval: ...
    def get(self, approval_id: int, *, lock: bool = False) -> Approval | None:
        """The request; with ``lock``, locked until the unit of work ends."""
        ...

    def decide(
        self,
        approval_id: int,
        status: ApprovalStatus,
        checker_id: int,
        reason: str,
        result: Mapping[str, object] | None,
        now_us: int,
    ) -> None:
        """Record the decision on a pending request (only ever once)."""
        ...

    def pending(self, branch_codes: Collection[str] | None, limit: int) -> list[Approval]:
        """Pending requests, oldest first; ``branch_codes`` None: every branch."""
        ...


class ChallengeStore(Protocol):
    """Step-up challenges that bind a one-time code to one payment."""

    def add(self, challenge: Challenge) -> None: ...
    def get(self, challenge_id: UUID) -> Challenge | None: ...
    def use(self, challenge_id: UUID, now_us: int) -> bool:
        """Mark the challenge used, unless it already was (then False): at most once,
        even under concurrent requests."""
        ...
