"""The back office for branch staff (/office): the branch dashboard, the approvals
queue (maker-checker) and the audit log; the counter and the customers' pages live in
``pages_office_counter`` and ``pages_office_customers`` and are mounted here.

Every page here is for staff only (a customer who finds the address is refused); what a
staff member may do beyond that is decided by the use cases, by role and branch.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from ebank.application import approvals, office
from ebank.application.ports_identity import AuditQuery
from ebank.domain.access import Role
from ebank.domain.errors import DomainError
from ebank.entrypoints.web import pages_office_counter, pages_office_customers
from ebank.entrypoints.web.pages_office_common import TIMEZONE, ctx_of, staff_only
from ebank.entrypoints.web.render import error_text, gettext, redirect, render
from ebank.entrypoints.web.session import WebActor, check_csrf

router = APIRouter(include_in_schema=False)
router.include_router(pages_office_counter.router)
router.include_router(pages_office_customers.router)
AUDIT_PAGE = 50
# What people call each channel (other channels show their code).
CHANNEL_NAMES = {
    "branch": "Counter",
    "web": "Online banking",
    "api": "Open API",
    "atm": "ATM",
    "pos": "Card payments",
    "ivr": "Phone banking",
    "sms": "SMS banking",
    "batch": "Batch files",
}


@router.get("/office")
def dashboard(request: Request, actor: WebActor) -> Response:
    staff_only(actor)
    view = office.branch_dashboard(ctx_of(request), actor, TIMEZONE)
    return render(request, "office/dashboard.html", {"view": view, "channel_names": CHANNEL_NAMES})


# -- approvals ----------------------------------------------------------------------------
def _approvals_page(
    request: Request, actor: WebActor, error: str | None = None, status: int = 200
) -> Response:
    pending = approvals.list_pending(ctx_of(request), actor)
    notice = {"approved": "Approved.", "rejected": "Rejected."}.get(
        request.query_params.get("done", "")
    )
    context = {
        "pending": pending,
        "error": error,
        "notice": gettext(request, notice) if notice and not error else None,
        "may_decide": actor.role in {Role.SUPERVISOR, Role.OPERATIONS, Role.ADMIN},
    }
    return render(request, "office/approvals.html", context, status)


@router.get("/office/approvals")
def approvals_queue(request: Request, actor: WebActor) -> Response:
    return _approvals_page(request, staff_only(actor))


@router.post("/office/approvals/{approval_id}", dependencies=[Depends(check_csrf)])
def decide(
    request: Request,
    actor: WebActor,
    approval_id: int,
    decision: Annotated[str, Form(max_length=10)],
    reason: Annotated[str, Form(max_length=500)],
) -> Response:
    staff_only(actor)
    ctx = ctx_of(request)
    try:
        if decision == "approve":
            approvals.approve(ctx, actor, approval_id, reason)
        else:
            approvals.reject(ctx, actor, approval_id, reason)
    except DomainError as exc:
        return _approvals_page(request, actor, error_text(request, exc.code), 422)
    done = "approved" if decision == "approve" else "rejected"
    return redirect(request, f"/office/approvals?done={done}")


# -- the audit log ------------------------------------------------------------------------
@router.get("/office/audit")
def audit_log(
    request: Request, actor: WebActor, action: str = "", before: int | None = None
) -> Response:
    staff_only(actor)
    query = AuditQuery(action=action.strip()[:64] or None, before_seq=before, limit=AUDIT_PAGE)
    view = office.audit_log(ctx_of(request), actor, query)
    return render(request, "office/audit.html", {"view": view, "action": action})
