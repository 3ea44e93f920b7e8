"""Posting a migration's opening balances: transfers against each branch's suspense
account, through the ledger engine in chunks."""

from __future__ import annotations

from ebank.application.context import Context
from ebank.application.ledger import post_within
from ebank.application.migration.checks import _Plan, _Planned
from ebank.application.migration.records import (
    MIGRATION_CHANNEL,
    OPENING_REFERENCE,
    ImportRejected,
    Issue,
    Progress,
)
from ebank.application.ports import UnitOfWork
from ebank.domain.accounts import NormalSide
from ebank.domain.codes import TxCode
from ebank.domain.transfers import Result, Transfer


def _opening(ctx: Context, p: _Planned) -> Transfer:
    """A deposit's credit balance comes out of suspense; a loan (or an overdrawn current
    account) is debited, with suspense credited."""
    into_account = p.account.normal_side is NormalSide.CREDIT and p.balance_minor > 0
    debit, credit = (p.suspense, p.account) if into_account else (p.account, p.suspense)
    return Transfer(
        id=ctx.ids.new_id(),
        debit_account_id=debit.id,
        credit_account_id=credit.id,
        amount_minor=abs(p.balance_minor),
        currency=p.account.currency,
        code=TxCode.OPENING_BALANCE,
        channel=MIGRATION_CHANNEL,
        reference=f"{OPENING_REFERENCE}{p.row.legacy_account_no}",
    )


def _post(uow: UnitOfWork, plan: _Plan, now: int, chunk_size: int, progress: Progress) -> None:
    refused: list[Issue] = []
    total = len(plan.openings)
    for start in range(0, total, chunk_size):
        progress("posting", start, total)
        chunk = plan.openings[start : start + chunk_size]
        outcome = post_within(uow, [t for _, t in chunk], now)
        for (p, _), result in zip(chunk, outcome.results, strict=True):
            if result is not Result.OK:
                refused.append(
                    Issue(
                        p.row.file,
                        p.row.line,
                        f"the ledger refused the opening balance: {result.value}",
                    )
                )
    progress("posting", total, total)
    if refused:
        raise ImportRejected(refused)
