"""Transfers: what a client asks the ledger to do, what the journal keeps, and the named
result of each request.

The model follows TigerBeetle's: a transfer moves one amount from a debit account to a
credit account of the same currency, so every journal entry balances by construction.
Multi-leg business events are *linked* transfers that succeed or fail together. A
*pending* transfer reserves funds; a later *post_pending* transfer posts all or part of
it, a *void_pending* transfer releases it, or it expires after its time-out.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from ebank.domain.errors import InvalidInput
from ebank.domain.money import MAX_AMOUNT_MINOR, is_currency_code

MAX_REFERENCE_LENGTH = 64
MAX_CHANNEL_LENGTH = 16
MAX_TIMEOUT_S = 366 * 24 * 3600


class TransferKind(StrEnum):
    POSTING = "posting"
    PENDING = "pending"
    POST_PENDING = "post_pending"
    VOID_PENDING = "void_pending"


class PendingStatus(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"
    EXPIRED = "expired"


class Result(StrEnum):
    """The named outcome of one transfer request. ``ok`` is the only success."""

    OK = "ok"
    LINKED_EVENT_FAILED = "linked_event_failed"
    LINKED_EVENT_CHAIN_OPEN = "linked_event_chain_open"
    DEBIT_ACCOUNT_NOT_FOUND = "debit_account_not_found"
    CREDIT_ACCOUNT_NOT_FOUND = "credit_account_not_found"
    CURRENCY_MISMATCH = "transfer_currency_must_match_accounts"
    DEBIT_ACCOUNT_CLOSED = "debit_account_closed"
    CREDIT_ACCOUNT_CLOSED = "credit_account_closed"
    DEBIT_ACCOUNT_FROZEN = "debit_account_frozen"
    DEBIT_ACCOUNT_DORMANT = "debit_account_dormant"
    EXCEEDS_CREDITS = "exceeds_credits"
    EXCEEDS_DEBITS = "exceeds_debits"
    OVERFLOWS_BALANCE = "overflows_balance"
    EXISTS_WITH_DIFFERENT_KIND = "exists_with_different_kind"
    EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT = "exists_with_different_debit_account_id"
    EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT = "exists_with_different_credit_account_id"
    EXISTS_WITH_DIFFERENT_AMOUNT = "exists_with_different_amount"
    EXISTS_WITH_DIFFERENT_CURRENCY = "exists_with_different_currency"
    EXISTS_WITH_DIFFERENT_PENDING_ID = "exists_with_different_pending_id"
    EXISTS_WITH_DIFFERENT_REVERSAL_OF = "exists_with_different_reversal_of"
    EXISTS_WITH_DIFFERENT_FIELDS = "exists_with_different_fields"
    PENDING_TRANSFER_NOT_FOUND = "pending_transfer_not_found"
    PENDING_TRANSFER_NOT_PENDING = "pending_transfer_not_pending"
    PENDING_TRANSFER_ALREADY_POSTED = "pending_transfer_already_posted"
    PENDING_TRANSFER_ALREADY_VOIDED = "pending_transfer_already_voided"
    PENDING_TRANSFER_EXPIRED = "pending_transfer_expired"
    EXCEEDS_PENDING_TRANSFER_AMOUNT = "exceeds_pending_transfer_amount"
    REVERSED_TRANSFER_NOT_FOUND = "reversed_transfer_not_found"
    REVERSED_TRANSFER_NOT_POSTED = "reversed_transfer_not_posted"
    REVERSED_TRANSFER_ALREADY_REVERSED = "reversed_transfer_already_reversed"
    REVERSAL_ACCOUNTS_MISMATCH = "reversal_must_swap_original_accounts"
    EXCEEDS_REVERSED_TRANSFER_AMOUNT = "exceeds_reversed_transfer_amount"


@dataclass(frozen=True, slots=True)
class Transfer:
    """A request to the ledger. ``id`` is chosen by the client and is the idempotency key.

    For ``post_pending`` and ``void_pending`` the accounts come from the pending transfer
    (leave them 0); ``amount_minor`` 0 posts the whole pending amount.
    """

    id: UUID
    debit_account_id: int = 0
    credit_account_id: int = 0
    amount_minor: int = 0
    currency: str = "CNY"
    kind: TransferKind = TransferKind.POSTING
    code: int = 0
    channel: str = "branch"
    reference: str = ""
    pending_id: UUID | None = None
    reversal_of: UUID | None = None
    timeout_s: int = 0
    linked: bool = False

    def __post_init__(self) -> None:
        _validate(self)


def _validate(t: Transfer) -> None:
    def bad(why: str) -> InvalidInput:
        return InvalidInput(f"transfer {t.id}: {why}")

    if not isinstance(t.id, UUID) or t.id.int == 0:
        raise bad("id must be a non-zero UUID")
    if not isinstance(t.kind, TransferKind):
        raise bad(f"kind must be a TransferKind, got {t.kind!r}")
    if type(t.amount_minor) is not int or not 0 <= t.amount_minor <= MAX_AMOUNT_MINOR:
        raise bad("amount must be a non-negative integer of minor units")
    if not is_currency_code(t.currency):
        raise bad(f"unknown currency {t.currency!r}")
    if len(t.reference) > MAX_REFERENCE_LENGTH:
        raise bad(f"reference longer than {MAX_REFERENCE_LENGTH}")
    if not t.channel or len(t.channel) > MAX_CHANNEL_LENGTH:
        raise bad("channel must be 1 to 16 characters")
    if not isinstance(t.code, int) or isinstance(t.code, bool) or not 0 <= t.code <= 65535:
        raise bad("code must be an integer 0..65535")
    if type(t.timeout_s) is not int or not 0 <= t.timeout_s <= MAX_TIMEOUT_S:
        raise bad(f"timeout out of range: whole seconds from 0 to {MAX_TIMEOUT_S}")
    if t.kind in (TransferKind.POST_PENDING, TransferKind.VOID_PENDING):
        if t.pending_id is None:
            raise bad(f"{t.kind} needs pending_id")
        if t.debit_account_id or t.credit_account_id:
            raise bad(f"{t.kind} takes its accounts from the pending transfer")
        if t.reversal_of is not None or t.timeout_s:
            raise bad(f"{t.kind} takes no reversal_of and no timeout")
        return
    if t.pending_id is not None:
        raise bad("only post_pending and void_pending refer to a pending transfer")
    if t.amount_minor <= 0:
        raise bad("amount must be positive")
    if t.debit_account_id <= 0 or t.credit_account_id <= 0:
        raise bad("debit and credit accounts are required")
    if t.debit_account_id == t.credit_account_id:
        raise bad("debit and credit accounts must be different")
    if t.kind is TransferKind.POSTING and t.timeout_s:
        raise bad("only a pending transfer has a timeout")
    if t.kind is TransferKind.PENDING and t.reversal_of is not None:
        raise bad("a pending transfer cannot be a reversal")


@dataclass(slots=True)
class JournalEntry:
    """A transfer as the journal keeps it. Only ``pending_status`` ever changes, and only
    on a pending transfer; ``seq`` is the journal's order, assigned when stored."""

    id: UUID
    kind: TransferKind
    debit_account_id: int
    credit_account_id: int
    amount_minor: int
    currency: str
    code: int
    channel: str
    reference: str
    pending_id: UUID | None
    reversal_of: UUID | None
    timeout_s: int
    expires_at_us: int | None
    created_at_us: int
    pending_status: PendingStatus | None = None
    seq: int | None = None

    @property
    def is_posted_movement(self) -> bool:
        """True when the entry moved posted balances (a posting or a posted hold)."""
        return self.kind in (TransferKind.POSTING, TransferKind.POST_PENDING)


def reversal_of(
    entry: JournalEntry,
    new_id: UUID,
    amount_minor: int = 0,
    *,
    channel: str = "branch",
    reference: str = "",
    code: int = 0,
) -> Transfer:
    """The transfer that reverses ``entry`` (all of it, or ``amount_minor`` of it)."""
    return Transfer(
        id=new_id,
        debit_account_id=entry.credit_account_id,
        credit_account_id=entry.debit_account_id,
        amount_minor=amount_minor or entry.amount_minor,
        currency=entry.currency,
        code=code or entry.code,
        channel=channel,
        reference=reference or f"reversal of {entry.id}",
        reversal_of=entry.id,
    )


def compare_with_existing(request: Transfer, stored: JournalEntry) -> Result:
    """``ok`` when a retried request matches what was stored under its id, otherwise the
    first field that differs."""
    if request.kind != stored.kind:
        return Result.EXISTS_WITH_DIFFERENT_KIND
    if request.kind in (TransferKind.POST_PENDING, TransferKind.VOID_PENDING):
        if request.pending_id != stored.pending_id:
            return Result.EXISTS_WITH_DIFFERENT_PENDING_ID
        if request.amount_minor and request.amount_minor != stored.amount_minor:
            return Result.EXISTS_WITH_DIFFERENT_AMOUNT
    else:
        if request.debit_account_id != stored.debit_account_id:
            return Result.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT
        if request.credit_account_id != stored.credit_account_id:
            return Result.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT
        if request.amount_minor != stored.amount_minor:
            return Result.EXISTS_WITH_DIFFERENT_AMOUNT
    if request.currency != stored.currency:
        return Result.EXISTS_WITH_DIFFERENT_CURRENCY
    if request.reversal_of != stored.reversal_of:
        return Result.EXISTS_WITH_DIFFERENT_REVERSAL_OF
    if (request.code, request.channel, request.reference, request.timeout_s) != (
        stored.code,
        stored.channel,
        stored.reference,
        stored.timeout_s,
    ):
        return Result.EXISTS_WITH_DIFFERENT_FIELDS
    return Result.OK
