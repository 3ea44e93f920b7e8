"""The call centre's reports: how many tickets came in per channel and category in a
period, and which tickets missed a service level; both also as CSV for a spreadsheet.
For agents and supervisors of the branch scope, and auditors; reading them is audited."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from ebank.application.account_services import Audited, run_audited
from ebank.application.callcentre import AGENT_ROLES
from ebank.application.context import Context
from ebank.application.history_search import days_to_range_us
from ebank.application.ports import UnitOfWork
from ebank.application.ports_tickets import VolumeRow
from ebank.application.tickets import TicketView, ticket_view
from ebank.application.visibility import branches_in_scope
from ebank.domain.access import Actor, Role, require_role
from ebank.domain.errors import InvalidInput

REPORT_ROLES = AGENT_ROLES | {Role.AUDITOR}
MAX_PERIOD_DAYS = 366
MAX_BREACHES = 1000


@dataclass(frozen=True, slots=True)
class VolumeReport:
    first: date
    last: date
    rows: list[VolumeRow]

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rows)


@dataclass(frozen=True, slots=True)
class BreachReport:
    first: date
    last: date
    tickets: list[TicketView]


def _period(first: date, last: date, tz: tzinfo) -> tuple[int, int]:
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise InvalidInput(f"a report covers at most {MAX_PERIOD_DAYS} days")
    from_us, to_us = days_to_range_us(first, last, tz)
    assert from_us is not None and to_us is not None
    return from_us, to_us


def ticket_volume(ctx: Context, actor: Actor, first: date, last: date, tz: tzinfo) -> VolumeReport:
    """Tickets created from ``first`` to ``last`` (whole days in ``tz``), counted per
    channel, category and kind."""
    from_us, to_us = _period(first, last, tz)

    def work(uow: UnitOfWork, now: int) -> Audited[VolumeReport]:
        require_role(actor, REPORT_ROLES)
        rows = uow.tickets.volume(branches_in_scope(uow, actor), from_us, to_us)
        period = {"from": first.isoformat(), "to": last.isoformat()}
        return Audited(VolumeReport(first, last, rows), "tickets", period)

    return run_audited(ctx, actor, "ticket.report_volume", work, changes=False)


def sla_breaches(ctx: Context, actor: Actor, first: date, last: date, tz: tzinfo) -> BreachReport:
    """Tickets created from ``first`` to ``last`` that missed a service level."""
    from_us, to_us = _period(first, last, tz)

    def work(uow: UnitOfWork, now: int) -> Audited[BreachReport]:
        require_role(actor, REPORT_ROLES)
        found = uow.tickets.breached_between(
            branches_in_scope(uow, actor), from_us, to_us, MAX_BREACHES
        )
        views = [ticket_view(t, [], for_staff=True) for t in found]
        period = {"from": first.isoformat(), "to": last.isoformat(), "found": len(views)}
        return Audited(BreachReport(first, last, views), "tickets", period)

    return run_audited(ctx, actor, "ticket.report_breaches", work, changes=False)


def _csv(header: list[str], rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def volume_csv(report: VolumeReport) -> str:
    rows: list[list[object]] = [[r.channel, r.category, r.kind, r.count] for r in report.rows]
    return _csv(["channel", "category", "kind", "tickets"], rows)


def _local(at_us: int | None, tz: tzinfo) -> str:
    if at_us is None:
        return ""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=at_us)
    return moment.astimezone(tz).isoformat(timespec="seconds")


def breaches_csv(report: BreachReport, tz: tzinfo) -> str:
    """One line per breached ticket; times in ``tz`` with their offset."""
    rows: list[list[object]] = [
        [
            t.id,
            t.kind.value,
            t.category.value,
            t.priority,
            t.channel,
            t.status.value,
            t.breached or "",
            _local(t.created_at_us, tz),
            _local(t.acknowledge_due_at_us, tz),
            _local(t.resolve_due_at_us, tz),
        ]
        for t in report.tickets
    ]
    header = [
        "ticket",
        "kind",
        "category",
        "priority",
        "channel",
        "status",
        "breach",
        "created_at",
        "acknowledge_due_at",
        "resolve_due_at",
    ]
    return _csv(header, rows)
