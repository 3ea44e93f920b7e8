"""Customer tickets: inquiries, complaints and suggestions sent to the call centre from
any channel, followed by the customer until the bank answers and closes them.

Pure rules: which kinds, categories and priorities exist, the priority a new ticket
gets, and which status changes are allowed. A ticket's history (notes, answers, status
changes) is only ever appended to.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from ebank.domain.errors import InvalidInput, TicketStatusConflict

MAX_SUBJECT_LENGTH = 200
MAX_BODY_LENGTH = 4000
MAX_NOTE_LENGTH = 4000
E = TypeVar("E", bound=StrEnum)


class TicketKind(StrEnum):
    INQUIRY = "inquiry"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"


class TicketCategory(StrEnum):
    ACCOUNTS = "accounts"
    TRANSFERS = "transfers"
    CARDS = "cards"
    ONLINE_BANKING = "online_banking"
    FEES = "fees"
    SERVICE = "service"
    OTHER = "other"


class TicketPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"


class NoteKind(StrEnum):
    NOTE = "note"  # staff only
    ANSWER = "answer"  # from the bank, shown to the customer
    STATUS = "status"  # a status change
    CUSTOMER = "customer"  # from the customer


# Which status changes are allowed. An answered ticket opens again when the customer
# writes back or an agent reopens it; a closed one stays closed (a new ticket is the way on).
TRANSITIONS: frozenset[tuple[TicketStatus, TicketStatus]] = frozenset(
    {
        (TicketStatus.OPEN, TicketStatus.ACKNOWLEDGED),
        (TicketStatus.OPEN, TicketStatus.IN_PROGRESS),
        (TicketStatus.OPEN, TicketStatus.ANSWERED),
        (TicketStatus.ACKNOWLEDGED, TicketStatus.IN_PROGRESS),
        (TicketStatus.ACKNOWLEDGED, TicketStatus.ANSWERED),
        (TicketStatus.IN_PROGRESS, TicketStatus.ANSWERED),
        (TicketStatus.ANSWERED, TicketStatus.OPEN),
        (TicketStatus.ANSWERED, TicketStatus.CLOSED),
        (TicketStatus.OPEN, TicketStatus.CLOSED),
        (TicketStatus.ACKNOWLEDGED, TicketStatus.CLOSED),
        (TicketStatus.IN_PROGRESS, TicketStatus.CLOSED),
    }
)
# Statuses that still wait for the bank.
WAITING = frozenset({TicketStatus.OPEN, TicketStatus.ACKNOWLEDGED, TicketStatus.IN_PROGRESS})


def check_transition(current: TicketStatus, new: TicketStatus) -> None:
    if (current, new) not in TRANSITIONS:
        raise TicketStatusConflict(f"a ticket cannot go from {current} to {new}")


def initial_priority(kind: TicketKind, category: TicketCategory) -> TicketPriority:
    """Complaints about money are looked at first; suggestions can wait."""
    if kind is TicketKind.COMPLAINT:
        money = category in (TicketCategory.TRANSFERS, TicketCategory.CARDS, TicketCategory.FEES)
        return TicketPriority.HIGH if money else TicketPriority.NORMAL
    if kind is TicketKind.SUGGESTION:
        return TicketPriority.LOW
    return TicketPriority.NORMAL


def parse_choice(enum: type[E], value: str, what: str) -> E:
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(e.value for e in enum)
        raise InvalidInput(f"unknown {what} {value!r}: one of {known}") from None


def clean_text(text: str, limit: int, what: str) -> str:
    """Text as kept: stripped, 1 to ``limit`` characters, no control characters but
    line breaks and tabs."""
    cleaned = text.strip()
    if not 1 <= len(cleaned) <= limit:
        raise InvalidInput(f"the {what} must be 1 to {limit} characters")
    if any(ord(c) < 32 and c not in "\n\r\t" for c in cleaned):
        raise InvalidInput(f"the {what} holds control characters")
    return cleaned


@dataclass(frozen=True, slots=True)
class TicketNote:
    id: int
    kind: NoteKind
    text: str
    at_us: int
    author_id: int | None


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    customer_id: int | None
    branch_code: str | None
    kind: TicketKind
    channel: str
    category: TicketCategory
    priority: TicketPriority
    subject: str
    body: str
    status: TicketStatus
    created_by: int | None
    created_at_us: int
    updated_at_us: int
    acknowledged_at_us: int | None = None
    resolved_at_us: int | None = None
    assigned_to: int | None = None
    acknowledge_due_at_us: int | None = None
    resolve_due_at_us: int | None = None
    breached: str | None = None


# -- service levels ---------------------------------------------------------------------
class Breach(StrEnum):
    """Which service level a ticket missed; the resolve breach supersedes the other."""

    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


@dataclass(frozen=True, slots=True)
class ServiceLevel:
    acknowledge_within_s: int
    resolve_within_s: int


@dataclass(frozen=True, slots=True)
class DueTimes:
    acknowledge_due_at_us: int | None
    resolve_due_at_us: int | None


NO_DUE_TIMES = DueTimes(None, None)


def due_times(level: ServiceLevel | None, created_at_us: int) -> DueTimes:
    """When a ticket created at ``created_at_us`` must be acknowledged and resolved by
    (counted from its creation, also when its priority changes later)."""
    if level is None:
        return NO_DUE_TIMES
    return DueTimes(
        created_at_us + level.acknowledge_within_s * 1_000_000,
        created_at_us + level.resolve_within_s * 1_000_000,
    )


def breach_at(ticket: Ticket, now_us: int) -> Breach | None:
    """The service level ``ticket`` has missed by ``now_us``, if any: not resolved
    (answered or closed) by its resolve time, or not acknowledged (or taken any further)
    by its acknowledge time. The store stamps ``acknowledged_at_us`` on the first step
    past ``open`` and clears ``resolved_at_us`` when a ticket reopens."""
    resolve_due = ticket.resolve_due_at_us
    if resolve_due is not None:
        resolved_at = ticket.resolved_at_us
        if (resolved_at is None and now_us > resolve_due) or (
            resolved_at is not None and resolved_at > resolve_due
        ):
            return Breach.RESOLVE
    acknowledge_due = ticket.acknowledge_due_at_us
    if acknowledge_due is not None:
        acknowledged_at = ticket.acknowledged_at_us
        if (acknowledged_at is None and now_us > acknowledge_due) or (
            acknowledged_at is not None and acknowledged_at > acknowledge_due
        ):
            return Breach.ACKNOWLEDGE
    return None


def worse_breach(flagged: str | None, found: Breach | None) -> str | None:
    """The breach to keep: resolve over acknowledge, and never un-flag one."""
    if found is Breach.RESOLVE or flagged == Breach.RESOLVE.value:
        return Breach.RESOLVE.value
    if found is not None:
        return found.value
    return flagged
