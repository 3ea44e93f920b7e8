"""The checks a card message passes before it reaches the ledger, in the order the
switch applies them, and the ledger transfer each approved message becomes.

Order: the terminal (known 58, in service 58, signed on 91, takes this transaction 12),
then the card (exists 14, status 43/41/54/62/75, expiry against the card 54), the PIN
(55, 75), the amount (13), the card's daily limits (61, 65), and last the ledger (51,
57...). The terminal comes first, although the issue lists the card checks first: the
PIN block is enciphered under the terminal's zone key, so no PIN can be checked before
the terminal is known, and an unknown terminal learns nothing about a card (neither its
status nor a PIN try).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from ebank.application import card_pins
from ebank.application.context import Context
from ebank.application.ports import UnitOfWork
from ebank.application.ports_cards import CardRecord
from ebank.application.ports_switch import MessageClass, SwitchMessage
from ebank.application.terminals import TerminalView, terminal
from ebank.domain.accounts import Account, GlKind
from ebank.domain.cards import CardAccountType
from ebank.domain.codes import TxCode
from ebank.domain.errors import (
    CardAccountMissing,
    CardDailyAmountExceeded,
    CardDailyCountExceeded,
    CardExpired,
    CardNotFound,
    CardTransactionNotSupported,
    InvalidAmount,
    MerchantNotFound,
    TerminalNotActive,
    TerminalNotFound,
    TerminalNotSignedOn,
)
from ebank.domain.terminals import TerminalKind, TerminalStatus

# Processing code, positions 1-2: the transaction type.
PURCHASE = "00"
WITHDRAWAL = "01"
DEPOSIT = "21"
BALANCE_INQUIRY = "31"
TRANSFER = "40"
PIN_CHANGE = "96"  # a private-use code (9x) of ISO 8583:1987; new PIN block in field 53
# Positions 3-4 (from) and 5-6 (to): the account type; 00 is the card's default.
ACCOUNT_TYPES = {"10": CardAccountType.SAVINGS, "20": CardAccountType.CHECKING}
DEFAULT_ACCOUNT = "00"

# What each kind of terminal may ask, by message class.
_ALLOWED: dict[tuple[TerminalKind, MessageClass], frozenset[str]] = {
    (TerminalKind.ATM, MessageClass.FINANCIAL): frozenset(
        {WITHDRAWAL, DEPOSIT, BALANCE_INQUIRY, TRANSFER, PIN_CHANGE}
    ),
    (TerminalKind.POS, MessageClass.FINANCIAL): frozenset({PURCHASE, BALANCE_INQUIRY}),
    (TerminalKind.ATM, MessageClass.AUTHORISATION): frozenset({WITHDRAWAL}),
    (TerminalKind.POS, MessageClass.AUTHORISATION): frozenset({PURCHASE}),
}
_CODES = {
    PURCHASE: TxCode.POS_PURCHASE,
    WITHDRAWAL: TxCode.ATM_WITHDRAWAL,
    DEPOSIT: TxCode.ATM_DEPOSIT,
    TRANSFER: TxCode.CARD_TRANSFER,
}


def usable_terminal(
    ctx: Context, terminal_id: str, kind_of_request: MessageClass, transaction_type: str
) -> TerminalView:
    with ctx.read() as uow:
        found = terminal(uow, terminal_id)
    if found is None:
        raise TerminalNotFound(f"no terminal {terminal_id}")
    if found.status is not TerminalStatus.ACTIVE:
        raise TerminalNotActive(f"terminal {terminal_id} is out of service")
    if not found.signed_on:
        raise TerminalNotSignedOn(f"terminal {terminal_id} has not signed on")
    if transaction_type not in _ALLOWED.get((found.kind, kind_of_request), frozenset()):
        raise CardTransactionNotSupported(
            f"{found.kind.value} terminals take no {transaction_type} {kind_of_request.value}"
        )
    return found


def check_merchant(found: TerminalView, merchant_id: str | None) -> None:
    """Field 42, when sent, must name the POS terminal's own merchant."""
    if merchant_id is not None and merchant_id.strip() != (found.merchant_id or ""):
        raise MerchantNotFound("the card acceptor is not this terminal's merchant")


def present_card(ctx: Context, pan: str, expiry: str | None) -> CardRecord:
    """The card behind ``pan`` if it may be used now (before its PIN is checked)."""
    card = card_pins.card_by_pan(ctx, pan)
    if card is None:
        raise CardNotFound("no such card")
    card_pins.check_card_usable(ctx, card)
    if expiry is not None and expiry != card.expiry:
        raise CardExpired(f"card {card.card_id}: the expiry date sent is not the card's")
    return card


def usable_card(
    ctx: Context, pan: str, expiry: str | None, found: TerminalView, pin_block: bytes
) -> CardRecord:
    """The card behind ``pan`` if it may be used now with this PIN; its own reason
    otherwise. The PIN check counts a try in its own unit of work."""
    card = present_card(ctx, pan, expiry)
    card_pins.check_pin(ctx, card.card_id, found.zone_key_ref, pin_block)
    return card


def known_card_id(ctx: Context, pan: str) -> int | None:
    """The id of the card behind ``pan``, to log a decline under it."""
    card = card_pins.card_by_pan(ctx, pan)
    return card.card_id if card is not None else None


def card_account(uow: UnitOfWork, card: CardRecord, type_code: str) -> Account:
    """The account of ``card`` that an account type of the processing code names."""
    if type_code == DEFAULT_ACCOUNT:
        links = sorted(
            card.accounts, key=lambda link: link.account_type is not CardAccountType.SAVINGS
        )
    else:
        wanted = ACCOUNT_TYPES.get(type_code)
        links = [link for link in card.accounts if link.account_type is wanted]
    if not links:
        raise CardAccountMissing(f"card {card.card_id} has no account of type {type_code}")
    account = uow.accounts.get(links[0].account_id)
    assert account is not None, "a card links to existing accounts (foreign key)"
    return account


def type_code_of(card: CardRecord, account_id: int) -> str:
    """The processing-code account type under which ``card`` reaches ``account_id``."""
    for link in card.accounts:
        if link.account_id == account_id:
            return "10" if link.account_type is CardAccountType.SAVINGS else "20"
    return DEFAULT_ACCOUNT


@dataclass(frozen=True, slots=True)
class Movement:
    """The ledger transfer an approved message makes (debit -> credit)."""

    debit_account_id: int
    credit_account_id: int
    code: int
    card_account_id: int  # whose balance the answer reports


def movement(
    uow: UnitOfWork,
    card: CardRecord,
    found: TerminalView,
    processing_code: str,
    amount_minor: int,
) -> Movement | None:
    """What the message moves; ``None`` for a balance inquiry."""
    kind = processing_code[:2]
    if kind == BALANCE_INQUIRY:
        return None
    if amount_minor <= 0:
        raise InvalidAmount("the amount must be positive")
    source = card_account(uow, card, processing_code[2:4])
    if kind == TRANSFER:
        target = card_account(uow, card, processing_code[4:6])
        if target.id == source.id:
            raise CardTransactionNotSupported("a transfer needs two different accounts")
        return Movement(source.id, target.id, _CODES[kind], source.id)
    if kind == PURCHASE:
        clearing = uow.accounts.gl_account(found.branch_code, GlKind.CLEARING, card.currency)
        assert clearing is not None, "every branch has a clearing account per currency"
        return Movement(source.id, clearing.id, _CODES[kind], source.id)
    assert found.cash_account_id is not None, "an ATM has a cash account"
    _check_dispensable(found, amount_minor)
    if kind == WITHDRAWAL:
        return Movement(source.id, found.cash_account_id, _CODES[kind], source.id)
    return Movement(found.cash_account_id, source.id, _CODES[kind], source.id)


def _check_dispensable(found: TerminalView, amount_minor: int) -> None:
    """An ATM pays out and takes in whole notes: the amount is a multiple of its
    smallest note."""
    notes = [c.denomination_minor for c in found.cassettes if c.denomination_minor > 0]
    if notes and amount_minor % min(notes):
        raise InvalidAmount(f"the ATM handles multiples of {min(notes)} only")


# -- the card's daily limits ---------------------------------------------------------------
def outcome_code(message: SwitchMessage) -> str:
    return str(json.loads(message.outcome).get("code", ""))


def _net_usage(today: Sequence[SwitchMessage], transaction_type: str) -> tuple[int, int]:
    """(amount, count) of the approved ``transaction_type`` messages of the day, less
    what reversals gave back (a fully reversed one does not count)."""
    approved = {
        m.message_id: m.amount_minor
        for m in today
        if m.key.message_class in (MessageClass.FINANCIAL, MessageClass.AUTHORISATION)
        and m.processing_code[:2] == transaction_type
        and outcome_code(m) == "ok"
    }
    for m in today:
        if m.key.message_class is MessageClass.REVERSAL:
            stored = json.loads(m.outcome)
            original = stored.get("original_id")
            if original in approved:
                approved[original] -= int(stored.get("reversed_minor", 0))
    return sum(approved.values()), sum(1 for net in approved.values() if net > 0)


def check_daily_limits(
    uow: UnitOfWork, ctx: Context, card: CardRecord, processing_code: str, amount_minor: int
) -> None:
    """ATM: the day's withdrawals by amount (61) and number (65); POS: purchases by
    amount (61). Read with the card locked, so that two terminals cannot both pass."""
    kind = processing_code[:2]
    if kind not in (WITHDRAWAL, PURCHASE):
        return
    amount, count = _net_usage(uow.switch.for_card_on(card.card_id, ctx.clock.today()), kind)
    limits = card.limits
    if kind == WITHDRAWAL:
        if count + 1 > limits.atm_daily_count:
            raise CardDailyCountExceeded(f"card {card.card_id}: {count} withdrawals today")
        if amount + amount_minor > limits.atm_daily_minor:
            raise CardDailyAmountExceeded(f"card {card.card_id}: over the ATM daily amount")
    elif amount + amount_minor > limits.pos_daily_minor:
        raise CardDailyAmountExceeded(f"card {card.card_id}: over the POS daily amount")
