"""Port of the customer tickets' store (inquiries, complaints, suggestions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ebank.domain.tickets import (
    NO_DUE_TIMES,
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
    due: DueTimes = NO_DUE_TIMES


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """What the call centre's queue shows: by status (None: all that wait for the bank),
    priority, breach (True: only breached), assigned agent, in a branch scope."""

    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    breached_only: bool = False
    assigned_to: int | None = None


@dataclass(frozen=True, slots=True)
class VolumeRow:
    channel: str
    category: str
    kind: str
    count: int


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

    # -- the call centre ------------------------------------------------------------
    def service_level(self, kind: TicketKind, priority: TicketPriority) -> ServiceLevel | None:
        """The configured acknowledge/resolve times (``ticket_slas``), if any."""
        ...

    def set_priority(self, ticket_id: int, priority: TicketPriority, due: DueTimes) -> None: ...
    def assign(self, ticket_id: int, user_id: int | None, now_us: int) -> None: ...
    def flag_breach(self, ticket_id: int, breached: str) -> None: ...
    def queue(
        self, branch_codes: Sequence[str] | None, chosen: TicketFilter, limit: int
    ) -> list[Ticket]:
        """Tickets for the agents' queue, most urgent and oldest first."""
        ...

    def unresolved_due_before(self, now_us: int, limit: int) -> list[Ticket]:
        """Tickets with a due time passed by ``now_us`` that may not be flagged yet."""
        ...

    def volume(
        self, branch_codes: Sequence[str] | None, from_us: int, to_us: int
    ) -> list[VolumeRow]:
        """How many tickets were created in [from_us, to_us) per channel, category, kind."""
        ...

    def breached_between(
        self, branch_codes: Sequence[str] | None, from_us: int, to_us: int, limit: int
    ) -> list[Ticket]:
        """Breached tickets created in [from_us, to_us), oldest first."""
        ...
