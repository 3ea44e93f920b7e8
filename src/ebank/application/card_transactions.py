"""Card transactions from ATMs and POS terminals (the switch's use cases): 0100
authorisations (a ledger hold with a time-out), 0200 financial requests (purchase,
cash withdrawal, deposit, balance inquiry, transfer between the card's accounts), and,
in ``card_reversals``, their completions (0220) and reversals (0400/0420).

Every message is answered once: its key (terminal, STAN, local date, message class) is
stored with the outcome in the same unit of work as the ledger posting, so a
retransmission finds the first answer and never posts twice (two copies racing: the
second's insert fails on the unique key, its posting rolls back, and it answers what the
first stored). Declines are stored too: a retransmitted wrong PIN does not count a second
try. Outcomes are named codes (``ok``, a ledger ``Result``, a ``DomainError`` code); the
switch turns them into field 39 through the one table, handed in as ``response_code``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from ebank.application import atm_cash, card_checks, card_pins
from ebank.application.context import Context
from ebank.application.ledger import MAX_ATTEMPTS, post_within
from ebank.application.ports import ConcurrencyConflict, UnitOfWork
from ebank.application.ports_cards import CardRecord
from ebank.application.ports_switch import (
    MessageClass,
    MessageKey,
    NewSwitchMessage,
    SwitchMessage,
)
from ebank.application.terminals import TerminalView
from ebank.domain.errors import DomainError, DuplicateTransmission, InvalidAmount
from ebank.domain.terminals import TerminalKind, dispense_plan
from ebank.domain.transfers import Result, Transfer, TransferKind

OK = "ok"
# How long an authorisation holds the funds before the ledger releases them by itself
# (a completion or a reversal normally comes long before).
AUTHORISATION_TIMEOUT_S = 7 * 24 * 3600

# Field 39 for an outcome code: the entry point hands in the one table's lookup.
ResponseCodes = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class OriginalRef:
    """Field 90: the message a completion or reversal refers to."""

    mti: str
    stan: str
    local_date: str  # MMDD (positions 11-14 of field 90: the original's field 7 date)


@dataclass(frozen=True, slots=True)
class CardRequest:
    mti: str
    message_class: MessageClass
    terminal_id: str
    stan: str
    local_date: str
    rrn: str
    processing_code: str
    amount_minor: int
    currency: str
    pan: str
    expiry: str | None = None  # YYMM, from field 14 or track 2
    pin_block: bytes | None = None
    merchant_id: str | None = None
    original: OriginalRef | None = None
    replacement_amount_minor: int | None = None  # field 95: what was really done
    new_pin_block: bytes | None = None  # field 53, PIN change only

    @property
    def key(self) -> MessageKey:
        return MessageKey(self.terminal_id, self.stan, self.local_date, self.message_class)

    @property
    def transaction_type(self) -> str:
        return self.processing_code[:2]


@dataclass(frozen=True, slots=True)
class BalanceLine:
    account_type: str  # 10 savings, 20 checking
    amount_type: str  # 01 ledger balance, 02 available balance
    currency: str
    amount_minor: int  # may be negative


@dataclass(frozen=True, slots=True)
class CardOutcome:
    code: str  # ``ok`` approves
    response_code: str  # field 39
    approval_code: str = ""  # field 38
    balances: tuple[BalanceLine, ...] = ()
    repeated: bool = False  # the answer to a retransmission, from the message log
    # For the message log only: what a reversal undid, and the message it undid.
    reversed_minor: int = 0
    original_id: int | None = None

    def stored(self) -> str:
        return json.dumps(
            {
                "code": self.code,
                "approval": self.approval_code,
                "balances": [
                    [b.account_type, b.amount_type, b.currency, b.amount_minor]
                    for b in self.balances
                ],
                "reversed_minor": self.reversed_minor,
                "original_id": self.original_id,
            },
            separators=(",", ":"),
        )


def repeated_answer(
    first: SwitchMessage, request: CardRequest, codes: ResponseCodes
) -> CardOutcome:
    """The first answer again, when ``request`` is a retransmission of ``first``; 94 when
    the key was used for another message."""
    same = (
        first.processing_code == request.processing_code
        and first.amount_minor == request.amount_minor
        and first.pan_last4 == request.pan[-4:]
    )
    if not same:
        code = DuplicateTransmission.code
        return CardOutcome(code, codes(code), repeated=True)
    stored = json.loads(first.outcome)
    return CardOutcome(
        code=stored["code"],
        response_code=first.response_code,
        approval_code=stored.get("approval", ""),
        balances=tuple(BalanceLine(t, k, c, int(m)) for t, k, c, m in stored.get("balances", [])),
        repeated=True,
    )


def log_message(
    uow: UnitOfWork,
    ctx: Context,
    request: CardRequest,
    outcome: CardOutcome,
    card_id: int | None,
    transfer_id: UUID | None = None,
) -> None:
    uow.switch.add(
        NewSwitchMessage(
            key=request.key,
            mti=request.mti,
            processing_code=request.processing_code,
            amount_minor=request.amount_minor,
            currency=request.currency,
            card_id=card_id,
            pan_last4=request.pan[-4:],
            rrn=request.rrn,
            response_code=outcome.response_code,
            transfer_id=transfer_id,
            outcome=outcome.stored(),
            created_at_us=ctx.clock.now_us(),
        )
    )


def first_answer(ctx: Context, request: CardRequest, codes: ResponseCodes) -> CardOutcome | None:
    with ctx.read() as uow:
        first = uow.switch.find(request.key)
    return repeated_answer(first, request, codes) if first is not None else None


def answered(
    ctx: Context,
    request: CardRequest,
    code: str,
    codes: ResponseCodes,
    card_id: int | None,
) -> CardOutcome:
    """Store and return an answer that posts nothing (the terminal is known: the log
    refers to it)."""
    outcome = CardOutcome(code, codes(code))
    for _ in range(MAX_ATTEMPTS):
        try:
            with ctx.uow() as uow:
                first = uow.switch.find(request.key)
                if first is not None:
                    return repeated_answer(first, request, codes)
                log_message(uow, ctx, request, outcome, card_id)
                uow.commit()
                return outcome
        except ConcurrencyConflict:
            continue
    raise ConcurrencyConflict("the message log stayed busy")


def card_request(ctx: Context, request: CardRequest, codes: ResponseCodes) -> CardOutcome:
    """An 0100 authorisation or an 0200 financial request, answered once."""
    repeated = first_answer(ctx, request, codes)
    if repeated is not None:
        return repeated
    try:
        found = card_checks.usable_terminal(
            ctx, request.terminal_id, request.message_class, request.transaction_type
        )
    except DomainError as refused:  # the terminal is not known: nothing to log it under
        return CardOutcome(refused.code, codes(refused.code))
    assert request.pin_block is not None, "the handler requires field 52"
    if request.transaction_type == card_checks.PIN_CHANGE:
        return _change_pin(ctx, request, found, request.pin_block, codes)
    try:
        card_checks.check_merchant(found, request.merchant_id)
        card = card_checks.usable_card(ctx, request.pan, request.expiry, found, request.pin_block)
    except DomainError as refused:
        known = card_checks.known_card_id(ctx, request.pan)
        return answered(ctx, request, refused.code, codes, known)
    return _approve(ctx, request, found, card, codes)


def _change_pin(
    ctx: Context,
    request: CardRequest,
    found: TerminalView,
    old_block: bytes,
    codes: ResponseCodes,
) -> CardOutcome:
    assert request.new_pin_block is not None, "the handler requires field 53"
    card: CardRecord | None = None
    try:
        card = card_checks.present_card(ctx, request.pan, request.expiry)
        card_pins.change_pin(
            ctx, card.card_id, found.zone_key_ref, old_block, request.new_pin_block
        )
    except DomainError as refused:
        card_id = card.card_id if card else card_checks.known_card_id(ctx, request.pan)
        return answered(ctx, request, refused.code, codes, card_id)
    return answered(ctx, request, OK, codes, card.card_id)


def _approve(
    ctx: Context,
    request: CardRequest,
    found: TerminalView,
    card: CardRecord,
    codes: ResponseCodes,
) -> CardOutcome:
    for _ in range(MAX_ATTEMPTS):
        try:
            with ctx.uow() as uow:
                first = uow.switch.find(request.key)
                if first is not None:
                    return repeated_answer(first, request, codes)
                locked = uow.cards.get(card.card_id, lock=True)
                assert locked is not None, "cards are never deleted"
                outcome, transfer_id = _post(uow, ctx, request, found, locked, codes)
                log_message(uow, ctx, request, outcome, card.card_id, transfer_id)
                uow.commit()
                return outcome
        except ConcurrencyConflict:
            continue
    raise ConcurrencyConflict("the ledger stayed busy")


def _post(
    uow: UnitOfWork,
    ctx: Context,
    request: CardRequest,
    found: TerminalView,
    card: CardRecord,
    codes: ResponseCodes,
) -> tuple[CardOutcome, UUID | None]:
    """Limits, then the ledger, inside the caller's unit of work."""
    code = request.processing_code
    try:
        if request.currency != card.currency:  # no conversion: the card's currency only
            mismatch = Result.CURRENCY_MISMATCH.value
            return CardOutcome(mismatch, codes(mismatch)), None
        move = card_checks.movement(uow, card, found, code, request.amount_minor)
        if move is None:
            inquired = card_checks.card_account(uow, card, code[2:4])
            lines = _balances(uow, card, inquired.id, both=True)
            return CardOutcome(OK, codes(OK), balances=lines), None
        card_checks.check_daily_limits(uow, ctx, card, code, request.amount_minor)
        pending = request.message_class is MessageClass.AUTHORISATION
        dispenses = _dispenses(uow, found, code, pending, request.amount_minor)
    except DomainError as refused:
        return CardOutcome(refused.code, codes(refused.code)), None
    transfer = Transfer(
        id=ctx.ids.new_id(),
        debit_account_id=move.debit_account_id,
        credit_account_id=move.credit_account_id,
        amount_minor=request.amount_minor,
        currency=request.currency,
        kind=TransferKind.PENDING if pending else TransferKind.POSTING,
        timeout_s=AUTHORISATION_TIMEOUT_S if pending else 0,
        code=move.code,
        channel=channel_of(found),
        reference=f"{found.kind.value} {request.terminal_id} {request.rrn}",
    )
    result = post_within(uow, [transfer], ctx.clock.now_us()).results[0]
    if result is not Result.OK:
        return CardOutcome(result.value, codes(result.value)), None
    if dispenses:
        atm_cash.record_dispense(uow, found.terminal_id, request.amount_minor)
    lines = _balances(uow, card, move.card_account_id, both=False)
    approval = transfer.id.hex[-6:].upper()
    return CardOutcome(OK, codes(OK), approval_code=approval, balances=lines), transfer.id


def _dispenses(
    uow: UnitOfWork, found: TerminalView, code: str, pending: bool, amount_minor: int
) -> bool:
    """Whether this message pays out notes from the ATM's cassettes (a financial cash
    withdrawal at an ATM whose cassettes are known), refusing an amount its notes cannot
    make before anything is posted."""
    if found.kind is not TerminalKind.ATM or pending or code[:2] != card_checks.WITHDRAWAL:
        return False
    cassettes = uow.terminals.cassettes(found.terminal_id)
    if sum(c.notes * c.denomination_minor for c in cassettes) < amount_minor:
        return False  # not that much cash in it at all: the ledger declines (05)
    if dispense_plan(cassettes, amount_minor) is None:
        raise InvalidAmount("the ATM cannot pay this amount out in its notes")
    return True


def _balances(
    uow: UnitOfWork, card: CardRecord, account_id: int, *, both: bool
) -> tuple[BalanceLine, ...]:
    """Field 54: the available balance (02), and with ``both`` the ledger balance (01)."""
    balances = uow.accounts.balances(account_id)
    account_type = card_checks.type_code_of(card, account_id)
    available = BalanceLine(account_type, "02", card.currency, balances.available_minor)
    if not both:
        return (available,)
    return (BalanceLine(account_type, "01", card.currency, balances.ledger_minor), available)


def channel_of(found: TerminalView) -> str:
    return "atm" if found.kind is TerminalKind.ATM else "pos"
