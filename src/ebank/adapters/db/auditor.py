"""Read-only SQL over the whole ledger, for ``ebank ledger verify``: the stored account
counters, and the same counters re-derived from the journal alone."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection, Engine, func, select, text

from ebank.adapters.db.engine import READ_ONLY
from ebank.adapters.db.tables import accounts, balances, transfers
from ebank.application.ports import DerivedBalances, StoredAccountState
from ebank.domain.accounts import AccountStatus
from ebank.domain.ledger import LedgerAccount

_DERIVE = text("""
SELECT account_id, currency, SUM(dp), SUM(dd), SUM(cp), SUM(cc) FROM (
  SELECT debit_account_id AS account_id, currency,
    CASE WHEN pending_status = 'pending' THEN amount_minor ELSE 0 END AS dp,
    CASE WHEN kind IN ('posting', 'post_pending') THEN amount_minor ELSE 0 END AS dd,
    0 AS cp, 0 AS cc
  FROM transfers
  UNION ALL
  SELECT credit_account_id, currency, 0, 0,
    CASE WHEN pending_status = 'pending' THEN amount_minor ELSE 0 END,
    CASE WHEN kind IN ('posting', 'post_pending') THEN amount_minor ELSE 0 END
  FROM transfers
) AS legs GROUP BY account_id, currency
""")

_JOURNAL_TOTALS = text("""
SELECT currency, SUM(amount_minor) FROM transfers
WHERE kind IN ('posting', 'post_pending') GROUP BY currency
""")

# Each account's chain (migration 0008): every entry's pointer on each side must name the
# account's previous entry, and the account's head its newest.
_CHAIN_BREAKS = text("""
WITH sides AS (
  SELECT seq, debit_account_id AS account_id, prev_debit_seq AS prev FROM transfers
  UNION ALL
  SELECT seq, credit_account_id, prev_credit_seq FROM transfers
), linked AS (
  SELECT account_id, prev,
    LAG(seq) OVER (PARTITION BY account_id ORDER BY seq) AS expected
  FROM sides
), heads AS (
  SELECT account_id, MAX(seq) AS newest FROM sides GROUP BY account_id
)
SELECT account_id FROM linked WHERE COALESCE(prev, 0) <> COALESCE(expected, 0)
UNION
SELECT b.account_id FROM balances b LEFT JOIN heads h ON h.account_id = b.account_id
WHERE COALESCE(b.last_seq, 0) <> COALESCE(h.newest, 0)
ORDER BY 1
""")

# Every account has its row of balances, holding the same rules (migration 0009).
_UNMIRRORED = text("""
SELECT a.id FROM accounts a LEFT JOIN balances b ON b.account_id = a.id
WHERE b.account_id IS NULL OR b.currency <> a.currency OR b.status <> a.status
   OR b.debits_must_not_exceed_credits <> a.debits_must_not_exceed_credits
   OR b.credits_must_not_exceed_debits <> a.credits_must_not_exceed_debits
   OR b.overdraft_limit_minor <> a.overdraft_limit_minor
   OR COALESCE(b.customer_id, 0) <> COALESCE(a.customer_id, 0)
UNION
SELECT b.account_id FROM balances b LEFT JOIN accounts a ON a.id = b.account_id
WHERE a.id IS NULL
ORDER BY 1
""")


class SqlLedgerAuditor:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _connect(self) -> Connection:
        return self.engine.connect().execution_options(**{READ_ONLY: True})

    def stored_accounts(self) -> Iterator[StoredAccountState]:
        a, b = accounts, balances
        q = (
            select(
                a.c.id,
                a.c.number,
                a.c.currency,
                a.c.status,
                a.c.debits_must_not_exceed_credits,
                a.c.credits_must_not_exceed_debits,
                a.c.overdraft_limit_minor,
                func.coalesce(b.c.debits_pending, 0).label("debits_pending"),
                func.coalesce(b.c.debits_posted, 0).label("debits_posted"),
                func.coalesce(b.c.credits_pending, 0).label("credits_pending"),
                func.coalesce(b.c.credits_posted, 0).label("credits_posted"),
            )
            .join_from(a, b, b.c.account_id == a.c.id, isouter=True)
            .order_by(a.c.id)
        )
        with self._connect() as conn:
            for r in conn.execution_options(yield_per=2000).execute(q):
                yield StoredAccountState(
                    r.id,
                    r.number,
                    r.currency,
                    LedgerAccount(
                        r.id,
                        r.currency,
                        AccountStatus(r.status),
                        bool(r.debits_must_not_exceed_credits),
                        bool(r.credits_must_not_exceed_debits),
                        r.overdraft_limit_minor,
                        r.debits_pending,
                        r.debits_posted,
                        r.credits_pending,
                        r.credits_posted,
                    ),
                )

    def derived_balances(self) -> dict[int, DerivedBalances]:
        with self._connect() as conn:
            return {
                int(r[0]): DerivedBalances(
                    int(r[0]), r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5])
                )
                for r in conn.execute(_DERIVE)
            }

    def journal_totals(self) -> dict[str, tuple[int, int]]:
        with self._connect() as conn:
            # Each entry is one debit and one credit of the same amount, so the two sums
            # are equal by construction; the check compares them with the accounts'.
            return {r[0]: (int(r[1]), int(r[1])) for r in conn.execute(_JOURNAL_TOTALS)}

    def broken_chains(self) -> list[int]:
        with self._connect() as conn:
            return [int(r[0]) for r in conn.execute(_CHAIN_BREAKS)]

    def unmirrored(self) -> list[int]:
        with self._connect() as conn:
            return [int(r[0]) for r in conn.execute(_UNMIRRORED)]

    def account_count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute(select(func.count()).select_from(accounts)).scalar_one())

    def transfer_count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute(select(func.count()).select_from(transfers)).scalar_one())
