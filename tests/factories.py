"""Builders for test data, through the use cases, so they work on any unit of work: the
in-memory fakes of ``tests/unit/fakes.py`` and the SQL stores alike. Also the few
database helpers the integration and property tests share (fresh databases, raw counts).
"""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from ebank.adapters.clock import FixedClock
from ebank.adapters.db.engine import make_engine, upgrade
from ebank.application import banking, ledger
from ebank.application.context import Context
from ebank.bootstrap import Bank, build
from ebank.config import Settings
from ebank.domain.accounts import Account, GlKind
from ebank.domain.branches import Branch, BranchKind
from ebank.domain.customers import Customer, CustomerKind, IdType, Tier
from ebank.domain.money import Currency, Money
from ebank.domain.transfers import Transfer

HEAD_OFFICE = "0001"
BRANCH = "0100"
TEST_EPOCH_US = 1_794_013_200_000_000
_serials = itertools.count(1)


def next_serial() -> int:
    return next(_serials)


def new_id() -> UUID:
    """A fresh transfer id for tests that build transfers by hand."""
    return uuid.uuid4()


# -- the bank's structure ------------------------------------------------------------------
def head_office(ctx: Context, currencies: tuple[str, ...] = ("CNY",)) -> Branch:
    return banking.add_branch(
        ctx, HEAD_OFFICE, "总行 Head Office", BranchKind.HEAD_OFFICE, None, currencies
    )


def bank_with_branch(ctx: Context, currencies: tuple[str, ...] = ("CNY",)) -> Branch:
    """A head office and one branch under it; returns the branch."""
    head_office(ctx, currencies)
    return banking.add_branch(
        ctx, BRANCH, "北京分行 Beijing Branch", BranchKind.BRANCH, HEAD_OFFICE, currencies
    )


def individual(
    ctx: Context, branch_code: str = HEAD_OFFICE, name: str = "张三", tier: Tier = Tier.STANDARD
) -> Customer:
    return banking.add_customer(
        ctx,
        CustomerKind.INDIVIDUAL,
        name,
        IdType.RESIDENT_ID,
        f"11010119900101{next_serial():04d}",
        branch_code,
        tier,
    )


def corporate(
    ctx: Context, branch_code: str = HEAD_OFFICE, name: str = "北京某某科技有限公司"
) -> Customer:
    return banking.add_customer(
        ctx,
        CustomerKind.CORPORATE,
        name,
        IdType.BUSINESS_LICENCE,
        f"91110000{next_serial():010d}",
        branch_code,
    )


def savings(
    ctx: Context,
    customer: Customer | None = None,
    currency: str = "CNY",
    branch_code: str | None = None,
) -> Account:
    customer = customer or individual(ctx, branch_code or HEAD_OFFICE)
    return banking.open_account(ctx, customer.number, "SAV", currency, branch_code)


def current(
    ctx: Context, overdraft_minor: int = 0, currency: str = "CNY", branch_code: str | None = None
) -> Account:
    customer = corporate(ctx, branch_code or HEAD_OFFICE)
    return banking.open_account(
        ctx, customer.number, "CUR", currency, branch_code, overdraft_limit_minor=overdraft_minor
    )


def deposit(ctx: Context, account: Account, minor: int, branch_code: str | None = None) -> None:
    """Pay cash in at the account's branch (or ``branch_code``)."""
    ledger.cash_deposit(
        ctx,
        branch_code or account.branch_code,
        account.number,
        Money(minor, Currency.of(account.currency)),
    )


def funded_savings(
    ctx: Context, minor: int, currency: str = "CNY", branch_code: str | None = None
) -> Account:
    account = savings(ctx, currency=currency, branch_code=branch_code)
    if minor:
        deposit(ctx, account, minor)
    return account


def gl(
    ctx: Context, kind: GlKind, branch_code: str = HEAD_OFFICE, currency: str = "CNY"
) -> Account:
    with ctx.uow() as uow:
        account = uow.accounts.gl_account(branch_code, kind, currency)
    assert account is not None
    return account


def posting(debit: Account | int, credit: Account | int, minor: int, **kw: Any) -> Transfer:
    """A transfer between two accounts (or account ids), with a fresh id unless given."""
    dr = debit if isinstance(debit, int) else debit.id
    cr = credit if isinstance(credit, int) else credit.id
    kw.setdefault("id", new_id())
    kw.setdefault("currency", debit.currency if isinstance(debit, Account) else "CNY")
    return Transfer(debit_account_id=dr, credit_account_id=cr, amount_minor=minor, **kw)


def balances(ctx: Context, account: Account) -> tuple[int, int, int, int]:
    """(debits_pending, debits_posted, credits_pending, credits_posted)."""
    with ctx.uow() as uow:
        b = uow.accounts.balances(account.id)
    return (b.debits_pending, b.debits_posted, b.credits_pending, b.credits_posted)


# -- databases -------------------------------------------------------------------------------
def empty_postgres(url: str) -> None:
    """Empty every table of a migrated PostgreSQL database (as the shared fixture does)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("TRUNCATE transfers, accounts, customers, branches RESTART IDENTITY CASCADE")
        )
        conn.execute(text("UPDATE sequences SET value = 0"))
    engine.dispose()


@contextmanager
def scratch_postgres(url: str, suffix: str) -> Iterator[str]:
    """A database of its own on the server of ``url``, migrated, dropped afterwards: for a
    test that must not share the session's database with others."""
    base = make_url(url)
    name = f"{base.database}_{suffix}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    scratch = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(scratch)
    upgrade(engine)
    engine.dispose()
    try:
        yield scratch
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fresh_sqlite(template: Path, directory: Path, name: str = "ebank.db") -> str:
    """A migrated SQLite database copied from the session's template."""
    path = directory / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def build_bank(url: str, clock: FixedClock | None = None, pool_size: int = 8) -> Bank:
    return build(
        Settings(database_url=url, environment="test", db_pool_size=pool_size),
        clock=clock or FixedClock(TEST_EPOCH_US),
    )


def scalar(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def counter_sums(engine: Engine) -> dict[str, tuple[int, int, int, int]]:
    """Per currency: sums of (debits_pending, debits_posted, credits_pending,
    credits_posted) over every account."""
    sql = (
        "SELECT currency, SUM(debits_pending), SUM(debits_posted), SUM(credits_pending),"
        " SUM(credits_posted) FROM balances GROUP BY currency"
    )
    with engine.connect() as conn:
        return {r[0]: (int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in conn.execute(text(sql))}


def journal_ids(engine: Engine) -> list[UUID]:
    """Every transfer id in the journal, as UUIDs, duplicates kept."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id FROM transfers")).scalars().all()
    return [r if isinstance(r, UUID) else UUID(hex=r) for r in rows]


def uuid_param(engine: Engine, value: UUID) -> object:
    """A UUID as a raw SQL parameter: native on PostgreSQL, 32 hex digits on SQLite."""
    return value if engine.dialect.name == "postgresql" else value.hex


def ids_of(transfers: Iterable[Transfer]) -> set[UUID]:
    return {t.id for t in transfers}
