"""Completions (0220: post an authorisation's hold, in part or whole) and reversals
(0400, and 0420 advices: undo a message in whole, or in part when field 95 says what
was really done), each answered once like every card message.

Completion is an advice, as in ISO 8583: the merchant has delivered, so no card or PIN
check; it posts the hold of the authorisation it names for the amount of field 4 (at
most the authorised amount; the rest of the hold is released).

A reversal is idempotent three ways: a retransmission (same key) answers the first
answer; a second reversal of the same message under a new STAN finds the original
already reversed (the ledger keeps one reversal per transfer) or its hold already
released, and answers 00 without crediting again; a reversal of a message the switch
never answered, or declined, answers 00 with nothing to undo (the terminal sends it
exactly because it does not know).
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from ebank.application.card_transactions import (
    OK,
    CardOutcome,
    CardRequest,
    ResponseCodes,
    first_answer,
    log_message,
    repeated_answer,
)
from ebank.application.context import Context
from ebank.application.ledger import MAX_ATTEMPTS, post_within
from ebank.application.ports import ConcurrencyConflict, UnitOfWork
from ebank.application.ports_switch import MessageClass, SwitchMessage
from ebank.application.terminals import terminal
from ebank.domain.errors import (
    CardTransactionNotSupported,
    DomainError,
    InvalidAmount,
    OriginalMismatch,
    TerminalNotFound,
)
from ebank.domain.terminals import TerminalKind
from ebank.domain.transfers import (
    JournalEntry,
    PendingStatus,
    Result,
    Transfer,
    TransferKind,
    reversal_of,
)

# Field 90's original message type -> the class it was logged under.
_ORIGINAL_CLASS = {
    "0100": MessageClass.AUTHORISATION,
    "0200": MessageClass.FINANCIAL,
    "0220": MessageClass.COMPLETION,
}
# The work of a completion or a reversal inside the unit of work that logs it.
_Work = Callable[
    [UnitOfWork, Context, CardRequest, SwitchMessage | None, str, ResponseCodes],
    tuple[CardOutcome, UUID | None],
]
# Already undone by an earlier reversal: answered 00, nothing more moves.
_ALREADY_UNDONE = frozenset(
    {Result.REVERSED_TRANSFER_ALREADY_REVERSED, Result.PENDING_TRANSFER_ALREADY_VOIDED}
)


def complete(ctx: Context, request: CardRequest, codes: ResponseCodes) -> CardOutcome:
    """0220: post the hold of the authorisation named in field 90."""
    return _answer_once(ctx, request, codes, _complete_within)


def reverse(ctx: Context, request: CardRequest, codes: ResponseCodes) -> CardOutcome:
    """0400/0420: undo the message named in field 90, in whole or in part."""
    return _answer_once(ctx, request, codes, _reverse_within)


def _answer_once(
    ctx: Context,
    request: CardRequest,
    codes: ResponseCodes,
    work: _Work,
) -> CardOutcome:
    repeated = first_answer(ctx, request, codes)
    if repeated is not None:
        return repeated
    with ctx.read() as uow:
        found = terminal(uow, request.terminal_id)
    if found is None:
        refused = TerminalNotFound.code
        return CardOutcome(refused, codes(refused))
    channel = "atm" if found.kind is TerminalKind.ATM else "pos"
    for _ in range(MAX_ATTEMPTS):
        try:
            with ctx.uow() as uow:
                first = uow.switch.find(request.key)
                if first is not None:
                    return repeated_answer(first, request, codes)
                original = _original(uow, request)
                try:
                    outcome, transfer_id = work(uow, ctx, request, original, channel, codes)
                except DomainError as refused:
                    outcome, transfer_id = CardOutcome(refused.code, codes(refused.code)), None
                card_id = original.card_id if original is not None else None
                log_message(uow, ctx, request, outcome, card_id, transfer_id)
                uow.commit()
                return outcome
        except ConcurrencyConflict:
            continue
    raise ConcurrencyConflict("the ledger stayed busy")


def _original(uow: UnitOfWork, request: CardRequest) -> SwitchMessage | None:
    assert request.original is not None, "the handler requires field 90"
    original_class = _ORIGINAL_CLASS.get(request.original.mti)
    if original_class is None:
        return None
    return uow.switch.latest(request.terminal_id, request.original.stan, original_class)


def _check_same_card(request: CardRequest, original: SwitchMessage) -> None:
    if original.pan_last4 != request.pan[-4:] or original.currency != request.currency:
        raise OriginalMismatch("the card or currency is not the original's")


def _post(uow: UnitOfWork, ctx: Context, transfer: Transfer) -> Result:
    return post_within(uow, [transfer], ctx.clock.now_us()).results[0]


def _complete_within(
    uow: UnitOfWork,
    ctx: Context,
    request: CardRequest,
    original: SwitchMessage | None,
    channel: str,
    codes: ResponseCodes,
) -> tuple[CardOutcome, UUID | None]:
    if request.original is None or request.original.mti != "0100":
        raise CardTransactionNotSupported("a completion names an authorisation (0100)")
    if original is None or original.transfer_id is None:
        missing = Result.PENDING_TRANSFER_NOT_FOUND.value
        return CardOutcome(missing, codes(missing), original_id=_id(original)), None
    _check_same_card(request, original)
    if request.amount_minor <= 0:
        raise InvalidAmount("a completion posts a positive amount")
    hold = uow.journal.entry(original.transfer_id)
    assert hold is not None, "a logged transfer is in the journal"
    transfer = Transfer(
        id=ctx.ids.new_id(),
        kind=TransferKind.POST_PENDING,
        pending_id=hold.id,
        amount_minor=request.amount_minor,
        currency=hold.currency,
        code=hold.code,
        channel=channel,
        reference=f"{channel} {request.terminal_id} {request.rrn} completion",
    )
    result = _post(uow, ctx, transfer)
    if result is not Result.OK:
        return CardOutcome(result.value, codes(result.value), original_id=original.message_id), None
    approval = transfer.id.hex[-6:].upper()
    outcome = CardOutcome(OK, codes(OK), approval_code=approval, original_id=original.message_id)
    return outcome, transfer.id


def _id(message: SwitchMessage | None) -> int | None:
    return message.message_id if message is not None else None


def _reverse_within(
    uow: UnitOfWork,
    ctx: Context,
    request: CardRequest,
    original: SwitchMessage | None,
    channel: str,
    codes: ResponseCodes,
) -> tuple[CardOutcome, UUID | None]:
    nothing = CardOutcome(OK, codes(OK), original_id=_id(original))
    if original is None or original.transfer_id is None:
        return nothing, None  # never approved (or never seen): nothing to undo
    _check_same_card(request, original)
    if request.amount_minor != original.amount_minor:
        raise OriginalMismatch("a reversal carries the original amount in field 4")
    kept = request.replacement_amount_minor or 0
    if kept > original.amount_minor:
        raise InvalidAmount("the replacement amount is above the original amount")
    if kept == original.amount_minor:
        return nothing, None
    if original.card_id is not None:
        uow.cards.get(original.card_id, lock=True)  # the day's usage changes
    entry = uow.journal.entry(original.transfer_id)
    assert entry is not None, "a logged transfer is in the journal"
    transfer = _undo(ctx, entry, kept, channel, request)
    if transfer is None:
        return nothing, None
    result = _post(uow, ctx, transfer)
    if result in _ALREADY_UNDONE:
        return nothing, None
    if result is not Result.OK:
        return CardOutcome(result.value, codes(result.value), original_id=original.message_id), None
    undone = original.amount_minor - kept
    outcome = CardOutcome(OK, codes(OK), reversed_minor=undone, original_id=original.message_id)
    return outcome, transfer.id


def _undo(
    ctx: Context, entry: JournalEntry, kept_minor: int, channel: str, request: CardRequest
) -> Transfer | None:
    """The transfer that undoes ``entry`` but for ``kept_minor``; ``None`` when a hold
    has already gone (voided or expired: nothing is reserved any more)."""
    reference = f"{channel} {request.terminal_id} {request.rrn} reversal"
    if entry.kind is TransferKind.PENDING:
        if entry.pending_status in (PendingStatus.VOIDED, PendingStatus.EXPIRED):
            return None
        # A partial reversal of an authorisation completes it at what was really done.
        return Transfer(
            id=ctx.ids.new_id(),
            kind=TransferKind.POST_PENDING if kept_minor else TransferKind.VOID_PENDING,
            pending_id=entry.id,
            amount_minor=kept_minor,
            currency=entry.currency,
            code=entry.code,
            channel=channel,
            reference=reference,
        )
    return reversal_of(
        entry,
        ctx.ids.new_id(),
        entry.amount_minor - kept_minor,
        channel=channel,
        reference=reference,
    )
