"""cards at ATMs and POS: merchants, terminals and cassettes, the switch's message log,
terminal events and alarms, the notification outbox; each ATM's cash in a GL account of
its own (gl_kind 'atm_cash'); the issuer prefix of card numbers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sent_at_us", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_unsent",
            ["id"],
            unique=False,
            sqlite_where=sa.text("sent_at_us IS NULL"),
            postgresql_where=sa.text("sent_at_us IS NULL"),
        )

    op.create_table(
        "merchants",
        sa.Column("id", sa.String(length=15), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mcc", sa.String(length=4), nullable=False),
        sa.Column("branch_code", sa.String(length=4), nullable=False),
        sa.Column("settlement_account_id", sa.BigInteger(), nullable=False),
        sa.Column("fee_rate", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'inactive')", name=op.f("ck_merchants_status")),
        sa.ForeignKeyConstraint(
            ["branch_code"], ["branches.code"], name=op.f("fk_merchants_branch_code")
        ),
        sa.ForeignKeyConstraint(
            ["settlement_account_id"],
            ["accounts.id"],
            name=op.f("fk_merchants_settlement_account_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchants")),
    )
    op.create_table(
        "terminals",
        sa.Column("id", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("branch_code", sa.String(length=4), nullable=False),
        sa.Column("merchant_id", sa.String(length=15), nullable=True),
        sa.Column("zone_key_ref", sa.String(length=32), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("cash_account_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("signed_on", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("last_seen_at_us", sa.BigInteger(), nullable=True),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'atm') = (cash_account_id IS NOT NULL)", name=op.f("ck_terminals_atm_cash")
        ),
        sa.CheckConstraint(
            "(kind = 'pos') = (merchant_id IS NOT NULL)", name=op.f("ck_terminals_pos_merchant")
        ),
        sa.CheckConstraint("kind IN ('atm', 'pos')", name=op.f("ck_terminals_kind")),
        sa.CheckConstraint(
            "state IN ('ok', 'cash_low', 'fault', 'door_open', 'out_of_service')",
            name=op.f("ck_terminals_state"),
        ),
        sa.CheckConstraint("status IN ('active', 'inactive')", name=op.f("ck_terminals_status")),
        sa.ForeignKeyConstraint(
            ["branch_code"], ["branches.code"], name=op.f("fk_terminals_branch_code")
        ),
        sa.ForeignKeyConstraint(
            ["cash_account_id"], ["accounts.id"], name=op.f("fk_terminals_cash_account_id")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_terminals_merchant_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminals")),
        sa.UniqueConstraint("cash_account_id", name=op.f("uq_terminals_cash_account_id")),
    )
    op.create_table(
        "alarms",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("terminal_id", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("raised_at_us", sa.BigInteger(), nullable=False),
        sa.Column("acknowledged_by", sa.BigInteger(), nullable=True),
        sa.Column("acknowledged_at_us", sa.BigInteger(), nullable=True),
        sa.Column("cleared_at_us", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "severity IN ('info', 'warning', 'critical')", name=op.f("ck_alarms_severity")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'cleared')", name=op.f("ck_alarms_status")
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"], ["users.id"], name=op.f("fk_alarms_acknowledged_by")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminals.id"], name=op.f("fk_alarms_terminal_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarms")),
    )
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.create_index(
            "uq_alarms_open",
            ["terminal_id", "kind"],
            unique=True,
            sqlite_where=sa.text("status <> 'cleared'"),
            postgresql_where=sa.text("status <> 'cleared'"),
        )

    op.create_table(
        "atm_cassettes",
        sa.Column("terminal_id", sa.String(length=8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("denomination_minor", sa.BigInteger(), nullable=False),
        sa.Column("notes", sa.Integer(), nullable=False),
        sa.Column("low_notes", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "denomination_minor > 0 AND notes >= 0 AND low_notes >= 0",
            name=op.f("ck_atm_cassettes_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminals.id"], name=op.f("fk_atm_cassettes_terminal_id")
        ),
        sa.PrimaryKeyConstraint("terminal_id", "position", name=op.f("pk_atm_cassettes")),
    )
    op.create_table(
        "switch_messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("terminal_id", sa.String(length=8), nullable=False),
        sa.Column("stan", sa.String(length=6), nullable=False),
        sa.Column("local_date", sa.String(length=4), nullable=False),
        sa.Column("message_class", sa.String(length=16), nullable=False),
        sa.Column("mti", sa.String(length=4), nullable=False),
        sa.Column("processing_code", sa.String(length=6), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("card_id", sa.BigInteger(), nullable=True),
        sa.Column("pan_last4", sa.String(length=4), nullable=False),
        sa.Column("rrn", sa.String(length=12), nullable=False),
        sa.Column("response_code", sa.String(length=2), nullable=False),
        sa.Column("transfer_id", sa.Uuid(), nullable=True),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name=op.f("fk_switch_messages_card_id")),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminals.id"], name=op.f("fk_switch_messages_terminal_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_switch_messages")),
        sa.UniqueConstraint(
            "terminal_id",
            "stan",
            "local_date",
            "message_class",
            name=op.f("uq_switch_messages_terminal_id_stan_local_date_message_class"),
        ),
    )
    with op.batch_alter_table("switch_messages", schema=None) as batch_op:
        batch_op.create_index("ix_switch_messages_card_id", ["card_id"], unique=False)

    op.create_table(
        "terminal_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("terminal_id", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminals.id"], name=op.f("fk_terminal_events_terminal_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal_events")),
    )
    with op.batch_alter_table("terminal_events", schema=None) as batch_op:
        batch_op.create_index("ix_terminal_events_terminal_id", ["terminal_id"], unique=False)

    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pan_prefix", sa.String(length=8), nullable=True))

    _branch_uniqueness("gl_kind NOT IN ('teller_cash', 'atm_cash')")


def downgrade() -> None:
    _branch_uniqueness("gl_kind <> 'teller_cash'")
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_column("pan_prefix")

    with op.batch_alter_table("terminal_events", schema=None) as batch_op:
        batch_op.drop_index("ix_terminal_events_terminal_id")

    op.drop_table("terminal_events")
    with op.batch_alter_table("switch_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_switch_messages_card_id")

    op.drop_table("switch_messages")
    op.drop_table("atm_cassettes")
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_alarms_open",
            sqlite_where=sa.text("status <> 'cleared'"),
            postgresql_where=sa.text("status <> 'cleared'"),
        )

    op.drop_table("alarms")
    op.drop_table("terminals")
    op.drop_table("merchants")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_unsent",
            sqlite_where=sa.text("sent_at_us IS NULL"),
            postgresql_where=sa.text("sent_at_us IS NULL"),
        )

    op.drop_table("outbox")


def _branch_uniqueness(where: str) -> None:
    """One GL account per branch, kind and currency, but for the kinds kept per teller
    or per ATM."""
    name = "uq_accounts_branch_code_gl_kind_currency"
    op.drop_index(name, table_name="accounts")
    op.create_index(
        name,
        "accounts",
        ["branch_code", "gl_kind", "currency"],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )
