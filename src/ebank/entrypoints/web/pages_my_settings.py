"""Personal banking settings: saved payees (``/my/payees``), monthly statements
(``/my/statements``) and security (``/my/security``: password, authenticator app,
sessions)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from markupsafe import Markup

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.application import account_services, credentials, customer_services, sessions, statements
from ebank.domain.access import Actor
from ebank.domain.errors import DomainError, InvalidInput
from ebank.entrypoints.web.pages_my_base import ctx_of, customer
from ebank.entrypoints.web.render import error_text, gettext, redirect, render
from ebank.entrypoints.web.session import WebActor, check_csrf, end_session, start_session

router = APIRouter(include_in_schema=False)
STATEMENT_MONTHS = 12
Short = Annotated[str, Form(max_length=200)]


# -- payees --------------------------------------------------------------------------------
def _payees_page(
    request: Request,
    actor: Actor,
    form: dict[str, str] | None = None,
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> Response:
    found = customer_services.list_beneficiaries(ctx_of(request), customer(actor))
    context = {"payees": found, "form": form or {}, "error": error or None}
    context["notice"] = notice or None
    return render(request, "my/payees.html", context, status)


@router.get("/my/payees")
def payees(request: Request, actor: WebActor, done: str = "") -> Response:
    notices = {
        "added": gettext(request, "The payee was saved."),
        "removed": gettext(request, "The payee was removed."),
    }
    return _payees_page(request, actor, notice=notices.get(done, ""))


@router.post("/my/payees", dependencies=[Depends(check_csrf)])
def add_payee(
    request: Request, actor: WebActor, alias: Short, account_number: Short, name: Short
) -> Response:
    form = {"alias": alias, "account_number": account_number, "name": name}
    try:
        customer_services.add_beneficiary(
            ctx_of(request), customer(actor), alias, account_number.strip().replace(" ", ""), name
        )
    except DomainError as exc:
        return _payees_page(request, actor, form, error_text(request, exc.code), status=422)
    return redirect(request, "/my/payees?done=added")


@router.post("/my/payees/{beneficiary_id}/delete", dependencies=[Depends(check_csrf)])
def remove_payee(request: Request, actor: WebActor, beneficiary_id: int) -> Response:
    try:
        customer_services.remove_beneficiary(ctx_of(request), customer(actor), beneficiary_id)
    except DomainError as exc:
        return _payees_page(request, actor, error=error_text(request, exc.code), status=422)
    return redirect(request, "/my/payees?done=removed")


# -- statements ----------------------------------------------------------------------------
def month_bounds(month: str) -> tuple[date, date]:
    """The first and last day of ``YYYY-MM``."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InvalidInput("a month is year-month") from None
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def recent_months(today: date, count: int) -> list[date]:
    """The first days of this month and the ``count - 1`` before it, newest first."""
    months = [today.replace(day=1)]
    while len(months) < count:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return months


@router.get("/my/statements")
def statement_list(request: Request, actor: WebActor) -> Response:
    ctx = ctx_of(request)
    views = account_services.list_accounts(ctx, customer(actor), None)
    months = recent_months(ctx.clock.today(), STATEMENT_MONTHS)
    return render(request, "my/statements.html", {"views": views, "months": months})


@router.get("/my/statements/{number}/{month}.pdf")
def statement_pdf(request: Request, actor: WebActor, number: str, month: str) -> Response:
    ctx = ctx_of(request)
    try:
        first, last = month_bounds(month)
        last = min(last, ctx.clock.today())
        built = statements.statement(ctx, customer(actor), number, first, last, BANK_TIMEZONE)
    except DomainError as exc:
        status = 404 if exc.code.endswith("not_found") else 422
        return render(request, "error.html", {"message": error_text(request, exc.code)}, status)
    pdf = statements.statement_pdf(ctx, built, BANK_TIMEZONE)
    name = f"statement-{number}-{month}.pdf"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


# -- security ------------------------------------------------------------------------------
def _security_page(
    request: Request,
    actor: Actor,
    error: str = "",
    notice: str = "",
    enrolment: credentials.Enrolment | None = None,
    status: int = 200,
) -> Response:
    ctx = ctx_of(request)
    context = {
        "me": credentials.me(ctx, customer(actor)),
        "sessions": sessions.list_sessions(ctx, actor),
        "enrolment": enrolment,
        "qr": Markup(enrolment.qr_svg) if enrolment else None,  # noqa: S704 - made by segno
        "error": error or None,
        "notice": notice or None,
    }
    return render(request, "my/security.html", context, status)


@router.get("/my/security")
def security(request: Request, actor: WebActor, done: str = "") -> Response:
    notice = gettext(request, "The session was ended.") if done == "revoked" else ""
    return _security_page(request, actor, notice=notice)


@router.post("/my/security/password", dependencies=[Depends(check_csrf)])
def change_password(
    request: Request,
    actor: WebActor,
    old_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
    otp: Annotated[str, Form(max_length=10)],
) -> Response:
    try:
        credentials.change_password(
            ctx_of(request), customer(actor), old_password, new_password, otp.strip()
        )
    except DomainError as exc:
        return _security_page(request, actor, error_text(request, exc.code), status=422)
    end_session(request)  # every session ended with the old password
    return redirect(request, "/login")


@router.post("/my/security/totp", dependencies=[Depends(check_csrf)])
def start_enrolment(request: Request, actor: WebActor) -> Response:
    try:
        enrolment = credentials.start_enrolment(ctx_of(request), customer(actor))
    except DomainError as exc:
        return _security_page(request, actor, error_text(request, exc.code), status=422)
    return _security_page(request, actor, enrolment=enrolment)


@router.post("/my/security/totp/confirm", dependencies=[Depends(check_csrf)])
def confirm_enrolment(
    request: Request, actor: WebActor, otp: Annotated[str, Form(max_length=10)]
) -> Response:
    try:
        tokens = credentials.confirm_enrolment(
            ctx_of(request),
            customer(actor),
            otp.strip(),
            actor.client_address,
            request.headers.get("user-agent", "")[:200],
        )
    except DomainError as exc:
        return _security_page(request, actor, error_text(request, exc.code), status=422)
    start_session(request, tokens)
    return redirect(request, "/my/security")


@router.post("/my/security/sessions/{session_id}/revoke", dependencies=[Depends(check_csrf)])
def revoke(request: Request, actor: WebActor, session_id: str) -> Response:
    try:
        sessions.revoke_session(ctx_of(request), customer(actor), session_id[:64])
    except DomainError as exc:
        return _security_page(request, actor, error_text(request, exc.code), status=422)
    if session_id == actor.session_id:
        end_session(request)
        return redirect(request, "/login")
    return redirect(request, "/my/security?done=revoked")
