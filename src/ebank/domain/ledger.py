"""The ledger engine: applies a batch of transfers to account balances, in memory.

``apply_batch`` is a pure function of its inputs (the touched accounts, the journal
entries the batch refers to, and ``now``). The storage adapter loads those inputs, calls
it, and writes back what it returns, all in one database transaction. Keeping the rules
here means every store (SQLite, PostgreSQL, the in-memory fake of the tests) applies the
same rules, and the rules can be tested without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from ebank.domain.accounts import AccountStatus
from ebank.domain.money import MAX_AMOUNT_MINOR
from ebank.domain.transfers import (
    JournalEntry,
    PendingStatus,
    Result,
    Transfer,
    TransferKind,
    compare_with_existing,
)


@dataclass(slots=True)
class LedgerAccount:
    """What the engine needs of an account: its rules and its four balance counters."""

    id: int
    currency: str
    status: AccountStatus = AccountStatus.ACTIVE
    debits_must_not_exceed_credits: bool = False
    credits_must_not_exceed_debits: bool = False
    overdraft_limit_minor: int = 0
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0

    def counters(self) -> tuple[int, int, int, int]:
        return (self.debits_pending, self.debits_posted, self.credits_pending, self.credits_posted)

    def restore(self, counters: tuple[int, int, int, int]) -> None:
        (self.debits_pending, self.debits_posted, self.credits_pending, self.credits_posted) = (
            counters
        )

    def within_limits(self) -> bool:
        if self.debits_must_not_exceed_credits and (
            self.debits_posted + self.debits_pending
            > self.credits_posted + self.overdraft_limit_minor
        ):
            return False
        return not (
            self.credits_must_not_exceed_debits
            and self.credits_posted + self.credits_pending > self.debits_posted
        )


@dataclass(slots=True)
class BatchContext:
    """Everything a batch reads: loaded by the store before ``apply_batch``.

    ``accounts`` holds every account named by a transfer or by a referenced pending or
    original transfer; ``existing`` the journal entries whose ids the batch reuses;
    ``referenced`` the entries named by ``pending_id`` or ``reversal_of``;
    ``already_reversed`` the ids of referenced entries that a reversal already names.
    """

    accounts: dict[int, LedgerAccount]
    existing: dict[UUID, JournalEntry] = field(default_factory=dict)
    referenced: dict[UUID, JournalEntry] = field(default_factory=dict)
    already_reversed: set[UUID] = field(default_factory=set)


@dataclass(slots=True)
class BatchOutcome:
    """What a batch did: one result per transfer (in order), whether each was a replay of
    a stored transfer, and what the store must write."""

    results: list[Result]
    replayed: list[bool]
    new_entries: list[JournalEntry]
    changed_accounts: list[LedgerAccount]
    resolved_pending: list[JournalEntry]

    @property
    def all_ok(self) -> bool:
        return all(r is Result.OK for r in self.results)


def ids_referenced(batch: Iterable[Transfer]) -> tuple[set[UUID], set[int], set[UUID]]:
    """The transfer ids, account ids and referenced entry ids a batch needs loaded."""
    ids: set[UUID] = set()
    accounts: set[int] = set()
    refs: set[UUID] = set()
    add_id, add_account, add_ref = ids.add, accounts.add, refs.add
    for t in batch:
        add_id(t.id)
        if t.debit_account_id:
            add_account(t.debit_account_id)
            add_account(t.credit_account_id)
        if t.pending_id is not None:
            add_ref(t.pending_id)
        if t.reversal_of is not None:
            add_ref(t.reversal_of)
    return ids, accounts, refs


class _Chain:
    """The undo log of one linked chain: enough to put everything back if it fails."""

    __slots__ = ("accounts", "created", "resolved", "reversed")

    def __init__(self) -> None:
        self.accounts: dict[int, tuple[LedgerAccount, tuple[int, int, int, int]]] = {}
        self.created: list[JournalEntry] = []
        self.resolved: list[tuple[JournalEntry, PendingStatus | None]] = []
        self.reversed: list[UUID] = []

    def touch(self, account: LedgerAccount) -> None:
        if account.id not in self.accounts:
            self.accounts[account.id] = (account, account.counters())


def apply_batch(batch: Sequence[Transfer], ctx: BatchContext, now_us: int) -> BatchOutcome:
    """Apply ``batch`` in order. A chain of transfers flagged ``linked`` (each linked to
    the next; the last of the chain not flagged) succeeds or fails as one."""
    engine = _Engine(ctx, now_us)
    n = len(batch)
    results: list[Result] = [Result.OK] * n
    replayed = [False] * n
    start = 0
    while start < n:
        t = batch[start]
        if not t.linked:
            # A chain of one, the usual case. Every rule is checked before anything
            # changes, so a refused transfer leaves no trace and needs no undo log.
            result, was_replay = engine.apply(t, None)
            if result is Result.OK:
                replayed[start] = was_replay
            else:
                results[start] = result
            start += 1
            continue
        end = start
        while batch[end].linked and end + 1 < n:
            end += 1
        chain = _Chain()
        failed_at = -1
        failure = Result.OK
        if batch[end].linked:  # the batch ended inside a chain
            failed_at, failure = end, Result.LINKED_EVENT_CHAIN_OPEN
        else:
            for i in range(start, end + 1):
                result, was_replay = engine.apply(batch[i], chain)
                replayed[i] = was_replay
                if result is not Result.OK:
                    failed_at, failure = i, result
                    break
        if failed_at >= 0:
            engine.undo(chain)
            for i in range(start, end + 1):
                results[i] = Result.LINKED_EVENT_FAILED
                replayed[i] = False
            results[failed_at] = failure
        else:
            engine.keep(chain)
        start = end + 1
    return engine.outcome(results, replayed)


_ACTIVE = AccountStatus.ACTIVE
_CLOSED = AccountStatus.CLOSED
_FROZEN = AccountStatus.FROZEN
_DORMANT = AccountStatus.DORMANT
_PENDING = TransferKind.PENDING
_POST_PENDING = TransferKind.POST_PENDING
_VOID_PENDING = TransferKind.VOID_PENDING
_OK = Result.OK


class _Engine:
    """Applies transfers one by one. ``chain`` is the undo log of the linked chain being
    applied, or None for a transfer outside a chain: then a success is kept at once."""

    def __init__(self, ctx: BatchContext, now_us: int) -> None:
        self.ctx = ctx
        self.now_us = now_us
        self.created: dict[UUID, JournalEntry] = {}
        self.new_entries: list[JournalEntry] = []
        self.changed: dict[int, LedgerAccount] = {}
        self.resolved: dict[UUID, JournalEntry] = {}

    # -- bookkeeping -------------------------------------------------------------
    def undo(self, chain: _Chain) -> None:
        for account, counters in chain.accounts.values():
            account.restore(counters)
        for entry, status in reversed(chain.resolved):
            entry.pending_status = status
        for entry in chain.created:
            del self.created[entry.id]
        for original in chain.reversed:
            self.ctx.already_reversed.discard(original)

    def keep(self, chain: _Chain) -> None:
        for account, _ in chain.accounts.values():
            self.changed[account.id] = account
        self.new_entries.extend(chain.created)
        for entry, _ in chain.resolved:
            if entry.id not in self.created:
                self.resolved[entry.id] = entry

    def outcome(self, results: list[Result], replayed: list[bool]) -> BatchOutcome:
        changed = self.changed
        return BatchOutcome(
            results=results,
            replayed=replayed,
            new_entries=self.new_entries,
            changed_accounts=[changed[i] for i in sorted(changed)],
            resolved_pending=list(self.resolved.values()),
        )

    def lookup(self, entry_id: UUID) -> JournalEntry | None:
        return self.created.get(entry_id) or self.ctx.referenced.get(entry_id)

    # -- rules -------------------------------------------------------------------
    def apply(self, t: Transfer, chain: _Chain | None) -> tuple[Result, bool]:
        stored = self.created.get(t.id) or self.ctx.existing.get(t.id)
        if stored is not None:
            return compare_with_existing(t, stored), True
        kind = t.kind
        if kind is _POST_PENDING or kind is _VOID_PENDING:
            return self.resolve_pending(t, chain), False
        return self.move(t, chain), False

    def move(self, t: Transfer, chain: _Chain | None) -> Result:
        accounts = self.ctx.accounts
        dr = accounts.get(t.debit_account_id)
        if dr is None:
            return Result.DEBIT_ACCOUNT_NOT_FOUND
        cr = accounts.get(t.credit_account_id)
        if cr is None:
            return Result.CREDIT_ACCOUNT_NOT_FOUND
        currency = t.currency
        if dr.currency != currency or cr.currency != currency:
            return Result.CURRENCY_MISMATCH
        reversal = t.reversal_of
        if dr.status is not _ACTIVE or cr.status is not _ACTIVE or reversal is not None:
            if dr.status is _CLOSED:
                return Result.DEBIT_ACCOUNT_CLOSED
            if cr.status is _CLOSED:
                return Result.CREDIT_ACCOUNT_CLOSED
            if reversal is not None:
                refused = self.check_reversal(t)
                if refused is not None:
                    return refused
            elif dr.status is _FROZEN:
                return Result.DEBIT_ACCOUNT_FROZEN
            elif dr.status is _DORMANT:
                return Result.DEBIT_ACCOUNT_DORMANT
        amount = t.amount_minor
        dr_debits = dr.debits_posted + dr.debits_pending + amount
        cr_credits = cr.credits_posted + cr.credits_pending + amount
        if dr.debits_must_not_exceed_credits and (
            dr_debits > dr.credits_posted + dr.overdraft_limit_minor
        ):
            return Result.EXCEEDS_CREDITS
        if cr.credits_must_not_exceed_debits and cr_credits > cr.debits_posted:
            return Result.EXCEEDS_DEBITS
        if dr_debits > MAX_AMOUNT_MINOR or cr_credits > MAX_AMOUNT_MINOR:
            return Result.OVERFLOWS_BALANCE
        now_us = self.now_us
        kind = t.kind
        if chain is not None:
            chain.touch(dr)
            chain.touch(cr)
        pending = kind is _PENDING
        if pending:
            dr.debits_pending += amount
            cr.credits_pending += amount
        else:
            dr.debits_posted += amount
            cr.credits_posted += amount
        timeout_s = t.timeout_s
        entry = JournalEntry(
            id=t.id,
            kind=kind,
            debit_account_id=dr.id,
            credit_account_id=cr.id,
            amount_minor=amount,
            currency=currency,
            code=t.code,
            channel=t.channel,
            reference=t.reference,
            pending_id=None,
            reversal_of=reversal,
            timeout_s=timeout_s,
            expires_at_us=now_us + timeout_s * 1_000_000 if timeout_s else None,
            created_at_us=now_us,
            pending_status=PendingStatus.PENDING if pending else None,
        )
        self.created[t.id] = entry
        if reversal is not None:
            self.ctx.already_reversed.add(reversal)
        if chain is None:
            self.changed[dr.id] = dr
            self.changed[cr.id] = cr
            self.new_entries.append(entry)
        else:
            chain.created.append(entry)
            if reversal is not None:
                chain.reversed.append(reversal)
        return _OK

    def check_reversal(self, t: Transfer) -> Result | None:
        assert t.reversal_of is not None
        original = self.lookup(t.reversal_of)
        if original is None:
            return Result.REVERSED_TRANSFER_NOT_FOUND
        if not original.is_posted_movement:
            return Result.REVERSED_TRANSFER_NOT_POSTED
        if t.reversal_of in self.ctx.already_reversed:
            return Result.REVERSED_TRANSFER_ALREADY_REVERSED
        if (t.debit_account_id, t.credit_account_id) != (
            original.credit_account_id,
            original.debit_account_id,
        ):
            return Result.REVERSAL_ACCOUNTS_MISMATCH
        if t.amount_minor > original.amount_minor:
            return Result.EXCEEDS_REVERSED_TRANSFER_AMOUNT
        return None

    def resolve_pending(self, t: Transfer, chain: _Chain | None) -> Result:
        assert t.pending_id is not None
        pending = self.lookup(t.pending_id)
        if pending is None:
            return Result.PENDING_TRANSFER_NOT_FOUND
        if pending.kind is not _PENDING:
            return Result.PENDING_TRANSFER_NOT_PENDING
        if t.currency != pending.currency:
            return Result.CURRENCY_MISMATCH
        status = pending.pending_status
        if status is PendingStatus.POSTED:
            return Result.PENDING_TRANSFER_ALREADY_POSTED
        if status is PendingStatus.VOIDED:
            return Result.PENDING_TRANSFER_ALREADY_VOIDED
        if status is PendingStatus.EXPIRED or (
            pending.expires_at_us is not None and self.now_us >= pending.expires_at_us
        ):
            return Result.PENDING_TRANSFER_EXPIRED
        posting = t.kind is _POST_PENDING
        amount = t.amount_minor or pending.amount_minor
        if amount > pending.amount_minor or (not posting and amount != pending.amount_minor):
            return Result.EXCEEDS_PENDING_TRANSFER_AMOUNT
        dr = self.ctx.accounts[pending.debit_account_id]
        cr = self.ctx.accounts[pending.credit_account_id]
        if posting and (dr.status is _CLOSED or cr.status is _CLOSED):
            return (
                Result.DEBIT_ACCOUNT_CLOSED
                if dr.status is _CLOSED
                else Result.CREDIT_ACCOUNT_CLOSED
            )
        if chain is not None:
            chain.touch(dr)
            chain.touch(cr)
        dr.debits_pending -= pending.amount_minor
        cr.credits_pending -= pending.amount_minor
        if posting:
            dr.debits_posted += amount
            cr.credits_posted += amount
        if chain is not None:
            chain.resolved.append((pending, pending.pending_status))
        pending.pending_status = PendingStatus.POSTED if posting else PendingStatus.VOIDED
        entry = JournalEntry(
            id=t.id,
            kind=t.kind,
            debit_account_id=dr.id,
            credit_account_id=cr.id,
            amount_minor=amount,
            currency=t.currency,
            code=t.code,
            channel=t.channel,
            reference=t.reference,
            pending_id=pending.id,
            reversal_of=None,
            timeout_s=0,
            expires_at_us=None,
            created_at_us=self.now_us,
        )
        self.created[t.id] = entry
        if chain is None:
            self.changed[dr.id] = dr
            self.changed[cr.id] = cr
            self.new_entries.append(entry)
            if pending.id not in self.created:
                self.resolved[pending.id] = pending
        else:
            chain.created.append(entry)
        return _OK


def expire(pending: JournalEntry, accounts: dict[int, LedgerAccount]) -> None:
    """Release a pending transfer whose time-out has passed."""
    assert pending.kind is TransferKind.PENDING
    assert pending.pending_status is PendingStatus.PENDING
    accounts[pending.debit_account_id].debits_pending -= pending.amount_minor
    accounts[pending.credit_account_id].credits_pending -= pending.amount_minor
    pending.pending_status = PendingStatus.EXPIRED
