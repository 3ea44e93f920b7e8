"""``ebank phone`` (a caller simulator), ``ebank phone-pin set`` (a customer's
telephone-banking PIN, typed twice, never shown) and ``ebank documents run`` (send the
queued statements through the console mail/fax twin)."""

from __future__ import annotations

import getpass

import httpx
import typer
from rich.console import Console

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.adapters.mailfax_console import ConsoleMailFax
from ebank.application import document_jobs, phone_pins
from ebank.bootstrap import build
from ebank.config import Settings
from ebank.domain.errors import DomainError, InvalidInput
from ebank.entrypoints.error_codes import answer_for_error
from ebank.entrypoints.phone_simulator import PhoneCall, play

phone_pin_app = typer.Typer(help="Telephone-banking PINs.", no_args_is_help=True)
documents_app = typer.Typer(help="Queued documents (statements by e-mail or fax).")
out = Console()
err = Console(stderr=True)


@phone_pin_app.command("set")
def phone_pin_set(customer: str) -> None:
    """Set the telephone-banking PIN of CUSTOMER (number): six digits, typed twice."""
    pin = typer.prompt("New telephone PIN", hide_input=True)
    if pin != typer.prompt("The PIN again", hide_input=True):
        err.print("[red]the two PINs differ[/red]")
        raise typer.Exit(2)
    bank = build()
    try:
        phone_pins.set_phone_pin(bank.ctx, None, customer, pin)
    except DomainError as exc:
        err.print(f"[red]refused[/red] ({exc.code}): {answer_for_error(exc).text}")
        raise typer.Exit(2 if isinstance(exc, InvalidInput) else 1) from None
    finally:
        bank.close()
    out.print(f"telephone PIN set for customer {customer}")


@documents_app.command("run")
def documents_run(limit: int = typer.Option(100, min=1, max=100)) -> None:
    """Build and send the queued statements (console mail/fax twin)."""
    bank = build()
    try:
        report = document_jobs.run_pending(
            bank.ctx, ConsoleMailFax(echo=out.print), tz=BANK_TIMEZONE, limit=limit
        )
    finally:
        bank.close()
    out.print(f"sent {report.sent}, to retry {report.retried}, failed {report.failed}")


def phone_command(
    url: str = typer.Option("", help="The bank's base URL (default: the configured API)."),
    vxml: bool = typer.Option(False, "--vxml", help="Speak VoiceXML instead of TwiML."),
    caller: str = typer.Option("+8613800000000", help="The caller's number."),
) -> None:
    """Call telephone banking from the terminal: hear the prompts, type the keys."""
    settings = Settings()
    base = url or f"http://{settings.api_host}:{settings.api_port}"
    token = settings.twilio_auth_token.get_secret_value()
    if not vxml and not token:
        err.print("[red]set EBANK_TWILIO_AUTH_TOKEN (the server checks signatures)[/red]")
        raise typer.Exit(2)
    with httpx.Client(base_url=base, timeout=30) as client:
        call = PhoneCall(client, vxml=vxml, token=token, caller=caller)
        # Keys are read without echo: a PIN typed here is not left on the screen.
        play(call, lambda: getpass.getpass("keys> "), out.print)
