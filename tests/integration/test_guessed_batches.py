"""The journal's guessed path on PostgreSQL (ADR 3): a batch computed from the balances
this process last knew, checked when it is written.

* What a batch publishes to the cache is what the database holds once it has committed
  (values and row version), so the next batch is computed from the truth.
* A change made by another process (another ``Bank``: a posting, a freeze) refutes the
  guess: the batch is retried reading and locking the rows, and answers as if it had
  never guessed (refused for lack of funds, refused as frozen).
* A retried id is still answered as a replay, also when the guess would have refused the
  transfer for another reason.
* A customer registered for SMS alerts by another process since is alerted (whether an
  account's customer takes alerts is read with the checked update, not remembered).
* A batch computed on top of another that has published but not committed waits for it:
  if that one rolls back, the follower does not commit what it computed on it; if it
  commits, the follower's guess stands.
* Two processes posting in turn on the same accounts keep every account's chain in
  journal order (spare positions older than a chain's head are not used).
* Threads of one process posting on shared accounts: every balance is the sum of what
  was acknowledged, ``verify_ledger`` passes, and the cache then equals the database.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from ebank.adapters.clock import FixedClock
from ebank.adapters.db.balance_cache import BalanceCache
from ebank.application import banking, ledger, sms_banking
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank
from ebank.domain.accounts import Account, AccountStatus
from ebank.domain.transfers import Result
from factories import (
    bank_with_branch,
    build_bank,
    empty_postgres,
    funded_savings,
    individual,
    journal_ids,
    posting,
    savings,
)

pytestmark = pytest.mark.postgresql


@pytest.fixture
def url(postgres_url: str) -> str:
    empty_postgres(postgres_url)
    return postgres_url


@pytest.fixture
def bank(url: str, clock: FixedClock) -> Iterator[Bank]:
    """On PostgreSQL only (the guessed path is PostgreSQL's)."""
    bank = build_bank(url, clock)
    yield bank
    bank.close()


@pytest.fixture
def other(url: str, clock: FixedClock) -> Iterator[Bank]:
    """A second process on the same database: a cache of its own."""
    other = build_bank(url, clock)
    yield other
    other.close()


def cache_of(bank: Bank) -> BalanceCache:
    assert bank.balances is not None
    return bank.balances


def stored_rows(bank: Bank, ids: list[int]) -> dict[int, tuple[Any, ...]]:
    """Each account's balances row as the cache keeps it (without the publisher)."""
    with bank.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT account_id, currency, status, debits_must_not_exceed_credits,"
                " credits_must_not_exceed_debits, overdraft_limit_minor, debits_pending,"
                " debits_posted, credits_pending, credits_posted, last_seq,"
                " xmin::text::bigint FROM balances WHERE account_id = ANY(:ids)"
            ),
            {"ids": ids},
        )
        return {r[0]: tuple(r) for r in rows}


def known_rows(cache: BalanceCache, ids: list[int]) -> dict[int, tuple[Any, ...]]:
    """The cache's rows; a row published by a batch of this process has its version once
    that batch has written (the publisher's transaction id)."""
    out = {}
    for i, row in zip(ids, cache.known(ids), strict=True):
        if row is not None:
            publisher = row[12]
            assert publisher is None or publisher.committed
            out[i] = (*row[:11], row[11] if row[11] is not None else publisher.xmin)
    return out


def available(bank: Bank, account: Account) -> int:
    with bank.ctx.uow() as uow:
        b = uow.accounts.balances(account.id)
    return b.credits_posted - b.debits_posted - b.debits_pending


def two_savings(bank: Bank, minor: int) -> tuple[Account, Account]:
    bank_with_branch(bank.ctx)
    return funded_savings(bank.ctx, minor), funded_savings(bank.ctx, minor)


def test_what_a_batch_publishes_is_what_the_database_holds(bank: Bank) -> None:
    alice, bob = two_savings(bank, 10_000)
    cache = cache_of(bank)
    before = cache.right
    for amount in (100, 250, 1):
        outcome = ledger.post_batch(bank.ctx, [posting(alice, bob, amount)])
        assert outcome.results == [Result.OK]
    assert cache.right >= before + 2  # the accounts were known after the first one
    ids = [alice.id, bob.id]
    assert known_rows(cache, ids) == stored_rows(bank, ids)
    assert available(bank, alice) == 10_000 - 351


def test_a_posting_by_another_process_refutes_the_guess(bank: Bank, other: Bank) -> None:
    alice, bob = two_savings(bank, 1_000)
    assert ledger.post_batch(bank.ctx, [posting(alice, bob, 100)]).results == [Result.OK]
    # Another process spends most of what is left; this one still knows 900.
    assert ledger.post_batch(other.ctx, [posting(alice, bob, 850)]).results == [Result.OK]
    cache = cache_of(bank)
    wrong = cache.wrong
    outcome = ledger.post_batch(bank.ctx, [posting(alice, bob, 100)])
    assert outcome.results == [Result.EXCEEDS_CREDITS]
    assert cache.wrong == wrong + 1
    assert available(bank, alice) == 50
    # Retried reading and locking; guessing pauses for the next batch, and the accounts
    # are forgotten rather than remembered from a batch that did not guess.
    ids = [alice.id, bob.id]
    assert known_rows(cache, ids) == {}
    right = cache.right
    assert ledger.post_batch(bank.ctx, [posting(alice, bob, 50)]).results == [Result.OK]
    assert cache.right == right
    # Then guessing again: the rows are read afresh, and the guess holds.
    assert ledger.post_batch(bank.ctx, [posting(bob, alice, 10)]).results == [Result.OK]
    assert cache.right == right + 1
    assert known_rows(cache, ids) == stored_rows(bank, ids)
    assert available(bank, alice) == 10
    assert verify_ledger(bank.ctx).ok


def test_a_freeze_by_another_process_is_seen(bank: Bank, other: Bank) -> None:
    alice, bob = two_savings(bank, 1_000)
    assert ledger.post_batch(bank.ctx, [posting(alice, bob, 100)]).results == [Result.OK]
    banking.change_status(other.ctx, alice.number, AccountStatus.FROZEN)
    outcome = ledger.post_batch(bank.ctx, [posting(alice, bob, 100)])
    assert outcome.results == [Result.DEBIT_ACCOUNT_FROZEN]
    assert available(bank, alice) == 900
    banking.change_status(other.ctx, alice.number, AccountStatus.ACTIVE)
    assert ledger.post_batch(bank.ctx, [posting(alice, bob, 100)]).results == [Result.OK]
    assert available(bank, alice) == 800


def test_a_retried_id_is_answered_as_a_replay(bank: Bank) -> None:
    alice, bob = two_savings(bank, 1_000)
    empty = funded_savings(bank.ctx, 0)
    first = posting(alice, bob, 400)
    assert ledger.post_batch(bank.ctx, [first]).results == [Result.OK]
    again = ledger.post_batch(bank.ctx, [first])
    assert again.results == [Result.OK]
    assert again.replayed == [True]
    # The same id from an empty account: the guess alone would refuse it for lack of
    # funds, but a stored transfer's answer comes first.
    changed = posting(empty, bob, 400, id=first.id)
    assert ledger.post_batch(bank.ctx, [changed]).results == [
        Result.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT
    ]
    assert journal_ids(bank.engine).count(first.id) == 1
    assert available(bank, alice) == 600


@pytest.mark.parametrize("first_commits", [True, False])
def test_a_batch_computed_on_an_uncommitted_one_waits_for_it(
    bank: Bank, first_commits: bool
) -> None:
    alice, bob = two_savings(bank, 1_000)
    assert ledger.post_batch(bank.ctx, [posting(alice, bob, 1)]).results == [Result.OK]
    cache = cache_of(bank)
    right, wrong = cache.right, cache.wrong
    follower: list[Any] = []
    with bank.ctx.uow() as uow:
        # The first batch has written and published its accounts but not committed.
        first = ledger.post_within(
            uow, [posting(alice, bob, 300)], bank.ctx.clock.now_us(), optimistic=True
        )
        assert first.results == [Result.OK]
        thread = threading.Thread(
            target=lambda: follower.append(ledger.post_batch(bank.ctx, [posting(alice, bob, 500)]))
        )
        thread.start()
        time.sleep(0.3)
        assert thread.is_alive()  # waiting for the first one to end
        if first_commits:
            uow.commit()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert follower[0].results == [Result.OK]
    if first_commits:
        assert available(bank, alice) == 1_000 - 1 - 300 - 500
        assert cache.right == right + 2 and cache.wrong == wrong
    else:
        assert available(bank, alice) == 1_000 - 1 - 500
        assert cache.wrong == wrong + 1  # retried reading and locking
    assert verify_ledger(bank.ctx).ok


def test_a_customer_who_took_alerts_since_is_alerted(bank: Bank, other: Bank) -> None:
    bank_with_branch(bank.ctx)
    me = individual(bank.ctx)
    mine = savings(bank.ctx, me)
    payer = funded_savings(bank.ctx, 100_000)
    assert ledger.post_batch(bank.ctx, [posting(payer, mine, 100)]).results == [Result.OK]
    # Known to this process as an account whose customer takes no alerts; then another
    # process registers the customer for them.
    sms_banking.register(other.ctx, "+8613800138000", me.number, alert_threshold_minor=1)
    guessed = cache_of(bank).right
    assert ledger.post_batch(bank.ctx, [posting(payer, mine, 200)]).results == [Result.OK]
    assert cache_of(bank).right == guessed + 1
    with bank.engine.connect() as conn:
        alerts = conn.execute(text("SELECT count(*) FROM outbox")).scalar_one()
    assert alerts == 1


def test_two_processes_in_turn_keep_the_chains_in_order(bank: Bank, other: Bank) -> None:
    bank_with_branch(bank.ctx)
    accounts = [funded_savings(bank.ctx, 1_000_000) for _ in range(5)]
    rng = random.Random(7)
    for step in range(40):
        poster = (bank, other)[rng.random() < 0.5]
        batch = []
        for _ in range(rng.randint(1, 6)):
            dr, cr = rng.sample(accounts, 2)
            batch.append(posting(dr, cr, rng.randint(1, 1_000)))
        assert set(ledger.post_batch(poster.ctx, batch).results) == {Result.OK}, step
    report = verify_ledger(bank.ctx)
    assert report.ok
    assert report.broken_chains == []
    with bank.engine.connect() as conn:
        backwards = conn.execute(
            text(
                "SELECT count(*) FROM transfers WHERE prev_debit_seq >= seq"
                " OR prev_credit_seq >= seq"
            )
        ).scalar_one()
    assert backwards == 0


def test_threads_of_one_process_on_shared_accounts(bank: Bank) -> None:
    bank_with_branch(bank.ctx)
    accounts = [funded_savings(bank.ctx, 100_000) for _ in range(8)]
    opening = {a.id: available(bank, a) for a in accounts}
    moved: dict[int, int] = dict.fromkeys(opening, 0)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def post(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(25):
                batch = []
                for _ in range(rng.randint(1, 20)):
                    dr, cr = rng.sample(accounts, 2)
                    # Some are too large for any account and must be refused.
                    amount = rng.choice([rng.randint(1, 500), 10**9])
                    batch.append(posting(dr, cr, amount))
                outcome = ledger.post_batch(bank.ctx, batch)
                with lock:
                    for t, result in zip(batch, outcome.results, strict=True):
                        assert (result is Result.OK) == (t.amount_minor < 10**9), result
                        if result is Result.OK:
                            moved[t.debit_account_id] -= t.amount_minor
                            moved[t.credit_account_id] += t.amount_minor
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    for account in accounts:
        assert available(bank, account) == opening[account.id] + moved[account.id]
    assert verify_ledger(bank.ctx).ok
    ids = [a.id for a in accounts]
    assert known_rows(cache_of(bank), ids) == stored_rows(bank, ids)
