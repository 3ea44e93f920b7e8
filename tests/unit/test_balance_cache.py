"""The balance cache's own rules (the guessed path itself is tested against PostgreSQL in
``tests/integration/test_guessed_batches.py``): stripes, spare journal positions, when
to guess, and when to forget everything."""

from __future__ import annotations

import threading
import time

from ebank.adapters.db.balance_cache import MAX_PAUSE, XID_HORIZON, BalanceCache, InFlight


def row(account_id: int, credits: int = 0) -> tuple[object, ...]:
    return (account_id, "CNY", "active", True, False, 0, 0, 0, 0, credits, None, 7, None)


def test_overlapping_batches_wait_for_each_other_and_disjoint_ones_do_not() -> None:
    cache = BalanceCache(stripes=16)
    release = cache.hold([1, 2, 3])
    entered: list[str] = []

    def take(name: str, ids: list[int]) -> None:
        cache.hold(ids)()
        entered.append(name)

    overlapping = threading.Thread(target=take, args=("overlapping", [3, 40]))
    disjoint = threading.Thread(target=take, args=("disjoint", [4, 5, 36]))  # 36 % 16 == 4
    overlapping.start()
    disjoint.start()
    disjoint.join(timeout=5)
    time.sleep(0.05)
    assert entered == ["disjoint"]
    release()
    release()  # a second call does nothing
    overlapping.join(timeout=5)
    assert entered == ["disjoint", "overlapping"]


def test_a_batch_that_cannot_have_its_stripes_goes_on_without_them() -> None:
    cache = BalanceCache(stripes=16)
    release = cache.hold([1, 2])
    started = time.monotonic()
    without = cache.hold([0, 2, 3], timeout_s=0.1)
    assert time.monotonic() - started >= 0.1
    without()
    stripes = cache._stripes
    # It gave back the stripe it had taken (0), never took 3, and 1 and 2 are still held.
    assert [stripes[i].locked() for i in range(4)] == [False, True, True, False]
    release()
    assert not any(lock.locked() for lock in stripes)


def test_a_batch_waits_for_the_transaction_it_was_computed_after() -> None:
    cache = BalanceCache()
    first, second = InFlight(), InFlight()
    assert not cache.wait_for(first, timeout_s=0.05)
    seen: list[tuple[bool, bool]] = []
    waiter = threading.Thread(
        target=lambda: seen.append((cache.wait_for(second, 5), second.committed))
    )
    waiter.start()
    cache.end(first, committed=True)  # another one: the waiter goes on waiting
    time.sleep(0.05)
    assert seen == []
    cache.end(second, committed=False)
    waiter.join(timeout=5)
    assert seen == [(True, False)]
    assert cache.wait_for(first, timeout_s=0) and first.committed


def test_spare_positions_are_handed_out_once_and_never_behind_a_chain() -> None:
    cache = BalanceCache()
    assert cache.take_positions(2, above=0) is None
    cache.add_positions([13, 11, 12])
    cache.add_positions([14, 15])
    assert cache.take_positions(2, above=10) == [11, 12]
    assert cache.take_positions(4, above=10) is None  # too few: kept for a smaller batch
    # A chain already at 13 or beyond: these would link backwards, so they are dropped.
    assert cache.take_positions(1, above=13) is None
    assert cache.take_positions(1, above=0) is None


def test_a_wrong_guess_pauses_guessing_for_longer_each_time_in_a_row() -> None:
    cache = BalanceCache()
    assert cache.should_guess()
    pauses = []
    for _ in range(9):
        cache.guessed_wrong()
        paused = 0
        while not cache.should_guess():
            paused += 1
        pauses.append(paused)
    assert pauses == [1, 2, 4, 8, 16, 32, MAX_PAUSE, MAX_PAUSE, MAX_PAUSE]
    cache.guessed_right()
    cache.guessed_wrong()
    assert not cache.should_guess()
    assert cache.should_guess()
    assert (cache.right, cache.wrong) == (1, 10)


def test_a_full_cache_forgets_the_rows_known_longest() -> None:
    cache = BalanceCache(capacity=10)
    cache.remember({i: row(i) for i in range(10)})
    cache.remember({3: row(3, credits=5)})  # written again: keeps its place
    assert cache.known([3]) == [row(3, credits=5)]
    cache.remember({10: row(10)})  # one too many: the older half goes
    assert len(cache) == 5
    known = cache.known(range(11))
    assert known[:6] == [None] * 6
    assert known[6:] == [row(i) for i in range(6, 11)]


def test_everything_is_forgotten_on_another_database_or_far_on_in_transactions() -> None:
    cache = BalanceCache()
    cache.connected_to(("2026-12-07 03:00:00+00", 16384))
    cache.remember({1: row(1)})
    cache.add_positions([5])
    cache.connected_to(("2026-12-07 03:00:00+00", 16384))  # the pool grew: same database
    assert cache.known([1]) == [row(1)]
    cache.connected_to(("2026-12-07 04:00:00+00", 16384))  # the server restarted
    assert cache.known([1]) == [None]
    assert cache.take_positions(1, above=0) is None

    cache.remember({1: row(1)})
    cache.check_epoch(1_000)
    cache.check_epoch(1_000 + XID_HORIZON - 1)
    assert cache.known([1]) == [row(1)]
    cache.check_epoch(1_000 + XID_HORIZON)
    assert cache.known([1]) == [None]
