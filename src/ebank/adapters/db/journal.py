"""The journal store: loads what a batch touches and writes what the engine decided.

This is the ledger's hot path, so it speaks the driver's own API and SQL directly instead
of building SQLAlchemy expressions per row, and the work per batch is a handful of
statements whatever the batch size. The schema itself is still ``tables.py``.

SQLite: lists of keys go in as ``IN (?, ...)``, rows as multi-row ``VALUES`` (inserts,
and ``UPDATE ... FROM (VALUES ...)`` for the balances). The row counts of those
statements are powers of two, so a batch of any size runs a few statements from the
driver's prepared-statement cache instead of compiling new SQL. PostgreSQL: keys go in as
one array (``= ANY(%s)``), new entries as one binary ``COPY`` (a lone entry as a
prepared ``INSERT``), balances as one ``UPDATE ... FROM unnest(...)``. Arrays of ids and
counters are passed as PostgreSQL array literals built from ``str(int)`` and ``UUID.hex``
(digits only): several times cheaper than the driver adapting every element, and still
bound parameters, never SQL text. SQL is only ever formatted from this module's column
lists and placeholder counts (hence the ``noqa: S608``), never from values.

What a batch reads and writes of an account is its row of ``balances`` (the counters,
the head of its history chain, and copies of its rules: migration 0009); new entries are
appended with their links into both accounts' chains (migration 0008).

Locking. On PostgreSQL many connections write at once: a batch first locks the pending
and original transfers it refers to, then every account it touches (its ``balances``
row), in ascending id order, with ``SELECT ... FOR UPDATE``. Every writer takes locks in
that one order, so writers queue and never deadlock. On SQLite the whole transaction
holds the one write lock from ``BEGIN IMMEDIATE``. A transfer id inserted meanwhile by
another connection surfaces as a unique violation, reported as ``ConcurrencyConflict``
so the use case retries the batch (and then finds the id taken: an idempotent replay).

Guessing (PostgreSQL, ADR 3). The first attempt of a batch that names no other transfer
may instead be computed from what this process last knew of its accounts
(``BalanceCache``; rows it does not know are read without a lock), without looking its
ids up first. Its update then writes back every account it read, each only if the row is
still the version the batch was computed from (same ``xmin``, same chain head), taking
the row locks in ascending id order as it goes. If any row had changed the update comes
back short and the batch is retried the usual way; an id already in the journal makes
the append fail with a unique violation, and the retry then finds it. Whatever a guessed
batch commits is therefore what the locking path would have committed.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from sys import intern
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select

from ebank.adapters.db.account_chain import walk
from ebank.adapters.db.balance_cache import BalanceCache, InFlight, KnownRow
from ebank.adapters.db.driver import (
    chunks,
    driver_errors,
    largest_chunk,
    lost_a_race,
    marks,
    pg_ints,
    pg_optional_ints,
    pg_uuids,
)
from ebank.adapters.db.tables import JOURNAL_COLUMNS, transfers
from ebank.application.ports import ConcurrencyConflict
from ebank.domain.accounts import AccountStatus
from ebank.domain.ledger import BatchContext, BatchOutcome, LedgerAccount, ids_referenced
from ebank.domain.transfers import JournalEntry, PendingStatus, Result, Transfer, TransferKind

_COLS = ", ".join(JOURNAL_COLUMNS)
# Whether an account's customer takes SMS alerts: read with its row, so that the alerts
# of a batch look up subscribers only where there are some (``SqlSms``).
_TAKES_ALERTS = (
    "EXISTS (SELECT 1 FROM sms_subscriptions s WHERE s.customer_id = {}.customer_id"
    " AND s.status = 'active' AND s.alert_threshold_minor IS NOT NULL)"
)
# An account as the engine sees it: its row of ``balances`` (migration 0009), the row's
# version (PostgreSQL's ``xmin``; NULL on SQLite) and whether its customer takes alerts.
# The first twelve columns are a ``KnownRow`` of the balance cache.
_ACCOUNT_COLS = (
    "account_id, currency, status, debits_must_not_exceed_credits,"
    " credits_must_not_exceed_debits, overdraft_limit_minor, debits_pending, debits_posted,"
    " credits_pending, credits_posted, last_seq, {}, " + _TAKES_ALERTS.format("balances")
)
_PG_ACCOUNT_COLS = _ACCOUNT_COLS.format("xmin::text::bigint")
# A new entry is written with its place in the journal and in its accounts' chains.
_INSERT_COLUMNS = (*JOURNAL_COLUMNS, "seq", "prev_debit_seq", "prev_credit_seq")
_INSERT_COLS = ", ".join(_INSERT_COLUMNS)
_NINSERT = len(_INSERT_COLUMNS)
# The most rows (or keys) one SQLite statement carries; the driver's limit on bound
# parameters may lower it.
SQLITE_MAX_CHUNK = 512
SQLITE_MAX_KEYS = 1024
# How long a guessed batch waits for a transaction of this process it was computed after
# to end. That one may in turn be waiting for this one's entries (the same transfer id in
# both, a circle the database cannot see): then this one gives up and is retried.
SETTLE_TIMEOUT_S = 2.0
# UPDATE ... FROM arrived in SQLite 3.33; older libraries update row by row.
_SQLITE_UPDATE_FROM = sqlite3.sqlite_version_info >= (3, 33, 0)
_STATUS = {s.value: s for s in AccountStatus}
# A new entry's journal position and the positions of its two accounts' previous entries.
Link = tuple[int, int | None, int | None]
_KIND = {k.value: k for k in TransferKind}
_PENDING = {s.value: s for s in PendingStatus}
_OK = Result.OK
# Binary COPY of a new entry, in _INSERT_COLUMNS order.
_PG_COPY_TYPES = (
    "uuid text int8 int8 int8 text int4 text text uuid uuid int4 int8 int8 text int8 int8 int8"
).split()
_PG_NEXT_SEQS = "SELECT nextval('transfers_seq_seq') FROM generate_series(1, %s)"
_PG_ENTRIES = f"SELECT {_COLS}, seq FROM transfers WHERE id = ANY(%s::uuid[])"  # noqa: S608
# The same, for a batch's own ids (up to thousands, nearly always new): one probe of the
# id index per key, driven by the keys. ``= ANY`` over a large array lets the planner
# prefer reading the whole journal once it holds a few hundred thousand entries, ten
# times slower (the ``OFFSET 0`` keeps it from flattening the join back into that).
_PG_ENTRIES_BY_KEY = (
    "SELECT e.* FROM unnest(%s::uuid[]) AS k(id) CROSS JOIN LATERAL"  # noqa: S608
    f" (SELECT {_COLS}, seq FROM transfers WHERE transfers.id = k.id OFFSET 0) AS e"
)
_PG_READ_ACCOUNTS = f"SELECT {_PG_ACCOUNT_COLS} FROM balances WHERE account_id = ANY(%s::bigint[])"  # noqa: S608
_PG_LOCK_ACCOUNTS = _PG_READ_ACCOUNTS + " ORDER BY account_id FOR UPDATE"
_PG_UPDATE_ACCOUNTS = (
    "UPDATE balances AS a SET debits_pending = v.dp, debits_posted = v.dd,"
    " credits_pending = v.cp, credits_posted = v.cc, last_seq = v.ls"
    " FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[],"
    " %s::bigint[]) AS v(id, dp, dd, cp, cc, ls) WHERE a.account_id = v.id"
)
# The guessed path's write: a row is written only if it is still the version the batch
# was computed from. The rows come in ascending id order and are locked in that order: the
# planner is kept to a nested loop driven by the list (``_PG_IN_LIST_ORDER``).
_PG_UPDATE_IF_UNCHANGED = (
    "WITH written AS (UPDATE balances AS a SET debits_pending = v.dp,"  # noqa: S608
    " debits_posted = v.dd, credits_pending = v.cp, credits_posted = v.cc, last_seq = v.ls"
    " FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[],"
    " %s::bigint[], %s::bigint[], %s::bigint[]) AS v(id, x, was, dp, dd, cp, cc, ls)"
    " WHERE a.account_id = v.id AND a.xmin::text::bigint = v.x"
    " AND a.last_seq IS NOT DISTINCT FROM v.was"
    f" RETURNING a.account_id, {_TAKES_ALERTS.format('a')} AS alerts)"
    # How many rows were written, and which of them take alerts (usually few).
    " SELECT count(*), coalesce(array_agg(account_id) FILTER (WHERE alerts), '{}')"
    " FROM written"
)
_PG_IN_LIST_ORDER = ("SET LOCAL enable_hashjoin = off", "SET LOCAL enable_mergejoin = off")
_PG_XID = "SELECT pg_current_xact_id()::text::bigint"
# Whether any of these ids is in the journal: one probe of the id index per key (as
# ``_PG_ENTRIES_BY_KEY``, for the same reason).
_PG_ANY_STORED = (
    "SELECT 1 FROM unnest(%s::uuid[]) AS k(id)"
    " WHERE EXISTS (SELECT 1 FROM transfers WHERE transfers.id = k.id) LIMIT 1"
)
_PG_INSERT = f"INSERT INTO transfers ({_INSERT_COLS}) VALUES ({', '.join(['%s'] * _NINSERT)})"  # noqa: S608
_PG_COPY = f"COPY transfers ({_INSERT_COLS}) FROM STDIN (FORMAT BINARY)"
_SQLITE_ACCOUNTS = f"SELECT {_ACCOUNT_COLS.format('NULL')} FROM balances WHERE account_id IN ({{}})"  # noqa: S608
_SQLITE_ENTRIES = f"SELECT {_COLS}, seq FROM transfers WHERE id IN ({{}})"  # noqa: S608


class SqlJournal:
    def __init__(self, conn: Connection, cache: BalanceCache | None = None) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.cache = cache if self.pg else None
        self._raw_conn: Any = None
        # Each loaded account's newest entry (its chain's head), as the batch moves it.
        self._heads: dict[int, int | None] = {}
        # PostgreSQL: journal positions taken with the locks, not yet used.
        self._spare_seqs: list[int] = []
        # Loaded accounts whose customer had no SMS alert subscription when loaded.
        self.quiet_accounts: set[int] = set()
        # With a cache (PostgreSQL): the batch's accounts as read (or guessed) and as the
        # engine sees them, keyed by id in ascending order; whether they were guessed;
        # what releases their stripes of the cache; the ids this transaction published,
        # and those it locked outside a batch (expiry), which the cache forgets.
        self._loaded: dict[int, tuple[KnownRow, LedgerAccount]] = {}
        self._guessing = False
        self._batch_ids: list[UUID] = []  # the guessed batch's, in order
        self._release: Callable[[], None] | None = None
        self._xid8 = 0
        self._published: list[int] = []
        self._touched: set[int] = set()
        # This transaction, as rows it publishes show it to the batches computed on them.
        self._in_flight = InFlight()

    @property
    def _raw(self) -> Any:
        """The driver's connection, inside the transaction SQLAlchemy began."""
        if self._raw_conn is None:
            self._raw_conn = self.conn.connection.driver_connection
        return self._raw_conn

    # -- reading ----------------------------------------------------------------
    def load(self, batch: Sequence[Transfer], *, optimistic: bool = False) -> BatchContext:
        """What ``batch`` reads. ``optimistic`` (PostgreSQL, with a cache): the batch may
        be computed from the accounts as last known, checked when it is saved; a wrong
        guess makes ``save`` raise ``ConcurrencyConflict``, and the caller retries without
        it."""
        ids, account_ids, refs = ids_referenced(batch)
        cache = self.cache
        if cache is not None and optimistic and not refs and account_ids and cache.should_guess():
            self._batch_ids = [t.id for t in batch]
            return self._load_guess(account_ids)
        if self.pg and not refs and account_ids:
            return self._pg_load_at_once(ids, account_ids, len(batch))
        self._spare_seqs = []  # taken under an earlier batch's locks: not for this one
        existing = {e.id: e for e in self._entries(ids)}
        referenced = {e.id: e for e in self._entries(refs, lock=True)} if refs else {}
        for entry in referenced.values():
            account_ids.add(entry.debit_account_id)
            account_ids.add(entry.credit_account_id)
        already = self._already_reversed(refs) if refs else set()
        return BatchContext(
            accounts=self._accounts(account_ids, for_batch=True),
            existing=existing,
            referenced=referenced,
            already_reversed=already,
        )

    def _pg_load_at_once(self, ids: set[UUID], account_ids: set[int], n: int) -> BatchContext:
        """PostgreSQL, a batch that names no other transfer: its replays, its accounts
        (locked) and journal positions for as many entries as it has transfers, in one
        round trip. The positions are taken after the locks, as ``_next_seqs`` says."""
        raw = self._raw
        ordered = sorted(account_ids)
        publish = self._claim(ordered, for_batch=True)
        with driver_errors(_PG_LOCK_ACCOUNTS), raw.pipeline():
            replays = raw.execute(_PG_ENTRIES_BY_KEY, (pg_uuids(ids),))
            locked = raw.execute(_PG_LOCK_ACCOUNTS, (pg_ints(ordered),))
            positions = raw.execute(_PG_NEXT_SEQS, (n,))
        existing = {e.id: e for e in map(self._entry, replays.fetchall())}
        rows = locked.fetchall()
        self._spare_seqs = sorted(r[0] for r in positions.fetchall())
        return BatchContext(
            accounts=self._account_rows(rows, publish=publish),
            existing=existing,
            referenced={},
            already_reversed=set(),
        )

    def _load_guess(self, account_ids: set[int]) -> BatchContext:
        """The guessed path's accounts: as this process last knew them, the others read
        (without a lock). Holds the accounts' stripes of the cache until ``save`` has
        written them, or the transaction ends."""
        assert self.cache is not None
        ordered = sorted(account_ids)
        self._hold(ordered)
        known = self.cache.known(ordered)
        missing = [i for i, row in zip(ordered, known, strict=True) if row is None]
        if missing:
            read = {r[0]: (*r[:12], None) for r in self._pg(_PG_READ_ACCOUNTS, (pg_ints(missing),))}
            known = [
                row if row is not None else read.get(i)
                for i, row in zip(ordered, known, strict=True)
            ]
        loaded, heads, status = self._loaded, self._heads, _STATUS
        for row in known:
            if row is None:  # no such account: the engine refuses what names it
                continue
            i = row[0]
            account = LedgerAccount(
                i, row[1], status[row[2]], row[3], row[4], row[5], row[6], row[7], row[8], row[9]
            )
            loaded[i] = (row, account)
            heads[i] = row[10]
        self._guessing = True
        return BatchContext(accounts={i: a for i, (_, a) in loaded.items()})

    def _hold(self, ordered: Sequence[int]) -> None:
        """Take the stripes of a batch's accounts (with a cache): no other thread of this
        process computes on them until this batch has written and published them."""
        if self.cache is not None:
            self._let_go()  # a unit of work may post more than one batch
            self._release = self.cache.hold(ordered)

    def _claim(self, ordered: Sequence[int], for_batch: bool) -> bool:
        """Accounts about to be locked outside the guessed path (with a cache). A batch's,
        while this process guesses, hold their stripes and are published once written
        (True). Otherwise (expiry, or guessing paused because guesses keep failing) the
        cache forgets them now and again when the transaction ends."""
        cache = self.cache
        if cache is None:
            return False
        if for_batch and cache.guessing:
            self._hold(ordered)
            return True
        cache.forget(ordered)
        self._touched.update(ordered)
        return False

    def _accounts(self, ids: Iterable[int], for_batch: bool = False) -> dict[int, LedgerAccount]:
        """``ids`` read and locked, a batch's or (``for_batch`` false) expiry's."""
        ordered = sorted(ids)
        if not ordered:
            return {}
        if not self.pg:
            return self._account_rows(self._sqlite_in(_SQLITE_ACCOUNTS, ordered))
        publish = self._claim(ordered, for_batch)
        rows = self._pg(_PG_LOCK_ACCOUNTS, (pg_ints(ordered),))
        return self._account_rows(rows, publish=publish)

    def _account_rows(self, rows: Sequence[Any], publish: bool = False) -> dict[int, LedgerAccount]:
        """The engine's accounts from rows of ``_ACCOUNT_COLS``; notes each one's chain
        head, whether its customer takes alerts and (``publish``) the row as read."""
        heads, quiet = self._heads, self.quiet_accounts
        loaded = self._loaded
        status = _STATUS
        found: dict[int, LedgerAccount] = {}
        for r in rows:
            i = r[0]
            account = found[i] = LedgerAccount(
                i, r[1], status[r[2]], bool(r[3]), bool(r[4]), r[5], r[6], r[7], r[8], r[9]
            )
            heads[i] = r[10]
            if r[12]:
                quiet.discard(i)
            else:
                quiet.add(i)
            if publish:
                loaded[i] = (r, account)  # the row as read: a KnownRow up to its xmin
        return found

    def _entries(self, keys: set[UUID], lock: bool = False) -> list[JournalEntry]:
        if not keys:
            return []
        if self.pg:
            sql = _PG_ENTRIES + " ORDER BY seq FOR UPDATE" if lock else _PG_ENTRIES_BY_KEY
            return [self._entry(r) for r in self._pg(sql, (pg_uuids(keys),))]
        rows = self._sqlite_in(_SQLITE_ENTRIES, [k.hex for k in keys])
        return [self._entry(r) for r in rows]

    def _already_reversed(self, refs: set[UUID]) -> set[UUID]:
        """Which of ``refs`` a stored reversal already names."""
        if self.pg:
            rows = self._pg(
                "SELECT reversal_of FROM transfers WHERE reversal_of = ANY(%s::uuid[])",
                (pg_uuids(refs),),
            )
            return {r[0] for r in rows}
        rows = self._sqlite_in(
            "SELECT reversal_of FROM transfers WHERE reversal_of IN ({})", [k.hex for k in refs]
        )
        return {UUID(hex=r[0]) for r in rows}

    def _as_uuid(self, value: Any) -> Any:
        """A UUID column as read from the driver: native on PostgreSQL, 32 hex digits on
        SQLite (SQLAlchemy's ``Uuid`` representation)."""
        if self.pg or value is None:
            return value
        return UUID(hex=value)

    def _entry(self, r: Sequence[Any]) -> JournalEntry:
        """An entry from a driver row (UUIDs as the driver returns them)."""
        return journal_entry_from_row(r, self._as_uuid)

    def entry(self, transfer_id: UUID) -> JournalEntry | None:
        found = self._entries({transfer_id})
        return found[0] if found else None

    def history(self, account_id: int, before_seq: int | None, limit: int) -> list[JournalEntry]:
        rows = self.conn.execute(walk(account_id, before_seq=before_seq, limit=limit))
        return [self._entry_typed(r) for r in rows]

    def _entry_typed(self, r: Sequence[Any]) -> JournalEntry:
        """An entry from a SQLAlchemy-typed row (UUIDs already converted)."""
        return journal_entry_from_row(r, _same)

    def due_pending(
        self, now_us: int, limit: int
    ) -> tuple[list[JournalEntry], dict[int, LedgerAccount]]:
        t = transfers
        q = (
            select(*(t.c[c] for c in JOURNAL_COLUMNS), t.c.seq)
            .where(t.c.pending_status == PendingStatus.PENDING.value)
            .where(t.c.expires_at_us <= now_us)
            .order_by(t.c.seq)
            .limit(limit)
        )
        if self.pg:
            q = q.with_for_update(skip_locked=True)
        due = [self._entry_typed(r) for r in self.conn.execute(q)]
        ids = {e.debit_account_id for e in due} | {e.credit_account_id for e in due}
        return due, self._accounts(ids)

    # -- writing ----------------------------------------------------------------
    def save(self, outcome: BatchOutcome) -> None:
        """Write what the engine decided: the accounts first (then, with a cache, they
        are published and their stripes let go), then the new entries and the pending
        transfers resolved."""
        try:
            if self._guessing:
                self._save_guess(outcome)
                return
            entries = outcome.new_entries
            links = self._link(entries, self._next_seqs(len(entries))) if entries else []
            if outcome.changed_accounts:
                self._update_accounts(outcome.changed_accounts)
            self._publish({a.id for a in outcome.changed_accounts})
            if entries:
                self._append(entries, links)
            if outcome.resolved_pending:
                self._set_pending_status(outcome.resolved_pending)
        except Exception as exc:
            if lost_a_race(exc):
                raise ConcurrencyConflict(str(exc)) from exc
            raise

    def _save_guess(self, outcome: BatchOutcome) -> None:
        """Write a guessed batch. Its accounts are published (and their stripes let go)
        at once; its entries are appended; then, once the transactions it was computed
        after have ended, every account it read is written back, each only if unchanged
        since (one statement, which also takes their row locks in ascending order)."""
        cache, loaded = self.cache, self._loaded
        assert cache is not None
        assert not outcome.resolved_pending, "a guessed batch names no pending transfer"
        try:
            entries = outcome.new_entries
            heads = self._heads
            newest = max((h for h in heads.values() if h is not None), default=0)
            seqs = cache.take_positions(len(entries), newest) if entries else []
            if seqs is None:
                seqs = sorted(r[0] for r in self._pg(_PG_NEXT_SEQS, (len(entries),)))
            links = self._link(entries, seqs)
            ids = list(loaded)  # ascending: the order the rows are locked in
            rows = list(loaded.values())
            in_flight = self._in_flight
            cache.remember(
                {
                    i: (*_kept(known, account), heads[i], None, in_flight)
                    for i, (known, account) in loaded.items()
                }
            )
            self._published.extend(ids)
            self._loaded = {}
        finally:
            self._let_go()
        if entries:
            self._append(entries, links)
        # Rows published by transactions of this process still under way are checked once
        # those have ended: until then the update would see the versions from before.
        for publisher in {known[12] for known, _ in rows if known[12] is not None}:
            if not cache.wait_for(publisher, SETTLE_TIMEOUT_S) or not publisher.committed:
                cache.guessed_wrong()
                raise ConcurrencyConflict("a batch this one was computed after did not commit")
        versions = [known[11] if known[11] is not None else known[12].xmin for known, _ in rows]
        accounts = [a for _, a in rows]
        params = (
            pg_ints(ids),
            pg_ints(versions),
            pg_optional_ints([known[10] for known, _ in rows]),
            pg_ints([a.debits_pending for a in accounts]),
            pg_ints([a.debits_posted for a in accounts]),
            pg_ints([a.credits_pending for a in accounts]),
            pg_ints([a.credits_posted for a in accounts]),
            pg_optional_ints([heads[i] for i in ids]),
        )
        # A refused transfer was not appended, so a stored transfer with its id (whose
        # answer comes first) would not have shown: those ids are looked up.
        refused = [i for i, r in zip(self._batch_ids, outcome.results, strict=True) if r is not _OK]
        raw = self._raw
        with driver_errors(_PG_UPDATE_IF_UNCHANGED), raw.pipeline():
            for setting in _PG_IN_LIST_ORDER:
                raw.execute(setting)
            written = raw.execute(_PG_UPDATE_IF_UNCHANGED, params)
            xid = raw.execute(_PG_XID)
            spare = raw.execute(_PG_NEXT_SEQS, (max(len(entries), 1),))
            stored = raw.execute(_PG_ANY_STORED, (pg_uuids(refused),)) if refused else None
        if stored is not None and stored.fetchone() is not None:
            raise ConcurrencyConflict("a refused transfer's id is taken: answered as a replay")
        count, alerted = written.fetchone()
        self._xid8 = xid.fetchone()[0]
        cache.add_positions([r[0] for r in spare.fetchall()])
        if count != len(ids):
            cache.guessed_wrong()
            raise ConcurrencyConflict("an account changed since this process last read it")
        cache.guessed_right()
        cache.check_epoch(self._xid8)
        in_flight.xmin = self._xid8 & 0xFFFFFFFF
        self.quiet_accounts.update(ids)
        self.quiet_accounts.difference_update(alerted)

    def _publish(self, changed: set[int]) -> None:
        """Tell the cache what the batch's accounts now hold (their rows are locked by
        this transaction until it ends: the ones it changed as written by it, the others
        as read), and let their stripes go."""
        cache, loaded = self.cache, self._loaded
        if cache is None or not loaded:
            self._let_go()
            return
        if changed:
            cache.check_epoch(self._xid8)
        xmin = self._xid8 & 0xFFFFFFFF
        heads = self._heads
        in_flight = self._in_flight
        cache.remember(
            {
                i: (
                    *_kept(known, account),
                    heads[i],
                    xmin if i in changed else known[11],
                    in_flight,
                )
                for i, (known, account) in loaded.items()
            }
        )
        self._published.extend(loaded)
        self._loaded = {}
        self._let_go()

    def save_expired(
        self, entries: Sequence[JournalEntry], accounts: Sequence[LedgerAccount]
    ) -> None:
        if entries:
            self._set_pending_status(entries)
            self._update_accounts(sorted(accounts, key=lambda a: a.id))

    def _link(self, entries: Sequence[JournalEntry], seqs: Sequence[int]) -> list[Link]:
        """Each entry's position and the previous entries of its two accounts; moves the
        accounts' heads along."""
        heads = self._heads
        links: list[Link] = []
        for e, seq in zip(entries, seqs, strict=True):
            debit, credit = e.debit_account_id, e.credit_account_id
            links.append((seq, heads[debit], heads[credit]))
            heads[debit] = heads[credit] = seq
        return links

    def _append(self, entries: Sequence[JournalEntry], links: Sequence[Link]) -> None:
        if self.pg:
            if len(entries) == 1:  # a prepared INSERT is a round trip; COPY takes more
                self._pg(_PG_INSERT, (*_pg_row(entries[0]), *links[0]), fetch=False)
            else:
                self._pg_copy_entries(entries, links)
            return
        # One flat parameter list, _INSERT_COLUMNS order, UUIDs as 32 hex digits.
        values: list[Any] = []
        add = values.extend
        for e, link in zip(entries, links, strict=True):
            pending_id, reversal, status = e.pending_id, e.reversal_of, e.pending_status
            add(
                (
                    e.id.hex,
                    e.kind._value_,
                    e.debit_account_id,
                    e.credit_account_id,
                    e.amount_minor,
                    e.currency,
                    e.code,
                    e.channel,
                    e.reference,
                    None if pending_id is None else pending_id.hex,
                    None if reversal is None else reversal.hex,
                    e.timeout_s,
                    e.expires_at_us,
                    e.created_at_us,
                    None if status is None else status._value_,
                )
            )
            add(link)
        self._sqlite_rows(_sqlite_insert_sql, _NINSERT, values)

    def _next_seqs(self, n: int) -> list[int]:
        """The journal positions of ``n`` new entries. Taken while this transaction holds
        the locks of every account the entries touch (PostgreSQL) or the one write lock
        (SQLite), so along each account's chain positions only ever grow."""
        if self.pg:
            # Positions taken with this batch's locks serve once; any others are fetched
            # now, under the same locks.
            spare, self._spare_seqs = self._spare_seqs, []
            if len(spare) >= n:
                return spare[:n]
            return sorted(r[0] for r in self._pg(_PG_NEXT_SEQS, (n,)))
        with driver_errors("SELECT max(seq) FROM transfers"):
            last = self._raw.execute("SELECT max(seq) FROM transfers").fetchone()[0] or 0
        return list(range(last + 1, last + 1 + n))

    def _pg_copy_entries(self, entries: Sequence[JournalEntry], links: Sequence[Link]) -> None:
        with driver_errors(_PG_COPY), self._raw.cursor() as cur, cur.copy(_PG_COPY) as copy:
            copy.set_types(_PG_COPY_TYPES)
            write = copy.write_row
            for e, link in zip(entries, links, strict=True):
                write((*_pg_row(e), *link))

    def _set_pending_status(self, entries: Sequence[JournalEntry]) -> None:
        statuses = [e.pending_status.value if e.pending_status else None for e in entries]
        if self.pg:
            self._pg(
                "UPDATE transfers AS t SET pending_status = v.status"
                " FROM unnest(%s::uuid[], %s::text[]) AS v(id, status) WHERE t.id = v.id",
                (pg_uuids(e.id for e in entries), statuses),
                fetch=False,
            )
            return
        self._sqlite_many(
            "UPDATE transfers SET pending_status = ? WHERE id = ?",
            [(s, e.id.hex) for s, e in zip(statuses, entries, strict=True)],
        )

    def _update_accounts(self, changed: Sequence[LedgerAccount]) -> None:
        """Write back the four counters and the chain's head of every changed account."""
        if self.pg:
            self._pg_update_accounts(changed)
            return
        heads = self._heads
        if not _SQLITE_UPDATE_FROM:
            self._sqlite_many(
                "UPDATE balances SET debits_pending = ?, debits_posted = ?,"
                " credits_pending = ?, credits_posted = ?, last_seq = ? WHERE account_id = ?",
                [
                    (
                        a.debits_pending,
                        a.debits_posted,
                        a.credits_pending,
                        a.credits_posted,
                        heads[a.id],
                        a.id,
                    )
                    for a in changed
                ],
            )
            return
        values: list[int | None] = []
        add = values.extend
        for a in changed:
            add(
                (
                    a.id,
                    a.debits_pending,
                    a.debits_posted,
                    a.credits_pending,
                    a.credits_posted,
                    heads[a.id],
                )
            )
        self._sqlite_rows(_sqlite_update_accounts_sql, 6, values)

    def _pg_update_accounts(self, changed: Sequence[LedgerAccount]) -> None:
        """Write the four counters and the chain's head back (the rows are locked); when
        the rows are to be published, also learn this transaction's id (their new
        ``xmin``)."""
        ids = [a.id for a in changed]
        heads = self._heads
        params = (
            pg_ints(ids),
            pg_ints([a.debits_pending for a in changed]),
            pg_ints([a.debits_posted for a in changed]),
            pg_ints([a.credits_pending for a in changed]),
            pg_ints([a.credits_posted for a in changed]),
            pg_optional_ints([heads[i] for i in ids]),
        )
        if not self._loaded:  # nothing to publish: no cache, expiry, or guessing paused
            self._pg(_PG_UPDATE_ACCOUNTS, params, fetch=False)
            return
        raw = self._raw
        with driver_errors(_PG_UPDATE_ACCOUNTS), raw.pipeline():
            raw.execute(_PG_UPDATE_ACCOUNTS, params)
            xid = raw.execute(_PG_XID)
        self._xid8 = xid.fetchone()[0]

    # -- the end of the transaction ------------------------------------------------
    def committed(self) -> None:
        """The transaction committed: what it published stands; rows it changed another
        way are forgotten (a guess published meanwhile may predate them)."""
        published, self._published = self._published, []
        self._end(committed=True, published=bool(published))

    def close(self) -> None:
        """The transaction is over, committed or not: forgets whatever it published and
        did not commit, and lets go of any stripes still held."""
        published, self._published = self._published, []
        if self.cache is not None and published:
            self.cache.forget(published)
        self._end(committed=False, published=bool(published))

    def _end(self, committed: bool, published: bool) -> None:
        self._let_go()
        if self.cache is not None and self._touched:
            self.cache.forget(self._touched)
            self._touched = set()
        in_flight = self._in_flight
        if in_flight.ended:
            return
        if self.cache is None or not published:
            in_flight.ended, in_flight.committed = True, committed  # nobody knows of it
            return
        self.cache.end(in_flight, committed)
        # A batch of another thread may be waiting for this one, its update ready to send:
        # let it have the interpreter now rather than at the next switch (up to 5 ms away
        # while this thread runs Python).
        time.sleep(0)

    def _let_go(self) -> None:
        release, self._release = self._release, None
        self._guessing = False
        if release is not None:
            release()

    # -- driver access ----------------------------------------------------------
    def _pg(self, sql: str, params: tuple[Any, ...], fetch: bool = True) -> list[Any]:
        with driver_errors(sql):
            cur = self._raw.execute(sql, params)
            return cur.fetchall() if fetch else []

    def _sqlite_in(self, sql: str, keys: Sequence[Any]) -> list[Any]:
        """Rows of ``sql`` (with ``IN ({})``) for every key, a chunk of keys at a time."""
        raw = self._raw
        out: list[Any] = []
        largest = largest_chunk(raw, 1, SQLITE_MAX_KEYS)
        with driver_errors(sql):
            for start, size in chunks(len(keys), largest):
                out.extend(
                    raw.execute(sql.format(marks(size)), keys[start : start + size]).fetchall()
                )
        return out

    def _sqlite_rows(self, make_sql: Callable[[int], str], width: int, values: list[Any]) -> None:
        """Run ``make_sql(n)`` over ``values``, ``width`` values a row, ``n`` rows at once."""
        raw = self._raw
        largest = largest_chunk(raw, width, SQLITE_MAX_CHUNK)
        with driver_errors(make_sql(1)):
            for start, size in chunks(len(values) // width, largest):
                raw.execute(make_sql(size), values[start * width : (start + size) * width])

    def _sqlite_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            with driver_errors(sql):
                self._raw.executemany(sql, rows)


def _kept(known: KnownRow, a: LedgerAccount) -> tuple[Any, ...]:
    """An account as the cache keeps it, up to its counters: the same string objects for
    every account's currency and status (the cache may hold many thousands)."""
    return (
        a.id,
        intern(a.currency),
        a.status._value_,
        known[3],
        known[4],
        known[5],
        a.debits_pending,
        a.debits_posted,
        a.credits_pending,
        a.credits_posted,
    )


def _pg_row(e: JournalEntry) -> tuple[Any, ...]:
    """An entry as PostgreSQL takes it, in JOURNAL_COLUMNS order."""
    status = e.pending_status
    return (
        e.id,
        e.kind._value_,
        e.debit_account_id,
        e.credit_account_id,
        e.amount_minor,
        e.currency,
        e.code,
        e.channel,
        e.reference,
        e.pending_id,
        e.reversal_of,
        e.timeout_s,
        e.expires_at_us,
        e.created_at_us,
        None if status is None else status._value_,
    )


@cache
def _sqlite_insert_sql(rows: int) -> str:
    row = "(" + marks(_NINSERT) + ")"
    return f"INSERT INTO transfers ({_INSERT_COLS}) VALUES " + ",".join([row] * rows)  # noqa: S608


@cache
def _sqlite_update_accounts_sql(rows: int) -> str:
    values = ",".join(["(?,?,?,?,?,?)"] * rows)
    return (
        "UPDATE balances SET debits_pending = v.column2, debits_posted = v.column3,"  # noqa: S608
        " credits_pending = v.column4, credits_posted = v.column5, last_seq = v.column6"
        f" FROM (VALUES {values}) AS v WHERE balances.account_id = v.column1"
    )


def _same(value: Any) -> Any:
    return value


def journal_entry_from_row(r: Sequence[Any], as_uuid: Callable[[Any], Any]) -> JournalEntry:
    """An entry from a row of ``JOURNAL_COLUMNS`` and ``seq``."""
    return JournalEntry(
        id=as_uuid(r[0]),
        kind=_KIND[r[1]],
        debit_account_id=r[2],
        credit_account_id=r[3],
        amount_minor=r[4],
        currency=r[5],
        code=r[6],
        channel=r[7],
        reference=r[8],
        pending_id=as_uuid(r[9]),
        reversal_of=as_uuid(r[10]),
        timeout_s=r[11],
        expires_at_us=r[12],
        created_at_us=r[13],
        pending_status=_PENDING[r[14]] if r[14] else None,
        seq=r[15],
    )
