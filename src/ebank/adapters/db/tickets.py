"""The SQL store of customer tickets and their notes (SQLAlchemy Core; the same SQL on
SQLite and PostgreSQL). Notes are appended, never changed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, case, func, insert, or_, select, update

from ebank.adapters.db.tables_channels import ticket_notes, tickets
from ebank.adapters.db.tables_phone import ticket_slas
from ebank.application.ports_tickets import NewTicket, TicketFilter, VolumeRow
from ebank.domain.tickets import (
    WAITING,
    DueTimes,
    NoteKind,
    ServiceLevel,
    Ticket,
    TicketCategory,
    TicketKind,
    TicketNote,
    TicketPriority,
    TicketStatus,
)

_URGENCY = case({"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=tickets.c.priority, else_=4)


def _ticket(row: Any) -> Ticket:
    return Ticket(
        id=row.id,
        customer_id=row.customer_id,
        branch_code=row.branch_code,
        kind=TicketKind(row.kind),
        channel=row.channel,
        category=TicketCategory(row.category),
        priority=TicketPriority(row.priority),
        subject=row.subject,
        body=row.body,
        status=TicketStatus(row.status),
        created_by=row.created_by,
        created_at_us=row.created_at_us,
        updated_at_us=row.updated_at_us,
        acknowledged_at_us=row.acknowledged_at_us,
        resolved_at_us=row.resolved_at_us,
        assigned_to=row.assigned_to,
        acknowledge_due_at_us=row.acknowledge_due_at_us,
        resolve_due_at_us=row.resolve_due_at_us,
        breached=row.breached,
    )


def _note(row: Any) -> TicketNote:
    return TicketNote(row.id, NoteKind(row.kind), row.text, row.at_us, row.author_id)


class SqlTickets:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, ticket: NewTicket, now_us: int) -> Ticket:
        values = {
            "customer_id": ticket.customer_id,
            "branch_code": ticket.branch_code,
            "kind": ticket.kind.value,
            "channel": ticket.channel,
            "category": ticket.category.value,
            "priority": ticket.priority.value,
            "subject": ticket.subject,
            "body": ticket.body,
            "status": TicketStatus.OPEN.value,
            "created_by": ticket.created_by,
            "created_at_us": now_us,
            "updated_at_us": now_us,
            "acknowledge_due_at_us": ticket.due.acknowledge_due_at_us,
            "resolve_due_at_us": ticket.due.resolve_due_at_us,
        }
        new_id = self.conn.execute(insert(tickets).values(**values).returning(tickets.c.id))
        found = self.get(int(new_id.scalar_one()))
        assert found is not None
        return found

    def get(self, ticket_id: int, lock: bool = False) -> Ticket | None:
        query = select(tickets).where(tickets.c.id == ticket_id)
        if lock:
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return _ticket(row) if row else None

    def for_customer(self, customer_id: int, limit: int) -> list[Ticket]:
        rows = self.conn.execute(
            select(tickets)
            .where(tickets.c.customer_id == customer_id)
            .order_by(tickets.c.created_at_us.desc(), tickets.c.id.desc())
            .limit(limit)
        )
        return [_ticket(r) for r in rows]

    def waiting(self, branch_codes: Sequence[str] | None, limit: int) -> list[Ticket]:
        query = select(tickets).where(tickets.c.status.in_([s.value for s in WAITING]))
        if branch_codes is not None:
            query = query.where(tickets.c.branch_code.in_(list(branch_codes)))
        rows = self.conn.execute(
            query.order_by(_URGENCY, tickets.c.created_at_us, tickets.c.id).limit(limit)
        )
        return [_ticket(r) for r in rows]

    def set_status(self, ticket_id: int, status: TicketStatus, now_us: int) -> None:
        values: dict[str, object] = {"status": status.value, "updated_at_us": now_us}
        if status is TicketStatus.OPEN:  # reopened: to be resolved again
            values["resolved_at_us"] = None
        else:  # any step past open acknowledges it, the first time
            values["acknowledged_at_us"] = func.coalesce(tickets.c.acknowledged_at_us, now_us)
        if status in (TicketStatus.ANSWERED, TicketStatus.CLOSED):
            values["resolved_at_us"] = func.coalesce(tickets.c.resolved_at_us, now_us)
        self.conn.execute(update(tickets).where(tickets.c.id == ticket_id).values(**values))

    def add_note(
        self, ticket_id: int, kind: NoteKind, text: str, author_id: int | None, now_us: int
    ) -> TicketNote:
        values = {
            "ticket_id": ticket_id,
            "author_id": author_id,
            "kind": kind.value,
            "text": text,
            "at_us": now_us,
        }
        new_id = self.conn.execute(
            insert(ticket_notes).values(**values).returning(ticket_notes.c.id)
        ).scalar_one()
        return TicketNote(int(new_id), kind, text, now_us, author_id)

    def notes(self, ticket_ids: Sequence[int]) -> dict[int, list[TicketNote]]:
        found: dict[int, list[TicketNote]] = {i: [] for i in ticket_ids}
        if not ticket_ids:
            return found
        rows = self.conn.execute(
            select(ticket_notes)
            .where(ticket_notes.c.ticket_id.in_(list(ticket_ids)))
            .order_by(ticket_notes.c.at_us, ticket_notes.c.id)
        )
        for row in rows:
            found[row.ticket_id].append(_note(row))
        return found

    # -- the call centre ------------------------------------------------------------
    def service_level(self, kind: TicketKind, priority: TicketPriority) -> ServiceLevel | None:
        row = self.conn.execute(
            select(ticket_slas).where(
                ticket_slas.c.kind == kind.value, ticket_slas.c.priority == priority.value
            )
        ).first()
        return ServiceLevel(row.acknowledge_within_s, row.resolve_within_s) if row else None

    def set_priority(self, ticket_id: int, priority: TicketPriority, due: DueTimes) -> None:
        self.conn.execute(
            update(tickets)
            .where(tickets.c.id == ticket_id)
            .values(
                priority=priority.value,
                acknowledge_due_at_us=due.acknowledge_due_at_us,
                resolve_due_at_us=due.resolve_due_at_us,
            )
        )

    def assign(self, ticket_id: int, user_id: int | None, now_us: int) -> None:
        self.conn.execute(
            update(tickets)
            .where(tickets.c.id == ticket_id)
            .values(assigned_to=user_id, updated_at_us=now_us)
        )

    def flag_breach(self, ticket_id: int, breached: str) -> None:
        self.conn.execute(
            update(tickets).where(tickets.c.id == ticket_id).values(breached=breached)
        )

    def queue(
        self, branch_codes: Sequence[str] | None, chosen: TicketFilter, limit: int
    ) -> list[Ticket]:
        if chosen.status is None:
            query = select(tickets).where(tickets.c.status.in_([s.value for s in WAITING]))
        else:
            query = select(tickets).where(tickets.c.status == chosen.status.value)
        if chosen.priority is not None:
            query = query.where(tickets.c.priority == chosen.priority.value)
        if chosen.breached_only:
            query = query.where(tickets.c.breached.is_not(None))
        if chosen.assigned_to is not None:
            query = query.where(tickets.c.assigned_to == chosen.assigned_to)
        if branch_codes is not None:
            query = query.where(tickets.c.branch_code.in_(list(branch_codes)))
        rows = self.conn.execute(
            query.order_by(_URGENCY, tickets.c.created_at_us, tickets.c.id).limit(limit)
        )
        return [_ticket(r) for r in rows]

    def unresolved_due_before(self, now_us: int, limit: int) -> list[Ticket]:
        # The same test as the domain's breach_at, so that tickets which met their
        # service levels are not read again at every check.
        c = tickets.c
        late_acknowledge = and_(
            c.breached.is_(None),
            c.acknowledge_due_at_us < now_us,
            or_(c.acknowledged_at_us.is_(None), c.acknowledged_at_us > c.acknowledge_due_at_us),
        )
        late_resolve = and_(
            c.resolve_due_at_us < now_us,
            or_(c.resolved_at_us.is_(None), c.resolved_at_us > c.resolve_due_at_us),
        )
        query = (
            select(tickets)
            .where(or_(tickets.c.breached.is_(None), tickets.c.breached != "resolve"))
            .where(or_(late_acknowledge, late_resolve))
            .order_by(tickets.c.id)
            .limit(limit)
        )
        return [_ticket(r) for r in self.conn.execute(query)]

    def volume(
        self, branch_codes: Sequence[str] | None, from_us: int, to_us: int
    ) -> list[VolumeRow]:
        count = func.count(tickets.c.id)
        query = (
            select(tickets.c.channel, tickets.c.category, tickets.c.kind, count.label("n"))
            .where(tickets.c.created_at_us >= from_us, tickets.c.created_at_us < to_us)
            .group_by(tickets.c.channel, tickets.c.category, tickets.c.kind)
            .order_by(tickets.c.channel, tickets.c.category, tickets.c.kind)
        )
        if branch_codes is not None:
            query = query.where(tickets.c.branch_code.in_(list(branch_codes)))
        return [
            VolumeRow(r.channel, r.category, r.kind, int(r.n)) for r in self.conn.execute(query)
        ]

    def breached_between(
        self, branch_codes: Sequence[str] | None, from_us: int, to_us: int, limit: int
    ) -> list[Ticket]:
        query = select(tickets).where(
            tickets.c.breached.is_not(None),
            tickets.c.created_at_us >= from_us,
            tickets.c.created_at_us < to_us,
        )
        if branch_codes is not None:
            query = query.where(tickets.c.branch_code.in_(list(branch_codes)))
        rows = self.conn.execute(query.order_by(tickets.c.created_at_us, tickets.c.id).limit(limit))
        return [_ticket(r) for r in rows]
