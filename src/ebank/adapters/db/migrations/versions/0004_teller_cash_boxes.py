"""tellers' own cash boxes: accounts of GL kind 'teller_cash' with a teller_id, one per
teller and currency (the other GL kinds stay one per branch and currency); one open
shift per teller and currency

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

On SQLite a table-level constraint cannot be dropped in place: ``accounts`` is rebuilt
by SQLite's documented procedure (https://www.sqlite.org/lang_altertable.html, "Making
Other Kinds Of Table Schema Changes"): with foreign keys off for the connection (done
by ``engine.upgrade`` / ``downgrade`` before the transaction starts), create the new
table, copy the rows, drop the old table, rename the new one, re-create its indexes,
and check every foreign key (``PRAGMA foreign_key_check``) before the commit. The tables
that reference ``accounts`` (transfers, cards, teller_shifts, ...) keep referring to it
by name, so they need no change. PostgreSQL alters the table in place.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TELLER_CASH = "teller_cash"
BRANCH_LEVEL_GL = "uq_accounts_branch_code_gl_kind_currency"
# The columns every version of ``accounts`` has, in order.
_COLUMNS = (
    "id",
    "number",
    "product_code",
    "currency",
    "branch_code",
    "customer_id",
    "name",
    "status",
    "gl_kind",
    "overdraft_limit_minor",
    "debits_must_not_exceed_credits",
    "credits_must_not_exceed_debits",
    "debits_pending",
    "debits_posted",
    "credits_pending",
    "credits_posted",
    "opened_at_us",
    "closed_at_us",
)


def _accounts(name: str, *, with_tellers: bool) -> sa.Table:
    """The ``accounts`` table as of 0001 (``with_tellers=False``) or of this revision,
    under ``name`` (the SQLite rebuild creates it beside the old one first)."""
    meta = sa.MetaData()
    sa.Table("branches", meta, sa.Column("code", sa.String(4), primary_key=True))
    sa.Table("customers", meta, sa.Column("id", sa.BigInteger, primary_key=True))
    sa.Table("users", meta, sa.Column("id", sa.BigInteger, primary_key=True))
    columns: list[sa.Column[object]] = [
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("number", sa.String(length=19), nullable=False),
        sa.Column("product_code", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("branch_code", sa.String(length=4), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("gl_kind", sa.String(length=24), nullable=True),
        sa.Column("overdraft_limit_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("debits_must_not_exceed_credits", sa.Boolean(), nullable=False),
        sa.Column("credits_must_not_exceed_debits", sa.Boolean(), nullable=False),
        sa.Column("debits_pending", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("debits_posted", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("credits_pending", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("credits_posted", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("opened_at_us", sa.BigInteger(), nullable=False),
        sa.Column("closed_at_us", sa.BigInteger(), nullable=True),
    ]
    constraints: list[sa.schema.SchemaItem] = [
        sa.CheckConstraint(
            "status IN ('active', 'frozen', 'dormant', 'closed')", name="ck_accounts_status"
        ),
        sa.CheckConstraint(
            "(customer_id IS NULL) = (gl_kind IS NOT NULL)", name="ck_accounts_owner"
        ),
        sa.CheckConstraint(
            "NOT credits_must_not_exceed_debits"
            " OR credits_posted + credits_pending <= debits_posted",
            name="ck_accounts_credits_within_debits",
        ),
        sa.CheckConstraint(
            "NOT debits_must_not_exceed_credits"
            " OR debits_posted + debits_pending <= credits_posted + overdraft_limit_minor",
            name="ck_accounts_debits_within_credits",
        ),
        sa.CheckConstraint(
            "debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0"
            " AND credits_posted >= 0 AND overdraft_limit_minor >= 0",
            name="ck_accounts_counters_non_negative",
        ),
        sa.ForeignKeyConstraint(["branch_code"], ["branches.code"], name="fk_accounts_branch_code"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_accounts_customer_id"),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("id", "currency", name="uq_accounts_id_currency"),
        sa.UniqueConstraint("number", name="uq_accounts_number"),
    ]
    if with_tellers:
        columns.append(sa.Column("teller_id", sa.BigInteger(), nullable=True))
        constraints += [
            sa.ForeignKeyConstraint(["teller_id"], ["users.id"], name="fk_accounts_teller_id"),
            sa.UniqueConstraint("teller_id", "currency", name="uq_accounts_teller_id_currency"),
            sa.CheckConstraint(_TELLER_CHECK, name="ck_accounts_teller"),
        ]
    else:
        constraints.append(
            sa.UniqueConstraint("branch_code", "gl_kind", "currency", name=BRANCH_LEVEL_GL)
        )
    return sa.Table(name, meta, *columns, *constraints)


# A cash box belongs to a teller, and only a cash box does.
_TELLER_CHECK = f"(teller_id IS NOT NULL) = (gl_kind IS NOT NULL AND gl_kind = '{TELLER_CASH}')"


def _branch_level_index() -> None:
    """One GL account per branch, kind and currency, except tellers' cash boxes."""
    where = sa.text(f"gl_kind <> '{TELLER_CASH}'")
    op.create_index(
        BRANCH_LEVEL_GL,
        "accounts",
        ["branch_code", "gl_kind", "currency"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


def _open_shift_index() -> None:
    where = sa.text("status = 'open'")
    op.create_index(
        "uq_teller_shifts_open",
        "teller_shifts",
        ["user_id", "currency"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


def _rebuild_sqlite_accounts(*, with_tellers: bool) -> None:
    """Steps 4 to 10 of SQLite's procedure (foreign keys are off for the connection)."""
    bind = op.get_bind()
    assert not bind.exec_driver_sql("PRAGMA foreign_keys").scalar(), (
        "rebuilding accounts needs foreign keys off: migrate through ebank's upgrade()"
    )
    new = _accounts("accounts_new", with_tellers=with_tellers)
    new.create(bind)
    columns = ", ".join(_COLUMNS)
    # Column names are this module's constants, never input.
    op.execute(f"INSERT INTO accounts_new ({columns}) SELECT {columns} FROM accounts")  # noqa: S608
    op.execute("DROP TABLE accounts")
    op.execute("ALTER TABLE accounts_new RENAME TO accounts")
    op.create_index("ix_accounts_customer_id", "accounts", ["customer_id"])
    problems = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    assert not problems, f"foreign keys broken by the rebuild of accounts: {problems[:5]}"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_accounts(with_tellers=True)
    else:
        op.add_column("accounts", sa.Column("teller_id", sa.BigInteger(), nullable=True))
        op.create_foreign_key("fk_accounts_teller_id", "accounts", "users", ["teller_id"], ["id"])
        op.drop_constraint(BRANCH_LEVEL_GL, "accounts", type_="unique")
        op.create_unique_constraint(
            "uq_accounts_teller_id_currency", "accounts", ["teller_id", "currency"]
        )
        op.create_check_constraint("ck_accounts_teller", "accounts", _TELLER_CHECK)
    _branch_level_index()
    _open_shift_index()


def downgrade() -> None:
    bind = op.get_bind()
    boxes = bind.execute(
        sa.text("SELECT count(*) FROM accounts WHERE gl_kind = :kind"), {"kind": TELLER_CASH}
    ).scalar_one()
    if boxes:
        # Their journal entries cannot be deleted, and the older schema cannot hold them.
        raise RuntimeError(f"cannot downgrade below 0004: {boxes} teller cash box accounts exist")
    op.drop_index("uq_teller_shifts_open", table_name="teller_shifts")
    op.drop_index(BRANCH_LEVEL_GL, table_name="accounts")
    if bind.dialect.name == "sqlite":
        _rebuild_sqlite_accounts(with_tellers=False)
        return
    op.drop_constraint("ck_accounts_teller", "accounts", type_="check")
    op.drop_constraint("uq_accounts_teller_id_currency", "accounts", type_="unique")
    op.create_unique_constraint(BRANCH_LEVEL_GL, "accounts", ["branch_code", "gl_kind", "currency"])
    op.drop_constraint("fk_accounts_teller_id", "accounts", type_="foreignkey")
    op.drop_column("accounts", "teller_id")
