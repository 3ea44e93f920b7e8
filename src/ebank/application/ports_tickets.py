"""Port of the customer tickets' store (inquiries, complaints, suggestions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ebank.domain.tickets import (
    NoteKind,
    Ticket,
    TicketCategory,
    TicketKind,
    TicketNote,
    TicketPriority,
    TicketStatus,
)


@dataclass(frozen=True, slots=True)
class NewTicket:
    customer_id: int | None
    branch_code: str | None
    kind: TicketKind
    channel: str
    category: TicketCategory
    priority: TicketPriority
    subject: str
    body: str
    created_by: int | None


class TicketStore(Protocol):
    def add(self, ticket: NewTicket, now_us: int) -> Ticket: ...
    def get(self, ticket_id: int, lock: bool = False) -> Ticket | None:
        """The ticket; ``lock`` holds it against concurrent change until the unit of
        work ends."""
        ...

    def for_customer(self, customer_id: int, limit: int) -> list[Ticket]:
        """The customer's tickets, newest first."""
        ...

    def waiting(self, branch_codes: Sequence[str] | None, limit: int) -> list[Ticket]:
        """Tickets that wait for the bank, of customers of ``branch_codes`` (None: all),
        most urgent and oldest first."""
        ...

    def set_status(self, ticket_id: int, status: TicketStatus, now_us: int) -> None: ...
    def add_note(
        self, ticket_id: int, kind: NoteKind, text: str, author_id: int | None, now_us: int
    ) -> TicketNote:
        """Append to the ticket's history (never edited, never deleted)."""
        ...

    def notes(self, ticket_ids: Sequence[int]) -> dict[int, list[TicketNote]]:
        """Each ticket's notes, oldest first."""
        ...
