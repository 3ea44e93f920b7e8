"""The call centre (客户服务中心): agents work the ticket queue — assign, change status and
priority, write staff notes — a check for missed service levels flags breaches, and an
agent acts on a caller's behalf (a temporary card block) once the caller's identity is
checked.

No new staff role: operations staff and supervisors act as agents (tellers keep
answering their branch's tickets from ``/office/tickets``). Every step is audited; a
refused step is audited under its refusal, as every staff request is.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from ebank.application import audit, cards, office
from ebank.application.account_services import Audited, run_audited
from ebank.application.cards import CardView
from ebank.application.context import Context
from ebank.application.office import Customer360
from ebank.application.ports import UnitOfWork
from ebank.application.ports_tickets import TicketFilter
from ebank.application.tickets import TicketView, new_ticket, staff_ticket, ticket_view
from ebank.application.visibility import branches_in_scope, check_branch
from ebank.domain.access import Actor, Role, require_role
from ebank.domain.errors import (
    CardNotFound,
    CustomerNotFound,
    IdentityCheckFailed,
    InvalidInput,
    UserNotFound,
)
from ebank.domain.tickets import (
    MAX_BODY_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_SUBJECT_LENGTH,
    NoteKind,
    Ticket,
    TicketCategory,
    TicketKind,
    TicketPriority,
    TicketStatus,
    breach_at,
    check_transition,
    clean_text,
    due_times,
    parse_choice,
    worse_breach,
)
from ebank.domain.transfers import MAX_CHANNEL_LENGTH

AGENT_ROLES = frozenset({Role.OPERATIONS, Role.SUPERVISOR})
MAX_QUEUE = 200
SLA_BATCH = 500
T = TypeVar("T")


class IdentityCheck(StrEnum):
    """How the agent made sure the caller is the customer."""

    IDENTITY_NUMBER = "identity_number"  # the caller said the identity document number
    PHONE_PIN = "phone_pin"  # the IVR verified the telephone PIN before the transfer


def _ticket_step(
    ctx: Context,
    actor: Actor,
    ticket_id: int,
    action: str,
    step: Callable[[UnitOfWork, Ticket, int], dict[str, object]],
) -> TicketView:
    """One audited agent step on a locked ticket; the view after it."""

    def work(uow: UnitOfWork, now: int) -> Audited[TicketView]:
        require_role(actor, AGENT_ROLES)
        ticket = staff_ticket(uow, actor, ticket_id, lock=True)
        details = step(uow, ticket, now)
        updated = uow.tickets.get(ticket_id)
        assert updated is not None
        notes = uow.tickets.notes([ticket_id])[ticket_id]
        return Audited(ticket_view(updated, notes, for_staff=True), f"ticket:{ticket_id}", details)

    return run_audited(ctx, actor, action, work, changes=True, refused_target=f"ticket:{ticket_id}")


def open_ticket(
    ctx: Context,
    actor: Actor,
    customer_id: int,
    *,
    kind: str,
    category: str,
    subject: str,
    body: str,
    channel: str = "staff",
) -> TicketView:
    """A ticket an agent enters for a customer of their branch scope (a caller, a
    letter); ``channel`` says how it came (``staff`` by default, ``phone`` for a call)."""
    chosen_kind = parse_choice(TicketKind, kind, "ticket kind")
    chosen_category = parse_choice(TicketCategory, category, "ticket category")
    subject = clean_text(subject, MAX_SUBJECT_LENGTH, "subject")
    body = clean_text(body, MAX_BODY_LENGTH, "message")
    channel = clean_text(channel, MAX_CHANNEL_LENGTH, "channel")

    def work(uow: UnitOfWork, now: int) -> Audited[TicketView]:
        require_role(actor, AGENT_ROLES)
        customer = uow.customers.get(customer_id)
        if customer is None:
            raise CustomerNotFound(f"no customer {customer_id}")
        check_branch(uow, actor, customer.branch_code)
        made = new_ticket(
            uow,
            customer_id=customer.id,
            branch_code=customer.branch_code,
            kind=chosen_kind,
            category=chosen_category,
            subject=subject,
            body=body,
            channel=channel,
            created_by=actor.user_id,
            now_us=now,
        )
        details = {"kind": chosen_kind.value, "category": chosen_category.value, "channel": channel}
        return Audited(ticket_view(made, [], for_staff=True), f"ticket:{made.id}", details)

    return run_audited(
        ctx, actor, "ticket.create", work, changes=True, refused_target=f"customer_id:{customer_id}"
    )


def queue(
    ctx: Context,
    actor: Actor,
    *,
    status: str | None = None,
    priority: str | None = None,
    breached_only: bool = False,
    assigned_to: int | None = None,
) -> list[TicketView]:
    """The agents' queue in their branch scope, most urgent and oldest first; without a
    status, the tickets that wait for the bank."""
    chosen = TicketFilter(
        status=parse_choice(TicketStatus, status, "ticket status") if status else None,
        priority=parse_choice(TicketPriority, priority, "priority") if priority else None,
        breached_only=breached_only,
        assigned_to=assigned_to,
    )

    def work(uow: UnitOfWork, now: int) -> Audited[list[TicketView]]:
        require_role(actor, AGENT_ROLES)
        found = uow.tickets.queue(branches_in_scope(uow, actor), chosen, MAX_QUEUE)
        views = [ticket_view(t, [], for_staff=True) for t in found]
        return Audited(views, "tickets", {"found": len(views)})

    return run_audited(ctx, actor, "ticket.queue", work, changes=False)


def ticket(ctx: Context, actor: Actor, ticket_id: int) -> TicketView:
    """One ticket with all its notes, for an agent."""

    def work(uow: UnitOfWork, now: int) -> Audited[TicketView]:
        require_role(actor, AGENT_ROLES)
        found = staff_ticket(uow, actor, ticket_id, lock=False)
        notes = uow.tickets.notes([ticket_id])[ticket_id]
        return Audited(ticket_view(found, notes, for_staff=True), f"ticket:{ticket_id}")

    return run_audited(
        ctx, actor, "ticket.view", work, changes=False, refused_target=f"ticket:{ticket_id}"
    )


def assign(ctx: Context, actor: Actor, ticket_id: int, agent_id: int | None) -> TicketView:
    """Give the ticket to an agent (an active operations or supervisor user), or take it
    back into the pool (None)."""

    def step(uow: UnitOfWork, found: Ticket, now: int) -> dict[str, object]:
        if agent_id is not None:
            agent = uow.users.get(agent_id)
            if agent is None or agent.status != "active" or agent.role not in AGENT_ROLES:
                raise UserNotFound(f"no agent {agent_id}")
            if agent.branch_code is not None and found.branch_code is not None:
                check_branch(uow, actor, agent.branch_code)
        uow.tickets.assign(found.id, agent_id, now)
        return {"agent_id": agent_id, "was": found.assigned_to}

    return _ticket_step(ctx, actor, ticket_id, "ticket.assign", step)


def change_status(ctx: Context, actor: Actor, ticket_id: int, status: str) -> TicketView:
    """Move the ticket along open → acknowledged → in_progress → answered → closed, or
    reopen it. ``answered`` takes an answer: see ``tickets.answer_ticket``."""
    new = parse_choice(TicketStatus, status, "ticket status")
    if new is TicketStatus.ANSWERED:
        raise InvalidInput("a ticket is answered by writing the answer")

    def step(uow: UnitOfWork, found: Ticket, now: int) -> dict[str, object]:
        check_transition(found.status, new)
        uow.tickets.add_note(found.id, NoteKind.STATUS, new.value, actor.user_id, now)
        uow.tickets.set_status(found.id, new, now)
        return {"was": found.status.value, "now": new.value}

    return _ticket_step(ctx, actor, ticket_id, "ticket.status", step)


def change_priority(ctx: Context, actor: Actor, ticket_id: int, priority: str) -> TicketView:
    """A new priority, and the due times of its service level (counted from creation)."""
    new = parse_choice(TicketPriority, priority, "priority")

    def step(uow: UnitOfWork, found: Ticket, now: int) -> dict[str, object]:
        due = due_times(uow.tickets.service_level(found.kind, new), found.created_at_us)
        uow.tickets.set_priority(found.id, new, due)
        return {"was": found.priority.value, "now": new.value}

    return _ticket_step(ctx, actor, ticket_id, "ticket.priority", step)


def add_note(ctx: Context, actor: Actor, ticket_id: int, text: str) -> TicketView:
    """A staff-only note (what the agent did, what the caller said)."""
    note = clean_text(text, MAX_NOTE_LENGTH, "note")

    def step(uow: UnitOfWork, found: Ticket, now: int) -> dict[str, object]:
        uow.tickets.add_note(found.id, NoteKind.NOTE, note, actor.user_id, now)
        return {"chars": len(note)}

    return _ticket_step(ctx, actor, ticket_id, "ticket.note", step)


def caller_360(ctx: Context, actor: Actor, customer_id: int) -> Customer360:
    """The caller seen whole (accounts, cards, recent transactions, past tickets): the
    back office's 360 view, each part audited by its use case."""
    require_role(actor, AGENT_ROLES)
    with ctx.read() as uow:
        customer = uow.customers.get(customer_id)
    if customer is None:
        raise CustomerNotFound(f"no customer {customer_id}")
    return office.customer_360(ctx, actor, customer.number)


def check_slas(ctx: Context, now_us: int) -> dict[int, str]:
    """Flag the tickets that missed a service level by ``now_us`` (an explicit time, so
    that a run can be repeated or replayed); each flag is audited as the system. Returns
    the newly flagged tickets and their breach."""
    flagged: dict[int, str] = {}
    while True:
        with ctx.uow() as uow:
            batch = uow.tickets.unresolved_due_before(now_us, SLA_BATCH)
            changed = 0
            for found in batch:
                breach = worse_breach(found.breached, breach_at(found, now_us))
                if breach is None or breach == found.breached:
                    continue
                uow.tickets.flag_breach(found.id, breach)
                flagged[found.id] = breach
                changed += 1
                audit.record(
                    uow,
                    actor=None,
                    action="ticket.sla_breach",
                    target=f"ticket:{found.id}",
                    details={"breach": breach, "at_us": now_us},
                    now_us=ctx.clock.now_us(),
                )
            uow.commit()
        if changed == 0 or len(batch) < SLA_BATCH:
            return flagged


def block_card_for_caller(
    ctx: Context,
    actor: Actor,
    customer_id: int,
    card_id: int,
    *,
    check: str,
    identity_number: str = "",
    ticket_id: int | None = None,
) -> CardView:
    """A temporary loss report (电话临时挂失) an agent makes for a caller, after checking
    the caller's identity: the identity number the caller gives must match the
    customer's, or the agent records that the IVR verified the telephone PIN. The check
    is audited (never the number itself), then ``cards.report_lost`` blocks the card."""
    chosen = parse_choice(IdentityCheck, check, "identity check")
    given = identity_number.strip().upper()

    def verify(uow: UnitOfWork, now: int) -> Audited[None]:
        require_role(actor, AGENT_ROLES)
        customer = uow.customers.get(customer_id)
        if customer is None:
            raise CustomerNotFound(f"no customer {customer_id}")
        check_branch(uow, actor, customer.branch_code)
        if card_id not in {c.card_id for c in uow.cards.for_customer(customer_id)}:
            raise CardNotFound(f"no card {card_id} of this customer")
        if chosen is IdentityCheck.IDENTITY_NUMBER and (
            not given or given != customer.id_number.strip().upper()
        ):
            raise IdentityCheckFailed("the identity number does not match")
        if ticket_id is not None:
            staff_ticket(uow, actor, ticket_id, lock=True)
            text = f"card {card_id} reported lost for the caller; identity check: {chosen}"
            uow.tickets.add_note(ticket_id, NoteKind.NOTE, text, actor.user_id, now)
        details = {"check": chosen.value, "card_id": card_id, "ticket_id": ticket_id}
        return Audited(None, f"customer_id:{customer_id}", details)

    run_audited(
        ctx,
        actor,
        "callcentre.identity_check",
        verify,
        changes=True,
        refused_target=f"customer_id:{customer_id}",
    )
    return cards.report_lost(ctx, actor, card_id)
