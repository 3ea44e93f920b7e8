"""the channels' shared services: users and sessions, the hash-chained audit log,
idempotency keys, transaction limits and their usage, maker-checker approvals,
beneficiaries, step-up challenges

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=128), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_actor_id", ["actor_id"], unique=False)

    op.create_table(
        "dual_control_rules",
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("threshold_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("checker_roles", sa.String(length=100), nullable=False),
        sa.CheckConstraint("threshold_minor >= 0", name=op.f("ck_dual_control_rules_non_negative")),
        sa.PrimaryKeyConstraint("action", name=op.f("pk_dual_control_rules")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("principal", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "transaction_limits",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("per_transaction_minor", sa.BigInteger(), nullable=False),
        sa.Column("daily_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("daily_count", sa.Integer(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "per_transaction_minor >= 0 AND daily_amount_minor >= 0 AND daily_count >= 0",
            name=op.f("ck_transaction_limits_non_negative"),
        ),
        sa.PrimaryKeyConstraint("channel", "tier", "currency", name=op.f("pk_transaction_limits")),
    )
    op.create_table(
        "beneficiaries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("alias", sa.String(length=32), nullable=False),
        sa.Column("account_number", sa.String(length=19), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_beneficiaries_customer_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_beneficiaries")),
        sa.UniqueConstraint(
            "customer_id",
            "account_number",
            name=op.f("uq_beneficiaries_customer_id_account_number"),
        ),
        sa.UniqueConstraint(
            "customer_id", "alias", name=op.f("uq_beneficiaries_customer_id_alias")
        ),
    )
    op.create_table(
        "limit_usage",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("business_date", sa.String(length=10), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "amount_minor >= 0 AND count >= 0", name=op.f("ck_limit_usage_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_limit_usage_customer_id")
        ),
        sa.PrimaryKeyConstraint(
            "customer_id", "channel", "business_date", "currency", name=op.f("pk_limit_usage")
        ),
    )
    op.create_table(
        "users",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("branch_code", sa.String(length=4), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), server_default="zh-CN", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("password_changed_at_us", sa.BigInteger(), nullable=False),
        sa.Column("totp_secret_enc", sa.String(length=256), nullable=True),
        sa.Column("totp_pending_enc", sa.String(length=256), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("failed_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lockouts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until_us", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'customer') = (customer_id IS NOT NULL)", name=op.f("ck_users_customer")
        ),
        sa.CheckConstraint(
            "(kind = 'staff') = (branch_code IS NOT NULL)", name=op.f("ck_users_branch")
        ),
        sa.CheckConstraint("kind IN ('customer', 'staff')", name=op.f("ck_users_kind")),
        sa.CheckConstraint(
            "role IN ('customer', 'maker', 'approver', 'viewer', 'teller', 'supervisor', 'operations', 'auditor', 'admin')",
            name=op.f("ck_users_role"),
        ),
        sa.CheckConstraint("status IN ('active', 'disabled')", name=op.f("ck_users_status")),
        sa.ForeignKeyConstraint(
            ["branch_code"], ["branches.code"], name=op.f("fk_users_branch_code")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_users_customer_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_customer_id", ["customer_id"], unique=False)

    op.create_table(
        "approvals",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("branch_code", sa.String(length=4), nullable=False),
        sa.Column("maker_id", sa.BigInteger(), nullable=False),
        sa.Column("checker_id", sa.BigInteger(), nullable=True),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("decided_at_us", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "(status = 'pending') = (checker_id IS NULL)", name=op.f("ck_approvals_decided")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'failed')",
            name=op.f("ck_approvals_status"),
        ),
        sa.CheckConstraint(
            "checker_id IS NULL OR checker_id <> maker_id", name=op.f("ck_approvals_four_eyes")
        ),
        sa.ForeignKeyConstraint(
            ["branch_code"], ["branches.code"], name=op.f("fk_approvals_branch_code")
        ),
        sa.ForeignKeyConstraint(["checker_id"], ["users.id"], name=op.f("fk_approvals_checker_id")),
        sa.ForeignKeyConstraint(["maker_id"], ["users.id"], name=op.f("fk_approvals_maker_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
    )
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_approvals_status_branch_code", ["status", "branch_code"], unique=False
        )

    op.create_table(
        "sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("access_hash", sa.String(length=64), nullable=False),
        sa.Column("refresh_hash", sa.String(length=64), nullable=False),
        sa.Column("access_expires_at_us", sa.BigInteger(), nullable=False),
        sa.Column("refresh_expires_at_us", sa.BigInteger(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("last_used_at_us", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at_us", sa.BigInteger(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.Column("client_address", sa.String(length=64), server_default="", nullable=False),
        sa.Column("user_agent", sa.String(length=200), server_default="", nullable=False),
        sa.CheckConstraint("scope IN ('full', 'enrol')", name=op.f("ck_sessions_scope")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("access_hash", name=op.f("uq_sessions_access_hash")),
        sa.UniqueConstraint("refresh_hash", name=op.f("uq_sessions_refresh_hash")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index("ix_sessions_user_id", ["user_id"], unique=False)

    op.create_table(
        "step_up_challenges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_us", sa.BigInteger(), nullable=False),
        sa.Column("used_at_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_step_up_challenges_user_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_step_up_challenges")),
    )

    _guard_audit_log()
    _seed()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS ebank_audit_guard()")
    op.drop_table("step_up_challenges")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_user_id")

    op.drop_table("sessions")
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_index("ix_approvals_status_branch_code")

    op.drop_table("approvals")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_customer_id")

    op.drop_table("users")
    op.drop_table("limit_usage")
    op.drop_table("beneficiaries")
    op.drop_table("transaction_limits")
    op.drop_table("idempotency_keys")
    op.drop_table("dual_control_rules")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_actor_id")

    op.drop_table("audit_log")
    op.drop_table("audit_head")


GENESIS_HASH = "0" * 64


def _guard_audit_log() -> None:
    """The audit log is append-only in the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION ebank_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
            END $$""")
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
            " FOR EACH ROW EXECUTE FUNCTION ebank_audit_guard()"
        )
        return
    op.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
        " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_edit BEFORE UPDATE ON audit_log"
        " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END"
    )


# Starting values, in CNY fen; the bank changes them through the API (dual control).
_TIER_FACTOR = {"standard": 1, "silver": 2, "gold": 5, "platinum": 10}
_CHANNEL_LIMITS = {  # per transaction, per day, transactions per day (standard tier)
    "web": (5_000_000, 20_000_000, 50),
    "mobile": (5_000_000, 20_000_000, 50),
    "api": (5_000_000, 20_000_000, 200),
    "ivr": (500_000, 2_000_000, 10),
    "sms": (200_000, 500_000, 10),
    "atm": (500_000, 2_000_000, 10),
    "pos": (5_000_000, 10_000_000, 50),
}
_DUAL_CONTROL = [  # action, threshold (0: always), roles that may check
    ("staff_transfer", 5_000_000, "supervisor,admin"),
    ("cash_withdrawal", 5_000_000, "supervisor,admin"),
    ("limit_change", 0, "supervisor,admin"),
    ("account_freeze", 0, "supervisor,admin"),
    ("account_unfreeze", 0, "supervisor,admin"),
    ("fee_waiver", 0, "supervisor,admin"),
    ("manual_adjustment", 0, "supervisor,admin"),
]


def _seed() -> None:
    op.bulk_insert(
        sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("hash")),
        [{"id": 1, "seq": 0, "hash": GENESIS_HASH}],
    )
    limits = sa.table(
        "transaction_limits",
        *(
            sa.column(c)
            for c in (
                "channel",
                "tier",
                "currency",
                "per_transaction_minor",
                "daily_amount_minor",
                "daily_count",
                "updated_at_us",
                "updated_by",
            )
        ),
    )
    op.bulk_insert(
        limits,
        [
            {
                "channel": channel,
                "tier": tier,
                "currency": "CNY",
                "per_transaction_minor": per_tx * factor,
                "daily_amount_minor": daily * factor,
                "daily_count": count,
                "updated_at_us": 0,
                "updated_by": "migration",
            }
            for channel, (per_tx, daily, count) in _CHANNEL_LIMITS.items()
            for tier, factor in _TIER_FACTOR.items()
        ],
    )
    rules = sa.table(
        "dual_control_rules",
        sa.column("action"),
        sa.column("threshold_minor"),
        sa.column("currency"),
        sa.column("checker_roles"),
    )
    op.bulk_insert(
        rules,
        [
            {"action": a, "threshold_minor": t, "currency": "CNY", "checker_roles": r}
            for a, t, r in _DUAL_CONTROL
        ],
    )
