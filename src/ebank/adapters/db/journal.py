"""The journal store: loads what a batch touches and writes what the engine decided.

This is the ledger's hot path, so it speaks the driver's SQL directly (one statement per
kind of work, whatever the batch size) instead of building SQLAlchemy expressions per
row. The schema itself is still ``tables.py``.

Locking. On PostgreSQL many connections write at once: a batch first locks the pending
and original transfers it refers to, then every account it touches, in ascending id
order, with ``SELECT ... FOR UPDATE``. Every writer takes locks in that one order, so
writers queue and never deadlock. On SQLite the whole transaction holds the one write
lock from ``BEGIN IMMEDIATE``. A transfer id inserted meanwhile by another connection
surfaces as a unique violation, reported as ``ConcurrencyConflict`` so the use case
retries the batch (and then finds the id taken: an idempotent replay).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from ebank.adapters.db.tables import JOURNAL_COLUMNS, transfers
from ebank.application.ports import ConcurrencyConflict
from ebank.domain.accounts import AccountStatus
from ebank.domain.ledger import BatchContext, BatchOutcome, LedgerAccount, ids_referenced
from ebank.domain.transfers import JournalEntry, PendingStatus, Transfer, TransferKind

_COLS = ", ".join(JOURNAL_COLUMNS)
_ACCOUNT_COLS = (
    "id, currency, status, debits_must_not_exceed_credits, credits_must_not_exceed_debits,"
    " overdraft_limit_minor, debits_pending, debits_posted, credits_pending, credits_posted"
)
SQLITE_MAX_PARAMS = 30_000
_STATUS = {s.value: s for s in AccountStatus}
_KIND = {k.value: k for k in TransferKind}
_PENDING = {s.value: s for s in PendingStatus}
# PostgreSQL SQLSTATEs that mean "a concurrent transaction got there first".
_RETRYABLE_SQLSTATES = {"40001", "40P01", "23505"}


class SqlJournal:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"

    # -- reading ----------------------------------------------------------------
    def load(self, batch: Sequence[Transfer]) -> BatchContext:
        ids, account_ids, refs = ids_referenced(batch)
        existing = {e.id: e for e in self._entries("id", ids)}
        referenced = {e.id: e for e in self._entries("id", refs, lock=True)}
        for entry in referenced.values():
            account_ids.add(entry.debit_account_id)
            account_ids.add(entry.credit_account_id)
        already = {self._as_uuid(r[0]) for r in self._select_in(
            "SELECT reversal_of FROM transfers WHERE reversal_of IN ({})",
            [self._uuid(u) for u in refs])} if refs else set()
        return BatchContext(
            accounts=self._accounts(account_ids),
            existing=existing,
            referenced=referenced,
            already_reversed=already,
        )

    def _accounts(self, ids: Iterable[int]) -> dict[int, LedgerAccount]:
        ordered = sorted(ids)
        if not ordered:
            return {}
        if self.pg:
            rows = self._driver(
                f"SELECT {_ACCOUNT_COLS} FROM accounts WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                (ordered,))
        else:
            rows = self._select_in(f"SELECT {_ACCOUNT_COLS} FROM accounts WHERE id IN ({{}})",
                                   ordered)
        return {
            r[0]: LedgerAccount(r[0], r[1], _STATUS[r[2]], bool(r[3]), bool(r[4]), r[5], r[6],
                                r[7], r[8], r[9])
            for r in rows
        }

    def _entries(self, column: str, keys: set[UUID], lock: bool = False) -> list[JournalEntry]:
        if not keys:
            return []
        if self.pg:
            sql = f"SELECT {_COLS}, seq FROM transfers WHERE {column} = ANY(%s)"
            if lock:
                sql += " ORDER BY seq FOR UPDATE"
            rows = self._driver(sql, (list(keys),))
        else:
            rows = self._select_in(f"SELECT {_COLS}, seq FROM transfers WHERE {column} IN ({{}})",
                                   [k.hex for k in keys])
        return [self._entry(r) for r in rows]

    def _select_in(self, sql: str, values: Sequence[Any]) -> list[Any]:
        """SQLite: ``IN (?, ?, ...)`` in chunks below the parameter limit."""
        if self.pg:
            return self._driver(sql.format("SELECT unnest(%s)"), (list(values),))
        out: list[Any] = []
        for i in range(0, len(values), SQLITE_MAX_PARAMS):
            chunk = values[i:i + SQLITE_MAX_PARAMS]
            out.extend(self._driver(sql.format(",".join("?" * len(chunk))), tuple(chunk)))
        return out

    def _uuid(self, value: UUID) -> Any:
        """A UUID as the driver stores it: native on PostgreSQL, 32 hex digits on SQLite
        (SQLAlchemy's ``Uuid`` representation)."""
        return value if self.pg else value.hex

    def _as_uuid(self, value: Any) -> Any:
        if self.pg or value is None:
            return value
        return UUID(hex=value)

    def _entry(self, r: Sequence[Any]) -> JournalEntry:
        as_uuid = self._as_uuid
        return JournalEntry(
            id=as_uuid(r[0]), kind=_KIND[r[1]], debit_account_id=r[2], credit_account_id=r[3],
            amount_minor=r[4], currency=r[5], code=r[6], channel=r[7], reference=r[8],
            pending_id=as_uuid(r[9]), reversal_of=as_uuid(r[10]), timeout_s=r[11],
            expires_at_us=r[12], created_at_us=r[13],
            pending_status=_PENDING[r[14]] if r[14] else None, seq=r[15],
        )

    def entry(self, transfer_id: UUID) -> JournalEntry | None:
        found = self._entries("id", {transfer_id})
        return found[0] if found else None

    def history(self, account_id: int, before_seq: int | None, limit: int) -> list[JournalEntry]:
        t = transfers
        q = select(*(t.c[c] for c in JOURNAL_COLUMNS), t.c.seq).where(
            (t.c.debit_account_id == account_id) | (t.c.credit_account_id == account_id))
        if before_seq is not None:
            q = q.where(t.c.seq < before_seq)
        rows = self.conn.execute(q.order_by(t.c.seq.desc()).limit(limit))
        return [self._entry_typed(r) for r in rows]

    def _entry_typed(self, r: Sequence[Any]) -> JournalEntry:
        """An entry from a SQLAlchemy-typed row (UUIDs already converted)."""
        return JournalEntry(
            id=r[0], kind=_KIND[r[1]], debit_account_id=r[2], credit_account_id=r[3],
            amount_minor=r[4], currency=r[5], code=r[6], channel=r[7], reference=r[8],
            pending_id=r[9], reversal_of=r[10], timeout_s=r[11], expires_at_us=r[12],
            created_at_us=r[13], pending_status=_PENDING[r[14]] if r[14] else None, seq=r[15],
        )

    def due_pending(self, now_us: int, limit: int) -> tuple[list[JournalEntry],
                                                            dict[int, LedgerAccount]]:
        t = transfers
        q = (select(*(t.c[c] for c in JOURNAL_COLUMNS), t.c.seq)
             .where(t.c.pending_status == PendingStatus.PENDING.value)
             .where(t.c.expires_at_us <= now_us).order_by(t.c.seq).limit(limit))
        if self.pg:
            q = q.with_for_update(skip_locked=True)
        due = [self._entry_typed(r) for r in self.conn.execute(q)]
        ids = {e.debit_account_id for e in due} | {e.credit_account_id for e in due}
        return due, self._accounts(ids)

    # -- writing ----------------------------------------------------------------
    def save(self, outcome: BatchOutcome) -> None:
        try:
            if outcome.new_entries:
                self._insert(outcome.new_entries)
            if outcome.resolved_pending:
                self._set_pending_status(outcome.resolved_pending)
            if outcome.changed_accounts:
                self._update_accounts(outcome.changed_accounts)
        except Exception as exc:
            if _lost_a_race(exc):
                raise ConcurrencyConflict(str(exc)) from exc
            raise

    def save_expired(self, entries: Sequence[JournalEntry],
                     accounts: Sequence[LedgerAccount]) -> None:
        if entries:
            self._set_pending_status(entries)
            self._update_accounts(sorted(accounts, key=lambda a: a.id))

    def _rows(self, entries: Sequence[JournalEntry]) -> list[tuple[Any, ...]]:
        pg = self.pg
        return [(
            e.id if pg else e.id.hex, e.kind.value, e.debit_account_id, e.credit_account_id,
            e.amount_minor, e.currency, e.code, e.channel, e.reference,
            (e.pending_id if pg else e.pending_id.hex) if e.pending_id else None,
            (e.reversal_of if pg else e.reversal_of.hex) if e.reversal_of else None,
            e.timeout_s, e.expires_at_us, e.created_at_us,
            e.pending_status.value if e.pending_status else None,
        ) for e in entries]

    def _insert(self, entries: Sequence[JournalEntry]) -> None:
        rows = self._rows(entries)
        if self.pg:
            raw = self.conn.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cur, cur.copy(f"COPY transfers ({_COLS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ",".join("?" * len(JOURNAL_COLUMNS))
        self._driver_many(f"INSERT INTO transfers ({_COLS}) VALUES ({marks})", rows)

    def _set_pending_status(self, entries: Sequence[JournalEntry]) -> None:
        rows = [(e.pending_status.value if e.pending_status else None, self._uuid(e.id))
                for e in entries]
        mark = "%s" if self.pg else "?"
        self._driver_many(f"UPDATE transfers SET pending_status = {mark} WHERE id = {mark}", rows)

    def _update_accounts(self, changed: Sequence[LedgerAccount]) -> None:
        if self.pg:
            cols = list(zip(*((a.id, a.debits_pending, a.debits_posted, a.credits_pending,
                               a.credits_posted) for a in changed), strict=True))
            self._driver(
                "UPDATE accounts AS a SET debits_pending = v.dp, debits_posted = v.dd,"
                " credits_pending = v.cp, credits_posted = v.cc"
                " FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[],"
                " %s::bigint[]) AS v(id, dp, dd, cp, cc) WHERE a.id = v.id",
                tuple(list(c) for c in cols), fetch=False)
            return
        self._driver_many(
            "UPDATE accounts SET debits_pending = ?, debits_posted = ?, credits_pending = ?,"
            " credits_posted = ? WHERE id = ?",
            [(a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted, a.id)
             for a in changed])

    # -- driver access ----------------------------------------------------------
    def _driver(self, sql: str, params: tuple[Any, ...], fetch: bool = True) -> list[Any]:
        result = self.conn.exec_driver_sql(sql, params)
        return list(result.fetchall()) if fetch else []

    def _driver_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self.conn.exec_driver_sql(sql, rows)


def _lost_a_race(exc: Exception) -> bool:
    """A unique key taken by a concurrent writer, a serialization failure or a deadlock.
    COPY goes to psycopg directly, so its errors arrive unwrapped."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    state = getattr(orig, "sqlstate", None)
    if state is not None:
        return state in _RETRYABLE_SQLSTATES
    return isinstance(exc, IntegrityError) and "UNIQUE constraint failed" in str(orig)
