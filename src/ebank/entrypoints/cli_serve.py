"""``ebank serve``: run the bank's servers in one process (the Bank API and web pages
under uvicorn, the ISO 8583 switch, the background jobs) and print where they listen;
in development, the demo sign-ins."""

from __future__ import annotations

from typing import Annotated

import pyotp
import typer
from rich.console import Console
from rich.table import Table

from ebank.adapters.db.engine import schema_revision
from ebank.application.demo_terminals import demo_terminals
from ebank.application.demo_users import demo_card, demo_logins, demo_totp_secret
from ebank.bootstrap import Bank, build

out = Console()
err = Console(stderr=True)


def serve_command(
    host: Annotated[
        str | None, typer.Option(help="address to listen on (default EBANK_API_HOST)")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="port (default EBANK_API_PORT)")
    ] = None,
) -> None:
    """Run the bank: the Bank API (REST/JSON) and web pages on HOST:PORT, the ISO 8583
    switch on EBANK_SWITCH_HOST:EBANK_SWITCH_PORT, and the background jobs."""
    # The web stack is imported here, not at the top: the other commands start faster.
    import asyncio

    from ebank.entrypoints.api.server import make_server, serve_bank, switch_limits
    from ebank.entrypoints.switch.server import SwitchServer

    bank = build()
    current, head = schema_revision(bank.engine)
    if current != head:
        err.print(
            f"[red]database at revision {current}, code expects {head}[/red]: "
            "run `ebank db upgrade`"
        )
        raise typer.Exit(1)
    host = host or bank.settings.api_host
    port = port or bank.settings.api_port
    server = make_server(bank, host, port)
    base = f"http://{host}:{port}"
    table = Table("channel", "address", title="ebank is running")
    table.add_row("Bank API", f"{base}/api/v1")
    table.add_row("API documentation", f"{base}/api/docs")
    table.add_row("OpenAPI document", f"{base}/api/openapi.json")
    switch_address = f"{bank.settings.switch_host}:{bank.settings.switch_port}"
    table.add_row("ISO 8583 switch (ATM, POS)", f"tcp://{switch_address}")
    out.print(table)
    out.print(f"database: {bank.engine.url.render_as_string(hide_password=True)}")
    if bank.settings.environment == "dev":
        _print_demo_logins(bank)
    out.print("stop with Ctrl-C")
    switch = SwitchServer(bank, switch_limits(bank))
    try:
        asyncio.run(serve_bank(bank, server, switch))
    except OSError as exc:  # most often a port is taken
        err.print(f"[red]cannot listen on {switch_address}[/red]: {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass
    finally:
        bank.close()


def _print_demo_logins(bank: Bank) -> None:
    logins = demo_logins(bank.ctx)
    if not logins:
        return
    table = Table(title="demo sign-ins (development only)")
    table.add_column("user", no_wrap=True)
    table.add_column("role", no_wrap=True)
    table.add_column("TOTP secret", no_wrap=True, min_width=32)
    for login in logins:
        table.add_row(login.username, login.role.value, login.totp_secret)
    out.print(table)
    out.print(f"password of every demo user: [bold]{logins[0].password}[/bold]")
    out.print(
        "a one-time code for a demo user: [bold]ebank demo-code demo.customer[/bold] "
        "(or add the secret to any authenticator app)"
    )
    card = demo_card(bank.ctx)  # the full card number: here only, in the dev demo
    if card is not None:
        out.print(
            f"demo.customer's card for [bold]ebank atm[/bold]: [bold]{card.pan}[/bold]"
            f" (valid until {card.expiry}), PIN [bold]{card.pin}[/bold]"
        )
    terminals = demo_terminals(bank.ctx)
    if terminals:
        listed = ", ".join(f"{t.terminal_id} ({t.kind}, {t.where})" for t in terminals)
        out.print(f"demo terminals: {listed}")


def demo_code_command(
    username: Annotated[str, typer.Argument(help="a demo user, e.g. demo.customer")],
) -> None:
    """Print the current one-time code of a demo user (their secret is public)."""
    bank = build()
    if bank.settings.environment != "dev":
        err.print("[red]demo codes exist only in development[/red]")
        raise typer.Exit(1)
    if username not in {login.username for login in demo_logins(bank.ctx)}:
        err.print(f"[red]no demo user {username}[/red]")
        raise typer.Exit(1)
    out.print(pyotp.TOTP(demo_totp_secret(username)).now())
