"""Branches, customers and accounts as an authenticated actor asks for them: the use
cases of ``banking`` wrapped with who may reach what (``visibility``) and the audit
trail, in one unit of work each.

What is audited: every change, whoever makes it, and every request of a member of staff
(reads included: looking at a customer's data is an action a bank answers for). A
refused staff request is audited too, on its own, under the refusal's code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from ebank.application import audit, banking
from ebank.application.context import Context
from ebank.application.identity_documents import check_resident_id
from ebank.application.ports import UnitOfWork
from ebank.application.queries import AccountView
from ebank.application.visibility import (
    account_for,
    branches_in_scope,
    check_branch,
    customer_for,
    own_customer,
)
from ebank.domain.access import STAFF_ROLES, Actor, Role, require_role
from ebank.domain.accounts import AccountStatus
from ebank.domain.branches import Branch, BranchKind
from ebank.domain.customers import Customer, CustomerKind, IdType, Tier, masked_email
from ebank.domain.errors import (
    BranchNotFound,
    CustomerNotFound,
    DomainError,
    Forbidden,
    InvalidInput,
    OutsideBranch,
)
from ebank.domain.money import DEFAULT_CURRENCY_CODE

T = TypeVar("T")
MAX_SEARCH_RESULTS = 100
# Products a customer may open for themselves online; the rest are opened at a counter.
SELF_SERVICE_PRODUCTS = frozenset({"SAV"})
COUNTER_ROLES = frozenset({Role.TELLER, Role.SUPERVISOR})


@dataclass(frozen=True, slots=True)
class Audited(Generic[T]):
    """What a piece of work returns: its result and how the audit trail names it."""

    value: T
    target: str
    details: Mapping[str, object] | None = None


def run_audited(
    ctx: Context,
    actor: Actor,
    action: str,
    work: Callable[[UnitOfWork, int], Audited[T]],
    *,
    changes: bool,
    refused_target: str = "",
) -> T:
    """Run ``work`` in one unit of work and, if it ``changes`` anything or the actor is
    staff, append its audit entry in that same unit, so both commit or neither does.
    A customer's pure read runs on a read-only unit of work and is not audited."""
    now = ctx.clock.now_us()
    audited = changes or actor.is_staff
    try:
        with ctx.uow() if audited else ctx.read() as uow:
            done = work(uow, now)
            if audited:
                audit.record(
                    uow,
                    actor=actor,
                    action=action,
                    target=done.target,
                    details=done.details,
                    now_us=now,
                )
                uow.commit()
    except DomainError as refused:
        if actor.is_staff:
            record_refusal(ctx, actor, action, refused_target, refused)
        raise
    return done.value


def record_refusal(
    ctx: Context, actor: Actor, action: str, target: str, refused: DomainError
) -> None:
    """Audit a refused staff request, under the refusal's code."""
    with ctx.uow() as uow:
        audit.record(
            uow,
            actor=actor,
            action=action,
            target=target,
            outcome=refused.code,
            details={"reason": refused.message},
            now_us=ctx.clock.now_us(),
        )
        uow.commit()


# -- branches ------------------------------------------------------------------------------
def list_branches(ctx: Context) -> list[Branch]:
    """The branch tree, by code (the bank's structure is not a secret)."""
    with ctx.read() as uow:
        return uow.branches.all()


def get_branch(ctx: Context, code: str) -> Branch:
    with ctx.read() as uow:
        branch = uow.branches.get(code)
    if branch is None:
        raise BranchNotFound(f"no branch {code}")
    return branch


def add_branch(
    ctx: Context,
    actor: Actor,
    code: str,
    name: str,
    kind: BranchKind,
    parent_code: str | None,
    currencies: tuple[str, ...] = (DEFAULT_CURRENCY_CODE,),
) -> Branch:
    """A new unit in the tree: only an administrator of the head office adds one."""

    def work(uow: UnitOfWork, now: int) -> Audited[Branch]:
        require_role(actor, frozenset({Role.ADMIN}))
        if not actor.at_head_office:
            raise OutsideBranch("only the head office adds branches")
        branch = banking.add_branch_in(uow, now, code, name, kind, parent_code, currencies)
        details = {"kind": kind.value, "parent": parent_code, "currencies": list(currencies)}
        return Audited(branch, f"branch:{code}", details)

    return run_audited(
        ctx, actor, "branch.add", work, changes=True, refused_target=f"branch:{code}"
    )


# -- customers -----------------------------------------------------------------------------
def onboard_customer(
    ctx: Context,
    actor: Actor,
    kind: CustomerKind,
    name: str,
    id_type: IdType,
    id_number: str,
    branch_code: str | None = None,
    tier: Tier = Tier.STANDARD,
    phone: str = "",
    email: str = "",
) -> Customer:
    """A new customer of the actor's branch (or of a unit within their reach); an
    individual's resident identity number must be a valid one."""
    branch = branch_code or actor.branch_code or ""

    def work(uow: UnitOfWork, now: int) -> Audited[Customer]:
        require_role(actor, COUNTER_ROLES)
        check_branch(uow, actor, branch)
        number = id_number
        if kind is CustomerKind.INDIVIDUAL and id_type is IdType.RESIDENT_ID:
            number = check_resident_id(id_number, ctx.clock.today())
        customer = banking.add_customer_in(
            uow, now, kind, name, id_type, number, branch, tier, phone, email
        )
        details = {"kind": kind.value, "tier": tier.value, "branch": branch}
        if customer.email:  # customer data: the audit trail keeps it masked
            details["email"] = masked_email(customer.email)
        return Audited(customer, f"customer:{customer.number}", details)

    return run_audited(
        ctx, actor, "customer.onboard", work, changes=True, refused_target=f"branch:{branch}"
    )


def search_customers(ctx: Context, actor: Actor, text: str | None, limit: int) -> list[Customer]:
    """Staff find customers of their branch subtree (the head office: any) by number,
    identity document number or part of the name."""
    if not 1 <= limit <= MAX_SEARCH_RESULTS:
        raise InvalidInput(f"limit must be 1 to {MAX_SEARCH_RESULTS}")
    query = (text or "").strip() or None
    if query is not None and len(query) > 200:
        raise InvalidInput("search text longer than 200 characters")

    def work(uow: UnitOfWork, now: int) -> Audited[list[Customer]]:
        require_role(actor, STAFF_ROLES)
        found = uow.customer_reads.search_customers(query, branches_in_scope(uow, actor), limit)
        return Audited(found, "customers", {"query": query, "found": len(found)})

    return run_audited(ctx, actor, "customer.search", work, changes=False)


def view_customer(ctx: Context, actor: Actor, number: str | None) -> Customer:
    """A customer by number; ``None`` is the caller's own (customer users)."""

    def work(uow: UnitOfWork, now: int) -> Audited[Customer]:
        if number is None:
            if not actor.is_customer:
                raise CustomerNotFound("staff have no customer of their own")
            customer = own_customer(uow, actor)
        else:
            customer = customer_for(uow, actor, number)
        return Audited(customer, f"customer:{customer.number}")

    return run_audited(
        ctx, actor, "customer.view", work, changes=False, refused_target=f"customer:{number}"
    )


# -- accounts ------------------------------------------------------------------------------
def open_account(
    ctx: Context,
    actor: Actor,
    customer_number: str | None,
    product_code: str,
    currency: str = DEFAULT_CURRENCY_CODE,
    branch_code: str | None = None,
    overdraft_limit_minor: int = 0,
) -> AccountView:
    """Staff open any product for a customer within their reach (an overdraft needs a
    supervisor); a customer opens a savings account for themselves, at their branch."""

    def work(uow: UnitOfWork, now: int) -> Audited[AccountView]:
        require_role(actor, COUNTER_ROLES | {Role.CUSTOMER})
        if actor.is_customer:
            customer = own_customer(uow, actor)
            if customer_number not in (None, customer.number):
                raise CustomerNotFound(f"no customer {customer_number}")
            if product_code not in SELF_SERVICE_PRODUCTS or overdraft_limit_minor:
                raise Forbidden("open this product at a branch")
            branch = customer.branch_code
        else:
            if customer_number is None:
                raise InvalidInput("name the customer the account is for")
            customer = customer_for(uow, actor, customer_number)
            branch = branch_code or customer.branch_code
            check_branch(uow, actor, branch)
            if overdraft_limit_minor:
                require_role(actor, frozenset({Role.SUPERVISOR}))
        account = banking.open_account_in(
            uow, now, customer.number, product_code, currency, branch, overdraft_limit_minor
        )
        details = {
            "customer": customer.number,
            "product": product_code,
            "currency": account.currency,
            "overdraft_limit_minor": overdraft_limit_minor,
        }
        view = AccountView(account, uow.accounts.balances(account.id))
        return Audited(view, f"account:{account.number}", details)

    return run_audited(
        ctx,
        actor,
        "account.open",
        work,
        changes=True,
        refused_target=f"customer:{customer_number}",
    )


def list_accounts(ctx: Context, actor: Actor, customer_number: str | None) -> list[AccountView]:
    """A customer's accounts with their balances: the caller's own, or (staff) those of
    ``customer_number``."""

    def work(uow: UnitOfWork, now: int) -> Audited[list[AccountView]]:
        if actor.is_customer:
            customer = own_customer(uow, actor)
            if customer_number not in (None, customer.number):
                raise CustomerNotFound(f"no customer {customer_number}")
        elif customer_number is None:
            raise InvalidInput("staff list the accounts of one customer: give customer=")
        else:
            customer = customer_for(uow, actor, customer_number)
        accounts = uow.accounts.for_customer(customer.id)
        balances = uow.accounts.balances_many([a.id for a in accounts])
        views = [AccountView(a, balances[a.id]) for a in accounts]
        return Audited(views, f"customer:{customer.number}")

    return run_audited(
        ctx,
        actor,
        "account.list",
        work,
        changes=False,
        refused_target=f"customer:{customer_number}",
    )


def view_account(ctx: Context, actor: Actor, number: str) -> AccountView:
    """An account with its ledger and available balances."""

    def work(uow: UnitOfWork, now: int) -> Audited[AccountView]:
        account = account_for(uow, actor, number)
        view = AccountView(account, uow.accounts.balances(account.id))
        return Audited(view, f"account:{number}")

    return run_audited(
        ctx, actor, "account.view", work, changes=False, refused_target=f"account:{number}"
    )


def close_account(ctx: Context, actor: Actor, number: str) -> AccountView:
    """Close an account: only with a zero balance and no holds (``AccountNotEmpty``)."""

    def work(uow: UnitOfWork, now: int) -> Audited[AccountView]:
        require_role(actor, COUNTER_ROLES)
        account_for(uow, actor, number)
        before = banking.change_status_in(uow, now, number, AccountStatus.CLOSED)
        closed = uow.accounts.get(before.id)
        assert closed is not None
        view = AccountView(closed, uow.accounts.balances(closed.id))
        return Audited(view, f"account:{number}", {"was": before.status.value})

    return run_audited(
        ctx, actor, "account.close", work, changes=True, refused_target=f"account:{number}"
    )
