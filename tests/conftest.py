"""Shared fixtures: every storage test runs on SQLite and on PostgreSQL.

PostgreSQL is not optional: if the server cannot be reached the PostgreSQL half of the
suite errors (it is never skipped), and the session writes how many PostgreSQL tests
passed to ``var/test-report/postgresql-passed`` so that CI can prove the half ran.
Point ``EBANK_TEST_POSTGRES_URL`` at another server to use it instead of the local one.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# Importing the table modules registers their tables on the one metadata.
import ebank.adapters.db.tables_access
import ebank.adapters.db.tables_channels
import ebank.adapters.db.tables_phone
import ebank.adapters.db.tables_switch  # noqa: F401
from ebank.adapters.clock import FixedClock
from ebank.adapters.db.engine import make_engine, normalise_url, upgrade
from ebank.adapters.db.tables import metadata
from ebank.bootstrap import Bank, build
from ebank.config import Settings

POSTGRES_ADMIN_URL = normalise_url(
    os.environ.get("EBANK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
)
REPORT_DIR = Path(__file__).resolve().parent.parent / "var" / "test-report"
# 2026-11-07 09:00:00 Asia/Shanghai (a Saturday): tests run on a fixed clock.
TEST_EPOCH_US = 1_794_013_200_000_000

_passed = {"postgresql": 0, "browser": 0}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        if "postgresql" in report.keywords:
            _passed["postgresql"] += 1
        if "/e2e/web/" in report.nodeid.replace("\\", "/"):
            _passed["browser"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    for half, count in _passed.items():
        (REPORT_DIR / f"{half}-passed").write_text(f"{count}\n")


def _worker_suffix() -> str:
    # Unique per process: two test runs on one server never drop each other's database.
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database for this test session on the PostgreSQL server, migrated."""
    admin = make_url(POSTGRES_ADMIN_URL)
    name = f"ebank_test_{_worker_suffix()}"
    admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the half must fail, loudly, when the server is missing
        pytest.fail(f"PostgreSQL at {admin.render_as_string()} is required: {exc}", pytrace=False)
    url = admin.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    # The starting values, as the migrations left them: before any test changes them
    # (tests that empty the database their own way leave sequences moved on).
    with engine.connect() as conn:
        for table in SEEDED_TABLES:
            _seed_rows[table] = [
                dict(r._mapping) for r in conn.execute(metadata.tables[table].select())
            ]
    engine.dispose()
    yield url
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "ebank.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


# Tables the migrations fill with starting values: emptied and refilled between tests.
SEEDED_TABLES = (
    "sequences",
    "audit_head",
    "transaction_limits",
    "dual_control_rules",
    "ticket_slas",
)
_seed_rows: dict[str, list[dict[str, object]]] = {}


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        names = ", ".join(t.name for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        for name, rows in _seed_rows.items():
            if rows:
                conn.execute(metadata.tables[name].insert(), rows)
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database: SQLite in a temporary file, or PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "ebank.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TEST_EPOCH_US)


@pytest.fixture
def bank(database_url: str, clock: FixedClock) -> Iterator[Bank]:
    bank = build(Settings(database_url=database_url, environment="test"), clock=clock)
    yield bank
    bank.close()
