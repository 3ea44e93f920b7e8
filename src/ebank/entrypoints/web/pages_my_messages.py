"""Messages to the call centre (``/my/messages``): send an inquiry, complaint or
suggestion, and follow the bank's answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from ebank.application import tickets
from ebank.domain.access import Actor
from ebank.domain.errors import DomainError
from ebank.domain.tickets import TicketCategory, TicketKind
from ebank.entrypoints.web.pages_my_base import ctx_of, customer
from ebank.entrypoints.web.render import error_text, gettext, redirect, render
from ebank.entrypoints.web.session import WebActor, check_csrf

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    actor: Actor,
    form: dict[str, str] | None = None,
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> Response:
    ctx = ctx_of(request)
    customer_id = customer(actor).customer_id
    assert customer_id is not None, "a customer user belongs to a customer"
    context = {
        "tickets": tickets.tickets_of_customer(ctx, actor, customer_id),
        "kinds": [k.value for k in TicketKind],
        "categories": [c.value for c in TicketCategory],
        "form": form or {},
        "error": error or None,
        "notice": notice or None,
    }
    return render(request, "my/messages.html", context, status)


@router.get("/my/messages")
def messages(request: Request, actor: WebActor, sent: int = 0) -> Response:
    notice = gettext(request, "Your message was sent. We answer here.") if sent else ""
    return _page(request, actor, notice=notice)


@router.post("/my/messages", dependencies=[Depends(check_csrf)])
def send_message(
    request: Request,
    actor: WebActor,
    kind: Annotated[str, Form(max_length=16)],
    category: Annotated[str, Form(max_length=32)],
    subject: Annotated[str, Form(max_length=200)],
    body: Annotated[str, Form(max_length=4000)],
) -> Response:
    form = {"kind": kind, "category": category, "subject": subject, "body": body}
    try:
        tickets.create_ticket(
            ctx_of(request),
            customer(actor),
            kind=kind,
            category=category,
            subject=subject,
            body=body,
            channel="web",
        )
    except DomainError as exc:
        return _page(request, actor, form, error=error_text(request, exc.code), status=422)
    return redirect(request, "/my/messages?sent=1")
