"""What the ledger's hot path needs from the database drivers themselves: array
literals for PostgreSQL, statement chunking for SQLite, and driver errors raised the way
SQLAlchemy raises them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    any_,
    bindparam,
    cast,
    column,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, IntegrityError

# PostgreSQL SQLSTATEs that mean "a concurrent transaction got there first".
RETRYABLE_SQLSTATES = {"40001", "40P01", "23505"}


def pg_ints(values: Iterable[int]) -> str:
    """A PostgreSQL array literal of integers."""
    return "{" + ",".join(map(str, values)) + "}"


def among(col: ColumnElement[int], ids: Sequence[int], dialect: str) -> ColumnElement[bool]:
    """``col IN (ids)`` with the ids as one bound parameter, however many there are (a
    PostgreSQL array; on SQLite a JSON array read by ``json_each``): the statement
    compiles once, and no id is turned into a parameter of its own."""
    if dialect == "postgresql":
        array = cast(bindparam("among_ids", pg_ints(ids), type_=String), ARRAY(BigInteger))
        return col == any_(array)
    listed = func.json_each(bindparam("among_ids", json.dumps(list(ids)), type_=String))
    return col.in_(select(column("value", BigInteger)).select_from(listed))


def pg_optional_ints(values: Iterable[int | None]) -> str:
    """A PostgreSQL array literal of integers and NULLs."""
    return "{" + ",".join(["NULL" if v is None else str(v) for v in values]) + "}"


def pg_uuids(values: Iterable[UUID]) -> str:
    """A PostgreSQL array literal of UUIDs (32 hex digits each)."""
    return "{" + ",".join([u.hex for u in values]) + "}"


def largest_chunk(raw: sqlite3.Connection, width: int, cap: int) -> int:
    """The largest power of two no greater than ``cap`` whose rows fit the driver's limit
    on bound parameters."""
    fits = min(cap, raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width)
    return 1 << (fits.bit_length() - 1)


def chunks(n: int, largest: int) -> Iterator[tuple[int, int]]:
    """Split ``n`` items into (start, size) pieces whose sizes are powers of two, largest
    first, so that only a few distinct statements are ever prepared."""
    start, size = 0, largest
    while start < n:
        while size > n - start:
            size >>= 1
        yield start, size
        start += size


@cache
def marks(n: int) -> str:
    return ",".join("?" * n)


@contextmanager
def driver_errors(sql: str) -> Iterator[None]:
    """Raise the driver's errors as SQLAlchemy's (``IntegrityError`` and so on), as they
    would be had the statement gone through SQLAlchemy."""
    try:
        yield
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, None, exc, sqlite3.Error) from exc
    except Exception as exc:
        import psycopg  # only ever raised when PostgreSQL is in use

        if isinstance(exc, psycopg.Error):
            raise DBAPIError.instance(sql, None, exc, psycopg.Error) from exc
        raise


def lost_a_race(exc: Exception) -> bool:
    """A unique key taken by a concurrent writer, a serialization failure or a deadlock."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    state = getattr(orig, "sqlstate", None)
    if state is not None:
        return state in RETRYABLE_SQLSTATES
    return isinstance(exc, IntegrityError) and "UNIQUE constraint failed" in str(orig)


def is_unique_violation(exc: IntegrityError) -> bool:
    """A unique key already taken (by this transaction's data or a concurrent one)."""
    state = getattr(exc.orig, "sqlstate", None)
    if state is not None:
        return bool(state == "23505")
    return "UNIQUE constraint failed" in str(exc.orig)
