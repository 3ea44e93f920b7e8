"""``ebank card``: cards from the command line (the bank's own operators; the counter
issues them at /office/cards/issue): issue, list, activate, set the PIN (typed twice,
never shown), unlock after wrong PINs. Prints the masked number only."""

from __future__ import annotations

import typer
from rich.console import Console

from ebank.application import card_pins, cards
from ebank.bootstrap import build
from ebank.domain.errors import DomainError, InvalidInput
from ebank.entrypoints.cli_common import bank_refusing
from ebank.entrypoints.error_codes import answer_for_error

card_app = typer.Typer(
    help="Bank cards: issue, list, activate, set the PIN, reset PIN tries.", no_args_is_help=True
)
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


@card_app.command("list")
def card_list(customer: str) -> None:
    """The cards of CUSTOMER (number): masked number, status, expiry, accounts."""
    with bank_refusing() as bank:
        views = card_pins.list_cards(bank.ctx, None, customer, policy=bank.card_policy)
    if not views:
        out.print(f"customer {customer} has no card")
    for card in views:
        linked = ", ".join(f"{a.account_type} {a.account_number}" for a in card.accounts)
        out.print(
            f"card {card.id}: {card.masked_pan}, {card.status}, until {card.expiry}, {linked}"
        )


def _ask_pin() -> str:
    pin = typer.prompt("New PIN", hide_input=True)
    if pin != typer.prompt("The PIN again", hide_input=True):
        err.print("[red]the two PINs differ[/red]: nothing was changed")
        raise typer.Exit(2)
    return str(pin)


@card_app.command("set-pin")
def card_set_pin(card_id: int) -> None:
    """Set the PIN of card CARD_ID: typed twice, hidden, never stored or shown (only its
    verification value is kept); the count of wrong PINs starts again."""
    pin = _ask_pin()
    with bank_refusing() as bank:
        card_pins.set_pin(bank.ctx, None, card_id, pin)
    out.print(f"card {card_id}: the PIN is set")


@card_app.command("activate")
def card_activate(card_id: int) -> None:
    """Activate card CARD_ID (issued inactive, or migrated inactive)."""
    with bank_refusing() as bank:
        card_pins.activate_card(bank.ctx, None, card_id, policy=bank.card_policy)
    out.print(f"card {card_id}: active")


@card_app.command("reset-pin-tries")
def card_reset_pin_tries(card_id: int) -> None:
    """Unlock card CARD_ID after too many wrong PINs (having seen the customer)."""
    with bank_refusing() as bank:
        card_pins.reset_pin_tries(bank.ctx, None, card_id)
    out.print(f"card {card_id}: PIN tries reset")
