"""Electronic reconciliation (电子对账): each month, for each of its accounts, a company
confirms the bank's closing balance or disputes it with a text; disputes reach the back
office of the company's branch, which resolves them with a note.

The bank's balance of a closed month is made on the first view of that month (the
ledger balance posted before the first instant of the next month, in the bank's time
zone) and kept, so that what the company confirmed is what it was shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo

from ebank.application import audit
from ebank.application.account_services import Audited, run_audited
from ebank.application.context import Context
from ebank.application.corporate_payments import CORPORATE_ROLES
from ebank.application.history_search import day_start_us
from ebank.application.ports import UnitOfWork
from ebank.application.ports_corporate import (
    BalanceConfirmation,
    ConfirmationStatus,
    NewConfirmation,
)
from ebank.application.ports_customers import Direction
from ebank.application.statements import balance_change
from ebank.application.visibility import branches_in_scope, check_branch, own_customer
from ebank.domain.access import Actor, Role, require_role
from ebank.domain.accounts import Account
from ebank.domain.errors import (
    ConfirmationNotFound,
    ConfirmationNotPending,
    InvalidInput,
)

RESPONDERS = frozenset({Role.MAKER, Role.APPROVER})  # a viewer only reads
RESOLVERS = frozenset({Role.SUPERVISOR, Role.OPERATIONS, Role.ADMIN})
MAX_TEXT = 2000
MAX_DISPUTES = 200
PERIODS_SHOWN = 12


@dataclass(frozen=True, slots=True)
class ConfirmationView:
    confirmation: BalanceConfirmation
    account_number: str
    account_name: str


@dataclass(frozen=True, slots=True)
class DisputeView:
    confirmation: BalanceConfirmation
    account_number: str
    customer_number: str
    customer_name: str


def closed_periods(today: date, count: int = PERIODS_SHOWN) -> list[str]:
    """The ``count`` months before ``today``'s, newest first, as ``YYYY-MM``."""
    year, month = today.year, today.month
    periods = []
    for _ in range(count):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        periods.append(f"{year:04d}-{month:02d}")
    return periods


def _next_month_start(period: str, today: date) -> date:
    """The first day after ``period``; ``InvalidInput`` unless it is a closed month."""
    try:
        year, month = (int(part) for part in period.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise InvalidInput("a period is a month: YYYY-MM") from None
    if len(period) != 7 or first >= date(today.year, today.month, 1):
        raise InvalidInput("only a month that has ended can be confirmed")
    return date(year + month // 12, month % 12 + 1, 1)


def company_confirmations(
    ctx: Context, actor: Actor, period: str, tz: tzinfo
) -> list[ConfirmationView]:
    """The company's balance confirmations of ``period``, made on this first view."""
    require_role(actor, CORPORATE_ROLES)
    end_us = day_start_us(_next_month_start(period, ctx.clock.today()), tz)
    with ctx.uow() as uow:
        customer = own_customer(uow, actor)
        accounts = [
            a
            for a in uow.accounts.for_customer(customer.id)
            if a.gl_kind is None and a.opened_at_us < end_us
        ]
        have = {c.account_id for c in uow.corporate.confirmations(customer.id, period)}
        now = ctx.clock.now_us()
        new = [
            NewConfirmation(
                customer.id, a.id, period, _closing_balance(uow, a, end_us), a.currency, now
            )
            for a in accounts
            if a.id not in have
        ]
        if new:
            uow.corporate.add_confirmations(new)
            audit.record(
                uow,
                actor=actor,
                action="reconciliation.issue",
                target=f"customer:{customer.number}",
                details={"period": period, "accounts": [a.number for a in accounts][:40]},
                now_us=now,
            )
            uow.commit()
        by_id = {a.id: a for a in accounts}
        found = uow.corporate.confirmations(customer.id, period)
    return [
        ConfirmationView(c, by_id[c.account_id].number, by_id[c.account_id].name)
        for c in found
        if c.account_id in by_id
    ]


def _closing_balance(uow: UnitOfWork, account: Account, end_us: int) -> int:
    debits, credits = uow.customer_reads.posted_sums_before(account.id, end_us)
    side = account.normal_side
    return balance_change(side, Direction.CREDIT, credits) + balance_change(
        side, Direction.DEBIT, debits
    )


def respond(
    ctx: Context, actor: Actor, confirmation_id: int, *, agree: bool, dispute: str = ""
) -> BalanceConfirmation:
    """The company confirms the balance, or disputes it saying why."""
    text = dispute.strip()
    if not agree and not 1 <= len(text) <= MAX_TEXT:
        raise InvalidInput(f"say what is wrong with the balance (1 to {MAX_TEXT} characters)")

    def work(uow: UnitOfWork, now: int) -> Audited[BalanceConfirmation]:
        require_role(actor, RESPONDERS)
        customer = own_customer(uow, actor)
        found = uow.corporate.confirmation(confirmation_id, lock=True)
        if found is None or found.customer_id != customer.id:
            raise ConfirmationNotFound(f"no balance confirmation {confirmation_id}")
        status = ConfirmationStatus.CONFIRMED if agree else ConfirmationStatus.DISPUTED
        if not uow.corporate.respond(
            confirmation_id, status, actor.user_id, None if agree else text, now
        ):
            raise ConfirmationNotPending(f"confirmation {confirmation_id} was already answered")
        answered = uow.corporate.confirmation(confirmation_id)
        assert answered is not None
        details = {"period": found.period, "status": status.value, "dispute": text or None}
        return Audited(answered, f"balance_confirmation:{confirmation_id}", details)

    action = "reconciliation.confirm" if agree else "reconciliation.dispute"
    return run_audited(ctx, actor, action, work, changes=True)


def open_disputes(ctx: Context, actor: Actor) -> list[DisputeView]:
    """Disputed balances of companies in the staff member's branch scope, oldest first."""

    def work(uow: UnitOfWork, now: int) -> Audited[list[DisputeView]]:
        require_role(actor, RESOLVERS)
        found = uow.corporate.disputes(branches_in_scope(uow, actor), MAX_DISPUTES)
        views = []
        for c in found:
            account = uow.accounts.get(c.account_id)
            customer = uow.customers.get(c.customer_id)
            assert account is not None and customer is not None
            views.append(DisputeView(c, account.number, customer.number, customer.name))
        return Audited(views, "reconciliations", {"found": len(views)})

    return run_audited(ctx, actor, "reconciliation.disputes", work, changes=False)


def resolve_dispute(
    ctx: Context, actor: Actor, confirmation_id: int, note: str
) -> BalanceConfirmation:
    """Staff close a dispute of a company in their branch scope, with a note."""
    text = note.strip()
    if not 1 <= len(text) <= MAX_TEXT:
        raise InvalidInput(f"a resolution note has 1 to {MAX_TEXT} characters")

    def work(uow: UnitOfWork, now: int) -> Audited[BalanceConfirmation]:
        require_role(actor, RESOLVERS)
        found = uow.corporate.confirmation(confirmation_id, lock=True)
        customer = uow.customers.get(found.customer_id) if found else None
        if found is None or customer is None:
            raise ConfirmationNotFound(f"no balance confirmation {confirmation_id}")
        check_branch(uow, actor, customer.branch_code)
        if not uow.corporate.resolve(confirmation_id, actor.user_id, text, now):
            raise ConfirmationNotPending(f"confirmation {confirmation_id} is not disputed")
        resolved = uow.corporate.confirmation(confirmation_id)
        assert resolved is not None
        return Audited(resolved, f"balance_confirmation:{confirmation_id}", {"note": text})

    return run_audited(
        ctx,
        actor,
        "reconciliation.resolve",
        work,
        changes=True,
        refused_target=f"balance_confirmation:{confirmation_id}",
    )
