"""An account's history, read by walking its chain through the journal.

Every journal entry names the previous entry of its debit account (``prev_debit_seq``)
and of its credit account (``prev_credit_seq``), and every account its newest entry
(``balances.last_seq``): migrations 0008 and 0009. An account's entries, newest first,
are found by starting at the account's head and following, at each entry, the pointer of
the side the account is on. One recursive query does it on SQLite and PostgreSQL alike;
each step is a primary-key lookup.

The walk stops as soon as it has found ``limit`` entries that count (those older than
the page's cursor and matching the filter), so the latest page of a busy account costs
``limit`` steps; a filter that few entries match, or a date range, walks back as far as
the account's first entry. Entries are not assumed to be in time order along the chain
(a clock may be set back), so a date range is a filter like any other.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, Integer, Select, case, literal, select, true
from sqlalchemy.sql.expression import FromClause

from ebank.adapters.db.tables import JOURNAL_COLUMNS, balances, transfers

Counts = Callable[[FromClause], ColumnElement[bool]]
"""Which entries count, as a condition on a given alias of ``transfers``."""


def _everything(_entries: FromClause) -> ColumnElement[bool]:
    return true()


def walk(
    account_id: int,
    counts: Counts = _everything,
    *,
    before_seq: int | None = None,
    limit: int | None = None,
    newest_first: bool = True,
) -> Select[tuple[object, ...]]:
    """The entries of ``account_id`` that ``counts`` accepts, older than ``before_seq``
    when given, ordered by ``seq``: the newest ``limit`` of them, or, ``newest_first``
    false, the oldest ``limit`` (which walks the whole chain)."""

    def counted(entries: FromClause) -> ColumnElement[bool]:
        condition = counts(entries)
        if before_seq is not None:
            condition = condition & (entries.c.seq < before_seq)
        return condition

    def step_fields(entries: FromClause) -> tuple[ColumnElement[object], ...]:
        previous = case(
            (entries.c.debit_account_id == account_id, entries.c.prev_debit_seq),
            else_=entries.c.prev_credit_seq,
        )
        one_if_counted = case((counted(entries), literal(1, Integer)), else_=literal(0, Integer))
        return entries.c.seq, previous.label("prev"), one_if_counted.label("found")

    head = transfers.alias("head")
    head_seq = (
        select(balances.c.last_seq).where(balances.c.account_id == account_id).scalar_subquery()
    )
    chain = select(*step_fields(head)).where(head.c.seq == head_seq).cte("chain", recursive=True)
    older = transfers.alias("older")
    seq, prev, found = step_fields(older)
    # Each step goes strictly back in the journal: a link damaged to point forward (only
    # raw SQL could write one; ``ledger verify`` reports it) ends the walk instead of
    # looping.
    step = select(seq, prev, (chain.c.found + found).label("found")).where(
        (older.c.seq == chain.c.prev) & (older.c.seq < chain.c.seq)
    )
    if limit is not None and newest_first:
        step = step.where(chain.c.found < limit)
    chain = chain.union_all(step)

    t = transfers
    query = (
        select(*(t.c[c] for c in JOURNAL_COLUMNS), t.c.seq)
        .join_from(chain, t, t.c.seq == chain.c.seq)
        .where(counted(t))
        .order_by(t.c.seq.desc() if newest_first else t.c.seq)
    )
    return query if limit is None else query.limit(limit)
