"""The telephone banking menu's vocabulary: its states, prompts, what it gathers from
the keypad, the call's session, the actions it asks the use case for and the outcomes it
is told (the machine itself is ``ivr.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from ebank.domain.ivr_prompts import ZH

MAX_TRIES = 3
PIN_LENGTH = 6
MAX_NUMBER_LENGTH = 32
MAX_AMOUNT_DIGITS = 12
MAX_DONE = 20  # what the caller did, kept for an agent's ticket


class State(StrEnum):
    LANGUAGE = "language"
    IDENTIFY = "identify"
    PIN = "pin"
    LOSS_IDENTITY = "loss_identity"
    MENU = "menu"
    TRANSFER_TARGET = "transfer_target"
    TRANSFER_AMOUNT = "transfer_amount"
    TRANSFER_CONFIRM = "transfer_confirm"
    LOSS_CARD = "loss_card"
    LOSS_CONFIRM = "loss_confirm"
    PIN_NEW = "pin_new"
    PIN_REPEAT = "pin_repeat"
    STATEMENT_PERIOD = "statement_period"
    STATEMENT_DELIVERY = "statement_delivery"
    STATEMENT_FAX = "statement_fax"
    STATEMENT_NO_EMAIL = "statement_no_email"  # fax instead, or back to the menu
    ENDED = "ended"


class ActionKind(StrEnum):
    IDENTIFY = "identify"  # value: card or account number
    VERIFY_PIN = "verify_pin"  # value: the telephone PIN
    VERIFY_IDENTITY = "verify_identity"  # value: the identity number
    BALANCE = "balance"
    HISTORY = "history"
    LIST_TARGETS = "list_targets"  # the caller's other accounts
    TRANSFER = "transfer"
    LIST_CARDS = "list_cards"
    REPORT_LOST = "report_lost"
    NEW_PIN = "new_pin"  # value: the new PIN; the outcome's token is its verification
    CHANGE_PIN = "change_pin"  # value: the repeated new PIN
    QUEUE_STATEMENT = "queue_statement"  # value: the fax number ("" for e-mail)
    AGENT = "agent"


@dataclass(frozen=True, slots=True)
class Prompt:
    id: str
    args: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def of(prompt_id: str, **args: str) -> Prompt:
        return Prompt(prompt_id, tuple(args.items()))


@dataclass(frozen=True, slots=True)
class Gather:
    """How to collect the next key presses."""

    max_digits: int
    finish_on_key: str = ""  # "" : the input ends at max_digits


@dataclass(frozen=True, slots=True)
class Session:
    state: State = State.LANGUAGE
    language: str = ZH
    tries: int = 0
    customer_id: int = 0
    account_id: int = 0  # the account the caller identified with (or the card's)
    authenticated: bool = False
    loss_only: bool = False  # identified by identity number: loss reports only
    account_label: str = ""  # its last four digits, to read out
    # What the last list offered (accounts, cards): id and last four digits, by key.
    choices: tuple[tuple[int, str], ...] = ()
    chosen: int = 0
    chosen_label: str = ""
    amount_minor: int = 0
    currency: str = ""
    token: str = ""  # the new PIN's verification value between its two entries
    period: str = ""
    done: tuple[str, ...] = ()

    def did(self, what: str) -> Session:
        return replace(self, done=(*self.done, what)[-MAX_DONE:])


@dataclass(frozen=True, slots=True)
class Action:
    kind: ActionKind
    value: str = field(default="", repr=False)  # may be a PIN: never printed


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an action went. ``say`` carries the data the use case read (balances, lists);
    ``reason`` the refusal's code."""

    ok: bool
    reason: str = ""
    say: tuple[Prompt, ...] = ()
    choices: tuple[tuple[int, str], ...] = ()
    customer_id: int = 0
    account_id: int = 0
    account_label: str = ""
    currency: str = ""
    token: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    session: Session
    say: tuple[Prompt, ...] = ()
    action: Action | None = None
    end: bool = False
    agent: bool = False

    @property
    def gather(self) -> Gather | None:
        if self.end or self.action is not None:
            return None
        return GATHERS.get(self.session.state)


GATHERS: dict[State, Gather] = {
    State.LANGUAGE: Gather(1),
    State.IDENTIFY: Gather(MAX_NUMBER_LENGTH, "#"),
    State.PIN: Gather(PIN_LENGTH, "#"),
    State.LOSS_IDENTITY: Gather(MAX_NUMBER_LENGTH, "#"),
    State.MENU: Gather(1),
    State.TRANSFER_TARGET: Gather(1),
    State.TRANSFER_AMOUNT: Gather(MAX_AMOUNT_DIGITS + 3, "#"),
    State.TRANSFER_CONFIRM: Gather(1),
    State.LOSS_CARD: Gather(1),
    State.LOSS_CONFIRM: Gather(1),
    State.PIN_NEW: Gather(PIN_LENGTH, "#"),
    State.PIN_REPEAT: Gather(PIN_LENGTH, "#"),
    State.STATEMENT_PERIOD: Gather(1),
    State.STATEMENT_DELIVERY: Gather(1),
    State.STATEMENT_FAX: Gather(20, "#"),
    State.STATEMENT_NO_EMAIL: Gather(1),
}

# What each state asks; said again on a retry.
ASKS: dict[State, str] = {
    State.LANGUAGE: "choose_language",
    State.IDENTIFY: "enter_number",
    State.PIN: "enter_pin",
    State.LOSS_IDENTITY: "enter_identity",
    State.MENU: "menu",
    State.TRANSFER_AMOUNT: "enter_amount",
    State.PIN_NEW: "enter_new_pin",
    State.PIN_REPEAT: "repeat_new_pin",
    State.STATEMENT_PERIOD: "choose_period",
    State.STATEMENT_DELIVERY: "choose_delivery",
    State.STATEMENT_FAX: "enter_fax",
    State.STATEMENT_NO_EMAIL: "no_email_on_file",
}
