"""The call centre on both databases: a ticket opened by a channel for a customer who is
not signed in (with the caller's context as a staff note), SLA due times from the seeded
service levels, breaches flagged by a check run for an explicit time (FixedClock), the
agents' workflow (assign, acknowledge, in progress, answer, close, reopen), and every
staff step audited."""

from __future__ import annotations

import pytest

from e2e.api.support import add_user
from ebank.application import audit, callcentre, tickets
from ebank.application.ports_identity import AuditQuery
from ebank.bootstrap import Bank
from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.errors import CustomerNotFound, Forbidden, TicketStatusConflict
from ebank.domain.tickets import NoteKind, TicketStatus
from factories import bank_with_branch, individual

HOUR_US = 3600 * 1_000_000
DAY_US = 24 * HOUR_US


def _staff(bank: Bank, role: Role, branch: str) -> Actor:
    user = add_user(bank, role=role, branch_code=branch)
    return Actor(user.user_id, user.username, UserKind.STAFF, role, branch_code=branch)


def _trail(bank: Bank, target: str) -> list[tuple[str, str, str]]:
    """(actor, action, outcome) of the entries about ``target``, oldest first."""
    page = audit.search(bank.ctx, AuditQuery(limit=200))
    about = sorted((e for e in page.entries if e.target == target), key=lambda e: e.seq)
    return [(e.actor, e.action, e.outcome) for e in about]


def test_a_channel_ticket_carries_context_and_due_times(bank: Bank) -> None:
    branch = bank_with_branch(bank.ctx)
    person = individual(bank.ctx, branch.code)
    now = bank.ctx.clock.now_us()

    made = tickets.create_ticket_for_customer(
        bank.ctx,
        person.id,
        kind="complaint",
        category="service",
        subject="Called about a fee",
        body="The caller asked for an agent.",
        channel="ivr",
        context="balance heard; transfer cancelled",
    )
    assert (made.status, made.priority, made.channel) == (TicketStatus.OPEN, "normal", "ivr")
    assert made.acknowledge_due_at_us == now + DAY_US  # a complaint: 24 hours
    assert made.resolve_due_at_us == now + 5 * DAY_US  # and 5 days
    assert [(n.kind, n.text) for n in made.notes] == [
        (NoteKind.NOTE, "balance heard; transfer cancelled")
    ]
    assert _trail(bank, f"ticket:{made.id}") == [("channel:ivr", "ticket.create", "ok")]
    with pytest.raises(CustomerNotFound):
        tickets.create_ticket_for_customer(
            bank.ctx,
            999_999,
            kind="inquiry",
            category="other",
            subject="x",
            body="y",
            channel="sms",
        )


def test_sla_breaches_with_a_fixed_clock(bank: Bank) -> None:
    branch = bank_with_branch(bank.ctx)
    person = individual(bank.ctx, branch.code)
    agent = _staff(bank, Role.OPERATIONS, branch.code)
    clock = bank.ctx.clock
    made = tickets.create_ticket_for_customer(
        bank.ctx,
        person.id,
        kind="complaint",
        category="service",
        subject="Rude",
        body="Rude clerk",
        channel="sms",
    )
    clock.advance(23 * 3600)  # type: ignore[attr-defined]
    assert callcentre.check_slas(bank.ctx, clock.now_us()) == {}
    clock.advance(2 * 3600)  # type: ignore[attr-defined]
    assert callcentre.check_slas(bank.ctx, clock.now_us()) == {made.id: "acknowledge"}
    assert callcentre.check_slas(bank.ctx, clock.now_us()) == {}  # flagged once
    seen = callcentre.queue(bank.ctx, agent, breached_only=True)
    assert [(t.id, t.breached) for t in seen] == [(made.id, "acknowledge")]

    callcentre.change_status(bank.ctx, agent, made.id, "acknowledged")
    clock.advance(5 * 24 * 3600)  # type: ignore[attr-defined]
    assert callcentre.check_slas(bank.ctx, clock.now_us()) == {made.id: "resolve"}
    assert callcentre.ticket(bank.ctx, agent, made.id).breached == "resolve"
    assert callcentre.check_slas(bank.ctx, clock.now_us()) == {}


def test_the_agents_workflow_is_audited(bank: Bank) -> None:
    branch = bank_with_branch(bank.ctx)
    person = individual(bank.ctx, branch.code)
    agent = _staff(bank, Role.OPERATIONS, branch.code)
    supervisor = _staff(bank, Role.SUPERVISOR, branch.code)
    auditor = _staff(bank, Role.AUDITOR, branch.code)
    made = tickets.create_ticket_for_customer(
        bank.ctx,
        person.id,
        kind="inquiry",
        category="cards",
        subject="Card?",
        body="Where is my card?",
        channel="sms",
    )
    assert made.priority == "normal"
    with pytest.raises(Forbidden):
        callcentre.assign(bank.ctx, auditor, made.id, agent.user_id)

    callcentre.assign(bank.ctx, supervisor, made.id, agent.user_id)
    raised = callcentre.change_priority(bank.ctx, supervisor, made.id, "urgent")
    assert raised.acknowledge_due_at_us == made.created_at_us + HOUR_US  # inquiry, urgent
    mine = callcentre.queue(bank.ctx, agent, assigned_to=agent.user_id)
    assert [t.id for t in mine] == [made.id]
    callcentre.add_note(bank.ctx, agent, made.id, "Checked the courier.")
    callcentre.change_status(bank.ctx, agent, made.id, "in_progress")
    with pytest.raises(TicketStatusConflict):
        callcentre.change_status(bank.ctx, agent, made.id, "acknowledged")
    tickets.answer_ticket(bank.ctx, agent, made.id, "It is on its way.")
    reopened = callcentre.change_status(bank.ctx, supervisor, made.id, "open")
    assert (reopened.status, reopened.breached) == (TicketStatus.OPEN, None)
    closed = callcentre.change_status(bank.ctx, agent, made.id, "closed")
    kinds = [n.kind for n in closed.notes]
    assert kinds.count(NoteKind.STATUS) == 4  # in progress, answered, open, closed
    assert NoteKind.NOTE in kinds
    with pytest.raises(TicketStatusConflict):  # a closed ticket stays closed
        callcentre.change_status(bank.ctx, supervisor, made.id, "open")

    name, boss = agent.username, supervisor.username
    assert _trail(bank, f"ticket:{made.id}") == [
        ("channel:sms", "ticket.create", "ok"),
        (auditor.username, "ticket.assign", "forbidden"),
        (boss, "ticket.assign", "ok"),
        (boss, "ticket.priority", "ok"),
        (name, "ticket.note", "ok"),
        (name, "ticket.status", "ok"),
        (name, "ticket.status", "ticket_status_conflict"),
        (name, "ticket.answer", "ok"),
        (boss, "ticket.status", "ok"),
        (name, "ticket.status", "ok"),
        (boss, "ticket.status", "ticket_status_conflict"),
    ]
