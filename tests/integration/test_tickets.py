"""Customer tickets on both databases: a customer writes, staff of the customer's
branch scope see it in their queue and answer (audited), the customer reads the answer;
staff of another branch do not see it; notes are appended, never changed."""

from __future__ import annotations

import pytest

from e2e.api.support import add_user
from ebank.application import audit, banking, tickets
from ebank.application.ports_identity import AuditQuery
from ebank.bootstrap import Bank
from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.branches import BranchKind
from ebank.domain.errors import (
    CustomerNotFound,
    Forbidden,
    InvalidInput,
    TicketNotFound,
    TicketStatusConflict,
)
from ebank.domain.tickets import NoteKind, TicketStatus
from factories import bank_with_branch, individual


def _staff(bank: Bank, role: Role, branch: str) -> Actor:
    user = add_user(bank, role=role, branch_code=branch)
    return Actor(user.user_id, user.username, UserKind.STAFF, role, branch_code=branch)


def _customer(bank: Bank, branch: str) -> Actor:
    person = individual(bank.ctx, branch)
    user = add_user(bank, role=Role.CUSTOMER, customer_id=person.id)
    return Actor(user.user_id, user.username, UserKind.CUSTOMER, Role.CUSTOMER, person.id)


def test_a_complaint_from_writing_to_answer(bank: Bank) -> None:
    branch = bank_with_branch(bank.ctx)
    banking.add_branch(bank.ctx, "0200", "上海分行", BranchKind.BRANCH, "0001")
    me = _customer(bank, branch.code)
    teller = _staff(bank, Role.TELLER, branch.code)
    elsewhere = _staff(bank, Role.SUPERVISOR, "0200")

    made = tickets.create_ticket(
        bank.ctx, me, kind="complaint", category="fees", subject=" A fee? ", body="Why?\nPlease."
    )
    assert (made.status, made.subject, made.priority) == (TicketStatus.OPEN, "A fee?", "high")
    assert made.created_at_us == bank.ctx.clock.now_us()

    queue = tickets.waiting_tickets(bank.ctx, teller)
    assert [t.id for t in queue] == [made.id]
    assert tickets.waiting_tickets(bank.ctx, elsewhere) == []
    with pytest.raises(TicketNotFound):
        tickets.answer_ticket(bank.ctx, elsewhere, made.id, "not yours")

    bank.ctx.clock.advance(60)  # type: ignore[attr-defined]
    answered = tickets.answer_ticket(bank.ctx, teller, made.id, "It is the SMS fee.")
    assert answered.status is TicketStatus.ANSWERED
    assert tickets.waiting_tickets(bank.ctx, teller) == []
    with pytest.raises(TicketStatusConflict):
        tickets.answer_ticket(bank.ctx, teller, made.id, "twice")

    assert me.customer_id is not None
    (mine,) = tickets.tickets_of_customer(bank.ctx, me, me.customer_id)
    assert [(n.kind, n.text) for n in mine.notes] == [(NoteKind.ANSWER, "It is the SMS fee.")]
    (seen,) = tickets.tickets_of_customer(bank.ctx, teller, me.customer_id)
    assert [n.kind for n in seen.notes] == [NoteKind.ANSWER, NoteKind.STATUS]

    trail = audit.search(bank.ctx, AuditQuery(action="ticket.answer"))
    assert {(e.actor, e.target, e.outcome) for e in trail.entries} == {
        (teller.username, f"ticket:{made.id}", "ok"),
        (teller.username, f"ticket:{made.id}", "ticket_status_conflict"),
        (elsewhere.username, f"ticket:{made.id}", "ticket_not_found"),
    }
    assert len(trail.entries) == 3
    assert all("SMS" not in str(e.details) for e in trail.entries)


def test_refusals(bank: Bank) -> None:
    branch = bank_with_branch(bank.ctx)
    me = _customer(bank, branch.code)
    other = _customer(bank, branch.code)
    teller = _staff(bank, Role.TELLER, branch.code)
    for kind, category, subject in (
        ("praise", "fees", "x"),
        ("inquiry", "weather", "x"),
        ("inquiry", "fees", "   "),
        ("inquiry", "fees", "bell\x07"),
    ):
        with pytest.raises(InvalidInput):
            tickets.create_ticket(
                bank.ctx, me, kind=kind, category=category, subject=subject, body="b"
            )
    with pytest.raises(Forbidden):
        tickets.create_ticket(
            bank.ctx, teller, kind="inquiry", category="fees", subject="s", body="b"
        )
    assert other.customer_id is not None
    with pytest.raises(CustomerNotFound):
        tickets.tickets_of_customer(bank.ctx, me, other.customer_id)
    with pytest.raises(TicketNotFound):
        tickets.answer_ticket(bank.ctx, teller, 999_999, "nobody")
