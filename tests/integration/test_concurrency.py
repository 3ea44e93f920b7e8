"""Many writers at once. On PostgreSQL, 16 threads post random batches between 100 accounts
(with retried ids, linked pairs, and transfers that must fail for lack of funds); on SQLite,
4 threads queue behind the one-writer rule. Afterwards the totals are conserved, every
transfer acknowledged OK is in the journal exactly once and with the acknowledged fields,
every balance equals the one the acknowledgements imply, and ``ebank ledger verify`` agrees.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import text

from ebank.adapters.clock import FixedClock
from ebank.application import banking, ledger
from ebank.application.banking import ACCOUNT_SERIAL, CUSTOMER_SERIAL, new_customer_account
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank
from ebank.domain.accounts import AccountStatus, GlKind
from ebank.domain.branches import BranchKind
from ebank.domain.customers import Customer, CustomerKind, IdType, Tier, customer_number
from ebank.domain.errors import BranchExists, CustomerExists, DomainError
from ebank.domain.transfers import Result, Transfer, TransferKind
from factories import (
    HEAD_OFFICE,
    TEST_EPOCH_US,
    build_bank,
    counter_sums,
    fresh_sqlite,
    funded_savings,
    head_office,
    journal_ids,
    posting,
    savings,
    scratch_postgres,
)

OPENING_BALANCE = 100_000
LOAN_AMOUNT = 200_000
OVERDRAFT = 50_000
IMPOSSIBLE = 10**13  # more than all the money in the bank: must fail for lack of funds
EBANK = Path(sys.executable).with_name("ebank")

Fields = tuple[int, int, int]  # debit account, credit account, amount


@dataclass
class Books:
    bank: Bank
    url: str
    account_ids: list[int]
    saving_ids: set[int]  # debits_must_not_exceed_credits, no overdraft
    opening: dict[int, int]  # credits less debits after set-up
    setup_ids: set[UUID]


@dataclass
class Load:
    acknowledged: dict[UUID, set[Fields]] = field(default_factory=lambda: defaultdict(set))
    results: Counter[str] = field(default_factory=Counter)
    must_fail_results: Counter[str] = field(default_factory=Counter)
    errors: list[BaseException] = field(default_factory=list)
    batches: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def open_books(bank: Bank, url: str, accounts: int) -> Books:
    """``accounts`` customer accounts in one unit of work: savings, corporate current
    accounts with an overdraft, and loans; each funded by one opening transfer."""
    ctx = bank.ctx
    head_office(ctx)
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        first_customer = uow.sequences.next_block(CUSTOMER_SERIAL, accounts)
        first_account = uow.sequences.next_block(ACCOUNT_SERIAL, accounts)
        customers, made = [], []
        for i in range(accounts):
            kind = ("SAV", "CUR", "LOAN")[0 if i % 10 < 7 else 1 if i % 10 < 9 else 2]
            serial = first_customer + i
            corporate = kind == "CUR"
            customer = Customer(
                id=serial,
                number=customer_number(serial),
                kind=CustomerKind.CORPORATE if corporate else CustomerKind.INDIVIDUAL,
                name=f"客户 {i}",
                tier=Tier.STANDARD,
                id_type=IdType.BUSINESS_LICENCE if corporate else IdType.RESIDENT_ID,
                id_number=f"ID{serial:012d}",
                branch_code=HEAD_OFFICE,
            )
            customers.append(customer)
            made.append(
                new_customer_account(
                    first_account + i,
                    customer,
                    HEAD_OFFICE,
                    kind,
                    "CNY",
                    OVERDRAFT if corporate else 0,
                    now,
                )
            )
        uow.customers.add_many(customers, now)
        uow.accounts.add_many(made)
        cash = uow.accounts.gl_account(HEAD_OFFICE, GlKind.CASH, "CNY")
        suspense = uow.accounts.gl_account(HEAD_OFFICE, GlKind.SUSPENSE, "CNY")
        assert cash is not None and suspense is not None
        opening = [
            Transfer(
                id=ctx.ids.new_id(),
                debit_account_id=a.id,
                credit_account_id=suspense.id,
                amount_minor=LOAN_AMOUNT,
            )
            if a.product_code == "LOAN"
            else Transfer(
                id=ctx.ids.new_id(),
                debit_account_id=cash.id,
                credit_account_id=a.id,
                amount_minor=OPENING_BALANCE,
            )
            for a in made
        ]
        assert ledger.post_within(uow, opening, now).all_ok
        uow.commit()
    return Books(
        bank=bank,
        url=url,
        account_ids=[a.id for a in made],
        saving_ids={a.id for a in made if a.product_code == "SAV"},
        opening={a.id: -LOAN_AMOUNT if a.product_code == "LOAN" else OPENING_BALANCE for a in made},
        setup_ids={t.id for t in opening},
    )


def writer(
    books: Books,
    load: Load,
    seed: int,
    batches: int,
    max_size: int,
    shared: list[Transfer],
    start: threading.Barrier,
) -> None:
    """Post ``batches`` random batches. Some transfers repeat an id already sent (by any
    thread, possibly at the same moment); some cannot possibly be funded."""
    rng = random.Random(seed)
    ctx = books.bank.ctx
    savers = sorted(books.saving_ids)
    start.wait()
    try:
        for _ in range(batches):
            batch: list[Transfer] = []
            must_fail: set[int] = set()
            for _ in range(rng.randint(1, max_size)):
                roll = rng.random()
                if roll < 0.10 and shared:
                    with load.lock:
                        batch.append(shared[rng.randrange(len(shared))])
                    continue
                if roll < 0.12 and shared:  # the same id with another amount
                    with load.lock:
                        old = shared[rng.randrange(len(shared))]
                    batch.append(
                        Transfer(
                            id=old.id,
                            debit_account_id=old.debit_account_id,
                            credit_account_id=old.credit_account_id,
                            amount_minor=old.amount_minor + 1,
                        )
                    )
                    continue
                if roll < 0.15 and not (batch and batch[-1].linked):
                    dr, cr = rng.sample(savers, 2)
                    must_fail.add(len(batch))
                    batch.append(
                        Transfer(
                            id=ctx.ids.new_id(),
                            debit_account_id=dr,
                            credit_account_id=cr,
                            amount_minor=IMPOSSIBLE,
                        )
                    )
                    continue
                dr, cr = rng.sample(books.account_ids, 2)
                linked = roll > 0.92 and len(batch) < max_size - 1
                batch.append(
                    Transfer(
                        id=ctx.ids.new_id(),
                        debit_account_id=dr,
                        credit_account_id=cr,
                        amount_minor=rng.randint(1, 40_000),
                        linked=linked,
                    )
                )
            if batch[-1].linked:
                last = batch[-1]
                batch[-1] = Transfer(
                    id=last.id,
                    debit_account_id=last.debit_account_id,
                    credit_account_id=last.credit_account_id,
                    amount_minor=last.amount_minor,
                )
            outcome = ledger.post_batch(ctx, batch)
            with load.lock:
                load.batches += 1
                for i, (t, result) in enumerate(zip(batch, outcome.results, strict=True)):
                    load.results[result.value] += 1
                    if i in must_fail:
                        load.must_fail_results[result.value] += 1
                    if result is Result.OK:
                        load.acknowledged[t.id].add(
                            (t.debit_account_id, t.credit_account_id, t.amount_minor)
                        )
                    if rng.random() < 0.3:
                        shared.append(t)
    except BaseException as exc:
        with load.lock:
            load.errors.append(exc)


def run_load(books: Books, threads: int, batches: int, max_size: int) -> Load:
    load = Load()
    shared: list[Transfer] = []
    start = threading.Barrier(threads)
    workers = [
        threading.Thread(target=writer, args=(books, load, seed, batches, max_size, shared, start))
        for seed in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=240)
    assert not any(w.is_alive() for w in workers), "a writer hung"
    return load


def journal_rows(books: Books) -> dict[UUID, list[Fields]]:
    rows: dict[UUID, list[Fields]] = defaultdict(list)
    with books.bank.engine.connect() as conn:
        for r in conn.execute(
            text("SELECT id, debit_account_id, credit_account_id, amount_minor FROM transfers")
        ):
            key = r[0] if isinstance(r[0], UUID) else UUID(hex=r[0])
            rows[key].append((r[1], r[2], r[3]))
    return rows


def check_books(books: Books, load: Load) -> None:
    assert load.errors == []
    assert load.results[Result.OK.value] > 0
    # Every transfer that could not be funded was refused as such.
    assert set(load.must_fail_results) == {Result.EXCEEDS_CREDITS.value}

    # The books balance.
    for currency, (dp, dd, cp, cc) in counter_sums(books.bank.engine).items():
        assert dd == cc, currency
        assert dp == cp == 0, currency

    # Every acknowledged id is in the journal once, with the fields acknowledged; and the
    # journal holds nothing that was not acknowledged.
    rows = journal_rows(books)
    assert all(len(v) == 1 for v in rows.values())
    assert len(journal_ids(books.bank.engine)) == len(rows)
    assert set(rows) == set(load.acknowledged) | books.setup_ids
    for transfer_id, fields in load.acknowledged.items():
        assert fields == {rows[transfer_id][0]}, transfer_id

    # Each balance is the opening balance moved by the acknowledged transfers, and the
    # customers' money in total has not changed.
    expected = dict(books.opening)
    for [(dr, cr, amount)] in (list(f) for f in load.acknowledged.values()):
        expected[dr] -= amount
        expected[cr] += amount
    with books.bank.engine.connect() as conn:
        stored = {
            r[0]: r[1]
            for r in conn.execute(
                text(
                    "SELECT a.id, b.credits_posted - b.debits_posted FROM accounts a"
                    " JOIN balances b ON b.account_id = a.id WHERE a.customer_id IS NOT NULL"
                )
            )
        }
    assert stored == expected
    assert sum(stored.values()) == sum(books.opening.values())

    report = verify_ledger(books.bank.ctx)
    assert report.ok, report


# -- PostgreSQL: 16 writers ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def loaded_postgres(postgres_url: str) -> Iterator[tuple[Books, Load]]:
    """A database of its own, so that no other test can empty it between the tests
    that read it."""
    with scratch_postgres(postgres_url, "load") as url:
        bank = build_bank(url, pool_size=20)
        books = open_books(bank, url, accounts=100)
        load = run_load(books, threads=16, batches=30, max_size=40)
        yield books, load
        bank.close()


@pytest.mark.postgresql
def test_sixteen_writers_keep_the_books(loaded_postgres: tuple[Books, Load]) -> None:
    books, load = loaded_postgres
    assert load.batches == 16 * 30
    check_books(books, load)


@pytest.mark.postgresql
def test_retries_were_exercised(loaded_postgres: tuple[Books, Load]) -> None:
    _, load = loaded_postgres
    # More OK answers than ids acknowledged: some answers were replays of an accepted id.
    assert load.results[Result.OK.value] > len(load.acknowledged)
    assert load.results[Result.EXISTS_WITH_DIFFERENT_AMOUNT.value] > 0
    assert load.results[Result.EXCEEDS_CREDITS.value] > 0
    assert load.results[Result.LINKED_EVENT_FAILED.value] > 0


@pytest.mark.postgresql
def test_the_cli_verifies_the_loaded_ledger(loaded_postgres: tuple[Books, Load]) -> None:
    books, _ = loaded_postgres
    env = {**os.environ, "EBANK_DATABASE_URL": books.url, "EBANK_ENVIRONMENT": "test"}
    done = subprocess.run(
        [str(EBANK), "ledger", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verified" in done.stdout


# -- SQLite: 4 writers, one at a time ------------------------------------------------------------
@pytest.fixture
def sqlite_books(sqlite_template: Path, tmp_path: Path) -> Iterator[Books]:
    url = fresh_sqlite(sqlite_template, tmp_path)
    bank = build_bank(url, pool_size=4)
    yield open_books(bank, url, accounts=30)
    bank.close()


def test_four_sqlite_writers_queue_and_keep_the_books(sqlite_books: Books) -> None:
    load = run_load(sqlite_books, threads=4, batches=15, max_size=20)
    assert load.batches == 4 * 15
    check_books(sqlite_books, load)


# -- PostgreSQL: racing for the same holds and transfers ---------------------------------------
@pytest.mark.postgresql
def test_racing_writers_resolve_each_hold_and_reverse_each_transfer_once(postgres_url: str) -> None:
    """Eight threads capture, void and reverse the same transfers in random order while
    others release expired holds: each hold ends resolved exactly once, each transfer
    reversed at most once, and the books still balance."""
    with scratch_postgres(postgres_url, "race") as url:
        _race(url)


def _race(url: str) -> None:
    clock = FixedClock(TEST_EPOCH_US)
    bank = build_bank(url, clock=clock, pool_size=12)
    try:
        books = open_books(bank, url, accounts=20)
        ctx = bank.ctx
        savers = sorted(books.saving_ids)
        rng = random.Random(7)
        holds, postings = [], []
        for i in range(120):
            dr, cr = rng.sample(savers, 2)
            holds.append(
                Transfer(
                    id=ctx.ids.new_id(),
                    debit_account_id=dr,
                    credit_account_id=cr,
                    amount_minor=100 + i,
                    kind=TransferKind.PENDING,
                    timeout_s=10 if i % 2 else 3600,
                )
            )
            dr, cr = rng.sample(savers, 2)
            postings.append(
                Transfer(
                    id=ctx.ids.new_id(),
                    debit_account_id=dr,
                    credit_account_id=cr,
                    amount_minor=50 + i,
                )
            )
        assert ledger.post_batch(ctx, holds + postings).all_ok
        clock.advance(10)  # the odd holds are now due
        ops: list[tuple[str, Transfer]] = [(op, t) for t in holds for op in ("post", "void")]
        ops += [("reverse", t) for t in postings for _ in range(2)]
        ops += [("expire", holds[0])] * 16
        rng.shuffle(ops)
        resolved: Counter[UUID] = Counter()
        reversed_: Counter[UUID] = Counter()
        results: Counter[str] = Counter()
        errors: list[BaseException] = []
        lock = threading.Lock()
        start = threading.Barrier(8)

        def race(share: list[tuple[str, Transfer]]) -> None:
            start.wait()
            try:
                for op, t in share:
                    if op == "expire":
                        ledger.expire_due(ctx, limit=7)
                        continue
                    if op == "reverse":
                        request = Transfer(
                            id=ctx.ids.new_id(),
                            debit_account_id=t.credit_account_id,
                            credit_account_id=t.debit_account_id,
                            amount_minor=t.amount_minor - 1,
                            reversal_of=t.id,
                        )
                    else:
                        kind = (
                            TransferKind.POST_PENDING if op == "post" else TransferKind.VOID_PENDING
                        )
                        request = Transfer(
                            id=ctx.ids.new_id(),
                            kind=kind,
                            pending_id=t.id,
                            amount_minor=t.amount_minor // 2 if op == "post" else 0,
                        )
                    [result] = ledger.post_batch(ctx, [request]).results
                    with lock:
                        results[result.value] += 1
                        if result is Result.OK:
                            (reversed_ if op == "reverse" else resolved)[t.id] += 1
            except BaseException as exc:
                with lock:
                    errors.append(exc)

        workers = [threading.Thread(target=race, args=(ops[i::8],)) for i in range(8)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=240)
        assert not any(w.is_alive() for w in workers)
        assert errors == []
        ledger.expire_due(ctx)
        assert reversed_ == Counter({t.id: 1 for t in postings})
        not_due = [h for h in holds if h.timeout_s == 3600]
        assert resolved == Counter({h.id: 1 for h in not_due})
        assert results[Result.PENDING_TRANSFER_EXPIRED.value] == 2 * 60
        assert results[Result.REVERSED_TRANSFER_ALREADY_REVERSED.value] == 120
        with bank.engine.connect() as conn:
            statuses = Counter(
                conn.execute(
                    text("SELECT pending_status FROM transfers WHERE kind = 'pending'")
                ).scalars()
            )
        assert statuses["expired"] == 60
        assert statuses["posted"] + statuses["voided"] == 60
        for currency, (dp, dd, cp, cc) in counter_sums(bank.engine).items():
            assert (dp, cp) == (0, 0) and dd == cc, currency
        assert verify_ledger(ctx).ok
    finally:
        bank.close()


# -- PostgreSQL: the same thing created twice at once ------------------------------------------
# BUG (src/ebank/application/banking.py, add_customer and add_branch): the use case looks
# for a duplicate, then inserts. Two tellers registering the same identity document (or
# the same branch code) at the same moment both find none; the loser's INSERT then fails
# on the unique constraint and surfaces as a raw sqlalchemy IntegrityError (an error 500)
# instead of CustomerExists / BranchExists.
def _add_customer(bank: Bank, n: int) -> None:
    banking.add_customer(
        bank.ctx, CustomerKind.INDIVIDUAL, f"同一人 {n}", IdType.PASSPORT, "E12345678", HEAD_OFFICE
    )


def _add_branch(bank: Bank, n: int) -> None:
    banking.add_branch(bank.ctx, "0300", f"分行 {n}", BranchKind.BRANCH, HEAD_OFFICE)


@pytest.mark.postgresql
@pytest.mark.parametrize(
    ("create", "exists"), [(_add_customer, CustomerExists), (_add_branch, BranchExists)]
)
def test_the_same_thing_created_twice_at_once_is_refused_by_name(
    postgres_url: str, create: Callable[[Bank, int], None], exists: type[DomainError]
) -> None:
    with scratch_postgres(postgres_url, "twice") as url:
        bank = build_bank(url, pool_size=8)
        try:
            head_office(bank.ctx)
            outcomes: list[str] = []
            start = threading.Barrier(6)

            def attempt(n: int) -> None:
                start.wait()
                try:
                    create(bank, n)
                    outcomes.append("ok")
                except Exception as exc:
                    outcomes.append(type(exc).__name__)

            workers = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
            for w in workers:
                w.start()
            for w in workers:
                w.join(timeout=60)
            assert sorted(outcomes) == sorted(["ok"] + [exists.__name__] * 5)
        finally:
            bank.close()


@pytest.mark.postgresql
def test_a_freeze_and_a_posting_on_the_same_account_take_turns(postgres_url: str) -> None:
    """The engine reads an account's rules from its balances row, which it locks; a
    freeze of the account changes that row in the same statement (migration 0009). So a
    posting that arrives while a freeze is uncommitted waits for it, and then sees the
    account frozen: it is refused, not posted against a frozen account."""
    with scratch_postgres(postgres_url, "freeze") as url:
        bank = build_bank(url)
        try:
            ctx = bank.ctx
            head_office(ctx)
            payer, payee = funded_savings(ctx, 10_000), savings(ctx)
            outcome: list[Result] = []

            def pay() -> None:
                outcome.extend(ledger.post_batch(ctx, [posting(payer, payee, 100)]).results)

            with ctx.uow() as uow:
                uow.accounts.set_status(payer.id, AccountStatus.FROZEN, ctx.clock.now_us())
                posting_thread = threading.Thread(target=pay)
                posting_thread.start()
                posting_thread.join(timeout=1.0)
                assert posting_thread.is_alive(), "the posting did not wait for the freeze"
                uow.commit()
            posting_thread.join(timeout=30)
            assert outcome == [Result.DEBIT_ACCOUNT_FROZEN]
            assert verify_ledger(ctx).ok
        finally:
            bank.close()
