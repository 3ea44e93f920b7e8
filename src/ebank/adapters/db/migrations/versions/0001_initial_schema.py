"""initial schema: branches, customers, accounts, journal

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "branches",
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_code", sa.String(length=4), nullable=True),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'head_office') = (parent_code IS NULL)", name=op.f("ck_branches_parent")
        ),
        sa.CheckConstraint(
            "kind IN ('head_office', 'branch', 'sub_branch', 'outlet')",
            name=op.f("ck_branches_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["branches.code"], name=op.f("fk_branches_parent_code")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_branches")),
    )
    head_office = sa.text("kind = 'head_office'")
    op.create_index(
        "uq_branches_head_office",
        "branches",
        ["kind"],
        unique=True,
        sqlite_where=head_office,
        postgresql_where=head_office,
    )
    op.create_table(
        "sequences",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sequences")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("id_type", sa.String(length=24), nullable=False),
        sa.Column("id_number", sa.String(length=40), nullable=False),
        sa.Column("branch_code", sa.String(length=4), nullable=False),
        sa.Column("phone", sa.String(length=32), server_default="", nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("kind IN ('individual', 'corporate')", name=op.f("ck_customers_kind")),
        sa.CheckConstraint(
            "tier IN ('standard', 'silver', 'gold', 'platinum')", name=op.f("ck_customers_tier")
        ),
        sa.ForeignKeyConstraint(
            ["branch_code"], ["branches.code"], name=op.f("fk_customers_branch_code")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("id_type", "id_number", name=op.f("uq_customers_id_type_id_number")),
        sa.UniqueConstraint("number", name=op.f("uq_customers_number")),
    )
    op.create_table(
        "accounts",
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
        sa.CheckConstraint(
            "status IN ('active', 'frozen', 'dormant', 'closed')", name=op.f("ck_accounts_status")
        ),
        sa.CheckConstraint(
            "(customer_id IS NULL) = (gl_kind IS NOT NULL)", name=op.f("ck_accounts_owner")
        ),
        sa.CheckConstraint(
            "NOT credits_must_not_exceed_debits OR credits_posted + credits_pending <= debits_posted",
            name=op.f("ck_accounts_credits_within_debits"),
        ),
        sa.CheckConstraint(
            "NOT debits_must_not_exceed_credits OR debits_posted + debits_pending <= credits_posted + overdraft_limit_minor",
            name=op.f("ck_accounts_debits_within_credits"),
        ),
        sa.CheckConstraint(
            "debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 AND credits_posted >= 0 AND overdraft_limit_minor >= 0",
            name=op.f("ck_accounts_counters_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["branch_code"], ["branches.code"], name=op.f("fk_accounts_branch_code")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_accounts_customer_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint(
            "branch_code",
            "gl_kind",
            "currency",
            name=op.f("uq_accounts_branch_code_gl_kind_currency"),
        ),
        sa.UniqueConstraint("id", "currency", name=op.f("uq_accounts_id_currency")),
        sa.UniqueConstraint("number", name=op.f("uq_accounts_number")),
    )
    op.create_index("ix_accounts_customer_id", "accounts", ["customer_id"])

    op.create_table(
        "transfers",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("debit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("credit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("pending_id", sa.Uuid(), nullable=True),
        sa.Column("reversal_of", sa.Uuid(), nullable=True),
        sa.Column("timeout_s", sa.Integer(), nullable=False),
        sa.Column("expires_at_us", sa.BigInteger(), nullable=True),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("pending_status", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            "(kind = 'pending') = (pending_status IS NOT NULL) AND (pending_status IS NULL OR pending_status IN ('pending', 'posted', 'voided', 'expired'))",
            name=op.f("ck_transfers_pending_status"),
        ),
        sa.CheckConstraint(
            "(kind IN ('post_pending', 'void_pending')) = (pending_id IS NOT NULL)",
            name=op.f("ck_transfers_pending_ref"),
        ),
        sa.CheckConstraint(
            "kind IN ('posting', 'pending', 'post_pending', 'void_pending')",
            name=op.f("ck_transfers_kind"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_transfers_amount_positive")),
        sa.CheckConstraint(
            "debit_account_id <> credit_account_id", name=op.f("ck_transfers_two_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["credit_account_id", "currency"],
            ["accounts.id", "accounts.currency"],
            name="fk_transfers_credit_account",
        ),
        sa.ForeignKeyConstraint(
            ["debit_account_id", "currency"],
            ["accounts.id", "accounts.currency"],
            name="fk_transfers_debit_account",
        ),
        sa.ForeignKeyConstraint(
            ["pending_id"], ["transfers.id"], name=op.f("fk_transfers_pending_id")
        ),
        sa.ForeignKeyConstraint(
            ["reversal_of"], ["transfers.id"], name=op.f("fk_transfers_reversal_of")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_transfers")),
        sa.UniqueConstraint("id", name=op.f("uq_transfers_id")),
    )
    op.create_index("ix_transfers_credit_account_id_seq", "transfers", ["credit_account_id", "seq"])
    op.create_index("ix_transfers_debit_account_id_seq", "transfers", ["debit_account_id", "seq"])
    open_pending = sa.text("pending_status = 'pending'")
    op.create_index(
        "ix_transfers_open_pending",
        "transfers",
        ["expires_at_us"],
        sqlite_where=open_pending,
        postgresql_where=open_pending,
    )
    has_pending_id = sa.text("pending_id IS NOT NULL")
    op.create_index(
        "uq_transfers_pending_id",
        "transfers",
        ["pending_id"],
        unique=True,
        sqlite_where=has_pending_id,
        postgresql_where=has_pending_id,
    )
    has_reversal_of = sa.text("reversal_of IS NOT NULL")
    op.create_index(
        "uq_transfers_reversal_of",
        "transfers",
        ["reversal_of"],
        unique=True,
        sqlite_where=has_reversal_of,
        postgresql_where=has_reversal_of,
    )
    _guard_journal()
    op.bulk_insert(
        sa.table("sequences", sa.column("name", sa.String), sa.column("value", sa.BigInteger)),
        [{"name": "account", "value": 0}, {"name": "customer", "value": 0}],
    )
    if op.get_bind().dialect.name == "postgresql":
        # Balance counters change in place; room on each page keeps those updates HOT.
        op.execute("ALTER TABLE accounts SET (fillfactor = 80)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS transfers_append_only ON transfers")
        op.execute("DROP FUNCTION IF EXISTS ebank_journal_guard()")
    op.drop_table("transfers")

    op.drop_table("accounts")
    op.drop_table("customers")
    op.drop_table("sequences")
    op.drop_table("branches")


# Columns of a journal entry that never change once written.
_FIXED = (
    "seq",
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
)


def _guard_journal() -> None:
    """Make the journal append-only in the database itself: no DELETE, no change to a
    written entry, and a pending transfer's status changes once, from 'pending'."""
    if op.get_bind().dialect.name == "postgresql":
        old = ", ".join(f"OLD.{c}" for c in _FIXED)
        new = ", ".join(f"NEW.{c}" for c in _FIXED)
        op.execute(f"""
            CREATE FUNCTION ebank_journal_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'the journal is append-only: DELETE refused';
              END IF;
              IF ROW({new}) IS DISTINCT FROM ROW({old}) THEN
                RAISE EXCEPTION 'the journal is append-only: entry % cannot change', OLD.id;
              END IF;
              IF NEW.pending_status IS DISTINCT FROM OLD.pending_status
                 AND OLD.pending_status IS DISTINCT FROM 'pending' THEN
                RAISE EXCEPTION 'pending transfer % is already resolved', OLD.id;
              END IF;
              RETURN NEW;
            END $$""")
        op.execute(
            "CREATE TRIGGER transfers_append_only BEFORE UPDATE OR DELETE ON transfers"
            " FOR EACH ROW EXECUTE FUNCTION ebank_journal_guard()"
        )
        return
    op.execute(
        "CREATE TRIGGER transfers_no_delete BEFORE DELETE ON transfers"
        " BEGIN SELECT RAISE(ABORT, 'the journal is append-only: DELETE refused'); END"
    )
    op.execute(
        f"CREATE TRIGGER transfers_no_edit BEFORE UPDATE OF {', '.join(_FIXED)}"
        " ON transfers BEGIN"
        " SELECT RAISE(ABORT, 'the journal is append-only: an entry cannot change');"
        " END"
    )
    op.execute(
        "CREATE TRIGGER transfers_resolve_once BEFORE UPDATE OF pending_status"
        " ON transfers WHEN OLD.pending_status IS NOT 'pending' BEGIN"
        " SELECT RAISE(ABORT, 'the pending transfer is already resolved'); END"
    )
