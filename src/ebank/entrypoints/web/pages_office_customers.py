"""Customers at the back office: find one, onboard one (identity checked), see one
whole (360), open an account, and ask for a freeze or unfreeze (dual control)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from ebank.application import account_services, office, onboarding
from ebank.domain.access import Actor
from ebank.domain.customers import IdType
from ebank.domain.errors import DomainError, InvalidInput, ResidentIdInvalid
from ebank.entrypoints.web.pages_office_common import ctx_of, staff_only
from ebank.entrypoints.web.render import error_text, gettext, redirect, render
from ebank.entrypoints.web.session import WebActor, check_csrf

router = APIRouter(prefix="/office", include_in_schema=False)
ID_PROBLEMS = {
    "format": "The resident identity number must be 17 digits and a check digit (0-9 or X).",
    "checksum": "The check digit of the resident identity number is wrong: check every digit.",
    "birth_date": "The birth date in the resident identity number is not a real date.",
    "region": "The region code in the resident identity number does not exist.",
}
PRODUCTS = ("SAV", "CUR")


@router.get("/customers")
def customers(request: Request, actor: WebActor, q: str = "") -> Response:
    staff_only(actor)
    found = account_services.search_customers(ctx_of(request), actor, q[:200] or None, 50)
    return render(
        request,
        "office/customers.html",
        {"found": found, "q": q, "mask": office.masked_id_number},
    )


@router.get("/customers/new")
def new_customer(request: Request, actor: WebActor) -> Response:
    staff_only(actor)
    return render(request, "office/customer_new.html", {"form": {}})


@router.post("/customers/new", dependencies=[Depends(check_csrf)])
def onboard(
    request: Request,
    actor: WebActor,
    name: Annotated[str, Form(max_length=200)],
    id_type: Annotated[str, Form(max_length=24)],
    id_number: Annotated[str, Form(max_length=40)],
    phone: Annotated[str, Form(max_length=32)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    staff_only(actor)
    form = {
        "name": name,
        "id_type": id_type,
        "id_number": id_number,
        "phone": phone,
        "email": email,
    }
    try:
        kind = IdType(id_type) if id_type in {IdType.RESIDENT_ID, IdType.PASSPORT} else None
        if kind is None:
            raise InvalidInput("choose a resident identity card or a passport")
        customer = onboarding.onboard_individual(
            ctx_of(request), actor, name, kind, id_number, phone, email=email
        )
    except ResidentIdInvalid as exc:
        message = gettext(request, ID_PROBLEMS.get(exc.reason, "invalid request"))
        return render(request, "office/customer_new.html", {"form": form, "error": message}, 422)
    except DomainError as exc:
        return render(
            request,
            "office/customer_new.html",
            {"form": form, "error": error_text(request, exc.code)},
            422,
        )
    return redirect(request, f"/office/customers/{customer.number}?done=onboarded")


NOTICES = {
    "onboarded": "Customer onboarded: open an account below.",
    "opened": "Account opened.",
    "status_done": "Done.",
    "status_waiting": "Sent to a supervisor for approval.",
}


def _customer_page(
    request: Request, actor: Actor, number: str, error: str | None = None, status: int = 200
) -> Response:
    view = office.customer_360(ctx_of(request), actor, number)
    notice = NOTICES.get(request.query_params.get("done", ""))
    context: dict[str, Any] = {
        "view": view,
        "masked_id": office.masked_id_number(view.customer.id_number),
        "products": PRODUCTS,
        "error": error,
        "notice": gettext(request, notice) if notice and not error else None,
    }
    return render(request, "office/customer_360.html", context, status)


@router.get("/customers/{number}")
def customer(request: Request, actor: WebActor, number: str) -> Response:
    return _customer_page(request, staff_only(actor), number)


@router.post("/customers/{number}/accounts", dependencies=[Depends(check_csrf)])
def open_account(
    request: Request,
    actor: WebActor,
    number: str,
    product: Annotated[str, Form(max_length=16)],
) -> Response:
    staff_only(actor)
    try:
        account_services.open_account(ctx_of(request), actor, number, product)
    except DomainError as exc:
        return _customer_page(request, actor, number, error_text(request, exc.code), 422)
    return redirect(request, f"/office/customers/{number}?done=opened")


@router.post("/customers/{number}/status", dependencies=[Depends(check_csrf)])
def change_status(
    request: Request,
    actor: WebActor,
    number: str,
    account: Annotated[str, Form(max_length=19)],
    action: Annotated[str, Form(max_length=10)],
    reason: Annotated[str, Form(max_length=200)],
) -> Response:
    """Freeze or unfreeze, through dual control (as seeded, a supervisor decides)."""
    staff_only(actor)
    ctx = ctx_of(request)
    try:
        office.customer_in_scope(ctx, actor, number)
        outcome = office.request_status_change(
            ctx, actor, account, freeze=action == "freeze", reason=reason
        )
    except DomainError as exc:
        return _customer_page(request, actor, number, error_text(request, exc.code), 422)
    done = "status_waiting" if outcome.waiting else "status_done"
    return redirect(request, f"/office/customers/{number}?done={done}")
