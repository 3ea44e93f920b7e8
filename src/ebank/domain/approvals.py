"""Maker-checker (dual control, 双人复核): a staff action above its rule's threshold waits
as a pending request until a second staff member of a checker role approves or rejects
it. The maker never checks their own request (the database says so too)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ebank.domain.access import Actor, Role
from ebank.domain.errors import (
    ApprovalNotPending,
    Forbidden,
    InvalidInput,
    MakerCannotCheck,
)

MAX_REASON_LENGTH = 500
MAX_SUMMARY_LENGTH = 200


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"  # approved, and the action ran
    REJECTED = "rejected"
    FAILED = "failed"  # approved, but the action was refused when it ran


class ControlledAction(StrEnum):
    """The staff actions that dual-control rules may govern."""

    STAFF_TRANSFER = "staff_transfer"
    CASH_WITHDRAWAL = "cash_withdrawal"
    LIMIT_CHANGE = "limit_change"
    ACCOUNT_FREEZE = "account_freeze"
    ACCOUNT_UNFREEZE = "account_unfreeze"
    FEE_WAIVER = "fee_waiver"
    MANUAL_ADJUSTMENT = "manual_adjustment"


@dataclass(frozen=True, slots=True)
class DualControlRule:
    action: str
    threshold_minor: int  # 0: every request needs a checker
    currency: str
    checker_roles: frozenset[Role]

    def applies_to(self, amount_minor: int | None, currency: str | None) -> bool:
        """Whether a request needs a checker. An action without an amount, or in a
        currency the rule does not name, always does: the safe side."""
        if self.threshold_minor == 0 or amount_minor is None:
            return True
        if currency != self.currency:
            return True
        return amount_minor > self.threshold_minor


def parse_roles(text: str) -> frozenset[Role]:
    """``"supervisor,admin"`` as roles; unknown names are ignored (never grant more)."""
    names = {part.strip() for part in text.split(",")}
    return frozenset(r for r in Role if r.value in names)


@dataclass(frozen=True, slots=True)
class Approval:
    id: int
    action: str
    status: ApprovalStatus
    branch_code: str
    maker_id: int
    summary: str
    payload: Mapping[str, object]
    amount_minor: int | None
    currency: str | None
    created_at_us: int
    checker_id: int | None = None
    reason: str | None = None
    result: Mapping[str, object] | None = None
    decided_at_us: int | None = None


def check_reason(reason: str) -> str:
    """A checker's reason, trimmed: required, at most 500 characters."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidInput("a reason is required")
    if len(text) > MAX_REASON_LENGTH:
        raise InvalidInput(f"a reason has at most {MAX_REASON_LENGTH} characters")
    return text


def check_summary(summary: str) -> str:
    text = summary.strip()
    if not text:
        raise InvalidInput("an approval request needs a summary")
    return text[:MAX_SUMMARY_LENGTH]


def check_checker(approval: Approval, rule: DualControlRule | None, checker: Actor) -> None:
    """Refuse a decision by anyone but a second staff member of a checker role, or on a
    request that is no longer pending. Branch scope is checked by the caller."""
    if approval.status is not ApprovalStatus.PENDING:
        raise ApprovalNotPending(f"approval {approval.id} is already {approval.status}")
    if checker.user_id == approval.maker_id:
        raise MakerCannotCheck("the maker of a request cannot approve or reject it")
    if not checker.is_staff:
        raise Forbidden("only staff decide approval requests")
    # A rule removed after the request was made: supervisors and admins still decide.
    roles = rule.checker_roles if rule is not None else frozenset({Role.SUPERVISOR, Role.ADMIN})
    if checker.role not in roles:
        raise Forbidden(f"role {checker.role.value} may not decide {approval.action} requests")
