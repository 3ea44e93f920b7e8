"""PostgreSQL: the journal refuses an entry that links forward along its accounts' chains

Every journal entry names the previous entry of its debit and of its credit account
(migration 0008), and along a chain positions only ever grow: a history walk steps back
to a smaller position each time. Batches computed from the balances a process last knew
(ADR 3, option 5) take their positions from a pool fetched earlier; the journal store
checks that each one is beyond the chain heads it links to, and now the database does
too: the statement-level check of the journal's references (0008) also refuses, as a
check violation, a statement with an entry whose ``prev_debit_seq`` or
``prev_credit_seq`` is not smaller than its own ``seq``.

On SQLite there is one writer, and positions are the journal's largest plus one.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The function 0008 created, with room for the chain-order check before its own.
_FUNCTION = """
    CREATE OR REPLACE FUNCTION ebank_journal_references_exist() RETURNS trigger
    LANGUAGE plpgsql
    SET enable_hashjoin = off SET enable_mergejoin = off
    AS $$
    DECLARE
      bad record;
    BEGIN
      {chain_order}
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
    END $$"""

_CHAIN_ORDER = """
      SELECT n.id INTO bad FROM new_entries n
       WHERE n.prev_debit_seq >= n.seq OR n.prev_credit_seq >= n.seq
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION USING
          ERRCODE = 'check_violation',
          CONSTRAINT = 'transfers_chain_order',
          MESSAGE = format('journal entry %s links to an entry that is not before it',
                           bad.id);
      END IF;"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION.format(chain_order=_CHAIN_ORDER))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION.format(chain_order=""))
