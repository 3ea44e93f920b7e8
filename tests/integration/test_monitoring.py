"""Monitoring on SQLite and PostgreSQL: reports raise alarms (one active per terminal
and kind), stricter at night; the periodic check finds silent terminals and low cash;
operators acknowledge (audited); recoveries and loads clear; every alarm is notified
through the outbox in its own transaction (a rolled-back one leaves no row), and the
relay marks each message sent once, however often and however concurrently it runs."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import pytest

from ebank.adapters.clock import FixedClock
from ebank.application import atm_cash, audit, monitoring, outbox, terminals
from ebank.application.context import Context
from ebank.application.ports import UnitOfWork
from ebank.application.ports_identity import AuditQuery
from ebank.bootstrap import Bank
from ebank.config import MonitoringSettings
from ebank.domain.access import Role
from ebank.domain.errors import AlarmNotOpen
from ebank.domain.monitoring import AlarmKind, AlarmStatus, Severity
from ebank.domain.terminals import Cassette
from ebank.entrypoints.background import run_background_jobs
from factories import BRANCH, bank_with_branch, deposit, savings, scalar
from integration.test_terminals import _staff

NIGHT_OFFSET_S = 14 * 3600  # the test clock starts at 09:00 in Shanghai: 23:00


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.fail = fail
        self.lock = threading.Lock()

    def send(self, channel: str, recipient: str, subject: str, body: str, message_id: str) -> None:
        if self.fail:
            raise ConnectionError("gateway down")
        with self.lock:
            self.sent.append((channel, message_id, subject))


def _atm(bank: Bank, notes: int = 100) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    deposit(ctx, savings(ctx, branch_code=BRANCH), 10_000_000, BRANCH)
    cassettes = (Cassette(1, "CNY", 10_000, notes, 20), Cassette(2, "CNY", 5_000, notes, 20))
    terminals.register_atm(ctx, None, "ATM00001", BRANCH, "ZPK-TEST-1", "Lobby", cassettes)


def _count(bank: Bank, sql: str) -> int:
    return scalar(bank.engine, sql)


def test_reports_alarms_acknowledgement_and_clearing(bank: Bank, clock: FixedClock) -> None:
    ctx = bank.ctx
    _atm(bank)
    clock.advance(60)
    monitoring.sign_on(ctx, "ATM00001")
    monitoring.heartbeat(ctx, "ATM00001")

    [fault] = monitoring.report_status(ctx, "ATM00001", "fault", "dispenser jam")
    assert (fault.kind, fault.severity, fault.status) == (
        AlarmKind.FAULT,
        Severity.WARNING,  # by day
        AlarmStatus.OPEN,
    )
    assert fault.detail == "dispenser jam"
    assert monitoring.report_status(ctx, "ATM00001", "fault", "again") == []  # one per kind
    assert [a.alarm_id for a in monitoring.list_alarms(ctx, None)] == [fault.alarm_id]
    with ctx.read() as uow:
        view = terminals.terminal(uow, "ATM00001")
    assert view is not None and view.state == "fault" and view.signed_on
    assert view.last_seen_at_us == clock.now_us()
    assert _count(bank, "SELECT count(*) FROM outbox WHERE topic = 'email'") == 1
    assert _count(bank, "SELECT count(*) FROM outbox WHERE topic = 'sms'") == 0

    ops = _staff(bank, Role.OPERATIONS, BRANCH)
    taken = monitoring.acknowledge(ctx, ops, fault.alarm_id)
    assert taken.status is AlarmStatus.ACKNOWLEDGED and taken.acknowledged_by == ops.user_id
    with pytest.raises(AlarmNotOpen):
        monitoring.acknowledge(ctx, ops, fault.alarm_id)
    entries = audit.search(ctx, AuditQuery(action="alarm.acknowledge")).entries
    assert [e.outcome for e in entries] == ["alarm_not_open", "ok"]

    monitoring.report_status(ctx, "ATM00001", "recovered")
    assert monitoring.list_alarms(ctx, None) == []
    [cleared] = monitoring.list_alarms(ctx, None, active_only=False)
    assert cleared.status is AlarmStatus.CLEARED and cleared.cleared_at_us == clock.now_us()

    # at night an open door is critical: e-mail and SMS; a new fault is a new alarm
    clock.advance(NIGHT_OFFSET_S)
    [door] = monitoring.report_status(ctx, "ATM00001", "door_open", "")
    assert door.severity is Severity.CRITICAL and door.detail == "reported door_open"
    assert _count(bank, "SELECT count(*) FROM outbox WHERE topic = 'sms'") == 1
    monitoring.report_status(ctx, "ATM00001", "door_closed")
    assert monitoring.list_alarms(ctx, None) == []
    events = _count(bank, "SELECT count(*) FROM terminal_events WHERE terminal_id = 'ATM00001'")
    assert events == 6  # sign-on, 2 faults, recovered, door open and closed (no heartbeats)


def test_silence_by_day_and_by_night_and_cash_low(bank: Bank, clock: FixedClock) -> None:
    ctx = bank.ctx
    _atm(bank)
    monitoring.heartbeat(ctx, "ATM00001")
    clock.advance(400)  # 09:06:40: under the day's 900 s
    assert monitoring.check_alarms(ctx) == []
    clock.advance(NIGHT_OFFSET_S - 400)  # 23:00, silent since 09:00
    monitoring.heartbeat(ctx, "ATM00001")
    clock.advance(301)  # past the night's 300 s
    [silent] = monitoring.check_alarms(ctx)
    assert silent.kind is AlarmKind.SILENT and silent.severity is Severity.CRITICAL
    assert monitoring.check_alarms(ctx) == []  # still the same one
    monitoring.heartbeat(ctx, "ATM00001")
    assert monitoring.list_alarms(ctx, None) == []

    # cash: 90 of the 100-yuan notes out; the check finds cassette 1 at 10 <= 20
    atm_cash.unload_atm(ctx, None, "ATM00001", {1: 90})
    [low] = monitoring.check_alarms(ctx)
    assert low.kind is AlarmKind.CASH_LOW and "cassette 1: 10 notes" in low.detail
    atm_cash.load_atm(ctx, None, "ATM00001", {1: 500})
    assert monitoring.check_alarms(ctx) == []
    assert monitoring.list_alarms(ctx, None) == []


class _FailingCommit:
    """A unit of work whose commit fails: what a crash at commit time looks like."""

    def __init__(self, inner: UnitOfWork) -> None:
        self.inner = inner

    def __enter__(self) -> _FailingCommit:
        self.inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.inner.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def commit(self) -> None:
        raise RuntimeError("the database went away")


def test_an_alarm_and_its_notification_commit_together(bank: Bank) -> None:
    _atm(bank)
    failing: Callable[[], Any] = lambda: _FailingCommit(bank.ctx.uow())  # noqa: E731
    broken = dataclasses.replace(bank.ctx, uow=failing)
    with pytest.raises(RuntimeError):
        monitoring.report_status(broken, "ATM00001", "fault", "jam")
    assert _count(bank, "SELECT count(*) FROM alarms") == 0
    assert _count(bank, "SELECT count(*) FROM outbox") == 0
    monitoring.report_status(bank.ctx, "ATM00001", "fault", "jam")
    assert _count(bank, "SELECT count(*) FROM alarms") == 1
    assert _count(bank, "SELECT count(*) FROM outbox") == 1


def test_the_relay_sends_each_message_once(bank: Bank, clock: FixedClock) -> None:
    ctx: Context = bank.ctx
    _atm(bank)
    clock.advance(NIGHT_OFFSET_S)
    monitoring.report_status(ctx, "ATM00001", "fault", "jam")  # critical: e-mail and SMS
    monitoring.report_status(ctx, "ATM00001", "door_open", "")  # e-mail and SMS

    down = Recorder(fail=True)
    assert outbox.deliver_pending(ctx, down, 10) == 0
    assert _count(bank, "SELECT count(*) FROM outbox WHERE attempts = 1") == 4
    errors = _count(bank, "SELECT count(*) FROM outbox WHERE last_error LIKE 'ConnectionError%'")
    assert errors == 4

    gateway = Recorder()
    runs = [threading.Thread(target=outbox.deliver_pending, args=(ctx, gateway, 10)) for _ in "ab"]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert outbox.deliver_pending(ctx, gateway, 10) == 0
    ids = [message_id for _, message_id, _ in gateway.sent]
    assert len(ids) == 4 and len(set(ids)) == 4
    assert sorted(channel for channel, _, _ in gateway.sent) == ["email", "email", "sms", "sms"]
    assert any("[critical] ATM alarm ATM00001: fault" in subject for *_, subject in gateway.sent)
    assert _count(bank, "SELECT count(*) FROM outbox WHERE sent_at_us IS NULL") == 0
    assert _count(bank, "SELECT count(*) FROM outbox WHERE attempts = 2") == 4
    assert outbox.pending_count(ctx) == 0


def test_the_background_jobs_check_and_relay_until_stopped(bank: Bank) -> None:
    _atm(bank, notes=10)  # both cassettes at or below their level: one cash-low alarm

    async def main() -> Recorder:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        class StopOnFirst(Recorder):
            def send(self, *args: str) -> None:
                super().send(*args)
                loop.call_soon_threadsafe(stop.set)

        gateway = StopOnFirst()
        settings = MonitoringSettings(period_s=0.05)
        await run_background_jobs(bank, stop, settings=settings, notifier=gateway)
        return gateway

    gateway = asyncio.run(main())
    assert [subject for *_, subject in gateway.sent] == ["[info] ATM alarm ATM00001: cash_low"]
    assert _count(bank, "SELECT count(*) FROM alarms") == 1
    assert _count(bank, "SELECT count(*) FROM outbox WHERE sent_at_us IS NULL") == 0
