"""``ebank terminal``, ``ebank merchant``, ``ebank settle pos``, ``ebank alarms`` and
``ebank outbox``: the terminal estate, POS merchants and their settlement, the ATM
monitoring centre's alarms and the notification relay, from the command line (the
bank's own operators: audited as the system)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.table import Table

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.adapters.notify.console import ConsoleNotifier
from ebank.application import atm_cash, merchants, monitoring, outbox, pos_settlement, terminals
from ebank.bootstrap import Bank, build
from ebank.domain.errors import InvalidInput
from ebank.domain.money import Currency, Money, format_minor
from ebank.domain.terminals import Cassette, parse_fee_rate
from ebank.entrypoints.cli_common import out, refusals

terminal_app = typer.Typer(help="ATMs and POS terminals.", no_args_is_help=True)
merchant_app = typer.Typer(help="POS merchants.", no_args_is_help=True)
settle_app = typer.Typer(help="End-of-day settlement runs.", no_args_is_help=True)
alarms_app = typer.Typer(help="Terminal alarms (the monitoring centre).", no_args_is_help=True)
outbox_app = typer.Typer(help="Notifications waiting in the outbox.", no_args_is_help=True)


def _with_bank(work: Callable[[Bank], Any]) -> Any:
    bank = build()
    try:
        return work(bank)
    finally:
        bank.close()


def _when(us: int | None) -> str:
    if us is None:
        return "never"
    at = datetime.fromtimestamp(us // 1_000_000, UTC).astimezone(BANK_TIMEZONE)
    return at.strftime("%Y-%m-%d %H:%M:%S")


def _cassette(spec: str, currency: str) -> Cassette:
    """POSITION:DENOMINATION:NOTES[:LOW], the denomination in currency units."""
    parts = spec.split(":")
    if len(parts) not in (3, 4) or not all(p.strip().isdigit() for p in parts[:1] + parts[2:]):
        raise InvalidInput(f"a cassette is POSITION:DENOMINATION:NOTES[:LOW], not {spec!r}")
    denomination = Money.parse(parts[1], currency).minor
    notes = int(parts[2])
    low = int(parts[3]) if len(parts) == 4 else max(1, notes // 10)
    return Cassette(int(parts[0]), Currency.of(currency).code, denomination, notes, low)


def _counts(specs: list[str]) -> dict[int, int]:
    """POSITION:NOTES pairs."""
    counts: dict[int, int] = {}
    for spec in specs:
        position, _, notes = spec.partition(":")
        if not (position.isdigit() and notes.isdigit()):
            raise InvalidInput(f"name notes as POSITION:NOTES, not {spec!r}")
        counts[int(position)] = int(notes)
    return counts


def _print_terminal(view: terminals.TerminalView) -> None:
    where = view.merchant_id or view.branch_code
    cash = ""
    if view.cassettes:
        currency = Currency.of(view.cassettes[0].currency)
        cash = f", cash {format_minor(view.cash_minor, currency)} {currency.code}"
    out.print(f"{view.kind.value} {view.terminal_id} at {where} ({view.location}){cash}")


# -- terminals ---------------------------------------------------------------------------
@terminal_app.command("add-atm")
@refusals
def terminal_add_atm(
    terminal_id: Annotated[str, typer.Argument(help="8 characters (ISO 8583 field 41)")],
    branch: Annotated[str, typer.Argument(help="branch code")],
    location: Annotated[str, typer.Option(help="where the ATM stands")],
    cassette: Annotated[
        list[str],
        typer.Option(help="POSITION:DENOMINATION:NOTES[:LOW], e.g. 1:100:2000:200; repeat"),
    ],
    zone_key: Annotated[str, typer.Option(help="zone PIN key reference")] = "ZPK-TEST-1",
    currency: str = "CNY",
) -> None:
    """Register an ATM; the notes in its cassettes are loaded from the branch vault."""
    cassettes = [_cassette(spec, currency) for spec in cassette]
    _print_terminal(
        _with_bank(
            lambda bank: terminals.register_atm(
                bank.ctx, None, terminal_id, branch, zone_key, location, cassettes
            )
        )
    )


@terminal_app.command("add-pos")
@refusals
def terminal_add_pos(
    terminal_id: Annotated[str, typer.Argument(help="8 characters (ISO 8583 field 41)")],
    merchant_id: Annotated[str, typer.Argument(help="the merchant (field 42)")],
    location: Annotated[str, typer.Option(help="where the terminal stands")],
    zone_key: Annotated[str, typer.Option(help="zone PIN key reference")] = "ZPK-TEST-1",
) -> None:
    """Register a POS terminal at an active merchant."""
    _print_terminal(
        _with_bank(
            lambda bank: terminals.register_pos(
                bank.ctx, None, terminal_id, merchant_id, zone_key, location
            )
        )
    )


@terminal_app.command("list")
@refusals
def terminal_list() -> None:
    """Every terminal with its state, when it was last heard from and its cash."""
    views = _with_bank(lambda bank: terminals.list_terminals(bank.ctx, None))
    table = Table("terminal", "kind", "branch", "merchant", "state", "signed on", "last seen")
    table.add_column("cash by cassette")
    for v in views:
        cash = " ".join(f"{c.position}:{c.notes}x{c.denomination_minor}" for c in v.cassettes)
        table.add_row(
            v.terminal_id,
            v.kind.value,
            v.branch_code,
            v.merchant_id or "",
            v.state.value,
            "yes" if v.signed_on else "no",
            _when(v.last_seen_at_us),
            cash,
        )
    out.print(table)


@terminal_app.command("load")
@refusals
def terminal_load(
    terminal_id: str,
    notes: Annotated[list[str], typer.Argument(help="POSITION:NOTES added, e.g. 1:500")],
) -> None:
    """Load notes into an ATM from its branch vault."""
    counts = _counts(notes)
    view = _with_bank(lambda bank: atm_cash.load_atm(bank.ctx, None, terminal_id, counts))
    _print_terminal(view)


@terminal_app.command("unload")
@refusals
def terminal_unload(
    terminal_id: str,
    notes: Annotated[
        list[str] | None, typer.Argument(help="POSITION:NOTES taken out; none: everything")
    ] = None,
) -> None:
    """Take notes out of an ATM back to its branch vault (everything if none named)."""
    counts = _counts(notes) if notes else None
    view = _with_bank(lambda bank: atm_cash.unload_atm(bank.ctx, None, terminal_id, counts))
    _print_terminal(view)


# -- merchants ---------------------------------------------------------------------------
@merchant_app.command("add")
@refusals
def merchant_add(
    merchant_id: Annotated[str, typer.Argument(help="up to 15 characters (field 42)")],
    name: str,
    mcc: Annotated[str, typer.Argument(help="merchant category code, 4 digits")],
    branch: Annotated[str, typer.Argument(help="branch code")],
    account: Annotated[str, typer.Argument(help="settlement account number")],
    fee_rate: Annotated[str, typer.Option(help="a fraction, e.g. 0.006")] = "0.006",
) -> None:
    """Register a POS merchant."""
    rate: Decimal = parse_fee_rate(fee_rate)
    view = _with_bank(
        lambda bank: merchants.add_merchant(
            bank.ctx, None, merchant_id, name, mcc, branch, account, rate
        )
    )
    out.print(
        f"merchant {view.merchant_id} {view.name}: settles to {view.settlement_account_number}"
    )


@merchant_app.command("list")
@refusals
def merchant_list() -> None:
    """Every merchant."""
    views = _with_bank(lambda bank: merchants.list_merchants(bank.ctx, None))
    table = Table("merchant", "name", "MCC", "branch", "settlement account", "fee rate", "status")
    for m in views:
        table.add_row(
            m.merchant_id,
            m.name,
            m.mcc,
            m.branch_code,
            m.settlement_account_number,
            str(m.fee_rate),
            m.status.value,
        )
    out.print(table)


# -- settlement --------------------------------------------------------------------------
@settle_app.command("pos")
@refusals
def settle_pos(
    on: Annotated[str, typer.Option("--date", help="the business date, YYYY-MM-DD")],
) -> None:
    """Pay each merchant the day's POS sales, net of reversals, less the fee (once)."""
    try:
        business_date = date.fromisoformat(on)
    except ValueError:
        raise InvalidInput(f"a date is YYYY-MM-DD, not {on!r}") from None
    reports = _with_bank(lambda bank: pos_settlement.settle_pos(bank.ctx, None, business_date))
    table = Table(
        "merchant",
        "sales",
        "amount",
        "reversed",
        "net",
        "fee",
        "paid",
        "status",
        title=f"POS settlement {business_date.isoformat()}",
    )
    for r in reports:
        cur = Currency.of(r.currency)
        table.add_row(
            r.merchant_id,
            str(r.sales_count),
            format_minor(r.sales_minor, cur),
            format_minor(r.reversals_minor, cur),
            format_minor(r.net_minor, cur),
            format_minor(r.fee_minor, cur),
            format_minor(r.paid_minor, cur),
            r.status,
        )
    out.print(table)
    if not reports:
        out.print("no POS sales that day")


# -- alarms and the outbox ---------------------------------------------------------------
def _print_alarms(alarms: list[monitoring.Alarm]) -> None:
    table = Table("id", "terminal", "kind", "severity", "status", "raised", "detail")
    for a in alarms:
        table.add_row(
            str(a.alarm_id),
            a.terminal_id,
            a.kind.value,
            a.severity.value,
            a.status.value,
            _when(a.raised_at_us),
            a.detail,
        )
    out.print(table)


@alarms_app.command("check")
@refusals
def alarms_check() -> None:
    """Run the alarm check once (``ebank serve`` runs it on a period)."""
    raised = _with_bank(
        lambda bank: monitoring.check_alarms(bank.ctx, policy=bank.settings.monitor.policy())
    )
    out.print(f"{len(raised)} alarm(s) raised")
    if raised:
        _print_alarms(raised)


@alarms_app.command("list")
@refusals
def alarms_list(
    all_: Annotated[bool, typer.Option("--all", help="also cleared ones, newest first")] = False,
) -> None:
    """The active alarms (open or acknowledged)."""
    found = _with_bank(lambda bank: monitoring.list_alarms(bank.ctx, None, active_only=not all_))
    _print_alarms(found)


@alarms_app.command("ack")
@refusals
def alarms_ack(
    alarm_id: int,
    by: Annotated[str, typer.Option(help="who takes it on (for the audit trail)")] = "cli",
) -> None:
    """Acknowledge an open alarm."""
    alarm = _with_bank(lambda bank: monitoring.acknowledge(bank.ctx, None, alarm_id, by=by))
    out.print(f"alarm {alarm.alarm_id} on {alarm.terminal_id} acknowledged")


@outbox_app.command("deliver")
@refusals
def outbox_deliver(limit: Annotated[int, typer.Option(min=1, max=500)] = 100) -> None:
    """Send the waiting notifications (development: printed on the console)."""
    sent = _with_bank(lambda bank: outbox.deliver_pending(bank.ctx, ConsoleNotifier(), limit))
    out.print(f"{sent} notification(s) sent")
