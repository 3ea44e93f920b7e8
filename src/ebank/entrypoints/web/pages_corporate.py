"""Corporate online banking: the dashboard, payments waiting for approval (enter, view,
approve, reject) and the company's users with their limits. Pages call the use cases of
``application.corporate`` and ``application.corporate_payments``; the batch file pages
are in ``pages_corporate_batch``, the balance confirmations in
``pages_corporate_reconciliation``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.application import corporate
from ebank.application import corporate_payments as cp
from ebank.domain.access import Actor, Role
from ebank.domain.errors import DomainError
from ebank.entrypoints.web import (
    pages_corporate_batch,
    pages_corporate_reconciliation,
    pages_office_reconciliations,
)
from ebank.entrypoints.web.pages_corporate_base import CSRF, ctx_of, new_form_key, refusal_text
from ebank.entrypoints.web.render import gettext, redirect, render
from ebank.entrypoints.web.session import WebActor

router = APIRouter(include_in_schema=False)


@router.get("/corporate")
def dashboard(request: Request, actor: WebActor) -> Response:
    overview = corporate.overview(ctx_of(request), actor)
    return render(
        request,
        "corporate/dashboard.html",
        {"overview": overview, "section": "dashboard", "notice": _notice(request)},
    )


def _notice(request: Request) -> str | None:
    notices = {
        "submitted": "The payment waits for an approver.",
        "approved": "The payment was approved and posted.",
        "rejected": "The payment was rejected.",
    }
    key = request.query_params.get("done", "")
    return gettext(request, notices[key]) if key in notices else None


@router.get("/corporate/payments")
def payments(request: Request, actor: WebActor) -> Response:
    found = cp.list_payments(ctx_of(request), actor, limit=100)
    return render(
        request,
        "corporate/payments.html",
        {"payments": found, "section": "payments", "notice": _notice(request)},
    )


@router.get("/corporate/payments/new")
def new_payment(request: Request, actor: WebActor) -> Response:
    return _payment_form(request, actor, {})


def _payment_form(
    request: Request, actor: Actor, values: dict[str, str], error: str | None = None
) -> Response:
    overview = corporate.overview(ctx_of(request), actor)
    return render(
        request,
        "corporate/payment_new.html",
        {
            "accounts": overview.accounts,
            "values": values,
            "form_key": values.get("form_key") or new_form_key(),
            "error": error,
            "section": "payments",
            "may_enter": actor.role is Role.MAKER,
        },
        status=422 if error else 200,
    )


@router.post("/corporate/payments", dependencies=CSRF)
def enter_payment(
    request: Request,
    actor: WebActor,
    debit: Annotated[str, Form(max_length=19)],
    payee_number: Annotated[str, Form(max_length=40)],
    payee_name: Annotated[str, Form(max_length=200)],
    amount: Annotated[str, Form(max_length=24)],
    form_key: Annotated[str, Form(max_length=64)],
    reference: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    fields = (debit, payee_number, payee_name, amount, reference)
    try:
        payment_id = cp.submit_single(
            ctx_of(request),
            actor,
            debit_number=debit,
            payee_number=payee_number,
            payee_name=payee_name,
            amount_text=amount,
            reference=reference,
            request=cp.request_of(actor, form_key, *fields),
            tz=BANK_TIMEZONE,
        )
    except DomainError as exc:
        names = ("debit", "payee_number", "payee_name", "amount", "reference")
        values = dict(zip(names, fields, strict=True))
        return _payment_form(request, actor, values, refusal_text(request, exc))
    return redirect(request, f"/corporate/payments/{payment_id}?done=submitted")


@router.get("/corporate/payments/{payment_id}")
def payment(request: Request, actor: WebActor, payment_id: int) -> Response:
    view = cp.view_payment(ctx_of(request), actor, payment_id)
    return _payment_page(request, actor, view)


def _payment_page(
    request: Request, actor: Actor, view: cp.PaymentView, error: str | None = None
) -> Response:
    may_decide = (
        actor.role is Role.APPROVER
        and view.payment.status.value == "pending"
        and view.payment.maker_id != actor.user_id
    )
    return render(
        request,
        "corporate/payment.html",
        {
            "view": view,
            "may_decide": may_decide,
            "error": error,
            "notice": None if error else _notice(request),
            "section": "payments",
        },
        status=422 if error else 200,
    )


@router.post("/corporate/payments/{payment_id}/approve", dependencies=CSRF)
def approve(request: Request, actor: WebActor, payment_id: int) -> Response:
    ctx = ctx_of(request)
    try:
        cp.approve_payment(ctx, actor, payment_id, BANK_TIMEZONE)
    except DomainError as exc:
        view = cp.view_payment(ctx, actor, payment_id)
        return _payment_page(request, actor, view, refusal_text(request, exc))
    return redirect(request, f"/corporate/payments/{payment_id}?done=approved")


@router.post("/corporate/payments/{payment_id}/reject", dependencies=CSRF)
def reject(
    request: Request,
    actor: WebActor,
    payment_id: int,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    ctx = ctx_of(request)
    try:
        cp.reject_payment(ctx, actor, payment_id, reason)
    except DomainError as exc:
        view = cp.view_payment(ctx, actor, payment_id)
        return _payment_page(request, actor, view, refusal_text(request, exc))
    return redirect(request, f"/corporate/payments/{payment_id}?done=rejected")


@router.get("/corporate/users")
def users(request: Request, actor: WebActor) -> Response:
    found = corporate.company_users(ctx_of(request), actor)
    return render(request, "corporate/users.html", {"users": found, "section": "users"})


# The other corporate pages travel with this router: one entry in ``web.ROUTERS``.
for _more in (
    pages_corporate_batch.router,
    pages_corporate_reconciliation.router,
    pages_office_reconciliations.router,
):
    router.include_router(_more)
