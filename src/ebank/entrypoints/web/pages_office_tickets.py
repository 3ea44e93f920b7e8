"""The back office's customer tickets (``/office/tickets``): the tickets waiting for the
bank in the staff member's branch scope, and answering one (audited by the use case)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from ebank.application import tickets
from ebank.application.context import Context
from ebank.domain.errors import DomainError
from ebank.entrypoints.web.render import error_text, gettext, redirect, render
from ebank.entrypoints.web.session import WebActor, check_csrf

router = APIRouter(prefix="/office/tickets", include_in_schema=False)


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.bank.ctx
    return ctx


@router.get("")
def queue(request: Request, actor: WebActor, answered: int = 0) -> Response:
    waiting = tickets.waiting_tickets(_ctx(request), actor)
    notice = gettext(request, "The answer was sent to the customer.") if answered else None
    return render(request, "office/tickets.html", {"tickets": waiting, "notice": notice})


def _ticket_page(
    request: Request, actor: WebActor, ticket_id: int, error: str = "", status: int = 200
) -> Response:
    view = tickets.ticket_for_staff(_ctx(request), actor, ticket_id)
    context = {"ticket": view, "error": error or None}
    return render(request, "office/ticket.html", context, status)


@router.get("/{ticket_id}")
def ticket(request: Request, actor: WebActor, ticket_id: int) -> Response:
    return _ticket_page(request, actor, ticket_id)


@router.post("/{ticket_id}/answer", dependencies=[Depends(check_csrf)])
def answer(
    request: Request,
    actor: WebActor,
    ticket_id: int,
    text: Annotated[str, Form(max_length=4000)],
) -> Response:
    try:
        tickets.answer_ticket(_ctx(request), actor, ticket_id, text)
    except DomainError as exc:
        return _ticket_page(request, actor, ticket_id, error_text(request, exc.code), 422)
    return redirect(request, "/office/tickets?answered=1")
