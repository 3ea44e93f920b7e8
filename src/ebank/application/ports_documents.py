"""The port of documents a channel asked for and a worker sends: statement jobs queued
by the telephone banking menu, and the mail/fax gateway that delivers their PDFs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class NewDocumentJob:
    kind: str  # "statement"
    customer_id: int
    account_id: int
    period_from: str  # ISO date, first day
    period_to: str  # ISO date, last day
    delivery: str  # "email" | "fax"
    destination: str  # a fax number, or the customer's address on file


@dataclass(frozen=True, slots=True)
class DocumentJob:
    id: int
    kind: str
    customer_id: int
    account_id: int
    period_from: str
    period_to: str
    delivery: str
    destination: str
    status: str  # queued | done | failed
    attempts: int
    created_at_us: int


class DocumentJobStore(Protocol):
    def add_job(self, job: NewDocumentJob, now_us: int) -> int: ...
    def queued_jobs(self, limit: int) -> list[DocumentJob]:
        """The oldest queued jobs, locked against a second worker (PostgreSQL)."""
        ...

    def job(self, job_id: int) -> DocumentJob | None: ...
    def finish_job(self, job_id: int, status: str, error: str | None, now_us: int) -> None:
        """Record a try: ``done``, ``failed`` for good, or ``queued`` to try again."""
        ...


class MailFaxGateway(Protocol):
    """Sends a document by e-mail or fax; raises ``DeliveryFailed`` when it cannot."""

    def send(self, delivery: str, destination: str, subject: str, filename: str, pdf: bytes) -> str:
        """Hand the document over; returns the gateway's reference for it."""
        ...


class DeliveryFailed(Exception):
    """The gateway refused or could not take the document (an outside-world failure,
    not a business outcome: the job is tried again)."""
