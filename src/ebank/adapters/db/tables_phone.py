"""The schema of telephone and SMS banking and the call centre (migration 0006):
telephone-banking PINs, IVR call sessions, registered SMS numbers with their alert
thresholds, SMS messages and SMS transfers awaiting a code, the SMPP client's state,
queued statement documents, and the call centre's service levels on tickets.

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
    Uuid,
)

from ebank.adapters.db.tables import RowId, metadata

# The telephone-banking PIN (separate from any card PIN): only its verification value.
phone_pins = Table(
    "phone_pins",
    metadata,
    Column("customer_id", BigInteger, ForeignKey("customers.id"), primary_key=True),
    Column("verification", String(128), nullable=False),
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("lockouts", Integer, nullable=False, server_default="0"),
    Column("locked_until_us", BigInteger, nullable=False, server_default="0"),
    Column("updated_at_us", BigInteger, nullable=False),
)

# One IVR call, keyed by the call id the telephony platform gives; ``data`` is the
# state machine's memory (JSON) — never a key press of a PIN.
ivr_sessions = Table(
    "ivr_sessions",
    metadata,
    Column("call_id", String(64), primary_key=True),
    Column("language", String(8), nullable=False),
    Column("state", String(32), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=True),
    Column("data", Text, nullable=False),
    Column("caller", String(32), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("updated_at_us", BigInteger, nullable=False),
    Column("ended_at_us", BigInteger, nullable=True),
)

# A phone number registered for SMS banking, its language and alert threshold
# (动账通知: every posting at or above it sends an SMS; NULL: no alerts).
sms_subscriptions = Table(
    "sms_subscriptions",
    metadata,
    Column("phone", String(20), primary_key=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False),
    Column("language", String(8), nullable=False),
    Column("alert_threshold_minor", BigInteger, nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("updated_at_us", BigInteger, nullable=False),
    CheckConstraint("status IN ('active', 'suspended')", name="status"),
    CheckConstraint(
        "alert_threshold_minor IS NULL OR alert_threshold_minor >= 0", name="threshold"
    ),
)
Index("ix_sms_subscriptions_customer_id", sms_subscriptions.c.customer_id)

# Every SMS in and out; bodies are kept with one-time codes masked.
sms_messages = Table(
    "sms_messages",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("direction", String(3), nullable=False),
    Column("phone", String(20), nullable=False),
    Column("body", Text, nullable=False),
    Column("transport", String(16), nullable=False),
    Column("external_id", String(64), nullable=True),  # the SMS centre's message id
    Column("status", String(16), nullable=False),
    Column("outbox_id", BigInteger, nullable=True),
    Column("created_at_us", BigInteger, nullable=False),
    Column("updated_at_us", BigInteger, nullable=False),
    CheckConstraint("direction IN ('in', 'out')", name="direction"),
    CheckConstraint(
        "status IN ('received', 'queued', 'submitted', 'delivered', 'failed', 'expired')",
        name="status",
    ),
)
Index("ix_sms_messages_external_id", sms_messages.c.external_id)
Index("ix_sms_messages_phone", sms_messages.c.phone)

# An SMS transfer waits for the one-time code sent back to the phone.
sms_pending_transfers = Table(
    "sms_pending_transfers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("phone", String(20), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False),
    Column("debit_account_id", BigInteger, ForeignKey("accounts.id"), nullable=False),
    Column("credit_account_id", BigInteger, ForeignKey("accounts.id"), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("created_at_us", BigInteger, nullable=False),
    Column("expires_at_us", BigInteger, nullable=False),
    Column("used_at_us", BigInteger, nullable=True),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
)
Index("ix_sms_pending_transfers_phone", sms_pending_transfers.c.phone)

# Small persistent counters and markers of channel clients (the SMPP sequence number).
channel_state = Table(
    "channel_state",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# Documents a channel asked for and a worker builds and hands to a gateway (a statement
# by e-mail or fax from the telephone banking menu).
document_jobs = Table(
    "document_jobs",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False),
    Column("account_id", BigInteger, ForeignKey("accounts.id"), nullable=False),
    Column("period_from", String(10), nullable=False),
    Column("period_to", String(10), nullable=False),
    Column("delivery", String(8), nullable=False),
    Column("destination", String(254), nullable=False),  # an e-mail address fits
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("error", String(500), nullable=True),
    Column("created_at_us", BigInteger, nullable=False),
    Column("done_at_us", BigInteger, nullable=True),
    CheckConstraint("kind IN ('statement')", name="kind"),
    CheckConstraint("delivery IN ('email', 'fax')", name="delivery"),
    CheckConstraint("status IN ('queued', 'done', 'failed')", name="status"),
)

# Service levels of the call centre: per ticket kind and priority, how soon a ticket
# must be acknowledged and resolved (seconds).
ticket_slas = Table(
    "ticket_slas",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("priority", String(8), primary_key=True),
    Column("acknowledge_within_s", Integer, nullable=False),
    Column("resolve_within_s", Integer, nullable=False),
    CheckConstraint("acknowledge_within_s > 0 AND resolve_within_s > 0", name="positive"),
)
