"""What this process last knew of the ledger's ``balances`` rows (PostgreSQL): a guess
that lets a batch be computed without reading the rows first, and that the write then
proves or refutes.

A known row is the engine's view of an account (its rules and four counters), the head
of its chain, and the row version it was read from or written as: the ``xmin`` of the
row (the transaction that wrote that version). The journal's guessed path
(``SqlJournal``, ADR 3) computes a batch from known rows and writes every one of them
back with ``UPDATE ... WHERE xmin = <known> AND last_seq = <known>``: a row changed
since (by any transaction, by any path, a rules change copied in by trigger included)
no longer matches, the update comes back short, and the batch is rolled back and
retried the usual way, reading and locking every row. Correctness never rests on this
cache; it only decides how often the guess is right.

What makes the guess right often, with several threads posting in one process:

- a guessed batch publishes its accounts as soon as it has computed them, before it
  writes anything (a batch that locked its rows publishes them once updated), so the
  next batch can be computed on top of it and append its entries while the first one
  still writes and commits. The next one sends its own update once the first has ended
  (before that, the database would show it the versions from before the first); if the
  first failed, its rows are forgotten, and whatever was computed on top of it fails;
- the threads of a process take the accounts of a batch in stripes (an account's stripe
  is its id modulo the number of stripes, taken in ascending order) from reading the
  known rows until they have published what they wrote: a batch is not computed on rows
  another thread is about to change;
- after a guess fails, guessing pauses for a while (1, 2, 4 ... 64 batches), and batches
  that lock their rows meanwhile make the cache forget them rather than publish them:
  when other processes write the same accounts the guesses keep failing, and each
  failure costs a computed batch and a partial update.

Row versions are only compared within one run of one database: the cache is emptied
when a new connection finds another server run or another database than the last one
did (a database restarted, restored, failed over or recreated), and when the server's
32-bit transaction counter has gone half way round since the cache was started, so that
an old ``xmin`` can never come back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Engine, event

# A known row: account_id, currency, status, debits_must_not_exceed_credits,
# credits_must_not_exceed_debits, overdraft_limit_minor, debits_pending, debits_posted,
# credits_pending, credits_posted, last_seq, xmin (the order of ``journal._ACCOUNT_COLS``),
# and the ``InFlight`` transaction of this process that published it, or None for a row
# read from the database. The xmin is None while it is the publisher's own, not known yet.
KnownRow = tuple[Any, ...]


class InFlight:
    """A transaction of this process that published rows before committing them (small:
    the rows it published keep it as long as they are known). Waited for through the
    cache (``BalanceCache.wait_for``)."""

    __slots__ = ("committed", "ended", "xmin")

    def __init__(self) -> None:
        self.ended = False
        self.committed = False
        self.xmin: int | None = None  # its transaction id, once it has written


STRIPES = 1024
CAPACITY = 100_000  # rows; about 50 MB at most
MAX_PAUSE = 64  # batches
HOLD_TIMEOUT_S = 2.0
XID_HORIZON = 1 << 31  # half of the 32-bit transaction counter
_WHICH_DATABASE = (
    "SELECT pg_postmaster_start_time()::text, oid FROM pg_database"
    " WHERE datname = current_database()"
)


class BalanceCache:
    def __init__(self, capacity: int = CAPACITY, stripes: int = STRIPES) -> None:
        self.capacity = capacity
        self._rows: dict[int, KnownRow] = {}
        self._stripes = [threading.Lock() for _ in range(stripes)]
        self._guard = threading.Lock()  # positions, the pause and the epoch
        self._ending = threading.Condition()  # an in-flight transaction has ended
        self._positions: list[int] = []
        self._pause = 0
        self._failures = 0
        self._first_xid: int | None = None
        self._database: tuple[Any, ...] | None = None
        # Guesses proved right and refuted since the process started.
        self.right = 0
        self.wrong = 0

    @classmethod
    def for_engine(cls, engine: Engine) -> BalanceCache | None:
        """A cache for ``engine`` if it is PostgreSQL (None for SQLite, whose one writer
        reads its rows for next to nothing), emptied on every new connection."""
        if engine.dialect.name != "postgresql":
            return None
        cache = cls()

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cur:
                cur.execute(_WHICH_DATABASE)
                database = cur.fetchone()
            dbapi_connection.rollback()
            cache.connected_to(tuple(database))

        event.listen(engine, "connect", on_connect)
        return cache

    # -- the rows -----------------------------------------------------------------
    def known(self, ids: Iterable[int]) -> list[KnownRow | None]:
        get = self._rows.get
        return [get(i) for i in ids]

    def remember(self, rows: dict[int, KnownRow]) -> None:
        """Known rows by account id. When the cache is full, the rows known longest are
        forgotten first (a row written again keeps its place: the busiest come back at
        once, read or guessed)."""
        store = self._rows
        store.update(rows)
        if len(store) > self.capacity:
            self._shrink()

    def forget(self, ids: Iterable[int]) -> None:
        pop = self._rows.pop
        for i in ids:
            pop(i, None)

    def clear(self) -> None:
        with self._guard:
            self._rows = {}
            self._positions = []
            self._first_xid = None

    def connected_to(self, database: tuple[Any, ...]) -> None:
        """A new connection reached ``database`` (its server's start time and the
        database's oid): another one than before empties the cache."""
        if database != self._database:
            self.clear()
            self._database = database

    def __len__(self) -> int:
        return len(self._rows)

    def _shrink(self) -> None:
        with self._guard:
            store = self._rows
            drop = len(store) - self.capacity // 2
            if drop <= 0:
                return
            for key in list(store)[:drop]:  # dicts keep insertion order
                store.pop(key, None)

    def check_epoch(self, xid8: int) -> None:
        """Forget everything once the server's transaction counter has moved half way
        round since the first row was known (``xid8``: a full, 64-bit transaction id)."""
        with self._guard:
            if self._first_xid is None:
                self._first_xid = xid8
                return
            if xid8 - self._first_xid < XID_HORIZON:
                return
            self._rows = {}
            self._first_xid = xid8

    # -- the stripes --------------------------------------------------------------
    def hold(self, ids: Iterable[int], timeout_s: float = HOLD_TIMEOUT_S) -> Callable[[], None]:
        """Take the stripes of ``ids`` (ascending, so no two batches wait for each other
        in a circle); returns what releases them, once.

        A unit of work that posts a second batch takes stripes while its transaction
        holds row locks from the first, and a thread holding stripes may wait for those
        row locks: a circle the database cannot see. Stripes only make guesses likelier
        (correctness rests on the checked update), so after ``timeout_s`` the batch goes
        on without them."""
        n = len(self._stripes)
        taken: list[threading.Lock] = []
        deadline = time.monotonic() + timeout_s
        for stripe in sorted({i % n for i in ids}):
            lock = self._stripes[stripe]
            if not lock.acquire(timeout=max(deadline - time.monotonic(), 0)):
                for held in reversed(taken):
                    held.release()
                return _nothing
            taken.append(lock)
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                for lock in reversed(taken):
                    lock.release()

        return release

    # -- transactions in flight ---------------------------------------------------------
    def end(self, publisher: InFlight, committed: bool) -> None:
        """``publisher`` has committed or rolled back: wakes the batches waiting for it."""
        with self._ending:
            publisher.committed = committed
            publisher.ended = True
            self._ending.notify_all()

    def wait_for(self, publisher: InFlight, timeout_s: float) -> bool:
        """Wait until ``publisher`` has ended; False if it has not after ``timeout_s``."""
        if publisher.ended:
            return True
        with self._ending:
            return self._ending.wait_for(lambda: publisher.ended, timeout_s)

    # -- journal positions ----------------------------------------------------------
    def take_positions(self, n: int, above: int) -> list[int] | None:
        """``n`` spare journal positions, ascending, all greater than ``above`` (the
        newest chain head the batch links to), or None."""
        with self._guard:
            spare = self._positions
            if len(spare) < n or (spare and spare[0] <= above):
                if spare and spare[0] <= above:
                    self._positions = []
                return None
            self._positions = spare[n:]
            return spare[:n]

    def add_positions(self, positions: Sequence[int]) -> None:
        with self._guard:
            self._positions = sorted([*self._positions, *positions])

    # -- when to guess -----------------------------------------------------------------
    @property
    def guessing(self) -> bool:
        """Not pausing after failed guesses."""
        return self._pause == 0

    def should_guess(self) -> bool:
        with self._guard:
            if self._pause:
                self._pause -= 1
                return False
            return True

    def guessed_right(self) -> None:
        with self._guard:
            self.right += 1
            self._failures = 0

    def guessed_wrong(self) -> None:
        """A guess was refuted: the next ``1, 2, 4 ... MAX_PAUSE`` batches (doubling with
        each failure in a row) do not guess."""
        with self._guard:
            self.wrong += 1
            self._failures += 1
            self._pause = min(1 << (self._failures - 1), MAX_PAUSE)


def _nothing() -> None:
    """Releases nothing: what ``hold`` returns when it gave up."""
