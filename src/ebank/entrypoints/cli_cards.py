"""``ebank card``: cards issued from the command line (the bank's own operators; the
counter issues them at /office/cards/issue). Prints the masked number only."""

from __future__ import annotations

import typer
from rich.console import Console

from ebank.application import cards
from ebank.bootstrap import build
from ebank.domain.errors import DomainError, InvalidInput
from ebank.entrypoints.error_codes import answer_for_error

card_app = typer.Typer(help="Bank cards: issue.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


@card_app.command("issue")
def card_issue(customer: str, account: str) -> None:
    """Issue an active card to CUSTOMER (number) reaching ACCOUNT (number)."""
    bank = build()
    try:
        card = cards.issue_card(bank.ctx, None, customer, account, policy=bank.card_policy)
    except DomainError as exc:
        err.print(f"[red]refused[/red] ({exc.code}): {answer_for_error(exc).text}")
        raise typer.Exit(2 if isinstance(exc, InvalidInput) else 1) from None
    finally:
        bank.close()
    out.print(f"card {card.id}: {card.masked_pan}, valid until {card.expiry}, {card.status}")
