"""each account's history as a chain through the journal (no index by account and seq);
on PostgreSQL, the journal's account references checked once per statement

Every entry records the previous entry of its debit account and of its credit account,
and every account its newest entry, so reading an account's history walks back along
its chain and the journal only ever grows at its end. The two ``(account, seq)`` indexes,
which took a random insert per entry and side, are dropped. On PostgreSQL the journal's
four foreign keys (to its two accounts, checked row by row, and to the pending transfer
or the original it resolves or reverses, queued per row even when empty) become one
statement-level trigger over the inserted rows; accounts can then no longer be deleted
(they are closed) nor change their id or currency, and the journal already refuses
both to its entries.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Columns of a journal entry that never change once written (0001's list, and the chain).
_FIXED_0001 = (
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
_FIXED = (*_FIXED_0001, "prev_debit_seq", "prev_credit_seq")
# The journal's foreign keys that PostgreSQL checks with one statement-level trigger.
_PG_STATEMENT_CHECKED = (
    "fk_transfers_debit_account",
    "fk_transfers_credit_account",
    "fk_transfers_pending_id",
    "fk_transfers_reversal_of",
)


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.add_column("accounts", sa.Column("last_seq", sa.BigInteger(), nullable=True))
    op.add_column("transfers", sa.Column("prev_debit_seq", sa.BigInteger(), nullable=True))
    op.add_column("transfers", sa.Column("prev_credit_seq", sa.BigInteger(), nullable=True))
    _link_existing_entries()
    op.drop_index("ix_transfers_debit_account_id_seq", table_name="transfers")
    op.drop_index("ix_transfers_credit_account_id_seq", table_name="transfers")
    _guard_journal(_FIXED)
    if _pg():
        for name in _PG_STATEMENT_CHECKED:
            op.drop_constraint(name, "transfers", type_="foreignkey")
        _pg_statement_reference_check()


def downgrade() -> None:
    if _pg():
        op.execute("DROP TRIGGER transfers_references_exist ON transfers")
        op.execute("DROP FUNCTION ebank_journal_references_exist()")
        op.execute("DROP TRIGGER accounts_keep ON accounts")
        op.execute("DROP FUNCTION ebank_accounts_keep()")
        for side in ("debit", "credit"):
            op.create_foreign_key(
                f"fk_transfers_{side}_account",
                "transfers",
                "accounts",
                [f"{side}_account_id", "currency"],
                ["id", "currency"],
            )
        for column in ("pending_id", "reversal_of"):
            op.create_foreign_key(
                f"fk_transfers_{column}", "transfers", "transfers", [column], ["id"]
            )
    _guard_journal(_FIXED_0001)
    op.create_index("ix_transfers_credit_account_id_seq", "transfers", ["credit_account_id", "seq"])
    op.create_index("ix_transfers_debit_account_id_seq", "transfers", ["debit_account_id", "seq"])
    for table, column in (
        ("transfers", "prev_credit_seq"),
        ("transfers", "prev_debit_seq"),
        ("accounts", "last_seq"),
    ):
        # A plain DROP COLUMN on both databases (SQLite 3.35+): a batch rebuild of the
        # table would lose the journal's triggers.
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def _link_existing_entries() -> None:
    """Chain the entries already written, while the ``(account, seq)`` indexes still
    make "the previous entry on this account" a lookup."""
    # SQL from this module's own words only: the function name and the two sides.
    greatest = "GREATEST" if _pg() else "MAX"
    for side in ("debit", "credit"):
        op.execute(f"""
            UPDATE transfers SET prev_{side}_seq = NULLIF({greatest}(
              COALESCE((SELECT MAX(o.seq) FROM transfers o
                        WHERE o.debit_account_id = transfers.{side}_account_id
                          AND o.seq < transfers.seq), 0),
              COALESCE((SELECT MAX(o.seq) FROM transfers o
                        WHERE o.credit_account_id = transfers.{side}_account_id
                          AND o.seq < transfers.seq), 0)), 0)
        """)  # noqa: S608
    op.execute(f"""
        UPDATE accounts SET last_seq = NULLIF({greatest}(
          COALESCE((SELECT MAX(seq) FROM transfers WHERE debit_account_id = accounts.id), 0),
          COALESCE((SELECT MAX(seq) FROM transfers WHERE credit_account_id = accounts.id), 0)
        ), 0)
    """)  # noqa: S608


def _guard_journal(fixed: tuple[str, ...]) -> None:
    """The append-only guards of 0001, over ``fixed`` columns."""
    if _pg():
        old = ", ".join(f"OLD.{c}" for c in fixed)
        new = ", ".join(f"NEW.{c}" for c in fixed)
        op.execute(f"""
            CREATE OR REPLACE FUNCTION ebank_journal_guard() RETURNS trigger
            LANGUAGE plpgsql AS $$
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
        return
    op.execute("DROP TRIGGER transfers_no_edit")
    op.execute(
        f"CREATE TRIGGER transfers_no_edit BEFORE UPDATE OF {', '.join(fixed)}"
        " ON transfers BEGIN"
        " SELECT RAISE(ABORT, 'the journal is append-only: an entry cannot change');"
        " END"
    )


def _pg_statement_reference_check() -> None:
    """One check per INSERT statement, over all its rows: every entry's debit and credit
    account exists and holds the entry's currency, and the pending transfer or original
    it names exists (what the four foreign keys checked row by row), raised with the
    foreign-key SQLSTATE. What the foreign keys also prevented, an account deleted or
    changing its id or currency under its entries, is refused."""
    # The inserted rows drive the check, one index probe per reference: the planner is
    # kept from hashing the whole accounts table instead (which it prefers for a small
    # bank, and which grows with the number of accounts rather than of entries).
    op.execute("""
        CREATE FUNCTION ebank_journal_references_exist() RETURNS trigger
        LANGUAGE plpgsql
        SET enable_hashjoin = off SET enable_mergejoin = off
        AS $$
        DECLARE
          bad record;
        BEGIN
          SELECT n.id INTO bad
            FROM new_entries n
            LEFT JOIN accounts d
              ON d.id = n.debit_account_id AND d.currency = n.currency
            LEFT JOIN accounts c
              ON c.id = n.credit_account_id AND c.currency = n.currency
            LEFT JOIN transfers p ON p.id = n.pending_id
            LEFT JOIN transfers r ON r.id = n.reversal_of
           WHERE d.id IS NULL OR c.id IS NULL
              OR (n.pending_id IS NOT NULL AND p.id IS NULL)
              OR (n.reversal_of IS NOT NULL AND r.id IS NULL)
           LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION USING
              ERRCODE = 'foreign_key_violation',
              CONSTRAINT = 'transfers_references_exist',
              MESSAGE = format('journal entry %s names an account (of its currency) or'
                               ' a transfer that does not exist', bad.id);
          END IF;
          RETURN NULL;
        END $$""")
    op.execute(
        "CREATE TRIGGER transfers_references_exist AFTER INSERT ON transfers"
        " REFERENCING NEW TABLE AS new_entries"
        " FOR EACH STATEMENT EXECUTE FUNCTION ebank_journal_references_exist()"
    )
    op.execute("""
        CREATE FUNCTION ebank_accounts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
              MESSAGE = format('account %s cannot be deleted: close it', OLD.id);
          END IF;
          IF NEW.id <> OLD.id OR NEW.currency <> OLD.currency THEN
            RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
              MESSAGE = format('account %s cannot change its id or currency', OLD.id);
          END IF;
          RETURN NEW;
        END $$""")
    op.execute(
        "CREATE TRIGGER accounts_keep BEFORE UPDATE OF id, currency OR DELETE ON accounts"
        " FOR EACH ROW EXECUTE FUNCTION ebank_accounts_keep()"
    )
