"""The ticket rules: priorities by kind, allowed status changes, clean text."""

from __future__ import annotations

import pytest

from ebank.domain.errors import InvalidInput, TicketStatusConflict
from ebank.domain.tickets import (
    TicketCategory,
    TicketKind,
    TicketPriority,
    TicketStatus,
    check_transition,
    clean_text,
    initial_priority,
    parse_choice,
)


def test_priorities_follow_the_kind_and_what_it_is_about() -> None:
    assert initial_priority(TicketKind.COMPLAINT, TicketCategory.TRANSFERS) is TicketPriority.HIGH
    assert initial_priority(TicketKind.COMPLAINT, TicketCategory.SERVICE) is TicketPriority.NORMAL
    assert initial_priority(TicketKind.INQUIRY, TicketCategory.CARDS) is TicketPriority.NORMAL
    assert initial_priority(TicketKind.SUGGESTION, TicketCategory.FEES) is TicketPriority.LOW


def test_a_closed_ticket_stays_closed_and_an_answered_one_may_open_again() -> None:
    check_transition(TicketStatus.OPEN, TicketStatus.ANSWERED)
    check_transition(TicketStatus.ANSWERED, TicketStatus.OPEN)
    for new in TicketStatus:
        with pytest.raises(TicketStatusConflict):
            check_transition(TicketStatus.CLOSED, new)
    with pytest.raises(TicketStatusConflict):
        check_transition(TicketStatus.ANSWERED, TicketStatus.ANSWERED)


def test_text_and_choices_are_checked() -> None:
    assert clean_text("  two\nlines\t ", 20, "body") == "two\nlines"
    for bad in ("", "   ", "x" * 21, "nul\x00"):
        with pytest.raises(InvalidInput):
            clean_text(bad, 20, "body")
    assert parse_choice(TicketKind, "inquiry", "kind") is TicketKind.INQUIRY
    with pytest.raises(InvalidInput, match="one of inquiry, complaint, suggestion"):
        parse_choice(TicketKind, "praise", "kind")
