"""The database schema, one definition for SQLite and PostgreSQL (SQLAlchemy Core).

The database guards the ledger's invariants as well as the engine does: transfer ids are
unique, every transfer balances by construction (one amount, a debit and a credit account
of the transfer's currency, enforced by composite foreign keys, on PostgreSQL by one
statement-level trigger: migration 0008), an account flagged
``debits_must_not_exceed_credits`` cannot go below its overdraft limit (checked on its
``balances`` row), and triggers make the journal append-only (see the initial migration)
and keep each account's ``balances`` row in step with it (migration 0009).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    text,
)

# Deterministic constraint names, so migrations are the same on both databases.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-assigns an INTEGER PRIMARY KEY (the rowid); PostgreSQL takes BIGINT.
RowId = BigInteger().with_variant(Integer(), "sqlite")

branches = Table(
    "branches",
    metadata,
    Column("code", String(4), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("parent_code", String(4), ForeignKey("branches.code"), nullable=True),
    Column("created_at_us", BigInteger, nullable=False),
    CheckConstraint("kind IN ('head_office', 'branch', 'sub_branch', 'outlet')", name="kind"),
    CheckConstraint("(kind = 'head_office') = (parent_code IS NULL)", name="parent"),
)

# One head office per bank, even when two are added at the same moment.
Index(
    "uq_branches_head_office",
    branches.c.kind,
    unique=True,
    sqlite_where=text("kind = 'head_office'"),
    postgresql_where=text("kind = 'head_office'"),
)

customers = Table(
    "customers",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("number", String(16), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("id_type", String(24), nullable=False),
    Column("id_number", String(40), nullable=False),
    Column("branch_code", String(4), ForeignKey("branches.code"), nullable=False),
    Column("phone", String(32), nullable=False, server_default=""),
    Column("created_at_us", BigInteger, nullable=False),
    Column("email", String(254), nullable=True),  # migration 0007; NULL: none on file
    UniqueConstraint("id_type", "id_number"),
    CheckConstraint("kind IN ('individual', 'corporate')", name="kind"),
    CheckConstraint("tier IN ('standard', 'silver', 'gold', 'platinum')", name="tier"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("number", String(19), nullable=False, unique=True),
    Column("product_code", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("branch_code", String(4), ForeignKey("branches.code"), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=True),
    Column("name", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("gl_kind", String(24), nullable=True),
    Column("overdraft_limit_minor", BigInteger, nullable=False, server_default="0"),
    Column("debits_must_not_exceed_credits", Boolean, nullable=False),
    Column("credits_must_not_exceed_debits", Boolean, nullable=False),
    Column("opened_at_us", BigInteger, nullable=False),
    Column("closed_at_us", BigInteger, nullable=True),
    # A teller's own cash box (gl_kind 'teller_cash', migration 0004): one per teller
    # and currency.
    Column("teller_id", BigInteger, ForeignKey("users.id"), nullable=True),
    UniqueConstraint("id", "currency"),
    UniqueConstraint("teller_id", "currency"),
    CheckConstraint("status IN ('active', 'frozen', 'dormant', 'closed')", name="status"),
    CheckConstraint("overdraft_limit_minor >= 0", name="overdraft_non_negative"),
    CheckConstraint("(customer_id IS NULL) = (gl_kind IS NOT NULL)", name="owner"),
    CheckConstraint(
        "(teller_id IS NOT NULL) = (gl_kind IS NOT NULL AND gl_kind = 'teller_cash')",
        name="teller",
    ),
)
Index("ix_accounts_customer_id", accounts.c.customer_id)
# One GL account per branch, kind and currency, except tellers' cash boxes (one per
# teller) and ATMs' cash (one per ATM, named by the terminal: migration 0005).
Index(
    "uq_accounts_branch_code_gl_kind_currency",
    accounts.c.branch_code,
    accounts.c.gl_kind,
    accounts.c.currency,
    unique=True,
    sqlite_where=text("gl_kind NOT IN ('teller_cash', 'atm_cash')"),
    postgresql_where=text("gl_kind NOT IN ('teller_cash', 'atm_cash')"),
)

# What the ledger needs of each account, in a narrow table of its own (migration 0009):
# the four balance counters and the head of the account's history chain, beside copies of
# the rules the engine applies (currency, status, the two flags, the overdraft limit) and
# of the owner.
# A batch reads, locks and rewrites these rows only, so it dirties few pages and its
# updates stay in place. Triggers keep it in step with ``accounts``: a row is created
# with each account, and a change to an account's rules is copied here (migration 0009).
balances = Table(
    "balances",
    metadata,
    Column("account_id", RowId, ForeignKey("accounts.id"), primary_key=True, autoincrement=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("debits_must_not_exceed_credits", Boolean, nullable=False),
    Column("credits_must_not_exceed_debits", Boolean, nullable=False),
    Column("overdraft_limit_minor", BigInteger, nullable=False),
    # Whose account it is: a batch reads with the row whether the customer takes alerts.
    Column("customer_id", BigInteger, nullable=True),
    Column("debits_pending", BigInteger, nullable=False, server_default="0"),
    Column("debits_posted", BigInteger, nullable=False, server_default="0"),
    Column("credits_pending", BigInteger, nullable=False, server_default="0"),
    Column("credits_posted", BigInteger, nullable=False, server_default="0"),
    # The newest journal entry on this account (migration 0008): the head of its chain.
    Column("last_seq", BigInteger, nullable=True),
    CheckConstraint(
        "debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0"
        " AND credits_posted >= 0 AND overdraft_limit_minor >= 0",
        name="counters_non_negative",
    ),
    CheckConstraint(
        "NOT debits_must_not_exceed_credits"
        " OR debits_posted + debits_pending <= credits_posted + overdraft_limit_minor",
        name="debits_within_credits",
    ),
    CheckConstraint(
        "NOT credits_must_not_exceed_debits OR credits_posted + credits_pending <= debits_posted",
        name="credits_within_debits",
    ),
    postgresql_with={"fillfactor": 70},
)

transfers = Table(
    "transfers",
    metadata,
    Column("seq", RowId, primary_key=True, autoincrement=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("debit_account_id", BigInteger, nullable=False),
    Column("credit_account_id", BigInteger, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("code", Integer, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("reference", String(64), nullable=False),
    Column("pending_id", Uuid, ForeignKey("transfers.id"), nullable=True),
    Column("reversal_of", Uuid, ForeignKey("transfers.id"), nullable=True),
    Column("timeout_s", Integer, nullable=False),
    Column("expires_at_us", BigInteger, nullable=True),
    Column("created_at_us", BigInteger, nullable=False),
    Column("pending_status", String(16), nullable=True),
    # The previous entry on the debit and on the credit account (migration 0008): each
    # account's history is a chain through the journal, so the journal only ever grows
    # at its end (no index by account to insert into at random).
    Column("prev_debit_seq", BigInteger, nullable=True),
    Column("prev_credit_seq", BigInteger, nullable=True),
    ForeignKeyConstraint(
        ["debit_account_id", "currency"],
        ["accounts.id", "accounts.currency"],
        name="fk_transfers_debit_account",
    ),
    ForeignKeyConstraint(
        ["credit_account_id", "currency"],
        ["accounts.id", "accounts.currency"],
        name="fk_transfers_credit_account",
    ),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
    CheckConstraint("kind IN ('posting', 'pending', 'post_pending', 'void_pending')", name="kind"),
    CheckConstraint(
        "(kind = 'pending') = (pending_status IS NOT NULL)"
        " AND (pending_status IS NULL"
        " OR pending_status IN ('pending', 'posted', 'voided', 'expired'))",
        name="pending_status",
    ),
    CheckConstraint(
        "(kind IN ('post_pending', 'void_pending')) = (pending_id IS NOT NULL)",
        name="pending_ref",
    ),
)
# A pending transfer is resolved once; a transfer is reversed once.
Index(
    "uq_transfers_pending_id",
    transfers.c.pending_id,
    unique=True,
    sqlite_where=text("pending_id IS NOT NULL"),
    postgresql_where=text("pending_id IS NOT NULL"),
)
Index(
    "uq_transfers_reversal_of",
    transfers.c.reversal_of,
    unique=True,
    sqlite_where=text("reversal_of IS NOT NULL"),
    postgresql_where=text("reversal_of IS NOT NULL"),
)
Index(
    "ix_transfers_open_pending",
    transfers.c.expires_at_us,
    sqlite_where=text("pending_status = 'pending'"),
    postgresql_where=text("pending_status = 'pending'"),
)

# Allocators for customer and account serials (numbers are derived from them).
sequences = Table(
    "sequences",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# On PostgreSQL the journal's references (to its accounts, to the pending transfer or
# original it names) are checked once per statement by a trigger over the inserted rows
# (migration 0008) instead of by these foreign keys row by row; accounts can then be
# neither deleted nor given another id or currency.
PG_STATEMENT_CHECKED_FKS = frozenset(
    {
        "fk_transfers_debit_account",
        "fk_transfers_credit_account",
        "fk_transfers_pending_id",
        "fk_transfers_reversal_of",
    }
)


def schema_filter(dialect: str) -> Callable[..., bool]:
    """Alembic's ``include_object`` for ``dialect``: on PostgreSQL the journal's foreign
    keys declared here are a trigger instead, so a schema comparison skips them."""

    def include(_obj: object, name: str | None, type_: str, *_: object) -> bool:
        return not (
            dialect == "postgresql"
            and type_ == "foreign_key_constraint"
            and name in PG_STATEMENT_CHECKED_FKS
        )

    return include


JOURNAL_COLUMNS = (
    "id",
    "kind",
    "debit_account_id",
    "credit_account_id",
    "amount_minor",
    "currency",
    "code",
    "channel",
    "reference",
    "pending_id",
    "reversal_of",
    "timeout_s",
    "expires_at_us",
    "created_at_us",
    "pending_status",
)
