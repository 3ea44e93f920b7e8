"""online banking and the back office: cards and their accounts, customer tickets and
their notes, corporate users' limits and payments awaiting approval, monthly balance
confirmations, tellers' shifts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cards",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("pan_hash", sa.String(length=64), nullable=False),
        sa.Column("pan_enc", sa.String(length=256), nullable=False),
        sa.Column("pan_last4", sa.String(length=4), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("expiry", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("atm_daily_limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("atm_daily_count", sa.Integer(), nullable=False),
        sa.Column("pos_limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("pin_verification", sa.String(length=128), nullable=True),
        sa.Column("pin_tries", sa.Integer(), server_default="0", nullable=False),
        sa.Column("blocked_reason", sa.String(length=32), nullable=True),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "status IN ('inactive', 'active', 'temporarily_blocked', 'blocked', 'expired')",
            name=op.f("ck_cards_status"),
        ),
        sa.CheckConstraint(
            "atm_daily_limit_minor >= 0 AND atm_daily_count >= 0 AND pos_limit_minor >= 0 AND pin_tries >= 0",
            name=op.f("ck_cards_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_cards_customer_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cards")),
        sa.UniqueConstraint("pan_hash", name=op.f("uq_cards_pan_hash")),
    )
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.create_index("ix_cards_customer_id", ["customer_id"], unique=False)

    op.create_table(
        "balance_confirmations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("responded_by", sa.BigInteger(), nullable=True),
        sa.Column("responded_at_us", sa.BigInteger(), nullable=True),
        sa.Column("dispute", sa.Text(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at_us", sa.BigInteger(), nullable=True),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'disputed', 'resolved')",
            name=op.f("ck_balance_confirmations_status"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_balance_confirmations_account_id")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_balance_confirmations_customer_id")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["users.id"], name=op.f("fk_balance_confirmations_resolved_by")
        ),
        sa.ForeignKeyConstraint(
            ["responded_by"], ["users.id"], name=op.f("fk_balance_confirmations_responded_by")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_balance_confirmations")),
        sa.UniqueConstraint(
            "account_id", "period", name=op.f("uq_balance_confirmations_account_id_period")
        ),
    )
    with op.batch_alter_table("balance_confirmations", schema=None) as batch_op:
        batch_op.create_index("ix_balance_confirmations_customer_id", ["customer_id"], unique=False)

    op.create_table(
        "card_accounts",
        sa.Column("card_id", sa.BigInteger(), nullable=False),
        sa.Column("account_type", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "account_type IN ('savings', 'checking')", name=op.f("ck_card_accounts_account_type")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_card_accounts_account_id")
        ),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name=op.f("fk_card_accounts_card_id")),
        sa.PrimaryKeyConstraint("card_id", "account_type", name=op.f("pk_card_accounts")),
    )
    op.create_table(
        "corporate_payments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("maker_id", sa.BigInteger(), nullable=False),
        sa.Column("checker_id", sa.BigInteger(), nullable=True),
        sa.Column("debit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("legs", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("decided_at_us", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("kind IN ('single', 'batch')", name=op.f("ck_corporate_payments_kind")),
        sa.CheckConstraint(
            "status IN ('pending', 'posted', 'rejected', 'failed', 'cancelled')",
            name=op.f("ck_corporate_payments_status"),
        ),
        sa.CheckConstraint(
            "checker_id IS NULL OR checker_id <> maker_id",
            name=op.f("ck_corporate_payments_four_eyes"),
        ),
        sa.CheckConstraint(
            "total_minor > 0 AND count > 0", name=op.f("ck_corporate_payments_positive")
        ),
        sa.ForeignKeyConstraint(
            ["checker_id"], ["users.id"], name=op.f("fk_corporate_payments_checker_id")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_corporate_payments_customer_id")
        ),
        sa.ForeignKeyConstraint(
            ["debit_account_id"],
            ["accounts.id"],
            name=op.f("fk_corporate_payments_debit_account_id"),
        ),
        sa.ForeignKeyConstraint(
            ["maker_id"], ["users.id"], name=op.f("fk_corporate_payments_maker_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corporate_payments")),
    )
    with op.batch_alter_table("corporate_payments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_corporate_payments_customer_id_status", ["customer_id", "status"], unique=False
        )

    op.create_table(
        "corporate_user_limits",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("per_payment_minor", sa.BigInteger(), nullable=False),
        sa.Column("daily_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "per_payment_minor >= 0 AND daily_minor >= 0",
            name=op.f("ck_corporate_user_limits_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_corporate_user_limits_user_id")
        ),
        sa.PrimaryKeyConstraint("user_id", "currency", name=op.f("pk_corporate_user_limits")),
    )
    op.create_table(
        "teller_shifts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("branch_code", sa.String(length=4), nullable=False),
        sa.Column("box_account_id", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at_us", sa.BigInteger(), nullable=False),
        sa.Column("closed_at_us", sa.BigInteger(), nullable=True),
        sa.Column("expected_minor", sa.BigInteger(), nullable=True),
        sa.Column("counted_minor", sa.BigInteger(), nullable=True),
        sa.Column("difference_minor", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'balanced', 'difference')", name=op.f("ck_teller_shifts_status")
        ),
        sa.ForeignKeyConstraint(
            ["box_account_id"], ["accounts.id"], name=op.f("fk_teller_shifts_box_account_id")
        ),
        sa.ForeignKeyConstraint(
            ["branch_code"], ["branches.code"], name=op.f("fk_teller_shifts_branch_code")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_teller_shifts_user_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teller_shifts")),
    )
    with op.batch_alter_table("teller_shifts", schema=None) as batch_op:
        batch_op.create_index("ix_teller_shifts_user_id", ["user_id"], unique=False)

    op.create_table(
        "tickets",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("branch_code", sa.String(length=4), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assigned_to", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("acknowledged_at_us", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at_us", sa.BigInteger(), nullable=True),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('inquiry', 'complaint', 'suggestion')", name=op.f("ck_tickets_kind")
        ),
        sa.CheckConstraint(
            "priority IN ('low', 'normal', 'high', 'urgent')", name=op.f("ck_tickets_priority")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'in_progress', 'answered', 'closed')",
            name=op.f("ck_tickets_status"),
        ),
        sa.ForeignKeyConstraint(["assigned_to"], ["users.id"], name=op.f("fk_tickets_assigned_to")),
        sa.ForeignKeyConstraint(
            ["branch_code"], ["branches.code"], name=op.f("fk_tickets_branch_code")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_tickets_created_by")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_tickets_customer_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_customer_id", ["customer_id"], unique=False)
        batch_op.create_index("ix_tickets_status", ["status"], unique=False)

    op.create_table(
        "ticket_notes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('note', 'answer', 'status', 'customer')", name=op.f("ck_ticket_notes_kind")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_ticket_notes_author_id")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_notes_ticket_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_notes")),
    )
    with op.batch_alter_table("ticket_notes", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_notes_ticket_id", ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_notes_ticket_id")

    op.drop_table("ticket_notes")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_status")
        batch_op.drop_index("ix_tickets_customer_id")

    op.drop_table("tickets")
    with op.batch_alter_table("teller_shifts", schema=None) as batch_op:
        batch_op.drop_index("ix_teller_shifts_user_id")

    op.drop_table("teller_shifts")
    op.drop_table("corporate_user_limits")
    with op.batch_alter_table("corporate_payments", schema=None) as batch_op:
        batch_op.drop_index("ix_corporate_payments_customer_id_status")

    op.drop_table("corporate_payments")
    op.drop_table("card_accounts")
    with op.batch_alter_table("balance_confirmations", schema=None) as batch_op:
        batch_op.drop_index("ix_balance_confirmations_customer_id")

    op.drop_table("balance_confirmations")
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_index("ix_cards_customer_id")

    op.drop_table("cards")
