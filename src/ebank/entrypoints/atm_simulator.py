"""``ebank atm``: an ATM in the terminal, for a person to try the bank.

It behaves as a terminal does and nothing more: it reads a card number, turns the PIN
into an ISO 9564 format-0 PIN block under the terminal's zone PIN key (through the HSM
port, as a PIN pad would) and speaks ISO 8583 over TCP to the switch: sign-on (0800/001)
first, an echo (0800/301) as heartbeat while it waits, 0200 for withdrawals, deposits,
balance inquiries, transfers and PIN changes, a reversal (0420) when an answer does not
come in time, sign-off (0800/002) at the end. Each answer is shown in words from the
one table of response codes; with ``--trace`` the fields too (card number, track 2 and
PIN block masked). No answer and no dropped connection ends the program.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Mapping
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from ebank.adapters.crypto.keys import TEST_ZONE_KEY_REF
from ebank.adapters.iso8583.spec import NEW_PIN_FIELD, PIN_CHANGE_CODE
from ebank.application import terminals
from ebank.application.demo_terminals import DEMO_ATMS
from ebank.bootstrap import Bank, build
from ebank.domain.errors import InvalidInput
from ebank.domain.money import Currency, Money, format_minor
from ebank.entrypoints.atm_link import Heartbeat, LinkDown, SwitchLink, mask_fields, words_for

CNY = Currency.of("CNY")
CNY_NUMERIC = "156"  # ISO 4217 numeric code, field 49
DEFAULT_TERMINAL = DEMO_ATMS[0]
HEARTBEAT_S = 30.0  # the switch drops a terminal silent for 2 minutes
MIN_PIN, MAX_PIN = 4, 12
MAX_PAN = 19
# Processing code: transaction type (2 digits), from account, to account (ISO 8583:1987).
DEFAULT_ACCOUNT, SAVINGS, CHECKING = "00", "10", "20"
ACCOUNT_NAMES = {SAVINGS: "savings", CHECKING: "checking", DEFAULT_ACCOUNT: "default"}

out = Console(highlight=False)


# -- the customer's side -------------------------------------------------------------------
class EndOfInput(Exception):
    """The person (or the test driving us) has nothing more to type."""


class Screen:
    """What the person sees and types: rich panels on the console, answers read line by
    line (a PIN without echo when a terminal is attached)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def show(self, title: str, body: str, style: str = "cyan") -> None:
        self.console.print(Panel(body, title=title, border_style=style, expand=False))

    def ask(self, prompt: str) -> str:
        try:
            return self.console.input(f"{prompt}: ").strip()
        except (EOFError, KeyboardInterrupt):
            raise EndOfInput from None

    def ask_secret(self, prompt: str) -> str:
        if not sys.stdin.isatty():  # piped: nothing is echoed anyway
            self.console.print(f"{prompt}: ", end="")
            line = sys.stdin.readline()
            self.console.print()
            if not line:
                raise EndOfInput
            return line.strip()
        try:
            return getpass.getpass(f"{prompt}: ").strip()
        except (EOFError, KeyboardInterrupt):
            raise EndOfInput from None


def parse_balances(field_54: str) -> list[tuple[str, str, int]]:
    """Field 54 as (account type, amount type, signed minor units): blocks of 20
    characters, account type (2), amount type (2), currency (3), C or D, amount (12)."""
    found = []
    for start in range(0, len(field_54) - 19, 20):
        block = field_54[start : start + 20]
        amount = block[8:20]
        if not amount.isdigit() or block[7] not in "CD":
            continue
        sign = -1 if block[7] == "D" else 1
        found.append((block[0:2], block[2:4], sign * int(amount)))
    return found


AMOUNT_TYPES = {"01": "ledger balance", "02": "available balance"}


class AtmSession:
    """One card at the ATM: from the card reader to the eject button."""

    def __init__(
        self,
        link: SwitchLink,
        screen: Screen,
        pin_pad: Callable[[str, str], bytes],
    ) -> None:
        self.link, self.screen, self.pin_pad = link, screen, pin_pad
        self.pan = ""
        self.pin_block = ""

    # -- the card and the PIN --------------------------------------------------------
    def insert_card(self) -> bool:
        """Read a card number; False when the person leaves."""
        while True:
            typed = self.screen.ask("Card number (empty to leave)").replace(" ", "")
            if not typed:
                return False
            if typed.isdigit() and 12 <= len(typed) <= MAX_PAN:
                self.pan = typed
                return True
            self.screen.show("Card", "That is not a card number: 12 to 19 digits.", "red")

    def read_pin(self, prompt: str) -> str | None:
        """A PIN typed at the pad (kept only until it is a PIN block); None after three
        entries that are not a PIN."""
        for _ in range(3):
            pin = self.screen.ask_secret(prompt)
            if pin.isdigit() and MIN_PIN <= len(pin) <= MAX_PIN:
                return pin
            self.screen.show("PIN", f"A PIN is {MIN_PIN} to {MAX_PIN} digits.", "red")
        return None

    def enter_pin(self, prompt: str = "PIN") -> str | None:
        """The PIN block (hex) of a PIN typed at the pad."""
        pin = self.read_pin(prompt)
        return None if pin is None else self.pin_pad(pin, self.pan).hex().upper()

    # -- the menu ----------------------------------------------------------------------
    def run(self) -> None:
        pin_block = self.enter_pin()
        if pin_block is None:
            self.screen.show("Card", "Please take your card.")
            return
        self.pin_block = pin_block
        actions: dict[str, Callable[[], bool]] = {
            "1": self.withdraw,
            "2": self.deposit,
            "3": self.balance,
            "4": self.transfer,
            "5": self.change_pin,
        }
        while True:
            self.screen.show(
                "ebank ATM " + self.link.terminal_id,
                "1 Withdraw cash\n2 Deposit cash\n3 Balance\n"
                "4 Transfer between your accounts\n5 Change PIN\n6 Eject card",
            )
            choice = self.screen.ask("Choose 1-6")
            if choice == "6":
                break
            action = actions.get(choice)
            if action is None:
                self.screen.show("Menu", "Choose a number from 1 to 6.", "red")
            elif not action():
                break
        self.screen.show("Card", "Please take your card. Thank you for banking with ebank.")

    def ask_amount(self, what: str) -> int | None:
        typed = self.screen.ask(f"{what} in yuan (empty to cancel)")
        if not typed:
            return None
        try:
            money = Money.parse(typed, CNY)
        except InvalidInput:
            money = Money(0, CNY)
        if money.minor <= 0 or money.minor % 100:
            self.screen.show(what, "Type a whole number of yuan, such as 300.", "red")
            return None
        return money.minor

    def card_fields(self, mti: str, processing_code: str, amount_minor: int) -> dict[str, str]:
        return self.link.stamp(
            {
                "t": mti,
                "2": self.pan,
                "3": processing_code,
                "4": f"{amount_minor:012d}",
                "22": "021",  # card read, PIN capable
                "49": CNY_NUMERIC,
                "52": self.pin_block,
            }
        )

    def send(self, fields: dict[str, str]) -> dict[str, str] | None:
        """Send a card message; on a time-out, reverse it. None when there is no answer
        (the screen has said why)."""
        try:
            return self.link.request(fields)
        except LinkDown as exc:
            if exc.timed_out and fields["t"] == "0200":
                self.reverse(fields)
            else:
                self.screen.show("Sorry", f"{exc}. Nothing was done; try again.", "red")
            return None

    def reverse(self, original: Mapping[str, str]) -> None:
        """The answer never came: tell the bank to undo whatever it did (0420)."""
        fields = {k: v for k, v in original.items() if k not in {"52", "7", "11", "12", "13"}}
        fields["t"] = "0420"
        fields["90"] = original["t"] + original["11"] + original["7"] + "0" * 22
        try:
            answer = self.link.request(self.link.stamp(fields))
            undone = answer.get("39") == "00"
        except LinkDown:
            undone = False
        self.screen.show(
            "Sorry",
            "The bank did not answer in time. "
            + ("The transaction was cancelled." if undone else "It will be cancelled."),
            "red",
        )

    def outcome(self, title: str, answer: Mapping[str, str], done: str) -> bool:
        """Show the answer in words; False when the card must leave the ATM."""
        code = answer.get("39", "")
        if code == "00":
            self.screen.show(title, done, "green")
            return True
        self.screen.show(title, f"Not done: {words_for(code)} ({code}).", "red")
        if code == "55":
            pin_block = self.enter_pin("PIN again")
            if pin_block is None:
                return False
            self.pin_block = pin_block
            return True
        return code not in {"41", "43", "54", "62", "75"}

    # -- the transactions ------------------------------------------------------------------
    def withdraw(self) -> bool:
        amount = self.ask_amount("Withdrawal")
        if amount is None:
            return True
        answer = self.send(self.card_fields("0200", "01" + DEFAULT_ACCOUNT + "00", amount))
        if answer is None:
            return True
        done = f"Please take your cash: {_yuan(amount)}." + _available(answer)
        return self.outcome("Withdrawal", answer, done)

    def deposit(self) -> bool:
        amount = self.ask_amount("Deposit")
        if amount is None:
            return True
        answer = self.send(self.card_fields("0200", "2100" + DEFAULT_ACCOUNT, amount))
        if answer is None:
            return True
        return self.outcome("Deposit", answer, f"Deposited: {_yuan(amount)}." + _available(answer))

    def balance(self) -> bool:
        answer = self.send(self.card_fields("0200", "31" + DEFAULT_ACCOUNT + "00", 0))
        if answer is None:
            return True
        if answer.get("39") != "00":
            return self.outcome("Balance", answer, "")
        table = Table("account", "balance", "amount", title="Balance")
        for account_type, amount_type, minor in parse_balances(answer.get("54", "")):
            table.add_row(
                ACCOUNT_NAMES.get(account_type, account_type),
                AMOUNT_TYPES.get(amount_type, amount_type),
                _yuan(minor),
            )
        self.screen.console.print(table)
        return True

    def transfer(self) -> bool:
        direction = self.screen.ask("1 savings to checking, 2 checking to savings")
        pair = {"1": SAVINGS + CHECKING, "2": CHECKING + SAVINGS}.get(direction)
        if pair is None:
            return True
        amount = self.ask_amount("Transfer")
        if amount is None:
            return True
        answer = self.send(self.card_fields("0200", "40" + pair, amount))
        if answer is None:
            return True
        return self.outcome("Transfer", answer, f"Transferred: {_yuan(amount)}.")

    def change_pin(self) -> bool:
        new_pin = self.read_pin("New PIN")
        if new_pin is None:
            return True
        if self.read_pin("New PIN again") != new_pin:
            self.screen.show("Change PIN", "The two new PINs differ: nothing changed.", "red")
            return True
        new_block = self.pin_pad(new_pin, self.pan).hex().upper()
        fields = self.card_fields("0200", PIN_CHANGE_CODE, 0)
        fields[NEW_PIN_FIELD] = new_block
        answer = self.send(fields)
        if answer is None:
            return True
        ok = self.outcome("Change PIN", answer, "Your PIN is changed.")
        if answer.get("39") == "00":
            self.pin_block = new_block
        return ok


def _yuan(minor: int) -> str:
    return f"{format_minor(minor, CNY)} CNY"


def _available(answer: Mapping[str, str]) -> str:
    """The available balance an approval carries in field 54, as a sentence."""
    lines = [minor for _, kind, minor in parse_balances(answer.get("54", "")) if kind == "02"]
    return f"\nAvailable balance: {_yuan(lines[0])}." if lines else ""


# -- the command ---------------------------------------------------------------------------
def zone_key_of(bank: Bank, terminal_id: str) -> str:
    """The zone PIN key the terminal is registered with, when the bank's database is at
    hand; else the test key of development (a real ATM has its key loaded)."""
    try:
        with bank.ctx.read() as uow:
            found = terminals.terminal(uow, terminal_id)
    except SQLAlchemyError:
        found = None
    return found.zone_key_ref if found is not None else TEST_ZONE_KEY_REF


def _trace_printer(console: Console) -> Callable[[str, Mapping[str, str]], None]:
    def show(direction: str, fields: Mapping[str, str]) -> None:
        shown = mask_fields(fields)
        table = Table("field", "value", title=f"{direction} {shown.get('t', '')}", box=None)
        for key in sorted((k for k in shown if k != "t"), key=int):
            table.add_row(key, shown[key])
        console.print(table, style="dim")

    return show


def atm_command(
    terminal: Annotated[str, typer.Option(help="the ATM's terminal id")] = DEFAULT_TERMINAL,
    host: Annotated[
        str | None, typer.Option(help="the switch's address (default EBANK_SWITCH_HOST)")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="the switch's port (default EBANK_SWITCH_PORT)"),
    ] = None,
    zone_key: Annotated[
        str | None,
        typer.Option(help="the zone PIN key reference (default: the terminal's registered one)"),
    ] = None,
    trace: Annotated[
        bool, typer.Option(help="show each message's fields (card number and PIN masked)")
    ] = False,
    heartbeat_s: Annotated[
        float, typer.Option(min=1, help="seconds between echo messages while idle")
    ] = HEARTBEAT_S,
) -> None:
    """An ATM in the terminal: insert a card number, enter the PIN, withdraw, deposit,
    see the balance, transfer, change the PIN. It speaks ISO 8583 to the switch."""
    bank = build()
    hsm = bank.ctx.hsm
    assert hsm is not None, "the bank is built with an HSM"
    key_ref = zone_key or zone_key_of(bank, terminal)
    host = host or bank.settings.switch_host
    port = port or bank.settings.switch_port
    bank.close()
    screen = Screen(out)
    link = SwitchLink(host, port, terminal, trace=_trace_printer(out) if trace else None)
    screen.show(f"ebank ATM {terminal}", f"Connecting to the bank at {host}:{port} ...")
    try:
        answer = link.sign_on()
        code = answer.get("39", "")
        if link.signed_on:
            screen.show("Sign-on", "Signed on: the ATM is in service.", "green")
        else:
            screen.show("Sign-on", f"Refused: {words_for(code)} ({code}).", "red")
    except LinkDown as exc:
        screen.show("Sign-on", f"{exc}: the ATM will try again with the first card.", "red")
    beat = Heartbeat(link, heartbeat_s)
    beat.start()
    try:
        _serve_cards(link, screen, lambda pin, pan: hsm.encrypt_pin_block(key_ref, pin, pan))
    finally:
        beat.stopped.set()
        link.sign_off()
    out.print("The ATM is closed.")


def _serve_cards(link: SwitchLink, screen: Screen, pin_pad: Callable[[str, str], bytes]) -> None:
    """One card after another until the person leaves (or input ends)."""
    try:
        while True:
            session = AtmSession(link, screen, pin_pad)
            screen.show(f"ebank ATM {link.terminal_id}", "Welcome. Please insert your card.")
            if not session.insert_card():
                return
            session.run()
    except EndOfInput:
        return
