"""The Bank API: terminals, merchants and alarms, for operations and administrators.
Terminals that report over HTTP rather than ISO 8583 post their status here (their
agent signs in as an operations user)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Self

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from ebank.application import merchants, monitoring, terminals
from ebank.application.merchants import MerchantView
from ebank.application.terminals import TerminalView
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from ebank.domain.monitoring import AlarmKind, AlarmStatus, MonitoringPolicy, Report, Severity
from ebank.domain.terminals import (
    MAX_CASSETTES,
    MAX_NOTES_PER_CASSETTE,
    Cassette,
    MerchantStatus,
    TerminalKind,
    TerminalState,
    TerminalStatus,
)
from ebank.entrypoints.api.deps import ActorDep, BankDep, CtxDep, route
from ebank.entrypoints.api.models_accounts import CURRENCY_CODE, at

router = APIRouter(tags=["terminals"])
OPERATORS = {Role.OPERATIONS, Role.ADMIN}
TerminalId = Annotated[str, Path(pattern=r"^[A-Z0-9]{8}$")]
MERCHANT_ID = r"^[A-Z0-9]{1,15}$"


def _policy(bank: Bank) -> MonitoringPolicy:
    return bank.settings.monitor.policy()


class CassetteModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    position: int = Field(ge=1, le=MAX_CASSETTES)
    currency: str = Field(pattern=CURRENCY_CODE)
    denomination_minor: int = Field(gt=0, le=10**9)
    notes: int = Field(ge=0, le=MAX_NOTES_PER_CASSETTE)
    low_notes: int = Field(ge=0, le=MAX_NOTES_PER_CASSETTE)

    @classmethod
    def of(cls, c: Cassette) -> Self:
        return cls(
            position=c.position,
            currency=c.currency,
            denomination_minor=c.denomination_minor,
            notes=c.notes,
            low_notes=c.low_notes,
        )


class TerminalOut(BaseModel):
    terminal_id: str
    kind: TerminalKind
    branch_code: str
    merchant_id: str | None
    zone_key_ref: str
    location: str
    status: TerminalStatus
    signed_on: bool
    state: TerminalState
    last_seen_at: datetime | None
    cash_minor: int = Field(description="What the cassettes hold, by their counts")
    cassettes: list[CassetteModel]

    @classmethod
    def of(cls, v: TerminalView) -> Self:
        return cls(
            terminal_id=v.terminal_id,
            kind=v.kind,
            branch_code=v.branch_code,
            merchant_id=v.merchant_id,
            zone_key_ref=v.zone_key_ref,
            location=v.location,
            status=v.status,
            signed_on=v.signed_on,
            state=v.state,
            last_seen_at=at(v.last_seen_at_us) if v.last_seen_at_us is not None else None,
            cash_minor=v.cash_minor,
            cassettes=[CassetteModel.of(c) for c in v.cassettes],
        )


class AtmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terminal_id: str = Field(pattern=r"^[A-Z0-9]{8}$")
    branch_code: str = Field(pattern=r"^[0-9]{4}$")
    zone_key_ref: str = Field(min_length=1, max_length=32)
    location: str = Field(min_length=1, max_length=200)
    cassettes: list[CassetteModel] = Field(min_length=1, max_length=MAX_CASSETTES)


class PosIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terminal_id: str = Field(pattern=r"^[A-Z0-9]{8}$")
    merchant_id: str = Field(pattern=MERCHANT_ID)
    zone_key_ref: str = Field(min_length=1, max_length=32)
    location: str = Field(min_length=1, max_length=200)


class MerchantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merchant_id: str = Field(pattern=MERCHANT_ID)
    name: str = Field(min_length=1, max_length=200)
    mcc: str = Field(pattern=r"^[0-9]{4}$")
    branch_code: str = Field(pattern=r"^[0-9]{4}$")
    settlement_account_number: str = Field(pattern=r"^[0-9]{19}$")
    fee_rate: Decimal = Field(ge=0, le=Decimal("0.1"), description='A fraction, e.g. "0.006"')


class MerchantOut(BaseModel):
    merchant_id: str
    name: str
    mcc: str
    branch_code: str
    settlement_account_number: str
    fee_rate: Decimal
    status: MerchantStatus

    @classmethod
    def of(cls, m: MerchantView) -> Self:
        return cls(
            merchant_id=m.merchant_id,
            name=m.name,
            mcc=m.mcc,
            branch_code=m.branch_code,
            settlement_account_number=m.settlement_account_number,
            fee_rate=m.fee_rate,
            status=m.status,
        )


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Report
    detail: str = Field(default="", max_length=500)


class AlarmOut(BaseModel):
    alarm_id: int
    terminal_id: str
    kind: AlarmKind
    severity: Severity
    status: AlarmStatus
    detail: str
    raised_at: datetime
    acknowledged_at: datetime | None
    cleared_at: datetime | None

    @classmethod
    def of(cls, a: monitoring.Alarm) -> Self:
        return cls(
            alarm_id=a.alarm_id,
            terminal_id=a.terminal_id,
            kind=a.kind,
            severity=a.severity,
            status=a.status,
            detail=a.detail,
            raised_at=at(a.raised_at_us),
            acknowledged_at=at(a.acknowledged_at_us) if a.acknowledged_at_us else None,
            cleared_at=at(a.cleared_at_us) if a.cleared_at_us else None,
        )


class StatusOut(BaseModel):
    terminal: TerminalOut
    alarms_raised: list[AlarmOut]


# -- terminals ---------------------------------------------------------------------------
@route(router, "GET", "/terminals", roles=OPERATORS, response_model=list[TerminalOut])
def list_terminals(ctx: CtxDep, actor: ActorDep) -> list[TerminalOut]:
    """Every terminal of the caller's branch subtree with its state and cash."""
    return [TerminalOut.of(v) for v in terminals.list_terminals(ctx, actor)]


@route(router, "GET", "/terminals/{terminal_id}", roles=OPERATORS, response_model=TerminalOut)
def get_terminal(terminal_id: TerminalId, ctx: CtxDep, actor: ActorDep) -> TerminalOut:
    """One terminal."""
    return TerminalOut.of(terminals.get_terminal(ctx, actor, terminal_id))


@route(
    router, "POST", "/terminals/atm", roles=OPERATORS, response_model=TerminalOut, status_code=201
)
def register_atm(body: AtmIn, ctx: CtxDep, actor: ActorDep) -> TerminalOut:
    """Register an ATM: its cash account is opened in the branch, and the notes its
    cassettes carry are loaded from the branch vault."""
    cassettes = [
        Cassette(c.position, c.currency, c.denomination_minor, c.notes, c.low_notes)
        for c in body.cassettes
    ]
    view = terminals.register_atm(
        ctx, actor, body.terminal_id, body.branch_code, body.zone_key_ref, body.location, cassettes
    )
    return TerminalOut.of(view)


@route(
    router, "POST", "/terminals/pos", roles=OPERATORS, response_model=TerminalOut, status_code=201
)
def register_pos(body: PosIn, ctx: CtxDep, actor: ActorDep) -> TerminalOut:
    """Register a POS terminal at an active merchant."""
    view = terminals.register_pos(
        ctx, actor, body.terminal_id, body.merchant_id, body.zone_key_ref, body.location
    )
    return TerminalOut.of(view)


@route(router, "POST", "/terminals/{terminal_id}/status", roles=OPERATORS, response_model=StatusOut)
def report_status(
    terminal_id: TerminalId, body: StatusIn, bank: BankDep, actor: ActorDep
) -> StatusOut:
    """A terminal's status report (heartbeat, cash_low, fault, door_open, door_closed,
    recovered), for terminals that report over HTTP; the alarms it raised."""
    ctx = bank.ctx
    terminals.get_terminal(ctx, actor, terminal_id)  # within the caller's branches
    raised = monitoring.report_status(
        ctx, terminal_id, body.kind.value, body.detail, policy=_policy(bank)
    )
    view = terminals.get_terminal(ctx, actor, terminal_id)
    return StatusOut(terminal=TerminalOut.of(view), alarms_raised=[AlarmOut.of(a) for a in raised])


# -- merchants ---------------------------------------------------------------------------
@route(router, "GET", "/merchants", roles=OPERATORS, response_model=list[MerchantOut])
def list_merchants(ctx: CtxDep, actor: ActorDep) -> list[MerchantOut]:
    """Every POS merchant of the caller's branch subtree."""
    return [MerchantOut.of(m) for m in merchants.list_merchants(ctx, actor)]


@route(router, "POST", "/merchants", roles=OPERATORS, response_model=MerchantOut, status_code=201)
def add_merchant(body: MerchantIn, ctx: CtxDep, actor: ActorDep) -> MerchantOut:
    """Register a POS merchant with its settlement account and fee rate."""
    view = merchants.add_merchant(
        ctx,
        actor,
        body.merchant_id,
        body.name,
        body.mcc,
        body.branch_code,
        body.settlement_account_number,
        body.fee_rate,
    )
    return MerchantOut.of(view)


# -- alarms ------------------------------------------------------------------------------
@route(router, "GET", "/alarms", roles=OPERATORS, response_model=list[AlarmOut])
def list_alarms(ctx: CtxDep, actor: ActorDep, active: bool = True) -> list[AlarmOut]:
    """Alarms still active (open or acknowledged), oldest first; with ``active=false``
    the latest of every status, newest first."""
    return [AlarmOut.of(a) for a in monitoring.list_alarms(ctx, actor, active_only=active)]


@route(router, "POST", "/alarms/{alarm_id}/acknowledge", roles=OPERATORS, response_model=AlarmOut)
def acknowledge_alarm(
    alarm_id: Annotated[int, Path(ge=1, le=2**62)], ctx: CtxDep, actor: ActorDep
) -> AlarmOut:
    """Take an open alarm on (audited); it stays active until the terminal recovers."""
    return AlarmOut.of(monitoring.acknowledge(ctx, actor, alarm_id))
