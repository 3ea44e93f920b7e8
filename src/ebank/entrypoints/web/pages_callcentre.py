"""The call centre in the back office (``/office/callcentre``), for agents (operations
staff and supervisors): the queue by status, priority and breach; a ticket with its
notes, the caller seen whole (360) and the agent's actions — assign, status, priority,
note, answer, a temporary card block after an identity check; the reports (volume per
channel and category, service-level breaches) with CSV export. The use cases audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from ebank.application import callcentre, callcentre_reports, tickets
from ebank.application.callcentre import IdentityCheck
from ebank.domain.errors import DomainError, InvalidInput
from ebank.domain.tickets import TicketPriority, TicketStatus
from ebank.entrypoints.web.pages_office_common import TIMEZONE, ctx_of, staff_only
from ebank.entrypoints.web.render import error_text, gettext, redirect, render
from ebank.entrypoints.web.session import WebActor, check_csrf

router = APIRouter(prefix="/office/callcentre", include_in_schema=False)
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# What an agent is told after a step (the query's ``done``).
DONE = {
    "assign": "The ticket was assigned.",
    "status": "The status was changed.",
    "priority": "The priority was changed.",
    "note": "The note was added.",
    "answer": "The answer was sent to the customer.",
    "card": "The card is temporarily blocked.",
}


# What people call the channels tickets come from (others show their code).
CHANNELS = {
    "web": "Online banking",
    "ivr": "Phone banking",
    "sms": "SMS banking",
    "staff": "Staff entry",
    "phone": "Telephone",
}


def _channel_names(request: Request) -> dict[str, str]:
    return {code: gettext(request, name) for code, name in CHANNELS.items()}


@router.get("")
def queue(
    request: Request,
    actor: WebActor,
    status: str = "",
    priority: str = "",
    breached: int = 0,
    mine: int = 0,
) -> Response:
    staff_only(actor)
    found = callcentre.queue(
        ctx_of(request),
        actor,
        status=status or None,
        priority=priority or None,
        breached_only=bool(breached),
        assigned_to=actor.user_id if mine else None,
    )
    chosen = {"status": status, "priority": priority, "breached": breached, "mine": mine}
    context = {
        "tickets": found,
        "chosen": chosen,
        "statuses": [s.value for s in TicketStatus],
        "priorities": [p.value for p in TicketPriority],
        "channels": _channel_names(request),
    }
    return render(request, "office/callcentre.html", context)


def _ticket_page(
    request: Request, actor: WebActor, ticket_id: int, error: str = "", status: int = 200
) -> Response:
    ctx = ctx_of(request)
    view = callcentre.ticket(ctx, actor, ticket_id)
    caller = None
    if view.customer_id is not None:
        try:
            caller = callcentre.caller_360(ctx, actor, view.customer_id)
        except DomainError:
            caller = None
    done = request.query_params.get("done", "")
    context = {
        "ticket": view,
        "caller": caller,
        "error": error or None,
        "notice": gettext(request, DONE[done]) if done in DONE else None,
        "statuses": [s.value for s in TicketStatus if s is not TicketStatus.ANSWERED],
        "priorities": [p.value for p in TicketPriority],
        "checks": [c.value for c in IdentityCheck],
        "channels": _channel_names(request),
    }
    return render(request, "office/callcentre_ticket.html", context, status)


@router.get("/tickets/{ticket_id}")
def ticket(request: Request, actor: WebActor, ticket_id: int) -> Response:
    staff_only(actor)
    return _ticket_page(request, actor, ticket_id)


def _step(
    request: Request, actor: WebActor, ticket_id: int, done: str, run: Callable[[], object]
) -> Response:
    """Run an agent's step; back to the ticket with a notice, or the refusal on it."""
    try:
        run()
    except DomainError as exc:
        return _ticket_page(request, actor, ticket_id, error_text(request, exc.code), 422)
    return redirect(request, f"/office/callcentre/tickets/{ticket_id}?done={done}")


@router.post("/tickets/{ticket_id}/assign", dependencies=[Depends(check_csrf)])
def assign(
    request: Request, actor: WebActor, ticket_id: int, agent: Annotated[str, Form()] = ""
) -> Response:
    staff_only(actor)
    chosen = actor.user_id if agent == "me" else (int(agent) if agent.isdigit() else None)
    ctx = ctx_of(request)
    return _step(
        request,
        actor,
        ticket_id,
        "assign",
        lambda: callcentre.assign(ctx, actor, ticket_id, chosen),
    )


@router.post("/tickets/{ticket_id}/status", dependencies=[Depends(check_csrf)])
def change_status(
    request: Request, actor: WebActor, ticket_id: int, status: Annotated[str, Form(max_length=16)]
) -> Response:
    staff_only(actor)
    ctx = ctx_of(request)
    return _step(
        request,
        actor,
        ticket_id,
        "status",
        lambda: callcentre.change_status(ctx, actor, ticket_id, status),
    )


@router.post("/tickets/{ticket_id}/priority", dependencies=[Depends(check_csrf)])
def change_priority(
    request: Request, actor: WebActor, ticket_id: int, priority: Annotated[str, Form(max_length=8)]
) -> Response:
    staff_only(actor)
    ctx = ctx_of(request)
    return _step(
        request,
        actor,
        ticket_id,
        "priority",
        lambda: callcentre.change_priority(ctx, actor, ticket_id, priority),
    )


@router.post("/tickets/{ticket_id}/note", dependencies=[Depends(check_csrf)])
def add_note(
    request: Request, actor: WebActor, ticket_id: int, text: Annotated[str, Form(max_length=4000)]
) -> Response:
    staff_only(actor)
    ctx = ctx_of(request)
    return _step(
        request, actor, ticket_id, "note", lambda: callcentre.add_note(ctx, actor, ticket_id, text)
    )


@router.post("/tickets/{ticket_id}/answer", dependencies=[Depends(check_csrf)])
def answer(
    request: Request, actor: WebActor, ticket_id: int, text: Annotated[str, Form(max_length=4000)]
) -> Response:
    staff_only(actor)
    ctx = ctx_of(request)
    return _step(
        request,
        actor,
        ticket_id,
        "answer",
        lambda: tickets.answer_ticket(ctx, actor, ticket_id, text),
    )


@router.post("/tickets/{ticket_id}/card-block", dependencies=[Depends(check_csrf)])
def block_card(
    request: Request,
    actor: WebActor,
    ticket_id: int,
    card_id: Annotated[int, Form()],
    check: Annotated[str, Form(max_length=16)],
    identity_number: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    staff_only(actor)
    ctx = ctx_of(request)
    customer_id = callcentre.ticket(ctx, actor, ticket_id).customer_id

    def run() -> None:
        if customer_id is None:
            raise InvalidInput("this ticket has no customer")
        callcentre.block_card_for_caller(
            ctx,
            actor,
            customer_id,
            card_id,
            check=check,
            identity_number=identity_number,
            ticket_id=ticket_id,
        )

    return _step(request, actor, ticket_id, "card", run)


# -- reports ------------------------------------------------------------------------------
def _period(first: str, last: str, today: date) -> tuple[date, date]:
    """The days asked for; by default the last 30 days."""
    start = date.fromisoformat(first) if first else None
    end = date.fromisoformat(last) if last else (start or today)
    return (start or end - timedelta(days=29)), end


@router.get("/reports")
def reports(
    request: Request, actor: WebActor, first: str = "", last: str = "", export: str = ""
) -> Response:
    staff_only(actor)
    ctx = ctx_of(request)
    try:
        start, end = _period(first, last, ctx.clock.today())
    except ValueError:
        start, end = _period("", "", ctx.clock.today())
    volume = callcentre_reports.ticket_volume(ctx, actor, start, end, TIMEZONE)
    breaches = callcentre_reports.sla_breaches(ctx, actor, start, end, TIMEZONE)
    if export in ("volume", "breaches"):
        text = (
            callcentre_reports.volume_csv(volume)
            if export == "volume"
            else callcentre_reports.breaches_csv(breaches, TIMEZONE)
        )
        name = f"{export}-{start.isoformat()}-{end.isoformat()}.csv"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(text, media_type=CSV_MEDIA_TYPE, headers=headers)
    context = {
        "volume": volume,
        "breaches": breaches,
        "first": start,
        "last": end,
        "channels": _channel_names(request),
    }
    return render(request, "office/callcentre_reports.html", context)
