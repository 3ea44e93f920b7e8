"""Random sequences of ledger operations keep every invariant, on SQLite and PostgreSQL.

A hypothesis state machine drives a real bank (SQL store, use cases, engine; two of them
on the same database, as two processes would be, taking turns) and a small model of its
own, written from the ledger's rules independently of the engine: balances per
account, the transfers accepted under each id, the holds and their states. Every step
checks the named results against the model, and then:

* per currency, posted debits equal posted credits and pending debits equal pending
  credits over all accounts (the books balance);
* no account flagged against it is beyond its limit (overdraft included);
* the journal holds each accepted id exactly once, and nothing else (a retried id never
  posts twice);
* the stored balances equal the ones re-derived from the journal (``verify_ledger``);
* the stored balances equal the model's.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text

from ebank.adapters.clock import FixedClock
from ebank.application import banking, ledger
from ebank.application.verify import verify_ledger
from ebank.domain.accounts import Account, AccountStatus, GlKind
from ebank.domain.branches import BranchKind
from ebank.domain.customers import CustomerKind, IdType
from ebank.domain.errors import AccountNotEmpty, AccountStatusConflict
from ebank.domain.transfers import Result, Transfer, TransferKind
from factories import (
    build_bank,
    empty_postgres,
    fresh_sqlite,
    journal_ids,
)

EPOCH_US = 1_794_013_200_000_000
S = 1_000_000
SETTINGS = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# The accounts the machine plays with. GHOST does not exist.
CNY_NAMES = ("ALICE", "BOB", "CORP", "CASH", "SUSPENSE")
USD_NAMES = ("DOLLARS", "USD_CASH")
NAMES = (*CNY_NAMES, *USD_NAMES, "GHOST")
CUSTOMER_NAMES = ("ALICE", "BOB", "CORP")
GHOST_ID = 10**9
OVERDRAFT = 5_000
ALLOWED_STATUS = {
    (AccountStatus.ACTIVE, AccountStatus.FROZEN),
    (AccountStatus.DORMANT, AccountStatus.FROZEN),
    (AccountStatus.FROZEN, AccountStatus.ACTIVE),
    (AccountStatus.ACTIVE, AccountStatus.DORMANT),
    (AccountStatus.DORMANT, AccountStatus.ACTIVE),
    (AccountStatus.ACTIVE, AccountStatus.CLOSED),
    (AccountStatus.DORMANT, AccountStatus.CLOSED),
}

_CNY_PAIRS = list(itertools.permutations(CNY_NAMES, 2))
_USD_PAIRS = list(itertools.permutations(USD_NAMES, 2))
_ODD_PAIRS = [p for p in itertools.permutations(NAMES, 2) if p not in _CNY_PAIRS + _USD_PAIRS]
# Mostly pairs that can work; now and then one across currencies or with a missing account.
pairs = st.one_of(
    *[st.sampled_from(_CNY_PAIRS)] * 6, st.sampled_from(_USD_PAIRS), st.sampled_from(_ODD_PAIRS)
)
amounts = st.one_of(st.integers(1, 3_000), st.integers(3_000, 20_000))
picks = st.integers(0, 10**6)


# -- the model ----------------------------------------------------------------------------------
@dataclass
class MAccount:
    id: int
    currency: str
    no_overdraw: bool = False  # debits_must_not_exceed_credits
    no_overcredit: bool = False  # credits_must_not_exceed_debits
    overdraft: int = 0
    status: AccountStatus = AccountStatus.ACTIVE
    dp: int = 0
    dd: int = 0
    cp: int = 0
    cc: int = 0

    def counters(self) -> tuple[int, int, int, int]:
        return (self.dp, self.dd, self.cp, self.cc)


@dataclass
class MTransfer:
    """An accepted transfer, as the model remembers it."""

    id: UUID
    kind: TransferKind
    dr: int
    cr: int
    amount: int
    currency: str
    code: int
    channel: str
    reference: str
    pending_id: UUID | None
    reversal_of: UUID | None
    timeout_s: int
    expires_at_us: int | None
    status: str | None  # pending, posted, voided, expired for a hold


@dataclass
class Model:
    accounts: dict[int, MAccount]
    transfers: dict[UUID, MTransfer] = field(default_factory=dict)
    reversed: set[UUID] = field(default_factory=set)

    # A retry is compared field by field with what was stored under its id.
    @staticmethod
    def compare(t: Transfer, s: MTransfer) -> Result:
        if t.kind != s.kind:
            return Result.EXISTS_WITH_DIFFERENT_KIND
        if t.kind in (TransferKind.POST_PENDING, TransferKind.VOID_PENDING):
            if t.pending_id != s.pending_id:
                return Result.EXISTS_WITH_DIFFERENT_PENDING_ID
            if t.amount_minor not in (0, s.amount):
                return Result.EXISTS_WITH_DIFFERENT_AMOUNT
        else:
            if t.debit_account_id != s.dr:
                return Result.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT
            if t.credit_account_id != s.cr:
                return Result.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT
            if t.amount_minor != s.amount:
                return Result.EXISTS_WITH_DIFFERENT_AMOUNT
        if t.currency != s.currency:
            return Result.EXISTS_WITH_DIFFERENT_CURRENCY
        if t.reversal_of != s.reversal_of:
            return Result.EXISTS_WITH_DIFFERENT_REVERSAL_OF
        if (t.code, t.channel, t.reference, t.timeout_s) != (
            s.code,
            s.channel,
            s.reference,
            s.timeout_s,
        ):
            return Result.EXISTS_WITH_DIFFERENT_FIELDS
        return Result.OK

    def apply(self, batch: list[Transfer], now_us: int) -> tuple[list[Result], list[bool]]:
        results: list[Result] = []
        replayed: list[bool] = []
        chain: list[Transfer] = []
        for t in batch:
            chain.append(t)
            if t.linked:
                continue
            r, p = self._chain(chain, now_us)
            results += r
            replayed += p
            chain = []
        if chain:  # the batch ended inside a chain
            results += [Result.LINKED_EVENT_FAILED] * (len(chain) - 1)
            results.append(Result.LINKED_EVENT_CHAIN_OPEN)
            replayed += [False] * len(chain)
        return results, replayed

    def _chain(self, chain: list[Transfer], now_us: int) -> tuple[list[Result], list[bool]]:
        saved = copy.deepcopy((self.accounts, self.transfers, self.reversed))
        replayed = []
        for i, t in enumerate(chain):
            result, was_replay = self._one(t, now_us)
            replayed.append(was_replay)
            if result is not Result.OK:
                self.accounts, self.transfers, self.reversed = saved
                results = [Result.LINKED_EVENT_FAILED] * len(chain)
                results[i] = result
                return results, [False] * len(chain)
        return [Result.OK] * len(chain), replayed

    def _one(self, t: Transfer, now_us: int) -> tuple[Result, bool]:
        stored = self.transfers.get(t.id)
        if stored is not None:
            return self.compare(t, stored), True
        if t.kind in (TransferKind.POST_PENDING, TransferKind.VOID_PENDING):
            return self._resolve(t, now_us), False
        return self._move(t, now_us), False

    def _move(self, t: Transfer, now_us: int) -> Result:
        dr = self.accounts.get(t.debit_account_id)
        cr = self.accounts.get(t.credit_account_id)
        if dr is None:
            return Result.DEBIT_ACCOUNT_NOT_FOUND
        if cr is None:
            return Result.CREDIT_ACCOUNT_NOT_FOUND
        if t.currency != dr.currency or t.currency != cr.currency:
            return Result.CURRENCY_MISMATCH
        if dr.status is AccountStatus.CLOSED:
            return Result.DEBIT_ACCOUNT_CLOSED
        if cr.status is AccountStatus.CLOSED:
            return Result.CREDIT_ACCOUNT_CLOSED
        if t.reversal_of is not None:
            original = self.transfers.get(t.reversal_of)
            if original is None:
                return Result.REVERSED_TRANSFER_NOT_FOUND
            if original.kind not in (TransferKind.POSTING, TransferKind.POST_PENDING):
                return Result.REVERSED_TRANSFER_NOT_POSTED
            if original.id in self.reversed:
                return Result.REVERSED_TRANSFER_ALREADY_REVERSED
            if (dr.id, cr.id) != (original.cr, original.dr):
                return Result.REVERSAL_ACCOUNTS_MISMATCH
            if t.amount_minor > original.amount:
                return Result.EXCEEDS_REVERSED_TRANSFER_AMOUNT
        elif dr.status is AccountStatus.FROZEN:
            return Result.DEBIT_ACCOUNT_FROZEN
        elif dr.status is AccountStatus.DORMANT:
            return Result.DEBIT_ACCOUNT_DORMANT
        amount = t.amount_minor
        if dr.no_overdraw and dr.dd + dr.dp + amount > dr.cc + dr.overdraft:
            return Result.EXCEEDS_CREDITS
        if cr.no_overcredit and cr.cc + cr.cp + amount > cr.dd:
            return Result.EXCEEDS_DEBITS
        hold = t.kind is TransferKind.PENDING
        if hold:
            dr.dp += amount
            cr.cp += amount
        else:
            dr.dd += amount
            cr.cc += amount
        if t.reversal_of is not None:
            self.reversed.add(t.reversal_of)
        self.transfers[t.id] = MTransfer(
            t.id,
            t.kind,
            dr.id,
            cr.id,
            amount,
            t.currency,
            t.code,
            t.channel,
            t.reference,
            None,
            t.reversal_of,
            t.timeout_s,
            now_us + t.timeout_s * S if t.timeout_s else None,
            "pending" if hold else None,
        )
        return Result.OK

    def _resolve(self, t: Transfer, now_us: int) -> Result:
        assert t.pending_id is not None
        p = self.transfers.get(t.pending_id)
        if p is None:
            return Result.PENDING_TRANSFER_NOT_FOUND
        if p.kind is not TransferKind.PENDING:
            return Result.PENDING_TRANSFER_NOT_PENDING
        if t.currency != p.currency:
            return Result.CURRENCY_MISMATCH
        if p.status == "posted":
            return Result.PENDING_TRANSFER_ALREADY_POSTED
        if p.status == "voided":
            return Result.PENDING_TRANSFER_ALREADY_VOIDED
        if p.status == "expired" or (p.expires_at_us is not None and now_us >= p.expires_at_us):
            return Result.PENDING_TRANSFER_EXPIRED
        post = t.kind is TransferKind.POST_PENDING
        amount = t.amount_minor or p.amount
        if amount > p.amount or (not post and amount != p.amount):
            return Result.EXCEEDS_PENDING_TRANSFER_AMOUNT
        dr, cr = self.accounts[p.dr], self.accounts[p.cr]
        if post and dr.status is AccountStatus.CLOSED:
            return Result.DEBIT_ACCOUNT_CLOSED
        if post and cr.status is AccountStatus.CLOSED:
            return Result.CREDIT_ACCOUNT_CLOSED
        dr.dp -= p.amount
        cr.cp -= p.amount
        if post:
            dr.dd += amount
            cr.cc += amount
        p.status = "posted" if post else "voided"
        self.transfers[t.id] = MTransfer(
            t.id,
            t.kind,
            dr.id,
            cr.id,
            amount,
            t.currency,
            t.code,
            t.channel,
            t.reference,
            p.id,
            None,
            0,
            None,
            None,
        )
        return Result.OK

    def expire(self, now_us: int) -> int:
        due = [
            p
            for p in self.transfers.values()
            if p.status == "pending" and p.expires_at_us is not None and p.expires_at_us <= now_us
        ]
        for p in due:
            self.accounts[p.dr].dp -= p.amount
            self.accounts[p.cr].cp -= p.amount
            p.status = "expired"
        return len(due)


# -- the machine --------------------------------------------------------------------------------
class LedgerMachine(RuleBasedStateMachine):
    def __init__(self, fresh_database: Callable[[], str]) -> None:
        super().__init__()
        self.clock = FixedClock(EPOCH_US)
        url = fresh_database()
        self.bank = build_bank(url, self.clock, pool_size=2)
        # A second process on the same database (on PostgreSQL: a balance cache of its
        # own, so each one's guesses go out of date with the other's work).
        self.other = build_bank(url, self.clock, pool_size=2)
        self.ctx = self.bank.ctx
        self.accounts = self._open_accounts()
        self.ids = {name: a.id for name, a in self.accounts.items()}
        self.ids["GHOST"] = GHOST_ID
        self.model = Model(
            {
                a.id: MAccount(
                    a.id,
                    a.currency,
                    a.debits_must_not_exceed_credits,
                    a.credits_must_not_exceed_debits,
                    a.overdraft_limit_minor,
                )
                for a in self.accounts.values()
            }
        )
        self.batches: list[list[Transfer]] = []  # every batch submitted, for retries
        self._codes = itertools.count(1)
        self._ids = itertools.count(1)
        self._submit(
            [
                self._posting("CASH", "ALICE", 10_000),
                self._posting("CASH", "BOB", 5_000),
                self._posting("USD_CASH", "DOLLARS", 3_000),
            ]
        )

    def _open_accounts(self) -> dict[str, Account]:
        ctx = self.ctx
        banking.add_branch(ctx, "0001", "总行", BranchKind.HEAD_OFFICE, None, ("CNY", "USD"))
        people = [
            banking.add_customer(
                ctx,
                CustomerKind.INDIVIDUAL,
                name,
                IdType.RESIDENT_ID,
                f"1101011990010100{i}",
                "0001",
            )
            for i, name in enumerate(("爱丽丝", "鲍勃"))
        ]
        company = banking.add_customer(
            ctx,
            CustomerKind.CORPORATE,
            "公司",
            IdType.BUSINESS_LICENCE,
            "911100000000000001",
            "0001",
        )
        accounts = {
            "ALICE": banking.open_account(ctx, people[0].number, "SAV"),
            "BOB": banking.open_account(ctx, people[1].number, "SAV"),
            "CORP": banking.open_account(
                ctx, company.number, "CUR", overdraft_limit_minor=OVERDRAFT
            ),
            "DOLLARS": banking.open_account(ctx, people[0].number, "SAV", "USD"),
        }
        with ctx.uow() as uow:
            for name, kind, currency in (
                ("CASH", GlKind.CASH, "CNY"),
                ("SUSPENSE", GlKind.SUSPENSE, "CNY"),
                ("USD_CASH", GlKind.CASH, "USD"),
            ):
                gl = uow.accounts.gl_account("0001", kind, currency)
                assert gl is not None
                accounts[name] = gl
        return accounts

    def teardown(self) -> None:
        self.bank.close()
        self.other.close()

    # -- helpers ---------------------------------------------------------------------------------
    def _currency(self, name: str, flip: bool = False) -> str:
        currency = "USD" if name in USD_NAMES else "CNY"
        if flip:
            return "CNY" if currency == "USD" else "USD"
        return currency

    def _posting(self, dr: str, cr: str, amount: int, flip: bool = False, **kw: Any) -> Transfer:
        return Transfer(
            id=self._new_id(),
            debit_account_id=self.ids[dr],
            credit_account_id=self.ids[cr],
            amount_minor=amount,
            currency=self._currency(dr, flip),
            code=next(self._codes) % 65_536,
            **kw,
        )

    def _new_id(self) -> UUID:
        """Deterministic ids, so that hypothesis can replay a failing example exactly."""
        return UUID(int=next(self._ids))

    def _submit(self, batch: list[Transfer]) -> list[Result]:
        expected, expected_replayed = self.model.apply(batch, self.clock.now_us())
        outcome = ledger.post_batch(self.ctx, batch)
        assert outcome.results == expected, (batch, outcome.results, expected)
        assert outcome.replayed == expected_replayed
        self.batches.append(batch)
        return outcome.results

    def _holds(self) -> list[MTransfer]:
        return [t for t in self.model.transfers.values() if t.kind is TransferKind.PENDING]

    # -- rules -----------------------------------------------------------------------------------
    @rule(pair=pairs, amount=amounts, flip=st.sampled_from([False] * 9 + [True]))
    def transfer(self, pair: tuple[str, str], amount: int, flip: bool) -> None:
        """A posting; now and then in the wrong currency."""
        self._submit([self._posting(pair[0], pair[1], amount, flip=flip)])

    @rule(
        legs=st.lists(
            st.tuples(pairs, amounts, st.sampled_from([0, 0, 60])), min_size=2, max_size=4
        ),
        open_end=st.sampled_from([False, False, False, True]),
        tail=st.none() | st.tuples(pairs, amounts),
    )
    def linked_batch(
        self,
        legs: list[tuple[tuple[str, str], int, int]],
        open_end: bool,
        tail: tuple[tuple[str, str], int] | None,
    ) -> None:
        """A chain of postings and holds (a timeout makes a leg a hold), all or nothing."""
        batch = [
            self._posting(
                dr,
                cr,
                amount,
                linked=True,
                timeout_s=timeout,
                kind=TransferKind.PENDING if timeout else TransferKind.POSTING,
            )
            for (dr, cr), amount, timeout in legs
        ]
        if not open_end:
            batch[-1] = dataclasses.replace(batch[-1], linked=False)
            if tail is not None:
                (dr, cr), amount = tail
                batch.append(self._posting(dr, cr, amount))
        self._submit(batch)

    @rule(pair=pairs, amount=amounts, timeout_s=st.sampled_from([0, 10, 60, 3600]))
    def hold(self, pair: tuple[str, str], amount: int, timeout_s: int) -> None:
        self._submit(
            [
                self._posting(
                    pair[0], pair[1], amount, kind=TransferKind.PENDING, timeout_s=timeout_s
                )
            ]
        )

    def _resolve(self, kind: TransferKind, pending_id: UUID, amount: int) -> None:
        currency = next(
            (t.currency for t in self.model.transfers.values() if t.id == pending_id), "CNY"
        )
        self._submit(
            [
                Transfer(
                    id=self._new_id(),
                    kind=kind,
                    pending_id=pending_id,
                    amount_minor=amount,
                    currency=currency,
                    channel="pos",
                )
            ]
        )

    def _pick_hold(self, pick: int) -> MTransfer | None:
        """An open hold when there is one (it may be past its time-out), else any hold."""
        holds = self._holds()
        open_ = [h for h in holds if h.status == "pending"]
        choice = open_ or holds
        return choice[pick % len(choice)] if choice else None

    def _has_open_holds(self) -> bool:
        return any(h.status == "pending" for h in self._holds())

    @precondition(_has_open_holds)
    @rule(pick=picks, quarters=st.sampled_from([0, 0, 1, 2, 3, 4, 5]))
    def capture(self, pick: int, quarters: int) -> None:
        """Post a hold: all of it (0), a part, all of it by amount (4), or too much (5)."""
        target = self._pick_hold(pick)
        assert target is not None
        amount = 0 if quarters == 0 else max(1, target.amount * quarters // 4) + (quarters == 5)
        self._resolve(TransferKind.POST_PENDING, target.id, amount)

    @precondition(_has_open_holds)
    @rule(pick=picks, exact=st.sampled_from([True, True, False]))
    def void(self, pick: int, exact: bool) -> None:
        target = self._pick_hold(pick)
        assert target is not None
        amount = 0 if exact and pick % 2 else target.amount if exact else target.amount // 2
        self._resolve(TransferKind.VOID_PENDING, target.id, amount)

    @rule(pick=picks, post=st.booleans())
    def resolve_what_cannot_be(self, pick: int, post: bool) -> None:
        """A resolved hold again, a transfer that is no hold, or an id never seen."""
        resolved = [h for h in self._holds() if h.status != "pending"]
        postings = [t for t in self.model.transfers.values() if t.kind is TransferKind.POSTING]
        choices = [self._new_id()] + [t.id for t in resolved + postings]
        kind = TransferKind.POST_PENDING if post else TransferKind.VOID_PENDING
        self._resolve(kind, choices[pick % len(choices)], 0)

    @rule(pick=picks, part=st.sampled_from([0, 0, 1, 2, 3]), swap=st.booleans())
    def reverse(self, pick: int, part: int, swap: bool) -> None:
        moved = [
            t
            for t in self.model.transfers.values()
            if t.kind in (TransferKind.POSTING, TransferKind.POST_PENDING)
        ]
        original = moved[pick % len(moved)]
        amount = original.amount if part == 0 else max(1, original.amount * part // 3)
        if part == 3:
            amount = original.amount + 1
        dr, cr = (original.cr, original.dr) if swap or pick % 5 else (original.dr, original.cr)
        self._submit(
            [
                Transfer(
                    id=self._new_id(),
                    debit_account_id=dr,
                    credit_account_id=cr,
                    amount_minor=amount,
                    currency=original.currency,
                    reversal_of=original.id,
                )
            ]
        )

    @rule(pick=picks)
    def retry_a_batch(self, pick: int) -> None:
        """The client did not hear back and sends the same batch again."""
        self._submit(self.batches[pick % len(self.batches)])

    @rule(
        pick=picks,
        change=st.sampled_from(
            ["amount", "debit", "credit", "kind", "currency", "reference", "pending", "timeout"]
        ),
    )
    def retry_with_different_fields(self, pick: int, change: str) -> None:
        accepted = list(self.model.transfers.values())
        s = accepted[pick % len(accepted)]
        resolving = s.kind in (TransferKind.POST_PENDING, TransferKind.VOID_PENDING)
        if resolving:
            t = Transfer(
                id=s.id,
                kind=s.kind,
                pending_id=s.pending_id,
                amount_minor=s.amount,
                currency=s.currency,
                code=s.code,
                channel=s.channel,
                reference=s.reference,
            )
        else:
            t = Transfer(
                id=s.id,
                kind=s.kind,
                debit_account_id=s.dr,
                credit_account_id=s.cr,
                amount_minor=s.amount,
                currency=s.currency,
                code=s.code,
                channel=s.channel,
                reference=s.reference,
                reversal_of=s.reversal_of,
                timeout_s=s.timeout_s,
            )
        others = [i for i in self.ids.values() if i not in (s.dr, s.cr)]
        if change == "amount":
            t = dataclasses.replace(t, amount_minor=s.amount + 1)
        elif change == "debit" and not resolving:
            t = dataclasses.replace(t, debit_account_id=others[pick % len(others)])
        elif change == "credit" and not resolving:
            t = dataclasses.replace(t, credit_account_id=others[pick % len(others)])
        elif change == "kind" and s.kind is TransferKind.POSTING:
            t = dataclasses.replace(t, kind=TransferKind.PENDING, reversal_of=None)
        elif change == "kind" and s.kind is TransferKind.PENDING:
            t = dataclasses.replace(t, kind=TransferKind.POSTING, timeout_s=0)
        elif change == "kind":
            other = (
                TransferKind.VOID_PENDING
                if s.kind is TransferKind.POST_PENDING
                else TransferKind.POST_PENDING
            )
            t = dataclasses.replace(t, kind=other, amount_minor=0)
        elif change == "currency":
            t = dataclasses.replace(t, currency="USD" if s.currency == "CNY" else "CNY")
        elif change == "pending" and resolving:
            t = dataclasses.replace(t, pending_id=self._new_id())
        elif change == "timeout" and s.kind is TransferKind.PENDING:
            t = dataclasses.replace(t, timeout_s=s.timeout_s + 1)
        else:
            t = dataclasses.replace(t, reference=s.reference + "!")
        [result] = self._submit([t])
        assert result.value.startswith("exists_with_different_"), result

    @rule(seconds=st.sampled_from([1, 10, 50, 60, 3600]))  # landing on time-outs exactly
    def advance_and_expire(self, seconds: int) -> None:
        self.clock.advance(seconds)
        expected = self.model.expire(self.clock.now_us())
        assert ledger.expire_due(self.ctx, limit=3) == expected

    @rule(name=st.sampled_from(CUSTOMER_NAMES), status=st.sampled_from(list(AccountStatus)))
    def change_status(self, name: str, status: AccountStatus) -> None:
        account = self.model.accounts[self.ids[name]]
        if (account.status, status) not in ALLOWED_STATUS:
            with pytest.raises(AccountStatusConflict):
                banking.change_status(self.ctx, self.accounts[name].number, status)
            return
        if status is AccountStatus.CLOSED and (
            account.dd != account.cc or account.dp or account.cp
        ):
            with pytest.raises(AccountNotEmpty):
                banking.change_status(self.ctx, self.accounts[name].number, status)
            return
        changed = banking.change_status(self.ctx, self.accounts[name].number, status)
        assert changed.status is status
        account.status = status

    @rule()
    def switch_process(self) -> None:
        """What follows runs in the other process, until the next switch."""
        self.bank, self.other = self.other, self.bank
        self.ctx = self.bank.ctx

    # -- invariants ------------------------------------------------------------------------------
    @invariant()
    def books_balance_and_match_the_model(self) -> None:
        with self.bank.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT a.id, a.currency, b.debits_pending, b.debits_posted,"
                    " b.credits_pending, b.credits_posted, a.debits_must_not_exceed_credits,"
                    " a.credits_must_not_exceed_debits, a.overdraft_limit_minor"
                    " FROM accounts a JOIN balances b ON b.account_id = a.id"
                )
            ).all()
        sums: dict[str, list[int]] = {}
        for r in rows:
            total = sums.setdefault(r[1], [0, 0, 0, 0])
            for i in range(4):
                total[i] += r[2 + i]
            dp, dd, cp, cc = r[2:6]
            if r[6]:
                assert dd + dp <= cc + r[8], f"account {r[0]} beyond its limit"
            if r[7]:
                assert cc + cp <= dd, f"account {r[0]} beyond its limit"
            model = self.model.accounts.get(r[0])
            expected = model.counters() if model else (0, 0, 0, 0)
            assert (dp, dd, cp, cc) == expected, f"account {r[0]}"
        for currency, (dp, dd, cp, cc) in sums.items():
            assert dd == cc, f"{currency}: posted debits {dd} != credits {cc}"
            assert dp == cp, f"{currency}: pending debits {dp} != credits {cp}"

    @invariant()
    def each_accepted_id_is_journalled_once(self) -> None:
        ids = Counter(journal_ids(self.bank.engine))
        assert ids.most_common(1)[0][1] == 1
        assert set(ids) == set(self.model.transfers)

    @invariant()
    def balances_rederive_from_the_journal(self) -> None:
        report = verify_ledger(self.ctx)
        assert report.ok, report


# -- one run per database -----------------------------------------------------------------------
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """A function that returns an empty, migrated database each time it is called."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        counter = itertools.count()
        yield lambda: fresh_sqlite(template, tmp_path, f"example-{next(counter)}.db")
        return
    url: str = request.getfixturevalue("postgres_url")

    def fresh_postgres() -> str:
        empty_postgres(url)
        return url

    yield fresh_postgres


def test_random_operations_keep_every_invariant(fresh_database: Callable[[], str]) -> None:
    run_state_machine_as_test(lambda: LedgerMachine(fresh_database), settings=SETTINGS)
