"""The schema of cards at ATMs and POS (migration 0005): terminals and their cassettes,
merchants, the switch's message log (duplicates and reversals), terminal status events,
alarms, and the transactional outbox of notifications.

Same metadata as ``tables.py``: one schema for SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
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
    text,
)

from ebank.adapters.db.tables import RowId, metadata

# POS merchants: purchases are settled to ``settlement_account_id`` at end of day, less
# the fee (``fee_rate``: a decimal fraction kept as text, e.g. "0.0060").
merchants = Table(
    "merchants",
    metadata,
    Column("id", String(15), primary_key=True),  # ISO 8583 field 42
    Column("name", String(200), nullable=False),
    Column("mcc", String(4), nullable=False),  # merchant category code
    Column("branch_code", String(4), ForeignKey("branches.code"), nullable=False),
    Column("settlement_account_id", BigInteger, ForeignKey("accounts.id"), nullable=False),
    Column("fee_rate", String(12), nullable=False),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("created_at_us", BigInteger, nullable=False),
    CheckConstraint("status IN ('active', 'inactive')", name="status"),
)

# ATMs and POS terminals. An ATM holds its cash in a GL account of its own
# (gl_kind 'atm_cash'); every terminal belongs to a zone whose PIN key encrypts the PIN
# blocks it sends (the key itself lives in configuration or an HSM, never here).
terminals = Table(
    "terminals",
    metadata,
    Column("id", String(8), primary_key=True),  # ISO 8583 field 41
    Column("kind", String(8), nullable=False),
    Column("branch_code", String(4), ForeignKey("branches.code"), nullable=False),
    Column("merchant_id", String(15), ForeignKey("merchants.id"), nullable=True),
    Column("zone_key_ref", String(32), nullable=False),
    Column("location", String(200), nullable=False),
    Column("cash_account_id", BigInteger, ForeignKey("accounts.id"), nullable=True, unique=True),
    Column("status", String(16), nullable=False),  # active / inactive
    Column("signed_on", Boolean, nullable=False, server_default="0"),
    Column("state", String(16), nullable=False),  # what it last reported
    Column("last_seen_at_us", BigInteger, nullable=True),
    Column("created_at_us", BigInteger, nullable=False),
    CheckConstraint("kind IN ('atm', 'pos')", name="kind"),
    CheckConstraint("status IN ('active', 'inactive')", name="status"),
    CheckConstraint(
        "state IN ('ok', 'cash_low', 'fault', 'door_open', 'out_of_service')", name="state"
    ),
    CheckConstraint("(kind = 'atm') = (cash_account_id IS NOT NULL)", name="atm_cash"),
    CheckConstraint("(kind = 'pos') = (merchant_id IS NOT NULL)", name="pos_merchant"),
)

atm_cassettes = Table(
    "atm_cassettes",
    metadata,
    Column("terminal_id", String(8), ForeignKey("terminals.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("denomination_minor", BigInteger, nullable=False),
    Column("notes", Integer, nullable=False),
    Column("low_notes", Integer, nullable=False),
    CheckConstraint("denomination_minor > 0 AND notes >= 0 AND low_notes >= 0", name="counts"),
)

# Every financial message the switch answered, by its key (terminal, STAN, local
# transmission date, message class): a retransmission finds its first answer here and
# never posts twice; a reversal finds the transfer it undoes.
switch_messages = Table(
    "switch_messages",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("terminal_id", String(8), ForeignKey("terminals.id"), nullable=False),
    Column("stan", String(6), nullable=False),  # field 11
    Column("local_date", String(4), nullable=False),  # field 13, MMDD
    Column("message_class", String(16), nullable=False),  # authorisation, financial, ...
    Column("mti", String(4), nullable=False),
    Column("processing_code", String(6), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("card_id", BigInteger, ForeignKey("cards.id"), nullable=True),
    Column("pan_last4", String(4), nullable=False),
    Column("rrn", String(12), nullable=False),  # field 37
    Column("response_code", String(2), nullable=False),  # field 39
    Column("transfer_id", Uuid, nullable=True),
    Column("response", Text, nullable=False),  # the answer's fields, to send again
    Column("created_at_us", BigInteger, nullable=False),
    UniqueConstraint("terminal_id", "stan", "local_date", "message_class"),
)
Index("ix_switch_messages_card_id", switch_messages.c.card_id)

# What terminals reported (heartbeats are not kept: they only move last_seen_at_us).
terminal_events = Table(
    "terminal_events",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("terminal_id", String(8), ForeignKey("terminals.id"), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("detail", String(500), nullable=False),
    Column("at_us", BigInteger, nullable=False),
)
Index("ix_terminal_events_terminal_id", terminal_events.c.terminal_id)

alarms = Table(
    "alarms",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("terminal_id", String(8), ForeignKey("terminals.id"), nullable=False),
    Column("kind", String(24), nullable=False),  # silent, fault, cash_low, door_open
    Column("severity", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("detail", String(500), nullable=False),
    Column("raised_at_us", BigInteger, nullable=False),
    Column("acknowledged_by", BigInteger, ForeignKey("users.id"), nullable=True),
    Column("acknowledged_at_us", BigInteger, nullable=True),
    Column("cleared_at_us", BigInteger, nullable=True),
    CheckConstraint("severity IN ('info', 'warning', 'critical')", name="severity"),
    CheckConstraint("status IN ('open', 'acknowledged', 'cleared')", name="status"),
)
# At most one alarm of a kind is open per terminal.
Index(
    "uq_alarms_open",
    alarms.c.terminal_id,
    alarms.c.kind,
    unique=True,
    sqlite_where=text("status <> 'cleared'"),
    postgresql_where=text("status <> 'cleared'"),
)

# The transactional outbox: a notification is written in the same transaction as what
# it tells of, and sent afterwards by a relay that marks it sent (exactly once from the
# reader's point of view: a message id the gateway can deduplicate on).
outbox = Table(
    "outbox",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("topic", String(32), nullable=False),  # e.g. alarm, sms_alert, email
    Column("recipient", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("sent_at_us", BigInteger, nullable=True),
    Column("last_error", String(500), nullable=True),
    # What makes a notification unique (e.g. "alert:<transfer id>:<phone>", 0006): the
    # same event never queues two messages.
    Column("dedupe_key", String(120), nullable=True),
)
Index(
    "uq_outbox_dedupe_key",
    outbox.c.dedupe_key,
    unique=True,
    sqlite_where=text("dedupe_key IS NOT NULL"),
    postgresql_where=text("dedupe_key IS NOT NULL"),
)
Index(
    "ix_outbox_unsent",
    outbox.c.id,
    sqlite_where=text("sent_at_us IS NULL"),
    postgresql_where=text("sent_at_us IS NULL"),
)
