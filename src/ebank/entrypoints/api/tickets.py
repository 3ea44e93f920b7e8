"""The Bank API: the call centre's tickets for agents (operations staff and supervisors):
the queue, a ticket with its notes, staff entry, assignment, status, priority, notes and
answers; a temporary card block for a caller after an identity check; reports of volume
and of service-level breaches, as JSON or CSV (``format=csv`` or ``Accept: text/csv``)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Self

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.application import callcentre, callcentre_reports, tickets
from ebank.application.callcentre import AGENT_ROLES, IdentityCheck
from ebank.application.callcentre_reports import REPORT_ROLES
from ebank.application.tickets import TicketView
from ebank.domain.tickets import (
    MAX_BODY_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_SUBJECT_LENGTH,
    TicketCategory,
    TicketKind,
    TicketPriority,
    TicketStatus,
)
from ebank.entrypoints.api.deps import ActorDep, CtxDep, route
from ebank.entrypoints.api.models_accounts import at

router = APIRouter(tags=["call centre"])
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
CSV_RESPONSE = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}


class NoteOut(BaseModel):
    id: int
    kind: str
    text: str
    at: datetime
    author_id: int | None


class TicketOut(BaseModel):
    id: int
    customer_id: int | None
    branch_code: str | None
    kind: str
    category: str
    priority: str
    channel: str
    status: str
    subject: str
    body: str
    created_at: datetime
    assigned_to: int | None
    acknowledge_due_at: datetime | None
    resolve_due_at: datetime | None
    breached: str | None = Field(description="acknowledge or resolve: the level missed")
    notes: list[NoteOut]

    @classmethod
    def of(cls, v: TicketView) -> Self:
        return cls(
            id=v.id,
            customer_id=v.customer_id,
            branch_code=v.branch_code,
            kind=v.kind.value,
            category=v.category.value,
            priority=v.priority,
            channel=v.channel,
            status=v.status.value,
            subject=v.subject,
            body=v.body,
            created_at=at(v.created_at_us),
            assigned_to=v.assigned_to,
            acknowledge_due_at=at(v.acknowledge_due_at_us) if v.acknowledge_due_at_us else None,
            resolve_due_at=at(v.resolve_due_at_us) if v.resolve_due_at_us else None,
            breached=v.breached,
            notes=[
                NoteOut(
                    id=n.id, kind=n.kind.value, text=n.text, at=at(n.at_us), author_id=n.author_id
                )
                for n in v.notes
            ],
        )


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: int = Field(gt=0)
    kind: TicketKind
    category: TicketCategory
    subject: str = Field(max_length=MAX_SUBJECT_LENGTH)
    body: str = Field(max_length=MAX_BODY_LENGTH)
    channel: str = Field("staff", max_length=16)


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: int | None = Field(description="The agent's user id; null: back to the pool")


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: TicketStatus


class PriorityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: TicketPriority


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_NOTE_LENGTH)


class CardOut(BaseModel):
    id: int
    masked_pan: str
    status: str


class CardBlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    check: IdentityCheck = Field(description="How the caller's identity was checked")
    identity_number: str = Field("", max_length=40, description="What the caller said")
    ticket_id: int | None = None


@route(router, "GET", "/tickets", roles=AGENT_ROLES, response_model=list[TicketOut])
def queue(
    ctx: CtxDep,
    actor: ActorDep,
    status: TicketStatus | None = None,
    priority: TicketPriority | None = None,
    breached: bool = False,
    assigned_to: int | None = None,
) -> list[TicketOut]:
    """The queue of the caller's branch scope, most urgent and oldest first (without a
    status: the tickets that wait for the bank). Notes are left out: read one ticket."""
    found = callcentre.queue(
        ctx,
        actor,
        status=status,
        priority=priority,
        breached_only=breached,
        assigned_to=assigned_to,
    )
    return [TicketOut.of(v) for v in found]


@route(router, "POST", "/tickets", roles=AGENT_ROLES, response_model=TicketOut, status_code=201)
def open_ticket(body: TicketIn, ctx: CtxDep, actor: ActorDep) -> TicketOut:
    """A ticket an agent enters for a customer (a call, a letter); its service-level due
    times follow its kind and priority."""
    view = callcentre.open_ticket(
        ctx,
        actor,
        body.customer_id,
        kind=body.kind,
        category=body.category,
        subject=body.subject,
        body=body.body,
        channel=body.channel,
    )
    return TicketOut.of(view)


@route(router, "GET", "/tickets/{ticket_id}", roles=AGENT_ROLES, response_model=TicketOut)
def get_ticket(ticket_id: int, ctx: CtxDep, actor: ActorDep) -> TicketOut:
    """One ticket with all its notes."""
    return TicketOut.of(callcentre.ticket(ctx, actor, ticket_id))


@route(router, "POST", "/tickets/{ticket_id}/assign", roles=AGENT_ROLES, response_model=TicketOut)
def assign(ticket_id: int, body: AssignIn, ctx: CtxDep, actor: ActorDep) -> TicketOut:
    """Give the ticket to an agent, or back to the pool."""
    return TicketOut.of(callcentre.assign(ctx, actor, ticket_id, body.agent_id))


@route(router, "POST", "/tickets/{ticket_id}/status", roles=AGENT_ROLES, response_model=TicketOut)
def change_status(ticket_id: int, body: StatusIn, ctx: CtxDep, actor: ActorDep) -> TicketOut:
    """acknowledged, in_progress, closed, or open again (an answered ticket); answering
    is ``/answer``."""
    return TicketOut.of(callcentre.change_status(ctx, actor, ticket_id, body.status))


@route(router, "POST", "/tickets/{ticket_id}/priority", roles=AGENT_ROLES, response_model=TicketOut)
def change_priority(ticket_id: int, body: PriorityIn, ctx: CtxDep, actor: ActorDep) -> TicketOut:
    """A new priority and the due times of its service level."""
    return TicketOut.of(callcentre.change_priority(ctx, actor, ticket_id, body.priority))


@route(router, "POST", "/tickets/{ticket_id}/notes", roles=AGENT_ROLES, response_model=TicketOut)
def add_note(ticket_id: int, body: TextIn, ctx: CtxDep, actor: ActorDep) -> TicketOut:
    """A staff-only note."""
    return TicketOut.of(callcentre.add_note(ctx, actor, ticket_id, body.text))


@route(router, "POST", "/tickets/{ticket_id}/answer", roles=AGENT_ROLES, response_model=TicketOut)
def answer(ticket_id: int, body: TextIn, ctx: CtxDep, actor: ActorDep) -> TicketOut:
    """The answer the customer reads; the ticket becomes answered."""
    tickets.answer_ticket(ctx, actor, ticket_id, body.text)
    return TicketOut.of(callcentre.ticket(ctx, actor, ticket_id))


@route(
    router,
    "POST",
    "/callcentre/customers/{customer_id}/cards/{card_id}/report-lost",
    roles=AGENT_ROLES,
    response_model=CardOut,
)
def report_card_lost(
    customer_id: int, card_id: int, body: CardBlockIn, ctx: CtxDep, actor: ActorDep
) -> CardOut:
    """A temporary loss report for the caller, after the agent's identity check (the
    identity number the caller gives, or the telephone PIN the IVR verified)."""
    view = callcentre.block_card_for_caller(
        ctx,
        actor,
        customer_id,
        card_id,
        check=body.check,
        identity_number=body.identity_number,
        ticket_id=body.ticket_id,
    )
    return CardOut(id=view.id, masked_pan=view.masked_pan, status=view.status)


# -- reports ------------------------------------------------------------------------------
class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


class VolumeRowOut(BaseModel):
    channel: str
    category: str
    kind: str
    tickets: int


class VolumeOut(BaseModel):
    first: date
    last: date
    total: int
    rows: list[VolumeRowOut]


class BreachesOut(BaseModel):
    first: date
    last: date
    tickets: list[TicketOut]


def _wants_csv(asked: ReportFormat | None, accept: str) -> bool:
    return asked is ReportFormat.CSV or (asked is None and "text/csv" in accept.lower())


def _csv(text: str, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    return Response(text, media_type=CSV_MEDIA_TYPE, headers=headers)


@route(
    router,
    "GET",
    "/tickets/reports/volume",
    roles=REPORT_ROLES,
    response_model=VolumeOut,
    responses=CSV_RESPONSE,
)
def volume_report(
    ctx: CtxDep,
    actor: ActorDep,
    first: Annotated[date, Query(alias="from")],
    last: Annotated[date, Query(alias="to")],
    format_: Annotated[ReportFormat | None, Query(alias="format")] = None,
    accept: Annotated[str, Header(max_length=500)] = "application/json",
) -> VolumeOut | Response:
    """Tickets created in the period (whole days, bank time), per channel, category and
    kind."""
    report = callcentre_reports.ticket_volume(ctx, actor, first, last, BANK_TIMEZONE)
    if _wants_csv(format_, accept):
        return _csv(callcentre_reports.volume_csv(report), f"tickets-{first}-{last}")
    rows = [
        VolumeRowOut(channel=r.channel, category=r.category, kind=r.kind, tickets=r.count)
        for r in report.rows
    ]
    return VolumeOut(first=first, last=last, total=report.total, rows=rows)


@route(
    router,
    "GET",
    "/tickets/reports/breaches",
    roles=REPORT_ROLES,
    response_model=BreachesOut,
    responses=CSV_RESPONSE,
)
def breaches_report(
    ctx: CtxDep,
    actor: ActorDep,
    first: Annotated[date, Query(alias="from")],
    last: Annotated[date, Query(alias="to")],
    format_: Annotated[ReportFormat | None, Query(alias="format")] = None,
    accept: Annotated[str, Header(max_length=500)] = "application/json",
) -> BreachesOut | Response:
    """Tickets created in the period that missed a service level."""
    report = callcentre_reports.sla_breaches(ctx, actor, first, last, BANK_TIMEZONE)
    if _wants_csv(format_, accept):
        text = callcentre_reports.breaches_csv(report, BANK_TIMEZONE)
        return _csv(text, f"sla-breaches-{first}-{last}")
    return BreachesOut(first=first, last=last, tickets=[TicketOut.of(v) for v in report.tickets])
