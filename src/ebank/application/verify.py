"""The reconciliation check (帐务核对): every account's balances re-derived from the
journal alone must equal the stored ones; posted debits must equal posted credits in each
currency; no account flagged against it may be beyond its limit; every account's history
chain links exactly its own entries, newest first; every account's row in the ledger's
own table holds the account's rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from ebank.application.context import Context
from ebank.application.ports import DerivedBalances

COUNTERS = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")
MAX_REPORTED = 100


@dataclass(frozen=True, slots=True)
class Mismatch:
    account_number: str
    counter: str
    stored: int
    derived: int


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    currency: str
    debits_posted: int  # summed over the stored account counters
    credits_posted: int
    journal_posted: int  # summed over the journal entries

    @property
    def balanced(self) -> bool:
        return self.debits_posted == self.credits_posted == self.journal_posted


@dataclass(slots=True)
class VerifyReport:
    accounts: int = 0
    transfers: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    mismatch_count: int = 0
    limit_breaches: list[str] = field(default_factory=list)
    totals: list[CurrencyTotals] = field(default_factory=list)
    orphans: list[int] = field(default_factory=list)  # journal names an unknown account
    broken_chains: list[int] = field(default_factory=list)  # account ids: history unlinked
    unmirrored: list[int] = field(default_factory=list)  # account ids: ledger row differs

    @property
    def ok(self) -> bool:
        return (
            not self.mismatch_count
            and not self.limit_breaches
            and not self.orphans
            and not self.broken_chains
            and not self.unmirrored
            and all(t.balanced for t in self.totals)
        )


def verify_ledger(
    ctx: Context,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    auditor = ctx.auditor()
    report = VerifyReport(accounts=auditor.account_count(), transfers=auditor.transfer_count())
    derived = auditor.derived_balances()
    debits: dict[str, int] = defaultdict(int)
    credits: dict[str, int] = defaultdict(int)
    seen: set[int] = set()
    zero = DerivedBalances(0, "", 0, 0, 0, 0)
    for n, stored in enumerate(auditor.stored_accounts(), 1):
        seen.add(stored.account_id)
        ledger = stored.ledger
        again = derived.get(stored.account_id, zero)
        for counter in COUNTERS:
            have, want = getattr(ledger, counter), getattr(again, counter)
            if have != want:
                report.mismatch_count += 1
                if len(report.mismatches) < MAX_REPORTED:
                    report.mismatches.append(Mismatch(stored.number, counter, have, want))
        if not ledger.within_limits():
            report.limit_breaches.append(stored.number)
        debits[stored.currency] += ledger.debits_posted
        credits[stored.currency] += ledger.credits_posted
        if progress is not None and n % 1000 == 0:
            progress(n, report.accounts)
    if progress is not None:
        progress(report.accounts, report.accounts)
    report.orphans = sorted(set(derived) - seen)
    report.broken_chains = auditor.broken_chains()
    report.unmirrored = auditor.unmirrored()
    journal = auditor.journal_totals()
    for currency in sorted(set(debits) | set(journal)):
        report.totals.append(
            CurrencyTotals(
                currency, debits[currency], credits[currency], journal.get(currency, (0, 0))[0]
            )
        )
    return report
