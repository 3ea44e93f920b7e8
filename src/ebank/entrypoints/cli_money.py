"""``ebank`` commands that move money or check the ledger: counter cash, transfers,
holds, reversals, ``ledger verify`` and ``ledger expire``."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer
from rich.table import Table

from ebank.application import ledger, verify
from ebank.application.context import Context
from ebank.domain.errors import InvalidInput, TransferNotFound
from ebank.entrypoints.cli_common import (
    fmt,
    open_bank,
    out,
    parse_money,
    progress_bar,
    refusals,
)

cash_app = typer.Typer(
    help="Counter cash: deposits and withdrawals at a branch.", no_args_is_help=True
)
hold_app = typer.Typer(help="Holds: reserve funds, then capture or void.", no_args_is_help=True)
ledger_app = typer.Typer(help="The ledger as a whole: verify, expire holds.", no_args_is_help=True)


def _posted(p: ledger.Posted) -> None:
    e = p.entry
    out.print(
        f"[green]posted[/green] {e.id} seq {e.seq}: {fmt(e.amount_minor, e.currency)} "
        f"{e.currency} {p.debit.number} -> {p.credit.number}"
    )


@cash_app.command("deposit")
@refusals
def cash_deposit(
    account: str,
    amount: str,
    branch: Annotated[str, typer.Option(help="the branch taking the cash")],
    currency: Annotated[str, typer.Option()] = "CNY",
) -> None:
    """Cash paid in at a branch counter."""
    _posted(ledger.cash_deposit(open_bank().ctx, branch, account, parse_money(amount, currency)))


@cash_app.command("withdraw")
@refusals
def cash_withdraw(
    account: str,
    amount: str,
    branch: Annotated[str, typer.Option(help="the branch paying the cash")],
    currency: Annotated[str, typer.Option()] = "CNY",
) -> None:
    """Cash paid out at a branch counter."""
    _posted(ledger.cash_withdrawal(open_bank().ctx, branch, account, parse_money(amount, currency)))


def _uuid(text: str | None) -> UUID | None:
    if text is None:
        return None
    try:
        return UUID(text)
    except ValueError:
        raise InvalidInput(f"not a transfer id: {text!r}") from None


def _transfer_id(text: str) -> UUID:
    found = _uuid(text)
    assert found is not None
    return found


def _part_of(ctx: Context, transfer_id: UUID, amount: str | None) -> int:
    """``--amount`` in the minor units of the transfer's currency; 0 (all of it) if absent."""
    if amount is None:
        return 0
    with ctx.read() as uow:
        entry = uow.journal.entry(transfer_id)
    if entry is None:
        raise TransferNotFound(f"no transfer {transfer_id}")
    return parse_money(amount, entry.currency).minor


@refusals
def transfer(
    from_account: str,
    to_account: str,
    amount: str,
    currency: Annotated[str, typer.Option()] = "CNY",
    reference: Annotated[str, typer.Option(max=64)] = "",
    transfer_id: Annotated[str | None, typer.Option("--id", help="idempotency key")] = None,
) -> None:
    """Move money between two accounts. Retrying with the same --id never posts twice."""
    _posted(
        ledger.transfer(
            open_bank().ctx,
            from_account,
            to_account,
            parse_money(amount, currency),
            transfer_id=_uuid(transfer_id),
            reference=reference,
        )
    )


@hold_app.command("place")
@refusals
def hold_place(
    from_account: str,
    to_account: str,
    amount: str,
    timeout: Annotated[int, typer.Option(help="seconds until it expires", min=1)] = 86_400,
    currency: Annotated[str, typer.Option()] = "CNY",
) -> None:
    """Reserve funds on an account for a payee."""
    _posted(
        ledger.place_hold(
            open_bank().ctx,
            from_account,
            to_account,
            parse_money(amount, currency),
            timeout_s=timeout,
        )
    )


@hold_app.command("capture")
@refusals
def hold_capture(hold_id: str, amount: Annotated[str | None, typer.Option()] = None) -> None:
    """Post a hold: all of it, or --amount of it (the rest is released)."""
    ctx = open_bank().ctx
    pending = _transfer_id(hold_id)
    minor = _part_of(ctx, pending, amount)
    e = ledger.resolve_hold(ctx, pending, capture=True, amount_minor=minor)
    out.print(f"[green]captured[/green] {fmt(e.amount_minor, e.currency)} {e.currency}")


@hold_app.command("void")
@refusals
def hold_void(hold_id: str) -> None:
    """Release a hold."""
    ledger.resolve_hold(open_bank().ctx, _transfer_id(hold_id), capture=False)
    out.print("[green]released[/green]")


@refusals
def reverse(transfer_id: str, amount: Annotated[str | None, typer.Option()] = None) -> None:
    """Reverse a posted transfer (all of it, or --amount of it)."""
    ctx = open_bank().ctx
    original = _transfer_id(transfer_id)
    e = ledger.reverse(ctx, original, amount_minor=_part_of(ctx, original, amount))
    out.print(f"[green]reversed[/green] by {e.id}: {fmt(e.amount_minor, e.currency)}")


# -- the ledger as a whole -------------------------------------------------------------
@ledger_app.command("verify")
def ledger_verify() -> None:
    """Re-derive every balance from the journal and compare; exit 1 on any difference."""
    bank = open_bank()
    with progress_bar() as progress:
        task = progress.add_task("checking accounts", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = verify.verify_ledger(bank.ctx, tick)
    table = Table("currency", "posted debits", "posted credits", "journal", "balanced")
    for t in report.totals:
        table.add_row(
            t.currency,
            fmt(t.debits_posted, t.currency),
            fmt(t.credits_posted, t.currency),
            fmt(t.journal_posted, t.currency),
            "yes" if t.balanced else "[red]NO[/red]",
        )
    out.print(f"{report.accounts} accounts, {report.transfers} journal entries")
    out.print(table)
    for m in report.mismatches:
        out.print(
            f"[red]mismatch[/red] {m.account_number} {m.counter}: stored {m.stored}, "
            f"journal says {m.derived}"
        )
    if report.mismatch_count > len(report.mismatches):
        out.print(f"... {report.mismatch_count - len(report.mismatches)} more mismatches")
    for number in report.limit_breaches:
        out.print(f"[red]beyond its limit[/red] {number}")
    for account_id in report.orphans:
        out.print(f"[red]journal names unknown account[/red] {account_id}")
    for account_id in report.broken_chains:
        out.print(f"[red]history chain broken[/red] for account id {account_id}")
    for account_id in report.unmirrored:
        out.print(f"[red]ledger row missing or out of step[/red] for account id {account_id}")
    if not report.ok:
        out.print("[red]LEDGER VERIFY FAILED[/red]")
        raise typer.Exit(1)
    out.print("[green]ledger verified: every balance matches the journal[/green]")


@ledger_app.command("expire")
def ledger_expire() -> None:
    """Release every hold whose time-out has passed."""
    n = ledger.expire_due(open_bank().ctx)
    out.print(f"expired {n} holds")
