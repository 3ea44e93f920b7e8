"""Service levels of tickets, pure: due times from a level, and which level a ticket
missed at a given time (acknowledge, resolve; the resolve breach is the one kept)."""

from __future__ import annotations

from dataclasses import replace

from ebank.domain.tickets import (
    Breach,
    ServiceLevel,
    Ticket,
    TicketCategory,
    TicketKind,
    TicketPriority,
    TicketStatus,
    breach_at,
    due_times,
    worse_breach,
)

S = 1_000_000
DAY = 86_400 * S


def _ticket(**changes: object) -> Ticket:
    due = due_times(ServiceLevel(86_400, 5 * 86_400), 0)
    base = Ticket(
        id=1,
        customer_id=1,
        branch_code="0101",
        kind=TicketKind.COMPLAINT,
        channel="ivr",
        category=TicketCategory.SERVICE,
        priority=TicketPriority.NORMAL,
        subject="s",
        body="b",
        status=TicketStatus.OPEN,
        created_by=None,
        created_at_us=0,
        updated_at_us=0,
        acknowledge_due_at_us=due.acknowledge_due_at_us,
        resolve_due_at_us=due.resolve_due_at_us,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_due_times_count_from_creation() -> None:
    due = due_times(ServiceLevel(3600, 7200), 10 * S)
    assert (due.acknowledge_due_at_us, due.resolve_due_at_us) == (3610 * S, 7210 * S)
    assert due_times(None, 10 * S).resolve_due_at_us is None


def test_breaches_at_a_given_time() -> None:
    assert breach_at(_ticket(), DAY) is None  # exactly at the due time is in time
    assert breach_at(_ticket(), DAY + 1) is Breach.ACKNOWLEDGE
    acknowledged = _ticket(status=TicketStatus.ACKNOWLEDGED, acknowledged_at_us=DAY - 1)
    assert breach_at(acknowledged, 5 * DAY) is None
    assert breach_at(acknowledged, 5 * DAY + 1) is Breach.RESOLVE
    late = _ticket(status=TicketStatus.ACKNOWLEDGED, acknowledged_at_us=DAY + 1)
    assert breach_at(late, 2 * DAY) is Breach.ACKNOWLEDGE
    answered_late = replace(acknowledged, status=TicketStatus.ANSWERED, resolved_at_us=6 * DAY)
    assert breach_at(answered_late, 7 * DAY) is Breach.RESOLVE
    in_time = replace(acknowledged, status=TicketStatus.CLOSED, resolved_at_us=2 * DAY)
    assert breach_at(in_time, 30 * DAY) is None
    assert breach_at(_ticket(acknowledge_due_at_us=None, resolve_due_at_us=None), 99 * DAY) is None


def test_a_flagged_breach_is_never_lowered() -> None:
    assert worse_breach(None, Breach.ACKNOWLEDGE) == "acknowledge"
    assert worse_breach("acknowledge", Breach.RESOLVE) == "resolve"
    assert worse_breach("resolve", Breach.ACKNOWLEDGE) == "resolve"
    assert worse_breach("acknowledge", None) == "acknowledge"
