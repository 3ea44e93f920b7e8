"""Remote monitoring of terminals: what they report (over ISO 8583 network management
or HTTP), the periodic check that finds silent terminals and low cash, alarms raised
and cleared, acknowledged by operators, and notified through the outbox in the same
unit of work as the alarm (a rolled-back alarm sends nothing).

The rules are in ``domain.monitoring``; the clock is the context's; night is judged in
the bank's time zone (``MonitoringPolicy.timezone``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ebank.application import audit
from ebank.application.account_services import Audited, run_audited
from ebank.application.context import Context
from ebank.application.ports import UnitOfWork
from ebank.application.ports_terminals import AlarmRecord, NewAlarm, TerminalRecord
from ebank.application.terminals import (
    MAX_TERMINALS_LISTED,
    TERMINAL_ROLES,
    TerminalView,
    list_terminals,
    terminal_or_refuse,
)
from ebank.application.visibility import branches_in_scope, check_branch
from ebank.domain.access import Actor, require_role
from ebank.domain.errors import AlarmNotFound, AlarmNotOpen
from ebank.domain.monitoring import (
    MAX_DETAIL,
    AlarmKind,
    AlarmStatus,
    Finding,
    MonitoringPolicy,
    Report,
    Severity,
    TerminalSnapshot,
    is_night,
    parse_report,
    periodic_findings,
    report_effect,
    severity,
)
from ebank.domain.terminals import TerminalStatus

Alarm = AlarmRecord
DEFAULT_POLICY = MonitoringPolicy()
MAX_ALARMS_LISTED = 500


def night_at(now_us: int, policy: MonitoringPolicy) -> bool:
    local = datetime.fromtimestamp(now_us / 1_000_000, UTC).astimezone(ZoneInfo(policy.timezone))
    return is_night(local.time(), policy)


def _notify(uow: UnitOfWork, alarm: AlarmRecord, where: str, policy: MonitoringPolicy) -> None:
    """Queue the alarm's notifications in the caller's unit of work: an e-mail to the
    operations centre, and an SMS to the duty phone when it is critical."""
    subject = f"[{alarm.severity.value}] ATM alarm {alarm.terminal_id}: {alarm.kind.value}"
    body = f"{alarm.terminal_id} ({where}): {alarm.detail}"
    payload = {"alarm_id": alarm.alarm_id, "subject": subject, "body": body}
    uow.terminals.add_message("email", policy.alarm_email, json.dumps(payload), alarm.raised_at_us)
    if alarm.severity is Severity.CRITICAL:
        uow.terminals.add_message("sms", policy.alarm_sms, json.dumps(payload), alarm.raised_at_us)


def _raise(
    uow: UnitOfWork,
    record: TerminalRecord,
    finding: Finding,
    now: int,
    night: bool,
    policy: MonitoringPolicy,
) -> AlarmRecord | None:
    """Raise the alarm unless one of its kind is already active on the terminal."""
    new = NewAlarm(
        terminal_id=record.terminal_id,
        kind=finding.kind,
        severity=severity(finding.kind, night),
        detail=finding.detail[:MAX_DETAIL] or finding.kind.value,
        raised_at_us=now,
    )
    alarm_id = uow.terminals.add_alarm(new)
    if alarm_id is None:
        return None
    alarm = uow.terminals.alarm(alarm_id)
    assert alarm is not None
    _notify(uow, alarm, record.location, policy)
    return alarm


def _clear(uow: UnitOfWork, terminal_id: str, kinds: frozenset[AlarmKind], now: int) -> None:
    for alarm in uow.terminals.active_alarms(terminal_id):
        if alarm.kind in kinds:
            uow.terminals.clear_alarm(alarm.alarm_id, now)


# -- what terminals report ---------------------------------------------------------------
def report_status(
    ctx: Context,
    terminal_id: str,
    kind: str,
    detail: str = "",
    *,
    policy: MonitoringPolicy = DEFAULT_POLICY,
) -> list[Alarm]:
    """A terminal reports ``kind`` (heartbeat, cash_low, fault, door_open, door_closed,
    recovered): its state and last-seen time change, the alarm it means is raised (and
    notified) and those it ends are cleared. Returns the alarms raised."""
    report = parse_report(kind)
    now = ctx.clock.now_us()
    night = night_at(now, policy)
    with ctx.uow() as uow:
        record = terminal_or_refuse(uow, terminal_id, lock=True)
        effect = report_effect(record.state, report)
        uow.terminals.set_state(terminal_id, effect.state, now)
        if report is not Report.HEARTBEAT:  # heartbeats only move last_seen
            uow.terminals.add_event(terminal_id, report.value, detail[:MAX_DETAIL], now)
        _clear(uow, terminal_id, effect.clears, now)
        raised = []
        if effect.raises is not None:
            finding = Finding(effect.raises, detail.strip() or f"reported {report.value}")
            alarm = _raise(uow, record, finding, now, night, policy)
            if alarm is not None:
                raised.append(alarm)
        uow.commit()
    return raised


def heartbeat(ctx: Context, terminal_id: str) -> None:
    """The terminal is alive (an ISO 8583 echo, 0800 with code 301, or an HTTP report)."""
    report_status(ctx, terminal_id, Report.HEARTBEAT.value)


def _sign(ctx: Context, terminal_id: str, signed_on: bool) -> None:
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        terminal_or_refuse(uow, terminal_id, lock=True)
        uow.terminals.set_signed_on(terminal_id, signed_on, now)
        uow.terminals.add_event(terminal_id, "sign_on" if signed_on else "sign_off", "", now)
        _clear(uow, terminal_id, frozenset({AlarmKind.SILENT}), now)
        uow.commit()


def sign_on(ctx: Context, terminal_id: str) -> None:
    """0800 with code 001: the terminal starts transacting."""
    _sign(ctx, terminal_id, True)


def sign_off(ctx: Context, terminal_id: str) -> None:
    """0800 with code 002: the terminal stops transacting (its cash is still watched)."""
    _sign(ctx, terminal_id, False)


# -- the periodic check ------------------------------------------------------------------
def check_alarms(ctx: Context, *, policy: MonitoringPolicy = DEFAULT_POLICY) -> list[Alarm]:
    """Look at every active terminal: raise the alarms it now warrants (silent past the
    threshold of the hour, cash low by its cassettes or its report) and clear those it
    no longer does. One unit of work; returns the alarms raised."""
    now = ctx.clock.now_us()
    night = night_at(now, policy)
    raised: list[Alarm] = []
    with ctx.uow() as uow:
        every = uow.terminals.all_terminals(MAX_TERMINALS_LISTED)
        records = [r for r in every if r.status is TerminalStatus.ACTIVE]
        cassettes = uow.terminals.cassettes_of([r.terminal_id for r in records])
        for record in records:
            snapshot = TerminalSnapshot(
                terminal_id=record.terminal_id,
                kind=record.kind,
                status=record.status,
                signed_on=record.signed_on,
                state=record.state,
                last_seen_at_us=record.last_seen_at_us,
                created_at_us=record.created_at_us,
                cassettes=cassettes.get(record.terminal_id, ()),
            )
            findings, clears = periodic_findings(snapshot, now, night, policy)
            _clear(uow, record.terminal_id, clears, now)
            for finding in findings:
                alarm = _raise(uow, record, finding, now, night, policy)
                if alarm is not None:
                    raised.append(alarm)
        uow.commit()
    return raised


# -- operators ---------------------------------------------------------------------------
def acknowledge(ctx: Context, actor: Actor | None, alarm_id: int, *, by: str = "") -> Alarm:
    """An operator takes the alarm on (audited); it stays active until it clears.
    ``actor=None`` is an operator at the command line, named by ``by``."""
    if actor is not None:
        require_role(actor, TERMINAL_ROLES)

    def work(uow: UnitOfWork, now: int) -> Audited[Alarm]:
        alarm = uow.terminals.alarm(alarm_id, lock=True)
        if alarm is None:
            raise AlarmNotFound(f"no alarm {alarm_id}")
        record = terminal_or_refuse(uow, alarm.terminal_id)
        if actor is not None:
            check_branch(uow, actor, record.branch_code)
        if alarm.status is not AlarmStatus.OPEN:
            raise AlarmNotOpen(f"alarm {alarm_id} is {alarm.status.value}")
        uow.terminals.acknowledge_alarm(alarm_id, actor.user_id if actor else None, now)
        done = uow.terminals.alarm(alarm_id)
        assert done is not None
        details = {"terminal": alarm.terminal_id, "kind": alarm.kind.value}
        return Audited(done, f"alarm:{alarm_id}", details)

    if actor is not None:
        return run_audited(
            ctx, actor, "alarm.acknowledge", work, changes=True, refused_target=f"alarm:{alarm_id}"
        )
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        done = work(uow, now)
        audit.record(
            uow,
            actor=None,
            actor_name=by[:64],
            action="alarm.acknowledge",
            target=done.target,
            details=done.details,
            now_us=now,
        )
        uow.commit()
    return done.value


def list_alarms(ctx: Context, actor: Actor | None, *, active_only: bool = True) -> list[Alarm]:
    """Active alarms oldest first (or the latest of every status, newest first), of the
    terminals the actor reaches."""
    if actor is not None:
        require_role(actor, TERMINAL_ROLES)
    with ctx.read() as uow:
        found = (
            uow.terminals.active_alarms()
            if active_only
            else uow.terminals.recent_alarms(MAX_ALARMS_LISTED)
        )
        if actor is None:
            return found[:MAX_ALARMS_LISTED]
        scope = branches_in_scope(uow, actor)
        if scope is None:
            return found[:MAX_ALARMS_LISTED]
        every = uow.terminals.all_terminals(MAX_TERMINALS_LISTED)
        branch_of = {t.terminal_id: t.branch_code for t in every}
        return [a for a in found if branch_of.get(a.terminal_id) in scope][:MAX_ALARMS_LISTED]


@dataclass(frozen=True, slots=True)
class OperationsView:
    """The monitoring centre's screen: every terminal, and the alarms still active."""

    terminals: list[TerminalView]
    alarms: list[Alarm]


def operations_view(ctx: Context, actor: Actor | None) -> OperationsView:
    return OperationsView(list_terminals(ctx, actor), list_alarms(ctx, actor))
