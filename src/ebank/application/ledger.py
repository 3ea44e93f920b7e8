"""Use cases that move money. Every one of them ends in ``post_batch``: the one place
where transfers reach the ledger, a batch per database transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from ebank.application import sms_alerts
from ebank.application.context import Context
from ebank.application.ports import ConcurrencyConflict, UnitOfWork
from ebank.domain.accounts import Account, GlKind
from ebank.domain.codes import TxCode
from ebank.domain.errors import AccountNotFound, InvalidInput, TransferNotFound, TransferRefused
from ebank.domain.ledger import BatchOutcome, apply_batch, expire
from ebank.domain.money import Money
from ebank.domain.transfers import JournalEntry, Result, Transfer, TransferKind, reversal_of

MAX_BATCH_SIZE = 8190
MAX_ATTEMPTS = 8


def post_batch(ctx: Context, batch: Sequence[Transfer]) -> BatchOutcome:
    """Apply ``batch`` in one database transaction and return one result per transfer.

    Transfers that fail leave no trace; the ones that succeed are committed together.
    A conflict with a concurrent writer (the same new id posted at the same moment, a
    serialization failure) retries the whole batch, which then sees the winner's work.
    """
    if not batch:
        return BatchOutcome([], [], [], [], [])
    if len(batch) > MAX_BATCH_SIZE:
        raise InvalidInput(f"a batch holds at most {MAX_BATCH_SIZE} transfers")
    for attempt in range(MAX_ATTEMPTS):
        try:
            with ctx.uow() as uow:
                # The first attempt may be computed from the balances as last known; the
                # store checks them when it writes, and a wrong guess is retried here.
                outcome = post_within(uow, batch, ctx.clock.now_us(), optimistic=attempt == 0)
                uow.commit()
                return outcome
        except ConcurrencyConflict:
            if attempt == MAX_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def post_within(
    uow: UnitOfWork, batch: Sequence[Transfer], now_us: int, *, optimistic: bool = False
) -> BatchOutcome:
    """Apply ``batch`` inside a unit of work the caller commits: for work that must be
    all or nothing together with other changes (a data migration, the demo bank).
    ``optimistic`` only where a ``ConcurrencyConflict`` is retried (``post_batch``)."""
    context = uow.journal.load(batch, optimistic=optimistic)
    outcome = apply_batch(batch, context, now_us)
    uow.journal.save(outcome)
    _queue_alerts(uow, outcome, now_us)
    return outcome


def _queue_alerts(uow: UnitOfWork, outcome: BatchOutcome, now_us: int) -> None:
    """SMS transaction alerts, written in the posting's own transaction (so never for
    one that rolls back): one query per batch for the subscribers of the touched
    accounts."""
    if outcome.new_entries:
        sms_alerts.queue_alerts(uow.sms, outcome.new_entries, now_us)


def post_one(ctx: Context, transfer: Transfer) -> JournalEntry:
    """Post a single transfer; a refusal raises ``TransferRefused`` with its result."""
    outcome = post_batch(ctx, [transfer])
    result = outcome.results[0]
    if result is not Result.OK:
        raise TransferRefused(result.value)
    with ctx.read() as uow:
        entry = uow.journal.entry(transfer.id)
    assert entry is not None
    return entry


@dataclass(frozen=True, slots=True)
class Posted:
    entry: JournalEntry
    debit: Account
    credit: Account


def _account(uow: UnitOfWork, number: str) -> Account:
    account = uow.accounts.by_number(number)
    if account is None:
        raise AccountNotFound(f"no account {number}")
    return account


def _cash_account(uow: UnitOfWork, branch_code: str, currency: str) -> Account:
    cash = uow.accounts.gl_account(branch_code, GlKind.CASH, currency)
    if cash is None:
        raise AccountNotFound(f"branch {branch_code} has no {currency} cash account")
    return cash


def _move(
    ctx: Context,
    debit: Account,
    credit: Account,
    amount: Money,
    transfer_id: UUID | None,
    *,
    code: int,
    channel: str,
    reference: str,
    kind: TransferKind = TransferKind.POSTING,
    timeout_s: int = 0,
) -> Posted:
    """Post ``amount`` from ``debit`` to ``credit`` as a batch of one."""
    entry = post_one(
        ctx,
        Transfer(
            id=transfer_id or ctx.ids.new_id(),
            debit_account_id=debit.id,
            credit_account_id=credit.id,
            amount_minor=amount.minor,
            currency=amount.currency.code,
            kind=kind,
            timeout_s=timeout_s,
            code=code,
            channel=channel,
            reference=reference,
        ),
    )
    return Posted(entry, debit, credit)


def transfer(
    ctx: Context,
    from_number: str,
    to_number: str,
    amount: Money,
    *,
    transfer_id: UUID | None = None,
    channel: str = "branch",
    reference: str = "",
    code: int = TxCode.TRANSFER,
) -> Posted:
    """Move ``amount`` between two accounts named by their numbers."""
    with ctx.read() as uow:
        debit = _account(uow, from_number)
        credit = _account(uow, to_number)
    return _move(
        ctx, debit, credit, amount, transfer_id, code=code, channel=channel, reference=reference
    )


def cash_deposit(
    ctx: Context,
    branch_code: str,
    account_number: str,
    amount: Money,
    *,
    transfer_id: UUID | None = None,
    reference: str = "",
) -> Posted:
    """Cash paid in at a branch counter: debit the branch's cash, credit the account."""
    with ctx.read() as uow:
        cash = _cash_account(uow, branch_code, amount.currency.code)
        account = _account(uow, account_number)
    return _move(
        ctx,
        cash,
        account,
        amount,
        transfer_id,
        code=TxCode.CASH_DEPOSIT,
        channel="branch",
        reference=reference or f"cash deposit at {branch_code}",
    )


def cash_withdrawal(
    ctx: Context,
    branch_code: str,
    account_number: str,
    amount: Money,
    *,
    transfer_id: UUID | None = None,
    reference: str = "",
) -> Posted:
    """Cash paid out at a branch counter: debit the account, credit the branch's cash."""
    with ctx.read() as uow:
        cash = _cash_account(uow, branch_code, amount.currency.code)
        account = _account(uow, account_number)
    return _move(
        ctx,
        account,
        cash,
        amount,
        transfer_id,
        code=TxCode.CASH_WITHDRAWAL,
        channel="branch",
        reference=reference or f"cash withdrawal at {branch_code}",
    )


def reverse(
    ctx: Context,
    original_id: UUID,
    *,
    amount_minor: int = 0,
    transfer_id: UUID | None = None,
    channel: str = "branch",
    reference: str = "",
) -> JournalEntry:
    """Post the transfer that reverses ``original_id`` (in whole or in part)."""
    with ctx.read() as uow:
        original = uow.journal.entry(original_id)
    if original is None:
        raise TransferNotFound(f"no transfer {original_id}")
    return post_one(
        ctx,
        reversal_of(
            original,
            transfer_id or ctx.ids.new_id(),
            amount_minor,
            channel=channel,
            reference=reference,
        ),
    )


def expire_due(ctx: Context, limit: int = 1000) -> int:
    """Release every pending transfer whose time-out has passed; returns how many."""
    total = 0
    while True:
        for attempt in range(MAX_ATTEMPTS):
            try:
                with ctx.uow() as uow:
                    due, accounts = uow.journal.due_pending(ctx.clock.now_us(), limit)
                    for entry in due:
                        expire(entry, accounts)
                    uow.journal.save_expired(due, list(accounts.values()))
                    uow.commit()
                break
            except ConcurrencyConflict:
                if attempt == MAX_ATTEMPTS - 1:
                    raise
        total += len(due)
        if len(due) < limit:
            return total


def place_hold(
    ctx: Context,
    from_number: str,
    to_number: str,
    amount: Money,
    *,
    timeout_s: int,
    transfer_id: UUID | None = None,
    channel: str = "branch",
    reference: str = "",
    code: int = TxCode.HOLD,
) -> Posted:
    """Reserve ``amount`` on ``from_number`` for ``to_number`` (a pending transfer)."""
    with ctx.read() as uow:
        debit = _account(uow, from_number)
        credit = _account(uow, to_number)
    return _move(
        ctx,
        debit,
        credit,
        amount,
        transfer_id,
        code=code,
        channel=channel,
        reference=reference,
        kind=TransferKind.PENDING,
        timeout_s=timeout_s,
    )


def resolve_hold(
    ctx: Context,
    pending_id: UUID,
    *,
    capture: bool,
    amount_minor: int = 0,
    transfer_id: UUID | None = None,
    channel: str = "branch",
    reference: str = "",
) -> JournalEntry:
    """Capture a hold (all of it, or ``amount_minor``; the rest is released) or void it."""
    with ctx.read() as uow:
        pending = uow.journal.entry(pending_id)
    if pending is None:
        raise TransferNotFound(f"no transfer {pending_id}")
    return post_one(
        ctx,
        Transfer(
            id=transfer_id or ctx.ids.new_id(),
            kind=TransferKind.POST_PENDING if capture else TransferKind.VOID_PENDING,
            pending_id=pending_id,
            amount_minor=amount_minor if capture else 0,
            currency=pending.currency,
            code=pending.code,
            channel=channel,
            reference=reference,
        ),
    )
