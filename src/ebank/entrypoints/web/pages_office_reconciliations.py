"""Back-office pages of corporate banking (extending the ``office/layout.html``): open
balance disputes of the branch scope, resolved with a note (``/office/reconciliations``),
and a company's online users with the limits staff set for them (``/office/corporate``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ebank.application import corporate, reconciliation
from ebank.domain.customers import Customer
from ebank.domain.errors import DomainError, InvalidInput
from ebank.domain.money import Currency, Money
from ebank.entrypoints.web.pages_corporate_base import CSRF, ctx_of
from ebank.entrypoints.web.render import error_text, gettext, redirect, render
from ebank.entrypoints.web.session import WebActor

router = APIRouter(include_in_schema=False)


@router.get("/office/reconciliations")
def disputes(request: Request, actor: WebActor, done: str | None = None) -> Response:
    notice = gettext(request, "The dispute is resolved.") if done == "resolved" else None
    return _disputes_page(request, actor, notice=notice)


def _disputes_page(
    request: Request, actor: WebActor, *, notice: str | None = None, error: str | None = None
) -> Response:
    found = reconciliation.open_disputes(ctx_of(request), actor)
    return render(
        request,
        "corporate/office_reconciliations.html",
        {"disputes": found, "notice": notice, "error": error},
        status=422 if error else 200,
    )


@router.post("/office/reconciliations/{confirmation_id}/resolve", dependencies=CSRF)
def resolve(
    request: Request,
    actor: WebActor,
    confirmation_id: int,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        reconciliation.resolve_dispute(ctx_of(request), actor, confirmation_id, note)
    except DomainError as exc:
        return _disputes_page(request, actor, error=error_text(request, exc.code))
    return redirect(request, "/office/reconciliations?done=resolved")


@router.get("/office/corporate")
def company_users(
    request: Request, actor: WebActor, customer: str = "", done: str | None = None
) -> Response:
    notice = gettext(request, "The limits are saved.") if done == "saved" else None
    return _users_page(request, actor, customer, notice=notice)


def _users_page(
    request: Request,
    actor: WebActor,
    customer_number: str,
    *,
    notice: str | None = None,
    error: str | None = None,
) -> Response:
    company: Customer | None = None
    users: list[corporate.UserWithLimits] = []
    if customer_number.strip():
        try:
            company, users = corporate.company_users_for_staff(
                ctx_of(request), actor, customer_number[:20]
            )
        except DomainError as exc:
            error = error or error_text(request, exc.code)
    return render(
        request,
        "corporate/office_users.html",
        {
            "customer_number": customer_number,
            "company": company,
            "users": users,
            "notice": notice,
            "error": error,
        },
        status=422 if error else 200,
    )


@router.post("/office/corporate/{customer_number}/limits", dependencies=CSRF)
def set_limits(
    request: Request,
    actor: WebActor,
    customer_number: str,
    user_id: Annotated[int, Form()],
    per_payment: Annotated[str, Form(max_length=24)],
    daily: Annotated[str, Form(max_length=24)],
    currency: Annotated[str, Form(max_length=3)] = "CNY",
) -> Response:
    try:
        cur = Currency.of(currency)
        corporate.set_user_limits(
            ctx_of(request),
            actor,
            customer_number,
            user_id,
            cur.code,
            _minor(per_payment, cur),
            _minor(daily, cur),
        )
    except DomainError as exc:
        return _users_page(request, actor, customer_number, error=error_text(request, exc.code))
    return redirect(request, f"/office/corporate?customer={customer_number}&done=saved")


def _minor(text: str, currency: Currency) -> int:
    amount = Money.parse(text, currency)
    if amount.minor < 0:
        raise InvalidInput("a limit is zero or more")
    return amount.minor
