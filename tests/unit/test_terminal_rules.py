"""The pure rules of terminals and their monitoring: identifiers, fee rounding, cash by
cassette and what can be paid out; silent thresholds by day and at night, severities
out of hours, the alarms a report raises and clears, cash low from the cassettes."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest

from ebank.domain.errors import InvalidInput
from ebank.domain.monitoring import (
    AlarmKind,
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
from ebank.domain.terminals import (
    Cassette,
    TerminalKind,
    TerminalState,
    TerminalStatus,
    check_cassettes,
    check_fee_rate,
    check_merchant_id,
    check_terminal_id,
    dispense_plan,
    fee_minor,
    parse_fee_rate,
)

POLICY = MonitoringPolicy(silent_day_s=900, silent_night_s=300)
S = 1_000_000  # microseconds per second
NOW = 10_000 * S


def _atm(
    last_seen_s_ago: int | None = 0,
    state: TerminalState = TerminalState.OK,
    notes: tuple[int, int] = (100, 100),
    kind: TerminalKind = TerminalKind.ATM,
    signed_on: bool = True,
    status: TerminalStatus = TerminalStatus.ACTIVE,
) -> TerminalSnapshot:
    cassettes = (Cassette(1, "CNY", 10_000, notes[0], 20), Cassette(2, "CNY", 5_000, notes[1], 10))
    return TerminalSnapshot(
        terminal_id="ATM00001",
        kind=kind,
        status=status,
        signed_on=signed_on,
        state=state,
        last_seen_at_us=None if last_seen_s_ago is None else NOW - last_seen_s_ago * S,
        created_at_us=NOW - 5000 * S,
        cassettes=cassettes if kind is TerminalKind.ATM else (),
    )


def _kinds(snapshot: TerminalSnapshot, night: bool) -> list[AlarmKind]:
    found, _ = periodic_findings(snapshot, NOW, night, POLICY)
    return [f.kind for f in found]


def test_identifiers() -> None:
    assert check_terminal_id("ATM00001") == "ATM00001"
    for bad in ("ATM0001", "ATM000001", "atm00001", "ATM 0001", ""):
        with pytest.raises(InvalidInput):
            check_terminal_id(bad)
    assert check_merchant_id("104110000000001") == "104110000000001"
    with pytest.raises(InvalidInput):
        check_merchant_id("1041100000000012")  # 16 characters


def test_fee_rates_and_half_up_rounding() -> None:
    assert parse_fee_rate("0.006") == Decimal("0.006")
    assert check_fee_rate(Decimal("0")) == 0 and check_fee_rate(Decimal("0.1")) == Decimal("0.1")
    for bad in ("0.1000001", "-0.001", "0.11", "NaN", "abc", "0.0000001"):
        with pytest.raises(InvalidInput):
            parse_fee_rate(bad)
    # 0.6% of 12,345 fen is 74.07 fen: 74; of 12,500 fen, 75 exactly; of 250 fen, 1.5: 2
    assert fee_minor(12_345, Decimal("0.006")) == 74
    assert fee_minor(12_500, Decimal("0.006")) == 75
    assert fee_minor(250, Decimal("0.006")) == 2
    assert fee_minor(249, Decimal("0.006")) == 1  # 1.494
    assert fee_minor(83, Decimal("0.006")) == 0  # 0.498


def test_cassettes_and_what_they_can_pay_out() -> None:
    cassettes = check_cassettes(
        [Cassette(2, "CNY", 2_000, 10, 1), Cassette(1, "CNY", 5_000, 10, 1)]
    )
    assert [c.position for c in cassettes] == [1, 2]
    assert dispense_plan(cassettes, 8_000) == {2: 4}  # 80 yuan: not 50 + ..., but 4 x 20
    assert dispense_plan(cassettes, 9_000) == {1: 1, 2: 2}
    assert dispense_plan(cassettes, 1_000) is None  # no 10s
    assert dispense_plan(cassettes, 80_000) is None  # more than they hold (70,000)
    for bad in (
        [],
        [Cassette(1, "CNY", 5_000, 1, 1), Cassette(1, "CNY", 2_000, 1, 1)],  # same position
        [Cassette(1, "CNY", 5_000, 1, 1), Cassette(2, "USD", 2_000, 1, 1)],  # two currencies
        [Cassette(1, "CNY", 0, 1, 1)],
        [Cassette(9, "CNY", 100, 1, 1)],
    ):
        with pytest.raises(InvalidInput):
            check_cassettes(bad)


def test_night_spans_midnight() -> None:
    assert is_night(time(23, 30), POLICY) and is_night(time(3, 0), POLICY)
    assert is_night(time(22, 0), POLICY) and not is_night(time(7, 0), POLICY)
    assert not is_night(time(12, 0), POLICY)
    with pytest.raises(InvalidInput):
        MonitoringPolicy(silent_day_s=100, silent_night_s=200)  # nights are stricter


def test_the_silent_threshold_is_shorter_at_night() -> None:
    quiet_400s = _atm(last_seen_s_ago=400)
    assert _kinds(quiet_400s, night=False) == []  # under the 900 s of the day
    assert _kinds(quiet_400s, night=True) == [AlarmKind.SILENT]  # over the 300 s of night
    assert _kinds(_atm(last_seen_s_ago=901), night=False) == [AlarmKind.SILENT]
    assert _kinds(_atm(last_seen_s_ago=900), night=False) == []
    # never heard from: counted from registration
    assert _kinds(_atm(last_seen_s_ago=None), night=False) == [AlarmKind.SILENT]
    # a POS terminal is watched only while signed on; an inactive terminal not at all
    pos_off = _atm(last_seen_s_ago=5000, kind=TerminalKind.POS, signed_on=False)
    assert _kinds(pos_off, night=True) == []
    pos_on = _atm(last_seen_s_ago=5000, kind=TerminalKind.POS, signed_on=True)
    assert _kinds(pos_on, night=True) == [AlarmKind.SILENT]
    assert _kinds(_atm(5000, status=TerminalStatus.INACTIVE), night=True) == []
    # a terminal heard from again: its silent alarm may clear
    _, clears = periodic_findings(_atm(last_seen_s_ago=10), NOW, True, POLICY)
    assert AlarmKind.SILENT in clears


def test_cash_low_from_the_cassettes_or_the_report() -> None:
    assert _kinds(_atm(notes=(20, 100)), night=False) == [AlarmKind.CASH_LOW]  # at its level
    assert _kinds(_atm(notes=(21, 11)), night=False) == []
    reported = _atm(state=TerminalState.CASH_LOW)
    assert _kinds(reported, night=False) == [AlarmKind.CASH_LOW]
    found, _ = periodic_findings(_atm(notes=(5, 100)), NOW, False, POLICY)
    assert "cassette 1: 5 notes" in found[0].detail
    _, clears = periodic_findings(_atm(notes=(21, 11)), NOW, False, POLICY)
    assert AlarmKind.CASH_LOW in clears


def test_stricter_severities_out_of_hours() -> None:
    assert severity(AlarmKind.DOOR_OPEN, night=False) is Severity.WARNING
    assert severity(AlarmKind.DOOR_OPEN, night=True) is Severity.CRITICAL
    assert severity(AlarmKind.SILENT, night=True) is Severity.CRITICAL
    assert severity(AlarmKind.FAULT, night=False) is Severity.WARNING
    assert severity(AlarmKind.CASH_LOW, night=False) is Severity.INFO
    assert severity(AlarmKind.CASH_LOW, night=True) is Severity.WARNING


def test_what_each_report_raises_and_clears() -> None:
    ok = TerminalState.OK
    fault = report_effect(ok, Report.FAULT)
    assert (fault.state, fault.raises) == (TerminalState.FAULT, AlarmKind.FAULT)
    door = report_effect(TerminalState.FAULT, Report.DOOR_OPEN)
    assert (door.state, door.raises) == (TerminalState.DOOR_OPEN, AlarmKind.DOOR_OPEN)
    closed = report_effect(TerminalState.DOOR_OPEN, Report.DOOR_CLOSED)
    assert closed.state is ok and AlarmKind.DOOR_OPEN in closed.clears
    assert AlarmKind.FAULT not in closed.clears  # a fault needs its own recovery
    recovered = report_effect(TerminalState.FAULT, Report.RECOVERED)
    assert recovered.state is ok and {AlarmKind.FAULT, AlarmKind.DOOR_OPEN} <= recovered.clears
    assert AlarmKind.CASH_LOW not in recovered.clears  # cash comes back by a load only
    beat = report_effect(TerminalState.CASH_LOW, Report.HEARTBEAT)
    assert beat.state is TerminalState.CASH_LOW and beat.raises is None
    assert beat.clears == {AlarmKind.SILENT}
    with pytest.raises(InvalidInput):
        parse_report("on_fire")
