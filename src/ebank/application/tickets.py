"""Customer tickets: a customer sends an inquiry, complaint or suggestion to the call
centre and follows its answers; staff of the customer's branch scope answer it.

A ticket belongs to the customer's branch (staff see those of their branch subtree, the
head office all). Its history is appended to, never changed. Every staff action on a
ticket, reads included, is audited, as every staff request is.
"""

from __future__ import annotations

from dataclasses import dataclass

from ebank.application import audit
from ebank.application.account_services import Audited, run_audited
from ebank.application.context import Context
from ebank.application.ports import UnitOfWork
from ebank.application.ports_tickets import NewTicket
from ebank.application.visibility import branches_in_scope, check_branch, own_customer
from ebank.domain.access import CUSTOMER_ROLES, Actor, Role, require_role
from ebank.domain.errors import CustomerNotFound, OutsideBranch, TicketNotFound
from ebank.domain.tickets import (
    MAX_BODY_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_SUBJECT_LENGTH,
    NoteKind,
    Ticket,
    TicketCategory,
    TicketKind,
    TicketNote,
    TicketPriority,
    TicketStatus,
    check_transition,
    clean_text,
    due_times,
    initial_priority,
    parse_choice,
)
from ebank.domain.transfers import MAX_CHANNEL_LENGTH

# Staff who answer customers (auditors only read the audit trail).
ANSWERING_ROLES = frozenset({Role.TELLER, Role.SUPERVISOR, Role.OPERATIONS, Role.ADMIN})
MAX_TICKETS_LISTED = 100
# What a customer reads of a ticket's history: the bank's answers and their own words.
CUSTOMER_NOTES = frozenset({NoteKind.ANSWER, NoteKind.CUSTOMER})


@dataclass(frozen=True, slots=True)
class TicketView:
    id: int
    kind: TicketKind
    category: TicketCategory
    status: TicketStatus
    subject: str
    created_at_us: int
    notes: list[TicketNote]
    body: str = ""
    priority: str = ""
    customer_id: int | None = None
    branch_code: str | None = None
    channel: str = ""
    assigned_to: int | None = None
    acknowledge_due_at_us: int | None = None
    resolve_due_at_us: int | None = None
    breached: str | None = None

    @property
    def answered(self) -> bool:
        return any(n.kind is NoteKind.ANSWER for n in self.notes)


def ticket_view(ticket: Ticket, notes: list[TicketNote], for_staff: bool) -> TicketView:
    shown = notes if for_staff else [n for n in notes if n.kind in CUSTOMER_NOTES]
    return TicketView(
        id=ticket.id,
        kind=ticket.kind,
        category=ticket.category,
        status=ticket.status,
        subject=ticket.subject,
        created_at_us=ticket.created_at_us,
        notes=shown,
        body=ticket.body,
        priority=ticket.priority.value,
        customer_id=ticket.customer_id,
        branch_code=ticket.branch_code,
        channel=ticket.channel,
        assigned_to=ticket.assigned_to if for_staff else None,
        acknowledge_due_at_us=ticket.acknowledge_due_at_us if for_staff else None,
        resolve_due_at_us=ticket.resolve_due_at_us if for_staff else None,
        breached=ticket.breached if for_staff else None,
    )


def new_ticket(
    uow: UnitOfWork,
    *,
    customer_id: int | None,
    branch_code: str | None,
    kind: TicketKind,
    category: TicketCategory,
    subject: str,
    body: str,
    channel: str,
    created_by: int | None,
    now_us: int,
    priority: TicketPriority | None = None,
) -> Ticket:
    """Store a new ticket with its service-level due times (``ticket_slas``)."""
    chosen_priority = priority or initial_priority(kind, category)
    level = uow.tickets.service_level(kind, chosen_priority)
    new = NewTicket(
        customer_id=customer_id,
        branch_code=branch_code,
        kind=kind,
        channel=channel,
        category=category,
        priority=chosen_priority,
        subject=subject,
        body=body,
        created_by=created_by,
        due=due_times(level, now_us),
    )
    return uow.tickets.add(new, now_us)


def create_ticket(
    ctx: Context,
    actor: Actor,
    *,
    kind: TicketKind | str,
    category: TicketCategory | str,
    subject: str,
    body: str,
    channel: str = "web",
) -> TicketView:
    """A customer's new ticket, for their branch; its priority follows its kind."""
    require_role(actor, CUSTOMER_ROLES)
    chosen_kind = parse_choice(TicketKind, str(kind), "ticket kind")
    chosen_category = parse_choice(TicketCategory, str(category), "ticket category")
    subject = clean_text(subject, MAX_SUBJECT_LENGTH, "subject")
    body = clean_text(body, MAX_BODY_LENGTH, "message")
    channel = clean_text(channel, MAX_CHANNEL_LENGTH, "channel")

    def work(uow: UnitOfWork, now: int) -> Audited[TicketView]:
        customer = own_customer(uow, actor)
        ticket = new_ticket(
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
        details = {"kind": ticket.kind.value, "category": ticket.category.value}
        return Audited(ticket_view(ticket, [], for_staff=False), f"ticket:{ticket.id}", details)

    return run_audited(ctx, actor, "ticket.create", work, changes=True)


def create_ticket_for_customer(
    ctx: Context,
    customer_id: int,
    *,
    kind: TicketKind | str,
    category: TicketCategory | str,
    subject: str,
    body: str,
    channel: str,
    context: str = "",
) -> TicketView:
    """A ticket for a customer who is not signed in, opened by a channel on their behalf
    (the IVR's "speak to an agent", SMS ``HELP``): the channel has identified the
    customer itself. ``context`` (what the caller already did) becomes a staff-only
    note. Audited as the system, under the channel's name."""
    chosen_kind = parse_choice(TicketKind, str(kind), "ticket kind")
    chosen_category = parse_choice(TicketCategory, str(category), "ticket category")
    subject = clean_text(subject, MAX_SUBJECT_LENGTH, "subject")
    body = clean_text(body, MAX_BODY_LENGTH, "message")
    channel = clean_text(channel, MAX_CHANNEL_LENGTH, "channel")
    note = clean_text(context, MAX_NOTE_LENGTH, "context") if context.strip() else ""
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        customer = uow.customers.get(customer_id)
        if customer is None:
            raise CustomerNotFound(f"no customer {customer_id}")
        ticket = new_ticket(
            uow,
            customer_id=customer.id,
            branch_code=customer.branch_code,
            kind=chosen_kind,
            category=chosen_category,
            subject=subject,
            body=body,
            channel=channel,
            created_by=None,
            now_us=now,
        )
        notes = [uow.tickets.add_note(ticket.id, NoteKind.NOTE, note, None, now)] if note else []
        audit.record(
            uow,
            actor=None,
            actor_name=f"channel:{channel}",
            action="ticket.create",
            target=f"ticket:{ticket.id}",
            details={
                "kind": ticket.kind.value,
                "category": ticket.category.value,
                "channel": channel,
                "customer_id": customer.id,
            },
            now_us=now,
        )
        uow.commit()
    return ticket_view(ticket, notes, for_staff=True)


def tickets_of_customer(ctx: Context, actor: Actor, customer_id: int) -> list[TicketView]:
    """A customer's tickets, newest first: the customer's own, or (staff) those of a
    customer in their branch scope."""

    def work(uow: UnitOfWork, now: int) -> Audited[list[TicketView]]:
        if actor.is_customer:
            if own_customer(uow, actor).id != customer_id:
                raise CustomerNotFound(f"no customer {customer_id}")
        else:
            require_role(actor, ANSWERING_ROLES | {Role.AUDITOR})
            found = uow.customers.get(customer_id)
            if found is None:
                raise CustomerNotFound(f"no customer {customer_id}")
            check_branch(uow, actor, found.branch_code)
        found_tickets = uow.tickets.for_customer(customer_id, MAX_TICKETS_LISTED)
        notes = uow.tickets.notes([t.id for t in found_tickets])
        views = [ticket_view(t, notes[t.id], actor.is_staff) for t in found_tickets]
        return Audited(views, f"customer_id:{customer_id}")

    return run_audited(
        ctx, actor, "ticket.list", work, changes=False, refused_target=f"customer_id:{customer_id}"
    )


def waiting_tickets(ctx: Context, actor: Actor) -> list[TicketView]:
    """Tickets waiting for the bank in the staff member's branch scope, most urgent and
    oldest first."""

    def work(uow: UnitOfWork, now: int) -> Audited[list[TicketView]]:
        require_role(actor, ANSWERING_ROLES)
        found = uow.tickets.waiting(branches_in_scope(uow, actor), MAX_TICKETS_LISTED)
        notes = uow.tickets.notes([t.id for t in found])
        views = [ticket_view(t, notes[t.id], for_staff=True) for t in found]
        return Audited(views, "tickets", {"found": len(views)})

    return run_audited(ctx, actor, "ticket.queue", work, changes=False)


def staff_ticket(uow: UnitOfWork, actor: Actor, ticket_id: int, lock: bool) -> Ticket:
    require_role(actor, ANSWERING_ROLES)
    ticket = uow.tickets.get(ticket_id, lock=lock)
    if ticket is None:
        raise TicketNotFound(f"no ticket {ticket_id}")
    if ticket.branch_code is not None:
        try:
            check_branch(uow, actor, ticket.branch_code)
        except OutsideBranch as exc:  # outside the scope is as if it did not exist
            raise TicketNotFound(f"no ticket {ticket_id}") from exc
    return ticket


def ticket_for_staff(ctx: Context, actor: Actor, ticket_id: int) -> TicketView:
    def work(uow: UnitOfWork, now: int) -> Audited[TicketView]:
        ticket = staff_ticket(uow, actor, ticket_id, lock=False)
        notes = uow.tickets.notes([ticket.id])[ticket.id]
        return Audited(ticket_view(ticket, notes, for_staff=True), f"ticket:{ticket_id}")

    return run_audited(
        ctx, actor, "ticket.view", work, changes=False, refused_target=f"ticket:{ticket_id}"
    )


def answer_ticket(ctx: Context, actor: Actor, ticket_id: int, text: str) -> TicketView:
    """A staff answer the customer reads; the ticket becomes ``answered``. Audited."""
    answer = clean_text(text, MAX_NOTE_LENGTH, "answer")

    def work(uow: UnitOfWork, now: int) -> Audited[TicketView]:
        ticket = staff_ticket(uow, actor, ticket_id, lock=True)
        check_transition(ticket.status, TicketStatus.ANSWERED)
        uow.tickets.add_note(ticket.id, NoteKind.ANSWER, answer, actor.user_id, now)
        uow.tickets.add_note(
            ticket.id, NoteKind.STATUS, TicketStatus.ANSWERED.value, actor.user_id, now
        )
        uow.tickets.set_status(ticket.id, TicketStatus.ANSWERED, now)
        updated = uow.tickets.get(ticket.id)
        assert updated is not None
        notes = uow.tickets.notes([ticket.id])[ticket.id]
        details = {"was": ticket.status.value, "chars": len(answer)}
        return Audited(ticket_view(updated, notes, for_staff=True), f"ticket:{ticket_id}", details)

    return run_audited(
        ctx, actor, "ticket.answer", work, changes=True, refused_target=f"ticket:{ticket_id}"
    )
