"""The schema of online banking and the back office (migration 0003): cards, customer
tickets (inquiries, complaints, suggestions), corporate users' limits and payments
waiting for an approver, monthly balance confirmations (电子对账), and tellers' shifts.

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
    text,
)

from ebank.adapters.db.tables import RowId, metadata

# Cards. The full card number is never stored in clear: ``pan_hash`` (a keyed hash, to
# find a card by its number) and ``pan_enc`` (the number sealed under the secret key,
# for the protocols that must send it); people see ``pan_last4``.
cards = Table(
    "cards",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("pan_hash", String(64), nullable=False, unique=True),
    Column("pan_enc", String(256), nullable=False),
    Column("pan_last4", String(4), nullable=False),
    # The first six digits (the issuer's BIN), for showing "6217 **** **** 1234" (0005).
    Column("pan_prefix", String(8), nullable=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False),
    Column("expiry", String(4), nullable=False),  # YYMM
    Column("status", String(24), nullable=False),
    Column("atm_daily_limit_minor", BigInteger, nullable=False),
    Column("atm_daily_count", Integer, nullable=False),
    Column("pos_limit_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("pin_verification", String(128), nullable=True),
    Column("pin_tries", Integer, nullable=False, server_default="0"),
    Column("blocked_reason", String(32), nullable=True),
    Column("created_at_us", BigInteger, nullable=False),
    Column("updated_at_us", BigInteger, nullable=False),
    CheckConstraint(
        "status IN ('inactive', 'active', 'temporarily_blocked', 'blocked', 'expired')",
        name="status",
    ),
    CheckConstraint(
        "atm_daily_limit_minor >= 0 AND atm_daily_count >= 0 AND pos_limit_minor >= 0"
        " AND pin_tries >= 0",
        name="non_negative",
    ),
)
Index("ix_cards_customer_id", cards.c.customer_id)

# The accounts a card reaches, by type (ISO 8583 processing codes name the type).
card_accounts = Table(
    "card_accounts",
    metadata,
    Column("card_id", BigInteger, ForeignKey("cards.id"), primary_key=True),
    Column("account_type", String(16), primary_key=True),
    Column("account_id", BigInteger, ForeignKey("accounts.id"), nullable=False),
    CheckConstraint("account_type IN ('savings', 'checking')", name="account_type"),
)

# Customer tickets: inquiries, complaints and suggestions from every channel.
tickets = Table(
    "tickets",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=True),
    Column("branch_code", String(4), ForeignKey("branches.code"), nullable=True),
    Column("kind", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("category", String(32), nullable=False),
    Column("priority", String(8), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("assigned_to", BigInteger, ForeignKey("users.id"), nullable=True),
    Column("created_by", BigInteger, ForeignKey("users.id"), nullable=True),
    Column("created_at_us", BigInteger, nullable=False),
    Column("acknowledged_at_us", BigInteger, nullable=True),
    Column("resolved_at_us", BigInteger, nullable=True),
    Column("updated_at_us", BigInteger, nullable=False),
    # Service levels (migration 0006): when it must be acknowledged and resolved by,
    # and which of the two it missed, if any.
    Column("acknowledge_due_at_us", BigInteger, nullable=True),
    Column("resolve_due_at_us", BigInteger, nullable=True),
    Column("breached", String(16), nullable=True),
    CheckConstraint("kind IN ('inquiry', 'complaint', 'suggestion')", name="kind"),
    CheckConstraint("priority IN ('low', 'normal', 'high', 'urgent')", name="priority"),
    CheckConstraint(
        "status IN ('open', 'acknowledged', 'in_progress', 'answered', 'closed')",
        name="status",
    ),
)
Index("ix_tickets_customer_id", tickets.c.customer_id)
Index("ix_tickets_status", tickets.c.status)

# What happened to a ticket: notes, answers to the customer, status changes.
ticket_notes = Table(
    "ticket_notes",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("ticket_id", BigInteger, ForeignKey("tickets.id"), nullable=False),
    Column("author_id", BigInteger, ForeignKey("users.id"), nullable=True),
    Column("kind", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("at_us", BigInteger, nullable=False),
    CheckConstraint("kind IN ('note', 'answer', 'status', 'customer')", name="kind"),
)
Index("ix_ticket_notes_ticket_id", ticket_notes.c.ticket_id)

# A corporate user's own limits, within the company's.
corporate_user_limits = Table(
    "corporate_user_limits",
    metadata,
    Column("user_id", BigInteger, ForeignKey("users.id"), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("per_payment_minor", BigInteger, nullable=False),
    Column("daily_minor", BigInteger, nullable=False),
    CheckConstraint("per_payment_minor >= 0 AND daily_minor >= 0", name="non_negative"),
)

# A corporate payment (one transfer, or a batch such as payroll) made by a maker and
# waiting for an approver of the same company; posted as one linked batch on approval.
corporate_payments = Table(
    "corporate_payments",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("maker_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("checker_id", BigInteger, ForeignKey("users.id"), nullable=True),
    Column("debit_account_id", BigInteger, ForeignKey("accounts.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
    Column("file_name", String(200), nullable=True),
    Column("legs", Text, nullable=False),  # JSON: the transfers to post
    Column("reason", String(500), nullable=True),
    Column("result", Text, nullable=True),
    Column("created_at_us", BigInteger, nullable=False),
    Column("decided_at_us", BigInteger, nullable=True),
    CheckConstraint("kind IN ('single', 'batch')", name="kind"),
    CheckConstraint(
        "status IN ('pending', 'posted', 'rejected', 'failed', 'cancelled')", name="status"
    ),
    CheckConstraint("checker_id IS NULL OR checker_id <> maker_id", name="four_eyes"),
    CheckConstraint("total_minor > 0 AND count > 0", name="positive"),
)
Index(
    "ix_corporate_payments_customer_id_status",
    corporate_payments.c.customer_id,
    corporate_payments.c.status,
)

# Electronic reconciliation (电子对账): each month the company confirms or disputes the
# bank's balance of each account; disputes go to the back office.
balance_confirmations = Table(
    "balance_confirmations",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False),
    Column("account_id", BigInteger, ForeignKey("accounts.id"), nullable=False),
    Column("period", String(7), nullable=False),  # YYYY-MM
    Column("balance_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("responded_by", BigInteger, ForeignKey("users.id"), nullable=True),
    Column("responded_at_us", BigInteger, nullable=True),
    Column("dispute", Text, nullable=True),
    Column("resolution", Text, nullable=True),
    Column("resolved_by", BigInteger, ForeignKey("users.id"), nullable=True),
    Column("resolved_at_us", BigInteger, nullable=True),
    Column("created_at_us", BigInteger, nullable=False),
    UniqueConstraint("account_id", "period"),
    CheckConstraint("status IN ('pending', 'confirmed', 'disputed', 'resolved')", name="status"),
)
Index("ix_balance_confirmations_customer_id", balance_confirmations.c.customer_id)

# A teller's shift at the counter: the cash box opened with a float, and balanced at the
# end by counting it against what the ledger says it should hold.
teller_shifts = Table(
    "teller_shifts",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("branch_code", String(4), ForeignKey("branches.code"), nullable=False),
    Column("box_account_id", BigInteger, ForeignKey("accounts.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("opened_at_us", BigInteger, nullable=False),
    Column("closed_at_us", BigInteger, nullable=True),
    Column("expected_minor", BigInteger, nullable=True),
    Column("counted_minor", BigInteger, nullable=True),
    Column("difference_minor", BigInteger, nullable=True),
    Column("note", String(500), nullable=True),
    CheckConstraint("status IN ('open', 'balanced', 'difference')", name="status"),
)
Index("ix_teller_shifts_user_id", teller_shifts.c.user_id)
# One open shift per teller and currency (migration 0004).
Index(
    "uq_teller_shifts_open",
    teller_shifts.c.user_id,
    teller_shifts.c.currency,
    unique=True,
    sqlite_where=text("status = 'open'"),
    postgresql_where=text("status = 'open'"),
)
