"""The back office's read side: the branch dashboard, a customer seen whole (360), and
the audit log for auditors.

The dashboard counts, for the staff member's branch scope, customers, open customer
accounts and the customer transactions of today and of the last 30 days by channel;
its e-banking substitution rate (电子银行替代率) is the share of those transactions done
outside the counter (any channel but ``branch``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from decimal import Decimal
from typing import TypeVar

from ebank.application import account_services, audit, cards, controlled_actions, tickets
from ebank.application.account_services import Audited, run_audited
from ebank.application.approvals import ApprovalOutcome
from ebank.application.audit import AuditPage, AuditReport
from ebank.application.context import Context
from ebank.application.history_search import day_start_us
from ebank.application.ports import ConcurrencyConflict, UnitOfWork
from ebank.application.ports_identity import AuditQuery
from ebank.application.ports_office import BranchFigures
from ebank.application.queries import AccountView
from ebank.application.visibility import branches_in_scope, customer_for
from ebank.domain.access import STAFF_ROLES, Actor, Role, require_role
from ebank.domain.customers import Customer
from ebank.domain.errors import DomainError
from ebank.domain.transfers import JournalEntry

COUNTER_CHANNEL = "branch"
TREND_DAYS = 30
RECENT_ENTRIES = 10
AUDIT_READERS = frozenset({Role.AUDITOR, Role.ADMIN})
T = TypeVar("T")
MAX_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    figures: BranchFigures

    @property
    def transactions(self) -> int:
        return sum(v.count for v in self.figures.volumes)

    @property
    def outside_counter(self) -> int:
        return sum(v.count for v in self.figures.volumes if v.channel != COUNTER_CHANNEL)

    @property
    def substitution_rate(self) -> Decimal | None:
        """Share of transactions done outside the counter (0 to 1); None without any."""
        if not self.transactions:
            return None
        return (Decimal(self.outside_counter) / Decimal(self.transactions)).quantize(
            Decimal("0.0001")
        )

    @property
    def substitution_percent(self) -> Decimal | None:
        """The rate as a percentage with one decimal (85.7), for people to read."""
        rate = self.substitution_rate
        return None if rate is None else (rate * 100).quantize(Decimal("0.1"))


@dataclass(frozen=True, slots=True)
class Dashboard:
    branches: list[str] | None  # None: the whole bank (head office)
    business_date: date
    today: PeriodFigures
    last_30_days: PeriodFigures


def branch_dashboard(ctx: Context, actor: Actor, tz: tzinfo) -> Dashboard:
    """The figures of the actor's branch scope, for today and the last 30 days (today
    included), days in the bank's time zone ``tz``."""
    require_role(actor, STAFF_ROLES)
    today = ctx.clock.today()
    with ctx.read() as uow:
        scope = branches_in_scope(uow, actor)
        reads = uow.office_reads
        daily = reads.branch_figures(scope, day_start_us(today, tz))
        monthly = reads.branch_figures(
            scope, day_start_us(today - timedelta(days=TREND_DAYS - 1), tz)
        )
    return Dashboard(scope, today, PeriodFigures(daily), PeriodFigures(monthly))


# -- a customer seen whole ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Section:
    """A part of the 360 view that may be missing (refused, or not built yet)."""

    items: list[object] = field(default_factory=list)
    available: bool = True


@dataclass(frozen=True, slots=True)
class Customer360:
    customer: Customer
    accounts: list[AccountView]
    recent: list[tuple[str, JournalEntry]]  # (account number, entry), newest first
    cards: Section
    tickets: Section


def masked_id_number(number: str) -> str:
    """An identity number as staff screens show it: first 3 and last 4 characters."""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def _section(load: Callable[[], list[T]]) -> Section:
    try:
        return Section(list(load()))
    except DomainError:
        return Section(available=False)


def customer_360(ctx: Context, actor: Actor, customer_number: str) -> Customer360:
    """The customer's facts, accounts with balances, their latest transactions, cards
    and tickets, for staff of their branch scope (each part audited by its use case)."""
    require_role(actor, STAFF_ROLES)
    customer = account_services.view_customer(ctx, actor, customer_number)
    accounts = account_services.list_accounts(ctx, actor, customer.number)

    def recent(uow: UnitOfWork, now: int) -> Audited[list[tuple[str, JournalEntry]]]:
        found: list[tuple[str, JournalEntry]] = []
        for view in accounts:
            entries = uow.journal.history(view.account.id, None, RECENT_ENTRIES)
            found += [(view.account.number, e) for e in entries]
        found.sort(key=lambda pair: pair[1].seq or 0, reverse=True)
        return Audited(found[:RECENT_ENTRIES], f"customer:{customer.number}")

    lines = run_audited(ctx, actor, "customer.recent", recent, changes=False)
    return Customer360(
        customer,
        accounts,
        lines,
        _section(lambda: cards.cards_of_customer(ctx, actor, customer.id)),
        _section(lambda: tickets.tickets_of_customer(ctx, actor, customer.id)),
    )


def customer_in_scope(ctx: Context, actor: Actor, customer_number: str) -> Customer:
    require_role(actor, STAFF_ROLES)
    with ctx.read() as uow:
        return customer_for(uow, actor, customer_number)


# -- the audit log ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AuditView:
    page: AuditPage
    report: AuditReport


def audit_log(ctx: Context, actor: Actor, query: AuditQuery) -> AuditView:
    """A page of the audit trail, newest first, and the chain's verification (auditors
    and administrators). Reading the trail is itself recorded."""
    require_role(actor, AUDIT_READERS)
    page = audit.search(ctx, query)
    report = audit.verify(ctx)
    with ctx.uow() as uow:
        audit.record(
            uow,
            actor=actor,
            action="audit.view",
            target="audit_log",
            outcome="ok" if report.ok else "chain_broken",
            details={"action": query.action, "shown": len(page.entries)},
            now_us=ctx.clock.now_us(),
        )
        uow.commit()
    return AuditView(page, report)


# -- freeze and unfreeze ------------------------------------------------------------------
def request_status_change(
    ctx: Context, actor: Actor, account_number: str, *, freeze: bool, reason: str
) -> ApprovalOutcome:
    """Ask for a freeze or an unfreeze of an account: it runs at once when no
    dual-control rule applies, otherwise it waits for a checker (as seeded, always)."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            with ctx.uow() as uow:
                outcome = controlled_actions.change_status(
                    uow, ctx.clock.now_us(), actor, account_number, freeze=freeze, reason=reason
                )
                uow.commit()
                return outcome
        except ConcurrencyConflict:
            if attempt == MAX_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
