"""the ledger's own narrow table of account balances

The four balance counters and the head of each account's history chain move from
``accounts`` to ``balances``, one row per account, beside copies of what the engine
checks (currency, status, the two flags, the overdraft limit) and of the owner, and the
``CHECK`` constraints on the counters. A batch then reads, locks and rewrites only these narrow
rows: fewer pages dirtied per batch (SQLite writes each dirtied page to its log) and, on
PostgreSQL, cheaper row versions that stay on their page.

The copies are the database's to keep: a trigger creates an account's balances row when
the account is inserted, and another copies a change of its rules (a freeze, a close, a
new limit) in the same statement, so a posting that holds the row's lock sees the
change (or the change waits for the posting).

On SQLite, columns under a ``CHECK`` constraint cannot be dropped in place, so
``accounts`` is rebuilt by SQLite's documented procedure, as in migration 0004.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_COUNTERS = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")
# What the engine checks, copied from ``accounts``, and whose account it is (the batch
# reads, with the row, whether the customer takes SMS alerts).
_RULES = (
    "currency",
    "status",
    "debits_must_not_exceed_credits",
    "credits_must_not_exceed_debits",
    "overdraft_limit_minor",
    "customer_id",
)
_MOVED = (*_COUNTERS, "last_seq")
# The columns ``accounts`` keeps, in order.
_KEPT = (
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
    "opened_at_us",
    "closed_at_us",
    "teller_id",
)
_COUNTER_CHECKS = {
    "counters_non_negative": (
        "debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0"
        " AND credits_posted >= 0 AND overdraft_limit_minor >= 0"
    ),
    "debits_within_credits": (
        "NOT debits_must_not_exceed_credits"
        " OR debits_posted + debits_pending <= credits_posted + overdraft_limit_minor"
    ),
    "credits_within_debits": (
        "NOT credits_must_not_exceed_debits OR credits_posted + credits_pending <= debits_posted"
    ),
}
_OVERDRAFT_CHECK = "overdraft_limit_minor >= 0"
_BRANCH_LEVEL_GL = "uq_accounts_branch_code_gl_kind_currency"


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "balances",
        sa.Column(
            "account_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("debits_must_not_exceed_credits", sa.Boolean(), nullable=False),
        sa.Column("credits_must_not_exceed_debits", sa.Boolean(), nullable=False),
        sa.Column("overdraft_limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        *(sa.Column(c, sa.BigInteger(), server_default="0", nullable=False) for c in _COUNTERS),
        sa.Column("last_seq", sa.BigInteger(), nullable=True),
        *(
            sa.CheckConstraint(check, name=op.f(f"ck_balances_{name}"))
            for name, check in _COUNTER_CHECKS.items()
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_balances_account_id")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_balances")),
        postgresql_with={"fillfactor": 70},
    )
    columns = ", ".join((*_RULES, *_MOVED))
    # Column names are this module's constants, never input.
    op.execute(
        f"INSERT INTO balances (account_id, {columns}) SELECT id, {columns} FROM accounts"  # noqa: S608
    )
    if _pg():
        for name in _COUNTER_CHECKS:
            op.drop_constraint(op.f(f"ck_accounts_{name}"), "accounts", type_="check")
        for column in _MOVED:
            op.drop_column("accounts", column)
        op.create_check_constraint(
            op.f("ck_accounts_overdraft_non_negative"), "accounts", _OVERDRAFT_CHECK
        )
    else:
        _rebuild_sqlite_accounts(with_counters=False)
    _mirror_triggers()


def downgrade() -> None:
    _drop_mirror_triggers()
    if _pg():
        op.drop_constraint(op.f("ck_accounts_overdraft_non_negative"), "accounts", type_="check")
        for column in _COUNTERS:
            op.add_column(
                "accounts", sa.Column(column, sa.BigInteger(), server_default="0", nullable=False)
            )
        op.add_column("accounts", sa.Column("last_seq", sa.BigInteger(), nullable=True))
        _copy_back()
        for name, check in _COUNTER_CHECKS.items():
            op.create_check_constraint(op.f(f"ck_accounts_{name}"), "accounts", check)
    else:
        _rebuild_sqlite_accounts(with_counters=True)
        _copy_back()
    op.drop_table("balances")


def _copy_back() -> None:
    sets = ", ".join(
        f"{c} = (SELECT b.{c} FROM balances b WHERE b.account_id = accounts.id)"  # noqa: S608
        for c in _MOVED
    )
    op.execute(f"UPDATE accounts SET {sets}")  # noqa: S608


def _mirror_triggers() -> None:
    """A balances row for every new account; an account's rules copied on change. (SQL
    is formatted from this module's column lists only.)"""
    rules = ", ".join(_RULES)
    new_rules = ", ".join(f"NEW.{c}" for c in _RULES)
    sets = ", ".join(f"{c} = NEW.{c}" for c in _RULES)
    if _pg():
        op.execute(f"""
            CREATE FUNCTION ebank_balances_open() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO balances (account_id, {rules}) VALUES (NEW.id, {new_rules});
              RETURN NULL;
            END $$""")  # noqa: S608
        op.execute(
            "CREATE TRIGGER accounts_open_balances AFTER INSERT ON accounts"
            " FOR EACH ROW EXECUTE FUNCTION ebank_balances_open()"
        )
        op.execute(f"""
            CREATE FUNCTION ebank_balances_rules() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              UPDATE balances SET {sets} WHERE account_id = NEW.id;
              RETURN NULL;
            END $$""")  # noqa: S608
        op.execute(
            f"CREATE TRIGGER accounts_copy_rules AFTER UPDATE OF {rules} ON accounts"
            " FOR EACH ROW EXECUTE FUNCTION ebank_balances_rules()"
        )
        return
    op.execute(
        "CREATE TRIGGER accounts_open_balances AFTER INSERT ON accounts BEGIN"  # noqa: S608
        f" INSERT INTO balances (account_id, {rules}) VALUES (NEW.id, {new_rules}); END"
    )
    op.execute(
        f"CREATE TRIGGER accounts_copy_rules AFTER UPDATE OF {rules} ON accounts BEGIN"  # noqa: S608
        f" UPDATE balances SET {sets} WHERE account_id = NEW.id; END"
    )


def _drop_mirror_triggers() -> None:
    if _pg():
        op.execute("DROP TRIGGER accounts_copy_rules ON accounts")
        op.execute("DROP FUNCTION ebank_balances_rules()")
        op.execute("DROP TRIGGER accounts_open_balances ON accounts")
        op.execute("DROP FUNCTION ebank_balances_open()")
        return
    op.execute("DROP TRIGGER accounts_copy_rules")
    op.execute("DROP TRIGGER accounts_open_balances")


def _accounts(name: str, *, with_counters: bool) -> sa.Table:
    """The ``accounts`` table as of 0008 (``with_counters``) or of this revision, under
    ``name`` (the SQLite rebuild creates it beside the old one first)."""
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
        sa.Column("opened_at_us", sa.BigInteger(), nullable=False),
        sa.Column("closed_at_us", sa.BigInteger(), nullable=True),
        sa.Column("teller_id", sa.BigInteger(), nullable=True),
    ]
    constraints: list[sa.schema.SchemaItem] = [
        sa.CheckConstraint(
            "status IN ('active', 'frozen', 'dormant', 'closed')", name="ck_accounts_status"
        ),
        sa.CheckConstraint(
            "(customer_id IS NULL) = (gl_kind IS NOT NULL)", name="ck_accounts_owner"
        ),
        sa.CheckConstraint(
            "(teller_id IS NOT NULL) = (gl_kind IS NOT NULL AND gl_kind = 'teller_cash')",
            name="ck_accounts_teller",
        ),
        sa.ForeignKeyConstraint(["branch_code"], ["branches.code"], name="fk_accounts_branch_code"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_accounts_customer_id"),
        sa.ForeignKeyConstraint(["teller_id"], ["users.id"], name="fk_accounts_teller_id"),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("id", "currency", name="uq_accounts_id_currency"),
        sa.UniqueConstraint("number", name="uq_accounts_number"),
        sa.UniqueConstraint("teller_id", "currency", name="uq_accounts_teller_id_currency"),
    ]
    if with_counters:
        columns += [
            sa.Column(c, sa.BigInteger(), server_default="0", nullable=False) for c in _COUNTERS
        ]
        columns.append(sa.Column("last_seq", sa.BigInteger(), nullable=True))
        constraints += [
            sa.CheckConstraint(check, name=f"ck_accounts_{name}")
            for name, check in _COUNTER_CHECKS.items()
        ]
    else:
        constraints.append(
            sa.CheckConstraint(_OVERDRAFT_CHECK, name="ck_accounts_overdraft_non_negative")
        )
    return sa.Table(name, meta, *columns, *constraints)


def _rebuild_sqlite_accounts(*, with_counters: bool) -> None:
    """Steps 4 to 10 of SQLite's procedure (foreign keys are off for the connection):
    the rows keep every column the new table has; the counters, going down, are copied
    back from ``balances`` afterwards."""
    bind = op.get_bind()
    assert not bind.exec_driver_sql("PRAGMA foreign_keys").scalar(), (
        "rebuilding accounts needs foreign keys off: migrate through ebank's upgrade()"
    )
    _accounts("accounts_new", with_counters=with_counters).create(bind)
    columns = ", ".join(_KEPT)
    op.execute(f"INSERT INTO accounts_new ({columns}) SELECT {columns} FROM accounts")  # noqa: S608
    op.execute("DROP TABLE accounts")
    op.execute("ALTER TABLE accounts_new RENAME TO accounts")
    op.create_index("ix_accounts_customer_id", "accounts", ["customer_id"])
    where = sa.text("gl_kind NOT IN ('teller_cash', 'atm_cash')")
    op.create_index(
        _BRANCH_LEVEL_GL,
        "accounts",
        ["branch_code", "gl_kind", "currency"],
        unique=True,
        sqlite_where=where,
    )
    problems = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    assert not problems, f"foreign keys broken by the rebuild of accounts: {problems[:5]}"
