"""The teller's counter: open the shift with a float, take cash in and pay it out
against the teller's own cash box, and count the box at the end of the shift."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from ebank.application import teller
from ebank.domain.access import Actor
from ebank.domain.errors import DomainError
from ebank.domain.money import Money
from ebank.entrypoints.web.pages_office_common import (
    ctx_of,
    form_request,
    new_form_key,
    staff_only,
)
from ebank.entrypoints.web.render import error_text, gettext, redirect, render
from ebank.entrypoints.web.session import WebActor, check_csrf

router = APIRouter(prefix="/office/counter", include_in_schema=False)
CURRENCY = "CNY"
Amount = Annotated[str, Form(max_length=24)]
Key = Annotated[str, Form(max_length=64)]
NOTICES = {
    "opened": "Your shift is open.",
    "deposit": "Cash deposit posted.",
    "withdrawal": "Cash withdrawal posted: hand the cash over.",
    "waiting": "The withdrawal waits for a supervisor's approval: do not hand the cash over yet.",
    "closed": "Your shift is closed.",
}


def _page(request: Request, actor: Actor, error: str | None = None, status: int = 200) -> Response:
    box = teller.cash_box(ctx_of(request), actor, CURRENCY)
    notice = NOTICES.get(request.query_params.get("done", ""))
    return render(
        request,
        "office/counter.html",
        {
            "box": box,
            "currency": CURRENCY,
            "keys": {name: new_form_key() for name in ("open", "deposit", "withdraw", "close")},
            "error": error,
            "notice": gettext(request, notice) if notice and not error else None,
            "closed": request.query_params.get("done") == "closed" and box.recent,
        },
        status,
    )


@router.get("")
def counter(request: Request, actor: WebActor) -> Response:
    return _page(request, staff_only(actor))


def _refused(request: Request, actor: Actor, exc: DomainError) -> Response:
    return _page(request, actor, error_text(request, exc.code), status=422)


@router.post("/open", dependencies=[Depends(check_csrf)])
def open_shift(request: Request, actor: WebActor, amount: Amount, key: Key) -> Response:
    staff_only(actor)
    try:
        money = Money.parse(amount, CURRENCY)
        idem = form_request(actor, key, "open", str(money.minor))
        teller.open_shift(ctx_of(request), actor, money, idem)
    except DomainError as exc:
        return _refused(request, actor, exc)
    return redirect(request, "/office/counter?done=opened")


@router.post("/deposit", dependencies=[Depends(check_csrf)])
def deposit(
    request: Request,
    actor: WebActor,
    account: Annotated[str, Form(max_length=19)],
    amount: Amount,
    key: Key,
) -> Response:
    staff_only(actor)
    try:
        money = Money.parse(amount, CURRENCY)
        idem = form_request(actor, key, "deposit", account.strip(), str(money.minor))
        teller.cash_deposit(ctx_of(request), actor, account, money, idem)
    except DomainError as exc:
        return _refused(request, actor, exc)
    return redirect(request, "/office/counter?done=deposit")


@router.post("/withdraw", dependencies=[Depends(check_csrf)])
def withdraw(
    request: Request,
    actor: WebActor,
    account: Annotated[str, Form(max_length=19)],
    amount: Amount,
    key: Key,
) -> Response:
    staff_only(actor)
    try:
        money = Money.parse(amount, CURRENCY)
        idem = form_request(actor, key, "withdraw", account.strip(), str(money.minor))
        receipt = teller.cash_withdrawal(ctx_of(request), actor, account, money, idem)
    except DomainError as exc:
        return _refused(request, actor, exc)
    done = "waiting" if receipt.waiting else "withdrawal"
    return redirect(request, f"/office/counter?done={done}")


@router.post("/close", dependencies=[Depends(check_csrf)])
def close_shift(
    request: Request,
    actor: WebActor,
    counted: Amount,
    key: Key,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    staff_only(actor)
    try:
        money = Money.parse(counted, CURRENCY)
        idem = form_request(actor, key, "close", str(money.minor), note)
        teller.close_shift(ctx_of(request), actor, money, idem, note)
    except DomainError as exc:
        return _refused(request, actor, exc)
    return redirect(request, "/office/counter?done=closed")
