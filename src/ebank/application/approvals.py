"""Maker-checker (dual control): staff actions that a rule says need a second person.

``submit_or_run`` is the door every controlled staff action goes through: when no rule
applies it runs the action at once; otherwise it keeps the action, as recorded, in a
pending request. A second staff member of a checker role, in whose branch scope the
request sits, approves it (the action then runs exactly as recorded, and its result is
kept: ``approved``, or ``failed`` with the named result when the ledger refuses) or
rejects it with a reason. The maker never checks their own request.

The actions themselves (``controlled_actions.py``) check what they need before they
write anything, so a refused action leaves nothing behind in the unit of work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ebank.application import audit
from ebank.application.context import Context
from ebank.application.ports import ConcurrencyConflict, UnitOfWork
from ebank.application.ports_controls import NewApproval
from ebank.application.visibility import branch_parents, check_branch
from ebank.domain.access import STAFF_ROLES, Actor, branch_in_scope, require_role
from ebank.domain.approvals import (
    Approval,
    ApprovalStatus,
    check_checker,
    check_reason,
    check_summary,
)
from ebank.domain.errors import ApprovalNotFound, DomainError, Forbidden

MAX_ATTEMPTS = 8
MAX_PENDING_PAGE = 200

# Runs an action inside the caller's unit of work: (uow, payload, now_us) -> result.
Executor = Callable[[UnitOfWork, Mapping[str, Any], int], dict[str, object]]


@dataclass(frozen=True, slots=True)
class ApprovalOutcome:
    """Either the request waits (``approval``) or the action ran (``result``)."""

    approval: Approval | None = None
    result: Mapping[str, object] | None = None

    @property
    def waiting(self) -> bool:
        return self.approval is not None


def _executor(action: str) -> Executor:
    # Imported here: the actions' module submits through this one.
    from ebank.application.controlled_actions import EXECUTORS

    executor = EXECUTORS.get(action)
    assert executor is not None, f"no executor for controlled action {action!r}"
    return executor


def submit_or_run(
    ctx: Context,
    actor: Actor,
    action: str,
    payload: dict[str, Any],
    *,
    amount_minor: int | None,
    currency: str | None,
    branch_code: str,
    summary: str,
) -> ApprovalOutcome:
    """Run ``action`` at once when no dual-control rule applies; otherwise keep it as a
    pending request for a checker. Every step is audited."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            with ctx.uow() as uow:
                outcome = submit_or_run_in(
                    uow,
                    ctx.clock.now_us(),
                    actor,
                    action,
                    payload,
                    amount_minor=amount_minor,
                    currency=currency,
                    branch_code=branch_code,
                    summary=summary,
                )
                uow.commit()
                return outcome
        except ConcurrencyConflict:
            if attempt == MAX_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def submit_or_run_in(
    uow: UnitOfWork,
    now_us: int,
    actor: Actor,
    action: str,
    payload: dict[str, Any],
    *,
    amount_minor: int | None,
    currency: str | None,
    branch_code: str,
    summary: str,
) -> ApprovalOutcome:
    """``submit_or_run`` inside the caller's unit of work (which commits)."""
    require_role(actor, STAFF_ROLES)
    check_branch(uow, actor, branch_code)
    executor = _executor(action)
    rule = uow.approvals.rule(action)
    details: dict[str, object] = {"summary": summary, "amount_minor": amount_minor}
    if currency is not None:
        details["currency"] = currency
    if rule is None or not rule.applies_to(amount_minor, currency):
        result = executor(uow, payload, now_us)
        audit.record(
            uow,
            actor=actor,
            action=action,
            target=_target(payload, branch_code),
            details={**details, "result": result},
            now_us=now_us,
        )
        return ApprovalOutcome(result=result)
    approval = uow.approvals.add(
        NewApproval(
            action=action,
            branch_code=branch_code,
            maker_id=actor.user_id,
            summary=check_summary(summary),
            payload=payload,
            amount_minor=amount_minor,
            currency=currency,
            created_at_us=now_us,
        )
    )
    audit.record(
        uow,
        actor=actor,
        action="approval.submit",
        target=f"approval:{approval.id}",
        outcome="pending",
        details={**details, "action": action},
        now_us=now_us,
    )
    return ApprovalOutcome(approval=approval)


def _target(payload: Mapping[str, Any], branch_code: str) -> str:
    for key in ("account_number", "debit_number", "transfer_id"):
        if key in payload:
            return f"{key}:{payload[key]}"
    return f"branch:{branch_code}"


def approve(ctx: Context, actor: Actor, approval_id: int, reason: str) -> Approval:
    """Approve a pending request and run its action as recorded; the request ends
    ``approved`` with the action's result, or ``failed`` with the refusal's code."""
    return _decide(ctx, actor, approval_id, reason, approving=True)


def reject(ctx: Context, actor: Actor, approval_id: int, reason: str) -> Approval:
    """Reject a pending request: nothing of it happens."""
    return _decide(ctx, actor, approval_id, reason, approving=False)


def _decide(
    ctx: Context, actor: Actor, approval_id: int, reason: str, *, approving: bool
) -> Approval:
    require_role(actor, STAFF_ROLES)
    reason = check_reason(reason)
    for attempt in range(MAX_ATTEMPTS):
        try:
            with ctx.uow() as uow:
                now_us = ctx.clock.now_us()
                approval = _locked(uow, actor, approval_id)
                check_checker(approval, uow.approvals.rule(approval.action), actor)
                status, result = ApprovalStatus.REJECTED, None
                if approving:
                    status, result = _run(uow, approval, now_us)
                uow.approvals.decide(approval.id, status, actor.user_id, reason, result, now_us)
                audit.record(
                    uow,
                    actor=actor,
                    action="approval.approve" if approving else "approval.reject",
                    target=f"approval:{approval.id}",
                    outcome=status.value,
                    details={"action": approval.action, "reason": reason, "result": result},
                    now_us=now_us,
                )
                uow.commit()
                decided = uow.approvals.get(approval.id)
            assert decided is not None
            return decided
        except ConcurrencyConflict:
            if attempt == MAX_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _locked(uow: UnitOfWork, actor: Actor, approval_id: int) -> Approval:
    approval = uow.approvals.get(approval_id, lock=True)
    if approval is None:
        raise ApprovalNotFound(f"no approval request {approval_id}")
    check_branch(uow, actor, approval.branch_code)
    return approval


def _run(
    uow: UnitOfWork, approval: Approval, now_us: int
) -> tuple[ApprovalStatus, dict[str, object]]:
    """Run the recorded action; a refusal (the ledger's, or a status that no longer
    allows it) makes the request ``failed`` and keeps the refusal's code."""
    try:
        result = _executor(approval.action)(uow, approval.payload, now_us)
    except DomainError as refusal:
        return ApprovalStatus.FAILED, {"result": refusal.code, "detail": refusal.message}
    return ApprovalStatus.APPROVED, result


def get(ctx: Context, actor: Actor, approval_id: int) -> Approval:
    """One request, for staff in whose branch scope it sits."""
    require_role(actor, STAFF_ROLES)
    with ctx.read() as uow:
        approval = uow.approvals.get(approval_id)
        if approval is None:
            raise ApprovalNotFound(f"no approval request {approval_id}")
        check_branch(uow, actor, approval.branch_code)
    return approval


def list_pending(ctx: Context, actor: Actor, limit: int = 100) -> list[Approval]:
    """Pending requests in the actor's branch scope (all of them at the head office),
    oldest first."""
    require_role(actor, STAFF_ROLES)
    if not actor.is_staff or actor.branch_code is None:
        raise Forbidden("only staff see approval requests")
    limit = max(1, min(limit, MAX_PENDING_PAGE))
    with ctx.read() as uow:
        if actor.at_head_office:
            return uow.approvals.pending(None, limit)
        parents = branch_parents(uow)
        scope = [c for c in parents if branch_in_scope(actor.branch_code, c, parents)]
        return uow.approvals.pending(scope, limit)
