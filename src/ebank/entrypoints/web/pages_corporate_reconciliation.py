"""Electronic reconciliation (电子对账) for the company: the bank's closing balance of each
account for a closed month, confirmed or disputed with a text."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.application import reconciliation
from ebank.domain.access import Role
from ebank.domain.errors import DomainError
from ebank.entrypoints.web.pages_corporate_base import CSRF, ctx_of
from ebank.entrypoints.web.render import error_text, gettext, redirect, render
from ebank.entrypoints.web.session import WebActor

router = APIRouter(include_in_schema=False)


@router.get("/corporate/reconciliation")
def confirmations(
    request: Request, actor: WebActor, period: str | None = None, done: str | None = None
) -> Response:
    return _page(request, actor, period, notice=_notice(request, done))


def _notice(request: Request, done: str | None) -> str | None:
    notices = {
        "confirmed": "Thank you: the balance is confirmed.",
        "disputed": "Your dispute was sent to the bank.",
    }
    return gettext(request, notices[done]) if done in notices else None


def _page(
    request: Request,
    actor: WebActor,
    period: str | None,
    *,
    notice: str | None = None,
    error: str | None = None,
) -> Response:
    ctx = ctx_of(request)
    periods = reconciliation.closed_periods(ctx.clock.today())
    chosen = period if period in periods else periods[0]
    views = reconciliation.company_confirmations(ctx, actor, chosen, BANK_TIMEZONE)
    return render(
        request,
        "corporate/reconciliation.html",
        {
            "periods": periods,
            "period": chosen,
            "views": views,
            "may_respond": actor.role in (Role.MAKER, Role.APPROVER),
            "notice": notice,
            "error": error,
            "section": "reconciliation",
        },
        status=422 if error else 200,
    )


@router.post("/corporate/reconciliation/{confirmation_id}", dependencies=CSRF)
def answer(
    request: Request,
    actor: WebActor,
    confirmation_id: int,
    period: Annotated[str, Form(max_length=7)],
    answer: Annotated[str, Form(max_length=10)],
    dispute: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    agree = answer == "confirm"
    try:
        reconciliation.respond(
            ctx_of(request), actor, confirmation_id, agree=agree, dispute=dispute
        )
    except DomainError as exc:
        return _page(request, actor, period, error=error_text(request, exc.code))
    done = "confirmed" if agree else "disputed"
    return redirect(request, f"/corporate/reconciliation?period={period}&done={done}")
