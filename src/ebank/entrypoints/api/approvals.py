"""The Bank API: maker-checker approval requests: list, read, approve, reject."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ebank.application import approvals
from ebank.domain.access import STAFF_ROLES
from ebank.entrypoints.api.deps import ActorDep, CtxDep, route
from ebank.entrypoints.api.models_payments import ApprovalList, ApprovalOut, DecisionIn

router = APIRouter(tags=["approvals"])


@route(router, "GET", "/approvals", roles=STAFF_ROLES, response_model=ApprovalList)
def list_pending(
    actor: ActorDep,
    ctx: CtxDep,
    limit: Annotated[int, Query(ge=1, le=approvals.MAX_PENDING_PAGE)] = 100,
) -> ApprovalList:
    """Pending requests in your branch scope (every branch at the head office), oldest
    first."""
    found = approvals.list_pending(ctx, actor, limit)
    return ApprovalList(approvals=[ApprovalOut.of(a) for a in found])


@route(router, "GET", "/approvals/{approval_id}", roles=STAFF_ROLES, response_model=ApprovalOut)
def get_approval(approval_id: int, actor: ActorDep, ctx: CtxDep) -> ApprovalOut:
    """One request, decided or not."""
    return ApprovalOut.of(approvals.get(ctx, actor, approval_id))


@route(
    router,
    "POST",
    "/approvals/{approval_id}/approve",
    roles=STAFF_ROLES,
    response_model=ApprovalOut,
)
def approve(approval_id: int, body: DecisionIn, actor: ActorDep, ctx: CtxDep) -> ApprovalOut:
    """Approve a request of someone else (a checker role of the action's rule): the
    action runs now, exactly as recorded. If the ledger refuses it now, the request ends
    ``failed`` and its result names the refusal."""
    return ApprovalOut.of(approvals.approve(ctx, actor, approval_id, body.reason))


@route(
    router,
    "POST",
    "/approvals/{approval_id}/reject",
    roles=STAFF_ROLES,
    response_model=ApprovalOut,
)
def reject(approval_id: int, body: DecisionIn, actor: ActorDep, ctx: CtxDep) -> ApprovalOut:
    """Reject a request, with a reason: nothing of it happens."""
    return ApprovalOut.of(approvals.reject(ctx, actor, approval_id, body.reason))
