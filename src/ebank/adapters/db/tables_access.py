"""The schema of the channels' shared services (migration 0002): users and their
sessions, the hash-chained audit log, idempotency keys, transaction limits and their
daily usage, maker-checker approvals, beneficiaries and step-up challenges.

Same metadata as ``tables.py``: one schema for SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from ebank.adapters.db.tables import RowId, metadata

USER_KINDS = ("customer", "staff")
ROLES = (
    "customer",  # an individual customer
    "maker",  # corporate users
    "approver",
    "viewer",
    "teller",  # staff
    "supervisor",
    "operations",
    "auditor",
    "admin",
)

users = Table(
    "users",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("role", String(16), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=True),
    Column("branch_code", String(4), ForeignKey("branches.code"), nullable=True),
    Column("display_name", String(200), nullable=False),
    Column("language", String(8), nullable=False, server_default="zh-CN"),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("password_hash", String(256), nullable=False),
    Column("password_changed_at_us", BigInteger, nullable=False),
    # The TOTP secret, encrypted under the application's secret key; the pending one
    # while an enrolment waits for its first code.
    Column("totp_secret_enc", String(256), nullable=True),
    Column("totp_pending_enc", String(256), nullable=True),
    # The last time step whose code was accepted: a code is never accepted twice.
    Column("totp_last_step", BigInteger, nullable=False, server_default="0"),
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("lockouts", Integer, nullable=False, server_default="0"),
    Column("locked_until_us", BigInteger, nullable=False, server_default="0"),
    Column("created_at_us", BigInteger, nullable=False),
    CheckConstraint("kind IN ('customer', 'staff')", name="kind"),
    CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role"),
    CheckConstraint("status IN ('active', 'disabled')", name="status"),
    CheckConstraint("(kind = 'customer') = (customer_id IS NOT NULL)", name="customer"),
    CheckConstraint("(kind = 'staff') = (branch_code IS NOT NULL)", name="branch"),
)
Index("ix_users_customer_id", users.c.customer_id)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False),
    # 'full', or 'enrol' for a user who must first enrol a second factor.
    Column("scope", String(16), nullable=False),
    # SHA-256 of the tokens; the tokens themselves are never stored.
    Column("access_hash", String(64), nullable=False, unique=True),
    Column("refresh_hash", String(64), nullable=False, unique=True),
    Column("access_expires_at_us", BigInteger, nullable=False),
    Column("refresh_expires_at_us", BigInteger, nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("last_used_at_us", BigInteger, nullable=False),
    Column("revoked_at_us", BigInteger, nullable=True),
    Column("revoked_reason", String(32), nullable=True),
    Column("client_address", String(64), nullable=False, server_default=""),
    Column("user_agent", String(200), nullable=False, server_default=""),
    CheckConstraint("scope IN ('full', 'enrol')", name="scope"),
)
Index("ix_sessions_user_id", sessions.c.user_id)

# The audit trail: append-only (triggers), each entry chained to the one before by
# hash = SHA-256(previous hash, the entry's canonical form). ``audit_head`` holds the
# last sequence number and hash, so a deleted tail is detected too.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at_us", BigInteger, nullable=False),
    Column("actor_id", BigInteger, nullable=True),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(128), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("details", Text, nullable=False),
    Column("client_address", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("ix_audit_log_actor_id", audit_log.c.actor_id)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal", String(80), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", Text, nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
)

# Per channel, customer tier and currency: the most one transaction may move, the most
# a customer may move in a business day, and how many transactions a day.
transaction_limits = Table(
    "transaction_limits",
    metadata,
    Column("channel", String(16), primary_key=True),
    Column("tier", String(16), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("per_transaction_minor", BigInteger, nullable=False),
    Column("daily_amount_minor", BigInteger, nullable=False),
    Column("daily_count", Integer, nullable=False),
    Column("updated_at_us", BigInteger, nullable=False),
    Column("updated_by", String(64), nullable=False),
    CheckConstraint(
        "per_transaction_minor >= 0 AND daily_amount_minor >= 0 AND daily_count >= 0",
        name="non_negative",
    ),
)

limit_usage = Table(
    "limit_usage",
    metadata,
    Column("customer_id", BigInteger, ForeignKey("customers.id"), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("business_date", String(10), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
    CheckConstraint("amount_minor >= 0 AND count >= 0", name="non_negative"),
)

# Which staff actions need a second person, and above what amount (0: always).
dual_control_rules = Table(
    "dual_control_rules",
    metadata,
    Column("action", String(32), primary_key=True),
    Column("threshold_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("checker_roles", String(100), nullable=False),
    CheckConstraint("threshold_minor >= 0", name="non_negative"),
)

approvals = Table(
    "approvals",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("action", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("branch_code", String(4), ForeignKey("branches.code"), nullable=False),
    Column("maker_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("checker_id", BigInteger, ForeignKey("users.id"), nullable=True),
    Column("summary", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("amount_minor", BigInteger, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("reason", String(500), nullable=True),
    Column("result", Text, nullable=True),
    Column("created_at_us", BigInteger, nullable=False),
    Column("decided_at_us", BigInteger, nullable=True),
    CheckConstraint("status IN ('pending', 'approved', 'rejected', 'failed')", name="status"),
    # Four eyes, in the database too: the maker never checks their own request.
    CheckConstraint("checker_id IS NULL OR checker_id <> maker_id", name="four_eyes"),
    CheckConstraint("(status = 'pending') = (checker_id IS NULL)", name="decided"),
)
Index("ix_approvals_status_branch_code", approvals.c.status, approvals.c.branch_code)

beneficiaries = Table(
    "beneficiaries",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False),
    Column("alias", String(32), nullable=False),
    Column("account_number", String(19), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    UniqueConstraint("customer_id", "alias"),
    UniqueConstraint("customer_id", "account_number"),
)

# A step-up challenge binds a one-time code to one payment (dynamic linking): the
# digest covers the debit account, the payee and the amount; it is used once.
step_up_challenges = Table(
    "step_up_challenges",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("summary", String(200), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("expires_at_us", BigInteger, nullable=False),
    Column("used_at_us", BigInteger, nullable=True),
)
