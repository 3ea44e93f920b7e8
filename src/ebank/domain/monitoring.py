"""Remote monitoring of terminals: what a terminal may report, the state it is left in,
which alarms a report raises or clears, when a silent terminal is alarming, and how
severe each alarm is by day and out of hours (stricter at night: the seed's three ATM
incidents happened where nobody watched).

Pure rules: the local time of day and ``now_us`` are arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from enum import StrEnum

from ebank.domain.errors import InvalidInput
from ebank.domain.terminals import Cassette, TerminalKind, TerminalState, TerminalStatus

MAX_DETAIL = 500


class Report(StrEnum):
    """What a terminal reports of itself (over ISO 8583 or HTTP)."""

    HEARTBEAT = "heartbeat"
    CASH_LOW = "cash_low"
    FAULT = "fault"
    DOOR_OPEN = "door_open"
    DOOR_CLOSED = "door_closed"
    RECOVERED = "recovered"


class AlarmKind(StrEnum):
    SILENT = "silent"
    FAULT = "fault"
    CASH_LOW = "cash_low"
    DOOR_OPEN = "door_open"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlarmStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"  # an operator is on it; still active until cleared
    CLEARED = "cleared"


@dataclass(frozen=True, slots=True)
class MonitoringPolicy:
    """When the bank is out of hours and how long a terminal may stay silent."""

    silent_day_s: int = 900
    silent_night_s: int = 300
    # Night is [night_start, night_end) in the bank's time zone, across midnight.
    night_start: time = time(22, 0)
    night_end: time = time(7, 0)
    timezone: str = "Asia/Shanghai"
    # Where alarm notifications go: every alarm by e-mail, critical ones also by SMS.
    alarm_email: str = "atm-ops@ebank.example"
    alarm_sms: str = "+8610955990000"

    def __post_init__(self) -> None:
        if not 0 < self.silent_night_s <= self.silent_day_s:
            raise InvalidInput("the night silent threshold is positive and at most the day's")
        if self.night_start == self.night_end:
            raise InvalidInput("night starts and ends at different times")


def parse_report(kind: str) -> Report:
    try:
        return Report(kind)
    except ValueError:
        allowed = ", ".join(r.value for r in Report)
        raise InvalidInput(f"a status report is one of: {allowed}") from None


def is_night(local: time, policy: MonitoringPolicy) -> bool:
    start, end = policy.night_start, policy.night_end
    if start < end:
        return start <= local < end
    return local >= start or local < end


def silent_threshold_s(night: bool, policy: MonitoringPolicy) -> int:
    return policy.silent_night_s if night else policy.silent_day_s


# Severity by day and at night: an open door or a fault with nobody on site is critical.
_SEVERITY: dict[AlarmKind, tuple[Severity, Severity]] = {
    AlarmKind.SILENT: (Severity.WARNING, Severity.CRITICAL),
    AlarmKind.FAULT: (Severity.WARNING, Severity.CRITICAL),
    AlarmKind.CASH_LOW: (Severity.INFO, Severity.WARNING),
    AlarmKind.DOOR_OPEN: (Severity.WARNING, Severity.CRITICAL),
}


def severity(kind: AlarmKind, night: bool) -> Severity:
    day, at_night = _SEVERITY[kind]
    return at_night if night else day


@dataclass(frozen=True, slots=True)
class ReportEffect:
    state: TerminalState
    raises: AlarmKind | None
    clears: frozenset[AlarmKind]


def report_effect(current: TerminalState, report: Report) -> ReportEffect:
    """The terminal's state after ``report``, the alarm it raises and those it clears.
    Any report shows the terminal is alive, so it clears a silent alarm."""
    alive = frozenset({AlarmKind.SILENT})
    if report is Report.HEARTBEAT:
        return ReportEffect(current, None, alive)
    if report is Report.CASH_LOW:
        return ReportEffect(TerminalState.CASH_LOW, AlarmKind.CASH_LOW, alive)
    if report is Report.FAULT:
        return ReportEffect(TerminalState.FAULT, AlarmKind.FAULT, alive)
    if report is Report.DOOR_OPEN:
        return ReportEffect(TerminalState.DOOR_OPEN, AlarmKind.DOOR_OPEN, alive)
    if report is Report.DOOR_CLOSED:
        after = TerminalState.OK if current is TerminalState.DOOR_OPEN else current
        return ReportEffect(after, None, alive | {AlarmKind.DOOR_OPEN})
    # recovered: the device works again; cash stays low until the ATM is loaded.
    return ReportEffect(TerminalState.OK, None, alive | {AlarmKind.FAULT, AlarmKind.DOOR_OPEN})


@dataclass(frozen=True, slots=True)
class TerminalSnapshot:
    """What the periodic check knows of one terminal."""

    terminal_id: str
    kind: TerminalKind
    status: TerminalStatus
    signed_on: bool
    state: TerminalState
    last_seen_at_us: int | None
    created_at_us: int
    cassettes: tuple[Cassette, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    kind: AlarmKind
    detail: str


def watches_silence(t: TerminalSnapshot) -> bool:
    """An active ATM is always watched; a POS terminal only while signed on (shops
    switch theirs off at closing time)."""
    return t.status is TerminalStatus.ACTIVE and (t.kind is TerminalKind.ATM or t.signed_on)


def silent_for_s(t: TerminalSnapshot, now_us: int) -> int:
    since = t.last_seen_at_us if t.last_seen_at_us is not None else t.created_at_us
    return max(0, (now_us - since) // 1_000_000)


def low_detail(cassettes: Sequence[Cassette]) -> str:
    low = [c for c in cassettes if c.is_low]
    return "; ".join(
        f"cassette {c.position}: {c.notes} notes of {c.denomination_minor} (low at {c.low_notes})"
        for c in low
    )


def periodic_findings(
    t: TerminalSnapshot, now_us: int, night: bool, policy: MonitoringPolicy
) -> tuple[list[Finding], frozenset[AlarmKind]]:
    """What the periodic check finds on ``t``: the alarms it should have (silent, cash
    low from its cassettes or its own report) and the kinds it may clear (silent once
    heard from again, cash low once every cassette is above its level)."""
    found: list[Finding] = []
    clears: set[AlarmKind] = set()
    threshold = silent_threshold_s(night, policy)
    silent = silent_for_s(t, now_us)
    if watches_silence(t) and silent > threshold:
        when = "at night" if night else "by day"
        found.append(Finding(AlarmKind.SILENT, f"no report for {silent} s ({threshold} s {when})"))
    else:
        clears.add(AlarmKind.SILENT)
    cassettes_low = t.kind is TerminalKind.ATM and any(c.is_low for c in t.cassettes)
    if cassettes_low:
        found.append(Finding(AlarmKind.CASH_LOW, low_detail(t.cassettes)))
    elif t.state is TerminalState.CASH_LOW:
        found.append(Finding(AlarmKind.CASH_LOW, "the terminal reported low cash"))
    else:
        clears.add(AlarmKind.CASH_LOW)
    return found, frozenset(clears)
