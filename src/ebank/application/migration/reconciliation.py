"""Reconciling a migration: what was posted, read back from the database inside the
import's transaction, beside what was read from the files."""

from __future__ import annotations

from collections import defaultdict

from ebank.application.migration.checks import _Plan
from ebank.application.migration.records import (
    MIGRATION_CHANNEL,
    READ_BACK_TICK,
    READ_CHUNK,
    AccountLine,
    CustomerLine,
    ImportBatch,
    ImportReport,
    Issue,
    Progress,
    Totals,
)
from ebank.application.ports import UnitOfWork
from ebank.domain.accounts import Account, AccountStatus, NormalSide, product
from ebank.domain.codes import TxCode
from ebank.domain.transfers import JournalEntry

_Posted = tuple[dict[str, int], dict[tuple[str, str], Totals]]


def _read_back(
    uow: UnitOfWork,
    plan: _Plan,
    chunk_size: int,
    progress: Progress,
) -> _Posted:
    """What the database now holds for the imported customers, their accounts and the
    opening-balance transfers, read back inside the import's transaction."""
    customers: dict[str, int] = defaultdict(int)
    stored: dict[int, Account] = {}
    ids = [c.id for _, c in plan.customers]
    for start in range(0, len(ids), READ_BACK_TICK):
        progress("reading back", start, len(ids))
        found = uow.customers.many(ids[start : start + READ_BACK_TICK])
        for again in found:
            customers[again.branch_code] += 1
        stored.update((a.id, a) for a in uow.accounts.for_customers([c.id for c in found]))
    progress("reading back", len(ids), len(ids))
    counters: dict[int, tuple[int, int]] = {}
    entries: list[JournalEntry] = []
    transfers = [t for _, t in plan.openings]
    for start in range(0, len(transfers), chunk_size):
        chunk = transfers[start : start + chunk_size]
        loaded = uow.journal.load(chunk)  # the stored entries and their accounts' counters
        entries.extend(loaded.existing[t.id] for t in chunk if t.id in loaded.existing)
        counters.update(
            (a.id, (a.debits_posted, a.credits_posted)) for a in loaded.accounts.values()
        )
    # Accounts with no opening balance: nothing loaded their counters above.
    unloaded = [a.id for a in stored.values() if a.id not in counters]
    for start in range(0, len(unloaded), READ_CHUNK):
        balances = uow.accounts.balances_many(unloaded[start : start + READ_CHUNK])
        counters.update((i, (b.debits_posted, b.credits_posted)) for i, b in balances.items())
    totals: dict[tuple[str, str], Totals] = defaultdict(Totals)
    for a in stored.values():
        debits, credits = counters[a.id]
        _count_account(
            totals[(a.branch_code, a.currency)], a.normal_side, a.status, credits - debits
        )
    suspense = {p.suspense.id for p in plan.accounts}
    for e in entries:
        _count_entry(totals, e, stored, suspense)
    return customers, totals


def _count_account(t: Totals, side: NormalSide, status: AccountStatus, credit_balance: int) -> None:
    t.accounts += 1
    t.frozen += status is AccountStatus.FROZEN
    t.dormant += status is AccountStatus.DORMANT
    if side is NormalSide.CREDIT:
        t.deposits_minor += credit_balance
    else:
        t.loans_minor -= credit_balance


def _count_entry(
    totals: dict[tuple[str, str], Totals],
    e: JournalEntry,
    stored: dict[int, Account],
    suspense: set[int],
) -> None:
    if e.code != TxCode.OPENING_BALANCE or e.channel != MIGRATION_CHANNEL:
        return
    if e.credit_account_id in stored and e.debit_account_id in suspense:
        own, movement = stored[e.credit_account_id], -e.amount_minor
    elif e.debit_account_id in stored and e.credit_account_id in suspense:
        own, movement = stored[e.debit_account_id], e.amount_minor
    else:
        return
    t = totals[(own.branch_code, e.currency)]
    t.transfers += 1
    t.transfers_minor += e.amount_minor
    t.suspense_minor += movement


def _reconcile(plan: _Plan, posted: _Posted) -> tuple[list[CustomerLine], list[AccountLine]]:
    """The read side (from the checked rows) beside the posted side (from the database)."""
    read_customers: dict[str, int] = defaultdict(int)
    for row, _ in plan.customers:
        read_customers[row.branch_code] += 1
    read: dict[tuple[str, str], Totals] = defaultdict(Totals)
    for p in plan.accounts:
        t = read[(p.row.branch_code, p.account.currency)]
        side = product(p.row.product_code.upper()).normal_side
        credit_balance = p.balance_minor if side is NormalSide.CREDIT else -p.balance_minor
        _count_account(t, side, p.status, credit_balance)
        if p.balance_minor:
            t.transfers += 1
            t.transfers_minor += abs(p.balance_minor)
            t.suspense_minor -= credit_balance
    posted_customers, posted_accounts = posted
    customer_lines = [
        CustomerLine(b, read_customers.get(b, 0), posted_customers.get(b, 0))
        for b in sorted(set(read_customers) | set(posted_customers))
    ]
    account_lines = [
        AccountLine(b, c, read.get((b, c), Totals()), posted_accounts.get((b, c), Totals()))
        for b, c in sorted(set(read) | set(posted_accounts))
    ]
    return customer_lines, account_lines


def _mismatches(batch: ImportBatch, report: ImportReport) -> list[Issue]:
    where = f"{batch.customers_file} + {batch.accounts_file}"
    out = [
        Issue(where, 0, f"branch {c.branch_code}: {c.read} customers read, {c.posted} posted")
        for c in report.customers
        if not c.matches
    ]
    out += [
        Issue(where, 0, f"branch {a.branch_code} {a.currency}: read {a.read}, posted {a.posted}")
        for a in report.accounts
        if not a.matches
    ]
    out += [
        Issue(
            batch.cards_file,
            0,
            f"branch {c.branch_code} {c.status} cards: {c.read} read ({c.read_with_pin} with"
            f" a PIN), {c.posted} loaded ({c.posted_with_pin} with a PIN)",
        )
        for c in report.cards
        if not c.matches
    ]
    return out
