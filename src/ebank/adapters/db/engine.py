"""Connecting to the database and migrating it.

SQLite is the embedded default: WAL journal, full fsync at commit, foreign keys on, and
one writer at a time (every writing transaction starts with BEGIN IMMEDIATE, so two
writers queue instead of failing halfway). PostgreSQL is the production database; there
the ledger takes row locks in a fixed order (see ``journal.py``).

SQLite tuning, none of which weakens durability (every commit is still fsynced before it
returns): a batch of the ledger dirties a few megabytes of pages (random accounts and
two indexes by account), so each connection gets a page cache that holds them
(``cache_size``), and the WAL is checkpointed into the database every
``SQLITE_WAL_AUTOCHECKPOINT_PAGES`` pages instead of SQLite's default 1,000, which a
single batch of 1,000 transfers exceeds (a checkpoint, with its fsync of the database
file, after nearly every commit). ``journal_size_limit`` trims the WAL file back after a
checkpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url

if TYPE_CHECKING:
    from alembic.config import Config

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_CACHE_KIB = 32_768  # per connection, allocated as pages are used
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 16_384  # 64 MiB of 4 KiB pages
SQLITE_JOURNAL_SIZE_LIMIT = 128 * 1024 * 1024
READ_ONLY = "ebank_read_only"
_HOLDS_WRITER = "ebank_holds_sqlite_writer_lock"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, pool_size: int = 8) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=pool_size, max_overflow=0)
        _sqlite_events(engine)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"unsupported database {parsed.get_backend_name()!r}")
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True)


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA journal_size_limit={SQLITE_JOURNAL_SIZE_LIMIT}")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    # SQLite has one writer. Within this process, writers queue on a lock for their
    # turn instead of polling the database file: SQLite's busy handler sleeps in steps
    # of up to 100 ms, which turns a queue of a few writers into seconds of latency.
    # Other processes (the CLI beside a server) still meet the busy timeout.
    writer = threading.RLock()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        writer.acquire()
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writer.release()
            raise
        conn.info[_HOLDS_WRITER] = True

    def release(conn: Connection) -> None:
        if conn.info.pop(_HOLDS_WRITER, False):
            writer.release()

    event.listen(engine, "commit", release)
    event.listen(engine, "rollback", release)


# Alembic is imported when it is used: it costs most of the CLI's start-up time.
def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "ebank.adapters.db:migrations")
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    _migrate(engine, lambda cfg: command.upgrade(cfg, revision))


def downgrade(engine: Engine, revision: str) -> None:
    """Undo migrations down to ``revision`` (``"base"``: an empty database)."""
    from alembic import command

    _migrate(engine, lambda cfg: command.downgrade(cfg, revision))


def _migrate(engine: Engine, run: Callable[[Config], None]) -> None:
    """Run migrations in one transaction. On SQLite, foreign keys are off for the
    connection while they run (a migration may rebuild a table that others reference:
    SQLite's documented procedure for schema changes; the pragma is a no-op inside a
    transaction, so it is set before it starts) and every foreign key is checked
    before the commit."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                run(cfg)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def schema_revision(engine: Engine) -> tuple[str | None, str]:
    """(the database's revision, the newest revision the code knows)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, head or ""
