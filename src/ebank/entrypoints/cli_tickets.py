"""``ebank tickets``: the call centre's batch steps from the command line (a scheduler
runs them): ``check-sla`` flags the tickets that missed a service level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer
from rich.console import Console

from ebank.application import callcentre
from ebank.bootstrap import build

tickets_app = typer.Typer(help="Call-centre tickets: service-level checks.", no_args_is_help=True)
out = Console()
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
err = Console(stderr=True)


@tickets_app.command("check-sla")
def check_sla(
    at: str = typer.Option(
        "", help="The time to check for (ISO 8601 with offset); default: the bank's clock now."
    ),
) -> None:
    """Flag tickets not acknowledged or not resolved in time (each flag audited)."""
    bank = build()
    try:
        if at:
            try:
                moment = datetime.fromisoformat(at)
            except ValueError:
                err.print("[red]refused[/red]: --at must be an ISO 8601 time")
                raise typer.Exit(2) from None
            if moment.tzinfo is None:
                err.print("[red]refused[/red]: --at needs a UTC offset")
                raise typer.Exit(2)
            now_us = (moment - EPOCH) // timedelta(microseconds=1)
        else:
            now_us = bank.ctx.clock.now_us()
        flagged = callcentre.check_slas(bank.ctx, now_us)
    finally:
        bank.close()
    for ticket_id, breach in sorted(flagged.items()):
        out.print(f"ticket {ticket_id}: {breach} breach")
    out.print(f"{len(flagged)} ticket(s) newly flagged")
