"""The Bank API: the audit trail, read and verified (auditors and admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ebank.application import audit
from ebank.application.ports_identity import AuditQuery
from ebank.domain.access import Role
from ebank.domain.audit import AuditEntry
from ebank.domain.errors import InvalidInput
from ebank.entrypoints.api.deps import CtxDep, route

router = APIRouter(tags=["audit"])

AUDIT_READERS = {Role.AUDITOR, Role.ADMIN}


class AuditEntryOut(BaseModel):
    seq: int
    at_us: int
    actor_id: int | None
    actor: str
    action: str
    target: str
    outcome: str
    details: str = Field(description="The entry's details as canonical JSON")
    client_address: str
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls(
            seq=entry.seq,
            at_us=entry.at_us,
            actor_id=entry.actor_id,
            actor=entry.actor,
            action=entry.action,
            target=entry.target,
            outcome=entry.outcome,
            details=entry.details,
            client_address=entry.client_address,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )


class AuditPageOut(BaseModel):
    entries: list[AuditEntryOut]
    next_before_seq: int | None = Field(description="Pass as before_seq for older entries")


def _us(moment: datetime | None, name: str) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise InvalidInput(f"{name} needs a UTC offset, e.g. 2026-11-02T09:00:00+08:00")
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


@route(router, "GET", "/audit", roles=AUDIT_READERS, response_model=AuditPageOut)
def read_audit(
    ctx: CtxDep,
    actor_id: Annotated[int | None, Query(ge=0)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="From (inclusive), ISO 8601")] = None,
    until: Annotated[datetime | None, Query(description="To (exclusive), ISO 8601")] = None,
    before_seq: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 50,
) -> AuditPageOut:
    """Audit entries, newest first, filtered by actor, action and time."""
    page = audit.search(
        ctx,
        AuditQuery(
            actor_id=actor_id,
            action=action,
            from_us=_us(since, "since"),
            to_us=_us(until, "until"),
            before_seq=before_seq,
            limit=limit,
        ),
    )
    return AuditPageOut(
        entries=[AuditEntryOut.of(e) for e in page.entries], next_before_seq=page.next_cursor
    )


class ChainProblemOut(BaseModel):
    seq: int
    kind: str
    message: str


class AuditReportOut(BaseModel):
    ok: bool
    entries: int
    head_seq: int
    head_hash: str = Field(description="Keep it elsewhere: a later check can compare")
    problems: list[ChainProblemOut]


@route(router, "GET", "/audit/verify", roles=AUDIT_READERS, response_model=AuditReportOut)
def verify_audit(ctx: CtxDep) -> AuditReportOut:
    """Check the whole hash chain: any edited, inserted or deleted entry is reported."""
    report = audit.verify(ctx)
    return AuditReportOut(
        ok=report.ok,
        entries=report.entries,
        head_seq=report.head.seq,
        head_hash=report.head.hash,
        problems=[
            ChainProblemOut(seq=p.seq, kind=p.kind.value, message=p.message)
            for p in report.problems
        ],
    )
