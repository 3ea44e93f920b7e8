"""Data migration (帐务数据移植): customers, accounts, opening balances and cards from
another system, all or nothing, proved by a reconciliation report.

Every row is checked first and every problem is reported with its file and line. Only a
clean file set is imported, in one unit of work: customers, accounts, then the opening
balances as transfers against each branch's suspense account, posted in chunks. The
"posted" side of the report is then read back from the database inside the same
transaction, and the import commits only when it agrees with the "read" side.
"""

from __future__ import annotations

from ebank.application.context import Context
from ebank.application.ledger import MAX_BATCH_SIZE
from ebank.application.migration.cards import CardCheck, _add_cards, _check_cards, _reconcile_cards
from ebank.application.migration.checks import _check
from ebank.application.migration.mapping import _mapping
from ebank.application.migration.posting import _opening, _post
from ebank.application.migration.reconciliation import _mismatches, _read_back, _reconcile
from ebank.application.migration.records import (
    IMPORT_PRODUCTS,
    IMPORT_STATUSES,
    MAX_LEGACY_ID_LENGTH,
    MAX_ROWS,
    MIGRATION_CHANNEL,
    POST_CHUNK,
    READ_BACK_TICK,
    AccountLine,
    AccountRecord,
    CardLine,
    CardRecord,
    CustomerLine,
    CustomerRecord,
    ImportBatch,
    ImportRejected,
    ImportReport,
    ImportResult,
    Issue,
    MappingRow,
    Progress,
    Totals,
    _quiet,
)
from ebank.domain.accounts import AccountStatus
from ebank.domain.customers import MAX_PHONE_LENGTH

__all__ = [
    "IMPORT_PRODUCTS",
    "IMPORT_STATUSES",
    "MAX_LEGACY_ID_LENGTH",
    "MAX_PHONE_LENGTH",
    "MAX_ROWS",
    "MIGRATION_CHANNEL",
    "POST_CHUNK",
    "READ_BACK_TICK",
    "AccountLine",
    "AccountRecord",
    "CardCheck",
    "CardLine",
    "CardRecord",
    "CustomerLine",
    "CustomerRecord",
    "ImportBatch",
    "ImportRejected",
    "ImportReport",
    "ImportResult",
    "Issue",
    "MappingRow",
    "Progress",
    "Totals",
    "import_legacy",
]


# import_legacy lives here, not in a submodule, because it looks its steps up in this
# module's namespace: tests/integration/test_import.py replaces ``migration._read_back``
# to prove that a report which does not reconcile is never committed.
def import_legacy(
    ctx: Context,
    batch: ImportBatch,
    *,
    dry_run: bool = False,
    chunk_size: int = POST_CHUNK,
    progress: Progress = _quiet,
    card_check: CardCheck | None = None,
) -> ImportResult:
    """Import ``batch`` all or nothing. Raises ``ImportRejected`` listing every problem
    (and imports nothing) when any row is bad, the ledger refuses any opening balance,
    or what was posted does not reconcile with what was read. ``dry_run`` does all of it
    and then rolls back. Cards (``batch.cards``) need ``card_check``: the HSM and the
    zone key their PIN blocks are under."""
    assert 0 < chunk_size <= min(POST_CHUNK, MAX_BATCH_SIZE)
    assert card_check is not None or not batch.cards, "cards need the HSM and their key"
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        progress("checking", 0, len(batch.customers) + len(batch.accounts) + len(batch.cards))
        cards, card_issues = _check_cards(ctx, uow, batch, card_check) if card_check else ([], [])
        try:
            plan = _check(uow, batch, now)
        except ImportRejected as rejected:
            raise ImportRejected([*rejected.issues, *card_issues]) from None
        if card_issues:
            raise ImportRejected(card_issues)
        plan.openings = [(p, _opening(ctx, p)) for p in plan.accounts if p.balance_minor]
        uow.customers.add_many([c for _, c in plan.customers], now)
        uow.accounts.add_many([p.account for p in plan.accounts])
        _post(uow, plan, now, chunk_size, progress)
        for p in plan.accounts:
            if p.status is not AccountStatus.ACTIVE:
                uow.accounts.set_status(p.account.id, p.status, now)
        _add_cards(uow, plan, cards, now)
        report = ImportReport(
            *_reconcile(plan, _read_back(uow, plan, chunk_size, progress)),
            cards=_reconcile_cards(uow, plan, cards),
        )
        if not report.balanced:
            raise ImportRejected(_mismatches(batch, report))
        if not dry_run:
            uow.commit()
    return ImportResult(
        report=report,
        mapping=_mapping(plan),
        dry_run=dry_run,
        customers=len(plan.customers),
        accounts=len(plan.accounts),
        transfers=len(plan.openings),
        cards=len(cards),
    )
